/* systemd Type=notify contract of `blockfuse serve`, as
 * deploy/systemd/blockfuse.service relies on it. The test owns an AF_UNIX
 * datagram socket and hands it to the daemon as NOTIFY_SOCKET, as systemd
 * would, then checks:
 *   - READY=1 arrives once, and only when /v2/health/ready answers 200
 *     (before it, readiness was observed as not ready: loading is gated);
 *   - WATCHDOG=1 pings arrive at WatchdogSec/2 when WATCHDOG_USEC is set;
 *   - nothing says STOPPING before SIGTERM; after it STOPPING=1 arrives,
 *     readiness is gone (listener closed or 503) and the process exits 0. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/deploy_daemon_test.h"
#include "tests/test_support.h"

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Binds an abstract-namespace datagram socket (no path-length or cleanup
 * issues) and writes its NOTIFY_SOCKET form ("@name") into env. */
static int notify_socket(char *env, size_t cap) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  assert_true(fd >= 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  char name[64];
  int n = snprintf(name, sizeof name, "blockfuse-notify-test-%d-%llu", (int)getpid(),
                   (unsigned long long)test_seed());
  memcpy(a.sun_path + 1, name, (size_t)n); /* sun_path[0] = 0: abstract */
  assert_int_equal(bind(fd, (struct sockaddr *)&a,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n)),
                   0);
  snprintf(env, cap, "NOTIFY_SOCKET=@%s", name);
  return fd;
}

/* Waits up to ms for one datagram; returns its length (0 on timeout). */
static int recv_msg(int fd, char *buf, size_t cap, int ms) {
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, ms) <= 0) return 0;
  ssize_t n = recv(fd, buf, cap - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  return (int)n;
}

/* True if the datagram holds the line `line` (messages are KEY=VALUE lines). */
static int has_line(const char *msg, const char *line) {
  size_t n = strlen(line);
  for (const char *p = msg; p && *p;) {
    if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0')) return 1;
    p = strchr(p, '\n');
    if (p) p++;
  }
  return 0;
}

static void test_notify_ready_watchdog_stopping(void **state) {
  (void)state;
  char env_sock[128];
  int fd = notify_socket(env_sock, sizeof env_sock);
  const char *env[] = {env_sock, "WATCHDOG_USEC=400000", "WATCHDOG_PID=self", NULL};
  const char *args[] = {"--grace-period-s", "5", "--log-level", "info", NULL};
  deploy_daemon d;
  assert_int_equal(deploy_daemon_start(&d, env, args, 20000), 0);

  /* Until READY=1: poll readiness between datagrams. */
  char msg[512];
  int not_ready_seen = 0, ready_msgs = 0, watchdogs = 0;
  long long deadline = now_ms() + 120000;
  while (!ready_msgs && now_ms() < deadline) {
    int st = deploy_http_get(d.port, "/v2/health/ready", NULL, 0);
    if (st != 200) not_ready_seen++;
    if (!recv_msg(fd, msg, sizeof msg, 5)) continue;
    assert_false(has_line(msg, "STOPPING=1"));
    watchdogs += has_line(msg, "WATCHDOG=1");
    if (has_line(msg, "READY=1")) {
      ready_msgs++;
      /* The moment READY=1 is seen, readiness must already be true. */
      int now = deploy_http_get(d.port, "/v2/health/ready", NULL, 0);
      if (now != 200) {
        deploy_daemon_dump_log(&d);
        fail_msg("READY=1 arrived but /v2/health/ready answers %d", now);
      }
    }
  }
  if (!ready_msgs) deploy_daemon_dump_log(&d);
  assert_int_equal(ready_msgs, 1);
  print_message("readiness was polled not-ready %d times before READY=1\n", not_ready_seen);
  assert_true(not_ready_seen >= 1);
  assert_int_equal(deploy_http_get(d.port, "/v2/health/live", NULL, 0), 200);

  /* Watchdog pings every WATCHDOG_USEC/2 = 200 ms: at least 3 within 1.2 s. */
  long long until = now_ms() + 1200;
  while (now_ms() < until) {
    if (!recv_msg(fd, msg, sizeof msg, 50)) continue;
    assert_false(has_line(msg, "READY=1")); /* exactly once */
    assert_false(has_line(msg, "STOPPING=1"));
    watchdogs += has_line(msg, "WATCHDOG=1");
  }
  print_message("watchdog pings: %d\n", watchdogs);
  assert_true(watchdogs >= 3);

  /* SIGTERM: STOPPING=1, then readiness gone, then exit 0. */
  assert_int_equal(kill(d.pid, SIGTERM), 0);
  int stopping = 0;
  deadline = now_ms() + 10000;
  while (!stopping && now_ms() < deadline) {
    if (recv_msg(fd, msg, sizeof msg, 50)) stopping = has_line(msg, "STOPPING=1");
  }
  assert_true(stopping);
  assert_int_not_equal(deploy_http_get(d.port, "/v2/health/ready", NULL, 0), 200);
  int status = -1;
  deadline = now_ms() + 10000;
  while (now_ms() < deadline) {
    int st;
    if (waitpid(d.pid, &st, WNOHANG) == d.pid) {
      status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      d.pid = 0;
      break;
    }
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  if (status != 0) deploy_daemon_dump_log(&d);
  assert_int_equal(status, 0);
  close(fd);
}

/* Without NOTIFY_SOCKET (containers, plain shells) the daemon runs the same:
 * sd_notify is a no-op. */
static void test_no_notify_socket(void **state) {
  (void)state;
  unsetenv("NOTIFY_SOCKET");
  deploy_daemon d;
  assert_int_equal(deploy_daemon_start(&d, NULL, NULL, 20000), 0);
  assert_int_equal(deploy_daemon_wait_ready(&d, 120000), 0);
  assert_int_equal(deploy_daemon_stop(&d, 15000), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_notify_ready_watchdog_stopping),
      cmocka_unit_test(test_no_notify_socket),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
