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

/// `x > 0 ? x : 0` with NaN passing through (see relu below).
static Value buildRelu(OpBuilder &b, Location loc, Value x) {
  Value zero = constantLike(b, loc, x, 0.0);
  Value negative =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, zero, x);
  return arith::SelectOp::create(b, loc, negative, zero, x);
}

/// min(max(x, 0), 6), NaN and -0.0 passing through as torch.nn.ReLU6.
static Value buildRelu6(OpBuilder &b, Location loc, Value x) {
  Value six = constantLike(b, loc, x, 6.0);
  Value above =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, six);
  return arith::SelectOp::create(b, loc, above, six, buildRelu(b, loc, x));
}

/// relu6(x + 3) / 6 as clamp((x + 3) * (1/6), 0, 1): no division. The sum
/// first keeps the result accurate near -3, where x + 3 is exact; x * (1/6)
/// + 1/2 (one FMA) cancelled there (37 % relative error at x = -3 + 1e-7).
static Value buildHardSigmoid(OpBuilder &b, Location loc, Value x) {
  Value sixth = constantLike(b, loc, x, 1.0 / 6.0);
  Value three = constantLike(b, loc, x, 3.0);
  Value one = constantLike(b, loc, x, 1.0);
  Value zero = constantLike(b, loc, x, 0.0);
  Value t = arith::MulFOp::create(
      b, loc, arith::AddFOp::create(b, loc, x, three), sixth);
  Value negative =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, zero, t);
  Value above =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, t, one);
  return arith::SelectOp::create(
      b, loc, above, one, arith::SelectOp::create(b, loc, negative, zero, t));
}

/// Mish's tanh(softplus(x)) as n / (n + 2) with n = e^x (e^x + 2): one exp
/// and no log, tanh or cancellation.
struct TanhSoftplus {
  Value t;
  /// e^x, for the derivative's sigmoid.
  Value exp;
  /// x > 20, where x was clamped (the ratio is already 1 in f32 and f64,
  /// and n cannot overflow to inf / inf); false for NaN, which propagates.
  Value large;
};
static TanhSoftplus buildTanhSoftplus(OpBuilder &b, Location loc, Value x) {
  Value two = constantLike(b, loc, x, 2.0);
  Value limit = constantLike(b, loc, x, 20.0);
  Value large =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, limit);
  Value clamped = arith::SelectOp::create(b, loc, large, limit, x);
  Value exp = math::ExpOp::create(b, loc, clamped);
  Value n = arith::MulFOp::create(b, loc, exp,
                                  arith::AddFOp::create(b, loc, exp, two));
  Value t =
      arith::DivFOp::create(b, loc, n, arith::AddFOp::create(b, loc, n, two));
  return {t, exp, large};
}

/// `inside` where lo < x < hi, else `outside`; NaN counts as inside when
/// `nanInside` (PyTorch's hardtanh_backward passes NaN's gradient,
/// hardsigmoid_backward does not).
static Value selectStrictlyBetween(OpBuilder &b, Location loc, Value x,
                                   double lo, double hi, double inside,
                                   double outside, bool nanInside) {
  auto above =
      nanInside ? arith::CmpFPredicate::UGT : arith::CmpFPredicate::OGT;
  auto below =
      nanInside ? arith::CmpFPredicate::ULT : arith::CmpFPredicate::OLT;
  Value between = arith::AndIOp::create(
      b, loc,
      arith::CmpFOp::create(b, loc, above, x, constantLike(b, loc, x, lo)),
      arith::CmpFOp::create(b, loc, below, x, constantLike(b, loc, x, hi)));
  return arith::SelectOp::create(b, loc, between,
                                 constantLike(b, loc, x, inside),
                                 constantLike(b, loc, x, outside));
}

Value mlir::norm::buildGeluOfHalf(OpBuilder &b, Location loc, Value halfX) {
  Value sqrt2 = constantLike(b, loc, halfX, 1.41421356237309504880);
  Value erf =
      math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, halfX, sqrt2));
  return math::FmaOp::create(b, loc, halfX, erf, halfX);
}

/// `build(x)` computed in f32 for an f16 or bf16 `x`, rounded back.
static Value computeInF32(OpBuilder &b, Location loc, Value x,
                          function_ref<Value(Value)> build) {
  Type type = x.getType();
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  return arith::TruncFOp::create(b, loc, type, build(wide));
}

Value mlir::norm::buildActivation(OpBuilder &b, Location loc, Value x,
                                  ActivationAttr act) {
  if (!act || act.isNone())
    return x;
  if (cast<FloatType>(x.getType()).getWidth() < 32)
    return computeInF32(b, loc, x, [&](Value wide) {
      return buildActivation(b, loc, wide, act);
    });
  switch (act.getKind()) {
  case ActivationKind::None:
    return x;
  case ActivationKind::Relu:
    // `0 > x ? 0 : x`: NaN compares false and passes through, as torch.relu
    // propagates it. x86 selects this as one `vmaxps 0, x` (whose second
    // operand wins on NaN); `arith.maximumf` needed a compare and a blend
    // more to propagate NaN.
    return buildRelu(b, loc, x);
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
    // x/2 + x/2 * erf(x / sqrt(2)) as one FMA: one operation less than
    // x/2 * (1 + erf), and no rounding of 1 + erf, which cancels for x << 0.
    Value half = constantLike(b, loc, x, 0.5);
    Value invSqrt2 = constantLike(b, loc, x, 0.70710678118654752440);
    Value scaled = arith::MulFOp::create(b, loc, x, invSqrt2);
    Value erf = math::ErfOp::create(b, loc, scaled);
    Value halfX = arith::MulFOp::create(b, loc, half, x);
    return math::FmaOp::create(b, loc, halfX, erf, halfX);
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
  case ActivationKind::Relu6:
    return buildRelu6(b, loc, x);
  case ActivationKind::HardSigmoid:
    return buildHardSigmoid(b, loc, x);
  case ActivationKind::HardSwish:
    return arith::MulFOp::create(b, loc, x, buildHardSigmoid(b, loc, x));
  case ActivationKind::Mish: {
    // x above 20: x * t would be right too, but fast-math's reassociation
    // may compute it as (x * n) / (n + 2), which overflows beyond ~1e21.
    TanhSoftplus ts = buildTanhSoftplus(b, loc, x);
    return arith::SelectOp::create(b, loc, ts.large, x,
                                   arith::MulFOp::create(b, loc, x, ts.t));
  }
  }
  llvm_unreachable("unknown activation kind");
}

/// 1 where `x > 0`, else `negative`.
static Value selectPositive(OpBuilder &b, Location loc, Value x,
                            Value negative) {
  Value zero = constantLike(b, loc, x, 0.0);
  Value one = constantLike(b, loc, x, 1.0);
  Value positive =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  return arith::SelectOp::create(b, loc, positive, one, negative);
}

Value mlir::norm::buildActivationDerivative(OpBuilder &b, Location loc, Value x,
                                            ActivationAttr act) {
  if (!act)
    return constantLike(b, loc, x, 1.0);
  if (cast<FloatType>(x.getType()).getWidth() < 32)
    return computeInF32(b, loc, x, [&](Value wide) {
      return buildActivationDerivative(b, loc, wide, act);
    });
  switch (act.getKind()) {
  case ActivationKind::None:
    return constantLike(b, loc, x, 1.0);
  case ActivationKind::Relu:
    return selectPositive(b, loc, x, constantLike(b, loc, x, 0.0));
  case ActivationKind::LeakyRelu:
    return selectPositive(b, loc, x,
                          constantLike(b, loc, x, act.getAlphaValue()));
  case ActivationKind::Elu: {
    Value alpha = constantLike(b, loc, x, act.getAlphaValue());
    Value exp = math::ExpOp::create(b, loc, x);
    return selectPositive(b, loc, x, arith::MulFOp::create(b, loc, alpha, exp));
  }
  case ActivationKind::Gelu: {
    // 0.5 * (1 + erf(x / sqrt(2))) + x * exp(-x^2 / 2) / sqrt(2 * pi).
    Value half = constantLike(b, loc, x, 0.5);
    Value one = constantLike(b, loc, x, 1.0);
    Value invSqrt2 = constantLike(b, loc, x, 0.70710678118654752440);
    Value invSqrt2Pi = constantLike(b, loc, x, 0.39894228040143267794);
    Value erf =
        math::ErfOp::create(b, loc, arith::MulFOp::create(b, loc, x, invSqrt2));
    Value cdf = arith::MulFOp::create(b, loc, half,
                                      arith::AddFOp::create(b, loc, one, erf));
    Value x2 = arith::MulFOp::create(b, loc, x, x);
    Value exp = math::ExpOp::create(
        b, loc,
        arith::NegFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x2)));
    Value pdf = arith::MulFOp::create(b, loc, invSqrt2Pi, exp);
    return arith::AddFOp::create(b, loc, cdf,
                                 arith::MulFOp::create(b, loc, x, pdf));
  }
  case ActivationKind::GeluTanh: {
    Value half = constantLike(b, loc, x, 0.5);
    Value one = constantLike(b, loc, x, 1.0);
    Value sqrt2OverPi = constantLike(b, loc, x, 0.79788456080286535588);
    Value cubic = constantLike(b, loc, x, 0.044715);
    Value cubic3 = constantLike(b, loc, x, 3.0 * 0.044715);
    Value x2 = arith::MulFOp::create(b, loc, x, x);
    Value x3 = arith::MulFOp::create(b, loc, x2, x);
    Value inner = arith::AddFOp::create(
        b, loc, x, arith::MulFOp::create(b, loc, cubic, x3));
    Value t = math::TanhOp::create(
        b, loc, arith::MulFOp::create(b, loc, sqrt2OverPi, inner));
    // d inner' / dx = sqrt(2 / pi) * (1 + 3 * 0.044715 * x^2).
    Value dInner = arith::MulFOp::create(
        b, loc, sqrt2OverPi,
        arith::AddFOp::create(b, loc, one,
                              arith::MulFOp::create(b, loc, cubic3, x2)));
    Value sech2 =
        arith::SubFOp::create(b, loc, one, arith::MulFOp::create(b, loc, t, t));
    Value left = arith::MulFOp::create(b, loc, half,
                                       arith::AddFOp::create(b, loc, one, t));
    Value right =
        arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, half, x),
                              arith::MulFOp::create(b, loc, sech2, dInner));
    return arith::AddFOp::create(b, loc, left, right);
  }
  case ActivationKind::Silu: {
    Value one = constantLike(b, loc, x, 1.0);
    Value s = buildSigmoid(b, loc, x);
    Value oneMinus = arith::SubFOp::create(b, loc, one, s);
    Value inner = arith::AddFOp::create(
        b, loc, one, arith::MulFOp::create(b, loc, x, oneMinus));
    return arith::MulFOp::create(b, loc, s, inner);
  }
  case ActivationKind::Sigmoid: {
    Value one = constantLike(b, loc, x, 1.0);
    Value s = buildSigmoid(b, loc, x);
    return arith::MulFOp::create(b, loc, s,
                                 arith::SubFOp::create(b, loc, one, s));
  }
  case ActivationKind::Tanh: {
    Value one = constantLike(b, loc, x, 1.0);
    Value t = math::TanhOp::create(b, loc, x);
    return arith::SubFOp::create(b, loc, one,
                                 arith::MulFOp::create(b, loc, t, t));
  }
  case ActivationKind::Relu6:
    return selectStrictlyBetween(b, loc, x, 0.0, 6.0, 1.0, 0.0,
                                 /*nanInside=*/true);
  case ActivationKind::HardSigmoid:
    return selectStrictlyBetween(b, loc, x, -3.0, 3.0, 1.0 / 6.0, 0.0,
                                 /*nanInside=*/false);
  case ActivationKind::HardSwish: {
    Value zero = constantLike(b, loc, x, 0.0);
    Value one = constantLike(b, loc, x, 1.0);
    Value third = constantLike(b, loc, x, 1.0 / 3.0);
    Value half = constantLike(b, loc, x, 0.5);
    Value three = constantLike(b, loc, x, 3.0);
    Value minusThree = constantLike(b, loc, x, -3.0);
    // PyTorch's hardswish_backward: 0 up to -3, x / 3 + 1/2 strictly
    // between, 1 from 3 on (and at NaN).
    Value below =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, x, minusThree);
    Value middle =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, three);
    Value slope = math::FmaOp::create(b, loc, x, third, half);
    return arith::SelectOp::create(
        b, loc, below, zero,
        arith::SelectOp::create(b, loc, middle, slope, one));
  }
  case ActivationKind::Mish: {
    // 1 above 20, where t = 1 and the second term is 0 (selected: under
    // reassociation x * s * (1 - t^2) may overflow to inf * 0 for huge x).
    Value one = constantLike(b, loc, x, 1.0);
    auto [t, exp, large] = buildTanhSoftplus(b, loc, x);
    Value sigmoid = arith::DivFOp::create(
        b, loc, exp, arith::AddFOp::create(b, loc, one, exp));
    Value sech2 =
        arith::SubFOp::create(b, loc, one, arith::MulFOp::create(b, loc, t, t));
    Value derivative = arith::AddFOp::create(
        b, loc, t,
        arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, sigmoid),
                              sech2));
    return arith::SelectOp::create(b, loc, large, one, derivative);
  }
  }
  llvm_unreachable("unknown activation kind");
}

Value mlir::norm::buildActivationInverse(OpBuilder &b, Location loc, Value y,
                                         ActivationAttr act) {
  if (!act)
    return y;
  Value zero = constantLike(b, loc, y, 0.0);
  switch (act.getKind()) {
  case ActivationKind::None:
    return y;
  case ActivationKind::LeakyRelu: {
    Value slope = constantLike(b, loc, y, act.getAlphaValue());
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, y, zero);
    Value scaled = arith::DivFOp::create(b, loc, y, slope);
    return arith::SelectOp::create(b, loc, positive, y, scaled);
  }
  case ActivationKind::Elu: {
    Value alpha = constantLike(b, loc, y, act.getAlphaValue());
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, y, zero);
    Value log =
        math::Log1pOp::create(b, loc, arith::DivFOp::create(b, loc, y, alpha));
    return arith::SelectOp::create(b, loc, positive, y, log);
  }
  default:
    llvm_unreachable("activation is not invertible");
  }
}
