//===- NormOps.cpp - Operations of the norm dialect -----------------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/STLExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::norm;

Type mlir::norm::getStatisticsElementType(Type elementType) {
  if (elementType.isF16() || elementType.isBF16())
    return Float32Type::get(elementType.getContext());
  return elementType;
}

//===----------------------------------------------------------------------===//
// Custom directive: the `leaky_relu(0.2)` of `activation = leaky_relu(0.2)`.
// The optional group around it in the assembly format handles the keyword.
//===----------------------------------------------------------------------===//

static ParseResult parseActivation(OpAsmParser &parser,
                                   ActivationAttr &activation) {
  FailureOr<ActivationAttr> parsed = parseActivationBody(parser);
  if (failed(parsed))
    return failure();
  activation = *parsed;
  return success();
}

static void printActivation(OpAsmPrinter &printer, Operation *,
                            ActivationAttr activation) {
  printActivationBody(printer, activation);
}

//===----------------------------------------------------------------------===//
// Verification helpers.
//===----------------------------------------------------------------------===//

/// Formats a shape as `4x?x8` for diagnostics.
static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string result;
  llvm::raw_string_ostream os(result);
  llvm::interleave(
      shape, os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << "?";
        else
          os << dim;
      },
      "x");
  return result;
}

/// The bytes of a value of `type` with static sizes, or nullopt when they
/// exceed kMaxValueBytes (dynamic sizes count as 1: they are checked, if
/// at all, when the code runs).
static std::optional<int64_t> getStaticBytes(ShapedType type) {
  Type element = type.getElementType();
  if (auto complex = dyn_cast<ComplexType>(element))
    element = complex.getElementType();
  int64_t bytes = element.isIntOrFloat()
                      ? llvm::divideCeil(element.getIntOrFloatBitWidth(), 8)
                      : 8; // index
  if (isa<ComplexType>(type.getElementType()))
    bytes *= 2;
  for (int64_t size : type.getShape()) {
    if (ShapedType::isDynamic(size) || size == 0)
      continue;
    if (size > kMaxValueBytes / bytes)
      return std::nullopt;
    bytes *= size;
  }
  return bytes;
}

LogicalResult mlir::norm::verifyAddressableShapes(Operation *op) {
  auto check = [&](Type type, StringRef kind, unsigned index) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasRank() || getStaticBytes(shaped))
      return success();
    return op->emitOpError()
           << kind << " #" << index << " of type " << type
           << " holds more than 2^48 bytes (256 TiB), the largest value "
              "norm-mlir compiles";
  };
  for (auto [index, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand", index)))
      return failure();
  for (auto [index, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result", index)))
      return failure();
  return success();
}

/// Checks that `epsilon` is positive and finite, and a normal number in the
/// type the op computes in: f64 for f64 data, else f32 (f16 and bf16
/// accumulate in f32). A value that rounds to 0 or inf there, or to a
/// denormal that flush-to-zero makes 0, would silently change the result.
static LogicalResult verifyEpsilon(Operation *op, double epsilon,
                                   Type elementType,
                                   StringRef name = "epsilon") {
  if (!(epsilon > 0.0) || !std::isfinite(epsilon))
    return op->emitOpError()
           << "expects '" << name << "' to be a positive finite number, got "
           << epsilon;
  bool wide = elementType.isF64();
  double smallest = wide ? std::numeric_limits<double>::min()
                         : std::numeric_limits<float>::min();
  double largest = wide ? std::numeric_limits<double>::max()
                        : std::numeric_limits<float>::max();
  if (epsilon < smallest || epsilon > largest)
    return op->emitOpError()
           << "expects '" << name << "' to be a normal "
           << (wide ? "f64" : "f32")
           << " number (the type it is computed in), got " << epsilon
           << ", which " << (epsilon < smallest ? "underflows" : "overflows")
           << " there";
  return success();
}

/// What `verifyAxes` asks of the axes beyond being sorted, unique and in
/// range.
enum class AxesForm {
  Any,
  /// One run of adjacent dimensions: layer/RMS norm over the trailing
  /// dimensions, or over the channels of an NCHW tensor (ConvNeXt's and
  /// SAM's LayerNorm2d).
  Contiguous,
};

/// Checks that `axes` are sorted, unique, in range for `rank` and of the
/// form `form`.
static LogicalResult verifyAxes(Operation *op, ArrayRef<int64_t> axes,
                                int64_t rank, AxesForm form) {
  if (axes.empty())
    return op->emitOpError() << "expects at least one axis in 'axes'";
  for (auto [index, axis] : llvm::enumerate(axes)) {
    if (axis < 0 || axis >= rank)
      return op->emitOpError()
             << "axis " << axis << " is out of range for an input of rank "
             << rank;
    if (index > 0 && axis <= axes[index - 1])
      return op->emitOpError()
             << "expects 'axes' to be sorted and without duplicates";
  }
  if (form == AxesForm::Contiguous &&
      axes.back() - axes.front() + 1 != static_cast<int64_t>(axes.size())) {
    InFlightDiagnostic diag =
        op->emitOpError() << "expects 'axes' to be adjacent dimensions, got [";
    llvm::interleaveComma(axes, diag);
    return diag << "]";
  }
  return success();
}

/// Checks that `type` has the shape `expected` (dynamic sizes match
/// anything) and, if given, the element type `elementType`.
static LogicalResult verifyShapedLike(Operation *op, StringRef what,
                                      ShapedType type,
                                      ArrayRef<int64_t> expected,
                                      Type elementType = {}) {
  if (type.getRank() != static_cast<int64_t>(expected.size())) {
    InFlightDiagnostic diag = op->emitOpError()
                              << "expects " << what << " to have rank "
                              << expected.size();
    if (!expected.empty())
      diag << " (shape " << formatShape(expected) << ")";
    return diag << ", got rank " << type.getRank();
  }
  for (auto [index, pair] :
       llvm::enumerate(llvm::zip(type.getShape(), expected))) {
    auto [actual, wanted] = pair;
    if (ShapedType::isStatic(actual) && ShapedType::isStatic(wanted) &&
        actual != wanted)
      return op->emitOpError()
             << "expects " << what << " to have shape " << formatShape(expected)
             << ", got " << formatShape(type.getShape()) << " (dimension "
             << index << ")";
  }
  if (elementType && type.getElementType() != elementType)
    return op->emitOpError()
           << "expects " << what << " to have element type " << elementType
           << ", got " << type.getElementType();
  return success();
}

/// The input shape with the dimensions in `axes` set to 1 (`keep`) or
/// removed.
static SmallVector<int64_t> reducedShape(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> axes, bool keep) {
  SmallVector<int64_t> result;
  for (auto [dim, size] : llvm::enumerate(shape)) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(dim)))
      result.push_back(size);
    else if (keep)
      result.push_back(1);
  }
  return result;
}

static SmallVector<int64_t> selectedShape(ArrayRef<int64_t> shape,
                                          ArrayRef<int64_t> axes) {
  return llvm::map_to_vector(axes, [&](int64_t axis) { return shape[axis]; });
}

static LogicalResult verifyResidual(Operation *op, Value input, Value residual,
                                    Value residualSum) {
  if (residual && residual.getType() != input.getType())
    return op->emitOpError()
           << "expects 'residual' to have the input type " << input.getType()
           << ", got " << residual.getType();
  if (residualSum && !residual)
    return op->emitOpError()
           << "has a 'residual_sum' result but no 'residual' operand";
  if (residualSum && residualSum.getType() != input.getType())
    return op->emitOpError()
           << "expects result 'residual_sum' to have the input type "
           << input.getType() << ", got " << residualSum.getType();
  return success();
}

static LogicalResult verifyStatsPair(Operation *op, Value mean, Value rstd,
                                     ArrayRef<int64_t> shape,
                                     Type elementType) {
  if (static_cast<bool>(mean) != static_cast<bool>(rstd))
    return op->emitOpError()
           << "expects both 'mean' and 'rstd' results or neither";
  if (mean && failed(verifyShapedLike(op, "result 'mean'",
                                      cast<ShapedType>(mean.getType()), shape,
                                      elementType)))
    return failure();
  if (rstd && failed(verifyShapedLike(op, "result 'rstd'",
                                      cast<ShapedType>(rstd.getType()), shape,
                                      elementType)))
    return failure();
  return success();
}

/// Checks that the keepdims statistics results `stats` (if any) have a
/// static 1 in each normalized dimension `axes`: the lowering reshapes them
/// there, and a `?` stood for the input's size (a crash in
/// canonicalization, found by a review). The backward ops take such
/// operands (the Python package's dynamically typed arguments) and cast
/// them.
static LogicalResult verifyUnitAxes(Operation *op, StringRef what, Value stats,
                                    ArrayRef<int64_t> axes) {
  if (!stats)
    return success();
  auto type = cast<ShapedType>(stats.getType());
  for (int64_t axis : axes)
    if (axis < type.getRank() && type.getDimSize(axis) != 1)
      return op->emitOpError()
             << "expects " << what << " to have a static size 1 in normalized "
             << "dimension " << axis << ", got "
             << (type.isDynamicDim(axis)
                     ? std::string("?")
                     : std::to_string(type.getDimSize(axis)));
  return success();
}

/// Checks that a parameter (weight, bias, running statistic, `u`) has the
/// element type of the data it applies to or that data's statistics type
/// (f32 parameters of f16/bf16 data).
static LogicalResult verifyParamElementType(Operation *op, StringRef what,
                                            Type type, Type dataElementType) {
  Type actual = cast<ShapedType>(type).getElementType();
  Type statsType = getStatisticsElementType(dataElementType);
  if (actual == dataElementType || actual == statsType)
    return success();
  InFlightDiagnostic diag = op->emitOpError()
                            << "expects " << what << " to have element type "
                            << dataElementType;
  if (statsType != dataElementType)
    diag << " or " << statsType;
  return diag << ", got " << actual;
}

static LogicalResult verifyOptionalParam(Operation *op, StringRef what,
                                         Value value, ArrayRef<int64_t> shape,
                                         Type inputElementType) {
  if (!value)
    return success();
  if (failed(
          verifyShapedLike(op, what, cast<ShapedType>(value.getType()), shape)))
    return failure();
  return verifyParamElementType(op, what, value.getType(), inputElementType);
}

/// The channel count of `type` along `axis`, or a diagnostic.
static LogicalResult verifyFeatureAxis(Operation *op, StringRef name,
                                       RankedTensorType type, int64_t axis,
                                       bool allowBatchAxis) {
  if (type.getRank() < 2)
    return op->emitOpError() << "expects an input of rank >= 2 (batch and "
                                "channels), got rank "
                             << type.getRank();
  int64_t lowest = allowBatchAxis ? 0 : 1;
  if (axis < lowest || axis >= type.getRank())
    return op->emitOpError() << "expects '" << name << "' in [" << lowest
                             << ", " << type.getRank() - 1 << "], got " << axis;
  return success();
}

/// Checks rank-1 `[C]` statistics and parameters of a batch normalization.
static LogicalResult verifyBatchNormCommon(Operation *op, Value input,
                                           Value runningMean, Value runningVar,
                                           Value weight, Value bias,
                                           int64_t featureAxis, double epsilon,
                                           ActivationAttr activation) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (failed(verifyFeatureAxis(op, "feature_axis", inputType, featureAxis,
                               /*allowBatchAxis=*/true)))
    return failure();
  if (failed(verifyEpsilon(op, epsilon, inputType.getElementType())))
    return failure();
  int64_t channels = inputType.getDimSize(featureAxis);
  Type elementType = inputType.getElementType();
  if (failed(verifyOptionalParam(op, "'running_mean'", runningMean, {channels},
                                 elementType)) ||
      failed(verifyOptionalParam(op, "'running_var'", runningVar, {channels},
                                 elementType)) ||
      failed(verifyOptionalParam(op, "'weight'", weight, {channels},
                                 elementType)) ||
      failed(verifyOptionalParam(op, "'bias'", bias, {channels}, elementType)))
    return failure();
  return success();
}

static LogicalResult verifyMomentum(Operation *op, double momentum) {
  if (!(momentum >= 0.0 && momentum <= 1.0))
    return op->emitOpError()
           << "expects 'momentum' in [0, 1], got " << momentum;
  return success();
}

//===----------------------------------------------------------------------===//
// Shape reification helpers.
//===----------------------------------------------------------------------===//

static SmallVector<OpFoldResult> keptSizes(ArrayRef<OpFoldResult> sizes,
                                           ArrayRef<int64_t> axes, bool keep,
                                           OpBuilder &builder) {
  SmallVector<OpFoldResult> result;
  for (auto [dim, size] : llvm::enumerate(sizes)) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(dim)))
      result.push_back(size);
    else if (keep)
      result.push_back(builder.getIndexAttr(1));
  }
  return result;
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  auto inputType = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), inputType.getRank(),
                        AxesForm::Contiguous)) ||
      failed(verifyEpsilon(*this, getEpsilon().convertToDouble(),
                           inputType.getElementType())))
    return failure();
  SmallVector<int64_t> paramShape =
      selectedShape(inputType.getShape(), getAxes());
  Type elementType = inputType.getElementType();
  if (failed(verifyOptionalParam(*this, "'weight'", getWeight(), paramShape,
                                 elementType)) ||
      failed(verifyOptionalParam(*this, "'bias'", getBias(), paramShape,
                                 elementType)))
    return failure();
  if (failed(verifyStatsPair(
          *this, getMean(), getRstd(),
          reducedShape(inputType.getShape(), getAxes(), /*keep=*/true),
          getStatisticsElementType(inputType.getElementType()))) ||
      failed(verifyUnitAxes(*this, "result 'mean'", getMean(), getAxes())) ||
      failed(verifyUnitAxes(*this, "result 'rstd'", getRstd(), getAxes())))
    return failure();
  return verifyResidual(*this, getInput(), getResidual(), getResidualSum());
}

LogicalResult
LayerNormOp::reifyResultShapes(OpBuilder &builder,
                               ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(builder, getLoc(), getInput());
  shapes.push_back(sizes);
  if (getMean()) {
    shapes.push_back(keptSizes(sizes, getAxes(), /*keep=*/true, builder));
    shapes.push_back(shapes.back());
  }
  if (getResidualSum())
    shapes.push_back(sizes);
  return success();
}

//===----------------------------------------------------------------------===//
// RMSNormOp
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  auto inputType = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), inputType.getRank(),
                        AxesForm::Contiguous)) ||
      failed(verifyEpsilon(*this, getEpsilon().convertToDouble(),
                           inputType.getElementType())))
    return failure();
  double weightOffset = getWeightOffset().convertToDouble();
  if (!std::isfinite(weightOffset))
    return emitOpError() << "expects a finite 'weight_offset'";
  // The offset shifts the weight ((1 + w) in Gemma); without a weight there
  // is nothing to shift, and a constant scale is not what the user meant.
  if (weightOffset != 0.0 && !getWeight())
    return emitOpError() << "has a 'weight_offset' but no 'weight'";
  if (failed(verifyOptionalParam(*this, "'weight'", getWeight(),
                                 selectedShape(inputType.getShape(), getAxes()),
                                 inputType.getElementType())))
    return failure();
  if (Value rstd = getRstd())
    if (failed(verifyShapedLike(
            *this, "result 'rstd'", cast<ShapedType>(rstd.getType()),
            reducedShape(inputType.getShape(), getAxes(), /*keep=*/true),
            getStatisticsElementType(inputType.getElementType()))) ||
        failed(verifyUnitAxes(*this, "result 'rstd'", rstd, getAxes())))
      return failure();
  return verifyResidual(*this, getInput(), getResidual(), getResidualSum());
}

LogicalResult
RMSNormOp::reifyResultShapes(OpBuilder &builder,
                             ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(builder, getLoc(), getInput());
  shapes.push_back(sizes);
  if (getRstd())
    shapes.push_back(keptSizes(sizes, getAxes(), /*keep=*/true, builder));
  if (getResidualSum())
    shapes.push_back(sizes);
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormInferenceOp
//===----------------------------------------------------------------------===//

LogicalResult BatchNormInferenceOp::verify() {
  if (failed(verifyBatchNormCommon(
          *this, getInput(), getRunningMean(), getRunningVar(), getWeight(),
          getBias(), getFeatureAxis(), getEpsilon().convertToDouble(),
          getActivationAttr())))
    return failure();
  return verifyResidual(*this, getInput(), getResidual(), getResidualSum());
}

LogicalResult
BatchNormInferenceOp::reifyResultShapes(OpBuilder &builder,
                                        ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(builder, getLoc(), getInput());
  shapes.push_back(sizes);
  if (getResidualSum())
    shapes.push_back(sizes);
  return success();
}

//===----------------------------------------------------------------------===//
// BatchNormTrainingOp
//===----------------------------------------------------------------------===//

/// Checks the saved statistics of a training batch normalization, and that
/// each channel has more than one value: the unbiased running variance
/// divides by n - 1 (PyTorch refuses one value a channel too) and an empty
/// batch has no statistics (PyTorch returns the empty input and leaves the
/// running statistics alone; here it is refused). A static zero-sized
/// dimension counts even next to dynamic ones.
static LogicalResult verifySavedStats(Operation *op, Value input,
                                      int64_t featureAxis, Value savedMean,
                                      Value savedRstd) {
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t perChannel = 1;
  for (auto [dim, size] : llvm::enumerate(inputType.getShape())) {
    if (static_cast<int64_t>(dim) == featureAxis)
      continue;
    if (size == 0) {
      perChannel = 0;
      break;
    }
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(perChannel))
      perChannel = ShapedType::kDynamic;
    else
      perChannel *= size;
  }
  if (perChannel == 0 || perChannel == 1)
    return op->emitOpError()
           << "expects more than one value per channel in training (the "
              "unbiased running variance divides by n - 1), got "
           << perChannel;
  int64_t channels = inputType.getDimSize(featureAxis);
  Type statsType = getStatisticsElementType(inputType.getElementType());
  if (failed(verifyShapedLike(op, "result 'saved_mean'",
                              cast<ShapedType>(savedMean.getType()), {channels},
                              statsType)) ||
      failed(verifyShapedLike(op, "result 'saved_rstd'",
                              cast<ShapedType>(savedRstd.getType()), {channels},
                              statsType)))
    return failure();
  return success();
}

LogicalResult BatchNormTrainingOp::verify() {
  if (failed(verifyBatchNormCommon(
          *this, getInput(), getRunningMean(), getRunningVar(), getWeight(),
          getBias(), getFeatureAxis(), getEpsilon().convertToDouble(),
          getActivationAttr())) ||
      failed(verifyMomentum(*this, getMomentum().convertToDouble())) ||
      failed(verifySavedStats(*this, getInput(), getFeatureAxis(),
                              getSavedMean(), getSavedRstd())))
    return failure();
  return verifyResidual(*this, getInput(), getResidual(), getResidualSum());
}

/// Sizes of the results of a training batch normalization: the output, the
/// four rank-1 statistics and the optional residual sum.
static void reifyTrainingBatchNorm(OpBuilder &builder, Location loc,
                                   Value input, Value runningMean,
                                   Value runningVar, int64_t featureAxis,
                                   bool hasResidualSum,
                                   ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(builder, loc, input);
  SmallVector<OpFoldResult> channels = {sizes[featureAxis]};
  shapes.push_back(sizes);
  shapes.push_back(channels);
  shapes.push_back(channels);
  shapes.push_back(tensor::getMixedSizes(builder, loc, runningMean));
  shapes.push_back(tensor::getMixedSizes(builder, loc, runningVar));
  if (hasResidualSum)
    shapes.push_back(sizes);
}

LogicalResult
BatchNormTrainingOp::reifyResultShapes(OpBuilder &builder,
                                       ReifiedRankedShapedTypeDims &shapes) {
  reifyTrainingBatchNorm(builder, getLoc(), getInput(), getRunningMean(),
                         getRunningVar(), getFeatureAxis(),
                         static_cast<bool>(getResidualSum()), shapes);
  return success();
}

//===----------------------------------------------------------------------===//
// InplaceABNOp
//===----------------------------------------------------------------------===//

LogicalResult InplaceABNOp::verify() {
  if (failed(verifyBatchNormCommon(
          *this, getInput(), getRunningMean(), getRunningVar(), getWeight(),
          getBias(), getFeatureAxis(), getEpsilon().convertToDouble(),
          getActivationAttr())) ||
      failed(verifyMomentum(*this, getMomentum().convertToDouble())) ||
      failed(verifySavedStats(*this, getInput(), getFeatureAxis(),
                              getSavedMean(), getSavedRstd())))
    return failure();
  ActivationAttr activation = getActivationAttr();
  if (activation && !activation.isInvertible())
    return emitOpError()
           << "requires an invertible activation (none, leaky_relu with a "
              "positive slope, or elu with a positive alpha), got '"
           << stringifyActivationKind(activation.getKind()) << "'"
           << (ActivationAttr::hasAlpha(activation.getKind())
                   ? " with a non-positive parameter"
                   : "");
  return success();
}

LogicalResult
InplaceABNOp::reifyResultShapes(OpBuilder &builder,
                                ReifiedRankedShapedTypeDims &shapes) {
  reifyTrainingBatchNorm(builder, getLoc(), getInput(), getRunningMean(),
                         getRunningVar(), getFeatureAxis(),
                         /*hasResidualSum=*/false, shapes);
  return success();
}

//===----------------------------------------------------------------------===//
// GroupNormOp
//===----------------------------------------------------------------------===//

LogicalResult GroupNormOp::verify() {
  RankedTensorType inputType = getInput().getType();
  int64_t axis = getChannelAxis();
  if (failed(verifyFeatureAxis(*this, "channel_axis", inputType, axis,
                               /*allowBatchAxis=*/false)) ||
      failed(verifyEpsilon(*this, getEpsilon().convertToDouble(),
                           inputType.getElementType())))
    return failure();
  int64_t groups = getNumGroups();
  if (groups <= 0)
    return emitOpError() << "expects a positive 'num_groups', got " << groups;
  int64_t channels = inputType.getDimSize(axis);
  if (ShapedType::isStatic(channels) && channels % groups != 0)
    return emitOpError() << "expects 'num_groups' (" << groups
                         << ") to divide the channel count (" << channels
                         << ")";
  Type elementType = inputType.getElementType();
  if (failed(verifyOptionalParam(*this, "'weight'", getWeight(), {channels},
                                 elementType)) ||
      failed(verifyOptionalParam(*this, "'bias'", getBias(), {channels},
                                 elementType)))
    return failure();
  if (failed(verifyStatsPair(
          *this, getMean(), getRstd(), {inputType.getDimSize(0), groups},
          getStatisticsElementType(inputType.getElementType()))))
    return failure();
  return verifyResidual(*this, getInput(), getResidual(), getResidualSum());
}

LogicalResult
GroupNormOp::reifyResultShapes(OpBuilder &builder,
                               ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(builder, getLoc(), getInput());
  shapes.push_back(sizes);
  if (getMean()) {
    SmallVector<OpFoldResult> stats = {sizes[0],
                                       builder.getIndexAttr(getNumGroups())};
    shapes.push_back(stats);
    shapes.push_back(stats);
  }
  if (getResidualSum())
    shapes.push_back(sizes);
  return success();
}

//===----------------------------------------------------------------------===//
// SpectralNormOp
//===----------------------------------------------------------------------===//

LogicalResult SpectralNormOp::verify() {
  RankedTensorType weightType = getWeight().getType();
  if (weightType.getRank() < 1)
    return emitOpError() << "expects a weight of rank >= 1";
  int64_t dim = getDim();
  if (dim < 0 || dim >= weightType.getRank())
    return emitOpError() << "expects 'dim' in [0, " << weightType.getRank() - 1
                         << "], got " << dim;
  // I64Attr getters return uint64_t: read them as signed.
  int64_t iterations = getPowerIterations();
  if (iterations < 1)
    return emitOpError() << "expects 'power_iterations' >= 1, got "
                         << iterations;
  if (failed(verifyEpsilon(*this, getEpsilon().convertToDouble(),
                           weightType.getElementType())) ||
      failed(verifyShapedLike(*this, "'u'", getU().getType(),
                              {weightType.getDimSize(dim)})) ||
      failed(verifyParamElementType(*this, "'u'", getU().getType(),
                                    weightType.getElementType())) ||
      failed(verifyShapedLike(
          *this, "result 'sigma'", getSigma().getType(), {},
          getStatisticsElementType(weightType.getElementType()))))
    return failure();
  return success();
}

LogicalResult
SpectralNormOp::reifyResultShapes(OpBuilder &builder,
                                  ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(builder, getLoc(), getWeight()));
  shapes.push_back(tensor::getMixedSizes(builder, getLoc(), getU()));
  shapes.push_back({});
  return success();
}

//===----------------------------------------------------------------------===//
// Data normalization: MomentsOp, MinMaxOp, StandardizeOp, MinMaxScaleOp.
//===----------------------------------------------------------------------===//

/// Checks statistics reduced over `axes` of `input`.
static LogicalResult verifyReducedStats(Operation *op, Value input,
                                        ArrayRef<int64_t> axes, StringRef what,
                                        Value stats) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (failed(verifyAxes(op, axes, inputType.getRank(), AxesForm::Any)))
    return failure();
  return verifyShapedLike(
      op, what, cast<ShapedType>(stats.getType()),
      reducedShape(inputType.getShape(), axes, /*keep=*/false),
      inputType.getElementType());
}

static void reifyReduced(OpBuilder &builder, Location loc, Value input,
                         ArrayRef<int64_t> axes, unsigned count,
                         ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes =
      keptSizes(tensor::getMixedSizes(builder, loc, input), axes,
                /*keep=*/false, builder);
  for (unsigned i = 0; i < count; ++i)
    shapes.push_back(sizes);
}

LogicalResult MomentsOp::verify() {
  // I64Attr getters return uint64_t: read it as signed.
  int64_t correction = getCorrection();
  if (correction < 0)
    return emitOpError() << "expects a non-negative 'correction', got "
                         << correction;
  return verifyReducedStats(*this, getInput(), getAxes(), "result 'mean'",
                            getMean());
}

LogicalResult
MomentsOp::reifyResultShapes(OpBuilder &builder,
                             ReifiedRankedShapedTypeDims &shapes) {
  reifyReduced(builder, getLoc(), getInput(), getAxes(), 2, shapes);
  return success();
}

LogicalResult MinMaxOp::verify() {
  return verifyReducedStats(*this, getInput(), getAxes(), "result 'min'",
                            getMin());
}

LogicalResult MinMaxOp::reifyResultShapes(OpBuilder &builder,
                                          ReifiedRankedShapedTypeDims &shapes) {
  reifyReduced(builder, getLoc(), getInput(), getAxes(), 2, shapes);
  return success();
}

LogicalResult StandardizeOp::verify() {
  return verifyReducedStats(*this, getInput(), getAxes(), "'mean'", getMean());
}

LogicalResult
StandardizeOp::reifyResultShapes(OpBuilder &builder,
                                 ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(builder, getLoc(), getInput()));
  return success();
}

LogicalResult MinMaxScaleOp::verify() {
  double low = getRangeMin().convertToDouble();
  double high = getRangeMax().convertToDouble();
  if (!std::isfinite(low) || !std::isfinite(high) || !(low < high))
    return emitOpError() << "expects finite 'range_min' < 'range_max', got ["
                         << low << ", " << high << "]";
  return verifyReducedStats(*this, getInput(), getAxes(), "'min'", getMin());
}

LogicalResult
MinMaxScaleOp::reifyResultShapes(OpBuilder &builder,
                                 ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(builder, getLoc(), getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// ImageNormalizeOp
//===----------------------------------------------------------------------===//

int64_t ImageNormalizeOp::getChannelAxis() {
  int64_t rank = getInput().getType().getRank();
  return getLayout() == ImageLayout::NHWC ? rank - 1 : rank - 3;
}

LogicalResult ImageNormalizeOp::verify() {
  RankedTensorType inputType = getInput().getType();
  int64_t rank = inputType.getRank();
  if (rank != 3 && rank != 4)
    return emitOpError() << "expects an image of rank 3 (CHW/HWC) or 4 "
                            "(NCHW/NHWC), got rank "
                         << rank;
  Type inputElement = inputType.getElementType();
  if (auto intType = dyn_cast<IntegerType>(inputElement);
      intType && intType.isSigned())
    return emitOpError() << "expects unsigned or signless 8-bit pixels, got "
                         << inputElement;
  double scale = getScale().convertToDouble();
  if (!(scale > 0.0) || !std::isfinite(scale))
    return emitOpError() << "expects a positive finite 'scale', got " << scale;
  if (failed(verifyShapedLike(*this, "result", getOutput().getType(),
                              inputType.getShape())))
    return failure();
  int64_t channels = inputType.getDimSize(getChannelAxis());
  if (failed(
          verifyShapedLike(*this, "'mean'", getMean().getType(), {channels})))
    return failure();
  return verifyParamElementType(*this, "'mean'", getMean().getType(),
                                getOutput().getType().getElementType());
}

LogicalResult
ImageNormalizeOp::reifyResultShapes(OpBuilder &builder,
                                    ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(builder, getLoc(), getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Canonicalization: drop optional results nobody uses.
//===----------------------------------------------------------------------===//

/// Recreates `op` keeping the result segments whose `keep` flag is set.
/// `bySegment` maps each result segment to its value (null when absent);
/// every segment of these ops holds at most one result.
template <typename OpTy>
static void rebuildWithSegments(OpTy op, ArrayRef<Value> bySegment,
                                ArrayRef<bool> keep,
                                PatternRewriter &rewriter) {
  typename OpTy::Properties properties = op.getProperties();
  SmallVector<Type> types;
  SmallVector<Value> kept;
  for (auto [index, value] : llvm::enumerate(bySegment)) {
    bool present = value && keep[index];
    properties.resultSegmentSizes[index] = present ? 1 : 0;
    if (!present)
      continue;
    types.push_back(value.getType());
    kept.push_back(value);
  }
  OperationState state(op.getLoc(), op->getName());
  state.addOperands(op->getOperands());
  state.addTypes(types);
  state.useProperties(properties);
  state.addAttributes(op->getDiscardableAttrDictionary().getValue());
  Operation *newOp = rewriter.create(state);
  for (auto [oldResult, newResult] : llvm::zip(kept, newOp->getResults()))
    rewriter.replaceAllUsesWith(oldResult, newResult);
  rewriter.eraseOp(op);
}

namespace {
/// Drops the optional results of a normalization that nobody uses: the
/// statistics (`mean` and `rstd` of layer/group norm only as a pair) and
/// `residual_sum`. The normalized output does not change.
template <typename OpTy>
struct DropUnusedOptionalResults : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto segments = op.getProperties().resultSegmentSizes;
    SmallVector<Value> bySegment(segments.size());
    unsigned resultIndex = 0;
    for (auto [index, size] : llvm::enumerate(segments))
      if (size)
        bySegment[index] = op->getResult(resultIndex++);
    auto isDead = [&](unsigned index) {
      return bySegment[index] && bySegment[index].use_empty();
    };
    SmallVector<bool> keep(segments.size(), true);
    bool changed = false;
    bool hasStatsPair = segments.size() == 4;
    for (unsigned index = 1; index < segments.size(); ++index) {
      if (!isDead(index))
        continue;
      if (hasStatsPair && index <= 2 && !isDead(index == 1 ? 2 : 1))
        continue;
      keep[index] = false;
      changed = true;
    }
    if (!changed)
      return failure();
    rebuildWithSegments(op, bySegment, keep, rewriter);
    return success();
  }
};
} // namespace

void LayerNormOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<DropUnusedOptionalResults<LayerNormOp>>(context);
}

void GroupNormOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                              MLIRContext *context) {
  patterns.add<DropUnusedOptionalResults<GroupNormOp>>(context);
}

void RMSNormOp::getCanonicalizationPatterns(RewritePatternSet &patterns,
                                            MLIRContext *context) {
  patterns.add<DropUnusedOptionalResults<RMSNormOp>>(context);
}

//===----------------------------------------------------------------------===//
// Backward operations.
//===----------------------------------------------------------------------===//

/// Checks what every backward op shares: the residual operands, the
/// parameters (of shape `paramShape`) and the parameter gradients.
static LogicalResult verifyGradCommon(Operation *op, Value input,
                                      Value residual, Value residualSumGrad,
                                      Value weight, Value bias,
                                      Value gradWeight, Value gradBias,
                                      ArrayRef<int64_t> paramShape) {
  Type elementType = cast<ShapedType>(input.getType()).getElementType();
  if (residual && residual.getType() != input.getType())
    return op->emitOpError()
           << "expects 'residual' to have the input type " << input.getType()
           << ", got " << residual.getType();
  if (residualSumGrad && !residual)
    return op->emitOpError()
           << "has a 'residual_sum_grad' operand but no 'residual'";
  if (residualSumGrad && residualSumGrad.getType() != input.getType())
    return op->emitOpError()
           << "expects 'residual_sum_grad' to have the input type "
           << input.getType() << ", got " << residualSumGrad.getType();
  if (failed(verifyOptionalParam(op, "'weight'", weight, paramShape,
                                 elementType)) ||
      failed(
          verifyOptionalParam(op, "'bias'", bias, paramShape, elementType)) ||
      failed(verifyOptionalParam(op, "result 'grad_weight'", gradWeight,
                                 paramShape, elementType)) ||
      failed(verifyOptionalParam(op, "result 'grad_bias'", gradBias, paramShape,
                                 elementType)))
    return failure();
  return success();
}

/// Checks saved statistics operands of shape `shape` in the statistics type
/// of `input`.
static LogicalResult verifyGradStats(Operation *op, Value input, Value mean,
                                     Value rstd, ArrayRef<int64_t> shape) {
  Type statsType = getStatisticsElementType(
      cast<ShapedType>(input.getType()).getElementType());
  if (mean &&
      failed(verifyShapedLike(op, "'mean'", cast<ShapedType>(mean.getType()),
                              shape, statsType)))
    return failure();
  return verifyShapedLike(op, "'rstd'", cast<ShapedType>(rstd.getType()), shape,
                          statsType);
}

LogicalResult LayerNormGradOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), inputType.getRank(),
                        AxesForm::Contiguous)) ||
      failed(verifyGradStats(
          *this, getInput(), getMean(), getRstd(),
          reducedShape(inputType.getShape(), getAxes(), /*keep=*/true))))
    return failure();
  return verifyGradCommon(*this, getInput(), getResidual(),
                          getResidualSumGrad(), getWeight(), getBias(),
                          getGradWeight(), getGradBias(),
                          selectedShape(inputType.getShape(), getAxes()));
}

LogicalResult RMSNormGradOp::verify() {
  RankedTensorType inputType = getInput().getType();
  if (failed(verifyAxes(*this, getAxes(), inputType.getRank(),
                        AxesForm::Contiguous)) ||
      failed(verifyGradStats(
          *this, getInput(), /*mean=*/Value(), getRstd(),
          reducedShape(inputType.getShape(), getAxes(), /*keep=*/true))))
    return failure();
  double weightOffset = getWeightOffset().convertToDouble();
  if (!std::isfinite(weightOffset))
    return emitOpError() << "expects a finite 'weight_offset'";
  if (weightOffset != 0.0 && !getWeight())
    return emitOpError() << "has a 'weight_offset' but no 'weight'";
  return verifyGradCommon(*this, getInput(), getResidual(),
                          getResidualSumGrad(), getWeight(), /*bias=*/Value(),
                          getGradWeight(), /*gradBias=*/Value(),
                          selectedShape(inputType.getShape(), getAxes()));
}

/// The micro-batch form of batch_norm_grad and inplace_abn_grad: the
/// whole batch's sums (per channel) and element count (rank 0), all three
/// or none, in the statistics type.
static LogicalResult verifyMicroBatchForm(Operation *op,
                                          RankedTensorType inputType,
                                          int64_t channels, Value sumDpre,
                                          Value sumDpreXhat, Value count) {
  if (static_cast<bool>(sumDpre) != static_cast<bool>(sumDpreXhat) ||
      static_cast<bool>(sumDpre) != static_cast<bool>(count))
    return op->emitOpError()
           << "expects 'batch_grad_sums' and 'count' together";
  if (!sumDpre)
    return success();
  Type statsType = getStatisticsElementType(inputType.getElementType());
  if (failed(verifyShapedLike(op, "'sum_dpre'",
                              cast<ShapedType>(sumDpre.getType()), {channels},
                              statsType)) ||
      failed(verifyShapedLike(op, "'sum_dpre_xhat'",
                              cast<ShapedType>(sumDpreXhat.getType()),
                              {channels}, statsType)))
    return failure();
  return verifyShapedLike(op, "'count'", cast<ShapedType>(count.getType()), {},
                          statsType);
}

LogicalResult BatchNormGradOp::verify() {
  RankedTensorType inputType = getInput().getType();
  int64_t axis = getFeatureAxis();
  if (failed(verifyFeatureAxis(*this, "feature_axis", inputType, axis,
                               /*allowBatchAxis=*/true)))
    return failure();
  int64_t channels = inputType.getDimSize(axis);
  if (failed(
          verifyGradStats(*this, getInput(), getMean(), getRstd(), {channels})))
    return failure();
  if (failed(verifyMicroBatchForm(*this, inputType, channels, getSumDpre(),
                                  getSumDpreXhat(), getCount())))
    return failure();
  return verifyGradCommon(*this, getInput(), getResidual(),
                          getResidualSumGrad(), getWeight(), getBias(),
                          getGradWeight(), getGradBias(), {channels});
}

LogicalResult GroupNormGradOp::verify() {
  RankedTensorType inputType = getInput().getType();
  int64_t axis = getChannelAxis();
  if (failed(verifyFeatureAxis(*this, "channel_axis", inputType, axis,
                               /*allowBatchAxis=*/false)))
    return failure();
  int64_t groups = getNumGroups();
  if (groups <= 0)
    return emitOpError() << "expects a positive 'num_groups', got " << groups;
  int64_t channels = inputType.getDimSize(axis);
  if (ShapedType::isStatic(channels) && channels % groups != 0)
    return emitOpError() << "expects 'num_groups' (" << groups
                         << ") to divide the channel count (" << channels
                         << ")";
  if (failed(verifyGradStats(*this, getInput(), getMean(), getRstd(),
                             {inputType.getDimSize(0), groups})))
    return failure();
  return verifyGradCommon(*this, getInput(), getResidual(),
                          getResidualSumGrad(), getWeight(), getBias(),
                          getGradWeight(), getGradBias(), {channels});
}

LogicalResult InplaceABNGradOp::verify() {
  RankedTensorType outputType = getOutput().getType();
  int64_t axis = getFeatureAxis();
  if (failed(verifyFeatureAxis(*this, "feature_axis", outputType, axis,
                               /*allowBatchAxis=*/true)))
    return failure();
  int64_t channels = outputType.getDimSize(axis);
  if (failed(verifyGradStats(*this, getOutput(), /*mean=*/Value(), getRstd(),
                             {channels})))
    return failure();
  ActivationAttr activation = getActivationAttr();
  if (activation && !activation.isInvertible())
    return emitOpError()
           << "requires an invertible activation (none, leaky_relu with a "
              "positive slope, or elu with a positive alpha), got '"
           << stringifyActivationKind(activation.getKind()) << "'"
           << (ActivationAttr::hasAlpha(activation.getKind())
                   ? " with a non-positive parameter"
                   : "");
  if (failed(verifyMicroBatchForm(*this, outputType, channels, getSumDpre(),
                                  getSumDpreXhat(), getCount())))
    return failure();
  return verifyGradCommon(*this, getOutput(), /*residual=*/Value(),
                          /*residualSumGrad=*/Value(), getWeight(), getBias(),
                          getGradWeight(), getGradBias(), {channels});
}

//===----------------------------------------------------------------------===//
// BatchStatsOp, BatchStatsMergeOp
//===----------------------------------------------------------------------===//

LogicalResult BatchStatsOp::verify() {
  RankedTensorType inputType = getInput().getType();
  int64_t axis = getFeatureAxis();
  if (failed(verifyFeatureAxis(*this, "feature_axis", inputType, axis,
                               /*allowBatchAxis=*/true)))
    return failure();
  Type statsType = getStatisticsElementType(inputType.getElementType());
  if (failed(verifyShapedLike(*this, "result 'count'", getCount().getType(), {},
                              statsType)) ||
      failed(verifyShapedLike(*this, "result 'mean'", getMean().getType(),
                              {inputType.getDimSize(axis)}, statsType)))
    return failure();
  return success();
}

LogicalResult BatchStatsMergeOp::verify() {
  if (getCount().getType().getRank() != 0)
    return emitOpError() << "expects rank-0 counts, got "
                         << getCount().getType();
  RankedTensorType meanType = getMean().getType();
  if (meanType.getRank() != 1)
    return emitOpError() << "expects rank-1 means, got " << meanType;
  if (meanType.getElementType() != getCount().getType().getElementType())
    return emitOpError()
           << "expects the counts and the means to share an element type";
  if (Value var = getVar(); var && var.getType() != meanType)
    return emitOpError() << "expects result 'var' to have the type " << meanType
                         << " of the means, got " << var.getType();
  return success();
}

#define GET_OP_CLASSES
#include "norm/Dialect/Norm/IR/NormOps.cpp.inc"
