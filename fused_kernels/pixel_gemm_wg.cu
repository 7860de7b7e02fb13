// The STAGED pass 2 of a squeeze-excite block on sm_90a's warpgroup MMAs
// (cuda_mbconv_args.wg): y = (stage * gate) . W_proj + b (+ res), the pixels
// of all images as the rows, as pixel_gemm.cu's GEMMs compute it.
//
// Those issue m16n8k16 MMAs from ldmatrix fragments of both operands, one
// barrier per 32-channel slice for the whole CTA; on the 14x14 and 7x7
// blocks at batch 256 they ran at 130-170 TFLOP/s, their warps splitting the
// columns (each A fragment loaded and gated once per column half) and every
// warp waiting for the slowest at each slice. Here the roles are split by
// warp:
//   - one producer warp moves each 64-channel slice into a stage by bulk
//     tensor copies (the A rows, BM x 128 bytes, and the weights in blocks of
//     64 columns by 64 rows, all with the 128-byte swizzle), through STAGES
//     stages with a full and an empty mbarrier each;
//   - one warp converts the gates of each row tile's images into one of two
//     fp16 buffers (pixel_gemm.cuh's layout) while the tile before it runs
//     (the consumers convert the first tile's themselves);
//   - WG consumer warpgroups of 64 rows each: a warp loads its 16 rows' A
//     fragments by ldmatrix, gates them in the registers, and the warpgroup
//     multiplies them by the whole BN-column weight slice in shared memory:
//     one wgmma.mma_async m64nNk16 per k16 step with N = BN (A from
//     registers, B by descriptor; wgmma_ops.cuh). In 64-column pieces (one
//     swizzle atom each) the descriptors' arithmetic and their moves to
//     uniform registers had been most of the consumers' ~270 instructions
//     per slice (s22c2). A slice goes in two halves of 32 channels, each one
//     group of MMAs with its own A registers, so one half's fragments load
//     while the other's MMAs run (wgmma.wait_group 1); a stage is released
//     once the MMAs that read it have completed. (Two sets of a whole
//     slice's fragments spilled in the 128-row builds of 192 columns.)
// CTAs are persistent: each walks the row tiles blockIdx.x, + gridDim.x, ...
// of its column block blockIdx.y, and the producer's copies run across the
// tiles. The epilogue (bias, residual, padded columns zeroed) stores from the
// registers (pg_store_acc, one m16 tile per warp), the bias from shared
// memory (copied once per CTA) and the residual loads of up to 128 columns
// issued before their stores; the gate warp prefetches each tile's
// residual rows into L2 when it converts its gates.
//
// Built for sm_90a only (BF_WGMMA, cuda.bzl's arch-specific sources): no
// other device has an image of these kernels, and cuda_pg_wg_supported()
// says 0 there (a build for another architecture compiles them as traps).
#include <cuda.h>
#include <cuda_runtime.h>

#include <utility>

#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/pixel_gemm.cuh"
#include "fused_kernels/wg_parts.cuh"
#include "fused_kernels/wgmma_ops.cuh"

namespace bf {

constexpr int WG_BK = 64; /* K slice per stage: one 128-byte swizzle row of A */

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// The gates of the ni images from i0 (KP channels each, pg_gate8_store's
// order) into the buffer g, by threads th, th + nth, ...: U 8-gate groups'
// loads before their stores (one at a time, a 7x7 tile's 576 groups had been
// 18 round trips to L2 for each lane of one warp).
template <int U>
__device__ __forceinline__ void wg_fill_gates(__half *g, const pg_params &p, int i0, int ni, int KP,
                                              int th, int nth) {
  const int G = KP / 8; /* groups per image */
  for (int i = th; i < ni * G; i += nth * U) {
    float4 g0[U], g1[U];
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int iu = i + nth * u, im = iu / G;
      pg_gate8_load(p, i0 + im, (iu - im * G) * 8, iu < ni * G, g0[u], g1[u]);
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      const int iu = i + nth * u, im = iu / G;
      if (iu < ni * G) pg_gate8_store(g + (size_t)im * KP, (iu - im * G) * 8, g0[u], g1[u]);
    }
  }
}

// The bias of the CTA's columns from shared memory (pg_store_acc's Bias):
// s[c - c0] for column c.
struct wg_bias_smem {
  const float *s;
  int c0;
  __device__ __forceinline__ float2 operator()(const pg_params &, int col) const {
    return *reinterpret_cast<const float2 *>(s + (col - c0));
  }
};
#endif

template <int WG, int NT8, bool POOL>
__global__ void __launch_bounds__(WG * 128 + 64, WG == 1 && NT8 <= 8 ? 2 : 1)
    pixel_gemm_wg_kernel(const __grid_constant__ CUtensorMap ta,
                         const __grid_constant__ CUtensorMap tb, const pg_params p) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int BM = 64 * WG, BN = 16 * NT8, NB = (BN + 63) / 64, S = CUDA_PG_WG_STAGES;
  constexpr unsigned A_ST = BM * 128, ST = A_ST + NB * 8192; /* bytes per stage */
  constexpr int CW = WG * 4;                                 /* consumer warps */
  extern __shared__ __align__(128) unsigned char smem[];
  const unsigned s0 = smem_u32(smem), sb = (s0 + 1023) & ~1023u;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int K = p.K, KT = (K + WG_BK - 1) / WG_BK, KP = KT * WG_BK;
  const int mt = (p.M + BM - 1) / BM, n0 = blockIdx.y * BN, gimg = cuda_pg_gate_imgs(BM, p.HW);
  __half *Gs = reinterpret_cast<__half *>(smem + (sb - s0) + S * ST); /* [2][gimg][KP] */
  float *Bsm = reinterpret_cast<float *>(Gs + 2 * gimg * KP);         /* [BN]: the bias */
  unsigned long long *full = reinterpret_cast<unsigned long long *>(Bsm + BN);
  unsigned long long *empty = full + S, *gfull = empty + S, *gempty = gfull + 2;
  if (tid == 0) {
    for (int s = 0; s < S; s++) mbar_init(full + s, 1), mbar_init(empty + s, CW * 32);
    for (int b = 0; b < 2; b++) mbar_init(gfull + b, 32), mbar_init(gempty + b, CW * 32);
    asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<unsigned long long>(&ta))
                 : "memory");
    asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<unsigned long long>(&tb))
                 : "memory");
  }
  for (int i = tid; i < BN; i += blockDim.x) Bsm[i] = n0 + i < p.N ? p.bias[n0 + i] : 0.f;
  __syncthreads();
  pdl_wait();
  if (warp == CW) { /* the producer: every tile's slices, through the stages */
    if (lane == 0) {
      int s = 0, r = 0; /* the stage, and how many times the stages have gone round */
      for (int t = blockIdx.x; t < mt; t += gridDim.x)
        for (int kt = 0; kt < KT; kt++) {
          if (r > 0) mbar_wait(empty + s, (unsigned)(r - 1) & 1u);
          mbar_arrive_tx(full + s, ST);
          unsigned char *st = smem + (sb - s0) + s * ST;
          tma_load_2d(st, ta, kt * WG_BK, t * BM, full + s);
#pragma unroll
          for (int j = 0; j < NB; j++)
            tma_load_2d(st + A_ST + j * 8192, tb, n0 + j * 64, kt * WG_BK, full + s);
          if (++s == S) s = 0, r++;
        }
    }
    pdl_trigger();
    return;
  }
  /* the images row tile t spans: ni of them from i0 */
  auto tile_imgs = [&](int t, int &i0, int &ni) {
    i0 = t * BM / p.HW, ni = min(t * BM + BM - 1, p.M - 1) / p.HW - i0 + 1;
  };
  if (warp == CW + 1) { /* the gates of each tile's images, a tile ahead */
    int j = 0;
    for (int t = blockIdx.x; t < mt; t += gridDim.x, j++) {
      const int b = j & 1, m0 = t * BM;
      int i0, ni;
      tile_imgs(t, i0, ni);
      if (j >= 2) mbar_wait(gempty + b, (unsigned)(j / 2 - 1) & 1u);
      /* the first tile's the consumers convert (before their first slice, which would wait
         for them anyway); this warp arrives for it all the same */
      if (j > 0 && !POOL) wg_fill_gates<4>(Gs + (size_t)b * gimg * KP, p, i0, ni, KP, lane, 32);
      mbar_arrive(gfull + b);
      /* the tile's residual rows into L2, for its epilogue a tile later */
      if (p.res) {
        const int rows = min(BM, p.M - m0), lines = (BN * 2 + 127) / 128;
        for (int i = lane; i < rows * lines; i += 32) {
          const int rr = i / lines, l = i - rr * lines;
          asm volatile(
              "prefetch.global.L2 [%0];\n" ::"l"(p.res + (size_t)(m0 + rr) * p.N + n0 + l * 64));
        }
      }
    }
    pdl_trigger();
    return;
  }
  /* a consumer warp: rows wg * 64 + wl * 16 .. of each tile; every lane
     arrives on the empty barriers (each releases its own reads) */
  const int wg = warp >> 2, wl = warp & 3, lrow = lane & 15, hi = lane >> 4;
  {
    /* the first tile's gates, by every consumer thread (one warp took several round
       trips to L2 for a 7x7 tile's, which its first slices waited for), then a barrier
       of the consumers alone */
    int i0, ni;
    tile_imgs(blockIdx.x, i0, ni);
    if (!POOL) wg_fill_gates<3>(Gs, p, i0, ni, KP, tid, CW * 32);
    asm volatile("bar.sync 1, %0;\n" ::"r"(CW * 32) : "memory");
  }
  const int gr = lane >> 2, gc = (lane & 3) * 2;
  unsigned aoff[4]; /* the lane's ldmatrix row piece of k16 step s in a stage (swizzled) */
#pragma unroll
  for (int s = 0; s < 4; s++)
    aoff[s] = (unsigned)(wg * 64 + wl * 16 + lrow) * 128u + (((2 * s + hi) ^ (lrow & 7)) << 4);
  const unsigned long long dbase = wg_desc(sb + A_ST); /* stage 0's weights */
  float acc[1][2 * NT8][4];
#pragma unroll
  for (int j = 0; j < 2 * NT8; j++) acc[0][j][0] = acc[0][j][1] = acc[0][j][2] = acc[0][j][3] = 0.f;
  unsigned af[2][2][4]; /* the A fragments of a slice's two 32-channel halves (2 k16 steps) */
  int s = 0, r = 0, ps = 0, j = 0; /* the stage, its round, the stage of the slice before */
  for (int t = blockIdx.x; t < mt; t += gridDim.x, j++) {
    const int b = j & 1, m0 = t * BM, i0 = m0 / p.HW, wr0 = m0 + wg * 64 + wl * 16;
    const __half *gl[2]; /* the gates of the lane's rows gr, gr + 8 (its 8 of a slice) */
#pragma unroll
    for (int h = 0; h < 2; h++)
      gl[h] =
          Gs + b * gimg * KP + (min(wr0 + gr + 8 * h, p.M - 1) / p.HW - i0) * KP + (lane & 3) * 8;
    mbar_wait(gfull + b, (unsigned)(j / 2) & 1u);
    /* half q of slice kt (stage s) into a, gated, then its MMAs as one group */
    auto half = [&](unsigned(&a)[2][4], int kt, int q) {
      const unsigned as = sb + s * ST;
      const unsigned long long d = dbase + (unsigned long long)(s * (ST >> 4));
      unsigned g[2][4]; /* the fp16 gate pairs of rows gr, gr + 8 */
#pragma unroll
      for (int h = 0; h < 2 && !POOL; h++) {
        const uint4 u = *reinterpret_cast<const uint4 *>(gl[h] + kt * WG_BK + q * 32);
        g[h][0] = u.x, g[h][1] = u.y, g[h][2] = u.z, g[h][3] = u.w;
      }
#pragma unroll
      for (int s2 = 0; s2 < 2; s2++) {
        ldsm_x4_at(a[s2], as + aoff[2 * q + s2], false);
        if (!POOL) pg_gate_af(a[s2], g, s2); /* the head's GEMM has no gates */
      }
      wg_fence();
#pragma unroll
      for (int s2 = 0; s2 < 2; s2++)
        wg_mma<BN>(acc[0], a[s2], d + (2 * q + s2) * 128, kt > 0 || q > 0 || s2 > 0);
      wg_commit();
    };
    /* each half's registers are rewritten only after the MMAs of the same
       half of the slice before have completed (the wait after the other) */
    for (int kt = 0; kt < KT; kt++) {
      mbar_wait(full + s, (unsigned)r & 1u);
      half(af[0], kt, 0);
      wg_wait<1>(); /* the slice before is done: its stage goes back */
      if (kt > 0) mbar_arrive(empty + ps);
      half(af[1], kt, 1);
      wg_wait<1>();
      ps = s;
      if (++s == S) s = 0, r++;
    }
    wg_wait<0>();
#pragma unroll
    for (int jj = 0; jj < 2 * NT8; jj++)
#pragma unroll
      for (int e = 0; e < 4; e++) wg_pin(acc[0][jj][e]);
    mbar_arrive(empty + ps), mbar_arrive(gempty + b);
    if (t + (int)gridDim.x >= mt) pdl_trigger();
    /* every residual load before the stores up to 128 columns, else 32 columns at a
       time (64 spilled 148 bytes with the stores' quad transposes), the bias from shared
       memory, the stores 16 bytes per lane (WIDE) */
    if constexpr (POOL) /* the head: act, summed per image into p.pool */
      pg_pool_acc<1, 2 * NT8>(p, acc, wr0, n0, gc, lane);
    else
      pg_store_acc<2 * NT8, pg_res_global, (NT8 <= 8 ? 2 * NT8 : 4), 1, wg_bias_smem, true>(
          p, acc, wr0, n0, gr, gc, pg_res_global(p, wr0, n0 + gc), wg_bias_smem{Bsm, n0});
  }
#else
  __trap(); /* never launched: cuda_pg_wg_supported() */
#endif
}

// The instantiations: WG = 1 (64 rows) by NT8 = 1..16 (16 to 256 columns),
// WG = 2 (128 rows) by NT8 = 1..12 (cuda_pg_wg_ok: 13 and up spilled at the
// 168 registers of 320 threads); with the head's pooling epilogue (POOL, its
// own instantiations: as a run-time branch it made the others spill) NT8 =
// 1..8 (cuda_head_wg_grid) of both.
template <int WG, bool POOL, int... I>
static const void *wg_table(int nt8, std::integer_sequence<int, I...>) {
  static const void *const fns[] = {(const void *)pixel_gemm_wg_kernel<WG, I + 1, POOL>...};
  return nt8 >= 1 && nt8 <= (int)sizeof...(I) ? fns[nt8 - 1] : nullptr;
}
static const void *wg_fn_of(int bm, int nt8, bool pool = false) {
  if (pool)
    return bm == 64    ? wg_table<1, true>(nt8, std::make_integer_sequence<int, 8>())
           : bm == 128 ? wg_table<2, true>(nt8, std::make_integer_sequence<int, 8>())
                       : nullptr;
  return bm == 64    ? wg_table<1, false>(nt8, std::make_integer_sequence<int, 16>())
         : bm == 128 ? wg_table<2, false>(nt8, std::make_integer_sequence<int, 12>())
                     : nullptr;
}

// The launch: A (M x K) in boxes of 64 channels by bm rows, the weights
// (K x N) in boxes of 64 columns by 64 rows, both with the 128-byte swizzle;
// per column split, as many persistent CTAs as fit on the device at once
// (sms > 0; all the tiles where sms is 0), at most `stream` where > 0.
cudaError_t pg_wg_launch(const pg_params &p, int bm, int nt8, int z, int stream, int sms,
                         cudaStream_t st) {
  const void *fn = wg_fn_of(bm, nt8, p.pool != nullptr);
  if (!fn || p.M <= 0 || z < 1 || p.K % 16 || p.N % 16) return cudaErrorInvalidValue;
  const size_t smem = cuda_pg_wg_smem(bm, nt8, p.K, p.HW);
  CUtensorMap ta, tb;
  cudaError_t e = tensor_map_2d(&ta, p.a, p.M, p.K, WG_BK, bm, CU_TENSOR_MAP_SWIZZLE_128B);
  if (!e) e = tensor_map_2d(&tb, p.b, p.K, p.N, 64, WG_BK, CU_TENSOR_MAP_SWIZZLE_128B);
  if (e) return e;
  const int threads = bm * 2 + 64;
  int occ = 0;
  if ((e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, fn, threads, smem))) return e;
  if (occ < 1) return cudaErrorInvalidConfiguration;
  const long long mt = (p.M + bm - 1) / bm, fit = sms > 0 ? (long long)occ * sms / z : mt;
  long long g = mt;
  if (fit >= 1 && g > fit) g = fit;
  if (stream > 0 && g > stream) g = stream;
  void *args[] = {&ta, &tb, const_cast<pg_params *>(&p)};
  return launch_k(fn, dim3((unsigned)g, z), dim3(threads), smem, st, true, args);
}

}  // namespace bf

// Whether the warpgroup-MMA GEMM runs here: built for sm_90a, and the
// device takes its code (an sm_90 device; elsewhere the kernel image is
// missing).
extern "C" int cuda_pg_wg_supported(void) {
#if defined(BF_WGMMA)
  cudaFuncAttributes fa;
  if (cudaFuncGetAttributes(&fa, bf::wg_fn_of(64, 1)) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return 1;
#else
  return 0;
#endif
}

extern "C" int cuda_pg_wg_set_attrs(int bytes, int carveout) {
#if defined(BF_WGMMA)
  if (!cuda_pg_wg_supported()) return 0; /* no kernel image for this device */
  const void *fns[44];
  for (int i = 0; i < 16; i++) fns[i] = bf::wg_fn_of(64, i + 1);
  for (int i = 0; i < 12; i++) fns[16 + i] = bf::wg_fn_of(128, i + 1);
  for (int i = 0; i < 8; i++)
    fns[28 + i] = bf::wg_fn_of(64, i + 1, true), fns[36 + i] = bf::wg_fn_of(128, i + 1, true);
  return (int)bf::set_kernel_attrs(fns, 44, bytes, carveout);
#else
  (void)bytes, (void)carveout;
  return 0;
#endif
}
