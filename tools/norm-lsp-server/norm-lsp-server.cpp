//===- norm-lsp-server.cpp - MLIR language server with the norm dialect ---===//
//
// Part of norm-mlir. `mlir-lsp-server` that also knows the norm dialect:
// diagnostics, hover, go-to-definition and completion for .mlir files with
// norm ops in editors (point the editor's MLIR extension at this binary).
//
//===----------------------------------------------------------------------===//

#include "norm/InitAllNorm.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::norm::registerAllNormDialects(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry));
}
