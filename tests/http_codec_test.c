/* Parser tests: base64, multipart/form-data, Inference-Header-Content-Length,
 * /v1 bodies, KServe v2 JSON and binary requests and responses, top-k. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/http_codec.h"
#include "server/http_v1.h"
#include "server/http_v2.h"
#include "server/loadgen.h"
#include "tests/test_support.h"

static char *const labels3[] = {"cat", "dog", "panda"};
static const http_model_info model3 = {"m", "1", 4, 4, 4, 3, 8, labels3, 1000000};

static void test_base64(void **state) {
  uint8_t out[64];
  size_t n = 0;
  assert_int_equal(http_base64_decode("aGVsbG8=", 8, out, &n), 0);
  assert_int_equal(n, 5);
  assert_memory_equal(out, "hello", 5);
  assert_int_equal(http_base64_decode("aGVsbG8", 7, out, &n), 0); /* no padding */
  assert_int_equal(n, 5);
  assert_int_equal(http_base64_decode("aGVs\nbG8=", 9, out, &n), 0); /* whitespace */
  assert_int_equal(n, 5);
  assert_int_equal(http_base64_decode("-_8=", 4, out, &n), 0); /* URL-safe */
  assert_int_equal(n, 2);
  assert_int_equal(out[0], 0xfb);
  assert_int_equal(out[1], 0xff);
  assert_int_equal(http_base64_decode("aGV$bG8=", 8, out, &n), -EINVAL);
  assert_int_equal(http_base64_decode("aGVsbG8=aa", 10, out, &n), -EINVAL);
  assert_int_equal(http_base64_decode("a", 1, out, &n), -EINVAL);
  assert_int_equal(http_base64_decode("aG=", 3, out, &n), -EINVAL);
  /* round trip of random bytes through a reference encoder */
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  float rnd[31];
  test_fill_random(rnd, 31, 0, 256);
  uint8_t src[31];
  for (int i = 0; i < 31; i++) src[i] = (uint8_t)rnd[i];
  char enc[48];
  size_t e = 0;
  for (int i = 0; i < 31; i += 3) {
    uint32_t v = (uint32_t)src[i] << 16 | (i + 1 < 31 ? (uint32_t)src[i + 1] << 8 : 0) |
                 (i + 2 < 31 ? src[i + 2] : 0);
    enc[e++] = tbl[v >> 18 & 63];
    enc[e++] = tbl[v >> 12 & 63];
    enc[e++] = i + 1 < 31 ? tbl[v >> 6 & 63] : '=';
    enc[e++] = i + 2 < 31 ? tbl[v & 63] : '=';
  }
  assert_int_equal(http_base64_decode(enc, e, out, &n), 0);
  assert_int_equal(n, 31);
  assert_memory_equal(out, src, 31);
}

/* The documented rules one character at a time, as the decoder applied
 * them before its table fast path: the oracle for test_base64_rules. */
static int ref_base64(const char *in, size_t len, uint8_t *out, size_t *out_len) {
  static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t n = 0, chars = 0;
  for (size_t i = 0; i < len; i++) {
    const char c = in[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      pad++;
      continue;
    }
    const char *p = c == '-' ? tbl + 62 : c == '_' ? tbl + 63 : c ? strchr(tbl, c) : NULL;
    if (pad || !p) return -EINVAL;
    acc = acc << 6 | (uint32_t)(p - tbl);
    bits += 6, chars++;
    if (bits >= 8) bits -= 8, out[n++] = (uint8_t)(acc >> bits);
  }
  if (chars % 4 == 1 || pad > 2 || (pad && (chars + (size_t)pad) % 4 != 0)) return -EINVAL;
  *out_len = n;
  return 0;
}

/* The table-driven decoder against the one-character oracle on random
 * strings (valid characters of both alphabets, padding, whitespace,
 * invalid and non-ASCII bytes, mostly valid so the fast path runs), then
 * long random round trips through loadgen's encoder, plain and wrapped at
 * 76 characters by CRLF. */
static void test_base64_rules(void **state) {
  (void)state;
  static const char pool[] = "ABCxyz019+/-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw";
  char in[64];
  uint8_t got[64], want[64];
  for (int t = 0; t < 20000; t++) {
    const int len = test_rand_below(40);
    for (int i = 0; i < len; i++) {
      const int r = test_rand_below(100);
      in[i] = r < 85   ? pool[test_rand_below((int)sizeof pool - 1)]
              : r < 91 ? '='
              : r < 95 ? " \n\r\t"[test_rand_below(4)]
              : r < 98 ? "$.*\"{"[test_rand_below(5)]
                       : (char)(0x80 + test_rand_below(128));
    }
    size_t ng = 0, nw = 0;
    const int rg = http_base64_decode(in, (size_t)len, got, &ng);
    const int rw = ref_base64(in, (size_t)len, want, &nw);
    if (rg != rw || (rg == 0 && (ng != nw || memcmp(got, want, nw))))
      fail_msg("\"%.*s\": decoder %d (%zu bytes), rules %d (%zu bytes)", len, in, rg, ng, rw, nw);
  }
  enum { N = 3000 };
  static uint8_t src[N], out[N + 3];
  static char plain[N / 3 * 4 + 8], enc[N / 3 * 4 * 2 + 8];
  for (int len = N - 2; len <= N; len++) {
    for (int i = 0; i < len; i++) src[i] = (uint8_t)test_rand_below(256);
    const size_t pn = loadgen_base64(src, (size_t)len, plain);
    for (int wrap = 0; wrap < 2; wrap++) {
      size_t e = 0;
      for (size_t i = 0; i < pn; i++) {
        if (wrap && i && i % 76 == 0) enc[e++] = '\r', enc[e++] = '\n'; /* MIME lines */
        enc[e++] = plain[i];
      }
      size_t n = 0;
      assert_int_equal(http_base64_decode(enc, e, out, &n), 0);
      assert_int_equal(n, (size_t)len);
      assert_memory_equal(out, src, (size_t)len);
      enc[e / 2] = '$'; /* one invalid character deep inside */
      assert_int_equal(http_base64_decode(enc, e, out, &n), -EINVAL);
    }
  }
}

static void test_multipart(void **state) {
  char b[80];
  assert_int_equal(http_multipart_boundary("multipart/form-data; boundary=XyZ", b, sizeof b), 0);
  assert_string_equal(b, "XyZ");
  assert_int_equal(http_multipart_boundary("multipart/form-data; boundary=\"a b\"", b, sizeof b),
                   0);
  assert_string_equal(b, "a b");
  assert_int_equal(http_multipart_boundary("multipart/form-data", b, sizeof b), -EINVAL);
  assert_int_equal(http_multipart_boundary("text/plain; boundary=x", b, sizeof b), -EINVAL);

  const char body[] =
      "preamble\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n"
      "JPEG\r\nDATA\r\n--XyZ\r\n"
      "Content-Disposition: form-data; name=\"top_k\"\r\n\r\n"
      "3\r\n--XyZ--\r\n";
  http_part parts[4];
  int n = 0;
  char err[200];
  assert_int_equal(http_multipart_parse((const uint8_t *)body, sizeof body - 1, "XyZ", parts, 4, &n,
                                        err, sizeof err),
                   0);
  assert_int_equal(n, 2);
  assert_int_equal(parts[0].len, 10);
  assert_memory_equal(parts[0].data, "JPEG\r\nDATA", 10);
  assert_int_equal(parts[0].filename_len, 5);
  assert_memory_equal(parts[0].filename, "a.jpg", 5);
  assert_memory_equal(parts[0].content_type, "image/jpeg", 10);
  assert_memory_equal(parts[1].name, "top_k", 5);
  assert_null(parts[1].filename);
  /* truncated: no closing delimiter for the second part */
  assert_int_equal(http_multipart_parse((const uint8_t *)body, sizeof body - 12, "XyZ", parts, 4,
                                        &n, err, sizeof err),
                   -EINVAL);
  assert_int_equal(http_multipart_parse((const uint8_t *)body, sizeof body - 1, "XyZ", parts, 1, &n,
                                        err, sizeof err),
                   -E2BIG);
  assert_int_equal(
      http_multipart_parse((const uint8_t *)"garbage", 7, "XyZ", parts, 4, &n, err, sizeof err),
      -EINVAL);

  /* through the /v1 parser: one image, top_k from the form */
  http_blobs blobs = {0};
  int top_k = 5;
  assert_int_equal(http_v1_parse("multipart/form-data; boundary=XyZ", (const uint8_t *)body,
                                 sizeof body - 1, 8, &blobs, &top_k, err, sizeof err),
                   0);
  assert_int_equal(blobs.n, 1);
  assert_int_equal(top_k, 3);
  http_blobs_free(&blobs);
}

static void test_header_length(void **state) {
  size_t jl = 0;
  char err[200];
  assert_int_equal(http_header_length("12", 20, &jl, err, sizeof err), 0);
  assert_int_equal(jl, 12);
  assert_int_equal(http_header_length("21", 20, &jl, err, sizeof err), -EINVAL);
  assert_int_equal(http_header_length("0", 20, &jl, err, sizeof err), -EINVAL);
  assert_int_equal(http_header_length("1x", 20, &jl, err, sizeof err), -EINVAL);
  assert_int_equal(http_header_length("-3", 20, &jl, err, sizeof err), -EINVAL);
  assert_int_equal(http_header_length("99999999999999999999999", 20, &jl, err, sizeof err),
                   -EINVAL);
}

static void test_v1_json(void **state) {
  http_blobs b = {0};
  int k = 5;
  char err[200];
  const char *ok = "{\"instances\":[{\"b64\":\"aGVsbG8=\"},\"d29ybGQ=\"],\"top_k\":2}";
  assert_int_equal(http_v1_parse("application/json", (const uint8_t *)ok, strlen(ok), 8, &b, &k,
                                 err, sizeof err),
                   0);
  assert_int_equal(b.n, 2);
  assert_int_equal(k, 2);
  assert_memory_equal(b.v[1].data, "world", 5);
  http_blobs_free(&b);
  const char *bad[] = {"{\"instances\":[", "{\"instances\":[]}",
                       "{\"instances\":[{\"b64\":\"**\"}]}", "{\"instances\":[1]}",
                       "{\"instances\":[\"aGk=\"],\"top_k\":0}"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(http_v1_parse("application/json", (const uint8_t *)bad[i], strlen(bad[i]), 8,
                                   &b, &k, err, sizeof err),
                     -EINVAL);
    http_blobs_free(&b);
  }
  const char *many = "{\"instances\":[\"aGk=\",\"aGk=\",\"aGk=\"]}";
  assert_int_equal(http_v1_parse("application/json", (const uint8_t *)many, strlen(many), 2, &b, &k,
                                 err, sizeof err),
                   -E2BIG);
  http_blobs_free(&b);
  assert_int_equal(http_v1_parse("image/jpeg", (const uint8_t *)"x", 0, 2, &b, &k, err, sizeof err),
                   -EINVAL);
}

/* Builds a v2 JSON UINT8 [n,4,4,3] request with random pixels; returns
 * malloc'd text and the pixels in px. */
static char *v2_uint8_request(int n, uint8_t *px, const char *extra) {
  size_t cap = 256 + (size_t)n * 48 * 4 + strlen(extra);
  char *s = malloc(cap);
  size_t o = (size_t)sprintf(s,
                             "{\"id\":\"r1\",%s\"inputs\":[{\"name\":\"input\",\"datatype\":"
                             "\"UINT8\",\"shape\":[%d,4,4,3],\"data\":[",
                             extra, n);
  float r[48 * 8];
  test_fill_random(r, (size_t)n * 48, 0, 256);
  for (int i = 0; i < n * 48; i++) {
    px[i] = (uint8_t)r[i];
    o += (size_t)sprintf(s + o, "%s%d", i ? "," : "", px[i]);
  }
  sprintf(s + o, "]}]}");
  return s;
}

static void test_v2_json(void **state) {
  uint8_t px[48 * 2], img[48 * 2];
  char *req = v2_uint8_request(2, px, "\"parameters\":{\"timeout\":5000},");
  http_v2_request r;
  char err[300];
  assert_int_equal(
      http_v2_parse((uint8_t *)req, strlen(req), strlen(req), &model3, &r, err, sizeof err), 0);
  assert_int_equal(r.n, 2);
  assert_int_equal(r.timeout_us, 5000);
  assert_string_equal(r.id, "r1");
  assert_int_equal(r.n_outputs, 2);
  assert_int_equal(http_v2_images(&r, &model3, img, err, sizeof err), 0);
  assert_memory_equal(img, px, sizeof px);
  float logits[6] = {1, 3, 2, 0, 0, 5};
  char *body;
  size_t len, jl;
  assert_int_equal(http_v2_response(&r, &model3, logits, &body, &len, &jl), 0);
  assert_int_equal(len, jl);
  json_t *o = json_loadb(body, len, 0, NULL);
  assert_non_null(o);
  json_t *out0 = json_array_get(json_object_get(o, "outputs"), 0);
  assert_string_equal(json_string_value(json_object_get(out0, "name")), "logits");
  assert_true(json_real_value(json_array_get(json_object_get(out0, "data"), 5)) == 5.0);
  assert_string_equal(json_string_value(json_object_get(o, "id")), "r1");
  /* numbers in their shortest exact form, the envelope in jansson's key order */
  assert_non_null(strstr(body,
                         "{\"model_name\":\"m\",\"model_version\":\"1\",\"id\":\"r1\","
                         "\"outputs\":[{\"name\":\"logits\",\"datatype\":\"FP32\","
                         "\"shape\":[2,3],\"data\":[1.0,3.0,2.0,0.0,0.0,5.0]},"));
  json_t *p = json_object_get(json_array_get(json_object_get(o, "outputs"), 1), "data");
  assert_int_equal(json_array_size(p), 6);
  for (int i = 0; i < 6; i++) { /* each probability reads back as the float it was */
    float want[3];
    http_softmax(logits + 3 * (i / 3), 3, want);
    assert_true((float)json_real_value(json_array_get(p, (size_t)i)) == want[i % 3]);
  }
  json_decref(o);
  free(body);
  http_v2_free(&r);
  free(req);

  /* classification extension on the probabilities output */
  req = v2_uint8_request(1, px,
                         "\"outputs\":[{\"name\":\"probabilities\",\"parameters\":"
                         "{\"classification\":2}}],");
  assert_int_equal(
      http_v2_parse((uint8_t *)req, strlen(req), strlen(req), &model3, &r, err, sizeof err), 0);
  assert_int_equal(http_v2_response(&r, &model3, logits, &body, &len, &jl), 0);
  o = json_loadb(body, len, 0, NULL);
  out0 = json_array_get(json_object_get(o, "outputs"), 0);
  assert_string_equal(json_string_value(json_object_get(out0, "datatype")), "BYTES");
  const char *first = json_string_value(json_array_get(json_object_get(out0, "data"), 0));
  assert_non_null(strstr(first, ":1:dog"));
  assert_true(strncmp(first, "0.66", 4) == 0); /* softmax(1,3,2)[1] = 0.665 */
  json_decref(o);
  free(body);
  http_v2_free(&r);
  free(req);
}

/* Binary extension with UINT8 pixels: two images arrive byte for byte. */
static void test_v2_binary_uint8(void **state) {
  char hdr[512];
  int hl = snprintf(hdr, sizeof hdr,
                    "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[2,4,4,3],"
                    "\"parameters\":{\"binary_data_size\":96}}]}");
  uint8_t body[512 + 96], px[96], img[96];
  float r[96];
  test_fill_random(r, 96, 0, 256);
  for (int i = 0; i < 96; i++) px[i] = (uint8_t)r[i];
  memcpy(body, hdr, (size_t)hl);
  memcpy(body + hl, px, sizeof px);
  http_v2_request q;
  char err[300];
  assert_int_equal(http_v2_parse(body, (size_t)hl + 96, (size_t)hl, &model3, &q, err, sizeof err),
                   0);
  assert_int_equal(q.n, 2);
  memset(img, 0xA5, sizeof img);
  assert_int_equal(http_v2_images(&q, &model3, img, err, sizeof err), 0);
  assert_memory_equal(img, px, sizeof px);
  http_v2_free(&q);
}

static void test_v2_errors(void **state) {
  const char *cases[][2] = {
      {"{\"inputs\":[", "malformed"},
      {"[]", "object"},
      {"{\"inputs\":[]}", "exactly one"},
      {"{\"inputs\":[{\"name\":\"input\",\"datatype\":\"INT64\",\"shape\":[1,4,4,3],\"data\":[1]}]"
       "}",
       "datatype"},
      {"{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,4,4],\"data\":[1]}]}",
       "dimensions"},
      {"{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,4,4,3],\"data\":[1,2]}"
       "]}",
       "elements"},
      {"{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,1,1,3],"
       "\"data\":[1,\"a\",2]}]}",
       "wrong type"},
      {"{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[9,1,1,3],\"data\":[]}]}",
       "max_batch"},
      {"{\"inputs\":[{\"name\":\"x\",\"datatype\":\"UINT8\",\"shape\":[1,1,1,3],\"data\":[1,2,3]}]"
       "}",
       "unknown input"},
      {"{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,1,1,3],"
       "\"data\":[1,2,3]}],\"outputs\":[{\"name\":\"nope\"}]}",
       "unknown output"},
      {"{\"parameters\":{\"timeout\":-1},\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\","
       "\"shape\":[1,1,1,3],\"data\":[1,2,3]}]}",
       "timeout"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    http_v2_request r;
    char err[300] = "";
    int rc = http_v2_parse((const uint8_t *)cases[i][0], strlen(cases[i][0]), strlen(cases[i][0]),
                           &model3, &r, err, sizeof err);
    if (rc == 0 || !strstr(err, cases[i][1]))
      fail_msg("case %zu: rc %d err '%s' (want '%s')", i, rc, err, cases[i][1]);
    http_v2_free(&r);
  }
  /* UINT8 values out of range are caught when converting */
  const char *big =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,4,4,3],"
      "\"data\":[300";
  char *req = malloc(4096);
  size_t o = (size_t)sprintf(req, "%s", big);
  for (int i = 1; i < 48; i++) o += (size_t)sprintf(req + o, ",1");
  sprintf(req + o, "]}]}");
  http_v2_request r;
  char err[300];
  uint8_t img[48];
  assert_int_equal(
      http_v2_parse((uint8_t *)req, strlen(req), strlen(req), &model3, &r, err, sizeof err), 0);
  assert_int_equal(http_v2_images(&r, &model3, img, err, sizeof err), -EINVAL);
  http_v2_free(&r);
  free(req);
}

/* Binary extension: FP32 input tensor after the JSON header, binary output. */
static void test_v2_binary(void **state) {
  char hdr[512];
  int hl = snprintf(hdr, sizeof hdr,
                    "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,4,4,3],"
                    "\"parameters\":{\"binary_data_size\":192}}],"
                    "\"outputs\":[{\"name\":\"logits\",\"parameters\":{\"binary_data\":true}}]}");
  uint8_t body[512 + 192];
  memcpy(body, hdr, (size_t)hl);
  float px[48];
  test_fill_random(px, 48, 0, 255);
  memcpy(body + hl, px, sizeof px);
  http_v2_request r;
  char err[300];
  assert_int_equal(http_v2_parse(body, (size_t)hl + 192, (size_t)hl, &model3, &r, err, sizeof err),
                   0);
  uint8_t img[48];
  assert_int_equal(http_v2_images(&r, &model3, img, err, sizeof err), 0);
  for (int i = 0; i < 48; i++) assert_int_equal(img[i], (uint8_t)lrintf(px[i]));
  float logits[3] = {0.5f, -1, 2};
  char *out;
  size_t len, jl;
  assert_int_equal(http_v2_response(&r, &model3, logits, &out, &len, &jl), 0);
  assert_int_equal(len - jl, 12);
  assert_memory_equal(out + jl, logits, 12);
  assert_non_null(strstr(out, "\"binary_data_size\":12"));
  free(out);
  http_v2_free(&r);
  /* size mismatch between binary_data_size and the bytes that follow */
  assert_int_equal(http_v2_parse(body, (size_t)hl + 100, (size_t)hl, &model3, &r, err, sizeof err),
                   -EINVAL);
  http_v2_free(&r);
}

static void test_top_k(void **state) {
  float v[10];
  test_fill_random(v, 10, -5, 5);
  int idx[4];
  http_top_k(v, 10, 4, idx);
  for (int j = 0; j < 4; j++) {
    int greater = 0;
    for (int i = 0; i < 10; i++) greater += v[i] > v[idx[j]];
    assert_int_equal(greater, j);
  }
  float p[10];
  http_softmax(v, 10, p);
  double s = 0;
  for (int i = 0; i < 10; i++) s += p[i];
  assert_true(s > 0.99999 && s < 1.00001);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_base64),          cmocka_unit_test(test_base64_rules),
      cmocka_unit_test(test_multipart),       cmocka_unit_test(test_header_length),
      cmocka_unit_test(test_v1_json),         cmocka_unit_test(test_v2_json),
      cmocka_unit_test(test_v2_errors),       cmocka_unit_test(test_v2_binary),
      cmocka_unit_test(test_v2_binary_uint8), cmocka_unit_test(test_top_k),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
