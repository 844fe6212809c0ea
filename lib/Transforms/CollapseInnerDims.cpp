//===- CollapseInnerDims.cpp - Innermost loops long enough for vectors ----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-collapse-inner-dims: merges the innermost loops of a linalg.generic
// on tensors (BatchNorm's H and W in NCHW, 56 x 56) into one loop whose
// range is a multiple of the vector size (3136 = 196 x 16), or, of run-time
// size, one plane, through upstream's linalg::collapseOpIterationDims.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCOLLAPSEINNERDIMSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The shortest run of innermost loops [first, numLoops) of `op` whose
/// product is a multiple of `vectorSize`, all static, of one iterator type
/// and contiguous in every indexing map, and without the outermost loop
/// (with a dynamic innermost range: the longest such run, of any ranges);
/// std::nullopt when the innermost range already is a multiple, or no such
/// run exists. The outermost loop is the rows that norm-tile-and-fuse-rows
/// tiles: merged into a run, the op could no longer be fused into the row
/// tiles of its consumers (LayerNorm2d's mean per pixel, [32, 14 x 14],
/// became one loop of 6272, and the statistics were computed in passes of
/// their own over the whole input).
static std::optional<ReassociationIndices>
innerDimsToCollapse(linalg::GenericOp op, int64_t vectorSize) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  int64_t numLoops = ranges.size();
  // Upstream's collapse rewrites constant map results as loop dimensions
  // ((d0, d1, 0, 0) of a keepdim reduction became (d0, d1, d0, d0)).
  if (!llvm::all_of(maps,
                    [](AffineMap map) { return map.isProjectedPermutation(); }))
    return std::nullopt;
  if (numLoops < 2)
    return std::nullopt;
  // A dynamic innermost range (an image of run-time size): the longest run
  // of loops after the outermost, so that a row of the vectorized op is a
  // whole plane (H x W) rather than one image row with a masked remainder
  // each. Only an op whose direct neighbours along the run are no linalg
  // ops: collapsed next to an uncollapsed producer or consumer, it would be
  // separated from it by a reshape, through which norm-tile-and-fuse-rows
  // does not fuse (a transformer's [?, ?, ?] residual add, whose RMSNorm
  // does not collapse [S, D]). A reshape neighbour is no such loss (group
  // norm's groups: whatever is behind the reshape was not fused through it
  // either).
  if (ShapedType::isDynamic(ranges.back())) {
    auto isLinalg = [](Operation *other) {
      return isa_and_present<linalg::LinalgOp>(other);
    };
    if (llvm::any_of(op->getUsers(), isLinalg))
      return std::nullopt;
    ReassociationIndices run = {numLoops - 1};
    for (int64_t dim = numLoops - 2; dim >= 1; --dim) {
      if (iterators[dim] != iterators.back())
        break;
      ReassociationIndices longer = run;
      longer.insert(longer.begin(), dim);
      if (!linalg::areDimSequencesPreserved(maps, {longer}))
        break;
      run = std::move(longer);
    }
    if (run.size() < 2)
      return std::nullopt;
    for (OpOperand &operand : op->getOpOperands()) {
      AffineMap map = op.getMatchingIndexingMap(&operand);
      if (llvm::any_of(run,
                       [&](int64_t dim) { return map.isFunctionOfDim(dim); }) &&
          isLinalg(operand.get().getDefiningOp()))
        return std::nullopt;
    }
    return run;
  }
  if (ranges.back() % vectorSize == 0)
    return std::nullopt;
  int64_t product = ranges.back();
  ReassociationIndices run = {numLoops - 1};
  for (int64_t dim = numLoops - 2; dim >= 1; --dim) {
    if (ShapedType::isDynamic(ranges[dim]) ||
        iterators[dim] != iterators.back())
      return std::nullopt;
    run.insert(run.begin(), dim);
    if (!linalg::areDimSequencesPreserved(maps, {run}))
      return std::nullopt;
    product *= ranges[dim];
    if (product % vectorSize == 0)
      return run;
  }
  return std::nullopt;
}

namespace {
struct CollapseInnerDimsPass
    : public norm::impl::NormCollapseInnerDimsPassBase<CollapseInnerDimsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorSize <= 1)
      return;
    SmallVector<linalg::GenericOp> ops;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op.hasPureTensorSemantics())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    bool changed = false;
    for (linalg::GenericOp op : ops) {
      std::optional<ReassociationIndices> run =
          innerDimsToCollapse(op, vectorSize);
      if (!run)
        continue;
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::CollapseResult> collapsed =
          linalg::collapseOpIterationDims(op, {*run}, rewriter);
      if (failed(collapsed))
        continue;
      rewriter.replaceOp(op, collapsed->results);
      changed = true;
    }
    if (!changed)
      return;
    // A collapsed tensor.empty as a new tensor.empty, so that
    // eliminate-empty-tensors can find the destination it stands for.
    RewritePatternSet patterns(&getContext());
    tensor::populateFoldTensorEmptyPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
