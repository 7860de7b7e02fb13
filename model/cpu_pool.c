/* Thread pool: workers spin briefly on a generation counter (phases of one
 * forward pass follow each other within microseconds), then sleep on a
 * condition variable so that an idle backend costs no CPU. */
#define _GNU_SOURCE
#include "model/cpu_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Spin iterations before sleeping (each a pause instruction, ~10-40 ns):
 * long enough to bridge consecutive phases, short enough not to steal a
 * shared core from a descheduled worker for long. */
#define CPU_POOL_SPIN 1000

typedef struct {
  cpu_pool *pool;
  int index;
} cpu_worker;

struct cpu_pool {
  int threads;
  pthread_t *tids;
  cpu_worker *workers;
  pthread_mutex_t lock;
  pthread_cond_t start, done;
  atomic_int gen;     /* bumped per parallel_for; fields below are published by it */
  atomic_int next;    /* next item to hand out */
  atomic_int pending; /* workers (not the caller) still inside this generation */
  int stop;
  cpu_pool_fn fn;
  void *ctx;
  int n_items;
};

/* One pause of a spin-wait loop. */
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Hands out items of the current generation until none are left. */
static void run_items(cpu_pool *p, int thread) {
  int n = p->n_items;
  for (;;) {
    int i = atomic_fetch_add_explicit(&p->next, 1, memory_order_relaxed);
    if (i >= n) break;
    p->fn(p->ctx, i, thread);
  }
}

/* Worker main loop: wait for a new generation (or stop), run items, report. */
static void *worker_main(void *arg) {
  cpu_worker *w = arg;
  cpu_pool *p = w->pool;
  int seen = 0; /* gen at creation: a parallel_for may start before we run */
  for (;;) {
    int g = seen;
    for (int spin = 0; spin < CPU_POOL_SPIN; spin++) {
      g = atomic_load_explicit(&p->gen, memory_order_acquire);
      if (g != seen) break;
      cpu_relax();
    }
    if (g == seen) {
      pthread_mutex_lock(&p->lock);
      while (!p->stop && (g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen)
        pthread_cond_wait(&p->start, &p->lock);
      int stop = p->stop;
      pthread_mutex_unlock(&p->lock);
      if (stop) return NULL;
    }
    seen = g;
    run_items(p, w->index);
    if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&p->lock);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->lock);
    }
  }
}

int cpu_pool_create(int threads, cpu_pool **out, char *err, size_t errlen) {
  *out = NULL;
  if (threads <= 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    threads = n > 0 ? (int)n : 1;
  }
  if (threads > 256) {
    snprintf(err, errlen, "cpu pool: %d threads is too many (max 256)", threads);
    return -EINVAL;
  }
  cpu_pool *p = calloc(1, sizeof *p);
  if (!p) {
    snprintf(err, errlen, "cpu pool: out of memory");
    return -ENOMEM;
  }
  p->threads = threads;
  p->tids = calloc((size_t)threads, sizeof *p->tids);
  p->workers = calloc((size_t)threads, sizeof *p->workers);
  if (!p->tids || !p->workers) {
    free(p->tids);
    free(p->workers);
    free(p);
    snprintf(err, errlen, "cpu pool: out of memory");
    return -ENOMEM;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->start, NULL);
  pthread_cond_init(&p->done, NULL);
  atomic_init(&p->gen, 0);
  atomic_init(&p->next, 0);
  atomic_init(&p->pending, 0);
  for (int i = 1; i < threads; i++) {
    p->workers[i].pool = p;
    p->workers[i].index = i;
    int rc = pthread_create(&p->tids[i], NULL, worker_main, &p->workers[i]);
    if (rc != 0) {
      p->threads = i; /* destroy joins only the ones started */
      cpu_pool_destroy(p);
      snprintf(err, errlen, "cpu pool: pthread_create: %s", strerror(rc));
      return -rc;
    }
  }
  *out = p;
  return 0;
}

void cpu_pool_destroy(cpu_pool *p) {
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stop = 1;
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->lock);
  for (int i = 1; i < p->threads; i++) pthread_join(p->tids[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->start);
  pthread_cond_destroy(&p->done);
  free(p->tids);
  free(p->workers);
  free(p);
}

int cpu_pool_threads(const cpu_pool *p) {
  return p->threads;
}

void cpu_pool_for(cpu_pool *p, int n_items, cpu_pool_fn fn, void *ctx) {
  if (n_items <= 0) return;
  if (p->threads == 1 || n_items == 1) {
    for (int i = 0; i < n_items; i++) fn(ctx, i, 0);
    return;
  }
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->ctx = ctx;
  p->n_items = n_items;
  atomic_store_explicit(&p->next, 0, memory_order_relaxed);
  atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
  pthread_cond_broadcast(&p->start);
  pthread_mutex_unlock(&p->lock);
  run_items(p, 0);
  for (int spin = 0; spin < CPU_POOL_SPIN; spin++) {
    if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0) return;
    cpu_relax();
  }
  pthread_mutex_lock(&p->lock);
  while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0)
    pthread_cond_wait(&p->done, &p->lock);
  pthread_mutex_unlock(&p->lock);
}
