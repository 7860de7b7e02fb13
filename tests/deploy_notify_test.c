/* systemd Type=notify contract of `blockfuse serve`, as
 * deploy/systemd/blockfuse.service relies on it. The test owns an AF_UNIX
 * datagram socket and hands it to the daemon as NOTIFY_SOCKET, as systemd
 * would, then checks:
 *   - READY=1 arrives once, and only when /v2/health/ready answers 200
 *     (before it, readiness was observed as not ready: loading is gated);
 *   - WATCHDOG=1 pings arrive at WatchdogSec/2 when WATCHDOG_USEC is set;
 *   - nothing says STOPPING before SIGTERM. SIGTERM arrives while a request
 *     is still queued (a 30 s batch delay and room for 8 hold it): STOPPING=1
 *     must arrive before that request's answer, readiness is gone while it
 *     drains (listener closed or 503), the request is still answered 200
 *     (flushed, not dropped), and the process exits 0. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/deploy_daemon_test.h"
#include "tests/test_support.h"
#include "model/timing.h"

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

/* Opens a connection to the daemon and writes a whole /v1 classify request
 * (panda.jpg) on it without reading the answer. Returns the socket. */
static int send_classify(int port) {
  size_t len;
  uint8_t *img = test_read_file(test_runfile("efficientnet_b0_tfjs/panda.jpg"), &len);
  assert_non_null(img);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  char head[256];
  int n = snprintf(head, sizeof head,
                   "POST /v1/models/efficientnet_b0:classify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Content-Type: image/jpeg\r\nContent-Length: %zu\r\n\r\n",
                   len);
  assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
  for (size_t off = 0; off < len;) {
    ssize_t w = send(fd, img + off, len - off, MSG_NOSIGNAL);
    assert_true(w > 0);
    off += (size_t)w;
  }
  free(img);
  return fd;
}

/* nv_inference_pending_request_count of the model (queued or running). */
static double pending_requests(int port) {
  char *text = malloc(1 << 20);
  assert_non_null(text);
  assert_int_equal(deploy_http_get(port, "/metrics", text, 1 << 20), 200);
  double v =
      deploy_metric_sum(text, "nv_inference_pending_request_count", "model=\"efficientnet_b0\"");
  free(text);
  return v;
}

/* True if the daemon's log has a "draining" line that counts in_flight=1. */
static int log_drained_one(const deploy_daemon *d) {
  FILE *f = fopen(d->log_path, "r");
  if (!f) return 0;
  char line[1024];
  int found = 0;
  while (!found && fgets(line, sizeof line, f))
    found = strstr(line, "draining") && strstr(line, "in_flight=1 ");
  fclose(f);
  return found;
}

static void test_notify_ready_watchdog_stopping(void **state) {
  (void)state;
  char env_sock[128];
  int fd = notify_socket(env_sock, sizeof env_sock);
  const char *env[] = {env_sock, "WATCHDOG_USEC=400000", "WATCHDOG_PID=self", NULL};
  /* A partial batch waits up to 30 s to fill to 8 and requests have no
   * deadline: a lone request stays queued until SIGTERM flushes it. */
  const char *args[] = {"--grace-period-s",
                        "5",
                        "--log-level",
                        "info",
                        "--max-queue-delay-us",
                        "30000000",
                        "--max-batch-size",
                        "8",
                        "--default-timeout-us",
                        "0",
                        NULL};
  deploy_daemon d;
  assert_int_equal(deploy_daemon_start(&d, env, args, 20000), 0);

  /* Until READY=1: poll readiness between datagrams. */
  char msg[512];
  int not_ready_seen = 0, ready_msgs = 0, watchdogs = 0;
  long long deadline = bf_now_ms() + 120000;
  while (!ready_msgs && bf_now_ms() < deadline) {
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
  long long until = bf_now_ms() + 1200;
  while (bf_now_ms() < until) {
    if (!recv_msg(fd, msg, sizeof msg, 50)) continue;
    assert_false(has_line(msg, "READY=1")); /* exactly once */
    assert_false(has_line(msg, "STOPPING=1"));
    watchdogs += has_line(msg, "WATCHDOG=1");
  }
  print_message("watchdog pings: %d\n", watchdogs);
  assert_true(watchdogs >= 3);

  /* One request in flight: written whole, queued in the scheduler (the
   * pending gauge says 1), and unanswered. */
  int http = send_classify(d.port);
  double pending = 0;
  deadline = bf_now_ms() + 10000;
  while (bf_now_ms() < deadline && (pending = pending_requests(d.port)) != 1) {
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
  }
  assert_true(pending == 1);
  struct pollfd hp = {http, POLLIN, 0};
  assert_int_equal(poll(&hp, 1, 200), 0); /* held by the batch delay */

  /* SIGTERM: STOPPING=1 first, readiness gone, then the queued request is
   * flushed and answered, then exit 0. sd_notify() runs before the flush, so
   * with a correct daemon, whenever one poll() sees the answer readable it
   * also sees the datagram queued (or it was read in an earlier round). */
  assert_int_equal(kill(d.pid, SIGTERM), 0);
  long long t_term = bf_now_ms(), t_stopping = -1, t_answer = -1;
  char resp[65536];
  size_t resp_len = 0;
  int eof = 0;
  deadline = bf_now_ms() + 10000;
  while (!eof && bf_now_ms() < deadline) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {http, POLLIN, 0}};
    if (poll(p, 2, 100) <= 0) continue;
    int seen_before = t_stopping >= 0, notify_queued = (p[0].revents & POLLIN) != 0;
    while (recv_msg(fd, msg, sizeof msg, 0)) {
      if (has_line(msg, "STOPPING=1") && t_stopping < 0) {
        t_stopping = bf_now_ms();
        /* Draining: readiness is gone. */
        assert_int_not_equal(deploy_http_get(d.port, "/v2/health/ready", NULL, 0), 200);
      }
    }
    if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    if (t_answer < 0 && !seen_before && !(notify_queued && t_stopping >= 0)) {
      deploy_daemon_dump_log(&d);
      fail_msg("the in-flight request was answered before STOPPING=1 arrived");
    }
    if (t_answer < 0) t_answer = bf_now_ms();
    ssize_t got = recv(http, resp + resp_len, sizeof resp - 1 - resp_len, MSG_DONTWAIT);
    if (got > 0) resp_len += (size_t)got;
    if (got == 0 || resp_len + 1 >= sizeof resp) eof = 1;
    if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) eof = 1;
  }
  resp[resp_len] = '\0';
  close(http);
  print_message("SIGTERM -> STOPPING=1 %lld ms, -> answer %lld ms (%zu bytes)\n",
                t_stopping - t_term, t_answer - t_term, resp_len);
  assert_true(t_stopping >= 0);
  if (strncmp(resp, "HTTP/1.1 200", 12) != 0 || !strstr(resp, "panda")) {
    deploy_daemon_dump_log(&d);
    fail_msg("the queued request was not answered 200 with its result: %.300s", resp);
  }
  assert_true(t_answer >= t_stopping);
  assert_true(log_drained_one(&d)); /* the daemon saw it in flight at SIGTERM */
  int status = -1;
  deadline = bf_now_ms() + 10000;
  while (bf_now_ms() < deadline) {
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
