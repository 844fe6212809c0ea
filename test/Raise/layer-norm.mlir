// torch-mlir's nn.LayerNorm (linalg-on-tensors and TOSA forms, imported by
// scripts/import_models.py): raised into norm.layer_norm, the activation
// after it absorbed, the decomposition gone.
// RUN: norm-opt --norm-raise --linalg-fuse-elementwise-ops --norm-fuse-activation %S/Inputs/layer_norm_gelu.linalg.mlir | FileCheck %s --check-prefix=GELU
// RUN: norm-opt --norm-raise %S/Inputs/layer_norm_2d.linalg.mlir | FileCheck %s --check-prefix=TWOD
// RUN: norm-opt --norm-raise --norm-fuse-activation %S/Inputs/layer_norm_noaffine_relu.linalg.mlir | FileCheck %s --check-prefix=RELU
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,canonicalize),norm-raise)' %S/Inputs/layer_norm.tosa.mlir | FileCheck %s --check-prefix=TOSA

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
