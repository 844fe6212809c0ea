//===- GPUPipeline.cpp - norm-lower-to-nvvm pipeline ----------------------===//
//
// Part of the norm-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Modeled on upstream's GPUToNVVMPipeline.cpp: a build function with options
// and a PassPipelineRegistration. See GPUPipeline.h.
//
//===----------------------------------------------------------------------===//

#include "norm/Pipelines/GPUPipeline.h"
#include "norm/Conversion/Passes.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::norm;

//===----------------------------------------------------------------------===//
// Chip properties
//===----------------------------------------------------------------------===//

/// The compute capability of `chip` ("sm_90a" -> 90), or 0 when it does not
/// name one.
static unsigned getComputeCapability(StringRef chip) {
  unsigned cc = 0;
  if (!chip.consume_front("sm_"))
    return 0;
  chip = chip.take_while(llvm::isDigit);
  return chip.getAsInteger(10, cc) ? 0 : cc;
}

/// KiB of shared memory an SM of `chip` has (CUDA C++ Programming Guide,
/// "Technical Specifications per Compute Capability"); 100 for chips it does
/// not know.
static int64_t getSharedMemoryPerSM(StringRef chip) {
  switch (getComputeCapability(chip)) {
  case 50:
  case 53:
  case 60:
  case 62:
  case 75:
    return 64;
  case 52:
  case 61:
  case 70:
  case 72:
    return 96;
  case 80:
  case 87:
    return 164;
  case 90:
  case 100:
  case 103:
    return 228;
  default:
    return 100;
  }
}

/// Threads an SM of `chip` runs at once (the same table): 1024 for sm_75,
/// 1536 for sm_86, sm_89 and sm_120, else 2048.
static int64_t getThreadsPerSM(StringRef chip) {
  switch (getComputeCapability(chip)) {
  case 75:
    return 1024;
  case 86:
  case 89:
  case 120:
  case 121:
    return 1536;
  default:
    return 2048;
  }
}

//===----------------------------------------------------------------------===//
// norm-lower-to-nvvm
//===----------------------------------------------------------------------===//

void mlir::norm::buildNormGPUKernelsPipeline(
    OpPassManager &pm, const NormNVVMPipelineOptions &options) {
  // Norm ops to gpu.launch kernels, outlined into a gpu.module.
  ConvertNormToGPUPassOptions normToGPU;
  normToGPU.warpRowLimit = options.warpRowLimit;
  normToGPU.numSMs = options.numSMs;
  normToGPU.blocksPerSM = options.blocksPerSM;
  normToGPU.columnBlocksPerSM = options.columnBlocksPerSM;
  normToGPU.channelBlockSize = options.channelBlockSize;
  normToGPU.channelUnroll = options.channelUnroll;
  // Thread-block clusters (and their barriers) exist from sm_90 on; below,
  // only sets of one block take the single-pass kernel.
  normToGPU.clusterSize = getComputeCapability(options.chip) >= 90
                              ? options.clusterSize.getValue()
                              : std::min<int64_t>(options.clusterSize, 1);
  // cp.async (the single-pass and resident kernels' staging) exists from
  // sm_80 on; below, those kernels keep their vectors in registers. So do
  // they with 32-bit indices: convert-nvgpu-to-nvvm has no index-bitwidth
  // and would give cp.async 64-bit memref descriptors.
  normToGPU.stageInShared = options.stageInShared &&
                            getComputeCapability(options.chip) >= 80 &&
                            options.indexBitwidth == 64;
  normToGPU.indexBitwidth = options.indexBitwidth;
  normToGPU.residentSets = options.residentSets;
  normToGPU.fuseParameterGradients = options.fuseParameterGradients;
  normToGPU.streamingStores = options.streamingStores;
  normToGPU.sharedMemoryPerSM = getSharedMemoryPerSM(options.chip);
  normToGPU.threadsPerSM = getThreadsPerSM(options.chip);
  // Dynamic operand sizes each norm op ties together (a residual's row
  // count), checked on the host before the launch.
  pm.addNestedPass<func::FuncOp>(createNormCheckOperandSizesPass());
  pm.addPass(createConvertNormToGPUPass(normToGPU));
  // Outline before canonicalizing: constants hoisted out of the launch would
  // become kernel arguments instead of immediates.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createNormAlignWorkgroupBuffersPass());
  // Kernels sized around dynamic shared memory get the registers that
  // occupancy leaves them (nvvm.minctasm).
  NormMinBlocksPerSMPassOptions occupancy;
  occupancy.sharedMemoryPerSM = normToGPU.sharedMemoryPerSM;
  occupancy.threadsPerSM = normToGPU.threadsPerSM;
  pm.addPass(createNormMinBlocksPerSMPass(occupancy));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::norm::buildNormLowerToNVVMPipeline(
    OpPassManager &pm, const NormNVVMPipelineOptions &options) {
  std::string cudaPath = resolveCudaToolkitPath(options.cudaPath);
  NormCheckCudaToolkitPassOptions toolkit;
  toolkit.cudaPath = cudaPath;
  toolkit.format = options.format;
  toolkit.checkTarget = true;
  toolkit.chip = options.chip;
  toolkit.features = options.features;
  toolkit.indexBitwidth = options.indexBitwidth;
  pm.addPass(createNormCheckCudaToolkitPass(toolkit));
  buildNormGPUKernelsPipeline(pm, options);

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  target.cmdOptions = options.ptxasOptions;
  pm.addPass(createGpuNVVMAttachTarget(target));

  // Host and device: structured control flow and memref metadata first.
  pm.addPass(createSCFToControlFlowPass());
  // Upstream expand-strided-metadata crashes on an expand_shape with two
  // dynamic sizes in a group; those become reinterpret_casts first.
  pm.addNestedPass<func::FuncOp>(createNormExpandShapeToReinterpretCastPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());

  // Device: gpu, vector, arith, math (libdevice), memref to NVVM, all in one
  // conversion (one index bitwidth for the kernel arguments and the body).
  ConvertGpuOpsToNVVMOpsOptions gpuToNVVM;
  gpuToNVVM.indexBitwidth = options.indexBitwidth;
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  if (options.approximateFunctions)
    device.addPass(createNormApproximateFunctionsPass());
  // cp.async (the single-pass kernels' staging) first: its memref operands
  // are still memrefs.
  device.addPass(createConvertNVGPUToNVVMPass());
  device.addPass(createConvertGpuOpsToNVVMOps(gpuToNVVM));
  device.addPass(createNormExternDynamicSharedMemoryPass());
  // Non-temporal stores (streaming-stores) as st.cs: NVPTX drops the hint.
  device.addPass(createNormNVVMStreamingStoresPass());
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());

  // Host: gpu.launch_func to mgpu* calls, the rest to the LLVM dialect.
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createGpuToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());

  // Serialize the kernels: PTX, or a cubin through ptxas.
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = cudaPath;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::norm::registerNormGPUPipelines() {
  PassPipelineRegistration<NormNVVMPipelineOptions>(
      "norm-lower-to-nvvm",
      "Lower norm ops (destination-passing style over memrefs) to NVVM "
      "kernels serialized by gpu-module-to-binary, and host code in the LLVM "
      "dialect calling the mgpu* CUDA runtime functions",
      buildNormLowerToNVVMPipeline);
  PassPipelineRegistration<NormNVVMPipelineOptions>(
      "norm-gpu-kernels",
      "The first stage of norm-lower-to-nvvm: norm ops to gpu.func kernels "
      "in a gpu.module and gpu.launch_func host code, as that pipeline "
      "makes them for `chip` (format, cuda-path, features, index-bitwidth, "
      "opt-level, ptxas-options and approximate-functions apply to the "
      "later stages only). For reading and interpreting the kernels "
      "(test/Integration/GPU/simt_interpreter.py)",
      buildNormGPUKernelsPipeline);
}
