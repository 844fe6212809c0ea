// RUN: norm-opt %s --norm-x86-bf16-nontemporal-stores | FileCheck %s
// RUN: norm-opt %s --norm-x86-bf16-nontemporal-stores | mlir-translate --mlir-to-llvmir | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bf16,+avx512vl | FileCheck %s --check-prefix=ASM
// RUN: mlir-translate --mlir-to-llvmir %s | llc -O2 -mtriple=x86_64-unknown-linux-gnu -mattr=+avx512f,+avx512bf16,+avx512vl | FileCheck %s --check-prefix=BEFORE

// A non-temporal store of 16 bf16 (32 bytes): through an empty asm as
// <4 x i64>, so that X86 selects a streaming store. Without the pass the
// flag is lost (a plain vmovaps).
// CHECK-LABEL: llvm.func @bf16x16(
// CHECK-SAME: %[[V:.*]]: vector<16xbf16>, %[[P:.*]]: !llvm.ptr)
// CHECK: %[[B:.*]] = llvm.bitcast %[[V]] : vector<16xbf16> to vector<4xi64>
// CHECK: %[[O:.*]] = llvm.inline_asm asm_dialect = att "", "=v,0" %[[B]] : (vector<4xi64>) -> vector<4xi64>
// CHECK: llvm.store %[[O]], %[[P]] {alignment = 32 : i64, nontemporal} : vector<4xi64>, !llvm.ptr
// ASM-LABEL: bf16x16:
// ASM: vmovntps %ymm0, (%rdi)
// BEFORE-LABEL: bf16x16:
// BEFORE-NOT: vmovnt
// BEFORE: vmovaps %ymm0, (%rdi)
llvm.func @bf16x16(%v: vector<16xbf16>, %p: !llvm.ptr) {
  llvm.store %v, %p {alignment = 32 : i64, nontemporal} : vector<16xbf16>, !llvm.ptr
  llvm.return
}

// 32 bf16 (a zmm register).
// CHECK-LABEL: llvm.func @bf16x32(
// CHECK: llvm.inline_asm {{.*}} : (vector<8xi64>) -> vector<8xi64>
// CHECK: llvm.store %{{.*}} {alignment = 64 : i64, nontemporal} : vector<8xi64>, !llvm.ptr
// ASM-LABEL: bf16x32:
// ASM: vmovntps %zmm0, (%rdi)
llvm.func @bf16x32(%v: vector<32xbf16>, %p: !llvm.ptr) {
  llvm.store %v, %p {alignment = 64 : i64, nontemporal} : vector<32xbf16>, !llvm.ptr
  llvm.return
}

// Left alone: plain stores, f32 and f16 vectors (X86 streams those), scalars
// and vectors whose size is not a multiple of 128 bits (4 bf16 as <1 x i64>
// could not take the asm's vector register: llc failed with "couldn't
// allocate output register for constraint 'v'"; X86 streams them with
// `movnti` as they are).
// CHECK-LABEL: llvm.func @others(
// CHECK-NOT: llvm.inline_asm
// CHECK: llvm.store %{{.*}} : vector<16xbf16>, !llvm.ptr
// CHECK: llvm.store %{{.*}} {nontemporal} : vector<16xf32>, !llvm.ptr
// CHECK: llvm.store %{{.*}} {nontemporal} : vector<16xf16>, !llvm.ptr
// CHECK: llvm.store %{{.*}} {nontemporal} : bf16, !llvm.ptr
// CHECK: llvm.store %{{.*}} {nontemporal} : vector<3xbf16>, !llvm.ptr
// CHECK: llvm.store %{{.*}} {alignment = 8 : i64, nontemporal} : vector<4xbf16>, !llvm.ptr
// ASM-LABEL: others:
// ASM: movntiq
llvm.func @others(%a: vector<16xbf16>, %b: vector<16xf32>, %c: vector<16xf16>, %d: bf16, %e: vector<3xbf16>, %f: vector<4xbf16>, %p: !llvm.ptr) {
  llvm.store %a, %p : vector<16xbf16>, !llvm.ptr
  llvm.store %b, %p {nontemporal} : vector<16xf32>, !llvm.ptr
  llvm.store %c, %p {nontemporal} : vector<16xf16>, !llvm.ptr
  llvm.store %d, %p {nontemporal} : bf16, !llvm.ptr
  llvm.store %e, %p {nontemporal} : vector<3xbf16>, !llvm.ptr
  llvm.store %f, %p {alignment = 8 : i64, nontemporal} : vector<4xbf16>, !llvm.ptr
  llvm.return
}
