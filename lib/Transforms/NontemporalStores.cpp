//===- NontemporalStores.cpp - Non-temporal stores of function outputs ----===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-nontemporal-stores: lowers 1-D vector transfers to loads/stores and
// marks the stores into function arguments non-temporal.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMNONTEMPORALSTORESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

/// Whether `memref` is a function argument or a view of one.
static bool isArgumentView(Value memref) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(memref))
      return isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
    auto view = memref.getDefiningOp<ViewLikeOpInterface>();
    if (!view)
      return false;
    memref = view.getViewSource();
  }
}

namespace {
struct NontemporalStoresPass
    : public norm::impl::NormNontemporalStoresPassBase<NontemporalStoresPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation().walk([](vector::StoreOp store) {
      if (isArgumentView(store.getBase()))
        store.setNontemporal(true);
    });
  }
};
} // namespace
