//===- ShardAnnotateArguments.cpp - Annotate every use of an argument -----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Works around crashes of MLIR 22's shard-partition on the tensor arguments
// of a sharded function used by anything but shard.shard (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Dominance.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMSHARDANNOTATEARGUMENTSPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {
struct NormShardAnnotateArgumentsPass
    : norm::impl::NormShardAnnotateArgumentsPassBase<
          NormShardAnnotateArgumentsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    FlatSymbolRefAttr grid;
    func.walk([&](shard::ShardingOp sharding) {
      grid = sharding.getGridAttr();
      return WalkResult::interrupt();
    });
    if (!grid)
      return;

    Block &entry = func.getBody().front();
    // Moving ops within the entry block keeps it valid (the order within a
    // block is recomputed on demand).
    DominanceInfo dominance(func);
    Value replicated;
    for (BlockArgument argument : entry.getArguments()) {
      if (!isa<RankedTensorType>(argument.getType()))
        continue;
      SmallVector<OpOperand *> plainUses;
      shard::ShardOp producer, forUsers;
      for (OpOperand &use : argument.getUses()) {
        auto shardOp = dyn_cast<shard::ShardOp>(use.getOwner());
        if (!shardOp)
          plainUses.push_back(&use);
        else if (!shardOp.getAnnotateForUsers() && !producer)
          producer = shardOp;
        else if (shardOp.getAnnotateForUsers() && !forUsers)
          forUsers = shardOp;
      }
      // The sharding shard-partition gives the argument: its own (producer)
      // annotation, else the first one for its users.
      shard::ShardOp annotation = producer ? producer : forUsers;
      if (plainUses.empty() && annotation)
        continue;

      Value annotated;
      if (annotation) {
        // The other uses read the argument through that annotation, which
        // must come first: hoisted to the top of the block when its sharding
        // is static.
        Operation *shardingDef = annotation.getSharding().getDefiningOp();
        if (shardingDef && shardingDef->getNumOperands() == 0 &&
            shardingDef->getBlock() == &entry) {
          shardingDef->moveBefore(&entry, entry.begin());
          annotation->moveAfter(shardingDef);
        }
        if (llvm::any_of(plainUses, [&](OpOperand *use) {
              return !dominance.properlyDominates(annotation.getResult(),
                                                  use->getOwner());
            })) {
          annotation.emitOpError()
              << "annotates a function argument that is also used before it; "
                 "shard-partition needs every use of an argument annotated";
          return signalPassFailure();
        }
        annotated = annotation.getResult();
      } else {
        // Not annotated: sharding-propagation annotates it for the users
        // that have a sharding model; one without any such user (unused,
        // only returned) is replicated.
        if (llvm::any_of(plainUses, [](OpOperand *use) {
              // (func.return has a sharding model, but propagation does not
              // annotate what it returns.)
              Operation *user = use->getOwner();
              return isa<shard::ShardingInterface>(user) &&
                     !user->hasTrait<OpTrait::IsTerminator>();
            }))
          continue;
        OpBuilder builder = OpBuilder::atBlockBegin(&entry);
        Location loc = argument.getLoc();
        if (!replicated)
          replicated = shard::ShardingOp::create(
              builder, loc, grid,
              ArrayRef<shard::GridAxesAttr>{
                  shard::GridAxesAttr::get(&getContext(), {})});
        else
          builder.setInsertionPointAfterValue(replicated);
        annotated = shard::ShardOp::create(builder, loc, argument, replicated,
                                           /*annotate_for_users=*/true);
      }
      for (OpOperand *use : plainUses)
        use->set(annotated);
    }
  }
};
} // namespace
