/* KServe v2 / Open Inference Protocol infer requests and responses, with the
 * binary tensor data extension and the classification extension.
 *
 * Inputs (exactly one per request):
 *   "input"  UINT8 or FP32 [N,H,W,3] RGB pixels (FP32 values in [0,255]);
 *            resized/cropped to the model input if H,W differ
 *   "image"  BYTES [N] or [N,1]: encoded JPEG/PNG; in JSON each element is
 *            base64 (a string or {"b64": ...}), in binary 4-byte LE length
 *            prefixed as the extension specifies
 * Outputs: "logits" and "probabilities", FP32 [N,classes]; with
 * parameters.classification = K either becomes BYTES [N,K]
 * "score:index:label". */
#ifndef BLOCKFUSE_SERVER_HTTP_V2_H
#define BLOCKFUSE_SERVER_HTTP_V2_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "server/http_infer.h"

#define HTTP_V2_MAX_OUTPUTS 2

typedef enum { HTTP_DT_UINT8 = 0, HTTP_DT_FP32, HTTP_DT_BYTES } http_dtype;

typedef struct {
  int which;          /* 0 logits, 1 probabilities */
  int classification; /* K > 0: classification output */
  int binary;         /* return as binary data */
} http_v2_output;

/* A parsed request. Owns root (and the id string inside it); data points
 * into root or into the request body, which must outlive it. */
typedef struct {
  json_t *root;
  const char *id;     /* NULL if absent */
  int64_t timeout_us; /* parameters.timeout; 0 = server default */
  http_dtype dtype;
  int is_image; /* input "image" (BYTES) */
  int ndim;
  int64_t shape[4];
  int n;              /* batch */
  json_t *data;       /* JSON data, or NULL for binary */
  const uint8_t *bin; /* binary tensor data */
  size_t bin_len;
  int n_outputs;
  http_v2_output outputs[HTTP_V2_MAX_OUTPUTS];
} http_v2_request;

/* Parses body[0..json_len) as the JSON header; body[json_len..len) is the
 * binary tensor data (json_len == len: pure JSON). Validates names, types,
 * shapes, element counts and sizes against m. Returns 0, or -EINVAL
 * (malformed or invalid: 400), -ENOENT unknown input/output name (400),
 * -E2BIG batch above max_batch (400), -ENOMEM. On success r owns the parsed
 * request until http_v2_free(); on failure it holds nothing. */
int http_v2_parse(const uint8_t *body, size_t len, size_t json_len, const http_model_info *m,
                  http_v2_request *r, char *err, size_t errlen);

/* Writes the request's r->n images, fitted to the model input, into images
 * (n x in_h x in_w x 3). Returns 0 or a negative errno with message. */
int http_v2_images(const http_v2_request *r, const http_model_info *m, uint8_t *images, char *err,
                   size_t errlen);

void http_v2_free(http_v2_request *r);

/* Builds the response for logits[r->n x classes]. *body is malloc'd;
 * *json_len < *len when binary outputs follow the JSON. Returns 0 or
 * -ENOMEM. */
int http_v2_response(const http_v2_request *r, const http_model_info *m, const float *logits,
                     char **body, size_t *len, size_t *json_len);

#endif
