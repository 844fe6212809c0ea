// torch-mlir's softmax (max with an unused argmax, exp(x - max), sum,
// division): raised into linalg.softmax.
// RUN: norm-opt --norm-raise %S/Inputs/softmax.linalg.mlir | FileCheck %s
// RUN: norm-opt --pass-pipeline='builtin.module(func.func(tosa-to-linalg-named,tosa-to-linalg,canonicalize),norm-raise)' %S/Inputs/softmax.tosa.mlir | FileCheck %s
// RUN: norm-opt --norm-raise --norm-decompose-aggregates %S/Inputs/softmax.linalg.mlir | FileCheck %s --check-prefix=DECOMPOSED

// CHECK-LABEL: func.func @forward(%arg0: tensor<4x8x32xf32>)
// CHECK-NOT:     linalg.generic
// CHECK:         linalg.softmax dimension(2) ins(%arg0 : tensor<4x8x32xf32>)
// CHECK-NOT:     linalg.generic

// DECOMPOSED-LABEL: func.func @forward
// DECOMPOSED-NOT:     linalg.softmax
// DECOMPOSED:         linalg.generic
