/* Metrics bookkeeping and its three renderings. */
#define _GNU_SOURCE
#include "server/http_metrics.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Upper bounds (microseconds) of the latency buckets; the last is +Inf. */
static const double lat_bounds[HTTP_LAT_BUCKETS - 1] = {
    100,   250,    500,    1000,   2500,    5000,    10000,   25000,
    50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

static void hist_observe(http_hist *h, double us) {
  int b = 0;
  while (b < HTTP_LAT_BUCKETS - 1 && us > lat_bounds[b]) b++;
  h->buckets[b]++;
  h->count++;
  h->sum += us;
}

int http_metrics_shared_init(http_metrics_shared *s, int loops) {
  memset(&s->m, 0, sizeof s->m);
  s->m.loops = loops;
  return -pthread_mutex_init(&s->lock, NULL);
}

void http_metrics_shared_destroy(http_metrics_shared *s) {
  pthread_mutex_destroy(&s->lock);
}

void http_metrics_snapshot(http_metrics_shared *s, http_metrics *out) {
  pthread_mutex_lock(&s->lock);
  *out = s->m;
  pthread_mutex_unlock(&s->lock);
}

void http_metrics_success(http_metrics_shared *s, uint64_t total_ns, uint64_t queue_ns,
                          uint64_t input_ns, uint64_t infer_ns, uint64_t output_ns) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  pthread_mutex_lock(&s->lock);
  http_metrics *m = &s->m;
  m->success++;
  m->st_success = (http_stat){m->st_success.count + 1, m->st_success.ns + total_ns};
  m->st_queue = (http_stat){m->st_queue.count + 1, m->st_queue.ns + queue_ns};
  m->st_input = (http_stat){m->st_input.count + 1, m->st_input.ns + input_ns};
  m->st_infer = (http_stat){m->st_infer.count + 1, m->st_infer.ns + infer_ns};
  m->st_output = (http_stat){m->st_output.count + 1, m->st_output.ns + output_ns};
  m->request_us += total_ns / 1000;
  m->queue_us += queue_ns / 1000;
  m->compute_us += (input_ns + infer_ns + output_ns) / 1000;
  hist_observe(&m->request_lat, (double)total_ns / 1e3);
  hist_observe(&m->queue_lat, (double)queue_ns / 1e3);
  m->last_inference_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
  pthread_mutex_unlock(&s->lock);
}

void http_metrics_failure(http_metrics_shared *s, http_fail_reason why, uint64_t total_ns) {
  pthread_mutex_lock(&s->lock);
  http_metrics *m = &s->m;
  m->fail[why]++;
  m->st_fail = (http_stat){m->st_fail.count + 1, m->st_fail.ns + total_ns};
  hist_observe(&m->request_lat, (double)total_ns / 1e3);
  pthread_mutex_unlock(&s->lock);
}

void http_metrics_response(http_metrics_shared *s, int status, int loop) {
  const int cls = status / 100;
  pthread_mutex_lock(&s->lock);
  if (cls >= 1 && cls <= 5) s->m.http_by_class[cls]++;
  if (loop >= 0 && loop < s->m.loops) s->m.loop_responses[loop]++;
  pthread_mutex_unlock(&s->lock);
}

/* Growable text buffer; on allocation failure it sets oom and stops. */
typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
  if (t->oom) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      t->oom = 1;
      return;
    }
    if (t->len + (size_t)n < t->cap) {
      t->len += (size_t)n;
      return;
    }
    size_t cap = (t->cap + (size_t)n + 1) * 2;
    char *p = realloc(t->p, cap);
    if (!p) {
      t->oom = 1;
      return;
    }
    t->p = p;
    t->cap = cap;
  }
}

static void render_hist(text *t, const char *name, const char *help, const char *lbl,
                        const http_hist *h) {
  put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
  uint64_t cum = 0;
  for (int b = 0; b < HTTP_LAT_BUCKETS - 1; b++) {
    cum += h->buckets[b];
    put(t, "%s_bucket{%s,le=\"%g\"} %llu\n", name, lbl, lat_bounds[b], (unsigned long long)cum);
  }
  cum += h->buckets[HTTP_LAT_BUCKETS - 1];
  put(t, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name, lbl, (unsigned long long)cum);
  put(t, "%s_sum{%s} %.17g\n%s_count{%s} %llu\n", name, lbl, h->sum, name, lbl,
      (unsigned long long)h->count);
}

static void counter(text *t, const char *name, const char *help, const char *type) {
  put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Per-block cost/time figures shared by metrics and the efficiency JSON. */
typedef struct {
  double flops, bytes, seconds, ideal, efficiency;
} block_eff;

/* Fills e[n_blocks] from the latest profile taken on `device` and that
 * device's roofline. Returns the profiled batch, or 0 if there is no profile
 * on it yet (seconds and efficiency are then 0). */
static int block_efficiency(const http_metrics_view *v, int device, block_eff *e, double *pf,
                            double *pb) {
  const model_net *net = v->net;
  int act = 4, w = 4, batch = 0;
  sched_backend_info(v->s, NULL, &act, &w);
  *pf = *pb = 0;
  double *sec = calloc((size_t)net->n_blocks, sizeof(double));
  if (!sec || sched_device_profile(v->s, device, sec, net->n_blocks, &batch, pf, pb) != 0)
    batch = 0;
  int b = batch > 0 ? batch : 1;
  for (int i = 0; i < net->n_blocks; i++) {
    e[i].flops = model_block_flops(&net->blocks[i], b);
    e[i].bytes = model_block_min_bytes(&net->blocks[i], b, act, w);
    e[i].ideal = model_roofline_seconds(e[i].flops, e[i].bytes, *pf, *pb);
    e[i].seconds = batch && sec ? sec[i] : 0;
    e[i].efficiency = e[i].seconds > 0 ? e[i].ideal / e[i].seconds : 0;
  }
  free(sec);
  return batch;
}

/* The roofline families and blockfuse_block_*: one sample per device (the
 * executors' devices: GPUs, or 0 for the CPU) and block. */
static void render_blocks(text *t, const http_metrics_view *v) {
  const model_net *net = v->net;
  int devs[SCHED_MAX_EXECUTORS];
  const int nd = sched_devices(v->s, devs, SCHED_MAX_EXECUTORS);
  block_eff *e = calloc((size_t)nd * (size_t)net->n_blocks, sizeof *e);
  double pf[SCHED_MAX_EXECUTORS], pb[SCHED_MAX_EXECUTORS];
  int batch[SCHED_MAX_EXECUTORS], any = 0;
  if (!e) {
    t->oom = 1;
    return;
  }
  for (int d = 0; d < nd; d++) {
    batch[d] = block_efficiency(v, devs[d], e + (size_t)d * net->n_blocks, &pf[d], &pb[d]);
    any |= batch[d] > 0;
  }
  const char *mn = v->mi->name;
  static const char *const gauges[3][2] = {
      {"blockfuse_backend_peak_flops_per_second", "Roofline peak FLOP/s of the device"},
      {"blockfuse_backend_peak_bytes_per_second", "Roofline peak DRAM bytes/s of the device"},
      {"blockfuse_block_profile_batch", "Batch size of the device's latest block profile"},
  };
  for (int g = 0; g < 3; g++) {
    counter(t, gauges[g][0], gauges[g][1], "gauge");
    for (int d = 0; d < nd; d++)
      put(t, "%s{model=\"%s\",device=\"%d\"} %.6g\n", gauges[g][0], mn, devs[d],
          g == 0   ? pf[d]
          : g == 1 ? pb[d]
                   : (double)batch[d]);
  }
  static const char *const fam[][2] = {
      {"blockfuse_block_flops", "FLOPs of the block at the profiled batch"},
      {"blockfuse_block_bytes", "Minimum DRAM bytes of the block at the profiled batch"},
      {"blockfuse_block_seconds", "Measured block time, latest profile"},
      {"blockfuse_block_flops_per_second", "Achieved FLOP/s"},
      {"blockfuse_block_bytes_per_second", "Achieved minimum-bytes/s"},
      {"blockfuse_block_efficiency", "max(FLOPs/peak, bytes/peak_bw) / measured time"},
  };
  for (int f = 0; f < 6; f++) {
    if (f >= 2 && !any) break; /* no profile yet: costs only */
    counter(t, fam[f][0], fam[f][1], "gauge");
    for (int d = 0; d < nd; d++) {
      if (f >= 2 && batch[d] == 0) continue; /* this device has not profiled yet */
      const block_eff *de = e + (size_t)d * net->n_blocks;
      for (int i = 0; i < net->n_blocks; i++) {
        double val = f == 0   ? de[i].flops
                     : f == 1 ? de[i].bytes
                     : f == 2 ? de[i].seconds
                     : f == 3 ? (de[i].seconds > 0 ? de[i].flops / de[i].seconds : 0)
                     : f == 4 ? (de[i].seconds > 0 ? de[i].bytes / de[i].seconds : 0)
                              : de[i].efficiency;
        put(t, "%s{model=\"%s\",device=\"%d\",block=\"%s\",kind=\"%s\"} %.9g\n", fam[f][0], mn,
            devs[d], net->blocks[i].name, model_block_kind_name(net->blocks[i].kind), val);
      }
    }
  }
  free(e);
}

/* Batch-size histogram from the scheduler's exact per-size counts. */
static void render_batch_hist(text *t, const char *lbl, const sched_stats *st) {
  const char *name = "blockfuse_batch_size";
  put(t, "# HELP %s Images per executed batch\n# TYPE %s histogram\n", name, name);
  uint64_t cum = 0, count = 0;
  double sum = 0;
  int b = 1;
  for (int le = 1;; le *= 2) {
    if (le > st->max_batch) le = st->max_batch;
    for (; b <= le; b++) {
      cum += st->batch_count[b];
      sum += (double)b * (double)st->batch_count[b];
    }
    put(t, "%s_bucket{%s,le=\"%d\"} %llu\n", name, lbl, le, (unsigned long long)cum);
    if (le == st->max_batch) break;
  }
  count = cum;
  put(t, "%s_bucket{%s,le=\"+Inf\"} %llu\n%s_sum{%s} %.17g\n%s_count{%s} %llu\n", name, lbl,
      (unsigned long long)count, name, lbl, sum, name, lbl, (unsigned long long)count);
}

char *http_metrics_render(const http_metrics_view *v, size_t *len) {
  text t = {0};
  const http_metrics *m = v->m;
  char lbl[160];
  snprintf(lbl, sizeof lbl, "model=\"%s\",version=\"%s\"", v->mi->name, v->mi->version);
  static const char *const reasons[HTTP_FAIL_N] = {"REJECTED", "CANCELED", "BACKEND", "OTHER"};
  counter(&t, "nv_inference_request_success", "Number of successful inference requests", "counter");
  put(&t, "nv_inference_request_success{%s} %llu\n", lbl, (unsigned long long)m->success);
  counter(&t, "nv_inference_request_failure", "Number of failed inference requests", "counter");
  for (int r = 0; r < HTTP_FAIL_N; r++)
    put(&t, "nv_inference_request_failure{%s,reason=\"%s\"} %llu\n", lbl, reasons[r],
        (unsigned long long)m->fail[r]);
  sched_stats st = {0};
  int have = v->s && sched_stats_get(v->s, &st) == 0;
  counter(&t, "nv_inference_count", "Number of inferences performed (images)", "counter");
  put(&t, "nv_inference_count{%s} %llu\n", lbl, (unsigned long long)st.inference_count);
  counter(&t, "nv_inference_exec_count", "Number of batch executions", "counter");
  put(&t, "nv_inference_exec_count{%s} %llu\n", lbl, (unsigned long long)st.exec_count);
  counter(&t, "nv_inference_pending_request_count", "Requests queued or running", "gauge");
  put(&t, "nv_inference_pending_request_count{%s} %d\n", lbl, st.pending);
  counter(&t, "nv_inference_request_duration_us", "Cumulative request duration (us)", "counter");
  put(&t, "nv_inference_request_duration_us{%s} %llu\n", lbl, (unsigned long long)m->request_us);
  counter(&t, "nv_inference_queue_duration_us", "Cumulative queue time (us)", "counter");
  put(&t, "nv_inference_queue_duration_us{%s} %llu\n", lbl, (unsigned long long)m->queue_us);
  counter(&t, "nv_inference_compute_infer_duration_us", "Cumulative compute time (us)", "counter");
  put(&t, "nv_inference_compute_infer_duration_us{%s} %llu\n", lbl,
      (unsigned long long)(m->st_infer.ns / 1000));
  render_hist(&t, "blockfuse_request_duration_us", "Inference request latency (us)", lbl,
              &m->request_lat);
  render_hist(&t, "blockfuse_queue_duration_us", "Time in the scheduler queue (us)", lbl,
              &m->queue_lat);
  if (have) {
    render_batch_hist(&t, lbl, &st);
    counter(&t, "blockfuse_scheduler_timeouts", "Requests dropped at their deadline", "counter");
    put(&t, "blockfuse_scheduler_timeouts{%s} %llu\n", lbl, (unsigned long long)st.timeouts);
    counter(&t, "blockfuse_backend_consecutive_failures",
            "Failed batches since the last good one (health turns 503 at "
            "--unhealthy-after-failures)",
            "gauge");
    put(&t, "blockfuse_backend_consecutive_failures{%s} %d\n", lbl, st.consecutive_failures);
    sched_stats_free(&st);
  }
  static const char *const cls[6] = {"0xx", "1xx", "2xx", "3xx", "4xx", "5xx"};
  counter(&t, "blockfuse_http_responses", "HTTP responses by status class", "counter");
  for (int c = 1; c < 6; c++)
    put(&t, "blockfuse_http_responses{code=\"%s\"} %llu\n", cls[c],
        (unsigned long long)m->http_by_class[c]);
  counter(&t, "blockfuse_http_loop_responses",
          "HTTP responses by the event loop that sent them (--http-threads)", "counter");
  for (int l = 0; l < m->loops; l++)
    put(&t, "blockfuse_http_loop_responses{loop=\"%d\"} %llu\n", l,
        (unsigned long long)m->loop_responses[l]);
  if (v->s && v->net) render_blocks(&t, v);
  if (t.oom) {
    free(t.p);
    return NULL;
  }
  *len = t.len;
  return t.p;
}

static json_t *stat_json(http_stat s) {
  return json_pack("{s:I,s:I}", "count", (json_int_t)s.count, "ns", (json_int_t)s.ns);
}

char *http_stats_json(const http_metrics_view *v, size_t *len) {
  const http_metrics *m = v->m;
  sched_stats st = {0};
  if (!v->s || sched_stats_get(v->s, &st) != 0) return NULL;
  json_t *batches = json_array();
  for (int b = 1; b <= st.max_batch; b++) {
    if (!st.batch_count[b]) continue;
    http_stat c = {st.batch_count[b], st.batch_compute_ns[b]};
    json_array_append_new(batches,
                          json_pack("{s:i,s:o}", "batch_size", b, "compute_infer", stat_json(c)));
  }
  json_t *inf = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "success", stat_json(m->st_success), "fail",
                          stat_json(m->st_fail), "queue", stat_json(m->st_queue), "compute_input",
                          stat_json(m->st_input), "compute_infer", stat_json(m->st_infer),
                          "compute_output", stat_json(m->st_output));
  json_t *ms = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o}", "name", v->mi->name, "version",
                         v->mi->version, "last_inference", (json_int_t)m->last_inference_ms,
                         "inference_count", (json_int_t)st.inference_count, "execution_count",
                         (json_int_t)st.exec_count, "inference_stats", inf, "batch_stats", batches);
  sched_stats_free(&st);
  json_t *root = json_pack("{s:[o]}", "model_stats", ms);
  char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
  json_decref(root);
  if (s) *len = strlen(s);
  return s;
}

char *http_efficiency_json_device(const http_metrics_view *v, int device, size_t *len) {
  const model_net *net = v->net;
  int devs[SCHED_MAX_EXECUTORS];
  const int nd = sched_devices(v->s, devs, SCHED_MAX_EXECUTORS);
  if (device < 0) { /* the first device with a profile, else the first */
    double *sec = calloc((size_t)net->n_blocks, sizeof(double));
    int b = 0;
    device = nd > 0 ? devs[0] : 0;
    for (int d = 0; sec && d < nd; d++)
      if (sched_device_profile(v->s, devs[d], sec, net->n_blocks, &b, NULL, NULL) == 0) {
        device = devs[d];
        break;
      }
    free(sec);
  }
  block_eff *e = calloc((size_t)net->n_blocks, sizeof *e);
  if (!e) return NULL;
  double pf = 0, pb = 0;
  const char *backend = NULL;
  int batch = block_efficiency(v, device, e, &pf, &pb);
  sched_backend_info(v->s, &backend, NULL, NULL);
  json_t *blocks = json_array();
  double tf = 0, tb = 0, ts = 0, ti = 0;
  for (int i = 0; i < net->n_blocks; i++) {
    const model_block *b = &net->blocks[i];
    json_t *o = json_pack(
        "{s:s,s:s,s:f,s:f,s:f,s:f,s:s}", "name", b->name, "kind", model_block_kind_name(b->kind),
        "flops", e[i].flops, "bytes", e[i].bytes, "intensity",
        e[i].bytes > 0 ? e[i].flops / e[i].bytes : 0.0, "ideal_seconds", e[i].ideal, "bound",
        pf > 0 && pb > 0 && e[i].flops / pf > e[i].bytes / pb ? "compute" : "memory");
    if (batch) {
      json_object_set_new(o, "seconds", json_real(e[i].seconds));
      json_object_set_new(o, "flops_per_second",
                          json_real(e[i].seconds > 0 ? e[i].flops / e[i].seconds : 0));
      json_object_set_new(o, "bytes_per_second",
                          json_real(e[i].seconds > 0 ? e[i].bytes / e[i].seconds : 0));
      json_object_set_new(o, "efficiency", json_real(e[i].efficiency));
    }
    json_array_append_new(blocks, o);
    tf += e[i].flops;
    tb += e[i].bytes;
    ts += e[i].seconds;
    ti += e[i].ideal;
  }
  json_t *total = json_pack("{s:f,s:f,s:f}", "flops", tf, "bytes", tb, "ideal_seconds", ti);
  if (batch) {
    json_object_set_new(total, "seconds", json_real(ts));
    json_object_set_new(total, "efficiency", json_real(ts > 0 ? ti / ts : 0));
  }
  json_t *dl = json_array();
  for (int d = 0; d < nd; d++) json_array_append_new(dl, json_integer(devs[d]));
  json_t *root =
      json_pack("{s:s,s:s,s:s,s:i,s:o,s:b,s:i,s:f,s:f,s:o,s:o}", "model", v->mi->name, "version",
                v->mi->version, "backend", backend ? backend : "", "device", device, "devices", dl,
                "profiled", batch > 0, "batch", batch > 0 ? batch : 1, "peak_flops_per_second", pf,
                "peak_bytes_per_second", pb, "blocks", blocks, "total", total);
  free(e);
  char *s = root ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(9)) : NULL;
  json_decref(root);
  if (s) *len = strlen(s);
  return s;
}

char *http_efficiency_json(const http_metrics_view *v, size_t *len) {
  return http_efficiency_json_device(v, -1, len);
}
