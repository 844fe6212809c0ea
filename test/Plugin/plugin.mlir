// Debian's mlir-opt with NormPlugin.so loaded: it parses and prints norm ops,
// canonicalizes them and runs norm passes and pipelines from a textual pipeline (pass-plugin
// passes are no command-line flags).

// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --split-input-file | FileCheck %s --check-prefix=PARSE
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --load-pass-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --split-input-file --pass-pipeline='builtin.module(canonicalize)' \
// RUN:   | FileCheck %s --check-prefix=CANON
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --load-pass-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --split-input-file \
// RUN:   --pass-pipeline='builtin.module(convert-norm-to-linalg)' \
// RUN:   | FileCheck %s --check-prefix=LINALG
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --load-pass-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --split-input-file \
// RUN:   --pass-pipeline='builtin.module(norm-lower-to-cpu{openmp=false})' \
// RUN:   | FileCheck %s --check-prefix=CPU
// The dialect plugin alone also registers the passes and pipelines:
// RUN: %sanitizer_preload mlir-opt %s --load-dialect-plugin=%norm_lib_dir/NormPlugin%shlibext \
// RUN:   --split-input-file \
// RUN:   --pass-pipeline='builtin.module(convert-norm-to-linalg)' \
// RUN:   | FileCheck %s --check-prefix=LINALG

// PARSE-LABEL: func.func @rms_norm(
// PARSE: %[[Y:.*]] = norm.rms_norm %{{.*}} axes = [1] : tensor<4x8xf32>
// PARSE: return %[[Y]]
// CANON-LABEL: func.func @rms_norm(
// CANON: norm.rms_norm
// LINALG-LABEL: func.func @rms_norm(
// LINALG-NOT: norm.
// LINALG: linalg.generic
// LINALG-NOT: norm.
// LINALG: return
// CPU-LABEL: llvm.func @rms_norm(
// CPU-NOT: {{= norm\.|linalg\.}}
// CPU: llvm.return
func.func @rms_norm(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = norm.rms_norm %x axes = [1] : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The canonicalizer drops the unused statistics of layer_norm.
// PARSE-LABEL: func.func @layer_norm_unused_stats(
// PARSE: norm.layer_norm {{.*}} stats(tensor<4x1xf32>, tensor<4x1xf32>)
// CANON-LABEL: func.func @layer_norm_unused_stats(
// CANON: %[[Y:.*]] = norm.layer_norm %{{.*}} axes = [1] : tensor<4x8xf32>{{$}}
// CANON: return %[[Y]]
// LINALG-LABEL: func.func @layer_norm_unused_stats(
// LINALG-NOT: norm.
// LINALG: linalg.generic
// CPU-LABEL: llvm.func @layer_norm_unused_stats(
// CPU-NOT: {{= norm\.|linalg\.}}
// CPU: llvm.return
func.func @layer_norm_unused_stats(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y, %mean, %rstd = norm.layer_norm %x axes = [1] : tensor<4x8xf32> stats(tensor<4x1xf32>, tensor<4x1xf32>)
  return %y : tensor<4x8xf32>
}
