/* base64, multipart/form-data and the binary-extension header length. */
#define _GNU_SOURCE
#include "server/http_codec.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

size_t http_base64_max(size_t len) {
  return len / 4 * 3 + 3;
}

/* Value of each byte as a base64 character (both alphabets: + or -, / or
 * _), 255 for every other byte; 16 bytes a row. */
// clang-format off
static const uint8_t b64_values[256] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,  62, 255,  62, 255,  63,
     52,  53,  54,  55,  56,  57,  58,  59,  60,  61, 255, 255, 255, 255, 255, 255,
    255,   0,   1,   2,   3,   4,   5,   6,   7,   8,   9,  10,  11,  12,  13,  14,
     15,  16,  17,  18,  19,  20,  21,  22,  23,  24,  25, 255, 255, 255, 255,  63,
    255,  26,  27,  28,  29,  30,  31,  32,  33,  34,  35,  36,  37,  38,  39,  40,
     41,  42,  43,  44,  45,  46,  47,  48,  49,  50,  51, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
};
// clang-format on

/* Whole groups of 4 characters are decoded by table, 3 bytes each, while
 * none is whitespace, padding or invalid; from such a character on, and
 * until the next group boundary, one character at a time (the same rules:
 * whitespace skipped, padding only at the end, at most 2). */
int http_base64_decode(const char *in, size_t len, uint8_t *out, size_t *out_len) {
  const unsigned char *s = (const unsigned char *)in;
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t n = 0, chars = 0, i = 0;
  while (i < len) {
    if (bits == 0 && !pad) /* at a group boundary */
      for (; i + 4 <= len; i += 4, chars += 4, n += 3) {
        const uint32_t a = b64_values[s[i]], b = b64_values[s[i + 1]], c = b64_values[s[i + 2]],
                       d = b64_values[s[i + 3]];
        if ((a | b | c | d) & 0x80) break;
        const uint32_t v = a << 18 | b << 12 | c << 6 | d;
        out[n] = (uint8_t)(v >> 16), out[n + 1] = (uint8_t)(v >> 8), out[n + 2] = (uint8_t)v;
      }
    if (i >= len) break;
    const unsigned char c = s[i++];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      pad++;
      continue;
    }
    if (pad) return -EINVAL; /* data after padding */
    const uint32_t v = b64_values[c];
    if (v > 63) return -EINVAL;
    acc = (acc << 6) | v;
    bits += 6;
    chars++;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  if (chars % 4 == 1 || pad > 2) return -EINVAL;
  if (pad && (chars + (size_t)pad) % 4 != 0) return -EINVAL;
  *out_len = n;
  return 0;
}

int http_multipart_boundary(const char *content_type, char *boundary, size_t cap) {
  if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0) return -EINVAL;
  const char *p = content_type + 19;
  while ((p = strchr(p, ';')) != NULL) {
    p++;
    while (*p == ' ' || *p == '\t') p++;
    if (strncasecmp(p, "boundary=", 9) != 0) continue;
    p += 9;
    size_t n;
    if (*p == '"') {
      const char *end = strchr(++p, '"');
      if (!end) return -EINVAL;
      n = (size_t)(end - p);
    } else {
      n = strcspn(p, "; \t");
    }
    if (n == 0 || n > 70 || n + 1 > cap) return -EINVAL; /* RFC 2046: 1..70 chars */
    memcpy(boundary, p, n);
    boundary[n] = 0;
    return 0;
  }
  return -EINVAL;
}

/* Finds `key="value"` (or key=token) in a Content-Disposition header line of
 * length n; sets *val and *vlen. Returns 1 if found. */
static int disposition_param(const char *h, size_t n, const char *key, const char **val,
                             size_t *vlen) {
  size_t kl = strlen(key);
  for (size_t i = 0; i + kl + 1 <= n; i++) {
    if ((i == 0 || h[i - 1] == ';' || h[i - 1] == ' ' || h[i - 1] == '\t') &&
        strncasecmp(h + i, key, kl) == 0 && h[i + kl] == '=') {
      const char *p = h + i + kl + 1, *end = h + n;
      if (p < end && *p == '"') {
        const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
        if (!q) return 0;
        *val = p + 1;
        *vlen = (size_t)(q - p - 1);
      } else {
        const char *q = p;
        while (q < end && *q != ';' && *q != ' ') q++;
        *val = p;
        *vlen = (size_t)(q - p);
      }
      return 1;
    }
  }
  return 0;
}

/* Parses the header block [h, h+n) of one part into *part. */
static void parse_part_headers(const char *h, size_t n, http_part *part) {
  const char *end = h + n;
  while (h < end) {
    const char *eol = memmem(h, (size_t)(end - h), "\r\n", 2);
    size_t ll = eol ? (size_t)(eol - h) : (size_t)(end - h);
    if (ll > 20 && strncasecmp(h, "Content-Disposition:", 20) == 0) {
      disposition_param(h + 20, ll - 20, "name", &part->name, &part->name_len);
      disposition_param(h + 20, ll - 20, "filename", &part->filename, &part->filename_len);
    } else if (ll > 13 && strncasecmp(h, "Content-Type:", 13) == 0) {
      const char *v = h + 13;
      while (v < h + ll && (*v == ' ' || *v == '\t')) v++;
      part->content_type = v;
      part->content_type_len = (size_t)(h + ll - v);
    }
    h += ll + 2;
  }
}

int http_multipart_parse(const uint8_t *body, size_t len, const char *boundary, http_part *parts,
                         int max_parts, int *n_parts, char *err, size_t errlen) {
  char delim[80];
  int dl = snprintf(delim, sizeof delim, "--%s", boundary);
  if (dl < 3 || (size_t)dl >= sizeof delim) {
    snprintf(err, errlen, "multipart: bad boundary");
    return -EINVAL;
  }
  const uint8_t *end = body + len;
  const uint8_t *p = memmem(body, len, delim, (size_t)dl);
  if (!p) {
    snprintf(err, errlen, "multipart: opening boundary not found");
    return -EINVAL;
  }
  int n = 0;
  char next[84];
  int nl = snprintf(next, sizeof next, "\r\n--%s", boundary);
  for (;;) {
    p += dl;
    if (end - p >= 2 && p[0] == '-' && p[1] == '-') break; /* closing delimiter */
    if (end - p < 2 || p[0] != '\r' || p[1] != '\n') {
      snprintf(err, errlen, "multipart: malformed delimiter line");
      return -EINVAL;
    }
    p += 2;
    const uint8_t *hend;
    if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
      hend = p - 2; /* no headers */
    else
      hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
    if (!hend) {
      snprintf(err, errlen, "multipart: part %d has no end of headers", n);
      return -EINVAL;
    }
    if (n == max_parts) {
      snprintf(err, errlen, "multipart: more than %d parts", max_parts);
      return -E2BIG;
    }
    http_part *part = &parts[n];
    memset(part, 0, sizeof *part);
    if (hend > p) parse_part_headers((const char *)p, (size_t)(hend - p), part);
    const uint8_t *data = hend + 4;
    const uint8_t *q = memmem(data, (size_t)(end - data), next, (size_t)nl);
    if (!q) {
      snprintf(err, errlen, "multipart: part %d is not terminated (truncated body?)", n);
      return -EINVAL;
    }
    part->data = data;
    part->len = (size_t)(q - data);
    n++;
    p = q + 2;
  }
  *n_parts = n;
  return 0;
}

int http_header_length(const char *value, size_t body_len, size_t *json_len, char *err,
                       size_t errlen) {
  if (!value || !*value) {
    snprintf(err, errlen, "Inference-Header-Content-Length is empty");
    return -EINVAL;
  }
  size_t v = 0;
  for (const char *p = value; *p; p++) {
    if (!isdigit((unsigned char)*p) || v > (SIZE_MAX - 9) / 10) {
      snprintf(err, errlen, "Inference-Header-Content-Length '%.32s' is not a number", value);
      return -EINVAL;
    }
    v = v * 10 + (size_t)(*p - '0');
  }
  if (v == 0 || v > body_len) {
    snprintf(err, errlen, "Inference-Header-Content-Length %zu outside the body's %zu bytes", v,
             body_len);
    return -EINVAL;
  }
  *json_len = v;
  return 0;
}
