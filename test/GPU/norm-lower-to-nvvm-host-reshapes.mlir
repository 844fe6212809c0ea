// REQUIRES: cuda-toolkit
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" | FileCheck %s

// Host code around the kernels may expand a buffer into two dynamic sizes
// (rows [? * ?, D] of a norm back to [?, ?, D]). Upstream
// expand-strided-metadata crashed on it (found by scripts/pass-sweep.py);
// the pipeline makes it a reinterpret_cast first, as norm-lower-to-cpu does.
// The result: sizes [b, s, 4], strides [s * 4, 4, 1], offset 0.
// CHECK-LABEL: llvm.func @two_dynamic(
// CHECK-SAME: %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: !llvm.ptr, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %{{[^:]*}}: i64, %[[B:[^:]*]]: i64, %[[S:[^:]*]]: i64)
// CHECK-DAG: %[[FOUR:.*]] = llvm.mlir.constant(4 : index) : i64
// CHECK-DAG: %[[ONE:.*]] = llvm.mlir.constant(1 : index) : i64
// CHECK: %[[ROW:.*]] = llvm.mul %[[S]], %[[FOUR]]
// CHECK: llvm.insertvalue %[[B]], %{{.*}}[3, 0]
// CHECK: llvm.insertvalue %[[ROW]], %{{.*}}[4, 0]
// CHECK: llvm.insertvalue %[[S]], %{{.*}}[3, 1]
// CHECK: llvm.insertvalue %[[FOUR]], %{{.*}}[4, 1]
// CHECK: llvm.insertvalue %[[FOUR]], %{{.*}}[3, 2]
// CHECK: llvm.insertvalue %[[ONE]], %{{.*}}[4, 2]
// CHECK: llvm.return
func.func @two_dynamic(%a: memref<?x4xf32>, %b: index, %s: index) -> memref<?x?x4xf32> {
  %e = memref.expand_shape %a [[0, 1], [2]] output_shape [%b, %s, 4] : memref<?x4xf32> into memref<?x?x4xf32>
  return %e : memref<?x?x4xf32>
}
