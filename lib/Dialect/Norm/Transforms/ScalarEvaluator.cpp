//===- ScalarEvaluator.cpp - Evaluate scalar arith/math DAGs --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "ScalarEvaluator.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::norm;

static bool comparePredicate(arith::CmpFPredicate predicate, double lhs,
                             double rhs) {
  bool unordered = std::isnan(lhs) || std::isnan(rhs);
  switch (predicate) {
  case arith::CmpFPredicate::AlwaysFalse:
    return false;
  case arith::CmpFPredicate::AlwaysTrue:
    return true;
  case arith::CmpFPredicate::OEQ:
    return !unordered && lhs == rhs;
  case arith::CmpFPredicate::OGT:
    return !unordered && lhs > rhs;
  case arith::CmpFPredicate::OGE:
    return !unordered && lhs >= rhs;
  case arith::CmpFPredicate::OLT:
    return !unordered && lhs < rhs;
  case arith::CmpFPredicate::OLE:
    return !unordered && lhs <= rhs;
  case arith::CmpFPredicate::ONE:
    return !unordered && lhs != rhs;
  case arith::CmpFPredicate::ORD:
    return !unordered;
  case arith::CmpFPredicate::UEQ:
    return unordered || lhs == rhs;
  case arith::CmpFPredicate::UGT:
    return unordered || lhs > rhs;
  case arith::CmpFPredicate::UGE:
    return unordered || lhs >= rhs;
  case arith::CmpFPredicate::ULT:
    return unordered || lhs < rhs;
  case arith::CmpFPredicate::ULE:
    return unordered || lhs <= rhs;
  case arith::CmpFPredicate::UNE:
    return unordered || lhs != rhs;
  case arith::CmpFPredicate::UNO:
    return unordered;
  }
  return false;
}

static double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

/// Scalar semantics of TOSA's elementwise activations, by name so that the
/// library needs no TOSA headers.
static std::optional<double> applyTosaOp(Operation *op,
                                         ArrayRef<double> operands) {
  StringRef name = op->getName().getStringRef();
  if (operands.empty())
    return std::nullopt;
  double x = operands[0];
  if (name == "tosa.sigmoid")
    return sigmoid(x);
  if (name == "tosa.tanh")
    return std::tanh(x);
  if (name == "tosa.erf")
    return std::erf(x);
  if (name == "tosa.exp")
    return std::exp(x);
  if (name == "tosa.add" && operands.size() == 2)
    return x + operands[1];
  if (name == "tosa.clamp") {
    auto low = op->getAttrOfType<FloatAttr>("min_val");
    auto high = op->getAttrOfType<FloatAttr>("max_val");
    if (!low || !high)
      return std::nullopt;
    return std::min(std::max(x, low.getValueAsDouble()),
                    high.getValueAsDouble());
  }
  return std::nullopt;
}

std::optional<double> mlir::norm::applyScalarOp(Operation *op,
                                                ArrayRef<double> v) {
  auto unary = [&](double (*fn)(double)) -> std::optional<double> {
    if (v.size() != 1)
      return std::nullopt;
    return fn(v[0]);
  };
  return llvm::TypeSwitch<Operation *, std::optional<double>>(op)
      .Case([&](arith::AddFOp) { return v[0] + v[1]; })
      .Case([&](arith::SubFOp) { return v[0] - v[1]; })
      .Case([&](arith::MulFOp) { return v[0] * v[1]; })
      .Case([&](arith::DivFOp) { return v[0] / v[1]; })
      .Case([&](arith::NegFOp) { return -v[0]; })
      .Case([&](arith::MaximumFOp) { return std::max(v[0], v[1]); })
      .Case([&](arith::MinimumFOp) { return std::min(v[0], v[1]); })
      .Case([&](arith::MaxNumFOp) { return std::fmax(v[0], v[1]); })
      .Case([&](arith::MinNumFOp) { return std::fmin(v[0], v[1]); })
      .Case<arith::ExtFOp, arith::TruncFOp>([&](Operation *) { return v[0]; })
      .Case([&](arith::CmpFOp cmp) {
        return comparePredicate(cmp.getPredicate(), v[0], v[1]) ? 1.0 : 0.0;
      })
      .Case([&](arith::SelectOp) { return v[0] != 0.0 ? v[1] : v[2]; })
      .Case([&](math::ExpOp) { return unary(std::exp); })
      .Case([&](math::ExpM1Op) { return unary(std::expm1); })
      .Case([&](math::LogOp) { return unary(std::log); })
      .Case([&](math::Log1pOp) { return unary(std::log1p); })
      .Case([&](math::ErfOp) { return unary(std::erf); })
      .Case([&](math::TanhOp) { return unary(std::tanh); })
      .Case([&](math::SqrtOp) { return unary(std::sqrt); })
      .Case([&](math::RsqrtOp) { return 1.0 / std::sqrt(v[0]); })
      .Case([&](math::AbsFOp) { return unary(std::fabs); })
      .Case([&](math::PowFOp) { return std::pow(v[0], v[1]); })
      .Case([&](math::FPowIOp) { return std::pow(v[0], v[1]); })
      .Default([&](Operation *other) { return applyTosaOp(other, v); });
}

/// Ops whose scalar semantics applyScalarOp knows.
static bool isKnownOp(Operation *op) {
  if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
          arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
          arith::MinNumFOp, arith::ExtFOp, arith::TruncFOp, arith::CmpFOp,
          arith::SelectOp, math::ExpOp, math::ExpM1Op, math::LogOp,
          math::Log1pOp, math::ErfOp, math::TanhOp, math::SqrtOp, math::RsqrtOp,
          math::AbsFOp, math::PowFOp, math::FPowIOp>(op))
    return true;
  return llvm::is_contained({"tosa.sigmoid", "tosa.tanh", "tosa.erf",
                             "tosa.exp", "tosa.add", "tosa.clamp"},
                            op->getName().getStringRef());
}

static std::optional<double> getScalarConstant(Value value) {
  FloatAttr attr;
  if (matchPattern(value, m_Constant(&attr)))
    return attr.getValueAsDouble();
  return std::nullopt;
}

std::optional<double> mlir::norm::getSplatConstant(Value value) {
  if (std::optional<double> scalar = getScalarConstant(value))
    return scalar;
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto fill = dyn_cast<linalg::FillOp>(def))
    return getScalarConstant(fill.getInputs()[0]);
  if (auto splat = dyn_cast<tensor::SplatOp>(def))
    return getScalarConstant(splat.getInput());
  // arith.constant and tosa.const both carry a `value`/`values` attribute.
  for (StringRef name : {"value", "values"})
    if (auto dense = def->getAttrOfType<DenseFPElementsAttr>(name))
      if (dense.isSplat())
        return dense.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

bool ScalarFunction::isSupported(Value value, DenseSet<Value> &visited) const {
  if (!visited.insert(value).second)
    return true;
  if (variables.count(value) || constants.count(value) ||
      getScalarConstant(value))
    return true;
  Operation *op = value.getDefiningOp();
  if (!op || !isKnownOp(op))
    return false;
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    return isSupported(operand, visited);
  });
}

bool ScalarFunction::isSupported() const {
  DenseSet<Value> visited;
  return isSupported(root, visited);
}

std::optional<double>
ScalarFunction::evaluate(Value value, ArrayRef<double> point,
                         DenseMap<Value, double> &memo) const {
  if (auto it = memo.find(value); it != memo.end())
    return it->second;
  std::optional<double> result;
  if (auto it = variables.find(value); it != variables.end())
    result = point[it->second];
  else if (auto it = constants.find(value); it != constants.end())
    result = it->second;
  else if (std::optional<double> constant = getScalarConstant(value))
    result = constant;
  else if (Operation *op = value.getDefiningOp()) {
    SmallVector<double> operands;
    for (Value operand : op->getOperands()) {
      std::optional<double> operandValue = evaluate(operand, point, memo);
      if (!operandValue)
        return std::nullopt;
      operands.push_back(*operandValue);
    }
    result = applyScalarOp(op, operands);
  }
  if (result)
    memo[value] = *result;
  return result;
}

std::optional<double> ScalarFunction::evaluate(ArrayRef<double> point) const {
  DenseMap<Value, double> memo;
  return evaluate(root, point, memo);
}

/// Points strictly inside the segment (lo, hi) of the real line (either end
/// may be infinite), spread over it.
static SmallVector<double, 4> getInteriorPoints(double lo, double hi) {
  if (std::isinf(lo) && std::isinf(hi))
    return {-2.5, -1.0, 0.0, 1.0, 3.0, 10.0};
  if (std::isinf(lo) || std::isinf(hi)) {
    double end = std::isinf(lo) ? hi : lo;
    double direction = std::isinf(lo) ? -1.0 : 1.0;
    double scale = std::max(1.0, std::fabs(end));
    SmallVector<double, 4> points;
    for (double step : {0.25, 1.0, 3.0, 8.0})
      points.push_back(end + direction * step * scale);
    return points;
  }
  SmallVector<double, 4> points;
  for (double fraction : {0.2, 0.4, 0.6, 0.8})
    points.push_back(lo + fraction * (hi - lo));
  return points;
}

LogicalResult mlir::norm::appendBranchPoints(
    Operation *op, function_ref<std::optional<double>(Value, double)> operandAt,
    SmallVectorImpl<double> &points) {
  // The two sides of each switch: a function of x, and a constant or the
  // second operand.
  SmallVector<std::pair<Value, std::optional<double>>> sides;
  if (isa<arith::CmpFOp, arith::MaximumFOp, arith::MinimumFOp, arith::MaxNumFOp,
          arith::MinNumFOp>(op)) {
    sides.push_back({op->getOperand(0), std::nullopt});
  } else if (op->getName().getStringRef() == "tosa.clamp") {
    for (StringRef name : {"min_val", "max_val"})
      if (auto bound = op->getAttrOfType<FloatAttr>(name))
        sides.push_back({op->getOperand(0), bound.getValueAsDouble()});
  } else {
    return success();
  }
  // The difference of the sides at x.
  auto difference = [&](const std::pair<Value, std::optional<double>> &side,
                        double x) -> std::optional<double> {
    std::optional<double> lhs = operandAt(side.first, x);
    std::optional<double> rhs =
        side.second ? side.second : operandAt(op->getOperand(1), x);
    if (!lhs || !rhs || !std::isfinite(*lhs) || !std::isfinite(*rhs))
      return std::nullopt;
    return *lhs - *rhs;
  };
  // The operands switch only at the branch points found so far (those of
  // the ops they are computed from), so the difference must be affine
  // between them; its root in each segment is where `op` switches.
  SmallVector<double> bounds(points.begin(), points.end());
  llvm::sort(bounds);
  bounds.erase(llvm::unique(bounds), bounds.end());
  bounds.insert(bounds.begin(), -INFINITY);
  bounds.push_back(INFINITY);
  for (const auto &side : sides) {
    for (auto [lo, hi] : llvm::zip(ArrayRef(bounds).drop_back(),
                                   ArrayRef(bounds).drop_front())) {
      SmallVector<double, 4> probes = getInteriorPoints(lo, hi);
      std::optional<double> first = difference(side, probes[0]);
      std::optional<double> second = difference(side, probes[1]);
      if (!first || !second)
        return failure();
      double slope = (*second - *first) / (probes[1] - probes[0]);
      for (double x : ArrayRef(probes).drop_front(2)) {
        std::optional<double> actual = difference(side, x);
        double expected = *first + slope * (x - probes[0]);
        if (!actual || std::fabs(*actual - expected) >
                           1e-9 * std::max(1.0, std::fabs(expected)))
          return failure();
      }
      if (slope == 0.0)
        continue;
      double root = probes[0] - *first / slope;
      if (root > lo && root < hi)
        points.push_back(root);
    }
  }
  return success();
}

std::optional<SmallVector<double>> ScalarFunction::getBranchPoints() const {
  // The ops of the DAG, operands before users, so that the branch points of
  // an op's operands are known when the op is looked at.
  SmallVector<Operation *> order;
  DenseSet<Value> visited;
  std::function<void(Value)> visit = [&](Value value) {
    if (!visited.insert(value).second || variables.count(value) ||
        constants.count(value))
      return;
    Operation *op = value.getDefiningOp();
    if (!op)
      return;
    for (Value operand : op->getOperands())
      visit(operand);
    order.push_back(op);
  };
  visit(root);
  auto operandAt = [&](Value operand, double x) {
    DenseMap<Value, double> memo;
    return evaluate(operand, ArrayRef<double>{x}, memo);
  };
  SmallVector<double> points;
  for (Operation *op : order)
    if (failed(appendBranchPoints(op, operandAt, points)))
      return std::nullopt;
  return points;
}

ArrayRef<double> mlir::norm::getSamplePoints() {
  static const double points[] = {
      -30.0, -10.0, -5.0, -3.0, -2.0, -1.5, -1.0, -0.75, -0.5, -0.25, -0.1,
      -1e-2, -1e-4, 0.0,  1e-4, 1e-2, 0.1,  0.25, 0.5,   0.75, 1.0,   1.5,
      2.0,   3.0,   5.0,  10.0, 30.0, -0.3, 0.3,  -7.0,  7.0,  0.05};
  return points;
}

double mlir::norm::evaluateActivation(ActivationKind kind, double alpha,
                                      double x) {
  switch (kind) {
  case ActivationKind::None:
    return x;
  case ActivationKind::Relu:
    return x > 0.0 ? x : 0.0;
  case ActivationKind::LeakyRelu:
    return x > 0.0 ? x : alpha * x;
  case ActivationKind::Elu:
    return x > 0.0 ? x : alpha * std::expm1(x);
  case ActivationKind::Gelu:
    return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
  case ActivationKind::GeluTanh:
    return 0.5 * x *
           (1.0 +
            std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
  case ActivationKind::Silu:
    return x * sigmoid(x);
  case ActivationKind::Sigmoid:
    return sigmoid(x);
  case ActivationKind::Tanh:
    return std::tanh(x);
  case ActivationKind::Relu6:
    return std::isnan(x) ? x : std::min(std::max(x, 0.0), 6.0);
  case ActivationKind::HardSigmoid:
    return std::isnan(x) ? x : std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
  case ActivationKind::HardSwish:
    return x * evaluateActivation(ActivationKind::HardSigmoid, 0.0, x);
  case ActivationKind::Mish:
    return x * std::tanh(std::log1p(std::exp(x)));
  }
  return x;
}

/// Where `kind` has kinks: the sampling around them is dense, so that a
/// select whose threshold is off by more than ~1e-6 is not taken for it.
static ArrayRef<double> getKinks(ActivationKind kind) {
  static const double zero[] = {0.0};
  static const double relu6[] = {0.0, 6.0};
  static const double hard[] = {-3.0, 3.0};
  switch (kind) {
  case ActivationKind::Relu:
  case ActivationKind::LeakyRelu:
  case ActivationKind::Elu:
    return zero;
  case ActivationKind::Relu6:
    return relu6;
  case ActivationKind::HardSigmoid:
  case ActivationKind::HardSwish:
    return hard;
  default:
    return {};
  }
}

static bool closeEnough(double actual, double expected) {
  if (std::isnan(actual) || std::isnan(expected))
    return false;
  return std::fabs(actual - expected) <=
         1e-6 * std::max(1.0, std::fabs(expected));
}

std::optional<std::pair<ActivationKind, double>> mlir::norm::identifyActivation(
    const std::function<std::optional<double>(double)> &function,
    ArrayRef<double> branchPoints) {
  SmallVector<double> values;
  for (double x : getSamplePoints()) {
    std::optional<double> y = function(x);
    if (!y)
      return std::nullopt;
    values.push_back(*y);
  }
  std::optional<double> atMinusOne = function(-1.0);
  if (!atMinusOne)
    return std::nullopt;
  auto matches = [&](ActivationKind kind, double alpha) {
    bool atSamples =
        llvm::all_of(llvm::zip(getSamplePoints(), values), [&](auto pair) {
          auto [x, y] = pair;
          return closeEnough(y, evaluateActivation(kind, alpha, x));
        });
    if (!atSamples)
      return false;
    SmallVector<double> switches(getKinks(kind));
    llvm::append_range(switches, branchPoints);
    for (double point : switches) {
      for (double offset : {0.0, 1e-6, -1e-6, 1e-5, -1e-5, 1e-3, -1e-3}) {
        double x = point + offset * std::max(1.0, std::fabs(point));
        std::optional<double> y = function(x);
        if (!y || !closeEnough(*y, evaluateActivation(kind, alpha, x)))
          return false;
      }
    }
    return true;
  };
  // The parameters of leaky_relu and elu follow from f(-1).
  double slope = -*atMinusOne;
  double eluAlpha = *atMinusOne / std::expm1(-1.0);
  struct Candidate {
    ActivationKind kind;
    double alpha;
  };
  const Candidate candidates[] = {
      {ActivationKind::Relu, 0.0},      {ActivationKind::LeakyRelu, slope},
      {ActivationKind::Elu, eluAlpha},  {ActivationKind::Gelu, 0.0},
      {ActivationKind::GeluTanh, 0.0},  {ActivationKind::Silu, 0.0},
      {ActivationKind::Sigmoid, 0.0},   {ActivationKind::Tanh, 0.0},
      {ActivationKind::Relu6, 0.0},     {ActivationKind::HardSigmoid, 0.0},
      {ActivationKind::HardSwish, 0.0}, {ActivationKind::Mish, 0.0},
  };
  for (const Candidate &candidate : candidates) {
    // A slope of 1 is the identity, 0 is relu (matched first).
    if (ActivationAttr::hasAlpha(candidate.kind) &&
        !(candidate.alpha > 0.0 && candidate.alpha != 1.0))
      continue;
    if (matches(candidate.kind, candidate.alpha))
      return std::make_pair(candidate.kind, candidate.alpha);
  }
  return std::nullopt;
}

bool mlir::norm::isAddition(
    const std::function<std::optional<double>(double, double)> &function) {
  ArrayRef<double> points = getSamplePoints();
  for (auto [i, a] : llvm::enumerate(points)) {
    double b = points[(i * 7 + 3) % points.size()];
    std::optional<double> sum = function(a, b);
    if (!sum || !closeEnough(*sum, a + b))
      return false;
  }
  return true;
}
