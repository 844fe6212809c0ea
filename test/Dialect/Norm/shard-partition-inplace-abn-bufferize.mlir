// RUN: norm-opt %s --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition),convert-shard-to-mpi,convert-norm-to-linalg,canonicalize,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},canonicalize)' \
// RUN:   | FileCheck %s

// InPlace-ABN Sync keeps InPlace-ABN's memory saving: after partitioning and
// bufferization, the forward writes y over the buffer of the local shard of
// x and the backward writes dx over the buffer of dy, as the unsharded op
// does (test/Conversion/NormToLinalg/inplace-abn-bufferize.mlir); only
// per-channel buffers are allocated. The synchronized batch_norm_training,
// for contrast, allocates its output.

module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">} {
  shard.grid @grid(shape = 4) {sym_visibility = "private"}

  // CHECK-LABEL: func.func @inplace_abn_sync_forward(
  // CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<8x3x5xf32>
  // CHECK-NOT:     memref.alloc() {{.*}}: memref<8x3x5xf32>
  // CHECK-NOT:     memref.copy {{.*}} memref<8x3x5xf32>
  // CHECK:         mpi.allreduce
  // CHECK:         linalg.generic {{.*}} outs(%[[X]] : memref<8x3x5xf32>)
  // CHECK-NOT:     memref.alloc() {{.*}}: memref<8x3x5xf32>
  // CHECK:         return %[[X]],
  func.func @inplace_abn_sync_forward(%x: tensor<32x3x5xf32>, %rm: tensor<3xf32>,
                                      %rv: tensor<3xf32>, %w: tensor<3xf32>,
                                      %b: tensor<3xf32>)
      -> (tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>) {
    %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
    %xs = shard.shard %x to %split : tensor<32x3x5xf32>
    %y, %sm, %sr, %nrm, %nrv = norm.inplace_abn %xs
        mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
        weight(%w : tensor<3xf32>) bias(%b : tensor<3xf32>) activation = leaky_relu(0.1)
        : tensor<32x3x5xf32> stats(tensor<3xf32>, tensor<3xf32>)
    %ys = shard.shard %y to %split : tensor<32x3x5xf32>
    return %ys, %nrm, %nrv : tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>
  }

  // CHECK-LABEL: func.func @inplace_abn_sync_backward(
  // CHECK-SAME:    %[[DY:[a-zA-Z0-9_]+]]: memref<8x3x5xf32>, %[[Y:[a-zA-Z0-9_]+]]: memref<8x3x5xf32>
  // CHECK-NOT:     memref.alloc() {{.*}}: memref<8x3x5xf32>
  // CHECK-NOT:     memref.copy {{.*}} memref<8x3x5xf32>
  // CHECK:         mpi.allreduce
  // CHECK:         linalg.generic {{.*}} ins(%[[Y]], {{.*}} outs(%[[DY]] : memref<8x3x5xf32>)
  // CHECK-NOT:     memref.alloc() {{.*}}: memref<8x3x5xf32>
  // CHECK:         return %[[DY]],
  func.func @inplace_abn_sync_backward(%dy: tensor<32x3x5xf32>, %y: tensor<32x3x5xf32>,
                                       %r: tensor<3xf32>, %w: tensor<3xf32>,
                                       %b: tensor<3xf32>)
      -> (tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>) {
    %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
    %dys = shard.shard %dy to %split : tensor<32x3x5xf32>
    %ys = shard.shard %y to %split : tensor<32x3x5xf32>
    %dx, %dw, %db = norm.inplace_abn_grad %dys, %ys rstd(%r : tensor<3xf32>)
        weight(%w : tensor<3xf32>) bias(%b : tensor<3xf32>) activation = elu
        : tensor<32x3x5xf32> grad_weight(tensor<3xf32>) grad_bias(tensor<3xf32>)
    %dxs = shard.shard %dx to %split : tensor<32x3x5xf32>
    return %dxs, %dw, %db : tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>
  }

  // CHECK-LABEL: func.func @batch_norm_sync_forward(
  // CHECK:         memref.alloc() {{.*}}: memref<8x3x5xf32>
  func.func @batch_norm_sync_forward(%x: tensor<32x3x5xf32>, %rm: tensor<3xf32>,
                                     %rv: tensor<3xf32>)
      -> (tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>) {
    %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
    %xs = shard.shard %x to %split : tensor<32x3x5xf32>
    %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
        mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>) activation = leaky_relu(0.1)
        : tensor<32x3x5xf32> stats(tensor<3xf32>, tensor<3xf32>)
    %ys = shard.shard %y to %split : tensor<32x3x5xf32>
    return %ys, %nrm, %nrv : tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>
  }
}
