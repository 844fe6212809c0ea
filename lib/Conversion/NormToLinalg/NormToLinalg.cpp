//===- NormToLinalg.cpp - The convert-norm-to-linalg pass -----------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/NormToLinalg/NormToLinalg.h"
#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::norm {
#define GEN_PASS_DEF_CONVERTNORMTOLINALGPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

void mlir::norm::populateNormToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  populateActivationNormToLinalgPatterns(patterns);
  populateDataNormToLinalgPatterns(patterns);
  populateSpectralNormToLinalgPatterns(patterns);
  populateNormGradToLinalgPatterns(patterns);
}

namespace {
struct ConvertNormToLinalgPass
    : norm::impl::ConvertNormToLinalgPassBase<ConvertNormToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    ConversionTarget target(*context);
    // Every norm op must go; anything else may stay.
    target.addIllegalDialect<NormDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(context);
    populateNormToLinalgConversionPatterns(patterns);
    // The driver reports "failed to legalize operation" at each norm op it
    // could not convert.
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
