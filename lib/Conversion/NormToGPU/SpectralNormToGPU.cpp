//===- SpectralNormToGPU.cpp - Spectral normalization kernels -------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.spectral_norm (static shapes, destination-passing style
// over memrefs) into column reductions (buildColumnReduction) and one
// elementwise kernel, chained by async tokens. W is the weight with `dim`
// moved first, [rows, cols], read in place (no transposed copy). Each power
// iteration:
//
//   t = W^T u          columns = cols, rows = rows (32 column lanes)
//   a = 1 / max(|t|, eps)                                  (v = a * t)
//   s = W v = a * W t  columns = rows, rows = cols (a block a row)
//   b = 1 / max(|s|, eps)                                  (u = b * s)
//
// in a workspace of f32 (t, s, a, b); the next iteration reads u as b * s.
// Then sigma = u . (W v) = b * |s|^2 (written by the last norm's finalize),
// and one kernel writes output = weight / sigma, new_u = b * s and sigma.
//
//===----------------------------------------------------------------------===//

#include "SpectralNormToGPU.h"
#include "KernelUtils.h"

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::gpu_kernels;

namespace {

/// A spectral_norm, analyzed.
struct SpectralNormInfo {
  Value weight, u, output, newU, sigma;
  SmallVector<Operation *> materializations;
  /// W = the weight with `dim` moved first: rows = its size, cols = the
  /// product of the others; `inner` = the product of those after `dim`.
  int64_t rows = 1, cols = 1, inner = 1, iterations = 1;
  double epsilon = 1e-12;
  /// Blocks that fill the GPU (num-sms x blocks-per-sm).
  int64_t targetBlocks = 1;
};

} // namespace

/// Fills `info`; fails with a reason when `op` cannot become kernels.
static LogicalResult analyzeSpectralNorm(SpectralNormOp op,
                                         const NormToGPUOptions &options,
                                         SpectralNormInfo &info,
                                         std::string &reason) {
  auto type = cast<RankedTensorType>(op.getWeight().getType());
  if (!isSupportedFloat(type.getElementType()) ||
      !isSupportedFloat(getElementTypeOrSelf(op.getSigma().getType()))) {
    reason = "the element types must be f32, f16 or bf16";
    return failure();
  }
  if (!type.hasStaticShape() || type.getNumElements() == 0) {
    reason = "the shape must be static, with elements";
    return failure();
  }
  int64_t dim = op.getDim();
  info.rows = type.getDimSize(dim);
  info.cols = type.getNumElements() / info.rows;
  info.inner = 1;
  for (int64_t d = dim + 1; d < type.getRank(); ++d)
    info.inner *= type.getDimSize(d);
  info.iterations = op.getPowerIterations();
  info.epsilon = op.getEpsilon().convertToDouble();
  info.targetBlocks = std::max<int64_t>(1, options.numSMs) *
                      std::max<int64_t>(1, options.blocksPerSM);
  return getMemRefs({{op.getWeight(), &info.weight}, {op.getU(), &info.u}},
                    {{op.getOutput(), &info.output},
                     {op.getNewU(), &info.newU},
                     {op.getSigma(), &info.sigma}},
                    info.materializations, reason);
}

LogicalResult mlir::norm::checkSpectralNormToGPU(
    Operation *op, const NormToGPUOptions &options, std::string &reason) {
  SpectralNormInfo info;
  return analyzeSpectralNorm(cast<SpectralNormOp>(op), options, info, reason);
}

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

namespace {

class SpectralNormKernelBuilder : KernelBuilderBase {
public:
  SpectralNormKernelBuilder(OpBuilder &b, Location loc,
                            const SpectralNormInfo &info)
      : KernelBuilderBase(b, loc), info(info) {}

  void build();

private:
  /// W[row, col] as f32.
  Value weightAt(Value row, Value col) {
    Value offset;
    if (info.inner == info.cols) {
      // dim 0: W is the weight as stored.
      offset = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, row, index(info.cols)), col);
    } else {
      // col = outer * inner + in -> ((outer * rows) + row) * inner + in.
      Value outer = arith::DivUIOp::create(b, loc, col, index(info.inner));
      Value in = arith::RemUIOp::create(b, loc, col, index(info.inner));
      Value slab = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, outer, index(info.rows)), row);
      offset = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, slab, index(info.inner)), in);
    }
    return loadScalar(info.weight, offset);
  }
  /// u[r] of the current iteration: the input, or b * s.
  Value uAt(Value r, bool first) {
    if (first)
      return loadScalar(info.u, r);
    return mul(loadScalar(scaleS, index(0)), loadScalar(s, r));
  }
  /// 1 / max(sqrt(sumSquares), epsilon).
  Value inverseNorm(Value sumSquares) {
    Value norm = math::SqrtOp::create(b, loc, sumSquares);
    norm = arith::MaximumFOp::create(b, loc, norm, floatConst(info.epsilon));
    return arith::DivFOp::create(b, loc, floatConst(1.0), norm);
  }
  /// Sum of squares of `vector[0, n)` into `*scale` as an inverse norm;
  /// also sigma = inverse norm * sum of squares when `sigma` is set.
  Value reduceNorm(Value vector, int64_t n, Value scale, Value sigmaDest,
                   Value token);
  void buildOutputs(Value &token);

  const SpectralNormInfo &info;
  // Workspace views: t [cols], s [rows], the inverse norms a and b, sigma.
  Value t, s, scaleT, scaleS, sigmaValue;
};

} // namespace

Value SpectralNormKernelBuilder::reduceNorm(Value vector, int64_t n,
                                            Value scale, Value sigmaDest,
                                            Value token) {
  ColumnReduction spec;
  spec.columnLanes = 1;
  spec.chunks =
      std::clamp<int64_t>(llvm::divideCeil(n, kItemBlockSize), 1, 256);
  auto prologue = [&](Value) -> SmallVector<Value> { return {}; };
  auto element = [&](Value, Value r,
                     ArrayRef<Value>) -> SmallVector<ColumnReduction::Pair> {
    Value x = loadScalar(vector, r);
    return {{mul(x, x), floatConst(0.0)}};
  };
  auto finalize = [&](Value column, ColumnReduction::Pair sums) {
    Value inv = inverseNorm(sums.first);
    memref::StoreOp::create(b, loc, inv, scale, column);
    if (sigmaDest)
      memref::StoreOp::create(b, loc, mul(inv, sums.first), sigmaDest, column);
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finalize;
  return buildColumnReduction(b, loc, spec, index(1), index(n), token);
}

void SpectralNormKernelBuilder::buildOutputs(Value &token) {
  Value sigma, scaleU;
  auto prologue = [&] {
    sigma = loadScalar(sigmaValue, index(0));
    scaleU = loadScalar(scaleS, index(0));
  };
  auto item = [&](Value i) {
    storeScalar(
        arith::DivFOp::create(b, loc, loadScalar(info.weight, i), sigma),
        info.output, i);
    if (info.newU)
      guarded(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, i,
                                index(info.rows)),
          [&] { storeScalar(mul(scaleU, loadScalar(s, i)), info.newU, i); });
    if (info.sigma)
      guarded(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, i, index(0)),
          [&] { storeScalar(sigma, info.sigma, index(0)); });
  };
  // rows <= rows * cols: the output's items cover new_u's.
  token = launchForEachItem(info.rows * info.cols, token, item, prologue);
}

void SpectralNormKernelBuilder::build() {
  Value token = startChain(b, loc);
  auto allocate = [&](int64_t size) {
    return allocInChain(b, loc, MemRefType::get({size}, f32), token);
  };
  t = allocate(info.cols);
  s = allocate(info.rows);
  scaleT = allocate(1);
  scaleS = allocate(1);
  sigmaValue = allocate(1);

  // One power iteration after `chain`; the first reads u, the others s.
  auto iterate = [&](bool first, Value &chain) {
    // t = W^T u: a column of W a column lane.
    ColumnReduction wtu;
    wtu.columnLanes = std::min<int64_t>(
        32, llvm::bit_floor(static_cast<uint64_t>(info.cols)));
    wtu.chunks = std::clamp<int64_t>(
        llvm::divideCeil(info.targetBlocks,
                         llvm::divideCeil(info.cols, wtu.columnLanes)),
        1, std::min<int64_t>(256, info.rows));
    auto none = [&](Value) -> SmallVector<Value> { return {}; };
    auto wtuElement =
        [&](Value c, Value r,
            ArrayRef<Value>) -> SmallVector<ColumnReduction::Pair> {
      return {{mul(weightAt(r, c), uAt(r, first)), floatConst(0.0)}};
    };
    auto storeT = [&](Value c, ColumnReduction::Pair sums) {
      memref::StoreOp::create(b, loc, sums.first, t, c);
    };
    wtu.prologue = none;
    wtu.element = wtuElement;
    wtu.finalize = storeT;
    chain = buildColumnReduction(b, loc, wtu, index(info.cols),
                                 index(info.rows), chain);
    chain = reduceNorm(t, info.cols, scaleT, Value(), chain);

    // s = W v = a * W t: a block a row of W.
    ColumnReduction wv;
    wv.columnLanes = 1;
    wv.chunks = 1;
    auto wvElement =
        [&](Value r, Value c,
            ArrayRef<Value>) -> SmallVector<ColumnReduction::Pair> {
      return {{mul(weightAt(r, c), loadScalar(t, c)), floatConst(0.0)}};
    };
    auto storeS = [&](Value r, ColumnReduction::Pair sums) {
      memref::StoreOp::create(
          b, loc, mul(loadScalar(scaleT, index(0)), sums.first), s, r);
    };
    wv.prologue = none;
    wv.element = wvElement;
    wv.finalize = storeS;
    chain = buildColumnReduction(b, loc, wv, index(info.rows), index(info.cols),
                                 chain);
    // Every iteration writes sigma: the last one's is kept.
    chain = reduceNorm(s, info.rows, scaleS, sigmaValue, chain);
  };
  iterate(/*first=*/true, token);
  if (info.iterations > 1) {
    // The later iterations are the same kernels: a host loop, not one copy
    // of them an iteration. Each iteration is its own chain, synchronized:
    // gpu-to-llvm lowers a token through the call that defines it (a
    // stream or an event), which a loop-carried block argument has not.
    waitForChain(b, loc, token);
    auto loop =
        scf::ForOp::create(b, loc, index(1), index(info.iterations), index(1));
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      Value inner = startChain(b, loc);
      iterate(/*first=*/false, inner);
      waitForChain(b, loc, inner);
    }
    token = startChain(b, loc);
  }
  buildOutputs(token);
  for (Value buffer : {t, s, scaleT, scaleS, sigmaValue})
    deallocInChain(b, loc, buffer, token);
  waitForChain(b, loc, token);
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

namespace {

struct SpectralNormToGPUPattern : OpRewritePattern<SpectralNormOp> {
  SpectralNormToGPUPattern(MLIRContext *ctx, const NormToGPUOptions &options)
      : OpRewritePattern(ctx), options(options) {}

  LogicalResult matchAndRewrite(SpectralNormOp op,
                                PatternRewriter &rewriter) const override {
    SpectralNormInfo info;
    std::string reason;
    LogicalResult analyzed = analyzeSpectralNorm(op, options, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          SpectralNormInfo collapsed = info;
          collapseToVectors(rewriter, op.getLoc(),
                            {&collapsed.weight, &collapsed.output,
                             &collapsed.newU, &collapsed.sigma});
          SpectralNormKernelBuilder(rewriter, op.getLoc(), collapsed).build();
        });
  }

  NormToGPUOptions options;
};

} // namespace

void mlir::norm::populateSpectralNormToGPUPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<SpectralNormToGPUPattern>(patterns.getContext(), options);
}
