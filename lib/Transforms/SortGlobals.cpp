//===- SortGlobals.cpp - Deterministic names and order of constants -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-sort-globals: renames the globals that bufferization made of tensor
// constants in the order of their first use, and moves all memref.global ops
// to the start of the module ordered by name, so that the output does not
// depend on the order in which bufferization created them.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMSORTGLOBALSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The prefix of the globals that One-Shot Bufferize makes of constants.
static constexpr llvm::StringLiteral kConstantPrefix = "__constant_";

/// The name bufferization gives the global of a constant of `type`
/// (`__constant_2x8xf32`), before it makes it unique with `_<n>`.
static std::string getConstantBaseName(MemRefType type) {
  std::string name = kConstantPrefix.str();
  llvm::raw_string_ostream os(name);
  for (int64_t size : type.getShape())
    os << size << 'x';
  os << type.getElementType();
  return name;
}

namespace {
struct SortGlobalsPass
    : public norm::impl::NormSortGlobalsPassBase<SortGlobalsPass> {
  using Base::Base;

  void runOnOperation() override;
};
} // namespace

void SortGlobalsPass::runOnOperation() {
  ModuleOp module = getOperation();
  Block *body = module.getBody();
  SymbolTable symbols(module);

  // The private constant globals of bufferization, in the order of their
  // first use (functions and their ops are in input order).
  llvm::MapVector<Operation *, std::string> constants;
  module.walk([&](memref::GetGlobalOp get) {
    auto global = symbols.lookup<memref::GlobalOp>(get.getName());
    if (!global || !global.isPrivate() || !global.getConstant() ||
        !global.getSymName().starts_with(kConstantPrefix))
      return;
    constants.insert({global, getConstantBaseName(global.getType())});
  });
  auto rename = [&](Operation *global, const std::string &name) {
    return symbols.rename(global, StringAttr::get(&getContext(), name));
  };
  // Renamed twice, so that no new name collides with an old one.
  unsigned index = 0;
  for (auto &entry : constants)
    if (failed(rename(entry.first,
                      "__norm_sort_globals_" + std::to_string(index++))))
      return signalPassFailure();
  llvm::StringMap<unsigned> counts;
  for (auto &[global, base] : constants) {
    // The first of a base name gets it, the next ones `_0`, `_1`, ...; a
    // name another symbol holds is skipped.
    std::string name;
    do {
      unsigned count = counts[base]++;
      name = count == 0 ? base : base + "_" + std::to_string(count - 1);
    } while (symbols.lookup(name));
    if (failed(rename(global, name)))
      return signalPassFailure();
  }

  SmallVector<memref::GlobalOp> globals(body->getOps<memref::GlobalOp>());
  // Symbol names are unique in the module: no ties.
  llvm::sort(globals, [](memref::GlobalOp a, memref::GlobalOp b) {
    return a.getSymName() < b.getSymName();
  });
  // Moved in reverse to the start of the block: the first ends up first.
  for (memref::GlobalOp global : llvm::reverse(globals))
    global->moveBefore(body, body->begin());
}
