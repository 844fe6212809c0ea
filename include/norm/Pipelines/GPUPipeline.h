//===- GPUPipeline.h - norm-lower-to-nvvm pipeline --------------*- C++ -*-===//
//
// Part of the norm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// `norm-lower-to-nvvm`: norm ops (destination-passing style over memrefs,
// see convert-norm-to-gpu) to gpu.launch kernels, outlined into a
// gpu.module, lowered to NVVM, serialized by gpu-module-to-binary (PTX, or a
// cubin through ptxas), and host code in the LLVM dialect that calls the
// `mgpu*` runtime functions (lib/Runtime/CUDA):
//
//   convert-norm-to-gpu -> gpu-kernel-outlining -> nvvm-attach-target
//   -> (host + device) to LLVM -> gpu.module: convert-gpu-to-nvvm
//   -> gpu-to-llvm -> gpu-module-to-binary
//
// libdevice (math functions) and ptxas come from the CUDA toolkit, found
// through CUDA_HOME/CUDA_ROOT/CUDA_PATH or the `cuda-path` option; the
// pipeline's first pass fails with a diagnostic when they are missing.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_PIPELINES_GPUPIPELINE_H
#define NORM_PIPELINES_GPUPIPELINE_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;

namespace norm {

/// Options of the `norm-lower-to-nvvm` pipeline.
struct NormNVVMPipelineOptions
    : public PassPipelineOptions<NormNVVMPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target GPU: sm_80 (A100), sm_90a (H100/H200), ..."),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (PTX ISA version; +ptx80 or later is "
                     "needed for sm_80/sm_90a)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary format: isa (PTX text), bin (cubin, "
                     "through ptxas), fatbin, offloading (LLVM IR)"),
      llvm::cl::init("bin")};
  PassOptions::Option<int64_t> indexBitwidth{
      *this, "index-bitwidth",
      llvm::cl::desc("Bitwidth of the index type in kernels (32 or 64; the "
                     "host uses 64)"),
      llvm::cl::init(64)};
  PassOptions::Option<int64_t> optLevel{
      *this, "opt-level",
      llvm::cl::desc("LLVM optimization level of the kernels"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> cudaPath{
      *this, "cuda-path",
      llvm::cl::desc("CUDA toolkit (ptxas, nvvm/libdevice); default: "
                     "$CUDA_HOME, $CUDA_ROOT, $CUDA_PATH, else "
                     "/usr/local/cuda"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> ptxasOptions{
      *this, "ptxas-options",
      llvm::cl::desc("Extra ptxas command-line options (e.g. -v)"),
      llvm::cl::init("")};
  PassOptions::Option<int64_t> warpRowLimit{
      *this, "warp-row-limit",
      llvm::cl::desc("convert-norm-to-gpu: longest row handled by a warp"),
      llvm::cl::init(1024)};
  PassOptions::Option<int64_t> numSMs{
      *this, "num-sms",
      llvm::cl::desc("convert-norm-to-gpu: SMs the GroupNorm/BatchNorm grids, "
                     "the column reductions and the fused backward's "
                     "persistent grid fill"),
      llvm::cl::init(132)};
  PassOptions::Option<int64_t> blocksPerSM{
      *this, "blocks-per-sm",
      llvm::cl::desc("convert-norm-to-gpu: blocks per SM the GroupNorm/"
                     "BatchNorm NCHW grids aim for"),
      llvm::cl::init(8)};
  PassOptions::Option<int64_t> columnBlocksPerSM{
      *this, "column-blocks-per-sm",
      llvm::cl::desc("convert-norm-to-gpu: blocks per SM the BatchNorm NHWC "
                     "grids aim for"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> channelBlockSize{
      *this, "channel-block-size",
      llvm::cl::desc("convert-norm-to-gpu: threads per GroupNorm/BatchNorm "
                     "block"),
      llvm::cl::init(256)};
  PassOptions::Option<int64_t> channelUnroll{
      *this, "channel-unroll",
      llvm::cl::desc("convert-norm-to-gpu: vectors a GroupNorm/BatchNorm "
                     "thread loads before using them"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> clusterSize{
      *this, "cluster-size",
      llvm::cl::desc("convert-norm-to-gpu: most blocks of the thread-block "
                     "cluster a single-pass GroupNorm/BatchNorm set may span "
                     "(used as 1 for chips below sm_90)"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> stageInShared{
      *this, "stage-in-shared",
      llvm::cl::desc("convert-norm-to-gpu: the single-pass GroupNorm/"
                     "BatchNorm kernel stages its chunk in shared memory "
                     "(cp.async) instead of registers"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuseParameterGradients{
      *this, "fuse-parameter-gradients",
      llvm::cl::desc("convert-norm-to-gpu: layer_norm_grad / rms_norm_grad "
                     "sum grad_weight and grad_bias in the grad_input kernel "
                     "(x and dy read once)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> residentSets{
      *this, "resident-sets",
      llvm::cl::desc("convert-norm-to-gpu: one block a GroupNorm/BatchNorm "
                     "set, the whole grid resident at once, when there are "
                     "at least num-sms sets and they fit (the chip's shared "
                     "memory per SM)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> streamingStores{
      *this, "streaming-stores",
      llvm::cl::desc("convert-norm-to-gpu: the normalize kernel of the "
                     "two-kernel GroupNorm/BatchNorm forms and the grad_input "
                     "kernel of their backward store their output with st.cs "
                     "(evict-first), keeping in L2 the inputs they re-read"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> approximateFunctions{
      *this, "approximate-functions",
      llvm::cl::desc("norm-approximate-functions on the kernels: exp and "
                     "f32 division as ex2/rcp/div.approx (a few ulp)"),
      llvm::cl::init(true)};
};

/// Adds the passes of `norm-lower-to-nvvm` to `pm` (a module pass manager).
void buildNormLowerToNVVMPipeline(OpPassManager &pm,
                                  const NormNVVMPipelineOptions &options);

/// The kernel stage of norm-lower-to-nvvm (convert-norm-to-gpu with the
/// chip's limits, outlining, occupancy hints), registered on its own as
/// norm-gpu-kernels.
void buildNormGPUKernelsPipeline(OpPassManager &pm,
                                 const NormNVVMPipelineOptions &options);

/// Registers `norm-lower-to-nvvm` and `norm-gpu-kernels`.
void registerNormGPUPipelines();

} // namespace norm
} // namespace mlir

#endif // NORM_PIPELINES_GPUPIPELINE_H
