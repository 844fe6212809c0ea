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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// The trailing `axes` of a LayerNorm/RMSNorm (and their backward ops)
/// reduce; weights and biases are indexed by them.
LoopStructure trailingAxesStructure(int64_t rank, ArrayRef<int64_t> axes) {
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

LoopStructure getLoopStructure(Operation *op) {
  return TypeSwitch<Operation *, LoopStructure>(op)
      .Case<LayerNormOp, RMSNormOp, LayerNormGradOp, RMSNormGradOp>(
          [](auto norm) {
            return trailingAxesStructure(norm.getInput().getType().getRank(),
                                         norm.getAxes());
          })
      .Case<GroupNormOp, GroupNormGradOp>([](auto norm) {
        return groupStructure(norm.getInput().getType().getRank(),
                              norm.getChannelAxis());
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

/// The grid axes that split the input (its parallel loops). Fails, with an
/// error on `op`, when a sharding splits a loop the op normalizes over,
/// splits a value otherwise than the input's sharding implies (each process
/// would pair rows or channels of different samples), or has halos or
/// explicit shard sizes.
FailureOr<SmallVector<GridAxis>>
checkShardings(Operation *op, const LoopStructure &loops,
               ArrayRef<AffineMap> maps, ArrayRef<Sharding> operandShardings,
               ArrayRef<Sharding> resultShardings, unsigned inputIndex) {
  unsigned numOperands = op->getNumOperands();
  ArrayRef<shard::GridAxesAttr> inputAxes =
      operandShardings[inputIndex].getSplitAxes();

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
      if (loops.reduced[loop])
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

/// The model shared by the forward and backward ops. The backward ops'
/// parameter gradients (`ParameterGradients`) are sums over the batch:
/// computed on the local samples, then all-reduced.
template <typename OpTy, bool ParameterGradients = false>
struct NormShardingModel
    : public shard::ShardingInterface::ExternalModel<
          NormShardingModel<OpTy, ParameterGradients>, OpTy> {
  /// The operand number of the normalized input (grad_output comes first in
  /// the backward ops).
  static unsigned inputOperandIndex(Operation *op) {
    return cast<OpTy>(op).getInputMutable().getOperandNumber();
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

  /// Upstream's choice from all annotations, without splits of the
  /// normalized loops (a user that wants the hidden dimension split gets the
  /// op's result resharded). When the annotations conflict (the same grid
  /// axis on two loops), the input's sharding alone decides and the other
  /// operands are resharded to it.
  FailureOr<shard::ShardingOption>
  getShardingOption(Operation *op, ArrayRef<Sharding> operandShardings,
                    ArrayRef<Sharding> resultShardings) const {
    FailureOr<shard::ShardingOption> option =
        shard::detail::defaultGetShardingOption(op, operandShardings,
                                                resultShardings);
    if (failed(option)) {
      unsigned inputIndex = inputOperandIndex(op);
      std::vector<Sharding> inputOnly(operandShardings.size());
      inputOnly[inputIndex] = operandShardings[inputIndex];
      option = shard::detail::defaultGetShardingOption(
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
    auto norm = cast<OpTy>(op);
    // shard-partition leaves an operand null when it cannot reshard it (a
    // move between grids, or between grid axes of one dimension).
    for (auto [index, operand] : llvm::enumerate(partitionedOperands))
      if (!operand)
        return op->emitOpError()
               << "cannot be partitioned: operand #" << index
               << " could not be resharded to the op's sharding (a move "
                  "between grids or grid axes that shard-partition does not "
                  "support)";
    // shard-partition calls this only for annotated ops, with a sharding
    // for every operand (replicated ones included).
    unsigned inputIndex = inputOperandIndex(op);
    const Sharding &inputSharding = operandShardings[inputIndex];
    assert(inputSharding && "shard-partition gives every operand a sharding");
    SmallVector<AffineMap> maps = getIndexingMaps(op);
    FailureOr<SmallVector<GridAxis>> batchAxes =
        checkShardings(op, getLoopStructure(op), maps, operandShardings,
                       resultShardings, inputIndex);
    if (failed(batchAxes))
      return failure();
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
        // MPI reduces f32 and f64, not f16/bf16: those are summed in f32.
        Location loc = op->getLoc();
        Value local = partitionMap.lookup(gradient);
        Type elementType = getElementTypeOrSelf(local.getType());
        Type sumType = elementType.isF32() || elementType.isF64()
                           ? elementType
                           : builder.getF32Type();
        Value sum =
            shard::AllReduceOp::create(
                builder, loc, convertElements(builder, loc, local, sumType),
                grid, *batchAxes, shard::ReductionKind::Sum)
                .getResult();
        sum = convertElements(builder, loc, sum, elementType);
        partitionMap.map(gradient, sum);
      }
    }
    return success();
  }
};

} // namespace

void mlir::norm::registerNormShardingModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, NormDialect *) {
    // The partitioned form is built from these dialects.
    context->loadDialect<arith::ArithDialect, linalg::LinalgDialect,
                         shard::ShardDialect, tensor::TensorDialect>();
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
