//===- FlashNorm.cpp - Apply RMS/layer norm after the matmul --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// FlashNorm (Graef et al., 2024): a normalization over the last axis whose
// only use is a matmul with constant weights is moved past the matmul.
// Its weight is folded into the matmul weights and the per-row scale
// (1/rms, and for layer norm the mean term) is applied to the matmul's
// output, so the normalized tensor is never materialized:
//
//   rms_norm(x) @ W    = rstd * (x @ W'),                W' = diag(w) W
//   layer_norm(x) @ W  = rstd * (x @ W' - mean * colsum(W')) + b @ W
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFLASHNORMPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The elements of the optional constant `value` (`size` of them), `fill`
/// when absent.
static std::optional<SmallVector<double>>
getParameter(Value value, int64_t size, double fill) {
  if (!value)
    return SmallVector<double>(size, fill);
  std::optional<SmallVector<double>> elements = getConstantElements(value);
  if (!elements || static_cast<int64_t>(elements->size()) != size)
    return std::nullopt;
  return elements;
}

/// The results of `op` by segment (null where absent).
template <typename OpTy>
static SmallVector<Value> getResultsBySegment(OpTy op) {
  auto segments = op.getProperties().resultSegmentSizes;
  SmallVector<Value> bySegment(segments.size());
  unsigned resultIndex = 0;
  for (auto [index, size] : llvm::enumerate(segments))
    if (size)
      bySegment[index] = op->getResult(resultIndex++);
  return bySegment;
}

/// Recreates the normalization `op` (same operands and attributes) with the
/// result segments `types` (a null type: no result in that segment). Uses
/// of the old results move to the new ones.
template <typename OpTy>
static Operation *rebuildWithResults(RewriterBase &rewriter, OpTy op,
                                     ArrayRef<Type> types) {
  SmallVector<Value> oldBySegment = getResultsBySegment(op);
  typename OpTy::Properties properties = op.getProperties();
  SmallVector<Type> resultTypes;
  for (auto [index, type] : llvm::enumerate(types)) {
    properties.resultSegmentSizes[index] = type ? 1 : 0;
    if (type)
      resultTypes.push_back(type);
  }
  OperationState state(op.getLoc(), op->getName());
  state.addOperands(op->getOperands());
  state.addTypes(resultTypes);
  state.useProperties(properties);
  state.addAttributes(op->getDiscardableAttrDictionary().getValue());
  Operation *newOp = rewriter.create(state);
  unsigned index = 0;
  for (auto [segment, oldValue] : llvm::enumerate(oldBySegment)) {
    if (!types[segment])
      continue;
    if (oldValue)
      rewriter.replaceAllUsesWith(oldValue, newOp->getResult(index));
    ++index;
  }
  return newOp;
}

namespace {
struct NormFlashNormPass
    : norm::impl::NormFlashNormPassBase<NormFlashNormPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      if (isa<LayerNormOp, RMSNormOp>(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : candidates)
      if (succeeded(rewrite(rewriter, op)))
        ++numRewritten;
  }

  /// A matmul reading the normalized value, with its folded constants.
  struct MatmulPlan {
    linalg::MatmulOp matmul;
    int64_t cols;
    DenseElementsAttr newWeight;
    SmallVector<double> colSum, biasProduct;
  };

  /// Checks that `user` computes `C[m, n] += output[m, k] * W[k, n]` with a
  /// constant W (maybe transposed) and folds `gamma + offset` into W.
  FailureOr<MatmulPlan> planMatmul(Operation *user, Value output, int64_t k,
                                   ArrayRef<double> gamma, double offset,
                                   ArrayRef<double> beta) {
    auto matmul = dyn_cast<linalg::MatmulOp>(user);
    if (!matmul || !matmul.hasPureTensorSemantics() ||
        matmul.getDpsInputOperand(0)->get() != output ||
        matmul.getDpsInputOperand(1)->get() == output ||
        matmul.getDpsInitOperand(0)->get() == output)
      return failure();
    auto linalgOp = cast<linalg::LinalgOp>(matmul.getOperation());
    AffineMap inputMap =
        linalgOp.getMatchingIndexingMap(linalgOp.getDpsInputOperand(0));
    AffineMap weightMap =
        linalgOp.getMatchingIndexingMap(linalgOp.getDpsInputOperand(1));
    AffineMap outputMap =
        linalgOp.getMatchingIndexingMap(linalgOp.getDpsInitOperand(0));
    MLIRContext *context = &getContext();
    AffineExpr m = getAffineDimExpr(0, context);
    AffineExpr n = getAffineDimExpr(1, context);
    AffineExpr kDim = getAffineDimExpr(2, context);
    if (inputMap.getResults() != ArrayRef<AffineExpr>{m, kDim} ||
        outputMap.getResults() != ArrayRef<AffineExpr>{m, n})
      return failure();
    bool transposed;
    if (weightMap.getResults() == ArrayRef<AffineExpr>{kDim, n})
      transposed = false;
    else if (weightMap.getResults() == ArrayRef<AffineExpr>{n, kDim})
      transposed = true;
    else
      return failure();

    Value weightValue = matmul.getDpsInputOperand(1)->get();
    auto weightType = cast<RankedTensorType>(weightValue.getType());
    auto resultType = cast<RankedTensorType>(matmul->getResult(0).getType());
    // W's K extent must be the normalized axis' (linalg.matmul's verifier
    // does not compare static sizes: [0, N] against K = 2 verifies).
    if (!weightType.hasStaticShape() ||
        weightType.getDimSize(transposed ? 1 : 0) != k)
      return failure();
    if (!foldLowPrecision &&
        (isLowPrecisionFloat(weightType) || isLowPrecisionFloat(resultType)))
      return failure();
    int64_t cols = weightType.getDimSize(transposed ? 0 : 1);
    auto weight = getConstantElements(weightValue);
    if (!weight)
      return failure();

    // W'[k, n] = (w[k] + offset) * W[k, n], rounded to W's type; the column
    // sums of the rounded W' (layer norm) and b @ W in double.
    auto at = [&](int64_t row, int64_t col) -> int64_t {
      return transposed ? col * k + row : row * cols + col;
    };
    SmallVector<double> newWeight(*weight);
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < cols; ++col)
        newWeight[at(row, col)] *= gamma[row] + offset;
    MatmulPlan plan{matmul, cols, getFloatElementsAttr(weightType, newWeight),
                    SmallVector<double>(cols, 0.0),
                    SmallVector<double>(cols, 0.0)};
    SmallVector<double> rounded =
        llvm::map_to_vector(plan.newWeight.getValues<APFloat>(),
                            [](APFloat value) { return toDouble(value); });
    for (int64_t row = 0; row < k; ++row) {
      for (int64_t col = 0; col < cols; ++col) {
        plan.colSum[col] += rounded[at(row, col)];
        plan.biasProduct[col] += beta[row] * (*weight)[at(row, col)];
      }
    }
    return plan;
  }

  LogicalResult rewrite(RewriterBase &rewriter, Operation *norm) {
    auto layerNorm = dyn_cast<LayerNormOp>(norm);
    auto rmsNorm = dyn_cast<RMSNormOp>(norm);
    Value input = layerNorm ? layerNorm.getInput() : rmsNorm.getInput();
    ArrayRef<int64_t> axes =
        layerNorm ? layerNorm.getAxes() : rmsNorm.getAxes();
    ActivationAttr activation =
        layerNorm ? layerNorm.getActivationAttr() : rmsNorm.getActivationAttr();
    Value residual =
        layerNorm ? layerNorm.getResidual() : rmsNorm.getResidual();
    auto inputType = cast<RankedTensorType>(input.getType());
    if (inputType.getRank() != 2 || axes != ArrayRef<int64_t>{1} ||
        (activation && !activation.isNone()))
      return failure();
    int64_t k = inputType.getDimSize(1);
    Value output = norm->getResult(0);
    if (output.use_empty() || ShapedType::isDynamic(k))
      return failure();
    Value normWeight = layerNorm ? layerNorm.getWeight() : rmsNorm.getWeight();
    double offset = rmsNorm && normWeight
                        ? rmsNorm.getWeightOffset().convertToDouble()
                        : 0.0;
    auto gamma = getParameter(normWeight, k, 1.0);
    auto beta = getParameter(layerNorm ? layerNorm.getBias() : Value(), k, 0.0);
    if (!gamma || !beta)
      return failure();
    bool hasBias = layerNorm && layerNorm.getBias();

    // Every use must be such a matmul (several: the Q, K and V projections
    // of a pre-norm block share one statistics computation).
    SmallVector<MatmulPlan> plans;
    for (Operation *user : output.getUsers()) {
      FailureOr<MatmulPlan> plan =
          planMatmul(user, output, k, *gamma, offset, *beta);
      if (failed(plan))
        return failure();
      plans.push_back(std::move(*plan));
    }

    // The normalization, now producing its statistics (and the residual
    // sum, which the matmuls read instead of x).
    Type statsElement = getStatisticsElementType(inputType.getElementType());
    auto statsType =
        RankedTensorType::get({inputType.getDimSize(0), 1}, statsElement);
    rewriter.setInsertionPoint(norm);
    Operation *newNorm;
    Value mean, rstd, matmulInput = input;
    if (layerNorm) {
      newNorm = rebuildWithResults(
          rewriter, layerNorm,
          {inputType, statsType, statsType, residual ? inputType : Type()});
      mean = newNorm->getResult(1);
      rstd = newNorm->getResult(2);
      if (residual)
        matmulInput = newNorm->getResult(3);
    } else {
      newNorm = rebuildWithResults(
          rewriter, rmsNorm,
          {inputType, statsType, residual ? inputType : Type()});
      rstd = newNorm->getResult(1);
      if (residual)
        matmulInput = newNorm->getResult(2);
    }
    for (MatmulPlan &plan : plans)
      rewriteMatmul(rewriter, plan, matmulInput, mean, rstd, hasBias,
                    statsElement);
    rewriter.eraseOp(norm);
    return success();
  }

  /// acc = x @ W' from zero; out = C + rstd * (acc - mean * colsum) + b @ W.
  void rewriteMatmul(RewriterBase &rewriter, MatmulPlan &plan,
                     Value matmulInput, Value mean, Value rstd, bool hasBias,
                     Type statsElement) {
    linalg::MatmulOp matmul = plan.matmul;
    MLIRContext *context = &getContext();
    AffineExpr m = getAffineDimExpr(0, context);
    AffineExpr n = getAffineDimExpr(1, context);
    auto resultType = cast<RankedTensorType>(matmul->getResult(0).getType());
    int64_t cols = plan.cols;
    bool layerNorm = static_cast<bool>(mean);
    rewriter.setInsertionPoint(matmul);
    Location mmLoc = matmul.getLoc();
    Value init = matmul.getDpsInitOperand(0)->get();
    std::optional<double> initSplat = getSplatConstant(init);
    bool addInit = !initSplat || *initSplat != 0.0;
    // The matmul accumulates from zero into a tensor of its own (row tiling
    // fuses it into the epilogue's tiles: a tile stays in cache); the
    // epilogue writes the destination: the original accumulator C when it
    // is added (read through the epilogue's output), else the tensor the
    // zero fill wrote (the caller's destination), else a new one.
    auto newTensor = [&]() -> Value {
      return tensor::EmptyOp::create(
          rewriter, mmLoc, tensor::getMixedSizes(rewriter, mmLoc, init),
          resultType.getElementType());
    };
    Value destination = init;
    if (!addInit) {
      auto fill = init.getDefiningOp<linalg::FillOp>();
      destination = fill ? fill.getOutputs()[0] : newTensor();
    }
    Value zero = arith::ConstantOp::create(
        rewriter, mmLoc,
        rewriter.getFloatAttr(resultType.getElementType(), 0.0));
    Value zeros = linalg::FillOp::create(rewriter, mmLoc, ValueRange{zero},
                                         ValueRange{newTensor()})
                      .getResult(0);
    Value weightConstant =
        arith::ConstantOp::create(rewriter, mmLoc, plan.newWeight);
    Operation *newMatmul = rewriter.clone(*matmul);
    rewriter.modifyOpInPlace(newMatmul, [&] {
      newMatmul->setOperand(0, matmulInput);
      newMatmul->setOperand(1, weightConstant);
      newMatmul->setOperand(2, zeros);
    });

    SmallVector<ReassociationIndices> collapse = {{0, 1}};
    auto toRows = [&](Value stats) -> Value {
      return tensor::CollapseShapeOp::create(rewriter, mmLoc, stats, collapse);
    };
    auto rowConstant = [&](ArrayRef<double> values) -> Value {
      auto type = RankedTensorType::get({cols}, statsElement);
      return arith::ConstantOp::create(rewriter, mmLoc, type,
                                       getFloatElementsAttr(type, values));
    };
    AffineMap identity = rewriter.getMultiDimIdentityMap(2);
    AffineMap rowMap = AffineMap::get(2, 0, m, context);
    AffineMap colMap = AffineMap::get(2, 0, n, context);
    SmallVector<Value> inputs = {newMatmul->getResult(0), toRows(rstd)};
    SmallVector<AffineMap> maps = {identity, rowMap};
    if (layerNorm) {
      inputs.append({toRows(mean), rowConstant(plan.colSum)});
      maps.append({rowMap, colMap});
    }
    if (hasBias) {
      inputs.push_back(rowConstant(plan.biasProduct));
      maps.push_back(colMap);
    }
    maps.push_back(identity);
    Type element = resultType.getElementType();
    auto epilogue = linalg::GenericOp::create(
        rewriter, mmLoc, TypeRange{resultType}, inputs, ValueRange{destination},
        maps,
        SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value value = castFloat(b, l, args[0], statsElement);
          unsigned next = 2;
          if (layerNorm) {
            Value shift =
                arith::MulFOp::create(b, l, args[next], args[next + 1]);
            value = arith::SubFOp::create(b, l, value, shift);
            next += 2;
          }
          value = arith::MulFOp::create(b, l, value, args[1]);
          if (hasBias)
            value = arith::AddFOp::create(b, l, value, args[next++]);
          if (addInit)
            value = arith::AddFOp::create(
                b, l, value, castFloat(b, l, args.back(), statsElement));
          linalg::YieldOp::create(b, l, castFloat(b, l, value, element));
        });
    rewriter.replaceOp(matmul, epilogue.getResult(0));
  }
};
} // namespace
