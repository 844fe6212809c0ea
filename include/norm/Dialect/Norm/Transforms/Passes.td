//===- Passes.td - Transforms of the norm dialect ----------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
#define NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion
//===----------------------------------------------------------------------===//

def NormFuseActivationPass : Pass<"norm-fuse-activation"> {
  let summary = "Absorb the activation that follows a normalization";
  let description = [{
    Finds an elementwise activation applied to the result of a `norm`
    activation normalization (layer_norm, rms_norm, batch_norm_inference,
    batch_norm_training, inplace_abn, group_norm) that has no activation yet,
    and moves it into the op's `activation` attribute, so the lowering applies
    it in the normalization's last sweep instead of materializing the
    pre-activation tensor.

    Recognized forms: `linalg.generic` and named elementwise linalg ops
    (`linalg.max` against a zero fill, …) whose other operands are splat
    constants (broadcast or not); `math` and `arith` ops on tensors
    (`math.tanh`, `arith.maximumf` with a zero splat, …); TOSA `clamp` (min
    0 and no finite max, or max 6), `sigmoid` and `tanh`.

    Recognition is by evaluation, robust to how the frontend wrote the
    activation (commuted operands, division or multiplication by a
    reciprocal, exp/erf/tanh forms of GELU, select/compare or max forms of
    ReLU, torch-mlir's compare-select forms of ReLU6, Hardswish, Hardsigmoid
    and Mish): the payload, a DAG of `arith`/`math` ops on one variable, is
    evaluated in double precision at 32 points across [-30, 30] and must
    match one of the dialect's activations within 1e-6 relative (leaky_relu's
    slope and elu's alpha are solved for first). So that no branch hides
    between sample points, the match is also checked on both sides of every
    branch point of the payload (where a compare, min/max, abs or clamp
    switches sides, located exactly: each side must be affine in the
    variable between the branch points of its operands, or nothing is
    fused) and of the candidate's kinks (0, +-3, 6), inside and beyond the
    segments between them, and at +-100; points beyond the payload type's
    largest value are skipped. A payload that handles NaN itself (isnan
    tests, maxnumf/minnumf) is not fused: the activations propagate NaN.

    Limits: the activation must have the normalization's result type (no
    dtype change), be its only user (the pre-activation value has no other
    use), and be a single op (a chain of tensor ops such as
    `x * sigmoid(x)` written as three ops is left alone); the other operands
    of the op must be splat constants, and its payload one of the dialect's
    activations (a clamp at 6.5, `x * x`, ... are left alone); a
    normalization that
    has an activation already is left alone. Dynamic shapes and every float
    element type are handled alike. Tests: norm-fuse-activation.mlir
    (`@negative`) and norm-fuse-activation-limits.mlir.
  }];
  let dependentDialects = ["::mlir::norm::NormDialect"];
  let statistics = [
    Statistic<"numFused", "fused-activations",
              "Number of activations absorbed into normalizations">
  ];
}

def NormFuseResidualPass : Pass<"norm-fuse-residual"> {
  let summary = "Absorb a residual add into the normalization after it";
  let description = [{
    Rewrites `norm(x + r)` into the residual form of the normalization
    (`residual` operand), so that the sum is computed inside the
    normalization's sweeps. When `x + r` has other uses (the residual stream
    of a pre-norm transformer) the op also returns it as `residual_sum` and
    those uses read that result.

    Recognized adds: `arith.addf` on tensors, `linalg.add`, a
    `linalg.generic` with two identity-mapped inputs whose payload adds them
    (checked by evaluation, as in `norm-fuse-activation`) and `tosa.add`
    without broadcast. Both addends must have the normalization's input type.

    Limits: the normalization must not have a residual already (and
    `inplace_abn` has no residual form); a subtraction, `x + x` and a
    broadcasting add (`tosa.add` of a `[1, N]` residual) are left alone;
    when the sum has other uses, either all of them must come after the
    normalization or the normalization's other operands must be available at
    the add, so that the fused op can be placed where it dominates every use.
    Dynamic shapes and every float element type are handled alike. Tests:
    norm-fuse-residual.mlir (`@negative`) and
    norm-fuse-residual-limits.mlir.
  }];
  let dependentDialects = ["::mlir::norm::NormDialect"];
  let statistics = [
    Statistic<"numFused", "fused-residuals",
              "Number of residual adds absorbed into normalizations">
  ];
}

def NormFuseBiasPass : Pass<"norm-fuse-bias"> {
  let summary = "Absorb a broadcast bias add after a normalization into it";
  let description = [{
    Rewrites `norm(x) + broadcast(b)`, where `b` broadcasts along the
    normalization's parameter dimensions (the normalized trailing axes of
    layer_norm/rms_norm, the channel of batch/group norm), into the op's
    `bias` operand (added to an existing bias). RMS norm has no bias operand
    and is left alone.

    Recognized adds: a `linalg.generic` with the normalization result
    (identity map) and `b` (projected map) as inputs whose payload adds them,
    and `linalg.add`/`arith.addf` of the result and a `linalg.broadcast` of
    `b`.

    Limits: the normalization must have no activation (the add would come
    after it), its result no other use, and the bias the result's element
    type (an f16 bias extended to an f32 result is left alone); the addend
    must broadcast along the parameter dimensions only (a bias along another
    dimension, or a full-shape addend, is no bias). Dynamic shapes are
    handled. Tests: norm-fuse-bias.mlir (`@negative`) and
    norm-fuse-bias-limits.mlir.
  }];
  let dependentDialects = ["::mlir::norm::NormDialect",
                           "::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numFused", "fused-biases",
              "Number of bias adds absorbed into normalizations">
  ];
}

def NormFoldIntoLinearPass : Pass<"norm-fold-into-linear"> {
  let summary = "Fold inference normalizations into constant conv/matmul "
                "weights";
  let description = [{
    At inference a per-channel affine normalization with constant
    parameters next to a convolution or matmul with constant weights is
    folded into those weights and a bias, computed at compile time, so the
    normalization's separate sweep over the activations disappears:

    * **After** (batch norm folding): `batch_norm_inference(L(x, W) [+ b])`
      becomes `act(L(x, W') + b')` with, per output channel `f`,
      `a = gamma / sqrt(var + epsilon)`, `W'[..f..] = W[..f..] * a[f]` and
      `b' = (c + b - mean) * a + beta`, where `c` is the per-channel
      constant the linear op accumulated into (its init: a zero or constant
      fill, or a `linalg.broadcast` of a constant bias vector) and `b` a
      constant bias added between the two (a broadcast add recognized as in
      `norm-fuse-bias`). The batch norm's channel (`feature_axis`) must be
      the output channel of `L`: a loop dimension of the result and of the
      weight, not of the input. A batch norm activation is kept: it is
      applied, with the new bias, in one elementwise `linalg.generic` after
      the new linear op.
    * **Before**: `L(standardize(x), W)` and `L(image_normalize(x), W)`,
      normalizations per input channel `c` (`standardize` over all axes but
      one; `image_normalize`'s channel from its layout) written
      `y = x * factor[c] - shift[c]`, become `L(x, W') + b'` with
      `W'[..c..] = W[..c..] * factor[c]` and `b'[f] = -sum W[..c..f] *
      shift[c]`. The channel must be a reduction dimension of `L` indexing
      the input directly, and every output element must sum over the whole
      filter: this holds for linalg convolutions, which have no padding.
      A normalized input that is padded first (`tensor.pad` between the two)
      is not folded: padding with zeros after normalization is not padding
      with zeros before it. `standardize`'s zero-std rule (divide by 1) is
      reproduced; an `image_normalize` with a zero std is not folded.

    Linear ops: `linalg.matmul` (also with transposing indexing maps),
    `linalg.conv_2d_nhwc_hwcf` and `linalg.conv_2d_nchw_fchw`, on tensors,
    with a static weight shape. Constants are `arith.constant`
    dense tensors (not `dense_resource`); the new weights and biases are
    computed in double precision and rounded once to the element type.

    Limits: every normalization parameter and the weights must be
    constants; the intermediate (the linear op's result, the bias add's, the
    normalized input) must have no other use; normalizations with a
    `residual` are left alone; the input of a "before" fold must have the
    normalized type (an 8-bit `image_normalize` input is not folded).
    Folding rounds `W * a` once more than the unfolded program does: exact
    in f32/f64 up to that rounding, but with f16/bf16 weights or results
    the rounding error of the folded weight is the element type's (2^-8 for
    bf16), so those are folded only with `fold-low-precision`. Each limit
    leaves the IR untouched. Tests: norm-fold-into-linear.mlir (`@negative_*`,
    `@bf16_weights`) and norm-fold-into-linear-limits.mlir (residual,
    `dense_resource` weights, zero std, dynamic weight shape).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"foldLowPrecision", "fold-low-precision", "bool",
           /*default=*/"false",
           "Also fold into f16/bf16 weights (changes their rounding)">
  ];
  let statistics = [
    Statistic<"numFoldedAfter", "folded-after",
              "Batch normalizations folded into the linear op before them">,
    Statistic<"numFoldedBefore", "folded-before",
              "Input normalizations folded into the linear op after them">
  ];
}

def NormFlashNormPass : Pass<"norm-flash-norm"> {
  let summary = "Apply RMS/layer normalization after the matmul (FlashNorm)";
  let description = [{
    FlashNorm: a `rms_norm` or `layer_norm` over the last axis of a
    `[M, K]` tensor whose uses are all `linalg.matmul`s with constant
    weights `W` (`[K, N]`, or `[N, K]` with transposing indexing maps) is
    rewritten so that the normalized tensor is never materialized:

    ```
    rms_norm(x) @ W   = rstd * (x @ W')                       W'[k, n] = w[k] W[k, n]
    layer_norm(x) @ W = rstd * (x @ W' - mean * colsum(W')) + bias @ W
    ```

    The normalization weight (plus rms_norm's `weight_offset`) is folded
    into the constant `W'` at compile time. With several matmuls (the Q, K
    and V projections of a pre-norm attention block) each gets its own `W'`
    and epilogue and the statistics are computed once. The normalization stays only to
    produce its statistics (its optional `rstd`, and `mean` for layer norm,
    results, `[M, 1]`); its normalized output is left unused, and its
    computation disappears once lowered to linalg (canonicalization removes
    the dead `linalg.generic`). The matmul reads the raw `x` (or the op's
    `residual_sum` when it has a `residual`) and accumulates from zero; one
    elementwise `linalg.generic` then applies the per-row scale, the mean
    term with the column sums of the rounded `W'`, `bias @ W` and the
    matmul's original accumulator when it was not zero. The matmul
    accumulates into zeros of its own; the epilogue writes the tensor the
    original zero fill wrote (the destination), or the original
    accumulator, read through its output: the result stays in the
    destination, and row tiling fuses the matmul into the epilogue's tiles.

    Limits: rank-2 input normalized over axis 1 of static size; no
    activation; every use of the normalized value is a matmul's left
    operand (`C[m, n] += x[m, k] * W[k, n]`), else nothing is rewritten;
    each `W`, the normalization weight and bias are `arith.constant` dense
    tensors. A normalization over a dynamic `K`, over both axes, or used as
    a matmul's right operand is left alone, as is one of a rank other than 2,
    and a `W` whose `K` extent is not the normalized axis' size (the matmul
    verifier does not compare static sizes). Tests: norm-flash-norm.mlir
    (`@negative`, `@bf16`), norm-flash-norm-limits.mlir and
    Regression/flash-norm-weight-size-mismatch.mlir. For layer norm the mean term is
    subtracted after the matmul, which cancels when `|mean|` is large
    relative to the row's standard deviation (the error grows with
    `|mean| / std` times the f32 rounding of `x @ W'`).

    Precision: folding `w` into `W` rounds `w * W` in `W`'s type. For f16
    and bf16 weights or results this changes the result by the type's
    rounding (2^-8 relative for bf16), so those are rewritten only with
    `fold-low-precision` (default off).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let options = [
    Option<"foldLowPrecision", "fold-low-precision", "bool",
           /*default=*/"false",
           "Also rewrite with f16/bf16 weights (changes their rounding)">
  ];
  let statistics = [
    Statistic<"numRewritten", "rewritten",
              "Normalizations moved after their matmul">
  ];
}

def NormFuseQKNormPass : Pass<"norm-fuse-qk-norm"> {
  let summary = "Fuse QK-norm (RMSNorm of queries and keys) into the scores";
  let description = [{
    QK-norm normalizes the queries and keys of each head with an RMSNorm
    over the head dimension before the score contraction (OLMo 2, Qwen 3,
    Gemma 3). Since both normalizations scale whole rows of the contracted
    operands, they commute with the contraction:

    ```
    S[.., i, j] = sum_d rms_norm(q)[.., i, d] * rms_norm(k)[.., j, d]
                = rq[.., i] * rk[.., j] * sum_d q[.., i, d] gq[d] gk[d] k[.., j, d]
    ```

    The contraction (any linalg op with the contraction interface:
    `linalg.matmul`, `linalg.batch_matmul` with or without transposing
    indexing maps, an einsum-like `linalg.generic`) is rewritten into a
    `linalg.generic` that reads the raw `q` and `k` and the two weight
    vectors (plus `weight_offset`), accumulating from zero, and an
    elementwise epilogue that multiplies by the per-row reciprocal RMS of
    `q` and `k` (the norms' `rstd` results) and adds the original
    accumulator. The normalized `q` and `k` are never materialized; the
    norms remain only for their statistics.

    Between a norm and the contraction there may be the shape-only ops
    torch-mlir emits around per-head tensors (`linalg.transpose`,
    `tensor.collapse_shape`, `tensor.expand_shape`), as long as the
    normalized axis stays a dimension of its own: the chain is kept, now
    applied to the raw `q` or `k`, and replayed on the `rstd` statistics so
    that they line up with the contraction's operand.

    Limits (anything else is left untouched): both operands come from two
    different `norm.rms_norm` ops over their last axis only, without
    residual or activation; every value from a norm to the contraction has
    one use; no reshape merges or splits the normalized axis; that axis is
    indexed by the contraction's only reduction loop; f32 and f64 only
    (moving the weights into the contraction changes f16/bf16 rounding).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numFused", "fused-qk-norms",
              "Score contractions with both normalizations fused">
  ];
}

def NormFuseSoftmaxMatmulPass : Pass<"norm-fuse-softmax-matmul"> {
  let summary = "Divide by the softmax row sums after the contraction";
  let description = [{
    Softmax is a normalization, `p = exp(s - m) / l` with the row statistics
    `m = max(s)` and `l = sum(exp(s - m))`, and its division commutes with a
    contraction that reads `p` along the normalized axis (the probabilities
    times the values of attention):

    ```
    sum_j p[.., i, j] v[.., j, d] = (1 / l[.., i]) * sum_j exp(s[.., i, j] - m[.., i]) v[.., j, d]
    ```

    A `linalg.softmax` whose only use is such a contraction (matmul,
    batch_matmul, an einsum `linalg.generic`; directly or through the
    transposes and reshapes torch-mlir emits, keeping the softmax axis a
    dimension of its own) is replaced by its statistics and the unnormalized
    exponentials; the contraction reads the exponentials (accumulating from
    zero) and an elementwise epilogue divides its `[.., S, D]` result by the
    row sums (and adds the original accumulator). The `[.., S, S]`
    probabilities are never materialized and the division runs on `S·D`
    instead of `S·S` elements.

    It pays when the contraction's result has at most as many elements as
    the probabilities (in attention: sequence length >= head dimension);
    with static shapes where it does not, nothing is rewritten unless
    `always` is set. Dynamic shapes are assumed to pay.

    Limits (anything else is left untouched): the softmax has one use; the
    softmax axis is indexed by the contraction's only reduction loop and
    only by it; f32 and f64 only (moving the division changes f16/bf16
    rounding). Rows that are entirely `-inf` give NaN, as in softmax.
  }];
  let options = [
    Option<"always", "always", "bool", /*default=*/"false",
           "Rewrite even where the result is larger than the probabilities">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
  let statistics = [
    Statistic<"numFused", "fused-softmaxes",
              "Softmaxes whose division moved after their contraction">
  ];
}

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

def NormCheckLeakagePass : Pass<"norm-check-leakage", "::mlir::ModuleOp"> {
  let summary = "Report evaluation data that leaks into fitted statistics";
  let description = [{
    Data normalization must be fitted on the training split only:
    `norm.moments` / `norm.min_max` run on training data, and their results
    are applied by `norm.standardize`, `norm.min_max_scale` or
    `norm.image_normalize` to every split. Fitting in one function (from a
    training tensor) and applying in another, with the statistics passed as
    arguments, is the intended pattern. This analysis reports, with
    locations, the IR that fits statistics on evaluation data. It does not
    modify the IR.

    **Evaluation functions.** A function (any `FunctionOpInterface` op) is an
    evaluation path if it has the unit attribute `norm.eval`, or, unless it
    has the unit attribute `norm.train`, if its symbol name contains one of
    the words `eval`, `evaluate`, `evaluation`, `val`, `valid`, `validate`,
    `validation`, `test`, `testing`, `predict`, `prediction`, `infer` or
    `inference`. Words are the maximal runs of letters of the name, also
    split at lower-to-upper case changes, compared case-insensitively:
    `@eval_step`, `@runTest`, `@predict2` and `@val.loader` are evaluation
    functions; `@interval`, `@latest`, `@train` are not. Only evaluation
    functions are checked; fitting and applying on the same data in a
    training function (`fit_transform`) is fine.

    **Data sources.** The sources of a value are found by walking its
    def-use chains backwards through every operation (tensor ops, casts,
    linalg, arith, region ops such as `scf.for` with the values their
    regions capture) up to the roots: the function's arguments, the block
    arguments that cannot be traced further, and the results of operations
    without operands. Only tensor and memref roots count, and splat
    constants, `tensor.empty` and shape queries (`tensor.dim`,
    `memref.dim`) carry no data. A function argument with the unit argument
    attribute `norm.train` is training data and never counts as a leak.

    **Statistics.** A statistics op is `norm.moments`, `norm.min_max`, or a
    call to a function of the module that computes statistics (contains one
    of those ops, directly or through further calls). A call is analyzed
    conservatively: its results derive from all its operands, and a
    statistics call fits on all of them. External callees are opaque (their
    results derive from their operands).

    **Errors**, in evaluation functions only:

    * at a `norm.standardize`, `norm.min_max_scale` or
      `norm.image_normalize` whose statistics come from a statistics op
      whose input shares a source with the normalized input (the value is
      normalized with statistics of its own data), with a note at the
      statistics op;
    * otherwise at a statistics op whose input derives from an argument of
      the evaluation function not marked `norm.train` (evaluation data is
      fitted, whoever uses the result).

    Statistics passed in as arguments, loaded from constants, or computed
    from `norm.train` arguments are accepted. With `warn-only` the findings
    are warnings and the pass succeeds; otherwise they are errors and the
    pass fails.

    ```mlir
    func.func @evaluate(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
      // error: statistics fitted on the evaluation data itself.
      %m, %s = norm.moments %x axes = [0] : tensor<?x16xf32> -> tensor<16xf32>
      %y = norm.standardize %x, %m, %s axes = [0]
          : tensor<?x16xf32>, tensor<16xf32>
      return %y : tensor<?x16xf32>
    }
    ```
  }];
  let options = [
    Option<"warnOnly", "warn-only", "bool", /*default=*/"false",
           "Report leaks as warnings and let the pass succeed">
  ];
  let statistics = [
    Statistic<"numLeaks", "leaks", "Number of leaks reported">
  ];
}

def NormLintPass : Pass<"norm-lint", "::mlir::ModuleOp"> {
  let summary = "Warn about normalization misuse, with a suggested fix";
  let description = [{
    Turns the practical advice about normalization layers into located
    diagnostics, each with a note that suggests the fix. It never modifies
    the IR and reports nothing on IR that follows the advice. The rules, and
    the reason behind each, are listed in docs/lint.md:

    * small statistical batch: a training batch normalization
      (`batch_norm_training`, `inplace_abn`) whose elements per channel (the
      product of every dimension but the feature axis) are statically fewer
      than `min-batch-elements` (suggest `group_norm`);
    * train/eval mismatch: a training-form batch normalization in an
      evaluation function (as `norm-check-leakage` defines them: attribute
      `norm.eval` or an evaluation word in the name); an inference-form one
      whose running statistics are updated (by a training batch
      normalization) in the same function; a training batch normalization
      whose updated running statistics are never used;
    * distributed and accumulated batches: a training batch normalization
      that runs inside an `scf.for` that accumulates by addition and slices
      its input per iteration along dimension 0 (micro-batches); one whose
      input is sharded (`shard.shard`) along a batch dimension gets a remark
      (shard-partition synchronizes it, at the cost of all-reduces);
    * data leakage: the findings of `norm-check-leakage`, as warnings;
    * architecture defaults: a batch normalization next to an attention
      softmax (suggest `layer_norm`/`rms_norm`); a post-norm transformer
      block (a remark); `spectral_norm` applied to an activation.

    With `werror` the warnings are errors and the pass fails; the post-norm
    remark stays a remark.
  }];
  let options = [
    Option<"minBatchElements", "min-batch-elements", "int64_t",
           /*default=*/"32",
           "Warn when a training batch normalization computes each "
           "channel's statistics over fewer elements than this">,
    Option<"werror", "werror", "bool", /*default=*/"false",
           "Report the warnings as errors and fail the pass">
  ];
  let statistics = [
    Statistic<"numWarnings", "warnings", "Number of warnings reported">,
    Statistic<"numRemarks", "remarks", "Number of remarks reported">
  ];
}

def NormFusionReportPass : Pass<"norm-fusion-report", "::mlir::ModuleOp"> {
  let summary = "Print the intermediates and bytes moved by linalg ops";
  let description = [{
    Prints one line per function with a body to stdout, to measure what
    fusion saves (run it before and after the fusion passes, after lowering
    to linalg, e.g. `--convert-norm-to-linalg --canonicalize
    --norm-fusion-report`):

    ```
    fusion report @f: 4 linalg ops, 2 intermediates (8192 bytes), bytes moved 40960
    ```

    * **linalg ops**: the `linalg` structured ops (generic, named, fill) in
      the function;
    * **intermediates**: results of linalg ops read by another linalg op,
      directly or through `tensor.expand_shape`, `tensor.collapse_shape` or
      `tensor.cast` (views): each is a tensor the program materializes
      between two loop nests unless a later pass fuses them; with their
      total size;
    * **bytes moved**: over all linalg ops, the bytes of every shaped input,
      of every init (written) and of every init the payload also reads (an
      accumulator, read and written), with static shapes. Scalars are not
      counted. `dynamic` when a counted shape is not static.

    Normalization ops that are not lowered yet are counted separately
    (`N norm ops not lowered`): their traffic is not included. The pass
    does not modify the IR.
  }];
}

//===----------------------------------------------------------------------===//
// Raising
//===----------------------------------------------------------------------===//

def NormRaisePass : Pass<"norm-raise"> {
  let summary = "Raise decomposed normalizations (torch-mlir, linalg) into "
                "norm ops";
  let description = [{
    Recognizes normalizations that a frontend decomposed into linalg on
    tensors, as torch-mlir's `linalg-on-tensors` output does (TOSA input:
    run `tosa-to-linalg-named, tosa-to-linalg` first), and rewrites them:
    layer norm (two-pass, or `E[x^2] - E[x]^2`) into `norm.layer_norm`,
    RMS norm into `norm.rms_norm` (also Gemma's `1 + w`), group norm into
    `norm.group_norm` (instance norm: one channel a group), inference batch
    norm into `norm.batch_norm_inference`, training batch norm into
    `norm.batch_norm_training`, and softmax into `linalg.softmax`.
    A layer-norm-like pattern without mean subtraction is an RMS norm. Run
    `norm-fuse-activation` afterwards to absorb the activation that follows.

    Matching works on the expression graph of a candidate value: elementwise
    linalg ops (any indexing maps: broadcasts, transposes), reshapes and
    casts are inlined into one scalar expression per iteration space, whose
    leaves are tensor reads and reductions (sum or max, of any summand).
    Then:

    * the reductions must all read one tensor `x`, which the root reads
      elementwise, and combine, for each element they are used with, exactly
      the elements of `x` that share its indices outside one set of axes,
      one of which may be split in aligned blocks (group norm's channels)
      (checked by enumeration at sample points); a gather with constant
      indices (`tensor.extract` in a `linalg.generic`: torch-mlir's group
      norm gathers its per-channel scale and shift so) is a read, when its
      indices agree with a reshape or an affine map at every point;
    * each reduction's summand is identified by evaluation (`c*x`,
      `c*(x - mean)^2`, `c*x^2`, `c*exp(x - max)`), and the root expression
      must equal the normalization's formula at random values of `x`, the
      statistics and the parameters, within 1e-6 relative, with epsilon solved
      for first (it must be a positive constant, added to the variance).
      So the rewrite is robust to commuted operands, division versus
      multiplication by a reciprocal versus `rsqrt`, f64 intermediates and
      constant folding, but a near miss (epsilon added to the standard
      deviation, an unbiased variance, a mean over other axes than the
      subtraction) is left alone.

    Dynamic sizes (a dynamic batch from `torch.export`'s `dynamic_shapes`)
    are evaluated from the function's arguments, whose dynamic dimensions
    get probe sizes, through `tensor.dim`, `tensor.empty`, reshapes, slices,
    destinations and index arithmetic; the graph is sampled and enumerated
    at those sizes. A match is kept only if the graph built with a second
    set of probe sizes matches the same way (so a count written as a
    constant where the size is dynamic is not raised). A reduction over a
    dynamic dimension whose count is read from outside the payload is not
    matched.

    Guards: sizes known (static or evaluated as above) and none zero (a
    zero-sized tensor has no elements to evaluate at); intermediate values without uses
    outside the matched graph; layer/RMS norm axes trailing and contiguous;
    parameters (weight, bias, running statistics) of the normalized shape or
    a per-channel vector of `x`'s element type. A candidate that fails a
    guard is left as it is (tests: norm-raise.mlir's near misses and guard,
    norm-raise-limits.mlir). The statistics count what was raised (visible
    with `-mlir-pass-statistics` in an LLVM built with statistics; Debian's
    LLVM 22 is not).

    Training batch norm: the intermediates may have uses outside the graph
    only through two values computed from them, which must be PyTorch's
    running-statistics updates `(1 - m) * running + m * mean` and
    `(1 - m) * running + m * var * n / (n - 1)` with one momentum `m`
    (they become the op's new running statistics); without such uses the
    op gets placeholder running statistics. Group norm: over channel axis 1
    and all later axes. Parameters may carry unit dimensions (TOSA's
    `[1, C, 1, 1]`); they are collapsed for the op. Near misses of group
    norm and training batch norm:
    test/Raise/group-and-training-norm-negative.mlir.

    Chained reductions (TOSA reduces one axis at a time): a sum whose
    summand is a linear function `c * r` of another sum `r` (a max of a
    max) is merged into one reduction over both ops' reduced loops, so
    TOSA's layer norms over several axes, instance, group and training batch
    norms are matched like torch-mlir's linalg output. Gather indices may be
    computed from constant tensors by integer linalg ops, reshapes and
    `tensor.insert_slice` (TOSA's group norm), evaluated exactly. Near
    misses: test/Raise/tosa-chained-reductions-negative.mlir.
  }];
  let dependentDialects = ["::mlir::norm::NormDialect",
                           "::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numRaised", "raised", "Number of normalizations raised">,
    Statistic<"numLayerNorm", "layer-norms", "Number of layer norms raised">,
    Statistic<"numRMSNorm", "rms-norms", "Number of RMS norms raised">,
    Statistic<"numGroupNorm", "group-norms",
              "Number of group/instance norms raised">,
    Statistic<"numBatchNorm", "batch-norms",
              "Number of inference batch norms raised">,
    Statistic<"numSoftmax", "softmaxes", "Number of softmaxes raised">
  ];
}

def NormDecomposeAggregatesPass : Pass<"norm-decompose-aggregates"> {
  let summary = "Decompose linalg aggregate ops (linalg.softmax) into "
                "linalg.generic";
  let description = [{
    Rewrites every op implementing `linalg::AggregatedOpInterface` (such as
    the `linalg.softmax` that `norm-raise` creates) into the linalg ops of
    its decomposition, for lowerings that handle only structured ops. Run it
    before `norm-lower-to-cpu`.

    Limits: only aggregates on tensors of floating-point elements are
    decomposed; any other (on buffers, with integer elements) is an error
    (diagnostic at the op, pass failure), because upstream's decompositions
    would produce invalid IR or crash on them. Tests:
    norm-decompose-aggregates.mlir, norm-decompose-aggregates-limits.mlir
    (lib/Dialect/Norm/Transforms/DecomposeAggregates.cpp).
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def NormShardAnnotateArgumentsPass
    : Pass<"norm-shard-annotate-arguments", "::mlir::func::FuncOp"> {
  let summary = "Read every use of a sharded function's tensor arguments "
                "through a shard.shard annotation";
  let description = [{
    MLIR 22's `shard-partition` crashes (a null dereference) on a function
    that uses the shard dialect and has a tensor argument used by anything
    but a `shard.shard` op: an unused argument (a weight kept in the
    signature but not passed to the op), an argument returned, or one used
    both through its annotation and directly. This pass makes every use of
    such an argument go through an annotation: the argument's own
    `shard.shard` (hoisted to the top of the block when its sharding is
    static), else the first one for its users, else, for an argument that
    nothing with a sharding model uses (unused, only returned), a new
    replicated `shard.shard ... annotate_for_users` on the grid of the
    function's first `shard.sharding`. Arguments that only ops with a
    sharding model use, unannotated, are left to `sharding-propagation`.
    Run it before propagation (so that propagation sees uses of an
    annotated argument through its annotation) and after (for the uses it
    leaves unannotated), as `norm-lower-to-cpu{mpi=1}` does. Functions
    without a `shard.sharding` are left alone; an annotation that a use
    precedes and that cannot be hoisted is an error. Test:
    norm-shard-annotate-arguments.mlir
    (lib/Dialect/Norm/Transforms/ShardAnnotateArguments.cpp).
  }];
  let dependentDialects = ["::mlir::shard::ShardDialect"];
}

#endif // NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
