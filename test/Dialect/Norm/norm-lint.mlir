// RUN: norm-opt %s --split-input-file --norm-lint -verify-diagnostics | FileCheck %s

// Each diagnostic of norm-lint, then the corrected IR, on which it is silent.
// The analysis never modifies the IR.

//===----------------------------------------------------------------------===//
// Small statistical batch
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @small_batch(
// CHECK: norm.batch_norm_training
func.func @small_batch(%x: tensor<2x16x2x2xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>) {
  // expected-warning @below {{batch statistics over only 8 elements per channel (fewer than min-batch-elements = 32): small batches make the statistics noisy}}
  // expected-note @below {{suggested fix: use 'norm.group_norm', which normalizes each sample and does not depend on the batch size}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<2x16x2x2xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %rm, %rv : tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// The feature axis is excluded from the count: NHWC, 1 x 4 x 4 = 16.
func.func @small_batch_abn(%x: tensor<1x4x4x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>)
    -> (tensor<1x4x4x8xf32>, tensor<8xf32>, tensor<8xf32>) {
  // expected-warning @below {{batch statistics over only 16 elements per channel}}
  // expected-note @below {{suggested fix: use 'norm.group_norm'}}
  %y, %sm, %sr, %rm, %rv = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>)
      feature_axis = 3 activation = leaky_relu(0.01)
      : tensor<1x4x4x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return %y, %rm, %rv : tensor<1x4x4x8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Corrected: group normalization (per sample), a batch large enough, or a
// batch size unknown at compile time.
// CHECK-LABEL: func.func @small_batch_fixed(
func.func @small_batch_fixed(%x: tensor<2x16x2x2xf32>, %big: tensor<2x16x4x4xf32>,
                             %dyn: tensor<?x16x2x2xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %y = norm.group_norm %x groups = 4 : tensor<2x16x2x2xf32>
  %y2, %sm, %sr, %rm, %rv = norm.batch_norm_training %big mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<2x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  %y3, %sm3, %sr3, %rm3, %rv3 = norm.batch_norm_training %dyn mean(%rm : tensor<16xf32>) var(%rv : tensor<16xf32>)
      : tensor<?x16x2x2xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %rm, %rv, %rm3, %rv3 : tensor<2x16x2x2xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

//===----------------------------------------------------------------------===//
// Train/eval mismatch
//===----------------------------------------------------------------------===//

// -----

func.func @evaluate(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> tensor<8x16x4x4xf32> {
  // expected-warning @below {{training-form batch normalization in evaluation function '@evaluate': it normalizes with the statistics of the evaluated batch}}
  // expected-note @below {{suggested fix: use 'norm.batch_norm_inference' with the running statistics}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y : tensor<8x16x4x4xf32>
}

// -----

// The attribute norm.eval marks an evaluation function whatever its name.
func.func @forward(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> tensor<8x16x4x4xf32> attributes {norm.eval} {
  // expected-warning @below {{training-form batch normalization in evaluation function '@forward'}}
  // expected-note @below {{suggested fix}}
  %y, %sm, %sr, %rm, %rv = norm.inplace_abn %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y : tensor<8x16x4x4xf32>
}

// -----

// Corrected: the inference form with the running statistics.
// CHECK-LABEL: func.func @evaluate_fixed(
func.func @evaluate_fixed(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> tensor<8x16x4x4xf32> {
  %y = norm.batch_norm_inference %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32>
  return %y : tensor<8x16x4x4xf32>
}

// -----

func.func @train_step(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  // expected-note @below {{the statistics are updated here}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  // expected-warning @below {{inference-form batch normalization reads running statistics that this function updates: it is in evaluation mode while the model trains}}
  // expected-note @below {{suggested fix: use 'norm.batch_norm_training' while the statistics are being updated, or freeze them everywhere}}
  %z = norm.batch_norm_inference %y mean(%rm : tensor<16xf32>) var(%rv : tensor<16xf32>)
      : tensor<8x16x4x4xf32>
  return %z, %rm, %rv : tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

func.func @lost_update(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> tensor<8x16x4x4xf32> {
  // expected-warning @below {{the updated running mean and variance are never used: the running estimates that evaluation normalizes with are never updated}}
  // expected-note @below {{suggested fix: return or store the new running statistics}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y : tensor<8x16x4x4xf32>
}

// -----

func.func @lost_variance(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<8x16x4x4xf32>, tensor<16xf32>) {
  // expected-warning @below {{the updated running variance is never used}}
  // expected-note @below {{suggested fix}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %rm : tensor<8x16x4x4xf32>, tensor<16xf32>
}

// -----

// Corrected: every training layer has its own statistics and returns their
// update; a frozen layer (inference form on statistics nobody updates) is
// fine in a training function (fine-tuning with frozen statistics).
// CHECK-LABEL: func.func @train_step_fixed(
func.func @train_step_fixed(%x: tensor<8x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>,
                            %m2: tensor<16xf32>, %v2: tensor<16xf32>,
                            %fm: tensor<16xf32>, %fv: tensor<16xf32>)
    -> (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  %z, %sm2, %sr2, %rm2, %rv2 = norm.batch_norm_training %y mean(%m2 : tensor<16xf32>) var(%v2 : tensor<16xf32>)
      : tensor<8x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  %f = norm.batch_norm_inference %z mean(%fm : tensor<16xf32>) var(%fv : tensor<16xf32>)
      : tensor<8x16x4x4xf32>
  return %f, %rm, %rv, %rm2, %rv2
      : tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

//===----------------------------------------------------------------------===//
// Distributed and accumulated batches
//===----------------------------------------------------------------------===//

// -----

shard.grid @grid(shape = 4)
func.func @sharded_batch(%x: tensor<32x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<32x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  // expected-note @below {{sharded here}}
  %xs = shard.shard %x to %s : tensor<32x16x4x4xf32>
  %a = math.tanh %xs : tensor<32x16x4x4xf32>
  // expected-remark @below {{training batch normalization of a batch sharded along dimension 0 across devices: shard-partition synchronizes its statistics (SyncBatchNorm}}
  // expected-note @below {{if the step is communication-bound, a batch-independent normalization}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %a mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<32x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %rm, %rv : tensor<32x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// Corrected: channels sharded (each device owns whole channels, its
// statistics are exact), or a per-sample normalization of the sharded batch.
shard.grid @grid(shape = 4)
// CHECK-LABEL: func.func @sharded_fixed(
func.func @sharded_fixed(%x: tensor<32x16x4x4xf32>, %x2: tensor<32x16x4x4xf32>,
                         %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (tensor<32x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<32x16x4x4xf32>) {
  %c = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xc = shard.shard %x to %c : tensor<32x16x4x4xf32>
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %xc mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      : tensor<32x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
  %b = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xb = shard.shard %x2 to %b : tensor<32x16x4x4xf32>
  %g = norm.group_norm %xb groups = 4 : tensor<32x16x4x4xf32>
  return %y, %rm, %rv, %g : tensor<32x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<32x16x4x4xf32>
}

// -----

func.func @accumulate(%x: tensor<64x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (f32, tensor<16xf32>, tensor<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  // expected-note @below {{accumulation loop here}}
  %loss, %mf, %vf = scf.for %i = %c0 to %c4 step %c1
      iter_args(%acc = %zero, %mi = %m, %vi = %v) -> (f32, tensor<16xf32>, tensor<16xf32>) {
    %off = arith.muli %i, %c16 : index
    %mb = tensor.extract_slice %x[%off, 0, 0, 0] [16, 16, 4, 4] [1, 1, 1, 1]
        : tensor<64x16x4x4xf32> to tensor<16x16x4x4xf32>
    // expected-warning @below {{training batch normalization inside a micro-batch accumulation loop: its statistics cover one micro-batch, while the optimization step accumulates over the whole loop}}
    // expected-note @below {{suggested fix: compute the statistics over the whole accumulated batch (accumulated batch normalization)}}
    %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %mb mean(%mi : tensor<16xf32>) var(%vi : tensor<16xf32>)
        : tensor<16x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
    %e = tensor.extract %y[%c0, %c0, %c0, %c0] : tensor<16x16x4x4xf32>
    %sum = arith.addf %acc, %e : f32
    scf.yield %sum, %rm, %rv : f32, tensor<16xf32>, tensor<16xf32>
  }
  return %loss, %mf, %vf : f32, tensor<16xf32>, tensor<16xf32>
}

// -----

// Corrected: a per-sample normalization of each micro-batch. Also silent: a
// loop over layers that adds to a residual stream (an accumulation, but the
// normalization sees the whole batch, not a slice per iteration).
// CHECK-LABEL: func.func @accumulate_fixed(
func.func @accumulate_fixed(%x: tensor<64x16x4x4xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>)
    -> (f32, tensor<64x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  %loss = scf.for %i = %c0 to %c4 step %c1 iter_args(%acc = %zero) -> (f32) {
    %off = arith.muli %i, %c16 : index
    %mb = tensor.extract_slice %x[%off, 0, 0, 0] [16, 16, 4, 4] [1, 1, 1, 1]
        : tensor<64x16x4x4xf32> to tensor<16x16x4x4xf32>
    %y = norm.group_norm %mb groups = 4 : tensor<16x16x4x4xf32>
    %e = tensor.extract %y[%c0, %c0, %c0, %c0] : tensor<16x16x4x4xf32>
    %sum = arith.addf %acc, %e : f32
    scf.yield %sum : f32
  }
  %h, %mf, %vf = scf.for %i = %c0 to %c4 step %c1
      iter_args(%hi = %x, %mi = %m, %vi = %v) -> (tensor<64x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>) {
    %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %hi mean(%mi : tensor<16xf32>) var(%vi : tensor<16xf32>)
        : tensor<64x16x4x4xf32> stats(tensor<16xf32>, tensor<16xf32>)
    %next = arith.addf %hi, %y : tensor<64x16x4x4xf32>
    scf.yield %next, %rm, %rv : tensor<64x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>
  }
  return %loss, %h, %mf, %vf : f32, tensor<64x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>
}

//===----------------------------------------------------------------------===//
// Data leakage (the norm-check-leakage analysis, as warnings)
//===----------------------------------------------------------------------===//

// -----

func.func @validate(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  // expected-note @below {{statistics computed here}}
  %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  // expected-warning @below {{normalizes a value with statistics computed from its own data in evaluation function '@validate'; fit the statistics on the training split and pass them in}}
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Corrected: statistics fitted on the training split, passed in.
// CHECK-LABEL: func.func @validate_fixed(
func.func @validate_fixed(%x: tensor<?x16xf32>, %m: tensor<16xf32>, %s: tensor<16xf32>)
    -> tensor<?x16xf32> {
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

//===----------------------------------------------------------------------===//
// Architecture defaults
//===----------------------------------------------------------------------===//

// -----

// Batch normalization before the attention (linalg.softmax).
func.func @attention_bn(%x: tensor<4x16x32xf32>, %m: tensor<32xf32>, %v: tensor<32xf32>,
                        %wq: tensor<4x32x32xf32>, %wk: tensor<4x32x32xf32>,
                        %wv: tensor<4x32x32xf32>) -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-warning @below {{batch normalization in an attention block: its statistics mix the samples (and padded positions) of the batch}}
  // expected-note @below {{suggested fix: use 'norm.layer_norm' or 'norm.rms_norm', which normalize each token on its own}}
  %n = norm.batch_norm_inference %x mean(%m : tensor<32xf32>) var(%v : tensor<32xf32>)
      feature_axis = 2 : tensor<4x16x32xf32>
  %e = tensor.empty() : tensor<4x16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %q = linalg.batch_matmul ins(%n, %wq : tensor<4x16x32xf32>, tensor<4x32x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %k = linalg.batch_matmul ins(%n, %wk : tensor<4x16x32xf32>, tensor<4x32x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %val = linalg.batch_matmul ins(%n, %wv : tensor<4x16x32xf32>, tensor<4x32x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %et = tensor.empty() : tensor<4x32x16xf32>
  %kt = linalg.transpose ins(%k : tensor<4x16x32xf32>) outs(%et : tensor<4x32x16xf32>)
      permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x16x16xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %scores = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>)
      outs(%fs : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  // expected-note @below {{attention softmax here}}
  %p = linalg.softmax dimension(2) ins(%scores : tensor<4x16x16xf32>)
      outs(%es : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o = linalg.batch_matmul ins(%p, %val : tensor<4x16x16xf32>, tensor<4x16x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}

// -----

// Batch normalization after the attention (decomposed softmax: exp, sum,
// divide).
func.func @attention_bn_after(%p0: tensor<4x16x16xf32>, %val: tensor<4x16x32xf32>,
                              %m: tensor<32xf32>, %v: tensor<32xf32>,
                              %q: tensor<4x16x32xf32>, %kt: tensor<4x32x16xf32>)
    -> (tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32>) {
  %zero = arith.constant 0.0 : f32
  %es = tensor.empty() : tensor<4x16x16xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %scores = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>)
      outs(%fs : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  // expected-note @below {{attention softmax here}}
  %ex = math.exp %scores : tensor<4x16x16xf32>
  %er = tensor.empty() : tensor<4x16xf32>
  %fr = linalg.fill ins(%zero : f32) outs(%er : tensor<4x16xf32>) -> tensor<4x16xf32>
  %sum = linalg.reduce ins(%ex : tensor<4x16x16xf32>) outs(%fr : tensor<4x16xf32>) dimensions = [2]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %sb = linalg.broadcast ins(%sum : tensor<4x16xf32>) outs(%es : tensor<4x16x16xf32>) dimensions = [2]
  %p = arith.divf %ex, %sb : tensor<4x16x16xf32>
  %e = tensor.empty() : tensor<4x16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %o = linalg.batch_matmul ins(%p, %val : tensor<4x16x16xf32>, tensor<4x16x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  // expected-warning @below {{batch normalization in an attention block}}
  // expected-note @below {{suggested fix: use 'norm.layer_norm' or 'norm.rms_norm'}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %o mean(%m : tensor<32xf32>) var(%v : tensor<32xf32>)
      feature_axis = 2 : tensor<4x16x32xf32> stats(tensor<32xf32>, tensor<32xf32>)
  return %y, %rm, %rv : tensor<4x16x32xf32>, tensor<32xf32>, tensor<32xf32>
}

// -----

// Corrected: layer normalization in the attention block. Also silent: batch
// normalization in a CNN whose classifier ends in a softmax (no matmul reads
// the probabilities: not an attention).
// CHECK-LABEL: func.func @attention_fixed(
func.func @attention_fixed(%x: tensor<4x16x32xf32>, %wq: tensor<4x32x32xf32>,
                           %wk: tensor<4x32x32xf32>, %wv: tensor<4x32x32xf32>)
    -> tensor<4x16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %n = norm.layer_norm %x axes = [2] : tensor<4x16x32xf32>
  %e = tensor.empty() : tensor<4x16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %q = linalg.batch_matmul ins(%n, %wq : tensor<4x16x32xf32>, tensor<4x32x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %k = linalg.batch_matmul ins(%n, %wk : tensor<4x16x32xf32>, tensor<4x32x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %val = linalg.batch_matmul ins(%n, %wv : tensor<4x16x32xf32>, tensor<4x32x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  %et = tensor.empty() : tensor<4x32x16xf32>
  %kt = linalg.transpose ins(%k : tensor<4x16x32xf32>) outs(%et : tensor<4x32x16xf32>)
      permutation = [0, 2, 1]
  %es = tensor.empty() : tensor<4x16x16xf32>
  %fs = linalg.fill ins(%zero : f32) outs(%es : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %scores = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xf32>, tensor<4x32x16xf32>)
      outs(%fs : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %p = linalg.softmax dimension(2) ins(%scores : tensor<4x16x16xf32>)
      outs(%es : tensor<4x16x16xf32>) -> tensor<4x16x16xf32>
  %o = linalg.batch_matmul ins(%p, %val : tensor<4x16x16xf32>, tensor<4x16x32xf32>)
      outs(%f : tensor<4x16x32xf32>) -> tensor<4x16x32xf32>
  return %o : tensor<4x16x32xf32>
}

// CHECK-LABEL: func.func @cnn_classifier(
func.func @cnn_classifier(%x: tensor<8x16x2x2xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>,
                          %w: tensor<64x10xf32>) -> (tensor<8x10xf32>, tensor<16xf32>, tensor<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>)
      activation = relu : tensor<8x16x2x2xf32> stats(tensor<16xf32>, tensor<16xf32>)
  %flat = tensor.collapse_shape %y [[0], [1, 2, 3]] : tensor<8x16x2x2xf32> into tensor<8x64xf32>
  %e = tensor.empty() : tensor<8x10xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %logits = linalg.matmul ins(%flat, %w : tensor<8x64xf32>, tensor<64x10xf32>)
      outs(%f : tensor<8x10xf32>) -> tensor<8x10xf32>
  %p = linalg.softmax dimension(1) ins(%logits : tensor<8x10xf32>)
      outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  return %p, %rm, %rv : tensor<8x10xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// Post-norm: layer_norm(x + sublayer(x)), the sum written as an add or as
// the normalization's residual operand.
func.func @post_norm(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %h = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x32xf32>)
      outs(%f : tensor<16x32xf32>) -> tensor<16x32xf32>
  %g = math.tanh %h : tensor<16x32xf32>
  %s = arith.addf %x, %g : tensor<16x32xf32>
  // expected-remark @below {{post-norm block: normalizes the residual sum x + sublayer(x); pre-normalization is the modern Transformer default}}
  // expected-note @below {{suggested fix: normalize the sublayer's input instead, x + sublayer(norm(x)), with one final norm after the last block}}
  %y = norm.layer_norm %s axes = [1] : tensor<16x32xf32>
  %h2 = linalg.matmul ins(%y, %w : tensor<16x32xf32>, tensor<32x32xf32>)
      outs(%f : tensor<16x32xf32>) -> tensor<16x32xf32>
  // expected-remark @below {{post-norm block}}
  // expected-note @below {{suggested fix}}
  %y2 = norm.rms_norm %h2 residual(%y : tensor<16x32xf32>) axes = [1] : tensor<16x32xf32>
  return %y2 : tensor<16x32xf32>
}

// -----

// Corrected: pre-norm, x + sublayer(norm(x)), with a final norm of the
// residual stream (not a post-norm: the sublayer reads a normalized value).
// CHECK-LABEL: func.func @pre_norm(
func.func @pre_norm(%x: tensor<16x32xf32>, %w: tensor<32x32xf32>) -> tensor<16x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %n = norm.layer_norm %x axes = [1] : tensor<16x32xf32>
  %h = linalg.matmul ins(%n, %w : tensor<16x32xf32>, tensor<32x32xf32>)
      outs(%f : tensor<16x32xf32>) -> tensor<16x32xf32>
  %s = arith.addf %x, %h : tensor<16x32xf32>
  %y = norm.layer_norm %s axes = [1] : tensor<16x32xf32>
  return %y : tensor<16x32xf32>
}

// -----

func.func @spectral_activation(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %u: tensor<16xf32>)
    -> tensor<16x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32>
  // expected-note @below {{the normalized value is computed here}}
  %h = linalg.matmul ins(%x, %w : tensor<16x32xf32>, tensor<32x64xf32>)
      outs(%f : tensor<16x64xf32>) -> tensor<16x64xf32>
  // expected-warning @below {{spectral normalization of an activation: it constrains a weight matrix by its largest singular value and is not an activation normalization}}
  // expected-note @below {{suggested fix: apply 'norm.spectral_norm' to the layer's weight parameter}}
  %o, %u2, %sigma = norm.spectral_norm %h, %u : tensor<16x64xf32>, tensor<16xf32> -> tensor<f32>
  return %o : tensor<16x64xf32>
}

// -----

// Corrected: the weight is normalized, then used (a GAN discriminator layer).
// CHECK-LABEL: func.func @spectral_weight(
func.func @spectral_weight(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %u: tensor<32xf32>)
    -> (tensor<16x64xf32>, tensor<32xf32>) {
  %zero = arith.constant 0.0 : f32
  %wn, %u2, %sigma = norm.spectral_norm %w, %u : tensor<32x64xf32>, tensor<32xf32> -> tensor<f32>
  %e = tensor.empty() : tensor<16x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<16x64xf32>) -> tensor<16x64xf32>
  %h = linalg.matmul ins(%x, %wn : tensor<16x32xf32>, tensor<32x64xf32>)
      outs(%f : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %h, %u2 : tensor<16x64xf32>, tensor<32xf32>
}
