//===- PackConstantRHS.cpp - Constant matmul operands in panels -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-pack-constant-rhs: rewrites a linalg.matmul whose right operand W
// [K x N] is a constant into a contraction over W packed at compile time
// into panels [N / P x K x P], so that norm-tile-contractions reads each
// panel of P columns as one contiguous stream instead of P elements at a
// stride of N.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMPACKCONSTANTRHSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// `value` [K x N] as [N / width x K x width]: element (j, k, jj) is
/// value[k, j * width + jj]. Permutes the raw element bytes (every dense
/// float attribute stores its elements contiguously).
static DenseElementsAttr packPanels(DenseElementsAttr value, int64_t width) {
  auto type = cast<RankedTensorType>(value.getType());
  int64_t k = type.getDimSize(0), n = type.getDimSize(1);
  auto packedType =
      RankedTensorType::get({n / width, k, width}, type.getElementType());
  if (value.isSplat())
    return value.reshape(packedType);
  size_t elementBytes = type.getElementTypeBitWidth() / 8;
  ArrayRef<char> raw = value.getRawData();
  SmallVector<char> packed(raw.size());
  size_t out = 0;
  for (int64_t panel = 0; panel < n / width; ++panel)
    for (int64_t row = 0; row < k; ++row) {
      size_t in = (row * n + panel * width) * elementBytes;
      std::copy_n(raw.begin() + in, width * elementBytes, packed.begin() + out);
      out += width * elementBytes;
    }
  return DenseElementsAttr::getFromRawBuffer(packedType, packed);
}

/// The constant right operand of `matmul` when the pass packs it: a plain
/// matmul (default maps, one float element type, static shapes) whose N is
/// a multiple of `width` and larger than it.
static DenseElementsAttr getPackableRHS(linalg::MatmulOp matmul,
                                        int64_t width) {
  if (!matmul.hasPureTensorSemantics() || matmul.hasUserDefinedMaps())
    return {};
  auto lhsType = dyn_cast<RankedTensorType>(matmul.getInputs()[0].getType());
  auto rhsType = dyn_cast<RankedTensorType>(matmul.getInputs()[1].getType());
  auto outType = dyn_cast<RankedTensorType>(matmul.getOutputs()[0].getType());
  if (!lhsType || !rhsType || !outType || !lhsType.hasStaticShape() ||
      !rhsType.hasStaticShape() || !outType.hasStaticShape())
    return {};
  Type elementType = rhsType.getElementType();
  if (!isa<FloatType>(elementType) || elementType.getIntOrFloatBitWidth() % 8 ||
      lhsType.getElementType() != elementType ||
      outType.getElementType() != elementType)
    return {};
  int64_t n = rhsType.getDimSize(1);
  if (n % width != 0 || n <= width)
    return {};
  DenseElementsAttr value;
  if (!matchPattern(matmul.getInputs()[1], m_Constant(&value)))
    return {};
  return value;
}

/// Replaces `matmul` by the contraction over the packed constant.
static void packRHS(RewriterBase &rewriter, linalg::MatmulOp matmul,
                    DenseElementsAttr rhs, int64_t width) {
  Location loc = matmul.getLoc();
  MLIRContext *context = rewriter.getContext();
  Value lhs = matmul.getInputs()[0];
  Value init = matmul.getOutputs()[0];
  auto outType = cast<RankedTensorType>(init.getType());
  int64_t m = outType.getDimSize(0), n = outType.getDimSize(1);

  rewriter.setInsertionPoint(matmul);
  DenseElementsAttr packedValue = packPanels(rhs, width);
  Value packed = arith::ConstantOp::create(rewriter, loc, packedValue);
  auto expandedType =
      RankedTensorType::get({m, n / width, width}, outType.getElementType());
  SmallVector<ReassociationIndices> reassociation = {{0}, {1, 2}};
  Value expanded = tensor::ExpandShapeOp::create(rewriter, loc, expandedType,
                                                 init, reassociation);

  // (i, j, jj, k): lhs (i, k), packed (j, k, jj), result (i, j, jj).
  AffineExpr i, j, jj, k;
  bindDims(context, i, j, jj, k);
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {i, k}, context),
                                 AffineMap::get(4, 0, {j, k, jj}, context),
                                 AffineMap::get(4, 0, {i, j, jj}, context)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{expandedType}, ValueRange{lhs, packed},
      ValueRange{expanded}, maps, iterators,
      [](OpBuilder &b, Location nested, ValueRange args) {
        Value product = arith::MulFOp::create(b, nested, args[0], args[1]);
        Value sum = arith::AddFOp::create(b, nested, args[2], product);
        linalg::YieldOp::create(b, nested, sum);
      });
  Value result = tensor::CollapseShapeOp::create(
      rewriter, loc, outType, generic.getResult(0), reassociation);
  rewriter.replaceOp(matmul, result);
}

namespace {
struct PackConstantRHSPass
    : public norm::impl::NormPackConstantRHSPassBase<PackConstantRHSPass> {
  using Base::Base;

  void runOnOperation() override {
    if (panelWidth <= 1)
      return;
    SmallVector<std::pair<linalg::MatmulOp, DenseElementsAttr>> matmuls;
    getOperation().walk([&](linalg::MatmulOp matmul) {
      if (DenseElementsAttr rhs = getPackableRHS(matmul, panelWidth))
        matmuls.push_back({matmul, rhs});
    });
    IRRewriter rewriter(&getContext());
    for (auto [matmul, rhs] : matmuls)
      packRHS(rewriter, matmul, rhs, panelWidth);
  }
};
} // namespace
