//===- Passes.td - Conversion passes of norm-mlir ----------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_PASSES_TD
#define NORM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// NormToLinalg
//===----------------------------------------------------------------------===//

def ConvertNormToLinalgPass : Pass<"convert-norm-to-linalg"> {
  let summary = "Lower the norm dialect to linalg on tensors";
  let description = [{
    Decomposes every `norm` operation into `linalg.generic` reductions and
    elementwise maps on tensors (`tensor.empty` + `linalg.fill` for the
    accumulators), with `arith` and `math` payloads:

    * the activation normalizations (`layer_norm`, `rms_norm`,
      `batch_norm_inference`, `batch_norm_training`, `inplace_abn`,
      `group_norm`) compute their statistics in two passes (the mean, then
      `E[(x - mean)^2]`), accumulate in f32 for f16/bf16 inputs and truncate
      only the final output; the normalization, scale, shift and activation
      are one elementwise `linalg.generic`;
    * the data normalizations and `spectral_norm` are lowered by their own
      pattern sets of the same library.

    A `layer_norm` or `rms_norm` with two or more leading (separately
    normalized) dimensions is first rewritten on one row dimension:
    `[B, S, D]` over `[2]` is normalized as `[B·S, D]` (`tensor.collapse_shape`
    of every operand and result of the input's rank, results expanded back
    with the input's sizes), so that the CPU pipeline tiles rows, not
    batches, and a dynamic B or S leaves one dynamic dimension
    (`norm-peel-partial-row-tiles` then gives the full tiles static shapes).

    Static and dynamic shapes are supported (dynamic sizes through
    `tensor.dim`). The pass fails with a diagnostic at any norm operation it
    could not convert.

    Limits: none among the inputs the op verifiers accept: rank-1 inputs
    normalized over their only axis, zero-sized and dynamic dimensions, and
    every element type the ops allow (f16, bf16, f32, f64; 8-bit integer
    images for `image_normalize`) are lowered. A normalized extent of zero
    gives NaN statistics over an empty output. Test:
    convert-norm-to-linalg-edge-cases.mlir.

    ```mlir
    %y = norm.rms_norm %x axes = [1] : tensor<?x4096xf32>
    ```
    becomes a reduction of `x * x` over dimension 1 into a `tensor<?xf32>`,
    an elementwise `rsqrt(sum / n + epsilon)` and an elementwise scaling.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::cf::ControlFlowDialect"
  ];
}

//===----------------------------------------------------------------------===//
// NormToGPU
//===----------------------------------------------------------------------===//

def ConvertNormToGPUPass : Pass<"convert-norm-to-gpu"> {
  let summary = "Lower norm ops (forward, backward, data normalization, "
                "spectral norm) to gpu.launch kernels";
  let description = [{
    Rewrites `norm.layer_norm` and `norm.rms_norm` (with weight, bias,
    residual, `residual_sum`, statistics and activation; f32, f16 and bf16)
    into one `gpu.launch` each, with explicit thread indexing. The input is
    viewed as `[rows, n]`, where `n`, the product of the normalized
    dimensions, must be static; the rows may be dynamic.

    The ops are expected in destination-passing style over memrefs: every
    operand is a `bufferization.to_tensor` of an identity-layout memref, and
    every used result is written to an identity-layout memref by one
    `bufferization.materialize_in_destination`:

    ```mlir
    func.func @rms(%x: memref<?x4096xbf16>, %w: memref<4096xbf16>,
                   %y: memref<?x4096xbf16>) {
      %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
      %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
      %r = norm.rms_norm %xt weight(%wt : tensor<4096xbf16>) axes = [1] : tensor<?x4096xbf16>
      bufferization.materialize_in_destination %r in restrict writable %y
          : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
      return
    }
    ```

    Mapping: rows of at most `warp-row-limit` elements get a group of
    threads of a warp (the next power of two of the vector count, at most
    32), `warp-block-size / group` rows per block; longer rows get a block of
    64 to 1024 threads (about `vectors-per-thread` vectors each). Each thread
    loads 16-byte vectors (`vector.load {alignment = 16}`: 4 x f32 or
    8 x f16/bf16, narrower when `n` requires), keeps the row in registers as
    f32 and writes the output once. Sums are reduced with `gpu.shuffle xor`
    and, across the warps of a block, through shared memory. LayerNorm uses
    two reductions (mean, then the centered sum of squares), RMSNorm one.
    A residual is added in the input type (and stored as `residual_sum` when
    used), as `convert-norm-to-linalg` does.

    Buffers must be 16-byte aligned (PyTorch and CuPy allocations are). The
    pass fails with a diagnostic at any norm op left (other ops, unsupported
    forms).

    Limits, each an error at the op ("has no GPU kernel: ..."): every norm
    op has kernels. Element types f32, f16 or bf16 (not f64; 8-bit image
    pixels).
    GroupNorm, BatchNorm, InPlace-ABN and their gradients: NCHW or NHWC,
    static shapes (a residual of the forward ops is added by a kernel of
    its own first). Data normalizations: a
    dynamic size only in the outermost dimension. LayerNorm/RMSNorm and
    their gradients: at least one leading (row) dimension (a rank-1 input
    has none); static normalized dimensions with at least one element; rows
    no longer than `max-values-per-thread` values per thread. Everywhere:
    operands that are
    `bufferization.to_tensor` of identity-layout memrefs; an output (and each
    used statistic) written by one `bufferization.materialize_in_destination`.
    A dynamic row count is supported. Tests: convert-norm-to-gpu-invalid.mlir
    and convert-norm-to-gpu-limits.mlir.

    `norm.layer_norm_grad` and `norm.rms_norm_grad` take the forward's
    row mapping: one kernel computes `grad_input` (the two row sums of
    `dxhat` and `dxhat * xhat`, with the pre-activation recomputed from the
    saved statistics). With `fuse-parameter-gradients` (default) and at most
    16 elements a thread (more threads a row than the forward's mapping when
    needed), that kernel runs on a persistent grid and each thread also
    sums `dpre * xhat` and `dpre` of its columns over its rows; a block's
    sums become a partial row of a workspace, and a column reduction of the
    partial rows writes `grad_weight`/`grad_bias`, so x and dy are read
    once. Otherwise `grad_weight`/`grad_bias` are a column reduction over
    the rows themselves (partials of row chunks, then a thread a column),
    before grad_input. Both write zeros when there are no rows.
    `norm.batch_norm_grad` and `norm.inplace_abn_grad` (NCHW or NHWC, static
    shapes; not the micro-batch form) are a per-channel column reduction of
    `dpre * xhat` and `dpre` (grad_weight, grad_bias), then an elementwise
    grad_input kernel; inplace_abn_grad recovers `xhat` from the output by
    inverting the activation, and its grad_input may be grad_output's
    buffer. `norm.group_norm_grad` adds a reduction over its (sample,
    group) sets for grad_input. `norm.spectral_norm` is its power
    iteration as column reductions (`W^T u`, `|t|`, `W v`, `|s|`), then one
    kernel for the output, `new_u` and `sigma`. `norm.batch_stats` is a fit
    (count, mean, m2 per channel), `norm.batch_stats_merge` a thread a
    channel (Chan's update).

    `norm.group_norm` and `norm.batch_norm_{inference, training}` (NCHW or
    NHWC; static shapes) become split reductions, and so does
    `norm.inplace_abn` with batch_norm_training's kernels (each element is
    read before the thread that reads it writes it, so the output may be
    the input's buffer):
    the statistics sets (GroupNorm: a group of a sample, NHWC: the group's
    contiguous channels at every position; BatchNorm: a channel) are cut into
    chunks so that sets x chunks is about `num-sms` x `blocks-per-sm`
    blocks. A first kernel reduces each chunk to a partial (count, mean, M2)
    (Welford per vector, Chan's merge, shuffles and shared memory) in a
    `gpu.alloc` workspace; a second merges the partials of its set, writes
    the statistics (mean/rstd, saved and running statistics) and the output
    `act(x * scale[c] + shift[c])` with vector accesses. BatchNorm inference
    is the second kernel alone. BatchNorm NHWC (feature axis last) uses
    blocks of channel lanes x row lanes: per-channel Welford states, a
    shared-memory tree over the row lanes, a finalize kernel that merges the
    partials of each channel, then the normalize kernel. The launches are
    chained by async tokens. Test: convert-norm-to-gpu-channel.mlir.

    Single pass (`cluster-size` >= 1; `norm-lower-to-nvvm` sets 8 for sm_90
    and later, 1 below): when a thread loads its vectors in one go and the
    P chunks of a set fit a thread-block cluster (P <= `cluster-size`), one
    kernel in clusters of 1 x P blocks reads the input once: the chunk is
    staged in shared memory with `nvgpu.device_async_copy` (or kept in
    registers, `stage-in-shared=0`), the block's exact moments (sum, then
    centred sum of squares) go to the workspace, `nvvm.cluster.arrive` /
    `nvvm.cluster.wait`, then each block merges its set's partials and
    normalizes the staged data. P = 1 needs no cluster. Test:
    convert-norm-to-gpu-single-pass.mlir.

    `norm.standardize`, `norm.min_max_scale` and `norm.image_normalize`
    (f32/f16/bf16; 8-bit image pixels read as unsigned) become one
    elementwise kernel: blocks of 256 threads x 4 vectors of 16 bytes of
    the wider of the input and output types; each element's feature (its
    coordinates outside `axes`, or its image channel) indexes the fitted
    statistics, and the arithmetic is convert-norm-to-linalg's (a division
    by the std or the range, zero ones taken as 1). The fits
    `norm.moments` and `norm.min_max` are two kernels: blocks of feature
    lanes (when features are contiguous) x row lanes sum `x - x0` and its
    square (`x0`: the feature's first element), or take the min and max,
    over chunks of the reduced elements, merge the row lanes in a
    shared-memory tree and write partials to a workspace; then a thread a
    feature merges the chunks and writes mean and std (or min and max).
    Test: convert-norm-to-gpu-data.mlir.

    Resident sets (`resident-sets`): with at least `num-sms` sets, one
    block of B threads x U vectors a set (U <= 16) when ceil(S / num-sms)
    blocks fit an SM at once (threads, registers, `shared-memory-per-sm`):
    the whole grid is one wave. Each thread copies the vectors that the
    block's share of shared memory holds into dynamic shared memory and
    keeps the others in registers. Test: convert-norm-to-gpu-resident.mlir.

    Streaming stores (`streaming-stores`): the kernels that re-read their
    inputs after a reduction kernel (the normalize kernel of the two-kernel
    forms, the grad_input kernel of the GroupNorm/BatchNorm backward) mark
    their output stores `nontemporal`, which norm-nvvm-streaming-stores
    makes `st.global.cs` (evict-first), so that the output does not evict
    the inputs still to be read from L2. Test:
    convert-norm-to-gpu-streaming-stores.mlir.
  }];
  let options = [
    Option<"warpRowLimit", "warp-row-limit", "int64_t", /*default=*/"1024",
           "Rows of at most this many elements are handled by (part of) a "
           "warp; longer rows by a block">,
    Option<"warpBlockSize", "warp-block-size", "int64_t", /*default=*/"128",
           "Threads per block when rows are handled by warps (a multiple "
           "of 32 between 32 and 1024; other values are rejected)">,
    Option<"vectorsPerThread", "vectors-per-thread", "int64_t",
           /*default=*/"4",
           "Vectors per thread that size the block of a long row">,
    Option<"maxValuesPerThread", "max-values-per-thread", "int64_t",
           /*default=*/"64",
           "Most row elements a thread keeps in registers (longer rows are "
           "rejected)">,
    Option<"numSMs", "num-sms", "int64_t", /*default=*/"132",
           "Streaming multiprocessors the GroupNorm/BatchNorm grids, the "
           "column reductions and the fused backward's persistent grid "
           "fill (1 to 4096)">,
    Option<"blocksPerSM", "blocks-per-sm", "int64_t", /*default=*/"8",
           "Blocks per SM the GroupNorm/BatchNorm NCHW grids aim for (8: "
           "best of 2/4/8/16 measured on an H100; 1 to 64)">,
    Option<"columnBlocksPerSM", "column-blocks-per-sm", "int64_t",
           /*default=*/"4",
           "Blocks per SM the BatchNorm NHWC (channels-last) grids aim for "
           "(4: best of 2/4/8/16 measured on an H100; 1 to 64)">,
    Option<"channelBlockSize", "channel-block-size", "int64_t",
           /*default=*/"256",
           "Threads per block of the GroupNorm/BatchNorm kernels (a power of "
           "two between 32 and 1024; other values are rejected)">,
    Option<"channelUnroll", "channel-unroll", "int64_t", /*default=*/"4",
           "Vectors a GroupNorm/BatchNorm thread loads before using them "
           "(1 to 16; other values are rejected)">,
    Option<"clusterSize", "cluster-size", "int64_t", /*default=*/"0",
           "Single-pass GroupNorm/BatchNorm training: a set whose chunks "
           "are loaded in one go (one loop iteration a thread) is kept in "
           "registers and reduced across the blocks of a thread-block "
           "cluster of at most this many blocks (sm_90+); 1: only sets of "
           "one block (any chip); 0: always two kernels. 0 to 16 (above 8: "
           "non-portable, H100)">,
    Option<"fuseParameterGradients", "fuse-parameter-gradients", "bool",
           /*default=*/"true",
           "layer_norm_grad / rms_norm_grad: the grad_input kernel also sums "
           "grad_weight and grad_bias over its rows (a persistent grid, a "
           "partial row a block), so x and dy are read once; off: a column "
           "reduction reads them again">,
    Option<"stageInShared", "stage-in-shared", "bool", /*default=*/"true",
           "The single-pass kernel copies its chunk (up to 32 KiB) into "
           "shared memory with cp.async and reads it back for each pass, "
           "instead of holding it in registers">,
    Option<"residentSets", "resident-sets", "bool", /*default=*/"false",
           "Single pass with one block a set when there are at least "
           "`num-sms` sets and all blocks fit the GPU at once (one wave): "
           "each set staged in dynamic shared memory, what does not fit "
           "held in registers">,
    Option<"sharedMemoryPerSM", "shared-memory-per-sm", "int64_t",
           /*default=*/"228",
           "KiB of shared memory of an SM, for `resident-sets` (228: sm_90, "
           "164: sm_80, 100: sm_86/sm_89)">,
    Option<"threadsPerSM", "threads-per-sm", "int64_t", /*default=*/"2048",
           "Threads an SM runs at once, for `resident-sets` (2048: sm_80, "
           "sm_90; 1536: sm_86, sm_89)">,
    Option<"streamingStores", "streaming-stores", "bool", /*default=*/"false",
           "The normalize kernel of the two-kernel GroupNorm/BatchNorm "
           "forms and the grad_input kernel of their backward mark their "
           "output stores non-temporal (`st.cs` after "
           "norm-nvvm-streaming-stores), so that they do not evict from L2 "
           "the inputs they re-read">,
    Option<"indexBitwidth", "index-bitwidth", "int64_t", /*default=*/"64",
           "Bitwidth of the kernels' index computations once lowered (the "
           "NVVM conversion's index-bitwidth): with 32, ops with a static "
           "operand of more than 2^30 elements are rejected (the kernels' "
           "offsets and loop bounds must fit a signed 32-bit integer; "
           "dynamic shapes are the caller's to keep that small)">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::nvgpu::NVGPUDialect"
  ];
}

#endif // NORM_CONVERSION_PASSES_TD
