//===- ChannelNormToGPU.h - GroupNorm/BatchNorm GPU kernels -----*- C++ -*-===//
//
// Part of norm-mlir. Private to lib/Conversion/NormToGPU: the split-reduction
// kernels of norm.group_norm, norm.batch_norm_{inference,training} and
// norm.inplace_abn.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_CONVERSION_NORMTOGPU_CHANNELNORMTOGPU_H
#define NORM_LIB_CONVERSION_NORMTOGPU_CHANNELNORMTOGPU_H

#include "norm/Conversion/NormToGPU/NormToGPU.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class Operation;
namespace norm {

/// Whether `op` is one of the ops the channel kernels handle (group_norm,
/// batch_norm_inference, batch_norm_training, inplace_abn).
bool isChannelNormOp(Operation *op);

/// Checks that `op` (see isChannelNormOp) can become GPU kernels; sets
/// `reason` and fails otherwise.
LogicalResult checkChannelNormToGPU(Operation *op,
                                    const NormToGPUOptions &options,
                                    std::string &reason);

/// Adds the patterns that rewrite group_norm, batch_norm_* and inplace_abn into
/// split-reduction gpu.launch kernels.
void populateChannelNormToGPUPatterns(RewritePatternSet &patterns,
                                      const NormToGPUOptions &options);

} // namespace norm
} // namespace mlir

#endif // NORM_LIB_CONVERSION_NORMTOGPU_CHANNELNORMTOGPU_H
