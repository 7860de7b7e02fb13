/* safetensors reader: round trip through the writer, and refusal of every
 * kind of malformed header or out-of-range offset. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/safetensors.h"
#include "tests/test_support.h"

/* Builds a safetensors buffer from a header string and `data_len` bytes of data. */
static uint8_t *make_buf(const char *header, size_t data_len, size_t *len) {
  size_t h = strlen(header);
  *len = 8 + h + data_len;
  uint8_t *b = calloc(1, *len);
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)((uint64_t)h >> (8 * i));
  memcpy(b + 8, header, h);
  return b;
}

static int parse_str(const char *header, size_t data_len, char *err) {
  size_t len;
  uint8_t *b = make_buf(header, data_len, &len);
  safetensors_file f;
  int rc = safetensors_parse(b, len, &f, err, 256);
  if (rc == 0) safetensors_free(&f);
  free(b);
  return rc;
}

static void test_round_trip(void **state) {
  (void)state;
  float a[6], b[5];
  test_fill_random(a, 6, -1, 1);
  test_fill_random(b, 5, -1, 1);
  const char *names[] = {"x.weight", "y"};
  int nd[] = {2, 1};
  int64_t shapes[2][4] = {{2, 3}, {5}};
  const float *data[] = {a, b};
  char path[] = "/tmp/st_test_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  char err[256];
  assert_int_equal(
      safetensors_write_f32(path, 2, names, nd, (const int64_t(*)[4])shapes, data, err, sizeof err),
      0);
  size_t len;
  uint8_t *buf = test_read_file(path, &len);
  unlink(path);
  assert_non_null(buf);
  safetensors_file f;
  assert_int_equal(safetensors_parse(buf, len, &f, err, sizeof err), 0);
  assert_int_equal(f.count, 2);
  const safetensors_tensor *t = safetensors_find(&f, "x.weight");
  assert_non_null(t);
  assert_int_equal(t->dtype, ST_F32);
  assert_int_equal(t->ndim, 2);
  assert_int_equal(t->shape[0], 2);
  assert_int_equal(t->shape[1], 3);
  assert_int_equal(((uintptr_t)t->data - (uintptr_t)buf) % 4, 0);
  assert_memory_equal(t->data, a, sizeof a);
  t = safetensors_find(&f, "y");
  assert_non_null(t);
  assert_memory_equal(t->data, b, sizeof b);
  assert_null(safetensors_find(&f, "z"));
  safetensors_free(&f);
  free(buf);
}

static void test_valid_with_metadata(void **state) {
  (void)state;
  char err[256];
  assert_int_equal(parse_str("{\"__metadata__\":{\"a\":\"b\"},\"t\":{\"dtype\":\"F16\","
                             "\"shape\":[2,2],\"data_offsets\":[0,8]}}",
                             8, err),
                   0);
}

static void test_malformed(void **state) {
  (void)state;
  static const struct {
    const char *header;
    size_t data;
    const char *why;
  } cases[] = {
      {"not json", 0, "JSON"},
      {"[1,2]", 0, "object"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "range"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "bytes"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "range"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, "range"},
      {"{\"t\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "shape"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
       "dims"},
      {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
       12, "overlap"},
      {"{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
       "\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
       8, "duplicate"},
      {"{\"t\":5}", 0, "object"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char err[256] = "";
    int rc = parse_str(cases[i].header, cases[i].data, err);
    if (rc != -EINVAL) fail_msg("case %zu (%s) gave %d, wanted -EINVAL", i, cases[i].why, rc);
    assert_true(strlen(err) > 0);
  }
}

static void test_header_length_out_of_range(void **state) {
  (void)state;
  char err[256];
  safetensors_file f;
  uint8_t short_buf[4] = {0};
  assert_int_equal(safetensors_parse(short_buf, sizeof short_buf, &f, err, sizeof err), -EINVAL);
  size_t len;
  uint8_t *b = make_buf("{}", 0, &len);
  b[0] = 200; /* header claims more bytes than the file holds */
  assert_int_equal(safetensors_parse(b, len, &f, err, sizeof err), -EINVAL);
  memset(b, 0xff, 8); /* 2^64-1 */
  assert_int_equal(safetensors_parse(b, len, &f, err, sizeof err), -EINVAL);
  free(b);
}

/* Every truncation of a valid file must be refused cleanly, never crash. */
static void test_truncations(void **state) {
  (void)state;
  size_t len;
  uint8_t *b =
      make_buf("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, &len);
  char err[256];
  safetensors_file f;
  for (size_t cut = 0; cut < len; cut++)
    assert_int_equal(safetensors_parse(b, cut, &f, err, sizeof err), -EINVAL);
  assert_int_equal(safetensors_parse(b, len, &f, err, sizeof err), 0);
  safetensors_free(&f);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_valid_with_metadata),
      cmocka_unit_test(test_malformed),   cmocka_unit_test(test_header_length_out_of_range),
      cmocka_unit_test(test_truncations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
