//===- SyncBatchNorm.cpp - Batch normalization over a sharded batch -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// ShardingInterface models of norm.batch_norm_training, norm.inplace_abn
// and their backward ops, norm.batch_norm_grad and norm.inplace_abn_grad.
// Loops: one per input dimension, all parallel; the per-channel operands and
// results are indexed by the feature axis alone, so `--sharding-propagation`
// keeps them replicated when the batch is split.
//
// `--shard-partition` calls `partition`, which, when a batch dimension (any
// dimension but the feature axis) is split over grid axes, emits:
//
//   forward   norm.batch_stats of the local shard -> (n, mean, m2)
//             N  = all_reduce(n)
//             S  = all_reduce(n * mean),        mean_g = S / N
//             M2 = all_reduce(m2 + n * (mean - mean_g)^2),  var = M2 / N
//             y  = the shard normalized with (mean_g, var): for
//                  batch_norm_training norm.batch_norm_inference, for
//                  inplace_abn (InPlace-ABN Sync) a linalg.generic whose
//                  init is the shard, so that y still overwrites x
//             running statistics updated with mean_g and M2 / (N - 1)
//   backward  the local op (batch_norm_grad from x, inplace_abn_grad from
//             y) -> sums of dpre and dpre * xhat; all_reduce of both sums
//             and of the element count, then the op's micro-batch form
//             with those sums.
//   backward  already in micro-batch form (gradient accumulation: its sums
//             and count are the whole batch's, replicated): the local op;
//             its own grad_weight/grad_bias all-reduced.
//
// The second moment is merged around the global mean (the all-reduce form of
// Chan's update), every term non-negative, so no cancellation. The
// collectives name only grid axes: the process count and placement come from
// the grid and the MPI communicator, nothing assumes one host.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/SyncBatchNorm.h"
#include "ShardingUtils.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"
#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;
using namespace mlir::norm;
using shard::GridAxis;
using shard::Sharding;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Whether `sharding` places a whole copy on every process (an absent
/// annotation counts as replicated).
static bool isReplicated(const Sharding &sharding) {
  return !sharding || shard::isFullReplication(sharding);
}

/// The grid axes that split the batch dimensions of a tensor sharded with
/// `sharding` (empty when replicated). Fails on a split feature axis and on
/// halos or explicit shard sizes, which batch statistics do not support.
static FailureOr<SmallVector<GridAxis>>
getBatchGridAxes(Operation *op, const Sharding &sharding, int64_t featureAxis) {
  SmallVector<GridAxis> axes;
  if (!sharding)
    return axes;
  if (!sharding.getStaticHaloSizes().empty() ||
      !sharding.getDynamicHaloSizes().empty() ||
      !sharding.getStaticShardedDimsOffsets().empty() ||
      !sharding.getDynamicShardedDimsOffsets().empty()) {
    op->emitOpError() << "cannot synchronize batch statistics over a sharding "
                         "with halos or explicit shard sizes";
    return failure();
  }
  for (auto [dim, dimAxes] : llvm::enumerate(sharding.getSplitAxes())) {
    if (dimAxes.empty())
      continue;
    if (static_cast<int64_t>(dim) == featureAxis) {
      op->emitOpError() << "cannot synchronize batch statistics: the feature "
                           "axis "
                        << featureAxis
                        << " is split across processes; only batch "
                           "dimensions may be";
      return failure();
    }
    llvm::append_range(axes, dimAxes.asArrayRef());
  }
  return axes;
}

/// A float constant of `type`.
static Value floatConstant(OpBuilder &b, Location loc, Type type,
                           double value) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
}

/// An elementwise linalg.generic over the channels of the rank-1 `like`:
/// `inputs` are rank 1 (indexed by the channel) or rank 0 (broadcast); the
/// result has `like`'s shape and `elementType`.
static Value
buildChannelwise(OpBuilder &b, Location loc, Value like, Type elementType,
                 ValueRange inputs,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *context = b.getContext();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, like);
  Value init = tensor::EmptyOp::create(b, loc, sizes, elementType);
  AffineMap channel = AffineMap::getMultiDimIdentityMap(1, context);
  AffineMap scalar = AffineMap::get(1, 0, {}, context);
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(cast<RankedTensorType>(input.getType()).getRank() == 0
                       ? scalar
                       : channel);
  maps.push_back(channel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps,
      {utils::IteratorType::parallel},
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args.drop_back()));
      });
  return generic.getResult(0);
}

/// The sum of `value` over the processes of `gridAxes` of `grid`.
static Value allReduceSum(OpBuilder &b, Location loc, Value value,
                          StringRef grid, ArrayRef<GridAxis> gridAxes) {
  return shard::AllReduceOp::create(b, loc, value, grid, gridAxes,
                                    shard::ReductionKind::Sum)
      .getResult();
}

/// The indexing map of each operand and result of `op`: the identity for
/// values of the input's rank, the feature axis for rank 1, none for rank 0.
static SmallVector<AffineMap> getIndexingMapsByRank(Operation *op, int64_t rank,
                                                    int64_t featureAxis) {
  MLIRContext *context = op->getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, context);
  AffineMap channel =
      AffineMap::get(rank, 0, getAffineDimExpr(featureAxis, context), context);
  AffineMap scalar = AffineMap::get(rank, 0, {}, context);
  SmallVector<AffineMap> maps;
  auto add = [&](Type type) {
    int64_t valueRank = cast<RankedTensorType>(type).getRank();
    maps.push_back(valueRank == rank ? identity
                   : valueRank == 1  ? channel
                                     : scalar);
  };
  for (Type type : op->getOperandTypes())
    add(type);
  for (Type type : op->getResultTypes())
    add(type);
  return maps;
}

/// Shared checks of `partition`: the values of the batch's shape must all be
/// sharded like `batchValue` (replicated when it is), the per-channel ones
/// replicated, a static batch split evenly, and, when the batch is split
/// and `dataInStatisticsType`, the statistics type that of the data (the
/// normalizations normalize the data with the statistics). `batchName` names
/// `batchValue` in the diagnostics. Returns the grid axes that split the batch
/// (empty: nothing to synchronize).
static FailureOr<SmallVector<GridAxis>> checkShardings(
    Operation *op, Value batchValue, StringRef batchName, int64_t featureAxis,
    ArrayRef<Sharding> operandShardings, ArrayRef<Sharding> resultShardings,
    SymbolTableCollection &symbolTable, bool dataInStatisticsType = true) {
  Sharding batchSharding;
  for (OpOperand &operand : op->getOpOperands())
    if (operand.get() == batchValue)
      batchSharding = operandShardings[operand.getOperandNumber()];
  FailureOr<SmallVector<GridAxis>> axes =
      getBatchGridAxes(op, batchSharding, featureAxis);
  if (failed(axes))
    return failure();
  auto batchType = cast<RankedTensorType>(batchValue.getType());
  if (failed(verifyEvenSplit(op, batchSharding, batchType, batchName,
                             symbolTable)))
    return failure();

  bool batchReplicated = axes->empty();
  auto check = [&](Type type, const Sharding &sharding,
                   StringRef what) -> LogicalResult {
    bool batchShaped =
        cast<RankedTensorType>(type).getRank() == batchType.getRank();
    if (batchShaped &&
        (batchReplicated
             ? !isReplicated(sharding)
             : !sharding || !sharding.equalSplitAxes(batchSharding) ||
                   !sharding.equalHaloAndShardSizes(batchSharding)))
      return op->emitOpError() << "expects " << what << " of the shape of "
                               << batchName << " to be sharded like it";
    if (!batchShaped && !isReplicated(sharding))
      return op->emitOpError()
             << "expects per-channel " << what << " to be replicated";
    return success();
  };
  for (OpOperand &operand : op->getOpOperands())
    if (failed(check(operand.get().getType(),
                     operandShardings[operand.getOperandNumber()], "operands")))
      return failure();
  for (OpResult result : op->getResults()) {
    // shard-partition gives a result without uses no sharding.
    const Sharding &sharding = resultShardings[result.getResultNumber()];
    if (!sharding && result.use_empty())
      continue;
    if (failed(check(result.getType(), sharding, "results")))
      return failure();
  }

  Type elementType = batchType.getElementType();
  if (dataInStatisticsType && !batchReplicated &&
      getStatisticsElementType(elementType) != elementType) {
    op->emitOpError() << "synchronized batch statistics support f32 and f64 "
                         "data only, got "
                      << elementType;
    return failure();
  }
  return axes;
}

/// Maps each operand of `op` to its partitioned value.
static IRMapping mapOperands(Operation *op,
                             ArrayRef<Value> partitionedOperands) {
  IRMapping local;
  for (auto [operand, partitioned] :
       llvm::zip(op->getOperands(), partitionedOperands))
    local.map(operand, partitioned);
  return local;
}

/// A replicated batch: every process computes the whole op, as written.
static LogicalResult cloneReplicated(Operation *op,
                                     ArrayRef<Value> partitionedOperands,
                                     IRMapping &partitionMap,
                                     OpBuilder &builder) {
  IRMapping local = mapOperands(op, partitionedOperands);
  Operation *clone = builder.clone(*op, local);
  partitionMap.map(op->getResults(), clone->getResults());
  return success();
}

/// The partitioned value of `value`, or null for an absent optional operand.
static Value lookupLocal(const IRMapping &local, Value value) {
  return value ? local.lookup(value) : Value();
}

namespace {
/// The batch statistics of the whole batch, per channel, in the statistics
/// type: element count (rank 0), mean, centred sum of squares, and (from
/// addVarianceAndRstd) the biased variance and 1 / sqrt(var + epsilon).
struct GlobalStatistics {
  Value count, mean, var, m2, rstd;
};
} // namespace

/// The statistics of the whole batch of which `input` is this process's
/// shard: local (n, mean, m2), then all-reduced around the global mean.
static GlobalStatistics
buildGlobalStatistics(OpBuilder &b, Location loc, Value input,
                      RankedTensorType statsType, int64_t featureAxis,
                      StringRef grid, ArrayRef<GridAxis> axes) {
  Type type = statsType.getElementType();
  auto countType = RankedTensorType::get({}, type);
  auto partial = BatchStatsOp::create(b, loc, countType, statsType, statsType,
                                      input, b.getI64IntegerAttr(featureAxis));
  Value localCount = partial.getCount(), localMean = partial.getMean();

  // A process whose shard is empty (a dynamic batch split unevenly) adds
  // zeros to the sums, not its NaN statistics (0 / 0).
  GlobalStatistics stats;
  Value localSum = buildChannelwise(
      b, loc, localMean, type, ValueRange{localCount, localMean},
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return selectIfNonEmpty(
            nb, nloc, args[0],
            arith::MulFOp::create(nb, nloc, args[0], args[1]));
      });
  // Two collectives: (N, sum(n * mean)) together, then M2 (which needs the
  // global mean).
  SmallVector<Value> counts = allReducePacked(
      b, loc, {localCount, localSum}, grid, axes, shard::ReductionKind::Sum);
  stats.count = counts[0];
  Value sum = counts[1];
  stats.mean = buildChannelwise(
      b, loc, sum, type, ValueRange{sum, stats.count},
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nloc, args[0], args[1]);
      });
  Value localM2 = buildChannelwise(
      b, loc, localMean, type,
      ValueRange{partial.getM2(), localCount, localMean, stats.mean},
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value delta = arith::SubFOp::create(nb, nloc, args[2], args[3]);
        Value shift = arith::MulFOp::create(
            nb, nloc, args[1], arith::MulFOp::create(nb, nloc, delta, delta));
        return selectIfNonEmpty(
            nb, nloc, args[1], arith::AddFOp::create(nb, nloc, args[0], shift));
      });
  stats.m2 = allReduceSum(b, loc, localM2, grid, axes);
  return stats;
}

/// Adds the biased variance and 1 / sqrt(var + epsilon) to `stats`.
static void addVarianceAndRstd(OpBuilder &b, Location loc,
                               GlobalStatistics &stats, double epsilon) {
  Type type = cast<RankedTensorType>(stats.m2.getType()).getElementType();
  stats.var = buildChannelwise(
      b, loc, stats.m2, type, ValueRange{stats.m2, stats.count},
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nloc, args[0], args[1]);
      });
  stats.rstd = buildChannelwise(
      b, loc, stats.var, type, ValueRange{stats.var},
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value eps = floatConstant(nb, nloc, type, epsilon);
        return math::RsqrtOp::create(
            nb, nloc, arith::AddFOp::create(nb, nloc, args[0], eps));
      });
}

/// Maps the statistics results of a training batch norm (`saved_mean`,
/// `saved_rstd` and the running statistics, updated as
/// `(1 - momentum) * running + momentum * batch` with the unbiased variance
/// M2 / (N - 1), in the statistics type and stored in the running
/// statistics' type) to their values from `stats`.
template <typename OpTy>
static void mapStatisticsResults(OpBuilder &b, Location loc, OpTy op,
                                 const IRMapping &local,
                                 const GlobalStatistics &stats,
                                 IRMapping &partitionMap) {
  Type type = cast<RankedTensorType>(stats.mean.getType()).getElementType();
  double momentum = op.getMomentum().convertToDouble();
  auto update = [&](Value running, Value batch) {
    Type runningType =
        cast<RankedTensorType>(running.getType()).getElementType();
    return buildChannelwise(
        b, loc, running, runningType, ValueRange{running, batch},
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value old = castFloat(nb, nloc, args[0], type);
          Value keep = floatConstant(nb, nloc, type, 1.0 - momentum);
          Value take = floatConstant(nb, nloc, type, momentum);
          Value sum = arith::AddFOp::create(
              nb, nloc, arith::MulFOp::create(nb, nloc, keep, old),
              arith::MulFOp::create(nb, nloc, take, args[1]));
          return castFloat(nb, nloc, sum, runningType);
        });
  };
  Value unbiased = buildChannelwise(
      b, loc, stats.m2, type, ValueRange{stats.m2, stats.count},
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value one = floatConstant(nb, nloc, type, 1.0);
        return arith::DivFOp::create(
            nb, nloc, args[0], arith::SubFOp::create(nb, nloc, args[1], one));
      });
  partitionMap.map(op.getSavedMean(), stats.mean);
  partitionMap.map(op.getSavedRstd(), stats.rstd);
  partitionMap.map(op.getNewRunningMean(),
                   update(local.lookup(op.getRunningMean()), stats.mean));
  partitionMap.map(op.getNewRunningVar(),
                   update(local.lookup(op.getRunningVar()), unbiased));
}

//===----------------------------------------------------------------------===//
// norm.batch_norm_training
//===----------------------------------------------------------------------===//

/// The batch-shaped value whose sharding decides the partition: the input,
/// or for inplace_abn_grad the forward's output.
static Value getBatchData(BatchNormTrainingOp op) { return op.getInput(); }
static Value getBatchData(InplaceABNOp op) { return op.getInput(); }
static Value getBatchData(BatchNormGradOp op) { return op.getInput(); }
static Value getBatchData(InplaceABNGradOp op) { return op.getOutput(); }
static Value getBatchData(BatchStatsOp op) { return op.getInput(); }
static StringRef getBatchDataName(BatchNormGradOp) { return "the input"; }
static StringRef getBatchDataName(InplaceABNGradOp) {
  return "the forward's output";
}

namespace {
/// The loops and indexing maps shared by the batch-norm sharding models:
/// every dimension of the input is a loop; per-channel operands and results
/// follow `feature_axis`.
template <typename ConcreteModel, typename OpTy>
struct BatchNormShardingModelBase
    : public shard::ShardingInterface::ExternalModel<ConcreteModel, OpTy> {
  /// Upstream's choice, replicated when no annotation reaches the op.
  FailureOr<shard::ShardingOption>
  getShardingOption(Operation *op, ArrayRef<Sharding> operandShardings,
                    ArrayRef<Sharding> resultShardings) const {
    return getDefaultShardingOption(op, operandShardings, resultShardings);
  }

  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    int64_t rank =
        cast<RankedTensorType>(getBatchData(cast<OpTy>(op)).getType())
            .getRank();
    return SmallVector<utils::IteratorType>(rank,
                                            utils::IteratorType::parallel);
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    auto bn = cast<OpTy>(op);
    return getIndexingMapsByRank(
        op, cast<RankedTensorType>(getBatchData(bn).getType()).getRank(),
        bn.getFeatureAxis());
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// norm.batch_norm_training, norm.inplace_abn
//===----------------------------------------------------------------------===//

/// Maps the output (and residual sum) of `bn` to the local shard normalized
/// with the global statistics: for batch_norm_training,
/// norm.batch_norm_inference.
static void buildNormalizedShard(OpBuilder &b, Location loc,
                                 BatchNormTrainingOp bn, const IRMapping &local,
                                 const GlobalStatistics &stats,
                                 IRMapping &partitionMap) {
  Value input = local.lookup(bn.getInput());
  Value residualSum = bn.getResidualSum();
  auto normalized = BatchNormInferenceOp::create(
      b, loc, input.getType(), residualSum ? input.getType() : Type(), input,
      stats.mean, stats.var, lookupLocal(local, bn.getWeight()),
      lookupLocal(local, bn.getBias()), lookupLocal(local, bn.getResidual()),
      bn.getFeatureAxisAttr(), bn.getEpsilonAttr(), bn.getActivationAttr());
  partitionMap.map(bn.getOutput(), normalized.getOutput());
  if (residualSum)
    partitionMap.map(residualSum, normalized.getResidualSum());
}

/// InPlace-ABN Sync: `act((x - mean) * (rstd * w) + b)` as a linalg.generic
/// whose init is the local shard and which reads x through it, as
/// NormToLinalg lowers norm.inplace_abn, so that after bufferization y
/// overwrites x here too. (norm.batch_norm_inference would allocate y.)
static void buildNormalizedShard(OpBuilder &b, Location loc, InplaceABNOp abn,
                                 const IRMapping &local,
                                 const GlobalStatistics &stats,
                                 IRMapping &partitionMap) {
  MLIRContext *context = b.getContext();
  Value input = local.lookup(abn.getInput());
  auto inputType = cast<RankedTensorType>(input.getType());
  Type elementType = inputType.getElementType();
  Type type = cast<RankedTensorType>(stats.rstd.getType()).getElementType();
  Value scale = stats.rstd;
  if (Value weight = lookupLocal(local, abn.getWeight()))
    scale = buildChannelwise(
        b, loc, stats.rstd, type, ValueRange{stats.rstd, weight},
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, nloc, args[0],
                                       castFloat(nb, nloc, args[1], type));
        });
  SmallVector<Value> inputs = {stats.mean, scale};
  Value bias = lookupLocal(local, abn.getBias());
  if (bias)
    inputs.push_back(bias);
  int64_t rank = inputType.getRank();
  AffineMap channel = AffineMap::get(
      rank, 0, getAffineDimExpr(abn.getFeatureAxis(), context), context);
  SmallVector<AffineMap> maps(inputs.size(), channel);
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  ActivationAttr activation = abn.getActivationAttr();
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{inputType}, inputs, ValueRange{input}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = castFloat(nb, nloc, args.back(), type);
        Value value = arith::MulFOp::create(
            nb, nloc, arith::SubFOp::create(nb, nloc, x, args[0]), args[1]);
        if (bias)
          value = arith::AddFOp::create(nb, nloc, value,
                                        castFloat(nb, nloc, args[2], type));
        value = buildActivation(nb, nloc, value, activation);
        linalg::YieldOp::create(nb, nloc,
                                castFloat(nb, nloc, value, elementType));
      });
  partitionMap.map(abn.getOutput(), generic.getResult(0));
}

namespace {
/// Partitions a training batch normalization (batch_norm_training or
/// inplace_abn) whose batch is split.
template <typename OpTy>
struct TrainingBatchNormShardingModel
    : public BatchNormShardingModelBase<TrainingBatchNormShardingModel<OpTy>,
                                        OpTy> {

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto bn = cast<OpTy>(op);
    int64_t featureAxis = bn.getFeatureAxis();
    if (failed(checkPartitionedOperands(op, partitionedOperands)))
      return failure();
    FailureOr<SmallVector<GridAxis>> axes =
        checkShardings(op, bn.getInput(), "the input", featureAxis,
                       operandShardings, resultShardings, symbolTable);
    if (failed(axes))
      return failure();
    if (axes->empty())
      return cloneReplicated(op, partitionedOperands, partitionMap, builder);
    StringRef grid = operandShardings[0].getGrid();
    IRMapping local = mapOperands(op, partitionedOperands);
    Location loc = op->getLoc();

    GlobalStatistics stats = buildGlobalStatistics(
        builder, loc, local.lookup(bn.getInput()),
        cast<RankedTensorType>(bn.getSavedMean().getType()), featureAxis, grid,
        *axes);
    addVarianceAndRstd(builder, loc, stats, bn.getEpsilon().convertToDouble());
    buildNormalizedShard(builder, loc, bn, local, stats, partitionMap);
    mapStatisticsResults(builder, loc, bn, local, stats, partitionMap);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// norm.batch_stats
//===----------------------------------------------------------------------===//

namespace {
/// Partitions the micro-batch statistics of a split batch: those of the
/// whole batch on every process, so that a batch split across processes
/// and into micro-batches (batch_stats_merge) gives the statistics of all
/// of it. f16/bf16 data are fine: the statistics are f32.
struct BatchStatsShardingModel
    : public BatchNormShardingModelBase<BatchStatsShardingModel, BatchStatsOp> {
  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto stats = cast<BatchStatsOp>(op);
    int64_t featureAxis = stats.getFeatureAxis();
    if (failed(checkPartitionedOperands(op, partitionedOperands)))
      return failure();
    FailureOr<SmallVector<GridAxis>> axes = checkShardings(
        op, stats.getInput(), "the input", featureAxis, operandShardings,
        resultShardings, symbolTable, /*dataInStatisticsType=*/false);
    if (failed(axes))
      return failure();
    if (axes->empty())
      return cloneReplicated(op, partitionedOperands, partitionMap, builder);
    GlobalStatistics global =
        buildGlobalStatistics(builder, op->getLoc(), partitionedOperands[0],
                              stats.getMean().getType(), featureAxis,
                              operandShardings[0].getGrid(), *axes);
    partitionMap.map(stats.getCount(), global.count);
    partitionMap.map(stats.getMean(), global.mean);
    partitionMap.map(stats.getM2(), global.m2);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// norm.batch_norm_grad, norm.inplace_abn_grad
//===----------------------------------------------------------------------===//

/// A copy of `grad` on the local shard, with grad_weight and grad_bias of
/// `paramType` (none when null), in the micro-batch form when `sumDpre`,
/// `sumDpreXhat` and `count` are given.
static BatchNormGradOp buildLocalGrad(OpBuilder &b, Location loc,
                                      BatchNormGradOp grad,
                                      const IRMapping &local, Type paramType,
                                      Value sumDpre, Value sumDpreXhat,
                                      Value count) {
  Value input = local.lookup(grad.getInput());
  return BatchNormGradOp::create(
      b, loc, input.getType(), paramType, paramType,
      local.lookup(grad.getGradOutput()), input,
      lookupLocal(local, grad.getResidual()), local.lookup(grad.getMean()),
      local.lookup(grad.getRstd()), lookupLocal(local, grad.getWeight()),
      lookupLocal(local, grad.getBias()),
      lookupLocal(local, grad.getResidualSumGrad()), sumDpre, sumDpreXhat,
      count, grad.getFeatureAxisAttr(), grad.getActivationAttr());
}

static InplaceABNGradOp buildLocalGrad(OpBuilder &b, Location loc,
                                       InplaceABNGradOp grad,
                                       const IRMapping &local, Type paramType,
                                       Value sumDpre, Value sumDpreXhat,
                                       Value count) {
  Value output = local.lookup(grad.getOutput());
  return InplaceABNGradOp::create(
      b, loc, output.getType(), paramType, paramType,
      local.lookup(grad.getGradOutput()), output, local.lookup(grad.getRstd()),
      lookupLocal(local, grad.getWeight()), lookupLocal(local, grad.getBias()),
      sumDpre, sumDpreXhat, count, grad.getFeatureAxisAttr(),
      grad.getActivationAttr());
}

namespace {
/// Partitions the backward of a training batch normalization
/// (batch_norm_grad or inplace_abn_grad) whose batch is split.
template <typename OpTy>
struct BatchNormGradShardingModel
    : public BatchNormShardingModelBase<BatchNormGradShardingModel<OpTy>,
                                        OpTy> {

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto grad = cast<OpTy>(op);
    int64_t featureAxis = grad.getFeatureAxis();
    if (failed(checkPartitionedOperands(op, partitionedOperands)))
      return failure();
    FailureOr<SmallVector<GridAxis>> axes = checkShardings(
        op, getBatchData(grad), getBatchDataName(grad), featureAxis,
        operandShardings, resultShardings, symbolTable);
    if (failed(axes))
      return failure();
    if (axes->empty())
      return cloneReplicated(op, partitionedOperands, partitionMap, builder);
    StringRef grid = operandShardings[0].getGrid();
    IRMapping local = mapOperands(op, partitionedOperands);
    Location loc = op->getLoc();
    OpBuilder &b = builder;
    if (grad.getSumDpre())
      return partitionMicroBatch(grad, local, grid, *axes, partitionMap, b);
    auto statsType = cast<RankedTensorType>(grad.getRstd().getType());

    // Local sums of dpre (grad_bias) and dpre * xhat (grad_weight); the
    // local grad_input is dead and folds away.
    Value batchData = local.lookup(getBatchData(grad));
    SmallVector<int64_t> batchDims;
    for (int64_t dim = 0,
                 rank = cast<RankedTensorType>(batchData.getType()).getRank();
         dim < rank; ++dim)
      if (dim != featureAxis)
        batchDims.push_back(dim);
    OpTy partial = buildLocalGrad(b, loc, grad, local, statsType, Value(),
                                  Value(), Value());
    // One collective for the two sums and the element count.
    SmallVector<Value> sums =
        allReducePacked(b, loc,
                        {partial.getGradBias(), partial.getGradWeight(),
                         buildElementCount(b, loc, batchData, batchDims,
                                           statsType.getElementType())},
                        grid, *axes, shard::ReductionKind::Sum);
    Value sumDpre = sums[0], sumDpreXhat = sums[1], count = sums[2];
    OpTy full = buildLocalGrad(b, loc, grad, local, Type(), sumDpre,
                               sumDpreXhat, count);

    partitionMap.map(grad.getGradInput(), full.getGradInput());
    if (Value gradWeight = grad.getGradWeight())
      partitionMap.map(gradWeight, sumDpreXhat);
    if (Value gradBias = grad.getGradBias())
      partitionMap.map(gradBias, sumDpre);
    return success();
  }

private:
  /// The micro-batch form (gradient accumulation) of a micro-batch split
  /// across processes: its sums and count are already the whole batch's
  /// (replicated operands, from synchronized backward ops and statistics),
  /// so each process computes its rows' grad_input alone; grad_weight and
  /// grad_bias, the sums over this micro-batch, are all-reduced.
  static LogicalResult partitionMicroBatch(OpTy grad, const IRMapping &local,
                                           StringRef grid,
                                           ArrayRef<GridAxis> axes,
                                           IRMapping &partitionMap,
                                           OpBuilder &b) {
    Value gradWeight = grad.getGradWeight(), gradBias = grad.getGradBias();
    Type paramType;
    if (gradWeight || gradBias)
      paramType = (gradWeight ? gradWeight : gradBias).getType();
    OpTy localGrad = buildLocalGrad(b, grad.getLoc(), grad, local, paramType,
                                    local.lookup(grad.getSumDpre()),
                                    local.lookup(grad.getSumDpreXhat()),
                                    local.lookup(grad.getCount()));
    partitionMap.map(grad.getGradInput(), localGrad.getGradInput());
    if (!paramType)
      return success();
    SmallVector<Value> sums = allReducePacked(
        b, grad.getLoc(), {localGrad.getGradBias(), localGrad.getGradWeight()},
        grid, axes, shard::ReductionKind::Sum);
    if (gradBias)
      partitionMap.map(gradBias, sums[0]);
    if (gradWeight)
      partitionMap.map(gradWeight, sums[1]);
    return success();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// mpi.allreduce
//===----------------------------------------------------------------------===//

namespace {
/// The memory effects of mpi.allreduce, which MLIR 22 leaves undeclared: it
/// reads the send buffer and writes the receive buffer. The buffer
/// deallocation pipeline rejects ops on memrefs with unknown effects, and
/// convert-shard-to-mpi runs before bufferization (it emits memrefs).
struct AllReduceMemoryEffectsModel
    : public MemoryEffectOpInterface::ExternalModel<AllReduceMemoryEffectsModel,
                                                    mpi::AllReduceOp> {
  void
  getEffects(Operation *op,
             SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                 &effects) const {
    auto allReduce = cast<mpi::AllReduceOp>(op);
    effects.emplace_back(MemoryEffects::Read::get(),
                         &allReduce.getSendbufMutable());
    effects.emplace_back(MemoryEffects::Write::get(),
                         &allReduce.getRecvbufMutable());
  }
};
} // namespace

void mlir::norm::registerSyncBatchNormShardingModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, NormDialect *) {
    // The partitioned form is built from these dialects.
    DialectRegistry dependencies;
    dependencies
        .insert<arith::ArithDialect, linalg::LinalgDialect, math::MathDialect,
                shard::ShardDialect, tensor::TensorDialect>();
    context->appendDialectRegistry(dependencies);
    for (StringRef name : dependencies.getDialectNames())
      context->getOrLoadDialect(name);
    BatchNormTrainingOp::attachInterface<
        TrainingBatchNormShardingModel<BatchNormTrainingOp>>(*context);
    InplaceABNOp::attachInterface<TrainingBatchNormShardingModel<InplaceABNOp>>(
        *context);
    BatchNormGradOp::attachInterface<
        BatchNormGradShardingModel<BatchNormGradOp>>(*context);
    InplaceABNGradOp::attachInterface<
        BatchNormGradShardingModel<InplaceABNGradOp>>(*context);
    BatchStatsOp::attachInterface<BatchStatsShardingModel>(*context);
  });
  registry.addExtension(+[](MLIRContext *context, mpi::MPIDialect *) {
    mpi::AllReduceOp::attachInterface<AllReduceMemoryEffectsModel>(*context);
  });
}
