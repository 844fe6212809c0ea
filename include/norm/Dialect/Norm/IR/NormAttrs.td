//===- NormAttrs.td - Attributes of the norm dialect -------*- tablegen -*-===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMATTRS_TD
#define NORM_DIALECT_NORM_IR_NORMATTRS_TD

include "norm/Dialect/Norm/IR/NormDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Norm_ActivationKind : I32EnumAttr<"ActivationKind",
    "activation applied to a normalized value", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Relu", 1, "relu">,
  I32EnumAttrCase<"LeakyRelu", 2, "leaky_relu">,
  I32EnumAttrCase<"Elu", 3, "elu">,
  I32EnumAttrCase<"Gelu", 4, "gelu">,
  I32EnumAttrCase<"GeluTanh", 5, "gelu_tanh">,
  I32EnumAttrCase<"Silu", 6, "silu">,
  I32EnumAttrCase<"Sigmoid", 7, "sigmoid">,
  I32EnumAttrCase<"Tanh", 8, "tanh">,
  I32EnumAttrCase<"Relu6", 9, "relu6">,
  I32EnumAttrCase<"HardSigmoid", 10, "hardsigmoid">,
  I32EnumAttrCase<"HardSwish", 11, "hardswish">,
  I32EnumAttrCase<"Mish", 12, "mish">
]> {
  let cppNamespace = "::mlir::norm";
  let genSpecializedAttr = 0;
}

def Norm_ActivationAttr : AttrDef<Norm_Dialect, "Activation"> {
  let mnemonic = "activation";
  let summary = "An activation and its parameter";
  let description = [{
    `kind` is the activation; `alpha` its parameter: the negative slope of
    `leaky_relu` (default 0.01) and the `alpha` of `elu` (default 1.0). Other
    kinds have no parameter. `relu` is `x < 0 ? +0 : x`, as torch.relu: NaN
    and -0.0 pass through. `gelu` is the exact (erf) GELU, `gelu_tanh` its
    tanh approximation. `relu6` is `min(max(x, 0), 6)`, `hardsigmoid`
    `relu6(x + 3) / 6`, `hardswish` `x * hardsigmoid(x)` (MobileNetV3's),
    `mish` `x * tanh(softplus(x))`; all four propagate NaN as PyTorch's do.
    Written `#norm.activation<relu>` or
    `#norm.activation<leaky_relu(0.2)>`.
  }];
  let parameters = (ins
    EnumParameter<Norm_ActivationKind>:$kind,
    APFloatParameter<"parameter of leaky_relu and elu">:$alpha);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let skipDefaultBuilders = 1;
  let builders = [
    AttrBuilder<(ins "ActivationKind":$kind, CArg<"double", "-1.0">:$alpha), [{
      if (alpha < 0.0)
        alpha = ::mlir::norm::ActivationAttr::getDefaultAlpha(kind);
      return $_get($_ctxt, kind, ::llvm::APFloat(alpha));
    }]>,
    AttrBuilder<(ins "ActivationKind":$kind, "::llvm::APFloat":$alpha), [{
      return $_get($_ctxt, kind, alpha);
    }]>
  ];
  let extraClassDeclaration = [{
    /// The default parameter of `kind` (0 where it takes none).
    static double getDefaultAlpha(ActivationKind kind);
    /// Whether `kind` takes the `alpha` parameter.
    static bool hasAlpha(ActivationKind kind);
    bool isNone() const { return getKind() == ActivationKind::None; }
    double getAlphaValue() const { return getAlpha().convertToDouble(); }
    /// Whether y = act(x) can be inverted to recover x from y (identity,
    /// leaky_relu with a positive slope, elu with a positive alpha).
    bool isInvertible() const;
  }];
}

def Norm_ImageLayout : I32EnumAttr<"ImageLayout", "layout of an image batch", [
  I32EnumAttrCase<"NCHW", 0, "nchw">,
  I32EnumAttrCase<"NHWC", 1, "nhwc">
]> {
  let cppNamespace = "::mlir::norm";
}

#endif // NORM_DIALECT_NORM_IR_NORMATTRS_TD
