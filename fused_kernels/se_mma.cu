// The SE MLP after PASS1 on tensor cores (cuda_mbconv_args.se_batch = 2, or
// where cuda_se_mma_ok()): grid (groups, g), SMT threads, thread-block
// clusters of the g CTAs of a group. CTA (x, y) takes the CUDA_SEM_IMG images
// from x * CUDA_SEM_IMG (fewer in the last group) and the y-th slice of the
// expanded channels (cuda_se_mma_grid: cs channels, a multiple of 16):
//   1. before the wait for PASS1, its rows of the reduce weights Wr [cs][sep]
//      and its columns of the expand weights We [se_c][cs] into shared memory
//      by cp.async;
//   2. the group's channel means over its slice (the per-tile sums added),
//      each split into two fp16 terms hi + lo (lo = the rounding error of hi),
//      so the MMAs lose next to nothing against fp32;
//   3. its part of the reduce FC, [IMG x cs] . [cs x sep], by m16n8k16 MMAs:
//      a warp per (8-column tile, range of k16 steps), hi and lo each an MMA,
//      the ranges then added into the CTA's part [IMG][sep];
//   4. the cluster's parts added through distributed shared memory, the bias
//      and act applied, r split into hi + lo the same way;
//   5. the gates of its slice, [IMG x se_c] . [se_c x cs] (K padded to 16 with
//      zero rows), sigmoid, into scale.
// The batched fp32 kernel (se_batch.cu) walks both FCs on the CUDA cores
// with 8 images per CTA, and each of its warps runs a chain of several
// hundred dependent instructions; here the FCs are a few MMAs per warp, and
// the time after the wait is the loads of the sums, the cluster's exchange
// and a handful of barriers.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace cgr = cooperative_groups;

namespace bf {

constexpr int SMI = CUDA_SEM_IMG, SMT = CUDA_SEM_THREADS, SMW = SMT / 32;
static_assert(SMI == 16, "the MMAs' 16 rows are the group's images");

// v as hi + lo, two fp16 values whose sum is v to ~2^-22 relative.
__device__ __forceinline__ void split_half(float v, __half &hi, __half &lo) {
  hi = __float2half_rn(v);
  lo = __float2half_rn(v - __half2float(hi));
}

// One k16 step of [IMG x K] . [K x 8]: a points at the step's columns of the
// hi terms' rows (the lo terms' follow IMG rows further on), pitch lda; b at
// the step's first row of the 8 columns, pitch ldb. The hi terms' products go
// into dh, the lo terms' into dl (the same array where one sum will do).
__device__ __forceinline__ void mma_hilo_step(float (&dh)[4], float (&dl)[4], const __half *a,
                                              int lda, const __half *b, int ldb, int lane) {
  unsigned ah[4], al[4], bw[2];
  const int arow = lane & 15, acol = (lane >> 4) * 8;
  ldsm_x4(ah, a + (size_t)arow * lda + acol, false);
  ldsm_x4(al, a + (size_t)(SMI + arow) * lda + acol, false);
  ldsm_x2_trans(bw, b + (size_t)(lane & 15) * ldb);
  mma16816(dh, ah, bw[0], bw[1]);
  mma16816(dl, al, bw[0], bw[1]);
}

__global__ void __launch_bounds__(SMT) se_mma_kernel(const cuda_mbconv_args a, int n) {
  extern __shared__ __align__(16) unsigned char smem[];
  cgr::cluster_group cluster = cgr::this_cluster();
  cuda_se_mma_layout L;
  cuda_se_mma_layout_of(&a, gridDim.y, &L);
  const int CP = a.CmidP, sep = cuda_se_sep(&a), seK = L.seK, cs = L.cs;
  const int c0 = blockIdx.y * cs, cn = max(0, min(cs, CP - c0)); /* a multiple of 16 */
  const int n0 = blockIdx.x * SMI, ni = min(SMI, n - n0);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  __half *mh = reinterpret_cast<__half *>(smem + L.mean); /* [2][IMG][lda]: hi, lo */
  __half *wr = reinterpret_cast<__half *>(smem + L.wr);   /* [cs][ldr] */
  __half *we = reinterpret_cast<__half *>(smem + L.we);   /* [seK][lda] */
  float *kp = reinterpret_cast<float *>(smem + L.kpart);  /* [KS][IMG][sep] */
  float *part = reinterpret_cast<float *>(smem + L.part); /* [IMG][sep] */
  __half *rh = reinterpret_cast<__half *>(smem + L.r);    /* [2][IMG][ldk]: hi, lo */
  const int lda = cs + 8, ldr = sep + 8, ldk = seK + 8;
  { /* 1. the weights: not PASS1's, so before the wait */
    const int q8 = sep / 8;
    const __half *gr = reinterpret_cast<const __half *>(a.w_ser) + (size_t)c0 * sep;
    for (int i = tid; i < cn * q8; i += SMT) {
      const int c = small_div(i, q8), q = i - c * q8;
      cp_async16(wr + (size_t)c * ldr + 8 * q, gr + (size_t)c * sep + 8 * q);
    }
    const int p8 = cn / 8;
    const __half *ge = reinterpret_cast<const __half *>(a.w_see) + c0;
    for (int i = tid; i < a.se_c * p8; i += SMT) {
      const int j = small_div(i, p8), q = i - j * p8;
      cp_async16(we + (size_t)j * lda + 8 * q, ge + (size_t)j * CP + 8 * q);
    }
    cp_async_commit();
    /* We's rows se_c .. seK - 1 (K's padding) and r's columns past se_c: zero */
    for (int i = tid; i < (seK - a.se_c) * p8; i += SMT) {
      const int j = a.se_c + small_div(i, p8), q = i - (j - a.se_c) * p8;
      *reinterpret_cast<uint4 *>(we + (size_t)j * lda + 8 * q) = make_uint4(0, 0, 0, 0);
    }
    for (int i = tid; i < 2 * SMI * (seK - a.se_c); i += SMT) {
      const int row = small_div(i, seK - a.se_c), j = a.se_c + i - row * (seK - a.se_c);
      rh[(size_t)row * ldk + j] = __float2half_rn(0.f);
    }
  }
  pdl_wait(); /* PASS1's sums */
  pdl_trigger();
  { /* 2. the means of the slice's channels, as hi + lo: tpi threads (adjacent lanes) per
       (image, 4 channels) item, each adding every tpi-th tile's sums, then shuffles */
    const int tiles = a.tiles_x * a.tiles_y, c4n = cn / 4, items = SMI * c4n;
    int tpi = 1;
    while (tpi < 32 && tpi < tiles && items * tpi * 2 <= SMT) tpi *= 2;
    const float inv = 1.f / (float)(a.Ho * a.Wo);
    const int lt = __ffs(tpi) - 1; /* tpi = 2^lt */
    for (int q0 = 0; q0 < items * tpi; q0 += SMT) {
      const int q = q0 + tid, it = q >> lt, sub = q & (tpi - 1);
      const int i = small_div(it, max(c4n, 1)), c = (it - i * c4n) * 4;
      float4 s = make_float4(0.f, 0.f, 0.f, 0.f);
      if (it < items && i < ni && c0 + c < a.Cmid) {
        const float4 *sp =
            reinterpret_cast<const float4 *>(a.sums + (size_t)(n0 + i) * tiles * CP + c0 + c);
#pragma unroll 4
        for (int t = sub; t < tiles; t += tpi) {
          const float4 v = __ldg(sp + (size_t)t * (CP / 4));
          s.x += v.x, s.y += v.y, s.z += v.z, s.w += v.w;
        }
      }
      for (int o = 1; o < tpi; o *= 2) {
        s.x += __shfl_xor_sync(0xffffffffu, s.x, o), s.y += __shfl_xor_sync(0xffffffffu, s.y, o);
        s.z += __shfl_xor_sync(0xffffffffu, s.z, o), s.w += __shfl_xor_sync(0xffffffffu, s.w, o);
      }
      if (it >= items || sub) continue;
      const float m[4] = {s.x * inv, s.y * inv, s.z * inv, s.w * inv};
      __half h[4], l[4];
#pragma unroll
      for (int k = 0; k < 4; k++) split_half(c0 + c + k < a.Cmid ? m[k] : 0.f, h[k], l[k]);
      __half *d = mh + (size_t)i * lda + c;
      *reinterpret_cast<__half2 *>(d) = __halves2half2(h[0], h[1]);
      *reinterpret_cast<__half2 *>(d + 2) = __halves2half2(h[2], h[3]);
      d += (size_t)SMI * lda;
      *reinterpret_cast<__half2 *>(d) = __halves2half2(l[0], l[1]);
      *reinterpret_cast<__half2 *>(d + 2) = __halves2half2(l[2], l[3]);
    }
  }
  cp_async_wait0();
  __syncthreads();
  const int gr = lane >> 2, gc = (lane & 3) * 2;
  { /* 3. the reduce FC's part: item (column tile nt, k range ks) */
    const int NT = sep / 8, KT = cn / 16, KS = L.ks, kper = (KT + KS - 1) / KS;
    for (int it = warp; it < NT * KS; it += SMW) {
      const int ks = small_div(it, NT), nt = it - ks * NT, k0 = ks * kper, k1 = min(KT, k0 + kper);
      float acc[4] = {0.f, 0.f, 0.f, 0.f}, acl[4] = {0.f, 0.f, 0.f, 0.f}; /* hi's, lo's */
      for (int kt = k0; kt < k1; kt++)
        mma_hilo_step(acc, acl, mh + kt * 16, lda, wr + (size_t)kt * 16 * ldr + nt * 8, ldr, lane);
      float *d = kp + (size_t)ks * SMI * sep + nt * 8 + gc;
      *reinterpret_cast<float2 *>(d + (size_t)gr * sep) =
          make_float2(acc[0] + acl[0], acc[1] + acl[1]);
      *reinterpret_cast<float2 *>(d + (size_t)(gr + 8) * sep) =
          make_float2(acc[2] + acl[2], acc[3] + acl[3]);
    }
    __syncthreads();
    for (int q = tid; q < SMI * sep; q += SMT) {
      float s = 0.f;
      for (int k = 0; k < KS; k++) s += kp[(size_t)k * SMI * sep + q];
      part[q] = s;
    }
  }
  cluster.sync(); /* every CTA's part is written */
  /* 4. the cluster's parts added: r = act(b + sum), as hi + lo */
  for (int q = tid; q < SMI * a.se_c; q += SMT) {
    const int i = small_div(q, a.se_c), j = q - i * a.se_c;
    float v[8]; /* the peers' loads issued together, not one round trip after another */
#pragma unroll
    for (int p = 0; p < 8; p++)
      v[p] = p < (int)gridDim.y ? cluster.map_shared_rank(part, p)[i * sep + j] : 0.f;
    float t = a.b_ser[j];
#pragma unroll
    for (int p = 0; p < 8; p++) t += v[p];
    __half h, l;
    split_half(act_apply(t, a.se_act), h, l);
    rh[(size_t)i * ldk + j] = h, rh[(size_t)(SMI + i) * ldk + j] = l;
  }
  cluster_arrive(); /* done reading the peers' parts */
  __syncthreads();
  { /* 5. the gates of the slice: warp w takes column tiles w, w + SMW, ... */
    const int NT = cn / 8, KT = seK / 16;
    for (int nt = warp; nt < NT; nt += SMW) {
      const int c = c0 + nt * 8 + gc;
      float acc[4] = {a.b_see[c], a.b_see[c + 1], a.b_see[c], a.b_see[c + 1]};
      for (int kt = 0; kt < KT; kt++)
        mma_hilo_step(acc, acc, rh + kt * 16, ldk, we + (size_t)kt * 16 * lda + nt * 8, lda, lane);
#pragma unroll
      for (int h = 0; h < 2; h++) {
        const int i = gr + 8 * h;
        if (i < ni)
          *reinterpret_cast<float2 *>(a.scale + (size_t)(n0 + i) * CP + c) =
              make_float2(c < a.Cmid ? sigmoid_fast(acc[2 * h]) : 0.f,
                          c + 1 < a.Cmid ? sigmoid_fast(acc[2 * h + 1]) : 0.f);
      }
    }
  }
  cluster_wait(); /* the peers are done reading this CTA's part */
}

}  // namespace bf

extern "C" int cuda_se_mma_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  int groups, g;
  cuda_se_mma_grid(a, n, &groups, &g);
  if (n <= 0 || a->se_c <= 0 || a->CmidP % 16 || g < 1 || g > 8 || groups > 65535)
    return (int)cudaErrorInvalidValue;
  cudaLaunchAttribute at[2];
  const cudaLaunchConfig_t cfg =
      bf::launch_cfg(at, dim3((unsigned)groups, (unsigned)g), bf::SMT, cuda_se_mma_smem(a, g), st,
                     true, dim3(1, (unsigned)g, 1));
  return (int)cudaLaunchKernelEx(&cfg, bf::se_mma_kernel, *a, n);
}

extern "C" int cuda_se_mma_set_attrs(int bytes, int carveout) {
  const void *k[] = {(const void *)bf::se_mma_kernel};
  return (int)bf::set_kernel_attrs(k, 1, bytes, carveout);
}
