// RUN: not norm-opt %s 2>&1 | FileCheck %s --implicit-check-not='Stack dump' --implicit-check-not=PLEASE

// Found by norm-fuzz. A malformed `permutation` of linalg.transpose crashes
// upstream MLIR 22.1's parser (SEGV in mlir::Attribute::getContext, from
// NamedAttrList::set in linalg::TransposeOp::parse: the failed dense array
// parse leaves a null attribute that is stored anyway). Plain mlir-opt
// crashes too; the bug is in libMLIR, not in norm code. Expected once fixed
// upstream: the parse error below and exit code 1, no crash.
// XFAIL: *

// CHECK: error: expected ']'
func.func @f(%k: tensor<16x32xf32>, %e: tensor<32x16xf32>) -> tensor<32x16xf32> {
  %t = linalg.transpose ins(%k : tensor<16x32xf32>) outs(%e : tensor<32x16xf32>) permutation = [0n]
  return %t : tensor<32x16xf32>
}
