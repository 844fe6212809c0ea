//===- RuntimeOpVerification.cpp - Run-time checks of norm ops ------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// The verifiers check that a weight is as long as the normalized dimension,
// a residual has the input's shape, per-channel statistics are as many as
// the channels; with a dynamic size on either side they cannot, and the
// lowering indexes the operand by the input's size: a weight of 8 elements
// for rows of 64 was read past its end (silent garbage, found 2026-11-29).
// These models emit, per pair of tied sizes of which one is dynamic, a
// cf.assert that they are equal.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/RuntimeOpVerification.h"
#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/RuntimeVerifiableOpInterface.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::norm;

namespace {
/// A dimension of an operand that must have the size of a dimension of a
/// reference value (the input, or the weight of spectral_norm), or, with a
/// null reference, the constant `referenceDim` (`referenceName` says what
/// it is).
struct TiedSize {
  StringRef what;
  Value operand;
  int64_t dim;
  StringRef referenceName;
  Value reference;
  int64_t referenceDim;
};

/// Collects the tied sizes of one op; `reference` is the value the others
/// are sized after.
class TiedSizes {
public:
  TiedSizes(StringRef referenceName, Value reference)
      : referenceName(referenceName), reference(reference) {}

  /// Every dimension of `operand` tied to the same of the reference.
  void sameShape(StringRef what, Value operand) {
    if (!operand)
      return;
    int64_t rank = cast<RankedTensorType>(operand.getType()).getRank();
    for (int64_t dim = 0; dim < rank; ++dim)
      add(what, operand, dim, dim);
  }
  /// Dimension i of `operand` tied to dimension dims[i] of the reference.
  void selected(StringRef what, Value operand, ArrayRef<int64_t> dims) {
    if (!operand)
      return;
    for (auto [dim, referenceDim] : llvm::enumerate(dims))
      add(what, operand, dim, referenceDim);
  }
  /// The reference's dimensions but `axes`, in order (statistics reduced
  /// over `axes`; with `keep`, the reduced dimensions are there, of size 1:
  /// the backward ops accept a `?` there and cast it to 1).
  void reduced(StringRef what, Value operand, ArrayRef<int64_t> axes,
               bool keep) {
    if (!operand)
      return;
    int64_t rank = cast<RankedTensorType>(reference.getType()).getRank();
    int64_t dim = 0;
    for (int64_t referenceDim = 0; referenceDim < rank; ++referenceDim) {
      bool isReduced = llvm::is_contained(axes, referenceDim);
      if (!isReduced)
        add(what, operand, dim++, referenceDim);
      else if (keep)
        constant(what, operand, dim++, 1, "1");
    }
  }
  /// Dimension 0 of each of `operands` tied to the channels, dimension
  /// `axis` of the reference (per-channel parameters and statistics).
  void perChannel(int64_t axis,
                  std::initializer_list<std::pair<StringRef, Value>> operands) {
    for (auto [what, operand] : operands)
      selected(what, operand, {axis});
  }
  /// Dimension `dim` of `operand` of the constant size `size`.
  void constant(StringRef what, Value operand, int64_t dim, int64_t size,
                StringRef name) {
    if (operand)
      sizes.push_back({what, operand, dim, name, Value(), size});
  }

  ArrayRef<TiedSize> get() const { return sizes; }

private:
  void add(StringRef what, Value operand, int64_t dim, int64_t referenceDim) {
    sizes.push_back(
        {what, operand, dim, referenceName, reference, referenceDim});
  }

  StringRef referenceName;
  Value reference;
  SmallVector<TiedSize> sizes;
};

/// The sizes of a batch normalization's per-channel operands.
template <typename OpTy>
static void collectChannelOperands(OpTy op, TiedSizes &sizes, int64_t axis) {
  sizes.perChannel(axis, {{"'running_mean'", op.getRunningMean()},
                          {"'running_var'", op.getRunningVar()},
                          {"'weight'", op.getWeight()},
                          {"'bias'", op.getBias()}});
}

/// The operands of a backward op of the input's shape.
template <typename OpTy>
static void collectInputShaped(OpTy op, TiedSizes &sizes) {
  sizes.sameShape("'grad_output'", op.getGradOutput());
  sizes.sameShape("'residual'", op.getResidual());
  sizes.sameShape("'residual_sum_grad'", op.getResidualSumGrad());
}

/// The tied sizes of `op`'s operands (none for ops without such ties).
static SmallVector<TiedSize> getTiedSizes(Operation *op) {
  std::optional<TiedSizes> sizes;
  auto forInput = [&](Value input) -> TiedSizes & {
    return sizes.emplace("the input", input);
  };
  llvm::TypeSwitch<Operation *>(op)
      .Case([&](LayerNormOp op) {
        TiedSizes &s = forInput(op.getInput());
        s.selected("'weight'", op.getWeight(), op.getAxes());
        s.selected("'bias'", op.getBias(), op.getAxes());
        s.sameShape("'residual'", op.getResidual());
      })
      .Case([&](RMSNormOp op) {
        TiedSizes &s = forInput(op.getInput());
        s.selected("'weight'", op.getWeight(), op.getAxes());
        s.sameShape("'residual'", op.getResidual());
      })
      .Case([&](BatchNormInferenceOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectChannelOperands(op, s, op.getFeatureAxis());
        s.sameShape("'residual'", op.getResidual());
      })
      .Case([&](BatchNormTrainingOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectChannelOperands(op, s, op.getFeatureAxis());
        s.sameShape("'residual'", op.getResidual());
      })
      .Case([&](InplaceABNOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectChannelOperands(op, s, op.getFeatureAxis());
      })
      .Case([&](GroupNormOp op) {
        TiedSizes &s = forInput(op.getInput());
        s.perChannel(op.getChannelAxis(),
                     {{"'weight'", op.getWeight()}, {"'bias'", op.getBias()}});
        s.sameShape("'residual'", op.getResidual());
      })
      .Case([&](SpectralNormOp op) {
        TiedSizes &s = sizes.emplace("'weight'", op.getWeight());
        s.selected("'u'", op.getU(), {static_cast<int64_t>(op.getDim())});
      })
      .Case([&](StandardizeOp op) {
        TiedSizes &s = forInput(op.getInput());
        s.reduced("'mean'", op.getMean(), op.getAxes(), /*keep=*/false);
        s.reduced("'std'", op.getStd(), op.getAxes(), /*keep=*/false);
      })
      .Case([&](MinMaxScaleOp op) {
        TiedSizes &s = forInput(op.getInput());
        s.reduced("'min'", op.getMin(), op.getAxes(), /*keep=*/false);
        s.reduced("'max'", op.getMax(), op.getAxes(), /*keep=*/false);
      })
      .Case([&](ImageNormalizeOp op) {
        TiedSizes &s = forInput(op.getInput());
        s.perChannel(op.getChannelAxis(),
                     {{"'mean'", op.getMean()}, {"'std'", op.getStd()}});
      })
      .Case([&](LayerNormGradOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectInputShaped(op, s);
        s.reduced("'mean'", op.getMean(), op.getAxes(), /*keep=*/true);
        s.reduced("'rstd'", op.getRstd(), op.getAxes(), /*keep=*/true);
        s.selected("'weight'", op.getWeight(), op.getAxes());
        s.selected("'bias'", op.getBias(), op.getAxes());
      })
      .Case([&](RMSNormGradOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectInputShaped(op, s);
        s.reduced("'rstd'", op.getRstd(), op.getAxes(), /*keep=*/true);
        s.selected("'weight'", op.getWeight(), op.getAxes());
      })
      .Case([&](BatchNormGradOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectInputShaped(op, s);
        s.perChannel(op.getFeatureAxis(),
                     {{"'mean'", op.getMean()},
                      {"'rstd'", op.getRstd()},
                      {"'weight'", op.getWeight()},
                      {"'bias'", op.getBias()},
                      {"'sum_dpre'", op.getSumDpre()},
                      {"'sum_dpre_xhat'", op.getSumDpreXhat()}});
      })
      .Case([&](GroupNormGradOp op) {
        TiedSizes &s = forInput(op.getInput());
        collectInputShaped(op, s);
        // [N, G]: the batch and the groups.
        s.selected("'mean'", op.getMean(), {0});
        s.selected("'rstd'", op.getRstd(), {0});
        int64_t groups = op.getNumGroups();
        s.constant("'mean'", op.getMean(), 1, groups, "'num_groups'");
        s.constant("'rstd'", op.getRstd(), 1, groups, "'num_groups'");
        s.perChannel(op.getChannelAxis(),
                     {{"'weight'", op.getWeight()}, {"'bias'", op.getBias()}});
      })
      .Case([&](InplaceABNGradOp op) {
        TiedSizes &s = sizes.emplace("the output", op.getOutput());
        s.sameShape("'grad_output'", op.getGradOutput());
        s.perChannel(op.getFeatureAxis(),
                     {{"'rstd'", op.getRstd()},
                      {"'weight'", op.getWeight()},
                      {"'bias'", op.getBias()},
                      {"'sum_dpre'", op.getSumDpre()},
                      {"'sum_dpre_xhat'", op.getSumDpreXhat()}});
      })
      .Case([&](BatchStatsMergeOp op) {
        TiedSizes &s = sizes.emplace("'mean_a'", op.getMeanA());
        s.sameShape("'m2_a'", op.getM2A());
        s.sameShape("'mean_b'", op.getMeanB());
        s.sameShape("'m2_b'", op.getM2B());
      });
  if (!sizes)
    return {};
  return llvm::to_vector(sizes->get());
}

/// Asserts, before `op`, each tied size of which a side is dynamic (the
/// verifier checked those static on both sides).
struct TiedSizesVerification {
  static void generate(
      Operation *op, OpBuilder &b, Location loc,
      function_ref<std::string(Operation *, StringRef)> generateErrorMessage) {
    for (const TiedSize &tied : getTiedSizes(op)) {
      auto type = cast<RankedTensorType>(tied.operand.getType());
      bool referenceDynamic =
          tied.reference && cast<RankedTensorType>(tied.reference.getType())
                                .isDynamicDim(tied.referenceDim);
      if (!type.isDynamicDim(tied.dim) && !referenceDynamic)
        continue;
      Value size = tensor::DimOp::create(b, loc, tied.operand, tied.dim);
      Value expected =
          tied.reference
              ? tensor::DimOp::create(b, loc, tied.reference, tied.referenceDim)
                    .getResult()
              : arith::ConstantIndexOp::create(b, loc, tied.referenceDim)
                    .getResult();
      Value equal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          size, expected);
      std::string message;
      llvm::raw_string_ostream os(message);
      os << tied.what << " has another size in dimension " << tied.dim
         << " than ";
      if (tied.reference)
        os << tied.referenceName << " in dimension " << tied.referenceDim;
      else
        os << tied.referenceName;
      if (!tied.reference && tied.referenceName != "1")
        os << " (" << tied.referenceDim << ")";
      cf::AssertOp::create(b, loc, equal, generateErrorMessage(op, message));
    }
  }
};

template <typename OpTy>
struct NormRuntimeVerificationModel
    : public RuntimeVerifiableOpInterface::ExternalModel<
          NormRuntimeVerificationModel<OpTy>, OpTy> {
  void
  generateRuntimeVerification(Operation *op, OpBuilder &builder, Location loc,
                              function_ref<std::string(Operation *, StringRef)>
                                  generateErrorMessage) const {
    TiedSizesVerification::generate(op, builder, loc, generateErrorMessage);
  }
};

template <typename... OpTys> static void attachModels(MLIRContext *context) {
  (OpTys::template attachInterface<NormRuntimeVerificationModel<OpTys>>(
       *context),
   ...);
}
} // namespace

void mlir::norm::registerRuntimeVerifiableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *context, NormDialect *) {
    context->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                         tensor::TensorDialect>();
    attachModels<LayerNormOp, RMSNormOp, BatchNormInferenceOp,
                 BatchNormTrainingOp, InplaceABNOp, GroupNormOp, SpectralNormOp,
                 StandardizeOp, MinMaxScaleOp, ImageNormalizeOp,
                 LayerNormGradOp, RMSNormGradOp, BatchNormGradOp,
                 GroupNormGradOp, InplaceABNGradOp, BatchStatsMergeOp>(context);
  });
}
