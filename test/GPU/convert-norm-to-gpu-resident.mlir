// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8 resident-sets=1" \
// RUN:   --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8 resident-sets=1 shared-memory-per-sm=164" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=SM80
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8 resident-sets=1 num-sms=108 shared-memory-per-sm=164" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=FEW
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8 resident-sets=1 stage-in-shared=0" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=REGS
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=OFF

// Resident sets: with at least num-sms (132) sets, one block a set when
// ceil(S / num-sms) blocks fit an SM at once, so the whole grid is one wave.
// Each thread copies what the block's share of the SM's shared memory holds
// into dynamic shared memory (cp.async, a group a copy) and keeps its other
// vectors in registers.

// GroupNorm(32)+SiLU bf16 [8, 512, 64, 64]: 256 sets of 8192 vectors ->
// 256 blocks of 512 threads x 16 vectors, 2 blocks an SM. Of 228 KiB a
// block gets 114 KiB less 1 KiB reserved and the 128-byte scratch: 14
// vectors a thread (112 KiB) staged, 2 in registers (16 f32 values on top
// of 40 base registers, of the 64 a thread). No cluster, no workspace.
// CHECK-LABEL: func.func @gn_silu(
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch async
// CHECK-NOT: clusters(
// CHECK-SAME: blocks({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c1{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c512
// CHECK-SAME: dynamic_shared_memory_size %c114688_i32
// CHECK-SAME: workgroup({{.*}} : memref<32xf32, #gpu.address_space<workgroup>>)
// CHECK: %[[DYN:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: %[[STAGE:.*]] = memref.view %[[DYN]][%{{.*}}][] : memref<?xi8, #gpu.address_space<workgroup>> to memref<57344xbf16, #gpu.address_space<workgroup>>
// CHECK: nvgpu.device_async_copy
// CHECK-NEXT: nvgpu.device_async_create_group
// CHECK-COUNT-13: nvgpu.device_async_copy {{.*}}, %[[STAGE]][{{.*}}], 8 {bypassL1}
// CHECK-COUNT-2: vector.load {{.*}} : memref<16777216xbf16>, vector<8xbf16>
// The sum starts with the first copy landed, while the others fly.
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 13 : i32}
// CHECK-NEXT: vector.load %[[STAGE]]
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 12 : i32}
// CHECK-NEXT: vector.load %[[STAGE]]
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 0 : i32}
// CHECK-NEXT: vector.load %[[STAGE]]
// CHECK: gpu.barrier
// CHECK-COUNT-14: vector.load %[[STAGE]]
// CHECK: gpu.barrier
// CHECK-NOT: nvvm.cluster
// CHECK: math.rsqrt
// CHECK-COUNT-14: vector.load %[[STAGE]]
// CHECK-COUNT-16: vector.store
// CHECK-NOT: gpu.launch
// CHECK-NOT: gpu.dealloc
// CHECK: gpu.wait
//
// sm_80's 164 KiB: 10 vectors staged (80 KiB), 6 left for registers, 48
// f32 values on top of the 40 base registers: more than 64, so not
// resident (ptxas had 73 registers for it: one block an SM).
// SM80-LABEL: func.func @gn_silu(
// SM80-NOT: dynamic_shared_memory
// SM80: gpu.launch async {{.*}} clusters(
//
// 108 SMs of 164 KiB: 3 blocks an SM leave 42 registers and 53 KiB a
// block, too little for 16 vectors: the mapping without the option (here
// two kernels).
// FEW-LABEL: func.func @gn_silu(
// FEW-NOT: dynamic_shared_memory
// FEW: gpu.launch async
// FEW-NOT: dynamic_shared_memory
// FEW: gpu.launch async
// FEW-NOT: dynamic_shared_memory
//
// Without staging, 16 vectors a thread are 64 registers: not resident.
// REGS-LABEL: func.func @gn_silu(
// REGS-NOT: dynamic_shared_memory_size
// REGS: gpu.launch async {{.*}} clusters(
//
// OFF-LABEL: func.func @gn_silu(
// OFF-NOT: dynamic_shared_memory
// OFF: gpu.launch async {{.*}} clusters(
func.func @gn_silu(%x: memref<8x512x64x64xbf16>, %w: memref<512xbf16>,
    %b: memref<512xbf16>, %y: memref<8x512x64x64xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x512x64x64xbf16> to tensor<8x512x64x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<512xbf16> to tensor<512xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<512xbf16> to tensor<512xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<512xbf16>) bias(%bt : tensor<512xbf16>)
      groups = 32 activation = silu : tensor<8x512x64x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x512x64x64xbf16>, memref<8x512x64x64xbf16>) -> ()
  return
}

// -----

// BatchNorm training f32 [4, 256, 32, 32]: 256 channels of 4 runs of 256
// vectors -> blocks of 64 threads x 16 vectors, all staged (16 KiB); thread
// 0 of each block writes its channel's running statistics.
// CHECK-LABEL: func.func @bn_training(
// CHECK: gpu.launch async {{.*}} threads({{.*}}) in ({{.*}} = %c64{{.*}}) dynamic_shared_memory_size %c16384_i32
// CHECK-COUNT-16: nvgpu.device_async_copy {{.*}}, 4 {bypassL1}
// CHECK-NOT: vector.load {{.*}} : memref<1048576xf32>
// CHECK: nvgpu.device_async_wait
// CHECK: scf.if
// CHECK: memref.store
// CHECK-COUNT-16: vector.store
// With 108 SMs: 3 blocks of 64 threads an SM, still resident.
// FEW-LABEL: func.func @bn_training(
// FEW: dynamic_shared_memory_size %c16384_i32
// OFF-LABEL: func.func @bn_training(
// OFF-NOT: dynamic_shared_memory
func.func @bn_training(%x: memref<4x256x32x32xf32>, %m: memref<256xf32>,
    %v: memref<256xf32>, %y: memref<4x256x32x32xf32>, %nm: memref<256xf32>,
    %nv: memref<256xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x256x32x32xf32> to tensor<4x256x32x32xf32>
  %mt = bufferization.to_tensor %m restrict : memref<256xf32> to tensor<256xf32>
  %vt = bufferization.to_tensor %v restrict : memref<256xf32> to tensor<256xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<256xf32>) var(%vt : tensor<256xf32>)
      momentum = 0.1 : tensor<4x256x32x32xf32> stats(tensor<256xf32>, tensor<256xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<4x256x32x32xf32>, memref<4x256x32x32xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<256xf32>, memref<256xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<256xf32>, memref<256xf32>) -> ()
  return
}

// -----

// 64 sets, fewer than the 132 SMs: the cluster mapping spreads them wider.
// CHECK-LABEL: func.func @gn_few_sets(
// CHECK-NOT: dynamic_shared_memory
// CHECK: gpu.launch async {{.*}} clusters(
func.func @gn_few_sets(%x: memref<2x64x64x64xf32>, %w: memref<64xf32>,
    %b: memref<64xf32>, %y: memref<2x64x64x64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x64x64x64xf32> to tensor<2x64x64x64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %bt = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r = norm.group_norm %xt weight(%wt : tensor<64xf32>) bias(%bt : tensor<64xf32>)
      groups = 32 : tensor<2x64x64x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x64x64x64xf32>, memref<2x64x64x64xf32>) -> ()
  return
}

// -----

// GroupNorm(32) NHWC bf16 [8, 32, 32, 512]: 256 sets of 1024 positions x 16
// channels (2 vectors of 8 a position) -> 128 threads x 16 vectors, all
// staged. A thread's vectors are 128 apart, so they all have the channels
// of its first: 8 weights and 8 biases read once, not once a vector.
// CHECK-LABEL: func.func @gn_nhwc(
// CHECK: gpu.launch async {{.*}} threads({{.*}}) in ({{.*}} = %c128{{.*}}) dynamic_shared_memory_size %c32768_i32
// CHECK-COUNT-16: nvgpu.device_async_copy
// CHECK: math.rsqrt
// CHECK-COUNT-16: memref.load %{{.*}} : memref<512xbf16>
// CHECK: vector.store
// CHECK-NOT: memref.load %{{.*}} : memref<512xbf16>
// CHECK-COUNT-15: vector.store
// CHECK-NOT: memref.load %{{.*}} : memref<512xbf16>
// CHECK: gpu.terminator
func.func @gn_nhwc(%x: memref<8x32x32x512xbf16>, %w: memref<512xbf16>,
    %b: memref<512xbf16>, %y: memref<8x32x32x512xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x32x32x512xbf16> to tensor<8x32x32x512xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<512xbf16> to tensor<512xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<512xbf16> to tensor<512xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<512xbf16>) bias(%bt : tensor<512xbf16>)
      groups = 32 channel_axis = 3 activation = silu : tensor<8x32x32x512xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x32x32x512xbf16>, memref<8x32x32x512xbf16>) -> ()
  return
}

// -----

// NHWC bf16 [8, 64, 64, 512], 32 groups: 256 sets of 4096 positions x 2
// vectors -> 512 threads x 16 vectors; 14 staged, and the 2 others would
// need 16 registers besides 40 + 16 for the per-element scales and shifts:
// more than 64, so not resident.
// CHECK-LABEL: func.func @gn_nhwc_large(
// CHECK-NOT: dynamic_shared_memory
// CHECK: gpu.launch async {{.*}} clusters(
func.func @gn_nhwc_large(%x: memref<8x64x64x512xbf16>, %y: memref<8x64x64x512xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x64x64x512xbf16> to tensor<8x64x64x512xbf16>
  %r = norm.group_norm %xt groups = 32 channel_axis = 3 : tensor<8x64x64x512xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x64x64x512xbf16>, memref<8x64x64x512xbf16>) -> ()
  return
}
