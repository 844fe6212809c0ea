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
// before the row tiles (batch of 4: tiles of 1). Each iteration sums into a
// private tensor, copied in from and out to its slice of the result.
// CHECK-LABEL: func.func @batch_statistics(
// CHECK: %[[SUM:.*]] = scf.forall (%[[C:.*]]) in (16) shared_outs(%[[ACC:.*]] = %arg1)
// CHECK: %[[XS:.*]] = tensor.extract_slice %arg0[0, %[[C]], 0, 0] [4, 1, 8, 8] [1, 1, 1, 1]
// CHECK: %[[PART:.*]] = tensor.extract_slice %[[ACC]][%[[C]]] [1] [1]
// CHECK: %[[LOCAL:.*]] = bufferization.alloc_tensor() : tensor<1xf32>
// CHECK: %[[IN:.*]] = linalg.copy ins(%[[PART]] : tensor<1xf32>) outs(%[[LOCAL]] : tensor<1xf32>)
// CHECK: %[[S:.*]] = linalg.generic {{.*}}["reduction", "parallel", "reduction", "reduction"]{{.*}} ins(%[[XS]] : tensor<4x1x8x8xf32>) outs(%[[IN]] : tensor<1xf32>)
// CHECK: %[[OUT:.*]] = linalg.copy ins(%[[S]] : tensor<1xf32>) outs(%[[PART]] : tensor<1xf32>)
// CHECK: tensor.parallel_insert_slice %[[OUT]] into %[[ACC]][%[[C]]] [1] [1]
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
// tiled by four cache lines (64 f32) and no two threads share one.
// CHECK-LABEL: func.func @channels_last_statistics(
// CHECK: scf.forall (%[[C:.*]]) = (0) to (512) step (64)
// CHECK: tensor.extract_slice %arg0[0, 0, 0, %[[C]]] [2, 4, 4, 64] [1, 1, 1, 1]
#x = affine_map<(n, h, w, c) -> (n, h, w, c)>
#ch = affine_map<(n, h, w, c) -> (c)>
func.func @channels_last_statistics(%x: tensor<2x4x4x512xf32>, %init: tensor<512xf32>,
                                    %out: tensor<2x4x4x512xf32>) -> tensor<2x4x4x512xf32> {
  %s = linalg.generic {indexing_maps = [#x, #ch],
                       iterator_types = ["reduction", "reduction", "reduction", "parallel"]}
      ins(%x : tensor<2x4x4x512xf32>) outs(%init : tensor<512xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<512xf32>
  %y = linalg.generic {indexing_maps = [#x, #ch, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<2x4x4x512xf32>, tensor<512xf32>) outs(%out : tensor<2x4x4x512xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<2x4x4x512xf32>
  return %y : tensor<2x4x4x512xf32>
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

// -----

// Two roots of 2048 channels (too many to be left untiled) read one
// per-channel sum, as batch-norm training's running-mean and
// running-variance updates do: neither fuses it, since each would compute
// it again. It is computed once, in its own scf.forall over channels, and
// the roots read its slices. A channel of a batch entry is 49 x 4 = 196
// contiguous bytes, too short a run: the sum's tiles take 16 channels
// (3136 bytes a batch entry, 128 tiles).
// CHECK-LABEL: func.func @shared_reduction(
// CHECK: %[[SUM:.*]] = scf.forall (%{{.*}}) = (0) to (2048) step (16)
// CHECK: linalg.generic {{.*}}["reduction", "parallel", "reduction"]
// CHECK: scf.forall.in_parallel
// CHECK: scf.forall (%[[I:.*]]) = (0) to (2048) step (8)
// CHECK-NOT: "reduction"
// CHECK: tensor.extract_slice %[[SUM]][%[[I]]] [8] [1]
// CHECK-NOT: "reduction"
// CHECK: scf.forall (%[[J:.*]]) = (0) to (2048) step (8)
// CHECK-NOT: "reduction"
// CHECK: tensor.extract_slice %[[SUM]][%[[J]]] [8] [1]
// CHECK-NOT: "reduction"
// CHECK: return
#x = affine_map<(n, c, p) -> (n, c, p)>
#ch = affine_map<(n, c, p) -> (c)>
#v = affine_map<(c) -> (c)>
func.func @shared_reduction(%x: tensor<4x2048x49xf32>, %init: tensor<2048xf32>,
                            %o1: tensor<2048xf32>, %o2: tensor<2048xf32>)
    -> (tensor<2048xf32>, tensor<2048xf32>) {
  %s = linalg.generic {indexing_maps = [#x, #ch],
                       iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : tensor<4x2048x49xf32>) outs(%init : tensor<2048xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<2048xf32>
  %r1 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%s : tensor<2048xf32>) outs(%o1 : tensor<2048xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<2048xf32>
  %r2 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%s : tensor<2048xf32>) outs(%o2 : tensor<2048xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<2048xf32>
  return %r1, %r2 : tensor<2048xf32>, tensor<2048xf32>
}

// -----

// As @shared_reduction with 14 x 14 = 196 pixels: 784 contiguous bytes a
// channel and batch entry, long enough; one channel a tile.
// CHECK-LABEL: func.func @shared_reduction_long_runs(
// CHECK: scf.forall (%{{.*}}) in (2048)
// CHECK: linalg.generic {{.*}}["reduction", "parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<4x1x196xf32>)
#x = affine_map<(n, c, p) -> (n, c, p)>
#ch = affine_map<(n, c, p) -> (c)>
#v = affine_map<(c) -> (c)>
func.func @shared_reduction_long_runs(%x: tensor<4x2048x196xf32>,
                                      %init: tensor<2048xf32>,
                                      %o1: tensor<2048xf32>,
                                      %o2: tensor<2048xf32>)
    -> (tensor<2048xf32>, tensor<2048xf32>) {
  %s = linalg.generic {indexing_maps = [#x, #ch],
                       iterator_types = ["reduction", "parallel", "reduction"]}
      ins(%x : tensor<4x2048x196xf32>) outs(%init : tensor<2048xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<2048xf32>
  %r1 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%s : tensor<2048xf32>) outs(%o1 : tensor<2048xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<2048xf32>
  %r2 = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%s : tensor<2048xf32>) outs(%o2 : tensor<2048xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<2048xf32>
  return %r1, %r2 : tensor<2048xf32>, tensor<2048xf32>
}

// -----

// Residual + RMSNorm: the sum `h = x + r` is returned and read by both the
// sum of squares and the normalization. The loop computes it once per tile
// (the copy fused for the second reader is merged into the first) and
// yields it as a second result; nothing computes it outside the loop.
// CHECK-LABEL: func.func @residual_sum(
// CHECK-NOT: arith.addf
// CHECK: %[[R:.*]]:2 = scf.forall (%[[I:.*]]) = (0) to (128) step (8) shared_outs(%[[Y:.*]] = %arg3, %[[HO:.*]] = %{{.*}})
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0[%[[I]], 0]
// CHECK: %[[RES:.*]] = tensor.extract_slice %arg1[%[[I]], 0]
// CHECK: %[[HT:.*]] = tensor.extract_slice %[[HO]][%[[I]], 0]
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[RES]] : {{.*}}) outs(%[[HT]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK-NOT: arith.addf
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[H]] :
// CHECK: %[[N:.*]] = linalg.generic {{.*}}["parallel", "parallel"]{{.*}} ins(%[[H]], %[[SS]] :
// CHECK: scf.forall.in_parallel
// CHECK-DAG: tensor.parallel_insert_slice %[[N]] into %[[Y]][%[[I]], 0]
// CHECK-DAG: tensor.parallel_insert_slice %[[H]] into %[[HO]][%[[I]], 0]
// CHECK-NOT: arith.addf
// CHECK: bufferization.materialize_in_destination %[[R]]#1 in %arg2
// CHECK: return %[[R]]#0, %{{.*}}
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @residual_sum(%x: tensor<128x8xf32>, %res: tensor<128x8xf32>,
                        %hout: tensor<128x8xf32>, %out: tensor<128x8xf32>)
    -> (tensor<128x8xf32>, tensor<128x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %eh = tensor.empty() : tensor<128x8xf32>
  %h = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<128x8xf32>, tensor<128x8xf32>) outs(%eh : tensor<128x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  %e = tensor.empty() : tensor<128xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<128xf32>) -> tensor<128xf32>
  %ss = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%h : tensor<128x8xf32>) outs(%z : tensor<128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %v = arith.addf %sq, %acc : f32
    linalg.yield %v : f32
  } -> tensor<128xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%h, %ss : tensor<128x8xf32>, tensor<128xf32>) outs(%out : tensor<128x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.mulf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  %hr = bufferization.materialize_in_destination %h in %hout : (tensor<128x8xf32>, tensor<128x8xf32>) -> tensor<128x8xf32>
  return %y, %hr : tensor<128x8xf32>, tensor<128x8xf32>
}

// -----

// The same with a dynamic row count (tokens at run time): the partial last
// tile makes the row slices dynamic, `affine.min` rows; the copy of the sum
// is still merged (its init has the same rows, which value bounds prove),
// and the loop bounds read the sizes of the inits, so nothing untiled is
// left (the whole sum and its sum of squares, tiled on their own).
// CHECK-LABEL: func.func @residual_sum_dynamic_rows(
// CHECK-NOT: linalg.generic
// CHECK: %[[R:.*]]:2 = scf.forall (%[[I:.*]]) = (0) to (%{{.*}}) step (8) shared_outs(%[[Y:.*]] = %arg3, %[[HO:.*]] = %{{.*}})
// CHECK: %[[H:.*]] = linalg.generic
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK-NOT: arith.addf
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[H]] :
// CHECK: %[[N:.*]] = linalg.generic {{.*}}["parallel", "parallel"]{{.*}} ins(%[[H]], %[[SS]] :
// CHECK: scf.forall.in_parallel
// CHECK-DAG: tensor.parallel_insert_slice %[[N]] into %[[Y]][%[[I]], 0]
// CHECK-DAG: tensor.parallel_insert_slice %[[H]] into %[[HO]][%[[I]], 0]
// CHECK-NOT: linalg.generic
// CHECK: return
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @residual_sum_dynamic_rows(%x: tensor<?x8xf32>, %res: tensor<?x8xf32>,
                                     %hout: tensor<?x8xf32>, %out: tensor<?x8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %eh = tensor.empty(%n) : tensor<?x8xf32>
  %h = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<?x8xf32>, tensor<?x8xf32>) outs(%eh : tensor<?x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %ss = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%h : tensor<?x8xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %v = arith.addf %sq, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%h, %ss : tensor<?x8xf32>, tensor<?xf32>) outs(%out : tensor<?x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.mulf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<?x8xf32>
  %hr = bufferization.materialize_in_destination %h in %hout : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y, %hr : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Every size dynamic: the copy fused for the sum of squares slices the sum
// with the row length read off its `tensor.empty` (`tensor.dim %eh, 1`), the
// other with the input's; value bounds prove the slices equal, and the copy
// is merged (before, each tile computed the sum twice: with the rows
// vectorized, 55 against 22 ms for residual + RMSNorm [8192, 4096] f32,
// 2 threads).
// CHECK-LABEL: func.func @residual_sum_dynamic_length(
// CHECK: scf.forall
// CHECK: %[[H:.*]] = linalg.generic
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK-NOT: arith.addf
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[H]] :
// CHECK: linalg.generic {{.*}}["parallel", "parallel"]{{.*}} ins(%[[H]], %[[SS]] :
// CHECK: scf.forall.in_parallel
// CHECK: return
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @residual_sum_dynamic_length(%x: tensor<?x?xf32>, %res: tensor<?x?xf32>,
                                     %hout: tensor<?x?xf32>, %out: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c0 : tensor<?x?xf32>
  %m = tensor.dim %x, %c1 : tensor<?x?xf32>
  %eh = tensor.empty(%n, %m) : tensor<?x?xf32>
  %h = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<?x?xf32>, tensor<?x?xf32>) outs(%eh : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %ss = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%h : tensor<?x?xf32>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %sq = arith.mulf %a, %a : f32
    %v = arith.addf %sq, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%h, %ss : tensor<?x?xf32>, tensor<?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.mulf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  %hr = bufferization.materialize_in_destination %h in %hout : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y, %hr : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// A returned producer that every tile reads whole (dynamic sizes hide that
// the slice is whole, so it is fused) is not yielded: the tiles would all
// insert the whole vector. It is returned from its computation before the
// loop.
// CHECK-LABEL: func.func @whole_producer(
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: %[[R:.*]] = scf.forall {{.*}} shared_outs(%{{.*}} = %arg2) -> (tensor<?x?xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice
// CHECK-NEXT: }
// CHECK: return %[[R]], %[[S]]
#x = affine_map<(d0, d1) -> (d0, d1)>
#c = affine_map<(d0, d1) -> (d1)>
#v = affine_map<(d0) -> (d0)>
func.func @whole_producer(%x: tensor<?x?xf32>, %w: tensor<?xf32>, %out: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %w, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %s = linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%w : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %a : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#x, #c, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<?x?xf32>, tensor<?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.mulf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<?x?xf32>
  return %y, %s : tensor<?x?xf32>, tensor<?xf32>
}

// -----

// GroupNorm: a batch of 4 alone gives fewer than 16 tiles, and the root
// reads statistics indexed by (entry, group), so the group loop is tiled by
// 1 too: one tile per (entry, group), its statistics fused into it.
// CHECK-LABEL: func.func @group_statistics(
// CHECK: scf.forall (%[[N:.*]], %[[G:.*]]) in (4, 8)
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0[%[[N]], %[[G]], 0, 0] [1, 1, 4, 16] [1, 1, 1, 1]
// CHECK: linalg.fill
// CHECK: %[[S:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction", "reduction"]{{.*}} ins(%[[X]] : tensor<1x1x4x16xf32>)
// CHECK: linalg.generic {{.*}}["parallel", "parallel", "parallel", "parallel"]{{.*}} ins(%[[X]], %[[S]] : tensor<1x1x4x16xf32>, tensor<1x1xf32>)
#x = affine_map<(n, g, c, s) -> (n, g, c, s)>
#st = affine_map<(n, g, c, s) -> (n, g)>
func.func @group_statistics(%x: tensor<4x8x4x16xf32>, %out: tensor<4x8x4x16xf32>) -> tensor<4x8x4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#x, #st],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<4x8x4x16xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [#x, #st, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<4x8x4x16xf32>, tensor<4x8xf32>) outs(%out : tensor<4x8x4x16xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<4x8x4x16xf32>
  return %y : tensor<4x8x4x16xf32>
}

// -----

// GroupNorm with a dynamic batch whose entries are large (32 groups of
// 8 x 4096 f32: 4 MiB an entry): one tile per (entry, group), as a short
// static batch gets, not 8 entries (32 MiB) per tile.
// CHECK-LABEL: func.func @group_statistics_dynamic_batch(
// CHECK: %[[N:.*]] = tensor.dim %arg0, %c0
// CHECK: scf.forall (%[[E:.*]], %[[G:.*]]) in (%[[N]], 32) shared_outs(%{{.*}} = %arg1)
// CHECK: tensor.extract_slice %arg0[%[[E]], %[[G]], 0, 0] [1, 1, 8, 4096] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}}["parallel", "parallel", "reduction", "reduction"]
#x = affine_map<(n, g, c, s) -> (n, g, c, s)>
#st = affine_map<(n, g, c, s) -> (n, g)>
func.func @group_statistics_dynamic_batch(%x: tensor<?x32x8x4096xf32>, %out: tensor<?x32x8x4096xf32>) -> tensor<?x32x8x4096xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x32x8x4096xf32>
  %e = tensor.empty(%n) : tensor<?x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %s = linalg.generic {indexing_maps = [#x, #st],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x32x8x4096xf32>) outs(%init : tensor<?x32xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?x32xf32>
  %y = linalg.generic {indexing_maps = [#x, #st, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<?x32x8x4096xf32>, tensor<?x32xf32>) outs(%out : tensor<?x32x8x4096xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<?x32x8x4096xf32>
  return %y : tensor<?x32x8x4096xf32>
}

// -----

// The same with small entries (2 KiB): 8 entries per tile, groups whole.
// CHECK-LABEL: func.func @group_statistics_dynamic_batch_small(
// CHECK: scf.forall (%[[E:.*]]) = (0) to (%{{.*}}) step (8) shared_outs(%{{.*}} = %arg1)
// CHECK: %[[SIZE:.*]] = affine.min
// CHECK: tensor.extract_slice %arg0[%[[E]], 0, 0, 0] [%[[SIZE]], 8, 4, 16] [1, 1, 1, 1]
#x = affine_map<(n, g, c, s) -> (n, g, c, s)>
#st = affine_map<(n, g, c, s) -> (n, g)>
func.func @group_statistics_dynamic_batch_small(%x: tensor<?x8x4x16xf32>, %out: tensor<?x8x4x16xf32>) -> tensor<?x8x4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8x4x16xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %s = linalg.generic {indexing_maps = [#x, #st],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x8x4x16xf32>) outs(%init : tensor<?x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?x8xf32>
  %y = linalg.generic {indexing_maps = [#x, #st, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<?x8x4x16xf32>, tensor<?x8xf32>) outs(%out : tensor<?x8x4x16xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<?x8x4x16xf32>
  return %y : tensor<?x8x4x16xf32>
}

// -----

// Every size dynamic (the norm_mlir.ops functions): the bytes of an entry
// are unknown, so groups are tiled too.
// CHECK-LABEL: func.func @group_statistics_dynamic(
// CHECK: scf.forall (%[[E:.*]], %[[G:.*]]) in (%{{.*}}, 8) shared_outs(%{{.*}} = %arg1)
// CHECK: tensor.extract_slice %arg0[%[[E]], %[[G]], 0, 0] [1, 1, %{{.*}}, %{{.*}}] [1, 1, 1, 1]
#x = affine_map<(n, g, c, s) -> (n, g, c, s)>
#st = affine_map<(n, g, c, s) -> (n, g)>
func.func @group_statistics_dynamic(%x: tensor<?x8x?x?xf32>, %out: tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8x?x?xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %s = linalg.generic {indexing_maps = [#x, #st],
                       iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : tensor<?x8x?x?xf32>) outs(%init : tensor<?x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?x8xf32>
  %y = linalg.generic {indexing_maps = [#x, #st, #x],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : tensor<?x8x?x?xf32>, tensor<?x8xf32>) outs(%out : tensor<?x8x?x?xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<?x8x?x?xf32>
  return %y : tensor<?x8x?x?xf32>
}

// -----

// Few rows whose statistics reduce the second loop (a layer norm of 4 rows):
// only the rows are tiled, or every tile would recompute its row's sums.
// CHECK-LABEL: func.func @few_rows(
// CHECK: scf.forall (%[[R:.*]]) in (4)
// CHECK: tensor.extract_slice %arg0[%[[R]], 0] [1, 64] [1, 1]
// CHECK: linalg.generic {{.*}}["parallel", "reduction"]
#x = affine_map<(r, c) -> (r, c)>
#row = affine_map<(r, c) -> (r)>
func.func @few_rows(%x: tensor<4x64xf32>, %out: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.generic {indexing_maps = [#x, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x64xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#x, #row, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<4x64xf32>, tensor<4xf32>) outs(%out : tensor<4x64xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %v = arith.subf %a, %m : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

// Batch-norm training statistics, per (entry, channel) slice: the partial
// sum and mean are fused into the tile of the centred sum of squares that
// reads them, so each tile reads its slice twice from cache; the mean is
// yielded for the merge over the batch.
// CHECK-LABEL: func.func @centred_statistics(
// CHECK: %[[LOOP:.*]]:2 = scf.forall (%[[N:.*]], %[[C:.*]]) in (4, 8)
// CHECK: %[[XS:.*]] = tensor.extract_slice %arg0[%[[N]], %[[C]], 0] [1, 1, 64] [1, 1, 1]
// CHECK: %[[LOCAL:.*]] = bufferization.alloc_tensor() : tensor<1x1xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} outs(%[[LOCAL]] : tensor<1x1xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]{{.*}} ins(%[[XS]] : tensor<1x1x64xf32>) outs(%[[ZERO]] : tensor<1x1xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x1xf32>)
// CHECK: %[[M2:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]{{.*}} ins(%[[XS]], %[[MEAN]] : tensor<1x1x64xf32>, tensor<1x1xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-DAG: tensor.parallel_insert_slice %[[MEAN]]
// CHECK-DAG: tensor.parallel_insert_slice %{{.*}} into
// CHECK-NOT: scf.forall (%{{.*}}, %{{.*}}) in (4, 8)
// CHECK: scf.forall
// CHECK: tensor.extract_slice %[[LOOP]]#1
#x = affine_map<(n, c, s) -> (n, c, s)>
#nc3 = affine_map<(n, c, s) -> (n, c)>
#nc = affine_map<(n, c) -> (n, c)>
#c2 = affine_map<(n, c) -> (c)>
#c1 = affine_map<(c) -> (c)>
func.func @centred_statistics(%x: tensor<4x8x64xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %sum = linalg.generic {indexing_maps = [#x, #nc3],
                         iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<4x8x64xf32>) outs(%init : tensor<4x8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %acc, %a : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %mean = linalg.generic {indexing_maps = [#nc, #nc], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %e3 = tensor.empty() : tensor<4x8xf32>
  %init3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m2 = linalg.generic {indexing_maps = [#x, #nc3, #nc3],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %mean : tensor<4x8x64xf32>, tensor<4x8xf32>) outs(%init3 : tensor<4x8xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %dd = arith.mulf %d, %d : f32
    %v = arith.addf %acc, %dd : f32
    linalg.yield %v : f32
  } -> tensor<4x8xf32>
  %e4 = tensor.empty() : tensor<8xf32>
  %init4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<8xf32>) -> tensor<8xf32>
  %merged = linalg.generic {indexing_maps = [#nc, #nc, #c2],
                            iterator_types = ["reduction", "parallel"]}
      ins(%mean, %m2 : tensor<4x8xf32>, tensor<4x8xf32>) outs(%init4 : tensor<8xf32>) {
  ^bb0(%m: f32, %q: f32, %acc: f32):
    %s = arith.addf %m, %q : f32
    %v = arith.addf %acc, %s : f32
    linalg.yield %v : f32
  } -> tensor<8xf32>
  %e5 = tensor.empty() : tensor<8xf32>
  %y = linalg.generic {indexing_maps = [#c1, #c1], iterator_types = ["parallel"]}
      ins(%merged : tensor<8xf32>) outs(%e5 : tensor<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.mulf %a, %a : f32
    linalg.yield %v : f32
  } -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// NHWC batch-norm training statistics: the sum runs over the pixels (not
// the innermost dimension), but one tile (an entry's 3136 pixels of a
// 64-channel block, 784 KiB) fits in L2, so the partial sum and mean are
// fused into the centred sum's tile as for NCHW: the second read of the
// slice comes from cache.
// CHECK-LABEL: func.func @centred_statistics_nhwc(
// CHECK: scf.forall (%[[N:.*]], %[[C:.*]]) = (0, 0) to (4, 64) step (1, 64)
// CHECK: %[[XS:.*]] = tensor.extract_slice %arg0[%[[N]], 0, %[[C]]] [1, 3136, 64] [1, 1, 1]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}["parallel", "reduction", "parallel"]{{.*}} ins(%[[XS]] : tensor<1x3136x64xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x64xf32>)
// CHECK: linalg.generic {{.*}}["parallel", "reduction", "parallel"]{{.*}} ins(%[[XS]], %[[MEAN]] : tensor<1x3136x64xf32>, tensor<1x64xf32>)
// CHECK: scf.forall.in_parallel
#xs = affine_map<(n, s, c) -> (n, s, c)>
#nc3s = affine_map<(n, s, c) -> (n, c)>
#ncs = affine_map<(n, c) -> (n, c)>
#c2s = affine_map<(n, c) -> (c)>
func.func @centred_statistics_nhwc(%x: tensor<4x3136x64xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 3136.0 : f32
  %e = tensor.empty() : tensor<4x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x64xf32>) -> tensor<4x64xf32>
  %sum = linalg.generic {indexing_maps = [#xs, #nc3s],
                         iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : tensor<4x3136x64xf32>) outs(%init : tensor<4x64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %acc, %a : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %mean = linalg.generic {indexing_maps = [#ncs, #ncs], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<4x64xf32>) outs(%e2 : tensor<4x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  %e3 = tensor.empty() : tensor<4x64xf32>
  %init3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x64xf32>) -> tensor<4x64xf32>
  %m2 = linalg.generic {indexing_maps = [#xs, #nc3s, #nc3s],
                        iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %mean : tensor<4x3136x64xf32>, tensor<4x64xf32>) outs(%init3 : tensor<4x64xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %dd = arith.mulf %d, %d : f32
    %v = arith.addf %acc, %dd : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  %e4 = tensor.empty() : tensor<64xf32>
  %init4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<64xf32>) -> tensor<64xf32>
  %merged = linalg.generic {indexing_maps = [#ncs, #ncs, #c2s],
                            iterator_types = ["reduction", "parallel"]}
      ins(%mean, %m2 : tensor<4x64xf32>, tensor<4x64xf32>) outs(%init4 : tensor<64xf32>) {
  ^bb0(%m: f32, %q: f32, %acc: f32):
    %s = arith.addf %m, %q : f32
    %v = arith.addf %acc, %s : f32
    linalg.yield %v : f32
  } -> tensor<64xf32>
  return %merged : tensor<64xf32>
}

// -----

// The same with 5000 pixels: a tile is 1.2 MiB, more than L2 holds, so the
// partial sum and the centred sum are tiled apart (two loops over the
// entries), as before.
// CHECK-LABEL: func.func @centred_statistics_nhwc_large(
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (4, 64) step (1, 64)
// CHECK: ins(%{{.*}} : tensor<1x5000x64xf32>)
// CHECK-NOT: ins(%{{.*}}, %{{.*}} : tensor<1x5000x64xf32>, tensor<1x64xf32>)
// CHECK: scf.forall.in_parallel
// CHECK: scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (4, 64) step (1, 64)
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<1x5000x64xf32>, tensor<1x64xf32>)
#xl = affine_map<(n, s, c) -> (n, s, c)>
#nc3l = affine_map<(n, s, c) -> (n, c)>
#ncl = affine_map<(n, c) -> (n, c)>
#c2l = affine_map<(n, c) -> (c)>
func.func @centred_statistics_nhwc_large(%x: tensor<4x5000x64xf32>) -> tensor<64xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 5000.0 : f32
  %e = tensor.empty() : tensor<4x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x64xf32>) -> tensor<4x64xf32>
  %sum = linalg.generic {indexing_maps = [#xl, #nc3l],
                         iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : tensor<4x5000x64xf32>) outs(%init : tensor<4x64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %acc, %a : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %mean = linalg.generic {indexing_maps = [#ncl, #ncl], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<4x64xf32>) outs(%e2 : tensor<4x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  %e3 = tensor.empty() : tensor<4x64xf32>
  %init3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<4x64xf32>) -> tensor<4x64xf32>
  %m2 = linalg.generic {indexing_maps = [#xl, #nc3l, #nc3l],
                        iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %mean : tensor<4x5000x64xf32>, tensor<4x64xf32>) outs(%init3 : tensor<4x64xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %dd = arith.mulf %d, %d : f32
    %v = arith.addf %acc, %dd : f32
    linalg.yield %v : f32
  } -> tensor<4x64xf32>
  %e4 = tensor.empty() : tensor<64xf32>
  %init4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<64xf32>) -> tensor<64xf32>
  %merged = linalg.generic {indexing_maps = [#ncl, #ncl, #c2l],
                            iterator_types = ["reduction", "parallel"]}
      ins(%mean, %m2 : tensor<4x64xf32>, tensor<4x64xf32>) outs(%init4 : tensor<64xf32>) {
  ^bb0(%m: f32, %q: f32, %acc: f32):
    %s = arith.addf %m, %q : f32
    %v = arith.addf %acc, %s : f32
    linalg.yield %v : f32
  } -> tensor<64xf32>
  return %merged : tensor<64xf32>
}

// -----

// Group norm over groups of 4 MiB in 16 chunks of 256 KiB (the lowering's
// [N, G, k, S/k]): fused into the root's tile (one group), the partial sum
// would run over all 16 chunks before the centred sum of squares, reading
// the group twice from memory. The chunk statistics are left out of the
// root and tiled chunk by chunk, sum and mean fused into the centred sum's
// tile (read again from cache); the root's tiles read their results.
// CHECK-LABEL: func.func @group_chunk_statistics(
// CHECK: %[[LOOP:.*]]:2 = scf.forall (%[[N:.*]], %[[G:.*]], %[[K:.*]]) in (1, 8, 16)
// CHECK: %[[XS:.*]] = tensor.extract_slice %arg0[%[[N]], %[[G]], %[[K]], 0] [1, 1, 1, 65536]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[XS]] : tensor<1x1x1x65536xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x1x1xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[XS]], %[[MEAN]] : tensor<1x1x1x65536xf32>, tensor<1x1x1xf32>)
// CHECK: scf.forall.in_parallel
// CHECK: scf.forall (%[[RN:.*]], %[[RG:.*]]) in (1, 8)
// CHECK-NOT: tensor<1x1x16x65536xf32>) outs(%{{.*}} : tensor<1x1x16xf32>)
// CHECK-DAG: tensor.extract_slice %[[LOOP]]#0[%[[RN]], %[[RG]], 0] [1, 1, 16]
// CHECK-DAG: tensor.extract_slice %[[LOOP]]#1[%[[RN]], %[[RG]], 0] [1, 1, 16]
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x1x16x65536xf32>)
#x4 = affine_map<(n, g, k, s) -> (n, g, k, s)>
#ngk4 = affine_map<(n, g, k, s) -> (n, g, k)>
#ng4 = affine_map<(n, g, k, s) -> (n, g)>
#ngk = affine_map<(n, g, k) -> (n, g, k)>
#ng3 = affine_map<(n, g, k) -> (n, g)>
func.func @group_chunk_statistics(%x: tensor<1x8x16x65536xf32>) -> tensor<1x8x16x65536xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 65536.0 : f32
  %e = tensor.empty() : tensor<1x8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
  %sum = linalg.generic {indexing_maps = [#x4, #ngk4],
                         iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : tensor<1x8x16x65536xf32>) outs(%init : tensor<1x8x16xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %acc, %a : f32
    linalg.yield %v : f32
  } -> tensor<1x8x16xf32>
  %e2 = tensor.empty() : tensor<1x8x16xf32>
  %mean = linalg.generic {indexing_maps = [#ngk, #ngk], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x8x16xf32>) outs(%e2 : tensor<1x8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    linalg.yield %v : f32
  } -> tensor<1x8x16xf32>
  %m2 = linalg.generic {indexing_maps = [#x4, #ngk4, #ngk4],
                        iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %mean : tensor<1x8x16x65536xf32>, tensor<1x8x16xf32>) outs(%init : tensor<1x8x16xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %dd = arith.mulf %d, %d : f32
    %v = arith.addf %acc, %dd : f32
    linalg.yield %v : f32
  } -> tensor<1x8x16xf32>
  %e3 = tensor.empty() : tensor<1x8xf32>
  %init3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x8xf32>) -> tensor<1x8xf32>
  %merged:2 = linalg.generic {indexing_maps = [#ngk, #ngk, #ng3, #ng3],
                              iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%mean, %m2 : tensor<1x8x16xf32>, tensor<1x8x16xf32>) outs(%init3, %init3 : tensor<1x8xf32>, tensor<1x8xf32>) {
  ^bb0(%m: f32, %q: f32, %accm: f32, %accq: f32):
    %vm = arith.addf %accm, %m : f32
    %vq = arith.addf %accq, %q : f32
    linalg.yield %vm, %vq : f32, f32
  } -> (tensor<1x8xf32>, tensor<1x8xf32>)
  %e4 = tensor.empty() : tensor<1x8x16x65536xf32>
  %y = linalg.generic {indexing_maps = [#x4, #ng4, #ng4, #x4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %merged#0, %merged#1 : tensor<1x8x16x65536xf32>, tensor<1x8xf32>, tensor<1x8xf32>) outs(%e4 : tensor<1x8x16x65536xf32>) {
  ^bb0(%a: f32, %m: f32, %q: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %v = arith.mulf %d, %q : f32
    linalg.yield %v : f32
  } -> tensor<1x8x16x65536xf32>
  return %y : tensor<1x8x16x65536xf32>
}

// -----

// The same with groups of 1 MiB (4 chunks): fused into the root's tile,
// the group is read a second time from cache; no loop over the chunks.
// CHECK-LABEL: func.func @group_chunk_statistics_fused(
// CHECK-NOT: scf.forall (%{{.*}}, %{{.*}}, %{{.*}}) in (1, 8, 4)
// CHECK: scf.forall (%[[RN:.*]], %[[RG:.*]]) in (1, 8)
// CHECK: %[[XS:.*]] = tensor.extract_slice %arg0[%[[RN]], %[[RG]], 0, 0] [1, 1, 4, 65536]
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[XS]] : tensor<1x1x4x65536xf32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x1x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[XS]], %[[MEAN]] : tensor<1x1x4x65536xf32>, tensor<1x1x4xf32>)
#x4 = affine_map<(n, g, k, s) -> (n, g, k, s)>
#ngk4 = affine_map<(n, g, k, s) -> (n, g, k)>
#ng4 = affine_map<(n, g, k, s) -> (n, g)>
#ngk = affine_map<(n, g, k) -> (n, g, k)>
#ng3 = affine_map<(n, g, k) -> (n, g)>
func.func @group_chunk_statistics_fused(%x: tensor<1x8x4x65536xf32>) -> tensor<1x8x4x65536xf32> {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 65536.0 : f32
  %e = tensor.empty() : tensor<1x8x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4xf32>) -> tensor<1x8x4xf32>
  %sum = linalg.generic {indexing_maps = [#x4, #ngk4],
                         iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x : tensor<1x8x4x65536xf32>) outs(%init : tensor<1x8x4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %acc, %a : f32
    linalg.yield %v : f32
  } -> tensor<1x8x4xf32>
  %e2 = tensor.empty() : tensor<1x8x4xf32>
  %mean = linalg.generic {indexing_maps = [#ngk, #ngk], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x8x4xf32>) outs(%e2 : tensor<1x8x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.divf %a, %n : f32
    linalg.yield %v : f32
  } -> tensor<1x8x4xf32>
  %m2 = linalg.generic {indexing_maps = [#x4, #ngk4, #ngk4],
                        iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %mean : tensor<1x8x4x65536xf32>, tensor<1x8x4xf32>) outs(%init : tensor<1x8x4xf32>) {
  ^bb0(%a: f32, %m: f32, %acc: f32):
    %d = arith.subf %a, %m : f32
    %dd = arith.mulf %d, %d : f32
    %v = arith.addf %acc, %dd : f32
    linalg.yield %v : f32
  } -> tensor<1x8x4xf32>
  %e3 = tensor.empty() : tensor<1x8xf32>
  %init3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<1x8xf32>) -> tensor<1x8xf32>
  %merged:2 = linalg.generic {indexing_maps = [#ngk, #ngk, #ng3, #ng3],
                              iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%mean, %m2 : tensor<1x8x4xf32>, tensor<1x8x4xf32>) outs(%init3, %init3 : tensor<1x8xf32>, tensor<1x8xf32>) {
  ^bb0(%m: f32, %q: f32, %accm: f32, %accq: f32):
    %vm = arith.addf %accm, %m : f32
    %vq = arith.addf %accq, %q : f32
    linalg.yield %vm, %vq : f32, f32
  } -> (tensor<1x8xf32>, tensor<1x8xf32>)
  %e4 = tensor.empty() : tensor<1x8x4x65536xf32>
  %y = linalg.generic {indexing_maps = [#x4, #ng4, #ng4, #x4],
                       iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %merged#0, %merged#1 : tensor<1x8x4x65536xf32>, tensor<1x8xf32>, tensor<1x8xf32>) outs(%e4 : tensor<1x8x4x65536xf32>) {
  ^bb0(%a: f32, %m: f32, %q: f32, %o: f32):
    %d = arith.subf %a, %m : f32
    %v = arith.mulf %d, %q : f32
    linalg.yield %v : f32
  } -> tensor<1x8x4x65536xf32>
  return %y : tensor<1x8x4x65536xf32>
}

// -----

// A weight converted to f32 into a tensor sized by the input's row length
// (convert-norm-to-linalg with every size dynamic): value bounds prove
// that each row tile reads all of it, so it is converted once, before the
// loop, not in every tile (into a heap buffer each).
// CHECK-LABEL: func.func @dynamic_weight(
// CHECK: arith.extf
// CHECK: scf.forall
// CHECK-NOT: arith.extf
// CHECK: scf.forall.in_parallel
#x = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#id = affine_map<(d0) -> (d0)>
func.func @dynamic_weight(%x: tensor<?x?xf32>, %w: tensor<?xbf16>, %out: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c1 = arith.constant 1 : index
  %d = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%d) : tensor<?xf32>
  %wf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%w : tensor<?xbf16>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %v = arith.extf %a : bf16 to f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#x, #col, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %wf : tensor<?x?xf32>, tensor<?xf32>) outs(%out : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.mulf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// A contraction of rows known at run time, read by the root (the flash
// normalization's `(x @ W') * rstd`): the root is tiled by 32 rows with the
// matmul fused row by row. (A root that reads a reduction of more loops
// than its own is left untiled only when that reduction is no contraction:
// left whole, the matmul ran on one thread, 4x the time.)
// CHECK-LABEL: func.func @contraction_of_dynamic_rows(
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (32)
// CHECK:   linalg.matmul {{.*}} -> tensor<?x32xf32>
// CHECK:   linalg.generic
// CHECK:   scf.forall.in_parallel
#x = affine_map<(d0, d1) -> (d0, d1)>
func.func @contraction_of_dynamic_rows(%x: tensor<?x64xf32>, %w: tensor<64x32xf32>, %out: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%rows) : tensor<?x32xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x32xf32>) -> tensor<?x32xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<?x64xf32>, tensor<64x32xf32>) outs(%z : tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<?x32xf32>) outs(%out : tensor<?x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.maximumf %a, %zero : f32
    linalg.yield %v : f32
  } -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// The same with a convolution of a dynamic batch (bias and activation after
// it): the root is tiled by 8 images with the convolution fused. (Before
// the exception, the root stayed whole and the convolution was tiled as
// statistics, one output element a tile.)
// CHECK-LABEL: func.func @convolution_of_dynamic_batch(
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (8)
// CHECK:   linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<?x6x6x8xf32>
// CHECK:   linalg.generic
// CHECK:   scf.forall.in_parallel
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @convolution_of_dynamic_batch(%x: tensor<?x8x8x4xf32>, %f: tensor<3x3x4x8xf32>, %out: tensor<?x6x6x8xf32>) -> tensor<?x6x6x8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8x8x4xf32>
  %e = tensor.empty(%n) : tensor<?x6x6x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x6x6x8xf32>) -> tensor<?x6x6x8xf32>
  %c = linalg.conv_2d_nhwc_hwcf ins(%x, %f : tensor<?x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%z : tensor<?x6x6x8xf32>) -> tensor<?x6x6x8xf32>
  %y = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<?x6x6x8xf32>) outs(%out : tensor<?x6x6x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.maximumf %a, %zero : f32
    linalg.yield %v : f32
  } -> tensor<?x6x6x8xf32>
  return %y : tensor<?x6x6x8xf32>
}
