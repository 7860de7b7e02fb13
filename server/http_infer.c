/* Shared request helpers: blob lists, decode into model input, top-k. */
#include "server/http_infer.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/img.h"

int http_blobs_push(http_blobs *b, const uint8_t *data, size_t len, uint8_t *owned) {
  if (b->n == b->cap) {
    int cap = b->cap ? b->cap * 2 : 4;
    http_blob *v = realloc(b->v, sizeof *v * (size_t)cap);
    if (!v) {
      free(owned);
      return -ENOMEM;
    }
    b->v = v;
    b->cap = cap;
  }
  b->v[b->n++] = (http_blob){data, len, owned};
  return 0;
}

void http_blobs_free(http_blobs *b) {
  for (int i = 0; i < b->n; i++) free(b->v[i].owned);
  free(b->v);
  memset(b, 0, sizeof *b);
}

int http_decode_blobs(const http_blobs *b, const http_model_info *m, uint8_t *images, char *err,
                      size_t errlen) {
  size_t img_bytes = (size_t)m->in_h * (size_t)m->in_w * 3;
  for (int i = 0; i < b->n; i++) {
    char e[200] = "";
    int rc = img_prepare(b->v[i].data, b->v[i].len, m->max_pixels, m->resize_shorter, m->in_w,
                         m->in_h, images + (size_t)i * img_bytes, e, sizeof e);
    if (rc) {
      snprintf(err, errlen, "image %d: %s", i, e[0] ? e : "cannot decode");
      return rc;
    }
  }
  return 0;
}

int http_fit_rgb(const uint8_t *rgb, int w, int h, const http_model_info *m, uint8_t *dst,
                 char *err, size_t errlen) {
  if (w == m->in_w && h == m->in_h) {
    memcpy(dst, rgb, (size_t)w * (size_t)h * 3);
    return 0;
  }
  img_rgb src = {(uint8_t *)rgb, w, h};
  return img_resize_crop(&src, m->resize_shorter, m->in_w, m->in_h, dst, err, errlen);
}

void http_softmax(const float *logits, int n, float *p) {
  float mx = -INFINITY;
  for (int i = 0; i < n; i++) mx = logits[i] > mx ? logits[i] : mx;
  double sum = 0;
  for (int i = 0; i < n; i++) {
    p[i] = expf(logits[i] - mx);
    sum += p[i];
  }
  for (int i = 0; i < n; i++) p[i] = (float)(p[i] / sum);
}

void http_top_k(const float *v, int n, int k, int *idx) {
  int have = 0;
  for (int i = 0; i < n; i++) {
    /* insertion into the sorted prefix idx[0..have) */
    int pos = have;
    while (pos > 0 && v[idx[pos - 1]] < v[i]) pos--;
    if (pos >= k) continue;
    int last = have < k ? have : k - 1;
    for (int j = last; j > pos; j--) idx[j] = idx[j - 1];
    idx[pos] = i;
    if (have < k) have++;
  }
}
