// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file --verify-roundtrip

// A conv weight normalized along dim 0: W is the weight collapsed to
// [64, 27]; the power iterations are an scf.for carrying u and v, each
// v = normalize(W^T u), u = normalize(W v) written into the carried tensors;
// sigma = sum u[m] W[m, k] v[k]; output = weight / sigma.

// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[MAT:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[M:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[K:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[S1:.*]] = affine_map<(d0) -> ()>
// CHECK-DAG: #[[S2:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-DAG: #[[W4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[S4:.*]] = affine_map<(d0, d1, d2, d3) -> ()>
// CHECK-LABEL: func.func @spectral_norm_conv_f32(
// CHECK-SAME: %[[W:.*]]: tensor<64x3x3x3xf32>, %[[U:.*]]: tensor<64xf32>)
// CHECK: %[[WM:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<64x3x3x3xf32> into tensor<64x27xf32>
//   The loop carries a copy of u: it is updated in place.
// CHECK: %[[U0:.*]] = bufferization.alloc_tensor() copy(%[[U]]) : tensor<64xf32>
// CHECK: %[[V0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<27xf32>)
// CHECK-DAG: %[[LB:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[UB:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[STEP:.*]] = arith.constant 1 : index
// CHECK: %[[LOOP:.*]]:2 = scf.for %{{.*}} = %[[LB]] to %[[UB]] step %[[STEP]] iter_args(%[[UI:.*]] = %[[U0]], %[[VI:.*]] = %[[V0]]) -> (tensor<64xf32>, tensor<27xf32>)
//   v = normalize(W^T u)
// CHECK: %[[WTU:.*]] = linalg.generic {indexing_maps = [#[[MAT]], #[[M]], #[[K]]], iterator_types = ["reduction", "parallel"]} ins(%[[WM]], %[[UI]] : tensor<64x27xf32>, tensor<64xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[N1:.*]] = linalg.generic {indexing_maps = [#[[VEC]], #[[S1]]], iterator_types = ["reduction"]} ins(%[[WTU]] : tensor<27xf32>)
// CHECK: %[[V:.*]] = linalg.generic {indexing_maps = [#[[VEC]], #[[S1]], #[[VEC]]], iterator_types = ["parallel"]} ins(%[[WTU]], %[[N1]] : tensor<27xf32>, tensor<f32>) outs(%[[VI]] : tensor<27xf32>)
// CHECK: %[[NRM:.*]] = math.sqrt
// CHECK: %[[EPS:.*]] = arith.constant 9.99999996E-13 : f32
// CHECK: %[[DEN:.*]] = arith.maximumf %[[NRM]], %[[EPS]] : f32
// CHECK: arith.divf %{{.*}}, %[[DEN]] : f32
//   u = normalize(W v)
// CHECK: %[[WV:.*]] = linalg.generic {indexing_maps = [#[[MAT]], #[[K]], #[[M]]], iterator_types = ["parallel", "reduction"]} ins(%[[WM]], %[[V]] : tensor<64x27xf32>, tensor<27xf32>)
// CHECK: %[[N2:.*]] = linalg.generic {{.*}} ins(%[[WV]] : tensor<64xf32>)
// CHECK: %[[UN:.*]] = linalg.generic {{.*}} ins(%[[WV]], %[[N2]] : tensor<64xf32>, tensor<f32>) outs(%[[UI]] : tensor<64xf32>)
// CHECK: scf.yield %[[UN]], %[[V]] : tensor<64xf32>, tensor<27xf32>
// CHECK: %[[SIGMA:.*]] = linalg.generic {indexing_maps = [#[[MAT]], #[[M]], #[[K]], #[[S2]]], iterator_types = ["reduction", "reduction"]} ins(%[[WM]], %[[LOOP]]#0, %[[LOOP]]#1 : tensor<64x27xf32>, tensor<64xf32>, tensor<27xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: ^bb0(%[[WE:.*]]: f32, %[[UE:.*]]: f32, %[[VE:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[WE]], %[[VE]] : f32
// CHECK-NEXT: %[[Q:.*]] = arith.mulf %[[UE]], %[[P]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[Q]] : f32
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [#[[W4]], #[[S4]], #[[W4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[W]], %[[SIGMA]] : tensor<64x3x3x3xf32>, tensor<f32>)
// CHECK: arith.divf
// CHECK: return %[[OUT]], %[[LOOP]]#0, %[[SIGMA]] : tensor<64x3x3x3xf32>, tensor<64xf32>, tensor<f32>
func.func @spectral_norm_conv_f32(%w: tensor<64x3x3x3xf32>, %u: tensor<64xf32>) -> (tensor<64x3x3x3xf32>, tensor<64xf32>, tensor<f32>) {
  %wn, %u2, %s = norm.spectral_norm %w, %u power_iterations = 2 : tensor<64x3x3x3xf32>, tensor<64xf32> -> tensor<f32>
  return %wn, %u2, %s : tensor<64x3x3x3xf32>, tensor<64xf32>, tensor<f32>
}

// -----

// dim = 1 on a dynamic f16 matrix: a linalg.transpose first (no collapse for
// rank 2); u is extended to f32 and carried in f32, sigma is f32, the output
// and new_u are truncated back to f16.

// CHECK-LABEL: func.func @spectral_norm_dim1_dynamic_f16(
// CHECK-SAME: %[[W:.*]]: tensor<?x?xf16>, %[[U:.*]]: tensor<?xf16>)
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[W]], %c0
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[W]], %c1
// CHECK: %[[E:.*]] = tensor.empty(%[[D1]], %[[D0]]) : tensor<?x?xf16>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[W]] : tensor<?x?xf16>) outs(%[[E]] : tensor<?x?xf16>) permutation = [1, 0]
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[U32:.*]] = linalg.generic {{.*}} ins(%[[U]] : tensor<?xf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: %[[LOOP:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[U32]], %{{.*}} = %{{.*}}) -> (tensor<?xf32>, tensor<?xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[T]], %{{.*}} : tensor<?x?xf16>, tensor<?xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: scf.yield
// CHECK: %[[SIGMA:.*]] = linalg.generic {{.*}} ins(%[[T]], %[[LOOP]]#0, %[[LOOP]]#1 : tensor<?x?xf16>, tensor<?xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[W]], %[[SIGMA]] : tensor<?x?xf16>, tensor<f32>) outs(%{{.*}} : tensor<?x?xf16>)
// CHECK: arith.extf
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: %[[NEWU:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#0 : tensor<?xf32>) outs(%{{.*}} : tensor<?xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: return %[[OUT]], %[[NEWU]], %[[SIGMA]] : tensor<?x?xf16>, tensor<?xf16>, tensor<f32>
func.func @spectral_norm_dim1_dynamic_f16(%w: tensor<?x?xf16>, %u: tensor<?xf16>) -> (tensor<?x?xf16>, tensor<?xf16>, tensor<f32>) {
  %wn, %u2, %s = norm.spectral_norm %w, %u dim = 1 : tensor<?x?xf16>, tensor<?xf16> -> tensor<f32>
  return %wn, %u2, %s : tensor<?x?xf16>, tensor<?xf16>, tensor<f32>
}

// -----

// dim = 2 of a rank-3 weight: transpose [2, 0, 1], then collapse to [4, 6].

// CHECK-LABEL: func.func @spectral_norm_dim2(
// CHECK-SAME: %[[W:.*]]: tensor<2x3x4xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[W]] : tensor<2x3x4xf32>) outs(%{{.*}} : tensor<4x2x3xf32>) permutation = [2, 0, 1]
// CHECK: tensor.collapse_shape %[[T]] {{\[}}[0], [1, 2]] : tensor<4x2x3xf32> into tensor<4x6xf32>
// CHECK: scf.for
func.func @spectral_norm_dim2(%w: tensor<2x3x4xf32>, %u: tensor<4xf32>) -> (tensor<2x3x4xf32>, tensor<4xf32>, tensor<f32>) {
  %wn, %u2, %s = norm.spectral_norm %w, %u dim = 2 epsilon = 1.0e-06 : tensor<2x3x4xf32>, tensor<4xf32> -> tensor<f32>
  return %wn, %u2, %s : tensor<2x3x4xf32>, tensor<4xf32>, tensor<f32>
}

// -----

// A rank-1 weight is the matrix [M, 1]; a dynamic u is cast to the static
// row count.

// CHECK-LABEL: func.func @spectral_norm_rank1(
// CHECK-SAME: %[[W:.*]]: tensor<8xbf16>, %[[U:.*]]: tensor<?xbf16>)
// CHECK: tensor.expand_shape %[[W]] {{\[}}[0, 1]] output_shape [8, 1] : tensor<8xbf16> into tensor<8x1xbf16>
// CHECK: linalg.generic {{.*}} ins(%[[U]] : tensor<?xbf16>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: %[[LOOP:.*]]:2 = scf.for
// CHECK: %[[NEWU:.*]] = linalg.generic {{.*}} ins(%[[LOOP]]#0 : tensor<8xf32>) outs(%{{.*}} : tensor<8xbf16>)
// CHECK: %[[CAST:.*]] = tensor.cast %[[NEWU]] : tensor<8xbf16> to tensor<?xbf16>
// CHECK: return %{{.*}}, %[[CAST]], %{{.*}} : tensor<8xbf16>, tensor<?xbf16>, tensor<f32>
func.func @spectral_norm_rank1(%w: tensor<8xbf16>, %u: tensor<?xbf16>) -> (tensor<8xbf16>, tensor<?xbf16>, tensor<f32>) {
  %wn, %u2, %s = norm.spectral_norm %w, %u : tensor<8xbf16>, tensor<?xbf16> -> tensor<f32>
  return %wn, %u2, %s : tensor<8xbf16>, tensor<?xbf16>, tensor<f32>
}
