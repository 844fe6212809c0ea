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
// destination; and `materialize_in_destination (expand_shape %v) in %dest`
// alike, with the destination collapsed; repeated through a chain of
// reshapes.
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
/// source is computed in. Returns the new materialization, or null if `op`
/// was left alone.
static bufferization::MaterializeInDestinationOp
sinkCollapse(RewriterBase &rewriter,
             bufferization::MaterializeInDestinationOp op) {
  auto collapse = op.getSource().getDefiningOp<tensor::CollapseShapeOp>();
  Value dest = op.getDest();
  if (!collapse || !isa<RankedTensorType>(dest.getType()) ||
      dest.getType() != collapse.getResultType())
    return nullptr;
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
    return nullptr;
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
  return materialized;
}

/// The same for an expand_shape that feeds `op` (a linalg op whose loops
/// norm-collapse-inner-dims merged): the destination is collapsed, which a
/// tensor always can be. Returns the new materialization, or null.
static bufferization::MaterializeInDestinationOp
sinkExpand(RewriterBase &rewriter,
           bufferization::MaterializeInDestinationOp op) {
  auto expand = op.getSource().getDefiningOp<tensor::ExpandShapeOp>();
  Value dest = op.getDest();
  if (!expand || !isa<RankedTensorType>(dest.getType()) ||
      dest.getType() != expand.getResultType())
    return nullptr;
  SmallVector<ReassociationIndices> reassociation =
      expand.getReassociationIndices();

  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointAfterValue(dest);
  Location loc = op.getLoc();
  Value collapsed = tensor::CollapseShapeOp::create(
      rewriter, loc, expand.getSrcType(), dest, reassociation);

  rewriter.setInsertionPoint(op);
  auto materialized = bufferization::MaterializeInDestinationOp::create(
      rewriter, loc, expand.getSrcType(), expand.getSrc(), collapsed);
  materialized.setRestrict(op.getRestrict());
  materialized.setWritable(op.getWritable());
  // The destination's own sizes (not the expansion's, which may come from
  // another operand of the same shape): norm-drop-tied-buffer-results then
  // sees the result as the destination.
  Value result = tensor::ExpandShapeOp::create(
      rewriter, loc, op.getType(), materialized.getResult(), reassociation,
      tensor::getMixedSizes(rewriter, loc, dest));
  rewriter.replaceOp(op, result);
  return materialized;
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
    // Through every reshape of a chain: GroupNorm's result is computed
    // with its channels split into groups and its pixels collapsed
    // (norm-collapse-inner-dims), then expanded and collapsed back.
    for (bufferization::MaterializeInDestinationOp op : ops) {
      while (op) {
        bufferization::MaterializeInDestinationOp next =
            sinkCollapse(rewriter, op);
        op = next ? next : sinkExpand(rewriter, op);
      }
    }
  }
};
} // namespace
