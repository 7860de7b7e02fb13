/* What the request codecs share: the served model's shape, encoded-image
 * lists, decode into the model's input, and turning logits into top-k.
 * Everything here runs on the threadpool or the loop; nothing blocks on I/O. */
#ifndef BLOCKFUSE_SERVER_HTTP_INFER_H
#define BLOCKFUSE_SERVER_HTTP_INFER_H

#include <stddef.h>
#include <stdint.h>

/* The "platform" of the served model in both the v2 model metadata and the
 * model configuration (the backend, cpu or cuda, is the config's "backend"). */
#define HTTP_PLATFORM "blockfuse"

/* The model as the HTTP layer sees it. Borrowed pointers; the model_net they
 * come from outlives every request. */
typedef struct {
  const char *name, *version;
  int in_h, in_w, resize_shorter, num_classes, max_batch;
  char *const *labels;
  uint64_t max_pixels;
} http_model_info;

/* Encoded images found in a body. data points into the body, or into owned
 * (decoded base64), which http_blobs_free() releases. */
typedef struct {
  const uint8_t *data;
  size_t len;
  uint8_t *owned;
} http_blob;

typedef struct {
  http_blob *v;
  int n, cap;
} http_blobs;

/* Appends a blob; takes ownership of `owned` (may be NULL). 0 or -ENOMEM. */
int http_blobs_push(http_blobs *b, const uint8_t *data, size_t len, uint8_t *owned);
void http_blobs_free(http_blobs *b);

/* Decodes blob i into images + i * in_h*in_w*3 for every blob. Returns 0,
 * or the img_* error with "image i: ..." in err (-EINVAL corrupt, -ENOTSUP
 * format, -E2BIG pixel limit, -ENOMEM). */
int http_decode_blobs(const http_blobs *b, const http_model_info *m, uint8_t *images, char *err,
                      size_t errlen);

/* Resizes/crops an RGB8 h x w image to the model input (no-op copy if the
 * size already matches). 0 or a negative errno with message. */
int http_fit_rgb(const uint8_t *rgb, int w, int h, const http_model_info *m, uint8_t *dst,
                 char *err, size_t errlen);

/* Softmax of n logits into p (p may alias logits). */
void http_softmax(const float *logits, int n, float *p);

/* Indices of the k largest values of v[n], descending (ties: lower index
 * first). k <= n. */
void http_top_k(const float *v, int n, int k, int *idx);

#endif
