//===- ApproximateMath.cpp - Polynomial approximations of math ops --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-approximate-math: replaces the math functions that fused activations
// use (erf, tanh, exp, expm1) by polynomial approximations, so that the loops
// around them vectorize instead of calling libm per element: upstream MLIR's,
// except for f32 erf (a rational approximation) and f32 exp (Cody-Waite
// reduction and a degree-5 polynomial), which get cheaper ones of their own.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <optional>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMAPPROXIMATEMATHPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
/// Whether `name` is one of the math ops this pass approximates.
static bool isApproximated(StringRef name) {
  return llvm::is_contained(
      {math::ErfOp::getOperationName(), math::TanhOp::getOperationName(),
       math::ExpOp::getOperationName(), math::ExpM1Op::getOperationName()},
      name);
}

/// A constant of `type` holding `value` (whose type is the element type):
/// `value` itself for a scalar type, its splat for a shaped type.
static Value splatConstant(ImplicitLocOpBuilder &b, Type type,
                           TypedAttr value) {
  if (auto shaped = dyn_cast<ShapedType>(type))
    return arith::ConstantOp::create(
        b, SplatElementsAttr::get(shaped.clone(value.getType()), value));
  return arith::ConstantOp::create(b, value);
}

/// clamp(x, lower, upper) as `upper < x ? upper : x`, then
/// `x < lower ? lower : x`: a NaN fails both compares and passes through.
/// On x86 each compare/select pair is one vminps/vmaxps.
static Value clampKeepingNaN(ImplicitLocOpBuilder &b, Value x, Value lower,
                             Value upper) {
  x = arith::SelectOp::create(
      b, arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, upper, x), upper,
      x);
  return arith::SelectOp::create(
      b, arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, x, lower), lower,
      x);
}

/// Base of the f32 approximations: matches `OpTy` on an f32 scalar or vector
/// and replaces it by `Derived::approximate(b, x, constant)`, where
/// `constant(v)` builds an f32 constant (a splat for vectors) of x's type.
template <typename Derived, typename OpTy>
struct F32Approximation : public OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "only f32 (others are widened)");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto constant = [&](double value) {
      return splatConstant(b, type, b.getF32FloatAttr(value));
    };
    rewriter.replaceOp(op, static_cast<const Derived *>(this)->approximate(
                               b, op.getOperand(), constant));
    return success();
  }
};

/// f32 erf (scalar or vector) as the clamped odd/even rational function of
/// XLA's `ErfImpl32` (also Eigen's `generic_fast_erf_float`):
///   erf(x) = x·P(x²) / Q(x²),  x clamped to [-4, 4]
/// with P of degree 6 and Q of degree 4 in x²: 2 compare/selects (vminps /
/// vmaxps), 11 FMAs, 2 multiplies and a division. Upstream's approximation
/// picks its coefficients from three intervals with 20 selects per element,
/// about 37 operations, which made GELU the bottleneck of a fused
/// LayerNorm + GELU. Error: at most 3.4e-7 absolute over all f32 inputs
/// (measured against math.erf in test/Integration/CPU/test_erf.py). Beyond
/// |x| = 4 erf rounds to ±1 in f32. NaN propagates: the clamps are written
/// so that a NaN operand selects itself. A constant positive scale of the
/// operand (`erf(x * 0.7071…)` in GELU) is folded into the clamp bounds and
/// the coefficients.
struct ErfRationalApproximation
    : public F32Approximation<ErfRationalApproximation, math::ErfOp> {
  using F32Approximation::F32Approximation;

  static Value approximate(ImplicitLocOpBuilder &b, Value operand,
                           function_ref<Value(double)> constant) {
    // Numerator coefficients (odd powers x^13 ... x^1) and denominator
    // coefficients (even powers x^8 ... x^0), highest first.
    static constexpr double kNumerator[] = {
        -2.72614225801306e-10, 2.77068142495902e-08,  -2.10102402082508e-06,
        -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
        -1.60960333262415e-02};
    static constexpr double kDenominator[] = {
        -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
        -7.37332916720468e-03, -1.42647390514189e-02};

    // erf(s·y) with a constant s > 0 (GELU's erf(x / sqrt(2))) is
    // s·y·P(s²y²) / Q(s²y²): s goes into the clamp and the coefficients
    // (c_k·s^(2k+1) and d_k·s^(2k)), which saves the multiplication.
    double scale = 1.0;
    Value y = operand;
    if (std::optional<std::pair<Value, double>> scaled = matchScaled(operand))
      std::tie(y, scale) = *scaled;
    auto scaleCoefficients = [&](ArrayRef<double> coefficients, double power) {
      // coefficients[0] multiplies x²^(n-1), the last one x²^0.
      size_t n = coefficients.size();
      SmallVector<float> result;
      for (size_t i = 0; i < n; ++i)
        result.push_back(static_cast<float>(
            coefficients[i] *
            std::pow(scale, 2.0 * static_cast<double>(n - 1 - i) + power)));
      return result;
    };
    SmallVector<float> numerator = scaleCoefficients(kNumerator, 1.0);
    SmallVector<float> denominator = scaleCoefficients(kDenominator, 0.0);
    float bound =
        clampBound(static_cast<float>(4.0 / scale), numerator, denominator);

    // clamp(y, -bound, bound); NaN passes through.
    Value x = clampKeepingNaN(b, y, constant(-bound), constant(bound));
    Value x2 = arith::MulFOp::create(b, x, x);
    auto horner = [&](ArrayRef<float> coefficients) {
      Value acc = constant(coefficients.front());
      for (float c : coefficients.drop_front())
        acc = math::FmaOp::create(b, x2, acc, constant(c));
      return acc;
    };
    Value p = arith::MulFOp::create(b, x, horner(numerator));
    return arith::DivFOp::create(b, p, horner(denominator));
  }

  /// The approximation at `x` as the generated code computes it in f32.
  static float evaluate(float x, ArrayRef<float> numerator,
                        ArrayRef<float> denominator) {
    float x2 = x * x;
    auto horner = [&](ArrayRef<float> coefficients) {
      float acc = coefficients.front();
      for (float c : coefficients.drop_front())
        acc = std::fma(x2, acc, c);
      return acc;
    };
    float p = x * horner(numerator);
    return p / horner(denominator);
  }

  /// The largest clamp bound at most `bound` whose value is at most 1, so
  /// that erf saturates at exactly ±1 (GELU of a large negative x is then
  /// 0, not -x·ulp): the scaled coefficients round differently, and their
  /// value at 4/s came out 1 + 2^-23.
  static float clampBound(float bound, ArrayRef<float> numerator,
                          ArrayRef<float> denominator) {
    for (int i = 0; i < 64 && evaluate(bound, numerator, denominator) > 1.0f;
         ++i)
      bound = std::nextafter(bound, 0.0f);
    return bound;
  }

  /// `y` and `s` when `value` is `y * s` (either order) for a positive
  /// finite f32 constant or splat `s`, and that product has no other use.
  static std::optional<std::pair<Value, double>> matchScaled(Value value) {
    auto mul = value.getDefiningOp<arith::MulFOp>();
    if (!mul || !value.hasOneUse())
      return std::nullopt;
    for (auto [factor, other] : {std::pair(mul.getRhs(), mul.getLhs()),
                                 std::pair(mul.getLhs(), mul.getRhs())}) {
      APFloat constant(0.0);
      if (!matchPattern(factor, m_ConstantFloat(&constant)))
        continue;
      double s = constant.convertToDouble();
      if (std::isfinite(s) && s > 0.0)
        return std::pair(other, s);
    }
    return std::nullopt;
  }
};

/// f32 exp (scalar or vector) with Cody-Waite range reduction to [0, ln 2):
///   x  = clamp(x, -88, 88.8)                      (NaN passes through)
///   n  = floor(x * log2(e))                        (an integer in [-127, 128])
///   r  = x - n * ln2_hi - n * ln2_lo               (2 FMAs; n * ln2_hi exact)
///   e^r ~ 1 + r * (c1 + r * (c2 + ... r * c5))     (5 FMAs, Horner)
///   exp(x) = e^r * 2^n
/// 2^n is built without converting n to an integer: n + (1.5 * 2^23 + 127)
/// is exact and holds n + 127 in the low bits of its mantissa, which a shift
/// left by 23 moves into the exponent field. n = -127 gives the bit pattern
/// of +0 and n = 128 that of +inf, which is why the reduction uses floor
/// (r in [0, ln 2)) rather than round: e^r >= 1 and 2^-126 is the smallest
/// normal scale, so results below FLT_MIN (x < -87.34) become 0 (exp(-inf)
/// = 0; no subnormal results, except rounded ones right at the boundary),
/// and e^r < 2 with 2^127 reaches FLT_MAX exactly at x = ln(FLT_MAX) =
/// 88.72; above that the product overflows to +inf (exp(+inf) = +inf).
/// 14 vector instructions on x86 (vminps, vmaxps, vmulps, vrndscaleps/
/// vroundps, 7 FMAs, vaddps, vpslld, vmulps) against about 24 for
/// upstream's approximation, which rounds, clamps twice and builds 2^n
/// through an integer conversion. The degree-5 coefficients are a relative
/// minimax fit on [0, ln 2]: error 8.2e-8 before rounding, at most 1.7e-7
/// relative (1.4 * 2^-23) against exp in f64 over [-87.3, 88.7] (measured
/// by test/Integration/CPU/test_exp.py).
///
/// With `avx512`, a vector<16xf32> is scaled by `vscalefps` (e^r * 2^n in
/// one instruction that also over- and underflows correctly, to subnormals
/// and 0) instead of the add, shift and multiply: 12 instructions. Its
/// lower clamp is then -110 (n = -159) so that exp(-inf) is still 0.
struct ExpApproximation
    : public F32Approximation<ExpApproximation, math::ExpOp> {
  ExpApproximation(MLIRContext *context, bool avx512)
      : F32Approximation(context), avx512(avx512) {}

  Value approximate(ImplicitLocOpBuilder &b, Value operand,
                    function_ref<Value(double)> constant) const {
    Type type = operand.getType();
    // log2(e); ln(2) split so that ln2_hi has 9 trailing zero bits (n *
    // ln2_hi is exact for |n| < 2^9) and ln2_lo = ln(2) - ln2_hi.
    static constexpr double kLog2E = 1.4426950408889634;
    static constexpr double kLn2Hi = 0.693145751953125;
    static constexpr double kLn2Lo = 1.4286068203094172e-06;
    // e^r on [0, ln 2]: c5 ... c1 (c0 = 1 keeps exp(0) = 1 exact).
    static constexpr double kCoefficients[] = {1.166943274e-02, 3.906255215e-02,
                                               1.675549448e-01, 4.998708367e-01,
                                               1.000005960e+00, 1.0};
    // Clamp bounds: floor(-88 * log2(e)) = -127 (scale +0), and
    // floor(88.8 * log2(e)) = 128 (scale +inf); both keep n + 127 within the
    // 8 bits of the exponent field.
    auto vectorType = dyn_cast<VectorType>(type);
    bool scalef = avx512 && vectorType && vectorType.getRank() == 1 &&
                  vectorType.getNumElements() == 16 && !vectorType.isScalable();
    double lower = scalef ? -110.0 : -88.0, upper = 88.8;
    // exp(-y) (SiLU's and sigmoid's form) from y itself, the sign folded
    // into the constants, with bitwise the same result: y is clamped to
    // [-upper, -lower], n = floor(y * -log2 e), s = y + n * ln2 (= -r,
    // exactly: FMA rounds symmetrically) and e^r by Horner in s with the
    // odd coefficients negated (each partial result is +-the original's).
    double sign = 1.0;
    if (auto negate = operand.getDefiningOp<arith::NegFOp>();
        negate && operand.hasOneUse()) {
      operand = negate.getOperand();
      sign = -1.0;
      std::tie(lower, upper) = std::pair(-upper, -lower);
    }
    Value x = clampKeepingNaN(b, operand, constant(lower), constant(upper));
    Value n = math::FloorOp::create(
        b, arith::MulFOp::create(b, x, constant(sign * kLog2E)));
    Value r = math::FmaOp::create(b, n, constant(-sign * kLn2Hi), x);
    r = math::FmaOp::create(b, n, constant(-sign * kLn2Lo), r);
    ArrayRef<double> coefficients(kCoefficients);
    // The degree of coefficients[i] is size - 1 - i; odd ones flip.
    auto coefficient = [&](size_t i) {
      size_t degree = coefficients.size() - 1 - i;
      return constant(degree % 2 ? sign * coefficients[i] : coefficients[i]);
    };
    Value p = coefficient(0);
    for (size_t i = 1; i < coefficients.size(); ++i)
      p = math::FmaOp::create(b, r, p, coefficient(i));
    if (scalef) {
      // All 16 lanes (mask -1); rounding 4: the current direction (MXCSR).
      Value allLanes = arith::ConstantOp::create(b, b.getI16IntegerAttr(-1));
      Value currentRounding =
          arith::ConstantOp::create(b, b.getI32IntegerAttr(4));
      // LLVM 22 passes the operands in their order to
      // llvm.x86.avx512.mask.scalef.ps.512(x, e, passthru, ...) = x * 2^e,
      // so `src` is the value scaled and `a` the exponent, whatever the op's
      // description says (test_exp.py would catch a swap).
      return x86vector::MaskScaleFOp::create(b, type, /*src=*/p, /*a=*/n,
                                             /*b=*/p, allLanes,
                                             currentRounding);
    }

    Type intType = b.getI32Type();
    if (auto shaped = dyn_cast<ShapedType>(type))
      intType = shaped.clone(intType);
    Value biased = arith::AddFOp::create(b, n, constant(0x1.8p23 + 127.0));
    Value exponent = arith::ShLIOp::create(
        b, arith::BitcastOp::create(b, intType, biased),
        splatConstant(b, intType, b.getI32IntegerAttr(23)));
    Value scale = arith::BitcastOp::create(b, type, exponent);
    return arith::MulFOp::create(b, p, scale);
  }

  bool avx512;
};

struct ApproximateMathPass
    : public norm::impl::NormApproximateMathPassBase<ApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // f16/bf16 operands are widened to f32 first: the approximations are
    // written for f32 only.
    populateMathF32ExpansionPatterns(patterns, isApproximated);
    // f32 erf and exp are ours; upstream's for the others (its expm1 emits
    // math.exp, which ours then rewrites). f64 is left to libm.
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return isApproximated(name) && name != math::ErfOp::getOperationName() &&
             name != math::ExpOp::getOperationName();
    });
    patterns.add<ErfRationalApproximation>(&getContext());
    patterns.add<ExpApproximation>(&getContext(), avx512);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
