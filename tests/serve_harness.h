/* Integration-test helpers: start the real `blockfuse serve` binary on an
 * ephemeral loopback port, talk to it with libcurl, stop it with signals. */
#ifndef BLOCKFUSE_TESTS_SERVE_HARNESS_H
#define BLOCKFUSE_TESTS_SERVE_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
  char dir[256];
  char base[64]; /* "http://127.0.0.1:PORT" */
} serve_daemon;

/* Starts the daemon with the test model, CPU backend and extra flags
 * (NULL-terminated), and waits until /v2/health/ready answers 200.
 * Returns 0 or -1 (daemon killed). */
int serve_daemon_start(serve_daemon *d, const char *const *extra);

/* The same with the daemon's stderr (its log) written to log_path. */
int serve_daemon_start_logged(serve_daemon *d, const char *const *extra, const char *log_path);

/* Sends sig and waits for exit; returns the exit status, or -1 if it
 * did not exit within timeout_s or died from a signal. */
int serve_daemon_signal_wait(serve_daemon *d, int sig, int timeout_s);

typedef struct {
  long status; /* 0: transport error */
  char *body;
  size_t len;
  char retry_after[16];
  char header_len[32];
  char content_encoding[32]; /* as sent: the body is left encoded */
  double seconds;
} serve_resp;

/* One request. headers: NULL-terminated "Name: value" list or NULL. */
int serve_http(const serve_daemon *d, const char *method, const char *path,
               const char *const *headers, const void *body, size_t len, serve_resp *r);
void serve_resp_free(serve_resp *r);

/* n concurrent POSTs of the same body; fills statuses[n]. Returns 0 when
 * all transfers finished (with any status). */
int serve_http_many(const serve_daemon *d, const char *path, const char *const *headers,
                    const void *body, size_t len, int n, long *statuses);

/* Value of the first sample of `name{...}` whose labels contain `label`
 * (may be ""), or -1 if absent. */
double serve_metric(const char *text, const char *name, const char *label);

#endif
