/* Preprocessing cost per image on the CPU: the base64 decode of the file
 * (what a KServe v2 JSON or /v1 "b64" client's image costs first), JPEG/PNG
 * decode (with DCT scaling) and the resize + centre crop, each timed
 * alone, then img_prepare() as the daemon's decode threads run it. Usage:
 *   img_bench [--iters N] [--shorter S] [--crop C] IMAGE...
 * Prints, per image, the decoded size and the median of 5 rounds of N
 * calls, in ms per call. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/file_read.h"
#include "server/http_codec.h"
#include "server/img.h"
#include "server/loadgen.h"
#include "model/timing.h"

/* Median over 5 rounds of `iters` calls of step `what` (0 decode, 1 resize,
 * 2 prepare, 3 base64 decode of b64), in ms per call; -1 on the first
 * failure (printed). */
static double time_step(int what, const uint8_t *buf, size_t len, const char *b64, size_t b64_len,
                        const img_rgb *dec, int shorter, int crop, int iters, uint8_t *dst,
                        uint8_t *raw) {
  const img_opts opts = {IMG_DEFAULT_MAX_PIXELS, shorter};
  double t[5];
  char err[256];
  for (int r = 0; r < 5; r++) {
    const double t0 = bf_now_s();
    for (int i = 0; i < iters; i++) {
      int rc;
      if (what == 0) {
        img_rgb im;
        if ((rc = img_decode(buf, len, &opts, &im, err, sizeof err)) == 0) img_free(&im);
      } else if (what == 1) {
        rc = img_resize_crop(dec, shorter, crop, crop, dst, err, sizeof err);
      } else if (what == 3) {
        size_t n = 0;
        rc = http_base64_decode(b64, b64_len, raw, &n);
        if (!rc && n != len) rc = -1;
        snprintf(err, sizeof err, "base64 decode failed");
      } else {
        rc = img_prepare(buf, len, IMG_DEFAULT_MAX_PIXELS, shorter, crop, crop, dst, err,
                         sizeof err);
      }
      if (rc) {
        fprintf(stderr, "img_bench: %s\n", err);
        return -1;
      }
    }
    t[r] = (bf_now_s() - t0) * 1e3 / iters;
  }
  qsort(t, 5, sizeof t[0], bf_cmp_double);
  return t[2];
}

int main(int argc, char **argv) {
  int iters = 200, shorter = 256, crop = 224, first = 1;
  for (; first < argc && !strncmp(argv[first], "--", 2); first += 2) {
    if (first + 1 >= argc) break;
    int *dst = !strcmp(argv[first], "--iters")     ? &iters
               : !strcmp(argv[first], "--shorter") ? &shorter
               : !strcmp(argv[first], "--crop")    ? &crop
                                                   : NULL;
    if (!dst || (*dst = atoi(argv[first + 1])) <= 0) {
      fprintf(stderr, "img_bench: bad option %s\n", argv[first]);
      return 2;
    }
  }
  if (first >= argc || crop > shorter) {
    fprintf(stderr, "usage: img_bench [--iters N] [--shorter S] [--crop C<=S] IMAGE...\n");
    return 2;
  }
  uint8_t *dst = malloc((size_t)crop * crop * 3);
  if (!dst) return 1;
  printf("%-28s %11s %10s %10s %10s %10s\n", "image", "decoded", "base64 ms", "decode ms",
         "resize ms", "prepare ms");
  int status = 0;
  for (int a = first; a < argc; a++) {
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[256];
    img_rgb dec = {0};
    const img_opts opts = {IMG_DEFAULT_MAX_PIXELS, shorter};
    if (file_read_all(argv[a], FILE_READ_MAX_IMAGE_BYTES, &buf, &len, err, sizeof err) ||
        img_decode(buf, len, &opts, &dec, err, sizeof err)) {
      fprintf(stderr, "img_bench: %s\n", err);
      free(buf);
      status = 1;
      continue;
    }
    char *b64 = malloc((len + 2) / 3 * 4 + 1); /* as loadgen sends JSON images */
    const size_t b64_len = b64 ? loadgen_base64(buf, len, b64) : 0;
    uint8_t *raw = malloc(http_base64_max(b64_len));
    double tb = -1, td = -1, tr = -1, tp = -1;
    if (b64 && raw) {
      tb = time_step(3, buf, len, b64, b64_len, &dec, shorter, crop, iters, dst, raw);
      td = time_step(0, buf, len, b64, b64_len, &dec, shorter, crop, iters, dst, raw);
      tr = time_step(1, buf, len, b64, b64_len, &dec, shorter, crop, iters, dst, raw);
      tp = time_step(2, buf, len, b64, b64_len, &dec, shorter, crop, iters, dst, raw);
    }
    free(b64);
    free(raw);
    const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
    char size[32];
    snprintf(size, sizeof size, "%dx%d", dec.w, dec.h);
    printf("%-28s %11s %10.3f %10.3f %10.3f %10.3f\n", name, size, tb, td, tr, tp);
    if (tb < 0 || td < 0 || tr < 0 || tp < 0) status = 1;
    img_free(&dec);
    free(buf);
  }
  free(dst);
  return status;
}
