// RUN: norm-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(norm-collapse-inner-dims))' | FileCheck %s
// RUN: norm-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(norm-collapse-inner-dims{vector-size=4}))' | FileCheck %s --check-prefix=VEC4

// No run reaches a multiple of 16: 12, then 6 x 12 = 72, then the channel
// loop, which the per-channel operand reads alone (the run is not
// contiguous in its map): left alone.
// CHECK-LABEL: func.func @per_channel_no_run(
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// VEC4-LABEL: func.func @per_channel_no_run(
// VEC4-NOT: tensor.collapse_shape
func.func @per_channel_no_run(%x: tensor<2x3x6x12xf32>, %s: tensor<3xf32>) -> tensor<2x3x6x12xf32> {
  %e = tensor.empty() : tensor<2x3x6x12xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<2x3x6x12xf32>, tensor<3xf32>) outs(%e : tensor<2x3x6x12xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %m = arith.mulf %in, %sc : f32
    linalg.yield %m : f32
  } -> tensor<2x3x6x12xf32>
  return %y : tensor<2x3x6x12xf32>
}

// -----

// Planes of 4 x 12 = 48 = 3 x 16: H and W become one loop; the per-channel
// operand keeps its map, the output comes back through an expand_shape and
// the collapsed tensor.empty is a new one.
// CHECK-LABEL: func.func @nchw_plane(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3x4x12xf32>, %[[S:[^:]*]]: tensor<3xf32>)
// CHECK-DAG: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<2x3x4x12xf32> into tensor<2x3x48xf32>
// CHECK-DAG: %[[E:.*]] = tensor.empty() : tensor<2x3x48xf32>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID:.*]], #[[C:.*]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[XC]], %[[S]] : tensor<2x3x48xf32>, tensor<3xf32>) outs(%[[E]] : tensor<2x3x48xf32>)
// CHECK: %[[R:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0], [1], [2, 3]] output_shape [2, 3, 4, 12] : tensor<2x3x48xf32> into tensor<2x3x4x12xf32>
// CHECK: return %[[R]]
// With vectors of 4, 12 lanes already divide: left alone.
// VEC4-LABEL: func.func @nchw_plane(
// VEC4-NOT: tensor.collapse_shape
func.func @nchw_plane(%x: tensor<2x3x4x12xf32>, %s: tensor<3xf32>) -> tensor<2x3x4x12xf32> {
  %e = tensor.empty() : tensor<2x3x4x12xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<2x3x4x12xf32>, tensor<3xf32>) outs(%e : tensor<2x3x4x12xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %m = arith.mulf %in, %sc : f32
    linalg.yield %m : f32
  } -> tensor<2x3x4x12xf32>
  return %y : tensor<2x3x4x12xf32>
}

// -----

// The shortest run that reaches a multiple: 6 -> 3 x 6 = 18 -> 8 x 3 x 6 =
// 144 = 9 x 16, so the three inner loops merge and the outer one stays.
// CHECK-LABEL: func.func @three_dims(
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]] : tensor<2x8x3x6xf32> into tensor<2x144xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// With vectors of 4 too (18 is not a multiple of 4).
// VEC4-LABEL: func.func @three_dims(
// VEC4: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2, 3]]
func.func @three_dims(%x: tensor<2x8x3x6xf32>) -> tensor<2x8x3x6xf32> {
  %e = tensor.empty() : tensor<2x8x3x6xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x : tensor<2x8x3x6xf32>) outs(%e : tensor<2x8x3x6xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<2x8x3x6xf32>
  return %y : tensor<2x8x3x6xf32>
}

// -----

// A reduction over H and W (BatchNorm training's sums) merges too; a run
// that would mix parallel and reduction loops does not.
// CHECK-LABEL: func.func @reduction(
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2, 3]] : tensor<2x3x4x12xf32> into tensor<2x3x48xf32>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: tensor.expand_shape
func.func @reduction(%x: tensor<2x3x4x12xf32>, %acc: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%x : tensor<2x3x4x12xf32>) outs(%acc : tensor<2x3xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

// Maps with constant results (a keepdim reduction into [2, 3, 1, 1], as
// torch-mlir writes GroupNorm) are left alone: upstream's collapse turned
// the output map (d0, d1, 0, 0) into (d0, d1, d0, d0).
// CHECK-LABEL: func.func @keepdim_reduction(
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction", "reduction"]
func.func @keepdim_reduction(%x: tensor<2x3x4x12xf32>, %acc: tensor<2x3x1x1xf32>) -> tensor<2x3x1x1xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (n, c, 0, 0)>], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%x : tensor<2x3x4x12xf32>) outs(%acc : tensor<2x3x1x1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x3x1x1xf32>
  return %y : tensor<2x3x1x1xf32>
}

// -----

// CHECK-LABEL: func.func @mixed_iterators(
// CHECK-NOT: tensor.collapse_shape
func.func @mixed_iterators(%x: tensor<2x4x12xf32>, %acc: tensor<2x12xf32>) -> tensor<2x12xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(n, h, w) -> (n, h, w)>, affine_map<(n, h, w) -> (n, w)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%x : tensor<2x4x12xf32>) outs(%acc : tensor<2x12xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %o : f32
    linalg.yield %s : f32
  } -> tensor<2x12xf32>
  return %y : tensor<2x12xf32>
}

// -----

// A dynamic loop outside the run does not matter; one inside it stops it.
// Already divisible rows are left alone.
// CHECK-LABEL: func.func @dynamic_outer(
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<?x4x12xf32> into tensor<?x48xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: tensor.expand_shape %[[Y]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 12]
// CHECK-LABEL: func.func @dynamic_inner(
// CHECK-NOT: tensor.collapse_shape
// CHECK-LABEL: func.func @divisible(
// CHECK-NOT: tensor.collapse_shape
func.func @dynamic_outer(%x: tensor<?x4x12xf32>, %e: tensor<?x4x12xf32>) -> tensor<?x4x12xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<?x4x12xf32>) outs(%e : tensor<?x4x12xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<?x4x12xf32>
  return %y : tensor<?x4x12xf32>
}
func.func @dynamic_inner(%x: tensor<4x?x12xf32>, %e: tensor<4x?x12xf32>) -> tensor<4x?x12xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<4x?x12xf32>) outs(%e : tensor<4x?x12xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<4x?x12xf32>
  return %y : tensor<4x?x12xf32>
}
func.func @divisible(%x: tensor<3x5x32xf32>) -> tensor<3x5x32xf32> {
  %e = tensor.empty() : tensor<3x5x32xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(a, b, c) -> (a, b, c)>, affine_map<(a, b, c) -> (a, b, c)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<3x5x32xf32>) outs(%e : tensor<3x5x32xf32>) {
  ^bb0(%in: f32, %o: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<3x5x32xf32>
  return %y : tensor<3x5x32xf32>
}

// -----

// The outermost loop never joins a run (norm-tile-and-fuse-rows tiles it):
// LayerNorm2d's mean per pixel, [32, 14 x 14], reaches a multiple of 16
// only as 32 x 196, and merged so it could no longer be fused into the row
// tiles of the normalization that reads it.
// CHECK-LABEL: func.func @outermost_loop(
// CHECK-NOT: tensor.collapse_shape
func.func @outermost_loop(%sum: tensor<32x196xf32>) -> tensor<32x196xf32> {
  %e = tensor.empty() : tensor<32x196xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, p) -> (n, p)>, affine_map<(n, p) -> (n, p)>], iterator_types = ["parallel", "parallel"]} ins(%sum : tensor<32x196xf32>) outs(%e : tensor<32x196xf32>) {
  ^bb0(%in: f32, %o: f32):
    %c = arith.constant 3.840000e+02 : f32
    %m = arith.divf %in, %c : f32
    linalg.yield %m : f32
  } -> tensor<32x196xf32>
  return %y : tensor<32x196xf32>
}

// -----

// Planes of run-time size (NCHW batch norm compiled for any image size):
// H and W become one loop of H x W, whatever they are, so that a row of
// the vectorized op is a whole plane; the channel loop, which the
// per-channel operand reads alone, stays.
// CHECK-LABEL: func.func @dynamic_plane(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x3x?x?xf32>
// CHECK: %[[XC:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<?x3x?x?xf32> into tensor<?x3x?xf32>
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[XC]], %{{.*}} : tensor<?x3x?xf32>, tensor<3xf32>)
// CHECK: tensor.expand_shape %[[Y]] {{\[}}[0], [1], [2, 3]]
func.func @dynamic_plane(%x: tensor<?x3x?x?xf32>, %s: tensor<3xf32>, %e: tensor<?x3x?x?xf32>) -> tensor<?x3x?x?xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<?x3x?x?xf32>, tensor<3xf32>) outs(%e : tensor<?x3x?x?xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %m = arith.mulf %in, %sc : f32
    linalg.yield %m : f32
  } -> tensor<?x3x?x?xf32>
  return %y : tensor<?x3x?x?xf32>
}

// -----

// The same with the result reshaped again (group norm's [N, G, C/G, H, W]
// merged back into [N, C, H, W]): collapsed too, the plane expanded again
// before the merge. (norm-drop-tied-buffer-results undoes the reshapes
// around the output argument, inner pairs first; before it did, the
// function returned such a result through a copy of its whole output, and
// this op was left alone: rows of one image row, plain stores.)
// CHECK-LABEL: func.func @dynamic_plane_reshaped(
// CHECK: %[[XC:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1], [2], [3, 4]]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}} ins(%[[XC]], %{{.*}} : tensor<?x2x4x?xf32>, tensor<2x4xf32>)
// CHECK: %[[YE:.*]] = tensor.expand_shape %[[Y]] {{\[}}[0], [1], [2], [3, 4]]
// CHECK: tensor.collapse_shape %[[YE]] {{\[}}[0], [1, 2], [3], [4]]
func.func @dynamic_plane_reshaped(%x: tensor<?x2x4x?x?xf32>, %s: tensor<2x4xf32>, %e: tensor<?x2x4x?x?xf32>) -> tensor<?x8x?x?xf32> {
  %y = linalg.generic {indexing_maps = [affine_map<(n, g, c, h, w) -> (n, g, c, h, w)>, affine_map<(n, g, c, h, w) -> (g, c)>, affine_map<(n, g, c, h, w) -> (n, g, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%x, %s : tensor<?x2x4x?x?xf32>, tensor<2x4xf32>) outs(%e : tensor<?x2x4x?x?xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %m = arith.mulf %in, %sc : f32
    linalg.yield %m : f32
  } -> tensor<?x2x4x?x?xf32>
  %r = tensor.collapse_shape %y [[0], [1, 2], [3], [4]] : tensor<?x2x4x?x?xf32> into tensor<?x8x?x?xf32>
  return %r : tensor<?x8x?x?xf32>
}

// -----

// A linalg producer behind a reshape (a residual sum, then split into
// group norm's groups): collapsed, as the reshape is the direct neighbour;
// norm-tile-and-fuse-rows did not fuse through it before either.
// CHECK-LABEL: func.func @dynamic_plane_linalg_behind_reshape(
// CHECK: %[[SUM:.*]] = linalg.add
// CHECK: %[[G:.*]] = tensor.expand_shape %[[SUM]] {{\[}}[0], [1, 2], [3], [4]]
// CHECK: %[[GC:.*]] = tensor.collapse_shape %[[G]] {{\[}}[0], [1], [2], [3, 4]]
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "parallel", "parallel"]{{.*}} ins(%[[GC]], %{{.*}} : tensor<?x2x4x?xf32>, tensor<2x4xf32>)
func.func @dynamic_plane_linalg_behind_reshape(%x: tensor<?x8x?x?xf32>, %r: tensor<?x8x?x?xf32>, %s: tensor<2x4xf32>, %e: tensor<?x8x?x?xf32>, %eg: tensor<?x2x4x?x?xf32>) -> tensor<?x2x4x?x?xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %sum = linalg.add ins(%x, %r : tensor<?x8x?x?xf32>, tensor<?x8x?x?xf32>) outs(%e : tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
  %n = tensor.dim %sum, %c0 : tensor<?x8x?x?xf32>
  %h = tensor.dim %sum, %c2 : tensor<?x8x?x?xf32>
  %w = tensor.dim %sum, %c3 : tensor<?x8x?x?xf32>
  %g = tensor.expand_shape %sum [[0], [1, 2], [3], [4]] output_shape [%n, 2, 4, %h, %w] : tensor<?x8x?x?xf32> into tensor<?x2x4x?x?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, g, c, h, w) -> (n, g, c, h, w)>, affine_map<(n, g, c, h, w) -> (g, c)>, affine_map<(n, g, c, h, w) -> (n, g, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%g, %s : tensor<?x2x4x?x?xf32>, tensor<2x4xf32>) outs(%eg : tensor<?x2x4x?x?xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %m = arith.mulf %in, %sc : f32
    linalg.yield %m : f32
  } -> tensor<?x2x4x?x?xf32>
  return %y : tensor<?x2x4x?x?xf32>
}

// -----

// The same with a linalg producer along the plane (a residual sum computed
// before): left alone, as the producer is; collapsed, the op would read the
// sum through a reshape, which norm-tile-and-fuse-rows does not fuse.
// CHECK-LABEL: func.func @dynamic_plane_linalg_producer(
// CHECK-NOT: tensor.collapse_shape
// CHECK: return
func.func @dynamic_plane_linalg_producer(%x: tensor<?x3x?x?xf32>, %r: tensor<?x3x?x?xf32>, %s: tensor<3xf32>, %e: tensor<?x3x?x?xf32>) -> tensor<?x3x?x?xf32> {
  %sum = linalg.add ins(%x, %r : tensor<?x3x?x?xf32>, tensor<?x3x?x?xf32>) outs(%e : tensor<?x3x?x?xf32>) -> tensor<?x3x?x?xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(n, c, h, w) -> (n, c, h, w)>, affine_map<(n, c, h, w) -> (c)>, affine_map<(n, c, h, w) -> (n, c, h, w)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%sum, %s : tensor<?x3x?x?xf32>, tensor<3xf32>) outs(%e : tensor<?x3x?x?xf32>) {
  ^bb0(%in: f32, %sc: f32, %o: f32):
    %m = arith.mulf %in, %sc : f32
    linalg.yield %m : f32
  } -> tensor<?x3x?x?xf32>
  return %y : tensor<?x3x?x?xf32>
}
