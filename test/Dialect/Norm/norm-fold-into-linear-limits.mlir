// RUN: norm-opt %s --norm-fold-into-linear --split-input-file | FileCheck %s

// Limits of norm-fold-into-linear (see its description) not covered by
// norm-fold-into-linear.mlir: nothing is folded.

// The batch norm has a residual.
// CHECK-LABEL: func @residual
// CHECK: linalg.matmul
// CHECK: norm.batch_norm_inference %{{.*}} residual(
func.func @residual(%x: tensor<3x2xf32>, %r: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<2xf32>) var(%m : tensor<2xf32>) residual(%r : tensor<3x2xf32>) : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// Weights in a dense_resource (not a dense elements attribute).
// CHECK-LABEL: func @resource_weights
// CHECK: linalg.matmul
// CHECK: norm.batch_norm_inference
func.func @resource_weights(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x2xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<2xf32>) var(%m : tensor<2xf32>) : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// An image_normalize with a zero std in one channel (the division would be
// by zero).
// CHECK-LABEL: func @zero_std
// CHECK: norm.image_normalize
// CHECK: linalg.conv_2d_nchw_fchw
func.func @zero_std(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x3x3xf32> {
  %w = arith.constant dense<1.0> : tensor<1x2x2x2xf32>
  %m = arith.constant dense<1.0> : tensor<2xf32>
  %s = arith.constant dense<[1.0, 0.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %n = norm.image_normalize %x, %m, %s : tensor<1x2x4x4xf32>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %e = tensor.empty() : tensor<1x1x3x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%n, %w : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>) outs(%acc : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %c : tensor<1x1x3x3xf32>
}

// -----

// A dynamic weight shape.
// CHECK-LABEL: func @dynamic_weights
// CHECK: linalg.matmul
// CHECK: norm.batch_norm_inference
func.func @dynamic_weights(%x: tensor<3x?xf32>, %acc: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w0 = arith.constant dense<1.0> : tensor<2x2xf32>
  %w = tensor.cast %w0 : tensor<2x2xf32> to tensor<?x2xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x?xf32>, tensor<?x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<2xf32>) var(%m : tensor<2xf32>) : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
