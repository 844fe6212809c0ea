// Near misses of TOSA normalizations whose statistics are chained
// single-axis reductions (merged by norm-raise), of TOSA's group-norm gather
// and of the HF-style RMS norm: the functions are
// test/Raise/Inputs/{layer_norm_2d,instance_norm,group_norm,batch_norm_train,
// rms_norm_hf}.tosa.mlir with their resources inlined (floats rounded to 3
// decimals) and one change each, described above each function; norm-raise
// leaves them alone. The controls (unchanged, or with only the change that
// the near miss builds on) are raised.
// RUN: norm-opt --split-input-file --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %s | FileCheck %s

// Control: LayerNorm((4, 16)) as imported (sums over axis 1, then 2).
// CHECK-LABEL: func.func @ln2d_control
// CHECK:         norm.layer_norm %arg0 axes = [1, 2] : tensor<3x4x16xf32>
module {
  func.func @ln2d_control(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
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

// The mean divided by 16 (one axis) instead of 64.
// CHECK-LABEL: func.func @ln2d_wrong_divisor
// CHECK-NOT:     norm.
module {
  func.func @ln2d_wrong_divisor(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf64>}> : () -> tensor<1x1x1xf64>
    %2 = "tosa.const"() <{values = dense<6.250000e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
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

// The mean takes the max over axis 2 of the sums over axis 1 (chained
// reductions of different kinds are not merged).
// CHECK-LABEL: func.func @ln2d_max_of_sum
// CHECK-NOT:     norm.
module {
  func.func @ln2d_max_of_sum(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
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
    %17 = tosa.reduce_max %16 {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
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

// The sums over axis 1 squared before the sum over axis 2 (the outer
// reduction is not a linear function of the inner one).
// CHECK-LABEL: func.func @ln2d_sum_of_squared_sums
// CHECK-NOT:     norm.
module {
  func.func @ln2d_sum_of_squared_sums(%arg0: tensor<3x4x16xf32>) -> tensor<3x4x16xf32> {
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
    %sq = tosa.mul %16, %16, %0 : (tensor<3x1x16xf32>, tensor<3x1x16xf32>, tensor<1xi8>) -> tensor<3x1x16xf32>
    %17 = tosa.reduce_sum %sq {axis = 2 : i32} : (tensor<3x1x16xf32>) -> tensor<3x1x1xf32>
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

// InstanceNorm2d with its statistics over axes 1 and 3 (not contiguous) of
// the [1, N*C, H, W] view, divisors 1/96.
// CHECK-LABEL: func.func @in_noncontiguous
// CHECK-NOT:     norm.
module {
  func.func @in_noncontiguous(%arg0: tensor<2x8x6x6xf32>) -> tensor<2x8x6x6xf32> {
    %0 = tosa.const_shape  {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %1 = tosa.const_shape  {values = dense<[1, 16, 6, 6]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = tosa.const_shape  {values = dense<[1, 16, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %4 = tosa.const_shape  {values = dense<[2, 8, 6, 6]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %5 = "tosa.const"() <{values = dense<[[1.132, 1.053, 1.012, 1.124, 0.91, 0.967, 0.695, 1.076]]> : tensor<1x8xf32>}> : () -> tensor<1x8xf32>
    %6 = "tosa.const"() <{values = dense<[[-0.103, -0.056, -0.089, -0.006, -0.02, -0.097, 0.042, 0.027]]> : tensor<1x8xf32>}> : () -> tensor<1x8xf32>
    %7 = "tosa.const"() <{values = dense<0.010416666666666666> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %8 = "tosa.const"() <{values = dense<0.010416667> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %9 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %10 = tosa.tile %5, %0 : (tensor<1x8xf32>, !tosa.shape<2>) -> tensor<2x8xf32>
    %11 = tosa.tile %6, %0 : (tensor<1x8xf32>, !tosa.shape<2>) -> tensor<2x8xf32>
    %12 = tosa.reshape %arg0, %1 : (tensor<2x8x6x6xf32>, !tosa.shape<4>) -> tensor<1x16x6x6xf32>
    %13 = tosa.cast %12 : (tensor<1x16x6x6xf32>) -> tensor<1x16x6x6xf64>
    %14 = tosa.reduce_sum %13 {axis = 1 : i32} : (tensor<1x16x6x6xf64>) -> tensor<1x1x6x6xf64>
    %15 = tosa.reduce_sum %14 {axis = 3 : i32} : (tensor<1x1x6x6xf64>) -> tensor<1x1x6x1xf64>
    %16 = tosa.mul %15, %7, %2 : (tensor<1x1x6x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x1x6x1xf64>
    %17 = tosa.sub %13, %16 : (tensor<1x16x6x6xf64>, tensor<1x1x6x1xf64>) -> tensor<1x16x6x6xf64>
    %18 = tosa.mul %17, %17, %2 : (tensor<1x16x6x6xf64>, tensor<1x16x6x6xf64>, tensor<1xi8>) -> tensor<1x16x6x6xf64>
    %19 = tosa.reduce_sum %18 {axis = 1 : i32} : (tensor<1x16x6x6xf64>) -> tensor<1x1x6x6xf64>
    %20 = tosa.reduce_sum %19 {axis = 3 : i32} : (tensor<1x1x6x6xf64>) -> tensor<1x1x6x1xf64>
    %21 = tosa.mul %20, %7, %2 : (tensor<1x1x6x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x1x6x1xf64>
    %22 = tosa.cast %21 : (tensor<1x1x6x1xf64>) -> tensor<1x1x6x1xf32>
    %23 = tosa.reduce_sum %12 {axis = 1 : i32} : (tensor<1x16x6x6xf32>) -> tensor<1x1x6x6xf32>
    %24 = tosa.reduce_sum %23 {axis = 3 : i32} : (tensor<1x1x6x6xf32>) -> tensor<1x1x6x1xf32>
    %25 = tosa.mul %24, %8, %2 : (tensor<1x1x6x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x6x1xf32>
    %26 = tosa.add %22, %9 : (tensor<1x1x6x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x6x1xf32>
    %27 = tosa.rsqrt %26 : (tensor<1x1x6x1xf32>) -> tensor<1x1x6x1xf32>
    %28 = tosa.sub %12, %25 : (tensor<1x16x6x6xf32>, tensor<1x1x6x1xf32>) -> tensor<1x16x6x6xf32>
    %29 = tosa.mul %28, %27, %2 : (tensor<1x16x6x6xf32>, tensor<1x1x6x1xf32>, tensor<1xi8>) -> tensor<1x16x6x6xf32>
    %30 = tosa.reshape %10, %3 : (tensor<2x8xf32>, !tosa.shape<4>) -> tensor<1x16x1x1xf32>
    %31 = tosa.mul %29, %30, %2 : (tensor<1x16x6x6xf32>, tensor<1x16x1x1xf32>, tensor<1xi8>) -> tensor<1x16x6x6xf32>
    %32 = tosa.reshape %11, %3 : (tensor<2x8xf32>, !tosa.shape<4>) -> tensor<1x16x1x1xf32>
    %33 = tosa.add %31, %32 : (tensor<1x16x6x6xf32>, tensor<1x16x1x1xf32>) -> tensor<1x16x6x6xf32>
    %34 = tosa.reshape %33, %4 : (tensor<1x16x6x6xf32>, !tosa.shape<4>) -> tensor<2x8x6x6xf32>
    return %34 : tensor<2x8x6x6xf32>
  }
}

// -----

// Control: GroupNorm(4, 16) as imported.
// CHECK-LABEL: func.func @gn_control
// CHECK:         norm.group_norm %arg0 {{.*}} groups = 4 : tensor<2x16x6x6xf32>
module {
  func.func @gn_control(%arg0: tensor<2x16x6x6xf32>) -> tensor<2x16x6x6xf32> {
    %0 = "tosa.const"() <{values = dense<[[16, 4, 1, 1]]> : tensor<1x4xi32>}> : () -> tensor<1x4xi32>
    %1 = tosa.const_shape  {values = dense<[2, 4, 4, 36]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %4 = tosa.const_shape  {values = dense<[2, 16, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %5 = tosa.const_shape  {values = dense<[1, 32, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %6 = tosa.const_shape  {values = dense<[32, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %7 = tosa.const_shape  {values = dense<[1, 32]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %8 = tosa.const_shape  {values = dense<[2, 16, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %9 = "tosa.const"() <{values = dense<0.0069444444444444441> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %10 = "tosa.const"() <{values = dense<0.0069444445> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %11 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %12 = "tosa.const"() <{values = dense<[[[[0.695], [0.85], [0.869], [0.678]], [[0.98], [0.878], [0.804], [0.678]], [[0.858], [1.061], [0.845], [0.95]], [[0.956], [1.337], [1.046], [1.094]]]]> : tensor<1x4x4x1xf32>}> : () -> tensor<1x4x4x1xf32>
    %13 = "tosa.const"() <{values = dense<[[[[-0.07], [-0.116], [0.07], [0.02]], [[0.087], [0.024], [-0.066], [0.081]], [[0.11], [-0.018], [-0.225], [-0.145]], [[0.006], [-0.062], [-0.08], [-0.013]]]]> : tensor<1x4x4x1xf32>}> : () -> tensor<1x4x4x1xf32>
    %cst = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_0 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_1 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_2 = arith.constant dense<0> : tensor<2x16xi64>
    %14 = "tosa.const"() <{values = dense<0> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %15 = "tosa.const"() <{values = dense<2> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %16 = "tosa.const"() <{values = dense<4> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %17 = "tosa.const"() <{values = dense<1> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %cst_3 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_4 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_5 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_6 = arith.constant dense<0> : tensor<2x16xi64>
    %18 = tosa.reshape %arg0, %1 : (tensor<2x16x6x6xf32>, !tosa.shape<4>) -> tensor<2x4x4x36xf32>
    %19 = tosa.cast %18 : (tensor<2x4x4x36xf32>) -> tensor<2x4x4x36xf64>
    %20 = tosa.reduce_sum %19 {axis = 2 : i32} : (tensor<2x4x4x36xf64>) -> tensor<2x4x1x36xf64>
    %21 = tosa.reduce_sum %20 {axis = 3 : i32} : (tensor<2x4x1x36xf64>) -> tensor<2x4x1x1xf64>
    %22 = tosa.mul %21, %9, %2 : (tensor<2x4x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<2x4x1x1xf64>
    %23 = tosa.sub %19, %22 : (tensor<2x4x4x36xf64>, tensor<2x4x1x1xf64>) -> tensor<2x4x4x36xf64>
    %24 = tosa.mul %23, %23, %2 : (tensor<2x4x4x36xf64>, tensor<2x4x4x36xf64>, tensor<1xi8>) -> tensor<2x4x4x36xf64>
    %25 = tosa.reduce_sum %24 {axis = 2 : i32} : (tensor<2x4x4x36xf64>) -> tensor<2x4x1x36xf64>
    %26 = tosa.reduce_sum %25 {axis = 3 : i32} : (tensor<2x4x1x36xf64>) -> tensor<2x4x1x1xf64>
    %27 = tosa.mul %26, %9, %2 : (tensor<2x4x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<2x4x1x1xf64>
    %28 = tosa.cast %27 : (tensor<2x4x1x1xf64>) -> tensor<2x4x1x1xf32>
    %29 = tosa.reduce_sum %18 {axis = 2 : i32} : (tensor<2x4x4x36xf32>) -> tensor<2x4x1x36xf32>
    %30 = tosa.reduce_sum %29 {axis = 3 : i32} : (tensor<2x4x1x36xf32>) -> tensor<2x4x1x1xf32>
    %31 = tosa.mul %30, %10, %2 : (tensor<2x4x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<2x4x1x1xf32>
    %32 = tosa.add %28, %11 : (tensor<2x4x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<2x4x1x1xf32>
    %33 = tosa.rsqrt %32 : (tensor<2x4x1x1xf32>) -> tensor<2x4x1x1xf32>
    %34 = tosa.mul %33, %12, %2 : (tensor<2x4x1x1xf32>, tensor<1x4x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4x1xf32>
    %35 = tosa.negate %31, %3, %3 : (tensor<2x4x1x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x1x1xf32>
    %36 = tosa.mul %35, %34, %2 : (tensor<2x4x1x1xf32>, tensor<2x4x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4x1xf32>
    %37 = tosa.add %36, %13 : (tensor<2x4x4x1xf32>, tensor<1x4x4x1xf32>) -> tensor<2x4x4x1xf32>
    %38 = tosa.cast %cst : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %39 = tosa.add %38, %15 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %40 = tosa.greater %14, %38 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %41 = tosa.select %40, %39, %38 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %42 = tosa.reshape %41, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %43 = tosa.cast %cst_0 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %44 = tosa.add %43, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %45 = tosa.greater %14, %43 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %46 = tosa.select %45, %44, %43 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %47 = tosa.reshape %46, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %48 = tosa.cast %cst_1 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %49 = tosa.add %48, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %50 = tosa.greater %14, %48 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %51 = tosa.select %50, %49, %48 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %52 = tosa.reshape %51, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %53 = tosa.cast %cst_2 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %54 = tosa.add %53, %17 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %55 = tosa.greater %14, %53 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %56 = tosa.select %55, %54, %53 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %57 = tosa.reshape %56, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %58 = tosa.concat %42, %47, %52, %57 {axis = 2 : i32} : (tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>) -> tensor<2x16x4xi32>
    %59 = tosa.reshape %34, %5 : (tensor<2x4x4x1xf32>, !tosa.shape<3>) -> tensor<1x32x1xf32>
    %60 = tosa.reshape %58, %6 : (tensor<2x16x4xi32>, !tosa.shape<2>) -> tensor<32x4xi32>
    %61 = tosa.mul %60, %0, %2 : (tensor<32x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<32x4xi32>
    %62 = tosa.reduce_sum %61 {axis = 1 : i32} : (tensor<32x4xi32>) -> tensor<32x1xi32>
    %63 = tosa.reshape %62, %7 : (tensor<32x1xi32>, !tosa.shape<2>) -> tensor<1x32xi32>
    %64 = tosa.gather %59, %63 : (tensor<1x32x1xf32>, tensor<1x32xi32>) -> tensor<1x32x1xf32>
    %65 = tosa.cast %cst_3 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %66 = tosa.add %65, %15 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %67 = tosa.greater %14, %65 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %68 = tosa.select %67, %66, %65 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %69 = tosa.reshape %68, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %70 = tosa.cast %cst_4 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %71 = tosa.add %70, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %72 = tosa.greater %14, %70 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %73 = tosa.select %72, %71, %70 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %74 = tosa.reshape %73, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %75 = tosa.cast %cst_5 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %76 = tosa.add %75, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %77 = tosa.greater %14, %75 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %78 = tosa.select %77, %76, %75 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %79 = tosa.reshape %78, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %80 = tosa.cast %cst_6 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %81 = tosa.add %80, %17 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %82 = tosa.greater %14, %80 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %83 = tosa.select %82, %81, %80 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %84 = tosa.reshape %83, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %85 = tosa.concat %69, %74, %79, %84 {axis = 2 : i32} : (tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>) -> tensor<2x16x4xi32>
    %86 = tosa.reshape %37, %5 : (tensor<2x4x4x1xf32>, !tosa.shape<3>) -> tensor<1x32x1xf32>
    %87 = tosa.reshape %85, %6 : (tensor<2x16x4xi32>, !tosa.shape<2>) -> tensor<32x4xi32>
    %88 = tosa.mul %87, %0, %2 : (tensor<32x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<32x4xi32>
    %89 = tosa.reduce_sum %88 {axis = 1 : i32} : (tensor<32x4xi32>) -> tensor<32x1xi32>
    %90 = tosa.reshape %89, %7 : (tensor<32x1xi32>, !tosa.shape<2>) -> tensor<1x32xi32>
    %91 = tosa.gather %86, %90 : (tensor<1x32x1xf32>, tensor<1x32xi32>) -> tensor<1x32x1xf32>
    %92 = tosa.reshape %64, %8 : (tensor<1x32x1xf32>, !tosa.shape<4>) -> tensor<2x16x1x1xf32>
    %93 = tosa.reshape %91, %8 : (tensor<1x32x1xf32>, !tosa.shape<4>) -> tensor<2x16x1x1xf32>
    %94 = tosa.mul %arg0, %92, %2 : (tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>, tensor<1xi8>) -> tensor<2x16x6x6xf32>
    %95 = tosa.add %94, %93 : (tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x6x6xf32>
    return %95 : tensor<2x16x6x6xf32>
  }
}

// -----

// The scale's gather indices name the next group (g + 1 mod 4).
// CHECK-LABEL: func.func @gn_next_group
// CHECK-NOT:     norm.
module {
  func.func @gn_next_group(%arg0: tensor<2x16x6x6xf32>) -> tensor<2x16x6x6xf32> {
    %0 = "tosa.const"() <{values = dense<[[16, 4, 1, 1]]> : tensor<1x4xi32>}> : () -> tensor<1x4xi32>
    %1 = tosa.const_shape  {values = dense<[2, 4, 4, 36]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %4 = tosa.const_shape  {values = dense<[2, 16, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %5 = tosa.const_shape  {values = dense<[1, 32, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %6 = tosa.const_shape  {values = dense<[32, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %7 = tosa.const_shape  {values = dense<[1, 32]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %8 = tosa.const_shape  {values = dense<[2, 16, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %9 = "tosa.const"() <{values = dense<0.0069444444444444441> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %10 = "tosa.const"() <{values = dense<0.0069444445> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %11 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %12 = "tosa.const"() <{values = dense<[[[[0.695], [0.85], [0.869], [0.678]], [[0.98], [0.878], [0.804], [0.678]], [[0.858], [1.061], [0.845], [0.95]], [[0.956], [1.337], [1.046], [1.094]]]]> : tensor<1x4x4x1xf32>}> : () -> tensor<1x4x4x1xf32>
    %13 = "tosa.const"() <{values = dense<[[[[-0.07], [-0.116], [0.07], [0.02]], [[0.087], [0.024], [-0.066], [0.081]], [[0.11], [-0.018], [-0.225], [-0.145]], [[0.006], [-0.062], [-0.08], [-0.013]]]]> : tensor<1x4x4x1xf32>}> : () -> tensor<1x4x4x1xf32>
    %cst = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_0 = arith.constant dense<[[1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 0, 0, 0, 0], [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 0, 0, 0, 0]]> : tensor<2x16xi64>
    %cst_1 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_2 = arith.constant dense<0> : tensor<2x16xi64>
    %14 = "tosa.const"() <{values = dense<0> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %15 = "tosa.const"() <{values = dense<2> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %16 = "tosa.const"() <{values = dense<4> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %17 = "tosa.const"() <{values = dense<1> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %cst_3 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_4 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_5 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_6 = arith.constant dense<0> : tensor<2x16xi64>
    %18 = tosa.reshape %arg0, %1 : (tensor<2x16x6x6xf32>, !tosa.shape<4>) -> tensor<2x4x4x36xf32>
    %19 = tosa.cast %18 : (tensor<2x4x4x36xf32>) -> tensor<2x4x4x36xf64>
    %20 = tosa.reduce_sum %19 {axis = 2 : i32} : (tensor<2x4x4x36xf64>) -> tensor<2x4x1x36xf64>
    %21 = tosa.reduce_sum %20 {axis = 3 : i32} : (tensor<2x4x1x36xf64>) -> tensor<2x4x1x1xf64>
    %22 = tosa.mul %21, %9, %2 : (tensor<2x4x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<2x4x1x1xf64>
    %23 = tosa.sub %19, %22 : (tensor<2x4x4x36xf64>, tensor<2x4x1x1xf64>) -> tensor<2x4x4x36xf64>
    %24 = tosa.mul %23, %23, %2 : (tensor<2x4x4x36xf64>, tensor<2x4x4x36xf64>, tensor<1xi8>) -> tensor<2x4x4x36xf64>
    %25 = tosa.reduce_sum %24 {axis = 2 : i32} : (tensor<2x4x4x36xf64>) -> tensor<2x4x1x36xf64>
    %26 = tosa.reduce_sum %25 {axis = 3 : i32} : (tensor<2x4x1x36xf64>) -> tensor<2x4x1x1xf64>
    %27 = tosa.mul %26, %9, %2 : (tensor<2x4x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<2x4x1x1xf64>
    %28 = tosa.cast %27 : (tensor<2x4x1x1xf64>) -> tensor<2x4x1x1xf32>
    %29 = tosa.reduce_sum %18 {axis = 2 : i32} : (tensor<2x4x4x36xf32>) -> tensor<2x4x1x36xf32>
    %30 = tosa.reduce_sum %29 {axis = 3 : i32} : (tensor<2x4x1x36xf32>) -> tensor<2x4x1x1xf32>
    %31 = tosa.mul %30, %10, %2 : (tensor<2x4x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<2x4x1x1xf32>
    %32 = tosa.add %28, %11 : (tensor<2x4x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<2x4x1x1xf32>
    %33 = tosa.rsqrt %32 : (tensor<2x4x1x1xf32>) -> tensor<2x4x1x1xf32>
    %34 = tosa.mul %33, %12, %2 : (tensor<2x4x1x1xf32>, tensor<1x4x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4x1xf32>
    %35 = tosa.negate %31, %3, %3 : (tensor<2x4x1x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x1x1xf32>
    %36 = tosa.mul %35, %34, %2 : (tensor<2x4x1x1xf32>, tensor<2x4x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4x1xf32>
    %37 = tosa.add %36, %13 : (tensor<2x4x4x1xf32>, tensor<1x4x4x1xf32>) -> tensor<2x4x4x1xf32>
    %38 = tosa.cast %cst : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %39 = tosa.add %38, %15 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %40 = tosa.greater %14, %38 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %41 = tosa.select %40, %39, %38 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %42 = tosa.reshape %41, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %43 = tosa.cast %cst_0 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %44 = tosa.add %43, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %45 = tosa.greater %14, %43 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %46 = tosa.select %45, %44, %43 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %47 = tosa.reshape %46, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %48 = tosa.cast %cst_1 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %49 = tosa.add %48, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %50 = tosa.greater %14, %48 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %51 = tosa.select %50, %49, %48 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %52 = tosa.reshape %51, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %53 = tosa.cast %cst_2 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %54 = tosa.add %53, %17 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %55 = tosa.greater %14, %53 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %56 = tosa.select %55, %54, %53 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %57 = tosa.reshape %56, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %58 = tosa.concat %42, %47, %52, %57 {axis = 2 : i32} : (tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>) -> tensor<2x16x4xi32>
    %59 = tosa.reshape %34, %5 : (tensor<2x4x4x1xf32>, !tosa.shape<3>) -> tensor<1x32x1xf32>
    %60 = tosa.reshape %58, %6 : (tensor<2x16x4xi32>, !tosa.shape<2>) -> tensor<32x4xi32>
    %61 = tosa.mul %60, %0, %2 : (tensor<32x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<32x4xi32>
    %62 = tosa.reduce_sum %61 {axis = 1 : i32} : (tensor<32x4xi32>) -> tensor<32x1xi32>
    %63 = tosa.reshape %62, %7 : (tensor<32x1xi32>, !tosa.shape<2>) -> tensor<1x32xi32>
    %64 = tosa.gather %59, %63 : (tensor<1x32x1xf32>, tensor<1x32xi32>) -> tensor<1x32x1xf32>
    %65 = tosa.cast %cst_3 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %66 = tosa.add %65, %15 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %67 = tosa.greater %14, %65 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %68 = tosa.select %67, %66, %65 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %69 = tosa.reshape %68, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %70 = tosa.cast %cst_4 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %71 = tosa.add %70, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %72 = tosa.greater %14, %70 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %73 = tosa.select %72, %71, %70 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %74 = tosa.reshape %73, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %75 = tosa.cast %cst_5 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %76 = tosa.add %75, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %77 = tosa.greater %14, %75 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %78 = tosa.select %77, %76, %75 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %79 = tosa.reshape %78, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %80 = tosa.cast %cst_6 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %81 = tosa.add %80, %17 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %82 = tosa.greater %14, %80 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %83 = tosa.select %82, %81, %80 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %84 = tosa.reshape %83, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %85 = tosa.concat %69, %74, %79, %84 {axis = 2 : i32} : (tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>) -> tensor<2x16x4xi32>
    %86 = tosa.reshape %37, %5 : (tensor<2x4x4x1xf32>, !tosa.shape<3>) -> tensor<1x32x1xf32>
    %87 = tosa.reshape %85, %6 : (tensor<2x16x4xi32>, !tosa.shape<2>) -> tensor<32x4xi32>
    %88 = tosa.mul %87, %0, %2 : (tensor<32x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<32x4xi32>
    %89 = tosa.reduce_sum %88 {axis = 1 : i32} : (tensor<32x4xi32>) -> tensor<32x1xi32>
    %90 = tosa.reshape %89, %7 : (tensor<32x1xi32>, !tosa.shape<2>) -> tensor<1x32xi32>
    %91 = tosa.gather %86, %90 : (tensor<1x32x1xf32>, tensor<1x32xi32>) -> tensor<1x32x1xf32>
    %92 = tosa.reshape %64, %8 : (tensor<1x32x1xf32>, !tosa.shape<4>) -> tensor<2x16x1x1xf32>
    %93 = tosa.reshape %91, %8 : (tensor<1x32x1xf32>, !tosa.shape<4>) -> tensor<2x16x1x1xf32>
    %94 = tosa.mul %arg0, %92, %2 : (tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>, tensor<1xi8>) -> tensor<2x16x6x6xf32>
    %95 = tosa.add %94, %93 : (tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x6x6xf32>
    return %95 : tensor<2x16x6x6xf32>
  }
}

// -----

// The gather strides [16, 4, 1, 1] swapped to [16, 1, 4, 1]: channel
// 4g + j reads the statistics of group j.
// CHECK-LABEL: func.func @gn_permuted_gather
// CHECK-NOT:     norm.
module {
  func.func @gn_permuted_gather(%arg0: tensor<2x16x6x6xf32>) -> tensor<2x16x6x6xf32> {
    %0 = "tosa.const"() <{values = dense<[[16, 1, 4, 1]]> : tensor<1x4xi32>}> : () -> tensor<1x4xi32>
    %1 = tosa.const_shape  {values = dense<[2, 4, 4, 36]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %4 = tosa.const_shape  {values = dense<[2, 16, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %5 = tosa.const_shape  {values = dense<[1, 32, 1]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %6 = tosa.const_shape  {values = dense<[32, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %7 = tosa.const_shape  {values = dense<[1, 32]> : tensor<2xindex>} : () -> !tosa.shape<2>
    %8 = tosa.const_shape  {values = dense<[2, 16, 1, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
    %9 = "tosa.const"() <{values = dense<0.0069444444444444441> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %10 = "tosa.const"() <{values = dense<0.0069444445> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %11 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %12 = "tosa.const"() <{values = dense<[[[[0.695], [0.85], [0.869], [0.678]], [[0.98], [0.878], [0.804], [0.678]], [[0.858], [1.061], [0.845], [0.95]], [[0.956], [1.337], [1.046], [1.094]]]]> : tensor<1x4x4x1xf32>}> : () -> tensor<1x4x4x1xf32>
    %13 = "tosa.const"() <{values = dense<[[[[-0.07], [-0.116], [0.07], [0.02]], [[0.087], [0.024], [-0.066], [0.081]], [[0.11], [-0.018], [-0.225], [-0.145]], [[0.006], [-0.062], [-0.08], [-0.013]]]]> : tensor<1x4x4x1xf32>}> : () -> tensor<1x4x4x1xf32>
    %cst = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_0 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_1 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_2 = arith.constant dense<0> : tensor<2x16xi64>
    %14 = "tosa.const"() <{values = dense<0> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %15 = "tosa.const"() <{values = dense<2> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %16 = "tosa.const"() <{values = dense<4> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %17 = "tosa.const"() <{values = dense<1> : tensor<1x1xi32>}> : () -> tensor<1x1xi32>
    %cst_3 = arith.constant dense<[[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]]> : tensor<2x16xi64>
    %cst_4 = arith.constant dense<[[0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]]> : tensor<2x16xi64>
    %cst_5 = arith.constant dense<[[0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]]> : tensor<2x16xi64>
    %cst_6 = arith.constant dense<0> : tensor<2x16xi64>
    %18 = tosa.reshape %arg0, %1 : (tensor<2x16x6x6xf32>, !tosa.shape<4>) -> tensor<2x4x4x36xf32>
    %19 = tosa.cast %18 : (tensor<2x4x4x36xf32>) -> tensor<2x4x4x36xf64>
    %20 = tosa.reduce_sum %19 {axis = 2 : i32} : (tensor<2x4x4x36xf64>) -> tensor<2x4x1x36xf64>
    %21 = tosa.reduce_sum %20 {axis = 3 : i32} : (tensor<2x4x1x36xf64>) -> tensor<2x4x1x1xf64>
    %22 = tosa.mul %21, %9, %2 : (tensor<2x4x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<2x4x1x1xf64>
    %23 = tosa.sub %19, %22 : (tensor<2x4x4x36xf64>, tensor<2x4x1x1xf64>) -> tensor<2x4x4x36xf64>
    %24 = tosa.mul %23, %23, %2 : (tensor<2x4x4x36xf64>, tensor<2x4x4x36xf64>, tensor<1xi8>) -> tensor<2x4x4x36xf64>
    %25 = tosa.reduce_sum %24 {axis = 2 : i32} : (tensor<2x4x4x36xf64>) -> tensor<2x4x1x36xf64>
    %26 = tosa.reduce_sum %25 {axis = 3 : i32} : (tensor<2x4x1x36xf64>) -> tensor<2x4x1x1xf64>
    %27 = tosa.mul %26, %9, %2 : (tensor<2x4x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<2x4x1x1xf64>
    %28 = tosa.cast %27 : (tensor<2x4x1x1xf64>) -> tensor<2x4x1x1xf32>
    %29 = tosa.reduce_sum %18 {axis = 2 : i32} : (tensor<2x4x4x36xf32>) -> tensor<2x4x1x36xf32>
    %30 = tosa.reduce_sum %29 {axis = 3 : i32} : (tensor<2x4x1x36xf32>) -> tensor<2x4x1x1xf32>
    %31 = tosa.mul %30, %10, %2 : (tensor<2x4x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<2x4x1x1xf32>
    %32 = tosa.add %28, %11 : (tensor<2x4x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<2x4x1x1xf32>
    %33 = tosa.rsqrt %32 : (tensor<2x4x1x1xf32>) -> tensor<2x4x1x1xf32>
    %34 = tosa.mul %33, %12, %2 : (tensor<2x4x1x1xf32>, tensor<1x4x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4x1xf32>
    %35 = tosa.negate %31, %3, %3 : (tensor<2x4x1x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x1x1xf32>
    %36 = tosa.mul %35, %34, %2 : (tensor<2x4x1x1xf32>, tensor<2x4x4x1xf32>, tensor<1xi8>) -> tensor<2x4x4x1xf32>
    %37 = tosa.add %36, %13 : (tensor<2x4x4x1xf32>, tensor<1x4x4x1xf32>) -> tensor<2x4x4x1xf32>
    %38 = tosa.cast %cst : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %39 = tosa.add %38, %15 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %40 = tosa.greater %14, %38 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %41 = tosa.select %40, %39, %38 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %42 = tosa.reshape %41, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %43 = tosa.cast %cst_0 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %44 = tosa.add %43, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %45 = tosa.greater %14, %43 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %46 = tosa.select %45, %44, %43 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %47 = tosa.reshape %46, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %48 = tosa.cast %cst_1 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %49 = tosa.add %48, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %50 = tosa.greater %14, %48 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %51 = tosa.select %50, %49, %48 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %52 = tosa.reshape %51, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %53 = tosa.cast %cst_2 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %54 = tosa.add %53, %17 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %55 = tosa.greater %14, %53 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %56 = tosa.select %55, %54, %53 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %57 = tosa.reshape %56, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %58 = tosa.concat %42, %47, %52, %57 {axis = 2 : i32} : (tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>) -> tensor<2x16x4xi32>
    %59 = tosa.reshape %34, %5 : (tensor<2x4x4x1xf32>, !tosa.shape<3>) -> tensor<1x32x1xf32>
    %60 = tosa.reshape %58, %6 : (tensor<2x16x4xi32>, !tosa.shape<2>) -> tensor<32x4xi32>
    %61 = tosa.mul %60, %0, %2 : (tensor<32x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<32x4xi32>
    %62 = tosa.reduce_sum %61 {axis = 1 : i32} : (tensor<32x4xi32>) -> tensor<32x1xi32>
    %63 = tosa.reshape %62, %7 : (tensor<32x1xi32>, !tosa.shape<2>) -> tensor<1x32xi32>
    %64 = tosa.gather %59, %63 : (tensor<1x32x1xf32>, tensor<1x32xi32>) -> tensor<1x32x1xf32>
    %65 = tosa.cast %cst_3 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %66 = tosa.add %65, %15 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %67 = tosa.greater %14, %65 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %68 = tosa.select %67, %66, %65 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %69 = tosa.reshape %68, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %70 = tosa.cast %cst_4 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %71 = tosa.add %70, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %72 = tosa.greater %14, %70 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %73 = tosa.select %72, %71, %70 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %74 = tosa.reshape %73, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %75 = tosa.cast %cst_5 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %76 = tosa.add %75, %16 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %77 = tosa.greater %14, %75 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %78 = tosa.select %77, %76, %75 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %79 = tosa.reshape %78, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %80 = tosa.cast %cst_6 : (tensor<2x16xi64>) -> tensor<2x16xi32>
    %81 = tosa.add %80, %17 : (tensor<2x16xi32>, tensor<1x1xi32>) -> tensor<2x16xi32>
    %82 = tosa.greater %14, %80 : (tensor<1x1xi32>, tensor<2x16xi32>) -> tensor<2x16xi1>
    %83 = tosa.select %82, %81, %80 : (tensor<2x16xi1>, tensor<2x16xi32>, tensor<2x16xi32>) -> tensor<2x16xi32>
    %84 = tosa.reshape %83, %4 : (tensor<2x16xi32>, !tosa.shape<3>) -> tensor<2x16x1xi32>
    %85 = tosa.concat %69, %74, %79, %84 {axis = 2 : i32} : (tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>, tensor<2x16x1xi32>) -> tensor<2x16x4xi32>
    %86 = tosa.reshape %37, %5 : (tensor<2x4x4x1xf32>, !tosa.shape<3>) -> tensor<1x32x1xf32>
    %87 = tosa.reshape %85, %6 : (tensor<2x16x4xi32>, !tosa.shape<2>) -> tensor<32x4xi32>
    %88 = tosa.mul %87, %0, %2 : (tensor<32x4xi32>, tensor<1x4xi32>, tensor<1xi8>) -> tensor<32x4xi32>
    %89 = tosa.reduce_sum %88 {axis = 1 : i32} : (tensor<32x4xi32>) -> tensor<32x1xi32>
    %90 = tosa.reshape %89, %7 : (tensor<32x1xi32>, !tosa.shape<2>) -> tensor<1x32xi32>
    %91 = tosa.gather %86, %90 : (tensor<1x32x1xf32>, tensor<1x32xi32>) -> tensor<1x32x1xf32>
    %92 = tosa.reshape %64, %8 : (tensor<1x32x1xf32>, !tosa.shape<4>) -> tensor<2x16x1x1xf32>
    %93 = tosa.reshape %91, %8 : (tensor<1x32x1xf32>, !tosa.shape<4>) -> tensor<2x16x1x1xf32>
    %94 = tosa.mul %arg0, %92, %2 : (tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>, tensor<1xi8>) -> tensor<2x16x6x6xf32>
    %95 = tosa.add %94, %93 : (tensor<2x16x6x6xf32>, tensor<2x16x1x1xf32>) -> tensor<2x16x6x6xf32>
    return %95 : tensor<2x16x6x6xf32>
  }
}

// -----

// Control: training BatchNorm2d as imported (sums over axes 0, then 2,
// then 3).
// CHECK-LABEL: func.func @bn_control
// CHECK:         norm.batch_norm_training %arg0
module {
  func.func @bn_control(%arg0: tensor<4x8x6x6xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<i64>, tensor<4x8x6x6xf32>) {
    %cst = arith.constant dense<1> : tensor<i64>
    %0 = "tosa.const"() <{values = dense<[1.178, 1.223, 1.01, 1.131, 1.386, 1.189, 1.499, 1.45]> : tensor<8xf32>}> : () -> tensor<8xf32>
    %1 = "tosa.const"() <{values = dense<[-0.042, -0.051, -0.157, -0.012, 0.359, -0.183, 0.16, -0.128]> : tensor<8xf32>}> : () -> tensor<8xf32>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = tosa.const_shape  {values = dense<8> : tensor<1xindex>} : () -> !tosa.shape<1>
    %4 = "tosa.const"() <{values = dense<0.0069444444444444441> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %5 = "tosa.const"() <{values = dense<0.0069444445> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %6 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %7 = "tosa.const"() <{values = dense<1.000000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
    %8 = "tosa.const"() <{values = dense<0.899999976> : tensor<1xf32>}> : () -> tensor<1xf32>
    %9 = "tosa.const"() <{values = dense<1.00699306> : tensor<1xf32>}> : () -> tensor<1xf32>
    %10 = "tosa.const"() <{values = dense<[[[[1.132]], [[1.053]], [[1.012]], [[1.124]], [[0.91]], [[0.967]], [[0.695]], [[1.076]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
    %11 = "tosa.const"() <{values = dense<[[[[-0.103]], [[-0.056]], [[-0.089]], [[-0.006]], [[-0.02]], [[-0.097]], [[0.042]], [[0.027]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
    %12 = tosa.cast %arg0 : (tensor<4x8x6x6xf32>) -> tensor<4x8x6x6xf64>
    %13 = tosa.reduce_sum %12 {axis = 0 : i32} : (tensor<4x8x6x6xf64>) -> tensor<1x8x6x6xf64>
    %14 = tosa.reduce_sum %13 {axis = 2 : i32} : (tensor<1x8x6x6xf64>) -> tensor<1x8x1x6xf64>
    %15 = tosa.reduce_sum %14 {axis = 3 : i32} : (tensor<1x8x1x6xf64>) -> tensor<1x8x1x1xf64>
    %16 = tosa.mul %15, %4, %2 : (tensor<1x8x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x8x1x1xf64>
    %17 = tosa.sub %12, %16 : (tensor<4x8x6x6xf64>, tensor<1x8x1x1xf64>) -> tensor<4x8x6x6xf64>
    %18 = tosa.mul %17, %17, %2 : (tensor<4x8x6x6xf64>, tensor<4x8x6x6xf64>, tensor<1xi8>) -> tensor<4x8x6x6xf64>
    %19 = tosa.reduce_sum %18 {axis = 0 : i32} : (tensor<4x8x6x6xf64>) -> tensor<1x8x6x6xf64>
    %20 = tosa.reduce_sum %19 {axis = 2 : i32} : (tensor<1x8x6x6xf64>) -> tensor<1x8x1x6xf64>
    %21 = tosa.reduce_sum %20 {axis = 3 : i32} : (tensor<1x8x1x6xf64>) -> tensor<1x8x1x1xf64>
    %22 = tosa.mul %21, %4, %2 : (tensor<1x8x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x8x1x1xf64>
    %23 = tosa.cast %22 : (tensor<1x8x1x1xf64>) -> tensor<1x8x1x1xf32>
    %24 = tosa.reduce_sum %arg0 {axis = 0 : i32} : (tensor<4x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    %25 = tosa.reduce_sum %24 {axis = 2 : i32} : (tensor<1x8x6x6xf32>) -> tensor<1x8x1x6xf32>
    %26 = tosa.reduce_sum %25 {axis = 3 : i32} : (tensor<1x8x1x6xf32>) -> tensor<1x8x1x1xf32>
    %27 = tosa.mul %26, %5, %2 : (tensor<1x8x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x8x1x1xf32>
    %28 = tosa.add %23, %6 : (tensor<1x8x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x8x1x1xf32>
    %29 = tosa.rsqrt %28 : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
    %30 = tosa.sub %arg0, %27 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<4x8x6x6xf32>
    %31 = tosa.mul %30, %29, %2 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<4x8x6x6xf32>
    %32 = tosa.reshape %27, %3 : (tensor<1x8x1x1xf32>, !tosa.shape<1>) -> tensor<8xf32>
    %33 = tosa.mul %32, %7, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %34 = tosa.mul %1, %8, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %35 = tosa.add %33, %34 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %36 = tosa.reshape %23, %3 : (tensor<1x8x1x1xf32>, !tosa.shape<1>) -> tensor<8xf32>
    %37 = tosa.mul %36, %9, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %38 = tosa.mul %37, %7, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %39 = tosa.mul %0, %8, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %40 = tosa.add %38, %39 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %41 = tosa.mul %31, %10, %2 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<4x8x6x6xf32>
    %42 = tosa.add %41, %11 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<4x8x6x6xf32>
    return %35, %40, %cst, %42 : tensor<8xf32>, tensor<8xf32>, tensor<i64>, tensor<4x8x6x6xf32>
  }
}

// -----

// The running variance updated with the biased variance (factor 1, not
// n / (n - 1)).
// CHECK-LABEL: func.func @bn_biased_running_var
// CHECK-NOT:     norm.
module {
  func.func @bn_biased_running_var(%arg0: tensor<4x8x6x6xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<i64>, tensor<4x8x6x6xf32>) {
    %cst = arith.constant dense<1> : tensor<i64>
    %0 = "tosa.const"() <{values = dense<[1.178, 1.223, 1.01, 1.131, 1.386, 1.189, 1.499, 1.45]> : tensor<8xf32>}> : () -> tensor<8xf32>
    %1 = "tosa.const"() <{values = dense<[-0.042, -0.051, -0.157, -0.012, 0.359, -0.183, 0.16, -0.128]> : tensor<8xf32>}> : () -> tensor<8xf32>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = tosa.const_shape  {values = dense<8> : tensor<1xindex>} : () -> !tosa.shape<1>
    %4 = "tosa.const"() <{values = dense<0.0069444444444444441> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %5 = "tosa.const"() <{values = dense<0.0069444445> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %6 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %7 = "tosa.const"() <{values = dense<1.000000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
    %8 = "tosa.const"() <{values = dense<0.899999976> : tensor<1xf32>}> : () -> tensor<1xf32>
    %9 = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
    %10 = "tosa.const"() <{values = dense<[[[[1.132]], [[1.053]], [[1.012]], [[1.124]], [[0.91]], [[0.967]], [[0.695]], [[1.076]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
    %11 = "tosa.const"() <{values = dense<[[[[-0.103]], [[-0.056]], [[-0.089]], [[-0.006]], [[-0.02]], [[-0.097]], [[0.042]], [[0.027]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
    %12 = tosa.cast %arg0 : (tensor<4x8x6x6xf32>) -> tensor<4x8x6x6xf64>
    %13 = tosa.reduce_sum %12 {axis = 0 : i32} : (tensor<4x8x6x6xf64>) -> tensor<1x8x6x6xf64>
    %14 = tosa.reduce_sum %13 {axis = 2 : i32} : (tensor<1x8x6x6xf64>) -> tensor<1x8x1x6xf64>
    %15 = tosa.reduce_sum %14 {axis = 3 : i32} : (tensor<1x8x1x6xf64>) -> tensor<1x8x1x1xf64>
    %16 = tosa.mul %15, %4, %2 : (tensor<1x8x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x8x1x1xf64>
    %17 = tosa.sub %12, %16 : (tensor<4x8x6x6xf64>, tensor<1x8x1x1xf64>) -> tensor<4x8x6x6xf64>
    %18 = tosa.mul %17, %17, %2 : (tensor<4x8x6x6xf64>, tensor<4x8x6x6xf64>, tensor<1xi8>) -> tensor<4x8x6x6xf64>
    %19 = tosa.reduce_sum %18 {axis = 0 : i32} : (tensor<4x8x6x6xf64>) -> tensor<1x8x6x6xf64>
    %20 = tosa.reduce_sum %19 {axis = 2 : i32} : (tensor<1x8x6x6xf64>) -> tensor<1x8x1x6xf64>
    %21 = tosa.reduce_sum %20 {axis = 3 : i32} : (tensor<1x8x1x6xf64>) -> tensor<1x8x1x1xf64>
    %22 = tosa.mul %21, %4, %2 : (tensor<1x8x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x8x1x1xf64>
    %23 = tosa.cast %22 : (tensor<1x8x1x1xf64>) -> tensor<1x8x1x1xf32>
    %24 = tosa.reduce_sum %arg0 {axis = 0 : i32} : (tensor<4x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    %25 = tosa.reduce_sum %24 {axis = 2 : i32} : (tensor<1x8x6x6xf32>) -> tensor<1x8x1x6xf32>
    %26 = tosa.reduce_sum %25 {axis = 3 : i32} : (tensor<1x8x1x6xf32>) -> tensor<1x8x1x1xf32>
    %27 = tosa.mul %26, %5, %2 : (tensor<1x8x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x8x1x1xf32>
    %28 = tosa.add %23, %6 : (tensor<1x8x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x8x1x1xf32>
    %29 = tosa.rsqrt %28 : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
    %30 = tosa.sub %arg0, %27 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<4x8x6x6xf32>
    %31 = tosa.mul %30, %29, %2 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<4x8x6x6xf32>
    %32 = tosa.reshape %27, %3 : (tensor<1x8x1x1xf32>, !tosa.shape<1>) -> tensor<8xf32>
    %33 = tosa.mul %32, %7, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %34 = tosa.mul %1, %8, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %35 = tosa.add %33, %34 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %36 = tosa.reshape %23, %3 : (tensor<1x8x1x1xf32>, !tosa.shape<1>) -> tensor<8xf32>
    %37 = tosa.mul %36, %9, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %38 = tosa.mul %37, %7, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %39 = tosa.mul %0, %8, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %40 = tosa.add %38, %39 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %41 = tosa.mul %31, %10, %2 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<4x8x6x6xf32>
    %42 = tosa.add %41, %11 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<4x8x6x6xf32>
    return %35, %40, %cst, %42 : tensor<8xf32>, tensor<8xf32>, tensor<i64>, tensor<4x8x6x6xf32>
  }
}

// -----

// The batch mean divided by 36 (one sample) instead of 144.
// CHECK-LABEL: func.func @bn_wrong_divisor
// CHECK-NOT:     norm.
module {
  func.func @bn_wrong_divisor(%arg0: tensor<4x8x6x6xf32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<i64>, tensor<4x8x6x6xf32>) {
    %cst = arith.constant dense<1> : tensor<i64>
    %0 = "tosa.const"() <{values = dense<[1.178, 1.223, 1.01, 1.131, 1.386, 1.189, 1.499, 1.45]> : tensor<8xf32>}> : () -> tensor<8xf32>
    %1 = "tosa.const"() <{values = dense<[-0.042, -0.051, -0.157, -0.012, 0.359, -0.183, 0.16, -0.128]> : tensor<8xf32>}> : () -> tensor<8xf32>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = tosa.const_shape  {values = dense<8> : tensor<1xindex>} : () -> !tosa.shape<1>
    %4 = "tosa.const"() <{values = dense<0.0069444444444444441> : tensor<1x1x1x1xf64>}> : () -> tensor<1x1x1x1xf64>
    %5 = "tosa.const"() <{values = dense<0.027777778> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %6 = "tosa.const"() <{values = dense<9.99999974E-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %7 = "tosa.const"() <{values = dense<1.000000e-01> : tensor<1xf32>}> : () -> tensor<1xf32>
    %8 = "tosa.const"() <{values = dense<0.899999976> : tensor<1xf32>}> : () -> tensor<1xf32>
    %9 = "tosa.const"() <{values = dense<1.00699306> : tensor<1xf32>}> : () -> tensor<1xf32>
    %10 = "tosa.const"() <{values = dense<[[[[1.132]], [[1.053]], [[1.012]], [[1.124]], [[0.91]], [[0.967]], [[0.695]], [[1.076]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
    %11 = "tosa.const"() <{values = dense<[[[[-0.103]], [[-0.056]], [[-0.089]], [[-0.006]], [[-0.02]], [[-0.097]], [[0.042]], [[0.027]]]]> : tensor<1x8x1x1xf32>}> : () -> tensor<1x8x1x1xf32>
    %12 = tosa.cast %arg0 : (tensor<4x8x6x6xf32>) -> tensor<4x8x6x6xf64>
    %13 = tosa.reduce_sum %12 {axis = 0 : i32} : (tensor<4x8x6x6xf64>) -> tensor<1x8x6x6xf64>
    %14 = tosa.reduce_sum %13 {axis = 2 : i32} : (tensor<1x8x6x6xf64>) -> tensor<1x8x1x6xf64>
    %15 = tosa.reduce_sum %14 {axis = 3 : i32} : (tensor<1x8x1x6xf64>) -> tensor<1x8x1x1xf64>
    %16 = tosa.mul %15, %4, %2 : (tensor<1x8x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x8x1x1xf64>
    %17 = tosa.sub %12, %16 : (tensor<4x8x6x6xf64>, tensor<1x8x1x1xf64>) -> tensor<4x8x6x6xf64>
    %18 = tosa.mul %17, %17, %2 : (tensor<4x8x6x6xf64>, tensor<4x8x6x6xf64>, tensor<1xi8>) -> tensor<4x8x6x6xf64>
    %19 = tosa.reduce_sum %18 {axis = 0 : i32} : (tensor<4x8x6x6xf64>) -> tensor<1x8x6x6xf64>
    %20 = tosa.reduce_sum %19 {axis = 2 : i32} : (tensor<1x8x6x6xf64>) -> tensor<1x8x1x6xf64>
    %21 = tosa.reduce_sum %20 {axis = 3 : i32} : (tensor<1x8x1x6xf64>) -> tensor<1x8x1x1xf64>
    %22 = tosa.mul %21, %4, %2 : (tensor<1x8x1x1xf64>, tensor<1x1x1x1xf64>, tensor<1xi8>) -> tensor<1x8x1x1xf64>
    %23 = tosa.cast %22 : (tensor<1x8x1x1xf64>) -> tensor<1x8x1x1xf32>
    %24 = tosa.reduce_sum %arg0 {axis = 0 : i32} : (tensor<4x8x6x6xf32>) -> tensor<1x8x6x6xf32>
    %25 = tosa.reduce_sum %24 {axis = 2 : i32} : (tensor<1x8x6x6xf32>) -> tensor<1x8x1x6xf32>
    %26 = tosa.reduce_sum %25 {axis = 3 : i32} : (tensor<1x8x1x6xf32>) -> tensor<1x8x1x1xf32>
    %27 = tosa.mul %26, %5, %2 : (tensor<1x8x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x8x1x1xf32>
    %28 = tosa.add %23, %6 : (tensor<1x8x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x8x1x1xf32>
    %29 = tosa.rsqrt %28 : (tensor<1x8x1x1xf32>) -> tensor<1x8x1x1xf32>
    %30 = tosa.sub %arg0, %27 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<4x8x6x6xf32>
    %31 = tosa.mul %30, %29, %2 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<4x8x6x6xf32>
    %32 = tosa.reshape %27, %3 : (tensor<1x8x1x1xf32>, !tosa.shape<1>) -> tensor<8xf32>
    %33 = tosa.mul %32, %7, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %34 = tosa.mul %1, %8, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %35 = tosa.add %33, %34 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %36 = tosa.reshape %23, %3 : (tensor<1x8x1x1xf32>, !tosa.shape<1>) -> tensor<8xf32>
    %37 = tosa.mul %36, %9, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %38 = tosa.mul %37, %7, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %39 = tosa.mul %0, %8, %2 : (tensor<8xf32>, tensor<1xf32>, tensor<1xi8>) -> tensor<8xf32>
    %40 = tosa.add %38, %39 : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
    %41 = tosa.mul %31, %10, %2 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>, tensor<1xi8>) -> tensor<4x8x6x6xf32>
    %42 = tosa.add %41, %11 : (tensor<4x8x6x6xf32>, tensor<1x8x1x1xf32>) -> tensor<4x8x6x6xf32>
    return %35, %40, %cst, %42 : tensor<8xf32>, tensor<8xf32>, tensor<i64>, tensor<4x8x6x6xf32>
  }
}

// -----

// Control: HF-style RMSNorm (tosa.pow(x, 2)) of a residual sum x (as in
// llama_block_hf's second norm): x = arg0 + arg1 added before the norm.
// CHECK-LABEL: func.func @hf_residual_control
// CHECK:         %[[X:.*]] = linalg.generic
// CHECK:         norm.rms_norm %[[X]] weight(%{{.*}} : tensor<64xf32>) axes = [2] : tensor<2x8x64xf32>
module {
  func.func @hf_residual_control(%arg0: tensor<2x8x64xf32>, %arg1: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999997E-7> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<[[[0.695, 0.85, 0.869, 0.678, 0.98, 0.878, 0.804, 0.678, 0.858, 1.061, 0.845, 0.95, 0.956, 1.337, 1.046, 1.094, 0.861, 0.768, 1.14, 1.04, 1.173, 1.049, 0.867, 1.161, 1.22, 0.965, 0.551, 0.711, 1.012, 0.876, 0.84, 0.974, 1.376, 0.986, 1.032, 0.845, 1.04, 1.009, 1.031, 0.905, 0.978, 1.059, 0.968, 0.994, 1.471, 0.793, 1.315, 0.874, 0.815, 1.109, 1.013, 0.913, 1.153, 1.088, 1.233, 1.403, 1.027, 1.188, 0.963, 0.871, 1.308, 0.826, 0.334, 0.85]]]> : tensor<1x1x64xf32>}> : () -> tensor<1x1x64xf32>
    %x = tosa.add %arg0, %arg1 : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
    %5 = tosa.pow %x, %1 : (tensor<2x8x64xf32>, tensor<1x1x1xf32>) -> tensor<2x8x64xf32>
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

// The same with tosa.pow(x, 3).
// CHECK-LABEL: func.func @hf_cube
// CHECK-NOT:     norm.
module {
  func.func @hf_cube(%arg0: tensor<2x8x64xf32>, %arg1: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
    %0 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %1 = "tosa.const"() <{values = dense<3.000000e+00> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %2 = "tosa.const"() <{values = dense<1.562500e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %3 = "tosa.const"() <{values = dense<9.99999997E-7> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %4 = "tosa.const"() <{values = dense<[[[0.695, 0.85, 0.869, 0.678, 0.98, 0.878, 0.804, 0.678, 0.858, 1.061, 0.845, 0.95, 0.956, 1.337, 1.046, 1.094, 0.861, 0.768, 1.14, 1.04, 1.173, 1.049, 0.867, 1.161, 1.22, 0.965, 0.551, 0.711, 1.012, 0.876, 0.84, 0.974, 1.376, 0.986, 1.032, 0.845, 1.04, 1.009, 1.031, 0.905, 0.978, 1.059, 0.968, 0.994, 1.471, 0.793, 1.315, 0.874, 0.815, 1.109, 1.013, 0.913, 1.153, 1.088, 1.233, 1.403, 1.027, 1.188, 0.963, 0.871, 1.308, 0.826, 0.334, 0.85]]]> : tensor<1x1x64xf32>}> : () -> tensor<1x1x64xf32>
    %x = tosa.add %arg0, %arg1 : (tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
    %5 = tosa.pow %x, %1 : (tensor<2x8x64xf32>, tensor<1x1x1xf32>) -> tensor<2x8x64xf32>
    %6 = tosa.reduce_sum %5 {axis = 2 : i32} : (tensor<2x8x64xf32>) -> tensor<2x8x1xf32>
    %7 = tosa.mul %6, %2, %0 : (tensor<2x8x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x8x1xf32>
    %8 = tosa.add %7, %3 : (tensor<2x8x1xf32>, tensor<1x1x1xf32>) -> tensor<2x8x1xf32>
    %9 = tosa.rsqrt %8 : (tensor<2x8x1xf32>) -> tensor<2x8x1xf32>
    %10 = tosa.mul %x, %9, %0 : (tensor<2x8x64xf32>, tensor<2x8x1xf32>, tensor<1xi8>) -> tensor<2x8x64xf32>
    %11 = tosa.mul %4, %10, %0 : (tensor<1x1x64xf32>, tensor<2x8x64xf32>, tensor<1xi8>) -> tensor<2x8x64xf32>
    return %11 : tensor<2x8x64xf32>
  }
}
