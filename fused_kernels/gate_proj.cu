// The STAGED pass 2 of a squeeze-excite MBConv block as one GEMM over the
// whole batch: y = (stage * gate) . W_proj + b (+ res), where stage is PASS1's
// depthwise output [N*Ho*Wo][CmidP] and gate[n][c] the SE kernel's scale.
//
// The image-tile kernel in mbconv.cu runs this pass as one CTA per output
// tile, walking the expanded channels in chunks with a barrier-bound
// gate-then-project step per chunk; on small images (14x14, 7x7) that left
// one CTA of 8 warps per SM holding 9-16 accumulator tiles each, at 24-30 %
// SM throughput. Here the pixels of all images are the GEMM's rows, so a CTA
// owns BM rows (crossing image boundaries: each row's gate is its own
// image's) and BN = 16 * NT8 output columns (grid.y splits the columns), and
// streams K = CmidP through a 4-stage cp.async pipeline of 32-channel slices.
// Each thread scales the A chunks it copied as soon as they land (a thread's
// own cp.async writes are visible to it after the wait), so one barrier per
// slice publishes the gated slice. Warps: WM along the rows (32 rows each)
// by 2 along the columns; m16n8k16 MMAs from ldmatrix fragments; bias and
// residual added from the registers in the epilogue.
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace bf {

constexpr int GP_BK = 32;          /* K slice per pipeline stage */
constexpr int GP_STAGES = 4;       /* slices in flight */
constexpr int GP_LDA = GP_BK + 8;  /* A row pitch in halves: ldmatrix without bank conflicts */

__device__ __forceinline__ void ldsm_x2_trans(unsigned *r, const void *p) {
  const unsigned addr = (unsigned)__cvta_generic_to_shared(p);
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(addr));
}

__device__ __forceinline__ void cp_async_wait_stages() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(GP_STAGES - 2) : "memory");
}

// (h0..h7) *= (g0..g7), on fp16 pairs.
__device__ __forceinline__ uint4 gate8(uint4 u, float4 g0, float4 g1) {
  __half2 *h = reinterpret_cast<__half2 *>(&u);
  h[0] = __hmul2(h[0], __floats2half2_rn(g0.x, g0.y));
  h[1] = __hmul2(h[1], __floats2half2_rn(g0.z, g0.w));
  h[2] = __hmul2(h[2], __floats2half2_rn(g1.x, g1.y));
  h[3] = __hmul2(h[3], __floats2half2_rn(g1.z, g1.w));
  return u;
}

template <int WM, int NT8>
__global__ void __launch_bounds__(WM * 64, 512 / (WM * 64))
    gate_proj_kernel(const cuda_mbconv_args a, int M) {
  constexpr int THREADS = WM * 64, BM = WM * 32, BN = NT8 * 16, LDB = BN + 8;
  constexpr int ROWS_PER_PASS = THREADS / 4; /* an A slice row is 4 chunks of 8 channels */
  constexpr int A_PER = BM / ROWS_PER_PASS;  /* A chunks per thread per slice (2) */
  extern __shared__ __align__(128) unsigned char smem[];
  __half *As = reinterpret_cast<__half *>(smem);   /* [STAGES][BM][LDA] */
  __half *Bs = As + (size_t)GP_STAGES * BM * GP_LDA; /* [STAGES][BK][LDB] */
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = warp % WM, wn = warp / WM;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int K = a.CmidP, KT = (K + GP_BK - 1) / GP_BK, HW = a.Ho * a.Wo;
  const __half *stage = (const __half *)a.stage, *w = (const __half *)a.w_proj;

  /* this thread's A chunks: rows tid / 4 + i * ROWS_PER_PASS, channels ac..ac+7 of each slice */
  const int ac = (tid & 3) * 8;
  const __half *arow[A_PER];
  const float *grow[A_PER];
  bool aok[A_PER];
#pragma unroll
  for (int i = 0; i < A_PER; i++) {
    const int r = m0 + tid / 4 + i * ROWS_PER_PASS;
    aok[i] = r < M;
    const int rr = aok[i] ? r : 0;
    arow[i] = stage + (size_t)rr * K + ac;
    grow[i] = a.scale + (size_t)(rr / HW) * K + ac;
  }

  auto issue = [&](int kt) {
    const int k0 = kt * GP_BK, buf = kt % GP_STAGES;
    __half *as = As + (size_t)buf * BM * GP_LDA;
#pragma unroll
    for (int i = 0; i < A_PER; i++) {
      const bool v = aok[i] && k0 + ac < K;
      cp_async16_zfill(as + (size_t)(tid / 4 + i * ROWS_PER_PASS) * GP_LDA + ac,
                       v ? arow[i] + k0 : stage, v);
    }
    __half *bs = Bs + (size_t)buf * GP_BK * LDB;
    for (int i = tid; i < GP_BK * BN / 8; i += THREADS) {
      const int r = i / (BN / 8), c = (i % (BN / 8)) * 8;
      const bool v = k0 + r < K && n0 + c < a.CoutP;
      cp_async16_zfill(bs + r * LDB + c, v ? w + (size_t)(k0 + r) * a.CoutP + n0 + c : w, v);
    }
  };

  float acc[2][NT8][4];
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < NT8; j++) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.f;

#pragma unroll
  for (int s = 0; s < GP_STAGES - 1; s++) {
    if (s < KT) issue(s);
    cp_async_commit();
  }
  const int lrow = lane & 15, lcol = (lane >> 4) * 8;
  for (int kt = 0; kt < KT; kt++) {
    const int k0 = kt * GP_BK, buf = kt % GP_STAGES;
    __half *as = As + (size_t)buf * BM * GP_LDA;
    const __half *bs = Bs + (size_t)buf * GP_BK * LDB;
    /* the gates of this slice (L1 / L2) while its data may still be in flight */
    float4 g[A_PER][2];
#pragma unroll
    for (int i = 0; i < A_PER; i++) {
      const bool v = aok[i] && k0 + ac < K;
      g[i][0] = v ? __ldg(reinterpret_cast<const float4 *>(grow[i] + k0)) : make_float4(0, 0, 0, 0);
      g[i][1] = v ? __ldg(reinterpret_cast<const float4 *>(grow[i] + k0 + 4))
                  : make_float4(0, 0, 0, 0);
    }
    cp_async_wait_stages(); /* this thread's copies of slice kt landed */
#pragma unroll
    for (int i = 0; i < A_PER; i++) {
      uint4 *p = reinterpret_cast<uint4 *>(as + (size_t)(tid / 4 + i * ROWS_PER_PASS) * GP_LDA + ac);
      *p = gate8(*p, g[i][0], g[i][1]);
    }
    __syncthreads(); /* slice kt gated and visible; every warp is done with slice kt - 1 */
    if (kt + GP_STAGES - 1 < KT) issue(kt + GP_STAGES - 1); /* into slice kt - 1's buffer */
    cp_async_commit();
#pragma unroll
    for (int ks = 0; ks < GP_BK / 16; ks++) {
      unsigned af[2][4];
#pragma unroll
      for (int mi = 0; mi < 2; mi++)
        ldsm_x4(af[mi], as + (size_t)(wm * 32 + mi * 16 + lrow) * GP_LDA + ks * 16 + lcol, false);
      const __half *bp = bs + (size_t)(ks * 16 + lrow) * LDB + wn * NT8 * 8;
#pragma unroll
      for (int j = 0; j + 1 < NT8; j += 2) {
        unsigned bf[4];
        ldsm_x4(bf, bp + j * 8 + lcol, true);
#pragma unroll
        for (int mi = 0; mi < 2; mi++) {
          mma16816(acc[mi][j], af[mi], bf[0], bf[1]);
          mma16816(acc[mi][j + 1], af[mi], bf[2], bf[3]);
        }
      }
      if (NT8 % 2) {
        unsigned bf[2];
        ldsm_x2_trans(bf, bp + (NT8 - 1) * 8);
#pragma unroll
        for (int mi = 0; mi < 2; mi++) mma16816(acc[mi][NT8 - 1], af[mi], bf[0], bf[1]);
      }
    }
  }
  cp_async_wait0();

  // Epilogue from the registers: + bias (+ residual), padded channels forced
  // to zero, fp16 pairs. Lane holds rows g and g + 8, columns 2t and 2t + 1.
  __half *y = (__half *)a.y;
  const __half *res = (const __half *)a.res;
  const int gr = lane >> 2, gc = (lane & 3) * 2;
#pragma unroll
  for (int j = 0; j < NT8; j++) {
    const int col = n0 + wn * NT8 * 8 + j * 8 + gc;
    if (col >= a.CoutP) continue;
    const float b0 = a.b_proj[col], b1 = a.b_proj[col + 1];
#pragma unroll
    for (int mi = 0; mi < 2; mi++)
#pragma unroll
      for (int h = 0; h < 2; h++) {
        const int row = m0 + wm * 32 + mi * 16 + gr + h * 8;
        if (row >= M) continue;
        const size_t off = (size_t)row * a.CoutP + col;
        float v0 = acc[mi][j][2 * h] + b0, v1 = acc[mi][j][2 * h + 1] + b1;
        if (res) {
          const float2 r = __half22float2(*reinterpret_cast<const __half2 *>(res + off));
          v0 += r.x, v1 += r.y;
        }
        if (col >= a.Cout) v0 = 0.f;
        if (col + 1 >= a.Cout) v1 = 0.f;
        *reinterpret_cast<__half2 *>(y + off) = __floats2half2_rn(v0, v1);
      }
  }
}

template <int WM>
static cudaError_t gate_proj_launch_wm(const cuda_mbconv_args &a, int M, int nt8, int z,
                                       cudaStream_t st) {
  const dim3 grid((M + WM * 32 - 1) / (WM * 32), z);
  const size_t smem = cuda_gate_proj_smem(&a);
  switch (nt8) {
#define GP_CASE(N)                                                  \
  case N:                                                           \
    gate_proj_kernel<WM, N><<<grid, WM * 64, smem, st>>>(a, M); \
    break;
    GP_CASE(1)
    GP_CASE(2)
    GP_CASE(3)
    GP_CASE(4)
    GP_CASE(5)
    GP_CASE(6)
    GP_CASE(7)
    GP_CASE(8)
#undef GP_CASE
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

template <int WM>
static cudaError_t gate_proj_attrs_wm(int bytes, int carveout) {
  const void *fns[] = {(const void *)gate_proj_kernel<WM, 1>, (const void *)gate_proj_kernel<WM, 2>,
                       (const void *)gate_proj_kernel<WM, 3>, (const void *)gate_proj_kernel<WM, 4>,
                       (const void *)gate_proj_kernel<WM, 5>, (const void *)gate_proj_kernel<WM, 6>,
                       (const void *)gate_proj_kernel<WM, 7>, (const void *)gate_proj_kernel<WM, 8>};
  return set_kernel_attrs(fns, 8, bytes, carveout);
}

}  // namespace bf

extern "C" int cuda_gate_proj_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  const long long M = (long long)n * a->Ho * a->Wo;
  if (!cuda_gate_proj_ok(a) || M <= 0 || M > 0x7fffffffLL) return (int)cudaErrorInvalidValue;
  const int nt8 = cuda_gate_proj_nt8(a), z = cuda_mbconv_z(a);
  if (a->gemm == 64) return (int)bf::gate_proj_launch_wm<2>(*a, (int)M, nt8, z, st);
  return (int)bf::gate_proj_launch_wm<4>(*a, (int)M, nt8, z, st);
}

extern "C" int cuda_gate_proj_set_attrs(int bytes, int carveout) {
  cudaError_t e = bf::gate_proj_attrs_wm<2>(bytes, carveout);
  return (int)(e ? e : bf::gate_proj_attrs_wm<4>(bytes, carveout));
}
