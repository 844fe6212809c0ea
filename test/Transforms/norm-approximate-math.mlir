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
