/* loadgen's reports: the open-loop schedule verdict (when the summary says
 * the offered rate was not sustained) at each of its thresholds, the text and
 * JSON summaries that carry it, and the --help text that states it. The
 * engine itself is tested in loadgen_test.c. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/loadgen.h"
#include "tests/loadgen_argv.h"

/* An open-loop result with the given send-lag figures. */
static loadgen_result lag_result(uint64_t sent, uint64_t late, uint64_t max_lag_us,
                                 uint64_t unsent) {
  loadgen_result r;
  memset(&r, 0, sizeof r);
  loadgen_hist_init(&r.latency);
  r.sent = r.ok = r.completed = sent;
  r.late_sends = late;
  r.max_lag_us = max_lag_us;
  r.unsent = unsent;
  r.elapsed_s = 1.0;
  return r;
}

/* Each threshold at and just past its edge. */
static void test_schedule_verdict(void **state) {
  (void)state;
  static const struct {
    uint64_t sent, late, max_lag_us, unsent;
    int want;
  } cases[] = {
      {68, 1, 1100, 0, 0}, /* the audit's case: one send 1.1 ms late out of 68 */
      {68, 0, 0, 0, 0},
      {68, 0, 0, 1, LOADGEN_LAG_UNSENT},
      {68, 3, LOADGEN_WARN_MAX_LAG_US, 0, 0}, /* at the bound: not over it */
      {68, 3, LOADGEN_WARN_MAX_LAG_US + 1, 0, LOADGEN_LAG_WORST},
      {99, 5, 2000, 0, 0},  /* 5% late, but too few sends to judge a fraction */
      {100, 1, 2000, 0, 0}, /* exactly 1%: not more than 1% */
      {100, 2, 2000, 0, LOADGEN_LAG_OFTEN},
      {25000, 47, 4000, 0, 0}, /* the batcher sweep's figures: 0.19% */
      {25000, 250, 9000, 0, 0},
      {25000, 251, 9000, 0, LOADGEN_LAG_OFTEN},
      {1000, 900, 400000, 7, LOADGEN_LAG_UNSENT | LOADGEN_LAG_WORST | LOADGEN_LAG_OFTEN},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    loadgen_result r =
        lag_result(cases[i].sent, cases[i].late, cases[i].max_lag_us, cases[i].unsent);
    int got = loadgen_schedule_verdict(&r);
    if (got != cases[i].want)
      fail_msg("case %zu (sent %llu, late %llu, max lag %llu us, unsent %llu): verdict %d, want %d",
               i, (unsigned long long)cases[i].sent, (unsigned long long)cases[i].late,
               (unsigned long long)cases[i].max_lag_us, (unsigned long long)cases[i].unsent, got,
               cases[i].want);
  }
}

/* Renders the text and JSON summaries of r into malloc'd strings. */
static void render(const loadgen_config *c, const loadgen_result *r, char **text, char **json) {
  size_t n;
  FILE *f = open_memstream(text, &n);
  assert_non_null(f);
  loadgen_report_text(c, r, f);
  fclose(f);
  f = open_memstream(json, &n);
  assert_non_null(f);
  loadgen_report_json(c, r, f);
  fclose(f);
}

/* The summaries warn (text) and say rate_sustained (JSON) by the verdict,
 * naming the reason; closed-loop summaries say neither. */
static void test_report_rate_warning(void **state) {
  (void)state;
  loadgen_config c;
  char err[256], *text, *json;
  assert_int_equal(
      loadgen_test_parse(&c, err, "--api", "v2", "-r", "50", "http://127.0.0.1:1", NULL), 0);

  loadgen_result r = lag_result(68, 1, 1100, 0);
  render(&c, &r, &text, &json);
  assert_non_null(strstr(text, "1 sends >1 ms late (worst 1.100 ms), 0 never sent"));
  assert_null(strstr(text, "warning"));
  assert_non_null(strstr(json, "\"rate_sustained\":true}"));
  free(text);
  free(json);

  r = lag_result(68, 2, 12500, 0);
  render(&c, &r, &text, &json);
  assert_non_null(
      strstr(text, "warning    the offered rate was not sustained (a send 12.5 ms late"));
  assert_non_null(strstr(json, "\"rate_sustained\":false}"));
  free(text);
  free(json);

  r = lag_result(200, 3, 3000, 2);
  render(&c, &r, &text, &json);
  assert_non_null(strstr(text, "(requests never sent, 1.5% of sends late, over 1%)"));
  free(text);
  free(json);

  assert_int_equal(
      loadgen_test_parse(&c, err, "--api", "v2", "-c", "2", "http://127.0.0.1:1", NULL), 0);
  r = lag_result(68, 0, 0, 0);
  render(&c, &r, &text, &json);
  assert_null(strstr(text, "schedule"));
  assert_null(strstr(json, "rate_sustained"));
  free(text);
  free(json);
}

/* The client's own CPU: always reported, a warning from 90 % of a core. */
static void test_report_client_cpu(void **state) {
  (void)state;
  loadgen_config c;
  char err[256], *text, *json;
  assert_int_equal(
      loadgen_test_parse(&c, err, "--api", "v2", "-c", "8", "http://127.0.0.1:1", NULL), 0);
  loadgen_result r = lag_result(68, 0, 0, 0);
  r.client_cpu = 0.42;
  render(&c, &r, &text, &json);
  assert_non_null(strstr(text, "client     42% of one core\n"));
  assert_null(strstr(text, "warning"));
  assert_non_null(strstr(json, "\"client_cpu\":0.420"));
  free(text);
  free(json);
  r.client_cpu = 0.97;
  render(&c, &r, &text, &json);
  assert_non_null(strstr(text, "warning    loadgen's busiest thread was busy 97% of the run"));
  assert_non_null(strstr(json, "\"client_cpu\":0.970"));
  free(text);
  free(json);
}

/* The --help text states the thresholds the verdict uses. */
static void test_usage_states_thresholds(void **state) {
  (void)state;
  char *text;
  size_t n;
  FILE *f = open_memstream(&text, &n);
  assert_non_null(f);
  loadgen_usage(f);
  fclose(f);
  assert_non_null(strstr(text, "more than 1 ms after"));
  assert_non_null(strstr(text, "exceeds 10 ms"));
  assert_non_null(strstr(text, "more than 1%"));
  assert_non_null(strstr(text, "from 100 sends on"));
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_schedule_verdict),
      cmocka_unit_test(test_report_rate_warning),
      cmocka_unit_test(test_report_client_cpu),
      cmocka_unit_test(test_usage_states_thresholds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
