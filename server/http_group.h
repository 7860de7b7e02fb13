/* Several HTTP loops serving one port (--http-threads). One libuv loop and
 * its libmicrohttpd daemon top out at one core: at ~14k requests/s of
 * 150 KB tensors on an H200 host its thread was at 100 % while the GPU and
 * the decode threads had room (bench/RESULTS.md, eighth session).
 *
 * Loop 0 is the caller's: it also runs the daemon's signals, timers and
 * model load. Loops 1..n-1 each run on a thread of their own, with their own
 * http_server bound to the same port (SO_REUSEPORT: the kernel spreads new
 * connections over the listeners). Each loop answers its connections start
 * to end; they share the scheduler, the threadpool, the logger and the
 * metrics (http_metrics_shared).
 *
 * Every function here is called on loop 0's thread; it acts on the other
 * loops through their uv_async handles. Lifetime as http_server's: start ->
 * set_model -> drain -> stop -> uv_run(loop 0) until its handles close ->
 * free (which joins the other loops' threads). */
#ifndef BLOCKFUSE_SERVER_HTTP_GROUP_H
#define BLOCKFUSE_SERVER_HTTP_GROUP_H

#include <stddef.h>
#include <uv.h>

#include "server/http_server.h"

#define HTTP_GROUP_MAX HTTP_MAX_LOOPS

typedef struct http_group http_group;

/* Starts n (1..HTTP_GROUP_MAX) loops on cfg's address; loop 0 on `loop`.
 * cfg->metrics and cfg->loop are set here, and each loop takes
 * ceil(cfg->max_connections / n) of the connections. Returns 0 or a negative errno
 * with message (then nothing is left running). */
int http_group_start(http_group **out, uv_loop_t *loop, int n, const http_server_config *cfg,
                     char *err, size_t errlen);
int http_group_port(const http_group *g);
int http_group_size(const http_group *g);
/* Attaches the model on every loop (copies config_json). */
int http_group_set_model(http_group *g, const model_net *net, sched *sch, const http_model_info *mi,
                         const char *config_json);
/* http_server_drain on every loop; on_drained runs on loop 0 once all have
 * drained. */
void http_group_drain(http_group *g, void (*on_drained)(void *arg), void *arg);
void http_group_force_drain(http_group *g);
/* Requests in flight over all loops (each loop's count read atomically). */
int http_group_in_flight(const http_group *g);
/* Stops every loop; loop 0's handles close as uv_run goes on. */
void http_group_stop(http_group *g);
/* After uv_run(loop 0) has returned: joins the other loops and frees all. */
void http_group_free(http_group *g);

#endif
