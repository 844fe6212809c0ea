// torch-mlir's nn.BatchNorm2d in eval mode (no reduction: running
// statistics) and nn.InstanceNorm2d (batch norm over a [1, N*C, H, W] view):
// raised into norm.batch_norm_inference and norm.group_norm (one channel a
// group). Training batch norm and GroupNorm are not raised (see
// docs/raising.md): checked below so that a change shows.
// RUN: norm-opt --norm-raise --norm-fuse-activation %S/Inputs/batch_norm_eval_relu.linalg.mlir | FileCheck %s --check-prefix=BN
// RUN: norm-opt --norm-raise %S/Inputs/instance_norm.linalg.mlir | FileCheck %s --check-prefix=IN
// RUN: norm-opt --norm-raise %S/Inputs/instance_norm_gelu.linalg.mlir | FileCheck %s --check-prefix=INGELU
// RUN: norm-opt --norm-raise %S/Inputs/batch_norm_train.linalg.mlir | FileCheck %s --check-prefix=TRAIN
// RUN: norm-opt --norm-raise %S/Inputs/group_norm.linalg.mlir | FileCheck %s --check-prefix=GN

// BN-LABEL: func.func @forward(%arg0: tensor<2x8x6x6xf32>)
// BN-NOT:     linalg.generic
// BN:         norm.batch_norm_inference %arg0 mean(%{{.*}} : tensor<8xf32>) var(%{{.*}} : tensor<8xf32>) weight(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) activation = relu : tensor<2x8x6x6xf32>
// BN-NOT:     linalg.generic

// IN-LABEL: func.func @forward(%arg0: tensor<2x8x6x6xf32>)
// IN-NOT:     linalg.generic
// IN:         norm.group_norm %arg0 weight(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) groups = 8 : tensor<2x8x6x6xf32>
// IN-NOT:     linalg.generic

// Without affine parameters instance norm is a layer norm over H, W.
// INGELU-LABEL: func.func @forward(%arg0: tensor<2x8x6x6xf32>)
// INGELU:         norm.layer_norm %arg0 axes = [2, 3] : tensor<2x8x6x6xf32>

// TRAIN-LABEL: func.func @forward
// TRAIN-NOT:     norm.
// GN-LABEL: func.func @forward
// GN-NOT:     norm.
