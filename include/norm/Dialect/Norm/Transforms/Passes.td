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
    constants; `math` and `arith` ops on tensors (`math.tanh`,
    `arith.maximumf` with a zero splat, …); TOSA `clamp` (min 0, no finite
    max), `sigmoid` and `tanh`.

    Recognition is by evaluation, robust to how the frontend wrote the
    activation (commuted operands, division or multiplication by a
    reciprocal, exp/erf/tanh forms of GELU, select/compare or max forms of
    ReLU): the payload, a DAG of `arith`/`math` ops on one variable, is
    evaluated in double precision at 32 points across [-30, 30] and must
    match one of the dialect's activations within 1e-6 relative (leaky_relu's
    slope and elu's alpha are solved for first). Comparisons in the payload
    are accepted only against zero, so every branch is sampled on both sides.

    Limits: the activation must have the normalization's result type (no
    dtype change), be its only user (the pre-activation value has no other
    use), and be a single op (a chain of tensor ops such as
    `x * sigmoid(x)` written as three ops is left alone).
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

    Limits: the normalization must not have a residual already; when the sum
    has other uses, either all of them must come after the normalization or
    the normalization's other operands must be available at the add, so that
    the fused op can be placed where it dominates every use.
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
    type.
  }];
  let dependentDialects = ["::mlir::norm::NormDialect",
                           "::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numFused", "fused-biases",
              "Number of bias adds absorbed into normalizations">
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

#endif // NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
