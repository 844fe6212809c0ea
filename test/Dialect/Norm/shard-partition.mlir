// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))' \
// RUN:   | FileCheck %s

// SyncBatchNorm: norm.batch_norm_training and norm.batch_norm_grad implement
// the shard dialect's ShardingInterface. With the batch split across the
// grid, --shard-partition emits each process's part: local statistics,
// all-reduces of the per-channel sums over the grid axes that split the
// batch, and the normalization (gradient) with the whole batch's statistics.
// Only the input is annotated; sharding-propagation does the rest.

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    %[[X:.*]]: tensor<8x3x5xf32>, %[[RM:.*]]: tensor<3xf32>, %[[RV:.*]]: tensor<3xf32>, %[[W:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK-SAME:    -> (tensor<8x3x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// CHECK:         %[[N:.*]], %[[MEAN:.*]], %[[M2:.*]] = norm.batch_stats %[[X]] : tensor<8x3x5xf32> -> tensor<f32>, tensor<3xf32>
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[N]], %[[MEAN]] :
// CHECK:           arith.mulf
// The count and the sums in one collective: packed, reduced, sliced.
// CHECK:         %[[NS:.*]] = tensor.extract %[[N]][] : tensor<f32>
// CHECK:         %[[NV:.*]] = tensor.from_elements %[[NS]] : tensor<1xf32>
// CHECK:         %[[P0:.*]] = tensor.insert_slice %[[NV]] into %{{.*}}[0] [1] [1] : tensor<1xf32> into tensor<4xf32>
// CHECK:         %[[P1:.*]] = tensor.insert_slice %[[SUM]] into %[[P0]][1] [3] [1] : tensor<3xf32> into tensor<4xf32>
// CHECK:         %[[R:.*]] = shard.all_reduce %[[P1]] on @grid grid_axes = [0] : tensor<4xf32> -> tensor<4xf32>
// CHECK:         %[[GNS:.*]] = tensor.extract %[[R]][%{{.*}}] : tensor<4xf32>
// CHECK:         %[[GN:.*]] = tensor.from_elements %[[GNS]] : tensor<f32>
// CHECK:         %[[GSUM:.*]] = tensor.extract_slice %[[R]][1] [3] [1] : tensor<4xf32> to tensor<3xf32>
// CHECK:         %[[GMEAN:.*]] = linalg.generic {{.*}} ins(%[[GSUM]], %[[GN]] :
// CHECK:           arith.divf
// CHECK:         %[[DEV:.*]] = linalg.generic {{.*}} ins(%[[M2]], %[[N]], %[[MEAN]], %[[GMEAN]] :
// CHECK:         %[[GM2:.*]] = shard.all_reduce %[[DEV]] on @grid grid_axes = [0] : tensor<3xf32> -> tensor<3xf32>
// CHECK:         %[[VAR:.*]] = linalg.generic {{.*}} ins(%[[GM2]], %[[GN]] :
// CHECK:         %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[VAR]] :
// CHECK:           math.rsqrt
// CHECK:         %[[Y:.*]] = norm.batch_norm_inference %[[X]] mean(%[[GMEAN]] : tensor<3xf32>) var(%[[VAR]] : tensor<3xf32>) weight(%[[W]] : tensor<3xf32>) bias(%[[B]] : tensor<3xf32>) activation = relu : tensor<8x3x5xf32>
// CHECK:         %[[UNBIASED:.*]] = linalg.generic {{.*}} ins(%[[GM2]], %[[GN]] :
// CHECK:         %[[NRM:.*]] = linalg.generic {{.*}} ins(%[[RM]], %[[GMEAN]] :
// CHECK:         %[[NRV:.*]] = linalg.generic {{.*}} ins(%[[RV]], %[[UNBIASED]] :
// CHECK-NOT:     shard.
// CHECK:         return %[[Y]], %[[GMEAN]], %[[RSTD]], %[[NRM]], %[[NRV]]
func.func @forward(%x: tensor<32x3x5xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>,
                   %w: tensor<3xf32>, %b: tensor<3xf32>)
    -> (tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<32x3x5xf32>
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
      weight(%w : tensor<3xf32>) bias(%b : tensor<3xf32>) activation = relu
      : tensor<32x3x5xf32> stats(tensor<3xf32>, tensor<3xf32>)
  %ys = shard.shard %y to %split : tensor<32x3x5xf32>
  return %ys, %sm, %sr, %nrm, %nrv
      : tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

shard.grid @grid(shape = 2x2) {sym_visibility = "private"}

// Backward, NHWC, the batch split over both axes of a 2-D grid: the sums of
// dpre and dpre * xhat and the element count are all-reduced over [0, 1] in
// one collective, then the micro-batch form gives grad_input.
// CHECK-LABEL: func.func @backward(
// CHECK-SAME:    %[[DY:.*]]: tensor<2x4x4x6xf32>, %[[X:.*]]: tensor<2x4x4x6xf32>, %[[M:.*]]: tensor<6xf32>, %[[R:.*]]: tensor<6xf32>, %[[W:.*]]: tensor<6xf32>)
// CHECK:         %{{.*}}, %[[DW:.*]], %[[DB:.*]] = norm.batch_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<6xf32>) rstd(%[[R]] : tensor<6xf32>) weight(%[[W]] : tensor<6xf32>) feature_axis = 3 : tensor<2x4x4x6xf32> grad_weight(tensor<6xf32>) grad_bias(tensor<6xf32>)
// CHECK:         %[[LOCAL:.*]] = tensor.from_elements %{{.*}} : tensor<f32>
// CHECK:         %[[P0:.*]] = tensor.insert_slice %[[DB]] into %{{.*}}[0] [6] [1] : tensor<6xf32> into tensor<13xf32>
// CHECK:         %[[P1:.*]] = tensor.insert_slice %[[DW]] into %[[P0]][6] [6] [1] : tensor<6xf32> into tensor<13xf32>
// CHECK:         %[[P2:.*]] = tensor.insert_slice %{{.*}} into %[[P1]][12] [1] [1] : tensor<1xf32> into tensor<13xf32>
// CHECK:         %[[RED:.*]] = shard.all_reduce %[[P2]] on @grid grid_axes = [0, 1] : tensor<13xf32> -> tensor<13xf32>
// CHECK-NOT:     shard.all_reduce
// CHECK:         %[[SDPRE:.*]] = tensor.extract_slice %[[RED]][0] [6] [1] : tensor<13xf32> to tensor<6xf32>
// CHECK:         %[[SDXHAT:.*]] = tensor.extract_slice %[[RED]][6] [6] [1] : tensor<13xf32> to tensor<6xf32>
// CHECK:         %[[CS:.*]] = tensor.extract %[[RED]][%{{.*}}] : tensor<13xf32>
// CHECK:         %[[COUNT:.*]] = tensor.from_elements %[[CS]] : tensor<f32>
// CHECK:         %[[DX:.*]] = norm.batch_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<6xf32>) rstd(%[[R]] : tensor<6xf32>) weight(%[[W]] : tensor<6xf32>) batch_grad_sums(%[[SDPRE]], %[[SDXHAT]] : tensor<6xf32>, tensor<6xf32>) count(%[[COUNT]] : tensor<f32>) feature_axis = 3 : tensor<2x4x4x6xf32>
// CHECK:         return %[[DX]], %[[SDXHAT]], %[[SDPRE]] : tensor<2x4x4x6xf32>, tensor<6xf32>, tensor<6xf32>
func.func @backward(%dy: tensor<8x4x4x6xf32>, %x: tensor<8x4x4x6xf32>,
                    %m: tensor<6xf32>, %r: tensor<6xf32>, %w: tensor<6xf32>)
    -> (tensor<8x4x4x6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %split = shard.sharding @grid split_axes = [[0, 1]] : !shard.sharding
  %dys = shard.shard %dy to %split : tensor<8x4x4x6xf32>
  %xs = shard.shard %x to %split : tensor<8x4x4x6xf32>
  %dx, %dw, %db = norm.batch_norm_grad %dys, %xs mean(%m : tensor<6xf32>)
      rstd(%r : tensor<6xf32>) weight(%w : tensor<6xf32>) feature_axis = 3
      : tensor<8x4x4x6xf32> grad_weight(tensor<6xf32>) grad_bias(tensor<6xf32>)
  %dxs = shard.shard %dx to %split : tensor<8x4x4x6xf32>
  return %dxs, %dw, %db : tensor<8x4x4x6xf32>, tensor<6xf32>, tensor<6xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// A split spatial dimension is a batch dimension too (statistics run over
// every dimension but the feature axis).
// CHECK-LABEL: func.func @spatial_split(
// CHECK-SAME:    %[[X:.*]]: tensor<2x3x4xf32>
// CHECK:         norm.batch_stats %[[X]]
// CHECK-COUNT-2: shard.all_reduce {{.*}} grid_axes = [0]
// CHECK:         norm.batch_norm_inference %[[X]]
func.func @spatial_split(%x: tensor<2x3x16xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>)
    -> (tensor<2x3x16xf32>, tensor<3xf32>, tensor<3xf32>) {
  %split = shard.sharding @grid split_axes = [[], [], [0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<2x3x16xf32>
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
      : tensor<2x3x16xf32> stats(tensor<3xf32>, tensor<3xf32>)
  %ys = shard.shard %y to %split : tensor<2x3x16xf32>
  return %ys, %nrm, %nrv : tensor<2x3x16xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// Replicated batch: nothing to synchronize, the op is kept as is.
// CHECK-LABEL: func.func @replicated(
// CHECK-NOT:     shard.all_reduce
// CHECK:         norm.batch_norm_training
// CHECK-NOT:     shard.all_reduce
func.func @replicated(%x: tensor<8x3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>)
    -> (tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %repl = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %xs = shard.shard %x to %repl : tensor<8x3xf32>
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
      : tensor<8x3xf32> stats(tensor<3xf32>, tensor<3xf32>)
  return %y, %nrm, %nrv : tensor<8x3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// InPlace-ABN Sync: the statistics as for batch_norm_training, then the
// shard normalized by a linalg.generic whose init is the shard itself (y
// overwrites x after bufferization, as the unsharded lowering does), with
// rstd * w folded per channel; the running statistics as SyncBatchNorm's.
// CHECK-LABEL: func.func @inplace_abn_forward(
// CHECK-SAME:    %[[X:.*]]: tensor<8x3x5xf32>, %[[RM:.*]]: tensor<3xf32>, %[[RV:.*]]: tensor<3xf32>, %[[W:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK:         norm.batch_stats %[[X]] : tensor<8x3x5xf32> -> tensor<f32>, tensor<3xf32>
// CHECK-COUNT-2: shard.all_reduce {{.*}} grid_axes = [0]
// CHECK:         %[[RSTD:.*]] = linalg.generic {{.*}} ins(%{{[^ ,]+}} : tensor<3xf32>)
// CHECK:           math.rsqrt
// CHECK:         %[[SCALE:.*]] = linalg.generic {{.*}} ins(%[[RSTD]], %[[W]] :
// CHECK:           arith.mulf
// CHECK:         %[[Y:.*]] = linalg.generic {{.*}} ins(%[[MEAN:.*]], %[[SCALE]], %[[B]] : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) outs(%[[X]] : tensor<8x3x5xf32>)
// CHECK-NEXT:    ^bb0(%[[M:.*]]: f32, %[[S:.*]]: f32, %[[BB:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK-NEXT:      %[[C:.*]] = arith.subf %[[OUT]], %[[M]] : f32
// CHECK-NEXT:      %[[N:.*]] = arith.mulf %[[C]], %[[S]] : f32
// CHECK-NEXT:      %[[PRE:.*]] = arith.addf %[[N]], %[[BB]] : f32
// CHECK:           arith.select
// CHECK:         %[[NRM:.*]] = linalg.generic {{.*}} ins(%[[RM]], %[[MEAN]] :
// CHECK:         %[[NRV:.*]] = linalg.generic {{.*}} ins(%[[RV]], %{{.*}} :
// CHECK-NOT:     shard.
// CHECK:         return %[[Y]], %[[MEAN]], %[[RSTD]], %[[NRM]], %[[NRV]]
func.func @inplace_abn_forward(%x: tensor<32x3x5xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>,
                               %w: tensor<3xf32>, %b: tensor<3xf32>)
    -> (tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<32x3x5xf32>
  %y, %sm, %sr, %nrm, %nrv = norm.inplace_abn %xs
      mean(%rm : tensor<3xf32>) var(%rv : tensor<3xf32>)
      weight(%w : tensor<3xf32>) bias(%b : tensor<3xf32>) activation = leaky_relu(0.1)
      : tensor<32x3x5xf32> stats(tensor<3xf32>, tensor<3xf32>)
  %ys = shard.shard %y to %split : tensor<32x3x5xf32>
  return %ys, %sm, %sr, %nrm, %nrv
      : tensor<32x3x5xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// -----

shard.grid @grid(shape = 2x2) {sym_visibility = "private"}

// InPlace-ABN Sync backward, from y: the local sums of dpre and dpre * xhat
// and the element count all-reduced, then the micro-batch form of
// inplace_abn_grad.
// CHECK-LABEL: func.func @inplace_abn_backward(
// CHECK-SAME:    %[[DY:.*]]: tensor<2x4x4x6xf32>, %[[Y:.*]]: tensor<2x4x4x6xf32>, %[[R:.*]]: tensor<6xf32>, %[[W:.*]]: tensor<6xf32>, %[[B:.*]]: tensor<6xf32>)
// CHECK:         %{{.*}}, %[[DW:.*]], %[[DB:.*]] = norm.inplace_abn_grad %[[DY]], %[[Y]] rstd(%[[R]] : tensor<6xf32>) weight(%[[W]] : tensor<6xf32>) bias(%[[B]] : tensor<6xf32>) feature_axis = 3 activation = elu : tensor<2x4x4x6xf32> grad_weight(tensor<6xf32>) grad_bias(tensor<6xf32>)
// CHECK:         %[[LOCAL:.*]] = tensor.from_elements %{{.*}} : tensor<f32>
// CHECK:         %[[P0:.*]] = tensor.insert_slice %[[DB]] into %{{.*}}[0] [6] [1] : tensor<6xf32> into tensor<13xf32>
// CHECK:         %[[P1:.*]] = tensor.insert_slice %[[DW]] into %[[P0]][6] [6] [1] : tensor<6xf32> into tensor<13xf32>
// CHECK:         %[[P2:.*]] = tensor.insert_slice %{{.*}} into %[[P1]][12] [1] [1] : tensor<1xf32> into tensor<13xf32>
// CHECK:         %[[RED:.*]] = shard.all_reduce %[[P2]] on @grid grid_axes = [0, 1] : tensor<13xf32> -> tensor<13xf32>
// CHECK-NOT:     shard.all_reduce
// CHECK:         %[[SDPRE:.*]] = tensor.extract_slice %[[RED]][0] [6] [1] : tensor<13xf32> to tensor<6xf32>
// CHECK:         %[[SDXHAT:.*]] = tensor.extract_slice %[[RED]][6] [6] [1] : tensor<13xf32> to tensor<6xf32>
// CHECK:         %[[CS:.*]] = tensor.extract %[[RED]][%{{.*}}] : tensor<13xf32>
// CHECK:         %[[COUNT:.*]] = tensor.from_elements %[[CS]] : tensor<f32>
// CHECK:         %[[DX:.*]] = norm.inplace_abn_grad %[[DY]], %[[Y]] rstd(%[[R]] : tensor<6xf32>) weight(%[[W]] : tensor<6xf32>) bias(%[[B]] : tensor<6xf32>) batch_grad_sums(%[[SDPRE]], %[[SDXHAT]] : tensor<6xf32>, tensor<6xf32>) count(%[[COUNT]] : tensor<f32>) feature_axis = 3 activation = elu : tensor<2x4x4x6xf32>
// CHECK:         return %[[DX]], %[[SDXHAT]], %[[SDPRE]] : tensor<2x4x4x6xf32>, tensor<6xf32>, tensor<6xf32>
func.func @inplace_abn_backward(%dy: tensor<8x4x4x6xf32>, %y: tensor<8x4x4x6xf32>,
                                %r: tensor<6xf32>, %w: tensor<6xf32>, %b: tensor<6xf32>)
    -> (tensor<8x4x4x6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %split = shard.sharding @grid split_axes = [[0, 1]] : !shard.sharding
  %dys = shard.shard %dy to %split : tensor<8x4x4x6xf32>
  %ys = shard.shard %y to %split : tensor<8x4x4x6xf32>
  %dx, %dw, %db = norm.inplace_abn_grad %dys, %ys rstd(%r : tensor<6xf32>)
      weight(%w : tensor<6xf32>) bias(%b : tensor<6xf32>) feature_axis = 3
      activation = elu : tensor<8x4x4x6xf32> grad_weight(tensor<6xf32>) grad_bias(tensor<6xf32>)
  %dxs = shard.shard %dx to %split : tensor<8x4x4x6xf32>
  return %dxs, %dw, %db : tensor<8x4x4x6xf32>, tensor<6xf32>, tensor<6xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The backward in micro-batch form (gradient accumulation) of a split
// micro-batch: its sums and count are the whole batch's (replicated), so each
// process computes its rows' grad_input alone; grad_weight and grad_bias,
// this micro-batch's sums, are all-reduced in one collective. The rank-0
// count, the last operand, must not make propagation forget the split of dy
// and x (which would replicate the op and all-gather them).
// CHECK-LABEL: func.func @micro_batch_grad(
// CHECK-SAME:    %[[DY:[^:]*]]: tensor<4x4xf32>, %[[X:[^:]*]]: tensor<4x4xf32>, %[[M:[^:]*]]: tensor<4xf32>, %[[R:[^:]*]]: tensor<4xf32>, %[[SD:[^:]*]]: tensor<4xf32>, %[[SDX:[^:]*]]: tensor<4xf32>, %[[N:[^:]*]]: tensor<f32>)
// CHECK-NOT:     shard.all_gather
// CHECK:         %[[DX:.*]], %[[DW:.*]], %[[DB:.*]] = norm.batch_norm_grad %[[DY]], %[[X]] mean(%[[M]] : tensor<4xf32>) rstd(%[[R]] : tensor<4xf32>) batch_grad_sums(%[[SD]], %[[SDX]] : tensor<4xf32>, tensor<4xf32>) count(%[[N]] : tensor<f32>) : tensor<4x4xf32> grad_weight(tensor<4xf32>) grad_bias(tensor<4xf32>)
// CHECK:         %[[P0:.*]] = tensor.insert_slice %[[DB]] into %{{.*}}[0] [4] [1]
// CHECK:         %[[P1:.*]] = tensor.insert_slice %[[DW]] into %[[P0]][4] [4] [1]
// CHECK:         %[[SUMS:.*]] = shard.all_reduce %[[P1]] on @grid grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
// CHECK:         %[[GDB:.*]] = tensor.extract_slice %[[SUMS]][0] [4] [1]
// CHECK:         %[[GDW:.*]] = tensor.extract_slice %[[SUMS]][4] [4] [1]
// CHECK:         return %[[DX]], %[[GDW]], %[[GDB]]
func.func @micro_batch_grad(%dy: tensor<8x4xf32>, %x: tensor<8x4xf32>, %m: tensor<4xf32>,
                            %r: tensor<4xf32>, %sd: tensor<4xf32>, %sdx: tensor<4xf32>,
                            %n: tensor<f32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %dys = shard.shard %dy to %s : tensor<8x4xf32>
  %xs = shard.shard %x to %s : tensor<8x4xf32>
  %dx, %dw, %db = norm.batch_norm_grad %dys, %xs mean(%m : tensor<4xf32>) rstd(%r : tensor<4xf32>)
      batch_grad_sums(%sd, %sdx : tensor<4xf32>, tensor<4xf32>) count(%n : tensor<f32>)
      : tensor<8x4xf32> grad_weight(tensor<4xf32>) grad_bias(tensor<4xf32>)
  %dxs = shard.shard %dx to %s : tensor<8x4xf32>
  return %dxs, %dw, %db : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The same for InPlace-ABN's backward without parameter gradients: no
// collective at all.
// CHECK-LABEL: func.func @micro_batch_inplace_abn_grad(
// CHECK-SAME:    %[[DY:[^:]*]]: tensor<4x4xf32>, %[[Y:[^:]*]]: tensor<4x4xf32>,
// CHECK-NOT:     shard.
// CHECK:         %[[DX:.*]] = norm.inplace_abn_grad %[[DY]], %[[Y]] rstd(%{{.*}} : tensor<4xf32>) batch_grad_sums(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>) count(%{{.*}} : tensor<f32>) activation = leaky_relu : tensor<4x4xf32>
// CHECK-NOT:     shard.
// CHECK:         return %[[DX]]
func.func @micro_batch_inplace_abn_grad(%dy: tensor<8x4xf32>, %y: tensor<8x4xf32>,
                                        %r: tensor<4xf32>, %sd: tensor<4xf32>,
                                        %sdx: tensor<4xf32>, %n: tensor<f32>)
    -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %dys = shard.shard %dy to %s : tensor<8x4xf32>
  %ys = shard.shard %y to %s : tensor<8x4xf32>
  %dx = norm.inplace_abn_grad %dys, %ys rstd(%r : tensor<4xf32>)
      batch_grad_sums(%sd, %sdx : tensor<4xf32>, tensor<4xf32>) count(%n : tensor<f32>)
      activation = leaky_relu(0.01) : tensor<8x4xf32>
  %dxs = shard.shard %dx to %s : tensor<8x4xf32>
  return %dxs : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// Gradient accumulation of a SyncBatchNorm: the statistics of two split
// micro-batches (each all-reduced), then batch_stats_merge of the
// replicated results, which every process computes whole.
// CHECK-LABEL: func.func @merge_micro_batches(
// CHECK:         norm.batch_stats %{{.*}} : tensor<4x6x5xf32> -> tensor<f32>, tensor<6xf32>
// CHECK:         %[[A:.*]] = shard.all_reduce %{{.*}} : tensor<7xf32> -> tensor<7xf32>
// CHECK:         %[[QA:.*]] = shard.all_reduce %{{.*}} : tensor<6xf32> -> tensor<6xf32>
// CHECK:         norm.batch_stats %{{.*}} : tensor<4x6x5xf32> -> tensor<f32>, tensor<6xf32>
// CHECK:         %[[B:.*]] = shard.all_reduce %{{.*}} : tensor<7xf32> -> tensor<7xf32>
// CHECK:         %[[QB:.*]] = shard.all_reduce %{{.*}} : tensor<6xf32> -> tensor<6xf32>
// CHECK:         %[[N:.*]], %[[M:.*]], %[[Q:.*]], %[[V:.*]] = norm.batch_stats_merge %{{.*}}, %{{.*}}, %[[QA]], %{{.*}}, %{{.*}}, %[[QB]] : tensor<f32>, tensor<6xf32> var(tensor<6xf32>)
// CHECK-NOT:     shard.
// CHECK:         return %[[N]], %[[M]], %[[Q]], %[[V]]
func.func @merge_micro_batches(%x0: tensor<8x6x5xf32>, %x1: tensor<8x6x5xf32>)
    -> (tensor<f32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %x0s = shard.shard %x0 to %split : tensor<8x6x5xf32>
  %x1s = shard.shard %x1 to %split : tensor<8x6x5xf32>
  %n0, %m0, %q0 = norm.batch_stats %x0s : tensor<8x6x5xf32> -> tensor<f32>, tensor<6xf32>
  %n1, %m1, %q1 = norm.batch_stats %x1s : tensor<8x6x5xf32> -> tensor<f32>, tensor<6xf32>
  %n, %m, %q, %v = norm.batch_stats_merge %n0, %m0, %q0, %n1, %m1, %q1
      : tensor<f32>, tensor<6xf32> var(tensor<6xf32>)
  return %n, %m, %q, %v : tensor<f32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// Statistics split along the channels: the merge runs on each process's
// channels; the counts (rank 0) stay replicated.
// CHECK-LABEL: func.func @merge_split_channels(
// CHECK-SAME:    %[[NA:[^:]*]]: tensor<f32>, %[[MA:[^:]*]]: tensor<3xf32>, %[[QA:[^:]*]]: tensor<3xf32>, %[[NB:[^:]*]]: tensor<f32>, %[[MB:[^:]*]]: tensor<3xf32>, %[[QB:[^:]*]]: tensor<3xf32>)
// CHECK-NOT:     shard.
// CHECK:         norm.batch_stats_merge %[[NA]], %[[MA]], %[[QA]], %[[NB]], %[[MB]], %[[QB]] : tensor<f32>, tensor<3xf32> var(tensor<3xf32>)
func.func @merge_split_channels(%na: tensor<f32>, %ma: tensor<6xf32>, %qa: tensor<6xf32>,
                                %nb: tensor<f32>, %mb: tensor<6xf32>, %qb: tensor<6xf32>)
    -> (tensor<f32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>) {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %mas = shard.shard %ma to %s : tensor<6xf32>
  %qas = shard.shard %qa to %s : tensor<6xf32>
  %n, %m, %q, %v = norm.batch_stats_merge %na, %mas, %qas, %nb, %mb, %qb
      : tensor<f32>, tensor<6xf32> var(tensor<6xf32>)
  %ms = shard.shard %m to %s : tensor<6xf32>
  return %n, %ms, %q, %v : tensor<f32>, tensor<6xf32>, tensor<6xf32>, tensor<6xf32>
}
