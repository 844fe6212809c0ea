//===- RecordResultDestinations.cpp - Destinations as written -------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-record-result-destinations: records, before anything folds, which
// argument each result of a public function is computed in (destination-
// passing style), so that norm-drop-tied-buffer-results can keep that
// argument the result's destination after optimizations changed the IR.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMRECORDRESULTDESTINATIONSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct RecordResultDestinationsPass
    : public norm::impl::NormRecordResultDestinationsPassBase<
          RecordResultDestinationsPass> {
  void runOnOperation() override;
};
} // namespace

/// The value that `value` is computed in, when that is certain: the init of
/// a destination-style op, or the one operand whose buffer a bufferizable op
/// (an insert_slice, a cast, a reshape) definitely gives it. Else null.
static Value getDestination(Value value,
                            const bufferization::AnalysisState &state) {
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return {};
  Operation *owner = result.getOwner();
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(owner))
    return dps.getTiedOpOperand(result)->get();
  // A call's aliasing needs the module analysis' state, not built here.
  if (isa<CallOpInterface>(owner) ||
      !state.getOptions().dynCastBufferizableOp(owner))
    return {};
  bufferization::AliasingOpOperandList aliases =
      state.getAliasingOpOperands(result);
  if (aliases.getNumAliases() != 1)
    return {};
  const bufferization::AliasingOpOperand &alias = *aliases.begin();
  if (alias.relation != bufferization::BufferRelation::Equivalent ||
      !alias.isDefinite)
    return {};
  return alias.opOperand->get();
}

/// The argument of `func` that `value` is computed in, with the same type,
/// or -1.
static int64_t
getDestinationArgument(func::FuncOp func, Value value,
                       const bufferization::AnalysisState &state) {
  Type type = value.getType();
  Block &entry = func.getBody().front();
  for (Value source = value; source; source = getDestination(source, state)) {
    auto arg = dyn_cast<BlockArgument>(source);
    if (!arg)
      continue;
    if (arg.getOwner() != &entry || arg.getType() != type)
      return -1;
    // An argument the caller made read only is an input.
    auto writable = func.getArgAttrOfType<BoolAttr>(
        arg.getArgNumber(),
        bufferization::BufferizationDialect::kWritableAttrName);
    if (writable && !writable.getValue())
      return -1;
    return arg.getArgNumber();
  }
  return -1;
}

void RecordResultDestinationsPass::runOnOperation() {
  bufferization::BufferizationOptions options;
  bufferization::AnalysisState state(options);
  for (auto func : getOperation().getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate() || func.getNumResults() == 0 ||
        !func.getBody().hasOneBlock())
      continue;
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    SmallVector<int64_t> destinations;
    for (Value operand : ret.getOperands())
      destinations.push_back(isa<RankedTensorType>(operand.getType())
                                 ? getDestinationArgument(func, operand, state)
                                 : -1);
    if (llvm::any_of(destinations, [](int64_t arg) { return arg >= 0; }))
      func->setAttr(kResultDestinationsAttrName,
                    DenseI64ArrayAttr::get(&getContext(), destinations));
  }
}
