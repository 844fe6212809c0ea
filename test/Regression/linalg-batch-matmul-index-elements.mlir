// RUN: norm-opt %s 2>&1 | FileCheck %s --implicit-check-not='Stack dump' --implicit-check-not=PLEASE

// Found by fuzzing (2026-11-29). linalg.batch_matmul on `index` elements
// crashes upstream MLIR 22.1's parser (SIGSEGV while it builds the named
// op's region, no diagnostic first); plain mlir-opt crashes too, so the bug
// is in libMLIR, not in norm code. Expected once fixed upstream: the
// function parses (or a located error) and no crash.
// XFAIL: *

// CHECK: func.func @f
func.func @f(%q: tensor<4x16x32xindex>, %kt: tensor<4x32x16xindex>, %o: tensor<4x16x16xindex>) -> tensor<4x16x16xindex> {
  %s = linalg.batch_matmul ins(%q, %kt : tensor<4x16x32xindex>, tensor<4x32x16xindex>) outs(%o : tensor<4x16x16xindex>) -> tensor<4x16x16xindex>
  return %s : tensor<4x16x16xindex>
}
