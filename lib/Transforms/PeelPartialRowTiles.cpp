//===- PeelPartialRowTiles.cpp - Static tiles for dynamic row counts ------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-peel-partial-row-tiles: a row tile of a tensor with a dynamic row
// count has `affine.min(8, rows - i)` rows, so everything in it has dynamic
// shapes and norm-vectorize-row-outputs leaves it to LLVM (no vector
// stores, hence no streaming stores; per-tile buffers on the heap). The
// forall over the tiles is split into one over the full tiles, whose tile
// size is the constant 8 (static shapes after canonicalization), and one
// over the last, partial tile; a forall over rows and column tiles is split
// along each dimension whose trip count is dynamic.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMPEELPARTIALROWTILESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether `min`, directly in the body of `forall`, is the size of its tile
/// along dimension `dim`: `affine.min` of the constant `step` and other
/// expressions of that induction variable and values defined outside the
/// loop (what is left, `ub - iv`).
static bool isTileSize(affine::AffineMinOp min, scf::ForallOp forall,
                       unsigned dim, int64_t step) {
  if (min->getParentOp() != forall.getOperation())
    return false;
  int64_t constants = 0;
  for (AffineExpr result : min.getAffineMap().getResults()) {
    auto constant = dyn_cast<AffineConstantExpr>(result);
    if (!constant)
      continue;
    if (constant.getValue() != step)
      return false;
    ++constants;
  }
  Value iv = forall.getInductionVar(dim);
  bool usesInductionVar = false;
  for (Value operand : min.getOperands()) {
    if (operand == iv)
      usesInductionVar = true;
    else if (forall->isAncestor(operand.getParentBlock()->getParentOp()))
      return false;
  }
  return constants == 1 && usesInductionVar;
}

/// A forall like `forall` over [lb, ub) along dimension `dim`, with its
/// outputs replaced by `outputs` and its body cloned from `forall` with the
/// results of `sizes` replaced by the constant step of `dim` (none: the body
/// as it is).
static scf::ForallOp cloneWithBounds(RewriterBase &rewriter,
                                     scf::ForallOp forall, unsigned dim,
                                     OpFoldResult lb, OpFoldResult ub,
                                     ValueRange outputs,
                                     ArrayRef<affine::AffineMinOp> sizes) {
  Location loc = forall.getLoc();
  SmallVector<OpFoldResult> lbs = forall.getMixedLowerBound();
  SmallVector<OpFoldResult> ubs = forall.getMixedUpperBound();
  SmallVector<OpFoldResult> steps = forall.getMixedStep();
  lbs[dim] = lb;
  ubs[dim] = ub;
  auto clone = scf::ForallOp::create(rewriter, loc, lbs, ubs, steps, outputs,
                                     forall.getMapping());
  Block *body = clone.getBody();
  rewriter.eraseOp(body->getTerminator());
  IRMapping mapping;
  mapping.map(forall.getBody()->getArguments(), body->getArguments());
  rewriter.setInsertionPointToStart(body);
  if (!sizes.empty()) {
    Value full = arith::ConstantIndexOp::create(
        rewriter, loc, *getConstantIntValue(steps[dim]));
    for (affine::AffineMinOp size : sizes)
      mapping.map(size.getResult(), full);
  }
  for (Operation &op : forall.getBody()->getOperations())
    if (!llvm::is_contained(sizes, dyn_cast<affine::AffineMinOp>(&op)))
      rewriter.clone(op, mapping);
  return clone;
}

/// Splits `forall` along each of its dimensions from `dim` on whose trip
/// count is dynamic into the full tiles and the partial last tile, and
/// each part again along the later dimensions: row tiles of a dynamic row
/// count, and column tiles of a dynamic pixel count (norm-tile-and-fuse-rows)
/// in a forall over (rows, pixels), which gives up to four foralls.
static void peel(RewriterBase &rewriter, scf::ForallOp forall, unsigned dim) {
  if (forall.getNumResults() == 0)
    return;
  for (unsigned d = dim, e = forall.getRank(); d < e; ++d) {
    std::optional<int64_t> step = getConstantIntValue(forall.getMixedStep()[d]);
    OpFoldResult lb = forall.getMixedLowerBound()[d];
    OpFoldResult ub = forall.getMixedUpperBound()[d];
    // Static trip counts need no peeling (tiling chose a dividing size or
    // the shapes are static anyway).
    if (!step || *step <= 1 || getConstantIntValue(ub))
      continue;
    SmallVector<affine::AffineMinOp> sizes;
    for (auto min : forall.getBody()->getOps<affine::AffineMinOp>())
      if (isTileSize(min, forall, d, *step))
        sizes.push_back(min);
    if (sizes.empty())
      continue;

    Location loc = forall.getLoc();
    rewriter.setInsertionPoint(forall);
    AffineExpr lower, upper;
    bindSymbols(rewriter.getContext(), lower, upper);
    OpFoldResult split = affine::makeComposedFoldedAffineApply(
        rewriter, loc, lower + (upper - lower).floorDiv(*step) * *step,
        {lb, ub});
    scf::ForallOp full = cloneWithBounds(rewriter, forall, d, lb, split,
                                         forall.getOutputs(), sizes);
    rewriter.setInsertionPoint(forall);
    scf::ForallOp last =
        cloneWithBounds(rewriter, forall, d, split, ub, full.getResults(), {});
    rewriter.replaceOp(forall, last.getResults());
    peel(rewriter, full, d + 1);
    peel(rewriter, last, d + 1);
    return;
  }
}

namespace {
struct PeelPartialRowTilesPass
    : public norm::impl::NormPeelPartialRowTilesPassBase<
          PeelPartialRowTilesPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> foralls;
    getOperation().walk(
        [&](scf::ForallOp forall) { foralls.push_back(forall); });
    IRRewriter rewriter(&getContext());
    for (scf::ForallOp forall : foralls)
      peel(rewriter, forall, /*dim=*/0);
  }
};
} // namespace
