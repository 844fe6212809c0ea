//===- RuntimeChecks.h - Shared code of run-time checks ---------*- C++ -*-===//
//-*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_TRANSFORMS_RUNTIMECHECKS_H
#define NORM_LIB_TRANSFORMS_RUNTIMECHECKS_H

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::norm {

/// Moves `check` (in the entry block) and the ops it depends on to the start
/// of the function when they only compute sizes (index and integer ops
/// without side effects or regions, `tensor.dim`, casts), so that the check
/// runs before anything is written (a result may be computed in an output
/// array itself).
void hoistCheckToEntry(cf::AssertOp check, Block &entry);

/// Rewrites the `tensor.dim`s of `func` that read a computed value's sizes
/// in terms of the operands' (the ops' ReifyRankedShapedTypeOpInterface),
/// down to the arguments' where they can be, so that checks of them can
/// move to the start.
LogicalResult resolveSizesToArguments(func::FuncOp func);

} // namespace mlir::norm

#endif // NORM_LIB_TRANSFORMS_RUNTIMECHECKS_H
