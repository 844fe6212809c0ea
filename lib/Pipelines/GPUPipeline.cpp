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
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>
#include <optional>

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

/// The lowest PTX ISA version (major * 10 + minor) that LLVM 22's NVPTX
/// backend accepts for `chip`, or std::nullopt for a chip it does not know.
/// A lower `+ptxNN` feature is an LLVM fatal error (abort) at code
/// generation, not a diagnostic, so the pipeline checks it first. Measured
/// with LLVM 22.1 (`llc` message "Minimum required PTX version is ...").
static std::optional<unsigned> getMinPTXVersion(StringRef chip) {
  return llvm::StringSwitch<std::optional<unsigned>>(chip)
      .Cases({"sm_20", "sm_21", "sm_30", "sm_35"}, 32)
      .Cases({"sm_32", "sm_50"}, 40)
      .Cases({"sm_37", "sm_52"}, 41)
      .Case("sm_53", 42)
      .Cases({"sm_60", "sm_61", "sm_62"}, 50)
      .Case("sm_70", 60)
      .Case("sm_72", 61)
      .Case("sm_75", 63)
      .Case("sm_80", 70)
      .Case("sm_86", 71)
      .Case("sm_87", 74)
      .Cases({"sm_89", "sm_90"}, 78)
      .Case("sm_90a", 80)
      .Cases({"sm_100", "sm_100a", "sm_101", "sm_101a"}, 86)
      .Cases({"sm_120", "sm_120a"}, 87)
      .Cases({"sm_100f", "sm_101f", "sm_103", "sm_103a", "sm_103f", "sm_120f",
              "sm_121", "sm_121a", "sm_121f"},
             88)
      .Cases({"sm_88", "sm_110", "sm_110a", "sm_110f"}, 90)
      .Default(std::nullopt);
}

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

/// Threads an SM of `chip` runs at once (the same table): 1536 for sm_86,
/// sm_89 and sm_120, else 2048.
static int64_t getThreadsPerSM(StringRef chip) {
  switch (getComputeCapability(chip)) {
  case 86:
  case 89:
  case 120:
  case 121:
    return 1536;
  default:
    return 2048;
  }
}

/// The PTX ISA version a feature string selects (the last `+ptxNN`), or
/// std::nullopt when it names none (LLVM then uses the chip's minimum).
static std::optional<unsigned> getFeaturePTXVersion(StringRef features) {
  std::optional<unsigned> version;
  SmallVector<StringRef> parts;
  features.split(parts, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    StringRef flag = part.trim();
    unsigned value;
    if (flag.consume_front("+ptx") && !flag.getAsInteger(10, value))
      version = value;
  }
  return version;
}

/// Whether gpu-module-to-binary accepts `format` (it reports an unknown one
/// but does not fail).
static bool isKnownBinaryFormat(StringRef format) {
  return llvm::is_contained({"offloading", "llvm", "assembly", "isa", "binary",
                             "bin", "fatbinary", "fatbin"},
                            format);
}

namespace {

/// Fails with a diagnostic when the CUDA toolkit pieces the rest of the
/// pipeline needs are missing: libdevice (math functions in kernels) always,
/// ptxas for cubins, fatbinary for fat binaries. Also checks the target
/// options that would otherwise abort (an LLVM fatal error) or be ignored
/// further down: an unknown binary format, a chip that LLVM's NVPTX backend
/// does not know, a PTX ISA version lower than the chip needs, an index
/// bitwidth other than 32 or 64. Changes nothing.
struct CheckCudaToolkitPass
    : PassWrapper<CheckCudaToolkitPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(CheckCudaToolkitPass)

  CheckCudaToolkitPass() = default;
  CheckCudaToolkitPass(const CheckCudaToolkitPass &other)
      : PassWrapper(other) {}
  CheckCudaToolkitPass(StringRef path, StringRef format, StringRef chip,
                       StringRef features, int64_t indexBitwidth) {
    cudaPath = path.str();
    this->format = format.str();
    this->chip = chip.str();
    this->features = features.str();
    this->indexBitwidth = indexBitwidth;
  }

  StringRef getArgument() const final { return "norm-check-cuda-toolkit"; }
  StringRef getDescription() const final {
    return "Check that the CUDA toolkit (libdevice, ptxas) needed to "
           "serialize GPU kernels is present";
  }

  /// Reports the first target option the pipeline cannot honour.
  LogicalResult checkTargetOptions() {
    ModuleOp module = getOperation();
    if (!isKnownBinaryFormat(format))
      return module.emitError()
             << "unknown kernel binary format '" << format
             << "'; expected isa, bin, fatbin or offloading (or assembly, "
                "binary, fatbinary, llvm)";
    if (indexBitwidth != 32 && indexBitwidth != 64)
      return module.emitError() << "index-bitwidth must be 32 or 64, not "
                                << indexBitwidth.getValue();
    std::optional<unsigned> minPTX = getMinPTXVersion(chip);
    if (!minPTX)
      return module.emitError()
             << "unknown GPU chip '" << chip
             << "'; expected an NVPTX processor such as sm_80 or sm_90a";
    std::optional<unsigned> ptx = getFeaturePTXVersion(features);
    if (ptx && *ptx < *minPTX)
      return module.emitError()
             << "chip '" << chip << "' needs PTX ISA " << *minPTX / 10 << "."
             << *minPTX % 10 << " or later, but features '" << features
             << "' select " << *ptx / 10 << "." << *ptx % 10 << " (use +ptx"
             << *minPTX << " or later)";
    return success();
  }

  void runOnOperation() override {
    if (!chip.empty() && failed(checkTargetOptions()))
      return signalPassFailure();
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
    if (format == "bin" || format == "binary" || format == "fatbin" ||
        format == "fatbinary")
      tools.push_back("ptxas");
    if (format == "fatbin" || format == "fatbinary")
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
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("Target GPU, checked against features (empty: skip the "
                     "target checks)"),
      llvm::cl::init("")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("PTX features (+ptxNN)"),
                               llvm::cl::init("")};
  Option<int64_t> indexBitwidth{*this, "index-bitwidth",
                                llvm::cl::desc("Kernel index bitwidth"),
                                llvm::cl::init(64)};
};

} // namespace

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
  normToGPU.stageInShared = options.stageInShared;
  normToGPU.residentSets = options.residentSets;
  normToGPU.fuseParameterGradients = options.fuseParameterGradients;
  normToGPU.streamingStores = options.streamingStores;
  normToGPU.sharedMemoryPerSM = getSharedMemoryPerSM(options.chip);
  normToGPU.threadsPerSM = getThreadsPerSM(options.chip);
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
  std::string cudaPath = resolveCudaPath(options.cudaPath);
  pm.addPass(std::make_unique<CheckCudaToolkitPass>(
      cudaPath, options.format.getValue(), options.chip.getValue(),
      options.features.getValue(), options.indexBitwidth));
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
  PassRegistration<CheckCudaToolkitPass>();
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
