// RUN: norm-opt %s --convert-norm-to-gpu="channel-block-size=96" --split-input-file --verify-diagnostics
// RUN: norm-opt %s --convert-norm-to-gpu="channel-block-size=2048" --split-input-file --verify-diagnostics
// RUN: not norm-opt %s --convert-norm-to-gpu="channel-unroll=0" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=UNROLL
// RUN: not norm-opt %s --convert-norm-to-gpu="cluster-size=17" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=CLUSTER
// RUN: not norm-opt %s --convert-norm-to-gpu="shared-memory-per-sm=0" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=SHARED
// RUN: not norm-opt %s --convert-norm-to-gpu="num-sms=0 resident-sets=1" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=SMS
// RUN: not norm-opt %s --convert-norm-to-gpu="threads-per-sm=16" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not norm-opt %s --convert-norm-to-gpu="blocks-per-sm=0" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=BPS
// RUN: not norm-opt %s --convert-norm-to-gpu="column-blocks-per-sm=65" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=CBPS
// RUN: not norm-opt %s --convert-norm-to-gpu="num-sms=4611686018427387904 blocks-per-sm=8" --split-input-file \
// RUN:   2>&1 | FileCheck %s --check-prefix=HUGE
// RUN: norm-opt %s --convert-norm-to-gpu="channel-block-size=128 channel-unroll=8 num-sms=1 blocks-per-sm=1" \
// RUN:   --split-input-file | FileCheck %s --check-prefix=OK

// The GroupNorm/BatchNorm block is a power of two (the block reduction
// merges warps pairwise) and at most 1024 threads; unroll is 1 to 16.
func.func @gn(%x: memref<2x64x16x16xf32>, %y: memref<2x64x16x16xf32>) {
  %xt = bufferization.to_tensor %x restrict : memref<2x64x16x16xf32> to tensor<2x64x16x16xf32>
  // expected-error @+1 {{has no GPU kernel: channel-block-size must be a power of two between 32 and 1024}}
  %r = norm.group_norm %xt groups = 4 : tensor<2x64x16x16xf32>
  bufferization.materialize_in_destination %r in restrict writable %y
      : (tensor<2x64x16x16xf32>, memref<2x64x16x16xf32>) -> ()
  return
}

// UNROLL: error: 'norm.group_norm' op has no GPU kernel: channel-unroll must be between 1 and 16
// CLUSTER: error: 'norm.group_norm' op has no GPU kernel: cluster-size must be between 0 and 16 (above 8: a non-portable cluster size, H100)
// SHARED: error: 'norm.group_norm' op has no GPU kernel: shared-memory-per-sm must be between 1 and 1024 (KiB)
// The grid options, which the grids multiply, are checked once for the
// whole pass (before: 0 was taken as 1, and a huge num-sms overflowed).
// SMS: error: convert-norm-to-gpu: num-sms must be between 1 and 4096, not 0
// BPS: error: convert-norm-to-gpu: blocks-per-sm must be between 1 and 64, not 0
// CBPS: error: convert-norm-to-gpu: column-blocks-per-sm must be between 1 and 64, not 65
// HUGE: error: convert-norm-to-gpu: num-sms must be between 1 and 4096, not 4611686018427387904
// THREADS: error: 'norm.group_norm' op has no GPU kernel: threads-per-sm must be between 32 and 4096

// Sets of 16 x 256 / 4 = 1024 vectors: one chunk per set (8 sets fill
// 1 SM x 1 block), 128 threads x 8 vectors loaded before use.
// OK-LABEL: func.func @gn(
// OK: gpu.launch async {{.*}} blocks({{.*}}) in ({{.*}} = %c8{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c128
// OK-COUNT-8: vector.load
