#include "tests/cpu_naive.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

double naive_act(model_act a, double x) {
  switch (a) {
    case MODEL_ACT_RELU:
      return x > 0 ? x : 0;
    case MODEL_ACT_RELU6:
      return x < 0 ? 0 : x > 6 ? 6 : x;
    case MODEL_ACT_SWISH:
      return x / (1 + exp(-x));
    case MODEL_ACT_GELU:
      return 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case MODEL_ACT_SIGMOID:
      return 1 / (1 + exp(-x));
    default:
      return x;
  }
}

/* Direct grouped conv, one output pixel at a time: every tap of every input
 * channel of the group times the weight row, accumulated in double. */
void naive_conv(const float *in, int h, int w, int cin, int k, int s, int pt, int pl, int oh,
                int ow, int groups, int cout, const float *wt, const float *b, model_act act,
                float *out) {
  const int cg = cin / groups, og = cout / groups;
  double *acc = malloc((size_t)cout * sizeof(double));
  assert_non_null(acc);
  for (int y = 0; y < oh; y++)
    for (int x = 0; x < ow; x++) {
      for (int co = 0; co < cout; co++) acc[co] = b ? b[co] : 0;
      for (int kh = 0; kh < k; kh++)
        for (int kw = 0; kw < k; kw++) {
          int iy = y * s - pt + kh, ix = x * s - pl + kw;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          for (int g = 0; g < groups; g++)
            for (int ci = 0; ci < cg; ci++) {
              const double v = in[((size_t)iy * w + ix) * cin + g * cg + ci];
              const float *wr = wt + (((size_t)kh * k + kw) * cg + ci) * cout;
              for (int co = g * og; co < (g + 1) * og; co++) acc[co] += v * wr[co];
            }
        }
      for (int co = 0; co < cout; co++)
        out[((size_t)y * ow + x) * cout + co] = (float)naive_act(act, acc[co]);
    }
  free(acc);
}

void naive_pw(const float *in, size_t npix, int cin, const float *w, const float *b, int cout,
              model_act act, float *out) {
  naive_conv(in, 1, (int)npix, cin, 1, 1, 0, 0, 1, (int)npix, 1, cout, w, b, act, out);
}

void naive_ln(float *x, size_t npix, int c, const float *g, const float *b, float eps) {
  for (size_t p = 0; p < npix; p++) {
    double m = 0, v = 0;
    for (int i = 0; i < c; i++) m += x[p * c + i];
    m /= c;
    for (int i = 0; i < c; i++) v += (x[p * c + i] - m) * (x[p * c + i] - m);
    v /= c;
    for (int i = 0; i < c; i++)
      x[p * c + i] = (float)((x[p * c + i] - m) / sqrt(v + eps) * (g ? g[i] : 1) + (b ? b[i] : 0));
  }
}

static float *fbuf(size_t n) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  assert_non_null(p);
  return p;
}

/* A whole block on one image, composed from the loops above. */
void naive_block(const model_block *b, const float mean[3], const float std[3], const void *in_any,
                 float *out) {
  const int H = b->in_h, W = b->in_w, C = b->in_c, OH = b->out_h, OW = b->out_w;
  const size_t ipix = (size_t)H * W, opix = (size_t)OH * OW;
  const float *in = in_any;
  switch (b->kind) {
    case MODEL_BLOCK_STEM: {
      const uint8_t *u = in_any;
      float *x = fbuf(ipix * 3);
      for (size_t i = 0; i < ipix * 3; i++)
        x[i] = (float)((u[i] - mean[i % 3]) / (double)std[i % 3]);
      const int ln = b->norm_w.data || b->norm_b.data; /* ConvNeXt: conv -> LN -> act */
      naive_conv(x, H, W, 3, b->kernel, b->stride, b->pad_t, b->pad_l, OH, OW, 1, b->out_c,
                 b->conv_w.data, b->conv_b.data, ln ? MODEL_ACT_NONE : b->act, out);
      if (ln) {
        naive_ln(out, opix, b->out_c, b->norm_w.data, b->norm_b.data, b->ln_eps);
        for (size_t i = 0; i < opix * b->out_c; i++) out[i] = (float)naive_act(b->act, out[i]);
      }
      free(x);
      return;
    }
    case MODEL_BLOCK_MBCONV: {
      const int M = b->mid_c;
      float *e = fbuf(ipix * M), *d = fbuf(opix * M);
      if (b->expand_w.data)
        naive_pw(in, ipix, C, b->expand_w.data, b->expand_b.data, M, b->act, e);
      else
        memcpy(e, in, ipix * M * sizeof(float));
      naive_conv(e, H, W, M, b->kernel, b->stride, b->pad_t, b->pad_l, OH, OW, M, M, b->dw_w.data,
                 b->dw_b.data, b->act, d);
      if (b->se_c) {
        float *m = fbuf(M), *r = fbuf(b->se_c), *g = fbuf(M);
        for (int c = 0; c < M; c++) {
          double s = 0;
          for (size_t p = 0; p < opix; p++) s += d[p * M + c];
          m[c] = (float)(s / opix);
        }
        naive_pw(m, 1, M, b->se_reduce_w.data, b->se_reduce_b.data, b->se_c, b->se_act, r);
        naive_pw(r, 1, b->se_c, b->se_expand_w.data, b->se_expand_b.data, M, MODEL_ACT_SIGMOID, g);
        for (size_t p = 0; p < opix; p++)
          for (int c = 0; c < M; c++) d[p * M + c] *= g[c];
        free(m), free(r), free(g);
      }
      naive_pw(d, opix, M, b->project_w.data, b->project_b.data, b->out_c, MODEL_ACT_NONE, out);
      if (b->residual)
        for (size_t i = 0; i < opix * b->out_c; i++) out[i] += in[i];
      free(e), free(d);
      return;
    }
    case MODEL_BLOCK_CONVFIRST:
    case MODEL_BLOCK_CONVNEXT: {
      const int M = b->mid_c, next = b->kind == MODEL_BLOCK_CONVNEXT;
      float *t = fbuf(opix * C), *m = fbuf(opix * M);
      if (next)
        naive_conv(in, H, W, C, b->kernel, 1, b->pad_t, b->pad_l, OH, OW, C, C, b->dw_w.data,
                   b->dw_b.data, MODEL_ACT_NONE, t);
      else
        naive_conv(in, H, W, C, b->kernel, b->stride, b->pad_t, b->pad_l, OH, OW, b->groups, C,
                   b->conv_w.data, b->conv_b.data, MODEL_ACT_NONE, t);
      if (next) naive_ln(t, opix, C, b->norm_w.data, b->norm_b.data, b->ln_eps);
      naive_pw(t, opix, C, b->expand_w.data, b->expand_b.data, M, b->act, m);
      naive_pw(m, opix, M, b->project_w.data, b->project_b.data, b->out_c, MODEL_ACT_NONE, out);
      for (size_t i = 0; i < opix * b->out_c; i++) {
        if (next && b->layer_scale.data) out[i] *= b->layer_scale.data[i % b->out_c];
        if (b->residual) out[i] += in[i];
      }
      free(t), free(m);
      return;
    }
    case MODEL_BLOCK_DOWNSAMPLE: {
      float *t = fbuf(ipix * C);
      memcpy(t, in, ipix * C * sizeof(float));
      if (b->norm_w.data) naive_ln(t, ipix, C, b->norm_w.data, b->norm_b.data, b->ln_eps);
      naive_conv(t, H, W, C, b->kernel, b->stride, b->pad_t, b->pad_l, OH, OW, b->groups, b->out_c,
                 b->conv_w.data, b->conv_b.data, b->act, out);
      free(t);
      return;
    }
    case MODEL_BLOCK_HEAD: {
      const int M = b->mid_c ? b->mid_c : C;
      float *m = fbuf(ipix * M), *v = fbuf(M);
      if (b->mid_c)
        naive_pw(in, ipix, C, b->expand_w.data, b->expand_b.data, M, b->act, m);
      else
        memcpy(m, in, ipix * C * sizeof(float));
      for (int c = 0; c < M; c++) {
        double s = 0;
        for (size_t p = 0; p < ipix; p++) s += m[p * M + c];
        v[c] = (float)(s / ipix);
      }
      if (b->norm_w.data) naive_ln(v, 1, M, b->norm_w.data, b->norm_b.data, b->ln_eps);
      naive_pw(v, 1, M, b->fc_w.data, b->fc_b.data, b->out_c, MODEL_ACT_NONE, out);
      free(m), free(v);
      return;
    }
  }
  fail_msg("unknown block kind");
}
