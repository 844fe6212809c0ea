// RUN: norm-opt %s | norm-opt | FileCheck %s --strict-whitespace
// RUN: norm-opt %s --mlir-print-op-generic | norm-opt | FileCheck %s --strict-whitespace
// RUN: norm-opt %s --verify-roundtrip | FileCheck %s --strict-whitespace

// Round trip of every norm op with its optional operands, results and
// attributes. Default-valued attributes (epsilon, momentum, feature_axis,
// layout, ...) and default activation parameters are elided when printed.
// --strict-whitespace: the printed spacing is part of what is checked (no
// double space where an optional group such as the activation is absent).

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @layer_norm_minimal(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<8x128x768xf32>)
// CHECK: = norm.layer_norm %[[X]] axes = [2] : tensor<8x128x768xf32>
func.func @layer_norm_minimal(%x: tensor<8x128x768xf32>) -> tensor<8x128x768xf32> {
  %y = norm.layer_norm %x axes = [2] : tensor<8x128x768xf32>
  return %y : tensor<8x128x768xf32>
}

// CHECK-LABEL: func.func @layer_norm_affine(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x16xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<16xf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<16xf16>)
// CHECK: = norm.layer_norm %[[X]] weight(%[[W]] : tensor<16xf16>) bias(%[[B]] : tensor<16xf16>) axes = [1] epsilon = 9.9999999999999995E-7 : tensor<2x16xf16>
func.func @layer_norm_affine(%x: tensor<2x16xf16>, %w: tensor<16xf16>, %b: tensor<16xf16>) -> tensor<2x16xf16> {
  %y = norm.layer_norm %x weight(%w : tensor<16xf16>) bias(%b : tensor<16xf16>) axes = [1] epsilon = 1.0e-06 : tensor<2x16xf16>
  return %y : tensor<2x16xf16>
}

// CHECK-LABEL: func.func @layer_norm_weight_only(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x16xbf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// CHECK: = norm.layer_norm %[[X]] weight(%[[W]] : tensor<16xf32>) axes = [1] : tensor<2x16xbf16>
func.func @layer_norm_weight_only(%x: tensor<2x16xbf16>, %w: tensor<16xf32>) -> tensor<2x16xbf16> {
  %y = norm.layer_norm %x weight(%w : tensor<16xf32>) axes = [1] : tensor<2x16xbf16>
  return %y : tensor<2x16xbf16>
}

// CHECK-LABEL: func.func @layer_norm_bias_only(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x16xf64>, %[[B:[a-zA-Z0-9_]+]]: tensor<16xf64>)
// CHECK: = norm.layer_norm %[[X]] bias(%[[B]] : tensor<16xf64>) axes = [1] : tensor<2x16xf64>
func.func @layer_norm_bias_only(%x: tensor<2x16xf64>, %b: tensor<16xf64>) -> tensor<2x16xf64> {
  %y = norm.layer_norm %x bias(%b : tensor<16xf64>) axes = [1] : tensor<2x16xf64>
  return %y : tensor<2x16xf64>
}

// CHECK-LABEL: func.func @layer_norm_stats_dynamic(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x?x16x32xf64>, %[[W:[a-zA-Z0-9_]+]]: tensor<16x32xf64>)
// CHECK: = norm.layer_norm %[[X]] weight(%[[W]] : tensor<16x32xf64>) axes = [2, 3] : tensor<?x?x16x32xf64> stats(tensor<?x?x1x1xf64>, tensor<?x?x1x1xf64>)
func.func @layer_norm_stats_dynamic(%x: tensor<?x?x16x32xf64>, %w: tensor<16x32xf64>) -> (tensor<?x?x16x32xf64>, tensor<?x?x1x1xf64>, tensor<?x?x1x1xf64>) {
  %y, %mean, %rstd = norm.layer_norm %x weight(%w : tensor<16x32xf64>) axes = [2, 3] : tensor<?x?x16x32xf64> stats(tensor<?x?x1x1xf64>, tensor<?x?x1x1xf64>)
  return %y, %mean, %rstd : tensor<?x?x16x32xf64>, tensor<?x?x1x1xf64>, tensor<?x?x1x1xf64>
}

// CHECK-LABEL: func.func @layer_norm_stats_bf16(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x?xbf16>)
// CHECK: = norm.layer_norm %[[X]] axes = [1] : tensor<4x?xbf16> stats(tensor<4x1xf32>, tensor<4x1xf32>)
func.func @layer_norm_stats_bf16(%x: tensor<4x?xbf16>) -> (tensor<4x?xbf16>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %y, %mean, %rstd = norm.layer_norm %x axes = [1] : tensor<4x?xbf16> stats(tensor<4x1xf32>, tensor<4x1xf32>)
  return %y, %mean, %rstd : tensor<4x?xbf16>, tensor<4x1xf32>, tensor<4x1xf32>
}

// CHECK-LABEL: func.func @layer_norm_residual(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x768xf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x768xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<768xf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<768xf16>)
// CHECK: = norm.layer_norm %[[X]] weight(%[[W]] : tensor<768xf16>) bias(%[[B]] : tensor<768xf16>) residual(%[[R]] : tensor<?x768xf16>) axes = [1] epsilon = 9.9999999999999998E-13 activation = gelu : tensor<?x768xf16> stats(tensor<?x1xf32>, tensor<?x1xf32>) residual_sum(tensor<?x768xf16>)
func.func @layer_norm_residual(%x: tensor<?x768xf16>, %r: tensor<?x768xf16>, %w: tensor<768xf16>, %b: tensor<768xf16>) -> (tensor<?x768xf16>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x768xf16>) {
  %y, %mean, %rstd, %sum = norm.layer_norm %x weight(%w : tensor<768xf16>) bias(%b : tensor<768xf16>) residual(%r : tensor<?x768xf16>) axes = [1] epsilon = 1.0e-12 activation = gelu : tensor<?x768xf16> stats(tensor<?x1xf32>, tensor<?x1xf32>) residual_sum(tensor<?x768xf16>)
  return %y, %mean, %rstd, %sum : tensor<?x768xf16>, tensor<?x1xf32>, tensor<?x1xf32>, tensor<?x768xf16>
}

// CHECK-LABEL: func.func @layer_norm_residual_no_sum(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x8xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<4x8xf32>)
// CHECK: = norm.layer_norm %[[X]] residual(%[[R]] : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32>
func.func @layer_norm_residual_no_sum(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.layer_norm %x residual(%r : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// CHECK-LABEL: func.func @layer_norm_residual_sum_only(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x8xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<4x8xf32>)
// CHECK: = norm.layer_norm %[[X]] residual(%[[R]] : tensor<4x8xf32>) axes = [1] activation = silu : tensor<4x8xf32> residual_sum(tensor<4x8xf32>)
func.func @layer_norm_residual_sum_only(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %y, %sum = norm.layer_norm %x residual(%r : tensor<4x8xf32>) axes = [1] activation = silu : tensor<4x8xf32> residual_sum(tensor<4x8xf32>)
  return %y, %sum : tensor<4x8xf32>, tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

// Every kind; leaky_relu(0.01) and elu(1.0) are the defaults and print bare.
// CHECK-LABEL: func.func @activations(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x8xf32>)
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = none : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = relu : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = leaky_relu : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = leaky_relu : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = leaky_relu(2.000000e-01) : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = elu : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = elu(5.000000e-01) : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = gelu : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = gelu_tanh : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = silu : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = sigmoid : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = tanh : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = leaky_relu(-5.000000e-01) : tensor<4x8xf32>
// CHECK: = norm.layer_norm %[[X]] axes = [1] activation = elu(0.000000e+00) : tensor<4x8xf32>
func.func @activations(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %0 = norm.layer_norm %x axes = [1] activation = none : tensor<4x8xf32>
  %1 = norm.layer_norm %x axes = [1] activation = relu : tensor<4x8xf32>
  %2 = norm.layer_norm %x axes = [1] activation = leaky_relu : tensor<4x8xf32>
  %3 = norm.layer_norm %x axes = [1] activation = leaky_relu(0.01) : tensor<4x8xf32>
  %4 = norm.layer_norm %x axes = [1] activation = leaky_relu(0.2) : tensor<4x8xf32>
  %5 = norm.layer_norm %x axes = [1] activation = elu : tensor<4x8xf32>
  %6 = norm.layer_norm %x axes = [1] activation = elu(0.5) : tensor<4x8xf32>
  %7 = norm.layer_norm %x axes = [1] activation = gelu : tensor<4x8xf32>
  %8 = norm.layer_norm %x axes = [1] activation = gelu_tanh : tensor<4x8xf32>
  %9 = norm.layer_norm %x axes = [1] activation = silu : tensor<4x8xf32>
  %10 = norm.layer_norm %x axes = [1] activation = sigmoid : tensor<4x8xf32>
  %11 = norm.layer_norm %x axes = [1] activation = tanh : tensor<4x8xf32>
  %12 = norm.layer_norm %x axes = [1] activation = leaky_relu(-0.5) : tensor<4x8xf32>
  %13 = norm.layer_norm %x axes = [1] activation = elu(0.0) : tensor<4x8xf32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm_minimal(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x8xf32>)
// CHECK: = norm.rms_norm %[[X]] axes = [1] : tensor<?x8xf32>
func.func @rms_norm_minimal(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = norm.rms_norm %x axes = [1] : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @rms_norm_gemma(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x?x256xbf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<256xbf16>)
// CHECK: = norm.rms_norm %[[X]] weight(%[[W]] : tensor<256xbf16>) axes = [2] epsilon = 1.000000e-05 weight_offset = 1.000000e+00 activation = gelu_tanh : tensor<2x?x256xbf16> rstd(tensor<2x?x1xf32>)
func.func @rms_norm_gemma(%x: tensor<2x?x256xbf16>, %w: tensor<256xbf16>) -> (tensor<2x?x256xbf16>, tensor<2x?x1xf32>) {
  %y, %rstd = norm.rms_norm %x weight(%w : tensor<256xbf16>) axes = [2] epsilon = 1.0e-05 weight_offset = 1.0 activation = gelu_tanh : tensor<2x?x256xbf16> rstd(tensor<2x?x1xf32>)
  return %y, %rstd : tensor<2x?x256xbf16>, tensor<2x?x1xf32>
}

// CHECK-LABEL: func.func @rms_norm_residual(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x4096xf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x4096xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<4096xf16>)
// CHECK: = norm.rms_norm %[[X]] weight(%[[W]] : tensor<4096xf16>) residual(%[[R]] : tensor<?x4096xf16>) axes = [1] : tensor<?x4096xf16> residual_sum(tensor<?x4096xf16>)
func.func @rms_norm_residual(%x: tensor<?x4096xf16>, %r: tensor<?x4096xf16>, %w: tensor<4096xf16>) -> (tensor<?x4096xf16>, tensor<?x4096xf16>) {
  %y, %sum = norm.rms_norm %x weight(%w : tensor<4096xf16>) residual(%r : tensor<?x4096xf16>) axes = [1] : tensor<?x4096xf16> residual_sum(tensor<?x4096xf16>)
  return %y, %sum : tensor<?x4096xf16>, tensor<?x4096xf16>
}

// CHECK-LABEL: func.func @rms_norm_all(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<3x4x5xf64>, %[[R:[a-zA-Z0-9_]+]]: tensor<3x4x5xf64>, %[[W:[a-zA-Z0-9_]+]]: tensor<4x5xf64>)
// CHECK: = norm.rms_norm %[[X]] weight(%[[W]] : tensor<4x5xf64>) residual(%[[R]] : tensor<3x4x5xf64>) axes = [1, 2] activation = relu : tensor<3x4x5xf64> rstd(tensor<3x1x1xf64>) residual_sum(tensor<3x4x5xf64>)
func.func @rms_norm_all(%x: tensor<3x4x5xf64>, %r: tensor<3x4x5xf64>, %w: tensor<4x5xf64>) -> (tensor<3x4x5xf64>, tensor<3x1x1xf64>, tensor<3x4x5xf64>) {
  %y, %rstd, %sum = norm.rms_norm %x weight(%w : tensor<4x5xf64>) residual(%r : tensor<3x4x5xf64>) axes = [1, 2] activation = relu : tensor<3x4x5xf64> rstd(tensor<3x1x1xf64>) residual_sum(tensor<3x4x5xf64>)
  return %y, %rstd, %sum : tensor<3x4x5xf64>, tensor<3x1x1xf64>, tensor<3x4x5xf64>
}

//===----------------------------------------------------------------------===//
// batch_norm_inference
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @batch_norm_inference_nchw(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<32x64x56x56xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK: = norm.batch_norm_inference %[[X]] mean(%[[M]] : tensor<64xf32>) var(%[[V]] : tensor<64xf32>) weight(%[[W]] : tensor<64xf32>) bias(%[[B]] : tensor<64xf32>) activation = relu : tensor<32x64x56x56xf32>
func.func @batch_norm_inference_nchw(%x: tensor<32x64x56x56xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<32x64x56x56xf32> {
  %y = norm.batch_norm_inference %x mean(%m : tensor<64xf32>) var(%v : tensor<64xf32>) weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) activation = relu : tensor<32x64x56x56xf32>
  return %y : tensor<32x64x56x56xf32>
}

// CHECK-LABEL: func.func @batch_norm_inference_nhwc(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x7x7x?xf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<?xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<?xf32>)
// CHECK: = norm.batch_norm_inference %[[X]] mean(%[[M]] : tensor<?xf32>) var(%[[V]] : tensor<?xf32>) feature_axis = 3 epsilon = 1.000000e-03 : tensor<?x7x7x?xf16>
func.func @batch_norm_inference_nhwc(%x: tensor<?x7x7x?xf16>, %m: tensor<?xf32>, %v: tensor<?xf32>) -> tensor<?x7x7x?xf16> {
  %y = norm.batch_norm_inference %x mean(%m : tensor<?xf32>) var(%v : tensor<?xf32>) feature_axis = 3 epsilon = 1.0e-03 : tensor<?x7x7x?xf16>
  return %y : tensor<?x7x7x?xf16>
}

// CHECK-LABEL: func.func @batch_norm_inference_residual(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x16xbf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<4x16xbf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<16xbf16>, %[[V:[a-zA-Z0-9_]+]]: tensor<16xbf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<16xbf16>)
// CHECK: = norm.batch_norm_inference %[[X]] mean(%[[M]] : tensor<16xbf16>) var(%[[V]] : tensor<16xbf16>) weight(%[[W]] : tensor<16xbf16>) residual(%[[R]] : tensor<4x16xbf16>) activation = leaky_relu(1.000000e-01) : tensor<4x16xbf16> residual_sum(tensor<4x16xbf16>)
func.func @batch_norm_inference_residual(%x: tensor<4x16xbf16>, %r: tensor<4x16xbf16>, %m: tensor<16xbf16>, %v: tensor<16xbf16>, %w: tensor<16xbf16>) -> (tensor<4x16xbf16>, tensor<4x16xbf16>) {
  %y, %sum = norm.batch_norm_inference %x mean(%m : tensor<16xbf16>) var(%v : tensor<16xbf16>) weight(%w : tensor<16xbf16>) residual(%r : tensor<4x16xbf16>) activation = leaky_relu(0.1) : tensor<4x16xbf16> residual_sum(tensor<4x16xbf16>)
  return %y, %sum : tensor<4x16xbf16>, tensor<4x16xbf16>
}

//===----------------------------------------------------------------------===//
// batch_norm_training
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @batch_norm_training_minimal(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<32x64x56x56xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK: = norm.batch_norm_training %[[X]] mean(%[[M]] : tensor<64xf32>) var(%[[V]] : tensor<64xf32>) : tensor<32x64x56x56xf32> stats(tensor<64xf32>, tensor<64xf32>)
func.func @batch_norm_training_minimal(%x: tensor<32x64x56x56xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>) -> (tensor<32x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<64xf32>) var(%v : tensor<64xf32>) : tensor<32x64x56x56xf32> stats(tensor<64xf32>, tensor<64xf32>)
  return %y, %sm, %sr, %rm, %rv : tensor<32x64x56x56xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @batch_norm_training_all(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x?x?x32xbf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x?x?x32xbf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<32xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<32xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<32xbf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<32xbf16>)
// CHECK: = norm.batch_norm_training %[[X]] mean(%[[M]] : tensor<32xf32>) var(%[[V]] : tensor<32xf32>) weight(%[[W]] : tensor<32xbf16>) bias(%[[B]] : tensor<32xbf16>) residual(%[[R]] : tensor<?x?x?x32xbf16>) feature_axis = 3 epsilon = 1.000000e-03 momentum = 1.000000e-02 activation = elu(2.000000e+00) : tensor<?x?x?x32xbf16> stats(tensor<32xf32>, tensor<32xf32>) residual_sum(tensor<?x?x?x32xbf16>)
func.func @batch_norm_training_all(%x: tensor<?x?x?x32xbf16>, %r: tensor<?x?x?x32xbf16>, %m: tensor<32xf32>, %v: tensor<32xf32>, %w: tensor<32xbf16>, %b: tensor<32xbf16>) -> (tensor<?x?x?x32xbf16>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<?x?x?x32xbf16>) {
  %y, %sm, %sr, %rm, %rv, %sum = norm.batch_norm_training %x mean(%m : tensor<32xf32>) var(%v : tensor<32xf32>) weight(%w : tensor<32xbf16>) bias(%b : tensor<32xbf16>) residual(%r : tensor<?x?x?x32xbf16>) feature_axis = 3 epsilon = 1.0e-03 momentum = 0.01 activation = elu(2.0) : tensor<?x?x?x32xbf16> stats(tensor<32xf32>, tensor<32xf32>) residual_sum(tensor<?x?x?x32xbf16>)
  return %y, %sm, %sr, %rm, %rv, %sum : tensor<?x?x?x32xbf16>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<32xf32>, tensor<?x?x?x32xbf16>
}

// CHECK-LABEL: func.func @batch_norm_training_momentum_bounds(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<8x4xf64>, %[[M:[a-zA-Z0-9_]+]]: tensor<4xf64>, %[[V:[a-zA-Z0-9_]+]]: tensor<4xf64>)
// CHECK: = norm.batch_norm_training %[[X]] mean(%[[M]] : tensor<4xf64>) var(%[[V]] : tensor<4xf64>) momentum = 0.000000e+00 : tensor<8x4xf64> stats(tensor<4xf64>, tensor<4xf64>)
// CHECK: = norm.batch_norm_training %[[X]] mean(%[[M]] : tensor<4xf64>) var(%[[V]] : tensor<4xf64>) momentum = 1.000000e+00 : tensor<8x4xf64> stats(tensor<4xf64>, tensor<4xf64>)
func.func @batch_norm_training_momentum_bounds(%x: tensor<8x4xf64>, %m: tensor<4xf64>, %v: tensor<4xf64>) -> (tensor<8x4xf64>, tensor<8x4xf64>) {
  %y0, %sm0, %sr0, %rm0, %rv0 = norm.batch_norm_training %x mean(%m : tensor<4xf64>) var(%v : tensor<4xf64>) momentum = 0.0 : tensor<8x4xf64> stats(tensor<4xf64>, tensor<4xf64>)
  %y1, %sm1, %sr1, %rm1, %rv1 = norm.batch_norm_training %x mean(%m : tensor<4xf64>) var(%v : tensor<4xf64>) momentum = 1.0 : tensor<8x4xf64> stats(tensor<4xf64>, tensor<4xf64>)
  return %y0, %y1 : tensor<8x4xf64>, tensor<8x4xf64>
}

//===----------------------------------------------------------------------===//
// inplace_abn
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @inplace_abn(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<8x64x32x32xf32>, %[[M:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<64xf32>, %[[B:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK: = norm.inplace_abn %[[X]] mean(%[[M]] : tensor<64xf32>) var(%[[V]] : tensor<64xf32>) weight(%[[W]] : tensor<64xf32>) bias(%[[B]] : tensor<64xf32>) epsilon = 1.000000e-03 momentum = 2.000000e-01 activation = leaky_relu : tensor<8x64x32x32xf32> stats(tensor<64xf32>, tensor<64xf32>)
func.func @inplace_abn(%x: tensor<8x64x32x32xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %y, %sm, %sr, %rm, %rv = norm.inplace_abn %x mean(%m : tensor<64xf32>) var(%v : tensor<64xf32>) weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) epsilon = 1.0e-03 momentum = 0.2 activation = leaky_relu(0.01) : tensor<8x64x32x32xf32> stats(tensor<64xf32>, tensor<64xf32>)
  return %y, %sm, %sr, %rm, %rv : tensor<8x64x32x32xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// CHECK-LABEL: func.func @inplace_abn_variants(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x?x?x16xf16>, %[[M:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// CHECK: = norm.inplace_abn %[[X]] mean(%[[M]] : tensor<16xf32>) var(%[[V]] : tensor<16xf32>) feature_axis = 3 : tensor<?x?x?x16xf16> stats(tensor<16xf32>, tensor<16xf32>)
// CHECK: = norm.inplace_abn %[[X]] mean(%[[M]] : tensor<16xf32>) var(%[[V]] : tensor<16xf32>) feature_axis = 3 activation = elu(5.000000e-01) : tensor<?x?x?x16xf16> stats(tensor<16xf32>, tensor<16xf32>)
// CHECK: = norm.inplace_abn %[[X]] mean(%[[M]] : tensor<16xf32>) var(%[[V]] : tensor<16xf32>) feature_axis = 3 activation = none : tensor<?x?x?x16xf16> stats(tensor<16xf32>, tensor<16xf32>)
func.func @inplace_abn_variants(%x: tensor<?x?x?x16xf16>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> (tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>) {
  %y0, %sm0, %sr0, %rm0, %rv0 = norm.inplace_abn %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>) feature_axis = 3 : tensor<?x?x?x16xf16> stats(tensor<16xf32>, tensor<16xf32>)
  %y1, %sm1, %sr1, %rm1, %rv1 = norm.inplace_abn %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>) feature_axis = 3 activation = elu(5.000000e-01) : tensor<?x?x?x16xf16> stats(tensor<16xf32>, tensor<16xf32>)
  %y2, %sm2, %sr2, %rm2, %rv2 = norm.inplace_abn %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>) feature_axis = 3 activation = none : tensor<?x?x?x16xf16> stats(tensor<16xf32>, tensor<16xf32>)
  return %y0, %y1, %y2 : tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>, tensor<?x?x?x16xf16>
}

//===----------------------------------------------------------------------===//
// group_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @group_norm_minimal(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<8x256x64x64xf32>)
// CHECK: = norm.group_norm %[[X]] groups = 32 : tensor<8x256x64x64xf32>
func.func @group_norm_minimal(%x: tensor<8x256x64x64xf32>) -> tensor<8x256x64x64xf32> {
  %y = norm.group_norm %x groups = 32 : tensor<8x256x64x64xf32>
  return %y : tensor<8x256x64x64xf32>
}

// CHECK-LABEL: func.func @group_norm_nhwc_all(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16x16x64xf16>, %[[R:[a-zA-Z0-9_]+]]: tensor<?x16x16x64xf16>, %[[W:[a-zA-Z0-9_]+]]: tensor<64xf16>, %[[B:[a-zA-Z0-9_]+]]: tensor<64xf16>)
// CHECK: = norm.group_norm %[[X]] weight(%[[W]] : tensor<64xf16>) bias(%[[B]] : tensor<64xf16>) residual(%[[R]] : tensor<?x16x16x64xf16>) groups = 8 channel_axis = 3 epsilon = 9.9999999999999995E-7 activation = silu : tensor<?x16x16x64xf16> stats(tensor<?x8xf32>, tensor<?x8xf32>) residual_sum(tensor<?x16x16x64xf16>)
func.func @group_norm_nhwc_all(%x: tensor<?x16x16x64xf16>, %r: tensor<?x16x16x64xf16>, %w: tensor<64xf16>, %b: tensor<64xf16>) -> (tensor<?x16x16x64xf16>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x16x16x64xf16>) {
  %y, %mean, %rstd, %sum = norm.group_norm %x weight(%w : tensor<64xf16>) bias(%b : tensor<64xf16>) residual(%r : tensor<?x16x16x64xf16>) groups = 8 channel_axis = 3 epsilon = 1.0e-06 activation = silu : tensor<?x16x16x64xf16> stats(tensor<?x8xf32>, tensor<?x8xf32>) residual_sum(tensor<?x16x16x64xf16>)
  return %y, %mean, %rstd, %sum : tensor<?x16x16x64xf16>, tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x16x16x64xf16>
}

// CHECK-LABEL: func.func @group_norm_instance(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<2x?x100xf64>, %[[W:[a-zA-Z0-9_]+]]: tensor<?xf64>)
// CHECK: = norm.group_norm %[[X]] weight(%[[W]] : tensor<?xf64>) groups = 4 : tensor<2x?x100xf64> stats(tensor<2x4xf64>, tensor<2x4xf64>)
func.func @group_norm_instance(%x: tensor<2x?x100xf64>, %w: tensor<?xf64>) -> (tensor<2x?x100xf64>, tensor<2x4xf64>, tensor<2x4xf64>) {
  %y, %mean, %rstd = norm.group_norm %x weight(%w : tensor<?xf64>) groups = 4 : tensor<2x?x100xf64> stats(tensor<2x4xf64>, tensor<2x4xf64>)
  return %y, %mean, %rstd : tensor<2x?x100xf64>, tensor<2x4xf64>, tensor<2x4xf64>
}

//===----------------------------------------------------------------------===//
// spectral_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @spectral_norm(
// CHECK-SAME: %[[W:[a-zA-Z0-9_]+]]: tensor<64x3x3x3xf32>, %[[U:[a-zA-Z0-9_]+]]: tensor<64xf32>)
// CHECK: = norm.spectral_norm %[[W]], %[[U]] : tensor<64x3x3x3xf32>, tensor<64xf32> -> tensor<f32>
func.func @spectral_norm(%w: tensor<64x3x3x3xf32>, %u: tensor<64xf32>) -> (tensor<64x3x3x3xf32>, tensor<64xf32>, tensor<f32>) {
  %wn, %u2, %sigma = norm.spectral_norm %w, %u : tensor<64x3x3x3xf32>, tensor<64xf32> -> tensor<f32>
  return %wn, %u2, %sigma : tensor<64x3x3x3xf32>, tensor<64xf32>, tensor<f32>
}

// CHECK-LABEL: func.func @spectral_norm_options(
// CHECK-SAME: %[[W:[a-zA-Z0-9_]+]]: tensor<?x128xbf16>, %[[U:[a-zA-Z0-9_]+]]: tensor<128xbf16>)
// CHECK: = norm.spectral_norm %[[W]], %[[U]] dim = 1 power_iterations = 3 epsilon = 1.000000e-08 : tensor<?x128xbf16>, tensor<128xbf16> -> tensor<f32>
func.func @spectral_norm_options(%w: tensor<?x128xbf16>, %u: tensor<128xbf16>) -> (tensor<?x128xbf16>, tensor<128xbf16>, tensor<f32>) {
  %wn, %u2, %sigma = norm.spectral_norm %w, %u dim = 1 power_iterations = 3 epsilon = 1.0e-08 : tensor<?x128xbf16>, tensor<128xbf16> -> tensor<f32>
  return %wn, %u2, %sigma : tensor<?x128xbf16>, tensor<128xbf16>, tensor<f32>
}

// CHECK-LABEL: func.func @spectral_norm_f64(
// CHECK-SAME: %[[W:[a-zA-Z0-9_]+]]: tensor<10xf64>, %[[U:[a-zA-Z0-9_]+]]: tensor<?xf64>)
// CHECK: = norm.spectral_norm %[[W]], %[[U]] : tensor<10xf64>, tensor<?xf64> -> tensor<f64>
func.func @spectral_norm_f64(%w: tensor<10xf64>, %u: tensor<?xf64>) -> tensor<f64> {
  %wn, %u2, %sigma = norm.spectral_norm %w, %u : tensor<10xf64>, tensor<?xf64> -> tensor<f64>
  return %sigma : tensor<f64>
}

//===----------------------------------------------------------------------===//
// moments, min_max, standardize, min_max_scale
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @moments(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16xf32>)
// CHECK: = norm.moments %[[X]] axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
func.func @moments(%x: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %mean, %std = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
  return %mean, %std : tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @moments_correction(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<4x?x6xf64>)
// CHECK: = norm.moments %[[X]] axes = [0, 2] correction = 1 : tensor<4x?x6xf64> -> tensor<?xf64>
func.func @moments_correction(%x: tensor<4x?x6xf64>) -> (tensor<?xf64>, tensor<?xf64>) {
  %mean, %std = norm.moments %x axes = [0, 2] correction = 1 : tensor<4x?x6xf64> -> tensor<?xf64>
  return %mean, %std : tensor<?xf64>, tensor<?xf64>
}

// CHECK-LABEL: func.func @min_max(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16xf16>)
// CHECK: = norm.min_max %[[X]] axes = [0] : tensor<?x16xf16> -> tensor<16xf16>
func.func @min_max(%x: tensor<?x16xf16>) -> (tensor<16xf16>, tensor<16xf16>) {
  %lo, %hi = norm.min_max %x axes = [0] : tensor<?x16xf16> -> tensor<16xf16>
  return %lo, %hi : tensor<16xf16>, tensor<16xf16>
}

// CHECK-LABEL: func.func @min_max_all_axes(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<3x4xbf16>)
// CHECK: = norm.min_max %[[X]] axes = [0, 1] : tensor<3x4xbf16> -> tensor<bf16>
func.func @min_max_all_axes(%x: tensor<3x4xbf16>) -> (tensor<bf16>, tensor<bf16>) {
  %lo, %hi = norm.min_max %x axes = [0, 1] : tensor<3x4xbf16> -> tensor<bf16>
  return %lo, %hi : tensor<bf16>, tensor<bf16>
}

// CHECK-LABEL: func.func @standardize(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16xf32>, %[[MEAN:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[STD:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// CHECK: = norm.standardize %[[X]], %[[MEAN]], %[[STD]] axes = [0] : tensor<?x16xf32>, tensor<16xf32>
func.func @standardize(%x: tensor<?x16xf32>, %mean: tensor<16xf32>, %std: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = norm.standardize %x, %mean, %std axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @standardize_f64(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<5x?x7xf64>, %[[MEAN:[a-zA-Z0-9_]+]]: tensor<?xf64>, %[[STD:[a-zA-Z0-9_]+]]: tensor<?xf64>)
// CHECK: = norm.standardize %[[X]], %[[MEAN]], %[[STD]] axes = [0, 2] : tensor<5x?x7xf64>, tensor<?xf64>
func.func @standardize_f64(%x: tensor<5x?x7xf64>, %mean: tensor<?xf64>, %std: tensor<?xf64>) -> tensor<5x?x7xf64> {
  %y = norm.standardize %x, %mean, %std axes = [0, 2] : tensor<5x?x7xf64>, tensor<?xf64>
  return %y : tensor<5x?x7xf64>
}

// CHECK-LABEL: func.func @min_max_scale(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16xf32>, %[[LO:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[HI:[a-zA-Z0-9_]+]]: tensor<16xf32>)
// CHECK: = norm.min_max_scale %[[X]], %[[LO]], %[[HI]] axes = [0] : tensor<?x16xf32>, tensor<16xf32>
func.func @min_max_scale(%x: tensor<?x16xf32>, %lo: tensor<16xf32>, %hi: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @min_max_scale_range(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: tensor<?x16xf16>, %[[LO:[a-zA-Z0-9_]+]]: tensor<16xf16>, %[[HI:[a-zA-Z0-9_]+]]: tensor<16xf16>)
// CHECK: = norm.min_max_scale %[[X]], %[[LO]], %[[HI]] axes = [0] range_min = -1.000000e+00 range_max = 2.000000e+00 : tensor<?x16xf16>, tensor<16xf16>
func.func @min_max_scale_range(%x: tensor<?x16xf16>, %lo: tensor<16xf16>, %hi: tensor<16xf16>) -> tensor<?x16xf16> {
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] range_min = -1.0 range_max = 2.0 : tensor<?x16xf16>, tensor<16xf16>
  return %y : tensor<?x16xf16>
}

//===----------------------------------------------------------------------===//
// image_normalize
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @image_normalize_u8_nchw(
// CHECK-SAME: %[[IMG:[a-zA-Z0-9_]+]]: tensor<8x3x224x224xui8>, %[[MEAN:[a-zA-Z0-9_]+]]: tensor<3xf32>, %[[STD:[a-zA-Z0-9_]+]]: tensor<3xf32>)
// CHECK: = norm.image_normalize %[[IMG]], %[[MEAN]], %[[STD]] scale = 0.0039215686274509803 : tensor<8x3x224x224xui8>, tensor<3xf32> -> tensor<8x3x224x224xf32>
func.func @image_normalize_u8_nchw(%img: tensor<8x3x224x224xui8>, %mean: tensor<3xf32>, %std: tensor<3xf32>) -> tensor<8x3x224x224xf32> {
  %y = norm.image_normalize %img, %mean, %std scale = 0.00392156862745098 : tensor<8x3x224x224xui8>, tensor<3xf32> -> tensor<8x3x224x224xf32>
  return %y : tensor<8x3x224x224xf32>
}

// CHECK-LABEL: func.func @image_normalize_u8_nhwc(
// CHECK-SAME: %[[IMG:[a-zA-Z0-9_]+]]: tensor<?x224x224x3xui8>, %[[MEAN:[a-zA-Z0-9_]+]]: tensor<3xf32>, %[[STD:[a-zA-Z0-9_]+]]: tensor<3xf32>)
// CHECK: = norm.image_normalize %[[IMG]], %[[MEAN]], %[[STD]] layout = nhwc scale = 0.0039215686274509803 : tensor<?x224x224x3xui8>, tensor<3xf32> -> tensor<?x224x224x3xf16>
func.func @image_normalize_u8_nhwc(%img: tensor<?x224x224x3xui8>, %mean: tensor<3xf32>, %std: tensor<3xf32>) -> tensor<?x224x224x3xf16> {
  %y = norm.image_normalize %img, %mean, %std layout = nhwc scale = 0.00392156862745098 : tensor<?x224x224x3xui8>, tensor<3xf32> -> tensor<?x224x224x3xf16>
  return %y : tensor<?x224x224x3xf16>
}

// CHECK-LABEL: func.func @image_normalize_i8_chw(
// CHECK-SAME: %[[IMG:[a-zA-Z0-9_]+]]: tensor<3x?x?xi8>, %[[MEAN:[a-zA-Z0-9_]+]]: tensor<3xbf16>, %[[STD:[a-zA-Z0-9_]+]]: tensor<3xbf16>)
// CHECK: = norm.image_normalize %[[IMG]], %[[MEAN]], %[[STD]] : tensor<3x?x?xi8>, tensor<3xbf16> -> tensor<3x?x?xbf16>
func.func @image_normalize_i8_chw(%img: tensor<3x?x?xi8>, %mean: tensor<3xbf16>, %std: tensor<3xbf16>) -> tensor<3x?x?xbf16> {
  %y = norm.image_normalize %img, %mean, %std layout = nchw : tensor<3x?x?xi8>, tensor<3xbf16> -> tensor<3x?x?xbf16>
  return %y : tensor<3x?x?xbf16>
}

// CHECK-LABEL: func.func @image_normalize_float_hwc(
// CHECK-SAME: %[[IMG:[a-zA-Z0-9_]+]]: tensor<32x32x4xf32>, %[[MEAN:[a-zA-Z0-9_]+]]: tensor<4xf64>, %[[STD:[a-zA-Z0-9_]+]]: tensor<4xf64>)
// CHECK: = norm.image_normalize %[[IMG]], %[[MEAN]], %[[STD]] layout = nhwc : tensor<32x32x4xf32>, tensor<4xf64> -> tensor<32x32x4xf64>
func.func @image_normalize_float_hwc(%img: tensor<32x32x4xf32>, %mean: tensor<4xf64>, %std: tensor<4xf64>) -> tensor<32x32x4xf64> {
  %y = norm.image_normalize %img, %mean, %std layout = nhwc : tensor<32x32x4xf32>, tensor<4xf64> -> tensor<32x32x4xf64>
  return %y : tensor<32x32x4xf64>
}
