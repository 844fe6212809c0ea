// RUN: norm-opt %s --norm-fold-into-linear --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-fold-into-linear=fold-low-precision=1 --split-input-file | FileCheck %s --check-prefix=LOWP

// Batch norm after a matmul: W' = W * a per output column, b' = (0 - mean)
// * a + beta, with a = gamma / sqrt(var + eps) = [1, 2]. Without an
// activation the matmul accumulates into the broadcast b'.
// CHECK-LABEL: func @bn_after_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<3x2xf32>)
// CHECK: %[[B:.*]] = arith.constant dense<[-5.000000e-01, -4.000000e+00]> : tensor<2xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xf32>) outs(%{{.*}} : tensor<3x2xf32>) dimensions = [0]
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 4.000000e+00], [3.000000e+00, 8.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[Y:.*]] = linalg.matmul ins(%[[X]], %[[W]] : tensor<3x2xf32>, tensor<2x2xf32>) outs(%[[INIT]] :
// CHECK-NOT: linalg.fill
// CHECK-NOT: norm.batch_norm_inference
// CHECK: return %[[Y]]
func.func @bn_after_matmul(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %v = arith.constant dense<[3.0, 15.0]> : tensor<2xf32>
  %g = arith.constant dense<[2.0, 8.0]> : tensor<2xf32>
  %b = arith.constant dense<[0.5, 0.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<2xf32>) var(%v : tensor<2xf32>) weight(%g : tensor<2xf32>) bias(%b : tensor<2xf32>) epsilon = 1.0 : tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch3 = affine_map<(d0, d1, d2, d3) -> (d3)>

// NHWC conv, bias add, batch norm with relu: a = 1 / sqrt(3 + 1), the
// bias joins b' = (1 - 1) * a + 0.25 and the activation stays, applied
// with the new bias.
// CHECK-LABEL: func @bn_after_conv_nhwc_bias_relu
// CHECK: %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<1x1x2x1xf32>
// CHECK: %[[C:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %[[W]] :
// CHECK: %[[B:.*]] = arith.constant dense<2.500000e-01> : tensor<1xf32>
// CHECK: linalg.generic {{.*}} ins(%[[C]], %[[B]] :
// CHECK: arith.addf
// CHECK: %[[NEG:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}}
// CHECK: arith.select %[[NEG]]
// CHECK-NOT: norm.batch_norm_inference
func.func @bn_after_conv_nhwc_bias_relu(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x1xf32> {
  %w = arith.constant dense<1.0> : tensor<1x1x2x1xf32>
  %cb = arith.constant dense<1.0> : tensor<1xf32>
  %m = arith.constant dense<1.0> : tensor<1xf32>
  %v = arith.constant dense<3.0> : tensor<1xf32>
  %b = arith.constant dense<0.25> : tensor<1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x1xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2x1xf32>) outs(%acc : tensor<1x4x4x1xf32>) -> tensor<1x4x4x1xf32>
  %cb2 = linalg.generic {indexing_maps = [#id, #ch3, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %cb : tensor<1x4x4x1xf32>, tensor<1xf32>) outs(%e : tensor<1x4x4x1xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %r = arith.addf %s, %a : f32
    linalg.yield %r : f32
  } -> tensor<1x4x4x1xf32>
  %y = norm.batch_norm_inference %cb2 mean(%m : tensor<1xf32>) var(%v : tensor<1xf32>) bias(%b : tensor<1xf32>) feature_axis = 3 epsilon = 1.0 activation = relu : tensor<1x4x4x1xf32>
  return %y : tensor<1x4x4x1xf32>
}

// -----

// NCHW conv whose init is the broadcast conv bias (as torch-mlir emits):
// a = 1 / sqrt(3 + 1), b' = (bias - mean) * a + beta = (4 - 2) * 0.5 = 1.
// CHECK-LABEL: func @bn_after_conv_nchw_broadcast_init
// CHECK: %[[B:.*]] = arith.constant dense<1.000000e+00> : tensor<2xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<2xf32>) {{.*}} dimensions = [0, 2, 3]
// CHECK-NOT: linalg.broadcast
// CHECK: %[[W:.*]] = arith.constant dense<5.000000e-01> : tensor<2x1x3x3xf32>
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.*}}, %[[W]] : {{.*}}) outs(%[[INIT]] :
// CHECK-NEXT: return %[[C]]
func.func @bn_after_conv_nchw_broadcast_init(%x: tensor<1x1x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %w = arith.constant dense<1.0> : tensor<2x1x3x3xf32>
  %cb = arith.constant dense<4.0> : tensor<2xf32>
  %m = arith.constant dense<2.0> : tensor<2xf32>
  %v = arith.constant dense<3.0> : tensor<2xf32>
  %e = tensor.empty() : tensor<1x2x3x3xf32>
  %acc = linalg.broadcast ins(%cb : tensor<2xf32>) outs(%e : tensor<1x2x3x3xf32>) dimensions = [0, 2, 3]
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x1x5x5xf32>, tensor<2x1x3x3xf32>) outs(%acc : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %y = norm.batch_norm_inference %c mean(%m : tensor<2xf32>) var(%v : tensor<2xf32>) epsilon = 1.0 : tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// Standardize before a matmul, per column of x (axes = [0]): factor = 1/std
// with a zero std read as 1, W' = [[0.5, 1], [3, 4]], b' = -W^T (mean/std)
// = [-(0.5 + 6), -(1 + 8)].
// CHECK-LABEL: func @standardize_before_matmul
// CHECK-SAME: (%[[X:.*]]: tensor<?x2xf32>, %[[ACC:.*]]: tensor<?x2xf32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}5.000000e-01, 1.000000e+00], [3.000000e+00, 4.000000e+00]]>
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X]], %[[W]] : {{.*}}) outs(%[[ACC]] :
// CHECK: %[[B:.*]] = arith.constant dense<[-6.500000e+00, -9.000000e+00]>
// CHECK: linalg.generic {{.*}} ins(%[[MM]], %[[B]] :
// CHECK-NOT: norm.standardize
func.func @standardize_before_matmul(%x: tensor<?x2xf32>, %acc: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %m = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = arith.constant dense<[2.0, 0.0]> : tensor<2xf32>
  %n = norm.standardize %x, %m, %s axes = [0] : tensor<?x2xf32>, tensor<2xf32>
  %mm = linalg.matmul ins(%n, %w : tensor<?x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %mm : tensor<?x2xf32>
}

// -----

// image_normalize (NCHW, scale 1/2) before an NCHW conv: factor = 0.5/std
// = [0.25, 0.5], shift = mean/std = [0.5, 0.5], and the filter covers 2x2
// positions: b' = -(4 * 1 * 0.5 + 4 * 1 * 0.5) = -4, which replaces the
// zero the conv accumulated into.
// CHECK-LABEL: func @image_normalize_before_conv_nchw
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[B:.*]] = arith.constant dense<-4.000000e+00> : tensor<1xf32>
// CHECK: %[[INIT:.*]] = linalg.broadcast ins(%[[B]] : tensor<1xf32>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[\[\[}}2.500000e-01, 2.500000e-01], [2.500000e-01, 2.500000e-01]], {{\[\[}}5.000000e-01, 5.000000e-01], [5.000000e-01, 5.000000e-01]]]]>
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[W]] : {{.*}}) outs(%[[INIT]] :
// CHECK-NOT: linalg.fill
// CHECK-NOT: norm.image_normalize
func.func @image_normalize_before_conv_nchw(%x: tensor<1x2x4x4xf32>) -> tensor<1x1x3x3xf32> {
  %w = arith.constant dense<1.0> : tensor<1x2x2x2xf32>
  %m = arith.constant dense<[1.0, 0.5]> : tensor<2xf32>
  %s = arith.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %n = norm.image_normalize %x, %m, %s scale = 0.5 : tensor<1x2x4x4xf32>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1x3x3xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%n, %w : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>) outs(%acc : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %c : tensor<1x1x3x3xf32>
}

// -----

// Negative: the matmul result has another use (the intermediate is still
// needed).
// CHECK-LABEL: func @negative_extra_use
// CHECK: linalg.matmul
// CHECK: norm.batch_norm_inference
func.func @negative_extra_use(%x: tensor<3x2xf32>, %acc: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %m = arith.constant dense<1.0> : tensor<2xf32>
  %v = arith.constant dense<1.0> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<2xf32>) var(%v : tensor<2xf32>) : tensor<3x2xf32>
  return %y, %mm : tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Negative: weights or statistics that are not constants; an accumulator
// that is not a per-channel constant.
// CHECK-LABEL: func @negative_not_constant
// CHECK-COUNT-3: norm.batch_norm_inference
// CHECK: norm.standardize
func.func @negative_not_constant(%x: tensor<3x2xf32>, %w: tensor<2x2xf32>, %m: tensor<2xf32>, %acc: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %wc = arith.constant dense<1.0> : tensor<2x2xf32>
  %mc = arith.constant dense<1.0> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %z = linalg.fill ins(%zero : f32) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %mm0 = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y0 = norm.batch_norm_inference %mm0 mean(%mc : tensor<2xf32>) var(%mc : tensor<2xf32>) : tensor<3x2xf32>
  %mm1 = linalg.matmul ins(%x, %wc : tensor<3x2xf32>, tensor<2x2xf32>) outs(%z : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y1 = norm.batch_norm_inference %mm1 mean(%m : tensor<2xf32>) var(%mc : tensor<2xf32>) : tensor<3x2xf32>
  %mm2 = linalg.matmul ins(%x, %wc : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y2 = norm.batch_norm_inference %mm2 mean(%mc : tensor<2xf32>) var(%mc : tensor<2xf32>) : tensor<3x2xf32>
  %n = norm.standardize %x, %m, %mc axes = [0] : tensor<3x2xf32>, tensor<2xf32>
  %y3 = linalg.matmul ins(%n, %wc : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y0, %y1, %y2, %y3 : tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// Negative: mismatched axes. A batch norm over the NHWC conv's W axis
// (feature_axis = 2, not the output channel); a standardize per row of x
// (axes = [1]) before x @ W, where rows are not the reduction.
// CHECK-LABEL: func @negative_axes
// CHECK: norm.batch_norm_inference
// CHECK: norm.standardize
func.func @negative_axes(%x: tensor<1x4x4x2xf32>, %x2: tensor<3x2xf32>, %acc2: tensor<3x2xf32>) -> (tensor<1x4x4x4xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x1x2x4xf32>
  %m = arith.constant dense<1.0> : tensor<4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x4xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x2xf32>, tensor<1x1x2x4xf32>) outs(%acc : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %y = norm.batch_norm_inference %c mean(%m : tensor<4xf32>) var(%m : tensor<4xf32>) feature_axis = 2 : tensor<1x4x4x4xf32>
  %w2 = arith.constant dense<1.0> : tensor<2x2xf32>
  %m3 = arith.constant dense<1.0> : tensor<3xf32>
  %n = norm.standardize %x2, %m3, %m3 axes = [1] : tensor<3x2xf32>, tensor<3xf32>
  %y2 = linalg.matmul ins(%n, %w2 : tensor<3x2xf32>, tensor<2x2xf32>) outs(%acc2 : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y, %y2 : tensor<1x4x4x4xf32>, tensor<3x2xf32>
}

// -----

// Negative: the normalized input is padded before the conv (zero padding
// after normalization is not zero padding before it); a u8 image.
// CHECK-LABEL: func @negative_padded_and_u8
// CHECK: norm.image_normalize
// CHECK: tensor.pad
// CHECK: norm.image_normalize
func.func @negative_padded_and_u8(%x: tensor<1x2x4x4xf32>, %u: tensor<1x2x4x4xui8>) -> (tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x2x2x2xf32>
  %m = arith.constant dense<1.0> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %n = norm.image_normalize %x, %m, %m : tensor<1x2x4x4xf32>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %p = tensor.pad %n low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  %e = tensor.empty() : tensor<1x1x5x5xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x1x5x5xf32>) -> tensor<1x1x5x5xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x2x6x6xf32>, tensor<1x2x2x2xf32>) outs(%acc : tensor<1x1x5x5xf32>) -> tensor<1x1x5x5xf32>
  %nu = norm.image_normalize %u, %m, %m : tensor<1x2x4x4xui8>, tensor<2xf32> -> tensor<1x2x4x4xf32>
  %e2 = tensor.empty() : tensor<1x1x3x3xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  %c2 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%nu, %w : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>) outs(%acc2 : tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %c, %c2 : tensor<1x1x5x5xf32>, tensor<1x1x3x3xf32>
}

// -----

// bf16 weights are folded only with fold-low-precision.
// CHECK-LABEL: func @bf16_weights
// CHECK: norm.batch_norm_inference
// LOWP-LABEL: func @bf16_weights
// LOWP: arith.constant dense<{{.*}}> : tensor<2x2xbf16>
// LOWP-NOT: norm.batch_norm_inference
func.func @bf16_weights(%x: tensor<3x2xbf16>) -> tensor<3x2xbf16> {
  %w = arith.constant dense<1.0> : tensor<2x2xbf16>
  %m = arith.constant dense<1.0> : tensor<2xbf16>
  %zero = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<3x2xbf16>
  %acc = linalg.fill ins(%zero : bf16) outs(%e : tensor<3x2xbf16>) -> tensor<3x2xbf16>
  %mm = linalg.matmul ins(%x, %w : tensor<3x2xbf16>, tensor<2x2xbf16>) outs(%acc : tensor<3x2xbf16>) -> tensor<3x2xbf16>
  %y = norm.batch_norm_inference %mm mean(%m : tensor<2xbf16>) var(%m : tensor<2xbf16>) : tensor<3x2xbf16>
  return %y : tensor<3x2xbf16>
}
