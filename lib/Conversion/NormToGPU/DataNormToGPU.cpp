//===- DataNormToGPU.cpp - Data normalization elementwise kernels ---------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.standardize, norm.min_max_scale and norm.image_normalize
// (destination-passing style over memrefs) into one elementwise gpu.launch.
// Each output element is its input element and the two fitted statistics of
// its feature `f` (mean/std, min/max, or a channel's mean/std), computed in
// f32 with the arithmetic of convert-norm-to-linalg: the value is centred
// first, then divided (data far from zero, what standardization is for,
// would cancel in a folded `x * (1 / std) - mean / std`).
//
// The input is viewed as runs of consecutive dimensions that are either all
// kept (the statistics' dimensions) or all reduced; `f` of element `i` is the
// linear index of its kept coordinates: the sum over kept runs of
// `(i / inner) % size * stride`. Threads handle vectors of V elements (16
// bytes of the wider of the input and output types, narrowed until V
// divides the innermost run), so the V elements of a vector share `f` when
// the innermost run is reduced, and have V consecutive features when it is
// kept. Blocks of 256 threads, `unroll` (4) vectors a thread, the block's
// vectors of one unroll step contiguous; the tail is masked.
//
//===----------------------------------------------------------------------===//

#include "DataNormToGPU.h"
#include "KernelUtils.h"

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::gpu_kernels;

namespace {

enum class DataNormKind { Standardize, MinMaxScale, ImageNormalize };

/// Most chunks the fitting kernels split a feature's elements into.
constexpr int64_t kMaxChunks = 256;

/// A run of consecutive input dimensions, all kept or all reduced.
struct DimRun {
  /// Product of the sizes (ShapedType::kDynamic for a dynamic outermost
  /// run).
  int64_t size = 1;
  /// Product of the sizes of the dimensions after the run.
  int64_t inner = 1;
  /// For a kept run: the product of the sizes of the kept runs after it.
  int64_t stride = 1;
  bool kept = false;
};

/// A standardize, min_max_scale or image_normalize, analyzed.
struct DataNormInfo {
  DataNormKind kind = DataNormKind::Standardize;
  /// Memrefs: `center` is the mean or min, `spread` the std or max.
  Value input, center, spread, output;
  SmallVector<Operation *> materializations;
  /// Image pixels are multiplied by `scale` first; min_max_scale maps to
  /// [rangeMin, rangeMin + range].
  double scale = 1.0, rangeMin = 0.0, range = 1.0;
  SmallVector<DimRun> runs;
  int64_t vectorWidth = 1;
  /// Elements, when static.
  std::optional<int64_t> numElements;

  bool innermostKept() const { return runs.back().kept; }
};

/// A moments or min_max, analyzed.
struct FitInfo {
  bool moments = true;
  int64_t correction = 0;
  /// batch_stats: the second result is m2 = sum((x - mean)^2), and `count`
  /// (rank 0) the element count of a channel.
  bool m2 = false;
  /// Memrefs: `first` is the mean or min, `second` the std, m2 or max.
  Value input, first, second, count;
  SmallVector<Operation *> materializations;
  SmallVector<DimRun> runs;
  std::optional<int64_t> numElements;
  /// Products of the kept / reduced run sizes, when static.
  std::optional<int64_t> numFeatures, numReduced;
  /// Block: featureLanes x reduceLanes threads; grid: feature tiles x
  /// `chunks` of the reduced elements (see buildColumnReduction). With the
  /// features contiguous, a thread reads `featureVector` of them at once.
  int64_t featureLanes = 1, reduceLanes = kItemBlockSize, chunks = 1;
  int64_t featureVector = 1;
};

/// A batch_stats_merge, analyzed: memrefs of its operands and results.
struct MergeInfo {
  Value countA, meanA, m2A, countB, meanB, m2B;
  Value count, mean, m2, var;
  SmallVector<Operation *> materializations;
};

} // namespace

bool mlir::norm::isDataNormOp(Operation *op) {
  return isa<StandardizeOp, MinMaxScaleOp, ImageNormalizeOp, MomentsOp,
             MinMaxOp, BatchStatsOp, BatchStatsMergeOp>(op);
}

/// The dimensions of `shape` as runs of consecutive kept / reduced
/// dimensions, outermost first, with their inner sizes and (kept runs) the
/// strides of their coordinates in the statistics. Only the outermost
/// dimension may be dynamic.
static SmallVector<DimRun> computeRuns(ArrayRef<int64_t> shape,
                                       ArrayRef<bool> kept) {
  SmallVector<DimRun> runs;
  for (auto [d, size] : llvm::enumerate(shape)) {
    if (runs.empty() || runs.back().kept != kept[d]) {
      runs.push_back(DimRun{size, 1, 1, kept[d]});
      continue;
    }
    runs.back().size = ShapedType::isDynamic(runs.back().size)
                           ? ShapedType::kDynamic
                           : runs.back().size * size;
  }
  int64_t inner = 1, stride = 1;
  for (DimRun &run : llvm::reverse(runs)) {
    run.inner = inner;
    if (run.kept) {
      run.stride = stride;
      if (!ShapedType::isDynamic(run.size))
        stride *= run.size;
    }
    if (!ShapedType::isDynamic(run.size))
      inner *= run.size;
  }
  return runs;
}

/// Checks what the kernels need of the input's shape: a dimension, a
/// dynamic size only in the outermost one, elements. Sets `numElements`
/// when the shape is static.
static LogicalResult checkShape(RankedTensorType type,
                                std::optional<int64_t> &numElements,
                                std::string &reason) {
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.empty()) {
    reason = "the input must have at least one dimension";
    return failure();
  }
  if (llvm::any_of(shape.drop_front(), ShapedType::isDynamic)) {
    reason = "only the outermost dimension may be dynamic";
    return failure();
  }
  // A dynamic outer size may be 0 at run time; a static 0 is rejected.
  if (llvm::is_contained(shape, 0)) {
    reason = "the input has no elements";
    return failure();
  }
  if (type.hasStaticShape())
    numElements = type.getNumElements();
  return success();
}

/// Fills `info`; fails with a reason when `op` cannot become a kernel.
static LogicalResult analyzeDataNorm(Operation *op, DataNormInfo &info,
                                     std::string &reason) {
  Value input, center, spread, output;
  SmallVector<bool> kept;
  auto keepAllBut = [&](int64_t rank, ArrayRef<int64_t> axes) {
    kept.assign(rank, true);
    for (int64_t axis : axes)
      kept[axis] = false;
  };
  if (auto st = dyn_cast<StandardizeOp>(op)) {
    info.kind = DataNormKind::Standardize;
    input = st.getInput();
    center = st.getMean();
    spread = st.getStd();
    output = st.getOutput();
    keepAllBut(st.getInput().getType().getRank(), st.getAxes());
  } else if (auto mm = dyn_cast<MinMaxScaleOp>(op)) {
    info.kind = DataNormKind::MinMaxScale;
    input = mm.getInput();
    center = mm.getMin();
    spread = mm.getMax();
    output = mm.getOutput();
    info.rangeMin = mm.getRangeMin().convertToDouble();
    info.range = mm.getRangeMax().convertToDouble() - info.rangeMin;
    keepAllBut(mm.getInput().getType().getRank(), mm.getAxes());
  } else if (auto img = dyn_cast<ImageNormalizeOp>(op)) {
    info.kind = DataNormKind::ImageNormalize;
    input = img.getInput();
    center = img.getMean();
    spread = img.getStd();
    output = img.getOutput();
    info.scale = img.getScale().convertToDouble();
    int64_t rank = img.getInput().getType().getRank();
    kept.assign(rank, false);
    kept[img.getLayout() == ImageLayout::NHWC ? rank - 1 : rank - 3] = true;
  } else {
    reason = "not a standardize, min_max_scale or image_normalize";
    return failure();
  }

  auto inputType = cast<RankedTensorType>(input.getType());
  auto outputType = cast<RankedTensorType>(output.getType());
  auto statType = cast<RankedTensorType>(center.getType());
  Type inputElement = inputType.getElementType();
  bool byteImage = inputElement.isInteger(8);
  if (!(isSupportedFloat(inputElement) || byteImage) ||
      !isSupportedFloat(outputType.getElementType()) ||
      !isSupportedFloat(statType.getElementType())) {
    reason = "the element types must be f32, f16 or bf16 (8-bit image "
             "pixels)";
    return failure();
  }
  if (failed(checkShape(inputType, info.numElements, reason)))
    return failure();
  ArrayRef<int64_t> shape = inputType.getShape();
  info.runs = computeRuns(shape, kept);
  unsigned bits = std::max(inputElement.getIntOrFloatBitWidth(),
                           outputType.getElementType().getIntOrFloatBitWidth());
  int64_t innermost = info.runs.back().size;
  info.vectorWidth =
      ShapedType::isDynamic(innermost) ? 1 : vectorWidthFor(innermost, bits);

  return getMemRefs(
      {{input, &info.input}, {center, &info.center}, {spread, &info.spread}},
      {{output, &info.output}}, info.materializations, reason);
}

/// Fills `info` for a moments or min_max; fails with a reason when `op`
/// cannot become kernels.
static LogicalResult analyzeFit(Operation *op, const NormToGPUOptions &options,
                                FitInfo &info, std::string &reason) {
  Value input, first, second, count;
  ArrayRef<int64_t> axes;
  SmallVector<int64_t> batchAxes;
  if (auto mo = dyn_cast<MomentsOp>(op)) {
    info.moments = true;
    info.correction = mo.getCorrection();
    input = mo.getInput();
    first = mo.getMean();
    second = mo.getStd();
    axes = mo.getAxes();
  } else if (auto mm = dyn_cast<MinMaxOp>(op)) {
    info.moments = false;
    input = mm.getInput();
    first = mm.getMin();
    second = mm.getMax();
    axes = mm.getAxes();
  } else if (auto bs = dyn_cast<BatchStatsOp>(op)) {
    // moments over every dimension but the channels', m2 for the std.
    info.moments = true;
    info.m2 = true;
    input = bs.getInput();
    first = bs.getMean();
    second = bs.getM2();
    count = bs.getCount();
    int64_t rank = bs.getInput().getType().getRank();
    for (int64_t d = 0; d < rank; ++d)
      if (d != static_cast<int64_t>(bs.getFeatureAxis()))
        batchAxes.push_back(d);
    axes = batchAxes;
  } else {
    reason = "not a moments, min_max or batch_stats";
    return failure();
  }
  auto inputType = cast<RankedTensorType>(input.getType());
  if (!isSupportedFloat(inputType.getElementType()) ||
      !isSupportedFloat(getElementTypeOrSelf(first.getType()))) {
    reason = "the element types must be f32, f16 or bf16";
    return failure();
  }
  if (failed(checkShape(inputType, info.numElements, reason)))
    return failure();
  SmallVector<bool> kept(inputType.getRank(), true);
  for (int64_t axis : axes)
    kept[axis] = false;
  info.runs = computeRuns(inputType.getShape(), kept);
  int64_t features = 1, reduced = 1;
  bool featuresStatic = true, reducedStatic = true;
  for (const DimRun &run : info.runs) {
    bool dynamic = ShapedType::isDynamic(run.size);
    (run.kept ? featuresStatic : reducedStatic) &= !dynamic;
    if (!dynamic)
      (run.kept ? features : reduced) *= run.size;
  }
  if (featuresStatic)
    info.numFeatures = features;
  if (reducedStatic)
    info.numReduced = reduced;

  // Lanes across features when they are contiguous (the innermost run is
  // kept), a 16-byte vector of them a thread (a vector never leaves the
  // run: its size is a multiple of the width); else a block reduces the
  // elements of one feature.
  if (info.runs.back().kept && !ShapedType::isDynamic(info.runs.back().size)) {
    int64_t size = info.runs.back().size;
    info.featureVector =
        vectorWidthFor(size, inputType.getElementTypeBitWidth());
    info.featureLanes = std::min<int64_t>(
        32, llvm::bit_floor(static_cast<uint64_t>(size / info.featureVector)));
  }
  info.reduceLanes = kItemBlockSize / info.featureLanes;
  int64_t tiles = info.numFeatures
                      ? llvm::divideCeil(*info.numFeatures / info.featureVector,
                                         info.featureLanes)
                      : 1;
  int64_t targetBlocks = std::max<int64_t>(1, options.numSMs) *
                         std::max<int64_t>(1, options.blocksPerSM);
  info.chunks =
      std::clamp<int64_t>(llvm::divideCeil(targetBlocks, tiles), 1, kMaxChunks);
  if (info.numReduced)
    info.chunks = std::min<int64_t>(
        info.chunks, llvm::divideCeil(*info.numReduced, info.reduceLanes));

  // Either result may be unused (getMemRefs wants a destination for the
  // first one it is given).
  SmallVector<std::pair<Value, Value *>> results = {{first, &info.first},
                                                    {second, &info.second}};
  if (first.use_empty())
    std::swap(results[0], results[1]);
  if (count)
    results.push_back({count, &info.count});
  return getMemRefs({{input, &info.input}}, results, info.materializations,
                    reason);
}

/// Fills `info` for a batch_stats_merge; fails with a reason when it cannot
/// become a kernel.
static LogicalResult analyzeMerge(BatchStatsMergeOp op, MergeInfo &info,
                                  std::string &reason) {
  if (!isSupportedFloat(getElementTypeOrSelf(op.getMeanA().getType())) ||
      !isSupportedFloat(getElementTypeOrSelf(op.getCountA().getType()))) {
    reason = "the element types must be f32, f16 or bf16";
    return failure();
  }
  // The mean first: the count is rank 0.
  return getMemRefs({{op.getCountA(), &info.countA},
                     {op.getMeanA(), &info.meanA},
                     {op.getM2A(), &info.m2A},
                     {op.getCountB(), &info.countB},
                     {op.getMeanB(), &info.meanB},
                     {op.getM2B(), &info.m2B}},
                    {{op.getMean(), &info.mean},
                     {op.getCount(), &info.count},
                     {op.getM2(), &info.m2},
                     {op.getVar(), &info.var}},
                    info.materializations, reason);
}

LogicalResult mlir::norm::checkDataNormToGPU(Operation *op,
                                             const NormToGPUOptions &options,
                                             std::string &reason) {
  if (auto merge = dyn_cast<BatchStatsMergeOp>(op)) {
    MergeInfo info;
    return analyzeMerge(merge, info, reason);
  }
  if (isa<MomentsOp, MinMaxOp, BatchStatsOp>(op)) {
    FitInfo info;
    return analyzeFit(op, options, info, reason);
  }
  DataNormInfo info;
  return analyzeDataNorm(op, info, reason);
}

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

/// The element count of the collapsed `input` (`numElements` when static);
/// a dynamic one also moves the insertion point of `b` into `if (count >
/// 0)` (no launch of zero blocks; the caller holds an InsertionGuard).
static Value countAndSkipEmpty(OpBuilder &b, Location loc,
                               std::optional<int64_t> numElements,
                               Value input) {
  if (numElements)
    return arith::ConstantIndexOp::create(b, loc, *numElements);
  Value count = memref::DimOp::create(b, loc, input, 0);
  Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, count,
                                    arith::ConstantIndexOp::create(b, loc, 0));
  auto ifOp = scf::IfOp::create(b, loc, any, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  return count;
}

namespace {

/// Builds the elementwise gpu.launch. Input, output and statistics are the
/// collapsed 1-D memrefs.
class DataNormKernelBuilder : KernelBuilderBase {
public:
  DataNormKernelBuilder(OpBuilder &b, Location loc, const DataNormInfo &info)
      : KernelBuilderBase(b, loc), info(info), v(info.vectorWidth) {}

  /// Emits the launch (under `if (elements > 0)` for a dynamic shape).
  void build();

private:
  /// The feature of element `elem` (an index).
  Value featureOf(Value elem);
  /// The V pixels of `vector` as f32 (8-bit pixels read as unsigned).
  SmallVector<Value> pixelsToF32(Value vector);
  /// y for one element: `x` the input as f32, `c` the center, `s` the
  /// spread (f32).
  Value normalize(Value x, Value c, Value s);
  /// `loadScalar`, or a vector of V statistics as f32 elements.
  SmallVector<Value> loadStatistics(Value memref, Value feature);

  const DataNormInfo &info;
  int64_t v;
};

} // namespace

Value DataNormKernelBuilder::featureOf(Value elem) {
  Value feature = index(0);
  for (const DimRun &run : info.runs) {
    if (!run.kept)
      continue;
    Value coord = elem;
    if (run.inner != 1)
      coord = arith::DivUIOp::create(b, loc, coord, index(run.inner));
    // The outermost run needs no wrap (and may be dynamic).
    if (&run != &info.runs.front())
      coord = arith::RemUIOp::create(b, loc, coord, index(run.size));
    if (run.stride != 1)
      coord = arith::MulIOp::create(b, loc, coord, index(run.stride));
    feature = arith::AddIOp::create(b, loc, feature, coord);
  }
  return feature;
}

SmallVector<Value> DataNormKernelBuilder::pixelsToF32(Value vector) {
  auto type = cast<VectorType>(vector.getType());
  auto intType = dyn_cast<IntegerType>(type.getElementType());
  if (!intType)
    return toF32Elements({vector});
  // arith takes signless integers: ui8 pixels are bit-cast to i8 and
  // converted as unsigned.
  if (!intType.isSignless())
    vector = vector::BitCastOp::create(
        b, loc, type.clone(b.getIntegerType(intType.getWidth())), vector);
  Value wide = arith::UIToFPOp::create(b, loc, type.clone(f32), vector);
  SmallVector<Value> elements;
  for (int64_t k = 0; k < type.getNumElements(); ++k)
    elements.push_back(
        vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{k}));
  return elements;
}

Value DataNormKernelBuilder::normalize(Value x, Value c, Value s) {
  Value zero = floatConst(0.0), one = floatConst(1.0);
  if (info.scale != 1.0)
    x = mul(x, floatConst(info.scale));
  Value centred = sub(x, c);
  switch (info.kind) {
  case DataNormKind::ImageNormalize:
    return arith::DivFOp::create(b, loc, centred, s);
  case DataNormKind::Standardize: {
    // A zero std leaves the centred value unscaled.
    Value isZero =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, s, zero);
    Value divisor = arith::SelectOp::create(b, loc, isZero, one, s);
    return arith::DivFOp::create(b, loc, centred, divisor);
  }
  case DataNormKind::MinMaxScale: {
    // max == min: the width taken as 1 (scikit-learn's), y = range_min +
    // (x - min) * (range_max - range_min).
    Value width = sub(s, c);
    Value isZero =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, width, zero);
    Value divisor = arith::SelectOp::create(b, loc, isZero, one, width);
    Value y = arith::DivFOp::create(b, loc, centred, divisor);
    if (info.range != 1.0)
      y = mul(y, floatConst(info.range));
    if (info.rangeMin != 0.0)
      y = add(y, floatConst(info.rangeMin));
    return y;
  }
  }
  llvm_unreachable("unknown data normalization");
}

SmallVector<Value> DataNormKernelBuilder::loadStatistics(Value memref,
                                                         Value feature) {
  if (!info.innermostKept() || v == 1)
    return {loadScalar(memref, feature)};
  auto type =
      VectorType::get({v}, cast<MemRefType>(memref.getType()).getElementType());
  return toF32Elements({loadVector(
      type, memref, Value(), [&] { return SmallVector<Value>{feature}; })});
}

void DataNormKernelBuilder::build() {
  Value one = index(1);
  OpBuilder::InsertionGuard guard(b);
  Value elements = countAndSkipEmpty(b, loc, info.numElements, info.input);
  Value numVectors = arith::DivUIOp::create(b, loc, elements, index(v));
  Value grid = arith::CeilDivUIOp::create(
      b, loc, numVectors, index(kItemBlockSize * kItemsPerThread));
  gpu::LaunchOp launch = createLaunch(one, grid, one, index(kItemBlockSize),
                                      /*dependency=*/Value(), {});
  Value tid = launch.getThreadIds().x;
  Value bid = launch.getBlockIds().x;
  Value lastVector = arith::SubIOp::create(b, loc, numVectors, one);
  bool exact =
      info.numElements &&
      (*info.numElements / v) % (kItemBlockSize * kItemsPerThread) == 0;

  auto inType = VectorType::get(
      {v}, cast<MemRefType>(info.input.getType()).getElementType());
  auto outType = VectorType::get(
      {v}, cast<MemRefType>(info.output.getType()).getElementType());
  Value base = arith::MulIOp::create(b, loc, bid,
                                     index(kItemBlockSize * kItemsPerThread));
  base = arith::AddIOp::create(b, loc, base, tid);
  // Load every vector first (loads in flight together), then compute.
  SmallVector<Value> vectorIds, valids, inputs;
  for (int64_t k = 0; k < kItemsPerThread; ++k) {
    Value id = arith::AddIOp::create(b, loc, base, index(k * kItemBlockSize));
    Value valid;
    if (!exact)
      valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, id,
                                    numVectors);
    vectorIds.push_back(id);
    valids.push_back(valid);
    inputs.push_back(loadVector(inType, info.input, valid, [&] {
      return SmallVector<Value>{
          arith::MulIOp::create(b, loc, id, index(v)).getResult()};
    }));
  }
  for (int64_t k = 0; k < kItemsPerThread; ++k) {
    // Masked vectors read the statistics of the last vector (in bounds).
    Value id = valids[k]
                   ? arith::MinUIOp::create(b, loc, vectorIds[k], lastVector)
                   : vectorIds[k];
    Value feature =
        featureOf(arith::MulIOp::create(b, loc, id, index(v)).getResult());
    SmallVector<Value> centers = loadStatistics(info.center, feature);
    SmallVector<Value> spreads = loadStatistics(info.spread, feature);
    SmallVector<Value> x = pixelsToF32(inputs[k]);
    SmallVector<Value> y;
    for (int64_t e = 0; e < v; ++e) {
      size_t s = centers.size() == 1 ? 0 : e;
      y.push_back(normalize(x[e], centers[s], spreads[s]));
    }
    Value out = packFromF32(y, outType);
    guarded(valids[k], [&] {
      storeVector(out, info.output,
                  {arith::MulIOp::create(b, loc, vectorIds[k], index(v))});
    });
  }
}

namespace {

/// Builds the kernels of a moments or min_max: a column reduction
/// (buildColumnReduction) whose columns are the features and whose rows are
/// a feature's reduced elements, chained by async tokens:
///
///  * moments sum `d = x - x0` and `d * d`, with `x0` the feature's first
///    element: a shift that keeps the sums near the data's spread, so that
///    the variance `(sum(d^2) - sum(d)^2 / n) / (n - correction)` does not
///    cancel for data far from zero (Welford's update would need a division
///    per element);
///  * min_max keeps the minimum and maximum (NaN propagates, as
///    arith.minimumf does; exact in f32 for f16/bf16 inputs).
///
/// Input and results are the collapsed 1-D memrefs.
class FitKernelBuilder : KernelBuilderBase {
public:
  FitKernelBuilder(OpBuilder &b, Location loc, const FitInfo &info)
      : KernelBuilderBase(b, loc), info(info) {}

  /// Emits the kernels (under `if (elements > 0)` for a dynamic shape).
  void build();

private:
  /// The input offset of the `r`-th reduced element of feature `f`.
  Value elementOf(Value f, Value r);
  Value loadInput(Value f, Value r) {
    return loadScalar(info.input, elementOf(f, r));
  }
  /// Writes the statistics of feature `f` from its accumulators.
  void finalize(Value f, ColumnReduction::Pair sums, Value reduced);
  /// The feature's first element (the moments' shift), 0 without elements.
  Value shiftOf(Value f, Value reduced) {
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                      reduced, index(0));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32}, any,
                                  /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    scf::YieldOp::create(b, loc, loadInput(f, index(0)));
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    scf::YieldOp::create(b, loc, floatConst(0.0));
    return ifOp.getResult(0);
  }

  const FitInfo &info;
};

} // namespace

Value FitKernelBuilder::elementOf(Value f, Value r) {
  Value element = index(0);
  for (const DimRun &run : llvm::reverse(info.runs)) {
    Value &rest = run.kept ? f : r;
    Value digit = rest;
    // The outermost run takes what is left (and may be dynamic).
    if (&run != &info.runs.front()) {
      digit = arith::RemUIOp::create(b, loc, rest, index(run.size));
      rest = arith::DivUIOp::create(b, loc, rest, index(run.size));
    }
    if (run.inner != 1)
      digit = arith::MulIOp::create(b, loc, digit, index(run.inner));
    element = arith::AddIOp::create(b, loc, element, digit);
  }
  return element;
}

void FitKernelBuilder::finalize(Value f, ColumnReduction::Pair sums,
                                Value reduced) {
  auto [first, second] = sums;
  if (info.moments) {
    Value n = arith::UIToFPOp::create(
        b, loc, f32,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), reduced));
    Value mean = arith::DivFOp::create(b, loc, first, n);
    // sum(d^2) - sum(d)^2 / n, at least 0 (rounding); 0 without elements
    // (mean: 0 / 0, NaN).
    Value squares = sub(second, mul(first, mean));
    squares = arith::MaximumFOp::create(b, loc, squares, floatConst(0.0));
    if (!info.numReduced)
      squares = arith::SelectOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, reduced,
                                index(0)),
          squares, floatConst(0.0));
    Value dof = n;
    if (info.correction != 0)
      dof = sub(n, floatConst(static_cast<double>(info.correction)));
    second = info.m2 ? squares
                     : math::SqrtOp::create(
                           b, loc, arith::DivFOp::create(b, loc, squares, dof))
                           .getResult();
    if (info.count)
      guarded(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, f, index(0)),
          [&] { storeScalar(n, info.count, index(0)); });
    if (info.first)
      first = add(
          info.numReduced ? loadInput(f, index(0)) : shiftOf(f, reduced), mean);
  }
  if (info.first)
    storeScalar(first, info.first, f);
  if (info.second)
    storeScalar(second, info.second, f);
}

void FitKernelBuilder::build() {
  OpBuilder::InsertionGuard guard(b);
  // Without elements: no features (nothing to write, no launch) when their
  // count is the dynamic one; else every feature gets the statistics of
  // nothing (mean and std NaN, m2 0, min +inf, max -inf), as on the CPU.
  Value elements =
      info.numFeatures
          ? (info.numElements
                 ? index(*info.numElements)
                 : memref::DimOp::create(b, loc, info.input, 0).getResult())
          : countAndSkipEmpty(b, loc, info.numElements, info.input);
  // One of the two may be dynamic (the outermost run's).
  Value features =
      info.numFeatures
          ? index(*info.numFeatures)
          : arith::DivUIOp::create(b, loc, elements, index(*info.numReduced));
  Value reduced =
      info.numReduced
          ? index(*info.numReduced)
          : arith::DivUIOp::create(b, loc, elements, index(*info.numFeatures));

  ColumnReduction spec;
  spec.columnLanes = info.featureLanes;
  spec.chunks = info.chunks;
  spec.minMax = !info.moments;
  int64_t width = info.featureVector;
  spec.columnVector = width;
  // Moments: the shift of each of the thread's features.
  auto prologue = [&](Value f) -> SmallVector<Value> {
    SmallVector<Value> shifts;
    for (int64_t k = 0; info.moments && k < width; ++k) {
      Value feature =
          k == 0 ? f : arith::AddIOp::create(b, loc, f, index(k)).getResult();
      shifts.push_back(info.numReduced ? loadInput(feature, index(0))
                                       : shiftOf(feature, reduced));
    }
    return shifts;
  };
  auto element =
      [&](Value f, Value r,
          ArrayRef<Value> state) -> SmallVector<ColumnReduction::Pair> {
    auto type = VectorType::get(
        {width}, cast<MemRefType>(info.input.getType()).getElementType());
    Value offset = elementOf(f, r);
    SmallVector<Value> values =
        toF32Elements({loadVector(type, info.input, Value(),
                                  [&] { return SmallVector<Value>{offset}; })});
    SmallVector<ColumnReduction::Pair> pairs;
    for (auto [k, v] : llvm::enumerate(values)) {
      if (!info.moments) {
        pairs.push_back({v, v});
        continue;
      }
      Value d = sub(v, state[k]);
      pairs.push_back({d, mul(d, d)});
    }
    return pairs;
  };
  auto finish = [&](Value f, ColumnReduction::Pair sums) {
    finalize(f, sums, reduced);
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finish;

  Value token = startChain(b, loc);
  token = buildColumnReduction(b, loc, spec, features, reduced, token);
  waitForChain(b, loc, token);
}

namespace {

/// Builds the kernels of a batch_stats_merge: a thread a channel (Chan's
/// pairwise update), then one thread writes the count (so that the merge
/// may accumulate in place, into count_a's buffer). The statistics are the
/// collapsed 1-D memrefs, the counts memref<1x...>.
class MergeKernelBuilder : KernelBuilderBase {
public:
  MergeKernelBuilder(OpBuilder &b, Location loc, const MergeInfo &info)
      : KernelBuilderBase(b, loc), info(info) {}

  void build() {
    Value one = index(1);
    Value channels = memref::DimOp::create(b, loc, info.meanA, 0);
    Value grid =
        arith::CeilDivUIOp::create(b, loc, channels, index(kItemBlockSize));
    OpBuilder::InsertionGuard guard(b);
    Value any = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                      channels, index(0));
    auto ifOp = scf::IfOp::create(b, loc, any, /*withElseRegion=*/false);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    Value token = startChain(b, loc);
    Value zero = index(0);
    {
      OpBuilder::InsertionGuard launchGuard(b);
      gpu::LaunchOp launch =
          createLaunch(one, grid, one, index(kItemBlockSize), token, {});
      token = launch.getAsyncToken();
      Value c = itemOfThread(launch);
      Value countA = loadScalar(info.countA, zero);
      Value countB = loadScalar(info.countB, zero);
      Value count = add(countA, countB);
      guarded(
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, c, channels),
          [&] {
            // delta = mean_b - mean_a; mean = mean_a + delta * n_b / n;
            // m2 = m2_a + m2_b + delta^2 * n_a * n_b / n.
            Value meanA = loadScalar(info.meanA, c);
            Value delta = sub(loadScalar(info.meanB, c), meanA);
            Value weightB = arith::DivFOp::create(b, loc, countB, count);
            Value mean = add(meanA, mul(delta, weightB));
            Value m2 =
                add(add(loadScalar(info.m2A, c), loadScalar(info.m2B, c)),
                    mul(mul(mul(delta, delta), countA), weightB));
            storeScalar(mean, info.mean, c);
            if (info.m2)
              storeScalar(m2, info.m2, c);
            if (info.var)
              storeScalar(arith::DivFOp::create(b, loc, m2, count), info.var,
                          c);
          });
    }
    // The count after every thread has read the counts: the destination may
    // be count_a's buffer (statistics accumulated in place).
    if (info.count) {
      OpBuilder::InsertionGuard launchGuard(b);
      gpu::LaunchOp launch = createLaunch(one, one, one, one, token, {});
      token = launch.getAsyncToken();
      storeScalar(
          add(loadScalar(info.countA, zero), loadScalar(info.countB, zero)),
          info.count, zero);
    }
    waitForChain(b, loc, token);
  }

private:
  const MergeInfo &info;
};

} // namespace

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

namespace {

struct DataNormToGPUPattern : RewritePattern {
  DataNormToGPUPattern(MLIRContext *ctx, const NormToGPUOptions &options)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        options(options) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isDataNormOp(op))
      return failure();
    if (isa<MomentsOp, MinMaxOp, BatchStatsOp>(op))
      return rewriteFit(op, rewriter);
    if (auto merge = dyn_cast<BatchStatsMergeOp>(op))
      return rewriteMerge(merge, rewriter);
    DataNormInfo info;
    std::string reason;
    LogicalResult analyzed = analyzeDataNorm(op, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          DataNormInfo collapsed = info;
          collapseToVectors(rewriter, op->getLoc(),
                            {&collapsed.input, &collapsed.output,
                             &collapsed.center, &collapsed.spread});
          DataNormKernelBuilder(rewriter, op->getLoc(), collapsed).build();
        });
  }

  LogicalResult rewriteMerge(BatchStatsMergeOp op,
                             PatternRewriter &rewriter) const {
    MergeInfo info;
    std::string reason;
    LogicalResult analyzed = analyzeMerge(op, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          MergeInfo collapsed = info;
          collapseToVectors(rewriter, op.getLoc(),
                            {&collapsed.countA, &collapsed.meanA,
                             &collapsed.m2A, &collapsed.countB,
                             &collapsed.meanB, &collapsed.m2B, &collapsed.count,
                             &collapsed.mean, &collapsed.m2, &collapsed.var});
          MergeKernelBuilder(rewriter, op.getLoc(), collapsed).build();
        });
  }

  LogicalResult rewriteFit(Operation *op, PatternRewriter &rewriter) const {
    FitInfo info;
    std::string reason;
    LogicalResult analyzed = analyzeFit(op, options, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          FitInfo collapsed = info;
          collapseToVectors(rewriter, op->getLoc(),
                            {&collapsed.input, &collapsed.first,
                             &collapsed.second, &collapsed.count});
          FitKernelBuilder(rewriter, op->getLoc(), collapsed).build();
        });
  }

  NormToGPUOptions options;
};

} // namespace

void mlir::norm::populateDataNormToGPUPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<DataNormToGPUPattern>(patterns.getContext(), options);
}
