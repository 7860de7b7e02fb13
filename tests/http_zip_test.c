/* server/http_zip.c: Content-Encoding and Accept-Encoding parsing, gzip and
 * deflate inflation with its size bound (zip bombs, the exact limit), corrupt,
 * truncated and trailing data, and the gzip response round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/http_zip.h"
#include "tests/test_support.h"
#include "tests/test_zlib.h"

static void test_parse_headers(void **state) {
  (void)state;
  assert_int_equal(http_zip_coding(NULL), HTTP_ENC_IDENTITY);
  assert_int_equal(http_zip_coding(""), HTTP_ENC_IDENTITY);
  assert_int_equal(http_zip_coding("Identity"), HTTP_ENC_IDENTITY);
  assert_int_equal(http_zip_coding("gzip"), HTTP_ENC_GZIP);
  assert_int_equal(http_zip_coding("GZip"), HTTP_ENC_GZIP);
  assert_int_equal(http_zip_coding("x-gzip"), HTTP_ENC_GZIP);
  assert_int_equal(http_zip_coding("deflate"), HTTP_ENC_DEFLATE);
  assert_int_equal(http_zip_coding("br"), -1);
  assert_int_equal(http_zip_coding("gzip, br"), -1);
  static const struct {
    const char *v;
    int want;
  } ae[] = {{"gzip", 1},
            {"deflate, gzip;q=0.5", 1},
            {"gzip;q=0", 0},
            {"gzip; q=0.0", 0},
            {"*", 1},
            {"identity", 0},
            {"br", 0},
            {"GZIP", 1},
            {" gzip ; q=1.0", 1},
            {"deflate, br", 0},
            {"xgzip", 0},
            {"gzipx", 0},
            {"*;q=0, gzip;q=1", 1}};
  for (size_t i = 0; i < sizeof ae / sizeof ae[0]; i++)
    if (http_zip_accepts_gzip(ae[i].v) != ae[i].want)
      fail_msg("Accept-Encoding '%s': want %d", ae[i].v, ae[i].want);
  assert_int_equal(http_zip_accepts_gzip(NULL), 0);
}

static void test_round_trips(void **state) {
  (void)state;
  const size_t len = 300000;
  float *f = malloc(len * sizeof *f);
  uint8_t *data = malloc(len);
  assert_non_null(f);
  assert_non_null(data);
  test_fill_random(f, len, 0.f, 16.f); /* fresh per run; compressible but not trivially */
  for (size_t i = 0; i < len; i++) data[i] = (uint8_t)('a' + (int)f[i]);
  uint8_t *gz, *out;
  size_t gzn, outn;
  char err[200];
  assert_int_equal(http_zip_gzip(data, len, &gz, &gzn), 0);
  assert_true(gzn < len);
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, gz, gzn, len, &out, &outn, err, sizeof err), 0);
  assert_int_equal(outn, len);
  assert_memory_equal(out, data, len);
  free(out);
  /* exactly at the limit is fine, one byte under it is not */
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, gz, gzn, len - 1, &out, &outn, err, sizeof err),
                   -EFBIG);
  assert_non_null(strstr(err, "max_body_bytes"));
  /* the other wrapper: corrupt */
  assert_int_equal(http_zip_inflate(HTTP_ENC_DEFLATE, gz, gzn, len, &out, &outn, err, sizeof err),
                   -EINVAL);
  size_t zn;
  uint8_t *z = test_zlib_wrap(data, len, &zn);
  assert_int_equal(http_zip_inflate(HTTP_ENC_DEFLATE, z, zn, len, &out, &outn, err, sizeof err), 0);
  assert_int_equal(outn, len);
  assert_memory_equal(out, data, len);
  free(out);
  /* truncated, one flipped byte, trailing bytes, nothing at all */
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, gz, gzn - 5, len, &out, &outn, err, sizeof err),
                   -EINVAL);
  assert_non_null(strstr(err, "corrupt or truncated gzip"));
  /* a flipped byte in the CRC-32 trailer: the data inflates in full, the
   * check fails. (A flip in the middle of the stream of fresh random data is
   * not deterministic: the damaged stream may also run past max, -EFBIG.) */
  gz[gzn - 8] ^= 0x5a;
  const int flipped = http_zip_inflate(HTTP_ENC_GZIP, gz, gzn, len, &out, &outn, err, sizeof err);
  assert_int_equal(flipped, -EINVAL);
  gz[gzn - 8] ^= 0x5a;
  uint8_t *trail = malloc(gzn + 3);
  assert_non_null(trail);
  memcpy(trail, gz, gzn);
  memcpy(trail + gzn, "xyz", 3);
  assert_int_equal(
      http_zip_inflate(HTTP_ENC_GZIP, trail, gzn + 3, len, &out, &outn, err, sizeof err), -EINVAL);
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, gz, 0, len, &out, &outn, err, sizeof err),
                   -EINVAL);
  free(trail), free(z), free(gz), free(data), free(f);
}

/* 256 MiB of zeros in about 1 MiB: refused at the bound, without inflating it all. */
static void test_zip_bomb(void **state) {
  (void)state;
  const size_t big = (size_t)256 << 20;
  uint8_t *zeros = calloc(1, big);
  assert_non_null(zeros);
  uint8_t *gz, *out = NULL;
  size_t gzn, outn;
  char err[200];
  assert_int_equal(http_zip_gzip(zeros, big, &gz, &gzn), 0);
  free(zeros);
  assert_true(gzn < big / 100); /* a small body that would inflate 100x and more */
  assert_int_equal(http_zip_inflate(HTTP_ENC_GZIP, gz, gzn, 1 << 20, &out, &outn, err, sizeof err),
                   -EFBIG);
  assert_null(out);
  free(gz);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_headers),
      cmocka_unit_test(test_round_trips),
      cmocka_unit_test(test_zip_bomb),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
