/* fd_limit_raise(): raises the soft RLIMIT_NOFILE to what is asked, never
 * lowers it, and reports -EMFILE with the limits when the hard limit is
 * lower than asked. The test's own limits are restored after each case. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "server/fd_limit.h"

static struct rlimit saved;

static int setup(void **state) {
  (void)state;
  return getrlimit(RLIMIT_NOFILE, &saved);
}

static int restore(void **state) {
  (void)state;
  return setrlimit(RLIMIT_NOFILE, &saved);
}

/* Soft limit lowered to 64, then raised to 500 (when the hard limit allows). */
static void test_raises(void **state) {
  (void)state;
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max < 500) skip();
  struct rlimit low = saved;
  low.rlim_cur = 64;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  unsigned long long soft = 0, hard = 0;
  assert_int_equal(fd_limit_raise(500, &soft, &hard), 0);
  assert_int_equal(soft, 500);
  struct rlimit now;
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &now), 0);
  assert_int_equal(now.rlim_cur, 500);
  assert_true(now.rlim_max == saved.rlim_max); /* the hard limit is untouched */
}

/* Asking for less than the current soft limit changes nothing. */
static void test_never_lowers(void **state) {
  (void)state;
  struct rlimit mid = saved;
  mid.rlim_cur = saved.rlim_max == RLIM_INFINITY || saved.rlim_max >= 300 ? 300 : saved.rlim_max;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &mid), 0);
  unsigned long long soft = 0, hard = 0;
  assert_int_equal(fd_limit_raise(10, &soft, &hard), 0);
  assert_int_equal(soft, mid.rlim_cur);
}

/* Past the hard limit: raised to it, -EMFILE, both limits reported. */
static void test_capped_by_hard(void **state) {
  (void)state;
  if (saved.rlim_max == RLIM_INFINITY) skip();
  struct rlimit low = saved;
  low.rlim_cur = saved.rlim_max > 64 ? 64 : saved.rlim_max;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
  unsigned long long soft = 0, hard = 0;
  assert_int_equal(fd_limit_raise((unsigned long long)saved.rlim_max + 1000, &soft, &hard),
                   -EMFILE);
  assert_int_equal(hard, saved.rlim_max);
  assert_int_equal(soft, saved.rlim_max);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_teardown(test_raises, restore),
      cmocka_unit_test_teardown(test_never_lowers, restore),
      cmocka_unit_test_teardown(test_capped_by_hard, restore),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
