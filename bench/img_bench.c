/* Preprocessing cost per image on the CPU: JPEG/PNG decode (with DCT
 * scaling) and the resize + centre crop, each timed alone, then
 * img_prepare() as the daemon's decode threads run it. Usage:
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
#include "server/img.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median over 5 rounds of `iters` calls of step `what` (0 decode, 1 resize,
 * 2 prepare), in ms per call; -1 on the first failure (printed). */
static double time_step(int what, const uint8_t *buf, size_t len, const img_rgb *dec, int shorter,
                        int crop, int iters, uint8_t *dst) {
  const img_opts opts = {IMG_DEFAULT_MAX_PIXELS, shorter};
  double t[5];
  char err[256];
  for (int r = 0; r < 5; r++) {
    const double t0 = now_s();
    for (int i = 0; i < iters; i++) {
      int rc;
      if (what == 0) {
        img_rgb im;
        if ((rc = img_decode(buf, len, &opts, &im, err, sizeof err)) == 0) img_free(&im);
      } else if (what == 1) {
        rc = img_resize_crop(dec, shorter, crop, crop, dst, err, sizeof err);
      } else {
        rc = img_prepare(buf, len, IMG_DEFAULT_MAX_PIXELS, shorter, crop, crop, dst, err,
                         sizeof err);
      }
      if (rc) {
        fprintf(stderr, "img_bench: %s\n", err);
        return -1;
      }
    }
    t[r] = (now_s() - t0) * 1e3 / iters;
  }
  qsort(t, 5, sizeof t[0], cmp_double);
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
  printf("%-28s %11s %10s %10s %10s\n", "image", "decoded", "decode ms", "resize ms", "prepare ms");
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
    const double td = time_step(0, buf, len, &dec, shorter, crop, iters, dst);
    const double tr = time_step(1, buf, len, &dec, shorter, crop, iters, dst);
    const double tp = time_step(2, buf, len, &dec, shorter, crop, iters, dst);
    const char *name = strrchr(argv[a], '/') ? strrchr(argv[a], '/') + 1 : argv[a];
    char size[32];
    snprintf(size, sizeof size, "%dx%d", dec.w, dec.h);
    printf("%-28s %11s %10.3f %10.3f %10.3f\n", name, size, td, tr, tp);
    if (td < 0 || tr < 0 || tp < 0) status = 1;
    img_free(&dec);
    free(buf);
  }
  free(dst);
  return status;
}
