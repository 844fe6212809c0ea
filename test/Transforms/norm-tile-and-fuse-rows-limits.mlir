// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-and-fuse-rows{tile-size=8}))' | FileCheck %s

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
