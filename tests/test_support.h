/* Helpers shared by the cmocka tests: runfile paths, fresh random tensors,
 * relative-error comparison. */
#ifndef BLOCKFUSE_TESTS_TEST_SUPPORT_H
#define BLOCKFUSE_TESTS_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Absolute path of a runfile, e.g. "blockfuse/models/efficientnet_b0" or
 * "efficientnet_b0_tfjs/panda.jpg". Returns a static buffer per call slot. */
const char *test_runfile(const char *rel);

/* Reads a whole file; caller frees. NULL on failure. */
uint8_t *test_read_file(const char *path, size_t *len);

/* Runs a shell command with stderr joined to stdout; returns its exit status
 * (-1 if it did not exit normally) and as much output as fits in out. */
int test_run_cmd(const char *cmd, char *out, size_t outlen);

/* BLOCKFUSE_TEST_FILTER=PATTERN: only the matching tests of the group run
 * (cmocka's pattern: * and ?), e.g. one test under compute-sanitizer. Call
 * before cmocka_run_group_tests. */
void test_filter_from_env(void);

/* For GPU tests: returns 0 when `devices` (cuda_device_count()) is positive.
 * Otherwise skips the current cmocka test with a message, and returns 1; or
 * fails it where BLOCKFUSE_GPU_TESTS=1 asked for a real GPU run. */
int test_need_gpu(int devices);

/* Fills x with uniform values in [lo, hi) from a seed drawn fresh per run
 * (time and pid), printed so that a failure can be replayed with
 * BLOCKFUSE_TEST_SEED. */
void test_fill_random(float *x, size_t n, float lo, float hi);
/* A uniform integer in [0, n) (n > 0) from the same generator. */
int test_rand_below(int n);
uint64_t test_seed(void);

/* ||out - ref|| / ||ref||; returns +inf if any element of out is NaN/inf. */
double test_rel_err(const float *out, const float *ref, size_t n);

#endif
