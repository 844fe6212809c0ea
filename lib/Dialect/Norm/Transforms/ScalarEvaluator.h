//===- ScalarEvaluator.h - Evaluate scalar arith/math DAGs ------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Pattern matching by evaluation: the fusion passes recognize what an
// elementwise payload computes (an activation, an add) by evaluating it in
// double precision at sample points, which is robust to the many ways a
// frontend can spell the same function.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_SCALAREVALUATOR_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_SCALAREVALUATOR_H

#include "norm/Dialect/Norm/IR/NormAttrs.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"

#include <functional>
#include <optional>

namespace mlir::norm {

/// Applies the scalar semantics of `op` (an arith, math or elementwise TOSA
/// op; on tensors too, elementwise) to `operands`. Booleans are 0 or 1.
/// Returns nullopt for ops it does not know.
std::optional<double> applyScalarOp(Operation *op, ArrayRef<double> operands);

/// A function of a few variables given by the DAG of ops that computes
/// `root`. Leaves are the values bound with `bindVariable` and
/// `bindConstant`, and `arith.constant`s.
class ScalarFunction {
public:
  explicit ScalarFunction(Value root) : root(root) {}

  void bindVariable(Value value, unsigned index) { variables[value] = index; }
  void bindConstant(Value value, double constant) {
    constants[value] = constant;
  }

  /// Whether the DAG is made only of known ops with its leaves bound.
  bool isSupported() const;

  /// Evaluates the function at `point` (one value per variable).
  std::optional<double> evaluate(ArrayRef<double> point) const;

  /// For a function of one variable: the values of it at which a compare,
  /// a min/max, an abs or a clamp of the DAG switches sides, computed
  /// exactly: between consecutive branch points (those of the ops below)
  /// each operand is an affine function of the variable, found by
  /// following the ops (getAffinePiece). Nullopt when a switch's sides are
  /// not affine there (a compare of exp(x)), or when the DAG handles NaN
  /// itself (an isnan test: an unordered/ordered predicate or a value
  /// compared with itself; maxnumf/minnumf, which drop NaN): the fused
  /// activations propagate NaN, and a guard must not be taken for one.
  std::optional<SmallVector<double>> getBranchPoints() const;

  /// The affine function `value` is of the variable, as (slope, intercept),
  /// on the segment between branch points that contains `x`; nullopt when
  /// it is not affine there.
  std::optional<std::pair<double, double>> getAffinePiece(Value value,
                                                          double x) const;

private:
  std::optional<double> evaluate(Value value, ArrayRef<double> point,
                                 DenseMap<Value, double> &memo) const;
  bool isSupported(Value value, DenseSet<Value> &visited) const;
  bool dependsOnVariable(Value value, DenseMap<Value, bool> &memo) const;
  std::optional<std::pair<double, double>> getAffinePiece(
      Value value, double x,
      DenseMap<Value, std::optional<std::pair<double, double>>> &memo,
      DenseMap<Value, bool> &dependence) const;

  Value root;
  DenseMap<Value, unsigned> variables;
  DenseMap<Value, double> constants;
};

/// Appends to `points` where `op`, an op of a DAG of one variable, switches
/// sides (a compare, a min/max, an abs, a TOSA clamp; nothing for other
/// ops). `pieceAt(value, x)` gives an operand as an affine function of the
/// variable on the segment containing x, between the points found so far.
/// Failure when a side is not affine there, or `op` handles NaN itself.
LogicalResult appendBranchPoints(
    Operation *op,
    function_ref<std::optional<std::pair<double, double>>(Value, double)>
        pieceAt,
    SmallVectorImpl<double> &points);

/// The points a one-variable function is sampled at.
ArrayRef<double> getSamplePoints();

/// The reference value of `kind` with parameter `alpha` at `x`.
double evaluateActivation(ActivationKind kind, double alpha, double x);

/// Identifies the activation computed by `function` of one variable, or
/// nullopt. Identity is not an activation here. The candidate must match at
/// the sample points, at +-100, on both sides of each of `branchPoints`
/// (where `function` may switch branches) and of its own kinks, and inside
/// and beyond every segment between them. Points beyond `maxMagnitude` (the
/// largest finite value of the payload's type) are not checked: a clamp at
/// f16's 65504 is ReLU for f16. Values agree within `tolerance`, relative
/// (absolute below 1): 1e-6, or the unit roundoff of a narrower payload type
/// (bf16 GELU written with 1/sqrt(2) rounded to bf16). Of several
/// candidates that agree, the closest at the sample points is taken (erf and
/// tanh GELU are both within bf16's tolerance of either).
std::optional<std::pair<ActivationKind, double>>
identifyActivation(const std::function<std::optional<double>(double)> &function,
                   ArrayRef<double> branchPoints, double maxMagnitude,
                   double tolerance = 1e-6);

/// Whether `function` of two variables computes their sum.
bool isAddition(
    const std::function<std::optional<double>(double, double)> &function);

/// The float value of a splat constant tensor or scalar `value`: an
/// `arith.constant`, a `linalg.fill` of one, a `tensor.splat` of one, or a
/// `tosa.const`. Nullopt otherwise.
std::optional<double> getSplatConstant(Value value);

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_SCALAREVALUATOR_H
