// RUN: norm-opt %s --norm-fuse-bias --split-input-file | FileCheck %s

// Limits of norm-fuse-bias (see its description) not covered by
// norm-fuse-bias.mlir: the IR is left untouched.

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// The bias is f16 (extended in the payload), the result f32: not the
// result's element type.
// CHECK-LABEL: func @bias_other_type
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: linalg.generic
func.func @bias_other_type(%x: tensor<4x8xf32>, %b: tensor<8xf16>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n, %b : tensor<4x8xf32>, tensor<8xf16>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f16, %o: f32):
    %ce = arith.extf %c : f16 to f32
    %v = arith.addf %a, %ce : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A full-shape (non-broadcast) addend is no per-parameter bias.
// CHECK-LABEL: func @full_shape_addend
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: arith.addf
func.func @full_shape_addend(%x: tensor<4x8xf32>, %z: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %n = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %y = arith.addf %n, %z : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#last = affine_map<(d0, d1) -> (d1)>

// Dynamic shapes and bf16 are no limit: fused.
// CHECK-LABEL: func @dynamic_bf16
// CHECK: norm.layer_norm %{{.*}} bias(%{{.*}} : tensor<8xbf16>) axes = [1] : tensor<?x8xbf16>
// CHECK-NOT: linalg.generic
func.func @dynamic_bf16(%x: tensor<?x8xbf16>, %b: tensor<8xbf16>) -> tensor<?x8xbf16> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x8xbf16>
  %n = norm.layer_norm %x axes = [1] : tensor<?x8xbf16>
  %e = tensor.empty(%d) : tensor<?x8xbf16>
  %y = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n, %b : tensor<?x8xbf16>, tensor<8xbf16>) outs(%e : tensor<?x8xbf16>) {
  ^bb0(%a: bf16, %c: bf16, %o: bf16):
    %v = arith.addf %a, %c : bf16
    linalg.yield %v : bf16
  } -> tensor<?x8xbf16>
  return %y : tensor<?x8xbf16>
}
