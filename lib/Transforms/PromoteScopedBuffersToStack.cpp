//===- PromoteScopedBuffersToStack.cpp - Small run-time buffers on stack --===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-promote-scoped-buffers-to-stack: a heap buffer of run-time size that
// lives and dies in one iteration of a loop body with an allocation scope
// (the OpenMP lowering's memref.alloca_scope around each row tile) is
// allocated on the stack when its size, checked at run time, is small: an
// scf.if picks memref.alloca or memref.alloc, and only the latter is freed.
// Upstream's promote-buffers-to-stack takes static sizes only, so with the
// channels dynamic a group norm tile allocated and freed its three
// per-channel parameter buffers (160 bytes each) with malloc and free.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Transforms/BufferViewFlowAnalysis.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/CallInterfaces.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMPROMOTESCOPEDBUFFERSTOSTACKPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The one deallocation of `alloc`, in its block after it; null if there is
/// another or none.
static memref::DeallocOp getOnlyDealloc(memref::AllocOp alloc) {
  memref::DeallocOp dealloc;
  for (Operation *user : alloc->getUsers()) {
    auto candidate = dyn_cast<memref::DeallocOp>(user);
    if (!candidate)
      continue;
    if (dealloc || candidate->getBlock() != alloc->getBlock() ||
        !alloc->isBeforeInBlock(candidate))
      return nullptr;
    dealloc = candidate;
  }
  return dealloc;
}

/// Whether no view of `alloc` leaves `scope`: every use of every memref
/// alias lies inside it, none is a call (which might keep the pointer), an
/// `unrealized_conversion_cast` or the scope's own result. (The buffer is
/// freed unconditionally in the scope already, so a later use would be one
/// after free in the input too; this keeps the rewrite to plain cases.)
static bool staysInScope(memref::AllocOp alloc, memref::AllocaScopeOp scope,
                         BufferViewFlowAnalysis &aliases) {
  for (Value alias : aliases.resolve(alloc.getResult())) {
    for (OpOperand &use : alias.getUses()) {
      Operation *user = use.getOwner();
      if (!scope->isProperAncestor(user) || isa<CallOpInterface>(user) ||
          isa<UnrealizedConversionCastOp>(user) ||
          (isa<memref::AllocaScopeReturnOp>(user) &&
           user->getParentOp() == scope))
        return false;
    }
  }
  return true;
}

/// The largest `max-bytes` taken: two values of at most 2^31 multiply
/// without wrapping in 64 bits.
static constexpr int64_t kMaxLimit = int64_t(1) << 31;

/// The bytes of the static sizes of `type` times its element size (rounded
/// up to a power of two, as LLVM allocates i24 or f80); nullopt where the
/// product overflows.
static std::optional<int64_t> getStaticBytes(MemRefType type) {
  int64_t bytes = llvm::PowerOf2Ceil(
      llvm::divideCeil(type.getElementType().getIntOrFloatBitWidth(), 8));
  for (int64_t size : type.getShape())
    if (!ShapedType::isDynamic(size) && llvm::MulOverflow(bytes, size, bytes))
      return std::nullopt;
  return bytes;
}

/// Replaces `alloc` (with its `dealloc`) by the alloca of its sizes where
/// they hold at most `maxBytes` (<= kMaxLimit) and `staticBytes` with the
/// static ones, and by the same alloc elsewhere, freed then only.
static void promote(memref::AllocOp alloc, memref::DeallocOp dealloc,
                    int64_t staticBytes, int64_t maxBytes) {
  MemRefType type = alloc.getType();
  Location loc = alloc.getLoc();
  OpBuilder b(alloc);
  // The product checked after each factor: both factors are at most the
  // limit, so no step wraps.
  Value limit = arith::ConstantIndexOp::create(b, loc, maxBytes);
  Value bytes = arith::ConstantIndexOp::create(b, loc, staticBytes);
  Value small;
  auto requireAtMostLimit = [&](Value value) {
    Value bounded =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, value, limit);
    small = small ? arith::AndIOp::create(b, loc, small, bounded) : bounded;
  };
  for (Value size : alloc.getDynamicSizes()) {
    requireAtMostLimit(size);
    bytes = arith::MulIOp::create(b, loc, bytes, size);
    requireAtMostLimit(bytes);
  }

  auto choice = scf::IfOp::create(b, loc, TypeRange{type}, small,
                                  /*withElseRegion=*/true);
  b.setInsertionPointToStart(choice.thenBlock());
  auto alloca = memref::AllocaOp::create(b, loc, type, alloc.getDynamicSizes(),
                                         alloc.getSymbolOperands(),
                                         alloc.getAlignmentAttr());
  scf::YieldOp::create(b, loc, alloca.getResult());
  b.setInsertionPointToStart(choice.elseBlock());
  Operation *heap = b.clone(*alloc);
  scf::YieldOp::create(b, loc, heap->getResults());
  alloc.getResult().replaceAllUsesWith(choice.getResult(0));
  alloc->erase();

  // Freed in the heap branch only.
  b.setInsertionPoint(dealloc);
  auto freeIf = scf::IfOp::create(b, loc, small, /*withElseRegion=*/true);
  dealloc->moveBefore(freeIf.elseBlock()->getTerminator());
}

namespace {
struct PromoteScopedBuffersToStackPass
    : public norm::impl::NormPromoteScopedBuffersToStackPassBase<
          PromoteScopedBuffersToStackPass> {
  using Base::Base;

  void runOnOperation() override {
    if (maxBytes <= 0 || maxScopeBytes <= 0)
      return;
    int64_t limit = std::min<int64_t>(maxBytes, kMaxLimit);
    BufferViewFlowAnalysis aliases(getOperation());
    // Per scope, the stack its promoted buffers may take at most.
    DenseMap<Operation *, int64_t> scopeBytes;
    SmallVector<std::tuple<memref::AllocOp, memref::DeallocOp, int64_t>>
        candidates;
    getOperation().walk([&](memref::AllocOp alloc) {
      auto scope = dyn_cast<memref::AllocaScopeOp>(alloc->getParentOp());
      MemRefType type = alloc.getType();
      if (!scope || alloc.getDynamicSizes().empty() || type.getMemorySpace() ||
          !type.getLayout().isIdentity() ||
          !type.getElementType().isIntOrFloat())
        return;
      // Static sizes alone over the limit: never small.
      std::optional<int64_t> staticBytes = getStaticBytes(type);
      if (!staticBytes || *staticBytes > limit ||
          scopeBytes[scope] + limit > maxScopeBytes)
        return;
      memref::DeallocOp dealloc = getOnlyDealloc(alloc);
      if (!dealloc || !staysInScope(alloc, scope, aliases))
        return;
      scopeBytes[scope] += limit;
      candidates.push_back({alloc, dealloc, *staticBytes});
    });
    for (auto [alloc, dealloc, staticBytes] : candidates)
      promote(alloc, dealloc, staticBytes, limit);
  }
};
} // namespace
