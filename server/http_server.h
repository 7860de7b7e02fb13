/* The HTTP front: libmicrohttpd in external-event mode driven by a libuv
 * loop (MHD's epoll fd watched by uv_poll, MHD_run on readiness, a uv_timer
 * armed from MHD_get_timeout). Inference requests are suspended while their
 * body is parsed/decoded on the libuv threadpool and the scheduler runs them;
 * completions come back through uv_async and the connection is resumed.
 *
 * Every function here runs on the loop thread. Lifetime: start -> (model
 * attached: ready) -> drain -> stop -> uv_run until handles close ->
 * free. */
#ifndef BLOCKFUSE_SERVER_HTTP_SERVER_H
#define BLOCKFUSE_SERVER_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "model/net.h"
#include "scheduler/sched.h"
#include "server/http_infer.h"
#include "server/http_metrics.h"
#include "server/serve_log.h"

typedef struct http_server http_server;

typedef struct {
  const char *host; /* IPv4 or IPv6 literal */
  int port;         /* 0 = ephemeral */
  size_t max_body;  /* bytes; larger bodies get 413 */
  unsigned max_connections;
  unsigned idle_timeout_s;     /* per-connection inactivity limit */
  uint64_t default_timeout_us; /* request deadline when the client sets none; 0 = none */
  int default_top_k;
  serve_logger *log; /* POST /v2/logging changes its level, format and access log */
  /* Counters this server adds to, shared with the other loops of the
   * process (see http_group.h); required. */
  http_metrics_shared *metrics;
  int loop; /* this server's index among the loops, for the per-loop counter */
} http_server_config;

/* Binds and starts serving (health/live answers at once; model routes 503
 * until http_server_set_model). Returns 0 or a negative errno with message. */
int http_server_start(http_server **out, uv_loop_t *loop, const http_server_config *cfg, char *err,
                      size_t errlen);

/* The bound TCP port (useful with port 0). */
int http_server_port(const http_server *s);

/* Attaches the loaded model and its running scheduler; readiness turns true.
 * config_json is the GET .../config body (copied). net, sch and mi's
 * pointers must outlive the server. */
int http_server_set_model(http_server *s, const model_net *net, sched *sch,
                          const http_model_info *mi, const char *config_json);

/* Graceful drain: readiness false, listening socket closed (new connections
 * refused), new requests on open connections answered 503 + close, in-flight
 * requests finish. on_drained is called once nothing is in flight. */
void http_server_drain(http_server *s, void (*on_drained)(void *arg), void *arg);

/* After the grace period: the drain completes once no request waits on
 * the scheduler or threadpool (stalled uploads no longer hold it). */
void http_server_force_drain(http_server *s);

/* Requests received but not yet answered (including those being uploaded).
 * The one function here that any thread may call. */
int http_server_in_flight(const http_server *s);

/* Stops MHD (closing idle connections) and closes the uv handles; run the
 * loop afterwards so the close callbacks fire, then http_server_free(). */
void http_server_stop(http_server *s);
void http_server_free(http_server *s);

#endif
