//===- NormToLinalg.h - Lower the norm dialect to linalg --------*- C++ -*-===//
//
// Part of norm-mlir. Patterns that decompose norm operations into linalg on
// tensors, for the `convert-norm-to-linalg` pass and for other pipelines that
// want to reuse them.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_NORMTOLINALG_NORMTOLINALG_H
#define NORM_CONVERSION_NORMTOLINALG_NORMTOLINALG_H

namespace mlir {
class RewritePatternSet;
namespace norm {

/// Adds the patterns lowering the activation normalizations (layer_norm,
/// rms_norm, batch_norm_inference, batch_norm_training, inplace_abn,
/// group_norm) to linalg.generic on tensors.
void populateActivationNormToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns lowering the data normalizations (moments, min_max,
/// standardize, min_max_scale, image_normalize) to linalg on tensors.
void populateDataNormToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns lowering spectral_norm to linalg on tensors.
void populateSpectralNormToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns lowering the backward ops (layer_norm_grad,
/// rms_norm_grad, batch_norm_grad, group_norm_grad, inplace_abn_grad) and the
/// micro-batch statistics (batch_stats, batch_stats_merge) to linalg on
/// tensors.
void populateNormGradToLinalgPatterns(RewritePatternSet &patterns);

/// Adds every norm-to-linalg pattern: the sets above.
void populateNormToLinalgConversionPatterns(RewritePatternSet &patterns);

} // namespace norm
} // namespace mlir

#endif // NORM_CONVERSION_NORMTOLINALG_NORMTOLINALG_H
