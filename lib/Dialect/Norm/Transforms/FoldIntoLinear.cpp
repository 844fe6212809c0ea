//===- FoldIntoLinear.cpp - Fold inference norms into linear ops ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Folds an affine per-channel normalization with constant parameters into
// the constant weights and a bias of the adjacent convolution or matmul:
//
//   after:   bn(conv(x, W) + b)  ->  conv(x, W * a) + ((b - mean) * a + beta)
//            with a = gamma / sqrt(var + eps) per output channel;
//   before:  conv((x - m) / s, W) ->  conv(x, W / s) - sum(W * m / s)
//            per input channel (exact only without padding).
//
// The new weights and biases are computed here, in double precision, and
// rounded once to the element type.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFOLDINTOLINEARPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
/// A convolution or matmul `op(x, W)` accumulating into an init, with the
/// indexing maps that relate its operands to its loop dimensions.
struct LinearOp {
  mutable linalg::LinalgOp op;
  AffineMap inputMap, weightMap, outputMap;

  OpOperand *getInput() const { return op.getDpsInputOperand(0); }
  OpOperand *getWeight() const { return op.getDpsInputOperand(1); }
  OpOperand *getInit() const { return op.getDpsInitOperand(0); }
  RankedTensorType getWeightType() const {
    return cast<RankedTensorType>(getWeight()->get().getType());
  }
  RankedTensorType getResultType() const {
    return cast<RankedTensorType>(op->getResult(0).getType());
  }
  /// The position of loop dimension `dim` in `map`'s results, if it is one
  /// of them.
  static std::optional<unsigned> positionOf(AffineMap map, unsigned dim) {
    return map.getResultPosition(getAffineDimExpr(dim, map.getContext()));
  }
};
} // namespace

/// Matches the linear ops the pass folds into: linalg.matmul (any indexing
/// maps, so the transposed forms too), linalg.conv_2d_nhwc_hwcf and
/// linalg.conv_2d_nchw_fchw, on tensors, with a static weight shape.
static std::optional<LinearOp> matchLinear(Operation *op) {
  if (!isa_and_nonnull<linalg::MatmulOp, linalg::Conv2DNhwcHwcfOp,
                       linalg::Conv2DNchwFchwOp>(op))
    return std::nullopt;
  auto linalgOp = cast<linalg::LinalgOp>(op);
  if (!linalgOp.hasPureTensorSemantics() || linalgOp.getNumDpsInputs() != 2 ||
      linalgOp.getNumDpsInits() != 1 || op->getNumResults() != 1)
    return std::nullopt;
  LinearOp linear{linalgOp, {}, {}, {}};
  linear.inputMap = linalgOp.getMatchingIndexingMap(linear.getInput());
  linear.weightMap = linalgOp.getMatchingIndexingMap(linear.getWeight());
  linear.outputMap = linalgOp.getMatchingIndexingMap(linear.getInit());
  if (!linear.weightMap.isProjectedPermutation(/*allowZeroInResults=*/false) ||
      !linear.outputMap.isProjectedPermutation(/*allowZeroInResults=*/false))
    return std::nullopt;
  if (!linear.getWeightType().hasStaticShape())
    return std::nullopt;
  return linear;
}

/// The index along dimension `dim` of the element at row-major offset
/// `offset` of a tensor of `shape`.
static int64_t indexAlong(ArrayRef<int64_t> shape, unsigned dim,
                          int64_t offset) {
  int64_t stride = 1;
  for (unsigned d = dim + 1; d < shape.size(); ++d)
    stride *= shape[d];
  return (offset / stride) % shape[dim];
}

/// The elements of the optional constant `value` of `size` elements, or
/// `fill` repeated when `value` is null. Nullopt when `value` is not a
/// constant of that size.
static std::optional<SmallVector<double>>
getParameter(Value value, int64_t size, double fill) {
  if (!value)
    return SmallVector<double>(size, fill);
  std::optional<SmallVector<double>> elements = getConstantElements(value);
  if (!elements || static_cast<int64_t>(elements->size()) != size)
    return std::nullopt;
  return elements;
}

/// The per-channel constant that the init `init` of a linear op holds along
/// dimension `axis` (`channels` long): a splat constant or fill, or a
/// `linalg.broadcast` of a constant vector along `axis`.
static std::optional<SmallVector<double>>
getPerChannelInit(Value init, int64_t axis, int64_t channels) {
  if (std::optional<double> splat = getSplatConstant(init))
    return SmallVector<double>(channels, *splat);
  auto broadcast = init.getDefiningOp<linalg::BroadcastOp>();
  if (!broadcast)
    return std::nullopt;
  int64_t rank = cast<RankedTensorType>(init.getType()).getRank();
  for (int64_t dim = 0; dim < rank; ++dim)
    if ((dim == axis) == llvm::is_contained(broadcast.getDimensions(), dim))
      return std::nullopt;
  return getParameter(broadcast.getInput(), channels, 0.0);
}

/// Whether folding may change the weights of `type`: f32 and f64 always,
/// f16/bf16 only with `foldLowPrecision`.
static bool canFoldElementType(Type type, bool foldLowPrecision) {
  Type element = getElementTypeOrSelf(type);
  if (isa<Float32Type, Float64Type>(element))
    return true;
  return foldLowPrecision && isLowPrecisionFloat(element);
}

/// `init` if it is zero, else a `tensor.empty` of its shape filled with
/// zero.
static Value createZeros(OpBuilder &b, Location loc, Value init) {
  if (std::optional<double> splat = getSplatConstant(init))
    if (*splat == 0.0)
      return init;
  Value like = init;
  auto type = cast<RankedTensorType>(like.getType());
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType());
  Value zero = arith::ConstantOp::create(
      b, loc, b.getFloatAttr(type.getElementType(), 0.0));
  return linalg::FillOp::create(b, loc, ValueRange{zero}, ValueRange{empty})
      .getResult(0);
}

/// A tensor of the shape of `like` holding the constant per-channel `bias`
/// along dimension `axis`: a `linalg.broadcast` of the constant, to serve
/// as the init a linear op accumulates into.
static Value buildBiasInit(OpBuilder &b, Location loc, Value like,
                           ArrayRef<double> bias, int64_t axis) {
  auto type = cast<RankedTensorType>(like.getType());
  auto biasType = RankedTensorType::get({static_cast<int64_t>(bias.size())},
                                        type.getElementType());
  Value biasConstant = arith::ConstantOp::create(
      b, loc, biasType, getFloatElementsAttr(biasType, bias));
  Value empty = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), type.getElementType());
  SmallVector<int64_t> dims;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (dim != axis)
      dims.push_back(dim);
  return linalg::BroadcastOp::create(b, loc, biasConstant, empty, dims)
      ->getResult(0);
}

/// Adds the constant per-channel `bias` along dimension `axis` of `value`
/// and applies `activation` (computed in f32 for f16/bf16) in one
/// elementwise linalg.generic.
static Value buildBiasAdd(OpBuilder &b, Location loc, Value value,
                          ArrayRef<double> bias, int64_t axis,
                          ActivationAttr activation) {
  auto type = cast<RankedTensorType>(value.getType());
  Type elementType = type.getElementType();
  auto biasType =
      RankedTensorType::get({static_cast<int64_t>(bias.size())}, elementType);
  Value biasConstant = arith::ConstantOp::create(
      b, loc, biasType, getFloatElementsAttr(biasType, bias));
  unsigned rank = type.getRank();
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap channel =
      AffineMap::get(rank, 0, b.getAffineDimExpr(axis), b.getContext());
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, value), elementType);
  Type computeType = getStatisticsElementType(elementType);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, ValueRange{value, biasConstant},
      ValueRange{init}, ArrayRef<AffineMap>{identity, channel, identity},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value sum = arith::AddFOp::create(nb, nloc, args[0], args[1]);
        if (activation && !activation.isNone()) {
          if (computeType != elementType)
            sum = arith::ExtFOp::create(nb, nloc, computeType, sum);
          sum = buildActivation(nb, nloc, sum, activation);
          if (computeType != elementType)
            sum = arith::TruncFOp::create(nb, nloc, elementType, sum);
        }
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
}

/// Clones `linear` with its weight replaced by the constant `weight` (of
/// the old weight's type), and its input and init replaced when given.
static Value cloneWithWeight(RewriterBase &rewriter, const LinearOp &linear,
                             ArrayRef<double> weight, Value input, Value init) {
  Location loc = linear.op.getOperation()->getLoc();
  RankedTensorType weightType = linear.getWeightType();
  Value weightConstant = arith::ConstantOp::create(
      rewriter, loc, weightType, getFloatElementsAttr(weightType, weight));
  Operation *clone = rewriter.clone(*linear.op);
  rewriter.modifyOpInPlace(clone, [&] {
    clone->setOperand(linear.getWeight()->getOperandNumber(), weightConstant);
    if (input)
      clone->setOperand(linear.getInput()->getOperandNumber(), input);
    if (init)
      clone->setOperand(linear.getInit()->getOperandNumber(), init);
  });
  return clone->getResult(0);
}

/// Erases `op` if nothing uses it any more.
static void eraseIfDead(RewriterBase &rewriter, Operation *op) {
  if (op && op->use_empty())
    rewriter.eraseOp(op);
}

namespace {
struct NormFoldIntoLinearPass
    : norm::impl::NormFoldIntoLinearPassBase<NormFoldIntoLinearPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      if (isa<BatchNormInferenceOp, StandardizeOp, ImageNormalizeOp>(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : candidates) {
      if (auto bn = dyn_cast<BatchNormInferenceOp>(op)) {
        if (succeeded(foldAfter(rewriter, bn)))
          ++numFoldedAfter;
        continue;
      }
      if (succeeded(foldBefore(rewriter, op)))
        ++numFoldedBefore;
    }
  }

  /// bn(linear(x, W) [+ b]) -> linear(x, W * a) + b'.
  LogicalResult foldAfter(RewriterBase &rewriter, BatchNormInferenceOp bn) {
    if (bn.getResidual())
      return failure();
    Operation *producer = bn.getInput().getDefiningOp();
    if (!producer || !bn.getInput().hasOneUse())
      return failure();
    int64_t axis = bn.getFeatureAxis();

    // An optional bias add between the linear op and the normalization.
    Operation *biasAdd = nullptr;
    std::optional<LinearOp> linear = matchLinear(producer);
    SmallVector<double> addedBias;
    if (!linear) {
      biasAdd = producer;
      for (Value operand : biasAdd->getOperands()) {
        linear = matchLinear(operand.getDefiningOp());
        if (!linear)
          continue;
        auto match = matchBroadcastBiasAdd(biasAdd, operand);
        if (!match || match->second != ArrayRef<int64_t>{axis})
          return failure();
        auto constant = getConstantElements(match->first);
        if (!constant)
          return failure();
        addedBias = *constant;
        break;
      }
      if (!linear)
        return failure();
    }
    Value linearResult = linear->op.getOperation()->getResult(0);
    if (!linearResult.hasOneUse())
      return failure();

    // The channel axis must be the weight's output-channel dimension: a
    // loop dimension of the output and the weight, not of the input.
    auto outDim = dyn_cast<AffineDimExpr>(linear->outputMap.getResult(axis));
    if (!outDim)
      return failure();
    unsigned dim = outDim.getPosition();
    if (linear->inputMap.isFunctionOfDim(dim))
      return failure();
    std::optional<unsigned> weightPos =
        LinearOp::positionOf(linear->weightMap, dim);
    if (!weightPos)
      return failure();
    RankedTensorType weightType = linear->getWeightType();
    RankedTensorType resultType = linear->getResultType();
    if (!canFoldElementType(weightType, foldLowPrecision) ||
        !canFoldElementType(resultType, foldLowPrecision) ||
        resultType != bn.getOutput().getType())
      return failure();
    int64_t channels = weightType.getDimSize(*weightPos);
    if (!addedBias.empty() &&
        static_cast<int64_t>(addedBias.size()) != channels)
      return failure();
    if (addedBias.empty())
      addedBias.assign(channels, 0.0);

    auto weight = getConstantElements(linear->getWeight()->get());
    auto mean = getParameter(bn.getRunningMean(), channels, 0.0);
    auto var = getParameter(bn.getRunningVar(), channels, 0.0);
    auto gamma = getParameter(bn.getWeight(), channels, 1.0);
    auto beta = getParameter(bn.getBias(), channels, 0.0);
    auto initBias = getPerChannelInit(linear->getInit()->get(), axis, channels);
    if (!weight || !mean || !var || !gamma || !beta || !initBias)
      return failure();

    double epsilon = bn.getEpsilon().convertToDouble();
    SmallVector<double> scale(channels), bias(channels);
    for (int64_t c = 0; c < channels; ++c) {
      if ((*var)[c] + epsilon <= 0.0)
        return failure();
      scale[c] = (*gamma)[c] / std::sqrt((*var)[c] + epsilon);
      bias[c] =
          ((*initBias)[c] + addedBias[c] - (*mean)[c]) * scale[c] + (*beta)[c];
    }
    ArrayRef<int64_t> shape = weightType.getShape();
    SmallVector<double> newWeight(*weight);
    for (auto [offset, value] : llvm::enumerate(newWeight))
      value *= scale[indexAlong(shape, *weightPos, offset)];

    // Without an activation the linear op accumulates into the broadcast
    // bias; with one, a single elementwise op adds the bias and applies it.
    Location loc = bn.getLoc();
    rewriter.setInsertionPoint(bn);
    ActivationAttr activation = bn.getActivationAttr();
    bool hasActivation = activation && !activation.isNone();
    Value init = linear->getInit()->get();
    init = hasActivation ? createZeros(rewriter, loc, init)
                         : buildBiasInit(rewriter, loc, init, bias, axis);
    Value result = cloneWithWeight(rewriter, *linear, newWeight,
                                   /*input=*/Value(), init);
    if (hasActivation)
      result = buildBiasAdd(rewriter, loc, result, bias, axis, activation);
    Operation *oldInit = linear->getInit()->get().getDefiningOp();
    rewriter.replaceOp(bn, result);
    eraseIfDead(rewriter, biasAdd);
    eraseIfDead(rewriter, linear->op);
    if (isa_and_nonnull<linalg::BroadcastOp, linalg::FillOp>(oldInit))
      eraseIfDead(rewriter, oldInit);
    return success();
  }

  /// linear(norm(x), W) -> linear(x, W * factor) + b', for a per-input-
  /// channel `norm(x) = x * factor[c] - shift[c]` (standardize,
  /// image_normalize).
  LogicalResult foldBefore(RewriterBase &rewriter, Operation *norm) {
    Value normalized = norm->getResult(0);
    Value input = norm->getOperand(0);
    if (!normalized.hasOneUse() || input.getType() != normalized.getType())
      return failure();
    std::optional<LinearOp> linear =
        matchLinear(*normalized.getUsers().begin());
    if (!linear || linear->getInput()->get() != normalized ||
        linear->getWeight()->get() == normalized)
      return failure();

    // The channel axis of the normalization and its statistics.
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t rank = inputType.getRank();
    int64_t axis;
    Value meanValue, stdValue;
    double inputScale = 1.0;
    bool zeroStdIsOne = false;
    if (auto standardize = dyn_cast<StandardizeOp>(norm)) {
      ArrayRef<int64_t> axes = standardize.getAxes();
      if (static_cast<int64_t>(axes.size()) != rank - 1)
        return failure();
      axis = 0;
      while (llvm::is_contained(axes, axis))
        ++axis;
      meanValue = standardize.getMean();
      stdValue = standardize.getStd();
      zeroStdIsOne = true;
    } else {
      auto image = cast<ImageNormalizeOp>(norm);
      bool nchw = image.getLayout() == ImageLayout::NCHW;
      axis = nchw ? rank - 3 : rank - 1;
      meanValue = image.getMean();
      stdValue = image.getStd();
      inputScale = image.getScale().convertToDouble();
    }

    // The normalized axis must be a reduction dimension of the linear op
    // indexed directly (a convolution's channel, a matmul's K) and a
    // dimension of the weight; the weight's only other parallel dimension
    // is the output channel.
    auto inDim = dyn_cast<AffineDimExpr>(linear->inputMap.getResult(axis));
    if (!inDim)
      return failure();
    SmallVector<utils::IteratorType> iterators =
        linear->op.getIteratorTypesArray();
    if (iterators[inDim.getPosition()] != utils::IteratorType::reduction)
      return failure();
    for (auto [dim, iterator] : llvm::enumerate(iterators))
      if (iterator == utils::IteratorType::reduction &&
          !linear->weightMap.isFunctionOfDim(dim))
        return failure();
    std::optional<unsigned> weightInPos =
        LinearOp::positionOf(linear->weightMap, inDim.getPosition());
    std::optional<unsigned> weightOutPos, outputPos;
    for (auto [pos, expr] : llvm::enumerate(linear->weightMap.getResults())) {
      unsigned dim = cast<AffineDimExpr>(expr).getPosition();
      if (iterators[dim] != utils::IteratorType::parallel)
        continue;
      if (weightOutPos)
        return failure();
      weightOutPos = pos;
      outputPos = LinearOp::positionOf(linear->outputMap, dim);
    }
    if (!weightInPos || !weightOutPos || !outputPos)
      return failure();

    RankedTensorType weightType = linear->getWeightType();
    if (!canFoldElementType(weightType, foldLowPrecision) ||
        !canFoldElementType(linear->getResultType(), foldLowPrecision))
      return failure();
    int64_t inChannels = weightType.getDimSize(*weightInPos);
    int64_t outChannels = weightType.getDimSize(*weightOutPos);
    auto weight = getConstantElements(linear->getWeight()->get());
    auto mean = getParameter(meanValue, inChannels, 0.0);
    auto stddev = getParameter(stdValue, inChannels, 1.0);
    if (!weight || !mean || !stddev)
      return failure();

    // norm(x)[c] = x * factor[c] - shift[c].
    SmallVector<double> factor(inChannels), shift(inChannels);
    for (int64_t c = 0; c < inChannels; ++c) {
      double divisor = (*stddev)[c];
      if (divisor == 0.0) {
        if (!zeroStdIsOne)
          return failure();
        divisor = 1.0;
      }
      factor[c] = inputScale / divisor;
      shift[c] = (*mean)[c] / divisor;
    }
    ArrayRef<int64_t> shape = weightType.getShape();
    SmallVector<double> newWeight(*weight);
    SmallVector<double> bias(outChannels, 0.0);
    for (auto [offset, value] : llvm::enumerate(newWeight)) {
      int64_t c = indexAlong(shape, *weightInPos, offset);
      bias[indexAlong(shape, *weightOutPos, offset)] -= value * shift[c];
      value *= factor[c];
    }

    // An init that is a per-channel constant absorbs the bias; otherwise a
    // bias add follows.
    Location loc = linear->op.getLoc();
    rewriter.setInsertionPoint(linear->op);
    Value init = linear->getInit()->get();
    std::optional<SmallVector<double>> initBias =
        getPerChannelInit(init, *outputPos, outChannels);
    Value result;
    if (initBias) {
      for (auto [value, extra] : llvm::zip(bias, *initBias))
        value += extra;
      result =
          cloneWithWeight(rewriter, *linear, newWeight, input,
                          buildBiasInit(rewriter, loc, init, bias, *outputPos));
    } else {
      result = cloneWithWeight(rewriter, *linear, newWeight, input,
                               /*init=*/Value());
      result = buildBiasAdd(rewriter, loc, result, bias, *outputPos,
                            /*activation=*/ActivationAttr());
    }
    Operation *oldInit = init.getDefiningOp();
    rewriter.replaceOp(linear->op, result);
    eraseIfDead(rewriter, norm);
    if (isa_and_nonnull<linalg::BroadcastOp, linalg::FillOp>(oldInit))
      eraseIfDead(rewriter, oldInit);
    return success();
  }
};
} // namespace
