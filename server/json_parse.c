/* Recursive descent over the JSON grammar (RFC 8259), building jansson
 * values. Strings are scanned a byte at a time in a tight loop and handed to
 * jansson as one run (UTF-8 checked by jansson only when a byte >= 0x80 was
 * seen); escapes are decoded only in strings that have them. */
#include "server/json_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_PARSE_MAX_DEPTH 2048 /* jansson's JSON_PARSER_MAX_DEPTH */

typedef struct {
  const char *s, *p, *e; /* the text, the cursor, the end */
  int depth;
  json_error_t *err;
} jp;

/* Records an error at the cursor (line and column counted from the start)
 * and returns NULL. */
static json_t *fail(jp *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static json_t *fail(jp *j, const char *fmt, ...) {
  json_error_t *e = j->err;
  int line = 1, col = 1;
  for (const char *q = j->s; q < j->p && q < j->e; q++) {
    if (*q == '\n')
      line++, col = 1;
    else
      col++;
  }
  e->line = line, e->column = col, e->position = (int)(j->p - j->s);
  snprintf(e->source, sizeof e->source, "<buffer>");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->text, sizeof e->text, fmt, ap);
  va_end(ap);
  return NULL;
}

static void skip_ws(jp *j) {
  while (j->p < j->e && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')) j->p++;
}

static int hex4(const char *q, unsigned *v) {
  *v = 0;
  for (int i = 0; i < 4; i++) {
    const char c = q[i];
    const int d = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
    if (d < 0) return -1;
    *v = *v << 4 | (unsigned)d;
  }
  return 0;
}

/* Decodes the escaped string body [a, b) into out (at least b - a bytes);
 * returns its length, or -1 with the error recorded (the cursor at the
 * escape). */
static long unescape(jp *j, const char *a, const char *b, char *out) {
  char *o = out;
  for (const char *q = a; q < b;) {
    if (*q != '\\') {
      *o++ = *q++;
      continue;
    }
    const char c = q[1];
    const char *simple = strchr("\"\\/bfnrt", c);
    if (c && simple) {
      *o++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      q += 2;
      continue;
    }
    unsigned u, lo;
    if (c != 'u' || b - q < 6 || hex4(q + 2, &u)) {
      j->p = q;
      fail(j, "invalid escape");
      return -1;
    }
    q += 6;
    if (u >= 0xD800 && u <= 0xDBFF) { /* a high surrogate needs its low half */
      if (b - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) || lo < 0xDC00 ||
          lo > 0xDFFF) {
        j->p = q - 6;
        fail(j, "invalid Unicode '\\u%04X'", u);
        return -1;
      }
      u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
      q += 6;
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      j->p = q - 6;
      fail(j, "invalid Unicode '\\u%04X'", u);
      return -1;
    } else if (u == 0) {
      j->p = q - 6;
      fail(j, "\\u0000 is not allowed in strings");
      return -1;
    }
    if (u < 0x80) {
      *o++ = (char)u;
    } else if (u < 0x800) {
      *o++ = (char)(0xC0 | u >> 6), *o++ = (char)(0x80 | (u & 0x3F));
    } else if (u < 0x10000) {
      *o++ = (char)(0xE0 | u >> 12), *o++ = (char)(0x80 | (u >> 6 & 0x3F));
      *o++ = (char)(0x80 | (u & 0x3F));
    } else {
      *o++ = (char)(0xF0 | u >> 18), *o++ = (char)(0x80 | (u >> 12 & 0x3F));
      *o++ = (char)(0x80 | (u >> 6 & 0x3F)), *o++ = (char)(0x80 | (u & 0x3F));
    }
  }
  return (long)(o - out);
}

/* Reads the string literal at the cursor (on its '"'): *v, *n its bytes,
 * pointing into the text, or into *owned (malloc'd) where escapes were
 * decoded; *high: a byte >= 0x80 is in it (its UTF-8 still unchecked).
 * Returns 0, or -1 with the error recorded. */
static int read_string(jp *j, const char **v, size_t *n, char **owned, int *high) {
  const char *a = ++j->p, *q = a;
  int esc = 0, hi = 0;
  *owned = NULL;
  for (; q < j->e; q++) {
    const unsigned char c = (unsigned char)*q;
    if (c == '"') break;
    if (c == '\\') {
      esc = 1, q++; /* the escaped character cannot end the string */
    } else if (c < 0x20) {
      j->p = q;
      fail(j, "control character 0x%x", c);
      return -1;
    }
    hi |= c >= 0x80;
  }
  if (q >= j->e) {
    j->p = j->e;
    fail(j, "premature end of input");
    return -1;
  }
  j->p = q + 1;
  *high = hi;
  if (!esc) {
    *v = a, *n = (size_t)(q - a);
    return 0;
  }
  char *buf = malloc((size_t)(q - a) + 1);
  if (!buf) {
    fail(j, "out of memory");
    return -1;
  }
  const long m = unescape(j, a, q, buf);
  if (m < 0) {
    free(buf);
    return -1;
  }
  *owned = buf, *v = buf, *n = (size_t)m;
  return 0;
}

static json_t *parse_value(jp *j);

/* A string value: handed to jansson as one run. */
static json_t *parse_string(jp *j) {
  const char *at = j->p, *v;
  size_t n;
  char *owned;
  int high;
  if (read_string(j, &v, &n, &owned, &high)) return NULL;
  json_t *s = high ? json_stringn(v, n) : json_stringn_nocheck(v, n);
  free(owned);
  if (!s) {
    j->p = at;
    return fail(j, "%s", high ? "invalid UTF-8 string" : "out of memory");
  }
  return s;
}

/* A number as RFC 8259 spells it: an integer where it has no fraction or
 * exponent (it must fit json_int_t), else a finite real. */
static json_t *parse_number(jp *j) {
  const char *a = j->p, *q = a, *e = j->e;
#define DIGIT(x) ((x) >= '0' && (x) <= '9')
  if (q < e && *q == '-') q++;
  if (q >= e || !DIGIT(*q)) return fail(j, "invalid token");
  if (*q == '0') {
    if (++q < e && DIGIT(*q)) return fail(j, "invalid token");
  } else {
    while (q < e && DIGIT(*q)) q++;
  }
  int real = 0;
  if (q < e && *q == '.') {
    if (++q >= e || !DIGIT(*q)) return fail(j, "invalid token");
    while (q < e && DIGIT(*q)) q++;
    real = 1;
  }
  if (q < e && (*q == 'e' || *q == 'E')) {
    if (++q < e && (*q == '+' || *q == '-')) q++;
    if (q >= e || !DIGIT(*q)) return fail(j, "invalid token");
    while (q < e && DIGIT(*q)) q++;
    real = 1;
  }
#undef DIGIT
  char small[64], *txt = small;
  const size_t len = (size_t)(q - a);
  if (len >= sizeof small && !(txt = malloc(len + 1))) return fail(j, "out of memory");
  memcpy(txt, a, len);
  txt[len] = '\0';
  json_t *v;
  errno = 0;
  if (!real) {
    const long long x = strtoll(txt, NULL, 10);
    v = errno == ERANGE ? fail(j, "%s", x < 0 ? "too big negative integer" : "too big integer")
                        : json_integer((json_int_t)x);
  } else {
    const double d = strtod(txt, NULL);
    v = errno == ERANGE && isinf(d) ? fail(j, "real number overflow") : json_real(d);
  }
  if (txt != small) free(txt);
  j->p = q;
  return v;
}

/* "true", "false" or "null" at the cursor. */
static json_t *parse_literal(jp *j, const char *word, json_t *v) {
  const size_t n = strlen(word);
  if ((size_t)(j->e - j->p) < n || memcmp(j->p, word, n)) return fail(j, "invalid token");
  j->p += n;
  return v;
}

/* The members of an array or object, after its opening bracket. */
static json_t *parse_container(jp *j, int object) {
  if (++j->depth > JSON_PARSE_MAX_DEPTH) return fail(j, "maximum parsing depth reached");
  const char close = object ? '}' : ']';
  json_t *c = object ? json_object() : json_array();
  if (!c) return fail(j, "out of memory");
  j->p++;
  skip_ws(j);
  if (j->p < j->e && *j->p == close) {
    j->p++, j->depth--;
    return c;
  }
  for (;;) {
    const char *key = NULL, *at = j->p;
    size_t kn = 0;
    char *owned = NULL;
    int high = 0;
    if (object) {
      if (j->p >= j->e || *j->p != '"') goto bad_key;
      if (read_string(j, &key, &kn, &owned, &high)) goto out;
      skip_ws(j);
      if (j->p >= j->e || *j->p != ':') {
        free(owned);
        fail(j, "':' expected");
        goto out;
      }
      j->p++;
    }
    json_t *v = parse_value(j);
    if (!v) {
      free(owned);
      goto out;
    }
    int rc = !object ? json_array_append_new(c, v)
             : high  ? json_object_setn_new(c, key, kn, v)
                     : json_object_setn_new_nocheck(c, key, kn, v);
    free(owned);
    if (rc) {
      j->p = at;
      fail(j, "%s", object && high ? "invalid UTF-8 in object key" : "out of memory");
      goto out;
    }
    skip_ws(j);
    if (j->p < j->e && *j->p == ',') {
      j->p++;
      skip_ws(j);
      continue;
    }
    if (j->p < j->e && *j->p == close) {
      j->p++, j->depth--;
      return c;
    }
    fail(j, "%s", object ? "'}' expected" : "']' expected");
    goto out;
  }
bad_key:
  fail(j, "string or '}' expected");
out:
  json_decref(c);
  return NULL;
}

static json_t *parse_value(jp *j) {
  skip_ws(j);
  if (j->p >= j->e) return fail(j, "unexpected end of input");
  switch (*j->p) {
    case '{':
      return parse_container(j, 1);
    case '[':
      return parse_container(j, 0);
    case '"':
      return parse_string(j);
    case 't':
      return parse_literal(j, "true", json_true());
    case 'f':
      return parse_literal(j, "false", json_false());
    case 'n':
      return parse_literal(j, "null", json_null());
    default:
      return parse_number(j);
  }
}

json_t *json_parse(const char *buf, size_t len, json_error_t *err) {
  jp j = {buf, buf, buf + len, 0, err};
  skip_ws(&j);
  if (j.p >= j.e || (*j.p != '{' && *j.p != '[')) return fail(&j, "'[' or '{' expected");
  json_t *v = parse_value(&j);
  if (!v) return NULL;
  skip_ws(&j);
  if (j.p < j.e) {
    json_decref(v);
    return fail(&j, "end of file expected");
  }
  return v;
}
