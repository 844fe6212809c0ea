// REQUIRES: cuda-toolkit
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" | FileCheck %s --check-prefix=HOST
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=PTX
// RUN: norm-opt %s --norm-lower-to-nvvm="chip=sm_80 format=isa index-bitwidth=32" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=SM80
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" | mlir-translate --mlir-to-llvmir \
// RUN:   | FileCheck %s --check-prefix=LLVM
// RUN: not norm-opt %s --norm-lower-to-nvvm="cuda-path=%t.missing" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOCUDA

// Host: only the LLVM dialect, the kernel embedded, launched through mgpu*.
// HOST-NOT: gpu.launch
// HOST-NOT: memref.
// HOST-LABEL: llvm.func @rms_bf16(
// HOST: gpu.launch_func @rms_bf16_kernel::@rms_bf16_kernel
// HOST-LABEL: llvm.func @_mlir_ciface_rms_bf16(
// HOST: gpu.binary @rms_bf16_kernel [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">

// LLVM-DAG: call ptr @mgpuModuleLoadJIT(
// LLVM-DAG: call void @mgpuLaunchKernel(
// LLVM-DAG: define void @_mlir_ciface_rms_bf16(ptr %{{.*}}, ptr %{{.*}}, ptr %{{.*}})

// Kernel: 128-bit global loads/stores, shuffle reductions, libdevice linked
// (no external __nv_ calls), no local memory.
// PTX: .target sm_90a
// PTX-NOT: .local
// PTX-NOT: __nv_
// PTX: .visible .entry rms_bf16_kernel(
// PTX: ld.global.v4.b32
// PTX: shfl.sync.bfly.b32
// PTX: bar.sync
// PTX: rsqrt.approx
// PTX: st.global.v4.b32

// SM80: .target sm_80
// SM80: .visible .entry rms_bf16_kernel(
// SM80: ld.global.v4.b32
// SM80: shfl.sync.bfly.b32
// SM80: st.global.v4.b32

// NOCUDA: error: CUDA toolkit not found: '{{.*}}.missing/nvvm/libdevice/libdevice.10.bc' does not exist; give the toolkit directory (e.g. /usr/local/cuda) with the cuda-path option or in $CUDA_ROOT

func.func @rms_bf16(%x: memref<?x4096xbf16>, %w: memref<4096xbf16>,
    %y: memref<?x4096xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %r = norm.rms_norm %xt weight(%wt : tensor<4096xbf16>) axes = [1] : tensor<?x4096xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  return
}
