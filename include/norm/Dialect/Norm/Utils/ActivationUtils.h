//===- ActivationUtils.h - Scalar activations for payloads ------*- C++ -*-===//
//
// Part of norm-mlir. Emits the activation of a normalization on one scalar,
// with arith and math operations, so that every lowering (linalg payloads,
// GPU kernels) computes the same function.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_UTILS_ACTIVATIONUTILS_H
#define NORM_DIALECT_NORM_UTILS_ACTIVATIONUTILS_H

#include "norm/Dialect/Norm/IR/NormAttrs.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Value.h"

namespace mlir::norm {

/// Returns `act(x)` for a scalar float `x`, built with arith and math
/// operations in the type of `x`. A null `act` or `none` returns `x`.
///
///   relu        max(x, 0)
///   leaky_relu  x > 0 ? x : alpha * x
///   elu         x > 0 ? x : alpha * (exp(x) - 1)
///   gelu        0.5 * x * (1 + erf(x / sqrt(2)))
///   gelu_tanh   0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
///   silu        x * sigmoid(x)
///   sigmoid     1 / (1 + exp(-x))
///   tanh        tanh(x)
Value buildActivation(OpBuilder &b, Location loc, Value x, ActivationAttr act);

} // namespace mlir::norm

#endif // NORM_DIALECT_NORM_UTILS_ACTIVATIONUTILS_H
