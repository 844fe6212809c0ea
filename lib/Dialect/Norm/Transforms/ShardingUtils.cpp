//===- ShardingUtils.cpp - Checks shared by the sharding models -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "ShardingUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/MapVector.h"

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

/// allReducePacked of rank-0/1 `values` of one `elementType`.
static SmallVector<Value> allReduceOnePack(OpBuilder &b, Location loc,
                                           ArrayRef<Value> values,
                                           Type elementType, StringRef grid,
                                           ArrayRef<shard::GridAxis> gridAxes,
                                           shard::ReductionKind kind) {
  if (values.size() == 1)
    return {
        shard::AllReduceOp::create(b, loc, values.front(), grid, gridAxes, kind)
            .getResult()};
  // Offsets and sizes of the values in the packed vector (a rank-0 value
  // takes one element).
  SmallVector<OpFoldResult> offsets, sizes;
  OpFoldResult offset = b.getIndexAttr(0);
  auto add = [&](OpFoldResult lhs, OpFoldResult rhs) -> OpFoldResult {
    std::optional<int64_t> l = getConstantIntValue(lhs),
                           r = getConstantIntValue(rhs);
    if (l && r)
      return b.getIndexAttr(*l + *r);
    return arith::AddIOp::create(b, loc,
                                 getValueOrCreateConstantIndexOp(b, loc, lhs),
                                 getValueOrCreateConstantIndexOp(b, loc, rhs))
        .getResult();
  };
  for (Value value : values) {
    auto type = cast<RankedTensorType>(value.getType());
    OpFoldResult size = type.getRank() == 0
                            ? b.getIndexAttr(1)
                            : tensor::getMixedSize(b, loc, value, 0);
    offsets.push_back(offset);
    sizes.push_back(size);
    offset = add(offset, size);
  }
  Value packed = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{offset},
                                         elementType);
  OpFoldResult one = b.getIndexAttr(1);
  for (auto [value, at, size] : llvm::zip(values, offsets, sizes)) {
    Value vector = value;
    if (cast<RankedTensorType>(value.getType()).getRank() == 0)
      vector = tensor::FromElementsOp::create(
          b, loc, RankedTensorType::get({1}, elementType),
          ValueRange{tensor::ExtractOp::create(b, loc, value, ValueRange{})});
    packed = tensor::InsertSliceOp::create(
        b, loc, vector, packed, ArrayRef<OpFoldResult>{at},
        ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{one});
  }
  Value reduced =
      shard::AllReduceOp::create(b, loc, packed, grid, gridAxes, kind)
          .getResult();
  SmallVector<Value> results;
  for (auto [value, at, size] : llvm::zip(values, offsets, sizes)) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() == 0) {
      Value element = tensor::ExtractOp::create(
          b, loc, reduced,
          ValueRange{getValueOrCreateConstantIndexOp(b, loc, at)});
      results.push_back(
          tensor::FromElementsOp::create(b, loc, type, ValueRange{element}));
      continue;
    }
    results.push_back(tensor::ExtractSliceOp::create(
        b, loc, type, reduced, ArrayRef<OpFoldResult>{at},
        ArrayRef<OpFoldResult>{size}, ArrayRef<OpFoldResult>{one}));
  }
  return results;
}

SmallVector<Value>
mlir::norm::allReducePacked(OpBuilder &b, Location loc, ArrayRef<Value> values,
                            StringRef grid, ArrayRef<shard::GridAxis> gridAxes,
                            shard::ReductionKind kind) {
  // One pack per element type, of the rank-0 and rank-1 values; a value of
  // higher rank (statistics over several kept dimensions) is reduced alone.
  SmallVector<Value> results(values.size());
  llvm::MapVector<Type, SmallVector<unsigned>> packs;
  for (auto [index, value] : llvm::enumerate(values)) {
    if (cast<RankedTensorType>(value.getType()).getRank() > 1)
      results[index] =
          shard::AllReduceOp::create(b, loc, value, grid, gridAxes, kind)
              .getResult();
    else
      packs[getElementTypeOrSelf(value.getType())].push_back(index);
  }
  for (const auto &[elementType, indices] : packs) {
    SmallVector<Value> pack;
    for (unsigned index : indices)
      pack.push_back(values[index]);
    for (auto [index, reduced] :
         llvm::zip(indices, allReduceOnePack(b, loc, pack, elementType, grid,
                                             gridAxes, kind)))
      results[index] = reduced;
  }
  return results;
}

FailureOr<shard::ShardingOption>
mlir::norm::replicateWhenUnannotated(Operation *op,
                                     FailureOr<shard::ShardingOption> option) {
  if (failed(option) || !option->empty)
    return option;
  FlatSymbolRefAttr grid;
  Operation *function = op->getParentOfType<FunctionOpInterface>();
  if (!function)
    return option;
  function->walk([&](shard::ShardingOp sharding) {
    grid = sharding.getGridAttr();
    return WalkResult::interrupt();
  });
  if (!grid)
    return option;
  return shard::ShardingOption({}, grid);
}

LogicalResult
mlir::norm::checkPartitionedOperands(Operation *op,
                                     ArrayRef<Value> partitionedOperands) {
  for (auto [index, operand] : llvm::enumerate(partitionedOperands))
    if (!operand)
      return op->emitOpError()
             << "cannot be partitioned: operand #" << index
             << " could not be resharded to the op's sharding (a move "
                "between grids or grid axes that shard-partition does not "
                "support)";
  return success();
}

Value mlir::norm::buildElementCount(OpBuilder &b, Location loc, Value input,
                                    ArrayRef<int64_t> dims, Type type) {
  Value count = arith::ConstantIndexOp::create(b, loc, 1);
  for (int64_t dim : dims)
    count = arith::MulIOp::create(b, loc, count,
                                  tensor::DimOp::create(b, loc, input, dim));
  Value countFloat = arith::UIToFPOp::create(
      b, loc, type,
      arith::IndexCastUIOp::create(b, loc, b.getI64Type(), count));
  return tensor::FromElementsOp::create(b, loc, RankedTensorType::get({}, type),
                                        countFloat);
}

Value mlir::norm::selectIfNonEmpty(OpBuilder &b, Location loc, Value count,
                                   Value value) {
  Value zero = arith::ConstantOp::create(b, loc, value.getType(),
                                         b.getFloatAttr(value.getType(), 0.0));
  Value nonEmpty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, count, zero);
  return arith::SelectOp::create(b, loc, nonEmpty, value, zero);
}

FailureOr<shard::ShardingOption> mlir::norm::getUpstreamShardingOption(
    Operation *op, ArrayRef<shard::Sharding> operandShardings,
    ArrayRef<shard::Sharding> resultShardings) {
  FailureOr<shard::ShardingOption> option =
      shard::detail::defaultGetShardingOption(op, operandShardings,
                                              resultShardings);
  if (succeeded(option) && option->empty &&
      llvm::any_of(llvm::concat<const shard::Sharding>(operandShardings,
                                                       resultShardings),
                   [](const shard::Sharding &sharding) {
                     return static_cast<bool>(sharding);
                   }))
    option->empty = false;
  return option;
}

FailureOr<shard::ShardingOption> mlir::norm::getDefaultShardingOption(
    Operation *op, ArrayRef<shard::Sharding> operandShardings,
    ArrayRef<shard::Sharding> resultShardings) {
  return replicateWhenUnannotated(
      op, getUpstreamShardingOption(op, operandShardings, resultShardings));
}
