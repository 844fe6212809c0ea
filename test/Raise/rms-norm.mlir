// torch-mlir's nn.RMSNorm and the Llama/HF spelling (x.pow(2).mean,
// rsqrt, weight * ...): raised into norm.rms_norm.
// RUN: norm-opt --norm-raise --linalg-fuse-elementwise-ops --norm-fuse-activation %S/Inputs/rms_norm_silu.linalg.mlir | FileCheck %s --check-prefix=SILU
// RUN: norm-opt --norm-raise %S/Inputs/rms_norm_hf.linalg.mlir | FileCheck %s --check-prefix=HF
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,canonicalize),norm-raise)' %S/Inputs/rms_norm.tosa.mlir | FileCheck %s --check-prefix=TOSA

// SILU-LABEL: func.func @forward(%arg0: tensor<2x8x64xf32>)
// SILU-NOT:     linalg.generic
// SILU:         norm.rms_norm %arg0 weight(%{{.*}} : tensor<64xf32>) axes = [2] activation = silu : tensor<2x8x64xf32>
// SILU-NOT:     linalg.generic

// HF-LABEL: func.func @forward(%arg0: tensor<2x8x64xf32>)
// HF-NOT:     linalg.generic
// HF:         norm.rms_norm %arg0 weight(%{{.*}} : tensor<64xf32>) axes = [2] : tensor<2x8x64xf32>
// HF-NOT:     linalg.generic

// TOSA-LABEL: func.func @forward(%arg0: tensor<2x8x64xf32>)
// TOSA:         norm.rms_norm %arg0 {{.*}}axes = [2]
// TOSA-NOT:     linalg.generic {{.*}}"reduction"
