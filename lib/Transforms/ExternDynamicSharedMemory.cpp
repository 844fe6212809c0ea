//===- ExternDynamicSharedMemory.cpp - .extern dynamic shared memory ------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-extern-dynamic-shared-memory: gives the zero-sized shared-memory
// globals that gpu.dynamic_shared_memory lowers to external linkage, so that
// NVPTX declares them `.extern .shared ... []` instead of demoting them to a
// one-byte static variable that overlaps the kernel's static buffers.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMEXTERNDYNAMICSHAREDMEMORYPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct ExternDynamicSharedMemoryPass
    : public norm::impl::NormExternDynamicSharedMemoryPassBase<
          ExternDynamicSharedMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation()->walk([](LLVM::GlobalOp global) {
      // A declaration (no value, no initializer) of a zero-sized array.
      auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
      if (global.getAddrSpace() !=
              static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared) ||
          !array || array.getNumElements() != 0 || global.getValue() ||
          !global.getInitializerRegion().empty())
        return;
      global.setLinkage(LLVM::Linkage::External);
    });
  }
};
} // namespace
