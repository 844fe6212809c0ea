//===- SyncBatchNorm.cpp - Batch normalization over a sharded batch -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// ShardingInterface models of norm.batch_norm_training and
// norm.batch_norm_grad. Loops: one per input dimension, all parallel; the
// per-channel operands and results are indexed by the feature axis alone, so
// `--sharding-propagation` keeps them replicated when the batch is split.
//
// `--shard-partition` calls `partition`, which, when a batch dimension (any
// dimension but the feature axis) is split over grid axes, emits:
//
//   forward   norm.batch_stats of the local shard -> (n, mean, m2)
//             N  = all_reduce(n)
//             S  = all_reduce(n * mean),        mean_g = S / N
//             M2 = all_reduce(m2 + n * (mean - mean_g)^2),  var = M2 / N
//             y  = norm.batch_norm_inference of the shard with (mean_g, var)
//             running statistics updated with mean_g and M2 / (N - 1)
//   backward  local norm.batch_norm_grad -> sums of dpre and dpre * xhat
//             all_reduce of both sums and of the element count, then the
//             micro-batch form of norm.batch_norm_grad with those sums.
//
// The second moment is merged around the global mean (the all-reduce form of
// Chan's update), every term non-negative, so no cancellation. The
// collectives name only grid axes: the process count and placement come from
// the grid and the MPI communicator, nothing assumes one host.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/SyncBatchNorm.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
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

/// Shared checks of `partition`: the batch-shaped operands and results must
/// all be sharded like `batchValue`, the per-channel ones replicated, and
/// the statistics type that of the data. Returns the grid axes that split
/// the batch (empty: nothing to synchronize).
static FailureOr<SmallVector<GridAxis>>
checkShardings(Operation *op, Value batchValue, int64_t featureAxis,
               ArrayRef<Sharding> operandShardings,
               ArrayRef<Sharding> resultShardings) {
  Sharding batchSharding;
  for (OpOperand &operand : op->getOpOperands())
    if (operand.get() == batchValue)
      batchSharding = operandShardings[operand.getOperandNumber()];
  FailureOr<SmallVector<GridAxis>> axes =
      getBatchGridAxes(op, batchSharding, featureAxis);
  if (failed(axes) || axes->empty())
    return axes;

  auto batchType = cast<RankedTensorType>(batchValue.getType());
  auto check = [&](Type type, const Sharding &sharding,
                   StringRef what) -> LogicalResult {
    bool batchShaped =
        cast<RankedTensorType>(type).getRank() == batchType.getRank();
    if (batchShaped && (!sharding || !sharding.equalSplitAxes(batchSharding) ||
                        !sharding.equalHaloAndShardSizes(batchSharding)))
      return op->emitOpError()
             << "expects " << what
             << " of the input's shape to be sharded like the input";
    if (!batchShaped && !isReplicated(sharding))
      return op->emitOpError() << "expects per-channel " << what
                               << " to be replicated when the batch is split";
    return success();
  };
  for (OpOperand &operand : op->getOpOperands())
    if (failed(check(operand.get().getType(),
                     operandShardings[operand.getOperandNumber()], "operands")))
      return failure();
  for (OpResult result : op->getResults())
    if (failed(check(result.getType(),
                     resultShardings[result.getResultNumber()], "results")))
      return failure();

  Type elementType = batchType.getElementType();
  if (getStatisticsElementType(elementType) != elementType) {
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

//===----------------------------------------------------------------------===//
// norm.batch_norm_training
//===----------------------------------------------------------------------===//

namespace {
/// The loops and indexing maps shared by the batch-norm sharding models:
/// every dimension of the input is a loop; per-channel operands and results
/// follow `feature_axis`.
template <typename ConcreteModel, typename OpTy>
struct BatchNormShardingModelBase
    : public shard::ShardingInterface::ExternalModel<ConcreteModel, OpTy> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    int64_t rank = cast<OpTy>(op).getInput().getType().getRank();
    return SmallVector<utils::IteratorType>(rank,
                                            utils::IteratorType::parallel);
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    auto bn = cast<OpTy>(op);
    return getIndexingMapsByRank(op, bn.getInput().getType().getRank(),
                                 bn.getFeatureAxis());
  }
};

/// Partitions a training batch normalization whose batch is split.
struct BatchNormTrainingShardingModel
    : public BatchNormShardingModelBase<BatchNormTrainingShardingModel,
                                        BatchNormTrainingOp> {

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto bn = cast<BatchNormTrainingOp>(op);
    int64_t featureAxis = bn.getFeatureAxis();
    FailureOr<SmallVector<GridAxis>> axes = checkShardings(
        op, bn.getInput(), featureAxis, operandShardings, resultShardings);
    if (failed(axes))
      return failure();
    if (axes->empty())
      return cloneReplicated(op, partitionedOperands, partitionMap, builder);
    StringRef grid = operandShardings[0].getGrid();
    IRMapping local = mapOperands(op, partitionedOperands);
    Location loc = op->getLoc();
    OpBuilder &b = builder;

    // Local partial statistics, in the statistics type.
    Value input = local.lookup(bn.getInput());
    auto statsType = cast<RankedTensorType>(bn.getSavedMean().getType());
    Type type = statsType.getElementType();
    auto countType = RankedTensorType::get({}, type);
    auto partial =
        BatchStatsOp::create(b, loc, countType, statsType, statsType, input,
                             b.getI64IntegerAttr(featureAxis));
    Value localCount = partial.getCount(), localMean = partial.getMean();

    // Global count, mean and centred second moment.
    Value count = allReduceSum(b, loc, localCount, grid, *axes);
    Value localSum = buildChannelwise(
        b, loc, localMean, type, ValueRange{localCount, localMean},
        [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          return arith::MulFOp::create(nb, nloc, args[0], args[1]);
        });
    Value sum = allReduceSum(b, loc, localSum, grid, *axes);
    Value mean = buildChannelwise(
        b, loc, sum, type, ValueRange{sum, count},
        [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          return arith::DivFOp::create(nb, nloc, args[0], args[1]);
        });
    Value localM2 = buildChannelwise(
        b, loc, localMean, type,
        ValueRange{partial.getM2(), localCount, localMean, mean},
        [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value delta = arith::SubFOp::create(nb, nloc, args[2], args[3]);
          Value shift = arith::MulFOp::create(
              nb, nloc, args[1], arith::MulFOp::create(nb, nloc, delta, delta));
          return arith::AddFOp::create(nb, nloc, args[0], shift);
        });
    Value m2 = allReduceSum(b, loc, localM2, grid, *axes);
    Value var = buildChannelwise(
        b, loc, m2, type, ValueRange{m2, count},
        [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          return arith::DivFOp::create(nb, nloc, args[0], args[1]);
        });
    double epsilon = bn.getEpsilon().convertToDouble();
    Value rstd = buildChannelwise(
        b, loc, var, type, ValueRange{var},
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value eps = floatConstant(nb, nloc, type, epsilon);
          return math::RsqrtOp::create(
              nb, nloc, arith::AddFOp::create(nb, nloc, args[0], eps));
        });

    // Normalize the local shard with the global statistics.
    Value residualSum = bn.getResidualSum();
    auto normalized = BatchNormInferenceOp::create(
        b, loc, input.getType(), residualSum ? input.getType() : Type(), input,
        mean, var, lookupLocal(local, bn.getWeight()),
        lookupLocal(local, bn.getBias()), lookupLocal(local, bn.getResidual()),
        bn.getFeatureAxisAttr(), bn.getEpsilonAttr(), bn.getActivationAttr());

    // running = (1 - momentum) * running + momentum * batch, in the
    // statistics type, stored in the running statistics' type.
    double momentum = bn.getMomentum().convertToDouble();
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
    // The unbiased variance M2 / (N - 1).
    Value unbiased = buildChannelwise(
        b, loc, m2, type, ValueRange{m2, count},
        [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
          Value one = floatConstant(nb, nloc, type, 1.0);
          return arith::DivFOp::create(
              nb, nloc, args[0], arith::SubFOp::create(nb, nloc, args[1], one));
        });

    partitionMap.map(bn.getOutput(), normalized.getOutput());
    partitionMap.map(bn.getSavedMean(), mean);
    partitionMap.map(bn.getSavedRstd(), rstd);
    partitionMap.map(bn.getNewRunningMean(),
                     update(local.lookup(bn.getRunningMean()), mean));
    partitionMap.map(bn.getNewRunningVar(),
                     update(local.lookup(bn.getRunningVar()), unbiased));
    if (residualSum)
      partitionMap.map(residualSum, normalized.getResidualSum());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// norm.batch_norm_grad
//===----------------------------------------------------------------------===//

/// Partitions the backward of a training batch normalization whose batch is
/// split.
struct BatchNormGradShardingModel
    : public BatchNormShardingModelBase<BatchNormGradShardingModel,
                                        BatchNormGradOp> {

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto grad = cast<BatchNormGradOp>(op);
    int64_t featureAxis = grad.getFeatureAxis();
    FailureOr<SmallVector<GridAxis>> axes = checkShardings(
        op, grad.getInput(), featureAxis, operandShardings, resultShardings);
    if (failed(axes))
      return failure();
    if (axes->empty())
      return cloneReplicated(op, partitionedOperands, partitionMap, builder);
    if (grad.getSumDpre())
      return op->emitOpError()
             << "is already in micro-batch form (batch_grad_sums); it cannot "
                "also be synchronized across processes";
    StringRef grid = operandShardings[0].getGrid();
    IRMapping local = mapOperands(op, partitionedOperands);
    Location loc = op->getLoc();
    OpBuilder &b = builder;

    Value gradOutput = local.lookup(grad.getGradOutput());
    Value input = local.lookup(grad.getInput());
    Value residual = lookupLocal(local, grad.getResidual());
    Value mean = local.lookup(grad.getMean());
    Value rstd = local.lookup(grad.getRstd());
    Value weight = lookupLocal(local, grad.getWeight());
    Value bias = lookupLocal(local, grad.getBias());
    Value residualSumGrad = lookupLocal(local, grad.getResidualSumGrad());
    auto statsType = cast<RankedTensorType>(grad.getMean().getType());
    Type type = statsType.getElementType();

    // Local sums of dpre (grad_bias) and dpre * xhat (grad_weight); the
    // local grad_input is dead and folds away.
    auto partial = BatchNormGradOp::create(
        b, loc, input.getType(), statsType, statsType, gradOutput, input,
        residual, mean, rstd, weight, bias, residualSumGrad, Value(), Value(),
        Value(), grad.getFeatureAxisAttr(), grad.getActivationAttr());
    Value sumDpre = allReduceSum(b, loc, partial.getGradBias(), grid, *axes);
    Value sumDpreXhat =
        allReduceSum(b, loc, partial.getGradWeight(), grid, *axes);

    // The element count of a channel over the whole batch.
    Value localCount = arith::ConstantIndexOp::create(b, loc, 1);
    auto inputType = cast<RankedTensorType>(input.getType());
    for (int64_t dim = 0; dim < inputType.getRank(); ++dim)
      if (dim != featureAxis)
        localCount = arith::MulIOp::create(
            b, loc, localCount, tensor::DimOp::create(b, loc, input, dim));
    Value localCountFloat = arith::UIToFPOp::create(
        b, loc, type,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), localCount));
    Value count = allReduceSum(
        b, loc,
        tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, type),
                                       localCountFloat),
        grid, *axes);

    auto full = BatchNormGradOp::create(
        b, loc, input.getType(), Type(), Type(), gradOutput, input, residual,
        mean, rstd, weight, bias, residualSumGrad, sumDpre, sumDpreXhat, count,
        grad.getFeatureAxisAttr(), grad.getActivationAttr());

    partitionMap.map(grad.getGradInput(), full.getGradInput());
    if (Value gradWeight = grad.getGradWeight())
      partitionMap.map(gradWeight, sumDpreXhat);
    if (Value gradBias = grad.getGradBias())
      partitionMap.map(gradBias, sumDpre);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// mpi.allreduce
//===----------------------------------------------------------------------===//

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
    BatchNormTrainingOp::attachInterface<BatchNormTrainingShardingModel>(
        *context);
    BatchNormGradOp::attachInterface<BatchNormGradShardingModel>(*context);
  });
  registry.addExtension(+[](MLIRContext *context, mpi::MPIDialect *) {
    mpi::AllReduceOp::attachInterface<AllReduceMemoryEffectsModel>(*context);
  });
}
