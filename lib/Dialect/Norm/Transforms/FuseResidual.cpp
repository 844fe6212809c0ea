//===- FuseResidual.cpp - Absorb residual adds into normalizations --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSERESIDUALPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The normalizations with a residual form.
static bool hasResidualForm(Operation *op) {
  return isa<LayerNormOp, RMSNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
             GroupNormOp>(op);
}

/// Sets the input and residual operands of a residual-form normalization.
static void setInputAndResidual(Operation *op, Value input, Value residual) {
  llvm::TypeSwitch<Operation *>(op)
      .Case<LayerNormOp, RMSNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
            GroupNormOp>([&](auto norm) {
        norm.getInputMutable().assign(input);
        norm.getResidualMutable().assign(residual);
      });
}

/// Clones `op` with one more result, `residual_sum`, the last result segment
/// of every residual-form normalization.
static Operation *cloneWithResidualSum(RewriterBase &rewriter, Operation *op) {
  OperationState state(op->getLoc(), op->getName());
  state.addOperands(op->getOperands());
  state.addTypes(op->getResultTypes());
  state.addTypes(op->getOperand(0).getType());
  state.propertiesAttr = op->getPropertiesAsAttribute();
  state.addAttributes(op->getDiscardableAttrDictionary().getValue());
  Operation *clone = rewriter.create(state);
  if (auto segments =
          clone->getInherentAttr("resultSegmentSizes").value_or(Attribute())) {
    SmallVector<int32_t> sizes(cast<DenseI32ArrayAttr>(segments).asArrayRef());
    sizes.back() = 1;
    clone->setInherentAttr(
        StringAttr::get(op->getContext(), "resultSegmentSizes"),
        DenseI32ArrayAttr::get(op->getContext(), sizes));
  }
  return clone;
}

namespace {
struct NormFuseResidualPass
    : norm::impl::NormFuseResidualPassBase<NormFuseResidualPass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      if (hasResidualForm(op))
        candidates.push_back(op);
    });
    DominanceInfo dominance(getOperation());
    IRRewriter rewriter(&getContext());
    for (Operation *op : candidates)
      if (succeeded(fuse(rewriter, dominance, op)))
        ++numFused;
  }

  LogicalResult fuse(RewriterBase &rewriter, DominanceInfo &dominance,
                     Operation *op) {
    // Operand 0 is the input; the residual segment is empty when absent.
    if (op->getNumOperands() == 0 || !op->getNumResults())
      return failure();
    bool hasResidual = false;
    llvm::TypeSwitch<Operation *>(op)
        .Case<LayerNormOp, RMSNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
              GroupNormOp>([&](auto norm) {
          hasResidual = static_cast<bool>(norm.getResidual());
        });
    if (hasResidual)
      return failure();
    Value sum = op->getOperand(0);
    std::optional<std::pair<Value, Value>> addends = matchElementwiseAdd(sum);
    if (!addends)
      return failure();
    Operation *add = sum.getDefiningOp();

    SmallVector<OpOperand *> otherUses;
    for (OpOperand &use : sum.getUses())
      if (use.getOwner() != op)
        otherUses.push_back(&use);

    if (otherUses.empty()) {
      rewriter.modifyOpInPlace(op, [&] {
        setInputAndResidual(op, addends->first, addends->second);
      });
      if (add->use_empty())
        rewriter.eraseOp(add);
      return success();
    }

    // The fused op must dominate the other uses of the sum: keep it where
    // it is if it already does, else move it right after the add when its
    // operands allow.
    bool dominatesUses = llvm::all_of(otherUses, [&](OpOperand *use) {
      return dominance.properlyDominates(op, use->getOwner());
    });
    if (!dominatesUses) {
      bool operandsReady = llvm::all_of(op->getOperands(), [&](Value v) {
        return v == sum || dominance.properlyDominates(v, add->getNextNode());
      });
      if (!operandsReady || add->getBlock() != op->getBlock())
        return failure();
      rewriter.moveOpAfter(op, add);
    }
    rewriter.setInsertionPoint(op);
    Operation *fused = cloneWithResidualSum(rewriter, op);
    setInputAndResidual(fused, addends->first, addends->second);
    Value residualSum = fused->getResults().back();
    for (OpOperand *use : otherUses)
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(residualSum); });
    rewriter.replaceOp(op, fused->getResults().drop_back());
    if (add->use_empty())
      rewriter.eraseOp(add);
    return success();
  }
};
} // namespace
