/* serve configuration: defaults, config file < environment < flags, range
 * and syntax errors, --help; and the JSON log line format. */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/serve_config.h"
#include "server/serve_log.h"

static void test_defaults(void **state) {
  serve_config c;
  char err[300];
  char *argv[] = {"serve", NULL};
  assert_int_equal(serve_config_load(&c, 1, argv, err, sizeof err), 0);
  assert_int_equal(c.port, 8000);
  assert_string_equal(c.backend, "auto");
  assert_string_equal(c.gpus, "all");
  assert_int_equal(c.max_queue_size, 256);
  assert_int_equal(c.max_body_bytes, 67108864);
  assert_int_equal(c.help, 0);
}

static void test_precedence(void **state) {
  char path[] = "/tmp/bfcfgXXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *txt =
      "# comment\nport = 9001\nmax_queue_size = 7\nhost = \"127.0.0.1\"\n"
      "idle-timeout-s = 5  # trailing comment\n";
  assert_int_equal(write(fd, txt, strlen(txt)), (ssize_t)strlen(txt));
  close(fd);
  setenv("BLOCKFUSE_MAX_QUEUE_SIZE", "9", 1);
  setenv("BLOCKFUSE_IDLE_TIMEOUT_S", "6", 1);
  char *argv[] = {"serve", "--config", path, "--idle-timeout-s=8", "--top-k", "3", NULL};
  serve_config c;
  char err[300];
  assert_int_equal(serve_config_load(&c, 6, argv, err, sizeof err), 0);
  assert_int_equal(c.port, 9001);           /* file */
  assert_string_equal(c.host, "127.0.0.1"); /* file, quotes stripped */
  assert_int_equal(c.max_queue_size, 9);    /* env beats file */
  assert_int_equal(c.idle_timeout_s, 8);    /* flag beats env */
  assert_int_equal(c.top_k, 3);
  unsetenv("BLOCKFUSE_MAX_QUEUE_SIZE");
  unsetenv("BLOCKFUSE_IDLE_TIMEOUT_S");
  unlink(path);
}

static void test_errors(void **state) {
  serve_config c;
  char err[300];
  char *a1[] = {"serve", "--port", "70000", NULL};
  assert_int_equal(serve_config_load(&c, 3, a1, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "port"));
  char *a2[] = {"serve", "--no-such-thing", "1", NULL};
  assert_int_equal(serve_config_load(&c, 3, a2, err, sizeof err), -EINVAL);
  char *a3[] = {"serve", "--executors", NULL};
  assert_int_equal(serve_config_load(&c, 2, a3, err, sizeof err), -EINVAL);
  char *a4[] = {"serve", "--max-queue-size=12abc", NULL};
  assert_int_equal(serve_config_load(&c, 2, a4, err, sizeof err), -EINVAL);
  char *a5[] = {"serve", "--log-format=xml", NULL};
  assert_int_equal(serve_config_load(&c, 2, a5, err, sizeof err), -EINVAL);
  char *a6[] = {"serve", "--config=/nonexistent/blockfuse.conf", NULL};
  assert_int_equal(serve_config_load(&c, 2, a6, err, sizeof err), -EINVAL);
  setenv("BLOCKFUSE_PORT", "abc", 1);
  char *a7[] = {"serve", NULL};
  assert_int_equal(serve_config_load(&c, 1, a7, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "BLOCKFUSE_PORT"));
  unsetenv("BLOCKFUSE_PORT");
  char *a8[] = {"serve", "--help", NULL};
  assert_int_equal(serve_config_load(&c, 2, a8, err, sizeof err), 0);
  assert_int_equal(c.help, 1);
}

/* --help names every option with its default. */
static void test_usage(void **state) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  serve_config_usage(f);
  fclose(f);
  const char *want[] = {"--port ",          "--max-body-bytes",   "--max-connections",
                        "--idle-timeout-s", "--max-image-pixels", "--max-batch-size",
                        "--grace-period-s", "(default: 8000)"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) assert_non_null(strstr(buf, want[i]));
  free(buf);
}

/* A JSON log line parses and carries the key/value pairs. */
static void test_json_log(void **state) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  int saved = dup(STDERR_FILENO);
  dup2(p[1], STDERR_FILENO);
  serve_logger lg = {1, SERVE_LOG_INFO};
  char q[64];
  serve_log(&lg, SERVE_LOG_INFO, "listening",
            "port=%d msg=\"%s\" ratio=%.2f big=1e9 neg=-3 ready=true ver=\"2\" lead=007 ip=1.2.3.4 "
            "inf=inf dot=1. name=efficientnet_b0",
            8123, serve_log_quote("a \"b\" c", q, sizeof q), 0.25);
  serve_log(&lg, SERVE_LOG_DEBUG, "dropped", NULL);
  dup2(saved, STDERR_FILENO);
  close(p[1]);
  char buf[1024] = "";
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  close(p[0]);
  assert_true(n > 0);
  buf[n] = 0;
  assert_int_equal(strchr(buf, '\n') - buf, n - 1); /* exactly one line */
  json_error_t je;
  json_t *o = json_loads(buf, 0, &je);
  if (!o) fail_msg("not JSON: %s (%s)", buf, je.text);
  assert_string_equal(json_string_value(json_object_get(o, "event")), "listening");
  /* numbers and booleans are JSON literals; quoted values and non-JSON numbers are strings */
  assert_int_equal(json_integer_value(json_object_get(o, "port")), 8123);
  assert_true(json_real_value(json_object_get(o, "ratio")) == 0.25);
  assert_true(json_number_value(json_object_get(o, "big")) == 1e9);
  assert_int_equal(json_integer_value(json_object_get(o, "neg")), -3);
  assert_true(json_is_true(json_object_get(o, "ready")));
  assert_string_equal(json_string_value(json_object_get(o, "ver")), "2");
  assert_string_equal(json_string_value(json_object_get(o, "lead")), "007");
  assert_string_equal(json_string_value(json_object_get(o, "ip")), "1.2.3.4");
  assert_string_equal(json_string_value(json_object_get(o, "inf")), "inf");
  assert_string_equal(json_string_value(json_object_get(o, "dot")), "1.");
  assert_string_equal(json_string_value(json_object_get(o, "name")), "efficientnet_b0");
  assert_string_equal(json_string_value(json_object_get(o, "msg")), "a \"b\" c");
  json_decref(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults), cmocka_unit_test(test_precedence),
      cmocka_unit_test(test_errors),   cmocka_unit_test(test_usage),
      cmocka_unit_test(test_json_log),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
