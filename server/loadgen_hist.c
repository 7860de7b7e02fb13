/* loadgen: latency histogram and open-loop send schedule. */
#include <math.h>
#include <string.h>

#include "server/loadgen.h"

/* Empty histogram; min starts high so the first sample sets it. */
void loadgen_hist_init(loadgen_hist *h) {
  memset(h, 0, sizeof *h);
  h->min = UINT64_MAX;
}

void loadgen_hist_add(loadgen_hist *h, const loadgen_hist *f) {
  for (int i = 0; i < LOADGEN_HIST_BUCKETS; i++) h->counts[i] += f->counts[i];
  if (f->min < h->min) h->min = f->min; /* an empty one's min is UINT64_MAX */
  if (f->max > h->max) h->max = f->max;
  h->total += f->total;
  h->sum += f->sum;
}

/* Position of the highest set bit; v > 0. */
static int floor_log2(uint64_t v) {
  return 63 - __builtin_clzll(v);
}

/* Bucket of a value: exact below 128, then 64 buckets per power of two. */
int loadgen_hist_index(uint64_t us) {
  if (us > LOADGEN_HIST_MAX_US) us = LOADGEN_HIST_MAX_US;
  if (us < 2 * LOADGEN_HIST_SUB) return (int)us;
  int shift = floor_log2(us) - 6; /* us >> shift lies in [64, 127] */
  int top = (int)(us >> shift);
  return 2 * LOADGEN_HIST_SUB + (shift - 1) * LOADGEN_HIST_SUB + (top - LOADGEN_HIST_SUB);
}

/* Inverse of loadgen_hist_index(): the values bucket idx holds. */
void loadgen_hist_bucket_range(int idx, uint64_t *lo, uint64_t *hi) {
  if (idx < 2 * LOADGEN_HIST_SUB) {
    *lo = *hi = (uint64_t)idx;
    return;
  }
  int j = idx - 2 * LOADGEN_HIST_SUB;
  int shift = j / LOADGEN_HIST_SUB + 1;
  uint64_t top = (uint64_t)(j % LOADGEN_HIST_SUB + LOADGEN_HIST_SUB);
  *lo = top << shift;
  *hi = *lo + (UINT64_C(1) << shift) - 1;
}

/* Adds one sample (us); O(1). */
void loadgen_hist_record(loadgen_hist *h, uint64_t us) {
  h->counts[loadgen_hist_index(us)]++;
  h->total++;
  h->sum += (double)us;
  if (us < h->min) h->min = us;
  if (us > h->max) h->max = us;
}

/* See loadgen.h: nearest-rank percentile, reported as its bucket's top. */
uint64_t loadgen_hist_percentile(const loadgen_hist *h, double p) {
  if (h->total == 0) return 0;
  if (p <= 0) return h->min;
  if (p > 100) p = 100;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
  if (rank < 1) rank = 1;
  if (rank > h->total) rank = h->total;
  uint64_t seen = 0;
  for (int i = 0; i < LOADGEN_HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= rank) {
      uint64_t lo, hi;
      loadgen_hist_bucket_range(i, &lo, &hi);
      if (hi > h->max) hi = h->max;
      if (hi < h->min) hi = h->min;
      return hi;
    }
  }
  return h->max;
}

/* Exact mean from the running sum. */
double loadgen_hist_mean(const loadgen_hist *h) {
  return h->total ? h->sum / (double)h->total : 0.0;
}

/* splitmix64: small, seedable, good equidistribution for schedule draws. */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* A schedule whose first send is due at t = 0. */
void loadgen_schedule_init(loadgen_schedule *s, loadgen_arrival kind, double rate, uint64_t seed) {
  s->kind = kind;
  s->rate = rate;
  s->rng = seed;
  s->k = 0;
  s->next_s = 0.0;
  s->phase_s = 0.0;
}

/* Next intended send time, ns from the start. */
uint64_t loadgen_schedule_next(loadgen_schedule *s) {
  double t;
  if (s->kind == LOADGEN_ARRIVAL_CONSTANT) {
    t = (double)s->k / s->rate + s->phase_s;
  } else {
    t = s->next_s;
    /* u in (0, 1]: 53 random bits, never 0, so -log(u) is finite. */
    double u = ((double)(splitmix64(&s->rng) >> 11) + 1.0) / 9007199254740992.0;
    s->next_s += -log(u) / s->rate;
  }
  s->k++;
  return (uint64_t)(t * 1e9);
}
