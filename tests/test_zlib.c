#include "tests/test_zlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <zlib.h>

#include <cmocka.h>

uint8_t *test_zlib_wrap(const uint8_t *in, size_t len, size_t *out_len) {
  uLongf n = compressBound((uLong)len);
  uint8_t *out = malloc(n);
  assert_non_null(out);
  assert_int_equal(compress2(out, &n, in, (uLong)len, 6), Z_OK);
  *out_len = n;
  return out;
}
