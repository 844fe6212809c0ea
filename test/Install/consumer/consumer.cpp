//===- consumer.cpp - A program built against the installed norm-mlir -----===//
//
// Part of norm-mlir's install test: it parses a norm op from a string,
// verifies it and prints it, and checks that the norm passes are registered.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/InitAllNorm.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static const char *const kProgram = R"mlir(
func.func @block(%x: tensor<2x16xf32>, %w: tensor<16xf32>) -> tensor<2x16xf32> {
  %y = norm.rms_norm %x weight(%w : tensor<16xf32>) axes = [1] : tensor<2x16xf32>
  return %y : tensor<2x16xf32>
}
)mlir";

int main() {
  DialectRegistry registry;
  registry.insert<func::FuncDialect>();
  norm::registerAllNormDialects(registry);
  MLIRContext context(registry);
  context.loadDialect<norm::NormDialect>();

  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(kProgram, &context);
  if (!module || failed(verify(*module))) {
    llvm::errs() << "error: the norm program did not parse or verify\n";
    return 1;
  }
  int numNormOps = 0;
  module->walk([&](norm::RMSNormOp) { ++numNormOps; });
  module->print(llvm::outs());
  llvm::outs() << "norm-mlir " << norm::getVersionString() << ": " << numNormOps
               << " norm op(s)\n";

  norm::registerAllNormPasses();
  if (!PassInfo::lookup("convert-norm-to-linalg")) {
    llvm::errs() << "error: convert-norm-to-linalg is not registered\n";
    return 1;
  }
  llvm::outs() << "convert-norm-to-linalg registered\n";
  return 0;
}
