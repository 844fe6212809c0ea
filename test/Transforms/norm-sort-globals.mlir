// RUN: norm-opt %s --split-input-file --norm-sort-globals | FileCheck %s

// Bufferization's constant globals are named in the order of their first
// use (functions in input order): @first's 2xf32 constant, created second
// (`_0`), becomes `__constant_2xf32`; a scalar's is `__constant_xf32`, as
// bufferization names it. All globals move to the start of the
// module, by name; the functions keep their order.
// CHECK-LABEL: module {
// CHECK-NEXT: memref.global "private" constant @__constant_256xf32 : memref<256xf32> = dense<1.500000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<3.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<2.000000e+00>
// CHECK-NEXT: memref.global "private" @__constant_2xf32_unused : memref<2xf32>
// CHECK-NEXT: memref.global "private" constant @__constant_xf32 : memref<f32> = dense<4.000000e+00>
// CHECK-NEXT: func.func @first()
// CHECK: memref.get_global @__constant_2xf32 : memref<2xf32>
// CHECK: memref.get_global @__constant_256xf32 : memref<256xf32>
// CHECK: func.func @second()
// CHECK: memref.get_global @__constant_2xf32_0 : memref<2xf32>
// CHECK: memref.get_global @__constant_xf32 : memref<f32>
// CHECK-NOT: memref.global
module {
  memref.global "private" constant @__constant_256xf32 : memref<256xf32> = dense<1.500000e+00> {alignment = 64 : i64}
  memref.global "private" @__constant_2xf32_unused : memref<2xf32>
  func.func @first() -> (memref<2xf32>, memref<256xf32>) {
    %0 = memref.get_global @__constant_2xf32_0 : memref<2xf32>
    %1 = memref.get_global @__constant_256xf32 : memref<256xf32>
    return %0, %1 : memref<2xf32>, memref<256xf32>
  }
  memref.global "private" constant @__constant_2xf32 : memref<2xf32> = dense<2.000000e+00> {alignment = 64 : i64}
  func.func @second() -> (memref<2xf32>, memref<f32>) {
    %0 = memref.get_global @__constant_2xf32 : memref<2xf32>
    %1 = memref.get_global @__constant_xf32_3 : memref<f32>
    return %0, %1 : memref<2xf32>, memref<f32>
  }
  memref.global "private" constant @__constant_xf32_3 : memref<f32> = dense<4.000000e+00>
  memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<3.000000e+00> {alignment = 64 : i64}
}

// -----

// A public global of a constant's name keeps it; the constants take the next
// free names, in the order of their first use.
// CHECK-LABEL: module {
// CHECK-NEXT: memref.global @__constant_4xf32 : memref<4xf32>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense<5.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_1 : memref<4xf32> = dense<1.000000e+00>
// CHECK: memref.get_global @__constant_4xf32_0
// CHECK: memref.get_global @__constant_4xf32_1
// CHECK: memref.get_global @__constant_4xf32 :
module {
  memref.global @__constant_4xf32 : memref<4xf32>
  memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense<1.000000e+00>
  func.func @f() -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
    %0 = memref.get_global @__constant_4xf32_7 : memref<4xf32>
    %1 = memref.get_global @__constant_4xf32_0 : memref<4xf32>
    %2 = memref.get_global @__constant_4xf32 : memref<4xf32>
    return %0, %1, %2 : memref<4xf32>, memref<4xf32>, memref<4xf32>
  }
  memref.global "private" constant @__constant_4xf32_7 : memref<4xf32> = dense<5.000000e+00>
}
