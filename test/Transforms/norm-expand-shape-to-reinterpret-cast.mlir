// RUN: norm-opt %s --norm-expand-shape-to-reinterpret-cast | FileCheck %s
// RUN: norm-opt %s --norm-expand-shape-to-reinterpret-cast --expand-strided-metadata | FileCheck %s --check-prefix=LOWERED

// One dimension into two dynamic ones (+ a unit one): the sizes are the
// expansion's, each stride the product of the sizes to its right in the
// group; an identity-layout source has offset 0.
// CHECK-LABEL: func.func @two_dynamic(
// CHECK-SAME: %[[A:[^:]*]]: memref<?xf32>, %[[D0:[^:]*]]: index, %[[D1:[^:]*]]: index)
// CHECK: %[[BASE:.*]], %{{.*}}, %{{.*}}, %{{.*}} = memref.extract_strided_metadata %[[A]]
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[D0]], %[[D1]], 1], strides: [%[[D1]], 1, 1] : memref<f32> to memref<?x?x1xf32>
// CHECK-NOT: memref.expand_shape
// LOWERED-LABEL: func.func @two_dynamic(
// LOWERED-NOT: memref.expand_shape
func.func @two_dynamic(%a: memref<?xf32>, %d0: index, %d1: index) -> memref<?x?x1xf32> {
  %e = memref.expand_shape %a [[0, 1, 2]] output_shape [%d0, %d1, 1] : memref<?xf32> into memref<?x?x1xf32>
  return %e : memref<?x?x1xf32>
}

// Rows of D = 4: the leading stride is S * 4.
// CHECK-LABEL: func.func @rows(
// CHECK-SAME: %[[A:[^:]*]]: memref<?x4xf32>, %[[B:[^:]*]]: index, %[[S:[^:]*]]: index)
// CHECK: %[[STRIDE:.*]] = affine.apply #{{.*}}()[%[[S]]]
// CHECK: memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [%[[B]], %[[S]], 4], strides: [%[[STRIDE]], 4, 1]
func.func @rows(%a: memref<?x4xf32>, %b: index, %s: index) -> memref<?x?x4xf32> {
  %e = memref.expand_shape %a [[0, 1], [2]] output_shape [%b, %s, 4] : memref<?x4xf32> into memref<?x?x4xf32>
  return %e : memref<?x?x4xf32>
}

// A strided source (a column block of a wider buffer): its row stride and
// offset come from the metadata.
// CHECK-LABEL: func.func @strided(
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %{{.*}}:2, %[[STR:.*]]:2 = memref.extract_strided_metadata
// CHECK: %[[STRIDE:.*]] = affine.apply #{{.*}}()[%[[STR]]#0, %{{.*}}]
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [%{{.*}}, %{{.*}}, 4], strides: [%[[STRIDE]], %[[STR]]#0, 1]
func.func @strided(%a: memref<?x16xf32>, %n: index, %b: index, %s: index) -> memref<?x?x4xf32, strided<[?, ?, 1], offset: ?>> {
  %v = memref.subview %a[0, %n] [%b, 4] [1, 1] : memref<?x16xf32> to memref<?x4xf32, strided<[16, 1], offset: ?>>
  %c = memref.cast %v : memref<?x4xf32, strided<[16, 1], offset: ?>> to memref<?x4xf32, strided<[?, 1], offset: ?>>
  %e = memref.expand_shape %c [[0, 1], [2]] output_shape [%b, %s, 4] : memref<?x4xf32, strided<[?, 1], offset: ?>> into memref<?x?x4xf32, strided<[?, ?, 1], offset: ?>>
  return %e : memref<?x?x4xf32, strided<[?, ?, 1], offset: ?>>
}

// At most one dynamic size per group: left to upstream.
// CHECK-LABEL: func.func @one_dynamic(
// CHECK: memref.expand_shape
// CHECK-NOT: memref.reinterpret_cast
func.func @one_dynamic(%a: memref<?x4xf32>, %s: index) -> memref<2x?x4xf32> {
  %e = memref.expand_shape %a [[0, 1], [2]] output_shape [2, %s, 4] : memref<?x4xf32> into memref<2x?x4xf32>
  return %e : memref<2x?x4xf32>
}
