/*===- probe_zero_lines.c - Does the data change the speed of a copy? -----===*
 *
 * A measurement probe, not a kernel of the project. On this project's VM a
 * streaming copy whose source is all zeros runs much faster than the same
 * copy of other data, on the same buffers. Any benchmark or probe whose
 * output has whole cache lines of zeros (a ReLU of data with long negative
 * runs, a normalization with zero weights) is then timed faster than a
 * real workload; run.py's inputs are random normals, so that ReLU outputs
 * have a zero line with probability 2^-16.
 *
 * It fills one source buffer with each pattern in turn and times the
 * streaming copy into one destination buffer (2 threads by default:
 * OMP_NUM_THREADS), 6 blocks of 11 copies per pattern, the patterns
 * alternating; prints the mean of the block medians:
 *
 *   random      uniform in [-0.5, 0.5)
 *   zeros       0.0f everywhere
 *   relu        max(random, 0): half the values zero, whole lines rarely
 *   ones        1.0f everywhere (a constant other than zero)
 *
 * Build and run:
 *   clang-22 -O3 -march=native -fopenmp benchmarks/roofline/probe_zero_lines.c \
 *     -o /tmp/probe_zero -L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib
 *   OMP_NUM_THREADS=2 /tmp/probe_zero; OMP_NUM_THREADS=1 /tmp/probe_zero
 *
 *===----------------------------------------------------------------------===*/

#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { kCount = 32 * 64 * 56 * 56, kBlocks = 6, kReps = 11, kPatterns = 4 };

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((noinline)) static void copy(const float *x, float *y) {
#pragma omp parallel for schedule(static)
  for (long i = 0; i < kCount; i += 16)
    _mm512_stream_ps(y + i, _mm512_load_ps(x + i));
  _mm_sfence();
}

static void fill(float *x, int pattern) {
  unsigned seed = 1;
  for (long i = 0; i < kCount; ++i) {
    seed = seed * 1103515245u + 12345u;
    float r = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    x[i] = pattern == 0 ? r : pattern == 1 ? 0.0f : pattern == 2 ? (r < 0 ? 0.0f : r) : 1.0f;
  }
}

static int compareDoubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(void) {
  float *x = aligned_alloc(64, kCount * 4L), *y = aligned_alloc(64, kCount * 4L);
  for (long i = 0; i < kCount; ++i)
    y[i] = 1.0f;
  const char *names[kPatterns] = {"random", "zeros", "relu", "ones"};
  double mean[kPatterns] = {0};
  for (int block = 0; block < kBlocks; ++block)
    for (int p = 0; p < kPatterns; ++p) {
      fill(x, p);
      double t[kReps];
      for (int it = 0; it < kReps; ++it) {
        double start = now();
        copy(x, y);
        t[it] = now() - start;
      }
      qsort(t, kReps, sizeof(double), compareDoubles);
      mean[p] += t[kReps / 2] / kBlocks;
    }
  printf("streaming copy of %.1f MB, same buffers\n", kCount * 4.0 / 1e6);
  for (int p = 0; p < kPatterns; ++p)
    printf("%-8s %7.3f ms  %5.2fx the random copy's time\n", names[p],
           mean[p] * 1e3, mean[p] / mean[0]);
  return 0;
}
