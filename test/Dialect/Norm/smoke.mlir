// RUN: norm-opt %s | FileCheck %s
// CHECK-LABEL: func @f
// CHECK: norm.rms_norm
func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = norm.rms_norm %x axes = [1] : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
