//===- KernelUtils.h - Helpers shared by the NormToGPU kernels --*- C++ -*-===//
//
// Part of norm-mlir. Private to lib/Conversion/NormToGPU: what the kernel
// builders of the lowerings there share: matching an op's operands and
// results onto memrefs, placing and cleaning up after the rewrite, a base
// for the kernel builders (scalar and vector memory accesses in f32,
// guards, launches) and column reductions.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_CONVERSION_NORMTOGPU_KERNELUTILS_H
#define NORM_LIB_CONVERSION_NORMTOGPU_KERNELUTILS_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <string>
#include <utility>

namespace mlir {
class PatternRewriter;
namespace norm::gpu_kernels {

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

/// Whether `type` is f32, f16 or bf16 (the types the kernels compute on).
bool isSupportedFloat(Type type);

/// Whether `type` is a memref with the identity layout in the default
/// memory space (a plain device pointer).
bool isPlainMemRef(Type type);

/// Finds the memrefs of an op in destination-passing style: sets `*buffer`,
/// for each non-null operand tensor, to the memref of the
/// `bufferization.to_tensor` that defines it, and `*dest`, for each used
/// result, to the memref its one `bufferization.materialize_in_destination`
/// user writes (null for unused or null results), appending that op to
/// `materializations`. The first result is the output, which must have a
/// destination. Fails with a reason on the first unsupported operand or
/// result (memrefs must be plain, see isPlainMemRef).
LogicalResult getMemRefs(ArrayRef<std::pair<Value, Value *>> operands,
                         ArrayRef<std::pair<Value, Value *>> results,
                         SmallVectorImpl<Operation *> &materializations,
                         std::string &reason);

/// The number of elements of a vector access to rows of `n` elements of
/// `elementBits` bits: 128 bits' worth, halved until it divides `n`.
int64_t vectorWidthFor(int64_t n, unsigned elementBits);

//===----------------------------------------------------------------------===//
// Rewriting
//===----------------------------------------------------------------------===//

/// Where the kernels of `op` go: before the first of its `materializations`.
/// Fails (with a match-failure note) unless they are all in one block and
/// every destination is defined before that point.
FailureOr<Operation *>
getKernelInsertionPoint(PatternRewriter &rewriter, Operation *op,
                        ArrayRef<Operation *> materializations);

/// Erases `op` once its kernels write the results: its `materializations`,
/// then `op`, then the `bufferization.to_tensor` ops of its operands that
/// are left without uses.
void eraseLoweredOp(PatternRewriter &rewriter, Operation *op,
                    ArrayRef<Operation *> materializations);

/// `memref` collapsed to one dimension (a rank-0 memref expanded to one
/// element).
Value collapseToVector(OpBuilder &b, Location loc, Value memref);

/// collapseToVector of each non-null value of `memrefs`, in place.
void collapseToVectors(OpBuilder &b, Location loc, ArrayRef<Value *> memrefs);

/// What every kernel pattern does once `op` is analyzed (`analyzed`, with
/// `reason` on failure): fails with a match-failure note if the analysis
/// did or the destinations are not available (getKernelInsertionPoint);
/// else calls `build` at the kernels' insertion point and erases `op` and
/// its `materializations` (eraseLoweredOp).
LogicalResult rewriteIntoKernels(PatternRewriter &rewriter, Operation *op,
                                 LogicalResult analyzed,
                                 const std::string &reason,
                                 ArrayRef<Operation *> materializations,
                                 llvm::function_ref<void()> build);

/// A 1-D buffer of `size` elements of `elementType` (null: f32) in
/// workgroup (shared) memory.
MemRefType getWorkgroupBufferType(MLIRContext *ctx, int64_t size,
                                  Type elementType = nullptr);

//===----------------------------------------------------------------------===//
// Streams
//===----------------------------------------------------------------------===//

/// `gpu.wait async`: the token that starts a chain of launches, workspace
/// allocations and frees on one stream.
Value startChain(OpBuilder &b, Location loc);
/// `gpu.wait [token]`: the host waits for the chain.
void waitForChain(OpBuilder &b, Location loc, Value token);
/// `gpu.alloc async [token]` of `type` (with `dynamicSizes`); advances
/// `token` past it.
Value allocInChain(OpBuilder &b, Location loc, MemRefType type, Value &token,
                   ValueRange dynamicSizes = {});
/// `gpu.dealloc async [token]` of `memref`; advances `token` past it.
void deallocInChain(OpBuilder &b, Location loc, Value memref, Value &token);

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

/// Threads a block of the elementwise and column-reduction kernels, and
/// items (elements or vectors) a thread of the elementwise ones.
constexpr int64_t kItemBlockSize = 256;
constexpr int64_t kItemsPerThread = 4;

/// The base of the kernel builders: constants, f32 conversions and
/// arithmetic, guards, scalar and vector memory accesses, launches. All ops
/// are created at the insertion point of `b`, at `loc`.
class KernelBuilderBase {
protected:
  KernelBuilderBase(OpBuilder &b, Location loc)
      : b(b), loc(loc), f32(b.getF32Type()) {}

  Value index(int64_t v);
  /// An f32 constant.
  Value floatConst(double v);
  /// `v` (a scalar float) as f32, and back.
  Value toF32(Value v);
  Value fromF32(Value v, Type type);
  Value add(Value x, Value y);
  Value mul(Value x, Value y);
  Value sub(Value x, Value y);
  /// `lhs && rhs` where either may be null (true).
  Value andCond(Value lhs, Value rhs);
  /// Runs `body` under `scf.if cond` (directly when `cond` is null).
  void guarded(Value cond, llvm::function_ref<void()> body);

  /// The element of `memref` at `idx`, as f32.
  Value loadScalar(Value memref, Value idx);
  /// Stores the f32 `v` at `idx` of `memref`, in its element type.
  void storeScalar(Value v, Value memref, Value idx);

  /// Loads a vector of `type` from `memref`, aligned to its size, at the
  /// indices `indices()` creates; zeros where `valid` is false (null: always
  /// loads). `indices` is called where the load is created (inside the
  /// scf.if, if any).
  Value loadVector(VectorType type, Value memref, Value valid,
                   llvm::function_ref<SmallVector<Value>()> indices);
  /// Stores `vector` into `memref` at `indices`, aligned to its size;
  /// `nontemporal`: marked as not read again soon (streaming).
  void storeVector(Value vector, Value memref, ValueRange indices,
                   bool nontemporal = false);
  /// `vector` with f32 elements (extf unless they are f32 already).
  Value widenToF32(Value vector);
  /// The f32 `elements` as a vector of `type` (truncf unless its elements
  /// are f32).
  Value packFromF32(ArrayRef<Value> elements, VectorType type);
  /// The f32 elements of `vectors`, in order.
  SmallVector<Value> toF32Elements(ArrayRef<Value> vectors);
  /// Sum of the f32 `v` over `width` lanes of a warp, by a shuffle-xor
  /// butterfly: every lane adds the same pairs, so all get the same sum.
  Value sumWarp(Value v, int64_t width);

  /// Creates a gpu.launch of gridX x gridY blocks of blockX threads (`one`:
  /// the index constant 1), asynchronous after `dependency` unless it is
  /// null, with `workgroup` attributions, in clusters of 1 x clusterY blocks
  /// when `clusterY` is set, with `dynamicSharedBytes` (i32) of dynamic
  /// shared memory when set; sets the insertion point before the terminator
  /// of its body.
  gpu::LaunchOp createLaunch(Value one, Value gridX, Value gridY, Value blockX,
                             Value dependency, TypeRange workgroup,
                             Value clusterY = nullptr,
                             Value dynamicSharedBytes = nullptr);

  /// The index of this thread across the grid of `launch` (1-D blocks of
  /// kItemBlockSize threads): a thread an item.
  Value itemOfThread(gpu::LaunchOp launch);

  /// Launches an elementwise kernel over `count` items after `dependency`
  /// (async): blocks of kItemBlockSize threads, kItemsPerThread items a
  /// thread, item `(block * kItemsPerThread + k) * kItemBlockSize + thread`
  /// (a block's items of one step contiguous); calls `body(item)` for each,
  /// under `item < count` unless every item exists, after `prologue` (once
  /// a thread, when set). Returns the launch's token.
  Value launchForEachItem(int64_t count, Value dependency,
                          llvm::function_ref<void(Value item)> body,
                          llvm::function_ref<void()> prologue = nullptr);

  OpBuilder &b;
  Location loc;
  Type f32;
};

//===----------------------------------------------------------------------===//
// Column reductions
//===----------------------------------------------------------------------===//

/// Two f32 accumulators of each column of a [rows, columns] iteration
/// space (the rows are what a column's values are reduced over), summed or
/// taken as (min, max).
struct ColumnReduction {
  using Pair = std::pair<Value, Value>;
  /// Threads a block across column groups (a power of two up to 256; the
  /// other 256 / columnLanes walk the rows), and chunks the rows are split
  /// into.
  int64_t columnLanes = 1;
  int64_t chunks = 1;
  /// Adjacent columns a thread owns (its column group), and adjacent rows
  /// it takes a step: `element` reads them as vectors where the memory is
  /// contiguous along the columns or the rows. The columns must be a
  /// multiple of columnVector, and the rows of rowVector.
  int64_t columnVector = 1;
  int64_t rowVector = 1;
  /// Sums, or (minimum, maximum) with NaN propagating.
  bool minMax = false;
  /// Per thread, before its rows: values of its columns `[column, column +
  /// columnVector)` that `element` uses (they are in bounds).
  llvm::function_ref<SmallVector<Value>(Value column)> prologue;
  /// The pairs of the rowVector x columnVector elements from (row, column),
  /// row-major, as f32.
  llvm::function_ref<SmallVector<Pair>(Value column, Value row,
                                       ArrayRef<Value> state)>
      element;
  /// Writes the results of `column` (in bounds) from its accumulators.
  llvm::function_ref<void(Value column, Pair result)> finalize;
};

/// Emits the two kernels of `spec` at the insertion point of `b`, after
/// `token` (async), over `columns` x `rows` (index values; columns > 0;
/// with no rows every column gets the identity, 0 or (+inf, -inf)):
///
///  1. partials, grid ceil(columns / (columnLanes * columnVector)) x
///     chunks, 256 threads: each thread accumulates its column group over
///     the rows of its chunk, rowVector at a step and rowLanes steps apart;
///     the row lanes merge in a shared-memory tree (one barrier a level);
///     row lane 0 writes the pairs to a `gpu.alloc` workspace of
///     2 x chunks x columns floats;
///  2. finalize, a thread a column: merges the chunks' pairs and calls
///     `spec.finalize`.
///
/// Returns the token of the workspace's deallocation.
Value buildColumnReduction(OpBuilder &b, Location loc,
                           const ColumnReduction &spec, Value columns,
                           Value rows, Value token);

} // namespace norm::gpu_kernels
} // namespace mlir

#endif // NORM_LIB_CONVERSION_NORMTOGPU_KERNELUTILS_H
