/* JSON text written directly, for the large answers. An inference answer of
 * EfficientNet-B0 in JSON holds 1000 logits and 1000 probabilities per
 * image; built through jansson (a json_real per number, printf("%.9g") for
 * each) it took ~3 ms of CPU per request, more than the GPU's share.
 *
 * json_float() writes the fewest significant digits that read back (strtod
 * or strtof, round to nearest) as exactly the same float, never more than 9:
 * 0.1f is "0.1" where "%.9g" gives "0.100000001". (Above 2^24 a shortest
 * decimal can lie exactly halfway between two floats, a tie that strtof
 * gives to the even one; json_float does not take ties, and writes one digit
 * more there: 1710759936.0f is "1.7107599e+09", not "1.71076e+09".) Notation
 * follows "%g": fixed
 * for 1e-4 <= |x| < 1e9, an exponent otherwise ("1.5e-07", "3.4028235e+38");
 * fixed numbers always carry a '.', so 2.0f is "2.0" and readers that type
 * JSON numbers see a float. NaN and the infinities, which JSON cannot carry,
 * are written as null.
 *
 * json_text is a growable buffer, kept NUL-terminated. Its writers never fail one by one: an
 * allocation failure sets oom, later writes do nothing, and the caller checks
 * oom once at the end. */
#ifndef BLOCKFUSE_SERVER_JSON_TEXT_H
#define BLOCKFUSE_SERVER_JSON_TEXT_H

#include <stddef.h>

/* Longest output plus the NUL: "-1.17549435e-38" is 15 characters. */
#define JSON_FLOAT_MAX 24

/* Writes x into out (NUL-terminated) and returns its length. */
int json_float(float x, char out[JSON_FLOAT_MAX]);

typedef struct {
  char *p; /* NUL-terminated while !oom */
  size_t len, cap;
  int oom;
} json_text;

/* Appends n bytes as they are: JSON text, or any bytes (the v2 answer's
 * binary tensor data is gathered in a json_text too). */
void jt_raw(json_text *t, const char *s, size_t n);
void jt_lit(json_text *t, const char *s); /* jt_raw of a C string */
/* s[0..n) as a quoted JSON string: '"', '\\' and control characters escaped
 * as jansson does; bytes that are not valid UTF-8 become U+FFFD. */
void jt_strn(json_text *t, const char *s, size_t n);
void jt_str(json_text *t, const char *s);
void jt_int(json_text *t, long long v);
/* n floats, comma-separated, as json_float writes them. */
void jt_floats(json_text *t, const float *x, size_t n);

#endif
