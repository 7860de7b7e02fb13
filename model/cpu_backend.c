/* The "cpu" backend: the whole network block by block on the thread pool.
 * A batch runs in groups of a few images through all blocks, so memory
 * stays bounded whatever max_batch is and each group's activations stay
 * near the last-level cache. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "model/backend.h"
#include "model/cpu_blocks.h"
#include "model/cpu_kernels.h"
#include "model/cpu_pool.h"
#include "model/timing.h"

/* Images per group: at least this many (or one per thread if more). */
#define CPU_GROUP_MIN 8
/* Largest batch create() accepts. */
#define CPU_MAX_BATCH 65536
/* Bytes per buffer of the bandwidth probe: the pair exceeds a 32 MiB L3. */
#define CPU_BW_BYTES ((size_t)24 << 20)

typedef struct {
  const model_net *net;
  int max_batch, group, profile_every;
  cpu_pool *pool;
  cpu_block_plan *plans;
  int n_plans; /* plans initialised so far (== net->n_blocks once created) */
  cpu_exec exec;
  int have_exec;
  float *act[2];
  double *times, *acc;
  int prof_batch, have_prof;
  unsigned long runs;
  double peak_flops, peak_bw;
} cpu_backend;

/* Checks that the blocks form a chain the CPU backend can run: a STEM on
 * uint8 RGB first, a HEAD producing num_classes last, shapes matching. */
static int check_net(const model_net *net, char *err, size_t errlen) {
  if (!net || !net->blocks || net->n_blocks < 2 || net->num_classes < 1) {
    snprintf(err, errlen, "cpu backend: network needs a stem, a head and classes");
    return -EINVAL;
  }
  const model_block *first = &net->blocks[0], *last = &net->blocks[net->n_blocks - 1];
  if (first->kind != MODEL_BLOCK_STEM || last->kind != MODEL_BLOCK_HEAD || net->in_c != 3 ||
      first->in_h != net->in_h || first->in_w != net->in_w || first->in_c != 3 ||
      last->out_c != net->num_classes) {
    snprintf(err, errlen,
             "cpu backend: network must start with a stem on %dx%dx3 input and end with a "
             "head of %d classes",
             net->in_h, net->in_w, net->num_classes);
    return -EINVAL;
  }
  for (int i = 1; i < net->n_blocks; i++) {
    const model_block *p = &net->blocks[i - 1], *b = &net->blocks[i];
    if ((b->kind == MODEL_BLOCK_STEM) || (i < net->n_blocks - 1 && b->kind == MODEL_BLOCK_HEAD) ||
        b->in_h != p->out_h || b->in_w != p->out_w || b->in_c != p->out_c) {
      snprintf(err, errlen,
               "cpu backend: block %d '%s' does not follow '%s' (%dx%dx%d vs %dx%dx%d)", i, b->name,
               p->name, b->in_h, b->in_w, b->in_c, p->out_h, p->out_w, p->out_c);
      return -EINVAL;
    }
  }
  return 0;
}

typedef struct {
  long iters;
  float mul, add;
  float sink[256];
  double rate[256]; /* FLOP/s each item reached on its own */
} fma_probe;

/* Twelve independent FMA chains of eight lanes: enough to fill two FMA pipes. */
static void fma_item(void *arg, int item, int thread) {
  fma_probe *f = arg;
  double t0 = bf_now_s();
  cpu_v8 a[12];
  for (int j = 0; j < 12; j++) a[j] = (cpu_v8){0} + (float)(j + item);
  const cpu_v8 m = (cpu_v8){0} + f->mul, c = (cpu_v8){0} + f->add;
  for (long i = 0; i < f->iters; i++)
    for (int j = 0; j < 12; j++) a[j] = a[j] * m + c;
  float s = 0;
  for (int j = 0; j < 12; j++)
    for (int l = 0; l < 8; l++) s += a[j][l];
  f->sink[item & 255] = s;
  double dt = bf_now_s() - t0;
  f->rate[item & 255] = dt > 0 ? (double)f->iters * 12 * 8 * 2 / dt : 0;
}

typedef struct {
  char *dst;
  const char *src;
  size_t bytes;
  int parts;
} copy_probe;

/* Copies slice `item` of `parts`. */
static void copy_item(void *arg, int item, int thread) {
  copy_probe *c = arg;
  size_t lo = c->bytes * item / c->parts, hi = c->bytes * (item + 1) / c->parts;
  memcpy(c->dst + lo, c->src + lo, hi - lo);
}

/* Measures peak FMA FLOP/s over the pool (the sum of what each thread's FMA
 * loop reaches, so a busy machine that delays a worker does not halve it)
 * and memcpy bandwidth (bytes read + written per second), best of two tries
 * each; ~15 ms. */
static void measure_peaks(cpu_backend *cb, double *flops, double *bw) {
  const int threads = cpu_pool_threads(cb->pool);
  volatile float mul = 0.999999f, add = 1e-7f;
  fma_probe f = {.iters = 1 << 19, .mul = mul, .add = add};
  const int items = threads < 256 ? threads : 256;
  double best = 0;
  for (int t = 0; t < 2; t++) {
    cpu_pool_for(cb->pool, items, fma_item, &f);
    double fl = 0;
    for (int i = 0; i < items; i++) fl += f.rate[i];
    if (fl > best) best = fl;
  }
  *flops = best;
  *bw = 0;
  /* Huge pages where the kernel allows: 64 MiB of 4 KiB page faults would
   * cost more than the copies themselves. */
  char *src = aligned_alloc((size_t)2 << 20, CPU_BW_BYTES);
  char *dst = aligned_alloc((size_t)2 << 20, CPU_BW_BYTES);
  if (src && dst) {
    madvise(src, CPU_BW_BYTES, MADV_HUGEPAGE);
    madvise(dst, CPU_BW_BYTES, MADV_HUGEPAGE);
    memset(src, 1, CPU_BW_BYTES);
    memset(dst, 0, CPU_BW_BYTES);
    copy_probe c = {dst, src, CPU_BW_BYTES, threads};
    for (int t = 0; t < 2; t++) {
      double t0 = bf_now_s();
      cpu_pool_for(cb->pool, threads, copy_item, &c);
      double dt = bf_now_s() - t0;
      if (dt > 0 && 2.0 * CPU_BW_BYTES / dt > *bw) *bw = 2.0 * CPU_BW_BYTES / dt;
    }
  }
  free(src);
  free(dst);
}

/* Frees whatever cpu_create() got to; safe on a half-built backend. */
static void cpu_destroy(void *self) {
  cpu_backend *cb = self;
  if (!cb) return;
  for (int i = 0; i < cb->n_plans; i++) cpu_block_plan_free(&cb->plans[i]);
  free(cb->plans);
  if (cb->have_exec) cpu_exec_free(&cb->exec);
  cpu_pool_destroy(cb->pool);
  free(cb->act[0]);
  free(cb->act[1]);
  free(cb->times);
  free(cb->acc);
  free(cb);
}

/* Validates the network, packs every block's weights, sizes scratch for a
 * group of images and measures the peaks (unless cfg overrides both). */
static int cpu_create(const model_net *net, const model_backend_config *cfg, void **self, char *err,
                      size_t errlen) {
  *self = NULL;
  int rc = check_net(net, err, errlen);
  if (rc) return rc;
  model_backend_config dflt = {0};
  if (!cfg) cfg = &dflt;
  int max_batch = cfg->max_batch > 0 ? cfg->max_batch : net->max_batch;
  if (cfg->max_batch < 0 || max_batch < 1 || max_batch > CPU_MAX_BATCH || cfg->threads < 0 ||
      cfg->profile_every < 0) {
    snprintf(err, errlen, "cpu backend: max_batch %d / threads %d / profile_every %d out of range",
             max_batch, cfg->threads, cfg->profile_every);
    return -EINVAL;
  }
  cpu_backend *cb = calloc(1, sizeof *cb);
  if (!cb) {
    snprintf(err, errlen, "cpu backend: out of memory");
    return -ENOMEM;
  }
  cb->net = net;
  cb->max_batch = max_batch;
  cb->profile_every = cfg->profile_every;
  rc = cpu_pool_create(cfg->threads, &cb->pool, err, errlen);
  if (rc) {
    cpu_destroy(cb);
    return rc;
  }
  int threads = cpu_pool_threads(cb->pool);
  cb->group = threads > CPU_GROUP_MIN ? threads : CPU_GROUP_MIN;
  if (cb->group > max_batch) cb->group = max_batch;
  cb->plans = calloc((size_t)net->n_blocks, sizeof *cb->plans);
  cb->times = calloc((size_t)net->n_blocks, sizeof *cb->times);
  cb->acc = calloc((size_t)net->n_blocks, sizeof *cb->acc);
  if (!cb->plans || !cb->times || !cb->acc) {
    cpu_destroy(cb);
    snprintf(err, errlen, "cpu backend: out of memory");
    return -ENOMEM;
  }
  size_t act = 16;
  for (int i = 0; i < net->n_blocks; i++) {
    rc = cpu_block_plan_init(&cb->plans[i], &net->blocks[i], net->mean, net->std, 0, err, errlen);
    if (rc) {
      cpu_destroy(cb);
      return rc;
    }
    cb->n_plans = i + 1;
    const model_block *b = &net->blocks[i];
    size_t n = (size_t)b->out_h * b->out_w * b->out_c;
    if (b->kind != MODEL_BLOCK_HEAD && n > act) act = n;
  }
  rc = cpu_exec_init(&cb->exec, cb->plans, cb->n_plans, cb->group, cb->pool, err, errlen);
  if (rc) {
    cpu_destroy(cb);
    return rc;
  }
  cb->have_exec = 1;
  cb->act[0] = cpu_alloc_floats(act * cb->group);
  cb->act[1] = cpu_alloc_floats(act * cb->group);
  if (!cb->act[0] || !cb->act[1]) {
    cpu_destroy(cb);
    snprintf(err, errlen, "cpu backend: out of memory for activations");
    return -ENOMEM;
  }
  double fl = 0, bw = 0;
  if (!(cfg->peak_flops > 0) || !(cfg->peak_bw > 0)) measure_peaks(cb, &fl, &bw);
  cb->peak_flops = cfg->peak_flops > 0 ? cfg->peak_flops : fl;
  cb->peak_bw = cfg->peak_bw > 0 ? cfg->peak_bw : bw;
  *self = cb;
  return 0;
}

/* Runs n images through every block, a group of images at a time; times
 * each block on the runs that profile_every selects. */
static int cpu_run(void *self, const uint8_t *images, int n, float *logits, char *err,
                   size_t errlen) {
  cpu_backend *cb = self;
  if (!cb || !images || !logits) {
    snprintf(err, errlen, "cpu backend: run needs a backend, images and logits");
    return -EINVAL;
  }
  if (n < 1 || n > cb->max_batch) {
    snprintf(err, errlen, "cpu backend: batch %d outside 1..%d", n, cb->max_batch);
    return -EINVAL;
  }
  const model_net *net = cb->net;
  const int nb = net->n_blocks;
  const size_t img_bytes = (size_t)net->in_h * net->in_w * 3;
  cb->runs++;
  const int profile = cb->profile_every > 0 && cb->runs % (unsigned long)cb->profile_every == 0;
  if (profile) memset(cb->acc, 0, (size_t)nb * sizeof *cb->acc);
  for (int g0 = 0; g0 < n; g0 += cb->group) {
    int gn = n - g0 < cb->group ? n - g0 : cb->group;
    for (int i = 0; i < nb; i++) {
      const void *in = i == 0 ? (const void *)(images + g0 * img_bytes) : cb->act[(i - 1) & 1];
      float *out = i == nb - 1 ? logits + (size_t)g0 * net->num_classes : cb->act[i & 1];
      double t0 = profile ? bf_now_s() : 0;
      cpu_block_run(&cb->plans[i], &cb->exec, in, out, gn);
      if (profile) cb->acc[i] += bf_now_s() - t0;
    }
  }
  if (profile) {
    memcpy(cb->times, cb->acc, (size_t)nb * sizeof *cb->times);
    cb->prof_batch = n;
    cb->have_prof = 1;
  }
  return 0;
}

/* Copies the last profile (up to n_blocks entries). */
static int cpu_block_times(void *self, double *seconds, int n_blocks, int *batch) {
  cpu_backend *cb = self;
  if (!cb || !cb->have_prof) return -EAGAIN;
  int k = n_blocks < cb->net->n_blocks ? n_blocks : cb->net->n_blocks;
  if (seconds && k > 0) memcpy(seconds, cb->times, (size_t)k * sizeof *seconds);
  if (batch) *batch = cb->prof_batch;
  return 0;
}

/* The roofline: measured at create or given in the config. */
static void cpu_peaks(void *self, double *flops_per_s, double *bytes_per_s) {
  cpu_backend *cb = self;
  if (flops_per_s) *flops_per_s = cb ? cb->peak_flops : 0;
  if (bytes_per_s) *bytes_per_s = cb ? cb->peak_bw : 0;
}

const model_backend_ops model_cpu_backend = {
    .name = "cpu",
    .act_bytes = 4,
    .w_bytes = 4,
    .create = cpu_create,
    .destroy = cpu_destroy,
    .run = cpu_run,
    .block_times = cpu_block_times,
    .peaks = cpu_peaks,
};
