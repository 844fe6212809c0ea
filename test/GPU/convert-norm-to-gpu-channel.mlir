// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="num-sms=16 blocks-per-sm=2" --split-input-file \
// RUN:   | FileCheck %s --check-prefix=SMALL

// GroupNorm(32) + SiLU, bf16 [8, 512, 64, 64]: 256 sets (sample, group) of
// 16 x 4096 elements = 8192 vectors of 8; 8 chunks of 1024 vectors, so the
// grid is 256 x 8 = 2048 blocks of 256 threads (>= 8 per SM on 132 SMs).
// Kernel 1: partial moments (4 vectors a thread, no loop); kernel 2: merge +
// normalize + SiLU.
// CHECK-LABEL: func.func @gn_silu(
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[WS:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<6144xf32>
// CHECK: %[[T2:.*]] = gpu.launch async [%[[T1]]] blocks({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c8{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK-SAME: workgroup(%[[SCRATCH:.*]] : memref<96xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: scf.for
// CHECK-COUNT-4: vector.load {{.*}} {alignment = 16 : i64} : memref<16777216xbf16>, vector<8xbf16>
// CHECK: arith.divf
// CHECK: gpu.shuffle xor
// CHECK: gpu.shuffle idx
// CHECK: memref.store {{.*}}, %[[SCRATCH]]
// CHECK: gpu.barrier
// CHECK: memref.store {{.*}}, %[[WS]]
// CHECK: gpu.terminator
// Kernel 2 walks the blocks backwards (set 255 - x, chunk 7 - y): it starts
// with what kernel 1 read last, still in L2.
// CHECK: %[[T3:.*]] = gpu.launch async [%[[T2]]] blocks(%[[BX:.*]], %[[BY:.*]], %{{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c8
// CHECK: arith.subi %c255{{.*}}, %[[BX]] : index
// CHECK: arith.subi %c7{{.*}}, %[[BY]] : index
// CHECK: memref.load %[[WS]]
// CHECK: gpu.shuffle xor
// CHECK-NOT: gpu.barrier
// CHECK: math.rsqrt
// CHECK: math.exp
// CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<16777216xbf16>, vector<8xbf16>
// CHECK: gpu.terminator
// CHECK: %[[T4:.*]] = gpu.dealloc async [%[[T3]]] %[[WS]]
// CHECK: gpu.wait [%[[T4]]]
// CHECK-NOT: norm.
// CHECK: return

// SMALL-LABEL: func.func @gn_silu(
// SMALL: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c256{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1
func.func @gn_silu(%x: memref<8x512x64x64xbf16>, %w: memref<512xbf16>,
    %b: memref<512xbf16>, %y: memref<8x512x64x64xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<8x512x64x64xbf16> to tensor<8x512x64x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<512xbf16> to tensor<512xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<512xbf16> to tensor<512xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<512xbf16>) bias(%bt : tensor<512xbf16>)
      groups = 32 activation = silu : tensor<8x512x64x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<8x512x64x64xbf16>, memref<8x512x64x64xbf16>) -> ()
  return
}

// -----

// BatchNorm inference + ReLU: one kernel (no statistics pass, no
// workspace), the channel's scale and shift computed once per block.
// CHECK-LABEL: func.func @bn_inference_relu(
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch async
// CHECK-NOT: gpu.barrier
// CHECK: memref.load %{{.*}} : memref<64xf32>
// CHECK: math.rsqrt
// CHECK: vector.load {{.*}} : memref<6422528xf32>, vector<4xf32>
// CHECK: %[[NEG:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}}
// CHECK: arith.select %[[NEG]]
// CHECK: vector.store
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK: gpu.wait [
func.func @bn_inference_relu(%x: memref<32x64x56x56xf32>, %m: memref<64xf32>,
    %v: memref<64xf32>, %w: memref<64xf32>, %b: memref<64xf32>,
    %y: memref<32x64x56x56xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %bt = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      weight(%wt : tensor<64xf32>) bias(%bt : tensor<64xf32>) activation = relu
      : tensor<32x64x56x56xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<32x64x56x56xf32>, memref<32x64x56x56xf32>) -> ()
  return
}

// -----

// BatchNorm training, f32 [32, 64, 56, 56]: 64 channels of 32 x 784 vectors
// of 4; 25 chunks of 1024 vectors (the last one partial: masked loads), so
// 64 x 25 = 1600 blocks. Block (c, 0) writes the saved and running statistics.
// CHECK-LABEL: func.func @bn_training(
// CHECK: gpu.alloc async {{.*}} : memref<4800xf32>
// CHECK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}} = %c25
// CHECK: arith.cmpi ult, {{.*}}, %c25088
// CHECK: scf.if {{.*}} -> (vector<4xf32>)
// CHECK: gpu.barrier
// CHECK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c64{{.*}}, {{.*}} = %c25
// CHECK: memref.store {{.*}} : memref<64xf32>
// CHECK: memref.store {{.*}} : memref<64xf32>
// CHECK: memref.store {{.*}} : memref<64xf32>
// CHECK: memref.store {{.*}} : memref<64xf32>
// CHECK: vector.store
// CHECK: gpu.dealloc async
func.func @bn_training(%x: memref<32x64x56x56xf32>, %m: memref<64xf32>,
    %v: memref<64xf32>, %y: memref<32x64x56x56xf32>, %sm: memref<64xf32>,
    %sr: memref<64xf32>, %nm: memref<64xf32>, %nv: memref<64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<32x64x56x56xf32> to tensor<32x64x56x56xf32>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      momentum = 0.1 : tensor<32x64x56x56xf32> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x64x56x56xf32>, memref<32x64x56x56xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// -----

// Odd spatial extent (3 x 3): scalar accesses; tiny sets (2 x 9
// elements): one chunk, one warp per block (no shared memory), masked tail.
// CHECK-LABEL: func.func @gn_odd_stats(
// CHECK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c4{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c32
// CHECK-NOT: workgroup
// CHECK: vector.load {{.*}} : memref<72xf32>, vector<1xf32>
// CHECK-NOT: gpu.barrier
// CHECK: gpu.launch async
// CHECK: memref.store {{.*}} : memref<4xf32>
// CHECK: memref.store {{.*}} : memref<4xf32>
func.func @gn_odd_stats(%x: memref<2x4x3x3xf32>, %y: memref<2x4x3x3xf32>,
    %mean: memref<2x2xf32>, %rstd: memref<2x2xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x4x3x3xf32> to tensor<2x4x3x3xf32>
  %r:3 = norm.group_norm %xt groups = 2 : tensor<2x4x3x3xf32> stats(tensor<2x2xf32>, tensor<2x2xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<2x4x3x3xf32>, memref<2x4x3x3xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %mean
      : (tensor<2x2xf32>, memref<2x2xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %rstd
      : (tensor<2x2xf32>, memref<2x2xf32>) -> ()
  return
}

// -----

// BatchNorm training, NHWC bf16 [32, 56, 56, 64]: rows of 64 channels = 8
// vectors of 8; blocks of 8 channel lanes x 32 row lanes. Kernel 1: per
// channel partial moments of 523 chunks of 192 rows (unroll 2: 4 would
// leave 392 chunks), a tree over the row lanes in shared memory; kernel 2:
// a warp per channel (8 blocks of 8 warps) merges the partials, writes the
// statistics, scale and shift; kernel 3: normalize.
// CHECK-LABEL: func.func @bn_training_nhwc(
// CHECK: gpu.alloc async {{.*}} : memref<100544xf32>
// CHECK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c523{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK-SAME: workgroup(%{{.*}} : memref<4352xf32, #gpu.address_space<workgroup>>)
// CHECK: vector.load {{.*}} : memref<6422528xbf16>, vector<8xbf16>
// CHECK: gpu.barrier
// The finalize loads 4 partials (lanes l, l + 32, l + 64, l + 96) per
// iteration before merging them; the normalize walks the chunks backwards.
// CHECK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c8{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK: scf.for {{.*}} to %c523{{.*}} step %c128
// CHECK-COUNT-4: scf.if {{.*}} -> (f32, f32, f32)
// CHECK: gpu.shuffle xor
// CHECK: math.rsqrt
// CHECK: gpu.launch async {{.*}} blocks(%{{.*}}, %[[NBY:.*]], %{{.*}}) in ({{.*}} = %c1{{.*}}, {{.*}} = %c523
// CHECK: arith.subi %c522{{.*}}, %[[NBY]] : index
// CHECK-NOT: gpu.barrier
// CHECK: vector.store {{.*}} : memref<6422528xbf16>, vector<8xbf16>
// CHECK: gpu.dealloc async
func.func @bn_training_nhwc(%x: memref<32x56x56x64xbf16>, %m: memref<64xf32>,
    %v: memref<64xf32>, %y: memref<32x56x56x64xbf16>, %sm: memref<64xf32>,
    %sr: memref<64xf32>, %nm: memref<64xf32>, %nv: memref<64xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<32x56x56x64xbf16> to tensor<32x56x56x64xbf16>
  %mt = bufferization.to_tensor %m restrict : memref<64xf32> to tensor<64xf32>
  %vt = bufferization.to_tensor %v restrict : memref<64xf32> to tensor<64xf32>
  %r:5 = norm.batch_norm_training %xt mean(%mt : tensor<64xf32>) var(%vt : tensor<64xf32>)
      feature_axis = 3 : tensor<32x56x56x64xbf16> stats(tensor<64xf32>, tensor<64xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<32x56x56x64xbf16>, memref<32x56x56x64xbf16>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %sm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#2 in restrict writable %sr
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#3 in restrict writable %nm
      : (tensor<64xf32>, memref<64xf32>) -> ()
  bufferization.materialize_in_destination %r#4 in restrict writable %nv
      : (tensor<64xf32>, memref<64xf32>) -> ()
  return
}

// -----

// BatchNorm inference NHWC f32 with 24 channels (6 vectors of 4): the block
// is 6 x 32 threads; one kernel.
// CHECK-LABEL: func.func @bn_inference_nhwc(
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch async {{.*}} threads({{.*}}) in ({{.*}} = %c192
// CHECK: vector.load {{.*}} : memref<3072xf32>, vector<4xf32>
// CHECK-NOT: gpu.launch
// CHECK: gpu.wait [
func.func @bn_inference_nhwc(%x: memref<2x8x8x24xf32>, %m: memref<24xf32>,
    %v: memref<24xf32>, %y: memref<2x8x8x24xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x8x24xf32> to tensor<2x8x8x24xf32>
  %mt = bufferization.to_tensor %m restrict : memref<24xf32> to tensor<24xf32>
  %vt = bufferization.to_tensor %v restrict : memref<24xf32> to tensor<24xf32>
  %r = norm.batch_norm_inference %xt mean(%mt : tensor<24xf32>) var(%vt : tensor<24xf32>)
      feature_axis = 3 : tensor<2x8x8x24xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x8x24xf32>, memref<2x8x8x24xf32>) -> ()
  return
}

// -----

// GroupNorm(32) with a weight and bias, [2, 64, 7, 7] f32: sets of 2 x 49 =
// 98 scalar vectors, one chunk of 128 (masked tail). The channel whose scale
// and shift a thread reads comes from its vector index clamped to the last
// vector of the set (97): unclamped, thread 127 of the last group would read
// weight[62 + 127 / 49] = weight[64], past the end.
// CHECK-LABEL: func.func @gn_tail_weight(
// CHECK: gpu.launch async
// CHECK: gpu.launch async
// CHECK: arith.cmpi ult, %[[K:.*]], %c98
// CHECK: %[[KC:.*]] = arith.minui %[[K]], %c97
// CHECK: %[[G:.*]] = arith.remui %{{.*}}, %c32
// CHECK: %[[FIRST:.*]] = arith.muli %[[G]], %c2
// CHECK: %[[IDX:.*]] = arith.divui %[[KC]], %c49
// CHECK: %[[C:.*]] = arith.addi %[[FIRST]], %[[IDX]]
// CHECK: memref.load %{{.*}}[%[[C]]] : memref<64xf32>
// CHECK: memref.load %{{.*}}[%[[C]]] : memref<64xf32>
func.func @gn_tail_weight(%x: memref<2x64x7x7xf32>, %w: memref<64xf32>,
    %b: memref<64xf32>, %y: memref<2x64x7x7xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x64x7x7xf32> to tensor<2x64x7x7xf32>
  %wt = bufferization.to_tensor %w restrict : memref<64xf32> to tensor<64xf32>
  %bt = bufferization.to_tensor %b restrict : memref<64xf32> to tensor<64xf32>
  %r = norm.group_norm %xt weight(%wt : tensor<64xf32>) bias(%bt : tensor<64xf32>)
      groups = 32 : tensor<2x64x7x7xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x64x7x7xf32>, memref<2x64x7x7xf32>) -> ()
  return
}

// -----

// GroupNorm(8) + SiLU NHWC bf16 [2, 16, 16, 64]: 16 sets (sample, group) of
// 256 positions x 8 contiguous channels (one vector of 8 a position, 64
// apart). Vector k of set s = n * 8 + g is at ((n * 256 + k) * 64 + g * 8);
// its element e is channel g * 8 + e, so the normalize kernel reads the
// scale and shift of each of the 8 channels.
// CHECK-LABEL: func.func @gn_nhwc(
// CHECK: gpu.alloc async {{.*}} : memref<48xf32>
// CHECK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c16{{.*}}, {{.*}} = %c1{{.*}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK: %[[N:.*]] = arith.divui %{{.*}}, %c8{{.*}} : index
// CHECK: %[[ROW:.*]] = arith.muli %[[N]], %c256{{.*}} : index
// CHECK: %[[POS:.*]] = arith.addi %[[ROW]], %{{.*}} : index
// CHECK: %[[BASE:.*]] = arith.muli %[[POS]], %c64{{.*}} : index
// CHECK: %[[G:.*]] = arith.remui %{{.*}}, %c8{{.*}} : index
// CHECK: %[[FIRST:.*]] = arith.muli %[[G]], %c8{{.*}} : index
// CHECK: %[[OFF:.*]] = arith.addi %[[BASE]], %{{.*}} : index
// CHECK: vector.load %{{.*}}[%[[OFF]]] {alignment = 16 : i64} : memref<32768xbf16>, vector<8xbf16>
// CHECK: gpu.launch async
// CHECK: vector.load {{.*}} : memref<32768xbf16>, vector<8xbf16>
// CHECK-COUNT-16: memref.load %{{.*}} : memref<64xbf16>
// CHECK: vector.store {{.*}} : memref<32768xbf16>, vector<8xbf16>
func.func @gn_nhwc(%x: memref<2x16x16x64xbf16>, %w: memref<64xbf16>,
    %b: memref<64xbf16>, %y: memref<2x16x16x64xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x16x16x64xbf16> to tensor<2x16x16x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<64xbf16>) bias(%bt : tensor<64xbf16>)
      groups = 8 channel_axis = 3 activation = silu : tensor<2x16x16x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x16x16x64xbf16>, memref<2x16x16x64xbf16>) -> ()
  return
}

// -----

// Residual form without residual_sum: both kernels (statistics, then
// normalize) load x and the residual and add them in bf16, all on one
// stream: the host waits once, after the workspace is freed.
// CHECK-LABEL: func.func @gn_residual_nhwc(
// CHECK-SAME: %[[X:[^:]*]]: memref<2x8x8x64xbf16>, %[[R:[^:]*]]: memref<2x8x8x64xbf16>
// CHECK-DAG: %[[XV:.*]] = memref.collapse_shape %[[X]]
// CHECK-DAG: %[[RV:.*]] = memref.collapse_shape %[[R]]
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK-NEXT: %[[WS:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<48xf32>
// CHECK: %[[T2:.*]] = gpu.launch async [%[[T1]]]
// CHECK: %[[A:.*]] = vector.load %[[XV]][%[[I:.*]]] {{.*}} : memref<8192xbf16>, vector<8xbf16>
// CHECK-NEXT: %[[B:.*]] = vector.load %[[RV]][%[[I]]] {{.*}} : memref<8192xbf16>, vector<8xbf16>
// CHECK-NEXT: arith.addf %[[A]], %[[B]] : vector<8xbf16>
// CHECK-NOT: gpu.wait
// CHECK: %[[T3:.*]] = gpu.launch async [%[[T2]]]
// CHECK: %[[C:.*]] = vector.load %[[XV]][%[[J:.*]]] {{.*}} : memref<8192xbf16>, vector<8xbf16>
// CHECK-NEXT: %[[D:.*]] = vector.load %[[RV]][%[[J]]] {{.*}} : memref<8192xbf16>, vector<8xbf16>
// CHECK-NEXT: arith.addf %[[C]], %[[D]] : vector<8xbf16>
// CHECK-NOT: gpu.wait
// CHECK: %[[T4:.*]] = gpu.dealloc async [%[[T3]]] %[[WS]]
// CHECK-NEXT: gpu.wait [%[[T4]]]
// CHECK-NOT: gpu.wait
// CHECK: return
func.func @gn_residual_nhwc(%x: memref<2x8x8x64xbf16>,
    %res: memref<2x8x8x64xbf16>, %w: memref<64xbf16>, %b: memref<64xbf16>,
    %y: memref<2x8x8x64xbf16>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x8x8x64xbf16> to tensor<2x8x8x64xbf16>
  %rt = bufferization.to_tensor %res restrict : memref<2x8x8x64xbf16> to tensor<2x8x8x64xbf16>
  %wt = bufferization.to_tensor %w restrict : memref<64xbf16> to tensor<64xbf16>
  %bt = bufferization.to_tensor %b restrict : memref<64xbf16> to tensor<64xbf16>
  %r = norm.group_norm %xt weight(%wt : tensor<64xbf16>)
      bias(%bt : tensor<64xbf16>) residual(%rt : tensor<2x8x8x64xbf16>) groups = 8
      channel_axis = 3 activation = silu : tensor<2x8x8x64xbf16>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x8x8x64xbf16>, memref<2x8x8x64xbf16>) -> ()
  return
}

// -----

// With residual_sum: the statistics kernel writes the sum where it loads it;
// the normalize kernel reads it back instead of x and the residual.
// CHECK-LABEL: func.func @gn_residual_sum(
// CHECK-SAME: %[[X:[^:]*]]: memref<2x64x8x8xf32>, %[[R:[^:]*]]: memref<2x64x8x8xf32>, %{{[^:]*}}: memref<2x64x8x8xf32>, %[[S:[^:]*]]: memref<2x64x8x8xf32>)
// CHECK-DAG: %[[XV:.*]] = memref.collapse_shape %[[X]]
// CHECK-DAG: %[[RV:.*]] = memref.collapse_shape %[[R]]
// CHECK-DAG: %[[SV:.*]] = memref.collapse_shape %[[S]]
// CHECK: gpu.launch async
// CHECK: %[[A:.*]] = vector.load %[[XV]][%[[I:.*]]] {{.*}} : memref<8192xf32>, vector<4xf32>
// CHECK: %[[B:.*]] = vector.load %[[RV]][%[[I]]] {{.*}} : memref<8192xf32>, vector<4xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[A]], %[[B]] : vector<4xf32>
// CHECK: vector.store %[[SUM]], %[[SV]][%[[I]]]
// CHECK: gpu.launch async
// CHECK-NOT: vector.load %[[XV]]
// CHECK-NOT: vector.load %[[RV]]
// CHECK: vector.load %[[SV]]
// CHECK-NOT: vector.load %[[XV]]
// CHECK-NOT: vector.load %[[RV]]
// CHECK: gpu.wait [
func.func @gn_residual_sum(%x: memref<2x64x8x8xf32>, %res: memref<2x64x8x8xf32>,
    %y: memref<2x64x8x8xf32>, %s: memref<2x64x8x8xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x64x8x8xf32> to tensor<2x64x8x8xf32>
  %rt = bufferization.to_tensor %res restrict : memref<2x64x8x8xf32> to tensor<2x64x8x8xf32>
  %r:2 = norm.group_norm %xt residual(%rt : tensor<2x64x8x8xf32>) groups = 8
      : tensor<2x64x8x8xf32> residual_sum(tensor<2x64x8x8xf32>)
  bufferization.materialize_in_destination %r#0 in restrict writable %y
      : (tensor<2x64x8x8xf32>, memref<2x64x8x8xf32>) -> ()
  bufferization.materialize_in_destination %r#1 in restrict writable %s
      : (tensor<2x64x8x8xf32>, memref<2x64x8x8xf32>) -> ()
  return
}
