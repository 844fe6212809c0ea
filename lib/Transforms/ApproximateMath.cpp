//===- ApproximateMath.cpp - Polynomial approximations of math ops --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-approximate-math: replaces the math functions that fused activations
// use (erf, tanh, exp, expm1) by polynomial approximations, so that the loops
// around them vectorize instead of calling libm per element: upstream MLIR's,
// except for f32 erf, which gets a cheaper rational approximation of its own.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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
/// so that a NaN operand selects itself.
struct ErfRationalApproximation : public OpRewritePattern<math::ErfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::ErfOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!getElementTypeOrSelf(type).isF32())
      return rewriter.notifyMatchFailure(op, "only f32 (others are widened)");
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto constant = [&](double value) -> Value {
      TypedAttr attr = b.getF32FloatAttr(value);
      if (auto shaped = dyn_cast<ShapedType>(type))
        attr = SplatElementsAttr::get(shaped, attr);
      return arith::ConstantOp::create(b, attr);
    };
    // Numerator coefficients (odd powers x^13 ... x^1) and denominator
    // coefficients (even powers x^8 ... x^0), highest first.
    static constexpr double kNumerator[] = {
        -2.72614225801306e-10, 2.77068142495902e-08,  -2.10102402082508e-06,
        -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
        -1.60960333262415e-02};
    static constexpr double kDenominator[] = {
        -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
        -7.37332916720468e-03, -1.42647390514189e-02};

    // clamp(x, -4, 4) as `4 < x ? 4 : x` and `x < -4 ? -4 : x`: a NaN fails
    // both compares and passes through.
    Value x = op.getOperand();
    Value upper = constant(4.0), lower = constant(-4.0);
    x = arith::SelectOp::create(
        b, arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, upper, x), upper,
        x);
    x = arith::SelectOp::create(
        b, arith::CmpFOp::create(b, arith::CmpFPredicate::OLT, x, lower), lower,
        x);
    Value x2 = arith::MulFOp::create(b, x, x);
    auto horner = [&](ArrayRef<double> coefficients) {
      Value acc = constant(coefficients.front());
      for (double c : coefficients.drop_front())
        acc = math::FmaOp::create(b, x2, acc, constant(c));
      return acc;
    };
    Value numerator = arith::MulFOp::create(b, x, horner(kNumerator));
    Value denominator = horner(kDenominator);
    rewriter.replaceOpWithNewOp<arith::DivFOp>(op, numerator, denominator);
    return success();
  }
};

struct ApproximateMathPass
    : public norm::impl::NormApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // f16/bf16 operands are widened to f32 first: the approximations are
    // written for f32 only.
    populateMathF32ExpansionPatterns(patterns, isApproximated);
    // f32 erf is ours; upstream's for the others. f64 is left to libm.
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      return isApproximated(name) && name != math::ErfOp::getOperationName();
    });
    patterns.add<ErfRationalApproximation>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
