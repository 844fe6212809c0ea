//===- NormOps.td - Operations of the norm dialect ---------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMOPS_TD
#define NORM_DIALECT_NORM_IR_NORMOPS_TD

include "norm/Dialect/Norm/IR/NormDialect.td"
include "norm/Dialect/Norm/IR/NormAttrs.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints and shared pieces.
//===----------------------------------------------------------------------===//

// Dense tensors only: the lowerings read every element, and an encoding
// (sparse_tensor, ...) would be dropped on the way to the C ABI.
defvar Norm_NoEncoding =
    CPred<"!::llvm::cast<::mlir::RankedTensorType>($_self).getEncoding()">;
def Norm_FloatTensor : RankedTensorOf<[F16, BF16, F32, F64], [Norm_NoEncoding],
                                      "ranked tensor without encoding">;
def Norm_ImageTensor
    : RankedTensorOf<[F16, BF16, F32, F64, I8, UI8], [Norm_NoEncoding],
                     "ranked tensor without encoding">;

// Optional operands are spelled `keyword(%value : type)`.
defvar Norm_WeightFmt = "(`weight` `(` $weight^ `:` type($weight) `)`)? ";
defvar Norm_BiasFmt = "(`bias` `(` $bias^ `:` type($bias) `)`)? ";
defvar Norm_ResidualFmt =
    "(`residual` `(` $residual^ `:` type($residual) `)`)? ";
defvar Norm_EpsilonFmt = "(`epsilon` `=` $epsilon^)? ";
defvar Norm_ResidualSumFmt =
    "(`residual_sum` `(` type($residual_sum)^ `)`)? ";
// The activation is printed only when present: `activation = relu`.
defvar Norm_ActivationFmt =
    "(`activation` `=` custom<Activation>($activation)^)? ";

defvar Norm_ActivationDoc = [{
    `activation` (default none) is applied to the normalized, scaled and
    shifted value: relu, leaky_relu(slope), elu(alpha), gelu (erf), gelu_tanh,
    silu, sigmoid or tanh.
}];
defvar Norm_ResidualDoc = [{
    With a `residual` operand the op normalizes `x + residual` (same type as
    `x`); the optional `residual_sum` result returns that sum, the residual
    stream of a pre-norm transformer.
}];

class Norm_NormalizationOp<string mnemonic, list<Trait> traits = []>
    : Norm_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>])> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Activation normalizations.
//===----------------------------------------------------------------------===//

def Norm_LayerNormOp : Norm_NormalizationOp<"layer_norm", [
    AttrSizedOperandSegments, AttrSizedResultSegments,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Layer normalization over adjacent axes";
  let description = !strconcat([{
    Normalizes each sample over the dimensions listed in `axes`, which must
    be adjacent: the trailing dimensions (PyTorch's `layer_norm`), or a run
    in the middle, such as the channels of an NCHW tensor (`axes = [1]`:
    the LayerNorm2d of ConvNeXt and SAM, normalizing each pixel over its
    channels):

    ```
    mean = E[x],  var = E[(x - mean)^2]   (biased, over `axes`)
    y    = act((x - mean) * rsqrt(var + epsilon) * weight + bias)
    ```

    `weight` and `bias` are optional and have the shape of the normalized
    dimensions (broadcast along the others). The optional `stats` results
    `mean` and `rstd` (`rsqrt(var + epsilon)`) keep the input shape with the
    normalized dimensions set to 1, as PyTorch's `native_layer_norm`; they
    are f32 for f16/bf16 inputs, else of the input's element type.
  }], Norm_ActivationDoc, Norm_ResidualDoc, [{
    Example:

    ```mlir
    %y = norm.layer_norm %x weight(%w : tensor<768xf32>)
        bias(%b : tensor<768xf32>) axes = [2] epsilon = 1.0e-05
        : tensor<8x128x768xf32>
    %y2, %mean, %rstd = norm.layer_norm %x axes = [2] activation = gelu
        : tensor<8x128x768xf32>
          stats(tensor<8x128x1xf32>, tensor<8x128x1xf32>)
    %y3 = norm.layer_norm %img weight(%g : tensor<96xf32>)
        bias(%c : tensor<96xf32>) axes = [1] epsilon = 1.0e-06
        : tensor<8x96x56x56xf32>
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$output,
                      Optional<Norm_FloatTensor>:$mean,
                      Optional<Norm_FloatTensor>:$rstd,
                      Optional<Norm_FloatTensor>:$residual_sum);
  let assemblyFormat = !strconcat("$input ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_ResidualFmt,
      "`axes` `=` $axes ",
      Norm_EpsilonFmt,
      Norm_ActivationFmt,
      "attr-dict `:` type($input) "
      "(`stats` `(` type($mean)^ `,` type($rstd) `)`)? ",
      Norm_ResidualSumFmt);
  let hasCanonicalizer = 1;
}

def Norm_RMSNormOp : Norm_NormalizationOp<"rms_norm", [
    AttrSizedOperandSegments, AttrSizedResultSegments,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Root-mean-square normalization over adjacent axes";
  let description = !strconcat([{
    Scales each sample by the inverse root mean square of its dimensions
    `axes` (adjacent, as `norm.layer_norm`'s), without subtracting the mean:

    ```
    rstd = rsqrt(E[x^2] + epsilon)
    y    = act(x * rstd * (weight + weight_offset))
    ```

    `weight_offset` is 0 for Llama-style RMSNorm and 1 for Gemma's
    `(1 + w)`. The optional `rstd` result keeps the input shape with the
    normalized dimensions set to 1 (f32 for f16/bf16 inputs).
  }], Norm_ActivationDoc, Norm_ResidualDoc, [{
    Example:

    ```mlir
    %y, %sum = norm.rms_norm %x weight(%w : tensor<4096xbf16>)
        residual(%r : tensor<?x4096xbf16>) axes = [1] epsilon = 1.0e-06
        : tensor<?x4096xbf16> residual_sum(tensor<?x4096xbf16>)
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$residual,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<F64Attr, "1e-6">:$epsilon,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_offset,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$output,
                      Optional<Norm_FloatTensor>:$rstd,
                      Optional<Norm_FloatTensor>:$residual_sum);
  let assemblyFormat = !strconcat("$input ",
      Norm_WeightFmt,
      Norm_ResidualFmt,
      "`axes` `=` $axes ",
      Norm_EpsilonFmt,
      "(`weight_offset` `=` $weight_offset^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) "
      "(`rstd` `(` type($rstd)^ `)`)? ",
      Norm_ResidualSumFmt);
  let hasCanonicalizer = 1;
}

def Norm_BatchNormInferenceOp : Norm_NormalizationOp<"batch_norm_inference", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "output"]>]> {
  let summary = "Batch normalization with running statistics (evaluation)";
  let description = !strconcat([{
    Normalizes each channel of `feature_axis` with the running statistics
    estimated during training:

    ```
    y = act((x - running_mean[c]) * rsqrt(running_var[c] + epsilon)
            * weight[c] + bias[c])
    ```

    `running_mean`, `running_var`, `weight` and `bias` are rank-1 tensors of
    the channel count. Works for NCHW (`feature_axis = 1`, the default) and
    NHWC (`feature_axis = 3`) and any rank >= 2.
  }], Norm_ActivationDoc, Norm_ResidualDoc, [{
    Example:

    ```mlir
    %y = norm.batch_norm_inference %x mean(%m : tensor<64xf32>)
        var(%v : tensor<64xf32>) weight(%w : tensor<64xf32>)
        bias(%b : tensor<64xf32>) activation = relu : tensor<32x64x56x56xf32>
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$input,
                       Norm_FloatTensor:$running_mean,
                       Norm_FloatTensor:$running_var,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual,
                       DefaultValuedAttr<I64Attr, "1">:$feature_axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$output,
                      Optional<Norm_FloatTensor>:$residual_sum);
  let assemblyFormat = !strconcat("$input `mean` `(` $running_mean `:` "
      "type($running_mean) `)` `var` `(` $running_var `:` type($running_var) "
      "`)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_ResidualFmt,
      "(`feature_axis` `=` $feature_axis^)? ",
      Norm_EpsilonFmt,
      Norm_ActivationFmt,
      "attr-dict `:` type($input) ",
      Norm_ResidualSumFmt);
}

def Norm_BatchNormTrainingOp : Norm_NormalizationOp<"batch_norm_training", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "output"]>,
    AllTypesMatch<["running_mean", "new_running_mean"]>,
    AllTypesMatch<["running_var", "new_running_var"]>]> {
  let summary = "Batch normalization with batch statistics (training)";
  let description = !strconcat([{
    Normalizes each channel of `feature_axis` with the statistics of the
    batch (over every dimension but `feature_axis`; `n` elements a channel),
    and updates the running statistics as PyTorch does:

    ```
    mean[c] = E[x],  var[c] = E[(x - mean)^2]              (biased)
    y       = act((x - mean) * rsqrt(var + epsilon) * weight + bias)
    saved_mean = mean,  saved_rstd = rsqrt(var + epsilon)
    new_running_mean = (1 - momentum) * running_mean + momentum * mean
    new_running_var  = (1 - momentum) * running_var
                       + momentum * var * n / (n - 1)       (unbiased)
    ```

    The saved statistics are rank-1 of the channel count, f32 for f16/bf16
    inputs. The new running statistics have the type of the old ones.
  }], Norm_ActivationDoc, Norm_ResidualDoc, [{
    Example:

    ```mlir
    %y, %sm, %sr, %rm, %rv = norm.batch_norm_training %x
        mean(%m : tensor<64xf32>) var(%v : tensor<64xf32>) momentum = 0.1
        : tensor<32x64x56x56xf32> stats(tensor<64xf32>, tensor<64xf32>)
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$input,
                       Norm_FloatTensor:$running_mean,
                       Norm_FloatTensor:$running_var,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual,
                       DefaultValuedAttr<I64Attr, "1">:$feature_axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$output,
                      Norm_FloatTensor:$saved_mean,
                      Norm_FloatTensor:$saved_rstd,
                      Norm_FloatTensor:$new_running_mean,
                      Norm_FloatTensor:$new_running_var,
                      Optional<Norm_FloatTensor>:$residual_sum);
  let assemblyFormat = !strconcat("$input `mean` `(` $running_mean `:` "
      "type($running_mean) `)` `var` `(` $running_var `:` type($running_var) "
      "`)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_ResidualFmt,
      "(`feature_axis` `=` $feature_axis^)? ",
      Norm_EpsilonFmt,
      "(`momentum` `=` $momentum^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) "
      "`stats` `(` type($saved_mean) `,` type($saved_rstd) `)` ",
      Norm_ResidualSumFmt);
}

def Norm_InplaceABNOp : Norm_NormalizationOp<"inplace_abn", [
    AttrSizedOperandSegments, AllTypesMatch<["input", "output"]>,
    AllTypesMatch<["running_mean", "new_running_mean"]>,
    AllTypesMatch<["running_var", "new_running_var"]>]> {
  let summary = "In-place activated batch normalization (training)";
  let description = [{
    Training batch normalization fused with an invertible activation, as in
    InPlace-ABN (Rota Bulò et al., 2018): the same arithmetic as
    `norm.batch_norm_training`, but the output may overwrite the input,
    because the backward pass recovers the normalized value from the output
    by inverting the activation instead of reading `x`. The activation must
    therefore be invertible: `none` (identity), `leaky_relu` with a positive
    slope or `elu` with a positive alpha.

    Example:

    ```mlir
    %y, %sm, %sr, %rm, %rv = norm.inplace_abn %x mean(%m : tensor<64xf32>)
        var(%v : tensor<64xf32>) activation = leaky_relu(0.01)
        : tensor<8x64x32x32xf32> stats(tensor<64xf32>, tensor<64xf32>)
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$input,
                       Norm_FloatTensor:$running_mean,
                       Norm_FloatTensor:$running_var,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       DefaultValuedAttr<I64Attr, "1">:$feature_axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon,
                       DefaultValuedAttr<F64Attr, "0.1">:$momentum,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$output,
                      Norm_FloatTensor:$saved_mean,
                      Norm_FloatTensor:$saved_rstd,
                      Norm_FloatTensor:$new_running_mean,
                      Norm_FloatTensor:$new_running_var);
  let assemblyFormat = !strconcat("$input `mean` `(` $running_mean `:` "
      "type($running_mean) `)` `var` `(` $running_var `:` type($running_var) "
      "`)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      "(`feature_axis` `=` $feature_axis^)? ",
      Norm_EpsilonFmt,
      "(`momentum` `=` $momentum^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) "
      "`stats` `(` type($saved_mean) `,` type($saved_rstd) `)`");
}

def Norm_GroupNormOp : Norm_NormalizationOp<"group_norm", [
    AttrSizedOperandSegments, AttrSizedResultSegments,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Group normalization (instance norm when groups == channels)";
  let description = !strconcat([{
    Splits the channels of `channel_axis` into `num_groups` groups and
    normalizes each group of each sample (dimension 0 is the batch) over its
    channels and all spatial dimensions:

    ```
    mean[n, g] = E[x[n, channels of g, ...]],  var[n, g] biased
    y = act((x - mean) * rsqrt(var + epsilon) * weight[c] + bias[c])
    ```

    `channel_axis` is 1 for NCHW (the default) or the last dimension for
    NHWC. Instance normalization is `num_groups` equal to the channel count;
    layer normalization over C, H, W is `num_groups = 1`. The optional `stats`
    results have shape `[N, num_groups]`, as PyTorch's `native_group_norm`.
  }], Norm_ActivationDoc, Norm_ResidualDoc, [{
    Example:

    ```mlir
    %y = norm.group_norm %x weight(%w : tensor<256xf32>)
        bias(%b : tensor<256xf32>) groups = 32 activation = silu
        : tensor<8x256x64x64xf32>
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual,
                       I64Attr:$num_groups,
                       DefaultValuedAttr<I64Attr, "1">:$channel_axis,
                       DefaultValuedAttr<F64Attr, "1e-5">:$epsilon,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$output,
                      Optional<Norm_FloatTensor>:$mean,
                      Optional<Norm_FloatTensor>:$rstd,
                      Optional<Norm_FloatTensor>:$residual_sum);
  let assemblyFormat = !strconcat("$input ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_ResidualFmt,
      "`groups` `=` $num_groups "
      "(`channel_axis` `=` $channel_axis^)? ",
      Norm_EpsilonFmt,
      Norm_ActivationFmt,
      "attr-dict `:` type($input) "
      "(`stats` `(` type($mean)^ `,` type($rstd) `)`)? ",
      Norm_ResidualSumFmt);
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// Weight normalization.
//===----------------------------------------------------------------------===//

def Norm_SpectralNormOp : Norm_Op<"spectral_norm", [Pure,
    AllTypesMatch<["weight", "output"]>, AllTypesMatch<["u", "new_u"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Spectral normalization of a weight by power iteration";
  let description = [{
    Divides a weight by an estimate of its largest singular value, as
    `torch.nn.utils.spectral_norm`. The weight is viewed as a matrix `W` of
    shape `[weight.shape[dim], prod(other dims)]` (`dim` moved first), and
    `u` (length `weight.shape[dim]`) is the left singular vector estimate
    carried across calls:

    ```
    repeat power_iterations times:
      v = normalize(W^T u),  u = normalize(W v)     normalize(a) = a / max(|a|, epsilon)
    sigma = u . (W v)
    output = weight / sigma,  new_u = u
    ```

    `sigma` is a rank-0 tensor (f32 for f16/bf16 weights). This is a weight
    normalization: apply it to parameters, not to activations.

    Example:

    ```mlir
    %wn, %u2, %sigma = norm.spectral_norm %w, %u power_iterations = 1
        : tensor<64x3x3x3xf32>, tensor<64xf32> -> tensor<f32>
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$weight,
                       Norm_FloatTensor:$u,
                       DefaultValuedAttr<I64Attr, "0">:$dim,
                       DefaultValuedAttr<I64Attr, "1">:$power_iterations,
                       DefaultValuedAttr<F64Attr, "1e-12">:$epsilon);
  let results = (outs Norm_FloatTensor:$output,
                      Norm_FloatTensor:$new_u,
                      Norm_FloatTensor:$sigma);
  let assemblyFormat = [{
    $weight `,` $u (`dim` `=` $dim^)?
    (`power_iterations` `=` $power_iterations^)? (`epsilon` `=` $epsilon^)?
    attr-dict `:` type($weight) `,` type($u) `->` type($sigma)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data normalization.
//===----------------------------------------------------------------------===//

def Norm_MomentsOp : Norm_Op<"moments", [Pure,
    AllTypesMatch<["mean", "std"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Mean and standard deviation over axes (fits a standardizer)";
  let description = [{
    Computes the mean and the standard deviation of `input` over `axes`
    (removed from the result shape), with `correction` degrees of freedom
    subtracted from the count (0: population std as scikit-learn's
    `StandardScaler`; 1: sample std; more than the count gives inf). Run it
    on the training split and pass the results to `norm.standardize` on
    every split. The CPU lowering sums around the first sample of each
    feature and accumulates in f64, as scikit-learn does: a million f32
    samples far from zero fit to the f32 rounding of the float64 result.

    ```mlir
    %mean, %std = norm.moments %train axes = [0]
        : tensor<?x16xf32> -> tensor<16xf32>
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<I64Attr, "0">:$correction);
  let results = (outs Norm_FloatTensor:$mean, Norm_FloatTensor:$std);
  let assemblyFormat = [{
    $input `axes` `=` $axes (`correction` `=` $correction^)? attr-dict
    `:` type($input) `->` type($mean)
  }];
  let hasVerifier = 1;
}

def Norm_MinMaxOp : Norm_Op<"min_max", [Pure,
    AllTypesMatch<["min", "max"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Minimum and maximum over axes (fits a min-max scaler)";
  let description = [{
    Computes the minimum and maximum of `input` over `axes` (removed from the
    result shape). Run it on the training split and pass the results to
    `norm.min_max_scale`.

    ```mlir
    %lo, %hi = norm.min_max %train axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs Norm_FloatTensor:$min, Norm_FloatTensor:$max);
  let assemblyFormat = [{
    $input `axes` `=` $axes attr-dict `:` type($input) `->` type($min)
  }];
  let hasVerifier = 1;
}

def Norm_StandardizeOp : Norm_Op<"standardize", [Pure,
    AllTypesMatch<["input", "output"]>, AllTypesMatch<["mean", "std"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Standardization with fitted statistics";
  let description = [{
    `y = (x - mean) / std`, where `mean` and `std` were computed over `axes`
    (their shape is the input shape without `axes`, e.g. per-feature
    statistics of a `[samples, features]` table with `axes = [0]`). A zero
    `std` leaves the centred value unscaled, as scikit-learn does.

    ```mlir
    %y = norm.standardize %x, %mean, %std axes = [0]
        : tensor<?x16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$input, Norm_FloatTensor:$mean,
                       Norm_FloatTensor:$std, DenseI64ArrayAttr:$axes);
  let results = (outs Norm_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $mean `,` $std `axes` `=` $axes attr-dict
    `:` type($input) `,` type($mean)
  }];
  let hasVerifier = 1;
}

def Norm_MinMaxScaleOp : Norm_Op<"min_max_scale", [Pure,
    AllTypesMatch<["input", "output"]>, AllTypesMatch<["min", "max"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Min-max scaling to a target range with fitted statistics";
  let description = [{
    `y = (x - min) / (max - min) * (range_max - range_min) + range_min`, with
    `min`/`max` computed over `axes` (shape: the input shape without `axes`).
    Where `max == min` the width `max - min` is taken as 1, so
    `y = range_min + (x - min) * (range_max - range_min)` (scikit-learn's
    `MinMaxScaler`: training data of a constant feature maps to
    `range_min`).

    ```mlir
    %y = norm.min_max_scale %x, %lo, %hi axes = [0] range_min = -1.0
        : tensor<?x16xf32>, tensor<16xf32>
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$input, Norm_FloatTensor:$min,
                       Norm_FloatTensor:$max, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<F64Attr, "0.0">:$range_min,
                       DefaultValuedAttr<F64Attr, "1.0">:$range_max);
  let results = (outs Norm_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $min `,` $max `axes` `=` $axes
    (`range_min` `=` $range_min^)? (`range_max` `=` $range_max^)? attr-dict
    `:` type($input) `,` type($min)
  }];
  let hasVerifier = 1;
}

def Norm_ImageNormalizeOp : Norm_Op<"image_normalize", [Pure,
    AllTypesMatch<["mean", "std"]>,
    DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface, ["reifyResultShapes"]>]> {
  let summary = "Per-channel image normalization (u8 or float images)";
  let description = [{
    `y[c] = (x[c] * scale - mean[c]) / std[c]` for images in `nchw`/`chw`
    (`layout = nchw`, the default) or `nhwc`/`hwc` (`layout = nhwc`) layout.
    The input is a float or 8-bit integer image (integers are read as
    unsigned, as torchvision's uint8 images); `scale = 0.00392156862745098`
    (1/255) maps 8-bit pixels to [0, 1] first. The output is a float tensor
    of the input's shape.

    ```mlir
    %y = norm.image_normalize %img, %mean, %std layout = nhwc
        scale = 0.00392156862745098
        : tensor<8x224x224x3xui8>, tensor<3xf32> -> tensor<8x224x224x3xf32>
    ```
  }];
  let arguments = (ins Norm_ImageTensor:$input, Norm_FloatTensor:$mean,
                       Norm_FloatTensor:$std,
                       DefaultValuedAttr<Norm_ImageLayout,
                         "::mlir::norm::ImageLayout::NCHW">:$layout,
                       DefaultValuedAttr<F64Attr, "1.0">:$scale);
  let results = (outs Norm_FloatTensor:$output);
  let assemblyFormat = [{
    $input `,` $mean `,` $std (`layout` `=` $layout^)? (`scale` `=` $scale^)?
    attr-dict `:` type($input) `,` type($mean) `->` type($output)
  }];
  let extraClassDeclaration = [{
    /// The dimension of the channels: the last for NHWC/HWC, else the
    /// third from last (NCHW/CHW).
    int64_t getChannelAxis();
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Training: backward operations and micro-batch statistics.
//
// Each backward op takes the incoming gradient `grad_output` (dy), what the
// forward saved (its input and statistics; for inplace_abn its output), the
// forward's parameters and attributes, and returns the gradient of the input
// and, as optional results, of `weight` and `bias`. See docs/training.md.
//===----------------------------------------------------------------------===//

defvar Norm_GradResidualSumFmt =
    "(`residual_sum_grad` `(` $residual_sum_grad^ `:` "
    "type($residual_sum_grad) `)`)? ";
defvar Norm_BatchGradSumsFmt =
    "(`batch_grad_sums` `(` $sum_dpre^ `,` $sum_dpre_xhat `:` "
    "type($sum_dpre) `,` type($sum_dpre_xhat) `)` "
    "`count` `(` $count `:` type($count) `)`)? ";
defvar Norm_GradResultsFmt =
    "(`grad_weight` `(` type($grad_weight)^ `)`)? "
    "(`grad_bias` `(` type($grad_bias)^ `)`)?";

defvar Norm_GradDoc = [{

    With `xhat` the normalized value, `w' = weight (+ weight_offset)`,
    `pre = xhat * w' + bias` and `y = act(pre)`, the op computes

    ```
    dpre        = dy * act'(pre)        (pre recomputed from the input, the
                                         saved statistics, weight and bias)
    grad_bias   = sum(dpre)             over every dimension the parameter
    grad_weight = sum(dpre * xhat)      is broadcast along
    dxhat       = dpre * w'
    grad_input  = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
                  [+ residual_sum_grad] (means over the normalized elements)
    ```

    `grad_output`, `input` and `grad_input` have the same type; the saved
    statistics are those the forward op returns (`mean` and `rstd`). Pass the
    forward's `weight`, and its `bias` when it had one and an `activation` is
    set (the pre-activation value is recomputed, not stored). The gradients
    accumulate in f32 for f16/bf16 inputs; `grad_weight` and `grad_bias` have
    the parameter's shape and its element type or the statistics type.

    Residual form: with `residual`, the forward normalized `s = x + residual`
    (a value of the input type); pass the same `residual` and the op
    recomputes `s`. `grad_input` is then the gradient of both `x` and
    `residual` (d(x + r)/dx = d(x + r)/dr = 1). When the forward also
    returned `residual_sum`, pass that result's incoming gradient as
    `residual_sum_grad`: it is added to `grad_input`.
}];

class Norm_GradOp<string mnemonic, list<Trait> traits = []>
    : Norm_Op<mnemonic, !listconcat(traits, [Pure,
        AttrSizedOperandSegments])> {
  let hasVerifier = 1;
}

def Norm_LayerNormGradOp : Norm_GradOp<"layer_norm_grad", [
    AttrSizedResultSegments,
    AllTypesMatch<["grad_output", "input", "grad_input"]>,
    AllTypesMatch<["mean", "rstd"]>]> {
  let summary = "Backward of norm.layer_norm";
  let description = !strconcat([{
    Gradients of `norm.layer_norm` (same `axes` and `activation`); `mean`
    and `rstd` are the forward's `stats` results (the input shape with the
    normalized dimensions set to 1). The means in `grad_input` run over
    `axes`; `grad_weight` and `grad_bias` sum over the other dimensions.
  }], Norm_GradDoc, [{
    Example:

    ```mlir
    %dx, %dw, %db = norm.layer_norm_grad %dy, %x
        mean(%m : tensor<8x1xf32>) rstd(%r : tensor<8x1xf32>)
        weight(%w : tensor<768xf32>) bias(%b : tensor<768xf32>)
        axes = [1] activation = gelu : tensor<8x768xf32>
        grad_weight(tensor<768xf32>) grad_bias(tensor<768xf32>)
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$grad_output,
                       Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$residual,
                       Norm_FloatTensor:$mean,
                       Norm_FloatTensor:$rstd,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual_sum_grad,
                       DenseI64ArrayAttr:$axes,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$grad_input,
                      Optional<Norm_FloatTensor>:$grad_weight,
                      Optional<Norm_FloatTensor>:$grad_bias);
  let assemblyFormat = !strconcat("$grad_output `,` $input ",
      Norm_ResidualFmt,
      "`mean` `(` $mean `:` type($mean) `)` ",
      "`rstd` `(` $rstd `:` type($rstd) `)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_GradResidualSumFmt,
      "`axes` `=` $axes ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) ",
      Norm_GradResultsFmt);
}

def Norm_RMSNormGradOp : Norm_GradOp<"rms_norm_grad", [
    AllTypesMatch<["grad_output", "input", "grad_input"]>]> {
  let summary = "Backward of norm.rms_norm";
  let description = !strconcat([{
    Gradients of `norm.rms_norm` (same `axes`, `weight_offset` and
    `activation`); `rstd` is the forward's `rstd` result. There is no mean:
    `xhat = s * rstd` and

    ```
    grad_input = rstd * (dxhat - xhat * mean(dxhat * xhat))   (mean over axes)
    ```

    `grad_weight` is the gradient of `weight` (the offset does not change
    it). There is no bias.
  }], Norm_GradDoc, [{
    Example:

    ```mlir
    %dx, %dw = norm.rms_norm_grad %dy, %x rstd(%r : tensor<?x1xf32>)
        weight(%w : tensor<4096xf32>) axes = [1]
        : tensor<?x4096xbf16> grad_weight(tensor<4096xf32>)
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$grad_output,
                       Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$residual,
                       Norm_FloatTensor:$rstd,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$residual_sum_grad,
                       DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<F64Attr, "0.0">:$weight_offset,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$grad_input,
                      Optional<Norm_FloatTensor>:$grad_weight);
  let assemblyFormat = !strconcat("$grad_output `,` $input ",
      Norm_ResidualFmt,
      "`rstd` `(` $rstd `:` type($rstd) `)` ",
      Norm_WeightFmt,
      Norm_GradResidualSumFmt,
      "`axes` `=` $axes ",
      "(`weight_offset` `=` $weight_offset^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) ",
      "(`grad_weight` `(` type($grad_weight)^ `)`)?");
}

def Norm_BatchNormGradOp : Norm_GradOp<"batch_norm_grad", [
    AttrSizedResultSegments,
    AllTypesMatch<["grad_output", "input", "grad_input"]>,
    AllTypesMatch<["mean", "rstd"]>]> {
  let summary = "Backward of norm.batch_norm_training";
  let description = !strconcat([{
    Gradients of `norm.batch_norm_training` (same `feature_axis` and
    `activation`); `mean` and `rstd` are its `saved_mean` and `saved_rstd`.
    The means in `grad_input` and the sums of `grad_weight` and `grad_bias`
    run over every dimension but `feature_axis`. The running statistics
    receive no gradient.

    Micro-batch form (gradient accumulation, see `norm.batch_stats_merge`):
    when the statistics are those of a larger batch of which `input` is one
    micro-batch, the means in `grad_input` must run over that whole batch.
    Pass `batch_grad_sums(%sum_dpre, %sum_dpre_xhat : type, type)`, the sums
    of `grad_bias` and `grad_weight` of every micro-batch (computed in a first
    backward pass with the same statistics), and `count(%n : tensor<f32>)`,
    the element count of a channel over the whole batch (all three of the
    statistics type: f64 for f64 data): then

    ```
    grad_input = rstd * w * (dpre - sum_dpre / n - xhat * sum_dpre_xhat / n)
    ```

    `grad_weight` and `grad_bias` stay the sums of this micro-batch.
  }], Norm_GradDoc, [{
    Example:

    ```mlir
    %dx, %dw, %db = norm.batch_norm_grad %dy, %x
        mean(%m : tensor<64xf32>) rstd(%r : tensor<64xf32>)
        weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>)
        activation = relu : tensor<32x64x56x56xf32>
        grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>)
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$grad_output,
                       Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$residual,
                       Norm_FloatTensor:$mean,
                       Norm_FloatTensor:$rstd,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual_sum_grad,
                       Optional<Norm_FloatTensor>:$sum_dpre,
                       Optional<Norm_FloatTensor>:$sum_dpre_xhat,
                       Optional<Norm_FloatTensor>:$count,
                       DefaultValuedAttr<I64Attr, "1">:$feature_axis,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$grad_input,
                      Optional<Norm_FloatTensor>:$grad_weight,
                      Optional<Norm_FloatTensor>:$grad_bias);
  let assemblyFormat = !strconcat("$grad_output `,` $input ",
      Norm_ResidualFmt,
      "`mean` `(` $mean `:` type($mean) `)` ",
      "`rstd` `(` $rstd `:` type($rstd) `)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_GradResidualSumFmt,
      Norm_BatchGradSumsFmt,
      "(`feature_axis` `=` $feature_axis^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) ",
      Norm_GradResultsFmt);
}

def Norm_GroupNormGradOp : Norm_GradOp<"group_norm_grad", [
    AttrSizedResultSegments,
    AllTypesMatch<["grad_output", "input", "grad_input"]>,
    AllTypesMatch<["mean", "rstd"]>]> {
  let summary = "Backward of norm.group_norm";
  let description = !strconcat([{
    Gradients of `norm.group_norm` (same `num_groups`, `channel_axis` and
    `activation`); `mean` and `rstd` are its `[N, num_groups]` statistics.
    The means in `grad_input` run over each (sample, group);
    `grad_weight` and `grad_bias` sum over every dimension but the channels.
  }], Norm_GradDoc, [{
    Example:

    ```mlir
    %dx, %dw, %db = norm.group_norm_grad %dy, %x
        mean(%m : tensor<8x32xf32>) rstd(%r : tensor<8x32xf32>)
        weight(%w : tensor<256xf32>) bias(%b : tensor<256xf32>)
        groups = 32 activation = silu : tensor<8x256x64x64xf32>
        grad_weight(tensor<256xf32>) grad_bias(tensor<256xf32>)
    ```
  }]);
  let arguments = (ins Norm_FloatTensor:$grad_output,
                       Norm_FloatTensor:$input,
                       Optional<Norm_FloatTensor>:$residual,
                       Norm_FloatTensor:$mean,
                       Norm_FloatTensor:$rstd,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$residual_sum_grad,
                       I64Attr:$num_groups,
                       DefaultValuedAttr<I64Attr, "1">:$channel_axis,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$grad_input,
                      Optional<Norm_FloatTensor>:$grad_weight,
                      Optional<Norm_FloatTensor>:$grad_bias);
  let assemblyFormat = !strconcat("$grad_output `,` $input ",
      Norm_ResidualFmt,
      "`mean` `(` $mean `:` type($mean) `)` ",
      "`rstd` `(` $rstd `:` type($rstd) `)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_GradResidualSumFmt,
      "`groups` `=` $num_groups "
      "(`channel_axis` `=` $channel_axis^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($input) ",
      Norm_GradResultsFmt);
}

def Norm_InplaceABNGradOp : Norm_GradOp<"inplace_abn_grad", [
    AttrSizedResultSegments,
    AllTypesMatch<["grad_output", "output", "grad_input"]>]> {
  let summary = "Backward of norm.inplace_abn, from its output";
  let description = [{
    Gradients of `norm.inplace_abn` computed from the forward's `output`
    `y` and `saved_rstd`, without its input (which the forward overwrote),
    as in InPlace-ABN (Rota Bulò et al., 2018): the activation is inverted
    to recover the pre-activation value and the normalized value,

    ```
    pre  = act^-1(y)      (leaky_relu: y > 0 ? y : y / slope;
                           elu: y > 0 ? y : log1p(y / alpha))
    xhat = (pre - bias) / weight
    ```

    then the gradients are those of `norm.batch_norm_grad`. `weight` must
    have no zero entry (InPlace-ABN keeps `|weight| + eps` for that reason);
    a zero gives inf/NaN. `saved_mean` is not needed. The lowering writes
    `grad_input` into the buffer of `grad_output`, so the backward, too,
    needs no extra activation-sized buffer when `dy` is dead afterwards.

    Micro-batch form, as `norm.batch_norm_grad`'s: when `rstd` is that of a
    larger batch of which `output` is one part (gradient accumulation, or a
    batch split across processes: InPlace-ABN Sync), pass
    `batch_grad_sums(%sum_dpre, %sum_dpre_xhat : type, type)`, the sums of
    `grad_bias` and `grad_weight` over the whole batch, and
    `count(%n : tensor<f32>)`, its element count per channel (of the
    statistics type, as the sums); the means in
    `grad_input` then run over the whole batch, and `grad_weight` and
    `grad_bias` stay the sums of this part.

    Example:

    ```mlir
    %dx, %dw, %db = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<64xf32>)
        weight(%w : tensor<64xf32>) bias(%b : tensor<64xf32>)
        activation = leaky_relu(0.01) : tensor<8x64x32x32xf32>
        grad_weight(tensor<64xf32>) grad_bias(tensor<64xf32>)
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$grad_output,
                       Norm_FloatTensor:$output,
                       Norm_FloatTensor:$rstd,
                       Optional<Norm_FloatTensor>:$weight,
                       Optional<Norm_FloatTensor>:$bias,
                       Optional<Norm_FloatTensor>:$sum_dpre,
                       Optional<Norm_FloatTensor>:$sum_dpre_xhat,
                       Optional<Norm_FloatTensor>:$count,
                       DefaultValuedAttr<I64Attr, "1">:$feature_axis,
                       OptionalAttr<Norm_ActivationAttr>:$activation);
  let results = (outs Norm_FloatTensor:$grad_input,
                      Optional<Norm_FloatTensor>:$grad_weight,
                      Optional<Norm_FloatTensor>:$grad_bias);
  let assemblyFormat = !strconcat("$grad_output `,` $output ",
      "`rstd` `(` $rstd `:` type($rstd) `)` ",
      Norm_WeightFmt,
      Norm_BiasFmt,
      Norm_BatchGradSumsFmt,
      "(`feature_axis` `=` $feature_axis^)? ",
      Norm_ActivationFmt,
      "attr-dict `:` type($output) ",
      Norm_GradResultsFmt);
}

def Norm_BatchStatsOp : Norm_Op<"batch_stats", [Pure,
    AllTypesMatch<["mean", "m2"]>]> {
  let summary = "Partial batch-norm statistics of a micro-batch";
  let description = [{
    The per-channel statistics of `input` over every dimension but
    `feature_axis`, in the form that `norm.batch_stats_merge` combines:
    the element count `count` of a channel (rank 0), the `mean` and the
    centred sum of squares `m2 = sum((x - mean)^2)`. All three are of the
    statistics type (f32 for f16/bf16 inputs).

    ```mlir
    %n, %mean, %m2 = norm.batch_stats %x : tensor<8x64x32x32xbf16>
        -> tensor<f32>, tensor<64xf32>
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$input,
                       DefaultValuedAttr<I64Attr, "1">:$feature_axis);
  let results = (outs Norm_FloatTensor:$count, Norm_FloatTensor:$mean,
                      Norm_FloatTensor:$m2);
  let assemblyFormat = [{
    $input (`feature_axis` `=` $feature_axis^)? attr-dict `:` type($input)
    `->` type($count) `,` type($mean)
  }];
  let hasVerifier = 1;
}

def Norm_BatchStatsMergeOp : Norm_Op<"batch_stats_merge", [Pure,
    AllTypesMatch<["count_a", "count_b", "count"]>,
    AllTypesMatch<["mean_a", "m2_a", "mean_b", "m2_b", "mean", "m2"]>]> {
  let summary = "Chan's merge of two partial batch statistics";
  let description = [{
    Combines the statistics `(count, mean, m2)` of two disjoint parts of a
    batch (from `norm.batch_stats` or earlier merges) into those of their
    union, with the pairwise update of Chan, Golub and LeVeque (the
    parallel form of Welford's algorithm), which does not lose the
    variance to cancellation as a merge of sums of squares does:

    ```
    count = count_a + count_b,  delta = mean_b - mean_a
    mean  = mean_a + delta * count_b / count
    m2    = m2_a + m2_b + delta^2 * count_a * count_b / count
    ```

    The optional `var` result is the biased variance `m2 / count` of the
    union, what `norm.batch_norm_training` normalizes with. Accumulating
    the statistics of the micro-batches of a gradient-accumulation step
    this way, then normalizing each micro-batch with the merged statistics
    (`norm.batch_norm_inference` with `mean` and `var`) and running the
    micro-batch form of `norm.batch_norm_grad`, gives the result of one
    `norm.batch_norm_training` over the whole optimization batch.

    ```mlir
    %n, %mean, %m2, %var = norm.batch_stats_merge %na, %ma, %m2a, %nb, %mb,
        %m2b : tensor<f32>, tensor<64xf32> var(tensor<64xf32>)
    ```
  }];
  let arguments = (ins Norm_FloatTensor:$count_a, Norm_FloatTensor:$mean_a,
                       Norm_FloatTensor:$m2_a, Norm_FloatTensor:$count_b,
                       Norm_FloatTensor:$mean_b, Norm_FloatTensor:$m2_b);
  let results = (outs Norm_FloatTensor:$count, Norm_FloatTensor:$mean,
                      Norm_FloatTensor:$m2, Optional<Norm_FloatTensor>:$var);
  let assemblyFormat = [{
    $count_a `,` $mean_a `,` $m2_a `,` $count_b `,` $mean_b `,` $m2_b
    attr-dict `:` type($count_a) `,` type($mean_a)
    (`var` `(` type($var)^ `)`)?
  }];
  let hasVerifier = 1;
}

#endif // NORM_DIALECT_NORM_IR_NORMOPS_TD
