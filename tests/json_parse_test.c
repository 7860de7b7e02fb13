/* Tests for json_parse: it must accept exactly what json_loadb(buf, len, 0)
 * accepts and build equal values. Checked on fixed cases (escapes,
 * surrogates, numbers at the edges of their types, UTF-8, nesting depth,
 * errors with their positions), on random documents, and on random
 * mutations of them, with jansson as the oracle. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/json_parse.h"
#include "tests/test_support.h"

/* Both parsers on buf[0..len): the same acceptance and equal values. */
static void same(const char *buf, size_t len) {
  json_error_t e1, e2;
  json_t *a = json_parse(buf, len, &e1), *b = json_loadb(buf, len, 0, &e2);
  if (!a != !b || (a && !json_equal(a, b)))
    fail_msg("\"%.*s\": json_parse %s, jansson %s (%s)", (int)(len > 200 ? 200 : len), buf,
             a ? "accepts" : e1.text, b ? "accepts" : "rejects", b ? "" : e2.text);
  json_decref(a);
  json_decref(b);
}

static void same_str(const char *s) {
  same(s, strlen(s));
}

static void test_fixed(void **state) {
  (void)state;
  static const char *const cases[] = {
      "{}",
      "[]",
      " \t\r\n[ ] \n",
      "[1,2,3]",
      "{\"a\":1,\"a\":2}",
      "{\"\":null}",
      "[true,false,null]",
      "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"]",
      "[\"\\u00e9\\u4e2d\\ud834\\udd1e\"]",
      "[\"\\u0000\"]",
      "[\"\\ud834\"]",
      "[\"\\udd1e\"]",
      "[\"\\ud834x\"]",
      "[\"\\u12\"]",
      "[\"\\x\"]",
      "[\"a\tb\"]",
      "[\"\xc3\xa9\"]",
      "[\"\xc3\"]",
      "[\"\xed\xa0\x80\"]",
      "[\"\xf4\x90\x80\x80\"]",
      "[\"\xc0\xaf\"]",
      "{\"\xc3\x28\":1}",
      "[0,-0,-0.0,1.5e3,1E-3,2e+2]",
      "[01]",
      "[-]",
      "[1.]",
      "[.5]",
      "[1e]",
      "[9223372036854775807,-9223372036854775808]",
      "[9223372036854775808]",
      "[-9223372036854775809]",
      "[1e308,1e309]",
      "[1e-400]",
      "[1,]",
      "[,1]",
      "{\"a\"}",
      "{\"a\":}",
      "{a:1}",
      "{\"a\":1,}",
      "[tru]",
      "[truex]",
      "[nul]",
      "[\"abc",
      "[1] x",
      "1",
      "\"s\"",
      "null",
      "",
      "   ",
      "[",
      "{",
      "[1 2]",
      "{\"a\":1 \"b\":2}",
      "[\x7f]",
      "[\"\x7f\"]",
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) same_str(cases[i]);
  same("[1,\0]", 5); /* a NUL byte inside the text */
  /* nesting: jansson's limit is 2048 levels */
  for (int depth = 2047; depth <= 2049; depth++) {
    char *s = malloc(2 * (size_t)depth + 1);
    assert_non_null(s);
    memset(s, '[', (size_t)depth);
    memset(s + depth, ']', (size_t)depth);
    same(s, 2 * (size_t)depth);
    free(s);
  }
  /* an error's place: line and column of the offending byte */
  json_error_t e;
  const char *bad = "{\n  \"a\": 1,\n  \"b\" 2}";
  assert_null(json_parse(bad, strlen(bad), &e));
  assert_int_equal(e.line, 3);
  assert_int_equal(e.column, 7);
  assert_non_null(strstr(e.text, "':' expected"));
}

/* A random document of the grammar, up to `depth` levels, into b. */
static void gen(char *b, size_t *n, size_t cap, int depth) {
  static const char *const atoms[] = {
      "0",
      "-1",
      "12.5",
      "1e3",
      "-0.25E-2",
      "true",
      "false",
      "null",
      "\"\"",
      "\"ab\"",
      "\"\\u00e9\\n\"",
      "\"\xc3\xa9t\xc3\xa9\"",
      "\"\\ud83d\\ude00\"",
      "123456789012",
  };
  if (*n + 64 >= cap) {
    *n += (size_t)snprintf(b + *n, cap - *n, "0");
    return;
  }
  const int k = depth > 0 ? test_rand_below(4) : 3;
  if (k == 0 || k == 1) {
    const int obj = k == 0, m = test_rand_below(4);
    b[(*n)++] = obj ? '{' : '[';
    for (int i = 0; i < m; i++) {
      if (i) b[(*n)++] = ',';
      if (test_rand_below(3) == 0) b[(*n)++] = ' ';
      if (obj) *n += (size_t)snprintf(b + *n, cap - *n, "\"k%d\":", test_rand_below(5));
      gen(b, n, cap, depth - 1);
    }
    b[(*n)++] = obj ? '}' : ']';
  } else if (k == 2) { /* a long plain string, as the image data is */
    const int m = 1 + test_rand_below(3000);
    b[(*n)++] = '"';
    for (int i = 0; i < m && *n + 4 < cap; i++) b[(*n)++] = "ABCxyz019+/="[test_rand_below(12)];
    b[(*n)++] = '"';
  } else {
    *n += (size_t)snprintf(b + *n, cap - *n, "%s",
                           atoms[test_rand_below((int)(sizeof atoms / sizeof *atoms))]);
  }
}

static void test_random_and_mutated(void **state) {
  (void)state;
  enum { CAP = 1 << 16 };
  char *doc = malloc(CAP), *mut = malloc(CAP + 8);
  assert_true(doc && mut);
  static const char edits[] = "{}[],:\"\\ 0-.eE+tfnu\x01\x80\xc3";
  for (int t = 0; t < 3000; t++) {
    size_t n = 0;
    doc[n++] = '[';
    gen(doc, &n, CAP - 8, 4);
    doc[n++] = ']';
    same(doc, n);
    /* a few random byte edits: replace, insert or delete */
    memcpy(mut, doc, n);
    size_t m = n;
    for (int k = 1 + test_rand_below(3); k > 0 && m > 0; k--) {
      const size_t at = (size_t)test_rand_below((int)m);
      const char c = edits[test_rand_below((int)sizeof edits - 1)];
      const int op = test_rand_below(3);
      if (op == 0) {
        mut[at] = c;
      } else if (op == 1) {
        memmove(mut + at + 1, mut + at, m - at);
        mut[at] = c, m++;
      } else {
        memmove(mut + at, mut + at + 1, m - at - 1), m--;
      }
    }
    same(mut, m);
  }
  free(doc);
  free(mut);
}

int main(void) {
  test_seed();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixed),
      cmocka_unit_test(test_random_and_mutated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
