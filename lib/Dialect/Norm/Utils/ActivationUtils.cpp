//===- ActivationUtils.cpp - Scalar activations for payloads --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::norm;

/// A scalar constant of the float type of `like`.
static Value constantLike(OpBuilder &b, Location loc, Value like,
                          double value) {
  return arith::ConstantOp::create(b, loc,
                                   b.getFloatAttr(like.getType(), value));
}

/// 1 / (1 + exp(-x)).
static Value buildSigmoid(OpBuilder &b, Location loc, Value x) {
  Value one = constantLike(b, loc, x, 1.0);
  Value negX = arith::NegFOp::create(b, loc, x);
  Value exp = math::ExpOp::create(b, loc, negX);
  Value denominator = arith::AddFOp::create(b, loc, one, exp);
  return arith::DivFOp::create(b, loc, one, denominator);
}

Value mlir::norm::buildActivation(OpBuilder &b, Location loc, Value x,
                                  ActivationAttr act) {
  if (!act)
    return x;
  switch (act.getKind()) {
  case ActivationKind::None:
    return x;
  case ActivationKind::Relu: {
    // maximumf propagates NaN, as torch.relu does.
    Value zero = constantLike(b, loc, x, 0.0);
    return arith::MaximumFOp::create(b, loc, x, zero);
  }
  case ActivationKind::LeakyRelu: {
    Value zero = constantLike(b, loc, x, 0.0);
    Value slope = constantLike(b, loc, x, act.getAlphaValue());
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    Value scaled = arith::MulFOp::create(b, loc, x, slope);
    return arith::SelectOp::create(b, loc, positive, x, scaled);
  }
  case ActivationKind::Elu: {
    Value zero = constantLike(b, loc, x, 0.0);
    Value alpha = constantLike(b, loc, x, act.getAlphaValue());
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
    // exp(x) - 1, without the cancellation near 0.
    Value expm1 = math::ExpM1Op::create(b, loc, x);
    Value scaled = arith::MulFOp::create(b, loc, alpha, expm1);
    return arith::SelectOp::create(b, loc, positive, x, scaled);
  }
  case ActivationKind::Gelu: {
    Value half = constantLike(b, loc, x, 0.5);
    Value one = constantLike(b, loc, x, 1.0);
    Value invSqrt2 = constantLike(b, loc, x, 0.70710678118654752440);
    Value scaled = arith::MulFOp::create(b, loc, x, invSqrt2);
    Value erf = math::ErfOp::create(b, loc, scaled);
    Value onePlus = arith::AddFOp::create(b, loc, one, erf);
    Value halfX = arith::MulFOp::create(b, loc, half, x);
    return arith::MulFOp::create(b, loc, halfX, onePlus);
  }
  case ActivationKind::GeluTanh: {
    Value half = constantLike(b, loc, x, 0.5);
    Value one = constantLike(b, loc, x, 1.0);
    Value sqrt2OverPi = constantLike(b, loc, x, 0.79788456080286535588);
    Value cubic = constantLike(b, loc, x, 0.044715);
    Value x2 = arith::MulFOp::create(b, loc, x, x);
    Value x3 = arith::MulFOp::create(b, loc, x2, x);
    Value inner = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, cubic, x3));
    Value tanh = math::TanhOp::create(
        b, loc, arith::MulFOp::create(b, loc, sqrt2OverPi, inner));
    Value onePlus = arith::AddFOp::create(b, loc, one, tanh);
    Value halfX = arith::MulFOp::create(b, loc, half, x);
    return arith::MulFOp::create(b, loc, halfX, onePlus);
  }
  case ActivationKind::Silu:
    return arith::MulFOp::create(b, loc, x, buildSigmoid(b, loc, x));
  case ActivationKind::Sigmoid:
    return buildSigmoid(b, loc, x);
  case ActivationKind::Tanh:
    return math::TanhOp::create(b, loc, x);
  }
  llvm_unreachable("unknown activation kind");
}
