//===- NormAttrs.cpp - Attributes of the norm dialect ---------------------===//
//
// Part of norm-mlir.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormAttrs.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::norm;

#include "norm/Dialect/Norm/IR/NormEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "norm/Dialect/Norm/IR/NormAttrs.cpp.inc"

void NormDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "norm/Dialect/Norm/IR/NormAttrs.cpp.inc"
      >();
}

double ActivationAttr::getDefaultAlpha(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::LeakyRelu:
    return 0.01;
  case ActivationKind::Elu:
    return 1.0;
  default:
    return 0.0;
  }
}

bool ActivationAttr::hasAlpha(ActivationKind kind) {
  return kind == ActivationKind::LeakyRelu || kind == ActivationKind::Elu;
}

bool ActivationAttr::isInvertible() const {
  switch (getKind()) {
  case ActivationKind::None:
    return true;
  case ActivationKind::LeakyRelu:
  case ActivationKind::Elu:
    return getAlphaValue() > 0.0;
  default:
    return false;
  }
}

LogicalResult
ActivationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       ActivationKind kind, APFloat alpha) {
  double value = alpha.convertToDouble();
  if (!std::isfinite(value))
    return emitError() << "activation parameter must be finite";
  if (!hasAlpha(kind) && !alpha.isZero())
    return emitError() << "activation '" << stringifyActivationKind(kind)
                       << "' takes no parameter";
  if (kind == ActivationKind::Elu && value < 0.0)
    return emitError() << "elu alpha must be non-negative, got " << value;
  return success();
}

FailureOr<ActivationAttr> mlir::norm::parseActivationBody(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<ActivationKind> kind = symbolizeActivationKind(keyword);
  if (!kind)
    return parser.emitError(loc) << "unknown activation '" << keyword
                                 << "'; expected one of none, relu, "
                                    "leaky_relu, elu, gelu, gelu_tanh, silu, "
                                    "sigmoid, tanh";
  double alpha = ActivationAttr::getDefaultAlpha(*kind);
  if (succeeded(parser.parseOptionalLParen())) {
    SMLoc alphaLoc = parser.getCurrentLocation();
    if (!ActivationAttr::hasAlpha(*kind))
      return parser.emitError(alphaLoc)
             << "activation '" << keyword << "' takes no parameter";
    if (parser.parseFloat(alpha) || parser.parseRParen())
      return failure();
  }
  auto emitError = [&] { return parser.emitError(loc); };
  APFloat value(alpha);
  if (failed(ActivationAttr::verify(emitError, *kind, value)))
    return failure();
  return ActivationAttr::get(parser.getContext(), *kind, value);
}

void mlir::norm::printActivationBody(AsmPrinter &printer,
                                     ActivationAttr activation) {
  ActivationKind kind = activation.getKind();
  printer << stringifyActivationKind(kind);
  if (ActivationAttr::hasAlpha(kind) &&
      activation.getAlphaValue() != ActivationAttr::getDefaultAlpha(kind)) {
    printer << "(";
    printer.printFloat(activation.getAlpha());
    printer << ")";
  }
}

Attribute ActivationAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  FailureOr<ActivationAttr> activation = parseActivationBody(parser);
  if (failed(activation) || parser.parseGreater())
    return {};
  return *activation;
}

void ActivationAttr::print(AsmPrinter &printer) const {
  printer << "<";
  printActivationBody(printer, *this);
  printer << ">";
}
