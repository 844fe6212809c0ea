//===- ChannelGradToGPU.h - Channel-statistics backward kernels -*- C++ -*-===//
//
// Part of norm-mlir. Private to lib/Conversion/NormToGPU: the kernels of
// norm.batch_norm_grad, norm.inplace_abn_grad and norm.group_norm_grad.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_CONVERSION_NORMTOGPU_CHANNELGRADTOGPU_H
#define NORM_LIB_CONVERSION_NORMTOGPU_CHANNELGRADTOGPU_H

#include "norm/Conversion/NormToGPU/NormToGPU.h"

#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir {
class Operation;
class RewritePatternSet;
namespace norm {

/// Whether `op` is a batch_norm_grad, inplace_abn_grad or group_norm_grad.
bool isChannelGradOp(Operation *op);

/// Checks that `op` (see isChannelGradOp) can become GPU kernels; sets
/// `reason` and fails otherwise.
LogicalResult checkChannelGradToGPU(Operation *op,
                                    const NormToGPUOptions &options,
                                    std::string &reason);

/// Adds the pattern that rewrites batch_norm_grad, inplace_abn_grad and
/// group_norm_grad into column reductions (per channel; GroupNorm also per
/// set) and an elementwise grad_input kernel.
void populateChannelGradToGPUPatterns(RewritePatternSet &patterns,
                                      const NormToGPUOptions &options);

} // namespace norm
} // namespace mlir

#endif // NORM_LIB_CONVERSION_NORMTOGPU_CHANNELGRADTOGPU_H
