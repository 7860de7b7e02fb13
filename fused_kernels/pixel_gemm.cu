// GEMMs whose rows are the pixels of the whole batch: [N*P x K] x [K x Nc].
// Two launches use it:
//   - the STAGED pass 2 of a squeeze-excite MBConv block,
//     y = (stage * gate) . W_proj + b (+ res), stage being PASS1's depthwise
//     output [N*Ho*Wo][CmidP] and gate[n][c] the SE kernel's scale;
//   - the head's 1x1 conv -> act -> global mean pool: the epilogue sums each
//     image's rows of act(x . W + b) into pool_sum[n][c] (fp32 atomics), and
//     a small kernel turns the sums into the fp16 means the FC reads.
//
// The image-tile MBConv kernel (mbconv.cu) ran the STAGED pass as one CTA per
// output tile, walking the expanded channels in chunks with a barrier-bound
// gate-then-project step per chunk; on small images (14x14, 7x7) that left
// one CTA of 8 warps per SM holding 9-16 accumulator tiles each, at 24-30 %
// SM throughput. Here a CTA owns BM rows (crossing image boundaries: each
// row's gate and pool slot are its own image's) and BN = 16 * NT8 output
// columns (grid.y splits the columns), and streams K through a 4-stage
// cp.async pipeline of 32-channel slices. Each thread scales the A chunks it
// copied as soon as they land (a thread's own cp.async writes are visible to
// it after the wait), so one barrier per slice publishes the gated slice.
// Without a K split or sefuse the slice's gates come from shared memory: they
// travel a slice ahead, in the previous slice's copy group (pg_load_gates).
// Warps: WM along the rows (32 rows each) by 2 along the columns; m16n8k16
// MMAs from ldmatrix fragments; the epilogue works from the registers.
//
// Small batches (STAGED only): the K slices may be split over a cluster of
// ks CTAs (grid.z). Each streams its share of the slices, writes its fp32
// partial tile over its pipeline buffers, and after a cluster barrier sums
// one band of rows of every peer's partial through distributed shared
// memory, then adds bias and residual: one slice walk of KT / ks instead of
// KT, for two cluster barriers. With sefuse the same clusters replace the
// SE kernel: before the wait for PASS1 each CTA copies the SE weights of its
// K range into shared memory; after it, the channel means of its rows'
// images, its part of the reduce FC, a cluster barrier, the whole reduce
// (peers' parts read through distributed shared memory) and the gates of its
// K range, which the main loop then reads from shared memory.
//
// Two more forms of the STAGED pass 2 without a K split or sefuse follow:
// the streaming one (persistent CTAs walking many row tiles through one
// pipeline: pixel_gemm_stream_kernel) and the one fed by bulk tensor copies
// (sm_90: pixel_gemm_bulk_kernel, the gates applied in the registers). The
// tuner times every form.
#include <cooperative_groups.h>
#include <cuda.h>
#include <cudaTypedefs.h>
#include <cuda_runtime.h>

#include <utility>

#include "fused_kernels/pixel_gemm.cuh"

namespace bf {

namespace cgr = cooperative_groups;

constexpr int GP_BK = 32;         /* K slice per pipeline stage */
constexpr int GP_STAGES = 4;      /* slices in flight */
constexpr int GP_LDA = GP_BK + 8; /* A row pitch in halves: ldmatrix without bank conflicts */

// sefuse (sums non-NULL; PG_CLUSTER only): the gates from PASS1's per-tile
// channel sums [images][se_tiles][K] and the SE weights (cuda_mbconv_args'
// layouts). A second kernel parameter: a larger pg_params made the other
// instantiations allocate more registers.
struct pg_se_params {
  const float *sums;
  const __half *w_ser, *w_see;
  const float *b_ser, *b_see;
  int se_tiles, se_c, se_act, Cmid;
};

// (h0..h7) *= (g0..g7), on fp16 pairs.
__device__ __forceinline__ uint4 gate8(uint4 u, float4 g0, float4 g1) {
  __half2 *h = reinterpret_cast<__half2 *>(&u);
  h[0] = __hmul2(h[0], __floats2half2_rn(g0.x, g0.y));
  h[1] = __hmul2(h[1], __floats2half2_rn(g0.z, g0.w));
  h[2] = __hmul2(h[2], __floats2half2_rn(g1.x, g1.y));
  h[3] = __hmul2(h[3], __floats2half2_rn(g1.z, g1.w));
  return u;
}

// The weights' rows k0 .. k0 + 31, columns n0 .. n0 + BN - 1, into one
// pipeline stage bs (rows padded by 8 halves), zero past K and N; the CTA's
// THREADS threads share the 16-byte copies. Both GEMM kernels load B so.
// Where the threads divide into whole rows of 16-byte pieces, each keeps one
// column and steps over rows with one pointer: the head's GEMM (K = 320, ten
// slices per CTA) spent a third of its instructions on the per-copy
// division and 64-bit row arithmetic (s18c1).
template <int BN, int THREADS>
__device__ __forceinline__ void pg_load_b(__half *bs, const pg_params &p, int k0, int n0, int tid) {
  constexpr int LDB = BN + 8, V = BN / 8;
  if constexpr (THREADS % V == 0) {
    constexpr int RS = THREADS / V; /* rows per pass of the CTA */
    const int r0 = tid / V, c = (tid - r0 * V) * 8;
    const bool cok = n0 + c < p.N;
    const __half *src = p.b + (size_t)(k0 + r0) * p.N + n0 + c;
#pragma unroll
    for (int r = r0; r < GP_BK; r += RS, src += (size_t)RS * p.N) {
      const bool v = cok && k0 + r < p.K;
      cp_async16_zfill(bs + r * LDB + c, v ? src : p.b, v);
    }
  } else {
    for (int i = tid; i < GP_BK * V; i += THREADS) {
      const int r = i / V, c = (i % V) * 8;
      const bool v = k0 + r < p.K && n0 + c < p.N;
      cp_async16_zfill(bs + r * LDB + c, v ? p.b + (size_t)(k0 + r) * p.N + n0 + c : p.b, v);
    }
  }
}

// The 32 gates of the slice at channel k0 for the tile's ni images from i0
// (p.gate rows of K), into one gate stage gs ([images][32] floats), zero
// past K; 16-byte copies shared by the CTA's threads.
__device__ __forceinline__ void pg_load_gates(float *gs, const pg_params &p, int i0, int ni, int k0,
                                              int tid, int threads) {
  for (int i = tid; i < ni * (GP_BK / 4); i += threads) {
    const int im = i / (GP_BK / 4), c = (i % (GP_BK / 4)) * 4;
    const bool v = k0 + c < p.K;
    cp_async16_zfill(gs + im * GP_BK + c, v ? p.gate + (size_t)(i0 + im) * p.K + k0 + c : p.gate,
                     v);
  }
}

// One fp16 pair of output row `row`, columns col, col + 1 (the padded
// columns >= Nvalid written as 0): both GEMMs' store epilogues end here.
__device__ __forceinline__ void pg_store_pair(const pg_params &p, int row, int col, float v0,
                                              float v1) {
  if (col >= p.Nvalid) v0 = 0.f;
  if (col + 1 >= p.Nvalid) v1 = 0.f;
  *reinterpret_cast<__half2 *>(p.y + (size_t)row * p.N + col) = __floats2half2_rn(v0, v1);
}

// Where pg_mma_slice finds an operand's 16-byte row pieces in a stage:
// a(as, r, c) the A slice's row r from channel c, b(bs, k, c) the weight
// slice's row k from column c (c a multiple of 8). pg_pad: rows padded by
// 8 halves (A [BM][GP_LDA], B [GP_BK][BN + 8]), the cp.async kernels'.
// pg_swz: as the bulk tensor copies of pixel_gemm_bulk_kernel lay them out:
// A [BM][32] with the 64-byte swizzle (16-byte piece q of row r at q ^
// (r / 2 % 4)), B in 16-column blocks [BN / 16][32][16] with the 32-byte
// swizzle (piece q of row k at q ^ (k / 4 % 2)); ldmatrix's 8 rows of one
// piece then fall on 8 distinct bank groups.
template <int NT8>
struct pg_pad {
  static __device__ __forceinline__ const __half *a(const __half *as, int r, int c) {
    return as + (size_t)r * GP_LDA + c;
  }
  static __device__ __forceinline__ const __half *b(const __half *bs, int k, int c) {
    return bs + (size_t)k * (NT8 * 16 + 8) + c;
  }
};
template <int NT8>
struct pg_swz {
  static __device__ __forceinline__ const __half *a(const __half *as, int r, int c) {
    return as + r * 32 + (((c >> 3) ^ ((r >> 1) & 3)) << 3);
  }
  static __device__ __forceinline__ const __half *b(const __half *bs, int k, int c) {
    return bs + (c >> 4) * 512 + k * 16 + ((((c >> 3) & 1) ^ ((k >> 2) & 1)) << 3);
  }
};

// One k16 step's MMAs of a warp's two A fragments af by its NT8 column
// tiles, whose B fragments ldmatrix loads from the shared-window addresses
// bpair(j) (x4.trans: column tiles j and j + 1) and btail() (x2.trans: the
// odd last one).
template <int NT8, class BP, class BT>
__device__ __forceinline__ void pg_mma_b(float (&acc)[2][NT8][4], const unsigned (&af)[2][4],
                                         const BP &bpair, const BT &btail) {
#pragma unroll
  for (int j = 0; j + 1 < NT8; j += 2) {
    unsigned bf[4];
    ldsm_x4_at(bf, bpair(j), true);
#pragma unroll
    for (int mi = 0; mi < 2; mi++) {
      mma16816(acc[mi][j], af[mi], bf[0], bf[1]);
      mma16816(acc[mi][j + 1], af[mi], bf[2], bf[3]);
    }
  }
  if (NT8 % 2) {
    unsigned bf[2];
    ldsm_x2_trans_at(bf, btail());
#pragma unroll
    for (int mi = 0; mi < 2; mi++) mma16816(acc[mi][NT8 - 1], af[mi], bf[0], bf[1]);
  }
}

// One warp's share of one 32-channel slice in shared memory (layout L): its
// two 16-row A tiles (rows wm * 32 ..) by its NT8 n8 column tiles of B
// (columns wn * NT8 * 8 ..), m16n8k16 MMAs from ldmatrix fragments into acc.
// GATE: each A fragment is scaled in the registers by g[mi][h] (the fp16
// gate pairs of the lane's row g + 8 h of tile mi: words 2 ks16 and
// 2 ks16 + 1 for its channels 2t and 8 + 2t of each 16-channel step).
template <int NT8, bool GATE = false, class L = pg_pad<NT8>>
__device__ __forceinline__ void pg_mma_slice(float (&acc)[2][NT8][4], const __half *as,
                                             const __half *bs, int wm, int wn, int lrow, int lcol,
                                             const unsigned (*g)[2][4] = nullptr) {
#pragma unroll
  for (int ks16 = 0; ks16 < GP_BK / 16; ks16++) {
    unsigned af[2][4];
#pragma unroll
    for (int mi = 0; mi < 2; mi++) {
      ldsm_x4(af[mi], L::a(as, wm * 32 + mi * 16 + lrow, ks16 * 16 + lcol), false);
      if constexpr (GATE) pg_gate_af(af[mi], g[mi], ks16);
    }
    const int kr = ks16 * 16 + lrow, c0 = wn * NT8 * 8;
    pg_mma_b<NT8>(
        acc, af, [&](int j) { return smem_u32(L::b(bs, kr, c0 + j * 8 + lcol)); },
        [&] { return smem_u32(L::b(bs, kr, c0 + (NT8 - 1) * 8)); });
  }
}

// The bulk-copy GEMMs' slices (pg_swz stages) from shared-window byte
// addresses. A lane's ldmatrix rows lie at offsets from the stage that no
// slice changes, so pg_swz_lane works them out once per thread: the 64-byte
// swizzle of A depends only on the lane's row within 8 (rows 16 mi apart
// are 1024 bytes apart), and B's 32-byte swizzle only on the lane's k within
// 8 and the warp's first column, so a pair of column tiles adds 1024 bytes
// and a k16 step 512. pg_mma_slice with pg_swz recomputed the swizzles of
// every fragment in every slice: ~80 of a warp's ~160 instructions per slice
// in the 7x7 blocks' pass 2 (s18c2).
template <int NT8>
struct pg_swz_lane {
  unsigned a;  /* A tile 0 of k16 step 0; step 1's piece is step 0's ^ 2, 32 bytes */
  unsigned b;  /* B's first pair of column tiles, k16 step 0 (x4.trans) */
  unsigned bt; /* B's odd last column tile, k16 step 0 (x2.trans) */
  __device__ __forceinline__ pg_swz_lane(int wm, int wn, int lane) {
    const int lrow = lane & 15, hi = lane >> 4, x = (lrow >> 1) & 3, kb = (lrow >> 2) & 1;
    const int r = wm * 32 + lrow; /* pg_swz::a: piece (c >> 3) ^ (r >> 1 & 3) */
    a = 2u * (r * 32 + ((hi ^ x) << 3));
    const int c = wn * NT8 * 8 + hi * 8, ct = wn * NT8 * 8 + (NT8 - 1) * 8; /* pg_swz::b */
    b = 2u * ((c >> 4) * 512 + lrow * 16 + ((((c >> 3) & 1) ^ kb) << 3));
    bt = 2u * ((ct >> 4) * 512 + lrow * 16 + ((((ct >> 3) & 1) ^ kb) << 3));
  }
};

// pg_mma_slice<NT8, true, pg_swz<NT8>> on the stages at byte addresses as
// (A) and bs (B), with the lane's offsets o.
template <int NT8>
__device__ __forceinline__ void pg_mma_slice_swz(float (&acc)[2][NT8][4], unsigned as, unsigned bs,
                                                 const pg_swz_lane<NT8> &o,
                                                 const unsigned (*g)[2][4]) {
#pragma unroll
  for (int ks16 = 0; ks16 < GP_BK / 16; ks16++) {
    unsigned af[2][4];
#pragma unroll
    for (int mi = 0; mi < 2; mi++) {
      /* the stages are 1024-byte aligned, so the xor of the piece bits is the sum's */
      ldsm_x4_at(af[mi], ((as + o.a) ^ (ks16 * 32)) + mi * 1024, false);
      pg_gate_af(af[mi], g[mi], ks16);
    }
    pg_mma_b<NT8>(
        acc, af, [&](int j) { return bs + o.b + (j / 2) * 1024 + ks16 * 512; },
        [&] { return bs + o.bt + ks16 * 512; });
  }
}

// A warp's accumulators (pg_mma_slice's acc) to zero.
template <int NT8>
__device__ __forceinline__ void pg_zero_acc(float (&acc)[2][NT8][4]) {
#pragma unroll
  for (int i = 0; i < 2; i++)
#pragma unroll
    for (int j = 0; j < NT8; j++) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.f;
}

// Registers: <= 128 per thread (2 CTAs of 256 threads or 4 of 128 per SM);
// <= 64 for NT8 <= 2, whose accumulators are few, so that twice the CTAs
// keep loads in flight (the narrow GEMMs of the large-image blocks are
// latency-bound); twice as many for PG_CLUSTER, whose grids are under a
// wave (its SE and split-K code spilled in the narrow instantiations).
// MODE: PG_STORE (y = ...), PG_POOL (the head), PG_CLUSTER (y = ..., with the
// K split and sefuse: its own instantiations, so that the others keep their
// registers and code).
enum { PG_STORE = 0, PG_POOL = 1, PG_CLUSTER = 2 };
template <int WM, int NT8, int MODE>
__global__ void __launch_bounds__(WM * 64,
                                  (NT8 <= 2 ? 1024 : 512) / (WM * 64) / (MODE == 2 ? 2 : 1))
    pixel_gemm_kernel(const pg_params p, const pg_se_params se) {
  constexpr bool POOL = MODE == PG_POOL, CL = MODE == PG_CLUSTER;
  constexpr int THREADS = WM * 64, BM = WM * 32, BN = NT8 * 16, LDB = BN + 8;
  constexpr int ROWS_PER_PASS = THREADS / 4; /* an A slice row is 4 chunks of 8 channels */
  constexpr int A_PER = BM / ROWS_PER_PASS;  /* A chunks per thread per slice (2) */
  extern __shared__ __align__(128) unsigned char smem[];
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = warp % WM, wn = warp / WM;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN;
  const int K = p.K, KTA = (K + GP_BK - 1) / GP_BK;
  /* the K split: this CTA's slices kt0 .. kt0 + KT - 1 (all of them when ks = 1),
     and the band of rows rb0 .. rb1 - 1 whose epilogue it does */
  const int ks = CL ? (int)gridDim.z : 1, kz = CL ? (int)blockIdx.z : 0;
  const int kt0 = kz * KTA / ks, KT = (kz + 1) * KTA / ks - kt0, kbase = kt0 * GP_BK;
  const int rb0 = kz * BM / ks, rb1 = (kz + 1) * BM / ks;
  __half *As = reinterpret_cast<__half *>(smem);     /* [STAGES][BM][LDA] */
  __half *Bs = As + (size_t)GP_STAGES * BM * GP_LDA; /* [STAGES][BK][LDB] */
  const size_t main_bytes = cuda_pg_main_bytes(BM, NT8, ks);
  __half *Rs = reinterpret_cast<__half *>(smem + main_bytes); /* [BM][LDB]: the residual tile */
  /* sefuse: the SE region after the residual tile (cuda_pg_se_layout) */
  const bool sef = CL && se.sums != nullptr;
  cuda_pg_se_layout L = {};
  if (sef) cuda_pg_se_layout_of(K, ks, se.se_c, BM, p.HW, &L);
  unsigned char *se_smem = smem + main_bytes + (p.res ? (size_t)BM * LDB * 2 : 0);
  __half *wr_s = reinterpret_cast<__half *>(se_smem + L.wr);
  __half *we_s = reinterpret_cast<__half *>(se_smem + L.we);
  float *gate_s = reinterpret_cast<float *>(se_smem + L.gate);
  float *rpart_s = reinterpret_cast<float *>(se_smem + L.rpart);
  float *r_s = reinterpret_cast<float *>(se_smem + L.r);
  const int i0 = m0 / p.HW;                          /* the tile's first image */
  const int nk = min(K, (kt0 + KT) * GP_BK) - kbase; /* this CTA's channels */
  /* PG_STORE: the gates travel a slice ahead into gate stages after the
     residual tile (cuda_pg_gate_bytes), gimgs images a stage */
  const bool gst = MODE == PG_STORE && p.gate;
  const int gimgs = cuda_pg_gate_imgs(BM, p.HW);
  const int ni = min(m0 + BM - 1, p.M - 1) / p.HW - i0 + 1; /* the tile's images */
  float *gst_s = reinterpret_cast<float *>(se_smem);

  /* this thread's A chunks: rows tid / 4 + i * ROWS_PER_PASS, channels ac..ac+7 of each slice;
     their gates at goff in gate_s (sef) or in a gate stage, or (a K split without sefuse)
     from global memory at grow */
  const int ac = (tid & 3) * 8, gld = sef ? L.kr : GP_BK;
  const __half *arow[A_PER];
  const float *grow[A_PER];
  int goff[A_PER];
  bool aok[A_PER];
#pragma unroll
  for (int i = 0; i < A_PER; i++) {
    const int r = m0 + tid / 4 + i * ROWS_PER_PASS;
    aok[i] = r < p.M;
    const int rr = aok[i] ? r : 0;
    arow[i] = p.a + (size_t)rr * K + ac;
    grow[i] = CL && p.gate ? p.gate + (size_t)(rr / p.HW) * K + ac : nullptr;
    goff[i] = aok[i] ? (r / p.HW - i0) * gld + ac : 0;
  }

  /* the A and weight slices of local slice kt */
  auto issue_a = [&](int kt) {
    const int k0 = kbase + kt * GP_BK, buf = kt % GP_STAGES;
    __half *as = As + (size_t)buf * BM * GP_LDA;
#pragma unroll
    for (int i = 0; i < A_PER; i++) {
      const bool v = aok[i] && k0 + ac < K;
      cp_async16_zfill(as + (size_t)(tid / 4 + i * ROWS_PER_PASS) * GP_LDA + ac,
                       v ? arow[i] + k0 : p.a, v);
    }
  };
  auto issue_b = [&](int kt) {
    pg_load_b<BN, THREADS>(Bs + (size_t)(kt % GP_STAGES) * GP_BK * LDB, p, kbase + kt * GP_BK, n0,
                           tid);
  };
  /* the gates of local slice kt for the tile's images, into gate stage kt % STAGES */
  auto issue_g = [&](int kt) {
    if (gst && kt < KT)
      pg_load_gates(gst_s + (size_t)(kt % GP_STAGES) * gimgs * GP_BK, p, i0, ni, kbase + kt * GP_BK,
                    tid, THREADS);
  };

  float acc[2][NT8][4];
  pg_zero_acc(acc);

  /* The first slices' weights go before the wait for the previous launch,
     and with sefuse the SE weights of this CTA's K range (their own commit
     group, ahead of slice 0's). The residual band travels with slice 0, so
     the epilogue does not wait for it (slice 0's barrier publishes it). */
#pragma unroll
  for (int s = 0; s < GP_STAGES - 1; s++)
    if (s < KT) issue_b(s);
  if (sef) {
    const int n8 = nk / 8;
    for (int i = tid; i < nk * (L.sep / 8); i += THREADS)
      cp_async16(wr_s + (size_t)i * 8, se.w_ser + (size_t)kbase * L.sep + (size_t)i * 8);
    for (int i = tid; i < se.se_c * n8; i += THREADS) {
      const int j = i / n8, c = (i - j * n8) * 8;
      cp_async16(we_s + (size_t)j * L.kr + c, se.w_see + (size_t)j * K + kbase + c);
    }
    cp_async_commit();
  }
  pdl_wait();
  if (!POOL && p.res)
    for (int i = tid; i < (rb1 - rb0) * (BN / 8); i += THREADS) {
      const int r = rb0 + i / (BN / 8), c = (i % (BN / 8)) * 8;
      const bool v = m0 + r < p.M && n0 + c < p.N;
      cp_async16_zfill(Rs + r * LDB + c, v ? p.res + (size_t)(m0 + r) * p.N + n0 + c : p.res, v);
    }
  /* slice s's group carries the gates of slice s + 1 (its barrier publishes
     them before their use), the first group slice 0's too */
  issue_g(0);
#pragma unroll
  for (int s = 0; s < GP_STAGES - 1; s++) {
    if (s < KT) issue_a(s), issue_g(s + 1);
    cp_async_commit();
  }
  if (sef) { /* the gates of the tile's images over this CTA's channels, while A lands */
    const int ni = min(m0 + BM - 1, p.M - 1) / p.HW - i0 + 1;
    float *mean_s = gate_s; /* the means, until the gates replace them */
    const float inv = 1.f / (float)p.HW;
    for (int i = tid; i < ni * nk; i += THREADS) {
      const int im = i / nk, c = i - im * nk;
      const float *sp = se.sums + (size_t)(i0 + im) * se.se_tiles * K + kbase + c;
      float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
      int t = 0;
      for (; t + 4 <= se.se_tiles; t += 4) {
        s0 += sp[(size_t)t * K], s1 += sp[(size_t)(t + 1) * K];
        s2 += sp[(size_t)(t + 2) * K], s3 += sp[(size_t)(t + 3) * K];
      }
      for (; t < se.se_tiles; t++) s0 += sp[(size_t)t * K];
      mean_s[im * L.kr + c] = ((s0 + s1) + (s2 + s3)) * inv;
    }
    cp_async_wait<GP_STAGES - 1>(); /* the SE weights (the A slices may be in flight) */
    __syncthreads();
    /* this CTA's part of the reduce FC, rpart[im][j] = sum_c mean[im][c] Wr[c][j]:
       T lanes per output (a power of two), then a shuffle sum */
    const int O = ni * se.se_c;
    int T = 32;
    while (T > 1 && T * O > THREADS) T >>= 1;
    for (int o0 = 0; o0 < O; o0 += THREADS / T) {
      const int o = o0 + tid / T, g = tid & (T - 1), im = o / se.se_c, j = o - im * se.se_c;
      float s = 0.f;
      if (o < O)
        for (int c = g; c < nk; c += T)
          s = fmaf(mean_s[im * L.kr + c], __half2float(wr_s[c * L.sep + j]), s);
      for (int off = T / 2; off; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
      if (o < O && g == 0) rpart_s[im * L.sep + j] = s;
    }
    cgr::cluster_group cluster = cgr::this_cluster();
    cluster.sync(); /* every CTA's part is written */
    for (int o = tid; o < O; o += THREADS) {
      const int im = o / se.se_c, j = o - im * se.se_c;
      float s = se.b_ser[j];
      for (int q = 0; q < ks; q++) s += cluster.map_shared_rank(rpart_s, q)[im * L.sep + j];
      r_s[im * L.sep + j] = act_apply(s, se.se_act);
    }
    __syncthreads();
    for (int i = tid; i < ni * nk; i += THREADS) {
      const int im = i / nk, c = i - im * nk;
      float s = se.b_see[kbase + c];
      for (int j = 0; j < se.se_c; j++)
        s = fmaf(r_s[im * L.sep + j], __half2float(we_s[(size_t)j * L.kr + c]), s);
      gate_s[im * L.kr + c] = kbase + c < se.Cmid ? sigmoid_fast(s) : 0.f;
    }
    __syncthreads(); /* the gates are in place before slice 0 is gated */
  }
  const int lrow = lane & 15, lcol = (lane >> 4) * 8;
  for (int kt = 0; kt < KT; kt++) {
    const int k0 = kbase + kt * GP_BK, buf = kt % GP_STAGES;
    __half *as = As + (size_t)buf * BM * GP_LDA;
    const __half *bs = Bs + (size_t)buf * GP_BK * LDB;
    if (sef || p.gate) {
      /* the gates of this slice: from shared memory (sefuse's gate_s, or the gate stage
         that slice kt - 1's group filled), or from L1 / L2 while the slice may still be
         in flight */
      if (gst && kt == 0) { /* slice 0's gates (later ones: the previous barrier) */
        cp_async_wait<GP_STAGES - 2>();
        __syncthreads();
      }
      const float *gsl = sef ? gate_s + (k0 - kbase) : gst_s + (size_t)buf * gimgs * GP_BK;
      float4 g[A_PER][2];
#pragma unroll
      for (int i = 0; i < A_PER; i++) {
        const bool v = aok[i] && k0 + ac < K;
        const float4 z = make_float4(0.f, 0.f, 0.f, 0.f);
        if (sef || gst) {
          const float4 *gs = reinterpret_cast<const float4 *>(gsl + goff[i]);
          g[i][0] = v ? gs[0] : z, g[i][1] = v ? gs[1] : z;
        } else {
          g[i][0] = v ? __ldg(reinterpret_cast<const float4 *>(grow[i] + k0)) : z;
          g[i][1] = v ? __ldg(reinterpret_cast<const float4 *>(grow[i] + k0 + 4)) : z;
        }
      }
      cp_async_wait<GP_STAGES - 2>(); /* this thread's copies of slice kt landed */
#pragma unroll
      for (int i = 0; i < A_PER; i++) {
        uint4 *q =
            reinterpret_cast<uint4 *>(as + (size_t)(tid / 4 + i * ROWS_PER_PASS) * GP_LDA + ac);
        *q = gate8(*q, g[i][0], g[i][1]);
      }
    } else {
      cp_async_wait<GP_STAGES - 2>();
    }
    __syncthreads(); /* slice kt gated and visible; every warp is done with slice kt - 1 */
    if (kt + GP_STAGES - 1 < KT) { /* into slice kt - 1's buffer (the gates: slice kt's) */
      issue_a(kt + GP_STAGES - 1);
      issue_b(kt + GP_STAGES - 1);
      issue_g(kt + GP_STAGES);
    }
    cp_async_commit();
    pg_mma_slice<NT8>(acc, as, bs, wm, wn, lrow, lcol);
  }
  cp_async_wait0();
  pdl_trigger(); /* the next launch's CTAs may take the SMs as this grid ends */

  // Epilogue from the registers: lane holds rows g and g + 8 of each of its
  // two 16-row tiles (mi), columns 2t and 2t + 1 of each n8 tile (j). An n8
  // tile lies wholly inside or outside N (N is a multiple of 16).
  const int gr = lane >> 2, gc = (lane & 3) * 2, wr0 = m0 + wm * 32;
  /* (+ residual from Rs), columns >= Nvalid forced to zero, one fp16 pair */
  auto store2 = [&](int row, int col, float v0, float v1) {
    if (p.res) {
      const float2 r =
          __half22float2(*reinterpret_cast<const __half2 *>(Rs + (row - m0) * LDB + col - n0));
      v0 += r.x, v1 += r.y;
    }
    pg_store_pair(p, row, col, v0, v1);
  };
  if constexpr (POOL) {
    pg_pool_acc<2, NT8>(p, acc, wr0, n0 + wn * NT8 * 8, gc, lane);
  } else if (CL && ks > 1) {
    // K split: the fp32 partial tile over the pipeline buffers, then this
    // CTA's band of rows summed over the cluster's partials in rank order.
    constexpr int LDP = BN + 8; /* 8 rows of a warp's float2 stores hit 32 distinct banks */
    float *Ps = reinterpret_cast<float *>(smem);
    cgr::cluster_group cluster = cgr::this_cluster();
    __syncthreads(); /* every warp is done with the last slice's buffers */
#pragma unroll
    for (int j = 0; j < NT8; j++)
#pragma unroll
      for (int mi = 0; mi < 2; mi++)
#pragma unroll
        for (int h = 0; h < 2; h++)
          *reinterpret_cast<float2 *>(Ps + (wm * 32 + mi * 16 + gr + h * 8) * LDP + wn * NT8 * 8 +
                                      j * 8 + gc) =
              make_float2(acc[mi][j][2 * h], acc[mi][j][2 * h + 1]);
    cluster.sync(); /* every partial tile is written */
    for (int i = tid; i < (rb1 - rb0) * (BN / 2); i += THREADS) {
      const int rl = rb0 + i / (BN / 2), cl = (i % (BN / 2)) * 2;
      if (m0 + rl >= p.M || n0 + cl >= p.N) continue;
      float v0 = p.bias[n0 + cl], v1 = p.bias[n0 + cl + 1];
      for (int q = 0; q < ks; q++) {
        const float2 v =
            *reinterpret_cast<const float2 *>(cluster.map_shared_rank(Ps, q) + rl * LDP + cl);
        v0 += v.x, v1 += v.y;
      }
      store2(m0 + rl, n0 + cl, v0, v1);
    }
    cluster.sync(); /* the peers are done reading this CTA's partial tile */
  } else {
    pg_store_acc<NT8>(p, acc, wr0, n0 + wn * NT8 * 8, gr, gc, [&](int row, int col, int) {
      return *reinterpret_cast<const __half2 *>(Rs + (row - m0) * LDB + col - n0);
    });
  }
}

// The STAGED pass 2 as a persistent GEMM (cuda_mbconv_args.stream): CTA b
// of a column split takes the row tiles b, b + gridDim.x, ...; the slices
// of all its tiles are one sequence through the 4-stage pipeline, so the
// next tile's A slices are in flight while this tile's last ones multiply
// and its epilogue stores. The large-image blocks have 1-9 slices per row
// tile, and a CTA per tile paid the pipeline's fill and drain, its set-up
// and a reload of the weights for each. BRES (cuda_pg_stream_bres): the
// weights [K][BN] are loaded once, before the wait for the previous launch,
// into shared memory, where they stay; else a slice of them travels with
// each A slice. The residual is read in the epilogue, all its loads first.
// Registers: <= 80 for NT8 <= 2 (3 CTAs of 256 threads per SM; at 64, as
// the per-tile kernel's narrow instantiations, the two cursors spilled),
// <= 128 above.
template <int WM, int NT8, bool BRES>
__global__ void __launch_bounds__(WM * 64, (NT8 <= 2 ? 768 : 512) / (WM * 64))
    pixel_gemm_stream_kernel(const pg_params p) {
  constexpr int THREADS = WM * 64, BM = WM * 32, BN = NT8 * 16, LDB = BN + 8;
  constexpr int ROWS_PER_PASS = THREADS / 4, A_PER = BM / ROWS_PER_PASS;
  extern __shared__ __align__(128) unsigned char smem[];
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = warp % WM, wn = warp / WM;
  const int n0 = blockIdx.y * BN, K = p.K, KT = (K + GP_BK - 1) / GP_BK;
  const int b0 = blockIdx.x, nb = gridDim.x, mtiles = (p.M + BM - 1) / BM;
  const int ntl = b0 < mtiles ? (mtiles - 1 - b0) / nb + 1 : 0; /* this CTA's row tiles */
  const int total = ntl * KT;                                   /* ... and their slices */
  __half *As = reinterpret_cast<__half *>(smem);                /* [STAGES][BM][LDA] */
  __half *Bs =
      As + (size_t)GP_STAGES * BM * GP_LDA; /* BRES: [KT * BK][LDB], else [STAGES][BK][LDB] */
  const int ac = (tid & 3) * 8, ar = tid / 4;
  const fdiv hwd(p.HW); /* a row's image, per tile, without a division */

  if (BRES) {
    for (int kt = 0; kt < KT; kt++)
      pg_load_b<BN, THREADS>(Bs + (size_t)kt * GP_BK * LDB, p, kt * GP_BK, n0, tid);
    cp_async_commit(); /* the oldest group: complete at the first slice's wait */
  }
  /* The issuing side runs GP_STAGES - 1 slices ahead of the consuming side, so
     each keeps its own tile's rows: this thread's A chunks (issuing) and their
     images' gates (consuming), both from tile_rows. */
  int ii = 0, ikt = 0, is = 0;
  const __half *arow[A_PER];
  const float *grow[A_PER];
  bool aok[A_PER], gok[A_PER];
  /* this thread's rows of local tile i: ok[j] whether row j exists, and where its
     A chunk (ap) or its image's gates (gp) start, whichever is asked for */
  auto tile_rows = [&](int i, bool *ok, const __half **ap, const float **gp) {
    const int m0 = (b0 + i * nb) * BM;
#pragma unroll
    for (int j = 0; j < A_PER; j++) {
      const int r = m0 + ar + j * ROWS_PER_PASS, rr = r < p.M ? r : 0;
      ok[j] = r < p.M;
      if (ap) ap[j] = p.a + (size_t)rr * K + ac;
      if (gp) gp[j] = p.gate ? p.gate + (size_t)hwd.q(rr) * K + ac : nullptr;
    }
  };
  /* slice ikt of local tile ii into stage is % STAGES, then the cursor moves on */
  auto issue = [&]() {
    const int k0 = ikt * GP_BK, buf = is % GP_STAGES;
    __half *as = As + (size_t)buf * BM * GP_LDA;
#pragma unroll
    for (int j = 0; j < A_PER; j++) {
      const bool v = aok[j] && k0 + ac < K;
      cp_async16_zfill(as + (size_t)(ar + j * ROWS_PER_PASS) * GP_LDA + ac, v ? arow[j] + k0 : p.a,
                       v);
    }
    if (!BRES) pg_load_b<BN, THREADS>(Bs + (size_t)buf * GP_BK * LDB, p, k0, n0, tid);
    is++;
    if (++ikt == KT) {
      ikt = 0;
      if (++ii < ntl) tile_rows(ii, aok, arow, nullptr);
    }
  };

  pdl_wait();
  if (ntl > 0) tile_rows(0, aok, arow, nullptr), tile_rows(0, gok, nullptr, grow);
#pragma unroll
  for (int s = 0; s < GP_STAGES - 1; s++) {
    if (s < total) issue();
    cp_async_commit();
  }
  float acc[2][NT8][4];
  pg_zero_acc(acc);
  const int lrow = lane & 15, lcol = (lane >> 4) * 8, gr = lane >> 2, gc = (lane & 3) * 2;
  int ci = 0, ckt = 0;
  for (int s = 0; s < total; s++) {
    const int k0 = ckt * GP_BK, buf = s % GP_STAGES;
    __half *as = As + (size_t)buf * BM * GP_LDA;
    if (p.gate) { /* the slice's gates (L1 / L2) while its data may still be in flight */
      float4 g[A_PER][2];
#pragma unroll
      for (int j = 0; j < A_PER; j++) {
        const bool v = gok[j] && k0 + ac < K;
        const float4 z = make_float4(0.f, 0.f, 0.f, 0.f);
        g[j][0] = v ? __ldg(reinterpret_cast<const float4 *>(grow[j] + k0)) : z;
        g[j][1] = v ? __ldg(reinterpret_cast<const float4 *>(grow[j] + k0 + 4)) : z;
      }
      cp_async_wait<GP_STAGES - 2>(); /* this thread's copies of slice s landed */
#pragma unroll
      for (int j = 0; j < A_PER; j++) {
        uint4 *q = reinterpret_cast<uint4 *>(as + (size_t)(ar + j * ROWS_PER_PASS) * GP_LDA + ac);
        *q = gate8(*q, g[j][0], g[j][1]);
      }
    } else {
      cp_async_wait<GP_STAGES - 2>();
    }
    __syncthreads(); /* slice s gated and visible; every warp is done with slice s - 1 */
    if (s + GP_STAGES - 1 < total) issue(); /* into slice s - 1's stage */
    cp_async_commit();
    const __half *bs = BRES ? Bs + (size_t)k0 * LDB : Bs + (size_t)buf * GP_BK * LDB;
    pg_mma_slice<NT8>(acc, as, bs, wm, wn, lrow, lcol);
    if (++ckt < KT) continue;
    {
      const int wr0 = (b0 + ci * nb) * BM + wm * 32, c0 = n0 + wn * NT8 * 8;
      pg_store_acc<NT8>(p, acc, wr0, c0, gr, gc, pg_res_global(p, wr0, c0 + gc));
    }
    pg_zero_acc(acc);
    ckt = 0;
    if (++ci < ntl) tile_rows(ci, gok, nullptr, grow);
  }
  cp_async_wait0();
  pdl_trigger();
}

// The per-tile STAGED pass 2 fed by bulk tensor copies (cuda_mbconv_args.
// bulk; sm_90). The profile of pixel_gemm_kernel on the 7x7 blocks put 40 %
// of its instructions into issuing each slice's 16-byte cp.async copies (the
// address and bounds arithmetic of 5-6 per thread) and 15 % into gating the
// A chunks in shared memory. Here thread 0 moves a whole slice with 1 +
// NT8 cp.async.bulk.tensor copies (the A rows x 32 channels, and the weight
// slice in 16-column blocks; tensor maps from cuda_gate_proj_launch, which
// fill rows past M and columns past N with zeros), completing on the stage's
// mbarrier; a last slice past K reads zeros too. The gates of the tile's
// images (at most cuda_pg_gate_imgs of them, K rounded up to whole slices,
// zeros past K) are converted to fp16 once per CTA into shared memory,
// ordered so that one 16-byte load gives a lane the 8 gates its A fragments
// of a slice take, and scale the fragments in the registers
// (pg_mma_slice's GATE). Shared memory (cuda_pg_bulk_smem): up to 1 KB to
// align the stages for the swizzle, the 4 stages of A then of B (pg_swz),
// the gates [images][K], the mbarriers.
// A bulk-copy GEMM's set-up by thread 0: its n mbarriers (one arrival
// each), and the two tensor maps prefetched.
__device__ __forceinline__ void pg_bulk_setup(unsigned long long *bar, int n, const CUtensorMap &ta,
                                              const CUtensorMap &tb) {
  for (int s = 0; s < n; s++) mbar_init(bar + s, 1);
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<unsigned long long>(&ta))
               : "memory");
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<unsigned long long>(&tb))
               : "memory");
}

// Where the gates of a lane's 4 rows (wr0 + 16 mi + lane / 4 + 8 h) start in
// a gate buffer whose row 0 is image i0 and whose rows are KP long, from
// element `base`: its lane's 8 of slice 0.
__device__ __forceinline__ void pg_gate_offs(int (&goff)[2][2], const pg_params &p, int wr0,
                                             int lane, int i0, int KP, int base) {
#pragma unroll
  for (int mi = 0; mi < 2; mi++)
#pragma unroll
    for (int h = 0; h < 2; h++)
      goff[mi][h] = base + (min(wr0 + mi * 16 + (lane >> 2) + h * 8, p.M - 1) / p.HW - i0) * KP +
                    (lane & 3) * 8;
}

// The bulk-copy GEMMs' gates of a lane's 4 rows for the slice at channel k0:
// the 8 fp16 gates of each row (goff: where they start for slice 0 in the
// gate buffer Gs) as pg_mma_slice's GATE operand.
__device__ __forceinline__ void pg_gate_frags(unsigned (&g)[2][2][4], const __half *Gs,
                                              const int (&goff)[2][2], int k0) {
#pragma unroll
  for (int mi = 0; mi < 2; mi++)
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const uint4 u = *reinterpret_cast<const uint4 *>(Gs + goff[mi][h] + k0);
      g[mi][h][0] = u.x, g[mi][h][1] = u.y, g[mi][h][2] = u.z, g[mi][h][3] = u.w;
    }
}

template <int WM, int NT8>
__global__ void __launch_bounds__(WM * 64, (NT8 <= 2 ? 1024 : 512) / (WM * 64))
    pixel_gemm_bulk_kernel(const __grid_constant__ CUtensorMap ta,
                           const __grid_constant__ CUtensorMap tb, const pg_params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  constexpr int THREADS = WM * 64, BM = WM * 32, BN = NT8 * 16;
  constexpr int A_ST = BM * GP_BK, B_ST = GP_BK * BN; /* halves per stage */
  extern __shared__ __align__(128) unsigned char smem[];
  const unsigned s0 = smem_u32(smem);
  __half *As = reinterpret_cast<__half *>(smem + (((s0 + 1023) & ~1023u) - s0));
  __half *Bs = As + (size_t)GP_STAGES * A_ST;
  __half *Gs = Bs + (size_t)GP_STAGES * B_ST; /* [images][K], permuted per slice */
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = warp % WM, wn = warp / WM;
  const int m0 = blockIdx.x * BM, n0 = blockIdx.y * BN, K = p.K, KT = (K + GP_BK - 1) / GP_BK;
  const int KP = KT * GP_BK; /* the gates' row length */
  const int i0 = m0 / p.HW, ni = min(m0 + BM - 1, p.M - 1) / p.HW - i0 + 1;
  unsigned long long *bar = reinterpret_cast<unsigned long long *>(
      Gs + (size_t)cuda_pg_gate_imgs(BM, p.HW) * KP); /* [STAGES] */
  if (tid == 0) pg_bulk_setup(bar, GP_STAGES, ta, tb);
  __syncthreads();
  /* slice kt into stage kt % STAGES, by thread 0: the weights' 16-column
     blocks (arming the barrier with the whole slice's bytes), then A */
  auto issue_b = [&](int kt) {
    const int st = kt % GP_STAGES;
    mbar_arrive_tx(bar + st, (unsigned)(A_ST + B_ST) * 2);
#pragma unroll
    for (int j = 0; j < NT8; j++)
      tma_load_2d(Bs + (size_t)st * B_ST + j * GP_BK * 16, tb, n0 + j * 16, kt * GP_BK, bar + st);
  };
  auto issue_a = [&](int kt) {
    const int st = kt % GP_STAGES;
    tma_load_2d(As + (size_t)st * A_ST, ta, kt * GP_BK, m0, bar + st);
  };
  if (tid == 0)
    for (int s = 0; s < GP_STAGES - 1 && s < KT; s++) issue_b(s);
  pdl_wait();
  if (tid == 0)
    for (int s = 0; s < GP_STAGES - 1 && s < KT; s++) issue_a(s);
  /* the gates of the tile's images as fp16 */
  for (int i = tid; i < ni * (KP / 8); i += THREADS) {
    const int im = i / (KP / 8), c = (i - im * (KP / 8)) * 8;
    float4 g0, g1;
    pg_gate8_load(p, i0 + im, c, true, g0, g1);
    pg_gate8_store(Gs + (size_t)im * KP, c, g0, g1);
  }
  const int gr = lane >> 2, gc = (lane & 3) * 2;
  const pg_swz_lane<NT8> lo(wm, wn, lane);
  const unsigned as0 = smem_u32(As), bs0 = smem_u32(Bs);
  const int wr0 = m0 + wm * 32;
  int goff[2][2]; /* where the gates of this lane's 4 rows start (its lane's 8 of slice 0) */
  pg_gate_offs(goff, p, wr0, lane, i0, KP, 0);
  __syncthreads(); /* the gates are in place */
  float acc[2][NT8][4];
  pg_zero_acc(acc);
  for (int kt = 0; kt < KT; kt++) {
    const int st = kt % GP_STAGES;
    unsigned g[2][2][4];
    pg_gate_frags(g, Gs, goff, kt * GP_BK);
    mbar_wait(bar + st, (unsigned)(kt / GP_STAGES) & 1u);
    __syncthreads(); /* every warp is done with slice kt - 1, whose stage is refilled */
    if (tid == 0 && kt + GP_STAGES - 1 < KT)
      issue_b(kt + GP_STAGES - 1), issue_a(kt + GP_STAGES - 1);
    if constexpr (NT8 <= 2) /* few fragments: the lane offsets' registers spilled at 64 */
      pg_mma_slice<NT8, true, pg_swz<NT8>>(acc, As + (size_t)st * A_ST, Bs + (size_t)st * B_ST, wm,
                                           wn, lane & 15, (lane >> 4) * 8, g);
    else
      pg_mma_slice_swz<NT8>(acc, as0 + st * (A_ST * 2), bs0 + st * (B_ST * 2), lo, g);
  }
  pdl_trigger();
  /* one tile per CTA: the residual loads in one round trip (in two where the
     registers of all of them spilled at the 128 of two CTAs of 8 warps) */
  constexpr int JB = WM == 3 || NT8 <= 6 ? NT8 : 4;
  pg_store_acc<NT8, pg_res_global, JB>(p, acc, wr0, n0 + wn * NT8 * 8, gr, gc,
                                       pg_res_global(p, wr0, n0 + wn * NT8 * 8 + gc));
#else
  __trap(); /* never launched: cuda_pg_bulk_supported() */
#endif
}

// The streaming GEMM fed by bulk tensor copies (cuda_mbconv_args.bulk with
// stream > 0; sm_90): persistent CTAs as in pixel_gemm_stream_kernel (CTA b
// of a column split takes the row tiles b, b + gridDim.x, ..., whose 32-
// channel A slices are one sequence through the 4-stage pipeline), each A
// slice one tensor copy by thread 0 as in pixel_gemm_bulk_kernel, and the
// CTA's weights [K][BN] copied once into shared memory, where they stay. The
// per-tile form pays, for each tile of the large-image blocks (1-5 slices),
// the pipeline's fill, its set-up and the gates' load from L2 in the
// critical path; here the next tile's slices are in flight while a tile
// multiplies and stores, and the next tile's gates travel in registers (one
// 8-channel group of one image per thread: cuda_pg_bulks_ok) while this one
// runs, into the other of two fp16 gate buffers (pixel_gemm_bulk_kernel's
// order) at the tile's end. Shared memory (cuda_pg_bulks_smem): up to 1 KB
// to align, the A stages, the weights (pg_swz, KT slices), the two gate
// buffers [images][KP], the stages' mbarriers and the weights'.
template <int WM, int NT8>
__global__ void __launch_bounds__(WM * 64, (NT8 <= 2 ? 768 : 512) / (WM * 64))
    pixel_gemm_bulks_kernel(const __grid_constant__ CUtensorMap ta,
                            const __grid_constant__ CUtensorMap tb, const pg_params p) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  constexpr int BM = WM * 32, BN = NT8 * 16;
  constexpr int A_ST = BM * GP_BK, B_ST = GP_BK * BN; /* halves per slice */
  extern __shared__ __align__(128) unsigned char smem[];
  const unsigned s0 = smem_u32(smem);
  const int K = p.K, KT = (K + GP_BK - 1) / GP_BK, KP = KT * GP_BK,
            gimg = cuda_pg_gate_imgs(BM, p.HW);
  __half *As = reinterpret_cast<__half *>(smem + (((s0 + 1023) & ~1023u) - s0));
  __half *Bs = As + (size_t)GP_STAGES * A_ST; /* [KT][B_ST] */
  __half *Gs = Bs + (size_t)KT * B_ST;        /* [2][gimg][KP] */
  unsigned long long *bar =
      reinterpret_cast<unsigned long long *>(Gs + 2 * (size_t)gimg * KP); /* [STAGES + 1] */
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  const int wm = warp % WM, wn = warp / WM;
  const int n0 = blockIdx.y * BN, b0 = blockIdx.x, nb = gridDim.x, mtiles = (p.M + BM - 1) / BM;
  const int ntl = b0 < mtiles ? (mtiles - 1 - b0) / nb + 1 : 0; /* this CTA's row tiles */
  const int total = ntl * KT;                                   /* ... and their slices */
  if (tid == 0) pg_bulk_setup(bar, GP_STAGES + 1, ta, tb);
  __syncthreads();
  if (tid == 0 && ntl > 0) { /* the weights, before the wait for PASS1: they are not its */
    mbar_arrive_tx(bar + GP_STAGES, (unsigned)KT * B_ST * 2);
    for (int kt = 0; kt < KT; kt++)
#pragma unroll
      for (int j = 0; j < NT8; j++)
        tma_load_2d(Bs + (size_t)kt * B_ST + j * GP_BK * 16, tb, n0 + j * 16, kt * GP_BK,
                    bar + GP_STAGES);
  }
  /* slice s of the sequence (local tile s / KT, its slice s % KT) into stage s % STAGES */
  auto issue = [&](int s) {
    const int t = s / KT, kt = s - t * KT, st = s % GP_STAGES;
    mbar_arrive_tx(bar + st, (unsigned)A_ST * 2);
    tma_load_2d(As + (size_t)st * A_ST, ta, kt * GP_BK, (b0 + t * nb) * BM, bar + st);
  };
  /* this thread's gate group: 8 channels from gc8 of the tile's image gim */
  const int gq = KP / 8, gim = tid / gq, gc8 = (tid - gim * gq) * 8;
  float4 gv0, gv1;
  /* local tile t's group into gv (1 ungated, 0 past K) */
  auto gate_load = [&](int t) {
    const int m0 = (b0 + t * nb) * BM, i0 = m0 / p.HW;
    const int ni = min(m0 + BM - 1, p.M - 1) / p.HW - i0 + 1;
    pg_gate8_load(p, i0 + gim, gc8, gim < ni, gv0, gv1);
  };
  /* ... as fp16 into buffer t % 2 */
  auto gate_store = [&](int t) {
    if (gim < gimg) pg_gate8_store(Gs + ((size_t)(t & 1) * gimg + gim) * KP, gc8, gv0, gv1);
  };
  const int gr = lane >> 2, gc = (lane & 3) * 2;
  const pg_swz_lane<NT8> lo(wm, wn, lane);
  const unsigned as0 = smem_u32(As), bs0 = smem_u32(Bs);
  int goff[2][2]; /* where this lane's 4 rows' gates of slice 0 start in local tile t's buffer */
  auto tile_goff = [&](int t) {
    const int m0 = (b0 + t * nb) * BM;
    pg_gate_offs(goff, p, m0 + wm * 32, lane, m0 / p.HW, KP, (t & 1) * gimg * KP);
  };
  pdl_wait();
  if (tid == 0)
    for (int s = 0; s < GP_STAGES - 1 && s < total; s++) issue(s);
  if (ntl > 0) {
    gate_load(0);
    gate_store(0);
    tile_goff(0);
  }
  if (ntl > 1) gate_load(1);
  float acc[2][NT8][4];
  pg_zero_acc(acc);
  if (ntl > 0) mbar_wait(bar + GP_STAGES, 0); /* the weights */
  int ci = 0, ckt = 0;
  for (int s = 0; s < total; s++) {
    const int st = s % GP_STAGES;
    mbar_wait(bar + st, (unsigned)(s / GP_STAGES) & 1u);
    /* every warp is done with slice s - 1, whose stage is refilled, and the tile's gates
       (stored before this barrier) are visible */
    __syncthreads();
    if (tid == 0 && s + GP_STAGES - 1 < total) issue(s + GP_STAGES - 1);
    unsigned g[2][2][4];
    pg_gate_frags(g, Gs, goff, ckt * GP_BK);
    pg_mma_slice_swz<NT8>(acc, as0 + st * (A_ST * 2), bs0 + ckt * (B_ST * 2), lo, g);
    if (++ckt < KT) continue;
    {
      const int wr0 = (b0 + ci * nb) * BM + wm * 32, c0 = n0 + wn * NT8 * 8;
      pg_store_acc<NT8, pg_res_global, (NT8 <= 4 ? NT8 : 2), 2, pg_bias_global, (NT8 <= 4)>(
          p, acc, wr0, c0, gr, gc, pg_res_global(p, wr0, c0 + gc));
    }
    pg_zero_acc(acc);
    ckt = 0;
    if (++ci < ntl) {
      /* buffer ci % 2 was last read in tile ci - 2, before tile ci - 1's first barrier */
      gate_store(ci);
      tile_goff(ci);
      if (ci + 1 < ntl) gate_load(ci + 1);
    }
  }
  pdl_trigger();
#else
  __trap(); /* never launched: cuda_pg_bulk_supported() */
#endif
}

// The head's pooled means: pooled[n][c] = pool_sum[n][c] / P as fp16 (0 for
// the padded channels), and pool_sum back to zero for the next launch.
__global__ void pool_finish_kernel(float *pool_sum, __half *pooled, int n, int Ch, int ChP,
                                   float inv_p) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  pdl_wait();
  pdl_trigger();
  if (i >= n * ChP) return;
  const float s = pool_sum[i];
  pool_sum[i] = 0.f;
  pooled[i] = __float2half(i % ChP < Ch ? s * inv_p : 0.f);
}

// The kernels' instantiations by row tile (bm 64 or 128: WM = 2 or 4 row
// warps) and column tiles (nt8 1..N), as tables: one struct per kernel
// family names its instantiation (fn<WM, NT8>), and pg_table builds the
// table of NT8 = 1..N for one WM; nullptr outside it.
template <int MODE>
struct pg_k { /* the per-tile cp.async GEMM (store, pool, cluster modes) */
  template <int WM, int NT8>
  static const void *fn() {
    return (const void *)pixel_gemm_kernel<WM, NT8, MODE>;
  }
};
template <bool BRES>
struct pgs_k { /* the streaming cp.async GEMM (resident weights: nt8 <= 4) */
  template <int WM, int NT8>
  static const void *fn() {
    return (const void *)pixel_gemm_stream_kernel<WM, NT8, BRES>;
  }
};
struct pgb_k { /* the per-tile GEMM fed by bulk copies */
  template <int WM, int NT8>
  static const void *fn() {
    return (const void *)pixel_gemm_bulk_kernel<WM, NT8>;
  }
};
struct pgbs_k { /* the streaming GEMM fed by bulk copies */
  template <int WM, int NT8>
  static const void *fn() {
    return (const void *)pixel_gemm_bulks_kernel<WM, NT8>;
  }
};
template <class KS, int WM, int... I>
static const void *pg_table(int nt8, std::integer_sequence<int, I...>) {
  static const void *const fns[] = {KS::template fn<WM, I + 1>()...};
  return nt8 >= 1 && nt8 <= (int)sizeof...(I) ? fns[nt8 - 1] : nullptr;
}
template <class KS, int N = 8>
static const void *pg_inst(int bm, int nt8) {
  return bm == 64 ? pg_table<KS, 2>(nt8, std::make_integer_sequence<int, N>())
                  : pg_table<KS, 4>(nt8, std::make_integer_sequence<int, N>());
}
static const void *pgs_fn_of(int bm, int nt8, bool bres) {
  return bres ? pg_inst<pgs_k<true>, 4>(bm, nt8) : pg_inst<pgs_k<false>>(bm, nt8);
}
/* the per-tile bulk-copy GEMM also in 96-row tiles (WM = 3), whose row-tile
   counts fill the SMs' two CTAs each where 64 and 128 rows leave a partial
   last wave (cuda_plan_gate_proj_cands) */
static const void *pgb_fn_of(int bm, int nt8) {
  return bm == 96 ? pg_table<pgb_k, 3>(nt8, std::make_integer_sequence<int, 8>())
                  : pg_inst<pgb_k>(bm, nt8);
}
static const void *pgbs_fn_of(int bm, int nt8) {
  return pg_inst<pgbs_k>(bm, nt8);
}

static const void *pg_fn_of(int bm, int nt8, int mode) {
  switch (mode) {
    case PG_POOL:
      return pg_inst<pg_k<PG_POOL>>(bm, nt8);
    case PG_CLUSTER:
      return pg_inst<pg_k<PG_CLUSTER>>(bm, nt8);
    default:
      return pg_inst<pg_k<PG_STORE>>(bm, nt8);
  }
}

// grid (row tiles of bm, z column splits of nt8 16-wide tiles, ks K splits,
// each column of ks CTAs one cluster); smem from cuda_pixel_gemm_smem.
static cudaError_t pg_launch(const pg_params &p, const pg_se_params &se, int bm, int nt8, int z,
                             int ks, bool pool, size_t smem, cudaStream_t st) {
  const bool cl = ks > 1 || se.sums; /* sefuse's barriers are cluster-wide: a cluster even of one */
  const void *fn = pg_fn_of(bm, nt8, pool ? PG_POOL : cl ? PG_CLUSTER : PG_STORE);
  if (!fn || p.M <= 0 || ks < 1 || ks > 8 || (pool && cl)) return cudaErrorInvalidValue;
  const dim3 grid((p.M + bm - 1) / bm, z, ks);
  void *args[] = {const_cast<pg_params *>(&p), const_cast<pg_se_params *>(&se)};
  cudaLaunchAttribute at[2];
  const cudaLaunchConfig_t cfg = launch_cfg(at, grid, dim3(bm * 2), smem, st, true,
                                            cl ? dim3(1, 1, (unsigned)ks) : dim3(0, 0, 0));
  return cudaLaunchKernelExC(&cfg, fn, args);
}

// The bulk-copy GEMMs' tensor maps: A (M x K) in boxes of 32 channels by bm
// rows, the weights (K x N) of 16 columns by 32.
static cudaError_t pg_bulk_maps(const pg_params &p, int bm, CUtensorMap *ta, CUtensorMap *tb) {
  cudaError_t e = tensor_map_2d(ta, p.a, p.M, p.K, GP_BK, bm, CU_TENSOR_MAP_SWIZZLE_64B);
  return e ? e : tensor_map_2d(tb, p.b, p.K, p.N, 16, GP_BK, CU_TENSOR_MAP_SWIZZLE_32B);
}

// The bulk-copy GEMM: a CTA per bm row tile and column split.
static cudaError_t pg_bulk_launch(const pg_params &p, int bm, int nt8, int z, size_t smem,
                                  cudaStream_t st) {
  const void *fn = pgb_fn_of(bm, nt8);
  if (!fn || p.M <= 0 || z < 1 || p.K % 16) return cudaErrorInvalidValue;
  CUtensorMap ta, tb;
  if (cudaError_t e = pg_bulk_maps(p, bm, &ta, &tb)) return e;
  void *args[] = {&ta, &tb, const_cast<pg_params *>(&p)};
  return launch_k(fn, dim3((p.M + bm - 1) / bm, z), dim3(bm * 2), smem, st, true, args);
}

// The streaming GEMMs: at most `stream` CTAs per column split, no more than
// the device holds at once (occupancy x sms; all of them where sms is 0);
// bulk: the one fed by bulk tensor copies (maps as pg_bulk_launch's).
static cudaError_t pg_stream_launch(const pg_params &p, int bm, int nt8, int z, int stream, int sms,
                                    bool bulk, size_t smem, cudaStream_t st) {
  const void *fn = bulk ? pgbs_fn_of(bm, nt8) : pgs_fn_of(bm, nt8, cuda_pg_stream_bres(p.K, nt8));
  if (!fn || p.M <= 0 || stream < 1 || z < 1 || (bulk && p.K % 16)) return cudaErrorInvalidValue;
  CUtensorMap ta, tb;
  if (bulk)
    if (cudaError_t e = pg_bulk_maps(p, bm, &ta, &tb)) return e;
  int occ = 0;
  cudaError_t e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&occ, fn, bm * 2, smem);
  if (e) return e;
  if (occ < 1) return cudaErrorInvalidConfiguration;
  const long long mt = (p.M + bm - 1) / bm, fit = sms > 0 ? (long long)occ * sms / z : mt;
  long long g = stream < mt ? stream : mt;
  if (fit >= 1 && g > fit) g = fit;
  void *args1[] = {const_cast<pg_params *>(&p)}, *args3[] = {&ta, &tb, const_cast<pg_params *>(&p)};
  cudaLaunchAttribute at[2];
  const cudaLaunchConfig_t cfg =
      launch_cfg(at, dim3((unsigned)g, z, 1), dim3(bm * 2), smem, st, true, dim3(0, 0, 0));
  return cudaLaunchKernelExC(&cfg, fn, bulk ? args3 : args1);
}

}  // namespace bf

extern "C" int cuda_gate_proj_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  const long long M = (long long)n * a->Ho * a->Wo;
  if (!cuda_gate_proj_ok(a) || M <= 0 || M > 0x7fffffffLL) return (int)cudaErrorInvalidValue;
  bf::pg_params p = {};
  p.a = (const __half *)a->stage, p.b = (const __half *)a->w_proj, p.bias = a->b_proj;
  p.gate = a->scale, p.res = (const __half *)a->res, p.y = (__half *)a->y;
  p.M = (int)M, p.K = a->CmidP, p.N = a->CoutP, p.Nvalid = a->Cout, p.HW = a->Ho * a->Wo;
  bf::pg_se_params se = {};
  if (a->sefuse) { /* the gates from the sums: the scale PASS1's SE kernel would write is unused */
    if (!a->sums || a->se_tiles <= 0) return (int)cudaErrorInvalidValue;
    p.gate = nullptr, se.sums = a->sums, se.se_tiles = a->se_tiles;
    se.w_ser = (const __half *)a->w_ser, se.b_ser = a->b_ser;
    se.w_see = (const __half *)a->w_see, se.b_see = a->b_see;
    se.se_c = a->se_c, se.se_act = a->se_act, se.Cmid = a->Cmid;
  }
  if (a->narrow) return (int)bf::pg_narrow_launch(p, a->sms, st);
  if (a->wg)
    return (int)bf::pg_wg_launch(p, a->gemm, cuda_gate_proj_nt8(a), cuda_mbconv_z(a), a->stream,
                                 a->sms, st);
  if (a->stream > 0)
    return (int)bf::pg_stream_launch(p, a->gemm, cuda_gate_proj_nt8(a), cuda_mbconv_z(a), a->stream,
                                     a->sms, a->bulk != 0, cuda_gate_proj_smem(a), st);
  if (a->bulk)
    return (int)bf::pg_bulk_launch(p, a->gemm, cuda_gate_proj_nt8(a), cuda_mbconv_z(a),
                                   cuda_gate_proj_smem(a), st);
  return (int)bf::pg_launch(p, se, a->gemm, cuda_gate_proj_nt8(a), cuda_mbconv_z(a),
                            cuda_gate_proj_ks(a), false, cuda_gate_proj_smem(a), st);
}

// The head: act(x . W + b) pooled per image by the GEMM (grid from
// cuda_head_grid), then the means.
extern "C" int cuda_head_launch(const cuda_head_args *a, int n, cuda_stream_t st) {
  const long long M = (long long)n * a->P;
  if (a->CinP % 16 || a->ChP % 16 || a->ChP <= 0 || !a->pool_sum || M <= 0 || M > 0x7fffffffLL)
    return (int)cudaErrorInvalidValue;
  int bm, per, z;
  cuda_head_grid(a, n, &bm, &per, &z);
  bf::pg_params p = {};
  p.a = (const __half *)a->x, p.b = (const __half *)a->w, p.bias = a->b, p.pool = a->pool_sum;
  p.M = (int)M, p.K = a->CinP, p.N = a->ChP, p.Nvalid = a->Ch, p.HW = a->P, p.act = a->act;
  int wbm, wnt8, wz;
  cudaError_t e = a->wg && cuda_head_wg_grid(a, n, &wbm, &wnt8, &wz)
                      ? bf::pg_wg_launch(p, wbm, wnt8, wz, 0, a->sms, st)
                      : bf::pg_launch(p, bf::pg_se_params{}, bm, per, z, 1, true,
                                      cuda_pixel_gemm_smem(bm, per, 0, 1, 0), st);
  if (e) return (int)e;
  const int total = n * a->ChP;
  return (int)bf::launch_k(bf::pool_finish_kernel, (total + 255) / 256, 256, 0, st, true,
                           a->pool_sum, (__half *)a->pooled, n, a->Ch, a->ChP, 1.f / (float)a->P);
}

extern "C" int cuda_pixel_gemm_set_attrs(int bytes, int carveout) {
  const void *fns[48];
  for (int i = 0; i < 8; i++)
    for (int m = 0; m < 3; m++) {
      fns[16 * m + i] = bf::pg_fn_of(64, i + 1, m);
      fns[16 * m + 8 + i] = bf::pg_fn_of(128, i + 1, m);
    }
  const void *fin[] = {(const void *)bf::pool_finish_kernel};
  const void *sfns[24];
  for (int i = 0; i < 8; i++) {
    sfns[i] = bf::pgs_fn_of(64, i + 1, false), sfns[8 + i] = bf::pgs_fn_of(128, i + 1, false);
    if (i < 4) sfns[16 + i] = bf::pgs_fn_of(64, i + 1, true);
    if (i < 4) sfns[20 + i] = bf::pgs_fn_of(128, i + 1, true);
  }
  const void *bfns[40];
  for (int i = 0; i < 8; i++) {
    bfns[i] = bf::pgb_fn_of(64, i + 1), bfns[8 + i] = bf::pgb_fn_of(128, i + 1);
    bfns[16 + i] = bf::pgbs_fn_of(64, i + 1), bfns[24 + i] = bf::pgbs_fn_of(128, i + 1);
    bfns[32 + i] = bf::pgb_fn_of(96, i + 1);
  }
  cudaError_t e = bf::set_kernel_attrs(fns, 48, bytes, carveout);
  if (!e) e = bf::set_kernel_attrs(sfns, 24, bytes, carveout);
  if (!e) e = bf::set_kernel_attrs(bfns, 40, bytes, carveout);
  return (int)(e ? e : bf::set_kernel_attrs(fin, 1, -1, carveout));
}

// Whether the bulk-copy GEMM's code was built for this device: sm_90 or
// later (its body is a trap below that).
extern "C" int cuda_pg_bulk_supported(void) {
  cudaFuncAttributes fa;
  if (cudaFuncGetAttributes(&fa, bf::pgb_fn_of(64, 1)) != cudaSuccess) return 0;
  return fa.ptxVersion >= 90;
}
