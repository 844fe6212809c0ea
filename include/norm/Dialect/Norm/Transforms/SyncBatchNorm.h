//===- SyncBatchNorm.h - Batch norm over a sharded batch --------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// SyncBatchNorm: the upstream shard dialect's ShardingInterface for
// norm.batch_norm_training, norm.inplace_abn (InPlace-ABN Sync) and their
// backward ops. `--shard-partition` turns such an op whose batch is split
// across processes into local partial sums, shard.all_reduce of the
// per-channel sums, and the normalization (or input gradient) with the
// statistics of the whole batch.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_SYNCBATCHNORM_H
#define NORM_DIALECT_NORM_TRANSFORMS_SYNCBATCHNORM_H

namespace mlir {
class DialectRegistry;

namespace norm {

/// Attaches the ShardingInterface models of the training batch
/// normalization ops (batch_norm_training, inplace_abn and their backward
/// ops) when the norm dialect loads, and
/// the memory effects of mpi.allreduce that buffer deallocation needs.
void registerSyncBatchNormShardingModels(DialectRegistry &registry);

} // namespace norm
} // namespace mlir

#endif // NORM_DIALECT_NORM_TRANSFORMS_SYNCBATCHNORM_H
