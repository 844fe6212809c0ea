//===- LoweringUtils.h - Builders shared by the norm lowerings --*- C++ -*-===//
//
// Part of norm-mlir. Small builders (constants, float casts, filled tensors,
// linalg.generic, affine maps and dimension masks, element counts, channel
// split/merge reshapes) shared by the norm lowerings. Private to
// lib/Conversion/NormToLinalg; the non-inline ones are in LoweringUtils.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef LIB_CONVERSION_NORMTOLINALG_LOWERINGUTILS_H
#define LIB_CONVERSION_NORMTOLINALG_LOWERINGUTILS_H

#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::norm::detail {

/// A scalar float constant of type `type`.
inline Value floatConstant(OpBuilder &b, Location loc, Type type,
                           double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// Casts the tensor `value` to `type` when they differ only in how static
/// their shapes are.
inline Value castToType(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return tensor::CastOp::create(b, loc, type, value);
}

/// A `tensor.empty` of `sizes` and `elementType` filled with `value`.
inline Value createFilled(OpBuilder &b, Location loc,
                          ArrayRef<OpFoldResult> sizes, Type elementType,
                          double value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, elementType);
  Value constant = floatConstant(b, loc, elementType, value);
  return linalg::FillOp::create(b, loc, ValueRange{constant}, ValueRange{empty})
      .getResult(0);
}

/// Builds a linalg.generic whose payload `body` maps the block arguments
/// (inputs, then outputs) to the yielded values.
inline linalg::GenericOp buildGeneric(
    OpBuilder &b, Location loc, ValueRange inputs, ValueRange outputs,
    ArrayRef<AffineMap> maps, ArrayRef<utils::IteratorType> iterators,
    function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)> body) {
  return linalg::GenericOp::create(
      b, loc, TypeRange(outputs), inputs, outputs, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args));
      });
}

/// An elementwise linalg.generic over a rank-`rank` space: `inputMaps` read
/// the inputs, the output (`tensor.empty` of `sizes` and `elementType`) uses
/// the identity; `body` computes the output scalar from the input scalars.
inline Value
buildElementwise(OpBuilder &b, Location loc, ValueRange inputs,
                 ArrayRef<AffineMap> inputMaps, ArrayRef<OpFoldResult> sizes,
                 Type elementType,
                 function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  unsigned rank = sizes.size();
  Value init = tensor::EmptyOp::create(b, loc, sizes, elementType);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return buildGeneric(b, loc, inputs, init, maps, iterators,
                      [&](OpBuilder &nb, Location nloc, ValueRange args) {
                        return SmallVector<Value>{
                            body(nb, nloc, args.drop_back())};
                      })
      .getResult(0);
}

/// The map from a rank-`rank` iteration space to its dimensions `dims`.
AffineMap projection(MLIRContext *context, unsigned rank,
                     ArrayRef<int64_t> dims);

/// The mask of `dims` in a space of rank `rank`: true exactly at `dims`.
SmallVector<bool> maskOf(ArrayRef<int64_t> dims, unsigned rank);

/// The dimensions where `mask` is false, in increasing order.
SmallVector<int64_t> unmaskedDims(ArrayRef<bool> mask);

/// The reassociation between statistics indexed by the dimensions where
/// `reduced` is false (in order) and the same values with the reduced
/// dimensions kept as 1s (keepdims): each reduced dimension joins the group
/// of the kept dimension before it, or of the first one when it leads. Empty
/// when every dimension is reduced (rank 0).
SmallVector<ReassociationIndices>
getKeepDimsReassociation(ArrayRef<bool> reduced);

/// The number of elements of `x` in the dimensions `dims` (multiplied in
/// that order), as a scalar of the float type `type` (a constant for static
/// sizes).
Value buildCount(OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> dims,
                 Type type);

/// The number of elements of `x` in the dimensions where `reduced` is true,
/// as a scalar of the float type `type` (see buildCount).
Value buildReducedCount(OpBuilder &b, Location loc, Value x,
                        ArrayRef<bool> reduced, Type type);

/// The slice of `value` holding at most its first element along the
/// dimensions where `reduced` is true (size min(1, size) there, all of the
/// others): summed over those dimensions, the first element of each index
/// of the others, or 0 where there is none (a shift for sums over data).
Value sliceFirstElements(OpBuilder &b, Location loc, Value value,
                         ArrayRef<bool> reduced);

/// Splits dimension `axis` of `value` (of size C) into [groups, C / groups]
/// with tensor.expand_shape.
Value splitChannels(OpBuilder &b, Location loc, Value value, int64_t axis,
                    int64_t groups);

/// Merges dimensions `axis` and `axis + 1` of `value` again
/// (tensor.collapse_shape), the inverse of splitChannels.
Value mergeChannels(OpBuilder &b, Location loc, Value value, int64_t axis);

} // namespace mlir::norm::detail

#endif // LIB_CONVERSION_NORMTOLINALG_LOWERINGUTILS_H
