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

/// Fuses a producer into the row tiles only if a tile reads part of it. A
/// tile that reads all of it (batch statistics reduced over the tiled rows,
/// consumed per channel by every tile) would recompute it once per tile;
/// such producers stay before the loop and run once.
static std::optional<scf::SCFTileAndFuseOptions::ControlFnResult>
fuseOnlyPartialSlices(tensor::ExtractSliceOp slice, OpResult producer,
                      bool isDestinationOperand) {
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

void TileAndFuseRowsPass::runOnOperation() {
  if (tileSize <= 0)
    return;
  SmallVector<linalg::LinalgOp> roots;
  getOperation().walk([&](linalg::LinalgOp op) {
    // Do not re-tile what an enclosing loop already tiles.
    if (isRoot(op) && !op->getParentOfType<scf::ForallOp>())
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
    tileSizes[parallel - iterators.begin()] = rewriter.getIndexAttr(tileSize);

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
}
