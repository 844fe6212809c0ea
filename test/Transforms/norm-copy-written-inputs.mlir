// RUN: norm-opt %s --split-input-file --norm-copy-written-inputs | FileCheck %s

// An input written in place and returned as a slice: no result is tied to
// it, so the body works on a copy of it (and the returned slice is a view of
// the copy).
#id = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @slice_of_written_input(
// CHECK-SAME: %[[X:.*]]: memref<8xf32>) -> memref<4xf32>
// CHECK-NEXT: %[[COPY:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// CHECK-NEXT: memref.copy %[[X]], %[[COPY]]
// CHECK-NEXT: linalg.generic {{.*}} outs(%[[COPY]] : memref<8xf32>)
// CHECK: memref.subview %[[COPY]][2] [4] [1]
// CHECK-NOT: norm.may_be_tied
func.func @slice_of_written_input(%x: memref<8xf32> {norm.may_be_tied}) -> memref<4xf32>
    attributes {norm.tied_results = array<i64: -1>} {
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} outs(%x : memref<8xf32>) {
  ^bb0(%b: f32):
    %m = arith.mulf %b, %b : f32
    linalg.yield %m : f32
  }
  %s = memref.subview %x[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  %r = memref.cast %s : memref<4xf32, strided<[1], offset: 2>> to memref<4xf32, strided<[1], offset: ?>>
  %a = memref.alloc() : memref<4xf32>
  memref.copy %r, %a : memref<4xf32, strided<[1], offset: ?>> to memref<4xf32>
  return %a : memref<4xf32>
}

// -----

// Dynamic sizes: the copy takes them from the input.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[X:.*]]: memref<?x4xf32>
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[N:.*]] = memref.dim %[[X]], %[[C0]]
// CHECK-NEXT: %[[COPY:.*]] = memref.alloc(%[[N]]) {alignment = 64 : i64} : memref<?x4xf32>
// CHECK-NEXT: memref.copy %[[X]], %[[COPY]]
// CHECK: linalg.fill {{.*}} outs(%[[COPY]] : memref<?x4xf32>)
// CHECK-NEXT: %[[FLAT:.*]] = memref.collapse_shape %[[COPY]]
// CHECK-NEXT: return %[[FLAT]]
func.func @dynamic(%x: memref<?x4xf32> {norm.may_be_tied}) -> memref<?xf32>
    attributes {norm.tied_results = array<i64: -1>} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%x : memref<?x4xf32>)
  %flat = memref.collapse_shape %x [[0, 1]] : memref<?x4xf32> into memref<?xf32>
  return %flat : memref<?xf32>
}

// -----

// Left alone: a written argument a result is tied to (an output), one only
// read, and a memref argument without the attribute (no tensor semantics to
// keep). The attribute goes in every case.
// CHECK-LABEL: func.func @not_copied(
// CHECK-SAME: %[[OUT:[^:]*]]: memref<8xf32>, %[[IN:[^:]*]]: memref<8xf32>,
// CHECK-SAME: %[[BUF:[^:]*]]: memref<8xf32>) -> memref<4xf32, strided<[1], offset: 2>>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK-NOT: norm.may_be_tied
// CHECK: return
func.func @not_copied(%out: memref<8xf32> {norm.may_be_tied},
                      %in: memref<8xf32> {norm.may_be_tied},
                      %buf: memref<8xf32>) -> memref<4xf32, strided<[1], offset: 2>>
    attributes {norm.tied_results = array<i64: 0, -1>} {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<8xf32>)
  linalg.fill ins(%zero : f32) outs(%buf : memref<8xf32>)
  %s = memref.subview %in[2] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 2>>
  return %s : memref<4xf32, strided<[1], offset: 2>>
}

// -----

// Written through a call of a function that writes its argument: copied.
// CHECK-LABEL: func.func @written_by_callee(
// CHECK-SAME: %[[X:.*]]: memref<8xf32>)
// CHECK-NEXT: %[[COPY:.*]] = memref.alloc()
// CHECK-NEXT: memref.copy %[[X]], %[[COPY]]
// CHECK-NEXT: call @fill(%[[COPY]])
func.func @written_by_callee(%x: memref<8xf32> {norm.may_be_tied}) -> f32
    attributes {norm.tied_results = array<i64: -1>} {
  call @fill(%x) : (memref<8xf32>) -> ()
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<8xf32>
  return %v : f32
}

func.func private @fill(%x: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%x : memref<8xf32>)
  return
}
