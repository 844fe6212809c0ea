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
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMRAISEPASS
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
    BatchNormTraining,
    Softmax
  };
  Kind kind;
  Value input;
  SmallVector<int64_t> axes;
  int64_t channel = -1;
  int64_t numGroups = 0;
  double epsilon = 0.0;
  double momentum = 0.1;
  double weightOffset = 0.0;
  /// Operands by role: weight, bias (and mean, var for batch norm: the
  /// running statistics).
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

  /// After a training batch norm match: whether `other`, the graph of
  /// `otherRoot` (a rank-1 tensor of the channel count), is PyTorch's update
  /// of a running statistic from this graph's batch statistics,
  ///   (1 - m) * running + m * mean            (`isVar` false), or
  ///   (1 - m) * running + m * var * n / (n - 1) (`isVar` true),
  /// with `running` read elementwise. Returns the running statistic and m.
  struct RunningUpdate {
    bool isVar;
    double momentum;
    Value running;
  };
  std::optional<RunningUpdate> matchRunningUpdate(const ExprGraph &other,
                                                  Value otherRoot,
                                                  int64_t channel) const;

private:
  /// The value of reduction `reduction` of the graph at `sample`.
  double getStatValue(unsigned reduction, const Sample &sample) const;
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
  int64_t groupAxis = -1;                 // the axis reduced in blocks
  int64_t groupBlock = 0;                 // the size of those blocks
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
  // The root's sizes (the probe sizes of dynamic ones).
  xShape = rootSpace.shape;
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
  // Per axis, how many consecutive indices a group spans: 1 (not reduced),
  // the whole axis, or (on at most one axis, group norm's channels) an
  // aligned block of a divisor of it.
  std::optional<SmallVector<int64_t>> blocks;
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
      SmallVector<int64_t> j = evalMap(vars[anchor->second].map, point);
      std::optional<SmallVector<int64_t>> elements = graph.getReducedElements(
          v.reduction, operand->second, evalMap(v.map, point));
      if (!elements || elements->empty())
        return false;
      // The indices each axis takes in the group (as sets, not bit vectors
      // of the axis' size: an axis of 3e9 took gigabytes per sample).
      SmallVector<llvm::DenseSet<int64_t>> taken(rank);
      SmallVector<int64_t> first(rank, std::numeric_limits<int64_t>::max());
      SmallVector<int64_t> last(rank, -1);
      int64_t prev = -1;
      for (int64_t linear : *elements) {
        if (linear == prev)
          return false; // An element counted twice.
        prev = linear;
        int64_t rest = linear;
        for (int64_t d = rank - 1; d >= 0; --d) {
          int64_t index = rest % xShape[d];
          taken[d].insert(index);
          first[d] = std::min(first[d], index);
          last[d] = std::max(last[d], index);
          rest /= xShape[d];
        }
      }
      SmallVector<int64_t> block(rank, 1);
      int64_t expected = 1, partial = 0;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t count = taken[d].size();
        if (count == 1 && !taken[d].contains(j[d]))
          return false;
        if (count > 1 && count < xShape[d]) {
          // An aligned block around j[d].
          int64_t lo = j[d] / count * count;
          if (xShape[d] % count != 0 || ++partial > 1 || first[d] != lo ||
              last[d] != lo + count - 1)
            return false;
        }
        block[d] = count;
        expected *= count;
      }
      if (!blocks)
        blocks = block;
      if (*blocks != block)
        return false;
      // Exactly the product of the per-axis index sets.
      if (int64_t(elements->size()) != expected)
        return false;
    }
  }
  if (!blocks)
    return false;
  groupSize = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*blocks)[d] == 1)
      continue;
    axes.push_back(d);
    groupSize *= (*blocks)[d];
    if ((*blocks)[d] != xShape[d]) {
      groupAxis = d;
      groupBlock = (*blocks)[d];
    }
  }
  return !axes.empty();
}

double Matcher::getVariableValue(unsigned var, const Sample &s) const {
  const Variable &v = graph.getVariables()[var];
  if (isX[var])
    return s.x;
  if (v.reduction < 0)
    return 0.0; // Parameters are bound by the caller.
  return getStatValue(v.reduction, s);
}

double Matcher::getStatValue(unsigned reduction, const Sample &s) const {
  const Stat &stat = *stats[reduction];
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
    for (unsigned r = 0, e = reductions.size(); r < e; ++r) {
      const Reduction &red = reductions[r];
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
  if (!type || !type.hasStaticShape() ||
      type.getElementType() != cast<ShapedType>(x.getType()).getElementType())
    return false;
  // The parameter's shape is `dims`' sizes, possibly with unit dimensions
  // inserted (TOSA's [1, C, 1, 1]); those are read at 0.
  MLIRContext *ctx = root.getContext();
  SmallVector<AffineExpr> results;
  unsigned next = 0;
  bool unitDims = true;
  for (int64_t size : type.getShape()) {
    if (next < dims.size() && size == xShape[dims[next]] &&
        (size != 1 || type.getRank() - int64_t(results.size()) ==
                          int64_t(dims.size() - next))) {
      results.push_back(getAffineDimExpr(dims[next++], ctx));
      continue;
    }
    if (size != 1) {
      unitDims = false;
      break;
    }
    results.push_back(getAffineConstantExpr(0, ctx));
  }
  const Space &rootSpace = graph.getSpaces()[0];
  if (unitDims && next == dims.size() &&
      mapsAgree(rootSpace, v.map,
                AffineMap::get(xShape.size(), 0, results, ctx)))
    return true;
  // Or any row-major reshape of `dims`' sizes (TOSA's group norm keeps its
  // per-channel weight as [1, G, C/G, 1]).
  SmallVector<int64_t> sizes;
  SmallVector<AffineExpr> projection;
  int64_t count = 1;
  for (int64_t d : dims) {
    sizes.push_back(xShape[d]);
    projection.push_back(getAffineDimExpr(d, ctx));
    count *= xShape[d];
  }
  if (type.getNumElements() != count)
    return false;
  AffineMap reshape = getReshapeMap(type.getShape(), sizes, ctx);
  return mapsAgree(
      rootSpace, v.map,
      reshape.compose(AffineMap::get(xShape.size(), 0, projection, ctx)));
}

/// Epsilon from the output `y` at a point where the normalized value is 1
/// and the variance 0: y = 1 / sqrt(eps). Rounds away the evaluation noise
/// and the frontend's rounding (f32 constants such as TOSA's 1/N for the
/// mean, which move the solved value by ~1e-7): the shortest decimal within
/// 2e-7 (relative; the formula is then checked with that epsilon).
static std::optional<double> solveEpsilon(std::optional<double> y) {
  if (!y || !std::isfinite(*y) || *y <= 0.0)
    return std::nullopt;
  double eps = 1.0 / (*y * *y);
  if (!(eps > 0.0) || eps > 1.0)
    return std::nullopt;
  for (int digits = 0; digits <= 6; ++digits) {
    std::string format = "{0:e" + std::to_string(digits) + "}";
    double rounded = std::stod(llvm::formatv(format.c_str(), eps).str());
    if (std::fabs(rounded - eps) <= 2e-7 * eps)
      return rounded;
  }
  return eps;
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

  // Adjacent axes with parameters along them (or none): layer/RMS norm
  // (trailing, or in the middle: the channels of NCHW data); the spatial
  // axes of an NCHW tensor with per-channel parameters: instance norm
  // (group_norm with one channel per group); the channels in aligned blocks
  // and the spatial axes: group norm; every axis but one, with per-channel
  // parameters: training batch norm (batch statistics).
  int64_t rank = xShape.size();
  bool adjacent = axes.back() - axes.front() + 1 == int64_t(axes.size());
  bool trailing = adjacent && axes.back() == rank - 1;
  if (params.size() > 2)
    return std::nullopt;
  auto perChannel = [&](int64_t c) {
    return llvm::all_of(params,
                        [&](unsigned v) { return isProjection(v, {c}); });
  };
  int64_t batchChannel = -1;
  if (layerNorm && groupAxis < 0 && rank >= 2 &&
      int64_t(axes.size()) == rank - 1)
    for (int64_t c = 0; c < rank; ++c)
      if (!llvm::is_contained(axes, c) && (c != 0 || !trailing) &&
          perChannel(c))
        batchChannel = c;
  // Group norm: the channels in blocks, or one group (with per-channel
  // parameters: otherwise a layer norm over C, H, W).
  bool grouped = layerNorm && rank >= 3 && trailing && axes.front() == 1 &&
                 perChannel(1) &&
                 (groupAxis == 1 || (groupAxis < 0 && !params.empty()));
  if (!adjacent && batchChannel < 0)
    return std::nullopt;
  if (groupAxis >= 0 && !grouped)
    return std::nullopt;
  bool normParams =
      !grouped && batchChannel < 0 &&
      llvm::all_of(params, [&](unsigned v) { return isProjection(v, axes); });
  bool channelParams = layerNorm && trailing && rank >= 3 &&
                       axes.front() == 2 && perChannel(1) && !params.empty();
  if (!normParams && !channelParams && !grouped && batchChannel < 0)
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
      m.kind = rmsNorm             ? Match::Kind::RMSNorm
               : batchChannel >= 0 ? Match::Kind::BatchNormTraining
               : normParams        ? Match::Kind::LayerNorm
                                   : Match::Kind::GroupNorm;
      m.input = x;
      m.axes = axes;
      m.channel = batchChannel >= 0 ? batchChannel : 1;
      // Instance norm: one channel a group.
      m.numGroups = !grouped         ? xShape[1]
                    : groupAxis == 1 ? xShape[1] / groupBlock
                                     : 1;
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

std::optional<Matcher::RunningUpdate>
Matcher::matchRunningUpdate(const ExprGraph &other, Value otherRoot,
                            int64_t channel) const {
  auto rootType = dyn_cast<RankedTensorType>(otherRoot.getType());
  int64_t channels = xShape[channel];
  Type elementType = cast<ShapedType>(x.getType()).getElementType();
  if (!rootType || rootType.getShape() != ArrayRef<int64_t>{channels} ||
      rootType.getElementType() != elementType)
    return std::nullopt;
  ArrayRef<Variable> vars = other.getVariables();
  ArrayRef<Reduction> reductions = other.getReductions();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, root.getContext());
  // Per reduction of `other`: the same reduction of this graph.
  SmallVector<unsigned> same;
  for (const Reduction &red : reductions) {
    auto it = llvm::find_if(graph.getReductions(), [&](const Reduction &r) {
      return r.op == red.op && r.result == red.result;
    });
    if (it == graph.getReductions().end())
      return std::nullopt;
    same.push_back(it - graph.getReductions().begin());
  }
  std::optional<unsigned> running;
  for (auto [i, v] : llvm::enumerate(vars)) {
    if (v.reduction < 0 && v.value == x) {
      if (v.space == 0)
        return std::nullopt; // x itself is not part of the update.
      continue;
    }
    if (v.reduction < 0) {
      // The running statistic, read elementwise.
      if (running || v.space != 0 || v.value.getType() != rootType ||
          !mapsAgree(other.getSpaces()[0], v.map, identity))
        return std::nullopt;
      running = i;
      continue;
    }
    if (v.space != 0)
      continue; // Inside a reduction of this graph: checked by match().
    // Element c of the update reads the statistics of channel c.
    const Reduction &red = reductions[v.reduction];
    auto xRead = llvm::find_if(vars, [&](const Variable &w) {
      return w.reduction < 0 && w.value == x && w.space == red.space;
    });
    if (xRead == vars.end())
      return std::nullopt;
    for (int64_t c = 0; c < channels; ++c) {
      std::optional<SmallVector<int64_t>> elements = other.getReducedElements(
          v.reduction, xRead - vars.begin(), evalMap(v.map, {c}));
      if (!elements || int64_t(elements->size()) != groupSize)
        return std::nullopt;
      for (int64_t linear : *elements) {
        SmallVector<int64_t> index(xShape.size());
        for (int64_t d = xShape.size() - 1; d >= 0; --d) {
          index[d] = linear % xShape[d];
          linear /= xShape[d];
        }
        if (index[channel] != c)
          return std::nullopt;
      }
    }
  }
  if (!running)
    return std::nullopt;
  double n = double(groupSize);
  auto eval = [&](const Sample &s, double runningValue) {
    SmallVector<double> values;
    for (const Variable &v : vars)
      values.push_back(v.reduction >= 0 ? getStatValue(same[v.reduction], s)
                                        : s.x);
    values[*running] = runningValue;
    return ExprGraph::evaluate(other.getRoot(), values);
  };
  SmallVector<Sample> points = samples(32);
  for (bool isVar : {false, true}) {
    // Momentum: running value 0, mean and variance 1.
    Sample probe = points[0];
    probe.sum = n;
    probe.var = 1.0;
    probe.ms = 2.0;
    std::optional<double> y = eval(probe, 0.0);
    if (!y)
      return std::nullopt;
    double m = isVar ? *y * (n - 1.0) / n : *y;
    double rounded = std::stod(llvm::formatv("{0:e6}", m).str());
    if (close(rounded, m, 1e-6))
      m = rounded;
    if (!(m > 0.0 && m <= 1.0))
      continue;
    bool ok = llvm::all_of(points, [&](const Sample &s) {
      double stat = isVar ? s.var * n / (n - 1.0) : s.sum / n;
      double expected = (1.0 - m) * s.params[0] + m * stat;
      std::optional<double> got = eval(s, s.params[0]);
      return got && close(*got, expected);
    });
    if (ok)
      return RunningUpdate{isVar, m, vars[*running].value};
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

/// `param` collapsed to `shape` (it has that shape, possibly with unit
/// dimensions inserted: TOSA's [1, C, 1, 1]).
static Value collapseParam(RewriterBase &rewriter, Location loc, Value param,
                           ArrayRef<int64_t> shape) {
  if (!param)
    return param;
  auto type = cast<RankedTensorType>(param.getType());
  if (type.getShape() == shape)
    return param;
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  std::optional<SmallVector<ReassociationIndices>> reassociation =
      getReassociationIndicesForCollapse(type.getShape(), shape);
  if (reassociation)
    return tensor::CollapseShapeOp::create(rewriter, loc, resultType, param,
                                           *reassociation);
  // Any other reshape (same number of elements): through rank 1.
  if (type.getNumElements() != resultType.getNumElements())
    return Value();
  auto flatType =
      RankedTensorType::get({type.getNumElements()}, type.getElementType());
  auto all = [](int64_t rank) {
    ReassociationIndices indices;
    for (int64_t i = 0; i < rank; ++i)
      indices.push_back(i);
    return SmallVector<ReassociationIndices>{indices};
  };
  Value flat = param;
  if (type.getRank() != 1)
    flat = tensor::CollapseShapeOp::create(rewriter, loc, flatType, param,
                                           all(type.getRank()));
  if (resultType.getRank() == 1)
    return flat;
  return tensor::ExpandShapeOp::create(rewriter, loc, resultType, flat,
                                       all(resultType.getRank()));
}

/// `m` with its parameters collapsed to the shapes its op takes: the
/// normalized shape (layer and RMS norm) or the channel count.
static std::optional<Match> collapseParams(RewriterBase &rewriter, Location loc,
                                           Match m) {
  if (m.kind == Match::Kind::Softmax)
    return m;
  auto type = cast<RankedTensorType>(m.input.getType());
  SmallVector<int64_t> shape;
  if (m.kind == Match::Kind::LayerNorm || m.kind == Match::Kind::RMSNorm) {
    for (int64_t a : m.axes)
      shape.push_back(type.getDimSize(a));
  } else {
    shape.push_back(type.getDimSize(m.channel));
  }
  // Parameters along a dynamic dimension (a static weight matched through a
  // cast to a dynamic size) are not reshaped to it.
  if (ShapedType::isDynamicShape(shape) &&
      llvm::any_of(ArrayRef<Value>{m.weight, m.bias, m.mean, m.var},
                   [](Value param) { return static_cast<bool>(param); }))
    return std::nullopt;
  for (Value *param : {&m.weight, &m.bias, &m.mean, &m.var}) {
    bool had = static_cast<bool>(*param);
    *param = collapseParam(rewriter, loc, *param, shape);
    if (had && !*param)
      return std::nullopt;
  }
  return m;
}

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
    return GroupNormOp::create(
               rewriter, loc, type, Type(), Type(), Type(), m.input, m.weight,
               m.bias, Value(), rewriter.getI64IntegerAttr(m.numGroups),
               rewriter.getI64IntegerAttr(m.channel), eps, ActivationAttr())
        .getOutput();
  }
  case Match::Kind::BatchNormInference:
    return BatchNormInferenceOp::create(
               rewriter, loc, type, Type(), m.input, m.mean, m.var, m.weight,
               m.bias, Value(), rewriter.getI64IntegerAttr(m.channel), eps,
               ActivationAttr())
        .getOutput();
  case Match::Kind::BatchNormTraining:
    return Value(); // Several results: createTrainingBatchNorm.
  case Match::Kind::Softmax: {
    auto tensorType = cast<RankedTensorType>(type);
    Value init = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, m.input),
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
static SmallVector<Value> getBarrierCandidates(const ExprGraph &graph,
                                               Value root) {
  SmallVector<Value> chain;
  for (const Reduction &red : graph.getReductions()) {
    if (red.inner.getNumDpsInputs() != 1)
      continue;
    Value v = red.inner.getDpsInputOperand(0)->get();
    while (v && chain.size() < 8) {
      chain.push_back(v);
      // Through reshapes (TOSA's group norm reshapes x into groups).
      if (Operation *def = v.getDefiningOp();
          isa_and_nonnull<tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                          tensor::CastOp>(def)) {
        v = def->getOperand(0);
        continue;
      }
      // Through elementwise ops of one tensor and constants (casts, squares
      // x*x, TOSA's pow(x, 2) with its exponent a constant tensor,
      // transposes).
      auto producer = v.getDefiningOp<linalg::LinalgOp>();
      if (!producer || producer.getNumDpsInputs() < 1 ||
          producer.getNumParallelLoops() != producer.getNumLoops())
        break;
      Value next;
      bool single = true;
      for (Value in : producer.getDpsInputs()) {
        if (getSplatConstant(in))
          continue;
        if (next && in != next)
          single = false;
        next = in;
      }
      if (!single || !next || !isa<RankedTensorType>(next.getType()))
        break;
      v = next;
    }
    break;
  }
  std::reverse(chain.begin(), chain.end());
  if (!graph.getReductions().empty())
    return chain;
  // No reduction (inference batch norm): the results of transposes (TOSA's
  // NCHW <-> NHWC around a convolution), which would otherwise be inlined.
  for (Operation *op : graph.getOps()) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
    if (!linalgOp || op->getNumResults() != 1 ||
        linalgOp.getNumDpsInputs() != 1)
      continue;
    bool isMove = isa<linalg::TransposeOp>(op);
    if (auto generic = dyn_cast<linalg::GenericOp>(op))
      isMove = isa<BlockArgument>(
          cast<linalg::YieldOp>(generic.getBody()->getTerminator())
              .getOperand(0));
    if (isMove)
      chain.push_back(op->getResult(0));
  }
  // Then the result of every other op of the graph, earliest first: an
  // inference batch norm of `relu(x)` or `x + y` (a pre-activation ResNet,
  // a batch norm after a residual add) is matched with that result as its
  // input; inlined, the producer would not fit the formula. A barrier that
  // fits is the op's input whatever it is: the formula is checked at every
  // evaluation point.
  SmallVector<Operation *> producers;
  for (Operation *op : graph.getOps())
    if (isa<linalg::LinalgOp>(op) && op->getNumResults() == 1 &&
        op->getResult(0) != root &&
        isa<RankedTensorType>(op->getResult(0).getType()) &&
        !llvm::is_contained(chain, op->getResult(0)))
      producers.push_back(op);
  Block *block =
      root.getDefiningOp() ? root.getDefiningOp()->getBlock() : nullptr;
  if (llvm::all_of(producers,
                   [&](Operation *op) { return op->getBlock() == block; }))
    llvm::sort(producers, [](Operation *a, Operation *b) {
      return a->isBeforeInBlock(b);
    });
  for (Operation *op : producers)
    if (chain.size() < 16)
      chain.push_back(op->getResult(0));
  return chain;
}

/// Whether `user` is one of `inside` or nested in one (a gather's
/// tensor.extract).
static bool isUsedInside(const DenseSet<Operation *> &inside, Operation *user) {
  for (Operation *op = user; op; op = op->getParentOp())
    if (inside.contains(op))
      return true;
  return false;
}

/// Whether every value computed by `ops`, but `roots`, is used only by
/// `ops`.
static bool isSelfContained(ArrayRef<Operation *> ops, ArrayRef<Value> roots) {
  DenseSet<Operation *> inside(ops.begin(), ops.end());
  for (Operation *op : ops)
    for (OpResult result : op->getResults()) {
      if (llvm::is_contained(roots, result))
        continue;
      for (Operation *user : result.getUsers())
        if (!isUsedInside(inside, user))
          return false;
    }
  return true;
}

/// Whether `op` is an elementwise op on tensors or a reshape.
static bool isElementwiseOrReshape(Operation *op) {
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(op))
    return true;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalgOp.hasPureTensorSemantics() &&
         linalgOp.getNumParallelLoops() == linalgOp.getNumLoops();
}

/// The running-statistics updates of a training batch norm matched at
/// `root` (its graph `graph`): the values computed from the graph's
/// intermediates outside it must be exactly PyTorch's updates of the running
/// mean and variance. Sets the running statistics and momentum of `m` and
/// appends the updates' ops and roots (mean, then variance) to `ops` and
/// `roots`. Without outside uses, `m` keeps no running statistics.
static LogicalResult matchTrainingUpdates(const ExprGraph &graph, Value root,
                                          const ShapeBinding &shapes, Match &m,
                                          SmallVectorImpl<Operation *> &ops,
                                          SmallVectorImpl<Value> &roots) {
  DenseSet<Operation *> inside(ops.begin(), ops.end());
  SmallVector<Value> worklist;
  for (Operation *op : ops)
    for (OpResult result : op->getResults())
      if (result != root &&
          llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !isUsedInside(inside, user);
          }))
        worklist.push_back(result);
  if (worklist.empty())
    return success();
  // What the escaping intermediates compute, up to the values used outside.
  llvm::SetVector<Operation *> forward;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (isUsedInside(inside, user) || forward.contains(user))
        continue;
      if (!isElementwiseOrReshape(user))
        continue; // A use of an update (or not: isSelfContained says).
      if (forward.size() >= 64)
        return failure();
      forward.insert(user);
      llvm::append_range(worklist, user->getResults());
    }
  }
  SmallVector<Value> updates;
  for (Operation *op : forward)
    for (OpResult result : op->getResults())
      if (llvm::any_of(result.getUsers(), [&](Operation *user) {
            return !inside.contains(user) && !forward.contains(user);
          }))
        updates.push_back(result);
  if (updates.size() != 2)
    return failure();
  Matcher matcher(graph, root);
  if (!matcher.match())
    return failure();
  std::optional<Matcher::RunningUpdate> mean, var;
  SmallVector<Operation *> updateOps;
  Value meanRoot, varRoot;
  for (Value update : updates) {
    std::optional<ExprGraph> g = ExprGraph::build(update, shapes);
    if (!g)
      return failure();
    std::optional<Matcher::RunningUpdate> u =
        matcher.matchRunningUpdate(*g, update, m.channel);
    if (!u)
      return failure();
    (u->isVar ? var : mean) = u;
    (u->isVar ? varRoot : meanRoot) = update;
    llvm::append_range(updateOps, g->getOps());
  }
  if (!mean || !var || !close(mean->momentum, var->momentum, 1e-9))
    return failure();
  m.mean = mean->running;
  m.var = var->running;
  m.momentum = mean->momentum;
  for (Operation *op : updateOps)
    if (!inside.contains(op)) {
      inside.insert(op);
      ops.push_back(op);
    }
  roots.push_back(meanRoot);
  roots.push_back(varRoot);
  return success();
}

/// Creates the training batch norm of `m` computing `roots` (the output, and
/// the new running mean and variance when `m` has running statistics).
static SmallVector<Value> createTrainingBatchNorm(RewriterBase &rewriter,
                                                  Location loc, const Match &m,
                                                  ArrayRef<Value> roots) {
  auto type = cast<RankedTensorType>(roots.front().getType());
  int64_t channels = type.getDimSize(m.channel);
  auto statsType = RankedTensorType::get(
      {channels}, getStatisticsElementType(type.getElementType()));
  Value mean = m.mean, var = m.var;
  if (!mean) {
    // Batch statistics only: running statistics that nothing reads.
    auto runningType = RankedTensorType::get({channels}, type.getElementType());
    auto splat = [&](double v) {
      return arith::ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(
              runningType, rewriter.getFloatAttr(type.getElementType(), v)));
    };
    mean = splat(0.0);
    var = splat(1.0);
  }
  auto op = BatchNormTrainingOp::create(
      rewriter, loc, type, statsType, statsType, mean.getType(), var.getType(),
      Type(), m.input, mean, var, m.weight, m.bias, Value(),
      rewriter.getI64IntegerAttr(m.channel),
      rewriter.getF64FloatAttr(m.epsilon), rewriter.getF64FloatAttr(m.momentum),
      ActivationAttr());
  SmallVector<Value> results = {op.getOutput()};
  if (m.mean) {
    results.push_back(op.getNewRunningMean());
    results.push_back(op.getNewRunningVar());
  }
  return results;
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

  /// The first match of `root` (with each barrier candidate, then none),
  /// its graph and its barriers.
  static std::optional<std::tuple<Match, ExprGraph, SmallVector<Value>>>
  findMatch(Value root, const ShapeBinding &shapes) {
    std::optional<ExprGraph> graph = ExprGraph::build(root, shapes);
    if (!graph || graph->getOps().empty())
      return std::nullopt;
    for (Value barrier : getBarrierCandidates(*graph, root)) {
      std::optional<ExprGraph> g = ExprGraph::build(root, shapes, {barrier});
      if (!g)
        continue;
      if (std::optional<Match> match = Matcher(*g, root).match())
        return std::make_tuple(*match, std::move(*g),
                               SmallVector<Value>{barrier});
    }
    if (std::optional<Match> match = Matcher(*graph, root).match())
      return std::make_tuple(*match, std::move(*graph), SmallVector<Value>{});
    return std::nullopt;
  }

  /// Whether two matches of one root raise to the same op (the fields the
  /// op of their kind takes).
  static bool isSameMatch(const Match &a, const Match &b) {
    if (a.kind != b.kind || a.input != b.input || a.weight != b.weight ||
        a.bias != b.bias || a.mean != b.mean || a.var != b.var ||
        !close(a.epsilon, b.epsilon))
      return false;
    switch (a.kind) {
    case Match::Kind::LayerNorm:
    case Match::Kind::Softmax:
      return a.axes == b.axes;
    case Match::Kind::RMSNorm:
      return a.axes == b.axes && close(a.weightOffset, b.weightOffset);
    case Match::Kind::GroupNorm:
      return a.channel == b.channel && a.numGroups == b.numGroups;
    case Match::Kind::BatchNormInference:
    case Match::Kind::BatchNormTraining:
      return a.channel == b.channel;
    }
    return false;
  }

  LogicalResult tryRaise(RewriterBase &rewriter, Value root) {
    ShapeBinding shapes(/*variant=*/0);
    auto found = findMatch(root, shapes);
    if (!found)
      return failure();
    auto &[matched, chosen, barriers] = *found;
    std::optional<Match> match = matched;
    SmallVector<Operation *> ops(chosen.getOps());
    SmallVector<Value> roots = {root};
    if (match->kind == Match::Kind::BatchNormTraining &&
        failed(matchTrainingUpdates(chosen, root, shapes, *match, ops, roots)))
      return failure();
    // Dynamic sizes were given probe sizes: the same match with other probe
    // sizes, or the decomposition may depend on them (a count written as a
    // constant where the size is dynamic).
    if (shapes.bindsDynamicSizes()) {
      ShapeBinding other(/*variant=*/1);
      std::optional<ExprGraph> g = ExprGraph::build(root, other, barriers);
      std::optional<Match> again;
      if (g)
        again = Matcher(*g, root).match();
      if (again && again->kind == Match::Kind::BatchNormTraining) {
        SmallVector<Operation *> otherOps(g->getOps());
        SmallVector<Value> otherRoots = {root};
        if (failed(matchTrainingUpdates(*g, root, other, *again, otherOps,
                                        otherRoots)) ||
            otherRoots != roots || !close(again->momentum, match->momentum))
          again = std::nullopt;
      }
      if (!again || !isSameMatch(*match, *again)) {
        LLVM_DEBUG(llvm::dbgs() << "norm-raise: match depends on the probe "
                                   "sizes at "
                                << root.getLoc() << "\n");
        return failure();
      }
    }
    if (!isSelfContained(ops, roots)) {
      LLVM_DEBUG(llvm::dbgs() << "norm-raise: intermediate with an outside "
                                 "use at "
                              << root.getLoc() << "\n");
      return failure();
    }
    // Insert before the last root (all roots in one block).
    Operation *rootOp = root.getDefiningOp();
    for (Value r : roots) {
      Operation *def = r.getDefiningOp();
      if (!def || def->getBlock() != rootOp->getBlock())
        return failure();
      if (rootOp->isBeforeInBlock(def))
        rootOp = def;
    }
    // Every use of a root must follow it.
    for (Value r : roots)
      for (Operation *user : r.getUsers()) {
        Operation *ancestor = rootOp->getBlock()->findAncestorOpInBlock(*user);
        if (!ancestor ||
            (ancestor != rootOp && !rootOp->isBeforeInBlock(ancestor)))
          return failure();
      }
    rewriter.setInsertionPoint(rootOp);
    // Running statistics are matched with the channel count's shape.
    match = collapseParams(rewriter, root.getLoc(), *match);
    if (!match)
      return failure();
    SmallVector<Value> raised;
    if (match->kind == Match::Kind::BatchNormTraining)
      raised = createTrainingBatchNorm(rewriter, root.getLoc(), *match, roots);
    else
      raised.push_back(createRaisedOp(rewriter, root.getLoc(), *match, root));
    if (raised.size() != roots.size() || !raised.front())
      return failure();
    for (auto [from, to] : llvm::zip_equal(roots, raised))
      rewriter.replaceAllUsesWith(from, to);
    // Erase the decomposition and what only it used (fills, empties).
    llvm::SetVector<Operation *> candidates(ops.begin(), ops.end());
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
    case Match::Kind::BatchNormTraining:
      ++numBatchNorm;
      break;
    case Match::Kind::Softmax:
      ++numSoftmax;
      break;
    }
  }
};
} // namespace
