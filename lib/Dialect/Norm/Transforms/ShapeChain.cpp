//===- ShapeChain.cpp - Shape-only op chains between fused ops -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "ShapeChain.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::norm;

namespace mlir::norm {

/// The position of `axis` of `op`'s source in its result, if it stays a
/// dimension of its own; failure if `op` merges or splits it.
FailureOr<int64_t> mapAxis(Operation *op, int64_t axis) {
  if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
    // result[i] = input[perm[i]].
    for (auto [index, dim] : llvm::enumerate(transpose.getPermutation()))
      if (dim == axis)
        return static_cast<int64_t>(index);
    return failure();
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    for (auto [index, group] :
         llvm::enumerate(collapse.getReassociationIndices()))
      if (llvm::is_contained(group, axis)) {
        if (group.size() != 1)
          return failure();
        return static_cast<int64_t>(index);
      }
    return failure();
  }
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    auto groups = expand.getReassociationIndices();
    if (axis >= static_cast<int64_t>(groups.size()) || groups[axis].size() != 1)
      return failure();
    return groups[axis].front();
  }
  return failure();
}

FailureOr<int64_t> mapAxisThroughChain(ArrayRef<Operation *> chain,
                                       int64_t axis) {
  for (Operation *op : chain) {
    FailureOr<int64_t> next = mapAxis(op, axis);
    if (failed(next))
      return failure();
    axis = *next;
  }
  return axis;
}

Value traceShapeChain(Value value, SmallVectorImpl<Operation *> &chain,
                      function_ref<bool(Value)> isSource) {
  while (!isSource(value)) {
    Operation *op = value.getDefiningOp();
    if (!op || !value.hasOneUse() ||
        !isa<linalg::TransposeOp, tensor::CollapseShapeOp,
             tensor::ExpandShapeOp>(op))
      return Value();
    chain.insert(chain.begin(), op);
    value = op->getOperand(0);
  }
  return value;
}

Value replayShapeChain(RewriterBase &rewriter, ArrayRef<Operation *> chain,
                       Value stats, int64_t axis) {
  for (Operation *op : chain) {
    Location loc = op->getLoc();
    int64_t next = *mapAxis(op, axis);
    rewriter.setInsertionPointAfterValue(stats);
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      SmallVector<OpFoldResult> sizes =
          tensor::getMixedSizes(rewriter, loc, stats);
      SmallVector<OpFoldResult> permuted;
      for (int64_t dim : transpose.getPermutation())
        permuted.push_back(sizes[dim]);
      Value empty = tensor::EmptyOp::create(
          rewriter, loc, permuted,
          cast<RankedTensorType>(stats.getType()).getElementType());
      stats = linalg::TransposeOp::create(rewriter, loc, stats, empty,
                                          transpose.getPermutation())
                  .getResult()[0];
    } else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      stats = tensor::CollapseShapeOp::create(
          rewriter, loc, stats, collapse.getReassociationIndices());
    } else {
      auto expand = cast<tensor::ExpandShapeOp>(op);
      SmallVector<OpFoldResult> shape = expand.getMixedOutputShape();
      shape[next] = rewriter.getIndexAttr(1);
      SmallVector<int64_t> staticShape(expand.getResultType().getShape());
      staticShape[next] = 1;
      auto type = RankedTensorType::get(
          staticShape,
          cast<RankedTensorType>(stats.getType()).getElementType());
      stats = tensor::ExpandShapeOp::create(
          rewriter, loc, type, stats, expand.getReassociationIndices(), shape);
    }
    axis = next;
  }
  return stats;
}

SmallVector<linalg::LinalgOp> collectTensorContractions(Operation *root) {
  SmallVector<linalg::LinalgOp> contractions;
  root->walk([&](linalg::LinalgOp op) {
    if (op.getNumDpsInputs() == 2 && op.getNumDpsInits() == 1 &&
        op.hasPureTensorSemantics() && linalg::isaContractionOpInterface(op))
      contractions.push_back(op);
  });
  return contractions;
}

bool isIndexedOnlyByReduction(AffineMap operandMap, int64_t axis,
                              AffineExpr reduction) {
  return llvm::all_of(operandMap.getResults(), llvm::IsaPred<AffineDimExpr>) &&
         operandMap.getResult(axis) == reduction &&
         llvm::count(operandMap.getResults(), reduction) == 1;
}

AffineMap getStatisticsMap(AffineMap operandMap, AffineExpr reduction,
                           AffineMap outputMap) {
  MLIRContext *context = operandMap.getContext();
  DenseMap<unsigned, unsigned> loopToOutput;
  for (auto [position, expr] : llvm::enumerate(outputMap.getResults()))
    loopToOutput[cast<AffineDimExpr>(expr).getPosition()] = position;
  SmallVector<AffineExpr> results;
  for (AffineExpr expr : operandMap.getResults())
    results.push_back(
        expr == reduction
            ? getAffineConstantExpr(0, context)
            : getAffineDimExpr(
                  loopToOutput.lookup(cast<AffineDimExpr>(expr).getPosition()),
                  context));
  return AffineMap::get(outputMap.getNumResults(), 0, results, context);
}

} // namespace mlir::norm
