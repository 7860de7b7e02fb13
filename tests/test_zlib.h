/* zlib-wrapped ("deflate" in HTTP) compression for the tests, with zlib
 * itself as the independent reference the daemon's codec is checked
 * against. Aborts the test on failure. */
#ifndef BLOCKFUSE_TESTS_TEST_ZLIB_H
#define BLOCKFUSE_TESTS_TEST_ZLIB_H

#include <stddef.h>
#include <stdint.h>

/* A malloc'ed zlib stream of in (level 6); its length in *out_len. */
uint8_t *test_zlib_wrap(const uint8_t *in, size_t len, size_t *out_len);

#endif
