/* The /v1 classify API: request bodies (raw image, multipart, TF Serving
 * style {"instances":[{"b64":...}]}) and the top-k JSON response. */
#ifndef BLOCKFUSE_SERVER_HTTP_V1_H
#define BLOCKFUSE_SERVER_HTTP_V1_H

#include <stddef.h>
#include <stdint.h>

#include "server/http_infer.h"

#define HTTP_MAX_TOP_K 100

/* Server-side timings reported with each response, microseconds. */
typedef struct {
  double decode_us, queue_us, compute_us, total_us;
  int batch;
} http_timings;

/* Collects the encoded images of a classify body, chosen by content_type
 * (image/... or application/octet-stream: the body is one image; multipart:
 * every part with a filename or a name starting "image"; application/json:
 * instances of {"b64": "..."} or bare base64 strings). A multipart field or
 * JSON member "top_k" overrides *top_k. At most max_images. Returns 0, or
 * -EINVAL (malformed, no image), -E2BIG (too many images), -ENOMEM. */
int http_v1_parse(const char *content_type, const uint8_t *body, size_t len, int max_images,
                  http_blobs *out, int *top_k, char *err, size_t errlen);

/* Builds the response: model, per-image top_k {label, index, score (softmax
 * probability)}, batch size and timings. Returns a malloc'd JSON string, or
 * NULL when out of memory. */
char *http_v1_response(const http_model_info *m, const float *logits, int n, int top_k,
                       const http_timings *t, size_t *len);

#endif
