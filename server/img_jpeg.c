/* JPEG decoding through TurboJPEG (libjpeg-turbo 2.1): header check against
 * the pixel limit, DCT-domain downscaling, grey/RGB/CMYK/YCCK to RGB8, and
 * the APP1 Exif / APP14 Adobe markers that TurboJPEG does not expose. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "server/img_internal.h"

/* What we need from the marker segments before the first scan. */
typedef struct {
  int orientation; /* EXIF orientation 1..8 */
  int adobe;       /* an APP14 "Adobe" segment is present */
} jpeg_markers;

/* Walks the marker segments from SOI up to SOS, bounds-checking each length.
 * Malformed structure simply ends the walk: TurboJPEG reports the real error. */
static void jpeg_scan_markers(const uint8_t *buf, size_t len, jpeg_markers *m) {
  m->orientation = 1;
  m->adobe = 0;
  int have_exif = 0;
  size_t pos = 2; /* after SOI */
  while (pos + 4 <= len) {
    if (buf[pos] != 0xFF) return;
    uint8_t marker = buf[pos + 1];
    if (marker == 0xFF) { /* fill byte */
      pos++;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) { /* no length field */
      pos += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return; /* SOS or EOI: headers are over */
    size_t seglen = (size_t)buf[pos + 2] << 8 | buf[pos + 3];
    if (seglen < 2 || seglen > len - pos - 2) return;
    const uint8_t *body = buf + pos + 4;
    size_t bodylen = seglen - 2;
    if (marker == 0xE1 && !have_exif && bodylen >= 6 && memcmp(body, "Exif\0\0", 6) == 0) {
      m->orientation = img_exif_orientation(body + 6, bodylen - 6);
      have_exif = 1;
    } else if (marker == 0xEE && bodylen >= 5 && memcmp(body, "Adobe", 5) == 0) {
      m->adobe = 1;
    }
    pos += 2 + seglen;
  }
}

/* The smallest TurboJPEG scaling factor (<= 1) whose shorter output side is
 * still >= min_shorter; 1/1 when min_shorter <= 0 or nothing smaller fits. */
static tjscalingfactor jpeg_pick_scale(int w, int h, int min_shorter) {
  tjscalingfactor best = {1, 1};
  if (min_shorter <= 0) return best;
  int n = 0;
  tjscalingfactor *sf = tjGetScalingFactors(&n);
  if (!sf) return best;
  uint64_t best_area = (uint64_t)w * h;
  for (int i = 0; i < n; i++) {
    if (sf[i].num <= 0 || sf[i].num > sf[i].denom) continue; /* never upscale */
    int sw = TJSCALED(w, sf[i]), sh = TJSCALED(h, sf[i]);
    uint64_t area = (uint64_t)sw * sh;
    if ((sw < sh ? sw : sh) >= min_shorter && area < best_area) {
      best = sf[i];
      best_area = area;
    }
  }
  return best;
}

/* CMYK to RGB, in place (3 bytes out per 4 in, so the forward walk never
 * overwrites unread input). Adobe-written files store inverted values
 * (255 = no ink); others store ink amounts. R = (1-C)(1-K) etc. */
static void jpeg_cmyk_to_rgb(uint8_t *px, size_t n, int inverted) {
  for (size_t i = 0; i < n; i++) {
    uint32_t c = px[4 * i], m = px[4 * i + 1], y = px[4 * i + 2], k = px[4 * i + 3];
    if (!inverted) c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
    px[3 * i] = (uint8_t)((c * k + 127) / 255);
    px[3 * i + 1] = (uint8_t)((m * k + 127) / 255);
    px[3 * i + 2] = (uint8_t)((y * k + 127) / 255);
  }
}

/* Header and limit first, then one TurboJPEG decode at the chosen scale;
 * contract in img_internal.h. */
int img_jpeg_decode(const uint8_t *buf, size_t len, const img_opts *opts, img_rgb *out,
                    int *orientation, char *err, size_t errlen) {
  jpeg_markers mk;
  jpeg_scan_markers(buf, len, &mk);
  tjhandle tj = tjInitDecompress();
  if (!tj) return img_fail(-ENOMEM, err, errlen, "cannot create a JPEG decoder");
  int rc = 0, w = 0, h = 0, subsamp = 0, cs = 0;
  uint8_t *px = NULL;
  if (tjDecompressHeader3(tj, buf, (unsigned long)len, &w, &h, &subsamp, &cs) != 0) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt JPEG header: %s", tjGetErrorStr2(tj));
    goto done;
  }
  if (w <= 0 || h <= 0) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt JPEG header: %dx%d", w, h);
    goto done;
  }
  if ((uint64_t)w * (uint64_t)h > opts->max_pixels) {
    rc = img_fail(-E2BIG, err, errlen, "JPEG is %dx%d = %llu pixels, over the limit of %llu", w, h,
                  (unsigned long long)w * h, (unsigned long long)opts->max_pixels);
    goto done;
  }
  tjscalingfactor sf = jpeg_pick_scale(w, h, opts->min_shorter);
  int sw = TJSCALED(w, sf), sh = TJSCALED(h, sf);
  int cmyk = cs == TJCS_CMYK || cs == TJCS_YCCK;
  int pf = cmyk ? TJPF_CMYK : TJPF_RGB;
  px = malloc((size_t)sw * sh * tjPixelSize[pf]);
  if (!px) {
    rc = img_fail(-ENOMEM, err, errlen, "out of memory for a %dx%d JPEG", sw, sh);
    goto done;
  }
  /* Any warning (truncation, corrupt entropy data) stops the decode: a
   * partly grey image must not be classified as if it were whole.
   * LIMITSCANS refuses progressive files with absurd scan counts. */
  int flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS;
  if (tjDecompress2(tj, buf, (unsigned long)len, px, sw, sw * tjPixelSize[pf], sh, pf, flags) !=
      0) {
    rc = img_fail(-EINVAL, err, errlen, "corrupt or truncated JPEG: %s", tjGetErrorStr2(tj));
    goto done;
  }
  if (cmyk) {
    jpeg_cmyk_to_rgb(px, (size_t)sw * sh, mk.adobe);
    uint8_t *shrunk = realloc(px, (size_t)sw * sh * 3);
    if (shrunk) px = shrunk;
  }
  out->data = px;
  out->w = sw;
  out->h = sh;
  *orientation = mk.orientation;
  px = NULL;
done:
  free(px);
  tjDestroy(tj);
  return rc;
}
