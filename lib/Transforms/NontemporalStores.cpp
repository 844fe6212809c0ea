//===- NontemporalStores.cpp - Non-temporal stores of function outputs ----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-nontemporal-stores: lowers 1-D vector transfers to loads/stores and
// marks the stores into function arguments non-temporal. With
// `aligned-versions`, a loop whose stores provably sit at multiples of their
// own size from the start of their argument is cloned into an scf.if on the
// arguments' run-time alignment; the clone's stores carry `alignment`.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <limits>
#include <numeric>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMNONTEMPORALSTORESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether `memref` is a function argument or a view of one.
static bool isArgumentView(Value memref) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(memref))
      return isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
    auto view = memref.getDefiningOp<ViewLikeOpInterface>();
    if (!view)
      return false;
    memref = view.getViewSource();
  }
}

//===----------------------------------------------------------------------===//
// Divisibility of element offsets.
//
// A divisor of 0 means "divisible by every integer" (the value is 0), so
// that std::gcd(0, d) = d combines it; 1 means nothing is known.
//===----------------------------------------------------------------------===//

static uint64_t knownDivisor(Value value);

/// A divisor of a product of two values, one divisible by `lhs`, the other
/// by `rhs`: their product where it fits in 64 bits, else the larger one
/// (still a divisor; large non-power-of-two factors would wrap around).
static uint64_t product(uint64_t lhs, uint64_t rhs) {
  if (lhs != 0 && rhs > std::numeric_limits<uint64_t>::max() / lhs)
    return std::max(lhs, rhs);
  return lhs * rhs;
}

static uint64_t times(uint64_t divisor, int64_t factor) {
  return product(divisor, factor < 0 ? 0 - static_cast<uint64_t>(factor)
                                     : static_cast<uint64_t>(factor));
}

/// A divisor of `expr` whose dimensions and symbols are `operands`.
static uint64_t knownDivisor(AffineExpr expr, ValueRange operands,
                             unsigned numDims) {
  if (auto constant = dyn_cast<AffineConstantExpr>(expr))
    return times(1, constant.getValue());
  if (auto dim = dyn_cast<AffineDimExpr>(expr))
    return knownDivisor(operands[dim.getPosition()]);
  if (auto symbol = dyn_cast<AffineSymbolExpr>(expr))
    return knownDivisor(operands[numDims + symbol.getPosition()]);
  auto binary = cast<AffineBinaryOpExpr>(expr);
  uint64_t lhs = knownDivisor(binary.getLHS(), operands, numDims);
  uint64_t rhs = knownDivisor(binary.getRHS(), operands, numDims);
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return std::gcd(lhs, rhs);
  case AffineExprKind::Mul:
    return product(lhs, rhs);
  default: // floordiv, ceildiv, mod: nothing known.
    return 1;
  }
}

/// A divisor of the index `value`.
static uint64_t knownDivisor(Value value) {
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return times(1, constant.getSExtValue());
  if (auto iv = dyn_cast<BlockArgument>(value)) {
    Operation *owner = iv.getOwner()->getParentOp();
    // lb + k * step.
    if (auto loop = dyn_cast<scf::ForOp>(owner);
        loop && iv == loop.getInductionVar())
      return std::gcd(knownDivisor(loop.getLowerBound()),
                      knownDivisor(loop.getStep()));
    if (auto loop = dyn_cast<scf::ParallelOp>(owner)) {
      unsigned index = iv.getArgNumber();
      return std::gcd(knownDivisor(loop.getLowerBound()[index]),
                      knownDivisor(loop.getStep()[index]));
    }
    return 1;
  }
  Operation *op = value.getDefiningOp();
  if (isa<arith::AddIOp, arith::SubIOp>(op))
    return std::gcd(knownDivisor(op->getOperand(0)),
                    knownDivisor(op->getOperand(1)));
  if (isa<arith::MulIOp>(op))
    return product(knownDivisor(op->getOperand(0)),
                   knownDivisor(op->getOperand(1)));
  if (auto apply = dyn_cast<affine::AffineApplyOp>(op))
    return knownDivisor(apply.getAffineMap().getResult(0),
                        apply.getMapOperands(),
                        apply.getAffineMap().getNumDims());
  return 1;
}

/// What the divisors of the offsets below may assume of the dynamic
/// strides of a view: that they are multiples of `strideDivisor` elements
/// (0: nothing), which the version's condition then checks at run time
/// (`assumed` records that an offset relied on it). Valid while every
/// dynamic stride of the view is one of its argument's times an integer:
/// views through subviews, casts, collapses and expansions.
struct StrideAssumption {
  /// The elements of the store.
  uint64_t storeElements = 1;
  int64_t strideDivisor = 0;
  /// The dimensions of the argument whose strides an offset relied on.
  llvm::SmallSetVector<int64_t, 4> assumedDims;
  /// Whether an offset was a multiple of a dynamic stride at all.
  bool sawDynamic = false;
};

/// The function argument that `memref` views through casts, collapses,
/// expansions and subviews, and for each dimension of `memref` the
/// dimension of that argument whose stride it has times an integer (a
/// subview's step, the sizes after it in an expanded group), -1 where that
/// is not known: a divisor of that argument stride divides it. A null argument
/// when the view is not understood.
struct ArgumentStrides {
  BlockArgument arg;
  SmallVector<int64_t> dims;
};
static ArgumentStrides getArgumentStrides(Value memref) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type)
    return {};
  int64_t rank = type.getRank();
  ArgumentStrides result{nullptr, SmallVector<int64_t>(rank, -1)};
  if (auto arg = dyn_cast<BlockArgument>(memref)) {
    if (isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
      result = {arg, llvm::to_vector(llvm::seq<int64_t>(0, rank))};
    return result;
  }
  Operation *op = memref.getDefiningOp();
  if (auto castOp = dyn_cast_if_present<memref::CastOp>(op)) {
    ArgumentStrides source = getArgumentStrides(castOp.getSource());
    return source.dims.size() == static_cast<size_t>(rank) ? source : result;
  }
  if (auto collapse = dyn_cast_if_present<memref::CollapseShapeOp>(op)) {
    ArgumentStrides source = getArgumentStrides(collapse.getSrc());
    MemRefType sourceType = collapse.getSrcType();
    for (auto [dim, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      // The stride of a collapsed group is that of its last dimension of
      // a size other than 1 (as the LLVM lowering takes it).
      int64_t last = group.back();
      for (int64_t member : llvm::reverse(group))
        if (sourceType.getDimSize(member) != 1) {
          last = member;
          break;
        }
      result.dims[dim] = source.dims[last];
    }
    result.arg = source.arg;
    return result;
  }
  if (auto expand = dyn_cast_if_present<memref::ExpandShapeOp>(op)) {
    // A dimension of an expanded group has the stride of the group's source
    // dimension times the sizes after it in the group (group norm's
    // channels split into [G, C/G]).
    ArgumentStrides source = getArgumentStrides(expand.getSrc());
    if (!source.arg)
      return result;
    for (auto [sourceDim, group] :
         llvm::enumerate(expand.getReassociationIndices()))
      for (int64_t dim : group)
        result.dims[dim] = source.dims[sourceDim];
    result.arg = source.arg;
    return result;
  }
  if (auto subview = dyn_cast_if_present<memref::SubViewOp>(op)) {
    ArgumentStrides source = getArgumentStrides(subview.getSource());
    llvm::SmallBitVector dropped = subview.getDroppedDims();
    unsigned resultDim = 0;
    for (auto [sourceDim, argDim] : llvm::enumerate(source.dims))
      if (!dropped.test(sourceDim))
        result.dims[resultDim++] = argDim;
    result.arg = source.arg;
  }
  return result;
}

/// A divisor of each stride of `memref` (in elements; 1 where nothing is
/// known): a static stride itself; a dynamic one a divisor of the argument
/// stride it has (getArgumentStrides), which for an argument with the
/// identity layout is the product of the sizes after it, so a multiple of
/// the static ones ([?, ?, ?, 64]: every stride a multiple of 64).
static SmallVector<uint64_t> knownStrideDivisors(Value memref,
                                                 const ArgumentStrides &view) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  SmallVector<uint64_t> divisors(type.getRank(), 1);
  if (failed(type.getStridesAndOffset(strides, unusedOffset)))
    return divisors;
  SmallVector<uint64_t> argDivisors;
  if (view.arg) {
    auto argType = cast<MemRefType>(view.arg.getType());
    SmallVector<int64_t> argStrides;
    if (succeeded(argType.getStridesAndOffset(argStrides, unusedOffset))) {
      uint64_t suffix = 1;
      argDivisors.assign(argType.getRank(), 1);
      for (int64_t dim = argType.getRank() - 1; dim >= 0; --dim) {
        if (!ShapedType::isDynamic(argStrides[dim]))
          argDivisors[dim] = times(1, argStrides[dim]);
        else if (argType.getLayout().isIdentity())
          argDivisors[dim] = suffix;
        if (!argType.isDynamicDim(dim))
          suffix = times(suffix, argType.getDimSize(dim));
      }
    }
  }
  for (auto [divisor, stride, argDim] :
       llvm::zip(divisors, strides, view.dims)) {
    if (!ShapedType::isDynamic(stride))
      divisor = times(1, stride);
    else if (argDim >= 0 && !argDivisors.empty())
      divisor = argDivisors[argDim];
  }
  return divisors;
}

/// `argDim` when the stride of that dimension of `arg` is dynamic, so that
/// a version's condition can check it; else -1. (A dynamic stride of an
/// expansion may be a static one of the argument times a size: a row of
/// run-time length in a flat buffer.)
static int64_t getCheckableDim(BlockArgument arg, int64_t argDim) {
  auto type = arg ? dyn_cast<MemRefType>(arg.getType()) : MemRefType();
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  if (argDim < 0 || !type ||
      failed(type.getStridesAndOffset(strides, unusedOffset)) ||
      !ShapedType::isDynamic(strides[argDim]))
    return -1;
  return argDim;
}

/// A divisor of `offset * stride` (offset a static or dynamic index;
/// `strideDivisor` a known divisor of a dynamic stride, 1 for none; the
/// stride is that of dimension `argDim` of the argument, -1: unknown).
static uint64_t termDivisor(OpFoldResult offset, int64_t stride,
                            uint64_t strideDivisor, int64_t argDim,
                            StrideAssumption *assumption = nullptr) {
  uint64_t divisor;
  if (auto attr = dyn_cast<Attribute>(offset))
    divisor = times(1, cast<IntegerAttr>(attr).getInt());
  else
    divisor = knownDivisor(cast<Value>(offset));
  if (divisor == 0)
    return 0; // A zero offset, whatever the stride.
  if (ShapedType::isDynamic(stride)) {
    // A stride known to be a multiple of the store's size needs no
    // assumption (nor a check): rows of static length.
    if (!assumption || strideDivisor % assumption->storeElements == 0)
      return product(divisor, strideDivisor);
    assumption->sawDynamic = true;
    if (assumption->strideDivisor == 0 || argDim < 0)
      return product(divisor, strideDivisor);
    assumption->assumedDims.insert(argDim);
    return times(divisor, assumption->strideDivisor);
  }
  return times(divisor, stride);
}

/// A divisor of the element offset that `indices` select in `memref` (a
/// view of `arg` whose strides are `strides`): the gcd of the terms
/// index * stride, the dynamic strides' divisors known from the argument's
/// (assumed of its dynamic strides only, which a condition can check).
static uint64_t indexedOffsetDivisor(Value memref, ArrayRef<int64_t> strides,
                                     ArrayRef<OpFoldResult> indices,
                                     BlockArgument arg,
                                     StrideAssumption *assumption) {
  ArgumentStrides view = getArgumentStrides(memref);
  uint64_t divisor = 0;
  for (auto [index, stride, strideDivisor, argDim] : llvm::zip(
           indices, strides, knownStrideDivisors(memref, view), view.dims))
    divisor = std::gcd(divisor,
                       termDivisor(index, stride, strideDivisor,
                                   getCheckableDim(arg, argDim), assumption));
  return divisor;
}

/// Whether the memref type `type` has a unit innermost stride and every
/// other stride dynamic.
static bool hasDynamicOuterStrides(Type type) {
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  auto memrefType = dyn_cast<MemRefType>(type);
  if (!memrefType ||
      failed(memrefType.getStridesAndOffset(strides, unusedOffset)) ||
      strides.empty() || strides.back() != 1)
    return false;
  return llvm::all_of(ArrayRef(strides).drop_back(), ShapedType::isDynamic);
}

/// A divisor of the offset (in elements) of `memref`'s first element from
/// the first element of the function argument it views, and that argument;
/// a null argument when the view is not understood.
static std::pair<uint64_t, BlockArgument>
offsetFromArgument(Value memref, StrideAssumption *assumption = nullptr) {
  if (auto arg = dyn_cast<BlockArgument>(memref)) {
    if (!isa<FunctionOpInterface>(arg.getOwner()->getParentOp()))
      return {1, nullptr};
    // A view's dynamic stride is one of the argument's only when those are
    // all dynamic but the unit innermost one (a cast may hide a static
    // stride of 1000 elements behind a `?`).
    if (assumption && assumption->strideDivisor != 0 &&
        !hasDynamicOuterStrides(arg.getType()))
      assumption->strideDivisor = 0;
    return {0, arg};
  }
  Operation *op = memref.getDefiningOp();
  if (!op)
    return {1, nullptr};
  // Views that keep the first element.
  if (isa<memref::CastOp, memref::CollapseShapeOp>(op))
    return offsetFromArgument(op->getOperand(0), assumption);
  // An expansion's strides are its source's times the sizes after them in
  // their group: multiples of what the source's are (the assumption holds
  // through it; getArgumentStrides tells which dimensions it applies to).
  if (isa<memref::ExpandShapeOp>(op))
    return offsetFromArgument(op->getOperand(0), assumption);
  auto subview = dyn_cast<memref::SubViewOp>(op);
  if (!subview)
    return {1, nullptr};
  auto [divisor, arg] = offsetFromArgument(subview.getSource(), assumption);
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  if (!arg || failed(subview.getSourceType().getStridesAndOffset(strides,
                                                                 unusedOffset)))
    return {1, nullptr};
  // (A dynamic innermost stride may be the argument's unit one.)
  if (assumption && (strides.empty() || strides.back() != 1))
    assumption->strideDivisor = 0;
  divisor = std::gcd(divisor, indexedOffsetDivisor(subview.getSource(), strides,
                                                   subview.getMixedOffsets(),
                                                   arg, assumption));
  return {divisor, arg};
}

/// The widest vector register of the targets (AVX-512): a wider store is
/// split into stores of this size, each needing only this alignment.
static constexpr int64_t kMaxVectorBytes = 64;

/// The alignment of glibc's malloc, and so of numpy's own arrays.
static constexpr int64_t kNumpyAlignment = 16;

/// The alignment of a store when its argument is aligned.
struct StoreAlignment {
  int64_t bytes = 0;
  BlockArgument arg;
  /// The dimensions whose dynamic strides of the argument `bytes` also
  /// needs to be multiples of it (checked in the version's condition).
  SmallVector<int64_t> assumedDims;
  /// Whether the store's offset depends on a dynamic stride at all, proven
  /// aligned or not (see isStreamedOnlyAligned).
  bool dynamicStrides = false;
};

/// The alignment in bytes that `store` has when its argument's first element
/// is aligned to the store's size (a power of two) or to kMaxVectorBytes,
/// whichever is smaller (and, where the offset depends on them, its dynamic
/// strides are multiples of that size: rows of a length known at run time),
/// and that argument; 0 when no such alignment is provable. Without it LLVM
/// splits an unaligned non-temporal store into 8-byte pieces (the register
/// tiles of contractions store 128 or 256 bytes a row; a dynamic LayerNorm
/// row: 3x slower).
static StoreAlignment provableAlignment(vector::StoreOp store) {
  VectorType vectorType = store.getVectorType();
  MemRefType memrefType = store.getMemRefType();
  if (!vectorType.getElementType().isIntOrFloat() ||
      vectorType.getElementTypeBitWidth() % 8 != 0)
    return {};
  int64_t elementBytes = vectorType.getElementTypeBitWidth() / 8;
  int64_t bytes =
      std::min(vectorType.getNumElements() * elementBytes, kMaxVectorBytes);
  if (!llvm::isPowerOf2_64(bytes) || bytes <= elementBytes)
    return {};
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  if (failed(memrefType.getStridesAndOffset(strides, unusedOffset)) ||
      strides.empty() || strides.back() != 1)
    return {};
  int64_t elements = bytes / elementBytes;
  StrideAssumption assumption;
  assumption.storeElements = elements;
  assumption.strideDivisor = elements;
  auto [divisor, arg] = offsetFromArgument(store.getBase(), &assumption);
  divisor = std::gcd(divisor,
                     indexedOffsetDivisor(store.getBase(), strides,
                                          getAsOpFoldResult(store.getIndices()),
                                          arg, &assumption));
  if (!arg || divisor % static_cast<uint64_t>(elements) != 0)
    return {0, nullptr, {}, assumption.sawDynamic};
  return {bytes, arg, assumption.assumedDims.takeVector(),
          assumption.sawDynamic};
}

/// Whether `store`, at an offset that depends on a dynamic stride (rows of
/// a length known at run time), stays non-temporal only where it is
/// aligned, in the version that checks the strides too: there the rows
/// are whole vectors. Elsewhere their last, partial vector is a plain
/// masked store (norm-vectorize-row-outputs), which shares a line with the
/// non-temporal stores around it: each such line reached memory in pieces,
/// a read-modify-write each (batch norm on NCHW [?, ?, ?, ?] at 56 x 56,
/// rows of 224 bytes: 13x slower than plain stores).
static bool isStreamedOnlyAligned(const StoreAlignment &alignment) {
  return alignment.dynamicStrides;
}

/// Below this many contiguous bytes per row tile, unaligned non-temporal
/// stores are slower than plain ones (LayerNorm2d's 64-pixel pieces of
/// channel planes: 3.2 ms against 0.8 ms).
static constexpr int64_t kMinStreamedPieceBytes = 4096;

/// The number of contiguous elements at the start of a memref of `type`
/// (trailing dimensions whose strides chain), 0 when unknown.
static int64_t getContiguousElements(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  if (failed(type.getStridesAndOffset(strides, unusedOffset)))
    return 0;
  int64_t elements = 1;
  for (int64_t dim = type.getRank() - 1; dim >= 0; --dim) {
    if (strides[dim] != elements || type.isDynamicDim(dim))
      break;
    elements *= type.getDimSize(dim);
  }
  return elements;
}

/// Whether the loop nest around `store` writes its row tile in contiguous
/// pieces shorter than kMinStreamedPieceBytes, apart from each other: the
/// view that the nest slices (the last one defined outside its outermost
/// scf.for, within a row tile) is not contiguous, and its contiguous runs
/// are shorter than that (LayerNorm2d: 64 pixels of each channel plane).
/// When the argument is not aligned to a cache line, the lines a piece
/// starts and ends in are completed by the next tile, long after the
/// write-combining buffers let them go: non-temporal stores then write them
/// to memory in halves, each a read-modify-write. A contiguous tile is
/// followed by the next one on the same thread, in order, and streams.
static bool writesShortPieces(vector::StoreOp store) {
  scf::ForOp loop;
  for (Operation *parent = store->getParentOp();
       parent && !isa<scf::ParallelOp, FunctionOpInterface>(parent);
       parent = parent->getParentOp())
    if (auto forOp = dyn_cast<scf::ForOp>(parent))
      loop = forOp;
  Value tile = store.getBase();
  while (loop && loop->isAncestor(tile.getParentRegion()->getParentOp())) {
    auto view = tile.getDefiningOp<ViewLikeOpInterface>();
    if (!view)
      return false;
    tile = view.getViewSource();
  }
  auto type = dyn_cast<MemRefType>(tile.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return false;
  int64_t elements = getContiguousElements(type);
  int64_t bytes = elements * type.getElementType().getIntOrFloatBitWidth() / 8;
  return elements > 0 && elements < type.getNumElements() &&
         bytes < kMinStreamedPieceBytes;
}

//===----------------------------------------------------------------------===//
// Versioning.
//===----------------------------------------------------------------------===//

/// The address of `arg`'s first element (aligned pointer + offset), at run
/// time.
static Value getFirstElementAddress(OpBuilder &b, Location loc,
                                    BlockArgument arg) {
  auto type = cast<MemRefType>(arg.getType());
  Value pointer = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, arg);
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, arg);
  Value elementBytes =
      arith::ConstantIndexOp::create(b, loc, type.getElementTypeBitWidth() / 8);
  return arith::AddIOp::create(
      b, loc, pointer,
      arith::MulIOp::create(b, loc, metadata.getOffset(), elementBytes));
}

/// Whether `address` is a multiple of `bytes` (a power of two).
static Value isAligned(OpBuilder &b, Location loc, Value address,
                       int64_t bytes) {
  Value mask = arith::ConstantIndexOp::create(b, loc, bytes - 1);
  Value low = arith::AndIOp::create(b, loc, address, mask);
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, low,
                               arith::ConstantIndexOp::create(b, loc, 0));
}

/// Whether the dynamic strides of dimensions `dims` of `arg` (in elements)
/// are multiples of `bytes` (a power of two) bytes; null when it has none.
/// (Only those the offsets rely on: LayerNorm2d's output [?, C, ?, ?],
/// collapsed to [?, C, H x W], is written at offsets in its strides of
/// dimensions 0 and 1; the row stride W of 56 f32 took every call to the
/// plain stores.)
static Value areStridesAligned(OpBuilder &b, Location loc, BlockArgument arg,
                               ArrayRef<int64_t> dims, int64_t bytes) {
  auto type = cast<MemRefType>(arg.getType());
  SmallVector<int64_t> strides;
  int64_t unusedOffset;
  if (failed(type.getStridesAndOffset(strides, unusedOffset)))
    return arith::ConstantIntOp::create(b, loc, 0, 1); // (Not assumed.)
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, arg);
  Value elementBytes =
      arith::ConstantIndexOp::create(b, loc, type.getElementTypeBitWidth() / 8);
  Value aligned;
  for (auto [dim, stride] : llvm::enumerate(strides)) {
    if (!ShapedType::isDynamic(stride) ||
        !llvm::is_contained(dims, static_cast<int64_t>(dim)))
      continue;
    Value strideBytes =
        arith::MulIOp::create(b, loc, metadata.getStrides()[dim], elementBytes);
    Value check = isAligned(b, loc, strideBytes, bytes);
    aligned = aligned ? arith::AndIOp::create(b, loc, aligned, check) : check;
  }
  return aligned;
}

/// The stores of one top-level loop: their provable alignments in walk
/// order (0 where none), per argument they write the largest of them, and
/// the arguments whose dynamic strides the alignments assume.
struct VersionedLoop {
  SmallVector<int64_t> alignments;
  /// Per store in walk order: isStreamedOnlyAligned.
  SmallVector<bool> onlyAligned;
  llvm::MapVector<BlockArgument, int64_t> required;
  llvm::MapVector<BlockArgument, llvm::SmallSetVector<int64_t, 4>>
      stridesAssumed;
};

/// Clones each top-level loop of `func` that holds aligned-provable
/// non-temporal stores into `scf.if %aligned { clone with alignment } else
/// { original }`, %aligned checking the arguments that loop's stores write
/// (so that one misaligned output slows only the loops writing it).
static void versionAlignedStores(func::FuncOp func) {
  if (!func.getBody().hasOneBlock())
    return;
  Block &body = func.getBody().front();
  llvm::MapVector<Operation *, VersionedLoop> versioned;
  llvm::SetVector<BlockArgument> written;
  for (Operation &op : body.without_terminator()) {
    if (op.getNumResults() != 0 || op.getNumRegions() == 0)
      continue;
    VersionedLoop loop;
    op.walk([&](vector::StoreOp store) {
      int64_t bytes = 0;
      bool onlyAligned = false;
      if (store.getNontemporal() && !store.getAlignment()) {
        StoreAlignment alignment = provableAlignment(store);
        onlyAligned = isStreamedOnlyAligned(alignment);
        if (BlockArgument arg = alignment.arg) {
          bytes = alignment.bytes;
          loop.required[arg] = std::max(loop.required.lookup(arg), bytes);
          if (!alignment.assumedDims.empty())
            loop.stridesAssumed[arg].insert(alignment.assumedDims.begin(),
                                            alignment.assumedDims.end());
          written.insert(arg);
        } else if (onlyAligned) {
          store.setNontemporal(false); // Never provably aligned.
        }
      }
      loop.alignments.push_back(bytes);
      loop.onlyAligned.push_back(onlyAligned);
    });
    if (!loop.required.empty())
      versioned[&op] = std::move(loop);
  }
  if (versioned.empty())
    return;

  OpBuilder b(func.getContext());
  b.setInsertionPointToStart(&body);
  Location loc = func.getLoc();
  llvm::DenseMap<BlockArgument, Value> addresses;
  for (BlockArgument arg : written)
    addresses[arg] = getFirstElementAddress(b, loc, arg);
  for (auto &entry : versioned) {
    Operation *op = entry.first;
    VersionedLoop &loop = entry.second;
    // Whether every argument the loop writes is aligned to its stores'
    // size, capped at `cap` bytes.
    b.setInsertionPoint(op);
    auto areAligned = [&](int64_t cap) {
      Value aligned;
      auto conjoin = [&](Value check) {
        if (check)
          aligned =
              aligned ? arith::AndIOp::create(b, loc, aligned, check) : check;
      };
      for (auto [arg, bytes] : loop.required) {
        conjoin(isAligned(b, loc, addresses[arg], std::min(bytes, cap)));
        auto assumed = loop.stridesAssumed.find(arg);
        if (assumed != loop.stridesAssumed.end())
          conjoin(areStridesAligned(b, loc, arg, assumed->second.getArrayRef(),
                                    std::min(bytes, cap)));
      }
      return aligned;
    };
    Value aligned = areAligned(kMaxVectorBytes);
    // numpy's arrays (malloc) are 16-byte aligned: stores of that alignment
    // become 16-byte `vmovntps`, 4 per line, rather than 8 `movnti` of 8
    // bytes each extracted from the vector (half the speed of LayerNorm2d).
    // (Not for stores that stream only when fully aligned.)
    bool wider = false;
    for (auto [bytes, onlyAligned] :
         llvm::zip(loop.alignments, loop.onlyAligned))
      wider |= bytes > kNumpyAlignment && !onlyAligned;
    Value numpyAligned = wider ? areAligned(kNumpyAlignment) : Value();
    ArrayRef<int64_t> alignments = loop.alignments;
    ArrayRef<bool> onlyAligned = loop.onlyAligned;
    // Below full alignment: plain stores for short pieces and for rows of
    // run-time length.
    auto demote = [&](vector::StoreOp store, unsigned index) {
      if (store.getNontemporal() &&
          (onlyAligned[index] || writesShortPieces(store)))
        store.setNontemporal(false);
    };
    auto cloneInto = [&](Block *block, int64_t cap) {
      b.setInsertionPoint(block->getTerminator());
      Operation *clone = b.clone(*op);
      unsigned index = 0;
      clone->walk([&](vector::StoreOp store) {
        if (int64_t bytes = alignments[index])
          store.setAlignment(std::min(bytes, cap));
        if (cap < kMaxVectorBytes)
          demote(store, index);
        ++index;
      });
    };
    b.setInsertionPoint(op);
    auto ifOp = scf::IfOp::create(b, op->getLoc(), aligned,
                                  /*withElseRegion=*/true);
    cloneInto(ifOp.thenBlock(), kMaxVectorBytes);
    Block *unaligned = ifOp.elseBlock();
    if (numpyAligned) {
      b.setInsertionPoint(unaligned->getTerminator());
      auto numpyIf = scf::IfOp::create(b, op->getLoc(), numpyAligned,
                                       /*withElseRegion=*/true);
      cloneInto(numpyIf.thenBlock(), kNumpyAlignment);
      unaligned = numpyIf.elseBlock();
    }
    op->moveBefore(unaligned->getTerminator());
    unsigned index = 0;
    op->walk([&](vector::StoreOp store) { demote(store, index++); });
  }
}

namespace {
struct NontemporalStoresPass
    : public norm::impl::NormNontemporalStoresPassBase<NontemporalStoresPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation().walk([](vector::StoreOp store) {
      if (isArgumentView(store.getBase()))
        store.setNontemporal(true);
    });
    if (alignedVersions)
      versionAlignedStores(getOperation());
  }
};
} // namespace
