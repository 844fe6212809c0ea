//===- DataNormToGPU.h - Data normalization GPU kernels ---------*- C++ -*-===//
//
// Part of norm-mlir. Private to lib/Conversion/NormToGPU: the elementwise
// kernels of norm.standardize, norm.min_max_scale and norm.image_normalize.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_CONVERSION_NORMTOGPU_DATANORMTOGPU_H
#define NORM_LIB_CONVERSION_NORMTOGPU_DATANORMTOGPU_H

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class Operation;
class RewritePatternSet;
namespace norm {

/// Whether `op` is one of the ops the data normalization kernel handles
/// (standardize, min_max_scale, image_normalize).
bool isDataNormOp(Operation *op);

/// Checks that `op` (see isDataNormOp) can become a GPU kernel; sets
/// `reason` and fails otherwise.
LogicalResult checkDataNormToGPU(Operation *op, std::string &reason);

/// Adds the pattern that rewrites standardize, min_max_scale and
/// image_normalize into an elementwise gpu.launch.
void populateDataNormToGPUPatterns(RewritePatternSet &patterns);

} // namespace norm
} // namespace mlir

#endif // NORM_LIB_CONVERSION_NORMTOGPU_DATANORMTOGPU_H
