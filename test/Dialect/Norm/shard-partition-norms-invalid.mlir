// RUN: norm-opt %s --split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(shard-partition))'

// Limits of the per-sample and per-channel norms' ShardingInterface
// (lib/Dialect/Norm/Transforms/ShardingModels.cpp), given shardings that
// sharding-propagation would not choose: a split normalized dimension would
// need the statistics of several processes, a value split otherwise than the
// input would pair rows of different samples, and halos or explicit shard
// sizes are not supported.

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// The normalized axis of a LayerNorm split.
func.func @layer_norm_axis_split(%x: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x32xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x32xf32>
  // expected-error @below {{cannot be partitioned: its input is split along dimension 1 of the input, which the op normalizes over; only the dimensions it does not normalize over may be split}}
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
  // expected-error @below {{its input is split along dimension 2 of the input, which the op normalizes over}}
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
  // expected-error @below {{operand #0 is split along dimension 1 of the input, which the op normalizes over}}
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

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// The residual replicated while the input is split by the batch: each
// process would add the first rows of the residual to its own.
func.func @residual_not_split(%x: tensor<8x16xf32>, %r: tensor<8x16xf32>)
    -> tensor<8x16xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %repl = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x16xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x16xf32>
  %r0 = shard.shard %r to %repl : tensor<8x16xf32>
  %rs = shard.shard %r0 to %repl annotate_for_users : tensor<8x16xf32>
  // expected-error @below {{cannot be partitioned: operand #1 is not split as the input is (the same grid axes along the same dimensions of the input)}}
  %y, %sum = norm.rms_norm %xs residual(%rs : tensor<8x16xf32>) axes = [1]
      : tensor<8x16xf32> residual_sum(tensor<8x16xf32>)
  %ys = shard.shard %y to %s : tensor<8x16xf32>
  %sums = shard.shard %sum to %s : tensor<8x16xf32>
  return %ys : tensor<8x16xf32>
}

// -----

shard.grid @grid(shape = 2x2) {sym_visibility = "private"}

// The input split over grid axis 1, the result wanted over axis 0:
// shard-partition cannot move the batch between grid axes (it leaves the
// operand null), which is an error, not a crash.
func.func @grid_axis_move(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %s1 = shard.sharding @grid split_axes = [[1]] : !shard.sharding
  %s0 = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %x0 = shard.shard %x to %s1 : tensor<8x16xf32>
  %xs = shard.shard %x0 to %s0 annotate_for_users : tensor<8x16xf32>
  // expected-error @below {{cannot be partitioned: operand #0 could not be resharded to the op's sharding (a move between grids or grid axes that shard-partition does not support)}}
  %y = norm.layer_norm %xs axes = [1] : tensor<8x16xf32>
  %ys = shard.shard %y to %s0 : tensor<8x16xf32>
  return %ys : tensor<8x16xf32>
}
