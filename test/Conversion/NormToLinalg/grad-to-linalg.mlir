// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file | FileCheck %s

// The lowering of the backward ops: sums over the normalized dimensions
// (two accumulators in one generic), the parameter sums, and the
// elementwise grad_input, computing in f32 for bf16 data.

// CHECK-LABEL: func.func @layer_norm_grad(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<8x16xbf16>, %[[X:[a-zA-Z0-9_]+]]: tensor<8x16xbf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<8x1xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<8x1xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// CHECK-DAG: %[[MC:.*]] = tensor.collapse_shape %[[M]] {{\[}}[0, 1]] : tensor<8x1xf32> into tensor<8xf32>
// CHECK-DAG: %[[RC:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0, 1]] : tensor<8x1xf32> into tensor<8xf32>
// Sum of dxhat and of dxhat * xhat over the normalized axis.
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[DY]], %[[X]], %[[MC]], %[[RC]], %[[W]] : {{.*}}) outs({{.*}} : tensor<8xf32>, tensor<8xf32>)
// CHECK: math.tanh
// CHECK: linalg.yield {{.*}} : f32, f32
// grad_weight: sum of dpre * xhat over the rows.
// CHECK: %[[DW:.*]] = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.*}} : tensor<16xf32>)
// grad_input.
// CHECK: %[[N:.*]] = arith.constant 1.600000e+01 : f32
// CHECK: %[[DX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[DY]], %[[X]], %[[MC]], %[[RC]], %[[W]], %[[SUMS]]#0, %[[SUMS]]#1 : {{.*}}) outs(%{{.*}} : tensor<8x16xbf16>)
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: return %[[DX]], %[[DW]]
func.func @layer_norm_grad(%dy: tensor<8x16xbf16>, %x: tensor<8x16xbf16>, %m: tensor<8x1xf32>, %r: tensor<8x1xf32>, %w: tensor<16xf32>) -> (tensor<8x16xbf16>, tensor<16xf32>) {
  %dx, %dw = norm.layer_norm_grad %dy, %x mean(%m : tensor<8x1xf32>) rstd(%r : tensor<8x1xf32>) weight(%w : tensor<16xf32>) axes = [1] activation = tanh : tensor<8x16xbf16> grad_weight(tensor<16xf32>)
  return %dx, %dw : tensor<8x16xbf16>, tensor<16xf32>
}

// -----

// Batch norm: the parameter sums are the normalized sums (one reduction
// generic serves grad_weight, grad_bias and grad_input).
// CHECK-LABEL: func.func @batch_norm_grad(
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel", "reduction"]}
// CHECK-NOT: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK: %[[DX:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins({{.*}}, %[[SUMS]]#0, %[[SUMS]]#1 : {{.*}})
// CHECK: return %[[DX]], %[[SUMS]]#1, %[[SUMS]]#0
func.func @batch_norm_grad(%dy: tensor<4x8x5xf32>, %x: tensor<4x8x5xf32>, %m: tensor<8xf32>, %r: tensor<8xf32>, %w: tensor<8xf32>) -> (tensor<4x8x5xf32>, tensor<8xf32>, tensor<8xf32>) {
  %dx, %dw, %db = norm.batch_norm_grad %dy, %x mean(%m : tensor<8xf32>) rstd(%r : tensor<8xf32>) weight(%w : tensor<8xf32>) : tensor<4x8x5xf32> grad_weight(tensor<8xf32>) grad_bias(tensor<8xf32>)
  return %dx, %dw, %db : tensor<4x8x5xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// inplace_abn_grad: x is recovered from y by inverting elu (log1p), and
// grad_input is written into grad_output's tensor (the init operand).
// CHECK-LABEL: func.func @inplace_abn_grad(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: tensor<4x8xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<4x8xf32>
// CHECK: math.log1p
// CHECK: %[[DX:.*]] = linalg.generic {{.*}} ins(%[[Y]], {{.*}} outs(%[[DY]] : tensor<4x8xf32>)
// CHECK: math.log1p
// CHECK: return %[[DX]]
func.func @inplace_abn_grad(%dy: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %dx = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<8xf32>) weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>) activation = elu : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @batch_stats_merge(
// CHECK-SAME: %[[NA:[a-zA-Z0-9_]+]]: tensor<f32>, %[[MA:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[QA:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[NB:[a-zA-Z0-9_]+]]: tensor<f32>, %[[MB:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[QB:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// CHECK-DAG: %[[A:.*]] = tensor.extract %[[NA]][]
// CHECK-DAG: %[[B:.*]] = tensor.extract %[[NB]][]
// CHECK: %[[N:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK: %[[RES:.*]]:3 = linalg.generic {{.*}} ins(%[[MA]], %[[QA]], %[[MB]], %[[QB]] : {{.*}})
// CHECK: %[[DELTA:.*]] = arith.subf %{{.*}}, %{{.*}} : f32
// CHECK: arith.mulf %[[DELTA]], %[[DELTA]] : f32
// CHECK: %[[COUNT:.*]] = tensor.from_elements %[[N]] : tensor<f32>
// CHECK: return %[[COUNT]], %[[RES]]#0, %[[RES]]#1, %[[RES]]#2
func.func @batch_stats_merge(%na: tensor<f32>, %ma: tensor<16xf32>, %qa: tensor<16xf32>, %nb: tensor<f32>, %mb: tensor<16xf32>, %qb: tensor<16xf32>) -> (tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %n, %m, %q, %v = norm.batch_stats_merge %na, %ma, %qa, %nb, %mb, %qb : tensor<f32>, tensor<16xf32> var(tensor<16xf32>)
  return %n, %m, %q, %v : tensor<f32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// Over the channels of [N, C, L]: the keepdims statistics drop their middle
// 1, the norm sums reduce the middle loop, the weight gradient the others.
// CHECK-DAG: #[[$ALL:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$STAT:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$CHAN:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @layer_norm_grad_channels(
// CHECK: %[[M:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x1x5xf32> into tensor<2x5xf32>
// CHECK: %[[R:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<2x1x5xf32> into tensor<2x5xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ALL]], #[[$ALL]], #[[$STAT]], #[[$STAT]], #[[$CHAN]], #[[$STAT]], #[[$STAT]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[M]], %[[R]], %{{.*}} :
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]{{.*}} outs(%{{.*}} : tensor<8xf32>)
func.func @layer_norm_grad_channels(%dy: tensor<2x8x5xf32>, %x: tensor<2x8x5xf32>, %m: tensor<2x1x5xf32>, %r: tensor<2x1x5xf32>, %w: tensor<8xf32>) -> (tensor<2x8x5xf32>, tensor<8xf32>) {
  %dx, %dw = norm.layer_norm_grad %dy, %x mean(%m : tensor<2x1x5xf32>) rstd(%r : tensor<2x1x5xf32>) weight(%w : tensor<8xf32>) axes = [1] : tensor<2x8x5xf32> grad_weight(tensor<8xf32>)
  return %dx, %dw : tensor<2x8x5xf32>, tensor<8xf32>
}

// -----

// Statistics typed `?` where they keep a 1 (a dynamically typed argument):
// cast to the 1 before the collapse (found by a review: the collapse was
// invalid).
// CHECK-LABEL: func.func @layer_norm_grad_dynamic_unit_stats(
// CHECK: %[[M:.*]] = tensor.cast %{{.*}} : tensor<2x?xf32> to tensor<2x1xf32>
// CHECK: tensor.collapse_shape %[[M]] {{\[}}[0, 1]] : tensor<2x1xf32> into tensor<2xf32>
func.func @layer_norm_grad_dynamic_unit_stats(%dy: tensor<2x8xf32>, %x: tensor<2x8xf32>, %m: tensor<2x?xf32>, %r: tensor<2x?xf32>) -> tensor<2x8xf32> {
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<2x?xf32>) rstd(%r : tensor<2x?xf32>) axes = [1] : tensor<2x8xf32>
  return %dx : tensor<2x8xf32>
}
