// RUN: norm-opt %s -canonicalize -split-input-file | FileCheck %s

// Unused optional results of layer_norm, group_norm and rms_norm are dropped;
// `mean` and `rstd` only together. The op itself (operands, attributes) is
// unchanged.

// CHECK-LABEL: func.func @layer_norm_drop_unused_stats(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x8xf32>)
// CHECK: %[[Y:.*]] = norm.layer_norm %[[X]] axes = [1] epsilon = 1.000000e-03 activation = relu : tensor<4x8xf32>{{$}}
// CHECK: return %[[Y]]
func.func @layer_norm_drop_unused_stats(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y, %mean, %rstd = norm.layer_norm %x axes = [1] epsilon = 1.0e-3 activation = relu : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>)
  return %y : tensor<4x8xf32>
}

// -----

// Only `rstd` is used: the pair stays.
// CHECK-LABEL: func.func @layer_norm_keep_stats_pair_rstd_used(
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[RSTD:.*]] = norm.layer_norm {{.*}} stats(tensor<4x1xf32>, tensor<4x1xf32>)
// CHECK: return %[[Y]], %[[RSTD]]
func.func @layer_norm_keep_stats_pair_rstd_used(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>) {
  %y, %mean, %rstd = norm.layer_norm %x axes = [1] : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>)
  return %y, %rstd : tensor<4x8xf32>, tensor<4x1xf32>
}

// -----

// Only `mean` is used: the pair stays.
// CHECK-LABEL: func.func @layer_norm_keep_stats_pair_mean_used(
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[RSTD:.*]] = norm.layer_norm {{.*}} stats(tensor<4x1xf32>, tensor<4x1xf32>)
// CHECK: return %[[MEAN]]
func.func @layer_norm_keep_stats_pair_mean_used(%x: tensor<4x8xf32>) -> tensor<4x1xf32> {
  %y, %mean, %rstd = norm.layer_norm %x axes = [1] : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>)
  return %mean : tensor<4x1xf32>
}

// -----

// An unused residual sum is dropped; the residual operand stays.
// CHECK-LABEL: func.func @layer_norm_drop_unused_residual_sum(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x8xf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<4x8xf16>)
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[RSTD:.*]] = norm.layer_norm %[[X]] residual(%[[R]] : tensor<4x8xf16>) axes = [1] : tensor<4x8xf16> stats(tensor<4x1xf32>, tensor<4x1xf32>){{$}}
// CHECK: return %[[Y]], %[[MEAN]], %[[RSTD]]
func.func @layer_norm_drop_unused_residual_sum(%x: tensor<4x8xf16>, %r: tensor<4x8xf16>) -> (tensor<4x8xf16>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %y, %mean, %rstd, %sum = norm.layer_norm %x residual(%r : tensor<4x8xf16>) axes = [1] : tensor<4x8xf16> stats(tensor<4x1xf32>, tensor<4x1xf32>) residual_sum(tensor<4x8xf16>)
  return %y, %mean, %rstd : tensor<4x8xf16>, tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// The statistics are dropped, the used residual sum is kept and its uses follow
// it to its new result number. Discardable attributes survive.
// CHECK-LABEL: func.func @layer_norm_drop_stats_keep_residual_sum(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16xbf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x16xbf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<16xbf16>)
// CHECK: %[[Y:.*]], %[[SUM:.*]] = norm.layer_norm %[[X]] weight(%[[W]] : tensor<16xbf16>) residual(%[[R]] : tensor<?x16xbf16>) axes = [1] activation = gelu {my.tag = 7 : i64} : tensor<?x16xbf16> residual_sum(tensor<?x16xbf16>){{$}}
// CHECK: return %[[SUM]], %[[Y]]
func.func @layer_norm_drop_stats_keep_residual_sum(%x: tensor<?x16xbf16>, %r: tensor<?x16xbf16>, %w: tensor<16xbf16>) -> (tensor<?x16xbf16>, tensor<?x16xbf16>) {
  %y, %mean, %rstd, %sum = norm.layer_norm %x weight(%w : tensor<16xbf16>) residual(%r : tensor<?x16xbf16>) axes = [1] activation = gelu {my.tag = 7 : i64} : tensor<?x16xbf16> stats(tensor<?x1xf32>, tensor<?x1xf32>) residual_sum(tensor<?x16xbf16>)
  return %sum, %y : tensor<?x16xbf16>, tensor<?x16xbf16>
}

// -----

// Everything used: nothing changes.
// CHECK-LABEL: func.func @layer_norm_all_used(
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[RSTD:.*]], %[[SUM:.*]] = norm.layer_norm {{.*}} stats(tensor<4x1xf32>, tensor<4x1xf32>) residual_sum(tensor<4x8xf32>)
// CHECK: return %[[Y]], %[[MEAN]], %[[RSTD]], %[[SUM]]
func.func @layer_norm_all_used(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x8xf32>) {
  %y, %mean, %rstd, %sum = norm.layer_norm %x residual(%r : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>) residual_sum(tensor<4x8xf32>)
  return %y, %mean, %rstd, %sum : tensor<4x8xf32>, tensor<4x1xf32>, tensor<4x1xf32>, tensor<4x8xf32>
}

// -----

// Only the statistics are used: the (pure) op stays with its output unused.
// CHECK-LABEL: func.func @layer_norm_output_unused(
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[RSTD:.*]] = norm.layer_norm
// CHECK: return %[[MEAN]], %[[RSTD]]
func.func @layer_norm_output_unused(%x: tensor<4x8xf32>) -> (tensor<4x1xf32>, tensor<4x1xf32>) {
  %y, %mean, %rstd = norm.layer_norm %x axes = [1] : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>)
  return %mean, %rstd : tensor<4x1xf32>, tensor<4x1xf32>
}

// -----

// Nothing used: the op is erased.
// CHECK-LABEL: func.func @layer_norm_dead(
// CHECK-NOT: norm.layer_norm
// CHECK: return
func.func @layer_norm_dead(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) {
  %y, %mean, %rstd, %sum = norm.layer_norm %x residual(%r : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>) residual_sum(tensor<4x8xf32>)
  return
}

// -----

// CHECK-LABEL: func.func @group_norm_drop_unused(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x4x4xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<2x8x4x4xf32>)
// CHECK: %[[Y:.*]] = norm.group_norm %[[X]] residual(%[[R]] : tensor<2x8x4x4xf32>) groups = 4 activation = silu : tensor<2x8x4x4xf32>{{$}}
// CHECK: return %[[Y]]
func.func @group_norm_drop_unused(%x: tensor<2x8x4x4xf32>, %r: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  %y, %mean, %rstd, %sum = norm.group_norm %x residual(%r : tensor<2x8x4x4xf32>) groups = 4 activation = silu : tensor<2x8x4x4xf32> stats(tensor<2x4xf32>, tensor<2x4xf32>) residual_sum(tensor<2x8x4x4xf32>)
  return %y : tensor<2x8x4x4xf32>
}

// -----

// CHECK-LABEL: func.func @group_norm_keep_stats_pair(
// CHECK: %[[Y:.*]], %[[MEAN:.*]], %[[RSTD:.*]] = norm.group_norm {{.*}} stats(tensor<2x4xf32>, tensor<2x4xf32>){{$}}
// CHECK: return %[[Y]], %[[RSTD]]
func.func @group_norm_keep_stats_pair(%x: tensor<2x8x4x4xf32>, %r: tensor<2x8x4x4xf32>) -> (tensor<2x8x4x4xf32>, tensor<2x4xf32>) {
  %y, %mean, %rstd, %sum = norm.group_norm %x residual(%r : tensor<2x8x4x4xf32>) groups = 4 : tensor<2x8x4x4xf32> stats(tensor<2x4xf32>, tensor<2x4xf32>) residual_sum(tensor<2x8x4x4xf32>)
  return %y, %rstd : tensor<2x8x4x4xf32>, tensor<2x4xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_drop_unused_rstd(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x64xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<64xf16>)
// CHECK: %[[Y:.*]] = norm.rms_norm %[[X]] weight(%[[W]] : tensor<64xf16>) axes = [1] weight_offset = 1.000000e+00 : tensor<?x64xf16>{{$}}
// CHECK: return %[[Y]]
func.func @rms_norm_drop_unused_rstd(%x: tensor<?x64xf16>, %w: tensor<64xf16>) -> tensor<?x64xf16> {
  %y, %rstd = norm.rms_norm %x weight(%w : tensor<64xf16>) axes = [1] weight_offset = 1.0 : tensor<?x64xf16> rstd(tensor<?x1xf32>)
  return %y : tensor<?x64xf16>
}

// -----

// CHECK-LABEL: func.func @rms_norm_keep_used_rstd(
// CHECK: %[[Y:.*]], %[[RSTD:.*]] = norm.rms_norm {{.*}} rstd(tensor<?x1xf32>){{$}}
// CHECK: return %[[Y]], %[[RSTD]]
func.func @rms_norm_keep_used_rstd(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x1xf32>) {
  %y, %rstd, %sum = norm.rms_norm %x residual(%r : tensor<?x64xf32>) axes = [1] : tensor<?x64xf32> rstd(tensor<?x1xf32>) residual_sum(tensor<?x64xf32>)
  return %y, %rstd : tensor<?x64xf32>, tensor<?x1xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_drop_rstd_keep_residual_sum(
// CHECK: %[[Y:.*]], %[[SUM:.*]] = norm.rms_norm {{.*}} : tensor<?x64xf32> residual_sum(tensor<?x64xf32>){{$}}
// CHECK: return %[[SUM]], %[[Y]]
func.func @rms_norm_drop_rstd_keep_residual_sum(%x: tensor<?x64xf32>, %r: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>) {
  %y, %rstd, %sum = norm.rms_norm %x residual(%r : tensor<?x64xf32>) axes = [1] : tensor<?x64xf32> rstd(tensor<?x1xf32>) residual_sum(tensor<?x64xf32>)
  return %sum, %y : tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// No optional result: nothing to do.
// CHECK-LABEL: func.func @rms_norm_nothing_to_drop(
// CHECK: %[[Y:.*]] = norm.rms_norm %{{.*}} axes = [1] : tensor<?x64xf32>{{$}}
// CHECK: return %[[Y]]
func.func @rms_norm_nothing_to_drop(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = norm.rms_norm %x axes = [1] : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
