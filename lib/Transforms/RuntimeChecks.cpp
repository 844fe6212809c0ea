//===- RuntimeChecks.cpp - Shared code of the run-time check passes -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "RuntimeChecks.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

void mlir::norm::hoistCheckToEntry(cf::AssertOp check, Block &entry) {
  SetVector<Operation *> slice;
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  options.inclusive = false;
  bool movable = true;
  options.filter = [&](Operation *op) {
    // (The filter also sees the check itself.)
    if (op != check && (!isMemoryEffectFree(op) || op->getNumRegions() != 0))
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
