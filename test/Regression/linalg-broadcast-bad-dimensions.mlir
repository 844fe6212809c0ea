// RUN: not norm-opt %s 2>&1 | FileCheck %s --implicit-check-not='Stack dump' --implicit-check-not=PLEASE

// Found by norm-fuzz. Same upstream MLIR 22.1 bug as
// linalg-transpose-bad-permutation.mlir, in linalg::BroadcastOp::parse: a
// malformed `dimensions` array leaves a null attribute that NamedAttrList::set
// dereferences (SEGV; plain mlir-opt crashes too). Expected once fixed
// upstream: the parse error below and exit code 1, no crash.
// XFAIL: *

// CHECK: error: expected ']'
func.func @f(%s: tensor<4x16xf32>, %e: tensor<4x16x16xf32>) -> tensor<4x16x16xf32> {
  %b = linalg.broadcast ins(%s : tensor<4x16xf32>) outs(%e : tensor<4x16x16xf32>) dimensions = [2n]
  return %b : tensor<4x16x16xf32>
}
