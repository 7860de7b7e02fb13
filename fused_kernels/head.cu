// The head's FC layer as a GEMM (the 1x1 conv -> act -> pool before it is
// pixel_gemm.cu's pooling launch).
//
// gemm_kernel: C[M x NP] = A[M x K] B[K x NP] + bias, fp32 out; CTA tile 64x64,
// 8 warps x 2 tiles, K staged through shared memory 32 at a time.
#include <cuda_runtime.h>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"

namespace bf {

#define GEMM_KC 32
// C tile 64x64 per CTA; K in chunks of 32 staged in shared memory, two
// buffers: each thread's loads of the next chunk are in flight while the
// warps multiply this one, so a CTA's chunks cost one L2 round trip plus
// their MMAs each rather than both in turn (the loads stood alone: 11.2 us at
// batch 256, s21c8). Warp w owns row tile w/2 and column tiles 2(w%2),
// 2(w%2)+1.
__global__ void __launch_bounds__(CUDA_THREADS) gemm_kernel(const cuda_gemm_args a) {
  __shared__ __align__(128) float scr_all[CUDA_WARPS * 256];
  __shared__ __align__(128) __half As[2][64][GEMM_KC + 8];
  __shared__ __align__(128) __half Bs[2][GEMM_KC][64 + 8];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *scr = scr_all + warp * 256;
  const __half *A = (const __half *)a.a, *B = (const __half *)a.b;
  const int m0 = blockIdx.y * 64, n0 = blockIdx.x * 64;
  const int mt = warp / 2, nt0 = (warp % 2) * 2;
  /* this thread's 16 bytes of each chunk: A row ra, channels ca; B row rb, columns cb */
  const int ra = threadIdx.x / 4, ca = (threadIdx.x % 4) * 8;
  const int rb = threadIdx.x / 8, cb = (threadIdx.x % 8) * 8;
  auto load = [&](int k0, uint4 &u, uint4 &v) {
    u = v = make_uint4(0, 0, 0, 0);
    if (m0 + ra < a.M && k0 + ca < a.K)
      u = *reinterpret_cast<const uint4 *>(A + (size_t)(m0 + ra) * a.K + k0 + ca);
    if (k0 + rb < a.K && n0 + cb < a.NP)
      v = *reinterpret_cast<const uint4 *>(B + (size_t)(k0 + rb) * a.NP + n0 + cb);
  };
  pdl_wait(); /* the pooled means */
  pdl_trigger();
  frag_c acc[2];
  wmma::fill_fragment(acc[0], 0.f);
  wmma::fill_fragment(acc[1], 0.f);
  /* split-K: blockIdx.z takes every gridDim.z-th chunk and writes a partial */
  const int kstep = GEMM_KC * gridDim.z;
  uint4 u, v;
  if ((int)blockIdx.z * GEMM_KC < a.K) load(blockIdx.z * GEMM_KC, u, v);
  for (int k0 = blockIdx.z * GEMM_KC, b = 0; k0 < a.K; k0 += kstep, b ^= 1) {
    /* buffer b was last read two chunks ago: the barrier below, one chunk ago, is past it */
    *reinterpret_cast<uint4 *>(&As[b][ra][ca]) = u;
    *reinterpret_cast<uint4 *>(&Bs[b][rb][cb]) = v;
    __syncthreads();
    if (k0 + kstep < a.K) load(k0 + kstep, u, v);
#pragma unroll
    for (int k = 0; k < GEMM_KC / 16; k++) {
      frag_a fa;
      wmma::load_matrix_sync(fa, &As[b][mt * 16][k * 16], GEMM_KC + 8);
#pragma unroll
      for (int j = 0; j < 2; j++) {
        frag_b fb;
        wmma::load_matrix_sync(fb, &Bs[b][k * 16][(nt0 + j) * 16], 64 + 8);
        wmma::mma_sync(acc[j], fa, fb, acc[j]);
      }
    }
  }
#pragma unroll
  for (int j = 0; j < 2; j++) {
    const int row = m0 + mt * 16, col = n0 + (nt0 + j) * 16;
    if (row >= a.M || col >= a.NP) continue;
    wmma::store_matrix_sync(scr, acc[j], 16, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {
      const int r = e / 16, c = e % 16;
      if (gridDim.z == 1)
        a.c[(size_t)(row + r) * a.NP + col + c] = scr[e] + a.bias[col + c];
      else
        a.part[((size_t)blockIdx.z * a.M + row + r) * a.NP + col + c] = scr[e];
    }
    __syncwarp();
  }
}

// Sums the split-K partials in a fixed order (deterministic) and adds the bias.
__global__ void gemm_reduce_kernel(const cuda_gemm_args a, int split) {
  const size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x, n = (size_t)a.M * a.NP;
  pdl_wait();
  pdl_trigger();
  if (i >= n) return;
  float s = a.bias[i % a.NP];
  for (int z = 0; z < split; z++) s += a.part[(size_t)z * n + i];
  a.c[i] = s;
}

}  // namespace bf

extern "C" int cuda_gemm_launch(const cuda_gemm_args *a, cuda_stream_t st) {
  if (a->M % 16 || a->K % 16 || a->NP % 16) return (int)cudaErrorInvalidValue;
  /* Few output tiles: split K so that more CTAs stream the weights, about
   * two CTAs per SM, then reduce the partials in a second, tiny kernel. A
   * CTA's 32-deep K chunks follow each other (one chunk's loads in flight
   * while the one before multiplies), so a split's time follows its chunks:
   * at batch 256 (64 tiles) one CTA per SM left 20 chunks per CTA and took
   * 18.6 us (before the loads overlapped the MMAs). */
  const int tiles = ((a->NP + 63) / 64) * ((a->M + 63) / 64), chunks = (a->K + 31) / 32;
  int split = a->part && a->sms > 0 ? (2 * a->sms + tiles - 1) / tiles : 1;
  if (split > CUDA_GEMM_MAX_SPLIT) split = CUDA_GEMM_MAX_SPLIT;
  if (split > chunks) split = chunks;
  if (split < 1) split = 1;
  const dim3 grid((a->NP + 63) / 64, (a->M + 63) / 64, split);
  cudaError_t e = bf::launch_k(bf::gemm_kernel, grid, CUDA_THREADS, 0, st, true, *a);
  if (split > 1 && !e) {
    const size_t n = (size_t)a->M * a->NP;
    e = bf::launch_k(bf::gemm_reduce_kernel, (unsigned)((n + 255) / 256), 256, 0, st, true, *a,
                     split);
  }
  return (int)e;
}

extern "C" int cuda_head_set_attrs(int bytes, int carveout) {
  const void *gemm[] = {(const void *)bf::gemm_kernel, (const void *)bf::gemm_reduce_kernel};
  return (int)bf::set_kernel_attrs(gemm, 2, -1, carveout);
}
