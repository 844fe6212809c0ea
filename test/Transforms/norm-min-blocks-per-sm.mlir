// RUN: norm-opt %s --split-input-file --norm-min-blocks-per-sm | FileCheck %s
// RUN: norm-opt %s --split-input-file --norm-min-blocks-per-sm="shared-memory-per-sm=100 threads-per-sm=1536" \
// RUN:   | FileCheck %s --check-prefix=SMALL

// 112 KiB of dynamic shared memory + 128 bytes of scratch + 1 KiB reserved
// a block: 2 blocks of 512 threads in 228 KiB (none fits 100 KiB: left
// alone). The kernel without dynamic shared memory is left alone.
// CHECK-LABEL: gpu.module @kernels
// CHECK: gpu.func @resident({{.*}}) workgroup({{.*}}) kernel attributes {{{.*}}nvvm.minctasm = 2 : i32
// CHECK: gpu.func @plain() kernel
// CHECK-NOT: nvvm.minctasm
// SMALL-NOT: nvvm.minctasm
module attributes {gpu.container_module} {
  func.func @host(%m: memref<16xf32>) {
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    %c512 = arith.constant 512 : index
    %bytes = arith.constant 114688 : i32
    gpu.launch_func @kernels::@resident blocks in (%c256, %c1, %c1)
        threads in (%c512, %c1, %c1) dynamic_shared_memory_size %bytes
        args(%m : memref<16xf32>)
    gpu.launch_func @kernels::@plain blocks in (%c256, %c1, %c1)
        threads in (%c512, %c1, %c1)
    return
  }
  gpu.module @kernels {
    gpu.func @resident(%m: memref<16xf32>)
        workgroup(%scratch : memref<32xf32, #gpu.address_space<workgroup>>) kernel {
      gpu.return
    }
    gpu.func @plain() kernel {
      gpu.return
    }
  }
}

// -----

// Two launches: the smaller occupancy wins (2 blocks of 16 KiB + 1 KiB fit
// 13 times in 228 KiB, but 1024 threads only twice in 2048; 1536 threads:
// once, left alone). A dynamic shared memory size that is not a constant:
// left alone.
// CHECK-LABEL: gpu.module @kernels
// CHECK: gpu.func @two_launches() kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK: gpu.func @dynamic_size() kernel {
// SMALL-LABEL: gpu.module @kernels
// SMALL-NOT: nvvm.minctasm
module attributes {gpu.container_module} {
  func.func @host(%bytes_arg: i32) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %c1024 = arith.constant 1024 : index
    %bytes = arith.constant 16384 : i32
    gpu.launch_func @kernels::@two_launches blocks in (%c1, %c1, %c1)
        threads in (%c64, %c1, %c1) dynamic_shared_memory_size %bytes
    gpu.launch_func @kernels::@two_launches blocks in (%c1, %c1, %c1)
        threads in (%c1024, %c1, %c1) dynamic_shared_memory_size %bytes
    gpu.launch_func @kernels::@dynamic_size blocks in (%c1, %c1, %c1)
        threads in (%c64, %c1, %c1) dynamic_shared_memory_size %bytes_arg
    return
  }
  gpu.module @kernels {
    gpu.func @two_launches() kernel {
      gpu.return
    }
    gpu.func @dynamic_size() kernel {
      gpu.return
    }
  }
}
