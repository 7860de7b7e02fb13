/* Resize-shorter-side + centre crop with a separable, antialiased triangle
 * (bilinear) filter in fp32, computing only the pixels the crop keeps.
 * The exact definition is in docs/preprocessing.md. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "server/img_internal.h"

#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE4_1__)
#include <smmintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* The horizontal pass of one input row into out_w fp32 RGB triples. Each
 * channel is summed tap by tap, a product then a sum in fp32 (the order
 * docs/preprocessing.md fixes). With SSE2 the row's pixels x0 .. x1 - 1
 * (those the taps read) are first converted to fp32 once, as 4-lane vectors
 * in f4, and the three channels of a pixel go through one 4-lane product
 * and sum per tap; the fourth lane (the next pixel's red byte, or zero) is
 * junk, and the 4-lane store writes it one float past the pixel, into the
 * next pixel (written after it) or the row's padding. Pixels from nwide on
 * are read a byte at a time (no byte follows the image's last one). */
static void hpass_row(const uint8_t *in, const img_axis *ax, int out_w, int x0, int x1, int nwide,
                      float *f4, float *o) {
#if defined(__SSE2__)
  for (int x = x0; x < x1; x++) {
    const uint8_t *p = in + (size_t)x * 3;
    int word = p[0] | p[1] << 8 | p[2] << 16;
    if (x < nwide) memcpy(&word, p, 4);
    const __m128i b = _mm_cvtsi32_si128(word);
#if defined(__SSE4_1__)
    const __m128i v = _mm_cvtepu8_epi32(b);
#else
    const __m128i zero = _mm_setzero_si128();
    const __m128i v = _mm_unpacklo_epi16(_mm_unpacklo_epi8(b, zero), zero);
#endif
    _mm_store_ps(f4 + (size_t)(x - x0) * 4, _mm_cvtepi32_ps(v));
  }
  for (int x = 0; x < out_w; x++) {
    const float *p = f4 + (size_t)(ax->start[x] - x0) * 4;
    const float *wt = ax->w + (size_t)x * ax->taps;
    __m128 acc = _mm_setzero_ps();
    for (int k = 0; k < ax->count[x]; k++)
      acc = _mm_add_ps(acc, _mm_mul_ps(_mm_set1_ps(wt[k]), _mm_load_ps(p + 4 * k)));
    _mm_storeu_ps(o + 3 * x, acc);
  }
#else
  (void)x0, (void)x1, (void)nwide, (void)f4;
  for (int x = 0; x < out_w; x++) {
    const uint8_t *p = in + (size_t)ax->start[x] * 3;
    const float *wt = ax->w + (size_t)x * ax->taps;
    float r = 0, g = 0, b = 0;
    for (int k = 0; k < ax->count[x]; k++) {
      r += wt[k] * p[3 * k];
      g += wt[k] * p[3 * k + 1];
      b += wt[k] * p[3 * k + 2];
    }
    o[3 * x] = r, o[3 * x + 1] = g, o[3 * x + 2] = b;
  }
#endif
}

/* The vertical pass of one output row: acc = sum over its taps of weight x
 * row, in tap order (as hpass_row, a product then a sum per tap), then each
 * value rounded half up and clamped into dst. acc holds n floats. */
static void vpass_row(const float *tmp, size_t n, const img_axis *ay, int y, int y0, float *acc,
                      uint8_t *dst) {
  const float *wt = ay->w + (size_t)y * ay->taps;
  memset(acc, 0, sizeof(float) * n);
  for (int k = 0; k < ay->count[y]; k++) {
    const float *row = tmp + (size_t)(ay->start[y] + k - y0) * n;
    const float wk = wt[k];
    size_t i = 0;
#if defined(__AVX__)
    const __m256 w8 = _mm256_set1_ps(wk);
    for (; i + 8 <= n; i += 8)
      _mm256_storeu_ps(acc + i, _mm256_add_ps(_mm256_loadu_ps(acc + i),
                                              _mm256_mul_ps(w8, _mm256_loadu_ps(row + i))));
#endif
#if defined(__SSE2__)
    const __m128 w4 = _mm_set1_ps(wk);
    for (; i + 4 <= n; i += 4)
      _mm_storeu_ps(acc + i,
                    _mm_add_ps(_mm_loadu_ps(acc + i), _mm_mul_ps(w4, _mm_loadu_ps(row + i))));
#endif
    for (; i < n; i++) acc[i] += wk * row[i];
  }
  size_t i = 0;
#if defined(__SSE4_1__)
  /* the same rounding and clamp, four values at a time */
  const __m128 half = _mm_set1_ps(0.5f), lo = _mm_setzero_ps(), hi = _mm_set1_ps(255.f);
  for (; i + 4 <= n; i += 4) {
    const __m128 v = _mm_floor_ps(_mm_add_ps(_mm_loadu_ps(acc + i), half));
    const __m128i q = _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(v, lo), hi));
    const int b4 = _mm_cvtsi128_si32(_mm_packus_epi16(_mm_packs_epi32(q, q), q));
    memcpy(dst + i, &b4, 4);
  }
#endif
  for (; i < n; i++) {
    float v = floorf(acc[i] + 0.5f);
    dst[i] = (uint8_t)(v < 0.f ? 0.f : v > 255.f ? 255.f : v);
  }
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
  float *tmp = NULL, *acc = NULL, *f4 = NULL;
  int rc = 0;
  if (axis_init(&ax, w, nw, left, out_w) || axis_init(&ay, h, nh, top, out_h)) {
    rc = img_fail(-ENOMEM, err, errlen, "resize: out of memory");
    goto done;
  }
  int y0 = ay.start[0], y1 = ay.start[out_h - 1] + ay.count[out_h - 1];
  size_t rowf = (size_t)out_w * 3;
  tmp = malloc(sizeof(float) * (rowf * (size_t)(y1 - y0) + 1)); /* + hpass_row's last store */
  acc = malloc(sizeof(float) * rowf);
  const int x0 = ax.start[0], x1 = ax.start[out_w - 1] + ax.count[out_w - 1];
  f4 = malloc(sizeof(float) * 4 * (size_t)(x1 - x0)); /* malloc: 16-byte aligned */
  if (!tmp || !acc || !f4) {
    rc = img_fail(-ENOMEM, err, errlen, "resize: out of memory");
    goto done;
  }
  /* Horizontal pass over the input rows the crop needs, then the vertical
     pass into dst. */
  for (int y = y0; y < y1; y++)
    hpass_row(src->data + (size_t)y * w * 3, &ax, out_w, x0, x1, y == h - 1 ? w - 1 : w, f4,
              tmp + (size_t)(y - y0) * rowf);
  for (int y = 0; y < out_h; y++) vpass_row(tmp, rowf, &ay, y, y0, acc, dst + (size_t)y * rowf);
done:
  free(f4);
  free(tmp);
  free(acc);
  axis_free(&ax);
  axis_free(&ay);
  return rc;
}
