#define _POSIX_C_SOURCE 200809L
#include "tests/test_support.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

const char *test_runfile(const char *rel) {
  static char bufs[8][4096];
  static int slot;
  char *b = bufs[slot++ % 8];
  const char *root = getenv("TEST_SRCDIR");
  if (!root) root = getenv("RUNFILES_DIR");
  if (!root) root = ".";
  snprintf(b, sizeof bufs[0], "%s/%s", root, rel);
  return b;
}

uint8_t *test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0) {
    fclose(f);
    return NULL;
  }
  long n = ftell(f);
  if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  uint8_t *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) *len = (size_t)n;
  return buf;
}

int test_run_cmd(const char *cmd, char *out, size_t outlen) {
  size_t len = strlen(cmd) + 8;
  char *full = malloc(len);
  if (!full) return -1;
  snprintf(full, len, "%s 2>&1", cmd);
  FILE *p = popen(full, "r");
  free(full);
  if (!p) return -1;
  size_t n = fread(out, 1, outlen - 1, p);
  out[n] = 0;
  char sink[4096]; /* drain the rest so the child is not killed by SIGPIPE */
  while (fread(sink, 1, sizeof sink, p) > 0) {
  }
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int test_need_gpu(int devices) {
  if (devices > 0) return 0;
  const char *e = getenv("BLOCKFUSE_GPU_TESTS");
  if (e && strcmp(e, "1") == 0) fail_msg("BLOCKFUSE_GPU_TESTS=1 but no usable CUDA device");
  print_message(
      "SKIP: no CUDA device (or CUDA not built in); run ./bazelw test --config=gpu //tests:gpu on "
      "a GPU host\n");
  skip();
  return 1;
}

static uint64_t rng_state;

uint64_t test_seed(void) {
  if (!rng_state) {
    const char *s = getenv("BLOCKFUSE_TEST_SEED");
    rng_state = s ? strtoull(s, NULL, 0) : ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid();
    if (!rng_state) rng_state = 1;
    fprintf(stderr, "test seed: BLOCKFUSE_TEST_SEED=%llu\n", (unsigned long long)rng_state);
  }
  return rng_state;
}

/* xorshift64*: fast, good enough for test data. */
static uint64_t next_u64(void) {
  test_seed();
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

void test_fill_random(float *x, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) {
    double u = (double)(next_u64() >> 11) / 9007199254740992.0;
    x[i] = (float)(lo + (hi - lo) * u);
  }
}

int test_rand_below(int n) {
  return n > 0 ? (int)(next_u64() % (uint64_t)n) : 0;
}

double test_rel_err(const float *out, const float *ref, size_t n) {
  double num = 0, den = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(out[i])) return INFINITY;
    double d = (double)out[i] - (double)ref[i];
    num += d * d;
    den += (double)ref[i] * ref[i];
  }
  return den > 0 ? sqrt(num / den) : sqrt(num);
}

void test_filter_from_env(void) {
  const char *filter = getenv("BLOCKFUSE_TEST_FILTER");
  if (filter && *filter) cmocka_set_test_filter(filter);
}
