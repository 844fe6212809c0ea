//===- ExpandFPowI.cpp - math.fpowi with constant exponents ---------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-expand-fpowi: math.fpowi with a constant exponent as exponentiation by
// squaring (and 1 / x^|n| for a negative exponent).
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMEXPANDFPOWIPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct ExpandConstantFPowI : OpRewritePattern<math::FPowIOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::FPowIOp op,
                                PatternRewriter &rewriter) const override {
    APInt exponent;
    if (!matchPattern(op.getRhs(), m_ConstantInt(&exponent)))
      return failure();
    Location loc = op.getLoc();
    Type type = op.getType();
    auto floatType = cast<FloatType>(getElementTypeOrSelf(type));
    APFloat oneValue(1.0);
    bool losesInfo;
    oneValue.convert(floatType.getFloatSemantics(),
                     APFloat::rmNearestTiesToEven, &losesInfo);
    Value one = createScalarOrSplatConstant(rewriter, loc, type, oneValue);
    arith::FastMathFlagsAttr flags = op.getFastmathAttr();
    auto mul = [&](Value a, Value b) -> Value {
      return arith::MulFOp::create(rewriter, loc, a, b, flags);
    };
    // |n| as unsigned: the most negative exponent has no signed magnitude.
    bool negative = exponent.isNegative();
    uint64_t magnitude = (negative ? -exponent : exponent).getZExtValue();
    Value result, base = op.getLhs();
    while (magnitude) {
      if (magnitude & 1)
        result = result ? mul(result, base) : base;
      magnitude >>= 1;
      if (magnitude)
        base = mul(base, base);
    }
    if (!result)
      result = one; // x^0 = 1, NaN and infinities included.
    else if (negative)
      result = arith::DivFOp::create(rewriter, loc, one, result, flags);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ExpandFPowIPass
    : public norm::impl::NormExpandFPowIPassBase<ExpandFPowIPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandConstantFPowI>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
