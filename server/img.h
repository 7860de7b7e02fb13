/* Image codecs and preprocessing: encoded JPEG/PNG bytes -> RGB8 -> the
 * model's input (resize shorter side, centre crop). See docs/preprocessing.md.
 *
 * Errors: negative errno with a message in err:
 *   -EINVAL  corrupt or truncated data
 *   -ENOTSUP unknown or unsupported format
 *   -E2BIG   over the pixel limit (checked from the header, before decoding)
 *   -ENOMEM  allocation failed */
#ifndef BLOCKFUSE_SERVER_IMG_H
#define BLOCKFUSE_SERVER_IMG_H

#include <stddef.h>
#include <stdint.h>

#define IMG_DEFAULT_MAX_PIXELS (64u * 1024u * 1024u)

/* An RGB8 image, rows packed (stride = 3 * w). Owned: img_free() releases data. */
typedef struct {
  uint8_t *data;
  int w, h;
} img_rgb;

typedef struct {
  uint64_t max_pixels; /* refuse images with w*h above this */
  /* Decoding may downscale by an exact DCT factor (JPEG) as long as the
   * shorter side stays >= min_shorter; 0 disables. */
  int min_shorter;
} img_opts;

/* Sniffs the format from magic bytes, decodes to upright RGB8 (EXIF
 * orientation applied; grey, RGBA and CMYK converted). */
int img_decode(const uint8_t *buf, size_t len, const img_opts *opts, img_rgb *out, char *err,
               size_t errlen);

/* Resize so the shorter side is `shorter` (bilinear, antialiased when
 * shrinking), then centre-crop out_w x out_h into dst (out_h*out_w*3 bytes). */
int img_resize_crop(const img_rgb *src, int shorter, int out_w, int out_h, uint8_t *dst, char *err,
                    size_t errlen);

/* Decode + resize + crop in one call, the path every request takes. */
int img_prepare(const uint8_t *buf, size_t len, uint64_t max_pixels, int shorter, int out_w,
                int out_h, uint8_t *dst, char *err, size_t errlen);

void img_free(img_rgb *img);

#endif
