//===- NormToGPU.cpp - Lower row normalizations to GPU kernels ------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Rewrites norm.layer_norm and norm.rms_norm into one gpu.launch each. The
// input is viewed as [rows, n] (n: the static product of the normalized
// dimensions) and the kernel is written with explicit thread indexing:
//
//  * a group of G threads handles one row: G = the next power of two of the
//    vector count (at most 32) for rows of at most `warpRowLimit` elements,
//    several rows per block; else G = a multiple of 32 (64..1024), one row
//    per block;
//  * each thread loads I vectors of V elements (16 bytes when n allows) at
//    columns (lane + i * G) * V with `vector.load {alignment}`, keeps them in
//    registers as f32, and reuses them for the statistics and the output:
//    the row is read once from global memory;
//  * sums are reduced with `gpu.shuffle xor` inside a warp and, for a row per
//    block, through 32 floats of shared memory per reduction between the
//    warps;
//  * the epilogue computes act((x - mean) * rstd * w + b) in f32 and stores
//    vectors of the output type.
//
// All lanes run the reductions (rows past the end are clamped to the last
// row and only their stores are skipped), as `shfl.sync` with a full mask
// requires.
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/NormToGPU/NormToGPU.h"
#include "ChannelGradToGPU.h"
#include "ChannelNormToGPU.h"
#include "DataNormToGPU.h"
#include "KernelUtils.h"
#include "SpectralNormToGPU.h"
#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
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
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/MathExtras.h"

#include <functional>

namespace mlir::norm {
#define GEN_PASS_DEF_CONVERTNORMTOGPUPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::gpu_kernels;

namespace {

/// The mapping of a [rows, n] normalization onto threads.
struct RowMapping {
  /// Row length in elements.
  int64_t n = 0;
  /// Elements per vector access.
  int64_t vectorWidth = 1;
  /// Vectors per row (n / vectorWidth).
  int64_t numVectors = 0;
  /// Threads per row: a power of two <= 32, or a multiple of 32.
  int64_t groupSize = 32;
  /// Rows per block (1 when a block handles a row).
  int64_t rowsPerBlock = 1;
  /// Vectors each thread loads.
  int64_t vectorsPerThread = 1;

  bool perBlock() const { return groupSize > 32; }
  int64_t blockSize() const { return groupSize * rowsPerBlock; }
  int64_t numWarps() const { return groupSize / 32; }
  /// Whether the last vector of a thread may lie past the end of the row.
  bool hasTail() const { return numVectors % groupSize != 0; }
};

/// A row normalization, analyzed: its operands and destinations as memrefs
/// of the original shapes, and the parameters of its arithmetic.
struct RowNormInfo {
  bool centered = false;
  double epsilon = 0.0;
  double weightOffset = 0.0;
  ActivationAttr activation;
  Value input, residual, weight, bias;
  Value output, residualSum, mean, rstd;
  /// Backward (layer_norm_grad, rms_norm_grad): `output` is grad_input,
  /// `mean`/`rstd` are operands (the forward's statistics).
  bool backward = false;
  Value gradOutput, residualSumGrad, gradWeight, gradBias;
  /// Row chunks of the parameter gradients' column reduction.
  int64_t parameterChunks = 1;
  /// The grad_input kernel also sums the parameter gradients (each block
  /// over its rows, a partial row per block), over at most
  /// `parameterBlocks` blocks; else a column reduction reads x and dy again.
  bool fuseParameterGradients = false;
  int64_t parameterBlocks = 0;
  /// The `materialize_in_destination` ops that write the results.
  SmallVector<Operation *> materializations;
  /// Rank of the leading (row) dimensions.
  int64_t numLeadingDims = 0;
  RowMapping mapping;
};

} // namespace

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

/// Most elements a thread of a backward kernel that also sums the parameter
/// gradients holds (each with its two sums across rows).
constexpr int64_t kFusedValuesPerThread = 16;
/// Most threads a block of such a kernel has.
constexpr int64_t kFusedMaxBlockSize = 512;

/// Threads a block of the parameter gradients' kernels puts across the `n`
/// columns, `vectorWidth` consecutive ones a thread (a warp reads up to 32
/// consecutive vectors of a row).
static int64_t parameterColumnLanes(int64_t n, int64_t vectorWidth) {
  return std::min<int64_t>(
      32, llvm::bit_floor(static_cast<uint64_t>(n / vectorWidth)));
}

/// Chooses vector width, threads per row and rows per block for rows of `n`
/// elements of `elementBits` bits.
static FailureOr<RowMapping> computeRowMapping(int64_t n, unsigned elementBits,
                                               const NormToGPUOptions &options,
                                               std::string &reason) {
  // Empty rows would make a zero-thread group (a division by zero below).
  if (n <= 0) {
    reason = "the normalized dimensions have no elements";
    return failure();
  }
  RowMapping m;
  m.n = n;
  m.vectorWidth = vectorWidthFor(n, elementBits);
  m.numVectors = n / m.vectorWidth;
  if (n <= options.warpRowLimit) {
    // Whole warps run the full-mask shuffles, and a block has at most 1024
    // threads (a larger one fails to launch).
    if (options.warpModeBlockSize < 32 || options.warpModeBlockSize > 1024 ||
        options.warpModeBlockSize % 32 != 0) {
      reason = "warp-block-size must be a multiple of 32 between 32 and 1024";
      return failure();
    }
    m.groupSize = std::min<int64_t>(
        32, llvm::PowerOf2Ceil(static_cast<uint64_t>(m.numVectors)));
    m.rowsPerBlock =
        std::max<int64_t>(1, options.warpModeBlockSize / m.groupSize);
  } else {
    int64_t threads = llvm::divideCeil(
        m.numVectors, std::max<int64_t>(1, options.vectorsPerThread));
    m.groupSize = std::clamp<int64_t>(llvm::alignTo(threads, 32), 64, 1024);
    m.rowsPerBlock = 1;
  }
  m.vectorsPerThread = llvm::divideCeil(m.numVectors, m.groupSize);
  if (m.vectorsPerThread * m.vectorWidth > options.maxValuesPerThread) {
    reason = "rows of " + std::to_string(n) +
             " elements need more than max-values-per-thread = " +
             std::to_string(options.maxValuesPerThread) +
             " registers per thread";
    return failure();
  }
  return m;
}

/// Fills `info` for a layer_norm or rms_norm; returns failure with a reason
/// when the op cannot become a kernel.
static LogicalResult analyzeRowNorm(Operation *op,
                                    const NormToGPUOptions &options,
                                    RowNormInfo &info, std::string &reason) {
  Value input, weight, bias, residual;
  Value output, mean, rstd, residualSum;
  Value gradOutput, residualSumGrad, gradWeight, gradBias;
  ArrayRef<int64_t> axes;
  if (auto ln = dyn_cast<LayerNormOp>(op)) {
    info.centered = true;
    info.epsilon = ln.getEpsilon().convertToDouble();
    info.activation = ln.getActivationAttr();
    input = ln.getInput();
    weight = ln.getWeight();
    bias = ln.getBias();
    residual = ln.getResidual();
    output = ln.getOutput();
    mean = ln.getMean();
    rstd = ln.getRstd();
    residualSum = ln.getResidualSum();
    axes = ln.getAxes();
  } else if (auto rms = dyn_cast<RMSNormOp>(op)) {
    info.epsilon = rms.getEpsilon().convertToDouble();
    info.weightOffset = rms.getWeightOffset().convertToDouble();
    info.activation = rms.getActivationAttr();
    input = rms.getInput();
    weight = rms.getWeight();
    residual = rms.getResidual();
    output = rms.getOutput();
    rstd = rms.getRstd();
    residualSum = rms.getResidualSum();
    axes = rms.getAxes();
  } else if (auto grad = dyn_cast<LayerNormGradOp>(op)) {
    info.backward = true;
    info.centered = true;
    info.activation = grad.getActivationAttr();
    input = grad.getInput();
    weight = grad.getWeight();
    bias = grad.getBias();
    residual = grad.getResidual();
    output = grad.getGradInput();
    mean = grad.getMean();
    rstd = grad.getRstd();
    gradOutput = grad.getGradOutput();
    residualSumGrad = grad.getResidualSumGrad();
    gradWeight = grad.getGradWeight();
    gradBias = grad.getGradBias();
    axes = grad.getAxes();
  } else if (auto grad = dyn_cast<RMSNormGradOp>(op)) {
    info.backward = true;
    info.weightOffset = grad.getWeightOffset().convertToDouble();
    info.activation = grad.getActivationAttr();
    input = grad.getInput();
    weight = grad.getWeight();
    residual = grad.getResidual();
    output = grad.getGradInput();
    rstd = grad.getRstd();
    gradOutput = grad.getGradOutput();
    residualSumGrad = grad.getResidualSumGrad();
    gradWeight = grad.getGradWeight();
    axes = grad.getAxes();
  } else {
    reason = "this op has no GPU lowering (docs/gpu.md lists the ops that "
             "have one)";
    return failure();
  }

  auto type = cast<RankedTensorType>(input.getType());
  Type elementType = type.getElementType();
  if (!isSupportedFloat(elementType)) {
    reason = "the element type must be f32, f16 or bf16";
    return failure();
  }
  if (axes.back() != type.getRank() - 1) {
    reason = "the GPU kernels normalize rows: 'axes' must end at the last "
             "dimension (a layer norm over the channels of NCHW data has "
             "no GPU lowering yet)";
    return failure();
  }
  info.numLeadingDims = type.getRank() - static_cast<int64_t>(axes.size());
  if (info.numLeadingDims < 1) {
    reason = "at least one leading (row) dimension is required";
    return failure();
  }
  int64_t n = 1;
  for (int64_t d : type.getShape().drop_front(info.numLeadingDims)) {
    if (ShapedType::isDynamic(d)) {
      reason = "the normalized dimensions must be static";
      return failure();
    }
    n *= d;
  }
  FailureOr<RowMapping> mapping = computeRowMapping(
      n, elementType.getIntOrFloatBitWidth(), options, reason);
  if (failed(mapping))
    return failure();
  info.mapping = *mapping;
  if (info.backward) {
    // Enough blocks for the GPU: columns / lanes tiles x chunks of rows.
    int64_t v = info.mapping.vectorWidth;
    int64_t tiles = llvm::divideCeil(n / v, parameterColumnLanes(n, v));
    int64_t target = std::max<int64_t>(1, options.numSMs) *
                     std::max<int64_t>(1, options.blocksPerSM);
    info.parameterChunks =
        std::clamp<int64_t>(llvm::divideCeil(target, tiles), 1, 256);
  }

  LogicalResult memrefs =
      info.backward ? getMemRefs({{input, &info.input},
                                  {residual, &info.residual},
                                  {weight, &info.weight},
                                  {bias, &info.bias},
                                  {gradOutput, &info.gradOutput},
                                  {residualSumGrad, &info.residualSumGrad},
                                  {mean, &info.mean},
                                  {rstd, &info.rstd}},
                                 {{output, &info.output},
                                  {gradWeight, &info.gradWeight},
                                  {gradBias, &info.gradBias}},
                                 info.materializations, reason)
                    : getMemRefs({{input, &info.input},
                                  {residual, &info.residual},
                                  {weight, &info.weight},
                                  {bias, &info.bias}},
                                 {{output, &info.output},
                                  {residualSum, &info.residualSum},
                                  {mean, &info.mean},
                                  {rstd, &info.rstd}},
                                 info.materializations, reason);
  if (failed(memrefs))
    return failure();
  if (info.backward && (info.gradWeight || info.gradBias) &&
      options.fuseParameterGradients) {
    // Each thread keeps two sums of each of its elements across its rows:
    // a mapping with at most kFusedValuesPerThread of them (more threads a
    // row when the forward's would hold more).
    NormToGPUOptions narrower = options;
    narrower.vectorsPerThread =
        std::clamp<int64_t>(kFusedValuesPerThread / info.mapping.vectorWidth, 1,
                            std::max<int64_t>(1, options.vectorsPerThread));
    FailureOr<RowMapping> fused = computeRowMapping(
        n, elementType.getIntOrFloatBitWidth(), narrower, reason);
    // Blocks over kFusedMaxBlockSize threads get too few registers a thread
    // for the sums besides grad_input's own (ptxas spills them).
    if (succeeded(fused) &&
        fused->vectorsPerThread * fused->vectorWidth <= kFusedValuesPerThread &&
        fused->blockSize() <= kFusedMaxBlockSize) {
      info.mapping = *fused;
      info.fuseParameterGradients = true;
      // A persistent grid of about 512 threads an SM, what the registers
      // allow at 128 a thread (one wave): its partials (two rows of n
      // floats a block) stay small next to x and dy.
      info.parameterBlocks =
          std::max<int64_t>(1, options.numSMs) *
          std::max<int64_t>(1, kFusedMaxBlockSize / info.mapping.blockSize());
      // The partials' reduction: f32 column vectors, row chunks for about
      // num-sms x blocks-per-sm blocks, each with rows for its row lanes.
      int64_t cv = vectorWidthFor(n, 32);
      int64_t lanes = parameterColumnLanes(n, cv);
      int64_t tiles = llvm::divideCeil(n / cv, lanes);
      int64_t target = std::max<int64_t>(1, options.numSMs) *
                       std::max<int64_t>(1, options.blocksPerSM);
      info.parameterChunks = std::clamp<int64_t>(
          llvm::divideCeil(target, tiles), 1,
          llvm::divideCeil(info.parameterBlocks, kItemBlockSize / lanes));
    }
    reason.clear();
  }
  for (Value stat : {info.mean, info.rstd}) {
    if (!stat)
      continue;
    if (!isSupportedFloat(cast<MemRefType>(stat.getType()).getElementType())) {
      reason = "statistics must be f32, f16 or bf16";
      return failure();
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Kernel construction
//===----------------------------------------------------------------------===//

namespace {

/// Builds the gpu.launch of one row normalization. Operands are the
/// collapsed memrefs: [rows, n] for rows, [n] for weight and bias, [rows]
/// for statistics.
class RowKernelBuilder : KernelBuilderBase {
public:
  RowKernelBuilder(OpBuilder &b, Location loc, const RowNormInfo &info)
      : KernelBuilderBase(b, loc), info(info), m(info.mapping) {}

  /// Emits `if (rows > 0) gpu.launch ...` at the insertion point (and for
  /// a backward op with parameter gradients, their kernels).
  void build(Value numRows);

private:
  /// The row kernel's launch and thread mapping, then its body.
  void buildRowKernel(Value numRows);
  /// A launch of `grid` blocks of the row mapping (after `dependency`,
  /// async, when set) with the reduction scratch and `extraWorkgroup`;
  /// sets `tid`, `lane`, `group` and `scratch`.
  gpu::LaunchOp createRowLaunch(Value grid, Value dependency,
                                TypeRange extraWorkgroup = {});
  /// Sets `row` and `valid` for the rows of block-row `rowBlock`.
  void setRow(Value rowBlock, Value numRows);
  /// The backward op whose grad_input kernel also sums the parameter
  /// gradients (info.fuseParameterGradients): a persistent grid over the
  /// rows, a partial row of the two sums a block in a workspace, then a
  /// column reduction of the partials.
  void buildFusedBackward(Value numRows);
  /// The body of the forward kernel: statistics and the normalized output.
  void emitForward();
  /// The body of the backward kernel: grad_input; with `parameterTerms`,
  /// also appends `dpre * xhat` then `dpre` of each element of the thread
  /// (zeros for rows past the last and elements past the row's end).
  void emitBackward(SmallVector<Value> *parameterTerms = nullptr);
  /// The kernels of grad_weight / grad_bias: a column reduction over the
  /// rows of `dpre * xhat` and `dpre`.
  void buildParameterGradients(Value numRows);
  /// Stores the sums of column `c` (of `dpre * xhat`, of `dpre`) into
  /// grad_weight and grad_bias, where used.
  void storeParameterGradients(Value c, ColumnReduction::Pair sums) {
    if (info.gradWeight)
      storeScalar(sums.first, info.gradWeight, c);
    if (info.gradBias)
      storeScalar(sums.second, info.gradBias, c);
  }
  /// x, or x + residual added in the input type, as f32 elements.
  /// (`maskRows`: see loadVectors.)
  SmallVector<Value> loadInputElements(bool maskRows = false);
  /// `w + offset` (f32), or null without a weight.
  Value scaleOf(Value w) {
    if (!w || info.weightOffset == 0.0)
      return w;
    return add(w, floatConst(info.weightOffset));
  }
  /// `dpre = dy * act'(xhat * w' + b)` (dy without an activation).
  Value preActivationGrad(Value dy, Value xhat, Value scale, Value bias);
  /// Vector index (in vectors) of the i-th vector of this thread.
  Value vectorIndex(int64_t i) {
    return arith::AddIOp::create(b, loc, lane, index(i * m.groupSize));
  }
  /// Whether the i-th vector of this thread is inside the row (null: always).
  Value inBounds(int64_t i) {
    if (!m.hasTail() || i != m.vectorsPerThread - 1)
      return Value();
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                 vectorIndex(i), index(m.numVectors));
  }
  /// Indices of the i-th vector of this thread in `memref` ([rows, n] or
  /// [n]).
  SmallVector<Value> vectorIndices(Value memref, int64_t i) {
    Value col =
        arith::MulIOp::create(b, loc, vectorIndex(i), index(m.vectorWidth));
    if (cast<MemRefType>(memref.getType()).getRank() == 2)
      return {row, col};
    return {col};
  }
  VectorType vectorTypeOf(Value memref) {
    return VectorType::get({m.vectorWidth},
                           cast<MemRefType>(memref.getType()).getElementType());
  }

  /// Loads this thread's vectors of `memref`; vectors past the end of the
  /// row read as zeros, and so do those of rows past the last with
  /// `maskRows` (else they read the last row, to which they are clamped).
  SmallVector<Value> loadVectors(Value memref, bool maskRows = false);
  /// Stores this thread's vectors into `memref` where `valid` holds.
  void storeVectors(Value memref, ArrayRef<Value> vectors);
  /// storeVectors of `element(e)` (f32) for this thread's elements `e` of
  /// the row (e = vector * vectorWidth + lane of the vector).
  void storeElements(Value memref, llvm::function_ref<Value(int64_t)> element);
  /// Sum of `v` over the threads of a row (every thread gets it). `slot`
  /// selects the shared-memory scratch of this reduction.
  Value reduceRow(Value v, int64_t slot);

  const RowNormInfo &info;
  const RowMapping &m;

  // Inside the kernel.
  Value tid, lane, group, row, valid, scratch;
};

} // namespace

SmallVector<Value> RowKernelBuilder::loadVectors(Value memref, bool maskRows) {
  VectorType type = vectorTypeOf(memref);
  SmallVector<Value> vectors;
  for (int64_t i = 0; i < m.vectorsPerThread; ++i)
    vectors.push_back(loadVector(
        type, memref, andCond(maskRows ? valid : Value(), inBounds(i)),
        [&] { return vectorIndices(memref, i); }));
  return vectors;
}

void RowKernelBuilder::storeVectors(Value memref, ArrayRef<Value> vectors) {
  for (int64_t i = 0, e = vectors.size(); i < e; ++i) {
    Value vector = vectors[i];
    guarded(andCond(valid, inBounds(i)),
            [&] { storeVector(vector, memref, vectorIndices(memref, i)); });
  }
}

Value RowKernelBuilder::reduceRow(Value v, int64_t slot) {
  v = sumWarp(v, std::min<int64_t>(m.groupSize, 32));
  if (!m.perBlock())
    return v;
  // Across warps: lane 0 of each warp publishes its sum, every warp reads
  // them all back and reduces them again. Each reduction has its own slot,
  // so one barrier per reduction suffices.
  Value c32 = index(32);
  Value warp = arith::DivUIOp::create(b, loc, tid, c32);
  Value warpLane = arith::RemUIOp::create(b, loc, tid, c32);
  Value base = index(slot * 32);
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        warpLane, index(0));
  guarded(isFirst, [&] {
    memref::StoreOp::create(
        b, loc, v, scratch,
        ValueRange{arith::AddIOp::create(b, loc, base, warp)});
  });
  gpu::BarrierOp::create(b, loc);
  Value hasPartial = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                           warpLane, index(m.numWarps()));
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32}, hasPartial,
                                /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&ifOp.getThenRegion().front());
    Value partial = memref::LoadOp::create(
        b, loc, scratch,
        ValueRange{arith::AddIOp::create(b, loc, base, warpLane)});
    scf::YieldOp::create(b, loc, partial);
    b.setInsertionPointToStart(&ifOp.getElseRegion().front());
    scf::YieldOp::create(b, loc, floatConst(0.0));
  }
  // A full butterfly, so that every lane (not only the first numWarps) ends
  // with the total.
  return sumWarp(ifOp.getResult(0), 32);
}

void RowKernelBuilder::build(Value numRows) {
  // Parameter gradients sum over the rows (zeros without rows). They come
  // first: they read dy and x, which grad_input may overwrite.
  if (info.fuseParameterGradients)
    return buildFusedBackward(numRows);
  if (info.backward && (info.gradWeight || info.gradBias))
    buildParameterGradients(numRows);
  Value hasRows = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                        numRows, index(0));
  auto ifOp = scf::IfOp::create(b, loc, hasRows, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  buildRowKernel(numRows);
}

gpu::LaunchOp RowKernelBuilder::createRowLaunch(Value grid, Value dependency,
                                                TypeRange extraWorkgroup) {
  Value one = index(1);
  SmallVector<Type> workgroup;
  if (m.perBlock())
    workgroup.push_back(getWorkgroupBufferType(b.getContext(), 64));
  llvm::append_range(workgroup, extraWorkgroup);
  gpu::LaunchOp launch =
      createLaunch(one, grid, one, index(m.blockSize()), dependency, workgroup);
  tid = launch.getThreadIds().x;
  if (m.perBlock()) {
    scratch = launch.getWorkgroupAttributions().front();
    lane = tid;
    group = index(0);
  } else {
    Value groupSize = index(m.groupSize);
    group = arith::DivUIOp::create(b, loc, tid, groupSize);
    lane = arith::RemUIOp::create(b, loc, tid, groupSize);
  }
  return launch;
}

void RowKernelBuilder::setRow(Value rowBlock, Value numRows) {
  if (m.perBlock()) {
    row = rowBlock;
    return;
  }
  Value firstRow =
      arith::MulIOp::create(b, loc, rowBlock, index(m.rowsPerBlock));
  Value rawRow = arith::AddIOp::create(b, loc, firstRow, group);
  if (m.rowsPerBlock > 1) {
    valid = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, rawRow,
                                  numRows);
    Value lastRow = arith::SubIOp::create(b, loc, numRows, index(1));
    row = arith::MinUIOp::create(b, loc, rawRow, lastRow);
  } else {
    row = rawRow;
  }
}

void RowKernelBuilder::buildRowKernel(Value numRows) {
  Value grid =
      arith::CeilDivUIOp::create(b, loc, numRows, index(m.rowsPerBlock));
  gpu::LaunchOp launch = createRowLaunch(grid, /*dependency=*/Value());
  setRow(launch.getBlockIds().x, numRows);
  if (info.backward)
    emitBackward();
  else
    emitForward();
}

void RowKernelBuilder::buildFusedBackward(Value numRows) {
  int64_t n = m.n, v = m.vectorWidth, blocks = info.parameterBlocks;
  int64_t values = m.vectorsPerThread * v;
  Value token = startChain(b, loc);
  // partials[k][block][column]: k = 0 the sums of dpre * xhat, 1 of dpre.
  Value partials =
      allocInChain(b, loc, MemRefType::get({2 * blocks * n}, f32), token);
  Value rowBlocks =
      arith::CeilDivUIOp::create(b, loc, numRows, index(m.rowsPerBlock));
  // At least one block, which writes zeros when there are no rows.
  Value grid = arith::MaxUIOp::create(
      b, loc, arith::MinUIOp::create(b, loc, rowBlocks, index(blocks)),
      index(1));
  {
    OpBuilder::InsertionGuard guard(b);
    // The groups of a block (several rows a block) merge their sums in
    // shared memory: sum j of lane l at j * groupSize + l.
    SmallVector<Type> workgroup;
    if (m.rowsPerBlock > 1)
      workgroup.push_back(
          getWorkgroupBufferType(b.getContext(), 2 * values * m.groupSize));
    gpu::LaunchOp launch = createRowLaunch(grid, token, workgroup);
    token = launch.getAsyncToken();
    Value bid = launch.getBlockIds().x;
    SmallVector<Value> init(2 * values, floatConst(0.0));
    auto loop = scf::ForOp::create(b, loc, bid, rowBlocks,
                                   launch.getGridSize().x, init);
    {
      OpBuilder::InsertionGuard loopGuard(b);
      b.setInsertionPointToStart(loop.getBody());
      setRow(loop.getInductionVar(), numRows);
      SmallVector<Value> terms;
      emitBackward(&terms);
      SmallVector<Value> next;
      for (auto [acc, term] : llvm::zip_equal(loop.getRegionIterArgs(), terms))
        next.push_back(add(acc, term));
      // The next row's block sums reuse the shared-memory slots that slow
      // warps may still be reading (RMSNorm has a single reduction).
      if (m.perBlock())
        gpu::BarrierOp::create(b, loc);
      scf::YieldOp::create(b, loc, next);
    }
    SmallVector<Value> sums(loop.getResults());
    Value writer;
    if (m.rowsPerBlock > 1) {
      // One group after the other adds its sums into the buffer (a barrier
      // each), then group 0 reads the block's totals back.
      Value buffer = launch.getWorkgroupAttributions().back();
      auto slot = [&](int64_t j) {
        return arith::AddIOp::create(b, loc, index(j * m.groupSize), lane)
            .getResult();
      };
      auto merge =
          scf::ForOp::create(b, loc, index(0), index(m.rowsPerBlock), index(1));
      {
        OpBuilder::InsertionGuard mergeGuard(b);
        b.setInsertionPointToStart(merge.getBody());
        Value g = merge.getInductionVar();
        gpu::BarrierOp::create(b, loc);
        Value mine =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, group, g);
        Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, g,
                                            index(0));
        guarded(mine, [&] {
          auto ifFirst =
              scf::IfOp::create(b, loc, first, /*withElseRegion=*/true);
          OpBuilder::InsertionGuard ifGuard(b);
          b.setInsertionPointToStart(&ifFirst.getThenRegion().front());
          for (int64_t j = 0; j < 2 * values; ++j)
            memref::StoreOp::create(b, loc, sums[j], buffer, slot(j));
          b.setInsertionPointToStart(&ifFirst.getElseRegion().front());
          for (int64_t j = 0; j < 2 * values; ++j) {
            Value before = memref::LoadOp::create(b, loc, buffer, slot(j));
            memref::StoreOp::create(b, loc, add(before, sums[j]), buffer,
                                    slot(j));
          }
        });
      }
      gpu::BarrierOp::create(b, loc);
      writer = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, group,
                                     index(0));
      for (int64_t j = 0; j < 2 * values; ++j)
        sums[j] = memref::LoadOp::create(b, loc, buffer, slot(j));
    }
    // The block's partial rows, as f32 vectors of this thread's elements.
    auto vectorType = VectorType::get({v}, f32);
    for (int64_t k = 0; k < 2; ++k) {
      Value base = arith::MulIOp::create(
          b, loc,
          arith::AddIOp::create(b, loc, index(k * blocks), bid).getResult(),
          index(n));
      for (int64_t i = 0; i < m.vectorsPerThread; ++i) {
        SmallVector<Value> elements(sums.begin() + k * values + i * v,
                                    sums.begin() + k * values + (i + 1) * v);
        Value vector = packFromF32(elements, vectorType);
        guarded(andCond(writer, inBounds(i)), [&] {
          Value column =
              arith::MulIOp::create(b, loc, vectorIndex(i), index(v));
          storeVector(vector, partials,
                      arith::AddIOp::create(b, loc, base, column).getResult());
        });
      }
    }
  }

  // grad_weight / grad_bias: the partial rows summed a column at a time.
  int64_t cv = vectorWidthFor(n, 32);
  ColumnReduction spec;
  spec.columnVector = cv;
  spec.columnLanes = parameterColumnLanes(n, cv);
  spec.chunks = info.parameterChunks;
  auto vectorAt = [&](int64_t k, Value r, Value c) {
    Value offset = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(
            b, loc, arith::AddIOp::create(b, loc, index(k * blocks), r),
            index(n)),
        c);
    return loadVector(VectorType::get({cv}, f32), partials, Value(),
                      [&] { return SmallVector<Value>{offset}; });
  };
  auto prologue = [&](Value) -> SmallVector<Value> { return {}; };
  auto element = [&](Value c, Value r,
                     ArrayRef<Value>) -> SmallVector<ColumnReduction::Pair> {
    SmallVector<Value> weights = toF32Elements({vectorAt(0, r, c)});
    SmallVector<Value> biases = toF32Elements({vectorAt(1, r, c)});
    SmallVector<ColumnReduction::Pair> pairs;
    for (int64_t e = 0; e < cv; ++e)
      pairs.push_back({weights[e], biases[e]});
    return pairs;
  };
  auto finalize = [&](Value c, ColumnReduction::Pair sums) {
    storeParameterGradients(c, sums);
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finalize;
  token = buildColumnReduction(b, loc, spec, index(n), grid, token);
  deallocInChain(b, loc, partials, token);
  waitForChain(b, loc, token);
}

SmallVector<Value> RowKernelBuilder::loadInputElements(bool maskRows) {
  // x (+ residual, in the input type), kept in registers.
  SmallVector<Value> xVectors = loadVectors(info.input, maskRows);
  if (info.residual) {
    SmallVector<Value> rVectors = loadVectors(info.residual, maskRows);
    for (size_t i = 0; i < xVectors.size(); ++i)
      xVectors[i] = add(xVectors[i], rVectors[i]);
    if (info.residualSum)
      storeVectors(info.residualSum, xVectors);
  }
  return toF32Elements(xVectors);
}

void RowKernelBuilder::emitForward() {
  // Rows past the last read nothing: the output (or residual_sum) may be
  // written over x (or the residual), which the last row's threads do while
  // a clamped row would read it (a race, harmless to the results, which
  // are not stored, but a race).
  SmallVector<Value> x = loadInputElements(/*maskRows=*/true);

  // Statistics. Out-of-row vectors are zeros: they add nothing to the sums,
  // and are masked out of the centered sum of squares.
  Value invN = floatConst(1.0 / static_cast<double>(m.n));
  Value eps = floatConst(info.epsilon);
  Value mean, rstd;
  Value acc = floatConst(0.0);
  for (Value v : x)
    acc = info.centered ? add(acc, v) : add(acc, mul(v, v));
  Value total = reduceRow(acc, 0);
  if (info.centered) {
    mean = mul(total, invN);
    Value acc2 = floatConst(0.0);
    int64_t perVector = m.vectorWidth;
    for (int64_t i = 0; i < m.vectorsPerThread; ++i) {
      Value part = floatConst(0.0);
      for (int64_t k = 0; k < perVector; ++k) {
        Value d = sub(x[i * perVector + k], mean);
        part = add(part, mul(d, d));
      }
      if (Value cond = inBounds(i))
        part = arith::SelectOp::create(b, loc, cond, part, floatConst(0.0));
      acc2 = add(acc2, part);
    }
    Value var = mul(reduceRow(acc2, 1), invN);
    rstd = math::RsqrtOp::create(b, loc, add(var, eps));
  } else {
    Value meanSquare = mul(total, invN);
    rstd = math::RsqrtOp::create(b, loc, add(meanSquare, eps));
  }

  // Statistics of the row, written by its first thread.
  Value isFirst =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0));
  for (auto [dest, value] :
       {std::pair<Value, Value>{info.mean, mean}, {info.rstd, rstd}}) {
    if (!dest)
      continue;
    guarded(andCond(valid, isFirst),
            [&, dest = dest, value = value] { storeScalar(value, dest, row); });
  }

  // Epilogue: act((x - mean) * rstd * (w + offset) + b).
  SmallVector<Value> w, bias;
  if (info.weight)
    w = toF32Elements(loadVectors(info.weight));
  if (info.bias)
    bias = toF32Elements(loadVectors(info.bias));
  storeElements(info.output, [&](int64_t e) {
    Value y = x[e];
    if (mean)
      y = sub(y, mean);
    y = mul(y, rstd);
    if (info.weight)
      y = mul(y, scaleOf(w[e]));
    if (info.bias)
      y = add(y, bias[e]);
    return buildActivation(b, loc, y, info.activation);
  });
}

void RowKernelBuilder::storeElements(
    Value memref, llvm::function_ref<Value(int64_t)> element) {
  SmallVector<Value> vectors;
  VectorType type = vectorTypeOf(memref);
  for (int64_t i = 0; i < m.vectorsPerThread; ++i) {
    SmallVector<Value> elements;
    for (int64_t k = 0; k < m.vectorWidth; ++k)
      elements.push_back(element(i * m.vectorWidth + k));
    vectors.push_back(packFromF32(elements, type));
  }
  storeVectors(memref, vectors);
}

Value RowKernelBuilder::preActivationGrad(Value dy, Value xhat, Value scale,
                                          Value bias) {
  if (!info.activation || info.activation.getKind() == ActivationKind::None)
    return dy;
  Value pre = scale ? mul(xhat, scale) : xhat;
  if (bias)
    pre = add(pre, bias);
  return mul(dy, buildActivationDerivative(b, loc, pre, info.activation));
}

void RowKernelBuilder::emitBackward(SmallVector<Value> *parameterTerms) {
  // grad_input = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
  // dxhat = dpre * w' (RMSNorm: no mean(dxhat) term).
  // Rows past the last read nothing: grad_input may be dy's buffer, which
  // the last row's threads overwrite.
  SmallVector<Value> x = loadInputElements(/*maskRows=*/true);
  SmallVector<Value> dy =
      toF32Elements(loadVectors(info.gradOutput, /*maskRows=*/true));
  Value mean = info.centered ? loadScalar(info.mean, row) : Value();
  Value rstd = loadScalar(info.rstd, row);
  SmallVector<Value> w, bias;
  if (info.weight)
    w = toF32Elements(loadVectors(info.weight));
  if (info.bias)
    bias = toF32Elements(loadVectors(info.bias));

  // Out-of-row vectors load as zeros: dy = 0 adds nothing to the sums.
  SmallVector<Value> xhat, dpres, dxhat;
  Value sumDxhat = floatConst(0.0), sumDxhatXhat = floatConst(0.0);
  for (size_t e = 0; e < x.size(); ++e) {
    Value centred = mean ? sub(x[e], mean) : x[e];
    xhat.push_back(mul(centred, rstd));
    Value scale = info.weight ? scaleOf(w[e]) : Value();
    Value dpre =
        preActivationGrad(dy[e], xhat[e], scale, info.bias ? bias[e] : Value());
    dpres.push_back(dpre);
    dxhat.push_back(scale ? mul(dpre, scale) : dpre);
    if (mean)
      sumDxhat = add(sumDxhat, dxhat[e]);
    sumDxhatXhat = add(sumDxhatXhat, mul(dxhat[e], xhat[e]));
  }
  if (parameterTerms) {
    // Rows past the last loaded zeros (dpre = 0), but their clamped
    // statistics may make xhat large: their terms are zeros outright.
    SmallVector<Value> products;
    for (auto [dpre, xh] : llvm::zip_equal(dpres, xhat))
      products.push_back(mul(dpre, xh));
    for (Value term : llvm::concat<Value>(products, dpres))
      parameterTerms->push_back(
          valid ? arith::SelectOp::create(b, loc, valid, term, floatConst(0.0))
                      .getResult()
                : term);
  }
  Value invN = floatConst(1.0 / static_cast<double>(m.n));
  Value meanDxhat = mean ? mul(reduceRow(sumDxhat, 0), invN) : Value();
  Value meanDxhatXhat = mul(reduceRow(sumDxhatXhat, 1), invN);

  SmallVector<Value> extra;
  if (info.residualSumGrad)
    extra = toF32Elements(loadVectors(info.residualSumGrad, /*maskRows=*/true));
  storeElements(info.output, [&](int64_t e) {
    Value g = dxhat[e];
    if (meanDxhat)
      g = sub(g, meanDxhat);
    g = mul(rstd, sub(g, mul(xhat[e], meanDxhatXhat)));
    if (info.residualSumGrad)
      g = add(g, extra[e]);
    return g;
  });
}

void RowKernelBuilder::buildParameterGradients(Value numRows) {
  // grad_weight[c] = sum_r dpre * xhat, grad_bias[c] = sum_r dpre, a thread
  // a vector of columns (the forward's vector width).
  int64_t v = m.vectorWidth;
  auto vectorAt = [&](Value memref, Value r, Value c) -> Value {
    auto type = VectorType::get(
        {v}, cast<MemRefType>(memref.getType()).getElementType());
    return loadVector(type, memref, Value(), [&] {
      return SmallVector<Value>{r, c};
    });
  };
  auto columnOf = [&](Value first, int64_t e) -> Value {
    return e == 0 ? first
                  : arith::AddIOp::create(b, loc, first, index(e)).getResult();
  };
  ColumnReduction spec;
  spec.columnLanes = parameterColumnLanes(m.n, v);
  spec.chunks = info.parameterChunks;
  spec.columnVector = v;
  // The weights (as scales) of the thread's columns, then their biases.
  auto prologue = [&](Value c) -> SmallVector<Value> {
    SmallVector<Value> params(2 * v);
    for (int64_t e = 0; e < v; ++e) {
      if (info.weight)
        params[e] = scaleOf(loadScalar(info.weight, columnOf(c, e)));
      if (info.bias)
        params[v + e] = loadScalar(info.bias, columnOf(c, e));
    }
    return params;
  };
  auto element =
      [&](Value c, Value r,
          ArrayRef<Value> state) -> SmallVector<ColumnReduction::Pair> {
    Value x = vectorAt(info.input, r, c);
    // The residual is added in the input type, as the forward did.
    if (info.residual)
      x = arith::AddFOp::create(b, loc, x, vectorAt(info.residual, r, c));
    SmallVector<Value> xs = toF32Elements({x});
    SmallVector<Value> dys = toF32Elements({vectorAt(info.gradOutput, r, c)});
    Value mean = info.centered ? loadScalar(info.mean, r) : Value();
    Value rstd = loadScalar(info.rstd, r);
    SmallVector<ColumnReduction::Pair> pairs;
    for (int64_t e = 0; e < v; ++e) {
      Value xhat = mul(mean ? sub(xs[e], mean) : xs[e], rstd);
      Value dpre = preActivationGrad(dys[e], xhat, state[e], state[v + e]);
      pairs.push_back({mul(dpre, xhat), dpre});
    }
    return pairs;
  };
  auto finalize = [&](Value c, ColumnReduction::Pair sums) {
    storeParameterGradients(c, sums);
  };
  spec.prologue = prologue;
  spec.element = element;
  spec.finalize = finalize;
  Value token = startChain(b, loc);
  token = buildColumnReduction(b, loc, spec, index(m.n), numRows, token);
  waitForChain(b, loc, token);
}

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// `memref` with its first `numLeading` dimensions collapsed into one and the
/// rest into another ([rows, n]); with `numLeading` == rank, into [rows].
static Value collapseRows(OpBuilder &b, Location loc, Value memref,
                          int64_t numLeading) {
  int64_t rank = cast<MemRefType>(memref.getType()).getRank();
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < std::min(numLeading, rank); ++d)
    groups[0].push_back(d);
  if (numLeading < rank) {
    groups.emplace_back();
    for (int64_t d = numLeading; d < rank; ++d)
      groups[1].push_back(d);
  } else {
    // Statistics: [rows..., 1, ..., 1] -> [rows].
    groups[0].clear();
    for (int64_t d = 0; d < rank; ++d)
      groups[0].push_back(d);
  }
  if (static_cast<int64_t>(groups.size()) == rank)
    return memref;
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

namespace {

/// Rewrites a layer_norm or rms_norm (OpTy) into a gpu.launch.
template <typename OpTy> struct RowNormToGPUPattern : OpRewritePattern<OpTy> {
  RowNormToGPUPattern(MLIRContext *ctx, const NormToGPUOptions &options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    RowNormInfo info;
    std::string reason;
    LogicalResult analyzed = analyzeRowNorm(op, options, info, reason);
    return rewriteIntoKernels(
        rewriter, op, analyzed, reason, info.materializations, [&] {
          Location loc = op.getLoc();
          RowNormInfo collapsed = info;
          int64_t lead = info.numLeadingDims;
          for (Value *v : {&collapsed.input, &collapsed.residual,
                           &collapsed.output, &collapsed.residualSum,
                           &collapsed.gradOutput, &collapsed.residualSumGrad})
            if (*v)
              *v = collapseRows(rewriter, loc, *v, lead);
          for (Value *v : {&collapsed.mean, &collapsed.rstd})
            if (*v)
              *v = collapseRows(rewriter, loc, *v,
                                cast<MemRefType>(v->getType()).getRank());
          collapseToVectors(rewriter, loc,
                            {&collapsed.weight, &collapsed.bias,
                             &collapsed.gradWeight, &collapsed.gradBias});
          Value numRows =
              memref::DimOp::create(rewriter, loc, collapsed.input, 0);
          RowKernelBuilder(rewriter, loc, collapsed).build(numRows);
        });
  }

  NormToGPUOptions options;
};

struct ConvertNormToGPUPass
    : norm::impl::ConvertNormToGPUPassBase<ConvertNormToGPUPass> {
  using Base::Base;

  /// Rejects grid options out of range (the grids multiply them), and with
  /// 32-bit kernel indices, the norm ops with a static operand or result
  /// too large to index (the lowered kernels would wrap).
  LogicalResult checkOptions() {
    auto outOfRange = [&](StringRef name, int64_t value, int64_t max) {
      return getOperation()->emitError()
             << "convert-norm-to-gpu: " << name << " must be between 1 and "
             << max << ", not " << value;
    };
    if (numSMs < 1 || numSMs > 4096)
      return outOfRange("num-sms", numSMs, 4096);
    if (blocksPerSM < 1 || blocksPerSM > 64)
      return outOfRange("blocks-per-sm", blocksPerSM, 64);
    if (columnBlocksPerSM < 1 || columnBlocksPerSM > 64)
      return outOfRange("column-blocks-per-sm", columnBlocksPerSM, 64);
    if (indexBitwidth != 32 && indexBitwidth != 64)
      return getOperation()->emitError()
             << "index-bitwidth must be 32 or 64, not "
             << indexBitwidth.getValue();
    if (indexBitwidth == 64)
      return success();
    // Headroom over the largest offset for the loop bounds past it.
    constexpr int64_t kMaxElements = int64_t(1) << 30;
    WalkResult result = getOperation()->walk([&](Operation *op) {
      if (!isa<NormDialect>(op->getDialect()))
        return WalkResult::advance();
      for (Value value :
           llvm::concat<Value>(op->getOperands(), op->getResults())) {
        auto type = dyn_cast<ShapedType>(value.getType());
        if (!type || !type.hasStaticShape() ||
            type.getNumElements() <= kMaxElements)
          continue;
        op->emitOpError() << "has " << type.getNumElements() << " elements in "
                          << type
                          << ", more than the 2^30 that 32-bit kernel "
                             "indices allow; use index-bitwidth=64";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }

  void runOnOperation() override {
    NormToGPUOptions options;
    options.warpRowLimit = warpRowLimit;
    options.warpModeBlockSize = warpBlockSize;
    options.vectorsPerThread = vectorsPerThread;
    options.maxValuesPerThread = maxValuesPerThread;
    options.numSMs = numSMs;
    options.blocksPerSM = blocksPerSM;
    options.columnBlocksPerSM = columnBlocksPerSM;
    options.channelBlockSize = channelBlockSize;
    options.channelUnroll = channelUnroll;
    options.clusterSize = clusterSize;
    options.stageInShared = stageInShared;
    options.fuseParameterGradients = fuseParameterGradients;
    options.residentSets = residentSets;
    options.sharedMemoryPerSM = sharedMemoryPerSM;
    options.threadsPerSM = threadsPerSM;
    options.streamingStores = streamingStores;
    if (failed(checkOptions()))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateNormToGPUPatterns(patterns, options);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    // Keep the kernels' constants inside the launches (hoisted out, they
    // would become kernel arguments when outlined).
    config.enableFolding(false);
    config.enableConstantCSE(false);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns), config);

    // Explain every norm op that is left.
    bool failedAny = false;
    getOperation()->walk([&](Operation *op) {
      if (!isa<NormDialect>(op->getDialect()))
        return;
      RowNormInfo info;
      std::string reason;
      LogicalResult check =
          isChannelNormOp(op)   ? checkChannelNormToGPU(op, options, reason)
          : isChannelGradOp(op) ? checkChannelGradToGPU(op, options, reason)
          : isDataNormOp(op)    ? checkDataNormToGPU(op, options, reason)
          : isa<SpectralNormOp>(op)
              ? checkSpectralNormToGPU(op, options, reason)
              : analyzeRowNorm(op, options, info, reason);
      bool supported = succeeded(check);
      if (supported)
        reason = "its destinations are not available where it is "
                 "materialized";
      op->emitOpError() << "has no GPU kernel: " << reason;
      failedAny = true;
    });
    if (failedAny)
      signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormToGPUPatterns(RewritePatternSet &patterns,
                                           const NormToGPUOptions &options) {
  patterns.add<RowNormToGPUPattern<LayerNormOp>, RowNormToGPUPattern<RMSNormOp>,
               RowNormToGPUPattern<LayerNormGradOp>,
               RowNormToGPUPattern<RMSNormGradOp>>(patterns.getContext(),
                                                   options);
  populateChannelNormToGPUPatterns(patterns, options);
  populateChannelGradToGPUPatterns(patterns, options);
  populateDataNormToGPUPatterns(patterns, options);
  populateSpectralNormToGPUPatterns(patterns, options);
}
