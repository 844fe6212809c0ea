//===- AlignWorkgroupBuffers.cpp - 16-byte aligned shared memory ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-align-workgroup-buffers: sets llvm.align on the workgroup
// attributions of gpu.func kernels, so that 128-bit shared memory accesses
// (ld.shared.v4, cp.async 16) are aligned.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMALIGNWORKGROUPBUFFERSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct AlignWorkgroupBuffersPass
    : public norm::impl::NormAlignWorkgroupBuffersPassBase<
          AlignWorkgroupBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    if (alignment < 1 || !llvm::isPowerOf2_64(alignment)) {
      getOperation()->emitError()
          << "norm-align-workgroup-buffers: alignment must be a power of "
             "two, got "
          << static_cast<int64_t>(alignment);
      return signalPassFailure();
    }
    StringRef name = LLVM::LLVMDialect::getAlignAttrName();
    Builder b(&getContext());
    getOperation()->walk([&](gpu::GPUFuncOp func) {
      for (unsigned i = 0, e = func.getNumWorkgroupAttributions(); i < e; ++i) {
        auto old = dyn_cast_or_null<IntegerAttr>(
            func.getWorkgroupAttributionAttr(i, name));
        if (old && old.getInt() >= alignment)
          continue;
        func.setWorkgroupAttributionAttr(i, name,
                                         b.getI64IntegerAttr(alignment));
      }
    });
  }
};
} // namespace
