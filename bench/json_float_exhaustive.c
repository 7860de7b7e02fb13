/* Checks json_float() (server/json_text.c) on every one of the 2^32 float
 * bit patterns: each finite float must read back through strtof as exactly
 * itself, and never take more significant digits than "%.9g". On a sample
 * it also counts how often the output is longer than the shortest decimal
 * that reads back (allowed only above 2^24, where a shortest decimal can lie
 * exactly halfway between two floats), and times json_float against
 * snprintf("%.9g").
 *
 * Usage: json_float_exhaustive [THREADS] [STEP]   (STEP > 1 checks every
 * STEP-th pattern; the default 1 is all of them, ~4 core-minutes) */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/json_text.h"
#include "tests/float_digits.h"
#include "model/timing.h"

typedef struct {
  uint64_t begin, end, step;
  uint64_t checked, bad, longer_than_9g;
} range;

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static void *work(void *arg) {
  range *r = arg;
  char a[JSON_FLOAT_MAX], b[32];
  for (uint64_t i = r->begin; i < r->end; i += r->step) {
    const float x = from_bits((uint32_t)i);
    if (!isfinite(x)) continue;
    json_float(x, a);
    r->checked++;
    const float y = strtof(a, NULL);
    if (memcmp(&x, &y, 4) != 0) {
      if (r->bad++ < 10) printf("BAD %08x: %s reads back as %.9g\n", (unsigned)i, a, (double)y);
    }
    snprintf(b, sizeof b, "%.9g", (double)x);
    if (float_digits(a) > float_digits(b)) r->longer_than_9g++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 2;
  uint64_t step = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
  if (threads < 1 || threads > 256 || step < 1) {
    fprintf(stderr, "usage: json_float_exhaustive [THREADS] [STEP]\n");
    return 2;
  }
  /* Sample: how often is the output longer than the shortest round trip? */
  uint64_t s = 88172645463325252ull, longer = 0, longer_small = 0, sampled = 0;
  char a[JSON_FLOAT_MAX], b[32];
  for (int i = 0; i < 1000000; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    const float x = from_bits((uint32_t)s);
    if (!isfinite(x) || x == 0) continue;
    sampled++;
    json_float(x, a);
    int p = 1;
    for (; p < 9; p++) {
      snprintf(b, sizeof b, "%.*e", p - 1, (double)x);
      if (strtof(b, NULL) == x) break;
    }
    if (float_digits(a) > p) {
      longer++;
      if (fabsf(x) < 16777216.0f) longer_small++;
    }
  }
  printf(
      "sample of %llu random finite floats: %llu (%.4f %%) longer than the shortest, %llu of "
      "them below 2^24 in magnitude\n",
      (unsigned long long)sampled, (unsigned long long)longer, 100.0 * longer / sampled,
      (unsigned long long)longer_small);
  /* Speed, one thread, on values like a model's logits and probabilities. */
  enum { N = 1 << 20 };
  float *v = malloc(sizeof(float) * N);
  if (!v) return 1;
  for (int i = 0; i < N; i++) {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    v[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 20 - 10);
    if (i & 1) v[i] = expf(v[i] - 10); /* probabilities: small positives */
  }
  size_t sink = 0;
  double t0 = bf_now_s();
  for (int i = 0; i < N; i++) sink += (size_t)json_float(v[i], a);
  double t1 = bf_now_s();
  for (int i = 0; i < N; i++) sink += (size_t)snprintf(b, sizeof b, "%.9g", (double)v[i]);
  double t2 = bf_now_s();
  printf("json_float %.1f ns/float, snprintf %%.9g %.1f ns/float (%zu chars)\n",
         (t1 - t0) * 1e9 / N, (t2 - t1) * 1e9 / N, sink);
  free(v);

  range *r = calloc((size_t)threads, sizeof *r);
  pthread_t *th = calloc((size_t)threads, sizeof *th);
  if (!r || !th) return 1;
  const uint64_t total = UINT64_C(1) << 32, per = total / (uint64_t)threads;
  double t3 = bf_now_s();
  for (int i = 0; i < threads; i++) {
    r[i].begin = per * (uint64_t)i;
    r[i].end = i == threads - 1 ? total : per * (uint64_t)(i + 1);
    r[i].step = step;
    pthread_create(&th[i], NULL, work, &r[i]);
  }
  uint64_t checked = 0, bad = 0, longer9 = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(th[i], NULL);
    checked += r[i].checked, bad += r[i].bad, longer9 += r[i].longer_than_9g;
  }
  printf(
      "%llu finite floats checked in %.0f s: %llu do not read back, %llu have more digits "
      "than %%.9g\n",
      (unsigned long long)checked, bf_now_s() - t3, (unsigned long long)bad,
      (unsigned long long)longer9);
  free(r);
  free(th);
  return bad || longer9 || longer_small ? 1 : 0;
}
