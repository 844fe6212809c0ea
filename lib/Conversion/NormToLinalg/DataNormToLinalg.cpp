//===- DataNormToLinalg.cpp - Lower data normalizations to linalg ---------===//
//
// Part of norm-mlir. Lowers the data normalizations (moments, min_max,
// standardize, min_max_scale, image_normalize) to linalg.generic on tensors.
//
// The fitting ops reduce over their `axes`; the statistics space is the input
// without those dimensions:
//
//   moments:  sum  = reduce(x)                 mean = sum / n
//             sq   = reduce((x - mean)^2)      std  = sqrt(sq / (n - ddof))
//   min_max:  min  = reduce(minimumf)          max  = reduce(maximumf)
//
// The variance is the stable two-pass form (the mean first), never
// E[x^2] - E[x]^2. The applying ops are one elementwise linalg.generic each,
// reading the statistics through a projection of the iteration space.
// Payloads compute in f32 for f16/bf16 (in the element type otherwise) and
// truncate only the final results; min/max are exact in any type and are
// reduced in the element type.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "norm/Conversion/NormToLinalg/NormToLinalg.h"
#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

#include <limits>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::detail;

//===----------------------------------------------------------------------===//
// Helpers.
//===----------------------------------------------------------------------===//

/// The dimensions of a rank-`rank` space that are not in `axes`.
static SmallVector<int64_t> keptDims(unsigned rank, ArrayRef<int64_t> axes) {
  SmallVector<int64_t> dims;
  for (int64_t dim = 0; dim < static_cast<int64_t>(rank); ++dim)
    if (!llvm::is_contained(axes, dim))
      dims.push_back(dim);
  return dims;
}

/// The sizes of `x` without the dimensions `axes` (the statistics shape).
static SmallVector<OpFoldResult>
statisticsSizes(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes) {
  unsigned rank = cast<RankedTensorType>(x.getType()).getRank();
  return llvm::map_to_vector(keptDims(rank, axes), [&](int64_t dim) {
    return tensor::getMixedSize(b, loc, x, dim);
  });
}

/// Iterator types of a reduction of a rank-`rank` space over `axes`.
static SmallVector<utils::IteratorType>
reductionIterators(unsigned rank, ArrayRef<int64_t> axes) {
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  for (int64_t axis : axes)
    iterators[axis] = utils::IteratorType::reduction;
  return iterators;
}

//===----------------------------------------------------------------------===//
// Fitting: moments and min_max.
//===----------------------------------------------------------------------===//

namespace {
/// Lowers norm.moments to a sum around a shift k (the first sample of each
/// feature), the mean `k + sum(x - k) / n`, a sum of squared deviations from
/// that mean, and a final map computing `std = sqrt(sq / (n - correction))`.
/// The shift keeps the partial sums of the order of the spread: summed
/// serially in f32, sum(x) of 2^20 samples around 1e4 lost 0.5 % of the
/// mean (and, centred on that mean, 11 % of the std). The sums accumulate
/// in f64 whatever the data type (as scikit-learn's StandardScaler does):
/// fitting is not on a training step's path, and serial f32 sums of the
/// squares of a million samples still lose ~1e-3 of the variance.
struct MomentsOpLowering : OpRewritePattern<MomentsOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MomentsOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    Type elementType = xType.getElementType();
    Type computeType = rewriter.getF64Type();
    ArrayRef<int64_t> axes = op.getAxes();
    unsigned rank = xType.getRank();

    SmallVector<OpFoldResult> statSizes =
        statisticsSizes(rewriter, loc, x, axes);
    unsigned statRank = statSizes.size();
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap toStats = projection(context, rank, keptDims(rank, axes));
    AffineMap statIdentity = rewriter.getMultiDimIdentityMap(statRank);
    SmallVector<utils::IteratorType> iterators = reductionIterators(rank, axes);

    // k = the first sample of each feature (0 without samples, or when it
    // is infinite: inf - inf would make the mean NaN where numpy's is inf).
    Value zeros = createFilled(rewriter, loc, statSizes, computeType, 0.0);
    Value shift =
        buildGeneric(
            rewriter, loc,
            sliceFirstElements(rewriter, loc, x, maskOf(axes, rank)), zeros,
            {identity, toStats}, iterators,
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value value = castFloat(b, l, args[0], computeType);
              Value magnitude = math::AbsFOp::create(b, l, value);
              Value infinite = arith::CmpFOp::create(
                  b, l, arith::CmpFPredicate::OEQ, magnitude,
                  floatConstant(b, l, computeType,
                                std::numeric_limits<double>::infinity()));
              value = arith::SelectOp::create(
                  b, l, infinite, floatConstant(b, l, computeType, 0.0), value);
              return SmallVector<Value>{
                  arith::AddFOp::create(b, l, args[1], value)};
            })
            .getResult(0);

    // sum = reduce(x - k).
    Value sum =
        buildGeneric(rewriter, loc, ValueRange{x, shift},
                     createFilled(rewriter, loc, statSizes, computeType, 0.0),
                     {identity, toStats, toStats}, iterators,
                     [&](OpBuilder &b, Location l, ValueRange args) {
                       Value value = castFloat(b, l, args[0], computeType);
                       Value diff = arith::SubFOp::create(b, l, value, args[1]);
                       return SmallVector<Value>{
                           arith::AddFOp::create(b, l, args[2], diff)};
                     })
            .getResult(0);

    // mean = k + sum / n.
    Value count = buildCount(rewriter, loc, x, axes, computeType);
    Value mean = buildElementwise(
        rewriter, loc, ValueRange{shift, sum}, {statIdentity, statIdentity},
        statSizes, computeType,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          return arith::AddFOp::create(
              b, l, args[0], arith::DivFOp::create(b, l, args[1], count));
        });

    // sq = reduce((x - mean)^2).
    Value squares =
        buildGeneric(rewriter, loc, ValueRange{x, mean},
                     createFilled(rewriter, loc, statSizes, computeType, 0.0),
                     {identity, toStats, toStats}, iterators,
                     [&](OpBuilder &b, Location l, ValueRange args) {
                       Value value = castFloat(b, l, args[0], computeType);
                       Value diff = arith::SubFOp::create(b, l, value, args[1]);
                       Value sq = arith::MulFOp::create(b, l, diff, diff);
                       return SmallVector<Value>{
                           arith::AddFOp::create(b, l, args[2], sq)};
                     })
            .getResult(0);

    // mean, std = trunc(mean), trunc(sqrt(sq / max(n - correction, 0))):
    // more correction than samples gives inf (as numpy's ddof), not NaN.
    Value denominator = count;
    if (uint64_t correction = op.getCorrection())
      denominator = arith::MaximumFOp::create(
          rewriter, loc,
          arith::SubFOp::create(rewriter, loc, count,
                                floatConstant(rewriter, loc, computeType,
                                              static_cast<double>(correction))),
          floatConstant(rewriter, loc, computeType, 0.0));
    Value meanInit =
        tensor::EmptyOp::create(rewriter, loc, statSizes, elementType);
    Value stdInit =
        tensor::EmptyOp::create(rewriter, loc, statSizes, elementType);
    SmallVector<utils::IteratorType> statIterators(
        statRank, utils::IteratorType::parallel);
    auto results = buildGeneric(
        rewriter, loc, ValueRange{mean, squares}, ValueRange{meanInit, stdInit},
        {statIdentity, statIdentity, statIdentity, statIdentity}, statIterators,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value var = arith::DivFOp::create(b, l, args[1], denominator);
          Value std = math::SqrtOp::create(b, l, var);
          // f64 to f16/bf16 through f32: LLVM calls compiler-rt's
          // __truncdfbf2 for the direct conversion, which libgcc lacks.
          auto narrow = [&](Value value) {
            if (elementType.getIntOrFloatBitWidth() < 32)
              value = castFloat(b, l, value, b.getF32Type());
            return castFloat(b, l, value, elementType);
          };
          return SmallVector<Value>{narrow(args[0]), narrow(std)};
        });
    rewriter.replaceOp(op, {castToType(rewriter, loc, results.getResult(0),
                                       op.getMean().getType()),
                            castToType(rewriter, loc, results.getResult(1),
                                       op.getStd().getType())});
    return success();
  }
};

/// Lowers norm.min_max to one reduction with two outputs, initialized to
/// +inf and -inf. NaN propagates (arith.minimumf/maximumf), as numpy's
/// min/max.
struct MinMaxOpLowering : OpRewritePattern<MinMaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MinMaxOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    Type elementType = xType.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    unsigned rank = xType.getRank();

    SmallVector<OpFoldResult> statSizes =
        statisticsSizes(rewriter, loc, x, axes);
    double inf = std::numeric_limits<double>::infinity();
    Value minInit = createFilled(rewriter, loc, statSizes, elementType, inf);
    Value maxInit = createFilled(rewriter, loc, statSizes, elementType, -inf);
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap toStats = projection(op.getContext(), rank, keptDims(rank, axes));
    auto results = buildGeneric(
        rewriter, loc, x, ValueRange{minInit, maxInit},
        {identity, toStats, toStats}, reductionIterators(rank, axes),
        [&](OpBuilder &b, Location l, ValueRange args) {
          return SmallVector<Value>{
              arith::MinimumFOp::create(b, l, args[1], args[0]),
              arith::MaximumFOp::create(b, l, args[2], args[0])};
        });
    rewriter.replaceOp(op, {castToType(rewriter, loc, results.getResult(0),
                                       op.getMin().getType()),
                            castToType(rewriter, loc, results.getResult(1),
                                       op.getMax().getType())});
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Applying: standardize, min_max_scale, image_normalize.
//===----------------------------------------------------------------------===//

/// Applies `formula(x, a, b)` elementwise to `x`, with the statistics `a`
/// and `b` (reduced over `axes`) broadcast back; the formula sees values in
/// the compute type (f32 for f16/bf16) and the result has `x`'s type.
static Value applyWithStatistics(
    PatternRewriter &rewriter, Location loc, Value x, Value a, Value b,
    ArrayRef<int64_t> axes, Type resultType,
    function_ref<Value(OpBuilder &, Location, Type, Value, Value, Value)>
        formula) {
  auto xType = cast<RankedTensorType>(x.getType());
  Type elementType = xType.getElementType();
  Type computeType = getStatisticsElementType(elementType);
  unsigned rank = xType.getRank();
  AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
  AffineMap toStats =
      projection(rewriter.getContext(), rank, keptDims(rank, axes));
  Value result = buildElementwise(
      rewriter, loc, ValueRange{x, a, b}, {identity, toStats, toStats},
      tensor::getMixedSizes(rewriter, loc, x), elementType,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value y =
            formula(nb, l, computeType, castFloat(nb, l, args[0], computeType),
                    castFloat(nb, l, args[1], computeType),
                    castFloat(nb, l, args[2], computeType));
        return castFloat(nb, l, y, elementType);
      });
  return castToType(rewriter, loc, result, resultType);
}

/// Lowers norm.standardize to `(x - mean) / (std == 0 ? 1 : std)`.
struct StandardizeOpLowering : OpRewritePattern<StandardizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(StandardizeOp op,
                                PatternRewriter &rewriter) const override {
    Value result = applyWithStatistics(
        rewriter, op.getLoc(), op.getInput(), op.getMean(), op.getStd(),
        op.getAxes(), op.getType(),
        [](OpBuilder &b, Location l, Type type, Value value, Value mean,
           Value std) -> Value {
          Value zero = floatConstant(b, l, type, 0.0);
          Value one = floatConstant(b, l, type, 1.0);
          Value isZero =
              arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, std, zero);
          Value divisor = arith::SelectOp::create(b, l, isZero, one, std);
          Value centred = arith::SubFOp::create(b, l, value, mean);
          return arith::DivFOp::create(b, l, centred, divisor);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Lowers norm.min_max_scale to
/// `(x - min) / d * (range_max - range_min) + range_min` with `d = max - min`,
/// where `d == 0` takes `d` as 1 (scikit-learn's `_handle_zeros_in_scale`).
struct MinMaxScaleOpLowering : OpRewritePattern<MinMaxScaleOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MinMaxScaleOp op,
                                PatternRewriter &rewriter) const override {
    double rangeMin = op.getRangeMin().convertToDouble();
    double range = op.getRangeMax().convertToDouble() - rangeMin;
    Value result = applyWithStatistics(
        rewriter, op.getLoc(), op.getInput(), op.getMin(), op.getMax(),
        op.getAxes(), op.getType(),
        [&](OpBuilder &b, Location l, Type type, Value value, Value low,
            Value high) -> Value {
          Value zero = floatConstant(b, l, type, 0.0);
          Value one = floatConstant(b, l, type, 1.0);
          Value width = arith::SubFOp::create(b, l, high, low);
          Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                               width, zero);
          Value divisor = arith::SelectOp::create(b, l, isZero, one, width);
          Value y = arith::DivFOp::create(
              b, l, arith::SubFOp::create(b, l, value, low), divisor);
          if (range != 1.0)
            y = arith::MulFOp::create(b, l, y,
                                      floatConstant(b, l, type, range));
          if (rangeMin != 0.0)
            y = arith::AddFOp::create(b, l, y,
                                      floatConstant(b, l, type, rangeMin));
          return y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Lowers norm.image_normalize to `(pixel * scale - mean[c]) / std[c]`, with
/// integer pixels read as unsigned (`uitofp`; `ui8` pixels are first cast to
/// the signless `i8` that arith accepts).
struct ImageNormalizeOpLowering : OpRewritePattern<ImageNormalizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ImageNormalizeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = op.getInput();
    auto xType = cast<RankedTensorType>(x.getType());
    unsigned rank = xType.getRank();
    Type outputType = op.getType().getElementType();
    Type computeType = getStatisticsElementType(outputType);
    int64_t channelAxis =
        op.getLayout() == ImageLayout::NHWC ? rank - 1 : rank - 3;
    AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
    AffineMap toChannel = projection(op.getContext(), rank, {channelAxis});
    double scale = op.getScale().convertToDouble();

    Value result = buildElementwise(
        rewriter, loc, ValueRange{x, op.getMean(), op.getStd()},
        {identity, toChannel, toChannel},
        tensor::getMixedSizes(rewriter, loc, x), outputType,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value value = args[0];
          if (auto intType = dyn_cast<IntegerType>(value.getType())) {
            // arith takes signless integers only: reinterpret ui8 as i8 (as
            // TosaToLinalg does), then convert as unsigned.
            if (!intType.isSignless())
              value = UnrealizedConversionCastOp::create(
                          b, l, b.getIntegerType(intType.getWidth()), value)
                          .getResult(0);
            value = arith::UIToFPOp::create(b, l, computeType, value);
          } else {
            value = castFloat(b, l, value, computeType);
          }
          if (scale != 1.0)
            value = arith::MulFOp::create(
                b, l, value, floatConstant(b, l, computeType, scale));
          Value mean = castFloat(b, l, args[1], computeType);
          Value std = castFloat(b, l, args[2], computeType);
          Value y = arith::DivFOp::create(
              b, l, arith::SubFOp::create(b, l, value, mean), std);
          return castFloat(b, l, y, outputType);
        });
    rewriter.replaceOp(op, castToType(rewriter, loc, result, op.getType()));
    return success();
  }
};
} // namespace

void mlir::norm::populateDataNormToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<MomentsOpLowering, MinMaxOpLowering, StandardizeOpLowering,
               MinMaxScaleOpLowering, ImageNormalizeOpLowering>(
      patterns.getContext());
}
