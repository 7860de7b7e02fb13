/* The per-layer and per-block reference entry points of cpu_layers.h, on
 * top of the same kernels and block plans as the backend. */
#define _GNU_SOURCE
#include "model/cpu_layers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cpu_blocks.h"
#include "model/cpu_kernels.h"
#include "model/cpu_pool.h"

float cpu_act(model_act a, float x) {
  return cpu_act_f(a, x);
}

int cpu_pointwise(const float *in, size_t npix, int cin, const float *w, const float *b, int cout,
                  model_act act, float *out, char *err, size_t errlen) {
  if (cin < 1 || cout < 1 || npix > (size_t)1 << 30 || !in || !w || !out) {
    snprintf(err, errlen, "cpu_pointwise: bad arguments");
    return -EINVAL;
  }
  cpu_pack p;
  if (cpu_pack_init(&p, w, cin, cout, 1, b, NULL)) {
    snprintf(err, errlen, "cpu_pointwise: out of memory");
    return -ENOMEM;
  }
  const size_t step = 1 << 16; /* keeps the pixel count an int */
  for (size_t p0 = 0; p0 < npix; p0 += step) {
    int m = (int)(npix - p0 < step ? npix - p0 : step);
    cpu_gemm(&p, 0, 0, p.ppg, in + p0 * cin, cin, m, act, NULL, 0, out + p0 * cout, cout);
  }
  cpu_pack_free(&p);
  return 0;
}

/* Row pointers of the K-tall input window for output row oh (NULL = padding). */
static void window(const float **rows, const float *in, int in_h, size_t row_stride, int k, int s,
                   int pad_t, int oh) {
  for (int kh = 0; kh < k; kh++) {
    int ih = oh * s - pad_t + kh;
    rows[kh] = ih >= 0 && ih < in_h ? in + (size_t)ih * row_stride : NULL;
  }
}

void cpu_depthwise(const float *in, int in_h, int in_w, int c, int k, int s, int pad_t, int pad_l,
                   int out_h, int out_w, const float *w, const float *b, model_act act,
                   float *out) {
  const float *rows[16];
  if (k < 1 || k > 15) return;
  for (int oh = 0; oh < out_h; oh++) {
    window(rows, in, in_h, (size_t)in_w * c, k, s, pad_t, oh);
    cpu_dw_row(rows, in_w, c, k, s, pad_l, w, b, act, out_w, out + (size_t)oh * out_w * c);
  }
}

int cpu_conv2d(const float *in, int in_h, int in_w, int cin, int k, int s, int pad_t, int pad_l,
               int out_h, int out_w, int groups, int cout, const float *w, const float *b,
               model_act act, float *out, char *err, size_t errlen) {
  if (k < 1 || k > 15 || s < 1 || groups < 1 || cin % groups || cout % groups || out_w < 1) {
    snprintf(err, errlen, "cpu_conv2d: bad arguments");
    return -EINVAL;
  }
  const int cg = cin / groups;
  const size_t taps = (size_t)k * k * cg;
  cpu_pack p;
  float *col = cpu_alloc_floats(taps * out_w);
  if (!col || cpu_pack_init(&p, w, (int)taps, cout / groups, groups, b, NULL)) {
    free(col);
    snprintf(err, errlen, "cpu_conv2d: out of memory");
    return -ENOMEM;
  }
  const float *rows[16];
  for (int oh = 0; oh < out_h; oh++) {
    window(rows, in, in_h, (size_t)in_w * cin, k, s, pad_t, oh);
    for (int g = 0; g < groups; g++) {
      cpu_im2col_row(rows, in_w, cin, g * cg, cg, k, s, pad_l, out_w, col);
      cpu_gemm(&p, g, 0, p.ppg, col, taps, out_w, act, NULL, 0, out + (size_t)oh * out_w * cout,
               cout);
    }
  }
  cpu_pack_free(&p);
  free(col);
  return 0;
}

void cpu_layernorm(const float *x, size_t npix, int c, const float *g, const float *b, float eps,
                   float *y) {
  cpu_layernorm_rows(x, y, npix, c, g, b, eps);
}

int cpu_block_forward(const model_block *b, const float mean[3], const float std[3], const void *in,
                      int n, float *out, int threads, int tile_rows, char *err, size_t errlen) {
  if (!b || !in || !out || n < 1 || (b->kind == MODEL_BLOCK_STEM && (!mean || !std))) {
    snprintf(err, errlen, "cpu_block_forward: bad arguments");
    return -EINVAL;
  }
  cpu_block_plan plan;
  cpu_pool *pool = NULL;
  cpu_exec x;
  int rc = cpu_block_plan_init(&plan, b, mean, std, tile_rows, err, errlen);
  if (rc) return rc;
  rc = cpu_pool_create(threads, &pool, err, errlen);
  if (!rc) {
    rc = cpu_exec_init(&x, &plan, 1, n, pool, err, errlen);
    if (!rc) {
      cpu_block_run(&plan, &x, in, out, n);
      cpu_exec_free(&x);
    }
    cpu_pool_destroy(pool);
  }
  cpu_block_plan_free(&plan);
  return rc;
}
