// RUN: norm-opt %s --norm-fuse-residual --split-input-file | FileCheck %s

// Limits of norm-fuse-residual (see its description) not covered by
// norm-fuse-residual.mlir: the IR is left untouched.

// A broadcasting tosa.add (the residual is [1, 8], the input [4, 8]): both
// addends must have the normalization's input type.
// CHECK-LABEL: func @broadcast_add
// CHECK: tosa.add
// CHECK: norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xf32>
func.func @broadcast_add(%x: tensor<4x8xf32>, %r: tensor<1x8xf32>) -> tensor<4x8xf32> {
  %s = tosa.add %x, %r : (tensor<4x8xf32>, tensor<1x8xf32>) -> tensor<4x8xf32>
  %y = norm.rms_norm %s axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Dynamic shapes and f16 are no limit: fused.
// CHECK-LABEL: func @dynamic_f16
// CHECK-NOT: arith.addf
// CHECK: norm.rms_norm %{{.*}} residual(%{{.*}} : tensor<?x?xf16>) axes = [1] : tensor<?x?xf16>
func.func @dynamic_f16(%x: tensor<?x?xf16>, %r: tensor<?x?xf16>) -> tensor<?x?xf16> {
  %s = arith.addf %x, %r : tensor<?x?xf16>
  %y = norm.rms_norm %s axes = [1] : tensor<?x?xf16>
  return %y : tensor<?x?xf16>
}
