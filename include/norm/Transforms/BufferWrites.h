//===- BufferWrites.h - Which function arguments a body writes --*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// After bufferization, whether a function may write the buffer it was passed
// as an argument: what the C ABI of norm-lower-to-cpu tells its callers
// (norm-drop-tied-buffer-results) and what it must not do to an input
// (norm-copy-written-inputs).
//
//===----------------------------------------------------------------------===//

#ifndef NORM_TRANSFORMS_BUFFERWRITES_H
#define NORM_TRANSFORMS_BUFFERWRITES_H

#include "mlir/IR/Value.h"

namespace mlir::norm {

/// Whether the function owning the entry-block argument `arg` (a memref) may
/// write it, or free it, through any of its aliases. Views (subviews, casts,
/// reshapes) are followed; so are loops that carry it (into the iteration
/// argument and the loop's result) and calls of functions with a body in
/// the same symbol table that return no memref (into the callee's
/// argument). A use by an op whose memory effects are unknown (an external
/// call), that makes another alias that is not a view, or a terminator that
/// forwards it (a yield, to the results of an scf.if or the next iteration)
/// counts as a write. A `func.return` does not: the callers see the
/// argument.
bool mayWriteArgument(BlockArgument arg);

} // namespace mlir::norm

#endif // NORM_TRANSFORMS_BUFFERWRITES_H
