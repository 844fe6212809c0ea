// RUN: norm-opt %s --norm-approximate-functions --split-input-file | FileCheck %s

// f32 math ops and divisions get afn; other flags are kept; additions,
// multiplications and f64 ops are left alone.
// CHECK-LABEL: func.func @silu_f32(
// CHECK: arith.negf %{{.*}} : f32
// CHECK: math.exp %{{.*}} fastmath<afn> : f32
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: arith.divf %{{.*}}, %{{.*}} fastmath<contract,afn> : f32
// CHECK: math.exp %{{.*}} : f64
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
func.func @silu_f32(%x: f32, %d: f64) -> (f32, f64, f64) {
  %one = arith.constant 1.0 : f32
  %n = arith.negf %x : f32
  %e = math.exp %n : f32
  %den = arith.addf %e, %one : f32
  %y = arith.divf %x, %den fastmath<contract> : f32
  %ed = math.exp %d : f64
  %qd = arith.divf %d, %ed : f64
  return %y, %ed, %qd : f32, f64, f64
}

// -----

// Vectors and narrow floats too; integer division is not touched.
// CHECK-LABEL: func.func @vectors(
// CHECK: math.tanh %{{.*}} fastmath<afn> : vector<8xf16>
// CHECK: arith.divf %{{.*}}, %{{.*}} fastmath<afn> : vector<8xbf16>
// CHECK: arith.divsi %{{.*}}, %{{.*}} : i32
func.func @vectors(%a: vector<8xf16>, %b: vector<8xbf16>, %i: i32)
    -> (vector<8xf16>, vector<8xbf16>, i32) {
  %t = math.tanh %a : vector<8xf16>
  %q = arith.divf %b, %b : vector<8xbf16>
  %k = arith.divsi %i, %i : i32
  return %t, %q, %k : vector<8xf16>, vector<8xbf16>, i32
}

// -----

// Inside GPU kernels (how norm-lower-to-nvvm runs it, on the gpu.module).
// CHECK-LABEL: gpu.func @kernel(
// CHECK: math.exp %{{.*}} fastmath<afn> : f32
gpu.module @kernels {
  gpu.func @kernel(%x: f32, %out: memref<f32>) kernel {
    %e = math.exp %x : f32
    memref.store %e, %out[] : memref<f32>
    gpu.return
  }
}
