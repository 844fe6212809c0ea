// In-process execution of the CPU pipeline's output with mlir-runner (the
// JIT), with and without OpenMP.
// RUN: norm-opt %s --norm-lower-to-cpu | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%llvm_lib_dir/libmlir_runner_utils%shlibext,%llvm_lib_dir/libmlir_c_runner_utils%shlibext,%llvm_lib_dir/libomp%shlibext \
// RUN:   | FileCheck %s
// RUN: norm-opt %s --norm-lower-to-cpu="openmp=0" | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%llvm_lib_dir/libmlir_runner_utils%shlibext,%llvm_lib_dir/libmlir_c_runner_utils%shlibext \
// RUN:   | FileCheck %s

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // Rows [1, 2, 3, 4] and [10, 10, 10, 14]: mean 2.5 and 11, biased
  // variance 1.25 and 3; the second row is shifted by the bias 1 and has
  // relu applied (all values stay as computed or become 0).
  %x = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [10.0, 10.0, 10.0, 14.0]]> : tensor<2x4xf32>
  %b = arith.constant dense<[1.0, 1.0, 1.0, 1.0]> : tensor<4xf32>
  %y = norm.layer_norm %x bias(%b : tensor<4xf32>) axes = [1] epsilon = 0.0001 activation = relu : tensor<2x4xf32>
  %u = tensor.cast %y : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}

// (x - mean) / sqrt(var + 1e-4) + 1, then relu:
//   row 0: -1.341587, -0.447196, 0.447196, 1.341587 -> 0, 0.552804, 1.447196, 2.341587
//   row 1: -0.577341 x3, 1.732022                -> 0.422659 x3, 2.732022
// CHECK: Unranked Memref base@ = {{.*}} rank = 2 offset = 0 sizes = [2, 4] strides = [4, 1] data =
// CHECK-NEXT: {{\[}}[0, 0.5528{{[0-9]*}}, 1.4472{{[0-9]*}}, 2.3415{{[0-9]*}}],
// CHECK-NEXT: [0.4226{{[0-9]*}}, 0.4226{{[0-9]*}}, 0.4226{{[0-9]*}}, 2.732{{[0-9]*}}]]
