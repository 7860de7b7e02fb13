#define _GNU_SOURCE
#include "server/http_zip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

int http_zip_coding(const char *v) {
  if (!v || !*v || strcasecmp(v, "identity") == 0) return HTTP_ENC_IDENTITY;
  if (strcasecmp(v, "gzip") == 0 || strcasecmp(v, "x-gzip") == 0) return HTTP_ENC_GZIP;
  if (strcasecmp(v, "deflate") == 0) return HTTP_ENC_DEFLATE;
  return -1;
}

int http_zip_accepts_gzip(const char *v) {
  if (!v) return 0;
  for (const char *p = v; *p;) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    const size_t n = strcspn(p, ",;");
    size_t tn = n;
    while (tn && (p[tn - 1] == ' ' || p[tn - 1] == '\t')) tn--;
    const int match = (tn == 4 && strncasecmp(p, "gzip", 4) == 0) || (tn == 1 && p[0] == '*');
    p += n;
    double q = 1.0;
    while (*p == ';') { /* parameters: only q matters */
      p++;
      while (*p == ' ') p++;
      if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') q = strtod(p + 2, NULL);
      p += strcspn(p, ",;");
    }
    if (match && q > 0) return 1;
  }
  return 0;
}

int http_zip_inflate(int coding, const uint8_t *in, size_t len, size_t max, uint8_t **out,
                     size_t *out_len, char *err, size_t errlen) {
  const char *name = coding == HTTP_ENC_GZIP ? "gzip" : "deflate";
  z_stream z;
  memset(&z, 0, sizeof z);
  /* windowBits 15 + 16: the gzip wrapper; 15: the zlib wrapper, which is
   * what HTTP's "deflate" means */
  if (len > UINT32_MAX || inflateInit2(&z, coding == HTTP_ENC_GZIP ? 15 + 16 : 15) != Z_OK) {
    snprintf(err, errlen, "cannot inflate a %zu-byte %s body", len, name);
    return len > UINT32_MAX ? -EFBIG : -ENOMEM;
  }
  /* one byte past max is room enough to know the body is too large */
  const size_t limit = max + 1;
  size_t cap = len * 4 > 4096 ? len * 4 : 4096;
  if (cap > limit) cap = limit;
  uint8_t *buf = malloc(cap);
  int rc = buf ? 0 : -ENOMEM, zr = Z_OK;
  size_t n = 0;
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  while (rc == 0) {
    if (n == cap) {
      if (cap == limit) {
        rc = -EFBIG;
        break;
      }
      const size_t ncap = cap > limit / 2 ? limit : cap * 2;
      uint8_t *b = realloc(buf, ncap);
      if (!b) {
        rc = -ENOMEM;
        break;
      }
      buf = b, cap = ncap;
    }
    const size_t room = cap - n > UINT32_MAX ? UINT32_MAX : cap - n;
    z.next_out = buf + n;
    z.avail_out = (uInt)room;
    zr = inflate(&z, Z_NO_FLUSH);
    n += room - z.avail_out;
    if (zr == Z_STREAM_END) break;
    if (zr == Z_MEM_ERROR)
      rc = -ENOMEM;
    else if (zr == Z_BUF_ERROR ? z.avail_in == 0 : zr != Z_OK)
      rc = -EINVAL; /* no input left before the end (truncated), or corrupt */
  }
  if (rc == 0 && z.avail_in != 0) rc = -EINVAL; /* bytes after the end of the stream */
  if (rc == 0 && n > max) rc = -EFBIG;
  inflateEnd(&z);
  if (rc) {
    free(buf);
    if (rc == -EFBIG)
      snprintf(err, errlen, "%s body inflates past max_body_bytes %zu", name, max);
    else if (rc == -EINVAL)
      snprintf(err, errlen, "corrupt or truncated %s body", name);
    else
      snprintf(err, errlen, "out of memory");
    return rc;
  }
  *out = buf;
  *out_len = n;
  return 0;
}

int http_zip_gzip(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len) {
  z_stream z;
  memset(&z, 0, sizeof z);
  /* level 1: responses are numbers in JSON; speed matters more than ratio */
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -ENOMEM;
  const uLong bound = deflateBound(&z, (uLong)len);
  uint8_t *buf = malloc(bound);
  if (!buf) {
    deflateEnd(&z);
    return -ENOMEM;
  }
  z.next_in = (Bytef *)in, z.avail_in = (uInt)len;
  z.next_out = buf, z.avail_out = (uInt)bound;
  const int zr = deflate(&z, Z_FINISH);
  const size_t n = bound - z.avail_out;
  deflateEnd(&z);
  if (zr != Z_STREAM_END) {
    free(buf);
    return -ENOMEM;
  }
  *out = buf;
  *out_len = n;
  return 0;
}
