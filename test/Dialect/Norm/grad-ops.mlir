// RUN: norm-opt %s | norm-opt | FileCheck %s --strict-whitespace
// RUN: norm-opt %s --mlir-print-op-generic | norm-opt | FileCheck %s --strict-whitespace
// RUN: norm-opt %s --verify-roundtrip | FileCheck %s --strict-whitespace

// Round trip of the backward ops and the micro-batch statistics ops, with
// their optional operands, results and attributes.

//===----------------------------------------------------------------------===//
// layer_norm_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @layer_norm_grad_minimal(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<8x768xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<8x768xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<8x1xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<8x1xf32>)
// CHECK: = norm.layer_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<8x1xf32>) rstd(%[[R]] : tensor<8x1xf32>) axes = [1] : tensor<8x768xf32>{{$}}
func.func @layer_norm_grad_minimal(%dy: tensor<8x768xf32>, %x: tensor<8x768xf32>, %m: tensor<8x1xf32>, %r: tensor<8x1xf32>) -> tensor<8x768xf32> {
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<8x1xf32>) rstd(%r : tensor<8x1xf32>) axes = [1] : tensor<8x768xf32>
  return %dx : tensor<8x768xf32>
}

// CHECK-LABEL: func.func @layer_norm_grad_full(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<?x4x16xbf16>, %[[X:[a-zA-Z0-9_]+]]: tensor<?x4x16xbf16>, %[[RES:[a-zA-Z0-9_]+]]: tensor<?x4x16xbf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<?x1x1xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x1x1xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<4x16xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<4x16xbf16>, %[[DS:[a-zA-Z0-9_]+]]: tensor<?x4x16xbf16>)
// CHECK: = norm.layer_norm_grad %[[DY]], %[[X]] residual(%[[RES]] : tensor<?x4x16xbf16>) mean(%[[M]] : tensor<?x1x1xf32>) rstd(%[[R]] : tensor<?x1x1xf32>) weight(%[[W]] : tensor<4x16xf32>) bias(%[[B]] : tensor<4x16xbf16>) residual_sum_grad(%[[DS]] : tensor<?x4x16xbf16>) axes = [1, 2] activation = leaky_relu(2.000000e-01) : tensor<?x4x16xbf16> grad_weight(tensor<4x16xf32>) grad_bias(tensor<4x16xbf16>){{$}}
func.func @layer_norm_grad_full(%dy: tensor<?x4x16xbf16>, %x: tensor<?x4x16xbf16>, %res: tensor<?x4x16xbf16>, %m: tensor<?x1x1xf32>, %r: tensor<?x1x1xf32>, %w: tensor<4x16xf32>, %b: tensor<4x16xbf16>, %ds: tensor<?x4x16xbf16>) -> (tensor<?x4x16xbf16>, tensor<4x16xf32>, tensor<4x16xbf16>) {
  %dx, %dw, %db = norm.layer_norm_grad %dy, %x residual(%res : tensor<?x4x16xbf16>) mean(%m : tensor<?x1x1xf32>) rstd(%r : tensor<?x1x1xf32>) weight(%w : tensor<4x16xf32>) bias(%b : tensor<4x16xbf16>) residual_sum_grad(%ds : tensor<?x4x16xbf16>) axes = [1, 2] activation = leaky_relu(0.2) : tensor<?x4x16xbf16> grad_weight(tensor<4x16xf32>) grad_bias(tensor<4x16xbf16>)
  return %dx, %dw, %db : tensor<?x4x16xbf16>, tensor<4x16xf32>, tensor<4x16xbf16>
}

// CHECK-LABEL: func.func @layer_norm_grad_bias_only(
// CHECK: = norm.layer_norm_grad %{{.*}}, %{{.*}} mean(%{{.*}} : tensor<2x1xf64>) rstd(%{{.*}} : tensor<2x1xf64>) axes = [1] : tensor<2x16xf64> grad_bias(tensor<16xf64>){{$}}
func.func @layer_norm_grad_bias_only(%dy: tensor<2x16xf64>, %x: tensor<2x16xf64>, %m: tensor<2x1xf64>, %r: tensor<2x1xf64>) -> (tensor<2x16xf64>, tensor<16xf64>) {
  %dx, %db = norm.layer_norm_grad %dy, %x mean(%m : tensor<2x1xf64>) rstd(%r : tensor<2x1xf64>) axes = [1] : tensor<2x16xf64> grad_bias(tensor<16xf64>)
  return %dx, %db : tensor<2x16xf64>, tensor<16xf64>
}

//===----------------------------------------------------------------------===//
// rms_norm_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm_grad(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<?x4096xf16>, %[[X:[a-zA-Z0-9_]+]]: tensor<?x4096xf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x1xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<4096xf16>)
// CHECK: = norm.rms_norm_grad %[[DY]], %[[X]] rstd(%[[R]] : tensor<?x1xf32>) weight(%[[W]] : tensor<4096xf16>) axes = [1] weight_offset = 1.000000e+00 activation = silu : tensor<?x4096xf16> grad_weight(tensor<4096xf16>){{$}}
func.func @rms_norm_grad(%dy: tensor<?x4096xf16>, %x: tensor<?x4096xf16>, %r: tensor<?x1xf32>, %w: tensor<4096xf16>) -> (tensor<?x4096xf16>, tensor<4096xf16>) {
  %dx, %dw = norm.rms_norm_grad %dy, %x rstd(%r : tensor<?x1xf32>) weight(%w : tensor<4096xf16>) axes = [1] weight_offset = 1.0 activation = silu : tensor<?x4096xf16> grad_weight(tensor<4096xf16>)
  return %dx, %dw : tensor<?x4096xf16>, tensor<4096xf16>
}

// CHECK-LABEL: func.func @rms_norm_grad_residual(
// CHECK: = norm.rms_norm_grad %{{.*}}, %{{.*}} residual(%{{.*}} : tensor<4x8xf32>) rstd(%{{.*}} : tensor<4x1xf32>) residual_sum_grad(%{{.*}} : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32>{{$}}
func.func @rms_norm_grad_residual(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %res: tensor<4x8xf32>, %r: tensor<4x1xf32>, %ds: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %dx = norm.rms_norm_grad %dy, %x residual(%res : tensor<4x8xf32>) rstd(%r : tensor<4x1xf32>) residual_sum_grad(%ds : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// batch_norm_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @batch_norm_grad(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<32x64x7x7xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<32x64x7x7xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK: = norm.batch_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<64xf32>) rstd(%[[R]] : tensor<64xf32>) weight(%[[W]] : tensor<64xf32>) bias(%[[B]] : tensor<64xf32>) activation = relu : tensor<32x64x7x7xf32> grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>){{$}}
func.func @batch_norm_grad(%dy: tensor<32x64x7x7xf32>, %x: tensor<32x64x7x7xf32>, %m: tensor<64xf32>, %r: tensor<64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<32x64x7x7xf32>, tensor<64xf32>, tensor<64xf32>) {
  %dx, %dw, %db = norm.batch_norm_grad %dy, %x mean(%m : tensor<64xf32>) rstd(%r : tensor<64xf32>) weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) feature_axis = 1 activation = relu : tensor<32x64x7x7xf32> grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>)
  return %dx, %dw, %db : tensor<32x64x7x7xf32>, tensor<64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @batch_norm_grad_micro_batch(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<?x3x5xbf16>, %[[X:[a-zA-Z0-9_]+]]: tensor<?x3x5xbf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<5xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<5xf32>, %[[S1:[a-zA-Z0-9_]+]]: tensor<5xf32>, %[[S2:[a-zA-Z0-9_]+]]: tensor<5xf32>, %[[N:[a-zA-Z0-9_]+]]: tensor<f32>)
// CHECK: = norm.batch_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<5xf32>) rstd(%[[R]] : tensor<5xf32>) batch_grad_sums(%[[S1]], %[[S2]] : tensor<5xf32>, tensor<5xf32>) count(%[[N]] : tensor<f32>) feature_axis = 2 : tensor<?x3x5xbf16>{{$}}
func.func @batch_norm_grad_micro_batch(%dy: tensor<?x3x5xbf16>, %x: tensor<?x3x5xbf16>, %m: tensor<5xf32>, %r: tensor<5xf32>, %s1: tensor<5xf32>, %s2: tensor<5xf32>, %n: tensor<f32>) -> tensor<?x3x5xbf16> {
  %dx = norm.batch_norm_grad %dy, %x mean(%m : tensor<5xf32>) rstd(%r : tensor<5xf32>) batch_grad_sums(%s1, %s2 : tensor<5xf32>, tensor<5xf32>) count(%n : tensor<f32>) feature_axis = 2 : tensor<?x3x5xbf16>
  return %dx : tensor<?x3x5xbf16>
}

//===----------------------------------------------------------------------===//
// group_norm_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @group_norm_grad(
// CHECK: = norm.group_norm_grad %{{.*}}, %{{.*}} mean(%{{.*}} : tensor<2x4xf32>) rstd(%{{.*}} : tensor<2x4xf32>) weight(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) groups = 4 channel_axis = 3 activation = gelu : tensor<2x5x5x8xf32> grad_weight(tensor<8xf32>) grad_bias(tensor<8xf32>){{$}}
func.func @group_norm_grad(%dy: tensor<2x5x5x8xf32>, %x: tensor<2x5x5x8xf32>, %m: tensor<2x4xf32>, %r: tensor<2x4xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x5x5x8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %dx, %dw, %db = norm.group_norm_grad %dy, %x mean(%m : tensor<2x4xf32>) rstd(%r : tensor<2x4xf32>) weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>) groups = 4 channel_axis = 3 activation = gelu : tensor<2x5x5x8xf32> grad_weight(tensor<8xf32>) grad_bias(tensor<8xf32>)
  return %dx, %dw, %db : tensor<2x5x5x8xf32>, tensor<8xf32>, tensor<8xf32>
}

//===----------------------------------------------------------------------===//
// inplace_abn_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @inplace_abn_grad(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<8x64x32x32xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<8x64x32x32xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK: = norm.inplace_abn_grad %[[DY]], %[[Y]] rstd(%[[R]] : tensor<64xf32>) weight(%[[W]] : tensor<64xf32>) bias(%[[B]] : tensor<64xf32>) activation = elu : tensor<8x64x32x32xf32> grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>){{$}}
func.func @inplace_abn_grad(%dy: tensor<8x64x32x32xf32>, %y: tensor<8x64x32x32xf32>, %r: tensor<64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>) {
  %dx, %dw, %db = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<64xf32>) weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) activation = elu : tensor<8x64x32x32xf32> grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>)
  return %dx, %dw, %db : tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @inplace_abn_grad_micro_batch(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<2x6x4xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<2x6x4xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<6xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<6xf32>, %[[S1:[a-zA-Z0-9_]+]]: tensor<6xf32>, %[[S2:[a-zA-Z0-9_]+]]: tensor<6xf32>, %[[N:[a-zA-Z0-9_]+]]: tensor<f32>)
// CHECK: = norm.inplace_abn_grad %[[DY]], %[[Y]] rstd(%[[R]] : tensor<6xf32>) weight(%[[W]] : tensor<6xf32>) batch_grad_sums(%[[S1]], %[[S2]] : tensor<6xf32>, tensor<6xf32>) count(%[[N]] : tensor<f32>) activation = leaky_relu(2.000000e-01) : tensor<2x6x4xf32> grad_weight(tensor<6xf32>){{$}}
func.func @inplace_abn_grad_micro_batch(%dy: tensor<2x6x4xf32>, %y: tensor<2x6x4xf32>, %r: tensor<6xf32>, %w: tensor<6xf32>, %s1: tensor<6xf32>, %s2: tensor<6xf32>, %n: tensor<f32>) -> (tensor<2x6x4xf32>, tensor<6xf32>) {
  %dx, %dw = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<6xf32>) weight(%w : tensor<6xf32>) batch_grad_sums(%s1, %s2 : tensor<6xf32>, tensor<6xf32>) count(%n : tensor<f32>) activation = leaky_relu(0.2) : tensor<2x6x4xf32> grad_weight(tensor<6xf32>)
  return %dx, %dw : tensor<2x6x4xf32>, tensor<6xf32>
}

//===----------------------------------------------------------------------===//
// batch_stats, batch_stats_merge
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @batch_stats(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16x4x4xbf16>)
// CHECK: = norm.batch_stats %[[X]] : tensor<?x16x4x4xbf16> -> tensor<f32>, tensor<16xf32>{{$}}
// CHECK: = norm.batch_stats %[[X]] feature_axis = 3 : tensor<?x16x4x4xbf16> -> tensor<f32>, tensor<4xf32>{{$}}
func.func @batch_stats(%x: tensor<?x16x4x4xbf16>) -> (tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<4xf32>) {
  %n, %mean, %m2 = norm.batch_stats %x : tensor<?x16x4x4xbf16> -> tensor<f32>, tensor<16xf32>
  %n2, %mean2, %m22 = norm.batch_stats %x feature_axis = 3 : tensor<?x16x4x4xbf16> -> tensor<f32>, tensor<4xf32>
  return %n, %mean, %m2, %mean2 : tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<4xf32>
}

// CHECK-LABEL: func.func @batch_stats_merge(
// CHECK: = norm.batch_stats_merge %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<16xf32>{{$}}
// CHECK: = norm.batch_stats_merge %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : tensor<f32>, tensor<16xf32> var(tensor<16xf32>){{$}}
func.func @batch_stats_merge(%na: tensor<f32>, %ma: tensor<16xf32>, %qa: tensor<16xf32>, %nb: tensor<f32>, %mb: tensor<16xf32>, %qb: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %n, %m, %q = norm.batch_stats_merge %na, %ma, %qa, %nb, %mb, %qb : tensor<f32>, tensor<16xf32>
  %n2, %m2, %q2, %v = norm.batch_stats_merge %n, %m, %q, %nb, %mb, %qb : tensor<f32>, tensor<16xf32> var(tensor<16xf32>)
  return %m2, %v : tensor<16xf32>, tensor<16xf32>
}
