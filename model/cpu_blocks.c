/* Block plans (validation, weight packing, tile sizing) and the per-kind
 * fused tile loops of the CPU backend. */
#define _GNU_SOURCE
#include "model/cpu_blocks.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-thread scratch aimed at: ~640 KiB, well inside a 1-2 MiB L2 and
 * leaving room for the weights being streamed. */
#define CPU_TILE_FLOATS (160 * 1024)
/* Largest activation a block may have, in elements (keeps size_t math far
 * from overflow and int pixel counts valid). */
#define CPU_MAX_ELEMS ((size_t)1 << 30)

/* Rounds a float count up to a whole number of 64-byte lines. */
static size_t up16(size_t n) {
  return (n + 15) & ~(size_t)15;
}

/* Checks one tensor: absent is fine unless required; present must hold numel. */
static int check_tensor(const model_block *b, const model_tensor *t, const char *what, size_t numel,
                        int required, char *err, size_t errlen) {
  if (!t->data) {
    if (!required) return 0;
    snprintf(err, errlen, "block '%s': missing %s", b->name, what);
    return -EINVAL;
  }
  if (t->numel != numel) {
    snprintf(err, errlen, "block '%s': %s has %zu elements, expected %zu", b->name, what, t->numel,
             numel);
    return -EINVAL;
  }
  return 0;
}

#define CHECK(t, numel, req)                                                   \
  do {                                                                         \
    int rc_ = check_tensor(b, &b->t, #t, (size_t)(numel), (req), err, errlen); \
    if (rc_) return rc_;                                                       \
  } while (0)

/* Validates dimensions and tensors of b for the kernels below. */
static int check_block(const model_block *b, char *err, size_t errlen) {
  const int k = b->kernel, in = b->in_c, mid = b->mid_c, out = b->out_c;
  if (b->in_h < 1 || b->in_w < 1 || in < 1 || b->out_h < 1 || b->out_w < 1 || out < 1 || k < 1 ||
      k > 15 || b->stride < 1 || b->stride > 8 || b->pad_t < 0 || b->pad_l < 0 || b->pad_t >= k ||
      b->pad_l >= k || mid < 0 || b->se_c < 0 ||
      (size_t)b->in_h * b->in_w * (in > mid ? in : mid) > CPU_MAX_ELEMS ||
      (size_t)b->out_h * b->out_w * (out > mid ? out : mid) > CPU_MAX_ELEMS ||
      (size_t)k * k * in * (out > in ? out : in) > CPU_MAX_ELEMS ||
      (size_t)mid * out > CPU_MAX_ELEMS) {
    snprintf(err, errlen, "block '%s': dimensions out of range", b->name);
    return -EINVAL;
  }
  if (b->residual && (b->in_h != b->out_h || b->in_w != b->out_w || in != out)) {
    snprintf(err, errlen, "block '%s': residual needs equal input and output shapes", b->name);
    return -EINVAL;
  }
  const size_t kk = (size_t)k * k;
  switch (b->kind) {
    case MODEL_BLOCK_STEM:
      if (in != 3 || b->groups != 1 || b->residual) {
        snprintf(err, errlen, "block '%s': stem needs 3 input channels, 1 group", b->name);
        return -EINVAL;
      }
      CHECK(conv_w, kk * 3 * out, 1);
      CHECK(conv_b, out, 0);
      CHECK(norm_w, out, 0);
      CHECK(norm_b, out, 0);
      return 0;
    case MODEL_BLOCK_MBCONV:
      if (mid < 1 || (!b->expand_w.data && mid != in)) {
        snprintf(err, errlen, "block '%s': mbconv needs an expand unless mid == in", b->name);
        return -EINVAL;
      }
      CHECK(expand_w, (size_t)in * mid, 0);
      CHECK(expand_b, mid, 0);
      CHECK(dw_w, kk * mid, 1);
      CHECK(dw_b, mid, 0);
      if (b->se_c) {
        CHECK(se_reduce_w, (size_t)mid * b->se_c, 1);
        CHECK(se_reduce_b, b->se_c, 0);
        CHECK(se_expand_w, (size_t)b->se_c * mid, 1);
        CHECK(se_expand_b, mid, 0);
      }
      CHECK(project_w, (size_t)mid * out, 1);
      CHECK(project_b, out, 0);
      return 0;
    case MODEL_BLOCK_CONVFIRST:
      if (mid < 1 || b->groups < 1 || in % b->groups) {
        snprintf(err, errlen, "block '%s': groups must divide the input channels", b->name);
        return -EINVAL;
      }
      CHECK(conv_w, kk * (in / b->groups) * in, 1);
      CHECK(conv_b, in, 0);
      CHECK(expand_w, (size_t)in * mid, 1);
      CHECK(expand_b, mid, 0);
      CHECK(project_w, (size_t)mid * out, 1);
      CHECK(project_b, out, 0);
      return 0;
    case MODEL_BLOCK_CONVNEXT:
      if (mid < 1 || b->stride != 1) {
        snprintf(err, errlen, "block '%s': convnext needs stride 1 and mid > 0", b->name);
        return -EINVAL;
      }
      CHECK(dw_w, kk * in, 1);
      CHECK(dw_b, in, 0);
      CHECK(norm_w, in, 1);
      CHECK(norm_b, in, 0);
      CHECK(expand_w, (size_t)in * mid, 1);
      CHECK(expand_b, mid, 0);
      CHECK(project_w, (size_t)mid * out, 1);
      CHECK(project_b, out, 0);
      CHECK(layer_scale, out, 0);
      return 0;
    case MODEL_BLOCK_DOWNSAMPLE:
      if (b->groups < 1 || in % b->groups || out % b->groups) {
        snprintf(err, errlen, "block '%s': groups must divide both channel counts", b->name);
        return -EINVAL;
      }
      CHECK(conv_w, kk * (in / b->groups) * out, 1);
      CHECK(conv_b, out, 0);
      CHECK(norm_w, in, 0);
      CHECK(norm_b, in, 0);
      return 0;
    case MODEL_BLOCK_HEAD: {
      int c = mid ? mid : in;
      if (mid) CHECK(expand_w, (size_t)in * mid, 1);
      CHECK(expand_b, mid, 0);
      CHECK(norm_w, c, 0);
      CHECK(norm_b, c, 0);
      CHECK(fc_w, (size_t)c * out, 1);
      CHECK(fc_b, out, 0);
      return 0;
    }
  }
  snprintf(err, errlen, "block '%s': unknown kind %d", b->name, (int)b->kind);
  return -EINVAL;
}

/* Floats of per-thread scratch for chunks of c rows. */
static size_t scratch_for(const cpu_block_plan *p, int c) {
  const model_block *b = p->b;
  const size_t k = (size_t)b->kernel, s = (size_t)b->stride;
  const size_t in_rows = (size_t)(c - 1) * s + k;
  const size_t opix = (size_t)c * b->out_w;
  switch (b->kind) {
    case MODEL_BLOCK_STEM:
      return up16(opix * k * k * 3);
    case MODEL_BLOCK_MBCONV:
      return (p->has_expand ? up16(in_rows * b->in_w * b->mid_c) : 0) +
             (b->se_c ? 0 : up16(opix * b->mid_c));
    case MODEL_BLOCK_CONVFIRST:
      return (p->dw_conv ? 0 : up16(opix * k * k * p->cin_g)) + up16(opix * b->in_c) +
             up16(opix * b->mid_c);
    case MODEL_BLOCK_CONVNEXT:
      return up16(opix * b->in_c) + up16(opix * b->mid_c);
    case MODEL_BLOCK_DOWNSAMPLE:
      return (p->has_ln ? up16(in_rows * b->in_w * b->in_c) : 0) + up16(opix * k * k * p->cin_g);
    case MODEL_BLOCK_HEAD:
      return b->mid_c ? up16((size_t)c * b->in_w * b->mid_c) : 0;
  }
  return 0;
}

/* Packs the weights the block's kind uses; -ENOMEM on failure. */
static int pack_weights(cpu_block_plan *p) {
  const model_block *b = p->b;
  const int k = b->kernel, in = b->in_c, mid = b->mid_c, out = b->out_c;
  int rc = 0;
  switch (b->kind) {
    case MODEL_BLOCK_STEM:
    case MODEL_BLOCK_DOWNSAMPLE:
      rc = cpu_pack_init(&p->conv, b->conv_w.data, k * k * p->cin_g, out / b->groups, b->groups,
                         b->conv_b.data, NULL);
      break;
    case MODEL_BLOCK_MBCONV:
      if (p->has_expand)
        rc = cpu_pack_init(&p->expand, b->expand_w.data, in, mid, 1, b->expand_b.data, NULL);
      if (!rc)
        rc = cpu_pack_init(&p->project, b->project_w.data, mid, out, 1, b->project_b.data, NULL);
      break;
    case MODEL_BLOCK_CONVFIRST:
      if (!p->dw_conv)
        rc = cpu_pack_init(&p->conv, b->conv_w.data, k * k * p->cin_g, in / b->groups, b->groups,
                           b->conv_b.data, NULL);
      /* fallthrough */
    case MODEL_BLOCK_CONVNEXT:
      if (!rc) rc = cpu_pack_init(&p->expand, b->expand_w.data, in, mid, 1, b->expand_b.data, NULL);
      if (!rc)
        rc = cpu_pack_init(&p->project, b->project_w.data, mid, out, 1, b->project_b.data,
                           b->kind == MODEL_BLOCK_CONVNEXT ? b->layer_scale.data : NULL);
      break;
    case MODEL_BLOCK_HEAD:
      if (mid) rc = cpu_pack_init(&p->expand, b->expand_w.data, in, mid, 1, b->expand_b.data, NULL);
      if (!rc) rc = cpu_pack_init(&p->fc, b->fc_w.data, mid ? mid : in, out, 1, b->fc_b.data, NULL);
      break;
  }
  return rc;
}

int cpu_block_plan_init(cpu_block_plan *p, const model_block *b, const float mean[3],
                        const float std[3], int tile_rows, char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  int rc = check_block(b, err, errlen);
  if (rc) return rc;
  p->b = b;
  p->has_expand = b->kind == MODEL_BLOCK_MBCONV && b->expand_w.data != NULL;
  p->has_ln = (b->kind == MODEL_BLOCK_STEM || b->kind == MODEL_BLOCK_DOWNSAMPLE ||
               b->kind == MODEL_BLOCK_HEAD) &&
              (b->norm_w.data || b->norm_b.data);
  p->cin_g = b->kind == MODEL_BLOCK_STEM ? 3 : b->in_c / (b->groups > 0 ? b->groups : 1);
  p->dw_conv = b->kind == MODEL_BLOCK_CONVFIRST && b->groups == b->in_c;
  if (b->kind == MODEL_BLOCK_STEM) {
    for (int c = 0; c < 3; c++) {
      if (!(std[c] > 0.0f) && !(std[c] < 0.0f)) {
        snprintf(err, errlen, "block '%s': preprocessing std must be non-zero", b->name);
        return -EINVAL;
      }
      for (int v = 0; v < 256; v++) p->lut[c][v] = ((float)v - mean[c]) / std[c];
    }
  }
  p->rows = b->kind == MODEL_BLOCK_HEAD ? b->in_h : b->out_h;
  if (b->kind == MODEL_BLOCK_MBCONV && b->se_c) {
    p->stage = up16((size_t)b->out_h * b->out_w * b->mid_c);
    p->sums_c = b->mid_c;
    p->vec_c = (int)(up16((size_t)b->mid_c) * 2 + up16((size_t)b->se_c));
  } else if (b->kind == MODEL_BLOCK_HEAD) {
    p->sums_c = b->mid_c ? b->mid_c : b->in_c;
    p->vec_c = (int)up16((size_t)p->sums_c);
  }
  if (tile_rows > 0) {
    p->chunk = tile_rows < p->rows ? tile_rows : p->rows;
  } else {
    p->chunk = 1;
    while (p->chunk < p->rows && scratch_for(p, p->chunk + 1) <= CPU_TILE_FLOATS) p->chunk++;
  }
  p->scratch = scratch_for(p, p->chunk);
  if (pack_weights(p)) {
    cpu_block_plan_free(p);
    snprintf(err, errlen, "block '%s': out of memory packing weights", b->name);
    return -ENOMEM;
  }
  return 0;
}

void cpu_block_plan_free(cpu_block_plan *p) {
  cpu_pack_free(&p->expand);
  cpu_pack_free(&p->project);
  cpu_pack_free(&p->conv);
  cpu_pack_free(&p->fc);
}

int cpu_exec_init(cpu_exec *x, const cpu_block_plan *plans, int n_plans, int max_batch,
                  cpu_pool *pool, char *err, size_t errlen) {
  memset(x, 0, sizeof *x);
  x->pool = pool;
  x->threads = cpu_pool_threads(pool);
  x->max_batch = max_batch;
  size_t scratch = 16, stage = 16;
  x->sums_stride = x->vec_stride = 16;
  for (int i = 0; i < n_plans; i++) {
    if (plans[i].scratch > scratch) scratch = plans[i].scratch;
    if (plans[i].stage > stage) stage = plans[i].stage;
    if (up16((size_t)plans[i].sums_c) > x->sums_stride)
      x->sums_stride = up16((size_t)plans[i].sums_c);
    if ((size_t)plans[i].vec_c > x->vec_stride) x->vec_stride = (size_t)plans[i].vec_c;
  }
  x->scratch = calloc((size_t)x->threads, sizeof *x->scratch);
  x->stage = cpu_alloc_floats(stage * max_batch);
  x->sums = cpu_alloc_floats(x->sums_stride * CPU_MAX_BANDS * max_batch);
  x->vec = cpu_alloc_floats(x->vec_stride * max_batch);
  int ok = x->scratch && x->stage && x->sums && x->vec;
  for (int t = 0; ok && t < x->threads; t++)
    ok = (x->scratch[t] = cpu_alloc_floats(scratch)) != NULL;
  if (!ok) {
    cpu_exec_free(x);
    snprintf(err, errlen, "cpu backend: out of memory for scratch (batch %d)", max_batch);
    return -ENOMEM;
  }
  return 0;
}

void cpu_exec_free(cpu_exec *x) {
  if (x->scratch)
    for (int t = 0; t < x->threads; t++) free(x->scratch[t]);
  free(x->scratch);
  free(x->stage);
  free(x->sums);
  free(x->vec);
  memset(x, 0, sizeof *x);
}

/* What a parallel phase needs: the plan, buffers and the split of rows. */
typedef struct {
  const cpu_block_plan *p;
  cpu_exec *x;
  const void *in;
  float *out;
  int n, bands;
} run_ctx;

/* Row range [r0, r1) of band `band` out of `bands` over `rows` rows. */
static void band_rows(int rows, int bands, int band, int *r0, int *r1) {
  *r0 = (int)((long)rows * band / bands);
  *r1 = (int)((long)rows * (band + 1) / bands);
}

/* Points rows[kh] at input row r*s - pad_t + kh of a K-tall window, or NULL
 * where it falls outside [0, in_h). base/row_stride address absolute rows;
 * first is the first row held at base. */
static void window_rows(const float **rows, int r, const model_block *b, const float *base,
                        int first, size_t row_stride) {
  for (int kh = 0; kh < b->kernel; kh++) {
    int ih = r * b->stride - b->pad_t + kh;
    rows[kh] = ih >= 0 && ih < b->in_h ? base + (size_t)(ih - first) * row_stride : NULL;
  }
}

/* Input rows [lo, hi) that output rows [c0, c1) read, clipped to the image. */
static void input_span(const model_block *b, int c0, int c1, int *lo, int *hi) {
  *lo = c0 * b->stride - b->pad_t;
  *hi = (c1 - 1) * b->stride - b->pad_t + b->kernel;
  if (*lo < 0) *lo = 0;
  if (*hi > b->in_h) *hi = b->in_h;
  if (*hi < *lo) *hi = *lo;
}

/* STEM: normalise + im2col from uint8, then one GEMM per chunk; with a
 * LayerNorm (ConvNeXt), the GEMM stays linear and the chunk's output pixels
 * are normalised, then activated, while still in cache. */
static void stem_item(void *arg, int item, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int img = item / c->bands, K = b->kernel;
  const size_t taps = (size_t)K * K * 3, in_row = (size_t)b->in_w * 3;
  const uint8_t *in = (const uint8_t *)c->in + (size_t)img * b->in_h * in_row;
  float *out = c->out + (size_t)img * b->out_h * b->out_w * b->out_c;
  float *col = c->x->scratch[thread];
  int r0, r1;
  band_rows(p->rows, c->bands, item % c->bands, &r0, &r1);
  for (int c0 = r0; c0 < r1; c0 += p->chunk) {
    int c1 = c0 + p->chunk < r1 ? c0 + p->chunk : r1;
    for (int r = c0; r < c1; r++) {
      const uint8_t *rows[16];
      for (int kh = 0; kh < K; kh++) {
        int ih = r * b->stride - b->pad_t + kh;
        rows[kh] = ih >= 0 && ih < b->in_h ? in + (size_t)ih * in_row : NULL;
      }
      cpu_im2col_row_u8(rows, b->in_w, K, b->stride, b->pad_l, b->out_w, p->lut,
                        col + (size_t)(r - c0) * b->out_w * taps);
    }
    const size_t pix = (size_t)(c1 - c0) * b->out_w;
    float *o = out + (size_t)c0 * b->out_w * b->out_c;
    cpu_gemm(&p->conv, 0, 0, p->conv.ppg, col, taps, (int)pix, p->has_ln ? MODEL_ACT_NONE : b->act,
             NULL, 0, o, b->out_c);
    if (p->has_ln) {
      cpu_layernorm_rows(o, o, pix, b->out_c, b->norm_w.data, b->norm_b.data, b->ln_eps);
      cpu_act_inplace(b->act, o, pix * b->out_c);
    }
  }
}

/* MBCONV phase 1 (or the whole block without SE): expand the chunk's input
 * rows (reusing the rows it shares with the previous chunk), depthwise + act,
 * then either project (+x) or stage the result and sum its channels. */
static void mbconv_item(void *arg, int item, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int img = item / c->bands, band = item % c->bands, mid = b->mid_c;
  const size_t in_row = (size_t)b->in_w * b->in_c, e_row = (size_t)b->in_w * mid;
  const size_t d_row = (size_t)b->out_w * mid;
  const float *in = (const float *)c->in + (size_t)img * b->in_h * in_row;
  float *out = c->out + (size_t)img * b->out_h * b->out_w * b->out_c;
  float *e = c->x->scratch[thread];
  float *d =
      b->se_c ? c->x->stage + (size_t)img * p->stage
              : e + (p->has_expand ? up16((size_t)((p->chunk - 1) * b->stride + b->kernel) * e_row)
                                   : 0);
  float *sums = c->x->sums + ((size_t)img * CPU_MAX_BANDS + band) * c->x->sums_stride;
  if (b->se_c) memset(sums, 0, (size_t)mid * sizeof(float));
  int r0, r1, e_lo = 0, e_hi = 0;
  band_rows(p->rows, c->bands, band, &r0, &r1);
  for (int c0 = r0; c0 < r1; c0 += p->chunk) {
    int c1 = c0 + p->chunk < r1 ? c0 + p->chunk : r1, lo, hi;
    input_span(b, c0, c1, &lo, &hi);
    if (p->has_expand) {
      if (lo >= e_lo && lo < e_hi) {
        memmove(e, e + (size_t)(lo - e_lo) * e_row, (size_t)(e_hi - lo) * e_row * sizeof(float));
      } else {
        e_hi = lo;
      }
      e_lo = lo;
      if (hi > e_hi)
        cpu_gemm(&p->expand, 0, 0, p->expand.ppg, in + (size_t)e_hi * in_row, b->in_c,
                 (hi - e_hi) * b->in_w, b->act, NULL, 0, e + (size_t)(e_hi - e_lo) * e_row, mid);
      e_hi = hi > e_hi ? hi : e_hi;
    }
    float *dc = b->se_c ? d + (size_t)c0 * d_row : d;
    for (int r = c0; r < c1; r++) {
      const float *rows[16];
      if (p->has_expand)
        window_rows(rows, r, b, e, e_lo, e_row);
      else
        window_rows(rows, r, b, in, 0, in_row);
      cpu_dw_row(rows, b->in_w, mid, b->kernel, b->stride, b->pad_l, b->dw_w.data, b->dw_b.data,
                 b->act, b->out_w, dc + (size_t)(r - c0) * d_row);
    }
    size_t pix = (size_t)(c1 - c0) * b->out_w;
    if (b->se_c) {
      cpu_sum_pixels(dc, pix, mid, sums);
    } else {
      cpu_gemm(&p->project, 0, 0, p->project.ppg, dc, mid, (int)pix, MODEL_ACT_NONE,
               b->residual ? in + (size_t)c0 * in_row : NULL, b->in_c,
               out + (size_t)c0 * b->out_w * b->out_c, b->out_c);
    }
  }
}

/* MBCONV phase 2, per image: mean of the staged output -> SE MLP -> gates. */
static void se_item(void *arg, int img, int thread) {
  run_ctx *c = arg;
  const model_block *b = c->p->b;
  const int mid = b->mid_c;
  float *v = c->x->vec + (size_t)img * c->x->vec_stride;
  float *mean = v, *hidden = v + up16((size_t)mid), *gate = hidden + up16((size_t)b->se_c);
  const float inv = 1.0f / ((float)b->out_h * (float)b->out_w);
  for (int ch = 0; ch < mid; ch++) mean[ch] = 0.0f;
  for (int band = 0; band < c->bands; band++)
    for (int ch = 0; ch < mid; ch++)
      mean[ch] += c->x->sums[((size_t)img * CPU_MAX_BANDS + band) * c->x->sums_stride + ch];
  for (int ch = 0; ch < mid; ch++) mean[ch] *= inv;
  cpu_dense_vec(mean, mid, b->se_reduce_w.data, b->se_reduce_b.data, b->se_c, b->se_act, hidden);
  cpu_dense_vec(hidden, b->se_c, b->se_expand_w.data, b->se_expand_b.data, mid, MODEL_ACT_SIGMOID,
                gate);
}

/* MBCONV phase 3: gate the staged chunk, project, add the input. */
static void se_project_item(void *arg, int item, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int img = item / c->bands, mid = b->mid_c;
  const size_t in_row = (size_t)b->in_w * b->in_c, d_row = (size_t)b->out_w * mid;
  const float *in = (const float *)c->in + (size_t)img * b->in_h * in_row;
  float *out = c->out + (size_t)img * b->out_h * b->out_w * b->out_c;
  float *d = c->x->stage + (size_t)img * p->stage;
  const float *gate =
      c->x->vec + (size_t)img * c->x->vec_stride + up16((size_t)mid) + up16((size_t)b->se_c);
  int r0, r1;
  band_rows(p->rows, c->bands, item % c->bands, &r0, &r1);
  for (int c0 = r0; c0 < r1; c0 += p->chunk) {
    int c1 = c0 + p->chunk < r1 ? c0 + p->chunk : r1;
    size_t pix = (size_t)(c1 - c0) * b->out_w;
    float *dc = d + (size_t)c0 * d_row;
    cpu_scale_channels(dc, pix, mid, gate);
    cpu_gemm(&p->project, 0, 0, p->project.ppg, dc, mid, (int)pix, MODEL_ACT_NONE,
             b->residual ? in + (size_t)c0 * in_row : NULL, b->in_c,
             out + (size_t)c0 * b->out_w * b->out_c, b->out_c);
  }
}

/* Spatial conv of output rows [c0, c1) through im2col, one GEMM per group.
 * rows come from base (absolute row `first` at base). col: scratch. */
static void conv_chunk(const cpu_block_plan *p, const cpu_pack *w, const float *base, int first,
                       size_t row_stride, int c0, int c1, int cin, model_act act, float *col,
                       float *out, size_t ldo) {
  const model_block *b = p->b;
  const size_t taps = (size_t)b->kernel * b->kernel * p->cin_g;
  const int pix = (c1 - c0) * b->out_w;
  for (int g = 0; g < w->groups; g++) {
    for (int r = c0; r < c1; r++) {
      const float *rows[16];
      window_rows(rows, r, b, base, first, row_stride);
      cpu_im2col_row(rows, b->in_w, cin, g * p->cin_g, p->cin_g, b->kernel, b->stride, b->pad_l,
                     b->out_w, col + (size_t)(r - c0) * b->out_w * taps);
    }
    cpu_gemm(w, g, 0, w->ppg, col, taps, pix, act, NULL, 0, out, ldo);
  }
}

/* CONVFIRST and CONVNEXT: spatial conv -> [LN] -> expand+act -> project (+x). */
static void convfirst_item(void *arg, int item, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int img = item / c->bands, in_c = b->in_c, mid = b->mid_c;
  const int next = b->kind == MODEL_BLOCK_CONVNEXT;
  const size_t in_row = (size_t)b->in_w * in_c;
  const float *in = (const float *)c->in + (size_t)img * b->in_h * in_row;
  float *out = c->out + (size_t)img * b->out_h * b->out_w * b->out_c;
  float *col = c->x->scratch[thread];
  float *t = col + (p->dw_conv || next
                        ? 0
                        : up16((size_t)p->chunk * b->out_w * b->kernel * b->kernel * p->cin_g));
  float *m = t + up16((size_t)p->chunk * b->out_w * in_c);
  int r0, r1;
  band_rows(p->rows, c->bands, item % c->bands, &r0, &r1);
  for (int c0 = r0; c0 < r1; c0 += p->chunk) {
    int c1 = c0 + p->chunk < r1 ? c0 + p->chunk : r1;
    const int pix = (c1 - c0) * b->out_w;
    if (next || p->dw_conv) {
      const float *w = next ? b->dw_w.data : b->conv_w.data,
                  *bias = next ? b->dw_b.data : b->conv_b.data;
      for (int r = c0; r < c1; r++) {
        const float *rows[16];
        window_rows(rows, r, b, in, 0, in_row);
        cpu_dw_row(rows, b->in_w, in_c, b->kernel, b->stride, b->pad_l, w, bias, MODEL_ACT_NONE,
                   b->out_w, t + (size_t)(r - c0) * b->out_w * in_c);
      }
    } else {
      conv_chunk(p, &p->conv, in, 0, in_row, c0, c1, in_c, MODEL_ACT_NONE, col, t, in_c);
    }
    if (next)
      cpu_layernorm_rows(t, t, (size_t)pix, in_c, b->norm_w.data, b->norm_b.data, b->ln_eps);
    cpu_gemm(&p->expand, 0, 0, p->expand.ppg, t, in_c, pix, b->act, NULL, 0, m, mid);
    cpu_gemm(&p->project, 0, 0, p->project.ppg, m, mid, pix, MODEL_ACT_NONE,
             b->residual ? in + (size_t)c0 * in_row : NULL, in_c,
             out + (size_t)c0 * b->out_w * b->out_c, b->out_c);
  }
}

/* DOWNSAMPLE: [LayerNorm of the input rows] -> KxK strided conv. */
static void downsample_item(void *arg, int item, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int img = item / c->bands;
  const size_t in_row = (size_t)b->in_w * b->in_c;
  const float *in = (const float *)c->in + (size_t)img * b->in_h * in_row;
  float *out = c->out + (size_t)img * b->out_h * b->out_w * b->out_c;
  float *ln = c->x->scratch[thread];
  float *col =
      ln + (p->has_ln ? up16((size_t)((p->chunk - 1) * b->stride + b->kernel) * in_row) : 0);
  int r0, r1;
  band_rows(p->rows, c->bands, item % c->bands, &r0, &r1);
  for (int c0 = r0; c0 < r1; c0 += p->chunk) {
    int c1 = c0 + p->chunk < r1 ? c0 + p->chunk : r1, lo, hi;
    float *o = out + (size_t)c0 * b->out_w * b->out_c;
    if (p->has_ln) {
      input_span(b, c0, c1, &lo, &hi);
      cpu_layernorm_rows(in + (size_t)lo * in_row, ln, (size_t)(hi - lo) * b->in_w, b->in_c,
                         b->norm_w.data, b->norm_b.data, b->ln_eps);
      conv_chunk(p, &p->conv, ln, lo, in_row, c0, c1, b->in_c, b->act, col, o, b->out_c);
    } else {
      conv_chunk(p, &p->conv, in, 0, in_row, c0, c1, b->in_c, b->act, col, o, b->out_c);
    }
  }
}

/* HEAD phase 1: [1x1 conv + act] over the band's input rows, summed per channel. */
static void head_item(void *arg, int item, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int img = item / c->bands, band = item % c->bands, ch = p->sums_c;
  const size_t in_row = (size_t)b->in_w * b->in_c;
  const float *in = (const float *)c->in + (size_t)img * b->in_h * in_row;
  float *m = c->x->scratch[thread];
  float *sums = c->x->sums + ((size_t)img * CPU_MAX_BANDS + band) * c->x->sums_stride;
  memset(sums, 0, (size_t)ch * sizeof(float));
  int r0, r1;
  band_rows(p->rows, c->bands, band, &r0, &r1);
  for (int c0 = r0; c0 < r1; c0 += p->chunk) {
    int c1 = c0 + p->chunk < r1 ? c0 + p->chunk : r1;
    const int pix = (c1 - c0) * b->in_w;
    if (b->mid_c) {
      cpu_gemm(&p->expand, 0, 0, p->expand.ppg, in + (size_t)c0 * in_row, b->in_c, pix, b->act,
               NULL, 0, m, b->mid_c);
      cpu_sum_pixels(m, (size_t)pix, ch, sums);
    } else {
      cpu_sum_pixels(in + (size_t)c0 * in_row, (size_t)pix, ch, sums);
    }
  }
}

/* HEAD phase 2, per image: mean over bands and pixels, then [LayerNorm]. */
static void head_pool_item(void *arg, int img, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  const model_block *b = p->b;
  const int ch = p->sums_c;
  float *v = c->x->vec + (size_t)img * c->x->vec_stride;
  const float inv = 1.0f / ((float)b->in_h * (float)b->in_w);
  for (int i = 0; i < ch; i++) v[i] = 0.0f;
  for (int band = 0; band < c->bands; band++)
    for (int i = 0; i < ch; i++)
      v[i] += c->x->sums[((size_t)img * CPU_MAX_BANDS + band) * c->x->sums_stride + i];
  for (int i = 0; i < ch; i++) v[i] *= inv;
  if (p->has_ln) cpu_layernorm_rows(v, v, 1, ch, b->norm_w.data, b->norm_b.data, b->ln_eps);
}

/* HEAD phase 3: the classifier, one item per 16-column panel for all images. */
static void head_fc_item(void *arg, int panel, int thread) {
  run_ctx *c = arg;
  const cpu_block_plan *p = c->p;
  cpu_gemm(&p->fc, 0, panel, panel + 1, c->x->vec, c->x->vec_stride, c->n, MODEL_ACT_NONE, NULL, 0,
           c->out, p->b->out_c);
}

/* Bands per image: enough items to occupy every thread when the batch is
 * smaller than the pool, never more than rows or CPU_MAX_BANDS. */
static int pick_bands(const cpu_block_plan *p, int n, int threads) {
  int bands = n >= threads ? 1 : (threads + n - 1) / n;
  if (bands > p->rows) bands = p->rows;
  if (bands > CPU_MAX_BANDS) bands = CPU_MAX_BANDS;
  return bands < 1 ? 1 : bands;
}

void cpu_block_run(const cpu_block_plan *p, cpu_exec *x, const void *in, float *out, int n) {
  run_ctx c = {p, x, in, out, n, pick_bands(p, n, x->threads)};
  const int items = n * c.bands;
  switch (p->b->kind) {
    case MODEL_BLOCK_STEM:
      cpu_pool_for(x->pool, items, stem_item, &c);
      break;
    case MODEL_BLOCK_MBCONV:
      cpu_pool_for(x->pool, items, mbconv_item, &c);
      if (p->b->se_c) {
        cpu_pool_for(x->pool, n, se_item, &c);
        cpu_pool_for(x->pool, items, se_project_item, &c);
      }
      break;
    case MODEL_BLOCK_CONVFIRST:
    case MODEL_BLOCK_CONVNEXT:
      cpu_pool_for(x->pool, items, convfirst_item, &c);
      break;
    case MODEL_BLOCK_DOWNSAMPLE:
      cpu_pool_for(x->pool, items, downsample_item, &c);
      break;
    case MODEL_BLOCK_HEAD:
      cpu_pool_for(x->pool, items, head_item, &c);
      cpu_pool_for(x->pool, n, head_pool_item, &c);
      cpu_pool_for(x->pool, p->fc.ppg, head_fc_item, &c);
      break;
  }
}
