// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8}),cse)' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8 column-tile-bytes=1024}),cse)' | FileCheck %s --check-prefix=BYTES
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8 column-tile-bytes=0}),cse)' | FileCheck %s --check-prefix=ROWS
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8},canonicalize,cse,norm-vectorize-row-outputs{vector-size=16}))' | FileCheck %s --check-prefix=VEC

// Column tiles of norm-tile-and-fuse-rows: statistics per pixel, reduced
// over the channels above it (RMSNorm over the channels of [N, C, H*W], as
// convert-norm-to-linalg lowers it), and their vectorization by
// norm-vectorize-row-outputs.

// The root reads rstd indexed by (n, pixel): besides the batch entries, the
// pixels are tiled, by the largest of 1, 2 or 4 lines (16, 32, 64 f32) that
// divides 256 and spans at most column-tile-bytes over the 8 channels
// (64 x 8 x 4 = 2 KiB); the sum of squares and rstd are fused per tile.
// CHECK-LABEL: func.func @rms_channels(
// CHECK: scf.forall (%[[N:.*]], %[[P:.*]]) = (0, 0) to (2, 256) step (1, 64)
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0[%[[N]], 0, %[[P]]] [1, 8, 64] [1, 1, 1]
// CHECK: linalg.fill
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[X]] : tensor<1x8x64xf32>) outs(%{{.*}} : tensor<1x64xf32>)
// CHECK: linalg.generic {{.*}}ins(%[[X]], %{{.*}}, %{{.*}} : tensor<1x8x64xf32>, tensor<1x64xf32>, tensor<8xf32>)
// CHECK: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[N]], 0, %[[P]]] [1, 8, 64]
// At most 1 KiB over the channels: 32 pixels.
// BYTES-LABEL: func.func @rms_channels(
// BYTES: scf.forall ({{.*}}) = (0, 0) to (2, 256) step (1, 32)
// BYTES: tensor.extract_slice %arg0[{{.*}}] [1, 8, 32] [1, 1, 1]
// Without column tiles: one tile a batch entry.
// ROWS-LABEL: func.func @rms_channels(
// ROWS: scf.forall (%{{.*}}) in (2)
// ROWS: tensor.extract_slice %arg0[{{.*}}] [1, 8, 256] [1, 1, 1]
// The sum of squares of a column tile: one loop over the channels carrying
// a vector of the tile's 64 sums (summed in the same order as the scalar
// loop), the rstd and the output as before.
// VEC-LABEL: func.func @rms_channels(
// VEC: scf.forall
// VEC: %[[SUMS:.*]] = scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<64xf32>)
// VEC:   %[[V:.*]] = vector.transfer_read %{{.*}} : tensor<1x1x64xf32>, vector<64xf32>
// VEC:   %[[SQ:.*]] = arith.mulf %[[V]], %[[V]] : vector<64xf32>
// VEC:   %[[NEXT:.*]] = arith.addf %[[ACC]], %[[SQ]] : vector<64xf32>
// VEC:   scf.yield %[[NEXT]] : vector<64xf32>
// VEC: vector.transfer_write %[[SUMS]], %{{.*}} : vector<64xf32>, tensor<1x64xf32>
func.func @rms_channels(%arg0: tensor<2x8x256xf32>, %arg1: tensor<8xf32>) -> tensor<2x8x256xf32> {
  %cst = arith.constant 9.99999997E-7 : f32
  %cst_0 = arith.constant 0.000000e+00 : f32
  %cst_1 = arith.constant 8.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x256xf32>
  %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<2x256xf32>) -> tensor<2x256xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<2x8x256xf32>) outs(%1 : tensor<2x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.mulf %in, %in : f32
    %8 = arith.addf %out, %7 : f32
    linalg.yield %8 : f32
  } -> tensor<2x256xf32>
  %3 = tensor.empty() : tensor<2x256xf32>
  %4 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%2 : tensor<2x256xf32>) outs(%3 : tensor<2x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.divf %in, %cst_1 : f32
    %8 = arith.addf %7, %cst : f32
    %9 = math.rsqrt %8 : f32
    linalg.yield %9 : f32
  } -> tensor<2x256xf32>
  %5 = tensor.empty() : tensor<2x8x256xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %4, %arg1 : tensor<2x8x256xf32>, tensor<2x256xf32>, tensor<8xf32>) outs(%5 : tensor<2x8x256xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32):
    %7 = arith.mulf %in, %in_2 : f32
    %8 = arith.mulf %7, %in_3 : f32
    linalg.yield %8 : f32
  } -> tensor<2x8x256xf32>
  return %6 : tensor<2x8x256xf32>
}

// -----

// 768 channels (ConvNeXt's last stage): still 4 lines, 64 pixels a tile
// (768 x 64 x 4 = 192 KiB, within the default 1 MiB). Tiles of one line of
// each channel row (16 pixels, what a 64 KiB limit gave) took twice the
// time.
// CHECK-LABEL: func.func @rms_many_channels(
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (2, 256) step (1, 64)
// CHECK: tensor.extract_slice %arg0[%{{.*}}, 0, %{{.*}}] [1, 768, 64] [1, 1, 1]
func.func @rms_many_channels(%arg0: tensor<2x768x256xf32>, %arg1: tensor<768xf32>) -> tensor<2x768x256xf32> {
  %cst = arith.constant 9.99999997E-7 : f32
  %cst_0 = arith.constant 0.000000e+00 : f32
  %cst_1 = arith.constant 7.680000e+02 : f32
  %0 = tensor.empty() : tensor<2x256xf32>
  %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<2x256xf32>) -> tensor<2x256xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<2x768x256xf32>) outs(%1 : tensor<2x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.mulf %in, %in : f32
    %8 = arith.addf %out, %7 : f32
    linalg.yield %8 : f32
  } -> tensor<2x256xf32>
  %3 = tensor.empty() : tensor<2x256xf32>
  %4 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%2 : tensor<2x256xf32>) outs(%3 : tensor<2x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.divf %in, %cst_1 : f32
    %8 = arith.addf %7, %cst : f32
    %9 = math.rsqrt %8 : f32
    linalg.yield %9 : f32
  } -> tensor<2x256xf32>
  %5 = tensor.empty() : tensor<2x768x256xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %4, %arg1 : tensor<2x768x256xf32>, tensor<2x256xf32>, tensor<768xf32>) outs(%5 : tensor<2x768x256xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32):
    %7 = arith.mulf %in, %in_2 : f32
    %8 = arith.mulf %7, %in_3 : f32
    linalg.yield %8 : f32
  } -> tensor<2x768x256xf32>
  return %6 : tensor<2x768x256xf32>
}

// -----

// 200 pixels: no line (16 f32) divides them, and a partial tile would have
// dynamic sizes: no column tiles.
// CHECK-LABEL: func.func @rms_channels_ragged(
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: tensor.extract_slice %arg0[{{.*}}] [1, 8, 200] [1, 1, 1]
func.func @rms_channels_ragged(%arg0: tensor<2x8x200xf32>, %arg1: tensor<8xf32>) -> tensor<2x8x200xf32> {
  %cst = arith.constant 9.99999997E-7 : f32
  %cst_0 = arith.constant 0.000000e+00 : f32
  %cst_1 = arith.constant 8.000000e+00 : f32
  %0 = tensor.empty() : tensor<2x200xf32>
  %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<2x200xf32>) -> tensor<2x200xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<2x8x200xf32>) outs(%1 : tensor<2x200xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.mulf %in, %in : f32
    %8 = arith.addf %out, %7 : f32
    linalg.yield %8 : f32
  } -> tensor<2x200xf32>
  %3 = tensor.empty() : tensor<2x200xf32>
  %4 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%2 : tensor<2x200xf32>) outs(%3 : tensor<2x200xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.divf %in, %cst_1 : f32
    %8 = arith.addf %7, %cst : f32
    %9 = math.rsqrt %8 : f32
    linalg.yield %9 : f32
  } -> tensor<2x200xf32>
  %5 = tensor.empty() : tensor<2x8x200xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %4, %arg1 : tensor<2x8x200xf32>, tensor<2x200xf32>, tensor<8xf32>) outs(%5 : tensor<2x8x200xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32):
    %7 = arith.mulf %in, %in_2 : f32
    %8 = arith.mulf %7, %in_3 : f32
    linalg.yield %8 : f32
  } -> tensor<2x8x200xf32>
  return %6 : tensor<2x8x200xf32>
}

// -----

// Dynamic batch and pixel counts: rows of 8, column tiles of 4 lines (64
// f32; the channels are static, 8 x 64 x 4 = 2 KiB), the partial tiles left
// to norm-peel-partial-row-tiles.
// CHECK-LABEL: func.func @rms_channels_dynamic(
// CHECK: scf.forall (%[[N:.*]], %[[P:.*]]) = (0, 0) to (%{{.*}}, %{{.*}}) step (8, 64) shared_outs
// CHECK: tensor.extract_slice %arg0[%[[N]], 0, %[[P]]] [%{{.*}}, 8, %{{.*}}] [1, 1, 1] : tensor<?x8x?xf32> to tensor<?x8x?xf32>
func.func @rms_channels_dynamic(%arg0: tensor<?x8x?xf32>, %arg1: tensor<8xf32>) -> tensor<?x8x?xf32> {
  %cst = arith.constant 9.99999997E-7 : f32
  %cst_0 = arith.constant 0.000000e+00 : f32
  %cst_1 = arith.constant 8.000000e+00 : f32
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %n = tensor.dim %arg0, %c0 : tensor<?x8x?xf32>
  %p = tensor.dim %arg0, %c2 : tensor<?x8x?xf32>
  %0 = tensor.empty(%n, %p) : tensor<?x?xf32>
  %1 = linalg.fill ins(%cst_0 : f32) outs(%0 : tensor<?x?xf32>) -> tensor<?x?xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>], iterator_types = ["parallel", "reduction", "parallel"]} ins(%arg0 : tensor<?x8x?xf32>) outs(%1 : tensor<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.mulf %in, %in : f32
    %8 = arith.addf %out, %7 : f32
    linalg.yield %8 : f32
  } -> tensor<?x?xf32>
  %3 = tensor.empty(%n, %p) : tensor<?x?xf32>
  %4 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%2 : tensor<?x?xf32>) outs(%3 : tensor<?x?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %7 = arith.divf %in, %cst_1 : f32
    %8 = arith.addf %7, %cst : f32
    %9 = math.rsqrt %8 : f32
    linalg.yield %9 : f32
  } -> tensor<?x?xf32>
  %5 = tensor.empty(%n, %p) : tensor<?x8x?xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg0, %4, %arg1 : tensor<?x8x?xf32>, tensor<?x?xf32>, tensor<8xf32>) outs(%5 : tensor<?x8x?xf32>) {
  ^bb0(%in: f32, %in_2: f32, %in_3: f32, %out: f32):
    %7 = arith.mulf %in, %in_2 : f32
    %8 = arith.mulf %7, %in_3 : f32
    linalg.yield %8 : f32
  } -> tensor<?x8x?xf32>
  return %6 : tensor<?x8x?xf32>
}
