// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(norm-shard-partition)' | FileCheck %s

// norm-shard-partition (the first stage of norm-lower-to-cpu{mpi=1}, and
// what the Python package runs for the signatures of an MPI module): the
// elementwise arith/math glue of a training step on tensors, which has no
// sharding model upstream, is rewritten to linalg.generic first, so that it
// is partitioned with the rest.

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The parameter gradients of two split micro-batches (each all-reduced by
// the SyncBatchNorm backward), summed with arith.addf on tensors, and the
// rstd of the merged variance with arith.addf and math.rsqrt: every process
// computes them whole.
// CHECK-LABEL: func.func @accumulate(
// CHECK-SAME:    %{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<3xf32>, %[[VAR:[^:]*]]: tensor<3xf32>)
// CHECK:         %[[RSTD0:.*]] = linalg.generic {{.*}} ins(%[[VAR]], %{{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK:           arith.addf
// CHECK:         %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[RSTD0]] : tensor<3xf32>)
// CHECK:           math.rsqrt
// CHECK:         %{{.*}}, %[[DW0:.*]], %[[DB0:.*]] = norm.batch_norm_grad {{.*}} grad_weight(tensor<3xf32>) grad_bias(tensor<3xf32>)
// CHECK:         %[[S0:.*]] = shard.all_reduce
// CHECK:         %{{.*}}, %[[DW1:.*]], %[[DB1:.*]] = norm.batch_norm_grad {{.*}} grad_weight(tensor<3xf32>) grad_bias(tensor<3xf32>)
// CHECK:         %[[S1:.*]] = shard.all_reduce
// CHECK:         %[[DW:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<3xf32>, tensor<3xf32>)
// CHECK:           arith.addf
// CHECK-NOT:     shard.all_gather
// CHECK:         return %[[DW]]
func.func @accumulate(%x0: tensor<8x3xf32>, %x1: tensor<8x3xf32>, %dy0: tensor<8x3xf32>,
                      %dy1: tensor<8x3xf32>, %mean: tensor<3xf32>, %var: tensor<3xf32>)
    -> tensor<3xf32> {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %x0s = shard.shard %x0 to %split : tensor<8x3xf32>
  %x1s = shard.shard %x1 to %split : tensor<8x3xf32>
  %dy0s = shard.shard %dy0 to %split : tensor<8x3xf32>
  %dy1s = shard.shard %dy1 to %split : tensor<8x3xf32>
  %eps = arith.constant dense<1.0e-05> : tensor<3xf32>
  %ve = arith.addf %var, %eps : tensor<3xf32>
  %rstd = math.rsqrt %ve : tensor<3xf32>
  %p0, %dw0, %db0 = norm.batch_norm_grad %dy0s, %x0s mean(%mean : tensor<3xf32>)
      rstd(%rstd : tensor<3xf32>) : tensor<8x3xf32>
      grad_weight(tensor<3xf32>) grad_bias(tensor<3xf32>)
  %p1, %dw1, %db1 = norm.batch_norm_grad %dy1s, %x1s mean(%mean : tensor<3xf32>)
      rstd(%rstd : tensor<3xf32>) : tensor<8x3xf32>
      grad_weight(tensor<3xf32>) grad_bias(tensor<3xf32>)
  %dw = arith.addf %dw0, %dw1 : tensor<3xf32>
  return %dw : tensor<3xf32>
}
