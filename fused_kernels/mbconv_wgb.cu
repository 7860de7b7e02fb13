// PASS1 of a squeeze-excite MBConv block on large images, in bands of rows
// (cuda_mbconv_args.wgb, cuda_mbconv_wgb_ok: k = 3 or 5, stride 1 or 2,
// swish; EfficientNet's 112x112, 56x56 and 28x28 blocks). mbconv_wg.cu's
// roles (an expand on warpgroup MMAs beside depthwise warps, one barrier a
// step) for images that do not fit one CTA: a CTA owns a group of output
// rows of one image (grid.y; the group is the tile, TH rows by the image's
// width) and walks it in bands of R output rows, each band's chunks of 64
// expanded channels one step each:
//   - 1 to 4 expand warpgroups: per step, the band's new input rows (a
//     *piece*: S R rows, at most 256 pixels, one or two 64-pixel m-tiles a
//     warpgroup) times the chunk's We slices as one group of wgmma
//     m64n64k16 (A, the piece, by bulk tensor copies into one of two
//     buffers a piece ahead; B, every chunk's We, resident), then swish on
//     the fp16 pairs into the *ring*;
//   - depthwise warps, one strip of WS outputs of a row of the band at a
//     time, lane q = channel pair q of the chunk: K rows of the ring,
//     packed fp16 taps from the bias (as the tile kernel's dwh2), swish,
//     the fp16 pairs to the stage and the warp's own row of fp32 channel
//     sums (no atomics: shared-memory float atomics are compare-and-swap
//     loops, and every depthwise warp of a step adds the same channels).
// The ring keeps the input rows a band reads: S R + K - S rows, each with
// every chunk's frame of (Wo - 1) S + K pixels (the image's row inside the
// zero columns of the padding) at a pitch of 72 halves. Input row iy lives
// in slot (iy - ybase) mod RR (ybase: the group's first input row), so a
// band expands only its S R new rows; the group's first K - S rows come
// first, as pieces of their own (steps without depthwise work). In step t
// the expand fills chunk j of piece e while the depthwise warps read the
// step before's: with at least two chunks, the rows a piece overwrites in
// chunk j were last read a step or more earlier, so one CTA barrier a step
// orders every hand-over (racecheck can follow it). Rows above or below the
// image are never expanded; the depthwise warps skip them.
//
// Built for sm_90a only (BF_WGMMA): elsewhere the kernel is a trap and
// cuda_pg_wg_supported() says 0, so neither the tuner nor the tests launch it.
#include <cuda.h>
#include <cuda_runtime.h>

#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/pixel_gemm.cuh"
#include "fused_kernels/wg_parts.cuh"
#include "fused_kernels/wgmma_ops.cuh"
#include "model/net.h"

static_assert(CUDA_ACT_SWISH == MODEL_ACT_SWISH, "cuda_kernels.h's swish is the model's");

namespace bf {
namespace {

constexpr unsigned PANEL = CUDA_WGX_PANEL; /* 64 rows x 64 fp16 columns, 128-byte swizzle */
constexpr int FP = CUDA_WGX_FP;            /* a ring pixel's pitch, halves */

// K: the taps; S: the stride; WS: a depthwise strip's outputs.
template <int K, int S, int WS>
__global__ void __launch_bounds__(CUDA_WGB_MAX_THREADS(K), 1)
    mbconv_wgb_kernel(const __grid_constant__ CUtensorMap tx,
                      const __grid_constant__ CUtensorMap te, const cuda_mbconv_args a) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int SWI = (WS - 1) * S + K; /* a strip's input columns */
  extern __shared__ __align__(128) unsigned char smem[];
  const int R = a.wgb, SR = S * R, pre = K - S, RR = SR + pre;
  const int FW = (a.Wo - 1) * S + K, HW = a.H * a.W;
  const int KS = (a.CinP + 63) >> 6, nch = (a.CmidP + 63) >> 6;
  const int MT = (SR * a.W + 63) >> 6, NE = a.wgb_ne > 0 ? a.wgb_ne : cuda_wgx_ne(SR * a.W);
  const int n = blockIdx.x, g = blockIdx.y;
  const int Y0 = g * a.TH, Y1 = min(a.Ho, Y0 + a.TH);      /* the group's output rows */
  const int ybase = Y0 * S - a.pad_t, ylo = max(0, ybase); /* its input rows */
  const int yend = min(a.H, (Y1 - 1) * S - a.pad_t + K);
  const int np = (pre + SR - 1) / SR, nb = (Y1 - Y0 + R - 1) / R, steps = (np + nb) * nch;
  const int fsz = FW * FP; /* halves of one chunk's frame of a ring row */
  /* layout (cuda_mbconv_wgb_smem): two A buffers of MT m-tiles of KS panels, every chunk's
     We slices (KS panels each), the ring, a row of channel sums per depthwise warp, three
     mbarriers (A buffers 0 and 1, We) */
  const unsigned s0 = smem_u32(smem), sb = (s0 + 1023) & ~1023u;
  unsigned char *base = smem + (sb - s0);
  __half *ring = reinterpret_cast<__half *>(base + (2 * MT + nch) * KS * PANEL);
  float *csum = reinterpret_cast<float *>(ring + RR * nch * fsz);
  const int ND = (int)(blockDim.x >> 5) - 4 * NE; /* the depthwise warps */
  unsigned long long *bar = reinterpret_cast<unsigned long long *>(csum + ND * a.CmidP);
  const int tid = threadIdx.x;
  if (tid == 0)
    for (int i = 0; i < 3; i++) mbar_init(bar + i, 1);
  for (int i = tid; i < RR * nch * fsz / 2; i += blockDim.x)
    reinterpret_cast<unsigned *>(ring)[i] = 0u;
  for (int c = tid; c < ND * a.CmidP; c += blockDim.x) csum[c] = 0.f;
  __syncthreads(); /* the barriers, the zero ring and sums */
  if (tid == 0) {  /* the weights are constants: before the previous kernel ends */
    mbar_arrive_tx(bar + 2, nch * KS * PANEL);
    for (int j = 0; j < nch; j++)
      for (int s = 0; s < KS; s++)
        tma_load_2d(base + ((2 * MT + j) * KS + s) * PANEL, te, j * 64, s * 64, bar + 2);
  }
  /* piece e's input rows: [lo, lo + px / W); returns its pixels (0 where it is all padding) */
  auto piece = [&](int e, int &lo) {
    const int l = max(ybase + pre + (e - np) * SR, ylo), h = min(ybase + pre + (e - np + 1) * SR, yend);
    lo = l;
    return h > l ? (h - l) * a.W : 0;
  };
  /* piece e's m-tiles into A buffer e & 1 (thread 0); an empty piece still completes its phase */
  auto load_a = [&](int e) {
    int lo;
    const int mt = (piece(e, lo) + 63) >> 6, b = e & 1;
    mbar_arrive_tx(bar + b, mt * KS * PANEL);
    for (int m = 0; m < mt; m++)
      for (int s = 0; s < KS; s++)
        tma_load_2d(base + ((b * MT + m) * KS + s) * PANEL, tx, s * 64, n * HW + lo * a.W + m * 64,
                    bar + b);
  };
  pdl_wait(); /* the input is the previous kernel's output; the stage and sums its inputs */
  if (tid == 0) {
    load_a(0);
    if (steps > nch) load_a(1);
  }

  /* the role as a warp-uniform value ptxas can see (a lane-0 broadcast): warpgroup MMAs under a
     branch on the thread index are serialised (C7520) */
  const int role = __shfl_sync(0xffffffffu, tid >> 7, 0); /* < NE: expand warpgroup `role` */
  const int warp = tid >> 5, lane = tid & 31;
  const unsigned long long ad = wg_make_desc(sb, 16, 1024, 1); /* A: K-major, 128-byte swizzle */
  const int nk = a.CinP >> 4;
  int offs[2][2] = {{-1, -1}, {-1, -1}}, pmt = 0; /* the expand's, for its piece */
  /* the depthwise warps': strips of a band row, nseg a row */
  const int dwp = warp - 4 * NE, nseg = a.Wo / WS;
  const int HWo = a.Ho * a.Wo;
  const __half2 *wdw = reinterpret_cast<const __half2 *>(a.w_dw);
  if (role < NE) mbar_wait(bar + 2, 0);
  /* step t: the expand of chunk j of piece e, the depthwise conv of the step before's (de, dj)
     where that piece completes a band (de >= np) */
  int e = 0, j = 0, de = 0, dj = 0;
  for (int t = 0; t <= steps; t++) {
    if (role < NE) {
      if (t < steps) {
        if (j == 0) { /* a new piece: where its accumulator rows go, then its A */
          int lo;
          const int px = piece(e, lo);
          pmt = (px + 63) >> 6;
#pragma unroll
          for (int mi = 0; mi < 2; mi++)
#pragma unroll
            for (int hh = 0; hh < 2; hh++) {
              const int p = 64 * (role + mi * NE) + 16 * (warp & 3) + (lane >> 2) + 8 * hh;
              const int iy = lo + p / a.W, fx = p % a.W + a.pad_l;
              offs[mi][hh] = p < px && fx < FW
                                 ? (((iy - ybase) % RR) * nch * FW + fx) * FP + 2 * (lane & 3)
                                 : -1;
            }
          mbar_wait(bar + (e & 1), (unsigned)(e >> 1) & 1u);
        }
        const unsigned long long bdesc = wg_desc(sb + (2 * MT + j) * KS * PANEL);
        float2 bias[8]; /* halved, as the weights */
        const int cb = j * 64 + 2 * (lane & 3);
#pragma unroll
        for (int q = 0; q < 8; q++)
          bias[q] = cb + q * 8 < a.CmidP
                        ? __ldg(reinterpret_cast<const float2 *>(a.b_exp + cb + q * 8))
                        : make_float2(0.f, 0.f);
        const int nq = min(8, (a.CmidP - j * 64) >> 3); /* the chunk's 8-channel groups */
        __half *fb = ring + j * fsz;
#pragma unroll
        for (int mi = 0; mi < 2; mi++) {
          const int m = role + mi * NE;
          if (m < pmt) {
            float acc[8][4];
            wg_fence();
            const unsigned long long am = ad + ((e & 1) * MT + m) * KS * (PANEL >> 4);
            for (int k = 0; k < nk; k++)
              wg_mma_ss<64>(acc, am + (k >> 2) * (PANEL >> 4) + (k & 3) * 2,
                            bdesc + (k >> 2) * (PANEL >> 4) + (k & 3) * 128, k);
            wg_commit();
            wg_wait<0>();
#pragma unroll
            for (int q = 0; q < 8; q++)
#pragma unroll
              for (int r = 0; r < 4; r++) wg_pin(acc[q][r]);
#pragma unroll
            for (int hh = 0; hh < 2; hh++) {
              const int off = offs[mi][hh];
              if (off >= 0)
#pragma unroll
                for (int q = 0; q < 8; q++)
                  if (q < nq)
                    *reinterpret_cast<__half2 *>(fb + off + q * 8) = swish_h2_halved(
                        acc[q][2 * hh] + bias[q].x, acc[q][2 * hh + 1] + bias[q].y);
            }
          }
        }
      }
    } else if (t > 0 && de >= np) {
      const int yb = Y0 + (de - np) * R, items = min(R, Y1 - yb) * nseg;
      const int c = dj * 64 + 2 * lane;
      if (dwp < items) {
        /* the chunk's taps and bias for this lane's pair, here: live across the barrier,
           they made ptxas spill (mbconv_wg.cu) */
        const bool on = c < a.CmidP;
        const float2 bd = on ? __ldg(reinterpret_cast<const float2 *>(a.b_dw + c))
                             : make_float2(0.f, 0.f);
        __half2 w[K * K];
#pragma unroll
        for (int i = 0; i < K * K; i++)
          w[i] = on ? wdw[((size_t)i * a.CmidP + c) >> 1] : __float2half2_rn(0.f);
        const __half2 *fr0 = reinterpret_cast<const __half2 *>(ring + dj * fsz) + lane;
        for (int it = dwp; it < items; it += ND) {
          const int r = it / nseg, x0 = (it - r * nseg) * WS, y = yb + r;
          const int sy = ((y - Y0) * S) % RR, iy0 = y * S - a.pad_t;
          __half2 acc[WS];
#pragma unroll
          for (int x = 0; x < WS; x++) acc[x] = __floats2half2_rn(bd.x, bd.y);
#pragma unroll
          for (int ky = 0; ky < K; ky++) {
            if (iy0 + ky < 0 || iy0 + ky >= a.H) continue; /* the padding's rows: zeros */
            const int sl = sy + ky < RR ? sy + ky : sy + ky - RR;
            const __half2 *fr = fr0 + ((sl * nch * FW + x0 * S) * FP >> 1);
            __half2 in[SWI];
#pragma unroll
            for (int fx = 0; fx < SWI; fx++) in[fx] = fr[fx * (FP / 2)];
#pragma unroll
            for (int x = 0; x < WS; x++)
#pragma unroll
              for (int kx = 0; kx < K; kx++)
                acc[x] = __hfma2(in[x * S + kx], w[ky * K + kx], acc[x]);
          }
          if (on) {
            float2 s = make_float2(0.f, 0.f);
            __half *st = a.stage ? (__half *)a.stage +
                                       ((size_t)n * HWo + (size_t)y * a.Wo + x0) * a.CmidP + c
                                 : nullptr;
#pragma unroll
            for (int x = 0; x < WS; x++) {
              const __half2 o = swish_h2(__hmax2(acc[x], __float2half2_rn(-65504.f)));
              const float2 f = __half22float2(o);
              s.x += f.x, s.y += f.y;
              if (st) *reinterpret_cast<__half2 *>(st + (size_t)x * a.CmidP) = o;
            }
            float2 *cs = reinterpret_cast<float2 *>(csum + dwp * a.CmidP + c); /* its row */
            *cs = make_float2(cs->x + s.x, cs->y + s.y);
          }
        }
      }
    }
    __syncthreads();
    /* every MMA of piece e has completed (each warp waited before the barrier): piece e + 2's
       A into the buffer piece e read */
    if (tid == 0 && j == nch - 1 && (e + 2) * nch < steps) load_a(e + 2);
    de = e, dj = j;
    if (++j == nch) j = 0, e++;
  }
  if (role >= NE) { /* every strip's sums are in (the last step's barrier): the group's row */
    float *out = a.sums + ((size_t)n * a.tiles_y + g) * a.CmidP;
    for (int c = tid - 128 * NE; c < a.CmidP; c += 32 * ND) {
      float v = 0.f;
      for (int w = 0; w < ND; w++) v += csum[w * a.CmidP + c];
      out[c] = v;
    }
  }
  pdl_trigger();
#else
  __trap(); /* never launched: cuda_pg_wg_supported() */
#endif
}

typedef void (*wgb_fn)(const CUtensorMap, const CUtensorMap, const cuda_mbconv_args);

template <int K, int S>
wgb_fn wgb_fn_ks(int ws) {
  return ws == 7 ? mbconv_wgb_kernel<K, S, 7> : ws == 14 ? mbconv_wgb_kernel<K, S, 14> : nullptr;
}
// The instantiation for k taps, stride s and strips of ws outputs (7 or 14).
wgb_fn wgb_fn_of(int k, int s, int ws) {
  if (k == 3) return s == 1 ? wgb_fn_ks<3, 1>(ws) : s == 2 ? wgb_fn_ks<3, 2>(ws) : nullptr;
  if (k == 5) return s == 1 ? wgb_fn_ks<5, 1>(ws) : s == 2 ? wgb_fn_ks<5, 2>(ws) : nullptr;
  return nullptr;
}

}  // namespace
}  // namespace bf

// PASS1 by mbconv_wgb_kernel (cuda_mbconv_launch checked cuda_mbconv_wgb_ok):
// the tensor maps of the input [n H W][CinP] and of We [CinP][CmidP], boxes of
// 64 x 64 with the 128-byte swizzle (zeros past either's edges); grid: an image
// per x, its row groups (tiles_y) over y.
extern "C" int cuda_mbconv_wgb_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
#if defined(BF_WGMMA)
  const bf::wgb_fn f = bf::wgb_fn_of(a->K, a->S, a->wgb_ws);
  if (!f || !cuda_pg_wg_supported()) return (int)cudaErrorInvalidValue;
  CUtensorMap tx, te;
  cudaError_t e =
      bf::tensor_map_2d(&tx, a->x, n * a->H * a->W, a->CinP, 64, 64, CU_TENSOR_MAP_SWIZZLE_128B);
  if (!e)
    e = bf::tensor_map_2d(&te, a->w_exp, a->CinP, a->CmidP, 64, 64, CU_TENSOR_MAP_SWIZZLE_128B);
  if (e) return (int)e;
  void *args[] = {&tx, &te, const_cast<cuda_mbconv_args *>(a)};
  return (int)bf::launch_k((const void *)f, dim3(n, a->tiles_y), dim3(cuda_wgb_threads(a)),
                           cuda_mbconv_wgb_smem(a), st, true, args);
#else
  (void)a, (void)n, (void)st;
  return (int)cudaErrorInvalidValue;
#endif
}

extern "C" int cuda_mbconv_wgb_set_attrs(int bytes, int carveout) {
#if defined(BF_WGMMA)
  if (!cuda_pg_wg_supported()) return 0; /* no kernel image for this device */
  const void *fns[8];
  int nf = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int s = 1; s <= 2; s++)
      for (int ws = 7; ws <= 14; ws += 7) fns[nf++] = (const void *)bf::wgb_fn_of(k, s, ws);
  return (int)bf::set_kernel_attrs(fns, nf, bytes, carveout);
#else
  (void)bytes, (void)carveout;
  return 0;
#endif
}
