// RUN: norm-opt %s -split-input-file --norm-prefetch-next-row-tile | FileCheck %s
// RUN: norm-opt %s -split-input-file --norm-prefetch-next-row-tile="min-ops-per-store=0" | FileCheck %s --check-prefix=OFF
// RUN: norm-opt %s -split-input-file --norm-prefetch-next-row-tile="min-ops-per-store=3 locality=1" | FileCheck %s --check-prefix=LOW
// RUN: not norm-opt %s -split-input-file --norm-prefetch-next-row-tile="locality=5" 2>&1 | FileCheck %s --check-prefix=BADLOC
// BADLOC: error: norm-prefetch-next-row-tile: locality must be 0 to 3, not 5
// BADLOC-NOT: memref.prefetch

// A normalization loop with an activation's worth of arithmetic (12 vector
// operations per non-temporal store): the row tile's load gets a prefetch of
// the same element one tile (8 rows) further, clamped to the last row. The
// weight (1-D) and the local buffer are not prefetched.
// CHECK: #[[$NEXT:.*]] = affine_map<()[s0, s1] -> (s0 + s1 + 8, 63)>
// CHECK-LABEL: func.func @heavy(
// CHECK-SAME: %[[X:[^:]*]]: memref<64x256xf32>
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: scf.for %[[R:.*]] =
// CHECK: scf.for %[[J:.*]] =
// CHECK: %[[ROW:.*]] = affine.min #[[$NEXT]]()[%[[R]], %[[I]]]
// CHECK-NEXT: memref.prefetch %[[X]][%[[ROW]], %[[J]]], read, locality<2>, data : memref<64x256xf32>
// CHECK-NEXT: vector.load
// CHECK-NOT: memref.prefetch
// CHECK: vector.store
// OFF-LABEL: func.func @heavy(
// OFF-NOT: memref.prefetch
// LOW-LABEL: func.func @heavy(
// LOW: memref.prefetch {{.*}} locality<1>
func.func @heavy(%x: memref<64x256xf32>, %w: memref<256xf32>, %y: memref<64x256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %local = memref.alloca() : memref<8x256xf32>
  scf.parallel (%i) = (%c0) to (%c64) step (%c8) {
    %xs = memref.subview %x[%i, 0] [8, 256] [1, 1] : memref<64x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    %ys = memref.subview %y[%i, 0] [8, 256] [1, 1] : memref<64x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    scf.for %r = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c256 step %c16 {
        %v = vector.load %xs[%r, %j] : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
        %wv = vector.load %w[%j] : memref<256xf32>, vector<16xf32>
        %l = vector.load %local[%r, %j] : memref<8x256xf32>, vector<16xf32>
        %a0 = arith.mulf %v, %wv : vector<16xf32>
        %a1 = arith.addf %a0, %l : vector<16xf32>
        %a2 = arith.mulf %a1, %a1 : vector<16xf32>
        %a3 = arith.mulf %a2, %a1 : vector<16xf32>
        %a4 = arith.addf %a3, %a2 : vector<16xf32>
        %a5 = arith.mulf %a4, %a0 : vector<16xf32>
        %a6 = arith.addf %a5, %a1 : vector<16xf32>
        %a7 = arith.mulf %a6, %a6 : vector<16xf32>
        %a8 = arith.addf %a7, %a5 : vector<16xf32>
        %a9 = arith.mulf %a8, %a7 : vector<16xf32>
        %a10 = arith.divf %a9, %a8 : vector<16xf32>
        %a11 = math.fma %a10, %a9, %a0 : vector<16xf32>
        vector.store %a11, %ys[%r, %j] {nontemporal = true} : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// A plain normalization (3 operations per store) is not prefetched: with
// nothing to overlap, the prefetches cost bandwidth.
// CHECK-LABEL: func.func @light(
// CHECK-NOT: memref.prefetch
// LOW-LABEL: func.func @light(
// LOW: memref.prefetch
func.func @light(%x: memref<64x256xf32>, %y: memref<64x256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  %s = arith.constant dense<2.0> : vector<16xf32>
  scf.parallel (%i) = (%c0) to (%c64) step (%c8) {
    %xs = memref.subview %x[%i, 0] [8, 256] [1, 1] : memref<64x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    %ys = memref.subview %y[%i, 0] [8, 256] [1, 1] : memref<64x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    scf.for %r = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c256 step %c16 {
        %v = vector.load %xs[%r, %j] : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
        %a = arith.subf %v, %s : vector<16xf32>
        %b = arith.mulf %a, %s : vector<16xf32>
        %c = arith.addf %b, %s : vector<16xf32>
        vector.store %c, %ys[%r, %j] {nontemporal = true} : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// A dynamic row count: the clamp reads the size of the dimension.
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x256xf32>
// CHECK: %[[N:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x256xf32>
// CHECK: %[[ROW:.*]] = affine.min #{{.*}}()[%{{.*}}, %{{.*}}, %[[N]]]
// CHECK: memref.prefetch %[[X]][%[[ROW]], %{{.*}}], read, locality<2>, data : memref<?x256xf32>
func.func @dynamic_rows(%x: memref<?x256xf32>, %y: memref<?x256xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c256 = arith.constant 256 : index
  %s = arith.constant dense<2.0> : vector<16xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c8) {
    %xs = memref.subview %x[%i, 0] [8, 256] [1, 1] : memref<?x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    %ys = memref.subview %y[%i, 0] [8, 256] [1, 1] : memref<?x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    scf.for %r = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c256 step %c16 {
        %v = vector.load %xs[%r, %j] : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
        %a0 = arith.mulf %v, %s : vector<16xf32>
        %a1 = arith.mulf %a0, %a0 : vector<16xf32>
        %a2 = arith.mulf %a1, %a0 : vector<16xf32>
        %a3 = arith.mulf %a2, %a1 : vector<16xf32>
        %a4 = arith.mulf %a3, %a2 : vector<16xf32>
        %a5 = arith.mulf %a4, %a3 : vector<16xf32>
        %a6 = arith.mulf %a5, %a4 : vector<16xf32>
        %a7 = arith.mulf %a6, %a5 : vector<16xf32>
        %a8 = arith.mulf %a7, %a6 : vector<16xf32>
        %a9 = arith.mulf %a8, %a7 : vector<16xf32>
        %a10 = arith.mulf %a9, %a8 : vector<16xf32>
        %a11 = arith.mulf %a10, %a9 : vector<16xf32>
        vector.store %a11, %ys[%r, %j] {nontemporal = true} : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// GroupNorm's shape: tiles over (entry, group); the per-group weight is
// read through a subview that the tile loop offsets, so it looks like a
// tile's row, but its address does not change within the normalization
// loop: only the input stream is prefetched.
// CHECK-LABEL: func.func @invariant_tile_operand(
// CHECK-SAME: %[[X:[^:]*]]: memref<64x256xf32>, %[[W:[^:]*]]: memref<64x16xf32>
// CHECK: scf.for
// CHECK: memref.prefetch %[[X]]
// CHECK-NOT: memref.prefetch
// CHECK: vector.store
func.func @invariant_tile_operand(%x: memref<64x256xf32>, %w: memref<64x16xf32>, %y: memref<64x256xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%i) = (%c0) to (%c64) step (%c8) {
    %xs = memref.subview %x[%i, 0] [8, 256] [1, 1] : memref<64x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    %ws = memref.subview %w[%i, 0] [8, 16] [1, 1] : memref<64x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    %ys = memref.subview %y[%i, 0] [8, 256] [1, 1] : memref<64x256xf32> to memref<8x256xf32, strided<[256, 1], offset: ?>>
    scf.for %r = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c256 step %c16 {
        %v = vector.load %xs[%r, %j] : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
        %wv = vector.load %ws[%r, %c0] : memref<8x16xf32, strided<[16, 1], offset: ?>>, vector<16xf32>
        %a0 = arith.mulf %v, %wv : vector<16xf32>
        %a1 = arith.addf %a0, %v : vector<16xf32>
        %a2 = arith.mulf %a1, %a1 : vector<16xf32>
        %a3 = arith.mulf %a2, %a1 : vector<16xf32>
        %a4 = arith.addf %a3, %a2 : vector<16xf32>
        %a5 = arith.mulf %a4, %a0 : vector<16xf32>
        %a6 = arith.addf %a5, %a1 : vector<16xf32>
        %a7 = arith.mulf %a6, %a6 : vector<16xf32>
        %a8 = arith.addf %a7, %a5 : vector<16xf32>
        %a9 = arith.mulf %a8, %a7 : vector<16xf32>
        %a10 = arith.divf %a9, %a8 : vector<16xf32>
        %a11 = math.fma %a10, %a9, %a0 : vector<16xf32>
        vector.store %a11, %ys[%r, %j] {nontemporal = true} : memref<8x256xf32, strided<[256, 1], offset: ?>>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}
