// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-approximate-math))' | FileCheck %s
// RUN: norm-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(norm-approximate-math{avx512=1}))' | FileCheck %s --check-prefix=AVX512

// erf, tanh and exp become arith/math.fma polynomials: no math op of theirs
// is left, and nothing would lower to a libm call.
// CHECK-LABEL: func.func @activations(
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK-NOT: math.erf
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK: return
func.func @activations(%x: f32) -> (f32, f32, f32) {
  %e = math.erf %x : f32
  %t = math.tanh %x : f32
  %x2 = math.exp %x : f32
  return %e, %t, %x2 : f32, f32, f32
}

// -----

// f32 erf is the clamped rational form x * P(x^2) / Q(x^2): two clamps to
// [-4, 4] written so that NaN passes through (4 < x ? 4 : x), x^2, a degree-6
// numerator and a degree-4 denominator by Horner, one division. No interval
// selects as in upstream's approximation.
// CHECK-LABEL: func.func @erf_rational(
// CHECK-SAME: %[[X:.*]]: vector<16xf32>
// CHECK-DAG: %[[FOUR:.*]] = arith.constant dense<4.000000e+00>
// CHECK-DAG: %[[MFOUR:.*]] = arith.constant dense<-4.000000e+00>
// CHECK: %[[GT:.*]] = arith.cmpf olt, %[[FOUR]], %[[X]]
// CHECK: %[[HI:.*]] = arith.select %[[GT]], %[[FOUR]], %[[X]]
// CHECK: %[[LT:.*]] = arith.cmpf olt, %[[HI]], %[[MFOUR]]
// CHECK: %[[C:.*]] = arith.select %[[LT]], %[[MFOUR]], %[[HI]]
// CHECK: %[[X2:.*]] = arith.mulf %[[C]], %[[C]]
// CHECK-COUNT-6: math.fma %[[X2]]
// CHECK: %[[P:.*]] = arith.mulf %[[C]],
// CHECK-COUNT-4: math.fma %[[X2]]
// CHECK-NOT: arith.select
// CHECK: %[[E:.*]] = arith.divf %[[P]],
// CHECK: return %[[E]]
func.func @erf_rational(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.erf %x : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// GELU's erf(x / sqrt(2)): the constant scale goes into the clamp bounds
// (4 * sqrt(2)) and the coefficients; no multiplication of x before the
// clamp, same number of operations otherwise.
// CHECK-LABEL: func.func @erf_scaled(
// CHECK-SAME: %[[X:.*]]: vector<16xf32>
// CHECK-NOT: arith.mulf %[[X]]
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<5.65685{{[0-9]*}}>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-5.65685{{[0-9]*}}>
// CHECK: %[[GT:.*]] = arith.cmpf olt, %[[HI]], %[[X]]
// CHECK: %[[C1:.*]] = arith.select %[[GT]], %[[HI]], %[[X]]
// CHECK: arith.cmpf olt, %[[C1]], %[[LO]]
// CHECK: %[[C:.*]] = arith.select
// CHECK: %[[X2:.*]] = arith.mulf %[[C]], %[[C]]
// CHECK-COUNT-6: math.fma %[[X2]]
// CHECK: arith.mulf %[[C]],
// CHECK-COUNT-4: math.fma %[[X2]]
// CHECK: arith.divf
func.func @erf_scaled(%x: vector<16xf32>) -> vector<16xf32> {
  %s = arith.constant dense<0.707106769> : vector<16xf32>
  %y = arith.mulf %x, %s : vector<16xf32>
  %e = math.erf %y : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// Not folded: a negative scale, and a product used elsewhere too (it is
// computed anyway); both clamp the product to [-4, 4].
// CHECK-LABEL: func.func @erf_scale_not_folded(
// CHECK-SAME: %[[X:.*]]: f32
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: %[[NEG:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: arith.cmpf olt, %[[FOUR]], %[[NEG]]
// CHECK: %[[SHARED:.*]] = arith.mulf %[[X]], %{{.*}} : f32
// CHECK: arith.cmpf olt, %[[FOUR]], %[[SHARED]]
// CHECK: return {{.*}}, %[[SHARED]]
func.func @erf_scale_not_folded(%x: f32) -> (f32, f32, f32) {
  %m = arith.constant -0.5 : f32
  %neg = arith.mulf %x, %m : f32
  %e1 = math.erf %neg : f32
  %h = arith.constant 0.5 : f32
  %shared = arith.mulf %x, %h : f32
  %e2 = math.erf %shared : f32
  return %e1, %e2, %shared : f32, f32, f32
}

// -----

// f32 exp: one clamp to [-88, 88.8] written so that NaN passes through,
// n = floor(x * log2 e), r = x - n * ln2 in two FMAs (Cody-Waite), a degree-5
// polynomial by Horner (5 FMAs), 2^n from the bits of n + (1.5 * 2^23 + 127)
// shifted into the exponent field, one multiply. No conversion to integer
// and no second clamp of the exponent as in upstream's approximation.
// CHECK-LABEL: func.func @exp_f32(
// CHECK-SAME: %[[X:.*]]: vector<8xf32>
// CHECK-DAG: %[[SHIFT:.*]] = arith.constant dense<23> : vector<8xi32>
// CHECK-DAG: %[[MAGIC:.*]] = arith.constant dense<0x4B40007F> : vector<8xf32>
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : vector<8xf32>
// CHECK-DAG: %[[LN2HI:.*]] = arith.constant dense<-0.693145751> : vector<8xf32>
// CHECK-DAG: %[[LN2LO:.*]] = arith.constant dense<-1.42860677E-6> : vector<8xf32>
// CHECK-DAG: %[[LOG2E:.*]] = arith.constant dense<1.44269502> : vector<8xf32>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-8.800000e+01> : vector<8xf32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<8.880000e+01> : vector<8xf32>
// CHECK: %[[GT:.*]] = arith.cmpf olt, %[[HI]], %[[X]]
// CHECK: %[[X1:.*]] = arith.select %[[GT]], %[[HI]], %[[X]]
// CHECK: %[[LT:.*]] = arith.cmpf olt, %[[X1]], %[[LO]]
// CHECK: %[[C:.*]] = arith.select %[[LT]], %[[LO]], %[[X1]]
// CHECK: %[[T:.*]] = arith.mulf %[[C]], %[[LOG2E]]
// CHECK: %[[N:.*]] = math.floor %[[T]]
// CHECK: %[[R1:.*]] = math.fma %[[N]], %[[LN2HI]], %[[C]]
// CHECK: %[[R:.*]] = math.fma %[[N]], %[[LN2LO]], %[[R1]]
// CHECK-COUNT-4: math.fma %[[R]],
// CHECK: %[[P:.*]] = math.fma %[[R]], %{{.*}}, %[[ONE]]
// CHECK: %[[B:.*]] = arith.addf %[[N]], %[[MAGIC]]
// CHECK: %[[BI:.*]] = arith.bitcast %[[B]] : vector<8xf32> to vector<8xi32>
// CHECK: %[[E:.*]] = arith.shli %[[BI]], %[[SHIFT]]
// CHECK: %[[S:.*]] = arith.bitcast %[[E]] : vector<8xi32> to vector<8xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[P]], %[[S]]
// CHECK-NOT: arith.select
// CHECK-NOT: arith.fptosi
// CHECK: return %[[Y]]
func.func @exp_f32(%x: vector<8xf32>) -> vector<8xf32> {
  %e = math.exp %x : vector<8xf32>
  return %e : vector<8xf32>
}

// -----

// With avx512, exp on vector<16xf32> scales e^r by 2^n with one vscalefps
// (its lowering passes `src` as the scaled value and `a` as the exponent),
// clamped below at -110 so that exp(-inf) still underflows to 0; other
// shapes keep the shifted exponent bits.
// CHECK-LABEL: func.func @exp_avx512(
// CHECK-NOT: x86vector
// CHECK: return
// AVX512-LABEL: func.func @exp_avx512(
// AVX512-SAME: %[[X:.*]]: vector<16xf32>, %[[X8:.*]]: vector<8xf32>
// AVX512-DAG: %[[LO:.*]] = arith.constant dense<-1.100000e+02> : vector<16xf32>
// AVX512-DAG: %[[ALL:.*]] = arith.constant -1 : i16
// AVX512-DAG: %[[CUR:.*]] = arith.constant 4 : i32
// AVX512-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : vector<16xf32>
// AVX512: arith.select %{{.*}}, %[[LO]],
// AVX512: %[[N:.*]] = math.floor %{{.*}} : vector<16xf32>
// AVX512: %[[P:.*]] = math.fma %{{.*}}, %{{.*}}, %[[ONE]] : vector<16xf32>
// AVX512-NEXT: %[[Y:.*]] = x86vector.avx512.mask.scalef %[[P]], %[[N]], %[[P]], %[[ALL]], %[[CUR]] : vector<16xf32>
// AVX512-NOT: x86vector
// AVX512: arith.shli %{{.*}} : vector<8xi32>
// AVX512: return %[[Y]],
func.func @exp_avx512(%x: vector<16xf32>, %x8: vector<8xf32>) -> (vector<16xf32>, vector<8xf32>) {
  %e = math.exp %x : vector<16xf32>
  %e8 = math.exp %x8 : vector<8xf32>
  return %e, %e8 : vector<16xf32>, vector<8xf32>
}


// -----

// exp(-y), SiLU's and sigmoid's form, is computed from y: the negation
// folds into the constants (clamp of y to [-88.8, 88], -log2 e, +ln 2, the
// odd coefficients negated); a negation with another use stays.
// CHECK-LABEL: func.func @exp_of_negation(
// CHECK-SAME: %[[Y:[^:]*]]: vector<8xf32>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-8.880000e+01> : vector<8xf32>
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<8.800000e+01> : vector<8xf32>
// CHECK-DAG: %[[NLOG2E:.*]] = arith.constant dense<-1.44269502> : vector<8xf32>
// CHECK-DAG: %[[LN2HI:.*]] = arith.constant dense<0.693145751> : vector<8xf32>
// CHECK-DAG: %[[C5:.*]] = arith.constant dense<-0.0116694327> : vector<8xf32>
// CHECK-DAG: %[[C4:.*]] = arith.constant dense<0.0390625522> : vector<8xf32>
// CHECK-NOT: arith.negf
// CHECK: %[[GT:.*]] = arith.cmpf olt, %[[HI]], %[[Y]]
// CHECK: arith.select %[[GT]], %[[HI]], %[[Y]]
// CHECK: %[[C:.*]] = arith.select %{{.*}}, %[[LO]],
// CHECK: %[[T:.*]] = arith.mulf %[[C]], %[[NLOG2E]]
// CHECK: %[[N:.*]] = math.floor %[[T]]
// CHECK: %[[S:.*]] = math.fma %[[N]], %[[LN2HI]], %[[C]]
// CHECK: %[[S2:.*]] = math.fma %[[N]], %{{.*}}, %[[S]]
// CHECK: math.fma %[[S2]], %[[C5]], %[[C4]]
// CHECK: %[[NEG:.*]] = arith.negf %[[Y]]
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NEG]]
// CHECK: return
func.func @exp_of_negation(%y: vector<8xf32>) -> (vector<8xf32>, vector<8xf32>, vector<8xf32>) {
  %n = arith.negf %y : vector<8xf32>
  %e = math.exp %n : vector<8xf32>
  %n2 = arith.negf %y : vector<8xf32>
  %e2 = math.exp %n2 : vector<8xf32>
  return %e, %e2, %n2 : vector<8xf32>, vector<8xf32>, vector<8xf32>
}

// -----

// Scalar f32 exp takes the same form with scalar constants; expm1 (upstream's
// approximation, which emits math.exp) ends up with ours too.
// CHECK-LABEL: func.func @exp_scalar_and_expm1(
// CHECK-DAG: arith.constant 23 : i32
// CHECK-DAG: arith.constant 0x4B40007F : f32
// CHECK-NOT: math.exp
// CHECK: math.floor %{{.*}} : f32
// CHECK: arith.shli %{{.*}} : i32
// CHECK: math.floor %{{.*}} : f32
// CHECK: arith.shli %{{.*}} : i32
// CHECK-NOT: math.exp
// CHECK: return
func.func @exp_scalar_and_expm1(%x: f32) -> (f32, f32) {
  %e = math.exp %x : f32
  %m = math.expm1 %x : f32
  return %e, %m : f32, f32
}

// -----

// f64 exp is left to libm.
// CHECK-LABEL: func.func @exp_f64(
// CHECK: math.exp %{{.*}} : f64
func.func @exp_f64(%x: f64) -> f64 {
  %e = math.exp %x : f64
  return %e : f64
}

// -----

// f64 erf is left to libm (the approximations are f32 only).
// CHECK-LABEL: func.func @erf_f64(
// CHECK: math.erf %{{.*}} : f64
func.func @erf_f64(%x: f64) -> f64 {
  %e = math.erf %x : f64
  return %e : f64
}

// -----

// bf16 is widened to f32 around the approximation.
// CHECK-LABEL: func.func @bf16(
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK-NOT: math.erf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @bf16(%x: bf16) -> bf16 {
  %e = math.erf %x : bf16
  return %e : bf16
}

// -----

// Other math ops (rsqrt, log, sqrt) are left alone.
// CHECK-LABEL: func.func @others(
// CHECK: math.rsqrt
// CHECK: math.log
// CHECK: math.sqrt
func.func @others(%x: f32) -> f32 {
  %r = math.rsqrt %x : f32
  %l = math.log %r : f32
  %s = math.sqrt %l : f32
  return %s : f32
}
