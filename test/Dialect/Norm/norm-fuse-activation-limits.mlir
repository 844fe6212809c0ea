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

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// ReLU clamped at 35, the 35 hidden behind an abs: x + |x - 20| > 50
// <=> x > 35 (abs has a branch point at 20, so the compare's is found).
// CHECK-LABEL: func @hidden_abs
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @hidden_abs(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c20 = arith.constant 20.0 : f32
    %c35 = arith.constant 35.0 : f32
    %c50 = arith.constant 50.0 : f32
    %r = arith.maximumf %a, %c0 : f32
    %s = arith.subf %a, %c20 : f32
    %ab = math.absf %s : f32
    %d = arith.addf %a, %ab : f32
    %big = arith.cmpf ogt, %d, %c50 : f32
    %v = arith.select %big, %c35, %r : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// ReLU6 that is 0 on (12.5, 13.5), between all sample points: the
// branch points 12.5 and 13.5 are found through the abs.
// CHECK-LABEL: func @hole
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @hole(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c6 = arith.constant 6.0 : f32
    %c12 = arith.constant 12.0 : f32
    %c13 = arith.constant 13.0 : f32
    %c15 = arith.constant 15.0 : f32
    %r = arith.maximumf %a, %c0 : f32
    %r6 = arith.minimumf %r, %c6 : f32
    %s = arith.subf %a, %c12 : f32
    %ab = math.absf %s : f32
    %d = arith.addf %a, %ab : f32
    %lo = arith.cmpf ogt, %d, %c13 : f32
    %hi = arith.cmpf olt, %d, %c15 : f32
    %in = arith.select %hi, %c0, %r6 : f32
    %v = arith.select %lo, %in, %r6 : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// relu + 0 * sqrt(31 - x): NaN beyond 31 (checked at +-100).
// CHECK-LABEL: func @sqrt_domain
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @sqrt_domain(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c31 = arith.constant 31.0 : f32
    %r = arith.maximumf %a, %c0 : f32
    %s = arith.subf %c31, %a : f32
    %q = math.sqrt %s : f32
    %z = arith.mulf %q, %c0 : f32
    %v = arith.addf %r, %z : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// A NaN guard, select(isnan(x), 0, relu6(x)) (torch.nan_to_num): the
// fused activations propagate NaN, so an isnan test is never one of them.
// CHECK-LABEL: func @nan_to_zero
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @nan_to_zero(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c6 = arith.constant 6.0 : f32
    %isnan = arith.cmpf uno, %a, %a : f32
    %r = arith.maximumf %a, %c0 : f32
    %r6 = arith.minimumf %r, %c6 : f32
    %v = arith.select %isnan, %c0, %r6 : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// ReLU6 with maxnumf/minnumf, which drop NaN (torch.fmax): not relu6.
// CHECK-LABEL: func @maxnum
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @maxnum(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c6 = arith.constant 6.0 : f32
    %r = arith.maxnumf %a, %c0 : f32
    %r6 = arith.minnumf %r, %c6 : f32
    linalg.yield %r6 : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// silu set to 0 where |x| > 1e30: the branch point is exact, however
// large the constant.
// CHECK-LABEL: func @guard
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @guard(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c1 = arith.constant 1.0 : f32
    %big = arith.constant 1.0e30 : f32
    %neg = arith.negf %a : f32
    %ex = math.exp %neg : f32
    %den = arith.addf %c1, %ex : f32
    %s = arith.divf %a, %den : f32
    %ab = math.absf %a : f32
    %g = arith.cmpf ogt, %ab, %big : f32
    %v = arith.select %g, %c0, %s : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// relu6 + 0.001 * ((x - 12) (x - 20))^4 on (12, 20): equal to relu6 near
// both branch points, 71.5 at 16 (segments are sampled inside too).
// CHECK-LABEL: func @bump
// CHECK-NOT: activation =
// CHECK: linalg.generic
func.func @bump(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0.0 : f32
    %c6 = arith.constant 6.0 : f32
    %c12 = arith.constant 12.0 : f32
    %c20 = arith.constant 20.0 : f32
    %k = arith.constant 0.001 : f32
    %r = arith.maximumf %a, %c0 : f32
    %r6 = arith.minimumf %r, %c6 : f32
    %p = arith.subf %a, %c12 : f32
    %q = arith.subf %a, %c20 : f32
    %pq = arith.mulf %p, %q : f32
    %s2 = arith.mulf %pq, %pq : f32
    %s4 = arith.mulf %s2, %s2 : f32
    %b = arith.mulf %s4, %k : f32
    %bumped = arith.addf %r6, %b : f32
    %gt = arith.cmpf ogt, %a, %c12 : f32
    %lt = arith.cmpf olt, %a, %c20 : f32
    %in = arith.select %lt, %bumped, %r6 : f32
    %v = arith.select %gt, %in, %r6 : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>

// CLIP's quick GELU, x * sigmoid(1.702 x), on bf16: 0.02 from GELU and
// further from SiLU, beyond bf16's tolerance: not absorbed.
// CHECK-LABEL: func @quick_gelu_bf16
// CHECK: %[[N:.*]] = norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xbf16>
// CHECK: linalg.generic {{.*}} ins(%[[N]]
func.func @quick_gelu_bf16(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %n = norm.rms_norm %x axes = [1] : tensor<4x8xbf16>
  %e = tensor.empty() : tensor<4x8xbf16>
  %y = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%n : tensor<4x8xbf16>) outs(%e : tensor<4x8xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %k = arith.constant 1.703130e+00 : bf16
    %one = arith.constant 1.000000e+00 : bf16
    %ka = arith.mulf %a, %k : bf16
    %nk = arith.negf %ka : bf16
    %ex = math.exp %nk : bf16
    %d = arith.addf %ex, %one : bf16
    %r = arith.divf %a, %d : bf16
    linalg.yield %r : bf16
  } -> tensor<4x8xbf16>
  return %y : tensor<4x8xbf16>
}
