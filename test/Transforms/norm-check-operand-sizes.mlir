// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-check-operand-sizes))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --norm-lower-to-cpu | FileCheck %s --check-prefix=CPU

// A weight and a residual of dynamic sizes: one assert per tied pair with a
// dynamic side (the weight's only size against the normalized dimension,
// the residual's columns against the input's), in operand order, at the
// start of the function. The residual has the input's type: its rows are
// the static 16 on both sides, verified; the cast that made them static
// is checked first (see @frontend_cast).
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<16x?xf32>, %[[W:[^:]*]]: tensor<?xf32>, %[[R:[^:]*]]: tensor<?x?xf32>)
// CHECK:         %[[RROWS:.*]] = tensor.dim %[[R]], %{{.*}} : tensor<?x?xf32>
// CHECK:         %[[C16:.*]] = arith.constant 16 : index
// CHECK:         %[[RQ:.*]] = arith.cmpi eq, %[[RROWS]], %[[C16]] : index
// CHECK:         cf.assert %[[RQ]], "@layer_norm: tensor.cast: size mismatch of dim 0
// CHECK:         %[[WS:.*]] = tensor.dim %[[W]], %[[C0:.*]] : tensor<?xf32>
// CHECK:         %[[XS:.*]] = tensor.dim %[[X]], %[[C1:.*]] : tensor<16x?xf32>
// CHECK:         %[[EQ:.*]] = arith.cmpi eq, %[[WS]], %[[XS]] : index
// CHECK:         cf.assert %[[EQ]], "@layer_norm: norm.layer_norm: 'weight' has another size in dimension 0 than the input in dimension 1 ({{.*}}norm-check-operand-sizes.mlir{{.*}})"
// CHECK:         cf.assert %{{.*}}, "@layer_norm: norm.layer_norm: 'residual' has another size in dimension 1 than the input in dimension 1
// CHECK-NOT:     cf.assert
// CHECK:         norm.layer_norm %[[X]]
// Through the CPU pipeline: compared before the row loops; a failed check
// prints its message and aborts.
// CPU-LABEL: llvm.func @layer_norm(
// CPU:         llvm.icmp "eq"
// CPU:         llvm.call @puts
// CPU:         llvm.call @abort
// CPU:         omp.parallel
func.func @layer_norm(%x: tensor<16x?xf32>, %w: tensor<?xf32>,
                      %r: tensor<?x?xf32>) -> tensor<16x?xf32> {
  %r_cast = tensor.cast %r : tensor<?x?xf32> to tensor<16x?xf32>
  %y = norm.layer_norm %x weight(%w : tensor<?xf32>) residual(%r_cast : tensor<16x?xf32>) axes = [1] : tensor<16x?xf32>
  return %y : tensor<16x?xf32>
}

// -----

// Static sizes: the verifier checked them; nothing to assert.
// CHECK-LABEL: func.func @static_sizes(
// CHECK-NOT:     cf.assert
// CHECK:         norm.rms_norm
func.func @static_sizes(%x: tensor<4x64xf32>, %w: tensor<64xf32>) -> tensor<4x64xf32> {
  %y = norm.rms_norm %x weight(%w : tensor<64xf32>) axes = [1] : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

// Per-channel operands of a batch normalization: against the feature axis.
// CHECK-LABEL: func.func @batch_norm_training(
// CHECK:         cf.assert %{{.*}}, "@batch_norm_training: norm.batch_norm_training: 'running_mean' has another size in dimension 0 than the input in dimension 1
// CHECK:         cf.assert %{{.*}}, "@batch_norm_training: norm.batch_norm_training: 'running_var' has another size in dimension 0 than the input in dimension 1
// CHECK-NOT:     cf.assert
// CHECK:         norm.batch_norm_training
func.func @batch_norm_training(%x: tensor<?x?xf32>, %rm: tensor<?xf32>, %rv: tensor<?xf32>)
    -> (tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>) {
  %y, %sm, %sr, %nrm, %nrv = norm.batch_norm_training %x
      mean(%rm : tensor<?xf32>) var(%rv : tensor<?xf32>)
      : tensor<?x?xf32> stats(tensor<?xf32>, tensor<?xf32>)
  return %y, %nrm, %nrv : tensor<?x?xf32>, tensor<?xf32>, tensor<?xf32>
}

// -----

// GroupNorm on NHWC: the parameters follow the last (channel) axis.
// CHECK-LABEL: func.func @group_norm(
// CHECK:         cf.assert %{{.*}}, "@group_norm: norm.group_norm: 'weight' has another size in dimension 0 than the input in dimension 3
// CHECK:         cf.assert %{{.*}}, "@group_norm: norm.group_norm: 'bias' has another size in dimension 0 than the input in dimension 3
// CHECK-NOT:     cf.assert
func.func @group_norm(%x: tensor<2x5x5x?xf32>, %w: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x5x5x?xf32> {
  %y = norm.group_norm %x weight(%w : tensor<8xf32>) bias(%b : tensor<8xf32>) groups = 4 channel_axis = 3 : tensor<2x5x5x?xf32>
  return %y : tensor<2x5x5x?xf32>
}

// -----

// spectral_norm: `u` against the weight's dimension `dim` (0).
// CHECK-LABEL: func.func @spectral_norm(
// CHECK:         cf.assert %{{.*}}, "@spectral_norm: norm.spectral_norm: 'u' has another size in dimension 0 than 'weight' in dimension 0
// CHECK-NOT:     cf.assert
func.func @spectral_norm(%w: tensor<?x64xf32>, %u: tensor<?xf32>) -> tensor<?x64xf32> {
  %o, %u2, %sigma = norm.spectral_norm %w, %u : tensor<?x64xf32>, tensor<?xf32> -> tensor<f32>
  return %o : tensor<?x64xf32>
}

// -----

// Statistics reduced over axes [0] of [?, ?, ?]: their dimensions are the
// input's 1 and 2.
// CHECK-LABEL: func.func @standardize(
// CHECK:         cf.assert %{{.*}}, "@standardize: norm.standardize: 'mean' has another size in dimension 0 than the input in dimension 1
// CHECK:         cf.assert %{{.*}}, "@standardize: norm.standardize: 'mean' has another size in dimension 1 than the input in dimension 2
// CHECK:         cf.assert %{{.*}}, "@standardize: norm.standardize: 'std' has another size in dimension 0 than the input in dimension 1
// CHECK:         cf.assert %{{.*}}, "@standardize: norm.standardize: 'std' has another size in dimension 1 than the input in dimension 2
// CHECK-NOT:     cf.assert
func.func @standardize(%x: tensor<?x?x?xf32>, %m: tensor<?x?xf32>, %s: tensor<?x?xf32>) -> tensor<?x?x?xf32> {
  %y = norm.standardize %x, %m, %s axes = [0] : tensor<?x?x?xf32>, tensor<?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// Keep-dims statistics of a LayerNorm backward: the normalized dimension
// is a static 1 (verified), the rows are tied to the input's.
// CHECK-LABEL: func.func @layer_norm_grad(
// CHECK:         cf.assert %{{.*}}, "@layer_norm_grad: norm.layer_norm_grad: 'grad_output' has another size in dimension 0 than the input in dimension 0
// CHECK:         cf.assert %{{.*}}, "@layer_norm_grad: norm.layer_norm_grad: 'mean' has another size in dimension 0 than the input in dimension 0
// CHECK:         cf.assert %{{.*}}, "@layer_norm_grad: norm.layer_norm_grad: 'rstd' has another size in dimension 0 than the input in dimension 0
// CHECK-NOT:     cf.assert
func.func @layer_norm_grad(%dy: tensor<?x768xf32>, %x: tensor<?x768xf32>, %m: tensor<?x1xf32>, %r: tensor<?x1xf32>) -> tensor<?x768xf32> {
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<?x1xf32>) rstd(%r : tensor<?x1xf32>) axes = [1] : tensor<?x768xf32>
  return %dx : tensor<?x768xf32>
}

// -----

// [N, G] statistics of a GroupNorm backward: the batch.
// CHECK-LABEL: func.func @group_norm_grad(
// CHECK:         cf.assert %{{.*}}, "@group_norm_grad: norm.group_norm_grad: 'grad_output' has another size in dimension 0 than the input in dimension 0
// CHECK:         cf.assert %{{.*}}, "@group_norm_grad: norm.group_norm_grad: 'mean' has another size in dimension 0 than the input in dimension 0
// CHECK:         cf.assert %{{.*}}, "@group_norm_grad: norm.group_norm_grad: 'rstd' has another size in dimension 0 than the input in dimension 0
// CHECK-NOT:     cf.assert
func.func @group_norm_grad(%dy: tensor<?x8x4x4xf32>, %x: tensor<?x8x4x4xf32>, %m: tensor<?x4xf32>, %r: tensor<?x4xf32>) -> tensor<?x8x4x4xf32> {
  %dx = norm.group_norm_grad %dy, %x mean(%m : tensor<?x4xf32>) rstd(%r : tensor<?x4xf32>) groups = 4 : tensor<?x8x4x4xf32>
  return %dx : tensor<?x8x4x4xf32>
}

// -----

// InPlace-ABN's backward is sized after its `output` operand.
// CHECK-LABEL: func.func @inplace_abn_grad(
// CHECK:         cf.assert %{{.*}}, "@inplace_abn_grad: norm.inplace_abn_grad: 'rstd' has another size in dimension 0 than the output in dimension 1
// CHECK:         cf.assert %{{.*}}, "@inplace_abn_grad: norm.inplace_abn_grad: 'weight' has another size in dimension 0 than the output in dimension 1
// CHECK-NOT:     cf.assert
func.func @inplace_abn_grad(%dy: tensor<8x?x4x4xf32>, %y: tensor<8x?x4x4xf32>, %r: tensor<?xf32>, %w: tensor<?xf32>) -> tensor<8x?x4x4xf32> {
  %dx, %dw = norm.inplace_abn_grad %dy, %y rstd(%r : tensor<?xf32>) weight(%w : tensor<?xf32>) : tensor<8x?x4x4xf32> grad_weight(tensor<?xf32>)
  return %dx : tensor<8x?x4x4xf32>
}

// -----

// Two parts' statistics of one set of channels.
// CHECK-LABEL: func.func @batch_stats_merge(
// CHECK:         cf.assert %{{.*}}, "@batch_stats_merge: norm.batch_stats_merge: 'm2_a' has another size in dimension 0 than 'mean_a' in dimension 0
// CHECK:         cf.assert %{{.*}}, "@batch_stats_merge: norm.batch_stats_merge: 'mean_b' has another size in dimension 0 than 'mean_a' in dimension 0
// CHECK:         cf.assert %{{.*}}, "@batch_stats_merge: norm.batch_stats_merge: 'm2_b' has another size in dimension 0 than 'mean_a' in dimension 0
// CHECK-NOT:     cf.assert
func.func @batch_stats_merge(%na: tensor<f32>, %ma: tensor<?xf32>, %m2a: tensor<?xf32>, %nb: tensor<f32>, %mb: tensor<?xf32>, %m2b: tensor<?xf32>) -> tensor<?xf32> {
  %n, %mean, %m2 = norm.batch_stats_merge %na, %ma, %m2a, %nb, %mb, %m2b : tensor<f32>, tensor<?xf32>
  return %mean : tensor<?xf32>
}

// -----

// A norm op under control flow keeps its checks there: at the start, a
// call that does not take the branch would be refused.
// CHECK-LABEL: func.func @under_if(
// CHECK:         scf.if
// CHECK:           cf.assert %{{.*}}, "@under_if: norm.rms_norm: 'weight' has another size in dimension 0 than the input in dimension 1
// CHECK-NEXT:      norm.rms_norm
func.func @under_if(%c: i1, %x: tensor<4x?xf32>, %w: tensor<?xf32>) -> tensor<4x?xf32> {
  %y = scf.if %c -> tensor<4x?xf32> {
    %n = norm.rms_norm %x weight(%w : tensor<?xf32>) axes = [1] : tensor<4x?xf32>
    scf.yield %n : tensor<4x?xf32>
  } else {
    scf.yield %x : tensor<4x?xf32>
  }
  return %y : tensor<4x?xf32>
}

// -----

// Keep-dims statistics of a backward op typed `?` in the normalized
// dimension (the Python package's dynamically typed arguments): the
// verifier lets a `?` pass there and the lowering casts it to 1, so it is
// checked to be 1.
// CHECK-LABEL: func.func @layer_norm_grad_dynamic_stats(
// CHECK:         cf.assert %{{.*}}, "@layer_norm_grad_dynamic_stats: norm.layer_norm_grad: 'mean' has another size in dimension 1 than 1 (
// CHECK:         cf.assert %{{.*}}, "@layer_norm_grad_dynamic_stats: norm.layer_norm_grad: 'rstd' has another size in dimension 1 than 1 (
// CHECK-NOT:     cf.assert
func.func @layer_norm_grad_dynamic_stats(%dy: tensor<8x768xf32>, %x: tensor<8x768xf32>, %m: tensor<8x?xf32>, %r: tensor<8x?xf32>) -> tensor<8x768xf32> {
  %dx = norm.layer_norm_grad %dy, %x mean(%m : tensor<8x?xf32>) rstd(%r : tensor<8x?xf32>) axes = [1] : tensor<8x768xf32>
  return %dx : tensor<8x768xf32>
}

// -----

// [N, G] statistics typed [?, ?]: the groups against `num_groups`.
// CHECK-LABEL: func.func @group_norm_grad_dynamic_groups(
// CHECK:         %[[C4:.*]] = arith.constant 4 : index
// CHECK:         %[[EQ:.*]] = arith.cmpi eq, %{{.*}}, %[[C4]] : index
// CHECK:         cf.assert %[[EQ]], "@group_norm_grad_dynamic_groups: norm.group_norm_grad: 'mean' has another size in dimension 1 than 'num_groups' (4) (
func.func @group_norm_grad_dynamic_groups(%dy: tensor<2x8x4x4xf32>, %x: tensor<2x8x4x4xf32>, %m: tensor<?x?xf32>, %r: tensor<?x?xf32>) -> tensor<2x8x4x4xf32> {
  %dx = norm.group_norm_grad %dy, %x mean(%m : tensor<?x?xf32>) rstd(%r : tensor<?x?xf32>) groups = 4 : tensor<2x8x4x4xf32>
  return %dx : tensor<2x8x4x4xf32>
}

// -----

// An operand computed by another norm op: its sizes resolve to the
// arguments' (the op's ReifyRankedShapedTypeOpInterface), so the check
// still runs first; the norm ops themselves stay where they are.
// CHECK-LABEL: func.func @chained(
// CHECK-SAME:    %[[X:[^:]*]]: tensor<?x?xf32>, %[[W:[^:]*]]: tensor<?xf32>)
// CHECK:         %[[WS:.*]] = tensor.dim %[[W]]
// CHECK:         %[[XS:.*]] = tensor.dim %[[X]]
// CHECK:         cf.assert %{{.*}}, "@chained: norm.rms_norm: 'weight' has another size in dimension 0 than the input in dimension 1
// CHECK-NEXT:    %[[H:.*]] = norm.layer_norm %[[X]]
// CHECK-NEXT:    norm.rms_norm %[[H]]
func.func @chained(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?x?xf32> {
  %h = norm.layer_norm %x axes = [1] : tensor<?x?xf32>
  %y = norm.rms_norm %h weight(%w : tensor<?xf32>) axes = [1] : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// A frontend's cast of an argument to the static shape it was traced with
// (torch-mlir refines shapes so): the code after it is compiled for 8 rows,
// so the cast's dynamic size is checked (upstream's model of tensor.cast,
// with the function and the location), at the start of the function. A
// cast that makes a static size dynamic needs no check.
// CHECK-LABEL: func.func @frontend_cast(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[ROWS]], %{{.*}} : index
// CHECK: cf.assert %[[OK]], "@frontend_cast: tensor.cast: size mismatch of dim 0 (loc({{.*}}norm-check-operand-sizes.mlir{{.*}}))"
// CHECK-NOT: cf.assert
// CHECK: return
// CPU-LABEL: llvm.func @frontend_cast(
// CPU: llvm.icmp "eq" %arg3, %{{.*}} : i64
// CPU: llvm.call @puts
// CPU: llvm.call @abort
func.func @frontend_cast(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %c = tensor.cast %x : tensor<?x64xf32> to tensor<8x64xf32>
  %y = norm.layer_norm %c weight(%w : tensor<64xf32>) axes = [1] : tensor<8x64xf32>
  %d = tensor.cast %y : tensor<8x64xf32> to tensor<?x64xf32>
  return %d : tensor<?x64xf32>
}

// -----

// A cast of a value computed in the function (a norm op's result of the
// input's shape) to a static size: its check is written in terms of the
// argument and moves to the start of the function, before the first op.
// CHECK-LABEL: func.func @cast_of_result(
// CHECK-SAME: %[[X:[^:]*]]: tensor<?x64xf32>
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: cf.assert %{{.*}}, "@cast_of_result: tensor.cast: size mismatch of dim 0
// CHECK: norm.layer_norm %[[X]]
// CHECK: tensor.cast
// CHECK: norm.rms_norm
func.func @cast_of_result(%x: tensor<?x64xf32>) -> tensor<8x64xf32> {
  %y = norm.layer_norm %x axes = [1] : tensor<?x64xf32>
  %c = tensor.cast %y : tensor<?x64xf32> to tensor<8x64xf32>
  %z = norm.rms_norm %c axes = [1] : tensor<8x64xf32>
  return %z : tensor<8x64xf32>
}
