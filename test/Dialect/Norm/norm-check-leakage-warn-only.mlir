// RUN: norm-opt %s --norm-check-leakage=warn-only -verify-diagnostics | FileCheck %s

// With warn-only the findings are warnings, the pass succeeds, and the IR is
// printed unchanged (the analysis never modifies it).

// CHECK-LABEL: func.func @evaluate(
// CHECK-NEXT: %[[M:.*]], %[[S:.*]] = norm.moments %arg0 axes = [0]
// CHECK-NEXT: %[[Y:.*]] = norm.standardize %arg0, %[[M]], %[[S]] axes = [0]
// CHECK-NEXT: return %[[Y]]
func.func @evaluate(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-note @below {{statistics computed here}}
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  // expected-warning @below {{normalizes a value with statistics computed from its own data in evaluation function '@evaluate'}}
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @predict(
// CHECK-NEXT: norm.moments
func.func @predict(%x: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  // expected-warning @below {{fits statistics on argument #0 of evaluation function '@predict'}}
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  return %m, %s : tensor<16xf32>, tensor<16xf32>
}
