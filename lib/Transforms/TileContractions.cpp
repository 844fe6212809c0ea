//===- TileContractions.cpp - Register tiles for contractions -------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-tile-contractions: tiles linalg contractions (matmul, batch_matmul,
// contraction generics) on tensors into register tiles with scf.for
// (TilingInterface), vectorizes each tile to vector.contract, keeps the
// accumulator tile in registers across the reduction loop and lowers the
// contractions to vector FMAs.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMTILECONTRACTIONSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct TileContractionsPass
    : public norm::impl::NormTileContractionsPassBase<TileContractionsPass> {
  using Base::Base;

  void runOnOperation() override;
};

/// How one contraction is tiled: the tile size of every loop (0: untiled)
/// and the order of the loops (batch, m, n outermost to innermost, then k).
struct RegisterTiling {
  SmallVector<int64_t> tileSizes;
  SmallVector<int64_t> interchange;
  /// The loop along the result's contiguous dimension (the vector lanes).
  unsigned vectorDim = 0;
};
} // namespace

/// Whether `op` is a contraction this pass tiles: on tensors, no empty
/// loop, and (when its shape is static) a body that linalg::vectorize turns
/// into a vector.contract. Dynamic loops are checked by getRegisterTiling.
static bool isCandidate(linalg::LinalgOp op) {
  if (!op.hasPureTensorSemantics() || op->getNumResults() != 1 ||
      !isa<TilingInterface>(op.getOperation()) ||
      !linalg::isaContractionOpInterface(op) ||
      llvm::is_contained(op.getStaticLoopRanges(), int64_t{0}))
    return false;
  return op.hasDynamicShape() || succeeded(linalg::vectorizeOpPrecondition(op));
}

/// The register tiling of `op`: the parallel loop that walks the innermost
/// (contiguous) dimension of the result gets `vectorTile` iterations, the
/// innermost loop of the other operand side (m or n) `broadcastTile`, the
/// reduction loops `reductionTile`, every other loop (batch, outer m/n) 1.
/// A tile that covers its whole loop is left untiled (size 0). A dynamic
/// loop is tiled by 1, so that the tiles keep a static shape (the row tiles
/// of norm-tile-and-fuse-rows that do not divide the rows have a dynamic
/// size): one row of accumulators instead of `broadcastTile`. A dynamic
/// vector loop is not supported (failure).
static FailureOr<RegisterTiling> getRegisterTiling(linalg::LinalgOp op,
                                                   int64_t broadcastTile,
                                                   int64_t vectorTile,
                                                   int64_t reductionTile) {
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims))
    return failure();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  RegisterTiling tiling;
  tiling.tileSizes.assign(ranges.size(), 1);

  // The dimension the result's rows are contiguous along gets the vectors.
  AffineMap resultMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  auto innermost = dyn_cast<AffineDimExpr>(resultMap.getResults().back());
  SmallVector<unsigned, 2> vectorDims = dims->n, broadcastDims = dims->m;
  if (innermost && llvm::is_contained(dims->m, innermost.getPosition()))
    std::swap(vectorDims, broadcastDims);
  tiling.tileSizes[broadcastDims.back()] = broadcastTile;
  // Vectors of a power-of-two length only (see getPartSizes).
  tiling.tileSizes[vectorDims.back()] =
      static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(vectorTile)));
  tiling.vectorDim = vectorDims.back();
  for (unsigned k : dims->k)
    tiling.tileSizes[k] = reductionTile;
  if (ShapedType::isDynamic(ranges[vectorDims.back()]))
    return failure();
  for (auto [size, range] : llvm::zip(tiling.tileSizes, ranges)) {
    if (ShapedType::isDynamic(range))
      size = 1;
    else if (size >= range)
      size = 0;
  }

  // Loop order: batch, the vector side, the broadcast side, then the
  // reductions innermost (so that the accumulator tile is loop-invariant
  // in them). The right operand's panel of `vectorTile` columns is reused
  // from cache by every row tile of the left one.
  llvm::SmallDenseSet<unsigned> placed;
  auto place = [&](ArrayRef<unsigned> group) {
    for (unsigned dim : group)
      if (placed.insert(dim).second)
        tiling.interchange.push_back(dim);
  };
  place(dims->batch);
  place(vectorDims);
  place(broadcastDims);
  place(dims->k);
  if (tiling.interchange.size() != ranges.size())
    return failure();
  return tiling;
}

/// The sizes of the consecutive parts a parallel loop of `size` iterations
/// is split into: a multiple of `tile` (0: the loop is not tiled), then the
/// remainder, which on the vector loop (`powersOfTwo`) is itself split into
/// powers of two: LLVM legalizes a vector of 21 lanes element by element
/// (a 8 x 24 tile ran 15x slower than 8 x 32), one of 16, 4 and 1 lanes as
/// plain registers.
static SmallVector<int64_t> getPartSizes(int64_t size, int64_t tile,
                                         bool powersOfTwo) {
  SmallVector<int64_t> parts;
  int64_t rest = size;
  if (tile > 0 && size - size % tile > 0) {
    parts.push_back(size - size % tile);
    rest = size % tile;
  }
  while (rest > 0) {
    int64_t part =
        powersOfTwo
            ? static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(rest)))
            : rest;
    parts.push_back(part);
    rest -= part;
  }
  return parts;
}

/// Splits `op` along its tiled parallel loops (getPartSizes): every tile of
/// every part then has a static shape, which vectorization needs, and the
/// vector loop's parts are powers of two or multiples of the vector tile.
static SmallVector<TilingInterface>
splitRemainders(RewriterBase &rewriter, linalg::LinalgOp op,
                const RegisterTiling &tiling) {
  SmallVector<TilingInterface> parts = {cast<TilingInterface>(*op)};
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [dim, tile] : llvm::enumerate(tiling.tileSizes)) {
    bool isVectorDim = dim == tiling.vectorDim;
    if ((tile <= 0 && !isVectorDim) ||
        iterators[dim] != utils::IteratorType::parallel ||
        ShapedType::isDynamic(ranges[dim]))
      continue;
    SmallVector<int64_t> sizes = getPartSizes(ranges[dim], tile, isVectorDim);
    if (sizes.size() < 2)
      continue;
    SmallVector<TilingInterface> next;
    for (TilingInterface part : parts) {
      TilingInterface rest = part;
      for (int64_t size : ArrayRef(sizes).drop_back()) {
        rewriter.setInsertionPoint(rest);
        auto [first, second] =
            linalg::splitOp(rewriter, rest, dim, rewriter.getIndexAttr(size));
        next.push_back(first);
        rest = second;
      }
      next.push_back(rest);
    }
    parts = std::move(next);
  }
  return parts;
}

/// Extends the operands of a vector.contract that are narrower than its
/// accumulator (bf16/f16 inputs accumulated in f32, as the linalg op's own
/// casts say) to the accumulator's element type: the outer-product lowering
/// multiplies and adds in one type.
static void promoteContractOperands(RewriterBase &rewriter,
                                    vector::ContractionOp contract) {
  auto accType =
      dyn_cast<FloatType>(getElementTypeOrSelf(contract.getAccType()));
  if (!accType)
    return;
  for (OpOperand *operand :
       {&contract.getLhsMutable(), &contract.getRhsMutable()}) {
    auto type = cast<VectorType>(operand->get().getType());
    auto elementType = dyn_cast<FloatType>(type.getElementType());
    if (!elementType || elementType.getWidth() >= accType.getWidth())
      continue;
    rewriter.setInsertionPoint(contract);
    Value extended = arith::ExtFOp::create(rewriter, contract.getLoc(),
                                           type.clone(accType), operand->get());
    rewriter.modifyOpInPlace(contract, [&] { operand->set(extended); });
  }
}

/// Carries the n-D vector iter_args of `loop` (the accumulator tile) whose
/// size is a power of two as 1-D vectors, cast with vector.shape_cast at the
/// loop's boundaries. An n-D vector becomes an LLVM array of vectors, whose
/// loop phis LLVM's register allocator copies around (and spills) on every
/// iteration; a 1-D vector phi is split into plain vector registers.
static void flattenVectorIterArgs(RewriterBase &rewriter, scf::ForOp loop) {
  Location loc = loop.getLoc();
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (unsigned i = 0, e = loop.getNumRegionIterArgs(); i < e; ++i) {
    BlockArgument arg = loop.getRegionIterArgs()[i];
    OpResult result = loop->getResult(i);
    OpOperand &init = loop.getInitArgsMutable()[i];
    OpOperand &yielded = yield.getResultsMutable()[i];
    auto type = dyn_cast<VectorType>(arg.getType());
    // A flat vector whose size is not a power of two is widened by LLVM,
    // and its rows are then shuffled element by element (6 x 32 rows of
    // accumulators ran 8x slower flat than as an array of rows).
    if (!type || type.getRank() < 2 || type.isScalable() ||
        !llvm::isPowerOf2_64(type.getNumElements()))
      continue;
    auto flatType =
        VectorType::get({type.getNumElements()}, type.getElementType());
    rewriter.setInsertionPoint(loop);
    Value flatInit =
        vector::ShapeCastOp::create(rewriter, loc, flatType, init.get());
    rewriter.setInsertionPoint(yield);
    Value flatYielded =
        vector::ShapeCastOp::create(rewriter, loc, flatType, yielded.get());
    rewriter.modifyOpInPlace(loop, [&] {
      init.set(flatInit);
      arg.setType(flatType);
      result.setType(flatType);
    });
    rewriter.modifyOpInPlace(yield, [&] { yielded.set(flatYielded); });
    rewriter.setInsertionPointToStart(loop.getBody());
    auto argTile = vector::ShapeCastOp::create(rewriter, loc, type, arg);
    rewriter.replaceAllUsesExcept(arg, argTile, argTile);
    rewriter.setInsertionPointAfter(loop);
    auto resultTile = vector::ShapeCastOp::create(rewriter, loc, type, result);
    rewriter.replaceAllUsesExcept(result, resultTile, resultTile);
  }
}

/// Tiles one part with scf.for, vectorizes its tile and keeps the
/// accumulator tile in registers across the reduction loops. Returns the
/// op that holds the result (the outermost loop, or the vectorized tile's
/// parent when nothing was tiled).
static FailureOr<Operation *> tileAndVectorize(RewriterBase &rewriter,
                                               TilingInterface part,
                                               const RegisterTiling &tiling) {
  auto linalgOp = cast<linalg::LinalgOp>(part.getOperation());
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  SmallVector<OpFoldResult> tileSizes;
  for (auto [tile, range] : llvm::zip(tiling.tileSizes, ranges)) {
    bool whole = tile <= 0 || (!ShapedType::isDynamic(range) && tile >= range);
    tileSizes.push_back(rewriter.getIndexAttr(whole ? 0 : tile));
  }

  scf::SCFTilingOptions options;
  options.setTileSizes(tileSizes)
      .setInterchange(tiling.interchange)
      .setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
  rewriter.setInsertionPoint(part);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, part, options);
  if (failed(tiled))
    return part.emitOpError("failed to tile into register tiles");
  rewriter.replaceOp(part, tiled->replacements);

  Operation *tile = tiled->tiledOps.back();
  Operation *holder = tiled->loops.empty()
                          ? tile->getParentOp()
                          : tiled->loops.front().getOperation();
  rewriter.setInsertionPoint(tile);
  FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
      rewriter, tile, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
      /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
      /*assumeDynamicDimsMatchVecSizes=*/false,
      /*createNamedContraction=*/true);
  if (succeeded(vectorized))
    rewriter.replaceOp(tile, vectorized->replacements);

  // Innermost loop first: the slice of the accumulator, then its
  // transfer_read/transfer_write pair, become iter_args of the reduction
  // loops.
  // Each call hoists one level and replaces the loop: repeat until the
  // number of loop-carried values stops growing.
  for (int64_t i = tiled->loops.size() - 1; i >= 0; --i) {
    LoopLikeOpInterface loop = tiled->loops[i];
    // The indices of the transfers (constants the vectorizer created in the
    // loop) must be defined outside the loop first.
    moveLoopInvariantCode(loop);
    size_t numInits;
    do {
      numInits = loop.getInits().size();
      loop = hoistLoopInvariantSubsets(rewriter, loop);
    } while (loop.getInits().size() != numInits);
    if (auto forOp = dyn_cast<scf::ForOp>(loop.getOperation()))
      flattenVectorIterArgs(rewriter, forOp);
    if (i == 0)
      holder = loop;
  }
  return holder;
}

void TileContractionsPass::runOnOperation() {
  if (registerTileM <= 0 || registerTileN <= 0 || registerTileK <= 0)
    return;
  SmallVector<linalg::LinalgOp> contractions;
  getOperation().walk([&](linalg::LinalgOp op) {
    if (isCandidate(op))
      contractions.push_back(op);
  });

  IRRewriter rewriter(&getContext());
  SmallVector<Operation *> holders;
  for (linalg::LinalgOp op : contractions) {
    FailureOr<RegisterTiling> tiling =
        getRegisterTiling(op, registerTileM, registerTileN, registerTileK);
    if (failed(tiling))
      continue;
    for (TilingInterface part : splitRemainders(rewriter, op, *tiling)) {
      FailureOr<Operation *> holder = tileAndVectorize(rewriter, part, *tiling);
      if (failed(holder))
        return signalPassFailure();
      holders.push_back(*holder);
    }
  }

  // linalg::vectorize gives named contractions a vector.contract, generics
  // a broadcast multiply and a vector.multi_reduction: fold those into
  // vector.contracts too (only in the register tiles).
  // The generic's operands are broadcast inside their transfer_reads: turn
  // those into vector.broadcasts first, which the contraction absorbs.
  for (Operation *holder : holders) {
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    RewritePatternSet transferPatterns(&getContext());
    vector::populateVectorTransferPermutationMapLoweringPatterns(
        transferPatterns);
    if (failed(applyPatternsGreedily(holder->getRegions().front(),
                                     std::move(transferPatterns), config)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    vector::populateVectorReductionToContractPatterns(patterns);
    if (failed(applyPatternsGreedily(holder->getRegions().front(),
                                     std::move(patterns), config)))
      return signalPassFailure();
    holder->walk([&](vector::ContractionOp contract) {
      promoteContractOperands(rewriter, contract);
    });
  }
  if (!lowerContractions)
    return;

  // vector.contract -> vector.outerproduct -> vector.fma, one pattern set
  // at a time.
  RewritePatternSet contractPatterns(&getContext());
  vector::populateVectorContractLoweringPatterns(
      contractPatterns, vector::VectorContractLowering::OuterProduct);
  if (failed(
          applyPatternsGreedily(getOperation(), std::move(contractPatterns))))
    return signalPassFailure();
  RewritePatternSet outerProductPatterns(&getContext());
  vector::populateVectorOuterProductLoweringPatterns(outerProductPatterns);
  if (failed(applyPatternsGreedily(getOperation(),
                                   std::move(outerProductPatterns))))
    return signalPassFailure();
}
