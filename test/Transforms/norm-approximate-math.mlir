// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-approximate-math))' | FileCheck %s

// erf, tanh and exp become arith/math.fma polynomials: no math op of theirs
// is left, and nothing would lower to a libm call.
// CHECK-LABEL: func.func @activations(
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK: return
func.func @activations(%x: f32) -> (f32, f32, f32) {
  %e = math.erf %x : f32
  %t = math.tanh %x : f32
  %x2 = math.exp %x : f32
  return %e, %t, %x2 : f32, f32, f32
}

// -----

// f32 erf is the clamped rational form x * P(x^2) / Q(x^2): two clamps to
// [-4, 4] written so that NaN passes through (4 < x ? 4 : x), x^2, a degree-6
// numerator and a degree-4 denominator by Horner, one division. No interval
// selects as in upstream's approximation.
// CHECK-LABEL: func.func @erf_rational(
// CHECK-SAME: %[[X:.*]]: vector<16xf32>
// CHECK-DAG: %[[FOUR:.*]] = arith.constant dense<4.000000e+00>
// CHECK-DAG: %[[MFOUR:.*]] = arith.constant dense<-4.000000e+00>
// CHECK: %[[GT:.*]] = arith.cmpf olt, %[[FOUR]], %[[X]]
// CHECK: %[[HI:.*]] = arith.select %[[GT]], %[[FOUR]], %[[X]]
// CHECK: %[[LT:.*]] = arith.cmpf olt, %[[HI]], %[[MFOUR]]
// CHECK: %[[C:.*]] = arith.select %[[LT]], %[[MFOUR]], %[[HI]]
// CHECK: %[[X2:.*]] = arith.mulf %[[C]], %[[C]]
// CHECK-COUNT-6: math.fma %[[X2]]
// CHECK: %[[P:.*]] = arith.mulf %[[C]],
// CHECK-COUNT-4: math.fma %[[X2]]
// CHECK-NOT: arith.select
// CHECK: %[[E:.*]] = arith.divf %[[P]],
// CHECK: return %[[E]]
func.func @erf_rational(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.erf %x : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// f64 erf is left to libm (the approximations are f32 only).
// CHECK-LABEL: func.func @erf_f64(
// CHECK: math.erf %{{.*}} : f64
func.func @erf_f64(%x: f64) -> f64 {
  %e = math.erf %x : f64
  return %e : f64
}

// -----

// bf16 is widened to f32 around the approximation.
// CHECK-LABEL: func.func @bf16(
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK-NOT: math.erf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @bf16(%x: bf16) -> bf16 {
  %e = math.erf %x : bf16
  return %e : bf16
}

// -----

// Other math ops (rsqrt, log, sqrt) are left alone.
// CHECK-LABEL: func.func @others(
// CHECK: math.rsqrt
// CHECK: math.log
// CHECK: math.sqrt
func.func @others(%x: f32) -> f32 {
  %r = math.rsqrt %x : f32
  %l = math.log %r : f32
  %s = math.sqrt %l : f32
  return %s : f32
}
