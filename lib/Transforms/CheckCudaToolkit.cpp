//===- CheckCudaToolkit.cpp - The CUDA toolkit and target options ---------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-check-cuda-toolkit: the first pass of norm-lower-to-nvvm. Fails with
// a located diagnostic where the rest of the pipeline would abort (an LLVM
// fatal error for a PTX ISA version below the chip's), silently do nothing
// (gpu-module-to-binary with an unknown format) or fail deep inside
// serialization (no libdevice, no ptxas).
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKCUDATOOLKITPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

std::string mlir::norm::resolveCudaToolkitPath(StringRef explicitPath) {
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

/// Whether LLVM 22's NVPTX backend knows the PTX ISA version `version`
/// (`llc -march=nvptx64 -mattr=help`).
static bool isKnownPTXVersion(unsigned version) {
  return llvm::is_contained({32u, 40u, 41u, 42u, 43u, 50u, 60u, 61u,
                             62u, 63u, 64u, 65u, 70u, 71u, 72u, 73u,
                             74u, 75u, 76u, 77u, 78u, 80u, 81u, 82u,
                             83u, 84u, 85u, 86u, 87u, 88u, 90u},
                            version);
}

/// What a feature string means to LLVM 22's NVPTX backend.
struct PTXFeatures {
  /// The PTX ISA version selected: the highest `+ptxNN`, as LLVM takes it
  /// (none: LLVM uses the chip's minimum).
  std::optional<unsigned> version;
  /// The first feature it does not know (it only warns and ignores it); it
  /// knows `+ptxNN` / `-ptxNN` of a known version and `+sm_NN` / `-sm_NN`
  /// of a known chip.
  std::string unknown;
};

static PTXFeatures parseFeatures(StringRef features) {
  PTXFeatures result;
  SmallVector<StringRef> parts;
  features.split(parts, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  for (StringRef part : parts) {
    StringRef flag = part.trim();
    bool enable = flag.consume_front("+");
    bool hasSign = enable || flag.consume_front("-");
    unsigned version;
    if (hasSign && flag.starts_with("ptx") &&
        !flag.drop_front(3).getAsInteger(10, version) &&
        isKnownPTXVersion(version)) {
      if (enable)
        result.version = std::max(result.version.value_or(0), version);
      continue;
    }
    if (hasSign && flag.starts_with("sm_") && getMinPTXVersion(flag))
      continue;
    result.unknown = part.trim().str();
    return result;
  }
  return result;
}

/// Whether gpu-module-to-binary accepts `format` (it reports an unknown one
/// but does not fail).
static bool isKnownBinaryFormat(StringRef format) {
  return llvm::is_contained({"offloading", "llvm", "assembly", "isa", "binary",
                             "bin", "fatbinary", "fatbin"},
                            format);
}

namespace {

struct NormCheckCudaToolkitPass
    : norm::impl::NormCheckCudaToolkitPassBase<NormCheckCudaToolkitPass> {
  using Base::Base;

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
    if (chip.empty())
      return module.emitError() << "no GPU chip given; expected an NVPTX "
                                   "processor such as sm_80 or sm_90a";
    std::optional<unsigned> minPTX = getMinPTXVersion(chip);
    if (!minPTX)
      return module.emitError()
             << "unknown GPU chip '" << chip
             << "'; expected an NVPTX processor such as sm_80 or sm_90a";
    PTXFeatures parsed = parseFeatures(features);
    if (!parsed.unknown.empty())
      return module.emitError()
             << "unknown PTX feature '" << parsed.unknown
             << "'; expected +ptxNN with a PTX ISA version that LLVM 22 "
                "knows (3.2 to 9.0), e.g. +ptx80";
    std::optional<unsigned> ptx = parsed.version;
    if (ptx && *ptx < *minPTX)
      return module.emitError()
             << "chip '" << chip << "' needs PTX ISA " << *minPTX / 10 << "."
             << *minPTX % 10 << " or later, but features '" << features
             << "' select " << *ptx / 10 << "." << *ptx % 10 << " (use +ptx"
             << *minPTX << " or later)";
    return success();
  }

  void runOnOperation() override {
    if (checkTarget && failed(checkTargetOptions()))
      return signalPassFailure();
    std::string root = resolveCudaToolkitPath(cudaPath);
    SmallString<256> libdevice(root);
    llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
    if (!llvm::sys::fs::exists(libdevice)) {
      getOperation().emitError()
          << "CUDA toolkit not found: '" << libdevice
          << "' does not exist; give the toolkit directory (e.g. "
             "/usr/local/cuda) with the cuda-path option or in $CUDA_ROOT, "
             "$CUDA_HOME or $CUDA_PATH (read in that order)";
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
};

} // namespace
