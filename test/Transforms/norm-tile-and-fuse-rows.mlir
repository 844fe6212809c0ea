// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8}),cse)' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=0}))' | FileCheck %s --check-prefix=NOTILE

// NOTILE-LABEL: func.func @center(
// NOTILE-NOT: scf.forall
// NOTILE: return

// Row sum, then a broadcast subtract: one scf.forall over 8-row tiles with
// the fill and the reduction fused into it; the reduction is computed once.
// CHECK-LABEL: func.func @center(
// CHECK: %[[R:.*]] = scf.forall (%[[I:.*]]) = (0) to (%{{.*}}) step (8) shared_outs(%[[O:.*]] = %arg1)
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0[%[[I]], 0]
// CHECK: linalg.fill
// CHECK: %[[S:.*]] = linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[X]]
// CHECK-NOT: linalg.generic {{.*}}["parallel", "reduction"]
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}["parallel", "parallel"]{{.*}} ins(%[[X]], %[[S]]
// CHECK: tensor.parallel_insert_slice %[[Y]] into %[[O]][%[[I]], 0]
// CHECK: return %[[R]]
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @center(%x: tensor<?x?xf32>, %out: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
  %e = tensor.empty(%rows) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x?xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<?x?xf32>, tensor<?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Only the first parallel dimension is tiled, whatever its position among
// the loops; the reduction dimensions stay whole. A loop of 64 gets tiles
// of 4 (64 / 16), not 8, so that 16 tiles can be shared among threads.
// CHECK-LABEL: func.func @columns(
// CHECK: scf.forall (%[[J:.*]]) = (0) to (64) step (4)
// CHECK: tensor.extract_slice %arg0[0, %[[J]]] [128, 4] [1, 1]
// CHECK: linalg.generic {{.*}}["reduction", "parallel"]
// CHECK-SAME: ins(%{{.*}} : tensor<128x4xf32>)
#x = affine_map<(d0, d1) -> (d0, d1)>
#c = affine_map<(d0, d1) -> (d1)>
func.func @columns(%x: tensor<128x64xf32>, %init: tensor<64xf32>) -> tensor<64xf32> {
  %s = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<128x64xf32>) outs(%init : tensor<64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<64xf32>
  return %s : tensor<64xf32>
}

// -----

// A root without a parallel dimension is left alone.
// CHECK-LABEL: func.func @full_reduction(
// CHECK-NOT: scf.forall
// CHECK: linalg.generic {{.*}}["reduction"]
// CHECK-NOT: scf.forall
// CHECK: return
#x = affine_map<(d0) -> (d0)>
#s = affine_map<(d0) -> ()>
func.func @full_reduction(%x: tensor<?xf32>, %init: tensor<f32>) -> tensor<f32> {
  %s = linalg.generic {indexing_maps = [#x, #s], iterator_types = ["reduction"]}
      ins(%x : tensor<?xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// A producer shared by two roots is fused into both loops (computed twice).
// CHECK-LABEL: func.func @shared_producer(
// CHECK: scf.forall
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: scf.forall
// CHECK: math.exp
// CHECK: arith.mulf
#x = affine_map<(d0, d1) -> (d0, d1)>
func.func @shared_producer(%x: tensor<16x4xf32>, %o1: tensor<16x4xf32>,
                           %o2: tensor<16x4xf32>)
    -> (tensor<16x4xf32>, tensor<16x4xf32>) {
  %e = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<16x4xf32>) outs(%o1 : tensor<16x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<16x4xf32>
  %r1 = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<16x4xf32>) outs(%o1 : tensor<16x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<16x4xf32>
  %r2 = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%e : tensor<16x4xf32>) outs(%o2 : tensor<16x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<16x4xf32>
  return %r1, %r2 : tensor<16x4xf32>, tensor<16x4xf32>
}

// -----

// Batch-norm statistics: the per-channel sum over (N, H, W) is read whole by
// every row tile of the normalization, so it is not fused; it runs in its own
// scf.forall, one channel per iteration (NCHW: channels are not contiguous),
// before the row tiles (batch of 4: tiles of 1).
// CHECK-LABEL: func.func @batch_statistics(
// CHECK: %[[SUM:.*]] = scf.forall (%[[C:.*]]) in (16) shared_outs(%{{.*}} = %arg1)
// CHECK: tensor.extract_slice %arg0[0, %[[C]], 0, 0] [4, 1, 8, 8] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}}["reduction", "parallel", "reduction", "reduction"]
// CHECK: scf.forall (%[[N:.*]]) in (4)
// CHECK: tensor.extract_slice %[[SUM]][0] [16] [1]
#x = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
func.func @batch_statistics(%x: tensor<4x16x8x8xf32>, %init: tensor<16xf32>,
                            %out: tensor<4x16x8x8xf32>) -> tensor<4x16x8x8xf32> {
  %s = linalg.generic {indexing_maps = [#x, #ch],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<4x16x8x8xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<16xf32>
  %y = linalg.generic {indexing_maps = [#x, #ch, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<4x16x8x8xf32>, tensor<16xf32>) outs(%out : tensor<4x16x8x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<4x16x8x8xf32>
  return %y : tensor<4x16x8x8xf32>
}

// -----

// NHWC statistics: the channel loop walks the contiguous dimension, so it is
// tiled by a cache line (16 f32) and no two threads share one.
// CHECK-LABEL: func.func @channels_last_statistics(
// CHECK: scf.forall (%[[C:.*]]) = (0) to (64) step (16)
// CHECK: tensor.extract_slice %arg0[0, 0, 0, %[[C]]] [2, 4, 4, 16] [1, 1, 1, 1]
#x = affine_map<(n, h, w, c) -> (n, h, w, c)>
#ch = affine_map<(n, h, w, c) -> (c)>
func.func @channels_last_statistics(%x: tensor<2x4x4x64xf32>, %init: tensor<64xf32>,
                                    %out: tensor<2x4x4x64xf32>) -> tensor<2x4x4x64xf32> {
  %s = linalg.generic {indexing_maps = [#x, #ch],
                       iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%x : tensor<2x4x4x64xf32>) outs(%init : tensor<64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<64xf32>
  %y = linalg.generic {indexing_maps = [#x, #ch, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<2x4x4x64xf32>, tensor<64xf32>) outs(%out : tensor<2x4x4x64xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<2x4x4x64xf32>
  return %y : tensor<2x4x4x64xf32>
}

// -----

// A small root reading a reduction (a running-mean update over 16 channels)
// is not tiled, so the batch sum is not recomputed in its tiles: it is
// computed once, in its own scf.forall over channels.
// CHECK-LABEL: func.func @running_update(
// CHECK: %[[SUM:.*]] = scf.forall (%{{.*}}) in (16)
// CHECK: linalg.generic {{.*}}["reduction", "parallel", "reduction", "reduction"]
// CHECK: scf.forall.in_parallel
// CHECK-NOT: scf.forall
// CHECK: linalg.generic {{.*}}["parallel"]{{.*}} ins(%[[SUM]], %arg2 : tensor<16xf32>, tensor<16xf32>)
// CHECK-NOT: scf.forall
// CHECK: return
#x = affine_map<(n, c, h, w) -> (n, c, h, w)>
#ch = affine_map<(n, c, h, w) -> (c)>
#v = affine_map<(c) -> (c)>
func.func @running_update(%x: tensor<4x16x8x8xf32>, %init: tensor<16xf32>,
                          %running: tensor<16xf32>, %out: tensor<16xf32>) -> tensor<16xf32> {
  %s = linalg.generic {indexing_maps = [#x, #ch],
                       iterator_types = ["reduction", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<4x16x8x8xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<16xf32>
  %r = linalg.generic {indexing_maps = [#v, #v, #v], iterator_types = ["parallel"]}
      ins(%s, %running : tensor<16xf32>, tensor<16xf32>) outs(%out : tensor<16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<16xf32>
  return %r : tensor<16xf32>
}
