/* Helpers for deploy tests that run the real daemon (see the header). */
#define _GNU_SOURCE
#include "tests/deploy_daemon_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/test_support.h"
#include "model/timing.h"

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Reads the port file once the daemon has renamed it into place. */
static int read_port(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int port = -1;
  if (fscanf(f, "%d", &port) != 1) port = -1;
  fclose(f);
  return port;
}

int deploy_daemon_start(deploy_daemon *d, const char *const *extra_env,
                        const char *const *extra_args, int timeout_ms) {
  memset(d, 0, sizeof *d);
  const char *tmp = getenv("TEST_TMPDIR");
  snprintf(d->dir, sizeof d->dir, "%s/bfdaemon.XXXXXX", tmp ? tmp : "/tmp");
  if (!mkdtemp(d->dir)) return -errno;
  snprintf(d->port_file, sizeof d->port_file, "%s/port", d->dir);
  snprintf(d->log_path, sizeof d->log_path, "%s/daemon.log", d->dir);
  char model[4096];
  snprintf(model, sizeof model, "%s", test_runfile("blockfuse/models/efficientnet_b0"));
  const char *bin = test_runfile("blockfuse/server/blockfuse");
  const char *argv[64] = {bin,           "serve",      "--host",    "127.0.0.1", "--port",  "0",
                          "--port-file", d->port_file, "--backend", "cpu",       "--model", model};
  int argc = 12;
  for (int i = 0; extra_args && extra_args[i] && argc < 62; i++) argv[argc++] = extra_args[i];
  argv[argc] = NULL;
  int log_fd = open(d->log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (log_fd < 0) return -errno;
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return -errno;
  }
  if (pid == 0) {
    dup2(log_fd, STDERR_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    for (int i = 0; extra_env && extra_env[i]; i++) {
      if (strcmp(extra_env[i], "WATCHDOG_PID=self") == 0) {
        char v[32];
        snprintf(v, sizeof v, "%d", (int)getpid());
        setenv("WATCHDOG_PID", v, 1);
      } else {
        putenv((char *)extra_env[i]);
      }
    }
    execv(bin, (char *const *)argv);
    fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
    _exit(127);
  }
  close(log_fd);
  d->pid = pid;
  long long deadline = bf_now_ms() + timeout_ms;
  while (bf_now_ms() < deadline) {
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) {
      d->pid = 0;
      deploy_daemon_dump_log(d);
      return -ECHILD;
    }
    if ((d->port = read_port(d->port_file)) > 0) return 0;
    sleep_ms(10);
  }
  deploy_daemon_dump_log(d);
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  d->pid = 0;
  return -ETIMEDOUT;
}

int deploy_daemon_wait_ready(const deploy_daemon *d, int timeout_ms) {
  long long deadline = bf_now_ms() + timeout_ms;
  while (bf_now_ms() < deadline) {
    if (deploy_http_get(d->port, "/v2/health/ready", NULL, 0) == 200) return 0;
    sleep_ms(20);
  }
  return -ETIMEDOUT;
}

int deploy_daemon_stop(deploy_daemon *d, int timeout_ms) {
  if (d->pid <= 0) return -ECHILD;
  kill(d->pid, SIGTERM);
  long long deadline = bf_now_ms() + timeout_ms;
  int st = 0;
  while (bf_now_ms() < deadline) {
    pid_t r = waitpid(d->pid, &st, WNOHANG);
    if (r == d->pid) {
      d->pid = 0;
      if (WIFEXITED(st)) return WEXITSTATUS(st);
      return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : -EINVAL;
    }
    sleep_ms(10);
  }
  kill(d->pid, SIGKILL);
  waitpid(d->pid, NULL, 0);
  d->pid = 0;
  return -ETIMEDOUT;
}

void deploy_daemon_dump_log(const deploy_daemon *d) {
  FILE *f = fopen(d->log_path, "r");
  if (!f) return;
  char line[1024];
  fprintf(stderr, "---- daemon log %s ----\n", d->log_path);
  while (fgets(line, sizeof line, f)) fputs(line, stderr);
  fprintf(stderr, "---- end of daemon log ----\n");
  fclose(f);
}

int deploy_http_get(int port, const char *path, char *body, size_t cap) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
  if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
    int e = errno ? errno : EIO;
    close(fd);
    return -e;
  }
  size_t len = 0, bufcap = 1 << 16;
  char *buf = malloc(bufcap);
  if (!buf) {
    close(fd);
    return -ENOMEM;
  }
  for (;;) {
    if (len + 1 >= bufcap) {
      char *nb = realloc(buf, bufcap * 2);
      if (!nb) break;
      buf = nb;
      bufcap *= 2;
    }
    ssize_t got = recv(fd, buf + len, bufcap - len - 1, 0);
    if (got <= 0) break;
    len += (size_t)got;
  }
  close(fd);
  buf[len] = '\0';
  int status = -EPROTO;
  if (len > 12 && strncmp(buf, "HTTP/1.", 7) == 0) status = atoi(buf + 9);
  if (body && cap) {
    const char *b = strstr(buf, "\r\n\r\n");
    snprintf(body, cap, "%s", b ? b + 4 : "");
  }
  free(buf);
  return status;
}

double deploy_metric(const char *text, const char *series) {
  size_t n = strlen(series);
  for (const char *p = text; p && *p;) {
    if (strncmp(p, series, n) == 0 && p[n] == ' ') return strtod(p + n + 1, NULL);
    p = strchr(p, '\n');
    if (p) p++;
  }
  return NAN;
}

double deploy_metric_sum(const char *text, const char *name, const char *label_sub) {
  size_t n = strlen(name);
  double sum = 0;
  int found = 0;
  for (const char *p = text; p && *p;) {
    const char *eol = strchr(p, '\n');
    if (*p != '#' && strncmp(p, name, n) == 0 && (p[n] == '{' || p[n] == ' ')) {
      const char *sp = p[n] == '{' ? strchr(p, '}') : p + n;
      int match = 1;
      if (label_sub) {
        char labels[512];
        size_t ll = sp && sp > p + n ? (size_t)(sp - (p + n)) : 0;
        if (ll >= sizeof labels) ll = sizeof labels - 1;
        memcpy(labels, p + n, ll);
        labels[ll] = '\0';
        match = strstr(labels, label_sub) != NULL;
      }
      if (match && sp) {
        const char *v = strchr(sp, ' ');
        if (v) {
          sum += strtod(v + 1, NULL);
          found = 1;
        }
      }
    }
    p = eol ? eol + 1 : NULL;
  }
  return found ? sum : NAN;
}
