//===- Passes.h - Codegen transforms of norm-mlir ---------------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Passes that the lowering pipelines need on top of upstream MLIR and that
// are not specific to the norm dialect. See Passes.td for what each does.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_TRANSFORMS_PASSES_H
#define NORM_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"

#include <string>

namespace mlir::norm {

/// Name of the function attribute that `norm-drop-tied-buffer-results`
/// writes: per original function result, the index of the argument it was
/// tied to (-1: still returned).
inline constexpr llvm::StringLiteral kTiedResultsAttrName = "norm.tied_results";

/// Name of the function attribute that `norm-drop-tied-buffer-results`
/// writes next to kTiedResultsAttrName: per original function result,
/// whether the function may write the argument it is tied to (false for a
/// result still returned, and for an argument it only reads, such as an
/// input returned through reshapes).
inline constexpr llvm::StringLiteral kTiedResultsWrittenAttrName =
    "norm.tied_results_written";

/// The CUDA toolkit directory that norm-check-cuda-toolkit and
/// norm-lower-to-nvvm use: `explicitPath`, else the first of $CUDA_ROOT,
/// $CUDA_HOME, $CUDA_PATH that is set, else /usr/local/cuda.
std::string resolveCudaToolkitPath(llvm::StringRef explicitPath);

#define GEN_PASS_DECL
#include "norm/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "norm/Transforms/Passes.h.inc"

} // namespace mlir::norm

#endif // NORM_TRANSFORMS_PASSES_H
