//===- MarkReadOnlyArguments.cpp - Inputs that bufferization must copy ----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-mark-read-only-arguments: the tensor arguments of public functions
// that no returned value can alias get `bufferization.writable = false`, so
// that one-shot bufferization copies them before writing them in place
// instead of writing over the caller's input.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMMARKREADONLYARGUMENTSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct MarkReadOnlyArgumentsPass
    : public norm::impl::NormMarkReadOnlyArgumentsPassBase<
          MarkReadOnlyArgumentsPass> {
  void runOnOperation() override;
};
} // namespace

/// The values that `value` may alias once bufferized in place, one step
/// back. A call's results are taken to alias all its tensor operands: its
/// interface needs the module analysis' state, which is not built here.
static SmallVector<Value>
getAliasedValues(Value value, const bufferization::AnalysisState &state) {
  SmallVector<Value> aliased;
  Operation *owner = isa<OpResult>(value)
                         ? value.getDefiningOp()
                         : cast<BlockArgument>(value).getOwner()->getParentOp();
  if (isa<CallOpInterface>(owner)) {
    for (Value operand : owner->getOperands())
      if (isa<TensorType>(operand.getType()))
        aliased.push_back(operand);
    return aliased;
  }
  for (const bufferization::AliasingOpOperand &alias :
       state.getAliasingOpOperands(value))
    aliased.push_back(alias.opOperand->get());
  return aliased;
}

/// The arguments of `func` that a returned value, or the destination of a
/// `bufferization.materialize_in_destination`, may alias.
static llvm::SmallBitVector
getDestinationArguments(func::FuncOp func,
                        const bufferization::AnalysisState &state) {
  llvm::SmallBitVector destinations(func.getNumArguments());
  Block &entry = func.getBody().front();
  SetVector<Value> visited;
  SmallVector<Value> worklist;
  auto add = [&](Value value) {
    if (isa<TensorType>(value.getType()) && visited.insert(value))
      worklist.push_back(value);
  };
  func.walk([&](Operation *op) {
    if (isa<func::ReturnOp>(op))
      llvm::for_each(op->getOperands(), add);
    // A materialization writes its destination whether or not the result
    // is returned: made read only, bufferization would reject it.
    if (auto materialize =
            dyn_cast<bufferization::MaterializeInDestinationOp>(op))
      add(materialize.getDest());
  });
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(value);
        arg && arg.getOwner() == &entry) {
      destinations.set(arg.getArgNumber());
      continue;
    }
    for (Value aliased : getAliasedValues(value, state))
      if (isa<TensorType>(aliased.getType()) && visited.insert(aliased))
        worklist.push_back(aliased);
  }
  return destinations;
}

void MarkReadOnlyArgumentsPass::runOnOperation() {
  bufferization::BufferizationOptions options;
  bufferization::AnalysisState state(options);
  auto readOnly = BoolAttr::get(&getContext(), false);
  for (auto func : getOperation().getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    llvm::SmallBitVector destinations = getDestinationArguments(func, state);
    for (auto [index, arg] : llvm::enumerate(func.getArguments()))
      if (isa<TensorType>(arg.getType()) && !destinations.test(index) &&
          !func.getArgAttr(
              index, bufferization::BufferizationDialect::kWritableAttrName))
        func.setArgAttr(index,
                        bufferization::BufferizationDialect::kWritableAttrName,
                        readOnly);
  }
}
