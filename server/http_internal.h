/* Private to http_server.c and http_routes.c: the server and per-request
 * state. Everything here is touched only on the loop thread, except a
 * request between uv_queue_work and its after-work callback (threadpool
 * owns it) and sched_request.done (executor thread, hands off via done_*). */
#ifndef BLOCKFUSE_SERVER_HTTP_INTERNAL_H
#define BLOCKFUSE_SERVER_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>

#include "server/http_metrics.h"
#include "server/http_server.h"
#include "server/http_v1.h"
#include "server/http_v2.h"

typedef enum {
  ROUTE_NONE = 0,
  ROUTE_LIVE,
  ROUTE_READY,
  ROUTE_SERVER_META,
  ROUTE_MODEL_META,
  ROUTE_MODEL_READY,
  ROUTE_INFER,
  ROUTE_STATS,
  ROUTE_CONFIG,
  ROUTE_EFFICIENCY,
  ROUTE_CLASSIFY,
  ROUTE_METRICS,
  ROUTE_LOGGING,
} http_route;

typedef enum { REQ_RECV = 0, REQ_WORK, REQ_SCHED, REQ_DONE } http_req_state;

typedef struct http_req http_req;

struct http_server {
  http_server_config cfg;
  uv_loop_t *loop;
  struct MHD_Daemon *mhd;
  int port;
  uv_poll_t poll;
  uv_timer_t timer;
  uv_async_t async;
  int handles_open;
  /* model, set once ready */
  const model_net *net;
  sched *sched;
  http_model_info mi;
  char *config_json;
  int ready, draining, stopped;
  void (*on_drained)(void *arg);
  void *drained_arg;
  int in_flight;
  int suspended; /* requests waiting on threadpool or scheduler */
  int force;
  /* executor -> loop hand-off */
  pthread_mutex_t done_lock;
  http_req *done_head;
};

struct http_req {
  http_server *srv;
  struct MHD_Connection *conn;
  http_route route;
  int is_get, is_post;
  http_req_state state;
  uint64_t t0, t_body, t_work, t_sched_done;
  uint8_t *body;
  size_t len, cap, discarded;
  int too_large;
  char content_type[256];
  char header_len[32];
  int has_header_len;
  int content_encoding; /* HTTP_ENC_* of the body, -1 unsupported (http_zip.h) */
  char coding_name[32]; /* as sent, for the 415 message */
  int accept_gzip;      /* the client takes a gzip response */
  int top_k;
  /* threadpool work: parse + decode */
  uv_work_t work;
  int work_rc;
  char err[320];
  http_v2_request v2;
  uint8_t *images;
  float *logits;
  int n;
  sched_request sreq;
  /* response */
  int status;
  char *resp;
  size_t resp_len, resp_json_len;
  int resp_gzip;   /* resp is the gzip of the body */
  int resp_binary; /* with resp_gzip: the body has a binary part after resp_json_len bytes */
  /* Response body encoded on the threadpool (see http_routes_finish_sched). */
  char *enc_body;
  size_t enc_len, enc_json_len;
  int enc_gzip; /* enc_body is gzip-compressed */
  const char *resp_type;
  int retry_after;
  int inference; /* counts toward inference metrics */
  /* for the access log */
  char method[8];
  char path[200];
  size_t sent;   /* response bytes queued */
  int responded; /* a response was queued */
  http_req *next_done;
};

/* http_routes.c: matches method + URL, answers synchronous routes, and runs
 * inference requests through the threadpool and scheduler. */
void http_routes_dispatch(http_req *r, const char *url, const char *method);
/* Builds the response of a finished scheduler request (loop thread). */
/* Loop thread: answers a request the scheduler finished. Errors are answered
 * at once (returns 0: the caller completes r); a result's body is encoded on
 * the threadpool, off the loop, and r completed from there (returns 1). */
int http_routes_finish_sched(http_req *r);

/* http_server.c helpers used by the routes. */
void http_req_set_body(http_req *r, int status, char *body, size_t len, const char *type);
void http_req_error(http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_req_suspend(http_req *r);
/* Marks a suspended request answered and resumes its connection. */
void http_req_complete(http_req *r);
void http_req_release_work(http_req *r);
/* Runs MHD once, re-arms its timer, and reports a finished drain. */
void http_pump(http_server *s);
/* Points r->sreq's done() at the loop hand-off. */
void http_req_bind_sched(http_req *r);

#endif
