//===- RaiseGraph.cpp - Expression graphs of decomposed tensor code -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "RaiseGraph.h"
#include "ScalarEvaluator.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::raise;

/// Graphs larger than this are not raised (compile time).
static constexpr size_t kMaxNodes = 20000;
/// Spaces up to this many points are sampled exhaustively.
static constexpr int64_t kExhaustive = 4096;
/// Reductions are enumerated up to this many elements per result.
static constexpr int64_t kMaxReduced = int64_t(1) << 22;

static int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static SmallVector<int64_t> delinearize(int64_t linear,
                                        ArrayRef<int64_t> shape) {
  SmallVector<int64_t> index(shape.size());
  for (int i = int(shape.size()) - 1; i >= 0; --i) {
    index[i] = linear % shape[i];
    linear /= shape[i];
  }
  return index;
}

static int64_t linearize(ArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  int64_t linear = 0;
  for (auto [i, d] : llvm::zip_equal(index, shape))
    linear = linear * d + i;
  return linear;
}

/// Sample points of a space: all of them when it is small, else its corners,
/// its centre and pseudo-random points.
static SmallVector<SmallVector<int64_t>> samplePoints(ArrayRef<int64_t> shape) {
  SmallVector<SmallVector<int64_t>> points;
  int64_t total = product(shape);
  if (total <= kExhaustive) {
    for (int64_t i = 0; i < total; ++i)
      points.push_back(delinearize(i, shape));
    return points;
  }
  if (shape.size() <= 8)
    for (int64_t mask = 0; mask < (int64_t(1) << shape.size()); ++mask) {
      SmallVector<int64_t> p;
      for (auto [i, d] : llvm::enumerate(shape))
        p.push_back((mask >> i) & 1 ? d - 1 : 0);
      points.push_back(p);
    }
  SmallVector<int64_t> centre;
  for (int64_t d : shape)
    centre.push_back(d / 2);
  points.push_back(centre);
  uint64_t state = 0x9e3779b97f4a7c15ull;
  for (int k = 0; k < 256; ++k) {
    SmallVector<int64_t> p;
    for (int64_t d : shape) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      p.push_back(int64_t((state >> 33) % uint64_t(d)));
    }
    points.push_back(p);
  }
  return points;
}

AffineMap raise::getReshapeMap(ArrayRef<int64_t> from, ArrayRef<int64_t> to,
                               MLIRContext *context) {
  AffineExpr linear = getAffineConstantExpr(0, context);
  int64_t stride = 1;
  for (int i = int(to.size()) - 1; i >= 0; --i) {
    linear = linear + getAffineDimExpr(i, context) * stride;
    stride *= to[i];
  }
  SmallVector<AffineExpr> results;
  stride = 1;
  SmallVector<int64_t> strides(from.size());
  for (int i = int(from.size()) - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= from[i];
  }
  for (auto [i, d] : llvm::enumerate(from)) {
    AffineExpr e = linear.floorDiv(strides[i]);
    if (i != 0)
      e = e % d;
    results.push_back(simplifyAffineExpr(e, to.size(), 0));
  }
  return AffineMap::get(to.size(), 0, results, context);
}

bool raise::mapsAgree(const Space &space, AffineMap lhs, AffineMap rhs) {
  if (lhs == rhs)
    return true;
  if (lhs.getNumResults() != rhs.getNumResults())
    return false;
  return llvm::all_of(space.samples, [&](ArrayRef<int64_t> point) {
    return lhs.compose(point) == rhs.compose(point);
  });
}

//===----------------------------------------------------------------------===//
// Gathers with constant indices.
//===----------------------------------------------------------------------===//

/// Gathers are resolved up to this many points.
static constexpr int64_t kMaxGather = int64_t(1) << 16;

/// The contents of an integer constant tensor (dense or dense_resource).
static std::optional<SmallVector<int64_t>> getIntContents(Value tensor) {
  Attribute attr;
  if (!matchPattern(tensor, m_Constant(&attr)))
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(tensor.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  SmallVector<int64_t> values;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(v.getSExtValue());
    if (dense.isSplat())
      values.assign(type.getNumElements(), values.front());
    return values;
  }
  if (auto res = dyn_cast<DenseI64ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int64_t>> data = res.tryGetAsArrayRef();
    if (!data || int64_t(data->size()) != type.getNumElements())
      return std::nullopt;
    values.assign(data->begin(), data->end());
    return values;
  }
  if (auto res = dyn_cast<DenseI32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int32_t>> data = res.tryGetAsArrayRef();
    if (!data || int64_t(data->size()) != type.getNumElements())
      return std::nullopt;
    values.assign(data->begin(), data->end());
    return values;
  }
  return std::nullopt;
}

namespace {
/// Evaluates the integer (index) computation of a linalg op's payload at a
/// point of its iteration space: block arguments read constant tensors,
/// `linalg.index` is the point, and integer arith ops are folded.
class IndexEvaluator {
public:
  explicit IndexEvaluator(linalg::LinalgOp op) : op(op) {}

  std::optional<int64_t> eval(Value value, ArrayRef<int64_t> point) {
    memo.clear();
    return evalImpl(value, point, 0);
  }

private:
  std::optional<int64_t> evalImpl(Value value, ArrayRef<int64_t> point,
                                  int depth) {
    if (depth > 64)
      return std::nullopt;
    if (auto it = memo.find(value); it != memo.end())
      return it->second;
    std::optional<int64_t> result = compute(value, point, depth);
    if (result)
      memo[value] = *result;
    return result;
  }

  std::optional<int64_t> compute(Value value, ArrayRef<int64_t> point,
                                 int depth) {
    IntegerAttr cst;
    if (matchPattern(value, m_Constant(&cst)))
      return cst.getValue().getSExtValue();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() != op.getBlock())
        return std::nullopt;
      OpOperand &operand = op->getOpOperand(arg.getArgNumber());
      if (op.isDpsInit(&operand))
        return std::nullopt;
      auto it = contents.find(operand.get());
      if (it == contents.end())
        it = contents.try_emplace(operand.get(), getIntContents(operand.get()))
                 .first;
      if (!it->second)
        return std::nullopt;
      auto type = cast<RankedTensorType>(operand.get().getType());
      SmallVector<int64_t> index =
          op.getMatchingIndexingMap(&operand).compose(point);
      int64_t linear = 0;
      for (auto [i, d] : llvm::zip_equal(index, type.getShape())) {
        if (i < 0 || i >= d)
          return std::nullopt;
        linear = linear * d + i;
      }
      return (*it->second)[linear];
    }
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != op.getBlock())
      return std::nullopt;
    if (auto index = dyn_cast<linalg::IndexOp>(def))
      return point[index.getDim()];
    SmallVector<int64_t> args;
    for (Value operand : def->getOperands()) {
      std::optional<int64_t> v = evalImpl(operand, point, depth + 1);
      if (!v)
        return std::nullopt;
      args.push_back(*v);
    }
    using P = arith::CmpIPredicate;
    return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(def)
        .Case<arith::IndexCastOp, arith::ExtSIOp, arith::TruncIOp>(
            [&](Operation *) { return args[0]; })
        .Case<arith::AddIOp>([&](Operation *) { return args[0] + args[1]; })
        .Case<arith::SubIOp>([&](Operation *) { return args[0] - args[1]; })
        .Case<arith::MulIOp>([&](Operation *) { return args[0] * args[1]; })
        .Case<arith::SelectOp>(
            [&](Operation *) { return args[0] ? args[1] : args[2]; })
        .Case<arith::CmpIOp>([&](arith::CmpIOp cmp) -> std::optional<int64_t> {
          int64_t a = args[0], b = args[1];
          switch (cmp.getPredicate()) {
          case P::eq:
            return a == b;
          case P::ne:
            return a != b;
          case P::slt:
            return a < b;
          case P::sle:
            return a <= b;
          case P::sgt:
            return a > b;
          case P::sge:
            return a >= b;
          default:
            return std::nullopt;
          }
        })
        .Default([](Operation *) { return std::nullopt; });
  }

  linalg::LinalgOp op;
  DenseMap<Value, int64_t> memo;
  DenseMap<Value, std::optional<SmallVector<int64_t>>> contents;
};
} // namespace

/// The affine map from the iteration space of `op` to the indices that
/// `extract` (in its payload) reads, when the indices are computed from
/// constants and the loop indices and agree with a reshape of the source to
/// the iteration space or an affine function of the loop indices at every
/// point.
static std::optional<AffineMap> getGatherMap(linalg::LinalgOp op,
                                             tensor::ExtractOp extract) {
  auto sourceType = dyn_cast<RankedTensorType>(extract.getTensor().getType());
  if (!sourceType || !sourceType.hasStaticShape())
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic) ||
      product(ranges) > kMaxGather)
    return std::nullopt;
  IndexEvaluator evaluator(op);
  int64_t total = product(ranges);
  SmallVector<SmallVector<int64_t>> table;
  for (int64_t i = 0; i < total; ++i) {
    SmallVector<int64_t> point = delinearize(i, ranges);
    SmallVector<int64_t> index;
    for (auto [k, v] : llvm::enumerate(extract.getIndices())) {
      std::optional<int64_t> r = evaluator.eval(v, point);
      if (!r || *r < 0 || *r >= sourceType.getDimSize(k))
        return std::nullopt;
      index.push_back(*r);
    }
    table.push_back(std::move(index));
  }
  MLIRContext *ctx = op->getContext();
  auto agrees = [&](AffineMap map) {
    for (int64_t i = 0; i < total; ++i)
      if (map.compose(delinearize(i, ranges)) != ArrayRef(table[i]))
        return false;
    return true;
  };
  // A reshape of the source to the iteration space (row-major).
  if (product(sourceType.getShape()) == total) {
    AffineMap reshape = getReshapeMap(sourceType.getShape(), ranges, ctx);
    if (agrees(reshape))
      return reshape;
  }
  // An affine function: offsets from the origin along each loop.
  SmallVector<AffineExpr> results;
  for (unsigned k = 0; k < table.front().size(); ++k) {
    AffineExpr e = getAffineConstantExpr(table.front()[k], ctx);
    for (auto [d, range] : llvm::enumerate(ranges)) {
      if (range < 2)
        continue;
      SmallVector<int64_t> unit(ranges.size(), 0);
      unit[d] = 1;
      int64_t step = table[linearize(unit, ranges)][k] - table.front()[k];
      e = e + getAffineDimExpr(d, ctx) * step;
    }
    results.push_back(e);
  }
  AffineMap affine = AffineMap::get(ranges.size(), 0, results, ctx);
  if (agrees(affine))
    return affine;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Building.
//===----------------------------------------------------------------------===//

Node *ExprGraph::newNode(Node::Kind kind) {
  if (nodes.size() >= kMaxNodes)
    return nullptr;
  nodes.emplace_back();
  nodes.back().kind = kind;
  return &nodes.back();
}

unsigned ExprGraph::addSpace(ArrayRef<int64_t> shape) {
  Space space;
  space.shape.assign(shape.begin(), shape.end());
  space.samples = samplePoints(shape);
  spaces.push_back(std::move(space));
  return spaces.size() - 1;
}

Node *ExprGraph::variable(Value value, AffineMap map, unsigned space,
                          int reduction) {
  unsigned index = variables.size();
  for (auto [i, v] : llvm::enumerate(variables)) {
    if (v.value == value && v.space == space && v.reduction == reduction &&
        mapsAgree(spaces[space], v.map, map)) {
      index = i;
      break;
    }
  }
  if (index == variables.size())
    variables.push_back({value, map, space, reduction});
  Node *node = newNode(Node::Kind::Variable);
  if (node)
    node->variable = index;
  return node;
}

static std::optional<ArrayRef<int64_t>> getStaticShape(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  return type.getShape();
}

std::optional<ExprGraph> ExprGraph::build(Value root,
                                          ArrayRef<Value> barriers) {
  std::optional<ArrayRef<int64_t>> shape = getStaticShape(root);
  if (!shape)
    return std::nullopt;
  ExprGraph graph;
  graph.barriers.insert(barriers.begin(), barriers.end());
  unsigned space = graph.addSpace(*shape);
  graph.root = graph.buildTensor(
      root, AffineMap::getMultiDimIdentityMap(shape->size(), root.getContext()),
      space, 0);
  if (!graph.root)
    return std::nullopt;
  return graph;
}

Node *ExprGraph::buildTensor(Value value, AffineMap map, unsigned space,
                             int depth) {
  if (depth > 512)
    return nullptr;
  auto key = std::make_tuple(value, map, space);
  if (auto it = tensorMemo.find(key); it != tensorMemo.end())
    return it->second;
  Node *node = buildTensorImpl(value, map, space, depth);
  tensorMemo[key] = node;
  return node;
}

Node *ExprGraph::buildTensorImpl(Value value, AffineMap map, unsigned space,
                                 int depth) {
  if (std::optional<double> constant = getSplatConstant(value)) {
    Node *node = newNode(Node::Kind::Constant);
    if (node)
      node->constant = *constant;
    return node;
  }
  Operation *def = value.getDefiningOp();
  if (!def || barriers.contains(value) || !getStaticShape(value))
    return variable(value, map, space);

  if (auto cast = dyn_cast<tensor::CastOp>(def)) {
    if (!getStaticShape(cast.getSource()))
      return variable(value, map, space);
    ops.insert(def);
    return buildTensor(cast.getSource(), map, space, depth + 1);
  }
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
    Value source = def->getOperand(0);
    std::optional<ArrayRef<int64_t>> from = getStaticShape(source);
    if (!from)
      return variable(value, map, space);
    AffineMap reshape =
        getReshapeMap(*from, *getStaticShape(value), value.getContext());
    ops.insert(def);
    return buildTensor(source, reshape.compose(map), space, depth + 1);
  }
  auto linalgOp = dyn_cast<linalg::LinalgOp>(def);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics())
    return variable(value, map, space);
  unsigned result = cast<OpResult>(value).getResultNumber();
  if (linalgOp.getNumParallelLoops() != linalgOp.getNumLoops())
    return buildReduction(linalgOp, result, map, space, depth);

  // Elementwise (all-parallel, possibly broadcasting or transposing).
  AffineMap outMap =
      linalgOp.getIndexingMapMatchingResult(cast<OpResult>(value));
  if (!outMap.isPermutation())
    return variable(value, map, space);
  AffineMap iterMap = inversePermutation(outMap).compose(map);
  auto yield = cast<linalg::YieldOp>(linalgOp.getBlock()->getTerminator());
  DenseMap<Value, Node *> memo;
  Node *node = buildPayload(linalgOp, yield.getOperand(result), iterMap, space,
                            depth + 1, memo);
  if (!node)
    return variable(value, map, space);
  ops.insert(def);
  return node;
}

Node *ExprGraph::buildPayload(linalg::LinalgOp op, Value scalar,
                              AffineMap iterMap, unsigned space, int depth,
                              DenseMap<Value, Node *> &memo) {
  if (auto it = memo.find(scalar); it != memo.end())
    return it->second;
  Node *node = nullptr;
  FloatAttr constant;
  IntegerAttr intConstant;
  if (matchPattern(scalar, m_Constant(&constant))) {
    node = newNode(Node::Kind::Constant);
    if (node)
      node->constant = constant.getValueAsDouble();
  } else if (matchPattern(scalar, m_Constant(&intConstant)) &&
             !intConstant.getType().isIndex()) {
    // Integer exponents of math.fpowi.
    node = newNode(Node::Kind::Constant);
    if (node)
      node->constant = double(intConstant.getValue().getSExtValue());
  } else if (auto arg = dyn_cast<BlockArgument>(scalar)) {
    if (arg.getOwner() != op.getBlock())
      return nullptr;
    OpOperand &operand = op->getOpOperand(arg.getArgNumber());
    if (op.isDpsInit(&operand))
      return nullptr; // Reads its init: not a plain elementwise op.
    Value tensor = operand.get();
    if (!isa<RankedTensorType>(tensor.getType())) {
      if (!matchPattern(tensor, m_Constant(&constant)))
        return nullptr;
      node = newNode(Node::Kind::Constant);
      if (node)
        node->constant = constant.getValueAsDouble();
    } else {
      AffineMap operandMap = op.getMatchingIndexingMap(&operand);
      node = buildTensor(tensor, operandMap.compose(iterMap), space, depth + 1);
    }
  } else if (auto extract = scalar.getDefiningOp<tensor::ExtractOp>();
             extract && extract->getBlock() == op.getBlock() &&
             extract.getTensor().getParentBlock() != op.getBlock()) {
    // A gather with constant indices (torch-mlir's group norm gathers its
    // per-channel scale and shift so): a read of the source.
    std::optional<AffineMap> gather = getGatherMap(op, extract);
    if (!gather)
      return nullptr;
    node = buildTensor(extract.getTensor(), gather->compose(iterMap), space,
                       depth + 1);
  } else {
    Operation *def = scalar.getDefiningOp();
    if (!def || def->getBlock() != op.getBlock() || def->getNumResults() != 1)
      return nullptr;
    SmallVector<double> probe(def->getNumOperands(), 0.0);
    if (!applyScalarOp(def, probe))
      return nullptr;
    SmallVector<Node *> operands;
    for (Value operand : def->getOperands()) {
      Node *child = buildPayload(op, operand, iterMap, space, depth + 1, memo);
      if (!child)
        return nullptr;
      operands.push_back(child);
    }
    node = newNode(Node::Kind::Op);
    if (node) {
      node->op = def;
      node->operands = std::move(operands);
    }
  }
  memo[scalar] = node;
  return node;
}

Node *ExprGraph::buildReduction(linalg::LinalgOp op, unsigned result,
                                AffineMap map, unsigned space, int depth) {
  Value value = op->getResult(result);
  auto key = std::make_pair(op.getOperation(), result);
  if (auto it = reductionIndex.find(key); it != reductionIndex.end())
    return variable(value, map, space, it->second);

  // One reduced operand (a matmul or convolution is a leaf); other results
  // (an argmax next to a max) unused.
  if (op.getNumDpsInputs() != 1)
    return variable(value, map, space);
  for (OpResult other : op->getResults())
    if (other.getResultNumber() != result && !other.use_empty())
      return variable(value, map, space);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return variable(value, map, space);
  // The result is indexed by the parallel loops (each once) and zeros.
  OpOperand *init = op.getDpsInitOperand(result);
  AffineMap outMap = op.getMatchingIndexingMap(init);
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<bool> seen(ranges.size(), false);
  for (AffineExpr expr : outMap.getResults()) {
    if (auto dim = dyn_cast<AffineDimExpr>(expr)) {
      unsigned pos = dim.getPosition();
      if (iterators[pos] != utils::IteratorType::parallel || seen[pos])
        return variable(value, map, space);
      seen[pos] = true;
      continue;
    }
    auto cst = dyn_cast<AffineConstantExpr>(expr);
    if (!cst || cst.getValue() != 0)
      return variable(value, map, space);
  }
  for (auto [i, it] : llvm::enumerate(iterators))
    if (it == utils::IteratorType::parallel && !seen[i])
      return variable(value, map, space);

  // Payload: yield(combine(out, summand)), `out` used once.
  auto yield = cast<linalg::YieldOp>(op.getBlock()->getTerminator());
  Operation *combiner = yield.getOperand(result).getDefiningOp();
  BlockArgument out = op.getMatchingBlockArgument(init);
  if (!combiner || combiner->getNumOperands() != 2)
    return variable(value, map, space);
  ReductionKind kind;
  std::optional<double> initValue = getSplatConstant(init->get());
  if (isa<arith::AddFOp>(combiner) && initValue && *initValue == 0.0)
    kind = ReductionKind::Sum;
  else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(combiner) && initValue &&
           *initValue <= -3.0e38)
    kind = ReductionKind::Max;
  else
    return variable(value, map, space);
  Value summand = combiner->getOperand(0) == out ? combiner->getOperand(1)
                                                 : combiner->getOperand(0);
  if (summand == out)
    return variable(value, map, space);

  unsigned reductionSpace = addSpace(ranges);
  DenseMap<Value, Node *> memo;
  Node *summandNode = buildPayload(
      op, summand,
      AffineMap::getMultiDimIdentityMap(ranges.size(), op->getContext()),
      reductionSpace, depth + 1, memo);
  if (!summandNode)
    return variable(value, map, space);
  unsigned index = reductions.size();
  reductions.push_back({op, result, kind, reductionSpace, summandNode});
  reductionIndex[key] = index;
  ops.insert(op);
  return variable(value, map, space, index);
}

//===----------------------------------------------------------------------===//
// Queries.
//===----------------------------------------------------------------------===//

std::optional<double> ExprGraph::evaluate(Node *node, ArrayRef<double> values) {
  DenseMap<Node *, double> memo;
  std::function<std::optional<double>(Node *)> eval =
      [&](Node *n) -> std::optional<double> {
    if (auto it = memo.find(n); it != memo.end())
      return it->second;
    std::optional<double> result;
    switch (n->kind) {
    case Node::Kind::Constant:
      result = n->constant;
      break;
    case Node::Kind::Variable:
      result = values[n->variable];
      break;
    case Node::Kind::Op: {
      SmallVector<double> operands;
      for (Node *operand : n->operands) {
        std::optional<double> v = eval(operand);
        if (!v)
          return std::nullopt;
        operands.push_back(*v);
      }
      result = applyScalarOp(n->op, operands);
      break;
    }
    }
    if (result)
      memo[n] = *result;
    return result;
  };
  return eval(node);
}

void ExprGraph::collectVariables(Node *node, llvm::SetVector<unsigned> &out) {
  DenseSet<Node *> visited;
  SmallVector<Node *> stack{node};
  while (!stack.empty()) {
    Node *n = stack.pop_back_val();
    if (!visited.insert(n).second)
      continue;
    if (n->kind == Node::Kind::Variable)
      out.insert(n->variable);
    for (Node *operand : n->operands)
      stack.push_back(operand);
  }
}

std::optional<SmallVector<int64_t>>
ExprGraph::getReducedElements(unsigned reduction, unsigned operandVar,
                              ArrayRef<int64_t> resultIndex) const {
  const Reduction &red = reductions[reduction];
  const Variable &operand = variables[operandVar];
  std::optional<ArrayRef<int64_t>> operandShape = getStaticShape(operand.value);
  if (!operandShape)
    return std::nullopt;
  ArrayRef<int64_t> ranges = spaces[red.space].shape;
  AffineMap outMap =
      red.op.getMatchingIndexingMap(red.op.getDpsInitOperand(red.result));
  SmallVector<int64_t> point(ranges.size(), 0);
  for (auto [r, expr] : llvm::enumerate(outMap.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      point[dim.getPosition()] = resultIndex[r];
  SmallVector<unsigned> reductionDims;
  SmallVector<int64_t> reductionShape;
  for (auto [i, it] : llvm::enumerate(red.op.getIteratorTypesArray()))
    if (it == utils::IteratorType::reduction) {
      reductionDims.push_back(i);
      reductionShape.push_back(ranges[i]);
    }
  int64_t count = product(reductionShape);
  if (count > kMaxReduced)
    return std::nullopt;
  SmallVector<int64_t> elements;
  elements.reserve(count);
  for (int64_t k = 0; k < count; ++k) {
    SmallVector<int64_t> inner = delinearize(k, reductionShape);
    for (auto [d, i] : llvm::zip_equal(reductionDims, inner))
      point[d] = i;
    elements.push_back(linearize(operand.map.compose(point), *operandShape));
  }
  llvm::sort(elements);
  return elements;
}
