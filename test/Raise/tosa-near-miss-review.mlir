// Near misses of the chained-reduction merge, the epsilon rounding and the
// search for the normalized input of norm-raise (review of 72f4b19): each
// function is @ln2d_control or @hf_residual_control of
// tosa-chained-reductions-negative.mlir (test/Raise/Inputs/
// {layer_norm_2d,rms_norm_hf}.tosa.mlir) with the one change described above
// it. Each is left alone or raised to the same semantics (the epsilon
// rounding within 2e-7 excepted, as described at @ln2d_eps_off_by_ulps).
// RUN: norm-opt --split-input-file --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %s | FileCheck %s

// The sums over axis 1 of the mean clamped to [-2000, 2000] before the sum
// over axis 2: not a linear function of them (equal to them only where
// |r| <= 2000, and the linearity check tries |r| <= 1000; was merged and
// raised).
// CHECK-LABEL: func.func @ln2d_clamped_partial_sums
// CHECK-NOT:     norm.
module {
  func.func @ln2d_clamped_partial_sums(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %c = tosa.clamp %16 {max_val = 2.000000e+03 : f32, min_val = -2.000000e+03 : f32} : (tensor<3x1x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %c {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The same with max(r, -5000) (was raised too).
// CHECK-LABEL: func.func @ln2d_max_partial_sums
// CHECK-NOT:     norm.
module {
  func.func @ln2d_max_partial_sums(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %lo = "tosa.const"() <{values = dense<-5.000000e+03> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %c = tosa.maximum %16, %lo : (tensor<3x1x16xf32>, tensor<1x1x1xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %c {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The sums over axis 1 of the mean plus 1 before the sum over axis 2.
// CHECK-LABEL: func.func @ln2d_shifted_partial_sums
// CHECK-NOT:     norm.
module {
  func.func @ln2d_shifted_partial_sums(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %one = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %c = tosa.add %16, %one : (tensor<3x1x16xf32>, tensor<1x1x1xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %c {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The mean's outer reduction a product (reduce_product) of the sums.
// CHECK-LABEL: func.func @ln2d_product_of_sums
// CHECK-NOT:     norm.
module {
  func.func @ln2d_product_of_sums(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_product %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The sums over axis 1 of the mean doubled (linear, c = 2): the mean is
// then twice the mean, not a layer norm.
// CHECK-LABEL: func.func @ln2d_doubled_partial_sums
// CHECK-NOT:     norm.
module {
  func.func @ln2d_doubled_partial_sums(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %two = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %c = tosa.mul %16, %two, %0 : (tensor<3x1x16xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %c {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The mean's first sum taken over axis 0 of x reshaped to [4, 3, 16]
// (row-major: each "row" of that view mixes elements of different rows).
// CHECK-LABEL: func.func @ln2d_mean_of_reshaped_rows
// CHECK-NOT:     norm.
module {
  func.func @ln2d_mean_of_reshaped_rows(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %shape = tosa.const_shape {values = dense<[4, 3, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %shape2 = tosa.const_shape {values = dense<[3, 1, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %xr = tosa.reshape %arg0, %shape : (tensor<3x4x16xf32>, !tosa.shape<3>) -> tensor<4x3x16xf32>
    %s16a = tosa.reduce_sum %xr {axis = 0 : i32} : (tensor<4x3x16xf32>) -> tensor<1x3x16xf32>
    %16 = tosa.reshape %s16a, %shape2 : (tensor<1x3x16xf32>, !tosa.shape<3>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The squares transposed to [3, 16, 4] before their sums (over axis 2,
// then 1): the same variance, so still a layer norm.
// CHECK-LABEL: func.func @ln2d_transposed_variance
// CHECK:         norm.layer_norm %arg0 axes = [1, 2] : tensor<3x4x16xf32>
module {
  func.func @ln2d_transposed_variance(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %t11 = tosa.transpose %11 {perms = array<i32: 0, 2, 1>} : (tensor<3x4x16xf64>) -> tensor<3x16x4xf64>
    %12 = tosa.reduce_sum %t11 {axis = 2 : i32} : (tensor<3x16x4xf64>) -> tensor<3x16x1xf64>
    %13 = tosa.reduce_sum %12 {axis = 1 : i32} : (tensor<3x16x1xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// The mean's first sum taken over axis 0 of x transposed to [4, 3, 16]
// (the same elements as axis 1 of x): still a layer norm.
// CHECK-LABEL: func.func @ln2d_transposed_mean
// CHECK:         norm.layer_norm %arg0 axes = [1, 2] : tensor<3x4x16xf32>
module {
  func.func @ln2d_transposed_mean(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %xt = tosa.transpose %arg0 {perms = array<i32: 1, 0, 2>} : (tensor<3x4x16xf32>) -> tensor<4x3x16xf32>
    %shape2 = tosa.const_shape {values = dense<[3, 1, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %s16a = tosa.reduce_sum %xt {axis = 0 : i32} : (tensor<4x3x16xf32>) -> tensor<1x3x16xf32>
    %16 = tosa.reshape %s16a, %shape2 : (tensor<1x3x16xf32>, !tosa.shape<3>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// Epsilon 2.99999992E-7 (f32) raised as itself.
// CHECK-LABEL: func.func @ln2d_eps_3e_7
// CHECK:         norm.layer_norm %arg0 axes = [1, 2]
// CHECK-SAME:    epsilon = 3.0{{0*}}e-07
module {
  func.func @ln2d_eps_3e_7(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<2.99999992E-7> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// Epsilon 9.99999996E-13 (f32) raised as itself.
// CHECK-LABEL: func.func @ln2d_eps_1e_12
// CHECK:         norm.layer_norm %arg0 axes = [1, 2]
// CHECK-SAME:    epsilon = 9.9999999999999998E-13
module {
  func.func @ln2d_eps_1e_12(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999996E-13> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// Epsilon 1.00000017e-5 (f32; two f32 ulps above 1e-5) is rounded to 1e-5
// (the default, so not printed): within the documented 2e-7 (relative), which
// the evaluation needs (it rounds the output to f32, so the solved epsilon
// is only known to ~1.2e-7). The outputs differ by at most 1e-7 (relative).
// CHECK-LABEL: func.func @ln2d_eps_off_by_ulps
// CHECK:         norm.layer_norm %arg0 axes = [1, 2] : tensor<3x4x16xf32>
module {
  func.func @ln2d_eps_off_by_ulps(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<1.00000017E-5> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// tosa.pow(x, e) with e 2 everywhere but in its last element (3).
// CHECK-LABEL: func.func @hf_nonsplat_exponent
// CHECK-NOT:     norm.
module {
  func.func @hf_nonsplat_exponent(%arg0: tensor<2x8x64xf32>, %arg1: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<[[[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0]]]> : tensor<1x1x64xf32>}> : () -> tensor<1x1x64xf32>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999997E-7> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<[[[0.695, 0.85, 0.869, 0.678, 0.98, 0.878, 0.804, 0.678, 0.858, 1.061, 0.845, 0.95, 0.956, 1.337, 1.046, 1.094, 0.861, 0.768, 1.14, 1.04, 1.173, 1.049, 0.867, 1.161, 1.22, 0.965, 0.551, 0.711, 1.012, 0.876, 0.84, 0.974, 1.376, 0.986, 1.032, 0.845, 1.04, 1.009, 1.031, 0.905, 0.978, 1.059, 0.968, 0.994, 1.471, 0.793, 1.315, 0.874, 0.815, 1.109, 1.013, 0.913, 1.153, 1.088, 1.233, 1.403, 1.027, 1.188, 0.963, 0.871, 1.308, 0.826, 0.334, 0.85]]]> : tensor<1x1x64xf32>}> : () -> tensor<1x1x64xf32>
    %x = tosa.add %arg0, %arg1 : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
    %5 = tosa.pow %x, %1 : (tensor<2x8x64xf32>, tensor<1x1x64xf32>) -> tensor<2x8x64xf32>
    %6 = tosa.reduce_sum %5 {axis = 2 : i32} : (tensor<2x8x64xf32>) -> tensor<2x8x1xf32>
    %7 = tosa.mul %6, %2, %0 : (tensor<2x8x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x8x1xf32>
    %8 = tosa.add %7, %3 : (tensor<2x8x1xf32>, tensor<1x1x1xf32>) -> tensor<2x8x1xf32>
    %9 = tosa.rsqrt %8 : (tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
    %10 = tosa.mul %x, %9, %0 : (tensor<2x8x64xf32>, tensor<2x8x1xf32>, tensor<1xi8>) -> tensor<2x8x64xf32>
    %11 = tosa.mul %4, %10, %0 : (tensor<1x1x64xf32>, tensor<2x8x64xf32>, tensor<1xi8>) -> tensor<2x8x64xf32>
    return %11 : tensor<2x8x64xf32>
  }
}

// -----

// Epsilon 3.70000004E-8 (f32) raised as itself (the rounding tolerance was
// absolute: 4e-8 was taken, failed the check, and nothing was raised).
// CHECK-LABEL: func.func @ln2d_eps_37e_9
// CHECK:         norm.layer_norm %arg0 axes = [1, 2]
// CHECK-SAME:    epsilon = 3.700000e-08
module {
  func.func @ln2d_eps_37e_9(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<3.70000004E-8> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// Epsilon 1.50000005E-7 (f32) raised as itself (likewise).
// CHECK-LABEL: func.func @ln2d_eps_15e_8
// CHECK:         norm.layer_norm %arg0 axes = [1, 2]
// CHECK-SAME:    epsilon = 1.500000e-07
module {
  func.func @ln2d_eps_15e_8(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<1.50000005E-7> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<1.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %5 = "tosa.const"() <{values = dense<0.0> : tensor<1x4x16xf32>}> : () -> tensor<1x4x16xf32>
    %6 = tosa.cast %arg0 : (tensor<3x4x16xf32>) -> tensor<3x4x16xf64>
    %7 = tosa.reduce_sum %6 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %8 = tosa.reduce_sum %7 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %9 = tosa.mul %8, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %10 = tosa.sub %6, %9 : (tensor<3x4x16xf64>, tensor<3x1x1xf64>) -> tensor<3x4x16xf64>
    %11 = tosa.mul %10, %10, %0 : (tensor<3x4x16xf64>, tensor<3x4x16xf64>, tensor<1xi8>) -> tensor<3x4x16xf64>
    %12 = tosa.reduce_sum %11 {axis = 1 : i32} : (tensor<3x4x16xf64>) -> tensor<3x1x16xf64>
    %13 = tosa.reduce_sum %12 {axis = 2 : i32} : (tensor<3x1x16xf64>) -> tensor<3x1x1xf64>
    %14 = tosa.mul %13, %1, %0 : (tensor<3x1x1xf64>, tensor<1x1x1xf64>, tensor<1xi8>) -> tensor<3x1x1xf64>
    %15 = tosa.cast %14 : (tensor<3x1x1xf64>) -> tensor<3x1x1xf32>
    %16 = tosa.reduce_sum %arg0 {axis = 1 : i32} : (tensor<3x4x16xf32>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
    %18 = tosa.mul %17, %2, %0 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<3x1x1xf32>
    %19 = tosa.add %15, %3 : (tensor<3x1x1xf32>, tensor<1x1x1xf32>) -> tensor<3x1x1xf32>
    %20 = tosa.rsqrt %19 : (tensor<3x1x1xf32>) -> tensor<3x1x1xf32>
    %21 = tosa.sub %arg0, %18 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>) -> tensor<3x4x16xf32>
    %22 = tosa.mul %21, %20, %0 : (tensor<3x4x16xf32>, tensor<3x1x1xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %23 = tosa.mul %22, %4, %0 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>, tensor<1xi8>) -> tensor<3x4x16xf32>
    %24 = tosa.add %23, %5 : (tensor<3x4x16xf32>, tensor<1x4x16xf32>) -> tensor<3x4x16xf32>
    return %24 : tensor<3x4x16xf32>
  }
}

// -----

// torch-mlir's group norm (@gn_control of group-and-training-norm-negative.mlir,
// test/Raise/Inputs/group_norm.linalg.mlir) with the scale's group index g
// replaced by select(extui(trunci(g - 1 : i8)) > 100, 1, g): for g = 0,
// extui(-1 : i8) is 255, so group 0 reads group 1's statistics (was read as
// -1 by the index evaluator, so the gather looked like the plain one).
// RUN: norm-opt --norm-raise %s -split-input-file | FileCheck %s --check-prefix=LINALG
// LINALG-LABEL: func.func @gn_gather_extui
// LINALG-NOT:     norm.
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, d3)>
#map3 = affine_map<(d0, d1, d2, d3) -> (0, d1, d2, d3)>
#map4 = affine_map<(d0, d1) -> (d0, d1)>
module {
  func.func @gn_gather_extui(%arg0: tensor<2x16x6x6xf32>) -> tensor<2x16x6x6xf32> {
    %c1_i64 = arith.constant 1 : i64
    %c2_i64 = arith.constant 2 : i64
    %c4_i64 = arith.constant 4 : i64
    %cst = arith.constant 0.000000e+00 : f64
    %cst_0 = arith.constant 0.000000e+00 : f32
    %c0_i64 = arith.constant 0 : i64
    %cst_1 = arith.constant dense<[-0.07, -0.116, 0.07, 0.02, 0.087, 0.024, -0.066, 0.081, 0.11, -0.018, -0.225, -0.145, 0.006, -0.062, -0.08, -0.013]> : tensor<16xf32>
    %cst_2 = arith.constant dense<[0.695, 0.85, 0.869, 0.678, 0.98, 0.878, 0.804, 0.678, 0.858, 1.061, 0.845, 0.95, 0.956, 1.337, 1.046, 1.094]> : tensor<16xf32>
    %cst_3 = arith.constant 1.000000e-05 : f64
    %cst_4 = arith.constant 1.440000e+02 : f64
    %cst_5 = arith.constant 1.440000e+02 : f32
    %cst_6 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_7 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_8 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_9 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<2x16xi64>
    %cst_10 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_11 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_12 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_13 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]> : tensor<2x16xi64>
    %collapsed = tensor.collapse_shape %arg0 [[0], [1], [2, 3]] : tensor<2x16x6x6xf32> into tensor<2x16x36xf32>
    %expanded = tensor.expand_shape %collapsed [[0], [1, 2], [3]] output_shape [2, 4, 4, 36] : tensor<2x16x36xf32> into tensor<2x4x4x36xf32>
    %0 = tensor.empty() : tensor<2x4x4x36xf64>
    %1 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%expanded : tensor<2x4x4x36xf32>) outs(%0 : tensor<2x4x4x36xf64>) {
    ^bb0(%in: f32, %out: f64):
      %28 = arith.extf %in : f32 to f64
      linalg.yield %28 : f64
    } -> tensor<2x4x4x36xf64>
    %2 = tensor.empty() : tensor<2x4x1x1xf64>
    %3 = linalg.fill ins(%cst : f64) outs(%2 : tensor<2x4x1x1xf64>) -> tensor<2x4x1x1xf64>
    %4 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%1 : tensor<2x4x4x36xf64>) outs(%3 : tensor<2x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %28 = arith.addf %in, %out : f64
      linalg.yield %28 : f64
    } -> tensor<2x4x1x1xf64>
    %5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4 : tensor<2x4x1x1xf64>) outs(%2 : tensor<2x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %28 = arith.divf %in, %cst_4 : f64
      linalg.yield %28 : f64
    } -> tensor<2x4x1x1xf64>
    %6 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1, %5 : tensor<2x4x4x36xf64>, tensor<2x4x1x1xf64>) outs(%0 : tensor<2x4x4x36xf64>) {
    ^bb0(%in: f64, %in_18: f64, %out: f64):
      %28 = arith.subf %in, %in_18 : f64
      linalg.yield %28 : f64
    } -> tensor<2x4x4x36xf64>
    %7 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6, %6 : tensor<2x4x4x36xf64>, tensor<2x4x4x36xf64>) outs(%0 : tensor<2x4x4x36xf64>) {
    ^bb0(%in: f64, %in_18: f64, %out: f64):
      %28 = arith.mulf %in, %in_18 : f64
      linalg.yield %28 : f64
    } -> tensor<2x4x4x36xf64>
    %8 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%7 : tensor<2x4x4x36xf64>) outs(%3 : tensor<2x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %28 = arith.addf %in, %out : f64
      linalg.yield %28 : f64
    } -> tensor<2x4x1x1xf64>
    %9 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%8 : tensor<2x4x1x1xf64>) outs(%2 : tensor<2x4x1x1xf64>) {
    ^bb0(%in: f64, %out: f64):
      %28 = arith.divf %in, %cst_4 : f64
      linalg.yield %28 : f64
    } -> tensor<2x4x1x1xf64>
    %10 = tensor.empty() : tensor<2x4x1x1xf32>
    %11 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%9 : tensor<2x4x1x1xf64>) outs(%10 : tensor<2x4x1x1xf32>) {
    ^bb0(%in: f64, %out: f32):
      %28 = arith.truncf %in : f64 to f32
      linalg.yield %28 : f32
    } -> tensor<2x4x1x1xf32>
    %12 = linalg.fill ins(%cst_0 : f32) outs(%10 : tensor<2x4x1x1xf32>) -> tensor<2x4x1x1xf32>
    %13 = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%expanded : tensor<2x4x4x36xf32>) outs(%12 : tensor<2x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = arith.addf %in, %out : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x1x1xf32>
    %14 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%13 : tensor<2x4x1x1xf32>) outs(%10 : tensor<2x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = arith.divf %in, %cst_5 : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x1x1xf32>
    %15 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%11 : tensor<2x4x1x1xf32>) outs(%10 : tensor<2x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = arith.truncf %cst_3 : f64 to f32
      %29 = arith.addf %in, %28 : f32
      linalg.yield %29 : f32
    } -> tensor<2x4x1x1xf32>
    %16 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%15 : tensor<2x4x1x1xf32>) outs(%10 : tensor<2x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = math.rsqrt %in : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x1x1xf32>
    %expanded_14 = tensor.expand_shape %cst_2 [[0, 1, 2, 3]] output_shape [1, 4, 4, 1] : tensor<16xf32> into tensor<1x4x4x1xf32>
    %17 = tensor.empty() : tensor<2x4x4x1xf32>
    %18 = linalg.generic {indexing_maps = [#map2, #map3, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%16, %expanded_14 : tensor<2x4x1x1xf32>, tensor<1x4x4x1xf32>) outs(%17 : tensor<2x4x4x1xf32>) {
    ^bb0(%in: f32, %in_18: f32, %out: f32):
      %28 = arith.mulf %in, %in_18 : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x4x1xf32>
    %19 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%14 : tensor<2x4x1x1xf32>) outs(%10 : tensor<2x4x1x1xf32>) {
    ^bb0(%in: f32, %out: f32):
      %28 = arith.negf %in : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x1x1xf32>
    %20 = linalg.generic {indexing_maps = [#map2, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%19, %18 : tensor<2x4x1x1xf32>, tensor<2x4x4x1xf32>) outs(%17 : tensor<2x4x4x1xf32>) {
    ^bb0(%in: f32, %in_18: f32, %out: f32):
      %28 = arith.mulf %in, %in_18 : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x4x1xf32>
    %expanded_15 = tensor.expand_shape %cst_1 [[0, 1, 2, 3]] output_shape [1, 4, 4, 1] : tensor<16xf32> into tensor<1x4x4x1xf32>
    %21 = linalg.generic {indexing_maps = [#map, #map3, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%20, %expanded_15 : tensor<2x4x4x1xf32>, tensor<1x4x4x1xf32>) outs(%17 : tensor<2x4x4x1xf32>) {
    ^bb0(%in: f32, %in_18: f32, %out: f32):
      %28 = arith.addf %in, %in_18 : f32
      linalg.yield %28 : f32
    } -> tensor<2x4x4x1xf32>
    %22 = tensor.empty() : tensor<2x16xf32>
    %23 = linalg.generic {indexing_maps = [#map4, #map4, #map4, #map4, #map4], iterator_types = ["parallel", "parallel"]} ins(%cst_6, %cst_7, %cst_8, %cst_9 : tensor<2x16xi64>, tensor<2x16xi64>, tensor<2x16xi64>, tensor<2x16xi64>) outs(%22 : tensor<2x16xf32>) {
    ^bb0(%in: i64, %in_18: i64, %in_19: i64, %in_20: i64, %out: f32):
      %28 = arith.cmpi slt, %in, %c0_i64 : i64
      %29 = arith.addi %in, %c2_i64 : i64
      %30 = arith.select %28, %29, %in : i64
      %31 = arith.index_cast %30 : i64 to index
      %32 = arith.cmpi slt, %in_18, %c0_i64 : i64
      %33 = arith.addi %in_18, %c4_i64 : i64
      %g34 = arith.select %32, %33, %in_18 : i64
      %m1 = arith.subi %g34, %c1_i64 : i64
      %m1t = arith.trunci %m1 : i64 to i8
      %m1u = arith.extui %m1t : i8 to i64
      %c100_i64 = arith.constant 100 : i64
      %wrap = arith.cmpi sgt, %m1u, %c100_i64 : i64
      %34 = arith.select %wrap, %c1_i64, %g34 : i64
      %35 = arith.index_cast %34 : i64 to index
      %36 = arith.cmpi slt, %in_19, %c0_i64 : i64
      %37 = arith.addi %in_19, %c4_i64 : i64
      %38 = arith.select %36, %37, %in_19 : i64
      %39 = arith.index_cast %38 : i64 to index
      %40 = arith.cmpi slt, %in_20, %c0_i64 : i64
      %41 = arith.addi %in_20, %c1_i64 : i64
      %42 = arith.select %40, %41, %in_20 : i64
      %43 = arith.index_cast %42 : i64 to index
      %extracted = tensor.extract %18[%31, %35, %39, %43] : tensor<2x4x4x1xf32>
      linalg.yield %extracted : f32
    } -> tensor<2x16xf32>
    %24 = linalg.generic {indexing_maps = [#map4, #map4, #map4, #map4, #map4], iterator_types = ["parallel", "parallel"]} ins(%cst_10, %cst_11, %cst_12, %cst_13 : tensor<2x16xi64>, tensor<2x16xi64>, tensor<2x16xi64>, tensor<2x16xi64>) outs(%22 : tensor<2x16xf32>) {
    ^bb0(%in: i64, %in_18: i64, %in_19: i64, %in_20: i64, %out: f32):
      %28 = arith.cmpi slt, %in, %c0_i64 : i64
      %29 = arith.addi %in, %c2_i64 : i64
      %30 = arith.select %28, %29, %in : i64
      %31 = arith.index_cast %30 : i64 to index
      %32 = arith.cmpi slt, %in_18, %c0_i64 : i64
      %33 = arith.addi %in_18, %c4_i64 : i64
      %34 = arith.select %32, %33, %in_18 : i64
      %35 = arith.index_cast %34 : i64 to index
      %36 = arith.cmpi slt, %in_19, %c0_i64 : i64
      %37 = arith.addi %in_19, %c4_i64 : i64
      %38 = arith.select %36, %37, %in_19 : i64
      %39 = arith.index_cast %38 : i64 to index
      %40 = arith.cmpi slt, %in_20, %c0_i64 : i64
      %41 = arith.addi %in_20, %c1_i64 : i64
      %42 = arith.select %40, %41, %in_20 : i64
      %43 = arith.index_cast %42 : i64 to index
      %extracted = tensor.extract %21[%31, %35, %39, %43] : tensor<2x4x4x1xf32>
      linalg.yield %extracted : f32
    } -> tensor<2x16xf32>
    %expanded_16 = tensor.expand_shape %23 [[0], [1, 2, 3]] output_shape [2, 16, 1, 1] : tensor<2x16xf32> into tensor<2x16x1x1xf32>
    %expanded_17 = tensor.expand_shape %24 [[0], [1, 2, 3]] output_shape [2, 16, 1, 1] : tensor<2x16xf32> into tensor<2x16x1x1xf32>
    %25 = tensor.empty() : tensor<2x16x6x6xf32>
    %26 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %expanded_16 : tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>) outs(%25 : tensor<2x16x6x6xf32>) {
    ^bb0(%in: f32, %in_18: f32, %out: f32):
      %28 = arith.mulf %in, %in_18 : f32
      linalg.yield %28 : f32
    } -> tensor<2x16x6x6xf32>
    %27 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%26, %expanded_17 : tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>) outs(%25 : tensor<2x16x6x6xf32>) {
    ^bb0(%in: f32, %in_18: f32, %out: f32):
      %28 = arith.addf %in, %in_18 : f32
      linalg.yield %28 : f32
    } -> tensor<2x16x6x6xf32>
    return %27 : tensor<2x16x6x6xf32>
  }}
