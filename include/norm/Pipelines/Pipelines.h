//===- Pipelines.h - norm lowering pipelines --------------------*- C++ -*-===//
//
// Part of the norm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Pass pipelines that lower norm programs to executable code.
//
// `norm-lower-to-cpu` takes linalg on tensors (plus arith/math/tensor; the
// norm dialect once norm-to-linalg is wired in) to the LLVM dialect:
//
//   norm-lint (optional, diagnostics only) -> norm-to-linalg (hook) ->
//   constant matmul operands packed into panels -> fast-math marking ->
//   row tiling + producer fusion (scf.forall) ->
//   register tiles of contractions (vector FMAs) -> inputs of public
//   functions marked read only -> one-shot bufferization
//   (function boundaries, identity layout) -> drop tied results -> written
//   untied inputs copied -> buffer deallocation -> loops -> OpenMP
//   (optional) -> LLVM dialect.
//
// C ABI of the functions marked `llvm.emit_c_interface` (called through
// `_mlir_ciface_<name>`):
//  * each tensor argument is a pointer to a ranked memref descriptor
//    {allocated, aligned, offset, sizes[R], strides[R]} with the identity
//    layout (row-major, contiguous); scalars are passed by value;
//  * destination passing: a result that is its function's `outs` argument
//    (the returned tensor bufferizes to the argument's buffer) is dropped
//    from the signature; the kernel writes the caller's buffer in place. The
//    function gets `norm.tied_results = array<i64: ...>` (per original result:
//    the index of the argument it was tied to, or -1) and
//    `norm.tied_results_written = array<i1: ...>` (whether the kernel may
//    write that argument: false for an input returned through reshapes,
//    which the caller may pass read-only), which survive into the LLVM
//    dialect for runtimes to read;
//  * an argument no result is tied to is an input: the kernel never writes
//    it (it computes in a copy where it would have written it in place);
//  * any other tensor result is returned through a leading out-pointer to
//    its descriptor (a struct of descriptors for several results). Its
//    memory comes from malloc and belongs to the caller, who frees
//    `allocated` with free().
//
//===----------------------------------------------------------------------===//

#ifndef NORM_PIPELINES_PIPELINES_H
#define NORM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;

namespace norm {

/// Options of the `norm-lower-to-cpu` pipeline.
struct NormCPUPipelineOptions
    : public PassPipelineOptions<NormCPUPipelineOptions> {
  PassOptions::Option<bool> openmp{
      *this, "openmp",
      llvm::cl::desc("Run the row loops in parallel with OpenMP (link the "
                     "result with libomp)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> tileSize{
      *this, "tile-size",
      llvm::cl::desc("Rows per tile: tile the outermost parallel dimension of "
                     "each root linalg op with scf.forall and fuse its "
                     "producers into the tile (0 disables tiling)"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> columnTileBytes{
      *this, "column-tile-bytes",
      llvm::cl::desc("Bytes over the reduced dimensions of a column tile of "
                     "statistics per pixel (norm-tile-and-fuse-rows "
                     "column-tile-bytes; 0: tile by rows only)"),
      llvm::cl::init(1048576)};
  PassOptions::Option<bool> tileContractions{
      *this, "tile-contractions",
      llvm::cl::desc("Tile linalg contractions (matmul, batch_matmul, "
                     "contraction generics) into register tiles, vectorize "
                     "them and lower them to vector FMAs "
                     "(norm-tile-contractions); off: scalar loops"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> packConstantRHS{
      *this, "pack-constant-rhs",
      llvm::cl::desc("Pack constant right-hand matrices of matmuls into "
                     "panels of contraction-tile-n columns at compile time "
                     "(norm-pack-constant-rhs; with tile-contractions)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> contractionTileM{
      *this, "contraction-tile-m",
      llvm::cl::desc("Rows of accumulators per register tile of a "
                     "contraction (norm-tile-contractions register-tile-m)"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> contractionTileN{
      *this, "contraction-tile-n",
      llvm::cl::desc("Elements per row of accumulators (the vector) of a "
                     "contraction's register tile (norm-tile-contractions "
                     "register-tile-n)"),
      llvm::cl::init(32)};
  PassOptions::Option<bool> fastMath{
      *this, "fast-math",
      llvm::cl::desc("Allow reassociation and contraction of floating-point "
                     "arithmetic, so that LLVM vectorizes reductions"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Replace erf, tanh and exp by polynomial approximations "
                     "(norm-approximate-math) so that fused activations "
                     "vectorize instead of calling libm per element"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> hostAVX512{
      *this, "host-avx512",
      llvm::cl::desc("Use AVX-512 instructions where they save operations "
                     "(norm-approximate-math{avx512}: exp's scaling as "
                     "vscalefps) when the host CPU has AVX-512F"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> nontemporalStores{
      *this, "nontemporal-stores",
      llvm::cl::desc("Write each row tile's output with MLIR vector stores "
                     "marked non-temporal (norm-vectorize-row-outputs, "
                     "norm-nontemporal-stores): no read-for-ownership of the "
                     "output, which is written once"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> alignedStores{
      *this, "aligned-stores",
      llvm::cl::desc("Version the row loops on the outputs' run-time "
                     "alignment so that their non-temporal stores carry "
                     "it (norm-nontemporal-stores{aligned-versions})"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> prefetchNextTile{
      *this, "prefetch-next-tile",
      llvm::cl::desc("Prefetch the next row tile into L2 from normalization "
                     "loops whose arithmetic (a fused GELU, SiLU, ...) leaves "
                     "memory idle (norm-prefetch-next-row-tile; needs "
                     "nontemporal-stores)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> lowerTosa{
      *this, "lower-tosa",
      llvm::cl::desc("Lower TOSA ops (as frontends emit them around the "
                     "normalizations) to linalg first"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> lint{
      *this, "lint",
      llvm::cl::desc("Run norm-lint first: warn about normalization misuse "
                     "(small batches, train/eval mismatch, leakage, ...)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> recoverableChecks{
      *this, "recoverable-checks",
      llvm::cl::desc("A failed run-time check of an entry function returns "
                     "(poison results) and leaves its message for "
                     "norm_take_check_failure() instead of aborting "
                     "(norm-recoverable-checks; the Python package sets "
                     "it)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> mpi{
      *this, "mpi",
      llvm::cl::desc("Partition functions annotated with the shard dialect "
                     "into one process's part (sharding-propagation, "
                     "shard-partition; SyncBatchNorm for sharded training "
                     "batch norms, no communication for the per-sample "
                     "norms) and lower the collectives to MPI calls "
                     "(MPICH ABI; link with libmpich)"),
      llvm::cl::init(false)};
};

/// Adds the passes that lower linalg-on-tensors (and the norm dialect, once
/// norm-to-linalg is wired in) to the LLVM dialect for the host CPU.
void buildNormLowerToCPUPipeline(OpPassManager &pm,
                                 const NormCPUPipelineOptions &options);

/// Adds the passes that partition a module written in the global view of
/// the shard dialect into the part of one process (`norm-shard-partition`,
/// the first stage of `norm-lower-to-cpu{mpi=1}`): elementwise ops on
/// tensors to linalg, sharding propagation, shard-partition.
void buildNormShardPartitionPipeline(OpPassManager &pm);

/// Registers `norm-lower-to-cpu` and `norm-shard-partition`. Their passes
/// are registered separately (registerNormCodegenPasses in
/// norm/Transforms/Passes.h).
void registerNormPipelines();

} // namespace norm
} // namespace mlir

#endif // NORM_PIPELINES_PIPELINES_H
