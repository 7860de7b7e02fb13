/* End to end on the CPU reference backend: the real EfficientNet-B0 on the
 * package's real photos, through the same decode/resize path the server uses. */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/backend.h"
#include "server/cli.h"
#include "server/img.h"
#include "tests/test_support.h"

typedef struct {
  model_net net;
  model_backend be;
} fixture;

static int setup(void **state) {
  static fixture f;
  char err[512];
  if (model_net_load(test_runfile("blockfuse/models/efficientnet_b0"), &f.net, err, sizeof err)) {
    fprintf(stderr, "load: %s\n", err);
    return -1;
  }
  model_backend_config cfg = {.max_batch = 2, .profile_every = 1};
  if (model_backend_open(&f.be, "cpu", &f.net, &cfg, err, sizeof err)) {
    fprintf(stderr, "backend: %s\n", err);
    return -1;
  }
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  model_backend_close(&f->be);
  model_net_free(&f->net);
  return 0;
}

/* Decodes and preprocesses a sample photo into dst. */
static void prepare(const fixture *f, const char *name, uint8_t *dst) {
  size_t len;
  uint8_t *data = test_read_file(test_runfile(name), &len);
  assert_non_null(data);
  char err[512];
  int rc = img_prepare(data, len, IMG_DEFAULT_MAX_PIXELS, f->net.resize_shorter, f->net.in_w,
                       f->net.in_h, dst, err, sizeof err);
  free(data);
  if (rc) fail_msg("prepare %s: %s", name, err);
}

static void check_top1(const fixture *f, float *logits, const char *label) {
  cli_softmax(logits, f->net.num_classes);
  cli_class top[3];
  cli_top_k(logits, f->net.num_classes, 3, top);
  fprintf(stderr, "top-1 %.4f %s\n", top[0].score, f->net.labels[top[0].index]);
  assert_true(strncmp(f->net.labels[top[0].index], label, strlen(label)) == 0);
  assert_true(top[0].score > 0.5f);
  assert_true(top[0].score >= top[1].score && top[1].score >= top[2].score);
}

static void test_panda_and_car(void **state) {
  fixture *f = *state;
  size_t px = (size_t)f->net.in_h * f->net.in_w * 3;
  uint8_t *imgs = malloc(2 * px);
  float *logits = malloc(2 * (size_t)f->net.num_classes * sizeof *logits);
  float *single = malloc((size_t)f->net.num_classes * sizeof *single);
  assert_non_null(imgs);
  assert_non_null(logits);
  assert_non_null(single);
  prepare(f, "efficientnet_b0_tfjs/panda.jpg", imgs);
  prepare(f, "efficientnet_b0_tfjs/car.jpg", imgs + px);
  for (int i = 0; i < 2 * f->net.num_classes; i++) logits[i] = NAN;
  char err[512];
  assert_int_equal(f->be.ops->run(f->be.self, imgs, 2, logits, err, sizeof err), 0);
  /* Batch of two equals each image alone. */
  assert_int_equal(f->be.ops->run(f->be.self, imgs + px, 1, single, err, sizeof err), 0);
  assert_true(test_rel_err(logits + f->net.num_classes, single, (size_t)f->net.num_classes) < 1e-5);
  check_top1(f, logits, "giant panda");
  check_top1(f, logits + f->net.num_classes, "sports car");
  /* A profile was taken, one time per block, all positive. */
  double t[64];
  int batch = 0;
  assert_int_equal(f->be.ops->block_times(f->be.self, t, f->net.n_blocks, &batch), 0);
  assert_int_equal(batch, 1);
  for (int i = 0; i < f->net.n_blocks; i++) assert_true(t[i] > 0);
  free(imgs);
  free(logits);
  free(single);
}

static void test_bad_batch_refused(void **state) {
  fixture *f = *state;
  uint8_t img[16] = {0};
  float out[16];
  char err[512] = "";
  assert_int_not_equal(f->be.ops->run(f->be.self, img, 0, out, err, sizeof err), 0);
  assert_true(strlen(err) > 0);
  assert_int_not_equal(f->be.ops->run(f->be.self, img, 3, out, err, sizeof err), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_panda_and_car),
      cmocka_unit_test(test_bad_batch_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
