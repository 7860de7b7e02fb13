/* Starts and drives the real daemon for the integration tests. */
#define _GNU_SOURCE
#include "tests/serve_harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/test_support.h"
#include "model/timing.h"

int serve_daemon_start(serve_daemon *d, const char *const *extra) {
  return serve_daemon_start_logged(d, extra, NULL);
}

int serve_daemon_start_logged(serve_daemon *d, const char *const *extra, const char *log_path) {
  memset(d, 0, sizeof *d);
  snprintf(d->dir, sizeof d->dir, "%s/serveXXXXXX",
           getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp");
  if (!mkdtemp(d->dir)) return -1;
  char port_file[300];
  snprintf(port_file, sizeof port_file, "%s/port", d->dir);
  const char *argv[64];
  int a = 0;
  char bin[4096], model[4096];
  snprintf(bin, sizeof bin, "%s", test_runfile("blockfuse/server/blockfuse"));
  snprintf(model, sizeof model, "%s", test_runfile("blockfuse/models/efficientnet_b0"));
  argv[a++] = bin;
  argv[a++] = "serve";
  argv[a++] = "--host=127.0.0.1";
  argv[a++] = "--port=0";
  /* cpu here and in CI; `--config=gpu` runs the same tests on the cuda backend. */
  const char *be = getenv("BLOCKFUSE_TEST_BACKEND");
  char backend[64];
  snprintf(backend, sizeof backend, "--backend=%s", be && *be ? be : "cpu");
  argv[a++] = backend;
  argv[a++] = "--port-file";
  argv[a++] = port_file;
  argv[a++] = "--model";
  argv[a++] = model;
  for (int i = 0; extra && extra[i] && a < 62; i++) argv[a++] = extra[i];
  argv[a] = NULL;
  d->pid = fork();
  if (d->pid < 0) return -1;
  if (d->pid == 0) {
    if (log_path) {
      int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || dup2(fd, STDERR_FILENO) < 0) _exit(126);
    }
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  double t0 = bf_now_s();
  while (bf_now_s() - t0 < 30) {
    FILE *f = fopen(port_file, "r");
    if (f) {
      int ok = fscanf(f, "%d", &d->port) == 1;
      fclose(f);
      if (ok) break;
    }
    if (waitpid(d->pid, NULL, WNOHANG) == d->pid) return -1;
    usleep(20000);
  }
  if (!d->port) goto fail;
  snprintf(d->base, sizeof d->base, "http://127.0.0.1:%d", d->port);
  while (bf_now_s() - t0 < 90) {
    serve_resp r;
    serve_http(d, "GET", "/v2/health/ready", NULL, NULL, 0, &r);
    long st = r.status;
    serve_resp_free(&r);
    if (st == 200) return 0;
    if (waitpid(d->pid, NULL, WNOHANG) == d->pid) return -1;
    usleep(50000);
  }
fail:
  kill(d->pid, SIGKILL);
  waitpid(d->pid, NULL, 0);
  return -1;
}

int serve_daemon_signal_wait(serve_daemon *d, int sig, int timeout_s) {
  if (sig) kill(d->pid, sig);
  double t0 = bf_now_s();
  while (bf_now_s() - t0 < timeout_s) {
    int st;
    if (waitpid(d->pid, &st, WNOHANG) == d->pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    usleep(20000);
  }
  kill(d->pid, SIGKILL);
  waitpid(d->pid, NULL, 0);
  return -1;
}

static size_t on_body(char *p, size_t sz, size_t n, void *u) {
  serve_resp *r = u;
  char *b = realloc(r->body, r->len + sz * n + 1);
  if (!b) return 0;
  memcpy(b + r->len, p, sz * n);
  r->body = b;
  r->len += sz * n;
  b[r->len] = 0;
  return sz * n;
}

/* Captures the two headers the tests look at. */
static size_t on_header(char *p, size_t sz, size_t n, void *u) {
  serve_resp *r = u;
  size_t len = sz * n;
  const char *keys[3] = {"Retry-After:", "Inference-Header-Content-Length:", "Content-Encoding:"};
  char *dst[3] = {r->retry_after, r->header_len, r->content_encoding};
  size_t cap[3] = {sizeof r->retry_after, sizeof r->header_len, sizeof r->content_encoding};
  for (int k = 0; k < 3; k++) {
    size_t kl = strlen(keys[k]);
    if (len > kl && strncasecmp(p, keys[k], kl) == 0) {
      size_t s = kl;
      while (s < len && p[s] == ' ') s++;
      size_t e = len;
      while (e > s && (p[e - 1] == '\r' || p[e - 1] == '\n')) e--;
      snprintf(dst[k], cap[k], "%.*s", (int)(e - s), p + s);
    }
  }
  return len;
}

static CURL *make_easy(const serve_daemon *d, const char *method, const char *path,
                       struct curl_slist *hl, const void *body, size_t len, serve_resp *r) {
  CURL *c = curl_easy_init();
  if (!c) return NULL;
  char url[600];
  snprintf(url, sizeof url, "%s%s", d->base, path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (strcmp(method, "POST") == 0) {
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  } else if (strcmp(method, "GET") != 0) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  }
  if (hl) curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
  return c;
}

static struct curl_slist *make_headers(const char *const *headers) {
  struct curl_slist *hl = curl_slist_append(NULL, "Expect:");
  for (int i = 0; headers && headers[i]; i++) hl = curl_slist_append(hl, headers[i]);
  return hl;
}

int serve_http(const serve_daemon *d, const char *method, const char *path,
               const char *const *headers, const void *body, size_t len, serve_resp *r) {
  memset(r, 0, sizeof *r);
  struct curl_slist *hl = make_headers(headers);
  CURL *c = make_easy(d, method, path, hl, body, len, r);
  if (!c) return -1;
  double t0 = bf_now_s();
  CURLcode rc = curl_easy_perform(c);
  r->seconds = bf_now_s() - t0;
  if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_cleanup(c);
  curl_slist_free_all(hl);
  return rc == CURLE_OK ? 0 : -1;
}

void serve_resp_free(serve_resp *r) {
  free(r->body);
  r->body = NULL;
}

int serve_http_many(const serve_daemon *d, const char *path, const char *const *headers,
                    const void *body, size_t len, int n, long *statuses) {
  CURLM *m = curl_multi_init();
  struct curl_slist *hl = make_headers(headers);
  CURL **easy = calloc((size_t)n, sizeof *easy);
  serve_resp *resp = calloc((size_t)n, sizeof *resp);
  if (!m || !easy || !resp) return -1;
  curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)n);
  for (int i = 0; i < n; i++) {
    easy[i] = make_easy(d, "POST", path, hl, body, len, &resp[i]);
    curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (char *)(intptr_t)i);
    curl_easy_setopt(easy[i], CURLOPT_FORBID_REUSE, 1L);
    curl_multi_add_handle(m, easy[i]);
  }
  int running = 1;
  double t0 = bf_now_s();
  while (running && bf_now_s() - t0 < 120) {
    curl_multi_perform(m, &running);
    if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  CURLMsg *msg;
  int left;
  for (int i = 0; i < n; i++) statuses[i] = 0;
  while ((msg = curl_multi_info_read(m, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    char *priv;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
    int i = (int)(intptr_t)priv;
    if (msg->data.result == CURLE_OK)
      curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &statuses[i]);
  }
  for (int i = 0; i < n; i++) {
    curl_multi_remove_handle(m, easy[i]);
    curl_easy_cleanup(easy[i]);
    serve_resp_free(&resp[i]);
  }
  curl_multi_cleanup(m);
  curl_slist_free_all(hl);
  free(easy);
  free(resp);
  return running ? -1 : 0;
}

double serve_metric(const char *text, const char *name, const char *label) {
  size_t nl = strlen(name);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
    if (strncmp(p, name, nl) != 0 || (p[nl] != '{' && p[nl] != ' ')) continue;
    const char *eol = strchr(p, '\n');
    size_t ll = eol ? (size_t)(eol - p) : strlen(p);
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(ll < sizeof line ? ll : sizeof line - 1), p);
    if (label && *label && !strstr(line, label)) continue;
    const char *sp = strrchr(line, ' ');
    return sp ? strtod(sp + 1, NULL) : -1;
  }
  return -1;
}
