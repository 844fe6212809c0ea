// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-expand-fpowi))' | FileCheck %s

// Constant exponents: exponentiation by squaring; a negative exponent is one
// division of 1 by x^|n| (so (+0)^-3 = +inf, (-0)^-3 = -inf); 0 gives 1.
// CHECK-LABEL: func.func @constant_exponents(
// CHECK-SAME:    %[[X:[^:]*]]: f32)
// CHECK-DAG:     %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[X2:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK:         %[[X3:.*]] = arith.mulf %[[X]], %[[X2]] : f32
// CHECK:         %[[Y2:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK:         %[[Y3:.*]] = arith.mulf %[[X]], %[[Y2]] : f32
// CHECK:         %[[INV:.*]] = arith.divf %[[ONE]], %[[Y3]] : f32
// CHECK-NOT:     math.fpowi
// CHECK:         return %[[X3]], %[[INV]], %[[ONE]]
func.func @constant_exponents(%x: f32) -> (f32, f32, f32) {
  %c3 = arith.constant 3 : i64
  %cm3 = arith.constant -3 : i32
  %c0 = arith.constant 0 : i32
  %a = math.fpowi %x, %c3 : f32, i64
  %b = math.fpowi %x, %cm3 : f32, i32
  %c = math.fpowi %x, %c0 : f32, i32
  return %a, %b, %c : f32, f32, f32
}

// -----

// Splat exponents of vectors; fast-math flags carried over; the most
// negative i64 exponent (no signed magnitude) squares 63 times.
// CHECK-LABEL: func.func @vectors_and_flags(
// CHECK:         %[[V2:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK:         %[[V4:.*]] = arith.mulf %[[V2]], %[[V2]] : vector<4xf32>
// CHECK:         arith.mulf %{{.*}}, %[[V4]] : vector<4xf32>
// CHECK-COUNT-63: arith.mulf {{.*}} fastmath<fast> : f32
// CHECK:         arith.divf {{.*}} fastmath<fast> : f32
// CHECK-NOT:     math.fpowi
func.func @vectors_and_flags(%v: vector<4xf32>, %x: f32) -> (vector<4xf32>, f32) {
  %s = arith.constant dense<5> : vector<4xi32>
  %d = math.fpowi %v, %s : vector<4xf32>, vector<4xi32>
  %cmin = arith.constant -9223372036854775808 : i64
  %e = math.fpowi %x, %cmin fastmath<fast> : f32, i64
  return %d, %e : vector<4xf32>, f32
}

// -----

// A variable exponent is left (the pipeline's math-expand-ops makes it
// powf).
// CHECK-LABEL: func.func @variable_exponent(
// CHECK:         math.fpowi
func.func @variable_exponent(%x: f32, %n: i32) -> f32 {
  %a = math.fpowi %x, %n : f32, i32
  return %a : f32
}
