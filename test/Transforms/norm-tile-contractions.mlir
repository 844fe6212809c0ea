// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-contractions,canonicalize,cse))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-contractions{lower-contractions=1}))' | FileCheck %s --check-prefix=FMA
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-tile-contractions{register-tile-n=0}))' | FileCheck %s --check-prefix=OFF

// A 16 x 64 x 40 matmul: 2 x 2 register tiles of 8 x 32 (column panels
// outer, row tiles inner), the reduction loop innermost with the accumulator tile carried as a flat vector (read before
// the loop, written after it), one vector.contract per step.
// CHECK-LABEL: func.func @matmul(
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK-DAG: %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG: %[[C40:.*]] = arith.constant 40 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C32]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]]
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<8x32xf32>, vector<8x32xf32>
// CHECK: %[[FLAT:.*]] = vector.shape_cast %[[ACC]] : vector<8x32xf32> to vector<256xf32>
// CHECK: %[[K:.*]] = scf.for %{{.*}} = %{{.*}} to %[[C40]] step %{{.*}} iter_args(%[[A:.*]] = %[[FLAT]]) -> (vector<256xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<8x1xf32>, vector<8x1xf32>
// CHECK: vector.transfer_read {{.*}} : tensor<1x32xf32>, vector<1x32xf32>
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: scf.yield {{.*}} : vector<256xf32>
// CHECK: %[[TILE:.*]] = vector.shape_cast %[[K]] : vector<256xf32> to vector<8x32xf32>
// CHECK: vector.transfer_write %[[TILE]]
// CHECK-NOT: linalg.matmul

// FMA-LABEL: func.func @matmul(
// FMA-NOT: vector.contract
// FMA-COUNT-8: vector.fma {{.*}} : vector<32xf32>
// FMA-NOT: vector.fma

// OFF-LABEL: func.func @matmul(
// OFF: linalg.matmul
// OFF-NOT: vector.contract
func.func @matmul(%a: tensor<16x40xf32>, %b: tensor<40x64xf32>, %c: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x40xf32>, tensor<40x64xf32>) outs(%c : tensor<16x64xf32>) -> tensor<16x64xf32>
  return %r : tensor<16x64xf32>
}

// -----

// FMA-LABEL: func.func @remainders(
// 37 x 53 (K = 29): rows split into 32 + 5, columns (the vector lanes) into
// 32 + 16 + 4 + 1, eight parts with static register tiles.
// CHECK-LABEL: func.func @remainders(
// CHECK: vector.contract {{.*}} into vector<8x32xf32>
// CHECK: vector.contract {{.*}} into vector<8x16xf32>
// CHECK: vector.contract {{.*}} into vector<8x4xf32>
// CHECK: vector.contract {{.*}} into vector<8x1xf32>
// CHECK: vector.contract {{.*}} into vector<5x32xf32>
// CHECK: vector.contract {{.*}} into vector<5x16xf32>
// CHECK: vector.contract {{.*}} into vector<5x4xf32>
// CHECK: vector.contract {{.*}} into vector<5x1xf32>
// CHECK-NOT: linalg.matmul
func.func @remainders(%a: tensor<37x29xf32>, %b: tensor<29x53xf32>, %c: tensor<37x53xf32>) -> tensor<37x53xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<37x29xf32>, tensor<29x53xf32>) outs(%c : tensor<37x53xf32>) -> tensor<37x53xf32>
  return %r : tensor<37x53xf32>
}

// -----

// batch_matmul: the batch loop outermost, tiled by 1.
// CHECK-LABEL: func.func @batch_matmul(
// CHECK: scf.for {{.*}} -> (tensor<3x8x32xf32>)
// CHECK: vector.contract {{.*}} : vector<1x8x1xf32>, vector<1x1x32xf32> into vector<1x8x32xf32>
func.func @batch_matmul(%a: tensor<3x8x16xf32>, %b: tensor<3x16x32xf32>, %c: tensor<3x8x32xf32>) -> tensor<3x8x32xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<3x8x16xf32>, tensor<3x16x32xf32>) outs(%c : tensor<3x8x32xf32>) -> tensor<3x8x32xf32>
  return %r : tensor<3x8x32xf32>
}

// -----

// A contraction generic (attention's q @ k^T): vectorized to a broadcast
// multiply and a reduction, folded into one vector.contract.
// CHECK-LABEL: func.func @qk_generic(
// CHECK: vector.contract
// CHECK-NOT: vector.multi_reduction
// CHECK-NOT: linalg.generic
func.func @qk_generic(%q: tensor<8x16xf32>, %k: tensor<32x16xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(i, j, l) -> (i, l)>, affine_map<(i, j, l) -> (j, l)>, affine_map<(i, j, l) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<8x16xf32>, tensor<32x16xf32>) outs(%c : tensor<8x32xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// bf16 inputs accumulated in f32: the operands are extended before the
// vector.contract.
// CHECK-LABEL: func.func @bf16_f32(
// CHECK: arith.extf {{.*}} : vector<8x1xbf16> to vector<8x1xf32>
// CHECK: arith.extf {{.*}} : vector<1x32xbf16> to vector<1x32xf32>
// CHECK: vector.contract {{.*}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
func.func @bf16_f32(%a: tensor<8x16xbf16>, %b: tensor<16x32xbf16>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xbf16>, tensor<16x32xbf16>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// A dynamic number of rows is tiled by one row (static 1 x 32 tiles); a
// dynamic vector dimension is left alone.
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK: vector.contract {{.*}} into vector<1x32xf32>
// CHECK-NOT: linalg.matmul
func.func @dynamic_rows(%a: tensor<?x16xf32>, %b: tensor<16x32xf32>, %c: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x16xf32>, tensor<16x32xf32>) outs(%c : tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// CHECK-LABEL: func.func @dynamic_columns(
// CHECK: linalg.matmul
// CHECK-NOT: vector.contract
func.func @dynamic_columns(%a: tensor<8x16xf32>, %b: tensor<16x?xf32>, %c: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x?xf32>) outs(%c : tensor<8x?xf32>) -> tensor<8x?xf32>
  return %r : tensor<8x?xf32>
}
