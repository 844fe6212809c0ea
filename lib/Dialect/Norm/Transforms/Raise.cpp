//===- Raise.cpp - Raise decomposed normalizations into norm ops ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-raise: recognizes normalizations that a frontend decomposed into
// linalg on tensors (torch-mlir's layer_norm, rms_norm, batch_norm, instance
// norm and softmax) and rewrites them into norm ops (linalg.softmax for
// softmax).
//
// A candidate is the value of an elementwise op (or a reshape); its
// expression graph (RaiseGraph.h) is matched in three steps:
//  1. the reduced tensor `x`: every reduction of the graph reads one tensor,
//     the same for all, and the root reads it with the identity map;
//  2. the index structure: each reduction combines, for the element of `x`
//     it is read next to, exactly the elements of `x` that share its
//     indices outside a set of axes D (checked at sample points by
//     enumeration), the same D for every reduction;
//  3. the scalar structure, by evaluation: each reduction is classified by
//     its summand (sum of c*x, of c*(x - mean)^2, of c*x^2, of
//     c*exp(x - max), or a max of x), and the root expression must equal the
//     normalization's formula at random values of x, the statistics and the
//     parameters, with epsilon solved for first.
// The intermediate values must have no use outside the graph.
//
//===----------------------------------------------------------------------===//

#include "RaiseGraph.h"
#include "ScalarEvaluator.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <numeric>
#include <random>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMRAISEPASS
#define GEN_PASS_DEF_NORMDECOMPOSEAGGREGATESPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

#define DEBUG_TYPE "norm-raise"

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::raise;

namespace {

/// What a reduction of the graph computes, as a multiple `coefficient` of
/// one of the statistics of the group it reduces.
enum class StatKind {
  Sum,      // sum(x)
  Centered, // sum((x - mean)^2)
  Squares,  // sum(x^2)
  Max,      // max(x)
  ExpSum,   // sum(exp(x - max))
};

struct Stat {
  StatKind kind;
  double coefficient = 1.0;
};

/// Random values of the quantities a normalization is a function of.
struct Sample {
  double x, sum, var, ms, max, expSum;
  double params[4];
};

/// A recognized normalization.
struct Match {
  enum class Kind {
    LayerNorm,
    RMSNorm,
    GroupNorm,
    BatchNormInference,
    Softmax
  };
  Kind kind;
  Value input;
  SmallVector<int64_t> axes;
  int64_t channel = -1;
  double epsilon = 0.0;
  double weightOffset = 0.0;
  /// Operands by role: weight, bias (and mean, var for batch norm).
  Value weight, bias, mean, var;
};

/// Relative agreement of two doubles.
static bool close(double a, double b, double tolerance = 1e-6) {
  if (!std::isfinite(a) || !std::isfinite(b))
    return false;
  return std::fabs(a - b) <= tolerance * std::max(1.0, std::fabs(b));
}

class Matcher {
public:
  Matcher(const ExprGraph &graph, Value root) : graph(graph), root(root) {}

  std::optional<Match> match();

private:
  bool findInput();
  bool checkGroups();
  bool classifyReductions();
  std::optional<Match> matchNormalization();
  std::optional<Match> matchSoftmax();
  std::optional<Match> matchBatchNormInference();

  /// The values of the graph's variables for `sample`, with parameter
  /// variable `params[i]` bound to `sample.params[i]`.
  SmallVector<double> bind(const Sample &sample,
                           ArrayRef<unsigned> params) const;
  double getVariableValue(unsigned var, const Sample &sample) const;
  std::optional<double> evalRoot(const Sample &sample,
                                 ArrayRef<unsigned> params) const {
    return ExprGraph::evaluate(graph.getRoot(), bind(sample, params));
  }
  SmallVector<Sample> samples(unsigned count) const;

  /// Whether parameter variable `var` is read at root index `i` as
  /// `value[i[dims]]` (and `value` has that shape).
  bool isProjection(unsigned var, ArrayRef<int64_t> dims) const;

  const ExprGraph &graph;
  Value root;
  Value x;
  ArrayRef<int64_t> xShape;
  /// Per variable: whether it reads x.
  SmallVector<bool> isX;
  SmallVector<std::optional<Stat>> stats; // per reduction
  SmallVector<int64_t> axes;              // the reduced axes D of x
  int64_t groupSize = 0;                  // N
  SmallVector<unsigned> params;           // root variables that are neither
};

} // namespace

bool Matcher::findInput() {
  ArrayRef<Variable> vars = graph.getVariables();
  // x: the tensor the reductions read.
  for (const Reduction &red : graph.getReductions()) {
    llvm::SetVector<unsigned> read;
    ExprGraph::collectVariables(red.summand, read);
    for (unsigned v : read) {
      if (vars[v].reduction >= 0)
        continue;
      if (x && vars[v].value != x)
        return false;
      x = vars[v].value;
    }
  }
  auto rootType = cast<RankedTensorType>(root.getType());
  const Space &rootSpace = graph.getSpaces()[0];
  AffineMap identity =
      AffineMap::getMultiDimIdentityMap(rootType.getRank(), root.getContext());
  if (!x) {
    // No reduction: x is the only root read of the root's shape with the
    // identity map.
    for (const Variable &v : vars) {
      if (v.space != 0 || v.reduction >= 0 || v.value.getType() != rootType ||
          !mapsAgree(rootSpace, v.map, identity))
        continue;
      if (x && x != v.value)
        return false;
      x = v.value;
    }
  }
  if (!x || x.getType() != rootType)
    return false;
  xShape = rootType.getShape();
  for (const Variable &v : vars) {
    bool readsX = v.reduction < 0 && v.value == x;
    isX.push_back(readsX);
    // At the root, x is read elementwise.
    if (readsX && v.space == 0 && !mapsAgree(rootSpace, v.map, identity))
      return false;
  }
  return true;
}

bool Matcher::checkGroups() {
  ArrayRef<Variable> vars = graph.getVariables();
  ArrayRef<Reduction> reductions = graph.getReductions();
  if (reductions.empty())
    return true;
  // The x read of each space.
  DenseMap<unsigned, unsigned> xOfSpace;
  for (auto [i, v] : llvm::enumerate(vars)) {
    if (!isX[i])
      continue;
    if (xOfSpace.count(v.space))
      return false; // x read twice differently in one space.
    xOfSpace[v.space] = i;
  }
  int64_t rank = xShape.size();
  std::optional<SmallVector<bool>> reduced;
  for (auto [i, v] : llvm::enumerate(vars)) {
    if (v.reduction < 0)
      continue;
    const Reduction &red = reductions[v.reduction];
    auto anchor = xOfSpace.find(v.space);
    auto operand = xOfSpace.find(red.space);
    if (anchor == xOfSpace.end() || operand == xOfSpace.end())
      return false;
    const Space &space = graph.getSpaces()[v.space];
    for (ArrayRef<int64_t> point : space.samples) {
      SmallVector<int64_t> j = vars[anchor->second].map.compose(point);
      std::optional<SmallVector<int64_t>> elements = graph.getReducedElements(
          v.reduction, operand->second, v.map.compose(point));
      if (!elements || elements->empty())
        return false;
      // The axes along which the group varies.
      SmallVector<bool> varies(rank, false);
      int64_t prev = -1;
      for (int64_t linear : *elements) {
        if (linear == prev)
          return false; // An element counted twice.
        prev = linear;
        int64_t rest = linear;
        for (int64_t d = rank - 1; d >= 0; --d) {
          if (rest % xShape[d] != j[d])
            varies[d] = true;
          rest /= xShape[d];
        }
      }
      if (!reduced)
        reduced = varies;
      if (*reduced != varies)
        return false;
      // Exactly the elements that agree with j off the reduced axes.
      int64_t expected = 1;
      for (int64_t d = 0; d < rank; ++d)
        if (varies[d])
          expected *= xShape[d];
      if (int64_t(elements->size()) != expected)
        return false;
    }
  }
  if (!reduced)
    return false;
  groupSize = 1;
  for (int64_t d = 0; d < rank; ++d)
    if ((*reduced)[d]) {
      axes.push_back(d);
      groupSize *= xShape[d];
    }
  return !axes.empty();
}

double Matcher::getVariableValue(unsigned var, const Sample &s) const {
  const Variable &v = graph.getVariables()[var];
  if (isX[var])
    return s.x;
  if (v.reduction < 0)
    return 0.0; // Parameters are bound by the caller.
  const Stat &stat = *stats[v.reduction];
  double n = double(groupSize);
  switch (stat.kind) {
  case StatKind::Sum:
    return stat.coefficient * s.sum;
  case StatKind::Centered:
    return stat.coefficient * n * s.var;
  case StatKind::Squares:
    return stat.coefficient * n * s.ms;
  case StatKind::Max:
    return s.max;
  case StatKind::ExpSum:
    return stat.coefficient * s.expSum;
  }
  return 0.0;
}

SmallVector<double> Matcher::bind(const Sample &sample,
                                  ArrayRef<unsigned> paramVars) const {
  SmallVector<double> values;
  for (unsigned i = 0, e = graph.getVariables().size(); i < e; ++i)
    values.push_back(stats.size() == graph.getReductions().size() ||
                             graph.getVariables()[i].reduction < 0
                         ? getVariableValue(i, sample)
                         : 0.0);
  for (auto [i, var] : llvm::enumerate(paramVars))
    values[var] = sample.params[i];
  return values;
}

SmallVector<Sample> Matcher::samples(unsigned count) const {
  std::mt19937_64 rng(12345);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto uniform = [&](double lo, double hi) {
    return lo + (hi - lo) * unit(rng);
  };
  SmallVector<Sample> result;
  double n = double(std::max<int64_t>(groupSize, 1));
  for (unsigned k = 0; k < count; ++k) {
    Sample s;
    s.x = uniform(-3.0, 3.0);
    s.sum = n * uniform(-2.0, 2.0);
    // Include tiny variances: they tell where epsilon is added.
    s.var = k % 4 == 0 ? uniform(0.0, 1e-3) : uniform(0.0, 4.0);
    double mean = s.sum / n;
    s.ms = s.var + mean * mean;
    s.max = uniform(-3.0, 3.0);
    s.expSum = uniform(0.5, 50.0);
    for (double &p : s.params)
      p = uniform(-2.0, 2.0);
    // Batch norm's variance parameter is the second one.
    s.params[1] = k % 4 == 0 ? uniform(0.0, 1e-3) : uniform(0.0, 4.0);
    result.push_back(s);
  }
  return result;
}

bool Matcher::classifyReductions() {
  ArrayRef<Reduction> reductions = graph.getReductions();
  ArrayRef<Variable> vars = graph.getVariables();
  stats.assign(reductions.size(), std::nullopt);
  double n = double(groupSize);
  // Classify in dependency order: a summand may read other reductions.
  bool progress = true;
  while (progress) {
    progress = false;
    for (auto [r, red] : llvm::enumerate(reductions)) {
      if (stats[r])
        continue;
      llvm::SetVector<unsigned> read;
      ExprGraph::collectVariables(red.summand, read);
      SmallVector<unsigned> nested;
      bool ready = true;
      for (unsigned v : read) {
        if (vars[v].reduction < 0)
          continue;
        nested.push_back(v);
        if (!stats[vars[v].reduction])
          ready = false;
      }
      if (!ready)
        continue;
      progress = true;
      SmallVector<Sample> points = samples(16);
      auto eval = [&](const Sample &s) {
        return ExprGraph::evaluate(red.summand, bind(s, {}));
      };
      auto allMatch = [&](auto expected) {
        return llvm::all_of(points, [&](const Sample &s) {
          std::optional<double> got = eval(s);
          return got && close(*got, expected(s));
        });
      };
      if (red.kind == ReductionKind::Max) {
        if (!nested.empty() || !allMatch([](const Sample &s) { return s.x; }))
          return false;
        stats[r] = Stat{StatKind::Max, 1.0};
        continue;
      }
      if (nested.empty()) {
        Sample one = points[0];
        one.x = 1.0;
        std::optional<double> c = eval(one);
        if (!c || *c == 0.0 || !std::isfinite(*c))
          return false;
        double coefficient = *c;
        if (allMatch([&](const Sample &s) { return coefficient * s.x; })) {
          stats[r] = Stat{StatKind::Sum, coefficient};
          continue;
        }
        if (allMatch(
                [&](const Sample &s) { return coefficient * s.x * s.x; })) {
          stats[r] = Stat{StatKind::Squares, coefficient};
          continue;
        }
        return false;
      }
      // Summands over other statistics: all of them sums (a centered
      // square) or all maxima (exp(x - max)).
      bool allSums = llvm::all_of(nested, [&](unsigned v) {
        return stats[vars[v].reduction]->kind == StatKind::Sum;
      });
      bool allMax = llvm::all_of(nested, [&](unsigned v) {
        return stats[vars[v].reduction]->kind == StatKind::Max;
      });
      if (allSums) {
        Sample one = points[0];
        one.x = one.sum / n + 1.0;
        std::optional<double> c = eval(one);
        if (!c || *c == 0.0 || !std::isfinite(*c))
          return false;
        double coefficient = *c;
        if (!allMatch([&](const Sample &s) {
              double d = s.x - s.sum / n;
              return coefficient * d * d;
            }))
          return false;
        stats[r] = Stat{StatKind::Centered, coefficient};
        continue;
      }
      if (allMax) {
        Sample one = points[0];
        one.x = one.max;
        std::optional<double> c = eval(one);
        if (!c || *c == 0.0 || !std::isfinite(*c))
          return false;
        double coefficient = *c;
        if (!allMatch([&](const Sample &s) {
              return coefficient * std::exp(s.x - s.max);
            }))
          return false;
        stats[r] = Stat{StatKind::ExpSum, coefficient};
        continue;
      }
      return false;
    }
  }
  return llvm::all_of(stats, [](auto &s) { return s.has_value(); });
}

bool Matcher::isProjection(unsigned var, ArrayRef<int64_t> dims) const {
  const Variable &v = graph.getVariables()[var];
  auto type = dyn_cast<RankedTensorType>(v.value.getType());
  if (!type || type.getRank() != int64_t(dims.size()) ||
      type.getElementType() != cast<ShapedType>(x.getType()).getElementType())
    return false;
  for (auto [i, d] : llvm::enumerate(dims))
    if (type.getDimSize(i) != xShape[d])
      return false;
  SmallVector<AffineExpr> results;
  for (int64_t d : dims)
    results.push_back(getAffineDimExpr(d, root.getContext()));
  AffineMap expected =
      AffineMap::get(xShape.size(), 0, results, root.getContext());
  return mapsAgree(graph.getSpaces()[0], v.map, expected);
}

/// Epsilon from the output `y` at a point where the normalized value is 1
/// and the variance 0: y = 1 / sqrt(eps). Rounds away the evaluation noise.
static std::optional<double> solveEpsilon(std::optional<double> y) {
  if (!y || !std::isfinite(*y) || *y <= 0.0)
    return std::nullopt;
  double eps = 1.0 / (*y * *y);
  if (!(eps > 0.0) || eps > 1.0)
    return std::nullopt;
  double rounded = std::stod(llvm::formatv("{0:e6}", eps).str());
  return close(rounded, eps, 1e-9) ? rounded : eps;
}

std::optional<Match> Matcher::matchNormalization() {
  // Which statistics the root reads (directly or through other reductions).
  bool hasSum = false, hasCentered = false, hasSquares = false;
  for (const std::optional<Stat> &s : stats) {
    hasSum |= s->kind == StatKind::Sum;
    hasCentered |= s->kind == StatKind::Centered;
    hasSquares |= s->kind == StatKind::Squares;
    if (s->kind == StatKind::Max || s->kind == StatKind::ExpSum)
      return std::nullopt;
  }
  bool layerNorm = hasSum && (hasCentered || hasSquares);
  bool rmsNorm = !hasSum && !hasCentered && hasSquares;
  if (!layerNorm && !rmsNorm)
    return std::nullopt;

  // Trailing contiguous axes: layer/RMS norm; the spatial axes of an NCHW
  // tensor with per-channel parameters: instance norm (group_norm with one
  // channel per group).
  int64_t rank = xShape.size();
  bool trailing = axes.back() == rank - 1 &&
                  axes.back() - axes.front() + 1 == int64_t(axes.size());
  if (!trailing || params.size() > 2)
    return std::nullopt;
  bool normParams =
      llvm::all_of(params, [&](unsigned v) { return isProjection(v, axes); });
  bool channelParams =
      layerNorm && rank >= 3 && axes.front() == 2 &&
      llvm::all_of(params, [&](unsigned v) { return isProjection(v, {1}); });
  if (!normParams && !(channelParams && !params.empty()))
    return std::nullopt;

  double n = double(groupSize);
  SmallVector<Sample> points = samples(32);
  // Role assignments of the parameters: weight (role 0) and bias (role 1).
  SmallVector<SmallVector<int>> assignments;
  if (params.empty())
    assignments.push_back({});
  else if (params.size() == 1)
    assignments = {{0}, {1}};
  else
    assignments = {{0, 1}, {1, 0}};
  SmallVector<double> offsets =
      rmsNorm ? SmallVector<double>{0.0, 1.0} : SmallVector<double>{0.0};
  for (ArrayRef<int> roles : assignments) {
    if (rmsNorm && llvm::is_contained(roles, 1))
      continue; // RMS norm has no bias.
    for (double offset : offsets) {
      auto weightOf = [&](const Sample &s) {
        for (auto [i, role] : llvm::enumerate(roles))
          if (role == 0)
            return s.params[i] + offset;
        return 1.0;
      };
      auto biasOf = [&](const Sample &s) {
        for (auto [i, role] : llvm::enumerate(roles))
          if (role == 1)
            return s.params[i];
        return 0.0;
      };
      // Epsilon: normalized value 1, variance 0, weight 1, bias 0.
      Sample probe = points[1];
      probe.var = 0.0;
      probe.ms = 0.0;
      probe.sum = layerNorm ? probe.sum : 0.0;
      probe.x = layerNorm ? probe.sum / n + 1.0 : 1.0;
      if (rmsNorm)
        probe.ms = 0.0;
      for (auto [i, role] : llvm::enumerate(roles))
        probe.params[i] = role == 0 ? 1.0 - offset : 0.0;
      if (layerNorm) {
        double mean = probe.sum / n;
        probe.ms = mean * mean;
      }
      std::optional<double> eps = solveEpsilon(evalRoot(probe, params));
      if (!eps)
        continue;
      bool ok = llvm::all_of(points, [&](const Sample &s) {
        double expected;
        if (layerNorm)
          expected = (s.x - s.sum / n) / std::sqrt(s.var + *eps);
        else
          expected = s.x / std::sqrt(s.ms + *eps);
        expected = expected * weightOf(s) + biasOf(s);
        std::optional<double> got = evalRoot(s, params);
        return got && close(*got, expected);
      });
      if (!ok)
        continue;
      Match m;
      m.kind = rmsNorm      ? Match::Kind::RMSNorm
               : normParams ? Match::Kind::LayerNorm
                            : Match::Kind::GroupNorm;
      m.input = x;
      m.axes = axes;
      m.channel = 1;
      m.epsilon = *eps;
      m.weightOffset = offset;
      for (auto [i, role] : llvm::enumerate(roles))
        (role == 0 ? m.weight : m.bias) = graph.getVariables()[params[i]].value;
      return m;
    }
  }
  return std::nullopt;
}

std::optional<Match> Matcher::matchSoftmax() {
  bool hasMax = false, hasExpSum = false;
  for (const std::optional<Stat> &s : stats) {
    hasMax |= s->kind == StatKind::Max;
    hasExpSum |= s->kind == StatKind::ExpSum;
    if (s->kind != StatKind::Max && s->kind != StatKind::ExpSum)
      return std::nullopt;
  }
  if (!hasMax || !hasExpSum || axes.size() != 1 || !params.empty())
    return std::nullopt;
  for (const Sample &s : samples(32)) {
    std::optional<double> got = evalRoot(s, {});
    if (!got || !close(*got, std::exp(s.x - s.max) / s.expSum))
      return std::nullopt;
  }
  Match m;
  m.kind = Match::Kind::Softmax;
  m.input = x;
  m.axes = axes;
  return m;
}

std::optional<Match> Matcher::matchBatchNormInference() {
  // y = (x - mean[c]) * rsqrt(var[c] + eps) * weight[c] + bias[c].
  if (params.size() < 2 || params.size() > 4 || xShape.size() < 2)
    return std::nullopt;
  int64_t channel = -1;
  for (int64_t c = 0, e = xShape.size(); c < e; ++c)
    if (llvm::all_of(params, [&](unsigned v) { return isProjection(v, {c}); }))
      channel = c;
  if (channel < 0)
    return std::nullopt;
  // Roles: 0 mean, 1 var, 2 weight, 3 bias.
  SmallVector<int> roles(params.size());
  std::iota(roles.begin(), roles.end(), 0);
  SmallVector<SmallVector<int>> assignments;
  // Every injective assignment of roles to parameters with mean and var.
  SmallVector<int> all = {0, 1, 2, 3};
  std::function<void(SmallVector<int> &, unsigned)> enumerate =
      [&](SmallVector<int> &cur, unsigned i) {
        if (i == params.size()) {
          if (llvm::is_contained(cur, 0) && llvm::is_contained(cur, 1))
            assignments.push_back(cur);
          return;
        }
        for (int role : all) {
          if (llvm::is_contained(cur, role))
            continue;
          cur.push_back(role);
          enumerate(cur, i + 1);
          cur.pop_back();
        }
      };
  SmallVector<int> cur;
  enumerate(cur, 0);
  SmallVector<Sample> points = samples(32);
  for (ArrayRef<int> assignment : assignments) {
    auto role = [&](const Sample &s, int r, double dflt) {
      for (auto [i, a] : llvm::enumerate(assignment))
        if (a == r)
          return s.params[i];
      return dflt;
    };
    // Arrange the samples so that the variance is the second parameter's
    // distribution (non-negative).
    auto arrange = [&](Sample s) {
      double var = s.params[1];
      double other = s.params[0];
      Sample t = s;
      for (auto [i, a] : llvm::enumerate(assignment))
        t.params[i] = a == 1 ? var : (a == 0 ? other : s.params[2 + (i % 2)]);
      return t;
    };
    Sample probe = arrange(points[1]);
    for (auto [i, a] : llvm::enumerate(assignment))
      probe.params[i] = a == 1   ? 0.0
                        : a == 2 ? 1.0
                        : a == 3 ? 0.0
                                 : probe.params[i];
    probe.x = role(probe, 0, 0.0) + 1.0;
    std::optional<double> eps = solveEpsilon(evalRoot(probe, params));
    if (!eps)
      continue;
    bool ok = llvm::all_of(points, [&](const Sample &raw) {
      Sample s = arrange(raw);
      double expected = (s.x - role(s, 0, 0.0)) /
                            std::sqrt(role(s, 1, 0.0) + *eps) *
                            role(s, 2, 1.0) +
                        role(s, 3, 0.0);
      std::optional<double> got = evalRoot(s, params);
      return got && close(*got, expected);
    });
    if (!ok)
      continue;
    Match m;
    m.kind = Match::Kind::BatchNormInference;
    m.input = x;
    m.channel = channel;
    m.epsilon = *eps;
    for (auto [i, a] : llvm::enumerate(assignment)) {
      Value v = graph.getVariables()[params[i]].value;
      (a == 0 ? m.mean : a == 1 ? m.var : a == 2 ? m.weight : m.bias) = v;
    }
    return m;
  }
  return std::nullopt;
}

std::optional<Match> Matcher::match() {
  if (!findInput() || !checkGroups() || !classifyReductions())
    return std::nullopt;
  // The other reads of the root: parameters. Reductions' summands read only
  // x and other reductions (findInput).
  for (auto [i, v] : llvm::enumerate(graph.getVariables()))
    if (v.reduction < 0 && !isX[i]) {
      if (v.space != 0)
        return std::nullopt;
      params.push_back(i);
    }
  if (graph.getReductions().empty())
    return matchBatchNormInference();
  if (std::optional<Match> m = matchNormalization())
    return m;
  return matchSoftmax();
}

//===----------------------------------------------------------------------===//
// Rewriting.
//===----------------------------------------------------------------------===//

/// Creates the op of `m` computing the value of `root`.
static Value createRaisedOp(RewriterBase &rewriter, Location loc,
                            const Match &m, Value root) {
  MLIRContext *ctx = rewriter.getContext();
  Type type = root.getType();
  FloatAttr eps = rewriter.getF64FloatAttr(m.epsilon);
  switch (m.kind) {
  case Match::Kind::LayerNorm:
    return LayerNormOp::create(rewriter, loc, type, Type(), Type(), Type(),
                               m.input, m.weight, m.bias, Value(),
                               DenseI64ArrayAttr::get(ctx, m.axes), eps,
                               ActivationAttr())
        .getOutput();
  case Match::Kind::RMSNorm:
    return RMSNormOp::create(
               rewriter, loc, type, Type(), Type(), m.input, m.weight, Value(),
               DenseI64ArrayAttr::get(ctx, m.axes), eps,
               rewriter.getF64FloatAttr(m.weightOffset), ActivationAttr())
        .getOutput();
  case Match::Kind::GroupNorm: {
    int64_t channels = cast<ShapedType>(type).getDimSize(m.channel);
    return GroupNormOp::create(
               rewriter, loc, type, Type(), Type(), Type(), m.input, m.weight,
               m.bias, Value(), rewriter.getI64IntegerAttr(channels),
               rewriter.getI64IntegerAttr(m.channel), eps, ActivationAttr())
        .getOutput();
  }
  case Match::Kind::BatchNormInference:
    return BatchNormInferenceOp::create(
               rewriter, loc, type, Type(), m.input, m.mean, m.var, m.weight,
               m.bias, Value(), rewriter.getI64IntegerAttr(m.channel), eps,
               ActivationAttr())
        .getOutput();
  case Match::Kind::Softmax: {
    auto tensorType = cast<RankedTensorType>(type);
    Value init = tensor::EmptyOp::create(rewriter, loc, tensorType.getShape(),
                                         tensorType.getElementType());
    return linalg::SoftmaxOp::create(rewriter, loc, type, m.input, init,
                                     m.axes.front())
        .getResult()[0];
  }
  }
  return Value();
}

/// Candidate barriers: the reduced operand of the first reduction that reads
/// no other reduction, and the values it is a cast or copy of. Deepest first.
static SmallVector<Value> getBarrierCandidates(const ExprGraph &graph) {
  SmallVector<Value> chain;
  for (const Reduction &red : graph.getReductions()) {
    if (red.op.getNumDpsInputs() != 1)
      continue;
    Value v = red.op.getDpsInputOperand(0)->get();
    while (v && chain.size() < 8) {
      chain.push_back(v);
      // Through elementwise ops of one tensor (casts, squares x*x).
      auto producer = v.getDefiningOp<linalg::LinalgOp>();
      if (!producer || producer.getNumDpsInputs() < 1 ||
          producer.getNumParallelLoops() != producer.getNumLoops())
        break;
      Value next = producer.getDpsInputOperand(0)->get();
      if (!isa<RankedTensorType>(next.getType()) ||
          llvm::any_of(producer.getDpsInputs(),
                       [&](Value in) { return in != next; }))
        break;
      v = next;
    }
    break;
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

/// Whether every value computed by the graph's ops, but the root, is used
/// only inside the graph.
static bool isSelfContained(const ExprGraph &graph, Value root) {
  DenseSet<Operation *> inside(graph.getOps().begin(), graph.getOps().end());
  for (Operation *op : graph.getOps())
    for (OpResult result : op->getResults()) {
      if (result == root)
        continue;
      for (Operation *user : result.getUsers())
        if (!inside.contains(user))
          return false;
    }
  return true;
}

namespace {
struct NormRaisePass : norm::impl::NormRaisePassBase<NormRaisePass> {
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    bool changed = true;
    while (changed) {
      changed = false;
      SmallVector<Operation *> candidates;
      getOperation()->walk([&](Operation *op) {
        if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
          candidates.push_back(op);
          return;
        }
        auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
        if (linalgOp && linalgOp.hasPureTensorSemantics() &&
            op->getNumResults() == 1 &&
            linalgOp.getNumParallelLoops() == linalgOp.getNumLoops())
          candidates.push_back(op);
      });
      for (Operation *op : llvm::reverse(candidates))
        if (succeeded(tryRaise(rewriter, op->getResult(0)))) {
          changed = true;
          break;
        }
    }
  }

  LogicalResult tryRaise(RewriterBase &rewriter, Value root) {
    std::optional<ExprGraph> graph = ExprGraph::build(root);
    if (!graph || graph->getOps().empty())
      return failure();
    SmallVector<Value> barriers = getBarrierCandidates(*graph);
    std::optional<ExprGraph> chosen;
    std::optional<Match> match;
    for (Value barrier : barriers) {
      std::optional<ExprGraph> g = ExprGraph::build(root, {barrier});
      if (!g)
        continue;
      if ((match = Matcher(*g, root).match())) {
        chosen = std::move(g);
        break;
      }
    }
    if (!match) {
      if (!(match = Matcher(*graph, root).match()))
        return failure();
      chosen = std::move(graph);
    }
    if (!isSelfContained(*chosen, root)) {
      LLVM_DEBUG(llvm::dbgs() << "norm-raise: intermediate with an outside "
                                 "use at "
                              << root.getLoc() << "\n");
      return failure();
    }
    Operation *rootOp = root.getDefiningOp();
    rewriter.setInsertionPoint(rootOp);
    Value raised = createRaisedOp(rewriter, rootOp->getLoc(), *match, root);
    if (!raised)
      return failure();
    rewriter.replaceAllUsesWith(root, raised);
    // Erase the decomposition and what only it used (fills, empties).
    llvm::SetVector<Operation *> candidates(chosen->getOps().begin(),
                                            chosen->getOps().end());
    DenseSet<Operation *> erased;
    bool progress = true;
    while (progress) {
      progress = false;
      for (unsigned i = 0; i < candidates.size(); ++i) {
        Operation *op = candidates[i];
        if (erased.contains(op) || !op->use_empty() ||
            op->getNumResults() == 0 || !isMemoryEffectFree(op))
          continue;
        for (Value operand : op->getOperands())
          if (Operation *def = operand.getDefiningOp())
            candidates.insert(def);
        erased.insert(op);
        rewriter.eraseOp(op);
        progress = true;
      }
    }
    countRaised(match->kind);
    return success();
  }

  void countRaised(Match::Kind kind) {
    ++numRaised;
    switch (kind) {
    case Match::Kind::LayerNorm:
      ++numLayerNorm;
      break;
    case Match::Kind::RMSNorm:
      ++numRMSNorm;
      break;
    case Match::Kind::GroupNorm:
      ++numGroupNorm;
      break;
    case Match::Kind::BatchNormInference:
      ++numBatchNorm;
      break;
    case Match::Kind::Softmax:
      ++numSoftmax;
      break;
    }
  }
};
} // namespace

namespace {
struct NormDecomposeAggregatesPass
    : norm::impl::NormDecomposeAggregatesPassBase<NormDecomposeAggregatesPass> {
  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> aggregates;
    getOperation()->walk(
        [&](linalg::AggregatedOpInterface op) { aggregates.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : aggregates) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> results = op.decomposeOperation(rewriter);
      if (failed(results)) {
        op->emitOpError("could not be decomposed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *results);
    }
  }
};
} // namespace
