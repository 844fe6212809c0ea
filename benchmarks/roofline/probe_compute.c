/*===- probe_compute.c - Arithmetic cost of the fused activation loops ----===*
 *
 * A measurement probe, not a kernel of the project (see probe.c). It times
 * the normalization loop of a row tile with its fused activation on data
 * that stays in L1 (4096 floats, swept 20000 times, one thread, AVX-512),
 * so that only the arithmetic counts: ns per element of
 *
 *   ln_gelu       (x - mean) * rstd * w + b, then GELU as norm-mlir emits it
 *                 (weight and bias halved, XLA's rational erf: 18 vector
 *                 operations and a division per 16 outputs)
 *   ln            the same without GELU (3 operations)
 *   gn_silu       (x - mean) * scale + b, then x / (1 + exp(-x)) as
 *                 norm-mlir emits it on AVX-512 (exp with vscalefps, the
 *                 negation folded: 14 operations and a division)
 *
 * Multiplied by the elements of a case, this is the time one core needs
 * for the arithmetic alone, to compare with the memory-bound time of the
 * norm without the activation. The coefficients only shape the work (the
 * same number and kind of operations as the generated loops); the values
 * are not checked.
 *
 *   clang-22 -O3 -march=native benchmarks/roofline/probe_compute.c \
 *     -o /tmp/probe_compute && /tmp/probe_compute
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { N = 4096, ITERATIONS = 20000 };

static float x[N] __attribute__((aligned(64)));
static float y[N] __attribute__((aligned(64)));
static float w[N] __attribute__((aligned(64)));
static float bias[N] __attribute__((aligned(64)));
static volatile float meanValue = 0.3f, rstdValue = 1.7f;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define S(v) _mm512_set1_ps(v)

/* GELU of 2 * h: h + h * erf(h * sqrt 2), erf = z P(z^2) / Q(z^2). */
static inline __m512 geluOfHalf(__m512 h) {
  __m512 z = _mm512_max_ps(S(-2.8f), _mm512_min_ps(S(2.8f), h));
  __m512 z2 = _mm512_mul_ps(z, z);
  __m512 p = _mm512_fmadd_ps(z2, S(-2.7e-10f), S(2.77e-8f));
  p = _mm512_fmadd_ps(z2, p, S(-2.1e-6f));
  p = _mm512_fmadd_ps(z2, p, S(-5.6e-5f));
  p = _mm512_fmadd_ps(z2, p, S(-7.3e-4f));
  p = _mm512_fmadd_ps(z2, p, S(-2.9e-3f));
  p = _mm512_fmadd_ps(z2, p, S(-1.6e-2f));
  __m512 q = _mm512_fmadd_ps(z2, S(-1.4e-5f), S(-7.3e-4f));
  q = _mm512_fmadd_ps(z2, q, S(-1.4e-3f));
  q = _mm512_fmadd_ps(z2, q, S(-7.3e-3f));
  q = _mm512_fmadd_ps(z2, q, S(-1.4e-2f));
  __m512 e = _mm512_div_ps(_mm512_mul_ps(z, p), q);
  return _mm512_fmadd_ps(h, e, h);
}

/* exp(-v) with the negation folded, 2^n by vscalefps. */
static inline __m512 expOfNegation(__m512 v) {
  v = _mm512_max_ps(S(-88.8f), _mm512_min_ps(S(110.0f), v));
  __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(v, S(-1.442695f)), 9);
  __m512 s = _mm512_fmadd_ps(n, S(0.693145751953125f), v);
  s = _mm512_fmadd_ps(n, S(1.4286068e-6f), s);
  __m512 p = _mm512_fmadd_ps(s, S(-1.1669433e-2f), S(3.9062552e-2f));
  p = _mm512_fmadd_ps(s, p, S(-1.6755494e-1f));
  p = _mm512_fmadd_ps(s, p, S(4.9987084e-1f));
  p = _mm512_fmadd_ps(s, p, S(-1.0000060f));
  p = _mm512_fmadd_ps(s, p, S(1.0f));
  return _mm512_scalef_ps(p, n);
}

enum Kind { LN_GELU, LN, GN_SILU };

static void sweep(enum Kind kind) {
  __m512 mean = S(meanValue), rstd = S(rstdValue), scale = S(rstdValue);
  for (int k = 0; k < ITERATIONS; ++k) {
    for (int i = 0; i < N; i += 16) {
      __m512 v = _mm512_load_ps(x + i), out;
      if (kind == GN_SILU) {
        __m512 t = _mm512_fmadd_ps(_mm512_sub_ps(v, mean), scale, S(0.25f));
        out = _mm512_div_ps(t, _mm512_add_ps(expOfNegation(t), S(1.0f)));
      } else {
        __m512 t = _mm512_fmadd_ps(
            _mm512_mul_ps(_mm512_sub_ps(v, mean), rstd),
            _mm512_load_ps(w + i), _mm512_load_ps(bias + i));
        out = kind == LN_GELU ? geluOfHalf(t) : t;
      }
      _mm512_store_ps(y + i, out);
    }
    __asm__ volatile("" ::"r"(y) : "memory");
  }
}

int main(void) {
  for (int i = 0; i < N; ++i) {
    x[i] = (float)(i % 97) * 0.1f - 4.0f;
    w[i] = 0.5f;
    bias[i] = 0.0f;
  }
  static const char *names[] = {"ln_gelu", "ln", "gn_silu"};
  for (int kind = LN_GELU; kind <= GN_SILU; ++kind) {
    double best = 1e30;
    for (int round = 0; round < 3; ++round) {
      double t = now();
      sweep((enum Kind)kind);
      t = now() - t;
      best = t < best ? t : best;
    }
    printf("%-8s %.3f ns/element\n", names[kind],
           best / ITERATIONS / N * 1e9);
  }
  return 0;
}
