/*===- probe_two_threads.c - Two-thread schedules of RMSNorm ---------------===*
 *
 * A measurement probe, not a kernel of the project. With 2 threads
 * norm-mlir's RMSNorm/LayerNorm reach 64-83% of the streaming copy
 * (docs/benchmarks.md). Both threads run the same schedule at the same
 * time: each reads a tile of rows (statistics), then writes it (normalized),
 * so their read phases and their write phases coincide. This probe asks
 * whether mixing the phases of the two threads, as the copy mixes reads and
 * writes, brings them closer to the copy. It times on the same buffers, in
 * one run, interleaved (median of 21):
 *
 *   copy       x -> y with streaming stores, each thread one half
 *   tiled      norm-mlir's schedule: per tile of 8 rows, the sums of
 *              squares of the 8 rows, then each row normalized from cache
 *              with streaming stores; each thread one half of the rows
 *   shifted    the same, thread 1 starting with a tile of 4 rows, so that
 *              its read phases fall on thread 0's write phases
 *   pipelined  thread 0 only reads (the statistics of every row, published
 *              per 8 rows with a release store), thread 1 only normalizes,
 *              right behind it, reading the rows from the shared L3 (or
 *              thread 0's L2) and writing them: one read stream and one
 *              write stream, like the copy's
 *
 * x is [8192 x n] f32 (default n = 4096) of random values: this VM writes
 * cache lines that are all zeros faster than others (probe_zero_lines.c),
 * so no output here may contain them. Build and run (AVX-512):
 *   clang-22 -O3 -march=native -fopenmp benchmarks/roofline/probe_two_threads.c \
 *     -o /tmp/probe2 -lm -L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib
 *   /tmp/probe2 4096; /tmp/probe2 8192; /tmp/probe2 768
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kRows = 8192, kTile = 8, kReps = 21 };

static long n = 4096;
static float *scales;         /* the pipelined schedule's statistics */
static _Atomic long rowsReady; /* rows whose scale thread 0 has published */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline float rowScale(const float *x) {
  __m512 a = _mm512_setzero_ps(), b = a;
  for (long j = 0; j < n; j += 32) {
    __m512 u = _mm512_load_ps(x + j), v = _mm512_load_ps(x + j + 16);
    a = _mm512_fmadd_ps(u, u, a);
    b = _mm512_fmadd_ps(v, v, b);
  }
  return 1.0f / sqrtf(_mm512_reduce_add_ps(_mm512_add_ps(a, b)) / n + 1e-5f);
}

static inline void normalizeRow(const float *x, const float *w, float *y,
                                float scale) {
  __m512 s = _mm512_set1_ps(scale);
  for (long j = 0; j < n; j += 16)
    _mm512_stream_ps(y + j, _mm512_mul_ps(_mm512_mul_ps(_mm512_load_ps(x + j), s),
                                          _mm512_load_ps(w + j)));
}

static void tile(const float *x, const float *w, float *y, long first,
                 long rows) {
  float s[kTile];
  for (long t = 0; t < rows; ++t)
    s[t] = rowScale(x + (first + t) * n);
  for (long t = 0; t < rows; ++t)
    normalizeRow(x + (first + t) * n, w, y + (first + t) * n, s[t]);
}

__attribute__((noinline)) static void copy(const float *x, float *y) {
  long count = kRows * n;
#pragma omp parallel for num_threads(2) schedule(static)
  for (long i = 0; i < count; i += 16)
    _mm512_stream_ps(y + i, _mm512_load_ps(x + i));
  _mm_sfence();
}

/* Each thread one contiguous half of the rows; thread 1 first does a tile
 * of `shift` rows (0: none). */
__attribute__((noinline)) static void tiled(const float *x, const float *w,
                                            float *y, long shift) {
#pragma omp parallel num_threads(2)
  {
    int id = omp_get_thread_num();
    long row = id * (kRows / 2), end = row + kRows / 2;
    if (id == 1 && shift > 0) {
      tile(x, w, y, row, shift);
      row += shift;
    }
    for (; row < end; row += kTile)
      tile(x, w, y, row, row + kTile <= end ? kTile : end - row);
    _mm_sfence();
  }
}

__attribute__((noinline)) static void pipelined(const float *x, const float *w,
                                                float *y) {
  atomic_store(&rowsReady, 0);
#pragma omp parallel num_threads(2)
  {
    if (omp_get_thread_num() == 0) {
      for (long row = 0; row < kRows; row += kTile) {
        for (long t = 0; t < kTile; ++t)
          scales[row + t] = rowScale(x + (row + t) * n);
        atomic_store_explicit(&rowsReady, row + kTile, memory_order_release);
      }
    } else {
      for (long row = 0; row < kRows; ++row) {
        while (atomic_load_explicit(&rowsReady, memory_order_acquire) <= row)
          _mm_pause();
        normalizeRow(x + row * n, w, y + row * n, scales[row]);
      }
      _mm_sfence();
    }
  }
}

/* Largest relative error of y against a scalar RMSNorm in double. */
static double check(const float *x, const float *w, const float *y) {
  double worst = 0;
  for (long r = 0; r < kRows; r += 997) {
    double sum = 0;
    for (long j = 0; j < n; ++j)
      sum += (double)x[r * n + j] * x[r * n + j];
    double s = 1.0 / sqrt(sum / n + 1e-5);
    for (long j = 0; j < n; ++j) {
      double ref = x[r * n + j] * s * w[j];
      double err = fabs(y[r * n + j] - ref) / (fabs(ref) + 1e-6);
      worst = err > worst ? err : worst;
    }
  }
  return worst;
}

static int compareDoubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc > 1)
    n = atol(argv[1]);
  if (n <= 0 || n % 32 != 0) {
    fprintf(stderr, "n must be a positive multiple of 32\n");
    return 2;
  }
  long count = kRows * n;
  float *x = aligned_alloc(64, count * 4), *y = aligned_alloc(64, count * 4);
  float *w = aligned_alloc(64, n * 4);
  scales = aligned_alloc(64, kRows * 4);
  unsigned seed = 1;
  for (long i = 0; i < count; ++i) {
    seed = seed * 1103515245u + 12345u;
    x[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    y[i] = 1.0f;
  }
  for (long j = 0; j < n; ++j)
    w[j] = 1.0f + j * 1e-4f;

  const char *names[] = {"copy", "tiled", "shifted", "pipelined"};
  enum { kKinds = 4 };
  double times[kKinds][kReps], err[kKinds] = {0};
  for (int it = 0; it < kReps; ++it)
    for (int k = 0; k < kKinds; ++k) {
      double t = now();
      switch (k) {
      case 0: copy(x, y); break;
      case 1: tiled(x, w, y, 0); break;
      case 2: tiled(x, w, y, kTile / 2); break;
      case 3: pipelined(x, w, y); break;
      }
      times[k][it] = now() - t;
      if (k > 0 && it == 0)
        err[k] = check(x, w, y);
    }
  printf("[%d x %ld] f32, 2 threads, median of %d\n", kRows, n, kReps);
  printf("%-10s %8s %8s %8s %10s\n", "", "ms", "GB/s", "%copy", "max err");
  double median[kKinds];
  for (int k = 0; k < kKinds; ++k) {
    qsort(times[k], kReps, sizeof(double), compareDoubles);
    median[k] = times[k][kReps / 2];
  }
  for (int k = 0; k < kKinds; ++k) {
    printf("%-10s %8.2f %8.1f %8.0f", names[k], median[k] * 1e3,
           2.0 * count * 4 / median[k] / 1e9, 100 * median[0] / median[k]);
    if (k > 0)
      printf(" %10.1e", err[k]);
    printf("\n");
  }
  return 0;
}
