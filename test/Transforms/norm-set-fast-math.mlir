// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-set-fast-math))' | FileCheck %s

// arith and math ops get reassoc and contract; integer ops have no flags.
// CHECK-LABEL: func.func @flags(
// CHECK: arith.mulf %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: arith.addf %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: math.rsqrt %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: arith.addi %{{[^ ]+}}, %{{[^ ]+}} : i32
func.func @flags(%a: f32, %b: f32, %i: i32) -> (f32, i32) {
  %m = arith.mulf %a, %b : f32
  %s = arith.addf %m, %b : f32
  %r = math.rsqrt %s : f32
  %j = arith.addi %i, %i : i32
  return %r, %j : f32, i32
}

// -----

// Flags already present are kept.
// CHECK-LABEL: func.func @keep(
// CHECK: arith.addf %{{.*}} fastmath<reassoc,nnan,contract> : f32
// CHECK: arith.divf %{{.*}} fastmath<fast> : f32
func.func @keep(%a: f32, %b: f32) -> f32 {
  %s = arith.addf %a, %b fastmath<nnan> : f32
  %d = arith.divf %s, %b fastmath<fast> : f32
  return %d : f32
}

// -----

// extf and truncf are left alone (fpext/fptrunc take no flags in LLVM); the
// ops inside linalg bodies are marked.
// CHECK-LABEL: func.func @casts_and_regions(
// CHECK: linalg.generic
// CHECK: arith.extf %{{[^ ]+}} : bf16 to f32
// CHECK: arith.addf %{{.*}} fastmath<reassoc,contract> : f32
// CHECK: arith.truncf %{{[^ ]+}} : f32 to bf16
#map = affine_map<(d0) -> (d0)>
func.func @casts_and_regions(%x: tensor<8xbf16>, %out: tensor<8xbf16>) -> tensor<8xbf16> {
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : tensor<8xbf16>) outs(%out : tensor<8xbf16>) {
  ^bb0(%a: bf16, %o: bf16):
    %e = arith.extf %a : bf16 to f32
    %s = arith.addf %e, %e : f32
    %t = arith.truncf %s : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<8xbf16>
  return %r : tensor<8xbf16>
}
