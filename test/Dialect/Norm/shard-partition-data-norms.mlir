// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation,shard-partition))' \
// RUN:   | FileCheck %s

// Data normalization over a dataset split across processes: the fits
// (moments, min_max; ShardingModels.cpp) combine the processes' parts by
// all-reduces, so every process holds the statistics of the whole split;
// the transforms (standardize, min_max_scale, image_normalize) are
// elementwise; batch_stats (SyncBatchNorm.cpp) merges its statistics like
// SyncBatchNorm.

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// moments: local (n, mean, std) without correction, then (N, sum(n * mean))
// in one all-reduce and sum(n * (std^2 + (mean - mean_g)^2)) in another, a
// process with no rows adding zeros; std = sqrt(M2 / (N - correction)).
// min_max: one max-all-reduce of the local (max, -min). standardize: each
// process's rows with the global statistics.
// CHECK-LABEL: func.func @fit_and_standardize(
// CHECK-SAME:    %[[X:.*]]: tensor<8x5xf32>, %[[V:.*]]: tensor<2x5xf32>)
// CHECK:         %[[M:.*]], %[[S:.*]] = norm.moments %[[X]] axes = [0] : tensor<8x5xf32> -> tensor<5xf32>
// CHECK:         %[[D:.*]] = tensor.dim %[[X]], %c0
// CHECK:         %[[NL:.*]] = tensor.from_elements %{{.*}} : tensor<f32>
// CHECK:         %[[W:.*]] = linalg.generic {{.*}} ins(%[[M]], %[[NL]] :
// CHECK:           arith.cmpf ogt
// CHECK:           arith.select
// CHECK:         %[[P:.*]] = tensor.insert_slice %[[W]] into %{{.*}}[1] [5] [1] : tensor<5xf32> into tensor<6xf32>
// CHECK:         %[[NSUM:.*]] = shard.all_reduce %[[P]] on @grid grid_axes = [0] : tensor<6xf32> -> tensor<6xf32>
// CHECK:         %[[NS:.*]] = tensor.extract %[[NSUM]][%{{.*}}] : tensor<6xf32>
// CHECK:         %[[N:.*]] = tensor.from_elements %[[NS]] : tensor<f32>
// CHECK:         %[[SUM:.*]] = tensor.extract_slice %[[NSUM]][1] [5] [1]
// CHECK:         %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[N]] :
// CHECK:         %[[DEV:.*]] = linalg.generic {{.*}} ins(%[[S]], %[[NL]], %[[M]], %[[MEAN]] :
// CHECK:         %[[M2:.*]] = shard.all_reduce %[[DEV]] on @grid grid_axes = [0]
// CHECK:         %[[STD:.*]] = linalg.generic {{.*}} ins(%[[M2]], %[[N]] :
// CHECK:           arith.constant 1.000000e+00
// CHECK:           arith.subf
// CHECK:           math.sqrt
// CHECK:         %[[LO:.*]], %[[HI:.*]] = norm.min_max %[[X]] axes = [0] : tensor<8x5xf32> -> tensor<5xf32>
// CHECK:         %[[NLO:.*]] = linalg.generic {{.*}} ins(%[[LO]] :
// CHECK:           arith.negf
// CHECK:         %[[E0:.*]] = tensor.insert_slice %[[HI]] into %{{.*}}[0] [5] [1] : tensor<5xf32> into tensor<10xf32>
// CHECK:         %[[E1:.*]] = tensor.insert_slice %[[NLO]] into %[[E0]][5] [5] [1] : tensor<5xf32> into tensor<10xf32>
// CHECK:         %[[EX:.*]] = shard.all_reduce %[[E1]] on @grid grid_axes = [0] reduction = max : tensor<10xf32> -> tensor<10xf32>
// CHECK:         %[[GHI:.*]] = tensor.extract_slice %[[EX]][0] [5] [1]
// CHECK:         %[[GNLO:.*]] = tensor.extract_slice %[[EX]][5] [5] [1]
// CHECK:         %[[GLO:.*]] = linalg.generic {{.*}} ins(%[[GNLO]] :
// CHECK:           arith.negf
// CHECK:         %[[Z:.*]] = norm.standardize %[[V]], %[[MEAN]], %[[STD]] axes = [0] : tensor<2x5xf32>, tensor<5xf32>
// CHECK:         %[[Q:.*]] = norm.min_max_scale %[[V]], %[[GLO]], %[[GHI]] axes = [0] : tensor<2x5xf32>, tensor<5xf32>
// CHECK:         return %[[MEAN]], %[[STD]], %[[Z]], %[[Q]]
func.func @fit_and_standardize(%x: tensor<32x5xf32>, %v: tensor<8x5xf32>)
    -> (tensor<5xf32>, tensor<5xf32>, tensor<8x5xf32>, tensor<8x5xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<32x5xf32>
  %vs = shard.shard %v to %split : tensor<8x5xf32>
  %mean, %std = norm.moments %xs axes = [0] correction = 1 : tensor<32x5xf32> -> tensor<5xf32>
  %lo, %hi = norm.min_max %xs axes = [0] : tensor<32x5xf32> -> tensor<5xf32>
  %z = norm.standardize %vs, %mean, %std axes = [0] : tensor<8x5xf32>, tensor<5xf32>
  %q = norm.min_max_scale %vs, %lo, %hi axes = [0] : tensor<8x5xf32>, tensor<5xf32>
  %zs = shard.shard %z to %split : tensor<8x5xf32>
  %qs = shard.shard %q to %split : tensor<8x5xf32>
  return %mean, %std, %zs, %qs : tensor<5xf32>, tensor<5xf32>, tensor<8x5xf32>, tensor<8x5xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The features split (not fitted over): each process fits its own features,
// with no communication; bf16 statistics.
// CHECK-LABEL: func.func @feature_split(
// CHECK-SAME:    %[[X:.*]]: tensor<6x4xbf16>)
// CHECK-NOT:     shard.all_reduce
// CHECK:         %[[M:.*]], %[[S:.*]] = norm.moments %[[X]] axes = [0] : tensor<6x4xbf16> -> tensor<4xbf16>
// CHECK-NOT:     shard.all_reduce
// CHECK:         return %[[M]], %[[S]]
func.func @feature_split(%x: tensor<6x8xbf16>) -> (tensor<8xbf16>, tensor<8xbf16>) {
  %split = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<6x8xbf16>
  %mean, %std = norm.moments %xs axes = [0] : tensor<6x8xbf16> -> tensor<8xbf16>
  %features = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %ms = shard.shard %mean to %features : tensor<8xbf16>
  %ss = shard.shard %std to %features : tensor<8xbf16>
  return %ms, %ss : tensor<8xbf16>, tensor<8xbf16>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// f16 extremes: MPI has no f16 max, so they are reduced in f32 (exact
// both ways).
// CHECK-LABEL: func.func @min_max_f16(
// CHECK:         %[[LO:.*]], %[[HI:.*]] = norm.min_max %{{.*}} axes = [0, 2] : tensor<2x3x4xf16> -> tensor<3xf16>
// CHECK:         %[[HI32:.*]] = linalg.generic {{.*}} ins(%[[HI]] : tensor<3xf16>)
// CHECK:           arith.extf
// CHECK:         %[[R:.*]] = shard.all_reduce %{{.*}} on @grid grid_axes = [0] reduction = max : tensor<6xf32> -> tensor<6xf32>
// CHECK:         %[[R0:.*]] = tensor.extract_slice %[[R]][0] [3] [1]
// CHECK:         linalg.generic {{.*}} ins(%[[R0]] : tensor<3xf32>)
// CHECK:           arith.truncf
func.func @min_max_f16(%x: tensor<4x3x4xf16>) -> (tensor<3xf16>, tensor<3xf16>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<4x3x4xf16>
  %lo, %hi = norm.min_max %xs axes = [0, 2] : tensor<4x3x4xf16> -> tensor<3xf16>
  return %lo, %hi : tensor<3xf16>, tensor<3xf16>
}

// -----

shard.grid @grid(shape = 2x2) {sym_visibility = "private"}

// Images split over both grid axes, channels last: elementwise with the
// channel mean/std replicated.
// CHECK-LABEL: func.func @images(
// CHECK-SAME:    %[[I:.*]]: tensor<2x8x8x3xui8>, %[[M:.*]]: tensor<3xf32>, %[[S:.*]]: tensor<3xf32>)
// CHECK-NOT:     shard.
// CHECK:         %[[Y:.*]] = norm.image_normalize %[[I]], %[[M]], %[[S]] layout = nhwc {{.*}} : tensor<2x8x8x3xui8>, tensor<3xf32> -> tensor<2x8x8x3xf32>
// CHECK:         return %[[Y]]
func.func @images(%img: tensor<8x8x8x3xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>)
    -> tensor<8x8x8x3xf32> {
  %split = shard.sharding @grid split_axes = [[0, 1]] : !shard.sharding
  %imgs = shard.shard %img to %split : tensor<8x8x8x3xui8>
  %y = norm.image_normalize %imgs, %m, %s layout = nhwc scale = 0.00392156862745098
      : tensor<8x8x8x3xui8>, tensor<3xf32> -> tensor<8x8x8x3xf32>
  %ys = shard.shard %y to %split : tensor<8x8x8x3xf32>
  return %ys : tensor<8x8x8x3xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// batch_stats of a split bf16 batch: the statistics (f32) of the whole
// batch, merged as SyncBatchNorm merges them.
// CHECK-LABEL: func.func @batch_stats(
// CHECK-SAME:    %[[X:.*]]: tensor<4x6x5xbf16>)
// CHECK:         %[[N:.*]], %[[M:.*]], %[[Q:.*]] = norm.batch_stats %[[X]] : tensor<4x6x5xbf16> -> tensor<f32>, tensor<6xf32>
// CHECK:         %[[NSUM:.*]] = shard.all_reduce %{{.*}} on @grid grid_axes = [0] : tensor<7xf32> -> tensor<7xf32>
// CHECK:         %[[GNS:.*]] = tensor.extract %[[NSUM]]
// CHECK:         %[[GN:.*]] = tensor.from_elements %[[GNS]] : tensor<f32>
// CHECK:         %[[GM:.*]] = linalg.generic
// CHECK:         %[[GQ:.*]] = shard.all_reduce %{{.*}} on @grid grid_axes = [0] : tensor<6xf32> -> tensor<6xf32>
// CHECK:         return %[[GN]], %[[GM]], %[[GQ]]
func.func @batch_stats(%x: tensor<8x6x5xbf16>) -> (tensor<f32>, tensor<6xf32>, tensor<6xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x6x5xbf16>
  %n, %mean, %m2 = norm.batch_stats %xs : tensor<8x6x5xbf16> -> tensor<f32>, tensor<6xf32>
  return %n, %mean, %m2 : tensor<f32>, tensor<6xf32>, tensor<6xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// Statistics of rank 2 (two kept dimensions): the count packed alone, the
// rank-2 sums all-reduced one by one.
// CHECK-LABEL: func.func @rank2_statistics(
// CHECK:         norm.moments %{{.*}} axes = [0] : tensor<4x4x5xf32> -> tensor<4x5xf32>
// CHECK:         shard.all_reduce %{{.*}} : tensor<4x5xf32> -> tensor<4x5xf32>
// CHECK:         shard.all_reduce %{{.*}} : tensor<f32> -> tensor<f32>
// CHECK:         shard.all_reduce %{{.*}} : tensor<4x5xf32> -> tensor<4x5xf32>
// CHECK:         norm.min_max
// CHECK:         shard.all_reduce %{{.*}} reduction = max : tensor<4x5xf32> -> tensor<4x5xf32>
// CHECK:         shard.all_reduce %{{.*}} reduction = max : tensor<4x5xf32> -> tensor<4x5xf32>
func.func @rank2_statistics(%x: tensor<8x4x5xf32>)
    -> (tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x4x5xf32>
  %mean, %std = norm.moments %xs axes = [0] correction = 1 : tensor<8x4x5xf32> -> tensor<4x5xf32>
  %lo, %hi = norm.min_max %xs axes = [0] : tensor<8x4x5xf32> -> tensor<4x5xf32>
  return %mean, %std, %lo, %hi : tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>, tensor<4x5xf32>
}
