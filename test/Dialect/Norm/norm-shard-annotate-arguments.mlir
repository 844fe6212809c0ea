// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(norm-shard-annotate-arguments,sharding-propagation,norm-shard-annotate-arguments))' \
// RUN:   | FileCheck %s
// RUN: norm-opt %s --split-input-file \
// RUN:   --pass-pipeline='builtin.module(func.func(norm-shard-annotate-arguments,sharding-propagation,norm-shard-annotate-arguments,shard-partition))' \
// RUN:   | FileCheck %s --check-prefix=PART

// Every use of a sharded function's tensor arguments goes through a
// shard.shard (MLIR 22's shard-partition crashes on a direct use): through
// the argument's own annotation, else one for its users, else, when
// nothing with a sharding model uses it, a new replicated one. Run before
// and after sharding-propagation, as norm-lower-to-cpu{mpi=1} does.

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// An unused weight and a returned bias.
// CHECK-LABEL: func.func @unused_and_returned(
// CHECK-SAME:    %[[X:.*]]: tensor<8x3xf32>, %[[W:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>, %[[I:.*]]: index)
// CHECK:         %[[R:.*]] = shard.sharding @grid split_axes = {{\[\[\]\]}} : !shard.sharding
// CHECK-DAG:     %{{.*}} = shard.shard %[[W]] to %[[R]] annotate_for_users : tensor<3xf32>
// CHECK-DAG:     %[[BS:.*]] = shard.shard %[[B]] to %[[R]] annotate_for_users : tensor<3xf32>
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
// CHECK:         return
// PART-LABEL: func.func @unsharded(
// PART-SAME:    tensor<8x3xf32>
func.func @unsharded(%x: tensor<8x3xf32>, %unused: tensor<3xf32>) -> tensor<8x3xf32> {
  return %x : tensor<8x3xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// An annotated argument also returned and also fitted directly: both uses
// read it through its annotation (split), so the fit all-reduces and the
// function returns the local rows.
// CHECK-LABEL: func.func @annotated_and_used_directly(
// CHECK-SAME:    %[[X:.*]]: tensor<8x3xf32>)
// CHECK:         %[[XS:.*]] = shard.shard %[[X]] to %{{.*}} : tensor<8x3xf32>
// CHECK-NOT:     %[[X]]
// CHECK:         norm.min_max
// CHECK:         return %{{.*}}, %[[XS]] :
// PART-LABEL: func.func @annotated_and_used_directly(
// PART-SAME:    %[[X:.*]]: tensor<4x3xf32>) -> (tensor<3xf32>, tensor<4x3xf32>)
// PART:         norm.min_max %[[X]]
// PART:         shard.all_reduce {{.*}} reduction = max
// PART:         return %{{.*}}, %[[X]]
func.func @annotated_and_used_directly(%x: tensor<8x3xf32>) -> (tensor<3xf32>, tensor<8x3xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x3xf32>
  %y = norm.layer_norm %xs axes = [1] : tensor<8x3xf32>
  %lo, %hi = norm.min_max %x axes = [0] : tensor<8x3xf32> -> tensor<3xf32>
  return %lo, %x : tensor<3xf32>, tensor<8x3xf32>
}

// -----

shard.grid @grid(shape = 2) {sym_visibility = "private"}

// A weight that propagation annotates (replicated) for the norm, also
// returned: the return reads it through that annotation.
// CHECK-LABEL: func.func @weight_also_returned(
// CHECK-SAME:    %{{.*}}: tensor<8x3xf32>, %[[W:.*]]: tensor<3xf32>)
// CHECK:         %[[WR:.*]] = shard.shard %[[W]] to %{{.*}} annotate_for_users : tensor<3xf32>
// CHECK:         return %{{.*}}, %[[WR]] :
// PART-LABEL: func.func @weight_also_returned(
// PART-SAME:    %{{.*}}: tensor<4x3xf32>, %[[W:.*]]: tensor<3xf32>)
// PART:         return %{{.*}}, %[[W]] :
func.func @weight_also_returned(%x: tensor<8x3xf32>, %w: tensor<3xf32>)
    -> (tensor<8x3xf32>, tensor<3xf32>) {
  %split = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %split : tensor<8x3xf32>
  %y = norm.layer_norm %xs weight(%w : tensor<3xf32>) axes = [1] : tensor<8x3xf32>
  %ys = shard.shard %y to %split : tensor<8x3xf32>
  return %ys, %w : tensor<8x3xf32>, tensor<3xf32>
}
