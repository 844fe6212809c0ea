//===- NormAttrs.h - Attributes of the norm dialect -------------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMATTRS_H
#define NORM_DIALECT_NORM_IR_NORMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"

#include "norm/Dialect/Norm/IR/NormEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "norm/Dialect/Norm/IR/NormAttrs.h.inc"

namespace mlir::norm {
/// Parses the body of an activation, `relu` or `leaky_relu(0.2)`.
FailureOr<ActivationAttr> parseActivationBody(AsmParser &parser);
/// Prints the body of an activation, the inverse of parseActivationBody.
void printActivationBody(AsmPrinter &printer, ActivationAttr activation);
} // namespace mlir::norm

#endif // NORM_DIALECT_NORM_IR_NORMATTRS_H
