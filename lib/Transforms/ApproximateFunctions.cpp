//===- ApproximateFunctions.cpp - afn on math ops and divisions -----------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-approximate-functions: adds the afn fast-math flag to f32 (and
// narrower) math ops and arith.divf, so that the NVVM lowering picks the
// approximate hardware instructions (ex2.approx, rcp/div.approx).
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMAPPROXIMATEFUNCTIONSPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct ApproximateFunctionsPass
    : public norm::impl::NormApproximateFunctionsPassBase<
          ApproximateFunctionsPass> {
  void runOnOperation() override {
    getOperation()->walk([&](arith::ArithFastMathInterface op) {
      if (!isa<arith::DivFOp>(op) && !isa<math::MathDialect>(op->getDialect()))
        return;
      // f64 stays exact: whoever computes in f64 asked for the precision.
      if (op->getNumResults() != 1)
        return;
      auto type = dyn_cast<FloatType>(getElementTypeOrSelf(op->getResult(0)));
      if (!type || type.getWidth() > 32)
        return;
      arith::FastMathFlagsAttr old = op.getFastMathFlagsAttr();
      arith::FastMathFlags flags = arith::FastMathFlags::afn;
      if (old)
        flags = flags | old.getValue();
      op->setAttr(op.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(&getContext(), flags));
    });
  }
};
} // namespace
