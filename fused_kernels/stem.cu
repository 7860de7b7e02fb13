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

__global__ void __launch_bounds__(CUDA_THREADS) stem_kernel(const cuda_stem_args a, int n) {
  extern __shared__ __align__(16) float w[];
  const int nw = a.K * a.K * 3 * a.CoutP, groups = a.CoutP / 8;
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
  for (int ky = 0; ky < a.K; ky++) {
    const int iy = oy * a.S - a.pad_t + ky;
    if (iy < 0 || iy >= a.H) continue;
    for (int kx = 0; kx < a.K; kx++) {
      const int ix = ox * a.S - a.pad_l + kx;
      if (ix < 0 || ix >= a.W) continue;
      const uint8_t *p = src + ((size_t)iy * a.W + ix) * 3;
#pragma unroll
      for (int ci = 0; ci < 3; ci++) {
        const float v = ((float)p[ci] - a.mean[ci]) * a.inv_std[ci];
        const float *wr = w + ((ky * a.K + kx) * 3 + ci) * a.CoutP + c0;
#pragma unroll
        for (int j = 0; j < 8; j++) acc[j] = fmaf(v, wr[j], acc[j]);
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
  bf::stem_kernel<<<blocks, CUDA_THREADS, smem, st>>>(*a, n);
  return (int)cudaGetLastError();
}
