// RUN: norm-opt %s --convert-norm-to-gpu="warp-block-size=2048" --split-input-file --verify-diagnostics
// RUN: norm-opt %s --convert-norm-to-gpu="warp-block-size=100" --split-input-file --verify-diagnostics
// RUN: norm-opt %s --convert-norm-to-gpu="warp-block-size=16" --split-input-file --verify-diagnostics
// RUN: norm-opt %s --convert-norm-to-gpu="warp-block-size=1024" --split-input-file \
// RUN:   | FileCheck %s --check-prefix=OK

// Rows handled by warps: warp-block-size threads per block. 2048 would be
// 64 rows x 32 lanes, a block that fails to launch; 100 or 16 would leave a
// partial warp running full-mask shuffles (shfl.sync 0xffffffff).
func.func @warp_rows(%x: memref<?x256xf32>, %y: memref<?x256xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x256xf32> to tensor<?x256xf32>
  // expected-error @+1 {{has no GPU kernel: warp-block-size must be a multiple of 32 between 32 and 1024}}
  %r = norm.rms_norm %xt axes = [1] : tensor<?x256xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x256xf32>, memref<?x256xf32>) -> ()
  return
}

// OK-LABEL: func.func @warp_rows(
// OK: gpu.launch blocks({{.*}}) in ({{.*}}) threads({{.*}}) in ({{.*}} = %c1024
