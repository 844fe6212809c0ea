//===- KernelUtils.cpp - Helpers shared by the NormToGPU kernels ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"

#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SetVector.h"

#include <limits>

using namespace mlir;
using namespace mlir::norm;
using namespace mlir::norm::gpu_kernels;

//===----------------------------------------------------------------------===//
// Analysis
//===----------------------------------------------------------------------===//

bool gpu_kernels::isSupportedFloat(Type type) {
  return type.isF32() || type.isF16() || type.isBF16();
}

bool gpu_kernels::isPlainMemRef(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity() && !memref.getMemorySpace();
}

/// Whether `memref`, or a memref.cast of it, is registered with the GPU
/// (`gpu.host_register`: page-locked and mapped, so kernels may read it).
static bool isRegisteredWithGPU(Value memref) {
  for (Operation *user : memref.getUsers()) {
    if (isa<gpu::HostRegisterOp>(user))
      return true;
    if (auto cast = dyn_cast<memref::CastOp>(user);
        cast && isRegisteredWithGPU(cast.getResult()))
      return true;
  }
  return false;
}

/// The host allocation (memref.alloc, alloca, realloc or get_global) that
/// `memref` is, or is a view of, unless it is registered with the GPU; null
/// when there is none (a function argument, a gpu.alloc).
static Operation *findHostAllocation(Value memref) {
  while (Operation *def = memref.getDefiningOp()) {
    if (isa<memref::AllocOp, memref::AllocaOp, memref::ReallocOp,
            memref::GetGlobalOp>(def))
      return isRegisteredWithGPU(def->getResult(0)) ? nullptr : def;
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view)
      return nullptr;
    memref = view.getViewSource();
  }
  return nullptr;
}

/// Fails with `reason` when `memref` is host memory: the kernels would be
/// given a host pointer.
static LogicalResult checkDeviceMemory(Value memref, StringRef role,
                                       std::string &reason) {
  Operation *host = findHostAllocation(memref);
  if (!host)
    return success();
  reason =
      (Twine(role) + " is host memory (`" + host->getName().getStringRef() +
       "`); the kernels read and write device memory: pass it as a "
       "function argument, allocate it with `gpu.alloc` or register it "
       "with `gpu.host_register`")
          .str();
  return failure();
}

LogicalResult
gpu_kernels::getMemRefs(ArrayRef<std::pair<Value, Value *>> operands,
                        ArrayRef<std::pair<Value, Value *>> results,
                        SmallVectorImpl<Operation *> &materializations,
                        std::string &reason) {
  for (auto [tensor, buffer] : operands) {
    if (!tensor)
      continue;
    auto toTensor = tensor.getDefiningOp<bufferization::ToTensorOp>();
    if (!toTensor || !isPlainMemRef(toTensor.getBuffer().getType())) {
      reason = "operands must be `bufferization.to_tensor` of identity-layout "
               "memrefs";
      return failure();
    }
    *buffer = toTensor.getBuffer();
    if (failed(checkDeviceMemory(*buffer, "an operand", reason)))
      return failure();
  }
  for (auto [result, dest] : results) {
    *dest = Value();
    if (!result || result.use_empty())
      continue;
    auto materialize = dyn_cast<bufferization::MaterializeInDestinationOp>(
        *result.user_begin());
    if (!result.hasOneUse() || !materialize ||
        materialize.getSource() != result ||
        !isPlainMemRef(materialize.getDest().getType())) {
      reason = "each used result must be written to an identity-layout "
               "memref by one `bufferization.materialize_in_destination`";
      return failure();
    }
    if (failed(
            checkDeviceMemory(materialize.getDest(), "a destination", reason)))
      return failure();
    materializations.push_back(materialize);
    *dest = materialize.getDest();
  }
  if (results.empty() || !*results.front().second) {
    reason = "the output must be written to a destination memref";
    return failure();
  }
  return success();
}

int64_t gpu_kernels::vectorWidthFor(int64_t n, unsigned elementBits) {
  int64_t width = 128 / elementBits;
  while (width > 1 && n % width != 0)
    width /= 2;
  return width;
}

//===----------------------------------------------------------------------===//
// Rewriting
//===----------------------------------------------------------------------===//

FailureOr<Operation *>
gpu_kernels::getKernelInsertionPoint(PatternRewriter &rewriter, Operation *op,
                                     ArrayRef<Operation *> materializations) {
  Operation *first = materializations.front();
  for (Operation *mat : materializations)
    if (mat->getBlock() == first->getBlock() && mat->isBeforeInBlock(first))
      first = mat;
  DominanceInfo dominance(op->getParentOfType<FunctionOpInterface>());
  for (Operation *mat : materializations) {
    Value dest = cast<bufferization::MaterializeInDestinationOp>(mat).getDest();
    if (mat->getBlock() != first->getBlock() ||
        !dominance.properlyDominates(dest, first))
      return rewriter.notifyMatchFailure(
          op, "destinations must be defined before the results are "
              "materialized, in one block");
  }
  return first;
}

void gpu_kernels::eraseLoweredOp(PatternRewriter &rewriter, Operation *op,
                                 ArrayRef<Operation *> materializations) {
  llvm::SetVector<Operation *> toTensors;
  for (Value operand : op->getOperands())
    if (auto toTensor = operand.getDefiningOp<bufferization::ToTensorOp>())
      toTensors.insert(toTensor);
  for (Operation *mat : materializations)
    rewriter.eraseOp(mat);
  rewriter.eraseOp(op);
  for (Operation *toTensor : toTensors)
    if (toTensor->use_empty())
      rewriter.eraseOp(toTensor);
}

Value gpu_kernels::collapseToVector(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  int64_t rank = type.getRank();
  if (rank == 1)
    return memref;
  if (rank == 0)
    return memref::ExpandShapeOp::create(
        b, loc, MemRefType::get({1}, type.getElementType()), memref,
        ArrayRef<ReassociationIndices>{},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < rank; ++d)
    groups[0].push_back(d);
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

void gpu_kernels::collapseToVectors(OpBuilder &b, Location loc,
                                    ArrayRef<Value *> memrefs) {
  for (Value *memref : memrefs)
    if (*memref)
      *memref = collapseToVector(b, loc, *memref);
}

LogicalResult gpu_kernels::rewriteIntoKernels(
    PatternRewriter &rewriter, Operation *op, LogicalResult analyzed,
    const std::string &reason, ArrayRef<Operation *> materializations,
    llvm::function_ref<void()> build) {
  if (failed(analyzed))
    return rewriter.notifyMatchFailure(op, reason);
  // The kernels run where the first result is materialized.
  FailureOr<Operation *> first =
      getKernelInsertionPoint(rewriter, op, materializations);
  if (failed(first))
    return failure();
  rewriter.setInsertionPoint(*first);
  build();
  // The results now live in their destinations.
  eraseLoweredOp(rewriter, op, materializations);
  return success();
}

Value gpu_kernels::startChain(OpBuilder &b, Location loc) {
  return gpu::WaitOp::create(b, loc, gpu::AsyncTokenType::get(b.getContext()),
                             ValueRange{})
      .getAsyncToken();
}

void gpu_kernels::waitForChain(OpBuilder &b, Location loc, Value token) {
  gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
}

Value gpu_kernels::allocInChain(OpBuilder &b, Location loc, MemRefType type,
                                Value &token, ValueRange dynamicSizes) {
  auto alloc =
      gpu::AllocOp::create(b, loc, type, token.getType(), ValueRange{token},
                           dynamicSizes, ValueRange{});
  token = alloc.getAsyncToken();
  return alloc.getMemref();
}

void gpu_kernels::deallocInChain(OpBuilder &b, Location loc, Value memref,
                                 Value &token) {
  token =
      gpu::DeallocOp::create(b, loc, token.getType(), ValueRange{token}, memref)
          .getAsyncToken();
}

MemRefType gpu_kernels::getWorkgroupBufferType(MLIRContext *ctx, int64_t size,
                                               Type elementType) {
  return MemRefType::get(
      {size}, elementType ? elementType : Float32Type::get(ctx),
      MemRefLayoutAttrInterface(),
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup));
}

//===----------------------------------------------------------------------===//
// KernelBuilderBase
//===----------------------------------------------------------------------===//

Value KernelBuilderBase::index(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value KernelBuilderBase::floatConst(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value KernelBuilderBase::toF32(Value v) { return castFloat(b, loc, v, f32); }

Value KernelBuilderBase::fromF32(Value v, Type type) {
  return castFloat(b, loc, v, type);
}

Value KernelBuilderBase::add(Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}

Value KernelBuilderBase::mul(Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}

Value KernelBuilderBase::sub(Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}

Value KernelBuilderBase::andCond(Value lhs, Value rhs) {
  if (!lhs)
    return rhs;
  if (!rhs)
    return lhs;
  return arith::AndIOp::create(b, loc, lhs, rhs);
}

void KernelBuilderBase::guarded(Value cond, llvm::function_ref<void()> body) {
  if (!cond) {
    body();
    return;
  }
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
  body();
}

Value KernelBuilderBase::loadScalar(Value memref, Value idx) {
  return toF32(memref::LoadOp::create(b, loc, memref, ValueRange{idx}));
}

void KernelBuilderBase::storeScalar(Value v, Value memref, Value idx) {
  Type type = cast<MemRefType>(memref.getType()).getElementType();
  memref::StoreOp::create(b, loc, fromF32(v, type), memref, ValueRange{idx});
}

/// The alignment of a vector access of `type`: its size, at most 16 bytes
/// (what callers guarantee). A wider vector (8 x f32 of a weight beside
/// 8 x f16 of the input) claiming 32 would become one 32-byte access on
/// sm_100, misaligned for a 16-byte aligned buffer.
static llvm::MaybeAlign alignmentOf(VectorType type) {
  return llvm::MaybeAlign(std::min<int64_t>(
      16, type.getNumElements() * type.getElementTypeBitWidth() / 8));
}

Value KernelBuilderBase::loadVector(
    VectorType type, Value memref, Value valid,
    llvm::function_ref<SmallVector<Value>()> indices) {
  auto load = [&]() -> Value {
    return vector::LoadOp::create(b, loc, type, memref, indices(),
                                  /*nontemporal=*/false, alignmentOf(type));
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
      DenseElementsAttr::get(type, b.getZeroAttr(type.getElementType())));
  scf::YieldOp::create(b, loc, zero);
  return ifOp.getResult(0);
}

void KernelBuilderBase::storeVector(Value vector, Value memref,
                                    ValueRange indices, bool nontemporal) {
  auto type = cast<VectorType>(vector.getType());
  vector::StoreOp::create(b, loc, vector, memref, indices, nontemporal,
                          alignmentOf(type));
}

Value KernelBuilderBase::widenToF32(Value vector) {
  auto type = cast<VectorType>(vector.getType());
  if (type.getElementType() == f32)
    return vector;
  return arith::ExtFOp::create(b, loc, type.clone(f32), vector);
}

Value KernelBuilderBase::packFromF32(ArrayRef<Value> elements,
                                     VectorType type) {
  Value vector = vector::FromElementsOp::create(
      b, loc, VectorType::get({type.getNumElements()}, f32), elements);
  if (type.getElementType() == f32)
    return vector;
  return arith::TruncFOp::create(b, loc, type, vector);
}

SmallVector<Value> KernelBuilderBase::toF32Elements(ArrayRef<Value> vectors) {
  SmallVector<Value> elements;
  for (Value vector : vectors) {
    Value wide = widenToF32(vector);
    for (int64_t k = 0, e = cast<VectorType>(vector.getType()).getNumElements();
         k < e; ++k)
      elements.push_back(
          vector::ExtractOp::create(b, loc, wide, ArrayRef<int64_t>{k}));
  }
  return elements;
}

Value KernelBuilderBase::sumWarp(Value v, int64_t width) {
  for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
    auto shuffle = gpu::ShuffleOp::create(b, loc, v, offset, /*width=*/32,
                                          gpu::ShuffleMode::XOR);
    v = add(v, shuffle.getShuffleResult());
  }
  return v;
}

Value KernelBuilderBase::itemOfThread(gpu::LaunchOp launch) {
  return arith::AddIOp::create(b, loc,
                               arith::MulIOp::create(b, loc,
                                                     launch.getBlockIds().x,
                                                     index(kItemBlockSize)),
                               launch.getThreadIds().x);
}

Value KernelBuilderBase::launchForEachItem(
    int64_t count, Value dependency, llvm::function_ref<void(Value item)> body,
    llvm::function_ref<void()> prologue) {
  int64_t perBlock = kItemBlockSize * kItemsPerThread;
  Value one = index(1);
  OpBuilder::InsertionGuard guard(b);
  gpu::LaunchOp launch =
      createLaunch(one, index(llvm::divideCeil(count, perBlock)), one,
                   index(kItemBlockSize), dependency, {});
  Value base = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc, launch.getBlockIds().x, index(perBlock)),
      launch.getThreadIds().x);
  if (prologue)
    prologue();
  for (int64_t k = 0; k < kItemsPerThread; ++k) {
    Value item = arith::AddIOp::create(b, loc, base, index(k * kItemBlockSize));
    Value valid = count % perBlock == 0
                      ? Value()
                      : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                              item, index(count))
                            .getResult();
    guarded(valid, [&] { body(item); });
  }
  return launch.getAsyncToken();
}

gpu::LaunchOp KernelBuilderBase::createLaunch(
    Value one, Value gridX, Value gridY, Value blockX, Value dependency,
    TypeRange workgroup, Value clusterY, Value dynamicSharedBytes) {
  Type tokenType;
  SmallVector<Value, 1> dependencies;
  if (dependency) {
    tokenType = gpu::AsyncTokenType::get(b.getContext());
    dependencies.push_back(dependency);
  }
  auto launch = gpu::LaunchOp::create(
      b, loc, gridX, gridY, one, blockX, one, one, dynamicSharedBytes,
      tokenType, dependencies, workgroup,
      /*privateAttributions=*/{}, clusterY ? one : Value(), clusterY,
      clusterY ? one : Value());
  Block &body = launch.getBody().front();
  // LLVM 22's builder gives the body the 12 block/thread id and size
  // arguments only; a launch with clusters also has the cluster ids and
  // sizes (arguments 12 to 17), before the attributions.
  if (clusterY && body.getNumArguments() <
                      launch.getNumConfigRegionAttributes() + workgroup.size())
    for (unsigned i = 0; i < 6; ++i)
      body.insertArgument(gpu::LaunchOp::kNumConfigRegionAttributes + i,
                          b.getIndexType(), loc);
  if (body.empty() || !isa<gpu::TerminatorOp>(body.back())) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(&body);
    gpu::TerminatorOp::create(b, loc);
  }
  b.setInsertionPoint(body.getTerminator());
  return launch;
}

//===----------------------------------------------------------------------===//
// Column reductions
//===----------------------------------------------------------------------===//

namespace {

class ColumnReductionBuilder : KernelBuilderBase {
public:
  using Pair = ColumnReduction::Pair;

  ColumnReductionBuilder(OpBuilder &b, Location loc,
                         const ColumnReduction &spec)
      : KernelBuilderBase(b, loc), spec(spec) {}

  Value build(Value columns, Value rows, Value token);

private:
  Pair identity() {
    if (!spec.minMax)
      return {floatConst(0.0), floatConst(0.0)};
    double inf = std::numeric_limits<double>::infinity();
    return {floatConst(inf), floatConst(-inf)};
  }
  Pair combine(Pair a, Pair x) {
    if (!spec.minMax)
      return {add(a.first, x.first), add(a.second, x.second)};
    return {arith::MinimumFOp::create(b, loc, a.first, x.first),
            arith::MaximumFOp::create(b, loc, a.second, x.second)};
  }
  /// Index of the pair half `k` of chunk `chunk`, column `column` in the
  /// workspace.
  Value workspaceIndex(int64_t k, Value chunk, Value column, Value columns) {
    Value row = arith::AddIOp::create(b, loc, index(k * spec.chunks), chunk);
    return arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, row, columns), column);
  }
  void buildPartials(Value workspace, Value columns, Value rows, Value &token);
  void buildFinalize(Value workspace, Value columns, Value &token);

  const ColumnReduction &spec;
};

} // namespace

void ColumnReductionBuilder::buildPartials(Value workspace, Value columns,
                                           Value rows, Value &token) {
  int64_t cl = spec.columnLanes, rl = kItemBlockSize / cl;
  int64_t cv = spec.columnVector, rv = spec.rowVector;
  Value one = index(1);
  // A shared-memory slot per thread and column of its group: column k of
  // thread t at k * 256 + t, so that a warp's accesses are consecutive.
  Type bufferType = getWorkgroupBufferType(b.getContext(), kItemBlockSize * cv);
  Value groups =
      cv == 1 ? columns : arith::DivUIOp::create(b, loc, columns, index(cv));
  Value tiles = arith::CeilDivUIOp::create(b, loc, groups, index(cl));
  OpBuilder::InsertionGuard guard(b);
  gpu::LaunchOp launch =
      createLaunch(one, tiles, index(spec.chunks), index(kItemBlockSize), token,
                   {bufferType, bufferType});
  token = launch.getAsyncToken();
  Value tid = launch.getThreadIds().x;
  Value tile = launch.getBlockIds().x, chunk = launch.getBlockIds().y;
  Value shared0 = launch.getWorkgroupAttributions()[0];
  Value shared1 = launch.getWorkgroupAttributions()[1];

  Value columnLane = arith::RemUIOp::create(b, loc, tid, index(cl));
  Value rowLane = arith::DivUIOp::create(b, loc, tid, index(cl));
  Value group = arith::AddIOp::create(
      b, loc, arith::MulIOp::create(b, loc, tile, index(cl)), columnLane);
  Value valid =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, group, groups);
  // Threads past the last group read it (in bounds) and loop not at all.
  Value clamped = arith::MinUIOp::create(
      b, loc, group, arith::SubIOp::create(b, loc, groups, one));
  Value firstColumn = arith::MulIOp::create(b, loc, clamped, index(cv));
  // Chunks of whole row vectors (rows is a multiple of rowVector).
  Value chunkLen = arith::CeilDivUIOp::create(b, loc, rows, index(spec.chunks));
  if (rv > 1)
    chunkLen = arith::MulIOp::create(
        b, loc, arith::CeilDivUIOp::create(b, loc, chunkLen, index(rv)),
        index(rv));
  Value start = arith::MulIOp::create(b, loc, chunk, chunkLen);
  Value end = arith::MinUIOp::create(
      b, loc, arith::AddIOp::create(b, loc, start, chunkLen), rows);
  end = arith::SelectOp::create(b, loc, valid, end, start);
  Value first = arith::AddIOp::create(
      b, loc, start, arith::MulIOp::create(b, loc, rowLane, index(rv)));
  SmallVector<Value> state = spec.prologue(firstColumn);

  Pair init = identity();
  SmallVector<Value> inits;
  for (int64_t k = 0; k < cv; ++k)
    inits.append({init.first, init.second});
  auto loop = scf::ForOp::create(b, loc, first, end, index(rl * rv), inits);
  {
    OpBuilder::InsertionGuard loopGuard(b);
    b.setInsertionPointToStart(loop.getBody());
    ValueRange accs = loop.getRegionIterArgs();
    SmallVector<Pair> values =
        spec.element(firstColumn, loop.getInductionVar(), state);
    assert(static_cast<int64_t>(values.size()) == rv * cv &&
           "a pair per element of the row and column vectors");
    SmallVector<Value> next;
    for (int64_t k = 0; k < cv; ++k) {
      Pair acc = {accs[2 * k], accs[2 * k + 1]};
      for (int64_t j = 0; j < rv; ++j)
        acc = combine(acc, values[j * cv + k]);
      next.append({acc.first, acc.second});
    }
    scf::YieldOp::create(b, loc, next);
  }
  auto slot = [&](int64_t k, Value thread) -> Value {
    return k == 0 ? thread
                  : arith::AddIOp::create(b, loc, thread,
                                          index(k * kItemBlockSize))
                        .getResult();
  };
  for (int64_t k = 0; k < cv; ++k) {
    memref::StoreOp::create(b, loc, loop.getResult(2 * k), shared0,
                            slot(k, tid));
    memref::StoreOp::create(b, loc, loop.getResult(2 * k + 1), shared1,
                            slot(k, tid));
  }
  // Tree over the row lanes: at step s, lanes [0, s) merge lanes [s, 2s).
  for (int64_t step = rl / 2; step >= 1; step /= 2) {
    gpu::BarrierOp::create(b, loc);
    Value active = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                         rowLane, index(step));
    guarded(active, [&] {
      Value other = arith::AddIOp::create(b, loc, tid, index(step * cl));
      for (int64_t k = 0; k < cv; ++k) {
        Value mine = slot(k, tid), theirs = slot(k, other);
        Pair merged =
            combine({memref::LoadOp::create(b, loc, shared0, mine),
                     memref::LoadOp::create(b, loc, shared1, mine)},
                    {memref::LoadOp::create(b, loc, shared0, theirs),
                     memref::LoadOp::create(b, loc, shared1, theirs)});
        memref::StoreOp::create(b, loc, merged.first, shared0, mine);
        memref::StoreOp::create(b, loc, merged.second, shared1, mine);
      }
    });
  }
  // Row lane 0 wrote the block's result itself: no barrier before reading.
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        rowLane, index(0));
  guarded(andCond(valid, isFirst), [&] {
    for (int64_t k = 0; k < cv; ++k) {
      Value column = k == 0
                         ? firstColumn
                         : arith::AddIOp::create(b, loc, firstColumn, index(k))
                               .getResult();
      for (auto [half, buffer] : llvm::enumerate(ValueRange{shared0, shared1}))
        memref::StoreOp::create(
            b, loc, memref::LoadOp::create(b, loc, buffer, slot(k, tid)),
            workspace,
            workspaceIndex(static_cast<int64_t>(half), chunk, column, columns));
    }
  });
}

void ColumnReductionBuilder::buildFinalize(Value workspace, Value columns,
                                           Value &token) {
  Value one = index(1);
  Value blocks =
      arith::CeilDivUIOp::create(b, loc, columns, index(kItemBlockSize));
  OpBuilder::InsertionGuard guard(b);
  gpu::LaunchOp launch =
      createLaunch(one, blocks, one, index(kItemBlockSize), token, {});
  token = launch.getAsyncToken();
  Value column = itemOfThread(launch);
  Value valid =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, column, columns);
  guarded(valid, [&] {
    Pair init = identity();
    auto loop = scf::ForOp::create(b, loc, index(0), index(spec.chunks), one,
                                   ValueRange{init.first, init.second});
    {
      OpBuilder::InsertionGuard loopGuard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value chunk = loop.getInductionVar();
      Pair partial = {
          memref::LoadOp::create(b, loc, workspace,
                                 workspaceIndex(0, chunk, column, columns)),
          memref::LoadOp::create(b, loc, workspace,
                                 workspaceIndex(1, chunk, column, columns))};
      Pair acc = combine(
          {loop.getRegionIterArgs()[0], loop.getRegionIterArgs()[1]}, partial);
      scf::YieldOp::create(b, loc, ValueRange{acc.first, acc.second});
    }
    spec.finalize(column, {loop.getResult(0), loop.getResult(1)});
  });
}

Value ColumnReductionBuilder::build(Value columns, Value rows, Value token) {
  // A remainder would go unreduced (and its finalize read unwritten
  // partials): the callers take the widths from divisors.
  assert(getConstantIntValue(columns).value_or(0) % spec.columnVector == 0 &&
         "columns must be a multiple of columnVector");
  assert(getConstantIntValue(rows).value_or(0) % spec.rowVector == 0 &&
         "rows must be a multiple of rowVector");
  Value size = arith::MulIOp::create(b, loc, columns, index(2 * spec.chunks));
  Value workspace =
      allocInChain(b, loc, MemRefType::get({ShapedType::kDynamic}, f32), token,
                   ValueRange{size});
  buildPartials(workspace, columns, rows, token);
  buildFinalize(workspace, columns, token);
  deallocInChain(b, loc, workspace, token);
  return token;
}

Value gpu_kernels::buildColumnReduction(OpBuilder &b, Location loc,
                                        const ColumnReduction &spec,
                                        Value columns, Value rows,
                                        Value token) {
  return ColumnReductionBuilder(b, loc, spec).build(columns, rows, token);
}
