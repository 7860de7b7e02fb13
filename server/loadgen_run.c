/* loadgen: the libuv engine. One loop thread owns every connection; each
 * connection carries at most one request at a time (no pipelining), and
 * reconnects when the server closes it.
 *
 * Closed loop: a connection sends its next request as soon as the previous
 * answer arrives; latency runs from that moment.
 * Open loop: requests are due at the schedule's intended times. A timerfd
 * (watched by a uv_poll, for sub-millisecond precision) wakes the loop at
 * each due time; a due request goes out on an idle connection, or waits for
 * one. Latency always runs from the intended time, so waiting for a
 * connection, or a server that stalls, shows up in the figures. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

#include "server/loadgen.h"

#define RECONNECT_BACKOFF_MS 50

typedef struct lg_run lg_run;

typedef struct {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_write_t write_req;
  uv_timer_t timer; /* request timeout, or reconnect back-off */
  lg_run *run;
  int tcp_open;  /* tcp handle initialised and not yet closed */
  int connected; /* connect finished, socket usable */
  int connecting;
  int tcp_closing;               /* uv_close issued, tcp_closed() not yet run */
  int writing;                   /* a uv_write is pending on write_req */
  int in_idle;                   /* on the open loop's idle stack */
  int busy;                      /* a request is assigned and unanswered */
  int backoff;                   /* timer is a reconnect back-off, not a timeout */
  int measured;                  /* the request counts in the results */
  uint64_t intended_ns, sent_ns; /* relative to run->t0 */
  const loadgen_request *req;
  loadgen_resp resp;
  char rbuf[65536];
} lg_conn;

struct lg_run {
  uv_loop_t loop;
  const loadgen_config *cfg;
  const loadgen_payloads *p;
  loadgen_result *res;
  FILE *csv;
  lg_conn *conns;
  int n_conns;
  int *idle; /* stack of idle connection indices (open loop) */
  int n_idle;
  struct sockaddr_storage addr;
  uint64_t t0, warm_ns, end_ns; /* end_ns = 0: no duration bound */
  uint64_t measured_issued, next_payload;
  uint64_t first_ns, last_ns; /* measured window: first intended, last completion */
  uint64_t stop_ns;           /* when issuing stopped */
  loadgen_schedule sched;
  uint64_t next_due; /* open loop: intended time of the next request */
  int unsent_counted;
  int open_loop, stopping, closing, ever_connected, fatal, started;
  char *err;
  size_t errlen;
  uv_timer_t stop_timer;
  uv_signal_t sigint;
  uv_poll_t tick;
  int tfd;
};

static void conn_start(lg_conn *c);
static void dispatch(lg_run *r);

/* Nanoseconds since the run started. */
static uint64_t now_ns(const lg_run *r) {
  return uv_hrtime() - r->t0;
}

/* Close callback for handles whose memory the run owns and frees itself. */
static void noop_close(uv_handle_t *h) {
  (void)h;
}

/* Closes every handle once the run is over; uv_run then returns. */
static void shutdown_run(lg_run *r) {
  if (r->closing) return;
  r->closing = 1;
  for (int i = 0; i < r->n_conns; i++) {
    lg_conn *c = &r->conns[i];
    if (c->tcp_open) uv_close((uv_handle_t *)&c->tcp, noop_close);
    c->tcp_open = 0;
    uv_close((uv_handle_t *)&c->timer, noop_close);
  }
  uv_close((uv_handle_t *)&r->stop_timer, noop_close);
  uv_close((uv_handle_t *)&r->sigint, noop_close);
  if (r->open_loop) uv_close((uv_handle_t *)&r->tick, noop_close);
}

/* Shuts down when stopping and no request is still in flight. */
static void maybe_finish(lg_run *r) {
  if (!r->stopping || r->closing) return;
  for (int i = 0; i < r->n_conns; i++)
    if (r->conns[i].busy) return;
  shutdown_run(r);
}

/* Stops issuing. In the open loop, requests that fell due but never found
 * a connection are counted as unsent: the client could not keep up. */
static void begin_stop(lg_run *r) {
  if (!r->stopping) {
    r->stopping = 1;
    r->stop_ns = now_ns(r);
    if (r->end_ns && r->stop_ns > r->end_ns) r->stop_ns = r->end_ns;
  }
  if (r->open_loop && !r->unsent_counted) {
    r->unsent_counted = 1;
    for (uint64_t k = 0; r->next_due < r->stop_ns && k < 100000000u; k++) {
      if (r->next_due >= r->warm_ns) r->res->unsent++;
      r->next_due = loadgen_schedule_next(&r->sched);
    }
  }
  maybe_finish(r);
}

/* Records the outcome of the connection's request: an HTTP status, or a
 * transport failure (status 0, kind "connect" | "timeout" | "io"). */
static void finish_request(lg_conn *c, int status, const char *kind) {
  lg_run *r = c->run;
  uint64_t done = now_ns(r);
  c->busy = 0;
  uv_timer_stop(&c->timer);
  if (c->measured) {
    loadgen_result *res = r->res;
    uint64_t lat_us = (done - c->intended_ns + 500) / 1000;
    if (done > r->last_ns) r->last_ns = done;
    if (status) {
      res->completed++;
      res->by_status[status < LOADGEN_MAX_STATUS ? status : 0]++;
      res->bytes_in += c->resp.body_bytes;
      if (status >= 200 && status < 300) {
        res->ok++;
        res->images_ok += (uint64_t)c->req->images;
        loadgen_hist_record(&res->latency, lat_us);
      }
    } else if (kind[0] == 'c') {
      res->err_connect++;
    } else if (kind[0] == 't') {
      res->err_timeout++;
    } else {
      res->err_io++;
    }
    if (r->csv) {
      fprintf(r->csv, "%llu,%llu,%llu,", (unsigned long long)(c->intended_ns / 1000),
              (unsigned long long)(c->sent_ns / 1000), (unsigned long long)lat_us);
      if (status)
        fprintf(r->csv, "%d,%llu\n", status, (unsigned long long)c->resp.body_bytes);
      else
        fprintf(r->csv, "%s,0\n", kind);
    }
  }
}

/* The socket is closed; reconnect at once if a request is waiting for it. */
static void tcp_closed(uv_handle_t *h) {
  lg_conn *c = h->data;
  c->tcp_closing = 0;
  if (c->run->closing) return;
  if (c->busy) conn_start(c); /* a request is waiting: reconnect for it */
}

/* Drops the socket; the connection reconnects on its next request. */
static void conn_drop(lg_conn *c) {
  c->connected = 0;
  c->connecting = 0;
  if (c->tcp_open) {
    c->tcp_open = 0;
    c->tcp_closing = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_close((uv_handle_t *)&c->tcp, tcp_closed);
  }
}

/* The connection is free again: next request (closed loop) or idle pool. */
static void conn_idle(lg_conn *c) {
  lg_run *r = c->run;
  if (r->stopping) {
    maybe_finish(r);
    return;
  }
  if (r->open_loop && !c->in_idle) {
    c->in_idle = 1;
    r->idle[r->n_idle++] = (int)(c - r->conns);
  }
  dispatch(r);
}

/* Fails the request in flight with a transport error and frees the conn. */
static void conn_fail(lg_conn *c, const char *kind) {
  if (c->busy) finish_request(c, 0, kind);
  conn_drop(c);
  conn_idle(c);
}

/* Reads land in the connection's own buffer: one read at a time per connection. */
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  lg_conn *c = h->data;
  (void)suggested;
  *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

/* Feeds answers to the parser; completes, fails or drops the connection's request. */
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  lg_conn *c = s->data;
  if (nread == 0) return;
  if (nread < 0) {
    if (c->busy && nread == UV_EOF && loadgen_resp_eof(&c->resp)) {
      finish_request(c, c->resp.status, "");
      conn_drop(c);
      conn_idle(c);
      return;
    }
    if (c->busy) {
      conn_fail(c, "io");
    } else {
      conn_drop(c); /* the server closed an idle keep-alive connection */
    }
    return;
  }
  if (!c->busy) { /* bytes nobody asked for: the stream is out of sync */
    conn_drop(c);
    return;
  }
  long used = loadgen_resp_feed(&c->resp, buf->base, (size_t)nread);
  if (used < 0) {
    conn_fail(c, "io");
    return;
  }
  if (!loadgen_resp_done(&c->resp)) return;
  int keep = c->resp.keep_alive && used == nread && !c->writing;
  finish_request(c, c->resp.status, "");
  if (!keep) conn_drop(c);
  conn_idle(c);
}

/* A failed write fails the request; success needs no action (the answer follows). */
static void on_write(uv_write_t *w, int status) {
  lg_conn *c = w->data;
  c->writing = 0;
  if (status < 0 && status != UV_ECANCELED && c->busy) conn_fail(c, "io");
}

/* Sends the assigned request on the connected socket. */
static void conn_send(lg_conn *c) {
  lg_run *r = c->run;
  uv_buf_t bufs[2] = {uv_buf_init(c->req->head, (unsigned)c->req->head_len),
                      uv_buf_init((char *)c->req->body, (unsigned)c->req->body_len)};
  c->sent_ns = now_ns(r);
  if (c->measured && r->open_loop) {
    uint64_t lag = c->sent_ns > c->intended_ns ? c->sent_ns - c->intended_ns : 0;
    if (lag > (uint64_t)LOADGEN_LATE_SEND_US * 1000) r->res->late_sends++;
    if (lag / 1000 > r->res->max_lag_us) r->res->max_lag_us = lag / 1000;
  }
  loadgen_resp_init(&c->resp);
  c->write_req.data = c;
  c->writing = 1;
  int rc =
      uv_write(&c->write_req, (uv_stream_t *)&c->tcp, bufs, c->req->body_len ? 2 : 1, on_write);
  if (rc) {
    c->writing = 0;
    conn_fail(c, "io");
  }
}

/* Connection timer: end of a reconnect back-off, or a request timeout. */
static void on_timer(uv_timer_t *t) {
  lg_conn *c = t->data;
  if (c->backoff) {
    c->backoff = 0;
    conn_idle(c);
  } else if (c->busy) {
    conn_fail(c, "timeout");
  }
}

/* Connected: send the waiting request. Refused before any success: a setup error. */
static void on_connect(uv_connect_t *req, int status) {
  lg_conn *c = req->data;
  lg_run *r = c->run;
  c->connecting = 0;
  if (r->closing || status == UV_ECANCELED) return; /* we closed it: conn_drop() */
  if (status < 0) {
    if (!r->ever_connected) { /* nothing listens there: a setup error, not load data */
      snprintf(r->err, r->errlen, "cannot connect to %s:%s: %s", r->cfg->host, r->cfg->port,
               uv_strerror(status));
      r->fatal = status;
      for (int i = 0; i < r->n_conns; i++) r->conns[i].busy = 0;
      shutdown_run(r);
      return;
    }
    if (c->busy) finish_request(c, 0, "connect");
    conn_drop(c);
    if (r->stopping) {
      maybe_finish(r);
      return;
    }
    c->backoff = 1; /* back off so that a dead server is not hammered */
    uv_timer_start(&c->timer, on_timer, RECONNECT_BACKOFF_MS, 0);
    return;
  }
  r->ever_connected = 1;
  c->connected = 1;
  /* Reading stays on for the connection's life: answers and closes alike. */
  int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  if (rc) {
    conn_fail(c, "io");
    return;
  }
  if (c->busy) conn_send(c);
}

/* Opens the socket if needed, then sends the assigned request. */
static void conn_start(lg_conn *c) {
  lg_run *r = c->run;
  if (c->connected) {
    conn_send(c);
    return;
  }
  if (c->connecting || c->tcp_open || c->tcp_closing) return; /* resumes from a callback */
  int rc = uv_tcp_init(&r->loop, &c->tcp);
  if (rc == 0) {
    c->tcp_open = 1;
    c->tcp.data = c;
    uv_tcp_nodelay(&c->tcp, 1);
    c->connect_req.data = c;
    rc = uv_tcp_connect(&c->connect_req, &c->tcp, (const struct sockaddr *)&r->addr, on_connect);
  }
  if (rc) {
    if (c->busy) finish_request(c, 0, "connect");
    conn_drop(c);
    c->backoff = 1;
    uv_timer_start(&c->timer, on_timer, RECONNECT_BACKOFF_MS, 0);
    return;
  }
  c->connecting = 1;
}

/* Assigns the next request (due at intended) to connection c. */
static void issue(lg_run *r, lg_conn *c, uint64_t intended) {
  c->busy = 1;
  c->in_idle = 0;
  c->intended_ns = intended;
  c->measured = intended >= r->warm_ns;
  c->req = &r->p->reqs[r->next_payload++ % r->p->n];
  if (c->measured) {
    if (r->measured_issued == 0) r->first_ns = intended;
    r->measured_issued++;
    r->res->sent++;
    r->res->bytes_out += c->req->head_len + c->req->body_len;
    if (r->cfg->requests && r->measured_issued >= r->cfg->requests) {
      r->stopping = 1;
      r->stop_ns = intended;
    }
  }
  c->backoff = 0;
  uv_timer_start(&c->timer, on_timer, (uint64_t)(r->cfg->timeout_s * 1000 + 0.5), 0);
  conn_start(c);
}

/* Arms the timerfd for the next due time (absolute CLOCK_MONOTONIC, the
 * clock uv_hrtime reads). */
static void arm_tick(lg_run *r) {
  uint64_t at = r->t0 + r->next_due;
  struct itimerspec its = {{0, 0}, {(time_t)(at / 1000000000u), (long)(at % 1000000000u)}};
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Open loop: sends the arrivals due before `until` on idle connections,
 * late ones measured from their intended time. Once the duration is over
 * that is every arrival due before its end: one whose tick was handled after
 * the stop timer (both expired in one loop iteration, or the loop ran late)
 * is sent late rather than counted as unsent while a connection is idle. */
static void issue_due(lg_run *r, uint64_t until) {
  while (!r->stopping && r->n_idle > 0 && r->next_due < until) {
    lg_conn *c = &r->conns[r->idle[--r->n_idle]];
    if (c->busy) continue;
    issue(r, c, r->next_due);
    r->next_due = loadgen_schedule_next(&r->sched);
  }
}

/* Sends what is due: closed loop, every idle connection; open loop, every
 * due request that has an idle connection. */
static void dispatch(lg_run *r) {
  if (r->stopping) {
    maybe_finish(r);
    return;
  }
  uint64_t now = now_ns(r);
  const int ended = r->end_ns && now >= r->end_ns;
  if (!r->open_loop) {
    if (ended) {
      begin_stop(r);
      return;
    }
    for (int i = 0; i < r->n_conns && !r->stopping; i++) {
      lg_conn *c = &r->conns[i];
      if (!c->busy && !c->backoff) issue(r, c, now_ns(r));
    }
    return;
  }
  issue_due(r, ended ? r->end_ns : now + 1);
  if (ended) {
    begin_stop(r);
    return;
  }
  /* A backlog with no idle connection waits for conn_idle(), not the timer,
   * which would otherwise fire at once, again and again. */
  if (!r->stopping && r->next_due > now) arm_tick(r);
}

/* The timerfd fired: a scheduled send is due. */
static void on_tick(uv_poll_t *h, int status, int events) {
  lg_run *r = h->data;
  uint64_t expirations;
  (void)status;
  (void)events;
  if (read(r->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return;
  dispatch(r);
}

/* The measured duration is over. */
static void on_stop_timer(uv_timer_t *t) {
  lg_run *r = t->data;
  if (r->open_loop) issue_due(r, r->end_ns);
  begin_stop(r);
}

/* Ctrl-C ends the run early, still reporting what was measured. */
static void on_sigint(uv_signal_t *s, int sig) {
  (void)sig;
  begin_stop(s->data);
}

/* Resolves host:port (numeric or by name) into r->addr. */
static int resolve(lg_run *r, char *err, size_t errlen) {
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = uv_getaddrinfo(&r->loop, &req, NULL, r->cfg->host, r->cfg->port, &hints);
  if (rc) {
    snprintf(err, errlen, "cannot resolve %s: %s", r->cfg->host, uv_strerror(rc));
    return rc;
  }
  memcpy(&r->addr, req.addrinfo->ai_addr, req.addrinfo->ai_addrlen);
  uv_freeaddrinfo(req.addrinfo);
  return 0;
}

/* User + system CPU seconds of the calling thread so far. */
static double cpu_seconds(void) {
  struct rusage u;
  if (getrusage(RUSAGE_THREAD, &u) != 0) return 0;
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* One event loop: the whole run, or one thread's share of it. Owns its loop
 * and every handle; returns when all are closed. */
static int run_one(const loadgen_config *cfg, const loadgen_payloads *p, loadgen_result *res,
                   FILE *csv, char *err, size_t errlen) {
  memset(res, 0, sizeof *res);
  loadgen_hist_init(&res->latency);
  if (p->n == 0) {
    snprintf(err, errlen, "no requests to send");
    return -EINVAL;
  }
  lg_run *r = calloc(1, sizeof *r);
  if (!r) return -ENOMEM;
  r->cfg = cfg;
  r->p = p;
  r->res = res;
  r->csv = csv;
  r->err = err;
  r->errlen = errlen;
  r->n_conns = cfg->concurrency;
  r->open_loop = cfg->rate > 0;
  r->tfd = -1;
  r->conns = calloc((size_t)r->n_conns, sizeof *r->conns);
  r->idle = calloc((size_t)r->n_conns, sizeof *r->idle);
  int rc = (!r->conns || !r->idle) ? -ENOMEM : uv_loop_init(&r->loop);
  if (rc) {
    snprintf(err, errlen, "cannot start: %s", uv_strerror(rc));
    free(r->conns);
    free(r->idle);
    free(r);
    return rc;
  }
  rc = resolve(r, err, errlen);
  if (rc == 0 && r->open_loop) {
    r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (r->tfd < 0) {
      rc = -errno;
      snprintf(err, errlen, "timerfd_create: %s", strerror(errno));
    } else {
      rc = uv_poll_init(&r->loop, &r->tick, r->tfd);
      if (rc) {
        close(r->tfd);
        r->tfd = -1;
        snprintf(err, errlen, "uv_poll_init: %s", uv_strerror(rc));
      }
      r->tick.data = r;
    }
  }
  if (rc == 0) {
    r->started = 1;
    if (csv) fprintf(csv, "intended_us,sent_us,latency_us,status,bytes\n");
    uv_timer_init(&r->loop, &r->stop_timer);
    r->stop_timer.data = r;
    uv_signal_init(&r->loop, &r->sigint);
    r->sigint.data = r;
    uv_signal_start_oneshot(&r->sigint, on_sigint, SIGINT);
    for (int i = 0; i < r->n_conns; i++) {
      lg_conn *c = &r->conns[i];
      c->run = r;
      uv_timer_init(&r->loop, &c->timer);
      c->timer.data = c;
      r->idle[r->n_idle++] = r->n_conns - 1 - i;
      r->conns[r->n_conns - 1 - i].in_idle = 1;
    }
    loadgen_schedule_init(&r->sched, cfg->arrival, cfg->rate > 0 ? cfg->rate : 1, cfg->seed);
    r->sched.phase_s = cfg->phase_s;
    r->next_due = loadgen_schedule_next(&r->sched);
    r->t0 = uv_hrtime();
    r->warm_ns = (uint64_t)(cfg->warmup_s * 1e9);
    if (cfg->duration_s > 0) {
      r->end_ns = r->warm_ns + (uint64_t)(cfg->duration_s * 1e9);
      uv_timer_start(&r->stop_timer, on_stop_timer, (r->end_ns + 999999) / 1000000, 0);
    }
    if (r->open_loop) uv_poll_start(&r->tick, UV_READABLE, on_tick);
    const double cpu0 = cpu_seconds();
    dispatch(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    const double wall = (double)(uv_hrtime() - r->t0) / 1e9;
    res->client_cpu = wall > 0 ? (cpu_seconds() - cpu0) / wall : 0;
    if (r->fatal) rc = r->fatal;
    uint64_t from = r->warm_ns > r->first_ns ? r->warm_ns : r->first_ns;
    uint64_t to = r->last_ns > r->stop_ns ? r->last_ns : r->stop_ns;
    res->elapsed_s = to > from ? (double)(to - from) / 1e9 : 0.0;
  }
  if (r->started && !r->closing) shutdown_run(r);
  if (r->tfd >= 0 && !r->started) uv_close((uv_handle_t *)&r->tick, noop_close);
  uv_run(&r->loop, UV_RUN_DEFAULT);
  uv_loop_close(&r->loop);
  if (r->tfd >= 0) close(r->tfd);
  free(r->conns);
  free(r->idle);
  free(r);
  return rc;
}

/* Adds one thread's figures to the total; the busiest thread's CPU. */
static void merge(loadgen_result *to, const loadgen_result *from) {
  loadgen_hist_add(&to->latency, &from->latency);
  to->ok += from->ok, to->sent += from->sent, to->completed += from->completed;
  to->images_ok += from->images_ok;
  for (int s = 0; s < LOADGEN_MAX_STATUS; s++) to->by_status[s] += from->by_status[s];
  to->err_connect += from->err_connect, to->err_timeout += from->err_timeout;
  to->err_io += from->err_io;
  to->bytes_in += from->bytes_in, to->bytes_out += from->bytes_out;
  to->late_sends += from->late_sends, to->unsent += from->unsent;
  if (from->max_lag_us > to->max_lag_us) to->max_lag_us = from->max_lag_us;
  if (from->elapsed_s > to->elapsed_s) to->elapsed_s = from->elapsed_s;
  if (from->client_cpu > to->client_cpu) to->client_cpu = from->client_cpu;
}

typedef struct {
  loadgen_config cfg;
  const loadgen_payloads *p;
  loadgen_result res;
  int rc;
  char err[256];
  pthread_t th;
} lg_thread;

static void *thread_main(void *arg) {
  lg_thread *t = arg;
  t->rc = run_one(&t->cfg, t->p, &t->res, NULL, t->err, sizeof t->err);
  return NULL;
}

/* Share i of n split over k parts, the remainder to the first ones. */
static uint64_t share(uint64_t n, int k, int i) {
  return n / (uint64_t)k + ((uint64_t)i < n % (uint64_t)k);
}

/* See loadgen.h. */
int loadgen_run(const loadgen_config *cfg, const loadgen_payloads *p, loadgen_result *res,
                FILE *csv, char *err, size_t errlen) {
  const int k = cfg->threads > 1 ? cfg->threads : 1;
  if (k == 1) return run_one(cfg, p, res, csv, err, errlen);
  memset(res, 0, sizeof *res);
  loadgen_hist_init(&res->latency);
  lg_thread *t = calloc((size_t)k, sizeof *t);
  if (!t) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  int started = 0, rc = 0;
  for (int i = 0; i < k; i++) {
    t[i].cfg = *cfg;
    t[i].cfg.threads = 1;
    t[i].cfg.concurrency = (int)share((uint64_t)cfg->concurrency, k, i);
    t[i].cfg.requests = cfg->requests ? share(cfg->requests, k, i) : 0;
    t[i].cfg.rate = cfg->rate / k;
    t[i].cfg.phase_s = cfg->rate > 0 ? (double)i / cfg->rate : 0; /* constant: interleaved */
    t[i].cfg.seed = cfg->seed + (uint64_t)i * UINT64_C(0x9E3779B97F4A7C15); /* own streams */
    t[i].p = p;
    if (pthread_create(&t[i].th, NULL, thread_main, &t[i]) != 0) {
      snprintf(err, errlen, "cannot start thread %d", i);
      rc = -EAGAIN;
      break;
    }
    started++;
  }
  for (int i = 0; i < started; i++) {
    pthread_join(t[i].th, NULL);
    if (t[i].rc && !rc) {
      rc = t[i].rc;
      snprintf(err, errlen, "%s", t[i].err);
    }
    merge(res, &t[i].res);
  }
  free(t);
  return rc;
}
