//===- BufferWrites.cpp - Which function arguments a body writes ----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/BufferWrites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

static bool isMemRef(Type type) { return isa<BaseMemRefType>(type); }

static bool mayWrite(BlockArgument arg,
                     llvm::SmallPtrSetImpl<Value> &visitedArguments);

/// Whether `call` may write the buffer it passes as operand `index`: what
/// the callee does with its argument, when the callee has a body here and
/// the call returns no memref (which could alias the buffer).
static bool
mayWriteThroughCall(func::CallOp call, unsigned index,
                    llvm::SmallPtrSetImpl<Value> &visitedArguments) {
  auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
      call, call.getCalleeAttr());
  if (!callee || callee.isExternal() ||
      llvm::any_of(call.getResultTypes(), isMemRef))
    return true;
  BlockArgument calleeArg = callee.getArgument(index);
  // Visited already (a recursive call): its writes are found by that walk.
  if (!visitedArguments.insert(calleeArg).second)
    return false;
  return mayWrite(calleeArg, visitedArguments);
}

static bool mayWrite(BlockArgument arg,
                     llvm::SmallPtrSetImpl<Value> &visitedArguments) {
  SmallVector<Value> worklist = {arg};
  llvm::SmallPtrSet<Value, 8> visited = {arg};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (isa<func::ReturnOp>(user))
        continue;
      // A terminator that forwards it (scf.yield, cf.br) makes aliases
      // this walk does not follow.
      if (user->hasTrait<OpTrait::IsTerminator>())
        return true;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user);
          view && view.getViewSource() == value) {
        for (Value result : user->getResults())
          if (isMemRef(result.getType()) && visited.insert(result).second)
            worklist.push_back(result);
        continue;
      }
      // A loop carrying it: the iteration argument and the loop's result
      // alias it (a body that yields the argument forwards it, which counts
      // as a write below).
      if (auto loop = dyn_cast<LoopLikeOpInterface>(user)) {
        if (BlockArgument iterArg = loop.getTiedLoopRegionIterArg(&use)) {
          for (Value alias :
               {Value(iterArg), Value(loop.getTiedLoopResult(&use))})
            if (alias && visited.insert(alias).second)
              worklist.push_back(alias);
          continue;
        }
      }
      if (auto call = dyn_cast<func::CallOp>(user)) {
        if (mayWriteThroughCall(call, use.getOperandNumber(), visitedArguments))
          return true;
        continue;
      }
      auto effects = dyn_cast<MemoryEffectOpInterface>(user);
      if (!effects || llvm::any_of(user->getResultTypes(), isMemRef))
        return true;
      SmallVector<MemoryEffects::EffectInstance> instances;
      effects.getEffects(instances);
      for (const MemoryEffects::EffectInstance &instance : instances)
        if (!isa<MemoryEffects::Read>(instance.getEffect()) &&
            (!instance.getValue() || instance.getValue() == value))
          return true;
    }
  }
  return false;
}

bool mlir::norm::mayWriteArgument(BlockArgument arg) {
  llvm::SmallPtrSet<Value, 4> visitedArguments = {arg};
  return mayWrite(arg, visitedArguments);
}
