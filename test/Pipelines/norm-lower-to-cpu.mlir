// RUN: norm-opt %s --norm-lower-to-cpu | FileCheck %s --check-prefixes=CHECK,OMP
// RUN: norm-opt %s --norm-lower-to-cpu="openmp=0 tile-size=0 fast-math=0" | FileCheck %s --check-prefixes=CHECK,SEQ
// RUN: norm-opt %s --norm-lower-to-cpu | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// Only the LLVM dialect is left; the output buffer is written in place (no
// copy of it per call) and the C interface takes two descriptors.
// CHECK-NOT: bufferization.
// CHECK-NOT: memref.
// CHECK-LABEL: llvm.func @center(
// OMP: omp.parallel
// OMP: omp.wsloop
// OMP: llvm.fsub {{.*}}fastmathFlags = #llvm.fastmath<contract, reassoc>
// SEQ-NOT: omp.
// SEQ-NOT: fastmath
// CHECK-NOT: llvm.intr.memcpy
// CHECK-LABEL: llvm.func @_mlir_ciface_center(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-SAME: norm.tied_results = array<i64: 1>

// LLVM: define void @_mlir_ciface_center(ptr %0, ptr %1)
#x = affine_map<(d0, d1) -> (d0, d1)>
#r = affine_map<(d0, d1) -> (d0)>
func.func @center(%x: tensor<?x?xbf16>, %out: tensor<?x?xbf16>) -> tensor<?x?xbf16>
    attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x?xbf16>
  %e = tensor.empty(%rows) : tensor<?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [#x, #r], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x?xbf16>) outs(%z : tensor<?xf32>) {
  ^bb0(%a: bf16, %acc: f32):
    %w = arith.extf %a : bf16 to f32
    %v = arith.addf %w, %acc : f32
    linalg.yield %v : f32
  } -> tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#x, #r, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<?x?xbf16>, tensor<?xf32>) outs(%out : tensor<?x?xbf16>) {
  ^bb0(%a: bf16, %m: f32, %o: bf16):
    %w = arith.extf %a : bf16 to f32
    %v = arith.subf %w, %m : f32
    %n = arith.truncf %v : f32 to bf16
    linalg.yield %n : bf16
  } -> tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}
