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

// LayerNorm2d (over the channels of NCHW) is valid and has a CPU lowering;
// the GPU kernels normalize rows.
func.func @channels_nchw(%x: memref<2x64x8x8xf32>, %y: memref<2x64x8x8xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x64x8x8xf32> to tensor<2x64x8x8xf32>
  // expected-error @+1 {{has no GPU kernel: the GPU kernels normalize rows: 'axes' must end at the last dimension (a layer norm over the channels of NCHW data has no GPU lowering yet)}}
  %r = norm.layer_norm %xt axes = [1] : tensor<2x64x8x8xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x64x8x8xf32>, memref<2x64x8x8xf32>) -> ()
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

func.func @group_norm_dynamic(%x: memref<?x8x4x4xf32>, %y: memref<?x8x4x4xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x8x4x4xf32> to tensor<?x8x4x4xf32>
  // expected-error @+1 {{has no GPU kernel: the shape must be static}}
  %r = norm.group_norm %xt groups = 2 : tensor<?x8x4x4xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<?x8x4x4xf32>, memref<?x8x4x4xf32>) -> ()
  return
}

// -----

func.func @batch_norm_training_f64(%x: memref<2x8x4x4xf64>, %m: memref<8xf64>,
    %v: memref<8xf64>, %y: memref<2x8x4x4xf64>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x4x4xf64> to tensor<2x8x4x4xf64>
  %mt = bufferization.to_tensor %m restrict : memref<8xf64> to tensor<8xf64>
  %vt = bufferization.to_tensor %v restrict : memref<8xf64> to tensor<8xf64>
  // expected-error @+1 {{has no GPU kernel: the element type must be f32, f16 or bf16}}
  %o:5 = norm.batch_norm_training %xt mean(%mt : tensor<8xf64>) var(%vt : tensor<8xf64>)
      : tensor<2x8x4x4xf64> stats(tensor<8xf64>, tensor<8xf64>)
  bufferization.materialize_in_destination %o#0 in restrict writable %y
      : (tensor<2x8x4x4xf64>, memref<2x8x4x4xf64>) -> ()
  return
}

// -----

func.func @batch_norm_middle_axis(%x: memref<2x4x8x4xf32>, %m: memref<8xf32>,
    %v: memref<8xf32>, %y: memref<2x4x8x4xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x4x8x4xf32> to tensor<2x4x8x4xf32>
  %mt = bufferization.to_tensor %m restrict : memref<8xf32> to tensor<8xf32>
  %vt = bufferization.to_tensor %v restrict : memref<8xf32> to tensor<8xf32>
  // expected-error @+1 {{has no GPU kernel: only the NCHW layout (channel axis 1) and NHWC (channel axis last) have GPU kernels}}
  %o = norm.batch_norm_inference %xt mean(%mt : tensor<8xf32>) var(%vt : tensor<8xf32>)
      feature_axis = 2 : tensor<2x4x8x4xf32>
  bufferization.materialize_in_destination %o in restrict writable %y
      : (tensor<2x4x8x4xf32>, memref<2x4x8x4xf32>) -> ()
  return
}

// -----

func.func @standardize_inner_dynamic(%x: memref<4x?xf32>, %m: memref<?xf32>,
    %s: memref<?xf32>, %y: memref<4x?xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x?xf32> to tensor<4x?xf32>
  %mt = bufferization.to_tensor %m restrict : memref<?xf32> to tensor<?xf32>
  %st = bufferization.to_tensor %s restrict : memref<?xf32> to tensor<?xf32>
  // expected-error @+1 {{has no GPU kernel: only the outermost dimension may be dynamic}}
  %r = norm.standardize %xt, %mt, %st axes = [0] : tensor<4x?xf32>, tensor<?xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<4x?xf32>, memref<4x?xf32>) -> ()
  return
}

// -----

func.func @image_normalize_f64(%x: memref<2x3x8x8xf64>, %m: memref<3xf64>,
    %s: memref<3xf64>, %y: memref<2x3x8x8xf64>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x3x8x8xf64> to tensor<2x3x8x8xf64>
  %mt = bufferization.to_tensor %m restrict : memref<3xf64> to tensor<3xf64>
  %st = bufferization.to_tensor %s restrict : memref<3xf64> to tensor<3xf64>
  // expected-error @+1 {{has no GPU kernel: the element types must be f32, f16 or bf16 (8-bit image pixels)}}
  %r = norm.image_normalize %xt, %mt, %st
      : tensor<2x3x8x8xf64>, tensor<3xf64> -> tensor<2x3x8x8xf64>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x3x8x8xf64>, memref<2x3x8x8xf64>) -> ()
  return
}

// -----

func.func @min_max_scale_no_destination(%x: memref<8x4xf32>, %lo: memref<4xf32>,
    %hi: memref<4xf32>) -> tensor<8x4xf32> {
  %xt = bufferization.to_tensor %x restrict : memref<8x4xf32> to tensor<8x4xf32>
  %lt = bufferization.to_tensor %lo restrict : memref<4xf32> to tensor<4xf32>
  %ht = bufferization.to_tensor %hi restrict : memref<4xf32> to tensor<4xf32>
  // expected-error @+1 {{has no GPU kernel: each used result must be written to an identity-layout memref by one `bufferization.materialize_in_destination`}}
  %r = norm.min_max_scale %xt, %lt, %ht axes = [0] : tensor<8x4xf32>, tensor<4xf32>
  return %r : tensor<8x4xf32>
}

// -----

func.func @moments_no_destination(%x: memref<8x4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x4xf32> to tensor<8x4xf32>
  // expected-error @+1 {{has no GPU kernel: each used result must be written to an identity-layout memref by one `bufferization.materialize_in_destination`}}
  %m, %s = norm.moments %xt axes = [0] : tensor<8x4xf32> -> tensor<4xf32>
  return %m, %s : tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @layer_norm_grad_dynamic_row(%dy: memref<4x?xf32>, %x: memref<4x?xf32>,
    %m: memref<4x1xf32>, %r: memref<4x1xf32>, %dx: memref<4x?xf32>) {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x?xf32> to tensor<4x?xf32>
  %xt = bufferization.to_tensor %x restrict : memref<4x?xf32> to tensor<4x?xf32>
  %mt = bufferization.to_tensor %m restrict : memref<4x1xf32> to tensor<4x1xf32>
  %rt = bufferization.to_tensor %r restrict : memref<4x1xf32> to tensor<4x1xf32>
  // expected-error @+1 {{has no GPU kernel: the normalized dimensions must be static}}
  %gx = norm.layer_norm_grad %dyt, %xt mean(%mt : tensor<4x1xf32>)
      rstd(%rt : tensor<4x1xf32>) axes = [1] : tensor<4x?xf32>
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x?xf32>, memref<4x?xf32>) -> ()
  return
}

// -----

func.func @moments_zero_features(%x: memref<?x0xf32>, %mean: memref<0xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<?x0xf32> to tensor<?x0xf32>
  // expected-error @+1 {{has no GPU kernel: the input has no elements}}
  %m, %s = norm.moments %xt axes = [0] : tensor<?x0xf32> -> tensor<0xf32>
  bufferization.materialize_in_destination %m in restrict writable %mean
      : (tensor<0xf32>, memref<0xf32>) -> ()
  return
}

// -----

// Host memory (a global, a host allocation, views of them) would reach the
// kernels as host pointers.
memref.global "private" constant @weight : memref<64xf32> = dense<1.0>

func.func @host_global_operand(%x: memref<8x64xf32>, %y: memref<8x64xf32>) {
  %g = memref.get_global @weight : memref<64xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x64xf32> to tensor<8x64xf32>
  %wt = bufferization.to_tensor %g restrict : memref<64xf32> to tensor<64xf32>
  // expected-error @+1 {{has no GPU kernel: an operand is host memory (`memref.get_global`); the kernels read and write device memory: pass it as a function argument, allocate it with `gpu.alloc` or register it with `gpu.host_register`}}
  %r = norm.rms_norm %xt weight(%wt : tensor<64xf32>) axes = [1] : tensor<8x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x64xf32>, memref<8x64xf32>) -> ()
  return
}

// -----

func.func @host_alloc_view_operand(%y: memref<8x64xf32>) {
  %a = memref.alloc() : memref<512xf32>
  %x = memref.expand_shape %a [[0, 1]] output_shape [8, 64] : memref<512xf32> into memref<8x64xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x64xf32> to tensor<8x64xf32>
  // expected-error @+1 {{has no GPU kernel: an operand is host memory (`memref.alloc`)}}
  %r = norm.rms_norm %xt axes = [1] : tensor<8x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x64xf32>, memref<8x64xf32>) -> ()
  memref.dealloc %a : memref<512xf32>
  return
}

// -----

func.func @host_alloca_destination(%x: memref<8x64xf32>) {
  %y = memref.alloca() : memref<8x64xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x64xf32> to tensor<8x64xf32>
  // expected-error @+1 {{has no GPU kernel: a destination is host memory (`memref.alloca`)}}
  %r = norm.rms_norm %xt axes = [1] : tensor<8x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x64xf32>, memref<8x64xf32>) -> ()
  return
}

// -----

// Device memory from gpu.alloc, and views of it, are fine (no diagnostic).
func.func @device_alloc_operand(%y: memref<8x64xf32>) {
  %a = gpu.alloc () : memref<512xf32>
  %x = memref.expand_shape %a [[0, 1]] output_shape [8, 64] : memref<512xf32> into memref<8x64xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x64xf32> to tensor<8x64xf32>
  %r = norm.rms_norm %xt axes = [1] : tensor<8x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x64xf32>, memref<8x64xf32>) -> ()
  gpu.dealloc %a : memref<512xf32>
  return
}

// -----

// Host memory registered with gpu.host_register (page-locked and mapped,
// upstream's way to give kernels host data) is accepted.
func.func @host_registered_operand(%y: memref<8x64xf32>) {
  %x = memref.alloc() : memref<8x64xf32>
  %u = memref.cast %x : memref<8x64xf32> to memref<*xf32>
  gpu.host_register %u : memref<*xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x64xf32> to tensor<8x64xf32>
  %r = norm.rms_norm %xt axes = [1] : tensor<8x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x64xf32>, memref<8x64xf32>) -> ()
  return
}
