// RUN: norm-opt %s --norm-decompose-aggregates --split-input-file --verify-diagnostics \
// RUN:   | FileCheck %s

// Limits of norm-decompose-aggregates: upstream's decompositions assume
// tensors of floating-point elements. On buffers linalg.softmax used to
// decompose into invalid IR, and with integer elements it crashed
// (arith::getIdentityValueAttr casts the type to FloatType). Both are now a
// diagnostic.

func.func @buffers(%x: memref<2x3xf32>, %y: memref<2x3xf32>) {
  // expected-error @+1 {{could not be decomposed: only aggregates on tensors of floating-point elements are supported}}
  linalg.softmax dimension(1) ins(%x : memref<2x3xf32>) outs(%y : memref<2x3xf32>)
  return
}

// -----

func.func @integer(%x: tensor<4xi32>, %y: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{could not be decomposed: only aggregates on tensors of floating-point elements are supported}}
  %r = linalg.softmax dimension(0) ins(%x : tensor<4xi32>) outs(%y : tensor<4xi32>) -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

// Dynamic shapes and f16 are decomposed.
// CHECK-LABEL: func.func @dynamic_f16(
// CHECK-NOT: linalg.softmax
// CHECK: math.exp
func.func @dynamic_f16(%x: tensor<?x?xf16>, %y: tensor<?x?xf16>) -> tensor<?x?xf16> {
  %r = linalg.softmax dimension(0) ins(%x : tensor<?x?xf16>) outs(%y : tensor<?x?xf16>) -> tensor<?x?xf16>
  return %r : tensor<?x?xf16>
}
