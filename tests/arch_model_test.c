/* bench/arch_model.c: every architecture it knows writes a repository that
 * the loader accepts with the blocks it promises, the small ones run on the
 * CPU backend to finite logits that depend on the image, and an unknown name
 * or an unwritable folder is refused with a message. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench/arch_model.h"
#include "model/backend.h"
#include "model/net.h"
#include "tests/test_support.h"

static void rm_rf(const char *dir) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

/* Blocks of each kind in net. */
static void count_kinds(const model_net *net, int *k) {
  memset(k, 0, 6 * sizeof *k);
  for (int i = 0; i < net->n_blocks; i++) k[net->blocks[i].kind]++;
}

static void test_every_arch_loads(void **state) {
  (void)state;
  /* stem, mbconv, convfirst, convnext, downsample, head */
  static const int want[][6] = {
      {1, 0, 0, 18, 3, 1}, {1, 0, 0, 3, 1, 1}, {1, 0, 12, 0, 0, 1}, {1, 0, 3, 0, 0, 1}};
  int n = 0;
  for (; arch_model_names[n]; n++) {
    char dir[] = "/tmp/bf_archt_XXXXXX", err[512];
    assert_non_null(mkdtemp(dir));
    if (arch_model_write(dir, arch_model_names[n], err, sizeof err))
      fail_msg("%s: %s", arch_model_names[n], err);
    model_net net;
    if (model_net_load(dir, &net, err, sizeof err)) fail_msg("%s: %s", arch_model_names[n], err);
    int k[6];
    count_kinds(&net, k);
    for (int j = 0; j < 6; j++) assert_int_equal(k[j], want[n][j]);
    const model_block *head = &net.blocks[net.n_blocks - 1];
    assert_int_equal(head->mid_c, 0); /* pool -> [LayerNorm] -> FC */
    assert_int_equal(head->norm_w.data != NULL, net.blocks[0].norm_w.data != NULL);
    if (strstr(arch_model_names[n], "_test")) { /* small: run it */
      model_backend cpu;
      model_backend_config cfg = {.threads = 2, .max_batch = 2};
      if (model_backend_open(&cpu, "cpu", &net, &cfg, err, sizeof err)) fail_msg("cpu: %s", err);
      const size_t ib = (size_t)net.in_h * net.in_w * 3;
      const int C = net.num_classes;
      uint8_t *img = malloc(2 * ib);
      float *f = malloc(2 * ib * sizeof *f), *out = malloc(2 * (size_t)C * sizeof *out);
      assert_true(img && f && out);
      test_fill_random(f, 2 * ib, 0.f, 256.f);
      for (size_t i = 0; i < 2 * ib; i++) img[i] = (uint8_t)f[i];
      assert_int_equal(cpu.ops->run(cpu.self, img, 2, out, err, sizeof err), 0);
      double diff = 0;
      for (int i = 0; i < 2 * C; i++) assert_true(isfinite(out[i]));
      for (int i = 0; i < C; i++) diff += fabs(out[i] - out[C + i]);
      assert_true(diff > 1e-3);
      model_backend_close(&cpu);
      free(img), free(f), free(out);
    }
    model_net_free(&net);
    rm_rf(dir);
  }
  assert_int_equal(n, 4);
}

static void test_refusals(void **state) {
  (void)state;
  char err[512] = "";
  assert_int_equal(arch_model_write("/tmp", "resnet50", err, sizeof err), -1);
  assert_non_null(strstr(err, "resnet50"));
  err[0] = 0;
  assert_int_equal(arch_model_write("/proc/no/such/dir", "convnext_test", err, sizeof err), -1);
  assert_non_null(strstr(err, "/proc/no/such/dir"));
}

int main(void) {
  test_seed();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_arch_loads),
      cmocka_unit_test(test_refusals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
