// RUN: norm-opt %s --norm-flash-norm --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-flash-norm=fold-low-precision=1 --split-input-file | FileCheck %s --check-prefix=LOWP

// RMSNorm into x @ W: W'[k, n] = w[k] * W[k, n], the matmul reads x and
// accumulates from zeros of its own, and rstd scales each row after it,
// written into the tensor the original zero fill wrote (the destination;
// row tiling fuses the matmul into the epilogue's tiles). The normalized
// output is left unused.
// CHECK-LABEL: func @rms_norm_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>)
// CHECK: %[[DEST:.*]] = tensor.empty
// CHECK: %{{.*}}, %[[RSTD:.*]] = norm.rms_norm %[[X]] weight(%{{.*}} : tensor<2xf32>) axes = [1] : tensor<?x2xf32> rstd(tensor<?x1xf32>)
// CHECK: %[[ZEROS:.*]] = linalg.fill
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00], [9.000000e+00, 1.200000e+01]]> : tensor<2x2xf32>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<?x2xf32>, tensor<2x2xf32>) outs(%[[ZEROS]] :
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[RSTD]] {{\[\[}}0, 1]] : tensor<?x1xf32> into tensor<?xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[MM]], %[[R]] : tensor<?x2xf32>, tensor<?xf32>) outs(%[[DEST]] : tensor<?x2xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK-NEXT: linalg.yield %[[P]]
// CHECK: return %[[Y]]
func.func @rms_norm_matmul(%x: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %W = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x2xf32>
  %e = tensor.empty(%d) : tensor<?x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<?x2xf32>) -> tensor<?x2xf32>
  %n = norm.rms_norm %x weight(%w : tensor<2xf32>) axes = [1] : tensor<?x2xf32>
  %y = linalg.matmul ins(%n, %W : tensor<?x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

// -----

// Gemma's (1 + w) and a transposed W ([N, K]); the residual stream is what
// the matmul reads.
// CHECK-LABEL: func @rms_norm_offset_residual_transposed
// CHECK: %{{.*}}, %[[RSTD:.*]], %[[SUM:.*]] = norm.rms_norm {{.*}} rstd(tensor<4x1xf32>) residual_sum(tensor<4x2xf32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}3.000000e+00, 1.200000e+01], [6.000000e+00, 1.600000e+01]]> : tensor<2x2xf32>
// CHECK: linalg.matmul indexing_maps = {{.*}} ins(%[[SUM]], %[[W]] :
// CHECK: return {{.*}}, %[[SUM]]
func.func @rms_norm_offset_residual_transposed(%x: tensor<4x2xf32>, %r: tensor<4x2xf32>, %acc: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %w = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %W = arith.constant dense<[[1.0, 3.0], [2.0, 4.0]]> : tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %n, %s = norm.rms_norm %x weight(%w : tensor<2xf32>) residual(%r : tensor<4x2xf32>) axes = [1] weight_offset = 1.0 : tensor<4x2xf32> residual_sum(tensor<4x2xf32>)
  %y = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%n, %W : tensor<4x2xf32>, tensor<2x2xf32>) outs(%z : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y, %s : tensor<4x2xf32>, tensor<4x2xf32>
}

// -----

// LayerNorm with weight and bias into a matmul that accumulates onto %c:
// out = c + rstd * (x @ W' - mean * colsum(W')) + b @ W, with W' = [[1, 2],
// [6, 8]], colsum = [7, 10], b @ W = [4, 6]. The matmul starts from zeros
// of its own; the epilogue reads %c through its output.
// CHECK-LABEL: func @layer_norm_matmul_accumulate
// CHECK-SAME: (%[[X:.*]]: tensor<4x2xf32>, %[[C:.*]]: tensor<4x2xf32>)
// CHECK: %{{.*}}, %[[MEAN:.*]], %[[RSTD:.*]] = norm.layer_norm %[[X]] {{.*}} stats(tensor<4x1xf32>, tensor<4x1xf32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00], [6.000000e+00, 8.000000e+00]]>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] :
// CHECK-DAG: %[[R:.*]] = tensor.collapse_shape %[[RSTD]]
// CHECK-DAG: %[[M:.*]] = tensor.collapse_shape %[[MEAN]]
// CHECK-DAG: %[[CS:.*]] = arith.constant dense<[7.000000e+00, 1.000000e+01]> : tensor<2xf32>
// CHECK-DAG: %[[BW:.*]] = arith.constant dense<[4.000000e+00, 6.000000e+00]> : tensor<2xf32>
// CHECK: linalg.generic {{.*}} ins(%[[MM]], %[[R]], %[[M]], %[[CS]], %[[BW]] : {{.*}}) outs(%[[C]] : tensor<4x2xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[S:.*]]: f32, %[[MV:.*]]: f32, %[[CV:.*]]: f32, %[[B:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT: %[[SHIFT:.*]] = arith.mulf %[[MV]], %[[CV]]
// CHECK-NEXT: %[[CENTRED:.*]] = arith.subf %[[A]], %[[SHIFT]]
// CHECK-NEXT: %[[SCALED:.*]] = arith.mulf %[[CENTRED]], %[[S]]
// CHECK-NEXT: %[[BIASED:.*]] = arith.addf %[[SCALED]], %[[B]]
// CHECK-NEXT: arith.addf %[[BIASED]], %[[OUT]]
func.func @layer_norm_matmul_accumulate(%x: tensor<4x2xf32>, %c: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %w = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %W = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %n = norm.layer_norm %x weight(%w : tensor<2xf32>) bias(%b : tensor<2xf32>) axes = [1] : tensor<4x2xf32>
  %y = linalg.matmul ins(%n, %W : tensor<4x2xf32>, tensor<2x2xf32>) outs(%c : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// Negative cases: the normalized value has another use; W is not a
// constant; the norm weight is not a constant; the norm has an activation;
// the normalization is not over the matmul's K (rank 3).
// CHECK-LABEL: func @negative
// CHECK-NOT: rstd(
// CHECK-NOT: stats(
// CHECK: return
func.func @negative(%x: tensor<4x2xf32>, %Wv: tensor<2x2xf32>, %wv: tensor<2xf32>, %acc: tensor<4x2xf32>, %x3: tensor<2x4x2xf32>)
    -> (tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<2x4x2xf32>) {
  %W = arith.constant dense<1.0> : tensor<2x2xf32>
  %n0 = norm.rms_norm %x axes = [1] : tensor<4x2xf32>
  %y0 = linalg.matmul ins(%n0, %W : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %n1 = norm.rms_norm %x axes = [1] : tensor<4x2xf32>
  %y1 = linalg.matmul ins(%n1, %Wv : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %n2 = norm.layer_norm %x weight(%wv : tensor<2xf32>) axes = [1] : tensor<4x2xf32>
  %y2 = linalg.matmul ins(%n2, %W : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %n3 = norm.layer_norm %x axes = [1] activation = gelu : tensor<4x2xf32>
  %y3 = linalg.matmul ins(%n3, %W : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %n4 = norm.rms_norm %x3 axes = [2] : tensor<2x4x2xf32>
  return %y0, %n0, %y1, %y2, %y3, %n4 : tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<2x4x2xf32>
}

// -----

// bf16 weights: only with fold-low-precision.
// CHECK-LABEL: func @bf16
// CHECK-NOT: rstd(
// LOWP-LABEL: func @bf16
// LOWP: norm.rms_norm {{.*}} rstd(tensor<4x1xf32>)
// LOWP: linalg.generic
// LOWP: arith.extf
// LOWP: arith.truncf
func.func @bf16(%x: tensor<4x2xbf16>, %acc: tensor<4x2xbf16>) -> tensor<4x2xbf16> {
  %W = arith.constant dense<1.0> : tensor<2x2xbf16>
  %zero = arith.constant 0.0 : bf16
  %z = linalg.fill ins(%zero : bf16) outs(%acc : tensor<4x2xbf16>) -> tensor<4x2xbf16>
  %n = norm.rms_norm %x axes = [1] : tensor<4x2xbf16>
  %y = linalg.matmul ins(%n, %W : tensor<4x2xbf16>, tensor<2x2xbf16>) outs(%z : tensor<4x2xbf16>) -> tensor<4x2xbf16>
  return %y : tensor<4x2xbf16>
}

// -----

// Pre-norm QKV: three projections of one RMSNorm share its statistics;
// each gets its own W' and epilogue.
// CHECK-LABEL: func @qkv
// CHECK-SAME: (%[[X:[a-z0-9]*]]: tensor<4x2xf32>
// CHECK: %{{.*}}, %[[RSTD:.*]] = norm.rms_norm %[[X]]
// CHECK-NOT: norm.rms_norm
// CHECK: %[[Q:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<4x2xf32>, tensor<2x2xf32>)
// CHECK: %[[QS:.*]] = linalg.generic {{.*}} ins(%[[Q]], %{{.*}} :
// CHECK: %[[K:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<4x2xf32>, tensor<2x3xf32>)
// CHECK: %[[KS:.*]] = linalg.generic {{.*}} ins(%[[K]], %{{.*}} :
// CHECK: %[[V:.*]] = linalg.matmul ins(%[[X]], %{{.*}} : tensor<4x2xf32>, tensor<2x3xf32>)
// CHECK: %[[VS:.*]] = linalg.generic {{.*}} ins(%[[V]], %{{.*}} :
// CHECK: return %[[QS]], %[[KS]], %[[VS]]
func.func @qkv(%x: tensor<4x2xf32>, %acc2: tensor<4x2xf32>, %acc3: tensor<4x3xf32>) -> (tensor<4x2xf32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %w = arith.constant dense<[2.0, 3.0]> : tensor<2xf32>
  %Wq = arith.constant dense<1.0> : tensor<2x2xf32>
  %Wk = arith.constant dense<2.0> : tensor<2x3xf32>
  %Wv = arith.constant dense<3.0> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %z2 = linalg.fill ins(%zero : f32) outs(%acc2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%acc3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %n = norm.rms_norm %x weight(%w : tensor<2xf32>) axes = [1] : tensor<4x2xf32>
  %q = linalg.matmul ins(%n, %Wq : tensor<4x2xf32>, tensor<2x2xf32>) outs(%z2 : tensor<4x2xf32>) -> tensor<4x2xf32>
  %k = linalg.matmul ins(%n, %Wk : tensor<4x2xf32>, tensor<2x3xf32>) outs(%z3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  %v = linalg.matmul ins(%n, %Wv : tensor<4x2xf32>, tensor<2x3xf32>) outs(%z3 : tensor<4x3xf32>) -> tensor<4x3xf32>
  return %q, %k, %v : tensor<4x2xf32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// Negative: one of the projections has non-constant weights, so none is
// rewritten (the normalized tensor is needed anyway).
// CHECK-LABEL: func @qkv_one_not_constant
// CHECK-NOT: rstd(
// CHECK: return
func.func @qkv_one_not_constant(%x: tensor<4x2xf32>, %Wv: tensor<2x2xf32>, %acc: tensor<4x2xf32>) -> (tensor<4x2xf32>, tensor<4x2xf32>) {
  %Wq = arith.constant dense<1.0> : tensor<2x2xf32>
  %n = norm.rms_norm %x axes = [1] : tensor<4x2xf32>
  %q = linalg.matmul ins(%n, %Wq : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  %v = linalg.matmul ins(%n, %Wv : tensor<4x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %q, %v : tensor<4x2xf32>, tensor<4x2xf32>
}
