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
//   layer_norm / rms_norm (+ grads)   the `axes` reduce
//   group_norm (+ grad)               every dimension but the batch (0)
//   batch_norm_inference              none (elementwise with per-channel
//                                     parameters, which follow the channel)
//   standardize / min_max_scale       none (statistics indexed by the
//                                     dimensions not in `axes`)
//   image_normalize                   none (mean/std follow the channel)
//   moments / min_max                 `axes` (the fitted dimensions)
//   spectral_norm                     every dimension of the weight
//   batch_stats_merge                 none (per channel; the counts are
//                                     rank 0, replicated)
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
// refused with an error, as are halos, explicit shard sizes and uneven
// static splits. The fits are the exception: fitting a normalization on a
// training split spread over processes is their point, so a split fitted
// dimension is allowed and the processes' parts are combined
// (FitShardingModel).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/ShardingModels.h"
#include "ShardingUtils.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
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

/// The `axes` of a LayerNorm/RMSNorm (and their backward ops)
/// reduce; weights and biases are indexed by them.
LoopStructure normAxesStructure(int64_t rank, ArrayRef<int64_t> axes) {
  LoopStructure loops;
  loops.rank = rank;
  loops.reduced.assign(rank, false);
  for (int64_t axis : axes)
    loops.reduced[axis] = true;
  loops.otherRanks.push_back(
      {static_cast<int64_t>(axes.size()), llvm::to_vector(axes)});
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

/// The data normalizations: statistics indexed by the dimensions not in
/// `axes`, which the fits (moments, min_max) reduce and the transforms
/// (standardize, min_max_scale) map elementwise.
LoopStructure keptAxesStructure(int64_t rank, ArrayRef<int64_t> axes,
                                bool reduce) {
  LoopStructure loops;
  loops.rank = rank;
  loops.reduced.assign(rank, false);
  SmallVector<int64_t> kept;
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (llvm::is_contained(axes, dim))
      loops.reduced[dim] = reduce;
    else
      kept.push_back(dim);
  }
  loops.otherRanks.push_back({static_cast<int64_t>(kept.size()), kept});
  return loops;
}

/// `rank` loops, all reduced or all parallel, with the rank-1 values (a
/// weight, per-channel statistics) indexed by loop `channel` if given.
LoopStructure uniformStructure(int64_t rank, bool reduced,
                               std::optional<int64_t> channel) {
  LoopStructure loops;
  loops.rank = rank;
  loops.reduced.assign(rank, reduced);
  if (channel)
    loops.otherRanks.push_back({1, {*channel}});
  return loops;
}

LoopStructure getLoopStructure(Operation *op) {
  return TypeSwitch<Operation *, LoopStructure>(op)
      .Case<MomentsOp, MinMaxOp>([](auto fit) {
        return keptAxesStructure(fit.getInput().getType().getRank(),
                                 fit.getAxes(), /*reduce=*/true);
      })
      .Case<StandardizeOp, MinMaxScaleOp>([](auto transform) {
        return keptAxesStructure(transform.getInput().getType().getRank(),
                                 transform.getAxes(), /*reduce=*/false);
      })
      .Case<SpectralNormOp>([](SpectralNormOp spectral) {
        // sigma depends on the whole weight: every loop reduces, so the
        // weight is never split (data parallelism replicates it anyway).
        return uniformStructure(spectral.getWeight().getType().getRank(),
                                /*reduced=*/true,
                                static_cast<int64_t>(spectral.getDim()));
      })
      .Case<ImageNormalizeOp>([](ImageNormalizeOp image) {
        return uniformStructure(image.getInput().getType().getRank(),
                                /*reduced=*/false, image.getChannelAxis());
      })
      .Case<LayerNormOp, RMSNormOp, LayerNormGradOp, RMSNormGradOp>(
          [](auto norm) {
            return normAxesStructure(norm.getInput().getType().getRank(),
                                     norm.getAxes());
          })
      .Case<GroupNormOp, GroupNormGradOp>([](auto norm) {
        return groupStructure(norm.getInput().getType().getRank(),
                              norm.getChannelAxis());
      })
      .Case<BatchStatsMergeOp>([](BatchStatsMergeOp) {
        // One parallel loop over the channels (the verifier requires rank-1
        // means, indexed by it as the input is).
        return uniformStructure(1, /*reduced=*/false, std::nullopt);
      })
      .Case<BatchNormInferenceOp>([](BatchNormInferenceOp bn) {
        return uniformStructure(bn.getInput().getType().getRank(),
                                /*reduced=*/false,
                                static_cast<int64_t>(bn.getFeatureAxis()));
      });
}

/// The split axes that the split of the input (indexed by every loop) implies
/// for a value indexed by `map`, without trailing empty entries.
SmallVector<shard::GridAxesAttr>
splitAxesFromInput(ArrayRef<shard::GridAxesAttr> inputAxes, AffineMap map) {
  SmallVector<shard::GridAxesAttr> axes;
  for (AffineExpr expr : map.getResults()) {
    unsigned loop = cast<AffineDimExpr>(expr).getPosition();
    axes.push_back(loop < inputAxes.size()
                       ? inputAxes[loop]
                       : shard::GridAxesAttr::get(map.getContext(), {}));
  }
  while (!axes.empty() && axes.back().empty())
    axes.pop_back();
  return axes;
}

/// Whether `sharding` splits its value as `expected` does.
bool hasSplitAxes(const Sharding &sharding,
                  ArrayRef<shard::GridAxesAttr> expected) {
  ArrayRef<shard::GridAxesAttr> axes = sharding.getSplitAxes();
  while (!axes.empty() && axes.back().empty())
    axes = axes.drop_back();
  return axes == expected;
}

/// The sharding that the input's implies for a value indexed by `map`: what
/// sharding-propagation leaves out for a result without uses.
Sharding shardingFromInput(const Sharding &inputSharding, AffineMap map) {
  return Sharding::get(inputSharding.getGridAttr(),
                       splitAxesFromInput(inputSharding.getSplitAxes(), map));
}

/// The grid axes that split the input. Fails, with an error on `op`, when a
/// sharding splits a loop the op normalizes over (unless
/// `allowReducedSplits`: the fits combine their partial results), splits a
/// value otherwise than the input's sharding implies (each process would
/// pair rows or channels of different samples), or has halos or explicit
/// shard sizes.
FailureOr<SmallVector<GridAxis>>
checkShardings(Operation *op, const LoopStructure &loops,
               ArrayRef<AffineMap> maps, ArrayRef<Sharding> operandShardings,
               ArrayRef<Sharding> resultShardings, unsigned inputIndex,
               SymbolTableCollection &symbolTable,
               bool allowReducedSplits = false) {
  unsigned numOperands = op->getNumOperands();
  ArrayRef<shard::GridAxesAttr> inputAxes =
      operandShardings[inputIndex].getSplitAxes();
  if (failed(verifyEvenSplit(
          op, operandShardings[inputIndex],
          cast<RankedTensorType>(op->getOperand(inputIndex).getType()),
          "its input", symbolTable)))
    return failure();

  auto check = [&](const Sharding &sharding, AffineMap map,
                   StringRef what) -> LogicalResult {
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
      if (loops.reduced[loop] && !allowReducedSplits)
        return op->emitOpError()
               << "cannot be partitioned: " << what
               << " is split along dimension " << loop
               << " of the input, which the op normalizes over; only the "
                  "dimensions it does not normalize over may be split";
    }
    if (!hasSplitAxes(sharding, splitAxesFromInput(inputAxes, map)))
      return op->emitOpError()
             << "cannot be partitioned: " << what
             << " is not split as the input is (the same grid axes along the "
                "same dimensions of the input)";
    return success();
  };
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned index = operand.getOperandNumber();
    std::string what = index == inputIndex ? std::string("its input")
                                           : ("operand #" + Twine(index)).str();
    if (failed(check(operandShardings[index], maps[index], what)))
      return failure();
  }
  for (OpResult result : op->getResults()) {
    unsigned index = result.getResultNumber();
    if (failed(check(resultShardings[index], maps[numOperands + index],
                     ("result #" + Twine(index)).str())))
      return failure();
  }
  SmallVector<GridAxis> batchAxes;
  for (shard::GridAxesAttr axes : inputAxes)
    llvm::append_range(batchAxes, axes.asArrayRef());
  return batchAxes;
}

/// `value` with its elements converted to `elementType` (extf or truncf in a
/// linalg.generic).
Value convertElements(OpBuilder &b, Location loc, Value value,
                      Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  Type from = type.getElementType();
  if (from == elementType)
    return value;
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  Value init = tensor::EmptyOp::create(b, loc, sizes, elementType);
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(type.getRank(), b.getContext());
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{value}, ValueRange{init},
      ArrayRef<AffineMap>{identity, identity},
      SmallVector<utils::IteratorType>(type.getRank(),
                                       utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value converted =
            from.getIntOrFloatBitWidth() < elementType.getIntOrFloatBitWidth()
                ? arith::ExtFOp::create(nb, nloc, elementType, args[0])
                      .getResult()
                : arith::TruncFOp::create(nb, nloc, elementType, args[0])
                      .getResult();
        linalg::YieldOp::create(nb, nloc, converted);
      });
  return generic.getResult(0);
}

/// The operand number of an op's normalized (or fitted) input: grad_output
/// comes first in the backward ops.
template <typename OpTy> unsigned inputOperandIndex(Operation *op) {
  return cast<OpTy>(op).getInputMutable().getOperandNumber();
}
template <> unsigned inputOperandIndex<SpectralNormOp>(Operation *op) {
  return cast<SpectralNormOp>(op).getWeightMutable().getOperandNumber();
}
template <> unsigned inputOperandIndex<BatchStatsMergeOp>(Operation *op) {
  return cast<BatchStatsMergeOp>(op).getMeanAMutable().getOperandNumber();
}

/// Each process runs `op` on its part: results sharded as the input
/// implies where shard-partition gave no sharding (a result without uses).
void partitionLocally(Operation *op, ArrayRef<Value> partitionedOperands,
                      ArrayRef<Sharding> operandShardings,
                      ArrayRef<Sharding> resultShardings,
                      ArrayRef<AffineMap> maps, const Sharding &inputSharding,
                      IRMapping &partitionMap,
                      SymbolTableCollection &symbolTable, OpBuilder &builder) {
  std::vector<Sharding> shardings(resultShardings.begin(),
                                  resultShardings.end());
  for (auto [index, sharding] : llvm::enumerate(shardings))
    if (!sharding)
      sharding =
          shardingFromInput(inputSharding, maps[op->getNumOperands() + index]);
  shard::partitionTriviallyShardableOperation(
      *op, partitionedOperands, operandShardings, shardings, partitionMap,
      symbolTable, builder);
}

/// `values` all-reduced with `kind` over `gridAxes` in one collective
/// (allReducePacked); f16/bf16 (which MPI does not reduce) through f32.
SmallVector<Value> allReduce(OpBuilder &b, Location loc, ValueRange values,
                             StringRef grid, ArrayRef<GridAxis> gridAxes,
                             shard::ReductionKind kind) {
  // Each value in its own reduce type and back (grad_weight and grad_bias
  // may differ: a bf16 weight's gradient next to an f32 bias's).
  auto reduceTypeOf = [&](Type elementType) -> Type {
    return elementType.isF32() || elementType.isF64() ? elementType
                                                      : b.getF32Type();
  };
  SmallVector<Value> converted;
  for (Value value : values)
    converted.push_back(convertElements(
        b, loc, value, reduceTypeOf(getElementTypeOrSelf(value.getType()))));
  SmallVector<Value> reduced =
      allReducePacked(b, loc, converted, grid, gridAxes, kind);
  for (auto [value, original] : llvm::zip(reduced, values))
    value = convertElements(b, loc, value,
                            getElementTypeOrSelf(original.getType()));
  return reduced;
}

/// Loops and indexing maps from getLoopStructure; upstream's sharding
/// option, replicated when no annotation reaches the op.
template <typename ConcreteModel, typename OpTy>
struct LoopStructureModel
    : public shard::ShardingInterface::ExternalModel<ConcreteModel, OpTy> {
  FailureOr<shard::ShardingOption>
  getShardingOption(Operation *op, ArrayRef<Sharding> operandShardings,
                    ArrayRef<Sharding> resultShardings) const {
    return getDefaultShardingOption(op, operandShardings, resultShardings);
  }

  /// What every `partition` checks first: each operand resharded, and the
  /// shardings consistent with the loops (checkShardings; the fits allow
  /// `allowReducedSplits`). Sets `maps` to the op's indexing maps; returns
  /// the grid axes that split the input.
  FailureOr<SmallVector<GridAxis>> checkPartition(
      Operation *op, ArrayRef<Value> partitionedOperands,
      ArrayRef<Sharding> operandShardings, ArrayRef<Sharding> resultShardings,
      SymbolTableCollection &symbolTable, SmallVector<AffineMap> &maps,
      bool allowReducedSplits = false) const {
    if (failed(checkPartitionedOperands(op, partitionedOperands)))
      return failure();
    // shard-partition calls `partition` only for annotated ops, with a
    // sharding for every operand (replicated ones included).
    assert(operandShardings[inputOperandIndex<OpTy>(op)] &&
           "shard-partition gives every operand a sharding");
    maps = getIndexingMaps(op);
    return checkShardings(op, getLoopStructure(op), maps, operandShardings,
                          resultShardings, inputOperandIndex<OpTy>(op),
                          symbolTable, allowReducedSplits);
  }

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
};

/// The model of the normalizations (forward and backward) and of the data
/// transforms: a split normalized loop is never chosen and refused. The
/// backward ops' parameter gradients (`ParameterGradients`) are sums over
/// the batch: computed on the local samples, then all-reduced.
template <typename OpTy, bool ParameterGradients = false>
struct NormShardingModel
    : public LoopStructureModel<NormShardingModel<OpTy, ParameterGradients>,
                                OpTy> {
  /// Upstream's choice from all annotations, without splits of the
  /// normalized loops (a user that wants the hidden dimension split gets the
  /// op's result resharded). When the annotations conflict (the same grid
  /// axis on two loops), the input's sharding alone decides and the other
  /// operands are resharded to it.
  FailureOr<shard::ShardingOption>
  getShardingOption(Operation *op, ArrayRef<Sharding> operandShardings,
                    ArrayRef<Sharding> resultShardings) const {
    FailureOr<shard::ShardingOption> option =
        getUpstreamShardingOption(op, operandShardings, resultShardings);
    if (failed(option)) {
      unsigned inputIndex = inputOperandIndex<OpTy>(op);
      std::vector<Sharding> inputOnly(operandShardings.size());
      inputOnly[inputIndex] = operandShardings[inputIndex];
      option = getUpstreamShardingOption(
          op, inputOnly, std::vector<Sharding>(resultShardings.size()));
      if (failed(option))
        return failure();
      if (option->empty) {
        // No input annotation to follow: replicate (a definite choice, so
        // that every operand and result gets annotated and resharded).
        FlatSymbolRefAttr grid;
        for (const Sharding &sharding :
             llvm::concat<const Sharding>(operandShardings, resultShardings))
          if (sharding && !grid)
            grid = sharding.getGridAttr();
        if (!grid)
          return failure();
        option = shard::ShardingOption({}, grid);
      }
    }
    option = replicateWhenUnannotated(op, option);
    if (failed(option))
      return failure();
    LoopStructure loops = getLoopStructure(op);
    for (auto [loop, axes] : llvm::enumerate(option->shardingArray)) {
      if (loop < loops.reduced.size() && loops.reduced[loop] && !axes.empty()) {
        axes.clear();
        // A definite choice (replicate these loops), not "no information".
        option->empty = false;
      }
    }
    while (!option->shardingArray.empty() &&
           option->shardingArray.back().empty())
      option->shardingArray.pop_back();
    return option;
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    SmallVector<AffineMap> maps;
    FailureOr<SmallVector<GridAxis>> batchAxes =
        this->checkPartition(op, partitionedOperands, operandShardings,
                             resultShardings, symbolTable, maps);
    if (failed(batchAxes))
      return failure();
    const Sharding &inputSharding =
        operandShardings[inputOperandIndex<OpTy>(op)];
    partitionLocally(op, partitionedOperands, operandShardings, resultShardings,
                     maps, inputSharding, partitionMap, symbolTable, builder);
    if constexpr (ParameterGradients) {
      if (batchAxes->empty())
        return success();
      // Each process summed over its own samples: add the sums up.
      // grad_weight and grad_bias in one collective.
      auto norm = cast<OpTy>(op);
      SmallVector<Value> gradients = {norm.getGradWeight()};
      if constexpr (!std::is_same_v<OpTy, RMSNormGradOp>)
        gradients.push_back(norm.getGradBias());
      llvm::erase(gradients, Value());
      if (gradients.empty())
        return success();
      SmallVector<Value> local;
      for (Value gradient : gradients)
        local.push_back(partitionMap.lookup(gradient));
      SmallVector<Value> sums =
          allReduce(builder, op->getLoc(), local, inputSharding.getGrid(),
                    *batchAxes, shard::ReductionKind::Sum);
      for (auto [gradient, sum] : llvm::zip(gradients, sums))
        partitionMap.map(gradient, sum);
    }
    return success();
  }
};

/// The type of `fit`'s results for the local part `input`: its shape
/// without the fitted axes.
template <typename OpTy>
RankedTensorType getLocalStatisticsType(OpTy fit, Value input) {
  auto type = cast<RankedTensorType>(input.getType());
  SmallVector<int64_t> shape;
  for (auto [dim, size] : llvm::enumerate(type.getShape()))
    if (!llvm::is_contained(fit.getAxes(), static_cast<int64_t>(dim)))
      shape.push_back(size);
  return RankedTensorType::get(shape, type.getElementType());
}

/// An elementwise linalg.generic over tensors shaped like `like` (rank-0
/// inputs broadcast) computing `body` in `type`, the result in
/// `resultElementType`.
Value buildElementwise(
    OpBuilder &b, Location loc, Value like, ValueRange inputs, Type type,
    Type resultElementType,
    function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  auto likeType = cast<RankedTensorType>(like.getType());
  int64_t rank = likeType.getRank();
  MLIRContext *context = b.getContext();
  Value init = tensor::EmptyOp::create(
      b, loc, tensor::getMixedSizes(b, loc, like), resultElementType);
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(cast<RankedTensorType>(input.getType()).getRank() == 0
                       ? AffineMap::get(rank, 0, {}, context)
                       : AffineMap::getMultiDimIdentityMap(rank, context));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        SmallVector<Value> values;
        for (Value arg : args.drop_back())
          values.push_back(castFloat(nb, nloc, arg, type));
        linalg::YieldOp::create(
            nb, nloc,
            castFloat(nb, nloc, body(nb, nloc, values), resultElementType));
      });
  return generic.getResult(0);
}

/// `-value`, elementwise.
Value negate(OpBuilder &b, Location loc, Value value) {
  Type type = getElementTypeOrSelf(value.getType());
  return buildElementwise(
      b, loc, value, ValueRange{value}, type, type,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::NegFOp::create(nb, nloc, args[0]);
      });
}

/// min_max over a split fitted dimension: the local extremes, then one
/// max-all-reduce of (max, -min) (negation is exact, min = -max(-min)).
void combineSplitFit(OpBuilder &b, Location loc, MinMaxOp fit, Value input,
                     StringRef grid, ArrayRef<GridAxis> axes,
                     IRMapping &partitionMap) {
  RankedTensorType type = getLocalStatisticsType(fit, input);
  auto local = MinMaxOp::create(b, loc, type, type, input, fit.getAxesAttr());
  SmallVector<Value> extremes =
      allReduce(b, loc, {local.getMax(), negate(b, loc, local.getMin())}, grid,
                axes, shard::ReductionKind::Max);
  partitionMap.map(fit.getMax(), extremes[0]);
  partitionMap.map(fit.getMin(), negate(b, loc, extremes[1]));
}

/// moments over a split fitted dimension: local (n, mean, m2 = std^2 * n)
/// with no correction, merged around the global mean as SyncBatchNorm
/// merges its statistics (Chan's update as an all-reduce, no
/// cancellation), then std = sqrt(M2 / (N - correction)). In f32 for
/// f16/bf16 data, the local moments included.
void combineSplitFit(OpBuilder &b, Location loc, MomentsOp fit, Value input,
                     StringRef grid, ArrayRef<GridAxis> axes,
                     IRMapping &partitionMap) {
  RankedTensorType type = getLocalStatisticsType(fit, input);
  Type elementType = type.getElementType();
  Type computeType = getStatisticsElementType(elementType);
  // The local moments of f16/bf16 data in f32 too: rounded to the data type,
  // their means would add a spurious spread n * (mean - mean_g)^2 (1e-2 of
  // the std for data at 1000 +- 2, a helper review found).
  Value localInput = convertElements(b, loc, input, computeType);
  RankedTensorType localType = type.clone(computeType);
  auto local = MomentsOp::create(b, loc, localType, localType, localInput,
                                 fit.getAxesAttr(), b.getI64IntegerAttr(0));
  Value mean = local.getMean(), std = local.getStd();

  // The local element count of a statistic (a rank-0 tensor).
  Value n = buildElementCount(b, loc, input, fit.getAxes(), computeType);

  auto sum = [&](ValueRange values) {
    return allReduce(b, loc, values, grid, axes, shard::ReductionKind::Sum);
  };
  // sum(n * mean) / N; a process with no elements (a dynamic split can
  // leave one empty: its mean and std are 0 / 0) adds zeros.
  Value weighted = buildElementwise(
      b, loc, mean, ValueRange{mean, n}, computeType, computeType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return selectIfNonEmpty(
            nb, nloc, args[1],
            arith::MulFOp::create(nb, nloc, args[0], args[1]));
      });
  // N and sum(n * mean) in one collective, then M2 (it needs the mean).
  SmallVector<Value> counts = sum({n, weighted});
  Value count = counts[0], total = counts[1];
  Value globalMean = buildElementwise(
      b, loc, mean, ValueRange{total, count}, computeType, computeType,
      [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        return arith::DivFOp::create(nb, nloc, args[0], args[1]);
      });
  // sum(std^2 * n + n * (mean - mean_g)^2).
  Value deviations = buildElementwise(
      b, loc, mean, ValueRange{std, n, mean, globalMean}, computeType,
      computeType, [](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value delta = arith::SubFOp::create(nb, nloc, args[2], args[3]);
        Value spread = arith::AddFOp::create(
            nb, nloc, arith::MulFOp::create(nb, nloc, args[0], args[0]),
            arith::MulFOp::create(nb, nloc, delta, delta));
        return selectIfNonEmpty(
            nb, nloc, args[1],
            arith::MulFOp::create(nb, nloc, spread, args[1]));
      });
  Value m2 = sum({deviations})[0];
  double correction = static_cast<double>(fit.getCorrection());
  Value globalStd = buildElementwise(
      b, loc, mean, ValueRange{m2, count}, computeType, elementType,
      [&](OpBuilder &nb, Location nloc, ValueRange args) -> Value {
        Value dof = arith::SubFOp::create(
            nb, nloc, args[1],
            arith::ConstantOp::create(
                nb, nloc, computeType,
                nb.getFloatAttr(computeType, correction)));
        return math::SqrtOp::create(
            nb, nloc, arith::DivFOp::create(nb, nloc, args[0], dof));
      });
  partitionMap.map(fit.getMean(),
                   convertElements(b, loc, globalMean, elementType));
  partitionMap.map(fit.getStd(), globalStd);
}

/// The model of the fits (moments, min_max), which are how a data
/// normalization is fitted on a training split: their fitted dimensions
/// (the samples) may be split across processes. Each process fits its part
/// and the parts are combined by all-reduces; the statistics are then the
/// same on every process (replicated). Splits of the other dimensions need
/// no communication.
template <typename OpTy>
struct FitShardingModel
    : public LoopStructureModel<FitShardingModel<OpTy>, OpTy> {
  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    SmallVector<AffineMap> maps;
    if (failed(this->checkPartition(op, partitionedOperands, operandShardings,
                                    resultShardings, symbolTable, maps,
                                    /*allowReducedSplits=*/true)))
      return failure();
    unsigned inputIndex = inputOperandIndex<OpTy>(op);
    const Sharding &inputSharding = operandShardings[inputIndex];
    LoopStructure loops = getLoopStructure(op);
    SmallVector<GridAxis> fittedAxes;
    for (auto [dim, axes] : llvm::enumerate(inputSharding.getSplitAxes()))
      if (loops.reduced[dim])
        llvm::append_range(fittedAxes, axes.asArrayRef());
    if (fittedAxes.empty()) {
      partitionLocally(op, partitionedOperands, operandShardings,
                       resultShardings, maps, inputSharding, partitionMap,
                       symbolTable, builder);
      return success();
    }
    combineSplitFit(builder, op->getLoc(), cast<OpTy>(op),
                    partitionedOperands[inputIndex], inputSharding.getGrid(),
                    fittedAxes, partitionMap);
    return success();
  }
};

} // namespace

void mlir::norm::registerNormShardingModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, NormDialect *) {
    // The partitioned form is built from these dialects.
    context->loadDialect<arith::ArithDialect, linalg::LinalgDialect,
                         math::MathDialect, shard::ShardDialect,
                         tensor::TensorDialect>();
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
    StandardizeOp::attachInterface<NormShardingModel<StandardizeOp>>(*context);
    MinMaxScaleOp::attachInterface<NormShardingModel<MinMaxScaleOp>>(*context);
    ImageNormalizeOp::attachInterface<NormShardingModel<ImageNormalizeOp>>(
        *context);
    SpectralNormOp::attachInterface<NormShardingModel<SpectralNormOp>>(
        *context);
    BatchStatsMergeOp::attachInterface<NormShardingModel<BatchStatsMergeOp>>(
        *context);
    MomentsOp::attachInterface<FitShardingModel<MomentsOp>>(*context);
    MinMaxOp::attachInterface<FitShardingModel<MinMaxOp>>(*context);
  });
}
