//===- norm-plugin.cpp - The norm dialect as an mlir-opt plugin -----------===//
//
// Part of norm-mlir. A shared library that Debian's `mlir-opt` loads with
// `--load-dialect-plugin` (the norm dialect and the dialects its passes
// create) and/or `--load-pass-plugin`. Either entry point also registers
// every norm pass and pipeline (like upstream's standalone-plugin); they are
// then available in `--pass-pipeline`, not as command-line flags.
//
//===----------------------------------------------------------------------===//

#include "norm/Config.h"
#include "norm/InitAllNorm.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

#include <mutex>

using namespace mlir;

/// Registers every norm pass and pipeline with the host tool's global pass
/// registry, once, whichever entry points the tool calls.
static void registerNormPassesOnce() {
  static std::once_flag once;
  std::call_once(once, [] { norm::registerAllNormPasses(); });
}

/// Entry point of the dialect plugin: adds the norm dialect (and the dialects
/// its passes create) to the host tool's registry, and registers the passes.
extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "NormDialectPlugin", NORM_VERSION,
          [](DialectRegistry *registry) {
            norm::registerAllNormDialects(*registry);
            registerNormPassesOnce();
          }};
}

/// Entry point of the pass plugin: registers every norm pass and pipeline.
extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "NormPassPlugin", NORM_VERSION,
          registerNormPassesOnce};
}
