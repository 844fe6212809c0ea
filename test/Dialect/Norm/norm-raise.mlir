// RUN: norm-opt --norm-raise --split-input-file %s | FileCheck %s

// Hand-written decompositions: spellings norm-raise must see through, and
// near misses it must leave alone.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Layer norm: mean by multiplication with 1/N, variance as E[x^2]-E[x]^2,
// division by sqrt(var + eps) with eps on the left, commuted operands.
// CHECK-LABEL: func.func @layer_norm_spelling
// CHECK-NOT:     linalg.generic
// CHECK:         norm.layer_norm %arg0 axes = [1] epsilon = 1.000000e-03 : tensor<4x16xf32>
// CHECK-NOT:     linalg.generic
func.func @layer_norm_spelling(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s1 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s1, %s2 : tensor<4x16xf32>, tensor<4xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sum: f32, %sumsq: f32, %o: f32):
    %inv = arith.constant 0.0625 : f32
    %eps = arith.constant 1.0e-3 : f32
    %mean = arith.mulf %inv, %sum : f32
    %msq = arith.mulf %sumsq, %inv : f32
    %m2 = arith.mulf %mean, %mean : f32
    %var = arith.subf %msq, %m2 : f32
    %ve = arith.addf %eps, %var : f32
    %sd = math.sqrt %ve : f32
    %c = arith.subf %a, %mean : f32
    %r = arith.divf %c, %sd : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// No mean subtraction: an RMS norm.
// CHECK-LABEL: func.func @rms_fallback
// CHECK:         norm.rms_norm %arg0 axes = [1] epsilon = 1.000000e-05 : tensor<4x16xf32>
// CHECK-NOT:     linalg.generic
func.func @rms_fallback(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x16xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Near miss: no epsilon (x / sqrt(E[x^2]) is not an RMS norm with eps > 0).
// CHECK-LABEL: func.func @no_epsilon
// CHECK-NOT:     norm.
func.func @no_epsilon(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x16xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %ms = arith.divf %sumsq, %n : f32
    %rs = math.rsqrt %ms : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Near miss: epsilon added to the standard deviation, not the variance.
// CHECK-LABEL: func.func @eps_on_std
// CHECK-NOT:     norm.
func.func @eps_on_std(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x16xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %sd = math.sqrt %ms : f32
    %se = arith.addf %sd, %eps : f32
    %r = arith.divf %a, %se : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Near miss: the mean divides by N - 1 (an unbiased mean is no mean).
// CHECK-LABEL: func.func @wrong_count
// CHECK-NOT:     norm.
func.func @wrong_count(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x16xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 15.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// Near miss: the statistic reduces over rows but is broadcast along the
// other axis (mean over a different axis than the normalization).
// CHECK-LABEL: func.func @other_axis
// CHECK-NOT:     norm.
func.func @other_axis(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<16x16xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %ex = tensor.empty() : tensor<16x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<16x16xf32>, tensor<16xf32>) outs(%ex : tensor<16x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<16x16xf32>
  return %y : tensor<16x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Guard: the sum of squares has another use (returned): not raised.
// CHECK-LABEL: func.func @extra_use
// CHECK-NOT:     norm.
func.func @extra_use(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x16xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y, %s2 : tensor<4x16xf32>, tensor<4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The RMS norm of @rms_fallback with a dynamic row count (torch.export's
// dynamic batch): the rows get probe sizes, twice.
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: %[[Y:.*]] = norm.rms_norm %{{.*}} axes = [1] epsilon = 1.000000e-05 : tensor<?x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @dynamic_rows(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%d) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %ex = tensor.empty(%d) : tensor<?x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<?x16xf32>, tensor<?xf32>) outs(%ex : tensor<?x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>

// A dynamic batch through reshapes: the sum of squares over a collapsed
// [?*8, 16] view, expanded back to [?, 8] with sizes from tensor.dim and
// index arithmetic.
// CHECK-LABEL: func.func @dynamic_batch_reshaped
// CHECK: %[[Y:.*]] = norm.rms_norm %{{.*}} axes = [2] epsilon = 1.000000e-05 : tensor<?x8x16xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @dynamic_batch_reshaped(%x: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %d = tensor.dim %x, %c0 : tensor<?x8x16xf32>
  %rows = arith.muli %d, %c8 : index
  %flat = tensor.collapse_shape %x [[0, 1], [2]] : tensor<?x8x16xf32> into tensor<?x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%rows) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s2 = linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%flat : tensor<?x16xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %s2e = tensor.expand_shape %s2 [[0, 1]] output_shape [%d, 8] : tensor<?xf32> into tensor<?x8xf32>
  %ex = tensor.empty(%d) : tensor<?x8x16xf32>
  %y = linalg.generic {indexing_maps = [#id3, #row3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %s2e : tensor<?x8x16xf32>, tensor<?x8xf32>) outs(%ex : tensor<?x8x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<?x8x16xf32>
  return %y : tensor<?x8x16xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#grp = affine_map<(d0, d1, d2) -> (d0, d1, 0)>

// torch-mlir's dynamic-batch views: tensor.reshape with the sizes built by
// tensor.from_elements, the batch inferred with a compare and a select (a
// view's -1). A group norm (2 groups of 4 channels x 4 positions) of
// x: [?, 8, 4] computed on the [?, 2, 16] view, scaled per channel after
// the view back (as torch-mlir imports GroupNorm with a dynamic batch).
// CHECK-LABEL: func.func @dynamic_batch_view_group_norm
// CHECK: %[[Y:.*]] = norm.group_norm %{{.*}} weight(%{{.*}} : tensor<8xf32>) groups = 2 : tensor<?x8x4xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @dynamic_batch_view_group_norm(%x: tensor<?x8x4xf32>, %w: tensor<8xf32>) -> tensor<?x8x4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : i64
  %c16 = arith.constant 16 : i64
  %c8 = arith.constant 8 : i64
  %c4 = arith.constant 4 : i64
  %c32 = arith.constant 32 : i64
  %cm1 = arith.constant -1 : i64
  %d = tensor.dim %x, %c0 : tensor<?x8x4xf32>
  %n = arith.index_cast %d : index to i64
  %total = arith.muli %n, %c32 : i64
  %inferred = arith.divsi %total, %c32 : i64
  %is_inferred = arith.cmpi eq, %cm1, %cm1 : i64
  %rows = arith.select %is_inferred, %inferred, %n : i64
  %view_shape = tensor.from_elements %rows, %c2, %c16 : tensor<3xi64>
  %v = tensor.reshape %x(%view_shape) : (tensor<?x8x4xf32>, tensor<3xi64>) -> tensor<?x2x16xf32>
  %rows_index = arith.index_cast %rows : i64 to index
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty(%rows_index) : tensor<?x2x1xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<?x2x1xf32>) -> tensor<?x2x1xf32>
  %sum = linalg.generic {indexing_maps = [#id3, #grp], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%v : tensor<?x2x16xf32>) outs(%init : tensor<?x2x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?x2x1xf32>
  %e2 = tensor.empty(%rows_index) : tensor<?x2x16xf32>
  %dev = linalg.generic {indexing_maps = [#id3, #grp, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v, %sum : tensor<?x2x16xf32>, tensor<?x2x1xf32>) outs(%e2 : tensor<?x2x16xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %n16 = arith.constant 16.0 : f32
    %m = arith.divf %s, %n16 : f32
    %c = arith.subf %a, %m : f32
    %c2f = arith.mulf %c, %c : f32
    linalg.yield %c2f : f32
  } -> tensor<?x2x16xf32>
  %sq = linalg.generic {indexing_maps = [#id3, #grp], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%dev : tensor<?x2x16xf32>) outs(%init : tensor<?x2x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?x2x1xf32>
  %y = linalg.generic {indexing_maps = [#id3, #grp, #grp, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v, %sum, %sq : tensor<?x2x16xf32>, tensor<?x2x1xf32>, tensor<?x2x1xf32>) outs(%e2 : tensor<?x2x16xf32>) {
  ^bb0(%a: f32, %s: f32, %q: f32, %o: f32):
    %n16 = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %m = arith.divf %s, %n16 : f32
    %var = arith.divf %q, %n16 : f32
    %ve = arith.addf %var, %eps : f32
    %rs = math.rsqrt %ve : f32
    %c = arith.subf %a, %m : f32
    %r = arith.mulf %c, %rs : f32
    linalg.yield %r : f32
  } -> tensor<?x2x16xf32>
  %back_shape = tensor.from_elements %rows, %c8, %c4 : tensor<3xi64>
  %out = tensor.reshape %y(%back_shape) : (tensor<?x2x16xf32>, tensor<3xi64>) -> tensor<?x8x4xf32>
  %e3 = tensor.empty(%d) : tensor<?x8x4xf32>
  %scaled = linalg.generic {indexing_maps = [#id3, affine_map<(d0, d1, d2) -> (d1)>, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%out, %w : tensor<?x8x4xf32>, tensor<8xf32>) outs(%e3 : tensor<?x8x4xf32>) {
  ^bb0(%a: f32, %g: f32, %o: f32):
    %r = arith.mulf %a, %g : f32
    linalg.yield %r : f32
  } -> tensor<?x8x4xf32>
  return %scaled : tensor<?x8x4xf32>
}

// -----

// Found by review: a cast of `?` to the static 4 is a leaf, whatever the
// probe sizes (it was followed only when the probe was 4, so the two
// bindings disagreed and the static norm was no longer raised).
// CHECK-LABEL: func.func @cast_static
// CHECK: norm.rms_norm
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
// A static RMS norm of a value cast from a dynamically shaped argument.
func.func @cast_static(%arg: tensor<?x16xf32>) -> tensor<4x16xf32> {
  %x = tensor.cast %arg : tensor<?x16xf32> to tensor<4x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x16xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %ex = tensor.empty() : tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x16xf32>, tensor<4xf32>) outs(%ex : tensor<4x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %n = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %n : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A size computed by affine.apply (torch-mlir's `N * C`, `batch * heads`)
// and a slice of it: evaluated by the shape binding.
// CHECK-LABEL: func.func @dynamic_size_through_affine_apply
// CHECK: norm.rms_norm %{{.*}} axes = [1] epsilon = 1.000000e-05 : tensor<?x16xf32>
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#xr = affine_map<(d0, d1) -> (d0, d1)>
func.func @dynamic_size_through_affine_apply(%x0: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n0 = tensor.dim %x0, %c0 : tensor<?x16xf32>
  %n = affine.apply affine_map<()[s0] -> (s0)>()[%n0]
  %x = tensor.extract_slice %x0[0, 0] [%n, 16] [1, 1] : tensor<?x16xf32> to tensor<?x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x16xf32>) outs(%init : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %ex = tensor.empty(%n) : tensor<?x16xf32>
  %out = linalg.generic {indexing_maps = [#xr, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<?x16xf32>, tensor<?xf32>) outs(%ex : tensor<?x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %cn = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %cn : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %rr = arith.mulf %rs, %a : f32
    linalg.yield %rr : f32
  } -> tensor<?x16xf32>
  return %out : tensor<?x16xf32>
}

// -----

// 3e9 rows (found by review: the matcher allocated a bit vector of every
// axis's size per sample point, gigabytes, and hung or crashed). The sets of
// indices a group takes are as large as the group only.
// CHECK-LABEL: func.func @huge_static
// CHECK: norm.rms_norm %{{.*}} axes = [1] epsilon = 1.000000e-05 : tensor<3000000000x16xf32>
// CHECK-NOT: linalg.generic
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @huge_static(%y: tensor<3000000000x16xf32>) -> tensor<3000000000x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3000000000xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<3000000000xf32>) -> tensor<3000000000xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<3000000000x16xf32>) outs(%init : tensor<3000000000xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %r = arith.addf %sq, %acc : f32
    linalg.yield %r : f32
  } -> tensor<3000000000xf32>
  %ex = tensor.empty() : tensor<3000000000x16xf32>
  %out = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %s2 : tensor<3000000000x16xf32>, tensor<3000000000xf32>) outs(%ex : tensor<3000000000x16xf32>) {
  ^bb0(%a: f32, %sumsq: f32, %o: f32):
    %c16 = arith.constant 16.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %ms = arith.divf %sumsq, %c16 : f32
    %ve = arith.addf %ms, %eps : f32
    %rs = math.rsqrt %ve : f32
    %r = arith.mulf %rs, %a : f32
    linalg.yield %r : f32
  } -> tensor<3000000000x16xf32>
  return %out : tensor<3000000000x16xf32>
}
