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
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_SHAPECHAIN_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_SHAPECHAIN_H

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

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_SHAPECHAIN_H
