// RUN: norm-opt %s --pass-pipeline='builtin.module(gpu.module(norm-extern-dynamic-shared-memory))' \
// RUN:   | FileCheck %s

// The zero-sized shared-memory declaration that gpu.dynamic_shared_memory
// lowers to becomes external; sized shared buffers, zero-sized globals in
// other address spaces and globals with a value keep their linkage.
// CHECK-LABEL: gpu.module @kernels
// CHECK: llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
// CHECK: llvm.mlir.global internal @__wg_kernel_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<32 x f32>
// CHECK: llvm.mlir.global internal @global_zero() {addr_space = 1 : i32} : !llvm.array<0 x i8>
// CHECK: llvm.mlir.global internal @shared_scalar(0 : i32) {addr_space = 3 : i32} : i32
gpu.module @kernels {
  llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
  llvm.mlir.global internal @__wg_kernel_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<32 x f32>
  llvm.mlir.global internal @global_zero() {addr_space = 1 : i32} : !llvm.array<0 x i8>
  llvm.mlir.global internal @shared_scalar(0 : i32) {addr_space = 3 : i32} : i32
}
