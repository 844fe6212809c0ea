// RUN: norm-opt %s --norm-fuse-qk-norm --split-input-file | FileCheck %s

// Scores of one head batch, k transposed by the contraction's indexing maps.
// CHECK-LABEL: func.func @scores_transposed_maps
// CHECK-SAME: (%[[Q:.*]]: tensor<8x16x32xf32>, %[[K:.*]]: tensor<8x16x32xf32>, %[[GQ:.*]]: tensor<32xf32>, %[[GK:.*]]: tensor<32xf32>)
// CHECK: %{{.*}}, %[[RQ:.*]] = norm.rms_norm %[[Q]] weight(%[[GQ]] : tensor<32xf32>) {{.*}}rstd(tensor<8x16x1xf32>)
// CHECK: %{{.*}}, %[[RK:.*]] = norm.rms_norm %[[K]] weight(%[[GK]] : tensor<32xf32>) {{.*}}rstd(tensor<8x16x1xf32>)
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[Q]], %[[K]], %[[GQ]], %[[GK]] :
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[OUT:.*]] = linalg.generic
// CHECK-SAME: ins(%[[ACC]], %[[RQ]], %[[RK]], %{{.*}} : tensor<8x16x16xf32>, tensor<8x16x1xf32>, tensor<8x16x1xf32>, tensor<8x16x16xf32>)
// CHECK-NOT: linalg.batch_matmul
// CHECK: return %[[OUT]]
func.func @scores_transposed_maps(%q: tensor<8x16x32xf32>, %k: tensor<8x16x32xf32>,
                                  %gq: tensor<32xf32>, %gk: tensor<32xf32>) -> tensor<8x16x16xf32> {
  %qn = norm.rms_norm %q weight(%gq : tensor<32xf32>) axes = [2] epsilon = 1.0e-06 : tensor<8x16x32xf32>
  %kn = norm.rms_norm %k weight(%gk : tensor<32xf32>) axes = [2] epsilon = 1.0e-06 : tensor<8x16x32xf32>
  %e = tensor.empty() : tensor<8x16x16xf32>
  %c0 = arith.constant 0.0 : f32
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %s = linalg.batch_matmul
      indexing_maps = [affine_map<(b, i, j, d) -> (b, i, d)>,
                       affine_map<(b, i, j, d) -> (b, j, d)>,
                       affine_map<(b, i, j, d) -> (b, i, j)>]
      ins(%qn, %kn : tensor<8x16x32xf32>, tensor<8x16x32xf32>)
      outs(%z : tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  return %s : tensor<8x16x16xf32>
}

// -----

// k transposed by a linalg.transpose (torch's `k.transpose(-1, -2)`), the
// normalizations without weights, Gemma's weight_offset on q. The transpose
// now carries the raw k, and its statistics are transposed the same way.
// CHECK-LABEL: func.func @scores_explicit_transpose
// CHECK-SAME: (%[[Q:.*]]: tensor<4x8xf32>, %[[K:.*]]: tensor<6x8xf32>, %[[GQ:.*]]: tensor<8xf32>, %[[ACC:.*]]: tensor<4x6xf32>)
// CHECK: %{{.*}}, %[[RQ:.*]] = norm.rms_norm %[[Q]]
// CHECK: %{{.*}}, %[[RK:.*]] = norm.rms_norm %[[K]] axes = [1] : tensor<6x8xf32> rstd(tensor<6x1xf32>)
// CHECK: %[[RKT:.*]] = linalg.transpose ins(%[[RK]] : tensor<6x1xf32>) outs(%{{.*}} : tensor<1x6xf32>) permutation = [1, 0]
// CHECK: %[[KT:.*]] = linalg.transpose ins(%[[K]] : tensor<6x8xf32>) outs(%{{.*}} : tensor<8x6xf32>) permutation = [1, 0]
// CHECK: %[[S:.*]] = linalg.generic
// CHECK-SAME: ins(%[[Q]], %[[KT]], %[[GQ]] : tensor<4x8xf32>, tensor<8x6xf32>, tensor<8xf32>)
// CHECK: arith.constant 1.000000e+00 : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[S]], %[[RQ]], %[[RKT]], %[[ACC]] : tensor<4x6xf32>, tensor<4x1xf32>, tensor<1x6xf32>, tensor<4x6xf32>)
// CHECK-NOT: linalg.matmul
func.func @scores_explicit_transpose(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %gq: tensor<8xf32>,
                                     %acc: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %qn = norm.rms_norm %q weight(%gq : tensor<8xf32>) axes = [1] weight_offset = 1.0 : tensor<4x8xf32>
  %kn = norm.rms_norm %k axes = [1] : tensor<6x8xf32>
  %e = tensor.empty() : tensor<8x6xf32>
  %kt = linalg.transpose ins(%kn : tensor<6x8xf32>) outs(%e : tensor<8x6xf32>) permutation = [1, 0]
  %s = linalg.matmul ins(%qn, %kt : tensor<4x8xf32>, tensor<8x6xf32>)
                     outs(%acc : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// -----

// The form torch-mlir emits: per-head norms on [b, s, h, d], transposes to
// [b, h, s, d] (k to [b, h, d, s]) and collapses to the batch_matmul's
// [b*h, ...] operands. The chains are kept on the raw q and k and replayed
// on the statistics.
// CHECK-LABEL: func.func @torch_mlir_chain
// CHECK: %{{.*}}, %[[RQ:.*]] = norm.rms_norm %arg0 {{.*}}rstd(tensor<1x8x4x1xf32>)
// CHECK: %[[RQT:.*]] = linalg.transpose ins(%[[RQ]] : tensor<1x8x4x1xf32>) outs(%{{.*}} : tensor<1x4x8x1xf32>) permutation = [0, 2, 1, 3]
// CHECK: %[[RQC:.*]] = tensor.collapse_shape %[[RQT]] {{\[\[}}0, 1], [2], [3]] : tensor<1x4x8x1xf32> into tensor<4x8x1xf32>
// CHECK: %{{.*}}, %[[RK:.*]] = norm.rms_norm %arg1 {{.*}}rstd(tensor<1x8x4x1xf32>)
// CHECK: %[[RKT:.*]] = linalg.transpose ins(%[[RK]] : tensor<1x8x4x1xf32>) outs(%{{.*}} : tensor<1x4x1x8xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[RKC:.*]] = tensor.collapse_shape %[[RKT]] {{\[\[}}0, 1], [2], [3]] : tensor<1x4x1x8xf32> into tensor<4x1x8xf32>
// CHECK: linalg.transpose ins(%arg0 :
// CHECK: linalg.transpose ins(%arg1 :
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[QMAP:.*]], #[[KMAP:.*]], #{{.*}}, #{{.*}}]
// CHECK-SAME: ins(%[[ACC]], %[[RQC]], %[[RKC]], %{{.*}} : tensor<4x8x8xf32>, tensor<4x8x1xf32>, tensor<4x1x8xf32>, tensor<4x8x8xf32>)
// CHECK-NOT: linalg.batch_matmul
func.func @torch_mlir_chain(%q: tensor<1x8x4x16xf32>, %k: tensor<1x8x4x16xf32>,
                            %gq: tensor<16xf32>, %gk: tensor<16xf32>) -> tensor<4x8x8xf32> {
  %qn = norm.rms_norm %q weight(%gq : tensor<16xf32>) axes = [3] : tensor<1x8x4x16xf32>
  %kn = norm.rms_norm %k weight(%gk : tensor<16xf32>) axes = [3] : tensor<1x8x4x16xf32>
  %e0 = tensor.empty() : tensor<1x4x8x16xf32>
  %qt = linalg.transpose ins(%qn : tensor<1x8x4x16xf32>) outs(%e0 : tensor<1x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %e1 = tensor.empty() : tensor<1x4x16x8xf32>
  %kt = linalg.transpose ins(%kn : tensor<1x8x4x16xf32>) outs(%e1 : tensor<1x4x16x8xf32>) permutation = [0, 2, 3, 1]
  %qc = tensor.collapse_shape %qt [[0, 1], [2], [3]] : tensor<1x4x8x16xf32> into tensor<4x8x16xf32>
  %kc = tensor.collapse_shape %kt [[0, 1], [2], [3]] : tensor<1x4x16x8xf32> into tensor<4x16x8xf32>
  %e2 = tensor.empty() : tensor<4x8x8xf32>
  %c0 = arith.constant 0.0 : f32
  %z = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %s = linalg.batch_matmul ins(%qc, %kc : tensor<4x8x16xf32>, tensor<4x16x8xf32>)
                           outs(%z : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  return %s : tensor<4x8x8xf32>
}

// -----

// A reshape that merges the normalized axis with another one: the norm's
// rows are no longer rows of the contraction.
// CHECK-LABEL: func.func @merged_axis
// CHECK: linalg.matmul
func.func @merged_axis(%q: tensor<4x2x8xf32>, %k: tensor<6x16xf32>, %z: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %qn = norm.rms_norm %q axes = [2] : tensor<4x2x8xf32>
  %kn = norm.rms_norm %k axes = [1] : tensor<6x16xf32>
  %qc = tensor.collapse_shape %qn [[0], [1, 2]] : tensor<4x2x8xf32> into tensor<4x16xf32>
  %s = linalg.matmul
      indexing_maps = [affine_map<(i, j, d) -> (i, d)>, affine_map<(i, j, d) -> (j, d)>,
                       affine_map<(i, j, d) -> (i, j)>]
      ins(%qc, %kn : tensor<4x16xf32>, tensor<6x16xf32>)
      outs(%z : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// -----

// A normalized q with another use (e.g. returned) must stay materialized.
// CHECK-LABEL: func.func @extra_use
// CHECK: linalg.batch_matmul
func.func @extra_use(%q: tensor<2x4x8xf32>, %k: tensor<2x4x8xf32>, %z: tensor<2x4x4xf32>)
    -> (tensor<2x4x4xf32>, tensor<2x4x8xf32>) {
  %qn = norm.rms_norm %q axes = [2] : tensor<2x4x8xf32>
  %kn = norm.rms_norm %k axes = [2] : tensor<2x4x8xf32>
  %s = linalg.batch_matmul
      indexing_maps = [affine_map<(b, i, j, d) -> (b, i, d)>,
                       affine_map<(b, i, j, d) -> (b, j, d)>,
                       affine_map<(b, i, j, d) -> (b, i, j)>]
      ins(%qn, %kn : tensor<2x4x8xf32>, tensor<2x4x8xf32>)
      outs(%z : tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  return %s, %qn : tensor<2x4x4xf32>, tensor<2x4x8xf32>
}

// -----

// The normalized axis is not the contracted one: not QK-norm.
// CHECK-LABEL: func.func @wrong_axis
// CHECK: linalg.matmul
func.func @wrong_axis(%q: tensor<4x8xf32>, %k: tensor<8x6xf32>, %z: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %qn = norm.rms_norm %q axes = [1] : tensor<4x8xf32>
  %kn = norm.rms_norm %k axes = [1] : tensor<8x6xf32>
  %s = linalg.matmul ins(%qn, %kn : tensor<4x8xf32>, tensor<8x6xf32>)
                     outs(%z : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// -----

// Only one side normalized (plain pre-norm attention): left for FlashNorm.
// CHECK-LABEL: func.func @one_side
// CHECK: linalg.matmul
func.func @one_side(%q: tensor<4x8xf32>, %k: tensor<8x6xf32>, %z: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %qn = norm.rms_norm %q axes = [1] : tensor<4x8xf32>
  %s = linalg.matmul ins(%qn, %k : tensor<4x8xf32>, tensor<8x6xf32>)
                     outs(%z : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}

// -----

// bf16: moving the weights into the contraction would change rounding.
// CHECK-LABEL: func.func @bf16
// CHECK: linalg.batch_matmul
func.func @bf16(%q: tensor<2x4x8xbf16>, %k: tensor<2x4x8xbf16>, %z: tensor<2x4x4xbf16>) -> tensor<2x4x4xbf16> {
  %qn = norm.rms_norm %q axes = [2] : tensor<2x4x8xbf16>
  %kn = norm.rms_norm %k axes = [2] : tensor<2x4x8xbf16>
  %s = linalg.batch_matmul
      indexing_maps = [affine_map<(b, i, j, d) -> (b, i, d)>,
                       affine_map<(b, i, j, d) -> (b, j, d)>,
                       affine_map<(b, i, j, d) -> (b, i, j)>]
      ins(%qn, %kn : tensor<2x4x8xbf16>, tensor<2x4x8xbf16>)
      outs(%z : tensor<2x4x4xbf16>) -> tensor<2x4x4xbf16>
  return %s : tensor<2x4x4xbf16>
}

// -----

// An activation after the norm is not a row scaling.
// CHECK-LABEL: func.func @activation
// CHECK: linalg.matmul
func.func @activation(%q: tensor<4x8xf32>, %k: tensor<6x8xf32>, %z: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %qn = norm.rms_norm %q axes = [1] activation = relu : tensor<4x8xf32>
  %kn = norm.rms_norm %k axes = [1] : tensor<6x8xf32>
  %s = linalg.matmul
      indexing_maps = [affine_map<(i, j, d) -> (i, d)>, affine_map<(i, j, d) -> (j, d)>,
                       affine_map<(i, j, d) -> (i, j)>]
      ins(%qn, %kn : tensor<4x8xf32>, tensor<6x8xf32>)
      outs(%z : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %s : tensor<4x6xf32>
}
