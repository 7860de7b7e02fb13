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
#include <sys/stat.h>

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

/* Large enough for --top-k 1000 in JSON. */
static char out[1 << 18];

/* $TEST_TMPDIR/name (or /tmp/name outside Bazel), in a static buffer slot. */
static const char *tmp_path(const char *name) {
  static char bufs[4][4096];
  static int slot;
  char *b = bufs[slot++ % 4];
  const char *t = getenv("TEST_TMPDIR");
  snprintf(b, sizeof bufs[0], "%s/%s", t && *t ? t : "/tmp", name);
  return b;
}

/* Runs a shell command that must succeed (test set-up). */
static void sh(const char *cmd) {
  char o[4096];
  int rc = test_run_cmd(cmd, o, sizeof o);
  if (rc != 0) fail_msg("set-up command failed (%d): %s\n%s", rc, cmd, o);
}

static int count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
  return n;
}

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
  /* --version: the release, and whether the cuda backend is in this build */
  assert_int_equal(blockfuse("--version", out, sizeof out), 0);
  assert_int_equal(strncmp(out, "blockfuse 0.", 12), 0);
  assert_non_null(strstr(out, "backends: cpu ("));
  assert_true(strstr(out, "cuda (built in;") || strstr(out, "cuda not built in"));
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
  assert_non_null(strstr(out, "model /nonexistent: No such file or directory"));
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
  /* --plans: the cpu backend has none to print (the cuda backend's are its
     plan lines, checked by gpu_backend_test) */
  assert_int_equal(
      blockfuse("bench --backend cpu --batch 1 --iters 1 --warmup 0 --no-per-block --plans", out,
                sizeof out),
      0);
  assert_non_null(strstr(out, "the cpu backend has no launch plans"));
  assert_null(strstr(out, "per-block roofline"));
}

/* Every integer option is checked as a whole string and against its range:
 * 4294967297 used to wrap to 1 through (int)strtol and exit 0. */
static void test_integer_options(void **state) {
  (void)state;
  const struct {
    const char *args, *opt;
  } bad[] = {
      {"classify --top-k 4294967297 x.jpg", "--top-k: 4294967297 is out of range"},
      {"classify --top-k 0 x.jpg", "--top-k: 0 is out of range"},
      {"classify --top-k 5x x.jpg", "--top-k: '5x' is not an integer"},
      {"classify --top-k '' x.jpg", "--top-k: '' is not an integer"},
      {"classify --threads 4294967297 x.jpg", "--threads: 4294967297 is out of range"},
      {"classify --threads 99999999999999999999 x.jpg", "--threads: 99999999999999999999"},
      {"classify --threads -1 x.jpg", "--threads: -1 is out of range"},
      {"classify --threads 257 x.jpg", "--threads: 257 is out of range"},
      {"classify --max-pixels -1 x.jpg", "--max-pixels: '-1'"},
      {"classify --max-pixels 99999999999999999999 x.jpg", "--max-pixels: 99999999999999999999"},
      {"bench --iters 4294967297", "--iters: 4294967297 is out of range"},
      {"bench --warmup -1", "--warmup: -1 is out of range"},
      {"bench --threads 4294967296", "--threads: 4294967296 is out of range"},
      {"bench --device 4294967296", "--device: 4294967296 is out of range"},
      {"bench --batch 1x", "--batch: '1x' is not an integer"},
      {"bench --peak-bw 1e9x", "--peak-bw: '1e9x' is not a number"},
      {"bench --peak-flops inf", "--peak-flops: inf must be a finite number > 0"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = blockfuse(bad[i].args, out, sizeof out);
    if (rc != 2 || !strstr(out, bad[i].opt))
      fail_msg("'%s': exit %d, want 2 and \"%s\"; got:\n%s", bad[i].args, rc, bad[i].opt, out);
    assert_true(strncmp(out, "blockfuse ", 10) == 0);
  }
  /* A top-k above the model's 1000 classes prints all of them (documented). */
  char args[4096];
  snprintf(args, sizeof args, "classify --backend cpu --json --top-k 5000 '%s'",
           test_runfile("efficientnet_b0_tfjs/panda.jpg"));
  assert_int_equal(blockfuse(args, out, sizeof out), 0);
  assert_int_equal(count(out, "\"index\":"), 1000);
  assert_int_equal(blockfuse("classify --help", out, sizeof out), 0);
  assert_non_null(strstr(out, "number of classes"));
}

/* Unknown options and missing values: "blockfuse <cmd>: ..." like every other
 * message, not getopt's "classify: ..." from argv[0]. */
static void test_option_messages(void **state) {
  (void)state;
  const struct {
    const char *args, *msg;
  } bad[] = {
      {"classify --frobnicate x.jpg", "blockfuse classify: unrecognized option '--frobnicate'"},
      {"classify -x x.jpg", "blockfuse classify: unrecognized option '-x'"},
      /* inside a cluster after a long option: the letter, not the option before */
      {"classify --top-k=3 -zq x.jpg", "blockfuse classify: unrecognized option '-z'"},
      {"classify x.jpg --top-k", "blockfuse classify: option '--top-k' needs a value"},
      {"classify --json=yes x.jpg", "blockfuse classify: option '--json' takes no value"},
      {"classify --t 1 x.jpg", "blockfuse classify: option '--t' is ambiguous"},
      {"bench --frobnicate", "blockfuse bench: unrecognized option '--frobnicate'"},
      {"bench --iters", "blockfuse bench: option '--iters' needs a value"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int rc = blockfuse(bad[i].args, out, sizeof out);
    if (rc != 2 || strncmp(out, bad[i].msg, strlen(bad[i].msg)) != 0)
      fail_msg("'%s': exit %d, want 2 and \"%s\"; got:\n%s", bad[i].args, rc, bad[i].msg, out);
  }
}

/* Directories, FIFOs and devices are refused by what they are (a FIFO used to
 * block in fopen, a directory gave "read error"); oversized files are refused
 * from their size, before anything is read. */
static void test_input_files(void **state) {
  (void)state;
  char cmd[8192], args[4096];
  const char *dir = tmp_path("adir");
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
  sh(cmd);
  snprintf(args, sizeof args, "classify --backend cpu '%s'", dir);
  assert_int_equal(blockfuse(args, out, sizeof out), 1);
  snprintf(cmd, sizeof cmd, "blockfuse classify: %s: is a directory", dir);
  assert_non_null(strstr(out, cmd));

  const char *fifo = tmp_path("a.fifo");
  snprintf(cmd, sizeof cmd, "rm -f '%s' && mkfifo '%s'", fifo, fifo);
  sh(cmd);
  /* timeout: without the fix this hangs; 124 then fails the test. */
  snprintf(args, sizeof args, "classify --backend cpu '%s' /dev/zero", fifo);
  snprintf(cmd, sizeof cmd, "timeout 30 env BLOCKFUSE_MODEL_DIR='%s' '%s' %s",
           test_runfile("blockfuse/models/efficientnet_b0"),
           test_runfile("blockfuse/server/blockfuse"), args);
  assert_int_equal(test_run_cmd(cmd, out, sizeof out), 1);
  snprintf(cmd, sizeof cmd, "%s: not a regular file", fifo);
  assert_non_null(strstr(out, cmd));
  assert_non_null(strstr(out, "/dev/zero: not a regular file"));

  /* Sparse: no disk used. 65 MiB is just over the 64 MiB cap; 5 GiB would
   * take seconds and gigabytes to read if the cap were not checked first. */
  const char *sizes[] = {"65M", "5G"};
  for (int i = 0; i < 2; i++) {
    const char *big = tmp_path(i ? "big5g.jpg" : "big65m.jpg");
    snprintf(cmd, sizeof cmd, "truncate -s %s '%s'", sizes[i], big);
    sh(cmd);
    snprintf(args, sizeof args, "classify --backend cpu '%s'", big);
    assert_int_equal(blockfuse(args, out, sizeof out), 1);
    snprintf(cmd, sizeof cmd, "%s: larger than 64 MiB", big);
    assert_non_null(strstr(out, cmd));
    remove(big);
  }
  /* Just under the cap is read and then refused as what it is. */
  const char *near = tmp_path("near.jpg");
  snprintf(cmd, sizeof cmd, "truncate -s 1M '%s'", near);
  sh(cmd);
  snprintf(args, sizeof args, "classify --backend cpu '%s'", near);
  assert_int_equal(blockfuse(args, out, sizeof out), 1);
  assert_null(strstr(out, "larger than"));
  remove(near);
}

/* A wrong --model says what is wrong with it, without the "(line -1)" that
 * jansson appends when it cannot open a file. */
static void test_model_errors(void **state) {
  (void)state;
  char cmd[8192], args[4096];
  assert_int_equal(blockfuse("classify --model /nonexistent x.jpg", out, sizeof out), 1);
  assert_null(strstr(out, "line -1"));
  assert_int_equal(blockfuse("classify --model /dev/null x.jpg", out, sizeof out), 1);
  assert_non_null(strstr(out, "model /dev/null: not a directory"));
  const char *m = tmp_path("model_cfgdir");
  snprintf(cmd, sizeof cmd, "mkdir -p '%s/config.json'", m);
  sh(cmd);
  snprintf(args, sizeof args, "classify --model '%s' x.jpg", m);
  assert_int_equal(blockfuse(args, out, sizeof out), 1);
  assert_non_null(strstr(out, "config.json: not a regular file"));
  assert_null(strstr(out, "line -1"));
  m = tmp_path("model_empty");
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", m);
  sh(cmd);
  snprintf(args, sizeof args, "classify --model '%s' x.jpg", m);
  assert_int_equal(blockfuse(args, out, sizeof out), 1);
  assert_non_null(strstr(out, "config.json: No such file or directory"));
  assert_null(strstr(out, "line -1"));
  /* bench shares the check. */
  assert_int_equal(blockfuse("bench --model /nonexistent", out, sizeof out), 1);
  assert_non_null(strstr(out, "blockfuse bench: model /nonexistent: No such file"));
}

/* Runs `classify --top-k 1 panda.jpg` through `prefix` (env settings and the
 * binary); returns the exit status. */
static int classify_panda(const char *prefix) {
  char cmd[16384];
  snprintf(cmd, sizeof cmd, "%s classify --backend cpu --top-k 1 '%s'", prefix,
           test_runfile("efficientnet_b0_tfjs/panda.jpg"));
  return test_run_cmd(cmd, out, sizeof out);
}

/* The default model, found without BLOCKFUSE_MODEL_DIR: through the Bazel
 * runfiles as under `bazel run`/`bazel test`, next to the binary as in
 * bazel-bin/, and under <prefix>/share as installed; and a clear error when it
 * is nowhere. */
static void test_default_model(void **state) {
  (void)state;
  char prefix[8192], cmd[8192];
  const char *bin = test_runfile("blockfuse/server/blockfuse");
  const char *model = test_runfile("blockfuse/models/efficientnet_b0");
  /* 1. The test's own environment: RUNFILES_DIR (set by `bazel test`) or
   * blockfuse.runfiles beside the binary. */
  snprintf(prefix, sizeof prefix, "env -u BLOCKFUSE_MODEL_DIR '%s'", bin);
  assert_int_equal(classify_panda(prefix), 0);
  assert_non_null(strstr(out, "giant panda"));
  /* 2. A copy of the binary in <tmp>/inst/bin with no runfiles variables:
   * nothing to find, unless a system-wide install exists. */
  const char *inst = tmp_path("inst");
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/bin' && cp '%s' '%s/bin/blockfuse'", inst,
           inst, bin, inst);
  sh(cmd);
  snprintf(prefix, sizeof prefix,
           "env -u BLOCKFUSE_MODEL_DIR -u RUNFILES_DIR -u RUNFILES_MANIFEST_FILE -u TEST_SRCDIR "
           "-u JAVA_RUNFILES '%s/bin/blockfuse'",
           inst);
  struct stat st;
  if (stat("/usr/share/blockfuse/models/efficientnet_b0/config.json", &st) != 0) {
    assert_int_equal(classify_panda(prefix), 1);
    assert_non_null(strstr(out, "blockfuse classify: default model 'efficientnet_b0' not found"));
  }
  /* 3. <prefix>/share/blockfuse/models, as `make install`-style layouts put it. */
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s/share/blockfuse/models' && "
           "ln -s '%s' '%s/share/blockfuse/models/efficientnet_b0'",
           inst, model, inst);
  sh(cmd);
  assert_int_equal(classify_panda(prefix), 0);
  assert_non_null(strstr(out, "giant panda"));
  /* 4. bazel-bin layout: bin/../models/efficientnet_b0 (here it wins over share/,
   * so drop share/ first to be sure which one was used). */
  snprintf(cmd, sizeof cmd,
           "rm -rf '%s/share' && mkdir -p '%s/models' && ln -s '%s' '%s/models/efficientnet_b0'",
           inst, inst, model, inst);
  sh(cmd);
  assert_int_equal(classify_panda(prefix), 0);
  assert_non_null(strstr(out, "giant panda"));
  /* 5. BLOCKFUSE_MODEL_DIR, when set, must hold a model: no silent fallback. */
  snprintf(prefix, sizeof prefix, "env BLOCKFUSE_MODEL_DIR='%s' '%s'", inst, bin);
  assert_int_equal(classify_panda(prefix), 1);
  assert_non_null(strstr(out, "holds no config.json"));
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", inst);
  sh(cmd);
}

/* `serve --check 1`: validates the model and the settings without serving:
 * exit 0 with a summary, 1 with the reason, 2 for a bad option value. */
static void test_serve_check(void **state) {
  (void)state;
  assert_int_equal(blockfuse("serve --check 1 --backend cpu --log-level warn", out, sizeof out), 0);
  assert_non_null(strstr(out, "ok: model efficientnet_b0 (18 blocks, 1000 classes, 224x224"));
  assert_non_null(strstr(out, "backend cpu"));
  assert_int_equal(
      blockfuse("serve --check 1 --model /nonexistent --log-level warn", out, sizeof out), 1);
  assert_non_null(strstr(out, "check failed: /nonexistent/config.json"));
  assert_int_equal(blockfuse("serve --check 1 --backend cpu --preferred-batch-sizes 0,5 "
                             "--log-level warn",
                             out, sizeof out),
                   1);
  assert_non_null(strstr(out, "preferred-batch-sizes"));
  assert_int_equal(blockfuse("serve --check 2", out, sizeof out), 2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_help),
      cmocka_unit_test(test_classify_cli),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_bench_cli),
      cmocka_unit_test(test_integer_options),
      cmocka_unit_test(test_option_messages),
      cmocka_unit_test(test_input_files),
      cmocka_unit_test(test_model_errors),
      cmocka_unit_test(test_default_model),
      cmocka_unit_test(test_serve_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
