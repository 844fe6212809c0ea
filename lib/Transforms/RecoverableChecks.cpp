//===- RecoverableChecks.cpp - Failed checks as errors, not aborts --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-recoverable-checks: each cf.assert in the body of an entry function
// becomes a branch to a block that records the message in a thread-local
// slot and returns poison; norm_take_check_failure() reads and clears it.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMRECOVERABLECHECKSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
constexpr StringLiteral kSlotName = "__norm_check_failure";
constexpr StringLiteral kTakeName = "norm_take_check_failure";

/// The message of `check`, prefixed by its location when it has one that
/// the message does not name already.
std::string getMessage(cf::AssertOp check) {
  std::string text;
  llvm::raw_string_ostream os(text);
  auto loc = dyn_cast<FileLineColLoc>(check.getLoc());
  if (loc && !check.getMsg().contains(loc.getFilename().getValue()))
    os << loc.getFilename().getValue() << ":" << loc.getLine() << ":"
       << loc.getColumn() << ": ";
  os << check.getMsg();
  return text;
}

/// A private constant global holding `text` and a terminating NUL.
LLVM::GlobalOp createString(OpBuilder &b, Location loc, ModuleOp module,
                            StringRef text, unsigned index) {
  std::string contents = text.str();
  contents.push_back('\0');
  auto type = LLVM::LLVMArrayType::get(IntegerType::get(b.getContext(), 8),
                                       contents.size());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  return LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                                LLVM::Linkage::Internal,
                                ("__norm_check_message_" + Twine(index)).str(),
                                b.getStringAttr(contents));
}

/// The thread-local slot (a null pointer initially) and the function that
/// reads and clears it.
LLVM::GlobalOp createSlotAndReader(OpBuilder &b, Location loc,
                                   ModuleOp module) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  auto slot = LLVM::GlobalOp::create(
      b, loc, ptrType, /*isConstant=*/false, LLVM::Linkage::Internal, kSlotName,
      Attribute(), /*alignment=*/0, /*addrSpace=*/0,
      /*dsoLocal=*/true, /*threadLocal=*/true);
  Block *init = b.createBlock(&slot.getInitializerRegion());
  b.setInsertionPointToStart(init);
  LLVM::ReturnOp::create(b, loc,
                         LLVM::ZeroOp::create(b, loc, ptrType).getResult());

  b.setInsertionPointAfter(slot);
  auto reader = LLVM::LLVMFuncOp::create(
      b, loc, kTakeName, LLVM::LLVMFunctionType::get(ptrType, {}));
  b.setInsertionPointToStart(reader.addEntryBlock(b));
  Value address = LLVM::AddressOfOp::create(b, loc, slot);
  Value message = LLVM::LoadOp::create(b, loc, ptrType, address);
  LLVM::StoreOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptrType), address);
  LLVM::ReturnOp::create(b, loc, message);
  return slot;
}

struct NormRecoverableChecksPass
    : norm::impl::NormRecoverableChecksPassBase<NormRecoverableChecksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (module.lookupSymbol(kSlotName) || module.lookupSymbol(kTakeName)) {
      module.emitError() << "norm-recoverable-checks: the module already "
                            "defines @"
                         << kSlotName << " or @" << kTakeName;
      return signalPassFailure();
    }
    SymbolTableCollection symbolTables;
    SymbolUserMap users(symbolTables, module);
    SmallVector<cf::AssertOp> checks;
    for (auto func : module.getOps<func::FuncOp>()) {
      // An entry function: its caller is outside the module and reads the
      // failure; a callee's caller in the module would not.
      if (func.isExternal() || !func.isPublic() ||
          !users.getUsers(func).empty())
        continue;
      for (Block &block : func.getBody())
        for (auto check : block.getOps<cf::AssertOp>())
          checks.push_back(check);
    }
    if (checks.empty())
      return;

    OpBuilder b(module.getContext());
    Location loc = module.getLoc();
    LLVM::GlobalOp slot = createSlotAndReader(b, loc, module);
    for (auto [index, check] : llvm::enumerate(checks)) {
      LLVM::GlobalOp message =
          createString(b, check.getLoc(), module, getMessage(check), index);
      auto func = check->getParentOfType<func::FuncOp>();
      Block *before = check->getBlock();
      Block *after = before->splitBlock(std::next(check->getIterator()));
      // The failure block: record the message, return poison.
      Block *failure = b.createBlock(after);
      Location checkLoc = check.getLoc();
      b.setInsertionPointToStart(failure);
      LLVM::StoreOp::create(b, checkLoc,
                            LLVM::AddressOfOp::create(b, checkLoc, message),
                            LLVM::AddressOfOp::create(b, checkLoc, slot));
      SmallVector<Value> results;
      for (Type type : func.getResultTypes())
        results.push_back(ub::PoisonOp::create(b, checkLoc, type));
      func::ReturnOp::create(b, checkLoc, results);
      b.setInsertionPoint(check);
      cf::CondBranchOp::create(b, checkLoc, check.getArg(), after, failure);
      check.erase();
    }
  }
};
} // namespace
