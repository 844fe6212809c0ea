//===- KernelUtils.cpp - Helpers shared by the NormToGPU kernels ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "KernelUtils.h"

#include "norm/Dialect/Norm/Utils/FloatUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"

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
  int64_t rank = cast<MemRefType>(memref.getType()).getRank();
  if (rank == 1)
    return memref;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < rank; ++d)
    groups[0].push_back(d);
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
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
      DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), 0.0)));
  scf::YieldOp::create(b, loc, zero);
  return ifOp.getResult(0);
}

void KernelBuilderBase::storeVector(Value vector, Value memref,
                                    ValueRange indices) {
  auto type = cast<VectorType>(vector.getType());
  vector::StoreOp::create(b, loc, vector, memref, indices,
                          /*nontemporal=*/false, alignmentOf(type));
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
