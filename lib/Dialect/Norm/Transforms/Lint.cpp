//===- Lint.cpp - Warn about normalization misuse -------------------------===//
//
// Part of norm-mlir. The norm-lint analysis: the practical advice about
// normalization layers (batch regime, train/eval modes, distributed and
// accumulated batches, data leakage, architecture defaults) as located
// warnings with a suggested fix. docs/lint.md lists the rules and the reason
// behind each.
//
//===----------------------------------------------------------------------===//

#include "CheckLeakage.h"
#include "FusionUtils.h"

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <deque>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMLINTPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Ops a search for the batch normalization's attention softmax may cross
/// (each counts as one step), in either direction.
static constexpr unsigned kAttentionDistance = 8;
/// Ops between a softmax and the matmuls around it in an attention core.
static constexpr unsigned kSoftmaxMatmulDistance = 4;
/// Ops a sublayer of a post-norm block may have between its input and the
/// residual add.
static constexpr unsigned kSublayerDepth = 32;
/// Ops followed along a data path (first operands) when looking for a
/// sharding annotation or a micro-batch slice.
static constexpr unsigned kDataPathLength = 16;
/// Ops between a weight operand and the matmul/conv/norm that makes it an
/// activation.
static constexpr unsigned kActivationDepth = 8;

//===----------------------------------------------------------------------===//
// Op classes
//===----------------------------------------------------------------------===//

namespace {
/// The operands and results of a training-form batch normalization
/// (`batch_norm_training` or `inplace_abn`).
struct TrainingBatchNorm {
  Value input, runningMean, runningVar, newRunningMean, newRunningVar;
  int64_t featureAxis;
};
} // namespace

static std::optional<TrainingBatchNorm> getTrainingBatchNorm(Operation *op) {
  if (auto bn = dyn_cast<BatchNormTrainingOp>(op))
    return TrainingBatchNorm{
        bn.getInput(),         bn.getRunningMean(),
        bn.getRunningVar(),    bn.getNewRunningMean(),
        bn.getNewRunningVar(), static_cast<int64_t>(bn.getFeatureAxis())};
  if (auto abn = dyn_cast<InplaceABNOp>(op))
    return TrainingBatchNorm{
        abn.getInput(),         abn.getRunningMean(),
        abn.getRunningVar(),    abn.getNewRunningMean(),
        abn.getNewRunningVar(), static_cast<int64_t>(abn.getFeatureAxis())};
  return std::nullopt;
}

/// Whether `op` only moves or relabels elements (free steps in the
/// neighbourhood searches).
static bool isShapeOnlyOp(Operation *op) {
  return isa<tensor::CastOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
             tensor::ReshapeOp, linalg::TransposeOp, linalg::BroadcastOp,
             tosa::ReshapeOp, tosa::TransposeOp, shard::ShardOp>(op);
}

/// A matrix product: a linalg contraction (matmul, batch_matmul, an
/// equivalent generic, ...) or `tosa.matmul`.
static bool isContraction(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalg::isaContractionOpInterface(linalgOp);
  return isa<tosa::MatMulOp>(op);
}

/// A convolution: a linalg convolution or a TOSA one.
static bool isConvolution(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalg::isaConvolutionOpInterface(linalgOp);
  return isa<tosa::Conv2DOp, tosa::Conv3DOp, tosa::DepthwiseConv2DOp,
             tosa::TransposeConv2DOp>(op);
}

/// An elementwise exponential: `math.exp`, `tosa.exp`, `linalg.exp`, or a
/// `linalg.generic` whose payload calls `math.exp`.
static bool isExp(Operation *op) {
  if (isa<math::ExpOp, tosa::ExpOp, linalg::ExpOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && isElementwiseLinalg(generic, /*identityMaps=*/false) &&
         llvm::any_of(generic.getBody()->getOperations(),
                      [](Operation &inner) { return isa<math::ExpOp>(inner); });
}

/// A sum reduction: `tosa.reduce_sum`, `linalg.reduce`, or a
/// `linalg.generic` with a reduction iterator.
static bool isSumReduction(Operation *op) {
  if (isa<tosa::ReduceSumOp, linalg::ReduceOp>(op))
    return true;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  return generic && generic.getNumReductionLoops() > 0 &&
         !linalg::isaContractionOpInterface(generic);
}

/// A softmax: `linalg.softmax`, or (decomposed) an exponential that feeds a
/// sum reduction.
static bool isSoftmax(Operation *op) {
  if (isa<linalg::SoftmaxOp>(op))
    return true;
  return isExp(op) && llvm::any_of(op->getUsers(), isSumReduction);
}

/// Searches from `start` along users (`forward`) or producers for an op
/// satisfying `predicate`, crossing at most `distance` ops (shape-only ops
/// are free). Returns the first found, or null.
static Operation *findNearby(Operation *start, bool forward, unsigned distance,
                             llvm::function_ref<bool(Operation *)> predicate) {
  DenseMap<Operation *, unsigned> best;
  std::deque<std::pair<Operation *, unsigned>> queue;
  queue.emplace_back(start, distance);
  while (!queue.empty()) {
    auto [op, left] = queue.front();
    queue.pop_front();
    SmallVector<Operation *> next;
    if (forward) {
      for (Operation *user : op->getUsers())
        next.push_back(user);
    } else {
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          next.push_back(def);
    }
    for (Operation *neighbour : next) {
      bool free = isShapeOnlyOp(neighbour);
      if (!free && left == 0)
        continue;
      if (predicate(neighbour))
        return neighbour;
      unsigned remaining = free ? left : left - 1;
      auto [it, inserted] = best.try_emplace(neighbour, remaining);
      if (!inserted) {
        if (it->second >= remaining)
          continue;
        it->second = remaining;
      }
      queue.emplace_back(neighbour, remaining);
    }
  }
  return nullptr;
}

/// The softmax of an attention core: a softmax computed from a matmul (the
/// scores) whose result feeds a matmul (the weighted sum of the values).
static bool isAttentionSoftmax(Operation *op) {
  return isSoftmax(op) &&
         findNearby(op, /*forward=*/false, kSoftmaxMatmulDistance,
                    isContraction) &&
         findNearby(op, /*forward=*/true, kSoftmaxMatmulDistance,
                    isContraction);
}

/// The value `op` carries data from along a data path: the first DPS input
/// of a linalg op, the first operand of anything else.
static Value getDataOperand(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return linalgOp.getNumDpsInputs() ? linalgOp.getDpsInputs().front()
                                      : Value();
  return op->getNumOperands() ? op->getOperand(0) : Value();
}

/// The values of the data path of `value`: itself, then the data operand of
/// its producer, and so on, for at most `kDataPathLength` ops.
static SmallVector<Value> getDataPath(Value value) {
  SmallVector<Value> path;
  for (unsigned i = 0; value && i <= kDataPathLength; ++i) {
    path.push_back(value);
    Operation *def = value.getDefiningOp();
    if (!def)
      break;
    value = getDataOperand(def);
  }
  return path;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct NormLintPass : norm::impl::NormLintPassBase<NormLintPass> {
  using Base::Base;

  void runOnOperation() override {
    reported = 0;
    reportLeaks(getOperation(), [&](Operation *op) { return report(op); });
    getOperation()->walk([&](FunctionOpInterface func) {
      if (!func.isExternal())
        checkFunction(func);
    });
    markAllAnalysesPreserved();
    if (werror && reported > 0)
      signalPassFailure();
  }

private:
  /// The warnings reported by this run (statistics may be compiled out).
  unsigned reported = 0;

  /// Starts a warning at `op` (an error with `werror`).
  InFlightDiagnostic report(Operation *op) {
    ++reported;
    ++numWarnings;
    return werror ? op->emitError() : op->emitWarning();
  }

  void checkFunction(FunctionOpInterface func) {
    bool evaluation = isEvaluationFunction(func);
    func->walk([&](Operation *op) {
      if (std::optional<TrainingBatchNorm> bn = getTrainingBatchNorm(op)) {
        checkSmallBatch(op, *bn);
        if (evaluation)
          checkTrainingFormInEvaluation(op, func);
        else
          checkRunningStatisticsUsed(op, *bn);
        checkShardedBatch(op, *bn);
        checkAccumulationLoop(op, *bn);
      }
      if (auto bn = dyn_cast<BatchNormInferenceOp>(op))
        checkUpdatedStatistics(bn);
      if (isa<BatchNormTrainingOp, InplaceABNOp, BatchNormInferenceOp>(op))
        checkAttention(op);
      if (isa<LayerNormOp, RMSNormOp>(op))
        checkPostNorm(op);
      if (auto spectral = dyn_cast<SpectralNormOp>(op))
        checkSpectralNormOnActivation(spectral);
    });
  }

  /// Small statistical batch: fewer than `min-batch-elements` elements per
  /// channel, statically.
  void checkSmallBatch(Operation *op, const TrainingBatchNorm &bn) {
    auto type = cast<RankedTensorType>(bn.input.getType());
    int64_t elements = 1;
    for (auto [dim, size] : llvm::enumerate(type.getShape())) {
      if (static_cast<int64_t>(dim) == bn.featureAxis)
        continue;
      if (ShapedType::isDynamic(size))
        return;
      elements *= size;
    }
    int64_t threshold = minBatchElements;
    if (elements >= threshold)
      return;
    InFlightDiagnostic diag = report(op);
    diag << "batch statistics over only " << elements
         << " elements per channel (fewer than min-batch-elements = "
         << threshold << "): small batches make the statistics noisy";
    diag.attachNote(op->getLoc())
        << "suggested fix: use 'norm.group_norm', which normalizes each "
           "sample and does not depend on the batch size (the default for "
           "small-batch vision), or a larger batch";
  }

  /// Train/eval mismatch: a training form in an evaluation function.
  void checkTrainingFormInEvaluation(Operation *op, FunctionOpInterface func) {
    InFlightDiagnostic diag = report(op);
    diag << "training-form batch normalization in evaluation function '@"
         << SymbolTable::getSymbolName(func).getValue()
         << "': it normalizes with the statistics of the evaluated batch "
            "(outputs depend on the batch composition) instead of the "
            "running estimates";
    diag.attachNote(op->getLoc())
        << "suggested fix: use 'norm.batch_norm_inference' with the running "
           "statistics";
  }

  /// Train/eval mismatch: the running statistics are updated but the update
  /// is dropped.
  void checkRunningStatisticsUsed(Operation *op, const TrainingBatchNorm &bn) {
    bool meanLost = bn.newRunningMean.use_empty();
    bool varLost = bn.newRunningVar.use_empty();
    if (!meanLost && !varLost)
      return;
    InFlightDiagnostic diag = report(op);
    diag << "the updated running "
         << (meanLost && varLost ? "mean and variance are"
             : meanLost          ? "mean is"
                                 : "variance is")
         << " never used: the running estimates that evaluation normalizes "
            "with are never updated";
    diag.attachNote(op->getLoc())
        << "suggested fix: return or store the new running statistics so "
           "that they replace the old ones for the next step (or, to freeze "
           "them, use 'norm.batch_norm_inference')";
  }

  /// Train/eval mismatch: an inference form that reads running statistics
  /// updated in the same function.
  void checkUpdatedStatistics(BatchNormInferenceOp op) {
    SmallVector<Value> worklist = {op.getRunningMean(), op.getRunningVar()};
    llvm::SmallPtrSet<Value, 16> visited;
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      if (!visited.insert(value).second)
        continue;
      Operation *def = value.getDefiningOp();
      if (!def)
        continue;
      if (std::optional<TrainingBatchNorm> bn = getTrainingBatchNorm(def)) {
        if (value == bn->newRunningMean || value == bn->newRunningVar) {
          InFlightDiagnostic diag = report(op);
          diag << "inference-form batch normalization reads running "
                  "statistics that this function updates: it is in "
                  "evaluation mode while the model trains";
          diag.attachNote(def->getLoc()) << "the statistics are updated here";
          diag.attachNote(op->getLoc())
              << "suggested fix: use 'norm.batch_norm_training' while the "
                 "statistics are being updated, or freeze them everywhere";
          return;
        }
      }
      llvm::append_range(worklist, def->getOperands());
    }
  }

  /// Distributed batch: the input is sharded along a batch dimension.
  /// `shard-partition` synchronizes the statistics through the op's
  /// sharding model (SyncBatchNorm), so this is a remark on its cost, not a
  /// warning.
  void checkShardedBatch(Operation *op, const TrainingBatchNorm &bn) {
    int64_t rank = cast<RankedTensorType>(bn.input.getType()).getRank();
    for (Value value : getDataPath(bn.input)) {
      SmallVector<shard::ShardOp> annotations;
      if (auto shardOp = value.getDefiningOp<shard::ShardOp>())
        annotations.push_back(shardOp);
      for (Operation *user : value.getUsers())
        if (auto shardOp = dyn_cast<shard::ShardOp>(user))
          if (!shardOp.getAnnotateForUsers())
            annotations.push_back(shardOp);
      for (shard::ShardOp shardOp : annotations) {
        auto sharding =
            shardOp.getSharding().getDefiningOp<shard::ShardingOp>();
        if (!sharding)
          continue;
        // Same rank: every dimension but the feature axis is a batch
        // dimension. Otherwise (reshaped on the way) only dimension 0.
        bool sameRank = shardOp.getResult().getType().getRank() == rank;
        for (auto [dim, axes] :
             llvm::enumerate(sharding.getSplitAxes().getAxes())) {
          if (axes.empty() || (sameRank && (int64_t)dim == bn.featureAxis) ||
              (!sameRank && dim != 0))
            continue;
          ++numRemarks;
          InFlightDiagnostic diag = op->emitRemark();
          diag << "training batch normalization of a batch sharded along "
                  "dimension "
               << dim
               << " across devices: shard-partition synchronizes its "
                  "statistics (SyncBatchNorm: three all-reduces of "
                  "per-channel sums forward, three backward)";
          diag.attachNote(shardOp.getLoc()) << "sharded here";
          diag.attachNote(op->getLoc())
              << "if the step is communication-bound, a batch-independent "
                 "normalization ('norm.group_norm', 'norm.layer_norm') "
                 "needs none";
          return;
        }
      }
    }
  }

  /// Accumulated batch: per-micro-batch statistics inside a gradient or
  /// loss accumulation loop.
  void checkAccumulationLoop(Operation *op, const TrainingBatchNorm &bn) {
    for (Operation *parent = op->getParentOp();
         parent && !isa<FunctionOpInterface>(parent);
         parent = parent->getParentOp()) {
      auto loop = dyn_cast<scf::ForOp>(parent);
      if (!loop || !isAccumulationLoop(loop) ||
          !slicesPerIteration(bn.input, loop))
        continue;
      InFlightDiagnostic diag = report(op);
      diag << "training batch normalization inside a micro-batch "
              "accumulation loop: its statistics cover one micro-batch, "
              "while the optimization step accumulates over the whole loop";
      diag.attachNote(loop.getLoc()) << "accumulation loop here";
      diag.attachNote(op->getLoc())
          << "suggested fix: compute the statistics over the whole "
             "accumulated batch (accumulated batch normalization), or use a "
             "batch-independent normalization ('norm.group_norm', "
             "'norm.layer_norm')";
      return;
    }
  }

  /// Whether `loop` accumulates by addition: one of its iter_args is
  /// yielded as an add (`arith.addf`, `linalg.add`, `tosa.add`, a
  /// `linalg.generic` with an `arith.addf` payload) of itself and
  /// something else.
  static bool isAccumulationLoop(scf::ForOp loop) {
    for (auto [arg, yielded] :
         llvm::zip(loop.getRegionIterArgs(), loop.getYieldedValues())) {
      Operation *def = yielded.getDefiningOp();
      if (!def || !llvm::is_contained(def->getOperands(), arg))
        continue;
      if (isa<arith::AddFOp, linalg::AddOp, tosa::AddOp>(def))
        return true;
      if (auto generic = dyn_cast<linalg::GenericOp>(def))
        if (llvm::any_of(
                generic.getBody()->getOperations(),
                [](Operation &inner) { return isa<arith::AddFOp>(inner); }))
          return true;
    }
    return false;
  }

  /// Whether the data path of `value` takes, in `loop`, a slice of a tensor
  /// defined outside the loop whose dimension-0 offset depends on the
  /// induction variable (one micro-batch per iteration).
  static bool slicesPerIteration(Value value, scf::ForOp loop) {
    Value iv = loop.getInductionVar();
    auto dependsOnIv = [&](Value offset) {
      SmallVector<std::pair<Value, unsigned>> worklist = {{offset, 0}};
      while (!worklist.empty()) {
        auto [v, depth] = worklist.pop_back_val();
        if (v == iv)
          return true;
        Operation *def = v.getDefiningOp();
        if (!def || depth >= 4)
          continue;
        for (Value operand : def->getOperands())
          worklist.push_back({operand, depth + 1});
      }
      return false;
    };
    for (Value v : getDataPath(value)) {
      auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
      if (!slice || !loop->isAncestor(slice) ||
          loop.getRegion().isAncestor(slice.getSource().getParentRegion()))
        continue;
      OpFoldResult offset = slice.getMixedOffsets().front();
      if (auto offsetValue = dyn_cast<Value>(offset))
        if (dependsOnIv(offsetValue))
          return true;
    }
    return false;
  }

  /// Architecture: a batch normalization inside an attention block.
  void checkAttention(Operation *op) {
    Operation *softmax = findNearby(op, /*forward=*/true, kAttentionDistance,
                                    isAttentionSoftmax);
    if (!softmax)
      softmax = findNearby(op, /*forward=*/false, kAttentionDistance,
                           isAttentionSoftmax);
    if (!softmax)
      return;
    InFlightDiagnostic diag = report(op);
    diag << "batch normalization in an attention block: its statistics mix "
            "the samples (and padded positions) of the batch, which varies "
            "in sequence models";
    diag.attachNote(softmax->getLoc()) << "attention softmax here";
    diag.attachNote(op->getLoc())
        << "suggested fix: use 'norm.layer_norm' or 'norm.rms_norm', which "
           "normalize each token on its own (the Transformer default)";
  }

  /// Whether `sublayer` is computed from `x` through a matmul, without
  /// normalizing on the way (activation normalizations are not crossed).
  static bool isSublayerOf(Value sublayer, Value x) {
    // States: (value, whether a matmul was crossed), with their depth.
    SmallVector<std::tuple<Value, bool, unsigned>> worklist = {
        {sublayer, false, 0}};
    DenseMap<Value, unsigned> visited[2];
    while (!worklist.empty()) {
      auto [value, crossed, depth] = worklist.pop_back_val();
      if (value == x) {
        if (crossed)
          return true;
        continue;
      }
      auto [it, inserted] = visited[crossed].try_emplace(value, depth);
      if (!inserted) {
        if (it->second <= depth)
          continue;
        it->second = depth;
      }
      Operation *def = value.getDefiningOp();
      if (!def || depth >= kSublayerDepth || isActivationNormalization(def))
        continue;
      bool next = crossed || isContraction(def);
      for (Value operand : def->getOperands())
        worklist.push_back({operand, next, depth + 1});
    }
    return false;
  }

  /// Architecture: a post-norm transformer block, `norm(x + sublayer(x))`.
  void checkPostNorm(Operation *op) {
    std::optional<std::pair<Value, Value>> addends;
    if (auto ln = dyn_cast<LayerNormOp>(op); ln && ln.getResidual())
      addends = {ln.getInput(), ln.getResidual()};
    else if (auto rms = dyn_cast<RMSNormOp>(op); rms && rms.getResidual())
      addends = {rms.getInput(), rms.getResidual()};
    else
      addends = matchElementwiseAdd(op->getOperand(0));
    if (!addends)
      return;
    auto [a, b] = *addends;
    if (!isSublayerOf(a, b) && !isSublayerOf(b, a))
      return;
    ++numRemarks;
    InFlightDiagnostic diag = op->emitRemark();
    diag << "post-norm block: normalizes the residual sum x + sublayer(x); "
            "pre-normalization is the modern Transformer default (better "
            "gradient flow, trains without warm-up tricks)";
    diag.attachNote(op->getLoc())
        << "suggested fix: normalize the sublayer's input instead, x + "
           "sublayer(norm(x)), with one final norm after the last block";
  }

  /// Architecture: spectral normalization applied to an activation: its
  /// weight is computed by a matmul, a convolution or an activation
  /// normalization (within a few ops; shape-only ops are free).
  void checkSpectralNormOnActivation(SpectralNormOp op) {
    auto isFeatureOp = [](Operation *p) {
      return isContraction(p) || isConvolution(p) ||
             isActivationNormalization(p);
    };
    Operation *producer = op.getWeight().getDefiningOp();
    if (!producer)
      return;
    if (!isFeatureOp(producer))
      producer = findNearby(producer, /*forward=*/false, kActivationDepth,
                            isFeatureOp);
    if (!producer)
      return;
    InFlightDiagnostic diag = report(op);
    diag << "spectral normalization of an activation: it constrains a weight "
            "matrix by its largest singular value and is not an activation "
            "normalization";
    diag.attachNote(producer->getLoc())
        << "the normalized value is computed here";
    diag.attachNote(op->getLoc())
        << "suggested fix: apply 'norm.spectral_norm' to the layer's weight "
           "parameter, and normalize activations with 'norm.layer_norm' or "
           "'norm.batch_norm_training'";
  }
};
} // namespace
