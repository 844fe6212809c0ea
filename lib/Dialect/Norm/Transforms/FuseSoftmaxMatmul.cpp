//===- FuseSoftmaxMatmul.cpp - Softmax normalization after attn @ v ------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Softmax is a normalization: p = exp(s - m) / l with the row statistics
// m = max(s) and l = sum(exp(s - m)). Its division, like FlashNorm's 1/rms,
// commutes with the contraction that reads p along the normalized axis
// (the probabilities times the values in attention):
//
//   sum_j p[i, j] v[j, d] = (1 / l[i]) * sum_j exp(s[i, j] - m[i]) v[j, d]
//
// so the probabilities are never materialized: the contraction reads the
// unnormalized exponentials and the [.., S, D] result, not the [.., S, S]
// probabilities, is divided by the row sums.
//
//===----------------------------------------------------------------------===//

#include "ScalarEvaluator.h"
#include "ShapeChain.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSESOFTMAXMATMULPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// A reduction of `input` over `dim` into a keep-dims tensor (size 1 at
/// `dim`) starting from `identity`, combined with `combine`.
static Value reduceKeepDims(
    RewriterBase &rewriter, Location loc, Value input, int64_t dim,
    double identity,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto type = cast<RankedTensorType>(input.getType());
  unsigned rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, input);
  sizes[dim] = rewriter.getIndexAttr(1);
  Value empty =
      tensor::EmptyOp::create(rewriter, loc, sizes, type.getElementType());
  Value init = arith::ConstantOp::create(
      rewriter, loc, rewriter.getFloatAttr(type.getElementType(), identity));
  Value filled =
      linalg::FillOp::create(rewriter, loc, ValueRange{init}, ValueRange{empty})
          .getResult(0);
  SmallVector<AffineExpr> statsExprs;
  for (unsigned d = 0; d < rank; ++d)
    statsExprs.push_back(d == dim ? rewriter.getAffineConstantExpr(0)
                                  : rewriter.getAffineDimExpr(d));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators[dim] = utils::IteratorType::reduction;
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{filled.getType()}, ValueRange{input},
             ValueRange{filled},
             {rewriter.getMultiDimIdentityMap(rank),
              AffineMap::get(rank, 0, statsExprs, rewriter.getContext())},
             iterators,
             [&](OpBuilder &b, Location l, ValueRange args) {
               linalg::YieldOp::create(b, l, combine(b, l, args[0], args[1]));
             })
      .getResult(0);
}

namespace {
struct NormFuseSoftmaxMatmulPass
    : norm::impl::NormFuseSoftmaxMatmulPassBase<NormFuseSoftmaxMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : collectTensorContractions(getOperation()))
      for (unsigned operand = 0; operand < 2; ++operand)
        if (succeeded(rewrite(rewriter, op, operand))) {
          ++numFused;
          break;
        }
  }

  LogicalResult rewrite(RewriterBase &rewriter, linalg::LinalgOp contraction,
                        unsigned operandIndex) {
    auto resultType =
        cast<RankedTensorType>(contraction->getResult(0).getType());
    Type element = resultType.getElementType();
    // Moving the division changes f16/bf16 rounding: f32/f64 only.
    if (!element.isF32() && !element.isF64())
      return failure();
    SmallVector<unsigned> reductions;
    contraction.getReductionDims(reductions);
    if (reductions.size() != 1)
      return failure();
    AffineExpr reductionExpr = rewriter.getAffineDimExpr(reductions.front());

    OpOperand *operand = contraction.getDpsInputOperand(operandIndex);
    SmallVector<Operation *> chain;
    Value probabilities = traceShapeChain(operand->get(), chain, [](Value v) {
      return static_cast<bool>(v.getDefiningOp<linalg::SoftmaxOp>());
    });
    if (!probabilities || !probabilities.hasOneUse())
      return failure();
    auto softmax = probabilities.getDefiningOp<linalg::SoftmaxOp>();
    if (!softmax.hasPureTensorSemantics() || softmax->getNumResults() != 1 ||
        getElementTypeOrSelf(softmax.getInput().getType()) != element)
      return failure();
    // It pays when the division runs on fewer elements after the
    // contraction (S·D <= S·S: sequences at least as long as the head
    // dimension); unknown sizes are assumed long.
    auto softmaxType = cast<RankedTensorType>(softmax.getInput().getType());
    if (!always && softmaxType.hasStaticShape() &&
        resultType.hasStaticShape() &&
        resultType.getNumElements() > softmaxType.getNumElements())
      return failure();
    int64_t dim = softmax.getDimension();
    FailureOr<int64_t> operandAxis = mapAxisThroughChain(chain, dim);
    if (failed(operandAxis))
      return failure();
    AffineMap operandMap = contraction.getMatchingIndexingMap(operand);
    if (!isIndexedOnlyByReduction(operandMap, *operandAxis, reductionExpr))
      return failure();

    // The softmax, without its division: e = exp(s - max(s)), l = sum(e).
    Location loc = softmax.getLoc();
    rewriter.setInsertionPoint(softmax);
    Value input = softmax.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    unsigned rank = inputType.getRank();
    Value max = reduceKeepDims(
        rewriter, loc, input, dim, -std::numeric_limits<double>::infinity(),
        [](OpBuilder &b, Location l, Value x, Value acc) -> Value {
          return arith::MaxNumFOp::create(b, l, x, acc);
        });
    SmallVector<AffineExpr> statsExprs;
    for (unsigned d = 0; d < rank; ++d)
      statsExprs.push_back(d == dim ? rewriter.getAffineConstantExpr(0)
                                    : rewriter.getAffineDimExpr(d));
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    Value expEmpty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, input), element);
    Value exponentials =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{inputType}, ValueRange{input, max},
            ValueRange{expEmpty},
            {identity, AffineMap::get(rank, 0, statsExprs, &getContext()),
             identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value shifted = arith::SubFOp::create(b, l, args[0], args[1]);
              linalg::YieldOp::create(
                  b, l, ValueRange{math::ExpOp::create(b, l, shifted)});
            })
            .getResult(0);
    Value sums =
        reduceKeepDims(rewriter, loc, exponentials, dim, 0.0,
                       [](OpBuilder &b, Location l, Value x, Value acc) {
                         return arith::AddFOp::create(b, l, x, acc);
                       });
    rewriter.replaceOp(softmax, exponentials);
    Value operandSums = replayShapeChain(rewriter, chain, sums, dim);

    // acc = the contraction of the exponentials, from zero.
    Location mmLoc = contraction.getLoc();
    rewriter.setInsertionPoint(contraction);
    OpOperand *initOperand = contraction.getDpsInitOperand(0);
    Value init = initOperand->get();
    std::optional<double> initSplat = getSplatConstant(init);
    bool addInit = !initSplat || *initSplat != 0.0;
    Operation *accumulate = contraction;
    if (addInit) {
      Value empty = tensor::EmptyOp::create(
          rewriter, mmLoc, tensor::getMixedSizes(rewriter, mmLoc, init),
          element);
      Value zero = arith::ConstantOp::create(
          rewriter, mmLoc, rewriter.getFloatAttr(element, 0.0));
      Value zeros = linalg::FillOp::create(rewriter, mmLoc, ValueRange{zero},
                                           ValueRange{empty})
                        .getResult(0);
      accumulate = rewriter.clone(*contraction);
      unsigned initIndex = initOperand->getOperandNumber();
      rewriter.modifyOpInPlace(
          accumulate, [&] { accumulate->setOperand(initIndex, zeros); });
    }

    // out = [init +] acc / l, over the output's dimensions; l is indexed
    // like the contracted operand with its normalized axis at 0.
    AffineMap outputMap = contraction.getMatchingIndexingMap(initOperand);
    unsigned outRank = resultType.getRank();
    AffineMap outIdentity = rewriter.getMultiDimIdentityMap(outRank);
    SmallVector<Value> inputs = {accumulate->getResult(0), operandSums};
    SmallVector<AffineMap> maps = {
        outIdentity, getStatisticsMap(operandMap, reductionExpr, outputMap)};
    if (addInit) {
      inputs.push_back(init);
      maps.push_back(outIdentity);
    }
    maps.push_back(outIdentity);
    rewriter.setInsertionPointAfter(contraction);
    Value outEmpty = tensor::EmptyOp::create(
        rewriter, mmLoc, tensor::getMixedSizes(rewriter, mmLoc, init), element);
    auto epilogue = linalg::GenericOp::create(
        rewriter, mmLoc, TypeRange{resultType}, inputs, ValueRange{outEmpty},
        maps,
        SmallVector<utils::IteratorType>(outRank,
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value value = arith::DivFOp::create(b, l, args[0], args[1]);
          if (addInit)
            value = arith::AddFOp::create(b, l, args[2], value);
          linalg::YieldOp::create(b, l, value);
        });
    rewriter.replaceAllUsesExcept(contraction->getResult(0),
                                  epilogue.getResult(0), epilogue);
    if (accumulate != contraction.getOperation())
      rewriter.eraseOp(contraction);
    return success();
  }
};
} // namespace
