//===- SpectralNormToGPU.h - Spectral normalization kernels -----*- C++ -*-===//
//
// Part of norm-mlir. Private to lib/Conversion/NormToGPU: the kernels of
// norm.spectral_norm.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_CONVERSION_NORMTOGPU_SPECTRALNORMTOGPU_H
#define NORM_LIB_CONVERSION_NORMTOGPU_SPECTRALNORMTOGPU_H

#include "norm/Conversion/NormToGPU/NormToGPU.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class Operation;
class RewritePatternSet;
namespace norm {

/// Checks that `op` (a norm.spectral_norm) can become GPU kernels; sets
/// `reason` and fails otherwise.
LogicalResult checkSpectralNormToGPU(Operation *op,
                                     const NormToGPUOptions &options,
                                     std::string &reason);

/// Adds the pattern that rewrites spectral_norm into power-iteration column
/// reductions and an elementwise kernel.
void populateSpectralNormToGPUPatterns(RewritePatternSet &patterns,
                                       const NormToGPUOptions &options);

} // namespace norm
} // namespace mlir

#endif // NORM_LIB_CONVERSION_NORMTOGPU_SPECTRALNORMTOGPU_H
