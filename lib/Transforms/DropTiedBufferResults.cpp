//===- DropTiedBufferResults.cpp - Destination-passing function ABI -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-drop-tied-buffer-results: drops the memref results of functions that
// are one of their arguments, public functions included, and records the ties
// in `norm.tied_results`.
//
// Upstream `drop-equivalent-buffer-results` leaves public functions alone, and
// the deallocation pipeline then returns a fresh copy of the output buffer on
// every call. The pipeline owns the C ABI of the module, so this pass drops
// such results on public functions too, and records which argument each
// dropped result was.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/BufferWrites.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/BitVector.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMDROPTIEDBUFFERRESULTSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct DropTiedBufferResultsPass
    : public norm::impl::NormDropTiedBufferResultsPassBase<
          DropTiedBufferResultsPass> {
  void runOnOperation() override;
};
} // namespace

/// Whether `expand` re-expands `collapse` to the sizes of the collapse's
/// source (the same reassociation and type, each dynamic size a `memref.dim`
/// of that source), which upstream's fold does not see when the sizes are
/// dynamic.
static bool reexpandsToSource(memref::ExpandShapeOp expand,
                              memref::CollapseShapeOp collapse) {
  Value source = collapse.getSrc();
  if (collapse.getSrcType() != expand.getResultType() ||
      collapse.getReassociationIndices() != expand.getReassociationIndices())
    return false;
  for (auto [index, size] : llvm::enumerate(expand.getMixedOutputShape())) {
    if (!expand.getResultType().isDynamicDim(index))
      continue;
    auto dim = dyn_cast_if_present<memref::DimOp>(
        dyn_cast<Value>(size) ? cast<Value>(size).getDefiningOp() : nullptr);
    std::optional<int64_t> dimIndex =
        dim ? getConstantIntValue(dim.getIndex()) : std::nullopt;
    if (!dim || dim.getSource() != source || dimIndex != int64_t(index))
      return false;
  }
  return true;
}

/// `value` without memref.casts and without pairs of inverse reshapes (a
/// memref.collapse_shape of a memref.expand_shape back to the expanded
/// memref's type, or the reverse: what norm-eliminate-reshaped-empty-tensors
/// leaves in front of a return), the innermost pairs first: group norm's
/// result with its pixels collapsed is collapse(expand(collapse(expand(x))))
/// (groups split, pixels merged, both undone), whose outer pair cancels only
/// once the inner one has.
static Value stripCastsAndReshapes(Value value) {
  Operation *op = value.getDefiningOp();
  if (auto cast = dyn_cast_if_present<memref::CastOp>(op))
    return stripCastsAndReshapes(cast.getSource());
  if (auto collapse = dyn_cast_if_present<memref::CollapseShapeOp>(op)) {
    // collapse(expand(x)) with one reassociation is x whatever the sizes.
    auto expand = stripCastsAndReshapes(collapse.getSrc())
                      .getDefiningOp<memref::ExpandShapeOp>();
    if (expand && expand.getSrcType() == collapse.getResultType() &&
        expand.getReassociationIndices() == collapse.getReassociationIndices())
      return stripCastsAndReshapes(expand.getSrc());
  }
  if (auto expand = dyn_cast_if_present<memref::ExpandShapeOp>(op)) {
    auto collapse = stripCastsAndReshapes(expand.getSrc())
                        .getDefiningOp<memref::CollapseShapeOp>();
    if (collapse && reexpandsToSource(expand, collapse))
      return stripCastsAndReshapes(collapse.getSrc());
  }
  SmallVector<OpFoldResult> folded;
  if (!isa_and_present<memref::CollapseShapeOp, memref::ExpandShapeOp>(op) ||
      failed(op->fold(folded)) || folded.size() != 1)
    return value;
  auto source = dyn_cast<Value>(folded.front());
  if (!source || source == value)
    return value;
  return stripCastsAndReshapes(source);
}

/// The source of a chain of memref.casts and reshapes ending in `value`
/// when `value` has the identity layout and the source the same type (and,
/// where the sizes are dynamic, sizes that value bounds prove equal):
/// reshapes of a contiguous buffer keep its elements in order, so such a
/// chain is the source itself, whichever reshapes it takes (GroupNorm's
/// result: channels split into groups, pixels collapsed by
/// norm-collapse-inner-dims, both undone). Else `value`. With a dynamic
/// batch the chain did not fold, the result was not tied, and the
/// deallocation pass returned a copy of the whole output (GroupNorm
/// [?, 1280, 8, 8]: 2.7x the time).
static Value stripReshapeChain(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  if (!type || !type.getLayout().isIdentity())
    return value;
  Value source = value;
  while (Operation *op = source.getDefiningOp()) {
    if (!isa<memref::CastOp, memref::CollapseShapeOp, memref::ExpandShapeOp>(
            op))
      break;
    source = op->getOperand(0);
  }
  if (source.getType() != type)
    return value;
  for (int64_t dim = 0; dim < type.getRank(); ++dim)
    if (type.isDynamicDim(dim)) {
      FailureOr<bool> equal = ValueBoundsConstraintSet::areEqual(
          ValueBoundsConstraintSet::Variable(value, dim),
          ValueBoundsConstraintSet::Variable(source, dim));
      if (failed(equal) || !*equal)
        return value;
    }
  return source;
}

/// The argument that `value` is (up to memref.cast and inverse reshapes), or
/// -1.
static int64_t getTiedArgument(func::FuncOp func, Value value) {
  // The chain first: stripping inverse pairs first may leave a value that
  // the chain rule does not take.
  Value chainSource = stripReshapeChain(value);
  value = isa<BlockArgument>(chainSource) ? chainSource
                                          : stripCastsAndReshapes(value);
  auto arg = dyn_cast<BlockArgument>(value);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return -1;
  return arg.getArgNumber();
}

/// The unique return of `func`, or null.
static func::ReturnOp getUniqueReturn(func::FuncOp func) {
  func::ReturnOp result;
  for (Block &block : func.getBody()) {
    auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
    if (!ret)
      continue;
    if (result)
      return nullptr;
    result = ret;
  }
  return result;
}

/// `value` without the views (subviews, casts, reshapes) it is made of.
static Value getViewRoot(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// Whether `root` (a value without views) is a buffer of its own that no
/// other value aliases unseen: an argument, an allocation or a global.
static bool isKnownBuffer(Value root) {
  if (isa<BlockArgument>(root))
    return root.getParentBlock()->isEntryBlock() &&
           isa<func::FuncOp>(root.getParentBlock()->getParentOp());
  return isa_and_present<memref::AllocOp, memref::AllocaOp,
                         memref::GetGlobalOp>(root.getDefiningOp());
}

/// Copies into its argument each result of `func` that was computed in that
/// argument as written (`norm.result_destinations`) but no longer is: an
/// identity copy into it folded to its input, or a result bufferized out of
/// place. The result then ties to the argument, which callers passed as its
/// destination. Removes the attribute.
///
/// The copies happen at the return, so a copy must not change what another
/// result is: a result is restored only when no other returned value is
/// (a view of) its destination and no other result has the same one, and
/// when every returned value's buffer is known. Functions called in the
/// module are left alone: their callers were bufferized knowing that the
/// argument is not written.
static void restoreResultDestinations(func::FuncOp func, ModuleOp module) {
  auto destinations =
      func->getAttrOfType<DenseI64ArrayAttr>(kResultDestinationsAttrName);
  if (!destinations)
    return;
  func->removeAttr(kResultDestinationsAttrName);
  func::ReturnOp ret = getUniqueReturn(func);
  if (!ret ||
      destinations.size() != static_cast<int64_t>(ret.getNumOperands()) ||
      !SymbolTable::symbolKnownUseEmpty(func, module))
    return;
  SmallVector<Value> roots = llvm::map_to_vector(
      ret.getOperands(), [](Value operand) { return getViewRoot(operand); });
  if (!llvm::all_of(roots, [](Value root) {
        return !isa<BaseMemRefType>(root.getType()) || isKnownBuffer(root);
      }))
    return;
  SmallVector<std::pair<unsigned, BlockArgument>> restored;
  for (auto [index, argument] : llvm::enumerate(destinations.asArrayRef())) {
    if (argument < 0 ||
        argument >= static_cast<int64_t>(func.getNumArguments()))
      continue;
    Value result = ret.getOperand(index);
    BlockArgument destination = func.getArgument(argument);
    if (getTiedArgument(func, result) == argument ||
        func.getResultTypes()[index] != destination.getType() ||
        !isa<MemRefType>(result.getType()))
      continue;
    // Another result is (in) the destination, or is to be copied there;
    // this one itself a view of it that the tie rules do not see (the copy
    // would overlap).
    bool shared = false;
    for (auto [other, root] : llvm::enumerate(roots))
      if (root == destination ||
          (other != index && destinations[other] == argument))
        shared = true;
    if (!shared)
      restored.emplace_back(index, destination);
  }
  OpBuilder builder(ret);
  for (auto [index, destination] : restored) {
    memref::CopyOp::create(builder, ret.getLoc(), ret.getOperand(index),
                           destination);
    ret.setOperand(index, destination);
  }
}

/// Drops the results of `func` that are arguments; rewrites its callers.
/// `tied` holds, per original result, the tied argument (-1: not tied) and
/// `alive` the original index of each current result. Returns whether
/// anything was dropped.
static bool dropTiedResults(func::FuncOp func, ModuleOp module,
                            SmallVectorImpl<int64_t> &tied,
                            SmallVectorImpl<unsigned> &alive) {
  func::ReturnOp ret = getUniqueReturn(func);
  if (!ret)
    return false;
  BitVector erased(func.getNumResults());
  SmallVector<int64_t> argOf(func.getNumResults(), -1);
  for (auto [i, operand] : llvm::enumerate(ret.getOperands())) {
    argOf[i] = getTiedArgument(func, operand);
    if (argOf[i] >= 0)
      erased.set(i);
  }
  if (erased.none())
    return false;

  // Callers: the dropped result is the operand passed for the argument.
  std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
  IRRewriter rewriter(func.getContext());
  for (SymbolTable::SymbolUse use : uses ? *uses : SymbolTable::UseRange({})) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      continue;
    rewriter.setInsertionPoint(call);
    SmallVector<Type> keptTypes;
    for (auto [i, type] : llvm::enumerate(call.getResultTypes()))
      if (!erased.test(i))
        keptTypes.push_back(type);
    auto newCall =
        func::CallOp::create(rewriter, call.getLoc(), func.getSymName(),
                             keptTypes, call.getOperands());
    SmallVector<Value> replacements;
    unsigned next = 0;
    for (auto [i, result] : llvm::enumerate(call.getResults())) {
      if (!erased.test(i)) {
        replacements.push_back(newCall.getResult(next++));
        continue;
      }
      Value operand = call.getOperand(argOf[i]);
      if (operand.getType() != result.getType())
        operand = memref::CastOp::create(rewriter, call.getLoc(),
                                         result.getType(), operand);
      replacements.push_back(operand);
    }
    rewriter.replaceOp(call, replacements);
  }

  // The kept return operands are read only now: a recursive call may have
  // been replaced above, and with it a value the return used.
  SmallVector<Value> kept;
  for (auto [i, operand] : llvm::enumerate(ret.getOperands()))
    if (!erased.test(i))
      kept.push_back(operand);
  if (failed(func.eraseResults(erased)))
    return false;
  ret.getOperandsMutable().assign(kept);
  SmallVector<unsigned> stillAlive;
  for (auto [i, orig] : llvm::enumerate(alive)) {
    if (erased.test(i))
      tied[orig] = argOf[i];
    else
      stillAlive.push_back(orig);
  }
  alive = std::move(stillAlive);
  return true;
}

void DropTiedBufferResultsPass::runOnOperation() {
  ModuleOp module = getOperation();
  llvm::MapVector<func::FuncOp,
                  std::pair<SmallVector<int64_t>, SmallVector<unsigned>>>
      state;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.getNumResults() == 0)
      continue;
    restoreResultDestinations(func, module);
    SmallVector<int64_t> tied(func.getNumResults(), -1);
    state[func] = {
        tied, llvm::to_vector(llvm::seq<unsigned>(0, func.getNumResults()))};
  }
  // Dropping a callee's result can make its caller return an argument:
  // iterate until nothing changes (results only ever decrease).
  for (bool changed = true; changed;) {
    changed = false;
    for (auto &[func, record] : state)
      changed |= dropTiedResults(func, module, record.first, record.second);
  }
  for (auto &[func, record] : state) {
    func->setAttr(kTiedResultsAttrName,
                  DenseI64ArrayAttr::get(&getContext(), record.first));
    SmallVector<bool> written;
    for (int64_t argument : record.first)
      written.push_back(argument >= 0 &&
                        mayWriteArgument(func.getArgument(argument)));
    func->setAttr(kTiedResultsWrittenAttrName,
                  DenseBoolArrayAttr::get(&getContext(), written));
  }
}
