//===- FusionUtils.h - Helpers shared by the fusion passes ------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_FUSIONUTILS_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_FUSIONUTILS_H

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <optional>

namespace mlir::norm {

/// The activation normalizations: ops with an `activation` attribute.
inline bool isActivationNormalization(Operation *op) {
  return isa<LayerNormOp, RMSNormOp, BatchNormInferenceOp,
             BatchNormTrainingOp, InplaceABNOp, GroupNormOp>(op);
}

/// Whether `op` is an all-parallel linalg op on tensors with one result
/// (and, when `identityMaps`, only identity indexing maps).
bool isElementwiseLinalg(linalg::LinalgOp op, bool identityMaps = true);

/// The scalar function of `variables` that the elementwise op `op` computes,
/// when every other operand is a splat constant (and a linalg init is not
/// read). `variables` are operand values of `op`; the function takes one
/// double per variable, in order. Null when `op` computes something else or
/// something unknown.
/// With `identityMaps` false, linalg operands may be broadcast (the caller
/// checks the maps).
std::function<std::optional<double>(ArrayRef<double>)>
getElementwiseFunction(Operation *op, ArrayRef<Value> variables,
                       bool identityMaps = true);

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_FUSIONUTILS_H
