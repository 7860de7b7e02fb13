/* Every route of the real daemon (CPU backend, real model, ephemeral
 * loopback port), on happy and error paths; after the errors the daemon
 * must still serve. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "server/img.h"
#include "tests/serve_harness.h"
#include "tests/test_support.h"

static serve_daemon D;
static uint8_t *panda, *car;
static size_t panda_len, car_len;

static int setup(void **state) {
  curl_global_init(CURL_GLOBAL_ALL);
  panda = test_read_file(test_runfile("efficientnet_b0_tfjs/panda.jpg"), &panda_len);
  car = test_read_file(test_runfile("efficientnet_b0_tfjs/car.jpg"), &car_len);
  if (!panda || !car) return -1;
  const char *extra[] = {"--max-body-bytes=2000000", "--idle-timeout-s=1",
                         "--max-queue-delay-us=1000", "--profile-every=1", NULL};
  return serve_daemon_start(&D, extra);
}

static int teardown(void **state) {
  int code = serve_daemon_signal_wait(&D, SIGTERM, 30);
  free(panda);
  free(car);
  return code == 0 ? 0 : -1;
}

/* GET path expecting status; returns the parsed JSON body (or NULL). */
static json_t *get_json(const char *path, long want) {
  serve_resp r;
  serve_http(&D, "GET", path, NULL, NULL, 0, &r);
  if (r.status != want) fail_msg("GET %s: status %ld, want %ld: %s", path, r.status, want, r.body);
  json_t *o = r.body ? json_loads(r.body, 0, NULL) : NULL;
  serve_resp_free(&r);
  return o;
}

/* POST expecting status; returns the JSON body. */
static json_t *post_json(const char *path, const char *ctype, const void *body, size_t len,
                         long want) {
  char h[300];
  snprintf(h, sizeof h, "Content-Type: %s", ctype);
  const char *hdrs[] = {h, NULL};
  serve_resp r;
  serve_http(&D, "POST", path, hdrs, body, len, &r);
  if (r.status != want)
    fail_msg("POST %s: status %ld, want %ld: %.300s", path, r.status, want, r.body);
  json_t *o = r.body ? json_loads(r.body, 0, NULL) : NULL;
  if (want >= 400 && (!o || !json_is_string(json_object_get(o, "error"))))
    fail_msg("POST %s: error body is not {\"error\": ...}: %.200s", path, r.body);
  serve_resp_free(&r);
  return o;
}

/* Standard base64 of p[0..n), NUL-terminated; caller frees. */
static char *b64_encode(const uint8_t *p, size_t n) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char *s = malloc((n + 2) / 3 * 4 + 1);
  assert_non_null(s);
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                 (i + 2 < n ? p[i + 2] : 0);
    s[o++] = tbl[v >> 18 & 63];
    s[o++] = tbl[v >> 12 & 63];
    s[o++] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
    s[o++] = i + 2 < n ? tbl[v & 63] : '=';
  }
  s[o] = 0;
  return s;
}

static const char *top_label(json_t *o, int img) {
  json_t *p = json_array_get(json_object_get(o, "predictions"), (size_t)img);
  return json_string_value(
      json_object_get(json_array_get(json_object_get(p, "top_k"), 0), "label"));
}

static void test_health_and_metadata(void **state) {
  json_decref(get_json("/v2/health/live", 200));
  json_decref(get_json("/v2/health/ready", 200));
  json_t *o = get_json("/v2", 200);
  assert_string_equal(json_string_value(json_object_get(o, "name")), "blockfuse");
  assert_true(json_array_size(json_object_get(o, "extensions")) >= 4);
  json_decref(o);
  o = get_json("/v2/models/efficientnet_b0", 200);
  assert_string_equal(json_string_value(json_object_get(o, "name")), "efficientnet_b0");
  json_t *out = json_array_get(json_object_get(o, "outputs"), 0);
  assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "shape"), 1)), 1000);
  json_decref(o);
  json_decref(get_json("/v2/models/efficientnet_b0/versions/1", 200));
  json_decref(get_json("/v2/models/efficientnet_b0/ready", 200));
  o = get_json("/v2/models/efficientnet_b0/config", 200);
  assert_true(json_integer_value(json_object_get(o, "max_batch_size")) >= 1);
  json_decref(o);
  json_decref(get_json("/v2/models/nope", 404));
  json_decref(get_json("/v2/models/nope/ready", 404));
  json_decref(get_json("/v2/models/efficientnet_b0/versions/7", 404));
  json_decref(get_json("/nothing/here", 404));
  json_decref(get_json("/v2/models/efficientnet_b0/infer", 405));
  json_decref(post_json("/v2/health/live", "text/plain", "x", 1, 405));
}

static void test_classify_forms(void **state) {
  json_t *o = post_json("/v1/classify", "image/jpeg", panda, panda_len, 200);
  assert_non_null(strstr(top_label(o, 0), "panda"));
  assert_int_equal(
      json_array_size(
          json_array_get(json_object_get(o, "predictions"), 0)
              ? json_object_get(json_array_get(json_object_get(o, "predictions"), 0), "top_k")
              : NULL),
      5);
  assert_true(json_real_value(json_object_get(json_object_get(o, "timings_us"), "compute")) > 0);
  json_decref(o);
  o = post_json("/v1/models/efficientnet_b0:classify?top_k=2", "image/jpeg", car, car_len, 200);
  assert_int_equal(json_array_size(json_object_get(
                       json_array_get(json_object_get(o, "predictions"), 0), "top_k")),
                   2);
  json_decref(o);
  /* multipart with two files */
  const char *b = "BFtestBoundary";
  size_t cap = panda_len + car_len + 1024, n = 0;
  char *mp = malloc(cap);
  n += (size_t)sprintf(mp + n,
                       "--%s\r\nContent-Disposition: form-data; name=\"image\"; "
                       "filename=\"panda.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n",
                       b);
  memcpy(mp + n, panda, panda_len);
  n += panda_len;
  n += (size_t)sprintf(mp + n,
                       "\r\n--%s\r\nContent-Disposition: form-data; name=\"image\"; "
                       "filename=\"car.jpg\"\r\n\r\n",
                       b);
  memcpy(mp + n, car, car_len);
  n += car_len;
  n += (size_t)sprintf(mp + n, "\r\n--%s--\r\n", b);
  o = post_json("/v1/classify", "multipart/form-data; boundary=BFtestBoundary", mp, n, 200);
  assert_int_equal(json_array_size(json_object_get(o, "predictions")), 2);
  assert_non_null(strstr(top_label(o, 0), "panda"));
  json_decref(o);
  free(mp);
  /* TF Serving-style JSON with base64 */
  char *enc = b64_encode(panda, panda_len);
  char *js = malloc(strlen(enc) + 100);
  size_t o2 = (size_t)sprintf(js, "{\"instances\":[{\"b64\":\"%s\"}],\"top_k\":1}", enc);
  free(enc);
  o = post_json("/v1/classify", "application/json", js, o2, 200);
  assert_non_null(strstr(top_label(o, 0), "panda"));
  json_decref(o);
  /* the same base64 as a v2 BYTES tensor with the classification extension */
  char *v2 = malloc(o2 + 300);
  const char *b64 = strstr(js, "\"b64\":\"") + 7;
  size_t bl = (size_t)(strchr(b64, '"') - b64);
  int l = sprintf(v2,
                  "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],"
                  "\"data\":[\"%.*s\"]}],\"parameters\":{\"classification\":3}}",
                  (int)bl, b64);
  o = post_json("/v2/models/efficientnet_b0/infer", "application/json", v2, (size_t)l, 200);
  json_t *out = json_array_get(json_object_get(o, "outputs"), 0);
  assert_string_equal(json_string_value(json_object_get(out, "datatype")), "BYTES");
  assert_non_null(
      strstr(json_string_value(json_array_get(json_object_get(out, "data"), 0)), "panda"));
  json_decref(o);
  free(v2);
  free(js);
}

/* Binary tensor extension: UINT8 [2,224,224,3] in, FP32 logits out. */
static void test_v2_binary(void **state) {
  size_t px = 2 * 224 * 224 * 3;
  char hdr[400];
  int hl = snprintf(hdr, sizeof hdr,
                    "{\"id\":\"bin\",\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\","
                    "\"shape\":[2,224,224,3],\"parameters\":{\"binary_data_size\":%zu}}],"
                    "\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"binary_data\":true}}]}",
                    px);
  uint8_t *body = malloc((size_t)hl + px);
  memcpy(body, hdr, (size_t)hl);
  float *r = malloc(sizeof(float) * px);
  test_fill_random(r, px, 0, 256);
  for (size_t i = 0; i < px; i++) body[hl + i] = (uint8_t)r[i];
  free(r);
  char lenh[80];
  snprintf(lenh, sizeof lenh, "Inference-Header-Content-Length: %d", hl);
  const char *hdrs[] = {"Content-Type: application/octet-stream", lenh, NULL};
  serve_resp resp;
  serve_http(&D, "POST", "/v2/models/efficientnet_b0/infer", hdrs, body, (size_t)hl + px, &resp);
  assert_int_equal(resp.status, 200);
  size_t jl = strtoull(resp.header_len, NULL, 10);
  assert_true(jl > 0);
  assert_int_equal(resp.len - jl, 2 * 1000 * 4);
  json_t *o = json_loadb(resp.body, jl, 0, NULL);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "id")), "bin");
  json_decref(o);
  for (int i = 0; i < 2000; i++) { /* the binary part need not be float-aligned in the body */
    float v;
    memcpy(&v, resp.body + jl + (size_t)i * 4, 4);
    assert_true(v == v && v > -1e4 && v < 1e4);
  }
  serve_resp_free(&resp);
  /* bad header length */
  const char *bad[] = {"Content-Type: application/octet-stream",
                       "Inference-Header-Content-Length: 999999999", NULL};
  serve_http(&D, "POST", "/v2/models/efficientnet_b0/infer", bad, body, (size_t)hl + px, &resp);
  assert_int_equal(resp.status, 400);
  serve_resp_free(&resp);
  free(body);
}

static void test_bad_inputs(void **state) {
  const char *path = "/v2/models/efficientnet_b0/infer";
  json_decref(post_json(path, "application/json", "{\"inputs\":[{", 12, 400));
  const char *shape =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,2,3],"
      "\"data\":[1,2,3,4,5,6]}]}";
  json_decref(post_json(path, "application/json", shape, strlen(shape), 400));
  const char *dtype =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT32\",\"shape\":[1,1,1,3],"
      "\"data\":[1,2,3]}]}";
  json_decref(post_json(path, "application/json", dtype, strlen(dtype), 400));
  json_decref(post_json("/v2/models/resnet/infer", "application/json", dtype, strlen(dtype), 404));
  json_decref(post_json("/v1/models/resnet:classify", "image/jpeg", panda, panda_len, 404));
  json_decref(post_json("/v1/classify", "image/jpeg", panda, panda_len / 2, 400)); /* truncated */
  json_decref(post_json("/v1/classify", "image/jpeg", "not an image", 12, 400));
  json_decref(post_json("/v1/classify", "application/json", "{\"instances\":", 13, 400));
  json_decref(post_json("/v1/classify?top_k=0", "image/jpeg", panda, panda_len, 400));
  json_decref(post_json("/v1/classify", "image/jpeg", "", 0, 400));
  /* oversized body: 413 whether or not the client waits for 100-continue */
  size_t big = 2100000;
  char *b = calloc(1, big);
  json_decref(post_json("/v1/classify", "image/jpeg", b, big, 413));
  free(b);
}

/* A plain TCP connection to the daemon, for requests curl will not send;
 * reads on it time out after `timeout_s`. */
static int raw_connect_timeout(int timeout_s) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)D.port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  struct timeval tv = {timeout_s, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

/* Reads fd until EOF, a full buf (cap - 1 bytes, NUL-terminated) or the
 * socket's receive timeout (*timed_out, when not NULL); returns the bytes. */
static size_t raw_read_all(int fd, char *buf, size_t cap, int *timed_out) {
  size_t got = 0;
  ssize_t n = 0;
  while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0) got += (size_t)n;
  buf[got] = 0;
  if (timed_out) *timed_out = n < 0;
  return got;
}

/* A request that stops halfway is closed after the idle timeout without an
 * answer, and the daemon goes on serving. */
static void test_half_sent(void **state) {
  int fd = raw_connect_timeout(5);
  const char *req =
      "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: 100000\r\n\r\n\xff\xd8\xff";
  assert_true(write(fd, req, strlen(req)) > 0);
  /* meanwhile the daemon answers others */
  json_decref(get_json("/v2/health/ready", 200));
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf); /* EOF once the idle timeout (1 s) closes it */
  assert_int_equal(n, 0);                /* no response, closed (not the 5 s read timeout) */
  close(fd);
  json_t *o = post_json("/v1/classify", "image/jpeg", panda, panda_len, 200);
  assert_non_null(strstr(top_label(o, 0), "panda"));
  json_decref(o);
}

/* A client that announces a too-large body and waits for "100 Continue"
 * gets the 413 at once, without sending the body. */
static void test_expect_continue_413(void **state) {
  int fd = raw_connect_timeout(10);
  const char *req =
      "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
      "Content-Length: 3000000\r\nExpect: 100-continue\r\n\r\n";
  assert_true(write(fd, req, strlen(req)) == (ssize_t)strlen(req));
  char buf[1024];
  raw_read_all(fd, buf, sizeof buf, NULL);
  close(fd);
  if (strncmp(buf, "HTTP/1.1 413", 12) != 0) fail_msg("wanted an early 413, got: %.200s", buf);
  assert_non_null(strstr(buf, "\"error\""));
  assert_null(strstr(buf, "100 Continue"));
}

static void test_stats_metrics_efficiency(void **state) {
  json_t *o = get_json("/v2/models/efficientnet_b0/stats", 200);
  json_t *ms = json_array_get(json_object_get(o, "model_stats"), 0);
  assert_true(json_integer_value(json_object_get(ms, "inference_count")) >= 4);
  json_t *succ = json_object_get(json_object_get(ms, "inference_stats"), "success");
  assert_true(json_integer_value(json_object_get(succ, "count")) >= 4);
  assert_true(json_integer_value(json_object_get(succ, "ns")) > 0);
  json_decref(o);
  o = get_json("/v2/models/efficientnet_b0/efficiency", 200);
  assert_true(json_is_true(json_object_get(o, "profiled")));
  json_t *blocks = json_object_get(o, "blocks");
  assert_true(json_array_size(blocks) > 5);
  json_t *b0 = json_array_get(blocks, 1);
  assert_true(json_real_value(json_object_get(b0, "flops")) > 0);
  assert_true(json_real_value(json_object_get(b0, "seconds")) > 0);
  double eff = json_real_value(json_object_get(b0, "efficiency"));
  assert_true(eff > 0 && eff < 1.5);
  /* one device (0: the CPU, or the first GPU), named and listed */
  assert_int_equal(json_integer_value(json_object_get(o, "device")), 0);
  assert_int_equal(json_array_size(json_object_get(o, "devices")), 1);
  assert_int_equal(json_integer_value(json_array_get(json_object_get(o, "devices"), 0)), 0);
  json_decref(o);
  o = get_json("/v2/models/efficientnet_b0/efficiency?device=0", 200);
  assert_true(json_is_true(json_object_get(o, "profiled")));
  json_decref(o);
  o = get_json("/v2/models/efficientnet_b0/efficiency?device=7", 404);
  assert_non_null(strstr(json_string_value(json_object_get(o, "error")), "device 7"));
  json_decref(o);
  json_decref(get_json("/v2/models/efficientnet_b0/efficiency?device=x", 400));
  json_decref(get_json("/v2/models/efficientnet_b0/efficiency?device=-1", 400));
  serve_resp r;
  serve_http(&D, "GET", "/metrics", NULL, NULL, 0, &r);
  assert_int_equal(r.status, 200);
  assert_true(serve_metric(r.body, "nv_inference_request_success", "efficientnet_b0") >= 4);
  assert_true(serve_metric(r.body, "nv_inference_request_failure", "OTHER") >= 5);
  assert_true(serve_metric(r.body, "nv_inference_count", "") >= 5);
  assert_true(serve_metric(r.body, "nv_inference_exec_count", "") >= 1);
  assert_true(serve_metric(r.body, "nv_inference_compute_infer_duration_us", "") > 0);
  assert_true(serve_metric(r.body, "blockfuse_request_duration_us_count", "") >= 4);
  assert_true(serve_metric(r.body, "blockfuse_batch_size_count", "") >= 1);
  assert_true(serve_metric(r.body, "blockfuse_block_flops", "kind=") > 0);
  assert_true(serve_metric(r.body, "blockfuse_block_efficiency", "kind=") > 0);
  assert_true(serve_metric(r.body, "blockfuse_block_efficiency", "device=\"0\",block=") > 0);
  assert_true(serve_metric(r.body, "blockfuse_backend_peak_flops_per_second", "device=\"0\"") > 0);
  assert_true(serve_metric(r.body, "blockfuse_block_profile_batch", "device=\"0\"") >= 1);
  /* the bad requests before (400s) are not backend failures: health stays 200 */
  assert_true(serve_metric(r.body, "blockfuse_backend_consecutive_failures", "") == 0);
  assert_non_null(strstr(r.body, "# TYPE nv_inference_request_success counter"));
  serve_resp_free(&r);
}

/* Error body of a non-2xx response mentions `want`. */
static void assert_error_has(const char *body, const char *want) {
  json_t *o = body ? json_loads(body, 0, NULL) : NULL;
  const char *e = json_string_value(json_object_get(o, "error"));
  if (!e || !strstr(e, want)) fail_msg("error body %.300s does not mention '%s'", body, want);
  json_decref(o);
}

/* POST a JSON body expecting an error status whose message mentions `want`. */
static void post_error(const char *path, const char *ctype, const void *body, size_t len,
                       long status, const char *want) {
  json_t *o = post_json(path, ctype, body, len, status);
  const char *e = json_string_value(json_object_get(o, "error"));
  if (!e || !strstr(e, want)) fail_msg("POST %s: error '%s' does not mention '%s'", path, e, want);
  json_decref(o);
}

/* The KServe metadata and the Triton model configuration describe the same
 * model: same platform, both inputs optional alternatives, config dims equal
 * to metadata shapes without the batch dim; sending both inputs is 400. */
static void test_v2_conformance(void **state) {
  json_t *meta = get_json("/v2/models/efficientnet_b0", 200);
  json_t *cfg = get_json("/v2/models/efficientnet_b0/config", 200);
  const char *mp = json_string_value(json_object_get(meta, "platform"));
  const char *cp = json_string_value(json_object_get(cfg, "platform"));
  assert_non_null(mp);
  assert_non_null(cp);
  assert_string_equal(mp, cp);
  assert_true(json_integer_value(json_object_get(cfg, "max_batch_size")) > 0);
  static const struct {
    const char *name, *datatype, *data_type;
  } want[] = {{"input", "UINT8", "TYPE_UINT8"}, {"image", "BYTES", "TYPE_STRING"}};
  json_t *mi = json_object_get(meta, "inputs"), *ci = json_object_get(cfg, "input");
  assert_int_equal(json_array_size(mi), 2);
  assert_int_equal(json_array_size(ci), 2);
  for (size_t i = 0; i < 2; i++) {
    json_t *m = json_array_get(mi, i), *c = json_array_get(ci, i);
    assert_string_equal(json_string_value(json_object_get(m, "name")), want[i].name);
    assert_string_equal(json_string_value(json_object_get(c, "name")), want[i].name);
    assert_string_equal(json_string_value(json_object_get(m, "datatype")), want[i].datatype);
    assert_string_equal(json_string_value(json_object_get(c, "data_type")), want[i].data_type);
    assert_true(json_is_true(json_object_get(c, "optional")));
    json_t *shape = json_object_get(m, "shape"), *dims = json_object_get(c, "dims");
    assert_int_equal(json_array_size(shape), json_array_size(dims) + 1);
    assert_int_equal(json_integer_value(json_array_get(shape, 0)), -1);
    for (size_t d = 0; d < json_array_size(dims); d++)
      assert_int_equal(json_integer_value(json_array_get(shape, d + 1)),
                       json_integer_value(json_array_get(dims, d)));
  }
  /* any HxW is accepted, so H and W are -1 in both */
  json_t *dims0 = json_object_get(json_array_get(ci, 0), "dims");
  assert_int_equal(json_array_size(dims0), 3);
  assert_int_equal(json_integer_value(json_array_get(dims0, 0)), -1);
  assert_int_equal(json_integer_value(json_array_get(dims0, 1)), -1);
  assert_int_equal(json_integer_value(json_array_get(dims0, 2)), 3);
  json_decref(meta);
  json_decref(cfg);
  const char *path = "/v2/models/efficientnet_b0/infer";
  const char *both =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,1,1,3],"
      "\"data\":[1,2,3]},{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],"
      "\"data\":[\"aGk=\"]}]}";
  post_error(path, "application/json", both, strlen(both), 400, "exactly one");
  /* a 1x1 image through the pixel path, with the image shape [N,1] */
  const char *px =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,1,1,3],"
      "\"data\":[[[[120,80,40]]]]}],\"parameters\":{\"classification\":1}}";
  json_t *o = post_json(path, "application/json", px, strlen(px), 200);
  json_t *out = json_array_get(json_object_get(o, "outputs"), 0);
  assert_string_equal(json_string_value(json_object_get(out, "name")), "probabilities");
  assert_int_equal(json_array_size(json_object_get(out, "data")), 1);
  json_decref(o);
}

/* Model routes other than infer also 404 an unknown model, as JSON. */
static void test_unknown_model_routes(void **state) {
  static const char *const paths[] = {"/v2/models/nope/stats", "/v2/models/nope/config",
                                      "/v2/models/nope/efficiency",
                                      "/v2/models/nope/versions/1/stats"};
  for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
    serve_resp r;
    serve_http(&D, "GET", paths[i], NULL, NULL, 0, &r);
    if (r.status != 404) fail_msg("GET %s: status %ld, want 404", paths[i], r.status);
    assert_error_has(r.body, "unknown model 'nope'");
    serve_resp_free(&r);
  }
}

/* Reads outputs[] entry `name` of a v2 response as n floats into dst. */
static void output_floats(json_t *o, const char *name, float *dst, size_t n) {
  json_t *outs = json_object_get(o, "outputs"), *v;
  size_t i;
  json_array_foreach(outs, i, v) {
    if (strcmp(json_string_value(json_object_get(v, "name")), name) != 0) continue;
    json_t *data = json_object_get(v, "data");
    assert_int_equal(json_array_size(data), n);
    for (size_t k = 0; k < n; k++) dst[k] = (float)json_number_value(json_array_get(data, k));
    return;
  }
  fail_msg("no output '%s'", name);
}

static int argmax(const float *v, int n) {
  int b = 0;
  for (int i = 1; i < n; i++)
    if (v[i] > v[b]) b = i;
  return b;
}

/* Builds a v2 JSON request whose single 224x224 pixel input has the given
 * datatype; FP32 values are off by 0.25 (rounded away by the server). */
static char *pixel_request(const uint8_t *px, size_t n, const char *datatype, size_t *len) {
  char *s = malloc(n * 8 + 400);
  assert_non_null(s);
  size_t o = (size_t)sprintf(s,
                             "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"%s\","
                             "\"shape\":[1,224,224,3],\"data\":[",
                             datatype);
  int fp = strcmp(datatype, "FP32") == 0;
  for (size_t i = 0; i < n; i++)
    o += (size_t)(fp ? sprintf(s + o, "%s%.2f", i ? "," : "", px[i] + (px[i] < 255 ? 0.25 : -0.25))
                     : sprintf(s + o, "%s%u", i ? "," : "", px[i]));
  o += (size_t)sprintf(s + o,
                       "]}],\"outputs\":[{\"name\":\"logits\"},{\"name\":\"probabilities\","
                       "\"parameters\":{\"classification\":1}}]}");
  *len = o;
  return s;
}

/* The pixel paths: panda.jpg decoded and cropped here, sent as a JSON UINT8
 * tensor, a JSON FP32 tensor and a binary FP32 tensor, gives "giant panda"
 * and the same logits as the encoded JPEG sent as a BYTES tensor. */
static void test_v2_pixel_tensors(void **state) {
  const size_t n = 224 * 224 * 3, C = 1000;
  uint8_t *px = malloc(n);
  char err[200];
  assert_int_equal(img_prepare(panda, panda_len, 1u << 26, 256, 224, 224, px, err, sizeof err), 0);
  const char *path = "/v2/models/efficientnet_b0/infer";
  float *ref = malloc(sizeof(float) * C), *got = malloc(sizeof(float) * C);
  /* reference: the JPEG as BYTES */
  char *enc = b64_encode(panda, panda_len);
  char *js = malloc(strlen(enc) + 300);
  int l = sprintf(js,
                  "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1,1],"
                  "\"data\":[{\"b64\":\"%s\"}]}],\"outputs\":[{\"name\":\"logits\"}]}",
                  enc);
  json_t *o = post_json(path, "application/json", js, (size_t)l, 200);
  output_floats(o, "logits", ref, C);
  json_decref(o);
  free(js);
  free(enc);
  assert_int_equal(argmax(ref, (int)C), 388);
  /* the same pixels at the same batch size: equal on the CPU backend up to
   * summation order; the fp16 CUDA backend gets a looser bound */
  const char *be = getenv("BLOCKFUSE_TEST_BACKEND");
  const double tol = be && strcmp(be, "cuda") == 0 ? 1e-2 : 1e-4;
  static const char *const types[] = {"UINT8", "FP32"};
  for (int t = 0; t < 2; t++) {
    size_t len;
    char *req = pixel_request(px, n, types[t], &len);
    o = post_json(path, "application/json", req, len, 200);
    free(req);
    output_floats(o, "logits", got, C);
    json_t *cls = json_object_get(json_array_get(json_object_get(o, "outputs"), 1), "data");
    const char *top = json_string_value(json_array_get(cls, 0));
    if (!top || !strstr(top, ":388:giant panda"))
      fail_msg("%s tensor: top-1 is '%s', want giant panda", types[t], top ? top : "(none)");
    json_decref(o);
    assert_int_equal(argmax(got, (int)C), 388);
    double e = test_rel_err(got, ref, C);
    if (!(e < tol)) fail_msg("%s tensor logits differ from the JPEG's: rel err %g", types[t], e);
  }
  /* binary FP32 */
  char hdr[300];
  int hl =
      snprintf(hdr, sizeof hdr,
               "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,224,224,3],"
               "\"parameters\":{\"binary_data_size\":%zu}}],\"outputs\":[{\"name\":\"logits\"}]}",
               n * 4);
  uint8_t *body = malloc((size_t)hl + n * 4);
  memcpy(body, hdr, (size_t)hl);
  for (size_t i = 0; i < n; i++) {
    float f = px[i] - 0.3f * (px[i] > 0);
    memcpy(body + hl + i * 4, &f, 4);
  }
  char lenh[80];
  snprintf(lenh, sizeof lenh, "Inference-Header-Content-Length: %d", hl);
  const char *hdrs[] = {"Content-Type: application/octet-stream", lenh, NULL};
  serve_resp resp;
  serve_http(&D, "POST", path, hdrs, body, (size_t)hl + n * 4, &resp);
  assert_int_equal(resp.status, 200);
  o = json_loads(resp.body, 0, NULL);
  assert_non_null(o);
  output_floats(o, "logits", got, C);
  json_decref(o);
  serve_resp_free(&resp);
  assert_true(test_rel_err(got, ref, C) < tol);
  /* an FP32 value outside [0,255] is refused, not clamped */
  float bad = 255.75f;
  memcpy(body + hl + 100 * 4, &bad, 4);
  serve_http(&D, "POST", path, hdrs, body, (size_t)hl + n * 4, &resp);
  assert_int_equal(resp.status, 400);
  assert_error_has(resp.body, "element 100");
  serve_resp_free(&resp);
  free(body);
  const char *frac =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,1,1,3],"
      "\"data\":[1,2.5,3]}]}";
  post_error(path, "application/json", frac, strlen(frac), 400, "UINT8 0..255");
  free(px);
  free(ref);
  free(got);
}

/* BYTES through the binary extension: two length-prefixed JPEGs; a length
 * prefix that overruns the data is 400. */
static void test_v2_binary_bytes(void **state) {
  char hdr[400];
  size_t blob = 8 + panda_len + car_len;
  int hl = snprintf(hdr, sizeof hdr,
                    "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[2],"
                    "\"parameters\":{\"binary_data_size\":%zu}}],\"outputs\":[{\"name\":"
                    "\"probabilities\",\"parameters\":{\"classification\":1}}]}",
                    blob);
  uint8_t *body = malloc((size_t)hl + blob), *p = body + hl;
  memcpy(body, hdr, (size_t)hl);
  const uint8_t *imgs[2] = {panda, car};
  size_t lens[2] = {panda_len, car_len};
  for (int i = 0; i < 2; i++) {
    for (int b = 0; b < 4; b++) *p++ = (uint8_t)(lens[i] >> (8 * b));
    memcpy(p, imgs[i], lens[i]);
    p += lens[i];
  }
  char lenh[80];
  snprintf(lenh, sizeof lenh, "Inference-Header-Content-Length: %d", hl);
  const char *hdrs[] = {"Content-Type: application/octet-stream", lenh, NULL};
  serve_resp r;
  serve_http(&D, "POST", "/v2/models/efficientnet_b0/infer", hdrs, body, (size_t)hl + blob, &r);
  assert_int_equal(r.status, 200);
  json_t *o = json_loads(r.body, 0, NULL);
  json_t *data = json_object_get(json_array_get(json_object_get(o, "outputs"), 0), "data");
  assert_int_equal(json_array_size(data), 2);
  assert_non_null(strstr(json_string_value(json_array_get(data, 0)), "giant panda"));
  assert_non_null(strstr(json_string_value(json_array_get(data, 1)), "sports car"));
  json_decref(o);
  serve_resp_free(&r);
  body[hl] = (uint8_t)(body[hl] + 1); /* first prefix one byte too long: the second overruns */
  serve_http(&D, "POST", "/v2/models/efficientnet_b0/infer", hdrs, body, (size_t)hl + blob, &r);
  assert_int_equal(r.status, 400);
  assert_error_has(r.body, "length-prefixed");
  serve_resp_free(&r);
  free(body);
}

/* v2 infer error paths: empty body, truncated JPEG, oversized body. */
static void test_v2_errors(void **state) {
  const char *path = "/v2/models/efficientnet_b0/infer";
  post_error(path, "application/json", "", 0, 400, "empty body");
  char *enc = b64_encode(panda, panda_len / 2);
  char *js = malloc(strlen(enc) + 200);
  int l = sprintf(js,
                  "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],"
                  "\"data\":[\"%s\"]}]}",
                  enc);
  post_error(path, "application/json", js, (size_t)l, 400, "image 0");
  free(js);
  free(enc);
  const char *nb64 =
      "{\"inputs\":[{\"name\":\"image\",\"datatype\":\"BYTES\",\"shape\":[1],"
      "\"data\":[\"not base64!\"]}]}";
  post_error(path, "application/json", nb64, strlen(nb64), 400, "invalid base64");
  size_t big = 2100000;
  char *b = malloc(big);
  memset(b, ' ', big);
  post_error(path, "application/json", b, big, 413, "max_body_bytes");
  free(b);
  json_decref(get_json("/v2/health/ready", 200));
}

/* Multipart bodies with an empty image part, no image part, or a bad or
 * mismatched boundary are 400 with a message saying which. */
static void test_multipart_errors(void **state) {
  const char *empty =
      "--XX\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n\r\n"
      "\r\n--XX--\r\n";
  const char *noimg =
      "--XX\r\nContent-Disposition: form-data; name=\"top_k\"\r\n\r\n3\r\n--XX--\r\n";
  post_error("/v1/classify", "multipart/form-data; boundary=XX", empty, strlen(empty), 400,
             "is empty");
  post_error("/v1/classify", "multipart/form-data; boundary=XX", noimg, strlen(noimg), 400,
             "no image part");
  post_error("/v1/classify", "multipart/form-data", noimg, strlen(noimg), 400, "boundary");
  post_error("/v1/classify", "multipart/form-data; boundary=", noimg, strlen(noimg), 400,
             "boundary");
  post_error("/v1/classify", "multipart/form-data; boundary=YY", noimg, strlen(noimg), 400,
             "boundary not found");
}

/* A request cut off inside its headers, whether the client then closes or
 * leaves it hanging until the idle timeout (1 s) closes it, gets no 2xx and
 * does not stop the daemon from answering the next request. */
static void test_cut_in_headers(void **state) {
  const char *part = "POST /v2/models/efficientnet_b0/infer HTTP/1.1\r\nHost: x\r\nContent-Ty";
  int fd = raw_connect_timeout(5);
  assert_true(write(fd, part, strlen(part)) == (ssize_t)strlen(part));
  close(fd);
  json_decref(get_json("/v2/health/ready", 200));
  fd = raw_connect_timeout(5);
  assert_true(write(fd, part, strlen(part)) == (ssize_t)strlen(part));
  json_decref(get_json("/v2/health/live", 200)); /* served while that one hangs */
  char buf[512];
  int timed_out;
  const size_t got = raw_read_all(fd, buf, sizeof buf, &timed_out);
  close(fd);
  if (timed_out) fail_msg("a connection stalled mid-headers was not closed by the idle timeout");
  if (got && strncmp(buf, "HTTP/1.1 4", 10) != 0) fail_msg("stalled headers got: %.100s", buf);
  json_t *o = post_json("/v1/classify", "image/jpeg", panda, panda_len, 200);
  assert_non_null(strstr(top_label(o, 0), "panda"));
  json_decref(o);
}

/* GET/POST /v2/logging: the log settings, changed at run time; a bad field
 * changes nothing. Restores the daemon's settings at the end. */
static void test_logging_route(void **state) {
  json_t *o = get_json("/v2/logging", 200);
  assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
  assert_string_equal(json_string_value(json_object_get(o, "format")), "text");
  assert_true(json_is_false(json_object_get(o, "access_log")));
  json_decref(o);
  static const char debug[] = "{\"level\":\"debug\",\"access_log\":true}";
  o = post_json("/v2/logging", "application/json", debug, sizeof debug - 1, 200);
  assert_string_equal(json_string_value(json_object_get(o, "level")), "debug");
  assert_true(json_is_true(json_object_get(o, "access_log")));
  json_decref(o);
  static const char bad[] = "{\"format\":\"json\",\"level\":\"loud\"}";
  post_error("/v2/logging", "application/json", bad, sizeof bad - 1, 400, "level");
  post_error("/v2/logging", "application/json", "[1]", 3, 400, "JSON object");
  post_error("/v2/logging", "application/json", "{\"colour\":1}", 12, 400, "colour");
  o = get_json("/v2/logging", 200); /* the bad requests changed nothing */
  assert_string_equal(json_string_value(json_object_get(o, "level")), "debug");
  assert_string_equal(json_string_value(json_object_get(o, "format")), "text");
  json_decref(o);
  static const char back[] = "{\"level\":\"info\",\"format\":\"text\",\"access_log\":false}";
  o = post_json("/v2/logging", "application/json", back, sizeof back - 1, 200);
  assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
  assert_true(json_is_false(json_object_get(o, "access_log")));
  json_decref(o);
  json_decref(get_json("/v2/logging", 200));
  serve_resp r;
  serve_http(&D, "PUT", "/v2/logging", NULL, NULL, 0, &r);
  assert_int_equal(r.status, 405);
  serve_resp_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_health_and_metadata),
      cmocka_unit_test(test_v2_conformance),
      cmocka_unit_test(test_unknown_model_routes),
      cmocka_unit_test(test_classify_forms),
      cmocka_unit_test(test_v2_binary),
      cmocka_unit_test(test_bad_inputs),
      cmocka_unit_test(test_half_sent),
      cmocka_unit_test(test_expect_continue_413),
      cmocka_unit_test(test_v2_pixel_tensors),
      cmocka_unit_test(test_v2_binary_bytes),
      cmocka_unit_test(test_v2_errors),
      cmocka_unit_test(test_multipart_errors),
      cmocka_unit_test(test_cut_in_headers),
      cmocka_unit_test(test_stats_metrics_efficiency),
      cmocka_unit_test(test_logging_route),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
