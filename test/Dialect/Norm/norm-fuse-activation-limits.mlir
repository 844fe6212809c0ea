// RUN: norm-opt %s --norm-fuse-activation --split-input-file | FileCheck %s

// Limits of norm-fuse-activation (see its description): the IR is left
// untouched.

#map = affine_map<(d0, d1) -> (d0, d1)>

// The activation changes the element type (f32 -> f16): not absorbed.
// CHECK-LABEL: func @dtype_change
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: linalg.generic
// CHECK: arith.truncf
func.func @dtype_change(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf16>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf16>) {
  ^bb0(%a: f32, %o: f16):
    %c0 = arith.constant 0.0 : f32
    %r = arith.maximumf %a, %c0 : f32
    %t = arith.truncf %r : f32 to f16
    linalg.yield %t : f16
  } -> tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// -----

// SiLU written as three tensor ops (x * sigmoid(x)): a chain, not one op.
// CHECK-LABEL: func @chain
// CHECK: norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: math.exp
// CHECK: arith.mulf
func.func @chain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.rms_norm %x axes = [1] : tensor<4x8xf32>
  %one = arith.constant dense<1.0> : tensor<4x8xf32>
  %neg = arith.negf %n : tensor<4x8xf32>
  %ex = math.exp %neg : tensor<4x8xf32>
  %den = arith.addf %one, %ex : tensor<4x8xf32>
  %s = arith.divf %one, %den : tensor<4x8xf32>
  %y = arith.mulf %n, %s : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An elementwise op that is no activation of the dialect (x^2) and one whose
// other operand is not a splat constant: left alone.
// CHECK-LABEL: func @not_an_activation
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: arith.mulf
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: arith.maximumf
func.func @not_an_activation(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %n0 = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %y0 = arith.mulf %n0, %n0 : tensor<4x8xf32>
  %n1 = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %y1 = arith.maximumf %n1, %z : tensor<4x8xf32>
  return %y0, %y1 : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Dynamic shapes and f64 are handled like static f32 (no limit): fused.
// CHECK-LABEL: func @dynamic_f64
// CHECK: norm.layer_norm %{{.*}} axes = [1] activation = tanh : tensor<?x?xf64>
// CHECK-NOT: math.tanh
func.func @dynamic_f64(%x: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %n = norm.layer_norm %x axes = [1] : tensor<?x?xf64>
  %y = math.tanh %n : tensor<?x?xf64>
  return %y : tensor<?x?xf64>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// SiLU that drops to 0 above 100, beyond every sample point: the select's
// branch point (100) is sampled on both sides, so it is not taken for silu.
// CHECK-LABEL: func @threshold_beyond_samples
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: linalg.generic
func.func @threshold_beyond_samples(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c1 = arith.constant 1.0 : f32
    %c100 = arith.constant 100.0 : f32
    %neg = arith.negf %a : f32
    %ex = math.exp %neg : f32
    %den = arith.addf %c1, %ex : f32
    %s = arith.divf %a, %den : f32
    %big = arith.cmpf ogt, %a, %c100 : f32
    %r = arith.select %big, %c0, %s : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// A compare of exp(x): its branch point cannot be located exactly (the
// difference of its sides is not affine in x), so nothing is fused even
// though the payload equals relu at every sample point but one.
// CHECK-LABEL: func @branch_not_located
// CHECK: norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: linalg.generic
func.func @branch_not_located(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.rms_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c1 = arith.constant 1.0000001 : f32
    %ex = math.exp %a : f32
    %gt = arith.cmpf ogt, %ex, %c1 : f32
    %r = arith.select %gt, %a, %c0 : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
