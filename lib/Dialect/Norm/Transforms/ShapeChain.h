//===- ShapeChain.h - Shape-only op chains between fused ops ----*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Frontends put transposes and reshapes between a normalization (or a
// softmax) and the contraction that reads it (torch-mlir: per-head
// `[B, S, H, D]` tensors collapsed to `[B*H, S, D]` batch_matmul operands).
// A fusion that moves a per-row scaling past the contraction keeps such a
// chain on the unscaled value and replays it on the (size-1) statistics.
// Also the contraction helpers such fusions share (norm-fuse-qk-norm,
// norm-fuse-softmax-matmul).
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_SHAPECHAIN_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_SHAPECHAIN_H

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {

/// The position of `axis` of `op`'s source in its result, if it stays a
/// dimension of its own; failure if `op` merges or splits it (or is not a
/// linalg.transpose, tensor.collapse_shape or tensor.expand_shape).
FailureOr<int64_t> mapAxis(Operation *op, int64_t axis);

/// `mapAxis` through every op of `chain`, in order.
FailureOr<int64_t> mapAxisThroughChain(ArrayRef<Operation *> chain,
                                       int64_t axis);

/// Walks from `value` up through single-use transposes and reshapes until
/// `isSource` holds; returns that value and fills `chain` (source first).
/// Null when another op is in the way.
Value traceShapeChain(Value value, SmallVectorImpl<Operation *> &chain,
                      function_ref<bool(Value)> isSource);

/// Applies the shape-only `chain` to `stats`: statistics of the chain's
/// source, of its shape with the reduced `axis` of size 1. Returns the
/// statistics in the shape of the chain's result (same size-1 axis).
Value replayShapeChain(RewriterBase &rewriter, ArrayRef<Operation *> chain,
                       Value stats, int64_t axis);

/// The two-input, one-init linalg contractions on tensors nested in `root`
/// (matmul, batch_matmul, einsum-like generics): where a per-row scaling of
/// an operand can move past the contraction.
SmallVector<linalg::LinalgOp> collectTensorContractions(Operation *root);

/// Whether `operandMap` (a contraction operand's indexing map) indexes only
/// with loops and its dimension `axis` with `reduction`, which indexes no
/// other dimension.
bool isIndexedOnlyByReduction(AffineMap operandMap, int64_t axis,
                              AffineExpr reduction);

/// The indexing map, over the contraction's output dimensions (`outputMap`),
/// of per-row statistics of a contraction operand: the operand's map with
/// its `reduction` index at 0 (a size-1 dimension). Contraction semantics put
/// every other index of an operand in the output.
AffineMap getStatisticsMap(AffineMap operandMap, AffineExpr reduction,
                           AffineMap outputMap);

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_SHAPECHAIN_H
