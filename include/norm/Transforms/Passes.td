//===- Passes.td - Codegen transforms of norm-mlir ---------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Transforms that the lowering pipelines need on top of upstream MLIR and that
// are not specific to the norm dialect: they act on linalg, arith/math and
// func/memref IR.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_TRANSFORMS_PASSES_TD
#define NORM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// norm-tile-and-fuse-rows
//===----------------------------------------------------------------------===//

def NormTileAndFuseRowsPass
    : Pass<"norm-tile-and-fuse-rows", "::mlir::func::FuncOp"> {
  let summary = "Tile the outermost parallel dimension of root linalg ops "
                "with scf.forall and fuse their producers";
  let description = [{
    Tiles every *root* linalg op of the function with `scf.forall` along its
    first parallel loop dimension (`tile-size` iterations per tile, all other
    dimensions untiled) and fuses the chain of producers into the loop body
    with `scf::tileConsumerAndFuseProducersUsingSCF`. A root is a linalg op on
    tensors whose results feed no other linalg op (they are returned, or
    inserted somewhere).

    Why: a normalization lowered to linalg is a few reductions (mean,
    variance) followed by an elementwise map that reads the input again.
    Lowered as is, every op streams the whole tensor through memory. Tiled by
    rows with the producers fused, each tile reads a block of rows once while
    it is in cache, computes its statistics and writes the output; the
    `scf.forall` later becomes an `scf.parallel` and OpenMP work-sharing loop.
    Upstream has the transformation (transform dialect `tile_using_forall` +
    `fuse_into_containing_op`) but no pass that picks the roots.

    Example (`tile-size=8`): a row sum feeding a broadcast subtract becomes
    one `scf.forall ... step (8)` whose body extracts the 8-row slice of the
    input, fills and computes the partial sums for those rows, subtracts, and
    `tensor.parallel_insert_slice`s the result.

    Short loops get smaller tiles: a root loop of static size `n` is tiled
    by `min(tile-size, ceil(n / 16))`, so that at least 16 tiles (when
    `n >= 16`) can be shared among threads (GroupNorm's batch of 8 is 8
    tiles of 1, not one tile of 8). When that still gives fewer than 16
    tiles, or tiles of more than 1 MiB, and the root reads statistics
    indexed by both its first and its next loop (GroupNorm's mean and rstd
    per batch entry and group), the next loop is tiled by 1 too: one tile
    per (entry, group), which stays in cache from the statistics to the
    normalization. (GroupNorm [32, 256, 64, 64] + SiLU: 16 tiles of 2
    entries, 8 MiB each, became 512 tiles of 2 entries and 1 group: 0.57x
    the time with 1 or 2 threads.)

    A dynamic root loop (a batch size known at run time) gets as many
    iterations per tile, up to `tile-size`, as write at most 256 KiB when
    the other parallel loops are static (GroupNorm's entries at
    [256, 64 x 64] f32 are 4 MiB: one per tile), `tile-size` when they are
    not. When such a tile is still larger than 256 KiB, or of unknown size,
    the GroupNorm case above applies: one tile per (entry, group).

    When the root reads statistics indexed by its innermost (contiguous)
    loop as well, that is statistics reduced over an outer dimension
    (LayerNorm2d over the channels of [N, C, H*W]: a mean and rstd per
    pixel), that loop is tiled too, into *column tiles*: the largest of 1,
    2 or 4 64-byte lines that divides the loop's static range and whose
    slice across the reduced dimensions fits `column-tile-bytes` (1 MiB:
    64 f32 pixels up to 4096 channels). Tiled by rows alone a tile would be
    a whole image (4 MiB at [256, 64 x 64]), read three times from memory; a
    column tile is read once from memory and twice from cache. Four lines
    a channel, not fewer to keep the tile in L1: with 768 channels the
    16-pixel tiles that a 64 KiB limit gave read one line from each of 768
    rows per tile and took twice the time (LayerNorm2d [8, 768, 56, 56]:
    8.8 -> 4.5 ms, 2 threads); 8 lines were slower at 256 and 1024
    channels. A dynamic
    range gets 4 lines (its partial last tile is peeled by
    `norm-peel-partial-row-tiles`); a static one that no line divides (14 x
    14 pixels) gets no column tiles. With column tiles, a dynamic root loop
    takes as many iterations as write at most 32 KiB (one when that is
    unknown): the tile is read twice from L1 (LayerNorm2d [?, 96, ?, ?]
    took 8 images of 64 pixels, 192 KiB: 1.4x its static time).

    A root of fewer than 1024 static iterations that reads the result of a
    reduction (batch norm's running-mean update over its channels) is not
    tiled: threads gain nothing on it, and its tiles would recompute the
    whole-tensor reduction. Nor is a root with a dynamic range that reads a
    reduction of more loops than its own (the same update over `?`
    channels), unless that reduction is a contraction or a convolution
    (fused row by row: `rms_norm(x) @ W`, a convolution's activation).

    Statistics that no tile fuses (read whole by every tile: batch norm's
    per-channel sums over the tiled batch) are tiled on their own, after the
    roots: an `scf.forall` over their parallel loops (reductions untiled,
    so each element's summation order is unchanged), each tiled by 1 except
    a loop over the innermost (contiguous) input dimension, tiled by four
    64-byte cache lines (NHWC channels), so that every core works on them
    and no two threads share a line. On NCHW, where one channel of a batch
    entry is a run of fewer than 512 contiguous bytes (7 x 7 f32 pixels:
    196 bytes, the next batch entry's 800 KiB further), a tile takes as
    many channels as keep their runs within 4 KiB and leave 16 tiles (16 at
    7 x 7), which `norm-vectorize-row-outputs` sums batch entry by batch
    entry across the channels: batch-norm training [32, 2048, 7, 7], 1
    thread, 2.26 -> 1.96 ms.
    Each tile accumulates into a private `bufferization.alloc_tensor`,
    copied in from and out to its slice of the result with `linalg.copy`:
    memory that nothing else aliases, so that LLVM keeps the sums in
    registers and vectorizes the reduction. Originals of fused producers
    that are dead after the root tiling are erased, not tiled.

    Centred statistics (the sum of `(x - mean)^2` over a slice of `x`:
    batch norm's partials, group norm's chunks) are tiled with the partial
    sum and the mean they read fused into each tile when a tile's slice of
    `x` is read the second time from cache (the sum runs over the innermost
    dimension of `x`, or the slice is at most 1 MiB; a dynamic loop tiled
    by k counts k iterations), or may be (its size is known only at run
    time, and is at most 1 MiB with the unknown extents 1: fused, the
    second pass reads the slice from memory at worst, as a pass of its own
    would). A root's tile does
    not fuse such statistics, nor their sum and mean, when its slice of them
    would read more than 1 MiB of `x` and their own tiles would not: group
    norm over groups of 4 MiB in chunks of 256 KiB (the SD VAE decoder);
    also LayerNorm rows of 256 KiB in root tiles of 8 rows (tiles of 2 MiB:
    the statistics are then tiled row by row, 0.86-0.89x the time), or
    whole groups in a root tile of several batch entries.
    Fused into the root's tile (one group), the sum would run over every
    chunk before the centred sums, reading the group twice from memory;
    tiled on their own, chunk by chunk, each chunk is read once from memory,
    and the root's tiles read their results (1 x 128 x 512 x 512 GroupNorm
    + SiLU, same buffers: 0.82x the time with 2 threads, 0.92x with 1).

    Limits:
    * only the first parallel dimension of a root is tiled (and the next
      one in the GroupNorm case above, or the innermost one in column
      tiles); the reduction
      dimensions stay whole, so one tile holds up to `tile-size` complete
      rows; statistics are split over their parallel loops only, not over
      their reduction loops (a single channel of a huge batch is one task);
    * a linalg op without parallel dimensions is left alone, and so is one
      already nested in an `scf.forall` (the pass does not re-tile), one
      on buffers (no tensor result, so no root) and one with a loop of static
      size zero (an empty tensor: nothing to tile);
    * a producer with a loop of static size zero is not fused (it stays
      before the loop; upstream tiling crashes fusing it);
    * an op with an indexing map that decreases or wraps as a loop grows
      (a reversed read `63 - d3`, a remainder `d1 mod 8`) is neither tiled
      nor fused: upstream takes a tile's slice from its first and last
      iterations, which for such maps is a wrong (one-element) slice. It
      runs whole, on one thread; the ops around it are tiled as usual;
    * producers are fused with the upstream default control: a producer
      shared by several roots is recomputed in each of their loops, except
      a reduction that an op outside the root's producer chain also reads
      (a linalg op, or the loop of a root tiled before): that op needs it
      whole, so it is computed once, as statistics (below), and the root's
      tiles read its slices. Batch-norm training over 2048 channels read
      its input three times: the running-mean and running-variance
      updates each recomputed the per-channel sums;
    * a fused producer that is also used after the loop by an op that is not
      a linalg op (residual + RMSNorm returns the sum `h = x + r` it
      normalizes) is yielded by the loop, tile by tile, when each iteration
      computes its own tile of it (upstream `yieldProducerReplacement`);
      otherwise (a dynamic slice that every tile reads whole) it is still
      computed in full before the loop as well. A producer that the tile
      reads through several slices (`h`: by the sum of squares and by the
      normalization) is fused once per slice; the copies that compute the
      same values (same op and input tiles, unread inits of the same shape,
      dynamic sizes proved equal by `ValueBoundsConstraintSet`) are merged
      into the first. The loop bounds read the sizes of the inits, not of
      the untiled results, so that these die;
    * only producers that implement `TilingInterface` are fused; any other
      (a `func.call`) runs once before the loop, whose tiles read slices of
      its result (upstream cloned the whole call into every tile);
    * `tile-size` <= 0 makes the pass a no-op. A root that cannot be tiled
      is an error and fails the pass.

    Tests: norm-tile-and-fuse-rows.mlir (`@full_reduction`,
    `@shared_reduction`, `@group_statistics_dynamic*`,
    `@centred_statistics*`, `@group_chunk_statistics*`,
    `@residual_sum_dynamic_rows`, `NOTILE`),
    norm-tile-and-fuse-rows-columns.mlir (column tiles),
    norm-tile-and-fuse-rows-centred.mlir (after convert-norm-to-linalg:
    group norm's chunks, wide LayerNorm rows),
    norm-tile-and-fuse-rows-limits.mlir and
    Regression/tile-zero-sized-producer.mlir.
  }];
  let options = [
    Option<"tileSize", "tile-size", "int64_t", /*default=*/"8",
           "Iterations of the outermost parallel dimension per tile "
           "(<= 0: do nothing)">,
    Option<"columnTileBytes", "column-tile-bytes", "int64_t",
           /*default=*/"1048576",
           "Bytes of input, at most, that a column tile spans over the "
           "reduced dimensions (statistics per pixel of [N, C, H*W]; "
           "<= 0: no column tiles)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// norm-tile-contractions
//===----------------------------------------------------------------------===//

def NormPackConstantRHSPass
    : Pass<"norm-pack-constant-rhs", "::mlir::func::FuncOp"> {
  let summary = "Pack the constant right-hand matrix of a matmul into "
                "contiguous panels of the register tile's width";
  let description = [{
    For every `linalg.matmul` on tensors with static shapes, one element
    type, default indexing maps, and a right operand `W` [K x N] that is an
    `arith.constant` (a dense literal or a present `dense_resource` blob,
    as torch-mlir stores weights; FlashNorm's folded `diag(w) W`) or a
    `linalg.transpose` (permutation [1, 0]) of one (nn.Linear as torch-mlir
    writes it; the transpose then no longer runs at every call), with N a
    multiple of `panel-width` and larger than it: `W` is rewritten at
    compile time into `Wp` [N / P x K x P] (`Wp[j, k, jj] = W[k, j·P +
    jj]`, P = `panel-width`) and the matmul into a contraction
    `linalg.generic` over (i, j, jj, k) that reads `Wp[j, k, jj]` and
    writes the result expanded to [M x N / P x P] (`tensor.expand_shape`,
    collapsed back after). Same products, same summation order: the
    results are bitwise equal.

    Why: `norm-tile-contractions` walks the right operand in panels of P
    columns; in [K x N] row-major order each step of K reads P elements
    at a stride of N elements (3 KiB for N = 768), in `Wp` the panel is
    one contiguous stream. Constant operands are packed once, by the
    compiler, as onnxruntime prepacks its initializers.
    `rms_norm(x) @ W` 512 x 768 x 768 f32, same buffers: 6.64–7.17 ms →
    5.71–5.92 (1 thread), 3.09–3.18 → 2.87–2.91 (2 threads).

    An elementwise `linalg.generic` that reads the packed result (FlashNorm's
    row scaling) is rewritten over [M x N / P x P] as well (upstream's
    fold of reshapes by expansion), the collapse moved after it: with the
    collapse in between, `norm-tile-and-fuse-rows` (which does not fuse
    through reshapes) tiled the two as separate loops and the contraction's
    result went to memory and back.

    Run before `norm-tile-and-fuse-rows` and with P equal to
    `norm-tile-contractions`' `register-tile-n` (`norm-lower-to-cpu`
    passes its `contraction-tile-n`). Limits: only `linalg.matmul` (not
    batch variants or user-defined maps, not mixed element types), only
    `arith.constant` dense operands and their 2-D transposes; non-constant
    operands are not packed at run time. `panel-width` <= 1 makes the pass a no-op. Test:
    norm-pack-constant-rhs.mlir.
  }];
  let options = [
    Option<"panelWidth", "panel-width", "int64_t", /*default=*/"32",
           "Columns of the right operand per packed panel (the register "
           "tile's vector width)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def NormTileContractionsPass
    : Pass<"norm-tile-contractions", "::mlir::func::FuncOp"> {
  let summary = "Tile linalg contractions into register tiles, vectorize "
                "them and lower them to vector FMAs";
  let description = [{
    For every linalg contraction on tensors (`linalg.matmul`,
    `linalg.batch_matmul`, the transposed variants, and `linalg.generic`s
    that `linalg::isaContractionOpInterface` recognizes: the attention
    products of raised models) with static loop ranges:

    1. a register tile is chosen from `linalg::inferContractionDims`: the
       parallel loop along the innermost (contiguous) dimension of the result
       gets `register-tile-n` iterations (the vector), the innermost loop of
       the other side `register-tile-m` (one row of accumulators each), every
       reduction loop `register-tile-k`, batch and outer loops 1;
    2. a parallel loop whose range the tile does not divide is split first
       (`linalg::splitOp`): a part that is a multiple of the tile and a
       remainder tiled by its own size, so that every tile has a static
       shape; the vector loop's remainder is split further into powers of
       two (LLVM legalizes a 21-lane vector element by element: an 8 x 24
       tile ran 15x slower than 8 x 32). 37 x 53 x 29 with 8 x 32 tiles:
       rows 32 + 5, columns 32 + 16 + 4 + 1, eight parts;
    3. each part is tiled with `scf::tileUsingSCF` into `scf.for` loops
       (batch, then the vector side, then the broadcast side, the reductions
       inside: each panel of the right operand is reused from cache by all
       the row tiles), and the
       tile is vectorized (`linalg::vectorize`) to a `vector.contract`;
    4. the accumulator tile is hoisted out of the reduction loops
       (`hoistLoopInvariantSubsets`: its slice and then its
       `vector.transfer_read`/`transfer_write` pair become loop-carried
       values), so it stays in registers for the whole reduction; a tile of
       a power-of-two size is carried as one flat vector
       (`vector.shape_cast`), which LLVM splits into plain registers;
    5. with `lower-contractions`, the `vector.contract`s of the function are
       lowered to `vector.outerproduct` and then to `vector.fma`s of one
       broadcast element of the left operand and one row of the right one.
       `norm-lower-to-cpu` leaves this to `convert-vector-to-llvm`
       (`vector-contract-lowering=outerproduct`) instead: canonicalization
       of the lowered form rebuilds the accumulator tile from scalars
       (`vector.to_elements`/`from_elements`), which LLVM does not undo well.

    Why: lowered to loops, a matmul runs as scalar code, one element of the
    result at a time, and reads the accumulator from memory at every step
    (`rms_norm(x) @ W` with 512 x 768 x 768 f32 took 340 ms, 1.8 GFLOP/s;
    the peers 6 ms). The register tile keeps `m x n / vector width`
    accumulators in vector registers and does `m` vector FMAs per
    `m` scalar and `n / vector width` vector loads.

    Run after `norm-tile-and-fuse-rows`: a contraction inside a row tile
    (`scf.forall`) is register-tiled within it, and the operand its fused
    producers compute (the normalized rows of `rms_norm(x) @ W`) is
    computed once per row tile, not once per register tile.

    Limits:
    * contractions with a dynamic or zero loop range, or that
      `linalg::vectorizeOpPrecondition` rejects, are left alone (they lower
      to loops);
    * no cache-level tiling or packing: the right operand is read in
      columns of `register-tile-n` elements from wherever it lies; the
      accumulator starts from the result tile in memory (the `linalg.fill`
      stays a separate op);
    * a left operand that is not contiguous along the reduction (a
      transposed operand) is read element by element;
    * mixed element types (bf16 inputs, f32 accumulator) follow the op's own
      casts inside `vector.contract`'s lowering.

    `register-tile-*` <= 0 makes the pass a no-op. Test:
    norm-tile-contractions.mlir.
  }];
  let options = [
    Option<"registerTileM", "register-tile-m", "int64_t", /*default=*/"8",
           "Iterations of the broadcast side (rows of accumulators) per "
           "register tile">,
    Option<"registerTileN", "register-tile-n", "int64_t", /*default=*/"32",
           "Iterations of the vector side (the result's contiguous "
           "dimension) per register tile (rounded down to a power of two)">,
    Option<"registerTileK", "register-tile-k", "int64_t", /*default=*/"1",
           "Iterations of each reduction loop per register tile">,
    Option<"lowerContractions", "lower-contractions", "bool",
           /*default=*/"false",
           "Lower the vector.contracts to vector.outerproduct and vector.fma">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// norm-set-fast-math
//===----------------------------------------------------------------------===//

def NormSetFastMathPass
    : Pass<"norm-set-fast-math", "::mlir::func::FuncOp"> {
  let summary = "Add reassoc and contract fast-math flags to arith and math "
                "ops";
  let description = [{
    Adds the `reassoc` and `contract` flags to the fast-math flags of every
    operation of the function that implements `ArithFastMathInterface`
    (floating-point `arith` and `math` ops, `vector.reduction`), keeping the
    flags it already has.

    Why: the reductions of a normalization (sums of `x` and of `x * x`) lower
    to loops that accumulate one element after the other. LLVM may vectorize
    or reorder such a floating-point reduction only when it is allowed to
    reassociate it (`reassoc`), and may fuse multiply-add into FMA only with
    `contract`. Without the flags the loops stay scalar: a LayerNorm lowered
    to loops was measured at 3.4 GB/s without and 8 GB/s with fast-math.

    `arith.extf` and `arith.truncf` are skipped: their LLVM counterparts
    (`fpext`/`fptrunc`) take no fast-math flags, so the attribute would leak
    into the LLVM dialect as a discardable one.

    Limits: the results change within rounding (the order of summation is no
    longer fixed). No other flag (`nnan`, `ninf`, `afn`, ...) is set, so
    NaN and infinity propagate as usual. Ops of other dialects with their own
    fast-math attributes (e.g. `llvm.*`) are not touched. Tests:
    norm-set-fast-math.mlir and norm-set-fast-math-limits.mlir.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def NormApproximateFunctionsPass : Pass<"norm-approximate-functions"> {
  let summary = "Allow approximate transcendental functions and division";
  let description = [{
    Adds the `afn` fast-math flag to every f32 (or narrower) floating-point
    `math` operation and `arith.divf` under the anchor op, keeping the flags
    they already have.

    Why: on NVPTX the flag selects the hardware's approximate instructions.
    `math.exp` lowers to `__nv_fast_expf` (`ex2.approx`) instead of the
    accurate `__nv_expf` (a dozen instructions), and `fdiv afn` to
    `rcp.approx.f32` / `div.approx.f32` instead of the IEEE `rcp.rn` /
    `div.rn` sequences. A GroupNorm+SiLU bf16 normalize kernel was compute
    bound on these (58% of the SM's issue slots on an H100 for a
    memory-bound kernel). `norm-lower-to-nvvm` runs it on the kernels
    (option `approximate-functions`, default on).

    Limits: results change by a few ulp of f32 (`ex2.approx` and
    `div.approx` have 2 ulp maximum relative error in the normal range):
    far below the rounding of f16/bf16 outputs, and within the GPU tests'
    f32 tolerance (1e-4). f64 ops are left exact. `math` ops without a fast
    variant (`erf`, `tanh`) are unchanged by the flag at lowering. Tests:
    norm-approximate-functions.mlir, test/GPU/norm-lower-to-nvvm-channel.mlir.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

//===----------------------------------------------------------------------===//
// norm-align-workgroup-buffers
//===----------------------------------------------------------------------===//

def NormMinBlocksPerSMPass : Pass<"norm-min-blocks-per-sm", "ModuleOp"> {
  let summary = "Ask ptxas for the occupancy that the dynamic shared memory "
                "of a kernel allows";
  let description = [{
    For each `gpu.func` kernel launched (every `gpu.launch_func` of it) with
    a constant block size and a constant, nonzero dynamic shared memory
    size, sets `nvvm.minctasm` to the number of its blocks that fit an SM:
    the least over its launches of `shared-memory-per-sm` / (dynamic bytes
    + its workgroup attributions, 16-byte aligned, + 1 KiB the driver
    reserves a block), capped by `threads-per-sm` / block threads and 32;
    nothing when that is 1 or the kernel already has the attribute.

    Why: such kernels (convert-norm-to-gpu's resident GroupNorm/BatchNorm
    kernels) size their blocks so that several fit an SM's shared memory at
    once; `.maxntid` alone lets ptxas use up to 255 registers a thread, and
    registers would then allow fewer blocks than shared memory. With
    `.minnctapersm` ptxas keeps the registers within the budget.
    `norm-lower-to-nvvm` runs it after outlining, with the chip's shared
    memory and threads per SM. Test: norm-min-blocks-per-sm.mlir.
  }];
  let options = [
    Option<"sharedMemoryPerSM", "shared-memory-per-sm", "int64_t",
           /*default=*/"228", "KiB of shared memory of an SM">,
    Option<"threadsPerSM", "threads-per-sm", "int64_t", /*default=*/"2048",
           "Threads an SM runs at once">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def NormExternDynamicSharedMemoryPass
    : Pass<"norm-extern-dynamic-shared-memory"> {
  let summary = "Declare the dynamic shared memory of GPU kernels as "
                "`.extern .shared` arrays";
  let description = [{
    Gives external linkage to the zero-sized `llvm.mlir.global`s in address
    space 3 (shared memory) under the anchor op: the symbols that
    `gpu.dynamic_shared_memory` lowers to. Other globals are left alone.

    Why: LLVM 22's GPU-to-NVVM lowering declares the symbol `internal`. The
    NVPTX backend then demotes it into the kernel as a one-byte static
    shared variable (`.shared .align 16 .b8 __dynamic_shmem__0;`), placed
    before the kernel's static shared buffers, so the dynamic buffer
    overlaps them (ptxas counts its byte in the static size). External
    linkage gives what CUDA C++'s `extern __shared__ char s[]` gives:
    `.extern .shared .align 16 .b8 __dynamic_shmem__0[];`, the dynamic
    shared memory after the static. `norm-lower-to-nvvm` runs it after the
    NVVM conversion. Test: norm-extern-dynamic-shared-memory.mlir.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def NormNVVMStreamingStoresPass
    : Pass<"norm-nvvm-streaming-stores", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Lower the non-temporal stores of NVVM kernels to `st.cs` "
                "(cache streaming)";
  let description = [{
    Rewrites each `llvm.store` in the `gpu.module` marked `nontemporal`
    whose address is in the generic or the global address space, and whose
    value is 2, 4, 8 or 16 bytes stored at an alignment of at least its
    size, into inline PTX: `st.global.cs` of `.b16`, `.b32`, `.v2.b32` or
    `.v4.b32` for global pointers and for generic pointers that come from a
    kernel's pointer arguments (through GEPs and memref descriptors; cast
    with `llvm.addrspacecast`; not `llvm.byval` or `nvvm.grid_constant`
    ones), `st.cs` for other generic pointers. Other stores, volatile or
    atomic ones included, are left alone.

    Why: `st.cs` allocates the line evict-first in L1 and L2 (CUDA's
    `__stcs`), so that a kernel's output does not evict data that is still
    to be read. The two-kernel GroupNorm/BatchNorm forms re-read their
    input after the statistics kernel, from L2 when it is still there;
    `convert-norm-to-gpu` marks their output stores non-temporal with
    `streaming-stores`. LLVM 22's NVPTX backend ignores `!nontemporal`.
    `norm-lower-to-nvvm` runs this pass after the NVVM conversion. Test:
    norm-nvvm-streaming-stores.mlir.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def NormCheckCudaToolkitPass
    : Pass<"norm-check-cuda-toolkit", "::mlir::ModuleOp"> {
  let summary = "Check the CUDA toolkit and the GPU target options before "
                "lowering to NVVM";
  let description = [{
    Fails with a diagnostic on the module when the CUDA toolkit pieces that
    serialization needs are missing: libdevice (the kernels' math functions)
    always, `ptxas` for `bin`, `ptxas` and `fatbinary` for `fatbin` (in the
    toolkit's `bin/`, else on PATH). The toolkit is `cuda-path`, else the
    first of $CUDA_ROOT, $CUDA_HOME, $CUDA_PATH (the order MLIR's NVVM target
    reads them), else /usr/local/cuda. With `check-target` it first checks
    the target options: a known binary `format`, `index-bitwidth` 32 or 64,
    a `chip` that LLVM's NVPTX backend knows (not empty), `features` that
    it knows (`+ptxNN` of a known version, `+sm_NN`: it only warns about
    others, and ignores them), and a PTX ISA version (`+ptxNN`) at least
    the chip's minimum. Changes nothing.

    Why: further down, an unknown format is reported but does not fail, a
    PTX version below the chip's is an LLVM fatal error (an abort, not a
    diagnostic), an empty chip crashes the NVVM target's verifier, and a
    missing toolkit fails deep inside serialization. `norm-lower-to-nvvm`
    runs this pass first, with `check-target`. Tests:
    norm-check-cuda-toolkit.mlir, test/GPU/norm-lower-to-nvvm-options.mlir.
  }];
  let options = [
    Option<"cudaPath", "cuda-path", "std::string", /*default=*/"\"\"",
           "CUDA toolkit directory (empty: $CUDA_ROOT, $CUDA_HOME, "
           "$CUDA_PATH, else /usr/local/cuda)">,
    Option<"format", "format", "std::string", /*default=*/"\"bin\"",
           "gpu-module-to-binary format (isa, bin, fatbin, offloading)">,
    Option<"checkTarget", "check-target", "bool", /*default=*/"false",
           "Also check format, chip, features and index-bitwidth">,
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_90a\"",
           "Target GPU (with check-target)">,
    Option<"features", "features", "std::string", /*default=*/"\"\"",
           "PTX features, e.g. +ptx80 (with check-target)">,
    Option<"indexBitwidth", "index-bitwidth", "int64_t", /*default=*/"64",
           "Kernel index bitwidth (with check-target)">,
  ];
}

def NormAlignWorkgroupBuffersPass : Pass<"norm-align-workgroup-buffers"> {
  let summary = "Align the workgroup (shared memory) buffers of GPU kernels "
                "to 16 bytes";
  let description = [{
    Sets `llvm.align` to `alignment` (16) on every workgroup attribution of
    every `gpu.func` under the anchor op whose alignment is not already at
    least that.

    Why: the NVVM lowering gives a workgroup buffer the alignment of its
    element type (2 bytes for bf16), while 128-bit shared accesses
    (`ld.shared.v4`, and `cp.async` of 16 bytes, which the single-pass
    GroupNorm/BatchNorm kernels stage their input with) need 16-byte
    aligned addresses. `gpu.launch` cannot carry the attribute, so this runs
    on the outlined kernels (`norm-lower-to-nvvm` does). Test:
    norm-align-workgroup-buffers.mlir.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "The alignment in bytes (a power of two)">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

//===----------------------------------------------------------------------===//
// norm-eliminate-reshaped-empty-tensors
//===----------------------------------------------------------------------===//

def NormExpandFPowIPass : Pass<"norm-expand-fpowi"> {
  let summary = "Expand math.fpowi with a constant exponent into "
                "multiplications (a division for negative exponents)";
  let description = [{
    `math.fpowi %x, %n` with a constant `n` becomes exponentiation by
    squaring with `arith.mulf` (log2 |n| squarings), and for `n < 0` one
    `arith.divf` of 1 by the result; `n = 0` gives 1. Fast-math flags are
    kept. Variable exponents are left (the pipeline's `math-expand-ops`
    rewrites them to `math.powf`).

    Why: torch-mlir imports `x.pow(n)`, `torch.square` and GELU-tanh's `x^3`
    as `math.fpowi`; LLVM's `powi` takes a scalar exponent, which the CPU
    pipeline's vectorization turned into a vector (invalid LLVM IR). And
    upstream's `math-expand-ops{ops=fpowi}` gives `-inf` for `(+0)^n` with
    `n < 0` (it picks the sign with `x^|n| == -0.0`, true for `+0` too);
    `1 / x^|n|` gives the correctly signed infinity.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def NormCheckMemRefLayoutsPass
    : Pass<"norm-check-memref-layouts", "::mlir::ModuleOp"> {
  let summary = "Reject memrefs whose layout is not strided, with a located "
                "error, before the CPU pipeline bufferizes";
  let description = [{
    Emits an error at every function argument, `bufferization.to_tensor`
    and `bufferization.materialize_in_destination` whose memref type has a
    layout that no strides and offset describe (an affine map such as
    `(d0, d1) -> (d1, d0)`), and fails.

    Why: One-Shot Bufferize of a reshape (`tensor.expand_shape` of group
    norm's channel groups) of such a buffer crashes upstream MLIR 22
    (`memref::ExpandShapeOp::create` with a null result type; found by
    fuzzing); other paths fail later with errors about the base type that
    do not name the argument. Strided layouts, also permuted or with a
    dynamic offset, are accepted.
  }];
}

def NormCheckConstantShapesPass
    : Pass<"norm-check-constant-shapes", "::mlir::ModuleOp"> {
  let summary = "Reject constants whose elements have dynamic sizes, with a "
                "located error, before the CPU pipeline lowers them";
  let description = [{
    Emits an error at every op with an attribute that is or contains an
    elements attribute (`arith.constant`'s or `tosa.const`'s value) whose
    shaped type has a dynamic size, naming the attribute and the type, and
    fails.

    Why: MLIR 22 verifies that a `dense<...>` literal has a static shape but
    not a `dense_resource<...>` one, so `tosa.const` of
    `dense_resource<blob> : tensor<?x8x?x?xf32>` verifies; lowered, such
    constants crashed empty-tensor elimination (`ValueBoundsConstraintSet`)
    in `norm-lower-to-cpu`, and elsewhere failed at `memref.global` with an
    error that names no constant. Found by the pass sweep
    (`scripts/pass-sweep.py`, docs/reliability.md). Test:
    norm-check-constant-shapes.mlir.
  }];
}

def NormSortGlobalsPass : Pass<"norm-sort-globals", "::mlir::ModuleOp"> {
  let summary = "Name bufferization's constant globals by first use and order "
                "the module's memref.global ops by name, at its start";
  let description = [{
    Renames the private constant globals that One-Shot Bufferize made of
    tensor constants (`__constant_<shape><type>`, made unique with `_<n>`)
    in the order of their first use in the module (functions and ops in
    input order): the first of a shape and type is `__constant_8xf32`, the
    next `__constant_8xf32_0`, and so on (a name another symbol holds is
    skipped). Then moves every `memref.global` to the start of the module,
    ordered by name; the order of the other ops is unchanged.

    Why: One-Shot Bufferize (upstream MLIR 22) creates these globals
    function by function, in an order it takes from a `DenseMap` keyed by
    the functions' addresses, and names them uniquely in that order. The
    same module compiled twice by `norm-lower-to-cpu` gave differently
    ordered globals (examples/inference_fusion.mlir: 2 runs in 5), and two
    functions with constants of one shape and type could swap their names:
    different LLVM IR and shared libraries for the same input. Runs right
    after bufferization in that pipeline.

    Tests: norm-sort-globals.mlir; Pipelines/norm-lower-to-cpu-deterministic.mlir
    (four compilations of examples/inference_fusion.mlir, the same output).
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def NormCheckDestinationSizesPass
    : Pass<"norm-check-destination-sizes", "::mlir::func::FuncOp"> {
  let summary = "Check at run time that the caller's output arrays have the "
                "sizes of the results written into them";
  let description = [{
    For every `bufferization.materialize_in_destination %result in %out`
    whose destination is an argument of the function (the destination-passing
    C ABI: the caller passes the output array) with dynamic sizes, inserts
    before it, per dynamic dimension, `cf.assert` that the result's size
    equals the argument's. The message names the function, the argument,
    the dimension and the source location.

    Why: the sizes of a result come from the inputs, those of the output
    array from the caller; nothing else ties them. An output array smaller
    than the result (a `?` dimension given one row for 4096) was written
    past its end: heap corruption, found by a helper audit of the Python
    package (2026-11-28). With the check the call aborts with the message
    instead. The sizes fold to the arguments' after canonicalization: one
    comparison per dynamic dimension and call.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::tensor::TensorDialect"];
}

def NormCheckOperandSizesPass
    : Pass<"norm-check-operand-sizes", "::mlir::func::FuncOp"> {
  let summary = "Check at run time that the operands of each norm op have "
                "the sizes its verifier asks for, and each tensor.cast to "
                "a static size";
  let description = [{
    Before every norm op, per pair of operand sizes its verifier ties
    together of which one is dynamic (a weight and the normalized
    dimension, a residual and the input, per-channel statistics and the
    channels), inserts `cf.assert` that they are equal, through the ops'
    `RuntimeVerifiableOpInterface` models
    (lib/Dialect/Norm/Transforms/RuntimeOpVerification.cpp). The message
    names the function, the op, the operand and both dimensions, and the
    source location. Also before every `tensor.cast` that makes a dynamic
    size static (a frontend's cast of an argument to the shape it was
    traced with: the code after it is compiled for that size), through
    upstream's model of tensor.cast. Checks in the entry block whose sizes
    come from the arguments move to the start of the function; a check
    under control flow stays there (and, not in a top-level block, aborts
    rather than returning an error: norm-recoverable-checks). The GPU
    pipeline's memref inputs are not checked for a `memref.cast`.

    Why: the verifier checks these sizes only where both are static, and the
    lowering indexes an operand by the input's sizes. A `?` weight of 8
    elements for rows of 64 was read past its end: the call returned
    garbage (2026-11-29).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::tensor::TensorDialect"];
}

def NormRecoverableChecksPass
    : Pass<"norm-recoverable-checks", "::mlir::ModuleOp"> {
  let summary = "Turn the failed run-time checks of entry functions into an "
                "error the caller can read, instead of an abort";
  let description = [{
    A `cf.assert` lowers to a call of `abort()`: a failed check (an output
    array of the wrong size, `norm-check-destination-sizes`; a channel count
    the groups do not divide; a frontend's own shape checks, such as
    torch-mlir's "mismatched size for broadcast") kills the whole process,
    a Python interpreter included.

    This pass rewrites each `cf.assert` directly in the body of an entry
    function (public, and not called inside the module) into a branch: on
    failure the function stores the check's message (prefixed by its
    location) in a thread-local slot and returns at once, with poison
    results. The module gets a C function

        const char *norm_take_check_failure(void);

    that returns the message of the calling thread's last failed check (null
    if none) and clears it; the caller must call it after every call and
    discard the results when it is not null. The Python package does so and
    raises `norm_mlir.RuntimeCheckError`.

    Checks inside loops or parallel regions (none of the project's), and in
    functions called by others, still abort: returning from there would hide
    the failure from the caller. Buffers allocated before a failed check are
    not freed. Off by default in `norm-lower-to-cpu` (option
    `recoverable-checks`), since a C caller that does not read the failure
    would use poison results.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::ub::UBDialect"];
}

def NormEliminateReshapedEmptyTensorsPass
    : Pass<"norm-eliminate-reshaped-empty-tensors", "::mlir::func::FuncOp"> {
  let summary = "Materialize values that reach their destination through a "
                "reshape in the reshaped destination";
  let description = [{
    Rewrites `bufferization.materialize_in_destination (tensor.collapse_shape
    %v) in %dest` (tensor destination) into `tensor.collapse_shape
    (bufferization.materialize_in_destination %v in (tensor.expand_shape
    %dest))`, with the expansion created right after the definition of
    `%dest` (sizes inferred from `%dest`'s); and an `expand_shape` source
    alike, into `tensor.expand_shape (materialize_in_destination %v in
    (tensor.collapse_shape %dest))` (what `norm-collapse-inner-dims` leaves:
    BatchNorm's NCHW planes computed as [N, C, H·W]), repeated while the
    new source is a reshape again (GroupNorm at 8 x 8 pixels: computed as
    [N, G, C/G, 64], expanded to [N, G, C/G, 8, 8] and collapsed to
    [N, C, 8, 8]; without the repetition its output went through a
    temporary and a copy, 2.5-3.7x the time of [2, 1280, 8, 8] + SiLU).

    Why: upstream `eliminate-empty-tensors` (and One-Shot Analysis' rule
    that a value written back into the buffer it came from is no conflict)
    follow values of one type only and stop at reshapes. GroupNorm computes
    in the input with its channels split into [G, C/G] and collapses the
    result back; without this rewrite its whole output is computed into a
    temporary and copied into the caller's buffer on every call (33 MB for
    [8, 256, 64, 64] f32). After it, `eliminate-empty-tensors` replaces the
    `tensor.empty` of the split shape by the expanded destination. The
    function then returns `collapse_shape (expand_shape %arg)` (or the
    reverse), which `norm-drop-tied-buffer-results` recognizes as the
    argument.

    Run it right before `eliminate-empty-tensors`. Limits: only
    `materialize_in_destination` anchors with a reshape source (no
    `tensor.insert_slice` anchors); a collapse is skipped when the expanded
    sizes cannot be inferred (more than one dynamic size in a group). On its own (without the empty-tensor elimination) it changes
    nothing that bufferization produces. Test:
    norm-eliminate-reshaped-empty-tensors.mlir.
  }];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// norm-mark-read-only-arguments
//===----------------------------------------------------------------------===//

def NormMarkReadOnlyArgumentsPass
    : Pass<"norm-mark-read-only-arguments", "::mlir::ModuleOp"> {
  let summary = "Mark the tensor arguments of public functions that no "
                "result can alias `bufferization.writable = false`";
  let description = [{
    Runs before one-shot bufferization of function boundaries. A public
    function's tensor argument is a destination when a returned value can
    alias it: walking back from each `func.return` operand through the ops'
    aliasing operands (`BufferizableOpInterface::getAliasingOpOperands`: a
    DPS op's result to its init, `tensor.insert_slice` to its destination,
    a reshape or cast to its source, a loop to its init, `scf.if` to both
    branches; every tensor operand of a call or of an op that is not
    bufferizable) reaches it, and so is one that
    `norm.result_destinations` (norm-record-result-destinations) names.
    Every other tensor argument without a `bufferization.writable` attribute
    gets `bufferization.writable = false`. The destinations found from
    returned values (rather than from a
    `bufferization.materialize_in_destination`, an output by intent) get
    `norm.may_be_tied`: they are outputs only if a result is tied to them
    after bufferization, which norm-copy-written-inputs checks.

    Why: one-shot bufferization takes function arguments as writable. An
    op that writes an input in place (`linalg.generic outs(%x)` squaring
    `%x` before a sum of it) then wrote over the caller's input buffer,
    which the function's tensor semantics leave unchanged; with the
    attribute, bufferization copies it first. Destinations stay writable:
    the C ABI writes them in place (norm-drop-tied-buffer-results).

    Limits: private functions are left alone (module bufferization copies
    at their call sites what they write); an explicit
    `bufferization.writable` attribute is kept. Test:
    norm-mark-read-only-arguments.mlir.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

//===----------------------------------------------------------------------===//
// norm-record-result-destinations
//===----------------------------------------------------------------------===//

def NormRecordResultDestinationsPass
    : Pass<"norm-record-result-destinations", "::mlir::ModuleOp"> {
  let summary = "Record the argument each result of a public function is "
                "computed in";
  let description = [{
    Runs first in norm-lower-to-cpu, on the functions as written. For each
    public function with one block, and per result, the argument that the
    returned tensor is computed in goes into
    `norm.result_destinations = array<i64: ...>` (-1: none): walking back
    from the `func.return` operand through the init of destination-style
    ops (`linalg.generic outs(%out)`) and the one operand whose buffer a
    bufferizable op definitely gives its result, with equivalent buffers
    (`tensor.insert_slice` into its destination, casts, reshapes), to an
    argument of the result's type that is not `bufferization.writable =
    false`. Functions with no such result get no attribute.

    Why: the C ABI of norm-lower-to-cpu writes such a result into the
    caller's buffer for that argument (norm-drop-tied-buffer-results ties
    it). Optimizations may change which buffer the result ends in: upstream
    canonicalization folds an identity copy into `%out` to its input, and
    the result then tied to the input while the caller's `%out` was never
    written. norm-drop-tied-buffer-results copies such a result into its
    recorded argument, and norm-mark-read-only-arguments keeps that
    argument writable.

    Limits: calls, `scf.if`/loops (whose results may come from several
    buffers) and ops that are not bufferizable end the walk (no record).
    Test: norm-record-result-destinations.mlir.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

//===----------------------------------------------------------------------===//
// norm-drop-tied-buffer-results
//===----------------------------------------------------------------------===//

def NormDropTiedBufferResultsPass
    : Pass<"norm-drop-tied-buffer-results", "::mlir::ModuleOp"> {
  let summary = "Drop function results that are equivalent to an argument "
                "(public functions too) and record them in norm.tied_results";
  let description = [{
    Runs after one-shot bufferization of function boundaries. A memref result
    of a function that is one of its arguments (up to `memref.cast` and
    pairs of inverse reshapes, inner pairs first: group norm's result with
    its pixels collapsed is collapse(expand(collapse(expand(%arg)))), whose
    sizes value bounds cannot prove when the channels are dynamic; or, for
    an identity-layout result, any
    chain of casts and reshapes from an argument of the same type whose
    dynamic sizes value bounds prove equal to the argument's, since
    reshapes keep a contiguous buffer's elements in order: group norm
    [?, 1280, 8, 8] was otherwise returned through a copy, 2.9x the time) is
    removed from the signature and from the `func.return`; every `func.call`
    of the function uses the operand it passed for that argument instead
    (cast back to the result type when they differ). Dropping a callee's
    result can make its caller return an argument, so the pass iterates until
    nothing changes.

    First, a result that `norm.result_destinations`
    (norm-record-result-destinations) says was computed in an argument, but
    that is not that argument any more (an identity copy into it folded
    away, or bufferization out of place), is copied into the argument
    (`memref.copy` before the return) and returned as it, so that it ties
    to it; the attribute is removed. Only where the copy changes no other
    result: not when another returned value is (a view of) the argument or
    has the same recorded argument, not when a returned value's buffer is
    unknown (a call's, a loop's), and not in functions called in the module
    (their callers were bufferized knowing that the argument is not
    written). Where the copy is refused, the result stays returned
    (`norm.tied_results` -1 for it) and the argument is not written: a
    caller of the C interface takes that result from the returned
    descriptor, never from the destination it passed (`norm_mlir`'s runtime
    does so).

    Every function with a body and results gets
    `norm.tied_results = array<i64: ...>`: per original result, the index of
    the argument it was tied to, or -1 if it is still returned; and
    `norm.tied_results_written = array<i1: ...>`: per original result,
    whether the function may write (or free) the argument it is tied to,
    through any of its views (subviews, casts, reshapes) and through calls
    of functions with a body (what the callee does with its argument); an
    external call or a loop that yields the buffer to its next iteration
    counts as a write. An input returned as it is,
    or through reshapes, is tied but not written: a runtime can pass a
    read-only buffer for it. The attributes survive into the LLVM dialect,
    for runtimes that call the C interface.

    Why not upstream `drop-equivalent-buffer-results`: it only rewrites
    private functions (a public signature is an external contract). But the
    public functions of a module compiled by `norm-lower-to-cpu` are exactly
    the kernels whose C ABI the pipeline defines: destination-passing style,
    where the caller passes the output buffer. Left as a result, the buffer
    deallocation pipeline must return an owned buffer and so clones the
    whole output on every call. This pass changes the public signature and
    records the change in the attribute instead.

    Limits:
    * ties are found syntactically: the returned value must be an entry block
      argument, possibly through `memref.cast`s (no alias analysis; a subview
      of an argument is not a tie);
    * only functions with a single `func.return` are rewritten;
    * only `func.call` users are updated; other symbol uses of a rewritten
      function are left as they are;
    * declarations (external functions) and functions without results are
      not touched and get no attribute;
    * a recursive call is rewritten like any other (the return is updated
      after the calls, so it never keeps a value of a replaced call).

    Test: norm-drop-tied-buffer-results.mlir.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

//===----------------------------------------------------------------------===//
// norm-copy-written-inputs
//===----------------------------------------------------------------------===//

def NormCopyWrittenInputsPass
    : Pass<"norm-copy-written-inputs", "::mlir::ModuleOp"> {
  let summary = "Copy on entry the inputs that a function would write in "
                "place";
  let description = [{
    Runs after one-shot bufferization and norm-drop-tied-buffer-results. An
    argument marked `norm.may_be_tied` (by norm-mark-read-only-arguments: a
    returned value could alias it, so bufferization was allowed to write it
    in place) that no result is tied to (`norm.tied_results`) is an input of
    the C ABI. If the function may write it (any alias: views, calls of
    functions with a body, loops carrying it; see `mayWriteArgument`), the
    body now uses a copy made on entry (`memref.alloc` + `memref.copy`; the
    deallocation pipeline frees it, or hands it to the caller when a result
    is a view of it). The attribute is removed from every argument.

    Why: before bufferization, which argument a result will be tied to is
    not known exactly (ties follow casts and reshapes that fold back to the
    argument's type). An in-place write of an input whose result is
    returned as a slice (`tensor.extract_slice` of `linalg.generic
    outs(%x)`) or as another shape (`tensor.collapse_shape` into a
    different type) aliases the input but ties to nothing: it wrote over
    the caller's array, read-only ones included.

    Limits: arguments without the attribute (memref arguments, those with an
    explicit `bufferization.writable`, destinations of a
    `bufferization.materialize_in_destination`) are never copied. Test:
    norm-copy-written-inputs.mlir.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

//===----------------------------------------------------------------------===//
// norm-approximate-math
//===----------------------------------------------------------------------===//

def NormApproximateMathPass
    : Pass<"norm-approximate-math", "::mlir::func::FuncOp"> {
  let summary = "Replace erf, tanh and exp by polynomial approximations built "
                "from arith ops";
  let description = [{
    Rewrites `math.tanh` and `math.expm1` into the polynomial approximations
    of upstream MLIR (`populateMathPolynomialApproximationPatterns`),
    `math.erf` into the clamped rational function of XLA's f32 erf
    (`x * P(x^2) / Q(x^2)` on [-4, 4]: 2 clamps, 13 multiplies/FMAs and a
    division, absolute error at most 3.4e-7), and `math.exp` into a
    Cody-Waite reduction with a degree-5 polynomial (x clamped to
    [-88, 88.8], `n = floor(x * log2 e)`, `r = x - n * ln2` in two FMAs,
    e^r on [0, ln 2) by Horner, times 2^n built by shifting the bits of
    `n + (1.5 * 2^23 + 127)` into the exponent field: 14 vector
    instructions on x86, relative error at most 1.7e-7), after widening
    f16/bf16 operands to f32 (`populateMathF32ExpansionPatterns`). f64 is
    left to libm.

    Why erf and exp are our own: upstream's erf picks its coefficients from
    three intervals with 20 selects per element (about 37 operations), which
    made the GELU of a fused LayerNorm + GELU cost twice the LayerNorm;
    upstream's exp (about 24 operations: two clamps, a rounding, an integer
    conversion and a clamp of the exponent) was the bottleneck of a fused
    GroupNorm + SiLU.

    Why: LLVM has no intrinsic for erf or tanh, so they lower to calls of
    libm's `erff`/`tanhf`, one call per element; `llvm.exp` on a vector
    without a vector math library is scalarized into `expf` calls too. A
    call in the loop body keeps LLVM's loop vectorizer from vectorizing the
    normalization's last loop when a fused activation (GELU, tanh-GELU, SiLU,
    tanh) uses them. The approximations are plain arith/math.fma ops, which
    vectorize with the rest of the loop.

    Limits: results differ from libm's by the error of the
    approximations (small enough for the tolerances of
    test/Integration/CPU, which pass with them; erf is checked against
    math.erf by test/Integration/CPU/test_erf.py, exp against numpy's by
    test_exp.py); NaN/infinity inputs follow the approximations' own
    clamping (erf: NaN stays NaN, +-inf gives +-1; exp: NaN stays NaN,
    exp(-inf) = 0, results above FLT_MAX are +inf, and results below the
    smallest normal FLT_MIN, x < -87.34, are flushed to 0 rather than
    subnormal; with `avx512`, correctly rounded subnormals, 0 below
    x = -103.97).
    Other math ops (log, rsqrt, ...) are left alone. Test:
    norm-approximate-math.mlir.

    `exp(-y)` (SiLU's, sigmoid's) is computed from `y` with the negation
    folded into the constants: bitwise the same result, one instruction
    less.

    With `avx512`, exp on `vector<16xf32>` scales e^r by 2^n with
    `x86vector.avx512.mask.scalef` (one `vscalefps`, which also produces
    the overflows and underflows) instead of adding, shifting and
    multiplying: 12 instructions instead of 14. It needs
    `convert-vector-to-llvm{enable-x86vector}` and a CPU with AVX-512F;
    `norm-lower-to-cpu` sets it when the host has AVX-512F.
  }];
  let options = [
    Option<"avx512", "avx512", "bool", /*default=*/"false",
           "Use AVX-512 instructions (x86vector dialect) where they save "
           "operations: exp's scaling by 2^n as vscalefps">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect"
  ];
}

//===----------------------------------------------------------------------===//
// norm-peel-partial-row-tiles
//===----------------------------------------------------------------------===//

def NormPeelPartialRowTilesPass
    : Pass<"norm-peel-partial-row-tiles", "::mlir::func::FuncOp"> {
  let summary = "Split row tiles of a dynamic row count into full tiles "
                "with static shapes and the partial last tile";
  let description = [{
    For every `scf.forall` on tensors and each of its dimensions with a
    dynamic upper bound and a constant step whose body computes its tile
    size as `affine.min(step, ...)` of that induction variable (the row
    tiles of `norm-tile-and-fuse-rows` over a dynamic row count, its column
    tiles over a dynamic pixel count), creates two foralls: one over
    `[lb, lb + (ub - lb) floordiv step * step)` along that dimension —
    every tile full — whose body is a clone with the tile sizes replaced by
    the constant `step`, and one over the rest (at most one, partial tile)
    with the original body, taking the first one's results as its outputs;
    each is split again along the later dimensions (rows and columns: four
    foralls). A canonicalization afterwards gives the full tiles static
    shapes.

    Why: with a dynamic row count (a batch or sequence length left dynamic
    by the frontend) every op of a tile had dynamic shapes, so
    `norm-vectorize-row-outputs` left the tiles to LLVM (no vector stores,
    hence no streaming stores) and their per-row buffers were heap
    allocations: LayerNorm on [? x 4096] f32 ran 1.6x (1 thread) and 1.3x
    (2 threads) slower than on [8192 x 4096].

    Limits: static upper bounds, dynamic steps, foralls without results
    and bodies without such a tile size are left alone. Run it right after `norm-tile-and-fuse-rows`, before a
    canonicalization. Test: norm-peel-partial-row-tiles.mlir.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect"
  ];
}

//===----------------------------------------------------------------------===//
// norm-collapse-inner-dims
//===----------------------------------------------------------------------===//

def NormCollapseInnerDimsPass
    : Pass<"norm-collapse-inner-dims", "::mlir::func::FuncOp"> {
  let summary = "Merge the innermost loops of linalg.generic ops whose "
                "innermost range is not a multiple of the vector size";
  let description = [{
    For every `linalg.generic` on tensors whose innermost loop range is not
    a multiple of `vector-size`, finds the shortest run of innermost loops
    whose product is one — all of static range, of the innermost loop's iterator
    type, and contiguous in every indexing map (or absent from it) — and
    collapses it into one loop with upstream's
    `linalg::collapseOpIterationDims` (`tensor.collapse_shape` on the
    operands, `tensor.expand_shape` on the results).

    Why: BatchNorm on NCHW [32, 64, 56, 56] normalizes planes of 56 x 56.
    `norm-vectorize-row-outputs` vectorizes only innermost ranges divisible
    by the vector size, so its 56-wide rows were left to LLVM, which wrote
    them with scalar tails and without non-temporal stores; as one loop of
    3136 = 196 x 16 elements the plane is vectorized by MLIR.

    With a dynamic innermost range (an image of run-time size), the longest
    such run of any ranges is collapsed (a row of the vectorized op is then
    a whole plane, H x W, not one image row with a masked remainder each:
    NCHW batch norm `[?, ?, ?, ?]` 1.27x -> 1.02x the time of the static
    code), when the op's direct neighbours along the run are no linalg ops:
    collapsed next to an uncollapsed producer or consumer, it would be
    separated from it by a reshape that norm-tile-and-fuse-rows does not
    fuse through. Reshape neighbours are allowed (group norm's groups:
    nothing behind them was fused through them either). (Group norm
    `[?, 256, ?, ?]`: 1.15x -> 1.00x its static time, with the stores
    streamed through the group expansion, see norm-nontemporal-stores.)

    Ops whose innermost range is already a multiple, runs with a static
    innermost range that would take in a dynamic one, a loop of the other
    iterator type or the outermost
    loop (the rows `norm-tile-and-fuse-rows` tiles: LayerNorm2d's mean per
    pixel, [32, 14 x 14], merged into 6272 could no longer be fused into
    the normalization's row tiles, and the statistics took passes of their
    own over the input: [32, 384, 14, 14] 1.63 -> 1.02 ms, 2 threads), and
    runs that no map keeps contiguous (GroupNorm's weight indexed by the
    channel but not by H, W), and ops with a map that is not a projected
    permutation (constant results: upstream's collapse rewrote them as
    loop dimensions) are left alone. Run it before
    `norm-tile-and-fuse-rows`. Test: norm-collapse-inner-dims.mlir.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"16",
           "Elements per vector that the innermost range should be a "
           "multiple of (<= 1: do nothing)">
  ];
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// norm-vectorize-row-outputs / norm-nontemporal-stores
//===----------------------------------------------------------------------===//

def NormVectorizeRowOutputsPass
    : Pass<"norm-vectorize-row-outputs", "::mlir::func::FuncOp"> {
  let summary = "Tile the elementwise op that writes each row tile into "
                "vectors of its innermost dimension and vectorize it";
  let description = [{
    For every `scf.forall` (the row tiles of `norm-tile-and-fuse-rows`), the
    linalg op on tensors that produces a `tensor.parallel_insert_slice`
    source is tiled with `scf.for` (TilingInterface) into tiles of
    1 x ... x 1 x `vector-size` and each tile is vectorized with
    `linalg::vectorize`; the leading unit dimensions of the vectors are cast
    away, so the output is written with 1-D `vector.transfer_write`s.

    Why: LLVM's loop vectorizer refuses stores marked non-temporal unless it
    can prove their vector alignment, which it cannot for a row of a
    caller's buffer; written as vector ops by MLIR, the stores can carry the
    flag (`norm-nontemporal-stores`).

    *Rows of run-time length.* An output whose innermost range is dynamic
    (every size of an op dynamic: the Python package's "dynamic" shape
    policy, a frontend's dynamic hidden size) is tiled the same way, then
    the last, partial tile of each row is peeled: whole vectors in the loop
    (vectorized as static), the rest in one vector of `vector-size` lanes
    under a `vector.create_mask` of the elements left (masked transfers,
    lowered here to transfers with a mask operand: ownership-based
    deallocation put constants into `vector.mask` regions, which then
    failed to verify). A row reduction of dynamic innermost range is split
    into partial results of W elements likewise, its remainder accumulated
    masked into the first lanes. Before, such ops were left scalar to LLVM:
    every size dynamic cost 1.4-3x the static code (docs/benchmarks.md,
    "Dynamic sizes").

    Row reductions in the tile (the innermost loop a reduction of a static
    range of at least `vector-size` or of a dynamic range, the other loops
    static or dynamic, every combiner a
    floating-point op with the `reassoc` fast-math flag) are split: the
    parallel loops (rows) are tiled by 1, the reductions are tiled with
    partial results (TilingInterface, `PartialReductionOuterReduction`) of
    W = `vector-size` x `reduction-accumulators` elements (or, for a
    shorter range, the largest multiple of `vector-size` it holds) along the
    innermost loop and by 1 along the other reduction loops (batch norm's
    batch entries, summed into the same accumulators), and the partial op
    and the final merge are vectorized, the partial accumulator hoisted into
    a loop-carried vector. A range that is no multiple of W leaves a last
    partial tile, peeled into a static remainder accumulated into the first
    lanes (batch norm on NCHW 7 x 7: 49 = 48 + 1 pixels a channel and batch
    entry); a remainder of f16/bf16 elements is vectorized only in a power
    of two (LLVM 22's x86 backend aborts on `fadd <9 x bfloat>`, a bf16 row
    of 25 with its residual sum) and is left scalar otherwise. A reduction
    over several rows of fewer than 512 bytes and over other reduction
    loops (the statistics tiles of several NCHW channels of
    `norm-tile-and-fuse-rows`) keeps its rows untiled in the split: the
    batch loop is outermost, the rows are walked inside it (an `scf.for`
    tiling the partial op by 1 per row), so that each batch entry's rows
    are read as one run, and the partial accumulators (a row of W each)
    stay in memory. LLVM splits the accumulator into `reduction-accumulators`
    independent registers; left as a scalar loop, it vectorized RMSNorm's
    sum of squares as one chain of dependent FMAs, and it did not vectorize
    the 49-element loops at all. This changes the order of summation, hence
    the `reassoc` requirement.

    An output tile that the body also reads (the residual sum `h` of
    residual + RMSNorm, returned and normalized) is first made private: the
    op computes it into a new `tensor.empty` tile, which stays in cache for
    its readers, and a `linalg.copy` before the terminator, vectorized
    instead of the op, writes it to the output. Vectorized as is, its
    non-temporal stores would send the tile to memory before it is read
    back.

    Column reductions in a tile (statistics per pixel of a column tile of
    `norm-tile-and-fuse-rows`, reduced over the channels above it: the
    innermost loop parallel, static, a multiple of `vector-size` and at
    most 256 elements, every init indexed by it last) are vectorized whole
    along it: every other loop is tiled by 1 with `scf.for`, the tile
    vectorized, and the accumulator hoisted into a loop-carried vector (64
    f32 sums in four registers). The summation order of each element is
    unchanged, so no `reassoc` is needed. Left to LLVM, a tile of 32 pixels
    was kept as 32 scalar accumulators, spilled (LayerNorm2d [8, 96, 56,
    56] 1.8 -> 0.9 ms, 1 thread).

    *Channel planes.* An elementwise output op whose innermost range is no
    multiple of `vector-size` (batch norm on NCHW with 7 x 7 = 49 or
    14 x 14 = 196 pixels, which `norm-collapse-inner-dims` cannot make a
    multiple) is walked as flat planes when it can be: a trailing run of
    loops (channels x pixels) that holds a multiple of `vector-size`
    elements, K >= `vector-size` a channel, every input read contiguously
    over the run, once per channel (mean, scale, shift; per group) or once
    per pixel. The
    loops before the run are tiled by 1, and the plane, collapsed to one
    dimension, is written in vectors that start at multiples of
    `vector-size`. A per-channel input becomes the vector of the values of
    the (at most two) channels the vector spans: `arith.select` of two
    broadcasts on `vector.create_mask(K * (c + 1) - offset)`, c = offset /
    K; c and the boundary are carried by the loop (a vector crosses at
    most one), not divided out per vector (LayerNorm2d [32, 768, 7, 7], 1
    thread: -7 %). Tiled by channels instead, each channel would be three vectors and a
    remainder at offsets no store can prove aligned; left to LLVM, the
    7-wide loops stored scalars. Batch norm inference + ReLU, 2 threads:
    [32, 1024, 14, 14] 2.49 -> 1.29 ms, [32, 2048, 7, 7] 1.39 -> 0.72 ms.
    A per-pixel input, the same for every channel (LayerNorm2d's mean and
    rstd, reduced over the channels), becomes a slice at the vector's first
    pixel K - boundary of its K values followed by their first
    `vector-size` again (built once per plane), so that the lanes past the
    boundary read the next channel's first pixels. LayerNorm2d, 2 threads:
    [32, 768, 7, 7] 0.65 -> 0.54 ms, [32, 384, 14, 14] 1.22 -> 0.99 ms.

    Limits: only ops whose loops are all parallel, with static ranges, an
    innermost range divisible by `vector-size` (or channel planes) and an
    output map that is the identity; others are left alone (LLVM still
    vectorizes them).
    Tests: norm-vectorize-row-outputs.mlir (`@channel_planes`),
    norm-vectorize-row-reductions.mlir (`@ragged_row`, `@batch_sum`),
    norm-tile-and-fuse-rows-columns.mlir (`VEC`),
    norm-lower-to-cpu-channel-planes.mlir.
  }];
  let options = [
    Option<"vectorSize", "vector-size", "int64_t", /*default=*/"16",
           "Elements per vector of the innermost dimension (<= 0: do "
           "nothing)">,
    Option<"reductionAccumulators", "reduction-accumulators", "int64_t",
           /*default=*/"4",
           "Independent vector accumulators per row reduction (<= 0: leave "
           "reductions as loops)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def NormNontemporalStoresPass
    : Pass<"norm-nontemporal-stores", "::mlir::func::FuncOp"> {
  let summary = "Lower 1-D vector transfers to loads/stores, mark the stores "
                "into function arguments non-temporal and version their loops "
                "on alignment";
  let description = [{
    Lowers in-bounds 1-D `vector.transfer_read`/`transfer_write` on memrefs to
    `vector.load`/`vector.store` (upstream
    `populateVectorTransferLoweringPatterns`), then sets `nontemporal` on
    every `vector.store` whose base is a function argument or a view of one
    (`memref.subview`, casts, reshapes): the outputs of the function, written
    once and not read back. They lower to LLVM stores with `!nontemporal`
    metadata, which skip the read-for-ownership of the output lines and do
    not evict the input from the caches.

    With `aligned-versions`: x86 has no unaligned non-temporal vector store,
    so a store whose alignment LLVM does not know becomes 8 `movntsd` (SSE4A)
    plus shuffles per 64 bytes, about as many instructions as a fused SiLU.
    For every store whose offset from the first element of its argument is
    provably a multiple of the store's size, or of 64 bytes for wider
    stores (a contraction's register-tile rows: LLVM splits them into
    64-byte stores, each aligned when the first is) — the
    offsets of the subview chain and the store's indices times static
    strides, each index's divisibility derived from constants, loop bounds
    and steps, `arith.addi`/`subi`/`muli` and `affine.apply` — the top-level
    loop holding it is cloned:
    `scf.if %aligned { clone, stores with alignment } else { original }`,
    `%aligned` checking at run time that each such argument's first
    element (aligned pointer + offset) is aligned to the largest store size
    into it. A dynamic stride (rows of a length known at run time) counts
    as a multiple of the store's size when it is one of the argument's own
    dynamic strides times an integer (the views between are subviews,
    casts, collapses and expansions: an expanded dimension's stride is its
    source's times the sizes after it in its group); `%aligned` then also
    checks that each such stride of the argument, in bytes, is such a
    multiple (rows of 768 f32 are, of 1000 are not). The clone's stores become one `vmovntps` per 64 bytes. Frameworks
    allocate 64-byte aligned tensors (PyTorch's CPU allocator). numpy's
    default allocations are 16-byte aligned: the else branch holds a second
    `scf.if` on 16-byte alignment, whose clone's stores carry
    `alignment = 16` (four 16-byte `vmovntps` per 64 bytes instead of eight
    8-byte `movnti`s, each extracted from the vector), before the original
    loop. In both versions for unaligned outputs, a store whose row tile is
    written in separate contiguous pieces of less than 4 KiB (LayerNorm2d:
    64 pixels of each channel plane) becomes a plain store: the lines a
    piece shares with the next tile's piece would reach memory in two
    partial non-temporal writes.

    Limits: only `vector.store` (scalar stores would keep LLVM from
    vectorizing their loop); stores into local buffers are left alone; a
    loop is versioned only when it is a result-less op directly in the
    function's single block (the row tiles' `scf.parallel`); dynamic
    strides with non-zero indices are not provable.
    Tests: norm-nontemporal-stores.mlir, norm-vectorize-row-outputs.mlir,
    test/Integration/CPU/test_aligned_stores.py.
  }];
  let options = [
    Option<"alignedVersions", "aligned-versions", "bool", /*default=*/"true",
           "Clone the loops of provably aligned non-temporal stores into a "
           "version taken when the arguments are aligned at run time">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
}

def NormPrefetchNextRowTilePass
    : Pass<"norm-prefetch-next-row-tile", "::mlir::func::FuncOp"> {
  let summary = "Prefetch the next row tile from the arithmetic-heavy "
                "normalization loops";
  let description = [{
    For every innermost `scf.for` inside an `scf.parallel` (the row tiles)
    that stores vectors non-temporally (the row outputs, after
    `norm-nontemporal-stores`) and does at least `min-ops-per-store`
    floating-point vector operations per such store, adds before each 2-D
    or higher `vector.load` of a row tile — a load whose memref is a chain
    of unit-stride subviews of a buffer that is not a local allocation, one
    of which is offset by the tile loop's induction variable — a
    `memref.prefetch` (read, `locality`) of the same element one tile step
    further along that dimension, clamped to the last row.

    Why: a tile is read from memory by its statistics loops, then
    normalized from cache. With an activation such as GELU or SiLU
    (approximated by 15–20 vector operations per vector) the normalization
    is compute-bound and memory idles, so one thread ran LayerNorm + GELU
    55% slower than LayerNorm. Prefetching the next tile into L2 (locality
    2: `prefetcht1`) from the normalization loop overlaps its read with the
    arithmetic. Measured first in C on this machine (8192 x 4096 f32, one
    thread): LayerNorm + GELU 19.8 → 15.5 ms, while plain LayerNorm lost
    5% with the same prefetches (12.8 → 13.4 ms; prefetching into L1 lost
    34%), hence the threshold: the plain norms do 2–6 operations per
    store, the fused activations 15 or more.

    Run it after `norm-approximate-math` (the operations it counts) and
    `norm-nontemporal-stores` (the stores it looks for). Limits: loops
    outside an `scf.parallel`, loads of local buffers, of 1-D memrefs
    (weights), loads whose address does not change within the loop
    (GroupNorm's per-group weights) or through rank-reducing or strided
    subviews are left alone;
    `min-ops-per-store <= 0` does nothing. Test:
    norm-prefetch-next-row-tile.mlir.
  }];
  let options = [
    Option<"minOpsPerStore", "min-ops-per-store", "int64_t", /*default=*/"12",
           "Floating-point vector operations per non-temporal store from "
           "which a loop prefetches (<= 0: never)">,
    Option<"locality", "locality", "unsigned", /*default=*/"2",
           "Locality hint of the prefetches (0-3; 2 = L2 on x86)">
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def NormHoistInvariantLoadsPass
    : Pass<"norm-hoist-invariant-loads", "::mlir::func::FuncOp"> {
  let summary = "Move loads of memory that no store in the loop may alias "
                "out of the loop";
  let description = [{
    Loop-invariant code motion (upstream `moveLoopInvariantCode`) over
    `scf.for` and `scf.parallel` loops, innermost first, that also moves
    `vector.load`, `memref.load` and `vector.transfer_read` whose operands
    are defined outside the loop, when the loop runs at least once (constant
    bounds) and no operation in it may write memory that the load's memref
    aliases (`AliasAnalysis::getModRef`; LocalAliasAnalysis tells a
    function-local buffer apart from the function's arguments). The pure
    operations that feed or use such loads (subviews, broadcasts) move with
    them, as in upstream LICM.

    First, an innermost `scf.for` with a constant trip count of at most
    `unroll-limit` inside another loop is unrolled fully when it loads from
    a buffer defined outside that enclosing loop which the enclosing loop
    does not write: the loads, indexed by its induction variable, become
    invariant in the enclosing loop. This is the channel loop of an NHWC
    batch norm (4 vectors of 16 for 64 channels).

    Why: the per-channel parameters of the batch and group norms (mean,
    scale, bias: local copies made by convert-norm-to-linalg) were loaded
    again for every vector of the pixel loops. LLVM does not hoist them:
    after the OpenMP outlining they are pointers of unknown provenance,
    and the loop's non-temporal stores into the output may alias them.
    BatchNorm + ReLU inference [32, 56, 56, 64] f32, same buffers
    (`benchmarks/ab.py`, 1 / 2 threads): NHWC 1.31 → 1.18 / 1.01 → 0.98
    ms, NCHW 1.30 → 1.22 / 0.79 → 0.78 ms.

    Run it after the loops and vector loads exist (bufferization,
    `norm-nontemporal-stores`) and before `convert-scf-to-openmp`. Limits:
    loops with non-constant bounds (which might not run) keep their loads;
    an operation of unknown effects in the loop keeps all of them. Test:
    norm-hoist-invariant-loads.mlir.
  }];
  let options = [
    Option<"unrollLimit", "unroll-limit", "int64_t", /*default=*/"4",
           "Largest trip count of an inner loop unrolled so that its loads "
           "become invariant in the enclosing loop (0: never)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
  ];
}

def NormPromoteScopedBuffersToStackPass
    : Pass<"norm-promote-scoped-buffers-to-stack", "::mlir::func::FuncOp"> {
  let summary = "Allocate small buffers of run-time size that live in one "
                "allocation scope on the stack";
  let description = [{
    For every `memref.alloc` with dynamic sizes (integer or float elements,
    identity layout, default memory space) directly in the body of a
    `memref.alloca_scope` and freed by exactly one `memref.dealloc` later in
    that body: an `scf.if` on its size in bytes being at most `max-bytes`
    allocates it with `memref.alloca` of the same sizes and alignment, or
    else with the `memref.alloc` as before; the `memref.dealloc` runs in
    the second case only. The stack is released at the end of the scope
    (`stacksave`/`stackrestore`), so a loop whose iterations are scopes does
    not grow it. The size is checked after each dynamic factor (each
    factor and each partial product at most `max-bytes`, itself taken as at
    most 2^31, so that no product wraps); an element takes its size in
    bytes rounded up to a power of two. The buffers of one scope are
    promoted while `max-bytes` each fit in `max-scope-bytes`.

    Safe because the buffer is freed unconditionally in the scope: no use
    can come after it in correct input. Left alone besides: buffers with a
    memref view (`BufferViewFlowAnalysis`) used outside the scope, by a
    call, by an `unrealized_conversion_cast` or as the scope's result, and
    buffers whose static sizes alone exceed `max-bytes`.

    Why: upstream `promote-buffers-to-stack` takes static sizes only. With
    the channels dynamic (`norm_mlir.ops`' "dynamic" shape policy), a group
    norm row tile allocated its three per-channel parameter buffers (`C /
    G` floats each) with `aligned_alloc` and freed them again: 3
    malloc/free pairs per (batch entry, group). `convert-scf-to-openmp`
    gives each row tile such a scope; `norm-lower-to-cpu` runs this pass
    after it (with OpenMP only: the sequential loops have no scopes).
    GroupNorm + SiLU [2, 1280, 8, 8] with every size dynamic, 2 threads:
    1.17-1.31x its static time before, 1.00-1.04x after
    (docs/benchmarks.md, "Buffers of run-time size on the stack"). Tests:
    norm-promote-scoped-buffers-to-stack.mlir,
    Pipelines/norm-lower-to-cpu-stack-buffers.mlir.
  }];
  let options = [
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"1024",
           "The largest buffer, in bytes, allocated on the stack (the "
           "limit of the static buffers the CPU pipeline promotes); <= 0: "
           "no-op">,
    Option<"maxScopeBytes", "max-scope-bytes", "int64_t",
           /*default=*/"16384",
           "The stack the promoted buffers of one scope may take at most, "
           "counting `max-bytes` for each (the CPU pipeline's limit for "
           "the static buffers of a row tile); <= 0: no-op">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

def NormExpandShapeToReinterpretCastPass
    : Pass<"norm-expand-shape-to-reinterpret-cast", "::mlir::func::FuncOp"> {
  let summary = "Rewrite memref.expand_shape ops that split a dimension into "
                "several dynamic ones as memref.reinterpret_cast";
  let description = [{
    For every `memref.expand_shape` with two or more dynamic sizes in one
    reassociation group, reads the source's base, offset and strides with
    `memref.extract_strided_metadata` (static ones from its type) and
    replaces the expansion by a `memref.reinterpret_cast` of the base to the
    expanded sizes, each group's strides the source dimension's stride times
    the sizes to its right in the group.

    Why: LLVM 22's `expand-strided-metadata` crashes on such expansions
    (`memref<?xf32>` into `memref<?x?x1xf32>`), which the CPU pipeline
    produces when a LayerNorm or RMSNorm on `[?, ?, D]`, lowered as
    `[? * ?, D]` rows, returns new buffers. Run it right before
    `expand-strided-metadata`. Other expansions are left to upstream. Test:
    norm-expand-shape-to-reinterpret-cast.mlir.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::memref::MemRefDialect"
  ];
}

def NormX86BF16NontemporalStoresPass
    : Pass<"norm-x86-bf16-nontemporal-stores"> {
  let summary = "Pass bf16 vectors stored non-temporally through an empty "
                "inline asm so that X86 selects a streaming store";
  let description = [{
    For every `llvm.store` marked `nontemporal` of a 1-D vector of bf16
    whose size is a multiple of 128 bits, bitcasts the value to `<N x i64>`,
    passes it through `llvm.inline_asm "", "=v,0"` (no instruction: the same
    vector register in and out) and stores the result.

    Why: LLVM 22's X86 instruction selection has no non-temporal store
    pattern for bf16 vectors and folds bitcasts in front of a store back
    into it, so `store <16 x bfloat> ..., align 32, !nontemporal` became a
    plain `vmovaps` (f32 and f16 vectors get `vmovntps`): every bf16 output
    of the CPU pipeline went through the caches with a read for ownership
    per line. Behind the asm the store is one of `<4 x i64>` and selects
    `vmovntps`.

    x86 only (the `v` constraint is x86's vector register class):
    `norm-lower-to-cpu` adds it after the conversion to LLVM when
    `nontemporal-stores` is on and norm-opt runs on an x86 host (the
    pipeline compiles for the host). Other stores are left alone. Test:
    norm-x86-bf16-nontemporal-stores.mlir.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // NORM_TRANSFORMS_PASSES_TD
