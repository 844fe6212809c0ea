// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file --verify-roundtrip
// RUN: norm-opt %s --convert-norm-to-linalg --cse --split-input-file | FileCheck %s --check-prefix=CSE

// Layer norm: the shift k (each row's first element), the sum of x - k, the
// mean k + sum / n, the centred sum of squares (two passes), rstd, and one
// fused elementwise normalize/scale/shift/activation generic. The two
// leading dimensions are collapsed into one row dimension first ([8, 16, 32]
// is normalized as [128, 32] rows) and every result expanded back.

// CHECK-DAG: #[[ID2:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[PARAM:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[FIRST:.*]] = affine_map<(d0) -> (d0, 0)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @layer_norm_static_f32(
// CHECK-SAME: %[[X3:[^:]*]]: tensor<8x16x32xf32>, %[[W:[^:]*]]: tensor<32xf32>, %[[B:[^:]*]]: tensor<32xf32>)
// CHECK: %[[X:.*]] = tensor.collapse_shape %[[X3]] {{\[}}[0, 1], [2]] : tensor<8x16x32xf32> into tensor<128x32xf32>
// CHECK: %[[N:.*]] = arith.constant 3.200000e+01 : f32
// The shift: each row's first element, read by a generic over the rows.
// CHECK: %[[K:.*]] = linalg.generic {indexing_maps = [#[[FIRST]], #[[VEC]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<128x32xf32>) outs(%{{.*}} : tensor<128xf32>)
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<128xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F0:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E0]] : tensor<128xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[K]] : tensor<128x32xf32>, tensor<128xf32>) outs(%[[F0]] : tensor<128xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[KV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[DK:.*]] = arith.subf %[[IN]], %[[KV]] : f32
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[ACC]], %[[DK]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]]
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[SUM]] : tensor<128xf32>, tensor<128xf32>)
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %[[N]] : f32
// CHECK-NEXT: arith.addf %{{.*}}, %[[Q]] : f32
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]] : tensor<128x32xf32>, tensor<128xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK-NEXT: %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[ACC]], %[[D2]] : f32
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<128xf32>)
// CHECK: %[[VAR:.*]] = arith.divf %{{.*}}, %[[N]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK: math.rsqrt %[[VE]] : f32
// The gelu's x / 2 comes for free from a weight and bias halved once:
// gelu(y) = fma(y/2, erf(y/2 * sqrt(2)), y/2).
// CHECK: %[[WH:.*]] = linalg.generic {{.*}} ins(%[[W]] : tensor<32xf32>)
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: arith.mulf %{{.*}}, %[[HALF]] : f32
// CHECK: %[[BH:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<32xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID2]], #[[ROW]], #[[ROW]], #[[PARAM]], #[[PARAM]], #[[ID2]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]], %[[RSTD]], %[[WH]], %[[BH]] :
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[R:.*]]: f32, %[[WV:.*]]: f32, %[[BV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[C:.*]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK-NEXT: %[[NRM:.*]] = arith.mulf %[[C]], %[[R]] : f32
// CHECK-NEXT: %[[SC:.*]] = arith.mulf %[[NRM]], %[[WV]] : f32
// CHECK-NEXT: %[[SH:.*]] = arith.addf %[[SC]], %[[BV]] : f32
// CHECK-NEXT: %[[SQRT2:.*]] = arith.constant 1.41421354 : f32
// CHECK-NEXT: %[[Z:.*]] = arith.mulf %[[SH]], %[[SQRT2]] : f32
// CHECK-NEXT: %[[E:.*]] = math.erf %[[Z]] : f32
// CHECK-NEXT: %[[G:.*]] = math.fma %[[SH]], %[[E]], %[[SH]] : f32
// CHECK-NEXT: linalg.yield %[[G]]
// CHECK: %[[MEXP:.*]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1]] output_shape [128, 1] : tensor<128xf32> into tensor<128x1xf32>
// CHECK: %[[REXP:.*]] = tensor.expand_shape %[[RSTD]] {{\[}}[0, 1]] output_shape [128, 1] : tensor<128xf32> into tensor<128x1xf32>
// CHECK: %[[Y3:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [8, 16, 32] : tensor<128x32xf32> into tensor<8x16x32xf32>
// CHECK: %[[M3:.*]] = tensor.expand_shape %[[MEXP]] {{\[}}[0, 1], [2]] output_shape [8, 16, 1] : tensor<128x1xf32> into tensor<8x16x1xf32>
// CHECK: %[[R3:.*]] = tensor.expand_shape %[[REXP]] {{\[}}[0, 1], [2]] output_shape [8, 16, 1] : tensor<128x1xf32> into tensor<8x16x1xf32>
// CHECK: return %[[Y3]], %[[M3]], %[[R3]]
// CHECK-NOT: norm.
func.func @layer_norm_static_f32(%x: tensor<8x16x32xf32>, %w: tensor<32xf32>, %b: tensor<32xf32>) -> (tensor<8x16x32xf32>, tensor<8x16x1xf32>, tensor<8x16x1xf32>) {
  %y, %m, %r = norm.layer_norm %x weight(%w : tensor<32xf32>) bias(%b : tensor<32xf32>) axes = [2] epsilon = 1.0e-05 activation = gelu : tensor<8x16x32xf32> stats(tensor<8x16x1xf32>, tensor<8x16x1xf32>)
  return %y, %m, %r : tensor<8x16x32xf32>, tensor<8x16x1xf32>, tensor<8x16x1xf32>
}

// -----

// Dynamic bf16 layer norm: sizes from tensor.dim, the count converted to
// f32, bf16 extended in every payload, truncated only at the output; an f32
// weight on a bf16 input.

// CHECK-LABEL: func.func @layer_norm_dynamic_bf16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x?xbf16>, %[[W:[^:]*]]: tensor<?xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<?x?xbf16>
// CHECK: %[[I:.*]] = arith.index_castui %[[D1]] : index to i64
// CHECK: %[[N:.*]] = arith.uitofp %[[I]] : i64 to f32
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x?xbf16>
// The shift: a slice of min(1, columns) columns (an empty row has none).
// CHECK: %[[COLS:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xbf16>
// CHECK: %[[ONE:.*]] = arith.minui %[[COLS]], %{{.*}} : index
// CHECK: %[[FIRST:.*]] = tensor.extract_slice %[[X]][0, 0] [%[[D0]], %[[ONE]]] [1, 1]
// CHECK: tensor.empty(%[[D0]]) : tensor<?xf32>
// CHECK: %[[K:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[FIRST]] : tensor<?x?xbf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]], %[[K]] : tensor<?x?xbf16>, tensor<?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[KV:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[EXT:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT: %[[DK:.*]] = arith.subf %[[EXT]], %[[KV]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[DK]] : f32
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[SUM]] : tensor<?xf32>, tensor<?xf32>)
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]], %[[MEAN]] : tensor<?x?xbf16>, tensor<?xf32>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK-NEXT: arith.subf
// CHECK: %[[D0B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xbf16>
// CHECK: %[[D1B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xbf16>
// CHECK: tensor.empty(%[[D0B]], %[[D1B]]) : tensor<?x?xbf16>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: ^bb0(%[[IN:.*]]: bf16, %{{.*}}: f32, %{{.*}}: f32, %[[WV:.*]]: f32, %{{.*}}: bf16):
// CHECK: arith.extf %[[IN]] : bf16 to f32
// CHECK: %[[SC:.*]] = arith.mulf %{{.*}}, %[[WV]] : f32
// CHECK-NEXT: %[[T:.*]] = arith.truncf %[[SC]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[T]] : bf16
// CHECK: return %[[Y]] : tensor<?x?xbf16>
func.func @layer_norm_dynamic_bf16(%x: tensor<?x?xbf16>, %w: tensor<?xf32>) -> tensor<?x?xbf16> {
  %y = norm.layer_norm %x weight(%w : tensor<?xf32>) axes = [1] : tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}

// -----

// Layer norm over every dimension: rank-0 statistics, expanded to 1x1.

// CHECK-LABEL: func.func @layer_norm_all_axes(
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "reduction"]{{.*}} outs(%{{.*}} : tensor<f32>)
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @layer_norm_all_axes(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<1x1xf32>, tensor<1x1xf32>) {
  %y, %m, %r = norm.layer_norm %x axes = [0, 1] : tensor<4x8xf32> stats(tensor<1x1xf32>, tensor<1x1xf32>)
  return %y, %m, %r : tensor<4x8xf32>, tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// A residual without residual_sum is recomputed (added in the input type,
// then extended) in each consumer payload.

// CHECK-LABEL: func.func @layer_norm_residual_recomputed(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x8xf16>, %[[R:[^:]*]]: tensor<4x8xf16>)
// The shift is the first element of x + r.
// CHECK: %[[K:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]{{.*}} ins(%[[X]], %[[R]] : tensor<4x8xf16>, tensor<4x8xf16>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f16
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]], %[[R]], %[[K]] : tensor<4x8xf16>, tensor<4x8xf16>, tensor<4xf32>)
// CHECK: ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f16
// CHECK-NEXT: %[[E:.*]] = arith.extf %[[S]] : f16 to f32
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]], %[[R]], %{{.*}} : tensor<4x8xf16>, tensor<4x8xf16>, tensor<4xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f16
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[X]], %[[R]], %{{.*}}, %{{.*}} : tensor<4x8xf16>, tensor<4x8xf16>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f16
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @layer_norm_residual_recomputed(%x: tensor<4x8xf16>, %r: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %y = norm.layer_norm %x residual(%r : tensor<4x8xf16>) axes = [1] : tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// -----

// RMS norm: one reduction of x^2 (no mean), weight + weight_offset, a
// residual materialized once because residual_sum is returned.

// CHECK-LABEL: func.func @rms_norm_residual_sum_bf16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xbf16>, %[[W:[^:]*]]: tensor<64xbf16>, %[[R:[^:]*]]: tensor<?x64xbf16>)
// CHECK: %[[SUMXR:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[X]], %[[R]] : tensor<?x64xbf16>, tensor<?x64xbf16>) outs(%{{.*}} : tensor<?x64xbf16>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : bf16
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[SUMXR]] : tensor<?x64xbf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[E:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT: %[[E2:.*]] = arith.mulf %[[E]], %[[E]] : f32
// CHECK-NEXT: arith.addf %[[ACC]], %[[E2]] : f32
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<?xf32>)
// CHECK: arith.constant 9.99999997E-7 : f32
// CHECK: math.rsqrt
// CHECK-NOT: arith.subf
// The weight + weight_offset in f32 once per call, not once per row.
// CHECK: %[[WO:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[W]] : tensor<64xbf16>) outs(%{{.*}} : tensor<64xf32>)
// CHECK: %[[WV:.*]] = arith.extf %{{.*}} : bf16 to f32
// CHECK-NEXT: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: arith.addf %[[WV]], %[[ONE]] : f32
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[SUMXR]], %[[RSTD]], %[[WO]] : tensor<?x64xbf16>, tensor<?xf32>, tensor<64xf32>)
// CHECK: ^bb0(%{{.*}}: bf16, %{{.*}}: f32, %[[WIN:.*]]: f32, %{{.*}}: bf16):
// CHECK-NOT: arith.addf
// CHECK: arith.mulf %{{.*}}, %[[WIN]] : f32
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[REXP:.*]] = tensor.expand_shape %[[RSTD]] {{\[}}[0, 1]] output_shape [%{{.*}}, 1] : tensor<?xf32> into tensor<?x1xf32>
// CHECK: return %[[Y]], %[[REXP]], %[[SUMXR]]
func.func @rms_norm_residual_sum_bf16(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>, %r: tensor<?x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x1xf32>, tensor<?x64xbf16>) {
  %y, %rstd, %sum = norm.rms_norm %x weight(%w : tensor<64xbf16>) residual(%r : tensor<?x64xbf16>) axes = [1] weight_offset = 1.0 activation = silu : tensor<?x64xbf16> rstd(tensor<?x1xf32>) residual_sum(tensor<?x64xbf16>)
  return %y, %rstd, %sum : tensor<?x64xbf16>, tensor<?x1xf32>, tensor<?x64xbf16>
}

// -----

// Batch norm inference (NHWC): rsqrt of the running variance, then the
// scale rstd * weight per channel (statistics and weight vary along the
// channel only), so that the payload is one subtraction and one multiply-add:
// (x - mean) * scale + bias, broadcast from the last dimension; leaky_relu
// in the payload. The same generic copies the mean and the bias: the
// payload reads only tensors of its own (local buffers, whose loads
// norm-hoist-invariant-loads moves out of the pixel loops).

// CHECK-DAG: #[[ID1:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @batch_norm_inference_nhwc(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x7x7x16xf32>, %[[M:[^:]*]]: tensor<16xf32>, %[[V:[^:]*]]: tensor<16xf32>, %[[W:[^:]*]]: tensor<16xf32>, %[[B:[^:]*]]: tensor<16xf32>)
// CHECK-NOT: iterator_types = [{{.*}}"reduction"
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[V]] : tensor<16xf32>)
// CHECK: arith.constant 1.000000e-03 : f32
// CHECK: math.rsqrt
// CHECK: %[[PARAMS:.*]]:3 = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]], #[[ID1]], #[[ID1]], #[[ID1]], #[[ID1]], #[[ID1]]], iterator_types = ["parallel"]} ins(%[[RSTD]], %[[W]], %[[M]], %[[B]] : tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK: ^bb0(%[[RS:.*]]: f32, %[[WV:.*]]: f32, %[[MC:.*]]: f32, %[[BC:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[RW:.*]] = arith.mulf %[[RS]], %[[WV]] : f32
// CHECK-NEXT: linalg.yield %[[RW]], %[[MC]], %[[BC]] : f32, f32, f32
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #[[CH]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[PARAMS]]#1, %[[PARAMS]]#0, %[[PARAMS]]#2 :
// CHECK: ^bb0(%[[XV:.*]]: f32, %[[MV:.*]]: f32, %[[S:.*]]: f32, %[[BV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XV]], %[[MV]] : f32
// CHECK-NEXT: %[[DS:.*]] = arith.mulf %[[D]], %[[S]] : f32
// CHECK-NEXT: %[[Z:.*]] = arith.addf %[[DS]], %[[BV]] : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[SLOPE:.*]] = arith.constant 2.000000e-01 : f32
// CHECK: %[[POS:.*]] = arith.cmpf ogt, %[[Z]], %[[ZERO]] : f32
// CHECK: %[[NEG:.*]] = arith.mulf %[[Z]], %[[SLOPE]] : f32
// CHECK: arith.select %[[POS]], %[[Z]], %[[NEG]] : f32
func.func @batch_norm_inference_nhwc(%x: tensor<2x7x7x16xf32>, %m: tensor<16xf32>, %v: tensor<16xf32>, %w: tensor<16xf32>, %b: tensor<16xf32>) -> tensor<2x7x7x16xf32> {
  %y = norm.batch_norm_inference %x mean(%m : tensor<16xf32>) var(%v : tensor<16xf32>) weight(%w : tensor<16xf32>) bias(%b : tensor<16xf32>) feature_axis = 3 epsilon = 1.0e-03 activation = leaky_relu(0.2) : tensor<2x7x7x16xf32>
  return %y : tensor<2x7x7x16xf32>
}

// -----

// Batch norm training (NCHW): statistics over every dimension but the
// channel, the input seen as [N, C, H*W], per batch entry and channel
// (H*W >= 256): the partial mean, then the partial centred sum of squares
// (two passes over each slice); merged over the batch with Chan's formula
// (mean of the partial means; sum of the partial m2 plus H*W times the sum
// of the squared deviations of the partial means); momentum updates,
// unbiased running variance m2 / (n - 1).

// CHECK-DAG: #[[ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[NC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @batch_norm_training_nchw(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x8x16x16xf32>, %[[RM:[^:]*]]: tensor<8xf32>, %[[RV:[^:]*]]: tensor<8xf32>)
// CHECK-DAG: %[[N:.*]] = arith.constant 1.024000e+03 : f32
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0], [1], [2, 3]] : tensor<4x8x16x16xf32> into tensor<4x8x256xf32>
// CHECK-DAG: %[[HW:.*]] = arith.constant 2.560000e+02 : f32
// CHECK: %[[PK:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[XC]] : tensor<4x8x256xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: %[[PSUM:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[NC]], #[[NC]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XC]], %[[PK]] : tensor<4x8x256xf32>, tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: %[[PMEAN:.*]] = linalg.generic {{.*}} ins(%[[PK]], %[[PSUM]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: arith.divf %{{.*}}, %[[HW]] : f32
// CHECK: %[[PM2:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[NC]], #[[NC]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[XC]], %[[PMEAN]] : tensor<4x8x256xf32>, tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %[[M:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK: %[[D:.*]] = arith.subf %[[V]], %[[M]] : f32
// CHECK: %[[DD:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK: arith.addf %[[ACC]], %[[DD]] : f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} ins(%[[PMEAN]] : tensor<4x8xf32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: %[[PARTS:.*]] = arith.divf %[[N]], %[[HW]] : f32
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<8xf32>)
// CHECK: arith.divf %{{.*}}, %[[PARTS]] : f32
// CHECK: %[[MRG:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} ins(%[[PMEAN]], %[[PM2]], %[[MEAN]] : tensor<4x8xf32>, tensor<4x8xf32>, tensor<8xf32>) outs(%{{.*}}, %{{.*}} : tensor<8xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[PM:.*]]: f32, %[[P2:.*]]: f32, %[[MU:.*]]: f32, %[[W:.*]]: f32, %[[B:.*]]: f32):
// CHECK: %[[DM:.*]] = arith.subf %[[PM]], %[[MU]] : f32
// CHECK: %[[DM2:.*]] = arith.mulf %[[DM]], %[[DM]] : f32
// CHECK: %[[AW:.*]] = arith.addf %[[W]], %[[P2]] : f32
// CHECK: %[[AB:.*]] = arith.addf %[[B]], %[[DM2]] : f32
// CHECK: linalg.yield %[[AW]], %[[AB]] : f32, f32
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[MRG]]#0, %[[MRG]]#1 : tensor<8xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[WITHIN:.*]]: f32, %[[BETWEEN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[SCALED:.*]] = arith.mulf %[[HW]], %[[BETWEEN]] : f32
// CHECK: arith.addf %[[WITHIN]], %[[SCALED]] : f32
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<8xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[MEAN]], %[[RSTD]] :
// CHECK: %[[NRM:.*]] = linalg.generic {{.*}} ins(%[[RM]], %[[MEAN]] : tensor<8xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[OLD:.*]]: f32, %[[BATCH:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[KEEP:.*]] = arith.constant 7.500000e-01 : f32
// CHECK-DAG: %[[TAKE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK: %[[A:.*]] = arith.mulf %[[KEEP]], %[[OLD]] : f32
// CHECK: %[[B:.*]] = arith.mulf %[[TAKE]], %[[BATCH]] : f32
// CHECK: arith.addf %[[A]], %[[B]] : f32
// CHECK: %[[NRV:.*]] = linalg.generic {{.*}} ins(%[[RV]], %[[SQ]] : tensor<8xf32>, tensor<8xf32>)
// CHECK: ^bb0(%[[OLD:.*]]: f32, %[[SQV:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[DOF:.*]] = arith.subf %[[N]], %[[ONE]] : f32
// CHECK: %[[UNB:.*]] = arith.divf %[[SQV]], %[[DOF]] : f32
// CHECK: arith.mulf %{{.*}}, %[[UNB]] : f32
// CHECK: return %[[Y]], %[[MEAN]], %[[RSTD]], %[[NRM]], %[[NRV]]
func.func @batch_norm_training_nchw(%x: tensor<4x8x16x16xf32>, %rm: tensor<8xf32>, %rv: tensor<8xf32>) -> (tensor<4x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<8xf32>) var(%rv : tensor<8xf32>) momentum = 0.25 : tensor<4x8x16x16xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<4x8x16x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Channels last with a batch entry of 96 x 96 x 16 f32 (576 KiB): the
// statistics take each entry as 3 chunks of 3072 pixels (192 KiB, at most
// 256 KiB: the second pass over a chunk reads it from L2), 6 partials
// merged as the entries are; the normalization reads the input whole.
// CHECK-LABEL: func.func @batch_norm_training_nhwc_chunks(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x96x96x16xf32>
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2], [3]] : tensor<2x96x96x16xf32> into tensor<2x9216x16xf32>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[C]] {{\[}}[0], [1, 2], [3]] output_shape [2, 3, 3072, 16]
// CHECK: %[[P:.*]] = tensor.collapse_shape %[[E]] {{\[}}[0, 1], [2], [3]] : tensor<2x3x3072x16xf32> into tensor<6x3072x16xf32>
// CHECK: linalg.generic {{.*}} ins(%[[P]]{{.*}} outs(%{{.*}} : tensor<6x16xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[X]], %{{.*}}, %{{.*}} : tensor<2x96x96x16xf32>
func.func @batch_norm_training_nhwc_chunks(%x: tensor<2x96x96x16xf32>, %rm: tensor<16xf32>, %rv: tensor<16xf32>) -> (tensor<2x96x96x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<16xf32>) var(%rv : tensor<16xf32>) feature_axis = 3 : tensor<2x96x96x16xf32> stats(tensor<16xf32>, tensor<16xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<2x96x96x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>
}

// -----

// An entry of 17 x 17 = 289 pixels of 1024 channels (1.1 MiB): chunks of
// 17 pixels would be under 64 pixels, so the entry stays one partial.
// CHECK-LABEL: func.func @batch_norm_training_nhwc_no_chunks(
// CHECK-NOT: tensor.expand_shape
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<4x1024xf32>)
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @batch_norm_training_nhwc_no_chunks(%x: tensor<4x17x17x1024xf32>, %rm: tensor<1024xf32>, %rv: tensor<1024xf32>) -> (tensor<4x17x17x1024xf32>, tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<1024xf32>) var(%rv : tensor<1024xf32>) feature_axis = 3 : tensor<4x17x17x1024xf32> stats(tensor<1024xf32>, tensor<1024xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<4x17x17x1024xf32>, tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>, tensor<1024xf32>
}

// -----

// A prime count of 1099511627689 pixels (one channel): no divisor makes
// chunks of 64 to 65536 pixels. The search runs over chunk sizes (at most
// 65536 candidates), not over chunk counts (P / 64 of them: the lowering
// took minutes).
// CHECK-LABEL: func.func @batch_norm_training_nhwc_prime_pixels(
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @batch_norm_training_nhwc_prime_pixels(%x: tensor<2x1099511627689x1xf32>, %rm: tensor<1xf32>, %rv: tensor<1xf32>) -> (tensor<2x1099511627689x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<1xf32>) var(%rv : tensor<1xf32>) feature_axis = 2 : tensor<2x1099511627689x1xf32> stats(tensor<1xf32>, tensor<1xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<2x1099511627689x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>
}

// -----

// Dynamic training batch norm on f16 with f32 running statistics (updated
// in f32) and f16 ones (stored back in f16): a dynamic element count, f32
// saved statistics. The extent per batch entry and channel is known at run
// time only, and chooses there: from 256 elements on, partials per (entry,
// channel) as for a large static extent (each partial's shift, shifted sum
// and centred sum, merged over the batch); below, one sweep of shifted sums
// straight into [C].

// CHECK-LABEL: func.func @batch_norm_training_dynamic_f16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x?x?xf16>, %[[RM:[^:]*]]: tensor<?xf32>, %[[RV:[^:]*]]: tensor<?xf16>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[D2:.*]] = tensor.dim %[[X]], %[[C2]]
// CHECK: %[[CNT:.*]] = arith.muli %[[D0]], %[[D2]] : index
// CHECK: arith.index_castui %[[CNT]] : index to i64
// CHECK: %[[EXT:.*]] = arith.muli %{{.*}}, %{{.*}} : index
// CHECK: %[[C256:.*]] = arith.constant 256 : index
// CHECK: %[[LARGE:.*]] = arith.cmpi uge, %[[EXT]], %[[C256]] : index
// CHECK: %[[STATS:.*]]:2 = scf.if %[[LARGE]] -> (tensor<?xf32>, tensor<?xf32>) {
// CHECK:   %[[FIRST:.*]] = tensor.extract_slice %[[X]][0, 0, 0] [%{{.*}}, %{{.*}}, %{{.*}}] [1, 1, 1] : tensor<?x?x?xf16> to tensor<?x?x?xf16>
// CHECK:   %[[PK:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[FIRST]] : tensor<?x?x?xf16>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   arith.extf %{{.*}} : f16 to f32
// CHECK:   %[[PSUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[X]], %[[PK]] : tensor<?x?x?xf16>, tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   %[[PMEAN:.*]] = linalg.generic {{.*}} ins(%[[PK]], %[[PSUM]] : tensor<?x?xf32>, tensor<?x?xf32>)
// CHECK:   %[[PM2:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[X]], %[[PMEAN]] : tensor<?x?x?xf16>, tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} ins(%[[PMEAN]] : tensor<?x?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:   %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<?xf32>)
// CHECK:   %[[MRG:.*]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} ins(%[[PMEAN]], %[[PM2]], %[[MEAN]] : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xf32>)
// CHECK:   %[[SQ:.*]] = linalg.generic {{.*}} ins(%[[MRG]]#0, %[[MRG]]#1 : tensor<?xf32>, tensor<?xf32>)
// CHECK:   scf.yield %[[MEAN]], %[[SQ]] : tensor<?xf32>, tensor<?xf32>
// CHECK: } else {
// CHECK:   %[[FIRST1:.*]] = tensor.extract_slice %[[X]][0, 0, 0] [%{{.*}}, %{{.*}}, %{{.*}}] [1, 1, 1] : tensor<?x?x?xf16> to tensor<?x?x?xf16>
// CHECK:   linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]{{.*}} ins(%[[FIRST1]] : tensor<?x?x?xf16>) outs(%{{.*}} : tensor<?xf32>)
// CHECK:   linalg.generic {{.*}}iterator_types = ["reduction", "parallel", "reduction"]{{.*}} ins(%[[X]], %{{.*}} : tensor<?x?x?xf16>, tensor<?xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xf32>)
// CHECK:   scf.yield
// CHECK: }
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.generic {{.*}} ins(%[[RM]], %[[STATS]]#0 : tensor<?xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?xf32>)
// CHECK-NOT: arith.truncf
// CHECK: linalg.yield
// CHECK: linalg.generic {{.*}} ins(%[[RV]], %[[STATS]]#1 : tensor<?xf16>, tensor<?xf32>) outs(%{{.*}} : tensor<?xf16>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @batch_norm_training_dynamic_f16(%x: tensor<?x?x?xf16>, %rm: tensor<?xf32>, %rv: tensor<?xf16>) -> (tensor<?x?x?xf16>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf16>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<?xf32>) var(%rv : tensor<?xf16>) : tensor<?x?x?xf16> stats(tensor<?xf32>, tensor<?xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<?x?x?xf16>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf16>
}

// -----

// Channels last with static pixels (16 x 16 = 256: split into partials)
// and channels of run-time size, with a residual (8 bytes a channel and
// pixel, f32 input and residual): the chunk count is searched at run time
// from the pixel bytes, and the input and the residual, [2, 256, ?], are
// cast to a dynamic pixel count before the expansion into sizes of run
// time (an expansion of a static dimension into dynamic ones is invalid).
// CHECK-LABEL: func.func @batch_norm_training_nhwc_dynamic_channels(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x16x16x?xf32>, %{{[^:]*}}: tensor<?xf32>, %{{[^:]*}}: tensor<?xf32>, %[[R:[^:]*]]: tensor<2x16x16x?xf32>)
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2], [3]] : tensor<2x16x16x?xf32> into tensor<2x256x?xf32>
// CHECK: %[[RC:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2], [3]] : tensor<2x16x16x?xf32> into tensor<2x256x?xf32>
// CHECK: %[[CHANNELS:.*]] = tensor.dim %[[XC]], %{{.*}} : tensor<2x256x?xf32>
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: arith.muli %[[CHANNELS]], %[[C8]] : index
// CHECK: %[[FOUND:.*]] = scf.while
// CHECK: %[[CHUNKS:.*]] = arith.select %{{.*}}, %[[FOUND]], %{{.*}} : index
// CHECK: %[[XD:.*]] = tensor.cast %[[XC]] : tensor<2x256x?xf32> to tensor<2x?x?xf32>
// CHECK: tensor.expand_shape %[[XD]] {{\[}}[0], [1, 2], [3]] output_shape [2, %[[CHUNKS]], %{{.*}}, %{{.*}}] : tensor<2x?x?xf32> into tensor<2x?x?x?xf32>
// CHECK: %[[RD:.*]] = tensor.cast %[[RC]] : tensor<2x256x?xf32> to tensor<2x?x?xf32>
// CHECK: tensor.expand_shape %[[RD]] {{\[}}[0], [1, 2], [3]] output_shape [2, %[[CHUNKS]], %{{.*}}, %{{.*}}] : tensor<2x?x?xf32> into tensor<2x?x?x?xf32>
func.func @batch_norm_training_nhwc_dynamic_channels(%x: tensor<2x16x16x?xf32>, %rm: tensor<?xf32>, %rv: tensor<?xf32>, %r: tensor<2x16x16x?xf32>) -> (tensor<2x16x16x?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<?xf32>) var(%rv : tensor<?xf32>) residual(%r : tensor<2x16x16x?xf32>) feature_axis = 3 : tensor<2x16x16x?xf32> stats(tensor<?xf32>, tensor<?xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<2x16x16x?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// Batch norm training with a residual returned as residual_sum; relu.

// CHECK-LABEL: func.func @batch_norm_training_residual(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x8xf32>, %{{[^:]*}}: tensor<8xf32>, %{{[^:]*}}: tensor<8xf32>, %[[R:[^:]*]]: tensor<4x8xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[R]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} ins(%[[S]], %{{.*}} : tensor<4x8xf32>, tensor<8xf32>)
// CHECK: arith.maximumf
// CHECK: return %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[S]]
func.func @batch_norm_training_residual(%x: tensor<4x8xf32>, %rm: tensor<8xf32>, %rv: tensor<8xf32>, %r: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8xf32>) {
  %y, %sm, %sr, %nm, %nv, %s = norm.batch_norm_training %x mean(%rm : tensor<8xf32>) var(%rv : tensor<8xf32>) residual(%r : tensor<4x8xf32>) activation = relu : tensor<4x8xf32> stats(tensor<8xf32>, tensor<8xf32>) residual_sum(tensor<4x8xf32>)
  return %y, %sm, %sr, %nm, %nv, %s : tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8xf32>
}

// -----

// InPlace-ABN: the arithmetic of batch_norm_training; the final generic
// writes into the input (read through its output block argument) so that
// bufferization can reuse the input buffer; elu in the payload.

// CHECK-LABEL: func.func @inplace_abn_elu(
// CHECK-SAME: %[[X:[^:]*]]: tensor<8x64x4x4xf32>, %{{[^:]*}}: tensor<64xf32>, %{{[^:]*}}: tensor<64xf32>, %[[W:[^:]*]]: tensor<64xf32>, %[[B:[^:]*]]: tensor<64xf32>)
// The shift (each channel's first element), then one sweep of sums.
// CHECK: iterator_types = ["parallel"]
// CHECK: iterator_types = ["reduction", "parallel", "reduction"]
// CHECK: %[[PARAMS:.*]]:3 = linalg.generic {{.*}} ins(%{{.*}}, %[[W]], %{{.*}}, %[[B]] : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[PARAMS]]#1, %[[PARAMS]]#0, %[[PARAMS]]#2 : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) outs(%[[X]] : tensor<8x64x4x4xf32>)
// CHECK: ^bb0(%[[M:.*]]: f32, %[[S:.*]]: f32, %{{.*}}: f32, %[[XV:.*]]: f32):
// CHECK-NEXT: %[[D:.*]] = arith.subf %[[XV]], %[[M]] : f32
// CHECK-NEXT: arith.mulf %[[D]], %[[S]] : f32
// CHECK: arith.cmpf ogt
// CHECK: math.expm1
// CHECK: arith.select
// CHECK-NOT: norm.inplace_abn
func.func @inplace_abn_elu(%x: tensor<8x64x4x4xf32>, %m: tensor<64xf32>, %v: tensor<64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<8x64x4x4xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.inplace_abn %x mean(%m : tensor<64xf32>) var(%v : tensor<64xf32>) weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) activation = elu(0.5) : tensor<8x64x4x4xf32> stats(tensor<64xf32>, tensor<64xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<8x64x4x4xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

// Group norm (NCHW): channels split into [G, C/G], statistics [N, G] over
// C/G, H and W, read as one merged dimension ([N, G, C/G*H*W]: a long
// innermost loop); weight and bias split the same way, the weight times rstd
// computed per [N, G, C/G] first (with copies of the mean and the bias over
// the same dimensions); output collapsed back.

// CHECK-DAG: #[[ID5:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[ID3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[NG3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[NGC:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2)>
// CHECK-DAG: #[[GC3:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @group_norm_nchw(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x32x8x8xf32>, %[[W:[^:]*]]: tensor<32xf32>, %[[B:[^:]*]]: tensor<32xf32>)
// CHECK: %[[XE:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 4, 8, 8, 8] : tensor<2x32x8x8xf32> into tensor<2x4x8x8x8xf32>
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[XE]] {{\[}}[0], [1], [2, 3, 4]] : tensor<2x4x8x8x8xf32> into tensor<2x4x512xf32>
// CHECK: arith.constant 5.120000e+02 : f32
// CHECK: %[[K:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]}{{.*}} ins(%[[XC]] : tensor<2x4x512xf32>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID3]], #[[NG3]], #[[NG3]]], iterator_types = ["parallel", "parallel", "reduction"]}{{.*}} ins(%[[XC]], %[[K]] : tensor<2x4x512xf32>, tensor<2x4xf32>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[SUM]] : tensor<2x4xf32>, tensor<2x4xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]{{.*}} ins(%[[XC]], %[[MEAN]] :
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<2x4xf32>)
// CHECK: %[[WE:.*]] = tensor.expand_shape %[[W]] {{\[}}[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
// CHECK: %[[BE:.*]] = tensor.expand_shape %[[B]] {{\[}}[0, 1]] output_shape [4, 8] : tensor<32xf32> into tensor<4x8xf32>
// CHECK: %[[PARAMS:.*]]:3 = linalg.generic {indexing_maps = [#[[NG3]], #[[GC3]], #[[NG3]], #[[GC3]], #[[ID3]], #[[ID3]], #[[ID3]]], {{.*}} ins(%[[RSTD]], %[[WE]], %[[MEAN]], %[[BE]] : tensor<2x4xf32>, tensor<4x8xf32>, tensor<2x4xf32>, tensor<4x8xf32>) outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>)
// CHECK: %[[YE:.*]] = linalg.generic {indexing_maps = [#[[ID5]], #[[NGC]], #[[NGC]], #[[NGC]], #[[ID5]]], {{.*}} ins(%[[XE]], %[[PARAMS]]#1, %[[PARAMS]]#0, %[[PARAMS]]#2 :
// CHECK: arith.subf %{{.*}}, %{{.*}} : f32
// CHECK: arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: arith.negf
// CHECK: math.exp
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[YE]] {{\[}}[0], [1, 2], [3], [4]] : tensor<2x4x8x8x8xf32> into tensor<2x32x8x8xf32>
// CHECK: return %[[Y]], %[[MEAN]], %[[RSTD]]
func.func @group_norm_nchw(%x: tensor<2x32x8x8xf32>, %w: tensor<32xf32>, %b: tensor<32xf32>) -> (tensor<2x32x8x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %y, %m, %r = norm.group_norm %x weight(%w : tensor<32xf32>) bias(%b : tensor<32xf32>) groups = 4 activation = silu : tensor<2x32x8x8xf32> stats(tensor<2x4xf32>, tensor<2x4xf32>)
  return %y, %m, %r : tensor<2x32x8x8xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Groups of 4 x 512 x 512 f32 (4 MiB, the SD VAE decoder's): the statistics
// take each group as 16 chunks of 65536 elements (256 KiB), two passes per
// chunk, merged over the chunks with Chan's formula; the normalization
// reads the input whole.
// CHECK-LABEL: func.func @group_norm_chunks(
// CHECK: %[[G:.*]] = tensor.collapse_shape %{{.*}} : tensor<1x32x4x512x512xf32> into tensor<1x32x1048576xf32>
// CHECK: %[[K:.*]] = tensor.expand_shape %[[G]] {{\[}}[0], [1], [2, 3]] output_shape [1, 32, 16, 65536]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%[[K]], %{{.*}} : tensor<1x32x16x65536xf32>, tensor<1x32x16xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[SUM]] : tensor<1x32x16xf32>, tensor<1x32x16xf32>)
// CHECK: %[[M2:.*]] = linalg.generic {{.*}}["parallel", "parallel", "parallel", "reduction"]{{.*}} ins(%[[K]], %[[MEAN]] : tensor<1x32x16x65536xf32>, tensor<1x32x16xf32>)
// CHECK: linalg.generic {{.*}}["parallel", "parallel", "reduction"]{{.*}} ins(%[[MEAN]], %[[M2]], %{{.*}} : tensor<1x32x16xf32>, tensor<1x32x16xf32>, tensor<1x32xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x32x4x512x512xf32>)
func.func @group_norm_chunks(%x: tensor<1x128x512x512xf32>) -> tensor<1x128x512x512xf32> {
  %y = norm.group_norm %x groups = 32 activation = silu : tensor<1x128x512x512xf32>
  return %y : tensor<1x128x512x512xf32>
}

// -----

// Groups of 8 x 256 x 256 f32 (2 MiB) stay whole: two passes per group.
// CHECK-LABEL: func.func @group_norm_no_chunks(
// CHECK-NOT: tensor.expand_shape {{.*}} output_shape [1, 32, {{[0-9]+}}, {{[0-9]+}}]
// CHECK: linalg.generic {{.*}}["parallel", "parallel", "reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x32x524288xf32>, tensor<1x32xf32>)
// CHECK-NOT: tensor<1x32x{{[0-9]+}}x{{[0-9]+}}xf32>
// CHECK: return
func.func @group_norm_no_chunks(%x: tensor<1x256x256x256xf32>) -> tensor<1x256x256x256xf32> {
  %y = norm.group_norm %x groups = 32 : tensor<1x256x256x256xf32>
  return %y : tensor<1x256x256x256xf32>
}

// -----

// Dynamic NHWC group norm: C/G computed with divui, the count includes the
// dynamic C/G; bf16 with a residual recomputed in the payloads.

// CHECK-LABEL: func.func @group_norm_dynamic_nhwc_bf16(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x4x4x?xbf16>, %[[R:[^:]*]]: tensor<?x4x4x?xbf16>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[C:.*]] = tensor.dim %[[X]], %[[C3]]
// CHECK: %[[G:.*]] = arith.constant 8 : index
// CHECK: %[[CG:.*]] = arith.divui %[[C]], %[[G]] : index
// CHECK: %[[XE:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1], [2], [3, 4]] output_shape [%[[N]], 4, 4, 8, %[[CG]]] : tensor<?x4x4x?xbf16> into tensor<?x4x4x8x?xbf16>
// CHECK: %[[RE:.*]] = tensor.expand_shape %[[R]] {{\[}}[0], [1], [2], [3, 4]]
// CHECK: %[[CGD:.*]] = tensor.dim %[[XE]], %{{.*}} : tensor<?x4x4x8x?xbf16>
// CHECK: %[[CNT:.*]] = arith.muli %[[CGD]], %{{.*}} : index
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction", "parallel", "reduction"]{{.*}} ins(%[[XE]], %[[RE]], %{{.*}} : tensor<?x4x4x8x?xbf16>, tensor<?x4x4x8x?xbf16>, tensor<?x8xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : bf16
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: %[[YE:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK: math.tanh
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[Y:.*]] = tensor.collapse_shape %[[YE]] {{\[}}[0], [1], [2], [3, 4]] : tensor<?x4x4x8x?xbf16> into tensor<?x4x4x?xbf16>
// CHECK: return %[[Y]]
func.func @group_norm_dynamic_nhwc_bf16(%x: tensor<?x4x4x?xbf16>, %r: tensor<?x4x4x?xbf16>) -> tensor<?x4x4x?xbf16> {
  %y = norm.group_norm %x residual(%r : tensor<?x4x4x?xbf16>) groups = 8 channel_axis = 3 activation = tanh : tensor<?x4x4x?xbf16>
  return %y : tensor<?x4x4x?xbf16>
}

// -----

// Result types more static than the computed values get a tensor.cast.

// CHECK-LABEL: func.func @group_norm_static_stats_dynamic_input(
// CHECK: %[[M:.*]] = tensor.cast %{{.*}} : tensor<?x2xf32> to tensor<3x2xf32>
// CHECK: %[[R:.*]] = tensor.cast %{{.*}} : tensor<?x2xf32> to tensor<3x2xf32>
// CHECK: return %{{.*}}, %[[M]], %[[R]]
func.func @group_norm_static_stats_dynamic_input(%x: tensor<?x4x5xf32>) -> (tensor<?x4x5xf32>, tensor<3x2xf32>, tensor<3x2xf32>) {
  %y, %m, %r = norm.group_norm %x groups = 2 : tensor<?x4x5xf32> stats(tensor<3x2xf32>, tensor<3x2xf32>)
  return %y, %m, %r : tensor<?x4x5xf32>, tensor<3x2xf32>, tensor<3x2xf32>
}

// -----

// The remaining activations in the payload: gelu_tanh and sigmoid.

// CHECK-LABEL: func.func @activation_gelu_tanh(
// CHECK: %[[Z:.*]] = arith.mulf %{{.*}}, %{{.*}} : f32
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[K:.*]] = arith.constant 0.797884583 : f32
// CHECK: %[[A:.*]] = arith.constant 4.471500e-02 : f32
// CHECK: %[[Z2:.*]] = arith.mulf %[[Z]], %[[Z]] : f32
// CHECK: %[[Z3:.*]] = arith.mulf %[[Z2]], %[[Z]] : f32
// CHECK: %[[AZ3:.*]] = arith.mulf %[[A]], %[[Z3]] : f32
// CHECK: %[[IN:.*]] = arith.addf %[[Z]], %[[AZ3]] : f32
// CHECK: %[[KIN:.*]] = arith.mulf %[[K]], %[[IN]] : f32
// CHECK: %[[T:.*]] = math.tanh %[[KIN]] : f32
// CHECK: %[[OPT:.*]] = arith.addf %[[ONE]], %[[T]] : f32
// CHECK: %[[HZ:.*]] = arith.mulf %[[HALF]], %[[Z]] : f32
// CHECK: %[[G:.*]] = arith.mulf %[[HZ]], %[[OPT]] : f32
// CHECK: linalg.yield %[[G]] : f32
func.func @activation_gelu_tanh(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.rms_norm %x axes = [1] activation = gelu_tanh : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @activation_sigmoid_f64(
// CHECK: %[[Z:.*]] = arith.mulf %{{.*}}, %{{.*}} : f64
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[NZ:.*]] = arith.negf %[[Z]] : f64
// CHECK: %[[E:.*]] = math.exp %[[NZ]] : f64
// CHECK: %[[D:.*]] = arith.addf %[[ONE]], %[[E]] : f64
// CHECK: %[[S:.*]] = arith.divf %[[ONE]], %[[D]] : f64
// CHECK: linalg.yield %[[S]] : f64
func.func @activation_sigmoid_f64(%x: tensor<4x8xf64>) -> tensor<4x8xf64> {
  %y = norm.rms_norm %x axes = [1] activation = sigmoid : tensor<4x8xf64>
  return %y : tensor<4x8xf64>
}

// -----

// Dynamic leading dimensions collapse too; every operand and result of the
// input's rank (input, residual, output, keepdims rstd, residual sum) goes
// through the same reassociation, the expansions take the input's sizes.
// Two normalized axes stay two ([A, B, C, D] over [2, 3] as [A·B, C, D]).
// CHECK-LABEL: func.func @rms_norm_dynamic_3d(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x?x64xf32>, %[[W:[^:]*]]: tensor<64xf32>, %[[R:[^:]*]]: tensor<?x?x64xf32>)
// CHECK-DAG: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK-DAG: %[[RC:.*]] = tensor.collapse_shape %[[R]] {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x64xf32>
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?x64xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[XC]], %[[RC]] : tensor<?x64xf32>, tensor<?x64xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[SUM]], %{{.*}}, %[[W]] : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32>)
// CHECK: %[[RSTD:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [%{{.*}}, 1] : tensor<?xf32> into tensor<?x1xf32>
// CHECK: %[[Y3:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0, 1], [2]] output_shape [%[[D0]], %[[D1]], 64] : tensor<?x64xf32> into tensor<?x?x64xf32>
// CHECK: %[[RSTD3:.*]] = tensor.expand_shape %[[RSTD]] {{\[}}[0, 1], [2]] output_shape [%[[D0]], %[[D1]], 1] : tensor<?x1xf32> into tensor<?x?x1xf32>
// CHECK: %[[SUM3:.*]] = tensor.expand_shape %[[SUM]] {{\[}}[0, 1], [2]] output_shape [%[[D0]], %[[D1]], 64] : tensor<?x64xf32> into tensor<?x?x64xf32>
// CHECK: return %[[Y3]], %[[RSTD3]], %[[SUM3]]
func.func @rms_norm_dynamic_3d(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>, %r: tensor<?x?x64xf32>) -> (tensor<?x?x64xf32>, tensor<?x?x1xf32>, tensor<?x?x64xf32>) {
  %y, %rstd, %sum = norm.rms_norm %x weight(%w : tensor<64xf32>) residual(%r : tensor<?x?x64xf32>) axes = [2] : tensor<?x?x64xf32> rstd(tensor<?x?x1xf32>) residual_sum(tensor<?x?x64xf32>)
  return %y, %rstd, %sum : tensor<?x?x64xf32>, tensor<?x?x1xf32>, tensor<?x?x64xf32>
}

// CHECK-LABEL: func.func @layer_norm_two_axes_4d(
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2], [3]] : tensor<2x3x4x8xf32> into tensor<6x4x8xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel"]{{.*}} ins(%{{.*}} : tensor<6x4x8xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<6x4x8xf32>, tensor<6xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3]] output_shape [2, 3, 4, 8] : tensor<6x4x8xf32> into tensor<2x3x4x8xf32>
func.func @layer_norm_two_axes_4d(%x: tensor<2x3x4x8xf32>) -> tensor<2x3x4x8xf32> {
  %y = norm.layer_norm %x axes = [2, 3] : tensor<2x3x4x8xf32>
  return %y : tensor<2x3x4x8xf32>
}

// -----

// LayerNorm2d, over the channels of NCHW: the pixels after the axis are
// collapsed into one dimension ([N, C, H·W]), the statistics reduce the
// middle loop and are indexed by (n, pixel), the parameters by the channel;
// the keepdims statistics expand back with the 1 in the middle.
// CHECK-DAG: #[[$X3:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$STAT3:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$CHAN3:.*]] = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @layer_norm_channels_nchw(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x8x5x7xf32>, %[[W:[^:]*]]: tensor<8xf32>, %[[B:[^:]*]]: tensor<8xf32>)
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<2x8x5x7xf32> into tensor<2x8x35xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$X3]], #[[$STAT3]], #[[$STAT3]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[XC]], %{{.*}} : tensor<2x8x35xf32>, tensor<2x35xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[$X3]], #[[$STAT3]], #[[$STAT3]], #[[$CHAN3]], #[[$CHAN3]], #[[$X3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[XC]], %{{.*}}, %{{.*}}, %[[W]], %[[B]] :
// CHECK: %[[MEAN:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 1, 35] : tensor<2x35xf32> into tensor<2x1x35xf32>
// CHECK: %[[Y4:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0], [1], [2, 3]] output_shape [2, 8, 5, 7] : tensor<2x8x35xf32> into tensor<2x8x5x7xf32>
// CHECK: %[[MEAN4:.*]] = tensor.expand_shape %[[MEAN]] {{\[}}[0], [1], [2, 3]] output_shape [2, 1, 5, 7] : tensor<2x1x35xf32> into tensor<2x1x5x7xf32>
// CHECK: return %[[Y4]], %[[MEAN4]], %{{.*}} : tensor<2x8x5x7xf32>, tensor<2x1x5x7xf32>, tensor<2x1x5x7xf32>
func.func @layer_norm_channels_nchw(%x: tensor<2x8x5x7xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x8x5x7xf32>, tensor<2x1x5x7xf32>, tensor<2x1x5x7xf32>) {
  %y, %m, %r = norm.layer_norm %x weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>) axes = [1] epsilon = 1.0e-06 : tensor<2x8x5x7xf32> stats(tensor<2x1x5x7xf32>, tensor<2x1x5x7xf32>)
  return %y, %m, %r : tensor<2x8x5x7xf32>, tensor<2x1x5x7xf32>, tensor<2x1x5x7xf32>
}

// -----

// Over the leading dimension: the statistics lead with the reduced 1.
// CHECK-LABEL: func.func @rms_norm_first_axis(
// CHECK: %[[XC:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x6x5xf32> into tensor<?x30xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]{{.*}} ins(%[[XC]] : tensor<?x30xf32>)
// CHECK: %[[RSTD:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [1, 30] : tensor<30xf32> into tensor<1x30xf32>
// CHECK: tensor.expand_shape %[[RSTD]] {{\[}}[0], [1, 2]] output_shape [1, 6, 5] : tensor<1x30xf32> into tensor<1x6x5xf32>
func.func @rms_norm_first_axis(%x: tensor<?x6x5xf32>, %w: tensor<?xf32>) -> (tensor<?x6x5xf32>, tensor<1x6x5xf32>) {
  %y, %r = norm.rms_norm %x weight(%w : tensor<?xf32>) axes = [0] : tensor<?x6x5xf32> rstd(tensor<1x6x5xf32>)
  return %y, %r : tensor<?x6x5xf32>, tensor<1x6x5xf32>
}

// -----

// Every size dynamic: the weight in f32 is sized by the input's row length
// (norm-check-operand-sizes checks the weight's against it), so that row
// tiling sees each tile read all of it and converts it once, outside the
// tiles (norm-tile-and-fuse-rows.mlir, @dynamic_weight).
// CSE-LABEL: func.func @layer_norm_dynamic_bf16_weight(
// CSE-SAME: %[[X:[^:]*]]: tensor<?x?xbf16>, %[[W:[^:]*]]: tensor<?xbf16>)
// CSE: %[[C1:.*]] = arith.constant 1 : index
// CSE-NEXT: %[[D:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<?x?xbf16>
// CSE: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?xf32>
// CSE-NEXT: linalg.generic {{.*}} ins(%[[W]] : tensor<?xbf16>) outs(%[[E]] : tensor<?xf32>)
// CSE-NEXT: ^bb0
// CSE-NEXT: arith.extf
func.func @layer_norm_dynamic_bf16_weight(%x: tensor<?x?xbf16>, %w: tensor<?xbf16>) -> tensor<?x?xbf16> {
  %y = norm.layer_norm %x weight(%w : tensor<?xbf16>) axes = [1] : tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}
