/* Weight conversion and the one-block launch path of the cuda backend:
 * fp32 model tensors -> padded fp16 matrices in one device arena, per-block
 * kernel arguments, planning and enqueueing. Also the kernel-test hook. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fused_kernels/cuda_backend.h"
#include "fused_kernels/cuda_internal.h"

#define NO_OFF SIZE_MAX

/* IEEE binary16 from binary32, round to nearest even, with subnormals,
 * overflow to inf and NaN kept NaN. */
uint16_t cuda_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t absx = x & 0x7fffffffu;
  if (absx > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);
  if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to >= 65520 */
  if (absx < 0x38800000u) {                                   /* below 2^-14: subnormal */
    if (absx < 0x33000000u) return (uint16_t)sign;            /* below half of 2^-24 */
    const uint32_t e = absx >> 23, m = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 126 - (int)e; /* 14 + (127 - e) - 1 ... m >> (shift) gives 10-bit mantissa */
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  uint32_t r = ((absx >> 13) - (112u << 10));
  const uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1))) r++;
  return (uint16_t)(sign | r);
}

/* binary16 -> binary32, exact. */
float cuda_f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ffu, x;
  if (e == 0) {
    if (m == 0) {
      x = sign;
    } else { /* subnormal: normalise */
      e = 113;
      while (!(m & 0x400u)) m <<= 1, e--;
      x = sign | (e << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (e == 31) {
    x = sign | 0x7f800000u | (m << 13);
  } else {
    x = sign | ((e + 112) << 23) | (m << 13);
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}

int cuda_arena_init(cuda_arena *ar, char *err, size_t errlen) {
  memset(ar, 0, sizeof *ar);
  ar->cap = 1 << 20;
  ar->host = calloc(1, ar->cap);
  if (!ar->host) {
    snprintf(err, errlen, "out of memory for the weight arena");
    return -ENOMEM;
  }
  return 0;
}

void cuda_arena_free(cuda_arena *ar) {
  free(ar->host);
  if (ar->dev) cudaFree(ar->dev);
  memset(ar, 0, sizeof *ar);
}

/* Reserves `bytes` (256-aligned, zeroed) and returns its offset, or NO_OFF. */
static size_t arena_alloc(cuda_arena *ar, size_t bytes) {
  const size_t off = (ar->len + 255) & ~(size_t)255;
  if (off + bytes > ar->cap) {
    size_t cap = ar->cap;
    while (off + bytes > cap) cap *= 2;
    unsigned char *h = realloc(ar->host, cap);
    if (!h) return NO_OFF;
    memset(h + ar->cap, 0, cap - ar->cap);
    ar->host = h, ar->cap = cap;
  }
  ar->len = off + bytes;
  return off;
}

/* fp32 [rows][cols] * scale -> fp16 [rows_p][cols_p], zero padded; src NULL = zeros. */
static size_t arena_f16s(cuda_arena *ar, const float *src, int rows, int cols, int rows_p,
                         int cols_p, float scale) {
  const size_t off = arena_alloc(ar, (size_t)rows_p * cols_p * 2);
  if (off == NO_OFF || !src) return off;
  uint16_t *d = (uint16_t *)(ar->host + off);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++)
      d[(size_t)r * cols_p + c] = cuda_f32_to_f16(src[(size_t)r * cols + c] * scale);
  return off;
}

static size_t arena_f16(cuda_arena *ar, const float *src, int rows, int cols, int rows_p,
                        int cols_p) {
  return arena_f16s(ar, src, rows, cols, rows_p, cols_p, 1.f);
}

/* fp32 [rows][cols] * scale -> fp32 [rows][cols_p]; src NULL = zeros. */
static size_t arena_f32s(cuda_arena *ar, const float *src, int rows, int cols, int cols_p,
                         float scale) {
  const size_t off = arena_alloc(ar, (size_t)rows * cols_p * 4);
  if (off == NO_OFF || !src) return off;
  float *d = (float *)(ar->host + off);
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) d[(size_t)r * cols_p + c] = src[(size_t)r * cols + c] * scale;
  return off;
}

static size_t arena_f32(cuda_arena *ar, const float *src, int rows, int cols, int cols_p) {
  return arena_f32s(ar, src, rows, cols, cols_p, 1.f);
}

int cuda_arena_upload(cuda_arena *ar, char *err, size_t errlen) {
  int rc = 0;
  CUDA_TRY(cudaMalloc((void **)&ar->dev, ar->len ? ar->len : 256));
  CUDA_TRY(cudaMemcpy(ar->dev, ar->host, ar->len, cudaMemcpyHostToDevice));
  return 0;
fail:
  return rc;
}

static const float *tdata(const model_tensor *t) {
  return t->data;
}

/* A LayerNorm's gamma and beta over c channels, padded with zeros to cp
 * (an absent gamma is ones, an absent beta zeros). */
static void arena_ln(cuda_arena *ar, const model_block *b, int c, int cp, size_t *og, size_t *ob) {
  *og = arena_alloc(ar, (size_t)cp * 4);
  if (*og != NO_OFF) {
    float *g = (float *)(ar->host + *og);
    for (int i = 0; i < c; i++) g[i] = b->norm_w.data ? b->norm_w.data[i] : 1.f;
  }
  *ob = arena_f32(ar, tdata(&b->norm_b), 1, c, cp);
}

/* fp32 [rows][cols] with each column j scaled by scale[j] (NULL: 1) -> fp16
 * [rows_p][cols_p]. */
static size_t arena_f16_cols(cuda_arena *ar, const float *src, const float *scale, int rows,
                             int cols, int rows_p, int cols_p) {
  if (!scale || !src) return arena_f16(ar, src, rows, cols, rows_p, cols_p);
  float *t = malloc((size_t)rows * cols * sizeof *t);
  if (!t) return NO_OFF;
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) t[(size_t)r * cols + c] = src[(size_t)r * cols + c] * scale[c];
  const size_t off = arena_f16(ar, t, rows, cols, rows_p, cols_p);
  free(t);
  return off;
}

/* The pixel-tile blocks (px_block.cu): convfirst, convnext, downsample, and
 * the stem with a LayerNorm. Offsets: 0, 1 the spatial conv (MLP), 2, 3 the
 * LayerNorm, 4, 5 the expand (MLP), 6, 7 the projection or the conv. */
static int prepare_px(cuda_blk *blk, const model_block *b, const float mean[3], const float std[3],
                      const cuda_device_caps *caps, cuda_arena *ar, char *err, size_t errlen) {
  cuda_px_args *a = &blk->px;
  size_t *o = blk->off;
  const int kk = b->kernel * b->kernel;
  const int has_ln = b->norm_w.data || b->norm_b.data;
  a->H = b->in_h, a->W = b->in_w, a->Cin = b->in_c, a->Cout = b->out_c;
  a->Ho = b->out_h, a->Wo = b->out_w;
  a->CinP = cuda_pad16(b->in_c), a->CoutP = cuda_pad16(b->out_c);
  a->K = b->kernel, a->S = b->stride, a->pad_t = b->pad_t, a->pad_l = b->pad_l;
  a->act = b->act, a->ln_eps = b->ln_eps;
  if (b->kind == MODEL_BLOCK_STEM || b->kind == MODEL_BLOCK_DOWNSAMPLE) {
    a->mode = CUDA_PX_CONV, a->stem = b->kind == MODEL_BLOCK_STEM;
    if (b->groups != 1 || !b->conv_w.data) {
      snprintf(err, errlen, "%s: the cuda %s takes a dense conv (groups = 1)", b->name,
               model_block_kind_name(b->kind));
      return -ENOTSUP;
    }
    const int cs = a->stem ? 3 : a->CinP;
    a->KA = cuda_pad16(kk * cs);
    if (a->stem) {
      for (int c = 0; c < 3; c++) a->mean[c] = mean[c], a->inv_std[c] = 1.f / std[c];
      o[6] = arena_f16(ar, tdata(&b->conv_w), kk * 3, b->out_c, a->KA, a->CoutP);
    } else { /* rows tap * CinP + channel: each tap's channels padded to CinP */
      float *t = calloc((size_t)kk * a->CinP * b->out_c, sizeof *t);
      if (!t) return -ENOMEM;
      for (int tap = 0; tap < kk; tap++)
        memcpy(t + (size_t)tap * a->CinP * b->out_c,
               b->conv_w.data + (size_t)tap * b->in_c * b->out_c,
               (size_t)b->in_c * b->out_c * sizeof *t);
      o[6] = arena_f16(ar, t, kk * a->CinP, b->out_c, a->KA, a->CoutP);
      free(t);
    }
    o[7] = arena_f32(ar, tdata(&b->conv_b), 1, b->out_c, a->CoutP);
    if (has_ln)
      arena_ln(ar, b, a->stem ? b->out_c : b->in_c, a->stem ? a->CoutP : a->CinP, &o[2], &o[3]);
  } else { /* CONVFIRST, CONVNEXT */
    const int next = b->kind == MODEL_BLOCK_CONVNEXT;
    a->mode = CUDA_PX_MLP;
    a->Cmid = b->mid_c, a->CmidP = cuda_pad16(b->mid_c);
    a->cin_g = next ? 1 : b->in_c / b->groups;
    const model_tensor *sw = next ? &b->dw_w : &b->conv_w, *sb = next ? &b->dw_b : &b->conv_b;
    if (!sw->data || !b->expand_w.data || !b->project_w.data || b->in_c % b->groups) {
      snprintf(err, errlen, "%s: %s shapes the cuda kernel does not take", b->name,
               model_block_kind_name(b->kind));
      return -ENOTSUP;
    }
    /* depthwise [K*K][CinP], grouped [K*K][cin_g][CinP] */
    o[0] = arena_f16(ar, tdata(sw), kk * a->cin_g, b->in_c, kk * a->cin_g, a->CinP);
    o[1] = arena_f32(ar, tdata(sb), 1, b->in_c, a->CinP);
    if (has_ln) arena_ln(ar, b, b->in_c, a->CinP, &o[2], &o[3]);
    o[4] = arena_f16(ar, tdata(&b->expand_w), b->in_c, b->mid_c, a->CinP, a->CmidP);
    o[5] = arena_f32(ar, tdata(&b->expand_b), 1, b->mid_c, a->CmidP);
    /* ConvNeXt's layer scale folded into the projection and its bias */
    const float *ls = next ? b->layer_scale.data : NULL;
    o[6] = arena_f16_cols(ar, tdata(&b->project_w), ls, b->mid_c, b->out_c, a->CmidP, a->CoutP);
    if (ls && b->project_b.data) {
      o[7] = arena_f32(ar, NULL, 1, b->out_c, a->CoutP);
      if (o[7] != NO_OFF)
        for (int c = 0; c < b->out_c; c++)
          ((float *)(ar->host + o[7]))[c] = b->project_b.data[c] * ls[c];
    } else {
      o[7] = arena_f32(ar, tdata(&b->project_b), 1, b->out_c, a->CoutP);
    }
  }
  cuda_px_args c[1];
  if (cuda_plan_px_cands(a, 1, caps, c, 1) < 1) {
    snprintf(err, errlen,
             "%s: no pixel-tile launch of %d input and %d output channels fits %zu "
             "bytes of shared memory",
             b->name, b->in_c, b->out_c, caps->smem_optin);
    return -ENOTSUP;
  }
  a->nt = c[0].nt, a->en = c[0].en;
  blk->px_on = 1;
  blk->in_elems = a->stem ? b->in_h * b->in_w * 3 : b->in_h * b->in_w * a->CinP;
  blk->out_elems = b->out_h * b->out_w * a->CoutP;
  return 0;
}

int cuda_blk_prepare(cuda_blk *blk, const model_block *b, const float mean[3], const float std[3],
                     const cuda_device_caps *caps, cuda_arena *ar, char *err, size_t errlen) {
  memset(blk, 0, sizeof *blk);
  for (int i = 0; i < 16; i++) blk->off[i] = NO_OFF;
  blk->b = b;
  size_t *o = blk->off;
  int n_off = 0, rc;
  if ((b->kind == MODEL_BLOCK_STEM && (b->norm_w.data || b->norm_b.data)) ||
      b->kind == MODEL_BLOCK_CONVFIRST || b->kind == MODEL_BLOCK_CONVNEXT ||
      b->kind == MODEL_BLOCK_DOWNSAMPLE) {
    n_off = 8;
    if ((rc = prepare_px(blk, b, mean, std, caps, ar, err, errlen))) return rc;
  } else if (b->kind == MODEL_BLOCK_STEM) {
    const int cp = cuda_pad16(b->out_c);
    if (b->in_c != 3 || b->groups > 1 || !b->conv_w.data) {
      snprintf(err, errlen, "%s: the cuda stem takes a 3-channel dense conv", b->name);
      return -ENOTSUP;
    }
    cuda_stem_args *s = &blk->stem;
    s->H = b->in_h, s->W = b->in_w, s->Ho = b->out_h, s->Wo = b->out_w, s->Cout = b->out_c;
    s->CoutP = cp, s->K = b->kernel, s->S = b->stride, s->pad_t = b->pad_t, s->pad_l = b->pad_l;
    s->act = b->act, s->sms = caps->sms;
    for (int c = 0; c < 3; c++) s->mean[c] = mean[c], s->inv_std[c] = 1.f / std[c];
    o[0] = arena_f32(ar, tdata(&b->conv_w), b->kernel * b->kernel * 3, b->out_c, cp);
    o[1] = arena_f32(ar, tdata(&b->conv_b), 1, b->out_c, cp);
    n_off = 2;
    blk->in_elems = b->in_h * b->in_w * 3;
    blk->out_elems = b->out_h * b->out_w * cp;
  } else if (b->kind == MODEL_BLOCK_MBCONV) {
    cuda_mbconv_args *m = &blk->mb;
    m->has_expand = b->expand_w.data != NULL;
    m->H = b->in_h, m->W = b->in_w, m->Cin = b->in_c, m->Cout = b->out_c;
    m->Cmid = m->has_expand ? b->mid_c : b->in_c;
    m->Ho = b->out_h, m->Wo = b->out_w;
    m->CinP = cuda_pad16(m->Cin), m->CmidP = cuda_pad16(m->Cmid), m->CoutP = cuda_pad16(m->Cout);
    m->K = b->kernel, m->S = b->stride, m->pad_t = b->pad_t, m->pad_l = b->pad_l;
    m->se_c = b->se_c, m->act = b->act, m->se_act = b->se_act;
    m->sms = caps->sms, m->smem_optin = (int)caps->smem_optin;
    m->smem_per_sm = (int)caps->smem_per_sm;
    if (b->groups != m->Cmid || !b->dw_w.data || !b->project_w.data ||
        (b->residual && (b->in_c != b->out_c || b->in_h != b->out_h || b->in_w != b->out_w))) {
      snprintf(err, errlen, "%s: MBConv shapes the cuda kernel does not take", b->name);
      return -ENOTSUP;
    }
    if (m->has_expand) {
      /* swish: stored halved, so the expand GEMM gives x / 2, which swish
         takes (swish_h2_halved) without a multiply per element */
      const float s = m->act == MODEL_ACT_SWISH ? 0.5f : 1.f;
      o[0] = arena_f16s(ar, tdata(&b->expand_w), m->Cin, m->Cmid, m->CinP, m->CmidP, s);
      o[1] = arena_f32s(ar, tdata(&b->expand_b), 1, m->Cmid, m->CmidP, s);
    }
    o[2] = arena_f16(ar, tdata(&b->dw_w), m->K * m->K, m->Cmid, m->K * m->K, m->CmidP);
    o[3] = arena_f32(ar, tdata(&b->dw_b), 1, m->Cmid, m->CmidP);
    o[4] = arena_f16(ar, tdata(&b->project_w), m->Cmid, m->Cout, m->CmidP, m->CoutP);
    o[5] = arena_f32(ar, tdata(&b->project_b), 1, m->Cout, m->CoutP);
    if (b->se_c > 0) {
      if (!b->se_reduce_w.data || !b->se_expand_w.data) {
        snprintf(err, errlen, "%s: squeeze-excite weights missing", b->name);
        return -EINVAL;
      }
      o[6] = arena_f16(ar, tdata(&b->se_reduce_w), m->Cmid, b->se_c, m->CmidP, (b->se_c + 7) & ~7);
      o[7] = arena_f32(ar, tdata(&b->se_reduce_b), 1, b->se_c, cuda_pad16(b->se_c));
      o[8] = arena_f16(ar, tdata(&b->se_expand_w), b->se_c, m->Cmid, b->se_c, m->CmidP);
      o[9] = arena_f32(ar, tdata(&b->se_expand_b), 1, m->Cmid, m->CmidP);
    }
    n_off = 10;
    blk->in_elems = m->H * m->W * m->CinP;
    blk->out_elems = m->Ho * m->Wo * m->CoutP;
  } else if (b->kind == MODEL_BLOCK_HEAD) {
    /* [1x1 conv -> act] -> mean -> [LayerNorm] -> FC */
    const int conv = b->mid_c > 0, c = conv ? b->mid_c : b->in_c;
    if ((conv && !b->expand_w.data) || !b->fc_w.data) {
      snprintf(err, errlen, "%s: the cuda head takes [1x1 conv -> act] -> pool -> FC", b->name);
      return -ENOTSUP;
    }
    const int cinp = cuda_pad16(b->in_c), chp = cuda_pad16(c), clsp = cuda_pad16(b->out_c);
    cuda_head_args *h = &blk->head;
    h->P = b->in_h * b->in_w, h->CinP = cinp, h->Ch = c, h->ChP = chp, h->act = b->act;
    blk->fc.K = chp, blk->fc.NP = clsp;
    h->sms = blk->fc.sms = caps->sms;
    if (conv) {
      o[0] = arena_f16(ar, tdata(&b->expand_w), b->in_c, c, cinp, chp);
      o[1] = arena_f32(ar, tdata(&b->expand_b), 1, c, chp);
    }
    o[2] = arena_f16(ar, tdata(&b->fc_w), c, b->out_c, chp, clsp);
    o[3] = arena_f32(ar, tdata(&b->fc_b), 1, b->out_c, clsp);
    if (b->norm_w.data || b->norm_b.data) arena_ln(ar, b, c, chp, &o[4], &o[5]);
    blk->px.ln_eps = b->ln_eps;
    n_off = 6;
    blk->in_elems = b->in_h * b->in_w * cinp;
    blk->out_elems = clsp;
  } else {
    snprintf(err, errlen, "%s: block kind %s has no cuda kernel yet", b->name,
             model_block_kind_name(b->kind));
    return -ENOTSUP;
  }
  for (int i = 0; i < n_off; i++) {
    /* absent optional tensors are NO_OFF by design; a failed allocation is caught here */
    if (o[i] == NO_OFF && ar->len > ar->cap) return -ENOMEM;
  }
  if (ar->len > ar->cap || !ar->host) {
    snprintf(err, errlen, "out of memory converting %s", b->name);
    return -ENOMEM;
  }
  return 0;
}

/* Device pointer of an arena offset (NULL for an absent tensor). */
static void *aptr(const cuda_arena *ar, size_t off) {
  return off == NO_OFF ? NULL : ar->dev + off;
}

void cuda_blk_resolve(cuda_blk *blk, const cuda_arena *ar) {
  const size_t *o = blk->off;
  switch (blk->b->kind) {
    case MODEL_BLOCK_STEM:
      if (!blk->px_on) blk->stem.w = aptr(ar, o[0]), blk->stem.b = aptr(ar, o[1]);
      break;
    case MODEL_BLOCK_MBCONV:
      blk->mb.w_exp = aptr(ar, o[0]), blk->mb.b_exp = aptr(ar, o[1]);
      blk->mb.w_dw = aptr(ar, o[2]), blk->mb.b_dw = aptr(ar, o[3]);
      blk->mb.w_proj = aptr(ar, o[4]), blk->mb.b_proj = aptr(ar, o[5]);
      blk->mb.w_ser = aptr(ar, o[6]), blk->mb.b_ser = aptr(ar, o[7]);
      blk->mb.w_see = aptr(ar, o[8]), blk->mb.b_see = aptr(ar, o[9]);
      break;
    case MODEL_BLOCK_HEAD:
      blk->head.w = aptr(ar, o[0]), blk->head.b = aptr(ar, o[1]);
      blk->fc.b = aptr(ar, o[2]), blk->fc.bias = aptr(ar, o[3]);
      blk->px.ln_g = aptr(ar, o[4]), blk->px.ln_b = aptr(ar, o[5]);
      break;
    default:
      break;
  }
  if (blk->px_on) {
    cuda_px_args *a = &blk->px;
    a->w_sp = aptr(ar, o[0]), a->b_sp = aptr(ar, o[1]);
    a->ln_g = aptr(ar, o[2]), a->ln_b = aptr(ar, o[3]);
    a->w_exp = aptr(ar, o[4]), a->b_exp = aptr(ar, o[5]);
    a->w_out = aptr(ar, o[6]), a->b_out = aptr(ar, o[7]);
  }
}

int cuda_blk_plan_mbconv(const cuda_blk *blk, int batch, int staged, const cuda_device_caps *caps,
                         size_t cap1, size_t cap2, cuda_blk_plan *p, char *err, size_t errlen) {
  int rc;
  memset(p, 0, sizeof *p);
  p->l[0] = blk->mb;
  p->l[0].res = blk->b->residual ? (const void *)1 : NULL; /* for the cost model; set at launch */
  if (blk->mb.se_c <= 0) {
    p->l[0].mode = CUDA_MB_FUSED;
    p->n = 1;
    return cuda_plan_mbconv(&p->l[0], batch, caps, cap1, err, errlen);
  }
  p->staged = staged;
  p->l[0].mode = CUDA_MB_PASS1;
  if (!staged) p->l[0].stage = NULL;
  p->l[1] = p->l[0];
  p->l[1].stage = blk->mb.stage;
  p->l[1].mode = staged ? CUDA_MB_STAGED : CUDA_MB_RECOMP;
  p->n = 2;
  if ((rc = cuda_plan_mbconv(&p->l[0], batch, caps, cap1, err, errlen))) return rc;
  return cuda_plan_mbconv(&p->l[1], batch, caps, cap2, err, errlen);
}

int cuda_blk_plan_cluster(const cuda_blk *blk, int cl, int cc, const cuda_device_caps *caps,
                          cuda_blk_plan *p, char *err, size_t errlen) {
  memset(p, 0, sizeof *p);
  p->l[0] = blk->mb;
  p->l[0].res = blk->b->residual ? (const void *)1 : NULL; /* set at launch */
  p->n = 1;
  return cuda_plan_mbconv_cluster(&p->l[0], cl, cc, caps, 0, err, errlen);
}

size_t cuda_blk_plan_sums(const cuda_blk_plan *p) {
  if (p->n < 2) return 0;
  return (size_t)p->l[0].tiles_x * p->l[0].tiles_y * p->l[0].CmidP;
}

int cuda_blk_enqueue(const cuda_blk *blk, const cuda_blk_plan *p, int batch, const void *x, void *y,
                     void *pooled, float *logits, cudaStream_t st, char *err, size_t errlen) {
  int rc = 0;
  if (blk->px_on) {
    cuda_px_args a = p && p->px.nt ? p->px : blk->px;
    /* the CONV kinds (downsample, stem) add no residual, as the CPU backend's */
    a.x = x, a.y = y, a.res = blk->b->residual && a.mode == CUDA_PX_MLP ? x : NULL;
    CUDA_TRY(cuda_px_launch(&a, batch, st));
    return 0;
  }
  switch (blk->b->kind) {
    case MODEL_BLOCK_STEM: {
      cuda_stem_args s = blk->stem;
      s.img = x, s.y = y;
      CUDA_TRY(cuda_stem_launch(&s, batch, st));
      break;
    }
    case MODEL_BLOCK_MBCONV:
      for (int i = 0; i < p->n; i++) {
        cuda_mbconv_args a = p->l[i];
        a.x = x, a.y = y, a.res = blk->b->residual ? x : NULL;
        if (p->n == 2) { /* sefuse: pass 2 computes the gates from PASS1's sums */
          a.sefuse = cuda_blk_plan_sefuse(p);
          a.se_tiles = p->l[0].tiles_x * p->l[0].tiles_y;
        }
        CUDA_TRY(cuda_mbconv_launch(&a, batch, st));
      }
      break;
    case MODEL_BLOCK_HEAD: {
      cuda_head_args h = blk->head;
      const cuda_px_args *ln = &blk->px;
      h.x = x, h.pooled = pooled;
      if (blk->b->mid_c > 0) {
        CUDA_TRY(cuda_head_launch(&h, batch, st));
        if (ln->ln_g)
          CUDA_TRY(cuda_pool_ln_launch(NULL, pooled, ln->ln_g, ln->ln_b, ln->ln_eps, batch, 1, h.Ch,
                                       h.ChP, st));
      } else {
        CUDA_TRY(cuda_pool_ln_launch(x, pooled, ln->ln_g, ln->ln_b, ln->ln_eps, batch, h.P, h.Ch,
                                     h.ChP, st));
      }
      cuda_gemm_args g = blk->fc;
      g.a = pooled, g.c = logits, g.M = cuda_pad16(batch);
      CUDA_TRY(cuda_gemm_launch(&g, st));
      break;
    }
    default:
      snprintf(err, errlen, "%s: no cuda kernel", blk->b->name);
      return -ENOTSUP;
  }
  return 0;
fail:
  return rc;
}

/* BLOCKFUSE_CUDA_CARVEOUT: every kernel's preferred shared-memory carveout in
 * percent, -1 = the driver's choice; 100 (all shared) when unset. -2 when it
 * is set to anything else. */
static int kernels_carveout(void) {
  const char *v = getenv("BLOCKFUSE_CUDA_CARVEOUT");
  char *end;
  if (!v || !*v) return 100;
  const long c = strtol(v, &end, 10);
  return *end || c < -1 || c > 100 ? -2 : (int)c;
}

int cuda_caps_query(int device, cuda_device_caps *caps, char *err, size_t errlen) {
  int rc = 0, v = 0;
  memset(caps, 0, sizeof *caps);
  CUDA_TRY(cudaDeviceGetAttribute(&caps->sms, cudaDevAttrMultiProcessorCount, device));
  CUDA_TRY(cudaDeviceGetAttribute(&caps->clock_khz, cudaDevAttrClockRate, device));
  CUDA_TRY(cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
  caps->smem_optin = (size_t)v;
  CUDA_TRY(cudaDeviceGetAttribute(&v, cudaDevAttrMaxSharedMemoryPerMultiprocessor, device));
  caps->smem_per_sm = (size_t)v;
  CUDA_TRY(
      cudaDeviceGetAttribute(&caps->regs_per_sm, cudaDevAttrMaxRegistersPerMultiprocessor, device));
  caps->bulk = cuda_pg_bulk_supported();
  caps->wg = cuda_pg_wg_supported();
  const int carveout = kernels_carveout();
  if (carveout < -1) {
    snprintf(err, errlen, "BLOCKFUSE_CUDA_CARVEOUT=%s: expected -1 (the driver's choice) or 0..100",
             getenv("BLOCKFUSE_CUDA_CARVEOUT"));
    return -EINVAL;
  }
  CUDA_TRY(cuda_kernels_init((int)caps->smem_optin, carveout));
  /* A/B switches of the launchers: BLOCKFUSE_CUDA_PDL=0 plain launches,
   * BLOCKFUSE_CUDA_SEPRE=0 the SE kernel without its shared-memory copies,
   * BLOCKFUSE_CUDA_STEMBAND=0 the stem without its band kernel,
   * BLOCKFUSE_CUDA_SEBATCH=0 the SE MLP per image at every batch,
   * BLOCKFUSE_CUDA_SEMMA=0 never on tensor cores (se_mma.cu), =all wherever
   * that fits; se_mma.cu's kernel launches thread-block clusters, so never
   * where the device has none */
  int clusters = 0;
  CUDA_TRY(cudaDeviceGetAttribute(&clusters, cudaDevAttrClusterLaunch, device));
  cuda_kernels_set_options(
      !cuda_env_is("BLOCKFUSE_CUDA_PDL", "0"), !cuda_env_is("BLOCKFUSE_CUDA_SEPRE", "0"),
      !cuda_env_is("BLOCKFUSE_CUDA_STEMBAND", "0"), !cuda_env_is("BLOCKFUSE_CUDA_SEBATCH", "0"),
      !clusters || cuda_env_is("BLOCKFUSE_CUDA_SEMMA", "0") ? 0
      : cuda_env_is("BLOCKFUSE_CUDA_SEMMA", "all")          ? 2
                                                            : 1);
  static const int nfs[5] = {1, 2, 4, 8, 16};
  for (int i = 0; i < 5; i++) caps->regs_nf[i] = cuda_mbconv_regs(nfs[i]);
  return 0;
fail:
  return rc;
}

int cuda_device_count(void) {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : 0;
}

/* fp32 NHWC (c channels) -> fp16 NHWC (cp channels, zero pad). */
static void to_f16_padded(const float *src, uint16_t *dst, size_t px, int c, int cp) {
  for (size_t p = 0; p < px; p++)
    for (int k = 0; k < cp; k++) dst[p * cp + k] = k < c ? cuda_f32_to_f16(src[p * c + k]) : 0;
}

int cuda_block_test_run(const model_block *b, const float mean[3], const float std[3], int n,
                        const void *in, float *out, long long staged, int zsplit, int device,
                        char *err, size_t errlen) {
  int rc = 0;
  cuda_arena ar = {0};
  cuda_blk blk;
  cuda_blk_plan plan = {0};
  cuda_device_caps caps;
  cudaStream_t st = NULL;
  void *d_in = NULL, *d_out = NULL, *d_pooled = NULL, *d_stage = NULL, *d_sums = NULL,
       *d_scale = NULL, *d_part = NULL, *d_poolsum = NULL;
  void *h_in = NULL, *h_out = NULL;
  CUDA_TRY(cudaSetDevice(device));
  if ((rc = cuda_caps_query(device, &caps, err, errlen))) goto fail;
  caps.peak_flops = 4e14, caps.peak_bw = 3e12; /* planner rates; no probe in tests */
  if ((rc = cuda_arena_init(&ar, err, errlen))) goto fail;
  if ((rc = cuda_blk_prepare(&blk, b, mean, std, &caps, &ar, err, errlen))) goto fail;
  if ((rc = cuda_arena_upload(&ar, err, errlen))) goto fail;
  cuda_blk_resolve(&blk, &ar);
  if (b->kind == MODEL_BLOCK_STEM && (staged & CUDA_TEST_STEMBAND)) blk.stem.sms = 1;
  CUDA_TRY(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));

  const size_t in_px = (size_t)n * b->in_h * b->in_w;
  const size_t in_bytes = b->kind == MODEL_BLOCK_STEM ? in_px * 3 : (size_t)n * blk.in_elems * 2;
  const size_t out_bytes = b->kind == MODEL_BLOCK_HEAD ? (size_t)cuda_pad16(n) * blk.out_elems * 4
                                                       : (size_t)n * blk.out_elems * 2;
  h_in = malloc(in_bytes);
  h_out = malloc(out_bytes);
  if (!h_in || !h_out) {
    snprintf(err, errlen, "out of memory");
    rc = -ENOMEM;
    goto fail;
  }
  if (b->kind == MODEL_BLOCK_STEM)
    memcpy(h_in, in, in_bytes);
  else
    to_f16_padded(in, h_in, in_px, b->in_c, cuda_pad16(b->in_c));
  CUDA_TRY(cudaMalloc(&d_in, in_bytes));
  CUDA_TRY(cudaMalloc(&d_out, out_bytes));
  CUDA_TRY(cudaMemcpy(d_in, h_in, in_bytes, cudaMemcpyHostToDevice));
  CUDA_TRY(cudaMemset(d_out, 0xff, out_bytes)); /* NaN in fp16 and fp32 */
  if (b->kind == MODEL_BLOCK_MBCONV) {
    cuda_mbconv_args *m = &blk.mb;
    CUDA_TRY(cudaMalloc(&d_stage, (size_t)n * m->Ho * m->Wo * m->CmidP * 2));
    CUDA_TRY(cudaMemset(d_stage, 0xff, (size_t)n * m->Ho * m->Wo * m->CmidP * 2));
    CUDA_TRY(cudaMalloc(&d_scale, (size_t)n * m->CmidP * 4));
    CUDA_TRY(cudaMemset(d_scale, 0xff, (size_t)n * m->CmidP * 4));
    m->stage = d_stage, m->scale = d_scale;
    if (staged & CUDA_TEST_CLUSTER) { /* cl = zsplit (default 4), the largest chunk that fits */
      rc = -ENOSPC;
      for (int cc = staged & CUDA_TEST_CC16 ? 16 : 64; cc >= 16 && rc; cc /= 2)
        rc = cuda_blk_plan_cluster(&blk, zsplit > 0 ? zsplit : 4, cc, &caps, &plan, err, errlen);
      if (rc) goto fail;
      plan.l[0].dwh2 = (staged & CUDA_TEST_DWH2) != 0;
      zsplit = 0, staged &= ~CUDA_TEST_LOWREG;
    } else if ((rc = cuda_blk_plan_mbconv(&blk, n, staged & 1, &caps, 0, 0, &plan, err, errlen))) {
      goto fail;
    } else if ((staged >> 10) & 0xff) { /* CUDA_TEST_CC(cc) */
      for (int i = 0; i < plan.n && !rc; i++)
        rc = cuda_plan_mbconv_cc(&plan.l[i], n, &caps, 0, (staged >> 10) & 0xff, err, errlen);
      if (rc) goto fail;
    }
    const int strips = (int)(staged >> 36) & 3;   /* CUDA_TEST_STRIPS(ny) */
    if (strips || (staged & CUDA_TEST_ROWTILE)) { /* PASS1's tile replaced (before the sums
                                                     are sized by its tiles) */
      cuda_mbconv_args *l = &plan.l[0];
      if (plan.n < 2 || l->mode != CUDA_MB_PASS1) {
        snprintf(err, errlen, "%s: the plan has no PASS1 to give a tile", b->name);
        rc = -EINVAL;
        goto fail;
      }
      if (strips) /* a tile of whole strips */
        l->TW = l->Wo > 7 ? 14 : 7, l->TH = strips == 2 ? 4 : 3;
      else
        l->TW = l->Wo, l->TH = l->Ho < 16 ? l->Ho : 16;
      l->tiles_x = (l->Wo + l->TW - 1) / l->TW, l->tiles_y = (l->Ho + l->TH - 1) / l->TH;
      if (!strips && plan.l[1].mode == CUDA_MB_RECOMP) { /* the recomputing pass 2's too */
        cuda_mbconv_args *r = &plan.l[1];
        r->TW = l->TW, r->TH = l->TH, r->tiles_x = l->tiles_x, r->tiles_y = l->tiles_y;
      }
    }
    if (staged & CUDA_TEST_WGX) { /* PASS1 as mbconv_wg.cu's kernel: the image its tile */
      cuda_mbconv_args *l = &plan.l[0];
      /* the planner's split was of its chunks; zsplit below splits these */
      cuda_mbconv_wgx_set(l, 1);
      if (plan.n < 2 || !caps.wg || !cuda_mbconv_wgx_ok(l)) {
        snprintf(err, errlen, "%s: mbconv_wg.cu's PASS1 does not apply (%s)", b->name,
                 caps.wg ? "shape" : "needs an sm_90a build on sm_90");
        rc = -EINVAL;
        goto fail;
      }
    }
    const size_t sums = cuda_blk_plan_sums(&plan) * n * 4;
    CUDA_TRY(cudaMalloc(&d_sums, sums ? sums : 4));
    CUDA_TRY(cudaMemset(d_sums, 0xff, sums ? sums : 4));
    for (int i = 0; i < plan.n; i++) {
      cuda_mbconv_args *l = &plan.l[i];
      l->sums = d_sums;
      if (zsplit > 0) { /* largest split <= zsplit that gives every CTA work */
        const int nch = (l->CmidP + l->CC - 1) / l->CC, nct = l->CoutP / 16;
        const int units = l->mode == CUDA_MB_PASS1 ? nch : nct;
        for (int z = zsplit < units ? zsplit : units; z >= 1; z--) {
          if (cuda_split_ok(units, z)) {
            l->zsplit = z;
            break;
          }
        }
      }
      l->lowreg = (staged & CUDA_TEST_LOWREG) && cuda_mbconv_nf(l) == 1;
      l->dwh2 = (staged & CUDA_TEST_DWH2) != 0;
      l->dwrows = strips && l->mode == CUDA_MB_PASS1 ? 3 + strips
                  : staged & CUDA_TEST_DWVEC         ? 3
                  : staged & CUDA_TEST_QUADS         ? 2
                                                     : (staged & CUDA_TEST_ROWS) != 0;
      l->dwdirect =
          (staged & CUDA_TEST_DWDIRECT) && (l->mode == CUDA_MB_PASS1 || l->mode == CUDA_MB_RECOMP);
      if (l->dwdirect && !cuda_mbconv_dwdirect_ok(l)) {
        snprintf(err, errlen, "%s: dw_direct does not apply to this %s", b->name,
                 l->mode == CUDA_MB_PASS1 ? "PASS1" : "recomputing pass 2");
        rc = -EINVAL;
        goto fail;
      }
      l->f32exp = (staged & CUDA_TEST_F32EXP) != 0;
      l->se_g = staged & CUDA_TEST_SE1 ? 1 : 0;
      l->se_batch = staged & CUDA_TEST_SEMMA ? 2 : staged & CUDA_TEST_SEBATCH ? 1 : -1;
      l->wide = (staged & CUDA_TEST_WIDE) && !l->lowreg;
      if (l->wide && cuda_mbconv_nf(l) > 4) l->wide = 0;
      if (l->mode == CUDA_MB_PASS1 && l->dwrows >= 2 && cuda_mbconv_dw_shape(l) != l->dwrows) {
        snprintf(err, errlen, "%s: %s does not apply to this PASS1", b->name,
                 l->dwrows >= 4   ? "strips"
                 : l->dwrows == 3 ? "dwvec"
                                  : "dwquads");
        rc = -EINVAL;
        goto fail;
      }
      l->dwrun = l->mode == CUDA_MB_PASS1 ? (int)(staged >> 33) & 7 : 0;
      if (l->dwrun && !cuda_mbconv_dwrun_ok(l)) {
        snprintf(err, errlen, "%s: dw_run %d does not apply to this PASS1", b->name, l->dwrun);
        rc = -EINVAL;
        goto fail;
      }
      if (l->mode == CUDA_MB_STAGED && (staged & (CUDA_TEST_GEMM | CUDA_TEST_GEMM64))) {
        const int nct = l->CoutP / 16;
        l->gemm = (staged & CUDA_TEST_GEMM96) == CUDA_TEST_GEMM96 ? 96
                  : staged & CUDA_TEST_GEMM64                     ? 64
                                                                  : 128;
        l->wide = l->lowreg = l->dwh2 = 0;
        if (l->zsplit < (nct + 7) / 8) l->zsplit = (nct + 7) / 8;
        l->ksplit = (staged >> 18) & 15, l->sefuse = (staged & CUDA_TEST_SEFUSE) != 0;
        l->stream = (staged >> 23) & 15, l->bulk = (staged & CUDA_TEST_BULK) != 0;
        l->wg = (staged & CUDA_TEST_WG) != 0;
        l->narrow = (staged & CUDA_TEST_NARROW) != 0;
        if (l->narrow) l->gemm = 64, l->zsplit = 1;
        if (l->bulk && !caps.bulk) {
          snprintf(err, errlen, "%s: the bulk-copy GEMM needs sm_90", b->name);
          rc = -EINVAL;
          goto fail;
        }
        if (l->wg && !caps.wg) {
          snprintf(err, errlen, "%s: the warpgroup-MMA GEMM needs an sm_90a build on sm_90",
                   b->name);
          rc = -EINVAL;
          goto fail;
        }
        if (l->wg && zsplit <= 0) l->zsplit = (nct + 15) / 16; /* its fewest column splits */
        while (l->ksplit > 1 && l->ksplit > (l->CmidP + 31) / 32) l->ksplit--;
        while (l->sefuse && cuda_mbconv_smem(l) > caps.smem_optin && cuda_gate_proj_ks(l) < 8)
          l->ksplit = cuda_gate_proj_ks(l) + 1; /* the SE weights of fewer channels per CTA */
        while (!cuda_gate_proj_ok(l) && l->zsplit < nct) l->zsplit++;
        if (!cuda_gate_proj_ok(l)) {
          snprintf(err, errlen, "%s: no valid pixel GEMM launch for the test's flags", b->name);
          rc = -EINVAL;
          goto fail;
        }
      }
    }
  } else if (blk.px_on && zsplit > 0) { /* zsplit = nt; staged & 1: en = 1; hs */
    plan.px = blk.px;
    plan.px.nt = zsplit, plan.px.en = staged & 1 ? 1 : 2;
    plan.px.hs = (int)(staged >> 1) & 63;
    plan.px.rw = (staged & CUDA_TEST_PX_RW) && plan.px.mode == CUDA_PX_MLP;
    plan.px.wg = plan.px.mode == CUDA_PX_MLP ? (int)(staged >> 8) & 3 : 0;
    if (plan.px.mode == CUDA_PX_CONV) plan.px.en = 1;
    if (plan.px.wg) {
      plan.px.en = 2;
      if (!caps.wg) {
        snprintf(err, errlen, "%s: the warpgroup-MMA kernel needs sm_90a code", b->name);
        rc = -ENOTSUP;
        goto fail;
      }
    }
    const int nch = cuda_px_chunks(&plan.px);
    if (plan.px.hs > nch) plan.px.hs = nch; /* at most a chunk per split */
    if (plan.px.hs > 1) {
      const size_t part = (size_t)n * b->out_h * b->out_w * blk.px.CoutP * 4;
      CUDA_TRY(cudaMalloc(&d_part, part));
      CUDA_TRY(cudaMemset(d_part, 0, part));
      plan.px.part = d_part;
    }
    if (cuda_px_smem(&plan.px) > caps.smem_optin) {
      snprintf(err, errlen, "%s: nt %d en %d does not fit the shared memory", b->name, zsplit,
               plan.px.en);
      rc = -EINVAL;
      goto fail;
    }
  } else if (b->kind == MODEL_BLOCK_HEAD) {
    if (staged & CUDA_TEST_WG) { /* the GEMM on warpgroup MMAs */
      int bm, nt8, z;
      blk.head.wg = 1;
      if (!caps.wg || !cuda_head_wg_grid(&blk.head, n, &bm, &nt8, &z)) {
        snprintf(err, errlen, "%s: the head's warpgroup-MMA GEMM does not apply (%s)", b->name,
                 caps.wg ? "shape" : "needs an sm_90a build on sm_90");
        rc = -EINVAL;
        goto fail;
      }
    }
    CUDA_TRY(cudaMalloc(&d_pooled, (size_t)cuda_pad16(n) * blk.head.ChP * 2));
    CUDA_TRY(cudaMalloc(&d_part, (size_t)CUDA_GEMM_MAX_SPLIT * cuda_pad16(n) * blk.fc.NP * 4));
    CUDA_TRY(cudaMalloc(&d_poolsum, (size_t)n * blk.head.ChP * 4));
    CUDA_TRY(cudaMemset(d_poolsum, 0, (size_t)n * blk.head.ChP * 4));
    blk.fc.part = d_part;
    blk.head.pool_sum = d_poolsum;
    CUDA_TRY(cudaMemset(d_pooled, 0, (size_t)cuda_pad16(n) * blk.head.ChP * 2));
  }
  if ((rc =
           cuda_blk_enqueue(&blk, &plan, n, d_in, b->kind == MODEL_BLOCK_HEAD ? NULL : d_out,
                            d_pooled, b->kind == MODEL_BLOCK_HEAD ? d_out : NULL, st, err, errlen)))
    goto fail;
  CUDA_TRY(cudaStreamSynchronize(st));
  CUDA_TRY(cudaMemcpy(h_out, d_out, out_bytes, cudaMemcpyDeviceToHost));
  if (b->kind == MODEL_BLOCK_HEAD) {
    for (int i = 0; i < n; i++)
      for (int c = 0; c < b->out_c; c++)
        out[(size_t)i * b->out_c + c] = ((float *)h_out)[(size_t)i * blk.out_elems + c];
  } else {
    const int cp = cuda_pad16(b->out_c);
    const size_t px = (size_t)n * b->out_h * b->out_w;
    const uint16_t *h = h_out;
    for (size_t p = 0; p < px; p++) {
      for (int c = 0; c < cp; c++) {
        const float v = cuda_f16_to_f32(h[p * cp + c]);
        if (c < b->out_c)
          out[p * b->out_c + c] = v;
        else if (v != 0.f) { /* padded channels must stay zero for the next block */
          snprintf(err, errlen, "%s: padded channel %d of pixel %zu is %g, not 0", b->name, c, p,
                   v);
          rc = -EPROTO;
          goto fail;
        }
      }
    }
  }
fail:
  if (st) cudaStreamDestroy(st);
  cudaFree(d_in), cudaFree(d_out), cudaFree(d_pooled), cudaFree(d_stage), cudaFree(d_sums);
  cudaFree(d_scale), cudaFree(d_part), cudaFree(d_poolsum);
  free(h_in), free(h_out);
  cuda_arena_free(&ar);
  return rc;
}
