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
        const float w0 = k < 27 ? a.w[k * a.CoutP + col] : 0.f;
        const float w1 = k + 1 < 27 ? a.w[(k + 1) * a.CoutP + col] : 0.f;
        const __half2 p = __floats2half2_rn(w0, w1);
        bf[ks][nt][h] = *reinterpret_cast<const unsigned *>(&p);
      }
  float bias[NT][2];
#pragma unroll
  for (int nt = 0; nt < NT; nt++) {
    bias[nt][0] = a.b[8 * nt + 2 * q];
    bias[nt][1] = a.b[8 * nt + 2 * q + 1];
  }
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
        for (int h = 0; h < 2; h++) { /* a[r + 2 h] = A[row][16 ks + 2 q + 8 h + {0, 1}] */
          const __half2 p2 = __floats2half2_rn(v[4 * ks + 2 * h], v[4 * ks + 2 * h + 1]);
          af[ks][r + 2 * h] = *reinterpret_cast<const unsigned *>(&p2);
        }
    }
    float acc[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++) {
      acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.f;
#pragma unroll
      for (int ks = 0; ks < KS; ks++) mma16816(acc[nt], af[ks], bf[ks][nt][0], bf[ks][nt][1]);
    }
#pragma unroll
    for (int r = 0; r < 2; r++) { /* c[2 r + {0, 1}] = C[row g + 8 r][8 nt + 2 q + {0, 1}] */
      if (pix[r] >= total) continue;
      __half *y = (__half *)a.y + (size_t)pix[r] * a.CoutP + 2 * q;
#pragma unroll
      for (int nt = 0; nt < NT; nt++) {
        const int c = 8 * nt + 2 * q;
        const float y0 = c < a.Cout ? act_apply(acc[nt][2 * r] + bias[nt][0], a.act) : 0.f;
        const float y1 = c + 1 < a.Cout ? act_apply(acc[nt][2 * r + 1] + bias[nt][1], a.act) : 0.f;
        *reinterpret_cast<__half2 *>(y + 8 * nt) = __floats2half2_rn(y0, y1);
      }
    }
  }
}

}  // namespace bf

extern "C" int cuda_stem_launch(const cuda_stem_args *a, int n, cuda_stream_t st) {
  const long long total = (long long)n * a->Ho * a->Wo * (a->CoutP / 8);
  const size_t smem = (size_t)a->K * a->K * 3 * a->CoutP * sizeof(float);
  if (a->CoutP % 8 || smem > 48 * 1024) return (int)cudaErrorInvalidValue;
  const int nt = a->CoutP / 8;
  if (a->K == 3 && (nt == 4 || nt == 6 || nt == 8)) { /* CoutP 32, 48, 64: tensor cores */
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
  return (int)bf::set_kernel_attrs(fns, 5, -1, carveout);
}
