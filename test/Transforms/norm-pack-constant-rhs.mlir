// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-pack-constant-rhs{panel-width=2}))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-pack-constant-rhs{panel-width=0}))' | FileCheck %s --check-prefix=OFF

// W [2 x 4] packed into panels of 2 columns: Wp[j][k][jj] = W[k][2 j + jj],
// so panel 0 holds columns 0-1 of both rows, panel 1 columns 2-3. The
// matmul becomes a contraction over (i, j, jj, k) writing the result
// expanded to [3 x 2 x 2].
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3)>
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @packed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x2xf32>, %[[INIT:[^:]*]]: tensor<3x4xf32>)
// CHECK: %[[WP:.*]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00], [4.000000e+00, 5.000000e+00]], {{\[\[}}2.000000e+00, 3.000000e+00], [6.000000e+00, 7.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[INIT]] {{\[\[}}0], [1, 2]] output_shape [3, 2, 2]
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[X]], %[[WP]] : tensor<3x2xf32>, tensor<2x2x2xf32>) outs(%[[E]] : tensor<3x2x2xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[C:.*]]: f32):
// CHECK:   %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK:   %[[S:.*]] = arith.addf %[[C]], %[[P]] : f32
// CHECK:   linalg.yield %[[S]]
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[G]] {{\[\[}}0], [1, 2]] : tensor<3x2x2xf32> into tensor<3x4xf32>
// CHECK: return %[[R]]
// OFF-LABEL: func.func @packed(
// OFF: linalg.matmul
func.func @packed(%x: tensor<3x2xf32>, %init: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]> : tensor<2x4xf32>
  %r = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x4xf32>) outs(%init : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

// An elementwise consumer of the packed result (FlashNorm's row scaling)
// is rewritten over the packed shape, the collapse moved after it, so that
// row tiling can fuse the contraction into its tiles. Consumers that are
// not elementwise keep reading the collapsed result.
// CHECK-DAG: #[[$ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$ROW3:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @elementwise_consumer(
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x2xf32>, %[[S:[^:]*]]: tensor<3xf32>, %[[INIT:[^:]*]]: tensor<3x4xf32>, %[[OUT:[^:]*]]: tensor<3x4xf32>)
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]], %{{.*}} : tensor<3x2xf32>, tensor<2x2x2xf32>)
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[G]] {{\[\[}}0], [1, 2]] : tensor<3x2x2xf32> into tensor<3x4xf32>
// CHECK: %[[EOUT:.*]] = tensor.expand_shape %[[OUT]] {{\[\[}}0], [1, 2]] output_shape [3, 2, 2]
// CHECK: %[[SCALED:.*]] = linalg.generic {indexing_maps = [#[[$ID3]], #[[$ROW3]], #[[$ID3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[G]], %[[S]] : tensor<3x2x2xf32>, tensor<3xf32>) outs(%[[EOUT]] : tensor<3x2x2xf32>)
// CHECK: %[[RESULT:.*]] = tensor.collapse_shape %[[SCALED]] {{\[\[}}0], [1, 2]]
// CHECK: %[[SUM:.*]] = linalg.reduce ins(%[[C]] : tensor<3x4xf32>)
// CHECK: return %[[RESULT]], %[[SUM]]
func.func @elementwise_consumer(%x: tensor<3x2xf32>, %s: tensor<3xf32>, %init: tensor<3x4xf32>, %out: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3xf32>) {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]> : tensor<2x4xf32>
  %r = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x4xf32>) outs(%init : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%r, %s : tensor<3x4xf32>, tensor<3xf32>) outs(%out : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  } -> tensor<3x4xf32>
  %sum = linalg.reduce ins(%r : tensor<3x4xf32>) outs(%s : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %t = arith.addf %in, %acc : f32
      linalg.yield %t : f32
    }
  return %y, %sum : tensor<3x4xf32>, tensor<3xf32>
}

// -----

// A splat constant stays a splat of the packed shape.
// CHECK-LABEL: func.func @splat(
// CHECK: arith.constant dense<5.000000e-01> : tensor<2x3x2xf32>
// CHECK: linalg.generic
func.func @splat(%x: tensor<3x3xf32>, %init: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %w = arith.constant dense<0.5> : tensor<3x4xf32>
  %r = linalg.matmul ins(%x, %w : tensor<3x3xf32>, tensor<3x4xf32>) outs(%init : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

// Left alone: a right operand that is no constant, N not a multiple of the
// panel width, N equal to it (one panel: already contiguous), mixed element
// types, a transposed (user-defined maps) matmul, dynamic shapes.
// CHECK-LABEL: func.func @not_packed(
// CHECK-NOT: linalg.generic
// CHECK-COUNT-6: linalg.matmul
// CHECK-NOT: linalg.generic
func.func @not_packed(%x: tensor<3x2xf32>, %w: tensor<2x4xf32>, %i4: tensor<3x4xf32>,
                      %i3: tensor<3x3xf32>, %i2: tensor<3x2xf32>, %xb: tensor<3x2xbf16>,
                      %xd: tensor<?x2xf32>, %id: tensor<?x4xf32>)
    -> (tensor<3x4xf32>, tensor<3x3xf32>, tensor<3x2xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<?x4xf32>) {
  %c3 = arith.constant dense<1.0> : tensor<2x3xf32>
  %c2 = arith.constant dense<1.0> : tensor<2x2xf32>
  %c4 = arith.constant dense<1.0> : tensor<2x4xf32>
  %ct = arith.constant dense<1.0> : tensor<4x2xf32>
  %r0 = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x4xf32>) outs(%i4 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %r1 = linalg.matmul ins(%x, %c3 : tensor<3x2xf32>, tensor<2x3xf32>) outs(%i3 : tensor<3x3xf32>) -> tensor<3x3xf32>
  %r2 = linalg.matmul ins(%x, %c2 : tensor<3x2xf32>, tensor<2x2xf32>) outs(%i2 : tensor<3x2xf32>) -> tensor<3x2xf32>
  %r3 = linalg.matmul ins(%xb, %c4 : tensor<3x2xbf16>, tensor<2x4xf32>) outs(%i4 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %r4 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
      ins(%x, %ct : tensor<3x2xf32>, tensor<4x2xf32>) outs(%i4 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %r5 = linalg.matmul ins(%xd, %c4 : tensor<?x2xf32>, tensor<2x4xf32>) outs(%id : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %r0, %r1, %r2, %r3, %r4, %r5 : tensor<3x4xf32>, tensor<3x3xf32>, tensor<3x2xf32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<?x4xf32>
}

// -----

// nn.Linear through torch-mlir: the constant weight [N x K] transposed by
// linalg.transpose at every call. Packed from the stored W^T directly
// (the same panels as @packed's W), and the transpose is gone.
// CHECK-LABEL: func.func @transposed_weight(
// CHECK-NOT: linalg.transpose
// CHECK: arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00], [4.000000e+00, 5.000000e+00]], {{\[\[}}2.000000e+00, 3.000000e+00], [6.000000e+00, 7.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @transposed_weight(%x: tensor<3x2xf32>, %init: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %wt = arith.constant dense<[[0.0, 4.0], [1.0, 5.0], [2.0, 6.0], [3.0, 7.0]]> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %w = linalg.transpose ins(%wt : tensor<4x2xf32>) outs(%e : tensor<2x4xf32>) permutation = [1, 0]
  %r = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x4xf32>) outs(%init : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

// -----

// torch-mlir stores weights as `dense_resource` blobs: packed from the
// blob's bytes (here W^T of @packed, transposed at every call).
// CHECK-LABEL: func.func @resource_weight(
// CHECK-NOT: linalg.transpose
// CHECK: arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00], [4.000000e+00, 5.000000e+00]], {{\[\[}}2.000000e+00, 3.000000e+00], [6.000000e+00, 7.000000e+00]]]> : tensor<2x2x2xf32>
// CHECK: linalg.generic
// CHECK-NOT: linalg.matmul
func.func @resource_weight(%x: tensor<3x2xf32>, %init: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %wt = arith.constant dense_resource<weight_t> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %w = linalg.transpose ins(%wt : tensor<4x2xf32>) outs(%e : tensor<2x4xf32>) permutation = [1, 0]
  %r = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x4xf32>) outs(%init : tensor<3x4xf32>) -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      weight_t: "0x0400000000000000000080400000803F0000A040000000400000C040000040400000E040"
    }
  }
#-}
