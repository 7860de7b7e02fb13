/* Image module entry points: format sniffing, orientation, and the one-call
 * decode + resize + crop that every request goes through. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/img_internal.h"

/* Contract in img_internal.h: formats the message, passes rc through. */
int img_fail(int rc, char *err, size_t errlen, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* Formats are told apart by their signatures alone, never by file name or
 * content type: JPEG starts FF D8 FF, PNG with its 8-byte signature. */
int img_decode(const uint8_t *buf, size_t len, const img_opts *opts, img_rgb *out, char *err,
               size_t errlen) {
  static const uint8_t png_sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (!out) return img_fail(-EINVAL, err, errlen, "no output image");
  out->data = NULL;
  out->w = out->h = 0;
  if (!buf || len == 0) return img_fail(-EINVAL, err, errlen, "empty image data");
  img_opts def = {IMG_DEFAULT_MAX_PIXELS, 0};
  if (!opts) opts = &def;
  int orientation = 1, rc;
  if (len >= 3 && buf[0] == 0xFF && buf[1] == 0xD8 && buf[2] == 0xFF)
    rc = img_jpeg_decode(buf, len, opts, out, &orientation, err, errlen);
  else if (len >= 8 && memcmp(buf, png_sig, 8) == 0)
    rc = img_png_decode(buf, len, opts, out, &orientation, err, errlen);
  else
    return img_fail(-ENOTSUP, err, errlen,
                    "unknown image format (first bytes %02x %02x %02x %02x); JPEG and PNG "
                    "are supported",
                    buf[0], len > 1 ? buf[1] : 0, len > 2 ? buf[2] : 0, len > 3 ? buf[3] : 0);
  if (rc == 0 && (rc = img_apply_orientation(out, orientation, err, errlen)) != 0) img_free(out);
  return rc;
}

/* The DCT scaling target is the resize target, so big JPEGs are decoded
 * just large enough for the resize. */
int img_prepare(const uint8_t *buf, size_t len, uint64_t max_pixels, int shorter, int out_w,
                int out_h, uint8_t *dst, char *err, size_t errlen) {
  img_opts opts = {max_pixels, shorter};
  img_rgb img;
  int rc = img_decode(buf, len, &opts, &img, err, errlen);
  if (rc != 0) return rc;
  rc = img_resize_crop(&img, shorter, out_w, out_h, dst, err, errlen);
  img_free(&img);
  return rc;
}

/* Safe on an already freed or never filled image. */
void img_free(img_rgb *img) {
  if (!img) return;
  free(img->data);
  img->data = NULL;
  img->w = img->h = 0;
}
