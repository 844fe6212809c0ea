// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file | FileCheck %s

// Statistics per channel of an NCHW image batch: vectors of 4 pixels share
// a channel, (element / (H * W)) % C; 16 x 4 x 6 x 6 f32 = 576 vectors,
// one block of 256 threads x 4 vectors, the last 448 masked.
// CHECK-LABEL: func.func @image_nchw(
// CHECK-DAG: %[[X:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : memref<16x4x6x6xf32> into memref<2304xf32>
// CHECK-DAG: %[[Y:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3]] : memref<16x4x6x6xf32> into memref<2304xf32>
// CHECK: %[[NV:.*]] = arith.divui %{{.*}}, %c4
// CHECK: %[[GRID:.*]] = arith.ceildivui %[[NV]], %c1024
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads({{.*}}) in ({{.*}} = %c256,
// CHECK: %[[OK:.*]] = arith.cmpi ult, %{{.*}}, %[[NV]]
// CHECK: scf.if %[[OK]] -> (vector<4xf32>)
// CHECK: vector.load %[[X]]
// CHECK-COUNT-3: vector.load %[[X]]
// CHECK: arith.minui
// CHECK: arith.divui %{{.*}}, %c36
// CHECK: arith.remui %{{.*}}, %c4
// CHECK: memref.load %{{.*}} : memref<4xf32>
// CHECK: memref.load %{{.*}} : memref<4xf32>
// CHECK: arith.mulf
// CHECK: arith.subf
// CHECK: arith.divf
// CHECK: scf.if %[[OK]] {
// CHECK: vector.store %{{.*}}, %[[Y]]
// CHECK-NOT: norm.image_normalize
func.func @image_nchw(%x: memref<16x4x6x6xf32>, %m: memref<4xf32>,
    %s: memref<4xf32>, %y: memref<16x4x6x6xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<16x4x6x6xf32> to tensor<16x4x6x6xf32>
  %mt = bufferization.to_tensor %m restrict : memref<4xf32> to tensor<4xf32>
  %st = bufferization.to_tensor %s restrict : memref<4xf32> to tensor<4xf32>
  %r = norm.image_normalize %xt, %mt, %st scale = 2.0
      : tensor<16x4x6x6xf32>, tensor<4xf32> -> tensor<16x4x6x6xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<16x4x6x6xf32>, memref<16x4x6x6xf32>) -> ()
  return
}

// -----

// Features last: a vector of 4 features (vector loads of the statistics);
// a zero std divides by 1. 256 x 1024 vectors: no mask.
// CHECK-LABEL: func.func @standardize_features_last(
// CHECK: gpu.launch
// CHECK-NOT: arith.cmpi ult
// CHECK: arith.remui %{{.*}}, %c64
// CHECK: vector.load %{{.*}} : memref<64xf32>, vector<4xf32>
// CHECK: vector.load %{{.*}} : memref<64xf32>, vector<4xf32>
// CHECK: arith.cmpf oeq
// CHECK: arith.select
// CHECK: arith.divf
func.func @standardize_features_last(%x: memref<4096x64xf32>, %m: memref<64xf32>,
    %s: memref<64xf32>, %y: memref<4096x64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4096x64xf32> to tensor<4096x64xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %st = bufferization.to_tensor %s restrict : memref<64xf32> to tensor<64xf32>
  %r = norm.standardize %xt, %mt, %st axes = [0] : tensor<4096x64xf32>, tensor<64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4096x64xf32>, memref<4096x64xf32>) -> ()
  return
}

// -----

// A 1-D input with scalar statistics, dynamic length: scalar accesses,
// no launch for an empty input.
// CHECK-LABEL: func.func @min_max_scalar(
// CHECK: memref.expand_shape %{{.*}} [] output_shape [1] : memref<f32> into memref<1xf32>
// CHECK: %[[N:.*]] = memref.dim
// CHECK: %[[ANY:.*]] = arith.cmpi ugt, %[[N]], %c0
// CHECK: scf.if %[[ANY]] {
// CHECK: gpu.launch
// CHECK: vector.load {{.*}} vector<1xf32>
func.func @min_max_scalar(%x: memref<?xf32>, %lo: memref<f32>,
    %hi: memref<f32>, %y: memref<?xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %lt = bufferization.to_tensor %lo restrict : memref<f32> to tensor<f32>
  %ht = bufferization.to_tensor %hi restrict : memref<f32> to tensor<f32>
  %r = norm.min_max_scale %xt, %lt, %ht axes = [0] : tensor<?xf32>, tensor<f32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

// -----

// Fitting per-feature statistics of [4096, 64]: a thread a vector of 4
// features (16 bytes), 16 feature lanes x 16 row lanes, 1 feature tile x 256
// chunks of the 4096 rows (16 each); partial sums of d = x - x[0, f] and
// d * d in a workspace of 2 x 256 x 64 floats; a tree of 4 steps over the
// row lanes (4 pairs a thread); then a thread a feature.
// CHECK-LABEL: func.func @moments_features_last(
// CHECK-SAME: %[[X:[^:]*]]: memref<4096x64xf32>
// CHECK: %[[XV:.*]] = memref.collapse_shape %[[X]]
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[WS:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] (%{{.*}}) : memref<?xf32>
// CHECK: %[[GROUPS:.*]] = arith.divui %c64, %c4
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[GROUPS]], %c16
// CHECK: %[[T2:.*]] = gpu.launch async [%[[T1]]] blocks({{.*}}) in ({{.*}} = %[[TILES]], {{.*}} = %c256{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK-SAME: workgroup(%[[S0:.*]] : memref<1024xf32, #gpu.address_space<workgroup>>, %[[S1:.*]] : memref<1024xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: vector.load %[[XV]][%{{.*}}] {alignment = 16 : i64} : memref<262144xf32>, vector<4xf32>
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: memref.store %{{.*}}, %[[S0]]
// CHECK-COUNT-4: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: memref.store %{{.*}}, %[[WS]]
// CHECK: %[[T3:.*]] = gpu.launch async [%[[T2]]]
// CHECK: scf.for {{.*}} to %c256
// CHECK: arith.uitofp
// CHECK: math.sqrt
// CHECK: %[[T4:.*]] = gpu.dealloc async [%[[T3]]] %[[WS]]
// CHECK: gpu.wait [%[[T4]]]
func.func @moments_features_last(%x: memref<4096x64xf32>, %mean: memref<64xf32>,
    %std: memref<64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4096x64xf32> to tensor<4096x64xf32>
  %m, %s = norm.moments %xt axes = [0] : tensor<4096x64xf32> -> tensor<64xf32>
  bufferization.materialize_in_destination %m in restrict writable %mean
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %std
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// -----

// Statistics over the last axis of [10, 1000]: a block reduces one
// feature's chunk (256 row lanes, 8 steps); 10 x 4 blocks (chunks capped at
// 1000 / 256 rounded up).
// CHECK-LABEL: func.func @min_max_last_axis(
// CHECK: gpu.launch async {{.*}} in ({{.*}} = %{{.*}}, {{.*}} = %c4{{.*}}, {{.*}})
// CHECK: arith.minimumf
// CHECK: arith.maximumf
// CHECK-COUNT-8: gpu.barrier
// CHECK-NOT: gpu.barrier
// CHECK: gpu.launch async
func.func @min_max_last_axis(%x: memref<10x1000xf16>, %lo: memref<10xf16>,
    %hi: memref<10xf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<10x1000xf16> to tensor<10x1000xf16>
  %l, %h = norm.min_max %xt axes = [1] : tensor<10x1000xf16> -> tensor<10xf16>
  bufferization.materialize_in_destination %l in restrict writable %lo
      : (tensor<10xf16>, memref<10xf16>) -> ()
  bufferization.materialize_in_destination %h in restrict writable %hi
      : (tensor<10xf16>, memref<10xf16>) -> ()
  return
}

// -----

// Only the std is used: the kernels write it alone.
// CHECK-LABEL: func.func @moments_std_only(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
// CHECK: %[[STD:.*]] = math.sqrt
// CHECK-NEXT: memref.store %[[STD]], %arg1
// CHECK-NEXT: }
func.func @moments_std_only(%x: memref<100x8xf32>, %std: memref<8xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<100x8xf32> to tensor<100x8xf32>
  %m, %s = norm.moments %xt axes = [0] : tensor<100x8xf32> -> tensor<8xf32>
  bufferization.materialize_in_destination %s in restrict writable %std
      : (tensor<8xf32>, memref<8xf32>) -> ()
  return
}

// -----

// Spectral norm: the power iterations after the first are one host loop
// (not a copy of the kernels an iteration), whatever their count.
// CHECK-LABEL: func.func @spectral_norm_many_iterations(
// CHECK-COUNT-8: gpu.launch async
// CHECK: gpu.wait [
// CHECK: scf.for %{{.*}} = %c1{{.*}} to %c1000000{{.*}} step %c1
// CHECK-NEXT: gpu.wait async
// CHECK-COUNT-8: gpu.launch async
// CHECK: gpu.wait [
// CHECK-NEXT: }
// CHECK: gpu.launch async
// CHECK-NOT: gpu.launch
func.func @spectral_norm_many_iterations(%w: memref<8x12xf32>, %u: memref<8xf32>,
    %wn: memref<8x12xf32>) {
  %wt = bufferization.to_tensor %w restrict : memref<8x12xf32> to tensor<8x12xf32>
  %ut = bufferization.to_tensor %u restrict : memref<8xf32> to tensor<8xf32>
  %r:3 = norm.spectral_norm %wt, %ut power_iterations = 1000000
      : tensor<8x12xf32>, tensor<8xf32> -> tensor<f32>
  bufferization.materialize_in_destination %r#0 in restrict writable %wn
      : (tensor<8x12xf32>, memref<8x12xf32>) -> ()
  return
}
