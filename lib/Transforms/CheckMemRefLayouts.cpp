//===- CheckMemRefLayouts.cpp - Reject non-strided memref layouts ---------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-check-memref-layouts: a located error for each memref of a function
// argument, a bufferization.to_tensor or a materialize_in_destination whose
// layout is not strided.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKMEMREFLAYOUTSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether `type` is a memref whose layout no strides describe.
static bool hasNonStridedLayout(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && !memref.isStrided();
}

/// Whether `value` is reported elsewhere: an argument of its function.
static bool isFunctionArgument(Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  return arg && isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
}

namespace {
struct CheckMemRefLayoutsPass
    : public norm::impl::NormCheckMemRefLayoutsPassBase<
          CheckMemRefLayoutsPass> {
  void runOnOperation() override {
    bool failed = false;
    auto report = [&](Location loc, Type type, const Twine &what) {
      emitError(loc) << what << " has type " << type
                     << ", whose layout is not strided; norm-lower-to-cpu "
                        "takes strided layouts only";
      failed = true;
    };
    getOperation()->walk([&](Operation *op) {
      if (auto function = dyn_cast<FunctionOpInterface>(op)) {
        if (function.isExternal())
          return;
        for (BlockArgument arg : function.getArguments())
          if (hasNonStridedLayout(arg.getType()))
            report(arg.getLoc(), arg.getType(),
                   "argument #" + Twine(arg.getArgNumber()) + " of @" +
                       function.getName());
        return;
      }
      if (auto toTensor = dyn_cast<bufferization::ToTensorOp>(op)) {
        if (hasNonStridedLayout(toTensor.getBuffer().getType()) &&
            !isFunctionArgument(toTensor.getBuffer()))
          report(op->getLoc(), toTensor.getBuffer().getType(),
                 "the buffer of bufferization.to_tensor");
        return;
      }
      if (auto materialize =
              dyn_cast<bufferization::MaterializeInDestinationOp>(op))
        if (hasNonStridedLayout(materialize.getDest().getType()) &&
            !isFunctionArgument(materialize.getDest()))
          report(op->getLoc(), materialize.getDest().getType(),
                 "the destination of bufferization.materialize_in_destination");
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
