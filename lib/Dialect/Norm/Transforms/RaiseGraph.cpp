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
