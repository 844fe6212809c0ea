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

  /// Whether the DAG is made only of known ops, with leaves bound, and
  /// compares only against constants (identifyActivation samples densely
  /// around each candidate's kinks, so every branch of a select is
  /// exercised where the candidate branches).
  bool isSupported() const;

  /// Evaluates the function at `point` (one value per variable).
  std::optional<double> evaluate(ArrayRef<double> point) const;

  /// For a function of one variable: the values of it at which a compare,
  /// a min/max or a clamp of the DAG switches sides. Nullopt when one of
  /// them is not located: the difference of its two sides is not affine in
  /// the variable.
  std::optional<SmallVector<double>> getBranchPoints() const;

private:
  std::optional<double> evaluate(Value value, ArrayRef<double> point,
                                 DenseMap<Value, double> &memo) const;
  bool isSupported(Value value, DenseSet<Value> &visited) const;

  Value root;
  DenseMap<Value, unsigned> variables;
  DenseMap<Value, double> constants;
};

/// The value of the variable at which `op` (a compare, min/max or clamp of
/// a DAG of one variable) switches sides, appended to `points`; `operandAt`
/// gives the value of an operand of `op` at a value of the variable.
/// Nothing is appended when the sides differ by a constant (or `op` does not
/// branch); failure when their difference is not affine.
LogicalResult
appendBranchPoints(Operation *op,
                   function_ref<std::optional<double>(Value, double)> operandAt,
                   SmallVectorImpl<double> &points);

/// The points a one-variable function is sampled at.
ArrayRef<double> getSamplePoints();

/// The reference value of `kind` with parameter `alpha` at `x`.
double evaluateActivation(ActivationKind kind, double alpha, double x);

/// Identifies the activation computed by `function` of one variable, or
/// nullopt. Identity is not an activation here. The candidate must match at
/// the sample points and on both sides of each of `branchPoints` (where
/// `function` may switch branches) and of its own kinks.
std::optional<std::pair<ActivationKind, double>>
identifyActivation(const std::function<std::optional<double>(double)> &function,
                   ArrayRef<double> branchPoints);

/// Whether `function` of two variables computes their sum.
bool isAddition(
    const std::function<std::optional<double>(double, double)> &function);

/// The float value of a splat constant tensor or scalar `value`: an
/// `arith.constant`, a `linalg.fill` of one, a `tensor.splat` of one, or a
/// `tosa.const`. Nullopt otherwise.
std::optional<double> getSplatConstant(Value value);

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_SCALAREVALUATOR_H
