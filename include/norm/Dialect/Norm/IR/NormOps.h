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

/// The most bytes a value of a norm op may hold (256 TiB): larger than any
/// buffer a machine allocates, small enough that the byte counts the
/// lowerings multiply by tile sizes do not overflow 64 bits (a dimension
/// of 2^62 made a tile size a division by zero, and a loop over channel
/// blocks endless).
inline constexpr int64_t kMaxValueBytes = int64_t(1) << 48;

/// Fails, naming the operand or result, when a shaped operand or result of
/// `op` with static sizes holds more than kMaxValueBytes bytes.
LogicalResult verifyAddressableShapes(Operation *op);

namespace OpTrait {
template <typename ConcreteType>
class AddressableShapes
    : public ::mlir::OpTrait::TraitBase<ConcreteType, AddressableShapes> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return verifyAddressableShapes(op);
  }
};
} // namespace OpTrait
} // namespace mlir::norm

#define GET_OP_CLASSES
#include "norm/Dialect/Norm/IR/NormOps.h.inc"

#endif // NORM_DIALECT_NORM_IR_NORMOPS_H
