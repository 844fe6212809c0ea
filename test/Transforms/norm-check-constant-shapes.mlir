// RUN: norm-opt %s -split-input-file -norm-check-constant-shapes -verify-diagnostics | FileCheck %s
// RUN: norm-opt %s -split-input-file -norm-lower-to-cpu -verify-diagnostics

// Static constants, `dense` and `dense_resource`, pass unchanged.

// CHECK-LABEL: func.func @static_constants
// CHECK: arith.constant dense_resource<blob> : tensor<2x2xf32>
// CHECK: "tosa.const"() <{values = dense<1.000000e+00> : tensor<2x2xf32>}>
func.func @static_constants(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %c = arith.constant dense_resource<blob> : tensor<2x2xf32>
  %t = "tosa.const"() <{values = dense<1.0> : tensor<2x2xf32>}> : () -> tensor<2x2xf32>
  %s = tosa.add %c, %t : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = tosa.add %x, %s : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// A `dense_resource` literal of dynamic shape verifies in MLIR 22 (a
// `dense` one does not); norm-lower-to-cpu crashed in empty-tensor
// elimination on such a `tosa.const` used by a broadcasting subtraction.

func.func @dynamic_constants(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // expected-error @below {{'values' holds a constant of type 'tensor<?x8xf32>': the elements of a constant need static sizes}}
  %c = "tosa.const"() <{values = dense_resource<blob> : tensor<?x8xf32>}> : () -> tensor<?x8xf32>
  %y = tosa.sub %x, %c : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  // expected-error @below {{'value' holds a constant of type 'tensor<?xf32>': the elements of a constant need static sizes}}
  %d = arith.constant dense_resource<blob> : tensor<?xf32>
  return %y : tensor<?x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob: "0x040000000000803F000000400000404000008040"
    }
  }
#-}
