#define _POSIX_C_SOURCE 200809L
#include "server/file_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes "path: larger than N MiB" (or N bytes when max is not whole MiB). */
static void too_big(const char *path, size_t max, char *err, size_t errlen) {
  if (max >= ((size_t)1 << 20) && (max & (((size_t)1 << 20) - 1)) == 0)
    snprintf(err, errlen, "%s: larger than %zu MiB", path, max >> 20);
  else
    snprintf(err, errlen, "%s: larger than %zu bytes", path, max);
}

/* Reads fd to EOF, keeping at most max bytes; *cap is the initial buffer
 * size hint. Returns 0 or a negative errno (-EFBIG past max). */
static int read_fd(int fd, size_t max, size_t cap, uint8_t **data, size_t *len) {
  /* One byte past max is enough to know the file is too large. */
  const size_t limit = max < SIZE_MAX ? max + 1 : SIZE_MAX;
  if (cap < 1) cap = 1;
  if (cap > limit) cap = limit;
  uint8_t *buf = malloc(cap);
  if (!buf) return -ENOMEM;
  size_t n = 0;
  int rc = 0;
  for (;;) {
    if (n == cap) {
      if (cap == limit) {
        rc = n > max ? -EFBIG : 0;
        break;
      }
      size_t ncap = cap < 65536 ? 65536 : cap > limit / 2 ? limit : cap * 2;
      if (ncap > limit) ncap = limit;
      uint8_t *b = realloc(buf, ncap);
      if (!b) {
        rc = -ENOMEM;
        break;
      }
      buf = b;
      cap = ncap;
    }
    ssize_t got = read(fd, buf + n, cap - n);
    if (got < 0) {
      if (errno == EINTR) continue;
      rc = -errno;
      break;
    }
    if (got == 0) break;
    n += (size_t)got;
  }
  if (rc == 0 && n > max) rc = -EFBIG;
  if (rc) {
    free(buf);
    return rc;
  }
  *data = buf;
  *len = n;
  return 0;
}

int file_read_all(const char *path, size_t max, uint8_t **data, size_t *len, char *err,
                  size_t errlen) {
  /* O_NONBLOCK: opening a FIFO without a writer must not hang; it is refused
   * below. It changes nothing for regular files. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    snprintf(err, errlen, "%s: %s", path, strerror(e));
    return -e;
  }
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) {
    rc = -errno;
    snprintf(err, errlen, "%s: %s", path, strerror(-rc));
  } else if (S_ISDIR(st.st_mode)) {
    rc = -EISDIR;
    snprintf(err, errlen, "%s: is a directory", path);
  } else if (!S_ISREG(st.st_mode)) {
    rc = -EINVAL;
    snprintf(err, errlen, "%s: not a regular file", path);
  } else if (st.st_size < 0 || (unsigned long long)st.st_size > max) {
    rc = -EFBIG;
    too_big(path, max, err, errlen);
  } else {
    rc = read_fd(fd, max, (size_t)st.st_size + 1, data, len);
    if (rc == -EFBIG)
      too_big(path, max, err, errlen);
    else if (rc)
      snprintf(err, errlen, "%s: %s", path, rc == -ENOMEM ? "out of memory" : strerror(-rc));
  }
  close(fd);
  return rc;
}
