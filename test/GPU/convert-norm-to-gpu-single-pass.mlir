// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8" --split-input-file \
// RUN:   | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8 stage-in-shared=0" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=REGS
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=1" --split-input-file \
// RUN:   | FileCheck %s --check-prefix=ONE

// The single-pass GroupNorm/BatchNorm kernel: when each thread loads its
// vectors in one go (one loop iteration) and the P blocks of a set fit a
// cluster, one launch in clusters of 1 x P blocks: the chunk is staged in
// shared memory by cp.async (or held in registers), the block's exact
// moments (sum, then the centred sum of squares over the staged data) are
// published to the workspace, a cluster barrier, then every block merges
// its set's P partials and normalizes the staged data.

// GroupNorm(32)+SiLU bf16 [8, 512, 64, 64]: 256 sets of 8192 vectors,
// 8 blocks of 256 threads x 4 vectors: clusters of 8.
// CHECK-LABEL: func.func @gn_silu(
// CHECK: gpu.alloc async {{.*}} : memref<6144xf32>
// CHECK: gpu.launch async {{.*}} clusters({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %[[P:c8[_0-9]*]], {{.*}} = %c1{{.*}}) blocks({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c8{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK-SAME: workgroup({{.*}} : memref<16xf32, #gpu.address_space<workgroup>>, %[[STAGE:.*]] : memref<8192xbf16, #gpu.address_space<workgroup>>)
// CHECK-COUNT-4: nvgpu.device_async_copy {{.*}}, %[[STAGE]][{{.*}}], 8 {bypassL1}
// CHECK: nvgpu.device_async_create_group
// CHECK: nvgpu.device_async_wait
// CHECK-COUNT-4: vector.load %[[STAGE]]
// CHECK: gpu.shuffle xor
// CHECK: gpu.barrier
// CHECK: arith.divf
// CHECK-COUNT-4: vector.load %[[STAGE]]
// CHECK: gpu.barrier
// CHECK: memref.store
// CHECK: nvvm.cluster.arrive {aligned}
// CHECK: nvvm.cluster.wait {aligned}
// CHECK: memref.load %{{.*}} : memref<6144xf32>
// CHECK: math.rsqrt
// CHECK-COUNT-4: vector.load %[[STAGE]]
// CHECK-NOT: gpu.launch
// CHECK: gpu.dealloc async
// REGS-LABEL: func.func @gn_silu(
// REGS: gpu.launch async {{.*}} clusters(
// REGS-SAME: workgroup({{.*}} : memref<16xf32, #gpu.address_space<workgroup>>)
// REGS-NOT: nvgpu.device_async_copy
// REGS-COUNT-4: vector.load {{.*}} : memref<16777216xbf16>, vector<8xbf16>
// REGS: nvvm.cluster.arrive
// REGS-NOT: vector.load {{.*}} : memref<16777216xbf16>
// REGS: vector.store
// ONE-LABEL: func.func @gn_silu(
// ONE-NOT: clusters(
// ONE: gpu.launch async
// ONE: gpu.launch async
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

// 800 vectors a set in 4 blocks of 256 (the last one 32 vectors long): a
// cluster of 4; masked vectors copy 0 bytes of the set's last vector (the
// staging is zero-filled) and the block counts its own elements.
// CHECK-LABEL: func.func @gn_tail_stats(
// CHECK: gpu.launch async {{.*}} clusters({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c4{{.*}}, {{.*}} = %c1{{.*}})
// CHECK: %[[VALID:.*]] = arith.cmpi ult, %{{.*}}, %c800
// CHECK: %[[LAST:.*]] = arith.minui %{{.*}}, %c799
// CHECK: %[[N:.*]] = arith.select %[[VALID]], %c4{{.*}}, %c0
// CHECK: nvgpu.device_async_copy {{.*}}, 4, %[[N]] {bypassL1}
// CHECK: arith.minui %{{.*}}, %c256
// CHECK: arith.uitofp
// CHECK: nvvm.cluster.wait
// CHECK: memref.store {{.*}} : memref<36xf32>
// CHECK: memref.store {{.*}} : memref<36xf32>
// CHECK-NOT: gpu.launch
func.func @gn_tail_stats(%x: memref<3x96x20x20xf32>, %y: memref<3x96x20x20xf32>,
    %mean: memref<3x12xf32>, %rstd: memref<3x12xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<3x96x20x20xf32> to tensor<3x96x20x20xf32>
  %r:3 = norm.group_norm %xt groups = 12 : tensor<3x96x20x20xf32>
      stats(tensor<3x12xf32>, tensor<3x12xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<3x96x20x20xf32>, memref<3x96x20x20xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<3x12xf32>, memref<3x12xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<3x12xf32>, memref<3x12xf32>) -> ()
  return
}

// -----

// One block a set (64 vectors): no cluster, no workspace, no cluster
// barrier; with cluster-size=1 too (any chip).
// CHECK-LABEL: func.func @gn_one_block(
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch async
// CHECK-NOT: clusters(
// CHECK-SAME: threads({{.*}}) in ({{.*}} = %c64
// CHECK-NOT: nvvm.cluster
// CHECK-NOT: gpu.launch
// ONE-LABEL: func.func @gn_one_block(
// ONE-NOT: gpu.alloc
// ONE: gpu.launch async
// ONE: nvgpu.device_async_copy
// ONE-NOT: gpu.launch
func.func @gn_one_block(%x: memref<2x32x8x8xf32>, %y: memref<2x32x8x8xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x32x8x8xf32> to tensor<2x32x8x8xf32>
  %r = norm.group_norm %xt groups = 8 : tensor<2x32x8x8xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x32x8x8xf32>, memref<2x32x8x8xf32>) -> ()
  return
}

// -----

// Rows of 49 elements: one-element vectors. f32 is staged (4-byte cp.async,
// loads aligned to 4 bytes); bf16 (2 bytes, below cp.async's smallest
// copy) stays in registers.
// CHECK-LABEL: func.func @gn_odd_rows(
// ONE-LABEL: func.func @gn_odd_rows(
// CHECK: nvgpu.device_async_copy {{.*}}, 1, %{{.*}} :
// CHECK-NOT: bypassL1
// CHECK: vector.load {{.*}} {alignment = 4 : i64} : memref<{{[0-9]+}}xf32, #gpu.address_space<workgroup>>, vector<1xf32>
// CHECK-LABEL: func.func @gn_odd_rows_bf16(
// CHECK-NOT: nvgpu.device_async_copy
// CHECK: gpu.launch async
// CHECK-SAME: workgroup({{.*}} : memref<16xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: gpu.launch
func.func @gn_odd_rows(%x: memref<2x8x7x7xf32>, %y: memref<2x8x7x7xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x7x7xf32> to tensor<2x8x7x7xf32>
  %r = norm.group_norm %xt groups = 2 : tensor<2x8x7x7xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x7x7xf32>, memref<2x8x7x7xf32>) -> ()
  return
}

func.func @gn_odd_rows_bf16(%x: memref<2x8x7x7xbf16>, %y: memref<2x8x7x7xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x7x7xbf16> to tensor<2x8x7x7xbf16>
  %r = norm.group_norm %xt groups = 2 : tensor<2x8x7x7xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x7x7xbf16>, memref<2x8x7x7xbf16>) -> ()
  return
}

// -----

// BatchNorm training, 2048 vectors a channel (8 runs of 256): a cluster of
// 8 blocks; block (c, 0) writes the saved and running statistics.
// CHECK-LABEL: func.func @bn_training(
// CHECK: gpu.launch async {{.*}} clusters({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c8{{.*}}, {{.*}} = %c1{{.*}})
// CHECK: nvvm.cluster.wait
// CHECK: scf.if
// CHECK-COUNT-4: memref.store
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK-NOT: gpu.launch
// ONE-LABEL: func.func @bn_training(
// ONE-NOT: clusters(
func.func @bn_training(%x: memref<8x16x32x32xf32>, %m: memref<16xf32>,
    %v: memref<16xf32>, %y: memref<8x16x32x32xf32>, %sm: memref<16xf32>,
    %sr: memref<16xf32>, %nm: memref<16xf32>, %nv: memref<16xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x16x32x32xf32> to tensor<8x16x32x32xf32>
  %mt = bufferization.to_tensor %m restrict : memref<16xf32> to tensor<16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<16xf32> to tensor<16xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<16xf32>) var(%vt : tensor<16xf32>)
      momentum = 0.1 activation = relu : tensor<8x16x32x32xf32> stats(tensor<16xf32>, tensor<16xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<8x16x32x32xf32>, memref<8x16x32x32xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// -----

// Not single pass: BatchNorm f32 [32, 64, 56, 56] needs several loop
// iterations a thread (25088 vectors a channel), so two kernels.
// CHECK-LABEL: func.func @bn_large(
// CHECK-NOT: clusters(
// CHECK: gpu.launch async
// CHECK-NOT: clusters(
// CHECK: gpu.launch async
func.func @bn_large(%x: memref<32x64x56x56xf32>, %m: memref<64xf32>,
    %v: memref<64xf32>, %y: memref<32x64x56x56xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      : tensor<32x64x56x56xf32> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x64x56x56xf32>, memref<32x64x56x56xf32>) -> ()
  return
}
