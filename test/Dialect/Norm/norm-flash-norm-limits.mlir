// RUN: norm-opt %s --norm-flash-norm --split-input-file | FileCheck %s

// Limits of norm-flash-norm (see its description) not covered by
// norm-flash-norm.mlir: nothing is rewritten.

// The normalized axis has a dynamic size (W is [K, N] with static K, but
// the norm's K is not static).
// CHECK-LABEL: func @dynamic_k
// CHECK-NOT: rstd(
// CHECK: linalg.matmul
func.func @dynamic_k(%x: tensor<4x?xf32>, %W: tensor<?x2xf32>, %acc: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %n = norm.rms_norm %x axes = [1] : tensor<4x?xf32>
  %y = linalg.matmul ins(%n, %W : tensor<4x?xf32>, tensor<?x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// The normalized value is the matmul's right operand.
// CHECK-LABEL: func @right_operand
// CHECK-NOT: rstd(
// CHECK: linalg.matmul
func.func @right_operand(%x: tensor<2x2xf32>, %acc: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %A = arith.constant dense<1.0> : tensor<2x2xf32>
  %n = norm.rms_norm %x axes = [1] : tensor<2x2xf32>
  %y = linalg.matmul ins(%A, %n : tensor<2x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// Normalized over both axes (not only the matmul's K).
// CHECK-LABEL: func @both_axes
// CHECK-NOT: rstd(
// CHECK: linalg.matmul
func.func @both_axes(%x: tensor<2x2xf32>, %acc: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %W = arith.constant dense<1.0> : tensor<2x2xf32>
  %n = norm.rms_norm %x axes = [0, 1] : tensor<2x2xf32>
  %y = linalg.matmul ins(%n, %W : tensor<2x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// f64 is no limit: rewritten.
// CHECK-LABEL: func @f64
// CHECK: norm.rms_norm {{.*}} rstd(tensor<4x1xf64>)
func.func @f64(%x: tensor<4x2xf64>, %acc: tensor<4x2xf64>) -> tensor<4x2xf64> {
  %W = arith.constant dense<1.0> : tensor<2x2xf64>
  %zero = arith.constant 0.0 : f64
  %z = linalg.fill ins(%zero : f64) outs(%acc : tensor<4x2xf64>) -> tensor<4x2xf64>
  %n = norm.rms_norm %x axes = [1] : tensor<4x2xf64>
  %y = linalg.matmul ins(%n, %W : tensor<4x2xf64>, tensor<2x2xf64>) outs(%z : tensor<4x2xf64>) -> tensor<4x2xf64>
  return %y : tensor<4x2xf64>
}
