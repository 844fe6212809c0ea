//===- ShardingModels.h - Norm ops over a sharded batch ---------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// The upstream shard dialect's ShardingInterface for the norm ops whose
// statistics are per sample or per channel: LayerNorm, RMSNorm and GroupNorm
// (forward and backward) and inference BatchNorm, and for the data
// normalizations. Split along the dimensions they do not normalize over,
// each process computes its own part with no communication, but for the
// parameter gradients of the backward ops, which are summed over the
// processes. The fits (moments, min_max) may also be split along what they
// fit over: the processes' parts are combined by all-reduces. (Training
// BatchNorm, InPlace-ABN and batch_stats: SyncBatchNorm.h.)
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_SHARDINGMODELS_H
#define NORM_DIALECT_NORM_TRANSFORMS_SHARDINGMODELS_H

namespace mlir {
class DialectRegistry;

namespace norm {

/// Attaches the ShardingInterface models of layer_norm, rms_norm,
/// group_norm, batch_norm_inference, layer_norm_grad, rms_norm_grad,
/// group_norm_grad, moments, min_max, standardize, min_max_scale,
/// image_normalize and spectral_norm when the norm dialect loads.
void registerNormShardingModels(DialectRegistry &registry);

} // namespace norm
} // namespace mlir

#endif // NORM_DIALECT_NORM_TRANSFORMS_SHARDINGMODELS_H
