// RUN: norm-opt %s -split-input-file -norm-promote-scoped-buffers-to-stack | FileCheck %s
// RUN: norm-opt %s -split-input-file -norm-promote-scoped-buffers-to-stack=max-bytes=64 | FileCheck %s --check-prefix=LIMIT
// RUN: norm-opt %s -split-input-file -norm-promote-scoped-buffers-to-stack=max-bytes=0 | FileCheck %s --check-prefix=OFF
// RUN: norm-opt %s -split-input-file -norm-promote-scoped-buffers-to-stack=max-scope-bytes=2048 | FileCheck %s --check-prefix=BUDGET

// A group norm tile's per-channel buffer of run-time size in the scope of
// one loop iteration: on the stack when it holds at most 1 KiB, else on the
// heap, freed only then.

// CHECK-LABEL: func.func @per_channel_parameters
// CHECK-SAME:    (%[[N:.*]]: index
// CHECK:         memref.alloca_scope
// CHECK-DAG:       %[[MAX_BYTES:.*]] = arith.constant 1024 : index
// CHECK-DAG:       %[[ELEMENT:.*]] = arith.constant 4 : index
// CHECK:           %[[BOUNDED:.*]] = arith.cmpi ule, %[[N]], %[[MAX_BYTES]]
// CHECK:           %[[BYTES:.*]] = arith.muli %[[ELEMENT]], %[[N]]
// CHECK:           %[[FITS:.*]] = arith.cmpi ule, %[[BYTES]], %[[MAX_BYTES]]
// CHECK:           %[[SMALL:.*]] = arith.andi %[[BOUNDED]], %[[FITS]]
// CHECK:           %[[BUF:.*]] = scf.if %[[SMALL]] -> (memref<?xf32>) {
// CHECK-NEXT:        %[[STACK:.*]] = memref.alloca(%[[N]]) {alignment = 64 : i64} : memref<?xf32>
// CHECK-NEXT:        scf.yield %[[STACK]]
// CHECK-NEXT:      } else {
// CHECK-NEXT:        %[[HEAP:.*]] = memref.alloc(%[[N]]) {alignment = 64 : i64} : memref<?xf32>
// CHECK-NEXT:        scf.yield %[[HEAP]]
// CHECK:           linalg.fill ins(%{{.*}} : f32) outs(%[[BUF]] : memref<?xf32>)
// CHECK:           scf.if %[[SMALL]] {
// CHECK-NEXT:      } else {
// CHECK-NEXT:        memref.dealloc %[[BUF]] : memref<?xf32>
// CHECK-NEXT:      }
// LIMIT-LABEL: func.func @per_channel_parameters
// LIMIT:         arith.constant 64 : index
// LIMIT:         memref.alloca(
// OFF-LABEL:   func.func @per_channel_parameters
// OFF-NOT:       memref.alloca(
// OFF-NOT:       scf.if
func.func @per_channel_parameters(%n: index, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %cst = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.alloca_scope {
      %buf = memref.alloc(%n) {alignment = 64 : i64} : memref<?xf32>
      linalg.fill ins(%cst : f32) outs(%buf : memref<?xf32>)
      %view = memref.subview %buf[0] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1]>>
      %v = memref.load %view[%c0] : memref<?xf32, strided<[1]>>
      memref.store %v, %out[%i] : memref<?xf32>
      memref.dealloc %buf : memref<?xf32>
    }
  }
  return
}

// -----

// Two dynamic sizes and a static one: each dynamic size and each partial
// product is bounded before the next multiplication (no wrap-around), the
// static ones fold into the element size (4 x 3 = 12 bytes).

// OFF-LABEL:   func.func @two_dynamic_sizes
// OFF-NOT:       memref.alloca(
// CHECK-LABEL: func.func @two_dynamic_sizes
// CHECK-SAME:    (%[[M:.*]]: index, %[[N:.*]]: index)
// CHECK-DAG:     %[[MAX_BYTES:.*]] = arith.constant 1024 : index
// CHECK-DAG:     %[[STATIC:.*]] = arith.constant 12 : index
// CHECK:         arith.cmpi ule, %[[M]], %[[MAX_BYTES]]
// CHECK-NEXT:    %[[PART:.*]] = arith.muli %[[STATIC]], %[[M]]
// CHECK-NEXT:    arith.cmpi ule, %[[PART]], %[[MAX_BYTES]]
// CHECK:         arith.cmpi ule, %[[N]], %[[MAX_BYTES]]
// CHECK:         %[[BYTES:.*]] = arith.muli %[[PART]], %[[N]]
// CHECK-NEXT:    arith.cmpi ule, %[[BYTES]], %[[MAX_BYTES]]
// CHECK:         memref.alloca(%[[M]], %[[N]]) : memref<?x3x?xf32>
// CHECK:         memref.alloc(%[[M]], %[[N]]) : memref<?x3x?xf32>
func.func @two_dynamic_sizes(%m: index, %n: index) {
  memref.alloca_scope {
    %buf = memref.alloc(%m, %n) : memref<?x3x?xf32>
    %cst = arith.constant 0.0 : f32
    linalg.fill ins(%cst : f32) outs(%buf : memref<?x3x?xf32>)
    memref.dealloc %buf : memref<?x3x?xf32>
  }
  return
}

// -----

// Left alone: static sizes (upstream promote-buffers-to-stack's), static
// sizes alone over the limit, no allocation scope around, no dealloc, a
// view passed to a call (which may keep it), a view that is the scope's
// result, another memory space.

func.func private @keep(memref<?xf32>)

// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     memref.alloca(
// CHECK-NOT:     scf.if
// CHECK:         return
func.func @left_alone(%n: index) -> memref<?xf32, strided<[1]>> {
  memref.alloca_scope {
    %static = memref.alloc() : memref<16xf32>
    memref.dealloc %static : memref<16xf32>
    %large = memref.alloc(%n) : memref<?x512xf32>
    memref.dealloc %large : memref<?x512xf32>
    %kept = memref.alloc(%n) : memref<?xf32>
    func.call @keep(%kept) : (memref<?xf32>) -> ()
    memref.dealloc %kept : memref<?xf32>
    %space = memref.alloc(%n) : memref<?xf32, 1>
    memref.dealloc %space : memref<?xf32, 1>
  }
  %outside = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %outside : memref<?xf32>
  %returned = memref.alloca_scope -> memref<?xf32, strided<[1]>> {
    %buf = memref.alloc(%n) : memref<?xf32>
    %view = memref.subview %buf[0] [%n] [1] : memref<?xf32> to memref<?xf32, strided<[1]>>
    memref.alloca_scope.return %view : memref<?xf32, strided<[1]>>
  }
  memref.alloca_scope {
    %undeallocated = memref.alloc(%n) : memref<?xf32>
  }
  return %returned : memref<?xf32, strided<[1]>>
}

// -----

// An i24 element takes 4 bytes (LLVM's allocation size), not 3. A view of
// the buffer as an integer pointer stays in the scope: promoted.

// OFF-LABEL:   func.func @element_size_and_pointer
// CHECK-LABEL: func.func @element_size_and_pointer
// CHECK:         arith.constant 4 : index
// CHECK:         memref.alloca(
// CHECK:         memref.extract_aligned_pointer_as_index
func.func @element_size_and_pointer(%n: index) -> index {
  %p = memref.alloca_scope -> index {
    %buf = memref.alloc(%n) : memref<?xi24>
    %q = memref.extract_aligned_pointer_as_index %buf : memref<?xi24> -> index
    memref.dealloc %buf : memref<?xi24>
    memref.alloca_scope.return %q : index
  }
  return %p : index
}

// -----

// A scope's promoted buffers take at most max-scope-bytes, counting
// max-bytes each: with 2048 bytes, two of the three (in order).

// BUDGET-LABEL: func.func @scope_budget
// BUDGET-COUNT-2: memref.alloca(
// BUDGET-NOT:     memref.alloca(
// CHECK-LABEL:  func.func @scope_budget
// CHECK-COUNT-3:  memref.alloca(
func.func @scope_budget(%n: index) {
  memref.alloca_scope {
    %a = memref.alloc(%n) : memref<?xf32>
    %b = memref.alloc(%n) : memref<?xf32>
    %c = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %a : memref<?xf32>
    memref.dealloc %b : memref<?xf32>
    memref.dealloc %c : memref<?xf32>
  }
  return
}

// -----

// Left alone: a dealloc in a nested region or two of them (which free runs
// is not known here), a layout other than the identity, static sizes whose
// product overflows.

// CHECK-LABEL: func.func @dealloc_shapes
// CHECK-NOT:     memref.alloca(
// CHECK:         return
func.func @dealloc_shapes(%n: index, %flag: i1) {
  memref.alloca_scope {
    %nested = memref.alloc(%n) : memref<?xf32>
    scf.if %flag {
      memref.dealloc %nested : memref<?xf32>
    }
    %twice = memref.alloc(%n) : memref<?xf32>
    memref.dealloc %twice : memref<?xf32>
    memref.dealloc %twice : memref<?xf32>
    %shifted = memref.alloc(%n)[%n] : memref<?xf32, affine_map<(d0)[s0] -> (d0 + s0)>>
    memref.dealloc %shifted : memref<?xf32, affine_map<(d0)[s0] -> (d0 + s0)>>
    %huge = memref.alloc(%n) : memref<?x4611686018427387904x4xi8>
    memref.dealloc %huge : memref<?x4611686018427387904x4xi8>
  }
  return
}
