// RUN: norm-opt %s --norm-fuse-bias --split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#last = affine_map<(d0, d1, d2) -> (d2)>

// A broadcast bias add in a linalg.generic becomes the bias.
// CHECK-LABEL: func @generic_bias
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x8xf32>, %[[B:.*]]: tensor<8xf32>
// CHECK: %[[Y:.*]] = norm.layer_norm %[[X]] bias(%[[B]] : tensor<8xf32>) axes = [2]
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @generic_bias(%x: tensor<2x3x8xf32>, %b: tensor<8xf32>) -> tensor<2x3x8xf32> {
  %n = norm.layer_norm %x axes = [2] : tensor<2x3x8xf32>
  %e = tensor.empty() : tensor<2x3x8xf32>
  %y = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%n, %b : tensor<2x3x8xf32>, tensor<8xf32>) outs(%e : tensor<2x3x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<2x3x8xf32>
  return %y : tensor<2x3x8xf32>
}

// -----

// linalg.broadcast + linalg.add into a batch norm that has a bias already:
// the two biases are added.
// CHECK-LABEL: func @broadcast_add_existing_bias
// CHECK-SAME: %{{.*}}: tensor<4xf32>, %{{.*}}: tensor<4xf32>, %[[B0:.*]]: tensor<4xf32>, %[[B1:.*]]: tensor<4xf32>)
// CHECK: %[[SUM:.*]] = linalg.add ins(%[[B0]], %[[B1]] : tensor<4xf32>, tensor<4xf32>)
// CHECK: %[[Y:.*]] = norm.batch_norm_inference %{{.*}} bias(%[[SUM]] : tensor<4xf32>)
// CHECK-NOT: linalg.broadcast
// CHECK: return %[[Y]]
func.func @broadcast_add_existing_bias(%x: tensor<2x4x3x3xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %b0: tensor<4xf32>, %b1: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  %n = norm.batch_norm_inference %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) bias(%b0 : tensor<4xf32>) : tensor<2x4x3x3xf32>
  %e = tensor.empty() : tensor<2x4x3x3xf32>
  %bb = linalg.broadcast ins(%b1 : tensor<4xf32>) outs(%e : tensor<2x4x3x3xf32>) dimensions = [0, 2, 3]
  %y = linalg.add ins(%n, %bb : tensor<2x4x3x3xf32>, tensor<2x4x3x3xf32>) outs(%e : tensor<2x4x3x3xf32>) -> tensor<2x4x3x3xf32>
  return %y : tensor<2x4x3x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#first = affine_map<(d0, d1) -> (d0)>
#last = affine_map<(d0, d1) -> (d1)>

// Negative cases: bias along the wrong dimension; an activation before the
// add; rms_norm has no bias; the norm result has another use.
// CHECK-LABEL: func @negative
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: linalg.generic
// CHECK: norm.layer_norm %{{.*}} activation = relu
// CHECK: linalg.generic
// CHECK: norm.rms_norm
// CHECK: linalg.generic
// CHECK: norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// CHECK: linalg.generic
func.func @negative(%x: tensor<4x8xf32>, %b4: tensor<4xf32>, %b8: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %n0 = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %y0 = linalg.generic {indexing_maps = [#id, #first, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n0, %b4 : tensor<4x8xf32>, tensor<4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %n1 = norm.layer_norm %x axes = [1] activation = relu : tensor<4x8xf32>
  %y1 = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n1, %b8 : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %n2 = norm.rms_norm %x axes = [1] : tensor<4x8xf32>
  %y2 = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n2, %b8 : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %n3 = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %y3 = linalg.generic {indexing_maps = [#id, #last, #id], iterator_types = ["parallel", "parallel"]}
      ins(%n3, %b8 : tensor<4x8xf32>, tensor<8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %v = arith.addf %a, %c : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  return %y0, %y1, %y2, %y3, %n3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
