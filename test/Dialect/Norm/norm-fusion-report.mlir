// RUN: norm-opt %s --norm-fusion-report -o /dev/null | FileCheck %s

// fill (writes 4x16xf32 = 256 B), matmul (reads x 128 B and W 512 B, reads
// and writes its 256 B accumulator), relu generic (reads 256 B, writes
// 256 B): 256 + 1152 + 512 = 1920 bytes. The fill and matmul results feed
// linalg ops: 2 intermediates of 256 B each.
// CHECK: fusion report @static: 3 linalg ops, 2 intermediates (512 bytes), bytes moved 1920
func.func @static(%x: tensor<4x8xf32>) -> tensor<4x16xf32> {
  %w = arith.constant dense<1.0> : tensor<8x16xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// A reduction read through a reshape is an intermediate (f16: 2 B each):
// sum reads 64 B and reads+writes 8 B; scale reads 64 + 8 B, writes 64 B.
// CHECK: fusion report @through_reshape: 2 linalg ops, 1 intermediates (8 bytes), bytes moved 216
func.func @through_reshape(%x: tensor<4x8xf16>, %init: tensor<4xf16>) -> tensor<4x8xf16> {
  %s = linalg.reduce ins(%x : tensor<4x8xf16>) outs(%init : tensor<4xf16>) dimensions = [1]
    (%a: f16, %b: f16) {
      %r = arith.addf %a, %b : f16
      linalg.yield %r : f16
    }
  %s2 = tensor.expand_shape %s [[0, 1]] output_shape [4, 1] : tensor<4xf16> into tensor<4x1xf16>
  %e = tensor.empty() : tensor<4x8xf16>
  %y = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s2 : tensor<4x8xf16>, tensor<4x1xf16>) outs(%e : tensor<4x8xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %r = arith.mulf %a, %b : f16
    linalg.yield %r : f16
  } -> tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// Dynamic shapes make the byte counts unknown; norm ops are counted apart.
// CHECK: fusion report @dynamic: 1 linalg ops, 0 intermediates (0 bytes), bytes moved dynamic, 1 norm ops not lowered
func.func @dynamic(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %n = norm.rms_norm %x axes = [1] : tensor<?x8xf32>
  %zero = arith.constant 0.0 : f32
  %y = linalg.fill ins(%zero : f32) outs(%n : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// Declarations are skipped.
// CHECK-NOT: @external
func.func private @external(%x: tensor<4xf32>) -> tensor<4xf32>
