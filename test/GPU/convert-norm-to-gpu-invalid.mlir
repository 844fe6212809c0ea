// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file --verify-diagnostics

func.func @dynamic_row(%x: memref<4x?xf32>, %y: memref<4x?xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x?xf32> to tensor<4x?xf32>
  // expected-error @+1 {{has no GPU kernel: the normalized dimensions must be static}}
  %r = norm.rms_norm %xt axes = [1] : tensor<4x?xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x?xf32>, memref<4x?xf32>) -> ()
  return
}

// -----

func.func @not_materialized(%x: memref<4x64xf32>) -> tensor<4x64xf32> {
  %xt = bufferization.to_tensor %x restrict : memref<4x64xf32> to tensor<4x64xf32>
  // expected-error @+1 {{each used result must be written to an identity-layout memref by one `bufferization.materialize_in_destination`}}
  %r = norm.rms_norm %xt axes = [1] : tensor<4x64xf32>
  return %r : tensor<4x64xf32>
}

// -----

func.func @tensor_operand(%xt: tensor<4x64xf32>, %y: memref<4x64xf32>) {
  // expected-error @+1 {{operands must be `bufferization.to_tensor` of identity-layout memrefs}}
  %r = norm.layer_norm %xt axes = [1] : tensor<4x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x64xf32>, memref<4x64xf32>) -> ()
  return
}

// -----

func.func @f64(%x: memref<4x64xf64>, %y: memref<4x64xf64>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x64xf64> to tensor<4x64xf64>
  // expected-error @+1 {{the element type must be f32, f16 or bf16}}
  %r = norm.layer_norm %xt axes = [1] : tensor<4x64xf64>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x64xf64>, memref<4x64xf64>) -> ()
  return
}

// -----

func.func @too_long(%x: memref<4x131072xf32>, %y: memref<4x131072xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x131072xf32> to tensor<4x131072xf32>
  // expected-error @+1 {{rows of 131072 elements need more than max-values-per-thread = 64 registers per thread}}
  %r = norm.rms_norm %xt axes = [1] : tensor<4x131072xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x131072xf32>, memref<4x131072xf32>) -> ()
  return
}

// -----

func.func @group_norm(%x: memref<2x8x4x4xf32>, %y: memref<2x8x4x4xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x4x4xf32> to tensor<2x8x4x4xf32>
  // expected-error @+1 {{has no GPU kernel: only norm.layer_norm and norm.rms_norm have a GPU kernel}}
  %r = norm.group_norm %xt groups = 2 : tensor<2x8x4x4xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x4x4xf32>, memref<2x8x4x4xf32>) -> ()
  return
}
