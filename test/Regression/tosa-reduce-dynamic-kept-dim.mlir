// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s

// Found by the pass sweep (scripts/pass-sweep.py, variants keeping only
// the second dimension static): a keep-dims TOSA reduction whose reduced
// dimension is typed `?` next to static ones is valid TOSA, but MLIR 22's
// tosa-to-linalg segfaulted on it. norm-lower-to-cpu infers the TOSA
// shapes first (tosa-infer-shapes: the reduced dimension becomes 1), as
// upstream's TOSA pipeline does. Numerics: test_edge_cases.py,
// test_tosa_softmax_with_dynamic_kept_dimension.

// CHECK-LABEL: llvm.func @softmax(
// CHECK: omp.wsloop
// CHECK: llvm.return
func.func @softmax(%x: tensor<?x8x?xf32>) -> tensor<?x8x?xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %max = tosa.reduce_max %x {axis = 2 : i32} : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %d = tosa.sub %x, %max : (tensor<?x8x?xf32>, tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %e = tosa.exp %d : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %s = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %r = tosa.reciprocal %s : (tensor<?x8x?xf32>) -> tensor<?x8x?xf32>
  %y = tosa.mul %e, %r, %shift : (tensor<?x8x?xf32>, tensor<?x8x?xf32>, tensor<1xi8>) -> tensor<?x8x?xf32>
  return %y : tensor<?x8x?xf32>
}
