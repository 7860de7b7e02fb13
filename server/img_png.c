/* PNG decoding through libspng 0.7: every colour type and bit depth to RGBA8
 * (tRNS applied), then alpha composited over white into RGB8. */
#include <errno.h>
#include <spng.h>
#include <stdlib.h>

#include "server/img_internal.h"

/* Ancillary chunks (text, ICC, EXIF) may use at most this much memory, so a
 * small file cannot make the decoder buffer gigabytes of metadata. */
#define IMG_PNG_CHUNK_LIMIT (16u << 20)

/* RGBA8 -> RGB8 in place: each pixel blended over opaque white,
 * v = round((c * a + 255 * (255 - a)) / 255). */
static void png_composite_white(uint8_t *px, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t a = px[4 * i + 3], bg = 255u * (255u - a);
    for (int c = 0; c < 3; c++) px[3 * i + c] = (uint8_t)((px[4 * i + c] * a + bg + 127) / 255);
  }
}

/* Header and limit first, then the whole image as RGBA8; contract in
 * img_internal.h. */
int img_png_decode(const uint8_t *buf, size_t len, const img_opts *opts, img_rgb *out,
                   int *orientation, char *err, size_t errlen) {
  spng_ctx *ctx = spng_ctx_new(0);
  if (!ctx) return img_fail(-ENOMEM, err, errlen, "cannot create a PNG decoder");
  int rc = 0, e;
  uint8_t *px = NULL;
  struct spng_ihdr ihdr;
  /* A bad CRC in a critical chunk is an error; a damaged ancillary chunk
   * (text, ICC...) is dropped, as libpng does. */
  if ((e = spng_set_crc_action(ctx, SPNG_CRC_ERROR, SPNG_CRC_DISCARD)) != 0 ||
      (e = spng_set_chunk_limits(ctx, IMG_PNG_CHUNK_LIMIT, IMG_PNG_CHUNK_LIMIT)) != 0 ||
      (e = spng_set_png_buffer(ctx, buf, len)) != 0) {
    rc = img_fail(-EINVAL, err, errlen, "PNG decoder setup failed: %s", spng_strerror(e));
    goto done;
  }
  if ((e = spng_get_ihdr(ctx, &ihdr)) != 0) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt PNG header: %s", spng_strerror(e));
    goto done;
  }
  uint64_t npix = (uint64_t)ihdr.width * ihdr.height;
  if (npix > opts->max_pixels) {
    rc = img_fail(-E2BIG, err, errlen, "PNG is %ux%u = %llu pixels, over the limit of %llu",
                  ihdr.width, ihdr.height, (unsigned long long)npix,
                  (unsigned long long)opts->max_pixels);
    goto done;
  }
  /* INT_MAX-sized sides cannot pass a sane max_pixels, but img_rgb holds int. */
  if (ihdr.width == 0 || ihdr.height == 0 || ihdr.width > (1u << 30) || ihdr.height > (1u << 30)) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt PNG header: %ux%u", ihdr.width, ihdr.height);
    goto done;
  }
  size_t size = 0;
  if ((e = spng_decoded_image_size(ctx, SPNG_FMT_RGBA8, &size)) != 0 || size != npix * 4) {
    rc = img_fail(-EINVAL, err, errlen, "unsupported PNG layout: %s", spng_strerror(e));
    goto done;
  }
  px = malloc(size);
  if (!px) {
    rc = img_fail(-ENOMEM, err, errlen, "out of memory for a %ux%u PNG", ihdr.width, ihdr.height);
    goto done;
  }
  if ((e = spng_decode_image(ctx, px, size, SPNG_FMT_RGBA8, SPNG_DECODE_TRNS)) != 0) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt or truncated PNG: %s", spng_strerror(e));
    goto done;
  }
  /* Reading the eXIf chunk also reads on to IEND, which verifies the CRC of
   * the last IDAT: zlib may have produced every row from corrupted data. */
  struct spng_exif exif;
  e = spng_get_exif(ctx, &exif);
  if (e != 0 && e != SPNG_ECHUNKAVAIL) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt or truncated PNG: %s", spng_strerror(e));
    goto done;
  }
  *orientation = e == 0 ? img_exif_orientation((const uint8_t *)exif.data, exif.length) : 1;
  png_composite_white(px, (size_t)npix);
  uint8_t *shrunk = realloc(px, (size_t)npix * 3);
  if (shrunk) px = shrunk;
  out->data = px;
  out->w = (int)ihdr.width;
  out->h = (int)ihdr.height;
  px = NULL;
done:
  free(px);
  spng_ctx_free(ctx);
  return rc;
}
