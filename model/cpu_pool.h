/* A small fixed thread pool for the CPU backend: parallel_for over N items,
 * returning when every item is done (a barrier). The calling thread works
 * too, as thread 0, so `threads` counts it.
 *
 * Threading: one caller at a time per pool. Lifetime: the caller owns the
 * pool from cpu_pool_create() to cpu_pool_destroy(). */
#ifndef BLOCKFUSE_MODEL_CPU_POOL_H
#define BLOCKFUSE_MODEL_CPU_POOL_H

#include <stddef.h>

typedef struct cpu_pool cpu_pool;

/* Work function: handles item `item` on worker `thread` (0 <= thread < threads). */
typedef void (*cpu_pool_fn)(void *ctx, int item, int thread);

/* threads: total workers including the caller; 0 = online cores. */
int cpu_pool_create(int threads, cpu_pool **out, char *err, size_t errlen);
void cpu_pool_destroy(cpu_pool *p);
int cpu_pool_threads(const cpu_pool *p);

/* Runs fn(ctx, i, thread) for every i in [0, n_items), items handed out
 * dynamically, and returns once all have finished. */
void cpu_pool_for(cpu_pool *p, int n_items, cpu_pool_fn fn, void *ctx);

#endif
