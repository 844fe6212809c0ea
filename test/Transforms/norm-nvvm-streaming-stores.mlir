// RUN: norm-opt %s --pass-pipeline='builtin.module(gpu.module(norm-nvvm-streaming-stores))' \
// RUN:   --split-input-file | FileCheck %s

// A kernel's memref argument, as convert-gpu-to-nvvm passes it: the pointer
// rebuilt into a descriptor, extracted, offset. It addresses global memory:
// cast to address space 1, st.global.cs of four 32-bit words (8 x bf16).
// CHECK-LABEL: llvm.func @kernel_argument(
// CHECK-SAME: %[[ALLOC:[^:]*]]: !llvm.ptr, %[[ALIGNED:[^:]*]]: !llvm.ptr,
// CHECK-SAME: %[[V:[^:]*]]: vector<8xbf16>
// CHECK: %[[GEP:.*]] = llvm.getelementptr %{{.*}}[%{{.*}}] : (!llvm.ptr, i64) -> !llvm.ptr, bf16
// CHECK: %[[GLOBAL:.*]] = llvm.addrspacecast %[[GEP]] : !llvm.ptr to !llvm.ptr<1>
// CHECK: %[[WORDS:.*]] = llvm.bitcast %[[V]] : vector<8xbf16> to vector<4xi32>
// CHECK: %[[W0:.*]] = llvm.extractelement %[[WORDS]][%{{.*}} : i32] : vector<4xi32>
// CHECK: %[[W1:.*]] = llvm.extractelement %[[WORDS]][%{{.*}} : i32] : vector<4xi32>
// CHECK: %[[W2:.*]] = llvm.extractelement %[[WORDS]][%{{.*}} : i32] : vector<4xi32>
// CHECK: %[[W3:.*]] = llvm.extractelement %[[WORDS]][%{{.*}} : i32] : vector<4xi32>
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "st.global.cs.v4.b32 [$0], {$1, $2, $3, $4};", "l,r,r,r,r,~{memory}" %[[GLOBAL]], %[[W0]], %[[W1]], %[[W2]], %[[W3]] : (!llvm.ptr<1>, i32, i32, i32, i32) -> ()
// CHECK-NOT: llvm.store
gpu.module @kernels {
  llvm.func @kernel_argument(%alloc: !llvm.ptr, %aligned: !llvm.ptr,
                             %offset: i64, %v: vector<8xbf16>)
      attributes {gpu.kernel, nvvm.kernel} {
    %undef = llvm.mlir.poison : !llvm.struct<(ptr, ptr, i64)>
    %d0 = llvm.insertvalue %alloc, %undef[0] : !llvm.struct<(ptr, ptr, i64)>
    %d1 = llvm.insertvalue %aligned, %d0[1] : !llvm.struct<(ptr, ptr, i64)>
    %d2 = llvm.insertvalue %offset, %d1[2] : !llvm.struct<(ptr, ptr, i64)>
    %base = llvm.extractvalue %d2[1] : !llvm.struct<(ptr, ptr, i64)>
    %p = llvm.getelementptr %base[%offset] : (!llvm.ptr, i64) -> !llvm.ptr, bf16
    llvm.store %v, %p {alignment = 16 : i64, nontemporal} : vector<8xbf16>, !llvm.ptr
    llvm.return
  }
}

// -----

// A global pointer: st.global.cs; f32 as one word, vector<2xf32> as two,
// a bf16 scalar as a 16-bit register.
// CHECK-LABEL: llvm.func @global_pointer(
// CHECK: %[[F:.*]] = llvm.bitcast %{{.*}} : f32 to i32
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "st.global.cs.b32 [$0], $1;", "l,r,~{memory}" %{{.*}}, %[[F]] : (!llvm.ptr<1>, i32) -> ()
// CHECK: llvm.bitcast %{{.*}} : vector<2xf32> to vector<2xi32>
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "st.global.cs.v2.b32 [$0], {$1, $2};", "l,r,r,~{memory}"
// CHECK: %[[H:.*]] = llvm.bitcast %{{.*}} : bf16 to i16
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "st.global.cs.b16 [$0], $1;", "l,h,~{memory}" %{{.*}}, %[[H]] : (!llvm.ptr<1>, i16) -> ()
// CHECK-NOT: llvm.store
gpu.module @kernels {
  llvm.func @global_pointer(%p: !llvm.ptr<1>, %f: f32, %v: vector<2xf32>,
                            %h: bf16) {
    llvm.store %f, %p {alignment = 4 : i64, nontemporal} : f32, !llvm.ptr<1>
    llvm.store %v, %p {alignment = 8 : i64, nontemporal} : vector<2xf32>, !llvm.ptr<1>
    llvm.store %h, %p {alignment = 2 : i64, nontemporal} : bf16, !llvm.ptr<1>
    llvm.return
  }
}

// -----

// A generic pointer that does not come from a kernel argument may address
// any space: generic st.cs.
// CHECK-LABEL: llvm.func @generic_pointer(
// CHECK-NOT: llvm.addrspacecast
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "st.cs.v4.b32 [$0], {$1, $2, $3, $4};", "l,r,r,r,r,~{memory}" %{{.*}} : (!llvm.ptr, i32, i32, i32, i32) -> ()
gpu.module @kernels {
  llvm.func @generic_pointer(%p: !llvm.ptr, %v: vector<4xf32>) {
    llvm.store %v, %p {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr
    llvm.return
  }
}

// -----

// Generic pointers inside a kernel that do not trace to a global argument
// stay generic (st.cs, no cast): a shared buffer at the descriptor
// position stored to (the argument, inserted last, at another one); a position
// whose enclosing struct was replaced after the argument went in; an
// argument passed by value (parameter space).
// CHECK-LABEL: llvm.func @shared_at_position(
// CHECK-NOT: llvm.addrspacecast %{{.*}} : !llvm.ptr to !llvm.ptr<1>
// CHECK: "st.cs.v4.b32 [$0], {$1, $2, $3, $4};"
// CHECK-LABEL: llvm.func @replaced_enclosing_struct(
// CHECK-NOT: llvm.addrspacecast %{{.*}} : !llvm.ptr to !llvm.ptr<1>
// CHECK: "st.cs.v4.b32 [$0], {$1, $2, $3, $4};"
// CHECK-LABEL: llvm.func @by_value(
// CHECK-NOT: llvm.addrspacecast
// CHECK: "st.cs.v4.b32 [$0], {$1, $2, $3, $4};"
gpu.module @kernels {
  llvm.mlir.global internal @buffer() {addr_space = 3 : i32} : !llvm.array<64 x f32>
  llvm.func @shared_at_position(%arg: !llvm.ptr, %v: vector<4xf32>)
      attributes {gpu.kernel, nvvm.kernel} {
    %shared = llvm.mlir.addressof @buffer : !llvm.ptr<3>
    %generic = llvm.addrspacecast %shared : !llvm.ptr<3> to !llvm.ptr
    %undef = llvm.mlir.poison : !llvm.struct<(ptr, ptr)>
    %d0 = llvm.insertvalue %generic, %undef[1] : !llvm.struct<(ptr, ptr)>
    %d1 = llvm.insertvalue %arg, %d0[0] : !llvm.struct<(ptr, ptr)>
    %p = llvm.extractvalue %d1[1] : !llvm.struct<(ptr, ptr)>
    llvm.store %v, %p {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr
    llvm.return
  }
  llvm.func @replaced_enclosing_struct(%arg: !llvm.ptr, %v: vector<4xf32>)
      attributes {gpu.kernel, nvvm.kernel} {
    %shared = llvm.mlir.addressof @buffer : !llvm.ptr<3>
    %generic = llvm.addrspacecast %shared : !llvm.ptr<3> to !llvm.ptr
    %outer = llvm.mlir.poison : !llvm.struct<(struct<(ptr, ptr)>, i64)>
    %o0 = llvm.insertvalue %arg, %outer[0, 1] : !llvm.struct<(struct<(ptr, ptr)>, i64)>
    %inner = llvm.mlir.poison : !llvm.struct<(ptr, ptr)>
    %i1 = llvm.insertvalue %generic, %inner[1] : !llvm.struct<(ptr, ptr)>
    %o1 = llvm.insertvalue %i1, %o0[0] : !llvm.struct<(struct<(ptr, ptr)>, i64)>
    %p = llvm.extractvalue %o1[0, 1] : !llvm.struct<(struct<(ptr, ptr)>, i64)>
    llvm.store %v, %p {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr
    llvm.return
  }
  llvm.func @by_value(%arg: !llvm.ptr {llvm.byval = !llvm.struct<(f32, f32, f32, f32)>, llvm.align = 16 : i64},
                      %v: vector<4xf32>) attributes {gpu.kernel, nvvm.kernel} {
    llvm.store %v, %arg {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr
    llvm.return
  }
}

// -----

// Host code (outside gpu.module) is not visited: the pass runs on the
// kernels' module.
// CHECK-LABEL: llvm.func @host(
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr
llvm.func @host(%p: !llvm.ptr, %v: vector<4xf32>) {
  llvm.store %v, %p {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr
  llvm.return
}
gpu.module @kernels {
}

// -----

// Left alone: temporal stores, volatile and atomic ones, under-aligned
// vectors, shared memory (address space 3), and sizes PTX has no single
// store of (12 bytes).
// CHECK-LABEL: llvm.func @not_rewritten(
// CHECK-NOT: llvm.inline_asm
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : vector<4xf32>, !llvm.ptr<1>
// CHECK: llvm.store volatile %{{.*}}, %{{.*}} {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr<1>
// CHECK: llvm.store %{{.*}}, %{{.*}} atomic monotonic {alignment = 4 : i64, nontemporal} : f32, !llvm.ptr<1>
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 4 : i64, nontemporal} : vector<4xf32>, !llvm.ptr<1>
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr<3>
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64, nontemporal} : vector<3xf32>, !llvm.ptr<1>
gpu.module @kernels {
  llvm.func @not_rewritten(%p: !llvm.ptr<1>, %s: !llvm.ptr<3>,
                           %v: vector<4xf32>, %w: vector<3xf32>, %f: f32) {
    llvm.store %v, %p {alignment = 16 : i64} : vector<4xf32>, !llvm.ptr<1>
    llvm.store volatile %v, %p {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr<1>
    llvm.store %f, %p atomic monotonic {alignment = 4 : i64, nontemporal} : f32, !llvm.ptr<1>
    llvm.store %v, %p {alignment = 4 : i64, nontemporal} : vector<4xf32>, !llvm.ptr<1>
    llvm.store %v, %s {alignment = 16 : i64, nontemporal} : vector<4xf32>, !llvm.ptr<3>
    llvm.store %w, %p {alignment = 16 : i64, nontemporal} : vector<3xf32>, !llvm.ptr<1>
    llvm.return
  }
}
