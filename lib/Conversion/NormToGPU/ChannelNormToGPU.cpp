//===- ChannelNormToGPU.cpp - GroupNorm/BatchNorm split-reduction kernels -===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.group_norm, norm.batch_norm_{inference,training} and
// norm.inplace_abn (as batch_norm_training; NCHW or NHWC, static shapes,
// destination-passing style over memrefs) into gpu.launch
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
// Single pass (`clusterSize`, sm_90 clusters): when a thread reads its
// vectors in one go and the P chunks of a set fit a thread-block cluster,
// one kernel keeps its chunk (staged in shared memory by cp.async, or in
// registers), publishes the block's exact moments, crosses a cluster
// barrier, merges the set's partials and normalizes what it kept: the input
// is read once.
//
// Resident sets (`residentSets`): with at least `numSMs` sets that all fit
// the GPU at once as one block each (threads, registers, shared memory),
// the single pass runs one block a set in one wave; each thread stages what
// the block's share of shared memory holds (dynamic shared memory) and
// keeps the rest of its vectors in registers.
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
#include "KernelUtils.h"

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Utils/ActivationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::gpu_kernels;

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
  /// One kernel: every thread reads its vectors once (one iteration) and
  /// keeps them (in shared memory or registers); the P blocks of a set form
  /// a cluster.
  bool singlePass = false;
  /// Single pass: the first `stagedVectors` of a thread's `unroll` vectors
  /// are copied into shared memory (cp.async; the residual form stores its
  /// sums from registers) and read from there by each pass; the others are
  /// held in registers.
  int64_t stagedVectors = 0;
  /// Single pass with one block a set and every block of the grid resident
  /// at once (`residentSets`); the staging buffer is dynamic shared memory.
  bool resident = false;

  int64_t numWarps() const { return blockSize / 32; }
  /// Elements of the single pass's staging buffer.
  int64_t stagedElements() const {
    return stagedVectors * blockSize * vectorWidth;
  }
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
  /// The residual form: `input + residual` (in the input type) is what is
  /// normalized; the kernels load both (see loadInputAt), and the first
  /// writes the sum to `residualSum` when used.
  Value residual, residualSum;
  SmallVector<Operation *> materializations;
  int64_t batch = 1, channels = 1, spatial = 1, groups = 1;
  /// The channels last (NHWC). BatchNorm: `rows` = N * H * W rows of
  /// `channels` elements (column kernels); GroupNorm: sets of HW runs of
  /// its Cg channels.
  bool channelsLast = false;
  int64_t rows = 1;
  ChannelMapping mapping;
  ColumnMapping columns;
  /// NormToGPUOptions::streamingStores.
  bool streamingStores = false;

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
  return isa<GroupNormOp, BatchNormInferenceOp, BatchNormTrainingOp,
             InplaceABNOp>(op);
}

/// Largest chunk the single-pass kernel stages in static shared memory.
static constexpr int64_t kMaxStagedChunkBytes = 32 * 1024;

// Per-SM limits of compute capability 8.0 to 12.x (the threads an SM runs,
// 1536 to 2048, are `threadsPerSM`): blocks (the least, of sm_86), 32-bit
// registers, registers a thread.
static constexpr int64_t kMaxBlocksPerSM = 16;
static constexpr int64_t kRegistersPerSM = 64 * 1024;
static constexpr int64_t kMaxRegistersPerThread = 255;
/// Shared memory the driver reserves for each resident block (a block may
/// use the SM's shared memory less this).
static constexpr int64_t kReservedSharedPerBlock = 1024;
/// Registers a resident single-pass thread needs besides the vectors it
/// holds (ptxas: 32 for the kernel with every vector staged). A held vector
/// counts one register an element (its f32 values stay live across the
/// passes); NHWC GroupNorm adds a scale and shift an element.
static constexpr int64_t kResidentBaseRegisters = 40;

/// The resident single pass (`residentSets`): one block of B threads x U
/// vectors a set, ceil(S / numSMs) blocks an SM, so that the whole grid is
/// resident at once: every block loads at once, reduces and stores, with no
/// second wave whose loads wait for the first's stores. Each thread stages
/// what the SM's shared memory holds and keeps the rest of its vectors in
/// registers. Fails (m unchanged) when there are fewer sets than SMs (the
/// cluster mapping spreads them over more SMs) or they do not fit.
static bool computeResidentMapping(const ChannelNormInfo &info,
                                   ChannelMapping &m, unsigned elementBits,
                                   const NormToGPUOptions &options) {
  if (!options.residentSets || options.clusterSize < 1 ||
      m.numSets < options.numSMs)
    return false;
  constexpr int64_t maxUnroll = 16;
  int64_t block = std::clamp<int64_t>(
      llvm::PowerOf2Ceil(llvm::divideCeil(m.setVectors, maxUnroll)), 32, 1024);
  int64_t unroll = llvm::divideCeil(m.setVectors, block);
  int64_t blocksPerSM = llvm::divideCeil(m.numSets, options.numSMs);
  if (unroll > maxUnroll || blocksPerSM > kMaxBlocksPerSM ||
      blocksPerSM * block > options.threadsPerSM)
    return false;
  int64_t vectorBytes = m.vectorWidth * elementBits / 8;
  // Registers are allocated 8 at a time.
  int64_t registers = std::min(kMaxRegistersPerThread,
                               kRegistersPerSM / (blocksPerSM * block)) /
                      8 * 8;
  int64_t baseRegisters = kResidentBaseRegisters;
  if (info.isGroup() && info.channelsLast)
    baseRegisters += 2 * m.vectorWidth;
  int64_t registerVectors =
      std::max<int64_t>(0, (registers - baseRegisters) / m.vectorWidth);
  int64_t scratchBytes = 2 * (block / 32) * 4;
  int64_t sharedBytes = options.sharedMemoryPerSM * 1024 / blocksPerSM -
                        kReservedSharedPerBlock - scratchBytes;
  // cp.async copies 4, 8 or 16 bytes.
  int64_t staged = 0;
  if (options.stageInShared && vectorBytes >= 4)
    staged =
        std::clamp<int64_t>(sharedBytes / (block * vectorBytes), 0, unroll);
  if (unroll - staged > registerVectors)
    return false;
  m.blockSize = block;
  m.unroll = unroll;
  m.numChunks = 1;
  m.chunkVectors = block * unroll;
  m.singlePass = true;
  m.resident = true;
  m.stagedVectors = staged;
  return true;
}

/// Chooses the vector width, the chunks and the block size.
static ChannelMapping computeChannelMapping(const ChannelNormInfo &info,
                                            unsigned elementBits,
                                            const NormToGPUOptions &options) {
  ChannelMapping m;
  if (info.isGroup() && info.channelsLast) {
    // A set is HW runs of the group's Cg contiguous channels, C apart.
    m.vectorWidth = vectorWidthFor(info.channelsPerGroup(), elementBits);
    m.vectorsPerRun = info.channelsPerGroup() / m.vectorWidth;
    m.numSets = info.batch * info.groups;
    m.setVectors = info.spatial * m.vectorsPerRun;
  } else if (info.isGroup()) {
    m.vectorWidth = vectorWidthFor(info.spatial, elementBits);
    m.vectorsPerRun = info.spatial / m.vectorWidth;
    m.numSets = info.batch * info.groups;
    m.setVectors = info.channelsPerGroup() * m.vectorsPerRun;
  } else {
    m.vectorWidth = vectorWidthFor(info.spatial, elementBits);
    m.vectorsPerRun = info.spatial / m.vectorWidth;
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
  if (info.needsStatistics() &&
      computeResidentMapping(info, m, elementBits, options))
    return m;
  m.singlePass = info.needsStatistics() && m.iterations() == 1 &&
                 options.clusterSize >= 1 && m.numChunks <= options.clusterSize;
  // Static shared memory is at most 48 KiB a block; cp.async copies 4, 8
  // or 16 bytes.
  if (m.singlePass && options.stageInShared &&
      m.vectorWidth * elementBits >= 32 &&
      m.chunkVectors * m.vectorWidth * elementBits / 8 <= kMaxStagedChunkBytes)
    m.stagedVectors = m.unroll;
  return m;
}

/// The channels-last mapping: lanes across the channel vectors of a row
/// (up to the block), the rest across rows; row chunks to fill the GPU.
static ColumnMapping computeColumnMapping(const ChannelNormInfo &info,
                                          unsigned elementBits,
                                          const NormToGPUOptions &options) {
  ColumnMapping m;
  m.vectorWidth = vectorWidthFor(info.channels, elementBits);
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
                         std::max<int64_t>(1, options.columnBlocksPerSM);
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
  Value output, mean, rstd, newMean, newVar, residualSum;
  int64_t axis = 1;
  // What batch_norm_inference and batch_norm_training share.
  auto readBatchNorm = [&](auto bn) {
    info.epsilon = bn.getEpsilon().convertToDouble();
    info.activation = bn.getActivationAttr();
    input = bn.getInput();
    weight = bn.getWeight();
    bias = bn.getBias();
    residual = bn.getResidual();
    residualSum = bn.getResidualSum();
    runningMean = bn.getRunningMean();
    runningVar = bn.getRunningVar();
    output = bn.getOutput();
    axis = bn.getFeatureAxis();
  };
  if (auto gn = dyn_cast<GroupNormOp>(op)) {
    info.kind = ChannelNormKind::Group;
    info.epsilon = gn.getEpsilon().convertToDouble();
    info.activation = gn.getActivationAttr();
    info.groups = gn.getNumGroups();
    input = gn.getInput();
    weight = gn.getWeight();
    bias = gn.getBias();
    residual = gn.getResidual();
    residualSum = gn.getResidualSum();
    output = gn.getOutput();
    mean = gn.getMean();
    rstd = gn.getRstd();
    axis = gn.getChannelAxis();
  } else if (auto bn = dyn_cast<BatchNormInferenceOp>(op)) {
    info.kind = ChannelNormKind::BatchInference;
    readBatchNorm(bn);
  } else if (auto bn = dyn_cast<BatchNormTrainingOp>(op)) {
    info.kind = ChannelNormKind::BatchTraining;
    readBatchNorm(bn);
    info.momentum = bn.getMomentum().convertToDouble();
    mean = bn.getSavedMean();
    rstd = bn.getSavedRstd();
    newMean = bn.getNewRunningMean();
    newVar = bn.getNewRunningVar();
  } else if (auto abn = dyn_cast<InplaceABNOp>(op)) {
    // batch_norm_training's kernels: each element is read before the same
    // thread writes it, so the output may be the input's buffer.
    info.kind = ChannelNormKind::BatchTraining;
    info.epsilon = abn.getEpsilon().convertToDouble();
    info.momentum = abn.getMomentum().convertToDouble();
    info.activation = abn.getActivationAttr();
    input = abn.getInput();
    weight = abn.getWeight();
    bias = abn.getBias();
    runningMean = abn.getRunningMean();
    runningVar = abn.getRunningVar();
    output = abn.getOutput();
    mean = abn.getSavedMean();
    rstd = abn.getSavedRstd();
    newMean = abn.getNewRunningMean();
    newVar = abn.getNewRunningVar();
    axis = abn.getFeatureAxis();
  } else {
    reason = "not a group_norm, batch_norm or inplace_abn";
    return failure();
  }

  if (options.channelBlockSize < 32 || options.channelBlockSize > 1024 ||
      !llvm::isPowerOf2_64(options.channelBlockSize)) {
    reason = "channel-block-size must be a power of two between 32 and 1024";
    return failure();
  }
  if (options.channelUnroll < 1 || options.channelUnroll > 16) {
    reason = "channel-unroll must be between 1 and 16";
    return failure();
  }
  if (options.clusterSize < 0 || options.clusterSize > 16) {
    reason = "cluster-size must be between 0 and 16 (above 8: a "
             "non-portable cluster size, H100)";
    return failure();
  }
  if (options.sharedMemoryPerSM < 1 || options.sharedMemoryPerSM > 1024) {
    reason = "shared-memory-per-sm must be between 1 and 1024 (KiB)";
    return failure();
  }
  if (options.numSMs < 1) {
    reason = "num-sms must be at least 1";
    return failure();
  }
  if (options.threadsPerSM < 32 || options.threadsPerSM > 4096) {
    reason = "threads-per-sm must be between 32 and 4096";
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
  if (!type.hasStaticShape()) {
    reason = "the shape must be static";
    return failure();
  }
  if (type.getNumElements() == 0) {
    reason = "the input has no elements";
    return failure();
  }
  // [N, C, spatial...] or [N, spatial..., C].
  ArrayRef<int64_t> shape = type.getShape();
  info.batch = shape.front();
  info.channels = info.channelsLast ? shape.back() : shape[1];
  info.spatial = type.getNumElements() / (info.batch * info.channels);
  if (info.isGroup() &&
      (info.groups <= 0 || info.channels % info.groups != 0)) {
    reason = "the channels must divide into the groups";
    return failure();
  }
  // BatchNorm NHWC is a column reduction; GroupNorm NHWC, like NCHW, a
  // split reduction over its sets.
  if (info.channelsLast && !info.isGroup()) {
    info.rows = type.getNumElements() / info.channels;
    info.columns = computeColumnMapping(
        info, type.getElementType().getIntOrFloatBitWidth(), options);
  } else {
    info.mapping = computeChannelMapping(
        info, type.getElementType().getIntOrFloatBitWidth(), options);
  }
  info.streamingStores = options.streamingStores;

  if (failed(getMemRefs({{input, &info.input},
                         {residual, &info.residual},
                         {weight, &info.weight},
                         {bias, &info.bias},
                         {runningMean, &info.runningMean},
                         {runningVar, &info.runningVar}},
                        {{output, &info.output},
                         {mean, &info.mean},
                         {rstd, &info.rstd},
                         {newMean, &info.newRunningMean},
                         {newVar, &info.newRunningVar},
                         {residualSum, &info.residualSum}},
                        info.materializations, reason)))
    return failure();
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
class ChannelKernelBuilder : KernelBuilderBase {
public:
  ChannelKernelBuilder(OpBuilder &b, Location loc, const ChannelNormInfo &info,
                       Type elementType)
      : KernelBuilderBase(b, loc), info(info), m(info.mapping),
        elementType(elementType) {}

  /// Emits the workspace and the launches after `token` (async); returns
  /// the token of the last (the host does not wait).
  Value build(Value token);

private:
  /// Loads the vector of `type` at element `offset` of `memref`, or zeros
  /// where `valid` is false (null: always loads).
  Value loadVectorAt(VectorType type, Value memref, Value offset, Value valid) {
    return loadVector(type, memref, valid,
                      [&] { return SmallVector<Value>{offset}; });
  }
  /// The vector of what is normalized at element `offset` (zeros where
  /// `valid` is false): the input, or for the residual form `input +
  /// residual`, added in the input type. The first kernel to read it also
  /// writes the sum to residual_sum's destination, when used; the later
  /// kernels read that back (`sumWritten`) instead of the two operands.
  Value loadInputAt(VectorType type, Value offset, Value valid);
  /// The scale (w * rstd) and shift (b - mean * scale) of `channel`.
  std::pair<Value, Value> scaleShift(Value channel, Value mean, Value rstd,
                                     Value zero);
  /// Writes the statistics of a set (`idx`: the set, or the channel): mean
  /// and rstd, and the running statistics of batch_norm_training updated
  /// with `var`, the biased variance over `count` elements.
  void storeStatistics(Value idx, Value mean, Value var, Value rstd,
                       int64_t count);
  /// Stores act(x * scale + shift) of the input vector `vec` at element
  /// `offset` of the output where `valid` holds; one scale and shift for
  /// the vector, or one per element.
  void storeNormalized(Value vec, ArrayRef<Value> scales,
                       ArrayRef<Value> shifts, Value offset, Value valid);
  /// Allocates an f32 workspace of `size` elements after `token` (updated).
  Value allocWorkspace(int64_t size, Value &token);
  /// Frees `workspace` (if any) after `token`; returns the chain's token.
  Value endKernels(Value workspace, Value token);
  /// Whether a kernel built so far wrote residual_sum (see loadInputAt).
  bool sumWritten = false;
  /// Whether storeNormalized marks its stores non-temporal: the normalize
  /// kernel after a statistics kernel, which re-reads the input from L2.
  bool streamOutput = false;

  /// Chan's merge of two partials (either may be empty).
  Moments merge(Moments a, Moments x);
  /// Butterfly merge over `width` lanes; every lane gets lane 0's result.
  Moments mergeWarp(Moments v, int64_t width);
  /// Creates a launch of S x P blocks after `dependency`; sets the insertion
  /// point into its body and the thread ids. Returns its token. `reversed`:
  /// block (x, y) takes set S-1-x and chunk P-1-y (see createLaunch).
  /// `clusterY` > 0: clusters of 1 x clusterY blocks.
  Value createLaunch(Value dependency, ArrayRef<Type> workgroup,
                     gpu::LaunchOp &launch, bool reversed = false,
                     int64_t clusterY = 0);
  /// Element offset of the vector `k` (index within the set) of set `set`.
  Value vectorOffset(Value set, Value k);
  /// Channel of the vector `k` of `set` (group norm only; NHWC: of its
  /// first element, the others follow).
  Value channelOf(Value set, Value k);
  /// Loops over this thread's vectors of its chunk: `body(k, valid)` for
  /// each (valid null when every vector is in the set), `unroll` at a time,
  /// carrying `init`.
  SmallVector<Value> forEachVector(
      ValueRange init,
      llvm::function_ref<SmallVector<Value>(
          ArrayRef<Value> ks, ArrayRef<Value> valids, ValueRange carried)>
          body);

  /// Emits `body(it, carried)` for `it` in [0, iterations): in an scf.for
  /// carrying `init`, or once (it = 0) for one iteration. Returns the final
  /// carried values.
  SmallVector<Value>
  buildLoop(int64_t iterations, ValueRange init,
            llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body);

  /// Kernel 1: partial moments of each chunk into the workspace.
  void buildStatistics(Value workspace, gpu::LaunchOp &launch);
  /// Thread 0 writes this block's partial moments to the workspace.
  void storePartial(Value workspace, Moments moments);
  /// Kernel 2: merge, statistics outputs, normalize + activation.
  void buildNormalize(Value workspace, gpu::LaunchOp &launch);
  /// The single kernel of `m.singlePass`: reads the chunk once, exact block
  /// moments (two passes over the kept data), a merge across the cluster
  /// through the workspace, normalize + activation.
  void buildSinglePass(Value workspace, gpu::LaunchOp &launch);

  /// The (mean, biased variance) of this block's set from its P partials in
  /// the workspace: lane l of each warp reads partial l; one butterfly.
  std::pair<Value, Value> mergePartials(Value workspace);
  /// rstd of (mean, var); block (s, 0) thread 0 writes the statistics.
  Value finishStatistics(Value mean, Value var);
  /// The sum of `v` over the block, the same in every thread: a butterfly,
  /// then (several warps) the warps' sums added in order from `scratch`
  /// slots [slot * W, slot * W + W).
  Value sumBlock(Value v, Value scratch, int64_t slot);
  /// Stores act(x * scale + shift) of the loaded `vectors` (the vectors `ks`
  /// of the set, at element `offsets`): one scale and shift for the set
  /// (BatchNorm: `setScaleShift`), or those of each vector's channel.
  void storeNormalizedVectors(ArrayRef<Value> ks, ArrayRef<Value> valids,
                              ArrayRef<Value> offsets, ArrayRef<Value> vectors,
                              Value mean, Value rstd,
                              std::pair<Value, Value> setScaleShift);

  /// A launch of gridX x gridY blocks of blockX threads, with
  /// `dynamicShared` bytes of dynamic shared memory.
  Value createLaunch(Value dependency, ArrayRef<Type> workgroup,
                     gpu::LaunchOp &launch, int64_t gridX, int64_t gridY,
                     int64_t blockX, bool reversed = false,
                     int64_t clusterY = 0, int64_t dynamicShared = 0);

  // Channels last (NHWC BatchNorm): [rows, C] with C contiguous.
  /// Emits the launches of a channels-last BatchNorm.
  Value buildColumns(Value token);
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

  const ChannelNormInfo &info;
  const ChannelMapping &m;
  Type elementType;

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
                                         gpu::LaunchOp &launch, bool reversed,
                                         int64_t clusterY) {
  return createLaunch(dependency, workgroup, launch, m.numSets, m.numChunks,
                      m.blockSize, reversed, clusterY);
}

Value ChannelKernelBuilder::createLaunch(Value dependency,
                                         ArrayRef<Type> workgroup,
                                         gpu::LaunchOp &launch, int64_t gridX,
                                         int64_t gridY, int64_t blockX,
                                         bool reversed, int64_t clusterY,
                                         int64_t dynamicShared) {
  Value one = index(1);
  Value x = index(gridX);
  Value y = index(gridY);
  Value sharedBytes;
  if (dynamicShared > 0)
    sharedBytes = arith::ConstantIntOp::create(b, loc, dynamicShared, 32);
  launch = KernelBuilderBase::createLaunch(
      one, x, y, index(blockX), dependency, workgroup,
      clusterY > 0 ? index(clusterY) : Value(), sharedBytes);
  tid = launch.getThreadIds().x;
  set = launch.getBlockIds().x;
  chunk = launch.getBlockIds().y;
  // Blocks are scheduled about in order of their linear id. The normalize
  // kernel after a statistics kernel walks the input backwards, so that it
  // starts with what the statistics kernel read last: what is still in L2.
  if (reversed) {
    set = arith::SubIOp::create(b, loc, index(gridX - 1), set);
    chunk = arith::SubIOp::create(b, loc, index(gridY - 1), chunk);
  }
  return launch.getAsyncToken();
}

Value ChannelKernelBuilder::vectorOffset(Value setIdx, Value k) {
  Value v = index(m.vectorWidth);
  if (info.isGroup() && info.channelsLast) {
    // Set n * G + g, vector k: spatial position p = k / (Cg / V), channel
    // g * Cg + (k % (Cg / V)) * V, at ((n * HW + p) * C + channel).
    Value n = arith::DivUIOp::create(b, loc, setIdx, index(info.groups));
    Value p = arith::DivUIOp::create(b, loc, k, index(m.vectorsPerRun));
    Value position = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, n, index(info.spatial)), p);
    return arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, position, index(info.channels)),
        channelOf(setIdx, k));
  }
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
  if (info.channelsLast)
    return arith::AddIOp::create(
        b, loc, first,
        arith::MulIOp::create(
            b, loc, arith::RemUIOp::create(b, loc, k, index(m.vectorsPerRun)),
            index(m.vectorWidth)));
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
  return buildLoop(m.iterations(), init, emitBody);
}

SmallVector<Value> ChannelKernelBuilder::buildLoop(
    int64_t iterations, ValueRange init,
    llvm::function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  if (iterations == 1)
    return body(index(0), init);
  auto loop =
      scf::ForOp::create(b, loc, index(0), index(iterations), index(1), init);
  OpBuilder::InsertionGuard guard(b);
  // Without iter_args the builder adds the terminator.
  Block *loopBody = loop.getBody();
  if (!loopBody->empty() && isa<scf::YieldOp>(loopBody->back()))
    b.setInsertionPoint(loopBody->getTerminator());
  else
    b.setInsertionPointToEnd(loopBody);
  SmallVector<Value> next =
      body(loop.getInductionVar(), loop.getRegionIterArgs());
  if (!loopBody->mightHaveTerminator())
    scf::YieldOp::create(b, loc, next);
  b.setInsertionPointAfter(loop);
  return SmallVector<Value>(loop.getResults());
}

void ChannelKernelBuilder::buildStatistics(Value workspace,
                                           gpu::LaunchOp &launch) {
  auto vecType = VectorType::get({m.vectorWidth}, elementType);
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
          vectors.push_back(loadInputAt(vecType, vectorOffset(set, k), valid));
        Moments acc{carried[0], carried[1], carried[2]};
        for (auto [vec, valid] : llvm::zip(vectors, valids)) {
          Value wide = widenToF32(vec);
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

  storePartial(workspace, moments);
}

void ChannelKernelBuilder::storePartial(Value workspace, Moments moments) {
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

std::pair<Value, Value> ChannelKernelBuilder::mergePartials(Value workspace) {
  Value zero = floatConst(0.0);
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
  return {total.mean, arith::DivFOp::create(b, loc, total.m2, total.count)};
}

Value ChannelKernelBuilder::finishStatistics(Value mean, Value var) {
  Value rstd =
      math::RsqrtOp::create(b, loc, add(var, floatConst(info.epsilon)));
  // Statistics, once per set.
  Value isWriter = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, chunk, index(0)),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid, index(0)));
  if (info.mean || info.rstd || info.newRunningMean || info.newRunningVar) {
    guarded(isWriter, [&] {
      storeStatistics(set, mean, var, rstd, info.batch * info.spatial);
    });
  }
  return rstd;
}

void ChannelKernelBuilder::storeNormalizedVectors(
    ArrayRef<Value> ks, ArrayRef<Value> valids, ArrayRef<Value> offsets,
    ArrayRef<Value> vectors, Value mean, Value rstd,
    std::pair<Value, Value> setScaleShift) {
  Value zero = floatConst(0.0);
  // NHWC: the vectors here are T apart, so with T a multiple of Cg / V
  // they have the same channels, and the first vector's scales serve all
  // (a vector past the end of the set has its store masked, and so have
  // all after it).
  bool sameChannels = info.channelsLast && m.blockSize % m.vectorsPerRun == 0;
  SmallVector<Value> scales, shifts;
  for (auto [k, valid, offset, vec] : llvm::zip(ks, valids, offsets, vectors)) {
    // A vector past the end of the set would name a channel past the
    // group (past C for the last group): read its scale from the last
    // vector's channel instead (its store is masked).
    Value channelK =
        valid ? arith::MinUIOp::create(b, loc, k, index(m.setVectors - 1))
                    .getResult()
              : k;
    if (!info.isGroup()) {
      storeNormalized(vec, setScaleShift.first, setScaleShift.second, offset,
                      valid);
      continue;
    }
    // NCHW: the vector is in one channel; NHWC: element e in channel c + e.
    if (!sameChannels || scales.empty()) {
      Value channel = channelOf(set, channelK);
      scales.clear();
      shifts.clear();
      int64_t perElement = info.channelsLast ? m.vectorWidth : 1;
      for (int64_t e = 0; e < perElement; ++e) {
        auto [scale, shift] = scaleShift(
            e == 0 ? channel : arith::AddIOp::create(b, loc, channel, index(e)),
            mean, rstd, zero);
        scales.push_back(scale);
        shifts.push_back(shift);
      }
    }
    storeNormalized(vec, scales, shifts, offset, valid);
  }
}

void ChannelKernelBuilder::buildNormalize(Value workspace,
                                          gpu::LaunchOp &launch) {
  Value zero = floatConst(0.0);
  Value mean, var;
  std::tie(mean, var) =
      workspace ? mergePartials(workspace)
                : std::pair<Value, Value>{loadScalar(info.runningMean, set),
                                          loadScalar(info.runningVar, set)};
  Value rstd = finishStatistics(mean, var);

  // y = act(x * scale[c] + shift[c]), scale = w * rstd,
  // shift = b - mean * scale.
  std::pair<Value, Value> setScaleShift;
  if (!info.isGroup())
    setScaleShift = scaleShift(set, mean, rstd, zero);
  auto vecType = VectorType::get({m.vectorWidth}, elementType);
  forEachVector(ValueRange{}, [&](ArrayRef<Value> ks, ArrayRef<Value> valids,
                                  ValueRange) {
    SmallVector<Value> offsets, vectors;
    for (auto [k, valid] : llvm::zip(ks, valids)) {
      offsets.push_back(vectorOffset(set, k));
      vectors.push_back(loadInputAt(vecType, offsets.back(), valid));
    }
    storeNormalizedVectors(ks, valids, offsets, vectors, mean, rstd,
                           setScaleShift);
    return SmallVector<Value>{};
  });
}

Value ChannelKernelBuilder::sumBlock(Value v, Value scratch, int64_t slot) {
  v = sumWarp(v, 32);
  int64_t warps = m.numWarps();
  if (warps == 1)
    return v;
  Value c32 = index(32);
  Value warp = arith::DivUIOp::create(b, loc, tid, c32);
  Value lane = arith::RemUIOp::create(b, loc, tid, c32);
  guarded(
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0)),
      [&] {
        memref::StoreOp::create(b, loc, v, scratch,
                                ValueRange{arith::AddIOp::create(
                                    b, loc, warp, index(slot * warps))});
      });
  gpu::BarrierOp::create(b, loc);
  Value total;
  for (int64_t w = 0; w < warps; ++w) {
    Value x = memref::LoadOp::create(b, loc, scratch,
                                     ValueRange{index(slot * warps + w)});
    total = total ? add(total, x) : x;
  }
  return total;
}

void ChannelKernelBuilder::buildSinglePass(Value workspace,
                                           gpu::LaunchOp &launch) {
  auto vecType = VectorType::get({m.vectorWidth}, elementType);
  Value zero = floatConst(0.0);
  // This thread's vectors, read from memory once (one iteration): the
  // first `stagedVectors` copied into shared memory (cp.async, zero-filled
  // where masked) and read back by each pass, the others kept in registers.
  SmallVector<Value> ks, valids, offsets, vectors, stageIndices, copyGroups;
  Value stage;
  if (m.resident && m.stagedVectors > 0) {
    Value bytes = gpu::DynamicSharedMemoryOp::create(
        b, loc,
        MemRefType::get({ShapedType::kDynamic}, b.getI8Type(),
                        MemRefLayoutAttrInterface(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup)));
    stage = memref::ViewOp::create(
        b, loc,
        getWorkgroupBufferType(b.getContext(), m.stagedElements(), elementType),
        bytes, index(0), ValueRange{});
  } else if (m.stagedVectors > 0) {
    stage = launch.getWorkgroupAttributions().back();
  }
  int64_t staged = m.stagedVectors;
  forEachVector(ValueRange{}, [&](ArrayRef<Value> kList,
                                  ArrayRef<Value> validList, ValueRange) {
    ks.assign(kList.begin(), kList.end());
    valids.assign(validList.begin(), validList.end());
    SmallVector<Value> tokens;
    for (Value k : kList)
      offsets.push_back(vectorOffset(set, k));
    // The copies first, then the register loads, then the wait (resident:
    // a wait a copy, before the sum reads it). The residual form loads and
    // adds every vector, and stores the staged ones: no copies.
    vectors.assign(kList.size(), Value());
    for (auto [u, k, valid] : llvm::enumerate(kList, validList)) {
      bool toStage = static_cast<int64_t>(u) < staged;
      Value loaded;
      if (!toStage || info.residual)
        loaded = loadInputAt(vecType, offsets[u], valid);
      if (!toStage) {
        vectors[u] = loaded;
        continue;
      }
      // Slot u * T + tid of the chunk; a masked vector copies no bytes
      // from the (clamped, in-bounds) last vector of the set.
      Value slot = arith::AddIOp::create(
          b, loc, tid, index(static_cast<int64_t>(u) * m.blockSize));
      stageIndices.push_back(
          arith::MulIOp::create(b, loc, slot, index(m.vectorWidth)));
      // The residual form stages the sum from registers (zeros where
      // masked), as cp.async cannot add.
      if (loaded) {
        storeVector(loaded, stage, stageIndices.back());
        continue;
      }
      Value source = offsets[u];
      Value srcElements;
      if (valid) {
        source = vectorOffset(
            set, arith::MinUIOp::create(b, loc, k, index(m.setVectors - 1)));
        srcElements = arith::SelectOp::create(b, loc, valid,
                                              index(m.vectorWidth), index(0));
      }
      bool fullLine =
          m.vectorWidth * elementType.getIntOrFloatBitWidth() == 128;
      tokens.push_back(nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), stage,
          ValueRange{stageIndices.back()}, info.input, ValueRange{source},
          b.getIndexAttr(m.vectorWidth), srcElements,
          fullLine ? b.getUnitAttr() : UnitAttr()));
      // Resident: a group a copy, so that the sum below starts on the first
      // vectors while the others are in flight.
      if (m.resident)
        copyGroups.push_back(nvgpu::DeviceAsyncCreateGroupOp::create(
            b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()),
            tokens.back()));
    }
    if (stage && !m.resident && !tokens.empty()) {
      Value group = nvgpu::DeviceAsyncCreateGroupOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens);
      // Each thread reads back only what it copied: no barrier needed.
      nvgpu::DeviceAsyncWaitOp::create(b, loc, group, IntegerAttr());
    }
    return SmallVector<Value>{};
  });
  // Waits until the copy of the staged vector u has landed (the groups
  // complete in order: at most copyGroups - 1 - u may be pending).
  auto waitForCopy = [&](size_t u) {
    if (u < copyGroups.size())
      nvgpu::DeviceAsyncWaitOp::create(
          b, loc, copyGroups[u],
          b.getI32IntegerAttr(static_cast<int32_t>(copyGroups.size() - 1 - u)));
  };
  // The u-th vector of this thread, for one pass.
  auto vectorAt = [&](size_t u) -> Value {
    if (vectors[u])
      return vectors[u];
    return vector::LoadOp::create(
               b, loc, vecType, stage, ValueRange{stageIndices[u]},
               /*nontemporal=*/false,
               llvm::MaybeAlign(m.vectorWidth *
                                elementType.getIntOrFloatBitWidth() / 8))
        .getResult();
  };
  // Elements of this block's chunk (the last one may be partial).
  Value count = floatConst(static_cast<double>(m.chunkVectors * m.vectorWidth));
  if (m.hasTail()) {
    Value left = arith::SubIOp::create(
        b, loc, index(m.setVectors),
        arith::MulIOp::create(b, loc, chunk, index(m.chunkVectors)));
    Value n = arith::MulIOp::create(
        b, loc, arith::MinUIOp::create(b, loc, left, index(m.chunkVectors)),
        index(m.vectorWidth));
    count = arith::UIToFPOp::create(
        b, loc, f32, arith::IndexCastUIOp::create(b, loc, b.getI32Type(), n));
  }

  // Exact moments of the block: the sum, then the centred sum of squares,
  // both over the registers (masked vectors were loaded as zeros).
  Value scratch;
  if (m.numWarps() > 1)
    scratch = launch.getWorkgroupAttributions().front();
  Value sum = zero;
  for (size_t u = 0; u < ks.size(); ++u) {
    waitForCopy(u);
    for (Value x : toF32Elements(vectorAt(u)))
      sum = add(sum, x);
  }
  Value blockMean =
      arith::DivFOp::create(b, loc, sumBlock(sum, scratch, 0), count);
  Value m2 = zero;
  for (auto [u, valid] : llvm::enumerate(valids)) {
    Value vecM2 = zero;
    for (Value x : toF32Elements(vectorAt(u))) {
      Value d = sub(x, blockMean);
      vecM2 = add(vecM2, mul(d, d));
    }
    m2 = add(
        m2,
        valid ? arith::SelectOp::create(b, loc, valid, vecM2, zero).getResult()
              : vecM2);
  }
  Value blockM2 = sumBlock(m2, scratch, 1);

  Value mean = blockMean, var;
  if (!workspace) {
    var = arith::DivFOp::create(b, loc, blockM2, count);
  } else {
    // Thread 0 publishes the block's moments; after the cluster barrier
    // (release/acquire at cluster scope) every block merges the P partials
    // of its set in the same order, so all get the same statistics.
    storePartial(workspace, {count, blockMean, blockM2});
    NVVM::ClusterArriveOp::create(b, loc, /*aligned=*/b.getUnitAttr());
    NVVM::ClusterWaitOp::create(b, loc, /*aligned=*/b.getUnitAttr());
    std::tie(mean, var) = mergePartials(workspace);
  }
  Value rstd = finishStatistics(mean, var);
  std::pair<Value, Value> setScaleShift;
  if (!info.isGroup())
    setScaleShift = scaleShift(set, mean, rstd, zero);
  SmallVector<Value> normalized;
  for (size_t u = 0; u < ks.size(); ++u)
    normalized.push_back(vectorAt(u));
  storeNormalizedVectors(ks, valids, offsets, normalized, mean, rstd,
                         setScaleShift);
}

std::pair<Value, Value> ChannelKernelBuilder::scaleShift(Value channel,
                                                         Value mean, Value rstd,
                                                         Value zero) {
  Value scale = rstd;
  if (info.weight)
    scale = mul(loadScalar(info.weight, channel), rstd);
  Value shift = sub(zero, mul(mean, scale));
  if (info.bias)
    shift = add(loadScalar(info.bias, channel), shift);
  return {scale, shift};
}

void ChannelKernelBuilder::storeStatistics(Value idx, Value mean, Value var,
                                           Value rstd, int64_t count) {
  if (info.mean)
    storeScalar(mean, info.mean, idx);
  if (info.rstd)
    storeScalar(rstd, info.rstd, idx);
  Value keep = floatConst(1.0 - info.momentum);
  Value take = floatConst(info.momentum);
  if (info.newRunningMean)
    storeScalar(
        add(mul(keep, loadScalar(info.runningMean, idx)), mul(take, mean)),
        info.newRunningMean, idx);
  if (info.newRunningVar) {
    double n = static_cast<double>(count);
    double unbias =
        n > 1 ? n / (n - 1) : std::numeric_limits<double>::quiet_NaN();
    storeScalar(add(mul(keep, loadScalar(info.runningVar, idx)),
                    mul(take, mul(var, floatConst(unbias)))),
                info.newRunningVar, idx);
  }
}

void ChannelKernelBuilder::storeNormalized(Value vec, ArrayRef<Value> scales,
                                           ArrayRef<Value> shifts, Value offset,
                                           Value valid) {
  auto type = cast<VectorType>(vec.getType());
  Value wide = widenToF32(vec);
  SmallVector<Value> elems;
  for (int64_t e = 0; e < type.getNumElements(); ++e) {
    Value x = vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{e});
    size_t i = scales.size() == 1 ? 0 : e;
    elems.push_back(buildActivation(b, loc, add(mul(x, scales[i]), shifts[i]),
                                    info.activation));
  }
  Value out = packFromF32(elems, type);
  guarded(valid, [&] {
    storeVector(out, info.output, offset, /*nontemporal=*/streamOutput);
  });
}

Value ChannelKernelBuilder::allocWorkspace(int64_t size, Value &token) {
  return allocInChain(b, loc, MemRefType::get({size}, f32), token);
}

Value ChannelKernelBuilder::endKernels(Value workspace, Value token) {
  if (workspace)
    deallocInChain(b, loc, workspace, token);
  return token;
}

Value ChannelKernelBuilder::loadInputAt(VectorType type, Value offset,
                                        Value valid) {
  if (sumWritten)
    return loadVectorAt(type, info.residualSum, offset, valid);
  Value x = loadVectorAt(type, info.input, offset, valid);
  if (!info.residual)
    return x;
  Value sum = arith::AddFOp::create(
      b, loc, x, loadVectorAt(type, info.residual, offset, valid));
  // Every element is read by one thread of the kernel, which writes its
  // sum: residual_sum may share a buffer with the input or the residual.
  if (info.residualSum)
    guarded(valid, [&] { storeVector(sum, info.residualSum, offset); });
  return sum;
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
        valid = andCond(valid,
                        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              r, index(info.rows)));
      valids.push_back(valid);
    }
    return body(rowIdxs, valids, carried);
  };
  return buildLoop(c.iterations(), init, emitBody);
}

void ChannelKernelBuilder::buildColumnStatistics(Value workspace,
                                                 gpu::LaunchOp &launch) {
  const ColumnMapping &c = info.columns;
  int64_t v = c.vectorWidth;
  setColumnThread();
  auto vecType = VectorType::get({v}, elementType);
  Value zero = floatConst(0.0), one = floatConst(1.0);

  // State: count, then V means, then V M2s. Welford per row (one division
  // per row for the V channels).
  SmallVector<Value> init(1 + 2 * v, zero);
  SmallVector<Value> state = forEachRow(init, [&](ArrayRef<Value> rowIdxs,
                                                  ArrayRef<Value> valids,
                                                  ValueRange carried) {
    SmallVector<Value> vectors;
    for (auto [r, valid] : llvm::zip(rowIdxs, valids))
      vectors.push_back(loadInputAt(vecType, columnOffset(r), valid));
    SmallVector<Value> st(carried.begin(), carried.end());
    for (auto [vec, valid] : llvm::zip(vectors, valids)) {
      Value wide = widenToF32(vec);
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
  guarded(andCond(isFirst, channelValid), [&] {
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
  // serially, one L2 latency each.) Each iteration loads 4 partials before
  // merging them: the loads overlap instead of one L2 latency per partial.
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
    constexpr int64_t kLoadsInFlight = 4;
    auto loop = scf::ForOp::create(b, loc, lane, index(c.numChunks),
                                   index(32 * kLoadsInFlight),
                                   ValueRange{zero, zero, zero});
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Moments> partials;
      for (int64_t u = 0; u < kLoadsInFlight; ++u) {
        Value chunkIdx = arith::AddIOp::create(b, loc, loop.getInductionVar(),
                                               index(32 * u));
        Value valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            chunkIdx, index(c.numChunks));
        // Past the last chunk: an empty partial (count 0).
        auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, f32, f32}, valid,
                                      /*withElseRegion=*/true);
        {
          OpBuilder::InsertionGuard inner(b);
          b.setInsertionPointToStart(&ifOp.getThenRegion().front());
          Value at = arith::AddIOp::create(
              b, loc,
              arith::MulIOp::create(b, loc, chunkIdx, index(info.channels)),
              channel);
          SmallVector<Value> partial;
          for (int64_t q = 0; q < 3; ++q)
            partial.push_back(memref::LoadOp::create(
                b, loc, workspace,
                ValueRange{arith::AddIOp::create(b, loc, at, index(q * pc))}));
          scf::YieldOp::create(b, loc, partial);
          b.setInsertionPointToStart(&ifOp.getElseRegion().front());
          scf::YieldOp::create(b, loc, ValueRange{zero, zero, zero});
        }
        partials.push_back(
            {ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2)});
      }
      ValueRange acc = loop.getRegionIterArgs();
      Moments m{acc[0], acc[1], acc[2]};
      for (const Moments &partial : partials)
        m = merge(m, partial);
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
    storeStatistics(channel, mean, var, rstd, info.rows);
    auto [scale, shift] = scaleShift(channel, mean, rstd, zero);
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
    auto [scale, shift] = scaleShift(channel, mean, rstd, zero);
    scales.push_back(scale);
    shifts.push_back(shift);
  }
  auto vecType = VectorType::get({v}, elementType);
  forEachRow(ValueRange{}, [&](ArrayRef<Value> rowIdxs, ArrayRef<Value> valids,
                               ValueRange) {
    SmallVector<Value> offsets, vectors;
    for (auto [r, valid] : llvm::zip(rowIdxs, valids)) {
      offsets.push_back(columnOffset(r));
      vectors.push_back(loadInputAt(vecType, offsets.back(), valid));
    }
    for (auto [valid, offset, vec] : llvm::zip(valids, offsets, vectors)) {
      storeNormalized(vec, scales, shifts, offset, valid);
    }
    return SmallVector<Value>{};
  });
}

Value ChannelKernelBuilder::buildColumns(Value token) {
  const ColumnMapping &c = info.columns;
  MLIRContext *ctx = b.getContext();
  Value workspace;
  if (info.needsStatistics()) {
    // Partials (3 x P x C), then scale and shift (2 x C).
    workspace = allocWorkspace(
        3 * c.numChunks * info.channels + 2 * info.channels, token);
    {
      OpBuilder::InsertionGuard guard(b);
      gpu::LaunchOp launch;
      SmallVector<Type> workgroup{
          getWorkgroupBufferType(ctx, c.blockSize() * (1 + 2 * c.vectorWidth))};
      token = createLaunch(token, workgroup, launch, c.channelTiles,
                           c.numChunks, c.blockSize());
      buildColumnStatistics(workspace, launch);
      sumWritten = info.residual && info.residualSum;
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
                         c.blockSize(), /*reversed=*/workspace != nullptr);
    streamOutput = info.streamingStores && workspace;
    buildColumnNormalize(workspace);
  }
  return endKernels(workspace, token);
}

Value ChannelKernelBuilder::build(Value token) {
  if (info.channelsLast && !info.isGroup())
    return buildColumns(token);
  MLIRContext *ctx = b.getContext();
  Value workspace;
  if (m.singlePass) {
    // One kernel; with several blocks a set, a cluster of them exchanging
    // their moments through the workspace.
    if (m.numChunks > 1)
      workspace = allocWorkspace(3 * m.numSets * m.numChunks, token);
    {
      OpBuilder::InsertionGuard guard(b);
      gpu::LaunchOp launch;
      SmallVector<Type> workgroup;
      if (m.numWarps() > 1)
        workgroup.push_back(getWorkgroupBufferType(ctx, 2 * m.numWarps()));
      int64_t dynamicShared = 0;
      if (m.resident)
        dynamicShared =
            m.stagedElements() * elementType.getIntOrFloatBitWidth() / 8;
      else if (m.stagedVectors > 0)
        workgroup.push_back(
            getWorkgroupBufferType(ctx, m.stagedElements(), elementType));
      token = createLaunch(token, workgroup, launch, m.numSets, m.numChunks,
                           m.blockSize, /*reversed=*/false,
                           m.numChunks > 1 ? m.numChunks : 0, dynamicShared);
      buildSinglePass(workspace, launch);
    }
    return endKernels(workspace, token);
  }
  if (info.needsStatistics()) {
    workspace = allocWorkspace(3 * m.numSets * m.numChunks, token);

    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch;
    SmallVector<Type> workgroup;
    if (m.numWarps() > 1)
      workgroup.push_back(getWorkgroupBufferType(ctx, 96));
    token = createLaunch(token, workgroup, launch);
    buildStatistics(workspace, launch);
    sumWritten = info.residual && info.residualSum;
  }
  {
    OpBuilder::InsertionGuard guard(b);
    gpu::LaunchOp launch;
    token = createLaunch(token, {}, launch,
                         /*reversed=*/workspace != nullptr);
    streamOutput = info.streamingStores && workspace;
    buildNormalize(workspace, launch);
  }
  return endKernels(workspace, token);
}

//===----------------------------------------------------------------------===//
// Pattern
//===----------------------------------------------------------------------===//

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
    LogicalResult analyzed = analyzeChannelNorm(op, options, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          Location loc = op->getLoc();
          ChannelNormInfo collapsed = info;
          collapseToVectors(rewriter, loc,
                            {&collapsed.input, &collapsed.output,
                             &collapsed.mean, &collapsed.rstd,
                             &collapsed.residual, &collapsed.residualSum});
          Type elementType =
              cast<MemRefType>(info.input.getType()).getElementType();
          // One stream: the host waits once, at the end.
          Value token = startChain(rewriter, loc);
          token = ChannelKernelBuilder(rewriter, loc, collapsed, elementType)
                      .build(token);
          waitForChain(rewriter, loc, token);
        });
  }

  NormToGPUOptions options;
};

} // namespace

void mlir::norm::populateChannelNormToGPUPatterns(
    RewritePatternSet &patterns, const NormToGPUOptions &options) {
  patterns.add<ChannelNormToGPUPattern>(patterns.getContext(), options);
}
