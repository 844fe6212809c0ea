// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-set-fast-math))' | FileCheck %s

// Limits of norm-set-fast-math (see its description) not covered by
// norm-set-fast-math.mlir.

// LLVM dialect ops keep their own fast-math flags (not touched); integer
// arith ops have none.
// CHECK-LABEL: func.func @llvm_and_integer(
// CHECK: llvm.fadd %{{.*}}, %{{.*}} : f32
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<reassoc,contract> : f64
func.func @llvm_and_integer(%a: f32, %i: i32, %d: f64) -> (f32, i32, f64) {
  %0 = llvm.fadd %a, %a : f32
  %1 = arith.addi %i, %i : i32
  %2 = arith.mulf %d, %d : f64
  return %0, %1, %2 : f32, i32, f64
}

// -----

// A function without a body: nothing to do.
// CHECK-LABEL: func.func private @decl(f32) -> f32
func.func private @decl(f32) -> f32
