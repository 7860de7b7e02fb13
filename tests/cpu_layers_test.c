/* The CPU reference layers and blocks against naive direct loops (double
 * accumulation) on fresh random tensors: odd sizes, stride 1 and 2, kernel
 * 3/5/7, TF-SAME (asymmetric) and symmetric padding, with and without
 * expand / SE / residual / LayerNorm, several tile heights and thread counts. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/cpu_layers.h"
#include "model/net.h"
#include "tests/cpu_naive.h"
#include "tests/test_support.h"

#define TOL 1e-4

static float *fbuf(size_t n) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  assert_non_null(p);
  return p;
}

/* ---- fixtures -------------------------------------------------------------- */

/* Random arrays owned by one test, freed together. */
typedef struct {
  float *p[64];
  int n;
} arena;

static float *rnd(arena *a, size_t n, float lo, float hi) {
  assert_true(a->n < 64);
  float *x = fbuf(n);
  test_fill_random(x, n, lo, hi);
  return a->p[a->n++] = x;
}

static void arena_free(arena *a) {
  for (int i = 0; i < a->n; i++) free(a->p[i]);
  a->n = 0;
}

/* A tensor over fresh random values, scaled by 1/sqrt(fan_in). */
static model_tensor wt(arena *a, size_t numel, int fan_in) {
  float s = 1.0f / sqrtf((float)fan_in);
  return (model_tensor){rnd(a, numel, -s, s), 1, {(int64_t)numel}, numel};
}

static void poison(float *x, size_t n) {
  for (size_t i = 0; i < n; i++) x[i] = NAN;
}

/* Fills in-block shape fields: output size and pads, TF-SAME or symmetric. */
static void set_geometry(model_block *b, int h, int w, int cin, int cout, int k, int s, int tf) {
  b->in_h = h, b->in_w = w, b->in_c = cin, b->out_c = cout;
  b->kernel = k, b->stride = s;
  b->out_h = model_conv_out(h, k, s, tf, &b->pad_t);
  b->out_w = model_conv_out(w, k, s, tf, &b->pad_l);
}

static const float MEAN[3] = {123.675f, 116.28f, 103.53f}, STD[3] = {58.395f, 57.12f, 57.375f};

/* Runs b through cpu_block_forward and the naive loops on n random images. */
static void check_block(const model_block *b, int n, int threads, int tile_rows) {
  size_t in_n = (size_t)b->in_h * b->in_w * b->in_c;
  size_t out_n =
      b->kind == MODEL_BLOCK_HEAD ? (size_t)b->out_c : (size_t)b->out_h * b->out_w * b->out_c;
  float *inf = fbuf(in_n * n), *out = fbuf(out_n * n), *ref = fbuf(out_n * n);
  uint8_t *inu = malloc(in_n * n);
  assert_non_null(inu);
  test_fill_random(inf, in_n * n, -2.0f, 2.0f);
  for (size_t i = 0; i < in_n * n; i++) inu[i] = (uint8_t)((inf[i] + 2.0f) * 63.99f);
  const int stem = b->kind == MODEL_BLOCK_STEM;
  poison(out, out_n * n);
  poison(ref, out_n * n);
  char err[256] = "";
  int rc = cpu_block_forward(b, MEAN, STD, stem ? (const void *)inu : inf, n, out, threads,
                             tile_rows, err, sizeof err);
  if (rc) fail_msg("cpu_block_forward: %s", err);
  for (int i = 0; i < n; i++)
    naive_block(b, MEAN, STD, stem ? (const void *)(inu + i * in_n) : inf + i * in_n,
                ref + i * out_n);
  double e = test_rel_err(out, ref, out_n * n);
  if (!(e < TOL))
    fail_msg(
        "%s %s %dx%dx%d->%dx%dx%d k%d s%d pad %d,%d mid %d se %d res %d n %d threads %d "
        "tile %d: rel err %g",
        model_block_kind_name(b->kind), b->name, b->in_h, b->in_w, b->in_c, b->out_h, b->out_w,
        b->out_c, b->kernel, b->stride, b->pad_t, b->pad_l, b->mid_c, b->se_c, b->residual, n,
        threads, tile_rows, e);
  free(inf), free(out), free(ref), free(inu);
}

/* ---- layer tests ----------------------------------------------------------- */

static void test_activations(void **state) {
  (void)state;
  float x[301];
  test_fill_random(x, 301, -30.0f, 30.0f);
  x[0] = 0.0f, x[1] = -100.0f, x[2] = 100.0f, x[3] = 6.5f, x[4] = -0.25f;
  for (int a = MODEL_ACT_NONE; a <= MODEL_ACT_SIGMOID; a++) {
    for (int i = 0; i < 301; i++) {
      double r = naive_act((model_act)a, x[i]), got = cpu_act((model_act)a, x[i]);
      assert_true(fabs(got - r) <= 1e-6 * fabs(r) + 1e-6);
    }
  }
  /* The vectorised epilogue of the GEMM: identity weight, each activation. */
  for (int a = MODEL_ACT_NONE; a <= MODEL_ACT_SIGMOID; a++) {
    float one = 1.0f, out[301], ref[301];
    char err[128];
    assert_int_equal(cpu_pointwise(x, 301, 1, &one, NULL, 1, (model_act)a, out, err, sizeof err),
                     0);
    for (int i = 0; i < 301; i++) ref[i] = (float)naive_act((model_act)a, x[i]);
    assert_true(test_rel_err(out, ref, 301) < 1e-6);
  }
}

static void test_pointwise(void **state) {
  (void)state;
  static const int shapes[][3] = {{1, 1, 1},     {7, 3, 5},   {37, 17, 33},  {100, 96, 24},
                                  {13, 40, 240}, {64, 1, 16}, {5, 320, 1280}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    int np = shapes[s][0], ci = shapes[s][1], co = shapes[s][2];
    for (int a = MODEL_ACT_NONE; a <= MODEL_ACT_SIGMOID; a++) {
      arena ar = {0};
      float *in = rnd(&ar, (size_t)np * ci, -1, 1), *w = rnd(&ar, (size_t)ci * co, -1, 1);
      float *b = a % 2 ? NULL : rnd(&ar, co, -1, 1);
      float *out = rnd(&ar, (size_t)np * co, 0, 1), *ref = rnd(&ar, (size_t)np * co, 0, 1);
      poison(out, (size_t)np * co);
      char err[128];
      assert_int_equal(cpu_pointwise(in, np, ci, w, b, co, (model_act)a, out, err, sizeof err), 0);
      naive_pw(in, np, ci, w, b, co, (model_act)a, ref);
      double e = test_rel_err(out, ref, (size_t)np * co);
      if (!(e < TOL)) fail_msg("pointwise %dx%d->%d act %d: %g", np, ci, co, a, e);
      arena_free(&ar);
    }
  }
}

static void test_depthwise_and_conv(void **state) {
  (void)state;
  /* h, w, cin, cout, k, s, groups */
  static const int cases[][7] = {
      {9, 11, 13, 13, 3, 1, 13},  {8, 8, 16, 16, 3, 2, 16}, {7, 9, 24, 24, 5, 2, 24},
      {15, 13, 40, 40, 7, 1, 40}, {5, 5, 8, 8, 7, 2, 8},    {12, 10, 3, 32, 3, 2, 1},
      {11, 7, 6, 10, 5, 1, 2},    {6, 9, 8, 24, 2, 2, 1},   {10, 10, 12, 12, 3, 1, 3},
      {1, 1, 5, 7, 3, 1, 1},      {4, 17, 33, 33, 5, 1, 33}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int tf = 0; tf < 2; tf++) {
      const int *c = cases[i];
      int h = c[0], w = c[1], ci = c[2], co = c[3], k = c[4], s = c[5], g = c[6], pt, pl;
      int oh = model_conv_out(h, k, s, tf, &pt), ow = model_conv_out(w, k, s, tf, &pl);
      arena ar = {0};
      float *in = rnd(&ar, (size_t)h * w * ci, -1, 1);
      float *wts = rnd(&ar, (size_t)k * k * (ci / g) * co, -1, 1), *b = rnd(&ar, co, -1, 1);
      size_t on = (size_t)oh * ow * co;
      float *out = rnd(&ar, on, 0, 1), *ref = rnd(&ar, on, 0, 1);
      model_act act = (model_act)(i % 6);
      poison(out, on);
      char err[128];
      if (g == ci && ci == co)
        cpu_depthwise(in, h, w, ci, k, s, pt, pl, oh, ow, wts, b, act, out);
      else
        assert_int_equal(cpu_conv2d(in, h, w, ci, k, s, pt, pl, oh, ow, g, co, wts, b, act, out,
                                    err, sizeof err),
                         0);
      naive_conv(in, h, w, ci, k, s, pt, pl, oh, ow, g, co, wts, b, act, ref);
      double e = test_rel_err(out, ref, on);
      if (!(e < TOL)) fail_msg("conv case %zu tf %d: rel err %g", i, tf, e);
      arena_free(&ar);
    }
  }
}

static void test_layernorm(void **state) {
  (void)state;
  static const int cs[] = {1, 3, 17, 96, 768};
  for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
    arena ar = {0};
    int c = cs[i], np = 9;
    float *x = rnd(&ar, (size_t)np * c, -3, 5), *g = rnd(&ar, c, -2, 2), *b = rnd(&ar, c, -1, 1);
    float *out = rnd(&ar, (size_t)np * c, 0, 1), *ref = rnd(&ar, (size_t)np * c, 0, 1);
    memcpy(ref, x, (size_t)np * c * sizeof(float));
    poison(out, (size_t)np * c);
    cpu_layernorm(x, np, c, i % 2 ? g : NULL, i % 2 ? b : NULL, 1e-6f, out);
    naive_ln(ref, np, c, i % 2 ? g : NULL, i % 2 ? b : NULL, 1e-6f);
    /* c == 1 normalises to exactly beta: compare absolutely there. */
    assert_true(test_rel_err(out, ref, (size_t)np * c) < TOL || c == 1);
    if (c == 1)
      for (int p = 0; p < np; p++) assert_true(fabsf(out[p] - ref[p]) < 1e-5f);
    arena_free(&ar);
  }
}

/* ---- block tests ----------------------------------------------------------- */

static void test_stem(void **state) {
  (void)state;
  static const int cases[][5] = {
      {32, 32, 3, 2, 1}, {17, 23, 3, 2, 0}, {9, 9, 5, 1, 1}, {15, 12, 7, 2, 1}, {8, 8, 3, 1, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    model_block b = {.name = "stem", .kind = MODEL_BLOCK_STEM, .groups = 1};
    const int *c = cases[i];
    set_geometry(&b, c[0], c[1], 3, 8 + 8 * (int)i, c[2], c[3], c[4]);
    b.act = i % 2 ? MODEL_ACT_SWISH : MODEL_ACT_RELU6;
    b.conv_w = wt(&ar, (size_t)c[2] * c[2] * 3 * b.out_c, c[2] * c[2] * 3);
    if (i != 2) b.conv_b = wt(&ar, b.out_c, 1);
    check_block(&b, 2, 2, 0);
    check_block(&b, 1, 3, 1);
    arena_free(&ar);
  }
}

/* ConvNeXt's stem: a patchify conv (k = s, TF-SAME gives no padding when s
 * divides the input) followed by a LayerNorm over the output channels, then
 * the activation (none in ConvNeXt; others check the order LN -> act). */
static void test_stem_layernorm(void **state) {
  (void)state;
  /* h, w, k, s, tf, cout, act, norm (0: gamma + beta, 1: gamma only, 2: beta only) */
  static const int cases[][8] = {
      {32, 32, 4, 4, 1, 16, MODEL_ACT_NONE, 0}, {64, 64, 4, 4, 1, 96, MODEL_ACT_NONE, 0},
      {17, 23, 4, 4, 0, 24, MODEL_ACT_GELU, 0}, {20, 12, 3, 2, 1, 8, MODEL_ACT_RELU6, 1},
      {15, 9, 2, 2, 0, 33, MODEL_ACT_SWISH, 2}, {9, 13, 5, 1, 1, 2, MODEL_ACT_NONE, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    const int *c = cases[i];
    model_block b = {.name = "stem", .kind = MODEL_BLOCK_STEM, .groups = 1};
    set_geometry(&b, c[0], c[1], 3, c[5], c[2], c[3], c[4]);
    b.act = (model_act)c[6];
    b.ln_eps = i % 2 ? 1e-5f : 1e-6f;
    b.conv_w = wt(&ar, (size_t)c[2] * c[2] * 3 * b.out_c, c[2] * c[2] * 3);
    if (i != 1) b.conv_b = wt(&ar, b.out_c, 1);
    if (c[7] != 2) b.norm_w = (model_tensor){rnd(&ar, b.out_c, 0.5f, 1.5f), 1, {c[5]}, c[5]};
    if (c[7] != 1) b.norm_b = wt(&ar, b.out_c, 1);
    check_block(&b, 2, 2, 0);
    check_block(&b, 1, 3, 1);
    check_block(&b, 3, 1, 2);
    arena_free(&ar);
  }
}

/* An MBConv block with the given options, weights from the arena. */
static model_block make_mbconv(arena *ar, int h, int w, int cin, int cout, int mid, int k, int s,
                               int tf, int se, int bias) {
  model_block b = {.name = "mb", .kind = MODEL_BLOCK_MBCONV};
  set_geometry(&b, h, w, cin, cout, k, s, tf);
  b.mid_c = mid, b.groups = mid, b.se_c = se;
  b.act = MODEL_ACT_SWISH, b.se_act = MODEL_ACT_SWISH;
  b.residual = b.out_h == h && b.out_w == w && cin == cout;
  if (mid != cin || bias == 2) b.expand_w = wt(ar, (size_t)cin * mid, cin);
  if (bias && b.expand_w.data) b.expand_b = wt(ar, mid, 1);
  b.dw_w = wt(ar, (size_t)k * k * mid, k * k);
  if (bias) b.dw_b = wt(ar, mid, 1);
  if (se) {
    b.se_reduce_w = wt(ar, (size_t)mid * se, mid);
    b.se_expand_w = wt(ar, (size_t)se * mid, se);
    if (bias) b.se_reduce_b = wt(ar, se, 1), b.se_expand_b = wt(ar, mid, 1);
  }
  b.project_w = wt(ar, (size_t)mid * cout, mid);
  if (bias) b.project_b = wt(ar, cout, 1);
  return b;
}

static void test_mbconv(void **state) {
  (void)state;
  /* h, w, cin, cout, mid, k, s, se, bias */
  static const int cases[][9] = {
      {16, 16, 32, 16, 32, 3, 1, 8, 1},  /* EfficientNet block 1: no expand, SE */
      {12, 12, 16, 16, 16, 3, 1, 0, 1},  /* no expand, no SE, residual */
      {14, 14, 16, 24, 96, 3, 2, 4, 1},  /* stride 2 + SE */
      {13, 11, 24, 24, 144, 5, 1, 6, 1}, /* residual, k5, odd sizes */
      {9, 15, 20, 40, 60, 5, 2, 0, 0},   /* no SE, no biases */
      {7, 7, 40, 40, 120, 7, 1, 10, 1},  /* k7 residual */
      {10, 9, 12, 12, 12, 3, 1, 0, 2},   /* expand present with mid == in, residual */
      {11, 13, 17, 19, 33, 3, 2, 5, 1},  /* odd channel counts everywhere */
      {1, 1, 8, 8, 16, 3, 1, 4, 1},      /* 1x1 image */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int tf = 0; tf < 2; tf++) {
      arena ar = {0};
      const int *c = cases[i];
      model_block b = make_mbconv(&ar, c[0], c[1], c[2], c[3], c[4], c[5], c[6], tf, c[7], c[8]);
      check_block(&b, 1, 1, 0);
      check_block(&b, 1, 2, 1);
      check_block(&b, 3, 2, 2);
      check_block(&b, 2, 3, 3);
      arena_free(&ar);
    }
  }
}

/* EfficientNet-B0 sizes, where the automatic tile height splits the image
 * into several chunks per band. */
static void test_mbconv_real_sizes(void **state) {
  (void)state;
  static const int cases[][9] = {{112, 112, 16, 24, 96, 3, 2, 4, 1},
                                 {56, 56, 24, 24, 144, 3, 1, 6, 1},
                                 {28, 28, 40, 40, 240, 5, 1, 10, 1},
                                 {7, 7, 192, 192, 1152, 5, 1, 48, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    const int *c = cases[i];
    model_block b = make_mbconv(&ar, c[0], c[1], c[2], c[3], c[4], c[5], c[6], 1, c[7], c[8]);
    check_block(&b, 1, 2, 0);
    arena_free(&ar);
  }
}

static void test_convfirst(void **state) {
  (void)state;
  /* h, w, c, cout, mid, k, s, groups */
  static const int cases[][8] = {{12, 10, 16, 16, 64, 3, 1, 16},
                                 {9, 11, 24, 24, 48, 5, 1, 4},
                                 {8, 8, 8, 16, 32, 3, 1, 1},
                                 {10, 7, 12, 20, 36, 3, 2, 12},
                                 {7, 9, 6, 6, 18, 7, 1, 2}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    const int *c = cases[i];
    model_block b = {.name = "cf", .kind = MODEL_BLOCK_CONVFIRST};
    set_geometry(&b, c[0], c[1], c[2], c[3], c[5], c[6], (int)i % 2);
    b.mid_c = c[4], b.groups = c[7], b.act = i % 2 ? MODEL_ACT_RELU : MODEL_ACT_GELU;
    b.residual = c[6] == 1 && c[2] == c[3];
    b.conv_w = wt(&ar, (size_t)c[5] * c[5] * (c[2] / c[7]) * c[2], c[5] * c[5] * c[2] / c[7]);
    if (i != 2) b.conv_b = wt(&ar, c[2], 1), b.expand_b = wt(&ar, c[4], 1);
    b.expand_w = wt(&ar, (size_t)c[2] * c[4], c[2]);
    b.project_w = wt(&ar, (size_t)c[4] * c[3], c[4]);
    b.project_b = wt(&ar, c[3], 1);
    check_block(&b, 1, 2, 0);
    check_block(&b, 2, 2, 1);
    arena_free(&ar);
  }
}

static void test_convnext(void **state) {
  (void)state;
  static const int cases[][3] = {{14, 14, 32}, {7, 9, 24}, {5, 6, 40}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    const int *c = cases[i];
    model_block b = {.name = "cn", .kind = MODEL_BLOCK_CONVNEXT};
    set_geometry(&b, c[0], c[1], c[2], c[2], 7, 1, 0);
    b.mid_c = 4 * c[2], b.groups = c[2], b.act = MODEL_ACT_GELU, b.residual = 1;
    b.ln_eps = 1e-6f;
    b.dw_w = wt(&ar, (size_t)49 * c[2], 49);
    b.dw_b = wt(&ar, c[2], 1);
    b.norm_w = wt(&ar, c[2], 1), b.norm_b = wt(&ar, c[2], 1);
    b.expand_w = wt(&ar, (size_t)c[2] * b.mid_c, c[2]);
    b.expand_b = wt(&ar, b.mid_c, 1);
    b.project_w = wt(&ar, (size_t)b.mid_c * c[2], b.mid_c);
    b.project_b = wt(&ar, c[2], 1);
    if (i != 1) b.layer_scale = wt(&ar, c[2], 1);
    check_block(&b, 1, 2, 0);
    check_block(&b, 2, 2, 2);
    arena_free(&ar);
  }
}

static void test_downsample(void **state) {
  (void)state;
  /* h, w, cin, cout, k, s, ln, groups */
  static const int cases[][8] = {{16, 16, 24, 48, 2, 2, 1, 1},
                                 {15, 13, 16, 32, 3, 2, 0, 1},
                                 {8, 10, 12, 24, 2, 2, 1, 4},
                                 {9, 9, 8, 8, 3, 1, 1, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    const int *c = cases[i];
    model_block b = {.name = "ds", .kind = MODEL_BLOCK_DOWNSAMPLE, .ln_eps = 1e-6f};
    set_geometry(&b, c[0], c[1], c[2], c[3], c[4], c[5], (int)i % 2);
    b.groups = c[7];
    b.conv_w = wt(&ar, (size_t)c[4] * c[4] * (c[2] / c[7]) * c[3], c[4] * c[4] * c[2] / c[7]);
    b.conv_b = wt(&ar, c[3], 1);
    if (c[6]) b.norm_w = wt(&ar, c[2], 1), b.norm_b = wt(&ar, c[2], 1);
    check_block(&b, 1, 2, 0);
    check_block(&b, 3, 2, 1);
    arena_free(&ar);
  }
}

static void test_head(void **state) {
  (void)state;
  /* h, w, cin, mid, classes, ln */
  static const int cases[][6] = {
      {7, 7, 32, 128, 10, 0}, {5, 3, 24, 0, 17, 1}, {4, 4, 16, 40, 1000, 1}, {1, 1, 8, 0, 3, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    arena ar = {0};
    const int *c = cases[i];
    model_block b = {.name = "head", .kind = MODEL_BLOCK_HEAD, .ln_eps = 1e-6f};
    b.in_h = c[0], b.in_w = c[1], b.in_c = c[2], b.mid_c = c[3], b.out_c = c[4];
    b.out_h = b.out_w = 1, b.kernel = 1, b.stride = 1, b.groups = 1, b.act = MODEL_ACT_SWISH;
    int ch = c[3] ? c[3] : c[2];
    if (c[3]) b.expand_w = wt(&ar, (size_t)c[2] * c[3], c[2]), b.expand_b = wt(&ar, c[3], 1);
    if (c[5]) b.norm_w = wt(&ar, ch, 1), b.norm_b = wt(&ar, ch, 1);
    b.fc_w = wt(&ar, (size_t)ch * c[4], ch);
    if (i != 3) b.fc_b = wt(&ar, c[4], 1);
    check_block(&b, 1, 2, 0);
    check_block(&b, 4, 2, 1);
    arena_free(&ar);
  }
}

/* A uniform integer in [lo, hi], from the seeded test generator. */
static int rnd_int(int lo, int hi) {
  return lo + test_rand_below(hi - lo + 1);
}

/* Random geometries (sizes 1..13, channels 1..40, kernel 1..7, stride 1..3,
 * either padding) of every spatial kind, run with random batch, threads and
 * tile heights: the shapes nobody thought to list. */
static void test_random_blocks(void **state) {
  (void)state;
  for (int it = 0; it < 60; it++) {
    arena ar = {0};
    int h = rnd_int(1, 13), w = rnd_int(1, 13), cin = rnd_int(1, 40), cout = rnd_int(1, 40);
    int k = rnd_int(1, 7), s = rnd_int(1, 3), tf = rnd_int(0, 1), kind = rnd_int(0, 2);
    model_block b;
    if (kind == 0) {
      int mid = rnd_int(0, 1) ? cin : rnd_int(1, 64);
      b = make_mbconv(&ar, h, w, cin, rnd_int(0, 1) ? cin : cout, mid, k, s, tf,
                      rnd_int(0, 1) ? rnd_int(1, 9) : 0, rnd_int(0, 2));
    } else if (kind == 1) {
      int g = rnd_int(0, 1) ? cin : 1;
      b = (model_block){
          .name = "cf", .kind = MODEL_BLOCK_CONVFIRST, .groups = g, .act = MODEL_ACT_RELU6};
      set_geometry(&b, h, w, cin, cout, k, s, tf);
      b.mid_c = rnd_int(1, 50);
      b.residual = b.out_h == h && b.out_w == w && cin == cout;
      b.conv_w = wt(&ar, (size_t)k * k * (cin / g) * cin, k * k * cin / g);
      b.expand_w = wt(&ar, (size_t)cin * b.mid_c, cin);
      b.project_w = wt(&ar, (size_t)b.mid_c * cout, b.mid_c);
    } else {
      b = (model_block){.name = "ds",
                        .kind = MODEL_BLOCK_DOWNSAMPLE,
                        .groups = 1,
                        .ln_eps = 1e-5f,
                        .act = MODEL_ACT_SWISH};
      set_geometry(&b, h, w, cin, cout, k, s, tf);
      b.conv_w = wt(&ar, (size_t)k * k * cin * cout, k * k * cin);
      if (rnd_int(0, 1)) b.norm_w = wt(&ar, cin, 1), b.norm_b = wt(&ar, cin, 1);
    }
    check_block(&b, rnd_int(1, 3), rnd_int(1, 3), rnd_int(0, 3));
    arena_free(&ar);
  }
}

/* Malformed blocks are refused with a message, never run. */
static void test_bad_blocks(void **state) {
  (void)state;
  arena ar = {0};
  float in[4 * 4 * 8] = {0}, out[4 * 4 * 8];
  char err[256];
  model_block b = make_mbconv(&ar, 4, 4, 8, 8, 16, 3, 1, 1, 4, 1);
  model_block bad = b;
  bad.project_w.data = NULL;
  assert_int_equal(cpu_block_forward(&bad, MEAN, STD, in, 1, out, 1, 0, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "project_w"));
  bad = b, bad.dw_w.numel--;
  assert_int_equal(cpu_block_forward(&bad, MEAN, STD, in, 1, out, 1, 0, err, sizeof err), -EINVAL);
  bad = b, bad.kernel = 0;
  assert_int_equal(cpu_block_forward(&bad, MEAN, STD, in, 1, out, 1, 0, err, sizeof err), -EINVAL);
  bad = b, bad.out_c = 9; /* residual with unequal shapes */
  assert_int_equal(cpu_block_forward(&bad, MEAN, STD, in, 1, out, 1, 0, err, sizeof err), -EINVAL);
  bad = b, bad.se_reduce_w.data = NULL;
  assert_int_equal(cpu_block_forward(&bad, MEAN, STD, in, 1, out, 1, 0, err, sizeof err), -EINVAL);
  bad = b, bad.kind = (model_block_kind)42;
  assert_int_equal(cpu_block_forward(&bad, MEAN, STD, in, 1, out, 1, 0, err, sizeof err), -EINVAL);
  assert_int_equal(cpu_block_forward(&b, MEAN, STD, in, 0, out, 1, 0, err, sizeof err), -EINVAL);
  /* A stem LayerNorm must span the conv's output channels. */
  uint8_t px[8 * 8 * 3] = {0};
  model_block st = {.name = "stem", .kind = MODEL_BLOCK_STEM, .groups = 1, .ln_eps = 1e-6f};
  set_geometry(&st, 8, 8, 3, 4, 4, 4, 1);
  st.conv_w = wt(&ar, 4 * 4 * 3 * 4, 48);
  st.norm_w = wt(&ar, 3, 1);
  assert_int_equal(cpu_block_forward(&st, MEAN, STD, px, 1, out, 1, 0, err, sizeof err), -EINVAL);
  assert_non_null(strstr(err, "norm_w"));
  st.norm_w = wt(&ar, 4, 1);
  assert_int_equal(cpu_block_forward(&st, MEAN, STD, px, 1, out, 1, 0, err, sizeof err), 0);
  arena_free(&ar);
}

int main(void) {
  test_seed();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_activations),
      cmocka_unit_test(test_pointwise),
      cmocka_unit_test(test_depthwise_and_conv),
      cmocka_unit_test(test_layernorm),
      cmocka_unit_test(test_stem),
      cmocka_unit_test(test_stem_layernorm),
      cmocka_unit_test(test_mbconv),
      cmocka_unit_test(test_mbconv_real_sizes),
      cmocka_unit_test(test_convfirst),
      cmocka_unit_test(test_convnext),
      cmocka_unit_test(test_downsample),
      cmocka_unit_test(test_head),
      cmocka_unit_test(test_random_blocks),
      cmocka_unit_test(test_bad_blocks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
