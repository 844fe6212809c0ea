//===- ShardingUtils.cpp - Checks shared by the sharding models -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "ShardingUtils.h"

using namespace mlir;

LogicalResult mlir::norm::verifyEvenSplit(Operation *op,
                                          const shard::Sharding &sharding,
                                          RankedTensorType type, StringRef what,
                                          SymbolTableCollection &symbolTable) {
  if (!sharding)
    return success();
  shard::GridOp grid = shard::getGrid(op, sharding.getGridAttr(), symbolTable);
  if (!grid)
    return success(); // upstream reports an unknown grid
  for (auto [dim, gridAxes] : llvm::enumerate(sharding.getSplitAxes())) {
    if (gridAxes.empty() || dim >= static_cast<size_t>(type.getRank()))
      continue;
    int64_t size = type.getDimSize(dim);
    int64_t parts = shard::collectiveProcessGroupSize(gridAxes.asArrayRef(),
                                                      grid.getShape());
    if (ShapedType::isDynamic(size) || ShapedType::isDynamic(parts) ||
        parts <= 0 || size % parts == 0)
      continue;
    return op->emitOpError()
           << "cannot be partitioned: " << what << " splits dimension " << dim
           << " of size " << size << " into " << parts
           << " parts of different sizes; only even splits of a static "
              "dimension are supported (a dynamic one is split by the caller)";
  }
  return success();
}
