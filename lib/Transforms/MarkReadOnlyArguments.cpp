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

/// The arguments of `func` that one of `roots` may alias.
static llvm::SmallBitVector
getAliasedArguments(func::FuncOp func, ArrayRef<Value> roots,
                    const bufferization::AnalysisState &state) {
  llvm::SmallBitVector arguments(func.getNumArguments());
  Block &entry = func.getBody().front();
  SetVector<Value> visited;
  SmallVector<Value> worklist;
  for (Value root : roots)
    if (isa<TensorType>(root.getType()) && visited.insert(root))
      worklist.push_back(root);
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(value);
        arg && arg.getOwner() == &entry) {
      arguments.set(arg.getArgNumber());
      continue;
    }
    for (Value aliased : getAliasedValues(value, state))
      if (isa<TensorType>(aliased.getType()) && visited.insert(aliased))
        worklist.push_back(aliased);
  }
  return arguments;
}

void MarkReadOnlyArgumentsPass::runOnOperation() {
  bufferization::BufferizationOptions options;
  bufferization::AnalysisState state(options);
  MLIRContext *context = &getContext();
  auto readOnly = BoolAttr::get(context, false);
  auto mayBeTied = UnitAttr::get(context);
  for (auto func : getOperation().getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    SmallVector<Value> returned, materialized;
    func.walk([&](Operation *op) {
      if (isa<func::ReturnOp>(op))
        llvm::append_range(returned, op->getOperands());
      if (auto materialize =
              dyn_cast<bufferization::MaterializeInDestinationOp>(op))
        materialized.push_back(materialize.getDest());
    });
    // A materialization writes its destination whether or not the result
    // is returned: that argument is an output by intent.
    llvm::SmallBitVector outputs =
        getAliasedArguments(func, materialized, state);
    llvm::SmallBitVector returnedAliases =
        getAliasedArguments(func, returned, state);
    // As is the argument a result was computed in as written
    // (norm-record-result-destinations), even if it no longer aliases it.
    if (auto destinations =
            func->getAttrOfType<DenseI64ArrayAttr>(kResultDestinationsAttrName))
      for (int64_t argument : destinations.asArrayRef())
        if (argument >= 0 &&
            argument < static_cast<int64_t>(returnedAliases.size()))
          returnedAliases.set(argument);
    for (auto [index, arg] : llvm::enumerate(func.getArguments())) {
      if (!isa<TensorType>(arg.getType()) || outputs.test(index) ||
          func.getArgAttr(
              index, bufferization::BufferizationDialect::kWritableAttrName))
        continue;
      // Whether such an argument is an output is known once the results
      // are tied to arguments, after bufferization.
      if (returnedAliases.test(index))
        func.setArgAttr(index, kMayBeTiedAttrName, mayBeTied);
      else
        func.setArgAttr(index,
                        bufferization::BufferizationDialect::kWritableAttrName,
                        readOnly);
    }
  }
}
