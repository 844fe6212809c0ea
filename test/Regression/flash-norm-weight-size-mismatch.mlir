// RUN: norm-opt %s --norm-flash-norm=fold-low-precision=true | FileCheck %s

// Found by scripts/pass-sweep.py on the sanitizer build (zero-sized variant
// of norm-flash-norm-limits.mlir): linalg.matmul's verifier does not compare
// static sizes, so W may be [0, 2] while the normalized axis K is 2;
// norm-flash-norm then read the normalization weights past the end of W
// (assertion `idx < size()` in SmallVector with -UNDEBUG). A W whose K extent
// is not the normalized axis' is now left alone.

// CHECK-LABEL: func.func @weight_rows_mismatch(
// CHECK-NOT: rstd(
// CHECK: linalg.matmul
func.func @weight_rows_mismatch(%x: tensor<0x2xf64>, %acc: tensor<0x2xf64>) -> tensor<0x2xf64> {
  %W = arith.constant dense<1.0> : tensor<0x2xf64>
  %zero = arith.constant 0.0 : f64
  %z = linalg.fill ins(%zero : f64) outs(%acc : tensor<0x2xf64>) -> tensor<0x2xf64>
  %n = norm.rms_norm %x axes = [1] : tensor<0x2xf64>
  %y = linalg.matmul ins(%n, %W : tensor<0x2xf64>, tensor<0x2xf64>) outs(%z : tensor<0x2xf64>) -> tensor<0x2xf64>
  return %y : tensor<0x2xf64>
}
