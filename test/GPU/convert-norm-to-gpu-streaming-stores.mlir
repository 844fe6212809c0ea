// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8 streaming-stores=1" \
// RUN:   --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="cluster-size=8" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=OFF

// streaming-stores: the kernels that re-read their inputs after a
// reduction kernel (the normalize kernel after a statistics kernel, the
// backward's grad_input after its sums) mark their output stores
// non-temporal (st.cs on NVPTX, norm-nvvm-streaming-stores), so that the
// output does not evict from L2 the inputs still to be read. Kernels that
// read their inputs once keep ordinary stores.

// Two kernels (4 sets of 16384 vectors: 32 chunks, more than a cluster):
// the statistics kernel's partials are ordinary stores, the normalize
// kernel's output non-temporal.
// CHECK-LABEL: func.func @gn_two_kernels(
// CHECK: gpu.launch async
// CHECK-NOT: vector.store
// CHECK-NOT: nontemporal = true
// CHECK: gpu.terminator
// CHECK: gpu.launch async
// CHECK-NOT: vector.store %{{.*}} {alignment = {{[0-9]+}} : i64} :
// CHECK: vector.store %{{.*}} {alignment = 16 : i64, nontemporal = true} : memref<262144xf32>, vector<4xf32>
// CHECK-NOT: vector.store %{{.*}} {alignment = {{[0-9]+}} : i64} :
// CHECK: gpu.dealloc async
// OFF-LABEL: func.func @gn_two_kernels(
// OFF-NOT: nontemporal = true
// OFF: gpu.dealloc async
func.func @gn_two_kernels(%x: memref<1x64x64x64xf32>, %y: memref<1x64x64x64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<1x64x64x64xf32> to tensor<1x64x64x64xf32>
  %r = norm.group_norm %xt groups = 4 activation = silu : tensor<1x64x64x64xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<1x64x64x64xf32>, memref<1x64x64x64xf32>) -> ()
  return
}

// -----

// One kernel in clusters (8 sets of 1024 vectors, 4 chunks): the input is
// read once, the output stored as usual.
// CHECK-LABEL: func.func @gn_single_pass(
// CHECK: gpu.launch async
// CHECK-SAME: clusters(
// CHECK-NOT: nontemporal = true
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<32768xf32>, vector<4xf32>
// CHECK-NOT: nontemporal = true
// CHECK: gpu.wait [
func.func @gn_single_pass(%x: memref<2x64x16x16xf32>, %y: memref<2x64x16x16xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x64x16x16xf32> to tensor<2x64x16x16xf32>
  %r = norm.group_norm %xt groups = 4 : tensor<2x64x16x16xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x64x16x16xf32>, memref<2x64x16x16xf32>) -> ()
  return
}

// -----

// BatchNorm inference: the normalize kernel alone, one read: ordinary stores.
// CHECK-LABEL: func.func @bn_inference(
// CHECK-NOT: nontemporal = true
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<2048xf32>, vector<4xf32>
// CHECK-NOT: nontemporal = true
// CHECK: gpu.wait [
func.func @bn_inference(%x: memref<2x16x8x8xf32>, %m: memref<16xf32>,
    %v: memref<16xf32>, %y: memref<2x16x8x8xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x16x8x8xf32> to tensor<2x16x8x8xf32>
  %mt = bufferization.to_tensor %m restrict : memref<16xf32> to tensor<16xf32>
  %vt = bufferization.to_tensor %v restrict : memref<16xf32> to tensor<16xf32>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<16xf32>) var(%vt : tensor<16xf32>)
      : tensor<2x16x8x8xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x16x8x8xf32>, memref<2x16x8x8xf32>) -> ()
  return
}

// -----

// BatchNorm NHWC training (column kernels: statistics, finalize,
// normalize): the normalize kernel's output non-temporal. The residual sum
// is written by the statistics kernel and read back by the normalize
// kernel: an ordinary store.
// CHECK-LABEL: func.func @bn_training_nhwc_residual(
// CHECK-SAME: %[[S:[^:]*]]: memref<4x8x8x32xbf16>)
// CHECK: %[[SV:.*]] = memref.collapse_shape %[[S]]
// CHECK: gpu.launch async
// CHECK: vector.store %{{.*}}, %[[SV]][%{{.*}}] {alignment = 16 : i64} : memref<8192xbf16>, vector<8xbf16>
// CHECK: gpu.launch async
// CHECK-NOT: nontemporal = true
// CHECK: gpu.launch async
// CHECK: vector.load %[[SV]]
// CHECK-NOT: vector.store %{{.*}} {alignment = {{[0-9]+}} : i64} :
// CHECK: vector.store %{{.*}} {alignment = 16 : i64, nontemporal = true} : memref<8192xbf16>, vector<8xbf16>
// CHECK-NOT: vector.store %{{.*}} {alignment = {{[0-9]+}} : i64} :
// CHECK: gpu.dealloc async
func.func @bn_training_nhwc_residual(%x: memref<4x8x8x32xbf16>,
    %res: memref<4x8x8x32xbf16>, %m: memref<32xf32>, %v: memref<32xf32>,
    %y: memref<4x8x8x32xbf16>, %s: memref<4x8x8x32xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<4x8x8x32xbf16> to tensor<4x8x8x32xbf16>
  %rt = bufferization.to_tensor %res restrict : memref<4x8x8x32xbf16> to tensor<4x8x8x32xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<32xf32> to tensor<32xf32>
  %vt = bufferization.to_tensor %v restrict : memref<32xf32> to tensor<32xf32>
  %r:6 = norm.batch_norm_training %xt mean(%mt : tensor<32xf32>) var(%vt : tensor<32xf32>)
      residual(%rt : tensor<4x8x8x32xbf16>) feature_axis = 3 momentum = 0.1
      : tensor<4x8x8x32xbf16> stats(tensor<32xf32>, tensor<32xf32>)
      residual_sum(tensor<4x8x8x32xbf16>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<4x8x8x32xbf16>, memref<4x8x8x32xbf16>) -> ()
  bufferization.materialize_in_destination %r#5 in restrict writable %s
      : (tensor<4x8x8x32xbf16>, memref<4x8x8x32xbf16>) -> ()
  return
}

// -----

// BatchNorm NHWC inference: the column normalize kernel alone, one read.
// CHECK-LABEL: func.func @bn_inference_nhwc(
// CHECK-NOT: nontemporal = true
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<1536xf32>, vector<4xf32>
// CHECK-NOT: nontemporal = true
// CHECK: gpu.wait [
func.func @bn_inference_nhwc(%x: memref<2x8x8x12xf32>, %m: memref<12xf32>,
    %v: memref<12xf32>, %y: memref<2x8x8x12xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x8x12xf32> to tensor<2x8x8x12xf32>
  %mt = bufferization.to_tensor %m restrict : memref<12xf32> to tensor<12xf32>
  %vt = bufferization.to_tensor %v restrict : memref<12xf32> to tensor<12xf32>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<12xf32>) var(%vt : tensor<12xf32>)
      feature_axis = 3 : tensor<2x8x8x12xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x8x12xf32>, memref<2x8x8x12xf32>) -> ()
  return
}

// -----

// BatchNorm backward: the channel sums (partials, finalize) read x and dy,
// then grad_input re-reads them: its stores non-temporal.
// CHECK-LABEL: func.func @bn_grad(
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: nontemporal = true
// CHECK: gpu.launch async
// CHECK-NOT: vector.store %{{.*}} {alignment = {{[0-9]+}} : i64} :
// CHECK: vector.store %{{.*}} {alignment = 16 : i64, nontemporal = true} : memref<4096xf32>, vector<4xf32>
// CHECK-NOT: vector.store %{{.*}} {alignment = {{[0-9]+}} : i64} :
// CHECK: gpu.dealloc async
func.func @bn_grad(%dy: memref<4x16x8x8xf32>, %x: memref<4x16x8x8xf32>,
    %mean: memref<16xf32>, %rstd: memref<16xf32>, %w: memref<16xf32>,
    %dx: memref<4x16x8x8xf32>, %dw: memref<16xf32>, %db: memref<16xf32>) {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x16x8x8xf32> to tensor<4x16x8x8xf32>
  %xt = bufferization.to_tensor %x restrict : memref<4x16x8x8xf32> to tensor<4x16x8x8xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<16xf32> to tensor<16xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %gx, %gw, %gb = norm.batch_norm_grad %dyt, %xt mean(%mt : tensor<16xf32>)
      rstd(%rt : tensor<16xf32>) weight(%wt : tensor<16xf32>)
      : tensor<4x16x8x8xf32> grad_weight(tensor<16xf32>) grad_bias(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x16x8x8xf32>, memref<4x16x8x8xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// -----

// The micro-batch form with the batch's sums given and no parameter
// gradients: grad_input is the one kernel, x and dy read once.
// CHECK-LABEL: func.func @bn_grad_micro_batch(
// CHECK: gpu.launch async
// CHECK-NOT: gpu.launch async
// CHECK-NOT: nontemporal = true
// CHECK: vector.store %{{.*}} {alignment = 4 : i64} : memref<3136xf32>, vector<1xf32>
// CHECK-NOT: nontemporal = true
// CHECK: gpu.wait [
func.func @bn_grad_micro_batch(%dy: memref<4x16x7x7xf32>,
    %x: memref<4x16x7x7xf32>, %mean: memref<16xf32>, %rstd: memref<16xf32>,
    %sd: memref<16xf32>, %sdx: memref<16xf32>, %n: memref<f32>,
    %dx: memref<4x16x7x7xf32>) {
  %dyt = bufferization.to_tensor %dy restrict : memref<4x16x7x7xf32> to tensor<4x16x7x7xf32>
  %xt = bufferization.to_tensor %x restrict : memref<4x16x7x7xf32> to tensor<4x16x7x7xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<16xf32> to tensor<16xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<16xf32> to tensor<16xf32>
  %sdt = bufferization.to_tensor %sd restrict : memref<16xf32> to tensor<16xf32>
  %sdxt = bufferization.to_tensor %sdx restrict : memref<16xf32> to tensor<16xf32>
  %nt = bufferization.to_tensor %n restrict : memref<f32> to tensor<f32>
  %gx = norm.batch_norm_grad %dyt, %xt mean(%mt : tensor<16xf32>)
      rstd(%rt : tensor<16xf32>) batch_grad_sums(%sdt, %sdxt : tensor<16xf32>, tensor<16xf32>)
      count(%nt : tensor<f32>) : tensor<4x16x7x7xf32>
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<4x16x7x7xf32>, memref<4x16x7x7xf32>) -> ()
  return
}
