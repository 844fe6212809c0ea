//===- norm-plugin.cpp - The norm dialect as an mlir-opt plugin -----------===//
//
// Part of norm-mlir. A shared library that Debian's `mlir-opt` loads with
// `--load-dialect-plugin` (the norm dialect and the dialects its passes
// create) and `--load-pass-plugin` (every norm pass and pipeline; they are
// then available in `--pass-pipeline`, not as command-line flags).
//
//===----------------------------------------------------------------------===//

#include "norm/Config.h"
#include "norm/InitAllNorm.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

/// Entry point of the dialect plugin: adds the norm dialect (and the dialects
/// its passes create) to the host tool's registry.
extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "NormDialectPlugin", NORM_VERSION,
          [](DialectRegistry *registry) {
            norm::registerAllNormDialects(*registry);
          }};
}

/// Entry point of the pass plugin: registers every norm pass and pipeline
/// with the host tool's global pass registry.
extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "NormPassPlugin", NORM_VERSION,
          []() { norm::registerAllNormPasses(); }};
}
