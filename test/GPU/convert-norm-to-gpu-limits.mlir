// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file --verify-diagnostics

// Limits of convert-norm-to-gpu (see its description) not covered by
// convert-norm-to-gpu-invalid.mlir.

func.func @no_row_dimension(%x: memref<64xf32>, %y: memref<64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<64xf32> to tensor<64xf32>
  // expected-error @+1 {{has no GPU kernel: at least one leading (row) dimension is required}}
  %r = norm.rms_norm %xt axes = [0] : tensor<64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// -----

func.func @output_unused(%x: memref<4x64xf32>, %s: memref<4x1xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x64xf32> to tensor<4x64xf32>
  // expected-error @+1 {{has no GPU kernel: the output must be written to a destination memref}}
  %r, %rstd = norm.rms_norm %xt axes = [1] : tensor<4x64xf32> rstd(tensor<4x1xf32>)
  bufferization.materialize_in_destination %rstd in restrict writable %s
      : (tensor<4x1xf32>, memref<4x1xf32>) -> ()
  return
}

// -----

// Zero elements per row: used to divide by zero (a zero-thread group; UBSan
// found it through scripts/pass-sweep.py).
func.func @empty_rows(%x: memref<4x0xf32>, %y: memref<4x0xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x0xf32> to tensor<4x0xf32>
  // expected-error @+1 {{has no GPU kernel: the normalized dimensions have no elements}}
  %r = norm.layer_norm %xt axes = [1] : tensor<4x0xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x0xf32>, memref<4x0xf32>) -> ()
  return
}

// -----

// A dynamic row count and f16 are supported (no error).
func.func @dynamic_rows_f16(%x: memref<?x64xf16>, %y: memref<?x64xf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x64xf16> to tensor<?x64xf16>
  %r = norm.rms_norm %xt axes = [1] : tensor<?x64xf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x64xf16>, memref<?x64xf16>) -> ()
  return
}
