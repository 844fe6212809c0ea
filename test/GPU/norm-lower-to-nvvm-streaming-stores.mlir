// REQUIRES: cuda-toolkit, ptxas
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa cluster-size=0 streaming-stores=1" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa cluster-size=0 streaming-stores=1" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py --ptxas %ptxas --arch sm_90a \
// RUN:   | FileCheck %s --check-prefix=PTXAS
// RUN: norm-opt %s --norm-lower-to-nvvm="chip=sm_80 format=isa streaming-stores=1" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-nvvm="chip=sm_80 format=isa streaming-stores=1" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py --ptxas %ptxas --arch sm_80 \
// RUN:   | FileCheck %s --check-prefix=PTXAS
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa cluster-size=0" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=OFF

// streaming-stores through the whole pipeline: the normalize kernel that
// re-reads x after the statistics kernel stores y evict-first
// (st.global.cs, norm-nvvm-streaming-stores: the output pointer is a kernel
// argument, so global), so that y does not push the x it has yet to read
// out of L2. The statistics kernels' partials are ordinary stores. ptxas
// accepts the inline PTX for sm_90a and sm_80, with no spills.

// GroupNorm(32)+SiLU bf16 [8, 512, 64, 64], two kernels.
// CHECK: .visible .entry gn_silu_kernel(
// CHECK-NOT: st.global.cs
// CHECK: st.global.b32
// CHECK-NOT: st.global.cs
// CHECK: .visible .entry gn_silu_kernel(
// CHECK: cvta.to.global.u64
// CHECK-COUNT-4: ld.global.v4.b32
// CHECK-NOT: st.global.v4.b32
// CHECK-COUNT-4: st.global.cs.v4.b32 [%rd{{[0-9]+}}], {%r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}, %r{{[0-9]+}}};
// CHECK-NOT: st.global.v4.b32
// OFF: .visible .entry gn_silu_kernel(
// OFF: .visible .entry gn_silu_kernel(
// OFF-NOT: st.global.cs
// OFF: st.global.v4.b32
// OFF-NOT: st.global.cs
func.func @gn_silu(%x: memref<8x512x64x64xbf16>, %w: memref<512xbf16>,
    %b: memref<512xbf16>, %y: memref<8x512x64x64xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x512x64x64xbf16> to tensor<8x512x64x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<512xbf16> to tensor<512xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<512xbf16> to tensor<512xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<512xbf16>) bias(%bt : tensor<512xbf16>)
      groups = 32 activation = silu : tensor<8x512x64x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x512x64x64xbf16>, memref<8x512x64x64xbf16>) -> ()
  return
}

// BatchNorm training f32 NHWC [32, 56, 56, 64] (column kernels: statistics,
// finalize, normalize): the normalize kernel's 16-byte stores streamed.
// CHECK: .visible .entry bn_nhwc_kernel(
// CHECK-NOT: st.global.cs
// CHECK: .visible .entry bn_nhwc_kernel(
// CHECK-NOT: st.global.cs
// CHECK: .visible .entry bn_nhwc_kernel(
// CHECK: ld.global.v4.b32
// CHECK-NOT: st.global.v4.b32
// CHECK: st.global.cs.v4.b32
// CHECK-NOT: st.global.v4.b32
// PTXAS: gn_silu_kernel: {{.*}} 0 bytes spill stores, 0 bytes spill loads
// PTXAS: gn_silu_kernel_{{[0-9]+}}: {{.*}} 0 bytes spill stores, 0 bytes spill loads
// PTXAS: bn_nhwc_kernel_{{[0-9]+}}: {{.*}} 0 bytes spill stores, 0 bytes spill loads
func.func @bn_nhwc(%x: memref<32x56x56x64xf32>, %m: memref<64xf32>,
    %v: memref<64xf32>, %y: memref<32x56x56x64xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<32x56x56x64xf32> to tensor<32x56x56x64xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      feature_axis = 3 momentum = 0.1 : tensor<32x56x56x64xf32> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x56x56x64xf32>, memref<32x56x56x64xf32>) -> ()
  return
}
