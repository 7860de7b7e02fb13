/* The blockfuse binary as users run it: every subcommand has --help, and bad
 * arguments or bad files give a message and a non-zero exit. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/test_support.h"

/* Runs `blockfuse ARGS` with the test's model; returns the exit status and
 * stdout+stderr in out. */
static int blockfuse(const char *args, char *out, size_t outlen) {
  char cmd[8192];
  snprintf(cmd, sizeof cmd, "BLOCKFUSE_MODEL_DIR='%s' '%s' %s",
           test_runfile("blockfuse/models/efficientnet_b0"),
           test_runfile("blockfuse/server/blockfuse"), args);
  return test_run_cmd(cmd, out, outlen);
}

static char out[1 << 16];

static void test_help(void **state) {
  (void)state;
  assert_int_equal(blockfuse("--help", out, sizeof out), 0);
  assert_non_null(strstr(out, "classify"));
  const char *subs[] = {"classify", "bench", "serve", "loadgen"};
  for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
    char a[64];
    snprintf(a, sizeof a, "%s --help", subs[i]);
    assert_int_equal(blockfuse(a, out, sizeof out), 0);
    assert_true(strstr(out, "usage: blockfuse") || strstr(out, "Usage: blockfuse"));
  }
  assert_int_equal(blockfuse("", out, sizeof out), 2);
  assert_int_equal(blockfuse("frobnicate", out, sizeof out), 2);
  assert_non_null(strstr(out, "unknown command"));
}

static void test_classify_cli(void **state) {
  (void)state;
  char args[4096];
  snprintf(args, sizeof args, "classify --backend cpu --top-k 2 '%s'",
           test_runfile("efficientnet_b0_tfjs/panda.jpg"));
  assert_int_equal(blockfuse(args, out, sizeof out), 0);
  assert_non_null(strstr(out, "giant panda"));
  snprintf(args, sizeof args, "classify --backend cpu --json '%s'",
           test_runfile("efficientnet_b0_tfjs/car.jpg"));
  assert_int_equal(blockfuse(args, out, sizeof out), 0);
  assert_non_null(strstr(out, "\"label\":\"sports car"));
}

static void test_bad_input(void **state) {
  (void)state;
  assert_int_equal(blockfuse("classify --backend cpu /nonexistent.jpg", out, sizeof out), 1);
  assert_non_null(strstr(out, "/nonexistent.jpg"));
  /* Not an image: this very test binary. */
  char args[4096];
  snprintf(args, sizeof args, "classify --backend cpu '%s'",
           test_runfile("blockfuse/tests/cli_test"));
  assert_int_equal(blockfuse(args, out, sizeof out), 1);
  assert_int_equal(blockfuse("classify --top-k zero x.jpg", out, sizeof out), 2);
  assert_non_null(strstr(out, "--top-k"));
  assert_int_equal(blockfuse("classify", out, sizeof out), 2);
  assert_int_equal(blockfuse("classify --backend tpu x.jpg", out, sizeof out), 1);
  assert_non_null(strstr(out, "unknown backend"));
  assert_int_equal(blockfuse("classify --model /nonexistent x.jpg", out, sizeof out), 1);
  assert_non_null(strstr(out, "config.json"));
  /* A GPU that does not exist: a clear refusal at start-up, exit 1. */
  assert_int_equal(blockfuse("serve --backend cuda --gpus 99 --port 0", out, sizeof out), 1);
  assert_true(strstr(out, "no CUDA device") || strstr(out, "--gpus '99'"));
  assert_int_equal(blockfuse("serve --backend tpu --port 0", out, sizeof out), 1);
  assert_non_null(strstr(out, "backend 'tpu'"));
  assert_int_equal(blockfuse("bench --batch 0", out, sizeof out), 2);
  assert_int_equal(blockfuse("bench --batch 100000", out, sizeof out), 2);
}

static void test_bench_cli(void **state) {
  (void)state;
  assert_int_equal(blockfuse("bench --backend cpu --batch 1 --iters 2 --warmup 0", out, sizeof out),
                   0);
  assert_non_null(strstr(out, "img/s"));
  assert_non_null(strstr(out, "per-block roofline"));
  assert_non_null(strstr(out, "stack6.block0"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_help),
      cmocka_unit_test(test_classify_cli),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_bench_cli),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
