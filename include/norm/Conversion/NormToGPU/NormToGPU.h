//===- NormToGPU.h - Lower row normalizations to GPU kernels ----*- C++ -*-===//
//
// Part of norm-mlir. Patterns that rewrite norm.layer_norm and norm.rms_norm,
// written in destination-passing style over memrefs, into `gpu.launch`
// kernels with explicit thread indexing: one row per warp (or per part of a
// warp) for short rows, one row per block for long rows, 128-bit vector
// accesses, register-resident rows, f32 accumulation, shuffle reductions
// and a shared-memory step across the warps of a block.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_NORMTOGPU_NORMTOGPU_H
#define NORM_CONVERSION_NORMTOGPU_NORMTOGPU_H

#include <cstdint>

namespace mlir {
class RewritePatternSet;
namespace norm {

/// How rows are mapped onto threads (see convert-norm-to-gpu).
struct NormToGPUOptions {
  /// Rows of at most this many elements get one warp (or fewer lanes) each;
  /// longer rows get a block.
  int64_t warpRowLimit = 1024;
  /// Threads of a block in the warp-per-row mapping.
  int64_t warpModeBlockSize = 128;
  /// Target number of vectors a thread holds in the block-per-row mapping
  /// (the block size follows from it, between 64 and 1024 threads).
  int64_t vectorsPerThread = 4;
  /// Largest number of row elements a thread keeps in registers; longer
  /// rows are rejected.
  int64_t maxValuesPerThread = 64;
  /// layer_norm_grad / rms_norm_grad: the grad_input kernel also sums
  /// grad_weight and grad_bias (x and dy read once), when a thread's
  /// elements allow; else a column reduction reads them again.
  bool fuseParameterGradients = true;

  // GroupNorm / BatchNorm (split reductions over statistics sets).
  /// Streaming multiprocessors to fill (132: H100 SXM).
  int64_t numSMs = 132;
  /// Blocks per SM the grid (sets x chunks) aims for.
  int64_t blocksPerSM = 8;
  /// The same for the channels-last (NHWC BatchNorm) grids.
  int64_t columnBlocksPerSM = 4;
  /// Most chunks a set is split into (one warp merges the partials).
  int64_t maxChunks = 32;
  /// Threads per block of the GroupNorm/BatchNorm kernels (a power of two).
  int64_t channelBlockSize = 256;
  /// Vectors a thread loads before using them (per loop iteration).
  int64_t channelUnroll = 4;
  /// Single-pass statistics + normalize (the set in registers) over a
  /// thread-block cluster of at most this many blocks (sm_90+); 1: only
  /// for sets of one block; 0: never.
  int64_t clusterSize = 0;
  /// The single-pass kernel copies its chunk into shared memory (cp.async)
  /// instead of holding it in registers.
  bool stageInShared = true;
  /// With at least as many sets as SMs: one block a set, the grid resident
  /// at once (one wave), each set held in shared memory and registers.
  bool residentSets = false;
  /// KiB of shared memory an SM has (228: sm_90; 164: sm_80; 100: sm_86).
  int64_t sharedMemoryPerSM = 228;
  /// Threads an SM runs at once (2048: sm_80, sm_90; 1536: sm_86, sm_89).
  int64_t threadsPerSM = 2048;
  /// The kernels that re-read their inputs after a reduction kernel read
  /// them (the normalize kernel of the two-kernel GroupNorm/BatchNorm forms,
  /// the grad_input kernel of their backward) mark their output stores
  /// non-temporal, so that the output does not evict the inputs still to be
  /// read from L2 (norm-nvvm-streaming-stores makes them `st.cs`).
  bool streamingStores = false;
};

/// Adds the patterns that rewrite norm.layer_norm and norm.rms_norm into
/// gpu.launch kernels, and norm.group_norm and norm.batch_norm_{inference,
/// training} (NCHW, or NHWC for batch norm; static shapes) into split-reduction
/// kernels (partial moments per chunk into a `gpu.alloc` workspace, then merge
/// + normalize). An op is rewritten when its operands come from
/// `bufferization.to_tensor` of identity-layout memrefs and each used result is
/// written to an identity-layout memref by one
/// `bufferization.materialize_in_destination`.
void populateNormToGPUPatterns(RewritePatternSet &patterns,
                               const NormToGPUOptions &options);

} // namespace norm
} // namespace mlir

#endif // NORM_CONVERSION_NORMTOGPU_NORMTOGPU_H
