// RUN: not norm-opt %s 2>&1 | FileCheck %s --implicit-check-not='Stack dump' --implicit-check-not=PLEASE
// RUN: not norm-opt %s --norm-lower-to-cpu 2>&1 | FileCheck %s --implicit-check-not='Stack dump' --implicit-check-not=PLEASE

// Found by norm-fuzz: an unterminated hex string at the very end of the
// input, inside a resource section. Upstream MLIR's lexer (libMLIR 22.1)
// consumes the terminating NUL and then lexes past the end of the buffer;
// the fuzzer, whose buffer had nothing but NULs and unmapped memory after
// it, crashed in mlir::Lexer::lexToken. The tools must report the error.
// This file must end without a newline.

// CHECK: unterminated-resource-string.mlir:{{[0-9]+}}:{{[0-9]+}}: error: expected '"' in string literal

{-#
  dialect_resources: {
    builtin: {
      r: "0x0800