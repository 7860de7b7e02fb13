// PASS1 of a squeeze-excite MBConv block on small images, with warps
// specialised by phase (cuda_mbconv_args.wgx, cuda_mbconv_wgx_ok: stride 1,
// k = 3 or 5, swish, images of at most 8 x 8 pixels such as EfficientNet's
// 7x7 stage). The tile kernel (mbconv.cu) runs every phase of a chunk in
// every warp, one after the other, with barriers between them; on a 7x7 image
// each chunk is a short chain of dependent phases and the kernel waits on
// their latency at 16 warps per SM. Here one CTA owns one image (grid.y
// splits its chunks of 64 expanded channels) and its threads are:
//   - one expand warpgroup: per chunk, h = x We + be for the image's pixels
//     as one warpgroup MMA group (m64n64k16, the image's <= 64 pixels as the
//     rows; A, the input image, and B, the chunk's We slices, both by
//     descriptor from shared memory, where bulk tensor copies put them with
//     the 128-byte swizzle), then swish on the fp16 pairs into the chunk's
//     frame: the image's pixels inside a zero border of K / 2 pixels, 64
//     channels each. Its thread 0 issues the copies of the We slices two
//     chunks ahead (two stages);
//   - H depthwise warps, warp y = output row y, lane q = channel pair q of the
//     chunk: the row's W pixels from the frame (K input rows of W + K - 1
//     pixels, each read once), packed fp16 taps from the bias, swish, the
//     fp16 pairs stored to the stage and their sums over the row into the
//     row's slot of the chunk's channel sums ([Ho][64] fp32, shared memory;
//     warp 0 adds the rows up and writes them out a step later, before its
//     arrival on the mbarrier below, which the next rows' stores wait for:
//     shared-memory float atomics, compare-and-swap loops, had taken ~3 tries
//     an add, s36c7). The chunk's
//     taps and bias come from shared memory, where these warps copied them
//     by cp.async in the step before: once every depthwise thread has read
//     them (an mbarrier), the one stage takes the next chunk's (s36c2-s36c5:
//     from L2 at each step's start, their loads and 64-bit address arithmetic
//     were ~300 of a 14-wide k = 5 row's 983 instructions, and the 7x7 k = 5
//     blocks had no room for two stages beside the image's sums).
// Two frames: in step t the expand of chunk t fills one while the depthwise
// warps read chunk t - 1's from the other, and a barrier of the whole CTA
// ends each step. (s34c1 ran a producer/consumer hand-over by bar.arrive,
// which let the expand run a chunk further ahead; racecheck does not model
// bar.arrive and reported the frame's hand-over as RAW hazards. With a named
// barrier among the depthwise warps before the taps' copy, racecheck
// reported the frames' hand-over across the CTA barrier as WAR hazards,
// s36c4; the mbarrier keeps it clean.)
// The arithmetic is the tile kernel's (halved expand weights, swish_h2 on
// the depthwise fp16 accumulator); the sums are fp32 from each thread's W
// pixels on.
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
constexpr int FP = CUDA_WGX_FP;            /* a frame pixel's pitch, halves */
// K: the taps; W: the output width (a depthwise warp's strip); S: the stride.
template <int K, int W, int S>
__global__ void __launch_bounds__(W > 8   ? 256 + 32 * 16
                                  : S > 1 ? 256 + 32 * 8
                                          : 128 + 32 * 8,
                                  W > 8 || S > 1 ? 1 : 2)
    mbconv_wgx_kernel(const __grid_constant__ CUtensorMap tx,
                      const __grid_constant__ CUtensorMap te, const cuda_mbconv_args a) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int FW = (W - 1) * S + K; /* the frame's width: the output's input columns */
  extern __shared__ __align__(128) unsigned char smem[];
  const int HW = a.H * a.W, FH = (a.Ho - 1) * S + K; /* input pixels, the frame's rows */
  const int KS = (a.CinP + 63) >> 6, nch = (a.CmidP + 63) >> 6;
  const int MT = (HW + 63) >> 6, NE = cuda_wgx_ne(HW); /* 64-pixel m-tiles, expand warpgroups */
  const int n = blockIdx.x, z = gridDim.y;
  const int j0 = (int)blockIdx.y * nch / z, j1 = ((int)blockIdx.y + 1) * nch / z;
  const int fsz = FH * FW * FP; /* halves per frame */
  /* layout (cuda_mbconv_wgx_smem): A's KS panels of each m-tile, two We stages of KS panels,
     two frames, each output row's channel sums of a chunk ([Ho][64] fp32), four mbarriers (A,
     We stages 0 and 1, the taps read), a chunk's taps [K * K][64] and bias [64] (fp32) */
  const unsigned s0 = smem_u32(smem), sb = (s0 + 1023) & ~1023u;
  unsigned char *base = smem + (sb - s0);
  __half *frame = reinterpret_cast<__half *>(base + (MT + 2) * KS * PANEL);
  float *rsum = reinterpret_cast<float *>(frame + 2 * fsz);
  unsigned long long *bar = reinterpret_cast<unsigned long long *>(rsum + a.Ho * 64);
  __half *taps = reinterpret_cast<__half *>(bar + 4);
  const int tid = threadIdx.x;
  /* the role as a warp-uniform value ptxas can see (a lane-0 broadcast): warpgroup MMAs under a
     branch on the thread index are serialised (C7520) */
  const int role = __shfl_sync(0xffffffffu, tid >> 7, 0); /* < NE: expand warpgroup `role` */
  /* the depthwise threads: chunk j's taps and bias into the stage by 16-byte copies (zeros past
     CmidP), committed as one group; piece i is 8 halves at taps + 8 i (the taps' rows of 8
     pieces, then the bias's 16) */
  auto fetch_taps = [&](int j) {
    const __half *wg = reinterpret_cast<const __half *>(a.w_dw);
    for (int i = tid - 128 * NE; i < K * K * 8 + 16; i += 32 * a.Ho) {
      const bool tap = i < K * K * 8;
      const int c = j * 64 + (tap ? 8 * (i & 7) : 4 * (i - K * K * 8)), on = c < a.CmidP;
      const void *g =
          tap ? (const void *)(wg + (size_t)(i >> 3) * a.CmidP + c) : (const void *)(a.b_dw + c);
      cp_async16_zfill(taps + 8 * i, on ? g : (const void *)wg, on);
    }
    cp_async_commit();
  };
  if (tid == 0) {
    for (int i = 0; i < 3; i++) mbar_init(bar + i, 1);
    mbar_init(bar + 3, 32 * a.Ho); /* every depthwise thread has read the taps */
  }
  for (int i = tid; i < fsz; i += blockDim.x) reinterpret_cast<unsigned *>(frame)[i] = 0u;
  __syncthreads(); /* the barriers and the zero frames */
  /* chunk j's We slices into stage (j - j0) & 1 (thread 0) */
  auto load_we = [&](int j) {
    const int st = (j - j0) & 1;
    mbar_arrive_tx(bar + 1 + st, KS * PANEL);
    for (int s = 0; s < KS; s++)
      tma_load_2d(base + ((MT + st) * KS + s) * PANEL, te, j * 64, s * 64, bar + 1 + st);
  };
  if (tid == 0) { /* the weights are constants: before the previous kernel ends */
    load_we(j0);
    if (j0 + 1 < j1) load_we(j0 + 1);
  }
  if (role >= NE) fetch_taps(j0); /* read in step 1 */
  pdl_wait(); /* the input is the previous kernel's output; the stage and sums its inputs */
  if (tid == 0) {
    mbar_arrive_tx(bar, MT * KS * PANEL);
    for (int m = 0; m < MT; m++)
      for (int s = 0; s < KS; s++)
        tma_load_2d(base + (m * KS + s) * PANEL, tx, s * 64, n * HW + m * 64, bar);
  }

  const int warp = tid >> 5, lane = tid & 31, nc = j1 - j0;
  /* the expand's: the frame offset of accumulator row hh of m-tile m, input pixel (iy, ix) at
     frame pixel (iy + pad_t, ix + pad_l); -1 past the image, or where no output reads it (the
     last row or column of a stride-2 input). Stride 1 divides by the compiled width where it
     stores; stride 2 by the run-time input width, once, for the warpgroup's two m-tiles (the
     768-thread stride-1 build spilled with that table). */
  auto frame_off = [&](int m, int hh) {
    const int p = 64 * m + 16 * (warp & 3) + (lane >> 2) + 8 * hh, wi = S == 1 ? W : a.W;
    const int fy = p / wi + a.pad_t, fx = p % wi + a.pad_l;
    return p < HW && fy < FH && fx < FW ? (fy * FW + fx) * FP + 2 * (lane & 3) : -1;
  };
  int offs[2][2] = {{-1, -1}, {-1, -1}};
  if constexpr (S > 1)
#pragma unroll
    for (int mi = 0; mi < 2; mi++)
#pragma unroll
      for (int hh = 0; hh < 2; hh++) offs[mi][hh] = frame_off(role + mi * NE, hh);
  /* A (K-major, 128-byte swizzle), each m-tile KS panels */
  const unsigned long long ad = wg_make_desc(sb, 16, 1024, 1);
  const int nk = a.CinP >> 4;
  /* the depthwise warps': output row y, channel pair q of the chunk, its taps and bias */
  const int HWo = a.Ho * W;
  const int y = warp - 4 * NE, q = lane;
  if (role < NE) mbar_wait(bar, 0);
  /* step t: the expand of chunk j0 + t into frame t & 1, the depthwise conv of chunk j0 + t - 1
     from the other; a barrier of the whole CTA between steps */
  for (int t = 0; t <= nc; t++) {
    if (role < NE) {
      if (t < nc) {
        const int j = j0 + t, b = t & 1;
        const unsigned long long bdesc = wg_desc(sb + (MT + b) * KS * PANEL);
        float2 bias[8]; /* halved, as the weights */
        const int cb = j * 64 + 2 * (lane & 3);
#pragma unroll
        for (int e = 0; e < 8; e++)
          bias[e] = cb + e * 8 < a.CmidP
                        ? __ldg(reinterpret_cast<const float2 *>(a.b_exp + cb + e * 8))
                        : make_float2(0.f, 0.f);
        mbar_wait(bar + 1 + b, (unsigned)(t >> 1) & 1u);
        __half *fb = frame + b * fsz; /* last read by the depthwise conv of chunk j - 2 */
        for (int m = role, mi = 0; m < MT; m += NE, mi++) { /* this warpgroup's m-tiles */
          float acc[8][4];
          wg_fence();
          /* k16 step k: A's panel k / 4 at 32 bytes a step, the stage's panel k / 4 at 2048 */
          const unsigned long long am = ad + m * KS * (PANEL >> 4);
          for (int k = 0; k < nk; k++)
            wg_mma_ss<64>(acc, am + (k >> 2) * (PANEL >> 4) + (k & 3) * 2,
                          bdesc + (k >> 2) * (PANEL >> 4) + (k & 3) * 128, k);
          wg_commit();
          const int off0 = S > 1 ? (mi ? offs[1][0] : offs[0][0]) : frame_off(m, 0);
          const int off1 = S > 1 ? (mi ? offs[1][1] : offs[0][1]) : frame_off(m, 1);
          wg_wait<0>();
#pragma unroll
          for (int e = 0; e < 8; e++)
#pragma unroll
            for (int r = 0; r < 4; r++) wg_pin(acc[e][r]);
#pragma unroll
          for (int hh = 0; hh < 2; hh++) {
            const int off = hh ? off1 : off0;
            if (off >= 0)
#pragma unroll
              for (int e = 0; e < 8; e++)
                *reinterpret_cast<__half2 *>(fb + off + e * 8) =
                    swish_h2_halved(acc[e][2 * hh] + bias[e].x, acc[e][2 * hh + 1] + bias[e].y);
          }
        }
      }
    } else if (t > 0) {
      const int j = j0 + t - 1, c = j * 64 + 2 * q;
      /* chunk j's taps and bias for this lane's pair (zeros past CmidP), then, once every
         depthwise thread has read them (an mbarrier, which racecheck follows), the stage takes
         the next chunk's */
      const float2 bd = reinterpret_cast<const float2 *>(taps + K * K * 64)[q];
      __half2 w[K * K];
#pragma unroll
      for (int i = 0; i < K * K; i++) w[i] = reinterpret_cast<const __half2 *>(taps + i * 64)[q];
      /* warp 0: chunk j - 1's sums (its rows' since the last barrier; a whole chunk, not the
         last), read before the arrival that lets the rows' new sums overwrite them */
      float2 cs = make_float2(0.f, 0.f);
      if (t >= 2 && y == 0)
        for (int r = 0; r < a.Ho; r++) {
          const float2 v = *reinterpret_cast<const float2 *>(rsum + r * 64 + 2 * q);
          cs.x += v.x, cs.y += v.y;
        }
      mbar_arrive(bar + 3);
      mbar_wait(bar + 3, (unsigned)(t - 1) & 1u);
      if (j + 1 < j1) fetch_taps(j + 1);
      if (t >= 2 && y == 0) *reinterpret_cast<float2 *>(a.sums + (size_t)n * a.CmidP + c - 64) = cs;
      __half2 acc[W];
#pragma unroll
      for (int x = 0; x < W; x++) acc[x] = __floats2half2_rn(bd.x, bd.y);
      const __half2 *fr = reinterpret_cast<const __half2 *>(frame + ((t - 1) & 1) * fsz) +
                          y * S * FW * (FP / 2) + q;
#pragma unroll
      for (int ky = 0; ky < K; ky++) {
        __half2 in[FW];
#pragma unroll
        for (int fx = 0; fx < FW; fx++) in[fx] = fr[(ky * FW + fx) * (FP / 2)];
#pragma unroll
        for (int x = 0; x < W; x++)
#pragma unroll
          for (int kx = 0; kx < K; kx++) acc[x] = __hfma2(in[x * S + kx], w[ky * K + kx], acc[x]);
      }
      if (c < a.CmidP) {
        float2 s = make_float2(0.f, 0.f);
        __half *st =
            a.stage ? (__half *)a.stage + ((size_t)n * HWo + y * W) * a.CmidP + c : nullptr;
#pragma unroll
        for (int x = 0; x < W; x++) {
          const __half2 o = swish_h2(__hmax2(acc[x], __float2half2_rn(-65504.f)));
          const float2 f = __half22float2(o);
          s.x += f.x, s.y += f.y;
          if (st) *reinterpret_cast<__half2 *>(st + (size_t)x * a.CmidP) = o;
        }
        *reinterpret_cast<float2 *>(rsum + y * 64 + 2 * q) = s; /* this row's */
      }
    }
    if (role >= NE) cp_async_wait0(); /* the next step's taps, published by the barrier */
    __syncthreads();
    /* every MMA of step t has completed (each warp waited before the barrier): chunk
       j0 + t + 2's We slices into the stage that step t read */
    if (tid == 0 && t + 2 < nc) load_we(j0 + t + 2);
  }
  if (role >= NE) { /* the last chunk's sums (the last step's barrier) */
    const int i = tid - 128 * NE, c = (j1 - 1) * 64 + i;
    if (i < 64 && c < a.CmidP) {
      float v = 0.f;
      for (int r = 0; r < a.Ho; r++) v += rsum[r * 64 + i];
      a.sums[(size_t)n * a.CmidP + c] = v;
    }
  }
  pdl_trigger();
#else
  __trap(); /* never launched: cuda_pg_wg_supported() */
#endif
}

typedef void (*wgx_fn)(const CUtensorMap, const CUtensorMap, const cuda_mbconv_args);

// The instantiation for k taps, an output width w and stride s: stride 1 at
// widths 4..8 and 14, stride 2 at output widths 4..8.
template <int K>
wgx_fn wgx_fn_k(int w, int s) {
  switch (w) {
    case 4:
      return s == 1 ? mbconv_wgx_kernel<K, 4, 1> : mbconv_wgx_kernel<K, 4, 2>;
    case 5:
      return s == 1 ? mbconv_wgx_kernel<K, 5, 1> : mbconv_wgx_kernel<K, 5, 2>;
    case 6:
      return s == 1 ? mbconv_wgx_kernel<K, 6, 1> : mbconv_wgx_kernel<K, 6, 2>;
    case 7:
      return s == 1 ? mbconv_wgx_kernel<K, 7, 1> : mbconv_wgx_kernel<K, 7, 2>;
    case 8:
      return s == 1 ? mbconv_wgx_kernel<K, 8, 1> : mbconv_wgx_kernel<K, 8, 2>;
    case 14:
      return s == 1 ? mbconv_wgx_kernel<K, 14, 1> : nullptr;
  }
  return nullptr;
}
wgx_fn wgx_fn_of(int k, int w, int s) {
  if (s != 1 && s != 2) return nullptr;
  return k == 3 ? wgx_fn_k<3>(w, s) : k == 5 ? wgx_fn_k<5>(w, s) : nullptr;
}

}  // namespace
}  // namespace bf

// PASS1 by mbconv_wgx_kernel (cuda_mbconv_launch checked cuda_mbconv_wgx_ok):
// the tensor maps of the input [n H W][CinP] and of We [CinP][CmidP], boxes of
// 64 x 64 with the 128-byte swizzle (zeros past either's edges); grid: an image
// per x, the chunks split zsplit ways over y.
extern "C" int cuda_mbconv_wgx_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
#if defined(BF_WGMMA)
  const bf::wgx_fn f = bf::wgx_fn_of(a->K, a->Wo, a->S);
  if (!f || !cuda_pg_wg_supported()) return (int)cudaErrorInvalidValue;
  CUtensorMap tx, te;
  cudaError_t e =
      bf::tensor_map_2d(&tx, a->x, n * a->H * a->W, a->CinP, 64, 64, CU_TENSOR_MAP_SWIZZLE_128B);
  if (!e)
    e = bf::tensor_map_2d(&te, a->w_exp, a->CinP, a->CmidP, 64, 64, CU_TENSOR_MAP_SWIZZLE_128B);
  if (e) return (int)e;
  void *args[] = {&tx, &te, const_cast<cuda_mbconv_args *>(a)};
  return (int)bf::launch_k((const void *)f, dim3(n, cuda_mbconv_z(a)), dim3(cuda_wgx_threads(a)),
                           cuda_mbconv_wgx_smem(a), st, true, args);
#else
  (void)a, (void)n, (void)st;
  return (int)cudaErrorInvalidValue;
#endif
}

extern "C" int cuda_mbconv_wgx_set_attrs(int bytes, int carveout) {
#if defined(BF_WGMMA)
  if (!cuda_pg_wg_supported()) return 0; /* no kernel image for this device */
  const void *fns[2 * 16 * 2];           /* every instantiation wgx_fn_of maps to */
  int nf = 0;
  for (int k = 3; k <= 5; k += 2)
    for (int w = 1; w <= 16; w++)
      for (int st = 1; st <= 2; st++)
        if (const bf::wgx_fn f = bf::wgx_fn_of(k, w, st)) fns[nf++] = (const void *)f;
  return (int)bf::set_kernel_attrs(fns, nf, bytes, carveout);
#else
  (void)bytes, (void)carveout;
  return 0;
#endif
}
