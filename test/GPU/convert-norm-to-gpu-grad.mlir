// RUN: norm-opt %s --convert-norm-to-gpu --split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="fuse-parameter-gradients=0" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=UNFUSED

// The backward ops' reductions read 16-byte vectors: layer_norm_grad's
// parameter gradients (unfused: a vector of 8 bf16 columns a thread; fused:
// the grad_input kernel's own vectors, then its partial rows as f32
// vectors), batch_norm_grad's and group_norm_grad's sums (NCHW) a vector of
// 4 f32 rows a step (one channel's HW run).

// LayerNorm bf16 [?, 4096], fused: grad_input on a persistent grid of
// min(rows, 132 SMs x 2) blocks (at least one), a block a row, 256 threads
// of 2 vectors of 8; each thread carries 32 sums (dpre * xhat and dpre of
// its 16 columns) across the rows it visits, then stores them as the
// block's partial rows of a 2 x 264 x 4096 f32 workspace. Their column
// reduction reads 4 f32 columns a thread (1024-float tree buffers), 33 row
// chunks; the finalize writes the gradients; one host wait.
// CHECK-LABEL: func.func @layer_norm_grad_bf16(
// CHECK-SAME: %[[DY:[^:]*]]: memref<?x4096xbf16>, %[[X:[^:]*]]: memref<?x4096xbf16>
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK-NEXT: %[[P:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<2162688xf32>
// CHECK: %[[RB:.*]] = arith.ceildivui %[[ROWS:.*]], %c1
// CHECK: %[[MIN:.*]] = arith.minui %[[RB]], %c264
// CHECK: %[[GRID:.*]] = arith.maxui %[[MIN]], %c1
// CHECK: %[[T2:.*]] = gpu.launch async [%[[T1]]] blocks(%[[BID:[^,]*]], {{.*}}) in (%[[GX:[^ ]*]] = %[[GRID]], {{.*}}) threads({{.*}}) in ({{.*}} = %c256,
// CHECK: scf.for %[[RBI:.*]] = %[[BID]] to %[[RB]] step %[[GX]] iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: vector.load %[[X]][%[[RBI]], %{{.*}}] {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK: vector.load %[[DY]][%[[RBI]], %{{.*}}] {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK: gpu.barrier
// CHECK: vector.store %{{.*}}, %{{.*}}[%[[RBI]], %{{.*}}] {{.*}} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK: scf.yield
// CHECK-COUNT-4: vector.store %{{.*}}, %[[P]][%{{.*}}] {alignment = 16 : i64} : memref<2162688xf32>, vector<8xf32>
// CHECK: gpu.terminator
// CHECK: %[[T4:.*]] = gpu.launch async [%{{.*}}] blocks({{.*}}) in ({{.*}}, {{.*}} = %c33, {{.*}}) threads({{.*}}) workgroup(%{{.*}} : memref<1024xf32, #gpu.address_space<workgroup>>,
// CHECK: scf.for {{.*}} to %{{.*}} step %c8
// CHECK: vector.load %[[P]][%{{.*}}] {alignment = 16 : i64} : memref<2162688xf32>, vector<4xf32>
// CHECK: vector.load %[[P]][%{{.*}}] {alignment = 16 : i64} : memref<2162688xf32>, vector<4xf32>
// CHECK: gpu.launch async
// CHECK: gpu.dealloc async
// CHECK-NEXT: %[[T9:.*]] = gpu.dealloc async [%{{.*}}] %[[P]]
// CHECK-NEXT: gpu.wait [%[[T9]]]
// CHECK-NOT: gpu.launch

// Unfused (fuse-parameter-gradients=0): 512 column vectors, 32 across a
// block (a warp reads 512 contiguous bytes of a row) and 8 row lanes:
// 16 x 66 blocks (132 SMs x 8 / 16 tiles). A thread accumulates 8 (dpre * xhat, dpre)
// pairs; the shared-memory tree holds them at k * 256 + thread. Then the
// finalize kernel (a thread a column) and grad_input.
// UNFUSED-LABEL: func.func @layer_norm_grad_bf16(
// UNFUSED-SAME: %[[DY:[^:]*]]: memref<?x4096xbf16>, %[[X:[^:]*]]: memref<?x4096xbf16>
// UNFUSED: %[[GROUPS:.*]] = arith.divui %c4096, %c8
// UNFUSED: %[[TILES:.*]] = arith.ceildivui %[[GROUPS]], %c32
// UNFUSED: gpu.launch async {{.*}} in ({{.*}} = %[[TILES]], {{.*}} = %c66, {{.*}}) threads({{.*}}) in ({{.*}} = %c256, {{.*}}) workgroup(%[[S0:.*]] : memref<2048xf32, #gpu.address_space<workgroup>>, %[[S1:.*]] : memref<2048xf32, #gpu.address_space<workgroup>>)
// UNFUSED: %[[GROUP:.*]] = arith.minui
// UNFUSED: %[[COL:.*]] = arith.muli %[[GROUP]], %c8
// UNFUSED: scf.for %[[ROW:.*]] = %{{.*}} to %{{.*}} step %c8{{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// UNFUSED: vector.load %[[X]][%[[ROW]], %[[COL]]] {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// UNFUSED: vector.load %[[DY]][%[[ROW]], %[[COL]]] {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// UNFUSED-COUNT-16: arith.addf %arg
// UNFUSED: scf.yield
// UNFUSED: memref.store %{{.*}}, %[[S0]][%[[TID:arg[0-9]+]]]
// UNFUSED: memref.store %{{.*}}, %[[S1]][%[[TID]]]
// UNFUSED: %[[K7:.*]] = arith.addi %[[TID]], %c1792
// UNFUSED: memref.store %{{.*}}, %[[S0]][%[[K7]]]
// UNFUSED: gpu.barrier
// UNFUSED: gpu.launch async
// UNFUSED: gpu.launch blocks
// UNFUSED-NOT: norm.
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

// -----

// BatchNorm NCHW f32 [8, 16, 12, 12]: a thread a channel; its 8 x 144 rows
// in chunks of whole vectors of 4 (576 rows, rounded up to a multiple of
// 4), a row lane 4 rows a step, 256 lanes 1024 rows apart; the 4 rows'
// pairs add into one (sum, sum) pair a thread: 256-float buffers.
// CHECK-LABEL: func.func @batch_norm_grad_relu(
// CHECK-SAME: %[[DY:[^:]*]]: memref<8x16x12x12xf32>, %[[X:[^:]*]]: memref<8x16x12x12xf32>
// CHECK-DAG: %[[DYV:.*]] = memref.collapse_shape %[[DY]]
// CHECK-DAG: %[[XV:.*]] = memref.collapse_shape %[[X]]
// CHECK: gpu.launch async {{.*}} in ({{.*}} = %{{.*}}, {{.*}} = %c2, {{.*}}) threads({{.*}}) workgroup(%{{.*}} : memref<256xf32, #gpu.address_space<workgroup>>,
// CHECK: %[[LEN:.*]] = arith.ceildivui %c1152, %c2
// CHECK: %[[VECS:.*]] = arith.ceildivui %[[LEN]], %c4
// CHECK: arith.muli %[[VECS]], %c4
// CHECK: scf.for {{.*}} step %c1024 iter_args({{.*}}) -> (f32, f32) {
// CHECK: vector.load %[[XV]][%[[OFF:.*]]] {alignment = 16 : i64} : memref<18432xf32>, vector<4xf32>
// CHECK: vector.load %[[DYV]][%[[OFF]]] {alignment = 16 : i64} : memref<18432xf32>, vector<4xf32>
// CHECK: arith.addf %arg{{[0-9]+}},
// CHECK-NEXT: arith.addf %arg{{[0-9]+}},
// CHECK-COUNT-6: arith.addf
// CHECK-NEXT: scf.yield %{{.*}}, %{{.*}} : f32, f32
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: norm.
func.func @batch_norm_grad_relu(%dy: memref<8x16x12x12xf32>,
    %x: memref<8x16x12x12xf32>, %mean: memref<16xf32>, %rstd: memref<16xf32>,
    %w: memref<16xf32>, %b: memref<16xf32>, %dx: memref<8x16x12x12xf32>,
    %dw: memref<16xf32>, %db: memref<16xf32>) {
  %dyt = bufferization.to_tensor %dy restrict : memref<8x16x12x12xf32> to tensor<8x16x12x12xf32>
  %xt = bufferization.to_tensor %x restrict : memref<8x16x12x12xf32> to tensor<8x16x12x12xf32>
  %mt = bufferization.to_tensor %mean restrict : memref<16xf32> to tensor<16xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<16xf32> to tensor<16xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xf32> to tensor<16xf32>
  %bt = bufferization.to_tensor %b restrict : memref<16xf32> to tensor<16xf32>
  %gx, %gw, %gb = norm.batch_norm_grad %dyt, %xt mean(%mt : tensor<16xf32>)
      rstd(%rt : tensor<16xf32>) weight(%wt : tensor<16xf32>)
      bias(%bt : tensor<16xf32>) activation = relu : tensor<8x16x12x12xf32>
      grad_weight(tensor<16xf32>) grad_bias(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<8x16x12x12xf32>, memref<8x16x12x12xf32>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  bufferization.materialize_in_destination %gb in restrict writable %db
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// -----

// GroupNorm NHWC bf16 [2, 5, 5, 16], 4 groups: the sets' reduction reads a
// group's 4 channels at a position as one 8-byte vector (a step of 4 rows
// of the set), then the channels' reduction a vector of 8 channels a thread
// (2 column lanes), then grad_input.
// CHECK-LABEL: func.func @group_norm_grad_nhwc(
// CHECK: gpu.launch async
// CHECK: scf.for {{.*}} step %c1024 iter_args({{.*}}) -> (f32, f32) {
// CHECK: vector.load %{{.*}}[%{{.*}}] {alignment = 8 : i64} : memref<800xbf16>, vector<4xbf16>
// CHECK: vector.load %{{.*}}[%{{.*}}] {alignment = 8 : i64} : memref<800xbf16>, vector<4xbf16>
// CHECK: gpu.launch async
// CHECK: gpu.launch async {{.*}} workgroup(%{{.*}} : memref<2048xf32, #gpu.address_space<workgroup>>,
// CHECK: arith.remui %{{.*}}, %c2
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: vector.load %{{.*}}[%{{.*}}] {alignment = 16 : i64} : memref<800xbf16>, vector<8xbf16>
// CHECK: vector.load %{{.*}}[%{{.*}}] {alignment = 16 : i64} : memref<800xbf16>, vector<8xbf16>
// CHECK-COUNT-2: gpu.launch async
// CHECK-NOT: norm.
func.func @group_norm_grad_nhwc(%dy: memref<2x5x5x16xbf16>,
    %x: memref<2x5x5x16xbf16>, %mean: memref<2x4xf32>, %rstd: memref<2x4xf32>,
    %w: memref<16xbf16>, %dx: memref<2x5x5x16xbf16>, %dw: memref<16xf32>) {
  %dyt = bufferization.to_tensor %dy restrict : memref<2x5x5x16xbf16> to tensor<2x5x5x16xbf16>
  %xt = bufferization.to_tensor %x restrict : memref<2x5x5x16xbf16> to tensor<2x5x5x16xbf16>
  %mt = bufferization.to_tensor %mean restrict : memref<2x4xf32> to tensor<2x4xf32>
  %rt = bufferization.to_tensor %rstd restrict : memref<2x4xf32> to tensor<2x4xf32>
  %wt = bufferization.to_tensor %w restrict : memref<16xbf16> to tensor<16xbf16>
  %gx, %gw = norm.group_norm_grad %dyt, %xt mean(%mt : tensor<2x4xf32>)
      rstd(%rt : tensor<2x4xf32>) weight(%wt : tensor<16xbf16>) groups = 4
      channel_axis = 3 : tensor<2x5x5x16xbf16> grad_weight(tensor<16xf32>)
  bufferization.materialize_in_destination %gx in restrict writable %dx
      : (tensor<2x5x5x16xbf16>, memref<2x5x5x16xbf16>) -> ()
  bufferization.materialize_in_destination %gw in restrict writable %dw
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}
