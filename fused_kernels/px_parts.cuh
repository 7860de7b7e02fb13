// Device code shared by the pixel-tile kernels (px_block.cu: px_kernel and
// px_rw_kernel on mma.sync; px_wg.cu: px_wg_kernel on sm_90a's warpgroup
// MMAs): the CTA's pixel table, the MLP blocks' spatial conv and LayerNorm
// into the A tile, the expand's bias and activation, and the end of a block
// (bias, residual, activation, padded channels zeroed, store).
#pragma once

#include <cuda_runtime.h>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/mbconv_parts.cuh"

namespace bf {
namespace {

// One output pixel of the CTA: image, first input row and column of its
// window, and whether it exists (the batch's last CTA runs past its end).
struct px_pix {
  int n, iy, ix, ok;
};

// GELU of the expanded channels: x Phi(x) with Phi by the tanh form,
// 0.5 (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3), the tanh by one
// MUFU op (tanh.approx.f32): 0.5 x + 0.5 x tanh(u), six instructions. The
// tanh form differs from the erf form by at most 4.7e-4 (at x = -2.70), and
// tanh.approx adds ~2^-11 relative: both below fp16's half-ulp of values
// above 1. The erf form (erff, ~35 instructions a value) was a third of
// px_wg_kernel's instructions on ConvNeXt-T's 56x56 blocks (s31c2); the
// sigmoid of the tanh form by an exp and a division, 17 instructions a
// value, still a quarter of them (s32c2).
__device__ __forceinline__ float gelu_fast(float x) {
  const float hx = 0.5f * x, u = x * fmaf(0.0356774081f, x * x, 0.7978845608f);
  float t;
  asm("tanh.approx.f32 %0, %1;" : "=f"(t) : "f"(u));
  return fmaf(hx, t, hx);
}

// f[0..8) = the 8 fp32 values at p (16-byte aligned), by two 16-byte loads.
__device__ __forceinline__ void unpack_f8(const float *p, float *f) {
  const float4 u = *reinterpret_cast<const float4 *>(p),
               v = *reinterpret_cast<const float4 *>(p + 4);
  f[0] = u.x, f[1] = u.y, f[2] = u.z, f[3] = u.w, f[4] = v.x, f[5] = v.y, f[6] = v.z, f[7] = v.w;
}

// fp32 acc[8] += the packed fp16 sums h[4] (then cleared): a row of taps is
// summed in fp16 pairs (HFMA2), rows in fp32.
__device__ __forceinline__ void px_flush(float *acc, __half2 *h) {
#pragma unroll
  for (int k = 0; k < 4; k++) {
    const float2 f = __half22float2(h[k]);
    acc[2 * k] += f.x, acc[2 * k + 1] += f.y;
    h[k] = __float2half2_rn(0.f);
  }
}

// Depthwise items of NP pixels p[0..NP) for the same 8 channels c.., the
// kernel size known at compile time: each row's K weight loads (shared by the
// NP pixels) and NP x K input loads are all issued before its HFMA2s, so a
// row costs one round trip to L1/L2 instead of K (the first build's loop
// waited on each tap in turn: a 7x7 image's CTA at batch 1 spent ~190 us in
// it). acc[q] must hold the bias (or 0 for an absent pixel).
template <int K, int NP>
__device__ __forceinline__ void px_dw_items(const cuda_px_args &a, const px_pix *p, const __half *x,
                                            const __half *w, int c, float (*acc)[8]) {
  __half2 h[NP][4];
#pragma unroll
  for (int q = 0; q < NP; q++)
#pragma unroll
    for (int k = 0; k < 4; k++) h[q][k] = __float2half2_rn(0.f);
  for (int ky = 0; ky < K; ky++) {
    bool rin[NP], any = false;
#pragma unroll
    for (int q = 0; q < NP; q++) {
      const int iy = p[q].iy + ky;
      rin[q] = p[q].ok && iy >= 0 && iy < a.H;
      any |= rin[q];
    }
    if (!any) continue;
    const __half *wr = w + (size_t)ky * K * a.CinP + c;
    uint4 wu[K], xu[NP][K];
#pragma unroll
    for (int kx = 0; kx < K; kx++)
      wu[kx] = __ldg(reinterpret_cast<const uint4 *>(wr + (size_t)kx * a.CinP));
#pragma unroll
    for (int q = 0; q < NP; q++) {
      const __half *xr = x + (((size_t)p[q].n * a.H + (p[q].iy + ky)) * a.W + p[q].ix) * a.CinP + c;
#pragma unroll
      for (int kx = 0; kx < K; kx++) {
        const bool in = rin[q] && p[q].ix + kx >= 0 && p[q].ix + kx < a.W;
        xu[q][kx] = in ? __ldg(reinterpret_cast<const uint4 *>(xr + (ptrdiff_t)kx * a.CinP))
                       : make_uint4(0, 0, 0, 0);
      }
    }
#pragma unroll
    for (int kx = 0; kx < K; kx++) {
      const __half2 *wh = reinterpret_cast<const __half2 *>(&wu[kx]);
#pragma unroll
      for (int q = 0; q < NP; q++) {
        const __half2 *xh = reinterpret_cast<const __half2 *>(&xu[q][kx]);
#pragma unroll
        for (int k = 0; k < 4; k++) h[q][k] = __hfma2(xh[k], wh[k], h[q][k]);
      }
    }
#pragma unroll
    for (int q = 0; q < NP; q++) px_flush(acc[q], h[q]);
  }
}

// A depthwise item of the two horizontally adjacent pixels p and p + 1 (the
// same image row, stride 1) for the 8 channels c..: their windows share K - 1
// of their K + 1 input columns, so a row costs K + 1 input loads instead of
// 2 K (px_dw_items<K, 2>), and the columns' bounds are one mask for all
// rows (the 2 K loads and their bounds tests were most of the depthwise
// phase's instructions, s31c2). Where all K + 1 columns lie inside the
// image (most items) the loads take no predicate, and the compiler steps
// their addresses by a column (a predicated load's address was worked out
// from the base each time: ~6 instructions a column, half of a row's 205,
// s32c2). (Row pointers stepped by a row instead of worked out per row made
// the row-warp builds spill.) acc[q] as for px_dw_items.
template <int K>
__device__ __forceinline__ void px_dw_adj(const cuda_px_args &a, const px_pix &p, const __half *x,
                                          const __half *w, int c, float (*acc)[8]) {
  unsigned cm = 0; /* bit j: input column p.ix + j exists */
#pragma unroll
  for (int j = 0; j <= K; j++) cm |= (unsigned)(p.ix + j >= 0 && p.ix + j < a.W) << j;
  const bool all = cm == (1u << (K + 1)) - 1u;
  __half2 h[2][4];
#pragma unroll
  for (int q = 0; q < 2; q++)
#pragma unroll
    for (int k = 0; k < 4; k++) h[q][k] = __float2half2_rn(0.f);
  const int cs = a.CinP; /* 32-bit column offsets: fewer registers than 64-bit ones */
  for (int ky = 0; ky < K; ky++) {
    const int iy = p.iy + ky;
    if (iy < 0 || iy >= a.H) continue;
    const __half *xr = x + ((ptrdiff_t)((size_t)p.n * a.H + iy) * a.W + p.ix) * cs + c;
    const __half *wr = w + ky * K * cs + c;
    uint4 wu[K], xu[K + 1];
#pragma unroll
    for (int kx = 0; kx < K; kx++) wu[kx] = __ldg(reinterpret_cast<const uint4 *>(wr + kx * cs));
    if (all) {
#pragma unroll
      for (int j = 0; j <= K; j++) xu[j] = __ldg(reinterpret_cast<const uint4 *>(xr + j * cs));
    } else {
#pragma unroll
      for (int j = 0; j <= K; j++)
        xu[j] = (cm >> j) & 1u ? __ldg(reinterpret_cast<const uint4 *>(xr + j * cs))
                               : make_uint4(0, 0, 0, 0);
    }
#pragma unroll
    for (int kx = 0; kx < K; kx++) {
      const __half2 *wh = reinterpret_cast<const __half2 *>(&wu[kx]);
      const __half2 *x0 = reinterpret_cast<const __half2 *>(&xu[kx]);
      const __half2 *x1 = reinterpret_cast<const __half2 *>(&xu[kx + 1]);
#pragma unroll
      for (int k = 0; k < 4; k++) {
        h[0][k] = __hfma2(x0[k], wh[k], h[0][k]);
        h[1][k] = __hfma2(x1[k], wh[k], h[1][k]);
      }
    }
    px_flush(acc[0], h[0]);
    px_flush(acc[1], h[1]);
  }
}

// MLP: the spatial conv of the CTA's pixels into sA [rows][lda] fp16 (rows of
// absent pixels and padded channels zero), by threads th, th + nth, ...
// Weights fp16: depthwise [K*K][CinP] (cin_g == 1), else grouped
// [K*K][cin_g][CinP].
__device__ void px_spatial(const cuda_px_args &a, const px_pix *pix, __half *sA, int lda, int rows,
                           int th, int nth) {
  const __half *x = (const __half *)a.x, *w = (const __half *)a.w_sp;
  if (a.cin_g == 1 && (a.K == 3 || a.K == 5 || a.K == 7)) {
    /* depthwise, k = 3, 5, 7: 8 channels of two pixels per item, the taps' weights
       loaded once for both (rows is even) */
    const int g8 = a.CinP >> 3, items = (rows >> 1) * g8;
    for (int i = th; i < items; i += nth) {
      const int pr = i / g8, c = (i - pr * g8) * 8;
      const px_pix p[2] = {pix[2 * pr], pix[2 * pr + 1]};
      float acc[2][8];
#pragma unroll
      for (int q = 0; q < 2; q++)
#pragma unroll
        for (int e = 0; e < 8; e++) acc[q][e] = p[q].ok && c < a.Cin ? a.b_sp[c + e] : 0.f;
      const bool adj = a.S == 1 && p[0].ok && p[1].ok && p[1].n == p[0].n && p[1].iy == p[0].iy &&
                       p[1].ix == p[0].ix + 1;
      if (c < a.Cin && adj) {
        if (a.K == 7)
          px_dw_adj<7>(a, p[0], x, w, c, acc);
        else if (a.K == 5)
          px_dw_adj<5>(a, p[0], x, w, c, acc);
        else
          px_dw_adj<3>(a, p[0], x, w, c, acc);
      } else if (c < a.Cin && (p[0].ok || p[1].ok)) {
        if (a.K == 7)
          px_dw_items<7, 2>(a, p, x, w, c, acc);
        else if (a.K == 5)
          px_dw_items<5, 2>(a, p, x, w, c, acc);
        else
          px_dw_items<3, 2>(a, p, x, w, c, acc);
      }
#pragma unroll
      for (int q = 0; q < 2; q++)
        *reinterpret_cast<uint4 *>(sA + (2 * pr + q) * lda + c) = pack8(acc[q]);
    }
    return;
  }
  if (a.cin_g == 1 || a.cin_g % 8 == 0) { /* 8 output channels per item, 16-byte loads */
    const int g8 = a.CinP >> 3, items = rows * g8;
    for (int i = th; i < items; i += nth) {
      const int row = i / g8, c = (i - row * g8) * 8;
      const px_pix p = pix[row];
      float acc[8];
      __half2 h[4];
#pragma unroll
      for (int e = 0; e < 8; e++) acc[e] = p.ok && c < a.Cin ? a.b_sp[c + e] : 0.f;
#pragma unroll
      for (int k = 0; k < 4; k++) h[k] = __float2half2_rn(0.f);
      if (p.ok && c < a.Cin) {
        /* grouped: the item's 8 outputs lie in one group (cin_g % 8 == 0), whose inputs
           start at ci0; depthwise of other kernel sizes: ci0 = c */
        const int ci0 = a.cin_g == 1 ? c : c / a.cin_g * a.cin_g;
        for (int ky = 0; ky < a.K; ky++) {
          const int iy = p.iy + ky;
          if (iy < 0 || iy >= a.H) continue;
          const __half *xr = x + ((size_t)p.n * a.H + iy) * a.W * a.CinP + ci0;
          for (int kx = 0; kx < a.K; kx++) {
            const int ix = p.ix + kx;
            if (ix < 0 || ix >= a.W) continue;
            const __half *xp = xr + (size_t)ix * a.CinP;
            const int tap = ky * a.K + kx;
            if (a.cin_g == 1) {
              const uint4 xu = __ldg(reinterpret_cast<const uint4 *>(xp));
              const uint4 wu = __ldg(reinterpret_cast<const uint4 *>(w + (size_t)tap * a.CinP + c));
              const __half2 *xh = reinterpret_cast<const __half2 *>(&xu);
              const __half2 *wh = reinterpret_cast<const __half2 *>(&wu);
#pragma unroll
              for (int k = 0; k < 4; k++) h[k] = __hfma2(xh[k], wh[k], h[k]);
              continue;
            }
            for (int cb = 0; cb < a.cin_g; cb += 8) {
              const uint4 xu = __ldg(reinterpret_cast<const uint4 *>(xp + cb));
              const __half *xe = reinterpret_cast<const __half *>(&xu);
              const __half *wr = w + ((size_t)tap * a.cin_g + cb) * a.CinP + c;
#pragma unroll
              for (int e = 0; e < 8; e++) {
                const uint4 wu = __ldg(reinterpret_cast<const uint4 *>(wr + (size_t)e * a.CinP));
                const __half2 *wh = reinterpret_cast<const __half2 *>(&wu);
                const __half2 xx = __half2half2(xe[e]);
#pragma unroll
                for (int k = 0; k < 4; k++) h[k] = __hfma2(xx, wh[k], h[k]);
              }
              px_flush(acc, h);
            }
          }
          if (a.cin_g == 1) px_flush(acc, h); /* a row of depthwise taps */
        }
      }
      *reinterpret_cast<uint4 *>(sA + row * lda + c) = pack8(acc);
    }
    return;
  }
  /* other group widths: one output channel per item */
  const int items = rows * a.CinP;
  for (int i = th; i < items; i += nth) {
    const int row = i / a.CinP, co = i - row * a.CinP;
    const px_pix p = pix[row];
    float acc = 0.f;
    if (p.ok && co < a.Cin) {
      acc = a.b_sp[co];
      const int ci0 = co / a.cin_g * a.cin_g;
      for (int ky = 0; ky < a.K; ky++) {
        const int iy = p.iy + ky;
        if (iy < 0 || iy >= a.H) continue;
        for (int kx = 0; kx < a.K; kx++) {
          const int ix = p.ix + kx;
          if (ix < 0 || ix >= a.W) continue;
          const __half *xp = x + (((size_t)p.n * a.H + iy) * a.W + ix) * a.CinP + ci0;
          const __half *wp = w + (size_t)(ky * a.K + kx) * a.cin_g * a.CinP + co;
          for (int ci = 0; ci < a.cin_g; ci++)
            acc = fmaf(__half2float(xp[ci]), __half2float(wp[(size_t)ci * a.CinP]), acc);
        }
      }
    }
    sA[row * lda + co] = __float2half_rn(acc);
  }
}

// Mean and 1 / sqrt(var + eps) of the first C of a row's CP values (CP a
// multiple of 8; load8(c, f) gives values c .. c + 7 as fp32), by one thread
// in two passes of 8-value loads, four of them in flight (a downsample's 384
// channels read from L2 had been 48 round trips a pass). (A warp per row,
// its sums by shuffles, had made the LayerNorms serial chains of 16 to 32
// rows a warp.)
template <class L>
__device__ __forceinline__ float2 px_row_stats(L load8, int C, int CP, float eps) {
  float s = 0.f, q = 0.f, f[8];
#pragma unroll 4
  for (int c = 0; c < CP; c += 8) {
    load8(c, f);
#pragma unroll
    for (int e = 0; e < 8; e++) s += c + e < C ? f[e] : 0.f;
  }
  const float mean = s / (float)C;
#pragma unroll 4
  for (int c = 0; c < CP; c += 8) {
    load8(c, f);
#pragma unroll
    for (int e = 0; e < 8; e++) {
      const float d = c + e < C ? f[e] - mean : 0.f;
      q = fmaf(d, d, q);
    }
  }
  return make_float2(mean, rsqrtf(q / (float)C + eps));
}
// The same of fp16 values r[0, CP) (r 16-byte aligned).
__device__ __forceinline__ float2 px_half_stats(const __half *r, int C, int CP, float eps) {
  return px_row_stats([&](int c, float *f) { unpack8(*reinterpret_cast<const uint4 *>(r + c), f); },
                      C, CP, eps);
}

// MLP: LayerNorm of each present row of sA over its Cin channels, in place,
// a thread per row (threads [0, nth)); padded channels stay zero (gamma and
// beta are padded with zeros).
__device__ void px_ln_rows(const cuda_px_args &a, const px_pix *pix, __half *sA, int lda, int rows,
                           int nth) {
  for (int row = threadIdx.x; row < rows; row += nth) {
    if (!pix[row].ok) continue;
    __half *r = sA + row * lda;
    const float2 st = px_half_stats(r, a.Cin, a.CinP, a.ln_eps);
    for (int c = 0; c < a.CinP; c += 8) {
      float f[8];
      unpack8(*reinterpret_cast<const uint4 *>(r + c), f);
      float g[8], b[8];
      unpack_f8(a.ln_g + c, g);
      unpack_f8(a.ln_b + c, b);
#pragma unroll
      for (int e = 0; e < 8; e++) f[e] = (f[e] - st.x) * st.y * g[e] + b[e];
      *reinterpret_cast<uint4 *>(r + c) = pack8(f);
    }
  }
}

// The CTA's `rows` output pixels from m0 on (thread i < rows fills entry i).
__device__ __forceinline__ void px_fill_pix(const cuda_px_args &a, px_pix *pix, int m0, int rows,
                                            int total) {
  if ((int)threadIdx.x < rows) {
    const int p = m0 + threadIdx.x;
    px_pix e = {0, 0, 0, 0};
    if (p < total) {
      const int hw = a.Ho * a.Wo, n = p / hw, r = p - n * hw, oy = r / a.Wo, ox = r - oy * a.Wo;
      e = {n, oy * a.S - a.pad_t, ox * a.S - a.pad_l, 1};
    }
    pix[threadIdx.x] = e;
  }
}

// The end of a block for one output pair at element offset o of y (columns
// col, col + 1; v0, v1 the sums): + bias [+ the residual at o] -> act,
// padded channels (col >= Cout) zeroed, stored as fp16.
__device__ __forceinline__ void px_store_pair(const float *b, const __half *res, __half *y,
                                              size_t o, int col, int Cout, int act, float v0,
                                              float v1) {
  v0 += b[col], v1 += b[col + 1];
  if (res) {
    const float2 r = __half22float2(*reinterpret_cast<const __half2 *>(res + o));
    v0 += r.x, v1 += r.y;
  }
  v0 = col < Cout ? act_apply(v0, act) : 0.f;
  v1 = col + 1 < Cout ? act_apply(v1, act) : 0.f;
  *reinterpret_cast<__half2 *>(y + o) = __floats2half2_rn(v0, v1);
}

// One output pair of a launch: row `row` of the CTA's pixels (from m0),
// columns col and col + 1, v0 and v1 the GEMM's sums. With the chunks split
// (hs > 1) they are added to `part` (px_finish_kernel ends the block); else
// px_store_pair ends it with activation act (the MLP kernels pass
// MODEL_ACT_NONE, a constant: with a run-time act, the act_slow call in the
// warpgroup kernels' epilogue had made the 14x14 block 17 % slower, s31c9).
__device__ __forceinline__ void px_out_pair(const cuda_px_args &a, const px_pix *pix, int m0,
                                            int row, int col, float v0, float v1, int hs, int act) {
  if (!pix[row].ok || col >= a.CoutP) return;
  const size_t o = (size_t)(m0 + row) * a.CoutP + col;
  if (hs > 1) {
    atomicAdd(reinterpret_cast<float2 *>(a.part + o), make_float2(v0, v1));
    return;
  }
  px_store_pair(a.b_out, (const __half *)a.res, (__half *)a.y, o, col, a.Cout, act, v0, v1);
}

// The end of an MLP block for a warp's m16 row tile (rows row0 .. row0 + 15 of
// the CTA's pixels) by NT8 n8 column tiles from col0, acc in mma.sync's C
// layout (px_rw_kernel, and the warpgroup-MMA kernels' per-warp slices).
template <int NT8>
__device__ __forceinline__ void px_out_tiles(const cuda_px_args &a, const px_pix *pix, int m0,
                                             int row0, int col0, const float (&acc)[NT8][4],
                                             int hs) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int t = 0; t < NT8; t++)
#pragma unroll
    for (int hh = 0; hh < 2; hh++)
      px_out_pair(a, pix, m0, row0 + (lane >> 2) + 8 * hh, col0 + t * 8 + 2 * (lane & 3),
                  acc[t][2 * hh], acc[t][2 * hh + 1], hs, MODEL_ACT_NONE);
}

// The expand's sums v0, v1 of hidden channels hc, hc + 1 -> + bias -> act,
// packed as the fp16 pair that the projection reads (channels past CmidP
// get no bias: the weights' padding makes their sums 0, and act(0) = 0).
__device__ __forceinline__ unsigned px_hidden_pair(const cuda_px_args &a, int hc, float v0,
                                                   float v1) {
  /* hc is even and CmidP a multiple of 16: both channels lie inside or past it */
  const float2 b =
      hc < a.CmidP ? *reinterpret_cast<const float2 *>(a.b_exp + hc) : make_float2(0.f, 0.f);
  v0 += b.x, v1 += b.y;
  const bool gelu = a.act == MODEL_ACT_GELU;
  v0 = gelu ? gelu_fast(v0) : act_apply(v0, a.act);
  v1 = gelu ? gelu_fast(v1) : act_apply(v1, a.act);
  const __half2 p = __floats2half2_rn(v0, v1);
  return *reinterpret_cast<const unsigned *>(&p);
}
}  // namespace
}  // namespace bf
