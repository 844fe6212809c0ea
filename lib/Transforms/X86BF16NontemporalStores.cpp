//===- X86BF16NontemporalStores.cpp - Keep bf16 streaming stores ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-x86-bf16-nontemporal-stores: LLVM 22's X86 instruction selection
// has no non-temporal store pattern for vectors of bfloat, and it folds any
// bitcast in front of the store back into one: `store <16 x bfloat> %v,
// align 32, !nontemporal` became a plain `vmovaps`, so bf16 outputs went
// through the caches (and read each line for ownership) while f32 and f16
// ones streamed. Passing the value, as integers, through an empty inline
// asm ("=v,0": the same vector register in and out, no instruction) hides
// its bf16 origin: the store of `<4 x i64>` selects `vmovntps`.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMX86BF16NONTEMPORALSTORESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// `<N x i64>` of the size of `type` (a fixed vector of bf16 whose size is
/// a multiple of 128 bits, a whole xmm register or more), or null. A
/// `<1 x i64>` cannot take the asm's vector register ("couldn't allocate
/// output register for constraint 'v'"); 64 bits of bf16 already become a
/// `movnti` without the asm.
static VectorType getI64VectorOfSameSize(Type type) {
  auto vector = dyn_cast<VectorType>(type);
  if (!vector || vector.getRank() != 1 || vector.isScalable() ||
      !vector.getElementType().isBF16())
    return {};
  int64_t bits = vector.getNumElements() * 16;
  if (bits % 128 != 0)
    return {};
  return VectorType::get({bits / 64}, IntegerType::get(type.getContext(), 64));
}

namespace {
struct X86BF16NontemporalStoresPass
    : public norm::impl::NormX86BF16NontemporalStoresPassBase<
          X86BF16NontemporalStoresPass> {
  void runOnOperation() override {
    getOperation()->walk([](LLVM::StoreOp store) {
      if (!store.getNontemporal())
        return;
      VectorType intType = getI64VectorOfSameSize(store.getValue().getType());
      if (!intType)
        return;
      OpBuilder builder(store);
      Location loc = store.getLoc();
      Value bits =
          LLVM::BitcastOp::create(builder, loc, intType, store.getValue());
      auto opaque = LLVM::InlineAsmOp::create(
          builder, loc, intType, ValueRange{bits}, /*asm_string=*/"",
          /*constraints=*/"=v,0", /*has_side_effects=*/false,
          /*is_align_stack=*/false, LLVM::TailCallKind::None,
          LLVM::AsmDialectAttr::get(builder.getContext(),
                                    LLVM::AsmDialect::AD_ATT),
          /*operand_attrs=*/ArrayAttr());
      store.getValueMutable().assign(opaque.getRes());
    });
  }
};
} // namespace
