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
// over the last, partial tile.
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

/// Whether `min`, directly in the body of the 1-D `forall`, is the size of
/// its tile: `affine.min` of the constant `step` and other expressions of
/// the induction variable and values defined outside the loop (the rows
/// left, `ub - iv`).
static bool isTileSize(affine::AffineMinOp min, scf::ForallOp forall,
                       int64_t step) {
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
  Value iv = forall.getInductionVar(0);
  bool usesInductionVar = false;
  for (Value operand : min.getOperands()) {
    if (operand == iv)
      usesInductionVar = true;
    else if (forall->isAncestor(operand.getParentBlock()->getParentOp()))
      return false;
  }
  return constants == 1 && usesInductionVar;
}

/// A forall over [lb, ub) with `step` and `forall`'s outputs replaced by
/// `outputs`, its body cloned from `forall` with the results of `sizes`
/// replaced by the constant `step` (none: the body as it is).
static scf::ForallOp cloneWithBounds(RewriterBase &rewriter,
                                     scf::ForallOp forall, OpFoldResult lb,
                                     OpFoldResult ub, int64_t step,
                                     ValueRange outputs,
                                     ArrayRef<affine::AffineMinOp> sizes) {
  Location loc = forall.getLoc();
  auto clone = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{lb}, ArrayRef<OpFoldResult>{ub},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(step)}, outputs,
      forall.getMapping());
  Block *body = clone.getBody();
  rewriter.eraseOp(body->getTerminator());
  IRMapping mapping;
  mapping.map(forall.getBody()->getArguments(), body->getArguments());
  rewriter.setInsertionPointToStart(body);
  if (!sizes.empty()) {
    Value full = arith::ConstantIndexOp::create(rewriter, loc, step);
    for (affine::AffineMinOp size : sizes)
      mapping.map(size.getResult(), full);
  }
  for (Operation &op : forall.getBody()->getOperations())
    if (!llvm::is_contained(sizes, dyn_cast<affine::AffineMinOp>(&op)))
      rewriter.clone(op, mapping);
  return clone;
}

/// Splits the 1-D `forall` of row tiles into full tiles and the partial
/// last tile. Returns true if it did.
static bool peel(RewriterBase &rewriter, scf::ForallOp forall) {
  if (forall.getRank() != 1 || forall.getNumResults() == 0)
    return false;
  std::optional<int64_t> step = getConstantIntValue(forall.getMixedStep()[0]);
  OpFoldResult lb = forall.getMixedLowerBound()[0];
  OpFoldResult ub = forall.getMixedUpperBound()[0];
  // Static trip counts need no peeling (tiling chose a dividing size or
  // the shapes are static anyway).
  if (!step || *step <= 1 || getConstantIntValue(ub))
    return false;
  SmallVector<affine::AffineMinOp> sizes;
  for (auto min : forall.getBody()->getOps<affine::AffineMinOp>())
    if (isTileSize(min, forall, *step))
      sizes.push_back(min);
  if (sizes.empty())
    return false;

  Location loc = forall.getLoc();
  rewriter.setInsertionPoint(forall);
  AffineExpr lower, upper;
  bindSymbols(rewriter.getContext(), lower, upper);
  OpFoldResult split = affine::makeComposedFoldedAffineApply(
      rewriter, loc, lower + (upper - lower).floorDiv(*step) * *step, {lb, ub});
  scf::ForallOp full = cloneWithBounds(rewriter, forall, lb, split, *step,
                                       forall.getOutputs(), sizes);
  rewriter.setInsertionPoint(forall);
  scf::ForallOp last = cloneWithBounds(rewriter, forall, split, ub, *step,
                                       full.getResults(), {});
  rewriter.replaceOp(forall, last.getResults());
  return true;
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
      peel(rewriter, forall);
  }
};
} // namespace
