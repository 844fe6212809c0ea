//===- NormOps.h - Operations of the norm dialect ---------------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMOPS_H
#define NORM_DIALECT_NORM_IR_NORMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "norm/Dialect/Norm/IR/NormAttrs.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"

namespace mlir::norm {
/// The element type statistics of `elementType` are kept in: f32 for f16 and
/// bf16 (they accumulate in f32), else the element type itself.
Type getStatisticsElementType(Type elementType);
} // namespace mlir::norm

#define GET_OP_CLASSES
#include "norm/Dialect/Norm/IR/NormOps.h.inc"

#endif // NORM_DIALECT_NORM_IR_NORMOPS_H
