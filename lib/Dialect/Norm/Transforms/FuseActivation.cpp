//===- FuseActivation.cpp - Absorb activations into normalizations --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "FusionUtils.h"
#include "ScalarEvaluator.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSEACTIVATIONPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The activation that `user` applies to `value`, if it is an elementwise
/// activation of `value` alone with the same result type.
static std::optional<ActivationAttr> matchActivation(Operation *user,
                                                     Value value) {
  if (user->getNumResults() != 1 ||
      user->getResult(0).getType() != value.getType())
    return std::nullopt;
  ElementwiseFunction function = getElementwiseFunction(user, {value});
  // Without its branch points located, a select could hide a threshold
  // between sample points.
  if (!function || !function.branchPoints)
    return std::nullopt;
  auto identified = identifyActivation(
      [&](double x) { return function.evaluate(ArrayRef<double>{x}); },
      *function.branchPoints, function.maxMagnitude, function.tolerance);
  if (!identified)
    return std::nullopt;
  return ActivationAttr::get(user->getContext(), identified->first,
                             identified->second);
}

namespace {
struct NormFuseActivationPass
    : norm::impl::NormFuseActivationPassBase<NormFuseActivationPass> {
  void runOnOperation() override {
    SmallVector<Operation *> candidates;
    getOperation()->walk([&](Operation *op) {
      if (isActivationNormalization(op))
        candidates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : candidates) {
      auto current = op->getAttrOfType<ActivationAttr>("activation");
      if (current && !current.isNone())
        continue;
      // The activation must be the only user (it may use the value twice,
      // as input and as init of a linalg op).
      Value output = op->getResult(0);
      if (output.use_empty())
        continue;
      Operation *user = *output.getUsers().begin();
      if (llvm::any_of(output.getUsers(),
                       [&](Operation *other) { return other != user; }))
        continue;
      std::optional<ActivationAttr> activation = matchActivation(user, output);
      if (!activation)
        continue;
      if (isa<InplaceABNOp>(op) && !activation->isInvertible())
        continue;
      rewriter.modifyOpInPlace(op,
                               [&] { op->setAttr("activation", *activation); });
      rewriter.replaceOp(user, output);
      ++numFused;
    }
  }
};
} // namespace
