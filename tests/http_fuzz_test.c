/* Mutation fuzzing of every parser that reads bytes off the network: /v1
 * bodies (raw, multipart, JSON base64), KServe v2 JSON and binary requests,
 * multipart boundaries and the binary header length. Each mutant must come
 * back with 0 or a documented negative errno, never crash or hang; run it
 * under ASan/UBSan for memory errors (BLOCKFUSE_FUZZ_ITERS raises the count). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
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
#include "tests/test_support.h"

static char *const labels3[] = {"cat", "dog", "eel"};
static const http_model_info model = {"m", "1", 4, 4, 4, 3, 8, labels3, 1000000};

static uint64_t rng;
static uint32_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

/* One random edit of buf (flip, insert, delete, truncate, splice a token). */
static size_t mutate(uint8_t *buf, size_t len, size_t cap) {
  static const char *tokens[] = {"\"",
                                 "{",
                                 "}",
                                 "[",
                                 "]",
                                 ",",
                                 ":",
                                 "\\",
                                 "null",
                                 "-1",
                                 "1e999",
                                 "\r\n",
                                 "--b",
                                 "\r\n\r\n",
                                 "=",
                                 "\"shape\":[",
                                 "\"datatype\":\"UINT8\"",
                                 "\"binary_data_size\":",
                                 "999999999"};
  switch (next() % 5) {
    case 0:
      if (len) buf[next() % len] ^= (uint8_t)(1u << (next() % 8));
      return len;
    case 1:
      if (len) buf[next() % len] = (uint8_t)next();
      return len;
    case 2:
      return len ? next() % len : 0;
    case 3: {
      if (!len) return 0;
      size_t at = next() % len, n = 1 + next() % 8;
      if (at + n > len) n = len - at;
      memmove(buf + at, buf + at + n, len - at - n);
      return len - n;
    }
    default: {
      const char *t = tokens[next() % (sizeof tokens / sizeof tokens[0])];
      size_t tl = strlen(t), at = len ? next() % len : 0;
      if (len + tl > cap) return len;
      memmove(buf + at + tl, buf + at, len - at);
      memcpy(buf + at, t, tl);
      return len + tl;
    }
  }
}

static int iters(void) {
  const char *s = getenv("BLOCKFUSE_FUZZ_ITERS");
  return s ? atoi(s) : 3000;
}

/* The codes the parsers document (all answered 4xx, or 500 for -ENOMEM). */
static int allowed(int rc) {
  return rc == 0 || rc == -EINVAL || rc == -E2BIG || rc == -ENOMEM || rc == -ENOTSUP ||
         rc == -ENOENT;
}

static void fuzz_v1(const char *type, const char *seed) {
  size_t cap = strlen(seed) + 4096;
  uint8_t *buf = malloc(cap);
  assert_non_null(buf);
  for (int i = 0; i < iters(); i++) {
    size_t len = strlen(seed);
    memcpy(buf, seed, len);
    for (int m = 1 + (int)(next() % 4); m > 0; m--) len = mutate(buf, len, cap);
    http_blobs b;
    memset(&b, 0, sizeof b);
    int top_k = 5;
    char err[256];
    int rc = http_v1_parse(type, buf, len, 4, &b, &top_k, err, sizeof err);
    if (!allowed(rc)) fail_msg("v1 %s: rc %d", type, rc);
    if (rc == 0) {
      assert_true(b.n >= 1 && b.n <= 4);
      assert_true(top_k >= 1 && top_k <= HTTP_MAX_TOP_K);
    }
    http_blobs_free(&b);
  }
  free(buf);
}

static void test_v1_multipart(void **state) {
  (void)state;
  fuzz_v1("multipart/form-data; boundary=b",
          "--b\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
          "Content-Type: image/jpeg\r\n\r\nJPEGDATA\r\n--b\r\nContent-Disposition: form-data; "
          "name=\"top_k\"\r\n\r\n3\r\n--b--\r\n");
}

static void test_v1_json(void **state) {
  (void)state;
  fuzz_v1("application/json", "{\"instances\":[{\"b64\":\"aGVsbG8=\"},\"d29ybGQ=\"],\"top_k\":2}");
}

static void test_v2(void **state) {
  (void)state;
  const char *json =
      "{\"id\":\"x\",\"parameters\":{\"timeout\":100},\"inputs\":[{\"name\":\"input\","
      "\"datatype\":\"UINT8\",\"shape\":[1,4,4,3],\"data\":[1,2,3,4,5,6,7,8,9,10,11,12,1,2,3,"
      "4,5,6,7,8,9,10,11,12,1,2,3,4,5,6,7,8,9,10,11,12,1,2,3,4,5,6,7,8,9,10,11,12]}],"
      "\"outputs\":[{\"name\":\"probabilities\",\"parameters\":{\"classification\":2}}]}";
  const char *bin_hdr =
      "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"UINT8\",\"shape\":[1,4,4,3],"
      "\"parameters\":{\"binary_data_size\":48}}],\"outputs\":[{\"name\":\"logits\","
      "\"parameters\":{\"binary_data\":true}}]}";
  size_t cap = 8192;
  uint8_t *buf = malloc(cap);
  assert_non_null(buf);
  float logits[3] = {0.1f, 2, -1};
  for (int i = 0; i < iters(); i++) {
    int binary = (int)(next() % 2);
    size_t json_len = binary ? strlen(bin_hdr) : strlen(json), len = json_len;
    memcpy(buf, binary ? bin_hdr : json, json_len);
    if (binary) {
      for (int k = 0; k < 48; k++) buf[len++] = (uint8_t)next();
    }
    for (int m = 1 + (int)(next() % 4); m > 0; m--) len = mutate(buf, len, cap);
    if (json_len > len) json_len = len;
    if (binary && next() % 4 == 0) json_len = next() % (len + 1);
    http_v2_request r;
    char err[256];
    int rc = http_v2_parse(buf, len, binary ? json_len : len, &model, &r, err, sizeof err);
    if (!allowed(rc)) fail_msg("v2: rc %d", rc);
    if (rc == 0) {
      uint8_t img[8 * 48];
      int irc = http_v2_images(&r, &model, img, err, sizeof err);
      if (!allowed(irc)) fail_msg("v2 images: rc %d", irc);
      if (irc == 0) {
        char *body = NULL;
        size_t blen, jl;
        float lg[8 * 3];
        for (int k = 0; k < r.n * 3; k++) lg[k] = logits[k % 3];
        if (http_v2_response(&r, &model, lg, &body, &blen, &jl) == 0) assert_true(jl <= blen);
        free(body);
      }
      http_v2_free(&r);
    }
  }
  free(buf);
}

static void test_small_codecs(void **state) {
  (void)state;
  uint8_t buf[256], out[256];
  for (int i = 0; i < iters(); i++) {
    size_t len = next() % 64;
    for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)("aZ09+/=-_ \r\n%"[next() % 14]);
    size_t n;
    int rc = http_base64_decode((const char *)buf, len, out, &n);
    assert_true(rc == 0 || rc == -EINVAL);
    if (rc == 0) assert_true(n <= http_base64_max(len));
    buf[len] = 0;
    char b[80], e[128];
    char ct[320];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%s", (char *)buf);
    rc = http_multipart_boundary(ct, b, sizeof b);
    assert_true(rc == 0 || rc == -EINVAL);
    size_t jl;
    rc = http_header_length((const char *)buf, 100, &jl, e, sizeof e);
    assert_true(rc == 0 || rc == -EINVAL);
    if (rc == 0) assert_true(jl <= 100);
  }
}

int main(void) {
  rng = test_seed() | 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_v1_multipart),
      cmocka_unit_test(test_v1_json),
      cmocka_unit_test(test_v2),
      cmocka_unit_test(test_small_codecs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
