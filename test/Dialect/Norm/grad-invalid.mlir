// RUN: norm-opt %s -split-input-file -verify-diagnostics

// Verifier diagnostics of the backward ops and the micro-batch statistics.

func.func @layer_norm_grad_axes(%dy: tensor<8x16x2xf32>, %x: tensor<8x16x2xf32>, %m: tensor<1x16x1xf32>, %r: tensor<1x16x1xf32>) -> tensor<8x16x2xf32> {
  // expected-error @+1 {{expects 'axes' to be adjacent dimensions, got [0, 2]}}
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<1x16x1xf32>) rstd(%r : tensor<1x16x1xf32>) axes = [0, 2] : tensor<8x16x2xf32>
  return %dx : tensor<8x16x2xf32>
}

// -----

func.func @layer_norm_grad_stats_shape(%dy: tensor<8x16xf32>, %x: tensor<8x16xf32>, %m: tensor<8xf32>, %r: tensor<8xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{expects 'mean' to have rank 2 (shape 8x1), got rank 1}}
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<8xf32>) rstd(%r : tensor<8xf32>) axes = [1] : tensor<8x16xf32>
  return %dx : tensor<8x16xf32>
}

// -----

func.func @layer_norm_grad_stats_type(%dy: tensor<8x16xbf16>, %x: tensor<8x16xbf16>, %m: tensor<8x1xbf16>, %r: tensor<8x1xbf16>) -> tensor<8x16xbf16> {
  // expected-error @+1 {{expects 'mean' to have element type 'f32', got 'bf16'}}
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<8x1xbf16>) rstd(%r : tensor<8x1xbf16>) axes = [1] : tensor<8x16xbf16>
  return %dx : tensor<8x16xbf16>
}

// -----

func.func @layer_norm_grad_weight_grad_shape(%dy: tensor<8x16xf32>, %x: tensor<8x16xf32>, %m: tensor<8x1xf32>, %r: tensor<8x1xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{expects result 'grad_weight' to have shape 16, got 8 (dimension 0)}}
  %dx, %dw = norm.layer_norm_grad %dy, %x mean(%m : tensor<8x1xf32>) rstd(%r : tensor<8x1xf32>) axes = [1] : tensor<8x16xf32> grad_weight(tensor<8xf32>)
  return %dw : tensor<8xf32>
}

// -----

func.func @layer_norm_grad_residual_sum_grad_alone(%dy: tensor<8x16xf32>, %x: tensor<8x16xf32>, %m: tensor<8x1xf32>, %r: tensor<8x1xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{has a 'residual_sum_grad' operand but no 'residual'}}
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<8x1xf32>) rstd(%r : tensor<8x1xf32>) residual_sum_grad(%dy : tensor<8x16xf32>) axes = [1] : tensor<8x16xf32>
  return %dx : tensor<8x16xf32>
}

// -----

func.func @rms_norm_grad_offset_without_weight(%dy: tensor<8x16xf32>, %x: tensor<8x16xf32>, %r: tensor<8x1xf32>) -> tensor<8x16xf32> {
  // expected-error @+1 {{has a 'weight_offset' but no 'weight'}}
  %dx = norm.rms_norm_grad %dy, %x rstd(%r : tensor<8x1xf32>) axes = [1] weight_offset = 1.0 : tensor<8x16xf32>
  return %dx : tensor<8x16xf32>
}

// -----

func.func @batch_norm_grad_stats(%dy: tensor<4x8x3xf32>, %x: tensor<4x8x3xf32>, %m: tensor<3xf32>, %r: tensor<3xf32>) -> tensor<4x8x3xf32> {
  // expected-error @+1 {{expects 'mean' to have shape 8, got 3 (dimension 0)}}
  %dx = norm.batch_norm_grad %dy, %x mean(%m : tensor<3xf32>) rstd(%r : tensor<3xf32>) : tensor<4x8x3xf32>
  return %dx : tensor<4x8x3xf32>
}

// -----

func.func @batch_norm_grad_feature_axis(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<8xf32>, %r: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{expects 'feature_axis' in [0, 1], got 2}}
  %dx = norm.batch_norm_grad %dy, %x mean(%m : tensor<8xf32>) rstd(%r : tensor<8xf32>) feature_axis = 2 : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @batch_norm_grad_count(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<8xf32>, %r: tensor<8xf32>, %n: tensor<1xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{expects 'count' to have rank 0, got rank 1}}
  %dx = norm.batch_norm_grad %dy, %x mean(%m : tensor<8xf32>) rstd(%r : tensor<8xf32>) batch_grad_sums(%m, %r : tensor<8xf32>, tensor<8xf32>) count(%n : tensor<1xf32>) : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @group_norm_grad_groups(%dy: tensor<2x6x5xf32>, %x: tensor<2x6x5xf32>, %m: tensor<2x4xf32>, %r: tensor<2x4xf32>) -> tensor<2x6x5xf32> {
  // expected-error @+1 {{expects 'num_groups' (4) to divide the channel count (6)}}
  %dx = norm.group_norm_grad %dy, %x mean(%m : tensor<2x4xf32>) rstd(%r : tensor<2x4xf32>) groups = 4 : tensor<2x6x5xf32>
  return %dx : tensor<2x6x5xf32>
}

// -----

func.func @group_norm_grad_stats(%dy: tensor<2x6x5xf32>, %x: tensor<2x6x5xf32>, %m: tensor<2x2xf32>, %r: tensor<2x2xf32>) -> tensor<2x6x5xf32> {
  // expected-error @+1 {{expects 'mean' to have shape 2x3, got 2x2 (dimension 1)}}
  %dx = norm.group_norm_grad %dy, %x mean(%m : tensor<2x2xf32>) rstd(%r : tensor<2x2xf32>) groups = 3 : tensor<2x6x5xf32>
  return %dx : tensor<2x6x5xf32>
}

// -----

func.func @inplace_abn_grad_not_invertible(%dy: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{requires an invertible activation (none, leaky_relu with a positive slope, or elu with a positive alpha), got 'relu'}}
  %dx = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<8xf32>) activation = relu : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @inplace_abn_grad_negative_slope(%dy: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{got 'leaky_relu' with a non-positive parameter}}
  %dx = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<8xf32>) activation = leaky_relu(-0.5) : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @batch_stats_mean_shape(%x: tensor<4x8xbf16>) -> tensor<4xf32> {
  // expected-error @+1 {{expects result 'mean' to have shape 8, got 4 (dimension 0)}}
  %n, %m, %q = norm.batch_stats %x : tensor<4x8xbf16> -> tensor<f32>, tensor<4xf32>
  return %m : tensor<4xf32>
}

// -----

func.func @batch_stats_type(%x: tensor<4x8xbf16>) -> tensor<8xbf16> {
  // expected-error @+1 {{expects result 'count' to have element type 'f32', got 'bf16'}}
  %n, %m, %q = norm.batch_stats %x : tensor<4x8xbf16> -> tensor<bf16>, tensor<8xbf16>
  return %m : tensor<8xbf16>
}

// -----

func.func @batch_stats_merge_rank(%n: tensor<1xf32>, %m: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{expects rank-0 counts, got 'tensor<1xf32>'}}
  %n2, %m2, %q2 = norm.batch_stats_merge %n, %m, %m, %n, %m, %m : tensor<1xf32>, tensor<8xf32>
  return %m2 : tensor<8xf32>
}

// -----

func.func @inplace_abn_grad_sums_shape(%dy: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<8xf32>, %s: tensor<4xf32>, %n: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{expects 'sum_dpre' to have shape 8, got 4 (dimension 0)}}
  %dx = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<8xf32>) batch_grad_sums(%s, %s : tensor<4xf32>, tensor<4xf32>) count(%n : tensor<f32>) activation = elu : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @inplace_abn_grad_sums_bf16(%dy: tensor<4x8xbf16>, %y: tensor<4x8xbf16>, %r: tensor<8xf32>, %s: tensor<8xbf16>, %n: tensor<f32>) -> tensor<4x8xbf16> {
  // expected-error @+1 {{expects 'sum_dpre' to have element type 'f32', got 'bf16'}}
  %dx = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<8xf32>) batch_grad_sums(%s, %s : tensor<8xbf16>, tensor<8xbf16>) count(%n : tensor<f32>) : tensor<4x8xbf16>
  return %dx : tensor<4x8xbf16>
}

// -----

// The generic form can give the sums without the count.
func.func @inplace_abn_grad_sums_without_count(%dy: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<8xf32>, %s: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{expects 'batch_grad_sums' and 'count' together}}
  %dx = "norm.inplace_abn_grad"(%dy, %y, %r, %s, %s) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 1, 0>, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}
