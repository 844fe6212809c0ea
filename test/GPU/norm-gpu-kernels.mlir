// norm-gpu-kernels: the kernel stage of norm-lower-to-nvvm on its own, with
// the chip's limits: thread-block clusters for sm_90a, none for sm_80, and
// the resident mapping's dynamic shared memory and occupancy hint.
//
// RUN: norm-opt %s --norm-gpu-kernels="chip=sm_90a" | FileCheck %s --check-prefix=SM90
// RUN: norm-opt %s --norm-gpu-kernels="chip=sm_80" | FileCheck %s --check-prefix=SM80
// RUN: norm-opt %s --norm-gpu-kernels="chip=sm_90a resident-sets=1" | FileCheck %s --check-prefix=RES

// SM90-LABEL: func.func @group_norm_small_sets(
// SM90: gpu.launch_func async [%{{.*}}] @group_norm_small_sets_kernel::@group_norm_small_sets_kernel clusters in (%c1, %c2, %c1) blocks in (%c256, %c2, %c1)
// SM90: gpu.module @group_norm_small_sets_kernel
// SM90: nvvm.cluster.arrive
// SM90: nvvm.cluster.wait

// SM80-LABEL: func.func @group_norm_small_sets(
// SM80-COUNT-2: gpu.launch_func
// SM80-NOT: clusters in
// SM80-NOT: nvvm.cluster

// RES-LABEL: func.func @group_norm_small_sets(
// 256 sets of 512 vectors: a block of 32 threads x 16 vectors a set, all
// staged (8 KiB); 25 such blocks fit an SM's 228 KiB.
// RES: gpu.launch_func async [%{{.*}}] @group_norm_small_sets_kernel::@group_norm_small_sets_kernel blocks in (%c256, %c1, %c1) threads in (%c32, %c1, %c1) dynamic_shared_memory_size %c8192_i32
// RES-NOT: gpu.launch_func
// RES: gpu.func @group_norm_small_sets_kernel({{.*}}) kernel attributes {{{.*}}nvvm.minctasm = 25
// RES-COUNT-16: nvgpu.device_async_copy
func.func @group_norm_small_sets(%x: memref<16x64x32x32xbf16>,
    %w: memref<64xbf16>, %b: memref<64xbf16>, %y: memref<16x64x32x32xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<16x64x32x32xbf16> to tensor<16x64x32x32xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>)
      groups = 16 activation = silu : tensor<16x64x32x32xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<16x64x32x32xbf16>, memref<16x64x32x32xbf16>) -> ()
  return
}
