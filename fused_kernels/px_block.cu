// The pixel-tile blocks: ConvFirst and ConvNeXt as one kernel each, the
// ConvNeXt downsampling conv, the stem with a LayerNorm after its conv, and
// the head's pooling without a 1x1 conv or with a LayerNorm
// (cuda_kernels.h: cuda_px_args).
//
// px_kernel: a CTA of 8 warps owns CUDA_PX_M consecutive output pixels of the
// batch (the rows of one GEMM, crossing image boundaries, as the pass-2 pixel
// GEMM does) and 32 nt output channels. Warps are 2 along the rows (32 each)
// by 4 along the columns; every GEMM is m16n8k16 MMAs from ldmatrix
// fragments of shared-memory operands.
//  - MLP: the spatial conv of the CTA's pixels (depthwise from 16-byte loads
//    of 8 channels, or grouped) [-> LayerNorm per pixel] -> A [M x CinP] in
//    shared memory. Then per chunk of ch = 32 en expanded channels: H =
//    act(A We + be) into shared memory, acc += H Wp. The next chunk's weights
//    arrive by cp.async while this chunk projects. The expanded tensor exists
//    only chunk by chunk in shared memory.
//  - CONV: im2col of the input ([LayerNorm] of each input pixel, statistics
//    computed once per pixel and tap; the stem's uint8 pixels normalised) in
//    chunks of 64 along K into shared memory, acc += chunk W; with the stem's
//    LayerNorm the outputs go through shared memory (fp32) to be normalised
//    per pixel.
// px_rw_kernel: the MLP on 128 pixels a CTA, a warp per 16 whole rows, the
// expand's accumulators the projection's A fragments (H in the registers).
// With hs > 1 (small batches) grid.z splits the expanded chunks (MLP) or the
// K chunks (CONV); the CTAs add partial sums to an fp32 scratch by atomics
// and px_finish_kernel ends the block. pool_ln_kernel: the head's pooling
// and LayerNorm where the head has no 1x1 conv or has a LayerNorm.
#include <cuda_runtime.h>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/mbconv_parts.cuh"
#include "fused_kernels/px_parts.cuh"

namespace bf {
namespace {

constexpr int PM = CUDA_PX_M, PKC = CUDA_PX_KC;

// Rows [0, rows) by columns [c0, c0 + w) of the fp16 matrix g (leading
// dimension ldg) into shared memory s [rows][w + 8] by cp.async; elements
// past rmax rows or cmax columns are zero-filled. w is a multiple of 8.
__device__ __forceinline__ void px_copy(__half *s, const __half *g, int rows, int w, int ldg,
                                        int r0, int rmax, int c0, int cmax) {
  const int pieces = w >> 3, total = rows * pieces;
  for (int i = threadIdx.x; i < total; i += blockDim.x) {
    const int r = i / pieces, q = i - r * pieces, gr = r0 + r, gc = c0 + q * 8;
    const bool ok = gr < rmax && gc < cmax;
    cp_async16_zfill(s + r * (w + 8) + q * 8, ok ? g + (size_t)gr * ldg + gc : g, ok);
  }
}

// acc[mi][j] += A[r0 + 16 mi .., 16 ks ..] B[16 ks .., c0 + 8 j ..] over
// `ksteps` k16 steps; A [.][lda] and B [.][ldb] fp16 row-major in shared
// memory.
template <int NT>
__device__ __forceinline__ void px_mma(float (&acc)[2][NT][4], const __half *A, int lda,
                                       const __half *B, int ldb, int r0, int c0, int ksteps) {
  const int lane = threadIdx.x & 31, lr = lane & 15, lc = (lane >> 4) * 8;
  for (int ks = 0; ks < ksteps; ks++) {
    unsigned af[2][4];
#pragma unroll
    for (int mi = 0; mi < 2; mi++)
      ldsm_x4(af[mi], A + (r0 + mi * 16 + lr) * lda + ks * 16 + lc, false);
    const __half *b = B + (ks * 16 + lr) * ldb + c0;
#pragma unroll
    for (int j = 0; j + 1 < NT; j += 2) {
      unsigned bf[4];
      ldsm_x4(bf, b + j * 8 + lc, true);
#pragma unroll
      for (int mi = 0; mi < 2; mi++) {
        mma16816(acc[mi][j], af[mi], bf[0], bf[1]);
        mma16816(acc[mi][j + 1], af[mi], bf[2], bf[3]);
      }
    }
    if constexpr (NT & 1) {
      unsigned bf[2];
      ldsm_x2_trans(bf, b + (NT - 1) * 8);
#pragma unroll
      for (int mi = 0; mi < 2; mi++) mma16816(acc[mi][NT - 1], af[mi], bf[0], bf[1]);
    }
  }
}

// CONV: the im2col chunk [PM][PKC + 8] of K columns k0 .. k0 + PKC.
__device__ void px_gather(const cuda_px_args &a, const px_pix *pix, const float2 *lst, __half *sA,
                          int k0) {
  constexpr int lda = PKC + 8;
  if (a.stem) { /* uint8 RGB, K index tap * 3 + channel = (ky K + kx) 3 + channel */
    const uint8_t *x = (const uint8_t *)a.x;
    const int K3 = a.K * 3, kk3 = a.K * K3;
    /* an item: one pixel's K taps of one kernel row, K3 bytes of an input row, into chunk
       columns ky K3 - k0 .. (those of this chunk) */
    for (int i = threadIdx.x; i < PM * a.K; i += blockDim.x) {
      const int row = small_div(i, a.K), ky = i - row * a.K, kb = ky * K3 - k0;
      if (kb >= PKC || kb + K3 <= 0) continue;
      const px_pix p = pix[row];
      const int iy = p.iy + ky;
      const bool rin = p.ok && iy >= 0 && iy < a.H;
      const uint8_t *xr = x + ((size_t)p.n * a.H + (rin ? iy : 0)) * a.W * 3;
      for (int j = 0; j < K3; j++) {
        const int col = kb + j, kx = j / 3, c = j - kx * 3, ix = p.ix + kx;
        if (col < 0 || col >= PKC) continue;
        const float m = c == 0   ? a.mean[0]
                        : c == 1 ? a.mean[1]
                                 : a.mean[2],
                    is = c == 0   ? a.inv_std[0]
                         : c == 1 ? a.inv_std[1]
                                  : a.inv_std[2];
        const float v = rin && ix >= 0 && ix < a.W ? ((float)xr[(size_t)ix * 3 + c] - m) * is : 0.f;
        sA[row * lda + col] = __float2half_rn(v);
      }
    }
    const int z0 = kk3 - k0 > 0 ? kk3 - k0 : 0; /* the chunk's columns past K K 3: zero */
    for (int i = threadIdx.x; z0 < PKC && i < PM * (PKC - z0); i += blockDim.x) {
      const int row = i / (PKC - z0);
      sA[row * lda + z0 + (i - row * (PKC - z0))] = __float2half_rn(0.f);
    }
    return;
  }
  /* fp16 NHWC, K index tap * CinP + channel: 8 channels per item */
  const __half *x = (const __half *)a.x;
  const int kk = a.K * a.K;
  for (int i = threadIdx.x; i < PM * (PKC / 8); i += blockDim.x) {
    const int row = i / (PKC / 8), col = (i - row * (PKC / 8)) * 8, k = k0 + col;
    const px_pix p = pix[row];
    uint4 u = make_uint4(0, 0, 0, 0);
    if (p.ok && k < a.KA) {
      const int tap = k / a.CinP, c = k - tap * a.CinP, ky = tap / a.K, kx = tap - ky * a.K;
      const int iy = p.iy + ky, ix = p.ix + kx;
      if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W) {
        u = __ldg(reinterpret_cast<const uint4 *>(
            x + (((size_t)p.n * a.H + iy) * a.W + ix) * a.CinP + c));
        if (a.ln_g) {
          const float2 st = lst[row * kk + tap];
          float f[8];
          unpack8(u, f);
#pragma unroll
          for (int e = 0; e < 8; e++) f[e] = (f[e] - st.x) * st.y * a.ln_g[c + e] + a.ln_b[c + e];
          u = pack8(f);
        }
      }
    }
    *reinterpret_cast<uint4 *>(sA + row * lda + col) = u;
  }
}

// CONV with a LayerNorm of the input: the statistics of every (pixel, tap)
// input pixel, a thread each.
__device__ void px_tap_stats(const cuda_px_args &a, const px_pix *pix, float2 *lst) {
  const __half *x = (const __half *)a.x;
  const int kk = a.K * a.K;
  for (int e = threadIdx.x; e < PM * kk; e += blockDim.x) {
    const int row = e / kk, tap = e - row * kk, ky = tap / a.K, kx = tap - ky * a.K;
    const px_pix p = pix[row];
    const int iy = p.iy + ky, ix = p.ix + kx;
    float2 st = make_float2(0.f, 0.f);
    if (p.ok && iy >= 0 && iy < a.H && ix >= 0 && ix < a.W)
      st = px_half_stats(x + (((size_t)p.n * a.H + iy) * a.W + ix) * a.CinP, a.Cin, a.CinP,
                         a.ln_eps);
    lst[e] = st;
  }
}

// Applies f(row, col, &v0, &v1) to each accumulator pair of the warp's
// 32 x 8 NT output tile: v0, v1 are columns col and col + 1 of row `row`
// (CTA-relative row, absolute column).
template <int NT, class F>
__device__ __forceinline__ void px_each_pair(const float (&acc)[2][NT][4], int wm, int c0, F f) {
  const int lane = threadIdx.x & 31;
#pragma unroll
  for (int mi = 0; mi < 2; mi++)
#pragma unroll
    for (int j = 0; j < NT; j++)
#pragma unroll
      for (int h = 0; h < 2; h++)
        f(wm * 32 + mi * 16 + (lane >> 2) + 8 * h, c0 + j * 8 + 2 * (lane & 3), acc[mi][j][2 * h],
          acc[mi][j][2 * h + 1]);
}

// MLP: chunk j's weights in flight: its We columns into sWe [CinP][CH + 8],
// its Wp rows (the CTA's NCOL columns from n0) into sWp [CH][NCOL + 8].
template <int CH, int NCOL>
__device__ __forceinline__ void px_mlp_copy(const cuda_px_args &a, __half *sWe, __half *sWp, int j,
                                            int n0) {
  px_copy(sWe, (const __half *)a.w_exp, a.CinP, CH, a.CmidP, 0, a.CinP, j * CH, a.CmidP);
  px_copy(sWp, (const __half *)a.w_out, CH, NCOL, a.CoutP, j * CH, a.CmidP, n0, a.CoutP);
}

// The MLP kernels' start: this CTA's chunks [j0, j1) of the hs-way split
// (grid.z), the first one's weights in flight, then, once the previous
// kernel is done, the spatial conv [and the LayerNorm] of its `rows` pixels
// into sA.
template <int CH, int NCOL>
__device__ __forceinline__ void px_mlp_start(const cuda_px_args &a, const px_pix *pix, __half *sA,
                                             int lda, int rows, __half *sWe, __half *sWp, int n0,
                                             int &j0, int &j1) {
  const int nch = cuda_px_chunks(&a), hs = gridDim.z;
  j0 = (int)blockIdx.z * nch / hs, j1 = ((int)blockIdx.z + 1) * nch / hs;
  px_mlp_copy<CH, NCOL>(a, sWe, sWp, j0, n0);
  cp_async_commit();
  pdl_wait(); /* the input is the previous kernel's output */
  pdl_trigger();
  __syncthreads(); /* the pixel table */
  px_spatial(a, pix, sA, lda, rows, threadIdx.x, blockDim.x);
  if (a.ln_g) {
    __syncthreads();
    px_ln_rows(a, pix, sA, lda, rows, blockDim.x);
  }
}

template <int NT, int EN, int MODE>
__global__ void __launch_bounds__(CUDA_THREADS) px_kernel(const cuda_px_args a, int total) {
  extern __shared__ __align__(128) unsigned char smem[];
  constexpr int NCOL = NT * 32, LDW = NCOL + 8;
  const int warp = threadIdx.x >> 5, wm = warp >> 2, wn = warp & 3;
  const int m0 = blockIdx.x * PM, n0 = blockIdx.y * NCOL;
  px_pix *pix = reinterpret_cast<px_pix *>(smem);
  unsigned char *base = reinterpret_cast<unsigned char *>(pix + PM);
  px_fill_pix(a, pix, m0, PM, total);
  float acc[2][NT][4] = {};
  __half *y = (__half *)a.y;
  if constexpr (MODE == CUDA_PX_MLP) {
    constexpr int CH = EN * 32, LDH = CH + 8;
    const int lda = a.CinP + 8;
    __half *sA = reinterpret_cast<__half *>(base), *sWe = sA + PM * lda;
    __half *sH = sWe + a.CinP * LDH, *sWp = sH + PM * LDH; /* sWp: two buffers [CH][LDW] */
    const int hs = gridDim.z;
    int j0, j1;
    px_mlp_start<CH, NCOL>(a, pix, sA, lda, PM, sWe, sWp, n0, j0, j1);
    const int lane = threadIdx.x & 31;
    for (int j = j0; j < j1; j++) {
      cp_async_wait0();
      __syncthreads(); /* A (first chunk), this chunk's weights; sH free */
      float h[2][EN][4] = {};
      px_mma<EN>(h, sA, lda, sWe, LDH, wm * 32, wn * EN * 8, a.CinP / 16);
#pragma unroll
      for (int mi = 0; mi < 2; mi++)
#pragma unroll
        for (int e = 0; e < EN; e++) {
          const int col = wn * EN * 8 + e * 8 + 2 * (lane & 3);
#pragma unroll
          for (int hh = 0; hh < 2; hh++) {
            const int row = wm * 32 + mi * 16 + (lane >> 2) + 8 * hh;
            *reinterpret_cast<unsigned *>(sH + row * LDH + col) =
                px_hidden_pair(a, j * CH + col, h[mi][e][2 * hh], h[mi][e][2 * hh + 1]);
          }
        }
      __syncthreads(); /* H published; every warp is past its reads of sWe */
      if (j + 1 < j1) px_mlp_copy<CH, NCOL>(a, sWe, sWp + ((j + 1 - j0) & 1) * CH * LDW, j + 1, n0);
      cp_async_commit();
      px_mma<NT>(acc, sH, LDH, sWp + ((j - j0) & 1) * CH * LDW, LDW, wm * 32, wn * NT * 8, CH / 16);
    }
    px_each_pair<NT>(acc, wm, n0 + wn * NT * 8, [&](int row, int col, float v0, float v1) {
      px_out_pair(a, pix, m0, row, col, v0, v1, hs, MODEL_ACT_NONE);
    });
  } else {
    constexpr int LDK = PKC + 8;
    __half *sA = reinterpret_cast<__half *>(base), *sW = sA + PM * LDK; /* sW: two [PKC][LDW] */
    float2 *lst = reinterpret_cast<float2 *>(base + cuda_px_conv_main(&a));
    const __half *W = (const __half *)a.w_out;
    const int nk = cuda_px_chunks(&a), hs = gridDim.z;
    /* this CTA's K chunks [k0, k1) of the hs-way split */
    const int k0 = (int)blockIdx.z * nk / hs, k1 = ((int)blockIdx.z + 1) * nk / hs;
    px_copy(sW, W, PKC, NCOL, a.CoutP, k0 * PKC, a.KA, n0, a.CoutP);
    cp_async_commit();
    pdl_wait();
    pdl_trigger();
    __syncthreads(); /* the pixel table */
    if (a.ln_g && !a.stem) {
      px_tap_stats(a, pix, lst);
      __syncthreads();
    }
    for (int kc = k0; kc < k1; kc++) {
      px_gather(a, pix, lst, sA, kc * PKC);
      cp_async_wait0();
      __syncthreads(); /* the chunk and its weights */
      if (kc + 1 < k1)
        px_copy(sW + ((kc + 1 - k0) & 1) * PKC * LDW, W, PKC, NCOL, a.CoutP, (kc + 1) * PKC, a.KA,
                n0, a.CoutP);
      cp_async_commit();
      px_mma<NT>(acc, sA, LDK, sW + ((kc - k0) & 1) * PKC * LDW, LDW, wm * 32, wn * NT * 8,
                 PKC / 16);
      __syncthreads(); /* before the next gather rewrites sA */
    }
    if (a.ln_g && a.stem) { /* the outputs' LayerNorm (never split): rows via shared memory */
      float *so = reinterpret_cast<float *>(base);
      constexpr int LDO = NCOL + 4;
      px_each_pair<NT>(acc, wm, wn * NT * 8, [&](int row, int col, float v0, float v1) {
        so[row * LDO + col] = col < a.Cout ? v0 + a.b_out[col] : 0.f;
        so[row * LDO + col + 1] = col + 1 < a.Cout ? v1 + a.b_out[col + 1] : 0.f;
      });
      __syncthreads();
      float2 *st = reinterpret_cast<float2 *>(so + PM * LDO);    /* a row's statistics */
      for (int row = threadIdx.x; row < PM; row += blockDim.x) { /* a thread per row */
        const float *r = so + row * LDO; /* CoutP <= NCOL columns, 16-byte aligned */
        st[row] =
            px_row_stats([&](int c, float *f) { unpack_f8(r + c, f); }, a.Cout, a.CoutP, a.ln_eps);
      }
      __syncthreads();
      /* 8 channels an item, 16-byte stores along rows (an item per element, its row by
         an integer division, had been 56 % of the stem's instructions, s32c6) */
      const int g8 = a.CoutP >> 3;
      for (int i = threadIdx.x; i < PM * g8; i += blockDim.x) {
        const int row = small_div(i, g8), c = (i - row * g8) * 8;
        if (!pix[row].ok) continue;
        const float2 rs = st[row];
        float f[8], g[8], b[8];
        unpack_f8(so + row * LDO + c, f);
        unpack_f8(a.ln_g + c, g);
        unpack_f8(a.ln_b + c, b);
#pragma unroll
        for (int e = 0; e < 8; e++)
          f[e] = c + e < a.Cout ? act_apply((f[e] - rs.x) * rs.y * g[e] + b[e], a.act) : 0.f;
        *reinterpret_cast<uint4 *>(y + (size_t)(m0 + row) * a.CoutP + c) = pack8(f);
      }
    } else { /* [partial sums: px_finish_kernel ends] */
      px_each_pair<NT>(acc, wm, n0 + wn * NT * 8, [&](int row, int col, float v0, float v1) {
        px_out_pair(a, pix, m0, row, col, v0, v1, hs, a.act);
      });
    }
  }
}

// acc[t] += A (one 16 x 16 fragment) x B[16 x 8 t ..] for the N n8 tiles
// (N even) of a k16 step; b: the lane's ldmatrix row of B in shared memory.
template <int N>
__device__ __forceinline__ void px_mma_row16(float (&acc)[N][4], const unsigned (&af)[4],
                                             const __half *b) {
#pragma unroll
  for (int t = 0; t < N; t += 2) {
    unsigned bf[4];
    ldsm_x4(bf, b + t * 8, true);
    mma16816(acc[t], af, bf[0], bf[1]);
    mma16816(acc[t + 1], af, bf[2], bf[3]);
  }
}

// The row-warp MLP (a.rw): CUDA_PX_M_RW = 128 pixels per CTA, each warp owning
// 16 whole rows and all 32 NT output columns of the CTA. A chunk's expand
// gives the warp H [16 x CH] in m16n8 accumulators, which are, packed to
// fp16 pairs, exactly the A fragments of the projection's k16 steps: H never
// goes through shared memory, and a weight chunk serves twice the pixels of
// px_kernel's tile. For narrow blocks (32 NT <= 192: 8 NT accumulators a
// thread).
template <int NT, int CHN>
__global__ void __launch_bounds__(CUDA_THREADS) px_rw_kernel(const cuda_px_args a, int total) {
  extern __shared__ __align__(128) unsigned char smem[];
  constexpr int M = CUDA_PX_M_RW, NCOL = NT * 32, NT8 = NT * 4, CH = CHN * 8, LDW = NCOL + 8,
                LDE = CH + 8;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, lr = lane & 15, lc = (lane >> 4) * 8;
  const int m0 = blockIdx.x * M, n0 = blockIdx.y * NCOL, r0 = warp * 16;
  px_pix *pix = reinterpret_cast<px_pix *>(smem);
  const int lda = a.CinP + 8;
  __half *sA = reinterpret_cast<__half *>(pix + M), *sWe = sA + M * lda;
  __half *sWp = sWe + a.CinP * LDE; /* two buffers [CH][LDW] */
  px_fill_pix(a, pix, m0, M, total);
  const int hs = gridDim.z;
  int j0, j1;
  px_mlp_start<CH, NCOL>(a, pix, sA, lda, M, sWe, sWp, n0, j0, j1);
  float acc[NT8][4] = {};
  for (int j = j0; j < j1; j++) {
    cp_async_wait0();
    __syncthreads(); /* A (first chunk), this chunk's weights; sWe's last readers done */
    float h[CHN][4] = {};
    for (int ks = 0; ks < a.CinP / 16; ks++) {
      unsigned af[4];
      ldsm_x4(af, sA + (r0 + lr) * lda + ks * 16 + lc, false);
      const __half *b = sWe + (ks * 16 + lr) * LDE;
      px_mma_row16<CHN>(h, af, b + lc);
    }
    __syncthreads(); /* every warp is past its reads of sWe */
    if (j + 1 < j1) px_mlp_copy<CH, NCOL>(a, sWe, sWp + ((j + 1 - j0) & 1) * CH * LDW, j + 1, n0);
    cp_async_commit();
    /* bias + act, packed: n8 tiles 2s and 2s + 1 are the A fragment of k16 step s */
    unsigned hf[CHN][2];
#pragma unroll
    for (int e = 0; e < CHN; e++)
#pragma unroll
      for (int hh = 0; hh < 2; hh++)
        hf[e][hh] =
            px_hidden_pair(a, j * CH + e * 8 + 2 * (lane & 3), h[e][2 * hh], h[e][2 * hh + 1]);
    const __half *wp = sWp + ((j - j0) & 1) * CH * LDW;
#pragma unroll
    for (int s2 = 0; s2 < CHN / 2; s2++) {
      const unsigned af[4] = {hf[2 * s2][0], hf[2 * s2][1], hf[2 * s2 + 1][0], hf[2 * s2 + 1][1]};
      px_mma_row16<NT8>(acc, af, wp + (s2 * 16 + lr) * LDW + lc);
    }
  }
  px_out_tiles<NT8>(a, pix, m0, r0, n0, acc, hs);
}

// The split's end (hs > 1: hidden chunks, or the conv's K chunks): y =
// act(part + bias [+ residual]) for `pairs` channel pairs of the output, and
// part zeroed for the next launch.
__global__ void __launch_bounds__(256)
    px_finish_kernel(float *part, const float *b, const __half *res, __half *y, int CoutP, int Cout,
                     int act, long long pairs) {
  pdl_wait();
  pdl_trigger();
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < pairs;
       i += (long long)gridDim.x * blockDim.x) {
    const long long o = 2 * i;
    const float2 v = *reinterpret_cast<float2 *>(part + o);
    *reinterpret_cast<float2 *>(part + o) = make_float2(0.f, 0.f);
    px_store_pair(b, res, y, (size_t)o, (int)(o % CoutP), Cout, act, v.x, v.y);
  }
}

// The head's pooling where the px blocks need it: the mean of x over its P
// pixels (x != NULL) or pooled's row as it is, then [LayerNorm], into pooled
// [n][CP] fp16. A CTA per image, a thread per channel pair.
__global__ void __launch_bounds__(256)
    pool_ln_kernel(const __half *x, __half *pooled, const float *g, const float *b, float eps,
                   int P, int C, int CP) {
  extern __shared__ float v[];
  __shared__ float red[32];
  const int n = blockIdx.x;
  pdl_wait();
  pdl_trigger();
  const float inv = 1.f / (float)P;
  for (int c = threadIdx.x * 2; c < CP; c += blockDim.x * 2) {
    float2 s = make_float2(0.f, 0.f);
    if (x) {
      const __half *xp = x + (size_t)n * P * CP + c;
      for (int p = 0; p < P; p++) {
        const float2 f = __half22float2(*reinterpret_cast<const __half2 *>(xp + (size_t)p * CP));
        s.x += f.x, s.y += f.y;
      }
      s.x *= inv, s.y *= inv;
    } else {
      s = __half22float2(*reinterpret_cast<const __half2 *>(pooled + (size_t)n * CP + c));
    }
    v[c] = s.x, v[c + 1] = s.y;
  }
  __syncthreads();
  float mean = 0.f, rstd = 1.f;
  if (g) {
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, nw = blockDim.x >> 5;
    auto block_sum = [&](float s) {
#pragma unroll
      for (int o = 16; o; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
      if (lane == 0) red[warp] = s;
      __syncthreads();
      float t = 0.f;
      for (int w = 0; w < nw; w++) t += red[w];
      __syncthreads();
      return t;
    };
    float s = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) s += v[c];
    mean = block_sum(s) / (float)C;
    float q = 0.f;
    for (int c = threadIdx.x; c < C; c += blockDim.x) q += (v[c] - mean) * (v[c] - mean);
    rstd = rsqrtf(block_sum(q) / (float)C + eps);
  }
  for (int c = threadIdx.x; c < CP; c += blockDim.x) {
    const float o = c >= C ? 0.f : g ? (v[c] - mean) * rstd * g[c] + b[c] : v[c];
    pooled[(size_t)n * CP + c] = __float2half_rn(o);
  }
}

typedef void (*px_fn)(const cuda_px_args, int);

template <int MODE>
px_fn px_fn_nt(int nt, int en) {
#define PX_CASE(N)                                          \
  case N:                                                   \
    if (MODE == CUDA_PX_CONV) return px_kernel<N, 1, MODE>; \
    return en == 1 ? px_kernel<N, 1, MODE> : px_kernel<N, 2, MODE>;
  switch (nt) {
    PX_CASE(2)
    PX_CASE(3)
    PX_CASE(4)
    PX_CASE(6)
    PX_CASE(8)
  }
#undef PX_CASE
  if (MODE == CUDA_PX_MLP && nt == 12) /* the MLP only: 96 accumulators a thread */
    return en == 1 ? px_kernel<12, 1, CUDA_PX_MLP> : px_kernel<12, 2, CUDA_PX_MLP>;
  return nullptr;
}

px_fn px_rw_fn_of(int nt, int en) {
#define PX_RW(N) \
  case N:        \
    return en == 1 ? px_rw_kernel<N, 4> : px_rw_kernel<N, 8>;
  switch (nt) {
    PX_RW(2)
    PX_RW(3)
    PX_RW(4)
    PX_RW(6)
  }
#undef PX_RW
  return nullptr;
}

px_fn px_fn_of(int mode, int nt, int en, int rw) {
  if (en != 1 && (en != 2 || mode != CUDA_PX_MLP)) return nullptr;
  if (rw) return mode == CUDA_PX_MLP ? px_rw_fn_of(nt, en) : nullptr;
  return mode == CUDA_PX_MLP ? px_fn_nt<CUDA_PX_MLP>(nt, en) : px_fn_nt<CUDA_PX_CONV>(nt, en);
}

}  // namespace
}  // namespace bf

extern "C" int cuda_px_launch(const cuda_px_args *a, int n, cuda_stream_t st) {
  const long long total = (long long)n * a->Ho * a->Wo;
  const bf::px_fn f = a->wg ? nullptr : bf::px_fn_of(a->mode, a->nt, a->en, a->rw);
  const int gy = cuda_px_splits(a);
  if ((!f && !a->wg) || total <= 0 || total > 0x7fffffffLL || a->CinP % 16 || a->CoutP % 16 ||
      (a->mode == CUDA_PX_MLP && (a->CmidP % 16 || !a->w_sp || !a->w_exp)) ||
      (a->mode == CUDA_PX_CONV && (a->KA % 16 || (cuda_px_out_ln(a) && gy != 1))) || !a->w_out)
    return (int)cudaErrorInvalidValue;
  const int hs = a->hs > 1 ? a->hs : 1;
  if (hs > 1 && (!a->part || hs > cuda_px_chunks(a) || hs > 64 || cuda_px_out_ln(a)))
    return (int)cudaErrorInvalidValue;
  const int rows = cuda_px_rows(a);
  const dim3 grid((unsigned)((total + rows - 1) / rows), (unsigned)gy, (unsigned)hs);
  cudaError_t e =
      a->wg ? (cudaError_t)cuda_px_wg_launch(a, (int)total, grid.x, grid.y, grid.z, st)
            : bf::launch_k(f, grid, dim3(CUDA_THREADS), cuda_px_smem(a), st, true, *a, (int)total);
  if (e || hs == 1) return (int)e;
  const long long pairs = total * a->CoutP / 2;
  const int blocks = (int)((pairs + 255) / 256 < 4096 ? (pairs + 255) / 256 : 4096);
  return (int)bf::launch_k(bf::px_finish_kernel, dim3(blocks), dim3(256), 0, st, true, a->part,
                           a->b_out, (const __half *)a->res, (__half *)a->y, a->CoutP, a->Cout,
                           a->mode == CUDA_PX_MLP ? MODEL_ACT_NONE : a->act, pairs);
}

extern "C" int cuda_pool_ln_launch(const void *x, void *pooled, const float *ln_g,
                                   const float *ln_b, float eps, int n, int P, int C, int CP,
                                   cuda_stream_t st) {
  if (n <= 0 || P <= 0 || C <= 0 || CP % 16 || C > CP || CP > 12288)
    return (int)cudaErrorInvalidValue;
  return (int)bf::launch_k(bf::pool_ln_kernel, dim3(n), dim3(256), (size_t)CP * 4, st, true,
                           (const __half *)x, (__half *)pooled, ln_g, ln_b, eps, P, C, CP);
}

extern "C" int cuda_px_set_attrs(int bytes, int carveout) {
  static const int nts[] = {2, 3, 4, 6, 8, 12};
  const void *fns[26];
  int n = 0;
  for (int i = 0; i < 6; i++) {
    fns[n++] = (const void *)bf::px_fn_of(CUDA_PX_MLP, nts[i], 1, 0);
    fns[n++] = (const void *)bf::px_fn_of(CUDA_PX_MLP, nts[i], 2, 0);
    if (nts[i] < 12) fns[n++] = (const void *)bf::px_fn_of(CUDA_PX_CONV, nts[i], 1, 0);
    if (nts[i] <= 6) {
      fns[n++] = (const void *)bf::px_rw_fn_of(nts[i], 1);
      fns[n++] = (const void *)bf::px_rw_fn_of(nts[i], 2);
    }
  }
  /* the pooling kernel asks for at most 48 KB (and has static shared memory) */
  const void *small[] = {(const void *)bf::pool_ln_kernel, (const void *)bf::px_finish_kernel};
  cudaError_t e = bf::set_kernel_attrs(fns, n, bytes, carveout);
  return (int)(e ? e : bf::set_kernel_attrs(small, 2, -1, carveout));
}
