// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8}),cse)' | FileCheck %s

// Near misses of the merge of duplicate tiles (norm-tile-and-fuse-rows): two
// producers of the same op name on the same input tiles whose payloads
// differ (x + r and x * r) stay two ops in each tile.
// CHECK-LABEL: func.func @different_bodies(
// CHECK: scf.forall
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0
// CHECK: %[[RES:.*]] = tensor.extract_slice %arg1
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[RES]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.mulf
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[RES]] :
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.addf
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[H]] :
// CHECK: linalg.generic {{.*}} ins(%[[G]], %[[SS]] :
// CHECK: scf.forall.in_parallel
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @different_bodies(%x: tensor<128x8xf32>, %res: tensor<128x8xf32>,
                            %out: tensor<128x8xf32>) -> tensor<128x8xf32> {
  %zero = arith.constant 0.0 : f32
  %eh = tensor.empty() : tensor<128x8xf32>
  %h = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<128x8xf32>, tensor<128x8xf32>) outs(%eh : tensor<128x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  %g = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<128x8xf32>, tensor<128x8xf32>) outs(%eh : tensor<128x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.mulf %a, %b : f32
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
      ins(%g, %ss : tensor<128x8xf32>, tensor<128xf32>) outs(%out : tensor<128x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.mulf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  return %y : tensor<128x8xf32>
}

// -----

// The same payload with different indexing maps (the second reads the
// residual transposed): not merged.
// CHECK-LABEL: func.func @different_maps(
// CHECK: scf.forall (%[[I:.*]]) =
// CHECK: tensor.extract_slice %arg1[0, %[[I]]] [64, 4]
// CHECK: arith.addf
// CHECK: tensor.extract_slice %arg1[%[[I]], 0] [4, 64]
// CHECK: arith.addf
// CHECK: scf.forall.in_parallel
#x = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @different_maps(%x: tensor<64x64xf32>, %res: tensor<64x64xf32>,
                          %out: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %eh = tensor.empty() : tensor<64x64xf32>
  %h = linalg.generic {indexing_maps = [#x, #x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<64x64xf32>, tensor<64x64xf32>) outs(%eh : tensor<64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<64x64xf32>
  %g = linalg.generic {indexing_maps = [#x, #t, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %res : tensor<64x64xf32>, tensor<64x64xf32>) outs(%eh : tensor<64x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<64x64xf32>
  %e = tensor.empty() : tensor<64xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64xf32>) -> tensor<64xf32>
  %ss = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%h : tensor<64x64xf32>) outs(%z : tensor<64xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<64xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%g, %ss : tensor<64x64xf32>, tensor<64xf32>) outs(%out : tensor<64x64xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.mulf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// -----

// The same payload reading its init (o + a): each copy's result depends on
// what its init holds, so the two are not merged even though their inputs
// agree.
// CHECK-LABEL: func.func @reads_init(
// CHECK: scf.forall
// CHECK: %[[X:.*]] = tensor.extract_slice %arg0
// CHECK: %[[I2:.*]] = tensor.extract_slice %arg2
// CHECK: %[[G:.*]] = linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[I2]] :
// CHECK: %[[I1:.*]] = tensor.extract_slice %arg1
// CHECK: %[[H:.*]] = linalg.generic {{.*}} ins(%[[X]] : {{.*}}) outs(%[[I1]] :
// CHECK: %[[SS:.*]] = linalg.generic {{.*}}["parallel", "reduction"]{{.*}} ins(%[[H]] :
// CHECK: linalg.generic {{.*}} ins(%[[G]], %[[SS]] :
// CHECK: scf.forall.in_parallel
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @reads_init(%x: tensor<128x8xf32>, %i1: tensor<128x8xf32>,
                      %i2: tensor<128x8xf32>, %out: tensor<128x8xf32>) -> tensor<128x8xf32> {
  %zero = arith.constant 0.0 : f32
  %h = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x8xf32>) outs(%i1 : tensor<128x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %o, %a : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  %g = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x8xf32>) outs(%i2 : tensor<128x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %v = arith.addf %o, %a : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  %e = tensor.empty() : tensor<128xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<128xf32>) -> tensor<128xf32>
  %ss = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%h : tensor<128x8xf32>) outs(%z : tensor<128xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %v = arith.addf %a, %acc : f32
    linalg.yield %v : f32
  } -> tensor<128xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%g, %ss : tensor<128x8xf32>, tensor<128xf32>) outs(%out : tensor<128x8xf32>) {
  ^bb0(%a: f32, %s: f32, %o: f32):
    %v = arith.mulf %a, %s : f32
    linalg.yield %v : f32
  } -> tensor<128x8xf32>
  return %y : tensor<128x8xf32>
}
