//===- CheckConstantShapes.cpp - Reject constants of dynamic shape --------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// norm-check-constant-shapes: a located error for each op holding an
// elements attribute (a constant's value) whose type has dynamic sizes.
// MLIR 22 verifies static shapes for `dense<...>` literals but not for
// `dense_resource<...>`, and such a constant crashed the CPU pipeline.
//
//===----------------------------------------------------------------------===//

#include "norm/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKCONSTANTSHAPESPASS
#include "norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {
struct CheckConstantShapesPass
    : public norm::impl::NormCheckConstantShapesPassBase<
          CheckConstantShapesPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation()->walk([&](Operation *op) {
      for (NamedAttribute attribute : op->getAttrs()) {
        attribute.getValue().walk([&](ElementsAttr elements) {
          ShapedType type = elements.getShapedType();
          if (type.hasStaticShape())
            return;
          op->emitError() << "'" << attribute.getName().strref()
                          << "' holds a constant of type " << type
                          << ": the elements of a constant need static sizes";
          failed = true;
        });
      }
    });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
