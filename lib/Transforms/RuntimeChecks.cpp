//===- RuntimeChecks.cpp - Shared code of run-time checks -----------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "RuntimeChecks.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

using namespace mlir;

void mlir::norm::hoistCheckToEntry(cf::AssertOp check, Block &entry) {
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  options.inclusive = false;
  bool movable = true;
  options.filter = [&](Operation *op) {
    // (The filter also sees the check itself.) Only size computations
    // move: index and integer arithmetic, `tensor.dim` and casts, never
    // an op that computes a tensor (a norm op whose result's size was
    // not resolved to the arguments' would run before the other checks).
    bool sizeOnly =
        llvm::all_of(op->getResultTypes(),
                     [](Type type) { return type.isIntOrIndex(); }) ||
        isa<tensor::CastOp, memref::CastOp>(op);
    if (op != check &&
        (!isMemoryEffectFree(op) || op->getNumRegions() != 0 || !sizeOnly))
      movable = false;
    return true;
  };
  if (failed(getBackwardSlice(check.getOperation(), &slice, options)) ||
      !movable)
    return;
  // Before the first op of the function outside the slice (the slice's
  // constants may already be at the start), in the slice's order.
  Operation *insertPoint = &entry.front();
  while (slice.contains(insertPoint))
    insertPoint = insertPoint->getNextNode();
  for (Operation *op : slice)
    op->moveBefore(insertPoint);
  check->moveBefore(insertPoint);
}

LogicalResult mlir::norm::resolveSizesToArguments(func::FuncOp func) {
  MLIRContext *context = func.getContext();
  RewritePatternSet patterns(context);
  memref::populateResolveRankedShapedTypeResultDimsPatterns(patterns);
  tensor::DimOp::getCanonicalizationPatterns(patterns, context);
  tensor::EmptyOp::getCanonicalizationPatterns(patterns, context);
  return applyPatternsGreedily(func, std::move(patterns));
}
