//===- CheckDestinationSizes.cpp - Run-time checks of output arrays -------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-check-destination-sizes: a cf.assert per dynamic dimension of every
// function argument that a result is materialized in (the caller's output
// array), that its size is the result's.
//
//===----------------------------------------------------------------------===//

#include "RuntimeChecks.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKDESTINATIONSIZESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct CheckDestinationSizesPass
    : public norm::impl::NormCheckDestinationSizesPassBase<
          CheckDestinationSizesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    SmallVector<cf::AssertOp> checks;
    func.walk([&](bufferization::MaterializeInDestinationOp materialize) {
      auto argument = dyn_cast<BlockArgument>(materialize.getDest());
      if (!argument || argument.getOwner() != &entry)
        return;
      auto type = dyn_cast<RankedTensorType>(argument.getType());
      if (!type || type.hasStaticShape())
        return;
      Location loc = materialize.getLoc();
      std::string where;
      llvm::raw_string_ostream os(where);
      loc.print(os);
      OpBuilder b(materialize);
      for (int64_t dim = 0, rank = type.getRank(); dim < rank; ++dim) {
        if (!type.isDynamicDim(dim))
          continue;
        auto resultSize =
            tensor::DimOp::create(b, loc, materialize.getSource(), dim);
        auto outputSize = tensor::DimOp::create(b, loc, argument, dim);
        Value equal = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                            resultSize, outputSize);
        checks.push_back(cf::AssertOp::create(
            b, loc, equal,
            ("@" + func.getSymName() + ": output argument #" +
             Twine(argument.getArgNumber()) +
             " has another size in dimension " + Twine(dim) +
             " than the result written into it (" + where + ")")
                .str()));
      }
    });
    if (checks.empty())
      return;
    // The result's sizes in terms of the operands', down to the arguments'.
    if (failed(resolveSizesToArguments(func)))
      return signalPassFailure();
    // Before the computation where the sizes allow (a result of
    // data-dependent size is checked where it is written). A write under
    // control flow (an scf.if branch, a loop that may not run) keeps its
    // check there: at the start, a call that never writes the array would
    // be refused.
    for (cf::AssertOp check : checks)
      if (check->getBlock() == &entry)
        hoistCheckToEntry(check, entry);
  }
};
} // namespace
