/* Several HTTP loops on one port; contract in http_group.h.
 *
 * Commands to loops 1..n-1 are bits in their `pending` word (under the
 * group's lock) plus a uv_async_send; the loop runs them in order model,
 * drain, force, stop. A loop that has drained says so through loop 0's
 * drained_async, and loop 0 calls on_drained once every loop has. */
#define _GNU_SOURCE
#include "server/http_group.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CMD_MODEL = 1, CMD_DRAIN = 2, CMD_FORCE = 4, CMD_STOP = 8 };

typedef struct {
  http_group *g;
  uv_loop_t loop;
  http_server *srv;
  uv_async_t cmd;
  uv_thread_t thread;
  int loop_init, cmd_init, thread_started;
  unsigned pending; /* CMD_* bits, under g->lock */
} group_loop;

struct http_group {
  int n, stopped;
  uv_loop_t *loop0;
  http_server *srv0;
  uv_async_t drained_async; /* on loop 0 */
  int drained_async_init;
  int drained_async_closed; /* under lock: no loop may send to it any more */
  pthread_mutex_t lock;
  int drained;  /* loops 1..n-1 drained, under lock */
  int drained0; /* loop 0 drained */
  void (*on_drained)(void *arg);
  void *drained_arg;
  /* the model, as CMD_MODEL hands it to the other loops */
  const model_net *net;
  sched *sch;
  http_model_info mi;
  char *config_json;
  http_metrics_shared metrics;
  group_loop loops[]; /* n - 1 of them */
};

/* Loop 0: call on_drained once every loop has drained. */
static void check_drained(http_group *g) {
  pthread_mutex_lock(&g->lock);
  const int others = g->drained;
  pthread_mutex_unlock(&g->lock);
  if (g->drained0 && others == g->n - 1 && g->on_drained) {
    void (*cb)(void *) = g->on_drained;
    g->on_drained = NULL;
    cb(g->drained_arg);
  }
}

static void on_drained_async(uv_async_t *a) {
  check_drained(a->data);
}

static void loop0_drained(void *arg) {
  http_group *g = arg;
  g->drained0 = 1;
  check_drained(g);
}

/* Loop i's thread: its server has drained. */
static void loop_drained(void *arg) {
  group_loop *w = arg;
  pthread_mutex_lock(&w->g->lock);
  w->g->drained++;
  /* under the lock: loop 0 may be closing the handle (a stop mid-drain) */
  if (!w->g->drained_async_closed) uv_async_send(&w->g->drained_async);
  pthread_mutex_unlock(&w->g->lock);
}

/* Loop i's thread: run the commands loop 0 sent. */
static void on_cmd(uv_async_t *a) {
  group_loop *w = a->data;
  http_group *g = w->g;
  pthread_mutex_lock(&g->lock);
  const unsigned cmd = w->pending;
  w->pending = 0;
  pthread_mutex_unlock(&g->lock);
  if (cmd & CMD_MODEL) http_server_set_model(w->srv, g->net, g->sch, &g->mi, g->config_json);
  if (cmd & CMD_DRAIN) http_server_drain(w->srv, loop_drained, w);
  if (cmd & CMD_FORCE) http_server_force_drain(w->srv);
  if (cmd & CMD_STOP) {
    http_server_stop(w->srv);
    uv_close((uv_handle_t *)&w->cmd, NULL);
  }
}

/* Sends cmd to loops 1..n-1; nothing after CMD_STOP (their handles close). */
static void send_cmd(http_group *g, unsigned cmd) {
  if (g->stopped) return;
  for (int i = 0; i < g->n - 1; i++) {
    group_loop *w = &g->loops[i];
    if (!w->thread_started) continue;
    pthread_mutex_lock(&g->lock);
    w->pending |= cmd;
    pthread_mutex_unlock(&g->lock);
    uv_async_send(&w->cmd);
  }
}

static void loop_main(void *arg) {
  group_loop *w = arg;
  uv_run(&w->loop, UV_RUN_DEFAULT);
}

/* Starts loop i (1..n-1) on port, its server and thread. */
static int start_loop(http_group *g, int i, const http_server_config *cfg0, int port, char *err,
                      size_t errlen) {
  group_loop *w = &g->loops[i - 1];
  w->g = g;
  int rc = uv_loop_init(&w->loop);
  if (rc) {
    snprintf(err, errlen, "HTTP loop %d: %s", i, uv_strerror(rc));
    return rc;
  }
  w->loop_init = 1;
  http_server_config c = *cfg0;
  c.port = port;
  c.loop = i;
  if ((rc = http_server_start(&w->srv, &w->loop, &c, err, errlen)) != 0) return rc;
  w->cmd.data = w;
  rc = uv_async_init(&w->loop, &w->cmd, on_cmd);
  if (rc == 0) {
    w->cmd_init = 1;
    rc = uv_thread_create(&w->thread, loop_main, w);
  }
  if (rc == 0) {
    w->thread_started = 1;
    return 0;
  }
  snprintf(err, errlen, "HTTP loop %d: %s", i, uv_strerror(rc));
  http_server_stop(w->srv); /* its loop never ran: close its handles here */
  if (w->cmd_init) uv_close((uv_handle_t *)&w->cmd, NULL);
  uv_run(&w->loop, UV_RUN_DEFAULT);
  return rc;
}

int http_group_start(http_group **out, uv_loop_t *loop, int n, const http_server_config *cfg,
                     char *err, size_t errlen) {
  *out = NULL;
  if (n < 1 || n > HTTP_GROUP_MAX) {
    snprintf(err, errlen, "HTTP loops: %d, expected 1..%d", n, HTTP_GROUP_MAX);
    return -EINVAL;
  }
  http_group *g = calloc(1, sizeof *g + sizeof(group_loop) * (size_t)(n - 1));
  if (!g || http_metrics_shared_init(&g->metrics, n) != 0) {
    free(g);
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  pthread_mutex_init(&g->lock, NULL);
  g->n = n;
  g->loop0 = loop;
  http_server_config c0 = *cfg;
  c0.metrics = &g->metrics;
  c0.loop = 0;
  /* --max-connections is the process's: each loop takes its share (the
   * kernel spreads connections evenly over the listeners) */
  c0.max_connections = (cfg->max_connections + (unsigned)n - 1) / (unsigned)n;
  int rc = http_server_start(&g->srv0, loop, &c0, err, errlen);
  if (rc == 0) {
    g->drained_async.data = g;
    rc = uv_async_init(loop, &g->drained_async, on_drained_async);
    if (rc == 0)
      g->drained_async_init = 1;
    else
      snprintf(err, errlen, "HTTP loops: %s", uv_strerror(rc));
  }
  for (int i = 1; rc == 0 && i < n; i++)
    rc = start_loop(g, i, &c0, http_server_port(g->srv0), err, errlen);
  if (rc == 0) {
    *out = g;
    return 0;
  }
  /* Undo: the started loops stop and are joined; loop 0's handles close on
   * the caller's loop, which runs nothing else yet. */
  if (g->srv0) {
    http_group_stop(g);
    uv_run(loop, UV_RUN_DEFAULT);
  }
  http_group_free(g);
  return rc;
}

int http_group_port(const http_group *g) {
  return http_server_port(g->srv0);
}

int http_group_size(const http_group *g) {
  return g->n;
}

int http_group_set_model(http_group *g, const model_net *net, sched *sch, const http_model_info *mi,
                         const char *config_json) {
  int rc = http_server_set_model(g->srv0, net, sch, mi, config_json);
  if (rc || g->n == 1) return rc;
  free(g->config_json);
  g->config_json = strdup(config_json);
  if (!g->config_json) return -ENOMEM;
  g->net = net, g->sch = sch, g->mi = *mi;
  send_cmd(g, CMD_MODEL); /* the lock orders these writes before the loops read them */
  return 0;
}

void http_group_drain(http_group *g, void (*on_drained)(void *arg), void *arg) {
  g->on_drained = on_drained;
  g->drained_arg = arg;
  send_cmd(g, CMD_DRAIN);
  http_server_drain(g->srv0, loop0_drained, g);
}

void http_group_force_drain(http_group *g) {
  send_cmd(g, CMD_FORCE);
  http_server_force_drain(g->srv0);
}

int http_group_in_flight(const http_group *g) {
  int n = http_server_in_flight(g->srv0);
  for (int i = 0; i < g->n - 1; i++)
    if (g->loops[i].srv) n += http_server_in_flight(g->loops[i].srv);
  return n;
}

void http_group_stop(http_group *g) {
  if (g->stopped) return;
  send_cmd(g, CMD_STOP);
  g->stopped = 1;
  if (g->srv0) http_server_stop(g->srv0);
  if (g->drained_async_init) {
    pthread_mutex_lock(&g->lock);
    g->drained_async_closed = 1;
    pthread_mutex_unlock(&g->lock);
    uv_close((uv_handle_t *)&g->drained_async, NULL);
  }
}

void http_group_free(http_group *g) {
  if (!g) return;
  send_cmd(g, CMD_STOP); /* no-op when stopped, as it always is but on misuse */
  for (int i = 0; i < g->n - 1; i++) {
    group_loop *w = &g->loops[i];
    if (w->thread_started) uv_thread_join(&w->thread);
    http_server_free(w->srv);
    if (w->loop_init) uv_loop_close(&w->loop);
  }
  http_server_free(g->srv0);
  free(g->config_json);
  pthread_mutex_destroy(&g->lock);
  http_metrics_shared_destroy(&g->metrics);
  free(g);
}
