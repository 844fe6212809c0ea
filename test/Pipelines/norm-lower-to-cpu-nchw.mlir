// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=NT
// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s --check-prefix=NOPF

// BatchNorm on NCHW planes of 6 x 8: norm-collapse-inner-dims makes each
// plane one loop of 48 = 3 x 16 elements, so the plane is written with
// 16-wide non-temporal vector stores straight into the caller's buffer
// (the collapse and the expansion back fold away: no temporary, no copy).
// CHECK-LABEL: llvm.func @batch_norm_nchw(
// CHECK-NOT: llvm.call @malloc
// CHECK: omp.parallel
// CHECK: llvm.store %{{.*}} {alignment = 64 : i64, nontemporal} : vector<16xf32>, !llvm.ptr
// CHECK: omp.terminator
// CHECK: omp.parallel
// CHECK: llvm.store %{{.*}} {alignment = 16 : i64, nontemporal} : vector<16xf32>, !llvm.ptr
// CHECK: omp.terminator
// CHECK: omp.parallel
// CHECK: llvm.store %{{.*}} {alignment = 4 : i64, nontemporal} : vector<16xf32>, !llvm.ptr
// CHECK: omp.terminator
// CHECK-NOT: llvm.intr.memcpy
// CHECK-NOT: memrefCopy
// CHECK: llvm.return{{$}}

// A memory-bound normalization (5 operations per store): no prefetches
// (norm-prefetch-next-row-tile).
// NOPF-NOT: llvm.intr.prefetch

// NT-LABEL: define {{.*}}@batch_norm_nchw..omp_par.2(
// NT: store <16 x float> %{{.*}}, ptr %{{.*}}, align 64, !nontemporal
func.func @batch_norm_nchw(%x: tensor<2x4x6x8xf32>, %mean: tensor<4xf32>, %var: tensor<4xf32>, %out: tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
    attributes {llvm.emit_c_interface} {
  %y = norm.batch_norm_inference %x mean(%mean : tensor<4xf32>) var(%var : tensor<4xf32>) activation = relu : tensor<2x4x6x8xf32>
  %r = bufferization.materialize_in_destination %y in %out : (tensor<2x4x6x8xf32>, tensor<2x4x6x8xf32>) -> tensor<2x4x6x8xf32>
  return %r : tensor<2x4x6x8xf32>
}
