//===- DataNormToGPU.h - Data normalization GPU kernels ---------*- C++ -*-===//
//
// Part of norm-mlir. Private to lib/Conversion/NormToGPU: the elementwise
// kernels of norm.moments, norm.min_max, norm.standardize,
// norm.min_max_scale and norm.image_normalize.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_CONVERSION_NORMTOGPU_DATANORMTOGPU_H
#define NORM_LIB_CONVERSION_NORMTOGPU_DATANORMTOGPU_H

#include "norm/Conversion/NormToGPU/NormToGPU.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class Operation;
class RewritePatternSet;
namespace norm {

/// Whether `op` is one of the data normalizations the kernels handle: the
/// fits (moments, min_max) and the applications (standardize,
/// min_max_scale, image_normalize).
bool isDataNormOp(Operation *op);

/// Checks that `op` (see isDataNormOp) can become a GPU kernel; sets
/// `reason` and fails otherwise.
LogicalResult checkDataNormToGPU(Operation *op, const NormToGPUOptions &options,
                                 std::string &reason);

/// Adds the pattern that rewrites the fits into two kernels (partials over
/// chunks, then a merge a feature) and the applications into one
/// elementwise gpu.launch.
void populateDataNormToGPUPatterns(RewritePatternSet &patterns,
                                   const NormToGPUOptions &options);

} // namespace norm
} // namespace mlir

#endif // NORM_LIB_CONVERSION_NORMTOGPU_DATANORMTOGPU_H
