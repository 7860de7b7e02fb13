/* libuv <-> libmicrohttpd glue and the request lifecycle.
 *
 * MHD runs with MHD_USE_EPOLL and no threads of its own: its epoll fd is a
 * uv_poll handle, and after every MHD_run the uv_timer is re-armed from
 * MHD_get_timeout (0 when MHD has buffered work). A request's context is
 * created on the first access-handler call, collects the body, and either
 * gets an immediate response or is suspended until http_req_complete()
 * resumes it; MHD then calls the handler again and the stored response is
 * queued. The context is freed in the request-completed callback. */
#define _GNU_SOURCE
#include "server/http_internal.h"
#include "server/http_zip.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static void on_poll(uv_poll_t *h, int status, int events) {
  http_pump(h->data);
}

static void on_timer(uv_timer_t *t) {
  http_pump(t->data);
}

/* Runs MHD once and re-arms the timer; reports a finished drain. */
void http_pump(http_server *s) {
  if (s->stopped) return;
  MHD_run(s->mhd);
  MHD_UNSIGNED_LONG_LONG to = 0;
  if (MHD_get_timeout(s->mhd, &to) == MHD_YES) {
    uv_timer_start(&s->timer, on_timer, to > 60000 ? 60000 : to, 0);
  } else {
    uv_timer_start(&s->timer, on_timer, 1000, 0);
  }
  if (s->draining && s->on_drained && (s->in_flight == 0 || (s->force && s->suspended == 0))) {
    void (*cb)(void *) = s->on_drained;
    s->on_drained = NULL;
    cb(s->drained_arg);
  }
}

void http_req_set_body(http_req *r, int status, char *body, size_t len, const char *type) {
  free(r->resp);
  r->status = status;
  r->resp = body;
  r->resp_len = r->resp_json_len = len;
  r->resp_type = type;
}

void http_req_error(http_req *r, int status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *o = json_pack("{s:s}", "error", msg);
  char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  if (!s) s = strdup("{\"error\":\"out of memory\"}");
  http_req_set_body(r, status, s, s ? strlen(s) : 0, "application/json");
  if (status == 503 && !r->retry_after) r->retry_after = 1;
}

/* Queues r's stored response on its connection. */
static enum MHD_Result send_response(http_req *r) {
  http_server *s = r->srv;
  if (!r->resp) http_req_error(r, 500, "internal error: no response");
  struct MHD_Response *resp =
      MHD_create_response_from_buffer(r->resp_len, r->resp ? r->resp : "",
                                      r->resp ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
  if (!resp) return MHD_NO;
  r->resp = NULL; /* MHD owns it now */
  MHD_add_response_header(resp, "Content-Type", r->resp_type ? r->resp_type : "application/json");
  if (r->resp_gzip) MHD_add_response_header(resp, "Content-Encoding", "gzip");
  /* binary extension: the JSON part's length, of the uncompressed body */
  if (r->resp_gzip ? r->resp_binary : r->resp_json_len != r->resp_len) {
    char v[32];
    snprintf(v, sizeof v, "%zu", r->resp_json_len);
    MHD_add_response_header(resp, "Inference-Header-Content-Length", v);
  }
  if (r->retry_after) {
    char v[16];
    snprintf(v, sizeof v, "%d", r->retry_after);
    MHD_add_response_header(resp, "Retry-After", v);
  }
  if (r->status == 405) /* the route's methods */
    MHD_add_response_header(resp, "Allow",
                            r->route == ROUTE_LOGGING ? "GET, POST"
                            : r->is_get               ? "POST"
                                                      : "GET");
  if (s->draining) MHD_add_response_header(resp, "Connection", "close");
  enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
  if (rc == MHD_YES) r->sent = r->resp_len, r->responded = 1;
  MHD_destroy_response(resp);
  http_metrics_response(s->cfg.metrics, r->status, s->cfg.loop);
  serve_log(s->cfg.log, SERVE_LOG_DEBUG, "http_response", "status=%d route=%d ms=%.3f", r->status,
            (int)r->route, (double)(sched_now_ns() - r->t0) / 1e6);
  return rc;
}

void http_req_suspend(http_req *r) {
  r->srv->suspended++;
  MHD_suspend_connection(r->conn);
}

void http_req_complete(http_req *r) {
  r->state = REQ_DONE;
  r->srv->suspended--;
  MHD_resume_connection(r->conn);
}

void http_req_release_work(http_req *r) {
  http_v2_free(&r->v2);
  free(r->images);
  free(r->logits);
  r->images = NULL;
  r->logits = NULL;
  free(r->body);
  r->body = NULL;
}

/* The most body bytes the daemon reads for one request: past max_body the
 * rest is read and discarded (so the client reads the 413 instead of a
 * reset), but only up to this; a longer upload is cut off. */
static unsigned long long body_cutoff(size_t max_body) {
  return 4ull * max_body + (1u << 20);
}

/* Appends upload data; past max_body the rest is discarded and the request
 * answered 413 (and a client that keeps going past body_cutoff() is cut
 * off). */
static int append_body(http_req *r, const char *data, size_t n) {
  size_t max = r->srv->cfg.max_body;
  if (r->too_large || r->len + n > max) {
    r->too_large = 1;
    free(r->body);
    r->body = NULL;
    r->discarded += n;
    return r->discarded > body_cutoff(max) ? -1 : 0;
  }
  if (r->len + n > r->cap) {
    size_t cap = r->cap ? r->cap : 16384;
    while (cap < r->len + n) cap *= 2;
    if (cap > max) cap = max;
    uint8_t *b = realloc(r->body, cap);
    if (!b) return -1;
    r->body = b;
    r->cap = cap;
  }
  memcpy(r->body + r->len, data, n);
  r->len += n;
  return 0;
}

/* Per-connection memory of libmicrohttpd and the step its read buffer grows
 * by. Its defaults (32 KiB, 1 KiB) read a 150 KB tensor body in many small
 * recv()s. But it clears the whole pool for every request of a keep-alive
 * connection (perf: two memsets of the pool's size per request on the loop
 * thread), so a large pool costs more than it saves. On a 16-core H200 host
 * with uint8 tensors (bench/RESULTS.md, eighth session): 64 / 16 KiB served
 * 14.2-14.4k req/s at 64 clients, 256 / 64 KiB 12.6-13.2k, 1 MiB 5.2-5.5k.
 * For A/B runs, BLOCKFUSE_HTTP_CONN_MEMORY and BLOCKFUSE_HTTP_READ_INCREMENT
 * (bytes) override them. */
#define HTTP_CONN_MEMORY (64u * 1024u)
#define HTTP_READ_INCREMENT (16u * 1024u)

/* Environment override of a size in bytes (4 KiB..64 MiB), else def. */
static size_t env_bytes(const char *name, size_t def) {
  const char *v = getenv(name);
  if (!v || !*v) return def;
  char *end;
  unsigned long long x = strtoull(v, &end, 10);
  return *end == 0 && x >= 4096 && x <= (64u << 20) ? (size_t)x : def;
}

/* Slowest average upload rate accepted once the body has had idle_timeout_s
 * of grace: libmicrohttpd's timeout only catches silence, so a client
 * trickling a byte every second would otherwise hold a connection forever.
 * A body of B bytes must be in within idle_timeout_s + B / this seconds of
 * the headers. */
#define HTTP_MIN_UPLOAD_RATE 1024u

/* True when r's upload has fallen behind HTTP_MIN_UPLOAD_RATE. */
static int upload_too_slow(const http_req *r) {
  uint64_t got = (uint64_t)r->len + r->discarded;
  uint64_t allowed_ns = (uint64_t)r->srv->cfg.idle_timeout_s * 1000000000ull +
                        got * (1000000000ull / HTTP_MIN_UPLOAD_RATE);
  return sched_now_ns() - r->t0 > allowed_ns;
}

/* True when the request names a Transfer-Encoding other than chunked:
 * MHD cannot frame its body and would wait for it until the idle timeout. */
static int unknown_transfer_coding(struct MHD_Connection *c) {
  const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");
  return te && strcasecmp(te, "chunked") != 0;
}

/* True when the request carries "Expect: 100-continue". */
static int expects_continue(struct MHD_Connection *c) {
  const char *e = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Expect");
  return e && strcasecmp(e, "100-continue") == 0;
}

/* First call for a request: context, header capture, early 413.
 * *answer_now is set when the declared Content-Length exceeds
 * body_cutoff(): the 413 must go out before any body. */
static http_req *begin_request(http_server *s, struct MHD_Connection *c, const char *method,
                               int *answer_now) {
  *answer_now = 0;
  http_req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->srv = s;
  r->conn = c;
  r->t0 = sched_now_ns();
  r->is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  r->is_post = strcmp(method, "POST") == 0;
  r->top_k = s->cfg.default_top_k;
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  if (ct) snprintf(r->content_type, sizeof r->content_type, "%s", ct);
  const char *ce = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Encoding");
  r->content_encoding = http_zip_coding(ce);
  if (ce) snprintf(r->coding_name, sizeof r->coding_name, "%s", ce);
  r->accept_gzip =
      http_zip_accepts_gzip(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding"));
  const char *hl =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Inference-Header-Content-Length");
  if (hl) {
    snprintf(r->header_len, sizeof r->header_len, "%s", hl);
    r->has_header_len = 1;
  }
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
  if (cl) {
    char *end;
    unsigned long long v = strtoull(cl, &end, 10);
    if (*end == 0 && v > s->cfg.max_body) {
      r->too_large = 1;
      /* More than the daemon would ever read: the upload would be cut off
       * anyway, so it is answered before the body (see on_access). */
      *answer_now = v > body_cutoff(s->cfg.max_body);
    } else if (*end == 0 && v > 0) { /* reserve up front, but not more than 1 MiB before data */
      size_t want = v < (1u << 20) ? (size_t)v : (1u << 20);
      r->body = malloc(want);
      r->cap = r->body ? want : 0;
    }
  }
  __atomic_add_fetch(&s->in_flight, 1, __ATOMIC_RELAXED); /* read by other loops (http_group) */
  return r;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls) {
  http_server *s = cls;
  http_req *r = *con_cls;
  if (!r) {
    int answer_now;
    r = begin_request(s, c, method, &answer_now);
    if (!r) return MHD_NO;
    *con_cls = r;
    if (serve_log_access(s->cfg.log)) { /* only then: kept off the per-request path otherwise */
      snprintf(r->method, sizeof r->method, "%s", method);
      snprintf(r->path, sizeof r->path, "%s", url);
    }
    if (unknown_transfer_coding(c)) { /* RFC 9112 6.1; MHD closes after it */
      http_req_error(r, 501, "Transfer-Encoding other than chunked is not supported");
      r->state = REQ_DONE;
      return send_response(r);
    }
    if (r->too_large && (answer_now || expects_continue(c))) {
      /* The client waits for "100 Continue" before sending the body: answer
       * now, and it never sends it. Without that handshake the body is
       * already on its way, and closing on it would reset the connection
       * before the client reads the 413: append_body() discards it instead
       * and the 413 goes out once it is in -- unless the declared length
       * is past what append_body() reads at all; then waiting for it only
       * ends in the idle timeout (or a cut-off), so answer now. Either way
       * MHD closes the connection after this response (the body is not
       * read), which Connection: close announces. */
      http_req_error(r, 413, "body larger than max_body_bytes %zu", s->cfg.max_body);
      r->state = REQ_DONE;
      return send_response(r);
    }
    return MHD_YES;
  }
  if (r->state == REQ_DONE) {
    if (*upload_size) { /* early 413: drop whatever MHD still hands us */
      *upload_size = 0;
      return MHD_YES;
    }
    if (!r->resp) return MHD_YES; /* already queued */
    return send_response(r);
  }
  if (*upload_size) {
    int rc = append_body(r, upload, *upload_size);
    *upload_size = 0;
    if (rc == 0 && upload_too_slow(r)) {
      /* MHD cannot queue a response mid-body: closing is the answer. */
      serve_log(s->cfg.log, SERVE_LOG_INFO, "http_upload_too_slow",
                "received=%zu seconds=%.1f min_rate=%u", r->len + r->discarded,
                (double)(sched_now_ns() - r->t0) / 1e9, HTTP_MIN_UPLOAD_RATE);
      rc = -1;
    }
    return rc == 0 ? MHD_YES : MHD_NO;
  }
  if (r->state != REQ_RECV) return MHD_YES; /* suspended work pending */
  r->t_body = sched_now_ns();
  if (r->too_large) {
    http_req_error(r, 413, "body larger than max_body_bytes %zu", s->cfg.max_body);
  } else if (s->draining) {
    http_req_error(r, 503, "server is shutting down");
  } else {
    http_routes_dispatch(r, url, method);
    if (r->state == REQ_WORK || r->state == REQ_SCHED) return MHD_YES; /* suspended */
  }
  r->state = REQ_DONE;
  return send_response(r);
}

/* The http_access line of a finished request: client, method, path,
 * status (0 when no response was sent), bytes in and out, microseconds
 * from the first header to completion, and whether it completed. */
static void access_log(http_server *s, struct MHD_Connection *c, const http_req *r, int ok) {
  char client[INET6_ADDRSTRLEN] = "-", path[420];
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci && ci->client_addr) {
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, client, sizeof client);
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, client, sizeof client);
  }
  serve_log(s->cfg.log, SERVE_LOG_INFO, "http_access",
            "client=%s method=%s path=\"%s\" status=%d in=%zu out=%zu us=%llu completed=%s", client,
            r->method[0] ? r->method : "-", /* "-": began before the access log was on */
            serve_log_quote(r->path, path, sizeof path), r->responded ? r->status : 0,
            r->len + r->discarded, r->sent, (unsigned long long)((sched_now_ns() - r->t0) / 1000),
            ok ? "true" : "false");
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  http_server *s = cls;
  http_req *r = *con_cls;
  if (!r) return;
  *con_cls = NULL;
  if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
    serve_log(s->cfg.log, SERVE_LOG_DEBUG, "http_request_aborted", "code=%d received=%zu", (int)toe,
              r->len);
  if (serve_log_access(s->cfg.log)) access_log(s, c, r, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
  http_req_release_work(r);
  free(r->resp);
  free(r);
  __atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_RELAXED);
}

/* Executor thread: hand the finished request to the loop. */
static void on_sched_done(sched_request *sr) {
  http_req *r = sr->user;
  http_server *s = r->srv;
  pthread_mutex_lock(&s->done_lock);
  r->next_done = s->done_head;
  s->done_head = r;
  pthread_mutex_unlock(&s->done_lock);
  uv_async_send(&s->async);
}

/* Loop thread: answer every request the executors finished. */
static void on_async(uv_async_t *a) {
  http_server *s = a->data;
  pthread_mutex_lock(&s->done_lock);
  http_req *list = s->done_head;
  s->done_head = NULL;
  pthread_mutex_unlock(&s->done_lock);
  int any = 0;
  while (list) {
    http_req *next = list->next_done;
    list->t_sched_done = sched_now_ns();
    if (!http_routes_finish_sched(list)) http_req_complete(list);
    list = next;
    any = 1;
  }
  if (any) http_pump(s);
}

/* Fills a sockaddr for host:port. Returns 0 or -EINVAL. */
static int make_addr(const char *host, int port, struct sockaddr_storage *ss, int *v6) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *v6 = 0;
    return 0;
  }
  if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *v6 = 1;
    return 0;
  }
  return -EINVAL;
}

int http_server_start(http_server **out, uv_loop_t *loop, const http_server_config *cfg, char *err,
                      size_t errlen) {
  *out = NULL;
  struct sockaddr_storage ss;
  int v6 = 0;
  if (!cfg->metrics) {
    snprintf(err, errlen, "no metrics to count into");
    return -EINVAL;
  }
  if (cfg->port < 0 || cfg->port > 65535 || make_addr(cfg->host, cfg->port, &ss, &v6) != 0) {
    snprintf(err, errlen, "cannot listen on '%s' port %d: not an IP literal/port", cfg->host,
             cfg->port);
    return -EINVAL;
  }
  http_server *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  s->cfg = *cfg;
  s->loop = loop;
  pthread_mutex_init(&s->done_lock, NULL);
  unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | (v6 ? MHD_USE_IPv6 : 0);
  s->mhd = MHD_start_daemon(
      flags, (uint16_t)cfg->port, NULL, NULL, on_access, s, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, cfg->idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      env_bytes("BLOCKFUSE_HTTP_CONN_MEMORY", HTTP_CONN_MEMORY),
      MHD_OPTION_CONNECTION_MEMORY_INCREMENT,
      env_bytes("BLOCKFUSE_HTTP_READ_INCREMENT", HTTP_READ_INCREMENT), MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, s, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024,
      MHD_OPTION_END);
  if (!s->mhd) {
    snprintf(err, errlen, "cannot listen on %s:%d: %s", cfg->host, cfg->port,
             errno ? strerror(errno) : "libmicrohttpd failed to start");
    pthread_mutex_destroy(&s->done_lock);
    free(s);
    return -EADDRINUSE;
  }
  const union MHD_DaemonInfo *pi = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
  const union MHD_DaemonInfo *ei = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
  s->port = pi ? pi->port : cfg->port;
  int rc = ei ? uv_poll_init(loop, &s->poll, ei->epoll_fd) : UV_EINVAL;
  if (rc == 0) {
    s->poll.data = s;
    uv_poll_start(&s->poll, UV_READABLE, on_poll);
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    rc = uv_async_init(loop, &s->async, on_async);
    s->async.data = s;
  }
  if (rc) {
    snprintf(err, errlen, "event loop setup failed: %s", uv_strerror(rc));
    MHD_stop_daemon(s->mhd);
    free(s);
    return -EIO;
  }
  s->handles_open = 3;
  uv_timer_start(&s->timer, on_timer, 0, 0);
  *out = s;
  return 0;
}

int http_server_port(const http_server *s) {
  return s->port;
}

int http_server_set_model(http_server *s, const model_net *net, sched *sch,
                          const http_model_info *mi, const char *config_json) {
  s->config_json = strdup(config_json ? config_json : "{}");
  if (!s->config_json) return -ENOMEM;
  s->net = net;
  s->sched = sch;
  s->mi = *mi;
  s->ready = !s->draining;
  return 0;
}

void http_server_drain(http_server *s, void (*on_drained)(void *arg), void *arg) {
  s->ready = 0;
  s->on_drained = on_drained;
  s->drained_arg = arg;
  if (!s->draining) {
    s->draining = 1;
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET) close(fd);
  }
  http_pump(s);
}

void http_server_force_drain(http_server *s) {
  s->force = 1;
  if (s->draining && !s->stopped) http_pump(s);
}

int http_server_in_flight(const http_server *s) {
  return __atomic_load_n(&s->in_flight, __ATOMIC_RELAXED);
}

static void on_closed(uv_handle_t *h) {
  http_server *s = h->data;
  s->handles_open--;
}

void http_server_stop(http_server *s) {
  if (s->stopped) return;
  s->stopped = 1;
  uv_poll_stop(&s->poll);
  uv_timer_stop(&s->timer);
  MHD_stop_daemon(s->mhd);
  s->mhd = NULL;
  uv_close((uv_handle_t *)&s->poll, on_closed);
  uv_close((uv_handle_t *)&s->timer, on_closed);
  uv_close((uv_handle_t *)&s->async, on_closed);
}

void http_server_free(http_server *s) {
  if (!s) return;
  pthread_mutex_destroy(&s->done_lock);
  free(s->config_json);
  free(s);
}

void http_req_bind_sched(http_req *r) {
  r->sreq.done = on_sched_done;
  r->sreq.user = r;
}
