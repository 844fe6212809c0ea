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

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

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

/// Whether `expr` never decreases when a dimension grows. Upstream tiling
/// takes a slice's offset from a tile's first iteration and its size from
/// its last one, which is right only for such expressions: for a reversed
/// read, `63 - d3`, it builds a slice of one element (and a verifier error).
static bool isNonDecreasing(AffineExpr expr) {
  if (expr.isSymbolicOrConstant())
    return true;
  auto binary = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!binary)
    return true; // A dimension.
  AffineExpr lhs = binary.getLHS(), rhs = binary.getRHS();
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return isNonDecreasing(lhs) && isNonDecreasing(rhs);
  case AffineExprKind::Mul: {
    if (lhs.isSymbolicOrConstant())
      std::swap(lhs, rhs);
    auto factor = dyn_cast<AffineConstantExpr>(rhs);
    return factor && factor.getValue() >= 0 && isNonDecreasing(lhs);
  }
  case AffineExprKind::FloorDiv:
  case AffineExprKind::CeilDiv: {
    auto divisor = dyn_cast<AffineConstantExpr>(rhs);
    return divisor && divisor.getValue() > 0 && isNonDecreasing(lhs);
  }
  default: // A remainder of dimensions wraps around.
    return false;
  }
}

/// Whether this pass leaves `op` untiled: a linalg op with a loop of static
/// size zero (upstream tiling crashes in linalg::computeTileSizes when it
/// fuses such a producer, and there is nothing to tile in such a root), or
/// one that reads or writes through a map that decreases or wraps as a loop
/// grows (see isNonDecreasing).
static bool isUntileable(Operation *op) {
  auto linalgOp = dyn_cast_if_present<linalg::LinalgOp>(op);
  if (!linalgOp)
    return false;
  if (llvm::is_contained(linalgOp.getStaticLoopRanges(), int64_t{0}))
    return true;
  return !llvm::all_of(linalgOp.getIndexingMapsArray(), [](AffineMap map) {
    return llvm::all_of(map.getResults(), isNonDecreasing);
  });
}

/// Fuses a producer into the row tiles only if a tile reads part of it. A
/// tile that reads all of it (batch statistics reduced over the tiled rows,
/// consumed per channel by every tile) would recompute it once per tile;
/// such producers stay before the loop and run once.
static std::optional<scf::SCFTileAndFuseOptions::ControlFnResult>
fuseOnlyPartialSlices(tensor::ExtractSliceOp slice, OpResult producer,
                      bool isDestinationOperand) {
  // Only ops that compute a tile of their result: upstream would clone any
  // other producer (a call) whole into every tile.
  if (!isa<TilingInterface>(producer.getOwner()) ||
      isUntileable(producer.getOwner()))
    return std::nullopt;
  // Upstream tiles a result only through a projected permutation; for
  // another map (torch-mlir's keepdim reductions write `(d0, d1, 0)`) it
  // emits an error on the producer and leaves it unfused.
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(producer.getOwner()))
    if (!linalgOp
             .getMatchingIndexingMap(
                 linalgOp.getDpsInitOperand(producer.getResultNumber()))
             .isProjectedPermutation())
      return std::nullopt;
  auto sourceType = cast<RankedTensorType>(slice.getSourceType());
  bool full = llvm::all_of(slice.getMixedOffsets(),
                           [](OpFoldResult o) { return isZeroInteger(o); });
  for (auto [dim, size] : llvm::enumerate(slice.getMixedSizes())) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    if (sourceType.isDynamicDim(dim)) {
      // `tensor.dim` of the source, or a size value bounds prove equal to
      // it (a converted weight sized by the input's `tensor.dim`).
      FailureOr<bool> equal = ValueBoundsConstraintSet::areEqual(
          size, {slice.getSource(), static_cast<int64_t>(dim)});
      full &= succeeded(equal) && *equal;
    } else {
      full &= constant && *constant == sourceType.getDimSize(dim);
    }
  }
  if (full && !isDestinationOperand)
    return std::nullopt;
  return scf::SCFTileAndFuseOptions::ControlFnResult{};
}

/// `root` and the ops of its block that it is computed from.
static SetVector<Operation *> getProducerSlice(Operation *root) {
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  Block *block = root->getBlock();
  options.filter = [&](Operation *op) { return op->getBlock() == block; };
  SetVector<Operation *> slice;
  (void)getBackwardSlice(root, &slice, options);
  slice.insert(root);
  return slice;
}

/// Whether `producer` is a reduction that an op outside `rootSlice` (the
/// ops the root is computed from) also reads, directly or through
/// reshapes: a linalg op, or one of `tiledLoops` (the loops of the roots
/// tiled before). That op needs the whole reduction, computed once for it;
/// fused into the root's tiles as well, it would be computed a second time.
/// (Batch-norm training over 2048 channels: the running-mean and
/// running-variance updates are roots of their own, and each fused the
/// per-channel sums, so the input was read three times.)
static bool
isSharedReduction(Operation *producer, const SetVector<Operation *> &rootSlice,
                  const llvm::SmallPtrSetImpl<Operation *> &tiledLoops) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(producer);
  if (!linalgOp || linalgOp.getNumReductionLoops() == 0)
    return false;
  Block *block = producer->getBlock();
  SmallVector<Value> worklist(producer->getResults());
  while (!worklist.empty()) {
    for (Operation *user : worklist.pop_back_val().getUsers()) {
      // A user nested in a loop (the root's loop under construction, or an
      // earlier root's) counts as that loop.
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor || rootSlice.contains(ancestor))
        continue;
      if (isa<linalg::LinalgOp>(ancestor) || tiledLoops.contains(ancestor))
        return true;
      if (ancestor == user &&
          isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::CastOp,
              tensor::ExtractSliceOp>(user))
        worklist.push_back(user->getResult(0));
    }
  }
  return false;
}

/// Whether `user` is, or is nested in, an op after `loop` in its block.
static bool isAfterLoop(Operation *loop, Operation *user) {
  Operation *ancestor = loop->getBlock()->findAncestorOpInBlock(*user);
  return ancestor && ancestor != loop && loop->isBeforeInBlock(ancestor);
}

/// Whether `size` is the whole extent of dimension `dim` of `source`: its
/// static size, or `tensor.dim` of `source` at `dim`.
static bool isWholeExtent(Value source, int64_t dim, OpFoldResult size) {
  auto type = cast<RankedTensorType>(source.getType());
  if (!type.isDynamicDim(dim)) {
    std::optional<int64_t> constant = getConstantIntValue(size);
    return constant && *constant == type.getDimSize(dim);
  }
  auto value = dyn_cast<Value>(size);
  auto dimOp = value ? value.getDefiningOp<tensor::DimOp>() : nullptr;
  std::optional<int64_t> index =
      dimOp ? dimOp.getConstantIndex() : std::nullopt;
  return dimOp && dimOp.getSource() == source && index && *index == dim;
}

/// Whether `slice` is the tile of one iteration of `loop`, so that the
/// tiles of all iterations partition its source: every offset is an
/// induction variable of the loop (at least one is) or zero with the whole
/// extent.
static bool isTileOfLoop(tensor::ExtractSliceOp slice, scf::ForallOp loop) {
  if (!slice.hasUnitStride())
    return false;
  SmallVector<Value> ivs = loop.getInductionVars();
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
  bool tiled = false;
  for (auto [dim, offset] : llvm::enumerate(offsets)) {
    auto value = dyn_cast<Value>(offset);
    if (value && llvm::is_contained(ivs, value)) {
      tiled = true;
      continue;
    }
    if (!isZeroInteger(offset) ||
        !isWholeExtent(slice.getSource(), dim, sizes[dim]))
      return false;
  }
  return tiled;
}

/// Whether `producer`, fused into the row loop through `slice`, is to be
/// yielded by the loop: it has a user after the loop that needs the whole
/// tensor (an op that is not a linalg op: a return, a copy into a
/// destination; linalg users are fused into the tiles or are tiled as roots
/// of their own), and each iteration computes its own tile of it.
static bool isYieldedTile(tensor::ExtractSliceOp slice, OpResult producer) {
  auto loop = slice->getParentOfType<scf::ForallOp>();
  return loop && isa<linalg::LinalgOp>(producer.getOwner()) &&
         isTileOfLoop(slice, loop) &&
         llvm::any_of(producer.getUsers(), [&](Operation *user) {
           return !isa<linalg::LinalgOp>(user) && isAfterLoop(loop, user);
         });
}

/// Whether the results of `op` depend on its inputs only: all loops are
/// parallel (every output element is written) and the payload reads no init.
static bool ignoresInits(linalg::LinalgOp op) {
  if (op.getNumLoops() != op.getNumParallelLoops())
    return false;
  for (OpOperand &init : op.getDpsInitsMutable())
    if (op.payloadUsesValueFromOperand(&init) ||
        llvm::is_contained(op.getDpsInputs(), init.get()))
      return false;
  return true;
}

/// Whether `a` and `b` are the same `tensor.extract_slice` of the same
/// value: offsets, sizes and strides equal, or provably so where dynamic
/// (a row length read as `tensor.dim` of the input in one copy and of the
/// residual sum's `tensor.empty` in the other).
static bool isSameSlice(Value a, Value b) {
  auto sliceA = a.getDefiningOp<tensor::ExtractSliceOp>();
  auto sliceB = b.getDefiningOp<tensor::ExtractSliceOp>();
  if (!sliceA || !sliceB || sliceA.getSource() != sliceB.getSource() ||
      sliceA.getType() != sliceB.getType())
    return false;
  FailureOr<bool> equivalent = ValueBoundsConstraintSet::areEquivalentSlices(
      a.getContext(), HyperrectangularSlice(sliceA),
      HyperrectangularSlice(sliceB));
  return succeeded(equivalent) && *equivalent;
}

/// Whether the inits `a` and `b` have the same shape: the same type, and
/// sizes provably equal where it is dynamic (a partial row tile's
/// `affine.min` rows, in both copies).
static bool haveSameShape(Value a, Value b) {
  auto type = cast<ShapedType>(a.getType());
  if (type != b.getType())
    return false;
  for (int64_t dim = 0; dim < type.getRank(); ++dim) {
    if (!type.isDynamicDim(dim))
      continue;
    FailureOr<bool> equal =
        ValueBoundsConstraintSet::areEqual({a, dim}, {b, dim});
    if (failed(equal) || !*equal)
      return false;
  }
  return true;
}

/// Whether `b` computes the results of `a`: the same op on the same input
/// tiles, whatever the (unread) inits of the same shapes they write into.
static bool computesSameTile(linalg::LinalgOp a, linalg::LinalgOp b) {
  if (a->getName() != b->getName() || !ignoresInits(a) || !ignoresInits(b))
    return false;
  for (auto [initA, initB] : llvm::zip(a.getDpsInits(), b.getDpsInits()))
    if (!haveSameShape(initA, initB))
      return false;
  llvm::DenseSet<std::pair<Value, Value>> inits;
  for (auto [initA, initB] : llvm::zip(a.getDpsInits(), b.getDpsInits()))
    inits.insert({initA, initB});
  DenseMap<Value, Value> equivalent;
  auto check = [&](Value lhs, Value rhs) {
    return success(lhs == rhs || equivalent.lookup(lhs) == rhs ||
                   inits.contains({lhs, rhs}) || isSameSlice(lhs, rhs));
  };
  auto mark = [&](Value lhs, Value rhs) { equivalent[lhs] = rhs; };
  return OperationEquivalence::isEquivalentTo(
      a, b, check, mark, OperationEquivalence::IgnoreLocations);
}

/// A producer read through several slices of the same tile is fused once
/// per slice (residual + RMSNorm: the sum of squares and the normalization
/// both read `x + r`); the later copies are replaced by the first, so each
/// tile computes it once.
static void mergeRecomputedTiles(RewriterBase &rewriter, Block &body) {
  SmallVector<linalg::LinalgOp> earlier;
  for (Operation &op : llvm::make_early_inc_range(body)) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(&op);
    if (!linalgOp || !linalgOp.hasPureTensorSemantics())
      continue;
    auto *same = llvm::find_if(earlier, [&](linalg::LinalgOp candidate) {
      return computesSameTile(candidate, linalgOp);
    });
    if (same == earlier.end()) {
      earlier.push_back(linalgOp);
      continue;
    }
    rewriter.replaceOp(linalgOp, (*same)->getResults());
  }
}

/// a * b for sizes and byte counts (not negative), INT64_MAX where the
/// product overflows: a static dimension of 2^62 made a byte count 0 (a
/// division by zero) and a loop bound never reached.
static int64_t mulSaturated(int64_t a, int64_t b) {
  int64_t product;
  if (llvm::MulOverflow(a, b, product))
    return std::numeric_limits<int64_t>::max();
  return product;
}

/// The widest element, in bits, that `root` writes (0: no float or integer
/// output).
static int64_t getOutputElementBits(linalg::LinalgOp root) {
  int64_t bits = 0;
  for (Value init : root.getDpsInits()) {
    Type element = getElementTypeOrSelf(init);
    if (element.isIntOrFloat())
      bits = std::max<int64_t>(bits, element.getIntOrFloatBitWidth());
  }
  return bits;
}

/// The bytes of output that one iteration of `loop` of `root` writes: the
/// static ranges of its other parallel loops times the element size
/// (nullopt when one of them is dynamic); with `column`, the loop
/// `column->first` counts `column->second` iterations (a column tile).
static std::optional<int64_t> getIterationBytes(
    linalg::LinalgOp root, unsigned loop,
    std::optional<std::pair<unsigned, int64_t>> column = std::nullopt) {
  int64_t bytes = getOutputElementBits(root) / 8;
  if (bytes == 0)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = root.getIteratorTypesArray();
  for (auto [other, range] : llvm::enumerate(root.getStaticLoopRanges())) {
    if (other == loop || iterators[other] != utils::IteratorType::parallel)
      continue;
    if (column && other == column->first)
      range = column->second;
    if (ShapedType::isDynamic(range))
      return std::nullopt;
    bytes = mulSaturated(bytes, range);
  }
  return bytes;
}

/// The tile size of a root's first parallel loop: `tileSize`, made smaller
/// when the loop is short so that there are at least `kMinTiles` tiles to
/// share among threads (GroupNorm's batch of 8 would otherwise be one tile).
/// A dynamic loop (a batch size known at run time) gets as many rows as
/// write at most kMaxDynamicTileBytes, at least one: its rows may be whole
/// images (4 MiB for GroupNorm at [256, 64 x 64]), and a tile of 8 of them
/// would neither stay in cache between the statistics and the
/// normalization nor give the threads more than one tile for a batch of 8.
static constexpr int64_t kMinTiles = 16;
static constexpr int64_t kMaxDynamicTileBytes = 256 * 1024;
static int64_t getRootTileSize(int64_t tileSize, int64_t loopSize,
                               std::optional<int64_t> iterationBytes) {
  if (ShapedType::isDynamic(loopSize)) {
    if (!iterationBytes)
      return tileSize;
    return std::clamp<int64_t>(kMaxDynamicTileBytes / *iterationBytes, 1,
                               tileSize);
  }
  return std::max<int64_t>(
      1,
      std::min<int64_t>(tileSize, llvm::divideCeilSigned(loopSize, kMinTiles)));
}

/// Makes each tiled statistics op in `tiledOps` accumulate into a tensor
/// of its own (`bufferization.alloc_tensor`, copied in from its slice of the
/// shared result before and out after, with linalg.copy): bufferized, the
/// accumulators are then memory that nothing else aliases, which LLVM keeps
/// in registers and vectorizes, instead of a load and store of the shared
/// result per element; and no two threads write a cache line more than once.
/// (A tensor.empty would not do: empty-tensor elimination would replace it
/// by the slice of the shared result that the copy-out writes.)
static void accumulateLocally(RewriterBase &rewriter,
                              ArrayRef<Operation *> tiledOps) {
  for (Operation *tiled : tiledOps) {
    auto op = dyn_cast<linalg::LinalgOp>(tiled);
    if (!op || !op.hasPureTensorSemantics())
      continue;
    Location loc = op.getLoc();
    for (OpOperand &init : op.getDpsInitsMutable()) {
      Value slice = init.get();
      auto type = dyn_cast<RankedTensorType>(slice.getType());
      if (!type ||
          !isa_and_present<tensor::ExtractSliceOp>(slice.getDefiningOp()))
        continue;
      rewriter.setInsertionPoint(op);
      SmallVector<Value> dynamicSizes;
      for (auto [dim, size] : llvm::enumerate(type.getShape()))
        if (ShapedType::isDynamic(size))
          dynamicSizes.push_back(
              tensor::DimOp::create(rewriter, loc, slice, dim));
      Value local = bufferization::AllocTensorOp::create(rewriter, loc, type,
                                                         dynamicSizes);
      Value copyIn =
          linalg::CopyOp::create(rewriter, loc, slice, local).getResult(0);
      rewriter.modifyOpInPlace(op, [&] { init.set(copyIn); });
      OpResult result = op.getTiedOpResult(&init);
      rewriter.setInsertionPointAfter(op);
      auto copyOut = linalg::CopyOp::create(rewriter, loc, result, slice);
      rewriter.replaceAllUsesExcept(result, copyOut.getResult(0), copyOut);
    }
  }
}

/// The tile of a statistics op along the innermost (contiguous) dimension
/// of its input when that dimension is parallel (NHWC channels): four
/// 64-byte cache lines (64 f32), a longer innermost loop than one line;
/// measured faster on NHWC batch statistics.
static int64_t getChannelTileElements(Type elementType) {
  return std::max<int64_t>(1, 4 * 512 / elementType.getIntOrFloatBitWidth());
}

/// The contiguous bytes of one channel of a batch a statistics tile reads
/// below which the tile takes several channels: NCHW at 7 x 7 pixels is
/// 196 bytes a channel and batch entry, 800 KiB apart, too short a run for
/// the hardware prefetchers when one channel is summed over the batch.
static constexpr int64_t kShortRunBytes = 512;
/// The contiguous bytes a tile of such channels reads per batch entry at
/// most.
static constexpr int64_t kChannelBlockBytes = 4096;

/// For a statistics op of NCHW shape (its input's innermost dimension
/// reduced) whose last parallel loop in the input (the channels) indexes
/// runs of fewer than kShortRunBytes: that loop and the channels a tile
/// takes, the largest divisor of its range whose runs together stay within
/// kChannelBlockBytes and that leaves kMinTiles tiles.
/// norm-vectorize-row-outputs sums such a tile batch entry by batch entry
/// across its channels. None otherwise.
static std::optional<std::pair<unsigned, int64_t>>
getShortRunChannelBlock(linalg::LinalgOp op) {
  OpOperand *input = op.getDpsInputOperand(0);
  auto inputType = cast<RankedTensorType>(input->get().getType());
  AffineMap map = op.getMatchingIndexingMap(input);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  std::optional<unsigned> channel;
  int64_t runElements = 1;
  for (int64_t i = map.getNumResults() - 1; i >= 0 && !channel; --i) {
    auto dim = dyn_cast<AffineDimExpr>(map.getResult(i));
    if (!dim || ShapedType::isDynamic(inputType.getDimSize(i)))
      return std::nullopt;
    if (iterators[dim.getPosition()] == utils::IteratorType::parallel)
      channel = dim.getPosition();
    else
      runElements = mulSaturated(runElements, inputType.getDimSize(i));
  }
  if (!channel || runElements == 1)
    return std::nullopt;
  int64_t runBytes =
      mulSaturated(runElements,
                   inputType.getElementType().getIntOrFloatBitWidth()) /
      8;
  int64_t channels = op.getStaticLoopRanges()[*channel];
  if (runBytes >= kShortRunBytes || ShapedType::isDynamic(channels))
    return std::nullopt;
  int64_t block = 1;
  for (int64_t size = 2; size * runBytes <= kChannelBlockBytes; ++size)
    if (channels % size == 0 && channels / size >= kMinTiles)
      block = size;
  if (block == 1)
    return std::nullopt;
  return std::make_pair(*channel, block);
}

/// The tile sizes of a statistics op (see tileStatistics; 0: the whole
/// loop), or none when it is no statistics op to tile.
static std::optional<SmallVector<int64_t>>
getStatisticsTileShape(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (!llvm::is_contained(iterators, utils::IteratorType::parallel) ||
      !llvm::is_contained(iterators, utils::IteratorType::reduction) ||
      op.getNumDpsInputs() == 0)
    return std::nullopt;
  OpOperand *input = op.getDpsInputOperand(0);
  auto inputType = dyn_cast<RankedTensorType>(input->get().getType());
  if (!inputType || inputType.getRank() == 0 ||
      !inputType.getElementType().isIntOrFloat())
    return std::nullopt;
  AffineMap inputMap = op.getMatchingIndexingMap(input);
  auto innermost = dyn_cast<AffineDimExpr>(inputMap.getResults().back());
  int64_t lineElements = getChannelTileElements(inputType.getElementType());
  SmallVector<int64_t> tileSizes;
  for (auto [dim, iterator] : llvm::enumerate(iterators)) {
    int64_t size = 0;
    if (iterator == utils::IteratorType::parallel)
      size = innermost && innermost.getPosition() == dim ? lineElements : 1;
    tileSizes.push_back(size);
  }
  if (std::optional<std::pair<unsigned, int64_t>> block =
          getShortRunChannelBlock(op))
    tileSizes[block->first] = block->second;
  return tileSizes;
}

/// getStatisticsTileShape as the index attributes tiling takes.
static std::optional<SmallVector<OpFoldResult>>
getStatisticsTileSizes(RewriterBase &rewriter, linalg::LinalgOp op) {
  std::optional<SmallVector<int64_t>> shape = getStatisticsTileShape(op);
  if (!shape)
    return std::nullopt;
  return llvm::map_to_vector(*shape, [&](int64_t size) -> OpFoldResult {
    return rewriter.getIndexAttr(size);
  });
}

/// Statistics left outside the row tiles (batch norm's per-channel sums,
/// reduced over the rows every tile reads) run in parallel over their own
/// parallel loops: each parallel loop is tiled by 1, except one that walks
/// the innermost (contiguous) dimension of the input, tiled by a cache
/// line so that no two threads share one. Per-element reduction order is
/// unchanged.
static LogicalResult tileStatistics(RewriterBase &rewriter,
                                    linalg::LinalgOp op) {
  std::optional<SmallVector<OpFoldResult>> tileSizes =
      getStatisticsTileSizes(rewriter, op);
  if (!tileSizes)
    return success();
  scf::SCFTilingOptions options;
  options.setTileSizes(*tileSizes)
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result = scf::tileUsingSCF(
      rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result))
    return op.emitOpError("failed to tile the statistics");
  rewriter.replaceOp(op, result->replacements);
  accumulateLocally(rewriter, result->tiledOps);
  return success();
}

/// The largest statistics tile whose input slice is read a second time
/// from cache (1 MiB of L2 a core on the Zen 4 machine of earlier sessions,
/// 2 MiB on the Xeon of 2026-11-29):
/// with the partial sum fused into the centred sum's tile, NHWC batch-norm
/// training [32, 56, 56, 64] f32 (784 KiB tiles) went 2.67 -> 2.31 ms (1
/// thread) and 1.96 -> 1.70 ms (2 threads), same buffers.
static constexpr int64_t kMaxRereadTileBytes = 1 << 20;

/// The bytes of its first input that `op` reads over `extents` (one
/// element per iteration), or none.
static std::optional<int64_t> getInputBytes(linalg::LinalgOp op,
                                            ArrayRef<int64_t> extents) {
  if (op.getNumDpsInputs() == 0)
    return std::nullopt;
  Type element = getElementTypeOrSelf(op.getDpsInputOperand(0)->get());
  if (!element.isIntOrFloat())
    return std::nullopt;
  int64_t bytes = std::max<int64_t>(1, element.getIntOrFloatBitWidth() / 8);
  for (int64_t extent : extents)
    bytes = mulSaturated(bytes, extent);
  return bytes;
}

/// The bytes of its first input that one tile of statistics op `op` reads
/// (tiled by getStatisticsTileShape; a dynamic loop tiled by k spans k
/// iterations, an untiled dynamic loop counts 1), and whether an untiled
/// loop is dynamic (the size is then known at run time only); none when
/// `op` is no statistics op.
static std::optional<std::pair<int64_t, bool>>
getStatisticsTileBytes(linalg::LinalgOp op) {
  std::optional<SmallVector<int64_t>> shape = getStatisticsTileShape(op);
  if (!shape)
    return std::nullopt;
  bool unknown = false;
  SmallVector<int64_t> extents;
  for (auto [size, range] : llvm::zip(*shape, op.getStaticLoopRanges())) {
    unknown |= size == 0 && ShapedType::isDynamic(range);
    extents.push_back(ShapedType::isDynamic(range) ? std::max<int64_t>(size, 1)
                      : size == 0                  ? range
                                                   : std::min(size, range));
  }
  std::optional<int64_t> bytes = getInputBytes(op, extents);
  if (!bytes)
    return std::nullopt;
  return std::make_pair(*bytes, unknown);
}

/// Whether the input slice that one tile of statistics op `op` reads fits
/// in kMaxRereadTileBytes.
static bool isRereadFromCache(linalg::LinalgOp op) {
  std::optional<std::pair<int64_t, bool>> tile = getStatisticsTileBytes(op);
  return tile && !tile->second && tile->first <= kMaxRereadTileBytes;
}

/// Whether that slice may fit: it does, or its size is known only at run
/// time and is small enough with its unknown extents 1. Fused into such a
/// tile, the partial sum reads the slice first: the centred pass reads it
/// from cache if it fits, and from memory otherwise, as it would in a pass
/// of its own (NHWC batch norm [?, ?, ?, 64]: three passes over the whole
/// input unfused).
static bool mayBeRereadFromCache(linalg::LinalgOp op) {
  std::optional<std::pair<int64_t, bool>> tile = getStatisticsTileBytes(op);
  return tile && tile->first <= kMaxRereadTileBytes;
}

/// The producers of a centred statistics op `op` (batch norm's partial M2,
/// the sum of `(x - mean)^2` over a slice of its input `x`) to fuse into its
/// tiles: the elementwise op that gives `mean`, and the reduction of the same
/// `x` it reads (the partial sum). Empty when `op` is no such op.
static SmallVector<Operation *> getCentredProducers(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInputs() < 2)
    return {};
  Value x = op.getDpsInputOperand(0)->get();
  SmallVector<Value> inputs = op.getDpsInputs();
  for (Value input : llvm::drop_begin(inputs)) {
    auto mean = input.getDefiningOp<linalg::LinalgOp>();
    if (!mean || !mean.hasPureTensorSemantics() ||
        mean.getNumLoops() != mean.getNumParallelLoops())
      continue;
    for (Value meanInput : mean.getDpsInputs()) {
      auto sum = meanInput.getDefiningOp<linalg::LinalgOp>();
      if (!sum || !sum.hasPureTensorSemantics() ||
          sum.getNumReductionLoops() == 0 || sum.getNumDpsInputs() == 0 ||
          sum.getDpsInputOperand(0)->get() != x || isUntileable(sum) ||
          isUntileable(mean))
        continue;
      // A sum over the innermost (contiguous) dimension of `x` (NCHW: one
      // plane per tile), or any other whose tile may be small enough to be
      // read again from L2 (NHWC: one batch entry of a 64-channel block,
      // 784 KiB at 56 x 56).
      AffineMap sumMap = sum.getMatchingIndexingMap(sum.getDpsInputOperand(0));
      if (sumMap.getNumResults() == 0)
        continue;
      auto innermost = dyn_cast<AffineDimExpr>(sumMap.getResults().back());
      if (!innermost)
        continue;
      if (sum.getIteratorTypesArray()[innermost.getPosition()] ==
              utils::IteratorType::reduction ||
          mayBeRereadFromCache(op))
        return {mean, sum};
    }
  }
  return {};
}

/// Tiles a centred statistics op like tileStatistics, with the partial sum
/// and mean it reads (getCentredProducers) fused into each tile: the tile
/// reads its slice of the input twice, the second time from cache, instead
/// of a second pass over the whole input from memory. The mean is yielded
/// for its users outside the loop (the merge over the batch or the chunks,
/// the loops of roots that read its slices).
/// Returns whether it tiled `op`.
static FailureOr<bool> fuseCentredStatistics(RewriterBase &rewriter,
                                             linalg::LinalgOp op,
                                             ArrayRef<Operation *> producers) {
  std::optional<SmallVector<OpFoldResult>> tileSizes =
      getStatisticsTileSizes(rewriter, op);
  if (!tileSizes)
    return false;
  scf::SCFTilingOptions tilingOptions;
  tilingOptions.setTileSizes(*tileSizes)
      .setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tilingOptions);
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp slice, OpResult producer,
          bool isDestinationOperand)
          -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *owner = producer.getOwner();
        if (isDestinationOperand || !llvm::is_contained(producers, owner))
          return std::nullopt;
        scf::SCFTileAndFuseOptions::ControlFnResult fuse;
        // Yielded when read outside this loop: by the merge over the batch,
        // or by the tiles of a root (group norm's chunk means).
        Operation *loop = slice->getParentOfType<scf::ForallOp>();
        fuse.yieldProducerReplacement =
            llvm::any_of(producer.getUsers(), [&](Operation *user) {
              Operation *ancestor =
                  op->getBlock()->findAncestorOpInBlock(*user);
              return ancestor && ancestor != op && ancestor != loop &&
                     !llvm::is_contained(producers, ancestor);
            });
        return fuse;
      });
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
  if (failed(result)) {
    op.emitOpError("failed to tile the statistics");
    return failure();
  }
  Operation *loop = result->loops.front().getOperation();
  SmallVector<Operation *> untiled = {op};
  untiled.append(result->fusedProducers.begin(), result->fusedProducers.end());
  for (Operation *original : untiled)
    for (OpResult res : original->getResults())
      if (Value replacement = result->replacements.lookup(res))
        rewriter.replaceUsesWithIf(res, replacement, [&](OpOperand &use) {
          return isAfterLoop(loop, use.getOwner());
        });
  SmallVector<Operation *> reductions;
  for (Operation *tiled : result->tiledAndFusedOps)
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(tiled);
        linalgOp && linalgOp.getNumReductionLoops() > 0)
      reductions.push_back(tiled);
  // A fused reduction that accumulates into a slice of a fill outside the
  // loop (the partial sum, read by the mean in the tile only) starts from a
  // fill of a tensor of its own instead: nothing to copy in or out.
  for (Operation *tiled : reductions) {
    for (OpOperand &init : cast<linalg::LinalgOp>(tiled).getDpsInitsMutable()) {
      auto slice = init.get().getDefiningOp<tensor::ExtractSliceOp>();
      auto fill =
          slice ? slice.getSource().getDefiningOp<linalg::FillOp>() : nullptr;
      if (!fill || !slice.getType().hasStaticShape())
        continue;
      rewriter.setInsertionPoint(tiled);
      Value local = bufferization::AllocTensorOp::create(
          rewriter, tiled->getLoc(), slice.getType(), ValueRange{});
      Value filled =
          linalg::FillOp::create(rewriter, tiled->getLoc(), fill.value(), local)
              .getResult(0);
      rewriter.modifyOpInPlace(tiled, [&] { init.set(filled); });
    }
  }
  accumulateLocally(rewriter, reductions);
  Block &body = loop->getRegion(0).front();
  for (Operation &dead : llvm::make_early_inc_range(llvm::reverse(body)))
    if (isOpTriviallyDead(&dead))
      rewriter.eraseOp(&dead);
  for (bool erased = true; erased;) {
    erased = false;
    for (Operation *&original : untiled) {
      if (!original || !isOpTriviallyDead(original))
        continue;
      rewriter.eraseOp(original);
      original = nullptr;
      erased = true;
    }
  }
  return true;
}

/// The loop extents of `op` when it computes the slice of sizes `sliceSizes`
/// of its result `result`: its static loop ranges with the loops of that
/// result's dimensions cut to the slice. None when a size is dynamic or the
/// result's map is no projected permutation.
static std::optional<SmallVector<int64_t>>
getSliceLoopExtents(linalg::LinalgOp op, OpResult result,
                    ArrayRef<int64_t> sliceSizes) {
  AffineMap map = op.getIndexingMapMatchingResult(result);
  if (!map.isProjectedPermutation() || map.getNumResults() != sliceSizes.size())
    return std::nullopt;
  SmallVector<int64_t> extents = op.getStaticLoopRanges();
  for (auto [expr, size] : llvm::zip(map.getResults(), sliceSizes))
    extents[cast<AffineDimExpr>(expr).getPosition()] = size;
  if (llvm::any_of(extents, ShapedType::isDynamic))
    return std::nullopt;
  return extents;
}

/// The centred statistics op (see getCentredProducers) that `op` is, or
/// whose partial sum or mean it is; null when none.
static linalg::LinalgOp getCentredStatistics(linalg::LinalgOp op) {
  if (!getCentredProducers(op).empty())
    return op;
  auto isCentredOf = [&](Operation *user) {
    auto centred = dyn_cast<linalg::LinalgOp>(user);
    return centred && !centred->getParentOfType<scf::ForallOp>() &&
           llvm::is_contained(getCentredProducers(centred), op.getOperation());
  };
  for (Operation *user : op->getUsers()) {
    if (isCentredOf(user))
      return cast<linalg::LinalgOp>(user);
    for (Operation *next : user->getUsers())
      if (isCentredOf(next))
        return cast<linalg::LinalgOp>(next);
  }
  return {};
}

/// Whether `producer`, fused into a root's tile through `slice`, is centred
/// statistics or their partial sum or mean (getCentredProducers) whose
/// fused tile would read more of the input than the cache holds until the
/// second pass (kMaxRereadTileBytes), while its own statistics tiles would
/// not: group norm over groups of 4 MiB, in chunks of 256 KiB; also
/// LayerNorm rows of 256 KiB in root tiles of 8 rows, group norm groups of
/// 512 KiB in tiles of 2 batch entries. Fused, the
/// root's tile (one group) would sum every chunk, then take the centred
/// sums of every chunk, reading the group twice from memory; left out, the
/// chunks are tiled one by one with their mean (fuseCentredStatistics),
/// each read the second time from cache, and the root's tiles read their
/// results.
static bool isLeftForCentredTiles(tensor::ExtractSliceOp slice,
                                  OpResult producer) {
  auto op = dyn_cast<linalg::LinalgOp>(producer.getOwner());
  if (!op || !op.hasPureTensorSemantics())
    return false;
  linalg::LinalgOp centred = getCentredStatistics(op);
  if (!centred || !isRereadFromCache(centred) ||
      slice.getSourceType().getRank() != slice.getResultType().getRank())
    return false;
  std::optional<SmallVector<int64_t>> sliceSizes =
      getConstantIntValues(slice.getMixedSizes());
  if (!sliceSizes)
    return false;
  std::optional<SmallVector<int64_t>> extents =
      getSliceLoopExtents(op, producer, *sliceSizes);
  if (!extents)
    return false;
  auto readsTooMuch = [](linalg::LinalgOp reduction,
                         ArrayRef<int64_t> loopExtents) {
    std::optional<int64_t> bytes = getInputBytes(reduction, loopExtents);
    return bytes && *bytes > kMaxRereadTileBytes;
  };
  if (op.getNumReductionLoops() > 0)
    return readsTooMuch(op, *extents);
  // The mean: the slices of the partial sum it reads.
  SmallVector<Operation *> producers = getCentredProducers(centred);
  for (OpOperand *input : op.getDpsInputOperands()) {
    auto sum = input->get().getDefiningOp<linalg::LinalgOp>();
    if (!sum || sum.getNumReductionLoops() == 0 ||
        !llvm::is_contained(producers, sum.getOperation()))
      continue;
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation())
      continue;
    SmallVector<int64_t> sumSlice;
    for (AffineExpr expr : map.getResults())
      sumSlice.push_back((*extents)[cast<AffineDimExpr>(expr).getPosition()]);
    std::optional<SmallVector<int64_t>> sumExtents =
        getSliceLoopExtents(sum, cast<OpResult>(input->get()), sumSlice);
    if (sumExtents && readsTooMuch(sum, *sumExtents))
      return true;
  }
  return false;
}

/// A root with fewer static iterations than this that reads the result of
/// a reduction (batch norm's running-mean update over 64 channels, reading
/// the batch mean) is not tiled: threads gain nothing on it, and its tiles
/// would fuse, that is recompute, the whole-tensor reduction. With a
/// dynamic range, a root that reads a reduction of more loops than its own
/// (the same update over `?` channels, reading a reduction over
/// [N, C, H x W]) is not tiled either: each tile of 8 channels recomputed
/// the statistics over the whole batch (NCHW [?, ?, ?, ?] 2.5x the time).
static constexpr int64_t kMinRootIterations = 1024;
static bool isSmallRootOfReduction(linalg::LinalgOp op) {
  int64_t iterations = 1;
  bool dynamic = false;
  for (int64_t size : op.getStaticLoopRanges()) {
    dynamic |= ShapedType::isDynamic(size);
    if (!dynamic)
      iterations = mulSaturated(iterations, size);
  }
  if (!dynamic && iterations >= kMinRootIterations)
    return false;
  SmallVector<Operation *> worklist = {op};
  llvm::SmallPtrSet<Operation *, 16> visited;
  while (!worklist.empty()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(worklist.pop_back_val());
    if (!linalgOp || !visited.insert(linalgOp).second)
      continue;
    // (Contractions and convolutions have more loops than the root that
    // reads their result, and are fused row by row: `rms_norm(x) @ W`, a
    // convolution's bias and activation, with `?` rows.)
    if (linalgOp != op && linalgOp.getNumReductionLoops() > 0 &&
        (!dynamic || (linalgOp.getNumLoops() > op.getNumLoops() &&
                      !linalg::isaContractionOpInterface(linalgOp) &&
                      !linalg::isaConvolutionOpInterface(linalgOp))))
      return true;
    for (Value input : linalgOp.getDpsInputs())
      if (Operation *producer = input.getDefiningOp())
        worklist.push_back(producer);
  }
  return false;
}

/// Rows per tile, at least, of a root that is or reads a contraction
/// (`rms_norm(x) @ W`, FlashNorm's scaled `x @ W'`): every tile streams the
/// whole right operand, which norm-tile-contractions then reuses from cache
/// for all the rows of the tile (rms_mm 512x768x768 with 2 threads: 7.3 ms
/// with 8-row tiles, 3.3 ms with 32).
static constexpr int64_t kContractionTileRows = 32;
static bool readsContraction(linalg::LinalgOp root) {
  SmallVector<Operation *> worklist = {root};
  llvm::SmallPtrSet<Operation *, 16> visited;
  while (!worklist.empty()) {
    auto linalgOp =
        dyn_cast_if_present<linalg::LinalgOp>(worklist.pop_back_val());
    if (!linalgOp || !visited.insert(linalgOp).second)
      continue;
    if (linalg::isaContractionOpInterface(linalgOp))
      return true;
    for (Value input : linalgOp.getDpsInputs())
      worklist.push_back(input.getDefiningOp());
  }
  return false;
}

/// Whether the loop after `tiledLoop` of `root` is tiled by 1 as well: when
/// the root reads statistics indexed by both loops (GroupNorm's mean and
/// rstd per batch entry and group) and `tiledLoop` alone gives tiles too
/// few (fewer than kMinTiles of a static range) or too large (a static
/// range whose tile writes more than kMaxRereadTileBytes: GroupNorm
/// [32, 256, 64, 64] in tiles of 2 entries of 4 MiB; a dynamic range whose
/// tile writes more than kMaxDynamicTileBytes; or an unknown number of
/// bytes). The statistics' producers are still fused per tile,
/// and a tile is one (entry, group), small enough to stay in cache between
/// the statistics and the normalization.
static bool tilesStatisticsGroups(linalg::LinalgOp root, unsigned tiledLoop,
                                  int64_t tileSize,
                                  std::optional<int64_t> iterationBytes) {
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  unsigned next = tiledLoop + 1;
  if (next >= ranges.size() ||
      root.getIteratorTypesArray()[next] != utils::IteratorType::parallel)
    return false;
  if (ShapedType::isDynamic(ranges[tiledLoop])) {
    if (iterationBytes &&
        mulSaturated(*iterationBytes, tileSize) <= kMaxDynamicTileBytes)
      return false;
  } else if (llvm::divideCeilSigned(ranges[tiledLoop], tileSize) >= kMinTiles &&
             iterationBytes &&
             mulSaturated(*iterationBytes, tileSize) <= kMaxRereadTileBytes) {
    return false;
  }
  bool readsStatistics = false;
  for (OpOperand *input : root.getDpsInputOperands()) {
    AffineMap map = root.getMatchingIndexingMap(input);
    if (map.isPermutation() || !map.isFunctionOfDim(tiledLoop))
      continue;
    if (!map.isFunctionOfDim(next))
      return false;
    readsStatistics = true;
  }
  return readsStatistics;
}

/// Whether `value` is computed, through linalg ops, from a reduction.
static bool dependsOnReduction(Value value) {
  SmallVector<Value> worklist = {value};
  llvm::SmallPtrSet<Operation *, 16> visited;
  while (!worklist.empty()) {
    auto linalgOp = worklist.pop_back_val().getDefiningOp<linalg::LinalgOp>();
    if (!linalgOp || !visited.insert(linalgOp).second)
      continue;
    if (linalgOp.getNumReductionLoops() > 0)
      return true;
    llvm::append_range(worklist, linalgOp.getDpsInputs());
  }
  return false;
}

/// The loop of `root`, other than `tiledLoop`, to tile by a run of
/// contiguous elements when the root reads statistics indexed by its
/// innermost (contiguous) loop, that is statistics reduced over an outer
/// dimension (LayerNorm2d over the channels of [N, C, H·W]: mean and rstd
/// per pixel), with its tile size. Tiled by rows alone, a tile would be a
/// whole image (4 MiB at [256, 64 x 64] f32) read three times from memory;
/// tiled by a column of pixels too, it is read once and then twice from
/// cache. The tile is a power-of-two number of 64-byte lines, at most
/// kMaxColumnTileLines, at most `maxBytes` over the reduced dimensions when
/// they are static (or one line), that divides the loop's range when it is
/// static. Four lines a channel row rather than a tile that fits L1: a tile
/// reads one piece of each of the C channel rows, and pieces of one line
/// (16 pixels at 768 channels) took twice the time of four (the hardware
/// prefetchers follow C streams of 64 bytes each); eight were slower at 256
/// and 1024 channels.
static constexpr int64_t kMaxColumnTileLines = 4;
/// The bytes of output a column tile of several rows writes at most (a
/// dynamic row count): the tile is read three times, the last two from L1
/// (48 KiB a core on the Xeon of 2026-11-29).
static constexpr int64_t kMaxColumnTileBytes = 32 * 1024;
static std::optional<std::pair<unsigned, int64_t>>
getStatisticsColumnTile(linalg::LinalgOp root, unsigned tiledLoop,
                        int64_t maxBytes) {
  if (maxBytes <= 0 || root.getNumDpsInits() == 0)
    return std::nullopt;
  AffineMap outputMap = root.getMatchingIndexingMap(root.getDpsInitOperand(0));
  if (outputMap.getNumResults() == 0)
    return std::nullopt;
  auto innermost = dyn_cast<AffineDimExpr>(outputMap.getResults().back());
  SmallVector<int64_t> ranges = root.getStaticLoopRanges();
  if (!innermost || innermost.getPosition() == tiledLoop ||
      root.getIteratorTypesArray()[innermost.getPosition()] !=
          utils::IteratorType::parallel)
    return std::nullopt;
  unsigned column = innermost.getPosition();
  // The statistics: an input that misses some loops of the root (the
  // reduced ones), indexed by `column`, computed by a reduction.
  std::optional<AffineMap> statsMap;
  for (OpOperand *input : root.getDpsInputOperands()) {
    AffineMap map = root.getMatchingIndexingMap(input);
    if (map.isPermutation() || !map.isProjectedPermutation() ||
        !map.isFunctionOfDim(column) || !map.isFunctionOfDim(tiledLoop) ||
        !dependsOnReduction(input->get()))
      continue;
    statsMap = map;
    break;
  }
  if (!statsMap)
    return std::nullopt;
  int64_t elementBits = getOutputElementBits(root);
  if (elementBits == 0)
    return std::nullopt;
  // The bytes a column of the reduced dimensions spans (nullopt: some are
  // dynamic).
  std::optional<int64_t> reducedBytes = elementBits / 8;
  for (unsigned loop = 0; loop < root.getNumLoops(); ++loop) {
    if (statsMap->isFunctionOfDim(loop))
      continue;
    if (ShapedType::isDynamic(ranges[loop]))
      reducedBytes = std::nullopt;
    else if (reducedBytes)
      *reducedBytes = mulSaturated(*reducedBytes, ranges[loop]);
  }
  auto fits = [&](int64_t lines, int64_t elements) {
    return lines == 1 || !reducedBytes ||
           mulSaturated(elements, *reducedBytes) <= maxBytes;
  };
  int64_t lineElements = std::max<int64_t>(1, 512 / elementBits);
  int64_t extent = ranges[column];
  int64_t tile = 0;
  for (int64_t lines = 1; lines <= kMaxColumnTileLines; lines *= 2) {
    int64_t candidate = lines * lineElements;
    // A static range: whole tiles only (a partial one would have dynamic
    // sizes, which nothing vectorizes). A dynamic one: the partial last
    // tile is peeled off by norm-peel-partial-row-tiles.
    if ((ShapedType::isDynamic(extent) || extent % candidate == 0) &&
        fits(lines, candidate))
      tile = candidate;
  }
  if (tile == 0 || (!ShapedType::isDynamic(extent) && tile >= extent))
    return std::nullopt;
  return std::make_pair(column, tile);
}

void TileAndFuseRowsPass::runOnOperation() {
  if (tileSize <= 0)
    return;
  SmallVector<linalg::LinalgOp> roots;
  getOperation().walk([&](linalg::LinalgOp op) {
    // Do not re-tile what an enclosing loop already tiles.
    if (isRoot(op) && !op->getParentOfType<scf::ForallOp>() &&
        !isUntileable(op) && !isSmallRootOfReduction(op))
      roots.push_back(op);
  });

  IRRewriter rewriter(&getContext());
  llvm::SmallPtrSet<Operation *, 8> tiledLoops;
  for (linalg::LinalgOp root : roots) {
    SmallVector<utils::IteratorType> iterators = root.getIteratorTypesArray();
    auto *parallel = llvm::find(iterators, utils::IteratorType::parallel);
    if (parallel == iterators.end())
      continue;
    SmallVector<OpFoldResult> tileSizes(iterators.size(),
                                        rewriter.getIndexAttr(0));
    unsigned tiledLoop = parallel - iterators.begin();
    std::optional<int64_t> iterationBytes = getIterationBytes(root, tiledLoop);
    int64_t rootTileSize =
        getRootTileSize(readsContraction(root)
                            ? std::max<int64_t>(tileSize, kContractionTileRows)
                            : tileSize,
                        root.getStaticLoopRanges()[tiledLoop], iterationBytes);
    tileSizes[tiledLoop] = rewriter.getIndexAttr(rootTileSize);
    if (tilesStatisticsGroups(root, tiledLoop, rootTileSize, iterationBytes)) {
      // A dynamic batch tiled by groups: one entry per tile, as a short
      // static batch gets.
      if (ShapedType::isDynamic(root.getStaticLoopRanges()[tiledLoop]))
        tileSizes[tiledLoop] = rewriter.getIndexAttr(1);
      tileSizes[tiledLoop + 1] = rewriter.getIndexAttr(1);
    } else if (std::optional<std::pair<unsigned, int64_t>> column =
                   getStatisticsColumnTile(root, tiledLoop, columnTileBytes)) {
      tileSizes[column->first] = rewriter.getIndexAttr(column->second);
      // A dynamic row count: as many rows of the column tile as fit
      // kMaxColumnTileBytes, one when a row's size is unknown. Sized by
      // whole rows instead, a tile of LayerNorm2d [?, 96, ?, ?] took 8
      // images of 64 pixels (192 KiB): 1.4x the time of the static code
      // (2 images: 1.08x, 1: 1.01x).
      if (ShapedType::isDynamic(root.getStaticLoopRanges()[tiledLoop])) {
        std::optional<int64_t> rowBytes =
            getIterationBytes(root, tiledLoop, column);
        tileSizes[tiledLoop] = rewriter.getIndexAttr(
            rowBytes ? std::clamp<int64_t>(kMaxColumnTileBytes / *rowBytes, 1,
                                           rootTileSize)
                     : 1);
      }
    }

    scf::SCFTilingOptions tilingOptions;
    tilingOptions.setTileSizes(tileSizes).setLoopType(
        scf::SCFTilingOptions::LoopType::ForallOp);
    scf::SCFTileAndFuseOptions options;
    options.setTilingOptions(tilingOptions);
    // A producer also used whole after the loop (the residual sum `x + r`
    // that residual + RMSNorm returns next to the normalized rows) is
    // yielded by the loop once, tile by tile, instead of being computed a
    // second time in full outside it.
    llvm::SmallPtrSet<Operation *, 4> yielded;
    SetVector<Operation *> rootSlice = getProducerSlice(root);
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp slice, OpResult producer,
            bool isDestinationOperand)
            -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          if (isSharedReduction(producer.getOwner(), rootSlice, tiledLoops) ||
              isLeftForCentredTiles(slice, producer))
            return std::nullopt;
          std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> fuse =
              fuseOnlyPartialSlices(slice, producer, isDestinationOperand);
          if (fuse && !isDestinationOperand && isYieldedTile(slice, producer) &&
              yielded.insert(producer.getOwner()).second)
            fuse->yieldProducerReplacement = true;
          return fuse;
        });

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
    Operation *loop = result->loops.front().getOperation();
    tiledLoops.insert(loop);
    for (Operation *producer : result->fusedProducers)
      for (OpResult res : producer->getResults())
        if (Value replacement = result->replacements.lookup(res))
          rewriter.replaceUsesWithIf(res, replacement, [&](OpOperand &use) {
            return isAfterLoop(loop, use.getOwner());
          });
    Block &body = loop->getRegion(0).front();
    mergeRecomputedTiles(rewriter, body);
    // The untiled ops are dead now (unless used before the loop), once the
    // slices of them left in the body are, and must not be taken for
    // statistics to tile below.
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (isOpTriviallyDead(&op))
        rewriter.eraseOp(&op);
    SmallVector<Operation *> untiled = {root};
    untiled.append(result->fusedProducers.begin(),
                   result->fusedProducers.end());
    // With dynamic sizes, the loop's bounds read the sizes of untiled
    // results (`tensor.dim`), which would keep them, and the statistics
    // they read, alive and tiled on their own below. A destination-style
    // result has the shape of its init: read that instead.
    for (Operation *op : untiled) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(op);
      if (!dps)
        continue;
      for (OpResult res : op->getResults())
        for (OpOperand &use : llvm::make_early_inc_range(res.getUses()))
          if (auto dim = dyn_cast<tensor::DimOp>(use.getOwner()))
            rewriter.modifyOpInPlace(
                dim, [&] { use.set(dps.getTiedOpOperand(res)->get()); });
    }
    for (bool erased = true; erased;) {
      erased = false;
      for (Operation *&op : untiled) {
        if (!op || !isOpTriviallyDead(op))
          continue;
        rewriter.eraseOp(op);
        op = nullptr;
        erased = true;
      }
    }
  }

  // Centred statistics (batch norm's partial M2) first, with the partial
  // sum and mean they read fused into their tiles.
  // One at a time: a fusion erases ops (a partial sum and mean) that other
  // candidates may read.
  llvm::SmallPtrSet<Operation *, 4> unchanged;
  while (true) {
    linalg::LinalgOp centred;
    SmallVector<Operation *> producers;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics() ||
          op->getParentOfType<scf::ForallOp>() || isUntileable(op) ||
          !isa<TilingInterface>(op.getOperation()) ||
          linalg::isaContractionOpInterface(op) || isOpTriviallyDead(op) ||
          unchanged.contains(op))
        return WalkResult::advance();
      producers = getCentredProducers(op);
      if (producers.empty())
        return WalkResult::advance();
      centred = op;
      return WalkResult::interrupt();
    });
    if (!centred)
      break;
    FailureOr<bool> fused = fuseCentredStatistics(rewriter, centred, producers);
    if (failed(fused))
      return signalPassFailure();
    if (!*fused)
      unchanged.insert(centred);
  }

  // What the row tiles did not fuse (whole-tensor statistics). The
  // originals of what they did fuse are dead now: erase them (consumers
  // first) rather than tile them, since their tiles would allocate private
  // accumulators, which canonicalization cannot erase.
  SmallVector<linalg::LinalgOp> statistics;
  getOperation().walk([&](linalg::LinalgOp op) {
    // Contractions (attention's products, which feed a transpose and so are
    // no roots) are not statistics: norm-tile-contractions gives them
    // register tiles; tiles of one element here would prevent that.
    if (op.hasPureTensorSemantics() && !op->getParentOfType<scf::ForallOp>() &&
        !isUntileable(op) && isa<TilingInterface>(op.getOperation()) &&
        !linalg::isaContractionOpInterface(op))
      statistics.push_back(op);
  });
  for (linalg::LinalgOp &op : llvm::reverse(statistics)) {
    if (isOpTriviallyDead(op)) {
      rewriter.eraseOp(op);
      op = nullptr;
    }
  }
  llvm::erase_if(statistics, [](linalg::LinalgOp op) { return !op; });
  for (linalg::LinalgOp op : statistics)
    if (failed(tileStatistics(rewriter, op)))
      return signalPassFailure();
}
