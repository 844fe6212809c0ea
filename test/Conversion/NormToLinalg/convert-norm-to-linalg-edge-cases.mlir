// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file | FileCheck %s

// convert-norm-to-linalg has no shape or element-type limit among the inputs
// the verifiers accept: rank-1 inputs normalized over their only axis,
// zero-sized and dynamic dimensions, f64 (accumulated in f64) and bf16
// (accumulated in f32) are all lowered.

// CHECK-LABEL: func.func @rank1_f64(
// CHECK-NOT: f32
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction"]
// CHECK-SAME: tensor<8xf64>) outs(%{{.*}} : tensor<f64>)
// CHECK: math.rsqrt %{{.*}} : f64
// CHECK-NOT: norm.
func.func @rank1_f64(%x: tensor<8xf64>) -> tensor<8xf64> {
  %y = norm.rms_norm %x axes = [0] : tensor<8xf64>
  return %y : tensor<8xf64>
}

// -----

// CHECK-LABEL: func.func @zero_rows_dynamic_axis(
// CHECK: tensor.dim %{{.*}}, %{{.*}} : tensor<0x?xf32>
// CHECK-NOT: norm.
// CHECK: return %{{.*}} : tensor<0x?xf32>
func.func @zero_rows_dynamic_axis(%x: tensor<0x?xf32>) -> tensor<0x?xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<0x?xf32>
  return %y : tensor<0x?xf32>
}

// -----

// CHECK-LABEL: func.func @zero_axis_bf16(
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK-NOT: norm.
// CHECK: return %{{.*}} : tensor<4x0xbf16>
func.func @zero_axis_bf16(%x: tensor<4x0xbf16>) -> tensor<4x0xbf16> {
  %y = norm.layer_norm %x axes = [1] : tensor<4x0xbf16>
  return %y : tensor<4x0xbf16>
}

// -----

// No channels: every result is empty, nothing is computed.
// CHECK-LABEL: func.func @batch_norm_training_no_channels(
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.extract_slice
// CHECK: %[[Y:.*]] = tensor.empty() : tensor<2x0x2x2xf32>
// CHECK-COUNT-4: tensor.empty() : tensor<0xf32>
// CHECK: return %[[Y]]
func.func @batch_norm_training_no_channels(%x: tensor<2x0x2x2xf32>, %m: tensor<0xf32>, %v: tensor<0xf32>) -> (tensor<2x0x2x2xf32>, tensor<0xf32>) {
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<0xf32>) var(%v : tensor<0xf32>) : tensor<2x0x2x2xf32> stats(tensor<0xf32>, tensor<0xf32>)
  return %y, %rm : tensor<2x0x2x2xf32>, tensor<0xf32>
}

// -----

// CHECK-LABEL: func.func @inplace_abn_no_channels_dynamic_batch(
// CHECK-SAME: %[[X:.*]]: tensor<?x0x3xbf16>
// CHECK-NOT: linalg.
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c0
// CHECK: tensor.empty(%[[N]]) : tensor<?x0x3xbf16>
func.func @inplace_abn_no_channels_dynamic_batch(%x: tensor<?x0x3xbf16>, %m: tensor<0xf32>, %v: tensor<0xf32>) -> tensor<?x0x3xbf16> {
  %y, %sm, %sr, %rm, %rv = norm.inplace_abn %x mean(%m : tensor<0xf32>) var(%v : tensor<0xf32>) activation = leaky_relu : tensor<?x0x3xbf16> stats(tensor<0xf32>, tensor<0xf32>)
  return %y : tensor<?x0x3xbf16>
}

// -----

// A dynamic channel count must be a multiple of the groups, as the verifier
// checks for a static one: asserted when the code runs (C / G would round
// down and drop the last channels).
// CHECK-LABEL: func.func @group_norm_dynamic_channels(
// CHECK-SAME: %[[X:.*]]: tensor<2x?x4xf32>
// CHECK: %[[C:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[REM:.*]] = arith.remui %[[C]], %c3
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[REM]], %c0
// CHECK: cf.assert %[[OK]], "group normalization: the channel count must be a multiple of the 3 groups"
// CHECK: tensor.expand_shape %[[X]]
func.func @group_norm_dynamic_channels(%x: tensor<2x?x4xf32>) -> tensor<2x?x4xf32> {
  %y = norm.group_norm %x groups = 3 : tensor<2x?x4xf32>
  return %y : tensor<2x?x4xf32>
}

// -----

// No channels, statistics typed with a dynamic size: size 0 all the same.
// CHECK-LABEL: func.func @batch_norm_training_no_channels_dynamic_stats(
// CHECK-NOT: linalg.
// CHECK: %[[Y:.*]] = tensor.empty() : tensor<2x0x3xf32>
// CHECK: %[[S:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: %[[SD:.*]] = tensor.cast %[[S]] : tensor<0xf32> to tensor<?xf32>
// CHECK: return %[[Y]], %[[SD]]
func.func @batch_norm_training_no_channels_dynamic_stats(%x: tensor<2x0x3xf32>, %m: tensor<0xf32>, %v: tensor<0xf32>) -> (tensor<2x0x3xf32>, tensor<?xf32>) {
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<0xf32>) var(%v : tensor<0xf32>) : tensor<2x0x3xf32> stats(tensor<?xf32>, tensor<?xf32>)
  return %y, %sm : tensor<2x0x3xf32>, tensor<?xf32>
}

// -----

// A dynamic batch in training: a run-time check that the count is not 1
// (the unbiased running variance divides by n - 1; a static 1 is a
// verifier error), and running statistics kept by an empty batch.
// CHECK-LABEL: func.func @batch_norm_training_dynamic_count(
// CHECK: %[[NOT_ONE:.*]] = arith.cmpf one, %[[COUNT:.*]], %{{.*}} : f32
// CHECK: cf.assert %[[NOT_ONE]], "batch normalization in training: expects more than one value per channel
// CHECK: %[[NON_EMPTY:.*]] = arith.cmpf ogt, %[[COUNT]], %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: arith.select %[[NON_EMPTY]]
func.func @batch_norm_training_dynamic_count(%x: tensor<?x4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> (tensor<?x4xf32>, tensor<4xf32>) {
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) : tensor<?x4xf32> stats(tensor<4xf32>, tensor<4xf32>)
  return %y, %rv : tensor<?x4xf32>, tensor<4xf32>
}
