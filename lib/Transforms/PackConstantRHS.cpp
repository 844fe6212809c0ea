//===- PackConstantRHS.cpp - Constant matmul operands in panels -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-pack-constant-rhs: rewrites a linalg.matmul whose right operand W
// [K x N] is a constant (or the transpose of one: nn.Linear through
// torch-mlir) into a contraction over W packed at compile time
// into panels [N / P x K x P], so that norm-tile-contractions reads each
// panel of P columns as one contiguous stream instead of P elements at a
// stride of N.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMPACKCONSTANTRHSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The constant right operand W [K x N] of a matmul: the bytes of its
/// elements, stored as W or (`transposed`) as W^T [N x K], the form
/// torch-mlir gives nn.Linear (`linalg.transpose` of the constant weight).
struct ConstantRHS {
  RankedTensorType storedType;
  /// Every element, contiguous (one element for a splat).
  ArrayRef<char> raw;
  bool splat = false;
  bool transposed = false;
};

/// `rhs` (W [K x N]) as [N / width x K x width]: element (j, k, jj) is
/// W[k, j * width + jj]. Permutes the element bytes.
static DenseElementsAttr packPanels(const ConstantRHS &rhs, int64_t width) {
  RankedTensorType type = rhs.storedType;
  int64_t k = type.getDimSize(rhs.transposed ? 1 : 0);
  int64_t n = type.getDimSize(rhs.transposed ? 0 : 1);
  auto packedType =
      RankedTensorType::get({n / width, k, width}, type.getElementType());
  if (rhs.splat)
    return DenseElementsAttr::getFromRawBuffer(packedType, rhs.raw);
  size_t elementBytes = type.getElementTypeBitWidth() / 8;
  SmallVector<char> packed(rhs.raw.size());
  auto out = packed.begin();
  for (int64_t panel = 0; panel < n / width; ++panel) {
    for (int64_t row = 0; row < k; ++row) {
      if (!rhs.transposed) {
        size_t first = (row * n + panel * width) * elementBytes;
        out = std::copy_n(rhs.raw.begin() + first, width * elementBytes, out);
        continue;
      }
      for (int64_t column = 0; column < width; ++column) {
        size_t element = ((panel * width + column) * k + row) * elementBytes;
        out = std::copy_n(rhs.raw.begin() + element, elementBytes, out);
      }
    }
  }
  return DenseElementsAttr::getFromRawBuffer(packedType, packed);
}

/// The element bytes of the constant `value`: a dense literal, or a
/// `dense_resource` blob (how torch-mlir stores weights) that is present.
static std::optional<ConstantRHS> getConstantBytes(Value value) {
  auto constant = value.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  ConstantRHS rhs;
  rhs.storedType = dyn_cast<RankedTensorType>(constant.getType());
  if (!rhs.storedType || rhs.storedType.getRank() != 2)
    return std::nullopt;
  size_t bytes = rhs.storedType.getNumElements() *
                 rhs.storedType.getElementTypeBitWidth() / 8;
  if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue())) {
    rhs.raw = dense.getRawData();
    rhs.splat = dense.isSplat();
    return rhs;
  }
  auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue());
  AsmResourceBlob *blob =
      resource ? resource.getRawHandle().getBlob() : nullptr;
  if (!blob || blob->getData().size() != bytes)
    return std::nullopt;
  rhs.raw = blob->getData();
  return rhs;
}

/// The constant behind `value`: an arith.constant, or a 2-D
/// `linalg.transpose` (permutation [1, 0]) of one.
static std::optional<ConstantRHS> matchConstantRHS(Value value) {
  if (std::optional<ConstantRHS> rhs = getConstantBytes(value))
    return rhs;
  auto transpose = value.getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose.hasPureTensorSemantics() ||
      transpose.getPermutation() != ArrayRef<int64_t>{1, 0})
    return std::nullopt;
  std::optional<ConstantRHS> rhs = getConstantBytes(transpose.getInput());
  if (rhs)
    rhs->transposed = true;
  return rhs;
}

/// The constant right operand of `matmul` when the pass packs it: a plain
/// matmul (default maps, one float element type, static shapes) whose N is
/// a multiple of `width` and larger than it.
static std::optional<ConstantRHS> getPackableRHS(linalg::MatmulOp matmul,
                                                 int64_t width) {
  if (!matmul.hasPureTensorSemantics() || matmul.hasUserDefinedMaps())
    return std::nullopt;
  auto lhsType = dyn_cast<RankedTensorType>(matmul.getInputs()[0].getType());
  auto rhsType = dyn_cast<RankedTensorType>(matmul.getInputs()[1].getType());
  auto outType = dyn_cast<RankedTensorType>(matmul.getOutputs()[0].getType());
  if (!lhsType || !rhsType || !outType || !lhsType.hasStaticShape() ||
      !rhsType.hasStaticShape() || !outType.hasStaticShape())
    return std::nullopt;
  Type elementType = rhsType.getElementType();
  if (!isa<FloatType>(elementType) || elementType.getIntOrFloatBitWidth() % 8 ||
      lhsType.getElementType() != elementType ||
      outType.getElementType() != elementType)
    return std::nullopt;
  int64_t n = rhsType.getDimSize(1);
  if (n % width != 0 || n <= width)
    return std::nullopt;
  return matchConstantRHS(matmul.getInputs()[1]);
}

/// Replaces `matmul` by the contraction over the packed constant.
static tensor::CollapseShapeOp packRHS(RewriterBase &rewriter,
                                       linalg::MatmulOp matmul,
                                       const ConstantRHS &rhs, int64_t width) {
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
  auto result = tensor::CollapseShapeOp::create(
      rewriter, loc, outType, generic.getResult(0), reassociation);
  Operation *oldRHS = matmul.getInputs()[1].getDefiningOp();
  rewriter.replaceOp(matmul, result.getResult());
  // The transpose of the weight no longer runs at every call.
  if (isa_and_present<linalg::TransposeOp>(oldRHS) && oldRHS->use_empty())
    rewriter.eraseOp(oldRHS);
  return result;
}

/// Rewrites the elementwise consumers of the packed results (`collapses`)
/// over the packed shape [M x N / P x P] (upstream's fold of reshapes by
/// expansion), the result collapsed after them instead: otherwise the
/// collapse stands between the contraction and, e.g., FlashNorm's row
/// scaling, and norm-tile-and-fuse-rows, which does not fuse through
/// reshapes, tiles them as separate loops (the contraction's result then
/// goes to memory and back).
static void
foldIntoElementwiseConsumers(ArrayRef<tensor::CollapseShapeOp> collapses) {
  llvm::SmallPtrSet<Operation *, 4> packed;
  SmallVector<Operation *> consumers;
  for (tensor::CollapseShapeOp collapse : collapses) {
    packed.insert(collapse);
    for (Operation *user : collapse->getUsers())
      if (isa<linalg::GenericOp>(user))
        consumers.push_back(user);
  }
  if (consumers.empty())
    return;
  MLIRContext *context = consumers.front()->getContext();
  RewritePatternSet patterns(context);
  linalg::populateFoldReshapeOpsByExpansionPatterns(
      patterns, [&](OpOperand *fused) {
        auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
        return consumer && packed.contains(fused->get().getDefiningOp()) &&
               consumer.getNumLoops() == consumer.getNumParallelLoops();
      });
  GreedyRewriteConfig config;
  config.setStrictness(GreedyRewriteStrictness::ExistingOps);
  (void)applyOpPatternsGreedily(consumers, std::move(patterns), config);
}

namespace {
struct PackConstantRHSPass
    : public norm::impl::NormPackConstantRHSPassBase<PackConstantRHSPass> {
  using Base::Base;

  void runOnOperation() override {
    if (panelWidth <= 1)
      return;
    SmallVector<std::pair<linalg::MatmulOp, ConstantRHS>> matmuls;
    getOperation().walk([&](linalg::MatmulOp matmul) {
      if (std::optional<ConstantRHS> rhs = getPackableRHS(matmul, panelWidth))
        matmuls.push_back({matmul, *rhs});
    });
    IRRewriter rewriter(&getContext());
    SmallVector<tensor::CollapseShapeOp> collapses;
    for (auto [matmul, rhs] : matmuls)
      collapses.push_back(packRHS(rewriter, matmul, rhs, panelWidth));
    foldIntoElementwiseConsumers(collapses);
  }
};
} // namespace
