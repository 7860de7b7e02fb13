// The STAGED pass 2 of a squeeze-excite block whose K and N are small
// (cuda_mbconv_args.narrow: K = 32, 64 or 96 expanded channels, N = 16 or 32
// outputs): y = (stage * gate) . W_proj + b (+ res), the pixels of all images
// as the rows, with every operand in the registers and no shared memory.
//
// On EfficientNet's first block (K = 32, N = 16, 112x112 at batch 256: 205
// MB of stage read, 103 MB written) the pipelined GEMMs of pixel_gemm.cu
// spent ~320 instructions per warp tile on their shared-memory pipeline for
// 4 MMAs, and reached ~53 % of the DRAM bandwidth (s21c2). Here a warp walks
// its own run of consecutive 16-row tiles:
//   - each lane loads its rows' A straight from global memory, 16 bytes per
//     32 channels and row (rows g and g + 8 of the tile, channels 32 kc +
//     8 t .. + 7 for lane (g, t)), the next tile's while this one computes
//     (two tiles a round at K = 32 made no difference: s23c6);
//   - K is permuted so that those 16 bytes are the lane's A fragments of two
//     k16 steps as they stand: k-step s of chunk kc holds channels 32 kc +
//     8 t + 4 s + {0, 1} in the fragment's columns 2 t, 2 t + 1 and + {2, 3}
//     in 8 + 2 t, 8 + 2 t + 1; the weights' B fragments, loaded once per warp
//     into the registers, take the same order;
//   - the gates of the images of the lane's two rows sit in the registers as
//     fp16 pairs, reloaded only when a row crosses into the next image;
//   - the epilogue is pg_store_acc's (bias, residual, padded columns zero) with a
//     residual, else narrow_store_wide's: 16-byte stores of whole row pieces.
#include <cuda_runtime.h>

#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/pixel_gemm.cuh"

namespace bf {

constexpr int NARROW_WARPS = 8;

// A tile's epilogue without a residual (rows r0 .. r0 + 15, all N = 8 NT columns): bias,
// columns >= Nvalid zero, fp16 pairs, then regrouped within each quad so that a lane stores
// 16 consecutive bytes of one row: a warp's store instruction writes 512 contiguous bytes
// (the rows are N apart), where pg_store_acc's 4-byte stores wrote 8 rows' 16-byte pieces
// each.
// bias_s: the bias in shared memory, copied once per CTA (a reload from L2 every tile had
// stalled the epilogue once the stores stopped bounding it: s24c8; in the registers it
// spilled the 64-register build).
template <int NT>
__device__ __forceinline__ void narrow_store_wide(const pg_params &p, const float (&acc)[1][NT][4],
                                                  const float *bias_s, int r0, int g, int t) {
  static_assert(NT == 2 || NT == 4, "narrow: N of 16 or 32");
  unsigned v[2][NT]; /* rows g + 8 h, columns 8 j + 2 t, + 1 */
#pragma unroll
  for (int j = 0; j < NT; j++) {
    const int col = 8 * j + 2 * t;
    const bool k0 = col < p.Nvalid, k1 = col + 1 < p.Nvalid;
    const float2 b = *reinterpret_cast<const float2 *>(bias_s + col);
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const __half2 o = pg_out_pair(acc[0][j][2 * h], acc[0][j][2 * h + 1], b, k0, k1);
      v[h][j] = *reinterpret_cast<const unsigned *>(&o);
    }
  }
  if constexpr (NT == 2) { /* lane t: row g + 8 (t >> 1), columns 8 (t & 1) .. + 7 */
    unsigned x[4] = {v[0][0], v[0][1], v[1][0], v[1][1]};
    quad_transpose(x, t);
    const int row = r0 + g + 8 * (t >> 1);
    if (row < p.M)
      *reinterpret_cast<uint4 *>(p.y + (size_t)row * 16 + 8 * (t & 1)) =
          make_uint4(x[0], x[1], x[2], x[3]);
  } else { /* lane t: rows g and g + 8, columns 8 t .. + 7 */
#pragma unroll
    for (int h = 0; h < 2; h++) {
      unsigned x[4] = {v[h][0], v[h][1], v[h][2], v[h][3]};
      quad_transpose(x, t);
      const int row = r0 + g + 8 * h;
      if (row < p.M)
        *reinterpret_cast<uint4 *>(p.y + (size_t)row * 32 + 8 * t) =
            make_uint4(x[0], x[1], x[2], x[3]);
    }
  }
}

// CTAs per SM the build is held to: 4 (64 registers) for K 32 by N 16, whose 70 with the
// wide stores' transposes had left 3.
constexpr int narrow_minb(int kc, int nt) {
  return kc * nt <= 2 ? 4 : 1;
}

// KC 32-channel chunks of K, NT n8 column tiles (N = 8 NT).
template <int KC, int NT>
__global__ void __launch_bounds__(NARROW_WARPS * 32, narrow_minb(KC, NT))
    pixel_gemm_narrow_kernel(const pg_params p) {
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const long long wid = (long long)blockIdx.x * NARROW_WARPS + (threadIdx.x >> 5);
  const long long nw = (long long)gridDim.x * NARROW_WARPS;
  const int mt = (p.M + 15) / 16, t0 = (int)(wid * mt / nw), t1 = (int)((wid + 1) * mt / nw);
  /* the weights' B fragments in the permuted K order (rows 32 kc + 8 t + 4 s + 0..3 of
     column 8 j + g), read before the wait: they are the model's */
  unsigned bf[KC][2][NT][2];
#pragma unroll
  for (int kc = 0; kc < KC; kc++)
#pragma unroll
    for (int s = 0; s < 2; s++)
#pragma unroll
      for (int j = 0; j < NT; j++) {
        const __half *b = p.b + (size_t)(32 * kc + 8 * t + 4 * s) * p.N + 8 * j + g;
        const __half2 lo = __halves2half2(b[0], b[p.N]),
                      hi = __halves2half2(b[2 * p.N], b[3 * p.N]);
        bf[kc][s][j][0] = *reinterpret_cast<const unsigned *>(&lo);
        bf[kc][s][j][1] = *reinterpret_cast<const unsigned *>(&hi);
      }
  __shared__ __align__(8) float bias_s[8 * NT];
  if (threadIdx.x < 8 * NT) bias_s[threadIdx.x] = p.bias[threadIdx.x];
  __syncthreads();
  pdl_wait();
  if (t0 >= t1) {
    pdl_trigger();
    return;
  }
  /* the image of each of the lane's rows g, g + 8, where the next one starts, and its
     gates of the lane's channels as fp16 pairs */
  int img[2], bnd[2];
  unsigned gt[2][KC][4];
  auto load_gates = [&](int h) {
#pragma unroll
    for (int kc = 0; kc < KC; kc++) {
      float4 g0, g1;
      pg_gate8_load(p, img[h], 32 * kc + 8 * t, true, g0, g1);
      const __half2 v[4] = {__floats2half2_rn(g0.x, g0.y), __floats2half2_rn(g0.z, g0.w),
                            __floats2half2_rn(g1.x, g1.y), __floats2half2_rn(g1.z, g1.w)};
#pragma unroll
      for (int i = 0; i < 4; i++) gt[h][kc][i] = *reinterpret_cast<const unsigned *>(&v[i]);
    }
  };
#pragma unroll
  for (int h = 0; h < 2; h++) {
    img[h] = min(t0 * 16 + g + 8 * h, p.M - 1) / p.HW, bnd[h] = (img[h] + 1) * p.HW;
    load_gates(h);
  }
  /* a tile's A: the lane's 16 bytes of each chunk of rows g, g + 8 (zeros past M) */
  auto load_a = [&](uint4(&u)[2][KC], int tile) {
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int row = tile * 16 + g + 8 * h;
      const uint4 *src = reinterpret_cast<const uint4 *>(p.a + (size_t)row * p.K + 8 * t);
#pragma unroll
      for (int kc = 0; kc < KC; kc++)
        u[h][kc] = row < p.M ? __ldg(src + 4 * kc) : make_uint4(0, 0, 0, 0);
    }
  };
  uint4 cur[2][KC], nxt[2][KC];
  load_a(cur, t0);
  for (int tile = t0; tile < t1; tile++) {
    if (tile + 1 < t1)
      load_a(nxt, tile + 1);
    else
      pdl_trigger();
      /* a row past its image's last: the next image's gates (rare; rows of tiny images
         may skip several) */
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int row = min(tile * 16 + g + 8 * h, p.M - 1);
      if (row >= bnd[h]) {
        img[h] = row / p.HW, bnd[h] = (img[h] + 1) * p.HW;
        load_gates(h);
      }
    }
    float acc[1][NT][4];
#pragma unroll
    for (int j = 0; j < NT; j++) acc[0][j][0] = acc[0][j][1] = acc[0][j][2] = acc[0][j][3] = 0.f;
#pragma unroll
    for (int kc = 0; kc < KC; kc++) {
      unsigned a[2][4]; /* rows g, g + 8: the gated pairs of channels 8 t + 0..7 */
#pragma unroll
      for (int h = 0; h < 2; h++) {
        a[h][0] = hmul2_u32(cur[h][kc].x, gt[h][kc][0]);
        a[h][1] = hmul2_u32(cur[h][kc].y, gt[h][kc][1]);
        a[h][2] = hmul2_u32(cur[h][kc].z, gt[h][kc][2]);
        a[h][3] = hmul2_u32(cur[h][kc].w, gt[h][kc][3]);
      }
#pragma unroll
      for (int s = 0; s < 2; s++) {
        const unsigned af[4] = {a[0][2 * s], a[1][2 * s], a[0][2 * s + 1], a[1][2 * s + 1]};
#pragma unroll
        for (int j = 0; j < NT; j++) mma16816(acc[0][j], af, bf[kc][s][j][0], bf[kc][s][j][1]);
      }
    }
    if (p.res)
      pg_store_acc<NT, pg_res_global>(p, acc, tile * 16, 0, g, 2 * t,
                                      pg_res_global(p, tile * 16, 2 * t));
    else
      narrow_store_wide<NT>(p, acc, bias_s, tile * 16, g, t);
#pragma unroll
    for (int h = 0; h < 2; h++)
#pragma unroll
      for (int kc = 0; kc < KC; kc++) cur[h][kc] = nxt[h][kc];
  }
}

template <int KC>
static const void *narrow_fn(int nt) {
  return nt == 2   ? (const void *)pixel_gemm_narrow_kernel<KC, 2>
         : nt == 4 ? (const void *)pixel_gemm_narrow_kernel<KC, 4>
                   : nullptr;
}
static const void *narrow_fn_of(int K, int N) {
  const int nt = N / 8;
  return K == 32   ? narrow_fn<1>(nt)
         : K == 64 ? narrow_fn<2>(nt)
         : K == 96 ? narrow_fn<3>(nt)
                   : nullptr;
}

// The launch: as many CTAs as fit on sms multiprocessors at once (all the
// tiles' worth where fewer), each warp a run of consecutive row tiles.
cudaError_t pg_narrow_launch(const pg_params &p, int sms, cudaStream_t st) {
  const void *fn = narrow_fn_of(p.K, p.N);
  if (!fn || p.M <= 0 || !cuda_pg_narrow_ok(p.K, p.N)) return cudaErrorInvalidValue;
  int occ = 0;
  cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, fn, NARROW_WARPS * 32, 0);
  if (e) return e;
  if (occ < 1) return cudaErrorInvalidConfiguration;
  const long long mt = (p.M + 15) / 16, need = (mt + NARROW_WARPS - 1) / NARROW_WARPS;
  long long grid = (long long)occ * (sms > 0 ? sms : 1);
  if (grid > need) grid = need;
  void *args[] = {const_cast<pg_params *>(&p)};
  return launch_k(fn, dim3((unsigned)grid), dim3(NARROW_WARPS * 32), 0, st, true, args);
}

}  // namespace bf
