#define _POSIX_C_SOURCE 200809L
#include "server/file_read.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int file_read_all(const char *path, size_t max, uint8_t **data, size_t *len, char *err,
                  size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", path, strerror(e));
    return -e;
  }
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *b = realloc(buf, cap);
      if (!b) {
        rc = -ENOMEM;
        break;
      }
      buf = b;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n > max) {
      rc = -EFBIG;
      break;
    }
    if (got == 0) {
      if (ferror(f)) rc = -EIO;
      break;
    }
  }
  fclose(f);
  if (rc) {
    free(buf);
    if (rc == -EFBIG)
      snprintf(err, errlen, "%s: larger than %zu MiB", path, max >> 20);
    else
      snprintf(err, errlen, "%s: %s", path, rc == -ENOMEM ? "out of memory" : "read error");
    return rc;
  }
  *data = buf;
  *len = n;
  return 0;
}
