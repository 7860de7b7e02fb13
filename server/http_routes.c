/* Routes: /v1 classify, KServe v2 (health, metadata, infer, stats, config),
 * per-block efficiency and /metrics. Synchronous routes answer inside the
 * access handler; inference routes suspend, parse + decode on the libuv
 * threadpool, then go through the scheduler. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http_codec.h"
#include "server/http_internal.h"
#include "server/http_zip.h"
#include "server/version.h"

#define SERVER_NAME "blockfuse"
#define SERVER_VERSION BLOCKFUSE_VERSION
/* Responses shorter than this go out uncompressed even to gzip clients. */
#define HTTP_GZIP_MIN 1024

/* Splits url into route + model name + version. Returns the route or
 * ROUTE_NONE. name/version are empty when the URL has none. */
static http_route match(const char *url, char *name, size_t ncap, char *ver, size_t vcap) {
  name[0] = ver[0] = 0;
  if (strcmp(url, "/v2/health/live") == 0) return ROUTE_LIVE;
  if (strcmp(url, "/v2/health/ready") == 0) return ROUTE_READY;
  if (strcmp(url, "/v2") == 0 || strcmp(url, "/v2/") == 0) return ROUTE_SERVER_META;
  if (strcmp(url, "/metrics") == 0) return ROUTE_METRICS;
  if (strcmp(url, "/v2/logging") == 0) return ROUTE_LOGGING;
  if (strcmp(url, "/v1/classify") == 0) return ROUTE_CLASSIFY;
  if (strcmp(url, "/v2/models/stats") == 0) return ROUTE_STATS;
  if (strncmp(url, "/v1/models/", 11) == 0) {
    const char *p = url + 11, *colon = strstr(p, ":classify");
    if (!colon || colon[9] != 0 || colon == p || (size_t)(colon - p) >= ncap) return ROUTE_NONE;
    if (memchr(p, '/', (size_t)(colon - p))) return ROUTE_NONE;
    memcpy(name, p, (size_t)(colon - p));
    name[colon - p] = 0;
    return ROUTE_CLASSIFY;
  }
  if (strncmp(url, "/v2/models/", 11) != 0) return ROUTE_NONE;
  const char *p = url + 11, *slash = strchr(p, '/');
  size_t nl = slash ? (size_t)(slash - p) : strlen(p);
  if (nl == 0 || nl >= ncap) return ROUTE_NONE;
  memcpy(name, p, nl);
  name[nl] = 0;
  if (!slash) return ROUTE_MODEL_META;
  p = slash + 1;
  if (strncmp(p, "versions/", 9) == 0) {
    p += 9;
    slash = strchr(p, '/');
    size_t vl = slash ? (size_t)(slash - p) : strlen(p);
    if (vl == 0 || vl >= vcap) return ROUTE_NONE;
    memcpy(ver, p, vl);
    ver[vl] = 0;
    if (!slash) return ROUTE_MODEL_META;
    p = slash + 1;
  }
  static const struct {
    const char *s;
    http_route r;
  } actions[] = {{"ready", ROUTE_MODEL_READY},
                 {"infer", ROUTE_INFER},
                 {"stats", ROUTE_STATS},
                 {"config", ROUTE_CONFIG},
                 {"efficiency", ROUTE_EFFICIENCY}};
  for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
    if (strcmp(p, actions[i].s) == 0) return actions[i].r;
  return ROUTE_NONE;
}

/* Sets a JSON value as the response (consumes o). */
static void respond_json(http_req *r, int status, json_t *o) {
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s) {
    http_req_error(r, 500, "out of memory");
    return;
  }
  http_req_set_body(r, status, s, strlen(s), "application/json");
}

static void respond_text(http_req *r, int status, char *s, size_t len, const char *type) {
  if (!s) {
    http_req_error(r, 500, "out of memory");
    return;
  }
  http_req_set_body(r, status, s, len, type);
}

/* GET /v2/models/{m}: must agree with the model configuration built in
 * serve.c (same platform; shapes are its dims with the batch dim first).
 * The two inputs are alternatives: a request carries exactly one. */
static json_t *model_metadata(const http_server *s) {
  int C = s->mi.num_classes;
  return json_pack(
      "{s:s,s:[s],s:s,s:[{s:s,s:s,s:[i,i,i,i]},{s:s,s:s,s:[i,i]}],"
      "s:[{s:s,s:s,s:[i,i]},{s:s,s:s,s:[i,i]}]}",
      "name", s->mi.name, "versions", s->mi.version, "platform", HTTP_PLATFORM, "inputs", "name",
      "input", "datatype", "UINT8", "shape", -1, -1, -1, 3, "name", "image", "datatype", "BYTES",
      "shape", -1, 1, "outputs", "name", "logits", "datatype", "FP32", "shape", -1, C, "name",
      "probabilities", "datatype", "FP32", "shape", -1, C);
}

/* Threadpool: parse the body and decode every image into r->images. */
static void work_parse(uv_work_t *w) {
  http_req *r = w->data;
  const http_model_info *m = &r->srv->mi;
  size_t img_bytes = (size_t)m->in_h * (size_t)m->in_w * 3;
  char err[300] = "";
  int rc;
  if (r->content_encoding > 0) { /* gzip / deflate: inflate, bounded like a plain body */
    uint8_t *plain;
    size_t n;
    rc = http_zip_inflate(r->content_encoding, r->body, r->len, r->srv->cfg.max_body, &plain, &n,
                          err, sizeof err);
    if (rc) {
      r->work_rc = rc;
      snprintf(r->err, sizeof r->err, "%s", err);
      return;
    }
    free(r->body);
    r->body = plain, r->len = r->cap = n;
  }
  if (r->route == ROUTE_CLASSIFY) {
    http_blobs blobs = {0};
    rc = http_v1_parse(r->content_type, r->body, r->len, m->max_batch, &blobs, &r->top_k, err,
                       sizeof err);
    if (rc == 0) {
      r->n = blobs.n;
      r->images = malloc(img_bytes * (size_t)r->n);
      rc = r->images ? http_decode_blobs(&blobs, m, r->images, err, sizeof err) : -ENOMEM;
    }
    http_blobs_free(&blobs);
  } else {
    size_t json_len = r->len;
    rc = r->has_header_len ? http_header_length(r->header_len, r->len, &json_len, err, sizeof err)
                           : 0;
    if (rc == 0) rc = http_v2_parse(r->body, r->len, json_len, m, &r->v2, err, sizeof err);
    if (rc == 0) {
      r->n = r->v2.n;
      r->images = malloc(img_bytes * (size_t)r->n);
      rc = r->images ? http_v2_images(&r->v2, m, r->images, err, sizeof err) : -ENOMEM;
    }
  }
  if (rc == 0) {
    r->logits = malloc(sizeof(float) * (size_t)r->n * (size_t)m->num_classes);
    if (!r->logits) rc = -ENOMEM;
  }
  if (rc == -ENOMEM && !err[0]) snprintf(err, sizeof err, "out of memory");
  r->work_rc = rc;
  snprintf(r->err, sizeof r->err, "%s", err);
}

/* Loop: submit the decoded request, or answer its parse error. */
static void work_done(uv_work_t *w, int status) {
  http_req *r = w->data;
  http_server *s = r->srv;
  r->t_work = sched_now_ns();
  uint64_t elapsed = r->t_work - r->t0;
  int rc = status ? status : r->work_rc;
  if (rc) {
    if (rc == -ENOMEM)
      http_req_error(r, 500, "%s", r->err);
    else if (rc == -EFBIG)
      http_req_error(r, 413, "%s", r->err);
    else
      http_req_error(r, 400, "%s", r->err[0] ? r->err : "bad request");
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_OTHER, elapsed);
  } else {
    uint64_t tmo = r->v2.timeout_us ? (uint64_t)r->v2.timeout_us : s->cfg.default_timeout_us;
    sched_request *q = &r->sreq;
    q->images = r->images;
    q->n = r->n;
    q->logits = r->logits;
    q->deadline_ns = tmo ? r->t0 + tmo * 1000 : 0;
    http_req_bind_sched(r);
    rc = sched_submit(s->sched, q);
    if (rc == 0) {
      r->state = REQ_SCHED;
      return;
    }
    if (rc == -EAGAIN)
      http_req_error(r, 503, "overloaded: request queue is full");
    else if (rc == -ESHUTDOWN)
      http_req_error(r, 503, "server is shutting down");
    else if (rc == -E2BIG)
      http_req_error(r, 400, "more images than max_batch_size");
    else
      http_req_error(r, 500, "cannot schedule request (%d)", rc);
    http_metrics_failure(s->cfg.metrics, rc == -E2BIG ? HTTP_FAIL_OTHER : HTTP_FAIL_REJECTED,
                         elapsed);
  }
  http_req_complete(r);
  http_pump(s);
}

/* Threadpool: encode the body of a successful inference (JSON of up to
 * max_batch x num_classes numbers is too slow for the loop thread). */
static void work_encode(uv_work_t *w) {
  http_req *r = w->data;
  const http_model_info *m = &r->srv->mi;
  sched_request *q = &r->sreq;
  r->enc_body = NULL;
  r->enc_len = r->enc_json_len = 0;
  if (r->route == ROUTE_CLASSIFY) {
    http_timings t = {
        (double)(r->t_work - r->t_body) / 1e3, (double)(q->start_ns - q->enqueue_ns) / 1e3,
        (double)(q->end_ns - q->start_ns) / 1e3, (double)(sched_now_ns() - r->t0) / 1e3, q->batch};
    r->enc_body = http_v1_response(m, r->logits, r->n, r->top_k, &t, &r->enc_len);
    r->enc_json_len = r->enc_len;
  } else if (http_v2_response(&r->v2, m, r->logits, &r->enc_body, &r->enc_len, &r->enc_json_len) !=
             0) {
    r->enc_body = NULL;
  }
  /* gzip where the client takes it and it is worth a header (small bodies
   * are left alone); a failed compression sends the body as it is */
  r->enc_gzip = 0;
  uint8_t *z;
  size_t zn;
  if (r->enc_body && r->accept_gzip && r->enc_len >= HTTP_GZIP_MIN &&
      http_zip_gzip((const uint8_t *)r->enc_body, r->enc_len, &z, &zn) == 0) {
    r->enc_gzip = r->enc_json_len != r->enc_len ? 2 : 1; /* 2: has a binary part */
    free(r->enc_body);
    r->enc_body = (char *)z;
    r->enc_len = zn;
  }
}

/* Loop thread: send what work_encode built, count it, resume the connection. */
static void work_encode_done(uv_work_t *w, int status) {
  http_req *r = w->data;
  http_server *s = r->srv;
  sched_request *q = &r->sreq;
  if (status != 0 || !r->enc_body) {
    free(r->enc_body);
    http_req_error(r, 500, "out of memory");
  } else {
    const int binary = r->enc_gzip ? r->enc_gzip == 2 : r->enc_json_len != r->enc_len;
    http_req_set_body(r, 200, r->enc_body, r->enc_len,
                      binary ? "application/octet-stream" : "application/json");
    r->resp_json_len = r->enc_json_len;
    r->resp_gzip = r->enc_gzip != 0;
    r->resp_binary = binary;
  }
  r->enc_body = NULL;
  uint64_t end = sched_now_ns();
  if (r->status == 200) {
    http_metrics_success(s->cfg.metrics, end - r->t0, q->start_ns - q->enqueue_ns,
                         r->t_work - r->t_body, q->end_ns - q->start_ns, end - r->t_sched_done);
  } else {
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_OTHER, end - r->t0);
  }
  http_req_complete(r);
  http_pump(s);
}

int http_routes_finish_sched(http_req *r) {
  http_server *s = r->srv;
  sched_request *q = &r->sreq;
  uint64_t now = sched_now_ns();
  if (q->status == -ETIMEDOUT) {
    http_req_error(r, 504, "deadline exceeded before compute");
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_REJECTED, now - r->t0);
    return 0;
  }
  if (q->status == -ECANCELED) {
    http_req_error(r, 503, "cancelled: server shutting down");
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_CANCELED, now - r->t0);
    return 0;
  }
  if (q->status) {
    http_req_error(r, 500, "backend error: %s", q->err);
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_BACKEND, now - r->t0);
    return 0;
  }
  r->work.data = r;
  int rc = uv_queue_work(s->loop, &r->work, work_encode, work_encode_done);
  if (rc) {
    http_req_error(r, 500, "cannot queue work: %s", uv_strerror(rc));
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_OTHER, now - r->t0);
    return 0;
  }
  return 1;
}

/* Query argument `name` as an integer in [min, max]: 1 with it in *out, 0
 * when absent, -1 when it is not such an integer (the caller answers 400). */
static int query_int(http_req *r, const char *name, long min, long max, long *out) {
  const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
  if (!v) return 0;
  char *end;
  errno = 0;
  const long x = strtol(v, &end, 10);
  if (*v == 0 || *end || errno || x < min || x > max) return -1;
  *out = x;
  return 1;
}

/* Reads ?top_k= for classify; 0 or -EINVAL with the error response set. */
static int query_top_k(http_req *r) {
  long k;
  const int rc = query_int(r, "top_k", 1, HTTP_MAX_TOP_K, &k);
  if (rc < 0) {
    http_req_error(r, 400, "top_k must be an integer in 1..%d", HTTP_MAX_TOP_K);
    return -EINVAL;
  }
  if (rc) r->top_k = (int)k;
  return 0;
}

/* Nonzero, with a message in why, while the scheduler reports the backend
 * failing (cfg.failing_after consecutive failed batches): live and ready
 * then answer 503, so that an orchestrator stops routing to this process
 * and restarts it (a lost GPU does not come back by itself). */
static int backend_failing(http_server *s, char *why, size_t len) {
  char last[200] = "";
  const int n = s->sched ? sched_backend_failing(s->sched, last, sizeof last) : 0;
  if (n) snprintf(why, len, "backend failing: %d consecutive batches failed; last: %s", n, last);
  return n;
}

/* Reads ?device= for the efficiency report: one of the executors' devices
 * (sched_devices); 0 with *device unchanged when absent, or -EINVAL with a
 * 400 set (not an integer) / -ENOENT with a 404 (no executor on it). */
static int query_device(http_req *r, sched *sc, int *device) {
  long d;
  const int rc = query_int(r, "device", 0, 1 << 20, &d);
  if (rc == 0) return 0;
  if (rc < 0) {
    http_req_error(r, 400, "device must be a non-negative integer");
    return -EINVAL;
  }
  int devs[SCHED_MAX_EXECUTORS];
  const int n = sched_devices(sc, devs, SCHED_MAX_EXECUTORS);
  for (int i = 0; i < n && i < SCHED_MAX_EXECUTORS; i++)
    if (devs[i] == d) {
      *device = (int)d;
      return 0;
    }
  http_req_error(r, 404, "no executor runs on device %ld", d);
  return -ENOENT;
}

/* The current log settings as the JSON object GET /v2/logging returns. */
static json_t *logging_json(const http_server *s) {
  const serve_logger *l = s->cfg.log;
  const int level = l ? __atomic_load_n(&l->level, __ATOMIC_RELAXED) : SERVE_LOG_INFO;
  const int json = l ? __atomic_load_n(&l->json, __ATOMIC_RELAXED) : 0;
  return json_pack("{s:s,s:s,s:b}", "level", serve_log_level_name(level), "format",
                   json ? "json" : "text", "access_log", serve_log_access(l));
}

/* GET /v2/logging: the log settings. POST: changes any of "level" (debug,
 * info, warn, error), "format" (text, json) and "access_log" (bool); the
 * whole body is checked before anything changes (400 on any bad field). */
static void logging_route(http_req *r) {
  http_server *s = r->srv;
  if (r->is_post) {
    json_error_t je;
    json_t *o = json_loadb((const char *)r->body, r->len, 0, &je);
    if (!o || !json_is_object(o)) {
      json_decref(o);
      http_req_error(r, 400, "expected a JSON object with level, format or access_log");
      return;
    }
    int level = s->cfg.log ? s->cfg.log->level : SERVE_LOG_INFO;
    int fmt = s->cfg.log ? s->cfg.log->json : 0, access = serve_log_access(s->cfg.log);
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
      const char *sv = json_string_value(v);
      if (!strcmp(key, "level") && sv && serve_log_level_parse(sv) >= 0) {
        level = serve_log_level_parse(sv);
      } else if (!strcmp(key, "format") && sv && (!strcmp(sv, "text") || !strcmp(sv, "json"))) {
        fmt = !strcmp(sv, "json");
      } else if (!strcmp(key, "access_log") && json_is_boolean(v)) {
        access = json_is_true(v);
      } else {
        http_req_error(r, 400,
                       "bad logging field '%.40s' (level: debug|info|warn|error, format: "
                       "text|json, access_log: true|false)",
                       key);
        json_decref(o);
        return;
      }
    }
    json_decref(o);
    if (!s->cfg.log) {
      http_req_error(r, 500, "no logger");
      return;
    }
    serve_log_set(s->cfg.log, level, fmt);
    serve_log_set_access(s->cfg.log, access);
    serve_log(s->cfg.log, SERVE_LOG_WARN, "logging_changed", "level=%s format=%s access_log=%s",
              serve_log_level_name(level), fmt ? "json" : "text", access ? "true" : "false");
  }
  respond_json(r, 200, logging_json(s));
}

/* Starts the asynchronous part of an inference request. */
static void start_inference(http_req *r) {
  http_server *s = r->srv;
  if (r->route == ROUTE_CLASSIFY && query_top_k(r) != 0) return;
  if (s->sched && sched_full(s->sched)) { /* refuse now rather than after decoding */
    http_req_error(r, 503, "overloaded: request queue is full");
    http_metrics_failure(s->cfg.metrics, HTTP_FAIL_REJECTED, sched_now_ns() - r->t0);
    return;
  }
  r->inference = 1;
  r->state = REQ_WORK;
  r->work.data = r;
  int rc = uv_queue_work(s->loop, &r->work, work_parse, work_done);
  if (rc) {
    r->state = REQ_RECV;
    http_req_error(r, 500, "cannot queue work: %s", uv_strerror(rc));
    return;
  }
  http_req_suspend(r);
}

void http_routes_dispatch(http_req *r, const char *url, const char *method) {
  http_server *s = r->srv;
  char name[MODEL_NAME_MAX + 1], ver[32];
  http_route route = match(url, name, sizeof name, ver, sizeof ver);
  r->route = route;
  if (route == ROUTE_NONE) {
    http_req_error(r, 404, "no route for %s %.200s", method, url);
    return;
  }
  int post = route == ROUTE_INFER || route == ROUTE_CLASSIFY;
  if (r->content_encoding < 0 || (r->content_encoding > 0 && !post)) {
    http_req_error(r, 415,
                   r->content_encoding < 0
                       ? "Content-Encoding '%.32s' is not supported (gzip, deflate or identity)"
                       : "Content-Encoding '%.32s' is only accepted on the inference routes",
                   r->coding_name);
    return;
  }
  if (route == ROUTE_LOGGING && (r->is_get || r->is_post)) {
    logging_route(r);
    return;
  }
  if ((post && !r->is_post) || (!post && !r->is_get)) {
    r->is_get = post; /* Allow: header names the other method */
    http_req_error(r, 405, "method %s not allowed on %.200s", method, url);
    return;
  }
  char failing[300];
  switch (route) {
    case ROUTE_LIVE:
      if (backend_failing(s, failing, sizeof failing))
        respond_json(r, 503, json_pack("{s:b,s:s}", "live", 0, "error", failing));
      else
        respond_json(r, 200, json_pack("{s:b}", "live", 1));
      return;
    case ROUTE_READY:
      if (backend_failing(s, failing, sizeof failing))
        respond_json(r, 503, json_pack("{s:b,s:s}", "ready", 0, "error", failing));
      else if (s->ready)
        respond_json(r, 200, json_pack("{s:b}", "ready", 1));
      else /* a draining server answers before routing (http_server.c) */
        respond_json(r, 503, json_pack("{s:b,s:s}", "ready", 0, "error", "model loading"));
      return;
    case ROUTE_SERVER_META:
      respond_json(r, 200,
                   json_pack("{s:s,s:s,s:[s,s,s,s,s,s]}", "name", SERVER_NAME, "version",
                             SERVER_VERSION, "extensions", "classification", "binary_tensor_data",
                             "statistics", "model_configuration", "efficiency", "logging"));
      return;
    case ROUTE_METRICS: {
      size_t len = 0;
      if (!s->net) {
        const char *t = "# blockfuse: model not loaded yet\n";
        respond_text(r, 200, strdup(t), strlen(t), "text/plain; version=0.0.4; charset=utf-8");
        return;
      }
      http_metrics snap;
      http_metrics_snapshot(s->cfg.metrics, &snap);
      http_metrics_view v = {&snap, &s->mi, s->sched, s->net};
      char *txt = http_metrics_render(&v, &len);
      respond_text(r, 200, txt, len, "text/plain; version=0.0.4; charset=utf-8");
      return;
    }
    default:
      break;
  }
  /* Model routes. */
  if (!s->net) {
    http_req_error(r, 503, "model not ready");
    return;
  }
  if (name[0] && strcmp(name, s->mi.name) != 0) {
    http_req_error(r, 404, "unknown model '%.64s'", name);
    return;
  }
  if (ver[0] && strcmp(ver, s->mi.version) != 0) {
    http_req_error(r, 404, "model '%s' has no version '%.16s'", s->mi.name, ver);
    return;
  }
  /* a snapshot of the counters only for the route that renders them:
   * inference requests leave the loops' shared lock alone */
  http_metrics snap;
  if (route == ROUTE_STATS) http_metrics_snapshot(s->cfg.metrics, &snap);
  http_metrics_view v = {route == ROUTE_STATS ? &snap : NULL, &s->mi, s->sched, s->net};
  size_t len = 0;
  switch (route) {
    case ROUTE_MODEL_META:
      respond_json(r, 200, model_metadata(s));
      return;
    case ROUTE_MODEL_READY: {
      const int ok = s->ready && !backend_failing(s, failing, sizeof failing);
      respond_json(r, ok ? 200 : 503, json_pack("{s:s,s:b}", "name", s->mi.name, "ready", ok));
      return;
    }
    case ROUTE_STATS: {
      char *body = http_stats_json(&v, &len);
      respond_text(r, 200, body, len, "application/json");
      return;
    }
    case ROUTE_CONFIG:
      respond_text(r, 200, strdup(s->config_json), strlen(s->config_json), "application/json");
      return;
    case ROUTE_EFFICIENCY: {
      int device = -1;
      if (query_device(r, s->sched, &device) != 0) return;
      char *body = http_efficiency_json_device(&v, device, &len);
      respond_text(r, 200, body, len, "application/json");
      return;
    }
    case ROUTE_INFER:
    case ROUTE_CLASSIFY:
      if (!s->ready) {
        http_req_error(r, 503, "not ready");
        return;
      }
      start_inference(r);
      return;
    default:
      http_req_error(r, 404, "no route");
  }
}
