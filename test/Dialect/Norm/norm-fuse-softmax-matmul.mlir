// RUN: norm-opt %s --norm-fuse-softmax-matmul --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-fuse-softmax-matmul=always=1 --split-input-file | FileCheck %s --check-prefix=ALWAYS

// ALWAYS-LABEL: func.func @does_not_pay
// ALWAYS-NOT: linalg.softmax
// ALWAYS: arith.divf

// Attention's probabilities times values: the softmax becomes max, exp and
// sum; the batch_matmul reads the exponentials; the result is divided by the
// row sums.
// CHECK-LABEL: func.func @attention_values
// CHECK-SAME: (%[[S:.*]]: tensor<4x8x8xf32>, %[[V:.*]]: tensor<4x8x4xf32>)
// CHECK-NOT: linalg.softmax
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[S]] : tensor<4x8x8xf32>) outs(%{{.*}} : tensor<4x8x1xf32>)
// CHECK: arith.maxnumf
// CHECK: %[[EXP:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[MAX]] : tensor<4x8x8xf32>, tensor<4x8x1xf32>)
// CHECK: arith.subf
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[EXP]] : tensor<4x8x8xf32>) outs(%{{.*}} : tensor<4x8x1xf32>)
// CHECK: %[[ACC:.*]] = linalg.batch_matmul ins(%[[EXP]], %[[V]] :
// CHECK: %[[OUT:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[ROW:.*]], #[[ID]]]{{.*}} ins(%[[ACC]], %[[SUM]] : tensor<4x8x4xf32>, tensor<4x8x1xf32>)
// CHECK: arith.divf
// CHECK: return %[[OUT]]
func.func @attention_values(%s: tensor<4x8x8xf32>, %v: tensor<4x8x4xf32>) -> tensor<4x8x4xf32> {
  %e = tensor.empty() : tensor<4x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%s : tensor<4x8x8xf32>) outs(%e : tensor<4x8x8xf32>) -> tensor<4x8x8xf32>
  %e2 = tensor.empty() : tensor<4x8x4xf32>
  %c0 = arith.constant 0.0 : f32
  %z = linalg.fill ins(%c0 : f32) outs(%e2 : tensor<4x8x4xf32>) -> tensor<4x8x4xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<4x8x8xf32>, tensor<4x8x4xf32>)
                           outs(%z : tensor<4x8x4xf32>) -> tensor<4x8x4xf32>
  return %o : tensor<4x8x4xf32>
}

// -----

// The torch-mlir form: softmax on [b, h, s, s], collapsed to [b*h, s, s]; a
// non-zero accumulator is added after the division.
// CHECK-LABEL: func.func @collapsed_with_accumulator
// CHECK-SAME: (%[[S:.*]]: tensor<1x4x8x8xf32>, %[[V:.*]]: tensor<4x8x4xf32>, %[[C:.*]]: tensor<4x8x4xf32>)
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x8x1xf32>)
// CHECK: %[[SUMC:.*]] = tensor.collapse_shape %[[SUM]] {{\[\[}}0, 1], [2], [3]] : tensor<1x4x8x1xf32> into tensor<4x8x1xf32>
// CHECK: %[[EXPC:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] : tensor<1x4x8x8xf32> into tensor<4x8x8xf32>
// CHECK: %[[ACC:.*]] = linalg.batch_matmul ins(%[[EXPC]], %[[V]] : {{.*}}) outs(%{{.*}} : tensor<4x8x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[ACC]], %[[SUMC]], %[[C]] : tensor<4x8x4xf32>, tensor<4x8x1xf32>, tensor<4x8x4xf32>)
// CHECK: arith.divf
// CHECK: arith.addf
func.func @collapsed_with_accumulator(%s: tensor<1x4x8x8xf32>, %v: tensor<4x8x4xf32>,
                                      %c: tensor<4x8x4xf32>) -> tensor<4x8x4xf32> {
  %e = tensor.empty() : tensor<1x4x8x8xf32>
  %p = linalg.softmax dimension(3) ins(%s : tensor<1x4x8x8xf32>) outs(%e : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %pc = tensor.collapse_shape %p [[0, 1], [2], [3]] : tensor<1x4x8x8xf32> into tensor<4x8x8xf32>
  %o = linalg.batch_matmul ins(%pc, %v : tensor<4x8x8xf32>, tensor<4x8x4xf32>)
                           outs(%c : tensor<4x8x4xf32>) -> tensor<4x8x4xf32>
  return %o : tensor<4x8x4xf32>
}

// -----

// The probabilities are also returned: they must stay.
// CHECK-LABEL: func.func @probabilities_used
// CHECK: linalg.softmax
func.func @probabilities_used(%s: tensor<8x8xf32>, %v: tensor<8x4xf32>, %z: tensor<8x4xf32>)
    -> (tensor<8x4xf32>, tensor<8x8xf32>) {
  %e = tensor.empty() : tensor<8x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<8x8xf32>, tensor<8x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %o, %p : tensor<8x4xf32>, tensor<8x8xf32>
}

// -----

// Softmax over the rows' other axis (dimension 0) is not contracted over
// its normalized axis here.
// CHECK-LABEL: func.func @wrong_axis
// CHECK: linalg.softmax
func.func @wrong_axis(%s: tensor<8x8xf32>, %v: tensor<8x4xf32>, %z: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %e = tensor.empty() : tensor<8x8xf32>
  %p = linalg.softmax dimension(0) ins(%s : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<8x8xf32>, tensor<8x4xf32>) outs(%z : tensor<8x4xf32>) -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// -----

// bf16: moving the division would change rounding.
// CHECK-LABEL: func.func @bf16
// CHECK: linalg.softmax
func.func @bf16(%s: tensor<8x8xbf16>, %v: tensor<8x4xbf16>, %z: tensor<8x4xbf16>) -> tensor<8x4xbf16> {
  %e = tensor.empty() : tensor<8x8xbf16>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x8xbf16>) outs(%e : tensor<8x8xbf16>) -> tensor<8x8xbf16>
  %o = linalg.matmul ins(%p, %v : tensor<8x8xbf16>, tensor<8x4xbf16>) outs(%z : tensor<8x4xbf16>) -> tensor<8x4xbf16>
  return %o : tensor<8x4xbf16>
}

// -----

// Dynamic sequence length.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: linalg.softmax
// CHECK: tensor<?x1xf32>
// CHECK: arith.divf
func.func @dynamic(%s: tensor<?x?xf32>, %v: tensor<?x16xf32>, %z: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %s, %c0 : tensor<?x?xf32>
  %d1 = tensor.dim %s, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %o = linalg.matmul ins(%p, %v : tensor<?x?xf32>, tensor<?x16xf32>) outs(%z : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// -----

// Head dimension (64) longer than the sequence (8): dividing the [8, 64]
// result costs more than dividing the [8, 8] probabilities.
// CHECK-LABEL: func.func @does_not_pay
// CHECK: linalg.softmax
func.func @does_not_pay(%s: tensor<8x8xf32>, %v: tensor<8x64xf32>, %z: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x8xf32>
  %p = linalg.softmax dimension(1) ins(%s : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %o = linalg.matmul ins(%p, %v : tensor<8x8xf32>, tensor<8x64xf32>) outs(%z : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %o : tensor<8x64xf32>
}
