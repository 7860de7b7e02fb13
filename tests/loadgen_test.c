/* loadgen unit tests: histogram and percentiles, send schedules, argument
 * parsing, request building, the response parser, and whole runs against a
 * small libuv HTTP server inside this test (status mix, keep-alive and
 * Connection: close, chunked bodies, and a server stall that an open-loop
 * run must see as latency: no coordinated omission). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "server/loadgen.h"
#include "tests/loadgen_argv.h"
#include "tests/test_support.h"

/* ---- histogram ------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void test_hist_buckets_cover_values(void **state) {
  (void)state;
  int prev = -1;
  for (uint64_t v = 0; v < 200000; v += (v < 1000 ? 1 : v / 97)) {
    int i = loadgen_hist_index(v);
    uint64_t lo, hi;
    loadgen_hist_bucket_range(i, &lo, &hi);
    assert_true(lo <= v && v <= hi);
    assert_true(i >= prev); /* monotonic */
    prev = i;
    if (v >= 128)
      assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 64 + 1e-12);
    else
      assert_int_equal(lo, hi);
  }
  assert_true(loadgen_hist_index(LOADGEN_HIST_MAX_US) < LOADGEN_HIST_BUCKETS);
  assert_int_equal(loadgen_hist_index(UINT64_MAX), loadgen_hist_index(LOADGEN_HIST_MAX_US));
}

static void test_hist_exact_small(void **state) {
  (void)state;
  loadgen_hist h;
  loadgen_hist_init(&h);
  assert_int_equal(loadgen_hist_percentile(&h, 50), 0);
  for (uint64_t v = 1; v <= 100; v++) loadgen_hist_record(&h, v);
  assert_int_equal(h.total, 100);
  assert_int_equal(h.min, 1);
  assert_int_equal(h.max, 100);
  assert_int_equal(loadgen_hist_percentile(&h, 50), 50);
  assert_int_equal(loadgen_hist_percentile(&h, 90), 90);
  assert_int_equal(loadgen_hist_percentile(&h, 99), 99);
  assert_int_equal(loadgen_hist_percentile(&h, 99.9), 100);
  assert_int_equal(loadgen_hist_percentile(&h, 100), 100);
  assert_true(fabs(loadgen_hist_mean(&h) - 50.5) < 1e-9);
}

/* Two histograms added (as --threads merges them) equal one that recorded
 * every sample; an empty one adds nothing, min included. */
static void test_hist_add(void **state) {
  (void)state;
  loadgen_hist a, b, all, empty;
  loadgen_hist_init(&a), loadgen_hist_init(&b), loadgen_hist_init(&all);
  loadgen_hist_init(&empty);
  for (uint64_t v = 1; v <= 5000; v += 7) {
    loadgen_hist_record(v % 2 ? &a : &b, v * 13);
    loadgen_hist_record(&all, v * 13);
  }
  loadgen_hist_add(&a, &b);
  loadgen_hist_add(&a, &empty);
  assert_memory_equal(a.counts, all.counts, sizeof a.counts);
  assert_int_equal(a.total, all.total);
  assert_int_equal(a.min, all.min);
  assert_int_equal(a.max, all.max);
  assert_true(a.sum == all.sum);
  loadgen_hist_add(&empty, &all);
  assert_int_equal(empty.min, 13);
  assert_int_equal(loadgen_hist_percentile(&empty, 99), loadgen_hist_percentile(&all, 99));
}

/* Percentiles of random latencies (log-uniform over 10 us .. 10 s) agree with
 * the exact order statistics of the same samples to within one bucket. */
static void test_hist_percentiles_vs_sorted(void **state) {
  (void)state;
  enum { N = 20000 };
  float *u = malloc(N * sizeof *u);
  uint64_t *v = malloc(N * sizeof *v);
  loadgen_hist *h = malloc(sizeof *h);
  assert_non_null(u);
  assert_non_null(v);
  assert_non_null(h);
  test_fill_random(u, N, 1.0f, 6.0f);
  loadgen_hist_init(h);
  for (int i = 0; i < N; i++) {
    v[i] = (uint64_t)pow(10.0, u[i]);
    loadgen_hist_record(h, v[i]);
  }
  qsort(v, N, sizeof *v, cmp_u64);
  const double ps[] = {1, 50, 90, 99, 99.9, 100};
  for (size_t k = 0; k < sizeof ps / sizeof *ps; k++) {
    uint64_t exact = v[(size_t)ceil(ps[k] / 100.0 * N) - 1];
    uint64_t got = loadgen_hist_percentile(h, ps[k]);
    assert_true(got >= exact);
    assert_true((double)(got - exact) <= (double)exact / 64.0 + 1);
  }
  assert_int_equal(h->max, v[N - 1]);
  assert_int_equal(loadgen_hist_percentile(h, 100), v[N - 1]);
  free(u);
  free(v);
  free(h);
}

/* ---- schedules -------------------------------------------------------------- */

static void test_schedule_constant(void **state) {
  (void)state;
  loadgen_schedule s;
  loadgen_schedule_init(&s, LOADGEN_ARRIVAL_CONSTANT, 300.0, 7);
  for (uint64_t k = 0; k < 3000; k++) {
    uint64_t t = loadgen_schedule_next(&s);
    uint64_t want = (uint64_t)((double)k / 300.0 * 1e9);
    assert_true(t + 1 >= want && t <= want + 1); /* no drift after 10 s */
  }
}

/* Poisson gaps: mean 1/R, coefficient of variation 1, P(gap < mean) = 1-1/e,
 * reproducible from the seed and different across seeds. */
static void test_schedule_poisson(void **state) {
  (void)state;
  enum { N = 200000 };
  const double rate = 1000.0;
  uint64_t seed = test_seed();
  loadgen_schedule s, s2, s3;
  loadgen_schedule_init(&s, LOADGEN_ARRIVAL_POISSON, rate, seed);
  loadgen_schedule_init(&s2, LOADGEN_ARRIVAL_POISSON, rate, seed);
  loadgen_schedule_init(&s3, LOADGEN_ARRIVAL_POISSON, rate, seed + 1);
  double prev = 0, sum = 0, sum2 = 0;
  int below = 0, differ = 0;
  for (int i = 0; i < N; i++) {
    uint64_t t = loadgen_schedule_next(&s);
    assert_int_equal(t, loadgen_schedule_next(&s2));
    differ += t != loadgen_schedule_next(&s3);
    double ts = (double)t / 1e9;
    if (i == 0) {
      assert_int_equal(t, 0);
    } else {
      double g = ts - prev;
      assert_true(g >= 0);
      sum += g;
      sum2 += g * g;
      below += g < 1.0 / rate;
    }
    prev = ts;
  }
  double n = N - 1, mean = sum / n, sd = sqrt(sum2 / n - mean * mean);
  assert_true(fabs(mean * rate - 1.0) < 0.02);
  assert_true(fabs(sd / mean - 1.0) < 0.03);
  assert_true(fabs(below / n - (1.0 - exp(-1.0))) < 0.01);
  assert_true(differ > N / 2);
}

/* ---- arguments ------------------------------------------------------------ */

static void test_args_defaults_and_url(void **state) {
  (void)state;
  loadgen_config c;
  char err[256];
  assert_int_equal(loadgen_test_parse(&c, err, "-i", "x.jpg", "http://127.0.0.1:8000", NULL), 0);
  assert_string_equal(c.host, "127.0.0.1");
  assert_string_equal(c.port, "8000");
  assert_string_equal(c.base_path, "");
  assert_int_equal(c.api, LOADGEN_API_V1);
  assert_int_equal(c.concurrency, 1);
  assert_true(c.rate == 0);
  assert_true(c.duration_s == 10);
  assert_string_equal(c.model, "efficientnet_b0");
  assert_int_equal(c.batch, 1);

  assert_int_equal(
      loadgen_test_parse(&c, err, "--api=v2", "--rate", "250.5", "--arrival=constant", "-n", "1000",
                         "--shape", "64x48", "http://[::1]:9/prefix/", NULL),
      0);
  assert_string_equal(c.host, "::1");
  assert_string_equal(c.port, "9");
  assert_string_equal(c.base_path, "/prefix");
  assert_int_equal(c.api, LOADGEN_API_V2_JSON);
  assert_int_equal(c.tensor, LOADGEN_TENSOR_UINT8);
  assert_string_equal(c.input_name, "input");
  assert_true(c.rate == 250.5);
  assert_int_equal(c.arrival, LOADGEN_ARRIVAL_CONSTANT);
  assert_int_equal(c.concurrency, 64); /* open-loop default */
  assert_int_equal(c.requests, 1000);
  assert_true(c.duration_s == 0); /* count-bound only */
  assert_int_equal(c.height, 64);
  assert_int_equal(c.width, 48);

  assert_int_equal(
      loadgen_test_parse(&c, err, "--api", "v2-binary", "-i", "a", "-i", "b", "host", NULL), 0);
  assert_string_equal(c.host, "host");
  assert_string_equal(c.port, "80");
  assert_int_equal(c.tensor, LOADGEN_TENSOR_BYTES);
  assert_string_equal(c.input_name, "image");
  assert_int_equal(c.n_image_args, 2);

  assert_int_equal(loadgen_test_parse(&c, err, "--help", NULL), 1);
}

/* Each bad argument fails with a message that names the culprit. */
static void test_args_errors(void **state) {
  (void)state;
  loadgen_config c;
  char err[256];
  struct {
    const char *a[7];
    const char *needle;
  } cases[] = {
      {{"-i", "x", NULL}, "missing URL"},
      {{"-c", "0", "h", NULL}, "-c"},
      {{"-c", "12x", "h", NULL}, "-c"},
      {{"--rate", "-5", "h", NULL}, "--rate"},
      {{"--duration", "nan", "h", NULL}, "--duration"},
      {{"--api", "v3", "h", NULL}, "--api"},
      {{"--arrival", "burst", "h", NULL}, "--arrival"},
      {{"--shape", "10", "h", NULL}, "--shape"},
      {{"--batch", "0", "h", NULL}, "--batch"},
      {{"--frobnicate", "h", NULL}, "unknown option"},
      {{"-i", "x", "https://h", NULL}, "only http"},
      {{"-i", "x", "http://h:99999", NULL}, "bad port"},
      {{"-i", "x", "http://:80", NULL}, "no host"},
      {{"h", NULL}, "--image"},
      {{"--api", "v2", "--tensor", "uint8", NULL}, "missing URL"},
      {{"-i", "x", "-n", NULL}, "needs a value"},
      {{"-i", "x", "a", "b"}, "unexpected argument"},
      {{"-m", "a/b", "-i", "x", NULL}, "-m"},
      {{"--binary-output", "-i", "x", "h", NULL}, "--binary-output is for --api v2"},
      {{"-t", "0", "-i", "x", "h", NULL}, "--threads"},
      {{"-t", "3", "-c", "2", "-i", "x", "h"}, "more threads than the 2 connections"},
      {{"-t", "2", "-c", "4", "-n", "1", "h"}, "more threads than the 1 requests"},
      {{"-t", "2", "-c", "4", "--csv", "x", "h"}, "--csv writes one run's rows"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
    char *argv[9] = {"loadgen"};
    int argc = 1;
    for (int j = 0; j < 7 && cases[k].a[j]; j++) argv[argc++] = (char *)cases[k].a[j];
    err[0] = '\0';
    int rc = loadgen_parse_args(argc, argv, &c, stderr, err, sizeof err);
    if (rc != -EINVAL || !strstr(err, cases[k].needle))
      fail_msg("case %zu: rc %d, err '%s', wanted '%s'", k, rc, err, cases[k].needle);
  }
  assert_int_equal(
      loadgen_test_parse(&c, err, "--api", "v2", "--tensor", "fp32", "-i", "x", "h", NULL),
      -EINVAL);
  assert_non_null(strstr(err, "random pixels"));
}

/* ---- requests ------------------------------------------------------------- */

static const uint8_t kJpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 0xFF, 0xD9};

/* Value of a header in a request head, or NULL. */
static const char *header(const loadgen_request *r, const char *name, char *out, size_t cap) {
  const char *p = strstr(r->head, name);
  if (!p) return NULL;
  p += strlen(name);
  size_t n = strcspn(p, "\r");
  snprintf(out, cap, "%.*s", (int)n, p);
  return out;
}

static void test_request_v1(void **state) {
  (void)state;
  loadgen_config c;
  char err[256], v[128];
  assert_int_equal(loadgen_test_parse(&c, err, "-i", "x", "--top-k", "3", "http://h:81/p", NULL),
                   0);
  loadgen_request r;
  assert_int_equal(loadgen_request_build(&c, kJpeg, sizeof kJpeg, &r, err, sizeof err), 0);
  assert_true(
      strncmp(r.head, "POST /p/v1/models/efficientnet_b0:classify?top_k=3 HTTP/1.1\r\n", 61) == 0);
  assert_string_equal(header(&r, "\r\nHost: ", v, sizeof v), "h:81");
  assert_string_equal(header(&r, "\r\nContent-Type: ", v, sizeof v), "image/jpeg");
  assert_int_equal(atoi(header(&r, "\r\nContent-Length: ", v, sizeof v)), sizeof kJpeg);
  assert_int_equal(r.body_len, sizeof kJpeg);
  assert_memory_equal(r.body, kJpeg, sizeof kJpeg);
  assert_int_equal(memcmp(r.head + r.head_len - 4, "\r\n\r\n", 4), 0);
  loadgen_request_free(&r);

  /* --batch 2 on /v1: TF Serving style JSON instances. */
  assert_int_equal(loadgen_test_parse(&c, err, "-i", "x", "--batch", "2", "h", NULL), 0);
  assert_int_equal(loadgen_request_build(&c, kJpeg, sizeof kJpeg, &r, err, sizeof err), 0);
  char b64[32];
  b64[loadgen_base64(kJpeg, sizeof kJpeg, b64)] = '\0';
  char want[128];
  snprintf(want, sizeof want, "{\"instances\":[{\"b64\":\"%s\"},{\"b64\":\"%s\"}]}", b64, b64);
  assert_int_equal(r.body_len, strlen(want));
  assert_memory_equal(r.body, want, r.body_len);
  assert_int_equal(r.images, 2);
  loadgen_request_free(&r);

  /* Not an image: refused with a message. */
  static const uint8_t text[] = "hello";
  assert_int_equal(loadgen_test_parse(&c, err, "-i", "x", "h", NULL), 0);
  assert_int_equal(loadgen_request_build(&c, text, 5, &r, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "JPEG"));
}

static void test_request_v2(void **state) {
  (void)state;
  loadgen_config c;
  char err[256], v[64];
  loadgen_request r;
  char b64[32];
  b64[loadgen_base64(kJpeg, sizeof kJpeg, b64)] = '\0';

  assert_int_equal(
      loadgen_test_parse(&c, err, "--api", "v2", "-i", "x", "--top-k", "5", "h:8000", NULL), 0);
  assert_int_equal(loadgen_request_build(&c, kJpeg, sizeof kJpeg, &r, err, sizeof err), 0);
  assert_true(strncmp(r.head, "POST /v2/models/efficientnet_b0/infer HTTP/1.1", 46) == 0);
  char want[256];
  snprintf(want, sizeof want,
           "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":"
           "[\"%s\"]}],\"parameters\":{\"classification\":5}}",
           b64);
  assert_int_equal(r.body_len, strlen(want));
  assert_memory_equal(r.body, want, r.body_len);
  loadgen_request_free(&r);

  /* Binary extension, BYTES: JSON header, then 4-byte LE length + image. */
  assert_int_equal(loadgen_test_parse(&c, err, "--api", "v2-binary", "-i", "x", "h", NULL), 0);
  assert_int_equal(loadgen_request_build(&c, kJpeg, sizeof kJpeg, &r, err, sizeof err), 0);
  long jl = atol(header(&r, "\r\nInference-Header-Content-Length: ", v, sizeof v));
  assert_string_equal(header(&r, "\r\nContent-Type: ", v, sizeof v), "application/octet-stream");
  assert_int_equal((size_t)jl + 4 + sizeof kJpeg, r.body_len);
  assert_non_null(memmem(r.body, (size_t)jl, "\"binary_data_size\":15", 21));
  assert_int_equal(r.body[jl], sizeof kJpeg);
  assert_int_equal(r.body[jl + 1] | r.body[jl + 2] | r.body[jl + 3], 0);
  assert_memory_equal(r.body + jl + 4, kJpeg, sizeof kJpeg);
  loadgen_request_free(&r);

  /* Random FP32 tensor, binary: N*H*W*3 floats, integral values 0..255. */
  assert_int_equal(loadgen_test_parse(&c, err, "--api", "v2-binary", "--tensor", "fp32", "--batch",
                                      "2", "--shape", "5x7", "h", NULL),
                   0);
  assert_int_equal(loadgen_request_build(&c, NULL, 0, &r, err, sizeof err), 0);
  jl = atol(header(&r, "\r\nInference-Header-Content-Length: ", v, sizeof v));
  assert_int_equal((size_t)jl + 2 * 5 * 7 * 3 * 4, r.body_len);
  assert_non_null(memmem(r.body, (size_t)jl, "\"shape\":[2,5,7,3]", 17));
  int distinct = 0;
  float first;
  memcpy(&first, r.body + jl, 4);
  for (size_t i = 0; i < 2 * 5 * 7 * 3; i++) {
    float f;
    memcpy(&f, r.body + jl + 4 * i, 4);
    assert_true(f >= 0 && f <= 255 && f == floorf(f));
    distinct += f != first;
  }
  assert_true(distinct > 100); /* random, not a constant fill */
  loadgen_request_free(&r);

  /* Random UINT8 tensor as JSON: exactly N*H*W*3 numbers. */
  assert_int_equal(loadgen_test_parse(&c, err, "--api", "v2", "--shape", "4x4", "h", NULL), 0);
  assert_int_equal(loadgen_request_build(&c, NULL, 0, &r, err, sizeof err), 0);
  const char *data = memmem(r.body, r.body_len, "\"data\":[", 8);
  assert_non_null(data);
  int commas = 0;
  for (const char *p = data; *p != ']'; p++) commas += *p == ',';
  assert_int_equal(commas + 1, 4 * 4 * 3);
  loadgen_request_free(&r);

  /* --binary-output asks for binary outputs, beside the classification. */
  assert_int_equal(loadgen_test_parse(&c, err, "--api", "v2-binary", "--binary-output", "--shape",
                                      "2x2", "h", NULL),
                   0);
  assert_int_equal(loadgen_request_build(&c, NULL, 0, &r, err, sizeof err), 0);
  jl = atol(header(&r, "\r\nInference-Header-Content-Length: ", v, sizeof v));
  const char *tail =
      "],\"parameters\":{\"binary_data_size\":12}}],"
      "\"parameters\":{\"binary_data_output\":true}}";
  assert_true(jl > (long)strlen(tail));
  assert_memory_equal(r.body + jl - (long)strlen(tail), tail, strlen(tail));
  loadgen_request_free(&r);
  assert_int_equal(loadgen_test_parse(&c, err, "--api", "v2", "--binary-output", "--top-k", "3",
                                      "--shape", "1x1", "h", NULL),
                   0);
  assert_int_equal(loadgen_request_build(&c, NULL, 0, &r, err, sizeof err), 0);
  tail = "\"parameters\":{\"classification\":3,\"binary_data_output\":true}}";
  assert_memory_equal(r.body + r.body_len - strlen(tail), tail, strlen(tail));
  loadgen_request_free(&r);
}

static void test_base64_vectors(void **state) {
  (void)state;
  const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  const char *out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  for (int i = 0; i < 7; i++) {
    char b[16];
    size_t n = loadgen_base64((const uint8_t *)in[i], strlen(in[i]), b);
    b[n] = '\0';
    assert_string_equal(b, out[i]);
  }
}

/* ---- responses ------------------------------------------------------------ */

/* Feeds s in pieces of `step` bytes; returns the status or a negative error. */
static int feed(loadgen_resp *r, const char *s, size_t step, size_t *used) {
  loadgen_resp_init(r);
  size_t n = strlen(s), off = 0;
  while (off < n && !loadgen_resp_done(r)) {
    size_t k = n - off < step ? n - off : step;
    long u = loadgen_resp_feed(r, s + off, k);
    if (u < 0) return (int)u;
    off += (size_t)u;
  }
  *used = off;
  return loadgen_resp_done(r) ? r->status : 0;
}

static void test_resp_parser(void **state) {
  (void)state;
  loadgen_resp r;
  size_t used;
  const char *cl =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ncontent-length: 5"
      "\r\n\r\nhelloHTTP/1.1 204";
  for (size_t step = 1; step < 40; step += 3) {
    assert_int_equal(feed(&r, cl, step, &used), 200);
    assert_int_equal(used, strlen(cl) - strlen("HTTP/1.1 204")); /* stops at the next answer */
    assert_int_equal(r.body_bytes, 5);
    assert_true(r.keep_alive);
  }
  const char *ch =
      "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n"
      "Retry-After: 1\r\n\r\n4\r\nabcd\r\nA;x=y\r\n0123456789\r\n0\r\n\r\n";
  for (size_t step = 1; step < 50; step += 7) {
    assert_int_equal(feed(&r, ch, step, &used), 503);
    assert_int_equal(r.body_bytes, 14);
    assert_int_equal(used, strlen(ch));
  }
  assert_int_equal(
      feed(&r, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", 100, &used),
      200);
  assert_false(r.keep_alive);
  assert_int_equal(feed(&r, "HTTP/1.0 404 Not Found\r\nContent-Length: 2\r\n\r\nno", 100, &used),
                   404);
  assert_false(r.keep_alive);
  assert_int_equal(feed(&r,
                        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"
                        "Content-Length: 1\r\n\r\nx",
                        3, &used),
                   201);
  /* No framing: complete only when the server closes. */
  assert_int_equal(feed(&r, "HTTP/1.1 200 OK\r\n\r\nbody", 100, &used), 0);
  assert_false(r.keep_alive);
  assert_true(loadgen_resp_eof(&r));
  assert_int_equal(r.body_bytes, 4);
  const char *bad[] = {"HTTP/2 200 OK\r\n\r\n",
                       "HTTP/1.1 2000 OK\r\n\r\n",
                       "SSH-2.0-x\r\n",
                       "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                       "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(feed(&r, bad[i], 5, &used), -EPROTO);
  char longline[2048];
  memset(longline, 'a', sizeof longline - 1);
  longline[sizeof longline - 1] = '\0';
  memcpy(longline, "HTTP/1.1 200 OK\r\nX: ", 20);
  assert_int_equal(feed(&r, longline, 4096, &used), -EPROTO);
}

/* ---- whole runs against a tiny libuv HTTP server ----------------------------
 * The server runs its own loop on a thread. It answers every request with a
 * small JSON body; every_503-th request gets 503, every_close-th carries
 * "Connection: close" (and the server closes), every_chunked-th is chunked,
 * and request number stall_at is answered only after stall_ms. Counters are
 * read after the thread has joined. */
typedef struct {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_async_t stop;
  pthread_t thread;
  int port;
  int every_503, every_close, every_chunked, stall_at, stall_ms;
  uint64_t requests, n200, n503, connections;
} tsrv;

typedef struct {
  uv_tcp_t tcp;
  uv_timer_t stall;
  uv_write_t w;
  tsrv *s;
  char head[16384];
  size_t head_len;
  uint64_t body_left;
  int in_body, close_after, closing, closed_handles;
  char resp[512];
  size_t resp_len;
  char rbuf[65536];
} tconn;

/* Frees the connection once both of its handles have closed. */
static void tconn_free(uv_handle_t *h) {
  tconn *c = h->data;
  if (++c->closed_handles == 2) free(c);
}

/* Closes both handles once; tconn_free() releases c after the second. */
static void tconn_close(tconn *c) {
  if (c->closing) return;
  c->closing = 1;
  uv_close((uv_handle_t *)&c->stall, tconn_free);
  uv_close((uv_handle_t *)&c->tcp, tconn_free);
}

static void tconn_written(uv_write_t *w, int status) {
  tconn *c = w->data;
  if (status < 0 || c->close_after) tconn_close(c);
}

static void tconn_send(tconn *c) {
  uv_buf_t b = uv_buf_init(c->resp, (unsigned)c->resp_len);
  c->w.data = c;
  if (uv_write(&c->w, (uv_stream_t *)&c->tcp, &b, 1, tconn_written)) tconn_close(c);
}

static void tconn_stall_done(uv_timer_t *t) {
  tconn_send(t->data);
}

/* A whole request has arrived: pick and send (or delay) its answer. */
static void tconn_answer(tconn *c) {
  tsrv *s = c->s;
  uint64_t n = ++s->requests;
  int st = s->every_503 && n % (uint64_t)s->every_503 == 0 ? 503 : 200;
  if (st == 200)
    s->n200++;
  else
    s->n503++;
  c->close_after = s->every_close && n % (uint64_t)s->every_close == 0;
  char body[64];
  int bl = snprintf(body, sizeof body, "{\"n\":%llu}", (unsigned long long)n);
  if (s->every_chunked && n % (uint64_t)s->every_chunked == 0)
    c->resp_len = (size_t)snprintf(c->resp, sizeof c->resp,
                                   "HTTP/1.1 %d X\r\nTransfer-Encoding: chunked\r\n%s\r\n"
                                   "%x\r\n%s\r\n0\r\n\r\n",
                                   st, c->close_after ? "Connection: close\r\n" : "", bl, body);
  else
    c->resp_len =
        (size_t)snprintf(c->resp, sizeof c->resp, "HTTP/1.1 %d X\r\nContent-Length: %d\r\n%s\r\n%s",
                         st, bl, c->close_after ? "Connection: close\r\n" : "", body);
  if ((int)n == s->stall_at)
    uv_timer_start(&c->stall, tconn_stall_done, (uint64_t)s->stall_ms, 0);
  else
    tconn_send(c);
}

static void tconn_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b) {
  tconn *c = h->data;
  (void)sz;
  *b = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

/* Splits the byte stream into requests: head up to CRLFCRLF, then
 * Content-Length body bytes, which are skipped. */
static void tconn_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b) {
  tconn *c = st->data;
  if (n < 0) {
    tconn_close(c);
    return;
  }
  for (ssize_t i = 0; i < n && !c->closing;) {
    if (c->in_body) {
      uint64_t take = (uint64_t)(n - i) < c->body_left ? (uint64_t)(n - i) : c->body_left;
      c->body_left -= take;
      i += (ssize_t)take;
    } else {
      if (c->head_len + 1 >= sizeof c->head) {
        tconn_close(c);
        return;
      }
      c->head[c->head_len++] = b->base[i++];
      c->head[c->head_len] = '\0';
      if (c->head_len < 4 || memcmp(c->head + c->head_len - 4, "\r\n\r\n", 4) != 0) continue;
      const char *cl = strcasestr(c->head, "\r\nContent-Length:");
      c->body_left = cl ? strtoull(cl + 17, NULL, 10) : 0;
      c->in_body = 1;
      c->head_len = 0;
    }
    if (c->in_body && c->body_left == 0) {
      c->in_body = 0;
      tconn_answer(c);
    }
  }
}

static void tsrv_accept(uv_stream_t *l, int status) {
  tsrv *s = l->data;
  if (status < 0) return;
  tconn *c = calloc(1, sizeof *c);
  if (!c) return;
  c->s = s;
  uv_tcp_init(&s->loop, &c->tcp);
  uv_timer_init(&s->loop, &c->stall);
  c->tcp.data = c->stall.data = c;
  if (uv_accept(l, (uv_stream_t *)&c->tcp) == 0 &&
      uv_read_start((uv_stream_t *)&c->tcp, tconn_alloc, tconn_read) == 0) {
    s->connections++;
  } else {
    tconn_close(c);
  }
}

static void tsrv_close_walk(uv_handle_t *h, void *arg) {
  (void)arg;
  if (uv_is_closing(h)) return;
  if (h->type == UV_TCP && h->data && h->data != arg) {
    tconn_close(h->data);
  } else if (h->type != UV_TIMER) {
    uv_close(h, NULL);
  }
}

static void tsrv_on_stop(uv_async_t *a) {
  tsrv *s = a->data;
  uv_walk(&s->loop, tsrv_close_walk, s);
}

static void *tsrv_thread(void *arg) {
  tsrv *s = arg;
  uv_run(&s->loop, UV_RUN_DEFAULT);
  return NULL;
}

static void tsrv_start(tsrv *s) {
  struct sockaddr_in a;
  struct sockaddr_storage got;
  int len = sizeof got;
  assert_int_equal(uv_loop_init(&s->loop), 0);
  assert_int_equal(uv_tcp_init(&s->loop, &s->listener), 0);
  s->listener.data = s;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &a), 0);
  assert_int_equal(uv_tcp_bind(&s->listener, (const struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 128, tsrv_accept), 0);
  assert_int_equal(uv_tcp_getsockname(&s->listener, (struct sockaddr *)&got, &len), 0);
  s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
  assert_int_equal(uv_async_init(&s->loop, &s->stop, tsrv_on_stop), 0);
  s->stop.data = s;
  assert_int_equal(pthread_create(&s->thread, NULL, tsrv_thread, s), 0);
}

static void tsrv_stop(tsrv *s) {
  uv_async_send(&s->stop);
  pthread_join(s->thread, NULL);
  assert_int_equal(uv_loop_close(&s->loop), 0);
}

/* Configures a run against the server from argument strings. */
static void run_cfg(loadgen_config *c, const tsrv *s, const char *a1, const char *a2,
                    const char *a3, const char *a4, const char *a5, const char *a6, const char *a7,
                    const char *a8) {
  char url[64], err[256];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", s->port);
  int rc = loadgen_test_parse(c, err, "--api", "v2", "--shape", "8x8", "--timeout", "5", url, a1,
                              a2, a3, a4, a5, a6, a7, a8, NULL);
  if (rc) fail_msg("parse: %s", err);
}

/* Starts s, runs loadgen with these arguments against it (c receives the
 * configuration), and stops s. */
static void run_against(tsrv *s, loadgen_config *c, loadgen_result *res, const char *a1,
                        const char *a2, const char *a3, const char *a4, const char *a5,
                        const char *a6, const char *a7, const char *a8) {
  tsrv_start(s);
  run_cfg(c, s, a1, a2, a3, a4, a5, a6, a7, a8);
  loadgen_payloads p;
  char err[256];
  assert_int_equal(loadgen_payloads_build(c, &p, err, sizeof err), 0);
  if (loadgen_run(c, &p, res, NULL, err, sizeof err) != 0) fail_msg("run: %s", err);
  loadgen_payloads_free(&p);
  tsrv_stop(s);
}

/* Samples above `us`, counted from whole buckets (exact at bucket edges). */
static uint64_t count_above(const loadgen_hist *h, uint64_t us) {
  uint64_t n = 0;
  for (int i = 0; i < LOADGEN_HIST_BUCKETS; i++) {
    uint64_t lo, hi;
    loadgen_hist_bucket_range(i, &lo, &hi);
    if (lo > us) n += h->counts[i];
  }
  return n;
}

/* Closed loop with a status mix, reconnects and chunked answers: loadgen's
 * figures must match the server's own counters exactly, with one event loop
 * and with --threads 3 (whose figures are merged). */
static void test_run_closed_loop_counts(void **state) {
  (void)state;
  tsrv *s = calloc(1, sizeof *s);
  loadgen_result *res = malloc(sizeof *res);
  assert_non_null(s);
  assert_non_null(res);
  /* one loop with 4 connections, then --threads 3 sharing 6 */
  for (int threads = 1; threads <= 3; threads += 2) {
    memset(s, 0, sizeof *s);
    s->every_503 = 5;
    s->every_close = 7;
    s->every_chunked = 3;
    loadgen_config c;
    run_against(s, &c, res, "-n", "300", "-c", threads == 1 ? "4" : "6", "-t",
                threads == 1 ? "1" : "3", NULL, NULL);
    assert_int_equal(res->sent, 300);
    assert_int_equal(res->completed, 300);
    assert_int_equal(s->requests, 300);
    assert_int_equal(res->ok, s->n200);
    assert_int_equal(res->by_status[200], s->n200);
    assert_int_equal(res->by_status[503], s->n503);
    assert_int_equal(res->by_status[503], 60);
    assert_int_equal(res->latency.total, res->ok);
    assert_true(res->latency.min > 0 && res->latency.min <= res->latency.max);
    assert_int_equal(res->err_connect + res->err_timeout + res->err_io, 0);
    assert_true(s->connections >= c.concurrency + 300 / 7 - c.concurrency); /* reconnected */
    assert_true(res->elapsed_s > 0);
    assert_true(res->client_cpu > 0 && res->client_cpu <= 1.5);
  }
  free(s);
  free(res);
}

/* The server stalls one answer for 300 ms. Open loop at 200/s on one
 * connection: every request due during the stall waits, and its latency
 * (from the intended send time) shows it. Closed loop: one slow sample. */
static void test_run_open_loop_sees_stall(void **state) {
  (void)state;
  tsrv *s = calloc(1, sizeof *s);
  loadgen_result *res = malloc(sizeof *res);
  assert_non_null(s);
  assert_non_null(res);
  s->stall_at = 50;
  s->stall_ms = 300;
  loadgen_config c;
  run_against(s, &c, res, "-r", "200", "--arrival", "constant", "-c", "1", "-d", "1.2");
  uint64_t slow = count_above(&res->latency, 100000);
  print_message("open loop: %llu ok, %llu above 100 ms, p99 %llu us, %llu late sends\n",
                (unsigned long long)res->ok, (unsigned long long)slow,
                (unsigned long long)loadgen_hist_percentile(&res->latency, 99),
                (unsigned long long)res->late_sends);
  assert_true(res->ok >= 200 && res->ok <= 245);
  assert_true(slow >= 25); /* ~40 requests were due in the first 200 ms of the stall */
  assert_true(res->late_sends >= 25);
  assert_true(res->max_lag_us >= 200000);
  /* One connection held 300 ms: the offered rate was not sustained. */
  assert_true(loadgen_schedule_verdict(res) & LOADGEN_LAG_WORST);
  assert_true(loadgen_hist_percentile(&res->latency, 99) >= 200000);
  assert_true(res->latency.max >= 290000);

  memset(s, 0, sizeof *s);
  s->stall_at = 20;
  s->stall_ms = 300;
  run_against(s, &c, res, "-c", "1", "-d", "0.6", NULL, NULL, NULL, NULL);
  assert_int_equal(count_above(&res->latency, 100000), 1); /* coordinated omission */
  assert_true(res->ok > 21);
  free(s);
  free(res);
}

/* A constant open loop at 400/s over 2 threads keeps its rate: the threads'
 * schedules interleave. */
static void test_run_threads_open_loop(void **state) {
  (void)state;
  tsrv *s = calloc(1, sizeof *s);
  loadgen_result *res = malloc(sizeof *res);
  assert_non_null(s);
  assert_non_null(res);
  loadgen_config c;
  run_against(s, &c, res, "-r", "400", "--arrival", "constant", "-t", "2", "-d", "1");
  print_message("2 threads at 400/s: %llu sent, %llu late\n", (unsigned long long)res->sent,
                (unsigned long long)res->late_sends);
  assert_true(res->sent >= 360 && res->sent <= 440);
  assert_int_equal(res->ok, res->sent);
  free(s);
  free(res);
}

/* Nothing listens: the run fails with a clear message instead of hanging. */
static void test_run_refused(void **state) {
  (void)state;
  tsrv *s = calloc(1, sizeof *s);
  assert_non_null(s);
  tsrv_start(s);
  tsrv_stop(s); /* the port was ours a moment ago and is closed now */
  loadgen_config c;
  run_cfg(&c, s, "-n", "5", NULL, NULL, NULL, NULL, NULL, NULL);
  loadgen_payloads p;
  loadgen_result *res = malloc(sizeof *res);
  char err[256];
  assert_non_null(res);
  assert_int_equal(loadgen_payloads_build(&c, &p, err, sizeof err), 0);
  assert_true(loadgen_run(&c, &p, res, NULL, err, sizeof err) < 0);
  assert_non_null(strstr(err, "cannot connect"));
  assert_int_equal(res->ok, 0);
  loadgen_payloads_free(&p);
  free(s);
  free(res);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hist_buckets_cover_values),
      cmocka_unit_test(test_hist_exact_small),
      cmocka_unit_test(test_hist_add),
      cmocka_unit_test(test_hist_percentiles_vs_sorted),
      cmocka_unit_test(test_schedule_constant),
      cmocka_unit_test(test_schedule_poisson),
      cmocka_unit_test(test_args_defaults_and_url),
      cmocka_unit_test(test_args_errors),
      cmocka_unit_test(test_request_v1),
      cmocka_unit_test(test_request_v2),
      cmocka_unit_test(test_base64_vectors),
      cmocka_unit_test(test_resp_parser),
      cmocka_unit_test(test_run_closed_loop_counts),
      cmocka_unit_test(test_run_open_loop_sees_stall),
      cmocka_unit_test(test_run_threads_open_loop),
      cmocka_unit_test(test_run_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
