// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-linalg --split-input-file --verify-roundtrip

// Moments over the rows of a dynamic table, accumulated in f64: the shift k
// (the first row: a sum over a slice of min(1, rows) rows), the sum of
// x - k, the mean k + sum / n (n from tensor.dim), a second pass over
// (x - mean)^2 and the sample std with n - 1 clamped at 0.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @moments_dynamic_f32(
// CHECK-SAME: %[[X:.*]]: tensor<?x16xf32>)
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x16xf32>
// CHECK: %[[FIRST:.*]] = arith.minui %[[ROWS]], %{{.*}} : index
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[X]][0, 0] [%[[FIRST]], 16] [1, 1]
// CHECK: %[[K:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[SLICE]] : tensor<?x16xf32>) outs(%{{.*}} : tensor<16xf64>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[K]] : tensor<?x16xf32>, tensor<16xf64>) outs(%{{.*}} : tensor<16xf64>)
// CHECK: ^bb0(%[[IN0:.*]]: f32, %[[KV:.*]]: f64, %[[ACC0:.*]]: f64):
// CHECK-NEXT: %[[XD:.*]] = arith.extf %[[IN0]] : f32 to f64
// CHECK-NEXT: %[[SHIFTED:.*]] = arith.subf %[[XD]], %[[KV]] : f64
// CHECK-NEXT: arith.addf %[[ACC0]], %[[SHIFTED]] : f64
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x16xf32>
// CHECK: %[[DI:.*]] = arith.index_castui %[[D]] : index to i64
// CHECK: %[[N:.*]] = arith.uitofp %[[DI]] : i64 to f64
// CHECK: %[[MEAN:.*]] = linalg.generic {indexing_maps = [#[[VEC]], #[[VEC]], #[[VEC]]], iterator_types = ["parallel"]} ins(%[[K]], %[[SUM]] : tensor<16xf64>, tensor<16xf64>)
// CHECK: ^bb0(%[[KM:.*]]: f64, %[[SM:.*]]: f64, %{{.*}}: f64):
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[SM]], %[[N]] : f64
// CHECK-NEXT: arith.addf %[[KM]], %[[Q]] : f64
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MEAN]] : tensor<?x16xf32>, tensor<16xf64>) outs(%{{.*}} : tensor<16xf64>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f64, %[[ACC:.*]]: f64):
// CHECK-NEXT: %[[XE:.*]] = arith.extf %[[IN]] : f32 to f64
// CHECK-NEXT: %[[DIFF:.*]] = arith.subf %[[XE]], %[[M]] : f64
// CHECK-NEXT: %[[D2:.*]] = arith.mulf %[[DIFF]], %[[DIFF]] : f64
// CHECK-NEXT: arith.addf %[[ACC]], %[[D2]] : f64
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
// CHECK: %[[DOF:.*]] = arith.subf %[[N]], %[[ONE]] : f64
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[DENOM:.*]] = arith.maximumf %[[DOF]], %[[ZERO]] : f64
// CHECK: %[[RES:.*]]:2 = linalg.generic {{.*}} ins(%[[MEAN]], %[[SQ]] : tensor<16xf64>, tensor<16xf64>) outs(%{{.*}}, %{{.*}} : tensor<16xf32>, tensor<16xf32>)
// CHECK: ^bb0(%[[MV:.*]]: f64, %[[SV:.*]]: f64, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[VAR:.*]] = arith.divf %[[SV]], %[[DENOM]] : f64
// CHECK-NEXT: %[[STD:.*]] = math.sqrt %[[VAR]] : f64
// CHECK-NEXT: %[[MT:.*]] = arith.truncf %[[MV]] : f64 to f32
// CHECK-NEXT: %[[ST:.*]] = arith.truncf %[[STD]] : f64 to f32
// CHECK-NEXT: linalg.yield %[[MT]], %[[ST]] : f32, f32
// CHECK: return %[[RES]]#0, %[[RES]]#1
func.func @moments_dynamic_f32(%x: tensor<?x16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %m, %s = norm.moments %x axes = [0] correction = 1 : tensor<?x16xf32> -> tensor<16xf32>
  return %m, %s : tensor<16xf32>, tensor<16xf32>
}

// -----

// Moments over every axis of a bf16 tensor: rank-0 statistics, accumulated in
// f64 (extf in the payloads; the shift is x[0, 0]) and truncated at the end
// (through f32: libgcc has no f64-to-bf16 conversion);
// population std.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @moments_all_bf16(
// CHECK-SAME: %[[X:.*]]: tensor<4x8xbf16>)
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[X]][0, 0] [1, 1] [1, 1] : tensor<4x8xbf16> to tensor<1x1xbf16>
// CHECK: %[[K:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%[[SLICE]] : tensor<1x1xbf16>) outs(%{{.*}} : tensor<f64>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]], #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%[[X]], %[[K]] : tensor<4x8xbf16>, tensor<f64>) outs(%{{.*}} : tensor<f64>)
// CHECK: arith.extf %{{.*}} : bf16 to f64
// CHECK: %[[N:.*]] = arith.constant 3.200000e+01 : f64
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[K]], %[[SUM]] : tensor<f64>, tensor<f64>)
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]], #[[ALL]]], iterator_types = ["reduction", "reduction"]} ins(%[[X]], %[[MEAN]] : tensor<4x8xbf16>, tensor<f64>)
// CHECK: arith.extf %{{.*}} : bf16 to f64
// CHECK: %[[RES:.*]]:2 = linalg.generic {{.*}} ins(%[[MEAN]], %[[SQ]] : tensor<f64>, tensor<f64>) outs(%{{.*}}, %{{.*}} : tensor<bf16>, tensor<bf16>)
// CHECK: arith.divf %{{.*}}, %[[N]] : f64
// CHECK: math.sqrt
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: return %[[RES]]#0, %[[RES]]#1 : tensor<bf16>, tensor<bf16>
func.func @moments_all_bf16(%x: tensor<4x8xbf16>) -> (tensor<bf16>, tensor<bf16>) {
  %m, %s = norm.moments %x axes = [0, 1] : tensor<4x8xbf16> -> tensor<bf16>
  return %m, %s : tensor<bf16>, tensor<bf16>
}

// -----

// Min/max: one reduction with two outputs filled with +inf and -inf, in the
// element type (exact), NaN-propagating.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @min_max_dynamic_f16(
// CHECK-SAME: %[[X:.*]]: tensor<?x?xf16>)
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x?xf16>
// CHECK: %[[E0:.*]] = tensor.empty(%[[D0]]) : tensor<?xf16>
// CHECK: %[[INF:.*]] = arith.constant 0x7C00 : f16
// CHECK: %[[LO:.*]] = linalg.fill ins(%[[INF]] : f16) outs(%[[E0]] : tensor<?xf16>)
// CHECK: %[[NINF:.*]] = arith.constant 0xFC00 : f16
// CHECK: %[[HI:.*]] = linalg.fill ins(%[[NINF]] : f16)
// CHECK: %[[RES:.*]]:2 = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x?xf16>) outs(%[[LO]], %[[HI]] : tensor<?xf16>, tensor<?xf16>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %[[A:.*]]: f16, %[[B:.*]]: f16):
// CHECK-NEXT: %[[MIN:.*]] = arith.minimumf %[[A]], %[[IN]] : f16
// CHECK-NEXT: %[[MAX:.*]] = arith.maximumf %[[B]], %[[IN]] : f16
// CHECK-NEXT: linalg.yield %[[MIN]], %[[MAX]]
// CHECK: return %[[RES]]#0, %[[RES]]#1
func.func @min_max_dynamic_f16(%x: tensor<?x?xf16>) -> (tensor<?xf16>, tensor<?xf16>) {
  %lo, %hi = norm.min_max %x axes = [1] : tensor<?x?xf16> -> tensor<?xf16>
  return %lo, %hi : tensor<?xf16>, tensor<?xf16>
}

// -----

// Standardize: one elementwise generic; a zero std leaves the centred value
// unscaled.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @standardize_static_f32(
// CHECK-SAME: %[[X:.*]]: tensor<10x4xf32>, %[[M:.*]]: tensor<4xf32>, %[[S:.*]]: tensor<4xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<10x4xf32>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[M]], %[[S]] : tensor<10x4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%[[E]] : tensor<10x4xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[ISZ:.*]] = arith.cmpf oeq, %[[SV]], %[[ZERO]] : f32
// CHECK: %[[DIV:.*]] = arith.select %[[ISZ]], %[[ONE]], %[[SV]] : f32
// CHECK: %[[C:.*]] = arith.subf %[[IN]], %[[MV]] : f32
// CHECK: %[[R:.*]] = arith.divf %[[C]], %[[DIV]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]]
func.func @standardize_static_f32(%x: tensor<10x4xf32>, %m: tensor<4xf32>, %s: tensor<4xf32>) -> tensor<10x4xf32> {
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<10x4xf32>, tensor<4xf32>
  return %y : tensor<10x4xf32>
}

// -----

// Standardize f16 with dynamic rows: compute in f32, truncate the result.

// CHECK-LABEL: func.func @standardize_dynamic_f16(
// CHECK-SAME: %[[X:.*]]: tensor<?x16xf16>
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x16xf16>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x16xf16>
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[E]] : tensor<?x16xf16>)
// CHECK-COUNT-3: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @standardize_dynamic_f16(%x: tensor<?x16xf16>, %m: tensor<16xf16>, %s: tensor<16xf16>) -> tensor<?x16xf16> {
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x16xf16>, tensor<16xf16>
  return %y : tensor<?x16xf16>
}

// -----

// Min-max scaling to [-1, 2]: (x - min) / d * 3 - 1 with d = max - min, and
// d == 0 taken as 1 (scikit-learn's rule).

// CHECK-LABEL: func.func @min_max_scale_dynamic_f32(
// CHECK-SAME: %[[X:.*]]: tensor<?x16xf32>, %[[LO:.*]]: tensor<16xf32>, %[[HI:.*]]: tensor<16xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]], %[[LO]], %[[HI]] : tensor<?x16xf32>, tensor<16xf32>, tensor<16xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[L:.*]]: f32, %[[H:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[W:.*]] = arith.subf %[[H]], %[[L]] : f32
// CHECK: %[[ISZ:.*]] = arith.cmpf oeq, %[[W]], %[[ZERO]] : f32
// CHECK: %[[DIV:.*]] = arith.select %[[ISZ]], %[[ONE]], %[[W]] : f32
// CHECK: %[[C:.*]] = arith.subf %[[IN]], %[[L]] : f32
// CHECK: %[[Q:.*]] = arith.divf %[[C]], %[[DIV]] : f32
// CHECK: %[[RANGE:.*]] = arith.constant 3.000000e+00 : f32
// CHECK: %[[S:.*]] = arith.mulf %[[Q]], %[[RANGE]] : f32
// CHECK: %[[RMIN:.*]] = arith.constant -1.000000e+00 : f32
// CHECK: %[[R:.*]] = arith.addf %[[S]], %[[RMIN]] : f32
// CHECK: linalg.yield %[[R]]
func.func @min_max_scale_dynamic_f32(%x: tensor<?x16xf32>, %lo: tensor<16xf32>, %hi: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] range_min = -1.0 range_max = 2.0 : tensor<?x16xf32>, tensor<16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Default range [0, 1]: no range factor, no offset.

// CHECK-LABEL: func.func @min_max_scale_default_range(
// CHECK: linalg.generic
// CHECK: %[[Q:.*]] = arith.divf
// CHECK-NEXT: linalg.yield %[[Q]] : f32
func.func @min_max_scale_default_range(%x: tensor<5x3xf32>, %lo: tensor<3xf32>, %hi: tensor<3xf32>) -> tensor<5x3xf32> {
  %y = norm.min_max_scale %x, %lo, %hi axes = [0] : tensor<5x3xf32>, tensor<3xf32>
  return %y : tensor<5x3xf32>
}

// -----

// A uint8 NHWC image: ui8 is read as i8 (arith is signless), converted with
// uitofp, scaled by 1/255, then per channel (last dimension) (x - mean) / std.

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @image_normalize_u8_nhwc(
// CHECK-SAME: %[[X:.*]]: tensor<8x224x224x3xui8>, %[[M:.*]]: tensor<3xf32>, %[[S:.*]]: tensor<3xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8x224x224x3xf32>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[CH]], #[[CH]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[M]], %[[S]] : tensor<8x224x224x3xui8>, tensor<3xf32>, tensor<3xf32>) outs(%[[E]] : tensor<8x224x224x3xf32>)
// CHECK: ^bb0(%[[IN:.*]]: ui8, %[[MV:.*]]: f32, %[[SV:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[I:.*]] = builtin.unrealized_conversion_cast %[[IN]] : ui8 to i8
// CHECK-NEXT: %[[F:.*]] = arith.uitofp %[[I]] : i8 to f32
// CHECK-NEXT: %[[SC:.*]] = arith.constant 0.00392156886 : f32
// CHECK-NEXT: %[[V:.*]] = arith.mulf %[[F]], %[[SC]] : f32
// CHECK-NEXT: %[[C:.*]] = arith.subf %[[V]], %[[MV]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[C]], %[[SV]] : f32
// CHECK-NEXT: linalg.yield %[[R]] : f32
// CHECK: return %[[Y]]
func.func @image_normalize_u8_nhwc(%x: tensor<8x224x224x3xui8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<8x224x224x3xf32> {
  %y = norm.image_normalize %x, %m, %s layout = nhwc scale = 0.00392156862745098 : tensor<8x224x224x3xui8>, tensor<3xf32> -> tensor<8x224x224x3xf32>
  return %y : tensor<8x224x224x3xf32>
}

// -----

// Signless i8 pixels in NCHW with a dynamic batch: uitofp directly, channel
// is dimension 1.

// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2, d3) -> (d1)>
// CHECK-LABEL: func.func @image_normalize_i8_nchw_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<?x3x4x4xi8>
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x3x4x4xi8>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x3x4x4xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #{{.*}}]
// CHECK: ^bb0(%[[IN:.*]]: i8,
// CHECK-NEXT: arith.uitofp %[[IN]] : i8 to f32
func.func @image_normalize_i8_nchw_dynamic(%x: tensor<?x3x4x4xi8>, %m: tensor<3xf32>, %s: tensor<3xf32>) -> tensor<?x3x4x4xf32> {
  %y = norm.image_normalize %x, %m, %s scale = 0.00392156862745098 : tensor<?x3x4x4xi8>, tensor<3xf32> -> tensor<?x3x4x4xf32>
  return %y : tensor<?x3x4x4xf32>
}

// -----

// A bf16 CHW image with dynamic spatial sizes and scale 1: no multiply;
// computed in f32, truncated to bf16.

// CHECK-DAG: #[[CH:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @image_normalize_bf16_chw(
// CHECK-SAME: %[[X:.*]]: tensor<3x?x?xbf16>
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<3x?x?xbf16>
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[CH]], #[[CH]], #{{.*}}]
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[MV:.*]]: bf16, %[[SV:.*]]: bf16, %{{.*}}: bf16):
// CHECK-NEXT: %[[XF:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT: %[[MF:.*]] = arith.extf %[[MV]] : bf16 to f32
// CHECK-NEXT: %[[SF:.*]] = arith.extf %[[SV]] : bf16 to f32
// CHECK-NEXT: %[[C:.*]] = arith.subf %[[XF]], %[[MF]] : f32
// CHECK-NEXT: %[[R:.*]] = arith.divf %[[C]], %[[SF]] : f32
// CHECK-NEXT: %[[T:.*]] = arith.truncf %[[R]] : f32 to bf16
// CHECK-NEXT: linalg.yield %[[T]] : bf16
func.func @image_normalize_bf16_chw(%x: tensor<3x?x?xbf16>, %m: tensor<3xbf16>, %s: tensor<3xbf16>) -> tensor<3x?x?xbf16> {
  %y = norm.image_normalize %x, %m, %s : tensor<3x?x?xbf16>, tensor<3xbf16> -> tensor<3x?x?xbf16>
  return %y : tensor<3x?x?xbf16>
}

// -----

// Statistics typed more dynamically than the input: the results are cast.

// CHECK-LABEL: func.func @moments_cast_result(
// CHECK: %[[RES:.*]]:2 = linalg.generic
// CHECK-DAG: %[[M:.*]] = tensor.cast %[[RES]]#0 : tensor<3xf32> to tensor<?xf32>
// CHECK-DAG: %[[S:.*]] = tensor.cast %[[RES]]#1 : tensor<3xf32> to tensor<?xf32>
// CHECK: return %[[M]], %[[S]]
func.func @moments_cast_result(%x: tensor<5x3xf32>) -> (tensor<?xf32>, tensor<?xf32>) {
  %m, %s = norm.moments %x axes = [0] : tensor<5x3xf32> -> tensor<?xf32>
  return %m, %s : tensor<?xf32>, tensor<?xf32>
}
