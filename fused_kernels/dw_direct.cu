// PASS1 of a squeeze-excite MBConv block without expansion (a->dwdirect):
// the depthwise conv straight from the input in global memory, no
// shared-memory tile. EfficientNet's first block (32 channels at 112x112)
// is one: the tile kernel (mbconv.cu) copies the input tile into shared
// memory, then walks it with one thread per pixel and channel pair through
// run-time pixel tables, ~68 instructions per pixel and pair, and its
// 64-register variant spills; this kernel's thread takes 8 channels (one
// 16-byte load per pixel) and a column of DD_RS output rows, reading each
// of the (DD_RS - 1) S + 3 input rows its windows span once (the neighbours'
// reads of the same pixels hit L1), with the taps' weights in registers.
//
// The arithmetic per pixel is dw_pairs' with packed fp16 taps (dwh2): every
// tap summed with HFMA2 on channel pairs into an fp16 accumulator that
// starts from the bias, then dw_out (swish on the fp16 pair, or the
// activation in fp32).
// The grid and the per-tile channel sums are the tile kernel's (a->TH x
// a->TW tiles, sums[n][tile][CmidP]), so the SE kernel or the pass-2 GEMM
// reads them unchanged. K = 3, stride 1 or 2, CmidP / 8 a power of two
// dividing 256 (cuda_mbconv_dwdirect_ok). dw_proj_kernel, below, runs the
// recomputing pass 2 of the same blocks by the same strips.
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace bf {

constexpr int DD_RS = 4; /* output rows per thread */

constexpr int DD_K = 3; /* the kernel size */

// The taps' weights (fp16 pairs) and the bias of channels c .. c + 7: constants, read before
// the wait for the previous launch.
__device__ __forceinline__ void dd_weights(const cuda_mbconv_args &a, int c,
                                           __half2 (&w)[DD_K * DD_K][4], __half2 (&b)[4]) {
  const __half *wdw = (const __half *)a.w_dw;
#pragma unroll
  for (int t = 0; t < DD_K * DD_K; t++) {
    const uint4 u = __ldg(reinterpret_cast<const uint4 *>(wdw + (size_t)t * a.CmidP + c));
    const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
    for (int q = 0; q < 4; q++) w[t][q] = h[q];
  }
#pragma unroll
  for (int q = 0; q < 4; q++) b[q] = __floats2half2_rn(a.b_dw[c + 2 * q], a.b_dw[c + 2 * q + 1]);
}

// One strip: the depthwise sums (from the bias) of channels c .. c + 7 at output column ox,
// rows oyb .. oyb + DD_RS - 1, from image x.
template <int S>
__device__ __forceinline__ void dd_strip(const cuda_mbconv_args &a, const __half *x, int c, int ox,
                                         int oyb, const __half2 (&w)[DD_K * DD_K][4],
                                         const __half2 (&b)[4], __half2 (&acc)[DD_RS][4]) {
  constexpr int K = DD_K, RIN = (DD_RS - 1) * S + K;
  const int ix0 = ox * S - a.pad_l, iy0 = oyb * S - a.pad_t;
#pragma unroll
  for (int o = 0; o < DD_RS; o++)
#pragma unroll
    for (int q = 0; q < 4; q++) acc[o][q] = b[q];
  /* the window's columns inside the image, and the 8 channels' offset at its top-left
     pixel (which may lie in the padding: only offsets inside are read), stepped a row
     at a time */
  bool colin[K];
#pragma unroll
  for (int kx = 0; kx < K; kx++) colin[kx] = (unsigned)(ix0 + kx) < (unsigned)a.W;
  long long off = ((long long)iy0 * a.W + ix0) * a.CinP + c;
  const long long rowstep = (long long)a.W * a.CinP;
  uint4 vv[RIN][K]; /* the 8 channels of pixel (iy0 + r, ix0 + kx), zero in the padding: all
                       loads issued before the first FMA */
#pragma unroll
  for (int r = 0; r < RIN; r++, off += rowstep) {
    const bool rowin = (unsigned)(iy0 + r) < (unsigned)a.H;
#pragma unroll
    for (int kx = 0; kx < K; kx++)
      vv[r][kx] = rowin && colin[kx]
                      ? __ldg(reinterpret_cast<const uint4 *>(x + off + (long long)kx * a.CinP))
                      : make_uint4(0, 0, 0, 0);
  }
#pragma unroll
  for (int r = 0; r < RIN; r++) {
    const uint4 *v = vv[r];
#pragma unroll
    for (int o = 0; o < DD_RS; o++) {
      const int ky = r - o * S;
      if (ky < 0 || ky >= K) continue;
#pragma unroll
      for (int q = 0; q < 4; q++)
#pragma unroll
        for (int kx = 0; kx < K; kx++)
          acc[o][q] =
              __hfma2(reinterpret_cast<const __half2 *>(&v[kx])[q], w[ky * K + kx][q], acc[o][q]);
    }
  }
}

// A CTA's place: image n, tile `tile` at output pixel (oy0, ox0), and the thread's 8 channels
// from c (channel group tid % ncg) in strip slot tid / ncg of nslot; both kernels walk their
// strips (dd_walk) this way.
struct dd_place {
  int n, tile, oy0, ox0, ncg, c, slot, nslot;
  __device__ __forceinline__ explicit dd_place(const cuda_mbconv_args &a) {
    const int tid = threadIdx.x;
    n = blockIdx.y, tile = blockIdx.x;
    const int ty = tile / a.tiles_x, tx = tile - ty * a.tiles_x;
    oy0 = ty * a.TH, ox0 = tx * a.TW;
    ncg = a.CmidP / 8;
    const int cg = tid & (ncg - 1);
    slot = tid / ncg, nslot = 256 / ncg, c = cg * 8;
  }
};

// The strips of the thread's slot (every nslot-th) of its tile: each one's depthwise sums of
// its 8 channels, then out(acc, oy, ox) for each of its output pixels inside the tile and the
// image (acc: the pixel's 8 channels' fp16 sums).
template <int S, class F>
__device__ __forceinline__ void dd_walk(const cuda_mbconv_args &a, const dd_place &pl,
                                        const __half *x, const __half2 (&w)[DD_K * DD_K][4],
                                        const __half2 (&b)[4], F &&out) {
  const int strips = a.TW * ((a.TH + DD_RS - 1) / DD_RS), c = pl.c, oy0 = pl.oy0, ox0 = pl.ox0;
  for (int s = pl.slot; s < strips; s += pl.nslot) {
    const int rs = s / a.TW, xo = s - rs * a.TW, ox = ox0 + xo, oyb = oy0 + rs * DD_RS;
    if (ox >= a.Wo || oyb >= a.Ho) continue;
    __half2 acc[DD_RS][4];
    dd_strip<S>(a, x, c, ox, oyb, w, b, acc);
#pragma unroll
    for (int o = 0; o < DD_RS; o++) {
      const int oy = oyb + o;
      if (oy - oy0 >= a.TH || oy >= a.Ho) break;
      out(acc[o], oy, ox);
    }
  }
}

template <int S, bool SW>
__global__ void __launch_bounds__(256, 2) dw_direct_kernel(const cuda_mbconv_args a) {
  extern __shared__ float part[]; /* [256 / span][CmidP]: the rows' channel sums */
  const dd_place pl(a);
  const int n = pl.n, tile = pl.tile, ncg = pl.ncg, c = pl.c;
  const int tid = threadIdx.x;
  __half2 w[DD_K * DD_K][4], b[4];
  dd_weights(a, c, w, b);
  pdl_wait(); /* the input is the previous launch's output */
  const __half *x = (const __half *)a.x + (size_t)n * a.H * a.W * a.CinP;
  __half *st = a.stage ? (__half *)a.stage + (size_t)n * a.Ho * a.Wo * a.CmidP : nullptr;
  dw_stype<SW ? MODEL_ACT_SWISH : -1> sum[4] = {}; /* swish: fp16 sums */
  dd_walk<S>(a, pl, x, w, b, [&](const __half2(&acc)[4], int oy, int ox) {
    uint4 out;
    __half2 *h = reinterpret_cast<__half2 *>(&out);
#pragma unroll
    for (int q = 0; q < 4; q++) {
      if constexpr (SW)
        h[q] = dw_out<MODEL_ACT_SWISH>(acc[q], a.act, make_float2(1.f, 1.f), false, sum[q]);
      else
        h[q] = dw_out<-1>(acc[q], a.act, make_float2(1.f, 1.f), false, sum[q]);
    }
    if (st) *reinterpret_cast<uint4 *>(st + ((size_t)oy * a.Wo + ox) * a.CmidP + c) = out;
  });
  /* The tile's channel sums: first over the slots of a warp that share a channel group
     (lanes ncg apart) by shuffles, then over the warps' rows (slots ncg >= 32 threads
     apart) in shared memory, so one barrier and at most 8 rows stand between the last
     strip and the CTA's end (a row per slot, summed by 32 threads, made the tail of a
     16x16 tile of 32 channels 64 dependent loads long) */
  float2 f[4];
#pragma unroll
  for (int q = 0; q < 4; q++) f[q] = as_float2(sum[q]);
  for (int m = ncg; m < 32; m <<= 1)
#pragma unroll
    for (int q = 0; q < 4; q++) {
      f[q].x += __shfl_xor_sync(0xffffffffu, f[q].x, m);
      f[q].y += __shfl_xor_sync(0xffffffffu, f[q].y, m);
    }
  const int span = cuda_dw_direct_sum_span(a.CmidP), rows = 256 / span;
  if ((tid & 31) < ncg)
#pragma unroll
    for (int q = 0; q < 4; q++)
      *reinterpret_cast<float2 *>(part + (size_t)(tid / span) * a.CmidP + c + 2 * q) = f[q];
  __syncthreads();
  const int tiles = a.tiles_x * a.tiles_y;
  for (int ch = tid; ch < a.CmidP; ch += 256) {
    float t = 0.f;
    for (int r = 0; r < rows; r++) t += part[(size_t)r * a.CmidP + ch];
    a.sums[((size_t)n * tiles + tile) * a.CmidP + ch] = t;
  }
  pdl_trigger();
}

// Pass 2 of the recomputing variant (RECOMP) by the same strips: the depthwise conv again,
// act and the SE gate, into shared memory as fp16 [TH * TW][CmidP + 8] (the pitch puts the
// A fragments' 8 rows on distinct banks), then the projection on tensor cores: a warp per 16
// of the tile's pixels (m16n8k16, KS = CmidP / 16 k-steps, NT = CoutP / 8 column tiles, the
// projection's weights as B fragments in registers), + bias (+ residual), stored from the
// registers. Against the staged variant this reads the input (CinP = CmidP channels) where
// pass 2 read the staged dw output (the same bytes), and PASS1 no longer writes the stage:
// the block saves one write and one read of [N][Ho][Wo][CmidP].
template <int S, bool SW, int KS, int NT>
__global__ void __launch_bounds__(256) dw_proj_kernel(const cuda_mbconv_args a) {
  extern __shared__ __align__(16) __half dsm[];
  const dd_place pl(a);
  const int n = pl.n, oy0 = pl.oy0, ox0 = pl.ox0, c = pl.c, ld = a.CmidP + 8;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, g = lane >> 2, q = lane & 3;
  __half2 w[DD_K * DD_K][4], b[4];
  dd_weights(a, c, w, b);
  /* B fragments: b[h] = W_proj[16 ks + 2 q + 8 h + {0, 1}][8 nt + g] */
  unsigned bf[KS][NT][2];
  const __half *wp = (const __half *)a.w_proj;
#pragma unroll
  for (int ks = 0; ks < KS; ks++)
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
      for (int h = 0; h < 2; h++) {
        const int k = 16 * ks + 2 * q + 8 * h, col = 8 * nt + g;
        __half2 v =
            __halves2half2(wp[(size_t)k * a.CoutP + col], wp[(size_t)(k + 1) * a.CoutP + col]);
        bf[ks][nt][h] = *reinterpret_cast<const unsigned *>(&v);
      }
  pdl_wait(); /* the input and the gates: earlier launches' outputs */
  const __half *x = (const __half *)a.x + (size_t)n * a.H * a.W * a.CinP;
  float2 sc[4];
#pragma unroll
  for (int k = 0; k < 4; k++)
    sc[k] = *reinterpret_cast<const float2 *>(a.scale + (size_t)n * a.CmidP + c + 2 * k);
  dd_walk<S>(a, pl, x, w, b, [&](const __half2(&acc)[4], int oy, int ox) {
    uint4 out;
    __half2 *hh = reinterpret_cast<__half2 *>(&out);
    dw_stype<SW ? MODEL_ACT_SWISH : -1> unused[4] = {};
#pragma unroll
    for (int k = 0; k < 4; k++) {
      if constexpr (SW)
        hh[k] = dw_out<MODEL_ACT_SWISH>(acc[k], a.act, sc[k], true, unused[k]);
      else
        hh[k] = dw_out<-1>(acc[k], a.act, sc[k], true, unused[k]);
    }
    *reinterpret_cast<uint4 *>(dsm + (size_t)((oy - oy0) * a.TW + ox - ox0) * ld + c) = out;
  });
  __syncthreads();
  /* the tile's rows inside the image: pixels [0, npx) of it, row-major by TW (the columns
     past the image are computed from what the strips left there and not stored) */
  const int thv = min(a.TH, a.Ho - oy0), npx = thv * a.TW;
  __half *y = (__half *)a.y + (size_t)n * a.Ho * a.Wo * a.CoutP;
  const __half *res = a.res ? (const __half *)a.res + (size_t)n * a.Ho * a.Wo * a.CoutP : nullptr;
  for (int m0 = warp * 16; m0 < npx; m0 += 8 * 16) {
    float acc[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.f;
    /* rows m0 + g and m0 + g + 8 (clamped into the tile: a row past npx is not stored) */
    const int r0 = min(m0 + g, npx - 1), r1 = min(m0 + g + 8, npx - 1);
#pragma unroll
    for (int ks = 0; ks < KS; ks++) {
      unsigned af[4]; /* a[0]: row g, k 2 q; a[1]: row g + 8; a[2], a[3]: k + 8 */
      const int k = 16 * ks + 2 * q;
      af[0] = *reinterpret_cast<const unsigned *>(dsm + (size_t)r0 * ld + k);
      af[1] = *reinterpret_cast<const unsigned *>(dsm + (size_t)r1 * ld + k);
      af[2] = *reinterpret_cast<const unsigned *>(dsm + (size_t)r0 * ld + k + 8);
      af[3] = *reinterpret_cast<const unsigned *>(dsm + (size_t)r1 * ld + k + 8);
#pragma unroll
      for (int nt = 0; nt < NT; nt++) mma16816(acc[nt], af, bf[ks][nt][0], bf[ks][nt][1]);
    }
    /* acc[nt][2 r + {0, 1}]: row g + 8 r, columns 8 nt + 2 q + {0, 1} */
#pragma unroll
    for (int r = 0; r < 2; r++) {
      const int p = m0 + g + 8 * r;
      if (p >= npx) continue;
      const int py = small_div(p, a.TW), px = p - py * a.TW, ox = ox0 + px;
      if (ox >= a.Wo) continue;
      const size_t o = ((size_t)(oy0 + py) * a.Wo + ox) * a.CoutP + 2 * q;
#pragma unroll
      for (int nt = 0; nt < NT; nt++) {
        const int col = 8 * nt + 2 * q;
        float v0 = acc[nt][2 * r] + a.b_proj[col], v1 = acc[nt][2 * r + 1] + a.b_proj[col + 1];
        if (res) {
          const float2 rv = __half22float2(*reinterpret_cast<const __half2 *>(res + o + 8 * nt));
          v0 += rv.x, v1 += rv.y;
        }
        *reinterpret_cast<__half2 *>(y + o + 8 * nt) = __floats2half2_rn(v0, v1);
      }
    }
  }
  pdl_trigger();
}

}  // namespace bf

namespace {

using dd_fn = void (*)(const cuda_mbconv_args);

template <int S, bool SW>
dd_fn dw_proj_pick(int ks, int nt) {
  return ks == 1   ? (nt == 2 ? bf::dw_proj_kernel<S, SW, 1, 2> : bf::dw_proj_kernel<S, SW, 1, 4>)
         : ks == 2 ? (nt == 2 ? bf::dw_proj_kernel<S, SW, 2, 2> : bf::dw_proj_kernel<S, SW, 2, 4>)
                   : (nt == 2 ? bf::dw_proj_kernel<S, SW, 4, 2> : bf::dw_proj_kernel<S, SW, 4, 4>);
}

// dw_proj_kernel for stride s, swish or not, CmidP = 16 ks, CoutP = 8 nt.
dd_fn dw_proj_fn(int s, bool sw, int ks, int nt) {
  return s == 1 ? (sw ? dw_proj_pick<1, true>(ks, nt) : dw_proj_pick<1, false>(ks, nt))
                : (sw ? dw_proj_pick<2, true>(ks, nt) : dw_proj_pick<2, false>(ks, nt));
}

}  // namespace

// PASS1 by dw_direct_kernel, pass 2 of the recomputing variant by dw_proj_kernel: grid
// (tiles, n), 256 threads, shared memory cuda_dw_direct_smem().
extern "C" int cuda_dw_direct_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  if (!cuda_mbconv_dwdirect_ok(a) || n <= 0) return (int)cudaErrorInvalidValue;
  const bool sw = a->act == MODEL_ACT_SWISH;
  dd_fn k = a->mode == CUDA_MB_RECOMP ? dw_proj_fn(a->S, sw, a->CmidP / 16, a->CoutP / 8)
            : a->S == 1 ? (sw ? bf::dw_direct_kernel<1, true> : bf::dw_direct_kernel<1, false>)
                        : (sw ? bf::dw_direct_kernel<2, true> : bf::dw_direct_kernel<2, false>);
  const size_t smem = cuda_dw_direct_smem(a);
  return (int)bf::launch_k(k, dim3(a->tiles_x * a->tiles_y, n), 256, smem, st, true, *a);
}

// dw_proj_kernel's tiles may take more than 48 KB of shared memory (up to `bytes`).
extern "C" int cuda_dw_direct_set_attrs(int bytes) {
  for (int s = 1; s <= 2; s++)
    for (int sw = 0; sw < 2; sw++)
      for (int ks = 1; ks <= 4; ks *= 2)
        for (int nt = 2; nt <= 4; nt += 2) {
          const cudaError_t e = cudaFuncSetAttribute(
              dw_proj_fn(s, sw, ks, nt), cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
          if (e) return (int)e;
        }
  return 0;
}
