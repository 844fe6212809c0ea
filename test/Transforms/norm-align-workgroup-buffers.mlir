// RUN: norm-opt %s --pass-pipeline='builtin.module(gpu.module(norm-align-workgroup-buffers))' \
// RUN:   | FileCheck %s
// RUN: norm-opt %s --pass-pipeline='builtin.module(gpu.module(norm-align-workgroup-buffers{alignment=64}))' \
// RUN:   | FileCheck %s --check-prefix=A64
// RUN: not norm-opt %s --pass-pipeline='builtin.module(gpu.module(norm-align-workgroup-buffers{alignment=12}))' \
// RUN:   2>&1 | FileCheck %s --check-prefix=BAD

// Every workgroup attribution gets llvm.align = 16 unless it is already at
// least that; private attributions are left alone.
// CHECK-LABEL: gpu.func @kernel(
// CHECK-SAME: workgroup(%{{.*}} : memref<64xbf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64},
// CHECK-SAME: %{{.*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 32 : i64})
// CHECK-SAME: private(%{{.*}} : memref<4xf32, #gpu.address_space<private>>)
// A64: workgroup(%{{.*}} : memref<64xbf16, #gpu.address_space<workgroup>> {llvm.align = 64 : i64},
// A64-SAME: %{{.*}} : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 64 : i64})
// BAD: error: norm-align-workgroup-buffers: alignment must be a power of two, got 12
gpu.module @kernels {
  gpu.func @kernel(%out: memref<16xf32>)
      workgroup(%a : memref<64xbf16, #gpu.address_space<workgroup>>,
                %b : memref<16xf32, #gpu.address_space<workgroup>> {llvm.align = 32 : i64})
      private(%p : memref<4xf32, #gpu.address_space<private>>) kernel {
    gpu.return
  }
}
