// RUN: norm-opt %s -split-input-file -verify-diagnostics | FileCheck %s
// RUN: norm-opt %s -split-input-file -verify-diagnostics --mlir-print-op-generic | norm-opt -split-input-file | FileCheck %s

// The #norm.activation attribute in its own syntax. A parameter equal to the
// kind's default (leaky_relu 0.01, elu 1.0) is elided when printed.

// CHECK-LABEL: func.func @activation_kinds()
// CHECK-SAME: act.elu = #norm.activation<elu>
// CHECK-SAME: act.elu_alpha = #norm.activation<elu(5.000000e-01)>
// CHECK-SAME: act.elu_default = #norm.activation<elu>
// CHECK-SAME: act.elu_zero = #norm.activation<elu(0.000000e+00)>
// CHECK-SAME: act.gelu = #norm.activation<gelu>
// CHECK-SAME: act.gelu_tanh = #norm.activation<gelu_tanh>
// CHECK-SAME: act.leaky_relu = #norm.activation<leaky_relu>
// CHECK-SAME: act.leaky_relu_default = #norm.activation<leaky_relu>
// CHECK-SAME: act.leaky_relu_negative = #norm.activation<leaky_relu(-5.000000e-01)>
// CHECK-SAME: act.leaky_relu_slope = #norm.activation<leaky_relu(2.000000e-01)>
// CHECK-SAME: act.none = #norm.activation<none>
// CHECK-SAME: act.relu = #norm.activation<relu>
// CHECK-SAME: act.sigmoid = #norm.activation<sigmoid>
// CHECK-SAME: act.silu = #norm.activation<silu>
// CHECK-SAME: act.tanh = #norm.activation<tanh>
func.func @activation_kinds() attributes {
    act.none = #norm.activation<none>,
    act.relu = #norm.activation<relu>,
    act.leaky_relu = #norm.activation<leaky_relu>,
    act.leaky_relu_default = #norm.activation<leaky_relu(0.01)>,
    act.leaky_relu_slope = #norm.activation<leaky_relu(0.2)>,
    act.leaky_relu_negative = #norm.activation<leaky_relu(-0.5)>,
    act.elu = #norm.activation<elu>,
    act.elu_default = #norm.activation<elu(1.0)>,
    act.elu_alpha = #norm.activation<elu(0.5)>,
    act.elu_zero = #norm.activation<elu(0.0)>,
    act.gelu = #norm.activation<gelu>,
    act.gelu_tanh = #norm.activation<gelu_tanh>,
    act.silu = #norm.activation<silu>,
    act.sigmoid = #norm.activation<sigmoid>,
    act.tanh = #norm.activation<tanh>} {
  return
}

// -----

// Equal attributes are uniqued: an explicit default parameter is the same
// attribute as the bare kind.
// CHECK-LABEL: func.func @uniqued()
// CHECK-SAME: act.list = [#norm.activation<leaky_relu>, #norm.activation<leaky_relu>, #norm.activation<elu>]
func.func @uniqued() attributes {act.list = [#norm.activation<leaky_relu>, #norm.activation<leaky_relu(1.0e-2)>, #norm.activation<elu(1.0)>]} {
  return
}

// -----

// The generic form of an op spells its activation as the attribute.
// CHECK-LABEL: func.func @in_op(
// CHECK: norm.layer_norm %{{.*}} axes = [1] activation = leaky_relu(2.000000e-01) : tensor<4x8xf32>
func.func @in_op(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = "norm.layer_norm"(%x) <{activation = #norm.activation<leaky_relu(0.2)>, axes = array<i64: 1>, operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @unknown_kind() attributes {
  // expected-error@+1 {{unknown activation 'swish'; expected one of none, relu, leaky_relu, elu, gelu, gelu_tanh, silu, sigmoid, tanh}}
  act.bad = #norm.activation<swish>} {
  return
}

// -----

func.func @parameter_on_kind_without_one() attributes {
  // expected-error@+1 {{activation 'gelu' takes no parameter}}
  act.bad = #norm.activation<gelu(1.0)>} {
  return
}

// -----

func.func @parameter_on_none() attributes {
  // expected-error@+1 {{activation 'none' takes no parameter}}
  act.bad = #norm.activation<none(0.0)>} {
  return
}

// -----

func.func @negative_elu() attributes {
  // expected-error@+1 {{elu alpha must be non-negative, got -1.000000e+00}}
  act.bad = #norm.activation<elu(-1.0)>} {
  return
}

// -----

func.func @infinite_parameter() attributes {
  // expected-error@+1 {{activation parameter must be finite}}
  act.bad = #norm.activation<leaky_relu(1.0e400)>} {
  return
}

// -----

func.func @nan_parameter() attributes {
  // expected-error@+1 {{activation parameter must be finite}}
  act.bad = #norm.activation<elu(0x7FF8000000000000)>} {
  return
}

// -----

func.func @parameter_not_a_number() attributes {
  // expected-error@+1 {{expected floating point literal}}
  act.bad = #norm.activation<leaky_relu(slope)>} {
  return
}

// -----

func.func @integer_parameter() attributes {
  // expected-error@+2 {{unexpected decimal integer literal for a floating point value}}
  // expected-note@+1 {{add a trailing dot to make the literal a float}}
  act.bad = #norm.activation<leaky_relu(2)>} {
  return
}

// -----

func.func @unclosed_parameter() attributes {
  // expected-error@+1 {{unbalanced '(' character in pretty dialect name}}
  act.bad = #norm.activation<leaky_relu(0.2>} {
  return
}

// -----

func.func @empty_body() attributes {
  // expected-error@+1 {{expected valid keyword}}
  act.bad = #norm.activation<>} {
  return
}

// -----

func.func @missing_angle() attributes {
  // expected-error@+1 {{expected '<'}}
  act.bad = #norm.activation} {
  return
}

// -----

func.func @unclosed_angle() attributes {
  // expected-error@+1 {{unbalanced '<' character in pretty dialect name}}
  act.bad = #norm.activation<relu} {
  return
}

// -----

func.func @unknown_norm_attribute() attributes {
  // expected-error@+1 {{unknown attribute `activations` in dialect `norm`}}
  act.bad = #norm.activations<relu>} {
  return
}

// -----

func.func @wrong_attribute_in_op(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error@+1 {{Invalid attribute `activation` in property conversion: 1 : i64}}
  %y = "norm.layer_norm"(%x) <{activation = 1 : i64, axes = array<i64: 1>, operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
