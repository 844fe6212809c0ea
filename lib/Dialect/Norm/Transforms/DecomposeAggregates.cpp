//===- DecomposeAggregates.cpp - linalg aggregates into generics ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-decompose-aggregates: rewrites linalg ops implementing
// AggregatedOpInterface (the linalg.softmax that norm-raise creates) into
// their upstream decomposition, refusing the operands that the
// decomposition would mishandle.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMDECOMPOSEAGGREGATESPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {
struct NormDecomposeAggregatesPass
    : norm::impl::NormDecomposeAggregatesPassBase<NormDecomposeAggregatesPass> {
  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> aggregates;
    getOperation()->walk(
        [&](linalg::AggregatedOpInterface op) { aggregates.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : aggregates) {
      // Upstream's decompositions assume float tensors: on buffers
      // linalg.softmax decomposes into invalid IR, and with integer elements
      // it crashes (getIdentityValueAttr casts the type to FloatType).
      auto dps = dyn_cast<DestinationStyleOpInterface>(op.getOperation());
      bool floatTensors = dps && dps.hasPureTensorSemantics();
      for (Type type : op->getOperandTypes())
        floatTensors &= isa<FloatType>(getElementTypeOrSelf(type));
      if (!floatTensors) {
        op->emitOpError("could not be decomposed: only aggregates on tensors "
                        "of floating-point elements are supported");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> results = op.decomposeOperation(rewriter);
      if (failed(results)) {
        op->emitOpError("could not be decomposed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *results);
    }
  }
};
} // namespace
