//===- ShardingModels.cpp - Norm ops over a sharded batch -----------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// ShardingInterface models of the norm ops whose statistics are per sample or
// per channel. Loops: one per dimension of the input; the dimensions an op
// normalizes over are reductions, the others parallel:
//
//   layer_norm / rms_norm (+ grads)   the trailing `axes` reduce
//   group_norm (+ grad)               every dimension but the batch (0)
//   batch_norm_inference              none (elementwise with per-channel
//                                     parameters, which follow the channel)
//
// Values of the input's rank (outputs, residuals, LayerNorm's keep-dims
// statistics) are indexed by every loop; weights, biases and their gradients
// by the normalized dimensions (the channel for the channel norms);
// GroupNorm's [N, G] statistics by the batch and channel loops (the groups
// are blocks of channels). So `--sharding-propagation` splits them along with
// the batch and replicates the parameters.
//
// `--shard-partition` then needs no communication: each process normalizes
// its own samples (partitionTriviallyShardableOperation), except that the
// parameter gradients of the backward ops are sums over the whole batch and
// are all-reduced over the grid axes that split it. A split normalized
// dimension, which would need the statistics of several processes, is
// refused with an error, as are halos and explicit shard sizes.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/ShardingModels.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::norm;
using shard::GridAxis;
using shard::Sharding;

namespace {

/// How an op's loops (one per input dimension) are used: which reduce, and
/// the loops that index the values whose rank differs from the input's.
struct LoopStructure {
  int64_t rank = 0;
  SmallVector<bool> reduced;
  /// (value rank, the loops of its dimensions in order).
  SmallVector<std::pair<int64_t, SmallVector<int64_t>>> otherRanks;
};

/// The trailing `axes` of a LayerNorm/RMSNorm (and their backward ops)
/// reduce; weights and biases are indexed by them.
LoopStructure trailingAxesStructure(int64_t rank, ArrayRef<int64_t> axes) {
  LoopStructure loops;
  loops.rank = rank;
  loops.reduced.assign(rank, false);
  SmallVector<int64_t> axisLoops;
  for (int64_t axis : axes) {
    loops.reduced[axis] = true;
    axisLoops.push_back(axis);
  }
  loops.otherRanks.push_back({static_cast<int64_t>(axes.size()), axisLoops});
  return loops;
}

/// GroupNorm: only the batch (dimension 0) is parallel; weights and biases
/// follow the channel, the [N, G] statistics the batch and the channel.
LoopStructure groupStructure(int64_t rank, int64_t channelAxis) {
  LoopStructure loops;
  loops.rank = rank;
  loops.reduced.assign(rank, true);
  loops.reduced[0] = false;
  loops.otherRanks.push_back({1, {channelAxis}});
  loops.otherRanks.push_back({2, {0, channelAxis}});
  return loops;
}

LoopStructure getLoopStructure(Operation *op) {
  return TypeSwitch<Operation *, LoopStructure>(op)
      .Case<LayerNormOp, RMSNormOp>([](auto norm) {
        return trailingAxesStructure(norm.getInput().getType().getRank(),
                                     norm.getAxes());
      })
      .Case<LayerNormGradOp, RMSNormGradOp>([](auto grad) {
        return trailingAxesStructure(grad.getInput().getType().getRank(),
                                     grad.getAxes());
      })
      .Case<GroupNormOp, GroupNormGradOp>([](auto norm) {
        int64_t rank = norm.getInput().getType().getRank();
        int64_t channelAxis = norm.getChannelAxis();
        return groupStructure(rank, channelAxis < 0 ? channelAxis + rank
                                                    : channelAxis);
      })
      .Case<BatchNormInferenceOp>([](BatchNormInferenceOp bn) {
        LoopStructure loops;
        loops.rank = bn.getInput().getType().getRank();
        loops.reduced.assign(loops.rank, false);
        loops.otherRanks.push_back(
            {1, {static_cast<int64_t>(bn.getFeatureAxis())}});
        return loops;
      });
}

/// The grid axes that split the parallel loops, read from the input's
/// sharding; fails, with an error on `op`, when a sharding splits a reduced
/// loop or has halos or explicit shard sizes.
FailureOr<SmallVector<GridAxis>>
checkShardings(Operation *op, const LoopStructure &loops,
               ArrayRef<AffineMap> maps, ArrayRef<Sharding> operandShardings,
               ArrayRef<Sharding> resultShardings, Value input) {
  SmallVector<GridAxis> batchAxes;
  auto check = [&](const Sharding &sharding, AffineMap map,
                   bool isInput) -> LogicalResult {
    if (!sharding)
      return success();
    if (!sharding.getStaticHaloSizes().empty() ||
        !sharding.getDynamicHaloSizes().empty() ||
        !sharding.getStaticShardedDimsOffsets().empty() ||
        !sharding.getDynamicShardedDimsOffsets().empty())
      return op->emitOpError() << "cannot be partitioned over a sharding with "
                                  "halos or explicit shard sizes";
    for (auto [dim, gridAxes] : llvm::enumerate(sharding.getSplitAxes())) {
      if (gridAxes.empty() || dim >= map.getNumResults())
        continue;
      int64_t loop = cast<AffineDimExpr>(map.getResult(dim)).getPosition();
      if (loops.reduced[loop])
        return op->emitOpError()
               << "cannot be partitioned: it normalizes over dimension " << loop
               << " of its input, which is split across processes; only "
                  "the dimensions it does not normalize over may be split";
      if (isInput)
        llvm::append_range(batchAxes, gridAxes.asArrayRef());
    }
    return success();
  };
  unsigned numOperands = op->getNumOperands();
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned index = operand.getOperandNumber();
    if (failed(check(operandShardings[index], maps[index],
                     operand.get() == input)))
      return failure();
  }
  for (OpResult result : op->getResults()) {
    unsigned index = result.getResultNumber();
    if (failed(check(resultShardings[index], maps[numOperands + index],
                     /*isInput=*/false)))
      return failure();
  }
  return batchAxes;
}

/// The sharding that the split of the input (indexed by every loop) implies
/// for a value indexed by `map`: what sharding-propagation leaves out for a
/// result without uses.
Sharding shardingFromInput(const Sharding &inputSharding, AffineMap map) {
  ArrayRef<shard::GridAxesAttr> inputAxes = inputSharding.getSplitAxes();
  SmallVector<shard::GridAxesAttr> axes;
  for (AffineExpr expr : map.getResults()) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    axes.push_back(loop < inputAxes.size()
                       ? inputAxes[loop]
                       : shard::GridAxesAttr::get(map.getContext(), {}));
  }
  while (!axes.empty() && axes.back().empty())
    axes.pop_back();
  return Sharding::get(inputSharding.getGridAttr(), axes);
}

/// The model shared by the forward and backward ops. The backward ops'
/// parameter gradients (`ParameterGradients`) are sums over the batch:
/// computed on the local samples, then all-reduced.
template <typename OpTy, bool ParameterGradients = false>
struct NormShardingModel
    : public shard::ShardingInterface::ExternalModel<
          NormShardingModel<OpTy, ParameterGradients>, OpTy> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    SmallVector<utils::IteratorType> types;
    for (bool reduced : getLoopStructure(op).reduced)
      types.push_back(reduced ? utils::IteratorType::reduction
                              : utils::IteratorType::parallel);
    return types;
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    LoopStructure loops = getLoopStructure(op);
    MLIRContext *context = op->getContext();
    auto mapOf = [&](Type type) {
      int64_t rank = cast<RankedTensorType>(type).getRank();
      if (rank == loops.rank)
        return AffineMap::getMultiDimIdentityMap(rank, context);
      for (const auto &[otherRank, dims] : loops.otherRanks) {
        if (otherRank != rank)
          continue;
        SmallVector<AffineExpr> exprs;
        for (int64_t dim : dims)
          exprs.push_back(getAffineDimExpr(dim, context));
        return AffineMap::get(loops.rank, 0, exprs, context);
      }
      // The verifiers allow no other rank; a rank-0 value is replicated.
      return AffineMap::get(loops.rank, 0, {}, context);
    };
    SmallVector<AffineMap> maps;
    for (Type type : op->getOperandTypes())
      maps.push_back(mapOf(type));
    for (Type type : op->getResultTypes())
      maps.push_back(mapOf(type));
    return maps;
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto norm = cast<OpTy>(op);
    SmallVector<AffineMap> maps = getIndexingMaps(op);
    FailureOr<SmallVector<GridAxis>> batchAxes =
        checkShardings(op, getLoopStructure(op), maps, operandShardings,
                       resultShardings, norm.getInput());
    if (failed(batchAxes))
      return failure();
    Sharding inputSharding;
    for (OpOperand &operand : op->getOpOperands())
      if (operand.get() == norm.getInput())
        inputSharding = operandShardings[operand.getOperandNumber()];
    if (!inputSharding) {
      // Nothing is split: every process computes the whole op.
      builder.clone(*op, partitionMap);
      return success();
    }
    std::vector<Sharding> shardings(resultShardings.begin(),
                                    resultShardings.end());
    for (auto [index, sharding] : llvm::enumerate(shardings))
      if (!sharding)
        sharding = shardingFromInput(inputSharding,
                                     maps[op->getNumOperands() + index]);
    shard::partitionTriviallyShardableOperation(
        *op, partitionedOperands, operandShardings, shardings, partitionMap,
        symbolTable, builder);
    if constexpr (ParameterGradients) {
      if (batchAxes->empty())
        return success();
      // Each process summed over its own samples: add the sums up.
      StringRef grid = inputSharding.getGrid();
      SmallVector<Value> gradients = {norm.getGradWeight()};
      if constexpr (!std::is_same_v<OpTy, RMSNormGradOp>)
        gradients.push_back(norm.getGradBias());
      for (Value gradient : gradients) {
        if (!gradient)
          continue;
        Value local = partitionMap.lookup(gradient);
        Value sum =
            shard::AllReduceOp::create(builder, op->getLoc(), local, grid,
                                       *batchAxes, shard::ReductionKind::Sum)
                .getResult();
        partitionMap.map(gradient, sum);
      }
    }
    return success();
  }
};

} // namespace

void mlir::norm::registerNormShardingModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, NormDialect *) {
    context->getOrLoadDialect<shard::ShardDialect>();
    LayerNormOp::attachInterface<NormShardingModel<LayerNormOp>>(*context);
    RMSNormOp::attachInterface<NormShardingModel<RMSNormOp>>(*context);
    GroupNormOp::attachInterface<NormShardingModel<GroupNormOp>>(*context);
    BatchNormInferenceOp::attachInterface<
        NormShardingModel<BatchNormInferenceOp>>(*context);
    LayerNormGradOp::attachInterface<NormShardingModel<LayerNormGradOp, true>>(
        *context);
    RMSNormGradOp::attachInterface<NormShardingModel<RMSNormGradOp, true>>(
        *context);
    GroupNormGradOp::attachInterface<NormShardingModel<GroupNormGradOp, true>>(
        *context);
  });
}
