// RUN: norm-opt %s --split-input-file --norm-recoverable-checks --verify-diagnostics | FileCheck %s

// An entry function's check becomes a branch: on failure the message (with
// its location) is stored in the thread-local slot and the function returns
// poison; norm_take_check_failure reads and clears the slot.
// CHECK:       llvm.mlir.global internal constant @__norm_check_message_0("{{.*}}norm-recoverable-checks.mlir:{{[0-9]+}}:3: size mismatch\00")
// CHECK:       llvm.mlir.global internal thread_local @__norm_check_failure()
// CHECK:         llvm.mlir.zero : !llvm.ptr
// CHECK:       llvm.func @norm_take_check_failure() -> !llvm.ptr
// CHECK:         %[[SLOT:.*]] = llvm.mlir.addressof @__norm_check_failure
// CHECK:         %[[MSG:.*]] = llvm.load %[[SLOT]]
// CHECK:         %[[NULL:.*]] = llvm.mlir.zero
// CHECK:         llvm.store %[[NULL]], %[[SLOT]]
// CHECK:         llvm.return %[[MSG]]
// CHECK-LABEL: func.func @entry(
// CHECK:         %[[OK:.*]] = arith.cmpi eq
// CHECK-NOT:     cf.assert
// CHECK:         cf.cond_br %[[OK]], ^[[CONT:.*]], ^[[FAIL:[a-z0-9]*]]
// CHECK:       ^[[FAIL]]:
// CHECK:         %[[M:.*]] = llvm.mlir.addressof @__norm_check_message_0
// CHECK:         %[[S:.*]] = llvm.mlir.addressof @__norm_check_failure
// CHECK:         llvm.store %[[M]], %[[S]]
// CHECK:         %[[P0:.*]] = ub.poison : memref<?xf32>
// CHECK:         %[[P1:.*]] = ub.poison : f32
// CHECK:         return %[[P0]], %[[P1]]
// CHECK:       ^[[CONT]]:
// CHECK:         memref.load
func.func @entry(%x: memref<?xf32>, %n: index) -> (memref<?xf32>, f32) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %x, %c0 : memref<?xf32>
  %ok = arith.cmpi eq, %d, %n : index
  cf.assert %ok, "size mismatch"
  %v = memref.load %x[%c0] : memref<?xf32>
  return %x, %v : memref<?xf32>, f32
}

// -----

// Left to abort: a check in a function called inside the module (its
// caller would go on), in a private function, and inside a region. Without
// a converted check the module gets no slot and no reader.
// CHECK-NOT:   __norm_check_failure
// CHECK-LABEL: func.func @callee(
// CHECK:         cf.assert %{{.*}}, "callee check"
// CHECK-LABEL: func.func private @helper(
// CHECK:         cf.assert %{{.*}}, "private check"
// CHECK-LABEL: func.func @nested(
// CHECK:         scf.if
// CHECK:           cf.assert %{{.*}}, "nested check"
func.func @callee(%ok: i1) {
  cf.assert %ok, "callee check"
  return
}
func.func @caller(%ok: i1) {
  call @callee(%ok) : (i1) -> ()
  return
}
func.func private @helper(%ok: i1) {
  cf.assert %ok, "private check"
  return
}
func.func @nested(%c: i1, %ok: i1) {
  scf.if %c {
    cf.assert %ok, "nested check"
  }
  return
}

// -----

// The module already has a symbol the pass would define.
// expected-error @+1 {{norm-recoverable-checks: the module already defines @__norm_check_failure or @norm_take_check_failure}}
module {
  llvm.func @norm_take_check_failure() -> !llvm.ptr
  func.func @entry(%ok: i1) {
    cf.assert %ok, "check"
    return
  }
}
