//===- ApproximateMath.cpp - Polynomial approximations of math ops --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-approximate-math: replaces the math functions that fused activations
// use (erf, tanh, exp, expm1) by upstream MLIR's polynomial approximations, so
// that the loops around them vectorize instead of calling libm per element.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

struct ApproximateMathPass
    : public norm::impl::NormApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // f16/bf16 operands are widened to f32 first: the approximations are
    // written for f32 only.
    populateMathF32ExpansionPatterns(patterns, isApproximated);
    populateMathPolynomialApproximationPatterns(patterns, isApproximated);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
