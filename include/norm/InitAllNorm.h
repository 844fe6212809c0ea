//===- InitAllNorm.h - Register everything of norm-mlir ---------*- C++ -*-===//
//
// Part of norm-mlir. What a tool (norm-opt, the mlir-opt plugin, the LSP
// server, the Python extension) calls to know the norm dialect, its passes
// and its pipelines.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_INITALLNORM_H
#define NORM_INITALLNORM_H

namespace mlir {
class DialectRegistry;
namespace norm {

/// Adds the norm dialect and the dialects its passes create to `registry`.
void registerAllNormDialects(DialectRegistry &registry);

/// Registers every norm pass and pipeline with the global registry (for
/// command-line flags and textual pipelines).
void registerAllNormPasses();

/// Makes `--version` print the norm-mlir version next to LLVM's.
void setVersionPrinter();

/// The project version, e.g. "0.1.0".
const char *getVersionString();

} // namespace norm
} // namespace mlir

#endif // NORM_INITALLNORM_H
