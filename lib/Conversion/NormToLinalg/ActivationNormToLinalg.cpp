//===- ActivationNormToLinalg.cpp - Activation normalizations to linalg ---===//
//
// Part of norm-mlir. Lowers layer_norm, rms_norm, group_norm and the batch
// normalizations to linalg.generic on tensors.
//
// Every op is the same computation over an iteration space `x` (the input,
// or for group_norm the input with its channels split into [G, C/G]) whose
// dimensions are either reduced (normalized over) or parallel (the
// statistics space):
//
//   sum    = reduce(x)                     (skipped by rms_norm)
//   mean   = sum / n
//   sq     = reduce((x - mean)^2)          (reduce(x^2) for rms_norm)
//   rstd   = rsqrt(sq / n + epsilon)
//   y      = act((x - mean) * rstd * weight + bias)
//
// The ops differ only in which dimensions are reduced and where weight and
// bias broadcast from. Payloads compute in f32 for f16/bf16 inputs (in the
// input type otherwise) and truncate only the final output. A residual is
// added in the input type, then extended: materialized once when the op
// returns `residual_sum`, else recomputed in each consumer payload.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "norm/Conversion/NormToLinalg/NormToLinalg.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::detail;

//===----------------------------------------------------------------------===//
// Scalar and tensor helpers.
//===----------------------------------------------------------------------===//

/// An elementwise linalg.generic over tensors of the same shape: every input
/// and the output (shaped like `shapeLike`, of `elementType`) use the
/// identity map; `body` computes the output scalar from the input scalars.
static Value
buildElementwise(OpBuilder &b, Location loc, ValueRange inputs, Value shapeLike,
                 Type elementType,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto shapeType = cast<RankedTensorType>(shapeLike.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, shapeLike);
  Value init = tensor::EmptyOp::create(b, loc, sizes, elementType);
  unsigned rank = shapeType.getRank();
  SmallVector<AffineMap> maps(inputs.size() + 1,
                              b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

//===----------------------------------------------------------------------===//
// The normalization building blocks.
//===----------------------------------------------------------------------===//

namespace {
/// The tensor a normalization reads, in its iteration space: `x`, plus
/// `residual` (added in the input type) when that sum is not materialized.
struct NormInput {
  Value x;
  Value residual;
  /// The type payloads compute in: f32 for f16/bf16, else the input type.
  Type computeType;

  NormInput(Value x, Value residual)
      : x(x), residual(residual),
        computeType(getStatisticsElementType(
            cast<RankedTensorType>(x.getType()).getElementType())) {}

  RankedTensorType getType() const {
    return cast<RankedTensorType>(x.getType());
  }
  unsigned getRank() const { return getType().getRank(); }

  /// The operands of a generic that reads the input (all identity maps).
  SmallVector<Value> getOperands() const {
    SmallVector<Value> operands = {x};
    if (residual)
      operands.push_back(residual);
    return operands;
  }

  /// Reads `x (+ residual)` in the compute type from the first block
  /// arguments of a payload; drops them from `args`.
  Value load(OpBuilder &b, Location loc, ValueRange &args) const {
    Value value = args.front();
    args = args.drop_front();
    if (residual) {
      value = arith::AddFOp::create(b, loc, value, args.front());
      args = args.drop_front();
    }
    return castFloat(b, loc, value, computeType);
  }
};

/// What a reduction accumulates.
enum class ReductionKind {
  Sum,
  /// The sum of x - k, around a shift k per index of the statistics.
  ShiftedSum,
  SumOfSquares,
  CenteredSumOfSquares
};

/// The statistics of a normalization, in the compact statistics space (the
/// parallel dimensions of the iteration space) and the compute type.
struct Statistics {
  Value mean;         // Null for rms_norm.
  Value sumOfSquares; // Sum of (x - mean)^2, or of x^2 for rms_norm.
  Value rstd;
  Value count; // Scalar: the number of reduced elements.
};

/// Where the normalized value is scaled and shifted from.
struct Affine {
  Value weight;
  Value bias;
  /// The map from the iteration space to weight and bias.
  AffineMap map;
  /// Added to the weight (rms_norm's `weight_offset`).
  double weightOffset = 0.0;
};
} // namespace

/// Reduces `kind` of the input over the dimensions `reduced` into a tensor
/// of the parallel dimensions (in the compute type). `mean` (statistics
/// space; the shift for ShiftedSum) is subtracted first for ShiftedSum and
/// CenteredSumOfSquares.
static Value buildReduction(OpBuilder &b, Location loc, const NormInput &in,
                            ArrayRef<bool> reduced, ReductionKind kind,
                            Value mean = {}) {
  bool subtract = kind == ReductionKind::ShiftedSum ||
                  kind == ReductionKind::CenteredSumOfSquares;
  MLIRContext *context = b.getContext();
  unsigned rank = in.getRank();
  SmallVector<int64_t> parallel = unmaskedDims(reduced);
  SmallVector<OpFoldResult> sizes =
      llvm::map_to_vector(parallel, [&](int64_t dim) {
        return tensor::getMixedSize(b, loc, in.x, dim);
      });
  Value init = createFilled(b, loc, sizes, in.computeType, 0.0);

  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap statsMap = projection(context, rank, parallel);
  SmallVector<Value> inputs = in.getOperands();
  SmallVector<AffineMap> maps(inputs.size(), identity);
  if (subtract) {
    inputs.push_back(mean);
    maps.push_back(statsMap);
  }
  maps.push_back(statsMap);
  SmallVector<utils::IteratorType> iterators =
      llvm::map_to_vector(reduced, [](bool isReduced) {
        return isReduced ? utils::IteratorType::reduction
                         : utils::IteratorType::parallel;
      });

  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value value = in.load(nb, nloc, args);
        if (subtract) {
          value = arith::SubFOp::create(nb, nloc, value, args.front());
          args = args.drop_front();
        }
        if (kind == ReductionKind::SumOfSquares ||
            kind == ReductionKind::CenteredSumOfSquares)
          value = arith::MulFOp::create(nb, nloc, value, value);
        Value sum = arith::AddFOp::create(nb, nloc, args.back(), value);
        linalg::YieldOp::create(nb, nloc, sum);
      });
  return generic.getResult(0);
}

/// The first element of the input (x + residual) over the dimensions
/// `reduced`, per index of the others, in the compute type; 0 where there
/// is none. A shift for sums over the data: summing x - k for a k of the
/// data keeps the partial sums of the order of the spread instead of n
/// times the mean, whose rounding (serial f32 sums, ~n * u relative) made
/// the mean of long rows or large offsets drift.
static Value buildFirstElementShift(OpBuilder &b, Location loc,
                                    const NormInput &in,
                                    ArrayRef<bool> reduced) {
  RankedTensorType type = in.getType();
  bool nonEmpty =
      llvm::all_of(llvm::seq<unsigned>(0, in.getRank()), [&](unsigned dim) {
        return !reduced[dim] ||
               (!type.isDynamicDim(dim) && type.getDimSize(dim) > 0);
      });
  if (!nonEmpty) {
    // A reduced size that may be 0: the sum over a slice of at most one
    // element, which reads nothing from an empty row.
    auto first = [&](Value value) -> Value {
      return value ? sliceFirstElements(b, loc, value, reduced) : value;
    };
    return buildReduction(b, loc, NormInput(first(in.x), first(in.residual)),
                          reduced, ReductionKind::Sum);
  }
  // Static, non-empty reduced sizes (the usual case): a generic over the
  // kept dimensions reading x[..., 0, ...]. Row tiling tiles it with the
  // rows and fuses a producer of x (a matmul before a post-norm) into each
  // row tile; a tensor.extract_slice in between would stop that fusion and
  // materialize the producer whole.
  MLIRContext *context = b.getContext();
  SmallVector<int64_t> kept = unmaskedDims(reduced);
  SmallVector<AffineExpr> firstElement;
  for (unsigned dim = 0, keptIndex = 0; dim < in.getRank(); ++dim)
    firstElement.push_back(reduced[dim]
                               ? getAffineConstantExpr(0, context)
                               : getAffineDimExpr(keptIndex++, context));
  AffineMap read = AffineMap::get(kept.size(), 0, firstElement, context);
  SmallVector<OpFoldResult> sizes = llvm::map_to_vector(kept, [&](int64_t dim) {
    return tensor::getMixedSize(b, loc, in.x, dim);
  });
  SmallVector<Value> inputs = in.getOperands();
  SmallVector<AffineMap> maps(inputs.size(), read);
  Value init = tensor::EmptyOp::create(b, loc, sizes, in.computeType);
  maps.push_back(AffineMap::getMultiDimIdentityMap(kept.size(), context));
  return linalg::GenericOp::create(
             b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
             SmallVector<utils::IteratorType>(kept.size(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(nb, nloc, in.load(nb, nloc, args));
             })
      .getResult(0);
}

/// The mean of the input over `reduced` (`count` elements each): `k +
/// sum(x - k) / n` around the first element k (buildFirstElementShift).
static Value buildShiftedMean(OpBuilder &b, Location loc, const NormInput &in,
                              ArrayRef<bool> reduced, Value count) {
  Value shift = buildFirstElementShift(b, loc, in, reduced);
  Value sum =
      buildReduction(b, loc, in, reduced, ReductionKind::ShiftedSum, shift);
  return buildElementwise(
      b, loc, ValueRange{shift, sum}, sum, in.computeType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value mean = arith::DivFOp::create(nb, nloc, args[1], count);
        return arith::AddFOp::create(nb, nloc, args[0], mean);
      });
}

/// rstd = 1 / sqrt(sumOfSquares / count + epsilon), in the statistics space.
static Value buildRstd(OpBuilder &b, Location loc, const Statistics &stats,
                       Type type, double epsilon) {
  return buildElementwise(
      b, loc, stats.sumOfSquares, stats.sumOfSquares, type,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value var = arith::DivFOp::create(nb, nloc, args[0], stats.count);
        Value eps = floatConstant(nb, nloc, type, epsilon);
        Value sum = arith::AddFOp::create(nb, nloc, var, eps);
        return math::RsqrtOp::create(nb, nloc, sum);
      });
}

/// Computes the statistics of the input over `reduced`: two passes (mean,
/// then the centred sum of squares) when `subtractMean`, else one pass of
/// the sum of squares.
static Statistics buildStatistics(OpBuilder &b, Location loc,
                                  const NormInput &in, ArrayRef<bool> reduced,
                                  bool subtractMean, double epsilon) {
  Statistics stats;
  Type type = in.computeType;
  stats.count = buildReducedCount(b, loc, in.x, reduced, type);
  if (subtractMean) {
    stats.mean = buildShiftedMean(b, loc, in, reduced, stats.count);
    stats.sumOfSquares = buildReduction(
        b, loc, in, reduced, ReductionKind::CenteredSumOfSquares, stats.mean);
  } else {
    stats.sumOfSquares =
        buildReduction(b, loc, in, reduced, ReductionKind::SumOfSquares);
  }
  stats.rstd = buildRstd(b, loc, stats, type, epsilon);
  return stats;
}

/// The scalar `value` (a weight or bias element) in the compute type, plus
/// `offset`, times `scale` (a power of two: exact).
static Value adjustAffineValue(OpBuilder &b, Location loc, Value value,
                               Type computeType, double offset, double scale) {
  value = castFloat(b, loc, value, computeType);
  if (offset != 0.0)
    value = arith::AddFOp::create(b, loc, value,
                                  floatConstant(b, loc, computeType, offset));
  if (scale != 1.0)
    value = arith::MulFOp::create(b, loc, value,
                                  floatConstant(b, loc, computeType, scale));
  return value;
}

/// `value` (a weight or bias, indexed by fewer dimensions than the input) in
/// the compute type plus `offset`, computed once per call by its own
/// elementwise generic, which row tiling leaves outside the row loops (it is
/// read whole by every tile): otherwise every row would convert bf16/f16
/// weights and add rms_norm's `weight_offset` again. The result is also
/// multiplied by `scale` (adjustAffineValue). Null stays null. Its dynamic
/// sizes are the input's dimensions that `map` (the iteration space, the
/// input's, to the parameter) selects: with dynamic sizes, row tiling then
/// sees that each tile reads all of it (with the parameter's own
/// `tensor.dim`s it could not, and converted the weight again in every
/// tile, into a heap buffer). The op requires them equal to the
/// parameter's (norm-check-operand-sizes checks them at run time; without
/// it, a parameter of another size is undefined behaviour either way).
static Value prepareAffineOperand(OpBuilder &b, Location loc, Value value,
                                  const NormInput &in, AffineMap map,
                                  double offset = 0.0, double scale = 1.0) {
  if (!value)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  Type computeType = in.computeType;
  if (type.getElementType() == computeType && offset == 0.0 && scale == 1.0)
    return value;
  auto body = [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
    return adjustAffineValue(nb, nloc, args[0], computeType, offset, scale);
  };
  if (!map.isProjectedPermutation() ||
      map.getNumResults() != static_cast<unsigned>(type.getRank()))
    return buildElementwise(b, loc, value, value, computeType, body);
  SmallVector<OpFoldResult> inputSizes = tensor::getMixedSizes(b, loc, in.x);
  SmallVector<OpFoldResult> sizes;
  for (auto [dim, result] : llvm::enumerate(map.getResults()))
    sizes.push_back(type.isDynamicDim(dim)
                        ? inputSizes[cast<AffineDimExpr>(result).getPosition()]
                        : b.getIndexAttr(type.getDimSize(dim)));
  return buildElementwise(b, loc, value,
                          b.getMultiDimIdentityMap(type.getRank()), sizes,
                          computeType, body);
}

/// The iteration dimensions that neither the statistics (`statsMap`) nor
/// the weight (`affine.map`) vary along; none unless both maps are
/// projections.
static std::optional<llvm::SmallBitVector>
getDimsWithoutParameters(AffineMap statsMap, const Affine &affine) {
  if (!statsMap.isProjectedPermutation() ||
      !affine.map.isProjectedPermutation())
    return std::nullopt;
  return getUnusedDimsBitVector({statsMap, affine.map});
}

/// The per-channel operands of a normalization whose statistics and weight
/// vary along some of the iteration dimensions only (the batch and group
/// norms: [C], or [N, G, C/G]; `unused` are the others), computed by one
/// generic over those dimensions in the compute type.
struct ChannelParameters {
  /// `rstd * (weight + offset)`. The normalization is then `(x - mean) *
  /// scale + bias`, a subtraction and a multiply-add per element instead of
  /// a subtraction and two multiplications: that matters where a fused
  /// activation makes the loop compute-bound. (Folding the mean into a
  /// shift, `x * scale + (bias - mean * scale)` as PyTorch's CPU kernels
  /// do, would save one more operation but not cancel: constant rows would
  /// no longer normalize to exactly the bias.)
  Value scale;
  /// Copies of `mean` and of the bias (null where absent), so that the
  /// normalization loop reads only buffers of its own: a parameter read
  /// from an argument may alias the output the loop stores to, which keeps
  /// its loads in the loop (norm-hoist-invariant-loads moves the loads of
  /// local buffers out of the pixel loops).
  Value mean, bias;
};

static ChannelParameters
buildChannelParameters(OpBuilder &b, Location loc, const NormInput &in,
                       const llvm::SmallBitVector &unused, Value mean,
                       Value rstd, AffineMap statsMap, const Affine &affine,
                       double scale) {
  Type computeType = in.computeType;
  SmallVector<OpFoldResult> sizes;
  for (auto [dim, size] : llvm::enumerate(tensor::getMixedSizes(b, loc, in.x)))
    if (!unused[dim])
      sizes.push_back(size);
  AffineMap compressedStats = compressDims(statsMap, unused);
  AffineMap compressedAffine = compressDims(affine.map, unused);
  SmallVector<Value> inputs = {rstd, affine.weight};
  SmallVector<AffineMap> maps = {compressedStats, compressedAffine};
  if (mean) {
    inputs.push_back(mean);
    maps.push_back(compressedStats);
  }
  if (affine.bias) {
    inputs.push_back(affine.bias);
    maps.push_back(compressedAffine);
  }
  unsigned numOutputs = 1 + (mean ? 1 : 0) + (affine.bias ? 1 : 0);
  SmallVector<Value> outputs;
  for (unsigned i = 0; i < numOutputs; ++i)
    outputs.push_back(tensor::EmptyOp::create(b, loc, sizes, computeType));
  AffineMap identity = b.getMultiDimIdentityMap(sizes.size());
  maps.append(numOutputs, identity);
  SmallVector<utils::IteratorType> iterators(sizes.size(),
                                             utils::IteratorType::parallel);
  linalg::GenericOp generic = buildGeneric(
      b, loc, inputs, outputs, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value weight = adjustAffineValue(nb, nloc, args[1], computeType,
                                         affine.weightOffset, scale);
        SmallVector<Value> results = {arith::MulFOp::create(
            nb, nloc, castFloat(nb, nloc, args[0], computeType), weight)};
        unsigned next = 2;
        if (mean)
          results.push_back(castFloat(nb, nloc, args[next++], computeType));
        if (affine.bias)
          results.push_back(adjustAffineValue(nb, nloc, args[next++],
                                              computeType, 0.0, scale));
        return results;
      });
  ChannelParameters parameters;
  parameters.scale = generic.getResult(0);
  unsigned next = 1;
  if (mean)
    parameters.mean = generic.getResult(next++);
  if (affine.bias)
    parameters.bias = generic.getResult(next++);
  return parameters;
}

/// The final elementwise generic over the iteration space:
/// `act((x - mean) * rstd * (weight + offset) + bias)`, truncated to the
/// input element type. `mean` may be null (rms_norm); `mean` and `rstd`
/// are read through `statsMap` and may have any float element type. With
/// `inPlace` (no residual), `x` is the init operand and is read through the
/// output block argument, so that bufferization can overwrite it. Where
/// the statistics and the weight vary along only some dimensions, `rstd *
/// weight` is computed over those first, with local copies of the mean and
/// the bias (buildChannelParameters).
///
/// A gelu after a weight gets the weight and bias halved (exactly, once per
/// call) and is built as buildGeluOfHalf: the payload then computes x / 2
/// for free instead of multiplying by 1/2 per element.
static Value buildNormalize(OpBuilder &b, Location loc, const NormInput &in,
                            Value mean, Value rstd, AffineMap statsMap,
                            const Affine &affine, ActivationAttr activation,
                            bool inPlace = false) {
  assert((!inPlace || !in.residual) && "cannot normalize x + r in place");
  unsigned rank = in.getRank();
  RankedTensorType type = in.getType();
  Value init = in.x;
  if (!inPlace)
    init = tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, in.x),
                                   type.getElementType());

  SmallVector<Value> inputs;
  if (!inPlace)
    inputs = in.getOperands();
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  auto addInput = [&](Value value, AffineMap map) {
    if (!value)
      return;
    inputs.push_back(value);
    maps.push_back(map);
  };
  Value weight = affine.weight;
  bool halveForGelu =
      weight && activation && activation.getKind() == ActivationKind::Gelu;
  double scale = halveForGelu ? 0.5 : 1.0;
  std::optional<llvm::SmallBitVector> unused;
  if (weight)
    unused = getDimsWithoutParameters(statsMap, affine);
  if (unused && unused->any()) {
    SmallVector<unsigned> parameterDims =
        llvm::to_vector((~*unused).set_bits());
    AffineMap parameterMap =
        b.getMultiDimIdentityMap(rank).getSubMap(parameterDims);
    ChannelParameters parameters = buildChannelParameters(
        b, loc, in, *unused, mean, rstd, statsMap, affine, scale);
    addInput(parameters.mean, parameterMap);
    addInput(parameters.scale, parameterMap);
    addInput(parameters.bias, parameterMap);
    weight = Value();
  } else {
    addInput(mean, statsMap);
    addInput(rstd, statsMap);
    addInput(prepareAffineOperand(b, loc, weight, in, affine.map,
                                  affine.weightOffset, scale),
             affine.map);
    addInput(
        prepareAffineOperand(b, loc, affine.bias, in, affine.map, 0.0, scale),
        affine.map);
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  Type computeType = in.computeType;

  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      iterators, [&](OpBuilder &nb, Location nloc, ValueRange args) {
        auto next = [&]() {
          Value value = castFloat(nb, nloc, args.front(), computeType);
          args = args.drop_front();
          return value;
        };
        Value value = inPlace ? castFloat(nb, nloc, args.back(), computeType)
                              : in.load(nb, nloc, args);
        if (mean)
          value = arith::SubFOp::create(nb, nloc, value, next());
        value = arith::MulFOp::create(nb, nloc, value, next());
        if (weight)
          value = arith::MulFOp::create(nb, nloc, value, next());
        if (affine.bias)
          value = arith::AddFOp::create(nb, nloc, value, next());
        value = halveForGelu ? buildGeluOfHalf(nb, nloc, value)
                             : buildActivation(nb, nloc, value, activation);
        value = castFloat(nb, nloc, value, type.getElementType());
        linalg::YieldOp::create(nb, nloc, value);
      });
  return generic.getResult(0);
}

/// Materializes `x + residual` in the input type.
static Value buildResidualSum(OpBuilder &b, Location loc, Value x,
                              Value residual) {
  Type elementType = cast<RankedTensorType>(x.getType()).getElementType();
  return buildElementwise(
      b, loc, ValueRange{x, residual}, x, elementType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::AddFOp::create(nb, nloc, args[0], args[1]);
      });
}

/// The input of a normalization: `x`, with `residual` materialized into
/// `residualSum` when `needSum`, else recomputed by the payloads.
static NormInput prepareInput(OpBuilder &b, Location loc, Value x,
                              Value residual, bool needSum,
                              Value &residualSum) {
  if (!residual || !needSum)
    return NormInput(x, residual);
  residualSum = buildResidualSum(b, loc, x, residual);
  return NormInput(residualSum, Value());
}

/// Replaces `op` by `values`, casting each to the type of its result.
static void replaceWithCasts(PatternRewriter &rewriter, Operation *op,
                             SmallVector<Value> values) {
  for (auto [index, result] : llvm::enumerate(op->getResults()))
    values[index] =
        castToType(rewriter, op->getLoc(), values[index], result.getType());
  rewriter.replaceOp(op, values);
}

//===----------------------------------------------------------------------===//
// layer_norm and rms_norm
//===----------------------------------------------------------------------===//

/// Reshapes statistics of the parallel dimensions of `reduced` to the input
/// rank with the reduced dimensions set to 1 (keepdims).
static Value expandToKeepDims(OpBuilder &b, Location loc, Value stats,
                              ArrayRef<bool> reduced) {
  auto statsType = cast<RankedTensorType>(stats.getType());
  SmallVector<OpFoldResult> statsSizes = tensor::getMixedSizes(b, loc, stats);
  SmallVector<OpFoldResult> sizes;
  SmallVector<int64_t> shape;
  unsigned kept = 0;
  for (bool isReduced : reduced) {
    if (isReduced) {
      sizes.push_back(b.getIndexAttr(1));
      shape.push_back(1);
    } else {
      sizes.push_back(statsSizes[kept]);
      shape.push_back(statsType.getDimSize(kept++));
    }
  }
  auto type = RankedTensorType::get(shape, statsType.getElementType());
  return tensor::ExpandShapeOp::create(
      b, loc, type, stats, getKeepDimsReassociation(reduced), sizes);
}

namespace {
/// Rewrites a layer_norm or rms_norm with two or more leading (normalized
/// separately) dimensions, or two or more after its axes, into one on a
/// single dimension for each: every operand and result of the input's rank
/// (input, residual, output, keepdims statistics, residual sum) is collapsed
/// with [[0 .. leading-1], axes..., [trailing...]], the axes shift
/// accordingly, and the results are expanded back. [B, S, D] is then
/// lowered as [B·S, D] rows: the row tiles of norm-tile-and-fuse-rows hold
/// 8 rows and, when B or S is dynamic, only one dimension is
/// (norm-peel-partial-row-tiles gives the full tiles static shapes).
/// Lowered as [B, S, D], a dynamic S stayed dynamic inside every tile (no
/// vectorization) and the statistics were not fused. A LayerNorm2d over the
/// channels of [N, C, H, W] becomes one over [N, C, H·W]: the pixels are
/// one contiguous run, the vector lanes of the channel reduction.
template <typename OpTy> struct CollapseParallelDims : OpRewritePattern<OpTy> {
  CollapseParallelDims(MLIRContext *context)
      : OpRewritePattern<OpTy>(context, /*benefit=*/2) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    int64_t rank = inputType.getRank();
    ArrayRef<int64_t> axes = op.getAxes();
    int64_t leading = axes.front();
    int64_t trailing = rank - 1 - axes.back();
    if (leading < 2 && trailing < 2)
      return rewriter.notifyMatchFailure(
          op, "fewer than 2 dims before and after the axes");
    SmallVector<ReassociationIndices> reassociation;
    for (int64_t dim = 0; dim < rank; ++dim) {
      bool joinsPrevious =
          (dim > 0 && dim < leading) || (dim > axes.back() + 1);
      if (joinsPrevious)
        reassociation.back().push_back(dim);
      else
        reassociation.push_back({dim});
    }
    auto hasInputRank = [&](Type type) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      return tensor && tensor.getRank() == rank;
    };

    Location loc = op.getLoc();
    SmallVector<OpFoldResult> inputSizes =
        tensor::getMixedSizes(rewriter, loc, op.getInput());
    IRMapping mapping;
    for (Value operand : op->getOperands())
      if (hasInputRank(operand.getType()) && !mapping.contains(operand))
        mapping.map(operand, tensor::CollapseShapeOp::create(
                                 rewriter, loc, operand, reassociation));
    auto collapsed = cast<OpTy>(rewriter.clone(*op.getOperation(), mapping));
    rewriter.modifyOpInPlace(collapsed, [&] {
      for (OpResult result : collapsed->getResults())
        if (hasInputRank(result.getType()))
          result.setType(tensor::CollapseShapeOp::inferCollapsedType(
              cast<RankedTensorType>(result.getType()), reassociation));
      SmallVector<int64_t> shifted;
      for (int64_t axis : axes)
        shifted.push_back(axis - std::max<int64_t>(leading - 1, 0));
      collapsed.setAxes(shifted);
    });

    SmallVector<Value> replacements;
    for (auto [original, value] :
         llvm::zip(op->getResults(), collapsed->getResults())) {
      auto type = cast<RankedTensorType>(original.getType());
      if (!hasInputRank(type)) {
        replacements.push_back(value);
        continue;
      }
      SmallVector<OpFoldResult> sizes;
      for (int64_t dim = 0; dim < rank; ++dim)
        sizes.push_back(!llvm::is_contained(axes, dim) || type.isDynamicDim(dim)
                            ? inputSizes[dim]
                            : rewriter.getIndexAttr(type.getDimSize(dim)));
      replacements.push_back(tensor::ExpandShapeOp::create(
          rewriter, loc, type, value, reassociation, sizes));
    }
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

/// Lowers norm.layer_norm.
struct LayerNormLowering : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value residualSum;
    NormInput in =
        prepareInput(rewriter, loc, op.getInput(), op.getResidual(),
                     static_cast<bool>(op.getResidualSum()), residualSum);
    SmallVector<bool> reduced = maskOf(op.getAxes(), in.getRank());
    Statistics stats =
        buildStatistics(rewriter, loc, in, reduced, /*subtractMean=*/true,
                        op.getEpsilon().convertToDouble());
    Affine affine{
        op.getWeight(), op.getBias(),
        projection(rewriter.getContext(), in.getRank(), op.getAxes())};
    AffineMap statsMap =
        projection(rewriter.getContext(), in.getRank(), unmaskedDims(reduced));
    SmallVector<Value> results = {buildNormalize(rewriter, loc, in, stats.mean,
                                                 stats.rstd, statsMap, affine,
                                                 op.getActivationAttr())};
    if (op.getMean()) {
      results.push_back(expandToKeepDims(rewriter, loc, stats.mean, reduced));
      results.push_back(expandToKeepDims(rewriter, loc, stats.rstd, reduced));
    }
    if (op.getResidualSum())
      results.push_back(residualSum);
    replaceWithCasts(rewriter, op, results);
    return success();
  }
};

/// Lowers norm.rms_norm.
struct RMSNormLowering : OpRewritePattern<RMSNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(RMSNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value residualSum;
    NormInput in =
        prepareInput(rewriter, loc, op.getInput(), op.getResidual(),
                     static_cast<bool>(op.getResidualSum()), residualSum);
    SmallVector<bool> reduced = maskOf(op.getAxes(), in.getRank());
    Statistics stats =
        buildStatistics(rewriter, loc, in, reduced, /*subtractMean=*/false,
                        op.getEpsilon().convertToDouble());
    Affine affine{op.getWeight(), Value(),
                  projection(rewriter.getContext(), in.getRank(), op.getAxes()),
                  op.getWeightOffset().convertToDouble()};
    AffineMap statsMap =
        projection(rewriter.getContext(), in.getRank(), unmaskedDims(reduced));
    SmallVector<Value> results = {
        buildNormalize(rewriter, loc, in, /*mean=*/Value(), stats.rstd,
                       statsMap, affine, op.getActivationAttr())};
    if (op.getRstd())
      results.push_back(expandToKeepDims(rewriter, loc, stats.rstd, reduced));
    if (op.getResidualSum())
      results.push_back(residualSum);
    replaceWithCasts(rewriter, op, results);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Batch normalizations
//===----------------------------------------------------------------------===//

/// The groups of a collapse of a batch-norm iteration space of rank `rank`
/// that merge each run of adjacent reduced dimensions, keeping dimension 0
/// apart when `keepFirst`: [N, C, H, W] -> [N, C, H*W] and [N, H, W, C] ->
/// [N, H*W, C], so that the innermost reduction loop is long.
static SmallVector<ReassociationIndices>
getBatchGroups(unsigned rank, int64_t featureAxis, bool keepFirst) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t dim = 0; dim < static_cast<int64_t>(rank); ++dim) {
    if (groups.empty() || dim == featureAxis || dim == featureAxis + 1 ||
        (keepFirst && dim == 1))
      groups.push_back({dim});
    else
      groups.back().push_back(dim);
  }
  return groups;
}

/// The mean and the centred sum of squares of `in` per index of the
/// dimensions `kept` (every other dimension reduced, `count` elements each),
/// from one sweep: sums of `d = x - k` and of `d^2` around a shift `k` per
/// index (its first element, 0 when empty), from which
///
///   mean = k + sum(d) / n,  m2 = sum(d^2) - sum(d)^2 / n  (clamped at 0).
///
/// The shift is a sample of the data, so `sum(d)^2 / n` is of the order of
/// `m2` for typical data and at most about n times `m2` (a first element
/// that is an outlier: ~n * u relative error); a constant gives exactly 0.
static std::pair<Value, Value>
buildShiftedStatistics(OpBuilder &b, Location loc, const NormInput &in,
                       ArrayRef<int64_t> kept, Value count) {
  MLIRContext *context = b.getContext();
  Type type = in.computeType;
  unsigned rank = in.getRank();
  SmallVector<bool> reduced(rank, true);
  for (int64_t dim : kept)
    reduced[dim] = false;

  Value shift = buildFirstElementShift(b, loc, in, reduced);

  // One sweep: sum(d) and sum(d^2).
  SmallVector<OpFoldResult> keptSizes =
      llvm::map_to_vector(kept, [&](int64_t dim) {
        return tensor::getMixedSize(b, loc, in.x, dim);
      });
  SmallVector<Value> inits = {createFilled(b, loc, keptSizes, type, 0.0),
                              createFilled(b, loc, keptSizes, type, 0.0)};
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap keptMap = projection(context, rank, kept);
  SmallVector<Value> inputs = in.getOperands();
  SmallVector<AffineMap> maps(inputs.size(), identity);
  inputs.push_back(shift);
  maps.append(3, keptMap);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  for (int64_t dim : kept)
    iterators[dim] = utils::IteratorType::parallel;
  auto sweep =
      buildGeneric(b, loc, inputs, inits, maps, iterators,
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     Value value = in.load(nb, nloc, args);
                     Value d = arith::SubFOp::create(nb, nloc, value, args[0]);
                     Value square = arith::MulFOp::create(nb, nloc, d, d);
                     return SmallVector<Value>{
                         arith::AddFOp::create(nb, nloc, args[1], d),
                         arith::AddFOp::create(nb, nloc, args[2], square)};
                   });
  Value sum = sweep.getResult(0);
  Value sumOfSquares = sweep.getResult(1);

  Value mean = buildElementwise(
      b, loc, ValueRange{shift, sum}, shift, type,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value offset = arith::DivFOp::create(nb, nloc, args[1], count);
        return arith::AddFOp::create(nb, nloc, args[0], offset);
      });
  Value m2 = buildElementwise(
      b, loc, ValueRange{sum, sumOfSquares}, sum, type,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value square = arith::MulFOp::create(nb, nloc, args[0], args[0]);
        Value shifted = arith::DivFOp::create(nb, nloc, square, count);
        Value m2 = arith::SubFOp::create(nb, nloc, args[1], shifted);
        return arith::MaximumFOp::create(nb, nloc, m2,
                                         floatConstant(nb, nloc, type, 0.0));
      });
  return {mean, m2};
}

/// Sets the mean and the centred sum of squares of `stats` from the partial
/// means and centred sums of squares (batch norm's [N, C], merged over dim
/// `partsDim` = 0; group norm's chunks [N, G, k], over 2) of equal parts of
/// `count` elements each (Chan et al.):
///
///   mean = sum_i mean_i / parts,
///   m2 = sum_i m2_i + count * sum_i (mean_i - mean)^2
///
/// Every term is centred, so nothing cancels.
static void buildMergedStatistics(OpBuilder &b, Location loc, Value partialMean,
                                  Value partialM2, Value count,
                                  int64_t partsDim, Statistics &stats) {
  MLIRContext *context = b.getContext();
  auto partialType = cast<RankedTensorType>(partialMean.getType());
  Type type = partialType.getElementType();
  unsigned rank = partialType.getRank();
  SmallVector<int64_t> kept;
  SmallVector<OpFoldResult> keptSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t dim = 0; dim < rank; ++dim) {
    iterators.push_back(dim == partsDim ? utils::IteratorType::reduction
                                        : utils::IteratorType::parallel);
    if (dim == partsDim)
      continue;
    kept.push_back(dim);
    keptSizes.push_back(tensor::getMixedSize(b, loc, partialMean, dim));
  }
  AffineMap identity = b.getMultiDimIdentityMap(rank);
  AffineMap keptMap = projection(context, rank, kept);
  Value sum =
      buildGeneric(b, loc, ValueRange{partialMean},
                   ValueRange{createFilled(b, loc, keptSizes, type, 0.0)},
                   {identity, keptMap}, iterators,
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     return SmallVector<Value>{
                         arith::AddFOp::create(nb, nloc, args[1], args[0])};
                   })
          .getResult(0);
  // The number of parts = total count / count.
  Value parts = arith::DivFOp::create(b, loc, stats.count, count);
  stats.mean = buildElementwise(
      b, loc, sum, sum, type,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nloc, args[0], parts);
      });
  auto merge =
      buildGeneric(b, loc, ValueRange{partialMean, partialM2, stats.mean},
                   ValueRange{createFilled(b, loc, keptSizes, type, 0.0),
                              createFilled(b, loc, keptSizes, type, 0.0)},
                   {identity, identity, keptMap, keptMap, keptMap}, iterators,
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     Value d =
                         arith::SubFOp::create(nb, nloc, args[0], args[2]);
                     Value square = arith::MulFOp::create(nb, nloc, d, d);
                     return SmallVector<Value>{
                         arith::AddFOp::create(nb, nloc, args[3], args[1]),
                         arith::AddFOp::create(nb, nloc, args[4], square)};
                   });
  stats.sumOfSquares = buildElementwise(
      b, loc, ValueRange{merge.getResult(0), merge.getResult(1)},
      merge.getResult(0), type,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value between = arith::MulFOp::create(nb, nloc, count, args[1]);
        return arith::AddFOp::create(nb, nloc, args[0], between);
      });
}

/// Sets the mean and the centred sum of squares of `stats` from partials
/// of `parts` over `partialReduced` (two passes each: the shifted mean,
/// then the centred sum of squares), merged over `partsDim` of the
/// partials (buildMergedStatistics). Batch norm's partials per (batch
/// entry or chunk, channel), group norm's per (entry, group, chunk).
static void buildPartialStatistics(OpBuilder &b, Location loc,
                                   const NormInput &parts,
                                   ArrayRef<bool> partialReduced,
                                   int64_t partsDim, Statistics &stats) {
  Value partialCount =
      buildReducedCount(b, loc, parts.x, partialReduced, parts.computeType);
  Value partialMean =
      buildShiftedMean(b, loc, parts, partialReduced, partialCount);
  Value partialM2 =
      buildReduction(b, loc, parts, partialReduced,
                     ReductionKind::CenteredSumOfSquares, partialMean);
  buildMergedStatistics(b, loc, partialMean, partialM2, partialCount, partsDim,
                        stats);
}

/// At most this many bytes of input per partial of the split batch
/// statistics with the channels last: each partial is read twice (its mean,
/// then its centred sum of squares), the second time from L2 when it fits.
static constexpr int64_t kMaxStatisticsChunkBytes = 256 * 1024;

/// At least this many pixels per chunk: the partial means and centred sums
/// of squares, two values a channel per chunk, stay a small fraction of the
/// input.
static constexpr int64_t kMinStatisticsChunkPixels = 64;

/// The number of chunks to split `extent` units of `unitBytes` each into,
/// so that a chunk is at most kMaxStatisticsChunkBytes: 1 when the whole
/// extent fits, or it is dynamic, or no divisor of it makes chunks that
/// small and still of at least `minUnits` units.
static int64_t getStatisticsChunks(int64_t extent, int64_t unitBytes,
                                   int64_t minUnits) {
  if (ShapedType::isDynamic(extent) ||
      extent * unitBytes <= kMaxStatisticsChunkBytes)
    return 1;
  // The largest chunk that fits and divides the extent (the fewest chunks):
  // at most kMaxStatisticsChunkBytes / unitBytes candidates, where a search
  // over chunk counts would try up to extent / minUnits (a prime number of
  // 2^40 pixels).
  for (int64_t chunk = kMaxStatisticsChunkBytes / unitBytes; chunk >= minUnits;
       --chunk)
    if (extent % chunk == 0)
      return extent / chunk;
  return 1;
}

/// How many attempts the run-time search of
/// buildRuntimeStatisticsChunks makes at most: image sizes H x W have small
/// divisors, and a prime number of pixels keeps one partial per entry
/// after this many integer divisions instead of up to P / 64.
static constexpr int64_t kMaxRuntimeChunkAttempts = 64;

/// The run time counterpart of getStatisticsChunks for an extent (pixels)
/// or unit (channels) known at run time only: the fewest chunks `k >=
/// ceil(extent / maxUnits)` that divide `extent` into chunks of at least
/// `minUnits` units, found by an `scf.while` of at most
/// kMaxRuntimeChunkAttempts tries; 1 when none is found. The same chunks as
/// the static rule whenever the search finds one.
static Value buildRuntimeStatisticsChunks(OpBuilder &b, Location loc,
                                          Value extent, Value unitBytes,
                                          int64_t minUnits) {
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  Value one = constant(1);
  // Guards against empty channels (a unit of 0 bytes) and empty entries.
  Value unit = arith::MaxUIOp::create(b, loc, unitBytes, one);
  Value maxUnits = arith::MaxUIOp::create(
      b, loc,
      arith::DivUIOp::create(b, loc, constant(kMaxStatisticsChunkBytes), unit),
      one);
  Value fewest = arith::MaxUIOp::create(
      b, loc, arith::CeilDivUIOp::create(b, loc, extent, maxUnits), one);
  Value most = arith::MinUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, extent, constant(minUnits)),
      arith::AddIOp::create(b, loc, fewest,
                            constant(kMaxRuntimeChunkAttempts - 1)));
  Type indexType = b.getIndexType();
  Value zero = constant(0);
  auto search = scf::WhileOp::create(
      b, loc, TypeRange{indexType}, ValueRange{fewest},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value chunks = args[0];
        Value inRange = arith::CmpIOp::create(
            nb, nloc, arith::CmpIPredicate::ult, chunks, most);
        Value rest = arith::RemUIOp::create(nb, nloc, extent, chunks);
        Value notDivisor = arith::CmpIOp::create(
            nb, nloc, arith::CmpIPredicate::ne, rest, zero);
        scf::ConditionOp::create(
            nb, nloc, arith::AndIOp::create(nb, nloc, inRange, notDivisor),
            chunks);
      },
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        scf::YieldOp::create(
            nb, nloc,
            ValueRange{arith::AddIOp::create(nb, nloc, args[0], one)});
      });
  Value chunks = search.getResult(0);
  Value divides = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::RemUIOp::create(b, loc, extent, chunks), zero);
  Value largeEnough =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, chunks, most);
  return arith::SelectOp::create(
      b, loc, arith::AndIOp::create(b, loc, divides, largeEnough), chunks, one);
}

/// [N, P, C] -> [N * chunks, P / chunks, C]: consecutive pixels of an entry
/// as separate partials (a view: expand, then collapse).
static Value splitBatchEntries(OpBuilder &b, Location loc, Value value,
                               OpFoldResult chunks) {
  std::optional<int64_t> staticChunks = getConstantIntValue(chunks);
  if (!value || staticChunks == 1)
    return value;
  auto type = cast<RankedTensorType>(value.getType());
  int64_t pixels = type.getDimSize(1);
  OpFoldResult chunkPixels;
  int64_t staticChunkPixels = ShapedType::kDynamic;
  if (staticChunks && !ShapedType::isDynamic(pixels)) {
    staticChunkPixels = pixels / *staticChunks;
    chunkPixels = b.getIndexAttr(staticChunkPixels);
  } else {
    chunkPixels =
        arith::DivUIOp::create(b, loc, tensor::DimOp::create(b, loc, value, 1),
                               getValueOrCreateConstantIndexOp(b, loc, chunks))
            .getResult();
    // A dimension split into sizes of run time must be dynamic itself
    // (static pixels, dynamic channels).
    if (!ShapedType::isDynamic(pixels)) {
      type = RankedTensorType::get(
          {type.getDimSize(0), ShapedType::kDynamic, type.getDimSize(2)},
          type.getElementType());
      value = tensor::CastOp::create(b, loc, type, value);
    }
  }
  auto expandedType = RankedTensorType::get(
      {type.getDimSize(0), staticChunks ? *staticChunks : ShapedType::kDynamic,
       staticChunkPixels, type.getDimSize(2)},
      type.getElementType());
  SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, value, 0),
                                     chunks, chunkPixels,
                                     tensor::getMixedSize(b, loc, value, 2)};
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, expandedType, value,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}}, sizes);
  return tensor::CollapseShapeOp::create(
      b, loc, expanded, SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}});
}

/// The mean and the centred sum of squares of a batch normalization over
/// every dimension but `featureAxis` (`count` elements a channel): with
/// `split`, partial per (batch entry, channel), else one sweep of shifted
/// sums (see buildBatchStatistics).
static std::pair<Value, Value> buildBatchMoments(OpBuilder &b, Location loc,
                                                 const NormInput &in,
                                                 int64_t featureAxis,
                                                 bool split, Value count) {
  unsigned rank = in.getRank();
  SmallVector<ReassociationIndices> groups =
      getBatchGroups(rank, featureAxis, split);
  auto collapse = [&](Value value) -> Value {
    if (!value || groups.size() == rank)
      return value;
    return tensor::CollapseShapeOp::create(b, loc, value, groups);
  };
  NormInput cin(collapse(in.x), collapse(in.residual));
  rank = groups.size();
  featureAxis = llvm::find_if(groups,
                              [&](const ReassociationIndices &group) {
                                return llvm::is_contained(group, featureAxis);
                              }) -
                groups.begin();
  if (!split)
    return buildShiftedStatistics(b, loc, cin, {featureAxis}, count);

  // Split: two passes over each (batch entry, channel) slice (the partial
  // mean, then the partial centred sum of squares), merged over the batch
  // entries with Chan's formula.
  // Channels last ([N, P, C]): an entry of several MiB (ResNet's stem,
  // 112 x 112 x 64) was read from memory by both passes; chunks of its
  // pixels are separate partials (equal counts, merged the same way).
  if (featureAxis == 2) {
    RankedTensorType type = cin.getType();
    int64_t bytes = type.getElementTypeBitWidth() / 8;
    int64_t channels = type.getDimSize(2);
    int64_t unitBytes = cin.residual ? 2 * bytes : bytes;
    int64_t pixels = type.getDimSize(1);
    OpFoldResult chunks;
    if (!ShapedType::isDynamic(channels) && !ShapedType::isDynamic(pixels)) {
      chunks = b.getIndexAttr(getStatisticsChunks(pixels, channels * unitBytes,
                                                  kMinStatisticsChunkPixels));
    } else {
      // An image size (or channel count) of run time: the same chunks,
      // found there; one partial per entry and channel was 1.3x the time of
      // the static code at [?, 56 x 56, 256] (800 KiB, its second pass from
      // memory).
      Value pixelBytes = arith::MulIOp::create(
          b, loc, tensor::DimOp::create(b, loc, cin.x, 2),
          arith::ConstantIndexOp::create(b, loc, unitBytes));
      chunks = buildRuntimeStatisticsChunks(
          b, loc, tensor::DimOp::create(b, loc, cin.x, 1), pixelBytes,
          kMinStatisticsChunkPixels);
    }
    cin = NormInput(splitBatchEntries(b, loc, cin.x, chunks),
                    splitBatchEntries(b, loc, cin.residual, chunks));
  }
  SmallVector<bool> partialReduced(rank, true);
  partialReduced[0] = false;
  partialReduced[featureAxis] = false;
  Statistics stats;
  stats.count = count;
  buildPartialStatistics(b, loc, cin, partialReduced, /*partsDim=*/0, stats);
  return {stats.mean, stats.sumOfSquares};
}

/// The statistics of a batch normalization over every dimension but
/// `featureAxis`. With a batch dimension in front of others (NCHW, NHWC) of
/// at least kMinSplitExtent elements per batch entry and channel,
/// they are partial per (batch entry, channel) ([N, C], each an independent
/// parallel reduction, so that all threads work even with few channels):
/// two passes over the slice of each partial (its mean, then its centred
/// sum of squares), merged with Chan's formula, so that nothing cancels
/// whatever the data (a channel's first element may be an outlier).
/// Otherwise one sweep of sums shifted by the channel's first element (see
/// buildShiftedStatistics). An extent known at run time only chooses
/// between the two there (`scf.if`): a model compiled for any image size
/// runs on large images (one sweep over [N x H x W, 64] channels last used
/// one thread: 1.2-1.5x the time of the static code) and on small ones
/// (partials of 49 pixels at 7 x 7: 10-20x).
static Statistics buildBatchStatistics(OpBuilder &b, Location loc,
                                       const NormInput &in, int64_t featureAxis,
                                       double epsilon) {
  Type type = in.computeType;
  unsigned rank = in.getRank();
  SmallVector<bool> reduced(rank, true);
  reduced[featureAxis] = false;
  Statistics stats;
  stats.count = buildReducedCount(b, loc, in.x, reduced, type);

  // The partial sums are at most 1 / kMinSplitExtent of the input.
  constexpr int64_t kMinSplitExtent = 256;
  auto inType = in.getType();
  int64_t extent = 1;
  for (int64_t dim = 1, e = rank; dim < e; ++dim)
    if (dim != featureAxis && !ShapedType::isDynamic(extent))
      extent = inType.isDynamicDim(dim) ? ShapedType::kDynamic
                                        : extent * inType.getDimSize(dim);
  bool splittable = rank >= 3 && featureAxis != 0;
  if (!splittable || !ShapedType::isDynamic(extent)) {
    std::tie(stats.mean, stats.sumOfSquares) =
        buildBatchMoments(b, loc, in, featureAxis,
                          splittable && extent >= kMinSplitExtent, stats.count);
  } else {
    Value runtimeExtent = arith::ConstantIndexOp::create(b, loc, 1);
    for (int64_t dim = 1, e = rank; dim < e; ++dim)
      if (dim != featureAxis)
        runtimeExtent = arith::MulIOp::create(
            b, loc, runtimeExtent, tensor::DimOp::create(b, loc, in.x, dim));
    Value large = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::uge, runtimeExtent,
        arith::ConstantIndexOp::create(b, loc, kMinSplitExtent));
    Type meanType, m2Type;
    auto branch = [&](bool split) {
      return [&, split](OpBuilder &nb, Location nloc) {
        auto [mean, m2] =
            buildBatchMoments(nb, nloc, in, featureAxis, split, stats.count);
        // Both branches yield the types of the split one.
        if (split) {
          meanType = mean.getType();
          m2Type = m2.getType();
        } else {
          if (mean.getType() != meanType)
            mean = tensor::CastOp::create(nb, nloc, meanType, mean);
          if (m2.getType() != m2Type)
            m2 = tensor::CastOp::create(nb, nloc, m2Type, m2);
        }
        scf::YieldOp::create(nb, nloc, ValueRange{mean, m2});
      };
    };
    auto choice = scf::IfOp::create(b, loc, large, branch(true), branch(false));
    stats.mean = choice.getResult(0);
    stats.sumOfSquares = choice.getResult(1);
  }
  stats.rstd = buildRstd(b, loc, stats, type, epsilon);
  return stats;
}

/// Lowers a batch normalization with batch statistics (batch_norm_training
/// and inplace_abn). Returns output, saved mean and rstd, new running mean
/// and variance, and the residual sum when `needSum`. `inPlace` writes the
/// output into the input tensor.
static SmallVector<Value>
lowerTrainingBatchNorm(PatternRewriter &rewriter, Location loc, Value input,
                       Value runningMean, Value runningVar, Value weight,
                       Value bias, Value residual, bool needSum,
                       int64_t featureAxis, double epsilon, double momentum,
                       ActivationAttr activation, bool inPlace) {
  MLIRContext *context = rewriter.getContext();
  Value residualSum;
  NormInput in =
      prepareInput(rewriter, loc, input, residual, needSum, residualSum);
  Statistics stats =
      buildBatchStatistics(rewriter, loc, in, featureAxis, epsilon);
  // The verifier refuses a static count of 1 (PyTorch raises); a dynamic
  // one is checked when the code runs, or the running variance would be
  // 0 / 0. An empty batch (count 0) is allowed, as in PyTorch: the running
  // statistics stay as they are (below).
  if (!matchPattern(stats.count, m_Constant())) {
    Value one = floatConstant(rewriter, loc, in.computeType, 1.0);
    Value notOne = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::ONE, stats.count, one);
    cf::AssertOp::create(
        rewriter, loc, notOne,
        "batch normalization in training: expects more than one value per "
        "channel (the unbiased running variance divides by n - 1)");
  }
  AffineMap channelMap = projection(context, in.getRank(), {featureAxis});
  Value output =
      buildNormalize(rewriter, loc, in, stats.mean, stats.rstd, channelMap,
                     Affine{weight, bias, channelMap}, activation,
                     /*inPlace=*/inPlace && !in.residual);

  // running = (1 - momentum) * running + momentum * batch, in the compute
  // type, stored in the element type of the running statistics; unchanged
  // by an empty batch (whose statistics are 0 / 0).
  Type type = in.computeType;
  Value nonEmpty = arith::CmpFOp::create(
      rewriter, loc, arith::CmpFPredicate::OGT, stats.count,
      floatConstant(rewriter, loc, type, 0.5));
  auto update = [&](Value running, Value batch,
                    function_ref<Value(OpBuilder &, Location, Value)> get) {
    Type runningType =
        cast<RankedTensorType>(running.getType()).getElementType();
    return buildElementwise(
        rewriter, loc, ValueRange{running, batch}, running, runningType,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value old = castFloat(nb, nloc, args[0], type);
          Value keep = floatConstant(nb, nloc, type, 1.0 - momentum);
          Value take = floatConstant(nb, nloc, type, momentum);
          Value sum = arith::AddFOp::create(
              nb, nloc, arith::MulFOp::create(nb, nloc, keep, old),
              arith::MulFOp::create(nb, nloc, take, get(nb, nloc, args[1])));
          sum = arith::SelectOp::create(nb, nloc, nonEmpty, sum, old);
          return castFloat(nb, nloc, sum, runningType);
        });
  };
  Value newMean =
      update(runningMean, stats.mean,
             [](OpBuilder &, Location, Value mean) { return mean; });
  // The unbiased variance var * n / (n - 1) = sum((x - mean)^2) / (n - 1).
  Value newVar =
      update(runningVar, stats.sumOfSquares,
             [&](OpBuilder &nb, Location nloc, Value sumOfSquares) -> Value {
               Value one = floatConstant(nb, nloc, type, 1.0);
               Value dof = arith::SubFOp::create(nb, nloc, stats.count, one);
               return arith::DivFOp::create(nb, nloc, sumOfSquares, dof);
             });
  SmallVector<Value> results = {output, stats.mean, stats.rstd, newMean,
                                newVar};
  if (needSum)
    results.push_back(residualSum);
  return results;
}

namespace {
/// Lowers norm.batch_norm_inference.
struct BatchNormInferenceLowering : OpRewritePattern<BatchNormInferenceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormInferenceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value residualSum;
    NormInput in =
        prepareInput(rewriter, loc, op.getInput(), op.getResidual(),
                     static_cast<bool>(op.getResidualSum()), residualSum);
    Type type = in.computeType;
    double epsilon = op.getEpsilon().convertToDouble();
    Value rstd = buildElementwise(
        rewriter, loc, op.getRunningVar(), op.getRunningVar(), type,
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value var = castFloat(nb, nloc, args[0], type);
          Value eps = floatConstant(nb, nloc, type, epsilon);
          return math::RsqrtOp::create(
              nb, nloc, arith::AddFOp::create(nb, nloc, var, eps));
        });
    int64_t featureAxis = op.getFeatureAxis();
    AffineMap channelMap =
        projection(rewriter.getContext(), in.getRank(), {featureAxis});
    SmallVector<Value> results = {
        buildNormalize(rewriter, loc, in, op.getRunningMean(), rstd, channelMap,
                       Affine{op.getWeight(), op.getBias(), channelMap},
                       op.getActivationAttr())};
    if (op.getResidualSum())
      results.push_back(residualSum);
    replaceWithCasts(rewriter, op, results);
    return success();
  }
};

/// Replaces a training batch norm whose input has no channels (a static
/// zero-sized feature axis) by empty tensors: there is nothing to compute,
/// and the statistics' first-element slices would be out of bounds. Results
/// shaped like the input take its sizes, the per-channel ones size 0.
static bool replaceWithEmptyResults(PatternRewriter &rewriter, Operation *op,
                                    Value input, int64_t featureAxis) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType.getDimSize(featureAxis) != 0)
    return false;
  Location loc = op->getLoc();
  SmallVector<OpFoldResult> inputSizes =
      tensor::getMixedSizes(rewriter, loc, input);
  SmallVector<Value> empties;
  for (Type type : op->getResultTypes()) {
    auto tensor = cast<RankedTensorType>(type);
    SmallVector<OpFoldResult> sizes;
    if (tensor.getRank() == inputType.getRank())
      sizes = inputSizes;
    else
      sizes.assign(tensor.getRank(), rewriter.getIndexAttr(0));
    empties.push_back(
        tensor::EmptyOp::create(rewriter, loc, sizes, tensor.getElementType())
            .getResult());
    if (empties.back().getType() != tensor)
      empties.back() =
          tensor::CastOp::create(rewriter, loc, tensor, empties.back());
  }
  rewriter.replaceOp(op, empties);
  return true;
}

/// Lowers norm.batch_norm_training.
struct BatchNormTrainingLowering : OpRewritePattern<BatchNormTrainingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormTrainingOp op,
                                PatternRewriter &rewriter) const override {
    if (replaceWithEmptyResults(rewriter, op, op.getInput(),
                                op.getFeatureAxis()))
      return success();
    replaceWithCasts(
        rewriter, op,
        lowerTrainingBatchNorm(
            rewriter, op.getLoc(), op.getInput(), op.getRunningMean(),
            op.getRunningVar(), op.getWeight(), op.getBias(), op.getResidual(),
            static_cast<bool>(op.getResidualSum()), op.getFeatureAxis(),
            op.getEpsilon().convertToDouble(),
            op.getMomentum().convertToDouble(), op.getActivationAttr(),
            /*inPlace=*/false));
    return success();
  }
};

/// Lowers norm.inplace_abn: the arithmetic of batch_norm_training, with the
/// final generic writing into the input tensor (its init operand), so that
/// bufferization can reuse the input buffer when nothing reads it later.
struct InplaceABNLowering : OpRewritePattern<InplaceABNOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(InplaceABNOp op,
                                PatternRewriter &rewriter) const override {
    if (replaceWithEmptyResults(rewriter, op, op.getInput(),
                                op.getFeatureAxis()))
      return success();
    replaceWithCasts(
        rewriter, op,
        lowerTrainingBatchNorm(
            rewriter, op.getLoc(), op.getInput(), op.getRunningMean(),
            op.getRunningVar(), op.getWeight(), op.getBias(),
            /*residual=*/Value(), /*needSum=*/false, op.getFeatureAxis(),
            op.getEpsilon().convertToDouble(),
            op.getMomentum().convertToDouble(), op.getActivationAttr(),
            /*inPlace=*/true));
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// group_norm
//===----------------------------------------------------------------------===//

namespace {
/// A group of more input bytes than this has its statistics computed in
/// chunks: the L2 of a core (1-2 MiB on x86 server cores) no longer holds
/// it from the mean's pass to the centred sum of squares'. Measured on a
/// Xeon with 2 MiB of L2 a core (2026-11-29), SD VAE GroupNorm + SiLU, same
/// buffers: groups of 4 MiB 0.82-0.92x the time in chunks, groups of
/// 2 MiB 1.07-1.09x (whole, the normalization still finds most of the
/// group in L2).
static constexpr int64_t kMinChunkedGroupBytes = 2 * 1024 * 1024;

/// At least this many elements per chunk of a group (16 KiB of f32): the
/// partial means and centred sums of squares stay a small fraction of the
/// input.
static constexpr int64_t kMinGroupChunkElements = 4096;

/// The statistics of group norm over the groups of `in` ([N, G, S], S
/// reduced). A group of more than kMinChunkedGroupBytes (the SD VAE
/// decoder's 4 MiB groups) is viewed as k chunks of S / k contiguous
/// elements, [N, G, k, S / k], of at most kMaxStatisticsChunkBytes each: two
/// passes per chunk (its mean, then its centred sum of squares, read again
/// from cache once norm-tile-and-fuse-rows tiles them chunk by chunk),
/// merged with Chan's formula. Otherwise two passes over each group.
/// Channels first only (the caller's [N, G, S]): with the channels last a
/// group is no contiguous run to cut into chunks.
static Statistics buildGroupStatistics(OpBuilder &b, Location loc,
                                       const NormInput &in, double epsilon) {
  RankedTensorType type = in.getType();
  int64_t extent = type.getDimSize(2);
  int64_t bytes = type.getElementTypeBitWidth() / 8 * (in.residual ? 2 : 1);
  int64_t chunks = 1;
  if (!ShapedType::isDynamic(extent) && extent * bytes > kMinChunkedGroupBytes)
    chunks = getStatisticsChunks(extent, bytes, kMinGroupChunkElements);
  if (chunks == 1)
    return buildStatistics(b, loc, in, {false, false, true},
                           /*subtractMean=*/true, epsilon);

  auto split = [&](Value value) -> Value {
    if (!value)
      return value;
    auto valueType = cast<RankedTensorType>(value.getType());
    auto chunkedType =
        RankedTensorType::get({valueType.getDimSize(0), valueType.getDimSize(1),
                               chunks, extent / chunks},
                              valueType.getElementType());
    SmallVector<OpFoldResult> sizes = {tensor::getMixedSize(b, loc, value, 0),
                                       tensor::getMixedSize(b, loc, value, 1),
                                       b.getIndexAttr(chunks),
                                       b.getIndexAttr(extent / chunks)};
    return tensor::ExpandShapeOp::create(
        b, loc, chunkedType, value,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}, sizes);
  };
  NormInput chunked(split(in.x), split(in.residual));
  Statistics stats;
  Type computeType = in.computeType;
  stats.count =
      buildReducedCount(b, loc, in.x, {false, false, true}, computeType);
  buildPartialStatistics(b, loc, chunked, {false, false, false, true},
                         /*partsDim=*/2, stats);
  stats.rstd = buildRstd(b, loc, stats, computeType, epsilon);
  return stats;
}

/// Lowers norm.group_norm on the input with its channels split into
/// [G, C/G]: the statistics reduce every dimension but the batch and the
/// group, weight and bias are split the same way.
struct GroupNormLowering : OpRewritePattern<GroupNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(GroupNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    int64_t axis = op.getChannelAxis();
    int64_t groups = op.getNumGroups();
    Value residualSum;
    Value x = op.getInput();
    Value residual = op.getResidual();
    if (residual && op.getResidualSum()) {
      residualSum = buildResidualSum(rewriter, loc, x, residual);
      x = residualSum;
      residual = Value();
    }
    x = splitChannels(rewriter, loc, x, axis, groups);
    if (residual)
      residual = splitChannels(rewriter, loc, residual, axis, groups);
    NormInput in(x, residual);

    SmallVector<bool> reduced(in.getRank(), true);
    reduced[0] = false;
    reduced[axis] = false;
    // The statistics read the input with its reduced dimensions merged
    // (NCHW: [N, G, C/G * H * W]), so that their innermost loop is long
    // (a short one is unrolled fully by LLVM, which then vectorizes the
    // loop around it with gathers).
    NormInput statsIn = in;
    SmallVector<bool> statsReduced = reduced;
    if (axis == 1 && in.getRank() > 3) {
      SmallVector<ReassociationIndices> merged = {{0}, {1}, {}};
      for (int64_t dim = 2, rank = in.getRank(); dim < rank; ++dim)
        merged.back().push_back(dim);
      auto collapse = [&](Value value) -> Value {
        if (!value)
          return value;
        return tensor::CollapseShapeOp::create(rewriter, loc, value, merged);
      };
      statsIn = NormInput(collapse(in.x), collapse(in.residual));
      statsReduced = {false, false, true};
    }
    double epsilon = op.getEpsilon().convertToDouble();
    Statistics stats =
        axis == 1 ? buildGroupStatistics(rewriter, loc, statsIn, epsilon)
                  : buildStatistics(rewriter, loc, statsIn, statsReduced,
                                    /*subtractMean=*/true, epsilon);
    Affine affine;
    affine.map = projection(context, in.getRank(), {axis, axis + 1});
    if (Value weight = op.getWeight())
      affine.weight = splitChannels(rewriter, loc, weight, 0, groups);
    if (Value bias = op.getBias())
      affine.bias = splitChannels(rewriter, loc, bias, 0, groups);
    Value output = buildNormalize(rewriter, loc, in, stats.mean, stats.rstd,
                                  projection(context, in.getRank(), {0, axis}),
                                  affine, op.getActivationAttr());
    SmallVector<Value> results = {mergeChannels(rewriter, loc, output, axis)};
    if (op.getMean()) {
      results.push_back(stats.mean);
      results.push_back(stats.rstd);
    }
    if (op.getResidualSum())
      results.push_back(residualSum);
    replaceWithCasts(rewriter, op, results);
    return success();
  }
};
} // namespace

void mlir::norm::populateActivationNormToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<CollapseParallelDims<LayerNormOp>, CollapseParallelDims<RMSNormOp>,
           LayerNormLowering, RMSNormLowering, BatchNormInferenceLowering,
           BatchNormTrainingLowering, InplaceABNLowering, GroupNormLowering>(
          patterns.getContext());
}
