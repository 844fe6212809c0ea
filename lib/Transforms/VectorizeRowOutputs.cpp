//===- VectorizeRowOutputs.cpp - Vector stores of row tiles ---------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-vectorize-row-outputs: tiles the elementwise op that writes each row
// tile of an scf.forall into 1 x ... x 1 x V tiles (TilingInterface) and
// vectorizes them (linalg::vectorize), so that the output is written by
// vector stores. Splits the row reductions of the tile into several
// independent vector accumulators.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMVECTORIZEROWOUTPUTSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether `op` is an elementwise op this pass vectorizes: all loops
/// parallel, one init written with the identity map, and the innermost
/// range either static and a multiple of `vectorSize`, or dynamic (a row
/// length known at run time: whole vectors, then a masked remainder). The
/// other loops, tiled by 1, may be dynamic (NHWC with a batch and image
/// size known at run time and static channels).
static bool isVectorizableOutput(linalg::LinalgOp op, int64_t vectorSize) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() == 0 || op.getNumLoops() != op.getNumParallelLoops())
    return false;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!ShapedType::isDynamic(ranges.back()) && ranges.back() % vectorSize != 0)
    return false;
  return op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity();
}

/// Makes the row tile that `op` writes (inserted by `insert`) private when
/// the loop body also reads it (the residual sum `x + r` of residual +
/// RMSNorm, returned and normalized): `op` computes it into a new tile,
/// which stays in cache for its readers, and a `linalg.copy` at the end of
/// the body writes it to the output. Returns the copy, the op that now
/// writes the output. Otherwise the output would be written once with
/// vector stores marked non-temporal and read back from memory.
static linalg::LinalgOp
privatizeReadOutput(RewriterBase &rewriter, linalg::LinalgOp op,
                    tensor::ParallelInsertSliceOp insert) {
  Value result = op->getResult(0);
  OpOperand *init = op.getDpsInitOperand(0);
  if (result.hasOneUse() || op.payloadUsesValueFromOperand(init))
    return op;
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  Value tile = tensor::EmptyOp::create(
      rewriter, loc, tensor::getMixedSizes(rewriter, loc, init->get()),
      getElementTypeOrSelf(init->get().getType()));
  Value output = init->get();
  rewriter.modifyOpInPlace(op, [&] { init->set(tile); });
  rewriter.setInsertionPoint(insert->getParentOp());
  auto copy = linalg::CopyOp::create(rewriter, loc, result, output);
  rewriter.modifyOpInPlace(
      insert, [&] { insert.getSourceMutable().set(copy->getResult(0)); });
  return cast<linalg::LinalgOp>(copy.getOperation());
}

/// The partial results a row reduction of `op` is split into: `width`
/// (`vectorSize` x accumulators) elements, or for a shorter reduction the
/// largest multiple of `vectorSize` it holds; 0 when `op` is no row
/// reduction this pass splits. That is: the innermost loop a reduction of a
/// static range of at least `vectorSize` (a range no multiple of the width
/// leaves a remainder, peeled: 49 = 48 + 1 pixels of a channel at 7 x 7)
/// or of a dynamic one; the other loops, static or dynamic, are walked one
/// by one (the rows, and the other reduction loops: batch norm's batch
/// entries, whose count a model compiled for any batch knows at run time
/// only); and every combiner a floating-point op allowed to reassociate.
static int64_t getReductionSplitWidth(linalg::LinalgOp op, int64_t width,
                                      int64_t vectorSize) {
  // Contractions get register tiles from norm-tile-contractions instead
  // (a split along K would read the right operand across its rows).
  if (!op.hasPureTensorSemantics() || op.getNumLoops() == 0 ||
      linalg::isaContractionOpInterface(op) ||
      !linalg::isReductionIterator(op.getIteratorTypesArray().back()))
    return 0;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t split = width;
  if (!ShapedType::isDynamic(ranges.back())) {
    split = std::min(width, ranges.back() / vectorSize * vectorSize);
    if (split == 0 || split >= ranges.back())
      return 0; // Shorter than a vector, or one partial result.
  }
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic)
    return 0;
  for (unsigned i = 0, e = op.getNumDpsInits(); i < e; ++i) {
    // Upstream's partial-reduction tiling takes every result of an init's
    // map for a dimension: a constant one (torch-mlir's keepdim sums write
    // `(d0, d1, 0, 0)`) read past its tile sizes and crashed norm-opt.
    if (!op.getMatchingIndexingMap(op.getDpsInitOperand(i))
             .isProjectedPermutation())
      return 0;
    SmallVector<Operation *> combiners;
    if (!matchReduction(op.getRegionOutputArgs(), i, combiners) ||
        combiners.size() != 1)
      return 0;
    auto fastMath = dyn_cast<arith::ArithFastMathInterface>(combiners[0]);
    if (!fastMath ||
        !arith::bitEnumContainsAll(fastMath.getFastMathFlagsAttr().getValue(),
                                   arith::FastMathFlags::reassoc))
      return 0;
  }
  return split;
}

/// Tiles the loops of `op` by `sizes` (0: untiled) with scf.for loops.
static FailureOr<scf::SCFTilingResult>
tileWithForLoops(RewriterBase &rewriter, Operation *op,
                 ArrayRef<int64_t> sizes) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(rewriter.getContext(), sizes))
      .setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(op);
  return scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
}

/// Tiles every loop of `op` but the innermost by 1, and the innermost by
/// `innerSize` (0: whole), with scf.for loops.
static FailureOr<scf::SCFTilingResult>
tileOuterLoopsByOne(RewriterBase &rewriter, Operation *op, int64_t innerSize) {
  SmallVector<int64_t> sizes(
      cast<TilingInterface>(op).getLoopIteratorTypes().size(), 1);
  sizes.back() = innerSize;
  return tileWithForLoops(rewriter, op, sizes);
}

/// The loop ranges of `op`, whose dynamic sizes are constants that the
/// types do not show yet (a peeled loop's `affine.min` tile sizes, folded
/// to constants by the peeling); nullopt if one is not constant.
static std::optional<SmallVector<int64_t>>
getConstantLoopRanges(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [index, result] : llvm::enumerate(map.getResults())) {
      auto dim = dyn_cast<AffineDimExpr>(result);
      if (!dim || !ShapedType::isDynamic(ranges[dim.getPosition()]))
        continue;
      FailureOr<int64_t> size = ValueBoundsConstraintSet::computeConstantBound(
          presburger::BoundType::EQ,
          ValueBoundsConstraintSet::Variable(operand.get(), index));
      if (succeeded(size))
        ranges[dim.getPosition()] = *size;
    }
  }
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  return ranges;
}

/// Vectorizes `op` in place; one with dynamic shapes whose sizes are
/// constants (getConstantLoopRanges) gets vectors of those sizes, without
/// masks. Left as is where vectorization fails.
static void vectorizeInPlace(RewriterBase &rewriter, Operation *op) {
  SmallVector<int64_t> sizes;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (linalgOp && !linalgOp.hasDynamicShape())
    linalgOp = nullptr;
  if (linalgOp) {
    std::optional<SmallVector<int64_t>> ranges =
        getConstantLoopRanges(linalgOp);
    if (!ranges)
      return;
    sizes = *ranges;
  }
  rewriter.setInsertionPoint(op);
  SmallVector<bool> scalable(sizes.size(), false);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, op, sizes, scalable,
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/!sizes.empty());
  if (succeeded(vectorized))
    rewriter.replaceOp(op, vectorized->replacements);
}

/// Whether `op` may become vectors of `elements` elements:
/// always for 32- and 64-bit elements; for narrower floats only in a power
/// of two. LLVM 22's x86 backend aborts ("Do not know how to soft promote
/// this operator's operand") on a `fadd <9 x bfloat>`, the residual sum of
/// a bf16 RMSNorm row of 25 = 16 + 9; left scalar, LLVM promotes each
/// element.
static bool isLegalVectorLength(linalg::LinalgOp op, int64_t elements) {
  if (llvm::isPowerOf2_64(elements))
    return true;
  auto isNarrowFloat = [](Type type) {
    auto floatType = dyn_cast<FloatType>(getElementTypeOrSelf(type));
    return floatType && floatType.getWidth() < 32;
  };
  bool narrow = llvm::any_of(op->getOperandTypes(), isNarrowFloat);
  op->walk([&](Operation *inner) {
    narrow |= llvm::any_of(inner->getResultTypes(), isNarrowFloat);
  });
  return !narrow;
}

/// Whether the remainder tile `op` may become vectors of its (static) size.
static bool isLegalRemainder(linalg::LinalgOp op) {
  std::optional<SmallVector<int64_t>> ranges = getConstantLoopRanges(op);
  return ranges && isLegalVectorLength(op, ranges->back());
}

/// Vectorizes `op`, whose innermost range is dynamic and at most
/// `vectorSize` (the remainder of a row of run-time length) and whose other
/// ranges are 1, into masked vectors of `vectorSize` elements. Left as is
/// where vectorization fails.
static void vectorizeMasked(RewriterBase &rewriter, linalg::LinalgOp op,
                            int64_t vectorSize) {
  if (!isLegalVectorLength(op, vectorSize))
    return;
  SmallVector<int64_t> sizes(op.getNumLoops(), 1);
  sizes.back() = vectorSize;
  SmallVector<bool> scalable(sizes.size(), false);
  rewriter.setInsertionPoint(op);
  if (failed(linalg::vectorizeOpPrecondition(op, sizes, scalable)))
    return;
  FailureOr<linalg::VectorizationResult> vectorized =
      linalg::vectorize(rewriter, op, sizes, scalable);
  if (succeeded(vectorized))
    rewriter.replaceOp(op, vectorized->replacements);
}

/// Peels the last, partial iteration of `loop` (a row of run-time length
/// walked `vectorSize` elements a step) and vectorizes the tiles: whole
/// vectors in the loop, masked ones in the remainder.
static void vectorizeRowOfRuntimeLength(RewriterBase &rewriter, scf::ForOp loop,
                                        int64_t vectorSize) {
  scf::ForOp remainder;
  SmallVector<linalg::LinalgOp> tiles, remainderTiles;
  if (succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, loop, remainder)))
    remainder.getBody()->walk(
        [&](linalg::LinalgOp tile) { remainderTiles.push_back(tile); });
  loop.getBody()->walk([&](linalg::LinalgOp tile) { tiles.push_back(tile); });
  for (linalg::LinalgOp tile : tiles)
    vectorizeInPlace(rewriter, tile);
  for (linalg::LinalgOp tile : remainderTiles)
    vectorizeMasked(rewriter, tile, vectorSize);
}

/// The contiguous bytes of a row (a channel of one batch entry) below
/// which a reduction over rows of several channels and over the batch is
/// summed batch entry by batch entry across the channels (matches
/// norm-tile-and-fuse-rows, which gives such statistics tiles of several
/// channels for the same reason).
static constexpr int64_t kShortRowBytes = 512;

/// Whether the row reduction `op` sums rows of fewer than kShortRowBytes
/// over an outer reduction loop (batch norm's batch at 7 x 7 or 14 x 14
/// pixels) for more than one row (channel): walked row by row, each
/// channel would read 32 runs of 196 bytes 800 KiB apart; walked batch
/// entry by batch entry, the tile's channels are one contiguous run.
static bool isSummedAcrossRows(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  // The outer reduction loops (the batch) may be dynamic.
  if (llvm::count_if(iterators, linalg::isReductionIterator) < 2 ||
      ShapedType::isDynamic(ranges.back()))
    return false;
  int64_t rows = 1;
  for (auto [iterator, range] : llvm::zip(iterators, ranges)) {
    if (!linalg::isParallelIterator(iterator))
      continue;
    if (ShapedType::isDynamic(range))
      return false;
    rows *= range;
  }
  Type elementType = getElementTypeOrSelf(op.getDpsInputOperand(0)->get());
  if (rows <= 1 || !elementType.isIntOrFloat())
    return false;
  return ranges.back() * elementType.getIntOrFloatBitWidth() / 8 <
         kShortRowBytes;
}

/// Tiles by 1 (scf.for) the loops of `op` that are parallel in
/// `iterators`, the row reduction's (a partial-reduction tile of it has
/// its reduction loops parallel), but the innermost, and replaces `op`;
/// returns the tile, or null (`op` unchanged) where tiling fails.
static Operation *tileRowsByOne(RewriterBase &rewriter, Operation *op,
                                ArrayRef<utils::IteratorType> iterators) {
  SmallVector<int64_t> rowSizes(iterators.size(), 0);
  for (unsigned i = 0; i + 1 < iterators.size(); ++i)
    if (linalg::isParallelIterator(iterators[i]))
      rowSizes[i] = 1;
  FailureOr<scf::SCFTilingResult> rows =
      tileWithForLoops(rewriter, op, rowSizes);
  if (failed(rows) || rows->tiledOps.size() != 1)
    return nullptr;
  rewriter.replaceOp(op, rows->replacements);
  return rows->tiledOps.front();
}

/// Splits the row reduction `op`: rows (and other reduction loops) tiled by
/// 1, the reduction tiled into partial results of `width` elements, which
/// the tiled op and the merge compute with vectors; a partial last tile is
/// peeled into a static remainder, accumulated into the first lanes. Adds
/// the reduction loops to `loops`, whose partial accumulators are hoisted
/// into loop-carried vectors later. Leaves `op` alone where tiling fails.
static void splitReduction(RewriterBase &rewriter, linalg::LinalgOp op,
                           int64_t width,
                           SmallVectorImpl<LoopLikeOpInterface> &loops) {
  unsigned numLoops = op.getNumLoops();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  Operation *rowOp = op.getOperation();
  bool acrossRows = isSummedAcrossRows(op);
  if (!acrossRows && llvm::any_of(ArrayRef(iterators).drop_back(),
                                  linalg::isParallelIterator)) {
    rowOp = tileRowsByOne(rewriter, rowOp, iterators);
    if (!rowOp)
      return;
  }

  // Every reduction loop is split: the outer ones (batch norm's batch
  // entries) by 1, so that one set of partial accumulators sums over all
  // of them and is merged once.
  SmallVector<OpFoldResult> sizes(numLoops, rewriter.getIndexAttr(0));
  SmallVector<unsigned> reductionDims;
  for (unsigned i = 0; i < numLoops; ++i) {
    if (!linalg::isReductionIterator(iterators[i]))
      continue;
    reductionDims.push_back(i);
    sizes[i] = rewriter.getIndexAttr(i + 1 == numLoops ? width : 1);
  }
  scf::SCFTilingOptions options;
  options.setTileSizes(sizes)
      .setLoopType(scf::SCFTilingOptions::LoopType::ForOp)
      .setReductionTilingStrategy(
          ReductionTilingStrategy::PartialReductionOuterReduction)
      .setReductionDims(reductionDims);
  rewriter.setInsertionPoint(rowOp);
  FailureOr<scf::SCFTilingResult> split =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(rowOp), options);
  if (failed(split))
    return;
  rewriter.replaceOp(rowOp, split->replacements);

  SmallVector<Operation *> tiles(split->tiledOps);
  // The remainder of the innermost loop: its own single-iteration loop,
  // with static sizes.
  scf::ForOp remainder;
  SmallVector<linalg::LinalgOp> maskedTiles;
  if (auto loop = dyn_cast<scf::ForOp>(split->loops.back().getOperation());
      loop &&
      succeeded(scf::peelForLoopAndSimplifyBounds(rewriter, loop, remainder)))
    remainder.getBody()->walk([&](linalg::LinalgOp tile) {
      // A row of run-time length: its remainder, of run-time length, in
      // masked vectors of the width.
      if (!getConstantLoopRanges(tile))
        maskedTiles.push_back(tile);
      else if (isLegalRemainder(tile))
        tiles.push_back(tile);
    });
  SmallVector<Operation *> toVectorize;
  for (Operation *tile : tiles) {
    if (!acrossRows) {
      toVectorize.push_back(tile);
      continue;
    }
    // Row by row within each batch entry: the accumulators, a row of
    // partial sums each, stay in memory (L1).
    if (Operation *row = tileRowsByOne(rewriter, tile, iterators))
      toVectorize.push_back(row);
  }
  llvm::append_range(toVectorize, split->mergeOps);
  for (Value init : split->initialValues)
    if (Operation *fill = init.getDefiningOp<linalg::FillOp>())
      toVectorize.push_back(fill);
  for (Operation *vectorOp : toVectorize)
    vectorizeInPlace(rewriter, vectorOp);
  for (linalg::LinalgOp tile : maskedTiles)
    vectorizeMasked(rewriter, tile, width);
  // Innermost first: an accumulator is hoisted out of the loop that walks
  // the row before the loops around it.
  if (!acrossRows)
    llvm::append_range(loops, llvm::reverse(split->loops));
}

/// The most elements a column reduction keeps in vector accumulators
/// (sixteen 512-bit registers of f32).
static constexpr int64_t kMaxColumnElements = 256;

/// Whether `op` is a column reduction this pass vectorizes: a reduction in
/// a column tile (statistics per pixel, reduced over the channels above
/// them) whose innermost loop is parallel, with a static range that is a
/// multiple of `vectorSize` (LLVM legalized a vector<196xf32> accumulator
/// into slower code than its own loop: 3.2 against 1.3 ms for LayerNorm2d
/// [32, 384, 14, 14]) and at most kMaxColumnElements, and every init
/// indexed by the innermost loop last.
static bool isColumnReduction(linalg::LinalgOp op, int64_t vectorSize) {
  if (!op.hasPureTensorSemantics() || op.getNumLoops() < 2 ||
      op.getNumReductionLoops() == 0 || op.getNumDpsInits() == 0 ||
      linalg::isaContractionOpInterface(op) ||
      !isa<linalg::GenericOp>(op.getOperation()) ||
      !linalg::isParallelIterator(op.getIteratorTypesArray().back()))
    return false;
  // The other loops may be dynamic (channels of a dynamically shaped op):
  // they are tiled by 1.
  int64_t columns = op.getStaticLoopRanges().back();
  if (ShapedType::isDynamic(columns) || columns % vectorSize != 0 ||
      columns > kMaxColumnElements)
    return false;
  unsigned innermost = op.getNumLoops() - 1;
  return llvm::all_of(op.getDpsInitsMutable(), [&](OpOperand &init) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    return map.getNumResults() > 0 &&
           map.getResults().back() ==
               getAffineDimExpr(innermost, op.getContext());
  });
}

/// Vectorizes the column reduction `op` whole along its innermost loop:
/// every other loop is tiled by 1 (scf.for; the summation order of each
/// element is unchanged), and the tile, a vector of the innermost range, is
/// vectorized. Adds the loops to `loops`, whose accumulators are hoisted
/// into loop-carried vectors later. Left to LLVM where tiling fails (which
/// kept 32 scalar accumulators, spilled, for a tile of 32 f32 pixels).
static void
vectorizeColumnReduction(RewriterBase &rewriter, linalg::LinalgOp op,
                         SmallVectorImpl<LoopLikeOpInterface> &loops) {
  FailureOr<scf::SCFTilingResult> tiled =
      tileOuterLoopsByOne(rewriter, op, /*innerSize=*/0);
  if (failed(tiled) || tiled->tiledOps.size() != 1)
    return;
  rewriter.replaceOp(op, tiled->replacements);
  vectorizeInPlace(rewriter, tiled->tiledOps.front());
  // Innermost first: an accumulator is hoisted out of the loop that walks
  // the reduction before the loops around it.
  llvm::append_range(loops, llvm::reverse(tiled->loops));
}

//===----------------------------------------------------------------------===//
// Channel planes.
//===----------------------------------------------------------------------===//

/// How an input of an elementwise op is read along a trailing run of its
/// loops [runStart, numLoops) (a plane of NCHW: channels, then pixels).
enum class PlaneAccess {
  /// Element by element: the map ends with the run's loops in order, the
  /// earlier results are loops before the run.
  Contiguous,
  /// One value per channel (the run's first loop) or per plane: no result
  /// is a later loop of the run.
  PerChannel,
  /// One value per pixel, the same for every channel (LayerNorm2d's
  /// statistics, reduced over the channels): the map ends with the run's
  /// loops after the first, in order; the earlier results are loops before
  /// the run.
  PerPixel,
};

static std::optional<PlaneAccess> getPlaneAccess(AffineMap map,
                                                 unsigned runStart) {
  unsigned numLoops = map.getNumDims();
  unsigned runLength = numLoops - runStart;
  unsigned numResults = map.getNumResults();
  SmallVector<unsigned> dims;
  for (AffineExpr result : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    if (!dim)
      return std::nullopt;
    dims.push_back(dim.getPosition());
  }
  bool contiguous = numResults >= runLength;
  for (unsigned i = 0; i < numResults && contiguous; ++i) {
    unsigned fromEnd = numResults - i;
    contiguous = fromEnd <= runLength ? dims[i] == numLoops - fromEnd
                                      : dims[i] < runStart;
  }
  if (contiguous)
    return PlaneAccess::Contiguous;
  if (llvm::all_of(dims, [&](unsigned dim) { return dim <= runStart; }))
    return PlaneAccess::PerChannel;
  bool perPixel = numResults >= runLength - 1;
  for (unsigned i = 0; i < numResults && perPixel; ++i) {
    unsigned fromEnd = numResults - i;
    perPixel = fromEnd < runLength ? dims[i] == numLoops - fromEnd
                                   : dims[i] < runStart;
  }
  if (perPixel)
    return PlaneAccess::PerPixel;
  return std::nullopt;
}

/// The first loop of the run of trailing loops of `op` that
/// vectorizeChannelPlanes walks as one flat plane, when the innermost range
/// is no multiple of `vectorSize` (BatchNorm on NCHW with 7 x 7 or 14 x 14
/// pixels): the run's first loop walks channels, each of K >= `vectorSize`
/// elements (at most two channels meet in a vector), the plane holds a
/// multiple of `vectorSize` elements and has static ranges (the loops
/// before it may be dynamic), every input is a tensor read
/// contiguously, once per channel or once per pixel (the init, which
/// InPlace-ABN's payload reads, is contiguous), the payload reads no loop
/// index, and only the row tile's insertion reads the result (an output read
/// again in the tile, which privatizeReadOutput keeps in cache, is left alone).
/// The shortest such run.
static std::optional<unsigned> getChannelPlaneStart(linalg::LinalgOp op,
                                                    int64_t vectorSize) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 2 || op.getNumLoops() != op.getNumParallelLoops() ||
      !isa<linalg::GenericOp>(op.getOperation()) || op.hasIndexSemantics() ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      !op->getResult(0).hasOneUse())
    return std::nullopt;
  // Scalar inputs have no elements to extract.
  if (!llvm::all_of(op.getDpsInputs(), [](Value input) {
        return isa<RankedTensorType>(input.getType());
      }))
    return std::nullopt;
  // The loops before the run, tiled by 1, may be dynamic (a batch known at
  // run time); the run's may not.
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges.back()) || ranges.back() % vectorSize == 0)
    return std::nullopt;
  int64_t channelElements = 1;
  for (int64_t runStart = op.getNumLoops() - 2;
       runStart >= 0 && !ShapedType::isDynamic(ranges[runStart]); --runStart) {
    channelElements *= ranges[runStart + 1];
    if (channelElements < vectorSize ||
        (channelElements * ranges[runStart]) % vectorSize != 0)
      continue;
    if (llvm::all_of(op.getDpsInputOperands(), [&](OpOperand *input) {
          return getPlaneAccess(op.getMatchingIndexingMap(input), runStart)
              .has_value();
        }))
      return runStart;
  }
  return std::nullopt;
}

/// Vectorizes the elementwise `op` over flat planes: the loops before
/// `runStart` are tiled by 1, and each plane (channels x pixels, contiguous
/// in the output) is walked in vectors of `vectorSize` elements. A
/// per-channel input is the vector of its two channels' values (the
/// vector's first channel up to the boundary, then the next), selected
/// with a `vector.create_mask`. A per-pixel input is a slice of its values
/// followed by their first `vectorSize` again (LayerNorm2d's statistics).
/// Tiled by channels instead, the pixels of a
/// channel (49 at 7 x 7) would be three vectors and a remainder, stored at
/// offsets no vector store can prove aligned, and left to LLVM they were
/// scalar. Returns failure (op unchanged) where tiling fails.
static LogicalResult vectorizeChannelPlanes(RewriterBase &rewriter,
                                            linalg::LinalgOp op,
                                            unsigned runStart,
                                            int64_t vectorSize) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  unsigned numLoops = op.getNumLoops();
  linalg::LinalgOp plane = op;
  if (runStart > 0) {
    SmallVector<int64_t> sizes(numLoops, 0);
    std::fill_n(sizes.begin(), runStart, 1);
    FailureOr<scf::SCFTilingResult> tiled =
        tileWithForLoops(rewriter, op.getOperation(), sizes);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    plane = cast<linalg::LinalgOp>(tiled->tiledOps.front());
  }

  Location loc = plane.getLoc();
  int64_t channels = ranges[runStart];
  int64_t channelElements = 1;
  for (unsigned i = runStart + 1; i < numLoops; ++i)
    channelElements *= ranges[i];
  int64_t planeElements = channels * channelElements;
  auto flatten = [&](Value tensor) -> Value {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (type.getRank() == 1)
      return tensor;
    ReassociationIndices all =
        llvm::to_vector<2>(llvm::seq<int64_t>(0, type.getRank()));
    return tensor::CollapseShapeOp::create(rewriter, loc, tensor,
                                           ArrayRef<ReassociationIndices>{all});
  };
  rewriter.setInsertionPoint(plane);
  OpOperand *init = plane.getDpsInitOperand(0);
  // The output tile without its unit dimensions (a rank-reducing slice),
  // flattened: expanded back to that, the result has the tile's own
  // layout once bufferized. Expanded to the unit dimensions too, its
  // layout would differ from the output's in their strides, and
  // bufferization would copy the tile onto itself (a memcpy of every
  // GroupNorm group at 14 x 14, reading back its non-temporal stores).
  auto initType = cast<RankedTensorType>(init->get().getType());
  SmallVector<int64_t> planeShape;
  llvm::copy_if(initType.getShape(), std::back_inserter(planeShape),
                [](int64_t size) { return size != 1; });
  SmallVector<OpFoldResult> initOffsets(initType.getRank(),
                                        rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> initSizes =
      getAsIndexOpFoldResult(rewriter.getContext(), initType.getShape());
  SmallVector<OpFoldResult> initStrides(initType.getRank(),
                                        rewriter.getIndexAttr(1));
  Value planeInit = init->get();
  if (initType.hasStaticShape() &&
      planeShape.size() < static_cast<size_t>(initType.getRank()))
    planeInit = tensor::ExtractSliceOp::create(
        rewriter, loc, initType.clone(planeShape), planeInit, initOffsets,
        initSizes, initStrides);
  Value flatInit = flatten(planeInit);
  // Contiguous inputs flat; per-pixel ones flat and followed by their
  // first `vectorSize` values again, so that the vector of pixels from any
  // offset in a channel, wrapping into the next channel, is one slice.
  SmallVector<PlaneAccess> accesses;
  SmallVector<Value> flatInputs;
  for (OpOperand *input : plane.getDpsInputOperands()) {
    PlaneAccess access =
        *getPlaneAccess(plane.getMatchingIndexingMap(input), runStart);
    accesses.push_back(access);
    if (access == PlaneAccess::PerChannel) {
      flatInputs.push_back(Value());
      continue;
    }
    Value flat = flatten(input->get());
    if (access == PlaneAccess::PerPixel) {
      Type elementType = getElementTypeOrSelf(flat.getType());
      OpFoldResult zeroFold = rewriter.getIndexAttr(0);
      OpFoldResult strideFold = rewriter.getIndexAttr(1);
      Value wrapped = tensor::EmptyOp::create(
          rewriter, loc, {channelElements + vectorSize}, elementType);
      wrapped = tensor::InsertSliceOp::create(
          rewriter, loc, flat, wrapped, ArrayRef<OpFoldResult>{zeroFold},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(channelElements)},
          ArrayRef<OpFoldResult>{strideFold});
      Value head = tensor::ExtractSliceOp::create(
          rewriter, loc, flat, ArrayRef<OpFoldResult>{zeroFold},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(vectorSize)},
          ArrayRef<OpFoldResult>{strideFold});
      flat = tensor::InsertSliceOp::create(
          rewriter, loc, head, wrapped,
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(channelElements)},
          ArrayRef<OpFoldResult>{rewriter.getIndexAttr(vectorSize)},
          ArrayRef<OpFoldResult>{strideFold});
    }
    flatInputs.push_back(flat);
  }

  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value step = arith::ConstantIndexOp::create(rewriter, loc, vectorSize);
  Value upper = arith::ConstantIndexOp::create(rewriter, loc, planeElements);
  // The channel of the vector at `offset` and the elements from `offset`
  // to the next channel's first, carried by the loop rather than computed
  // by a division per vector: a vector of `vectorSize` <= K elements
  // crosses at most one boundary.
  Value elementsPerChannel =
      arith::ConstantIndexOp::create(rewriter, loc, channelElements);
  auto loop =
      scf::ForOp::create(rewriter, loc, zero, upper, step,
                         ValueRange{flatInit, zero, elementsPerChannel});
  rewriter.setInsertionPointToStart(loop.getBody());
  Value offset = loop.getInductionVar();
  Value acc = loop.getRegionIterArgs()[0];
  Value first = loop.getRegionIterArgs()[1];
  Value boundary = loop.getRegionIterArgs()[2];
  OpFoldResult offsetFold = offset;
  OpFoldResult size = rewriter.getIndexAttr(vectorSize);
  OpFoldResult one = rewriter.getIndexAttr(1);

  // The channels the vector at `offset` spans.
  Value oneIndex = arith::ConstantIndexOp::create(rewriter, loc, 1);
  Value nextUnclamped = arith::AddIOp::create(rewriter, loc, first, oneIndex);
  Value second = arith::MinUIOp::create(
      rewriter, loc, nextUnclamped,
      arith::ConstantIndexOp::create(rewriter, loc, channels - 1));
  auto maskType = VectorType::get({vectorSize}, rewriter.getI1Type());
  Value firstLanes = vector::CreateMaskOp::create(rewriter, loc, maskType,
                                                  ValueRange{boundary});

  // The vector's first pixel within its channel.
  Value pixel =
      arith::SubIOp::create(rewriter, loc, elementsPerChannel, boundary);

  SmallVector<Value> tileInputs;
  for (auto [operand, access, flat] :
       llvm::zip(plane.getDpsInputOperands(), accesses, flatInputs)) {
    OpOperand *input = operand;
    if (flat) {
      OpFoldResult start =
          access == PlaneAccess::PerPixel ? OpFoldResult(pixel) : offsetFold;
      tileInputs.push_back(tensor::ExtractSliceOp::create(
          rewriter, loc, flat, ArrayRef<OpFoldResult>{start},
          ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{one}));
      continue;
    }
    AffineMap map = plane.getMatchingIndexingMap(input);
    Type elementType = getElementTypeOrSelf(input->get().getType());
    auto valueAt = [&](Value channel) -> Value {
      SmallVector<Value> indices;
      for (AffineExpr result : map.getResults())
        indices.push_back(cast<AffineDimExpr>(result).getPosition() == runStart
                              ? channel
                              : zero); // Loops before the run: tiled by 1.
      return tensor::ExtractOp::create(rewriter, loc, input->get(), indices);
    };
    auto vectorType = VectorType::get({vectorSize}, elementType);
    Value vector =
        vector::BroadcastOp::create(rewriter, loc, vectorType, valueAt(first));
    if (map.isFunctionOfDim(runStart))
      vector = arith::SelectOp::create(
          rewriter, loc, firstLanes, vector,
          vector::BroadcastOp::create(rewriter, loc, vectorType,
                                      valueAt(second)));
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, {vectorSize}, elementType);
    tileInputs.push_back(
        vector::TransferWriteOp::create(rewriter, loc, vector, empty,
                                        ValueRange{zero}, ArrayRef<bool>{true})
            .getResult());
  }
  Value tileInit = tensor::ExtractSliceOp::create(
      rewriter, loc, acc, ArrayRef<OpFoldResult>{offsetFold},
      ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{one});
  AffineMap identity = rewriter.getMultiDimIdentityMap(1);
  SmallVector<AffineMap> maps(tileInputs.size() + 1, identity);
  auto tile = linalg::GenericOp::create(
      rewriter, loc, TypeRange{tileInit.getType()}, tileInputs,
      ValueRange{tileInit}, maps,
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel});
  rewriter.cloneRegionBefore(plane->getRegion(0), tile.getRegion(),
                             tile.getRegion().end());
  Value inserted = tensor::InsertSliceOp::create(
      rewriter, loc, tile->getResult(0), acc,
      ArrayRef<OpFoldResult>{offsetFold}, ArrayRef<OpFoldResult>{size},
      ArrayRef<OpFoldResult>{one});
  // The next vector's: past the boundary, the next channel.
  Value remaining = arith::SubIOp::create(rewriter, loc, boundary, step);
  Value crosses = arith::CmpIOp::create(
      rewriter, loc, arith::CmpIPredicate::sle, remaining, zero);
  Value nextFirst =
      arith::SelectOp::create(rewriter, loc, crosses, nextUnclamped, first);
  Value nextBoundary = arith::SelectOp::create(
      rewriter, loc, crosses,
      arith::AddIOp::create(rewriter, loc, remaining, elementsPerChannel),
      remaining);
  scf::YieldOp::create(rewriter, loc,
                       ValueRange{inserted, nextFirst, nextBoundary});

  rewriter.setInsertionPointAfter(loop);
  auto planeType = cast<RankedTensorType>(planeInit.getType());
  ReassociationIndices all =
      llvm::to_vector<2>(llvm::seq<int64_t>(0, planeType.getRank()));
  Value result = loop.getResult(0);
  if (planeType.getRank() != 1)
    result = tensor::ExpandShapeOp::create(rewriter, loc, planeType, result,
                                           ArrayRef<ReassociationIndices>{all});
  if (planeInit != init->get())
    result = tensor::InsertSliceOp::create(rewriter, loc, result, init->get(),
                                           initOffsets, initSizes, initStrides);
  rewriter.replaceOp(plane, result);
  vectorizeInPlace(rewriter, tile);
  return success();
}

/// The linalg ops in the bodies of the scf.foralls under `root` (the row
/// tiles) for which `predicate` holds, collected before any is rewritten.
static SmallVector<linalg::LinalgOp>
collectInForalls(Operation *root,
                 function_ref<bool(linalg::LinalgOp)> predicate) {
  SmallVector<linalg::LinalgOp> ops;
  root->walk([&](scf::ForallOp forall) {
    forall.getBody()->walk([&](linalg::LinalgOp op) {
      if (predicate(op))
        ops.push_back(op);
    });
  });
  return ops;
}

namespace {
struct VectorizeRowOutputsPass
    : public norm::impl::NormVectorizeRowOutputsPassBase<
          VectorizeRowOutputsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorSize <= 0)
      return;
    SmallVector<std::pair<linalg::LinalgOp, tensor::ParallelInsertSliceOp>>
        inserted;
    SmallVector<std::pair<linalg::LinalgOp, unsigned>> planes;
    getOperation().walk([&](tensor::ParallelInsertSliceOp insert) {
      auto op = insert.getSource().getDefiningOp<linalg::LinalgOp>();
      if (!op)
        return;
      if (isVectorizableOutput(op, vectorSize))
        inserted.push_back({op, insert});
      else if (std::optional<unsigned> runStart =
                   getChannelPlaneStart(op, vectorSize))
        planes.push_back({op, *runStart});
    });

    IRRewriter rewriter(&getContext());
    SmallVector<LoopLikeOpInterface> reductionLoops;
    // Whether a reduction was split across rows (its loops are not in
    // reductionLoops: the accumulators stay in memory); its merges still
    // need lowering.
    bool summedAcrossRows = false;
    if (reductionAccumulators > 0) {
      int64_t width = vectorSize * reductionAccumulators;
      for (linalg::LinalgOp op :
           collectInForalls(getOperation(), [&](linalg::LinalgOp op) {
             return getReductionSplitWidth(op, width, vectorSize) > 0;
           })) {
        summedAcrossRows |= isSummedAcrossRows(op);
        splitReduction(rewriter, op,
                       getReductionSplitWidth(op, width, vectorSize),
                       reductionLoops);
      }
    }
    for (linalg::LinalgOp op :
         collectInForalls(getOperation(), [&](linalg::LinalgOp op) {
           return isColumnReduction(op, vectorSize);
         }))
      vectorizeColumnReduction(rewriter, op, reductionLoops);

    SmallVector<linalg::LinalgOp> outputs;
    for (auto [op, insert] : inserted)
      outputs.push_back(privatizeReadOutput(rewriter, op, insert));
    for (linalg::LinalgOp op : outputs) {
      bool runtimeLength =
          ShapedType::isDynamic(op.getStaticLoopRanges().back());
      FailureOr<scf::SCFTilingResult> tiled =
          tileOuterLoopsByOne(rewriter, op, vectorSize);
      if (failed(tiled)) {
        op.emitOpError("failed to tile into vectors");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
      if (runtimeLength) {
        if (auto loop =
                dyn_cast<scf::ForOp>(tiled->loops.back().getOperation()))
          vectorizeRowOfRuntimeLength(rewriter, loop, vectorSize);
        continue;
      }
      // Left as a scalar tile where vectorization fails: still correct,
      // LLVM may vectorize.
      for (Operation *tiledOp : tiled->tiledOps)
        vectorizeInPlace(rewriter, tiledOp);
    }

    for (auto [op, runStart] : planes)
      (void)vectorizeChannelPlanes(rewriter, op, runStart, vectorSize);

    // vector<1x...x1xV> -> vector<V>: 1-D transfers, which lower to plain
    // vector loads and stores.
    RewritePatternSet patterns(&getContext());
    vector::populateCastAwayVectorLeadingOneDimPatterns(patterns);
    // A column reduction's reduction over its unit (tiled) dimension: an
    // elementwise combine.
    vector::MultiDimReductionOp::getCanonicalizationPatterns(patterns,
                                                             &getContext());
    vector::TransferReadOp::getCanonicalizationPatterns(patterns,
                                                        &getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns,
                                                         &getContext());
    // The remainders' `vector.mask { vector.transfer_* }` as transfers with
    // a mask operand: ownership-based deallocation later puts constants into
    // a mask's region, which then fails to verify.
    vector::populateVectorMaskLoweringPatternsForSideEffectingOps(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    if (reductionLoops.empty() && !summedAcrossRows)
      return;
    // The partial accumulator's transfer_read/transfer_write pair in each
    // split reduction loop becomes a vector carried by the loop (after the
    // patterns, which give the pair the same folded indices).
    for (LoopLikeOpInterface loop : reductionLoops)
      hoistLoopInvariantSubsets(rewriter, loop);
    // The merges' vector.multi_reductions to vector.reductions, which
    // convert-vector-to-llvm lowers (it has no multi_reduction patterns);
    // the loops lose the tensor that carried the accumulator.
    RewritePatternSet reductionPatterns(&getContext());
    vector::populateVectorMultiReductionLoweringPatterns(
        reductionPatterns,
        vector::VectorMultiReductionLowering::InnerReduction);
    scf::ForOp::getCanonicalizationPatterns(reductionPatterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(),
                                     std::move(reductionPatterns))))
      signalPassFailure();
  }
};
} // namespace
