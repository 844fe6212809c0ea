//===- FusionReport.cpp - Count intermediates and bytes moved -------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// An analysis that prints, per function, how many tensors linalg ops hand
// to each other (each one materialized unless a later pass fuses the
// loops) and how many bytes the linalg ops read and write, so that fusion
// can be measured by running it before and after.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSIONREPORTPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
/// A byte count that may be unknown (a dynamic shape).
struct Bytes {
  int64_t value = 0;
  bool dynamic = false;

  void add(Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped)
      return;
    Type element = shaped.getElementType();
    if (!shaped.hasStaticShape() || !element.isIntOrIndexOrFloat()) {
      dynamic = true;
      return;
    }
    unsigned bits = element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
    value += shaped.getNumElements() * ((bits + 7) / 8);
  }
};

llvm::raw_ostream &operator<<(llvm::raw_ostream &os, const Bytes &bytes) {
  if (bytes.dynamic)
    return os << "dynamic";
  return os << bytes.value;
}
} // namespace

/// Whether `value` is read by a linalg op, directly or through reshapes and
/// casts (views of the same data).
static bool feedsLinalg(Value value) {
  for (Operation *user : value.getUsers()) {
    if (isa<linalg::LinalgOp>(user))
      return true;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(
            user) &&
        feedsLinalg(user->getResult(0)))
      return true;
  }
  return false;
}

namespace {
struct NormFusionReportPass
    : norm::impl::NormFusionReportPassBase<NormFusionReportPass> {
  void runOnOperation() override {
    getOperation()->walk([&](FunctionOpInterface function) {
      if (!function.isExternal())
        report(function);
    });
    markAllAnalysesPreserved();
  }

  void report(FunctionOpInterface function) {
    int64_t numOps = 0, numIntermediates = 0, numNormOps = 0;
    Bytes intermediateBytes, moved;
    function->walk([&](Operation *op) {
      if (isa_and_nonnull<NormDialect>(op->getDialect()))
        ++numNormOps;
      auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
      if (!linalgOp)
        return;
      ++numOps;
      for (OpOperand *input : linalgOp.getDpsInputOperands())
        moved.add(input->get().getType());
      for (OpOperand &init : linalgOp.getDpsInitsMutable()) {
        // Written, and read too when the payload uses it (accumulators).
        moved.add(init.get().getType());
        if (linalgOp.payloadUsesValueFromOperand(&init))
          moved.add(init.get().getType());
      }
      for (Value result : op->getResults()) {
        if (!feedsLinalg(result))
          continue;
        ++numIntermediates;
        intermediateBytes.add(result.getType());
      }
    });
    llvm::outs() << "fusion report @" << function.getName() << ": " << numOps
                 << " linalg ops, " << numIntermediates << " intermediates ("
                 << intermediateBytes << " bytes), bytes moved " << moved;
    if (numNormOps)
      llvm::outs() << ", " << numNormOps << " norm ops not lowered";
    llvm::outs() << "\n";
  }
};
} // namespace
