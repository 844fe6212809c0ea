// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file | FileCheck %s

// convert-norm-to-linalg has no shape or element-type limit among the inputs
// the verifiers accept: rank-1 inputs normalized over their only axis,
// zero-sized and dynamic dimensions, f64 (accumulated in f64) and bf16
// (accumulated in f32) are all lowered.

// CHECK-LABEL: func.func @rank1_f64(
// CHECK-NOT: f32
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]
// CHECK-SAME: tensor<8xf64>) outs(%{{.*}} : tensor<f64>)
// CHECK: math.rsqrt %{{.*}} : f64
// CHECK-NOT: norm.
func.func @rank1_f64(%x: tensor<8xf64>) -> tensor<8xf64> {
  %y = norm.rms_norm %x axes = [0] : tensor<8xf64>
  return %y : tensor<8xf64>
}

// -----

// CHECK-LABEL: func.func @zero_rows_dynamic_axis(
// CHECK: tensor.dim %{{.*}}, %{{.*}} : tensor<0x?xf32>
// CHECK-NOT: norm.
// CHECK: return %{{.*}} : tensor<0x?xf32>
func.func @zero_rows_dynamic_axis(%x: tensor<0x?xf32>) -> tensor<0x?xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<0x?xf32>
  return %y : tensor<0x?xf32>
}

// -----

// CHECK-LABEL: func.func @zero_axis_bf16(
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT: norm.
// CHECK: return %{{.*}} : tensor<4x0xbf16>
func.func @zero_axis_bf16(%x: tensor<4x0xbf16>) -> tensor<4x0xbf16> {
  %y = norm.layer_norm %x axes = [1] : tensor<4x0xbf16>
  return %y : tensor<4x0xbf16>
}
