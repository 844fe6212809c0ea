//===- FusionUtils.cpp - Helpers shared by the fusion passes --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/VectorInterfaces.h"

#include <memory>

using namespace mlir;
using namespace mlir::norm;

bool mlir::norm::isElementwiseLinalg(linalg::LinalgOp op,
                                     bool identityMaps) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInits() != 1)
    return false;
  if (op.getNumParallelLoops() != op.getNumLoops())
    return false;
  return !identityMaps || llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); });
}

/// The function computed by an elementwise linalg op's payload.
static std::function<std::optional<double>(ArrayRef<double>)>
getLinalgFunction(linalg::LinalgOp op, ArrayRef<Value> variables,
                  bool identityMaps) {
  if (!isElementwiseLinalg(op, identityMaps))
    return nullptr;
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (yield.getNumOperands() != 1)
    return nullptr;
  auto function = std::make_shared<ScalarFunction>(yield.getOperand(0));
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    auto variable = llvm::find(variables, operand.get());
    if (variable != variables.end()) {
      function->bindVariable(arg, variable - variables.begin());
      continue;
    }
    // The init of an elementwise op is usually not read; if it is, it must
    // be a splat constant like any other operand.
    if (op.isDpsInit(&operand) && arg.use_empty())
      continue;
    std::optional<double> constant = getSplatConstant(operand.get());
    if (!constant)
      return nullptr;
    function->bindConstant(arg, *constant);
  }
  if (!function->isSupported())
    return nullptr;
  return [function](ArrayRef<double> point) {
    return function->evaluate(point);
  };
}

std::function<std::optional<double>(ArrayRef<double>)>
mlir::norm::getElementwiseFunction(Operation *op, ArrayRef<Value> variables,
                                   bool identityMaps) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return getLinalgFunction(linalgOp, variables, identityMaps);
  // Elementwise arith/math/TOSA ops on tensors of one shape.
  if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResultTypes()[0]))
    return nullptr;
  Type resultType = op->getResultTypes()[0];
  SmallVector<std::optional<unsigned>> variableIndex;
  SmallVector<double> constants;
  for (Value operand : op->getOperands()) {
    auto variable = llvm::find(variables, operand);
    if (variable != variables.end()) {
      if (operand.getType() != resultType)
        return nullptr;
      variableIndex.push_back(variable - variables.begin());
      constants.push_back(0.0);
      continue;
    }
    std::optional<double> constant = getSplatConstant(operand);
    if (!constant)
      return nullptr;
    variableIndex.push_back(std::nullopt);
    constants.push_back(*constant);
  }
  // Probe: ops applyScalarOp does not know yield nullopt here.
  SmallVector<double> probe(constants);
  if (!applyScalarOp(op, probe))
    return nullptr;
  return [op, variableIndex, constants](ArrayRef<double> point) {
    SmallVector<double> operands(constants);
    for (auto [i, index] : llvm::enumerate(variableIndex))
      if (index)
        operands[i] = point[*index];
    return applyScalarOp(op, operands);
  };
}
