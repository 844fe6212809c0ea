// REQUIRES: cuda-toolkit
// RUN: norm-opt %s --norm-lower-to-nvvm="format=isa" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=PTX
// RUN: norm-opt %s --norm-lower-to-nvvm="chip=sm_80 format=isa" \
// RUN:   | %python %norm_src_root/scripts/extract-gpu-objects.py | FileCheck %s --check-prefix=PTX

// LayerNorm backward bf16 [?, 4096] through the whole pipeline. Kernel 1:
// grad_input on a persistent grid (a block a row, 16 elements a thread:
// x and dy as two 128-bit loads each, shuffle and block reductions), each
// thread summing dpre * xhat and dpre of its 16 columns across its rows;
// after the loop the block's two partial rows, 32 floats a thread as eight
// 128-bit stores. Kernel 2: the partial rows' column reduction (f32 column
// vectors as 128-bit loads, three barriers: the tree over 8 row lanes).
// Kernel 3: the finalize, a thread a column. No local memory.
// PTX-NOT: .local
// PTX: .visible .entry layer_norm_grad_bf16_kernel(
// PTX-COUNT-4: ld.global.v4.b32
// PTX: shfl.sync.bfly.b32
// PTX: bar.sync
// PTX-COUNT-8: st.global.v4.b32
// PTX: .visible .entry layer_norm_grad_bf16_kernel(
// PTX: ld.global.v4.b32
// PTX-COUNT-3: bar.sync
// PTX-NOT: bar.sync
// PTX: .visible .entry layer_norm_grad_bf16_kernel(
// PTX-NOT: bar.sync
// PTX-NOT: .local
func.func @layer_norm_grad_bf16(%dy: memref<?x4096xbf16>,
    %x: memref<?x4096xbf16>, %mean: memref<?x1xf32>, %rstd: memref<?x1xf32>,
    %w: memref<4096xbf16>, %dx: memref<?x4096xbf16>, %dw: memref<4096xf32>,
    %db: memref<4096xf32>) {
  %dyt = bufferization.to_tensor %dy restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %mt = bufferization.to_tensor %mean restrict : memref<?x1xf32> to tensor<?x1xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<?x1xf32> to tensor<?x1xf32>
  %wt = bufferization.to_tensor %w restrict : memref<4096xbf16> to tensor<4096xbf16>
  %gx, %gw, %gb = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<?x1xf32>)
      rstd(%rt : tensor<?x1xf32>) weight(%wt : tensor<4096xbf16>) axes = [1]
      : tensor<?x4096xbf16> grad_weight(tensor<4096xf32>) grad_bias(tensor<4096xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<4096xf32>, memref<4096xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<4096xf32>, memref<4096xf32>) -> ()
  return
}
