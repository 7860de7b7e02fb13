/* Internal pieces of the image module, shared between img*.c files only.
 * Nothing outside server/img*.c includes this. */
#ifndef BLOCKFUSE_SERVER_IMG_INTERNAL_H
#define BLOCKFUSE_SERVER_IMG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "server/img.h"

/* printf into err (if err && errlen), always NUL-terminated; returns rc so a
 * caller can write `return img_fail(-EINVAL, err, errlen, "...")`. */
int img_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Decoders: fill out->data/w/h as stored (orientation NOT applied) and set
 * *orientation to the EXIF orientation 1..8 found in the file (1 if none).
 * On error out is left empty. */
int img_jpeg_decode(const uint8_t *buf, size_t len, const img_opts *opts, img_rgb *out,
                    int *orientation, char *err, size_t errlen);
int img_png_decode(const uint8_t *buf, size_t len, const img_opts *opts, img_rgb *out,
                   int *orientation, char *err, size_t errlen);

/* Orientation tag (0x0112) of a TIFF structure (the body of a JPEG APP1
 * "Exif\0\0" segment or a PNG eXIf chunk). Returns 1..8, or 1 when the data
 * is absent, malformed or the value out of range. Never reads outside
 * tiff[0..len). */
int img_exif_orientation(const uint8_t *tiff, size_t len);

/* Applies EXIF orientation o (1..8) to img in place (may reallocate and swap
 * w/h). Returns 0 or -ENOMEM. */
int img_apply_orientation(img_rgb *img, int o, char *err, size_t errlen);

#endif
