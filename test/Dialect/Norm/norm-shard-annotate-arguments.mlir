// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation,norm-shard-annotate-arguments))' \
// RUN:   | FileCheck %s
// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation,norm-shard-annotate-arguments,shard-partition))' \
// RUN:   | FileCheck %s --check-prefix=PART

// Tensor arguments of a sharded function that no shard.shard annotates (MLIR
// 22's shard-partition crashes on them) get a replicated annotation; the
// others are left as sharding-propagation annotated them.

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// An unused weight and a returned bias.
// CHECK-LABEL: func.func @unused_and_returned(
// CHECK-SAME:    %[[X:.*]]: tensor<8x3xf32>, %[[W:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[I:.*]]: index)
// CHECK:         %[[R:.*]] = shard.sharding @grid split_axes = {{\[\[\]\]}} : !shard.sharding
// CHECK-NEXT:    %{{.*}} = shard.shard %[[W]] to %[[R]] annotate_for_users : tensor<3xf32>
// CHECK-NEXT:    %[[BS:.*]] = shard.shard %[[B]] to %[[R]] annotate_for_users : tensor<3xf32>
// CHECK-NOT:     shard.shard %[[I]]
// CHECK:         return %{{.*}}, %[[BS]] :
// PART-LABEL: func.func @unused_and_returned(
// PART-SAME:    %[[X:.*]]: tensor<4x3xf32>, %{{.*}}: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %{{.*}}: index)
// PART:         %[[Y:.*]] = norm.layer_norm %[[X]]
// PART:         return %[[Y]], %[[B]]
func.func @unused_and_returned(%x: tensor<8x3xf32>, %w: tensor<3xf32>, %b: tensor<3xf32>,
                               %i: index) -> (tensor<8x3xf32>, tensor<3xf32>) {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x3xf32>
  %y = norm.layer_norm %xs axes = [1] : tensor<8x3xf32>
  %ys = shard.shard %y to %s : tensor<8x3xf32>
  return %ys, %b : tensor<8x3xf32>, tensor<3xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// Every argument annotated already: no replicated annotation added.
// CHECK-LABEL: func.func @annotated(
// CHECK-NOT:     split_axes = {{\[\[\]\]}}
// CHECK:         return
// PART-LABEL: func.func @annotated(
func.func @annotated(%x: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %s : tensor<8x3xf32>
  %y = norm.layer_norm %xs axes = [1] : tensor<8x3xf32>
  %ys = shard.shard %y to %s : tensor<8x3xf32>
  return %ys : tensor<8x3xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// No sharding in the function: left alone.
// CHECK-LABEL: func.func @unsharded(
// CHECK-NOT:     shard.
// PART-LABEL: func.func @unsharded(
// PART-SAME:    tensor<8x3xf32>
func.func @unsharded(%x: tensor<8x3xf32>, %unused: tensor<3xf32>) -> tensor<8x3xf32> {
  return %x : tensor<8x3xf32>
}
