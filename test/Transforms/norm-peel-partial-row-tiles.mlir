// RUN: norm-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(norm-peel-partial-row-tiles))' | FileCheck %s
// RUN: norm-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(norm-peel-partial-row-tiles,canonicalize))' | FileCheck %s --check-prefix=CANON

// Row tiles of 8 over a dynamic row count: one forall over the full tiles,
// whose tile size is the constant 8, then one over the rest with the
// original body, on the first one's results.
// CHECK-LABEL: func.func @rows(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>, %[[OUT:[^:]*]]: tensor<?x64xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]]
// CHECK: %[[SPLIT:.*]] = affine.apply #[[FLOOR:.*]]()[%[[N]]]
// CHECK: %[[FULL:.*]] = scf.forall (%[[I:.*]]) = (0) to (%[[SPLIT]]) step (8) shared_outs(%[[O:.*]] = %[[OUT]])
// CHECK-NEXT: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NOT: affine.min
// CHECK: tensor.extract_slice %[[X]][%[[I]], 0] [%[[C8]], 64]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[I]], 0] [%[[C8]], 64]
// CHECK: %[[LAST:.*]] = scf.forall (%[[J:.*]]) = (%[[SPLIT]]) to (%[[N]]) step (8) shared_outs(%[[O2:.*]] = %[[FULL]])
// CHECK-NEXT: %[[SZ:.*]] = affine.min
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[O2]][%[[J]], 0] [%[[SZ]], 64]
// CHECK: return %[[LAST]]
// After canonicalization the full tiles have static shapes.
// CANON-LABEL: func.func @rows(
// CANON: scf.forall
// CANON: tensor.extract_slice {{.*}} to tensor<8x64xf32>
// CANON: linalg.generic {{.*}} ins(%{{.*}} : tensor<8x64xf32>) outs(%{{.*}} : tensor<8x64xf32>)
// CANON: scf.forall
// CANON: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x64xf32>) outs(%{{.*}} : tensor<?x64xf32>)
func.func @rows(%x: tensor<?x64xf32>, %out: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %r = scf.forall (%i) = (0) to (%n) step (8) shared_outs(%o = %out) -> (tensor<?x64xf32>) {
    %sz = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 8)>(%i)[%n]
    %xs = tensor.extract_slice %x[%i, 0] [%sz, 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
    %os = tensor.extract_slice %o[%i, 0] [%sz, 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
    %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%xs : tensor<?x64xf32>) outs(%os : tensor<?x64xf32>) {
    ^bb0(%a: f32, %b: f32):
      %m = arith.negf %a : f32
      linalg.yield %m : f32
    } -> tensor<?x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[%i, 0] [%sz, 64] [1, 1] : tensor<?x64xf32> into tensor<?x64xf32>
    }
  }
  return %r : tensor<?x64xf32>
}

// -----

// Left alone: a static row count, a forall without results, and a tile
// size whose constant is not the step.
// CHECK-LABEL: func.func @left_alone(
// CHECK-NOT: affine.apply
// CHECK: scf.forall (%{{.*}}) = (0) to (20) step (8)
// CHECK-NOT: affine.apply
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (8) {
// CHECK-NOT: affine.apply
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (8) shared_outs
// CHECK-NOT: scf.forall (
func.func @left_alone(%x: tensor<?x64xf32>, %s: tensor<20x64xf32>, %n: index, %m: index) -> (tensor<20x64xf32>, tensor<?x64xf32>) {
  %a = scf.forall (%i) = (0) to (20) step (8) shared_outs(%o = %s) -> (tensor<20x64xf32>) {
    %sz = affine.min affine_map<(d0) -> (-d0 + 20, 8)>(%i)
    %t = tensor.extract_slice %o[%i, 0] [%sz, 64] [1, 1] : tensor<20x64xf32> to tensor<?x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %o[%i, 0] [%sz, 64] [1, 1] : tensor<?x64xf32> into tensor<20x64xf32>
    }
  }
  scf.forall (%i) = (0) to (%n) step (8) {
    %sz = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 8)>(%i)[%n]
  }
  %c = scf.forall (%i) = (0) to (%m) step (8) shared_outs(%o = %x) -> (tensor<?x64xf32>) {
    %sz = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 4)>(%i)[%m]
    %t = tensor.extract_slice %o[%i, 0] [%sz, 64] [1, 1] : tensor<?x64xf32> to tensor<?x64xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %o[%i, 0] [%sz, 64] [1, 1] : tensor<?x64xf32> into tensor<?x64xf32>
    }
  }
  return %a, %c : tensor<20x64xf32>, tensor<?x64xf32>
}

// -----

// Row tiles of 8 by column tiles of 32 (norm-tile-and-fuse-rows' column
// tiles), both trip counts dynamic: split along the rows, then each part
// along the columns: four foralls, the first with static tile sizes.
// CHECK-LABEL: func.func @rows_and_columns(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x?xf32>, %[[N:[^:]*]]: index, %[[P:[^:]*]]: index)
// CHECK: %[[RS:.*]] = affine.apply #{{.*}}()[%[[N]]]
// CHECK: %[[CS:.*]] = affine.apply #{{.*}}()[%[[P]]]
// CHECK: %[[F1:.*]] = scf.forall (%{{.*}}, %{{.*}}) = (0, 0) to (%[[RS]], %[[CS]]) step (8, 32) shared_outs(%{{.*}} = %[[X]])
// CHECK-NOT: affine.min
// CHECK: %[[F2:.*]] = scf.forall (%{{.*}}, %{{.*}}) = (0, %[[CS]]) to (%[[RS]], %[[P]]) step (8, 32) shared_outs(%{{.*}} = %[[F1]])
// CHECK: affine.min
// CHECK: %[[F3:.*]] = scf.forall (%{{.*}}, %{{.*}}) = (%[[RS]], 0) to (%[[N]], %{{.*}}) step (8, 32) shared_outs(%{{.*}} = %[[F2]])
// CHECK: %[[F4:.*]] = scf.forall (%{{.*}}, %{{.*}}) = (%[[RS]], %{{.*}}) to (%[[N]], %[[P]]) step (8, 32) shared_outs(%{{.*}} = %[[F3]])
// CHECK: return %[[F4]]
// CANON-LABEL: func.func @rows_and_columns(
// CANON: scf.forall {{.*}} step (8, 32)
// CANON: tensor.extract_slice %{{.*}}[%{{.*}}, %{{.*}}] [8, 32] [1, 1] : tensor<?x?xf32> to tensor<8x32xf32>
func.func @rows_and_columns(%x: tensor<?x?xf32>, %n: index, %p: index) -> tensor<?x?xf32> {
  %b = scf.forall (%i, %j) = (0, 0) to (%n, %p) step (8, 32) shared_outs(%o = %x) -> (tensor<?x?xf32>) {
    %rows = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 8)>(%i)[%n]
    %cols = affine.min affine_map<(d0)[s0] -> (-d0 + s0, 32)>(%j)[%p]
    %t = tensor.extract_slice %o[%i, %j] [%rows, %cols] [1, 1] : tensor<?x?xf32> to tensor<?x?xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %t into %o[%i, %j] [%rows, %cols] [1, 1] : tensor<?x?xf32> into tensor<?x?xf32>
    }
  }
  return %b : tensor<?x?xf32>
}
