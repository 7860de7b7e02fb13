// Stem: uint8 RGB -> (p - mean) / std -> KxK conv, stride S -> act, fp16 out.
// Two kernels: for K = 3 and CoutP 32 / 48 / 64 an implicit GEMM on tensor
// cores (stem_mma_kernel, below); otherwise stem_kernel, one thread per
// (output pixel, 8 output channels) with the fp32 weights [K][K][3][CoutP]
// in shared memory. FLOPs per pixel
// 2*K*K*3*Cout; DRAM: the uint8 image once (neighbour re-reads hit L1/L2) and
// the fp16 output once. Normalisation is applied per tap, so zero padding is
// zero in normalised space, as in the reference.
#include <cuda_runtime.h>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"

namespace bf {

// KK > 0: the kernel size known at compile time (3 for every EfficientNet),
// so the taps unroll and all K*K*3 input bytes are loaded up front (taps in
// the padding read nothing and count as 0, i.e. zero in normalised space)
// instead of one dependent load per tap; KK = 0 walks a run-time a.K.
template <int KK>
__global__ void __launch_bounds__(CUDA_THREADS) stem_kernel(const cuda_stem_args a, int n) {
  extern __shared__ __align__(16) float w[];
  const int K = KK > 0 ? KK : a.K;
  const int nw = K * K * 3 * a.CoutP, groups = a.CoutP / 8;
  pdl_wait(); /* a no-op: the stem follows the images' copy, launched plainly */
  pdl_trigger();
  for (int i = threadIdx.x; i < nw; i += blockDim.x) w[i] = a.w[i];
  __syncthreads();
  const long long total = (long long)n * a.Ho * a.Wo * groups;
  const long long item = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (item >= total) return;
  const long long pix = item / groups;
  const int c0 = (int)(item % groups) * 8;
  const int img = (int)(pix / ((long long)a.Ho * a.Wo)),
            rem = (int)(pix % ((long long)a.Ho * a.Wo));
  const int oy = rem / a.Wo, ox = rem % a.Wo;
  const uint8_t *src = a.img + (size_t)img * a.H * a.W * 3;
  float acc[8];
#pragma unroll
  for (int j = 0; j < 8; j++) acc[j] = a.b[c0 + j];
  if (KK > 0) {
    constexpr int T = KK > 0 ? KK * KK * 3 : 1;
    float v[T];
#pragma unroll
    for (int ky = 0; ky < KK; ky++) {
      const int iy = oy * a.S - a.pad_t + ky;
#pragma unroll
      for (int kx = 0; kx < KK; kx++) {
        const int ix = ox * a.S - a.pad_l + kx;
        const bool in = iy >= 0 && iy < a.H && ix >= 0 && ix < a.W;
        const uint8_t *p = src + (in ? ((size_t)iy * a.W + ix) * 3 : 0);
#pragma unroll
        for (int ci = 0; ci < 3; ci++)
          v[(ky * KK + kx) * 3 + ci] =
              in ? ((float)__ldg(p + ci) - a.mean[ci]) * a.inv_std[ci] : 0.f;
      }
    }
#pragma unroll
    for (int t = 0; t < T; t++) {
      const float4 *wr = reinterpret_cast<const float4 *>(w + t * a.CoutP + c0);
      const float4 w0 = wr[0], w1 = wr[1];
      acc[0] = fmaf(v[t], w0.x, acc[0]), acc[1] = fmaf(v[t], w0.y, acc[1]);
      acc[2] = fmaf(v[t], w0.z, acc[2]), acc[3] = fmaf(v[t], w0.w, acc[3]);
      acc[4] = fmaf(v[t], w1.x, acc[4]), acc[5] = fmaf(v[t], w1.y, acc[5]);
      acc[6] = fmaf(v[t], w1.z, acc[6]), acc[7] = fmaf(v[t], w1.w, acc[7]);
    }
  } else {
    for (int ky = 0; ky < K; ky++) {
      const int iy = oy * a.S - a.pad_t + ky;
      if (iy < 0 || iy >= a.H) continue;
      for (int kx = 0; kx < K; kx++) {
        const int ix = ox * a.S - a.pad_l + kx;
        if (ix < 0 || ix >= a.W) continue;
        const uint8_t *p = src + ((size_t)iy * a.W + ix) * 3;
#pragma unroll
        for (int ci = 0; ci < 3; ci++) {
          const float v = ((float)p[ci] - a.mean[ci]) * a.inv_std[ci];
          const float *wr = w + ((ky * K + kx) * 3 + ci) * a.CoutP + c0;
#pragma unroll
          for (int j = 0; j < 8; j++) acc[j] = fmaf(v, wr[j], acc[j]);
        }
      }
    }
  }
#pragma unroll
  for (int j = 0; j < 8; j++) acc[j] = c0 + j < a.Cout ? act_apply(acc[j], a.act) : 0.f;
  *reinterpret_cast<uint4 *>((__half *)a.y + (size_t)pix * a.CoutP + c0) = pack8(acc);
}

// The fp16 pair (lo, hi) as the 32-bit register an MMA fragment holds.
__device__ __forceinline__ unsigned h2_bits(float lo, float hi) {
  const __half2 p = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const unsigned *>(&p);
}

// The tensor-core stems' scale of their weights and bias: with swish they
// are halved, so the MMA plus the bias gives h = x / 2 and the epilogue's
// swish(x) = h + h tanh(h) (swish_of_half_f32) is one MUFU and one FFMA per
// value (x / 2 is exact in fp16 but for weights below 2^-14).
__device__ __forceinline__ float stem_wscale(const cuda_stem_args &a) {
  return a.act == MODEL_ACT_SWISH ? 0.5f : 1.f;
}
// A lane's bias pairs in the tensor-core stems' epilogue: columns 8 nt + 2 q
// and + 1 of each of the NT column tiles, scaled by stem_wscale.
template <int NT>
__device__ __forceinline__ void stem_bias(const cuda_stem_args &a, int q, float (&bias)[NT][2]) {
  const float f = stem_wscale(a);
#pragma unroll
  for (int nt = 0; nt < NT; nt++) {
    bias[nt][0] = f * a.b[8 * nt + 2 * q];
    bias[nt][1] = f * a.b[8 * nt + 2 * q + 1];
  }
}
// A B-fragment register of the tensor-core stems: the weights lo, hi as an
// fp16 pair, scaled by stem_wscale.
__device__ __forceinline__ unsigned stem_wbits(const cuda_stem_args &a, float lo, float hi) {
  const float f = stem_wscale(a);
  return h2_bits(f * lo, f * hi);
}

// A warp's 16-pixel tile of the tensor-core stems from its A fragments: the
// KS k-steps of NT column tiles, then bias + act, padded channels as 0, the
// fp16 pairs of rows g and g + 8 (r = 0, 1) to yrow(r), the row's outputs
// from channel 2 q (nullptr: the row is past the image's pixels). With swish
// the accumulator plus the bias is x / 2 (stem_wscale); the padded channels'
// weights and bias are zero, and swish(0) = 0, so that path skips their test.
template <int NT, int KS, class Y>
__device__ __forceinline__ void stem_tile_out(const cuda_stem_args &a, const unsigned (&af)[KS][4],
                                              const unsigned (&bf)[KS][NT][2],
                                              const float (&bias)[NT][2], int q, Y yrow) {
  float acc[NT][4];
#pragma unroll
  for (int nt = 0; nt < NT; nt++) {
    acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.f;
#pragma unroll
    for (int ks = 0; ks < KS; ks++) mma16816(acc[nt], af[ks], bf[ks][nt][0], bf[ks][nt][1]);
  }
#pragma unroll
  for (int r = 0; r < 2; r++) { /* c[2 r + {0, 1}] = C[row g + 8 r][8 nt + 2 q + {0, 1}] */
    __half *const y = yrow(r);
    if (!y) continue;
    if (a.act == MODEL_ACT_SWISH) {
#pragma unroll
      for (int nt = 0; nt < NT; nt++)
        *reinterpret_cast<__half2 *>(y + 8 * nt) =
            __floats2half2_rn(swish_of_half_f32(acc[nt][2 * r] + bias[nt][0]),
                              swish_of_half_f32(acc[nt][2 * r + 1] + bias[nt][1]));
      continue;
    }
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
      const int c = 8 * nt + 2 * q;
      const float y0 = c < a.Cout ? act_apply(acc[nt][2 * r] + bias[nt][0], a.act) : 0.f;
      const float y1 = c + 1 < a.Cout ? act_apply(acc[nt][2 * r + 1] + bias[nt][1], a.act) : 0.f;
      *reinterpret_cast<__half2 *>(y + 8 * nt) = __floats2half2_rn(y0, y1);
    }
  }
}

// The K = 3 stem on tensor cores: an implicit GEMM [pixels x 27] x [27 x
// CoutP], one m16n8k16 MMA per 16 pixels x 8 channels x 16 taps (27 taps
// padded to 32). Each warp owns tiles of 16 consecutive output pixels (of
// the flattened [n][oy][ox]); a lane builds its A fragment straight from
// the uint8 image: for its two pixel rows (g, g + 8) the 16 taps k = 16 s +
// 2 q + {0, 1, 8, 9} (q = lane % 4), normalised in fp32 and rounded to
// fp16, so the 4 lanes of a row together load the pixel's 27 bytes once.
// The B fragments (weights, fp32 -> fp16) are loaded once per warp into
// registers. Per pixel this is ~3x fewer instructions than the FMA kernel
// above, which recomputed the 27 normalised inputs in each of the four
// threads of a pixel. NT = CoutP / 8 column tiles (4, 6 or 8).
template <int NT>
__global__ void __launch_bounds__(CUDA_THREADS, NT <= 6 ? 2 : 1)
    stem_mma_kernel(const cuda_stem_args a, int n, int tpw) {
  constexpr int KS = 2, SLOTS = KS * 4; /* k-steps of 16 taps; taps per row per lane */
  const int lane = threadIdx.x & 31, q = lane & 3, g = lane >> 2;
  pdl_wait(); /* as in stem_kernel */
  pdl_trigger();
  int dy[SLOTS], dx[SLOTS], off[SLOTS];
  float mu[SLOTS], is[SLOTS];
#pragma unroll
  for (int s = 0; s < SLOTS; s++) { /* slot s: k = 16 (s / 4) + 2 q + (s & 1) + 8 ((s >> 1) & 1) */
    const int k = 16 * (s >> 2) + 2 * q + (s & 1) + 8 * ((s >> 1) & 1);
    const int t = k / 3, ci = k - 3 * t;
    dy[s] = k < 27 ? t / 3 : -(1 << 30); /* a tap past 27 never passes the bounds test */
    dx[s] = t % 3;
    off[s] = k < 27 ? (dy[s] * a.W + dx[s]) * 3 + ci : 0;
    mu[s] = ci == 0 ? a.mean[0] : ci == 1 ? a.mean[1] : a.mean[2];
    is[s] = ci == 0 ? a.inv_std[0] : ci == 1 ? a.inv_std[1] : a.inv_std[2];
  }
  unsigned bf[KS][NT][2];
#pragma unroll
  for (int ks = 0; ks < KS; ks++)
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
      for (int h = 0; h < 2; h++) { /* b[h] = B[16 ks + 2 q + 8 h + {0, 1}][8 nt + g] */
        const int k = 16 * ks + 2 * q + 8 * h, col = 8 * nt + g;
        bf[ks][nt][h] = stem_wbits(a, k < 27 ? a.w[k * a.CoutP + col] : 0.f,
                                   k + 1 < 27 ? a.w[(k + 1) * a.CoutP + col] : 0.f);
      }
  float bias[NT][2];
  stem_bias(a, q, bias);
  const long long hw = (long long)a.Ho * a.Wo, total = n * hw;
  const long long tiles = (total + 15) / 16;
  const long long warp0 = ((long long)blockIdx.x * CUDA_WARPS + (threadIdx.x >> 5)) * tpw;
  /* The lane's pixels are warp0 * 16 + g, then every 8th: its first one as (image, oy, ox)
     by one division, the others by stepping that cursor 8 pixels at a time (a 64-bit and a
     32-bit division per pixel row stood between each row and its gathers) */
  int cimg, coy, cox;
  {
    const long long p0 = warp0 * 16 + g;
    cimg = (int)(p0 / hw);
    const long long rem = p0 - (long long)cimg * hw;
    coy = (int)(rem / a.Wo), cox = (int)(rem - (long long)coy * a.Wo);
  }
  for (int it = 0; it < tpw; it++) {
    const long long tile = warp0 + it;
    if (tile >= tiles) break;
    unsigned af[KS][4];
    long long pix[2];
#pragma unroll
    for (int r = 0; r < 2; r++) { /* rows g and g + 8 of the tile */
      pix[r] = tile * 16 + g + 8 * r;
      const bool live = pix[r] < total;
      const int img = live ? cimg : 0, oy = live ? coy : 0, ox = live ? cox : 0;
      for (cox += 8; cox >= a.Wo;) { /* the cursor to pixel pix[r] + 8 */
        cox -= a.Wo;
        if (++coy == a.Ho) coy = 0, cimg++;
      }
      const int iy0 = oy * a.S - a.pad_t, ix0 = ox * a.S - a.pad_l;
      const uint8_t *src = a.img + ((long long)(img * a.H + iy0) * a.W + ix0) * 3;
      float v[SLOTS];
#pragma unroll
      for (int s = 0; s < SLOTS; s++) {
        const int iy = iy0 + dy[s], ix = ix0 + dx[s];
        const bool in = live && (unsigned)iy < (unsigned)a.H && (unsigned)ix < (unsigned)a.W;
        v[s] = in ? ((float)__ldg(src + off[s]) - mu[s]) * is[s] : 0.f;
      }
#pragma unroll
      for (int ks = 0; ks < KS; ks++)
#pragma unroll
        for (int h = 0; h < 2; h++) /* a[r + 2 h] = A[row][16 ks + 2 q + 8 h + {0, 1}] */
          af[ks][r + 2 * h] = h2_bits(v[4 * ks + 2 * h], v[4 * ks + 2 * h + 1]);
    }
    stem_tile_out<NT, KS>(a, af, bf, bias, q, [&](int r) {
      return pix[r] < total ? (__half *)a.y + (size_t)pix[r] * a.CoutP + 2 * q : nullptr;
    });
  }
}

// The K = 3 stem on tensor cores from a band of input rows in shared
// memory (stem_band_kernel): a CTA owns TH output rows of one image (grid
// (bands, n)). It copies the band's input rows (whole image rows: one
// contiguous byte range) with 4-byte loads, four in flight per thread, into
// shared memory, then normalises each pixel once into fp16 [rows][cols][4]
// (the 3 channels and a zero; columns from -pad_l), so that the GEMM's K is
// the 9 taps x 4 (36, padded to 48): the two channels of a lane's A pair are
// one aligned 4-byte load, and the pixels of a warp's 16-row tile, S * 8
// bytes apart, fall on distinct banks. stem_mma_kernel (which one image
// still runs: cuda_stem_band_th) gathers the 27 bytes of every pixel from
// global memory and normalises each once per tap, in warps that the
// gathers' latency leaves idle. Output as stem_mma_kernel's.
// Shared memory (cuda_stem_band_smem): the normalised band, then the raw
// bytes.
template <int NT, int S>
__global__ void __launch_bounds__(CUDA_THREADS, NT <= 4 ? 3 : 2)
    stem_band_kernel(const cuda_stem_args a, int n, int TH) {
  constexpr int KS = 3; /* k-steps of 16: tap t = k / 4, channel k % 4 */
  extern __shared__ __align__(16) unsigned char sm[];
  const int img = blockIdx.y, oy0 = blockIdx.x * TH, th = min(TH, a.Ho - oy0);
  const int RIN = (th - 1) * S + 3, XW = (a.Wo - 1) * S + 3, row3 = a.W * 3;
  const int iy0 = oy0 * S - a.pad_t;
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, q = lane & 3, g = lane >> 2;
  __half *xs = reinterpret_cast<__half *>(sm);                   /* [RIN][XW][4] */
  unsigned char *raw = sm + (size_t)((TH - 1) * S + 3) * XW * 8; /* the band's bytes */
  /* B fragments: b[h] = B[k][8 nt + g], k = 16 ks + 2 q + 8 h + {0, 1}; the weights
     [3][3][3][CoutP] at tap k / 4, channel k % 4 (channel 3 and taps past 8: zero) */
  unsigned bf[KS][NT][2];
  int off[KS][2]; /* the A pair's offset (halves) from the pixel's top-left tap, -1: zero */
#pragma unroll
  for (int ks = 0; ks < KS; ks++)
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int k = 16 * ks + 2 * q + 8 * h, t = k >> 2, ci = k & 3; /* ci: 0 or 2 */
      off[ks][h] = t < 9 ? ((t / 3) * XW + t % 3) * 4 + ci : -1;
#pragma unroll
      for (int nt = 0; nt < NT; nt++) {
        const int col = 8 * nt + g;
        bf[ks][nt][h] =
            stem_wbits(a, t < 9 ? a.w[(t * 3 + ci) * a.CoutP + col] : 0.f,
                       t < 9 && ci + 1 < 3 ? a.w[(t * 3 + ci + 1) * a.CoutP + col] : 0.f);
      }
    }
  float bias[NT][2];
  stem_bias(a, q, bias);
  pdl_wait(); /* as in stem_kernel */
  pdl_trigger();
  /* the band's image rows ry0 .. ry1 - 1 (inside the image) as bytes [b0, b1) of the batch,
     copied as the 4-byte words that hold them (the last word of the batch byte by byte) */
  const int ry0 = max(iy0, 0), ry1 = min(iy0 + RIN, a.H);
  const long long b0 = ((long long)img * a.H + ry0) * row3, b1 = b0 + (long long)(ry1 - ry0) * row3;
  const long long w0 = b0 >> 2, nw = ry1 > ry0 ? ((b1 + 3) >> 2) - w0 : 0;
  const long long total = (long long)n * a.H * row3;
  const unsigned *src = reinterpret_cast<const unsigned *>(a.img);
  for (long long i = tid; i < nw; i += 4 * CUDA_THREADS) {
    unsigned v[4];
#pragma unroll
    for (int u = 0; u < 4; u++) { /* four loads in flight per thread */
      const long long w = w0 + i + (long long)u * CUDA_THREADS;
      v[u] = 0;
      if (i + (long long)u * CUDA_THREADS < nw) {
        if (4 * w + 4 <= total) {
          v[u] = __ldg(src + w);
        } else {
          for (int j = 0; j < 4 && 4 * w + j < total; j++)
            v[u] |= (unsigned)a.img[4 * w + j] << (8 * j);
        }
      }
    }
#pragma unroll
    for (int u = 0; u < 4; u++)
      if (i + (long long)u * CUDA_THREADS < nw)
        *reinterpret_cast<unsigned *>(raw + 4 * (i + (long long)u * CUDA_THREADS)) = v[u];
  }
  __syncthreads();
  /* normalise: pixel i = (r, c) of the band is image pixel (iy0 + r, c - pad_l); zero
     outside. One flat walk over the band's RIN x XW pixels (fewer than 2^20: 48 KB of
     shared memory), so no lanes idle at each row's end and no per-row loop */
  const int lead = (int)(b0 & 3);
  for (int i = tid; i < RIN * XW; i += CUDA_THREADS) {
    const int r = small_div(i, XW), iy = iy0 + r, ix = i - r * XW - a.pad_l;
    float v0 = 0.f, v1 = 0.f, v2 = 0.f;
    if (iy >= 0 && iy < a.H && ix >= 0 && ix < a.W) {
      const unsigned char *p = raw + lead + (iy - ry0) * row3 + ix * 3;
      v0 = ((float)p[0] - a.mean[0]) * a.inv_std[0];
      v1 = ((float)p[1] - a.mean[1]) * a.inv_std[1];
      v2 = ((float)p[2] - a.mean[2]) * a.inv_std[2];
    }
    *reinterpret_cast<uint2 *>(xs + (size_t)i * 4) = make_uint2(h2_bits(v0, v1), h2_bits(v2, 0.f));
  }
  __syncthreads();
  const int bp = th * a.Wo, tiles = (bp + 15) / 16;
  /* the band's first output pixel, at the lane's channels (the pixels' offsets: 32 bits) */
  __half *const yb = (__half *)a.y + ((size_t)img * a.Ho * a.Wo + (size_t)oy0 * a.Wo) * a.CoutP;
  for (int t = warp; t < tiles; t += CUDA_WARPS) {
    unsigned af[KS][4];
    int pix[2]; /* the output pixel (row-major in the band) of rows g and g + 8, -1 past it */
#pragma unroll
    for (int r = 0; r < 2; r++) {
      /* p < bp: under 2^20 (the band's input fits 48 KB), so small_div is exact */
      const int p = t * 16 + g + 8 * r, live = p < bp;
      const int oyl = live ? small_div(p, a.Wo) : 0, ox = live ? p - oyl * a.Wo : 0;
      pix[r] = live ? p : -1;
      const __half *base = xs + ((size_t)oyl * S * XW + ox * S) * 4;
#pragma unroll
      for (int ks = 0; ks < KS; ks++)
#pragma unroll
        for (int h = 0; h < 2; h++)
          af[ks][r + 2 * h] =
              off[ks][h] >= 0 ? *reinterpret_cast<const unsigned *>(base + off[ks][h]) : 0u;
    }
    stem_tile_out<NT, KS>(a, af, bf, bias, q, [&](int r) {
      return pix[r] >= 0 ? yb + ((unsigned)pix[r] * (unsigned)a.CoutP + 2 * q) : nullptr;
    });
  }
}

}  // namespace bf

extern "C" int cuda_stem_launch(const cuda_stem_args *a, int n, cuda_stream_t st) {
  const long long total = (long long)n * a->Ho * a->Wo * (a->CoutP / 8);
  const size_t smem = (size_t)a->K * a->K * 3 * a->CoutP * sizeof(float);
  if (a->CoutP % 8 || smem > 48 * 1024) return (int)cudaErrorInvalidValue;
  const int nt = a->CoutP / 8;
  const bool tc = a->K == 3 && (nt == 4 || nt == 6 || nt == 8); /* CoutP 32, 48, 64 */
  int th = 0; /* the band kernel's output rows per CTA, 0 where it does not apply */
  if (tc && (a->S == 1 || a->S == 2) && bf::g_stem_band) th = cuda_stem_band_th(a, n);
  if (th > 0) {
    void (*k)(const cuda_stem_args, int, int) = a->S == 1
                                                    ? (nt == 4   ? bf::stem_band_kernel<4, 1>
                                                       : nt == 6 ? bf::stem_band_kernel<6, 1>
                                                                 : bf::stem_band_kernel<8, 1>)
                                                    : (nt == 4   ? bf::stem_band_kernel<4, 2>
                                                       : nt == 6 ? bf::stem_band_kernel<6, 2>
                                                                 : bf::stem_band_kernel<8, 2>);
    const dim3 grid((unsigned)((a->Ho + th - 1) / th), (unsigned)n);
    k<<<grid, CUDA_THREADS, cuda_stem_band_smem(th, a->W, a->Wo, a->S), st>>>(*a, n, th);
    return (int)cudaGetLastError();
  }
  if (tc) { /* tensor cores, the pixels gathered from global memory */
    const long long px = (long long)n * a->Ho * a->Wo, tiles = (px + 15) / 16;
    const int tpw = px >= (1 << 20) ? 4 : 1; /* big batches: fewer CTAs, weights loaded less */
    const unsigned blocks =
        (unsigned)((tiles + (long long)CUDA_WARPS * tpw - 1) / (CUDA_WARPS * tpw));
    void (*k)(const cuda_stem_args, int, int) = nt == 4   ? bf::stem_mma_kernel<4>
                                                : nt == 6 ? bf::stem_mma_kernel<6>
                                                          : bf::stem_mma_kernel<8>;
    k<<<blocks, CUDA_THREADS, 0, st>>>(*a, n, tpw);
    return (int)cudaGetLastError();
  }
  const unsigned blocks = (unsigned)((total + CUDA_THREADS - 1) / CUDA_THREADS);
  if (a->K == 3)
    bf::stem_kernel<3><<<blocks, CUDA_THREADS, smem, st>>>(*a, n);
  else
    bf::stem_kernel<0><<<blocks, CUDA_THREADS, smem, st>>>(*a, n);
  return (int)cudaGetLastError();
}

extern "C" int cuda_stem_set_attrs(int carveout) {
  const void *fns[] = {(const void *)bf::stem_kernel<3>, (const void *)bf::stem_kernel<0>,
                       (const void *)bf::stem_mma_kernel<4>, (const void *)bf::stem_mma_kernel<6>,
                       (const void *)bf::stem_mma_kernel<8>};
  const void *band[] = {
      (const void *)bf::stem_band_kernel<4, 1>, (const void *)bf::stem_band_kernel<6, 1>,
      (const void *)bf::stem_band_kernel<8, 1>, (const void *)bf::stem_band_kernel<4, 2>,
      (const void *)bf::stem_band_kernel<6, 2>, (const void *)bf::stem_band_kernel<8, 2>};
  cudaError_t e = bf::set_kernel_attrs(fns, 5, -1, carveout);
  return (int)(e ? e : bf::set_kernel_attrs(band, 6, -1, carveout));
}
