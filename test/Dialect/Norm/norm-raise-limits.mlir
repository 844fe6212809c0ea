// RUN: norm-opt %s --norm-raise --split-input-file | FileCheck %s

// Limits of norm-raise (see its description) not covered by norm-raise.mlir:
// the decomposition is left as it is.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// An RMS norm over a dynamic axis whose count is written as the constant 3:
// it matches with the first probe sizes (the dynamic size bound to 3) but
// not with the second, so it is not raised (a dynamic row count is; see
// norm-raise.mlir's @dynamic_rows).
// CHECK-LABEL: func.func @count_constant_over_dynamic_axis
// CHECK-NOT: norm.rms_norm
// CHECK: linalg.generic
// CHECK: math.rsqrt
func.func @count_constant_over_dynamic_axis(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %c1 = arith.constant 1 : index
  %d = tensor.dim %x, %c1 : tensor<4x?xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x?xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty(%d) : tensor<4x?xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x?xf32>, tensor<4xf32>) outs(%ex : tensor<4x?xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 3.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x?xf32>
  return %y : tensor<4x?xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// A zero-sized dimension: the expression cannot be sampled, not raised.
// CHECK-LABEL: func.func @zero_rows
// CHECK-NOT: norm.rms_norm
// CHECK: math.rsqrt
func.func @zero_rows(%x: tensor<0x16xf32>) -> tensor<0x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<0xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<0xf32>) -> tensor<0xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<0x16xf32>) outs(%init : tensor<0xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<0xf32>
  %ex = tensor.empty() : tensor<0x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<0x16xf32>, tensor<0xf32>) outs(%ex : tensor<0x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<0x16xf32>
  return %y : tensor<0x16xf32>
}
