// RUN: norm-opt %s --norm-lower-to-cpu="lint=1" -verify-diagnostics -o /dev/null
// RUN: norm-opt %s --norm-lower-to-cpu -o /dev/null 2>&1 | FileCheck %s --allow-empty

// The lint option runs norm-lint before lowering; by default the pipeline
// reports nothing.
// CHECK-NOT: warning:

func.func @small_batch(%x: tensor<2x16x2x2xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>) {
  // expected-warning @below {{batch statistics over only 8 elements per channel}}
  // expected-note @below {{suggested fix: use 'norm.group_norm'}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<2x16x2x2xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %rm, %rv : tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>
}
