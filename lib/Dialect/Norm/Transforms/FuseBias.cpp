//===- FuseBias.cpp - Absorb bias adds into normalizations ----------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSEBIASPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The dimensions of the input that the bias of `op` is indexed by, or
/// nullopt for ops without a bias operand.
static std::optional<SmallVector<int64_t>> getBiasDims(Operation *op) {
  return llvm::TypeSwitch<Operation *, std::optional<SmallVector<int64_t>>>(op)
      .Case([](LayerNormOp norm) { return llvm::to_vector(norm.getAxes()); })
      .Case<BatchNormInferenceOp, BatchNormTrainingOp>([](auto norm) {
        return SmallVector<int64_t>{
            static_cast<int64_t>(norm.getFeatureAxis())};
      })
      .Case([](GroupNormOp norm) {
        return SmallVector<int64_t>{
            static_cast<int64_t>(norm.getChannelAxis())};
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// The current bias of `op` (null if none) and a setter for it.
static Value getBias(Operation *op) {
  return llvm::TypeSwitch<Operation *, Value>(op)
      .Case<LayerNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
            GroupNormOp>([](auto norm) { return norm.getBias(); })
      .Default([](Operation *) { return Value(); });
}

static void setBias(Operation *op, Value bias) {
  llvm::TypeSwitch<Operation *>(op)
      .Case<LayerNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
            GroupNormOp>(
          [&](auto norm) { norm.getBiasMutable().assign(bias); });
}

namespace {
struct NormFuseBiasPass : norm::impl::NormFuseBiasPassBase<NormFuseBiasPass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      if (getBiasDims(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : candidates)
      if (succeeded(fuse(rewriter, op)))
        ++numFused;
  }

  LogicalResult fuse(RewriterBase &rewriter, Operation *op) {
    auto activation = op->getAttrOfType<ActivationAttr>("activation");
    if (activation && !activation.isNone())
      return failure();
    Value output = op->getResult(0);
    if (!output.hasOneUse())
      return failure();
    Operation *add = *output.getUsers().begin();
    auto match = matchBroadcastBiasAdd(add, output);
    if (!match || match->second != *getBiasDims(op))
      return failure();
    Value extra = match->first;
    auto extraType = cast<RankedTensorType>(extra.getType());
    auto outputType = cast<RankedTensorType>(output.getType());
    if (extraType.getElementType() != outputType.getElementType())
      return failure();
    // The bias must already be available where the normalization is.
    if (Operation *def = extra.getDefiningOp())
      if (def->getBlock() == op->getBlock() && !def->isBeforeInBlock(op))
        return failure();
    Value bias = getBias(op);
    rewriter.setInsertionPoint(op);
    if (bias) {
      if (bias.getType() != extra.getType())
        return failure();
      Value init = tensor::EmptyOp::create(
          rewriter, op->getLoc(),
          tensor::getMixedSizes(rewriter, op->getLoc(), bias),
          extraType.getElementType());
      bias = linalg::AddOp::create(rewriter, op->getLoc(),
                                   ValueRange{bias, extra}, ValueRange{init})
                 .getResult(0);
    } else {
      bias = extra;
    }
    rewriter.modifyOpInPlace(op, [&] { setBias(op, bias); });
    SmallVector<Operation *> producers = llvm::map_to_vector(
        add->getOperands(), [](Value v) { return v.getDefiningOp(); });
    rewriter.replaceOp(add, output);
    // The broadcast of the bias is dead now.
    for (Operation *producer : producers)
      if (auto broadcast = dyn_cast_or_null<linalg::BroadcastOp>(producer))
        if (broadcast->use_empty())
          rewriter.eraseOp(broadcast);
    return success();
  }
};
} // namespace
