//===- ExpandShapeToReinterpretCast.cpp - Dynamic expansions as casts -----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-expand-shape-to-reinterpret-cast: LLVM 22's expand-strided-metadata
// crashes (IntegerAttr::getValue on a null attribute) on a memref.expand_shape
// that splits one dimension into two or more dynamic ones, e.g. the rows of
// a LayerNorm on [?, ?, D] lowered as [? * ?, D] when its result is a new
// buffer. Such expansions are rewritten into the memref.reinterpret_cast that
// expand-strided-metadata would produce: same base, offset, the expanded
// sizes and the strides they imply.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMEXPANDSHAPETOREINTERPRETCASTPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether some group of `expand` has two or more dynamic sizes.
static bool splitsIntoDynamicSizes(memref::ExpandShapeOp expand) {
  MemRefType type = expand.getResultType();
  return llvm::any_of(expand.getReassociationIndices(),
                      [&](const ReassociationIndices &g) {
                        return llvm::count_if(g, [&](int64_t dim) {
                                 return type.isDynamicDim(dim);
                               }) >= 2;
                      });
}

static void rewrite(RewriterBase &rewriter, memref::ExpandShapeOp expand) {
  Location loc = expand.getLoc();
  rewriter.setInsertionPoint(expand);
  auto metadata =
      memref::ExtractStridedMetadataOp::create(rewriter, loc, expand.getSrc());
  auto [sourceStrides, sourceOffset] =
      expand.getSrcType().getStridesAndOffset();
  // Static strides and offset where the source type knows them (the
  // reinterpret_cast verifier compares them with the result type's).
  auto pick = [&](int64_t known, Value value) -> OpFoldResult {
    return ShapedType::isDynamic(known) ? OpFoldResult(value)
                                        : rewriter.getIndexAttr(known);
  };
  SmallVector<OpFoldResult> sizes = expand.getMixedOutputShape();
  SmallVector<OpFoldResult> strides(sizes.size());
  AffineExpr s0, s1;
  bindSymbols(rewriter.getContext(), s0, s1);
  for (auto [sourceDim, group] :
       llvm::enumerate(expand.getReassociationIndices())) {
    OpFoldResult stride =
        pick(sourceStrides[sourceDim], metadata.getStrides()[sourceDim]);
    for (int64_t dim : llvm::reverse(group)) {
      strides[dim] = stride;
      stride = affine::makeComposedFoldedAffineApply(rewriter, loc, s0 * s1,
                                                     {stride, sizes[dim]});
    }
  }
  rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
      expand, expand.getResultType(), metadata.getBaseBuffer(),
      pick(sourceOffset, metadata.getOffset()), sizes, strides);
}

namespace {
struct ExpandShapeToReinterpretCastPass
    : public norm::impl::NormExpandShapeToReinterpretCastPassBase<
          ExpandShapeToReinterpretCastPass> {
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> expands;
    getOperation().walk([&](memref::ExpandShapeOp expand) {
      if (splitsIntoDynamicSizes(expand))
        expands.push_back(expand);
    });
    IRRewriter rewriter(&getContext());
    for (memref::ExpandShapeOp expand : expands)
      rewrite(rewriter, expand);
  }
};
} // namespace
