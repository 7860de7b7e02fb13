/* Inner kernels of the CPU backend. Vectorised with GCC/Clang vector
 * extensions (portable C, compiled to AVX2/FMA under -march=x86-64-v3); every
 * kernel has a scalar tail so that any channel count works. */
#define _GNU_SOURCE
#include "model/cpu_kernels.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t cpu_v8i __attribute__((vector_size(32)));

/* Eight copies of x. */
static inline cpu_v8 vsplat(float x) {
  return (cpu_v8){x, x, x, x, x, x, x, x};
}

/* Unaligned load / store of eight floats. */
static inline cpu_v8 vload(const float *p) {
  return *(const cpu_v8u *)p;
}

static inline void vstore(float *p, cpu_v8 v) {
  *(cpu_v8u *)p = v;
}

/* Lane-wise max / min (NaN in a yields b). */
static inline cpu_v8 vmax(cpu_v8 a, cpu_v8 b) {
  cpu_v8i m = a > b;
  return (cpu_v8)((m & (cpu_v8i)a) | (~m & (cpu_v8i)b));
}

static inline cpu_v8 vmin(cpu_v8 a, cpu_v8 b) {
  cpu_v8i m = a < b;
  return (cpu_v8)((m & (cpu_v8i)a) | (~m & (cpu_v8i)b));
}

/* exp(x): Cody-Waite range reduction to [-ln2/2, ln2/2] and the Cephes
 * degree-6 polynomial; relative error ~2e-7. Inputs are clamped so that
 * 2^n stays a normal float. */
static inline cpu_v8 vexp(cpu_v8 x) {
  x = vmin(x, vsplat(88.0f));
  x = vmax(x, vsplat(-87.33654f));
  cpu_v8 fx = x * 1.44269504088896341f + 0.5f;
  cpu_v8i n = __builtin_convertvector(fx, cpu_v8i);
  n += (cpu_v8i)(__builtin_convertvector(n, cpu_v8) > fx); /* trunc -> floor */
  cpu_v8 fn = __builtin_convertvector(n, cpu_v8);
  x = x - fn * 0.693359375f;
  x = x - fn * -2.12194440e-4f;
  cpu_v8 z = x * x;
  cpu_v8 y = vsplat(1.9875691500e-4f);
  y = y * x + 1.3981999507e-3f;
  y = y * x + 8.3334519073e-3f;
  y = y * x + 4.1665795894e-2f;
  y = y * x + 1.6666665459e-1f;
  y = y * x + 5.0000001201e-1f;
  y = y * z + x + 1.0f;
  cpu_v8i e = (n + 127) << 23;
  return y * (cpu_v8)e;
}

/* Activation of eight lanes; GELU goes lane by lane through erff. */
static inline cpu_v8 vact(model_act a, cpu_v8 v) {
  switch (a) {
    case MODEL_ACT_RELU:
      return vmax(v, vsplat(0.0f));
    case MODEL_ACT_RELU6:
      return vmin(vmax(v, vsplat(0.0f)), vsplat(6.0f));
    case MODEL_ACT_SWISH:
      return v / (1.0f + vexp(-v));
    case MODEL_ACT_SIGMOID:
      return 1.0f / (1.0f + vexp(-v));
    case MODEL_ACT_GELU:
      for (int i = 0; i < 8; i++) v[i] = 0.5f * v[i] * (1.0f + erff(v[i] * (float)M_SQRT1_2));
      return v;
    case MODEL_ACT_NONE:
    default:
      return v;
  }
}

float cpu_act_f(model_act a, float x) {
  switch (a) {
    case MODEL_ACT_RELU:
      return x > 0.0f ? x : 0.0f;
    case MODEL_ACT_RELU6:
      return x > 0.0f ? (x < 6.0f ? x : 6.0f) : 0.0f;
    case MODEL_ACT_SWISH:
      return x / (1.0f + expf(-x));
    case MODEL_ACT_SIGMOID:
      return 1.0f / (1.0f + expf(-x));
    case MODEL_ACT_GELU:
      return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
    case MODEL_ACT_NONE:
    default:
      return x;
  }
}

void cpu_act_inplace(model_act a, float *x, size_t n) {
  if (a == MODEL_ACT_NONE) return;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) vstore(x + i, vact(a, vload(x + i)));
  for (; i < n; i++) x[i] = cpu_act_f(a, x[i]);
}

float *cpu_alloc_floats(size_t n) {
  size_t bytes = (n ? n : 1) * sizeof(float);
  bytes = (bytes + 63) & ~(size_t)63;
  return aligned_alloc(64, bytes);
}

int cpu_pack_init(cpu_pack *p, const float *src, int k, int n, int groups, const float *bias,
                  const float *scale) {
  memset(p, 0, sizeof *p);
  p->k = k, p->n = n, p->groups = groups;
  p->ppg = (n + CPU_NR - 1) / CPU_NR;
  size_t panels = (size_t)groups * p->ppg, ld = (size_t)groups * n;
  p->w = cpu_alloc_floats(panels * k * CPU_NR);
  p->bias = cpu_alloc_floats(panels * CPU_NR);
  if (scale) p->scale = cpu_alloc_floats(panels * CPU_NR);
  if (!p->w || !p->bias || (scale && !p->scale)) {
    cpu_pack_free(p);
    return -ENOMEM;
  }
  memset(p->w, 0, panels * k * CPU_NR * sizeof(float));
  memset(p->bias, 0, panels * CPU_NR * sizeof(float));
  if (p->scale) memset(p->scale, 0, panels * CPU_NR * sizeof(float));
  for (int g = 0; g < groups; g++) {
    for (int pn = 0; pn < p->ppg; pn++) {
      size_t panel = (size_t)g * p->ppg + pn;
      int nc = n - pn * CPU_NR < CPU_NR ? n - pn * CPU_NR : CPU_NR;
      size_t col = (size_t)g * n + (size_t)pn * CPU_NR;
      float *dst = p->w + panel * k * CPU_NR;
      for (int kk = 0; kk < k; kk++)
        memcpy(dst + (size_t)kk * CPU_NR, src + kk * ld + col, (size_t)nc * sizeof(float));
      if (bias) memcpy(p->bias + panel * CPU_NR, bias + col, (size_t)nc * sizeof(float));
      if (scale) memcpy(p->scale + panel * CPU_NR, scale + col, (size_t)nc * sizeof(float));
    }
  }
  return 0;
}

void cpu_pack_free(cpu_pack *p) {
  free(p->w);
  free(p->bias);
  free(p->scale);
  memset(p, 0, sizeof *p);
}

/* The micro-kernel: mr (<= CPU_MR) pixels x one 16-column panel, all k
 * accumulated in registers (2*mr accumulators), then the epilogue. Always
 * inlined with a constant mr so that the loops over i unroll completely. */
static inline __attribute__((always_inline)) void gemm_tile(
    const int mr, int k, const float *a, size_t lda, const float *wp, const float *bias,
    const float *scale, model_act act, const float *res, size_t ldr, float *c, size_t ldc, int nc) {
  cpu_v8 acc0[CPU_MR], acc1[CPU_MR];
  const cpu_v8 b0 = *(const cpu_v8 *)bias, b1 = *(const cpu_v8 *)(bias + 8);
  for (int i = 0; i < mr; i++) acc0[i] = b0, acc1[i] = b1;
  for (int kk = 0; kk < k; kk++) {
    const cpu_v8 w0 = *(const cpu_v8 *)(wp + (size_t)kk * CPU_NR);
    const cpu_v8 w1 = *(const cpu_v8 *)(wp + (size_t)kk * CPU_NR + 8);
    for (int i = 0; i < mr; i++) {
      const float x = a[i * lda + kk];
      acc0[i] += x * w0;
      acc1[i] += x * w1;
    }
  }
  for (int i = 0; i < mr; i++) {
    cpu_v8 v0 = vact(act, acc0[i]), v1 = vact(act, acc1[i]);
    if (scale) {
      v0 *= *(const cpu_v8 *)scale;
      v1 *= *(const cpu_v8 *)(scale + 8);
    }
    float *ci = c + i * ldc;
    if (nc == CPU_NR) {
      if (res) {
        v0 += vload(res + i * ldr);
        v1 += vload(res + i * ldr + 8);
      }
      vstore(ci, v0);
      vstore(ci + 8, v1);
    } else {
      float t[CPU_NR];
      vstore(t, v0);
      vstore(t + 8, v1);
      for (int j = 0; j < nc; j++) ci[j] = res ? t[j] + res[i * ldr + j] : t[j];
    }
  }
}

void cpu_gemm(const cpu_pack *w, int g, int p0, int p1, const float *a, size_t lda, int m,
              model_act act, const float *res, size_t ldr, float *c, size_t ldc) {
  const int k = w->k;
  for (int pn = p0; pn < p1; pn++) {
    size_t panel = (size_t)g * w->ppg + pn;
    const float *wp = w->w + panel * k * CPU_NR;
    const float *bias = w->bias + panel * CPU_NR;
    const float *scale = w->scale ? w->scale + panel * CPU_NR : NULL;
    size_t col = (size_t)g * w->n + (size_t)pn * CPU_NR;
    int nc = w->n - pn * CPU_NR < CPU_NR ? w->n - pn * CPU_NR : CPU_NR;
    float *cc = c + col;
    const float *rr = res ? res + col : NULL;
    int i = 0;
    for (; i + CPU_MR <= m; i += CPU_MR)
      gemm_tile(CPU_MR, k, a + i * lda, lda, wp, bias, scale, act, rr ? rr + i * ldr : NULL, ldr,
                cc + i * ldc, ldc, nc);
    const float *ai = a + i * lda, *ri = rr ? rr + i * ldr : NULL;
    float *ci = cc + i * ldc;
    switch (m - i) {
      case 5:
        gemm_tile(5, k, ai, lda, wp, bias, scale, act, ri, ldr, ci, ldc, nc);
        break;
      case 4:
        gemm_tile(4, k, ai, lda, wp, bias, scale, act, ri, ldr, ci, ldc, nc);
        break;
      case 3:
        gemm_tile(3, k, ai, lda, wp, bias, scale, act, ri, ldr, ci, ldc, nc);
        break;
      case 2:
        gemm_tile(2, k, ai, lda, wp, bias, scale, act, ri, ldr, ci, ldc, nc);
        break;
      case 1:
        gemm_tile(1, k, ai, lda, wp, bias, scale, act, ri, ldr, ci, ldc, nc);
        break;
      default:
        break;
    }
  }
}

/* Output pixels [ow0, ow1) of a depthwise row, any of them at the image
 * edge: taps are clipped per pixel. */
static void dw_pixels(const float *const *rows, int in_w, int C, int K, int s, int pad_l,
                      const float *w, const float *b, model_act act, int ow0, int ow1, float *out) {
  for (int ow = ow0; ow < ow1; ow++) {
    const int iw0 = ow * s - pad_l;
    const int kw_lo = iw0 < 0 ? -iw0 : 0;
    const int kw_hi = in_w - iw0 < K ? in_w - iw0 : K;
    float *o = out + (size_t)ow * C;
    int c = 0;
    for (; c + 16 <= C; c += 16) {
      cpu_v8 a0 = b ? vload(b + c) : vsplat(0.0f), a1 = b ? vload(b + c + 8) : vsplat(0.0f);
      for (int kh = 0; kh < K; kh++) {
        if (!rows[kh]) continue;
        const float *wk = w + (size_t)kh * K * C + c;
        for (int kw = kw_lo; kw < kw_hi; kw++) {
          const float *x = rows[kh] + (size_t)(iw0 + kw) * C + c;
          a0 += vload(x) * vload(wk + (size_t)kw * C);
          a1 += vload(x + 8) * vload(wk + (size_t)kw * C + 8);
        }
      }
      vstore(o + c, vact(act, a0));
      vstore(o + c + 8, vact(act, a1));
    }
    for (; c + 8 <= C; c += 8) {
      cpu_v8 a0 = b ? vload(b + c) : vsplat(0.0f);
      for (int kh = 0; kh < K; kh++) {
        if (!rows[kh]) continue;
        const float *wk = w + (size_t)kh * K * C + c;
        for (int kw = kw_lo; kw < kw_hi; kw++)
          a0 += vload(rows[kh] + (size_t)(iw0 + kw) * C + c) * vload(wk + (size_t)kw * C);
      }
      vstore(o + c, vact(act, a0));
    }
    for (; c < C; c++) {
      float a0 = b ? b[c] : 0.0f;
      for (int kh = 0; kh < K; kh++) {
        if (!rows[kh]) continue;
        for (int kw = kw_lo; kw < kw_hi; kw++)
          a0 += rows[kh][(size_t)(iw0 + kw) * C + c] * w[((size_t)kh * K + kw) * C + c];
      }
      o[c] = cpu_act_f(act, a0);
    }
  }
}

/* Eight channels of four interior output pixels (every tap inside the
 * row): each weight vector is loaded once for the four. */
static inline void dw_quad(const float *const *rows, int C, int K, int s, int pad_l, const float *w,
                           cpu_v8 bias, model_act act, int ow, int c, float *out) {
  cpu_v8 a0 = bias, a1 = bias, a2 = bias, a3 = bias;
  const size_t step = (size_t)s * C;
  for (int kh = 0; kh < K; kh++) {
    if (!rows[kh]) continue;
    const float *x = rows[kh] + (size_t)(ow * s - pad_l) * C + c;
    const float *wk = w + (size_t)kh * K * C + c;
    for (int kw = 0; kw < K; kw++, x += C) {
      const cpu_v8 wv = vload(wk + (size_t)kw * C);
      a0 += vload(x) * wv;
      a1 += vload(x + step) * wv;
      a2 += vload(x + 2 * step) * wv;
      a3 += vload(x + 3 * step) * wv;
    }
  }
  float *o = out + (size_t)ow * C + c;
  vstore(o, vact(act, a0));
  vstore(o + (size_t)C, vact(act, a1));
  vstore(o + 2 * (size_t)C, vact(act, a2));
  vstore(o + 3 * (size_t)C, vact(act, a3));
}

void cpu_dw_row(const float *const *rows, int in_w, int C, int K, int s, int pad_l, const float *w,
                const float *b, model_act act, int out_w, float *out) {
  /* Interior pixels [lo, hi): ow * s - pad_l >= 0 and ow * s - pad_l + K <= in_w. */
  int lo = (pad_l + s - 1) / s, hi = in_w - K + pad_l >= 0 ? (in_w - K + pad_l) / s + 1 : 0;
  if (lo > out_w) lo = out_w;
  if (hi > out_w) hi = out_w;
  if (hi < lo) hi = lo;
  dw_pixels(rows, in_w, C, K, s, pad_l, w, b, act, 0, lo, out);
  const int quads = (hi - lo) / 4 * 4, c8 = C / 8 * 8;
  if (quads > 0) {
    for (int c = 0; c < c8; c += 8) {
      const cpu_v8 bias = b ? vload(b + c) : vsplat(0.0f);
      for (int ow = lo; ow < lo + quads; ow += 4)
        dw_quad(rows, C, K, s, pad_l, w, bias, act, ow, c, out);
    }
    if (c8 < C) {
      /* Channel tail of the quads: scalar. */
      for (int ow = lo; ow < lo + quads; ow++) {
        const int iw0 = ow * s - pad_l;
        for (int c = c8; c < C; c++) {
          float a0 = b ? b[c] : 0.0f;
          for (int kh = 0; kh < K; kh++) {
            if (!rows[kh]) continue;
            for (int kw = 0; kw < K; kw++)
              a0 += rows[kh][(size_t)(iw0 + kw) * C + c] * w[((size_t)kh * K + kw) * C + c];
          }
          out[(size_t)ow * C + c] = cpu_act_f(act, a0);
        }
      }
    }
  }
  dw_pixels(rows, in_w, C, K, s, pad_l, w, b, act, lo + quads, out_w, out);
}

void cpu_im2col_row(const float *const *rows, int in_w, int C, int c0, int cg, int K, int s,
                    int pad_l, int out_w, float *col) {
  const size_t taps = (size_t)K * K * cg;
  for (int ow = 0; ow < out_w; ow++) {
    const int iw0 = ow * s - pad_l;
    float *d = col + ow * taps;
    for (int kh = 0; kh < K; kh++) {
      for (int kw = 0; kw < K; kw++, d += cg) {
        int iw = iw0 + kw;
        if (!rows[kh] || iw < 0 || iw >= in_w)
          memset(d, 0, (size_t)cg * sizeof(float));
        else
          memcpy(d, rows[kh] + (size_t)iw * C + c0, (size_t)cg * sizeof(float));
      }
    }
  }
}

void cpu_im2col_row_u8(const uint8_t *const *rows, int in_w, int K, int s, int pad_l, int out_w,
                       const float lut[3][256], float *col) {
  float *d = col;
  for (int ow = 0; ow < out_w; ow++) {
    const int iw0 = ow * s - pad_l;
    for (int kh = 0; kh < K; kh++) {
      for (int kw = 0; kw < K; kw++, d += 3) {
        int iw = iw0 + kw;
        if (!rows[kh] || iw < 0 || iw >= in_w) {
          d[0] = d[1] = d[2] = 0.0f;
        } else {
          const uint8_t *px = rows[kh] + (size_t)iw * 3;
          d[0] = lut[0][px[0]], d[1] = lut[1][px[1]], d[2] = lut[2][px[2]];
        }
      }
    }
  }
}

void cpu_layernorm_rows(const float *x, float *y, size_t npix, int C, const float *g,
                        const float *b, float eps) {
  for (size_t p = 0; p < npix; p++) {
    const float *xp = x + p * C;
    float *yp = y + p * C;
    double sum = 0, sq = 0;
    for (int c = 0; c < C; c++) sum += xp[c];
    const double mean = sum / C;
    for (int c = 0; c < C; c++) sq += (xp[c] - mean) * (xp[c] - mean);
    const float m = (float)mean, inv = (float)(1.0 / sqrt(sq / C + (double)eps));
    for (int c = 0; c < C; c++) {
      float v = (xp[c] - m) * inv;
      if (g) v *= g[c];
      if (b) v += b[c];
      yp[c] = v;
    }
  }
}

void cpu_sum_pixels(const float *x, size_t npix, int C, float *sums) {
  for (size_t p = 0; p < npix; p++) {
    const float *xp = x + p * C;
    for (int c = 0; c < C; c++) sums[c] += xp[c];
  }
}

void cpu_scale_channels(float *x, size_t npix, int C, const float *s) {
  for (size_t p = 0; p < npix; p++) {
    float *xp = x + p * C;
    for (int c = 0; c < C; c++) xp[c] *= s[c];
  }
}

void cpu_dense_vec(const float *x, int k, const float *w, const float *b, int n, model_act act,
                   float *y) {
  for (int j = 0; j < n; j++) y[j] = b ? b[j] : 0.0f;
  for (int i = 0; i < k; i++) {
    const float xi = x[i];
    const float *wi = w + (size_t)i * n;
    for (int j = 0; j < n; j++) y[j] += xi * wi[j];
  }
  for (int j = 0; j < n; j++) y[j] = cpu_act_f(act, y[j]);
}
