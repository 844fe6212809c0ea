//===- ShardAnnotateArguments.cpp - Replicate unannotated arguments -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Works around a crash of MLIR 22's shard-partition on the tensor arguments
// of a sharded function that no shard.shard uses (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Builders.h"

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
    OpBuilder builder = OpBuilder::atBlockBegin(&entry);
    Value replicated;
    for (BlockArgument argument : entry.getArguments()) {
      if (!isa<RankedTensorType>(argument.getType()) ||
          llvm::any_of(argument.getUsers(), llvm::IsaPred<shard::ShardOp>))
        continue;
      Location loc = argument.getLoc();
      if (!replicated)
        replicated = shard::ShardingOp::create(
            builder, loc, grid,
            ArrayRef<shard::GridAxesAttr>{
                shard::GridAxesAttr::get(&getContext(), {})});
      auto annotation =
          shard::ShardOp::create(builder, loc, argument, replicated,
                                 /*annotate_for_users=*/true);
      argument.replaceAllUsesExcept(annotation.getResult(), annotation);
    }
  }
};
} // namespace
