// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-vectorize-row-outputs{vector-size=4}))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-vectorize-row-outputs{vector-size=4 reduction-accumulators=0}))' | FileCheck %s --check-prefix=OFF

// The sum of squares of each row of a 2-row tile (RMSNorm's statistics),
// reassociable: rows one at a time, the 64 elements in 16-element partial
// sums (4 accumulators of 4 lanes) carried by the loop as a vector, merged
// by one vector.reduction per row.

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @sum_of_squares
// CHECK:         scf.forall
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<2xf32>)
// CHECK:             %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<16xf32>)
// CHECK:               %[[X:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf32>, vector<16xf32>
// CHECK:               %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] fastmath<reassoc,contract> : vector<16xf32>
// CHECK:               %[[NEW:.*]] = arith.addf %[[ACC]], %[[SQ]] fastmath<reassoc,contract> : vector<16xf32>
// CHECK:               scf.yield %[[NEW]] : vector<16xf32>
// CHECK:             vector.reduction <add>, %[[SUM]]
// CHECK-NOT:     linalg.generic
// OFF-LABEL: func.func @sum_of_squares
// OFF:         linalg.generic
// OFF-SAME:      iterator_types = ["parallel", "reduction"]
// OFF-NOT:     vector.reduction
func.func @sum_of_squares(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%i) = (0) to (8) step (2) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[%i, 0] [2, 64] [1, 1] : tensor<8x64xf32> to tensor<2x64xf32>
    %os = tensor.extract_slice %o[%i] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<2xf32>) -> tensor<2xf32>
    %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<2x64xf32>) outs(%fill : tensor<2xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %sq = arith.mulf %in, %in fastmath<reassoc,contract> : f32
      %add = arith.addf %acc, %sq fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<2xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%i] [2] [1] : tensor<2xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// bf16 rows summed in f32: the extension is vectorized with the loads.

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @bf16_sum
// CHECK:         scf.for {{.*}} -> (vector<16xf32>)
// CHECK:           vector.transfer_read {{.*}} : tensor<1x16xbf16>, vector<16xbf16>
// CHECK:           arith.extf {{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK:         vector.reduction <add>
func.func @bf16_sum(%x: tensor<8x32xbf16>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%i) = (0) to (8) step (2) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[%i, 0] [2, 32] [1, 1] : tensor<8x32xbf16> to tensor<2x32xbf16>
    %os = tensor.extract_slice %o[%i] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<2xf32>) -> tensor<2xf32>
    %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<2x32xbf16>) outs(%fill : tensor<2xf32>) {
    ^bb0(%in: bf16, %acc: f32):
      %e = arith.extf %in : bf16 to f32
      %add = arith.addf %acc, %e fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<2xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%i] [2] [1] : tensor<2xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// Without `reassoc` the order of summation is kept: left alone.

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @ordered_sum
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-NOT:     vector.reduction
func.func @ordered_sum(%x: tensor<8x64xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%i) = (0) to (8) step (2) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[%i, 0] [2, 64] [1, 1] : tensor<8x64xf32> to tensor<2x64xf32>
    %os = tensor.extract_slice %o[%i] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<2xf32>) -> tensor<2xf32>
    %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<2x64xf32>) outs(%fill : tensor<2xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in : f32
      linalg.yield %add : f32
    } -> tensor<2xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%i] [2] [1] : tensor<2xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// A row of 40 elements is no multiple of 4 x 4: left alone.

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @ragged_row
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-NOT:     vector.reduction
func.func @ragged_row(%x: tensor<8x40xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%i) = (0) to (8) step (2) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[%i, 0] [2, 40] [1, 1] : tensor<8x40xf32> to tensor<2x40xf32>
    %os = tensor.extract_slice %o[%i] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<2xf32>) -> tensor<2xf32>
    %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<2x40xf32>) outs(%fill : tensor<2xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<2xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%i] [2] [1] : tensor<2xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}
