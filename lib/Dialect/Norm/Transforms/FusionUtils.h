//===- FusionUtils.h - Helpers shared by the fusion passes ------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_FUSIONUTILS_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_FUSIONUTILS_H

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <functional>
#include <limits>
#include <optional>

namespace mlir::norm {

/// The activation normalizations: ops with an `activation` attribute.
inline bool isActivationNormalization(Operation *op) {
  return isa<LayerNormOp, RMSNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
             InplaceABNOp, GroupNormOp>(op);
}

/// Whether `op` is an all-parallel linalg op on tensors with one result
/// (and, when `identityMaps`, only identity indexing maps).
bool isElementwiseLinalg(linalg::LinalgOp op, bool identityMaps = true);

/// The scalar function an elementwise op computes of some of its operands.
struct ElementwiseFunction {
  /// Takes one double per variable, in order.
  std::function<std::optional<double>(ArrayRef<double>)> evaluate;
  /// For one variable: where the function may switch branches
  /// (ScalarFunction::getBranchPoints); nullopt where they are not located
  /// or there are several variables.
  std::optional<SmallVector<double>> branchPoints;
  /// The largest finite value of the result's element type.
  double maxMagnitude = std::numeric_limits<double>::infinity();
  /// How closely a known function must agree with this one to be taken for
  /// it: 1e-6, or the unit roundoff of a narrower result type (bf16:
  /// 2^-8), whose constants are rounded to it.
  double tolerance = 1e-6;

  explicit operator bool() const { return static_cast<bool>(evaluate); }
};

/// The scalar function of `variables` that the elementwise op `op` computes,
/// when every other operand is a splat constant (and a linalg init is not
/// read). `variables` are operand values of `op`. Empty when `op` computes
/// something else or something unknown. Constants may be broadcast; with
/// `identityMaps` false, variables may be too (the caller checks the maps).
ElementwiseFunction getElementwiseFunction(Operation *op,
                                           ArrayRef<Value> variables,
                                           bool identityMaps = true);

/// The bias that the elementwise `add` adds to `value` and the dimensions
/// of `value` it is indexed by (in order): a `linalg.generic` of `value`
/// (identity map) and the bias (projected map) whose payload adds them
/// (checked by evaluation), or `linalg.add`/`arith.addf` of `value` and a
/// `linalg.broadcast` of the bias. Nullopt for anything else.
std::optional<std::pair<Value, SmallVector<int64_t>>>
matchBroadcastBiasAdd(Operation *add, Value value);

/// The elements (row-major, as doubles) of a constant float tensor
/// (`arith.constant dense<...>`, splat or not). Nullopt for anything else,
/// including `dense_resource` blobs.
std::optional<SmallVector<double>> getConstantElements(Value value);

/// `value` converted to double.
double toDouble(APFloat value);

/// A dense float attribute of `type` holding `values` (row-major), each
/// rounded to nearest even in the element type.
DenseElementsAttr getFloatElementsAttr(RankedTensorType type,
                                       ArrayRef<double> values);

/// Whether `type` (or its element type) is f16 or bf16.
bool isLowPrecisionFloat(Type type);

/// The two addends of `sum` when it is an elementwise add of two tensors of
/// its own type: an op with two operands (two DPS inputs for linalg) whose
/// computation is an addition (checked by evaluation: `arith.addf`,
/// `linalg.add`, `tosa.add`, an elementwise `linalg.generic`, ...).
std::optional<std::pair<Value, Value>> matchElementwiseAdd(Value sum);

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_FUSIONUTILS_H
