/* The TF.js importer as a program: it reproduces the built model repository
 * byte for byte, and refuses truncated shards, a broken manifest and bad
 * arguments with a message and a non-zero exit. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/test_support.h"

static char tmpdir[PATH_MAX];

static int run(const char *cmd, char *out, size_t outlen) {
  int rc = test_run_cmd(cmd, out, outlen);
  assert_true(rc >= 0);
  return rc;
}

static int setup(void **state) {
  (void)state;
  char t[] = "/tmp/import_test_XXXXXX";
  if (!mkdtemp(t)) return -1;
  snprintf(tmpdir, sizeof tmpdir, "%s", t);
  char cmd[4 * 4200], out[4096];
  snprintf(cmd, sizeof cmd, "cp -rL '%s' '%s/graph'",
           test_runfile("efficientnet_b0_tfjs/lib/tfjs/web_model"), tmpdir);
  return run(cmd, out, sizeof out);
}

static int teardown(void **state) {
  (void)state;
  char cmd[PATH_MAX + 16], out[64];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return run(cmd, out, sizeof out);
}

static int import_into(const char *graph, const char *out_dir, char *out, size_t outlen) {
  char cmd[4 * 4200];
  snprintf(cmd, sizeof cmd, "'%s' --graph '%s' --labels '%s' --out '%s'",
           test_runfile("blockfuse/model/import_tfjs"), graph,
           test_runfile("efficientnet_b0_tfjs/misc/labels_map.json"), out_dir);
  return run(cmd, out, outlen);
}

static void test_reproduces_built_model(void **state) {
  (void)state;
  char graph[PATH_MAX + 8], out_dir[PATH_MAX + 8], out[4096], cmd[8192];
  snprintf(graph, sizeof graph, "%s/graph", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m", tmpdir);
  int rc = import_into(graph, out_dir, out, sizeof out);
  if (rc) fail_msg("import failed: %s", out);
  const char *files[] = {"config.json", "model.safetensors", "labels.txt"};
  for (int i = 0; i < 3; i++) {
    snprintf(cmd, sizeof cmd, "cmp '%s/%s' '%s/%s'", out_dir, files[i],
             test_runfile("blockfuse/models/efficientnet_b0"), files[i]);
    assert_int_equal(run(cmd, out, sizeof out), 0);
  }
}

static void test_truncated_shard(void **state) {
  (void)state;
  char cmd[4 * 4200], out[4096], graph[PATH_MAX + 8], out_dir[PATH_MAX + 8];
  snprintf(graph, sizeof graph, "%s/bad", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m2", tmpdir);
  snprintf(cmd, sizeof cmd, "cp -r '%s/graph' '%s' && truncate -s -100 '%s/group1-shard6of6.bin'",
           tmpdir, graph, graph);
  assert_int_equal(run(cmd, out, sizeof out), 0);
  assert_int_equal(import_into(graph, out_dir, out, sizeof out), 1);
  assert_non_null(strstr(out, "import_tfjs: "));
  assert_non_null(strstr(out, "past the end"));
  /* A missing shard names the file. */
  snprintf(cmd, sizeof cmd, "rm '%s/group1-shard3of6.bin'", graph);
  assert_int_equal(run(cmd, out, sizeof out), 0);
  assert_int_equal(import_into(graph, out_dir, out, sizeof out), 1);
  assert_non_null(strstr(out, "group1-shard3of6.bin"));
}

static void test_broken_manifest_and_args(void **state) {
  (void)state;
  char cmd[4 * 4200], out[4096], graph[PATH_MAX + 8], out_dir[PATH_MAX + 8];
  snprintf(graph, sizeof graph, "%s/bad2", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m3", tmpdir);
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s' && echo '{\"format\": \"graph-model\"' > '%s/model.json'", graph, graph);
  assert_int_equal(run(cmd, out, sizeof out), 0);
  assert_int_equal(import_into(graph, out_dir, out, sizeof out), 1);
  assert_non_null(strstr(out, "model.json"));
  snprintf(cmd, sizeof cmd, "'%s' --graph", test_runfile("blockfuse/model/import_tfjs"));
  assert_int_equal(run(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "needs a value"));
  snprintf(cmd, sizeof cmd, "'%s' --bogus x", test_runfile("blockfuse/model/import_tfjs"));
  assert_int_equal(run(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "unknown option"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reproduces_built_model),
      cmocka_unit_test(test_truncated_shard),
      cmocka_unit_test(test_broken_manifest_and_args),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
