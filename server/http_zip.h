/* HTTP content codings for the inference routes (as Triton's HTTP endpoint
 * and tritonclient's request/response compression): request bodies sent
 * with Content-Encoding gzip or deflate are inflated, bounded, before
 * parsing; responses go out gzip-compressed where Accept-Encoding allows. */
#ifndef BLOCKFUSE_SERVER_HTTP_ZIP_H
#define BLOCKFUSE_SERVER_HTTP_ZIP_H

#include <stddef.h>
#include <stdint.h>

enum { HTTP_ENC_IDENTITY = 0, HTTP_ENC_GZIP = 1, HTTP_ENC_DEFLATE = 2 };

/* A Content-Encoding value: HTTP_ENC_* (NULL, "" or "identity" is
 * identity; case-insensitive), or -1 for anything else. */
int http_zip_coding(const char *content_encoding);

/* 1 when an Accept-Encoding value accepts gzip (a "gzip" or "*" token whose
 * q is not 0), else 0. */
int http_zip_accepts_gzip(const char *accept_encoding);

/* Inflates a gzip or deflate (zlib) body into a malloc'd *out of at most max
 * bytes. Returns 0, -EFBIG when it would inflate past max (a zip bomb is
 * stopped there), -EINVAL for corrupt or truncated data or trailing bytes,
 * -ENOMEM; err says which. */
int http_zip_inflate(int coding, const uint8_t *in, size_t len, size_t max, uint8_t **out,
                     size_t *out_len, char *err, size_t errlen);

/* gzip-compresses in into a malloc'd *out. Returns 0 or -ENOMEM. */
int http_zip_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);

#endif
