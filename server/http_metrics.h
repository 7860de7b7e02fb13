/* Serving metrics: counters and histograms that every HTTP loop of the
 * process adds to under one lock (http_metrics_shared), rendered from a
 * snapshot as Prometheus text (Triton's nv_inference_* names plus
 * blockfuse_* histograms and per-block efficiency), as the KServe v2
 * statistics extension JSON, and as the per-block efficiency JSON. */
#ifndef BLOCKFUSE_SERVER_HTTP_METRICS_H
#define BLOCKFUSE_SERVER_HTTP_METRICS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "model/net.h"
#include "scheduler/sched.h"
#include "server/http_infer.h"

#define HTTP_LAT_BUCKETS 17

typedef struct {
  uint64_t buckets[HTTP_LAT_BUCKETS]; /* cumulative is computed at render */
  uint64_t count;
  double sum;
} http_hist;

typedef enum {
  HTTP_FAIL_REJECTED = 0, /* queue full, deadline, shutting down */
  HTTP_FAIL_CANCELED,
  HTTP_FAIL_BACKEND,
  HTTP_FAIL_OTHER, /* bad input, internal */
  HTTP_FAIL_N
} http_fail_reason;

/* A count and the total time it took, as the statistics extension reports. */
typedef struct {
  uint64_t count, ns;
} http_stat;

/* Most HTTP loops whose responses are counted apart (--http-threads). */
#define HTTP_MAX_LOOPS 64

/* The counters; zero-initialise. */
typedef struct {
  uint64_t success, fail[HTTP_FAIL_N];
  http_stat st_success, st_fail, st_queue, st_input, st_infer, st_output;
  uint64_t request_us, queue_us, compute_us; /* cumulative, successes */
  uint64_t last_inference_ms;                /* wall clock, ms since epoch */
  uint64_t http_by_class[6];                 /* responses by status/100 */
  uint64_t loop_responses[HTTP_MAX_LOOPS];   /* responses by the HTTP loop that sent them */
  int loops;                                 /* HTTP loops of the process, 1..HTTP_MAX_LOOPS */
  http_hist request_lat, queue_lat;          /* microseconds */
} http_metrics;

/* What the loops share: every update and snapshot takes the lock. */
typedef struct {
  pthread_mutex_t lock;
  http_metrics m;
} http_metrics_shared;

/* For `loops` HTTP loops (1..HTTP_MAX_LOOPS). 0 or a negative errno. */
int http_metrics_shared_init(http_metrics_shared *s, int loops);
void http_metrics_shared_destroy(http_metrics_shared *s);
/* A consistent copy of the counters, for rendering. */
void http_metrics_snapshot(http_metrics_shared *s, http_metrics *out);

/* Records one finished inference request (and the wall clock of it). */
void http_metrics_success(http_metrics_shared *s, uint64_t total_ns, uint64_t queue_ns,
                          uint64_t input_ns, uint64_t infer_ns, uint64_t output_ns);
void http_metrics_failure(http_metrics_shared *s, http_fail_reason why, uint64_t total_ns);
/* Records one response sent by HTTP loop `loop` (0..loops-1). */
void http_metrics_response(http_metrics_shared *s, int status, int loop);

/* Everything a rendering needs; s and net may be NULL before the model is
 * ready (model families are then omitted); the efficiency JSON does not
 * read m. */
typedef struct {
  const http_metrics *m;
  const http_model_info *mi;
  sched *s;
  const model_net *net;
} http_metrics_view;

/* Prometheus text exposition format 0.0.4. Returns malloc'd text or NULL. */
char *http_metrics_render(const http_metrics_view *v, size_t *len);

/* GET /v2/models/{m}/stats body. malloc'd JSON or NULL. */
char *http_stats_json(const http_metrics_view *v, size_t *len);

/* GET /v2/models/{m}/efficiency body for `device` (one of sched_devices();
 * -1 = the first device that has a profile): malloc'd JSON or NULL. */
char *http_efficiency_json_device(const http_metrics_view *v, int device, size_t *len);

/* The same for device -1. */
char *http_efficiency_json(const http_metrics_view *v, size_t *len);

#endif
