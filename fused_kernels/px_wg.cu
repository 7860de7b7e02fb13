// The MLP pixel-tile blocks (ConvNeXt, ConvFirst) on sm_90a's warpgroup MMAs
// (cuda_px_args.wg): one kernel per block, as px_block.cu's px_kernel, with
// the GEMMs as wgmma instead of mma.sync from ldmatrix fragments.
//
// A CTA owns 64 wg consecutive output pixels of the batch and NCOL = 8 NT8
// output columns (grid.y splits the rest; grid.z the expanded chunks, as
// px_kernel's hs). Its threads:
//   - wg consumer warpgroups of 64 pixels each. Together they compute the
//     spatial conv [-> LayerNorm] of the CTA's pixels into A [M x CinP] in
//     shared memory (px_parts.cuh). Then each walks the expanded chunks of
//     64 channels for its own 64 rows:
//       H = act(A We + be): wgmma m64n64k16, A by ldmatrix from shared
//         memory (two sets of fragments, a 64-channel slice each, so one
//         slice's loads run while the other's MMAs do), We by descriptor;
//       acc += H Wp: wgmma m64nNCOLk16, A = H from the registers (the
//         expand's accumulators, packed to fp16 pairs, are its A fragments,
//         as in px_rw_kernel), Wp by descriptor; it runs while the next
//         chunk's expand is issued.
//     The expanded tensor exists only as one chunk's accumulators.
//   - one producer warp: streams the weights by bulk tensor copies (128-byte
//     swizzle) through two rings with full/empty mbarriers: CUDA_PX_WG_SE
//     stages of one 64 x 64 We slice, CUDA_PX_WG_SP stages of a chunk's 64
//     Wp rows by NCOL columns. The weights are constants: it starts before
//     the previous kernel ends (PDL), while the consumers' spatial conv runs.
// Every consumer thread arrives on a stage's empty barrier once the MMAs
// that read it have completed (wgmma.wait_group). The epilogue is
// px_out_pair's (bias, residual, padded channels; or the split's atomics).
//
// Built for sm_90a only (BF_WGMMA): elsewhere the kernel is a trap and
// cuda_pg_wg_supported() says 0, so the planner offers no such launch.
#include <cuda.h>
#include <cuda_runtime.h>

#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/pixel_gemm.cuh"
#include "fused_kernels/px_parts.cuh"
#include "fused_kernels/wg_parts.cuh"
#include "fused_kernels/wgmma_ops.cuh"

namespace bf {
namespace {

constexpr int SE = CUDA_PX_WG_SE, SP = CUDA_PX_WG_SP;
constexpr unsigned EST = 8192; /* a We slice: 64 k rows x 64 columns fp16 */

// Threads of a CTA: the consumers and a producer warp; with two consumer
// warpgroups, a whole producer warpgroup, whose registers (setmaxnreg) go to
// the consumers: the SM allocates registers by warpgroups, and 288 threads
// would have capped every thread at 168 (the 192-column build spilled).
template <int WG>
constexpr int px_wg_threads() {
  return WG * 128 + (WG == 2 ? 128 : 32);
}

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
// The weight rings of a CTA (both kernels): SE We stages of EST bytes, then
// NP Wp stages of PST bytes, from the 1024-byte-aligned `ring` (shared
// address sb); full barriers take the producer's one arrival and the
// copies' bytes, empty ones the CW consumer threads. Each consumer thread
// keeps its own stage, round and next stage to release of each ring.
struct px_rings {
  unsigned char *ring;
  unsigned sb, pst;
  int np;
  unsigned long long *fullE, *emptyE, *fullP, *emptyP;
  int se = 0, re = 0, rse = 0, sp = 0, rp = 0, rsp = 0;

  __device__ unsigned char *e_stage(int s) const {
    return ring + s * EST;
  }
  __device__ unsigned char *p_stage(int s) const {
    return ring + SE * EST + s * pst;
  }
  __device__ unsigned p_addr(int s) const {
    return sb + SE * EST + s * pst;
  }
  __device__ void init(int cw) const { /* thread 0, before a barrier */
    for (int s = 0; s < SE; s++) mbar_init(fullE + s, 1), mbar_init(emptyE + s, cw);
    for (int s = 0; s < np; s++) mbar_init(fullP + s, 1), mbar_init(emptyP + s, cw);
  }
  __device__ void release_e() {
    mbar_arrive(emptyE + rse);
    if (++rse == SE) rse = 0;
  }
  __device__ void release_p() {
    mbar_arrive(emptyP + rsp);
    if (++rsp == np) rsp = 0;
  }
};

// The rings and the pixel table after the ring stages (and `extra` bytes):
// A [M][lda], the pixels, the barriers.
__device__ __forceinline__ px_rings px_wg_layout(unsigned char *smem, unsigned pst, int np,
                                                 unsigned extra, int M, int lda, __half *&sA,
                                                 px_pix *&pix) {
  const unsigned s0 = smem_u32(smem), sb = (s0 + 1023) & ~1023u;
  px_rings r;
  r.ring = smem + (sb - s0), r.sb = sb, r.pst = pst, r.np = np;
  sA = reinterpret_cast<__half *>(r.ring + SE * EST + np * pst + extra);
  pix = reinterpret_cast<px_pix *>(sA + M * lda);
  r.fullE = reinterpret_cast<unsigned long long *>(pix + M);
  r.emptyE = r.fullE + SE, r.fullP = r.emptyE + SE, r.emptyP = r.fullP + np;
  return r;
}

// The producer's thread: for each chunk j of [j0, j1), its KS We slices
// (load_e(stage, j, s, bar) issues EST bytes of copies) and its Wp rows
// (load_p(stage, j, bar), the ring's pst bytes), each stage once its
// consumers have released it.
template <class LE, class LP>
__device__ __forceinline__ void px_wg_produce(px_rings &r, int j0, int j1, int KS, LE load_e,
                                              LP load_p) {
  int se = 0, re = 0, sp = 0, rp = 0;
  for (int j = j0; j < j1; j++) {
    for (int s = 0; s < KS; s++) {
      if (re > 0) mbar_wait(r.emptyE + se, (unsigned)(re - 1) & 1u);
      mbar_arrive_tx(r.fullE + se, EST);
      load_e(r.e_stage(se), j, s, r.fullE + se);
      if (++se == SE) se = 0, re++;
    }
    if (rp > 0) mbar_wait(r.emptyP + sp, (unsigned)(rp - 1) & 1u);
    mbar_arrive_tx(r.fullP + sp, r.pst);
    load_p(r.p_stage(sp), j, r.fullP + sp);
    if (++sp == r.np) sp = 0, rp++;
  }
}

// The consumers' start: the spatial conv [and the LayerNorm] of the CTA's M
// pixels into sA by the CW consumer threads, then their barrier.
__device__ __forceinline__ void px_wg_prologue(const cuda_px_args &a, const px_pix *pix, __half *sA,
                                               int lda, int M, int CW) {
  pdl_wait(); /* the input is the previous kernel's output */
  pdl_trigger();
  px_spatial(a, pix, sA, lda, M, threadIdx.x, CW);
  if (a.ln_g) {
    asm volatile("bar.sync 1, %0;\n" ::"r"(CW) : "memory");
    px_ln_rows(a, pix, sA, lda, M, CW);
  }
  asm volatile("bar.sync 1, %0;\n" ::"r"(CW) : "memory"); /* A */
}

// One chunk's expand by a warpgroup: h = A (its 64 rows, from sA by
// ldmatrix at the lane's address arow) x the chunk's We slices, N columns of
// each slice from the descriptor desc_of(stage) (k16 steps KSTEP 16-byte
// units apart), slice by slice with two fragment sets (one slice's loads
// beside the other's MMAs); each stage goes back once the MMAs that read it
// have completed. Ends with every MMA of this warpgroup completed (the
// previous chunk's projection too), whose Wp stage goes back unless first.
template <int N, int KSTEP, class D>
__device__ __forceinline__ void px_wg_expand(float (&h)[N / 8][4], unsigned (&af)[2][4][4],
                                             const cuda_px_args &a, unsigned arow, int KS,
                                             px_rings &r, bool first, D desc_of) {
  auto slice = [&](unsigned(&f)[4][4], int s) {
    if (s >= 2) { /* slice s - 2's MMAs (which read f) are done: its stage goes back */
      wg_wait<1>();
      r.release_e();
    }
    const int ksn = min(4, (a.CinP - s * 64) >> 4);
#pragma unroll
    for (int ks = 0; ks < 4; ks++)
      if (ks < ksn) ldsm_x4_at(f[ks], arow + (unsigned)(s * 64 + ks * 16) * 2, false);
    mbar_wait(r.fullE + r.se, (unsigned)r.re & 1u);
    wg_fence();
    const unsigned long long d = desc_of(r.se);
#pragma unroll
    for (int ks = 0; ks < 4; ks++)
      if (ks < ksn) wg_mma<N>(h, f[ks], d + ks * KSTEP, s > 0 || ks > 0);
    wg_commit();
    if (++r.se == SE) r.se = 0, r.re++;
  };
  for (int s = 0; s < KS; s += 2) {
    slice(af[0], s);
    if (s + 1 < KS) slice(af[1], s + 1);
  }
  wg_wait<0>();
#pragma unroll
  for (int e = 0; e < N / 8; e++)
#pragma unroll
    for (int q = 0; q < 4; q++) wg_pin(h[e][q]);
  for (int s = KS < 2 ? KS : 2; s > 0; s--) r.release_e();
  if (!first) r.release_p();
}

// The end of the chunks: every projection completed, then the block's end
// for the warp's 16 rows from row0 and NT8 n8 tiles from col0.
template <int NT8>
__device__ __forceinline__ void px_wg_finish(const cuda_px_args &a, const px_pix *pix, int m0,
                                             int row0, int col0, float (&acc)[NT8][4], int hs) {
  wg_wait<0>();
#pragma unroll
  for (int t = 0; t < NT8; t++)
#pragma unroll
    for (int q = 0; q < 4; q++) wg_pin(acc[t][q]);
  px_out_tiles<NT8>(a, pix, m0, row0, col0, acc, hs);
}
#endif

template <int WG, int NT8>
__global__ void __launch_bounds__(px_wg_threads<WG>(), 1)
    px_wg_kernel(const __grid_constant__ CUtensorMap te, const __grid_constant__ CUtensorMap tp,
                 const cuda_px_args a, int total) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int M = 64 * WG, NCOL = 8 * NT8, NB = (NCOL + 63) / 64, CW = WG * 128;
  extern __shared__ __align__(128) unsigned char smem[];
  const int lda = a.CinP + 8;
  __half *sA;
  px_pix *pix;
  px_rings r = px_wg_layout(smem, NB * 8192, SP, 0, M, lda, sA, pix);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int m0 = blockIdx.x * M, n0 = blockIdx.y * NCOL;
  const int nch = cuda_px_chunks(&a), hs = gridDim.z, KS = (a.CinP + 63) / 64;
  const int j0 = (int)blockIdx.z * nch / hs, j1 = ((int)blockIdx.z + 1) * nch / hs;
  if (tid == 0) r.init(CW);
  px_fill_pix(a, pix, m0, M, total);
  __syncthreads();       /* the barriers, the pixel table */
  if (warp >= CW / 32) { /* the producer */
    if constexpr (WG == 2) asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n" ::: "memory");
    if (warp == CW / 32 && lane == 0)
      px_wg_produce(
          r, j0, j1, KS,
          [&](unsigned char *st, int j, int s, unsigned long long *b) {
            tma_load_2d(st, te, j * 64, s * 64, b);
          },
          [&](unsigned char *st, int j, unsigned long long *b) {
#pragma unroll
            for (int k = 0; k < NB; k++) tma_load_2d(st + k * 8192, tp, n0 + k * 64, j * 64, b);
          });
    return;
  }
  if constexpr (WG == 2) asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n" ::: "memory");
  px_wg_prologue(a, pix, sA, lda, M, CW);
  const int r0 = (warp >> 2) * 64 + (warp & 3) * 16, lr = lane & 15, lc = (lane >> 4) * 8;
  const unsigned arow = smem_u32(sA + (r0 + lr) * lda + lc);
  float acc[NT8][4];
#pragma unroll
  for (int t = 0; t < NT8; t++) acc[t][0] = acc[t][1] = acc[t][2] = acc[t][3] = 0.f;
  unsigned af[2][4][4]; /* the A fragments of two 64-channel slices */
  for (int j = j0; j < j1; j++) {
    float h[8][4];
    px_wg_expand<64, 128>(h, af, a, arow, KS, r, j == j0,
                          [&](int st) { return wg_desc(r.sb + st * EST); });
    /* bias + act, packed: n8 tiles 2 s and 2 s + 1 are the A fragment of k16 step s */
    unsigned hf[4][4];
#pragma unroll
    for (int e = 0; e < 8; e++)
#pragma unroll
      for (int hh = 0; hh < 2; hh++)
        hf[e >> 1][(e & 1) * 2 + hh] =
            px_hidden_pair(a, j * 64 + e * 8 + 2 * (lane & 3), h[e][2 * hh], h[e][2 * hh + 1]);
    mbar_wait(r.fullP + r.sp, (unsigned)r.rp & 1u);
    wg_fence();
    const unsigned long long dp = wg_desc(r.p_addr(r.sp));
#pragma unroll
    for (int s = 0; s < 4; s++) wg_mma<NCOL>(acc, hf[s], dp + s * 128, 1);
    wg_commit();
    if (++r.sp == SP) r.sp = 0, r.rp++;
  }
  px_wg_finish<NT8>(a, pix, m0, r0, n0, acc, hs);
#else
  __trap(); /* never launched: cuda_pg_wg_supported() */
#endif
}

// The column-split form (cuda_px_args.wg == 3): two consumer warpgroups share
// 64 pixels and split the NCOL = 2 NW output columns, so a CTA of up to 384
// columns computes the spatial conv and the expand once (px_wg_kernel's
// accumulators cap a warpgroup at 192 columns: ConvNeXt's 384 took two
// splits, each recomputing both). Per chunk of 64 expanded channels:
//   - warpgroup w computes the expanded columns 32 w .. 32 w + 31 of its 64
//     rows (wgmma m64n32k16; A by ldmatrix as in px_wg_kernel, B the We
//     slice's half w, loaded as its own 32-column box with the 64-byte
//     swizzle), adds the bias, applies the activation and stores the fp16
//     pairs into H [64 x 64] in shared memory (K-major, 128-byte swizzle:
//     16-byte piece q of row r at piece q ^ (r & 7));
//   - after the async-proxy fence and a barrier of the 256 consumers, each
//     warpgroup multiplies H (by descriptor) by its NW columns of the
//     chunk's Wp rows (wgmma m64nNWk16, both operands from shared memory).
// H has two buffers: chunk j + 2 rewrites chunk j's only after both
// warpgroups have passed chunk j + 1's barrier, which each reaches after
// the wgmma.wait_group that ends chunk j's projection. The Wp stage holds
// each warpgroup's columns from a 64-column block boundary (NBW blocks a
// warpgroup), so that both descriptors start on a swizzle atom.
template <int NW8>
__global__ void __launch_bounds__(384, 1)
    px_wgn_kernel(const __grid_constant__ CUtensorMap te, const __grid_constant__ CUtensorMap tp,
                  const cuda_px_args a, int total) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  constexpr int M = 64, NW = 8 * NW8, NBW = (NW + 63) / 64, CW = 256, SPN = CUDA_PX_WGN_SP;
  constexpr unsigned PST = 2 * NBW * 8192, HST = 8192;
  extern __shared__ __align__(128) unsigned char smem[];
  const int lda = a.CinP + 8;
  __half *sA;
  px_pix *pix;
  /* two H buffers after the rings */
  px_rings r = px_wg_layout(smem, PST, SPN, 2 * HST, M, lda, sA, pix);
  unsigned char *sH = r.ring + SE * EST + SPN * PST;
  const unsigned sbH = r.sb + SE * EST + SPN * PST;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int m0 = blockIdx.x * M, n0 = blockIdx.y * 2 * NW;
  const int nch = cuda_px_chunks(&a), hs = gridDim.z, KS = (a.CinP + 63) / 64;
  const int j0 = (int)blockIdx.z * nch / hs, j1 = ((int)blockIdx.z + 1) * nch / hs;
  if (tid == 0) r.init(CW);
  px_fill_pix(a, pix, m0, M, total);
  __syncthreads();       /* the barriers, the pixel table */
  if (warp >= CW / 32) { /* the producer warpgroup: one thread issues */
    asm volatile("setmaxnreg.dec.sync.aligned.u32 40;\n" ::: "memory");
    if (warp == CW / 32 && lane == 0)
      px_wg_produce(
          r, j0, j1, KS,
          [&](unsigned char *st, int j, int s, unsigned long long *b) {
            tma_load_2d(st, te, j * 64, s * 64, b);
            tma_load_2d(st + EST / 2, te, j * 64 + 32, s * 64, b);
          },
          [&](unsigned char *st, int j, unsigned long long *b) {
#pragma unroll
            for (int w = 0; w < 2; w++)
#pragma unroll
              for (int k = 0; k < NBW; k++)
                tma_load_2d(st + (w * NBW + k) * 8192, tp, n0 + w * NW + k * 64, j * 64, b);
          });
    return;
  }
  asm volatile("setmaxnreg.inc.sync.aligned.u32 232;\n" ::: "memory");
  px_wg_prologue(a, pix, sA, lda, M, CW);
  const int wg = warp >> 2, r0 = (warp & 3) * 16, lr = lane & 15, lc = (lane >> 4) * 8;
  const unsigned arow = smem_u32(sA + (r0 + lr) * lda + lc);
  float acc[NW8][4];
#pragma unroll
  for (int t = 0; t < NW8; t++) acc[t][0] = acc[t][1] = acc[t][2] = acc[t][3] = 0.f;
  unsigned af[2][4][4];
  for (int j = j0; j < j1; j++) {
    float h[4][4];
    /* this warpgroup's 32 columns of each slice: 64 rows of 64 bytes, 64-byte swizzle */
    px_wg_expand<32, 64>(h, af, a, arow, KS, r, j == j0, [&](int st) {
      return wg_make_desc(r.sb + st * EST + wg * (EST / 2), 64, 512, 2);
    });
    unsigned char *hb = sH + (j & 1) * HST;
#pragma unroll
    for (int e = 0; e < 4; e++)
#pragma unroll
      for (int hh = 0; hh < 2; hh++) {
        const int row = r0 + (lane >> 2) + 8 * hh, k = wg * 32 + e * 8 + 2 * (lane & 3);
        *reinterpret_cast<unsigned *>(hb + row * 128 + (((k >> 3) ^ (row & 7)) << 4) +
                                      (k & 7) * 2) =
            px_hidden_pair(a, j * 64 + k, h[e][2 * hh], h[e][2 * hh + 1]);
      }
    fence_async_shared();
    asm volatile("bar.sync 1, %0;\n" ::"r"(CW) : "memory"); /* both halves of H */
    mbar_wait(r.fullP + r.sp, (unsigned)r.rp & 1u);
    wg_fence();
    const unsigned long long da = wg_make_desc(sbH + (j & 1) * HST, 16, 1024, 1);
    const unsigned long long db = wg_desc(r.p_addr(r.sp) + wg * NBW * 8192);
#pragma unroll
    for (int s = 0; s < 4; s++) wg_mma_ss<NW>(acc, da + s * 2, db + s * 128, 1);
    wg_commit();
    if (++r.sp == SPN) r.sp = 0, r.rp++;
  }
  px_wg_finish<NW8>(a, pix, m0, r0, n0 + wg * NW, acc, hs);
#else
  __trap(); /* never launched: cuda_pg_wg_supported() */
#endif
}

typedef void (*px_wg_fn)(const CUtensorMap, const CUtensorMap, const cuda_px_args, int);

// wg = 1 or 2 consumer warpgroups by nt = 2, 3, 4, 6 (64 to 192 columns);
// wg = 3, the column-split form, by nt = 6, 8, 12 (192 to 384 columns).
px_wg_fn px_wg_fn_of(int wg, int nt) {
  if (wg == 3)
    return nt == 6    ? px_wgn_kernel<12>
           : nt == 8  ? px_wgn_kernel<16>
           : nt == 12 ? px_wgn_kernel<24>
                      : nullptr;
#define PX_WG(N) \
  case N:        \
    return wg == 1 ? px_wg_kernel<1, 4 * N> : px_wg_kernel<2, 4 * N>;
  if (wg != 1 && wg != 2) return nullptr;
  switch (nt) {
    PX_WG(2)
    PX_WG(3)
    PX_WG(4)
    PX_WG(6)
  }
#undef PX_WG
  return nullptr;
}

}  // namespace
}  // namespace bf

// The launch (cuda_px_launch checked the shapes): the weights' tensor maps,
// We [CinP][CmidP] and Wp [CmidP][CoutP] in boxes of 64 x 64 with the
// 128-byte swizzle (boxes past the matrices' edges are zero-filled).
extern "C" int cuda_px_wg_launch(const cuda_px_args *a, int total, unsigned gx, unsigned gy,
                                 unsigned gz, cuda_stream_t st) {
#if defined(BF_WGMMA)
  const bf::px_wg_fn f = bf::px_wg_fn_of(a->wg, a->nt);
  if (!f || a->en != 2 || a->mode != CUDA_PX_MLP || !cuda_pg_wg_supported())
    return (int)cudaErrorInvalidValue;
  CUtensorMap te, tp; /* the column-split form's We halves: 32-column boxes, 64-byte swizzle */
  cudaError_t e =
      a->wg == 3
          ? bf::tensor_map_2d(&te, a->w_exp, a->CinP, a->CmidP, 32, 64, CU_TENSOR_MAP_SWIZZLE_64B)
          : bf::tensor_map_2d(&te, a->w_exp, a->CinP, a->CmidP, 64, 64, CU_TENSOR_MAP_SWIZZLE_128B);
  if (!e)
    e = bf::tensor_map_2d(&tp, a->w_out, a->CmidP, a->CoutP, 64, 64, CU_TENSOR_MAP_SWIZZLE_128B);
  if (e) return (int)e;
  void *args[] = {&te, &tp, const_cast<cuda_px_args *>(a), &total};
  return (int)bf::launch_k((const void *)f, dim3(gx, gy, gz), dim3(cuda_px_threads(a)),
                           cuda_px_smem(a), st, true, args);
#else
  (void)a, (void)total, (void)gx, (void)gy, (void)gz, (void)st;
  return (int)cudaErrorInvalidValue;
#endif
}

extern "C" int cuda_px_wg_set_attrs(int bytes, int carveout) {
#if defined(BF_WGMMA)
  if (!cuda_pg_wg_supported()) return 0; /* no kernel image for this device */
  static const int nts[] = {2, 3, 4, 6}, nts3[] = {6, 8, 12};
  const void *fns[11];
  for (int i = 0; i < 8; i++) fns[i] = (const void *)bf::px_wg_fn_of(1 + i / 4, nts[i % 4]);
  for (int i = 0; i < 3; i++) fns[8 + i] = (const void *)bf::px_wg_fn_of(3, nts3[i]);
  return (int)bf::set_kernel_attrs(fns, 11, bytes, carveout);
#else
  (void)bytes, (void)carveout;
  return 0;
#endif
}
