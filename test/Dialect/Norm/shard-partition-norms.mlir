// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))' \
// RUN:   | FileCheck %s

// The ShardingInterface of the per-sample and per-channel norms
// (lib/Dialect/Norm/Transforms/ShardingModels.cpp): split along the
// dimensions they do not normalize over, each process runs the op on its
// own part, with no communication but the all-reduce of the backward ops'
// parameter gradients. Only the input is annotated; sharding-propagation
// splits the outputs and statistics with it and replicates the parameters.

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// LayerNorm over the last axis, batch split: local rows, local keep-dims
// statistics (the unused rstd too), whole weight and bias.
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME:    %[[X:.*]]: tensor<8x6x8xf32>, %[[W:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK-SAME:    -> (tensor<8x6x8xf32>, tensor<8x6x1xf32>)
// CHECK:         %[[Y:.*]], %[[M:.*]], %{{.*}} = norm.layer_norm %[[X]] weight(%[[W]] : tensor<8xf32>) bias(%[[B]] : tensor<8xf32>) axes = [2] : tensor<8x6x8xf32> stats(tensor<8x6x1xf32>, tensor<8x6x1xf32>)
// CHECK-NOT:     shard.
// CHECK:         return %[[Y]], %[[M]]
func.func @layer_norm(%x: tensor<32x6x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>)
    -> (tensor<32x6x8xf32>, tensor<32x6x1xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<32x6x8xf32>
  %y, %m, %r = norm.layer_norm %xs weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>)
      axes = [2] : tensor<32x6x8xf32> stats(tensor<32x6x1xf32>, tensor<32x6x1xf32>)
  %ys = shard.shard %y to %split : tensor<32x6x8xf32>
  %ms = shard.shard %m to %split : tensor<32x6x1xf32>
  return %ys, %ms : tensor<32x6x8xf32>, tensor<32x6x1xf32>
}

// -----

shard.grid @grid(shape = 2x2) {sym_visibility = "private"}

// RMSNorm with a residual, bf16, the sequence dimension split over the second
// grid axis and the batch over the first: residual and residual_sum follow.
// CHECK-LABEL: func.func @rms_norm_residual(
// CHECK-SAME:    %[[X:.*]]: tensor<2x8x16xbf16>, %[[R:.*]]: tensor<2x8x16xbf16>, %[[W:.*]]: tensor<16xbf16>)
// CHECK:         %[[Y:.*]], %[[S:.*]] = norm.rms_norm %[[X]] weight(%[[W]] : tensor<16xbf16>) residual(%[[R]] : tensor<2x8x16xbf16>) axes = [2] : tensor<2x8x16xbf16> residual_sum(tensor<2x8x16xbf16>)
// CHECK-NOT:     shard.
// CHECK:         return %[[Y]], %[[S]]
func.func @rms_norm_residual(%x: tensor<4x16x16xbf16>, %r: tensor<4x16x16xbf16>,
                             %w: tensor<16xbf16>)
    -> (tensor<4x16x16xbf16>, tensor<4x16x16xbf16>) {
  %split = shard.sharding @grid split_axes = [[0], [1]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<4x16x16xbf16>
  %y, %s = norm.rms_norm %xs weight(%w : tensor<16xbf16>)
      residual(%r : tensor<4x16x16xbf16>) axes = [2]
      : tensor<4x16x16xbf16> residual_sum(tensor<4x16x16xbf16>)
  %ys = shard.shard %y to %split : tensor<4x16x16xbf16>
  %ss = shard.shard %s to %split : tensor<4x16x16xbf16>
  return %ys, %ss : tensor<4x16x16xbf16>, tensor<4x16x16xbf16>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// GroupNorm NHWC with SiLU: per-sample statistics [N, G] split with the
// batch; weight and bias replicated.
// CHECK-LABEL: func.func @group_norm_nhwc(
// CHECK-SAME:    %[[X:.*]]: tensor<2x5x5x8xf32>, %[[W:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
// CHECK:         %[[Y:.*]], %[[M:.*]], %[[RS:.*]] = norm.group_norm %[[X]] weight(%[[W]] : tensor<8xf32>) bias(%[[B]] : tensor<8xf32>) groups = 4 channel_axis = 3 activation = silu : tensor<2x5x5x8xf32> stats(tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK-NOT:     shard.
// CHECK:         return %[[Y]], %[[M]], %[[RS]]
func.func @group_norm_nhwc(%x: tensor<8x5x5x8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>)
    -> (tensor<8x5x5x8xf32>, tensor<8x4xf32>, tensor<8x4xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x5x5x8xf32>
  %y, %m, %r = norm.group_norm %xs weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>)
      groups = 4 channel_axis = 3 activation = silu
      : tensor<8x5x5x8xf32> stats(tensor<8x4xf32>, tensor<8x4xf32>)
  %ys = shard.shard %y to %split : tensor<8x5x5x8xf32>
  %ms = shard.shard %m to %split : tensor<8x4xf32>
  %rs = shard.shard %r to %split : tensor<8x4xf32>
  return %ys, %ms, %rs : tensor<8x5x5x8xf32>, tensor<8x4xf32>, tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// Inference BatchNorm is elementwise: with the channels split, the running
// statistics and parameters are split with them.
// CHECK-LABEL: func.func @batch_norm_inference_channels(
// CHECK-SAME:    %[[X:.*]]: tensor<2x2x5xf32>, %[[M:.*]]: tensor<2xf32>, %[[V:.*]]: tensor<2xf32>, %[[W:.*]]: tensor<2xf32>)
// CHECK:         %[[Y:.*]] = norm.batch_norm_inference %[[X]] mean(%[[M]] : tensor<2xf32>) var(%[[V]] : tensor<2xf32>) weight(%[[W]] : tensor<2xf32>) activation = relu : tensor<2x2x5xf32>
// CHECK-NOT:     shard.
// CHECK:         return %[[Y]]
func.func @batch_norm_inference_channels(%x: tensor<2x8x5xf32>, %m: tensor<8xf32>,
    %v: tensor<8xf32>, %w: tensor<8xf32>) -> tensor<2x8x5xf32> {
  %split = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<2x8x5xf32>
  %y = norm.batch_norm_inference %xs mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>)
      weight(%w : tensor<8xf32>) activation = relu : tensor<2x8x5xf32>
  %ys = shard.shard %y to %split : tensor<2x8x5xf32>
  return %ys : tensor<2x8x5xf32>
}

// -----

shard.grid @grid(shape = 2x2) {sym_visibility = "private"}

// LayerNorm backward with the batch split over both grid axes: grad_input
// local, grad_weight and grad_bias the local sums all-reduced in one
// collective.
// CHECK-LABEL: func.func @layer_norm_grad(
// CHECK-SAME:    %[[DY:.*]]: tensor<2x16xf32>, %[[X:.*]]: tensor<2x16xf32>, %[[M:.*]]: tensor<2x1xf32>, %[[R:.*]]: tensor<2x1xf32>, %[[W:.*]]: tensor<16xf32>, %[[B:.*]]: tensor<16xf32>)
// CHECK:         %[[DX:.*]], %[[DW:.*]], %[[DB:.*]] = norm.layer_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<2x1xf32>) rstd(%[[R]] : tensor<2x1xf32>) weight(%[[W]] : tensor<16xf32>) bias(%[[B]] : tensor<16xf32>) axes = [1] activation = gelu : tensor<2x16xf32> grad_weight(tensor<16xf32>) grad_bias(tensor<16xf32>)
// CHECK:         %[[P0:.*]] = tensor.insert_slice %[[DW]] into %{{.*}}[0] [16] [1] : tensor<16xf32> into tensor<32xf32>
// CHECK:         %[[P1:.*]] = tensor.insert_slice %[[DB]] into %[[P0]][16] [16] [1] : tensor<16xf32> into tensor<32xf32>
// CHECK:         %[[SUMS:.*]] = shard.all_reduce %[[P1]] on @grid grid_axes = [0, 1] : tensor<32xf32> -> tensor<32xf32>
// CHECK:         %[[SDW:.*]] = tensor.extract_slice %[[SUMS]][0] [16] [1] : tensor<32xf32> to tensor<16xf32>
// CHECK:         %[[SDB:.*]] = tensor.extract_slice %[[SUMS]][16] [16] [1] : tensor<32xf32> to tensor<16xf32>
// CHECK:         return %[[DX]], %[[SDW]], %[[SDB]]
func.func @layer_norm_grad(%dy: tensor<8x16xf32>, %x: tensor<8x16xf32>,
    %m: tensor<8x1xf32>, %r: tensor<8x1xf32>, %w: tensor<16xf32>, %b: tensor<16xf32>)
    -> (tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %split = shard.sharding @grid split_axes = [[0, 1]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x16xf32>
  %dys = shard.shard %dy to %split : tensor<8x16xf32>
  %dx, %dw, %db = norm.layer_norm_grad %dys, %xs mean(%m : tensor<8x1xf32>)
      rstd(%r : tensor<8x1xf32>) weight(%w : tensor<16xf32>) bias(%b : tensor<16xf32>)
      axes = [1] activation = gelu : tensor<8x16xf32>
      grad_weight(tensor<16xf32>) grad_bias(tensor<16xf32>)
  %dxs = shard.shard %dx to %split : tensor<8x16xf32>
  return %dxs, %dw, %db : tensor<8x16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// RMSNorm backward (bf16, f32 grad_weight) and GroupNorm backward: one
// all-reduce for the parameter gradients.
// CHECK-LABEL: func.func @rms_norm_grad(
// CHECK:         %[[DX:.*]], %[[DW:.*]] = norm.rms_norm_grad %{{.*}}, %{{.*}} rstd(%{{.*}} : tensor<2x1xf32>) weight(%{{.*}} : tensor<64xbf16>) axes = [1] : tensor<2x64xbf16> grad_weight(tensor<64xf32>)
// CHECK:         %[[SDW:.*]] = shard.all_reduce %[[DW]] on @grid grid_axes = [0] : tensor<64xf32> -> tensor<64xf32>
// CHECK:         return %[[DX]], %[[SDW]]
func.func @rms_norm_grad(%dy: tensor<8x64xbf16>, %x: tensor<8x64xbf16>,
    %r: tensor<8x1xf32>, %w: tensor<64xbf16>) -> (tensor<8x64xbf16>, tensor<64xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x64xbf16>
  %dys = shard.shard %dy to %split : tensor<8x64xbf16>
  %dx, %dw = norm.rms_norm_grad %dys, %xs rstd(%r : tensor<8x1xf32>)
      weight(%w : tensor<64xbf16>) axes = [1] : tensor<8x64xbf16>
      grad_weight(tensor<64xf32>)
  %dxs = shard.shard %dx to %split : tensor<8x64xbf16>
  return %dxs, %dw : tensor<8x64xbf16>, tensor<64xf32>
}

// CHECK-LABEL: func.func @group_norm_grad(
// CHECK-SAME:    %{{.*}}: tensor<2x6x5xf32>, %{{.*}}: tensor<2x6x5xf32>, %{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<2x3xf32>, %{{.*}}: tensor<6xf32>)
// CHECK:         %[[DX:.*]], %[[DW:.*]], %[[DB:.*]] = norm.group_norm_grad
// CHECK:         %[[SUMS:.*]] = shard.all_reduce %{{.*}} on @grid grid_axes = [0] : tensor<12xf32> -> tensor<12xf32>
// CHECK-NOT:     shard.all_reduce
// CHECK:         %[[SDW:.*]] = tensor.extract_slice %[[SUMS]][0] [6] [1]
// CHECK:         %[[SDB:.*]] = tensor.extract_slice %[[SUMS]][6] [6] [1]
// CHECK:         return %[[DX]], %[[SDW]], %[[SDB]]
func.func @group_norm_grad(%dy: tensor<8x6x5xf32>, %x: tensor<8x6x5xf32>,
    %m: tensor<8x3xf32>, %r: tensor<8x3xf32>, %w: tensor<6xf32>)
    -> (tensor<8x6x5xf32>, tensor<6xf32>, tensor<6xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x6x5xf32>
  %dys = shard.shard %dy to %split : tensor<8x6x5xf32>
  %gx, %gw, %gb = norm.group_norm_grad %dys, %xs mean(%m : tensor<8x3xf32>)
      rstd(%r : tensor<8x3xf32>) weight(%w : tensor<6xf32>) groups = 3
      : tensor<8x6x5xf32> grad_weight(tensor<6xf32>) grad_bias(tensor<6xf32>)
  %gxs = shard.shard %gx to %split : tensor<8x6x5xf32>
  return %gxs, %gw, %gb : tensor<8x6x5xf32>, tensor<6xf32>, tensor<6xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// Nothing split: the op is kept as it is.
// CHECK-LABEL: func.func @replicated(
// CHECK-SAME:    %[[X:.*]]: tensor<8x16xf32>
// CHECK:         norm.layer_norm %[[X]] axes = [1] : tensor<8x16xf32>
// CHECK-NOT:     shard.
// CHECK:         return
func.func @replicated(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %repl = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %xs = shard.shard %x to %repl : tensor<8x16xf32>
  %y = norm.layer_norm %xs axes = [1] : tensor<8x16xf32>
  return %y : tensor<8x16xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// A user that wants the hidden dimension split: the LayerNorm still runs on
// the batch split (a split of its normalized axis is never chosen), and its
// result is resharded after it.
// CHECK-LABEL: func.func @hidden_split_user(
// CHECK-SAME:    %[[X:.*]]: tensor<2x16xf32>) -> tensor<8x4xf32>
// CHECK:         %[[Y:.*]] = norm.layer_norm %[[X]] axes = [1] : tensor<2x16xf32>
// CHECK:         shard.all_to_all %[[Y]] on @grid grid_axes = [0] split_axis = 1 concat_axis = 0 : tensor<2x16xf32> -> tensor<8x4xf32>
func.func @hidden_split_user(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %batch = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %hidden = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %batch : tensor<8x16xf32>
  %y = norm.layer_norm %xs axes = [1] : tensor<8x16xf32>
  %ys = shard.shard %y to %hidden annotate_for_users : tensor<8x16xf32>
  return %ys : tensor<8x16xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// Channels split, but the running statistics handed over replicated: each
// process takes its slice of them.
// CHECK-LABEL: func.func @replicated_statistics(
// CHECK-SAME:    %[[X:.*]]: tensor<2x?x5xf32>, %[[M:.*]]: tensor<?xf32>, %[[V:.*]]: tensor<?xf32>)
// CHECK-DAG:     %[[MS:.*]] = shard.all_slice %[[M]] on @grid grid_axes = [0] slice_axis = 0
// CHECK-DAG:     %[[VS:.*]] = shard.all_slice %[[V]] on @grid grid_axes = [0] slice_axis = 0
// CHECK:         norm.batch_norm_inference %[[X]] mean(%[[MS]] : tensor<?xf32>) var(%[[VS]] : tensor<?xf32>)
func.func @replicated_statistics(%x: tensor<2x?x5xf32>, %m: tensor<?xf32>,
    %v: tensor<?xf32>) -> tensor<2x?x5xf32> {
  %split = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %repl = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<2x?x5xf32>
  %m0 = shard.shard %m to %repl : tensor<?xf32>
  %ms = shard.shard %m0 to %repl annotate_for_users : tensor<?xf32>
  %v0 = shard.shard %v to %repl : tensor<?xf32>
  %vs = shard.shard %v0 to %repl annotate_for_users : tensor<?xf32>
  %y = norm.batch_norm_inference %xs mean(%ms : tensor<?xf32>) var(%vs : tensor<?xf32>)
      : tensor<2x?x5xf32>
  %ys = shard.shard %y to %split : tensor<2x?x5xf32>
  return %ys : tensor<2x?x5xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// An f16 grad_weight is summed in f32 (MPI has no f16 sum): extended,
// all-reduced, truncated back.
// CHECK-LABEL: func.func @f16_parameter_gradient(
// CHECK:         %{{.*}}, %[[DW:.*]] = norm.rms_norm_grad
// CHECK:         %[[WIDE:.*]] = linalg.generic {{.*}} ins(%[[DW]] : tensor<8xf16>)
// CHECK:           arith.extf
// CHECK:         %[[SUM:.*]] = shard.all_reduce %[[WIDE]] on @grid grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[NARROW:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<8xf32>)
// CHECK:           arith.truncf
// CHECK:         return %{{.*}}, %[[NARROW]]
func.func @f16_parameter_gradient(%dy: tensor<4x8xf16>, %x: tensor<4x8xf16>,
    %r: tensor<4x1xf32>, %w: tensor<8xf16>) -> (tensor<4x8xf16>, tensor<8xf16>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<4x8xf16>
  %dys = shard.shard %dy to %split : tensor<4x8xf16>
  %dx, %dw = norm.rms_norm_grad %dys, %xs rstd(%r : tensor<4x1xf32>)
      weight(%w : tensor<8xf16>) axes = [1] : tensor<4x8xf16>
      grad_weight(tensor<8xf16>)
  %dxs = shard.shard %dx to %split : tensor<4x8xf16>
  return %dxs, %dw : tensor<4x8xf16>, tensor<8xf16>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// Conflicting annotations (the same grid axis on the residual's batch and
// the weight's hidden dimension) and none on the input: the op is
// replicated, the split operands gathered.
// CHECK-LABEL: func.func @conflict_without_input_annotation(
// CHECK-SAME:    %[[X:.*]]: tensor<8x16xf32>, %[[R:.*]]: tensor<2x16xf32>, %[[W:.*]]: tensor<4xf32>)
// CHECK-DAG:     shard.all_gather %[[R]] on @grid grid_axes = [0] gather_axis = 0 : tensor<2x16xf32> -> tensor<8x16xf32>
// CHECK-DAG:     shard.all_gather %[[W]] on @grid grid_axes = [0] gather_axis = 0 : tensor<4xf32> -> tensor<16xf32>
// CHECK:         norm.rms_norm %[[X]] {{.*}} : tensor<8x16xf32> residual_sum(tensor<8x16xf32>)
func.func @conflict_without_input_annotation(%x: tensor<8x16xf32>,
    %r: tensor<8x16xf32>, %w: tensor<16xf32>)
    -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %rs = shard.shard %r to %s annotate_for_users : tensor<8x16xf32>
  %ws = shard.shard %w to %s annotate_for_users : tensor<16xf32>
  %y, %sum = norm.rms_norm %x weight(%ws : tensor<16xf32>)
      residual(%rs : tensor<8x16xf32>) axes = [1]
      : tensor<8x16xf32> residual_sum(tensor<8x16xf32>)
  return %y, %sum : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// In a data-parallel step, ops that no annotation reaches (a LayerNorm of
// another input, a SpectralNorm of a weight) are replicated: every process
// computes them whole (they used to crash shard-partition, or had no model).
// CHECK-LABEL: func.func @unannotated_ops_replicated(
// CHECK-SAME:    %[[X:.*]]: tensor<4x3xf32>, %[[Z:.*]]: tensor<4x3xf32>, %[[W:.*]]: tensor<5x3xf32>, %[[U:.*]]: tensor<5xf32>)
// CHECK-NOT:     shard.
// CHECK:         norm.layer_norm %[[X]] axes = [1] : tensor<4x3xf32>
// CHECK:         norm.layer_norm %[[Z]] axes = [1] : tensor<4x3xf32>
// CHECK:         norm.spectral_norm %[[W]], %[[U]] : tensor<5x3xf32>, tensor<5xf32> -> tensor<f32>
// CHECK-NOT:     shard.
// CHECK:         return
func.func @unannotated_ops_replicated(%x: tensor<8x3xf32>, %z: tensor<4x3xf32>,
                                      %w: tensor<5x3xf32>, %u: tensor<5xf32>)
    -> (tensor<8x3xf32>, tensor<4x3xf32>, tensor<5x3xf32>, tensor<5xf32>) {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x3xf32>
  %y = norm.layer_norm %xs axes = [1] : tensor<8x3xf32>
  %ys = shard.shard %y to %s : tensor<8x3xf32>
  %zn = norm.layer_norm %z axes = [1] : tensor<4x3xf32>
  %wn, %un, %sigma = norm.spectral_norm %w, %u : tensor<5x3xf32>, tensor<5xf32> -> tensor<f32>
  return %ys, %zn, %wn, %un : tensor<8x3xf32>, tensor<4x3xf32>, tensor<5x3xf32>, tensor<5xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// A SpectralNorm never splits its weight (sigma needs all of it): a split
// weight is gathered first.
// CHECK-LABEL: func.func @spectral_norm_of_split_weight(
// CHECK-SAME:    %[[W:.*]]: tensor<2x3xf32>, %[[U:.*]]: tensor<4xf32>)
// CHECK:         %[[G:.*]] = shard.all_gather %[[W]] on @grid grid_axes = [0] gather_axis = 0 : tensor<2x3xf32> -> tensor<4x3xf32>
// CHECK:         norm.spectral_norm %{{.*}}, %[[U]] : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
func.func @spectral_norm_of_split_weight(%w: tensor<4x3xf32>, %u: tensor<4xf32>) -> tensor<4x3xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %ws = shard.shard %w to %s : tensor<4x3xf32>
  %wn, %un, %sigma = norm.spectral_norm %ws, %u : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return %wn : tensor<4x3xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// A bf16 weight's gradient next to an f32 bias's: both summed in f32 in one
// collective, each back in its own type (grad_bias stays f32).
// CHECK-LABEL: func.func @mixed_parameter_gradient_types(
// CHECK-SAME:    -> (tensor<4x16xbf16>, tensor<16xbf16>, tensor<16xf32>)
// CHECK:         %[[SUMS:.*]] = shard.all_reduce %{{.*}} on @grid grid_axes = [0] : tensor<32xf32> -> tensor<32xf32>
// CHECK-NOT:     shard.all_reduce
// CHECK:         return %{{.*}}, %{{.*}}, %{{.*}} : tensor<4x16xbf16>, tensor<16xbf16>, tensor<16xf32>
func.func @mixed_parameter_gradient_types(%dy: tensor<8x16xbf16>, %x: tensor<8x16xbf16>,
    %m: tensor<8x1xf32>, %r: tensor<8x1xf32>, %w: tensor<16xbf16>, %b: tensor<16xf32>)
    -> (tensor<8x16xbf16>, tensor<16xbf16>, tensor<16xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x16xbf16>
  %dys = shard.shard %dy to %split : tensor<8x16xbf16>
  %dx, %dw, %db = norm.layer_norm_grad %dys, %xs mean(%m : tensor<8x1xf32>)
      rstd(%r : tensor<8x1xf32>) weight(%w : tensor<16xbf16>) bias(%b : tensor<16xf32>)
      axes = [1] : tensor<8x16xbf16> grad_weight(tensor<16xbf16>) grad_bias(tensor<16xf32>)
  %dxs = shard.shard %dx to %split : tensor<8x16xbf16>
  return %dxs, %dw, %db : tensor<8x16xbf16>, tensor<16xbf16>, tensor<16xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// Parameter gradients of rank 2 (LayerNorm over two axes): not packed, one
// all-reduce each.
// CHECK-LABEL: func.func @rank2_parameter_gradients(
// CHECK:         shard.all_reduce %{{.*}} : tensor<4x5xf32> -> tensor<4x5xf32>
// CHECK:         shard.all_reduce %{{.*}} : tensor<4x5xf32> -> tensor<4x5xf32>
func.func @rank2_parameter_gradients(%dy: tensor<8x4x5xf32>, %x: tensor<8x4x5xf32>,
    %m: tensor<8x1x1xf32>, %r: tensor<8x1x1xf32>, %w: tensor<4x5xf32>, %b: tensor<4x5xf32>)
    -> (tensor<8x4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x4x5xf32>
  %dys = shard.shard %dy to %split : tensor<8x4x5xf32>
  %dx, %dw, %db = norm.layer_norm_grad %dys, %xs mean(%m : tensor<8x1x1xf32>)
      rstd(%r : tensor<8x1x1xf32>) weight(%w : tensor<4x5xf32>) bias(%b : tensor<4x5xf32>)
      axes = [1, 2] : tensor<8x4x5xf32> grad_weight(tensor<4x5xf32>) grad_bias(tensor<4x5xf32>)
  %dxs = shard.shard %dx to %split : tensor<8x4x5xf32>
  return %dxs, %dw, %db : tensor<8x4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>
}
