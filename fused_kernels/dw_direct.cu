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
// dividing 256 (cuda_mbconv_dwdirect_ok).
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace bf {

constexpr int DD_RS = 4; /* output rows per thread */

template <int S, bool SW>
__global__ void __launch_bounds__(256, 2) dw_direct_kernel(const cuda_mbconv_args a) {
  constexpr int K = 3, RIN = (DD_RS - 1) * S + K;
  extern __shared__ float part[]; /* [256 / max(ncg, 32)][CmidP]: the rows' channel sums */
  const int n = blockIdx.y, tile = blockIdx.x, tid = threadIdx.x;
  const int ty = tile / a.tiles_x, tx = tile - ty * a.tiles_x;
  const int oy0 = ty * a.TH, ox0 = tx * a.TW;
  const int ncg = a.CmidP / 8, cg = tid & (ncg - 1), slot = tid / ncg, nslot = 256 / ncg;
  const int c = cg * 8, strips = a.TW * ((a.TH + DD_RS - 1) / DD_RS);
  /* the taps' weights (fp16 pairs) and the bias: constants, read before the wait */
  __half2 w[K * K][4];
  __half2 b[4];
  const __half *wdw = (const __half *)a.w_dw;
#pragma unroll
  for (int t = 0; t < K * K; t++) {
    const uint4 u = __ldg(reinterpret_cast<const uint4 *>(wdw + (size_t)t * a.CmidP + c));
    const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
    for (int q = 0; q < 4; q++) w[t][q] = h[q];
  }
#pragma unroll
  for (int q = 0; q < 4; q++) b[q] = __floats2half2_rn(a.b_dw[c + 2 * q], a.b_dw[c + 2 * q + 1]);
  pdl_wait(); /* the input is the previous launch's output */
  const __half *x = (const __half *)a.x + (size_t)n * a.H * a.W * a.CinP;
  __half *st = a.stage ? (__half *)a.stage + (size_t)n * a.Ho * a.Wo * a.CmidP : nullptr;
  dw_stype<SW ? MODEL_ACT_SWISH : -1> sum[4] = {}; /* swish: fp16 sums */
  for (int s = slot; s < strips; s += nslot) {
    const int rs = s / a.TW, xo = s - rs * a.TW, ox = ox0 + xo, oyb = oy0 + rs * DD_RS;
    if (ox >= a.Wo || oyb >= a.Ho) continue;
    const int ix0 = ox * S - a.pad_l, iy0 = oyb * S - a.pad_t;
    __half2 acc[DD_RS][4];
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
#pragma unroll
    for (int r = 0; r < RIN; r++, off += rowstep) {
      const bool rowin = (unsigned)(iy0 + r) < (unsigned)a.H;
      uint4 v[K]; /* the 8 channels of pixel (iy0 + r, ix0 + kx), zero in the padding */
#pragma unroll
      for (int kx = 0; kx < K; kx++)
        v[kx] = rowin && colin[kx]
                    ? __ldg(reinterpret_cast<const uint4 *>(x + off + (long long)kx * a.CinP))
                    : make_uint4(0, 0, 0, 0);
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
#pragma unroll
    for (int o = 0; o < DD_RS; o++) {
      const int oy = oyb + o;
      if (oy - oy0 >= a.TH || oy >= a.Ho) break;
      uint4 out;
      __half2 *h = reinterpret_cast<__half2 *>(&out);
#pragma unroll
      for (int q = 0; q < 4; q++) {
        if constexpr (SW)
          h[q] = dw_out<MODEL_ACT_SWISH>(acc[o][q], a.act, make_float2(1.f, 1.f), false, sum[q]);
        else
          h[q] = dw_out<-1>(acc[o][q], a.act, make_float2(1.f, 1.f), false, sum[q]);
      }
      if (st) *reinterpret_cast<uint4 *>(st + ((size_t)oy * a.Wo + ox) * a.CmidP + c) = out;
    }
  }
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
  const int span = ncg > 32 ? ncg : 32, rows = 256 / span;
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

}  // namespace bf

// PASS1 by dw_direct_kernel: grid (tiles, n), 256 threads, the rows' sums
// in dynamic shared memory (at most 8 rows of CmidP <= 2048 floats).
extern "C" int cuda_dw_direct_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  if (!cuda_mbconv_dwdirect_ok(a) || n <= 0) return (int)cudaErrorInvalidValue;
  const bool sw = a->act == MODEL_ACT_SWISH;
  void (*k)(const cuda_mbconv_args) =
      a->S == 1 ? (sw ? bf::dw_direct_kernel<1, true> : bf::dw_direct_kernel<1, false>)
                : (sw ? bf::dw_direct_kernel<2, true> : bf::dw_direct_kernel<2, false>);
  const size_t smem = cuda_dw_direct_smem(a);
  return (int)bf::launch_k(k, dim3(a->tiles_x * a->tiles_y, n), 256, smem, st, true, *a);
}
