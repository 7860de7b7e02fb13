/* Wire codecs for request bodies that are not JSON tensors: base64 (TF
 * Serving's {"b64": ...}), multipart/form-data (curl -F), and the KServe
 * binary tensor extension's Inference-Header-Content-Length. Pure functions
 * over caller-owned buffers; nothing here allocates. */
#ifndef BLOCKFUSE_SERVER_HTTP_CODEC_H
#define BLOCKFUSE_SERVER_HTTP_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound of the decoded size of len base64 characters. */
size_t http_base64_max(size_t len);

/* Decodes standard or URL-safe base64; padding is optional, ASCII whitespace
 * is skipped. out holds http_base64_max(len) bytes. Returns 0, or -EINVAL on
 * a bad character, misplaced padding or a dangling single character. */
int http_base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len);

/* One part of a multipart body; every pointer points into the body. */
typedef struct {
  const char *name, *filename, *content_type; /* not NUL-terminated; NULL if absent */
  size_t name_len, filename_len, content_type_len;
  const uint8_t *data;
  size_t len;
} http_part;

/* Extracts the boundary parameter of a multipart Content-Type. Returns 0, or
 * -EINVAL if the type is not multipart/form-data or has no usable boundary. */
int http_multipart_boundary(const char *content_type, char *boundary, size_t cap);

/* Splits body into at most max_parts parts. Returns 0 with *n_parts set, or
 * -EINVAL (malformed: missing delimiter, headers or closing boundary) or
 * -E2BIG (more than max_parts parts), with a message. */
int http_multipart_parse(const uint8_t *body, size_t len, const char *boundary, http_part *parts,
                         int max_parts, int *n_parts, char *err, size_t errlen);

/* Parses the Inference-Header-Content-Length value against the body length:
 * a decimal count of JSON bytes at the start of the body, <= body_len.
 * Returns 0 or -EINVAL with a message. */
int http_header_length(const char *value, size_t body_len, size_t *json_len, char *err,
                       size_t errlen);

#endif
