//===- LoweringUtils.cpp - Builders shared by the norm lowerings ----------===//
//
// Part of norm-mlir. The non-inline helpers of LoweringUtils.h: affine maps
// and dimension masks, element counts, and the channel split/merge reshapes
// of group normalization.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/IR/AffineMap.h"

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::detail;

AffineMap norm::detail::projection(MLIRContext *context, unsigned rank,
                                   ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs = llvm::map_to_vector(
      dims, [&](int64_t dim) { return getAffineDimExpr(dim, context); });
  return AffineMap::get(rank, /*symbolCount=*/0, exprs, context);
}

SmallVector<bool> norm::detail::maskOf(ArrayRef<int64_t> dims, unsigned rank) {
  SmallVector<bool> mask(rank, false);
  for (int64_t dim : dims)
    mask[dim] = true;
  return mask;
}

SmallVector<int64_t> norm::detail::unmaskedDims(ArrayRef<bool> mask) {
  SmallVector<int64_t> dims;
  for (auto [dim, masked] : llvm::enumerate(mask))
    if (!masked)
      dims.push_back(dim);
  return dims;
}

SmallVector<ReassociationIndices>
norm::detail::getKeepDimsReassociation(ArrayRef<bool> reduced) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices leading;
  for (auto [dim, isReduced] : llvm::enumerate(reduced)) {
    auto d = static_cast<int64_t>(dim);
    if (!isReduced) {
      groups.push_back(std::move(leading));
      leading.clear();
      groups.back().push_back(d);
    } else if (groups.empty()) {
      leading.push_back(d);
    } else {
      groups.back().push_back(d);
    }
  }
  return groups;
}

Value norm::detail::buildCount(OpBuilder &b, Location loc, Value x,
                               ArrayRef<int64_t> dims, Type type) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t staticCount = 1;
  Value dynamicCount;
  for (int64_t dim : dims) {
    if (!xType.isDynamicDim(dim)) {
      staticCount *= xType.getDimSize(dim);
      continue;
    }
    Value size = tensor::DimOp::create(b, loc, x, dim);
    dynamicCount =
        dynamicCount ? arith::MulIOp::create(b, loc, dynamicCount, size) : size;
  }
  if (!dynamicCount)
    return floatConstant(b, loc, type, static_cast<double>(staticCount));
  if (staticCount != 1)
    dynamicCount = arith::MulIOp::create(
        b, loc, dynamicCount,
        arith::ConstantIndexOp::create(b, loc, staticCount));
  Value count =
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), dynamicCount);
  return arith::UIToFPOp::create(b, loc, type, count);
}

Value norm::detail::buildReducedCount(OpBuilder &b, Location loc, Value x,
                                      ArrayRef<bool> reduced, Type type) {
  SmallVector<int64_t> dims;
  for (auto [dim, isReduced] : llvm::enumerate(reduced))
    if (isReduced)
      dims.push_back(dim);
  return buildCount(b, loc, x, dims, type);
}

Value norm::detail::splitChannels(OpBuilder &b, Location loc, Value value,
                                  int64_t axis, int64_t groups) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, value);
  SmallVector<OpFoldResult> newSizes;
  SmallVector<int64_t> shape;
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t dim = 0, rank = type.getRank(); dim < rank; ++dim) {
    int64_t newDim = static_cast<int64_t>(newSizes.size());
    if (dim != axis) {
      reassociation.push_back({newDim});
      newSizes.push_back(sizes[dim]);
      shape.push_back(type.getDimSize(dim));
      continue;
    }
    reassociation.push_back({newDim, newDim + 1});
    newSizes.push_back(b.getIndexAttr(groups));
    shape.push_back(groups);
    if (type.isDynamicDim(dim)) {
      Value channels = getValueOrCreateConstantIndexOp(b, loc, sizes[dim]);
      Value groupsValue = arith::ConstantIndexOp::create(b, loc, groups);
      // The verifier checks a static channel count; a dynamic one that the
      // groups do not divide would lose its last channels (C / G rounds
      // down): abort with a message instead.
      Value remainder = arith::RemUIOp::create(b, loc, channels, groupsValue);
      Value divides =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, remainder,
                                arith::ConstantIndexOp::create(b, loc, 0));
      cf::AssertOp::create(
          b, loc, divides,
          (Twine("group normalization: the channel count must be a multiple of "
                 "the ") +
           Twine(groups) + " groups")
              .str());
      newSizes.push_back(
          arith::DivUIOp::create(b, loc, channels, groupsValue).getResult());
      shape.push_back(ShapedType::kDynamic);
    } else {
      newSizes.push_back(b.getIndexAttr(type.getDimSize(dim) / groups));
      shape.push_back(type.getDimSize(dim) / groups);
    }
  }
  auto newType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExpandShapeOp::create(b, loc, newType, value, reassociation,
                                       newSizes);
}

Value norm::detail::mergeChannels(OpBuilder &b, Location loc, Value value,
                                  int64_t axis) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<ReassociationIndices> reassociation;
  for (int64_t dim = 0, rank = type.getRank(); dim < rank; ++dim) {
    if (dim == axis + 1)
      continue;
    if (dim == axis)
      reassociation.push_back({dim, dim + 1});
    else
      reassociation.push_back({dim});
  }
  return tensor::CollapseShapeOp::create(b, loc, value, reassociation);
}

Value norm::detail::sliceFirstElements(OpBuilder &b, Location loc, Value value,
                                       ArrayRef<bool> reduced) {
  unsigned rank = cast<RankedTensorType>(value.getType()).getRank();
  SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
  SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
  SmallVector<OpFoldResult> sizes;
  for (unsigned dim = 0; dim < rank; ++dim) {
    OpFoldResult size = tensor::getMixedSize(b, loc, value, dim);
    if (reduced[dim]) {
      if (std::optional<int64_t> constant = getConstantIntValue(size))
        size = b.getIndexAttr(std::min<int64_t>(*constant, 1));
      else
        size = arith::MinUIOp::create(b, loc, cast<Value>(size),
                                      arith::ConstantIndexOp::create(b, loc, 1))
                   .getResult();
    }
    sizes.push_back(size);
  }
  // The verifier refuses offset 0 in a dimension of static size 0, even for
  // an empty slice: a tensor without elements gives an empty tensor.
  auto type = cast<RankedTensorType>(value.getType());
  if (llvm::is_contained(type.getShape(), 0))
    return tensor::EmptyOp::create(b, loc, sizes, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes, strides);
}
