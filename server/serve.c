/* `blockfuse serve`: the daemon's lifecycle.
 *
 *   listen (live) -> load model + start executors + warm-up on the threadpool
 *   -> ready (sd_notify READY=1) -> serve -> SIGTERM/SIGINT: not ready,
 *   STOPPING=1, listening socket closed, in-flight requests finish (queued
 *   ones are cancelled after the grace period) -> exit 0.
 * A second signal cancels queued work at once. */
#define _GNU_SOURCE
#include "server/serve.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <uv.h>

#include "model/backend.h"
#include "model/net.h"
#include "scheduler/sched.h"
#include "server/cli.h"
#include "server/fd_limit.h"
#include "server/http_group.h"
#include "server/serve_config.h"
#include "server/serve_log.h"

#define SERVE_MAX_GPUS 16

typedef struct {
  serve_config cfg;
  serve_logger log;
  uv_loop_t loop;
  http_group *http;
  uv_signal_t sigterm, sigint;
  uv_timer_t watchdog, grace;
  uv_work_t load;
  int signals, load_done, load_rc, stopping_done;
  char load_err[512];
  char model_dir[1024];
  model_net net;
  int net_loaded;
  sched *sched;
  model_backend_config bcfg;
  const char *backend; /* resolved: "cpu" or "cuda" */
  int devices[SERVE_MAX_GPUS], n_devices;
  double dev_peak_flops[SERVE_MAX_GPUS], dev_peak_bw[SERVE_MAX_GPUS];
  uv_mutex_t open_lock; /* executors open one at a time (see open_backend) */
} serve_ctx;

/* Index into c->devices of executor i's device: executors are grouped per
 * device, --executors of them each. */
static int device_index(const serve_ctx *c, int executor) {
  const int d = executor / c->cfg.executors;
  return d < c->n_devices ? d : c->n_devices - 1;
}

/* Executor factory: executor i runs on device i / executors. Opens are
 * serialised, and the peaks the first instance on a GPU measured are handed
 * to the others: instances probing at once would halve each other's result. */
static int open_backend(void *arg, int executor, model_backend *b, char *err, size_t errlen) {
  serve_ctx *c = arg;
  const int d = device_index(c, executor);
  uv_mutex_lock(&c->open_lock);
  model_backend_config bc = c->bcfg;
  bc.device = c->devices[d];
  if (bc.peak_flops == 0) bc.peak_flops = c->dev_peak_flops[d];
  if (bc.peak_bw == 0) bc.peak_bw = c->dev_peak_bw[d];
  int rc = model_backend_open(b, c->backend, &c->net, &bc, err, errlen);
  if (rc == 0 && c->dev_peak_flops[d] == 0 && b->ops->peaks)
    b->ops->peaks(b->self, &c->dev_peak_flops[d], &c->dev_peak_bw[d]);
  uv_mutex_unlock(&c->open_lock);
  return rc;
}

/* Resolves --backend and --gpus into c->backend and c->devices. */
static int pick_devices(serve_ctx *c, char *err, size_t errlen) {
  int n = model_backend_devices(c->cfg.backend, &c->backend);
  if (n < 0) {
    snprintf(err, errlen, "backend '%s': expected cpu, cuda or auto", c->cfg.backend);
    return -EINVAL;
  }
  if (strcmp(c->backend, "cpu") == 0) {
    c->n_devices = 1, c->devices[0] = 0;
    return 0;
  }
  if (n == 0) {
    snprintf(err, errlen, "backend cuda: no CUDA device is visible");
    return -ENODEV;
  }
  c->n_devices = 0;
  if (strcmp(c->cfg.gpus, "all") == 0) {
    for (int i = 0; i < n && i < SERVE_MAX_GPUS; i++) c->devices[c->n_devices++] = i;
    return 0;
  }
  for (const char *p = c->cfg.gpus; *p;) {
    char *end;
    long g = strtol(p, &end, 10);
    if (end == p || g < 0 || g >= n || c->n_devices == SERVE_MAX_GPUS) {
      snprintf(err, errlen, "--gpus '%s': expected all or ordinals below %d", c->cfg.gpus, n);
      return -EINVAL;
    }
    for (int i = 0; i < c->n_devices; i++) {
      if (c->devices[i] == g) {
        snprintf(err, errlen, "--gpus '%s': GPU %ld listed twice", c->cfg.gpus, g);
        return -EINVAL;
      }
    }
    c->devices[c->n_devices++] = (int)g;
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',') {
      snprintf(err, errlen, "--gpus '%s': expected all or ordinals like 0,2", c->cfg.gpus);
      return -EINVAL;
    }
  }
  if (c->n_devices == 0) {
    snprintf(err, errlen, "--gpus is empty");
    return -EINVAL;
  }
  return 0;
}

static void close_backend(void *arg, int executor, model_backend *b) {
  model_backend_close(b);
}

/* Parses "4,8,16" into p[]; returns the count or -EINVAL. */
static int parse_preferred(const char *s, int *p, int max_batch) {
  int n = 0;
  while (*s) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || v < 1 || v > max_batch || n == SCHED_MAX_PREFERRED) return -EINVAL;
    p[n++] = (int)v;
    s = end;
    if (*s == ',')
      s++;
    else if (*s)
      return -EINVAL;
  }
  return n;
}

/* What serving and --check share: loads the model, resolves the backend
 * and GPUs, the batch size and the preferred sizes (pref holds
 * SCHED_MAX_PREFERRED). Returns 0 or a negative errno with err set. */
static int prepare(serve_ctx *c, int *max_batch, int *pref, int *n_pref, char *err, size_t errlen) {
  int rc = model_net_load(c->model_dir, &c->net, err, errlen);
  if (rc) return rc;
  c->net_loaded = 1;
  if ((rc = pick_devices(c, err, errlen))) return rc;
  /* Two CUDA executors overlap one batch's copies with the other's kernels:
   * on an H200 host 1 executor served 22k uint8 req/s at 256 clients, 2
   * served 31k, 4 served 28-29k (bench/RESULTS.md, eighth session). The CPU
   * backend runs one executor across all cores. */
  if (c->cfg.executors == 0) c->cfg.executors = strcmp(c->backend, "cuda") == 0 ? 2 : 1;
  int mb = c->net.max_batch;
  if (c->cfg.max_batch_size > 0 && (mb < 1 || c->cfg.max_batch_size < mb))
    mb = c->cfg.max_batch_size;
  *max_batch = mb < 1 ? 1 : mb;
  *n_pref = parse_preferred(c->cfg.preferred_batch_sizes, pref, *max_batch);
  if (*n_pref < 0) {
    snprintf(err, errlen, "preferred-batch-sizes '%s': expected up to %d sizes in 1..%d",
             c->cfg.preferred_batch_sizes, SCHED_MAX_PREFERRED, *max_batch);
    return -EINVAL;
  }
  return 0;
}

/* Threadpool: load the model, start the executors, run their warm-up. */
static void load_work(uv_work_t *w) {
  serve_ctx *c = w->data;
  sched_config sc = {0};
  int max_batch = 1;
  int rc = prepare(c, &max_batch, sc.preferred, &sc.n_preferred, c->load_err, sizeof c->load_err);
  if (rc) {
    c->load_rc = rc;
    return;
  }
  int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
  c->bcfg = (model_backend_config){
      .threads = c->cfg.threads > 0 ? c->cfg.threads
                                    : (cores / c->cfg.executors > 0 ? cores / c->cfg.executors : 1),
      .device = 0,
      .max_batch = max_batch,
      .profile_every = c->cfg.profile_every,
      .peak_flops = c->cfg.peak_flops,
      .peak_bw = c->cfg.peak_bw,
  };
  sc.factory = (sched_backend_factory){open_backend, close_backend, c};
  sc.executors = c->cfg.executors * c->n_devices;
  for (int i = 0; i < sc.executors && i < SCHED_MAX_EXECUTORS; i++)
    sc.device_of[i] = c->devices[device_index(c, i)];
  sc.max_batch = max_batch;
  sc.max_queue = c->cfg.max_queue_size;
  sc.failing_after = c->cfg.unhealthy_after_failures;
  sc.max_queue_delay_ns = (uint64_t)c->cfg.max_queue_delay_us * 1000;
  sc.image_bytes = (size_t)c->net.in_h * (size_t)c->net.in_w * 3;
  sc.num_classes = c->net.num_classes;
  sc.n_blocks = c->net.n_blocks;
  /* Warm-up input: a smooth colour ramp (the result is not used). */
  uint8_t *warm = malloc(sc.image_bytes);
  if (!warm) {
    snprintf(c->load_err, sizeof c->load_err, "out of memory");
    c->load_rc = -ENOMEM;
    return;
  }
  for (size_t i = 0; i < sc.image_bytes; i++) warm[i] = (uint8_t)((i * 7 / 3) & 0xff);
  sc.warmup_image = warm;
  sc.warmup_n = c->cfg.warmup_batch;
  c->load_rc = sched_create(&c->sched, &sc, c->load_err, sizeof c->load_err);
  free(warm);
}

/* Builds the GET .../config body (Triton's model configuration shape). The
 * inputs are optional alternatives (a request gives exactly one), any HxW is
 * resized, and dims omit the batch dim: they match GET /v2/models/{m}. */
static char *config_json(serve_ctx *c, int max_batch) {
  int pref[SCHED_MAX_PREFERRED];
  int np = parse_preferred(c->cfg.preferred_batch_sizes, pref, max_batch);
  json_t *pl = json_array();
  for (int i = 0; i < np; i++) json_array_append_new(pl, json_integer(pref[i]));
  const char *backend = NULL;
  sched_backend_info(c->sched, &backend, NULL, NULL);
  json_t *o = json_pack(
      "{s:s,s:s,s:s,s:i,s:[{s:s,s:s,s:[i,i,i],s:b},{s:s,s:s,s:[i],s:b}],"
      "s:[{s:s,s:s,s:[i]},{s:s,s:s,s:[i]}],"
      "s:{s:o,s:I,s:i,s:{s:I}},s:[{s:i,s:s}],s:{s:i,s:[i,i]}}",
      "name", c->net.name, "platform", HTTP_PLATFORM, "backend", backend ? backend : "",
      "max_batch_size", max_batch, "input", "name", "input", "data_type", "TYPE_UINT8", "dims", -1,
      -1, 3, "optional", 1, "name", "image", "data_type", "TYPE_STRING", "dims", 1, "optional", 1,
      "output", "name", "logits", "data_type", "TYPE_FP32", "dims", c->net.num_classes, "name",
      "probabilities", "data_type", "TYPE_FP32", "dims", c->net.num_classes, "dynamic_batching",
      "preferred_batch_size", pl, "max_queue_delay_microseconds",
      (json_int_t)c->cfg.max_queue_delay_us, "max_queue_size", c->cfg.max_queue_size,
      "default_queue_policy", "default_timeout_microseconds", (json_int_t)c->cfg.default_timeout_us,
      "instance_group", "count", c->cfg.executors, "kind",
      strcmp(backend ? backend : "", "cpu") == 0 ? "KIND_CPU" : "KIND_GPU", "preprocessing",
      "resize_shorter", c->net.resize_shorter, "crop", c->net.in_h, c->net.in_w);
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  return s;
}

/* Stops the HTTP front and closes every handle so uv_run returns. */
static void close_all(serve_ctx *c) {
  if (c->stopping_done) return;
  c->stopping_done = 1;
  http_group_stop(c->http);
  uv_close((uv_handle_t *)&c->sigterm, NULL);
  uv_close((uv_handle_t *)&c->sigint, NULL);
  uv_close((uv_handle_t *)&c->watchdog, NULL);
  uv_close((uv_handle_t *)&c->grace, NULL);
}

/* Loop: the model is loaded (or failed); go ready or shut down. */
static void load_done(uv_work_t *w, int status) {
  serve_ctx *c = w->data;
  c->load_done = 1;
  if (status || c->load_rc) {
    char q[600];
    serve_log(&c->log, SERVE_LOG_ERROR, "model_load_failed", "dir=\"%s\" error=\"%s\"",
              serve_log_quote(c->model_dir, q, 300), serve_log_quote(c->load_err, q + 300, 300));
    c->load_rc = c->load_rc ? c->load_rc : status;
    close_all(c);
    return;
  }
  int max_batch = c->bcfg.max_batch;
  http_model_info mi = {c->net.name,
                        "1",
                        c->net.in_h,
                        c->net.in_w,
                        c->net.resize_shorter,
                        c->net.num_classes,
                        max_batch,
                        c->net.labels,
                        (uint64_t)c->cfg.max_image_pixels};
  char *cj = config_json(c, max_batch);
  if (!cj || http_group_set_model(c->http, &c->net, c->sched, &mi, cj) != 0) {
    serve_log(&c->log, SERVE_LOG_ERROR, "startup_failed", "error=\"out of memory\"");
    free(cj);
    return;
  }
  free(cj);
  if (c->signals) return; /* a signal arrived during load: stay not ready */
  const char *backend = NULL;
  sched_backend_info(c->sched, &backend, NULL, NULL);
  serve_log(&c->log, SERVE_LOG_INFO, "ready",
            "model=%s backend=%s devices=%d executors_per_device=%d max_batch_size=%d blocks=%d "
            "classes=%d",
            c->net.name, backend, c->n_devices, c->cfg.executors, max_batch, c->net.n_blocks,
            c->net.num_classes);
  sd_notify(0, "READY=1\nSTATUS=serving");
}

static void on_drained(void *arg) {
  serve_ctx *c = arg;
  serve_log(&c->log, SERVE_LOG_INFO, "drained", "in_flight=0");
  close_all(c);
}

/* Grace period over: cancel what is still queued; in-flight batches finish. */
static void on_grace(uv_timer_t *t) {
  serve_ctx *c = t->data;
  serve_log(&c->log, SERVE_LOG_WARN, "grace_period_over", "in_flight=%d",
            http_group_in_flight(c->http));
  if (c->sched) sched_cancel(c->sched);
  http_group_force_drain(c->http);
}

static void on_signal(uv_signal_t *h, int signum) {
  serve_ctx *c = h->data;
  c->signals++;
  if (c->signals > 1) {
    serve_log(&c->log, SERVE_LOG_WARN, "second_signal", "signal=%d action=cancel_queued", signum);
    on_grace(&c->grace);
    return;
  }
  serve_log(&c->log, SERVE_LOG_INFO, "draining", "signal=%d in_flight=%d grace_s=%d", signum,
            http_group_in_flight(c->http), c->cfg.grace_period_s);
  sd_notify(0, "STOPPING=1\nSTATUS=draining");
  if (c->sched) {
    if (c->cfg.grace_period_s > 0)
      sched_flush(c->sched); /* queued work runs now, not after the batch delay */
    else
      sched_cancel(c->sched); /* no grace: only batches already computing finish */
  }
  uv_timer_start(&c->grace, on_grace, (uint64_t)c->cfg.grace_period_s * 1000, 0);
  http_group_drain(c->http, on_drained, c);
}

/* Keeps systemd's watchdog fed from the event loop, except while the
 * backend keeps failing (--unhealthy-after-failures): then the pings stop,
 * so that systemd restarts the service as a Kubernetes liveness probe would. */
static void on_watchdog(uv_timer_t *t) {
  serve_ctx *c = t->data;
  if (c->load_done && c->sched && sched_backend_failing(c->sched, NULL, 0)) return;
  sd_notify(0, "WATCHDOG=1");
}

/* Descriptors the process needs besides its connections: model files,
 * epoll and eventfds, the threadpool, logs, GPU driver handles. */
#define SERVE_FD_RESERVE 256

/* Raises the soft RLIMIT_NOFILE so that --max-connections connections fit;
 * where the hard limit is too low, warns with how many will fit. */
static void raise_nofile(serve_ctx *c, int threads) {
  const unsigned long long want =
      (unsigned long long)c->cfg.max_connections + SERVE_FD_RESERVE + (unsigned long long)threads;
  unsigned long long soft = 0, hard = 0;
  int rc = fd_limit_raise(want, &soft, &hard);
  if (rc == -EMFILE)
    serve_log(&c->log, SERVE_LOG_WARN, "nofile_limit",
              "soft=%llu hard=%llu max_connections=%d fit=%lld", soft, hard, c->cfg.max_connections,
              (long long)soft - SERVE_FD_RESERVE - threads);
  else if (rc)
    serve_log(&c->log, SERVE_LOG_WARN, "nofile_limit", "error=\"%s\"", strerror(-rc));
  else
    serve_log(&c->log, SERVE_LOG_DEBUG, "nofile", "soft=%llu hard=%llu", soft, hard);
}

/* --http-threads, with 0 = one loop per 4 online cores, at most 4 (on a
 * 16-core H200 host 4 loops served 30k uint8 req/s at 256 clients, 2 loops
 * 23k, 1 loop 12k; bench/RESULTS.md, eighth session). */
static int http_loops(const serve_ctx *c) {
  if (c->cfg.http_threads > 0) return c->cfg.http_threads;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  const int n = (int)(cores / 4);
  return n < 1 ? 1 : n > 4 ? 4 : n;
}

/* Writes the port atomically (tmp + rename) so readers never see half. */
static int write_port_file(const char *path, int port) {
  char tmp[1100];
  snprintf(tmp, sizeof tmp, "%s.tmp%d", path, (int)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) return -errno;
  fprintf(f, "%d\n", port);
  if (fclose(f) != 0 || rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    return -e;
  }
  return 0;
}

/* --check: what load_work() would do before creating backends (model,
 * backend and GPUs, batch settings), on this thread; prints one line and
 * returns the exit status. For ExecStartPre= and deploy pipelines. */
static int check_only(serve_ctx *c) {
  char err[512] = "";
  int max_batch = 1, pref[SCHED_MAX_PREFERRED], n_pref = 0;
  if (prepare(c, &max_batch, pref, &n_pref, err, sizeof err)) {
    fprintf(stderr, "blockfuse serve: check failed: %s\n", err);
    if (c->net_loaded) model_net_free(&c->net);
    return 1;
  }
  char gpus[128] = "";
  for (int i = 0, o = 0; i < c->n_devices && o < (int)sizeof gpus - 8; i++)
    o += snprintf(gpus + o, sizeof gpus - (size_t)o, "%s%d", i ? "," : "", c->devices[i]);
  printf(
      "ok: model %s (%d blocks, %d classes, %dx%d input) from %s; backend %s%s%s; "
      "max batch %d; %d executor(s) per device\n",
      c->net.name, c->net.n_blocks, c->net.num_classes, c->net.in_h, c->net.in_w, c->model_dir,
      c->backend, strcmp(c->backend, "cuda") ? "" : " on GPUs ",
      strcmp(c->backend, "cuda") ? "" : gpus, max_batch, c->cfg.executors);
  model_net_free(&c->net);
  return 0;
}

/* Everything after configuration; returns the exit status. */
static int run(serve_ctx *c) {
  char err[512];
  if (c->cfg.model[0]) {
    snprintf(c->model_dir, sizeof c->model_dir, "%s", c->cfg.model);
  } else if (cli_default_model_dir(c->model_dir, sizeof c->model_dir, err, sizeof err) != 0) {
    serve_log(&c->log, SERVE_LOG_ERROR, "no_model", "error=\"%s\"", err);
    return 1;
  }
  if (c->cfg.check) return check_only(c);
  char tp[16];
  /* JPEG decoding is what bounds a GPU daemon's request rate: by default
   * every core decodes (measured on an H200 host: 8 threads 2.7k req/s, 16
   * threads 3.8k). */
  int decode =
      c->cfg.decode_threads > 0 ? c->cfg.decode_threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
  snprintf(tp, sizeof tp, "%d", decode > 1 ? decode : 1);
  setenv("UV_THREADPOOL_SIZE", tp, 1); /* read by libuv at its first queued work */
  raise_nofile(c, decode);
  int rc = uv_loop_init(&c->loop);
  if (rc) {
    serve_log(&c->log, SERVE_LOG_ERROR, "loop_init_failed", "error=\"%s\"", uv_strerror(rc));
    return 1;
  }
  http_server_config hc = {c->cfg.host,
                           c->cfg.port,
                           (size_t)c->cfg.max_body_bytes,
                           (unsigned)c->cfg.max_connections,
                           (unsigned)c->cfg.idle_timeout_s,
                           (uint64_t)c->cfg.default_timeout_us,
                           c->cfg.top_k,
                           &c->log,
                           NULL,
                           0};
  if (http_group_start(&c->http, &c->loop, http_loops(c), &hc, err, sizeof err) != 0) {
    serve_log(&c->log, SERVE_LOG_ERROR, "listen_failed", "error=\"%s\"", err);
    uv_loop_close(&c->loop);
    return 1;
  }
  int port = http_group_port(c->http);
  serve_log(&c->log, SERVE_LOG_INFO, "listening", "host=%s port=%d http_loops=%d", c->cfg.host,
            port, http_group_size(c->http));
  if (c->cfg.port_file[0] && (rc = write_port_file(c->cfg.port_file, port)) != 0)
    serve_log(&c->log, SERVE_LOG_WARN, "port_file_failed", "path=\"%s\" error=\"%s\"",
              c->cfg.port_file, strerror(-rc));
  uv_signal_init(&c->loop, &c->sigterm);
  uv_signal_init(&c->loop, &c->sigint);
  c->sigterm.data = c->sigint.data = c;
  uv_signal_start(&c->sigterm, on_signal, SIGTERM);
  uv_signal_start(&c->sigint, on_signal, SIGINT);
  uv_timer_init(&c->loop, &c->grace);
  uv_timer_init(&c->loop, &c->watchdog);
  c->grace.data = c->watchdog.data = c;
  uint64_t wd_us = 0;
  if (sd_watchdog_enabled(0, &wd_us) > 0 && wd_us > 0) {
    uint64_t ms = wd_us / 2000 ? wd_us / 2000 : 1;
    uv_timer_start(&c->watchdog, on_watchdog, ms, ms);
    serve_log(&c->log, SERVE_LOG_INFO, "watchdog", "interval_ms=%llu", (unsigned long long)ms);
  }
  serve_log(&c->log, SERVE_LOG_INFO, "loading_model", "dir=\"%s\" backend=%s", c->model_dir,
            c->cfg.backend);
  c->load.data = c;
  uv_queue_work(&c->loop, &c->load, load_work, load_done);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  int code = c->load_rc ? 1 : 0;
  http_group_free(c->http); /* joins the other loops before the scheduler goes */
  if (c->sched) sched_destroy(c->sched);
  if (c->net_loaded) model_net_free(&c->net);
  if (uv_loop_close(&c->loop) != 0) serve_log(&c->log, SERVE_LOG_WARN, "loop_close_busy", NULL);
  serve_log(&c->log, SERVE_LOG_INFO, "exit", "code=%d", code);
  return code;
}

int serve_main(int argc, char **argv) {
  serve_ctx *c = calloc(1, sizeof *c);
  if (!c) {
    fprintf(stderr, "blockfuse serve: out of memory\n");
    return 1;
  }
  char err[512];
  if (serve_config_load(&c->cfg, argc, argv, err, sizeof err) != 0) {
    fprintf(stderr, "blockfuse serve: %s\n", err);
    free(c);
    return 2;
  }
  if (c->cfg.help) {
    serve_config_usage(stdout);
    free(c);
    return 0;
  }
  c->log.json = strcmp(c->cfg.log_format, "json") == 0;
  c->log.access_log = c->cfg.access_log;
  c->log.level = serve_log_level_parse(c->cfg.log_level);
  if (c->log.level < 0) {
    fprintf(stderr, "blockfuse serve: log-level must be debug, info, warn or error\n");
    free(c);
    return 2;
  }
  char desc[4096];
  serve_config_describe(&c->cfg, desc, sizeof desc);
  serve_log(&c->log, SERVE_LOG_INFO, "config", "%s", desc);
  if (uv_mutex_init(&c->open_lock) != 0) {
    fprintf(stderr, "blockfuse serve: cannot create a mutex\n");
    free(c);
    return 1;
  }
  int code = run(c);
  uv_mutex_destroy(&c->open_lock);
  free(c);
  return code;
}
