/*===- probe_activation.c - Prefetching the next tile under an activation -===*
 *
 * A measurement probe, not a kernel of the project (see probe.c). It times,
 * on the same buffers (best of 10, one thread, AVX-512), LayerNorm as
 * norm-mlir schedules it (per tile of 8 rows: statistics from memory, then
 * each row normalized from cache with streaming stores), with and without
 * GELU (the rational erf of norm-approximate-math), and the same with the
 * tile's normalization sweep also reducing the next tile ("piped"). With a
 * second argument H >= 0 every normalization step prefetches the same
 * element of the next tile with hint H (0 = prefetcht0, 1 = prefetcht1,
 * 2 = prefetcht2): what norm-prefetch-next-row-tile does with hint 1
 * (locality 2).
 *
 *   clang-22 -O3 -march=native benchmarks/roofline/probe_activation.c \
 *     -o /tmp/probe_act -lm
 *   for h in -1 0 1 2; do /tmp/probe_act 4096 $h; done
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
enum { T = 8 };
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}
static inline __m512 gelu(__m512 x) {
  __m512 z = _mm512_mul_ps(x, _mm512_set1_ps(0.70710678f));
  z = _mm512_min_ps(_mm512_max_ps(z, _mm512_set1_ps(-4.f)),
                    _mm512_set1_ps(4.f));
  __m512 z2 = _mm512_mul_ps(z, z);
  __m512 p = _mm512_set1_ps(-2.72614225801306e-10f);
  p = _mm512_fmadd_ps(p, z2, _mm512_set1_ps(2.77068142495902e-08f));
  p = _mm512_fmadd_ps(p, z2, _mm512_set1_ps(-2.10102402082508e-06f));
  p = _mm512_fmadd_ps(p, z2, _mm512_set1_ps(-5.69250639462346e-05f));
  p = _mm512_fmadd_ps(p, z2, _mm512_set1_ps(-7.34990630326855e-04f));
  p = _mm512_fmadd_ps(p, z2, _mm512_set1_ps(-2.95459980854025e-03f));
  p = _mm512_fmadd_ps(p, z2, _mm512_set1_ps(-1.60960333262415e-02f));
  __m512 q = _mm512_set1_ps(-1.45660718464996e-05f);
  q = _mm512_fmadd_ps(q, z2, _mm512_set1_ps(-2.13374055278905e-04f));
  q = _mm512_fmadd_ps(q, z2, _mm512_set1_ps(-1.68282697438203e-03f));
  q = _mm512_fmadd_ps(q, z2, _mm512_set1_ps(-7.37332916720468e-03f));
  q = _mm512_fmadd_ps(q, z2, _mm512_set1_ps(-1.42647390514189e-02f));
  __m512 e = _mm512_div_ps(_mm512_mul_ps(z, p), q);
  __m512 h = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
  return _mm512_fmadd_ps(h, e, h);
}
static float hs(__m512 v) { return _mm512_reduce_add_ps(v); }
static inline void stats(const float *x, long n, float *mu, float *rs) {
  __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
  for (long j = 0; j < n; j += 32) {
    __m512 u = _mm512_load_ps(x + j), v = _mm512_load_ps(x + j + 16);
    a = _mm512_add_ps(a, u);
    b = _mm512_add_ps(b, v);
    c = _mm512_fmadd_ps(u, u, c);
    d = _mm512_fmadd_ps(v, v, d);
  }
  float m = hs(_mm512_add_ps(a, b)) / n;
  float v = hs(_mm512_add_ps(c, d)) / n - m * m;
  *mu = m;
  *rs = 1.f / sqrtf(v + 1e-5f);
}
static int PFH;
static inline void normrow(const float *x, const float *w, const float *bb,
                           float *y, long n, float mu, float rs, int act,
                           const float *pf) {
  __m512 M = _mm512_set1_ps(mu), R = _mm512_set1_ps(rs);
  for (long j = 0; j < n; j += 16) {
    if (pf) {
      if (PFH == 1)
        _mm_prefetch((const char *)(pf + j), _MM_HINT_T1);
      else if (PFH == 0)
        _mm_prefetch((const char *)(pf + j), _MM_HINT_T0);
      else
        _mm_prefetch((const char *)(pf + j), _MM_HINT_T2);
    }
    __m512 v = _mm512_fmadd_ps(
        _mm512_mul_ps(_mm512_sub_ps(_mm512_load_ps(x + j), M), R),
        _mm512_load_ps(w + j), _mm512_load_ps(bb + j));
    if (act)
      v = gelu(v);
    _mm512_stream_ps(y + j, v);
  }
}
__attribute__((noinline)) void tiled(const float *x, const float *w,
                                     const float *b, float *y, long rows,
                                     long n, int act) {
  for (long t = 0; t < rows; t += T) {
    float mu[T], rs[T];
    for (int r = 0; r < T; r++)
      stats(x + (t + r) * n, n, mu + r, rs + r);
    for (int r = 0; r < T; r++)
      normrow(x + (t + r) * n, w, b, y + (t + r) * n, n, mu[r], rs[r], act,
              (PFH >= 0 && t + T < rows) ? x + (t + T + r) * n : 0);
  }
  _mm_sfence();
}
// pipelined: normalize tile t, interleaved per 32 columns with stats of tile
// t+1 (row by row)
__attribute__((noinline)) void piped(const float *x, const float *w,
                                     const float *b, float *y, long rows,
                                     long n, int act) {
  float mu[2][T], rs[2][T];
  for (int r = 0; r < T; r++)
    stats(x + r * n, n, &mu[0][r], &rs[0][r]);
  for (long t = 0; t < rows; t += T) {
    int c = (t / T) & 1;
    int nx = t + T < rows;
    for (int r = 0; r < T; r++) {
      const float *xr = x + (t + r) * n;
      float *yr = y + (t + r) * n;
      const float *xn = x + (t + T + r) * n;
      __m512 M = _mm512_set1_ps(mu[c][r]), R = _mm512_set1_ps(rs[c][r]);
      __m512 a = _mm512_setzero_ps(), bq = a, cc = a, d = a;
      for (long j = 0; j < n; j += 32) {
        if (nx) {
          __m512 u = _mm512_load_ps(xn + j), v = _mm512_load_ps(xn + j + 16);
          a = _mm512_add_ps(a, u);
          bq = _mm512_add_ps(bq, v);
          cc = _mm512_fmadd_ps(u, u, cc);
          d = _mm512_fmadd_ps(v, v, d);
        }
        for (int k = 0; k < 32; k += 16) {
          __m512 v = _mm512_fmadd_ps(
              _mm512_mul_ps(_mm512_sub_ps(_mm512_load_ps(xr + j + k), M), R),
              _mm512_load_ps(w + j + k), _mm512_load_ps(b + j + k));
          if (act)
            v = gelu(v);
          _mm512_stream_ps(yr + j + k, v);
        }
      }
      if (nx) {
        float m = hs(_mm512_add_ps(a, bq)) / n;
        float vv = hs(_mm512_add_ps(cc, d)) / n - m * m;
        mu[c ^ 1][r] = m;
        rs[c ^ 1][r] = 1.f / sqrtf(vv + 1e-5f);
      }
    }
  }
  _mm_sfence();
}
__attribute__((noinline)) void copy(const float *x, float *y, long cnt) {
  for (long i = 0; i < cnt; i += 16)
    _mm512_stream_ps(y + i, _mm512_load_ps(x + i));
  _mm_sfence();
}
int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 4096, rows = 8192;
  PFH = argc > 2 ? atoi(argv[2]) : -1;
  long cnt = rows * n;
  float *x = aligned_alloc(64, cnt * 4), *y = aligned_alloc(64, cnt * 4),
        *y2 = aligned_alloc(64, cnt * 4), *w = aligned_alloc(64, n * 4),
        *b = aligned_alloc(64, n * 4);
  srand(1);
  for (long i = 0; i < cnt; i++)
    x[i] = rand() / (float)RAND_MAX * 4 - 2;
  for (long i = 0; i < n; i++) {
    w[i] = 1 + 0.1f * (i % 7);
    b[i] = 0.01f * (i % 5);
  }
  for (long i = 0; i < cnt; i++) {
    y[i] = 0;
    y2[i] = 0;
  }
  double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};
  for (int it = 0; it < 10; it++) {
    double t;
    t = now();
    tiled(x, w, b, y, rows, n, 0);
    t = now() - t;
    if (t < best[0])
      best[0] = t;
    t = now();
    tiled(x, w, b, y, rows, n, 1);
    t = now() - t;
    if (t < best[1])
      best[1] = t;
    t = now();
    piped(x, w, b, y2, rows, n, 0);
    t = now() - t;
    if (t < best[2])
      best[2] = t;
    t = now();
    piped(x, w, b, y2, rows, n, 1);
    t = now() - t;
    if (t < best[3])
      best[3] = t;
    t = now();
    copy(x, y2, cnt);
    t = now() - t;
    if (t < best[4])
      best[4] = t;
  }
  tiled(x, w, b, y, rows, n, 1);
  piped(x, w, b, y2, rows, n, 1);
  double md = 0;
  for (long i = 0; i < cnt; i++) {
    double d = fabs(y[i] - y2[i]);
    if (d > md)
      md = d;
  }
  printf("n=%ld LN tiled %.2f  LN+gelu tiled %.2f (+%.0f%%)  LN piped %.2f  "
         "LN+gelu piped %.2f (+%.0f%% vs LN tiled)  copy %.2f ms  maxdiff %g\n",
         n, best[0] * 1e3, best[1] * 1e3, (best[1] / best[0] - 1) * 100,
         best[2] * 1e3, best[3] * 1e3, (best[3] / best[0] - 1) * 100,
         best[4] * 1e3, md);
}
