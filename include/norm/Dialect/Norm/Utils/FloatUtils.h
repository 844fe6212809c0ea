//===- FloatUtils.h - Scalar float conversions for payloads -----*- C++ -*-===//
//
// Part of norm-mlir. Conversions between float element types inside
// payloads (linalg.generic bodies, GPU kernels), shared by the lowerings and
// the fusion passes.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_UTILS_FLOATUTILS_H
#define NORM_DIALECT_NORM_UTILS_FLOATUTILS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

namespace mlir::norm {

/// Converts the scalar float `value` to the float type `to` (extf, truncf,
/// or through f32 between two formats of the same width, f16 and bf16).
inline Value castFloat(OpBuilder &b, Location loc, Value value, Type to) {
  Type from = value.getType();
  if (from == to)
    return value;
  unsigned fromWidth = from.getIntOrFloatBitWidth();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromWidth < toWidth)
    return arith::ExtFOp::create(b, loc, to, value);
  if (fromWidth > toWidth)
    return arith::TruncFOp::create(b, loc, to, value);
  Value wide = arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, to, wide);
}

} // namespace mlir::norm

#endif // NORM_DIALECT_NORM_UTILS_FLOATUTILS_H
