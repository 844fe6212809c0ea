//===- ChannelNormToGPU.cpp - GroupNorm/BatchNorm split-reduction kernels -===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.group_norm and norm.batch_norm_{inference,training} (NCHW,
// static shapes, destination-passing style over memrefs) into gpu.launch
// kernels. The input is viewed as `S` statistics sets:
//
//  * GroupNorm: set s = n * G + g is the contiguous run of Cg * HW elements
//    of the channels of group g of sample n;
//  * BatchNorm: set s = c is channel c: N runs of HW elements, C * HW apart.
//
// A set is split into `P` chunks of `K` vectors (V elements, 16 bytes when
// HW allows), so that the grid S x P has enough blocks to fill the GPU
// (`numSMs * blocksPerSM`; P <= 32):
//
//  1. statistics (not for batch_norm_inference): block (s, p) reduces its
//     chunk to a partial (count, mean, M2): each thread merges its vectors
//     (Welford per vector, Chan's formula between vectors), then the block
//     merges with `gpu.shuffle xor` butterflies and one float triple per warp
//     in shared memory. The partials go to a workspace (`gpu.alloc`);
//  2. normalize: block (s, p) merges the P partials of its set with one
//     butterfly per warp (lane l reads partial l), computes mean and rstd,
//     writes the statistics (block (s, 0), thread 0: mean/rstd, saved
//     statistics, running statistics), then writes
//     act(x * scale[c] + shift[c]) for its chunk with vector loads/stores.
//
// BatchNorm with the channels last (NHWC) is a column reduction over
// [rows, C]: blocks of channel lanes x row lanes, per-channel Welford states
// per thread, a shared-memory tree over the row lanes, partials per (chunk,
// channel); a finalize kernel merges them per channel (statistics, scale and
// shift); then the normalize kernel.
//
// The launches are chained by async tokens on one stream (`gpu.wait async`);
// the function waits for them before returning.
//
//===----------------------------------------------------------------------===//

#include "ChannelNormToGPU.h"

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::norm;

namespace {

/// How the statistics sets of a channel normalization map onto the grid.
struct ChannelMapping {
  /// Elements per vector access.
  int64_t vectorWidth = 1;
  /// Vectors per contiguous run (HW / vectorWidth).
  int64_t vectorsPerRun = 1;
  /// Statistics sets (grid x).
  int64_t numSets = 1;
  /// Vectors per set.
  int64_t setVectors = 1;
  /// Chunks per set (grid y), at most 32.
  int64_t numChunks = 1;
  /// Vectors per chunk: a multiple of blockSize * unroll.
  int64_t chunkVectors = 1;
  /// Threads per block.
  int64_t blockSize = 32;
  /// Vectors a thread loads per loop iteration.
  int64_t unroll = 1;

  int64_t numWarps() const { return blockSize / 32; }
  int64_t iterations() const { return chunkVectors / (blockSize * unroll); }
  /// Whether the last chunk extends past the end of the set.
  bool hasTail() const { return numChunks * chunkVectors != setVectors; }
};

/// How a channels-last BatchNorm ([rows, C], C contiguous) maps onto the
/// grid: a block is `rowLanes` x `channelLanes` threads, each thread one
/// vector of V channels of a row at a time; grid = channel tiles x row
/// chunks.
struct ColumnMapping {
  int64_t vectorWidth = 1;
  /// Channel vectors per row (C / V).
  int64_t channelVectors = 1;
  /// Threads across the channel vectors of a row, and across rows (a power
  /// of two).
  int64_t channelLanes = 1, rowLanes = 1;
  /// Grid x (channel vectors / channelLanes) and y (row chunks).
  int64_t channelTiles = 1, numChunks = 1;
  /// Rows per chunk: a multiple of rowLanes * unroll.
  int64_t chunkRows = 1;
  int64_t unroll = 1;

  int64_t blockSize() const { return channelLanes * rowLanes; }
  int64_t iterations() const { return chunkRows / (rowLanes * unroll); }
};

enum class ChannelNormKind { Group, BatchInference, BatchTraining };

/// A group_norm or batch_norm_*, analyzed.
struct ChannelNormInfo {
  ChannelNormKind kind = ChannelNormKind::Group;
  double epsilon = 0.0;
  double momentum = 0.0;
  ActivationAttr activation;
  Value input, weight, bias, runningMean, runningVar;
  /// Destinations; `mean`/`rstd` are group_norm's optional statistics or
  /// batch_norm_training's saved statistics.
  Value output, mean, rstd, newRunningMean, newRunningVar;
  SmallVector<Operation *> materializations;
  int64_t batch = 1, channels = 1, spatial = 1, groups = 1;
  /// BatchNorm with the channels last (NHWC): `rows` = N * H * W rows of
  /// `channels` elements.
  bool channelsLast = false;
  int64_t rows = 1;
  ChannelMapping mapping;
  ColumnMapping columns;

  bool isGroup() const { return kind == ChannelNormKind::Group; }
  bool needsStatistics() const {
    return kind != ChannelNormKind::BatchInference;
  }
  int64_t channelsPerGroup() const { return channels / groups; }
};

} // namespace

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

bool mlir::norm::isChannelNormOp(Operation *op) {
  return isa<GroupNormOp, BatchNormInferenceOp, BatchNormTrainingOp>(op);
}

static bool isPlainMemRef(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity() && !memref.getMemorySpace();
}

/// The identity-layout memref behind a tensor operand (null: unsupported).
static Value getBuffer(Value tensor, std::string &reason) {
  auto toTensor = tensor.getDefiningOp<bufferization::ToTensorOp>();
  if (!toTensor || !isPlainMemRef(toTensor.getBuffer().getType())) {
    reason = "operands must be `bufferization.to_tensor` of identity-layout "
             "memrefs";
    return Value();
  }
  return toTensor.getBuffer();
}

/// The destination of a used result (null when unused or unsupported; then
/// `reason` tells which).
static Value getDestination(Value result, ChannelNormInfo &info,
                            std::string &reason) {
  if (!result || result.use_empty())
    return Value();
  auto materialize =
      dyn_cast<bufferization::MaterializeInDestinationOp>(*result.user_begin());
  if (!result.hasOneUse() || !materialize ||
      materialize.getSource() != result ||
      !isPlainMemRef(materialize.getDest().getType())) {
    reason = "each used result must be written to an identity-layout memref "
             "by one `bufferization.materialize_in_destination`";
    return Value();
  }
  info.materializations.push_back(materialize);
  return materialize.getDest();
}

static bool isSupportedFloat(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

/// Chooses the vector width, the chunks and the block size.
static ChannelMapping computeChannelMapping(const ChannelNormInfo &info,
                                            unsigned elementBits,
                                            const NormToGPUOptions &options) {
  ChannelMapping m;
  m.vectorWidth = 128 / elementBits;
  while (m.vectorWidth > 1 && info.spatial % m.vectorWidth != 0)
    m.vectorWidth /= 2;
  m.vectorsPerRun = info.spatial / m.vectorWidth;
  if (info.isGroup()) {
    m.numSets = info.batch * info.groups;
    m.setVectors = info.channelsPerGroup() * m.vectorsPerRun;
  } else {
    m.numSets = info.channels;
    m.setVectors = info.batch * m.vectorsPerRun;
  }
  m.blockSize = std::clamp<int64_t>(
      llvm::PowerOf2Ceil(static_cast<uint64_t>(m.setVectors)), 32,
      std::max<int64_t>(32, options.channelBlockSize));
  int64_t targetBlocks = std::max<int64_t>(1, options.numSMs) *
                         std::max<int64_t>(1, options.blocksPerSM);
  // A power of two, so that the chunks of power-of-two sets are equal.
  int64_t chunks = std::clamp<int64_t>(
      llvm::PowerOf2Ceil(llvm::divideCeil(targetBlocks, m.numSets)), 1,
      std::max<int64_t>(1, options.maxChunks));
  chunks =
      std::min<int64_t>(chunks, llvm::divideCeil(m.setVectors, m.blockSize));
  int64_t perChunk = llvm::divideCeil(m.setVectors, chunks);
  m.unroll = std::clamp<int64_t>(llvm::divideCeil(perChunk, m.blockSize), 1,
                                 std::max<int64_t>(1, options.channelUnroll));
  m.chunkVectors = llvm::alignTo(perChunk, m.blockSize * m.unroll);
  m.numChunks = llvm::divideCeil(m.setVectors, m.chunkVectors);
  return m;
}

/// The channels-last mapping: lanes across the channel vectors of a row
/// (up to the block), the rest across rows; row chunks to fill the GPU.
static ColumnMapping computeColumnMapping(const ChannelNormInfo &info,
                                          unsigned elementBits,
                                          const NormToGPUOptions &options) {
  ColumnMapping m;
  m.vectorWidth = 128 / elementBits;
  while (m.vectorWidth > 1 && info.channels % m.vectorWidth != 0)
    m.vectorWidth /= 2;
  m.channelVectors = info.channels / m.vectorWidth;
  int64_t block = std::max<int64_t>(32, options.channelBlockSize);
  m.channelLanes = std::min(m.channelVectors, block);
  m.rowLanes =
      std::max<int64_t>(1, static_cast<int64_t>(llvm::bit_floor(
                               static_cast<uint64_t>(block / m.channelLanes))));
  m.rowLanes = std::min<int64_t>(
      m.rowLanes, llvm::PowerOf2Ceil(static_cast<uint64_t>(info.rows)));
  m.channelTiles = llvm::divideCeil(m.channelVectors, m.channelLanes);
  int64_t targetBlocks = std::max<int64_t>(1, options.numSMs) *
                         std::max<int64_t>(1, options.blocksPerSM);
  int64_t chunks =
      std::clamp<int64_t>(llvm::divideCeil(targetBlocks, m.channelTiles), 1,
                          llvm::divideCeil(info.rows, m.rowLanes));
  int64_t perChunk = llvm::divideCeil(info.rows, chunks);
  // The largest unroll that keeps at least 3/4 of the chunks (rounding the
  // chunk up to rowLanes * unroll rows may merge chunks).
  int64_t maxUnroll =
      std::clamp<int64_t>(llvm::divideCeil(perChunk, m.rowLanes), 1,
                          std::max<int64_t>(1, options.channelUnroll));
  for (m.unroll = static_cast<int64_t>(
           llvm::bit_floor(static_cast<uint64_t>(maxUnroll)));
       ; m.unroll /= 2) {
    m.chunkRows = llvm::alignTo(perChunk, m.rowLanes * m.unroll);
    m.numChunks = llvm::divideCeil(info.rows, m.chunkRows);
    if (m.unroll == 1 || 4 * m.numChunks >= 3 * chunks)
      break;
  }
  return m;
}

/// Fills `info`; fails with a reason when `op` cannot become kernels.
static LogicalResult analyzeChannelNorm(Operation *op,
                                        const NormToGPUOptions &options,
                                        ChannelNormInfo &info,
                                        std::string &reason) {
  Value input, weight, bias, residual, runningMean, runningVar;
  Value output, mean, rstd, newMean, newVar;
  int64_t axis = 1;
  if (auto gn = dyn_cast<GroupNormOp>(op)) {
    info.kind = ChannelNormKind::Group;
    info.epsilon = gn.getEpsilon().convertToDouble();
    info.activation = gn.getActivationAttr();
    info.groups = gn.getNumGroups();
    input = gn.getInput();
    weight = gn.getWeight();
    bias = gn.getBias();
    residual = gn.getResidual();
    output = gn.getOutput();
    mean = gn.getMean();
    rstd = gn.getRstd();
    axis = gn.getChannelAxis();
  } else if (auto bn = dyn_cast<BatchNormInferenceOp>(op)) {
    info.kind = ChannelNormKind::BatchInference;
    info.epsilon = bn.getEpsilon().convertToDouble();
    info.activation = bn.getActivationAttr();
    input = bn.getInput();
    weight = bn.getWeight();
    bias = bn.getBias();
    residual = bn.getResidual();
    runningMean = bn.getRunningMean();
    runningVar = bn.getRunningVar();
    output = bn.getOutput();
    axis = bn.getFeatureAxis();
  } else if (auto bn = dyn_cast<BatchNormTrainingOp>(op)) {
    info.kind = ChannelNormKind::BatchTraining;
    info.epsilon = bn.getEpsilon().convertToDouble();
    info.momentum = bn.getMomentum().convertToDouble();
    info.activation = bn.getActivationAttr();
    input = bn.getInput();
    weight = bn.getWeight();
    bias = bn.getBias();
    residual = bn.getResidual();
    runningMean = bn.getRunningMean();
    runningVar = bn.getRunningVar();
    output = bn.getOutput();
    mean = bn.getSavedMean();
    rstd = bn.getSavedRstd();
    newMean = bn.getNewRunningMean();
    newVar = bn.getNewRunningVar();
    axis = bn.getFeatureAxis();
  } else {
    reason = "not a group_norm or batch_norm";
    return failure();
  }

  auto type = cast<RankedTensorType>(input.getType());
  if (!isSupportedFloat(type.getElementType())) {
    reason = "the element type must be f32, f16 or bf16";
    return failure();
  }
  if (residual) {
    reason = "a residual is not supported by the GPU kernels";
    return failure();
  }
  info.channelsLast =
      !info.isGroup() && type.getRank() > 2 && axis == type.getRank() - 1;
  if (type.getRank() < 2 || (axis != 1 && !info.channelsLast)) {
    reason = "only the NCHW layout (channel axis 1), and NHWC (channel axis "
             "last) for batch norm, have GPU kernels";
    return failure();
  }
  if (!type.hasStaticShape()) {
    reason = "the shape must be static";
    return failure();
  }
  if (type.getNumElements() == 0) {
    reason = "the input has no elements";
    return failure();
  }
  info.batch = type.getDimSize(0);
  info.channels = type.getDimSize(1);
  info.spatial = 1;
  for (int64_t d : type.getShape().drop_front(2))
    info.spatial *= d;
  if (info.isGroup() &&
      (info.groups <= 0 || info.channels % info.groups != 0)) {
    reason = "the channels must divide into the groups";
    return failure();
  }
  if (info.channelsLast) {
    info.channels = type.getShape().back();
    info.rows = type.getNumElements() / info.channels;
    info.columns = computeColumnMapping(
        info, type.getElementType().getIntOrFloatBitWidth(), options);
  } else {
    info.mapping = computeChannelMapping(
        info, type.getElementType().getIntOrFloatBitWidth(), options);
  }

  for (auto [tensor, buffer] : {std::pair<Value, Value *>{input, &info.input},
                                {weight, &info.weight},
                                {bias, &info.bias},
                                {runningMean, &info.runningMean},
                                {runningVar, &info.runningVar}}) {
    if (!tensor)
      continue;
    *buffer = getBuffer(tensor, reason);
    if (!*buffer)
      return failure();
  }
  for (auto [result, dest] : {std::pair<Value, Value *>{output, &info.output},
                              {mean, &info.mean},
                              {rstd, &info.rstd},
                              {newMean, &info.newRunningMean},
                              {newVar, &info.newRunningVar}}) {
    *dest = getDestination(result, info, reason);
    if (!*dest && !reason.empty())
      return failure();
  }
  if (!info.output) {
    reason = "the output must be written to a destination memref";
    return failure();
  }
  for (Value v :
       {info.weight, info.bias, info.runningMean, info.runningVar, info.mean,
        info.rstd, info.newRunningMean, info.newRunningVar}) {
    if (v &&
        !isSupportedFloat(cast<MemRefType>(v.getType()).getElementType())) {
      reason = "parameters and statistics must be f32, f16 or bf16";
      return failure();
    }
  }
  return success();
}

LogicalResult mlir::norm::checkChannelNormToGPU(Operation *op,
                                                const NormToGPUOptions &options,
                                                std::string &reason) {
  ChannelNormInfo info;
  return analyzeChannelNorm(op, options, info, reason);
}

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

namespace {

/// A partial statistics triple (count, mean, M2), all f32.
struct Moments {
  Value count, mean, m2;
};

/// Builds the launches of one channel normalization. Operands are collapsed:
/// input and output to 1-D, statistics to [S], parameters to [C].
class ChannelKernelBuilder {
public:
  ChannelKernelBuilder(OpBuilder &b, Location loc, const ChannelNormInfo &info,
                       Type elementType)
      : b(b), loc(loc), info(info), m(info.mapping), elementType(elementType),
        f32(b.getF32Type()) {}

  /// Emits the workspace, the launches and the final wait.
  void build();

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value floatConst(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value toF32(Value v) {
    if (v.getType() == f32)
      return v;
    return arith::ExtFOp::create(b, loc, f32, v);
  }
  Value fromF32(Value v, Type type) {
    if (type == f32)
      return v;
    return arith::TruncFOp::create(b, loc, type, v);
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value loadScalar(Value memref, Value idx) {
    return toF32(memref::LoadOp::create(b, loc, memref, ValueRange{idx}));
  }
  void storeScalar(Value v, Value memref, Value idx) {
    Type type = cast<MemRefType>(memref.getType()).getElementType();
    memref::StoreOp::create(b, loc, fromF32(v, type), memref, ValueRange{idx});
  }
  /// `lhs && rhs` where either may be null (true).
  Value andCondition(Value lhs, Value rhs) {
    if (!lhs)
      return rhs;
    if (!rhs)
      return lhs;
    return arith::AndIOp::create(b, loc, lhs, rhs);
  }
  /// Runs `body` under `scf.if cond` (directly when `cond` is null).
  void guarded(Value cond, llvm::function_ref<void()> body) {
    if (!cond) {
      body();
      return;
    }
    auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    body();
  }

  /// Chan's merge of two partials (either may be empty).
  Moments merge(Moments a, Moments x);
  /// Butterfly merge over `width` lanes; every lane gets lane 0's result.
  Moments mergeWarp(Moments v, int64_t width);
  /// Creates a launch of S x P blocks after `dependency`; sets the insertion
  /// point into its body and the thread ids. Returns its token.
  Value createLaunch(Value dependency, ArrayRef<Type> workgroup,
                     gpu::LaunchOp &launch);
  /// Element offset of the vector `k` (index within the set) of set `set`.
  Value vectorOffset(Value set, Value k);
  /// Channel of the vector `k` of `set` (group norm only).
  Value channelOf(Value set, Value k);
  /// Loops over this thread's vectors of its chunk: `body(k, valid)` for
  /// each (valid null when every vector is in the set), `unroll` at a time,
  /// carrying `init`.
  SmallVector<Value> forEachVector(
      ValueRange init,
      llvm::function_ref<SmallVector<Value>(
          ArrayRef<Value> ks, ArrayRef<Value> valids, ValueRange carried)>
          body);

  /// Kernel 1: partial moments of each chunk into the workspace.
  void buildStatistics(Value workspace, gpu::LaunchOp &launch);
  /// Kernel 2: merge, statistics outputs, normalize + activation.
  void buildNormalize(Value workspace, gpu::LaunchOp &launch);

  // Channels last (NHWC BatchNorm): [rows, C] with C contiguous.
  Value createLaunch(Value dependency, ArrayRef<Type> workgroup,
                     gpu::LaunchOp &launch, int64_t gridX, int64_t gridY,
                     int64_t blockX);
  /// Emits the launches of a channels-last BatchNorm.
  void buildColumns();
  /// Sets `channelVector` (clamped), `channelValid` (null: always) and
  /// `rowLane` from the thread and block ids.
  void setColumnThread();
  /// Loops over this thread's rows of its chunk: `body(rows, valids,
  /// carried)`, `unroll` rows at a time.
  SmallVector<Value>
  forEachRow(ValueRange init,
             llvm::function_ref<SmallVector<Value>(ArrayRef<Value>,
                                                   ArrayRef<Value>, ValueRange)>
                 body);
  /// Element offset of this thread's channel vector in `row`.
  Value columnOffset(Value rowIdx);
  /// Kernel 1: per-channel partial moments of each row chunk.
  void buildColumnStatistics(Value workspace, gpu::LaunchOp &launch);
  /// Kernel 2 (a warp per channel): merges the partials of each channel,
  /// writes the statistics and the channel's scale and shift into the
  /// workspace.
  void buildColumnFinalize(Value workspace);
  /// Kernel 3 (the only one for inference): act(x * scale + shift).
  void buildColumnNormalize(Value workspace);

  OpBuilder &b;
  Location loc;
  const ChannelNormInfo &info;
  const ChannelMapping &m;
  Type elementType;
  Type f32;

  // Inside a kernel.
  Value tid, set, chunk;
  // Channels last, inside a kernel.
  Value channelVector, channelValid, rowLane;
};

} // namespace

Moments ChannelKernelBuilder::merge(Moments a, Moments x) {
  Value count = add(a.count, x.count);
  Value ratio = arith::DivFOp::create(
      b, loc, x.count, arith::MaximumFOp::create(b, loc, count, floatConst(1)));
  Value delta = sub(x.mean, a.mean);
  Value mean = add(a.mean, mul(delta, ratio));
  Value m2 = add(add(a.m2, x.m2), mul(mul(delta, delta), mul(a.count, ratio)));
  return {count, mean, m2};
}

Moments ChannelKernelBuilder::mergeWarp(Moments v, int64_t width) {
  auto shuffle = [&](Value x, int32_t offset, gpu::ShuffleMode mode) {
    return gpu::ShuffleOp::create(b, loc, x, offset, /*width=*/32, mode)
        .getShuffleResult();
  };
  for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
    auto o = static_cast<int32_t>(offset);
    Moments other{shuffle(v.count, o, gpu::ShuffleMode::XOR),
                  shuffle(v.mean, o, gpu::ShuffleMode::XOR),
                  shuffle(v.m2, o, gpu::ShuffleMode::XOR)};
    v = merge(v, other);
  }
  // The merge is not exactly symmetric: take lane 0's result everywhere.
  return {shuffle(v.count, 0, gpu::ShuffleMode::IDX),
          shuffle(v.mean, 0, gpu::ShuffleMode::IDX),
          shuffle(v.m2, 0, gpu::ShuffleMode::IDX)};
}

Value ChannelKernelBuilder::createLaunch(Value dependency,
                                         ArrayRef<Type> workgroup,
                                         gpu::LaunchOp &launch) {
  return createLaunch(dependency, workgroup, launch, m.numSets, m.numChunks,
                      m.blockSize);
}

Value ChannelKernelBuilder::createLaunch(Value dependency,
                                         ArrayRef<Type> workgroup,
                                         gpu::LaunchOp &launch, int64_t gridX,
                                         int64_t gridY, int64_t blockX) {
  Value one = index(1);
  launch = gpu::LaunchOp::create(b, loc, index(gridX), index(gridY), one,
                                 index(blockX), one, one,
                                 /*dynamicSharedMemorySize=*/Value(),
                                 gpu::AsyncTokenType::get(b.getContext()),
                                 ValueRange{dependency}, workgroup);
  Block &body = launch.getBody().front();
  if (body.empty() || !isa<gpu::TerminatorOp>(body.back())) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(&body);
    gpu::TerminatorOp::create(b, loc);
  }
  b.setInsertionPoint(body.getTerminator());
  tid = launch.getThreadIds().x;
  set = launch.getBlockIds().x;
  chunk = launch.getBlockIds().y;
  return launch.getAsyncToken();
}

Value ChannelKernelBuilder::vectorOffset(Value setIdx, Value k) {
  Value v = index(m.vectorWidth);
  if (info.isGroup()) {
    Value base = arith::MulIOp::create(b, loc, setIdx,
                                       index(m.setVectors * m.vectorWidth));
    return arith::AddIOp::create(b, loc, base,
                                 arith::MulIOp::create(b, loc, k, v));
  }
  // BatchNorm: run j = k / vectorsPerRun of channel c starts at
  // (j * C + c) * HW.
  Value run = arith::DivUIOp::create(b, loc, k, index(m.vectorsPerRun));
  Value col = arith::RemUIOp::create(b, loc, k, index(m.vectorsPerRun));
  Value row = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, run, index(info.channels)), setIdx);
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, row, index(info.spatial)),
      arith::MulIOp::create(b, loc, col, v));
}

Value ChannelKernelBuilder::channelOf(Value setIdx, Value k) {
  Value group = arith::RemUIOp::create(b, loc, setIdx, index(info.groups));
  Value first =
      arith::MulIOp::create(b, loc, group, index(info.channelsPerGroup()));
  return arith::AddIOp::create(
      b, loc, first, arith::DivUIOp::create(b, loc, k, index(m.vectorsPerRun)));
}

SmallVector<Value> ChannelKernelBuilder::forEachVector(
    ValueRange init,
    llvm::function_ref<SmallVector<Value>(ArrayRef<Value>, ArrayRef<Value>,
                                          ValueRange)>
        body) {
  // k = chunk * K + (it * unroll + u) * T + tid.
  Value chunkBase = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, chunk, index(m.chunkVectors)), tid);
  auto emitBody = [&](Value it, ValueRange carried) {
    SmallVector<Value> ks, valids;
    Value first = arith::AddIOp::create(
        b, loc, chunkBase,
        arith::MulIOp::create(b, loc, it, index(m.unroll * m.blockSize)));
    for (int64_t u = 0; u < m.unroll; ++u) {
      Value k = arith::AddIOp::create(b, loc, first, index(u * m.blockSize));
      ks.push_back(k);
      valids.push_back(
          m.hasTail() ? arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              k, index(m.setVectors))
                            .getResult()
                      : Value());
    }
    return body(ks, valids, carried);
  };
  if (m.iterations() == 1)
    return emitBody(index(0), init);
  auto loop = scf::ForOp::create(b, loc, index(0), index(m.iterations()),
                                 index(1), init);
  OpBuilder::InsertionGuard guard(b);
  // Without iter_args the builder adds the terminator.
  Block *loopBody = loop.getBody();
  if (!loopBody->empty() && isa<scf::YieldOp>(loopBody->back()))
    b.setInsertionPoint(loopBody->getTerminator());
  else
    b.setInsertionPointToEnd(loopBody);
  SmallVector<Value> next =
      emitBody(loop.getInductionVar(), loop.getRegionIterArgs());
  if (!loopBody->mightHaveTerminator())
    scf::YieldOp::create(b, loc, next);
  b.setInsertionPointAfter(loop);
  return SmallVector<Value>(loop.getResults());
}

/// Loads the vector at element `offset` of `memref`, or zeros when `valid`
/// is false.
static Value loadVector(OpBuilder &b, Location loc, Value memref, Value offset,
                        Value valid, VectorType type) {
  auto alignment = llvm::MaybeAlign(type.getNumElements() *
                                    type.getElementTypeBitWidth() / 8);
  auto load = [&]() -> Value {
    return vector::LoadOp::create(b, loc, type, memref, ValueRange{offset},
                                  /*nontemporal=*/false, alignment);
  };
  if (!valid)
    return load();
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{type}, valid,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  scf::YieldOp::create(b, loc, load());
  b.setInsertionPointToStart(&ifOp.getElseRegion().front());
  Value zero = arith::ConstantOp::create(
      b, loc, type,
      DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), 0.0)));
  scf::YieldOp::create(b, loc, zero);
  return ifOp.getResult(0);
}

void ChannelKernelBuilder::buildStatistics(Value workspace,
                                           gpu::LaunchOp &launch) {
  auto vecType = VectorType::get({m.vectorWidth}, elementType);
  auto wideType = VectorType::get({m.vectorWidth}, f32);
  Value zero = floatConst(0.0);
  Value invV = floatConst(1.0 / static_cast<double>(m.vectorWidth));
  Value vCount = floatConst(static_cast<double>(m.vectorWidth));

  // Each thread: Welford over its vectors (exact moments of each vector,
  // merged with Chan's formula).
  SmallVector<Value> state = forEachVector(
      ValueRange{zero, zero, zero},
      [&](ArrayRef<Value> ks, ArrayRef<Value> valids, ValueRange carried) {
        SmallVector<Value> vectors;
        for (auto [k, valid] : llvm::zip(ks, valids))
          vectors.push_back(loadVector(b, loc, info.input, vectorOffset(set, k),
                                       valid, vecType));
        Moments acc{carried[0], carried[1], carried[2]};
        for (auto [vec, valid] : llvm::zip(vectors, valids)) {
          Value wide = vec;
          if (elementType != f32)
            wide = arith::ExtFOp::create(b, loc, wideType, vec);
          SmallVector<Value> elems;
          Value sum = zero;
          for (int64_t e = 0; e < m.vectorWidth; ++e) {
            elems.push_back(
                vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{e}));
            sum = add(sum, elems.back());
          }
          Value mean = mul(sum, invV);
          Value m2 = zero;
          for (Value e : elems) {
            Value d = sub(e, mean);
            m2 = add(m2, mul(d, d));
          }
          Value count =
              valid ? arith::SelectOp::create(b, loc, valid, vCount, zero)
                          .getResult()
                    : vCount;
          acc = merge(acc, {count, mean, m2});
        }
        return SmallVector<Value>{acc.count, acc.mean, acc.m2};
      });
  Moments moments = mergeWarp({state[0], state[1], state[2]}, 32);

  // Across warps: lane 0 of each warp publishes its triple.
  if (m.numWarps() > 1) {
    Value scratch = launch.getWorkgroupAttributions().front();
    Value c32 = index(32);
    Value warp = arith::DivUIOp::create(b, loc, tid, c32);
    Value lane = arith::RemUIOp::create(b, loc, tid, c32);
    Value isFirst =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0));
    guarded(isFirst, [&] {
      int64_t slot = 0;
      for (Value v : {moments.count, moments.mean, moments.m2})
        memref::StoreOp::create(b, loc, v, scratch,
                                ValueRange{arith::AddIOp::create(
                                    b, loc, warp, index(32 * slot++))});
    });
    gpu::BarrierOp::create(b, loc);
    Value has = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, lane,
                                      index(m.numWarps()));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, f32, f32}, has,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      SmallVector<Value> loaded;
      for (int64_t slot = 0; slot < 3; ++slot)
        loaded.push_back(memref::LoadOp::create(
            b, loc, scratch,
            ValueRange{arith::AddIOp::create(b, loc, lane, index(32 * slot))}));
      scf::YieldOp::create(b, loc, loaded);
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{zero, zero, zero});
    }
    moments =
        mergeWarp({ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2)},
                  llvm::PowerOf2Ceil(m.numWarps()));
  }

  // Thread 0 writes the partial: workspace[q * S * P + s * P + p].
  Value isFirst =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, index(0));
  guarded(isFirst, [&] {
    Value slot = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, set, index(m.numChunks)), chunk);
    int64_t q = 0;
    for (Value v : {moments.count, moments.mean, moments.m2})
      memref::StoreOp::create(
          b, loc, v, workspace,
          ValueRange{arith::AddIOp::create(
              b, loc, slot, index(q++ * m.numSets * m.numChunks))});
  });
}

void ChannelKernelBuilder::buildNormalize(Value workspace,
                                          gpu::LaunchOp &launch) {
  Value zero = floatConst(0.0);
  Value mean, var;
  if (workspace) {
    // Lane l of every warp reads partial l of the set; one butterfly.
    Value lane = arith::RemUIOp::create(b, loc, tid, index(32));
    Value has = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, lane,
                                      index(m.numChunks));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, f32, f32}, has,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value slot = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, set, index(m.numChunks)), lane);
      SmallVector<Value> loaded;
      for (int64_t q = 0; q < 3; ++q)
        loaded.push_back(memref::LoadOp::create(
            b, loc, workspace,
            ValueRange{arith::AddIOp::create(
                b, loc, slot, index(q * m.numSets * m.numChunks))}));
      scf::YieldOp::create(b, loc, loaded);
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, ValueRange{zero, zero, zero});
    }
    Moments total =
        mergeWarp({ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2)},
                  llvm::PowerOf2Ceil(m.numChunks));
    mean = total.mean;
    var = arith::DivFOp::create(b, loc, total.m2, total.count);
  } else {
    mean = loadScalar(info.runningMean, set);
    var = loadScalar(info.runningVar, set);
  }
  Value rstd =
      math::RsqrtOp::create(b, loc, add(var, floatConst(info.epsilon)));

  // Statistics, once per set.
  Value isWriter = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, chunk, index(0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, index(0)));
  if (info.mean || info.rstd || info.newRunningMean || info.newRunningVar) {
    guarded(isWriter, [&] {
      if (info.mean)
        storeScalar(mean, info.mean, set);
      if (info.rstd)
        storeScalar(rstd, info.rstd, set);
      double momentum = info.momentum;
      Value keep = floatConst(1.0 - momentum);
      Value take = floatConst(momentum);
      if (info.newRunningMean)
        storeScalar(
            add(mul(keep, loadScalar(info.runningMean, set)), mul(take, mean)),
            info.newRunningMean, set);
      if (info.newRunningVar) {
        double n = static_cast<double>(info.batch * info.spatial);
        double unbias =
            n > 1 ? n / (n - 1) : std::numeric_limits<double>::quiet_NaN();
        storeScalar(add(mul(keep, loadScalar(info.runningVar, set)),
                        mul(take, mul(var, floatConst(unbias)))),
                    info.newRunningVar, set);
      }
    });
  }

  // y = act(x * scale[c] + shift[c]), scale = w * rstd,
  // shift = b - mean * scale.
  auto scaleShift = [&](Value channel) -> std::pair<Value, Value> {
    Value scale = rstd;
    if (info.weight)
      scale = mul(loadScalar(info.weight, channel), rstd);
    Value shift = sub(zero, mul(mean, scale));
    if (info.bias)
      shift = add(loadScalar(info.bias, channel), shift);
    return {scale, shift};
  };
  std::pair<Value, Value> setScaleShift;
  if (!info.isGroup())
    setScaleShift = scaleShift(set);
  auto vecType = VectorType::get({m.vectorWidth}, elementType);
  auto wideType = VectorType::get({m.vectorWidth}, f32);
  auto alignment =
      llvm::MaybeAlign(m.vectorWidth * elementType.getIntOrFloatBitWidth() / 8);
  forEachVector(ValueRange{}, [&](ArrayRef<Value> ks, ArrayRef<Value> valids,
                                  ValueRange) {
    SmallVector<Value> offsets, vectors;
    for (auto [k, valid] : llvm::zip(ks, valids)) {
      offsets.push_back(vectorOffset(set, k));
      vectors.push_back(
          loadVector(b, loc, info.input, offsets.back(), valid, vecType));
    }
    for (auto [k, valid, offset, vec] :
         llvm::zip(ks, valids, offsets, vectors)) {
      auto [scale, shift] =
          info.isGroup() ? scaleShift(channelOf(set, k)) : setScaleShift;
      Value wide = vec;
      if (elementType != f32)
        wide = arith::ExtFOp::create(b, loc, wideType, vec);
      SmallVector<Value> elems;
      for (int64_t e = 0; e < m.vectorWidth; ++e) {
        Value x = vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{e});
        elems.push_back(buildActivation(b, loc, add(mul(x, scale), shift),
                                        info.activation));
      }
      Value out = vector::FromElementsOp::create(b, loc, wideType, elems);
      if (elementType != f32)
        out = arith::TruncFOp::create(b, loc, vecType, out);
      guarded(valid, [&, out = out, offset = offset] {
        vector::StoreOp::create(b, loc, out, info.output, ValueRange{offset},
                                /*nontemporal=*/false, alignment);
      });
    }
    return SmallVector<Value>{};
  });
}

//===----------------------------------------------------------------------===//
// Channels last
//===----------------------------------------------------------------------===//

void ChannelKernelBuilder::setColumnThread() {
  const ColumnMapping &c = info.columns;
  Value lanes = index(c.channelLanes);
  Value lane = arith::RemUIOp::create(b, loc, tid, lanes);
  rowLane = arith::DivUIOp::create(b, loc, tid, lanes);
  // `set` is the channel tile (grid x).
  Value cv = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, set, lanes), lane);
  channelValid = Value();
  channelVector = cv;
  if (c.channelVectors % c.channelLanes != 0) {
    channelValid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, cv,
                                         index(c.channelVectors));
    channelVector =
        arith::MinUIOp::create(b, loc, cv, index(c.channelVectors - 1));
  }
}

Value ChannelKernelBuilder::columnOffset(Value rowIdx) {
  const ColumnMapping &c = info.columns;
  return arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, rowIdx, index(info.channels)),
      arith::MulIOp::create(b, loc, channelVector, index(c.vectorWidth)));
}

SmallVector<Value> ChannelKernelBuilder::forEachRow(
    ValueRange init,
    llvm::function_ref<SmallVector<Value>(ArrayRef<Value>, ArrayRef<Value>,
                                          ValueRange)>
        body) {
  const ColumnMapping &c = info.columns;
  bool tail = c.numChunks * c.chunkRows != info.rows;
  // row = chunk * R + (it * unroll + u) * rowLanes + rowLane.
  Value base = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, chunk, index(c.chunkRows)),
      rowLane);
  auto emitBody = [&](Value it, ValueRange carried) {
    SmallVector<Value> rowIdxs, valids;
    Value first = arith::AddIOp::create(
        b, loc, base,
        arith::MulIOp::create(b, loc, it, index(c.unroll * c.rowLanes)));
    for (int64_t u = 0; u < c.unroll; ++u) {
      Value r = arith::AddIOp::create(b, loc, first, index(u * c.rowLanes));
      rowIdxs.push_back(r);
      Value valid = channelValid;
      if (tail)
        valid =
            valid ? arith::AndIOp::create(
                        b, loc, valid,
                        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              r, index(info.rows)))
                        .getResult()
                  : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, r,
                                          index(info.rows))
                        .getResult();
      valids.push_back(valid);
    }
    return body(rowIdxs, valids, carried);
  };
  if (c.iterations() == 1)
    return emitBody(index(0), init);
  auto loop = scf::ForOp::create(b, loc, index(0), index(c.iterations()),
                                 index(1), init);
  OpBuilder::InsertionGuard guard(b);
  Block *loopBody = loop.getBody();
  if (!loopBody->empty() && isa<scf::YieldOp>(loopBody->back()))
    b.setInsertionPoint(loopBody->getTerminator());
  else
    b.setInsertionPointToEnd(loopBody);
  SmallVector<Value> next =
      emitBody(loop.getInductionVar(), loop.getRegionIterArgs());
  if (!loopBody->mightHaveTerminator())
    scf::YieldOp::create(b, loc, next);
  b.setInsertionPointAfter(loop);
  return SmallVector<Value>(loop.getResults());
}

void ChannelKernelBuilder::buildColumnStatistics(Value workspace,
                                                 gpu::LaunchOp &launch) {
  const ColumnMapping &c = info.columns;
  int64_t v = c.vectorWidth;
  setColumnThread();
  auto vecType = VectorType::get({v}, elementType);
  auto wideType = VectorType::get({v}, f32);
  Value zero = floatConst(0.0), one = floatConst(1.0);

  // State: count, then V means, then V M2s. Welford per row (one division
  // per row for the V channels).
  SmallVector<Value> init(1 + 2 * v, zero);
  SmallVector<Value> state = forEachRow(init, [&](ArrayRef<Value> rowIdxs,
                                                  ArrayRef<Value> valids,
                                                  ValueRange carried) {
    SmallVector<Value> vectors;
    for (auto [r, valid] : llvm::zip(rowIdxs, valids))
      vectors.push_back(
          loadVector(b, loc, info.input, columnOffset(r), valid, vecType));
    SmallVector<Value> st(carried.begin(), carried.end());
    for (auto [vec, valid] : llvm::zip(vectors, valids)) {
      Value wide = vec;
      if (elementType != f32)
        wide = arith::ExtFOp::create(b, loc, wideType, vec);
      Value inc =
          valid ? arith::SelectOp::create(b, loc, valid, one, zero).getResult()
                : one;
      Value count = add(st[0], inc);
      Value ratio = arith::DivFOp::create(
          b, loc, inc, arith::MaximumFOp::create(b, loc, count, one));
      st[0] = count;
      for (int64_t e = 0; e < v; ++e) {
        Value x = vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{e});
        Value d = sub(x, st[1 + e]);
        st[1 + e] = add(st[1 + e], mul(d, ratio));
        // inc * d * (x - mean'): nothing for a masked row.
        st[1 + v + e] = add(st[1 + v + e], mul(inc, mul(d, sub(x, st[1 + e]))));
      }
    }
    return st;
  });

  // Across the row lanes: a tree in shared memory, one barrier per level.
  Value scratch = launch.getWorkgroupAttributions().front();
  int64_t slots = 1 + 2 * v;
  Value lanes = index(c.channelLanes);
  Value lane = arith::RemUIOp::create(b, loc, tid, lanes);
  auto slotIndex = [&](Value r, int64_t q) {
    Value entry = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, r, lanes), lane);
    return arith::AddIOp::create(
               b, loc, arith::MulIOp::create(b, loc, entry, index(slots)),
               index(q))
        .getResult();
  };
  SmallVector<Type> f32s(slots, f32);
  for (int64_t half = c.rowLanes / 2; half >= 1; half /= 2) {
    Value writes = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rowLane,
                              index(half)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, rowLane,
                              index(2 * half)));
    guarded(writes, [&] {
      for (int64_t q = 0; q < slots; ++q)
        memref::StoreOp::create(b, loc, state[q], scratch,
                                ValueRange{slotIndex(rowLane, q)});
    });
    gpu::BarrierOp::create(b, loc);
    Value reads = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        rowLane, index(half));
    auto ifOp = scf::IfOp::create(b, loc, TypeRange(f32s), reads,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(&ifOp.getThenRegion().front());
      Value partner = arith::AddIOp::create(b, loc, rowLane, index(half));
      SmallVector<Value> other;
      for (int64_t q = 0; q < slots; ++q)
        other.push_back(memref::LoadOp::create(
            b, loc, scratch, ValueRange{slotIndex(partner, q)}));
      SmallVector<Value> merged(slots);
      for (int64_t e = 0; e < v; ++e) {
        Moments m = merge({state[0], state[1 + e], state[1 + v + e]},
                          {other[0], other[1 + e], other[1 + v + e]});
        merged[0] = m.count;
        merged[1 + e] = m.mean;
        merged[1 + v + e] = m.m2;
      }
      scf::YieldOp::create(b, loc, merged);
      b.setInsertionPointToStart(&ifOp.getElseRegion().front());
      scf::YieldOp::create(b, loc, state);
    }
    state.assign(ifOp.getResults().begin(), ifOp.getResults().end());
  }

  // Row lane 0 writes the partials: workspace[q * P * C + p * C + channel].
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        rowLane, index(0));
  guarded(andCondition(isFirst, channelValid), [&] {
    int64_t pc = c.numChunks * info.channels;
    Value base = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, chunk, index(info.channels)),
        arith::MulIOp::create(b, loc, channelVector, index(v)));
    for (int64_t e = 0; e < v; ++e) {
      Value at = arith::AddIOp::create(b, loc, base, index(e));
      for (auto [q, value] : llvm::enumerate(
               ArrayRef<Value>{state[0], state[1 + e], state[1 + v + e]}))
        memref::StoreOp::create(
            b, loc, value, workspace,
            ValueRange{arith::AddIOp::create(
                b, loc, at, index(static_cast<int64_t>(q) * pc))});
    }
  });
}

void ChannelKernelBuilder::buildColumnFinalize(Value workspace) {
  const ColumnMapping &c = info.columns;
  // A warp per channel (8 per block): lane l merges partials l, l + 32, ...,
  // then one butterfly. (A thread per channel would walk all P partials
  // serially, one L2 latency each.)
  Value c32 = index(32);
  Value lane = arith::RemUIOp::create(b, loc, tid, c32);
  Value channel = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, set, index(8)),
      arith::DivUIOp::create(b, loc, tid, c32));
  Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        channel, index(info.channels));
  // Warp-uniform: whole warps take part in the shuffles or none.
  guarded(inRange, [&] {
    Value zero = floatConst(0.0);
    int64_t pc = c.numChunks * info.channels;
    auto loop = scf::ForOp::create(b, loc, lane, index(c.numChunks), c32,
                                   ValueRange{zero, zero, zero});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value at = arith::AddIOp::create(
          b, loc,
          arith::MulIOp::create(b, loc, loop.getInductionVar(),
                                index(info.channels)),
          channel);
      SmallVector<Value> partial;
      for (int64_t q = 0; q < 3; ++q)
        partial.push_back(memref::LoadOp::create(
            b, loc, workspace,
            ValueRange{arith::AddIOp::create(b, loc, at, index(q * pc))}));
      ValueRange acc = loop.getRegionIterArgs();
      Moments m =
          merge({acc[0], acc[1], acc[2]}, {partial[0], partial[1], partial[2]});
      scf::YieldOp::create(b, loc, ValueRange{m.count, m.mean, m.m2});
    }
    Moments total = mergeWarp(
        {loop.getResult(0), loop.getResult(1), loop.getResult(2)}, 32);
    Value mean = total.mean;
    Value var = arith::DivFOp::create(b, loc, total.m2, total.count);
    Value rstd =
        math::RsqrtOp::create(b, loc, add(var, floatConst(info.epsilon)));
    Value isFirst =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0));
    auto firstLane =
        scf::IfOp::create(b, loc, isFirst, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&firstLane.getThenRegion().front());
    if (info.mean)
      storeScalar(mean, info.mean, channel);
    if (info.rstd)
      storeScalar(rstd, info.rstd, channel);
    Value keep = floatConst(1.0 - info.momentum);
    Value take = floatConst(info.momentum);
    if (info.newRunningMean)
      storeScalar(add(mul(keep, loadScalar(info.runningMean, channel)),
                      mul(take, mean)),
                  info.newRunningMean, channel);
    if (info.newRunningVar) {
      double n = static_cast<double>(info.rows);
      double unbias =
          n > 1 ? n / (n - 1) : std::numeric_limits<double>::quiet_NaN();
      storeScalar(add(mul(keep, loadScalar(info.runningVar, channel)),
                      mul(take, mul(var, floatConst(unbias)))),
                  info.newRunningVar, channel);
    }
    Value scale = rstd;
    if (info.weight)
      scale = mul(loadScalar(info.weight, channel), rstd);
    Value shift = sub(zero, mul(mean, scale));
    if (info.bias)
      shift = add(loadScalar(info.bias, channel), shift);
    Value base = index(3 * pc);
    memref::StoreOp::create(
        b, loc, scale, workspace,
        ValueRange{arith::AddIOp::create(b, loc, base, channel)});
    memref::StoreOp::create(
        b, loc, shift, workspace,
        ValueRange{arith::AddIOp::create(
            b, loc, arith::AddIOp::create(b, loc, base, index(info.channels)),
            channel)});
  });
}

void ChannelKernelBuilder::buildColumnNormalize(Value workspace) {
  const ColumnMapping &c = info.columns;
  int64_t v = c.vectorWidth;
  setColumnThread();
  // The scale and shift of this thread's V channels.
  SmallVector<Value> scales, shifts;
  Value zero = floatConst(0.0);
  for (int64_t e = 0; e < v; ++e) {
    Value channel = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, channelVector, index(v)),
        index(e));
    if (workspace) {
      int64_t base = 3 * c.numChunks * info.channels;
      scales.push_back(memref::LoadOp::create(
          b, loc, workspace,
          ValueRange{arith::AddIOp::create(b, loc, channel, index(base))}));
      shifts.push_back(memref::LoadOp::create(
          b, loc, workspace,
          ValueRange{arith::AddIOp::create(b, loc, channel,
                                           index(base + info.channels))}));
      continue;
    }
    Value mean = loadScalar(info.runningMean, channel);
    Value rstd = math::RsqrtOp::create(
        b, loc,
        add(loadScalar(info.runningVar, channel), floatConst(info.epsilon)));
    Value scale = rstd;
    if (info.weight)
      scale = mul(loadScalar(info.weight, channel), rstd);
    Value shift = sub(zero, mul(mean, scale));
    if (info.bias)
      shift = add(loadScalar(info.bias, channel), shift);
    scales.push_back(scale);
    shifts.push_back(shift);
  }
  auto vecType = VectorType::get({v}, elementType);
  auto wideType = VectorType::get({v}, f32);
  auto alignment =
      llvm::MaybeAlign(v * elementType.getIntOrFloatBitWidth() / 8);
  forEachRow(ValueRange{}, [&](ArrayRef<Value> rowIdxs, ArrayRef<Value> valids,
                               ValueRange) {
    SmallVector<Value> offsets, vectors;
    for (auto [r, valid] : llvm::zip(rowIdxs, valids)) {
      offsets.push_back(columnOffset(r));
      vectors.push_back(
          loadVector(b, loc, info.input, offsets.back(), valid, vecType));
    }
    for (auto [valid, offset, vec] : llvm::zip(valids, offsets, vectors)) {
      Value wide = vec;
      if (elementType != f32)
        wide = arith::ExtFOp::create(b, loc, wideType, vec);
      SmallVector<Value> elems;
      for (int64_t e = 0; e < v; ++e) {
        Value x = vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{e});
        elems.push_back(buildActivation(
            b, loc, add(mul(x, scales[e]), shifts[e]), info.activation));
      }
      Value out = vector::FromElementsOp::create(b, loc, wideType, elems);
      if (elementType != f32)
        out = arith::TruncFOp::create(b, loc, vecType, out);
      guarded(valid, [&, out = out, offset = offset] {
        vector::StoreOp::create(b, loc, out, info.output, ValueRange{offset},
                                /*nontemporal=*/false, alignment);
      });
    }
    return SmallVector<Value>{};
  });
}

void ChannelKernelBuilder::buildColumns() {
  const ColumnMapping &c = info.columns;
  MLIRContext *ctx = b.getContext();
  Type tokenType = gpu::AsyncTokenType::get(ctx);
  Value token =
      gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
  Value workspace;
  if (info.needsStatistics()) {
    // Partials (3 x P x C), then scale and shift (2 x C).
    auto wsType = MemRefType::get(
        {3 * c.numChunks * info.channels + 2 * info.channels}, f32);
    auto alloc =
        gpu::AllocOp::create(b, loc, wsType, tokenType, ValueRange{token},
                             ValueRange{}, ValueRange{});
    workspace = alloc.getMemref();
    token = alloc.getAsyncToken();
    {
      OpBuilder::InsertionGuard guard(b);
      gpu::LaunchOp launch;
      SmallVector<Type> workgroup{MemRefType::get(
          {c.blockSize() * (1 + 2 * c.vectorWidth)}, f32,
          MemRefLayoutAttrInterface(),
          gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup))};
      token = createLaunch(token, workgroup, launch, c.channelTiles,
                           c.numChunks, c.blockSize());
      buildColumnStatistics(workspace, launch);
    }
    {
      OpBuilder::InsertionGuard guard(b);
      gpu::LaunchOp launch;
      token = createLaunch(token, {}, launch,
                           llvm::divideCeil(info.channels, 8), 1, 256);
      buildColumnFinalize(workspace);
    }
  }
  {
    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch;
    token = createLaunch(token, {}, launch, c.channelTiles, c.numChunks,
                         c.blockSize());
    buildColumnNormalize(workspace);
  }
  if (workspace)
    token =
        gpu::DeallocOp::create(b, loc, tokenType, ValueRange{token}, workspace)
            .getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
}

void ChannelKernelBuilder::build() {
  if (info.channelsLast)
    return buildColumns();
  MLIRContext *ctx = b.getContext();
  Type tokenType = gpu::AsyncTokenType::get(ctx);
  Value token =
      gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
  Value workspace;
  if (info.needsStatistics()) {
    auto wsType = MemRefType::get({3 * m.numSets * m.numChunks}, f32);
    auto alloc =
        gpu::AllocOp::create(b, loc, wsType, tokenType, ValueRange{token},
                             ValueRange{}, ValueRange{});
    workspace = alloc.getMemref();
    token = alloc.getAsyncToken();

    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch;
    SmallVector<Type> workgroup;
    if (m.numWarps() > 1)
      workgroup.push_back(MemRefType::get(
          {96}, f32, MemRefLayoutAttrInterface(),
          gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup)));
    token = createLaunch(token, workgroup, launch);
    buildStatistics(workspace, launch);
  }
  {
    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch;
    token = createLaunch(token, {}, launch);
    buildNormalize(workspace, launch);
  }
  if (workspace)
    token =
        gpu::DeallocOp::create(b, loc, tokenType, ValueRange{token}, workspace)
            .getAsyncToken();
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

/// `memref` collapsed to one dimension.
static Value collapseToVector(OpBuilder &b, Location loc, Value memref) {
  int64_t rank = cast<MemRefType>(memref.getType()).getRank();
  if (rank == 1)
    return memref;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < rank; ++d)
    groups[0].push_back(d);
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

namespace {

struct ChannelNormToGPUPattern : RewritePattern {
  ChannelNormToGPUPattern(MLIRContext *ctx, const NormToGPUOptions &options)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        options(options) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isChannelNormOp(op))
      return failure();
    ChannelNormInfo info;
    std::string reason;
    if (failed(analyzeChannelNorm(op, options, info, reason)))
      return rewriter.notifyMatchFailure(op, reason);

    // The kernels run where the first result is materialized; every
    // destination must be available there.
    Operation *first = info.materializations.front();
    for (Operation *mat : info.materializations)
      if (mat->getBlock() == first->getBlock() && mat->isBeforeInBlock(first))
        first = mat;
    DominanceInfo dominance(op->getParentOfType<FunctionOpInterface>());
    for (Operation *mat : info.materializations) {
      Value dest =
          cast<bufferization::MaterializeInDestinationOp>(mat).getDest();
      if (mat->getBlock() != first->getBlock() ||
          !dominance.properlyDominates(dest, first))
        return rewriter.notifyMatchFailure(
            op, "destinations must be defined before the results are "
                "materialized, in one block");
    }

    Location loc = op->getLoc();
    rewriter.setInsertionPoint(first);
    ChannelNormInfo collapsed = info;
    for (Value *v : {&collapsed.input, &collapsed.output, &collapsed.mean,
                     &collapsed.rstd})
      if (*v)
        *v = collapseToVector(rewriter, loc, *v);
    Type elementType = cast<MemRefType>(info.input.getType()).getElementType();
    ChannelKernelBuilder(rewriter, loc, collapsed, elementType).build();

    llvm::SetVector<Operation *> toTensors;
    for (Value operand : op->getOperands())
      if (auto toTensor = operand.getDefiningOp<bufferization::ToTensorOp>())
        toTensors.insert(toTensor);
    for (Operation *mat : info.materializations)
      rewriter.eraseOp(mat);
    rewriter.eraseOp(op);
    for (Operation *toTensor : toTensors)
      if (toTensor->use_empty())
        rewriter.eraseOp(toTensor);
    return success();
  }

  NormToGPUOptions options;
};

} // namespace

void mlir::norm::populateChannelNormToGPUPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<ChannelNormToGPUPattern>(patterns.getContext(), options);
}
