// REQUIRES: cuda-toolkit
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" | FileCheck %s

// Host code around the kernels may expand a buffer into two dynamic sizes
// (rows [? * ?, D] of a norm back to [?, ?, D]). Upstream
// expand-strided-metadata crashed on it (found by scripts/pass-sweep.py);
// the pipeline makes it a reinterpret_cast first, as norm-lower-to-cpu does.
// CHECK-LABEL: llvm.func @two_dynamic(
// CHECK: llvm.insertvalue
// CHECK: llvm.return
func.func @two_dynamic(%a: memref<?x4xf32>, %b: index, %s: index) -> memref<?x?x4xf32> {
  %e = memref.expand_shape %a [[0, 1], [2]] output_shape [%b, %s, 4] : memref<?x4xf32> into memref<?x?x4xf32>
  return %e : memref<?x?x4xf32>
}
