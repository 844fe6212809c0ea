// RUN: norm-opt %s --split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(shard-partition))'

// Limits of the per-sample and per-channel norms' ShardingInterface
// (lib/Dialect/Norm/Transforms/ShardingModels.cpp): a split normalized
// dimension would need the statistics of several processes, and halos or
// explicit shard sizes are not supported.

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// The normalized axis of a LayerNorm split.
func.func @layer_norm_axis_split(%x: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x32xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x32xf32>
  // expected-error @below {{cannot be partitioned: it normalizes over dimension 1 of its input, which is split across processes; only the dimensions it does not normalize over may be split}}
  %y = norm.layer_norm %xs axes = [1] : tensor<8x32xf32>
  %ys = shard.shard %y to %s : tensor<8x32xf32>
  return %ys : tensor<8x32xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// GroupNorm normalizes over its channels and spatial dimensions: a split
// spatial dimension is refused too.
func.func @group_norm_spatial_split(%x: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %s = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<2x8x16xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<2x8x16xf32>
  // expected-error @below {{it normalizes over dimension 2 of its input}}
  %y = norm.group_norm %xs groups = 2 : tensor<2x8x16xf32>
  %ys = shard.shard %y to %s : tensor<2x8x16xf32>
  return %ys : tensor<2x8x16xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The backward's normalized axis split (through grad_output).
func.func @rms_norm_grad_axis_split(%dy: tensor<4x16xf32>, %x: tensor<4x16xf32>,
    %r: tensor<4x1xf32>) -> tensor<4x16xf32> {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %repl = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %dy0 = shard.shard %dy to %s : tensor<4x16xf32>
  %dys = shard.shard %dy0 to %s annotate_for_users : tensor<4x16xf32>
  %x0 = shard.shard %x to %repl : tensor<4x16xf32>
  %xs = shard.shard %x0 to %repl annotate_for_users : tensor<4x16xf32>
  %r0 = shard.shard %r to %repl : tensor<4x1xf32>
  %rs = shard.shard %r0 to %repl annotate_for_users : tensor<4x1xf32>
  // expected-error @below {{it normalizes over dimension 1 of its input}}
  %dx = norm.rms_norm_grad %dys, %xs rstd(%rs : tensor<4x1xf32>) axes = [1]
      : tensor<4x16xf32>
  %dxs = shard.shard %dx to %repl : tensor<4x16xf32>
  return %dxs : tensor<4x16xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// Halos on the batch dimension.
func.func @rms_norm_halo(%x: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %s = shard.sharding @grid split_axes = [[0]] halo_sizes = [1, 1] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x32xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x32xf32>
  // expected-error @below {{cannot be partitioned over a sharding with halos or explicit shard sizes}}
  %y = norm.rms_norm %xs axes = [1] : tensor<8x32xf32>
  %ys = shard.shard %y to %s : tensor<8x32xf32>
  return %ys : tensor<8x32xf32>
}
