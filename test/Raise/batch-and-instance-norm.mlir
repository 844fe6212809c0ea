// torch-mlir's nn.BatchNorm2d in eval mode (no reduction: running
// statistics) and in training mode (batch statistics and the running
// statistics' update), nn.InstanceNorm2d (batch norm over a [1, N*C, H, W]
// view) and nn.GroupNorm (statistics over an [N, G, C/G, H*W] view, weight
// and bias folded into a per-(N, C) scale and shift gathered with
// tensor.extract): raised into norm.batch_norm_inference,
// norm.batch_norm_training, norm.group_norm (one channel a group) and
// norm.group_norm. Near misses: group-and-training-norm-negative.mlir.
// RUN: norm-opt --norm-raise --norm-fuse-activation %S/Inputs/batch_norm_eval_relu.linalg.mlir | FileCheck %s --check-prefix=BN
// RUN: norm-opt --norm-raise %S/Inputs/instance_norm.linalg.mlir | FileCheck %s --check-prefix=IN
// RUN: norm-opt --norm-raise %S/Inputs/instance_norm_gelu.linalg.mlir | FileCheck %s --check-prefix=INGELU
// RUN: norm-opt --norm-raise %S/Inputs/batch_norm_train.linalg.mlir | FileCheck %s --check-prefix=TRAIN
// RUN: norm-opt --norm-raise %S/Inputs/group_norm.linalg.mlir | FileCheck %s --check-prefix=GN
// RUN: norm-opt --norm-raise --linalg-fuse-elementwise-ops --norm-fuse-activation %S/Inputs/group_norm_silu.linalg.mlir | FileCheck %s --check-prefix=GNSILU
// RUN: norm-opt --norm-raise --linalg-fuse-elementwise-ops --norm-fuse-activation %S/Inputs/diffusion_resblock.linalg.mlir | FileCheck %s --check-prefix=DIFF
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise,norm-fuse-activation)' %S/Inputs/resnet_block.tosa.mlir | FileCheck %s --check-prefix=RESTOSA
// RUN: norm-opt --norm-raise %S/Inputs/preact_block.linalg.mlir | FileCheck %s --check-prefix=PREACT

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

// The running statistics are the module's buffers (constants here); the
// updates (momentum 0.1, unbiased variance) become the op's results.
// TRAIN-LABEL: func.func @forward(%arg0: tensor<4x8x6x6xf32>)
// TRAIN-DAG:     %[[RM:.*]] = arith.constant dense_resource<torch_tensor_8_torch.float32> : tensor<8xf32>
// TRAIN-DAG:     %[[RV:.*]] = arith.constant dense_resource<torch_tensor_8_torch.float32_1> : tensor<8xf32>
// TRAIN-NOT:     linalg.generic
// TRAIN:         %[[Y:.*]], %{{.*}}, %{{.*}}, %[[NRM:.*]], %[[NRV:.*]] = norm.batch_norm_training %arg0 mean(%[[RM]] : tensor<8xf32>) var(%[[RV]] : tensor<8xf32>) weight(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) : tensor<4x8x6x6xf32> stats(tensor<8xf32>, tensor<8xf32>)
// TRAIN-NOT:     linalg.generic
// TRAIN:         return %[[NRM]], %[[NRV]], %{{.*}}, %[[Y]]

// GN-LABEL: func.func @forward(%arg0: tensor<2x16x6x6xf32>)
// GN-NOT:     linalg.generic
// GN:         %[[Y:.*]] = norm.group_norm %arg0 weight(%{{.*}} : tensor<16xf32>) bias(%{{.*}} : tensor<16xf32>) groups = 4 : tensor<2x16x6x6xf32>
// GN-NOT:     linalg.generic
// GN:         return %[[Y]]

// GNSILU-LABEL: func.func @forward(%arg0: tensor<2x16x6x6xf32>)
// GNSILU-NOT:     linalg.generic
// GNSILU:         norm.group_norm %arg0 weight(%{{.*}} : tensor<16xf32>) bias(%{{.*}} : tensor<16xf32>) groups = 4 activation = silu : tensor<2x16x6x6xf32>
// GNSILU-NOT:     linalg.generic

// Stable-Diffusion resblock: GroupNorm+SiLU, conv, GroupNorm+SiLU, conv, skip.
// DIFF-LABEL: func.func @forward(%arg0: tensor<1x16x8x8xf32>)
// DIFF:         norm.group_norm %arg0 {{.*}} groups = 4 activation = silu : tensor<1x16x8x8xf32>
// DIFF:         %[[C1:.*]] = linalg.conv_2d_nchw_fchw
// DIFF:         norm.group_norm %[[C1]] {{.*}} groups = 4 activation = silu : tensor<1x16x8x8xf32>
// DIFF:         linalg.conv_2d_nchw_fchw
// DIFF-NOT:     norm.

// TOSA: the per-channel parameters are [1, C, 1, 1] constants (collapsed for
// the op) and the input is the transpose back from the NHWC convolution.
// RESTOSA-LABEL: func.func @forward(%arg0: tensor<1x8x8x8xf32>)
// RESTOSA:         %[[T1:.*]] = linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// RESTOSA:         %[[W1:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x8x1x1xf32> into tensor<8xf32>
// RESTOSA:         norm.batch_norm_inference %[[T1]] mean(%{{.*}} : tensor<8xf32>) var(%{{.*}} : tensor<8xf32>) weight(%[[W1]] : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) activation = relu : tensor<1x8x8x8xf32>
// RESTOSA:         %[[T2:.*]] = linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// RESTOSA:         norm.batch_norm_inference %[[T2]] {{.*}} : tensor<1x8x8x8xf32>
// RESTOSA-NOT:     norm.

// Batch norms of computed values (no reduction says which value is the
// input): of relu(x), as pre-activation ResNets write it, and of a residual
// sum. Each producer's result is tried as the input; the relu and the add
// stay before the raised ops.
// PREACT-LABEL: func.func @forward(%arg0: tensor<2x8x6x6xf32>, %arg1: tensor<2x8x6x6xf32>)
// PREACT:         %[[R:.*]] = linalg.generic
// PREACT:           arith.cmpf ugt
// PREACT:         %[[B1:.*]] = norm.batch_norm_inference %[[R]] mean(
// PREACT:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[B1]], %arg1 :
// PREACT:           arith.addf
// PREACT:         %[[B2:.*]] = norm.batch_norm_inference %[[S]] mean(
// PREACT:         return %[[B2]]
