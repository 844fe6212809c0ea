//===- HoistInvariantLoads.cpp - Loads of unwritten memory out of loops ---===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-hoist-invariant-loads: loop-invariant code motion that also moves
// loads whose memory no store of the loop may alias (alias analysis), after
// unrolling short inner loops whose loads then become invariant.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Analysis/AliasAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMHOISTINVARIANTLOADSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The memref a load reads, or null for other ops.
static Value getLoadedMemref(Operation *op) {
  if (auto load = dyn_cast<vector::LoadOp>(op))
    return load.getBase();
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return load.getMemref();
  if (auto read = dyn_cast<vector::TransferReadOp>(op))
    return isa<MemRefType>(read.getBase().getType()) ? read.getBase() : Value();
  return {};
}

/// Whether every loop of `loop` has constant bounds with at least one
/// iteration: a load moved before it then reads nothing it would not have.
static bool runsAtLeastOnce(LoopLikeOpInterface loop) {
  std::optional<SmallVector<OpFoldResult>> lower = loop.getLoopLowerBounds();
  std::optional<SmallVector<OpFoldResult>> upper = loop.getLoopUpperBounds();
  if (!lower || !upper)
    return false;
  for (auto [lb, ub] : llvm::zip(*lower, *upper)) {
    std::optional<int64_t> l = getConstantIntValue(lb);
    std::optional<int64_t> u = getConstantIntValue(ub);
    if (!l || !u || *l >= *u)
      return false;
  }
  return true;
}

/// Whether an operation inside `loop` may write memory `memref` aliases.
static bool mayBeWrittenIn(Operation *loop, Value memref,
                           AliasAnalysis &aliasAnalysis) {
  WalkResult result = loop->walk([&](Operation *op) {
    // Loops and branches: their nested operations are visited themselves.
    if (op == loop || op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    return aliasAnalysis.getModRef(op, memref).isMod() ? WalkResult::interrupt()
                                                       : WalkResult::advance();
  });
  return result.wasInterrupted();
}

/// Whether `value` is, or is computed in `loop`'s body from, the loop's
/// induction variable.
static bool dependsOnInductionVar(Value value, scf::ForOp loop) {
  if (value == loop.getInductionVar())
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || def->getParentOp() != loop.getOperation())
    return false;
  return llvm::any_of(def->getOperands(), [&](Value operand) {
    return dependsOnInductionVar(operand, loop);
  });
}

/// Whether unrolling `loop` fully may make its loads invariant in the loop
/// around it: it is innermost, runs a constant number of times up to
/// `limit`, and has a load whose address follows its induction variable
/// from a buffer defined outside the enclosing loop that the enclosing
/// loop does not write.
static bool shouldUnroll(scf::ForOp loop, int64_t limit,
                         AliasAnalysis &aliasAnalysis) {
  std::optional<APInt> trips = loop.getStaticTripCount();
  if (!trips || trips->getSExtValue() < 2 || trips->getSExtValue() > limit)
    return false;
  auto enclosing = loop->getParentOfType<LoopLikeOpInterface>();
  if (!enclosing || !runsAtLeastOnce(enclosing))
    return false;
  bool innermost = true;
  loop.getBody()->walk([&](LoopLikeOpInterface) { innermost = false; });
  if (!innermost)
    return false;
  for (Operation &op : loop.getBody()->without_terminator()) {
    Value memref = getLoadedMemref(&op);
    if (!memref)
      continue;
    Value root = memref::skipViewLikeOps(cast<MemrefValue>(memref));
    bool followsLoop = llvm::any_of(op.getOperands(), [&](Value operand) {
      return dependsOnInductionVar(operand, loop);
    });
    if (followsLoop && enclosing.isDefinedOutsideOfLoop(root) &&
        !mayBeWrittenIn(enclosing, root, aliasAnalysis))
      return true;
  }
  return false;
}

namespace {
struct HoistInvariantLoadsPass
    : public norm::impl::NormHoistInvariantLoadsPassBase<
          HoistInvariantLoadsPass> {
  using Base::Base;

  void runOnOperation() override {
    auto &aliasAnalysis = getAnalysis<AliasAnalysis>();
    SmallVector<scf::ForOp> toUnroll;
    if (unrollLimit > 1)
      getOperation()->walk([&](scf::ForOp loop) {
        if (shouldUnroll(loop, unrollLimit, aliasAnalysis))
          toUnroll.push_back(loop);
      });
    for (scf::ForOp loop : toUnroll)
      (void)loopUnrollFull(loop);

    // Innermost loops first (post-order), so that a load leaves a nest
    // loop by loop.
    getOperation()->walk([&](LoopLikeOpInterface loop) {
      bool loadsMayMove = runsAtLeastOnce(loop);
      moveLoopInvariantCode(
          loop.getLoopRegions(),
          [&](Value value, Region *) {
            return loop.isDefinedOutsideOfLoop(value);
          },
          [&](Operation *op, Region *) {
            if (isMemoryEffectFree(op) && isSpeculatable(op))
              return true;
            Value memref = getLoadedMemref(op);
            return memref && loadsMayMove &&
                   !mayBeWrittenIn(loop, memref, aliasAnalysis);
          },
          [&](Operation *op, Region *) { loop.moveOutOfLoop(op); });
    });
  }
};
} // namespace
