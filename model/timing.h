/* Timing helpers shared by the backends, the benchmarks and the tests:
 * the monotonic clock in seconds or milliseconds, and a qsort comparator
 * for latency samples. Header only (//model:timing). */
#ifndef BLOCKFUSE_MODEL_TIMING_H
#define BLOCKFUSE_MODEL_TIMING_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
static inline double bf_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whole milliseconds on CLOCK_MONOTONIC. */
static inline long long bf_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* qsort order of doubles, ascending. */
static inline int bf_cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

#endif
