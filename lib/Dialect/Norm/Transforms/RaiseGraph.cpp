//===- RaiseGraph.cpp - Expression graphs of decomposed tensor code -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "RaiseGraph.h"
#include "ScalarEvaluator.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

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

static int64_t evalExpr(AffineExpr expr, ArrayRef<int64_t> point) {
  switch (expr.getKind()) {
  case AffineExprKind::DimId:
    return point[cast<AffineDimExpr>(expr).getPosition()];
  case AffineExprKind::Constant:
    return cast<AffineConstantExpr>(expr).getValue();
  case AffineExprKind::SymbolId:
    llvm_unreachable("maps of the raising graphs have no symbols");
  default:
    break;
  }
  auto binary = cast<AffineBinaryOpExpr>(expr);
  int64_t lhs = evalExpr(binary.getLHS(), point);
  int64_t rhs = evalExpr(binary.getRHS(), point);
  switch (expr.getKind()) {
  case AffineExprKind::Add:
    return lhs + rhs;
  case AffineExprKind::Mul:
    return lhs * rhs;
  case AffineExprKind::Mod:
    return llvm::mod(lhs, rhs);
  case AffineExprKind::FloorDiv:
    return llvm::divideFloorSigned(lhs, rhs);
  case AffineExprKind::CeilDiv:
    return llvm::divideCeilSigned(lhs, rhs);
  default:
    llvm_unreachable("unknown affine expression kind");
  }
}

SmallVector<int64_t> raise::evalMap(AffineMap map, ArrayRef<int64_t> point) {
  assert(map.getNumSymbols() == 0 && point.size() == map.getNumDims());
  SmallVector<int64_t> result;
  result.reserve(map.getNumResults());
  for (AffineExpr expr : map.getResults())
    result.push_back(evalExpr(expr, point));
  return result;
}

bool raise::mapsAgree(const Space &space, AffineMap lhs, AffineMap rhs) {
  if (lhs == rhs)
    return true;
  if (lhs.getNumResults() != rhs.getNumResults())
    return false;
  return llvm::all_of(space.samples, [&](ArrayRef<int64_t> point) {
    return evalMap(lhs, point) == evalMap(rhs, point);
  });
}

//===----------------------------------------------------------------------===//
// Sizes.
//===----------------------------------------------------------------------===//

/// Probe sizes of the two bindings: distinct, other than 1 (a unit
/// dimension broadcasts), and far apart between the bindings so that sizes
/// derived from them differ too (n / 3, ceildiv(n, 2), a strided
/// convolution's (n - 1) / 2 + 1 are equal at 3 and 4, not at 3 and 29) and
/// the second binding's spaces are larger than the constants of typical
/// index maps (a read at `d0 mod 5` is the identity below 5 rows only).
static constexpr int64_t kProbeSizes[2][8] = {{3, 5, 7, 11, 13, 17, 19, 23},
                                              {29, 31, 37, 41, 43, 47, 53, 59}};

std::optional<SmallVector<int64_t>> ShapeBinding::getShape(Value value) const {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type)
    return std::nullopt;
  if (type.hasStaticShape())
    return SmallVector<int64_t>(type.getShape());
  if (auto it = shapes.find(value); it != shapes.end())
    return it->second;
  shapes[value] = std::nullopt; // Cycles (none in SSA) end here.
  std::optional<SmallVector<int64_t>> shape = computeShape(value);
  // The static sizes of the type must hold.
  if (shape &&
      (shape->size() != size_t(type.getRank()) ||
       llvm::any_of(llvm::zip_equal(*shape, type.getShape()), [](auto pair) {
         auto [size, typed] = pair;
         return size < 1 || (!ShapedType::isDynamic(typed) && size != typed);
       })))
    shape = std::nullopt;
  shapes[value] = shape;
  return shape;
}

std::optional<SmallVector<int64_t>>
ShapeBinding::evaluateSizes(ArrayRef<OpFoldResult> sizes) const {
  SmallVector<int64_t> result;
  for (OpFoldResult size : sizes) {
    std::optional<int64_t> v = getConstantIntValue(size);
    if (!v)
      v = getIndex(cast<Value>(size));
    if (!v)
      return std::nullopt;
    result.push_back(*v);
  }
  return result;
}

std::optional<SmallVector<int64_t>>
ShapeBinding::computeShape(Value value) const {
  auto type = cast<RankedTensorType>(value.getType());
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    SmallVector<int64_t> shape(type.getShape());
    for (auto [d, size] : llvm::enumerate(shape)) {
      if (!ShapedType::isDynamic(size))
        continue;
      auto [it, inserted] = argumentSizes.try_emplace(
          {value, unsigned(d)}, int64_t(argumentSizes.size()));
      if (it->second >= int64_t(std::size(kProbeSizes[0])))
        return std::nullopt;
      size = kProbeSizes[variant][it->second];
    }
    return shape;
  }
  Operation *def = value.getDefiningOp();
  unsigned resultNumber = cast<OpResult>(value).getResultNumber();
  if (auto empty = dyn_cast<tensor::EmptyOp>(def))
    return evaluateSizes(empty.getMixedSizes());
  if (auto cast = dyn_cast<tensor::CastOp>(def))
    return getShape(cast.getSource());
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
    return evaluateSizes(expand.getMixedOutputShape());
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def)) {
    std::optional<SmallVector<int64_t>> source = getShape(collapse.getSrc());
    if (!source)
      return std::nullopt;
    SmallVector<int64_t> shape;
    for (const ReassociationIndices &group :
         collapse.getReassociationIndices()) {
      std::optional<int64_t> size = 1;
      for (int64_t d : group)
        if (size)
          size = llvm::checkedMul(*size, (*source)[d]);
      if (!size)
        return std::nullopt;
      shape.push_back(*size);
    }
    return shape;
  }
  // torch-mlir's view with dynamic sizes: the shape as a tensor of sizes.
  if (auto reshape = dyn_cast<tensor::ReshapeOp>(def)) {
    auto elements = reshape.getShape().getDefiningOp<tensor::FromElementsOp>();
    if (!elements)
      return std::nullopt;
    SmallVector<OpFoldResult> sizes(elements.getElements());
    return evaluateSizes(sizes);
  }
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
    std::optional<SmallVector<int64_t>> sizes =
        evaluateSizes(slice.getMixedSizes());
    if (!sizes)
      return std::nullopt;
    llvm::SmallBitVector dropped = slice.getDroppedDims();
    SmallVector<int64_t> shape;
    for (auto [d, size] : llvm::enumerate(*sizes))
      if (!dropped.test(d))
        shape.push_back(size);
    return shape;
  }
  // Linalg ops, tensor.insert_slice, ...: the shape of the destination.
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(def))
    if (resultNumber < unsigned(dps.getNumDpsInits()))
      return getShape(dps.getDpsInits()[resultNumber]);
  return std::nullopt;
}

std::optional<int64_t> ShapeBinding::getIndex(Value value) const {
  if (auto it = indices.find(value); it != indices.end())
    return it->second;
  indices[value] = std::nullopt;
  std::optional<int64_t> result = computeIndex(value);
  indices[value] = result;
  return result;
}

std::optional<int64_t> ShapeBinding::computeIndex(Value value) const {
  APInt constant;
  if (matchPattern(value, m_ConstantInt(&constant)))
    return constant.getSExtValue();
  Operation *def = value.getDefiningOp();
  if (!def)
    return std::nullopt;
  if (auto dim = dyn_cast<tensor::DimOp>(def)) {
    std::optional<int64_t> index = dim.getConstantIndex();
    std::optional<SmallVector<int64_t>> shape = getShape(dim.getSource());
    if (!index || !shape || *index < 0 || *index >= int64_t(shape->size()))
      return std::nullopt;
    return (*shape)[*index];
  }
  if (isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
          arith::ExtUIOp>(def))
    return getIndex(def->getOperand(0));
  // torch-mlir computes N * C or batch * heads with affine.apply.
  if (auto apply = dyn_cast<affine::AffineApplyOp>(def)) {
    SmallVector<Attribute> operands;
    for (Value operand : apply.getMapOperands()) {
      std::optional<int64_t> v = getIndex(operand);
      if (!v)
        return std::nullopt;
      operands.push_back(
          IntegerAttr::get(IndexType::get(def->getContext()), *v));
    }
    SmallVector<Attribute> results;
    if (failed(apply.getAffineMap().constantFold(operands, results)) ||
        results.size() != 1)
      return std::nullopt;
    return cast<IntegerAttr>(results.front()).getInt();
  }
  // A size inferred from the others (a view's -1): a select on a compare.
  if (auto select = dyn_cast<arith::SelectOp>(def)) {
    std::optional<int64_t> condition = getIndex(select.getCondition());
    if (!condition)
      return std::nullopt;
    return getIndex(*condition ? select.getTrueValue()
                               : select.getFalseValue());
  }
  if (auto cmp = dyn_cast<arith::CmpIOp>(def)) {
    std::optional<int64_t> lhs = getIndex(cmp.getLhs());
    std::optional<int64_t> rhs = getIndex(cmp.getRhs());
    if (!lhs || !rhs)
      return std::nullopt;
    switch (cmp.getPredicate()) {
    case arith::CmpIPredicate::eq:
      return *lhs == *rhs;
    case arith::CmpIPredicate::ne:
      return *lhs != *rhs;
    case arith::CmpIPredicate::slt:
      return *lhs < *rhs;
    case arith::CmpIPredicate::sle:
      return *lhs <= *rhs;
    case arith::CmpIPredicate::sgt:
      return *lhs > *rhs;
    case arith::CmpIPredicate::sge:
      return *lhs >= *rhs;
    default:
      return std::nullopt; // Unsigned compares of sizes: not needed.
    }
  }
  if (def->getNumOperands() != 2)
    return std::nullopt;
  std::optional<int64_t> lhs = getIndex(def->getOperand(0));
  std::optional<int64_t> rhs = getIndex(def->getOperand(1));
  if (!lhs || !rhs)
    return std::nullopt;
  return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(def)
      .Case([&](arith::AddIOp) { return llvm::checkedAdd(*lhs, *rhs); })
      .Case([&](arith::SubIOp) { return llvm::checkedSub(*lhs, *rhs); })
      .Case([&](arith::MulIOp) { return llvm::checkedMul(*lhs, *rhs); })
      .Case([&](arith::MaxSIOp) { return std::max(*lhs, *rhs); })
      .Case([&](arith::MinSIOp) { return std::min(*lhs, *rhs); })
      .Case([&](arith::RemSIOp) -> std::optional<int64_t> {
        if (*rhs <= 0 || *lhs < 0)
          return std::nullopt;
        return *lhs % *rhs;
      })
      .Case<arith::DivSIOp, arith::DivUIOp, arith::FloorDivSIOp>(
          [&](Operation *) -> std::optional<int64_t> {
            if (*rhs <= 0 || *lhs < 0)
              return std::nullopt;
            return *lhs / *rhs;
          })
      .Case([&](arith::CeilDivSIOp) -> std::optional<int64_t> {
        if (*rhs <= 0 || *lhs < 0)
          return std::nullopt;
        return llvm::divideCeil(*lhs, *rhs);
      })
      .Default([](Operation *) { return std::nullopt; });
}

std::optional<SmallVector<int64_t>>
ShapeBinding::getLoopRanges(linalg::LinalgOp op) const {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (!llvm::any_of(ranges, ShapedType::isDynamic))
    return ranges;
  // The loops' sizes from the operands' sizes (linalg's shapes-to-loops map
  // over the concatenated operand dimensions).
  AffineMap shapesToLoops = op.getShapesToLoopsMap();
  if (!shapesToLoops)
    return std::nullopt;
  SmallVector<int64_t> flat;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<ShapedType>(operand.get().getType()))
      continue;
    std::optional<SmallVector<int64_t>> shape = getShape(operand.get());
    if (!shape)
      return std::nullopt;
    llvm::append_range(flat, *shape);
  }
  if (flat.size() != shapesToLoops.getNumDims())
    return std::nullopt;
  return evalMap(shapesToLoops, flat);
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

/// An element of an integer tensor that nothing has written (tensor.empty).
static constexpr int64_t kUndefined = std::numeric_limits<int64_t>::min();

/// Whether `v` is representable in the signless integer type `type` (read as
/// signed; i1 as 0 or 1), so that int64_t arithmetic agrees with the IR's.
static bool fits(Type type, int64_t v) {
  if (type.isIndex())
    return true;
  auto intType = dyn_cast<IntegerType>(type);
  if (!intType)
    return false;
  unsigned width = intType.getWidth();
  if (width == 1)
    return v == 0 || v == 1;
  if (width >= 64)
    return true;
  int64_t bound = int64_t(1) << (width - 1);
  return v >= -bound && v < bound;
}

namespace {
/// Evaluates integer (index) computations exactly: the contents of small
/// integer tensors computed from constants (TOSA's gather indices: casts,
/// selects, concatenations, products and sums of constant tensors), and the
/// scalar payloads of linalg ops at a point of their iteration space
/// (`linalg.index` is the point). Any op it does not know, any overflow of
/// the IR's integer type and any read of an unwritten element fails.
class IntEvaluator {
public:
  /// The row-major contents of `tensor`, or nullptr.
  const SmallVector<int64_t> *getContents(Value tensor, int depth = 0) {
    if (auto it = cache.find(tensor); it != cache.end())
      return it->second.get();
    std::unique_ptr<SmallVector<int64_t>> contents;
    if (depth <= 64)
      if (std::optional<SmallVector<int64_t>> c = compute(tensor, depth))
        contents = std::make_unique<SmallVector<int64_t>>(std::move(*c));
    // The contents stay where they are when the cache grows.
    return (cache[tensor] = std::move(contents)).get();
  }

  /// The value of `scalar` in the payload of `op` at `point`, with `op`'s
  /// init block arguments bound to `outs` (one per init; none: unreadable).
  std::optional<int64_t> evalScalar(linalg::LinalgOp op, Value scalar,
                                    ArrayRef<int64_t> point,
                                    ArrayRef<int64_t> outs,
                                    DenseMap<Value, int64_t> &memo,
                                    int depth = 0) {
    if (depth > 64)
      return std::nullopt;
    if (auto it = memo.find(scalar); it != memo.end())
      return it->second;
    std::optional<int64_t> result =
        computeScalar(op, scalar, point, outs, memo, depth);
    if (result && !fits(scalar.getType(), *result))
      result = std::nullopt;
    if (result)
      memo[scalar] = *result;
    return result;
  }

private:
  std::optional<SmallVector<int64_t>> compute(Value tensor, int depth) {
    auto type = dyn_cast<RankedTensorType>(tensor.getType());
    if (!type || !type.hasStaticShape() || type.getNumElements() > kMaxGather ||
        !(type.getElementType().isIntOrIndex()))
      return std::nullopt;
    if (std::optional<SmallVector<int64_t>> constant = getIntContents(tensor))
      return constant;
    Operation *def = tensor.getDefiningOp();
    if (!def)
      return std::nullopt;
    if (isa<tensor::EmptyOp>(def))
      return SmallVector<int64_t>(type.getNumElements(), kUndefined);
    // Reshapes keep the row-major order.
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::CastOp>(
            def)) {
      const SmallVector<int64_t> *source =
          getContents(def->getOperand(0), depth + 1);
      if (!source)
        return std::nullopt;
      return *source;
    }
    if (auto insert = dyn_cast<tensor::InsertSliceOp>(def)) {
      const SmallVector<int64_t> *source =
          getContents(insert.getSource(), depth + 1);
      const SmallVector<int64_t> *dest =
          getContents(insert.getDest(), depth + 1);
      if (!source || !dest || !insert.hasUnitStride() ||
          ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
          ShapedType::isDynamicShape(insert.getStaticSizes()))
        return std::nullopt;
      auto sourceType = insert.getSourceType();
      // Rank-reducing inserts are not handled.
      if (sourceType.getRank() != type.getRank())
        return std::nullopt;
      SmallVector<int64_t> result(*dest);
      ArrayRef<int64_t> offsets = insert.getStaticOffsets();
      for (int64_t i = 0, e = sourceType.getNumElements(); i < e; ++i) {
        SmallVector<int64_t> index = delinearize(i, sourceType.getShape());
        for (auto [k, off] : llvm::enumerate(offsets))
          index[k] += off;
        result[linearize(index, type.getShape())] = (*source)[i];
      }
      return result;
    }
    auto op = dyn_cast<linalg::LinalgOp>(def);
    if (!op || !op.hasPureTensorSemantics())
      return std::nullopt;
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic) ||
        product(ranges) > kMaxGather)
      return std::nullopt;
    // Interpret the op: every init starts with its contents, and the points
    // are visited in row-major order (a reduction accumulates in order).
    unsigned numInits = op.getNumDpsInits();
    SmallVector<SmallVector<int64_t>> buffers;
    SmallVector<AffineMap> outMaps;
    SmallVector<ArrayRef<int64_t>> outShapes;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      const SmallVector<int64_t> *contents = getContents(init.get(), depth + 1);
      if (!contents)
        return std::nullopt;
      buffers.push_back(*contents);
      outMaps.push_back(op.getMatchingIndexingMap(&init));
      outShapes.push_back(
          cast<RankedTensorType>(init.get().getType()).getShape());
    }
    auto yield = cast<linalg::YieldOp>(op.getBlock()->getTerminator());
    for (int64_t i = 0, e = product(ranges); i < e; ++i) {
      SmallVector<int64_t> point = delinearize(i, ranges);
      SmallVector<int64_t> linear, outs;
      for (unsigned k = 0; k < numInits; ++k) {
        linear.push_back(linearize(evalMap(outMaps[k], point), outShapes[k]));
        outs.push_back(buffers[k][linear.back()]);
      }
      DenseMap<Value, int64_t> memo;
      SmallVector<int64_t> values;
      for (Value v : yield.getOperands()) {
        std::optional<int64_t> r =
            evalScalar(op, v, point, outs, memo, depth + 1);
        if (!r)
          return std::nullopt;
        values.push_back(*r);
      }
      for (unsigned k = 0; k < numInits; ++k)
        buffers[k][linear[k]] = values[k];
    }
    return buffers[cast<OpResult>(tensor).getResultNumber()];
  }

  std::optional<int64_t> computeScalar(linalg::LinalgOp op, Value value,
                                       ArrayRef<int64_t> point,
                                       ArrayRef<int64_t> outs,
                                       DenseMap<Value, int64_t> &memo,
                                       int depth) {
    IntegerAttr cst;
    if (matchPattern(value, m_Constant(&cst)))
      return cst.getType().isInteger(1) ? int64_t(cst.getValue().getZExtValue())
                                        : cst.getValue().getSExtValue();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() != op.getBlock())
        return std::nullopt;
      OpOperand &operand = op->getOpOperand(arg.getArgNumber());
      if (op.isDpsInit(&operand)) {
        unsigned k = operand.getOperandNumber() - op.getNumDpsInputs();
        if (k >= outs.size() || outs[k] == kUndefined)
          return std::nullopt;
        return outs[k];
      }
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!type) {
        if (!matchPattern(operand.get(), m_Constant(&cst)))
          return std::nullopt;
        return cst.getValue().getSExtValue();
      }
      const SmallVector<int64_t> *contents = getContents(operand.get(), depth);
      if (!contents)
        return std::nullopt;
      SmallVector<int64_t> index =
          evalMap(op.getMatchingIndexingMap(&operand), point);
      for (auto [i, d] : llvm::zip_equal(index, type.getShape()))
        if (i < 0 || i >= d)
          return std::nullopt;
      int64_t v = (*contents)[linearize(index, type.getShape())];
      if (v == kUndefined)
        return std::nullopt;
      return v;
    }
    Operation *def = value.getDefiningOp();
    if (!def || def->getBlock() != op.getBlock())
      return std::nullopt;
    if (auto index = dyn_cast<linalg::IndexOp>(def))
      return point[index.getDim()];
    SmallVector<int64_t> args;
    for (Value operand : def->getOperands()) {
      std::optional<int64_t> v =
          evalScalar(op, operand, point, outs, memo, depth + 1);
      if (!v)
        return std::nullopt;
      args.push_back(*v);
    }
    using P = arith::CmpIPredicate;
    return llvm::TypeSwitch<Operation *, std::optional<int64_t>>(def)
        .Case<arith::IndexCastOp, arith::TruncIOp>(
            [&](Operation *) { return args[0]; })
        .Case<arith::ExtUIOp>(
            [&](arith::ExtUIOp ext) -> std::optional<int64_t> {
              // A negative value (read as signed) zero-extends to v + 2^width.
              unsigned width = ext.getIn().getType().getIntOrFloatBitWidth();
              if (args[0] >= 0)
                return args[0];
              if (width >= 63)
                return std::nullopt;
              return args[0] + (int64_t(1) << width);
            })
        .Case<arith::ExtSIOp>([&](arith::ExtSIOp ext) {
          // An i1 true sign-extends to -1.
          return ext.getIn().getType().isInteger(1) ? -args[0] : args[0];
        })
        .Case<arith::AddIOp>([&](Operation *) { return args[0] + args[1]; })
        .Case<arith::SubIOp>([&](Operation *) { return args[0] - args[1]; })
        .Case<arith::MulIOp>([&](Operation *) { return args[0] * args[1]; })
        .Case<arith::MaxSIOp>(
            [&](Operation *) { return std::max(args[0], args[1]); })
        .Case<arith::MinSIOp>(
            [&](Operation *) { return std::min(args[0], args[1]); })
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

  DenseMap<Value, std::unique_ptr<SmallVector<int64_t>>> cache;
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
  IntEvaluator evaluator;
  int64_t total = product(ranges);
  SmallVector<SmallVector<int64_t>> table;
  for (int64_t i = 0; i < total; ++i) {
    SmallVector<int64_t> point = delinearize(i, ranges);
    SmallVector<int64_t> index;
    DenseMap<Value, int64_t> memo;
    for (auto [k, v] : llvm::enumerate(extract.getIndices())) {
      std::optional<int64_t> r = evaluator.evalScalar(op, v, point, {}, memo);
      if (!r || *r < 0 || *r >= sourceType.getDimSize(k))
        return std::nullopt;
      index.push_back(*r);
    }
    table.push_back(std::move(index));
  }
  MLIRContext *ctx = op->getContext();
  auto agrees = [&](AffineMap map) {
    for (int64_t i = 0; i < total; ++i)
      if (evalMap(map, delinearize(i, ranges)) != ArrayRef(table[i]))
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
  // Composed reshapes nest floordiv/mod chains; simplified once here, they
  // are cheaper to evaluate at every sample.
  map = simplifyAffineMap(map);
  unsigned index = variables.size();
  for (auto [i, v] : llvm::enumerate(variables)) {
    if (v.value == value && v.space == space && v.reduction == reduction &&
        mapsAgree(spaces[space], v.map, map)) {
      index = i;
      break;
    }
  }
  if (index == variables.size())
    variables.push_back({value, map, space, reduction,
                         shapes ? shapes->getShape(value) : std::nullopt});
  Node *node = newNode(Node::Kind::Variable);
  if (node)
    node->variable = index;
  return node;
}

std::optional<ExprGraph> ExprGraph::build(Value root,
                                          const ShapeBinding &shapes,
                                          ArrayRef<Value> barriers) {
  std::optional<SmallVector<int64_t>> shape = shapes.getShape(root);
  if (!shape)
    return std::nullopt;
  ExprGraph graph;
  graph.shapes = &shapes;
  graph.barriers.insert(barriers.begin(), barriers.end());
  unsigned space = graph.addSpace(*shape);
  graph.root = graph.buildTensor(
      root, AffineMap::getMultiDimIdentityMap(shape->size(), root.getContext()),
      space, 0);
  graph.shapes = nullptr;
  if (!graph.root)
    return std::nullopt;
  graph.prune();
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
  std::optional<SmallVector<int64_t>> shape = shapes->getShape(value);
  if (!def || barriers.contains(value) || !shape)
    return variable(value, map, space);

  if (auto cast = dyn_cast<tensor::CastOp>(def)) {
    // Followed only between the same static sizes: whether a cast of `?`
    // to 4 could be followed would depend on the probe sizes.
    if (cast.getSource().getType() != cast.getType())
      return variable(value, map, space);
    ops.insert(def);
    return buildTensor(cast.getSource(), map, space, depth + 1);
  }
  if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tensor::ReshapeOp>(
          def)) {
    Value source = def->getOperand(0);
    std::optional<SmallVector<int64_t>> from = shapes->getShape(source);
    if (!from || product(*from) != product(*shape))
      return variable(value, map, space);
    AffineMap reshape = getReshapeMap(*from, *shape, value.getContext());
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
  std::optional<SmallVector<int64_t>> loopRanges = shapes->getLoopRanges(op);
  if (!loopRanges)
    return variable(value, map, space);
  SmallVector<int64_t> ranges = std::move(*loopRanges);
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
  SmallVector<bool> reduced;
  for (utils::IteratorType it : iterators)
    reduced.push_back(it == utils::IteratorType::reduction);
  ops.insert(op);
  if (Node *merged = mergeNested(op, result, kind, outMap, reduced,
                                 reductionSpace, summandNode, map, space))
    return merged;
  unsigned index = reductions.size();
  reductions.push_back(
      {op, result, kind, reductionSpace, summandNode, outMap, reduced, op});
  reductionIndex[key] = index;
  return variable(value, map, space, index);
}

/// Whether `node` is built from constants, variables and field operations
/// only (a rational function of its variables): the linearity of such a
/// summand follows from its values at a few points, unlike that of a
/// piecewise one (a clamp, a max with a constant, a select) whose breaks may
/// lie beyond them.
static bool isRational(const Node *node) {
  if (node->kind != Node::Kind::Op)
    return true;
  if (!isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
           arith::NegFOp, arith::ExtFOp, arith::TruncFOp>(node->op))
    return false;
  return llvm::all_of(node->operands,
                      [](const Node *operand) { return isRational(operand); });
}

Node *ExprGraph::mergeNested(linalg::LinalgOp op, unsigned result,
                             ReductionKind kind, AffineMap outMap,
                             ArrayRef<bool> reduced, unsigned reductionSpace,
                             Node *summand, AffineMap map, unsigned space) {
  // The summand reads one variable: another reduction's result, of the same
  // kind, read in this op's space.
  llvm::SetVector<unsigned> read;
  collectVariables(summand, read);
  if (read.size() != 1)
    return nullptr;
  unsigned var = read.front();
  Variable v = variables[var];
  if (v.reduction < 0 || v.space != reductionSpace)
    return nullptr;
  const Reduction inner = reductions[v.reduction];
  if (inner.kind != kind || !isRational(summand))
    return nullptr;
  // Sum: the summand is c * r (so a sum of it is c times the merged sum);
  // max: it is r itself.
  SmallVector<double> values(variables.size(), 0.0);
  auto at = [&](double r) {
    values[var] = r;
    return evaluate(summand, values);
  };
  std::optional<double> c = at(1.0);
  if (!c || !std::isfinite(*c) || *c == 0.0)
    return nullptr;
  if (kind == ReductionKind::Max && *c != 1.0)
    return nullptr;
  for (double r : {0.0, -2.5, 3.0, 0.125, 1.0e3}) {
    std::optional<double> got = at(r);
    if (!got || std::fabs(*got - *c * r) > 1e-12 * std::max(1.0, std::fabs(r)))
      return nullptr;
  }
  // The merged space: this op's loops, then the inner reduced loops. phi maps
  // it to the inner space: its parallel loops are the result indices that
  // this op reads, its reduced loops the new ones.
  MLIRContext *ctx = op->getContext();
  // Copies: addSpace below grows `spaces`.
  SmallVector<int64_t> outerShape(spaces[reductionSpace].shape);
  SmallVector<int64_t> innerShape(spaces[inner.space].shape);
  unsigned numOuter = outerShape.size();
  SmallVector<int64_t> shape(outerShape);
  SmallVector<bool> mergedReduced(reduced);
  SmallVector<AffineExpr> phi(innerShape.size());
  for (auto [d, isReduced] : llvm::enumerate(inner.reduced)) {
    if (!isReduced)
      continue;
    phi[d] = getAffineDimExpr(shape.size(), ctx);
    shape.push_back(innerShape[d]);
    mergedReduced.push_back(true);
  }
  for (auto [r, expr] : llvm::enumerate(inner.outMap.getResults())) {
    auto dim = dyn_cast<AffineDimExpr>(expr);
    if (!dim)
      continue;
    // The outer loops keep their positions in the merged space.
    phi[dim.getPosition()] = v.map.getResult(r);
  }
  if (llvm::any_of(phi, [](AffineExpr e) { return !e; }))
    return nullptr;
  if (product(shape) / std::max<int64_t>(product(outerShape), 1) > kMaxReduced)
    return nullptr;
  unsigned mergedSpace = addSpace(shape);
  AffineMap phiMap = AffineMap::get(shape.size(), 0, phi, ctx);
  AffineMap projection = AffineMap::getMultiDimIdentityMap(numOuter, ctx);
  projection = AffineMap::get(shape.size(), 0, projection.getResults(), ctx);
  DenseMap<Node *, Node *> innerMemo, outerMemo;
  Node *innerSummand = transport(inner.summand, phiMap, mergedSpace,
                                 std::nullopt, nullptr, innerMemo);
  if (!innerSummand)
    return nullptr;
  Node *mergedSummand =
      transport(summand, projection, mergedSpace, var, innerSummand, outerMemo);
  if (!mergedSummand)
    return nullptr;
  unsigned index = reductions.size();
  AffineMap mergedOut =
      AffineMap::get(shape.size(), 0, outMap.getResults(), ctx);
  reductions.push_back({op, result, kind, mergedSpace, mergedSummand, mergedOut,
                        mergedReduced, inner.inner});
  reductionIndex[std::make_pair(op.getOperation(), result)] = index;
  return variable(op->getResult(result), map, space, index);
}

Node *ExprGraph::transport(Node *node, AffineMap phi, unsigned to,
                           std::optional<unsigned> substituted,
                           Node *replacement, DenseMap<Node *, Node *> &memo) {
  if (auto it = memo.find(node); it != memo.end())
    return it->second;
  Node *result = nullptr;
  switch (node->kind) {
  case Node::Kind::Constant:
    result = node;
    break;
  case Node::Kind::Variable: {
    if (substituted && node->variable == *substituted) {
      result = replacement;
      break;
    }
    Variable v = variables[node->variable];
    result = variable(v.value, v.map.compose(phi), to, v.reduction);
    break;
  }
  case Node::Kind::Op: {
    SmallVector<Node *> operands;
    for (Node *operand : node->operands) {
      Node *t = transport(operand, phi, to, substituted, replacement, memo);
      if (!t)
        return nullptr;
      operands.push_back(t);
    }
    result = newNode(Node::Kind::Op);
    if (result) {
      result->op = node->op;
      result->operands = std::move(operands);
    }
    break;
  }
  }
  memo[node] = result;
  return result;
}

void ExprGraph::prune() {
  SmallVector<int> varIndex(variables.size(), -1);
  SmallVector<int> redIndex(reductions.size(), -1);
  SmallVector<Node *> live;
  DenseSet<Node *> visited;
  SmallVector<Node *> stack{root};
  SmallVector<unsigned> varOrder, redOrder;
  while (!stack.empty()) {
    Node *n = stack.pop_back_val();
    if (!visited.insert(n).second)
      continue;
    if (n->kind == Node::Kind::Variable) {
      live.push_back(n);
      if (varIndex[n->variable] < 0) {
        varIndex[n->variable] = 0;
        varOrder.push_back(n->variable);
      }
      int r = variables[n->variable].reduction;
      if (r >= 0 && redIndex[r] < 0) {
        redIndex[r] = 0;
        redOrder.push_back(r);
        stack.push_back(reductions[r].summand);
      }
    }
    for (Node *operand : n->operands)
      stack.push_back(operand);
  }
  if (varOrder.size() == variables.size() &&
      redOrder.size() == reductions.size())
    return;
  // Keep the original order (deterministic, as before pruning).
  llvm::sort(varOrder);
  llvm::sort(redOrder);
  SmallVector<Reduction> newReductions;
  for (unsigned r : redOrder) {
    redIndex[r] = newReductions.size();
    newReductions.push_back(reductions[r]);
  }
  SmallVector<Variable> newVariables;
  for (unsigned v : varOrder) {
    varIndex[v] = newVariables.size();
    Variable var = variables[v];
    if (var.reduction >= 0)
      var.reduction = redIndex[var.reduction];
    newVariables.push_back(var);
  }
  for (Node *n : live)
    n->variable = varIndex[n->variable];
  reductions = std::move(newReductions);
  variables = std::move(newVariables);
  reductionIndex.clear();
  for (auto [i, red] : llvm::enumerate(reductions))
    reductionIndex[std::make_pair(red.op.getOperation(), red.result)] = i;
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
  auto key = std::make_pair(
      std::make_pair(reduction, operandVar),
      std::vector<int64_t>(resultIndex.begin(), resultIndex.end()));
  if (auto it = reducedCache.find(key); it != reducedCache.end())
    return it->second;
  std::optional<SmallVector<int64_t>> elements =
      computeReducedElements(reduction, operandVar, resultIndex);
  reducedCache[key] = elements;
  return elements;
}

std::optional<SmallVector<int64_t>>
ExprGraph::computeReducedElements(unsigned reduction, unsigned operandVar,
                                  ArrayRef<int64_t> resultIndex) const {
  const Reduction &red = reductions[reduction];
  const Variable &operand = variables[operandVar];
  if (!operand.shape)
    return std::nullopt;
  ArrayRef<int64_t> operandShape = *operand.shape;
  ArrayRef<int64_t> ranges = spaces[red.space].shape;
  SmallVector<int64_t> point(ranges.size(), 0);
  for (auto [r, expr] : llvm::enumerate(red.outMap.getResults()))
    if (auto dim = dyn_cast<AffineDimExpr>(expr))
      point[dim.getPosition()] = resultIndex[r];
  SmallVector<unsigned> reductionDims;
  SmallVector<int64_t> reductionShape;
  for (auto [i, isReduced] : llvm::enumerate(red.reduced))
    if (isReduced) {
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
    elements.push_back(linearize(evalMap(operand.map, point), operandShape));
  }
  llvm::sort(elements);
  return elements;
}
