// RUN: norm-opt %s --norm-fuse-residual --split-input-file | FileCheck %s

// The sum feeds only the norm: no residual_sum result.
// CHECK-LABEL: func @single_use
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[R:.*]]: tensor<4x8xf32>
// CHECK-NOT: arith.addf
// CHECK: %[[Y:.*]] = norm.rms_norm %[[X]] residual(%[[R]] : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32>
// CHECK: return %[[Y]]
func.func @single_use(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = arith.addf %x, %r : tensor<4x8xf32>
  %y = norm.rms_norm %s axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Pre-norm residual stream: the sum is used after the norm too.
// CHECK-LABEL: func @residual_stream
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xbf16>, %[[R:.*]]: tensor<2x8xbf16>, %[[W:.*]]: tensor<8xbf16>
// CHECK: %[[Y:.*]], %[[SUM:.*]] = norm.rms_norm %[[X]] weight(%[[W]] : tensor<8xbf16>) residual(%[[R]] : tensor<2x8xbf16>) axes = [1] : tensor<2x8xbf16> residual_sum(tensor<2x8xbf16>)
// CHECK: return %[[Y]], %[[SUM]]
func.func @residual_stream(%x: tensor<2x8xbf16>, %r: tensor<2x8xbf16>, %w: tensor<8xbf16>) -> (tensor<2x8xbf16>, tensor<2x8xbf16>) {
  %s = arith.addf %x, %r : tensor<2x8xbf16>
  %y = norm.rms_norm %s weight(%w : tensor<8xbf16>) axes = [1] : tensor<2x8xbf16>
  return %y, %s : tensor<2x8xbf16>, tensor<2x8xbf16>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// A linalg.generic add whose other use comes before the norm: the fused op
// moves up to the add, its weight being available there.
// CHECK-LABEL: func @generic_add_used_before
// CHECK: %[[Y:.*]], %[[SUM:.*]] = norm.layer_norm %{{.*}} residual(%{{.*}} : tensor<?x8xf32>) axes = [1] : tensor<?x8xf32> residual_sum(tensor<?x8xf32>)
// CHECK: %[[T:.*]] = math.tanh %[[SUM]]
// CHECK: return %[[Y]], %[[T]]
func.func @generic_add_used_before(%x: tensor<?x8xf32>, %r: tensor<?x8xf32>, %w: tensor<8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %s = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %r : tensor<?x8xf32>, tensor<?x8xf32>) outs(%x : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %b, %a : f32
    linalg.yield %v : f32
  } -> tensor<?x8xf32>
  %t = math.tanh %s : tensor<?x8xf32>
  %y = norm.layer_norm %s weight(%w : tensor<8xf32>) axes = [1] : tensor<?x8xf32>
  return %y, %t : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// linalg.add and tosa.add forms, into batch and group norm.
// CHECK-LABEL: func @named_adds
// CHECK: norm.batch_norm_inference %{{.*}} residual(%{{.*}} : tensor<2x4x3x3xf32>)
// CHECK: norm.group_norm %{{.*}} residual(%{{.*}} : tensor<2x4x3x3xf32>) groups = 2
// CHECK-NOT: linalg.add
// CHECK-NOT: tosa.add
func.func @named_adds(%x: tensor<2x4x3x3xf32>, %r: tensor<2x4x3x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) {
  %e = tensor.empty() : tensor<2x4x3x3xf32>
  %s0 = linalg.add ins(%x, %r : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) outs(%e : tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  %y0 = norm.batch_norm_inference %s0 mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) : tensor<2x4x3x3xf32>
  %s1 = tosa.add %x, %r : (tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  %y1 = norm.group_norm %s1 groups = 2 : tensor<2x4x3x3xf32>
  return %y0, %y1 : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// Negative cases: a subtraction; an add of x with itself; a norm that
// already has a residual; inplace_abn has no residual form; the sum is used
// before the norm, whose weight is defined after the sum's other use.
// CHECK-LABEL: func @negative
// CHECK: arith.subf
// CHECK: norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: arith.addf
// CHECK: norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: arith.addf
// CHECK: norm.rms_norm %{{.*}} residual
// CHECK: arith.addf
// CHECK: norm.inplace_abn %{{.*}} mean
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK: norm.layer_norm %{{.*}} weight(%{{.*}} : tensor<8xf32>) axes = [1] : tensor<4x8xf32>
func.func @negative(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %d = arith.subf %x, %r : tensor<4x8xf32>
  %y0 = norm.rms_norm %d axes = [1] : tensor<4x8xf32>
  %xx = arith.addf %x, %x : tensor<4x8xf32>
  %y1 = norm.rms_norm %xx axes = [1] : tensor<4x8xf32>
  %s2 = arith.addf %x, %r : tensor<4x8xf32>
  %y2 = norm.rms_norm %s2 residual(%r : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32>
  %s3 = arith.addf %x, %r : tensor<4x8xf32>
  %y3, %a, %b, %c, %e = norm.inplace_abn %s3 mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) : tensor<4x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  %s4 = arith.addf %x, %r : tensor<4x8xf32>
  %t = math.tanh %s4 : tensor<4x8xf32>
  %w = math.exp %m : tensor<8xf32>
  %y4 = norm.layer_norm %s4 weight(%w : tensor<8xf32>) axes = [1] : tensor<4x8xf32>
  return %y0, %y1, %y2, %y3, %y4, %t : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
