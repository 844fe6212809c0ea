// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu="openmp=0" | FileCheck %s --check-prefix=SEQ
// RUN: norm-opt %s --norm-lower-to-cpu="tile-size=512" | FileCheck %s --check-prefix=BIG

// The per-tile statistics accumulators of the row tiles (8 rows x f32) are
// stack buffers inside the OpenMP loop body, whose alloca scope releases
// them every iteration (stacksave/stackrestore): no aligned_alloc/free pair
// per tile.
// CHECK-LABEL: llvm.func @rms_rows(
// CHECK-NOT: llvm.call @aligned_alloc
// CHECK: omp.wsloop
// CHECK: %[[SP:.*]] = llvm.intr.stacksave
// CHECK: llvm.alloca %{{.*}} x f32 {alignment = 64 : i64}
// CHECK-NOT: llvm.call @aligned_alloc
// CHECK: llvm.intr.stackrestore %[[SP]]
// CHECK-NOT: llvm.call @aligned_alloc
// CHECK: llvm.return

// Without OpenMP the tiles are a sequential loop, which has no alloca scope:
// an alloca per iteration would grow the stack, so the buffers stay on the
// heap.
// SEQ-LABEL: llvm.func @rms_rows(
// SEQ-NOT: llvm.alloca
// SEQ: llvm.call @aligned_alloc
// SEQ-NOT: llvm.alloca
// SEQ: llvm.return


// Tiles of 512 rows: accumulators of 2 KiB, above the 1 KiB limit of stack
// buffers, stay on the heap.
// BIG-LABEL: llvm.func @rms_rows(
// BIG: omp.wsloop
// BIG-NOT: llvm.alloca
// BIG: llvm.call @aligned_alloc
// BIG: llvm.return
func.func @rms_rows(%x: tensor<8192x768xf32>, %w: tensor<768xf32>,
                    %out: tensor<8192x768xf32>) -> tensor<8192x768xf32> {
  %y = norm.rms_norm %x weight(%w : tensor<768xf32>) axes = [1] epsilon = 1.0e-05 : tensor<8192x768xf32>
  %r = bufferization.materialize_in_destination %y in %out
      : (tensor<8192x768xf32>, tensor<8192x768xf32>) -> tensor<8192x768xf32>
  return %r : tensor<8192x768xf32>
}

// Rows of run-time length: each row's partial sums (64 f32) are a buffer
// of the row loop inside the tile (norm-vectorize-row-outputs peels the
// row's remainder, which accumulates into them in memory). Eight rows a
// full tile, 2 KiB of stack in all: stack buffers too (they were a
// malloc/free pair per row, 20 % of the time at rows of 768).
// CHECK-LABEL: llvm.func @rms_rows_dynamic(
// CHECK: %[[C64:.*]] = llvm.mlir.constant(64 : index) : i64
// CHECK: omp.wsloop
// CHECK: %[[SP:.*]] = llvm.intr.stacksave
// CHECK-NOT: llvm.call @aligned_alloc
// CHECK: llvm.alloca %[[C64]] x f32 {alignment = 64 : i64}
// CHECK-NOT: llvm.call @aligned_alloc
// CHECK: llvm.intr.stackrestore %[[SP]]
func.func @rms_rows_dynamic(%x: tensor<?x?xf32>, %w: tensor<?xf32>,
                            %out: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = norm.rms_norm %x weight(%w : tensor<?xf32>) axes = [1] epsilon = 1.0e-05 : tensor<?x?xf32>
  %r = bufferization.materialize_in_destination %y in %out
      : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// Group norm with the channels dynamic: each (batch entry, group) tile's
// per-channel parameters (C / G floats, three buffers) are chosen at run
// time by norm-promote-scoped-buffers-to-stack: an alloca of the run-time
// count where it holds at most 1 KiB, else aligned_alloc, freed only then,
// all inside the tile's stacksave/stackrestore.
// CHECK-LABEL: llvm.func @group_norm_dynamic_channels(
// CHECK: omp.wsloop
// CHECK: %[[SP:.*]] = llvm.intr.stacksave
// CHECK: %[[BOUNDED:.*]] = llvm.icmp "ule"
// CHECK-NEXT: %[[BYTES:.*]] = llvm.mul
// CHECK-NEXT: %[[FITS:.*]] = llvm.icmp "ule" %[[BYTES]]
// CHECK-NEXT: %[[SMALL:.*]] = llvm.and %[[BOUNDED]], %[[FITS]] : i1
// CHECK-NEXT: llvm.cond_br %[[SMALL]], ^[[STACK:bb[0-9]+]], ^[[HEAP:bb[0-9]+]]
// CHECK-NEXT: ^[[STACK]]:
// CHECK: llvm.alloca %{{[0-9]+}} x f32 {alignment = 64 : i64}
// CHECK: ^[[HEAP]]:
// CHECK: llvm.call @aligned_alloc
// CHECK: llvm.call @free
// CHECK: llvm.intr.stackrestore %[[SP]]
func.func @group_norm_dynamic_channels(
    %x: tensor<?x?x?x?xf32>, %w: tensor<?xf32>, %b: tensor<?xf32>,
    %out: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %y = norm.group_norm %x weight(%w : tensor<?xf32>) bias(%b : tensor<?xf32>) groups = 32 epsilon = 1.0e-05 activation = silu : tensor<?x?x?x?xf32>
  %r = bufferization.materialize_in_destination %y in %out
      : (tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  return %r : tensor<?x?x?x?xf32>
}
