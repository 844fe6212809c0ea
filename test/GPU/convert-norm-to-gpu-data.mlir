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
