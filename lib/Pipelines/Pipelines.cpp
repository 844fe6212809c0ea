//===- Pipelines.cpp - norm lowering pipelines ----------------------------===//
//
// Part of the norm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The `norm-lower-to-cpu` pipeline, built from upstream passes and the
// codegen transforms of norm/Transforms. See Pipelines.h for the C ABI of the
// result.
//
//===----------------------------------------------------------------------===//

#include "norm/Pipelines/Pipelines.h"
#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ConvertToLLVM/ToLLVMPass.h"
#include "mlir/Conversion/LinalgToStandard/LinalgToStandard.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/ShardToMPI/ShardToMPI.h"
#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Shard/Transforms/Passes.h"
#include "mlir/Dialect/Tosa/Transforms/Passes.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::norm;

//===----------------------------------------------------------------------===//
// norm-lower-to-cpu
//===----------------------------------------------------------------------===//

/// The front of every pipeline: norm ops, and the elementwise ops that
/// frontends write around them (TOSA, arith/math on tensors), to linalg on
/// tensors.
static void addNormToLinalgPasses(OpPassManager &pm, bool lowerTosa) {
  pm.addPass(createConvertNormToLinalgPass());
  if (lowerTosa) {
    // Result shapes refined first, as upstream's TOSA pipeline does: MLIR
    // 22's tosa-to-linalg segfaults on a keep-dims reduction whose reduced
    // dimension is `?` (a valid type) next to static ones.
    pm.addNestedPass<func::FuncOp>(tosa::createTosaInferShapesPass());
    pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalgNamed());
    pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalg());
    pm.addNestedPass<func::FuncOp>(createTosaToArithPass());
    pm.addNestedPass<func::FuncOp>(createTosaToTensorPass());
  }
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  // Aggregates such as linalg.softmax (raised from frontends) have no
  // loop lowering of their own.
  pm.addPass(createNormDecomposeAggregatesPass());
  // x^n (torch's pow/square, GELU-tanh's x^3) as multiplications, and
  // fpowi of a variable exponent as powf: LLVM's powi takes a scalar
  // exponent, which vectorization would make a vector. Constant exponents
  // by our own pass: upstream's expansion gets (+0)^-n wrong (-inf).
  pm.addNestedPass<func::FuncOp>(createNormExpandFPowIPass());
  math::MathExpandOpsPassOptions expandOptions;
  expandOptions.opMnemonics = {"fpowi"};
  pm.addNestedPass<func::FuncOp>(math::createMathExpandOpsPass(expandOptions));
}

void mlir::norm::buildNormShardPartitionPipeline(OpPassManager &pm) {
  // Elementwise arith/math ops on tensors (a step's glue: sums of gradients,
  // eps + var) as linalg.generic, which has a sharding model; upstream gives
  // the arith ops none.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  // Every use of an argument annotated (upstream shard-partition crashes
  // otherwise): before propagation, so that it sees the uses of an
  // annotated argument through its annotation, and after, for the uses
  // that propagation leaves unannotated.
  pm.addNestedPass<func::FuncOp>(createNormShardAnnotateArgumentsPass());
  pm.addNestedPass<func::FuncOp>(shard::createShardingPropagation());
  pm.addNestedPass<func::FuncOp>(createNormShardAnnotateArgumentsPass());
  pm.addNestedPass<func::FuncOp>(shard::createPartition());
}

/// Distributed programs: the global view written with the shard dialect to
/// the part of one process (SyncBatchNorm all-reduces the batch statistics
/// of split training batch norms; LayerNorm, RMSNorm, GroupNorm and inference
/// BatchNorm run on their own samples), then the collectives to MPI calls.
static void addShardToMPIPasses(OpPassManager &pm) {
  buildNormShardPartitionPipeline(pm);
  pm.addPass(createConvertShardToMPIPass());
  // The (private) grid is dead once partitioned; LLVM IR translation
  // rejects the shard dialect.
  pm.addPass(createSymbolDCEPass());
}

/// The most bytes one buffer of the sequential loops of a row tile may
/// take on the stack in all their iterations together (see
/// isSmallStackBuffer; each buffer is bounded on its own).
static constexpr int64_t kMaxStackBytesPerTile = 16 * 1024;

/// Whether `alloc` may become a `memref.alloca`: a static buffer of at most
/// 1 KiB that no loop would allocate again and again on the stack — outside
/// loops, or in a row tile (scf.forall) when the OpenMP lowering gives each
/// of its iterations an alloca scope, directly or in sequential loops of
/// constant trip counts inside it whose iterations allocate at most
/// kMaxStackBytesPerTile of it in all (a dynamic row's partial sums, one
/// per row of the tile: 8 x 256 bytes, were a malloc/free pair per row,
/// 20 % of a LayerNorm of rows of 768). In another sequential loop an
/// alloca per iteration would grow the stack until the function returns.
static bool isSmallStackBuffer(Value alloc, bool openmp) {
  auto type = dyn_cast<MemRefType>(alloc.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isIntOrFloat())
    return false;
  int64_t bytes =
      type.getNumElements() * type.getElementType().getIntOrFloatBitWidth() / 8;
  if (bytes > 1024)
    return false;
  Operation *loop =
      alloc.getDefiningOp()->getParentOfType<LoopLikeOpInterface>();
  if (!loop)
    return true;
  int64_t total = bytes;
  while (auto sequential = dyn_cast<scf::ForOp>(loop)) {
    std::optional<APInt> trips = sequential.getStaticTripCount();
    if (!trips || trips->getZExtValue() > kMaxStackBytesPerTile)
      return false;
    total *= static_cast<int64_t>(trips->getZExtValue());
    if (total > kMaxStackBytesPerTile)
      return false;
    loop = loop->getParentOfType<LoopLikeOpInterface>();
    if (!loop)
      return false;
  }
  return openmp && isa<scf::ForallOp, scf::ParallelOp>(loop);
}

void mlir::norm::buildNormLowerToCPUPipeline(
    OpPassManager &pm, const NormCPUPipelineOptions &options) {
  // The arguments that results are computed in, before folds hide them
  // (norm-drop-tied-buffer-results keeps them the results' destinations).
  pm.addPass(createNormRecordResultDestinationsPass());
  // Diagnostics only, on the norm ops as written.
  if (options.lint)
    pm.addPass(createNormLintPass());
  if (options.mpi)
    addShardToMPIPasses(pm);
  // Layouts bufferization cannot reshape: an error naming the argument.
  pm.addPass(createNormCheckMemRefLayoutsPass());
  // Constants of dynamic shape (a `dense_resource` literal verifies with
  // one): an error naming them, not a crash in bufferization.
  pm.addPass(createNormCheckConstantShapesPass());
  // The caller's output arrays: sizes checked at run time where dynamic.
  pm.addNestedPass<func::FuncOp>(createNormCheckDestinationSizesPass());
  // The operands' dynamic sizes that each norm op ties together (checked
  // first: an input of the wrong size is the likelier mistake).
  pm.addNestedPass<func::FuncOp>(createNormCheckOperandSizesPass());
  addNormToLinalgPasses(pm, options.lowerTosa);
  pm.addPass(createCanonicalizerPass());
  // Constant weights of matmuls in the register tiles' panels, packed at
  // compile time (before row tiling, which would slice them).
  if (options.tileContractions && options.packConstantRHS) {
    NormPackConstantRHSPassOptions packOptions;
    packOptions.panelWidth = options.contractionTileN;
    pm.addNestedPass<func::FuncOp>(createNormPackConstantRHSPass(packOptions));
  }
  if (options.fastMath)
    pm.addNestedPass<func::FuncOp>(createNormSetFastMathPass());

  // Tensor level: one scf.forall over row tiles, producers fused per tile.
  if (options.tileSize > 0) {
    // Innermost loops long enough for whole vectors (NCHW planes of 56 x 56).
    pm.addNestedPass<func::FuncOp>(createNormCollapseInnerDimsPass());
    pm.addPass(createCanonicalizerPass());
    NormTileAndFuseRowsPassOptions tileOptions;
    tileOptions.tileSize = options.tileSize;
    tileOptions.columnTileBytes = options.columnTileBytes;
    pm.addNestedPass<func::FuncOp>(createNormTileAndFuseRowsPass(tileOptions));
    // Full tiles of a dynamic row count with static shapes.
    pm.addNestedPass<func::FuncOp>(createNormPeelPartialRowTilesPass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    // The op writing each row tile as vectors, so that its stores can be
    // non-temporal (LLVM's loop vectorizer cannot vectorize such stores).
    if (options.nontemporalStores)
      pm.addNestedPass<func::FuncOp>(createNormVectorizeRowOutputsPass());
  }
  // Contractions (also those inside the row tiles) in register tiles of
  // vector FMAs; the accumulator tile stays in registers.
  if (options.tileContractions) {
    NormTileContractionsPassOptions contractionOptions;
    contractionOptions.registerTileM = options.contractionTileM;
    contractionOptions.registerTileN = options.contractionTileN;
    pm.addNestedPass<func::FuncOp>(
        createNormTileContractionsPass(contractionOptions));
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  }

  // Bufferization. Function boundaries use the identity layout so that the
  // C interface takes plain descriptors of contiguous buffers.
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // Loops that carry tensors (spectral_norm's power iteration) may yield
  // buffers bufferization cannot prove equivalent to the carried ones (with
  // dynamic shapes); allow a new buffer rather than failing.
  bufferizeOptions.allowReturnAllocsFromLoops = true;
  // Write results straight into their destinations: without this, the
  // tensor.empty that a lowered op (or the row forall) writes into becomes a
  // fresh full-size allocation, copied into the destination
  // (bufferization.materialize_in_destination) afterwards.
  // A result that reaches its destination through a collapse_shape
  // (GroupNorm's, computed with channels split into groups) is first
  // materialized in the expanded destination, so that the elimination
  // (which stops at reshapes) applies to it too.
  // Inputs of the public functions are read only: bufferization copies
  // what would write them in place.
  pm.addPass(createNormMarkReadOnlyArgumentsPass());
  pm.addNestedPass<func::FuncOp>(createNormEliminateReshapedEmptyTensorsPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  // Bufferization creates the globals of constants in an order that
  // depends on addresses: by name instead, for the same output every run.
  pm.addPass(createNormSortGlobalsPass());
  pm.addPass(createNormDropTiedBufferResultsPass());
  // What bufferization wrote in place of an input that no result is tied
  // to (a result that is a slice of it) works on a copy instead.
  pm.addPass(createNormCopyWrittenInputsPass());
  // Small buffers (the per-tile statistics accumulators) on the stack: a
  // heap allocation per row tile costs a malloc/free pair per tile.
  pm.addNestedPass<func::FuncOp>(bufferization::createPromoteBuffersToStackPass(
      [openmp = static_cast<bool>(options.openmp)](Value alloc) {
        return isSmallStackBuffer(alloc, openmp);
      }));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // Loops: the row tiles become scf.parallel, then OpenMP work-sharing.
  if (options.openmp && options.tileSize <= 0)
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  else
    pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createCanonicalizerPass());
  // The n-D transfers of the register tiles to 1-D ones (after the last
  // canonicalization on vectors, which would split their rows into scalars).
  if (options.tileContractions) {
    VectorTransferToSCFOptions transferOptions;
    transferOptions.enableFullUnroll();
    pm.addNestedPass<func::FuncOp>(
        createConvertVectorToSCFPass(transferOptions));
  }
  // erf/tanh/exp as polynomials, which LLVM vectorizes with the loop.
  // x86vector ops (AVX-512) only where this host runs them: the pipeline
  // compiles for the host (`clang -march=native`).
  bool x86Host = llvm::Triple(llvm::sys::getProcessTriple()).isX86();
  bool avx512 = options.hostAVX512 && x86Host &&
                llvm::sys::getHostCPUFeatures().lookup("avx512f");
  if (options.approximateMath) {
    NormApproximateMathPassOptions mathOptions;
    mathOptions.avx512 = avx512;
    pm.addNestedPass<func::FuncOp>(createNormApproximateMathPass(mathOptions));
  }
  if (options.nontemporalStores) {
    NormNontemporalStoresPassOptions storeOptions;
    storeOptions.alignedVersions = options.alignedStores;
    pm.addNestedPass<func::FuncOp>(
        createNormNontemporalStoresPass(storeOptions));
    // The next row tile read while an activation's arithmetic runs.
    if (options.prefetchNextTile)
      pm.addNestedPass<func::FuncOp>(createNormPrefetchNextRowTilePass());
  }
  // Per-channel parameters loaded once per loop rather than per vector
  // (before the OpenMP outlining hides where their buffers come from).
  pm.addNestedPass<func::FuncOp>(createNormHoistInvariantLoadsPass());
  if (options.openmp) {
    pm.addPass(createConvertSCFToOpenMPPass());
    // Each row tile is now an allocation scope: its small buffers of
    // run-time size (per-channel parameters with the channels dynamic) on
    // the stack rather than a malloc/free pair per tile.
    pm.addNestedPass<func::FuncOp>(createNormPromoteScopedBuffersToStackPass());
  }

  if (options.recoverableChecks)
    pm.addPass(createNormRecoverableChecksPass());

  // LLVM dialect. Memref lowering must precede scf-to-cf: OpenMP bodies sit
  // in memref.alloca_scope. lower-affine must follow expand-strided-metadata.
  // Upstream's expand-strided-metadata crashes on an expansion into two
  // dynamic sizes ([? * ?, D] rows of a norm back to [?, ?, D]).
  pm.addNestedPass<func::FuncOp>(createNormExpandShapeToReinterpretCastPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // aligned_alloc rather than malloc with its result rounded up by integer
  // arithmetic: LLVM then knows that a buffer allocated inside a loop body
  // (the private accumulators of norm-tile-and-fuse-rows' statistics tiles)
  // aliases nothing else, keeps it in registers and vectorizes the loop.
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  pm.addPass(createSCFToControlFlowPass());
  // Math ops with an LLVM intrinsic first, libm calls for the rest (erf,
  // tanh, ...), which LLVM has no intrinsic for.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // Vector ops (broadcasts, 1-D loads/stores) need the patterns of the
  // dedicated pass; convert-to-llvm has only the dialect interface's.
  // The register tiles' vector.contracts become one vector.fma per row of
  // accumulators (outer products).
  if (options.nontemporalStores || options.tileContractions || avx512) {
    ConvertVectorToLLVMPassOptions vectorOptions;
    vectorOptions.x86Vector = avx512;
    vectorOptions.vectorContractLowering =
        vector::VectorContractLowering::OuterProduct;
    // The merges of split row reductions (norm-vectorize-row-outputs) as
    // trees of vector adds rather than one ordered chain of scalar adds.
    vectorOptions.reassociateFPReductions = options.fastMath;
    pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  }
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  // X86 would store bf16 outputs with plain stores despite the flag.
  if (options.nontemporalStores && x86Host)
    pm.addPass(createNormX86BF16NontemporalStoresPass());
}

void mlir::norm::registerNormPipelines() {
  PassPipelineRegistration<NormCPUPipelineOptions>(
      "norm-lower-to-cpu",
      "Lower linalg on tensors (and the norm dialect) to the LLVM dialect for "
      "the host CPU, with OpenMP row parallelism",
      buildNormLowerToCPUPipeline);
  PassPipelineRegistration<>(
      "norm-shard-partition",
      "Partition a module written in the global view of the shard dialect "
      "into the part of one process (the first stage of "
      "norm-lower-to-cpu{mpi=1})",
      buildNormShardPartitionPipeline);
}
