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
#include "mlir/IR/AttrTypeSubElements.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMSORTGLOBALSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// The prefix of the globals that One-Shot Bufferize makes of constants.
static constexpr llvm::StringLiteral kConstantPrefix = "__constant_";

/// The name bufferization gives the global of a constant of `type`
/// (`__constant_2x8xf32`, a scalar's `__constant_xf32`), before it makes it
/// unique with `_<n>`.
static std::string getConstantBaseName(MemRefType type) {
  std::string name = kConstantPrefix.str();
  llvm::raw_string_ostream os(name);
  llvm::interleave(type.getShape(), os, "x");
  os << 'x' << type.getElementType();
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
  // The new names: the first of a base name gets it, the next ones `_0`,
  // `_1`, ...; a name that another symbol holds is skipped.
  llvm::StringSet<> taken;
  for (Operation &op : *body)
    if (auto name =
            op.getAttrOfType<StringAttr>(SymbolTable::getSymbolAttrName());
        name && !constants.contains(&op))
      taken.insert(name.getValue());
  llvm::StringMap<unsigned> counts;
  DenseMap<StringAttr, StringAttr> renamed;
  for (auto &[global, base] : constants) {
    std::string name;
    do {
      unsigned count = counts[base]++;
      name = count == 0 ? base : base + "_" + std::to_string(count - 1);
    } while (taken.contains(name));
    taken.insert(name);
    StringAttr from = SymbolTable::getSymbolName(global);
    StringAttr to = StringAttr::get(&getContext(), name);
    renamed[from] = to;
    SymbolTable::setSymbolName(global, to);
  }
  // Every reference in one walk (SymbolTable::rename walks the module once
  // per symbol; a model's weights are thousands of constants). Each
  // reference is mapped from its old name once, so names that two
  // constants swap do not chain.
  AttrTypeReplacer replacer;
  replacer.addReplacement([&](SymbolRefAttr ref) -> std::optional<Attribute> {
    auto it = renamed.find(ref.getRootReference());
    if (it == renamed.end())
      return std::nullopt;
    return SymbolRefAttr::get(it->second, ref.getNestedReferences());
  });
  replacer.recursivelyReplaceElementsIn(module);

  SmallVector<memref::GlobalOp> globals(body->getOps<memref::GlobalOp>());
  // Symbol names are unique in the module: no ties.
  llvm::sort(globals, [](memref::GlobalOp a, memref::GlobalOp b) {
    return a.getSymName() < b.getSymName();
  });
  // Moved in reverse to the start of the block: the first ends up first.
  for (memref::GlobalOp global : llvm::reverse(globals))
    global->moveBefore(body, body->begin());
}
