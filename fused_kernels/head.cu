// Head: 1x1 conv -> act -> global mean pool, then the FC layer as a GEMM.
//
// head_pool_kernel: one CTA per (image, 64 head channels). It walks the
// image's pixels 64 rows at a time: [64 x CinP] x [CinP x 64] on tensor cores
// (8 warps x 2 tiles of 16x16), bias + act, column sums in shared memory; the
// mean lands in pooled[n][c] as fp16. FLOPs 2*P*Cin*Ch per image; DRAM: the
// input once per channel group (L2 absorbs the repeats), weights via L2.
//
// gemm_kernel: C[M x NP] = A[M x K] B[K x NP] + bias, fp32 out; CTA tile 64x64,
// 8 warps x 2 tiles, fragments straight from global (L1/L2). Used for the FC.
#include <cuda_runtime.h>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"

namespace bf {

#define HEAD_ROWS 64
#define HEAD_COLS 64

__global__ void __launch_bounds__(CUDA_THREADS) head_pool_kernel(const cuda_head_args a) {
  extern __shared__ __align__(128) unsigned char smem[];
  float *scr_all = reinterpret_cast<float *>(smem);
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *scr = scr_all + warp * 256;
  float *colsum = scr_all + CUDA_WARPS * 256;
  __half *xs = reinterpret_cast<__half *>(colsum + HEAD_COLS);
  const int n = blockIdx.y, h0 = blockIdx.x * HEAD_COLS;
  const __half *x = (const __half *)a.x + (size_t)n * a.P * a.CinP;
  const __half *w = (const __half *)a.w;
  if (threadIdx.x < HEAD_COLS) colsum[threadIdx.x] = 0.f;
  for (int p0 = 0; p0 < a.P; p0 += HEAD_ROWS) {
    const int v8 = a.CinP / 8;
    __syncthreads();
    for (int i = threadIdx.x; i < HEAD_ROWS * v8; i += blockDim.x) {
      const int r = i / v8, c = (i % v8) * 8;
      uint4 u = make_uint4(0, 0, 0, 0);
      if (p0 + r < a.P) u = *reinterpret_cast<const uint4 *>(x + (size_t)(p0 + r) * a.CinP + c);
      *reinterpret_cast<uint4 *>(xs + (size_t)r * a.CinP + c) = u;
    }
    __syncthreads();
    for (int t = warp; t < (HEAD_ROWS / 16) * (HEAD_COLS / 16); t += CUDA_WARPS) {
      const int mt = t / (HEAD_COLS / 16), nt = t % (HEAD_COLS / 16);
      if (p0 + mt * 16 >= a.P || h0 + nt * 16 >= a.ChP) continue;
      frag_c acc;
      wmma::fill_fragment(acc, 0.f);
      for (int k = 0; k < a.CinP / 16; k++) {
        frag_a fa;
        frag_b fb;
        wmma::load_matrix_sync(fa, xs + (size_t)mt * 16 * a.CinP + k * 16, a.CinP);
        wmma::load_matrix_sync(fb, w + (size_t)k * 16 * a.ChP + h0 + nt * 16, a.ChP);
        wmma::mma_sync(acc, fa, fb, acc);
      }
      wmma::store_matrix_sync(scr, acc, 16, wmma::mem_row_major);
      __syncwarp();
      // lane: column (lane & 15), rows (lane >> 4) + 2i
      const int c = lane & 15, c_abs = h0 + nt * 16 + c;
      float s = 0.f;
      for (int r = lane >> 4; r < 16; r += 2)
        if (p0 + mt * 16 + r < a.P) s += act_apply(scr[r * 16 + c] + a.b[c_abs], a.act);
      s += __shfl_xor_sync(0xffffffffu, s, 16);
      if (lane < 16) atomicAdd(&colsum[nt * 16 + c], s);
      __syncwarp();
    }
  }
  __syncthreads();
  if (threadIdx.x < HEAD_COLS && h0 + threadIdx.x < a.ChP) {
    const int c = h0 + threadIdx.x;
    ((__half *)a.pooled)[(size_t)n * a.ChP + c] =
        __float2half(c < a.Ch ? colsum[threadIdx.x] / (float)a.P : 0.f);
  }
}

__global__ void __launch_bounds__(CUDA_THREADS) gemm_kernel(const cuda_gemm_args a) {
  __shared__ __align__(128) float scr_all[CUDA_WARPS * 256];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *scr = scr_all + warp * 256;
  const __half *A = (const __half *)a.a, *B = (const __half *)a.b;
  for (int t = warp; t < 16; t += CUDA_WARPS) {
    const int mt = blockIdx.y * 4 + t / 4, nt = blockIdx.x * 4 + t % 4;
    if (mt * 16 >= a.M || nt * 16 >= a.NP) continue;
    frag_c acc;
    wmma::fill_fragment(acc, 0.f);
    for (int k = 0; k < a.K / 16; k++) {
      frag_a fa;
      frag_b fb;
      wmma::load_matrix_sync(fa, A + (size_t)mt * 16 * a.K + k * 16, a.K);
      wmma::load_matrix_sync(fb, B + (size_t)k * 16 * a.NP + nt * 16, a.NP);
      wmma::mma_sync(acc, fa, fb, acc);
    }
    wmma::store_matrix_sync(scr, acc, 16, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {
      const int r = e / 16, c = e % 16;
      a.c[(size_t)(mt * 16 + r) * a.NP + nt * 16 + c] = scr[e] + a.bias[nt * 16 + c];
    }
    __syncwarp();
  }
}

}  // namespace bf

extern "C" int cuda_head_launch(const cuda_head_args *a, int n, cuda_stream_t st) {
  const size_t smem =
      (size_t)CUDA_WARPS * 256 * 4 + HEAD_COLS * 4 + (size_t)HEAD_ROWS * a->CinP * 2;
  if (a->CinP % 16 || a->ChP % 16) return (int)cudaErrorInvalidValue;
  const dim3 grid((a->ChP + HEAD_COLS - 1) / HEAD_COLS, n);
  bf::head_pool_kernel<<<grid, CUDA_THREADS, smem, st>>>(*a);
  return (int)cudaGetLastError();
}

extern "C" int cuda_gemm_launch(const cuda_gemm_args *a, cuda_stream_t st) {
  if (a->M % 16 || a->K % 16 || a->NP % 16) return (int)cudaErrorInvalidValue;
  const dim3 grid((a->NP + 63) / 64, (a->M + 63) / 64);
  bf::gemm_kernel<<<grid, CUDA_THREADS, 0, st>>>(*a);
  return (int)cudaGetLastError();
}

extern "C" int cuda_head_set_smem(int bytes) {
  return (int)cudaFuncSetAttribute(bf::head_pool_kernel,
                                   cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
}
