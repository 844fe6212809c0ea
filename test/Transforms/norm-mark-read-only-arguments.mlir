// RUN: norm-opt %s --split-input-file --norm-mark-read-only-arguments | FileCheck %s

// An input written in place before a reduction of it: no result aliases
// it, so it is read only (bufferization then copies it before the write).
// The destinations of the squares and of the sum are returned: they stay
// writable, marked for norm-copy-written-inputs (which copies them after all
// if no result is tied to them).
#id = affine_map<(d0) -> (d0)>
#sum = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @input_written_in_place(
// CHECK-SAME: %{{.*}}: tensor<64xf32> {bufferization.writable = false},
// CHECK-SAME: %{{.*}}: tensor<64xf32> {norm.may_be_tied},
// CHECK-SAME: %{{.*}}: tensor<f32> {norm.may_be_tied})
func.func @input_written_in_place(%x: tensor<64xf32>, %out: tensor<64xf32>, %acc: tensor<f32>)
    -> (tensor<f32>, tensor<64xf32>) {
  %t = linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%x : tensor<64xf32>) {
  ^bb0(%a: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<64xf32>
  %s = linalg.generic {indexing_maps = [#id, #sum], iterator_types = ["reduction"]} ins(%t : tensor<64xf32>) outs(%acc : tensor<f32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.addf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<f32>
  %c = linalg.copy ins(%t : tensor<64xf32>) outs(%out : tensor<64xf32>) -> tensor<64xf32>
  return %s, %c : tensor<f32>, tensor<64xf32>
}

// -----

// Results that alias arguments through reshapes, an insert_slice, a loop
// and both branches of an scf.if: all of them stay writable. Scalars get
// nothing.
// CHECK-LABEL: func.func @aliasing_results(
// CHECK-SAME: %{{.*}}: tensor<4x8xf32> {norm.may_be_tied}, %{{.*}}: tensor<16xf32> {norm.may_be_tied},
// CHECK-SAME: %{{.*}}: tensor<8xf32> {norm.may_be_tied}, %{{.*}}: tensor<8xf32> {norm.may_be_tied}, %{{.*}}: tensor<8xf32> {norm.may_be_tied},
// CHECK-SAME: %{{.*}}: i1, %{{.*}}: tensor<8xf32> {bufferization.writable = false})
func.func @aliasing_results(%x: tensor<4x8xf32>, %dest: tensor<16xf32>,
    %init: tensor<8xf32>, %then: tensor<8xf32>, %else: tensor<8xf32>,
    %cond: i1, %in: tensor<8xf32>)
    -> (tensor<4x8xf32>, tensor<16xf32>, tensor<8xf32>, tensor<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %flat = tensor.collapse_shape %x [[0, 1]] : tensor<4x8xf32> into tensor<32xf32>
  %back = tensor.expand_shape %flat [[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
  %ins = tensor.insert_slice %in into %dest[0] [8] [1] : tensor<8xf32> into tensor<16xf32>
  %loop = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %init) -> (tensor<8xf32>) {
    %n = linalg.add ins(%acc, %in : tensor<8xf32>, tensor<8xf32>) outs(%acc : tensor<8xf32>) -> tensor<8xf32>
    scf.yield %n : tensor<8xf32>
  }
  %sel = scf.if %cond -> (tensor<8xf32>) {
    scf.yield %then : tensor<8xf32>
  } else {
    scf.yield %else : tensor<8xf32>
  }
  return %back, %ins, %loop, %sel : tensor<4x8xf32>, tensor<16xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// A call's results may alias any of its tensor operands; private functions
// and explicit attributes are left as they are.
// CHECK-LABEL: func.func @calls(
// CHECK-SAME: %{{.*}}: tensor<8xf32> {norm.may_be_tied}, %{{.*}}: tensor<8xf32> {norm.may_be_tied},
// CHECK-SAME: %{{.*}}: tensor<8xf32> {bufferization.writable = true})
func.func @calls(%a: tensor<8xf32>, %b: tensor<8xf32>, %kept: tensor<8xf32> {bufferization.writable = true})
    -> tensor<8xf32> {
  %r = call @callee(%a, %b) : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %r : tensor<8xf32>
}
// CHECK-LABEL: func.func private @callee(
// CHECK-SAME: %{{.*}}: tensor<8xf32>, %{{.*}}: tensor<8xf32>)
func.func private @callee(%a: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  %e = tensor.empty() : tensor<8xf32>
  %s = linalg.add ins(%a, %b : tensor<8xf32>, tensor<8xf32>) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// A materialization writes its destination even when its result is only
// read: the destination stays writable (bufferization would reject a write
// into a read-only one) and is never copied: it is an output by intent.
#id = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @materialized_not_returned(
// CHECK-SAME: %{{.*}}: tensor<8xf32> {bufferization.writable = false},
// CHECK-SAME: %{{.*}}: tensor<8xf32>) -> f32
func.func @materialized_not_returned(%x: tensor<8xf32>, %out: tensor<8xf32>) -> f32 {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%out : tensor<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  %m = bufferization.materialize_in_destination %r in %out : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  %c1 = arith.constant 1 : index
  %e = tensor.extract %m[%c1] : tensor<8xf32>
  return %e : f32
}

// -----

// An argument recorded as a result's destination
// (norm-record-result-destinations) stays writable, even when the result no
// longer aliases it (an identity copy into it folded to %x):
// norm-drop-tied-buffer-results copies the result into it.
// CHECK-LABEL: func.func @recorded_destination(
// CHECK-SAME: %{{.*}}: tensor<8xf32> {norm.may_be_tied},
// CHECK-SAME: %{{.*}}: tensor<8xf32> {norm.may_be_tied}) -> tensor<8xf32>
func.func @recorded_destination(%x: tensor<8xf32>, %out: tensor<8xf32>) -> tensor<8xf32>
    attributes {norm.result_destinations = array<i64: 1>} {
  return %x : tensor<8xf32>
}
