// RUN: norm-opt %s --norm-lower-to-cpu | mlir-translate --mlir-to-llvmir | FileCheck %s

// Batch norm on NCHW with 7 x 7 = 49 pixels a channel: the pixels of a
// channel are no multiple of 16, so the output is written as flat planes
// (norm-vectorize-row-outputs, channel planes): 16-wide vectors that start
// at multiples of 16 elements of the image, non-temporal and, in the
// version for 64-byte aligned outputs, aligned (and 16-byte aligned in the
// version for numpy's arrays). Before, the 7-wide loops were left to LLVM
// and stored scalars.
// CHECK-LABEL: define {{.*}}@batch_norm_7x7..omp_par.2(
// CHECK: store <16 x float> %{{.*}}, ptr %{{.*}}, align 64, !nontemporal
// CHECK-LABEL: define {{.*}}@batch_norm_7x7..omp_par.1(
// CHECK: store <16 x float> %{{.*}}, ptr %{{.*}}, align 16, !nontemporal
// CHECK-LABEL: define {{.*}}@batch_norm_7x7..omp_par(
// CHECK: store <16 x float> %{{.*}}, ptr %{{.*}}, align 4, !nontemporal
func.func @batch_norm_7x7(%x: tensor<8x32x7x7xf32>, %mean: tensor<32xf32>,
                          %var: tensor<32xf32>, %w: tensor<32xf32>,
                          %b: tensor<32xf32>, %out: tensor<8x32x7x7xf32>)
    -> tensor<8x32x7x7xf32> {
  %y = norm.batch_norm_inference %x mean(%mean : tensor<32xf32>) var(%var : tensor<32xf32>) weight(%w : tensor<32xf32>) bias(%b : tensor<32xf32>) epsilon = 1.0e-05 activation = relu : tensor<8x32x7x7xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<8x32x7x7xf32>, tensor<8x32x7x7xf32>) -> tensor<8x32x7x7xf32>
  return %r : tensor<8x32x7x7xf32>
}

// GroupNorm + SiLU at 14 x 14 (4 channels a group): each group's plane of
// 4 x 196 is written in place with non-temporal vectors, and nothing copies
// it afterwards (the plane's result kept the output's layout; it was once
// copied onto itself, reading back what the streaming stores wrote).
// GroupNorm at 8 x 8 reaches its output through four reshapes, in place
// too.
// CHECK-LABEL: define {{.*}}@group_norm_14x14..omp_par
// CHECK-NOT: llvm.memcpy
// CHECK: store <16 x float> %{{.*}}, ptr %{{.*}}, align 64, !nontemporal
// CHECK-NOT: llvm.memcpy
// CHECK-LABEL: define {{.*}}@group_norm_8x8(
// CHECK-NOT: llvm.memcpy
// CHECK: ret void
func.func @group_norm_14x14(%x: tensor<2x32x14x14xf32>, %w: tensor<32xf32>,
                            %b: tensor<32xf32>, %out: tensor<2x32x14x14xf32>)
    -> tensor<2x32x14x14xf32> {
  %y = norm.group_norm %x weight(%w : tensor<32xf32>) bias(%b : tensor<32xf32>) groups = 8 epsilon = 1.0e-05 activation = silu : tensor<2x32x14x14xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<2x32x14x14xf32>, tensor<2x32x14x14xf32>) -> tensor<2x32x14x14xf32>
  return %r : tensor<2x32x14x14xf32>
}

func.func @group_norm_8x8(%x: tensor<2x64x8x8xf32>, %w: tensor<64xf32>,
                          %b: tensor<64xf32>, %out: tensor<2x64x8x8xf32>)
    -> tensor<2x64x8x8xf32> {
  %y = norm.group_norm %x weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>) groups = 32 epsilon = 1.0e-05 activation = silu : tensor<2x64x8x8xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<2x64x8x8xf32>, tensor<2x64x8x8xf32>) -> tensor<2x64x8x8xf32>
  return %r : tensor<2x64x8x8xf32>
}
