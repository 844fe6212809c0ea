//===- InitAllNorm.cpp - Register everything of norm-mlir -----------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "norm/InitAllNorm.h"
#include "norm/Config.h"
#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Transforms/RuntimeOpVerification.h"
#include "norm/Dialect/Norm/Transforms/ShardingModels.h"
#include "norm/Dialect/Norm/Transforms/SyncBatchNorm.h"
#include "norm/Pipelines/GPUPipeline.h"
#include "norm/Pipelines/Pipelines.h"
#include "norm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/RuntimeOpVerification.h"
#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

void mlir::norm::registerAllNormDialects(DialectRegistry &registry) {
  registry.insert<norm::NormDialect, arith::ArithDialect, linalg::LinalgDialect,
                  math::MathDialect, tensor::TensorDialect>();
  // How --shard-partition splits norm ops: SyncBatchNorm for training batch
  // norms, the per-sample and per-channel norms without communication.
  registerSyncBatchNormShardingModels(registry);
  registerNormShardingModels(registry);
  // The run-time checks of dynamic operand sizes and of casts to static
  // ones (norm-check-operand-sizes).
  registerRuntimeVerifiableOpInterfaceExternalModels(registry);
  tensor::registerRuntimeVerifiableOpInterfaceExternalModels(registry);
}

void mlir::norm::registerAllNormPasses() {
  registerNormConversionPasses();
  registerNormTransformsPasses();
  registerNormCodegenPasses();
  registerNormPipelines();
  registerNormGPUPipelines();
}

const char *mlir::norm::getVersionString() { return NORM_VERSION; }

void mlir::norm::setVersionPrinter() {
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "norm-mlir version " << NORM_VERSION << " (built against LLVM/MLIR "
       << NORM_LLVM_VERSION << ")\n";
  });
}
