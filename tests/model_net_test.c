/* Model repository loader and importer: the imported EfficientNet-B0 has the
 * architecture TF-Hub's model has, and configs that do not match their
 * weights, or are malformed, are refused with a message. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/net.h"
#include "tests/test_support.h"

static const char *model_dir(void) {
  return test_runfile("blockfuse/models/efficientnet_b0");
}

static void test_efficientnet_b0_structure(void **state) {
  (void)state;
  model_net n;
  char err[512];
  int rc = model_net_load(model_dir(), &n, err, sizeof err);
  if (rc) fail_msg("load: %s", err);
  assert_int_equal(n.n_blocks, 18); /* stem + 16 MBConv + head */
  assert_int_equal(n.in_h, 224);
  assert_int_equal(n.num_classes, 1000);
  assert_string_equal(n.labels[388],
                      "giant panda, panda, panda bear, coon bear, Ailuropoda melanoleuca");
  assert_true(strncmp(n.labels[817], "sports car", 10) == 0);
  /* Normalisation constants come out of the graph (ImageNet mean/std in pixels). */
  assert_float_equal(n.mean[0], 123.675, 1e-3);
  assert_float_equal(n.std[2], 57.375, 1e-3);
  const model_block *stem = &n.blocks[0];
  assert_int_equal(stem->kind, MODEL_BLOCK_STEM);
  assert_int_equal(stem->out_h, 112);
  assert_int_equal(stem->pad_t, 0); /* TF SAME at stride 2: the extra pad goes bottom/right */
  assert_int_equal(stem->act, MODEL_ACT_SWISH);
  /* Block widths, kernels and strides of EfficientNet-B0. */
  static const int out_c[] = {16,  24,  24,  40,  40,  80,  80,  80,
                              112, 112, 112, 192, 192, 192, 192, 320};
  static const int kern[] = {3, 3, 3, 5, 5, 3, 3, 3, 5, 5, 5, 5, 5, 5, 5, 3};
  static const int strd[] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1};
  int residuals = 0;
  for (int i = 0; i < 16; i++) {
    const model_block *b = &n.blocks[1 + i];
    assert_int_equal(b->kind, MODEL_BLOCK_MBCONV);
    assert_int_equal(b->out_c, out_c[i]);
    assert_int_equal(b->kernel, kern[i]);
    assert_int_equal(b->stride, strd[i]);
    assert_int_equal(b->mid_c, i == 0 ? 32 : 6 * b->in_c);
    assert_int_equal(b->se_c, (i == 0 ? 32 : b->in_c) / 4);
    assert_true(i == 0 ? b->expand_w.data == NULL : b->expand_w.data != NULL);
    assert_non_null(b->se_reduce_w.data);
    assert_non_null(b->project_b.data);
    residuals += b->residual;
  }
  assert_int_equal(residuals, 9);
  const model_block *head = &n.blocks[17];
  assert_int_equal(head->kind, MODEL_BLOCK_HEAD);
  assert_int_equal(head->in_h, 7);
  assert_int_equal(head->mid_c, 1280);
  assert_int_equal(head->fc_w.shape[0], 1280);
  assert_int_equal(head->fc_w.shape[1], 1000);
  double flops = 0;
  for (int i = 0; i < n.n_blocks; i++) flops += model_block_flops(&n.blocks[i], 1);
  assert_true(flops > 0.76e9 && flops < 0.79e9); /* B0: 0.39 GMAC */
  assert_true(model_block_flops(&n.blocks[3], 8) == 8 * model_block_flops(&n.blocks[3], 1));
  model_net_free(&n);
}

/* Writes dir/config.json from the real one with one substitution applied,
 * and links the real weights and labels. */
static void make_variant(const char *dir, const char *from, const char *to) {
  char path[PATH_MAX];
  size_t len;
  snprintf(path, sizeof path, "%s/config.json", model_dir());
  char *cfg = (char *)test_read_file(path, &len);
  assert_non_null(cfg);
  cfg[len] = 0;
  char *hit = from ? strstr(cfg, from) : NULL;
  if (from) assert_non_null(hit);
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  if (hit) {
    fwrite(cfg, 1, (size_t)(hit - cfg), f);
    fputs(to, f);
    fputs(hit + strlen(from), f);
  } else {
    fputs(cfg, f);
  }
  fclose(f);
  free(cfg);
  const char *files[] = {"model.safetensors", "labels.txt"};
  for (int i = 0; i < 2; i++) {
    char src[PATH_MAX], dst[PATH_MAX];
    snprintf(src, sizeof src, "%s/%s", model_dir(), files[i]);
    snprintf(dst, sizeof dst, "%s/%s", dir, files[i]);
    unlink(dst);
    char *real = realpath(src, NULL);
    assert_non_null(real);
    assert_int_equal(symlink(real, dst), 0);
    free(real);
  }
}

static void test_refuses_mismatched_configs(void **state) {
  (void)state;
  static const struct {
    const char *from, *to, *expect;
  } cases[] = {
      {"\"out\": 16", "\"out\": 17", "shape"}, /* width disagrees with weights */
      {"\"kind\": \"mbconv\"", "\"kind\": \"mbconvx\"", "unknown kind"},
      {"\"padding\": \"same\"", "\"padding\": \"valid\"", "padding"},
      {"\"format_version\": 1", "\"format_version\": 2", "format_version"},
      {"\"se\": 8", "\"se\": 0", "takes no tensor"}, /* SE weights present but not declared */
      {"\"num_classes\": 1000", "\"num_classes\": 999", "shape"},
      {"\"act\": \"swish\"", "\"act\": \"tanh\"", "activation"},
      {"\"kernel\": 3", "\"kernel\": 99", "range"},
      {"\"blocks\": [", "\"blocks\": 5, \"x\": [", "blocks"},
      {"{", "{,", "line"}, /* not JSON */
  };
  char tmpl[] = "/tmp/model_net_test_XXXXXX";
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    make_variant(dir, cases[i].from, cases[i].to);
    model_net n;
    char err[512] = "";
    int rc = model_net_load(dir, &n, err, sizeof err);
    if (rc == 0) fail_msg("case %zu (%s) loaded", i, cases[i].to);
    if (!strstr(err, cases[i].expect))
      fail_msg("case %zu: message '%s' does not mention '%s'", i, err, cases[i].expect);
  }
  /* The unmodified copy loads: the variants failed for their change alone. */
  make_variant(dir, NULL, NULL);
  model_net n;
  char err[512];
  assert_int_equal(model_net_load(dir, &n, err, sizeof err), 0);
  model_net_free(&n);
  /* Missing weights file. */
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  unlink(path);
  assert_int_not_equal(model_net_load(dir, &n, err, sizeof err), 0);
  assert_non_null(strstr(err, "model.safetensors"));
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  assert_int_equal(system(path), 0);
}

static void test_conv_out_padding(void **state) {
  (void)state;
  int pad;
  assert_int_equal(model_conv_out(224, 3, 2, 1, &pad), 112);
  assert_int_equal(pad, 0);
  assert_int_equal(model_conv_out(112, 5, 2, 1, &pad), 56);
  assert_int_equal(pad, 1);
  assert_int_equal(model_conv_out(7, 5, 1, 1, &pad), 7);
  assert_int_equal(pad, 2);
  assert_int_equal(model_conv_out(224, 3, 2, 0, &pad), 112);
  assert_int_equal(pad, 1);
  assert_int_equal(model_conv_out(15, 3, 2, 0, &pad), 8);
  assert_int_equal(model_conv_out(15, 3, 2, 1, &pad), 8);
  assert_int_equal(pad, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_efficientnet_b0_structure),
      cmocka_unit_test(test_refuses_mismatched_configs),
      cmocka_unit_test(test_conv_out_padding),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
