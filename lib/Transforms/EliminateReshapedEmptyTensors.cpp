//===- EliminateReshapedEmptyTensors.cpp - Destinations through reshapes --===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-eliminate-reshaped-empty-tensors: rewrites
// `materialize_in_destination (collapse_shape %v) in %dest` into
// `collapse_shape (materialize_in_destination %v in (expand_shape %dest))`,
// so that eliminate-empty-tensors, which follows values of one type only,
// can replace the tensor.empty that %v is computed in by the expanded
// destination.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMELIMINATERESHAPEDEMPTYTENSORSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Moves the collapse_shape that feeds `op` behind it, expanding the
/// destination instead. The expansion is created right after the
/// destination's definition, so that it dominates whatever tensor.empty the
/// source is computed in. Returns true if `op` was rewritten.
static bool sinkCollapse(RewriterBase &rewriter,
                         bufferization::MaterializeInDestinationOp op) {
  auto collapse = op.getSource().getDefiningOp<tensor::CollapseShapeOp>();
  Value dest = op.getDest();
  if (!collapse || !isa<RankedTensorType>(dest.getType()) ||
      dest.getType() != collapse.getResultType())
    return false;
  RankedTensorType expandedType = collapse.getSrcType();
  SmallVector<ReassociationIndices> reassociation =
      collapse.getReassociationIndices();

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfterValue(dest);
  Location loc = op.getLoc();
  std::optional<SmallVector<OpFoldResult>> outputShape =
      inferExpandShapeOutputShape(rewriter, loc, expandedType, reassociation,
                                  tensor::getMixedSizes(rewriter, loc, dest));
  if (!outputShape)
    return false;
  Value expanded = tensor::ExpandShapeOp::create(
      rewriter, loc, expandedType, dest, reassociation, *outputShape);

  rewriter.setInsertionPoint(op);
  auto materialized = bufferization::MaterializeInDestinationOp::create(
      rewriter, loc, expandedType, collapse.getSrc(), expanded);
  materialized.setRestrict(op.getRestrict());
  materialized.setWritable(op.getWritable());
  Value result = tensor::CollapseShapeOp::create(
      rewriter, loc, op.getType(), materialized.getResult(), reassociation);
  rewriter.replaceOp(op, result);
  return true;
}

namespace {
struct EliminateReshapedEmptyTensorsPass
    : public norm::impl::NormEliminateReshapedEmptyTensorsPassBase<
          EliminateReshapedEmptyTensorsPass> {
  void runOnOperation() override {
    SmallVector<bufferization::MaterializeInDestinationOp> ops;
    getOperation()->walk([&](bufferization::MaterializeInDestinationOp op) {
      ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (bufferization::MaterializeInDestinationOp op : ops)
      sinkCollapse(rewriter, op);
  }
};
} // namespace
