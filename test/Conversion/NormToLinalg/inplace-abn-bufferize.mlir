// RUN: norm-opt %s --convert-norm-to-linalg --canonicalize --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --canonicalize | FileCheck %s

// InPlace-ABN on the bufferized IR: the forward writes y over the buffer of
// x and the backward writes dx over the buffer of dy; neither allocates an
// activation-sized buffer (only per-channel statistics). batch_norm_training
// followed by its gradient, for contrast, allocates both.

// CHECK-LABEL: func.func @inplace_abn_forward(
// CHECK-SAME: %[[X:[a-zA-Z0-9_]+]]: memref<4x8x6x6xf32>
// CHECK-NOT: memref.alloc() {{.*}}: memref<4x8x6x6xf32>
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}} outs(%[[X]] : memref<4x8x6x6xf32>)
// CHECK-NOT: memref.alloc() {{.*}}: memref<4x8x6x6xf32>
// CHECK: return %[[X]], 
func.func @inplace_abn_forward(%x: tensor<4x8x6x6xf32>, %rm: tensor<8xf32>, %rv: tensor<8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<4x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>) {
  %y, %sm, %sr, %nrm, %nrv = norm.inplace_abn %x mean(%rm : tensor<8xf32>) var(%rv : tensor<8xf32>) weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>) activation = leaky_relu(1.000000e-02) : tensor<4x8x6x6xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return %y, %nrm, %nrv : tensor<4x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @inplace_abn_backward(
// CHECK-SAME: %[[DY:[a-zA-Z0-9_]+]]: memref<4x8x6x6xf32>, %[[Y:[a-zA-Z0-9_]+]]: memref<4x8x6x6xf32>
// CHECK-NOT: memref.alloc() {{.*}}: memref<4x8x6x6xf32>
// CHECK-NOT: memref.copy
// CHECK: linalg.generic {{.*}} ins(%[[Y]], {{.*}} outs(%[[DY]] : memref<4x8x6x6xf32>)
// CHECK: return %[[DY]], 
func.func @inplace_abn_backward(%dy: tensor<4x8x6x6xf32>, %y: tensor<4x8x6x6xf32>, %r: tensor<8xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<4x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>) {
  %dx, %dw, %db = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<8xf32>) weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>) activation = elu : tensor<4x8x6x6xf32> grad_weight(tensor<8xf32>) grad_bias(tensor<8xf32>)
  return %dx, %dw, %db : tensor<4x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>
}

// CHECK-LABEL: func.func @batch_norm_training_forward(
// CHECK: memref.alloc() {{.*}}: memref<4x8x6x6xf32>
func.func @batch_norm_training_forward(%x: tensor<4x8x6x6xf32>, %rm: tensor<8xf32>, %rv: tensor<8xf32>) -> (tensor<4x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>) {
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %x mean(%rm : tensor<8xf32>) var(%rv : tensor<8xf32>) activation = leaky_relu(1.000000e-02) : tensor<4x8x6x6xf32> stats(tensor<8xf32>, tensor<8xf32>)
  return %y, %sm, %sr : tensor<4x8x6x6xf32>, tensor<8xf32>, tensor<8xf32>
}
