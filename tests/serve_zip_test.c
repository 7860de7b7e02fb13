/* Compressed bodies against the real daemon (CPU backend, real model,
 * ephemeral loopback port): gzip and deflate request bodies on the inference
 * routes give the same answers as plain ones; corrupt, unsupported or
 * misplaced codings and zip bombs get 400 / 415 / 413; gzip responses where
 * Accept-Encoding allows and the body is large enough, including the binary
 * tensor extension (whose JSON length stays that of the uncompressed body). */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "server/http_zip.h"
#include "tests/serve_harness.h"
#include "tests/test_support.h"
#include "tests/test_zlib.h"

static serve_daemon D;
static uint8_t *panda;
static size_t panda_len;

static int setup(void **state) {
  (void)state;
  curl_global_init(CURL_GLOBAL_ALL);
  panda = test_read_file(test_runfile("efficientnet_b0_tfjs/panda.jpg"), &panda_len);
  if (!panda) return -1;
  const char *extra[] = {"--max-body-bytes=8000000", NULL};
  return serve_daemon_start(&D, extra);
}

static int teardown(void **state) {
  (void)state;
  int code = serve_daemon_signal_wait(&D, SIGTERM, 30);
  free(panda);
  curl_global_cleanup();
  return code == 0 ? 0 : -1;
}

/* POST path with these headers; checks the status and returns the response. */
static void post(const char *path, const char *const *hdrs, const void *body, size_t len, long want,
                 serve_resp *r) {
  serve_http(&D, "POST", path, hdrs, body, len, r);
  if (r->status != want)
    fail_msg("POST %s: status %ld, want %ld: %.300s", path, r->status, want, r->body);
}

static void test_compressed_requests(void **state) {
  (void)state;
  uint8_t *gz, *zl;
  size_t gzn, zln;
  assert_int_equal(http_zip_gzip(panda, panda_len, &gz, &gzn), 0);
  zl = test_zlib_wrap(panda, panda_len, &zln);
  serve_resp r;
  const char *h_gz[] = {"Content-Type: image/jpeg", "Content-Encoding: gzip", NULL};
  const char *h_zl[] = {"Content-Type: image/jpeg", "Content-Encoding: deflate", NULL};
  post("/v1/classify?top_k=1", h_gz, gz, gzn, 200, &r);
  assert_non_null(strstr(r.body, "giant panda"));
  serve_resp_free(&r);
  post("/v1/classify?top_k=1", h_zl, zl, zln, 200, &r);
  assert_non_null(strstr(r.body, "giant panda"));
  serve_resp_free(&r);
  /* truncated; gzip bytes called deflate; an unsupported coding; a coded
   * body on a route that is not an inference route */
  post("/v1/classify", h_gz, gz, gzn - 9, 400, &r);
  assert_non_null(strstr(r.body, "corrupt or truncated gzip"));
  serve_resp_free(&r);
  post("/v1/classify", h_zl, gz, gzn, 400, &r);
  assert_non_null(strstr(r.body, "corrupt or truncated deflate"));
  serve_resp_free(&r);
  const char *h_br[] = {"Content-Type: image/jpeg", "Content-Encoding: br", NULL};
  post("/v1/classify", h_br, gz, gzn, 415, &r);
  assert_non_null(strstr(r.body, "'br' is not supported"));
  serve_resp_free(&r);
  uint8_t *lz;
  size_t lzn;
  static const char lvl[] = "{\"level\":\"info\"}";
  assert_int_equal(http_zip_gzip((const uint8_t *)lvl, sizeof lvl - 1, &lz, &lzn), 0);
  const char *h_lg[] = {"Content-Type: application/json", "Content-Encoding: gzip", NULL};
  post("/v2/logging", h_lg, lz, lzn, 415, &r);
  assert_non_null(strstr(r.body, "only accepted on the inference routes"));
  serve_resp_free(&r);
  free(lz), free(gz), free(zl);
}

/* 40 MB of zeros in a small body: 413 at the 8 MB max-body bound. */
static void test_zip_bomb(void **state) {
  (void)state;
  const size_t big = (size_t)40 << 20;
  uint8_t *zeros = calloc(1, big), *gz;
  size_t gzn;
  assert_non_null(zeros);
  assert_int_equal(http_zip_gzip(zeros, big, &gz, &gzn), 0);
  free(zeros);
  assert_true(gzn < 8000000 / 4);
  const char *h[] = {"Content-Type: image/jpeg", "Content-Encoding: gzip", NULL};
  serve_resp r;
  post("/v1/classify", h, gz, gzn, 413, &r);
  assert_non_null(strstr(r.body, "max_body_bytes"));
  serve_resp_free(&r);
  free(gz);
  serve_http(&D, "GET", "/v2/health/ready", NULL, NULL, 0, &r); /* still serving */
  assert_int_equal(r.status, 200);
  serve_resp_free(&r);
}

/* The labels of a /v1 response, in order, as one string. */
static void labels_of(const char *body, size_t len, char *out, size_t cap) {
  json_t *o = json_loadb(body, len, 0, NULL);
  assert_non_null(o);
  json_t *preds = json_object_get(json_array_get(json_object_get(o, "predictions"), 0), "top_k");
  assert_true(json_array_size(preds) > 0);
  size_t at = 0;
  out[0] = 0;
  for (size_t i = 0; i < json_array_size(preds) && at + 64 < cap; i++)
    at += (size_t)snprintf(out + at, cap - at, "%lld,",
                           json_integer_value(json_object_get(json_array_get(preds, i), "index")));
  json_decref(o);
}

static void test_gzip_responses(void **state) {
  (void)state;
  const char *plain[] = {"Content-Type: image/jpeg", NULL};
  const char *gzip[] = {"Content-Type: image/jpeg", "Accept-Encoding: gzip", NULL};
  serve_resp a, b;
  post("/v1/classify?top_k=100", plain, panda, panda_len, 200, &a);
  assert_string_equal(a.content_encoding, "");
  post("/v1/classify?top_k=100", gzip, panda, panda_len, 200, &b);
  assert_string_equal(b.content_encoding, "gzip");
  assert_true(b.len < a.len);
  uint8_t *un;
  size_t unn;
  char err[200], la[4096], lb[4096];
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, (const uint8_t *)b.body, b.len, 1 << 24, &un,
                                    &unn, err, sizeof err),
                   0);
  labels_of(a.body, a.len, la, sizeof la);
  labels_of((const char *)un, unn, lb, sizeof lb);
  assert_string_equal(la, lb); /* same 100 classes, same order */
  free(un);
  serve_resp_free(&a), serve_resp_free(&b);
  /* small bodies stay as they are */
  post("/v1/classify?top_k=1", gzip, panda, panda_len, 200, &b);
  assert_string_equal(b.content_encoding, "");
  assert_non_null(strstr(b.body, "giant panda"));
  serve_resp_free(&b);
  /* q=0 refuses gzip */
  const char *q0[] = {"Content-Type: image/jpeg", "Accept-Encoding: gzip;q=0", NULL};
  post("/v1/classify?top_k=100", q0, panda, panda_len, 200, &b);
  assert_string_equal(b.content_encoding, "");
  serve_resp_free(&b);
}

/* Binary tensor extension both ways compressed: a gzip request of UINT8
 * pixels, a gzip response whose Inference-Header-Content-Length is the JSON
 * length of the uncompressed body, followed by the binary logits. */
static void test_binary_extension(void **state) {
  (void)state;
  const size_t px = 224 * 224 * 3;
  char hdr[400];
  int hl = snprintf(hdr, sizeof hdr,
                    "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\","
                    "\"shape\":[1,224,224,3],\"parameters\":{\"binary_data_size\":%zu}}],"
                    "\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"binary_data\":true}}]}",
                    px);
  uint8_t *body = malloc((size_t)hl + px);
  assert_non_null(body);
  memcpy(body, hdr, (size_t)hl);
  for (size_t i = 0; i < px; i++) body[hl + i] = (uint8_t)((i * 7) % 251);
  uint8_t *gz;
  size_t gzn;
  assert_int_equal(http_zip_gzip(body, (size_t)hl + px, &gz, &gzn), 0);
  char lenh[80];
  snprintf(lenh, sizeof lenh, "Inference-Header-Content-Length: %d", hl);
  const char *h[] = {"Content-Type: application/octet-stream", "Content-Encoding: gzip",
                     "Accept-Encoding: gzip", lenh, NULL};
  serve_resp r;
  post("/v2/models/efficientnet_b0/infer", h, gz, gzn, 200, &r);
  assert_string_equal(r.content_encoding, "gzip");
  const size_t jl = strtoull(r.header_len, NULL, 10);
  uint8_t *un;
  size_t unn;
  char err[200];
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, (const uint8_t *)r.body, r.len, 1 << 24, &un,
                                    &unn, err, sizeof err),
                   0);
  assert_true(jl > 0 && jl < unn);
  assert_int_equal(unn - jl, 1000 * 4);
  json_t *o = json_loadb((const char *)un, jl, 0, NULL);
  assert_non_null(o);
  json_decref(o);
  for (int i = 0; i < 1000; i++) {
    float v;
    memcpy(&v, un + jl + (size_t)i * 4, 4);
    assert_true(v == v && v > -1e4 && v < 1e4);
  }
  free(un), free(gz), free(body);
  serve_resp_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compressed_requests),
      cmocka_unit_test(test_zip_bomb),
      cmocka_unit_test(test_gzip_responses),
      cmocka_unit_test(test_binary_extension),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
