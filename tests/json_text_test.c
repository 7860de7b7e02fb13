/* server/json_text: float32 numbers that read back exactly in their
 * shortest form, and JSON strings escaped the way jansson reads them. */
#define _GNU_SOURCE
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "server/json_text.h"
#include "tests/float_digits.h"

static float from_bits(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint64_t rng(uint64_t *s) {
  *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
  return *s;
}

/* The fewest digits with which printf's correctly rounded decimal of x
 * reads back as x. (Just above a power of two the decimal on the far side,
 * where the gap to the next float is twice as wide, can read back with one
 * digit fewer; json_float finds those too, so it may be shorter.) */
static int shortest_digits(float x) {
  char b[40];
  for (int p = 1; p < 9; p++) {
    snprintf(b, sizeof b, "%.*e", p - 1, (double)x);
    if (strtof(b, NULL) == x) return p;
  }
  return 9;
}

/* Reads back exactly, sign of zero included, and is a JSON number. */
static void check_one(float x, int want_shortest) {
  char a[JSON_FLOAT_MAX];
  int l = json_float(x, a);
  assert_int_equal(l, (int)strlen(a));
  assert_true(l < JSON_FLOAT_MAX);
  float y = strtof(a, NULL);
  if (memcmp(&x, &y, 4) != 0) fail_msg("%.9g -> \"%s\" -> %.9g", (double)x, a, (double)y);
  json_t *j = json_loads(a, JSON_DECODE_ANY, NULL);
  if (!json_is_real(j)) fail_msg("\"%s\" is not a JSON real", a);
  json_decref(j);
  char g[40];
  snprintf(g, sizeof g, "%.9g", (double)x);
  assert_true(float_digits(a) <= float_digits(g));
  if (want_shortest && x != 0 && float_digits(a) > shortest_digits(x))
    fail_msg("%.9g -> \"%s\": %d digits, printf's shortest has %d", (double)x, a, float_digits(a),
             shortest_digits(x));
}

static void expect(float x, const char *want) {
  char a[JSON_FLOAT_MAX];
  json_float(x, a);
  assert_string_equal(a, want);
}

static void test_float_known(void **state) {
  expect(0.1f, "0.1");
  expect(0.3f, "0.3");
  expect(1.0f, "1.0");
  expect(-2.0f, "-2.0");
  expect(100.0f, "100.0");
  expect(3.14f, "3.14");
  expect(0.0001f, "0.0001");
  expect(0.00012345f, "0.00012345");
  expect(1e-5f, "1e-05");
  expect(-1.5e-7f, "-1.5e-07");
  expect(123456789.0f, "123456790.0");
  expect(1e9f, "1e+09");
  expect(FLT_MAX, "3.4028235e+38");
  expect(FLT_MIN, "1.1754944e-38");
  expect(from_bits(1), "1e-45"); /* the smallest subnormal */
  expect(0.0f, "0.0");
  expect(-0.0f, "-0.0");
  expect(NAN, "null");
  expect(INFINITY, "null");
  expect(-INFINITY, "null");
  /* a tie above 2^24 (see json_text.h): one digit more, still exact */
  expect(1710759936.0f, "1.7107599e+09");
}

/* Every power of two and ten, and their neighbours: where the gaps to the
 * neighbouring floats are unequal or the decimal exponent turns over. */
static void test_float_boundaries(void **state) {
  for (int e = -149; e <= 127; e++) {
    float x = ldexpf(1.0f, e);
    check_one(x, 1);
    check_one(nextafterf(x, 0), 1);
    check_one(nextafterf(x, INFINITY), 1);
  }
  for (int e = -45; e <= 38; e++) {
    char b[16];
    snprintf(b, sizeof b, "1e%d", e);
    float x = strtof(b, NULL);
    check_one(x, fabsf(x) < 16777216.0f);
    check_one(nextafterf(x, 0), fabsf(x) < 16777216.0f);
    check_one(nextafterf(x, INFINITY), fabsf(x) < 16777216.0f);
  }
  for (uint32_t u = 0; u < 4096; u++) check_one(from_bits(u), 1); /* subnormals */
  check_one(nextafterf(FLT_MAX, 0), 0);
}

/* Random bit patterns (every magnitude), and values like logits and
 * probabilities. bench/json_float_exhaustive.c checks all 2^32 patterns. */
static void test_float_random(void **state) {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 300000; i++) {
    float x = from_bits((uint32_t)rng(&s));
    if (!isfinite(x)) continue;
    check_one(x, fabsf(x) < 16777216.0f);
  }
  for (int i = 0; i < 100000; i++) {
    float z = (float)((double)(rng(&s) >> 11) / 9007199254740992.0 * 40 - 20);
    check_one(z, 1);
    check_one(expf(z - 20), 1);
  }
}

static void test_floats_list(void **state) {
  json_text t = {0};
  const float v[] = {1.0f, -0.25f, 1e-7f, NAN, 12345.678f};
  jt_lit(&t, "[");
  jt_floats(&t, v, 5);
  jt_lit(&t, "]");
  assert_false(t.oom);
  assert_string_equal(t.p, "[1.0,-0.25,1e-07,null,12345.678]");
  assert_int_equal(t.len, strlen(t.p));
  json_t *j = json_loads(t.p, 0, NULL);
  assert_non_null(j);
  assert_int_equal(json_array_size(j), 5);
  assert_true((float)json_real_value(json_array_get(j, 4)) == 12345.678f);
  assert_true(json_is_null(json_array_get(j, 3)));
  json_decref(j);
  free(t.p);
  /* many at once: the buffer grows */
  t = (json_text){0};
  float big[3000];
  for (int i = 0; i < 3000; i++) big[i] = (float)i * 0.001f - 1.5f;
  jt_floats(&t, big, 3000);
  assert_false(t.oom);
  char *p = t.p;
  for (int i = 0; i < 3000; i++) {
    char *end;
    float y = strtof(p, &end);
    assert_true(y == big[i]);
    assert_true(*end == (i < 2999 ? ',' : 0));
    p = end + 1;
  }
  free(t.p);
}

/* jt_strn's output, parsed back by jansson, equals want. */
static void expect_str(const char *s, size_t n, const char *json, const char *want, size_t wn) {
  json_text t = {0};
  jt_strn(&t, s, n);
  assert_false(t.oom);
  if (json) assert_string_equal(t.p, json);
  json_error_t e;
  json_t *j = json_loads(t.p, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
  if (!j) fail_msg("%s does not parse: %s", t.p, e.text);
  assert_true(json_is_string(j));
  assert_int_equal(json_string_length(j), wn);
  assert_memory_equal(json_string_value(j), want, wn);
  json_decref(j);
  free(t.p);
}

static void test_strings(void **state) {
  expect_str("plain", 5, "\"plain\"", "plain", 5);
  expect_str("a\"b\\c", 5, "\"a\\\"b\\\\c\"", "a\"b\\c", 5);
  expect_str("\n\t\r\b\f\x01\x1f", 7, "\"\\n\\t\\r\\b\\f\\u0001\\u001f\"", "\n\t\r\b\f\x01\x1f", 7);
  expect_str("a\0b", 3, "\"a\\u0000b\"", "a\0b", 3);
  /* valid UTF-8 passes as it is: 2, 3 and 4 bytes */
  expect_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xbc", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xbc\"",
             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xbc", 9);
  /* not UTF-8: a lone continuation byte, an overlong NUL, a surrogate, past
   * U+10FFFF, a truncated sequence at the end; each bad byte is U+FFFD */
  expect_str("x\x80y", 3, "\"x\\ufffdy\"", "x\xef\xbf\xbdy", 5);
  expect_str("\xc0\x80", 2, "\"\\ufffd\\ufffd\"", "\xef\xbf\xbd\xef\xbf\xbd", 6);
  expect_str("\xed\xa0\x80", 3, NULL, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9);
  expect_str("\xf4\x90\x80\x80", 4, NULL, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 12);
  expect_str("ok\xe2\x82", 4, "\"ok\\ufffd\\ufffd\"", "ok\xef\xbf\xbd\xef\xbf\xbd", 8);
  /* a random byte soup always gives a string jansson accepts */
  uint64_t s = 12345;
  for (int i = 0; i < 2000; i++) {
    char b[64];
    size_t n = rng(&s) % sizeof b;
    for (size_t k = 0; k < n; k++) b[k] = (char)rng(&s);
    json_text t = {0};
    jt_strn(&t, b, n);
    json_t *j = json_loads(t.p, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    assert_true(json_is_string(j));
    json_decref(j);
    free(t.p);
  }
}

static void test_ints_and_raw(void **state) {
  json_text t = {0};
  jt_lit(&t, "{\"n\":");
  jt_int(&t, -9223372036854775807LL - 1);
  jt_lit(&t, ",\"s\":");
  jt_str(&t, "x");
  jt_raw(&t, "}", 1);
  assert_false(t.oom);
  assert_string_equal(t.p, "{\"n\":-9223372036854775808,\"s\":\"x\"}");
  free(t.p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_float_known),  cmocka_unit_test(test_float_boundaries),
      cmocka_unit_test(test_float_random), cmocka_unit_test(test_floats_list),
      cmocka_unit_test(test_strings),      cmocka_unit_test(test_ints_and_raw),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
