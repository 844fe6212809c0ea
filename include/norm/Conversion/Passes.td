//===- Passes.td - Conversion passes of norm-mlir ----------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_PASSES_TD
#define NORM_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// NormToLinalg
//===----------------------------------------------------------------------===//

def ConvertNormToLinalgPass : Pass<"convert-norm-to-linalg"> {
  let summary = "Lower the norm dialect to linalg on tensors";
  let description = [{
    Decomposes every `norm` operation into `linalg.generic` reductions and
    elementwise maps on tensors (`tensor.empty` + `linalg.fill` for the
    accumulators), with `arith` and `math` payloads:

    * the activation normalizations (`layer_norm`, `rms_norm`,
      `batch_norm_inference`, `batch_norm_training`, `inplace_abn`,
      `group_norm`) compute their statistics in two passes (the mean, then
      `E[(x - mean)^2]`), accumulate in f32 for f16/bf16 inputs and truncate
      only the final output; the normalization, scale, shift and activation
      are one elementwise `linalg.generic`;
    * the data normalizations and `spectral_norm` are lowered by their own
      pattern sets of the same library.

    Static and dynamic shapes are supported (dynamic sizes through
    `tensor.dim`). The pass fails with a diagnostic at any norm operation it
    could not convert.

    ```mlir
    %y = norm.rms_norm %x axes = [1] : tensor<?x4096xf32>
    ```
    becomes a reduction of `x * x` over dimension 1 into a `tensor<?xf32>`,
    an elementwise `rsqrt(sum / n + epsilon)` and an elementwise scaling.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // NORM_CONVERSION_PASSES_TD
