/* The daemon under load (real binary, CPU backend, real model): batches form
 * under 64 concurrent clients, a full queue answers 503 at once, and SIGTERM
 * with requests in flight answers every one of them and exits 0. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "tests/serve_harness.h"
#include "tests/test_support.h"

#define INFER "/v2/models/efficientnet_b0/infer"

/* A v2 binary request of one random UINT8 224x224 image: no JPEG decode,
 * so the scheduler is what the test exercises. */
typedef struct {
  uint8_t *body;
  size_t len;
  char hlen[80];
  const char *hdrs[3];
} tensor_req;

static void tensor_req_init(tensor_req *t) {
  size_t px = 224 * 224 * 3;
  char hdr[300];
  int hl =
      snprintf(hdr, sizeof hdr,
               "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,224,224,3],"
               "\"parameters\":{\"binary_data_size\":%zu}}],\"parameters\":{\"classification\":1}}",
               px);
  t->len = (size_t)hl + px;
  t->body = malloc(t->len);
  memcpy(t->body, hdr, (size_t)hl);
  float *r = malloc(sizeof(float) * px);
  test_fill_random(r, px, 0, 256);
  for (size_t i = 0; i < px; i++) t->body[hl + i] = (uint8_t)r[i];
  free(r);
  snprintf(t->hlen, sizeof t->hlen, "Inference-Header-Content-Length: %d", hl);
  t->hdrs[0] = "Content-Type: application/octet-stream";
  t->hdrs[1] = t->hlen;
  t->hdrs[2] = NULL;
}

static double metric(serve_daemon *d, const char *name, const char *label) {
  serve_resp r;
  serve_http(d, "GET", "/metrics", NULL, NULL, 0, &r);
  double v = r.status == 200 ? serve_metric(r.body, name, label) : -1;
  serve_resp_free(&r);
  return v;
}

/* 64 concurrent clients: every request succeeds and some batch holds more
 * than one image, which the batch-size histogram shows. */
static void test_batching_64_clients(void **state) {
  serve_daemon d;
  const char *extra[] = {"--max-batch-size=16", "--max-queue-delay-us=20000", NULL};
  assert_int_equal(serve_daemon_start(&d, extra), 0);
  tensor_req t;
  tensor_req_init(&t);
  long st[64];
  assert_int_equal(serve_http_many(&d, INFER, t.hdrs, t.body, t.len, 64, st), 0);
  for (int i = 0; i < 64; i++) assert_int_equal(st[i], 200);
  double count = metric(&d, "blockfuse_batch_size_count", "");
  double sum = metric(&d, "blockfuse_batch_size_sum", "");
  double ones = metric(&d, "blockfuse_batch_size_bucket", "le=\"1\"");
  fprintf(stderr, "batches %g, images %g, batches of 1: %g\n", count, sum, ones);
  assert_true(sum >= 64);
  assert_true(count < sum);  /* mean batch > 1 */
  assert_true(ones < count); /* at least one batch > 1 */
  assert_true(metric(&d, "nv_inference_request_success", "") >= 64);
  assert_true(metric(&d, "nv_inference_exec_count", "") == count);
  free(t.body);
  assert_int_equal(serve_daemon_signal_wait(&d, SIGTERM, 30), 0);
}

typedef struct {
  serve_daemon *d;
  tensor_req *t;
  long status;
} bg_req;

static void *bg_post(void *arg) {
  bg_req *b = arg;
  serve_resp r;
  serve_http(b->d, "POST", INFER, b->t->hdrs, b->t->body, b->t->len, &r);
  b->status = r.status;
  serve_resp_free(&r);
  return NULL;
}

/* Starts n POSTs of t, each on its own thread; post_join waits for them. */
static void post_start(serve_daemon *d, tensor_req *t, bg_req *bg, pthread_t *th, int n) {
  for (int i = 0; i < n; i++) {
    bg[i] = (bg_req){d, t, 0};
    pthread_create(&th[i], NULL, bg_post, &bg[i]);
  }
}

static void post_join(pthread_t *th, int n) {
  for (int i = 0; i < n; i++) pthread_join(th[i], NULL);
}

/* Waits until the pending gauge reaches n (the requests are queued). */
static void wait_pending(serve_daemon *d, int n) {
  for (int i = 0; i < 400; i++) {
    if (metric(d, "nv_inference_pending_request_count", "") >= n) return;
    usleep(10000);
  }
  fail_msg("pending requests never reached %d", n);
}

/* A queue of 2 held by a 3 s batch delay: the third request gets 503 with
 * Retry-After in under 50 ms; the two queued ones still succeed. */
static void test_queue_full_503(void **state) {
  serve_daemon d;
  const char *extra[] = {"--max-batch-size=8", "--max-queue-size=2", "--max-queue-delay-us=3000000",
                         NULL};
  assert_int_equal(serve_daemon_start(&d, extra), 0);
  tensor_req t;
  tensor_req_init(&t);
  bg_req bg[2];
  pthread_t th[2];
  post_start(&d, &t, bg, th, 2);
  wait_pending(&d, 2);
  serve_resp r;
  serve_http(&d, "POST", INFER, t.hdrs, t.body, t.len, &r);
  fprintf(stderr, "queue full answered %ld in %.1f ms\n", r.status, r.seconds * 1e3);
  assert_int_equal(r.status, 503);
  assert_true(r.seconds < 0.050);
  assert_string_equal(r.retry_after, "1");
  assert_non_null(strstr(r.body, "queue is full"));
  serve_resp_free(&r);
  post_join(th, 2);
  for (int i = 0; i < 2; i++) assert_int_equal(bg[i].status, 200);
  assert_true(metric(&d, "nv_inference_request_failure", "REJECTED") >= 1);
  free(t.body);
  assert_int_equal(serve_daemon_signal_wait(&d, SIGTERM, 30), 0);
}

/* A deadline shorter than the batch delay: 504, counted as REJECTED. */
static void test_deadline_504(void **state) {
  serve_daemon d;
  const char *extra[] = {"--max-batch-size=8", "--max-queue-delay-us=400000",
                         "--default-timeout-us=100000", NULL};
  assert_int_equal(serve_daemon_start(&d, extra), 0);
  tensor_req t;
  tensor_req_init(&t);
  serve_resp r;
  serve_http(&d, "POST", INFER, t.hdrs, t.body, t.len, &r);
  assert_int_equal(r.status, 504);
  serve_resp_free(&r);
  assert_true(metric(&d, "blockfuse_scheduler_timeouts", "") >= 1);
  free(t.body);
  assert_int_equal(serve_daemon_signal_wait(&d, SIGTERM, 30), 0);
}

static int connect_port(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
  close(fd);
  return rc;
}

/* Queues 8 requests (held by the daemon's batch delay), sends SIGTERM: no
 * listener accepts any more (8 tries, each of which may reach any loop's
 * listener), all 8 are answered 200, and the daemon exits 0. */
static void drain_eight(serve_daemon *d, tensor_req *t) {
  bg_req bg[8];
  pthread_t th[8];
  post_start(d, t, bg, th, 8);
  wait_pending(d, 8);
  kill(d->pid, SIGTERM);
  usleep(150000);
  for (int i = 0; i < 8; i++) assert_int_not_equal(connect_port(d->port), 0);
  post_join(th, 8);
  for (int i = 0; i < 8; i++) assert_int_equal(bg[i].status, 200);
  assert_int_equal(serve_daemon_signal_wait(d, 0, 30), 0);
}

/* SIGTERM with 8 requests queued: new connections are refused, all 8 are
 * answered 200, and the daemon exits 0. */
static void test_sigterm_drains(void **state) {
  serve_daemon d;
  const char *extra[] = {"--max-batch-size=16", "--max-queue-delay-us=1500000", NULL};
  assert_int_equal(serve_daemon_start(&d, extra), 0);
  tensor_req t;
  tensor_req_init(&t);
  drain_eight(&d, &t);
  free(t.body);
}

/* --http-threads 3: three event loops share the port. 64 clients are all
 * answered, the loops' counters add up in one /metrics, more than one loop
 * served; then SIGTERM with 8 requests queued across the loops closes every
 * listener, answers all 8 and exits 0. */
static void test_http_loops(void **state) {
  serve_daemon d;
  /* the delay holds the 8 requests of the drain; the 64 fill batches at once */
  const char *extra[] = {"--http-threads=3", "--max-batch-size=16", "--max-queue-delay-us=1500000",
                         NULL};
  assert_int_equal(serve_daemon_start(&d, extra), 0);
  tensor_req t;
  tensor_req_init(&t);
  long st[64];
  assert_int_equal(serve_http_many(&d, INFER, t.hdrs, t.body, t.len, 64, st), 0);
  for (int i = 0; i < 64; i++) assert_int_equal(st[i], 200);
  assert_true(metric(&d, "nv_inference_request_success", "") == 64);
  int serving = 0;
  double total = 0;
  for (int l = 0; l < 3; l++) {
    char lbl[32];
    snprintf(lbl, sizeof lbl, "loop=\"%d\"", l);
    double v = metric(&d, "blockfuse_http_loop_responses", lbl);
    assert_true(v >= 0); /* every loop reports */
    serving += v > 0;
    total += v;
  }
  fprintf(stderr, "%d of 3 loops served, %g responses\n", serving, total);
  assert_true(serving >= 2);
  assert_true(total >= 64);
  assert_true(metric(&d, "blockfuse_http_loop_responses", "loop=\"3\"") < 0);

  drain_eight(&d, &t);
  free(t.body);
}

/* Grace period 0: what is still queued when the drain starts is answered
 * 503 (cancelled), what runs finishes with 200; nothing goes unanswered and
 * the exit status is 0. */
static void test_grace_expiry_cancels_queued(void **state) {
  /* Batches of 4 and a 3 s batch delay: four requests run as soon as they
   * are there, the other two wait in the queue. This holds whatever the
   * backend's speed, so the test means the same on the CPU and the GPU. */
  serve_daemon d;
  const char *extra[] = {"--max-batch-size=4", "--max-queue-delay-us=3000000", "--grace-period-s=0",
                         NULL};
  assert_int_equal(serve_daemon_start(&d, extra), 0);
  tensor_req t;
  tensor_req_init(&t);
  bg_req bg[6];
  pthread_t th[6];
  post_start(&d, &t, bg, th, 6);
  for (int i = 0; i < 400 && metric(&d, "nv_inference_request_success", "") < 4; i++) usleep(10000);
  wait_pending(&d, 2);
  kill(d.pid, SIGTERM);
  int ok = 0, cancelled = 0;
  post_join(th, 6);
  for (int i = 0; i < 6; i++) {
    ok += bg[i].status == 200;
    cancelled += bg[i].status == 503;
  }
  fprintf(stderr, "grace 0: %d answered 200, %d cancelled 503\n", ok, cancelled);
  assert_int_equal(ok, 4);
  assert_int_equal(cancelled, 2);
  assert_int_equal(serve_daemon_signal_wait(&d, 0, 30), 0);
  free(t.body);
}

/* The notify socket, read by a thread from before the daemon starts: a slow
 * model load (the cuda backend tunes its plans for seconds per executor)
 * sends watchdog pings that would otherwise fill the socket's datagram
 * queue (10 on some hosts) and block the daemon's sd_notify before READY=1
 * is read. Every datagram is appended to `seen`. */
typedef struct {
  int fd, stop;
  char seen[16384];
  size_t len;
  pthread_mutex_t mu;
} notify_reader;

static void *notify_read_loop(void *arg) {
  notify_reader *r = arg;
  for (;;) {
    pthread_mutex_lock(&r->mu);
    const int stop = r->stop;
    pthread_mutex_unlock(&r->mu);
    if (stop) return NULL;
    char buf[512];
    const ssize_t n = recv(r->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    if (n <= 0) {
      usleep(5000);
      continue;
    }
    pthread_mutex_lock(&r->mu);
    if (r->len + (size_t)n + 2 < sizeof r->seen) {
      memcpy(r->seen + r->len, buf, (size_t)n);
      r->len += (size_t)n;
      r->seen[r->len++] = '\n';
      r->seen[r->len] = 0;
    }
    pthread_mutex_unlock(&r->mu);
  }
}

/* Waits until a datagram received at or after offset *from contains `want`;
 * moves *from past it. 0, or -1 after timeout_ms. */
static int recv_notify(notify_reader *r, size_t *from, const char *want, int timeout_ms) {
  for (int waited = 0; waited < timeout_ms; waited += 10) {
    pthread_mutex_lock(&r->mu);
    const char *hit = *from < r->len ? strstr(r->seen + *from, want) : NULL;
    if (hit) *from = (size_t)(hit - r->seen) + strlen(want);
    pthread_mutex_unlock(&r->mu);
    if (hit) return 0;
    usleep(10000);
  }
  return -1;
}

/* systemd integration: READY=1 once ready, WATCHDOG=1 pings at half the
 * WATCHDOG_USEC interval, STOPPING=1 when the drain begins, in that order. */
static void test_sd_notify(void **state) {
  static notify_reader r = {.fd = -1, .mu = PTHREAD_MUTEX_INITIALIZER};
  r.fd = socket(AF_UNIX, SOCK_DGRAM, 0), r.stop = 0, r.len = 0, r.seen[0] = 0;
  assert_true(r.fd >= 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  /* sun_path holds 108 bytes; Bazel's TEST_TMPDIR can be longer. */
  snprintf(a.sun_path, sizeof a.sun_path, "/tmp/bf-notify-%d", (int)getpid());
  unlink(a.sun_path);
  assert_int_equal(bind(r.fd, (struct sockaddr *)&a, sizeof a), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, notify_read_loop, &r), 0);
  setenv("NOTIFY_SOCKET", a.sun_path, 1);
  setenv("WATCHDOG_USEC", "1000000", 1); /* pings every 0.5 s */
  serve_daemon d;
  int rc = serve_daemon_start(&d, NULL);
  unsetenv("NOTIFY_SOCKET");
  unsetenv("WATCHDOG_USEC");
  assert_int_equal(rc, 0);
  size_t at = 0;
  assert_int_equal(recv_notify(&r, &at, "READY=1", 2000), 0);
  assert_int_equal(recv_notify(&r, &at, "WATCHDOG=1", 1500), 0);
  kill(d.pid, SIGTERM);
  assert_int_equal(recv_notify(&r, &at, "STOPPING=1", 2000), 0);
  assert_int_equal(serve_daemon_signal_wait(&d, 0, 30), 0);
  pthread_mutex_lock(&r.mu);
  r.stop = 1;
  pthread_mutex_unlock(&r.mu);
  pthread_join(th, NULL);
  close(r.fd);
  unlink(a.sun_path);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_batching_64_clients),
      cmocka_unit_test(test_queue_full_503),
      cmocka_unit_test(test_deadline_504),
      cmocka_unit_test(test_sigterm_drains),
      cmocka_unit_test(test_http_loops),
      cmocka_unit_test(test_grace_expiry_cancels_queued),
      cmocka_unit_test(test_sd_notify),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
