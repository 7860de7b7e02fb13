/* EXIF orientation: reading tag 0x0112 from a TIFF structure, and applying
 * the eight orientations to a decoded RGB8 image. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/img_internal.h"

/* Reads a 16/32-bit value in the TIFF's byte order. Caller checked bounds. */
static uint32_t rd16(const uint8_t *p, int big) {
  return big ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}
static uint32_t rd32(const uint8_t *p, int big) {
  return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
             : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Only IFD0 is searched: that is where the orientation of the main image
 * lives (IFD1 describes the thumbnail). */
int img_exif_orientation(const uint8_t *tiff, size_t len) {
  if (!tiff || len < 8) return 1;
  int big;
  if (tiff[0] == 'I' && tiff[1] == 'I')
    big = 0;
  else if (tiff[0] == 'M' && tiff[1] == 'M')
    big = 1;
  else
    return 1;
  if (rd16(tiff + 2, big) != 42) return 1;
  uint32_t ifd = rd32(tiff + 4, big);
  if (ifd < 8 || (uint64_t)ifd + 2 > len) return 1;
  uint32_t n = rd16(tiff + ifd, big);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t e = (uint64_t)ifd + 2 + 12ull * i;
    if (e + 12 > len) return 1;
    const uint8_t *p = tiff + e;
    if (rd16(p, big) != 0x0112) continue;
    uint32_t type = rd16(p + 2, big), count = rd32(p + 4, big);
    /* SHORT, count 1: the value sits left-justified in the 4-byte field. */
    if (type != 3 || count != 1) return 1;
    uint32_t v = rd16(p + 8, big);
    return v >= 1 && v <= 8 ? (int)v : 1;
  }
  return 1;
}

/* dst(x, y) = src(sx, sy) for the displayed image; the transforms follow the
 * EXIF 2.3 definition of each orientation value. */
int img_apply_orientation(img_rgb *img, int o, char *err, size_t errlen) {
  if (o <= 1 || o > 8) return 0;
  int w = img->w, h = img->h;
  int swap = o >= 5; /* 5..8 transpose the axes */
  int dw = swap ? h : w, dh = swap ? w : h;
  uint8_t *dst = malloc((size_t)w * h * 3);
  if (!dst) return img_fail(-ENOMEM, err, errlen, "out of memory applying EXIF orientation");
  const uint8_t *src = img->data;
  for (int y = 0; y < dh; y++) {
    uint8_t *d = dst + (size_t)y * dw * 3;
    for (int x = 0; x < dw; x++) {
      int sx, sy;
      switch (o) {
        case 2:
          sx = w - 1 - x, sy = y;
          break; /* mirror horizontal */
        case 3:
          sx = w - 1 - x, sy = h - 1 - y;
          break; /* rotate 180 */
        case 4:
          sx = x, sy = h - 1 - y;
          break; /* mirror vertical */
        case 5:
          sx = y, sy = x;
          break; /* transpose */
        case 6:
          sx = y, sy = h - 1 - x;
          break; /* rotate 90 CW */
        case 7:
          sx = w - 1 - y, sy = h - 1 - x;
          break; /* transverse */
        default:
          sx = w - 1 - y, sy = x;
          break; /* 8: rotate 90 CCW */
      }
      memcpy(d + (size_t)x * 3, src + ((size_t)sy * w + sx) * 3, 3);
    }
  }
  free(img->data);
  img->data = dst;
  img->w = dw;
  img->h = dh;
  return 0;
}
