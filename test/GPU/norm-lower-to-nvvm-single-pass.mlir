// REQUIRES: cuda-toolkit
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" | mlir-translate --mlir-to-llvmir \
// RUN:   | FileCheck %s --check-prefix=LLVM
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=PTX
// RUN: norm-opt %s --norm-lower-to-nvvm="chip=sm_80 format=isa" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=SM80

// The single-pass GroupNorm kernel through the whole pipeline (sm_90a, the
// default chip, cluster-size 8): one launch in clusters of 1 x 8 blocks, the
// workspace for the blocks' partials; for sm_80 (no clusters) GroupNorm+SiLU
// is two kernels, and only a set of one block takes the single pass.
// LLVM-LABEL: define void @gn_silu(
// LLVM: %[[S:.*]] = call ptr @mgpuStreamCreate()
// LLVM: %[[WS:.*]] = call ptr @mgpuMemAlloc(i64 24576, ptr %[[S]], i8 0)
// LLVM: call void @mgpuLaunchClusterKernel(ptr %{{.*}}, i64 1, i64 8, i64 1, i64 256, i64 8, i64 1, i64 256, i64 1, i64 1, i32 0, ptr %[[S]],
// LLVM-NOT: @mgpuLaunch
// LLVM: call void @mgpuMemFree(ptr %[[WS]], ptr %[[S]])
// LLVM-LABEL: define void @gn_one_block(
// LLVM-NOT: @mgpuMemAlloc
// LLVM: call void @mgpuLaunchKernel(ptr %{{.*}}, i64 16, i64 1, i64 1, i64 64, i64 1, i64 1, i32 0,
// LLVM-NOT: @mgpuLaunch
// LLVM: call void @mgpuStreamSynchronize(

// The staging buffer is 16-byte aligned (norm-align-workgroup-buffers);
// 16-byte cp.async copies bypassing L1, one wait; three passes of 128-bit
// shared loads; the cluster barrier between publishing the partial and
// merging the partials; 128-bit global stores; no local memory.
// PTX-NOT: .local
// PTX: .visible .entry gn_silu_kernel(
// PTX: .shared .align 16 .b8 __wg_gn_silu_kernel_{{[0-9]}}[16384];
// PTX-COUNT-4: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16;
// PTX: cp.async.wait_group 0;
// PTX-COUNT-4: ld.shared.v4.b32
// PTX: bar.sync
// PTX-COUNT-4: ld.shared.v4.b32
// PTX: st.global.b32
// PTX: barrier.cluster.arrive.aligned;
// PTX-NEXT: barrier.cluster.wait.aligned;
// PTX: rsqrt.approx
// PTX-COUNT-4: ld.shared.v4.b32
// PTX: ex2.approx
// PTX: st.global.v4.b32
// PTX: .visible .entry gn_one_block_kernel(
// PTX-NOT: barrier.cluster
// PTX: cp.async.cg.shared.global
// PTX-NOT: barrier.cluster
// PTX-NOT: .local

// SM80: .visible .entry gn_silu_kernel(
// SM80-NOT: cp.async
// SM80: .visible .entry gn_silu_kernel(
// SM80-NOT: barrier.cluster
// SM80: .visible .entry gn_one_block_kernel(
// SM80: cp.async.cg.shared.global
// SM80-NOT: barrier.cluster
func.func @gn_silu(%x: memref<8x512x64x64xbf16>, %w: memref<512xbf16>,
    %b: memref<512xbf16>, %y: memref<8x512x64x64xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x512x64x64xbf16> to tensor<8x512x64x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<512xbf16> to tensor<512xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<512xbf16> to tensor<512xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<512xbf16>) bias(%bt : tensor<512xbf16>)
      groups = 32 activation = silu : tensor<8x512x64x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x512x64x64xbf16>, memref<8x512x64x64xbf16>) -> ()
  return
}

func.func @gn_one_block(%x: memref<2x32x8x8xf32>, %y: memref<2x32x8x8xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<2x32x8x8xf32> to tensor<2x32x8x8xf32>
  %r = norm.group_norm %xt groups = 8 : tensor<2x32x8x8xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x32x8x8xf32>, memref<2x32x8x8xf32>) -> ()
  return
}
