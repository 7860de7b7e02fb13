/* Resize-shorter-side + centre crop with a separable, antialiased triangle
 * (bilinear) filter in fp32, computing only the pixels the crop keeps.
 * The exact definition is in docs/preprocessing.md. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/img_internal.h"

/* Largest side accepted for the resize target and the crop. */
#define IMG_MAX_SIDE 32768

/* Per-output-pixel filter taps along one axis: output j reads input
 * start[j] .. start[j] + count[j] - 1 with weights w[j * taps ...]. */
typedef struct {
  int *start, *count;
  float *w;
  int taps;
} img_axis;

/* Frees whatever axis_init managed to allocate. */
static void axis_free(img_axis *ax) {
  free(ax->start);
  free(ax->count);
  free(ax->w);
}

/* Builds the taps for outputs off .. off+n-1 of an in -> out_full resize.
 * The triangle filter's support is scaled by the downscale factor (so it
 * averages every input pixel when shrinking) and weights are normalised to
 * sum to 1. ax must start zeroed. Returns 0 or -ENOMEM. */
static int axis_init(img_axis *ax, int in, int out_full, int off, int n) {
  double scale = (double)in / out_full;
  double fscale = scale > 1.0 ? scale : 1.0;
  double support = fscale; /* triangle radius 1, stretched */
  ax->taps = (int)ceil(support) * 2 + 1;
  ax->start = malloc(sizeof(int) * (size_t)n);
  ax->count = malloc(sizeof(int) * (size_t)n);
  ax->w = malloc(sizeof(float) * (size_t)n * ax->taps);
  double *wt = malloc(sizeof(double) * (size_t)ax->taps);
  if (!ax->start || !ax->count || !ax->w || !wt) {
    free(wt);
    return -ENOMEM; /* the caller's axis_free releases the rest */
  }
  for (int j = 0; j < n; j++) {
    double center = (off + j + 0.5) * scale;
    int lo = (int)floor(center - support + 0.5), hi = (int)floor(center + support + 0.5);
    if (lo < 0) lo = 0;
    if (hi > in) hi = in;
    if (hi - lo > ax->taps) hi = lo + ax->taps;
    double sum = 0;
    for (int x = lo; x < hi; x++) {
      double t = fabs((x + 0.5 - center) / fscale);
      wt[x - lo] = t < 1.0 ? 1.0 - t : 0.0;
      sum += wt[x - lo];
    }
    float *w = ax->w + (size_t)j * ax->taps;
    if (sum <= 0) { /* cannot happen for in >= 1, but keep the output defined */
      lo = (int)fmin(fmax(floor(center), 0), in - 1), hi = lo + 1, wt[0] = sum = 1.0;
    }
    for (int x = lo; x < hi; x++) w[x - lo] = (float)(wt[x - lo] / sum);
    ax->start[j] = lo;
    ax->count[j] = hi - lo;
  }
  free(wt);
  return 0;
}

/* Contract in img.h; the arithmetic is specified in docs/preprocessing.md. */
int img_resize_crop(const img_rgb *src, int shorter, int out_w, int out_h, uint8_t *dst, char *err,
                    size_t errlen) {
  if (!src || !src->data || src->w <= 0 || src->h <= 0 || !dst)
    return img_fail(-EINVAL, err, errlen, "resize: empty source image");
  if (shorter <= 0 || out_w <= 0 || out_h <= 0 || shorter > IMG_MAX_SIDE || out_w > IMG_MAX_SIDE ||
      out_h > IMG_MAX_SIDE)
    return img_fail(-EINVAL, err, errlen, "resize: bad target: shorter %d, crop %dx%d", shorter,
                    out_w, out_h);
  /* Shorter side -> `shorter`; longer side scaled by the same ratio, rounded
   * half up. */
  int w = src->w, h = src->h, nw, nh;
  int s = w < h ? w : h, l = w < h ? h : w;
  uint64_t nl = ((uint64_t)l * 2 * (uint64_t)shorter + (uint64_t)s) / (2 * (uint64_t)s);
  if (nl > INT_MAX) nl = INT_MAX;
  if (w < h)
    nw = shorter, nh = (int)nl;
  else
    nh = shorter, nw = (int)nl;
  if (out_w > nw || out_h > nh)
    return img_fail(-EINVAL, err, errlen, "resize: crop %dx%d does not fit the resized %dx%d image",
                    out_w, out_h, nw, nh);
  int left = (nw - out_w) / 2, top = (nh - out_h) / 2;

  img_axis ax = {0}, ay = {0};
  float *tmp = NULL, *acc = NULL;
  int rc = 0;
  if (axis_init(&ax, w, nw, left, out_w) || axis_init(&ay, h, nh, top, out_h)) {
    rc = img_fail(-ENOMEM, err, errlen, "resize: out of memory");
    goto done;
  }
  int y0 = ay.start[0], y1 = ay.start[out_h - 1] + ay.count[out_h - 1];
  size_t rowf = (size_t)out_w * 3;
  tmp = malloc(sizeof(float) * rowf * (size_t)(y1 - y0));
  acc = malloc(sizeof(float) * rowf);
  if (!tmp || !acc) {
    rc = img_fail(-ENOMEM, err, errlen, "resize: out of memory");
    goto done;
  }
  /* Horizontal pass over the input rows the crop needs. */
  for (int y = y0; y < y1; y++) {
    const uint8_t *in = src->data + (size_t)y * w * 3;
    float *o = tmp + (size_t)(y - y0) * rowf;
    for (int x = 0; x < out_w; x++) {
      const uint8_t *p = in + (size_t)ax.start[x] * 3;
      const float *wt = ax.w + (size_t)x * ax.taps;
      float r = 0, g = 0, b = 0;
      for (int k = 0; k < ax.count[x]; k++) {
        r += wt[k] * p[3 * k];
        g += wt[k] * p[3 * k + 1];
        b += wt[k] * p[3 * k + 2];
      }
      o[3 * x] = r, o[3 * x + 1] = g, o[3 * x + 2] = b;
    }
  }
  /* Vertical pass, then round half up and clamp to uint8. */
  for (int y = 0; y < out_h; y++) {
    const float *wt = ay.w + (size_t)y * ay.taps;
    memset(acc, 0, sizeof(float) * rowf);
    for (int k = 0; k < ay.count[y]; k++) {
      const float *row = tmp + (size_t)(ay.start[y] + k - y0) * rowf;
      float wk = wt[k];
      for (size_t i = 0; i < rowf; i++) acc[i] += wk * row[i];
    }
    uint8_t *o = dst + (size_t)y * rowf;
    for (size_t i = 0; i < rowf; i++) {
      float v = floorf(acc[i] + 0.5f);
      o[i] = (uint8_t)(v < 0.f ? 0.f : v > 255.f ? 255.f : v);
    }
  }
done:
  free(tmp);
  free(acc);
  axis_free(&ax);
  axis_free(&ay);
  return rc;
}
