//===- CheckLeakage.h - The data-leakage analysis ---------------*- C++ -*-===//
//
// Part of norm-mlir. The core of norm-check-leakage, shared with norm-lint:
// both passes call reportLeaks and choose the severity of the findings.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_DIALECT_NORM_TRANSFORMS_CHECKLEAKAGE_H
#define NORM_LIB_DIALECT_NORM_TRANSFORMS_CHECKLEAKAGE_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir::norm {

/// Whether `func` is an evaluation (inference) path: it has the unit
/// attribute `norm.eval`, or, unless it has `norm.train`, its symbol name
/// contains an evaluation word (see the norm-check-leakage description).
bool isEvaluationFunction(FunctionOpInterface func);

/// Runs the leakage analysis of norm-check-leakage on every evaluation
/// function nested in `root` (calls are resolved in the symbol tables above
/// each call). For each finding, `report(op)` starts the diagnostic at `op`
/// (an error or a warning: the caller decides) and the analysis streams the
/// message, with the fix, and its notes into it. Returns the number of
/// findings.
unsigned
reportLeaks(Operation *root,
            llvm::function_ref<InFlightDiagnostic(Operation *)> report);

} // namespace mlir::norm

#endif // NORM_LIB_DIALECT_NORM_TRANSFORMS_CHECKLEAKAGE_H
