/* Helpers for the deploy tests that run the real daemon: start `blockfuse
 * serve` (CPU backend, the real model) on an ephemeral loopback port, plain
 * blocking HTTP/1.1 GETs, and Prometheus text lookups. */
#ifndef BLOCKFUSE_TESTS_DEPLOY_DAEMON_TEST_H
#define BLOCKFUSE_TESTS_DEPLOY_DAEMON_TEST_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
  char dir[256]; /* private temporary folder (port file, logs) */
  char port_file[300];
  char log_path[300]; /* the daemon's stderr */
} deploy_daemon;

/* Forks and execs `blockfuse serve --host 127.0.0.1 --port 0 --port-file ...
 * --backend cpu --model <runfile model>` plus extra_args, with extra_env
 * ("K=V" strings) added to the environment. "WATCHDOG_PID=self" is replaced by
 * the child's own pid. Waits up to timeout_ms for the port file. Returns 0 or
 * a negative errno. Both lists are NULL-terminated and may be NULL. */
int deploy_daemon_start(deploy_daemon *d, const char *const *extra_env,
                        const char *const *extra_args, int timeout_ms);

/* Polls GET /v2/health/ready until 200, up to timeout_ms. Returns 0 or -ETIMEDOUT. */
int deploy_daemon_wait_ready(const deploy_daemon *d, int timeout_ms);

/* Sends SIGTERM and waits up to timeout_ms for exit. Returns the exit status
 * (0..255), 128+signal if killed by one, or -ETIMEDOUT (then it is killed). */
int deploy_daemon_stop(deploy_daemon *d, int timeout_ms);

/* Prints the daemon's log to stderr (for failure diagnosis). */
void deploy_daemon_dump_log(const deploy_daemon *d);

/* GET path on 127.0.0.1:port with Connection: close. Returns the HTTP status
 * with up to cap-1 body bytes NUL-terminated in body (may be NULL), or a
 * negative errno (-ECONNREFUSED when nothing listens). */
int deploy_http_get(int port, const char *path, char *body, size_t cap);

/* The value of the sample `series` (metric name with its exact label set, e.g.
 * nv_inference_count{model="m",version="1"}) in Prometheus text; NAN when
 * absent. */
double deploy_metric(const char *text, const char *series);

/* Sum of every sample of metric `name` whose labels contain `label_sub`
 * (NULL = all samples). NAN when none. */
double deploy_metric_sum(const char *text, const char *name, const char *label_sub);

#endif
