/* `blockfuse loadgen` against the real daemon on loopback (CPU backend, the
 * real model): for each payload kind and load mode, loadgen's own figures
 * (its --json summary) must agree with the daemon's /metrics counters over
 * the same window: successes, inferences, errors by status class; and the
 * client-side latency brackets the server-side duration: never below it,
 * never far above it (mean), and its median lies in the server histogram's
 * median bucket or the one above. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/deploy_daemon_test.h"
#include "tests/test_support.h"

/* One daemon serves the whole group; *state points at it. */
static int setup(void **state) {
  deploy_daemon *d = calloc(1, sizeof *d);
  const char *args[] = {"--max-queue-delay-us", "5000", "--log-level", "warn", NULL};
  if (!d || deploy_daemon_start(d, NULL, args, 20000) != 0) return -1;
  *state = d;
  if (deploy_daemon_wait_ready(d, 120000) != 0) {
    deploy_daemon_dump_log(d);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  deploy_daemon *d = *state;
  int rc = deploy_daemon_stop(d, 20000);
  if (rc != 0) deploy_daemon_dump_log(d);
  free(d);
  return rc == 0 ? 0 : -1;
}

#define MAX_BUCKETS 40

typedef struct {
  double success, failure, inferences, duration_us, http_2xx, http_4xx, http_5xx;
  /* blockfuse_request_duration_us: bucket upper bounds (le, +Inf last) and
   * cumulative counts, in the order the server writes them. */
  double le[MAX_BUCKETS], cum[MAX_BUCKETS];
  int n_buckets;
} counters;

/* Reads the cumulative buckets of blockfuse_request_duration_us for the
 * model into c (any bucket layout the server chooses; le="+Inf" is INFINITY). */
static void scrape_buckets(const char *text, counters *c) {
  const char *name = "blockfuse_request_duration_us_bucket{";
  c->n_buckets = 0;
  for (const char *p = strstr(text, name); p; p = strstr(p + 1, name)) {
    const char *eol = strchr(p, '\n'), *close = strchr(p, '}');
    const char *le = strstr(p, "le=\"");
    const char *model = strstr(p, "model=\"efficientnet_b0\"");
    assert_non_null(close);
    if (!le || le > close || !model || model > close || (eol && close > eol)) continue;
    assert_true(c->n_buckets < MAX_BUCKETS);
    le += 4;
    c->le[c->n_buckets] = strncmp(le, "+Inf", 4) == 0 ? INFINITY : strtod(le, NULL);
    c->cum[c->n_buckets] = strtod(close + 1, NULL);
    if (c->n_buckets > 0) assert_true(c->le[c->n_buckets] > c->le[c->n_buckets - 1]);
    c->n_buckets++;
  }
  assert_true(c->n_buckets >= 2);
  assert_true(isinf(c->le[c->n_buckets - 1]));
}

/* Scrapes the counters this test compares. */
static counters scrape(const deploy_daemon *d) {
  char *text = malloc(1 << 20);
  assert_non_null(text);
  assert_int_equal(deploy_http_get(d->port, "/metrics", text, 1 << 20), 200);
  const char *m = "model=\"efficientnet_b0\"";
  counters c = {
      .success = deploy_metric_sum(text, "nv_inference_request_success", m),
      .failure = deploy_metric_sum(text, "nv_inference_request_failure", m),
      .inferences = deploy_metric_sum(text, "nv_inference_count", m),
      .duration_us = deploy_metric_sum(text, "nv_inference_request_duration_us", m),
      .http_2xx = deploy_metric_sum(text, "blockfuse_http_responses", "code=\"2xx\""),
      .http_4xx = deploy_metric_sum(text, "blockfuse_http_responses", "code=\"4xx\""),
      .http_5xx = deploy_metric_sum(text, "blockfuse_http_responses", "code=\"5xx\""),
  };
  assert_false(isnan(c.success) || isnan(c.inferences) || isnan(c.duration_us) ||
               isnan(c.http_2xx) || isnan(c.http_4xx));
  scrape_buckets(text, &c);
  free(text);
  if (isnan(c.failure)) c.failure = 0;
  if (isnan(c.http_5xx)) c.http_5xx = 0;
  return c;
}

/* Runs `blockfuse loadgen ARGS... URL --json FILE -q`; returns its exit
 * status and the parsed summary in *out (caller decrefs). */
static int loadgen(const deploy_daemon *d, json_t **out, const char *a0, ...) {
  char url[64], json_path[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", d->port);
  snprintf(json_path, sizeof json_path, "%s/loadgen.json", d->dir);
  const char *argv[40] = {
      test_runfile("blockfuse/server/blockfuse"), "loadgen", "-q", "--json", json_path, url};
  int argc = 6;
  va_list ap;
  va_start(ap, a0);
  for (const char *a = a0; a && argc < 38; a = va_arg(ap, const char *)) argv[argc++] = a;
  va_end(ap);
  argv[argc] = NULL;
  unlink(json_path);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  json_error_t jerr;
  *out = json_load_file(json_path, 0, &jerr);
  if (!*out) fail_msg("loadgen wrote no JSON summary (%s), exit %d", jerr.text, WEXITSTATUS(st));
  return WEXITSTATUS(st);
}

static double jnum(json_t *o, const char *path) {
  char buf[64];
  snprintf(buf, sizeof buf, "%s", path);
  char *dot = strchr(buf, '.');
  if (dot) {
    *dot = '\0';
    o = json_object_get(o, buf);
    path = path + (dot - buf) + 1;
  }
  json_t *v = json_object_get(o, path);
  return v ? json_number_value(v) : 0.0;
}

/* /v1 raw JPEG bodies, closed loop: every answer counted on both sides. */
static void test_v1_closed_loop_matches_metrics(void **state) {
  const deploy_daemon *d = *state;
  counters before = scrape(d);
  json_t *s;
  assert_int_equal(
      loadgen(d, &s, "-n", "24", "-c", "4", "-i", test_runfile("efficientnet_b0_tfjs/panda.jpg"),
              "-i", test_runfile("efficientnet_b0_tfjs/car.jpg"), NULL),
      0);
  counters after = scrape(d);
  double ok = jnum(s, "ok");
  assert_int_equal((int)jnum(s, "sent"), 24);
  assert_int_equal((int)ok, 24);
  assert_int_equal((int)jnum(s, "status.200"), 24);
  assert_int_equal((int)(after.success - before.success), 24);
  assert_int_equal((int)(after.inferences - before.inferences), 24);
  assert_int_equal((int)(after.failure - before.failure), 0);
  /* /metrics answers of the scrape itself land in 2xx: one per scrape. */
  assert_int_equal((int)(after.http_2xx - before.http_2xx), 24 + 1);
  /* Client latency includes the server's time plus transport. */
  double server_mean = (after.duration_us - before.duration_us) / 24.0;
  double client_mean = jnum(s, "latency_us.mean");
  double client_p50 = jnum(s, "latency_us.p50");
  print_message("v1: client mean %.0f us, server mean %.0f us, client p50 %.0f us, p99 %.0f us\n",
                client_mean, server_mean, client_p50, jnum(s, "latency_us.p99"));
  assert_true(server_mean > 0);
  assert_true(client_mean >= server_mean * 0.99);
  /* Upper bound. The server clock starts when the request's headers are
   * parsed and stops when its answer is queued, so on loopback the client
   * adds only writing a 47-116 KB JPEG body, the two event loops'
   * wake-ups and the response parse: well under 1 ms of work per request.
   * On a loaded 2-core CI machine, where the daemon's compute threads hold
   * both cores, either process can wait a scheduler slice (a few ms) per
   * request, so the margin is 20 ms on the *mean* of 24 requests: far above
   * that jitter, yet below one inference (~40 ms here), so a client that
   * times from the wrong moment, counts a reconnect back-off (50 ms) or
   * queues behind its own connections fails it. The 3x bound is the same
   * check scaled for a fast server, where 20 ms would be loose. */
  assert_true(client_mean <= server_mean + 20000.0);
  assert_true(client_mean <= server_mean * 3.0);

  /* Median. Every request's client latency contains its server latency,
   * so the client's k-th smallest latency is >= the server's k-th smallest
   * (loadgen reports the nearest-rank p50, rank ceil(n/2), as the top of
   * its 1/64-wide bucket, so >= the exact value too). The server's median
   * sample lies in the histogram bucket where the window's cumulative count
   * first reaches that rank: (le[b-1], le[b]]. So client p50 > le[b-1]
   * always, and, with the transport overhead bounded as above, it stays
   * below le[b+1] (the adjacent bucket; buckets here are 2-2.5x wide). */
  assert_int_equal(before.n_buckets, after.n_buckets);
  double rank = ceil(0.5 * 24);
  int b = 0;
  while (b < after.n_buckets && after.cum[b] - before.cum[b] < rank) b++;
  assert_true(b < after.n_buckets);
  assert_int_equal((int)(after.cum[after.n_buckets - 1] - before.cum[after.n_buckets - 1]), 24);
  double lo = b > 0 ? after.le[b - 1] : 0;
  double hi = b + 1 < after.n_buckets ? after.le[b + 1] : INFINITY;
  print_message("v1: server median bucket (%.0f, %.0f] us; client p50 must lie in (%.0f, %.0f]\n",
                lo, after.le[b], lo, hi);
  assert_true(client_p50 > lo);
  assert_true(client_p50 <= hi);
  json_decref(s);
}

/* KServe v2 binary extension, random UINT8 tensors in batches of 2: one
 * success per request, two inferences per request. */
static void test_v2_binary_batches_match_metrics(void **state) {
  const deploy_daemon *d = *state;
  counters before = scrape(d);
  json_t *s;
  assert_int_equal(loadgen(d, &s, "--api", "v2-binary", "--tensor", "uint8", "--batch", "2", "-n",
                           "10", "-c", "2", NULL),
                   0);
  counters after = scrape(d);
  assert_int_equal((int)jnum(s, "ok"), 10);
  assert_int_equal((int)(after.success - before.success), 10);
  assert_int_equal((int)(after.inferences - before.inferences), 20);
  assert_true(jnum(s, "inferences_per_s") > jnum(s, "throughput_rps") * 1.99);
  json_decref(s);
}

/* v2 JSON with BYTES (base64 JPEG), open loop with Poisson arrivals. */
static void test_v2_json_open_loop_matches_metrics(void **state) {
  const deploy_daemon *d = *state;
  counters before = scrape(d);
  json_t *s;
  assert_int_equal(
      loadgen(d, &s, "--api", "v2", "-i", test_runfile("efficientnet_b0_tfjs/panda.jpg"), "-r",
              "15", "-d", "1.5", "-c", "32", "--seed", "7", NULL),
      0);
  counters after = scrape(d);
  int ok = (int)jnum(s, "ok");
  print_message("open loop: %d ok of %d sent, p50 %.0f us\n", ok, (int)jnum(s, "sent"),
                jnum(s, "latency_us.p50"));
  assert_true(ok >= 8); /* Poisson(22.5): far above 8 */
  assert_int_equal(ok, (int)jnum(s, "sent"));
  assert_int_equal((int)(after.success - before.success), ok);
  assert_int_equal((int)(after.inferences - before.inferences), ok);
  assert_int_equal((int)jnum(s, "unsent"), 0);
  json_decref(s);
}

/* An unknown model: every request 404, counted as such on both sides, and
 * loadgen exits 1 because nothing succeeded. */
static void test_errors_by_status_match_metrics(void **state) {
  const deploy_daemon *d = *state;
  counters before = scrape(d);
  json_t *s;
  assert_int_equal(loadgen(d, &s, "-m", "no_such_model", "-n", "7", "-c", "2", "-i",
                           test_runfile("efficientnet_b0_tfjs/panda.jpg"), NULL),
                   1);
  counters after = scrape(d);
  assert_int_equal((int)jnum(s, "ok"), 0);
  assert_int_equal((int)jnum(s, "status.404"), 7);
  assert_int_equal((int)(after.http_4xx - before.http_4xx), 7);
  assert_int_equal((int)(after.success - before.success), 0);
  json_decref(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1_closed_loop_matches_metrics),
      cmocka_unit_test(test_v2_binary_batches_match_metrics),
      cmocka_unit_test(test_v2_json_open_loop_matches_metrics),
      cmocka_unit_test(test_errors_by_status_match_metrics),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
