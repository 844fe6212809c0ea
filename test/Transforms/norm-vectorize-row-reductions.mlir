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

// A row of 40 elements is no multiple of 4 x 4: its two full tiles of 16
// accumulate in a loop-carried vector, and the peeled remainder of 8 is
// added to the first 8 lanes before the merge.

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @ragged_row
// CHECK-DAG:     %[[C32:.*]] = arith.constant 32 : index
// CHECK-DAG:     %[[C16:.*]] = arith.constant 16 : index
// CHECK:         %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %[[C32]] step %[[C16]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<16xf32>)
// CHECK:           %[[X:.*]] = vector.transfer_read {{.*}} vector<16xf32>
// CHECK:           arith.addf %[[ACC]], %[[X]] fastmath<reassoc,contract> : vector<16xf32>
// CHECK:         %[[FULL:.*]] = vector.transfer_write %[[SUM]]
// CHECK:         %[[R:.*]] = vector.transfer_read %{{.*}}[%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<1x?xf32>, vector<8xf32>
// CHECK:         %[[LANES:.*]] = vector.transfer_read {{.*}} vector<8xf32>
// CHECK:         arith.addf %[[LANES]], %[[R]] fastmath<reassoc,contract> : vector<8xf32>
// CHECK:         vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK-NOT:     linalg.generic
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

// -----

// A row shorter than a vector: left alone.

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @short_row
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "reduction"]
// CHECK-NOT:     vector.reduction
func.func @short_row(%x: tensor<8x3xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%i) = (0) to (8) step (2) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[%i, 0] [2, 3] [1, 1] : tensor<8x3xf32> to tensor<2x3xf32>
    %os = tensor.extract_slice %o[%i] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<2xf32>) -> tensor<2xf32>
    %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<2x3xf32>) outs(%fill : tensor<2xf32>) {
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

// -----

// Batch statistics of one channel (NCHW, 20 pixels): two reduction loops.
// The batch loop is split by 1 and the pixels into partial results of 16
// plus a remainder of 4, into one set of accumulators, merged once after
// both loops.

#x = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @batch_sum
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<1x1x16xf32>)
// CHECK:           vector.transfer_read {{.*}} vector<16xf32>
// CHECK:           arith.addf {{.*}} : vector<16xf32>
// CHECK:           vector.transfer_read {{.*}} vector<4xf32>
// CHECK:           arith.addf {{.*}} : vector<4xf32>
// CHECK:         }
// CHECK:         vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK-NOT:     vector.reduction
// CHECK:         scf.forall.in_parallel
func.func @batch_sum(%x: tensor<4x8x20xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%c) in (8) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[0, %c, 0] [4, 1, 20] [1, 1, 1] : tensor<4x8x20xf32> to tensor<4x1x20xf32>
    %os = tensor.extract_slice %o[%c] [1] [1] : tensor<8xf32> to tensor<1xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<1xf32>) -> tensor<1xf32>
    %sum = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction"]} ins(%xs : tensor<4x1x20xf32>) outs(%fill : tensor<1xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%c] [1] [1] : tensor<1xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// As @batch_sum for a tile of 4 channels: a channel of a batch entry is 20
// x 4 = 80 contiguous bytes, too short a run to walk channel by channel
// over the batch. The batch loop is outermost and the channels are walked
// inside it, each accumulating into its row of the partial results
// (tensor<4x1x16xf32>, in memory); one merge per channel after the loops.

#x = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @batch_sum_across_channels
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x1x16xf32>)
// CHECK:           scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x1x?xf32>)
// CHECK:             tensor.extract_slice %{{.*}}[0, %[[C]], 0] [1, 1, 16] [1, 1, 1] : tensor<1x4x?xf32> to tensor<1x1x16xf32>
// CHECK:             vector.transfer_read {{.*}} vector<16xf32>
// CHECK:             arith.addf {{.*}} : vector<16xf32>
// CHECK:           scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x1x?xf32>)
// CHECK:             vector.transfer_read {{.*}} vector<4xf32>
// CHECK:             arith.addf {{.*}} : vector<4xf32>
// CHECK:         }
// CHECK-COUNT-4: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK-NOT:     vector.multi_reduction
// CHECK:         scf.forall.in_parallel
func.func @batch_sum_across_channels(%x: tensor<4x8x20xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%c) = (0) to (8) step (4) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[0, %c, 0] [4, 4, 20] [1, 1, 1] : tensor<4x8x20xf32> to tensor<4x4x20xf32>
    %os = tensor.extract_slice %o[%c] [4] [1] : tensor<8xf32> to tensor<4xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<4xf32>) -> tensor<4xf32>
    %sum = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction"]} ins(%xs : tensor<4x4x20xf32>) outs(%fill : tensor<4xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%c] [4] [1] : tensor<4xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// As @batch_sum and @batch_sum_across_channels with the batch known at run
// time (a model compiled for any batch): the batch loop, tiled by 1, is
// dynamic; the pixels are split as before. (Such sums were left to LLVM,
// which vectorized them into one chain of dependent adds: batch norm
// training [?, 1024, 14, 14] 1.18x its static time.)

#x = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d1)>
// CHECK-LABEL: func.func @dynamic_batch_sum
// CHECK:         %[[N:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x8x20xf32>
// CHECK:         scf.for %{{.*}} = %{{.*}} to %[[N]] step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<1x1x16xf32>)
// CHECK:           vector.transfer_read {{.*}} vector<16xf32>
// CHECK:           arith.addf {{.*}} : vector<16xf32>
// CHECK:           vector.transfer_read {{.*}} vector<4xf32>
// CHECK:         }
// CHECK:         vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK-LABEL: func.func @dynamic_batch_sum_across_channels
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x1x16xf32>)
// CHECK:           scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<4x1x?xf32>)
// CHECK:             vector.transfer_read {{.*}} vector<16xf32>
// CHECK-COUNT-4: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
func.func @dynamic_batch_sum(%x: tensor<?x8x20xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8x20xf32>
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%c) in (8) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[0, %c, 0] [%n, 1, 20] [1, 1, 1] : tensor<?x8x20xf32> to tensor<?x1x20xf32>
    %os = tensor.extract_slice %o[%c] [1] [1] : tensor<8xf32> to tensor<1xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<1xf32>) -> tensor<1xf32>
    %sum = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction"]} ins(%xs : tensor<?x1x20xf32>) outs(%fill : tensor<1xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%c] [1] [1] : tensor<1xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}
func.func @dynamic_batch_sum_across_channels(%x: tensor<?x8x20xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x8x20xf32>
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%c) = (0) to (8) step (4) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[0, %c, 0] [%n, 4, 20] [1, 1, 1] : tensor<?x8x20xf32> to tensor<?x4x20xf32>
    %os = tensor.extract_slice %o[%c] [4] [1] : tensor<8xf32> to tensor<4xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<4xf32>) -> tensor<4xf32>
    %sum = linalg.generic {indexing_maps = [#x, #c], iterator_types = ["reduction", "parallel", "reduction"]} ins(%xs : tensor<?x4x20xf32>) outs(%fill : tensor<4xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<4xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%c] [4] [1] : tensor<4xf32> into tensor<8xf32>
    }
  }
  return %r : tensor<8xf32>
}

// -----

// A sum that writes its init through a map with a constant result
// (torch-mlir's keepdim reductions, `(d0, d1, 0, 0)`): upstream's
// partial-reduction tiling takes every result of that map for a dimension,
// read past its tile sizes and crashed norm-opt (the near misses of
// test/Raise/group-and-training-norm-negative.mlir through
// norm-lower-to-cpu). Such a sum is left whole.
// CHECK-LABEL: func.func @keepdim_sum
// CHECK:         scf.forall
// CHECK-NOT:       scf.for
// CHECK:           linalg.generic
// CHECK-SAME:        iterator_types = ["parallel", "parallel", "reduction", "reduction"]
// CHECK-NOT:       vector.reduction
// CHECK:         return
#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#keep = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @keepdim_sum(%x: tensor<2x4x4x36xf32>) -> tensor<2x4x1x1xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<2x4x1x1xf32>
  %r = scf.forall (%n, %g) in (2, 4) shared_outs(%o = %empty) -> (tensor<2x4x1x1xf32>) {
    %xs = tensor.extract_slice %x[%n, %g, 0, 0] [1, 1, 4, 36] [1, 1, 1, 1] : tensor<2x4x4x36xf32> to tensor<1x1x4x36xf32>
    %os = tensor.extract_slice %o[%n, %g, 0, 0] [1, 1, 1, 1] [1, 1, 1, 1] : tensor<2x4x1x1xf32> to tensor<1x1x1x1xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
    %sum = linalg.generic {indexing_maps = [#x, #keep], iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%xs : tensor<1x1x4x36xf32>) outs(%fill : tensor<1x1x1x1xf32>) {
    ^bb0(%in: f32, %acc: f32):
      %add = arith.addf %acc, %in fastmath<reassoc,contract> : f32
      linalg.yield %add : f32
    } -> tensor<1x1x1x1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sum into %o[%n, %g, 0, 0] [1, 1, 1, 1] [1, 1, 1, 1] : tensor<1x1x1x1xf32> into tensor<2x4x1x1xf32>
    }
  }
  return %r : tensor<2x4x1x1xf32>
}

// -----

// A row of run-time length: partial sums of 16 in whole vectors up to the
// last multiple of 16 (hoisted into a loop-carried vector), then the rest
// in one masked vector accumulated into the partial sums' first lanes.
#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @runtime_row_length
// CHECK:         %[[N:.*]] = tensor.dim
// CHECK:         scf.forall
// CHECK:           %[[WHOLE:.*]] = affine.apply #{{.*}}()[%{{.*}}, %[[N]], %[[C16:.*]]]
// CHECK:           %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %[[WHOLE]] step %[[C16]] iter_args(%{{.*}} = %{{.*}}) -> (vector<16xf32>)
// CHECK:             vector.transfer_read {{.*}} {in_bounds = [true]} : tensor<1x?xf32>, vector<16xf32>
// CHECK:           scf.for %[[J:.*]] = %[[WHOLE]] to %[[N]] step %[[C16]]
// CHECK:             %[[REST:.*]] = affine.apply #{{.*}}(%[[J]])[%[[N]]]
// CHECK:             %[[MASK:.*]] = vector.create_mask %{{.*}}, %[[REST]] : vector<1x16xi1>
// CHECK:             %[[M:.*]] = vector.extract %[[MASK]][0]
// CHECK:             vector.transfer_read {{.*}}, %[[M]] {in_bounds = [true]} : tensor<1x?xf32>, vector<16xf32>
// CHECK:             vector.transfer_write {{.*}}, %{{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<1x?xf32>
// CHECK:           vector.reduction <add>
// CHECK-NOT:     linalg.generic
func.func @runtime_row_length(%x: tensor<8x?xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<8x?xf32>
  %empty = tensor.empty() : tensor<8xf32>
  %r = scf.forall (%i) = (0) to (8) step (2) shared_outs(%o = %empty) -> (tensor<8xf32>) {
    %xs = tensor.extract_slice %x[%i, 0] [2, %n] [1, 1] : tensor<8x?xf32> to tensor<2x?xf32>
    %os = tensor.extract_slice %o[%i] [2] [1] : tensor<8xf32> to tensor<2xf32>
    %fill = linalg.fill ins(%zero : f32) outs(%os : tensor<2xf32>) -> tensor<2xf32>
    %sum = linalg.generic {indexing_maps = [#map, #map1], iterator_types = ["parallel", "reduction"]} ins(%xs : tensor<2x?xf32>) outs(%fill : tensor<2xf32>) {
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
