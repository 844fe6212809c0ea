// The same module compiled four times gives the same output: One-Shot
// Bufferize creates the globals of the constants in an order that depends on
// addresses (2 runs in 5 differed), norm-sort-globals orders them by name.
// RUN: norm-opt %S/../../examples/inference_fusion.mlir --norm-lower-to-cpu > %t.0
// RUN: norm-opt %S/../../examples/inference_fusion.mlir --norm-lower-to-cpu > %t.1
// RUN: norm-opt %S/../../examples/inference_fusion.mlir --norm-lower-to-cpu > %t.2
// RUN: norm-opt %S/../../examples/inference_fusion.mlir --norm-lower-to-cpu > %t.3
// RUN: diff %t.0 %t.1
// RUN: diff %t.0 %t.2
// RUN: diff %t.0 %t.3
// RUN: FileCheck %s < %t.0

// Seven constants, named and ordered by their first use (the 8-channel
// ones: batch norm's mean, var, weight and bias, in that order).
// CHECK-NOT: llvm.mlir.global
// CHECK: llvm.mlir.global private constant @__constant_1x1x32xf32(
// CHECK-NEXT: llvm.mlir.global private constant @__constant_256xf32(
// CHECK-NEXT: llvm.mlir.global private constant @__constant_8x3x3x3xf32(
// CHECK-NEXT: llvm.mlir.global private constant @__constant_8xf32(dense<[1.000000e-01, -2.000000e-01,
// CHECK-NEXT: llvm.mlir.global private constant @__constant_8xf32_0(dense<[1.000000e+00, 5.000000e-01,
// CHECK-NEXT: llvm.mlir.global private constant @__constant_8xf32_1(dense<[1.000000e+00, 0.899999976,
// CHECK-NEXT: llvm.mlir.global private constant @__constant_8xf32_2(dense<[0.000000e+00, 1.000000e-01,
// CHECK-NOT: llvm.mlir.global
