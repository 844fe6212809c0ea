// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(convert-norm-to-linalg,norm-tile-and-fuse-rows{tile-size=8}),cse)' | FileCheck %s

// The statistics as convert-norm-to-linalg writes them, tiled: groups of
// 4 MiB in 16 chunks of 256 KiB. The chunk statistics (shifted sum, mean,
// centred sum of squares) are tiled chunk by chunk, each chunk read twice
// from the same tile; the groups' tiles merge the 16 partials (Chan) and
// normalize, without reading the input for statistics again.
// CHECK-LABEL: func.func @group_norm_chunks(
// CHECK: %[[CHUNKS:.*]]:2 = scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 32, 16)
// CHECK: %[[XS:.*]] = tensor.extract_slice %{{.*}} [1, 1, 1, 65536]
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x1x1x65536xf32>, tensor<1x1x1xf32>)
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x1x1x65536xf32>, tensor<1x1x1xf32>)
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (1, 32)
// CHECK-NOT: tensor<1x1x16x65536xf32>
// CHECK: tensor.extract_slice %[[CHUNKS]]#{{[01]}}
// CHECK-NOT: tensor<1x1x16x65536xf32>
// CHECK: return
func.func @group_norm_chunks(%x: tensor<1x128x512x512xf32>) -> tensor<1x128x512x512xf32> {
  %y = norm.group_norm %x groups = 32 activation = silu : tensor<1x128x512x512xf32>
  return %y : tensor<1x128x512x512xf32>
}

// -----

// LayerNorm rows of 256 KiB: a root tile of 8 rows (2 MiB) would read its
// rows twice from memory for the statistics; they are tiled row by row
// instead (mean and centred sum of one row in one tile), and the 8-row
// tiles of the normalization read their results.
// CHECK-LABEL: func.func @layer_norm_wide_rows(
// CHECK: %[[ROWS:.*]]:2 = scf.forall (%{{.*}}) in (256)
// CHECK: %[[XS:.*]] = tensor.extract_slice %arg0[%{{.*}}, 0] [1, 65536]
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x65536xf32>, tensor<1xf32>)
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x65536xf32>, tensor<1xf32>)
// CHECK: scf.forall (%{{.*}}) = (0) to (256) step (8)
// CHECK-NOT: "reduction"]{{.*}} tensor<8x65536xf32>
// CHECK: return
func.func @layer_norm_wide_rows(%x: tensor<256x65536xf32>) -> tensor<256x65536xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<256x65536xf32>
  return %y : tensor<256x65536xf32>
}

// -----

// Rows of 64 KiB: a tile of 8 rows (512 KiB) is read again from cache, so
// the statistics stay fused into it.
// CHECK-LABEL: func.func @layer_norm_rows_in_cache(
// CHECK-NOT: scf.forall (%{{.*}}) in (256)
// CHECK: scf.forall (%{{.*}}) = (0) to (256) step (8)
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<8x16384xf32>, tensor<8xf32>)
func.func @layer_norm_rows_in_cache(%x: tensor<256x16384xf32>) -> tensor<256x16384xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<256x16384xf32>
  return %y : tensor<256x16384xf32>
}

// -----

// Group norm at batch 32 with entries of 4 MiB: 16 tiles of 2 entries
// would be enough tiles, but each would be 8 MiB, read three times from
// memory. Tiled by (2 entries, 1 group) instead (256 KiB), the statistics
// and the normalization of a tile find it in cache.
// CHECK-LABEL: func.func @group_norm_batch32(
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (32, 32) step (2, 1)
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x1x32768xf32>, tensor<2x1xf32>)
// CHECK: linalg.generic {{.*}}"reduction"]{{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x1x32768xf32>, tensor<2x1xf32>)
func.func @group_norm_batch32(%x: tensor<32x256x64x64xf32>) -> tensor<32x256x64x64xf32> {
  %y = norm.group_norm %x groups = 32 activation = silu : tensor<32x256x64x64xf32>
  return %y : tensor<32x256x64x64xf32>
}

// -----

// Channels last with a batch and image size known at run time (64 static
// channels): the partials per chunk of an entry's pixels, the chunk count
// searched at run time (the fewest chunks of at most 256 KiB that divide
// the pixels). The size of a chunk is unknown, so its shifted sum is fused
// into the tile of its centred sum of squares (the second pass finds the
// chunk in cache; unfused, each pass read the whole input from memory).
// CHECK-LABEL: func.func @batch_norm_training_nhwc_dynamic_image(
// CHECK: %[[PIXELS:.*]] = tensor.dim %[[COLLAPSED:.*]], %c1 : tensor<?x?x64xf32>
// CHECK: %[[CHUNKS:.*]] = scf.while (%[[K:.*]] = %{{.*}}) : (index) -> index {
// CHECK:   arith.remui %[[PIXELS]], %[[K]] : index
// CHECK:   scf.condition
// CHECK: %[[CHOSEN:.*]] = arith.select %{{.*}}, %[[CHUNKS]], %c1 : index
// CHECK: %[[CHUNK:.*]] = arith.divui %{{.*}}, %[[CHOSEN]] : index
// CHECK: %[[EXPANDED:.*]] = tensor.expand_shape %[[COLLAPSED]] {{\[}}[0], [1, 2], [3]] output_shape [%{{.*}}, %[[CHOSEN]], %[[CHUNK]], 64] : tensor<?x?x64xf32> into tensor<?x?x?x64xf32>
// CHECK: tensor.collapse_shape %[[EXPANDED]] {{\[}}[0, 1], [2], [3]] : tensor<?x?x?x64xf32> into tensor<?x?x64xf32>
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 64) step (1, 64) shared_outs({{.*}}, {{.*}}, {{.*}})
// CHECK: %[[XS:.*]] = tensor.extract_slice %{{.*}} [1, %{{.*}}, 64]
// CHECK: linalg.generic {{.*}}"reduction", "parallel"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x?x64xf32>, tensor<1x64xf32>)
// CHECK: linalg.generic {{.*}}"reduction", "parallel"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x?x64xf32>, tensor<1x64xf32>)
// CHECK: return
func.func @batch_norm_training_nhwc_dynamic_image(%x: tensor<?x?x?x64xf32>, %rm: tensor<64xf32>, %rv: tensor<64xf32>) -> (tensor<?x?x?x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<64xf32>) var(%rv : tensor<64xf32>) feature_axis = 3 : tensor<?x?x?x64xf32> stats(tensor<64xf32>, tensor<64xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<?x?x?x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}

// -----

// Channels and batch of run-time size (planes of 16 x 16: split into
// partials): the running statistics' updates over `?` channels read
// reductions over [N, C, H x W]; tiled (8 channels a tile), each tile
// fused, that is recomputed, the statistics over the whole batch. They stay
// whole, after the loops.
// CHECK-LABEL: func.func @batch_norm_training_dynamic(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x?x16x16xf32>, %[[RM:[^:]*]]: tensor<?xf32>, %[[RV:[^:]*]]: tensor<?xf32>)
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (8) shared_outs(%{{.*}}) -> (tensor<?x?x16x16xf32>)
// CHECK-NOT: scf.forall (
// CHECK: linalg.generic {{.*}} ins(%[[RM]], %{{.*}} : tensor<?xf32>, tensor<?xf32>)
// CHECK-NOT: scf.forall (
// CHECK: linalg.generic {{.*}} ins(%[[RV]], %{{.*}} : tensor<?xf32>, tensor<?xf32>)
// CHECK: return
func.func @batch_norm_training_dynamic(%x: tensor<?x?x16x16xf32>, %rm: tensor<?xf32>, %rv: tensor<?xf32>) -> (tensor<?x?x16x16xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<?xf32>) var(%rv : tensor<?xf32>) : tensor<?x?x16x16xf32> stats(tensor<?xf32>, tensor<?xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<?x?x16x16xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// Channels last with a dynamic batch: a tile is one batch entry (the
// dynamic loop tiled by 1) of 256 KiB, read again from cache, so the
// shifted sum is fused into the centred sum's tile (it was not: the
// dynamic batch made the tile's size count as unknown; 1.2x the time of
// the static code).
// CHECK-LABEL: func.func @batch_norm_training_nhwc_dynamic_batch(
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%{{.*}}, 64) step (1, 64) shared_outs({{.*}}, {{.*}}, {{.*}})
// CHECK: %[[XS:.*]] = tensor.extract_slice %{{.*}} [1, 1024, 64]
// CHECK: linalg.generic {{.*}}"reduction", "parallel"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x1024x64xf32>, tensor<1x64xf32>)
// CHECK: linalg.generic {{.*}}"reduction", "parallel"]{{.*}} ins(%[[XS]], %{{.*}} : tensor<1x1024x64xf32>, tensor<1x64xf32>)
// CHECK: return
func.func @batch_norm_training_nhwc_dynamic_batch(%x: tensor<?x32x32x64xf32>, %rm: tensor<64xf32>, %rv: tensor<64xf32>) -> (tensor<?x32x32x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %y, %sm, %sr, %nm, %nv = norm.batch_norm_training %x mean(%rm : tensor<64xf32>) var(%rv : tensor<64xf32>) feature_axis = 3 : tensor<?x32x32x64xf32> stats(tensor<64xf32>, tensor<64xf32>)
  return %y, %sm, %sr, %nm, %nv : tensor<?x32x32x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}
