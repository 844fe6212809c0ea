// torch-mlir's nn.LayerNorm (linalg-on-tensors and TOSA forms, imported by
// scripts/import_models.py): raised into norm.layer_norm, the activation
// after it absorbed, the decomposition gone.
// RUN: norm-opt --norm-raise --linalg-fuse-elementwise-ops --norm-fuse-activation %S/Inputs/layer_norm_gelu.linalg.mlir | FileCheck %s --check-prefix=GELU
// RUN: norm-opt --norm-raise %S/Inputs/layer_norm_2d.linalg.mlir | FileCheck %s --check-prefix=TWOD
// RUN: norm-opt --norm-raise --norm-fuse-activation %S/Inputs/layer_norm_noaffine_relu.linalg.mlir | FileCheck %s --check-prefix=RELU
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,canonicalize),norm-raise)' %S/Inputs/layer_norm.tosa.mlir | FileCheck %s --check-prefix=TOSA
// RUN: norm-opt --norm-raise --linalg-fuse-elementwise-ops --norm-fuse-activation %S/Inputs/layer_norm_channels.linalg.mlir | FileCheck %s --check-prefix=CHAN
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,canonicalize),norm-raise)' %S/Inputs/convnext_downsample.tosa.mlir | FileCheck %s --check-prefix=CONVNEXT

// GELU-LABEL: func.func @forward(%arg0: tensor<2x8x64xf32>)
// GELU-NOT:     linalg.generic
// GELU:         %[[Y:.*]] = norm.layer_norm %arg0 weight(%{{.*}} : tensor<64xf32>) bias(%{{.*}} : tensor<64xf32>) axes = [2] activation = gelu : tensor<2x8x64xf32>
// GELU-NOT:     linalg.generic
// GELU:         return %[[Y]]

// TWOD-LABEL: func.func @forward(%arg0: tensor<3x4x16xf32>)
// TWOD-NOT:     linalg.generic
// TWOD:         norm.layer_norm %arg0 weight(%{{.*}} : tensor<4x16xf32>) bias(%{{.*}} : tensor<4x16xf32>) axes = [1, 2] : tensor<3x4x16xf32>
// TWOD-NOT:     linalg.generic

// RELU-LABEL: func.func @forward(%arg0: tensor<16x64xf32>)
// RELU-NOT:     linalg.generic
// RELU:         norm.layer_norm %arg0 axes = [1] activation = relu : tensor<16x64xf32>
// RELU-NOT:     linalg.generic

// TOSA-LABEL: func.func @forward(%arg0: tensor<2x8x64xf32>)
// TOSA:         norm.layer_norm %arg0 {{.*}}axes = [2]
// TOSA-NOT:     linalg.generic {{.*}}"reduction"

// LayerNorm2d (ConvNeXt, SAM): mean and variance over the channels of NCHW,
// the parameters indexed [C, 1, 1]; raised over axes [1] with [C]
// parameters, the GELU after it fused.
// CHAN-LABEL: func.func @forward(%arg0: tensor<2x16x6x6xf32>)
// CHAN-NOT:     linalg.generic
// CHAN:         %[[Y:.*]] = norm.layer_norm %arg0 weight(%{{.*}} : tensor<16xf32>) bias(%{{.*}} : tensor<16xf32>) axes = [1] epsilon = {{.*}} activation = gelu : tensor<2x16x6x6xf32>
// CHAN-NOT:     linalg.generic
// CHAN:         return %[[Y]]

// The same from TOSA, before a convolution: the [1, 16, 1, 1] parameters
// collapsed to [16].
// CONVNEXT-LABEL: func.func @forward(%arg0: tensor<1x16x8x8xf32>)
// CONVNEXT:         %[[W:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0, 1, 2, 3]] : tensor<1x16x1x1xf32> into tensor<16xf32>
// CONVNEXT:         %[[Y:.*]] = norm.layer_norm %arg0 weight(%[[W]] : tensor<16xf32>) bias(%{{.*}} : tensor<16xf32>) axes = [1]
// CONVNEXT-NOT:     linalg.generic {{.*}}"reduction"
// CONVNEXT:         linalg.conv_2d_nhwc_fhwc
