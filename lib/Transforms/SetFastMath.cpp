//===- SetFastMath.cpp - Allow reassociation and contraction --------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-set-fast-math: adds the reassoc and contract fast-math flags to arith
// and math ops, so that LLVM vectorizes floating-point reductions.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMSETFASTMATHPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct SetFastMathPass
    : public norm::impl::NormSetFastMathPassBase<SetFastMathPass> {
  void runOnOperation() override {
    constexpr auto extra =
        arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
    getOperation().walk([&](arith::ArithFastMathInterface op) {
      // Their LLVM counterparts (fpext/fptrunc) take no fast-math flags; the
      // attribute would leak into the LLVM dialect as a discardable one.
      if (isa<arith::ExtFOp, arith::TruncFOp>(op))
        return;
      arith::FastMathFlagsAttr old = op.getFastMathFlagsAttr();
      arith::FastMathFlags flags = old ? old.getValue() | extra : extra;
      op->setAttr(op.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(&getContext(), flags));
    });
  }
};
} // namespace
