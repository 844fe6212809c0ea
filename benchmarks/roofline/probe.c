/*===- probe.c - What one schedule of RMSNorm can reach on this machine ---===*
 *
 * A measurement probe, not a kernel of the project: it explains the gap
 * between norm-mlir's RMSNorm/LayerNorm and the streaming-copy roofline by
 * timing, on the same buffers and in the same run (best of 10, interleaved):
 *
 *   read     a sum over x (read bandwidth of the calling thread alone)
 *   write    streaming (non-temporal) stores of a constant into y
 *   copy     x -> y with streaming stores (run.py's roofline)
 *   tiled    RMSNorm as norm-mlir schedules it: per tile of 8 rows, one
 *            sweep of the sums of squares over the 8 rows, then each row
 *            normalized from cache with streaming stores
 *   tiled+pf the same, prefetching the next tile (prefetcht1) while
 *            normalizing
 *   tile-pipelined  one sweep per tile that both reduces tile t+1 (from
 *            memory) and normalizes tile t (from cache)
 *   row-pipelined   the same per row: reduce row r+1, normalize row r
 *
 * x is [rows x n] f32 (default 8192 x 4096), y the same, one thread.
 * Build and run (AVX2):
 *   clang-22 -O3 -march=native benchmarks/roofline/probe.c -o /tmp/probe -lm
 *   /tmp/probe 4096
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kTile = 8 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

static float scaleOf(__m256 a, __m256 b, long n) {
  return 1.0f / sqrtf(hsum(_mm256_add_ps(a, b)) / n + 1e-5f);
}

__attribute__((noinline)) static float readOnly(const float *x, long count) {
  __m256 a = _mm256_setzero_ps(), b = a, c = a, d = a;
  for (long i = 0; i < count; i += 32) {
    a = _mm256_add_ps(a, _mm256_load_ps(x + i));
    b = _mm256_add_ps(b, _mm256_load_ps(x + i + 8));
    c = _mm256_add_ps(c, _mm256_load_ps(x + i + 16));
    d = _mm256_add_ps(d, _mm256_load_ps(x + i + 24));
  }
  return hsum(_mm256_add_ps(_mm256_add_ps(a, b), _mm256_add_ps(c, d)));
}

__attribute__((noinline)) static void writeOnly(float *y, long count) {
  __m256 v = _mm256_set1_ps(1.0f);
  for (long i = 0; i < count; i += 8)
    _mm256_stream_ps(y + i, v);
  _mm_sfence();
}

__attribute__((noinline)) static void copy(const float *x, float *y,
                                           long count) {
  for (long i = 0; i < count; i += 8)
    _mm256_stream_ps(y + i, _mm256_load_ps(x + i));
  _mm_sfence();
}

/// y[r] = x[r] * scale * w with streaming stores.
static inline void normalizeRow(const float *x, const float *w, float *y,
                                long n, float scale) {
  __m256 s = _mm256_set1_ps(scale);
  for (long j = 0; j < n; j += 8)
    _mm256_stream_ps(y + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_load_ps(x + j), s),
                                          _mm256_load_ps(w + j)));
}

/// Sums of squares of kTile rows, swept together.
static inline void reduceTile(const float *x, long n, float *scales) {
  __m256 acc[kTile][2];
  for (int t = 0; t < kTile; ++t)
    acc[t][0] = acc[t][1] = _mm256_setzero_ps();
  for (long j = 0; j < n; j += 16)
    for (int t = 0; t < kTile; ++t) {
      __m256 u = _mm256_load_ps(x + t * n + j);
      __m256 v = _mm256_load_ps(x + t * n + j + 8);
      acc[t][0] = _mm256_fmadd_ps(u, u, acc[t][0]);
      acc[t][1] = _mm256_fmadd_ps(v, v, acc[t][1]);
    }
  for (int t = 0; t < kTile; ++t)
    scales[t] = scaleOf(acc[t][0], acc[t][1], n);
}

__attribute__((noinline)) static void tiled(const float *x, const float *w,
                                            float *y, long rows, long n,
                                            int prefetch) {
  float scales[kTile];
  for (long r = 0; r < rows; r += kTile) {
    reduceTile(x + r * n, n, scales);
    const char *next = (const char *)(x + (r + kTile) * n);
    long ahead = r + kTile < rows ? kTile * n * 4 : 0, done = 0;
    for (int t = 0; t < kTile; ++t) {
      if (prefetch)
        /* 1/kTile of the next tile per row normalized. */
        for (long b = 0; b < n * 4 && done < ahead; b += 64, done += 64)
          _mm_prefetch(next + done, _MM_HINT_T1);
      normalizeRow(x + (r + t) * n, w, y + (r + t) * n, n, scales[t]);
    }
  }
  _mm_sfence();
}

__attribute__((noinline)) static void tilePipelined(const float *x,
                                                    const float *w, float *y,
                                                    long rows, long n) {
  float scales[kTile], next[kTile];
  reduceTile(x, n, scales);
  for (long r = 0; r < rows; r += kTile) {
    int more = r + kTile < rows;
    __m256 acc[kTile];
    for (int t = 0; t < kTile; ++t)
      acc[t] = _mm256_setzero_ps();
    for (long j = 0; j < n; j += 8) {
      if (more)
        for (int t = 0; t < kTile; ++t) {
          __m256 v = _mm256_load_ps(x + (r + kTile + t) * n + j);
          acc[t] = _mm256_fmadd_ps(v, v, acc[t]);
        }
      __m256 wv = _mm256_load_ps(w + j);
      for (int t = 0; t < kTile; ++t)
        _mm256_stream_ps(y + (r + t) * n + j,
                         _mm256_mul_ps(_mm256_mul_ps(_mm256_load_ps(x + (r + t) * n + j),
                                                     _mm256_set1_ps(scales[t])),
                                       wv));
    }
    for (int t = 0; t < kTile && more; ++t)
      next[t] = scaleOf(acc[t], _mm256_setzero_ps(), n);
    for (int t = 0; t < kTile; ++t)
      scales[t] = next[t];
  }
  _mm_sfence();
}

__attribute__((noinline)) static void rowPipelined(const float *x,
                                                   const float *w, float *y,
                                                   long rows, long n) {
  __m256 a = _mm256_setzero_ps(), b = a;
  for (long j = 0; j < n; j += 16) {
    __m256 u = _mm256_load_ps(x + j), v = _mm256_load_ps(x + j + 8);
    a = _mm256_fmadd_ps(u, u, a);
    b = _mm256_fmadd_ps(v, v, b);
  }
  float scale = scaleOf(a, b, n);
  for (long r = 0; r < rows; ++r) {
    const float *xn = x + (r + 1) * n, *xr = x + r * n;
    float *yr = y + r * n;
    __m256 s = _mm256_set1_ps(scale);
    a = b = _mm256_setzero_ps();
    for (long j = 0; j < n; j += 8) {
      if (r + 1 < rows) {
        __m256 v = _mm256_load_ps(xn + j);
        a = _mm256_fmadd_ps(v, v, a);
      }
      _mm256_stream_ps(yr + j, _mm256_mul_ps(_mm256_mul_ps(_mm256_load_ps(xr + j), s),
                                             _mm256_load_ps(w + j)));
    }
    scale = scaleOf(a, b, n);
  }
  _mm_sfence();
}

/// Max |y - ref| over a sample of rows (a wrong schedule shows here).
static double check(const float *x, const float *w, const float *y, long rows,
                    long n) {
  double worst = 0;
  for (long r = 0; r < rows; r += 997) {
    double ss = 0;
    for (long j = 0; j < n; ++j)
      ss += (double)x[r * n + j] * x[r * n + j];
    double s = 1 / sqrt(ss / n + 1e-5);
    for (long j = 0; j < n; ++j)
      worst = fmax(worst, fabs(y[r * n + j] - x[r * n + j] * s * w[j]));
  }
  return worst;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 4096, rows = argc > 2 ? atol(argv[2]) : 8192;
  if (n % 16) {
    fprintf(stderr, "n must be a multiple of 16\n");
    return 1;
  }
  long count = rows * n;
  float *x = aligned_alloc(4096, count * 4), *y = aligned_alloc(4096, count * 4);
  float *w = aligned_alloc(64, n * 4);
  for (long i = 0; i < count; ++i) {
    x[i] = (float)((i * 7919) % 1013) / 1013.0f - 0.5f;
    y[i] = 0;
  }
  for (long j = 0; j < n; ++j)
    w[j] = 1.0f + (float)j / n;

  const char *names[] = {"read", "write", "copy", "tiled", "tiled+pf",
                         "tile-pipelined", "row-pipelined"};
  enum { kKinds = 7 };
  double best[kKinds], err[kKinds] = {0};
  for (int k = 0; k < kKinds; ++k)
    best[k] = 1e30;
  volatile float sink = 0;
  for (int it = 0; it < 10; ++it)
    for (int k = 0; k < kKinds; ++k) {
      double t = now();
      switch (k) {
      case 0: sink += readOnly(x, count); break;
      case 1: writeOnly(y, count); break;
      case 2: copy(x, y, count); break;
      case 3: tiled(x, w, y, rows, n, 0); break;
      case 4: tiled(x, w, y, rows, n, 1); break;
      case 5: tilePipelined(x, w, y, rows, n); break;
      case 6: rowPipelined(x, w, y, rows, n); break;
      }
      t = now() - t;
      if (t < best[k])
        best[k] = t;
      if (k >= 3 && it == 0)
        err[k] = check(x, w, y, rows, n);
    }
  double bytes = count * 4.0;
  printf("[%ld x %ld] f32, 1 thread, best of 10\n", rows, n);
  printf("%-15s %8s %8s %8s %10s\n", "", "ms", "GB/s", "%copy", "max err");
  for (int k = 0; k < kKinds; ++k) {
    double moved = k < 2 ? bytes : 2 * bytes;
    printf("%-15s %8.2f %8.1f %8.0f", names[k], best[k] * 1e3,
           moved / best[k] / 1e9, 100 * best[2] / best[k]);
    if (k >= 3)
      printf(" %10.1e", err[k]);
    printf("\n");
  }
  printf("read + write    %8.2f (the two phases one after the other)\n",
         (best[0] + best[1]) * 1e3);
  return 0;
}
