/* Significant digits of a decimal numeral as printf("%g"/"%e") or
 * json_float() writes it ("0.00120" has 2, "1.5e-07" 2, "100.0" 1): what
 * json_text_test and bench/json_float_exhaustive.c compare. */
#ifndef BLOCKFUSE_TESTS_FLOAT_DIGITS_H
#define BLOCKFUSE_TESTS_FLOAT_DIGITS_H

static inline int float_digits(const char *s) {
  int n = 0, seen = 0, zeros = 0;
  for (; *s && *s != 'e'; s++) {
    if (*s < '0' || *s > '9') continue;
    if (*s == '0' && !seen) continue;
    seen = 1;
    if (*s == '0') {
      zeros++;
    } else {
      n += zeros + 1;
      zeros = 0;
    }
  }
  return n;
}

#endif
