/*===- copy.c - Copy rooflines for the CPU benchmarks ---------------------===*
 *
 * Two copies of n bytes, timed in the same run as the kernels they bound:
 *   kind 0: memcpy (glibc; plain stores below its non-temporal threshold),
 *   kind 1: an AVX2 copy with streaming (non-temporal) stores, which skips
 *           the read-for-ownership of the destination: the limit of a kernel
 *           that reads its input once and writes its output once.
 * With `threads` > 1 each OpenMP thread copies a contiguous, 64-byte aligned
 * share. Called from run.py through ctypes: norm_bench_copy on buffers of
 * its own, norm_bench_copy_between on a kernel's input and output.
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// Streaming copy of n bytes; dst and src 32-byte aligned, n a multiple of 128.
static void streamCopy(float *dst, const float *src, size_t n) {
  size_t count = n / sizeof(float);
  for (size_t i = 0; i < count; i += 32) {
    __m256 a = _mm256_load_ps(src + i);
    __m256 b = _mm256_load_ps(src + i + 8);
    __m256 c = _mm256_load_ps(src + i + 16);
    __m256 d = _mm256_load_ps(src + i + 24);
    _mm256_stream_ps(dst + i, a);
    _mm256_stream_ps(dst + i + 8, b);
    _mm256_stream_ps(dst + i + 16, c);
    _mm256_stream_ps(dst + i + 24, d);
  }
  _mm_sfence();
}

static void copyOnce(char *dst, const char *src, size_t n, int kind,
                     int threads) {
#pragma omp parallel num_threads(threads)
  {
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    size_t share = (n / nt + 127) & ~(size_t)127;
    size_t begin = share * (size_t)t;
    size_t end = begin + share < n ? begin + share : n;
    if (begin < end) {
      if (kind == 0)
        memcpy(dst + begin, src + begin, end - begin);
      else
        streamCopy((float *)(dst + begin), (const float *)(src + begin),
                   end - begin);
    }
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmpDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/// Median time in seconds of `reps` copies of n bytes from src to dst (n a
/// multiple of 128, both 64-byte aligned) after `warmup` untimed ones.
static double timeCopies(char *dst, const char *src, size_t n, int kind,
                         int threads, int warmup, int reps) {
  double *times = malloc(sizeof(double) * (reps > 0 ? reps : 1));
  if (!times)
    return -1.0;
  for (int i = 0; i < warmup; ++i)
    copyOnce(dst, src, n, kind, threads);
  for (int i = 0; i < reps; ++i) {
    double t0 = now();
    copyOnce(dst, src, n, kind, threads);
    times[i] = now() - t0;
  }
  qsort(times, reps, sizeof(double), cmpDouble);
  double median = reps % 2 ? times[reps / 2]
                           : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
  free(times);
  return median;
}

/// Median time in seconds of `reps` copies of n bytes (rounded up to 128)
/// between two buffers of its own, after `warmup` untimed ones; negative on
/// allocation failure.
double norm_bench_copy(size_t n, int kind, int threads, int warmup, int reps) {
  n = (n + 127) & ~(size_t)127;
  char *src = aligned_alloc(64, n), *dst = aligned_alloc(64, n);
  if (!src || !dst)
    return -1.0;
  memset(src, 1, n); // touch both buffers before timing
  memset(dst, 0, n);
  double median = timeCopies(dst, src, n, kind, threads, warmup, reps);
  free(src);
  free(dst);
  return median;
}

/// The same on the caller's buffers (a kernel's input and output, so that
/// the copy runs on the same pages as the kernel it bounds): n rounded down
/// to a multiple of 128; negative if either buffer is not 64-byte aligned.
double norm_bench_copy_between(char *dst, const char *src, size_t n, int kind,
                               int threads, int warmup, int reps) {
  if (((uintptr_t)dst | (uintptr_t)src) % 64)
    return -1.0;
  return timeCopies(dst, src, n & ~(size_t)127, kind, threads, warmup, reps);
}
