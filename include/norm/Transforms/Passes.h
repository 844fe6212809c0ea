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

/// Name of the function attribute that `norm-record-result-destinations`
/// writes and `norm-drop-tied-buffer-results` takes away: per result of a
/// public function, the argument it is computed in as written (the init of
/// destination-style ops), or -1.
inline constexpr llvm::StringLiteral kResultDestinationsAttrName =
    "norm.result_destinations";

/// Name of the argument attribute that `norm-mark-read-only-arguments`
/// puts on the tensor arguments of public functions that a returned value
/// may alias, and that `norm-copy-written-inputs` takes away: after
/// bufferization, such an argument that no result is tied to is an input,
/// and the function must not write it.
inline constexpr llvm::StringLiteral kMayBeTiedAttrName = "norm.may_be_tied";

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
