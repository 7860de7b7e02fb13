/* Tests for img_resize_crop: against a direct 2-D double-precision
 * evaluation of the documented filter on random images (odd sizes, up and
 * down), byte for byte against a scalar fp32 evaluation of the documented
 * arithmetic, constant images, centring of the crop, and bad arguments. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/img.h"
#include "tests/test_support.h"

/* Direct 2-D evaluation of the documented filter, in double: resized size,
 * crop offset, triangle weights with support scaled by the downscale factor,
 * normalised per axis, rounded half up. */
static void naive_resize(const img_rgb *s, int shorter, int ow, int oh, uint8_t *dst) {
  int w = s->w, h = s->h, nw, nh;
  if (w < h)
    nw = shorter, nh = (int)floor((double)h * shorter / w + 0.5);
  else
    nh = shorter, nw = (int)floor((double)w * shorter / h + 0.5);
  int left = (nw - ow) / 2, top = (nh - oh) / 2;
  double sx = (double)w / nw, sy = (double)h / nh;
  double fx = sx > 1 ? sx : 1, fy = sy > 1 ? sy : 1;
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      double cx = (left + x + 0.5) * sx, cy = (top + y + 0.5) * sy;
      double acc[3] = {0}, wsum = 0;
      for (int j = 0; j < h; j++) {
        double wy = 1 - fabs((j + 0.5 - cy) / fy);
        if (wy <= 0) continue;
        for (int i = 0; i < w; i++) {
          double wx = 1 - fabs((i + 0.5 - cx) / fx);
          if (wx <= 0) continue;
          for (int c = 0; c < 3; c++) acc[c] += wx * wy * s->data[((size_t)j * w + i) * 3 + c];
          wsum += wx * wy;
        }
      }
      for (int c = 0; c < 3; c++) {
        double v = floor(acc[c] / wsum + 0.5);
        dst[((size_t)y * ow + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
      }
    }
}

static void test_resize_vs_naive(void **state) {
  (void)state;
  struct {
    int w, h, shorter, ow, oh;
  } cases[] = {
      {37, 23, 11, 11, 9},    /* downscale, odd sizes */
      {64, 64, 32, 32, 32},   /* exact 2x */
      {255, 101, 48, 47, 48}, /* wide */
      {17, 300, 9, 9, 41},    /* tall, big factor */
      {5, 7, 20, 19, 25},     /* upscale */
      {1, 1, 3, 3, 3},        /* single pixel */
      {120, 90, 90, 90, 90},  /* shorter side unchanged: long side only */
      {333, 250, 224, 224, 224},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    img_rgb s = {malloc((size_t)cases[k].w * cases[k].h * 3), cases[k].w, cases[k].h};
    assert_non_null(s.data);
    size_t n = (size_t)cases[k].w * cases[k].h * 3;
    for (size_t i = 0; i < n; i++) s.data[i] = (uint8_t)test_rand_below(256);
    size_t on = (size_t)cases[k].ow * cases[k].oh * 3;
    uint8_t *got = malloc(on), *want = malloc(on);
    assert_non_null(got);
    assert_non_null(want);
    char err[256];
    int rc = img_resize_crop(&s, cases[k].shorter, cases[k].ow, cases[k].oh, got, err, sizeof err);
    if (rc) fprintf(stderr, "case %zu: %s\n", k, err);
    assert_int_equal(rc, 0);
    naive_resize(&s, cases[k].shorter, cases[k].ow, cases[k].oh, want);
    size_t off = 0;
    int m = 0;
    for (size_t i = 0; i < on; i++) {
      int d = abs((int)got[i] - want[i]);
      m = d > m ? d : m;
      off += d != 0;
    }
    if (m > 1 || off * 100 > on)
      fprintf(stderr, "resize %dx%d -> %d crop %dx%d: max diff %d, %zu/%zu differ\n", cases[k].w,
              cases[k].h, cases[k].shorter, cases[k].ow, cases[k].oh, m, off, on);
    /* fp32 vs double may round a value sitting on .5 the other way. */
    assert_true(m <= 1);
    assert_true(off * 100 <= on);
    free(got);
    free(want);
    free(s.data);
  }
}

/* Taps of the documented separable filter along one axis (weights in
 * double, normalised, stored as fp32): output j of the crop reads
 * lo[j] .. lo[j] + n[j] - 1. */
static void ref_axis(int in, int full, int off, int out, int *lo, int *n, float *w, int taps) {
  const double scale = (double)in / full, f = scale > 1 ? scale : 1;
  double *wt = malloc(sizeof(double) * taps);
  assert_non_null(wt);
  for (int j = 0; j < out; j++) {
    const double c = (off + j + 0.5) * scale;
    int a = (int)floor(c - f + 0.5), b = (int)floor(c + f + 0.5);
    a = a < 0 ? 0 : a, b = b > in ? in : b;
    if (b - a > taps) b = a + taps;
    double sum = 0;
    for (int x = a; x < b; x++) {
      const double t = fabs((x + 0.5 - c) / f);
      sum += wt[x - a] = t < 1 ? 1 - t : 0;
    }
    for (int x = a; x < b; x++) w[j * taps + x - a] = (float)(wt[x - a] / sum);
    lo[j] = a, n[j] = b - a;
  }
  free(wt);
}

/* The documented resized size: the shorter side becomes `shorter`, the
 * longer one scales with it, rounded half up. */
static void ref_size(int w, int h, int shorter, int *nw, int *nh) {
  const int sh = w < h ? w : h, lg = w < h ? h : w;
  const int nl = (int)(((long long)lg * 2 * shorter + sh) / (2LL * sh));
  *nw = w < h ? shorter : nl, *nh = w < h ? nl : shorter;
}

/* The documented arithmetic as plainly as it can be written, scalar: the
 * horizontal pass in fp32, each channel a product then a sum per tap in tap
 * order, over the rows the crop needs; then the vertical pass likewise;
 * round half up, clamp. img_resize_crop (vectorised where the CPU allows)
 * must give exactly these bytes. */
static void ref_resize(const img_rgb *s, int shorter, int ow, int oh, uint8_t *dst) {
  const int w = s->w, h = s->h;
  int nw, nh;
  ref_size(w, h, shorter, &nw, &nh);
  const int tx = (int)ceil(w > nw ? (double)w / nw : 1) * 2 + 1;
  const int ty = (int)ceil(h > nh ? (double)h / nh : 1) * 2 + 1;
  int *xl = malloc(sizeof(int) * ow), *xn = malloc(sizeof(int) * ow);
  int *yl = malloc(sizeof(int) * oh), *yn = malloc(sizeof(int) * oh);
  float *xw = malloc(sizeof(float) * ow * tx), *yw = malloc(sizeof(float) * oh * ty);
  float *row = malloc(sizeof(float) * ow * 3 * h);
  assert_true(xl && xn && yl && yn && xw && yw && row);
  ref_axis(w, nw, (nw - ow) / 2, ow, xl, xn, xw, tx);
  ref_axis(h, nh, (nh - oh) / 2, oh, yl, yn, yw, ty);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < ow; x++)
      for (int c = 0; c < 3; c++) {
        float v = 0;
        for (int k = 0; k < xn[x]; k++) {
          const float p = xw[x * tx + k] * (float)s->data[((size_t)y * w + xl[x] + k) * 3 + c];
          v = v + p;
        }
        row[((size_t)y * ow + x) * 3 + c] = v;
      }
  for (int y = 0; y < oh; y++)
    for (int i = 0; i < ow * 3; i++) {
      float v = 0;
      for (int k = 0; k < yn[y]; k++) {
        const float p = yw[y * ty + k] * row[(size_t)(yl[y] + k) * ow * 3 + i];
        v = v + p;
      }
      v = floorf(v + 0.5f);
      dst[(size_t)y * ow * 3 + i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
  free(xl), free(xn), free(yl), free(yn), free(xw), free(yw), free(row);
}

/* img_resize_crop gives exactly the bytes of the scalar fp32 reference on
 * random images and targets: odd widths (vector tails), crops reaching the
 * last row and column (where the fast path must not read past the image),
 * down and up scales, the daemon's 256 -> 224. */
static void test_resize_exact_fp32(void **state) {
  (void)state;
  for (int k = 0; k < 40; k++) {
    const int w = k == 0 ? 348 : 1 + test_rand_below(300),
              h = k == 0 ? 307 : 1 + test_rand_below(300);
    const int shorter = k == 0 ? 256 : 1 + test_rand_below(260);
    const int ow = k == 0 ? 224 : 1 + test_rand_below(shorter),
              oh = k == 0 ? 224 : 1 + test_rand_below(shorter);
    img_rgb s = {malloc((size_t)w * h * 3), w, h};
    uint8_t *got = malloc((size_t)ow * oh * 3), *want = malloc((size_t)ow * oh * 3);
    assert_true(s.data && got && want);
    for (size_t i = 0; i < (size_t)w * h * 3; i++) s.data[i] = (uint8_t)test_rand_below(256);
    char err[256];
    const int rc = img_resize_crop(&s, shorter, ow, oh, got, err, sizeof err);
    int nw, nh;
    ref_size(w, h, shorter, &nw, &nh);
    if (nh < oh || nw < ow) {
      assert_int_equal(rc, -EINVAL); /* the crop does not fit: nothing to compare */
    } else {
      if (rc) fprintf(stderr, "%dx%d -> %d crop %dx%d: %s\n", w, h, shorter, ow, oh, err);
      assert_int_equal(rc, 0);
      ref_resize(&s, shorter, ow, oh, want);
      assert_memory_equal(got, want, (size_t)ow * oh * 3);
    }
    free(s.data), free(got), free(want);
  }
}

static void test_resize_constant_and_errors(void **state) {
  (void)state;
  int sizes[][2] = {{1, 1}, {31, 17}, {200, 150}, {3, 400}};
  for (int k = 0; k < 4; k++) {
    img_rgb s = {malloc((size_t)sizes[k][0] * sizes[k][1] * 3), sizes[k][0], sizes[k][1]};
    assert_non_null(s.data);
    uint8_t col[3] = {(uint8_t)test_rand_below(256), (uint8_t)test_rand_below(256),
                      (uint8_t)test_rand_below(256)};
    for (int i = 0; i < s.w * s.h; i++) memcpy(s.data + 3 * i, col, 3);
    uint8_t out[13 * 15 * 3];
    char err[256];
    assert_int_equal(img_resize_crop(&s, 15, 13, 15, out, err, sizeof err), 0);
    for (int i = 0; i < 13 * 15; i++) assert_memory_equal(out + 3 * i, col, 3);
    /* Crop larger than the resized image, and bad sizes. */
    assert_int_equal(img_resize_crop(&s, 15, 16, 16, out, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "does not fit"));
    assert_int_equal(img_resize_crop(&s, 0, 1, 1, out, err, sizeof err), -EINVAL);
    assert_int_equal(img_resize_crop(&s, 15, 0, 1, out, err, sizeof err), -EINVAL);
    free(s.data);
  }
  img_rgb empty = {NULL, 0, 0};
  uint8_t out[3];
  char err[64];
  assert_int_equal(img_resize_crop(&empty, 1, 1, 1, out, err, sizeof err), -EINVAL);
}

/* The crop is centred: a left/right split image resized to its own height
 * and cropped square keeps the boundary at the crop's middle. */
static void test_crop_centred(void **state) {
  (void)state;
  int w = 40, h = 10; /* resized to 20x5 at shorter 5, crop 5x5 from x = 7 */
  img_rgb s = {malloc((size_t)w * h * 3), w, h};
  assert_non_null(s.data);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) memset(s.data + ((size_t)y * w + x) * 3, x < 19 ? 0 : 200, 3);
  uint8_t out[5 * 5 * 3];
  char err[64];
  assert_int_equal(img_resize_crop(&s, 5, 5, 5, out, err, sizeof err), 0);
  /* Full-image column c covers input [2c, 2c+2) with neighbours: columns 7, 8
   * are dark (inputs < 19), column 9 straddles, 10, 11 are bright. */
  assert_true(out[0] == 0 && out[3] == 0);
  assert_true(out[3 * 3] == 200 && out[4 * 3] == 200);
  assert_true(out[2 * 3] > 0 && out[2 * 3] < 200);
  free(s.data);
}

int main(void) {
  test_seed();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resize_vs_naive),
      cmocka_unit_test(test_resize_exact_fp32),
      cmocka_unit_test(test_resize_constant_and_errors),
      cmocka_unit_test(test_crop_centred),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
