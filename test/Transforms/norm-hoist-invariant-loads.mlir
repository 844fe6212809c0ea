// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-hoist-invariant-loads))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-hoist-invariant-loads{unroll-limit=0}))' | FileCheck %s --check-prefix=NOUNROLL

// A per-channel scale in a local buffer, read by every vector of a loop
// that stores into the output argument: a local allocation cannot alias an
// argument, so the load (with its subview and broadcast) leaves both loops.
// CHECK-LABEL: func.func @local_parameter(
// CHECK-SAME: %[[X:[^:]*]]: memref<8x64xf32>, %[[Y:[^:]*]]: memref<8x64xf32>)
// CHECK: %[[S:.*]] = memref.alloca
// CHECK: %[[SV:.*]] = memref.subview %[[S]][3]
// CHECK: %[[V:.*]] = vector.load %[[SV]][%{{.*}}] : memref<1xf32, strided<[1], offset: 3>>, vector<f32>
// CHECK: %[[B:.*]] = vector.broadcast %[[V]] : vector<f32> to vector<16xf32>
// CHECK: scf.parallel
// CHECK: scf.for
// CHECK: %[[XV:.*]] = vector.load %[[X]]
// CHECK: arith.mulf %[[XV]], %[[B]]
// CHECK: vector.store
func.func @local_parameter(%x: memref<8x64xf32>, %y: memref<8x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %cst = arith.constant 2.0 : f32
  %s = memref.alloca() : memref<8xf32>
  linalg.fill ins(%cst : f32) outs(%s : memref<8xf32>)
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    scf.for %j = %c0 to %c64 step %c16 {
      %sv = memref.subview %s[3] [1] [1] : memref<8xf32> to memref<1xf32, strided<[1], offset: 3>>
      %v = vector.load %sv[%c0] : memref<1xf32, strided<[1], offset: 3>>, vector<f32>
      %b = vector.broadcast %v : vector<f32> to vector<16xf32>
      %xv = vector.load %x[%i, %j] : memref<8x64xf32>, vector<16xf32>
      %p = arith.mulf %xv, %b : vector<16xf32>
      vector.store %p, %y[%i, %j] : memref<8x64xf32>, vector<16xf32>
    }
    scf.reduce
  }
  return
}

// -----

// The parameter is an argument: the output stores may alias it, so its
// load stays in the loop (only the pure subview moves).
// CHECK-LABEL: func.func @argument_parameter(
// CHECK-SAME: %[[X:[^:]*]]: memref<64xf32>, %[[W:[^:]*]]: memref<16xf32>, %[[Y:[^:]*]]: memref<64xf32>)
// CHECK: scf.for
// CHECK-NEXT: vector.load %[[W]]
// CHECK: vector.store
func.func @argument_parameter(%x: memref<64xf32>, %w: memref<16xf32>, %y: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  scf.for %j = %c0 to %c64 step %c16 {
    %wv = vector.load %w[%c0] : memref<16xf32>, vector<16xf32>
    %xv = vector.load %x[%j] : memref<64xf32>, vector<16xf32>
    %p = arith.mulf %xv, %wv : vector<16xf32>
    vector.store %p, %y[%j] : memref<64xf32>, vector<16xf32>
  }
  return
}

// -----

// The loop writes the local buffer it reads: the load stays.
// CHECK-LABEL: func.func @written_in_loop(
// CHECK: scf.for
// CHECK-NEXT: memref.load %[[ACC:.*]][%{{.*}}]
// CHECK: memref.store %{{.*}}, %[[ACC]]
func.func @written_in_loop(%x: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %acc = memref.alloca() : memref<1xf32>
  scf.for %j = %c0 to %c64 step %c1 {
    %a = memref.load %acc[%c0] : memref<1xf32>
    %v = memref.load %x[%j] : memref<64xf32>
    %s = arith.addf %a, %v : f32
    memref.store %s, %acc[%c0] : memref<1xf32>
  }
  %r = memref.load %acc[%c0] : memref<1xf32>
  return %r : f32
}

// -----

// A loop that may not run (dynamic bound): a load moved before it could
// read what the program never reads, so it stays.
// CHECK-LABEL: func.func @maybe_empty_loop(
// CHECK: scf.for
// CHECK-NEXT: memref.load
func.func @maybe_empty_loop(%y: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s = memref.alloca() : memref<1xf32>
  scf.for %j = %c0 to %n step %c1 {
    %v = memref.load %s[%c0] : memref<1xf32>
    memref.store %v, %y[%j] : memref<?xf32>
  }
  return
}

// -----

// NHWC: the channel loop (4 vectors) inside the pixel loop indexes the
// local parameters by its induction variable. It is unrolled, and the four
// loads leave the pixel loop. With unroll-limit=0 they stay.
// CHECK-LABEL: func.func @channel_loop(
// CHECK-COUNT-4: vector.load %{{.*}} : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
// CHECK: scf.for
// CHECK-NOT: scf.for
// CHECK-COUNT-4: vector.store
// NOUNROLL-LABEL: func.func @channel_loop(
// NOUNROLL: scf.for
// NOUNROLL: scf.for
// NOUNROLL: vector.load %{{.*}} : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
func.func @channel_loop(%x: memref<100x64xf32>, %y: memref<100x64xf32>, %m: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %c100 = arith.constant 100 : index
  %local = memref.alloca() : memref<64xf32>
  memref.copy %m, %local : memref<64xf32> to memref<64xf32>
  scf.for %p = %c0 to %c100 step %c1 {
    scf.for %c = %c0 to %c64 step %c16 {
      %lv = memref.subview %local[%c] [16] [1] : memref<64xf32> to memref<16xf32, strided<[1], offset: ?>>
      %mv = vector.load %lv[%c0] : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
      %xv = vector.load %x[%p, %c] : memref<100x64xf32>, vector<16xf32>
      %d = arith.subf %xv, %mv : vector<16xf32>
      vector.store %d, %y[%p, %c] : memref<100x64xf32>, vector<16xf32>
    }
  }
  return
}

// -----

// More channel vectors than unroll-limit: the channel loop stays and so do
// its loads.
// CHECK-LABEL: func.func @many_channels(
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.load %{{.*}} : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
func.func @many_channels(%x: memref<100x128xf32>, %y: memref<100x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c128 = arith.constant 128 : index
  %c100 = arith.constant 100 : index
  %local = memref.alloca() : memref<128xf32>
  scf.for %p = %c0 to %c100 step %c1 {
    scf.for %c = %c0 to %c128 step %c16 {
      %lv = memref.subview %local[%c] [16] [1] : memref<128xf32> to memref<16xf32, strided<[1], offset: ?>>
      %mv = vector.load %lv[%c0] : memref<16xf32, strided<[1], offset: ?>>, vector<16xf32>
      %xv = vector.load %x[%p, %c] : memref<100x128xf32>, vector<16xf32>
      %d = arith.subf %xv, %mv : vector<16xf32>
      vector.store %d, %y[%p, %c] : memref<100x128xf32>, vector<16xf32>
    }
  }
  return
}
