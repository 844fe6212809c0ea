//===- norm-fuzz.cpp - libFuzzer target for the norm-mlir passes ----------===//
//
// Part of norm-mlir. Feeds arbitrary bytes through parse -> verify -> one of a
// fixed set of norm passes and pipelines, in-process. Built only with
// -DNORM_BUILD_FUZZER=ON (clang, -fsanitize=fuzzer,address,undefined); run it
// with scripts/fuzz.sh. See docs/reliability.md.
//
// Input format: if the first byte is >= 0x80 it selects the pass set (modulo
// the number of sets) and the rest is the MLIR text; otherwise the whole input
// is the MLIR text and every pass set runs, each on its own clone. Parse,
// verification and pass failures are expected and ignored: only crashes and
// sanitizer reports are findings.
//
//===----------------------------------------------------------------------===//

#include "norm/InitAllNorm.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace mlir;

/// The pass sets the selector byte chooses from, as textual pipelines nested
/// in `builtin.module`.
static const char *const kPassSets[] = {
    "convert-norm-to-linalg",
    "norm-fuse-activation",
    "norm-fuse-residual",
    "norm-fuse-bias",
    "norm-raise",
    "norm-lint",
    "norm-check-leakage{warn-only=true}",
    "canonicalize",
    "norm-lower-to-cpu",
    "norm-decompose-aggregates",
    "norm-fold-into-linear",
    "norm-flash-norm",
    "norm-fuse-activation,norm-fuse-residual,norm-fuse-bias,canonicalize,"
    "convert-norm-to-linalg,canonicalize",
};
static constexpr size_t kNumPassSets = std::size(kPassSets);

/// The registry shared by every input (dialects load lazily per context).
static DialectRegistry &getRegistry() {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    registerAllDialects(*r);
    registerAllExtensions(*r);
    registerAllToLLVMIRTranslations(*r);
    norm::registerAllNormDialects(*r);
    return r;
  }();
  return *registry;
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  registerAllPasses();
  norm::registerAllNormPasses();
  (void)getRegistry();
  // Parse every pass set once: a typo here is a harness bug, not a finding.
  MLIRContext context(getRegistry());
  for (const char *set : kPassSets) {
    PassManager pm(&context);
    std::string pipeline = std::string("builtin.module(") + set + ")";
    if (failed(parsePassPipeline(pipeline, pm, llvm::errs()))) {
      llvm::errs() << "norm-fuzz: bad pass set '" << set << "'\n";
      std::abort();
    }
  }
  return 0;
}

/// Runs pass set `index` on a clone of `module`; failures are ignored.
static void runPassSet(MLIRContext &context, ModuleOp module, size_t index) {
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(&context);
  std::string pipeline =
      std::string("builtin.module(") + kPassSets[index] + ")";
  if (failed(parsePassPipeline(pipeline, pm, llvm::nulls())))
    std::abort();
  (void)pm.run(*clone);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int selected = -1;
  if (size > 0 && data[0] >= 0x80) {
    selected = static_cast<int>((data[0] - 0x80) % kNumPassSets);
    ++data;
    --size;
  }

  MLIRContext context(getRegistry());
  context.disableMultithreading();
  context.allowUnregisteredDialects(false);
  // Swallow every diagnostic: parse, verifier and pass errors are expected.
  ScopedDiagnosticHandler swallow(&context,
                                  [](Diagnostic &) { return success(); });

  // The MLIR lexer relies on a NUL after the buffer, like a file read by
  // MemoryBuffer; libFuzzer's bytes have none, so copy them. Upstream's lexer
  // also lexes on past that NUL after an unterminated string at the end of a
  // resource section (docs/reliability.md), skipping NULs until some other
  // byte; in the tools that is whatever heap memory follows the file. Put a
  // non-NUL byte there so the harness does not run off its own allocation.
  constexpr size_t kPadding = 16;
  std::string storage(size + kPadding, '\x01');
  std::memcpy(storage.data(), data, size);
  storage[size] = '\0';
  llvm::StringRef text(storage.data(), size);
  ParserConfig config(&context, /*verifyAfterParse=*/true);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module)
    return 0;

  if (selected >= 0) {
    runPassSet(context, *module, selected);
    return 0;
  }
  for (size_t i = 0; i < kNumPassSets; ++i)
    runPassSet(context, *module, i);
  return 0;
}
