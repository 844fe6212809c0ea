//===- CheckOperandSizes.cpp - Run-time checks of norm op operands --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-check-operand-sizes: the RuntimeVerifiableOpInterface checks of the
// norm ops (dynamic operand sizes their verifiers tie together) and of
// tensor.casts to static sizes, with messages that name the function and
// the source location.
//
//===----------------------------------------------------------------------===//

#include "RuntimeChecks.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/RuntimeVerifiableOpInterface.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKOPERANDSIZESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether `op` is a tensor.cast that makes a dynamic size static (a
/// frontend's cast of an argument to the shape it was traced with): the
/// code after it is compiled for that size, and a tensor of another size
/// was read and written as if it had it. Upstream's model checks each such
/// size.
static bool castsToStaticSize(Operation *op) {
  auto cast = dyn_cast<tensor::CastOp>(op);
  if (!cast)
    return false;
  auto source = dyn_cast<RankedTensorType>(cast.getSource().getType());
  auto result = dyn_cast<RankedTensorType>(cast.getType());
  if (!result)
    return false;
  if (!source)
    return true; // Unranked to ranked: the rank and every static size.
  for (int64_t dim = 0, rank = result.getRank(); dim < rank; ++dim)
    if (source.isDynamicDim(dim) && !result.isDynamicDim(dim))
      return true;
  return false;
}

namespace {
struct CheckOperandSizesPass
    : public norm::impl::NormCheckOperandSizesPassBase<CheckOperandSizesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    SmallVector<RuntimeVerifiableOpInterface> ops;
    func.walk([&](RuntimeVerifiableOpInterface op) {
      if (isa<NormDialect>(op->getDialect()) || castsToStaticSize(op))
        ops.push_back(op);
    });
    Block &entry = func.getBody().front();
    SmallVector<cf::AssertOp> checks;
    for (RuntimeVerifiableOpInterface op : ops) {
      Location loc = op.getLoc();
      auto message = [&](Operation *checked, StringRef what) {
        std::string text;
        llvm::raw_string_ostream os(text);
        os << "@" << func.getSymName() << ": " << checked->getName() << ": "
           << what << " (";
        loc.print(os);
        os << ")";
        return text;
      };
      OpBuilder b(op);
      Operation *previous = op->getPrevNode();
      op.generateRuntimeVerification(b, loc, message);
      if (op->getBlock() != &entry)
        continue;
      for (Operation *it = previous ? previous->getNextNode() : &entry.front();
           it != op.getOperation(); it = it->getNextNode())
        if (auto check = dyn_cast<cf::AssertOp>(it))
          checks.push_back(check);
    }
    if (checks.empty())
      return;
    // The sizes of operands computed in the function (another norm op's
    // result) in terms of the arguments'.
    if (failed(resolveSizesToArguments(func)))
      return signalPassFailure();
    // Each to the start of the function where its sizes allow, the last
    // first: they keep their order.
    for (cf::AssertOp check : llvm::reverse(checks))
      hoistCheckToEntry(check, entry);
  }
};
} // namespace
