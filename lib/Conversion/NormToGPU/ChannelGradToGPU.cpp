//===- ChannelGradToGPU.cpp - BatchNorm / InPlace-ABN backward kernels ----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.batch_norm_grad and norm.inplace_abn_grad (NCHW or NHWC,
// static shapes, destination-passing style over memrefs) into three
// kernels chained by async tokens:
//
//  1-2. a column reduction (buildColumnReduction) whose columns are the
//       channels and whose rows are a channel's N * HW elements: the sums
//       of `dpre * xhat` (grad_weight) and `dpre` (grad_bias), written to
//       the results when used and always to a workspace;
//  3.   an elementwise kernel, four elements a thread:
//       `grad_input = rstd * w' * (dpre - sum(dpre) / n - xhat *
//       sum(dpre * xhat) / n)` (+ residual_sum_grad).
//
// Each kernel recomputes `xhat` and `dpre = dy * act'(pre)` of an element
// from what the forward saved: batch_norm_grad from `x` (+ residual) and the
// saved statistics (`pre = xhat * w' + b`); inplace_abn_grad from the output
// `y` (`pre = act^-1(y)`, `xhat = (pre - b) / w'`). Every element of
// grad_input is written by the thread that reads its `dy`, after the sums:
// grad_input may be grad_output's buffer (InPlace-ABN's backward in place).
//
//===----------------------------------------------------------------------===//

#include "ChannelGradToGPU.h"
#include "KernelUtils.h"

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::gpu_kernels;

namespace {

/// Threads a block and elements a thread of the grad_input kernel.
constexpr int64_t kBlockSize = 256;
constexpr int64_t kUnroll = 4;

/// A batch_norm_grad or inplace_abn_grad, analyzed.
struct ChannelGradInfo {
  /// inplace_abn_grad: `input` is the forward's output y.
  bool fromOutput = false;
  ActivationAttr activation;
  Value gradOutput, input, residual, mean, rstd, weight, bias, residualSumGrad;
  Value gradInput, gradWeight, gradBias;
  SmallVector<Operation *> materializations;
  int64_t batch = 1, channels = 1, spatial = 1;
  bool channelsLast = false;
  /// Column reduction: lanes across channels (NHWC) and row chunks.
  int64_t columnLanes = 1, chunks = 1;

  int64_t rows() const { return batch * spatial; }
};

} // namespace

bool mlir::norm::isChannelGradOp(Operation *op) {
  return isa<BatchNormGradOp, InplaceABNGradOp>(op);
}

/// Fills `info`; fails with a reason when `op` cannot become kernels.
static LogicalResult analyzeChannelGrad(Operation *op,
                                        const NormToGPUOptions &options,
                                        ChannelGradInfo &info,
                                        std::string &reason) {
  Value gradOutput, input, residual, mean, rstd, weight, bias, residualSumGrad;
  Value gradInput, gradWeight, gradBias;
  int64_t axis = 1;
  if (auto bn = dyn_cast<BatchNormGradOp>(op)) {
    if (bn.getSumDpre()) {
      reason = "the micro-batch form (batch_grad_sums) has no GPU kernel";
      return failure();
    }
    info.activation = bn.getActivationAttr();
    gradOutput = bn.getGradOutput();
    input = bn.getInput();
    residual = bn.getResidual();
    mean = bn.getMean();
    rstd = bn.getRstd();
    weight = bn.getWeight();
    bias = bn.getBias();
    residualSumGrad = bn.getResidualSumGrad();
    gradInput = bn.getGradInput();
    gradWeight = bn.getGradWeight();
    gradBias = bn.getGradBias();
    axis = bn.getFeatureAxis();
  } else if (auto abn = dyn_cast<InplaceABNGradOp>(op)) {
    info.fromOutput = true;
    info.activation = abn.getActivationAttr();
    gradOutput = abn.getGradOutput();
    input = abn.getOutput();
    rstd = abn.getRstd();
    weight = abn.getWeight();
    bias = abn.getBias();
    gradInput = abn.getGradInput();
    gradWeight = abn.getGradWeight();
    gradBias = abn.getGradBias();
    axis = abn.getFeatureAxis();
  } else {
    reason = "not a batch_norm_grad or inplace_abn_grad";
    return failure();
  }

  auto type = cast<RankedTensorType>(input.getType());
  if (!isSupportedFloat(type.getElementType())) {
    reason = "the element type must be f32, f16 or bf16";
    return failure();
  }
  info.channelsLast = type.getRank() > 2 && axis == type.getRank() - 1;
  if (type.getRank() < 2 || (axis != 1 && !info.channelsLast)) {
    reason = "only the NCHW layout (channel axis 1) and NHWC (channel axis "
             "last) have GPU kernels";
    return failure();
  }
  if (!type.hasStaticShape() || type.getNumElements() == 0) {
    reason = "the shape must be static, with elements";
    return failure();
  }
  ArrayRef<int64_t> shape = type.getShape();
  info.batch = shape.front();
  info.channels = info.channelsLast ? shape.back() : shape[1];
  info.spatial = type.getNumElements() / (info.batch * info.channels);

  // Enough blocks for the GPU: channel tiles x row chunks.
  if (info.channelsLast)
    info.columnLanes = std::min<int64_t>(
        32, llvm::bit_floor(static_cast<uint64_t>(info.channels)));
  int64_t tiles = llvm::divideCeil(info.channels, info.columnLanes);
  int64_t rowLanes = kBlockSize / info.columnLanes;
  int64_t target = std::max<int64_t>(1, options.numSMs) *
                   std::max<int64_t>(1, options.blocksPerSM);
  info.chunks = std::clamp<int64_t>(
      llvm::divideCeil(target, tiles), 1,
      std::min<int64_t>(256, llvm::divideCeil(info.rows(), rowLanes)));

  return getMemRefs({{gradOutput, &info.gradOutput},
                     {input, &info.input},
                     {residual, &info.residual},
                     {mean, &info.mean},
                     {rstd, &info.rstd},
                     {weight, &info.weight},
                     {bias, &info.bias},
                     {residualSumGrad, &info.residualSumGrad}},
                    {{gradInput, &info.gradInput},
                     {gradWeight, &info.gradWeight},
                     {gradBias, &info.gradBias}},
                    info.materializations, reason);
}

LogicalResult mlir::norm::checkChannelGradToGPU(Operation *op,
                                                const NormToGPUOptions &options,
                                                std::string &reason) {
  ChannelGradInfo info;
  return analyzeChannelGrad(op, options, info, reason);
}

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

namespace {

/// The per-channel values the kernels read once a thread.
struct ChannelParams {
  Value scale, bias, mean, rstd;
};

/// Builds the three kernels. All memrefs are collapsed to one dimension.
class ChannelGradKernelBuilder : KernelBuilderBase {
public:
  ChannelGradKernelBuilder(OpBuilder &b, Location loc,
                           const ChannelGradInfo &info)
      : KernelBuilderBase(b, loc), info(info) {}

  void build();

private:
  /// Offset of the `r`-th element of channel `c`.
  Value offsetOf(Value c, Value r);
  /// Channel of the element at `offset`.
  Value channelOf(Value offset);
  ChannelParams loadParams(Value c);
  /// (xhat, dpre) of the element at `offset`.
  std::pair<Value, Value> recompute(Value offset, const ChannelParams &p);
  void buildGradInput(Value sums, Value &token);

  const ChannelGradInfo &info;
};

} // namespace

Value ChannelGradKernelBuilder::offsetOf(Value c, Value r) {
  if (info.channelsLast)
    return arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, r, index(info.channels)), c);
  // r = n * HW + hw -> (n * C + c) * HW + hw.
  Value n = arith::DivUIOp::create(b, loc, r, index(info.spatial));
  Value hw = arith::RemUIOp::create(b, loc, r, index(info.spatial));
  Value nc = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, n, index(info.channels)), c);
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, nc, index(info.spatial)), hw);
}

Value ChannelGradKernelBuilder::channelOf(Value offset) {
  if (info.channelsLast)
    return arith::RemUIOp::create(b, loc, offset, index(info.channels));
  return arith::RemUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, offset, index(info.spatial)),
      index(info.channels));
}

ChannelParams ChannelGradKernelBuilder::loadParams(Value c) {
  ChannelParams p;
  p.scale = info.weight ? loadScalar(info.weight, c) : Value();
  p.bias = info.bias ? loadScalar(info.bias, c) : Value();
  p.mean = info.mean ? loadScalar(info.mean, c) : Value();
  p.rstd = loadScalar(info.rstd, c);
  return p;
}

std::pair<Value, Value>
ChannelGradKernelBuilder::recompute(Value offset, const ChannelParams &p) {
  Value dy = loadScalar(info.gradOutput, offset);
  Value xhat, pre;
  if (info.fromOutput) {
    // pre = act^-1(y), xhat = (pre - b) / w'.
    pre = buildActivationInverse(b, loc, loadScalar(info.input, offset),
                                 info.activation);
    xhat = p.bias ? sub(pre, p.bias) : pre;
    if (p.scale)
      xhat = arith::DivFOp::create(b, loc, xhat, p.scale);
  } else {
    Value x = memref::LoadOp::create(b, loc, info.input, offset);
    if (info.residual)
      x = arith::AddFOp::create(
          b, loc, x, memref::LoadOp::create(b, loc, info.residual, offset));
    xhat = mul(sub(toF32(x), p.mean), p.rstd);
    pre = p.scale ? mul(xhat, p.scale) : xhat;
    if (p.bias)
      pre = add(pre, p.bias);
  }
  Value dpre = dy;
  if (info.activation && info.activation.getKind() != ActivationKind::None)
    dpre = mul(dy, buildActivationDerivative(b, loc, pre, info.activation));
  return {xhat, dpre};
}

void ChannelGradKernelBuilder::buildGradInput(Value sums, Value &token) {
  int64_t total = info.rows() * info.channels;
  Value one = index(1);
  Value grid = index(llvm::divideCeil(total, kBlockSize * kUnroll));
  OpBuilder::InsertionGuard guard(b);
  gpu::LaunchOp launch =
      createLaunch(one, grid, one, index(kBlockSize), token, {});
  token = launch.getAsyncToken();
  Value base = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x,
                            index(kBlockSize * kUnroll)),
      launch.getThreadIds().x);
  Value invN = floatConst(1.0 / static_cast<double>(info.rows()));
  for (int64_t k = 0; k < kUnroll; ++k) {
    Value offset = arith::AddIOp::create(b, loc, base, index(k * kBlockSize));
    Value valid = total % (kBlockSize * kUnroll) == 0
                      ? Value()
                      : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              offset, index(total))
                            .getResult();
    guarded(valid, [&] {
      Value c = channelOf(offset);
      ChannelParams p = loadParams(c);
      auto [xhat, dpre] = recompute(offset, p);
      Value meanDpreXhat = mul(loadScalar(sums, c), invN);
      Value meanDpre =
          mul(loadScalar(
                  sums, arith::AddIOp::create(b, loc, c, index(info.channels))),
              invN);
      // rstd * w' * (dpre - mean(dpre) - xhat * mean(dpre * xhat)).
      Value g = sub(sub(dpre, meanDpre), mul(xhat, meanDpreXhat));
      g = mul(g, p.rstd);
      if (p.scale)
        g = mul(g, p.scale);
      if (info.residualSumGrad)
        g = add(g, loadScalar(info.residualSumGrad, offset));
      storeScalar(g, info.gradInput, offset);
    });
  }
}

void ChannelGradKernelBuilder::build() {
  Type tokenType = gpu::AsyncTokenType::get(b.getContext());
  Value token =
      gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
  // The per-channel sums of dpre * xhat and dpre.
  auto alloc = gpu::AllocOp::create(
      b, loc, MemRefType::get({2 * info.channels}, f32), tokenType,
      ValueRange{token}, ValueRange{}, ValueRange{});
  token = alloc.getAsyncToken();
  Value sums = alloc.getMemref();

  ColumnReduction spec;
  spec.columnLanes = info.columnLanes;
  spec.chunks = info.chunks;
  auto prologue = [&](Value c) -> SmallVector<Value> {
    ChannelParams p = loadParams(c);
    return {p.scale, p.bias, p.mean, p.rstd};
  };
  auto element = [&](Value c, Value r,
                     ArrayRef<Value> state) -> ColumnReduction::Pair {
    ChannelParams p{state[0], state[1], state[2], state[3]};
    auto [xhat, dpre] = recompute(offsetOf(c, r), p);
    return {mul(dpre, xhat), dpre};
  };
  auto finalize = [&](Value c, ColumnReduction::Pair total) {
    memref::StoreOp::create(b, loc, total.first, sums, c);
    memref::StoreOp::create(
        b, loc, total.second, sums,
        ValueRange{arith::AddIOp::create(b, loc, c, index(info.channels))});
    if (info.gradWeight)
      storeScalar(total.first, info.gradWeight, c);
    if (info.gradBias)
      storeScalar(total.second, info.gradBias, c);
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finalize;
  token = buildColumnReduction(b, loc, spec, index(info.channels),
                               index(info.rows()), token);
  buildGradInput(sums, token);
  token = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{token}, sums)
              .getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

namespace {

struct ChannelGradToGPUPattern : RewritePattern {
  ChannelGradToGPUPattern(MLIRContext *ctx, const NormToGPUOptions &options)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        options(options) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isChannelGradOp(op))
      return failure();
    ChannelGradInfo info;
    std::string reason;
    if (failed(analyzeChannelGrad(op, options, info, reason)))
      return rewriter.notifyMatchFailure(op, reason);
    FailureOr<Operation *> first =
        getKernelInsertionPoint(rewriter, op, info.materializations);
    if (failed(first))
      return failure();

    Location loc = op->getLoc();
    rewriter.setInsertionPoint(*first);
    ChannelGradInfo collapsed = info;
    for (Value *m :
         {&collapsed.gradOutput, &collapsed.input, &collapsed.residual,
          &collapsed.residualSumGrad, &collapsed.gradInput, &collapsed.mean,
          &collapsed.rstd, &collapsed.weight, &collapsed.bias,
          &collapsed.gradWeight, &collapsed.gradBias})
      if (*m)
        *m = collapseToVector(rewriter, loc, *m);
    ChannelGradKernelBuilder(rewriter, loc, collapsed).build();
    eraseLoweredOp(rewriter, op, info.materializations);
    return success();
  }

  NormToGPUOptions options;
};

} // namespace

void mlir::norm::populateChannelGradToGPUPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<ChannelGradToGPUPattern>(patterns.getContext(), options);
}
