//===- NormDialect.td - The norm dialect -------------------*- tablegen -*-===//
//
// Part of norm-mlir. The dialect of normalization layers.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMDIALECT_TD
#define NORM_DIALECT_NORM_IR_NORMDIALECT_TD

include "mlir/IR/OpBase.td"

def Norm_Dialect : Dialect {
  let name = "norm";
  let cppNamespace = "::mlir::norm";
  let summary = "Normalization layers of deep learning, one op each";
  let description = [{
    The `norm` dialect has one operation per normalization used in deep
    learning: activation normalizations (batch norm in inference and training
    form, in-place activated batch norm, group norm, layer norm, RMS norm),
    weight normalization (spectral norm) and data normalization
    (standardization, min-max scaling, image normalization and the ops that
    fit their statistics on training data).

    All ops work on ranked tensors with static or dynamic dimensions. Inputs
    are f16, bf16, f32 or f64; statistics of f16/bf16 inputs are kept in f32.
    Parameters (weight, bias, running statistics, spectral norm's `u`, image
    mean/std) have the input's element type or its statistics type, so
    mixed-precision models may keep f32 parameters for bf16 activations.
    The activation-normalization ops carry the forms that fusion produces: an
    `activation` applied to the normalized value and an optional `residual`
    operand (`y = act(norm(x + r))`, with `x + r` as an extra result).
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasCanonicalizer = 0;
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let extraClassDeclaration = [{
    /// Adds the dialect's attributes (defined in NormAttrs.cpp, where their
    /// storage classes are complete).
    void registerAttributes();
  }];
}

// Every shaped operand and result of static sizes holds at most
// kMaxValueBytes bytes (NormOps.h): the lowerings' heuristics multiply byte
// counts by tile sizes in 64 bits.
def Norm_AddressableShapes : NativeOpTrait<"AddressableShapes"> {
  let cppNamespace = "::mlir::norm::OpTrait";
}

class Norm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Norm_Dialect, mnemonic, !listconcat(traits, [Norm_AddressableShapes])>;

#endif // NORM_DIALECT_NORM_IR_NORMDIALECT_TD
