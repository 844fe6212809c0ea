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

bool ScalarFunction::dependsOnVariable(Value value,
                                       DenseMap<Value, bool> &memo) const {
  if (auto it = memo.find(value); it != memo.end())
    return it->second;
  bool depends = variables.count(value);
  if (!depends && !constants.count(value))
    if (Operation *op = value.getDefiningOp())
      depends = llvm::any_of(op->getOperands(), [&](Value operand) {
        return dependsOnVariable(operand, memo);
      });
  memo[value] = depends;
  return depends;
}

std::optional<std::pair<double, double>>
ScalarFunction::getAffinePiece(Value value, double x) const {
  DenseMap<Value, std::optional<std::pair<double, double>>> memo;
  DenseMap<Value, bool> dependence;
  return getAffinePiece(value, x, memo, dependence);
}

std::optional<std::pair<double, double>> ScalarFunction::getAffinePiece(
    Value value, double x,
    DenseMap<Value, std::optional<std::pair<double, double>>> &memo,
    DenseMap<Value, bool> &dependence) const {
  using Piece = std::pair<double, double>;
  if (auto it = memo.find(value); it != memo.end())
    return it->second;
  auto valueAt = [&](Value v) {
    DenseMap<Value, double> values;
    return evaluate(v, ArrayRef<double>{x}, values);
  };
  auto piece = [&](Value v) { return getAffinePiece(v, x, memo, dependence); };
  std::optional<Piece> result;
  Operation *op = value.getDefiningOp();
  if (variables.count(value)) {
    result = Piece{1.0, 0.0};
  } else if (!dependsOnVariable(value, dependence)) {
    if (std::optional<double> constant = valueAt(value))
      result = Piece{0.0, *constant};
  } else if (isa_and_nonnull<arith::ExtFOp, arith::TruncFOp>(op)) {
    // Rounding is not modelled: the branch points are exact in doubles.
    result = piece(op->getOperand(0));
  } else if (isa_and_nonnull<arith::NegFOp>(op)) {
    if (std::optional<Piece> p = piece(op->getOperand(0)))
      result = Piece{-p->first, -p->second};
  } else if (isa_and_nonnull<arith::AddFOp, arith::SubFOp, arith::MulFOp,
                             arith::DivFOp>(op)) {
    std::optional<Piece> lhs = piece(op->getOperand(0));
    std::optional<Piece> rhs = piece(op->getOperand(1));
    if (lhs && rhs) {
      auto [a, b] = *lhs;
      auto [c, d] = *rhs;
      if (isa<arith::AddFOp>(op))
        result = Piece{a + c, b + d};
      else if (isa<arith::SubFOp>(op))
        result = Piece{a - c, b - d};
      else if (isa<arith::MulFOp>(op) && a == 0.0)
        result = Piece{b * c, b * d};
      else if (isa<arith::MulFOp>(op) && c == 0.0)
        result = Piece{a * d, b * d};
      else if (isa<arith::DivFOp>(op) && c == 0.0 && d != 0.0)
        result = Piece{a / d, b / d};
    }
  } else if (auto select = dyn_cast_or_null<arith::SelectOp>(op)) {
    // The condition does not change on the segment (its switch is a
    // branch point): the branch taken at x.
    if (std::optional<double> condition = valueAt(select.getCondition()))
      result = piece(*condition != 0.0 ? select.getTrueValue()
                                       : select.getFalseValue());
  } else if (isa_and_nonnull<arith::MaximumFOp, arith::MinimumFOp>(op)) {
    std::optional<double> lhs = valueAt(op->getOperand(0));
    std::optional<double> rhs = valueAt(op->getOperand(1));
    if (lhs && rhs) {
      bool takeLhs = isa<arith::MaximumFOp>(op) ? *lhs >= *rhs : *lhs <= *rhs;
      result = piece(op->getOperand(takeLhs ? 0 : 1));
    }
  } else if (isa_and_nonnull<math::AbsFOp>(op)) {
    std::optional<double> operand = valueAt(op->getOperand(0));
    std::optional<Piece> p = piece(op->getOperand(0));
    if (operand && p)
      result = *operand < 0.0 ? Piece{-p->first, -p->second} : *p;
  }
  // Anything else of the variable (exp, tanh, x * x, ...) is not affine.
  memo[value] = result;
  return result;
}

/// A point strictly inside the segment (lo, hi) of the real line (either
/// end may be infinite).
static double getInteriorPoint(double lo, double hi) {
  if (std::isinf(lo) && std::isinf(hi))
    return 0.0;
  if (std::isinf(lo))
    return hi - std::max(1.0, std::fabs(hi));
  if (std::isinf(hi))
    return lo + std::max(1.0, std::fabs(lo));
  return lo + 0.5 * (hi - lo);
}

LogicalResult mlir::norm::appendBranchPoints(
    Operation *op,
    function_ref<std::optional<std::pair<double, double>>(Value, double)>
        pieceAt,
    SmallVectorImpl<double> &points) {
  // NaN handled by the payload itself: an isnan test (x != x, unordered or
  // ordered predicates) or NaN-dropping min/max. The fused activations
  // propagate NaN; such a payload is not one of them.
  if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
    arith::CmpFPredicate predicate = cmp.getPredicate();
    if (cmp.getLhs() == cmp.getRhs() ||
        predicate == arith::CmpFPredicate::UNO ||
        predicate == arith::CmpFPredicate::ORD)
      return failure();
  }
  if (isa<arith::MaxNumFOp, arith::MinNumFOp>(op))
    return failure();
  // The two sides of each switch: an operand, and a constant or the second
  // operand.
  SmallVector<std::pair<Value, std::optional<double>>> sides;
  if (isa<arith::CmpFOp, arith::MaximumFOp, arith::MinimumFOp>(op)) {
    sides.push_back({op->getOperand(0), std::nullopt});
  } else if (isa<math::AbsFOp>(op)) {
    sides.push_back({op->getOperand(0), 0.0});
  } else if (op->getName().getStringRef() == "tosa.clamp") {
    for (StringRef name : {"min_val", "max_val"})
      if (auto bound = op->getAttrOfType<FloatAttr>(name))
        sides.push_back({op->getOperand(0), bound.getValueAsDouble()});
  } else {
    return success();
  }
  // Between the branch points found so far (those of the ops the operands
  // are computed from) each side is affine; the root of their difference
  // in a segment is where `op` switches.
  SmallVector<double> bounds(points.begin(), points.end());
  llvm::sort(bounds);
  bounds.erase(llvm::unique(bounds), bounds.end());
  bounds.insert(bounds.begin(), -INFINITY);
  bounds.push_back(INFINITY);
  for (const auto &[operand, constant] : sides) {
    for (auto [lo, hi] : llvm::zip(ArrayRef(bounds).drop_back(),
                                   ArrayRef(bounds).drop_front())) {
      double x = getInteriorPoint(lo, hi);
      std::optional<std::pair<double, double>> lhs = pieceAt(operand, x);
      std::optional<std::pair<double, double>> rhs =
          constant ? std::make_pair(0.0, *constant)
                   : pieceAt(op->getOperand(1), x);
      if (!lhs || !rhs)
        return failure();
      // An infinite or NaN side (ReLU as a clamp at +inf) never equals the
      // other for a finite variable: no switch.
      double slope = lhs->first - rhs->first;
      double intercept = lhs->second - rhs->second;
      if (slope == 0.0 || !std::isfinite(slope) || !std::isfinite(intercept))
        continue;
      double root = -intercept / slope;
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
  auto pieceAt = [&](Value value, double x) {
    return getAffinePiece(value, x);
  };
  SmallVector<double> points;
  for (Operation *op : order)
    if (failed(appendBranchPoints(op, pieceAt, points)))
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

/// The difference of `actual` from `expected`, relative above 1 and
/// absolute below (infinite for a NaN).
static double mismatch(double actual, double expected) {
  if (std::isnan(actual) || std::isnan(expected))
    return std::numeric_limits<double>::infinity();
  return std::fabs(actual - expected) / std::max(1.0, std::fabs(expected));
}

static bool closeEnough(double actual, double expected,
                        double tolerance = 1e-6) {
  return mismatch(actual, expected) <= tolerance;
}

std::optional<std::pair<ActivationKind, double>> mlir::norm::identifyActivation(
    const std::function<std::optional<double>(double)> &function,
    ArrayRef<double> branchPoints, double maxMagnitude, double tolerance) {
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
  auto matchesAt = [&](ActivationKind kind, double alpha, double x) {
    if (!(std::fabs(x) <= maxMagnitude))
      return true; // Not a value of the payload's type.
    std::optional<double> y = function(x);
    return y && closeEnough(*y, evaluateActivation(kind, alpha, x), tolerance);
  };
  auto matches = [&](ActivationKind kind, double alpha) {
    bool atSamples =
        llvm::all_of(llvm::zip(getSamplePoints(), values), [&](auto pair) {
          auto [x, y] = pair;
          return closeEnough(y, evaluateActivation(kind, alpha, x), tolerance);
        });
    // Far out: a domain edge (sqrt(31 - x)) beyond the samples.
    if (!atSamples || !matchesAt(kind, alpha, -100.0) ||
        !matchesAt(kind, alpha, 100.0))
      return false;
    SmallVector<double> switches(getKinks(kind));
    llvm::append_range(switches, branchPoints);
    llvm::sort(switches);
    switches.erase(llvm::unique(switches), switches.end());
    // Both sides of each switch.
    for (double point : switches)
      for (double offset : {0.0, 1e-6, -1e-6, 1e-5, -1e-5, 1e-3, -1e-3})
        if (!matchesAt(kind, alpha,
                       point + offset * std::max(1.0, std::fabs(point))))
          return false;
    // Inside each segment between switches and beyond the outer ones: a
    // piece that agrees near its ends only (a bump between two switches).
    if (switches.empty())
      return true;
    for (auto [lo, hi] : llvm::zip(ArrayRef(switches).drop_back(),
                                   ArrayRef(switches).drop_front()))
      for (double fraction : {0.25, 0.5, 0.75})
        if (!matchesAt(kind, alpha, lo + fraction * (hi - lo)))
          return false;
    for (double step : {1.0, 10.0})
      if (!matchesAt(kind, alpha,
                     switches.front() -
                         step * std::max(1.0, std::fabs(switches.front()))) ||
          !matchesAt(kind, alpha,
                     switches.back() +
                         step * std::max(1.0, std::fabs(switches.back()))))
        return false;
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
  std::optional<std::pair<ActivationKind, double>> best;
  double bestMismatch = std::numeric_limits<double>::infinity();
  for (const Candidate &candidate : candidates) {
    // A leaky_relu slope of 1 is the identity; a slope or elu alpha of 0 is
    // relu (matched first). elu's default alpha is 1.
    if (ActivationAttr::hasAlpha(candidate.kind) &&
        (!(candidate.alpha > 0.0) ||
         (candidate.kind == ActivationKind::LeakyRelu &&
          candidate.alpha == 1.0)))
      continue;
    if (!matches(candidate.kind, candidate.alpha))
      continue;
    double worst = 0.0;
    for (auto [x, y] : llvm::zip(getSamplePoints(), values))
      worst = std::max(
          worst,
          mismatch(y, evaluateActivation(candidate.kind, candidate.alpha, x)));
    // Ties keep the earlier candidate (relu before a leaky_relu that
    // matches it).
    if (worst < bestMismatch) {
      best = std::make_pair(candidate.kind, candidate.alpha);
      bestMismatch = worst;
    }
  }
  return best;
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
