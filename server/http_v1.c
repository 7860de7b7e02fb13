/* /v1 classify: request parsing and response building. */
#include "server/http_v1.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/http_codec.h"
#include "server/json_parse.h"

/* Decodes base64 s into a new blob of out. */
static int push_b64(http_blobs *out, const char *s, size_t n, int idx, char *err, size_t errlen) {
  uint8_t *buf = malloc(http_base64_max(n) + 1);
  if (!buf) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  size_t len = 0;
  if (http_base64_decode(s, n, buf, &len) != 0 || len == 0) {
    free(buf);
    snprintf(err, errlen, "instance %d: invalid base64", idx);
    return -EINVAL;
  }
  if (http_blobs_push(out, buf, len, buf) != 0) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  return 0;
}

/* Parses a strictly positive decimal top_k in [1, HTTP_MAX_TOP_K]. */
static int parse_top_k(const char *s, size_t n, int *top_k, char *err, size_t errlen) {
  int v = 0;
  if (n == 0 || n > 4) goto bad;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') goto bad;
    v = v * 10 + (s[i] - '0');
  }
  if (v < 1 || v > HTTP_MAX_TOP_K) goto bad;
  *top_k = v;
  return 0;
bad:
  snprintf(err, errlen, "top_k must be an integer in 1..%d", HTTP_MAX_TOP_K);
  return -EINVAL;
}

/* {"instances": [{"b64": "..."} | "...", ...], "top_k": K} */
static int parse_json(const uint8_t *body, size_t len, int max_images, http_blobs *out, int *top_k,
                      char *err, size_t errlen) {
  json_error_t je;
  json_t *root = json_parse((const char *)body, len, &je);
  if (!root) {
    snprintf(err, errlen, "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
    return -EINVAL;
  }
  int rc = 0;
  json_t *inst = json_is_object(root) ? json_object_get(root, "instances") : NULL;
  json_t *k = json_is_object(root) ? json_object_get(root, "top_k") : NULL;
  if (!json_is_array(inst) || json_array_size(inst) == 0) {
    snprintf(err, errlen, "expected {\"instances\": [{\"b64\": \"...\"}, ...]}");
    rc = -EINVAL;
  } else if (json_array_size(inst) > (size_t)max_images) {
    snprintf(err, errlen, "%zu instances, more than max_batch_size %d", json_array_size(inst),
             max_images);
    rc = -E2BIG;
  } else if (k && (!json_is_integer(k) || json_integer_value(k) < 1 ||
                   json_integer_value(k) > HTTP_MAX_TOP_K)) {
    snprintf(err, errlen, "top_k must be an integer in 1..%d", HTTP_MAX_TOP_K);
    rc = -EINVAL;
  }
  if (rc == 0 && k) *top_k = (int)json_integer_value(k);
  size_t i;
  json_t *v;
  json_array_foreach(inst, i, v) {
    if (rc) break;
    json_t *s = json_is_object(v) ? json_object_get(v, "b64") : v;
    if (!json_is_string(s)) {
      snprintf(err, errlen, "instance %zu: expected {\"b64\": \"...\"}", i);
      rc = -EINVAL;
      break;
    }
    rc = push_b64(out, json_string_value(s), json_string_length(s), (int)i, err, errlen);
  }
  json_decref(root);
  return rc;
}

/* multipart/form-data: image parts plus an optional top_k field. */
static int parse_multipart(const char *ct, const uint8_t *body, size_t len, int max_images,
                           http_blobs *out, int *top_k, char *err, size_t errlen) {
  char boundary[80];
  if (http_multipart_boundary(ct, boundary, sizeof boundary) != 0) {
    snprintf(err, errlen, "multipart/form-data without a valid boundary");
    return -EINVAL;
  }
  enum { MAX_PARTS = 256 };
  http_part *parts = malloc(sizeof *parts * MAX_PARTS);
  if (!parts) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  int n = 0;
  int rc = http_multipart_parse(body, len, boundary, parts, MAX_PARTS, &n, err, errlen);
  for (int i = 0; rc == 0 && i < n; i++) {
    http_part *p = &parts[i];
    if (p->name && p->name_len == 5 && strncmp(p->name, "top_k", 5) == 0 && !p->filename) {
      rc = parse_top_k((const char *)p->data, p->len, top_k, err, errlen);
    } else if (p->filename || (p->name && p->name_len >= 5 && strncmp(p->name, "image", 5) == 0)) {
      if (out->n == max_images) {
        snprintf(err, errlen, "more than max_batch_size %d images", max_images);
        rc = -E2BIG;
      } else if (p->len == 0) {
        snprintf(err, errlen, "multipart part %d is empty", i);
        rc = -EINVAL;
      } else if (http_blobs_push(out, p->data, p->len, NULL) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = -ENOMEM;
      }
    }
  }
  free(parts);
  if (rc == 0 && out->n == 0) {
    snprintf(err, errlen, "multipart body has no image part (use -F image=@file.jpg)");
    rc = -EINVAL;
  }
  return rc;
}

int http_v1_parse(const char *content_type, const uint8_t *body, size_t len, int max_images,
                  http_blobs *out, int *top_k, char *err, size_t errlen) {
  if (len == 0) {
    snprintf(err, errlen, "empty body: send an image, multipart form or JSON instances");
    return -EINVAL;
  }
  const char *ct = content_type ? content_type : "";
  if (strncasecmp(ct, "multipart/form-data", 19) == 0)
    return parse_multipart(ct, body, len, max_images, out, top_k, err, errlen);
  if (strncasecmp(ct, "application/json", 16) == 0)
    return parse_json(body, len, max_images, out, top_k, err, errlen);
  if (http_blobs_push(out, body, len, NULL) != 0) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  return 0;
}

char *http_v1_response(const http_model_info *m, const float *logits, int n, int top_k,
                       const http_timings *t, size_t *len) {
  int C = m->num_classes;
  if (top_k > C) top_k = C;
  float *p = malloc(sizeof(float) * (size_t)C);
  int *idx = malloc(sizeof(int) * (size_t)top_k);
  json_t *root = json_object(), *preds = json_array();
  char *s = NULL;
  if (!p || !idx || !root || !preds) goto out;
  json_object_set_new(root, "model", json_string(m->name));
  json_object_set_new(root, "model_version", json_string(m->version));
  for (int i = 0; i < n; i++) {
    http_softmax(logits + (size_t)i * C, C, p);
    http_top_k(p, C, top_k, idx);
    json_t *arr = json_array();
    for (int j = 0; j < top_k; j++)
      json_array_append_new(arr, json_pack("{s:s, s:i, s:f}", "label", m->labels[idx[j]], "index",
                                           idx[j], "score", (double)p[idx[j]]));
    json_array_append_new(preds, json_pack("{s:o}", "top_k", arr));
  }
  json_object_set(root, "predictions", preds);
  json_object_set_new(root, "batch_size", json_integer(t->batch));
  json_object_set_new(root, "timings_us",
                      json_pack("{s:f, s:f, s:f, s:f}", "decode", t->decode_us, "queue",
                                t->queue_us, "compute", t->compute_us, "total", t->total_us));
  s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
  if (s) *len = strlen(s);
out:
  free(p);
  free(idx);
  json_decref(preds);
  json_decref(root);
  return s;
}
