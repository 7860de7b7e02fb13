// Stem: uint8 RGB -> (p - mean) / std -> KxK conv, stride S -> act, fp16 out.
// One thread per (output pixel, 8 output channels); the
// fp32 weights [K][K][3][CoutP] sit in shared memory. FLOPs per pixel
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

}  // namespace bf

extern "C" int cuda_stem_launch(const cuda_stem_args *a, int n, cuda_stream_t st) {
  const long long total = (long long)n * a->Ho * a->Wo * (a->CoutP / 8);
  const size_t smem = (size_t)a->K * a->K * 3 * a->CoutP * sizeof(float);
  if (a->CoutP % 8 || smem > 48 * 1024) return (int)cudaErrorInvalidValue;
  const unsigned blocks = (unsigned)((total + CUDA_THREADS - 1) / CUDA_THREADS);
  if (a->K == 3)
    bf::stem_kernel<3><<<blocks, CUDA_THREADS, smem, st>>>(*a, n);
  else
    bf::stem_kernel<0><<<blocks, CUDA_THREADS, smem, st>>>(*a, n);
  return (int)cudaGetLastError();
}

extern "C" int cuda_stem_set_attrs(int carveout) {
  const void *fns[] = {(const void *)bf::stem_kernel<3>, (const void *)bf::stem_kernel<0>};
  return (int)bf::set_kernel_attrs(fns, 2, -1, carveout);
}
