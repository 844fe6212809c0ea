//===- FuseQKNorm.cpp - Fuse QK-norm into the attention scores -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// QK-norm (RMSNorm per head on the queries and keys, as in OLMo 2, Qwen 3,
// Gemma 3) followed by the score contraction is rewritten so that neither
// normalized tensor is materialized:
//
//   S[i, j] = sum_d rms_norm(q)[i, d] * rms_norm(k)[j, d]
//           = rq[i] * rk[j] * sum_d q[i, d] * gq[d] * gk[d] * k[j, d]
//
// The contraction reads the raw q and k (and the two weight vectors); the
// per-row reciprocal RMS of q and k scales the scores in an epilogue.
//
//===----------------------------------------------------------------------===//

#include "ShapeChain.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSEQKNORMPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
/// One side (q or k) of the score contraction: the rms_norm that produces
/// it, the shape-only ops between them (transposes and reshapes, as
/// torch-mlir emits around per-head tensors) and where the normalized axis
/// ends up in the contraction's operand.
struct Side {
  RMSNormOp norm;
  SmallVector<Operation *> chain; // From the norm towards the contraction.
  int64_t operandAxis;
};
} // namespace

/// Traces operand `operand` of `contraction` back to an rms_norm over its
/// last axis through transposes and reshapes that keep the normalized axis
/// a dimension of its own. Every value on the way has one user.
static FailureOr<Side> traceSide(linalg::LinalgOp contraction,
                                 OpOperand *operand) {
  Side side;
  Value value = traceShapeChain(operand->get(), side.chain, [](Value v) {
    return v.getDefiningOp<RMSNormOp>();
  });
  if (!value)
    return failure();
  auto norm = value.getDefiningOp<RMSNormOp>();
  if (value != norm.getOutput() || !value.hasOneUse())
    return failure();
  auto inputType = cast<RankedTensorType>(norm.getInput().getType());
  int64_t rank = inputType.getRank();
  if (norm.getAxes() != ArrayRef<int64_t>{rank - 1} || norm.getResidual() ||
      (norm.getActivationAttr() && !norm.getActivationAttr().isNone()))
    return failure();
  int64_t axis = rank - 1;
  FailureOr<int64_t> operandAxis = mapAxisThroughChain(side.chain, axis);
  if (failed(operandAxis))
    return failure();
  axis = *operandAxis;
  side.norm = norm;
  side.operandAxis = axis;
  return side;
}

/// The `rstd` result of `norm`, recreating the op with it if it had none.
static Value addRstdResult(RewriterBase &rewriter, RMSNormOp norm) {
  if (Value rstd = norm.getRstd())
    return rstd;
  auto inputType = cast<RankedTensorType>(norm.getInput().getType());
  SmallVector<int64_t> statsShape(inputType.getShape());
  statsShape.back() = 1;
  auto statsType = RankedTensorType::get(
      statsShape, getStatisticsElementType(inputType.getElementType()));
  RMSNormOp::Properties properties = norm.getProperties();
  properties.resultSegmentSizes = {1, 1, 0};
  OperationState state(norm.getLoc(), norm->getName());
  state.addOperands(norm->getOperands());
  state.addTypes({inputType, statsType});
  state.useProperties(properties);
  state.addAttributes(norm->getDiscardableAttrDictionary().getValue());
  rewriter.setInsertionPoint(norm);
  Operation *newNorm = rewriter.create(state);
  rewriter.replaceAllUsesWith(norm.getOutput(), newNorm->getResult(0));
  rewriter.eraseOp(norm);
  return newNorm->getResult(1);
}

namespace {
struct NormFuseQKNormPass
    : norm::impl::NormFuseQKNormPassBase<NormFuseQKNormPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : collectTensorContractions(getOperation()))
      if (succeeded(rewrite(rewriter, op)))
        ++numFused;
  }

  LogicalResult rewrite(RewriterBase &rewriter, linalg::LinalgOp contraction) {
    auto resultType =
        cast<RankedTensorType>(contraction->getResult(0).getType());
    Type element = resultType.getElementType();
    // Reassociating the weights changes f16/bf16 rounding: f32/f64 only.
    if (!element.isF32() && !element.isF64())
      return failure();
    SmallVector<unsigned> reductions;
    contraction.getReductionDims(reductions);
    if (reductions.size() != 1)
      return failure();
    unsigned reduction = reductions.front();

    FailureOr<Side> q =
        traceSide(contraction, contraction.getDpsInputOperand(0));
    FailureOr<Side> k =
        traceSide(contraction, contraction.getDpsInputOperand(1));
    if (failed(q) || failed(k) || q->norm == k->norm)
      return failure();
    AffineExpr reductionExpr = rewriter.getAffineDimExpr(reduction);
    SmallVector<AffineMap> sideMaps;
    // A named array: the initializer list behind an ArrayRef temporary in
    // the range expression would die before the loop body (ASan:
    // stack-use-after-scope).
    Side *sides[] = {&*q, &*k};
    for (auto [index, side] : llvm::enumerate(sides)) {
      Type sideElement = cast<RankedTensorType>(side->norm.getInput().getType())
                             .getElementType();
      if (sideElement != element)
        return failure();
      // Every index of the operand is a loop; the normalized axis is
      // indexed by the contraction's only reduction loop, and only it.
      AffineMap map = contraction.getMatchingIndexingMap(
          contraction.getDpsInputOperand(index));
      if (!isIndexedOnlyByReduction(map, side->operandAxis, reductionExpr))
        return failure();
      sideMaps.push_back(map);
    }

    Location loc = contraction.getLoc();
    Value rq = addRstdResult(rewriter, q->norm);
    Value rk = addRstdResult(rewriter, k->norm);
    // The normalizations were replaced: reread them from the rstd values.
    auto qNorm = cast<RMSNormOp>(rq.getDefiningOp());
    auto kNorm = cast<RMSNormOp>(rk.getDefiningOp());
    int64_t lastAxis = cast<RankedTensorType>(rq.getType()).getRank() - 1;
    rq = replayShapeChain(rewriter, q->chain, rq, lastAxis);
    rk = replayShapeChain(rewriter, k->chain, rk, lastAxis);
    // The shape-only chains now carry the raw q and k.
    SmallVector<Value> operands;
    Value rawInputs[] = {qNorm.getInput(), kNorm.getInput()};
    for (unsigned index = 0; index < 2; ++index) {
      Side *side = sides[index];
      if (side->chain.empty()) {
        operands.push_back(rawInputs[index]);
        continue;
      }
      rewriter.modifyOpInPlace(side->chain.front(), [&] {
        side->chain.front()->setOperand(0, rawInputs[index]);
      });
      operands.push_back(contraction.getDpsInputOperand(index)->get());
    }

    MLIRContext *context = &getContext();
    unsigned numLoops = contraction.getNumLoops();
    AffineMap outputMap =
        contraction.getMatchingIndexingMap(contraction.getDpsInitOperand(0));
    AffineMap reductionMap = AffineMap::get(
        numLoops, 0, rewriter.getAffineDimExpr(reduction), context);

    rewriter.setInsertionPoint(contraction);
    // acc = sum_d q * (gq + oq) * (gk + ok) * k, from zero.
    Value init = contraction.getDpsInitOperand(0)->get();
    Value empty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, init), element);
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getFloatAttr(element, 0.0));
    Value zeros = linalg::FillOp::create(rewriter, loc, ValueRange{zero},
                                         ValueRange{empty})
                      .getResult(0);
    SmallVector<Value> inputs = operands;
    SmallVector<AffineMap> maps = sideMaps;
    SmallVector<double> offsets;
    for (RMSNormOp norm : {qNorm, kNorm}) {
      if (!norm.getWeight())
        continue;
      inputs.push_back(norm.getWeight());
      maps.push_back(reductionMap);
      offsets.push_back(norm.getWeightOffset().convertToDouble());
    }
    maps.push_back(outputMap);
    auto accumulate = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType}, inputs, ValueRange{zeros}, maps,
        contraction.getIteratorTypesArray(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          for (auto [index, offset] : llvm::enumerate(offsets)) {
            Value weight = args[2 + index];
            if (offset != 0.0)
              weight = arith::AddFOp::create(
                  b, l, weight,
                  arith::ConstantOp::create(b, l,
                                            b.getFloatAttr(element, offset)));
            product = arith::MulFOp::create(b, l, product, weight);
          }
          Value sum = arith::AddFOp::create(b, l, args.back(), product);
          linalg::YieldOp::create(b, l, sum);
        });

    // out = init + acc * rq * rk over the output's dimensions.
    unsigned outRank = resultType.getRank();
    AffineMap qStats = getStatisticsMap(sideMaps[0], reductionExpr, outputMap);
    AffineMap kStats = getStatisticsMap(sideMaps[1], reductionExpr, outputMap);
    AffineMap identity = rewriter.getMultiDimIdentityMap(outRank);
    Type statsElement = cast<RankedTensorType>(rq.getType()).getElementType();
    Value outEmpty = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, init), element);
    auto epilogue = linalg::GenericOp::create(
        rewriter, loc, TypeRange{resultType},
        ValueRange{accumulate.getResult(0), rq, rk, init}, ValueRange{outEmpty},
        {identity, qStats, kStats, identity, identity},
        SmallVector<utils::IteratorType>(outRank,
                                         utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value value = castFloat(b, l, args[0], statsElement);
          value = arith::MulFOp::create(b, l, value, args[1]);
          value = arith::MulFOp::create(b, l, value, args[2]);
          value = castFloat(b, l, value, element);
          value = arith::AddFOp::create(b, l, args[3], value);
          linalg::YieldOp::create(b, l, value);
        });
    rewriter.replaceOp(contraction, epilogue.getResult(0));
    return success();
  }
};
} // namespace
