//===- ShardingUtils.h - Checks shared by the sharding models ---*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_DIALECT_NORM_TRANSFORMS_SHARDINGUTILS_H
#define LIB_DIALECT_NORM_TRANSFORMS_SHARDINGUTILS_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"

namespace mlir {
namespace norm {

/// Fails, with an error on `op` naming `what`, when `sharding` splits a
/// static dimension of `type` into parts of different sizes: upstream
/// partitioning gives every process size / parts rows and drops the rest,
/// so statistics over the batch would silently miss samples. A dynamic
/// dimension is the caller's (each process passes its own part).
LogicalResult verifyEvenSplit(Operation *op, const shard::Sharding &sharding,
                              RankedTensorType type, StringRef what,
                              SymbolTableCollection &symbolTable);

} // namespace norm
} // namespace mlir

#endif // LIB_DIALECT_NORM_TRANSFORMS_SHARDINGUTILS_H
