// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu="approximate-math=0" | FileCheck %s --check-prefix=LIBM
// RUN: norm-opt %s --norm-lower-to-cpu | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=NT
// RUN: norm-opt %s --norm-lower-to-cpu="nontemporal-stores=0" | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=PLAIN
// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s --check-prefix=PF
// RUN: norm-opt %s --norm-lower-to-cpu="prefetch-next-tile=0" | FileCheck %s --check-prefix=NOPF

// A norm op returned through bufferization.materialize_in_destination (the
// form the Python builder writes) is computed straight into the caller's
// buffer: the tensor.empty that the lowering and the row forall write into
// is eliminated before bufferization, so there is no full-size temporary
// (malloc before the parallel loop) and no copy of it after.
// CHECK-LABEL: llvm.func @layer_norm_gelu(
// CHECK-NOT: llvm.call @malloc
// CHECK: omp.parallel
// CHECK: omp.wsloop
// GELU's erf is a polynomial (approximate-math, the default), not a call.
// The row loop exists three times (aligned-stores: a version for 64-byte
// aligned outputs, one for 16-byte aligned ones, then the original); no
// full-size copy follows the last.
// CHECK-NOT: llvm.call @erff
// CHECK: omp.terminator
// CHECK: omp.parallel
// CHECK-NOT: llvm.call @erff
// CHECK: omp.terminator
// CHECK: omp.parallel
// CHECK-NOT: llvm.call @erff
// CHECK: omp.terminator
// CHECK-NOT: llvm.intr.memcpy
// CHECK-NOT: memrefCopy
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @_mlir_ciface_layer_norm_gelu(

// LIBM-LABEL: llvm.func @layer_norm_gelu(
// LIBM: llvm.call @erff

// With nontemporal-stores (the default), the output rows are written by 16-wide vector
// stores marked !nontemporal (the row statistics stay scalar loops).
// NT-LABEL: define {{.*}}@layer_norm_gelu..omp_par(
// NT: store <16 x float> %{{.*}}, ptr %{{.*}}, align 4, !nontemporal ![[NTMD:[0-9]+]]
// NT: ![[NTMD]] = !{i32 1}
// Without, LLVM vectorizes the scalar loops and nothing is non-temporal.
// PLAIN-LABEL: define {{.*}}@layer_norm_gelu..omp_par(
// PLAIN-NOT: !nontemporal
// GELU's arithmetic makes the normalization loop compute-bound: it
// prefetches the next row tile into L2 (norm-prefetch-next-row-tile), in
// both versions of the loop.
// PF-LABEL: llvm.func @layer_norm_gelu(
// PF: omp.parallel
// PF: "llvm.intr.prefetch"(%{{.*}}) <{cache = 1 : i32, hint = 2 : i32, rw = 0 : i32}>
// PF: omp.parallel
// PF: "llvm.intr.prefetch"(%{{.*}}) <{cache = 1 : i32, hint = 2 : i32, rw = 0 : i32}>
// PF: llvm.return
// NOPF-NOT: llvm.intr.prefetch
func.func @layer_norm_gelu(%x: tensor<8192x4096xf32>, %out: tensor<8192x4096xf32>) -> tensor<8192x4096xf32>
    attributes {llvm.emit_c_interface} {
  %y = norm.layer_norm %x axes = [1] activation = gelu : tensor<8192x4096xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<8192x4096xf32>, tensor<8192x4096xf32>) -> tensor<8192x4096xf32>
  return %r : tensor<8192x4096xf32>
}
