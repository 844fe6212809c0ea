// RUN: norm-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(norm-eliminate-reshaped-empty-tensors))' | FileCheck %s
// RUN: norm-opt %s -split-input-file --pass-pipeline='builtin.module(func.func(norm-eliminate-reshaped-empty-tensors),eliminate-empty-tensors,one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},norm-drop-tied-buffer-results,canonicalize)' | FileCheck %s --check-prefix=BUF

// The materialization moves behind the collapse, into the destination
// expanded at the top of the function.
// CHECK-LABEL: func.func @collapse_source(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x8xf32>, %[[OUT:[^:]*]]: tensor<4x8xf32>)
// CHECK-NEXT: %[[OE:.*]] = tensor.expand_shape %[[OUT]] {{\[}}[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: %[[M:.*]] = bufferization.materialize_in_destination %[[Y]] in %[[OE]] : (tensor<4x2x4xf32>, tensor<4x2x4xf32>) -> tensor<4x2x4xf32>
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[M]] {{\[}}[0], [1, 2]] : tensor<4x2x4xf32> into tensor<4x8xf32>
// CHECK: return %[[C]]

// After bufferization the generic writes into the caller's buffer: no
// allocation, no copy, and the result is tied to %out.
// BUF-LABEL: func.func @collapse_source(
// BUF-SAME: %[[X:[^:]*]]: memref<4x8xf32>, %[[OUT:[^:]*]]: memref<4x8xf32>)
// BUF-SAME: norm.tied_results = array<i64: 1>
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: %[[OE:.*]] = memref.expand_shape %[[OUT]]
// BUF-NOT: memref.alloc
// BUF: linalg.generic {{.*}} outs(%[[OE]] : memref<4x2x4xf32>)
// BUF-NOT: memref.copy
// BUF: return
func.func @collapse_source(%x: tensor<4x8xf32>, %out: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x2x4xf32>
  %xe = tensor.expand_shape %x [[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xe : tensor<4x2x4xf32>) outs(%e : tensor<4x2x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x2x4xf32>
  %c = tensor.collapse_shape %y [[0], [1, 2]] : tensor<4x2x4xf32> into tensor<4x8xf32>
  %r = bufferization.materialize_in_destination %c in %out : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// Dynamic sizes: the expanded sizes come from the destination's.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x8xf32>, %[[OUT:[^:]*]]: tensor<?x8xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[OUT]]
// CHECK: %[[OE:.*]] = tensor.expand_shape %[[OUT]] {{\[}}[0], [1, 2]] output_shape {{\[}}%[[N]], 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
// CHECK: bufferization.materialize_in_destination %{{.*}} in %[[OE]]
// BUF-LABEL: func.func @dynamic(
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: return
func.func @dynamic(%x: tensor<?x8xf32>, %out: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x2x4xf32>
  %xe = tensor.expand_shape %x [[0], [1, 2]] output_shape [%n, 2, 4] : tensor<?x8xf32> into tensor<?x2x4xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%xe : tensor<?x2x4xf32>) outs(%e : tensor<?x2x4xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<?x2x4xf32>
  %c = tensor.collapse_shape %y [[0], [1, 2]] : tensor<?x2x4xf32> into tensor<?x8xf32>
  %r = bufferization.materialize_in_destination %c in %out : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// An expand_shape source (what norm-collapse-inner-dims leaves): the
// materialization moves behind it, into the destination collapsed.
// CHECK-LABEL: func.func @expand_source(
// CHECK-SAME: %[[X:[^:]*]]: tensor<4x2x4xf32>, %[[OUT:[^:]*]]: tensor<4x2x4xf32>)
// CHECK-NEXT: %[[OC:.*]] = tensor.collapse_shape %[[OUT]] {{\[}}[0], [1, 2]] : tensor<4x2x4xf32> into tensor<4x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: %[[M:.*]] = bufferization.materialize_in_destination %[[Y]] in %[[OC]] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK: %[[E:.*]] = tensor.expand_shape %[[M]] {{\[}}[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
// CHECK: return %[[E]]

// BUF-LABEL: func.func @expand_source(
// BUF-SAME: %[[X:[^:]*]]: memref<4x2x4xf32>, %[[OUT:[^:]*]]: memref<4x2x4xf32>)
// BUF-SAME: norm.tied_results = array<i64: 1>
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: %[[OC:.*]] = memref.collapse_shape %[[OUT]]
// BUF-NOT: memref.alloc
// BUF: linalg.generic {{.*}} outs(%[[OC]] : memref<4x8xf32>)
// BUF-NOT: memref.copy
// BUF: return{{$}}
func.func @expand_source(%x: tensor<4x2x4xf32>, %out: tensor<4x2x4xf32>) -> tensor<4x2x4xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %xc = tensor.collapse_shape %x [[0], [1, 2]] : tensor<4x2x4xf32> into tensor<4x8xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%xc : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %c = tensor.expand_shape %y [[0], [1, 2]] output_shape [4, 2, 4] : tensor<4x8xf32> into tensor<4x2x4xf32>
  %r = bufferization.materialize_in_destination %c in %out : (tensor<4x2x4xf32>, tensor<4x2x4xf32>) -> tensor<4x2x4xf32>
  return %r : tensor<4x2x4xf32>
}

// -----

// A source that is not a reshape is left alone.
// CHECK-LABEL: func.func @no_collapse(
// CHECK-NOT: tensor.expand_shape
// CHECK: bufferization.materialize_in_destination %{{.*}} in %{{.*}} : (tensor<4x8xf32>, tensor<4x8xf32>)
func.func @no_collapse(%x: tensor<4x8xf32>, %out: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = bufferization.materialize_in_destination %x in %out : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}

// -----

// GroupNorm at 8 x 8 pixels: computed as [N, G, C/G, 64] (channels split
// into groups, pixels collapsed by norm-collapse-inner-dims), then expanded
// and collapsed back. The materialization moves behind both reshapes, into
// the destination reshaped the same way at the top of the function; after
// bufferization the generic writes the caller's buffer, and the result
// (the same buffer through four reshapes) is tied to %out.
// CHECK-LABEL: func.func @reshape_chain(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x8x8x8xf32>, %[[OUT:[^:]*]]: tensor<2x8x8x8xf32>)
// CHECK-NEXT: %[[OE:.*]] = tensor.expand_shape %[[OUT]] {{\[}}[0], [1, 2], [3], [4]] output_shape [2, 2, 4, 8, 8]
// CHECK-NEXT: %[[OC:.*]] = tensor.collapse_shape %[[OE]] {{\[}}[0], [1], [2], [3, 4]] : tensor<2x2x4x8x8xf32> into tensor<2x2x4x64xf32>
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: %[[M:.*]] = bufferization.materialize_in_destination %[[Y]] in %[[OC]] : (tensor<2x2x4x64xf32>, tensor<2x2x4x64xf32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[M]]
// CHECK: %[[C:.*]] = tensor.collapse_shape %[[E]]
// CHECK: return %[[C]]
// BUF-LABEL: func.func @reshape_chain(
// BUF-SAME: norm.tied_results = array<i64: 1>
// BUF-NOT: memref.alloc
// BUF-NOT: memref.copy
// BUF: linalg.generic {{.*}} outs(%{{.*}} : memref<2x2x4x64xf32>)
// BUF-NOT: memref.copy
// BUF: return{{$}}
func.func @reshape_chain(%x: tensor<2x8x8x8xf32>, %out: tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32> {
  %e = tensor.empty() : tensor<2x2x4x64xf32>
  %xg = tensor.expand_shape %x [[0], [1, 2], [3], [4]] output_shape [2, 2, 4, 8, 8] : tensor<2x8x8x8xf32> into tensor<2x2x4x8x8xf32>
  %xc = tensor.collapse_shape %xg [[0], [1], [2], [3, 4]] : tensor<2x2x4x8x8xf32> into tensor<2x2x4x64xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%xc : tensor<2x2x4x64xf32>) outs(%e : tensor<2x2x4x64xf32>) {
  ^bb0(%in: f32, %o: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<2x2x4x64xf32>
  %ye = tensor.expand_shape %y [[0], [1], [2], [3, 4]] output_shape [2, 2, 4, 8, 8] : tensor<2x2x4x64xf32> into tensor<2x2x4x8x8xf32>
  %yc = tensor.collapse_shape %ye [[0], [1, 2], [3], [4]] : tensor<2x2x4x8x8xf32> into tensor<2x8x8x8xf32>
  %r = bufferization.materialize_in_destination %yc in %out : (tensor<2x8x8x8xf32>, tensor<2x8x8x8xf32>) -> tensor<2x8x8x8xf32>
  return %r : tensor<2x8x8x8xf32>
}
