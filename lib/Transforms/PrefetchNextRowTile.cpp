//===- PrefetchNextRowTile.cpp - Overlap a tile's math with the next read -===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-prefetch-next-row-tile: a row tile is read from memory by its
// statistics loops, then normalized from cache. With an activation such as
// GELU the normalization is compute-bound and memory idles; prefetching the
// next tile's row (into L2) from the normalization loop overlaps the two.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMPREFETCHNEXTROWTILEPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Floating-point vector operations in the body of `loop` (not nested).
static int64_t countVectorArithmetic(scf::ForOp loop) {
  int64_t count = 0;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) ||
        op.getNumResults() != 1)
      continue;
    auto type = dyn_cast<VectorType>(op.getResult(0).getType());
    if (type && isa<FloatType>(type.getElementType()))
      ++count;
  }
  return count;
}

/// A vector.load of a row tile: its memref, through unit-stride subviews
/// of the same rank, comes from a buffer that is not local (a function
/// argument or a view of one), and the offset of one of those subviews is
/// the induction variable of the enclosing `tiles` loop.
struct TileLoad {
  Value root;
  /// Per dimension of `root`: the load's index and the subview offsets
  /// that add up to the index into `root`.
  SmallVector<SmallVector<OpFoldResult>> terms;
  /// The dimension of `root` that the tile loop steps through, and its step.
  unsigned tiledDim = 0;
  int64_t step = 0;
};

/// Matches `load` (builds no IR).
static std::optional<TileLoad> matchTileLoad(vector::LoadOp load,
                                             scf::ParallelOp tiles) {
  TileLoad match;
  match.root = load.getBase();
  for (OpFoldResult index : getAsOpFoldResult(load.getIndices()))
    match.terms.push_back({index});
  int64_t rank = load.getMemRefType().getRank();
  std::optional<unsigned> tiledDim;
  while (auto subview = match.root.getDefiningOp<memref::SubViewOp>()) {
    if (subview.getSourceType().getRank() != rank ||
        !llvm::all_of(subview.getMixedStrides(), isOneInteger))
      return std::nullopt;
    for (auto [dim, offset] : llvm::enumerate(subview.getMixedOffsets())) {
      for (auto [iv, step] :
           llvm::zip(tiles.getInductionVars(), tiles.getStep())) {
        std::optional<int64_t> constantStep = getConstantIntValue(step);
        if (dyn_cast<Value>(offset) == iv && constantStep) {
          tiledDim = dim;
          match.step = *constantStep;
        }
      }
      match.terms[dim].push_back(offset);
    }
    match.root = subview.getSource();
  }
  if (!tiledDim || match.step <= 0 ||
      isa_and_present<memref::AllocOp, memref::AllocaOp>(
          match.root.getDefiningOp()))
    return std::nullopt;
  match.tiledDim = *tiledDim;
  return match;
}

/// A prefetch of the element that `match`'s load reads, one tile step
/// further along the tiled dimension and clamped to its last index (the
/// last tile prefetches its own rows again).
static void createNextTilePrefetch(RewriterBase &rewriter, Location loc,
                                   const TileLoad &match, unsigned locality) {
  MLIRContext *context = rewriter.getContext();
  SmallVector<Value> indices;
  for (auto [dim, terms] : llvm::enumerate(match.terms)) {
    AffineExpr sum = getAffineConstantExpr(0, context);
    for (unsigned k = 0; k < terms.size(); ++k)
      sum = sum + getAffineSymbolExpr(k, context);
    if (dim != match.tiledDim) {
      indices.push_back(getValueOrCreateConstantIndexOp(
          rewriter, loc,
          affine::makeComposedFoldedAffineApply(rewriter, loc, sum, terms)));
      continue;
    }
    SmallVector<OpFoldResult> operands(terms);
    operands.push_back(
        memref::getMixedSize(rewriter, loc, match.root, match.tiledDim));
    AffineExpr last = getAffineSymbolExpr(terms.size(), context);
    indices.push_back(affine::makeComposedAffineMin(
        rewriter, loc,
        AffineMap::get(0, operands.size(), {sum + match.step, last - 1},
                       context),
        operands));
  }
  memref::PrefetchOp::create(rewriter, loc, match.root, indices,
                             /*isWrite=*/false, locality,
                             /*isDataCache=*/true);
}

/// Whether the address `match` reads depends on `loop`'s iterations: one of
/// its index terms (load indices, subview offsets) is defined in the loop.
static bool movesWithLoop(const TileLoad &match, scf::ForOp loop) {
  return llvm::any_of(match.terms, [&](ArrayRef<OpFoldResult> terms) {
    return llvm::any_of(terms, [&](OpFoldResult term) {
      auto value = dyn_cast<Value>(term);
      return value && !loop.isDefinedOutsideOfLoop(value);
    });
  });
}

namespace {
struct PrefetchNextRowTilePass
    : public norm::impl::NormPrefetchNextRowTilePassBase<
          PrefetchNextRowTilePass> {
  using Base::Base;

  void runOnOperation() override {
    // memref.prefetch takes a locality hint of 0 to 3 (LLVM's prefetch).
    if (locality > 3) {
      getOperation().emitError()
          << "norm-prefetch-next-row-tile: locality must be 0 to 3, not "
          << locality.getValue();
      return signalPassFailure();
    }
    if (minOpsPerStore <= 0)
      return;
    // The normalization loops: innermost scf.for loops with non-temporal
    // vector stores (the row outputs) inside a loop over row tiles.
    SmallVector<std::pair<scf::ForOp, scf::ParallelOp>> loops;
    getOperation().walk([&](scf::ForOp loop) {
      auto tiles = loop->getParentOfType<scf::ParallelOp>();
      if (!tiles)
        return;
      int64_t stores = 0;
      for (auto store : loop.getBody()->getOps<vector::StoreOp>())
        stores += store.getNontemporal() ? 1 : 0;
      if (stores > 0 && countVectorArithmetic(loop) >= minOpsPerStore * stores)
        loops.push_back({loop, tiles});
    });

    IRRewriter rewriter(&getContext());
    for (auto [loop, tiles] : loops) {
      SmallVector<vector::LoadOp> loads(
          loop.getBody()->getOps<vector::LoadOp>());
      for (vector::LoadOp load : loads) {
        if (load.getMemRefType().getRank() < 2)
          continue;
        std::optional<TileLoad> match = matchTileLoad(load, tiles);
        // A load at the same address in every iteration (GroupNorm's
        // weight and bias per channel) is no stream: prefetching it again
        // each iteration only takes load slots.
        if (!match || !movesWithLoop(*match, loop))
          continue;
        rewriter.setInsertionPoint(load);
        createNextTilePrefetch(rewriter, load.getLoc(), *match, locality);
      }
    }
  }
};
} // namespace
