// RUN: norm-opt %s --split-input-file -verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(shard-partition))'

// Limits of SyncBatchNorm (the ShardingInterface of the training batch
// norms): what --shard-partition refuses instead of computing statistics
// of one shard.

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The feature axis split: each process would own whole channels, which is
// not a batch split (and not supported by this model).
func.func @feature_axis_split(%x: tensor<8x4xf32>, %rm: tensor<4xf32>, %rv: tensor<4xf32>)
    -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %r = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x4xf32>
  %rm0 = shard.shard %rm to %r : tensor<4xf32>
  %rms = shard.shard %rm0 to %r annotate_for_users : tensor<4xf32>
  %rv0 = shard.shard %rv to %r : tensor<4xf32>
  %rvs = shard.shard %rv0 to %r annotate_for_users : tensor<4xf32>
  // expected-error @below {{cannot synchronize batch statistics: the feature axis 1 is split across processes; only batch dimensions may be}}
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rms : tensor<4xf32>) var(%rvs : tensor<4xf32>)
      : tensor<8x4xf32> stats(tensor<4xf32>, tensor<4xf32>)
  %ys = shard.shard %y to %s : tensor<8x4xf32>
  %sms = shard.shard %sm to %r : tensor<4xf32>
  %srs = shard.shard %sr to %r : tensor<4xf32>
  %nrms = shard.shard %nrm to %r : tensor<4xf32>
  %nrvs = shard.shard %nrv to %r : tensor<4xf32>
  %out = shard.shard %ys to %s annotate_for_users : tensor<8x4xf32>
  return %out : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// f16 data: the statistics (f32) and the data types differ.
func.func @half(%x: tensor<8x4xf16>, %rm: tensor<4xf16>, %rv: tensor<4xf16>)
    -> tensor<8x4xf16> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %r = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x4xf16>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x4xf16>
  %rm0 = shard.shard %rm to %r : tensor<4xf16>
  %rms = shard.shard %rm0 to %r annotate_for_users : tensor<4xf16>
  %rv0 = shard.shard %rv to %r : tensor<4xf16>
  %rvs = shard.shard %rv0 to %r annotate_for_users : tensor<4xf16>
  // expected-error @below {{synchronized batch statistics support f32 and f64 data only, got 'f16'}}
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rms : tensor<4xf16>) var(%rvs : tensor<4xf16>)
      : tensor<8x4xf16> stats(tensor<4xf32>, tensor<4xf32>)
  %ys = shard.shard %y to %s : tensor<8x4xf16>
  %sms = shard.shard %sm to %r : tensor<4xf32>
  %srs = shard.shard %sr to %r : tensor<4xf32>
  %nrms = shard.shard %nrm to %r : tensor<4xf16>
  %nrvs = shard.shard %nrv to %r : tensor<4xf16>
  %out = shard.shard %ys to %s annotate_for_users : tensor<8x4xf16>
  return %out : tensor<8x4xf16>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// The batch split but a per-channel operand (the weight) split as well.
func.func @split_weight(%x: tensor<8x4xf32>, %rm: tensor<4xf32>, %rv: tensor<4xf32>,
                        %w: tensor<4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %r = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x4xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x4xf32>
  %rm0 = shard.shard %rm to %r : tensor<4xf32>
  %rms = shard.shard %rm0 to %r annotate_for_users : tensor<4xf32>
  %rv0 = shard.shard %rv to %r : tensor<4xf32>
  %rvs = shard.shard %rv0 to %r annotate_for_users : tensor<4xf32>
  %w0 = shard.shard %w to %s : tensor<4xf32>
  %ws = shard.shard %w0 to %s annotate_for_users : tensor<4xf32>
  // expected-error @below {{expects per-channel operands to be replicated}}
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rms : tensor<4xf32>) var(%rvs : tensor<4xf32>) weight(%ws : tensor<4xf32>)
      : tensor<8x4xf32> stats(tensor<4xf32>, tensor<4xf32>)
  %ys = shard.shard %y to %s : tensor<8x4xf32>
  %sms = shard.shard %sm to %r : tensor<4xf32>
  %srs = shard.shard %sr to %r : tensor<4xf32>
  %nrms = shard.shard %nrm to %r : tensor<4xf32>
  %nrvs = shard.shard %nrv to %r : tensor<4xf32>
  %out = shard.shard %ys to %s annotate_for_users : tensor<8x4xf32>
  return %out : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// InPlace-ABN with bf16 data: its statistics are f32.
func.func @inplace_abn_bf16(%x: tensor<8x4xbf16>, %rm: tensor<4xbf16>, %rv: tensor<4xbf16>)
    -> tensor<8x4xbf16> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %r = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<8x4xbf16>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<8x4xbf16>
  %rm0 = shard.shard %rm to %r : tensor<4xbf16>
  %rms = shard.shard %rm0 to %r annotate_for_users : tensor<4xbf16>
  %rv0 = shard.shard %rv to %r : tensor<4xbf16>
  %rvs = shard.shard %rv0 to %r annotate_for_users : tensor<4xbf16>
  // expected-error @below {{synchronized batch statistics support f32 and f64 data only, got 'bf16'}}
  %y, %sm, %sr, %nrm, %nrv = norm.inplace_abn %xs
      mean(%rms : tensor<4xbf16>) var(%rvs : tensor<4xbf16>) activation = elu
      : tensor<8x4xbf16> stats(tensor<4xf32>, tensor<4xf32>)
  %ys = shard.shard %y to %s : tensor<8x4xbf16>
  %sms = shard.shard %sm to %r : tensor<4xf32>
  %srs = shard.shard %sr to %r : tensor<4xf32>
  %nrms = shard.shard %nrm to %r : tensor<4xbf16>
  %nrvs = shard.shard %nrv to %r : tensor<4xbf16>
  %out = shard.shard %ys to %s annotate_for_users : tensor<8x4xbf16>
  return %out : tensor<8x4xbf16>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// A replicated batch with a split weight: each process would scale its
// whole batch by half the channels' weights.
func.func @replicated_batch_split_weight(%x: tensor<8x4xf32>, %rm: tensor<4xf32>,
                                         %rv: tensor<4xf32>, %w: tensor<4xf32>)
    -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %r = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %r : tensor<8x4xf32>
  %xs = shard.shard %x0 to %r annotate_for_users : tensor<8x4xf32>
  %rm0 = shard.shard %rm to %r : tensor<4xf32>
  %rms = shard.shard %rm0 to %r annotate_for_users : tensor<4xf32>
  %rv0 = shard.shard %rv to %r : tensor<4xf32>
  %rvs = shard.shard %rv0 to %r annotate_for_users : tensor<4xf32>
  %w0 = shard.shard %w to %s : tensor<4xf32>
  %ws = shard.shard %w0 to %s annotate_for_users : tensor<4xf32>
  // expected-error @below {{expects per-channel operands to be replicated}}
  %y, %sm, %sr, %nrm, %nrv = norm.inplace_abn %xs
      mean(%rms : tensor<4xf32>) var(%rvs : tensor<4xf32>) weight(%ws : tensor<4xf32>)
      : tensor<8x4xf32> stats(tensor<4xf32>, tensor<4xf32>)
  %ys = shard.shard %y to %r : tensor<8x4xf32>
  %sms = shard.shard %sm to %r : tensor<4xf32>
  %srs = shard.shard %sr to %r : tensor<4xf32>
  %nrms = shard.shard %nrm to %r : tensor<4xf32>
  %nrvs = shard.shard %nrv to %r : tensor<4xf32>
  %out = shard.shard %ys to %r annotate_for_users : tensor<8x4xf32>
  return %out : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// A replicated y with a split dy: the gradient of half a batch against the
// whole batch's outputs.
func.func @replicated_output_split_grad(%dy: tensor<8x4xf32>, %y: tensor<8x4xf32>,
                                        %r: tensor<4xf32>) -> tensor<8x4xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %rep = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %dy0 = shard.shard %dy to %s : tensor<8x4xf32>
  %dys = shard.shard %dy0 to %s annotate_for_users : tensor<8x4xf32>
  %y0 = shard.shard %y to %rep : tensor<8x4xf32>
  %ys = shard.shard %y0 to %rep annotate_for_users : tensor<8x4xf32>
  %r0 = shard.shard %r to %rep : tensor<4xf32>
  %rs = shard.shard %r0 to %rep annotate_for_users : tensor<4xf32>
  // expected-error @below {{expects operands of the shape of the forward's output to be sharded like it}}
  %dx = norm.inplace_abn_grad %dys, %ys rstd(%rs : tensor<4xf32>)
      activation = leaky_relu(0.01) : tensor<8x4xf32>
  %dxs = shard.shard %dx to %rep : tensor<8x4xf32>
  %out = shard.shard %dxs to %rep annotate_for_users : tensor<8x4xf32>
  return %out : tensor<8x4xf32>
}

// -----

shard.grid @grid(shape = 4) {sym_visibility = "private"}

// 6 samples over 4 processes: upstream partitioning would give each 1 row
// and drop 2 from the statistics.
func.func @uneven_batch(%x: tensor<6x3xf32>, %rm: tensor<3xf32>, %rv: tensor<3xf32>)
    -> tensor<6x3xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %r = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %x0 = shard.shard %x to %s : tensor<6x3xf32>
  %xs = shard.shard %x0 to %s annotate_for_users : tensor<6x3xf32>
  %rm0 = shard.shard %rm to %r : tensor<3xf32>
  %rms = shard.shard %rm0 to %r annotate_for_users : tensor<3xf32>
  %rv0 = shard.shard %rv to %r : tensor<3xf32>
  %rvs = shard.shard %rv0 to %r annotate_for_users : tensor<3xf32>
  // expected-error @below {{cannot be partitioned: the input splits dimension 0 of size 6 into 4 parts of different sizes; only even splits of a static dimension are supported (a dynamic one is split by the caller)}}
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %xs
      mean(%rms : tensor<3xf32>) var(%rvs : tensor<3xf32>)
      : tensor<6x3xf32> stats(tensor<3xf32>, tensor<3xf32>)
  %ys = shard.shard %y to %s : tensor<6x3xf32>
  %sms = shard.shard %sm to %r : tensor<3xf32>
  %srs = shard.shard %sr to %r : tensor<3xf32>
  %nrms = shard.shard %nrm to %r : tensor<3xf32>
  %nrvs = shard.shard %nrv to %r : tensor<3xf32>
  %out = shard.shard %ys to %s annotate_for_users : tensor<6x3xf32>
  return %out : tensor<6x3xf32>
}
