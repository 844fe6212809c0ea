//===- MinBlocksPerSM.cpp - Occupancy from dynamic shared memory ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-min-blocks-per-sm: sets nvvm.minctasm on kernels launched with
// dynamic shared memory to the number of their blocks that an SM's shared
// memory holds, so that ptxas keeps their registers within that occupancy.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMMINBLOCKSPERSMPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Shared memory the driver reserves for each resident block.
static constexpr int64_t kReservedSharedPerBlock = 1024;
static constexpr int64_t kMaxBlocksPerSM = 32;

/// Bytes of the workgroup attributions of `func`, each 16-byte aligned
/// (norm-align-workgroup-buffers); nullopt when one has a dynamic size.
static std::optional<int64_t> getStaticSharedBytes(gpu::GPUFuncOp func) {
  int64_t bytes = 0;
  for (BlockArgument buffer : func.getWorkgroupAttributions()) {
    auto type = cast<MemRefType>(buffer.getType());
    if (!type.hasStaticShape() || !type.getElementType().isIntOrFloat())
      return std::nullopt;
    bytes +=
        llvm::alignTo(type.getNumElements() *
                          type.getElementType().getIntOrFloatBitWidth() / 8,
                      16);
  }
  return bytes;
}

namespace {
struct MinBlocksPerSMPass
    : public norm::impl::NormMinBlocksPerSMPassBase<MinBlocksPerSMPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The least number of blocks an SM holds over each kernel's launches;
    // 0: a launch whose occupancy is unknown (the kernel is left alone).
    llvm::DenseMap<Operation *, int64_t> minBlocks;
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto func = SymbolTable::lookupNearestSymbolFrom<gpu::GPUFuncOp>(
          launch, launch.getKernel());
      if (!func)
        return;
      int64_t &blocks =
          minBlocks.try_emplace(func.getOperation(), kMaxBlocksPerSM)
              .first->second;
      blocks = std::min(blocks, blocksPerSM(launch, func));
    });
    Builder b(&getContext());
    StringRef name = NVVM::NVVMDialect::getMinctasmAttrName();
    for (auto [op, blocks] : minBlocks)
      if (blocks >= 2 && !op->hasAttr(name))
        op->setAttr(name, b.getI32IntegerAttr(static_cast<int32_t>(blocks)));
  }

  /// Blocks of `func` an SM holds at `launch`: limited by its shared memory
  /// (dynamic + static) and threads; 0 unless every size is a constant and
  /// it has dynamic shared memory.
  int64_t blocksPerSM(gpu::LaunchFuncOp launch, gpu::GPUFuncOp func) {
    APInt dynamicBytes, x, y, z;
    Value dynamic = launch.getDynamicSharedMemorySize();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    if (!dynamic || !matchPattern(dynamic, m_ConstantInt(&dynamicBytes)) ||
        !matchPattern(block.x, m_ConstantInt(&x)) ||
        !matchPattern(block.y, m_ConstantInt(&y)) ||
        !matchPattern(block.z, m_ConstantInt(&z)) ||
        dynamicBytes.getSExtValue() <= 0)
      return 0;
    std::optional<int64_t> staticBytes = getStaticSharedBytes(func);
    int64_t threads = x.getSExtValue() * y.getSExtValue() * z.getSExtValue();
    if (!staticBytes || threads <= 0)
      return 0;
    int64_t perBlock =
        dynamicBytes.getSExtValue() + *staticBytes + kReservedSharedPerBlock;
    return std::min({sharedMemoryPerSM * 1024 / perBlock,
                     threadsPerSM / threads, kMaxBlocksPerSM});
  }
};
} // namespace
