// RUN: norm-opt %s --convert-norm-to-linalg --canonicalize \
// RUN:   --norm-tile-and-fuse-rows=tile-size=1 --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu --split-input-file | FileCheck %s --check-prefix=CPU

// Found by the pass sweep of docs/reliability.md ("Pass limits"): moments
// over a zero-sized axis lower to a reduction with a loop of static size
// zero. norm-tile-and-fuse-rows fused it as a producer into the row tiles,
// and upstream tiling segfaulted in linalg::computeTileSizes (also in
// norm-lower-to-cpu, which runs the pass). Such producers are no longer
// fused and such roots not tiled.

// (The roots here, 3 iterations reading a reduction, are below the size
// that norm-tile-and-fuse-rows tiles; the zero-sized reduction is left as
// it is either way.)
// CHECK-LABEL: func.func @moments_zero_rows(
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}}tensor<0x3xf32>
// CHECK-NOT: scf.forall
// CHECK: return
// CPU-LABEL: llvm.func @moments_zero_rows(
func.func @moments_zero_rows(%x: tensor<0x3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %m, %s = norm.moments %x axes = [0] : tensor<0x3xf32> -> tensor<3xf32>
  return %m, %s : tensor<3xf32>, tensor<3xf32>
}

// -----

// A root with a zero-sized loop is not tiled.
// CHECK-LABEL: func.func @layer_norm_zero_rows(
// CHECK-NOT: scf.forall
// CHECK: return
// CPU-LABEL: llvm.func @layer_norm_zero_rows(
func.func @layer_norm_zero_rows(%x: tensor<0x8xf32>) -> tensor<0x8xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<0x8xf32>
  return %y : tensor<0x8xf32>
}
