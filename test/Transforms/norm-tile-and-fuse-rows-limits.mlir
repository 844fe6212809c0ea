// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8}))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8}))' 2>&1 \
// RUN:   | FileCheck %s --check-prefix=NOERR --implicit-check-not='error:'

// Limits of norm-tile-and-fuse-rows (see its description) not covered by
// norm-tile-and-fuse-rows.mlir: the ops are left untouched.

#x = affine_map<(d0, d1) -> (d0, d1)>

// Already inside an scf.forall: not re-tiled (one forall only).
// CHECK-LABEL: func.func @nested_in_forall(
// CHECK: scf.forall
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
func.func @nested_in_forall(%x: tensor<16x4xf32>, %o: tensor<16x4xf32>) -> tensor<16x4xf32> {
  %r = scf.forall (%i) in (2) shared_outs(%acc = %o) -> (tensor<16x4xf32>) {
    %e = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<16x4xf32>) outs(%acc : tensor<16x4xf32>) {
    ^bb0(%a: f32, %b: f32):
      %v = math.exp %a : f32
      linalg.yield %v : f32
    } -> tensor<16x4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %e into %acc[0, 0] [16, 4] [1, 1] : tensor<16x4xf32> into tensor<16x4xf32>
    }
  }
  return %r : tensor<16x4xf32>
}

// -----

#x = affine_map<(d0, d1) -> (d0, d1)>

// On buffers (no tensor results): not a root, left alone.
// CHECK-LABEL: func.func @buffers(
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
func.func @buffers(%x: memref<16x4xf32>, %o: memref<16x4xf32>) {
  linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<16x4xf32>) outs(%o : memref<16x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1) -> (d0, d1)>

// Fewer rows than the tile size and f64: tiled like any other. A root with
// a loop of static size zero (an empty tensor) is not tiled (see also
// Regression/tile-zero-sized-producer.mlir).
// CHECK-LABEL: func.func @small_f64(
// CHECK: scf.forall
// CHECK-LABEL: func.func @zero_rows(
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK-NOT: scf.forall
// CHECK: return
func.func @small_f64(%x: tensor<3x4xf64>, %o: tensor<3x4xf64>) -> tensor<3x4xf64> {
  %e = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<3x4xf64>) outs(%o : tensor<3x4xf64>) {
  ^bb0(%a: f64, %b: f64):
    %v = math.exp %a : f64
    linalg.yield %v : f64
  } -> tensor<3x4xf64>
  return %e : tensor<3x4xf64>
}
func.func @zero_rows(%x: tensor<0x4xf32>, %o: tensor<0x4xf32>) -> tensor<0x4xf32> {
  %e = linalg.generic {indexing_maps = [#x, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<0x4xf32>) outs(%o : tensor<0x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<0x4xf32>
  return %e : tensor<0x4xf32>
}

// -----

// A producer whose result map is not a projected permutation (torch-mlir's
// keepdim sum writes `(d0, d1, 0)`): upstream cannot tile that result (it
// emitted an error on the producer, which the pass then left unfused; see
// the NOERR run). Not fused, quietly: it is tiled as a root of its own.
#x3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#keep = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
// CHECK-LABEL: func.func @keepdim_reduction_producer(
// CHECK: %[[SUM:.*]] = scf.forall
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: scf.forall
// CHECK: tensor.extract_slice %[[SUM]]
// CHECK-NOT: "reduction"
// NOERR-LABEL: func.func @keepdim_reduction_producer(
func.func @keepdim_reduction_producer(%x: tensor<4x8x32xf32>) -> tensor<4x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8x1xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8x1xf32>) -> tensor<4x8x1xf32>
  %sum = linalg.generic {indexing_maps = [#x3, #keep], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : tensor<4x8x32xf32>) outs(%init : tensor<4x8x1xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %s = arith.addf %a, %acc : f32
    linalg.yield %s : f32
  } -> tensor<4x8x1xf32>
  %o = tensor.empty() : tensor<4x8x32xf32>
  %r = linalg.generic {indexing_maps = [#x3, #keep, #x3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %sum : tensor<4x8x32xf32>, tensor<4x8x1xf32>) outs(%o : tensor<4x8x32xf32>) {
  ^bb0(%a: f32, %s: f32, %out: f32):
    %d = arith.divf %a, %s : f32
    linalg.yield %d : f32
  } -> tensor<4x8x32xf32>
  return %r : tensor<4x8x32xf32>
}

// -----

// Maps that decrease as an iteration grows (a reversed read) or wrap
// around (a remainder): upstream tiling would take a tile's slice from its
// first and last iterations, a slice of one element here (a verifier error
// before). Such an op is neither a root nor fused: the root below is tiled
// and reads the untouched reversal whole.
#x2 = affine_map<(d0, d1) -> (d0, d1)>
#reversed = affine_map<(d0, d1) -> (d0, 63 - d1)>
#wrapped = affine_map<(d0, d1) -> (d0, d1 mod 8)>
// CHECK-LABEL: func.func @reversed_root(
// CHECK-NOT: scf.forall
// CHECK: return
// NOERR-LABEL: func.func @reversed_root(
func.func @reversed_root(%x: tensor<32x64xf32>, %o: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %r = linalg.generic {indexing_maps = [#reversed, #x2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x64xf32>) outs(%o : tensor<32x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    %v = math.exp %a : f32
    linalg.yield %v : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}

// CHECK-LABEL: func.func @reversed_and_wrapped_producers(
// CHECK-DAG: %[[REV:.*]] = linalg.generic {{.*}}ins(%{{.*}} : tensor<32x64xf32>)
// CHECK-DAG: %[[WRAP:.*]] = linalg.generic {{.*}}ins(%{{.*}} : tensor<32x8xf32>)
// CHECK: scf.forall
// CHECK-DAG: tensor.extract_slice %[[REV]]
// CHECK-DAG: tensor.extract_slice %[[WRAP]]
// CHECK: linalg.generic
// CHECK: scf.forall.in_parallel
// NOERR-LABEL: func.func @reversed_and_wrapped_producers(
func.func @reversed_and_wrapped_producers(%x: tensor<32x64xf32>, %y: tensor<32x8xf32>) -> tensor<32x64xf32> {
  %e = tensor.empty() : tensor<32x64xf32>
  %rev = linalg.generic {indexing_maps = [#reversed, #x2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<32x64xf32>) outs(%e : tensor<32x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<32x64xf32>
  %wrap = linalg.generic {indexing_maps = [#wrapped, #x2], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<32x8xf32>) outs(%e : tensor<32x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<32x64xf32>
  %r = linalg.generic {indexing_maps = [#x2, #x2, #x2], iterator_types = ["parallel", "parallel"]}
      ins(%rev, %wrap : tensor<32x64xf32>, tensor<32x64xf32>) outs(%e : tensor<32x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}

// -----

// A producer that cannot compute a tile of its result (a call) stays before
// the loop and runs once; upstream fused it by cloning the whole call into
// every tile.
#x2c = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @call_producer(
// CHECK: %[[CALL:.*]] = call @produce(
// CHECK: scf.forall
// CHECK-NOT: call @produce
// CHECK: tensor.extract_slice %[[CALL]]
// CHECK: scf.forall.in_parallel
// NOERR-LABEL: func.func @call_producer(
func.func @call_producer(%x: tensor<32x64xf32>) -> tensor<32x64xf32> {
  %p = call @produce(%x) : (tensor<32x64xf32>) -> tensor<32x64xf32>
  %e = tensor.empty() : tensor<32x64xf32>
  %r = linalg.generic {indexing_maps = [#x2c, #x2c], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<32x64xf32>) outs(%e : tensor<32x64xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<32x64xf32>
  return %r : tensor<32x64xf32>
}
func.func private @produce(tensor<32x64xf32>) -> tensor<32x64xf32>

// -----

// Byte counts saturate rather than wrap: a row of 2^62 f32 (a softmax's
// decomposition, not a norm op, whose verifier would refuse it) made a run
// of 2^64 bytes 0 and the search for a channel block endless (found by
// fuzzing). Now the sum and the max are tiled like any statistics.
// CHECK-LABEL: func.func @huge_row_sum(
// CHECK: scf.forall
// CHECK: return
func.func @huge_row_sum(%arg0: tensor<1x5x96x4611686018427387904xf32>) -> tensor<1x5x96x4611686018427387904xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant 0xFFC00000 : f32
  %0 = tensor.empty() : tensor<1x5x96x4611686018427387904xf32>
  %1 = tensor.empty() : tensor<1x5x96xf32>
  %2 = linalg.fill ins(%cst_0 : f32) outs(%1 : tensor<1x5x96xf32>) -> tensor<1x5x96xf32>
  %3 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%arg0 : tensor<1x5x96x4611686018427387904xf32>) outs(%2 : tensor<1x5x96xf32>) {
  ^bb0(%in: f32, %out: f32):
    %8 = arith.maxnumf %in, %out fastmath<reassoc,contract> : f32
    linalg.yield %8 : f32
  } -> tensor<1x5x96xf32>
  %4 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%arg0, %3 : tensor<1x5x96x4611686018427387904xf32>, tensor<1x5x96xf32>) outs(%0 : tensor<1x5x96x4611686018427387904xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %8 = arith.subf %in, %in_1 fastmath<reassoc,contract> : f32
    %9 = math.exp %8 fastmath<reassoc,contract> : f32
    linalg.yield %9 : f32
  } -> tensor<1x5x96x4611686018427387904xf32>
  %5 = linalg.fill ins(%cst : f32) outs(%1 : tensor<1x5x96xf32>) -> tensor<1x5x96xf32>
  %6 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%4 : tensor<1x5x96x4611686018427387904xf32>) outs(%5 : tensor<1x5x96xf32>) {
  ^bb0(%in: f32, %out: f32):
    %8 = arith.addf %in, %out fastmath<reassoc,contract> : f32
    linalg.yield %8 : f32
  } -> tensor<1x5x96xf32>
  %7 = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4, %6 : tensor<1x5x96x4611686018427387904xf32>, tensor<1x5x96xf32>) outs(%0 : tensor<1x5x96x4611686018427387904xf32>) {
  ^bb0(%in: f32, %in_1: f32, %out: f32):
    %8 = arith.divf %in, %in_1 fastmath<reassoc,contract> : f32
    linalg.yield %8 : f32
  } -> tensor<1x5x96x4611686018427387904xf32>
  return %7 : tensor<1x5x96x4611686018427387904xf32>
}

