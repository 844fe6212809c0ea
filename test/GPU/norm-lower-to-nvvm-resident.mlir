// REQUIRES: cuda-toolkit, ptxas
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa resident-sets=1" \
// RUN:   | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa resident-sets=1" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=PTX
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa resident-sets=1" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py --ptxas %ptxas --arch sm_90a \
// RUN:   | FileCheck %s --check-prefix=PTXAS

// The resident GroupNorm kernel (resident-sets, sm_90a) through the whole
// pipeline: one launch of 256 blocks of 512 threads with 112 KiB of dynamic
// shared memory, no workspace, no cluster.
// LLVM-LABEL: define void @gn_silu(
// LLVM-NOT: @mgpuMemAlloc
// LLVM: call void @mgpuLaunchKernel(ptr %{{.*}}, i64 256, i64 1, i64 1, i64 512, i64 1, i64 1, i32 114688,
// LLVM-NOT: @mgpuLaunch
// LLVM: call void @mgpuStreamSynchronize(

// The dynamic buffer is an `.extern .shared` array after the static scratch
// (norm-extern-dynamic-shared-memory; demoted to a one-byte static variable
// it would overlap the scratch); 14 cp.async copies into it, a group each,
// 2 vectors loaded into registers, then the sum waits for each copy in
// turn; three passes of 14 shared loads; no cluster barrier, no local
// memory.
// PTX-NOT: .local
// PTX: .extern .shared .align 16 .b8 __dynamic_shmem__{{[0-9]+}}[];
// PTX: .visible .entry gn_silu_kernel(
// PTX: .maxntid 512, 1, 1
// PTX-NEXT: .minnctapersm 2
// PTX: .shared .align 16 .b8 __wg_gn_silu_kernel_{{[0-9]}}[128];
// PTX: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16;
// PTX-NEXT: cp.async.commit_group;
// PTX-COUNT-13: cp.async.cg.shared.global [{{.*}}], [{{.*}}], 16;
// PTX-COUNT-2: ld.global.v4.b32
// PTX: cp.async.wait_group {{[[:space:]]*}}13;
// PTX-NEXT: ld.shared.v4.b32
// PTX: cp.async.wait_group {{[[:space:]]*}}0;
// PTX-NEXT: ld.shared.v4.b32
// PTX: bar.sync
// PTX-COUNT-14: ld.shared.v4.b32
// PTX: rsqrt.approx
// PTX-COUNT-14: ld.shared.v4.b32
// PTX: st.global.v4.b32
// PTX-NOT: barrier.cluster
// PTX-NOT: .local

// Two blocks of 512 threads an SM need at most 64 registers a thread
// (norm-min-blocks-per-sm: .minnctapersm 2); the static shared memory is
// the scratch alone.
// PTXAS: gn_silu_kernel: {{.*}} 0 bytes spill stores, 0 bytes spill loads Used {{([1-5]?[0-9]|6[0-4])}} registers, used 1 barriers, 128 bytes smem
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
