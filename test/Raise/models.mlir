// Small models imported by torch-mlir: every normalization raised.
// RUN: norm-opt --norm-raise %S/Inputs/llama_block.linalg.mlir | FileCheck %s --check-prefix=LLAMA
// RUN: norm-opt --norm-raise %S/Inputs/bert_block.linalg.mlir | FileCheck %s --check-prefix=BERT
// RUN: norm-opt --norm-raise --norm-fuse-activation %S/Inputs/resnet_block.linalg.mlir | FileCheck %s --check-prefix=RESNET

// Pre-norm: RMSNorm, attention (softmax), residual, RMSNorm, SwiGLU.
// LLAMA-LABEL: func.func @forward(%arg0: tensor<1x8x64xf32>)
// LLAMA:         norm.rms_norm %arg0 weight(%{{.*}} : tensor<64xf32>) axes = [2] : tensor<1x8x64xf32>
// LLAMA:         linalg.softmax dimension(3)
// LLAMA:         %[[RES:.*]] = linalg.generic
// LLAMA:         norm.rms_norm %[[RES]] weight(%{{.*}} : tensor<64xf32>) axes = [2] : tensor<1x8x64xf32>
// LLAMA-NOT:     norm.

// Post-norm: the layer norms read the residual sums; epsilon 1e-12.
// BERT-LABEL: func.func @forward(%arg0: tensor<1x8x64xf32>)
// BERT:         linalg.softmax dimension(3)
// BERT:         norm.layer_norm %{{.*}} weight(%{{.*}} : tensor<64xf32>) bias(%{{.*}} : tensor<64xf32>) axes = [2] epsilon = 9.9999999999999998E-13
// BERT:         norm.layer_norm %{{.*}} weight(%{{.*}} : tensor<64xf32>) bias(%{{.*}} : tensor<64xf32>) axes = [2] epsilon = 9.9999999999999998E-13
// BERT-NOT:     norm.

// conv-BN-ReLU, conv-BN, skip, ReLU.
// RESNET-LABEL: func.func @forward(%arg0: tensor<1x8x8x8xf32>)
// RESNET:         %[[C1:.*]] = linalg.conv_2d_nchw_fchw
// RESNET:         norm.batch_norm_inference %[[C1]] {{.*}} activation = relu : tensor<1x8x8x8xf32>
// RESNET:         %[[C2:.*]] = linalg.conv_2d_nchw_fchw
// RESNET:         norm.batch_norm_inference %[[C2]] {{.*}} : tensor<1x8x8x8xf32>
// RESNET-NOT:     norm.
