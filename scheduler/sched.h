/* The scheduler: a bounded request queue with deadlines, a dynamic batcher,
 * and N executors. An executor is a thread that owns one model_backend
 * instance plus its batch buffers; it takes whole batches off the queue. CPU
 * workers and CUDA streams are both just executors whose backend differs.
 *
 * The scheduler knows nothing of HTTP. Callers hand it requests (preprocessed
 * uint8 images) and get each one back exactly once through its done()
 * callback, which runs on an executor thread (or on the submitting thread for
 * sched_cancel()), so done() must only hand the request off, e.g. to a queue
 * plus uv_async_send().
 *
 * Lifetime: sched_create() starts the executors and opens their backends;
 * sched_drain() stops accepting and lets the queue empty; sched_destroy()
 * joins the executors and closes the backends. */
#ifndef BLOCKFUSE_SCHEDULER_SCHED_H
#define BLOCKFUSE_SCHEDULER_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "model/backend.h"

#define SCHED_MAX_PREFERRED 8
#define SCHED_MAX_EXECUTORS 64

typedef struct sched sched;
typedef struct sched_request sched_request;

/* A unit of work: n images that are answered together. The caller owns the
 * struct and both buffers until done() has been called. */
struct sched_request {
  /* in */
  const uint8_t *images; /* n x image_bytes */
  int n;
  float *logits;        /* out: n x num_classes */
  uint64_t deadline_ns; /* absolute, sched_now_ns() clock; 0 = none */
  void (*done)(sched_request *r);
  void *user;
  /* out, valid inside done() */
  int status; /* 0, -ETIMEDOUT (deadline), -ECANCELED (cancelled), or the backend's error */
  char err[160];
  uint64_t enqueue_ns, start_ns, end_ns; /* start/end: the batch's compute */
  int batch;                             /* images in the batch it ran in */
  int executor;
  /* private */
  sched_request *next;
};

/* How an executor gets and releases its backend instance. open() runs on the
 * executor's own thread (CUDA binds a device there). */
typedef struct {
  int (*open)(void *arg, int executor, model_backend *b, char *err, size_t errlen);
  void (*close)(void *arg, int executor, model_backend *b);
  void *arg;
} sched_backend_factory;

typedef struct {
  sched_backend_factory factory;
  int executors;                      /* >= 1 */
  int max_batch;                      /* images per batch, >= 1 */
  int max_queue;                      /* queued requests before -EAGAIN, >= 1 */
  uint64_t max_queue_delay_ns;        /* how long a partial batch waits to fill */
  int preferred[SCHED_MAX_PREFERRED]; /* batch sizes dispatched without waiting */
  int n_preferred;
  size_t image_bytes; /* bytes of one input image */
  int num_classes;    /* logits per image */
  int n_blocks;       /* for block_times snapshots; 0 = none */
  /* Device ordinal of each executor (e.g. its GPU); block profiles and the
   * roofline are kept per device. All 0 (the zeroed default) = one device. */
  int device_of[SCHED_MAX_EXECUTORS];
  /* After this many consecutive failed batches (backend errors, e.g. a lost
   * GPU) sched_backend_failing() reports the backend as failing, until a
   * batch succeeds again; 0 = never. */
  int failing_after;
  /* Optional: each executor runs one batch of warmup_n copies of this image
   * before sched_create() returns. */
  const uint8_t *warmup_image;
  int warmup_n;
} sched_config;

/* Counters since creation. Arrays are indexed by batch size 0..max_batch. */
typedef struct {
  uint64_t exec_count;      /* batches run */
  uint64_t inference_count; /* images run */
  uint64_t timeouts, cancelled, failed;
  int pending;              /* requests queued or running */
  int consecutive_failures; /* the longest run of failed batches on one device, up to now */
  int queued;               /* requests waiting */
  int max_batch;
  uint64_t *batch_count;      /* [max_batch + 1] */
  uint64_t *batch_compute_ns; /* [max_batch + 1] */
} sched_stats;

uint64_t sched_now_ns(void);

int sched_create(sched **out, const sched_config *cfg, char *err, size_t errlen);

/* Enqueues r. Returns 0 (done() will be called exactly once), or without
 * calling done(): -EAGAIN queue full, -ESHUTDOWN draining, -E2BIG n above
 * max_batch, -EINVAL bad request. Thread-safe. */
int sched_submit(sched *s, sched_request *r);

/* True when sched_submit() would now refuse a request for a full queue: a
 * hint for rejecting before costly work (decoding), which another thread's
 * submit or dispatch may change at once. Thread-safe. */
int sched_full(sched *s);

/* Stops accepting; queued work still runs. Thread-safe, idempotent. */
void sched_drain(sched *s);

/* From now on partial batches run at once instead of waiting for
 * max_queue_delay (used when draining); requests are still accepted. */
void sched_flush(sched *s);

/* Answers every queued (not yet running) request with -ECANCELED. */
void sched_cancel(sched *s);

/* Drains, joins every executor, closes the backends and frees s. */
void sched_destroy(sched *s);

/* Snapshot of the counters; st's arrays are allocated here, free with
 * sched_stats_free(). Returns 0 or -ENOMEM. */
int sched_stats_get(sched *s, sched_stats *st);
void sched_stats_free(sched_stats *st);

/* Nonzero (the count of consecutive failed batches on one device) when a
 * device's run of failures has reached cfg.failing_after, counted per device
 * so that healthy GPUs do not mask a lost one; "device N: <last error>" then
 * goes to why. Thread-safe. */
int sched_backend_failing(sched *s, char *why, size_t whylen);

/* The distinct devices of the executors (cfg.device_of) in executor order:
 * writes up to max of them and returns how many there are. Thread-safe. */
int sched_devices(sched *s, int *devices, int max);

/* The latest per-block profile taken on `device` (any of its executors) and
 * that device's roofline (its first executor's backend peaks). Returns 0;
 * -EAGAIN where nothing has been profiled on it yet (peaks are still set,
 * *batch is 0); -ENOENT where no executor runs on it. Thread-safe. */
int sched_device_profile(sched *s, int device, double *seconds, int n_blocks, int *batch,
                         double *peak_flops, double *peak_bw);

/* Executor 0's backend: its name and element sizes (the rooflines are per
 * device: sched_device_profile). */
void sched_backend_info(sched *s, const char **name, int *act_bytes, int *w_bytes);

#endif
