//===- RuntimeOpVerification.h - Run-time checks of norm ops ----*- C++ -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//
//
// Upstream's RuntimeVerifiableOpInterface for the norm ops: the size
// relations between operands that the verifiers check on static shapes
// (a weight as long as the normalized dimension, a residual of the input's
// shape, per-channel statistics as many as the channels), as cf.asserts
// where a size is dynamic. norm-check-operand-sizes generates them.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_RUNTIMEOPVERIFICATION_H
#define NORM_DIALECT_NORM_TRANSFORMS_RUNTIMEOPVERIFICATION_H

namespace mlir {
class DialectRegistry;

namespace norm {

/// Attaches the RuntimeVerifiableOpInterface models of every norm op whose
/// operands have sizes tied to each other when the norm dialect loads.
void registerRuntimeVerifiableOpInterfaceExternalModels(
    DialectRegistry &registry);

} // namespace norm
} // namespace mlir

#endif // NORM_DIALECT_NORM_TRANSFORMS_RUNTIMEOPVERIFICATION_H
