//===- SpectralNormToLinalg.cpp - Lower spectral_norm to linalg -----------===//
//
// Part of norm-mlir. Lowers norm.spectral_norm to linalg on tensors and an
// scf.for of power iterations:
//
//   W  = collapse(transpose(weight, dim first))      [M, K]
//   for power_iterations (iter_args u, v):
//     v = normalize(W^T u),  u = normalize(W v)
//   sigma  = sum_{m,k} u[m] * W[m, k] * v[k]          (= u . (W v), rank 0)
//   output = weight / sigma,  new_u = u
//
// with normalize(a) = a / max(|a|, epsilon).
//
// The matrix-vector products and the norms are linalg.generic reductions.
// Everything computes in f32 for f16/bf16 weights (u and v are carried in
// f32); only the output and new_u are truncated back.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"
#include "norm/Conversion/NormToLinalg/NormToLinalg.h"
#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::detail;

/// Views `weight` as the matrix `[shape[dim], prod(other dims)]`: a
/// linalg.transpose moving `dim` first (when `dim != 0`), then a
/// tensor.collapse_shape of the other dimensions (a tensor.expand_shape to
/// `[M, 1]` for a rank-1 weight).
static Value buildWeightMatrix(OpBuilder &b, Location loc, Value weight,
                               int64_t dim) {
  auto type = cast<RankedTensorType>(weight.getType());
  int64_t rank = type.getRank();
  Value matrix = weight;
  if (dim != 0) {
    SmallVector<int64_t> permutation = {dim};
    for (int64_t i = 0; i < rank; ++i)
      if (i != dim)
        permutation.push_back(i);
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, weight);
    SmallVector<OpFoldResult> permuted =
        llvm::map_to_vector(permutation, [&](int64_t i) { return sizes[i]; });
    Value init =
        tensor::EmptyOp::create(b, loc, permuted, type.getElementType());
    matrix = linalg::TransposeOp::create(b, loc, weight, init, permutation)
                 .getResult()[0];
  }
  if (rank == 1) {
    auto matrixType =
        RankedTensorType::get({type.getDimSize(0), 1}, type.getElementType());
    SmallVector<OpFoldResult> shape = {tensor::getMixedSize(b, loc, matrix, 0),
                                       b.getIndexAttr(1)};
    return tensor::ExpandShapeOp::create(b, loc, matrixType, matrix,
                                         {ReassociationIndices{0, 1}}, shape);
  }
  if (rank == 2)
    return matrix;
  ReassociationIndices rest;
  for (int64_t i = 1; i < rank; ++i)
    rest.push_back(i);
  return tensor::CollapseShapeOp::create(b, loc, matrix,
                                         {ReassociationIndices{0}, rest});
}

/// `a / max(sqrt(sum(a^2)), epsilon)` for a rank-1 tensor `a` of the float
/// type `type`, written into `dest` (a tensor of a's type whose contents are
/// not read; passing the loop-carried tensor it replaces lets bufferization
/// update it in place).
static Value buildNormalize(OpBuilder &b, Location loc, Value a, Value dest,
                            Type type, double epsilon) {
  MLIRContext *context = b.getContext();
  AffineMap identity = b.getMultiDimIdentityMap(1);
  AffineMap toScalar = AffineMap::get(1, 0, {}, context);
  Value zero = createFilled(b, loc, {}, type, 0.0);
  Value squares =
      buildGeneric(b, loc, a, zero, {identity, toScalar},
                   {utils::IteratorType::reduction},
                   [&](OpBuilder &nb, Location l, ValueRange args) {
                     Value sq = arith::MulFOp::create(nb, l, args[0], args[0]);
                     return SmallVector<Value>{
                         arith::AddFOp::create(nb, l, args[1], sq)};
                   })
          .getResult(0);
  return buildGeneric(b, loc, ValueRange{a, squares}, dest,
                      {identity, toScalar, identity},
                      {utils::IteratorType::parallel},
                      [&](OpBuilder &nb, Location l, ValueRange args) {
                        Value norm = math::SqrtOp::create(nb, l, args[1]);
                        Value divisor = arith::MaximumFOp::create(
                            nb, l, norm, floatConstant(nb, l, type, epsilon));
                        return SmallVector<Value>{
                            arith::DivFOp::create(nb, l, args[0], divisor)};
                      })
      .getResult(0);
}

/// The product of the matrix `w` `[M, K]` with the vector `x`: `W x` (of
/// length M, `transposed` false) or `W^T x` (of length K), accumulated in
/// `type`.
static Value buildMatVec(OpBuilder &b, Location loc, Value w, Value x,
                         bool transposed, Type type) {
  MLIRContext *context = b.getContext();
  // The iteration space is (m, k); the result is indexed by m or by k.
  AffineMap identity = b.getMultiDimIdentityMap(2);
  AffineMap toM = AffineMap::get(2, 0, {getAffineDimExpr(0, context)}, context);
  AffineMap toK = AffineMap::get(2, 0, {getAffineDimExpr(1, context)}, context);
  AffineMap toInput = transposed ? toM : toK;
  AffineMap toOutput = transposed ? toK : toM;
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  if (transposed)
    std::swap(iterators[0], iterators[1]);
  Value init = createFilled(
      b, loc, {tensor::getMixedSize(b, loc, w, transposed ? 1 : 0)}, type, 0.0);
  return buildGeneric(b, loc, ValueRange{w, x}, init,
                      {identity, toInput, toOutput}, iterators,
                      [&](OpBuilder &nb, Location l, ValueRange args) {
                        Value weight = castFloat(nb, l, args[0], type);
                        Value product =
                            arith::MulFOp::create(nb, l, weight, args[1]);
                        return SmallVector<Value>{
                            arith::AddFOp::create(nb, l, args[2], product)};
                      })
      .getResult(0);
}

namespace {
/// Lowers norm.spectral_norm (see the file header).
struct SpectralNormOpLowering : OpRewritePattern<SpectralNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SpectralNormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = op.getContext();
    Value weight = op.getWeight();
    auto weightType = cast<RankedTensorType>(weight.getType());
    Type elementType = weightType.getElementType();
    Type computeType = getStatisticsElementType(elementType);
    double epsilon = op.getEpsilon().convertToDouble();

    Value w = buildWeightMatrix(rewriter, loc, weight,
                                static_cast<int64_t>(op.getDim()));
    OpFoldResult rows = tensor::getMixedSize(rewriter, loc, w, 0);
    OpFoldResult cols = tensor::getMixedSize(rewriter, loc, w, 1);
    AffineMap identity1 = rewriter.getMultiDimIdentityMap(1);

    // u in the compute type, shaped like the rows of W.
    auto uType = RankedTensorType::get(
        {cast<RankedTensorType>(w.getType()).getDimSize(0)}, computeType);
    // The loop updates its u in place, so it starts from a fresh tensor:
    // an explicit copy (a copying linalg.generic would fold away) or the
    // conversion to the compute type.
    Value u0;
    if (computeType == elementType) {
      u0 = bufferization::AllocTensorOp::create(
          rewriter, loc, cast<RankedTensorType>(op.getU().getType()),
          /*dynamicSizes=*/ValueRange(), /*copy=*/op.getU(),
          /*sizeHint=*/Value(), /*memorySpace=*/Attribute());
    } else {
      u0 = buildElementwise(rewriter, loc, op.getU(), {identity1}, {rows},
                            computeType,
                            [&](OpBuilder &b, Location l, ValueRange args) {
                              return castFloat(b, l, args[0], computeType);
                            });
    }
    u0 = castToType(rewriter, loc, u0, uType);
    Value v0 = createFilled(rewriter, loc, {cols}, computeType, 0.0);

    // The power iterations.
    Value lower = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value upper = arith::ConstantIndexOp::create(
        rewriter, loc, static_cast<int64_t>(op.getPowerIterations()));
    Value step = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto loop = scf::ForOp::create(
        rewriter, loc, lower, upper, step, ValueRange{u0, v0},
        [&](OpBuilder &b, Location l, Value, ValueRange iterArgs) {
          // The new u and v overwrite the carried ones: the old v is not
          // read, the old u only by the first product.
          Value v =
              buildNormalize(b, l,
                             buildMatVec(b, l, w, iterArgs[0],
                                         /*transposed=*/true, computeType),
                             iterArgs[1], computeType, epsilon);
          Value u = buildNormalize(
              b, l, buildMatVec(b, l, w, v, /*transposed=*/false, computeType),
              iterArgs[0], computeType, epsilon);
          scf::YieldOp::create(b, l, ValueRange{u, v});
        });
    Value u = loop.getResult(0);
    Value v = loop.getResult(1);

    // sigma = sum_{m,k} u[m] * W[m, k] * v[k].
    AffineMap identity2 = rewriter.getMultiDimIdentityMap(2);
    AffineMap toM =
        AffineMap::get(2, 0, {getAffineDimExpr(0, context)}, context);
    AffineMap toK =
        AffineMap::get(2, 0, {getAffineDimExpr(1, context)}, context);
    AffineMap toScalar2 = AffineMap::get(2, 0, {}, context);
    Value sigma =
        buildGeneric(
            rewriter, loc, ValueRange{w, u, v},
            createFilled(rewriter, loc, {}, computeType, 0.0),
            {identity2, toM, toK, toScalar2},
            {utils::IteratorType::reduction, utils::IteratorType::reduction},
            [&](OpBuilder &b, Location l, ValueRange args) {
              Value weight = castFloat(b, l, args[0], computeType);
              Value wv = arith::MulFOp::create(b, l, weight, args[2]);
              Value uwv = arith::MulFOp::create(b, l, args[1], wv);
              return SmallVector<Value>{
                  arith::AddFOp::create(b, l, args[3], uwv)};
            })
            .getResult(0);

    // output = weight / sigma.
    unsigned rank = weightType.getRank();
    Value output = buildElementwise(
        rewriter, loc, ValueRange{weight, sigma},
        {rewriter.getMultiDimIdentityMap(rank),
         AffineMap::get(rank, 0, {}, context)},
        tensor::getMixedSizes(rewriter, loc, weight), elementType,
        [&](OpBuilder &b, Location l, ValueRange args) {
          Value value = castFloat(b, l, args[0], computeType);
          Value y = arith::DivFOp::create(b, l, value, args[1]);
          return castFloat(b, l, y, elementType);
        });

    // new_u = u, back in the element type.
    Value newU = u;
    if (computeType != elementType)
      newU =
          buildElementwise(rewriter, loc, u, {identity1}, {rows}, elementType,
                           [&](OpBuilder &b, Location l, ValueRange args) {
                             return castFloat(b, l, args[0], elementType);
                           });

    rewriter.replaceOp(
        op, {castToType(rewriter, loc, output, op.getOutput().getType()),
             castToType(rewriter, loc, newU, op.getNewU().getType()),
             castToType(rewriter, loc, sigma, op.getSigma().getType())});
    return success();
  }
};
} // namespace

void mlir::norm::populateSpectralNormToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SpectralNormOpLowering>(patterns.getContext());
}
