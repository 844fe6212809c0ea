//===- FusionUtils.cpp - Helpers shared by the fusion passes --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/VectorInterfaces.h"

#include <memory>

using namespace mlir;
using namespace mlir::norm;

bool mlir::norm::isElementwiseLinalg(linalg::LinalgOp op, bool identityMaps) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      op.getNumDpsInits() != 1)
    return false;
  if (op.getNumParallelLoops() != op.getNumLoops())
    return false;
  return !identityMaps ||
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap map) { return map.isIdentity(); });
}

/// The largest finite value of the element type of `type`.
static double getMaxMagnitude(Type type) {
  auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
  if (!floatType)
    return std::numeric_limits<double>::infinity();
  return APFloat::getLargest(floatType.getFloatSemantics()).convertToDouble();
}

/// The match tolerance of a function with results of `type`: 1e-6, or the
/// unit roundoff of a float type with fewer than 21 significand bits.
static double getMatchTolerance(Type type) {
  auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
  if (!floatType)
    return 1e-6;
  return std::max(
      1e-6, std::ldexp(1.0, -static_cast<int>(floatType.getFPMantissaWidth())));
}

/// The function computed by an elementwise linalg op's payload.
static ElementwiseFunction getLinalgFunction(linalg::LinalgOp op,
                                             ArrayRef<Value> variables,
                                             bool identityMaps) {
  if (!isElementwiseLinalg(op, /*identityMaps=*/false))
    return {};
  Block *body = op.getBlock();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  auto function = std::make_shared<ScalarFunction>(yield.getOperand(0));
  for (OpOperand &operand : op->getOpOperands()) {
    BlockArgument arg = op.getMatchingBlockArgument(&operand);
    bool identity = op.getMatchingIndexingMap(&operand).isIdentity();
    auto variable = llvm::find(variables, operand.get());
    if (variable != variables.end()) {
      if (identityMaps && !identity)
        return {};
      function->bindVariable(arg, variable - variables.begin());
      continue;
    }
    // The init of an elementwise op is usually not read; if it is, it must
    // be a splat constant like any other operand.
    if (op.isDpsInit(&operand)) {
      if (identityMaps && !identity)
        return {};
      if (arg.use_empty())
        continue;
    }
    // A splat constant is the same at every point, broadcast or not.
    std::optional<double> constant = getSplatConstant(operand.get());
    if (!constant)
      return {};
    function->bindConstant(arg, *constant);
  }
  if (!function->isSupported())
    return {};
  ElementwiseFunction result;
  result.evaluate = [function](ArrayRef<double> point) {
    return function->evaluate(point);
  };
  result.maxMagnitude = getMaxMagnitude(yield.getOperand(0).getType());
  result.tolerance = getMatchTolerance(yield.getOperand(0).getType());
  if (variables.size() == 1)
    result.branchPoints = function->getBranchPoints();
  return result;
}

ElementwiseFunction
mlir::norm::getElementwiseFunction(Operation *op, ArrayRef<Value> variables,
                                   bool identityMaps) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return getLinalgFunction(linalgOp, variables, identityMaps);
  // Elementwise arith/math/TOSA ops on tensors of one shape.
  if (op->getNumResults() != 1 ||
      !isa<RankedTensorType>(op->getResultTypes()[0]))
    return {};
  Type resultType = op->getResultTypes()[0];
  SmallVector<std::optional<unsigned>> variableIndex;
  SmallVector<double> constants;
  for (Value operand : op->getOperands()) {
    auto variable = llvm::find(variables, operand);
    if (variable != variables.end()) {
      if (operand.getType() != resultType)
        return {};
      variableIndex.push_back(variable - variables.begin());
      constants.push_back(0.0);
      continue;
    }
    std::optional<double> constant = getSplatConstant(operand);
    if (!constant)
      return {};
    variableIndex.push_back(std::nullopt);
    constants.push_back(*constant);
  }
  // Probe: ops applyScalarOp does not know yield nullopt here.
  SmallVector<double> probe(constants);
  if (!applyScalarOp(op, probe))
    return {};
  ElementwiseFunction result;
  result.maxMagnitude = getMaxMagnitude(resultType);
  result.tolerance = getMatchTolerance(resultType);
  result.evaluate = [op, variableIndex, constants](ArrayRef<double> point) {
    SmallVector<double> operands(constants);
    for (auto [i, index] : llvm::enumerate(variableIndex))
      if (index)
        operands[i] = point[*index];
    return applyScalarOp(op, operands);
  };
  if (variables.size() == 1) {
    // An operand is the variable itself or a constant.
    auto pieceAt = [&](Value operand,
                       double) -> std::optional<std::pair<double, double>> {
      unsigned i =
          llvm::find(op->getOperands(), operand) - op->getOperands().begin();
      return variableIndex[i] ? std::make_pair(1.0, 0.0)
                              : std::make_pair(0.0, constants[i]);
    };
    SmallVector<double> points;
    if (succeeded(appendBranchPoints(op, pieceAt, points)))
      result.branchPoints = std::move(points);
  }
  return result;
}

/// The dimensions that `map` (of a broadcast operand) keeps, if it is a
/// projection that keeps them in order.
static std::optional<SmallVector<int64_t>> getKeptDims(AffineMap map) {
  if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
    return std::nullopt;
  SmallVector<int64_t> dims;
  for (AffineExpr expr : map.getResults())
    dims.push_back(cast<AffineDimExpr>(expr).getPosition());
  if (!llvm::is_sorted(dims))
    return std::nullopt;
  return dims;
}

/// The bias added to `value` by `add` and the dimensions it is indexed by.
std::optional<std::pair<Value, SmallVector<int64_t>>>
mlir::norm::matchBroadcastBiasAdd(Operation *add, Value value) {
  if (add->getNumResults() != 1 ||
      add->getResult(0).getType() != value.getType())
    return std::nullopt;
  Value bias;
  SmallVector<int64_t> dims;
  Value broadcastOperand;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(add);
  if (linalgOp && !isa<linalg::AddOp>(add)) {
    // linalg.generic(value, bias) with the bias broadcast by its map.
    if (linalgOp.getNumDpsInputs() != 2 ||
        !isElementwiseLinalg(linalgOp, /*identityMaps=*/false))
      return std::nullopt;
    for (OpOperand *operand : linalgOp.getDpsInputOperands()) {
      AffineMap map = linalgOp.getMatchingIndexingMap(operand);
      if (operand->get() == value) {
        if (!map.isIdentity())
          return std::nullopt;
        continue;
      }
      std::optional<SmallVector<int64_t>> kept = getKeptDims(map);
      if (!kept)
        return std::nullopt;
      bias = operand->get();
      dims = *kept;
    }
    if (!bias || !linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0))
                      .isIdentity())
      return std::nullopt;
    auto function =
        getElementwiseFunction(add, {value, bias}, /*identityMaps=*/false);
    if (!function || !isAddition([&](double a, double b) {
          return function.evaluate(ArrayRef<double>{a, b});
        }))
      return std::nullopt;
    return std::make_pair(bias, dims);
  }
  // linalg.add / arith.addf of the value and a linalg.broadcast of the bias.
  SmallVector<Value> operands =
      linalgOp ? SmallVector<Value>(linalgOp.getDpsInputs())
               : SmallVector<Value>(add->getOperands());
  if (!isa<linalg::AddOp, arith::AddFOp>(add) || operands.size() != 2)
    return std::nullopt;
  broadcastOperand = operands[0] == value ? operands[1] : operands[0];
  if (operands[0] != value && operands[1] != value)
    return std::nullopt;
  auto broadcast = broadcastOperand.getDefiningOp<linalg::BroadcastOp>();
  if (!broadcast)
    return std::nullopt;
  int64_t rank = cast<RankedTensorType>(value.getType()).getRank();
  for (int64_t dim = 0; dim < rank; ++dim)
    if (!llvm::is_contained(broadcast.getDimensions(), dim))
      dims.push_back(dim);
  return std::make_pair(broadcast.getInput(), dims);
}

std::optional<SmallVector<double>>
mlir::norm::getConstantElements(Value value) {
  DenseElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  if (!isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  SmallVector<double> values;
  values.reserve(attr.getNumElements());
  for (APFloat element : attr.getValues<APFloat>())
    values.push_back(toDouble(element));
  return values;
}

double mlir::norm::toDouble(APFloat value) {
  bool losesInfo = false;
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value.convertToDouble();
}

DenseElementsAttr mlir::norm::getFloatElementsAttr(RankedTensorType type,
                                                   ArrayRef<double> values) {
  auto elementType = cast<FloatType>(type.getElementType());
  SmallVector<APFloat> elements;
  elements.reserve(values.size());
  for (double value : values) {
    APFloat element(value);
    bool losesInfo = false;
    element.convert(elementType.getFloatSemantics(),
                    APFloat::rmNearestTiesToEven, &losesInfo);
    elements.push_back(element);
  }
  return DenseElementsAttr::get(type, elements);
}

bool mlir::norm::isLowPrecisionFloat(Type type) {
  return isa<Float16Type, BFloat16Type>(getElementTypeOrSelf(type));
}

// The two addends of `sum` when it is an elementwise add of two tensors of
// its own type.
std::optional<std::pair<Value, Value>>
mlir::norm::matchElementwiseAdd(Value sum) {
  Operation *def = sum.getDefiningOp();
  if (!def || def->getNumResults() != 1)
    return std::nullopt;
  SmallVector<Value> addends;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def)) {
    if (linalgOp.getNumDpsInputs() != 2)
      return std::nullopt;
    addends = linalgOp.getDpsInputs();
  } else {
    if (def->getNumOperands() != 2)
      return std::nullopt;
    addends = llvm::to_vector(def->getOperands());
  }
  if (addends[0] == addends[1] || llvm::any_of(addends, [&](Value v) {
        return v.getType() != sum.getType();
      }))
    return std::nullopt;
  auto function = getElementwiseFunction(def, addends);
  if (!function || !isAddition([&](double a, double b) {
        return function.evaluate(ArrayRef<double>{a, b});
      }))
    return std::nullopt;
  return std::make_pair(addends[0], addends[1]);
}
