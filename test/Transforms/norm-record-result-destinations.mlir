// RUN: norm-opt %s --split-input-file --norm-record-result-destinations | FileCheck %s

// Results computed in an argument: through a linalg op's init, an
// insert_slice's destination, a reshape and a cast; an identity copy (which
// canonicalization folds to its input) records its init too.
#id = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @destinations(
// CHECK-SAME: norm.result_destinations = array<i64: 1, 2, 3, 4>
func.func @destinations(%x: tensor<8xf32>, %out: tensor<8xf32>,
    %big: tensor<16xf32>, %grid: tensor<2x4xf32>, %copy: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<16xf32>, tensor<2x4xf32>, tensor<8xf32>) {
  %sq = linalg.mul ins(%x, %x : tensor<8xf32>, tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  %ins = tensor.insert_slice %x into %big[0] [8] [1] : tensor<8xf32> into tensor<16xf32>
  %flat = tensor.collapse_shape %grid [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  %add = linalg.add ins(%x, %x : tensor<8xf32>, tensor<8xf32>) outs(%flat : tensor<8xf32>) -> tensor<8xf32>
  %back = tensor.expand_shape %add [[0, 1]] output_shape [2, 4] : tensor<8xf32> into tensor<2x4xf32>
  %id = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%copy : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<8xf32>
  return %sq, %ins, %back, %id : tensor<8xf32>, tensor<16xf32>, tensor<2x4xf32>, tensor<8xf32>
}

// -----

// None: a fresh tensor, a result of another type than its argument, an scf.if
// (either branch's buffer), a call, an argument the caller made read only;
// scalars. Private functions are not recorded.
// CHECK-LABEL: func.func @no_destination(
// CHECK-SAME: norm.result_destinations = array<i64: -1, -1, -1, -1, -1, 6>
func.func @no_destination(%x: tensor<8xf32>, %grid: tensor<2x4xf32>,
    %a: tensor<8xf32>, %b: tensor<8xf32>, %c: i1,
    %ro: tensor<8xf32> {bufferization.writable = false}, %out: tensor<8xf32>)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %fresh = linalg.add ins(%x, %x : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %flat = tensor.collapse_shape %grid [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  %sel = scf.if %c -> tensor<8xf32> {
    scf.yield %a : tensor<8xf32>
  } else {
    scf.yield %b : tensor<8xf32>
  }
  %call = call @callee(%x) : (tensor<8xf32>) -> tensor<8xf32>
  %sq = linalg.mul ins(%x, %x : tensor<8xf32>, tensor<8xf32>) outs(%ro : tensor<8xf32>) -> tensor<8xf32>
  %kept = linalg.mul ins(%x, %x : tensor<8xf32>, tensor<8xf32>) outs(%out : tensor<8xf32>) -> tensor<8xf32>
  return %fresh, %flat, %sel, %call, %sq, %kept : tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func private @callee(
// CHECK-NOT: norm.result_destinations
// CHECK-SAME: {
func.func private @callee(%x: tensor<8xf32>) -> tensor<8xf32> {
  return %x : tensor<8xf32>
}

// -----

// Nothing to record: no attribute.
// CHECK-LABEL: func.func @fresh(
// CHECK-NOT: norm.result_destinations
// CHECK-SAME: {
func.func @fresh(%x: tensor<8xf32>) -> (tensor<8xf32>, f32) {
  %e = tensor.empty() : tensor<8xf32>
  %r = linalg.add ins(%x, %x : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %f = arith.constant 1.0 : f32
  return %r, %f : tensor<8xf32>, f32
}
