//===- GradToLinalg.cpp - Backward normalizations to linalg ---------------===//
//
// Part of norm-mlir. Lowers the backward ops (layer_norm_grad,
// rms_norm_grad, batch_norm_grad, group_norm_grad, inplace_abn_grad) and the
// micro-batch statistics (batch_stats, batch_stats_merge) to linalg.generic
// on tensors.
//
// Every backward op is one computation over an iteration space (the input,
// or for group_norm_grad the input with its channels split into [G, C/G]).
// Each payload recomputes, from dy, the saved input (or for inplace_abn the
// saved output), the statistics and the parameters:
//
//   xhat  = (s - mean) * rstd          (s * rstd for rms_norm; for
//                                       inplace_abn (act^-1(y) - b) / w')
//   pre   = xhat * w' + b
//   dpre  = dy * act'(pre)
//   dxhat = dpre * w'
//
// and three generics combine them:
//
//   param sums  db = sum(dpre), dw = sum(dpre * xhat) over every dimension
//               the parameters broadcast along;
//   norm sums   A = sum(dxhat), B = sum(dxhat * xhat) over the normalized
//               dimensions (for batch norm these are w' * db and w' * dw,
//               so the param sums serve both);
//   dx          rstd * (dxhat - A / n - xhat * B / n) [+ residual_sum_grad].
//
// Payloads compute in f32 for f16/bf16 inputs (in the input type otherwise):
// the sums accumulate in that type and only the results are truncated.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "norm/Conversion/NormToLinalg/NormToLinalg.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::detail;

//===----------------------------------------------------------------------===//
// Helpers.
//===----------------------------------------------------------------------===//

/// Drops the unit dimensions that layer_norm and rms_norm keep in their
/// statistics (`reduced` marks them), the inverse of the forward lowering's
/// keep-dims expansion.
static Value collapseKeptDims(OpBuilder &b, Location loc, Value stats,
                              ArrayRef<bool> reduced) {
  auto type = cast<RankedTensorType>(stats.getType());
  // A `?` where the statistics keep a 1 (a dynamically typed argument): cast
  // to the 1 first, so that the collapse drops a unit dimension.
  SmallVector<int64_t> unitShape(type.getShape());
  for (auto [dim, isReduced] : llvm::enumerate(reduced))
    if (isReduced)
      unitShape[dim] = 1;
  if (unitShape != type.getShape()) {
    type = RankedTensorType::get(unitShape, type.getElementType());
    stats = tensor::CastOp::create(b, loc, type, stats);
  }
  SmallVector<int64_t> shape;
  for (int64_t dim : unmaskedDims(reduced))
    shape.push_back(type.getDimSize(dim));
  auto newType = RankedTensorType::get(shape, type.getElementType());
  return tensor::CollapseShapeOp::create(b, loc, newType, stats,
                                         getKeepDimsReassociation(reduced));
}

/// Casts a compute-type tensor to `type` (element type and static shape).
static Value castResult(OpBuilder &b, Location loc, Value value, Type type) {
  auto resultType = cast<RankedTensorType>(type);
  Type elementType = resultType.getElementType();
  if (cast<RankedTensorType>(value.getType()).getElementType() != elementType)
    value = buildElementwise(
        b, loc, value, b.getMultiDimIdentityMap(resultType.getRank()),
        tensor::getMixedSizes(b, loc, value), elementType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          return castFloat(nb, nloc, args[0], elementType);
        });
  return castToType(b, loc, value, type);
}

//===----------------------------------------------------------------------===//
// The backward computation.
//===----------------------------------------------------------------------===//

namespace {
/// One backward normalization in its iteration space.
struct GradProblem {
  Value dy;
  /// The saved input (or, with `fromOutput`, the saved output).
  Value x;
  Value residual;
  Value residualSumGrad;
  /// Statistics in the compact statistics space, read through `statsMap`.
  Value mean;
  Value rstd;
  AffineMap statsMap;
  /// The dimensions normalized over.
  SmallVector<bool> reduced;
  Value weight;
  Value bias;
  /// Reads weight and bias, and writes their gradients.
  AffineMap paramMap;
  /// The dimensions weight and bias broadcast along.
  SmallVector<bool> paramReduced;
  double weightOffset = 0.0;
  ActivationAttr activation;
  /// inplace_abn: `x` is the output; invert the activation.
  bool fromOutput = false;
  /// Write grad_input into the buffer of `dy`.
  bool inPlace = false;
  /// Micro-batch form of batch_norm_grad / inplace_abn_grad: whole-batch
  /// sums and count.
  Value sumDpre;
  Value sumDpreXhat;
  Value count;
  Type computeType;

  unsigned getRank() const {
    return cast<RankedTensorType>(x.getType()).getRank();
  }
  /// Whether the normalized set and the parameter sums coincide (batch
  /// norm), so that A = w' * db and B = w' * dw.
  bool paramSumsAreNormSums() const { return reduced == paramReduced; }
};

/// The per-element quantities a payload recomputes.
struct Local {
  Value xhat;
  Value dpre;
  /// w' (weight + offset), null without weight.
  Value weight;
  Value rstd;
};

/// The operands every generic reads through identity, statistics and
/// parameter maps, and the payload code that turns them into a `Local`.
class GradOperands {
public:
  GradOperands(OpBuilder &b, const GradProblem &p, bool dyFromInit)
      : p(p), dyFromInit(dyFromInit) {
    AffineMap identity = b.getMultiDimIdentityMap(p.getRank());
    if (!dyFromInit)
      add(p.dy, identity);
    add(p.x, identity);
    add(p.residual, identity);
    add(p.mean, p.statsMap);
    add(p.rstd, p.statsMap);
    add(p.weight, p.paramMap);
    add(p.bias, p.paramMap);
  }

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;

  /// Reads the operands from the front of `args` (and dy from `init` when
  /// it is the init operand) and computes the local quantities.
  Local load(OpBuilder &b, Location loc, ValueRange &args, Value init) const {
    Type type = p.computeType;
    auto take = [&]() {
      Value value = args.front();
      args = args.drop_front();
      return value;
    };
    auto takeCast = [&]() { return castFloat(b, loc, take(), type); };
    Value dy = castFloat(b, loc, dyFromInit ? init : take(), type);
    Value s = take();
    if (p.residual)
      s = arith::AddFOp::create(b, loc, s, take());
    s = castFloat(b, loc, s, type);
    Value mean = p.mean ? takeCast() : Value();
    Local local;
    local.rstd = takeCast();
    if (p.weight) {
      local.weight = takeCast();
      if (p.weightOffset != 0.0)
        local.weight = arith::AddFOp::create(
            b, loc, local.weight, floatConstant(b, loc, type, p.weightOffset));
    }
    Value bias = p.bias ? takeCast() : Value();

    bool hasActivation = p.activation && !p.activation.isNone();
    Value pre;
    if (p.fromOutput) {
      pre = buildActivationInverse(b, loc, s, p.activation);
      Value centred = bias ? arith::SubFOp::create(b, loc, pre, bias) : pre;
      local.xhat = local.weight
                       ? arith::DivFOp::create(b, loc, centred, local.weight)
                       : centred;
    } else {
      Value centred = mean ? arith::SubFOp::create(b, loc, s, mean) : s;
      local.xhat = arith::MulFOp::create(b, loc, centred, local.rstd);
      if (hasActivation) {
        pre = local.weight
                  ? arith::MulFOp::create(b, loc, local.xhat, local.weight)
                  : local.xhat;
        if (bias)
          pre = arith::AddFOp::create(b, loc, pre, bias);
      }
    }
    local.dpre = dy;
    if (hasActivation)
      local.dpre = arith::MulFOp::create(
          b, loc, dy, buildActivationDerivative(b, loc, pre, p.activation));
    return local;
  }

private:
  void add(Value value, AffineMap map) {
    if (!value)
      return;
    inputs.push_back(value);
    maps.push_back(map);
  }

  const GradProblem &p;
  bool dyFromInit;
};
} // namespace

/// Sums, over the dimensions `reduced`, `sum(v)` and `sum(v * xhat)` with
/// `v = dpre` (`scaleByWeight` false: the parameter gradients) or
/// `v = dxhat` (true). `wantFirst`/`wantSecond` select the sums returned
/// (null when not wanted), in the compute type and the space of the
/// non-reduced dimensions.
static std::pair<Value, Value> buildSums(OpBuilder &b, Location loc,
                                         const GradProblem &p,
                                         ArrayRef<bool> reduced,
                                         bool scaleByWeight, bool wantFirst,
                                         bool wantSecond) {
  MLIRContext *context = b.getContext();
  unsigned rank = p.getRank();
  SmallVector<int64_t> kept = unmaskedDims(reduced);
  SmallVector<OpFoldResult> sizes = llvm::map_to_vector(kept, [&](int64_t dim) {
    return tensor::getMixedSize(b, loc, p.x, dim);
  });
  // The second accumulator starts at -0.0, the other additive identity of
  // IEEE arithmetic, so that CSE does not merge the two inits into one
  // tensor (which bufferization would then copy for each output).
  SmallVector<Value> inits;
  if (wantFirst)
    inits.push_back(createFilled(b, loc, sizes, p.computeType, 0.0));
  if (wantSecond)
    inits.push_back(createFilled(b, loc, sizes, p.computeType, -0.0));

  GradOperands operands(b, p, /*dyFromInit=*/false);
  SmallVector<AffineMap> maps = operands.maps;
  maps.append(inits.size(), projection(context, rank, kept));
  SmallVector<utils::IteratorType> iterators =
      llvm::map_to_vector(reduced, [](bool isReduced) {
        return isReduced ? utils::IteratorType::reduction
                         : utils::IteratorType::parallel;
      });
  unsigned numInputs = operands.inputs.size();
  linalg::GenericOp generic = buildGeneric(
      b, loc, operands.inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        ValueRange ins = args.take_front(numInputs);
        ValueRange accs = args.drop_front(numInputs);
        Local local = operands.load(nb, nloc, ins, Value());
        Value v = local.dpre;
        if (scaleByWeight && local.weight)
          v = arith::MulFOp::create(nb, nloc, v, local.weight);
        SmallVector<Value> sums;
        if (wantFirst)
          sums.push_back(arith::AddFOp::create(nb, nloc, accs[sums.size()], v));
        if (wantSecond) {
          Value vx = arith::MulFOp::create(nb, nloc, v, local.xhat);
          sums.push_back(
              arith::AddFOp::create(nb, nloc, accs[sums.size()], vx));
        }
        return sums;
      });
  Value first = wantFirst ? generic.getResult(0) : Value();
  Value second = wantSecond ? generic.getResult(wantFirst ? 1 : 0) : Value();
  return {first, second};
}

/// The gradients of `p`: grad_input (in the type of `x`, in the iteration
/// space), and grad_weight / grad_bias (compute type, parameter space) when
/// `wantWeight` / `wantBias`.
static SmallVector<Value> buildGrad(OpBuilder &b, Location loc,
                                    const GradProblem &p, bool wantWeight,
                                    bool wantBias) {
  unsigned rank = p.getRank();
  Type type = p.computeType;
  bool centred = p.mean || p.fromOutput;

  // The sums over the normalized dimensions, A = sum(dxhat) and
  // B = sum(dxhat * xhat), as `scale * sumA`, `scale * sumB` where `scale`
  // is w' when they come from parameter-style sums (batch norm).
  Value gradWeight, gradBias, sumA, sumB, count;
  bool scaleSums = false;
  if (p.sumDpre) {
    sumA = p.sumDpre;
    sumB = p.sumDpreXhat;
    scaleSums = true;
    count = castFloat(b, loc, tensor::ExtractOp::create(b, loc, p.count), type);
    if (wantWeight || wantBias)
      std::tie(gradBias, gradWeight) =
          buildSums(b, loc, p, p.paramReduced, /*scaleByWeight=*/false,
                    wantBias, wantWeight);
  } else if (p.paramSumsAreNormSums()) {
    std::tie(gradBias, gradWeight) =
        buildSums(b, loc, p, p.paramReduced, /*scaleByWeight=*/false,
                  /*wantFirst=*/true, /*wantSecond=*/true);
    sumA = gradBias;
    sumB = gradWeight;
    scaleSums = true;
  } else {
    std::tie(sumA, sumB) =
        buildSums(b, loc, p, p.reduced, /*scaleByWeight=*/true,
                  /*wantFirst=*/centred, /*wantSecond=*/true);
    if (wantWeight || wantBias)
      std::tie(gradBias, gradWeight) =
          buildSums(b, loc, p, p.paramReduced, /*scaleByWeight=*/false,
                    wantBias, wantWeight);
  }
  if (!count)
    count = buildReducedCount(b, loc, p.x, p.reduced, type);
  if (!centred)
    sumA = Value();

  // grad_input = rstd * (dxhat - A / n - xhat * B / n) [+ dsum].
  GradOperands operands(b, p, /*dyFromInit=*/p.inPlace);
  SmallVector<Value> inputs = operands.inputs;
  SmallVector<AffineMap> maps = operands.maps;
  AffineMap sumsMap =
      p.sumDpre || p.paramSumsAreNormSums() ? p.paramMap : p.statsMap;
  if (sumA) {
    inputs.push_back(sumA);
    maps.push_back(sumsMap);
  }
  inputs.push_back(sumB);
  maps.push_back(sumsMap);
  if (p.residualSumGrad) {
    inputs.push_back(p.residualSumGrad);
    maps.push_back(b.getMultiDimIdentityMap(rank));
  }
  Type elementType = cast<RankedTensorType>(p.x.getType()).getElementType();
  Value init =
      p.inPlace ? p.dy
                : tensor::EmptyOp::create(
                      b, loc, tensor::getMixedSizes(b, loc, p.x), elementType)
                      .getResult();
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  unsigned numOperands = operands.inputs.size();
  linalg::GenericOp generic = buildGeneric(
      b, loc, inputs, init, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        ValueRange ins = args.take_front(numOperands);
        ValueRange rest = args.drop_front(numOperands);
        Local local = operands.load(nb, nloc, ins, args.back());
        Value dxhat = local.weight ? arith::MulFOp::create(nb, nloc, local.dpre,
                                                           local.weight)
                                   : local.dpre;
        auto nextSum = [&]() {
          Value sum = castFloat(nb, nloc, rest.front(), type);
          rest = rest.drop_front();
          if (scaleSums && local.weight)
            sum = arith::MulFOp::create(nb, nloc, sum, local.weight);
          return arith::DivFOp::create(nb, nloc, sum, count);
        };
        Value value = dxhat;
        if (sumA)
          value = arith::SubFOp::create(nb, nloc, value, nextSum());
        Value meanB = nextSum();
        value = arith::SubFOp::create(
            nb, nloc, value,
            arith::MulFOp::create(nb, nloc, local.xhat, meanB));
        value = arith::MulFOp::create(nb, nloc, value, local.rstd);
        if (p.residualSumGrad)
          value = arith::AddFOp::create(
              nb, nloc, value, castFloat(nb, nloc, rest.front(), type));
        return SmallVector<Value>{castFloat(nb, nloc, value, elementType)};
      });

  SmallVector<Value> results = {generic.getResult(0)};
  if (wantWeight)
    results.push_back(gradWeight);
  if (wantBias)
    results.push_back(gradBias);
  return results;
}

/// Replaces `op` by `values` cast to its result types.
static void replaceWithResults(PatternRewriter &rewriter, Operation *op,
                               SmallVector<Value> values) {
  for (auto [index, result] : llvm::enumerate(op->getResults()))
    values[index] =
        castResult(rewriter, op->getLoc(), values[index], result.getType());
  rewriter.replaceOp(op, values);
}

/// The mask of every dimension but `dims`.
static SmallVector<bool> maskAllBut(ArrayRef<int64_t> dims, unsigned rank) {
  SmallVector<bool> mask(rank, true);
  for (int64_t dim : dims)
    mask[dim] = false;
  return mask;
}

//===----------------------------------------------------------------------===//
// Patterns.
//===----------------------------------------------------------------------===//

/// Fills the fields of a layer_norm_grad / rms_norm_grad problem.
static GradProblem axesProblem(OpBuilder &b, Location loc, Value dy, Value x,
                               Value residual, Value mean, Value rstd,
                               ArrayRef<int64_t> axes) {
  GradProblem p;
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  p.dy = dy;
  p.x = x;
  p.residual = residual;
  p.reduced = maskOf(axes, rank);
  p.paramReduced = maskAllBut(axes, rank);
  p.mean = mean ? collapseKeptDims(b, loc, mean, p.reduced) : Value();
  p.rstd = collapseKeptDims(b, loc, rstd, p.reduced);
  p.statsMap = projection(b.getContext(), rank, unmaskedDims(p.reduced));
  p.paramMap = projection(b.getContext(), rank, axes);
  p.computeType = getStatisticsElementType(
      cast<RankedTensorType>(x.getType()).getElementType());
  return p;
}

/// Fills the fields of a batch_norm_grad / inplace_abn_grad problem.
static GradProblem channelProblem(OpBuilder &b, Value dy, Value x,
                                  int64_t featureAxis) {
  GradProblem p;
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  p.dy = dy;
  p.x = x;
  p.reduced = maskAllBut({featureAxis}, rank);
  p.paramReduced = p.reduced;
  p.statsMap = projection(b.getContext(), rank, {featureAxis});
  p.paramMap = p.statsMap;
  p.computeType = getStatisticsElementType(
      cast<RankedTensorType>(x.getType()).getElementType());
  return p;
}

namespace {
struct LayerNormGradLowering : OpRewritePattern<LayerNormGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerNormGradOp op,
                                PatternRewriter &rewriter) const override {
    GradProblem p =
        axesProblem(rewriter, op.getLoc(), op.getGradOutput(), op.getInput(),
                    op.getResidual(), op.getMean(), op.getRstd(), op.getAxes());
    p.weight = op.getWeight();
    p.bias = op.getBias();
    p.residualSumGrad = op.getResidualSumGrad();
    p.activation = op.getActivationAttr();
    replaceWithResults(rewriter, op,
                       buildGrad(rewriter, op.getLoc(), p,
                                 static_cast<bool>(op.getGradWeight()),
                                 static_cast<bool>(op.getGradBias())));
    return success();
  }
};

struct RMSNormGradLowering : OpRewritePattern<RMSNormGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormGradOp op,
                                PatternRewriter &rewriter) const override {
    GradProblem p = axesProblem(rewriter, op.getLoc(), op.getGradOutput(),
                                op.getInput(), op.getResidual(),
                                /*mean=*/Value(), op.getRstd(), op.getAxes());
    p.weight = op.getWeight();
    p.weightOffset = op.getWeightOffset().convertToDouble();
    p.residualSumGrad = op.getResidualSumGrad();
    p.activation = op.getActivationAttr();
    replaceWithResults(rewriter, op,
                       buildGrad(rewriter, op.getLoc(), p,
                                 static_cast<bool>(op.getGradWeight()),
                                 /*wantBias=*/false));
    return success();
  }
};

struct BatchNormGradLowering : OpRewritePattern<BatchNormGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormGradOp op,
                                PatternRewriter &rewriter) const override {
    GradProblem p = channelProblem(rewriter, op.getGradOutput(), op.getInput(),
                                   op.getFeatureAxis());
    p.residual = op.getResidual();
    p.mean = op.getMean();
    p.rstd = op.getRstd();
    p.weight = op.getWeight();
    p.bias = op.getBias();
    p.residualSumGrad = op.getResidualSumGrad();
    p.activation = op.getActivationAttr();
    p.sumDpre = op.getSumDpre();
    p.sumDpreXhat = op.getSumDpreXhat();
    p.count = op.getCount();
    replaceWithResults(rewriter, op,
                       buildGrad(rewriter, op.getLoc(), p,
                                 static_cast<bool>(op.getGradWeight()),
                                 static_cast<bool>(op.getGradBias())));
    return success();
  }
};

/// Lowers norm.inplace_abn_grad: batch_norm_grad from the output, writing
/// grad_input into grad_output's tensor so that bufferization can reuse its
/// buffer.
struct InplaceABNGradLowering : OpRewritePattern<InplaceABNGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(InplaceABNGradOp op,
                                PatternRewriter &rewriter) const override {
    GradProblem p = channelProblem(rewriter, op.getGradOutput(), op.getOutput(),
                                   op.getFeatureAxis());
    p.rstd = op.getRstd();
    p.weight = op.getWeight();
    p.bias = op.getBias();
    p.activation = op.getActivationAttr();
    p.fromOutput = true;
    p.inPlace = true;
    p.sumDpre = op.getSumDpre();
    p.sumDpreXhat = op.getSumDpreXhat();
    p.count = op.getCount();
    replaceWithResults(rewriter, op,
                       buildGrad(rewriter, op.getLoc(), p,
                                 static_cast<bool>(op.getGradWeight()),
                                 static_cast<bool>(op.getGradBias())));
    return success();
  }
};

/// Lowers norm.group_norm_grad on the input with its channels split into
/// [G, C/G].
struct GroupNormGradLowering : OpRewritePattern<GroupNormGradOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GroupNormGradOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    int64_t axis = op.getChannelAxis();
    int64_t groups = op.getNumGroups();
    auto split = [&](Value value, int64_t dim) {
      return value ? splitChannels(rewriter, loc, value, dim, groups) : Value();
    };
    GradProblem p;
    p.dy = split(op.getGradOutput(), axis);
    p.x = split(op.getInput(), axis);
    p.residual = split(op.getResidual(), axis);
    p.residualSumGrad = split(op.getResidualSumGrad(), axis);
    unsigned rank = p.getRank();
    p.reduced = maskAllBut({0, axis}, rank);
    p.paramReduced = maskAllBut({axis, axis + 1}, rank);
    p.mean = op.getMean();
    p.rstd = op.getRstd();
    p.statsMap = projection(context, rank, {0, axis});
    p.weight = split(op.getWeight(), 0);
    p.bias = split(op.getBias(), 0);
    p.paramMap = projection(context, rank, {axis, axis + 1});
    p.activation = op.getActivationAttr();
    p.computeType =
        getStatisticsElementType(op.getInput().getType().getElementType());
    bool wantWeight = static_cast<bool>(op.getGradWeight());
    bool wantBias = static_cast<bool>(op.getGradBias());
    SmallVector<Value> results =
        buildGrad(rewriter, loc, p, wantWeight, wantBias);
    results[0] = mergeChannels(rewriter, loc, results[0], axis);
    for (Value &param : llvm::drop_begin(results))
      param = mergeChannels(rewriter, loc, param, 0);
    replaceWithResults(rewriter, op, results);
    return success();
  }
};

/// Lowers norm.batch_stats: count, mean and centred sum of squares per
/// channel (two passes, as the forward batch norm).
struct BatchStatsLowering : OpRewritePattern<BatchStatsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchStatsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value x = op.getInput();
    unsigned rank = op.getInput().getType().getRank();
    int64_t axis = op.getFeatureAxis();
    Type type =
        getStatisticsElementType(op.getInput().getType().getElementType());
    SmallVector<bool> reduced = maskAllBut({axis}, rank);
    Value count = buildReducedCount(rewriter, loc, x, reduced, type);
    SmallVector<OpFoldResult> sizes = {
        tensor::getMixedSize(rewriter, loc, x, axis)};
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap channel = projection(context, rank, {axis});
    SmallVector<utils::IteratorType> iterators =
        llvm::map_to_vector(reduced, [](bool isReduced) {
          return isReduced ? utils::IteratorType::reduction
                           : utils::IteratorType::parallel;
        });
    Value sum =
        buildGeneric(rewriter, loc, x,
                     createFilled(rewriter, loc, sizes, type, 0.0),
                     {identity, channel}, iterators,
                     [&](OpBuilder &nb, Location nloc, ValueRange args) {
                       Value v = castFloat(nb, nloc, args[0], type);
                       return SmallVector<Value>{
                           arith::AddFOp::create(nb, nloc, args[1], v)};
                     })
            .getResult(0);
    AffineMap vector = rewriter.getMultiDimIdentityMap(1);
    Value mean = buildElementwise(
        rewriter, loc, sum, {vector}, sizes, type,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          return arith::DivFOp::create(nb, nloc, args[0], count);
        });
    Value m2 = buildGeneric(rewriter, loc, ValueRange{x, mean},
                            createFilled(rewriter, loc, sizes, type, 0.0),
                            {identity, channel, channel}, iterators,
                            [&](OpBuilder &nb, Location nloc, ValueRange args) {
                              Value v = castFloat(nb, nloc, args[0], type);
                              Value d =
                                  arith::SubFOp::create(nb, nloc, v, args[1]);
                              Value sq = arith::MulFOp::create(nb, nloc, d, d);
                              return SmallVector<Value>{
                                  arith::AddFOp::create(nb, nloc, args[2], sq)};
                            })
                   .getResult(0);
    Value countTensor = tensor::FromElementsOp::create(
        rewriter, loc, RankedTensorType::get({}, type), count);
    replaceWithResults(rewriter, op, {countTensor, mean, m2});
    return success();
  }
};

/// Lowers norm.batch_stats_merge to one elementwise generic over the
/// channels (Chan et al.'s pairwise update).
struct BatchStatsMergeLowering : OpRewritePattern<BatchStatsMergeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchStatsMergeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type type = op.getMean().getType().getElementType();
    Value countA = tensor::ExtractOp::create(rewriter, loc, op.getCountA());
    Value countB = tensor::ExtractOp::create(rewriter, loc, op.getCountB());
    Value count = arith::AddFOp::create(rewriter, loc, countA, countB);
    Value weightB = arith::DivFOp::create(rewriter, loc, countB, count);
    Value cross = arith::DivFOp::create(
        rewriter, loc, arith::MulFOp::create(rewriter, loc, countA, countB),
        count);
    bool wantVar = static_cast<bool>(op.getVar());
    SmallVector<OpFoldResult> sizes =
        tensor::getMixedSizes(rewriter, loc, op.getMeanA());
    AffineMap vector = rewriter.getMultiDimIdentityMap(1);
    SmallVector<Value> inits(wantVar ? 3 : 2);
    for (Value &init : inits)
      init = tensor::EmptyOp::create(rewriter, loc, sizes, type);
    linalg::GenericOp generic = buildGeneric(
        rewriter, loc,
        ValueRange{op.getMeanA(), op.getM2A(), op.getMeanB(), op.getM2B()},
        inits, SmallVector<AffineMap>(4 + inits.size(), vector),
        {utils::IteratorType::parallel},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value delta = arith::SubFOp::create(nb, nloc, args[2], args[0]);
          Value mean = arith::AddFOp::create(
              nb, nloc, args[0],
              arith::MulFOp::create(nb, nloc, delta, weightB));
          Value m2 = arith::AddFOp::create(
              nb, nloc, arith::AddFOp::create(nb, nloc, args[1], args[3]),
              arith::MulFOp::create(
                  nb, nloc, arith::MulFOp::create(nb, nloc, delta, delta),
                  cross));
          SmallVector<Value> results = {mean, m2};
          if (wantVar)
            results.push_back(arith::DivFOp::create(nb, nloc, m2, count));
          return results;
        });
    SmallVector<Value> results = {
        tensor::FromElementsOp::create(rewriter, loc, op.getCount().getType(),
                                       count),
        generic.getResult(0), generic.getResult(1)};
    if (wantVar)
      results.push_back(generic.getResult(2));
    replaceWithResults(rewriter, op, results);
    return success();
  }
};
} // namespace

void mlir::norm::populateNormGradToLinalgPatterns(RewritePatternSet &patterns) {
  patterns
      .add<LayerNormGradLowering, RMSNormGradLowering, BatchNormGradLowering,
           InplaceABNGradLowering, GroupNormGradLowering, BatchStatsLowering,
           BatchStatsMergeLowering>(patterns.getContext());
}
