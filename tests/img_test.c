/* Tests for server/img* decoding: generated JPEG/PNG variants (grey, RGBA,
 * 16-bit, palette, CMYK, progressive, interlaced), EXIF orientation, the
 * pixel limit, bad data (truncated, corrupt, fuzzed, unknown, empty), DCT
 * scaling and the real sample photo. The resize is in
 * img_resize_test.c. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <spng.h>
#include <turbojpeg.h>

#include "server/img.h"
#include "tests/test_support.h"

/* --- helpers --------------------------------------------------------------- */

static img_opts opts_full(void) {
  img_opts o = {IMG_DEFAULT_MAX_PIXELS, 0};
  return o;
}

/* JPEG-encodes px (format pf) with TurboJPEG and extra TJFLAG_* flags;
 * returns a malloc'd copy. */
static uint8_t *encode_jpeg_flags(const uint8_t *px, int w, int h, int pf, int subsamp, int quality,
                                  int flags, size_t *len) {
  tjhandle tj = tjInitCompress();
  assert_non_null(tj);
  unsigned char *jpg = NULL;
  unsigned long n = 0;
  int rc = tjCompress2(tj, px, w, 0, h, pf, &jpg, &n, subsamp, quality, TJFLAG_ACCURATEDCT | flags);
  if (rc != 0) fprintf(stderr, "tjCompress2: %s\n", tjGetErrorStr2(tj));
  assert_int_equal(rc, 0);
  uint8_t *copy = malloc(n);
  assert_non_null(copy);
  memcpy(copy, jpg, n);
  tjFree(jpg);
  tjDestroy(tj);
  *len = n;
  return copy;
}

static uint8_t *encode_jpeg(const uint8_t *px, int w, int h, int pf, int subsamp, int quality,
                            size_t *len) {
  return encode_jpeg_flags(px, w, h, pf, subsamp, quality, 0, len);
}

/* PNG-encodes raw PNG-layout pixels (16-bit samples big-endian as in the
 * file) with libspng; plte/trns/exif optional. Returns a malloc'd copy. */
static uint8_t *encode_png(const void *px, size_t pxlen, int w, int h, int color_type, int depth,
                           struct spng_plte *plte, struct spng_trns *trns, struct spng_exif *exif,
                           int interlace, size_t *len) {
  spng_ctx *ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  assert_non_null(ctx);
  assert_int_equal(spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1), 0);
  struct spng_ihdr ihdr = {(uint32_t)w, (uint32_t)h, (uint8_t)depth,    (uint8_t)color_type,
                           0,           0,           (uint8_t)interlace};
  assert_int_equal(spng_set_ihdr(ctx, &ihdr), 0);
  if (plte) assert_int_equal(spng_set_plte(ctx, plte), 0);
  if (trns) assert_int_equal(spng_set_trns(ctx, trns), 0);
  if (exif) assert_int_equal(spng_set_exif(ctx, exif), 0);
  int rc = spng_encode_image(ctx, px, pxlen, SPNG_FMT_PNG, SPNG_ENCODE_FINALIZE);
  if (rc) fprintf(stderr, "spng_encode_image: %s\n", spng_strerror(rc));
  assert_int_equal(rc, 0);
  int e = 0;
  uint8_t *out = spng_get_png_buffer(ctx, len, &e);
  assert_int_equal(e, 0);
  assert_non_null(out);
  spng_ctx_free(ctx);
  return out; /* allocated with malloc by libspng's default allocator */
}

/* A smooth RGB test image: gradients plus a low-frequency ripple, which
 * JPEG reproduces closely. */
static uint8_t *make_smooth(int w, int h) {
  uint8_t *px = malloc((size_t)w * h * 3);
  assert_non_null(px);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = px + ((size_t)y * w + x) * 3;
      p[0] = (uint8_t)(40 + 170 * x / (w > 1 ? w - 1 : 1));
      p[1] = (uint8_t)(40 + 170 * y / (h > 1 ? h - 1 : 1));
      p[2] = (uint8_t)(128 + 60 * sin(x * 0.05) * cos(y * 0.04));
    }
  return px;
}

static int max_abs_diff(const uint8_t *a, const uint8_t *b, size_t n, double *mean) {
  int m = 0;
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    int d = abs((int)a[i] - (int)b[i]);
    if (d > m) m = d;
    s += d;
  }
  if (mean) *mean = n ? s / n : 0;
  return m;
}

/* Returns a copy of a JPEG with an APP1 Exif segment (orientation o, TIFF
 * byte order big or little) inserted right after SOI. */
static uint8_t *jpeg_with_exif(const uint8_t *jpg, size_t len, int o, int big, size_t *outlen) {
  uint8_t tiff[26];
  size_t t = 0;
#define P16(v)                                                       \
  (big ? (tiff[t++] = (uint8_t)((v) >> 8), tiff[t++] = (uint8_t)(v)) \
       : (tiff[t++] = (uint8_t)(v), tiff[t++] = (uint8_t)((v) >> 8)))
#define P32(v) (big ? (P16((v) >> 16), P16((v)&0xFFFF)) : (P16((v)&0xFFFF), P16((v) >> 16)))
  tiff[t++] = big ? 'M' : 'I';
  tiff[t++] = big ? 'M' : 'I';
  P16(42);
  P32(8u);     /* IFD0 offset */
  P16(1);      /* one entry */
  P16(0x0112); /* Orientation */
  P16(3);      /* SHORT */
  P32(1u);     /* count */
  P16((unsigned)o);
  P16(0);  /* padding of the value field */
  P32(0u); /* no next IFD */
#undef P16
#undef P32
  size_t seg = 2 + 6 + t;
  *outlen = len + 2 + seg;
  uint8_t *out = malloc(*outlen);
  assert_non_null(out);
  memcpy(out, jpg, 2);
  uint8_t *p = out + 2;
  *p++ = 0xFF, *p++ = 0xE1, *p++ = (uint8_t)(seg >> 8), *p++ = (uint8_t)seg;
  memcpy(p, "Exif\0\0", 6), p += 6;
  memcpy(p, tiff, t), p += t;
  memcpy(p, jpg + 2, len - 2);
  return out;
}

/* Offset of the first marker m (e.g. 0xC0 = SOF0) in a JPEG, or 0. */
static size_t jpeg_find_marker(const uint8_t *b, size_t len, uint8_t m) {
  for (size_t i = 2; i + 1 < len; i++)
    if (b[i] == 0xFF && b[i + 1] == m) return i;
  return 0;
}

/* CRC-32 as PNG uses it (bitwise; the test only fixes up small chunks). */
static uint32_t png_crc(const uint8_t *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xFFFFFFFFu;
}

static void put_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* --- JPEG decoding ------------------------------------------------------- */

static void test_jpeg_rgb(void **state) {
  (void)state;
  int w = 67, h = 45; /* not multiples of the MCU size */
  uint8_t *src = make_smooth(w, h);
  size_t len;
  uint8_t *jpg = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_444, 98, &len);
  img_opts o = opts_full();
  img_rgb img;
  char err[256] = "";
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  assert_int_equal(img.h, h);
  double mean;
  int m = max_abs_diff(img.data, src, (size_t)w * h * 3, &mean);
  assert_true(m <= 8);
  assert_true(mean < 1.5);
  img_free(&img);
  assert_null(img.data);
  free(jpg);
  /* Progressive, 4:2:0: same picture. */
  jpg = encode_jpeg_flags(src, w, h, TJPF_RGB, TJSAMP_420, 98, TJFLAG_PROGRESSIVE, &len);
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  m = max_abs_diff(img.data, src, (size_t)w * h * 3, &mean);
  assert_true(m <= 16);
  assert_true(mean < 2.0);
  img_free(&img);
  free(jpg);
  free(src);
}

static void test_jpeg_grey(void **state) {
  (void)state;
  int w = 40, h = 33;
  uint8_t *g = malloc((size_t)w * h);
  assert_non_null(g);
  for (int i = 0; i < w * h; i++) g[i] = (uint8_t)(30 + (i % w) * 4);
  size_t len;
  uint8_t *jpg = encode_jpeg(g, w, h, TJPF_GRAY, TJSAMP_GRAY, 98, &len);
  img_opts o = opts_full();
  img_rgb img;
  char err[256];
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  assert_int_equal(img.h, h);
  for (int i = 0; i < w * h; i++) {
    assert_int_equal(img.data[3 * i], img.data[3 * i + 1]);
    assert_int_equal(img.data[3 * i], img.data[3 * i + 2]);
    assert_true(abs((int)img.data[3 * i] - g[i]) <= 6);
  }
  img_free(&img);
  free(jpg);
  free(g);
}

/* TurboJPEG writes CMYK as an Adobe YCCK JPEG and gives the samples back
 * unchanged; Adobe files hold inverted CMYK (255 = no ink), so the decoder
 * must give R = C*K/255 etc. */
static void test_jpeg_cmyk(void **state) {
  (void)state;
  int w = 32, h = 16;
  /* Inverted samples. Left half red: C 255 (no cyan), M 0 Y 0 (full
   * magenta, yellow), K 255 (no black). Right half: grey from K 128 alone. */
  uint8_t *cmyk = malloc((size_t)w * h * 4);
  assert_non_null(cmyk);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      uint8_t *p = cmyk + ((size_t)y * w + x) * 4;
      if (x < w / 2)
        p[0] = 255, p[1] = 0, p[2] = 0, p[3] = 255;
      else
        p[0] = 255, p[1] = 255, p[2] = 255, p[3] = 128;
    }
  size_t len;
  uint8_t *jpg = encode_jpeg(cmyk, w, h, TJPF_CMYK, TJSAMP_444, 100, &len);
  /* The premise: TurboJPEG marked it as an Adobe file. */
  size_t app14 = jpeg_find_marker(jpg, len, 0xEE);
  assert_true(app14 > 0 && app14 + 9 < len && memcmp(jpg + app14 + 4, "Adobe", 5) == 0);
  img_opts o = opts_full();
  img_rgb img;
  char err[256];
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  assert_int_equal(img.h, h);
  const uint8_t *l = img.data + ((size_t)8 * w + 4) * 3, *r = img.data + ((size_t)8 * w + 24) * 3;
  assert_true(l[0] >= 245 && l[1] <= 10 && l[2] <= 10);
  for (int c = 0; c < 3; c++) assert_true(abs((int)r[c] - 128) <= 4);
  img_free(&img);
  free(jpg);
  free(cmyk);
}

/* Expected orientation result built from flips and a transpose, independently
 * of the decoder's per-pixel mapping. */
static uint8_t *orient_ref(const uint8_t *src, int w, int h, int o, int *ow, int *oh) {
  uint8_t *a = malloc((size_t)w * h * 3), *b = malloc((size_t)w * h * 3);
  assert_non_null(a);
  assert_non_null(b);
  memcpy(a, src, (size_t)w * h * 3);
  int cw = w, ch = h;
  int transpose = o >= 5, flip_h = o == 2 || o == 3 || o == 6 || o == 7,
      flip_v = o == 3 || o == 4 || o == 7 || o == 8;
  if (transpose) {
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++)
        memcpy(b + ((size_t)x * ch + y) * 3, a + ((size_t)y * cw + x) * 3, 3);
    int t = cw;
    cw = ch, ch = t;
    memcpy(a, b, (size_t)w * h * 3);
  }
  if (flip_h)
    for (int y = 0; y < ch; y++)
      for (int x = 0; x < cw; x++)
        memcpy(b + ((size_t)y * cw + x) * 3, a + ((size_t)y * cw + cw - 1 - x) * 3, 3);
  else
    memcpy(b, a, (size_t)w * h * 3);
  if (flip_v)
    for (int y = 0; y < ch; y++)
      memcpy(a + (size_t)y * cw * 3, b + (size_t)(ch - 1 - y) * cw * 3, (size_t)cw * 3);
  else
    memcpy(a, b, (size_t)w * h * 3);
  free(b);
  *ow = cw, *oh = ch;
  return a;
}

static void test_jpeg_exif_orientation(void **state) {
  (void)state;
  /* Four solid 16x16 quadrants of different colours in a 48x32 image (the
   * right column is 16 wide, the left 32), so every orientation differs. */
  int w = 48, h = 32;
  static const uint8_t col[4][3] = {{220, 30, 30}, {30, 200, 30}, {30, 30, 220}, {230, 230, 40}};
  uint8_t *src = malloc((size_t)w * h * 3);
  assert_non_null(src);
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      memcpy(src + ((size_t)y * w + x) * 3, col[(y >= 16) * 2 + (x >= 32)], 3);
  size_t len;
  uint8_t *jpg = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_444, 100, &len);
  for (int o = 1; o <= 8; o++) {
    size_t elen;
    uint8_t *ej = jpeg_with_exif(jpg, len, o, o % 2, &elen);
    img_opts op = opts_full();
    img_rgb img;
    char err[256];
    assert_int_equal(img_decode(ej, elen, &op, &img, err, sizeof err), 0);
    int ew, eh;
    uint8_t *ref = orient_ref(src, w, h, o, &ew, &eh);
    assert_int_equal(img.w, ew);
    assert_int_equal(img.h, eh);
    double mean;
    int m = max_abs_diff(img.data, ref, (size_t)ew * eh * 3, &mean);
    if (m > 40 || mean > 3) fprintf(stderr, "orientation %d: max %d mean %.2f\n", o, m, mean);
    assert_true(m <= 40); /* colour edges ring a little */
    assert_true(mean < 3);
    free(ref);
    img_free(&img);
    free(ej);
  }
  /* Out-of-range value, wrong type and a lying entry count all mean "upright". */
  size_t elen;
  uint8_t *ej = jpeg_with_exif(jpg, len, 9, 0, &elen);
  img_opts op = opts_full();
  img_rgb img;
  char err[256];
  assert_int_equal(img_decode(ej, elen, &op, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  img_free(&img);
  ej[2 + 4 + 6 + 8] = 0xFF;  /* IFD0 entry count low byte -> 255 entries, past the end */
  ej[2 + 4 + 6 + 10] = 0x00; /* first tag no longer 0x0112 */
  assert_int_equal(img_decode(ej, elen, &op, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  img_free(&img);
  /* Random garbage in the TIFF body must never crash. */
  for (int it = 0; it < 200; it++) {
    for (int k = 0; k < 4; k++) ej[2 + 4 + 6 + test_rand_below(26)] = (uint8_t)test_rand_below(256);
    int rc = img_decode(ej, elen, &op, &img, err, sizeof err);
    assert_int_equal(rc, 0);
    assert_true((img.w == w && img.h == h) || (img.w == h && img.h == w));
    img_free(&img);
  }
  free(ej);
  free(jpg);
  free(src);
}

/* --- PNG decoding -------------------------------------------------------- */

static void test_png_variants(void **state) {
  (void)state;
  int w = 13, h = 7;
  size_t n = (size_t)w * h;
  uint8_t rgb[13 * 7 * 3], rgba[13 * 7 * 4], grey[13 * 7], ga[13 * 7 * 2], pal[13 * 7];
  uint16_t rgb16[13 * 7 * 3]; /* host-endian, as spng's SPNG_FMT_PNG takes it */
  for (size_t i = 0; i < n; i++) {
    for (int c = 0; c < 3; c++) rgb[3 * i + c] = (uint8_t)test_rand_below(256);
    memcpy(rgba + 4 * i, rgb + 3 * i, 3);
    rgba[4 * i + 3] = (uint8_t)(i == 0 ? 0 : i == 1 ? 255 : test_rand_below(256));
    grey[i] = (uint8_t)test_rand_below(256);
    ga[2 * i] = grey[i], ga[2 * i + 1] = (uint8_t)test_rand_below(256);
    pal[i] = (uint8_t)(i % 5);
    for (int c = 0; c < 3; c++) {
      rgb16[3 * i + c] = (uint16_t)test_rand_below(65536);
    }
  }
  struct spng_plte plte = {0};
  plte.n_entries = 5;
  for (int i = 0; i < 5; i++)
    plte.entries[i].red = (uint8_t)(i * 50), plte.entries[i].green = (uint8_t)(255 - i * 40),
    plte.entries[i].blue = (uint8_t)(i * 7);
  struct {
    const char *name;
    const void *px;
    size_t pxlen;
    int ct, depth;
  } cases[] = {
      {"rgb8", rgb, sizeof rgb, SPNG_COLOR_TYPE_TRUECOLOR, 8},
      {"rgba8", rgba, sizeof rgba, SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, 8},
      {"grey8", grey, sizeof grey, SPNG_COLOR_TYPE_GRAYSCALE, 8},
      {"grey+alpha8", ga, sizeof ga, SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, 8},
      {"palette8", pal, sizeof pal, SPNG_COLOR_TYPE_INDEXED, 8},
      {"rgb16", rgb16, sizeof rgb16, SPNG_COLOR_TYPE_TRUECOLOR, 16},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    size_t len;
    uint8_t *png =
        encode_png(cases[k].px, cases[k].pxlen, w, h, cases[k].ct, cases[k].depth,
                   cases[k].ct == SPNG_COLOR_TYPE_INDEXED ? &plte : NULL, NULL, NULL, 0, &len);
    img_opts o = opts_full();
    img_rgb img;
    char err[256] = "";
    int rc = img_decode(png, len, &o, &img, err, sizeof err);
    if (rc) fprintf(stderr, "%s: %s\n", cases[k].name, err);
    assert_int_equal(rc, 0);
    assert_int_equal(img.w, w);
    assert_int_equal(img.h, h);
    for (size_t i = 0; i < n; i++) {
      for (int c = 0; c < 3; c++) {
        int want;
        switch (k) {
          case 0:
            want = rgb[3 * i + c];
            break;
          case 1: { /* over white */
            int a = rgba[4 * i + 3];
            want = (rgba[4 * i + c] * a + 255 * (255 - a) + 127) / 255;
            break;
          }
          case 2:
            want = grey[i];
            break;
          case 3:
            want = (ga[2 * i] * ga[2 * i + 1] + 255 * (255 - ga[2 * i + 1]) + 127) / 255;
            break;
          case 4:
            want = c == 0   ? plte.entries[pal[i]].red
                   : c == 1 ? plte.entries[pal[i]].green
                            : plte.entries[pal[i]].blue;
            break;
          default:
            want = rgb16[3 * i + c] >> 8; /* high byte */
        }
        if (img.data[3 * i + c] != want)
          fprintf(stderr, "%s pixel %zu ch %d: got %d want %d\n", cases[k].name, i, c,
                  img.data[3 * i + c], want);
        assert_int_equal(img.data[3 * i + c], want);
      }
    }
    if (k == 1) { /* alpha 0 -> white, alpha 255 -> the colour itself */
      for (int c = 0; c < 3; c++) assert_int_equal(img.data[c], 255);
      assert_memory_equal(img.data + 3, rgb + 3, 3);
    }
    img_free(&img);
    free(png);
  }
}

/* Palette transparency (tRNS) and Adam7 interlacing. */
static void test_png_trns_interlaced(void **state) {
  (void)state;
  int w = 11, h = 9;
  uint8_t pal[11 * 9], rgb[11 * 9 * 3];
  for (int i = 0; i < w * h; i++) pal[i] = (uint8_t)(i % 3);
  for (int i = 0; i < w * h * 3; i++) rgb[i] = (uint8_t)test_rand_below(256);
  struct spng_plte plte = {0};
  plte.n_entries = 3;
  plte.entries[0].red = 10, plte.entries[1].green = 200, plte.entries[2].blue = 90;
  struct spng_trns trns = {0};
  trns.n_type3_entries = 2;
  trns.type3_alpha[0] = 0, trns.type3_alpha[1] = 100;
  size_t len;
  uint8_t *png =
      encode_png(pal, sizeof pal, w, h, SPNG_COLOR_TYPE_INDEXED, 8, &plte, &trns, NULL, 0, &len);
  img_opts o = opts_full();
  img_rgb img;
  char err[256] = "";
  assert_int_equal(img_decode(png, len, &o, &img, err, sizeof err), 0);
  uint8_t want[3][3] = {{255, 255, 255}, /* alpha 0 */
                        {(255 * 155 + 127) / 255, (200 * 100 + 255 * 155 + 127) / 255,
                         (255 * 155 + 127) / 255}, /* alpha 100 */
                        {0, 0, 90}};               /* opaque */
  for (int i = 0; i < w * h; i++) assert_memory_equal(img.data + 3 * i, want[i % 3], 3);
  img_free(&img);
  free(png);
  png = encode_png(rgb, sizeof rgb, w, h, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, NULL, NULL, 1, &len);
  assert_int_equal(png[28], 1); /* IHDR says Adam7 */
  assert_int_equal(img_decode(png, len, &o, &img, err, sizeof err), 0);
  assert_memory_equal(img.data, rgb, sizeof rgb);
  img_free(&img);
  free(png);
}

static void test_png_exif_orientation(void **state) {
  (void)state;
  int w = 5, h = 3;
  uint8_t px[5 * 3 * 3];
  for (int i = 0; i < w * h * 3; i++) px[i] = (uint8_t)(i * 5);
  static uint8_t tiff[] = {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0,
                           3,   0,   0, 0,  1, 0, 6, 0, 0, 0, 0,    0,    0};
  struct spng_exif exif = {sizeof tiff, (char *)tiff};
  size_t len;
  uint8_t *png =
      encode_png(px, sizeof px, w, h, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, NULL, &exif, 0, &len);
  img_opts o = opts_full();
  img_rgb img;
  char err[256];
  assert_int_equal(img_decode(png, len, &o, &img, err, sizeof err), 0);
  int ew, eh;
  uint8_t *ref = orient_ref(px, w, h, 6, &ew, &eh);
  assert_int_equal(img.w, 3);
  assert_int_equal(img.h, 5);
  assert_memory_equal(img.data, ref, sizeof px);
  free(ref);
  img_free(&img);
  free(png);
}

/* --- limits and bad data ------------------------------------------------- */

static void test_pixel_limit(void **state) {
  (void)state;
  int w = 64, h = 48;
  uint8_t *src = make_smooth(w, h);
  size_t len;
  uint8_t *jpg = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_420, 90, &len);
  img_rgb img;
  char err[256] = "";
  /* Exactly at the limit decodes; one pixel less refuses. */
  img_opts o = {(uint64_t)w * h, 0};
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  img_free(&img);
  o.max_pixels--;
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), -E2BIG);
  assert_non_null(strstr(err, "limit"));
  assert_null(img.data);
  /* A 60000x60000 header (3.6 Gpixel) is refused from the header alone. */
  size_t sof = jpeg_find_marker(jpg, len, 0xC0);
  assert_true(sof > 0);
  jpg[sof + 5] = 0xEA, jpg[sof + 6] = 0x60; /* height */
  jpg[sof + 7] = 0xEA, jpg[sof + 8] = 0x60; /* width */
  o.max_pixels = IMG_DEFAULT_MAX_PIXELS;
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), -E2BIG);
  uint8_t dst[8 * 8 * 3];
  assert_int_equal(img_prepare(jpg, len, IMG_DEFAULT_MAX_PIXELS, 8, 8, 8, dst, err, sizeof err),
                   -E2BIG);
  /* Same for PNG: patch IHDR to 100000x100000 and fix its CRC. */
  uint8_t px[4 * 4 * 3] = {0};
  size_t plen;
  uint8_t *png =
      encode_png(px, sizeof px, 4, 4, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, NULL, NULL, 0, &plen);
  assert_memory_equal(png + 12, "IHDR", 4);
  put_be32(png + 16, 100000), put_be32(png + 20, 100000);
  put_be32(png + 29, png_crc(png + 12, 17));
  assert_int_equal(img_decode(png, plen, &o, &img, err, sizeof err), -E2BIG);
  free(png);
  free(jpg);
  free(src);
}

static void test_truncated_and_corrupt(void **state) {
  (void)state;
  int w = 96, h = 64;
  uint8_t *src = make_smooth(w, h);
  size_t len, plen;
  uint8_t *jpg = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_420, 90, &len);
  uint8_t *png = encode_png(src, (size_t)w * h * 3, w, h, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, NULL,
                            NULL, 0, &plen);
  img_opts o = opts_full();
  img_rgb img;
  char err[256];
  /* Cut inside the entropy-coded data, and inside the header. */
  size_t cuts[] = {len / 2, len - 20, 40};
  for (size_t i = 0; i < 3; i++) {
    err[0] = 0;
    assert_int_equal(img_decode(jpg, cuts[i], &o, &img, err, sizeof err), -EINVAL);
    assert_true(strlen(err) > 0);
    assert_null(img.data);
  }
  size_t pcuts[] = {plen / 2, plen - 30, 20};
  for (size_t i = 0; i < 3; i++) {
    err[0] = 0;
    assert_int_equal(img_decode(png, pcuts[i], &o, &img, err, sizeof err), -EINVAL);
    assert_true(strlen(err) > 0);
  }
  /* A flipped bit in PNG image data fails the chunk CRC. */
  uint8_t *bad = malloc(plen);
  assert_non_null(bad);
  memcpy(bad, png, plen);
  bad[plen / 2] ^= 0x10;
  assert_int_equal(img_decode(bad, plen, &o, &img, err, sizeof err), -EINVAL);
  free(bad);
  /* A JPEG whose SOF claims 0 components. */
  bad = malloc(len);
  assert_non_null(bad);
  memcpy(bad, jpg, len);
  size_t sof = jpeg_find_marker(bad, len, 0xC0);
  bad[sof + 9] = 0;
  assert_int_equal(img_decode(bad, len, &o, &img, err, sizeof err), -EINVAL);
  free(bad);
  free(png);
  free(jpg);
  free(src);
}

static void test_unknown_and_empty(void **state) {
  (void)state;
  img_opts o = opts_full();
  img_rgb img;
  char err[256];
  const uint8_t gif[] = "GIF89a\x01\x00\x01\x00\x00\x00\x00;";
  assert_int_equal(img_decode(gif, sizeof gif, &o, &img, err, sizeof err), -ENOTSUP);
  assert_non_null(strstr(err, "unknown image format"));
  const uint8_t one[] = {0xFF};
  assert_int_equal(img_decode(one, 1, &o, &img, err, sizeof err), -ENOTSUP);
  assert_int_equal(img_decode(one, 0, &o, &img, err, sizeof err), -EINVAL);
  assert_int_equal(img_decode(NULL, 10, &o, &img, err, sizeof err), -EINVAL);
  /* Bare signatures with nothing after them are corrupt, not unknown. */
  const uint8_t soi[] = {0xFF, 0xD8, 0xFF};
  assert_int_equal(img_decode(soi, sizeof soi, &o, &img, err, sizeof err), -EINVAL);
  const uint8_t sig[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  assert_int_equal(img_decode(sig, sizeof sig, &o, &img, err, sizeof err), -EINVAL);
  uint8_t dst[3];
  assert_int_equal(
      img_prepare(gif, sizeof gif, IMG_DEFAULT_MAX_PIXELS, 1, 1, 1, dst, err, sizeof err),
      -ENOTSUP);
  /* NULL err buffer is allowed. */
  assert_int_equal(img_decode(gif, sizeof gif, &o, &img, NULL, 0), -ENOTSUP);
}

/* Random truncations and bit flips of valid files (baseline, EXIF and
 * progressive JPEG, PNG): every call must return a
 * defined status, and success must come with a sane image. */
static void test_fuzz(void **state) {
  (void)state;
  int w = 40, h = 30;
  uint8_t *src = make_smooth(w, h);
  size_t len[4];
  uint8_t *file[4];
  file[0] = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_420, 85, &len[0]);
  file[1] = encode_png(src, (size_t)w * h * 3, w, h, SPNG_COLOR_TYPE_TRUECOLOR, 8, NULL, NULL, NULL,
                       0, &len[1]);
  uint8_t *j = file[0];
  file[2] = jpeg_with_exif(j, len[0], 6, 1, &len[2]);
  file[3] = encode_jpeg_flags(src, w, h, TJPF_RGB, TJSAMP_444, 85, TJFLAG_PROGRESSIVE, &len[3]);
  /* BLOCKFUSE_IMG_FUZZ_ITERS raises the count for a longer soak. */
  const char *env = getenv("BLOCKFUSE_IMG_FUZZ_ITERS");
  int iters = env && atoi(env) > 0 ? atoi(env) : 300;
  int counts[4] = {0};
  for (int f = 0; f < 4; f++) {
    uint8_t *buf = malloc(len[f]);
    assert_non_null(buf);
    for (int it = 0; it < iters; it++) {
      memcpy(buf, file[f], len[f]);
      size_t n = len[f];
      int mode = test_rand_below(3);
      if (mode != 1) n = 1 + (size_t)test_rand_below((int)len[f]); /* truncate */
      if (mode != 0)
        for (int k = 1 + test_rand_below(4); k > 0; k--)
          buf[test_rand_below((int)n)] ^= (uint8_t)(1u << test_rand_below(8));
      img_opts o = {IMG_DEFAULT_MAX_PIXELS, test_rand_below(2) ? 0 : 8};
      img_rgb img;
      char err[256];
      int rc = img_decode(buf, n, &o, &img, err, sizeof err);
      assert_true(rc == 0 || rc == -EINVAL || rc == -ENOTSUP || rc == -E2BIG);
      if (rc == 0) {
        assert_non_null(img.data);
        assert_true(img.w > 0 && img.h > 0 && (uint64_t)img.w * img.h <= IMG_DEFAULT_MAX_PIXELS);
        counts[0]++;
      } else {
        assert_null(img.data);
        counts[rc == -EINVAL ? 1 : rc == -ENOTSUP ? 2 : 3]++;
      }
      img_free(&img);
    }
    free(buf);
    free(file[f]);
  }
  fprintf(stderr, "fuzz: %d ok, %d EINVAL, %d ENOTSUP, %d E2BIG\n", counts[0], counts[1], counts[2],
          counts[3]);
  assert_true(counts[1] > 0);
  free(src);
}

/* --- DCT scaling and the real photo -------------------------------------- */

static void test_dct_scaling(void **state) {
  (void)state;
  int w = 1600, h = 1200;
  uint8_t *src = make_smooth(w, h);
  size_t len;
  uint8_t *jpg = encode_jpeg(src, w, h, TJPF_RGB, TJSAMP_420, 90, &len);
  img_rgb img;
  char err[256];
  /* 1/8 would give 150 < 224, so 1/4 (400x300) is the smallest that fits. */
  img_opts o = {IMG_DEFAULT_MAX_PIXELS, 224};
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, 400);
  assert_int_equal(img.h, 300);
  img_free(&img);
  o.min_shorter = 150; /* 1/8 fits exactly */
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, 200);
  assert_int_equal(img.h, 150);
  img_free(&img);
  o.min_shorter = 1201; /* never upscale in the decoder */
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, w);
  img_free(&img);
  /* The DCT-scaled path stays close to full decode + resize. */
  uint8_t a[224 * 224 * 3], b[224 * 224 * 3];
  assert_int_equal(img_prepare(jpg, len, IMG_DEFAULT_MAX_PIXELS, 224, 224, 224, a, err, sizeof err),
                   0);
  o.min_shorter = 0;
  assert_int_equal(img_decode(jpg, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img_resize_crop(&img, 224, 224, 224, b, err, sizeof err), 0);
  img_free(&img);
  double mean;
  int m = max_abs_diff(a, b, sizeof a, &mean);
  fprintf(stderr, "DCT-scaled vs full decode: max %d mean %.3f\n", m, mean);
  assert_true(mean < 1.0);
  free(jpg);
  free(src);
}

static void test_sample_photo(void **state) {
  (void)state;
  size_t len;
  uint8_t *buf = test_read_file(test_runfile("efficientnet_b0_tfjs/panda.jpg"), &len);
  assert_non_null(buf);
  img_opts o = opts_full();
  img_rgb img;
  char err[256];
  /* Its EXIF says orientation 0 (invalid): upright. */
  assert_int_equal(img_decode(buf, len, &o, &img, err, sizeof err), 0);
  assert_int_equal(img.w, 696);
  assert_int_equal(img.h, 613);
  img_free(&img);
  uint8_t out[224 * 224 * 3];
  assert_int_equal(
      img_prepare(buf, len, IMG_DEFAULT_MAX_PIXELS, 256, 224, 224, out, err, sizeof err), 0);
  /* A real photo: not a constant image. */
  int lo = 255, hi = 0;
  for (size_t i = 0; i < sizeof out; i++)
    lo = out[i] < lo ? out[i] : lo, hi = out[i] > hi ? out[i] : hi;
  assert_true(hi - lo > 100);
  free(buf);
}

int main(void) {
  test_seed();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jpeg_rgb),
      cmocka_unit_test(test_jpeg_grey),
      cmocka_unit_test(test_jpeg_cmyk),
      cmocka_unit_test(test_jpeg_exif_orientation),
      cmocka_unit_test(test_png_variants),
      cmocka_unit_test(test_png_trns_interlaced),
      cmocka_unit_test(test_png_exif_orientation),
      cmocka_unit_test(test_pixel_limit),
      cmocka_unit_test(test_truncated_and_corrupt),
      cmocka_unit_test(test_unknown_and_empty),
      cmocka_unit_test(test_fuzz),
      cmocka_unit_test(test_dct_scaling),
      cmocka_unit_test(test_sample_photo),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
