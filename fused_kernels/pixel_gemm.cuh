// What the pixel GEMMs of pixel_gemm.cu (sm_90 and later) and
// pixel_gemm_wg.cu (sm_90a's warpgroup MMAs) share: the launch's operands,
// the gating of A fragments in the registers, the store epilogue from the
// registers, the mbarrier and bulk tensor copy wrappers, the fp16 gate
// buffer's layout, and (host) the tensor maps.
#pragma once

#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace bf {

// One launch's operands. Rows are pixels (image = row / HW); K and N are
// multiples of 16; bias, gate and pool are fp32.
struct pg_params {
  const __half *a;   /* [M][K] */
  const __half *b;   /* [K][N] */
  const float *bias; /* [N] */
  const float *gate; /* [images][K]: A's scale per image and channel, or NULL */
  const __half *res; /* [M][N] residual added to y, or NULL */
  __half *y;         /* [M][N] output (store epilogue); columns >= Nvalid written as 0 */
  float *pool;       /* [images][N] sums of act(row) per image (pool epilogue) */
  int M, K, N, Nvalid, HW, act;
};

// a *= b on the fp16 pairs of two registers
__device__ __forceinline__ unsigned hmul2_u32(unsigned a, unsigned b) {
  __half2 r =
      __hmul2(*reinterpret_cast<const __half2 *>(&a), *reinterpret_cast<const __half2 *>(&b));
  return *reinterpret_cast<unsigned *>(&r);
}

// A lane's A fragment of tile mi *= its gates (pg_mma_slice's GATE): the
// registers hold (g, 2t) (g + 8, 2t) (g, 8 + 2t) (g + 8, 8 + 2t).
__device__ __forceinline__ void pg_gate_af(unsigned (&af)[4], const unsigned (&g)[2][4], int ks16) {
  af[0] = hmul2_u32(af[0], g[0][2 * ks16]);
  af[1] = hmul2_u32(af[1], g[1][2 * ks16]);
  af[2] = hmul2_u32(af[2], g[0][2 * ks16 + 1]);
  af[3] = hmul2_u32(af[3], g[1][2 * ks16 + 1]);
}

// The residual's fp16 pair at offset o (pg_store_acc's) from the lane's
// first element (row wr0, column c0 + gc), from global memory.
struct pg_res_global {
  const __half *base;
  __device__ __forceinline__ pg_res_global(const pg_params &p, int wr0, int col0)
      : base(p.res ? p.res + (size_t)wr0 * p.N + col0 : nullptr) {}
  __device__ __forceinline__ __half2 operator()(int, int, int o) const {
    return __ldg(reinterpret_cast<const __half2 *>(base + o));
  }
};

// The bias pair of columns col, col + 1 (pg_store_acc's Bias), from p.bias.
struct pg_bias_global {
  __device__ __forceinline__ float2 operator()(const pg_params &p, int col) const {
    return make_float2(p.bias[col], p.bias[col + 1]);
  }
};

// One output pair of the GEMMs' epilogues: the accumulators a0, a1 + the bias pair b (+ the
// residual pair r), a column past Nvalid (k0, k1 false) written as 0, rounded to fp16.
__device__ __forceinline__ __half2 pg_out_pair(float a0, float a1, float2 b, bool k0, bool k1) {
  return __floats2half2_rn(k0 ? a0 + b.x : 0.f, k1 ? a1 + b.y : 0.f);
}
__device__ __forceinline__ __half2 pg_out_pair(float a0, float a1, float2 b, float2 r, bool k0,
                                               bool k1) {
  return __floats2half2_rn(k0 ? a0 + b.x + r.x : 0.f, k1 ? a1 + b.y + r.y : 0.f);
}

// One butterfly stage of quad_transpose: the lane trades its words x[i0], x[i1] (sel) or
// x[j0], x[j1] with lane ^ m, which trades the same pair of slots.
__device__ __forceinline__ void quad_trade(unsigned (&x)[4], bool sel, int i0, int i1, int j0,
                                           int j1, int m) {
  unsigned v0 = sel ? x[i0] : x[j0], v1 = sel ? x[i1] : x[j1];
  v0 = __shfl_xor_sync(0xffffffffu, v0, m);
  v1 = __shfl_xor_sync(0xffffffffu, v1, m);
  if (sel)
    x[i0] = v0, x[i1] = v1;
  else
    x[j0] = v0, x[j1] = v1;
}

// The 4 x 4 transpose of a quad's words: lane t's x[s] becomes lane s's x[t]. Two butterfly
// stages in place: the off-diagonal 2 x 2 blocks trade places with lane t ^ 2 (the lane's
// block row keeps that block column), then each block is transposed with lane t ^ 1 (two
// shuffles each; fewer live registers than sending each word to its lane, which spilled the
// streaming bulk-copy GEMM at its 80 registers).
__device__ __forceinline__ void quad_transpose(unsigned (&x)[4], int t) {
  quad_trade(x, t & 2, 0, 1, 2, 3, 2);
  quad_trade(x, t & 1, 0, 2, 1, 3, 1);
}

// A warp's tile epilogue from the registers (the layout of pg_mma_slice's
// acc, MI m16 tiles: rows wr0 + 16 mi + gr + 8 h, columns c0 + 8 j + gc, + 1;
// a warpgroup MMA's accumulators are one m16 tile per warp): bias (+ the
// residual pair res(row, col, o) where p.res is set), columns >= Nvalid
// forced to zero, fp16 pairs (the bias pair of a column from bias(p, col));
// the residual loads of JB column tiles at a time
// go out before their stores. Addresses are one 64-bit base per lane (row
// wr0, column c0 + gc) plus 32-bit offsets o within its rows, worked out
// once: per pair the 64-bit row arithmetic and the bounds tests cost ~40
// instructions (s18c2, 7x7 blocks' pass 2).
template <int NT8, class Res, int JB = (NT8 <= 4 ? NT8 : 2), int MI, class Bias = pg_bias_global,
          bool WIDE = false>
__device__ __forceinline__ void pg_store_acc(const pg_params &p, const float (&acc)[MI][NT8][4],
                                             int wr0, int c0, int gr, int gc, const Res &res,
                                             const Bias &bias = Bias()) {
  __half *const ybase = p.y + (size_t)wr0 * p.N + c0 + gc;
  int ro[MI][2]; /* the lane's rows' offsets from ybase; -1 past M */
#pragma unroll
  for (int mi = 0; mi < MI; mi++)
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int rl = mi * 16 + gr + h * 8;
      ro[mi][h] = wr0 + rl < p.M ? rl * p.N : -1;
    }
#pragma unroll
  for (int j0 = 0; j0 < NT8; j0 += JB) {
    /* the group's bias with its residual, before its stores: loads after a
       store to y wait for it (y might alias them), so each n8 tile's bias
       had come a round trip apart */
    float2 bc[JB];
#pragma unroll
    for (int jj = 0; jj < JB; jj++) {
      const int col = c0 + (j0 + jj) * 8 + gc;
      bc[jj] = j0 + jj < NT8 && col < p.N ? bias(p, col) : make_float2(0.f, 0.f);
    }
    __half2 rv[JB][MI][2];
#pragma unroll
    for (int jj = 0; jj < JB; jj++)
#pragma unroll
      for (int mi = 0; mi < MI; mi++)
#pragma unroll
        for (int h = 0; h < 2; h++) {
          const int j = j0 + jj, col = c0 + j * 8 + gc;
          const bool v = p.res && j < NT8 && ro[mi][h] >= 0 && col < p.N;
          rv[jj][mi][h] =
              v ? res(wr0 + mi * 16 + gr + h * 8, col, ro[mi][h] + j * 8) : __float2half2_rn(0.f);
        }
    if constexpr (!WIDE) {
#pragma unroll
      for (int jj = 0; jj < JB; jj++) {
        const int j = j0 + jj, col = c0 + j * 8 + gc;
        if (j >= NT8 || col >= p.N) continue;
        const bool k0 = col < p.Nvalid, k1 = col + 1 < p.Nvalid; /* else written as 0 */
#pragma unroll
        for (int mi = 0; mi < MI; mi++)
#pragma unroll
          for (int h = 0; h < 2; h++)
            if (ro[mi][h] >= 0)
              *reinterpret_cast<__half2 *>(ybase + ro[mi][h] + j * 8) =
                  pg_out_pair(acc[mi][j][2 * h], acc[mi][j][2 * h + 1], bc[jj],
                              __half22float2(rv[jj][mi][h]), k0, k1);
      }
      continue;
    }
    /* WIDE: pairs of n8 tiles with each quad's 4 words transposed, so that lane t stores 16
       bytes of row gr + 8 (t >> 1), columns 8 (t & 1) .. + 7 of the pair, and a store
       instruction fills 16 rows' 32-byte sectors (4-byte stores, each instruction 8 rows'
       16-byte halves of sectors, had held the narrow GEMM at ~3.3 TB/s: s24c8); a tile
       without a partner keeps the 4-byte stores. The warpgroup-MMA GEMM takes it, and the
       streaming bulk-copy GEMM up to 64 columns (s24c11, s25c1); the other streaming and
       bulk-copy builds spilled with it and lost 5-10 % (s24c10). */
    const int t = gc >> 1;
#pragma unroll
    for (int jj = 0; jj < JB; jj += 2) {
      unsigned pk[2][MI][2]; /* the fp16 pairs of rows gr + 8 h of tile mi, columns col, + 1 */
      bool ok[2];            /* the tile lies inside N (the same for every lane) */
#pragma unroll
      for (int k = 0; k < 2; k++) {
        const int j = j0 + jj + k, col = c0 + j * 8 + gc;
        ok[k] = jj + k < JB && j < NT8 && col < p.N;
        if (!ok[k]) continue;
        const bool k0 = col < p.Nvalid, k1 = col + 1 < p.Nvalid; /* else written as 0 */
#pragma unroll
        for (int mi = 0; mi < MI; mi++)
#pragma unroll
          for (int h = 0; h < 2; h++) {
            const __half2 o = pg_out_pair(acc[mi][j][2 * h], acc[mi][j][2 * h + 1], bc[jj + k],
                                          __half22float2(rv[jj + k][mi][h]), k0, k1);
            pk[k][mi][h] = *reinterpret_cast<const unsigned *>(&o);
          }
      }
      const int j = j0 + jj;
      if (ok[0] && ok[1]) {
#pragma unroll
        for (int mi = 0; mi < MI; mi++) {
          unsigned x[4] = {pk[0][mi][0], pk[1][mi][0], pk[0][mi][1], pk[1][mi][1]};
          quad_transpose(x, t);
          const int r = t >> 1 ? ro[mi][1] : ro[mi][0];
          if (r >= 0)
            *reinterpret_cast<uint4 *>(ybase - gc + r + j * 8 + (t & 1) * 8) =
                make_uint4(x[0], x[1], x[2], x[3]);
        }
      } else {
#pragma unroll
        for (int k = 0; k < 2; k++)
          if (ok[k])
#pragma unroll
            for (int mi = 0; mi < MI; mi++)
#pragma unroll
              for (int h = 0; h < 2; h++)
                if (ro[mi][h] >= 0)
                  *reinterpret_cast<unsigned *>(ybase + ro[mi][h] + (j + k) * 8) = pk[k][mi][h];
      }
    }
  }
}

// The mbarrier b for count arrivals (thread 0 of the CTA, before a barrier).
__device__ __forceinline__ void mbar_init(unsigned long long *b, unsigned count) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(b)), "r"(count)
               : "memory");
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
#endif
}

// One arrival that also expects `bytes` more of the copies completing on b.
__device__ __forceinline__ void mbar_arrive_tx(unsigned long long *b, unsigned bytes) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(b)),
               "r"(bytes)
               : "memory");
#endif
}

// Until the phase of b with this parity has completed.
__device__ __forceinline__ void mbar_wait(unsigned long long *b, unsigned parity) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  unsigned done;
  do {
    asm volatile(
        "{\n .reg .pred p;\n mbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
        " selp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(smem_u32(b)), "r"(parity)
        : "memory");
  } while (!done);
#endif
}

// The box of tensor map t at element coordinates (x innermost, y) into
// shared memory at dst, completing on b.
__device__ __forceinline__ void tma_load_2d(void *dst, const CUtensorMap &t, int x, int y,
                                            unsigned long long *b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile(
      "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes"
      " [%0], [%1, {%3, %4}], [%2];\n" ::"r"(smem_u32(dst)),
      "l"(reinterpret_cast<unsigned long long>(&t)), "r"(smem_u32(b)), "r"(x), "r"(y)
      : "memory");
#endif
}

// The bulk-copy GEMMs' fp16 gates: the 8 gates from channel c of image img
// (1 without gates, 0 past K; `in`: the image is one of the tile's) ...
__device__ __forceinline__ void pg_gate8_load(const pg_params &p, int img, int c, bool in,
                                              float4 &g0, float4 &g1) {
  const float z = c < p.K ? 1.f : 0.f;
  g0 = g1 = make_float4(z, z, z, z);
  if (p.gate && in && c < p.K) {
    const float4 *gp = reinterpret_cast<const float4 *>(p.gate + (size_t)img * p.K + c);
    g0 = __ldg(gp), g1 = __ldg(gp + 1);
  }
}

// ... into the image's row gr of the gate buffer, channel c of a slice at
// 8 t + 4 ks16 + 2 hi + e (c = 16 ks16 + 8 hi + 2 t + e), so that lane t's 8
// of a slice are one 16-byte load (pg_gate_frags)
__device__ __forceinline__ void pg_gate8_store(__half *gr, int c, float4 g0, float4 g1) {
  __half *gd = gr + (c & ~31) + ((c >> 4) & 1) * 4 + ((c >> 3) & 1) * 2;
  *reinterpret_cast<__half2 *>(gd) = __floats2half2_rn(g0.x, g0.y);
  *reinterpret_cast<__half2 *>(gd + 8) = __floats2half2_rn(g0.z, g0.w);
  *reinterpret_cast<__half2 *>(gd + 16) = __floats2half2_rn(g1.x, g1.y);
  *reinterpret_cast<__half2 *>(gd + 24) = __floats2half2_rn(g1.z, g1.w);
}

// The head's epilogue (PG_POOL; pixel_gemm_wg.cu's POOL builds) from a warp's accumulators
// (MI m16 tiles: pg_mma_slice's acc, MI = 2, or a warpgroup MMA's, MI = 1; rows wr0 + 16 mi +
// gr + 8 h, columns c0 + 8 j + gc, + 1): act(acc + bias) in place, summed per image
// over the warp's rows and added into p.pool[image][col] (fp32 atomics). With 4 or 8 column
// tiles a lane's 2 NT8 column sums of an image are reduced over the 8 lanes that share its
// columns by halving exchanges (each keeps half the columns, adds the partner's half of
// them: 14 shuffles for 16 columns where a shuffle tree per column took 48), after which
// every lane holds NT8 / 4 whole column sums and all 32 lanes add them, two atomic
// instructions where 4 lanes had taken 16 (the epilogue had been 43 % of the GEMM's
// instructions: s25c7); 16 column tiles the same way. Other widths keep the tree per column
// pair.
template <int MI, int NT8>
__device__ __forceinline__ void pg_pool_acc(const pg_params &p, float (&acc)[MI][NT8][4], int wr0,
                                            int c0, int gc, int lane) {
  if (wr0 >= p.M) return;
  const int gr = lane >> 2;
  /* this warp's 16 MI rows span images wi0..wi1; each lane's 2 MI rows' images */
  const int wi0 = wr0 / p.HW, wi1 = min(wr0 + 16 * MI - 1, p.M - 1) / p.HW;
  int img[MI][2];
#pragma unroll
  for (int mi = 0; mi < MI; mi++)
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int row = wr0 + mi * 16 + gr + h * 8;
      img[mi][h] = row < p.M ? row / p.HW : -1;
    }
#pragma unroll
  for (int j = 0; j < NT8; j++) { /* act in place (a tile past N: zeros, never added) */
    const int col = c0 + j * 8 + gc;
    const bool in = col < p.N;
    const float b0 = in ? p.bias[col] : 0.f, b1 = in ? p.bias[col + 1] : 0.f;
#pragma unroll
    for (int mi = 0; mi < MI; mi++)
#pragma unroll
      for (int h = 0; h < 2; h++) {
        acc[mi][j][2 * h] = act_apply(acc[mi][j][2 * h] + b0, p.act);
        acc[mi][j][2 * h + 1] = act_apply(acc[mi][j][2 * h + 1] + b1, p.act);
      }
  }
  if constexpr (NT8 == 4 || NT8 == 8 || NT8 == 16) {
    constexpr int V = 2 * NT8; /* the lane's column sums of an image: 2 j + e */
    for (int n = wi0; n <= wi1; n++) {
      /* s: the lane's sums over its rows of image n; then halving exchanges with lanes ^ 16,
         ^ 8, ^ 4 (the lane whose bit is set keeps the upper half), after which s[k] is the
         sum over the 8 lanes of column (V / 8) gr + k */
      float s[V];
#pragma unroll
      for (int j = 0; j < NT8; j++)
#pragma unroll
        for (int e = 0; e < 2; e++) {
          float t = 0.f;
#pragma unroll
          for (int mi = 0; mi < MI; mi++)
#pragma unroll
            for (int h = 0; h < 2; h++) t += img[mi][h] == n ? acc[mi][j][2 * h + e] : 0.f;
          s[2 * j + e] = t;
        }
      warp_halve_sums<V / 2>(s, lane, 16);
      warp_halve_sums<V / 4>(s, lane, 8);
      warp_halve_sums<V / 8>(s, lane, 4);
#pragma unroll
      for (int k = 0; k < V / 8; k++) {
        const int i = (V / 8) * gr + k, col = c0 + (i >> 1) * 8 + gc + (i & 1);
        if (col < p.N) atomicAdd(p.pool + (size_t)n * p.N + col, s[k]);
      }
    }
  } else {
#pragma unroll
    for (int j = 0; j < NT8; j++) {
      const int col = c0 + j * 8 + gc;
      if (col >= p.N) continue;
      for (int n = wi0; n <= wi1; n++) { /* one warp-wide sum per image and column */
        float s0 = 0.f, s1 = 0.f;
#pragma unroll
        for (int mi = 0; mi < MI; mi++)
#pragma unroll
          for (int h = 0; h < 2; h++)
            if (img[mi][h] == n) s0 += acc[mi][j][2 * h], s1 += acc[mi][j][2 * h + 1];
#pragma unroll
        for (int o = 4; o < 32; o <<= 1) {
          s0 += __shfl_xor_sync(0xffffffffu, s0, o);
          s1 += __shfl_xor_sync(0xffffffffu, s1, o);
        }
        if (lane < 4) {
          atomicAdd(p.pool + (size_t)n * p.N + col, s0);
          atomicAdd(p.pool + (size_t)n * p.N + col + 1, s1);
        }
      }
    }
  }
}

// The driver's cuTensorMapEncodeTiled, through the runtime (the program
// links no libcuda); NULL where the driver lacks it.
static PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void *f = nullptr;
    cudaDriverEntryPointQueryResult q;
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault,
                                         &q) != cudaSuccess ||
        q != cudaDriverEntryPointSuccess)
      f = nullptr;
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  }();
  return fn;
}

// A 2D fp16 tensor map of a row-major rows x cols matrix, boxes of bx
// columns by by rows, swizzled (pg_swz); elements outside read as zeros.
static cudaError_t tensor_map_2d(CUtensorMap *t, const void *base, int rows, int cols, int bx,
                                 int by, CUtensorMapSwizzle sw) {
  const PFN_cuTensorMapEncodeTiled_v12000 enc = tensor_map_encoder();
  if (!enc) return cudaErrorNotSupported;
  const cuuint64_t dim[2] = {(cuuint64_t)cols, (cuuint64_t)rows};
  const cuuint64_t stride[1] = {(cuuint64_t)cols * 2};
  const cuuint32_t box[2] = {(cuuint32_t)bx, (cuuint32_t)by}, es[2] = {1, 1};
  const CUresult r = enc(t, CU_TENSOR_MAP_DATA_TYPE_FLOAT16, 2, const_cast<void *>(base), dim,
                         stride, box, es, CU_TENSOR_MAP_INTERLEAVE_NONE, sw,
                         CU_TENSOR_MAP_L2_PROMOTION_L2_128B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  return r == CUDA_SUCCESS ? cudaSuccess : cudaErrorInvalidValue;
}

// The warpgroup-MMA GEMM (pixel_gemm_wg.cu; cuda_mbconv_args.wg): bm = 64 or
// 128 rows, nt8 16-wide column tiles per CTA, z column splits, persistent
// CTAs (at most `stream` per split where > 0, else as many as fit on sms
// multiprocessors).
cudaError_t pg_wg_launch(const pg_params &p, int bm, int nt8, int z, int stream, int sms,
                         cudaStream_t st);

// The narrow GEMM (pixel_gemm_narrow.cu; cuda_mbconv_args.narrow): K of 32,
// 64 or 96, N of 16 or 32 (cuda_pg_narrow_ok), as many CTAs as fit on sms
// multiprocessors.
cudaError_t pg_narrow_launch(const pg_params &p, int sms, cudaStream_t st);

}  // namespace bf
