// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-check-destination-sizes))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --norm-lower-to-cpu | FileCheck %s --check-prefix=CPU

// A result materialized in a dynamically sized output argument: one assert
// per dynamic dimension that the sizes agree. The result's size is resolved
// to the input's (the op's ReifyRankedShapedTypeOpInterface), so the check
// moves to the start of the function: it runs before the result is
// computed in the output array.
// CHECK-LABEL: func.func @layer_norm_out(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x8xf32>, %[[OUT:[^:]*]]: tensor<?x8xf32>)
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[RS:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK:         %[[OS:.*]] = tensor.dim %[[OUT]], %[[C0]]
// CHECK:         %[[EQ:.*]] = arith.cmpi eq, %[[RS]], %[[OS]] : index
// CHECK:         cf.assert %[[EQ]], "@layer_norm_out: output argument #1 has another size in dimension 0 than the result written into it ({{.*}}norm-check-destination-sizes.mlir{{.*}})"
// CHECK-NOT:     cf.assert
// CHECK:         %[[Y:.*]] = norm.layer_norm %[[X]]
// CHECK:         bufferization.materialize_in_destination %[[Y]] in %[[OUT]]
// Through the CPU pipeline: the sizes are compared before the parallel row
// loops; the failing branch prints the message and aborts.
// CPU-LABEL:   llvm.func @layer_norm_out(
// CPU:           %[[EQ:.*]] = llvm.icmp "eq" %{{.*}}, %{{.*}} : i64
// CPU-NEXT:      llvm.cond_br %[[EQ]], ^[[OK:bb[0-9]+]], ^[[FAIL:bb[0-9]+]]
// CPU-NEXT:    ^[[OK]]:
// CPU:           omp.parallel
// CPU:         ^[[FAIL]]:
// CPU:           llvm.call @puts
// CPU-NEXT:      llvm.call @abort
// CPU-LABEL:   llvm.func @_mlir_ciface_layer_norm_out(
func.func @layer_norm_out(%x: tensor<?x8xf32>, %out: tensor<?x8xf32>) -> tensor<?x8xf32>
    attributes {llvm.emit_c_interface} {
  %y = norm.layer_norm %x axes = [1] : tensor<?x8xf32>
  %r = bufferization.materialize_in_destination %y in %out
      : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// Static output arrays are checked by the type (the caller's shape check);
// a destination that is not an argument is the function's own.
// CHECK-LABEL: func.func @static_out(
// CHECK-NOT:     cf.assert
// CHECK:         return
func.func @static_out(%x: tensor<4x8xf32>, %out: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<4x8xf32>
  %r = bufferization.materialize_in_destination %y in %out
      : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @local_destination(
// CHECK-NOT:     cf.assert
// CHECK:         return
func.func @local_destination(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %r = bufferization.materialize_in_destination %x in %e
      : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// A write under an scf.if keeps its check in the branch: a call that takes
// the other branch must not be refused.
// CHECK-LABEL: func.func @conditional_write(
// CHECK:         scf.if
// CHECK:           cf.assert
// CHECK:           bufferization.materialize_in_destination
func.func @conditional_write(%x: tensor<?x8xf32>, %out: tensor<?x8xf32>, %c: i1)
    -> tensor<?x8xf32> {
  %r = scf.if %c -> tensor<?x8xf32> {
    %y = norm.layer_norm %x axes = [1] : tensor<?x8xf32>
    %w = bufferization.materialize_in_destination %y in %out
        : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
    scf.yield %w : tensor<?x8xf32>
  } else {
    scf.yield %out : tensor<?x8xf32>
  }
  return %r : tensor<?x8xf32>
}
