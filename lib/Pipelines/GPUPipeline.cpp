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
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::norm;

//===----------------------------------------------------------------------===//
// norm-check-cuda-toolkit
//===----------------------------------------------------------------------===//

/// The CUDA toolkit to use: `explicitPath`, else the first of $CUDA_ROOT,
/// $CUDA_HOME, $CUDA_PATH (the order MLIR's NVVM target reads them), else
/// /usr/local/cuda.
static std::string resolveCudaPath(StringRef explicitPath) {
  if (!explicitPath.empty())
    return explicitPath.str();
  for (const char *var : {"CUDA_ROOT", "CUDA_HOME", "CUDA_PATH"})
    if (const char *value = std::getenv(var); value && *value)
      return value;
  return "/usr/local/cuda";
}

namespace {

/// Fails with a diagnostic when the CUDA toolkit pieces the rest of the
/// pipeline needs are missing: libdevice (math functions in kernels) always,
/// ptxas for cubins, fatbinary for fat binaries. Changes nothing.
struct CheckCudaToolkitPass
    : PassWrapper<CheckCudaToolkitPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckCudaToolkitPass)

  CheckCudaToolkitPass() = default;
  CheckCudaToolkitPass(const CheckCudaToolkitPass &other)
      : PassWrapper(other) {}
  CheckCudaToolkitPass(StringRef path, StringRef format) {
    cudaPath = path.str();
    this->format = format.str();
  }

  StringRef getArgument() const final { return "norm-check-cuda-toolkit"; }
  StringRef getDescription() const final {
    return "Check that the CUDA toolkit (libdevice, ptxas) needed to "
           "serialize GPU kernels is present";
  }

  void runOnOperation() override {
    std::string root = resolveCudaPath(cudaPath);
    SmallString<256> libdevice(root);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!llvm::sys::fs::exists(libdevice)) {
      getOperation().emitError()
          << "CUDA toolkit not found: '" << libdevice
          << "' does not exist; set CUDA_HOME (or the pipeline's cuda-path "
             "option) to the toolkit, e.g. /usr/local/cuda";
      return signalPassFailure();
    }
    SmallVector<StringRef, 2> tools;
    if (format == "bin" || format == "fatbin")
      tools.push_back("ptxas");
    if (format == "fatbin")
      tools.push_back("fatbinary");
    for (StringRef tool : tools) {
      SmallString<256> path(root);
      llvm::sys::path::append(path, "bin", tool);
      if (llvm::sys::fs::can_execute(path))
        continue;
      if (llvm::sys::findProgramByName(tool))
        continue;
      getOperation().emitError()
          << "'" << tool << "' not found in '" << root
          << "/bin' nor on PATH; it is needed for format=" << format
          << " (use format=isa for PTX only)";
      return signalPassFailure();
    }
    markAllAnalysesPreserved();
  }

  Option<std::string> cudaPath{*this, "cuda-path",
                               llvm::cl::desc("CUDA toolkit directory")};
  Option<std::string> format{*this, "format",
                             llvm::cl::desc("gpu-module-to-binary format"),
                             llvm::cl::init("bin")};
};

} // namespace

//===----------------------------------------------------------------------===//
// norm-lower-to-nvvm
//===----------------------------------------------------------------------===//

void mlir::norm::buildNormLowerToNVVMPipeline(
    OpPassManager &pm, const NormNVVMPipelineOptions &options) {
  std::string cudaPath = resolveCudaPath(options.cudaPath);
  pm.addPass(std::make_unique<CheckCudaToolkitPass>(cudaPath,
                                                    options.format.getValue()));

  // Norm ops to gpu.launch kernels, outlined into a gpu.module.
  ConvertNormToGPUPassOptions normToGPU;
  normToGPU.warpRowLimit = options.warpRowLimit;
  pm.addPass(createConvertNormToGPUPass(normToGPU));
  // Outline before canonicalizing: constants hoisted out of the launch would
  // become kernel arguments instead of immediates.
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  target.cmdOptions = options.ptxasOptions;
  pm.addPass(createGpuNVVMAttachTarget(target));

  // Host and device: structured control flow and memref metadata first.
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());

  // Device: gpu, vector, arith, math (libdevice), memref to NVVM, all in one
  // conversion (one index bitwidth for the kernel arguments and the body).
  ConvertGpuOpsToNVVMOpsOptions gpuToNVVM;
  gpuToNVVM.indexBitwidth = options.indexBitwidth;
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createConvertGpuOpsToNVVMOps(gpuToNVVM));
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
  PassRegistration<CheckCudaToolkitPass>();
  PassPipelineRegistration<NormNVVMPipelineOptions>(
      "norm-lower-to-nvvm",
      "Lower norm ops (destination-passing style over memrefs) to NVVM "
      "kernels serialized by gpu-module-to-binary, and host code in the LLVM "
      "dialect calling the mgpu* CUDA runtime functions",
      buildNormLowerToNVVMPipeline);
}
