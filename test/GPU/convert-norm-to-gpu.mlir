// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="warp-row-limit=0 vectors-per-thread=2" --split-input-file \
// RUN:   | FileCheck %s --check-prefix=BLOCK

// Warp mapping: 256 f32 = 64 vectors of 4, 32 lanes x 2 vectors, 4 rows per
// 128-thread block. Rows past the end are clamped (the lanes still shuffle)
// and only their stores are skipped. Statistics by lane 0.
// CHECK-LABEL: func.func @warp_rows(
// CHECK-SAME: %[[X:[^:]*]]: memref<?x256xf32>, %[[Y:[^:]*]]: memref<?x256xf32>, %[[RSTD:[^:]*]]: memref<?x1xf32>)
// CHECK: %[[STATS:.*]] = memref.collapse_shape %[[RSTD]] {{\[\[}}0, 1]] : memref<?x1xf32> into memref<?xf32>
// CHECK: %[[ROWS:.*]] = memref.dim %[[X]], %c0
// CHECK: scf.if
// CHECK: %[[C4:.*]] = arith.constant 4 : index
// CHECK: %[[GRID:.*]] = arith.ceildivui %[[ROWS]], %[[C4]]
// CHECK: %[[C128:.*]] = arith.constant 128 : index
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], {{.*}} threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C128]],
// CHECK: %[[LANE:.*]] = arith.remui %[[TX]], %c32
// CHECK: %[[VALID:.*]] = arith.cmpi ult, %[[RAW:.*]], %[[ROWS]]
// CHECK: %[[ROW:.*]] = arith.minui %[[RAW]]
// CHECK: vector.load %[[X]][%[[ROW]], %{{.*}}] {alignment = 16 : i64} : memref<?x256xf32>, vector<4xf32>
// CHECK: vector.load %[[X]][%[[ROW]], %{{.*}}] {alignment = 16 : i64} : memref<?x256xf32>, vector<4xf32>
// CHECK-NOT: vector.load
// CHECK: gpu.shuffle xor %{{.*}}, %c16_i32, %c32{{.*}} : f32
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c32{{.*}} : f32
// CHECK-NOT: gpu.barrier
// CHECK: math.rsqrt
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[STATS]][%[[ROW]]] : memref<?xf32>
// CHECK: scf.if %[[VALID]]
// CHECK: vector.store %{{.*}}, %[[Y]][%[[ROW]], %{{.*}}] {alignment = 16 : i64} : memref<?x256xf32>, vector<4xf32>
// CHECK-NOT: bufferization.
// CHECK: return

// BLOCK-LABEL: func.func @warp_rows(
// BLOCK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c64,
// BLOCK-SAME: workgroup(%[[SMEM:.*]] : memref<64xf32, #gpu.address_space<workgroup>>)
// BLOCK: gpu.shuffle xor
// BLOCK: memref.store %{{.*}}, %[[SMEM]]
// BLOCK: gpu.barrier
// BLOCK: memref.load %[[SMEM]]
func.func @warp_rows(%x: memref<?x256xf32>, %y: memref<?x256xf32>, %rstd: memref<?x1xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x256xf32> to tensor<?x256xf32>
  %r, %s = norm.rms_norm %xt axes = [1] : tensor<?x256xf32> rstd(tensor<?x1xf32>)
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x256xf32>, memref<?x256xf32>) -> ()
  bufferization.materialize_in_destination %s in restrict writable %rstd
      : (tensor<?x1xf32>, memref<?x1xf32>) -> ()
  return
}

// -----

// Rows that are not a multiple of 8: 20 bf16 -> vectors of 4 (8 bytes), 5
// vectors on 8 lanes; the lanes past the row load zeros and store nothing.
// Layer norm masks them out of the centered sum of squares. A block holds
// 16 rows of the 8: the rows past the last load zeros too (the output may
// be written over the input).
// CHECK-LABEL: func.func @ragged(
// CHECK: gpu.launch
// CHECK: %[[ROWOK:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %{{.*}}, %c5
// CHECK: %[[LOAD:.*]] = arith.andi %[[ROWOK]], %[[IN]] : i1
// CHECK: scf.if %[[LOAD]] -> (vector<4xbf16>)
// CHECK: vector.load {{.*}} {alignment = 8 : i64} : memref<8x20xbf16>, vector<4xbf16>
// CHECK: } else {
// CHECK: arith.constant dense<0.000000e+00> : vector<4xbf16>
// CHECK-NEXT: scf.yield %{{.*}} : vector<4xbf16>
// CHECK: gpu.shuffle xor %{{.*}}, %c4_i32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32
// CHECK: arith.select
// CHECK: arith.andi
// CHECK: vector.store
func.func @ragged(%x: memref<8x20xbf16>, %y: memref<8x20xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x20xbf16> to tensor<8x20xbf16>
  %r = norm.layer_norm %xt axes = [1] : tensor<8x20xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x20xbf16>, memref<8x20xbf16>) -> ()
  return
}

// -----

// An f32 weight beside an f16 input: 8 x f32 weight vectors (32 bytes) claim
// 16-byte alignment only, what the callers guarantee (claiming 32 becomes
// one 32-byte ld.global.v4.b64 on sm_100, misaligned for a buffer at a
// 16-byte offset).
// CHECK-LABEL: func.func @rms_f16_f32_weight(
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<?x256xf16>, vector<8xf16>
// CHECK: vector.load {{.*}} {alignment = 16 : i64} : memref<256xf32>, vector<8xf32>
// CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<?x256xf16>, vector<8xf16>
// BLOCK-LABEL: func.func @rms_f16_f32_weight(
// BLOCK: vector.load {{.*}} {alignment = 16 : i64} : memref<256xf32>, vector<8xf32>
func.func @rms_f16_f32_weight(%x: memref<?x256xf16>, %w: memref<256xf32>,
    %y: memref<?x256xf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x256xf16> to tensor<?x256xf16>
  %wt = bufferization.to_tensor %w restrict : memref<256xf32> to tensor<256xf32>
  %r = norm.rms_norm %xt weight(%wt : tensor<256xf32>) axes = [1] : tensor<?x256xf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x256xf16>, memref<?x256xf16>) -> ()
  return
}
