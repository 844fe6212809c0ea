// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-nontemporal-stores))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-nontemporal-stores{aligned-versions=0}))' | FileCheck %s --check-prefix=NOVERSION

// Row tiles of [8 x 768] f32 written 16 elements at a time: every store is
// at a multiple of 16 elements (64 bytes) from the argument's first element
// (row stride 768, column index a multiple of 16), so the loop is versioned
// on the argument's run-time alignment and the clone's stores carry it.
// A second clone, for arguments 16-byte aligned (numpy's), has stores of
// that alignment (one 16-byte vmovntps each, not eight 8-byte movnti); the
// rows of [8 x 768] are long contiguous pieces, so they stream there too.
// CHECK-LABEL: func.func @rows(
// CHECK-SAME: %[[X:arg[0-9]+]]: memref<8192x768xf32>, %[[Y:arg[0-9]+]]: memref<8192x768xf32>)
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK: %[[BASE:.*]], %[[OFFSET:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[Y]]
// CHECK: %[[FOUR:.*]] = arith.constant 4 : index
// CHECK: %[[BYTES:.*]] = arith.muli %[[OFFSET]], %[[FOUR]]
// CHECK: %[[ADDR:.*]] = arith.addi %[[PTR]], %[[BYTES]]
// CHECK: %[[MASK:.*]] = arith.constant 63 : index
// CHECK: %[[LOW:.*]] = arith.andi %[[ADDR]], %[[MASK]]
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[LOW]], %{{c0.*}}
// CHECK: %[[MASK16:.*]] = arith.constant 15 : index
// CHECK: %[[LOW16:.*]] = arith.andi %{{.*}}, %[[MASK16]]
// CHECK: %[[OK16:.*]] = arith.cmpi eq, %[[LOW16]], %{{c0.*}}
// CHECK: scf.if %[[OK]] {
// CHECK:   scf.parallel
// CHECK:     vector.store %{{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK: } else {
// CHECK:   scf.if %[[OK16]] {
// CHECK:     scf.parallel
// CHECK:       vector.store %{{.*}} {alignment = 16 : i64, nontemporal = true}
// CHECK:   } else {
// CHECK:     scf.parallel
// CHECK:       vector.store %{{.*}} {nontemporal = true}
// CHECK:   }
// CHECK: }
// CHECK: return
// NOVERSION-LABEL: func.func @rows(
// NOVERSION-NOT: scf.if
// NOVERSION-NOT: alignment
// NOVERSION: vector.store %{{.*}} {nontemporal = true}
func.func @rows(%x: memref<8192x768xf32>, %y: memref<8192x768xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c768 = arith.constant 768 : index
  %c8192 = arith.constant 8192 : index
  scf.parallel (%t) = (%c0) to (%c8192) step (%c8) {
    %xt = memref.subview %x[%t, 0] [8, 768] [1, 1] : memref<8192x768xf32> to memref<8x768xf32, strided<[768, 1], offset: ?>>
    %yt = memref.subview %y[%t, 0] [8, 768] [1, 1] : memref<8192x768xf32> to memref<8x768xf32, strided<[768, 1], offset: ?>>
    scf.for %r = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %c768 step %c16 {
        %v = vector.load %xt[%r, %j] : memref<8x768xf32, strided<[768, 1], offset: ?>>, vector<16xf32>
        %s = arith.addf %v, %v : vector<16xf32>
        %ys = memref.subview %yt[%r, %j] [1, 16] [1, 1] : memref<8x768xf32, strided<[768, 1], offset: ?>> to memref<1x16xf32, strided<[768, 1], offset: ?>>
        vector.store %s, %ys[%c0, %c0] : memref<1x16xf32, strided<[768, 1], offset: ?>>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// LayerNorm2d's row tiles: per tile, 64 pixels of each of the 96 channel
// planes, contiguous pieces of 256 bytes. When the output is not 64-byte
// aligned, the lines a piece starts and ends in are finished by another
// tile: the versions for such outputs store them with plain stores.
// CHECK-LABEL: func.func @short_pieces(
// CHECK: scf.if
// CHECK:   vector.store %{{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK: } else {
// CHECK:   scf.if
// CHECK:     vector.store %{{.*}} {alignment = 16 : i64} :
// CHECK:   } else {
// CHECK:     vector.store %{{.*}}[%{{.*}}] :
// CHECK-NOT: nontemporal
// CHECK: return
func.func @short_pieces(%y: memref<8x96x3136xf32>, %v: vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c96 = arith.constant 96 : index
  %c3136 = arith.constant 3136 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%n, %p) = (%c0, %c0) to (%c8, %c3136) step (%c1, %c64) {
    %tile = memref.subview %y[%n, 0, %p] [1, 96, 64] [1, 1, 1] : memref<8x96x3136xf32> to memref<1x96x64xf32, strided<[301056, 3136, 1], offset: ?>>
    scf.for %c = %c0 to %c96 step %c1 {
      scf.for %j = %c0 to %c64 step %c16 {
        vector.store %v, %tile[%c0, %c, %j] : memref<1x96x64xf32, strided<[301056, 3136, 1], offset: ?>>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// Columns from 8 in steps of 16: offsets 8, 24, ... are not multiples of 16
// elements, so nothing is versioned (the stores stay non-temporal).
// CHECK-LABEL: func.func @shifted_columns(
// CHECK-NOT: scf.if
// CHECK-NOT: alignment
// CHECK: vector.store %{{.*}} {nontemporal = true}
func.func @shifted_columns(%y: memref<64x776xf32>, %v: vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c776 = arith.constant 776 : index
  scf.parallel (%r) = (%c0) to (%c64) step (%c1) {
    scf.for %j = %c8 to %c776 step %c16 {
      vector.store %v, %y[%r, %j] : memref<64x776xf32>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A row stride that is not a multiple of 16 elements (100 floats = 400
// bytes): row r starts at 400 * r bytes, not 64-byte aligned.
// CHECK-LABEL: func.func @odd_row_stride(
// CHECK-NOT: scf.if
// CHECK-NOT: alignment
func.func @odd_row_stride(%y: memref<64x100xf32>, %v: vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c96 = arith.constant 96 : index
  scf.parallel (%r) = (%c0) to (%c64) step (%c1) {
    scf.for %j = %c0 to %c96 step %c16 {
      vector.store %v, %y[%r, %j] : memref<64x100xf32>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// Dynamic row stride (rows of a length known at run time): the row term
// is a multiple of 16 elements when the stride is, so the condition also
// checks the argument's stride, in bytes. Only that version streams: there
// the rows are whole vectors; elsewhere a row's masked last vector (a
// plain store) would share lines with the non-temporal stores, so all of
// the row's stores are plain (no 16-byte version either).
// CHECK-LABEL: func.func @dynamic_stride(
// CHECK-SAME: %[[Y:arg[0-9]+]]: memref<?x?xf32>
// CHECK: memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK: memref.extract_strided_metadata %[[Y]]
// CHECK: %[[BYTES:.*]] = arith.muli %{{[a-z_0-9]+}}#0, %{{.*}} : index
// CHECK: %[[C63:.*]] = arith.constant 63 : index
// CHECK: %[[SA:.*]] = arith.andi %[[BYTES]], %[[C63]] : index
// CHECK: %[[SAL:.*]] = arith.cmpi eq, %[[SA]], %{{.*}} : index
// CHECK: %[[BOTH:.*]] = arith.andi %{{.*}}, %[[SAL]] : i1
// CHECK: scf.if %[[BOTH]] {
// CHECK:   vector.store {{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK: } else {
// CHECK-NOT: scf.if
// CHECK:   vector.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x?xf32>, vector<16xf32>
// CHECK: return
func.func @dynamic_stride(%y: memref<?x?xf32>, %v: vector<16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.parallel (%r) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %n step %c16 {
      vector.store %v, %y[%r, %j] : memref<?x?xf32>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A dynamic stride made by an expansion of the argument's unit, static
// stride (rows of run-time length in a flat buffer): no stride of the
// argument that a condition could check, nothing is provable, and the
// store is plain.
// CHECK-LABEL: func.func @expanded_dynamic_stride(
// CHECK-NOT: scf.if
// CHECK: vector.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x?xf32>, vector<16xf32>
func.func @expanded_dynamic_stride(%y: memref<?xf32>, %v: vector<16xf32>, %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %e = memref.expand_shape %y [[0, 1]] output_shape [%n, %m] : memref<?xf32> into memref<?x?xf32>
  scf.parallel (%r) = (%c0) to (%n) step (%c1) {
    scf.for %j = %c0 to %m step %c16 {
      vector.store %v, %e[%r, %j] : memref<?x?xf32>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// Two outputs (y and a bf16 copy): both arguments are checked, each to the
// size of its stores (64 bytes for 16 x f32, 32 bytes for 16 x bf16), and
// combined into one condition; an affine.apply index (4 * i, i in steps of
// 4) is a multiple of 16.
// CHECK-LABEL: func.func @two_outputs(
// CHECK-SAME: %[[Y:arg[0-9]+]]: memref<64x256xf32>, %[[Z:arg[0-9]+]]: memref<64x256xbf16>
// CHECK-DAG: memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK-DAG: memref.extract_aligned_pointer_as_index %[[Z]]
// CHECK-DAG: arith.constant 63 : index
// CHECK-DAG: arith.constant 31 : index
// CHECK: %[[BOTH:.*]] = arith.andi %{{.*}}, %{{.*}} : i1
// CHECK: scf.if %[[BOTH]] {
// CHECK: vector.store %{{.*}}, %[[Y]]{{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK: vector.store %{{.*}}, %[[Z]]{{.*}} {alignment = 32 : i64, nontemporal = true}
// CHECK: } else {
func.func @two_outputs(%y: memref<64x256xf32>, %z: memref<64x256xbf16>,
                       %v: vector<16xf32>, %w: vector<16xbf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%r) = (%c0) to (%c64) step (%c1) {
    scf.for %i = %c0 to %c64 step %c4 {
      %j = affine.apply affine_map<(d0) -> (d0 * 4)>(%i)
      vector.store %v, %y[%r, %j] : memref<64x256xf32>, vector<16xf32>
      vector.store %w, %z[%r, %j] : memref<64x256xbf16>, vector<16xbf16>
    }
    scf.reduce
  }
  return
}

// -----

// A local buffer is not an output: no non-temporal store, no version.
// CHECK-LABEL: func.func @local_buffer(
// CHECK-NOT: scf.if
// CHECK-NOT: nontemporal
func.func @local_buffer(%v: vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %m = memref.alloc() : memref<4x16xf32>
  scf.parallel (%r) = (%c0) to (%c4) step (%c1) {
    vector.store %v, %m[%r, %c0] : memref<4x16xf32>, vector<16xf32>
    scf.reduce
  }
  memref.dealloc %m : memref<4x16xf32>
  return
}

// -----

// A contraction's register tile writes rows of 32 f32 (128 bytes) at
// columns that are multiples of 32: LLVM splits such a store into 64-byte
// stores, so 64-byte alignment is all it needs (without it, an unaligned
// non-temporal store becomes 8-byte `movntsd` pieces).
// CHECK-LABEL: func.func @wide_tile_rows(
// CHECK: scf.if
// CHECK:   vector.store %{{.*}} {alignment = 64 : i64, nontemporal = true} : memref<{{.*}}>, vector<32xf32>
// CHECK: } else {
// CHECK:   vector.store %{{.*}} {nontemporal = true} : memref<{{.*}}>, vector<32xf32>
func.func @wide_tile_rows(%y: memref<512x768xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c768 = arith.constant 768 : index
  %c512 = arith.constant 512 : index
  %v = arith.constant dense<1.0> : vector<32xf32>
  scf.parallel (%i) = (%c0) to (%c512) step (%c32) {
    scf.for %j = %c0 to %c768 step %c32 {
      vector.store %v, %y[%i, %j] : memref<512x768xf32>, vector<32xf32>
    }
    scf.reduce
  }
  return
}

// -----

// A 128-byte store at columns that are multiples of 16 only (64 bytes): its
// start is still 64-byte aligned when the argument is.
// CHECK-LABEL: func.func @wide_store_half_offsets(
// CHECK: vector.store %{{.*}} {alignment = 64 : i64, nontemporal = true} : memref<{{.*}}>, vector<32xf32>
func.func @wide_store_half_offsets(%y: memref<64x768xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c736 = arith.constant 736 : index
  %v = arith.constant dense<1.0> : vector<32xf32>
  scf.for %j = %c0 to %c736 step %c16 {
    vector.store %v, %y[%c0, %j] : memref<64x768xf32>, vector<32xf32>
  }
  return
}

// -----

// Columns that are multiples of 8 only: a 128-byte store there is 32-byte
// aligned at best, below the 64 bytes it would need; nothing is versioned.
// CHECK-LABEL: func.func @wide_store_unaligned_offsets(
// CHECK-NOT: scf.if
// CHECK-NOT: alignment
// CHECK: vector.store %{{.*}} {nontemporal = true} : memref<{{.*}}>, vector<32xf32>
func.func @wide_store_unaligned_offsets(%y: memref<64x768xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c736 = arith.constant 736 : index
  %v = arith.constant dense<1.0> : vector<32xf32>
  scf.for %j = %c0 to %c736 step %c8 {
    vector.store %v, %y[%c0, %j] : memref<64x768xf32>, vector<32xf32>
  }
  return
}

// -----

// Two loops writing different outputs (batch norm training: the
// normalized tensor, then the per-channel statistics): each loop checks only
// the arguments it writes, so a misaligned statistics vector does not send
// the large loop to its unaligned version.
// CHECK-LABEL: func.func @per_loop_conditions(
// CHECK-SAME: %[[Y:arg[0-9]+]]: memref<64x256xf32>, %[[M:arg[0-9]+]]: memref<256xf32>
// CHECK-DAG: %[[YPTR:.*]] = memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK-DAG: %[[MPTR:.*]] = memref.extract_aligned_pointer_as_index %[[M]]
// CHECK-DAG: %[[YADDR:.*]] = arith.addi %[[YPTR]],
// CHECK-DAG: %[[MADDR:.*]] = arith.addi %[[MPTR]],
// CHECK: %[[YLOW:.*]] = arith.andi %[[YADDR]], %{{.*}} : index
// CHECK: %[[YOK:.*]] = arith.cmpi eq, %[[YLOW]]
// CHECK-NOT: %[[MADDR]]
// CHECK: scf.if %[[YOK]] {
// CHECK:   vector.store %{{.*}}, %[[Y]]{{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK-NOT: vector.store %{{.*}}, %[[M]]
// CHECK: }
// CHECK: %[[MLOW:.*]] = arith.andi %[[MADDR]], %{{.*}} : index
// CHECK: %[[MOK:.*]] = arith.cmpi eq, %[[MLOW]]
// CHECK: scf.if %[[MOK]] {
// CHECK:   vector.store %{{.*}}, %[[M]]{{.*}} {alignment = 64 : i64, nontemporal = true}
func.func @per_loop_conditions(%y: memref<64x256xf32>, %m: memref<256xf32>,
                               %v: vector<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c256 = arith.constant 256 : index
  scf.parallel (%r) = (%c0) to (%c64) step (%c1) {
    scf.for %j = %c0 to %c256 step %c16 {
      vector.store %v, %y[%r, %j] : memref<64x256xf32>, vector<16xf32>
    }
    scf.reduce
  }
  scf.for %j = %c0 to %c256 step %c16 {
    vector.store %v, %m[%j] : memref<256xf32>, vector<16xf32>
  }
  return
}

// -----

// A cast hides the argument's static row stride (1000 f32, 4000 bytes: no
// multiple of 64) behind a `?`: the dynamic stride of the view is not one
// of the argument's dynamic strides, so nothing is assumed of it (before,
// the store got `alignment = 64` behind no stride check, wrong on odd
// rows); the store, at a dynamic-stride offset, is plain.
// CHECK-LABEL: func.func @cast_static_stride(
// CHECK-NOT: scf.if
// CHECK-NOT: alignment
// CHECK: vector.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}] : memref<1x?xf32, strided<[?, 1], offset: ?>>, vector<16xf32>
func.func @cast_static_stride(%y: memref<4x1000xf32>, %v: vector<16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %d = memref.cast %y : memref<4x1000xf32> to memref<?x?xf32, strided<[?, 1]>>
  scf.parallel (%r) = (%c0) to (%c4) step (%c1) {
    %row = memref.subview %d[%r, 0] [1, %n] [1, 1] : memref<?x?xf32, strided<[?, 1]>> to memref<1x?xf32, strided<[?, 1], offset: ?>>
    scf.for %j = %c0 to %n step %c16 {
      vector.store %v, %row[%c0, %j] : memref<1x?xf32, strided<[?, 1], offset: ?>>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// Channels last with a batch and image size known at run time: the dynamic
// strides of an argument with the identity layout are products of the
// sizes after them, so multiples of the 16 static channels. The rows are
// proven aligned without assuming (or checking) anything of the strides:
// the condition checks the pointer only, and the stores stream in every
// version (the rows are whole vectors).
// CHECK-LABEL: func.func @static_row_dynamic_image(
// CHECK-SAME: %[[Y:arg[0-9]+]]: memref<?x?x16xf32>
// CHECK: memref.extract_strided_metadata %[[Y]]
// CHECK-NOT: %strides
// CHECK: scf.if
// CHECK:   vector.store {{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK: } else {
// CHECK:   scf.if
// CHECK:     vector.store {{.*}} {alignment = 16 : i64, nontemporal = true}
// CHECK:   } else {
// CHECK:     vector.store {{.*}} {nontemporal = true}
func.func @static_row_dynamic_image(%y: memref<?x?x16xf32>, %v: vector<16xf32>, %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%r) = (%c0) to (%n) step (%c1) {
    %image = memref.subview %y[%r, 0, 0] [1, %m, 16] [1, 1, 1] : memref<?x?x16xf32> to memref<1x?x16xf32, strided<[?, 16, 1], offset: ?>>
    scf.for %p = %c0 to %m step %c1 {
      vector.store %v, %image[%c0, %p, %c0] : memref<1x?x16xf32, strided<[?, 16, 1], offset: ?>>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// Planes of run-time size (LayerNorm2d's output [?, 8, ?, ?] collapsed to
// [?, 8, H x W]): the offsets rely on the strides of dimensions 0 and 1 of
// the argument being multiples of 16 elements, and the condition checks
// those two only. (It checked every dynamic stride, the row stride W
// included: at 56 x 56, 224 bytes, every call took the plain stores.)
// CHECK-LABEL: func.func @collapsed_planes(
// CHECK: memref.extract_strided_metadata
// CHECK: %{{.*}}, %[[STRIDES:[a-z_0-9]+]]:4 = memref.extract_strided_metadata
// CHECK: arith.muli %[[STRIDES]]#0
// CHECK: arith.muli %[[STRIDES]]#1
// CHECK-NOT: %[[STRIDES]]#2
// CHECK: scf.if
// CHECK:   vector.store {{.*}} {alignment = 64 : i64, nontemporal = true}
func.func @collapsed_planes(%y: memref<?x8x?x?xf32>, %v: vector<16xf32>, %n: index, %p: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %flat = memref.collapse_shape %y [[0], [1], [2, 3]] : memref<?x8x?x?xf32> into memref<?x8x?xf32>
  scf.parallel (%r) = (%c0) to (%n) step (%c1) {
    scf.for %c = %c0 to %c8 step %c1 {
      scf.for %j = %c0 to %p step %c16 {
        vector.store %v, %flat[%r, %c, %j] : memref<?x8x?xf32>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}

// -----

// Group norm's output with everything but the groups of run-time size:
// [?, C, ?, ?] split into [?, 32, C/32, ?, ?], the pixels collapsed. An
// expanded dimension's stride is its source's times the sizes after it in
// its group, so the group and channel terms are multiples of 16 elements
// when the argument's channel stride is: the condition checks the batch and
// channel strides of the argument (not the row stride W).
// CHECK-LABEL: func.func @expanded_groups(
// CHECK-SAME: %[[Y:arg[0-9]+]]: memref<?x?x?x?xf32>
// CHECK: memref.extract_strided_metadata %[[Y]]
// CHECK: %{{.*}}, %[[STRIDES:[a-z_0-9]+]]:4 = memref.extract_strided_metadata %[[Y]]
// CHECK: arith.muli %[[STRIDES]]#0
// CHECK: arith.muli %[[STRIDES]]#1
// CHECK-NOT: %[[STRIDES]]#2
// CHECK: scf.if
// CHECK:   vector.store {{.*}} {alignment = 64 : i64, nontemporal = true}
// CHECK: } else {
// CHECK:   vector.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<?x32x?x?xf32>, vector<16xf32>
func.func @expanded_groups(%y: memref<?x?x?x?xf32>, %v: vector<16xf32>, %n: index, %cg: index, %h: index, %w: index, %p: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %groups = memref.expand_shape %y [[0], [1, 2], [3], [4]] output_shape [%n, 32, %cg, %h, %w] : memref<?x?x?x?xf32> into memref<?x32x?x?x?xf32>
  %flat = memref.collapse_shape %groups [[0], [1], [2], [3, 4]] : memref<?x32x?x?x?xf32> into memref<?x32x?x?xf32>
  scf.parallel (%r, %g) = (%c0, %c0) to (%n, %c32) step (%c1, %c1) {
    scf.for %c = %c0 to %cg step %c1 {
      scf.for %j = %c0 to %p step %c16 {
        vector.store %v, %flat[%r, %g, %c, %j] : memref<?x32x?x?xf32>, vector<16xf32>
      }
    }
    scf.reduce
  }
  return
}
