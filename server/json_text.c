/* JSON text written directly; contract in json_text.h.
 *
 * json_float: a float32 and the halfway points to its neighbours are exact
 * in double, so the interval of decimals that read back as the float is
 * known. The float is scaled by a power of ten to vs in [1e8, 1e9), in
 * double; its rounding n is the 9-digit decimal, right or off by one in the
 * last digit (vs is within ~2e-7 of exact). Either way it reads back: half
 * a float ulp is >= 2^-25 of the value, a 9th-digit step <= 1e-8 of it.
 * Then shorter candidates (n cut to p digits, rounded down and up) are
 * tried while one lies inside the interval, scaled the same way and shrunk
 * by a millionth of its width. The shrink (>= ~3e-6 in those units) covers
 * the rounding of the scaled values, so a candidate taken always reads
 * back; one that lies within that sliver of a boundary is left for a longer
 * one. bench/json_float_exhaustive.c checks all 2^32 floats against strtof.
 */
#include "server/json_text.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double p10[] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31,
    1e32, 1e33, 1e34, 1e35, 1e36, 1e37, 1e38, 1e39, 1e40, 1e41, 1e42, 1e43, 1e44, 1e45, 1e46, 1e47,
    1e48, 1e49, 1e50, 1e51, 1e52, 1e53, 1e54, 1e55, 1e56, 1e57, 1e58, 1e59, 1e60,
};

static const double p10n[] = {
    1e-0,  1e-1,  1e-2,  1e-3,  1e-4,  1e-5,  1e-6,  1e-7,  1e-8,  1e-9,  1e-10, 1e-11, 1e-12,
    1e-13, 1e-14, 1e-15, 1e-16, 1e-17, 1e-18, 1e-19, 1e-20, 1e-21, 1e-22, 1e-23, 1e-24, 1e-25,
    1e-26, 1e-27, 1e-28, 1e-29, 1e-30, 1e-31, 1e-32, 1e-33, 1e-34, 1e-35, 1e-36, 1e-37, 1e-38,
    1e-39, 1e-40, 1e-41, 1e-42, 1e-43, 1e-44, 1e-45, 1e-46, 1e-47, 1e-48, 1e-49, 1e-50, 1e-51,
    1e-52, 1e-53, 1e-54, 1e-55, 1e-56, 1e-57, 1e-58, 1e-59, 1e-60,
};

static const uint32_t p10u[] = {1,      10,      100,      1000,      10000,
                                100000, 1000000, 10000000, 100000000, 1000000000};

/* 10^k for k in -60..60, correctly rounded. */
static double pow10d(int k) {
  return k >= 0 ? p10[k] : p10n[-k];
}

/* Is d (a decimal minus the float, in the scaled units) inside (-lo, hi)? */
static int inside(double d, double lo, double hi) {
  return d < 0 ? -d < lo : d < hi;
}

int json_float(float x, char out[JSON_FLOAT_MAX]) {
  uint32_t u;
  memcpy(&u, &x, 4);
  const uint32_t be = u >> 23 & 0xff, mant = u & 0x7fffff;
  if (be == 0xff) {
    memcpy(out, "null", 5);
    return 4;
  }
  char *o = out;
  if (u >> 31) *o++ = '-';
  if ((u & 0x7fffffff) == 0) {
    memcpy(o, "0.0", 4);
    return (int)(o - out) + 3;
  }
  const double v = fabs((double)x);
  /* The gap to each neighbouring float is an ulp, 2^(be-150) (2^-149 for
   * subnormals), except below a power of two, where it is half one. Past
   * FLT_MAX strtof rounds back to it up to half an ulp, as if a float
   * followed. Halve for the halfway points, shrink by a millionth. */
  uint64_t ub = (uint64_t)((be ? (int)be : 1) - 150 + 1023) << 52;
  double ulp;
  memcpy(&ulp, &ub, 8);
  const double hi = ulp * (0.5 * (1 - 1e-6)), lo = mant == 0 && be > 1 ? hi * 0.5 : hi;

  /* vs = v x 10^(8-E) in [1e8, 1e9): n, its rounding, has 9 digits */
  const int e2 = be ? (int)be - 127 : ilogb(v);
  int E = e2 >= 0 ? (e2 * 1233) >> 12 : -((-e2 * 1233 + 4095) >> 12); /* ~floor(e2 log10 2) */
  double sc = pow10d(8 - E), vs = v * sc;
  while (vs >= 999999999.5) sc = pow10d(8 - ++E), vs = v * sc;
  while (vs < 99999999.5) sc = pow10d(8 - --E), vs = v * sc;
  const uint32_t n = (uint32_t)(vs + 0.5);
  const double lo9 = lo * sc, hi9 = hi * sc;

  uint32_t best = n;
  int bq = E - 8; /* the value is best x 10^bq */
  for (int p = 8; p >= 1; p--) {
    const uint32_t div = p10u[9 - p], f = n / div;
    const double df = (double)f * div - vs, dc = df + div;
    const int okf = inside(df, lo9, hi9), okc = inside(dc, lo9, hi9);
    if (!okf && !okc) break;
    best = okf && (!okc || -df <= dc) ? f : f + 1;
    bq = E - p + 1;
  }
  while (best % 10 == 0) best /= 10, bq++;

  char dig[12] = "";
  int L = 0;
  for (uint32_t b = best; b; b /= 10) L++;
  for (int i = L - 1; i >= 0; i--, best /= 10) dig[i] = (char)('0' + best % 10);
  const int X = bq + L - 1; /* decimal exponent of the first digit */
  if (X >= -4 && X < 9) {
    if (X < 0) {
      *o++ = '0', *o++ = '.';
      for (int i = 0; i < -X - 1; i++) *o++ = '0';
      memcpy(o, dig, (size_t)L), o += L;
    } else if (L <= X + 1) {
      memcpy(o, dig, (size_t)L), o += L;
      for (int i = 0; i < X + 1 - L; i++) *o++ = '0';
      *o++ = '.', *o++ = '0';
    } else {
      memcpy(o, dig, (size_t)X + 1), o += X + 1;
      *o++ = '.';
      memcpy(o, dig + X + 1, (size_t)(L - X - 1)), o += L - X - 1;
    }
  } else {
    *o++ = dig[0];
    if (L > 1) {
      *o++ = '.';
      memcpy(o, dig + 1, (size_t)L - 1), o += L - 1;
    }
    *o++ = 'e';
    *o++ = X < 0 ? '-' : '+';
    const int ax10 = abs(X);
    if (ax10 >= 10)
      *o++ = (char)('0' + ax10 / 10);
    else
      *o++ = '0';
    *o++ = (char)('0' + ax10 % 10);
  }
  *o = 0;
  return (int)(o - out);
}

/* Room for n more bytes and the NUL; 0 when there is. */
static int reserve(json_text *t, size_t n) {
  if (t->oom) return -1;
  if (t->len + n + 1 <= t->cap) return 0;
  size_t cap = t->cap ? t->cap : 256;
  while (cap < t->len + n + 1) cap *= 2;
  char *p = realloc(t->p, cap);
  if (!p) {
    t->oom = 1;
    return -1;
  }
  t->p = p;
  t->cap = cap;
  return 0;
}

void jt_raw(json_text *t, const char *s, size_t n) {
  if (reserve(t, n)) return;
  memcpy(t->p + t->len, s, n);
  t->len += n;
  t->p[t->len] = 0;
}

void jt_lit(json_text *t, const char *s) {
  jt_raw(t, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s[0..n) that starts with a byte
 * >= 0x80, or 0 when it is not one (overlong, surrogate, past U+10FFFF,
 * truncated). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  const unsigned c = s[0];
  size_t len;
  unsigned lo = 0x80, hi = 0xBF; /* the second byte's range */
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

void jt_strn(json_text *t, const char *s, size_t n) {
  /* worst case: every byte a 6-byte escape, plus the quotes */
  if (reserve(t, 6 * n + 2)) return;
  const unsigned char *u = (const unsigned char *)s;
  char *o = t->p + t->len;
  *o++ = '"';
  for (size_t i = 0; i < n;) {
    const unsigned c = u[i];
    if (c >= 0x80) {
      const size_t l = utf8_len(u + i, n - i);
      if (l) {
        memcpy(o, u + i, l), o += l, i += l;
      } else {
        memcpy(o, "\\ufffd", 6), o += 6, i++;
      }
      continue;
    }
    i++;
    if (c == '"' || c == '\\') {
      *o++ = '\\', *o++ = (char)c;
    } else if (c >= 0x20) {
      *o++ = (char)c;
    } else if (c == '\n') {
      *o++ = '\\', *o++ = 'n';
    } else if (c == '\t') {
      *o++ = '\\', *o++ = 't';
    } else if (c == '\r') {
      *o++ = '\\', *o++ = 'r';
    } else if (c == '\b') {
      *o++ = '\\', *o++ = 'b';
    } else if (c == '\f') {
      *o++ = '\\', *o++ = 'f';
    } else {
      static const char hex[] = "0123456789abcdef";
      memcpy(o, "\\u00", 4), o += 4;
      *o++ = hex[c >> 4], *o++ = hex[c & 15];
    }
  }
  *o++ = '"';
  *o = 0;
  t->len = (size_t)(o - t->p);
}

void jt_str(json_text *t, const char *s) {
  jt_strn(t, s, strlen(s));
}

void jt_int(json_text *t, long long v) {
  char b[24];
  int l = snprintf(b, sizeof b, "%lld", v);
  jt_raw(t, b, (size_t)l);
}

void jt_floats(json_text *t, const float *x, size_t n) {
  if (reserve(t, n * JSON_FLOAT_MAX)) return;
  char *o = t->p + t->len;
  for (size_t i = 0; i < n; i++) {
    if (i) *o++ = ',';
    o += json_float(x[i], o);
  }
  t->len = (size_t)(o - t->p);
}
