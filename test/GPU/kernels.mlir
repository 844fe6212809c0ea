// The kernels that the GPU tests (test/Integration/GPU) and the benchmark
// (benchmarks/gpu) compile ahead of time with norm-lower-to-nvvm, and their
// lowering to gpu.launch. Rows are dynamic (GroupNorm/BatchNorm shapes are
// static, the benchmark's); each function writes its results
// into the caller's buffers (destination passing) and is called through
// `_mlir_ciface_<name>` with memref descriptors of device pointers.
//
// RUN: norm-opt %s --convert-norm-to-gpu | FileCheck %s

// Block per row: 4096 bf16 = 512 vectors of 8, 128 threads x 4 vectors.
// CHECK-LABEL: func.func @layer_norm_bf16_4096(
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128
// CHECK-SAME: workgroup(%{{.*}} : memref<64xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK: gpu.shuffle xor
// CHECK: gpu.barrier
// CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK-NOT: norm.
func.func @layer_norm_bf16_4096(%x: memref<?x4096xbf16>, %w: memref<4096xbf16>,
    %b: memref<4096xbf16>, %y: memref<?x4096xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<4096xbf16> to tensor<4096xbf16>
  %r = norm.layer_norm %xt weight(%wt : tensor<4096xbf16>) bias(%bt : tensor<4096xbf16>)
      axes = [1] : tensor<?x4096xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  return
}

// CHECK-LABEL: func.func @rms_norm_bf16_4096(
// CHECK: gpu.launch
// CHECK-COUNT-1: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: return
func.func @rms_norm_bf16_4096(%x: memref<?x4096xbf16>, %w: memref<4096xbf16>,
    %y: memref<?x4096xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %r = norm.rms_norm %xt weight(%wt : tensor<4096xbf16>) axes = [1] : tensor<?x4096xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  return
}

// Residual added in bf16 and stored, as vLLM's fused_add_rms_norm.
// CHECK-LABEL: func.func @add_rms_norm_bf16_4096(
// CHECK: gpu.launch
// CHECK: arith.addf {{.*}} : vector<8xbf16>
// CHECK: vector.store {{.*}} %[[S:.*]][{{.*}}] {alignment = 16 : i64}
func.func @add_rms_norm_bf16_4096(%x: memref<?x4096xbf16>, %res: memref<?x4096xbf16>,
    %w: memref<4096xbf16>, %y: memref<?x4096xbf16>, %sum: memref<?x4096xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %rt = bufferization.to_tensor %res restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %r, %s = norm.rms_norm %xt weight(%wt : tensor<4096xbf16>)
      residual(%rt : tensor<?x4096xbf16>) axes = [1]
      : tensor<?x4096xbf16> residual_sum(tensor<?x4096xbf16>)
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %sum
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  return
}

// Warp per row with a ragged tail: 1000 f32 = 250 vectors of 4 over 32 lanes.
// CHECK-LABEL: func.func @layer_norm_f32_1000_stats(
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128
// CHECK-NOT: workgroup
// CHECK: scf.if
// CHECK: vector.load {{.*}} : memref<?x1000xf32>, vector<4xf32>
// CHECK-NOT: gpu.barrier
// CHECK: return
func.func @layer_norm_f32_1000_stats(%x: memref<?x1000xf32>, %w: memref<1000xf32>,
    %b: memref<1000xf32>, %y: memref<?x1000xf32>, %mean: memref<?x1xf32>,
    %rstd: memref<?x1xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x1000xf32> to tensor<?x1000xf32>
  %wt = bufferization.to_tensor %w restrict : memref<1000xf32> to tensor<1000xf32>
  %bt = bufferization.to_tensor %b restrict : memref<1000xf32> to tensor<1000xf32>
  %r, %m, %s = norm.layer_norm %xt weight(%wt : tensor<1000xf32>) bias(%bt : tensor<1000xf32>)
      axes = [1] epsilon = 1.0e-03 : tensor<?x1000xf32> stats(tensor<?x1xf32>, tensor<?x1xf32>)
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x1000xf32>, memref<?x1000xf32>) -> ()
  bufferization.materialize_in_destination %m in restrict writable %mean
      : (tensor<?x1xf32>, memref<?x1xf32>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %rstd
      : (tensor<?x1xf32>, memref<?x1xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @layer_norm_f16_768_gelu(
// CHECK: gpu.launch
// CHECK: math.erf
func.func @layer_norm_f16_768_gelu(%x: memref<?x768xf16>, %w: memref<768xf16>,
    %b: memref<768xf16>, %y: memref<?x768xf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x768xf16> to tensor<?x768xf16>
  %wt = bufferization.to_tensor %w restrict : memref<768xf16> to tensor<768xf16>
  %bt = bufferization.to_tensor %b restrict : memref<768xf16> to tensor<768xf16>
  %r = norm.layer_norm %xt weight(%wt : tensor<768xf16>) bias(%bt : tensor<768xf16>)
      axes = [1] activation = gelu : tensor<?x768xf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x768xf16>, memref<?x768xf16>) -> ()
  return
}

// Gemma's (1 + w), long f32 rows (512 threads), rstd returned.
// CHECK-LABEL: func.func @rms_norm_f32_8192_offset(
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c512
func.func @rms_norm_f32_8192_offset(%x: memref<?x8192xf32>, %w: memref<8192xf32>,
    %y: memref<?x8192xf32>, %rstd: memref<?x1xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x8192xf32> to tensor<?x8192xf32>
  %wt = bufferization.to_tensor %w restrict : memref<8192xf32> to tensor<8192xf32>
  %r, %s = norm.rms_norm %xt weight(%wt : tensor<8192xf32>) axes = [1]
      weight_offset = 1.0 : tensor<?x8192xf32> rstd(tensor<?x1xf32>)
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x8192xf32>, memref<?x8192xf32>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %rstd
      : (tensor<?x1xf32>, memref<?x1xf32>) -> ()
  return
}

// Short rows: 64 bf16 = 8 vectors, 8 lanes a row, 16 rows a block.
// CHECK-LABEL: func.func @rms_norm_bf16_64_silu(
// CHECK: gpu.launch
// CHECK-COUNT-3: gpu.shuffle xor
// CHECK-NOT: gpu.shuffle
// CHECK: return
func.func @rms_norm_bf16_64_silu(%x: memref<?x64xbf16>, %w: memref<64xbf16>,
    %y: memref<?x64xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x64xbf16> to tensor<?x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.rms_norm %xt weight(%wt : tensor<64xbf16>) axes = [1]
      activation = silu : tensor<?x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x64xbf16>, memref<?x64xbf16>) -> ()
  return
}

// Two normalized axes (16 x 128 = 2048), no weight: a [rows, 2048] view.
// CHECK-LABEL: func.func @layer_norm_bf16_3d(
// CHECK: memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : memref<?x16x128xbf16> into memref<?x2048xbf16>
// CHECK: gpu.launch
func.func @layer_norm_bf16_3d(%x: memref<?x16x128xbf16>, %y: memref<?x16x128xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x16x128xbf16> to tensor<?x16x128xbf16>
  %r = norm.layer_norm %xt axes = [1, 2] : tensor<?x16x128xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x16x128xbf16>, memref<?x16x128xbf16>) -> ()
  return
}

// 6144 bf16 = 768 vectors: 192 threads, 6 warps (not a power of two).
// CHECK-LABEL: func.func @layer_norm_bf16_6144_relu(
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c192
func.func @layer_norm_bf16_6144_relu(%x: memref<?x6144xbf16>, %w: memref<6144xbf16>,
    %b: memref<6144xbf16>, %y: memref<?x6144xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x6144xbf16> to tensor<?x6144xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<6144xbf16> to tensor<6144xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<6144xbf16> to tensor<6144xbf16>
  %r = norm.layer_norm %xt weight(%wt : tensor<6144xbf16>) bias(%bt : tensor<6144xbf16>)
      axes = [1] activation = relu : tensor<?x6144xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x6144xbf16>, memref<?x6144xbf16>) -> ()
  return
}

// GroupNorm(32) + SiLU, the benchmark's shape: statistics kernel (256 x 8
// blocks, partial moments into a workspace), then merge + normalize; with
// norm-lower-to-nvvm for sm_90a, one kernel in clusters of 8 blocks
// (test/GPU/convert-norm-to-gpu-single-pass.mlir).
// CHECK-LABEL: func.func @group_norm_silu_bf16(
// CHECK: gpu.alloc async
// CHECK: gpu.launch async
// CHECK: gpu.launch async
// CHECK: gpu.dealloc async
func.func @group_norm_silu_bf16(%x: memref<8x512x64x64xbf16>,
    %w: memref<512xbf16>, %b: memref<512xbf16>, %y: memref<8x512x64x64xbf16>)
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

// CHECK-LABEL: func.func @group_norm_f32_stats(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_f32_stats(%x: memref<3x96x20x20xf32>, %w: memref<96xf32>,
    %b: memref<96xf32>, %y: memref<3x96x20x20xf32>, %mean: memref<3x12xf32>,
    %rstd: memref<3x12xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<3x96x20x20xf32> to tensor<3x96x20x20xf32>
  %wt = bufferization.to_tensor %w restrict : memref<96xf32> to tensor<96xf32>
  %bt = bufferization.to_tensor %b restrict : memref<96xf32> to tensor<96xf32>
  %r:3 = norm.group_norm %xt weight(%wt : tensor<96xf32>) bias(%bt : tensor<96xf32>)
      groups = 12 epsilon = 1.0e-3 : tensor<3x96x20x20xf32> stats(tensor<3x12xf32>, tensor<3x12xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<3x96x20x20xf32>, memref<3x96x20x20xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<3x12xf32>, memref<3x12xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<3x12xf32>, memref<3x12xf32>) -> ()
  return
}

// GroupNorm NHWC: a set is HW positions x the group's Cg contiguous
// channels. bf16 [2, 16, 16, 64], 8 groups: a vector of 8 channels a
// position (per-element scale and shift); f32 [3, 7, 7, 96], 32 groups:
// 3 channels, scalar accesses, statistics outputs.
// CHECK-LABEL: func.func @group_norm_nhwc_silu_bf16(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_nhwc_silu_bf16(%x: memref<2x16x16x64xbf16>,
    %w: memref<64xbf16>, %b: memref<64xbf16>, %y: memref<2x16x16x64xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<2x16x16x64xbf16> to tensor<2x16x16x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>)
      groups = 8 channel_axis = 3 activation = silu : tensor<2x16x16x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x16x16x64xbf16>, memref<2x16x16x64xbf16>) -> ()
  return
}

// bf16 [8, 32, 32, 512], 32 groups: 16 channels a group, 2 vectors a
// position (the vector's channel offset k % 2 * 8 matters); 256 sets, so
// with resident-sets (the candidate bundle) one block a set.
// CHECK-LABEL: func.func @group_norm_nhwc_bf16_256_sets(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_nhwc_bf16_256_sets(%x: memref<8x32x32x512xbf16>,
    %w: memref<512xbf16>, %b: memref<512xbf16>, %y: memref<8x32x32x512xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x32x32x512xbf16> to tensor<8x32x32x512xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<512xbf16> to tensor<512xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<512xbf16> to tensor<512xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<512xbf16>) bias(%bt : tensor<512xbf16>)
      groups = 32 channel_axis = 3 : tensor<8x32x32x512xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x32x32x512xbf16>, memref<8x32x32x512xbf16>) -> ()
  return
}

// CHECK-LABEL: func.func @group_norm_nhwc_f32_stats(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_nhwc_f32_stats(%x: memref<3x7x7x96xf32>,
    %w: memref<96xf32>, %b: memref<96xf32>, %y: memref<3x7x7x96xf32>,
    %mean: memref<3x32xf32>, %rstd: memref<3x32xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<3x7x7x96xf32> to tensor<3x7x7x96xf32>
  %wt = bufferization.to_tensor %w restrict : memref<96xf32> to tensor<96xf32>
  %bt = bufferization.to_tensor %b restrict : memref<96xf32> to tensor<96xf32>
  %r:3 = norm.group_norm %xt weight(%wt : tensor<96xf32>) bias(%bt : tensor<96xf32>)
      groups = 32 channel_axis = 3 : tensor<3x7x7x96xf32> stats(tensor<3x32xf32>, tensor<3x32xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<3x7x7x96xf32>, memref<3x7x7x96xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<3x32xf32>, memref<3x32xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<3x32xf32>, memref<3x32xf32>) -> ()
  return
}

// One block a set (64 vectors): the single-pass kernel with
// norm-lower-to-nvvm on any chip (no cluster); two kernels here.
// CHECK-LABEL: func.func @group_norm_small_f32(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_small_f32(%x: memref<2x32x8x8xf32>, %w: memref<32xf32>,
    %b: memref<32xf32>, %y: memref<2x32x8x8xf32>, %mean: memref<2x8xf32>,
    %rstd: memref<2x8xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<2x32x8x8xf32> to tensor<2x32x8x8xf32>
  %wt = bufferization.to_tensor %w restrict : memref<32xf32> to tensor<32xf32>
  %bt = bufferization.to_tensor %b restrict : memref<32xf32> to tensor<32xf32>
  %r:3 = norm.group_norm %xt weight(%wt : tensor<32xf32>) bias(%bt : tensor<32xf32>)
      groups = 8 : tensor<2x32x8x8xf32> stats(tensor<2x8xf32>, tensor<2x8xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<2x32x8x8xf32>, memref<2x32x8x8xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<2x8xf32>, memref<2x8xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<2x8xf32>, memref<2x8xf32>) -> ()
  return
}

// Rows of 49 elements: scalar accesses; 196 of the block's 256 vectors
// valid; single pass with 4-byte cp.async copies (no cluster); two kernels
// here.
// CHECK-LABEL: func.func @group_norm_odd_f32(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_odd_f32(%x: memref<2x8x7x7xf32>, %w: memref<8xf32>,
    %b: memref<8xf32>, %y: memref<2x8x7x7xf32>, %mean: memref<2x2xf32>,
    %rstd: memref<2x2xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x7x7xf32> to tensor<2x8x7x7xf32>
  %wt = bufferization.to_tensor %w restrict : memref<8xf32> to tensor<8xf32>
  %bt = bufferization.to_tensor %b restrict : memref<8xf32> to tensor<8xf32>
  %r:3 = norm.group_norm %xt weight(%wt : tensor<8xf32>) bias(%bt : tensor<8xf32>)
      groups = 2 : tensor<2x8x7x7xf32> stats(tensor<2x2xf32>, tensor<2x2xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<2x8x7x7xf32>, memref<2x8x7x7xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<2x2xf32>, memref<2x2xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<2x2xf32>, memref<2x2xf32>) -> ()
  return
}

// 512 sets of 800 vectors, 4 chunks each (the last 32 vectors long): with
// norm-lower-to-nvvm for sm_90a, clusters of 4 in more than one wave; two
// kernels here.
// CHECK-LABEL: func.func @group_norm_f32_512_sets(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @group_norm_f32_512_sets(%x: memref<64x64x20x20xf32>,
    %w: memref<64xf32>, %b: memref<64xf32>, %y: memref<64x64x20x20xf32>,
    %mean: memref<64x8xf32>, %rstd: memref<64x8xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<64x64x20x20xf32> to tensor<64x64x20x20xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %bt = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r:3 = norm.group_norm %xt weight(%wt : tensor<64xf32>) bias(%bt : tensor<64xf32>)
      groups = 8 activation = silu : tensor<64x64x20x20xf32>
      stats(tensor<64x8xf32>, tensor<64x8xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<64x64x20x20xf32>, memref<64x64x20x20xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<64x8xf32>, memref<64x8xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<64x8xf32>, memref<64x8xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_inference_relu_f32(
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch async
func.func @batch_norm_inference_relu_f32(%x: memref<32x64x56x56xf32>,
    %m: memref<64xf32>, %v: memref<64xf32>, %w: memref<64xf32>,
    %b: memref<64xf32>, %y: memref<32x64x56x56xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %bt = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      weight(%wt : tensor<64xf32>) bias(%bt : tensor<64xf32>) activation = relu
      : tensor<32x64x56x56xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<32x64x56x56xf32>, memref<32x64x56x56xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_inference_relu_bf16(
// CHECK: gpu.launch async
func.func @batch_norm_inference_relu_bf16(%x: memref<32x64x56x56xbf16>,
    %m: memref<64xbf16>, %v: memref<64xbf16>, %w: memref<64xbf16>,
    %b: memref<64xbf16>, %y: memref<32x64x56x56xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xbf16> to tensor<32x64x56x56xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<64xbf16> to tensor<64xbf16>
  %vt = bufferization.to_tensor %v restrict : memref<64xbf16> to tensor<64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<64xbf16>) var(%vt : tensor<64xbf16>)
      weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>) activation = relu
      : tensor<32x64x56x56xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<32x64x56x56xbf16>, memref<32x64x56x56xbf16>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_training_f32(
// CHECK: gpu.alloc async
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @batch_norm_training_f32(%x: memref<32x64x56x56xf32>,
    %m: memref<64xf32>, %v: memref<64xf32>, %w: memref<64xf32>,
    %b: memref<64xf32>, %y: memref<32x64x56x56xf32>, %sm: memref<64xf32>,
    %sr: memref<64xf32>, %nm: memref<64xf32>, %nv: memref<64xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %bt = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      weight(%wt : tensor<64xf32>) bias(%bt : tensor<64xf32>) momentum = 0.1
      activation = relu : tensor<32x64x56x56xf32> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x64x56x56xf32>, memref<32x64x56x56xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_training_bf16(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @batch_norm_training_bf16(%x: memref<32x64x56x56xbf16>,
    %m: memref<64xbf16>, %v: memref<64xbf16>, %w: memref<64xbf16>,
    %b: memref<64xbf16>, %y: memref<32x64x56x56xbf16>, %sm: memref<64xf32>,
    %sr: memref<64xf32>, %nm: memref<64xbf16>, %nv: memref<64xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xbf16> to tensor<32x64x56x56xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<64xbf16> to tensor<64xbf16>
  %vt = bufferization.to_tensor %v restrict : memref<64xbf16> to tensor<64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xbf16>) var(%vt : tensor<64xbf16>)
      weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>) momentum = 0.1
      : tensor<32x64x56x56xbf16> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x64x56x56xbf16>, memref<32x64x56x56xbf16>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xbf16>, memref<64xbf16>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xbf16>, memref<64xbf16>) -> ()
  return
}

// 2048 vectors a channel: 8 blocks of 256 threads x 1 vector, a cluster of
// 8 with norm-lower-to-nvvm for sm_90a; two kernels here.
// CHECK-LABEL: func.func @batch_norm_training_cluster_f32(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @batch_norm_training_cluster_f32(%x: memref<8x16x32x32xf32>,
    %m: memref<16xf32>, %v: memref<16xf32>, %w: memref<16xf32>,
    %b: memref<16xf32>, %y: memref<8x16x32x32xf32>, %sm: memref<16xf32>,
    %sr: memref<16xf32>, %nm: memref<16xf32>, %nv: memref<16xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x16x32x32xf32> to tensor<8x16x32x32xf32>
  %mt = bufferization.to_tensor %m restrict : memref<16xf32> to tensor<16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %bt = bufferization.to_tensor %b restrict : memref<16xf32> to tensor<16xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<16xf32>) var(%vt : tensor<16xf32>)
      weight(%wt : tensor<16xf32>) bias(%bt : tensor<16xf32>) momentum = 0.1
      activation = relu : tensor<8x16x32x32xf32> stats(tensor<16xf32>, tensor<16xf32>)
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

// 256 channels of 8 runs of 49 (scalar f32 accesses): for sm_90a a cluster
// of 2 blocks of 256 threads a channel; with resident-sets (the GPU check's
// candidate bundle) one block of 32 threads x 13 values, the last 24
// masked; here (no clusters) two kernels.
// CHECK-LABEL: func.func @batch_norm_training_256_f32(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
func.func @batch_norm_training_256_f32(%x: memref<8x256x7x7xf32>,
    %m: memref<256xf32>, %v: memref<256xf32>, %w: memref<256xf32>,
    %b: memref<256xf32>, %y: memref<8x256x7x7xf32>, %sm: memref<256xf32>,
    %sr: memref<256xf32>, %nm: memref<256xf32>, %nv: memref<256xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x256x7x7xf32> to tensor<8x256x7x7xf32>
  %mt = bufferization.to_tensor %m restrict : memref<256xf32> to tensor<256xf32>
  %vt = bufferization.to_tensor %v restrict : memref<256xf32> to tensor<256xf32>
  %wt = bufferization.to_tensor %w restrict : memref<256xf32> to tensor<256xf32>
  %bt = bufferization.to_tensor %b restrict : memref<256xf32> to tensor<256xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<256xf32>) var(%vt : tensor<256xf32>)
      weight(%wt : tensor<256xf32>) bias(%bt : tensor<256xf32>) momentum = 0.1
      activation = relu : tensor<8x256x7x7xf32> stats(tensor<256xf32>, tensor<256xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<8x256x7x7xf32>, memref<8x256x7x7xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<256xf32>, memref<256xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<256xf32>, memref<256xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<256xf32>, memref<256xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<256xf32>, memref<256xf32>) -> ()
  return
}

// NHWC (channels last): statistics, finalize and normalize kernels.
// CHECK-LABEL: func.func @batch_norm_training_nhwc_bf16(
// CHECK: gpu.alloc async
// CHECK-COUNT-3: gpu.launch async
func.func @batch_norm_training_nhwc_bf16(%x: memref<32x56x56x64xbf16>,
    %m: memref<64xf32>, %v: memref<64xf32>, %w: memref<64xbf16>,
    %b: memref<64xbf16>, %y: memref<32x56x56x64xbf16>, %sm: memref<64xf32>,
    %sr: memref<64xf32>, %nm: memref<64xf32>, %nv: memref<64xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<32x56x56x64xbf16> to tensor<32x56x56x64xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>) feature_axis = 3
      momentum = 0.1 activation = relu : tensor<32x56x56x64xbf16> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x56x56x64xbf16>, memref<32x56x56x64xbf16>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// 24 channels: 6 lanes of 4 channels, 192 threads a block.
// CHECK-LABEL: func.func @batch_norm_inference_nhwc_f32(
// CHECK-COUNT-1: gpu.launch async
func.func @batch_norm_inference_nhwc_f32(%x: memref<8x14x14x24xf32>,
    %m: memref<24xf32>, %v: memref<24xf32>, %w: memref<24xf32>,
    %b: memref<24xf32>, %y: memref<8x14x14x24xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x14x14x24xf32> to tensor<8x14x14x24xf32>
  %mt = bufferization.to_tensor %m restrict : memref<24xf32> to tensor<24xf32>
  %vt = bufferization.to_tensor %v restrict : memref<24xf32> to tensor<24xf32>
  %wt = bufferization.to_tensor %w restrict : memref<24xf32> to tensor<24xf32>
  %bt = bufferization.to_tensor %b restrict : memref<24xf32> to tensor<24xf32>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<24xf32>) var(%vt : tensor<24xf32>)
      weight(%wt : tensor<24xf32>) bias(%bt : tensor<24xf32>) feature_axis = 3
      : tensor<8x14x14x24xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x14x14x24xf32>, memref<8x14x14x24xf32>) -> ()
  return
}

// InPlace-ABN: batch_norm_training's kernels with an invertible activation;
// the tests pass the input's buffer as the output too. 16 channels of 2048
// vectors: a cluster of 8 blocks a channel for sm_90a, two kernels here.
// CHECK-LABEL: func.func @inplace_abn_leaky_relu_f32(
// CHECK: gpu.alloc async
// CHECK: gpu.launch async
// CHECK: arith.cmpf ogt
// CHECK: arith.select
// CHECK: gpu.dealloc async
// CHECK-NOT: norm.
func.func @inplace_abn_leaky_relu_f32(%x: memref<8x16x32x32xf32>,
    %m: memref<16xf32>, %v: memref<16xf32>, %w: memref<16xf32>,
    %b: memref<16xf32>, %y: memref<8x16x32x32xf32>, %sm: memref<16xf32>,
    %sr: memref<16xf32>, %nm: memref<16xf32>, %nv: memref<16xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x16x32x32xf32> to tensor<8x16x32x32xf32>
  %mt = bufferization.to_tensor %m restrict : memref<16xf32> to tensor<16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %bt = bufferization.to_tensor %b restrict : memref<16xf32> to tensor<16xf32>
  %r:5 = norm.inplace_abn %xt mean(%mt : tensor<16xf32>) var(%vt : tensor<16xf32>)
      weight(%wt : tensor<16xf32>) bias(%bt : tensor<16xf32>) momentum = 0.1
      activation = leaky_relu(0.01) : tensor<8x16x32x32xf32> stats(tensor<16xf32>, tensor<16xf32>)
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

// Channels last with ELU: the column kernels (statistics, finalize,
// normalize).
// CHECK-LABEL: func.func @inplace_abn_elu_nhwc_bf16(
// CHECK-COUNT-3: gpu.launch async
// CHECK: math.exp
// CHECK-NOT: norm.
func.func @inplace_abn_elu_nhwc_bf16(%x: memref<4x14x14x64xbf16>,
    %m: memref<64xf32>, %v: memref<64xf32>, %w: memref<64xbf16>,
    %b: memref<64xbf16>, %y: memref<4x14x14x64xbf16>, %sm: memref<64xf32>,
    %sr: memref<64xf32>, %nm: memref<64xf32>, %nv: memref<64xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x14x14x64xbf16> to tensor<4x14x14x64xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r:5 = norm.inplace_abn %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>) feature_axis = 3
      momentum = 0.1 activation = elu(1.0) : tensor<4x14x14x64xbf16> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<4x14x14x64xbf16>, memref<4x14x14x64xbf16>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// Data normalization: one elementwise kernel, the statistics of each
// element's feature read beside it. A table of dynamically many samples
// with 24 features (statistics over axis 0, 4 consecutive features a
// vector).
// CHECK-LABEL: func.func @standardize_f32_24(
// CHECK: scf.if
// CHECK: gpu.launch blocks
// CHECK: vector.load {{.*}} vector<4xf32>
// CHECK: arith.divf
// CHECK-NOT: norm.
func.func @standardize_f32_24(%x: memref<?x24xf32>, %mean: memref<24xf32>,
    %std: memref<24xf32>, %y: memref<?x24xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x24xf32> to tensor<?x24xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<24xf32> to tensor<24xf32>
  %st = bufferization.to_tensor %std restrict : memref<24xf32> to tensor<24xf32>
  %r = norm.standardize %xt, %mt, %st axes = [0] : tensor<?x24xf32>, tensor<24xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x24xf32>, memref<?x24xf32>) -> ()
  return
}

// Statistics over the middle axis of [6, 10, 40] bf16 (f32 statistics of
// [6, 40]): features from two kept runs; 8 bf16 a vector.
// CHECK-LABEL: func.func @min_max_scale_bf16_middle(
// CHECK: gpu.launch blocks
// CHECK: arith.remui
// CHECK-NOT: norm.
func.func @min_max_scale_bf16_middle(%x: memref<6x10x40xbf16>,
    %lo: memref<6x40xbf16>, %hi: memref<6x40xbf16>, %y: memref<6x10x40xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<6x10x40xbf16> to tensor<6x10x40xbf16>
  %lt = bufferization.to_tensor %lo restrict : memref<6x40xbf16> to tensor<6x40xbf16>
  %ht = bufferization.to_tensor %hi restrict : memref<6x40xbf16> to tensor<6x40xbf16>
  %r = norm.min_max_scale %xt, %lt, %ht axes = [1] range_min = -1.0
      : tensor<6x10x40xbf16>, tensor<6x40xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<6x10x40xbf16>, memref<6x10x40xbf16>) -> ()
  return
}

// torchvision's ToTensor + Normalize on a uint8 NCHW batch: a channel's
// mean/std per vector of 4 pixels (4 bytes in, 16 bytes out).
// CHECK-LABEL: func.func @image_normalize_u8_nchw(
// CHECK: gpu.launch blocks
// CHECK: vector.load {{.*}} vector<4xui8>
// CHECK: vector.bitcast {{.*}} vector<4xui8> to vector<4xi8>
// CHECK: arith.uitofp
// CHECK-NOT: norm.
func.func @image_normalize_u8_nchw(%x: memref<?x3x50x50xui8>,
    %mean: memref<3xf32>, %std: memref<3xf32>, %y: memref<?x3x50x50xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x3x50x50xui8> to tensor<?x3x50x50xui8>
  %mt = bufferization.to_tensor %mean restrict : memref<3xf32> to tensor<3xf32>
  %st = bufferization.to_tensor %std restrict : memref<3xf32> to tensor<3xf32>
  %r = norm.image_normalize %xt, %mt, %st scale = 0.00392156862745098
      : tensor<?x3x50x50xui8>, tensor<3xf32> -> tensor<?x3x50x50xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x3x50x50xf32>, memref<?x3x50x50xf32>) -> ()
  return
}

// Channels last, f16 pixels and output: 3 channels a pixel, scalar accesses.
// CHECK-LABEL: func.func @image_normalize_f16_nhwc(
// CHECK: gpu.launch blocks
// CHECK: vector.load {{.*}} memref<27648xf16>, vector<1xf16>
// CHECK-NOT: norm.
func.func @image_normalize_f16_nhwc(%x: memref<4x48x48x3xf16>,
    %mean: memref<3xf16>, %std: memref<3xf16>, %y: memref<4x48x48x3xf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x48x48x3xf16> to tensor<4x48x48x3xf16>
  %mt = bufferization.to_tensor %mean restrict : memref<3xf16> to tensor<3xf16>
  %st = bufferization.to_tensor %std restrict : memref<3xf16> to tensor<3xf16>
  %r = norm.image_normalize %xt, %mt, %st layout = nhwc
      : tensor<4x48x48x3xf16>, tensor<3xf16> -> tensor<4x48x48x3xf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x48x48x3xf16>, memref<4x48x48x3xf16>) -> ()
  return
}

// Fitting: per-feature mean and sample std (correction 1) of a table of
// dynamically many samples with 24 features (lanes over 16 features), and
// per-channel min / max of an NCHW bf16 batch (a block per channel and
// chunk). Two kernels each: partials, then a thread a feature.
// CHECK-LABEL: func.func @moments_f32_24(
// CHECK: gpu.alloc async
// CHECK: gpu.launch async {{.*}} workgroup(
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: gpu.launch async
// CHECK: math.sqrt
// CHECK: gpu.dealloc async
// CHECK-NOT: norm.
func.func @moments_f32_24(%x: memref<?x24xf32>, %mean: memref<24xf32>,
    %std: memref<24xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x24xf32> to tensor<?x24xf32>
  %m, %s = norm.moments %xt axes = [0] correction = 1 : tensor<?x24xf32> -> tensor<24xf32>
  bufferization.materialize_in_destination %m in restrict writable %mean
      : (tensor<24xf32>, memref<24xf32>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %std
      : (tensor<24xf32>, memref<24xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @min_max_bf16_channels(
// CHECK: gpu.launch async
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK-NOT: norm.
func.func @min_max_bf16_channels(%x: memref<5x3x30x30xbf16>, %lo: memref<3xbf16>,
    %hi: memref<3xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<5x3x30x30xbf16> to tensor<5x3x30x30xbf16>
  %l, %h = norm.min_max %xt axes = [0, 2, 3] : tensor<5x3x30x30xbf16> -> tensor<3xbf16>
  bufferization.materialize_in_destination %l in restrict writable %lo
      : (tensor<3xbf16>, memref<3xbf16>) -> ()
  bufferization.materialize_in_destination %h in restrict writable %hi
      : (tensor<3xbf16>, memref<3xbf16>) -> ()
  return
}

// Backward: grad_weight / grad_bias in a column reduction over the rows
// (partials, then a thread a column), then grad_input in one row kernel
// (the forward's mapping: two reductions, sum(dxhat) and sum(dxhat * xhat)).
// 768 columns leave 24 elements a thread, too many to also hold their two
// sums (more than 16): the parameter gradients are not fused here.
// CHECK-LABEL: func.func @layer_norm_grad_f32_768_gelu(
// CHECK: gpu.alloc async
// CHECK: gpu.launch async
// CHECK: gpu.launch async
// CHECK: gpu.dealloc async
// CHECK: scf.if
// CHECK: gpu.launch blocks
// CHECK: gpu.shuffle xor
// CHECK-NOT: norm.
func.func @layer_norm_grad_f32_768_gelu(%dy: memref<?x768xf32>, %x: memref<?x768xf32>,
    %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>, %w: memref<768xf32>,
    %b: memref<768xf32>, %dx: memref<?x768xf32>, %dw: memref<768xf32>,
    %db: memref<768xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x768xf32> to tensor<?x768xf32>
  %xt = bufferization.to_tensor %x restrict : memref<?x768xf32> to tensor<?x768xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<768xf32> to tensor<768xf32>
  %bt = bufferization.to_tensor %b restrict : memref<768xf32> to tensor<768xf32>
  %gx, %gw, %gb = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<768xf32>)
      bias(%bt : tensor<768xf32>) axes = [1] activation = gelu
      : tensor<?x768xf32> grad_weight(tensor<768xf32>) grad_bias(tensor<768xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x768xf32>, memref<?x768xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<768xf32>, memref<768xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<768xf32>, memref<768xf32>) -> ()
  return
}

// Residual form with the residual_sum's gradient added; an f32 grad_weight
// of a bf16 weight.
// grad_input with grad_weight's partial rows (a block a row, 256 threads
// of 16 elements), then their column reduction.
// CHECK-LABEL: func.func @rms_norm_grad_bf16_4096_residual(
// CHECK: gpu.launch async
// CHECK: gpu.barrier
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: norm.
func.func @rms_norm_grad_bf16_4096_residual(%dy: memref<?x4096xbf16>,
    %x: memref<?x4096xbf16>, %res: memref<?x4096xbf16>, %rstd: memref<?x1xf32>,
    %w: memref<4096xbf16>, %dsum: memref<?x4096xbf16>, %dx: memref<?x4096xbf16>,
    %dw: memref<4096xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %rest = bufferization.to_tensor %res restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %dst = bufferization.to_tensor %dsum restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %gx, %gw = norm.rms_norm_grad %dyt, %xt residual(%rest : tensor<?x4096xbf16>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<4096xbf16>)
      residual_sum_grad(%dst : tensor<?x4096xbf16>) axes = [1]
      : tensor<?x4096xbf16> grad_weight(tensor<4096xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<4096xf32>, memref<4096xf32>) -> ()
  return
}

// Short rows (a row per 8 lanes of a warp, 16 rows a block), no weight:
// grad_input alone, one kernel.
// CHECK-LABEL: func.func @layer_norm_grad_f16_64(
// CHECK-COUNT-1: gpu.launch
// CHECK-NOT: gpu.launch
// CHECK-NOT: norm.
func.func @layer_norm_grad_f16_64(%dy: memref<?x64xf16>, %x: memref<?x64xf16>,
    %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>, %dx: memref<?x64xf16>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x64xf16> to tensor<?x64xf16>
  %xt = bufferization.to_tensor %x restrict : memref<?x64xf16> to tensor<?x64xf16>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %gx = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) axes = [1] : tensor<?x64xf16>
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x64xf16>, memref<?x64xf16>) -> ()
  return
}

// BatchNorm backward: a column reduction over each channel's N * HW
// elements (the sums of dpre * xhat and dpre: grad_weight, grad_bias), then
// grad_input elementwise. NCHW f32 with ReLU; NHWC bf16 with a residual and
// the residual_sum's gradient, grad_input only.
// CHECK-LABEL: func.func @batch_norm_grad_relu_f32(
// CHECK: gpu.alloc async
// CHECK: gpu.alloc async
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_norm_grad_relu_f32(%dy: memref<8x16x12x12xf32>,
    %x: memref<8x16x12x12xf32>, %mean: memref<16xf32>, %rstd: memref<16xf32>,
    %w: memref<16xf32>, %b: memref<16xf32>, %dx: memref<8x16x12x12xf32>,
    %dw: memref<16xf32>, %db: memref<16xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<8x16x12x12xf32> to tensor<8x16x12x12xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x16x12x12xf32> to tensor<8x16x12x12xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<16xf32> to tensor<16xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %bt = bufferization.to_tensor %b restrict : memref<16xf32> to tensor<16xf32>
  %gx, %gw, %gb = norm.batch_norm_grad %dyt, %xt mean(%mt : tensor<16xf32>)
      rstd(%rt : tensor<16xf32>) weight(%wt : tensor<16xf32>)
      bias(%bt : tensor<16xf32>) activation = relu : tensor<8x16x12x12xf32>
      grad_weight(tensor<16xf32>) grad_bias(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<8x16x12x12xf32>, memref<8x16x12x12xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// The benchmark's BatchNorm backward, f32 [32, 64, 56, 56] without an
// activation: channel sums (partials, finalize), then grad_input.
// CHECK-LABEL: func.func @batch_norm_grad_f32(
// CHECK: gpu.alloc async
// CHECK: gpu.alloc async
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_norm_grad_f32(%dy: memref<32x64x56x56xf32>,
    %x: memref<32x64x56x56xf32>, %mean: memref<64xf32>, %rstd: memref<64xf32>,
    %w: memref<64xf32>, %dx: memref<32x64x56x56xf32>, %dw: memref<64xf32>,
    %db: memref<64xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<64xf32> to tensor<64xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %gx, %gw, %gb = norm.batch_norm_grad %dyt, %xt mean(%mt : tensor<64xf32>)
      rstd(%rt : tensor<64xf32>) weight(%wt : tensor<64xf32>)
      : tensor<32x64x56x56xf32> grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<32x64x56x56xf32>, memref<32x64x56x56xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_grad_nhwc_bf16(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_norm_grad_nhwc_bf16(%dy: memref<4x7x7x64xbf16>,
    %x: memref<4x7x7x64xbf16>, %res: memref<4x7x7x64xbf16>,
    %mean: memref<64xf32>, %rstd: memref<64xf32>, %w: memref<64xbf16>,
    %dsum: memref<4x7x7x64xbf16>, %dx: memref<4x7x7x64xbf16>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x7x7x64xbf16> to tensor<4x7x7x64xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<4x7x7x64xbf16> to tensor<4x7x7x64xbf16>
  %rest = bufferization.to_tensor %res restrict : memref<4x7x7x64xbf16> to tensor<4x7x7x64xbf16>
  %mt = bufferization.to_tensor %mean restrict : memref<64xf32> to tensor<64xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %dst = bufferization.to_tensor %dsum restrict : memref<4x7x7x64xbf16> to tensor<4x7x7x64xbf16>
  %gx = norm.batch_norm_grad %dyt, %xt residual(%rest : tensor<4x7x7x64xbf16>)
      mean(%mt : tensor<64xf32>) rstd(%rt : tensor<64xf32>)
      weight(%wt : tensor<64xbf16>) residual_sum_grad(%dst : tensor<4x7x7x64xbf16>)
      feature_axis = 3 : tensor<4x7x7x64xbf16>
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x7x7x64xbf16>, memref<4x7x7x64xbf16>) -> ()
  return
}

// InPlace-ABN backward from the output y (leaky ReLU inverted); the tests
// pass grad_output's buffer as grad_input too.
// CHECK-LABEL: func.func @inplace_abn_grad_leaky_relu_f32(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @inplace_abn_grad_leaky_relu_f32(%dy: memref<8x16x12x12xf32>,
    %y: memref<8x16x12x12xf32>, %rstd: memref<16xf32>, %w: memref<16xf32>,
    %b: memref<16xf32>, %dx: memref<8x16x12x12xf32>, %dw: memref<16xf32>,
    %db: memref<16xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<8x16x12x12xf32> to tensor<8x16x12x12xf32>
  %yt = bufferization.to_tensor %y restrict : memref<8x16x12x12xf32> to tensor<8x16x12x12xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %bt = bufferization.to_tensor %b restrict : memref<16xf32> to tensor<16xf32>
  %gx, %gw, %gb = norm.inplace_abn_grad %dyt, %yt rstd(%rt : tensor<16xf32>)
      weight(%wt : tensor<16xf32>) bias(%bt : tensor<16xf32>)
      activation = leaky_relu(0.01) : tensor<8x16x12x12xf32>
      grad_weight(tensor<16xf32>) grad_bias(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<8x16x12x12xf32>, memref<8x16x12x12xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// GroupNorm backward: a column reduction over the (sample, group) sets
// (sum(dxhat), sum(dxhat * xhat)), one over the channels for grad_weight /
// grad_bias, then grad_input elementwise. NCHW f32 with SiLU; NHWC bf16.
// CHECK-LABEL: func.func @group_norm_grad_silu_f32(
// CHECK-COUNT-5: gpu.launch async
// CHECK-NOT: norm.
func.func @group_norm_grad_silu_f32(%dy: memref<2x8x6x6xf32>,
    %x: memref<2x8x6x6xf32>, %mean: memref<2x4xf32>, %rstd: memref<2x4xf32>,
    %w: memref<8xf32>, %b: memref<8xf32>, %dx: memref<2x8x6x6xf32>,
    %dw: memref<8xf32>, %db: memref<8xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<2x8x6x6xf32> to tensor<2x8x6x6xf32>
  %xt = bufferization.to_tensor %x restrict : memref<2x8x6x6xf32> to tensor<2x8x6x6xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<2x4xf32> to tensor<2x4xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<2x4xf32> to tensor<2x4xf32>
  %wt = bufferization.to_tensor %w restrict : memref<8xf32> to tensor<8xf32>
  %bt = bufferization.to_tensor %b restrict : memref<8xf32> to tensor<8xf32>
  %gx, %gw, %gb = norm.group_norm_grad %dyt, %xt mean(%mt : tensor<2x4xf32>)
      rstd(%rt : tensor<2x4xf32>) weight(%wt : tensor<8xf32>)
      bias(%bt : tensor<8xf32>) groups = 4 activation = silu
      : tensor<2x8x6x6xf32> grad_weight(tensor<8xf32>) grad_bias(tensor<8xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<2x8x6x6xf32>, memref<2x8x6x6xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<8xf32>, memref<8xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<8xf32>, memref<8xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @group_norm_grad_nhwc_bf16(
// CHECK-COUNT-5: gpu.launch async
// CHECK-NOT: norm.
func.func @group_norm_grad_nhwc_bf16(%dy: memref<2x5x5x16xbf16>,
    %x: memref<2x5x5x16xbf16>, %mean: memref<2x4xf32>, %rstd: memref<2x4xf32>,
    %w: memref<16xbf16>, %dx: memref<2x5x5x16xbf16>, %dw: memref<16xf32>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<2x5x5x16xbf16> to tensor<2x5x5x16xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<2x5x5x16xbf16> to tensor<2x5x5x16xbf16>
  %mt = bufferization.to_tensor %mean restrict : memref<2x4xf32> to tensor<2x4xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<2x4xf32> to tensor<2x4xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xbf16> to tensor<16xbf16>
  %gx, %gw = norm.group_norm_grad %dyt, %xt mean(%mt : tensor<2x4xf32>)
      rstd(%rt : tensor<2x4xf32>) weight(%wt : tensor<16xbf16>) groups = 4
      channel_axis = 3 : tensor<2x5x5x16xbf16> grad_weight(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<2x5x5x16xbf16>, memref<2x5x5x16xbf16>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// Spectral normalization of a conv weight [64, 3, 3, 3] (W: 64 x 27), two
// power iterations: per iteration t = W^T u, |t|, s = W v, |s| (column
// reductions), then output = weight / sigma, new_u and sigma.
// CHECK-LABEL: func.func @spectral_norm_f32(
// CHECK-COUNT-17: gpu.launch async
// CHECK-NOT: gpu.launch
// CHECK-NOT: norm.
func.func @spectral_norm_f32(%w: memref<64x3x3x3xf32>, %u: memref<64xf32>,
    %wn: memref<64x3x3x3xf32>, %u2: memref<64xf32>, %sigma: memref<f32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict : memref<64x3x3x3xf32> to tensor<64x3x3x3xf32>
  %ut = bufferization.to_tensor %u restrict : memref<64xf32> to tensor<64xf32>
  %r:3 = norm.spectral_norm %wt, %ut power_iterations = 2
      : tensor<64x3x3x3xf32>, tensor<64xf32> -> tensor<f32>
  bufferization.materialize_in_destination %r#0 in restrict writable %wn
      : (tensor<64x3x3x3xf32>, memref<64x3x3x3xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %u2
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sigma
      : (tensor<f32>, memref<f32>) -> ()
  return
}

// A bf16 linear weight [300, 1000], one iteration: f32 sigma.
// CHECK-LABEL: func.func @spectral_norm_bf16_linear(
// CHECK-COUNT-9: gpu.launch async
// CHECK-NOT: norm.
func.func @spectral_norm_bf16_linear(%w: memref<300x1000xbf16>,
    %u: memref<300xbf16>, %wn: memref<300x1000xbf16>, %u2: memref<300xbf16>,
    %sigma: memref<f32>) attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict : memref<300x1000xbf16> to tensor<300x1000xbf16>
  %ut = bufferization.to_tensor %u restrict : memref<300xbf16> to tensor<300xbf16>
  %r:3 = norm.spectral_norm %wt, %ut
      : tensor<300x1000xbf16>, tensor<300xbf16> -> tensor<f32>
  bufferization.materialize_in_destination %r#0 in restrict writable %wn
      : (tensor<300x1000xbf16>, memref<300x1000xbf16>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %u2
      : (tensor<300xbf16>, memref<300xbf16>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sigma
      : (tensor<f32>, memref<f32>) -> ()
  return
}

// Micro-batch statistics (gradient accumulation): per-channel count, mean
// and m2 of a bf16 micro-batch (a column reduction), Chan's merge of two
// (a thread a channel), and batch_norm_grad's micro-batch form (grad_input
// from the whole batch's sums and count; 7 x 7 positions: scalar accesses).
// CHECK-LABEL: func.func @batch_stats_bf16(
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_stats_bf16(%x: memref<4x16x10x10xbf16>, %n: memref<f32>,
    %mean: memref<16xf32>, %m2: memref<16xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x16x10x10xbf16> to tensor<4x16x10x10xbf16>
  %c, %m, %q = norm.batch_stats %xt : tensor<4x16x10x10xbf16> -> tensor<f32>, tensor<16xf32>
  bufferization.materialize_in_destination %c in restrict writable %n
      : (tensor<f32>, memref<f32>) -> ()
  bufferization.materialize_in_destination %m in restrict writable %mean
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %q in restrict writable %m2
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_stats_merge_f32(
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_stats_merge_f32(%na: memref<f32>, %ma: memref<16xf32>,
    %qa: memref<16xf32>, %nb: memref<f32>, %mb: memref<16xf32>,
    %qb: memref<16xf32>, %n: memref<f32>, %mean: memref<16xf32>,
    %m2: memref<16xf32>, %var: memref<16xf32>) attributes {llvm.emit_c_interface} {
  %nat = bufferization.to_tensor %na restrict : memref<f32> to tensor<f32>
  %mat = bufferization.to_tensor %ma restrict : memref<16xf32> to tensor<16xf32>
  %qat = bufferization.to_tensor %qa restrict : memref<16xf32> to tensor<16xf32>
  %nbt = bufferization.to_tensor %nb restrict : memref<f32> to tensor<f32>
  %mbt = bufferization.to_tensor %mb restrict : memref<16xf32> to tensor<16xf32>
  %qbt = bufferization.to_tensor %qb restrict : memref<16xf32> to tensor<16xf32>
  %c, %m, %q, %v = norm.batch_stats_merge %nat, %mat, %qat, %nbt, %mbt, %qbt
      : tensor<f32>, tensor<16xf32> var(tensor<16xf32>)
  bufferization.materialize_in_destination %m in restrict writable %mean
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %c in restrict writable %n
      : (tensor<f32>, memref<f32>) -> ()
  bufferization.materialize_in_destination %q in restrict writable %m2
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %v in restrict writable %var
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_grad_micro_batch_f32(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_norm_grad_micro_batch_f32(%dy: memref<4x16x7x7xf32>,
    %x: memref<4x16x7x7xf32>, %mean: memref<16xf32>, %rstd: memref<16xf32>,
    %w: memref<16xf32>, %sd: memref<16xf32>, %sdx: memref<16xf32>,
    %n: memref<f32>, %dx: memref<4x16x7x7xf32>, %dw: memref<16xf32>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x16x7x7xf32> to tensor<4x16x7x7xf32>
  %xt = bufferization.to_tensor %x restrict : memref<4x16x7x7xf32> to tensor<4x16x7x7xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<16xf32> to tensor<16xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %sdt = bufferization.to_tensor %sd restrict : memref<16xf32> to tensor<16xf32>
  %sdxt = bufferization.to_tensor %sdx restrict : memref<16xf32> to tensor<16xf32>
  %nt = bufferization.to_tensor %n restrict : memref<f32> to tensor<f32>
  %gx, %gw = norm.batch_norm_grad %dyt, %xt mean(%mt : tensor<16xf32>)
      rstd(%rt : tensor<16xf32>) weight(%wt : tensor<16xf32>)
      batch_grad_sums(%sdt, %sdxt : tensor<16xf32>, tensor<16xf32>)
      count(%nt : tensor<f32>) : tensor<4x16x7x7xf32> grad_weight(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x16x7x7xf32>, memref<4x16x7x7xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// The GPU benchmark's backward case: LayerNorm bf16 rows of 4096 (a block
// a row), f32 parameter gradients summed by the grad_input kernel.
// CHECK-LABEL: func.func @layer_norm_grad_bf16_4096(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: gpu.launch
// CHECK-NOT: norm.
func.func @layer_norm_grad_bf16_4096(%dy: memref<?x4096xbf16>,
    %x: memref<?x4096xbf16>, %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>,
    %w: memref<4096xbf16>, %dx: memref<?x4096xbf16>, %dw: memref<4096xf32>,
    %db: memref<4096xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %gx, %gw, %gb = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<4096xbf16>) axes = [1]
      : tensor<?x4096xbf16> grad_weight(tensor<4096xf32>) grad_bias(tensor<4096xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<4096xf32>, memref<4096xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<4096xf32>, memref<4096xf32>) -> ()
  return
}

// A ConvTranspose weight [16, 32, 3, 3] normalized along dim 1 (its output
// channels): W = 32 x 144, read in place; four power iterations, the last
// three in a host loop (one copy of their kernels, synchronized each time).
// CHECK-LABEL: func.func @spectral_norm_dim1_f32(
// CHECK-COUNT-8: gpu.launch async
// CHECK: gpu.wait [
// CHECK: scf.for %{{.*}} = %c1{{.*}} to %c4{{.*}} step %c1
// CHECK-COUNT-8: gpu.launch async
// CHECK: gpu.wait [
// CHECK-NEXT: }
// CHECK: gpu.launch async
// CHECK-NOT: gpu.launch
// CHECK-NOT: norm.
func.func @spectral_norm_dim1_f32(%w: memref<16x32x3x3xf32>, %u: memref<32xf32>,
    %wn: memref<16x32x3x3xf32>, %u2: memref<32xf32>, %sigma: memref<f32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict : memref<16x32x3x3xf32> to tensor<16x32x3x3xf32>
  %ut = bufferization.to_tensor %u restrict : memref<32xf32> to tensor<32xf32>
  %r:3 = norm.spectral_norm %wt, %ut dim = 1 power_iterations = 4
      : tensor<16x32x3x3xf32>, tensor<32xf32> -> tensor<f32>
  bufferization.materialize_in_destination %r#0 in restrict writable %wn
      : (tensor<16x32x3x3xf32>, memref<16x32x3x3xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %u2
      : (tensor<32xf32>, memref<32xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sigma
      : (tensor<f32>, memref<f32>) -> ()
  return
}

// The residual forms: the kernels load x and the residual and add them (in
// the input type); the first also writes the sum to residual_sum's
// destination when used (BatchNorm training, NCHW f32: 2048 vectors a
// channel, a cluster of 8 blocks for sm_90a, two kernels for sm_80; not
// GroupNorm+SiLU NHWC bf16).
// CHECK-LABEL: func.func @batch_norm_training_residual_f32(
// CHECK: gpu.launch async
// CHECK: gpu.wait [
// CHECK-NOT: norm.
func.func @batch_norm_training_residual_f32(%x: memref<8x16x32x32xf32>,
    %res: memref<8x16x32x32xf32>, %m: memref<16xf32>, %v: memref<16xf32>,
    %w: memref<16xf32>, %b: memref<16xf32>, %y: memref<8x16x32x32xf32>,
    %s: memref<8x16x32x32xf32>, %sm: memref<16xf32>, %sr: memref<16xf32>,
    %nm: memref<16xf32>, %nv: memref<16xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x16x32x32xf32> to tensor<8x16x32x32xf32>
  %rt = bufferization.to_tensor %res restrict : memref<8x16x32x32xf32> to tensor<8x16x32x32xf32>
  %mt = bufferization.to_tensor %m restrict : memref<16xf32> to tensor<16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %bt = bufferization.to_tensor %b restrict : memref<16xf32> to tensor<16xf32>
  %r:6 = norm.batch_norm_training %xt mean(%mt : tensor<16xf32>)
      var(%vt : tensor<16xf32>) weight(%wt : tensor<16xf32>)
      bias(%bt : tensor<16xf32>) residual(%rt : tensor<8x16x32x32xf32>) momentum = 0.1
      activation = relu : tensor<8x16x32x32xf32> stats(tensor<16xf32>, tensor<16xf32>)
      residual_sum(tensor<8x16x32x32xf32>)
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
  bufferization.materialize_in_destination %r#5 in restrict writable %s
      : (tensor<8x16x32x32xf32>, memref<8x16x32x32xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @group_norm_residual_nhwc_bf16(
// CHECK: gpu.alloc async
// CHECK: gpu.launch async
// CHECK: gpu.dealloc async
// CHECK-NOT: norm.
func.func @group_norm_residual_nhwc_bf16(%x: memref<2x8x8x64xbf16>,
    %res: memref<2x8x8x64xbf16>, %w: memref<64xbf16>, %b: memref<64xbf16>,
    %y: memref<2x8x8x64xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x8x64xbf16> to tensor<2x8x8x64xbf16>
  %rt = bufferization.to_tensor %res restrict : memref<2x8x8x64xbf16> to tensor<2x8x8x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<64xbf16>)
      bias(%bt : tensor<64xbf16>) residual(%rt : tensor<2x8x8x64xbf16>) groups = 8
      channel_axis = 3 activation = silu : tensor<2x8x8x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x8x64xbf16>, memref<2x8x8x64xbf16>) -> ()
  return
}

// BatchNorm NHWC residual forms (the column kernels): training without
// residual_sum (both kernels add x and the residual), inference with it
// (the one normalize kernel writes the sum).
// CHECK-LABEL: func.func @batch_norm_training_residual_nhwc_bf16(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_norm_training_residual_nhwc_bf16(%x: memref<4x14x14x64xbf16>,
    %res: memref<4x14x14x64xbf16>, %m: memref<64xf32>, %v: memref<64xf32>,
    %w: memref<64xbf16>, %b: memref<64xbf16>, %y: memref<4x14x14x64xbf16>,
    %sm: memref<64xf32>, %sr: memref<64xf32>, %nm: memref<64xf32>,
    %nv: memref<64xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x14x14x64xbf16> to tensor<4x14x14x64xbf16>
  %rt = bufferization.to_tensor %res restrict : memref<4x14x14x64xbf16> to tensor<4x14x14x64xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>)
      residual(%rt : tensor<4x14x14x64xbf16>) feature_axis = 3 momentum = 0.1
      activation = relu : tensor<4x14x14x64xbf16> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<4x14x14x64xbf16>, memref<4x14x14x64xbf16>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_inference_residual_nhwc_f32(
// CHECK-COUNT-1: gpu.launch async
// CHECK-NOT: gpu.launch
// CHECK-NOT: norm.
func.func @batch_norm_inference_residual_nhwc_f32(%x: memref<8x14x14x24xf32>,
    %res: memref<8x14x14x24xf32>, %m: memref<24xf32>, %v: memref<24xf32>,
    %w: memref<24xf32>, %b: memref<24xf32>, %y: memref<8x14x14x24xf32>,
    %s: memref<8x14x14x24xf32>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<8x14x14x24xf32> to tensor<8x14x14x24xf32>
  %rt = bufferization.to_tensor %res restrict : memref<8x14x14x24xf32> to tensor<8x14x14x24xf32>
  %mt = bufferization.to_tensor %m restrict : memref<24xf32> to tensor<24xf32>
  %vt = bufferization.to_tensor %v restrict : memref<24xf32> to tensor<24xf32>
  %wt = bufferization.to_tensor %w restrict : memref<24xf32> to tensor<24xf32>
  %bt = bufferization.to_tensor %b restrict : memref<24xf32> to tensor<24xf32>
  %r:2 = norm.batch_norm_inference %xt mean(%mt : tensor<24xf32>) var(%vt : tensor<24xf32>)
      weight(%wt : tensor<24xf32>) bias(%bt : tensor<24xf32>)
      residual(%rt : tensor<8x14x14x24xf32>) feature_axis = 3
      : tensor<8x14x14x24xf32> residual_sum(tensor<8x14x14x24xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<8x14x14x24xf32>, memref<8x14x14x24xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %s
      : (tensor<8x14x14x24xf32>, memref<8x14x14x24xf32>) -> ()
  return
}

// LayerNorm backward with short rows and all three results: 32 lanes a row,
// 4 rows a block, 8 elements a thread, so the grad_input kernel also sums
// grad_weight / grad_bias (the groups of a block merge in shared memory),
// then the partial rows' column reduction (partials, finalize).
// CHECK-LABEL: func.func @layer_norm_grad_f32_256_gelu(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @layer_norm_grad_f32_256_gelu(%dy: memref<?x256xf32>,
    %x: memref<?x256xf32>, %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>,
    %w: memref<256xf32>, %b: memref<256xf32>, %dx: memref<?x256xf32>,
    %dw: memref<256xf32>, %db: memref<256xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x256xf32> to tensor<?x256xf32>
  %xt = bufferization.to_tensor %x restrict : memref<?x256xf32> to tensor<?x256xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<256xf32> to tensor<256xf32>
  %bt = bufferization.to_tensor %b restrict : memref<256xf32> to tensor<256xf32>
  %gx, %gw, %gb = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<256xf32>)
      bias(%bt : tensor<256xf32>) axes = [1] activation = gelu
      : tensor<?x256xf32> grad_weight(tensor<256xf32>) grad_bias(tensor<256xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x256xf32>, memref<?x256xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<256xf32>, memref<256xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<256xf32>, memref<256xf32>) -> ()
  return
}

// RMSNorm backward with weight_offset and SiLU over 1028 f32 columns: 96
// threads a row of 3 vectors of 4, the last thread's last vector past the
// end; fused, so the masked vectors must add nothing to grad_weight.
// CHECK-LABEL: func.func @rms_norm_grad_offset_silu_f32_1028(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @rms_norm_grad_offset_silu_f32_1028(%dy: memref<?x1028xf32>,
    %x: memref<?x1028xf32>, %rstd: memref<?x1xf32>, %w: memref<1028xf32>,
    %dx: memref<?x1028xf32>, %dw: memref<1028xf32>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x1028xf32> to tensor<?x1028xf32>
  %xt = bufferization.to_tensor %x restrict : memref<?x1028xf32> to tensor<?x1028xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<1028xf32> to tensor<1028xf32>
  %gx, %gw = norm.rms_norm_grad %dyt, %xt rstd(%rt : tensor<?x1xf32>)
      weight(%wt : tensor<1028xf32>) axes = [1] weight_offset = 1.0
      activation = silu : tensor<?x1028xf32> grad_weight(tensor<1028xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x1028xf32>, memref<?x1028xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<1028xf32>, memref<1028xf32>) -> ()
  return
}

// LayerNorm backward over 16384 bf16 columns: a fused kernel would need a
// block of 1024 threads whose registers cannot hold the sums, so the
// parameter gradients take their own column reduction (no spills either
// way: ptxas.test).
// CHECK-LABEL: func.func @layer_norm_grad_bf16_16384(
// CHECK-COUNT-2: gpu.launch async
// CHECK: gpu.launch blocks
// CHECK-NOT: norm.
func.func @layer_norm_grad_bf16_16384(%dy: memref<?x16384xbf16>,
    %x: memref<?x16384xbf16>, %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>,
    %w: memref<16384xbf16>, %b: memref<16384xbf16>, %dx: memref<?x16384xbf16>,
    %dw: memref<16384xf32>, %db: memref<16384xf32>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x16384xbf16> to tensor<?x16384xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<?x16384xbf16> to tensor<?x16384xbf16>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16384xbf16> to tensor<16384xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<16384xbf16> to tensor<16384xbf16>
  %gx, %gw, %gb = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<16384xbf16>)
      bias(%bt : tensor<16384xbf16>) axes = [1] activation = gelu
      : tensor<?x16384xbf16> grad_weight(tensor<16384xf32>) grad_bias(tensor<16384xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x16384xbf16>, memref<?x16384xbf16>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16384xf32>, memref<16384xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<16384xf32>, memref<16384xf32>) -> ()
  return
}

// GroupNorm residual form with residual_sum and a tail: 3 groups of 2 x 35
// f32 elements (vectors of 1: 35 is odd), the last chunk's vectors masked,
// so the residual_sum stores must be masked too.
// CHECK-LABEL: func.func @group_norm_residual_sum_f32(
// CHECK: gpu.launch async
// CHECK-NOT: norm.
func.func @group_norm_residual_sum_f32(%x: memref<2x6x5x7xf32>,
    %res: memref<2x6x5x7xf32>, %w: memref<6xf32>, %b: memref<6xf32>,
    %y: memref<2x6x5x7xf32>, %s: memref<2x6x5x7xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<2x6x5x7xf32> to tensor<2x6x5x7xf32>
  %rt = bufferization.to_tensor %res restrict : memref<2x6x5x7xf32> to tensor<2x6x5x7xf32>
  %wt = bufferization.to_tensor %w restrict : memref<6xf32> to tensor<6xf32>
  %bt = bufferization.to_tensor %b restrict : memref<6xf32> to tensor<6xf32>
  %r:2 = norm.group_norm %xt weight(%wt : tensor<6xf32>) bias(%bt : tensor<6xf32>)
      residual(%rt : tensor<2x6x5x7xf32>) groups = 3
      : tensor<2x6x5x7xf32> residual_sum(tensor<2x6x5x7xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<2x6x5x7xf32>, memref<2x6x5x7xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %s
      : (tensor<2x6x5x7xf32>, memref<2x6x5x7xf32>) -> ()
  return
}

// The activations whose device code calls libdevice's tanh / log1p: GELU's
// tanh approximation and tanh on the forward row kernels, sigmoid on a
// BatchNorm, their derivatives in layer_norm_grad, and InPlace-ABN's
// backward from an ELU output (log1p inverts it, exp differentiates it).
// CHECK-LABEL: func.func @layer_norm_f32_2048_gelu_tanh(
// CHECK: gpu.launch
// CHECK: math.tanh
// CHECK-NOT: norm.
func.func @layer_norm_f32_2048_gelu_tanh(%x: memref<?x2048xf32>,
    %w: memref<2048xf32>, %b: memref<2048xf32>, %y: memref<?x2048xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x2048xf32> to tensor<?x2048xf32>
  %wt = bufferization.to_tensor %w restrict : memref<2048xf32> to tensor<2048xf32>
  %bt = bufferization.to_tensor %b restrict : memref<2048xf32> to tensor<2048xf32>
  %r = norm.layer_norm %xt weight(%wt : tensor<2048xf32>) bias(%bt : tensor<2048xf32>)
      axes = [1] activation = gelu_tanh : tensor<?x2048xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x2048xf32>, memref<?x2048xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @rms_norm_f16_256_tanh(
// CHECK: gpu.launch
// CHECK: math.tanh
// CHECK-NOT: norm.
func.func @rms_norm_f16_256_tanh(%x: memref<?x256xf16>, %w: memref<256xf16>,
    %y: memref<?x256xf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x256xf16> to tensor<?x256xf16>
  %wt = bufferization.to_tensor %w restrict : memref<256xf16> to tensor<256xf16>
  %r = norm.rms_norm %xt weight(%wt : tensor<256xf16>) axes = [1]
      activation = tanh : tensor<?x256xf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x256xf16>, memref<?x256xf16>) -> ()
  return
}

// CHECK-LABEL: func.func @batch_norm_inference_sigmoid_bf16(
// CHECK: gpu.launch
// CHECK: math.exp
// CHECK-NOT: norm.
func.func @batch_norm_inference_sigmoid_bf16(%x: memref<4x24x9x9xbf16>,
    %m: memref<24xbf16>, %v: memref<24xbf16>, %w: memref<24xbf16>,
    %b: memref<24xbf16>, %y: memref<4x24x9x9xbf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x24x9x9xbf16> to tensor<4x24x9x9xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<24xbf16> to tensor<24xbf16>
  %vt = bufferization.to_tensor %v restrict : memref<24xbf16> to tensor<24xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<24xbf16> to tensor<24xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<24xbf16> to tensor<24xbf16>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<24xbf16>) var(%vt : tensor<24xbf16>)
      weight(%wt : tensor<24xbf16>) bias(%bt : tensor<24xbf16>)
      activation = sigmoid : tensor<4x24x9x9xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x24x9x9xbf16>, memref<4x24x9x9xbf16>) -> ()
  return
}

// MobileNetV3's BatchNorm + hardswish: (x + 3) * (1/6) clamped by selects,
// no libdevice call.
// CHECK-LABEL: func.func @batch_norm_inference_hardswish_f16(
// CHECK: gpu.launch
// CHECK-DAG: arith.constant 3.000000e+00 : f32
// CHECK-DAG: arith.constant 0.166666672 : f32
// CHECK: arith.select
// CHECK-NOT: norm.
func.func @batch_norm_inference_hardswish_f16(%x: memref<4x24x9x9xf16>,
    %m: memref<24xf16>, %v: memref<24xf16>, %w: memref<24xf16>,
    %b: memref<24xf16>, %y: memref<4x24x9x9xf16>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<4x24x9x9xf16> to tensor<4x24x9x9xf16>
  %mt = bufferization.to_tensor %m restrict : memref<24xf16> to tensor<24xf16>
  %vt = bufferization.to_tensor %v restrict : memref<24xf16> to tensor<24xf16>
  %wt = bufferization.to_tensor %w restrict : memref<24xf16> to tensor<24xf16>
  %bt = bufferization.to_tensor %b restrict : memref<24xf16> to tensor<24xf16>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<24xf16>) var(%vt : tensor<24xf16>)
      weight(%wt : tensor<24xf16>) bias(%bt : tensor<24xf16>)
      activation = hardswish : tensor<4x24x9x9xf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x24x9x9xf16>, memref<4x24x9x9xf16>) -> ()
  return
}

// Mish: one exp and a division (n / (n + 2)), computed in f32.
// CHECK-LABEL: func.func @rms_norm_bf16_1024_mish(
// CHECK: gpu.launch
// CHECK: math.exp
// CHECK: arith.divf
// CHECK-NOT: norm.
func.func @rms_norm_bf16_1024_mish(%x: memref<?x1024xbf16>, %w: memref<1024xbf16>,
    %y: memref<?x1024xbf16>) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?x1024xbf16> to tensor<?x1024xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<1024xbf16> to tensor<1024xbf16>
  %r = norm.rms_norm %xt weight(%wt : tensor<1024xbf16>) axes = [1]
      activation = mish : tensor<?x1024xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x1024xbf16>, memref<?x1024xbf16>) -> ()
  return
}

// CHECK-LABEL: func.func @layer_norm_grad_f32_512_gelu_tanh(
// CHECK: gpu.launch async
// CHECK: math.tanh
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: norm.
func.func @layer_norm_grad_f32_512_gelu_tanh(%dy: memref<?x512xf32>,
    %x: memref<?x512xf32>, %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>,
    %w: memref<512xf32>, %b: memref<512xf32>, %dx: memref<?x512xf32>,
    %dw: memref<512xf32>, %db: memref<512xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x512xf32> to tensor<?x512xf32>
  %xt = bufferization.to_tensor %x restrict : memref<?x512xf32> to tensor<?x512xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<512xf32> to tensor<512xf32>
  %bt = bufferization.to_tensor %b restrict : memref<512xf32> to tensor<512xf32>
  %gx, %gw, %gb = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<512xf32>)
      bias(%bt : tensor<512xf32>) axes = [1] activation = gelu_tanh
      : tensor<?x512xf32> grad_weight(tensor<512xf32>) grad_bias(tensor<512xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x512xf32>, memref<?x512xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<512xf32>, memref<512xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<512xf32>, memref<512xf32>) -> ()
  return
}

// The micro-batch form of InPlace-ABN's backward (gradient accumulation, or
// InPlace-ABN Sync after the all-reduce): grad_input from the whole batch's
// sums and count, grad_bias this part's own sum.
// CHECK-LABEL: func.func @inplace_abn_grad_micro_batch_nhwc_f32(
// CHECK-COUNT-3: gpu.launch async
// CHECK-NOT: norm.
func.func @inplace_abn_grad_micro_batch_nhwc_f32(%dy: memref<4x6x6x32xf32>,
    %y: memref<4x6x6x32xf32>, %rstd: memref<32xf32>, %w: memref<32xf32>,
    %b: memref<32xf32>, %sd: memref<32xf32>, %sdx: memref<32xf32>,
    %n: memref<f32>, %dx: memref<4x6x6x32xf32>, %db: memref<32xf32>)
    attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x6x6x32xf32> to tensor<4x6x6x32xf32>
  %yt = bufferization.to_tensor %y restrict : memref<4x6x6x32xf32> to tensor<4x6x6x32xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<32xf32> to tensor<32xf32>
  %wt = bufferization.to_tensor %w restrict : memref<32xf32> to tensor<32xf32>
  %bt = bufferization.to_tensor %b restrict : memref<32xf32> to tensor<32xf32>
  %sdt = bufferization.to_tensor %sd restrict : memref<32xf32> to tensor<32xf32>
  %sdxt = bufferization.to_tensor %sdx restrict : memref<32xf32> to tensor<32xf32>
  %nt = bufferization.to_tensor %n restrict : memref<f32> to tensor<f32>
  %gx, %gb = norm.inplace_abn_grad %dyt, %yt rstd(%rt : tensor<32xf32>)
      weight(%wt : tensor<32xf32>) bias(%bt : tensor<32xf32>)
      batch_grad_sums(%sdt, %sdxt : tensor<32xf32>, tensor<32xf32>)
      count(%nt : tensor<f32>) feature_axis = 3
      activation = leaky_relu(0.1) : tensor<4x6x6x32xf32>
      grad_bias(tensor<32xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x6x6x32xf32>, memref<4x6x6x32xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<32xf32>, memref<32xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @inplace_abn_grad_elu_nhwc_f32(
// CHECK-COUNT-3: gpu.launch async
// CHECK: math.log1p
// CHECK-NOT: norm.
func.func @inplace_abn_grad_elu_nhwc_f32(%dy: memref<4x6x6x32xf32>,
    %y: memref<4x6x6x32xf32>, %rstd: memref<32xf32>, %w: memref<32xf32>,
    %b: memref<32xf32>, %dx: memref<4x6x6x32xf32>, %dw: memref<32xf32>,
    %db: memref<32xf32>) attributes {llvm.emit_c_interface} {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x6x6x32xf32> to tensor<4x6x6x32xf32>
  %yt = bufferization.to_tensor %y restrict : memref<4x6x6x32xf32> to tensor<4x6x6x32xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<32xf32> to tensor<32xf32>
  %wt = bufferization.to_tensor %w restrict : memref<32xf32> to tensor<32xf32>
  %bt = bufferization.to_tensor %b restrict : memref<32xf32> to tensor<32xf32>
  %gx, %gw, %gb = norm.inplace_abn_grad %dyt, %yt rstd(%rt : tensor<32xf32>)
      weight(%wt : tensor<32xf32>) bias(%bt : tensor<32xf32>) feature_axis = 3
      activation = elu(0.5) : tensor<4x6x6x32xf32>
      grad_weight(tensor<32xf32>) grad_bias(tensor<32xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x6x6x32xf32>, memref<4x6x6x32xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<32xf32>, memref<32xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<32xf32>, memref<32xf32>) -> ()
  return
}
