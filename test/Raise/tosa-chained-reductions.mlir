// TOSA inputs imported by torch-mlir (test/Raise/Inputs/*.tosa.mlir) whose
// statistics are chained single-axis reductions (reduce_sum over axis 2 of a
// reduce_sum over axis 1, ...), merged into one reduction by norm-raise; the
// group norms also gather their per-channel scale and shift with indices
// computed by tensor ops (tosa.gather), and the HF-style RMS norm squares
// with tosa.pow. Near misses: tosa-chained-reductions-negative.mlir.
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %S/Inputs/layer_norm_2d.tosa.mlir | FileCheck %s --check-prefix=TWOD
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %S/Inputs/instance_norm.tosa.mlir | FileCheck %s --check-prefix=IN
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %S/Inputs/instance_norm_gelu.tosa.mlir | FileCheck %s --check-prefix=INGELU
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %S/Inputs/batch_norm_train.tosa.mlir | FileCheck %s --check-prefix=TRAIN
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %S/Inputs/group_norm.tosa.mlir | FileCheck %s --check-prefix=GN
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise,linalg-fuse-elementwise-ops,norm-fuse-activation)' %S/Inputs/group_norm_silu.tosa.mlir | FileCheck %s --check-prefix=GNSILU
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise,linalg-fuse-elementwise-ops,norm-fuse-activation)' %S/Inputs/diffusion_resblock.tosa.mlir | FileCheck %s --check-prefix=DIFF
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-tensor,tosa-to-arith,canonicalize),norm-raise)' %S/Inputs/llama_block_hf.tosa.mlir | FileCheck %s --check-prefix=HF

// LayerNorm((4, 16)): sums over axis 1, then axis 2; weight and bias
// [1, 4, 16] collapsed to the normalized shape; epsilon 1e-5 (default).
// TWOD-LABEL: func.func @forward(%arg0: tensor<3x4x16xf32>)
// TWOD:         %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x4x16xf32> into tensor<4x16xf32>
// TWOD:         %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x4x16xf32> into tensor<4x16xf32>
// TWOD:         %[[Y:.*]] = norm.layer_norm %arg0 weight(%[[W]] : tensor<4x16xf32>) bias(%[[B]] : tensor<4x16xf32>) axes = [1, 2] : tensor<3x4x16xf32>
// TWOD-NOT:     linalg.reduce
// TWOD:         return %[[Y]]

// InstanceNorm2d(8, affine=True): x reshaped to [1, N*C, H, W], sums over
// H then W, weight tiled over N: one channel a group.
// IN-LABEL: func.func @forward(%arg0: tensor<2x8x6x6xf32>)
// IN:         %[[Y:.*]] = norm.group_norm %arg0 weight(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) groups = 8 : tensor<2x8x6x6xf32>
// IN-NOT:     linalg.reduce
// IN:         return %[[Y]]

// InstanceNorm2d without affine parameters: a layer norm over H, W.
// INGELU-LABEL: func.func @forward(%arg0: tensor<2x8x6x6xf32>)
// INGELU:         norm.layer_norm %arg0 axes = [2, 3] : tensor<2x8x6x6xf32>
// INGELU-NOT:     linalg.reduce

// Training BatchNorm2d: sums over N, then H, then W (axes 0, 2, 3); the
// running statistics updated with momentum 0.1 (default).
// TRAIN-LABEL: func.func @forward(%arg0: tensor<4x8x6x6xf32>)
// TRAIN:         %[[Y:.*]], %{{.*}}, %{{.*}}, %[[RM:.*]], %[[RV:.*]] = norm.batch_norm_training %arg0 mean(%{{.*}} : tensor<8xf32>) var(%{{.*}} : tensor<8xf32>) weight(%{{.*}} : tensor<8xf32>) bias(%{{.*}} : tensor<8xf32>) : tensor<4x8x6x6xf32>
// TRAIN-NOT:     linalg.reduce
// TRAIN:         return %[[RM]], %[[RV]], %{{.*}}, %[[Y]]

// GroupNorm(4, 16): x reshaped to [N, G, C/G, H*W], sums over axes 2 and 3;
// scale and shift [1, G, C/G, 1] gathered per (n, c) by tosa.gather with
// indices computed from constant tensors (cast, select, concat, mul,
// reduce_sum).
// GN-LABEL: func.func @forward(%arg0: tensor<2x16x6x6xf32>)
// GN:         %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x4x4x1xf32> into tensor<16xf32>
// GN:         %[[B:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x4x4x1xf32> into tensor<16xf32>
// GN:         %[[Y:.*]] = norm.group_norm %arg0 weight(%[[W]] : tensor<16xf32>) bias(%[[B]] : tensor<16xf32>) groups = 4 : tensor<2x16x6x6xf32>
// GN-NOT:     tensor.extract
// GN-NOT:     linalg.reduce
// GN:         return %[[Y]]

// GNSILU-LABEL: func.func @forward(%arg0: tensor<2x16x6x6xf32>)
// GNSILU:         %[[Y:.*]] = norm.group_norm %arg0 {{.*}} groups = 4 activation = silu : tensor<2x16x6x6xf32>
// GNSILU-NOT:     linalg.generic
// GNSILU:         return %[[Y]]

// The second group norm reads the convolution's output through TOSA's
// NHWC -> NCHW transpose.
// DIFF-LABEL: func.func @forward(%arg0: tensor<1x16x8x8xf32>)
// DIFF:         norm.group_norm %arg0 {{.*}} groups = 4 activation = silu : tensor<1x16x8x8xf32>
// DIFF:         %[[T:.*]] = linalg.transpose {{.*}} permutation = [0, 3, 1, 2]
// DIFF:         norm.group_norm %[[T]] {{.*}} groups = 4 activation = silu : tensor<1x16x8x8xf32>
// DIFF-NOT:     norm.

// HF-style RMSNorm (tosa.pow(x, 2)): the second one normalizes the residual
// sum, which the block's output also reads.
// HF-LABEL: func.func @forward(%arg0: tensor<1x8x64xf32>)
// HF:         norm.rms_norm %arg0 weight(%{{.*}} : tensor<64xf32>) axes = [2] : tensor<1x8x64xf32>
// HF:         linalg.softmax dimension(3)
// HF:         %[[RES:.*]] = linalg.generic
// HF:         norm.rms_norm %[[RES]] weight(%{{.*}} : tensor<64xf32>) axes = [2] : tensor<1x8x64xf32>
// HF-NOT:     norm.
