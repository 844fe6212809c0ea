//===- NVVMStreamingStores.cpp - Non-temporal stores as st.cs -------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-nvvm-streaming-stores: rewrites the non-temporal llvm.store ops of
// NVVM kernels into inline PTX `st.cs` (cache streaming: the line is
// allocated evict-first in L1 and L2). LLVM 22's NVPTX backend drops the
// `!nontemporal` hint, so without this the hint has no effect on a GPU.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Builders.h"

#include <string>

namespace mlir::norm {
#define GEN_PASS_DEF_NORMNVVMSTREAMINGSTORESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Bits of `type` when it is an integer, a float or a vector of them; 0
/// otherwise.
static int64_t storedBits(Type type) {
  if (type.isIntOrFloat())
    return type.getIntOrFloatBitWidth();
  auto vector = dyn_cast<VectorType>(type);
  if (!vector || vector.isScalable() || !vector.getElementType().isIntOrFloat())
    return 0;
  return vector.getNumElements() *
         vector.getElementType().getIntOrFloatBitWidth();
}

/// Whether `a` is a proper prefix of `b`.
static bool isProperPrefix(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  return a.size() < b.size() && a == b.take_front(a.size());
}

/// Whether `pointer` is a pointer argument of an NVVM kernel, or an element
/// of one (through GEPs, and memref descriptors built from the arguments):
/// such arguments address global memory, as NVPTX assumes too. Arguments
/// passed by value (`llvm.byval`, `nvvm.grid_constant`) address the
/// parameter space, and are not.
static bool isKernelArgumentPointer(Value pointer) {
  while (true) {
    if (auto gep = pointer.getDefiningOp<LLVM::GEPOp>()) {
      pointer = gep.getBase();
      continue;
    }
    if (auto extract = pointer.getDefiningOp<LLVM::ExtractValueOp>()) {
      // The value that the insertvalue chain put at that position; an
      // insert of an enclosing or enclosed aggregate ends the search.
      ArrayRef<int64_t> position = extract.getPosition();
      auto insert = extract.getContainer().getDefiningOp<LLVM::InsertValueOp>();
      while (insert && insert.getPosition() != position) {
        if (isProperPrefix(insert.getPosition(), position) ||
            isProperPrefix(position, insert.getPosition()))
          return false;
        insert = insert.getContainer().getDefiningOp<LLVM::InsertValueOp>();
      }
      if (!insert)
        return false;
      pointer = insert.getValue();
      continue;
    }
    auto argument = dyn_cast<BlockArgument>(pointer);
    if (!argument || !argument.getOwner()->isEntryBlock())
      return false;
    auto function =
        dyn_cast<LLVM::LLVMFuncOp>(argument.getOwner()->getParentOp());
    if (!function ||
        !function->hasAttr(NVVM::NVVMDialect::getKernelFuncAttrName()))
      return false;
    unsigned index = argument.getArgNumber();
    return !function.getArgAttr(index, LLVM::LLVMDialect::getByValAttrName()) &&
           !function.getArgAttr(index,
                                NVVM::NVVMDialect::getGridConstantAttrName());
  }
}

/// Rewrites the non-temporal `store` into `st[.global].cs`, or leaves it
/// alone unless it qualifies (see the pass description).
static void rewriteStore(LLVM::StoreOp store) {
  if (store.getVolatile_() ||
      store.getOrdering() != LLVM::AtomicOrdering::not_atomic)
    return;
  auto pointerType = dyn_cast<LLVM::LLVMPointerType>(store.getAddr().getType());
  if (!pointerType)
    return;
  unsigned addressSpace = pointerType.getAddressSpace();
  auto globalSpace = static_cast<unsigned>(NVVM::NVVMMemorySpace::Global);
  bool global = addressSpace == globalSpace;
  if (addressSpace != 0 && !global)
    return;
  Value value = store.getValue();
  int64_t bits = storedBits(value.getType());
  if (bits != 16 && bits != 32 && bits != 64 && bits != 128)
    return;
  // PTX vector stores need the vector's alignment.
  if (store.getAlignment().value_or(0) < static_cast<uint64_t>(bits / 8))
    return;

  OpBuilder b(store);
  Location loc = store.getLoc();
  Value address = store.getAddr();
  if (!global && isKernelArgumentPointer(address)) {
    address = LLVM::AddrSpaceCastOp::create(
        b, loc, LLVM::LLVMPointerType::get(b.getContext(), globalSpace),
        address);
    global = true;
  }
  // The value as 16-bit ("h") or 32-bit ("r") registers.
  SmallVector<Value> operands{address};
  std::string constraints = "l";
  std::string suffix;
  if (bits == 16) {
    operands.push_back(LLVM::BitcastOp::create(b, loc, b.getI16Type(), value));
    constraints += ",h";
    suffix = ".b16";
  } else if (bits == 32) {
    operands.push_back(LLVM::BitcastOp::create(b, loc, b.getI32Type(), value));
    constraints += ",r";
    suffix = ".b32";
  } else {
    int64_t words = bits / 32;
    Value vector = LLVM::BitcastOp::create(
        b, loc, VectorType::get({words}, b.getI32Type()), value);
    for (int64_t w = 0; w < words; ++w) {
      Value position = LLVM::ConstantOp::create(b, loc, b.getI32Type(),
                                                b.getI32IntegerAttr(w));
      operands.push_back(
          LLVM::ExtractElementOp::create(b, loc, vector, position));
      constraints += ",r";
    }
    suffix = words == 2 ? ".v2.b32" : ".v4.b32";
  }
  // The stored registers: "$1" or "{$1, $2, ...}".
  std::string registers;
  for (size_t i = 1; i < operands.size(); ++i)
    registers += (i > 1 ? ", $" : "$") + std::to_string(i);
  if (operands.size() > 2)
    registers = "{" + registers + "}";
  std::string ptx = std::string(global ? "st.global.cs" : "st.cs") + suffix +
                    " [$0], " + registers + ";";
  // A store: side effects, and a memory clobber so that no access to memory
  // is moved across it.
  constraints += ",~{memory}";
  LLVM::InlineAsmOp::create(
      b, loc, /*res=*/Type(), operands, ptx, constraints,
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(b.getContext(), LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
  store.erase();
}

namespace {
struct NVVMStreamingStoresPass
    : public norm::impl::NormNVVMStreamingStoresPassBase<
          NVVMStreamingStoresPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<LLVM::StoreOp> stores;
    getOperation()->walk([&](LLVM::StoreOp store) {
      if (store.getNontemporal())
        stores.push_back(store);
    });
    for (LLVM::StoreOp store : stores)
      rewriteStore(store);
  }
};
} // namespace
