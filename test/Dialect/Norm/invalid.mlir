// RUN: norm-opt %s -split-input-file -verify-diagnostics

// Every verifier branch of the norm ops and of #norm.activation, plus the
// ODS type constraints and the custom activation syntax.

//===----------------------------------------------------------------------===//
// ODS type constraints.
//===----------------------------------------------------------------------===//

func.func @input_i32(%x: tensor<4x8xi32>) -> tensor<4x8xi32> {
  // expected-error@+1 {{operand #0 must be ranked tensor without encoding of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<4x8xi32>'}}
  %y = norm.layer_norm %x axes = [1] : tensor<4x8xi32>
  return %y : tensor<4x8xi32>
}

// -----

func.func @input_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error@+1 {{operand #0 must be ranked tensor without encoding of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<*xf32>'}}
  %y = "norm.rms_norm"(%x) <{axes = array<i64: 0>, operandSegmentSizes = array<i32: 1, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<*xf32>) -> tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @input_unranked_custom(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error@+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %y = norm.rms_norm %x axes = [0] : tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @output_type_mismatch(%x: tensor<4x8xf32>) -> tensor<4x8xf16> {
  // expected-error@+1 {{failed to verify that all of {input, output} have same type}}
  %y = "norm.layer_norm"(%x) <{axes = array<i64: 1>, operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// -----

func.func @new_running_mean_type(%x: tensor<8x4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) {
  // expected-error@+1 {{failed to verify that all of {running_mean, new_running_mean} have same type}}
  %0:5 = "norm.batch_norm_training"(%x, %m, %v) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0>}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<?xf32>, tensor<4xf32>)
  return
}

// -----

func.func @moments_std_type(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{failed to verify that all of {mean, std} have same type}}
  %0:2 = "norm.moments"(%x) <{axes = array<i64: 0>}> : (tensor<8x4xf32>) -> (tensor<4xf32>, tensor<4xf64>)
  return
}

// -----

func.func @image_si8(%img: tensor<3x8x8xsi8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3x8x8xf32> {
  // expected-error@+1 {{operand #0 must be ranked tensor without encoding of 16-bit float or bfloat16 type or 32-bit float or 64-bit float or 8-bit signless integer or 8-bit unsigned integer values, but got 'tensor<3x8x8xsi8>'}}
  %y = norm.image_normalize %img, %m, %s : tensor<3x8x8xsi8>, tensor<3xf32> -> tensor<3x8x8xf32>
  return %y : tensor<3x8x8xf32>
}

// -----

func.func @image_output_integer(%img: tensor<3x8x8xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3x8x8xui8> {
  // expected-error@+1 {{result #0 must be ranked tensor without encoding of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<3x8x8xui8>'}}
  %y = norm.image_normalize %img, %m, %s : tensor<3x8x8xui8>, tensor<3xf32> -> tensor<3x8x8xui8>
  return %y : tensor<3x8x8xui8>
}

//===----------------------------------------------------------------------===//
// Custom syntax of the activation.
//===----------------------------------------------------------------------===//

// -----

// An encoded (sparse) tensor: the lowerings are dense, and the encoding
// would be dropped on the way to the C ABI.
#csr = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }>
func.func @sparse_input(%x: tensor<2x8xf32, #csr>) -> tensor<2x8xf32, #csr> {
  // expected-error@+1 {{'norm.layer_norm' op operand #0 must be ranked tensor without encoding of 16-bit float or bfloat16 type or 32-bit float or 64-bit float values, but got 'tensor<2x8xf32, #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }>>'}}
  %y = norm.layer_norm %x axes = [1] : tensor<2x8xf32, #csr>
  return %y : tensor<2x8xf32, #csr>
}

// -----

func.func @unknown_activation(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{unknown activation 'swish'; expected one of none, relu, leaky_relu, elu, gelu, gelu_tanh, silu, sigmoid, tanh}}
  %y = norm.layer_norm %x axes = [1] activation = swish : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @activation_parameter_on_relu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{activation 'relu' takes no parameter}}
  %y = norm.rms_norm %x axes = [1] activation = relu(0.5) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @activation_negative_elu(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{elu alpha must be non-negative, got -1.000000e+00}}
  %y = norm.group_norm %x groups = 2 activation = elu(-1.0) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @activation_infinite_parameter(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{activation parameter must be finite}}
  %y = norm.layer_norm %x axes = [1] activation = leaky_relu(1.0e400) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @activation_missing_keyword(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{expected valid keyword}}
  %y = norm.layer_norm %x axes = [1] activation = : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

//===----------------------------------------------------------------------===//
// Shared checks: epsilon and axes.
//===----------------------------------------------------------------------===//

// -----

func.func @epsilon_zero(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'epsilon' to be a positive finite number, got 0.000000e+00}}
  %y = norm.layer_norm %x axes = [1] epsilon = 0.0 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @epsilon_negative(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'epsilon' to be a positive finite number, got -1.000000e-05}}
  %y = norm.rms_norm %x axes = [1] epsilon = -1.0e-05 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @epsilon_infinite(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'epsilon' to be a positive finite number, got INF}}
  %y = norm.group_norm %x groups = 2 epsilon = 0x7FF0000000000000 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @epsilon_nan(%x: tensor<4x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'epsilon' to be a positive finite number, got nan}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) epsilon = 0x7FF8000000000000 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An epsilon that f32 (the compute type of f32, f16 and bf16 data) rounds
// to 0 or inf, or holds only as a denormal, would change the result.
func.func @epsilon_underflows_f32(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'epsilon' to be a normal f32 number (the type it is computed in), got 1.000000e-50, which underflows there}}
  %y = norm.layer_norm %x axes = [1] epsilon = 1.0e-50 : tensor<4x8xbf16>
  return %y : tensor<4x8xbf16>
}

// -----

func.func @epsilon_denormal_f32(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'epsilon' to be a normal f32 number (the type it is computed in), got 1.000000e-40, which underflows there}}
  %y = norm.rms_norm %x axes = [1] epsilon = 1.0e-40 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @epsilon_overflows_f32(%x: tensor<2x4x3xf16>) -> tensor<2x4x3xf16> {
  // expected-error@+1 {{'norm.group_norm' op expects 'epsilon' to be a normal f32 number (the type it is computed in), got 1.000000e+50, which overflows there}}
  %y = norm.group_norm %x groups = 2 epsilon = 1.0e+50 : tensor<2x4x3xf16>
  return %y : tensor<2x4x3xf16>
}

// -----

func.func @epsilon_spectral_underflows(%w: tensor<4x3xf32>, %u: tensor<4xf32>) -> tensor<4x3xf32> {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'epsilon' to be a normal f32 number (the type it is computed in), got 1.000000e-45, which underflows there}}
  %r:3 = norm.spectral_norm %w, %u epsilon = 1.0e-45 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return %r#0 : tensor<4x3xf32>
}

// -----

// f64 data computes in f64: 1e-50 is a normal f64 number.
func.func @epsilon_f64_small(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
  %y = norm.layer_norm %x axes = [1] epsilon = 1.0e-50 : tensor<4x8xf64>
  return %y : tensor<4x8xf64>
}

// -----

func.func @axes_empty(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects at least one axis in 'axes'}}
  %y = norm.layer_norm %x axes = [] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @axes_out_of_range(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op axis 2 is out of range for an input of rank 2}}
  %y = norm.layer_norm %x axes = [2] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @axes_negative(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op axis -1 is out of range for an input of rank 2}}
  %y = norm.rms_norm %x axes = [-1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @axes_unsorted(%x: tensor<4x8x2xf32>) -> tensor<4x8x2xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'axes' to be sorted and without duplicates}}
  %y = norm.layer_norm %x axes = [2, 1] : tensor<4x8x2xf32>
  return %y : tensor<4x8x2xf32>
}

// -----

func.func @axes_duplicate(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'axes' to be sorted and without duplicates}}
  %y = norm.rms_norm %x axes = [1, 1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @axes_not_adjacent(%x: tensor<4x8x2x3xf32>) -> tensor<4x8x2x3xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'axes' to be adjacent dimensions, got [1, 3]}}
  %y = norm.layer_norm %x axes = [1, 3] : tensor<4x8x2x3xf32>
  return %y : tensor<4x8x2x3xf32>
}

// -----

func.func @axes_not_contiguous(%x: tensor<4x8x2xf32>) -> tensor<4x8x2xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'axes' to be adjacent dimensions, got [0, 2]}}
  %y = norm.rms_norm %x axes = [0, 2] : tensor<4x8x2xf32>
  return %y : tensor<4x8x2xf32>
}

// -----

// Over the channels of NCHW, the parameters have the channels' shape.
func.func @channel_axes_weight(%x: tensor<2x8x5x5xf32>, %w: tensor<5xf32>) -> tensor<2x8x5x5xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'weight' to have shape 8, got 5}}
  %y = norm.layer_norm %x weight(%w : tensor<5xf32>) axes = [1] : tensor<2x8x5x5xf32>
  return %y : tensor<2x8x5x5xf32>
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

// -----

func.func @layer_norm_weight_rank(%x: tensor<4x8x2xf32>, %w: tensor<16xf32>) -> tensor<4x8x2xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'weight' to have rank 2 (shape 8x2), got rank 1}}
  %y = norm.layer_norm %x weight(%w : tensor<16xf32>) axes = [1, 2] : tensor<4x8x2xf32>
  return %y : tensor<4x8x2xf32>
}

// -----

func.func @layer_norm_bias_shape(%x: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'bias' to have shape 8, got 4 (dimension 0)}}
  %y = norm.layer_norm %x bias(%b : tensor<4xf32>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @layer_norm_weight_element_type(%x: tensor<4x8xf32>, %w: tensor<8xf64>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'weight' to have element type 'f32', got 'f64'}}
  %y = norm.layer_norm %x weight(%w : tensor<8xf64>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @layer_norm_bias_element_type(%x: tensor<4x8xbf16>, %b: tensor<8xf16>) -> tensor<4x8xbf16> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'bias' to have element type 'bf16' or 'f32', got 'f16'}}
  %y = norm.layer_norm %x bias(%b : tensor<8xf16>) axes = [1] : tensor<4x8xbf16>
  return %y : tensor<4x8xbf16>
}

// -----

func.func @layer_norm_stats_shape(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.layer_norm' op expects result 'mean' to have shape 4x1, got 4x8 (dimension 1)}}
  %y, %m, %r = norm.layer_norm %x axes = [1] : tensor<4x8xf32> stats(tensor<4x8xf32>, tensor<4x8xf32>)
  return
}

// -----

func.func @layer_norm_stats_rank(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.layer_norm' op expects result 'mean' to have rank 2 (shape 4x1), got rank 1}}
  %y, %m, %r = norm.layer_norm %x axes = [1] : tensor<4x8xf32> stats(tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_stats_element_type(%x: tensor<4x8xf16>) {
  // expected-error@+1 {{'norm.layer_norm' op expects result 'mean' to have element type 'f32', got 'f16'}}
  %y, %m, %r = norm.layer_norm %x axes = [1] : tensor<4x8xf16> stats(tensor<4x1xf16>, tensor<4x1xf16>)
  return
}

// -----

func.func @layer_norm_rstd_element_type(%x: tensor<4x8xf64>) {
  // expected-error@+1 {{'norm.layer_norm' op expects result 'rstd' to have element type 'f64', got 'f32'}}
  %y, %m, %r = norm.layer_norm %x axes = [1] : tensor<4x8xf64> stats(tensor<4x1xf64>, tensor<4x1xf32>)
  return
}

// -----

func.func @layer_norm_mean_without_rstd(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.layer_norm' op expects both 'mean' and 'rstd' results or neither}}
  %0:2 = "norm.layer_norm"(%x) <{axes = array<i64: 1>, operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>)
  return
}

// -----

func.func @layer_norm_rstd_without_mean(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.layer_norm' op expects both 'mean' and 'rstd' results or neither}}
  %0:2 = "norm.layer_norm"(%x) <{axes = array<i64: 1>, operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x1xf32>)
  return
}

// -----

func.func @layer_norm_residual_type(%x: tensor<4x8xf32>, %r: tensor<4x8xf16>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'residual' to have the input type 'tensor<4x8xf32>', got 'tensor<4x8xf16>'}}
  %y = norm.layer_norm %x residual(%r : tensor<4x8xf16>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @layer_norm_residual_shape(%x: tensor<4x8xf32>, %r: tensor<?x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects 'residual' to have the input type 'tensor<4x8xf32>', got 'tensor<?x8xf32>'}}
  %y = norm.layer_norm %x residual(%r : tensor<?x8xf32>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @layer_norm_residual_sum_without_residual(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.layer_norm' op has a 'residual_sum' result but no 'residual' operand}}
  %y, %s = norm.layer_norm %x axes = [1] : tensor<4x8xf32> residual_sum(tensor<4x8xf32>)
  return
}

// -----

func.func @layer_norm_residual_sum_type(%x: tensor<4x8xf32>, %r: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.layer_norm' op expects result 'residual_sum' to have the input type 'tensor<4x8xf32>', got 'tensor<4x8xf64>'}}
  %y, %s = norm.layer_norm %x residual(%r : tensor<4x8xf32>) axes = [1] : tensor<4x8xf32> residual_sum(tensor<4x8xf64>)
  return
}

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

// -----

func.func @rms_norm_weight_offset_infinite(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects a finite 'weight_offset'}}
  %y = norm.rms_norm %x axes = [1] weight_offset = 0xFFF0000000000000 : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @rms_norm_weight_shape(%x: tensor<4x8xf32>, %w: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'weight' to have shape 8, got 4 (dimension 0)}}
  %y = norm.rms_norm %x weight(%w : tensor<4xf32>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @rms_norm_weight_element_type(%x: tensor<4x8xf16>, %w: tensor<8xbf16>) -> tensor<4x8xf16> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'weight' to have element type 'f16' or 'f32', got 'bf16'}}
  %y = norm.rms_norm %x weight(%w : tensor<8xbf16>) axes = [1] : tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// -----

func.func @rms_norm_rstd_shape(%x: tensor<2x4x8xf32>) {
  // expected-error@+1 {{'norm.rms_norm' op expects result 'rstd' to have shape 2x4x1, got 2x1x1 (dimension 1)}}
  %y, %r = norm.rms_norm %x axes = [2] : tensor<2x4x8xf32> rstd(tensor<2x1x1xf32>)
  return
}

// -----

func.func @rms_norm_rstd_element_type(%x: tensor<4x8xbf16>) {
  // expected-error@+1 {{'norm.rms_norm' op expects result 'rstd' to have element type 'f32', got 'bf16'}}
  %y, %r = norm.rms_norm %x axes = [1] : tensor<4x8xbf16> rstd(tensor<4x1xbf16>)
  return
}

// -----

func.func @rms_norm_residual_type(%x: tensor<4x8xf32>, %r: tensor<8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects 'residual' to have the input type 'tensor<4x8xf32>', got 'tensor<8xf32>'}}
  %y = norm.rms_norm %x residual(%r : tensor<8xf32>) axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @rms_norm_residual_sum_without_residual(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'norm.rms_norm' op has a 'residual_sum' result but no 'residual' operand}}
  %y, %s = norm.rms_norm %x axes = [1] : tensor<4x8xf32> residual_sum(tensor<4x8xf32>)
  return
}

//===----------------------------------------------------------------------===//
// batch_norm_inference
//===----------------------------------------------------------------------===//

// -----

func.func @batch_norm_inference_rank1(%x: tensor<8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects an input of rank >= 2 (batch and channels), got rank 1}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) feature_axis = 0 : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

func.func @batch_norm_inference_feature_axis(%x: tensor<2x8x4x4xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'feature_axis' in [0, 3], got 4}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) feature_axis = 4 : tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @batch_norm_inference_feature_axis_negative(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'feature_axis' in [0, 1], got -1}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) feature_axis = -1 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @batch_norm_inference_running_mean(%x: tensor<2x8x4x4xf32>, %m: tensor<4xf32>, %v: tensor<8xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'running_mean' to have shape 8, got 4 (dimension 0)}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<4xf32>) var(%v : tensor<8xf32>) : tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @batch_norm_inference_running_var(%x: tensor<2x4x4x8xf32>, %m: tensor<8xf32>, %v: tensor<8x1xf32>) -> tensor<2x4x4x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'running_var' to have rank 1 (shape 8), got rank 2}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8x1xf32>) feature_axis = 3 : tensor<2x4x4x8xf32>
  return %y : tensor<2x4x4x8xf32>
}

// -----

func.func @batch_norm_inference_running_mean_element_type(%x: tensor<2x8xf32>, %m: tensor<8xf16>, %v: tensor<8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'running_mean' to have element type 'f32', got 'f16'}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf16>) var(%v : tensor<8xf32>) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @batch_norm_inference_weight(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %w: tensor<2xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'weight' to have shape 8, got 2 (dimension 0)}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) weight(%w : tensor<2xf32>) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @batch_norm_inference_bias(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %b: tensor<8xf64>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'bias' to have element type 'f32', got 'f64'}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) bias(%b : tensor<8xf64>) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @batch_norm_inference_residual_sum(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_inference' op has a 'residual_sum' result but no 'residual' operand}}
  %y, %s = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) : tensor<2x8xf32> residual_sum(tensor<2x8xf32>)
  return
}

// -----

func.func @batch_norm_inference_residual_type(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %r: tensor<2x8xbf16>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.batch_norm_inference' op expects 'residual' to have the input type 'tensor<2x8xf32>', got 'tensor<2x8xbf16>'}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) residual(%r : tensor<2x8xbf16>) : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

//===----------------------------------------------------------------------===//
// batch_norm_training
//===----------------------------------------------------------------------===//

// -----

func.func @batch_norm_training_momentum_negative(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects 'momentum' in [0, 1], got -1.000000e-01}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) momentum = -0.1 : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_training_momentum_above_one(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects 'momentum' in [0, 1], got 1.500000e+00}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) momentum = 1.5 : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_training_epsilon(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects 'epsilon' to be a positive finite number, got -1.000000e+00}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) epsilon = -1.0 : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_training_feature_axis(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects 'feature_axis' in [0, 1], got 2}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) feature_axis = 2 : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_training_saved_mean_shape(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects result 'saved_mean' to have shape 8, got 2 (dimension 0)}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) : tensor<2x8xf32> stats(tensor<2xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_training_saved_rstd_element_type(%x: tensor<2x8xbf16>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects result 'saved_rstd' to have element type 'f32', got 'bf16'}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) : tensor<2x8xbf16> stats(tensor<8xf32>, tensor<8xbf16>)
  return
}

// -----

func.func @batch_norm_training_running_var(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<7xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op expects 'running_var' to have shape 8, got 7 (dimension 0)}}
  %0:5 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<7xf32>) : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @batch_norm_training_residual_sum(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.batch_norm_training' op has a 'residual_sum' result but no 'residual' operand}}
  %0:6 = norm.batch_norm_training %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>) residual_sum(tensor<2x8xf32>)
  return
}

//===----------------------------------------------------------------------===//
// inplace_abn
//===----------------------------------------------------------------------===//

// -----

func.func @inplace_abn_relu(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op requires an invertible activation (none, leaky_relu with a positive slope, or elu with a positive alpha), got 'relu'}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) activation = relu : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_gelu(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op requires an invertible activation (none, leaky_relu with a positive slope, or elu with a positive alpha), got 'gelu'}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) activation = gelu : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_leaky_relu_zero(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op requires an invertible activation (none, leaky_relu with a positive slope, or elu with a positive alpha), got 'leaky_relu' with a non-positive parameter}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) activation = leaky_relu(0.0) : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_leaky_relu_negative(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{got 'leaky_relu' with a non-positive parameter}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) activation = leaky_relu(-0.1) : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_elu_zero(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op requires an invertible activation (none, leaky_relu with a positive slope, or elu with a positive alpha), got 'elu' with a non-positive parameter}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) activation = elu(0.0) : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_momentum(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op expects 'momentum' in [0, 1], got 2.000000e+00}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) momentum = 2.0 : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_saved_mean_element_type(%x: tensor<2x8xf16>, %m: tensor<8xf32>, %v: tensor<8xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op expects result 'saved_mean' to have element type 'f32', got 'f16'}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) : tensor<2x8xf16> stats(tensor<8xf16>, tensor<8xf32>)
  return
}

// -----

func.func @inplace_abn_weight(%x: tensor<2x8xf32>, %m: tensor<8xf32>, %v: tensor<8xf32>, %w: tensor<8x1xf32>) {
  // expected-error@+1 {{'norm.inplace_abn' op expects 'weight' to have rank 1 (shape 8), got rank 2}}
  %0:5 = norm.inplace_abn %x mean(%m : tensor<8xf32>) var(%v : tensor<8xf32>) weight(%w : tensor<8x1xf32>) : tensor<2x8xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return
}

//===----------------------------------------------------------------------===//
// group_norm
//===----------------------------------------------------------------------===//

// -----

func.func @group_norm_rank1(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects an input of rank >= 2 (batch and channels), got rank 1}}
  %y = norm.group_norm %x groups = 2 : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

func.func @group_norm_channel_axis_batch(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'channel_axis' in [1, 1], got 0}}
  %y = norm.group_norm %x groups = 2 channel_axis = 0 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @group_norm_channel_axis_too_large(%x: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'channel_axis' in [1, 3], got 4}}
  %y = norm.group_norm %x groups = 2 channel_axis = 4 : tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @group_norm_groups_zero(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects a positive 'num_groups', got 0}}
  %y = norm.group_norm %x groups = 0 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @group_norm_groups_negative(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects a positive 'num_groups', got -4}}
  %y = norm.group_norm %x groups = -4 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @group_norm_groups_not_dividing(%x: tensor<2x8x4x4xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'num_groups' (3) to divide the channel count (8)}}
  %y = norm.group_norm %x groups = 3 : tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @group_norm_groups_not_dividing_nhwc(%x: tensor<2x4x4x6xf32>) -> tensor<2x4x4x6xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'num_groups' (4) to divide the channel count (6)}}
  %y = norm.group_norm %x groups = 4 channel_axis = 3 : tensor<2x4x4x6xf32>
  return %y : tensor<2x4x4x6xf32>
}

// -----

func.func @group_norm_epsilon(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'epsilon' to be a positive finite number, got 0.000000e+00}}
  %y = norm.group_norm %x groups = 2 epsilon = 0.0 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @group_norm_weight(%x: tensor<2x8x4x4xf32>, %w: tensor<4xf32>) -> tensor<2x8x4x4xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'weight' to have shape 8, got 4 (dimension 0)}}
  %y = norm.group_norm %x weight(%w : tensor<4xf32>) groups = 2 : tensor<2x8x4x4xf32>
  return %y : tensor<2x8x4x4xf32>
}

// -----

func.func @group_norm_bias_element_type(%x: tensor<2x8xf32>, %b: tensor<8xbf16>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'bias' to have element type 'f32', got 'bf16'}}
  %y = norm.group_norm %x bias(%b : tensor<8xbf16>) groups = 2 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @group_norm_stats_shape(%x: tensor<2x8x4x4xf32>) {
  // expected-error@+1 {{'norm.group_norm' op expects result 'mean' to have shape 2x4, got 2x8 (dimension 1)}}
  %y, %m, %r = norm.group_norm %x groups = 4 : tensor<2x8x4x4xf32> stats(tensor<2x8xf32>, tensor<2x8xf32>)
  return
}

// -----

func.func @group_norm_stats_element_type(%x: tensor<2x8xf16>) {
  // expected-error@+1 {{'norm.group_norm' op expects result 'rstd' to have element type 'f32', got 'f16'}}
  %y, %m, %r = norm.group_norm %x groups = 4 : tensor<2x8xf16> stats(tensor<2x4xf32>, tensor<2x4xf16>)
  return
}

// -----

func.func @group_norm_mean_without_rstd(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{'norm.group_norm' op expects both 'mean' and 'rstd' results or neither}}
  %0:2 = "norm.group_norm"(%x) <{num_groups = 2 : i64, operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x2xf32>)
  return
}

// -----

func.func @group_norm_residual_type(%x: tensor<2x8xf32>, %r: tensor<2x4xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.group_norm' op expects 'residual' to have the input type 'tensor<2x8xf32>', got 'tensor<2x4xf32>'}}
  %y = norm.group_norm %x residual(%r : tensor<2x4xf32>) groups = 2 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @group_norm_residual_sum(%x: tensor<2x8xf32>) {
  // expected-error@+1 {{'norm.group_norm' op has a 'residual_sum' result but no 'residual' operand}}
  %y, %s = norm.group_norm %x groups = 2 : tensor<2x8xf32> residual_sum(tensor<2x8xf32>)
  return
}

//===----------------------------------------------------------------------===//
// spectral_norm
//===----------------------------------------------------------------------===//

// -----

func.func @spectral_norm_rank0(%w: tensor<f32>, %u: tensor<1xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects a weight of rank >= 1}}
  %0:3 = norm.spectral_norm %w, %u : tensor<f32>, tensor<1xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_dim(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'dim' in [0, 1], got 2}}
  %0:3 = norm.spectral_norm %w, %u dim = 2 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_dim_negative(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'dim' in [0, 1], got -1}}
  %0:3 = norm.spectral_norm %w, %u dim = -1 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_iterations(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'power_iterations' >= 1, got 0}}
  %0:3 = norm.spectral_norm %w, %u power_iterations = 0 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_iterations_negative(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'power_iterations' >= 1, got -2}}
  %0:3 = norm.spectral_norm %w, %u power_iterations = -2 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_epsilon(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'epsilon' to be a positive finite number, got 0.000000e+00}}
  %0:3 = norm.spectral_norm %w, %u epsilon = 0.0 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_u_shape(%w: tensor<4x3xf32>, %u: tensor<3xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'u' to have shape 4, got 3 (dimension 0)}}
  %0:3 = norm.spectral_norm %w, %u : tensor<4x3xf32>, tensor<3xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_u_shape_dim1(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'u' to have shape 3, got 4 (dimension 0)}}
  %0:3 = norm.spectral_norm %w, %u dim = 1 : tensor<4x3xf32>, tensor<4xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_u_rank(%w: tensor<4x3xf32>, %u: tensor<4x1xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'u' to have rank 1 (shape 4), got rank 2}}
  %0:3 = norm.spectral_norm %w, %u : tensor<4x3xf32>, tensor<4x1xf32> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_u_element_type(%w: tensor<4x3xf32>, %u: tensor<4xf16>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects 'u' to have element type 'f32', got 'f16'}}
  %0:3 = norm.spectral_norm %w, %u : tensor<4x3xf32>, tensor<4xf16> -> tensor<f32>
  return
}

// -----

func.func @spectral_norm_sigma_rank(%w: tensor<4x3xf32>, %u: tensor<4xf32>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects result 'sigma' to have rank 0, got rank 1}}
  %0:3 = norm.spectral_norm %w, %u : tensor<4x3xf32>, tensor<4xf32> -> tensor<1xf32>
  return
}

// -----

func.func @spectral_norm_sigma_element_type(%w: tensor<4x3xbf16>, %u: tensor<4xbf16>) {
  // expected-error@+1 {{'norm.spectral_norm' op expects result 'sigma' to have element type 'f32', got 'bf16'}}
  %0:3 = norm.spectral_norm %w, %u : tensor<4x3xbf16>, tensor<4xbf16> -> tensor<bf16>
  return
}

//===----------------------------------------------------------------------===//
// moments, min_max, standardize, min_max_scale
//===----------------------------------------------------------------------===//

// -----

func.func @moments_correction(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{'norm.moments' op expects a non-negative 'correction', got -1}}
  %0:2 = norm.moments %x axes = [0] correction = -1 : tensor<8x4xf32> -> tensor<4xf32>
  return
}

// -----

func.func @moments_axes_empty(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{'norm.moments' op expects at least one axis in 'axes'}}
  %0:2 = norm.moments %x axes = [] : tensor<8x4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @moments_axes_unsorted(%x: tensor<8x4x2xf32>) {
  // expected-error@+1 {{'norm.moments' op expects 'axes' to be sorted and without duplicates}}
  %0:2 = norm.moments %x axes = [2, 0] : tensor<8x4x2xf32> -> tensor<4xf32>
  return
}

// -----

func.func @moments_result_shape(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{'norm.moments' op expects result 'mean' to have shape 4, got 8 (dimension 0)}}
  %0:2 = norm.moments %x axes = [0] : tensor<8x4xf32> -> tensor<8xf32>
  return
}

// -----

func.func @moments_result_element_type(%x: tensor<8x4xf16>) {
  // expected-error@+1 {{'norm.moments' op expects result 'mean' to have element type 'f16', got 'f32'}}
  %0:2 = norm.moments %x axes = [0] : tensor<8x4xf16> -> tensor<4xf32>
  return
}

// -----

func.func @min_max_axis_out_of_range(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{'norm.min_max' op axis 2 is out of range for an input of rank 2}}
  %0:2 = norm.min_max %x axes = [2] : tensor<8x4xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @min_max_result_rank(%x: tensor<8x4xf32>) {
  // expected-error@+1 {{'norm.min_max' op expects result 'min' to have rank 1 (shape 4), got rank 2}}
  %0:2 = norm.min_max %x axes = [0] : tensor<8x4xf32> -> tensor<1x4xf32>
  return
}

// -----

func.func @standardize_stats_shape(%x: tensor<8x4xf32>, %m: tensor<8xf32>, %s: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.standardize' op expects 'mean' to have shape 4, got 8 (dimension 0)}}
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<8x4xf32>, tensor<8xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @standardize_stats_element_type(%x: tensor<8x4xf32>, %m: tensor<4xf64>, %s: tensor<4xf64>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.standardize' op expects 'mean' to have element type 'f32', got 'f64'}}
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<8x4xf32>, tensor<4xf64>
  return %y : tensor<8x4xf32>
}

// -----

func.func @standardize_axes_duplicate(%x: tensor<8x4xf32>, %m: tensor<4xf32>, %s: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.standardize' op expects 'axes' to be sorted and without duplicates}}
  %y = norm.standardize %x, %m, %s axes = [0, 0] : tensor<8x4xf32>, tensor<4xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @min_max_scale_empty_range(%x: tensor<8x4xf32>, %lo: tensor<4xf32>, %hi: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.min_max_scale' op expects finite 'range_min' < 'range_max', got [1.000000e+00, 1.000000e+00]}}
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] range_min = 1.0 : tensor<8x4xf32>, tensor<4xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @min_max_scale_reversed_range(%x: tensor<8x4xf32>, %lo: tensor<4xf32>, %hi: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.min_max_scale' op expects finite 'range_min' < 'range_max', got [2.000000e+00, -2.000000e+00]}}
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] range_min = 2.0 range_max = -2.0 : tensor<8x4xf32>, tensor<4xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @min_max_scale_infinite_range(%x: tensor<8x4xf32>, %lo: tensor<4xf32>, %hi: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.min_max_scale' op expects finite 'range_min' < 'range_max', got [0.000000e+00, INF]}}
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] range_max = 0x7FF0000000000000 : tensor<8x4xf32>, tensor<4xf32>
  return %y : tensor<8x4xf32>
}

// -----

func.func @min_max_scale_stats_shape(%x: tensor<8x4xf32>, %lo: tensor<3xf32>, %hi: tensor<3xf32>) -> tensor<8x4xf32> {
  // expected-error@+1 {{'norm.min_max_scale' op expects 'min' to have shape 4, got 3 (dimension 0)}}
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] : tensor<8x4xf32>, tensor<3xf32>
  return %y : tensor<8x4xf32>
}

//===----------------------------------------------------------------------===//
// image_normalize
//===----------------------------------------------------------------------===//

// -----

func.func @image_rank2(%img: tensor<8x8xui8>, %m: tensor<8xf32>, %s: tensor<8xf32>) -> tensor<8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects an image of rank 3 (CHW/HWC) or 4 (NCHW/NHWC), got rank 2}}
  %y = norm.image_normalize %img, %m, %s : tensor<8x8xui8>, tensor<8xf32> -> tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}

// -----

func.func @image_rank5(%img: tensor<1x2x3x8x8xf32>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<1x2x3x8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects an image of rank 3 (CHW/HWC) or 4 (NCHW/NHWC), got rank 5}}
  %y = norm.image_normalize %img, %m, %s : tensor<1x2x3x8x8xf32>, tensor<3xf32> -> tensor<1x2x3x8x8xf32>
  return %y : tensor<1x2x3x8x8xf32>
}

// -----

func.func @image_scale_zero(%img: tensor<3x8x8xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3x8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects a positive finite 'scale', got 0.000000e+00}}
  %y = norm.image_normalize %img, %m, %s scale = 0.0 : tensor<3x8x8xui8>, tensor<3xf32> -> tensor<3x8x8xf32>
  return %y : tensor<3x8x8xf32>
}

// -----

func.func @image_scale_negative(%img: tensor<3x8x8xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3x8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects a positive finite 'scale', got -5.000000e-01}}
  %y = norm.image_normalize %img, %m, %s scale = -0.5 : tensor<3x8x8xui8>, tensor<3xf32> -> tensor<3x8x8xf32>
  return %y : tensor<3x8x8xf32>
}

// -----

func.func @image_result_shape(%img: tensor<3x8x8xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3x8x4xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects result to have shape 3x8x8, got 3x8x4 (dimension 2)}}
  %y = norm.image_normalize %img, %m, %s : tensor<3x8x8xui8>, tensor<3xf32> -> tensor<3x8x4xf32>
  return %y : tensor<3x8x4xf32>
}

// -----

func.func @image_mean_channels_nchw(%img: tensor<2x3x8x8xui8>, %m: tensor<8xf32>, %s: tensor<8xf32>) -> tensor<2x3x8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects 'mean' to have shape 3, got 8 (dimension 0)}}
  %y = norm.image_normalize %img, %m, %s : tensor<2x3x8x8xui8>, tensor<8xf32> -> tensor<2x3x8x8xf32>
  return %y : tensor<2x3x8x8xf32>
}

// -----

func.func @image_mean_channels_nhwc(%img: tensor<2x3x8x8xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<2x3x8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects 'mean' to have shape 8, got 3 (dimension 0)}}
  %y = norm.image_normalize %img, %m, %s layout = nhwc : tensor<2x3x8x8xui8>, tensor<3xf32> -> tensor<2x3x8x8xf32>
  return %y : tensor<2x3x8x8xf32>
}

// -----

func.func @image_mean_element_type(%img: tensor<3x8x8xui8>, %m: tensor<3xf16>, %s: tensor<3xf16>) -> tensor<3x8x8xf32> {
  // expected-error@+1 {{'norm.image_normalize' op expects 'mean' to have element type 'f32', got 'f16'}}
  %y = norm.image_normalize %img, %m, %s : tensor<3x8x8xui8>, tensor<3xf16> -> tensor<3x8x8xf32>
  return %y : tensor<3x8x8xf32>
}

// -----

func.func @image_unknown_layout(%img: tensor<3x8x8xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<3x8x8xf32> {
  // expected-error@+1 {{expected string or keyword containing one of the following enum values for attribute 'layout' [nchw, nhwc]}}
  %y = norm.image_normalize %img, %m, %s layout = hwcn : tensor<3x8x8xui8>, tensor<3xf32> -> tensor<3x8x8xf32>
  return %y : tensor<3x8x8xf32>
}

// -----

func.func @rms_norm_offset_without_weight(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error@+1 {{'norm.rms_norm' op has a 'weight_offset' but no 'weight'}}
  %y = norm.rms_norm %x axes = [1] weight_offset = 1.000000e+00 : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

func.func @batch_norm_training_one_value_per_channel(%x: tensor<1x4xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<1x4xf32> {
  // expected-error@+1 {{'norm.batch_norm_training' op expects more than one value per channel in training (the unbiased running variance divides by n - 1), got 1}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) : tensor<1x4xf32> stats(tensor<4xf32>, tensor<4xf32>)
  return %y : tensor<1x4xf32>
}

// -----

// An empty batch has no statistics at all (before, the lowering made an
// out-of-bounds slice of it).
func.func @batch_norm_training_empty_next_to_dynamic(%x: tensor<?x4x0xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<?x4x0xf32> {
  // expected-error@+1 {{'norm.batch_norm_training' op expects more than one value per channel in training (the unbiased running variance divides by n - 1), got 0}}
  %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) : tensor<?x4x0xf32> stats(tensor<4xf32>, tensor<4xf32>)
  return %y : tensor<?x4x0xf32>
}

// -----

func.func @inplace_abn_no_value_per_channel(%x: tensor<2x4x0x2xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>) -> tensor<2x4x0x2xf32> {
  // expected-error@+1 {{'norm.inplace_abn' op expects more than one value per channel in training (the unbiased running variance divides by n - 1), got 0}}
  %y, %sm, %sr, %rm, %rv = norm.inplace_abn %x mean(%m : tensor<4xf32>) var(%v : tensor<4xf32>) : tensor<2x4x0x2xf32> stats(tensor<4xf32>, tensor<4xf32>)
  return %y : tensor<2x4x0x2xf32>
}

// -----

// A `?` at a normalized position of the keepdims statistics would stand for
// the input's size in the lowering (found by a review): a static 1 there.
func.func @stats_dynamic_unit(%x: tensor<2x8x5x7xf32>) -> tensor<2x8x5x7xf32> {
  // expected-error@+1 {{'norm.layer_norm' op expects result 'mean' to have a static size 1 in normalized dimension 1, got ?}}
  %y, %m, %r = norm.layer_norm %x axes = [1] : tensor<2x8x5x7xf32> stats(tensor<2x?x5x7xf32>, tensor<2x?x5x7xf32>)
  return %y : tensor<2x8x5x7xf32>
}

// -----

func.func @rstd_dynamic_unit(%x: tensor<2x?xf32>) -> tensor<2x?xf32> {
  // expected-error@+1 {{'norm.rms_norm' op expects result 'rstd' to have a static size 1 in normalized dimension 1, got ?}}
  %y, %r = norm.rms_norm %x axes = [1] : tensor<2x?xf32> rstd(tensor<2x?xf32>)
  return %y : tensor<2x?xf32>
}

// -----

// Sizes whose bytes overflow what the lowerings count in 64 bits (found
// by fuzzing: a division by zero and an endless loop in
// norm-tile-and-fuse-rows, a division by zero in convert-norm-to-gpu).
func.func @too_many_bytes(%x: tensor<7x4611686018427387904xf32>) -> tensor<7x4611686018427387904xf32> {
  // expected-error @+1 {{operand #0 of type 'tensor<7x4611686018427387904xf32>' holds more than 2^48 bytes (256 TiB)}}
  %y = norm.layer_norm %x axes = [1] : tensor<7x4611686018427387904xf32>
  return %y : tensor<7x4611686018427387904xf32>
}

// -----

// A dynamic batch does not count; the static sizes alone are too many.
func.func @too_many_bytes_dynamic_batch(%x: tensor<?x16777216x16777216x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>) -> tensor<?x16777216x16777216x16xf32> {
  // expected-error @+1 {{operand #0 of type 'tensor<?x16777216x16777216x16xf32>' holds more than 2^48 bytes}}
  %y = norm.batch_norm_inference %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>) feature_axis = 3 : tensor<?x16777216x16777216x16xf32>
  return %y : tensor<?x16777216x16777216x16xf32>
}

// -----

// 2^48 bytes exactly is accepted (2^46 f32 elements): no diagnostic.
func.func @largest_value(%x: tensor<?x1024x68719476736xf32>) -> tensor<?x1024x68719476736xf32> {
  %y = norm.rms_norm %x axes = [2] : tensor<?x1024x68719476736xf32>
  return %y : tensor<?x1024x68719476736xf32>
}
