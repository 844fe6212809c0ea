// With index-bitwidth=32 the kernels' offsets are signed 32-bit integers:
// ops with a static operand or result of more than 2^30 elements are
// rejected, with headroom for the loop bounds past the last offset.
// RUN: norm-opt %s --convert-norm-to-gpu="index-bitwidth=32" --split-input-file --verify-diagnostics
// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file | FileCheck %s
// RUN: not norm-opt %s --convert-norm-to-gpu="index-bitwidth=16" --split-input-file 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BITS

// BITS: error: index-bitwidth must be 32 or 64, not 16

// CHECK-LABEL: func.func @rows_past_2_30(
// CHECK: gpu.launch
func.func @rows_past_2_30(%x: memref<262145x4096xbf16>, %y: memref<262145x4096xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<262145x4096xbf16> to tensor<262145x4096xbf16>
  // expected-error @+1 {{'norm.rms_norm' op has 1073745920 elements in 'tensor<262145x4096xbf16>', more than the 2^30 that 32-bit kernel indices allow; use index-bitwidth=64}}
  %r = norm.rms_norm %xt axes = [1] : tensor<262145x4096xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<262145x4096xbf16>, memref<262145x4096xbf16>) -> ()
  return
}

// -----

// 2^30 elements exactly: lowered.
// CHECK-LABEL: func.func @rows_at_2_30(
// CHECK: gpu.launch
func.func @rows_at_2_30(%x: memref<262144x4096xbf16>, %y: memref<262144x4096xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<262144x4096xbf16> to tensor<262144x4096xbf16>
  %r = norm.rms_norm %xt axes = [1] : tensor<262144x4096xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<262144x4096xbf16>, memref<262144x4096xbf16>) -> ()
  return
}

// -----

// Dynamic rows are the caller's to keep under the limit.
// CHECK-LABEL: func.func @dynamic_rows(
// CHECK: gpu.launch
func.func @dynamic_rows(%x: memref<?x4096xbf16>, %y: memref<?x4096xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x4096xbf16> to tensor<?x4096xbf16>
  %r = norm.rms_norm %xt axes = [1] : tensor<?x4096xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x4096xbf16>, memref<?x4096xbf16>) -> ()
  return
}
