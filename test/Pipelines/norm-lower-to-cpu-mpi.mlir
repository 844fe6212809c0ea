// RUN: norm-opt %s --norm-lower-to-cpu="mpi=1 openmp=0" | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu="mpi=1" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// mpi=1: the shard-annotated global view is partitioned into one process's
// part (SyncBatchNorm all-reduces the batch statistics), the collectives
// become MPI calls (MPICH's ABI, chosen by the module's DLTI entry), and the
// grid is gone.

module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">} {
  shard.grid @grid(shape = 4) {sym_visibility = "private"}

  // CHECK-NOT:     shard.grid
  // Two collectives: the count and the sums together, then the centred
  // second moments.
  // CHECK-LABEL: llvm.func @sync_bn(
  // CHECK:         llvm.call @MPI_Comm_rank
  // CHECK-COUNT-2: llvm.call @MPI_Allreduce
  // CHECK-NOT:     llvm.call @MPI_Allreduce
  // CHECK-NOT:     mpi.
  // CHECK:         llvm.return
  // CHECK-LABEL: llvm.func @_mlir_ciface_sync_bn(
  // LLVM:       declare i32 @MPI_Allreduce(ptr, ptr, i32, i32, i32, i32)
  // LLVM:       define void @_mlir_ciface_sync_bn(
  func.func @sync_bn(%x: tensor<32x3x5xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>)
      -> (tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>)
      attributes {llvm.emit_c_interface} {
    %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
    %xs = shard.shard %x to %split : tensor<32x3x5xf32>
    %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
        mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
        : tensor<32x3x5xf32> stats(tensor<3xf32>, tensor<3xf32>)
    %ys = shard.shard %y to %split : tensor<32x3x5xf32>
    return %ys, %nrm, %nrv : tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>
  }

  // A LayerNorm after the SyncBatchNorm: partitioned with the batch, no
  // communication of its own (two all-reduces, the batch norm's).
  // CHECK-LABEL: llvm.func @sync_bn_layer_norm(
  // CHECK-COUNT-2: llvm.call @MPI_Allreduce
  // CHECK-NOT:     llvm.call @MPI_Allreduce
  // CHECK:         llvm.return
  func.func @sync_bn_layer_norm(%x: tensor<32x3x5xf32>, %rm: tensor<3xf32>,
                                %rv: tensor<3xf32>) -> tensor<32x3x5xf32> {
    %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
    %xs = shard.shard %x to %split : tensor<32x3x5xf32>
    %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
        mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
        : tensor<32x3x5xf32> stats(tensor<3xf32>, tensor<3xf32>)
    %z = norm.layer_norm %y axes = [2] : tensor<32x3x5xf32>
    %zs = shard.shard %z to %split : tensor<32x3x5xf32>
    return %zs : tensor<32x3x5xf32>
  }

  // InPlace-ABN Sync's backward with the weight kept in the signature but
  // unused (upstream shard-partition crashed on it before
  // norm-shard-annotate-arguments): the sums and the count all-reduced in
  // one collective.
  // CHECK-LABEL: llvm.func @inplace_abn_sync_unused_weight(
  // CHECK-COUNT-1: llvm.call @MPI_Allreduce
  // CHECK-NOT:     llvm.call @MPI_Allreduce
  // CHECK:         llvm.return
  func.func @inplace_abn_sync_unused_weight(%dy: tensor<32x3xf32>, %y: tensor<32x3xf32>,
                                            %r: tensor<3xf32>, %w: tensor<3xf32>)
      -> tensor<32x3xf32> {
    %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
    %dys = shard.shard %dy to %split : tensor<32x3xf32>
    %ys = shard.shard %y to %split : tensor<32x3xf32>
    %dx = norm.inplace_abn_grad %dys, %ys rstd(%r : tensor<3xf32>) activation = elu
        : tensor<32x3xf32>
    %dxs = shard.shard %dx to %split : tensor<32x3xf32>
    return %dxs : tensor<32x3xf32>
  }
}
