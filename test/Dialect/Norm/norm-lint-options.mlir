// RUN: norm-opt %s --split-input-file --norm-lint=werror -verify-diagnostics
// RUN: not norm-opt %s --split-input-file --norm-lint=werror -o /dev/null 2>&1 | FileCheck %s --check-prefix=FAIL
// RUN: norm-opt %s --split-input-file --norm-lint="min-batch-elements=8" -o /dev/null 2>&1 | FileCheck %s --check-prefix=THRESHOLD

// With werror the warnings are errors and the pass fails; the post-norm
// remark stays a remark. min-batch-elements sets the small-batch threshold.

// FAIL: error: batch statistics over only 8 elements per channel (fewer than min-batch-elements = 32)
// THRESHOLD-NOT: warning:
// THRESHOLD: remark: post-norm block
// THRESHOLD-NOT: warning:

func.func @small_batch(%x: tensor<2x16x2x2xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>) {
  // expected-error @below {{batch statistics over only 8 elements per channel}}
  // expected-note @below {{suggested fix}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<2x16x2x2xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %rm, %rv : tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

func.func @post_norm(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %h = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>)
      outs(%f : tensor<16x32xf32>) -> tensor<16x32xf32>
  // expected-remark @below {{post-norm block}}
  // expected-note @below {{suggested fix}}
  %y = norm.layer_norm %h residual(%x : tensor<16x32xf32>) axes = [1] : tensor<16x32xf32>
  return %y : tensor<16x32xf32>
}
