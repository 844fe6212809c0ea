// RUN: norm-opt %s --split-input-file --norm-check-memref-layouts -verify-diagnostics

// A group norm on a buffer with a permuting affine layout: One-Shot
// Bufferize of the channel groups' expand_shape crashed upstream MLIR on
// it (found by fuzzing); the CPU pipeline now stops here, at the argument.
// expected-error @+1 {{argument #0 of @group_norm_affine_layout has type 'memref<2x32x8x8xf32, affine_map<(d0, d1, d2, d3) -> (d3, d2, d1, d0)>>', whose layout is not strided}}
func.func @group_norm_affine_layout(%x: memref<2x32x8x8xf32, affine_map<(d0, d1, d2, d3) -> (d3, d2, d1, d0)>>, %y: memref<2x32x8x8xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x32x8x8xf32, affine_map<(d0, d1, d2, d3) -> (d3, d2, d1, d0)>> to tensor<2x32x8x8xf32>
  %r = norm.group_norm %xt groups = 8 : tensor<2x32x8x8xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x32x8x8xf32>, memref<2x32x8x8xf32>) -> ()
  return
}

// -----

// A buffer made inside the function: reported at the op that reads it.
func.func @local_affine_layout(%y: memref<4x4xf32>) {
  %m = memref.alloc() : memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>
  // expected-error @+1 {{the buffer of bufferization.to_tensor has type 'memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>>', whose layout is not strided}}
  %t = bufferization.to_tensor %m restrict : memref<4x4xf32, affine_map<(d0, d1) -> (d1, d0)>> to tensor<4x4xf32>
  bufferization.materialize_in_destination %t in restrict writable %y
      : (tensor<4x4xf32>, memref<4x4xf32>) -> ()
  return
}

// -----

// Strided layouts, permuted or with a dynamic offset, and affine maps that
// strides describe, pass.
func.func @strided_layouts(%x: memref<2x32x8x8xf32, strided<[1, 2, 64, 512]>>,
                           %y: memref<2x32x8x8xf32, strided<[2048, 64, 8, 1], offset: ?>>,
                           %z: memref<4x4xf32, affine_map<(d0, d1) -> (d0 * 8 + d1 + 2)>>) {
  return
}
