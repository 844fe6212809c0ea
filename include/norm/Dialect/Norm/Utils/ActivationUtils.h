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
///   relu6       x > 6 ? 6 : relu(x)
///   hardsigmoid relu6 of x / 6 + 1 / 2, i.e. relu6(x + 3) / 6
///   hardswish   x * hardsigmoid(x)
///   mish        x > 20 ? x : x * n / (n + 2),  n = e^x (e^x + 2)
///               (tanh(log1p(e^x)) without a log or tanh; n of x clamped
///               to 20)
///
/// f16 and bf16 values are computed in f32 (e^20 overflows f16).
Value buildActivation(OpBuilder &b, Location loc, Value x, ActivationAttr act);

/// Returns `gelu(2 * halfX)` for a caller that computed `x / 2` instead of
/// `x` at no cost (by halving its weight and bias): `halfX + halfX *
/// erf(halfX * sqrt(2))`, the multiply by 1/2 of buildActivation's gelu
/// saved. The same value as `buildActivation(2 * halfX, gelu)` (x / 2 and
/// the erf's scale differ from buildActivation's by powers of two only).
Value buildGeluOfHalf(OpBuilder &b, Location loc, Value halfX);

/// Returns `act'(x)`, the derivative of `act` at the scalar `x`, in the type
/// of `x`. A null `act` or `none` returns 1. At the kinks of relu,
/// leaky_relu and elu (x = 0) it takes the left derivative, as PyTorch does.
///
///   relu        x > 0 ? 1 : 0
///   leaky_relu  x > 0 ? 1 : alpha
///   elu         x > 0 ? 1 : alpha * exp(x)
///   gelu        Phi(x) + x * phi(x)      (normal CDF and density)
///   gelu_tanh   0.5 * (1 + t) + 0.5 * x * (1 - t^2) * sqrt(2 / pi)
///               * (1 + 3 * 0.044715 * x^2),  t = tanh(sqrt(2 / pi) * (x +
///               0.044715 * x^3))
///   silu        s * (1 + x * (1 - s)),   s = sigmoid(x)
///   sigmoid     s * (1 - s)
///   tanh        1 - tanh(x)^2
///   relu6       x <= 0 or x >= 6 ? 0 : 1 (1 at NaN, as hardtanh_backward)
///   hardsigmoid -3 < x < 3 ? 1/6 : 0
///   hardswish   x <= -3 ? 0 : x < 3 ? x / 3 + 1/2 : 1 (PyTorch 2.15's)
///   mish        t + x * s * (1 - t^2),  t = tanh(softplus(x)),
///               s = sigmoid(x); 1 above 20
Value buildActivationDerivative(OpBuilder &b, Location loc, Value x,
                                ActivationAttr act);

/// Returns `x` such that `act(x) = y` for an invertible activation
/// (`ActivationAttr::isInvertible`), in the type of `y`. A null `act` or
/// `none` returns `y`.
///
///   leaky_relu  y > 0 ? y : y / alpha
///   elu         y > 0 ? y : log1p(y / alpha)
Value buildActivationInverse(OpBuilder &b, Location loc, Value y,
                             ActivationAttr act);

} // namespace mlir::norm

#endif // NORM_DIALECT_NORM_UTILS_ACTIVATIONUTILS_H
