//===- ChannelGradToGPU.cpp - Channel-statistics backward kernels ---------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.batch_norm_grad and norm.inplace_abn_grad (NCHW or NHWC,
// static shapes, destination-passing style over memrefs) into three
// kernels chained by async tokens (group_norm_grad: below):
//
//  1-2. a column reduction (buildColumnReduction) whose columns are the
//       channels and whose rows are a channel's N * HW elements: the sums
//       of `dpre * xhat` (grad_weight) and `dpre` (grad_bias), written to
//       the results when used and always to a workspace;
//  3.   an elementwise kernel, four vectors a thread (16 bytes when a
//       channel's run, NCHW, or the channels, NHWC, allow):
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
// The micro-batch form (`batch_grad_sums`, `count`) of both takes
// grad_input's sums and count from its operands: the column reduction runs
// only for grad_weight / grad_bias.
//
// norm.group_norm_grad's grad_input needs sums over each (sample, group)
// set, `sum(dxhat)` and `sum(dxhat * xhat)` with `dxhat = dpre * w'[c]`: a
// column reduction over the sets comes first, the one over the channels
// (only for grad_weight / grad_bias) second, then grad_input
// `rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))`.
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

/// A batch_norm_grad, inplace_abn_grad or group_norm_grad, analyzed.
struct ChannelGradInfo {
  /// inplace_abn_grad: `input` is the forward's output y.
  bool fromOutput = false;
  /// group_norm_grad: the statistics sets are (sample, group), `groups` a
  /// sample; 0 for the per-channel ops.
  int64_t groups = 0;
  ActivationAttr activation;
  Value gradOutput, input, residual, mean, rstd, weight, bias, residualSumGrad;
  Value gradInput, gradWeight, gradBias;
  /// The micro-batch form: the whole batch's sums (per
  /// channel) and element count (rank 0), for grad_input.
  Value sumDpre, sumDpreXhat, count;
  SmallVector<Operation *> materializations;
  int64_t batch = 1, channels = 1, spatial = 1;
  bool channelsLast = false;
  /// Column reduction over the channels: lanes across channels (NHWC) and
  /// row chunks; GroupNorm's reduction over its sets: row chunks.
  int64_t columnLanes = 1, chunks = 1, setChunks = 1;
  /// Elements a vector access: 16 bytes when the run of one channel (NCHW:
  /// HW) or of channels (NHWC: C) allows. The channel reduction reads such
  /// vectors too (NCHW: of rows, NHWC: of channels).
  int64_t vectorWidth = 1;
  /// Elements a vector access of GroupNorm's set reduction: the run of one
  /// channel (NCHW), or of a group's channels at a position (NHWC: Cg).
  int64_t setVectorWidth = 1;
  /// NormToGPUOptions::streamingStores.
  bool streamingStores = false;

  int64_t rows() const { return batch * spatial; }
  bool isGroup() const { return groups > 0; }
  int64_t channelsPerGroup() const { return channels / groups; }
  int64_t numSets() const { return batch * groups; }
  /// Elements of a GroupNorm set.
  int64_t setSize() const { return channelsPerGroup() * spatial; }
};

} // namespace

bool mlir::norm::isChannelGradOp(Operation *op) {
  return isa<BatchNormGradOp, InplaceABNGradOp, GroupNormGradOp>(op);
}

/// Fills `info`; fails with a reason when `op` cannot become kernels.
static LogicalResult analyzeChannelGrad(Operation *op,
                                        const NormToGPUOptions &options,
                                        ChannelGradInfo &info,
                                        std::string &reason) {
  Value gradOutput, input, residual, mean, rstd, weight, bias, residualSumGrad;
  Value gradInput, gradWeight, gradBias;
  Value sumDpre, sumDpreXhat, count;
  int64_t axis = 1;
  if (auto bn = dyn_cast<BatchNormGradOp>(op)) {
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
    sumDpre = bn.getSumDpre();
    sumDpreXhat = bn.getSumDpreXhat();
    count = bn.getCount();
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
    sumDpre = abn.getSumDpre();
    sumDpreXhat = abn.getSumDpreXhat();
    count = abn.getCount();
  } else if (auto gn = dyn_cast<GroupNormGradOp>(op)) {
    info.groups = gn.getNumGroups();
    info.activation = gn.getActivationAttr();
    gradOutput = gn.getGradOutput();
    input = gn.getInput();
    residual = gn.getResidual();
    mean = gn.getMean();
    rstd = gn.getRstd();
    weight = gn.getWeight();
    bias = gn.getBias();
    residualSumGrad = gn.getResidualSumGrad();
    gradInput = gn.getGradInput();
    gradWeight = gn.getGradWeight();
    gradBias = gn.getGradBias();
    axis = gn.getChannelAxis();
  } else {
    reason = "not a batch_norm_grad, inplace_abn_grad or group_norm_grad";
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
  if (info.isGroup() && (info.groups < 1 || info.channels % info.groups != 0)) {
    reason = "the channels must divide into the groups";
    return failure();
  }

  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  int64_t v = info.vectorWidth =
      vectorWidthFor(info.channelsLast ? info.channels : info.spatial, bits);
  if (info.isGroup())
    info.setVectorWidth =
        info.channelsLast ? vectorWidthFor(info.channelsPerGroup(), bits) : v;
  // Enough blocks for the GPU: channel tiles x row chunks. NHWC: a thread a
  // vector of channels; NCHW: a thread a channel, a vector of rows a step.
  int64_t channelVectors =
      info.channelsLast ? info.channels / v : info.channels;
  if (info.channelsLast)
    info.columnLanes = std::min<int64_t>(
        32, llvm::bit_floor(static_cast<uint64_t>(channelVectors)));
  int64_t tiles = llvm::divideCeil(channelVectors, info.columnLanes);
  int64_t rowLanes = kItemBlockSize / info.columnLanes;
  int64_t target = std::max<int64_t>(1, options.numSMs) *
                   std::max<int64_t>(1, options.blocksPerSM);
  auto chunksFor = [&](int64_t columns, int64_t rows, int64_t lanes) {
    return std::clamp<int64_t>(
        llvm::divideCeil(target, columns), 1,
        std::min<int64_t>(256, llvm::divideCeil(rows, lanes)));
  };
  info.chunks =
      chunksFor(tiles, info.rows(), rowLanes * (info.channelsLast ? 1 : v));
  if (info.isGroup())
    info.setChunks = chunksFor(info.numSets(), info.setSize(),
                               kItemBlockSize * info.setVectorWidth);
  info.streamingStores = options.streamingStores;

  return getMemRefs({{gradOutput, &info.gradOutput},
                     {input, &info.input},
                     {residual, &info.residual},
                     {mean, &info.mean},
                     {rstd, &info.rstd},
                     {weight, &info.weight},
                     {bias, &info.bias},
                     {residualSumGrad, &info.residualSumGrad},
                     {sumDpre, &info.sumDpre},
                     {sumDpreXhat, &info.sumDpreXhat},
                     {count, &info.count}},
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
  /// Offset of the `r`-th element of GroupNorm set `set`.
  Value offsetInSet(Value set, Value r);
  /// Channel of the element at `offset`.
  Value channelOf(Value offset);
  /// GroupNorm set of the element at `offset`, of channel `c`.
  Value setOf(Value offset, Value c);
  /// The weight and bias of channel `c`, the statistics of `set` (the
  /// channel for BatchNorm).
  ChannelParams loadParams(Value c, Value set);
  /// The column reduction over GroupNorm's sets: sum(dxhat) and
  /// sum(dxhat * xhat) into `sums`.
  Value reduceSets(Value sums, Value token);
  /// The column reduction over the channels: the sums of dpre * xhat and
  /// dpre into grad_weight / grad_bias, and (BatchNorm) `sums`.
  Value reduceChannels(Value sums, Value token);
  /// (xhat, dpre) of the `width` consecutive elements from `offset`, read
  /// as vectors, element `e` with the parameters `paramsOf(e)`.
  SmallVector<ColumnReduction::Pair>
  recompute(Value offset, int64_t width,
            llvm::function_ref<ChannelParams(int64_t e)> paramsOf);
  /// (xhat, dpre) from the element's `value` (f32: x + residual, or y for
  /// InPlace-ABN) and `dy` (f32).
  std::pair<Value, Value> recomputeFrom(Value value, Value dy,
                                        const ChannelParams &p);
  /// The grad_input kernel; `streamOutput`: its stores non-temporal (it
  /// re-reads x and dy after a reduction kernel read them).
  void buildGradInput(Value sums, Value &token, bool streamOutput);
  /// Sets (GroupNorm) or channels: the sums hold two of each.
  int64_t numSums() const {
    return info.isGroup() ? info.numSets() : info.channels;
  }

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

Value ChannelGradKernelBuilder::offsetInSet(Value set, Value r) {
  int64_t cg = info.channelsPerGroup();
  if (!info.channelsLast)
    return arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, set, index(info.setSize())), r);
  // Set n * G + g: its Cg channels at each of the HW positions.
  Value n = arith::DivUIOp::create(b, loc, set, index(info.groups));
  Value g = arith::RemUIOp::create(b, loc, set, index(info.groups));
  Value hw = arith::DivUIOp::create(b, loc, r, index(cg));
  Value cc = arith::RemUIOp::create(b, loc, r, index(cg));
  Value pos = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, n, index(info.spatial)), hw);
  Value channel = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, g, index(cg)), cc);
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, pos, index(info.channels)),
      channel);
}

Value ChannelGradKernelBuilder::setOf(Value offset, Value c) {
  Value n = arith::DivUIOp::create(b, loc, offset,
                                   index(info.channels * info.spatial));
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, n, index(info.groups)),
      arith::DivUIOp::create(b, loc, c, index(info.channelsPerGroup())));
}

Value ChannelGradKernelBuilder::channelOf(Value offset) {
  if (info.channelsLast)
    return arith::RemUIOp::create(b, loc, offset, index(info.channels));
  return arith::RemUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, offset, index(info.spatial)),
      index(info.channels));
}

ChannelParams ChannelGradKernelBuilder::loadParams(Value c, Value set) {
  ChannelParams p;
  p.scale = info.weight ? loadScalar(info.weight, c) : Value();
  p.bias = info.bias ? loadScalar(info.bias, c) : Value();
  p.mean = info.mean ? loadScalar(info.mean, set) : Value();
  p.rstd = loadScalar(info.rstd, set);
  return p;
}

SmallVector<ColumnReduction::Pair> ChannelGradKernelBuilder::recompute(
    Value offset, int64_t width,
    llvm::function_ref<ChannelParams(int64_t e)> paramsOf) {
  auto load = [&](Value memref) {
    auto type = VectorType::get(
        {width}, cast<MemRefType>(memref.getType()).getElementType());
    return loadVector(type, memref, Value(),
                      [&] { return SmallVector<Value>{offset}; });
  };
  Value x = load(info.input);
  // The residual is added in the input type, as the forward did.
  if (info.residual)
    x = arith::AddFOp::create(b, loc, x, load(info.residual));
  SmallVector<Value> values = toF32Elements({x});
  SmallVector<Value> dys = toF32Elements({load(info.gradOutput)});
  SmallVector<ColumnReduction::Pair> pairs;
  for (int64_t e = 0; e < width; ++e)
    pairs.push_back(recomputeFrom(values[e], dys[e], paramsOf(e)));
  return pairs;
}

std::pair<Value, Value>
ChannelGradKernelBuilder::recomputeFrom(Value value, Value dy,
                                        const ChannelParams &p) {
  Value xhat, pre;
  if (info.fromOutput) {
    // pre = act^-1(y), xhat = (pre - b) / w'.
    pre = buildActivationInverse(b, loc, value, info.activation);
    xhat = p.bias ? sub(pre, p.bias) : pre;
    if (p.scale)
      xhat = arith::DivFOp::create(b, loc, xhat, p.scale);
  } else {
    xhat = mul(sub(value, p.mean), p.rstd);
    pre = p.scale ? mul(xhat, p.scale) : xhat;
    if (p.bias)
      pre = add(pre, p.bias);
  }
  Value dpre = dy;
  if (info.activation && info.activation.getKind() != ActivationKind::None)
    dpre = mul(dy, buildActivationDerivative(b, loc, pre, info.activation));
  return {xhat, dpre};
}

void ChannelGradKernelBuilder::buildGradInput(Value sums, Value &token,
                                              bool streamOutput) {
  int64_t v = info.vectorWidth;
  auto vectorOf = [&](Value memref) {
    return VectorType::get({v},
                           cast<MemRefType>(memref.getType()).getElementType());
  };
  Value invN;
  auto prologue = [&] {
    invN = info.count
               ? arith::DivFOp::create(b, loc, floatConst(1.0),
                                       loadScalar(info.count, index(0)))
                     .getResult()
               : floatConst(1.0 / static_cast<double>(info.isGroup()
                                                          ? info.setSize()
                                                          : info.rows()));
  };
  auto item = [&](Value vector) {
    Value first = arith::MulIOp::create(b, loc, vector, index(v));
    auto load = [&](Value memref) {
      return loadVector(vectorOf(memref), memref, Value(),
                        [&] { return SmallVector<Value>{first}; });
    };
    // The residual is added in the input type, as the forward did.
    Value x = load(info.input);
    if (info.residual)
      x = arith::AddFOp::create(b, loc, x, load(info.residual));
    SmallVector<Value> values = toF32Elements({x});
    SmallVector<Value> dys = toF32Elements({load(info.gradOutput)});
    SmallVector<Value> extra;
    if (info.residualSumGrad)
      extra = toF32Elements({load(info.residualSumGrad)});
    // NCHW: one channel a vector; NHWC: v consecutive channels.
    Value firstChannel = channelOf(first);
    // The channel's (set's) parameters and means: once a vector for NCHW.
    ChannelParams p;
    Value meanFirst, meanSecond;
    SmallVector<Value> grads;
    for (int64_t e = 0; e < v; ++e) {
      if (info.channelsLast || e == 0) {
        Value c = firstChannel;
        if (e > 0)
          c = arith::AddIOp::create(b, loc, firstChannel, index(e));
        Value set = info.isGroup() ? setOf(first, c) : c;
        p = loadParams(c, set);
        if (info.sumDpre) {
          meanFirst = mul(loadScalar(info.sumDpreXhat, c), invN);
          meanSecond = mul(loadScalar(info.sumDpre, c), invN);
        } else {
          meanFirst = mul(loadScalar(sums, set), invN);
          meanSecond = mul(loadScalar(sums, arith::AddIOp::create(
                                                b, loc, set, index(numSums()))),
                           invN);
        }
      }
      auto [xhat, dpre] = recomputeFrom(values[e], dys[e], p);
      Value g;
      if (info.isGroup()) {
        // rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)).
        Value dxhat = p.scale ? mul(dpre, p.scale) : dpre;
        g = mul(sub(sub(dxhat, meanFirst), mul(xhat, meanSecond)), p.rstd);
      } else {
        // rstd * w' * (dpre - mean(dpre) - xhat * mean(dpre * xhat)).
        g = mul(sub(sub(dpre, meanSecond), mul(xhat, meanFirst)), p.rstd);
        if (p.scale)
          g = mul(g, p.scale);
      }
      if (info.residualSumGrad)
        g = add(g, extra[e]);
      grads.push_back(g);
    }
    storeVector(packFromF32(grads, vectorOf(info.gradInput)), info.gradInput,
                ValueRange{first}, /*nontemporal=*/streamOutput);
  };
  token =
      launchForEachItem(info.rows() * info.channels / v, token, item, prologue);
}

Value ChannelGradKernelBuilder::reduceSets(Value sums, Value token) {
  // A vector of the set's elements a step: of one channel (NCHW), or of
  // consecutive channels at one position (NHWC).
  int64_t width = info.setVectorWidth;
  ColumnReduction spec;
  spec.columnLanes = 1;
  spec.chunks = info.setChunks;
  spec.rowVector = width;
  auto prologue = [&](Value set) -> SmallVector<Value> {
    return {loadScalar(info.mean, set), loadScalar(info.rstd, set)};
  };
  auto element =
      [&](Value set, Value r,
          ArrayRef<Value> state) -> SmallVector<ColumnReduction::Pair> {
    Value offset = offsetInSet(set, r);
    Value first = channelOf(offset);
    ChannelParams p;
    p.mean = state[0];
    p.rstd = state[1];
    SmallVector<Value> scales;
    SmallVector<ColumnReduction::Pair> pairs =
        recompute(offset, width, [&](int64_t e) {
          if (e == 0 || info.channelsLast) {
            Value c = e == 0 ? first
                             : arith::AddIOp::create(b, loc, first, index(e))
                                   .getResult();
            p.scale = info.weight ? loadScalar(info.weight, c) : Value();
            p.bias = info.bias ? loadScalar(info.bias, c) : Value();
          }
          scales.push_back(p.scale);
          return p;
        });
    // The sums of dxhat and dxhat * xhat, with dxhat = dpre * w.
    for (auto [pair, scale] : llvm::zip_equal(pairs, scales)) {
      auto [xhat, dpre] = pair;
      Value dxhat = scale ? mul(dpre, scale) : dpre;
      pair = {dxhat, mul(dxhat, xhat)};
    }
    return pairs;
  };
  auto finalize = [&](Value set, ColumnReduction::Pair total) {
    memref::StoreOp::create(b, loc, total.first, sums, set);
    memref::StoreOp::create(
        b, loc, total.second, sums,
        ValueRange{arith::AddIOp::create(b, loc, set, index(numSums()))});
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finalize;
  return buildColumnReduction(b, loc, spec, index(info.numSets()),
                              index(info.setSize()), token);
}

Value ChannelGradKernelBuilder::reduceChannels(Value sums, Value token) {
  // NHWC: a thread a vector of channels; NCHW: a thread a channel, whose
  // rows come in vectors (runs of one sample's HW).
  int64_t v = info.vectorWidth;
  int64_t cv = info.channelsLast ? v : 1, rv = info.channelsLast ? 1 : v;
  auto channelOfLane = [&](Value c, int64_t e) -> Value {
    return e == 0 ? c : arith::AddIOp::create(b, loc, c, index(e)).getResult();
  };
  ColumnReduction spec;
  spec.columnLanes = info.columnLanes;
  spec.chunks = info.chunks;
  spec.columnVector = cv;
  spec.rowVector = rv;
  // Per channel of the thread: scale and bias, and (BatchNorm) mean and
  // rstd, four values apiece.
  auto prologue = [&](Value c) -> SmallVector<Value> {
    SmallVector<Value> state;
    for (int64_t e = 0; e < cv; ++e) {
      Value channel = channelOfLane(c, e);
      if (info.isGroup()) {
        state.append({info.weight ? loadScalar(info.weight, channel) : Value(),
                      info.bias ? loadScalar(info.bias, channel) : Value(),
                      Value(), Value()});
        continue;
      }
      ChannelParams p = loadParams(channel, channel);
      state.append({p.scale, p.bias, p.mean, p.rstd});
    }
    return state;
  };
  auto element =
      [&](Value c, Value r,
          ArrayRef<Value> state) -> SmallVector<ColumnReduction::Pair> {
    Value offset = offsetOf(c, r);
    // NCHW: the vector is one channel's; NHWC: element e is channel c + e.
    SmallVector<ChannelParams> params(cv);
    SmallVector<ColumnReduction::Pair> pairs =
        recompute(offset, v, [&](int64_t e) {
          int64_t lane = info.channelsLast ? e : 0;
          ChannelParams &p = params[lane];
          if (p.rstd)
            return p;
          p.scale = state[4 * lane];
          p.bias = state[4 * lane + 1];
          if (info.isGroup()) {
            Value set = setOf(offset, channelOfLane(c, lane));
            p.mean = loadScalar(info.mean, set);
            p.rstd = loadScalar(info.rstd, set);
          } else {
            p.mean = state[4 * lane + 2];
            p.rstd = state[4 * lane + 3];
          }
          return p;
        });
    for (auto &pair : pairs)
      pair = {mul(pair.second, pair.first), pair.second};
    return pairs;
  };
  auto finalize = [&](Value c, ColumnReduction::Pair total) {
    if (!info.isGroup()) {
      memref::StoreOp::create(b, loc, total.first, sums, c);
      memref::StoreOp::create(
          b, loc, total.second, sums,
          ValueRange{arith::AddIOp::create(b, loc, c, index(info.channels))});
    }
    if (info.gradWeight)
      storeScalar(total.first, info.gradWeight, c);
    if (info.gradBias)
      storeScalar(total.second, info.gradBias, c);
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finalize;
  return buildColumnReduction(b, loc, spec, index(info.channels),
                              index(info.rows()), token);
}

void ChannelGradKernelBuilder::build() {
  Value token = startChain(b, loc);
  // The sums grad_input needs: two per channel (BatchNorm) or set.
  Value sums =
      allocInChain(b, loc, MemRefType::get({2 * numSums()}, f32), token);
  bool reduced = true;
  if (info.isGroup()) {
    token = reduceSets(sums, token);
    if (info.gradWeight || info.gradBias)
      token = reduceChannels(sums, token);
  } else if (!info.sumDpre || info.gradWeight || info.gradBias) {
    // The micro-batch form takes grad_input's sums from its operands.
    token = reduceChannels(sums, token);
  } else {
    reduced = false;
  }
  buildGradInput(sums, token,
                 /*streamOutput=*/info.streamingStores && reduced);
  deallocInChain(b, loc, sums, token);
  waitForChain(b, loc, token);
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
    LogicalResult analyzed = analyzeChannelGrad(op, options, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          ChannelGradInfo collapsed = info;
          collapseToVectors(
              rewriter, op->getLoc(),
              {&collapsed.gradOutput, &collapsed.input, &collapsed.residual,
               &collapsed.residualSumGrad, &collapsed.gradInput,
               &collapsed.mean, &collapsed.rstd, &collapsed.weight,
               &collapsed.bias, &collapsed.gradWeight, &collapsed.gradBias,
               &collapsed.sumDpre, &collapsed.sumDpreXhat, &collapsed.count});
          ChannelGradKernelBuilder(rewriter, op->getLoc(), collapsed).build();
        });
  }

  NormToGPUOptions options;
};

} // namespace

void mlir::norm::populateChannelGradToGPUPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<ChannelGradToGPUPattern>(patterns.getContext(), options);
}
