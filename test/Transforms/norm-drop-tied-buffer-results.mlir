// RUN: norm-opt %s --split-input-file --norm-drop-tied-buffer-results | FileCheck %s

// A public destination-passing function loses its result; the tie is kept.
// CHECK-LABEL: func.func @dps(
// CHECK-SAME: %{{.*}}: memref<?xf32>, %{{.*}}: memref<?xf32>)
// CHECK-SAME: norm.tied_results = array<i64: 1>
// CHECK-SAME: norm.tied_results_written = array<i1: true>
// CHECK-NOT: bufferization.clone
// CHECK: return{{$}}
func.func @dps(%x: memref<?xf32>, %out: memref<?xf32>) -> memref<?xf32>
    attributes {llvm.emit_c_interface} {
  memref.copy %x, %out : memref<?xf32> to memref<?xf32>
  return %out : memref<?xf32>
}

// Allocated results stay; a cast of an argument counts as the argument.
// CHECK-LABEL: func.func @mixed(
// CHECK-SAME: -> memref<4xf32>
// CHECK-SAME: norm.tied_results = array<i64: -1, 1>
// CHECK: %[[A:.*]] = memref.alloc
// CHECK: return %[[A]] : memref<4xf32>
func.func @mixed(%x: memref<4xf32>, %out: memref<4xf32>)
    -> (memref<4xf32>, memref<?xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %c = memref.cast %out : memref<4xf32> to memref<?xf32>
  return %a, %c : memref<4xf32>, memref<?xf32>
}

// Reshapes that fold back to an argument count as the argument, in either
// order.
// CHECK-LABEL: func.func @reshaped(
// CHECK-SAME: %{{.*}}: memref<4x8xf32>, %{{.*}}: memref<4x8xf32>)
// CHECK-SAME: norm.tied_results = array<i64: 0, 1>
// CHECK-SAME: norm.tied_results_written = array<i1: false, false>
// CHECK: return{{$}}
func.func @reshaped(%a: memref<4x8xf32>, %b: memref<4x8xf32>)
    -> (memref<4x8xf32>, memref<4x8xf32>) {
  %ae = memref.expand_shape %a [[0], [1, 2]] output_shape [4, 2, 4] : memref<4x8xf32> into memref<4x2x4xf32>
  %ac = memref.collapse_shape %ae [[0], [1, 2]] : memref<4x2x4xf32> into memref<4x8xf32>
  %bc = memref.collapse_shape %b [[0, 1]] : memref<4x8xf32> into memref<32xf32>
  %be = memref.expand_shape %bc [[0, 1]] output_shape [4, 8] : memref<32xf32> into memref<4x8xf32>
  return %ac, %be : memref<4x8xf32>, memref<4x8xf32>
}

// A chain of static reshapes whose neighbours are no inverses of each other
// (groups split off the channels, pixels collapsed, both undone) is still
// the argument: reshapes keep a contiguous buffer's elements in order, and
// the chain ends in the argument's own type. One that ends in another
// shape is not the argument.
// CHECK-LABEL: func.func @reshape_chain(
// CHECK-SAME: -> memref<8x8x8xf32>
// CHECK-SAME: norm.tied_results = array<i64: 0, -1>
func.func @reshape_chain(%a: memref<2x8x8x8xf32>)
    -> (memref<2x8x8x8xf32>, memref<8x8x8xf32>) {
  %g = memref.expand_shape %a [[0], [1, 2], [3], [4]] output_shape [2, 2, 4, 8, 8] : memref<2x8x8x8xf32> into memref<2x2x4x8x8xf32>
  %p = memref.collapse_shape %g [[0], [1], [2], [3, 4]] : memref<2x2x4x8x8xf32> into memref<2x2x4x64xf32>
  %pe = memref.expand_shape %p [[0], [1], [2], [3, 4]] output_shape [2, 2, 4, 8, 8] : memref<2x2x4x64xf32> into memref<2x2x4x8x8xf32>
  %back = memref.collapse_shape %pe [[0], [1, 2], [3], [4]] : memref<2x2x4x8x8xf32> into memref<2x8x8x8xf32>
  %other = memref.collapse_shape %a [[0, 1], [2], [3]] : memref<2x8x8x8xf32> into memref<16x8x8xf32>
  %sub = memref.subview %other[0, 0, 0] [8, 8, 8] [1, 1, 1] : memref<16x8x8xf32> to memref<8x8x8xf32>
  return %back, %sub : memref<2x8x8x8xf32>, memref<8x8x8xf32>
}

// A static result whose chain passes through dynamically shaped views.
// CHECK-LABEL: func.func @reshape_chain_through_dynamic(
// CHECK-SAME: norm.tied_results = array<i64: 0>
// CHECK: return{{$}}
func.func @reshape_chain_through_dynamic(%a: memref<4x4xf32>) -> memref<4x4xf32> {
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  %dyn = memref.cast %flat : memref<16xf32> to memref<?xf32>
  %rows = arith.constant 4 : index
  %e = memref.expand_shape %dyn [[0, 1]] output_shape [%rows, 4] : memref<?xf32> into memref<?x4xf32>
  %back = memref.cast %e : memref<?x4xf32> to memref<4x4xf32>
  return %back : memref<4x4xf32>
}

// The group norm chain with a dynamic batch: value bounds prove that the
// batch passes through every reshape, so the chain is the argument (it was
// returned, and the deallocation pass copied the whole output).
// CHECK-LABEL: func.func @reshape_chain_dynamic_batch(
// CHECK-SAME: norm.tied_results = array<i64: 0>
// CHECK: return{{$}}
func.func @reshape_chain_dynamic_batch(%a: memref<?x8x8x8xf32>) -> memref<?x8x8x8xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x8x8x8xf32>
  %g = memref.expand_shape %a [[0], [1, 2], [3], [4]] output_shape [%n, 2, 4, 8, 8] : memref<?x8x8x8xf32> into memref<?x2x4x8x8xf32>
  %p = memref.collapse_shape %g [[0], [1], [2], [3, 4]] : memref<?x2x4x8x8xf32> into memref<?x2x4x64xf32>
  %m = memref.dim %p, %c0 : memref<?x2x4x64xf32>
  %pe = memref.expand_shape %p [[0], [1], [2], [3, 4]] output_shape [%m, 2, 4, 8, 8] : memref<?x2x4x64xf32> into memref<?x2x4x8x8xf32>
  %back = memref.collapse_shape %pe [[0], [1, 2], [3], [4]] : memref<?x2x4x8x8xf32> into memref<?x8x8x8xf32>
  return %back : memref<?x8x8x8xf32>
}

// The group norm chain with the channels, hence the group size, dynamic
// too: value bounds cannot prove 32 * (C / 32) = C, but the reshapes are
// inverse pairs, the inner one (the pixels collapsed, then expanded to the
// sizes of the view they came from) undone first, then the outer one (the
// channels split, then merged): the argument.
// CHECK-LABEL: func.func @nested_reshape_pairs(
// CHECK-SAME: norm.tied_results = array<i64: 0>
// CHECK: return{{$}}
func.func @nested_reshape_pairs(%a: memref<?x?x?x?xf32>) -> memref<?x?x?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %n = memref.dim %a, %c0 : memref<?x?x?x?xf32>
  %c = memref.dim %a, %c1 : memref<?x?x?x?xf32>
  %h = memref.dim %a, %c2 : memref<?x?x?x?xf32>
  %w = memref.dim %a, %c3 : memref<?x?x?x?xf32>
  %cg = arith.divui %c, %c32 : index
  %g = memref.expand_shape %a [[0], [1, 2], [3], [4]] output_shape [%n, 32, %cg, %h, %w] : memref<?x?x?x?xf32> into memref<?x32x?x?x?xf32>
  %p = memref.collapse_shape %g [[0], [1], [2], [3, 4]] : memref<?x32x?x?x?xf32> into memref<?x32x?x?xf32>
  %gn = memref.dim %g, %c0 : memref<?x32x?x?x?xf32>
  %gc = memref.dim %g, %c2 : memref<?x32x?x?x?xf32>
  %gh = memref.dim %g, %c3 : memref<?x32x?x?x?xf32>
  %gw = memref.dim %g, %c4 : memref<?x32x?x?x?xf32>
  %pe = memref.expand_shape %p [[0], [1], [2], [3, 4]] output_shape [%gn, 32, %gc, %gh, %gw] : memref<?x32x?x?xf32> into memref<?x32x?x?x?xf32>
  %back = memref.collapse_shape %pe [[0], [1, 2], [3], [4]] : memref<?x32x?x?x?xf32> into memref<?x?x?x?xf32>
  return %back : memref<?x?x?x?xf32>
}

// The same chain with the pixels expanded to a size from elsewhere (an
// argument): the inner pair does not cancel, so neither does the outer one,
// and value bounds cannot prove the sizes: not tied.
// CHECK-LABEL: func.func @nested_reshape_pairs_other_size(
// CHECK-SAME: norm.tied_results = array<i64: -1>
// CHECK: return %{{.*}} : memref<?x?x?x?xf32>
func.func @nested_reshape_pairs_other_size(%a: memref<?x?x?x?xf32>, %other: index) -> memref<?x?x?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %n = memref.dim %a, %c0 : memref<?x?x?x?xf32>
  %c = memref.dim %a, %c1 : memref<?x?x?x?xf32>
  %h = memref.dim %a, %c2 : memref<?x?x?x?xf32>
  %w = memref.dim %a, %c3 : memref<?x?x?x?xf32>
  %cg = arith.divui %c, %c32 : index
  %g = memref.expand_shape %a [[0], [1, 2], [3], [4]] output_shape [%n, 32, %cg, %h, %w] : memref<?x?x?x?xf32> into memref<?x32x?x?x?xf32>
  %p = memref.collapse_shape %g [[0], [1], [2], [3, 4]] : memref<?x32x?x?x?xf32> into memref<?x32x?x?xf32>
  %gn = memref.dim %g, %c0 : memref<?x32x?x?x?xf32>
  %gc = memref.dim %g, %c2 : memref<?x32x?x?x?xf32>
  %gh = memref.dim %g, %c3 : memref<?x32x?x?x?xf32>
  %pe = memref.expand_shape %p [[0], [1], [2], [3, 4]] output_shape [%gn, 32, %gc, %gh, %other] : memref<?x32x?x?xf32> into memref<?x32x?x?x?xf32>
  %back = memref.collapse_shape %pe [[0], [1, 2], [3], [4]] : memref<?x32x?x?x?xf32> into memref<?x?x?x?xf32>
  return %back : memref<?x?x?x?xf32>
}

// Dynamic sizes: an expansion of the collapsed argument back to its own
// sizes (memref.dim of it) is the argument; one to sizes from elsewhere is
// not (it may be a differently shaped view).
// CHECK-LABEL: func.func @reshaped_dynamic(
// CHECK-SAME: norm.tied_results = array<i64: 0, -1>
// CHECK: %[[OTHER:.*]] = memref.expand_shape %{{.*}} output_shape [%arg1, %arg2, 8]
// CHECK-SAME: memref<?x8xf32> into memref<?x?x8xf32>
// CHECK: return %[[OTHER]] :
func.func @reshaped_dynamic(%a: memref<?x?x8xf32>, %n: index, %m: index)
    -> (memref<?x?x8xf32>, memref<?x?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ac = memref.collapse_shape %a [[0, 1], [2]] : memref<?x?x8xf32> into memref<?x8xf32>
  %d0 = memref.dim %a, %c0 : memref<?x?x8xf32>
  %d1 = memref.dim %a, %c1 : memref<?x?x8xf32>
  %same = memref.expand_shape %ac [[0, 1], [2]] output_shape [%d0, %d1, 8] : memref<?x8xf32> into memref<?x?x8xf32>
  %other = memref.expand_shape %ac [[0, 1], [2]] output_shape [%n, %m, 8] : memref<?x8xf32> into memref<?x?x8xf32>
  return %same, %other : memref<?x?x8xf32>, memref<?x?x8xf32>
}

// -----

// A caller that returns what its callee returned: dropped too, whatever the
// order of the functions.
// A call writes what it passes when the callee writes its argument: this
// callee only returns it, so neither writes.
// CHECK-LABEL: func.func @caller(
// CHECK-SAME: norm.tied_results = array<i64: 0>
// CHECK-SAME: norm.tied_results_written = array<i1: false>
// CHECK: call @callee(%{{.*}}) : (memref<4xf32>) -> ()
// CHECK-NEXT: return{{$}}
func.func @caller(%x: memref<4xf32>) -> memref<4xf32> {
  %r = call @callee(%x) : (memref<4xf32>) -> memref<4xf32>
  return %r : memref<4xf32>
}

// CHECK-LABEL: func.func private @callee(
// CHECK-SAME: norm.tied_results = array<i64: 0>
// CHECK-SAME: norm.tied_results_written = array<i1: false>
func.func private @callee(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// The caller writes its argument through the callee, which writes its own
// (recursively: the walk stops at a function it is already in); an external
// callee may write anything.
// CHECK-LABEL: func.func @writes_through_call(
// CHECK-SAME: norm.tied_results_written = array<i1: true>
func.func @writes_through_call(%x: memref<4xf32>) -> memref<4xf32> {
  call @fill_recursive(%x) : (memref<4xf32>) -> ()
  return %x : memref<4xf32>
}

// CHECK-LABEL: func.func @writes_through_external_call(
// CHECK-SAME: norm.tied_results_written = array<i1: true>
func.func @writes_through_external_call(%x: memref<4xf32>) -> memref<4xf32> {
  call @external(%x) : (memref<4xf32>) -> ()
  return %x : memref<4xf32>
}

// CHECK-LABEL: func.func @reads_through_recursive_call(
// CHECK-SAME: norm.tied_results_written = array<i1: false>
func.func @reads_through_recursive_call(%x: memref<4xf32>, %n: index) -> memref<4xf32> {
  call @read_recursive(%x, %n) : (memref<4xf32>, index) -> ()
  return %x : memref<4xf32>
}

func.func private @fill_recursive(%x: memref<4xf32>) {
  call @fill_recursive(%x) : (memref<4xf32>) -> ()
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%x : memref<4xf32>)
  return
}

func.func private @read_recursive(%x: memref<4xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<4xf32>
  call @read_recursive(%x, %n) : (memref<4xf32>, index) -> ()
  return
}

func.func private @external(memref<4xf32>)

// -----

// A caller that uses the dropped result gets the operand it passed, cast to
// the type of the result.
// CHECK-LABEL: func.func @use(
// CHECK-SAME: -> f32
// CHECK-SAME: norm.tied_results = array<i64: -1>
// CHECK: call @fill(%[[B:.*]]) : (memref<4xf32>) -> ()
// CHECK: %[[C:.*]] = memref.cast %[[B]] : memref<4xf32> to memref<?xf32>
// CHECK: memref.load %[[C]]
func.func @use(%b: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %r = call @fill(%b) : (memref<4xf32>) -> memref<?xf32>
  %v = memref.load %r[%c0] : memref<?xf32>
  return %v : f32
}

// CHECK-LABEL: func.func @fill(
// CHECK-SAME: norm.tied_results = array<i64: 0>
func.func @fill(%b: memref<4xf32>) -> memref<?xf32> {
  %c = memref.cast %b : memref<4xf32> to memref<?xf32>
  return %c : memref<?xf32>
}

// -----

// Several returns: not rewritten. Declarations are not touched.
// CHECK-LABEL: func.func @two_returns(
// CHECK-SAME: -> memref<4xf32>
// CHECK-SAME: norm.tied_results = array<i64: -1>
// CHECK-LABEL: func.func private @decl(
// CHECK-SAME: -> memref<4xf32>{{$}}
func.func @two_returns(%c: i1, %a: memref<4xf32>, %b: memref<4xf32>) -> memref<4xf32> {
  cf.cond_br %c, ^a, ^b
^a:
  return %a : memref<4xf32>
^b:
  return %b : memref<4xf32>
}

func.func private @decl(%a: memref<4xf32>) -> memref<4xf32>

// -----

// A recursive call whose result the function returns: the call is rewritten
// first (its result 0 is %x), then the return. Used to leave the return with
// an operand of the erased call (segfault). Its second result becomes tied
// on the next iteration.
// CHECK-LABEL: func.func @recursive(
// CHECK-SAME: %[[X:.*]]: memref<4x8xf32>, %[[C:.*]]: i1)
// CHECK-SAME: norm.tied_results = array<i64: 0, 0>
// CHECK: call @recursive(%[[X]], %[[C]]) : (memref<4x8xf32>, i1) -> ()
// CHECK-NEXT: return{{$}}
func.func @recursive(%x: memref<4x8xf32>, %c: i1) -> (memref<4x8xf32>, memref<4x8xf32>) {
  %r:2 = func.call @recursive(%x, %c) : (memref<4x8xf32>, i1) -> (memref<4x8xf32>, memref<4x8xf32>)
  return %x, %r#0 : memref<4x8xf32>, memref<4x8xf32>
}

// -----

// A collapse_shape of an expand_shape of an argument back to its type (left
// by norm-eliminate-reshaped-empty-tensors) counts as the argument; a
// collapse with other groups does not.
// CHECK-LABEL: func.func @inverse_reshapes(
// CHECK-SAME: norm.tied_results = array<i64: 1>
// CHECK: return{{$}}
func.func @inverse_reshapes(%x: memref<4x8xf32>, %out: memref<4x8xf32>) -> memref<4x8xf32> {
  %e = memref.expand_shape %out [[0], [1, 2]] output_shape [4, 2, 4] : memref<4x8xf32> into memref<4x2x4xf32>
  %c = memref.collapse_shape %e [[0], [1, 2]] : memref<4x2x4xf32> into memref<4x8xf32>
  return %c : memref<4x8xf32>
}

// CHECK-LABEL: func.func @other_reshapes(
// CHECK-SAME: -> memref<8x4xf32>
// CHECK-SAME: norm.tied_results = array<i64: -1>
func.func @other_reshapes(%out: memref<32xf32>) -> memref<8x4xf32> {
  %e = memref.expand_shape %out [[0, 1, 2]] output_shape [8, 2, 2] : memref<32xf32> into memref<8x2x2xf32>
  %c = memref.collapse_shape %e [[0], [1, 2]] : memref<8x2x2xf32> into memref<8x4xf32>
  return %c : memref<8x4xf32>
}

// -----

// Whether a tied argument may be written, through its views: the output
// written through a subview in a loop is; the input only read (through a
// reshape, by a linalg op and a load) and returned is not. A result still
// returned records false.
// CHECK-LABEL: func.func @written_through_views(
// CHECK-SAME: -> memref<8xf32>
// CHECK-SAME: norm.tied_results = array<i64: 1, 0, -1>
// CHECK-SAME: norm.tied_results_written = array<i1: true, false, false>
func.func @written_through_views(%x: memref<8x8xf32>, %out: memref<8x8xf32>)
    -> (memref<8x8xf32>, memref<8x8xf32>, memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %flat = memref.collapse_shape %x [[0, 1]] : memref<8x8xf32> into memref<64xf32>
  %v = memref.load %flat[%c0] : memref<64xf32>
  scf.forall (%i) in (8) {
    %row = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<8x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
    linalg.fill ins(%v : f32) outs(%row : memref<1x8xf32, strided<[8, 1], offset: ?>>)
  }
  %a = memref.alloc() : memref<8xf32>
  %xrow = memref.subview %x[0, 0] [1, 8] [1, 1] : memref<8x8xf32> to memref<8xf32, strided<[1]>>
  linalg.copy ins(%xrow : memref<8xf32, strided<[1]>>) outs(%a : memref<8xf32>)
  return %out, %x, %a : memref<8x8xf32>, memref<8x8xf32>, memref<8xf32>
}

// An argument forwarded by a terminator (here to an scf.if's result, which
// is written) counts as written: the walk does not follow the forwarding.
// CHECK-LABEL: func.func @written_through_forwarding(
// CHECK-SAME: norm.tied_results = array<i64: 0>
// CHECK-SAME: norm.tied_results_written = array<i1: true>
func.func @written_through_forwarding(%x: memref<8xf32>, %c: i1) -> memref<8xf32> {
  %a = memref.alloc() : memref<8xf32>
  %m = scf.if %c -> memref<8xf32> {
    scf.yield %x : memref<8xf32>
  } else {
    scf.yield %a : memref<8xf32>
  }
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%m : memref<8xf32>)
  return %x : memref<8xf32>
}

// -----

// Results recorded as computed in an argument (norm-record-result-destinations)
// but not that argument any more are copied into it, and tied to it: an
// identity copy into %out folded to %x, a result bufferized out of place. A
// result that is its argument already is tied as before, with no copy.
// CHECK-LABEL: func.func @restored_destinations(
// CHECK-SAME: %[[X:[^:]*]]: memref<8xf32>, %[[OUT:[^:]*]]: memref<8xf32>,
// CHECK-SAME: %[[OUT2:[^:]*]]: memref<8xf32>, %[[OUT3:[^:]*]]: memref<8xf32>)
// CHECK-SAME: norm.tied_results = array<i64: 1, 2, 3>
// CHECK-SAME: norm.tied_results_written = array<i1: true, true, true>
// CHECK-NOT: norm.result_destinations
// CHECK: %[[FRESH:.*]] = memref.alloc()
// CHECK-NEXT: linalg.add ins(%[[X]], %[[X]] : {{.*}}) outs(%[[FRESH]] : memref<8xf32>)
// CHECK-NEXT: linalg.add ins(%[[X]], %[[X]] : {{.*}}) outs(%[[OUT3]] : memref<8xf32>)
// CHECK-NEXT: memref.copy %[[X]], %[[OUT]]
// CHECK-NEXT: memref.copy %[[FRESH]], %[[OUT2]]
// CHECK-NEXT: return{{$}}
func.func @restored_destinations(%x: memref<8xf32>, %out: memref<8xf32>,
    %out2: memref<8xf32>, %out3: memref<8xf32>)
    -> (memref<8xf32>, memref<8xf32>, memref<8xf32>)
    attributes {norm.result_destinations = array<i64: 1, 2, 3>} {
  %fresh = memref.alloc() : memref<8xf32>
  linalg.add ins(%x, %x : memref<8xf32>, memref<8xf32>) outs(%fresh : memref<8xf32>)
  linalg.add ins(%x, %x : memref<8xf32>, memref<8xf32>) outs(%out3 : memref<8xf32>)
  return %x, %fresh, %out3 : memref<8xf32>, memref<8xf32>, memref<8xf32>
}

// -----

// No copy back where it would change another result: two results recorded
// in the same argument, a destination also returned (here through a view),
// a result whose buffer is not known (a call's), and a function that is
// called in the module (its callers were bufferized knowing that it does
// not write the argument).
// CHECK-LABEL: func.func @not_restored(
// CHECK-NOT: memref.copy
// CHECK: return
// CHECK-LABEL: func.func @also_returned(
// CHECK-NOT: memref.copy
// CHECK: return
// CHECK-LABEL: func.func @unknown_buffer(
// CHECK-NOT: memref.copy
// CHECK: return
// CHECK-LABEL: func.func @called(
// CHECK-NOT: memref.copy
// CHECK: return
// CHECK-NOT: norm.result_destinations
func.func @not_restored(%x: memref<8xf32>, %out: memref<8xf32>)
    -> (memref<8xf32>, memref<8xf32>)
    attributes {norm.result_destinations = array<i64: 1, 1>} {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  linalg.add ins(%x, %x : memref<8xf32>, memref<8xf32>) outs(%a : memref<8xf32>)
  linalg.mul ins(%x, %x : memref<8xf32>, memref<8xf32>) outs(%b : memref<8xf32>)
  return %a, %b : memref<8xf32>, memref<8xf32>
}

func.func @also_returned(%x: memref<8xf32>, %out: memref<8xf32>)
    -> (memref<8xf32>, memref<4xf32, strided<[1]>>)
    attributes {norm.result_destinations = array<i64: 1, -1>} {
  %a = memref.alloc() : memref<8xf32>
  linalg.add ins(%x, %x : memref<8xf32>, memref<8xf32>) outs(%a : memref<8xf32>)
  %s = memref.subview %out[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  return %a, %s : memref<8xf32>, memref<4xf32, strided<[1]>>
}

func.func @unknown_buffer(%x: memref<8xf32>, %out: memref<8xf32>)
    -> (memref<8xf32>, memref<8xf32>)
    attributes {norm.result_destinations = array<i64: 1, -1>} {
  %a = memref.alloc() : memref<8xf32>
  linalg.add ins(%x, %x : memref<8xf32>, memref<8xf32>) outs(%a : memref<8xf32>)
  %u = call @opaque(%x) : (memref<8xf32>) -> memref<8xf32>
  return %a, %u : memref<8xf32>, memref<8xf32>
}

func.func @called(%x: memref<8xf32>, %out: memref<8xf32>) -> memref<8xf32>
    attributes {norm.result_destinations = array<i64: 1>} {
  return %x : memref<8xf32>
}

func.func @caller_of_called(%x: memref<8xf32>, %y: memref<8xf32>) -> memref<8xf32> {
  %r = call @called(%x, %y) : (memref<8xf32>, memref<8xf32>) -> memref<8xf32>
  return %r : memref<8xf32>
}

func.func private @opaque(memref<8xf32>) -> memref<8xf32>

// -----

// A loop that carries an argument it only reads (a power iteration's start
// vector) does not write it.
// CHECK-LABEL: func.func @carried_read_only(
// CHECK-SAME: norm.tied_results_written = array<i1: false, false>
func.func @carried_read_only(%v0: memref<8xf32>, %w: memref<8xf32>)
    -> (memref<8xf32>, memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%v = %v0) -> memref<8xf32> {
    %n = memref.alloc() : memref<8xf32>
    linalg.mul ins(%v, %w : memref<8xf32>, memref<8xf32>) outs(%n : memref<8xf32>)
    scf.yield %n : memref<8xf32>
  }
  return %v0, %r : memref<8xf32>, memref<8xf32>
}

// A loop that yields the argument it carries forwards it: a write.
// CHECK-LABEL: func.func @carried_and_yielded(
// CHECK-SAME: norm.tied_results_written = array<i1: true>
func.func @carried_and_yielded(%v0: memref<8xf32>) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%v = %v0) -> memref<8xf32> {
    scf.yield %v : memref<8xf32>
  }
  return %v0 : memref<8xf32>
}
