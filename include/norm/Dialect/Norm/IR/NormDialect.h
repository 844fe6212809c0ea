//===- NormDialect.h - The norm dialect -------------------------*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMDIALECT_H
#define NORM_DIALECT_NORM_IR_NORMDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Dialect.h"

#include "norm/Dialect/Norm/IR/NormDialect.h.inc"

#endif // NORM_DIALECT_NORM_IR_NORMDIALECT_H
