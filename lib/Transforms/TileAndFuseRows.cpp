//===- TileAndFuseRows.cpp - Row tiling with producer fusion --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-tile-and-fuse-rows: tiles the first parallel dimension of every root
// linalg op with scf.forall and fuses its producers into the tile.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMTILEANDFUSEROWSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct TileAndFuseRowsPass
    : public norm::impl::NormTileAndFuseRowsPassBase<TileAndFuseRowsPass> {
  using Base::Base;

  void runOnOperation() override;
};
} // namespace

/// A root is a linalg op on tensors whose results feed no other linalg op
/// (they are returned or inserted somewhere): tiling it pulls in the chain.
static bool isRoot(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() == 0)
    return false;
  for (Operation *user : op->getUsers())
    if (isa<linalg::LinalgOp>(user))
      return false;
  return true;
}

/// Whether `op` is a linalg op with a loop of static size zero. Upstream
/// tiling crashes (in linalg::computeTileSizes) when it fuses such a producer,
/// and there is nothing to tile in such a root.
static bool hasZeroSizedLoop(Operation *op) {
  auto linalgOp = dyn_cast_if_present<linalg::LinalgOp>(op);
  return linalgOp &&
         llvm::is_contained(linalgOp.getStaticLoopRanges(), int64_t{0});
}

/// Fuses a producer into the row tiles only if a tile reads part of it. A
/// tile that reads all of it (batch statistics reduced over the tiled rows,
/// consumed per channel by every tile) would recompute it once per tile;
/// such producers stay before the loop and run once.
static std::optional<scf::SCFTileAndFuseOptions::ControlFnResult>
fuseOnlyPartialSlices(tensor::ExtractSliceOp slice, OpResult producer,
                      bool isDestinationOperand) {
  if (hasZeroSizedLoop(producer.getOwner()))
    return std::nullopt;
  auto sourceType = cast<RankedTensorType>(slice.getSourceType());
  bool full = llvm::all_of(slice.getMixedOffsets(),
                           [](OpFoldResult o) { return isZeroInteger(o); });
  for (auto [dim, size] : llvm::enumerate(slice.getMixedSizes())) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    if (sourceType.isDynamicDim(dim)) {
      auto dimOp = dyn_cast_if_present<tensor::DimOp>(
          dyn_cast_if_present<Value>(size) ? cast<Value>(size).getDefiningOp()
                                           : nullptr);
      std::optional<int64_t> index =
          dimOp ? dimOp.getConstantIndex() : std::nullopt;
      full &= dimOp && dimOp.getSource() == slice.getSource() && index &&
              *index == static_cast<int64_t>(dim);
    } else {
      full &= constant && *constant == sourceType.getDimSize(dim);
    }
  }
  if (full && !isDestinationOperand)
    return std::nullopt;
  return scf::SCFTileAndFuseOptions::ControlFnResult{};
}

/// The tile size of a root's first parallel loop: `tileSize`, made smaller
/// when the loop is short so that there are at least `kMinTiles` tiles to
/// share among threads (GroupNorm's batch of 8 would otherwise be one tile).
static constexpr int64_t kMinTiles = 16;
static int64_t getRootTileSize(int64_t tileSize, int64_t loopSize) {
  if (ShapedType::isDynamic(loopSize))
    return tileSize;
  return std::max<int64_t>(
      1,
      std::min<int64_t>(tileSize, llvm::divideCeilSigned(loopSize, kMinTiles)));
}

/// Statistics left outside the row tiles (batch norm's per-channel sums,
/// reduced over the rows every tile reads) run in parallel over their own
/// parallel loops: each parallel loop is tiled by 1, except one that walks
/// the innermost (contiguous) dimension of the input, tiled by a cache
/// line so that no two threads share one. Per-element reduction order is
/// unchanged.
static LogicalResult tileStatistics(RewriterBase &rewriter,
                                    linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (!llvm::is_contained(iterators, utils::IteratorType::parallel) ||
      !llvm::is_contained(iterators, utils::IteratorType::reduction) ||
      op.getNumDpsInputs() == 0)
    return success();
  OpOperand *input = op.getDpsInputOperand(0);
  auto inputType = dyn_cast<RankedTensorType>(input->get().getType());
  if (!inputType || inputType.getRank() == 0 ||
      !inputType.getElementType().isIntOrFloat())
    return success();
  AffineMap inputMap = op.getMatchingIndexingMap(input);
  auto innermost = dyn_cast<AffineDimExpr>(inputMap.getResults().back());
  int64_t lineElements = std::max<int64_t>(
      1, 512 / inputType.getElementType().getIntOrFloatBitWidth());
  SmallVector<OpFoldResult> tileSizes;
  for (auto [dim, iterator] : llvm::enumerate(iterators)) {
    int64_t size = 0;
    if (iterator == utils::IteratorType::parallel)
      size = innermost && innermost.getPosition() == dim ? lineElements : 1;
    tileSizes.push_back(rewriter.getIndexAttr(size));
  }
  scf::SCFTilingOptions options;
  options.setTileSizes(tileSizes).setLoopType(
      scf::SCFTilingOptions::LoopType::ForallOp);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return op.emitOpError("failed to tile the statistics");
  rewriter.replaceOp(op, result->replacements);
  return success();
}

/// A root with fewer static iterations than this that reads the result of
/// a reduction (batch norm's running-mean update over 64 channels, reading
/// the batch mean) is not tiled: threads gain nothing on it, and its tiles
/// would fuse, that is recompute, the whole-tensor reduction.
static constexpr int64_t kMinRootIterations = 1024;
static bool isSmallRootOfReduction(linalg::LinalgOp op) {
  int64_t iterations = 1;
  for (int64_t size : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(size))
      return false;
    iterations *= size;
  }
  if (iterations >= kMinRootIterations)
    return false;
  SmallVector<Operation *> worklist = {op};
  llvm::SmallPtrSet<Operation *, 16> visited;
  while (!worklist.empty()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(worklist.pop_back_val());
    if (!linalgOp || !visited.insert(linalgOp).second)
      continue;
    if (linalgOp != op && linalgOp.getNumReductionLoops() > 0)
      return true;
    for (Value input : linalgOp.getDpsInputs())
      if (Operation *producer = input.getDefiningOp())
        worklist.push_back(producer);
  }
  return false;
}

void TileAndFuseRowsPass::runOnOperation() {
  if (tileSize <= 0)
    return;
  SmallVector<linalg::LinalgOp> roots;
  getOperation().walk([&](linalg::LinalgOp op) {
    // Do not re-tile what an enclosing loop already tiles.
    if (isRoot(op) && !op->getParentOfType<scf::ForallOp>() &&
        !hasZeroSizedLoop(op) && !isSmallRootOfReduction(op))
      roots.push_back(op);
  });

  IRRewriter rewriter(&getContext());
  for (linalg::LinalgOp root : roots) {
    SmallVector<utils::IteratorType> iterators = root.getIteratorTypesArray();
    auto *parallel = llvm::find(iterators, utils::IteratorType::parallel);
    if (parallel == iterators.end())
      continue;
    SmallVector<OpFoldResult> tileSizes(iterators.size(),
                                        rewriter.getIndexAttr(0));
    unsigned tiledLoop = parallel - iterators.begin();
    tileSizes[tiledLoop] = rewriter.getIndexAttr(
        getRootTileSize(tileSize, root.getStaticLoopRanges()[tiledLoop]));

    scf::SCFTilingOptions tilingOptions;
    tilingOptions.setTileSizes(tileSizes).setLoopType(
        scf::SCFTilingOptions::LoopType::ForallOp);
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tilingOptions);
    options.setFusionControlFn(fuseOnlyPartialSlices);

    rewriter.setInsertionPoint(root);
    FailureOr<scf::SCFTileAndFuseResult> result =
        scf::tileConsumerAndFuseProducersUsingSCF(
            rewriter, cast<TilingInterface>(root.getOperation()), options);
    if (failed(result)) {
      root.emitOpError("failed to tile and fuse");
      return signalPassFailure();
    }
    for (OpResult res : root->getResults())
      if (Value replacement = result->replacements.lookup(res))
        rewriter.replaceAllUsesWith(res, replacement);
  }

  // What the row tiles did not fuse (whole-tensor statistics).
  SmallVector<linalg::LinalgOp> statistics;
  getOperation().walk([&](linalg::LinalgOp op) {
    if (op.hasPureTensorSemantics() && !op->getParentOfType<scf::ForallOp>() &&
        !hasZeroSizedLoop(op) && isa<TilingInterface>(op.getOperation()))
      statistics.push_back(op);
  });
  for (linalg::LinalgOp op : statistics)
    if (failed(tileStatistics(rewriter, op)))
      return signalPassFailure();
}
