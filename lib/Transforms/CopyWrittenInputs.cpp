//===- CopyWrittenInputs.cpp - Inputs the C ABI must not write ------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-copy-written-inputs: after bufferization and
// norm-drop-tied-buffer-results, an argument that norm-mark-read-only-arguments
// left writable because a result could alias it, but that no result is tied
// to, is an input of the C ABI; where the body writes it, it now works on a
// copy made on entry.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/BufferWrites.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCOPYWRITTENINPUTSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct CopyWrittenInputsPass
    : public norm::impl::NormCopyWrittenInputsPassBase<CopyWrittenInputsPass> {
  void runOnOperation() override;
};
} // namespace

/// The arguments of `func` that a result is tied to (`norm.tied_results`).
static llvm::SmallBitVector getTiedArguments(func::FuncOp func) {
  llvm::SmallBitVector tied(func.getNumArguments());
  if (auto attr = func->getAttrOfType<DenseI64ArrayAttr>(kTiedResultsAttrName))
    for (int64_t argument : attr.asArrayRef())
      if (argument >= 0 && argument < static_cast<int64_t>(tied.size()))
        tied.set(argument);
  return tied;
}

/// Makes the body of `arg`'s function use a fresh copy of it.
static LogicalResult copyOnEntry(BlockArgument arg) {
  auto type = cast<MemRefType>(arg.getType());
  auto copyType =
      MemRefType::get(type.getShape(), type.getElementType(),
                      MemRefLayoutAttrInterface(), type.getMemorySpace());
  Location loc = arg.getLoc();
  if (!memref::CastOp::areCastCompatible(copyType, type))
    return emitError(loc) << "cannot copy input " << arg.getArgNumber()
                          << " of type " << type
                          << ", which the function writes: no buffer of "
                             "the identity layout casts to it";
  auto builder = OpBuilder::atBlockBegin(arg.getOwner());
  SmallPtrSet<Operation *, 4> readers;
  SmallVector<Value> dynamicSizes;
  for (int64_t dim : llvm::seq<int64_t>(0, type.getRank())) {
    if (!type.isDynamicDim(dim))
      continue;
    auto size = memref::DimOp::create(builder, loc, arg, dim);
    readers.insert(size);
    dynamicSizes.push_back(size);
  }
  Value copy = memref::AllocOp::create(builder, loc, copyType, dynamicSizes,
                                       builder.getI64IntegerAttr(64));
  readers.insert(memref::CopyOp::create(builder, loc, arg, copy));
  if (copyType != type)
    copy = memref::CastOp::create(builder, loc, type, copy);
  arg.replaceAllUsesExcept(copy, readers);
  return success();
}

void CopyWrittenInputsPass::runOnOperation() {
  for (auto func : getOperation().getOps<func::FuncOp>()) {
    if (func.isExternal())
      continue;
    llvm::SmallBitVector tied = getTiedArguments(func);
    SmallVector<BlockArgument> written;
    for (BlockArgument arg : func.getArguments()) {
      unsigned index = arg.getArgNumber();
      if (!func.getArgAttr(index, kMayBeTiedAttrName))
        continue;
      func.removeArgAttr(index, kMayBeTiedAttrName);
      if (isa<MemRefType>(arg.getType()) && !tied.test(index) &&
          mayWriteArgument(arg))
        written.push_back(arg);
    }
    for (BlockArgument arg : written)
      if (failed(copyOnEntry(arg)))
        return signalPassFailure();
  }
}
