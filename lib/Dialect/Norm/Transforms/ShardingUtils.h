//===- ShardingUtils.h - Checks shared by the sharding models ---*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_DIALECT_NORM_TRANSFORMS_SHARDINGUTILS_H
#define LIB_DIALECT_NORM_TRANSFORMS_SHARDINGUTILS_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"

namespace mlir {
namespace norm {

/// Fails, with an error on `op` naming `what`, when `sharding` splits a
/// static dimension of `type` into parts of different sizes: upstream
/// partitioning gives every process size / parts rows and drops the rest,
/// so statistics over the batch would silently miss samples. A dynamic
/// dimension is the caller's (each process passes its own part).
LogicalResult verifyEvenSplit(Operation *op, const shard::Sharding &sharding,
                              RankedTensorType type, StringRef what,
                              SymbolTableCollection &symbolTable);

/// Fails with an error on `op` when shard-partition could not reshard one of
/// its operands (it leaves the value null: a move between grids, or between
/// grid axes of one dimension). `partition` relies on every operand.
LogicalResult checkPartitionedOperands(Operation *op,
                                       ArrayRef<Value> partitionedOperands);

/// The number of elements of `input` along `dims` (the local part's
/// element count of a statistic), as a rank-0 tensor of the float `type`.
Value buildElementCount(OpBuilder &b, Location loc, Value input,
                        ArrayRef<int64_t> dims, Type type);

/// `value` where the element count `count` is positive, else 0: what a
/// process with an empty part (a dynamic split can leave one empty: its
/// local mean is 0 / 0) adds to the all-reduced sums. Scalars, in a payload.
Value selectIfNonEmpty(OpBuilder &b, Location loc, Value count, Value value);

/// Upstream's default sharding option for `op`, empty (no information) only
/// when no operand or result is annotated. MLIR 22 takes that from the last
/// annotated operand alone (`any = !splitAxes.empty()`), so a rank-0 last
/// operand (`split_axes = []`, such as the count of the micro-batch
/// backward ops) threw away the split of the others and the op was
/// replicated.
FailureOr<shard::ShardingOption>
getUpstreamShardingOption(Operation *op,
                          ArrayRef<shard::Sharding> operandShardings,
                          ArrayRef<shard::Sharding> resultShardings);

/// getUpstreamShardingOption, replicated when no annotation reaches `op`
/// (replicateWhenUnannotated).
FailureOr<shard::ShardingOption>
getDefaultShardingOption(Operation *op,
                         ArrayRef<shard::Sharding> operandShardings,
                         ArrayRef<shard::Sharding> resultShardings);

/// `option` (upstream's choice for `op`), or, when it carries no information
/// (no annotation reaches `op`), a definite replicated choice on the grid of
/// the first shard.sharding of the enclosing function: otherwise
/// sharding-propagation leaves `op` unannotated and shard-partition (MLIR
/// 22) dereferences its missing sharding.
FailureOr<shard::ShardingOption>
replicateWhenUnannotated(Operation *op,
                         FailureOr<shard::ShardingOption> option);

/// `values` (of element types MPI reduces: f32, f64) all-reduced with
/// `kind` over `gridAxes` in as few collectives as their types allow: the
/// rank-0 and rank-1 values of each element type packed into one vector,
/// reduced, and sliced back (a value of higher rank is reduced alone). Each
/// collective costs a message latency (and, in MLIR 22's
/// convert-shard-to-mpi, an MPI_Comm_split), so the statistics of a step
/// share them.
SmallVector<Value> allReducePacked(OpBuilder &b, Location loc,
                                   ArrayRef<Value> values, StringRef grid,
                                   ArrayRef<shard::GridAxis> gridAxes,
                                   shard::ReductionKind kind);

} // namespace norm
} // namespace mlir

#endif // LIB_DIALECT_NORM_TRANSFORMS_SHARDINGUTILS_H
