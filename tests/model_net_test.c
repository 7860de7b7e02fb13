/* Model repository loader and importer: the imported EfficientNet-B0 has the
 * architecture TF-Hub's model has, and configs that do not match their
 * weights, or are malformed, are refused with a message. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/backend.h"
#include "model/net.h"
#include "model/safetensors.h"
#include "tests/cpu_naive.h"
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
  /* A directory without config.json: the reason, and no "(line -1)". */
  char path[PATH_MAX];
  snprintf(path, sizeof path, "%s/empty", dir);
  assert_int_equal(mkdir(path, 0700), 0);
  assert_int_not_equal(model_net_load(path, &n, err, sizeof err), 0);
  assert_non_null(strstr(err, "config.json"));
  assert_null(strstr(err, "line"));
  assert_int_equal(rmdir(path), 0);
  /* Missing weights file. */
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  unlink(path);
  assert_int_not_equal(model_net_load(dir, &n, err, sizeof err), 0);
  assert_non_null(strstr(err, "model.safetensors"));
  snprintf(path, sizeof path, "rm -rf '%s'", dir);
  assert_int_equal(system(path), 0);
}

/* The roofline's ideal time: the larger of compute and memory time; a term
 * with an unknown (0) peak does not count. */
static void test_roofline_seconds(void **state) {
  (void)state;
  assert_true(model_roofline_seconds(2e12, 1e9, 1e12, 1e12) == 2.0); /* compute-bound */
  assert_true(model_roofline_seconds(1e9, 3e12, 1e12, 1e12) == 3.0); /* memory-bound */
  assert_true(model_roofline_seconds(2e12, 3e12, 0, 1e12) == 3.0);   /* no FLOP peak */
  assert_true(model_roofline_seconds(2e12, 3e12, 1e12, 0) == 2.0);   /* no bandwidth peak */
  assert_true(model_roofline_seconds(2e12, 3e12, 0, 0) == 0.0);
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

/* ---- a tiny non-EfficientNet repository, written by the test ------------- */

/* ConvNeXt-style patchify stem (4x4 s4 + LayerNorm), a convnext block, a
 * LayerNorm + 2x2 s2 downsample, a grouped convfirst block (group width 8),
 * a MobileNetV2-style mbconv (relu6, no SE) and a LayerNorm head without a
 * conv. "same" padding: the k = s convs get no padding, as in ConvNeXt. */
static const char tiny_config[] =
    "{\"format_version\": 1, \"name\": \"tiny\", \"architecture\": \"convnext-mix\",\n"
    " \"input\": {\"height\": 32, \"width\": 32, \"channels\": 3},\n"
    " \"preprocessing\": {\"resize_shorter\": 36, \"mean\": [123.675, 116.28, 103.53],\n"
    "                   \"std\": [58.395, 57.12, 57.375]},\n"
    " \"padding\": \"same\", \"max_batch_size\": 4, \"num_classes\": 10,\n"
    " \"blocks\": [\n"
    "  {\"name\": \"stem\", \"kind\": \"stem\", \"kernel\": 4, \"stride\": 4, \"out\": 16,\n"
    "   \"act\": \"none\", \"ln_eps\": 1e-6},\n"
    "  {\"name\": \"cn\", \"kind\": \"convnext\", \"kernel\": 7, \"mid\": 64, \"ln_eps\": 1e-6},\n"
    "  {\"name\": \"ds\", \"kind\": \"downsample\", \"kernel\": 2, \"stride\": 2, \"out\": 32,\n"
    "   \"ln_eps\": 1e-5},\n"
    "  {\"name\": \"cf\", \"kind\": \"convfirst\", \"kernel\": 3, \"group_width\": 8, \"mid\": "
    "64,\n"
    "   \"out\": 32, \"act\": \"relu6\"},\n"
    "  {\"name\": \"mb\", \"kind\": \"mbconv\", \"kernel\": 3, \"stride\": 1, \"mid\": 192,\n"
    "   \"out\": 32, \"se\": 0, \"act\": \"relu6\"},\n"
    "  {\"name\": \"head\", \"kind\": \"head\", \"ln_eps\": 1e-6}\n"
    " ]}\n";

/* One weight of the tiny model. fan_in > 0: uniform in +-1/sqrt(fan_in);
 * 0: a LayerNorm gamma, uniform in [0.5, 1.5). */
typedef struct {
  const char *name;
  int ndim;
  int64_t shape[4];
  int fan_in;
} tiny_tensor;

static const tiny_tensor tiny_tensors[] = {
    {"stem.conv.weight", 4, {4, 4, 3, 16}, 48},
    {"stem.conv.bias", 1, {16}, 1},
    {"stem.norm.weight", 1, {16}, 0},
    {"stem.norm.bias", 1, {16}, 1},
    {"cn.dw.weight", 3, {7, 7, 16}, 49},
    {"cn.dw.bias", 1, {16}, 1},
    {"cn.norm.weight", 1, {16}, 0},
    {"cn.norm.bias", 1, {16}, 1},
    {"cn.expand.weight", 2, {16, 64}, 16},
    {"cn.expand.bias", 1, {64}, 1},
    {"cn.project.weight", 2, {64, 16}, 64},
    {"cn.project.bias", 1, {16}, 1},
    {"cn.layer_scale", 1, {16}, 1},
    {"ds.norm.weight", 1, {16}, 0},
    {"ds.norm.bias", 1, {16}, 1},
    {"ds.conv.weight", 4, {2, 2, 16, 32}, 64},
    {"ds.conv.bias", 1, {32}, 1},
    {"cf.conv.weight", 4, {3, 3, 8, 32}, 72},
    {"cf.conv.bias", 1, {32}, 1},
    {"cf.expand.weight", 2, {32, 64}, 32},
    {"cf.expand.bias", 1, {64}, 1},
    {"cf.project.weight", 2, {64, 32}, 64},
    {"cf.project.bias", 1, {32}, 1},
    {"mb.expand.weight", 2, {32, 192}, 32},
    {"mb.expand.bias", 1, {192}, 1},
    {"mb.dw.weight", 3, {3, 3, 192}, 9},
    {"mb.dw.bias", 1, {192}, 1},
    {"mb.project.weight", 2, {192, 32}, 192},
    {"mb.project.bias", 1, {32}, 1},
    {"head.norm.weight", 1, {32}, 0},
    {"head.norm.bias", 1, {32}, 1},
    {"head.fc.weight", 2, {32, 10}, 32},
    {"head.fc.bias", 1, {10}, 1},
};
#define TINY_N (sizeof tiny_tensors / sizeof tiny_tensors[0])

/* Writes the tiny repository into dir with fresh random weights. If change
 * is non-NULL, that tensor gets its shape instead (or is added, when its
 * name is not one of the model's). */
static void make_tiny(const char *dir, const tiny_tensor *change) {
  char path[PATH_MAX], err[256];
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_int_equal(fputs(tiny_config, f) >= 0, 1);
  assert_int_equal(fclose(f), 0);
  snprintf(path, sizeof path, "%s/labels.txt", dir);
  f = fopen(path, "w");
  assert_non_null(f);
  for (int i = 0; i < 10; i++) fprintf(f, "class %d\n", i);
  assert_int_equal(fclose(f), 0);
  tiny_tensor t[TINY_N + 1];
  memcpy(t, tiny_tensors, sizeof tiny_tensors);
  int n = (int)TINY_N, found = 0;
  for (int i = 0; change && i < n; i++)
    if (strcmp(t[i].name, change->name) == 0) t[i] = *change, found = 1;
  if (change && !found) t[n++] = *change;
  const char *names[TINY_N + 1];
  int ndims[TINY_N + 1];
  int64_t shapes[TINY_N + 1][4];
  float *data[TINY_N + 1];
  for (int i = 0; i < n; i++) {
    size_t numel = 1;
    for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
    data[i] = malloc(numel * sizeof(float));
    assert_non_null(data[i]);
    float s = t[i].fan_in ? 1.0f / sqrtf((float)t[i].fan_in) : 0.5f;
    test_fill_random(data[i], numel, t[i].fan_in ? -s : 0.5f, t[i].fan_in ? s : 1.5f);
    names[i] = t[i].name, ndims[i] = t[i].ndim;
    memcpy(shapes[i], t[i].shape, sizeof shapes[i]);
  }
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  int rc = safetensors_write_f32(path, n, names, ndims, (const int64_t(*)[4])shapes,
                                 (const float *const *)data, err, sizeof err);
  if (rc) fail_msg("safetensors_write_f32: %s", err);
  for (int i = 0; i < n; i++) free(data[i]);
}

/* Runs the loaded net block by block through the naive loops on one image. */
static void naive_net(const model_net *n, const uint8_t *img, float *logits) {
  size_t most = 0;
  for (int i = 0; i < n->n_blocks; i++) {
    size_t e = (size_t)n->blocks[i].out_h * n->blocks[i].out_w * n->blocks[i].out_c;
    if (e > most) most = e;
  }
  float *a = malloc(most * sizeof(float)), *b = malloc(most * sizeof(float));
  assert_non_null(a);
  assert_non_null(b);
  const void *in = img;
  for (int i = 0; i < n->n_blocks; i++) {
    float *out = i == n->n_blocks - 1 ? logits : (i % 2 ? b : a);
    naive_block(&n->blocks[i], n->mean, n->std, in, out);
    in = out;
  }
  free(a), free(b);
}

static void test_tiny_convnext_mix(void **state) {
  (void)state;
  char tmpl[] = "/tmp/model_net_tiny_XXXXXX";
  char *dir = mkdtemp(tmpl);
  assert_non_null(dir);
  make_tiny(dir, NULL);
  model_net n;
  char err[512] = "";
  int rc = model_net_load(dir, &n, err, sizeof err);
  if (rc) fail_msg("load: %s", err);
  assert_int_equal(n.n_blocks, 6);
  assert_int_equal(n.num_classes, 10);
  assert_string_equal(n.labels[9], "class 9");
  static const struct {
    model_block_kind kind;
    int in_h, in_c, out_h, out_c, kernel, stride, pad, groups, mid, residual;
    model_act act;
  } want[] = {
      {MODEL_BLOCK_STEM, 32, 3, 8, 16, 4, 4, 0, 1, 3, 0, MODEL_ACT_NONE},
      {MODEL_BLOCK_CONVNEXT, 8, 16, 8, 16, 7, 1, 3, 16, 64, 1, MODEL_ACT_GELU},
      {MODEL_BLOCK_DOWNSAMPLE, 8, 16, 4, 32, 2, 2, 0, 1, 16, 0, MODEL_ACT_NONE},
      {MODEL_BLOCK_CONVFIRST, 4, 32, 4, 32, 3, 1, 1, 4, 64, 1, MODEL_ACT_RELU6},
      {MODEL_BLOCK_MBCONV, 4, 32, 4, 32, 3, 1, 1, 192, 192, 1, MODEL_ACT_RELU6},
      {MODEL_BLOCK_HEAD, 4, 32, 1, 10, 1, 1, 0, 1, 0, 0, MODEL_ACT_NONE},
  };
  for (int i = 0; i < 6; i++) {
    const model_block *b = &n.blocks[i];
    if (b->kind != want[i].kind || b->in_h != want[i].in_h || b->in_w != want[i].in_h ||
        b->in_c != want[i].in_c || b->out_h != want[i].out_h || b->out_w != want[i].out_h ||
        b->out_c != want[i].out_c || b->kernel != want[i].kernel || b->stride != want[i].stride ||
        b->groups != want[i].groups || b->mid_c != want[i].mid || b->residual != want[i].residual ||
        b->act != want[i].act ||
        (b->kind != MODEL_BLOCK_HEAD && (b->pad_t != want[i].pad || b->pad_l != want[i].pad)))
      fail_msg(
          "block %d '%s' (%s) resolved to %dx%dx%d -> %dx%dx%d k%d s%d pad %d,%d g%d mid %d "
          "res %d act %s",
          i, b->name, model_block_kind_name(b->kind), b->in_h, b->in_w, b->in_c, b->out_h, b->out_w,
          b->out_c, b->kernel, b->stride, b->pad_t, b->pad_l, b->groups, b->mid_c, b->residual,
          model_act_name(b->act));
  }
  /* The LayerNorms and their epsilons, including the stem's. */
  assert_non_null(n.blocks[0].norm_w.data);
  assert_int_equal(n.blocks[0].norm_b.shape[0], 16);
  assert_float_equal(n.blocks[2].ln_eps, 1e-5, 1e-9);
  assert_float_equal(n.blocks[0].ln_eps, 1e-6, 1e-10);
  assert_non_null(n.blocks[1].layer_scale.data);
  assert_non_null(n.blocks[2].norm_w.data);
  assert_int_equal(n.blocks[3].conv_w.shape[2], 8); /* Cin / groups */
  assert_null(n.blocks[4].se_reduce_w.data);
  assert_non_null(n.blocks[5].norm_w.data);
  assert_null(n.blocks[5].expand_w.data);
  assert_int_equal(n.blocks[5].fc_w.shape[1], 10);

  /* The CPU backend runs it, and agrees with the naive loops block by block. */
  enum { IMGS = 3 };
  const size_t img = 32 * 32 * 3;
  uint8_t px[IMGS * 32 * 32 * 3];
  float r[IMGS * 32 * 32 * 3], logits[IMGS * 10], ref[IMGS * 10];
  test_fill_random(r, IMGS * img, 0.0f, 256.0f);
  for (size_t i = 0; i < IMGS * img; i++) px[i] = (uint8_t)(r[i] < 255.0f ? r[i] : 255.0f);
  for (int i = 0; i < IMGS * 10; i++) logits[i] = NAN;
  model_backend be;
  model_backend_config cfg = {.threads = 2};
  rc = model_backend_open(&be, "cpu", &n, &cfg, err, sizeof err);
  if (rc) fail_msg("cpu backend: %s", err);
  rc = be.ops->run(be.self, px, IMGS, logits, err, sizeof err);
  if (rc) fail_msg("run: %s", err);
  model_backend_close(&be);
  for (int i = 0; i < IMGS * 10; i++) assert_true(isfinite(logits[i]));
  for (int i = 0; i < IMGS; i++) naive_net(&n, px + i * img, ref + i * 10);
  double e = test_rel_err(logits, ref, IMGS * 10);
  if (!(e < 1e-4)) fail_msg("tiny net logits vs naive loops: rel err %g", e);
  assert_true(test_rel_err(logits, logits + 10, 10) > 1e-3); /* images are told apart */

  /* The CUDA backend has no stem LayerNorm: it must refuse, never run it. */
  if (model_backend_devices("cuda", NULL) > 0) {
    rc = model_backend_open(&be, "cuda", &n, NULL, err, sizeof err);
    if (rc == 0) model_backend_close(&be);
    assert_int_equal(rc, -ENOTSUP);
    if (!strstr(err, "stem") || !strstr(err, "LayerNorm"))
      fail_msg("cuda refusal does not name the stem LayerNorm: %s", err);
  }
  model_net_free(&n);

  /* Weights that disagree with the config are refused with a message. */
  static const struct {
    tiny_tensor t;
    const char *expect;
  } bad[] = {
      {{"cf.conv.weight", 4, {3, 3, 32, 32}, 1},
       "'cf.conv.weight' has shape [3,3,32,32], "
       "expected [3,3,8,32]"},
      {{"stem.norm.weight", 1, {3}, 1}, "'stem.norm.weight' has shape [3], expected [16]"},
      {{"cn.layer_scale", 1, {64}, 1}, "'cn.layer_scale' has shape [64], expected [16]"},
      {{"mb.se_reduce.weight", 2, {192, 8}, 1}, "takes no tensor 'mb.se_reduce.weight'"},
      {{"cf.norm.weight", 1, {32}, 1}, "takes no tensor 'cf.norm.weight'"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    make_tiny(dir, &bad[i].t);
    err[0] = 0;
    rc = model_net_load(dir, &n, err, sizeof err);
    if (rc == 0) fail_msg("case %zu (%s) loaded", i, bad[i].t.name);
    assert_int_equal(rc, -EINVAL);
    if (!strstr(err, bad[i].expect))
      fail_msg("case %zu: message '%s' does not say '%s'", i, err, bad[i].expect);
  }
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  test_seed();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tiny_convnext_mix),
      cmocka_unit_test(test_efficientnet_b0_structure),
      cmocka_unit_test(test_refuses_mismatched_configs),
      cmocka_unit_test(test_conv_out_padding),
      cmocka_unit_test(test_roofline_seconds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
