// Device building blocks of the MBConv kernels (mbconv.cu, mbconv_cluster.cu):
// tensor-core MMA and ldmatrix wrappers, cp.async, the expand GEMM of one
// expanded-channel chunk and the depthwise conv of one chunk. Everything here
// is a template or has internal linkage, so each .cu gets its own copy.
#ifndef BLOCKFUSE_FUSED_KERNELS_MBCONV_PARTS_CUH
#define BLOCKFUSE_FUSED_KERNELS_MBCONV_PARTS_CUH

#include <cuda_runtime.h>

#include <type_traits>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"

namespace bf {

// One halving exchange of a lane's sums with lane ^ m: s[0 .. 2 H) becomes s[0 .. H), the
// lane whose bit m is set keeping the upper half, each plus the partner's (the head's column
// sums in pixel_gemm.cuh, the SE kernel's in se_batch.cu).
template <int H>
__device__ __forceinline__ void warp_halve_sums(float *s, int lane, int m) {
  const bool up = lane & m;
#pragma unroll
  for (int k = 0; k < H; k++) {
    const float send = up ? s[k] : s[k + H], keep = up ? s[k + H] : s[k];
    s[k] = keep + __shfl_xor_sync(0xffffffffu, send, m);
  }
}

// Split cluster barrier: arrive (release) once this CTA is done reading its
// peers' shared memory, wait (acquire) before exiting so that no CTA's shared
// memory disappears while a peer still reads it.
__device__ __forceinline__ void cluster_arrive() {
  asm volatile("barrier.cluster.arrive.release.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void cluster_wait() {
  asm volatile("barrier.cluster.wait.acquire.aligned;\n" ::: "memory");
}

// A generic pointer into shared memory as the 32-bit shared-window address
// that PTX's shared-memory operands take.
__device__ __forceinline__ unsigned smem_u32(const void *p) {
  return (unsigned)__cvta_generic_to_shared(p);
}

// ldmatrix from a shared-window byte address: x4 (four 8x8 matrices, or
// their transposes), and x2.trans (one k16 x n8 B fragment from lanes
// 0-15's rows). Callers that keep lane offsets across slices pass the
// address itself, so that constant offsets fold into the instruction.
__device__ __forceinline__ void ldsm_x4_at(unsigned *r, unsigned addr, bool trans) {
  if (trans)
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
  else
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void ldsm_x2_trans_at(unsigned *r, unsigned addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0,%1}, [%2];\n"
               : "=r"(r[0]), "=r"(r[1])
               : "r"(addr));
}
__device__ __forceinline__ void ldsm_x4(unsigned *r, const void *p, bool trans) {
  ldsm_x4_at(r, smem_u32(p), trans);
}
__device__ __forceinline__ void ldsm_x2_trans(unsigned *r, const void *p) {
  ldsm_x2_trans_at(r, smem_u32(p));
}

// n / d and n % d (n >= 0) by a run-time d that is a power of two in all but
// the last chunk of the expanded width (the planner's chunks are 16..128
// channels): a shift and a mask then, the division only for the other d.
struct idiv {
  int d, sh; /* sh >= 0: d == 1 << sh */
  __device__ __forceinline__ explicit idiv(int d_) : d(d_), sh(-1) {
#ifdef __CUDA_ARCH__
    if (!(d_ & (d_ - 1))) sh = __ffs(d_) - 1;
#endif
  }
  __device__ __forceinline__ int q(int n) const {
    if (sh >= 0) return n >> sh;
    return n / d;
  }
  __device__ __forceinline__ int r(int n) const {
    if (sh >= 0) return n & (d - 1);
    return n % d;
  }
};

// Asynchronous 16-byte global -> shared copies (sm_80+ cp.async, bypassing
// L1): the chunk loop prefetches weights with them while other phases compute.
// The zfill form writes zeros instead of reading when `valid` is false (`g`
// must still be a mapped address).
__device__ __forceinline__ void cp_async16_at(unsigned sa, const void *g) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(sa), "l"(g) : "memory");
}
__device__ __forceinline__ void cp_async16(void *s, const void *g) {
  cp_async16_at(smem_u32(s), g);
}
__device__ __forceinline__ void cp_async16_zfill(void *s, const void *g, bool valid) {
  const unsigned sa = smem_u32(s);
  const int n = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(sa), "l"(g), "r"(n)
               : "memory");
}
__device__ __forceinline__ void cp_async_commit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}
// Wait until at most N (wait1: one, wait0: none) of this thread's committed
// groups are still in flight; a barrier then publishes them to the CTA.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}
__device__ __forceinline__ void cp_async_wait1() {
  cp_async_wait<1>();
}
__device__ __forceinline__ void cp_async_wait0() {
  cp_async_wait<0>();
}

// Copies a block of rows x (v8 x 8) fp16 by cp.async, 16 bytes at a time,
// from src (pitch lds halves) to shared memory at dst (pitch ldd). Where v8
// is a power of two (every chunk but a narrower last one) it divides the
// CTA's threads (256 or 512, v8 <= 16), so each thread keeps one column and
// steps over rows: a copy then costs a few instructions instead of a
// division and the index arithmetic per 16 bytes; both addresses step by
// whole rows (recomputing the 64-bit row offset had cost 13 instructions
// per 16-byte copy: s26c1, a 7x7 block's PASS1). All threads call it.
__device__ __forceinline__ void cp_rows(__half *dst, int ldd, const __half *src, int lds, int rows,
                                        int v8) {
  if (!(v8 & (v8 - 1))) {
    const int sh = __ffs(v8) - 1, c = (threadIdx.x & (v8 - 1)) * 8, step = blockDim.x >> sh;
    const int r0 = threadIdx.x >> sh;
    if (r0 >= rows) return;
    const char *g = reinterpret_cast<const char *>(src + (size_t)r0 * lds + c);
    unsigned sa = smem_u32(dst + r0 * ldd + c);
    const size_t gstep = (size_t)step * lds * sizeof(__half);
    const unsigned sstep = (unsigned)(step * ldd) * (unsigned)sizeof(__half);
    for (int r = r0; r < rows; r += step, g += gstep, sa += sstep) cp_async16_at(sa, g);
  } else {
    for (int i = threadIdx.x; i < rows * v8; i += blockDim.x) {
      const int r = i / v8, c = (i - r * v8) * 8;
      cp_async16(dst + (size_t)r * ldd + c, src + (size_t)r * lds + c);
    }
  }
}

// The expand GEMM's rows: the input tile's pixels inside the image, in
// order (tile indices), then -1 up to nrow(), the next multiple of 16. Pixels
// in the zero padding are left out: their expanded values are zeros in every
// chunk, which zero_halo writes into mid once. xin holds the rows in this
// order (row i = the input at the list's pixel i, zeros past nin), so it
// needs no rows for the padding (cuda_xin_rows). Entry i of the list is kept
// in the 16 padding bytes at the end of xin's row i (ldx = CinP + 8 halves),
// which no MMA operand reads (xrow_slot).
struct in_rect {
  int ry0, rx0, wv, nin;
  /* the ih x iw input tile whose top-left pixel is (iy0, ix0), in an H x W image */
  __device__ __forceinline__ in_rect(int iy0, int ix0, int ih, int iw, int H, int W)
      : ry0(max(0, -iy0)), rx0(max(0, -ix0)) {
    wv = min(iw, W - ix0) - rx0;
    nin = (min(ih, H - iy0) - ry0) * wv;
  }
  __device__ __forceinline__ int nrow() const {
    return (nin + 15) & ~15;
  }
  /* the list's entries from tile pixel i = (py, px), inside the image or
     not (in): every i < npin calls it once (no division) */
  __device__ __forceinline__ void list(__half *xin, int ldx, int i, int py, int px, bool in) const;
};
__device__ __forceinline__ int *xrow_slot(const __half *xin, int ldx, int i) {
  return reinterpret_cast<int *>(const_cast<__half *>(xin) + (size_t)i * ldx + ldx - 8);
}
__device__ __forceinline__ void in_rect::list(__half *xin, int ldx, int i, int py, int px,
                                              bool in) const {
  if (in) *xrow_slot(xin, ldx, (py - ry0) * wv + px - rx0) = i;
  if (i >= nin && i < nrow()) *xrow_slot(xin, ldx, i) = -1;
}

// Loads xin's rows (the list's pixels, zeros past nin) by cp.async, CinP / 8
// threads per row; pglob: the tile pixels' indices in the image x. The
// caller has synced after building the list.
__device__ __forceinline__ void load_xin(__half *xin, int ldx, int nrow, const int *pglob,
                                         const __half *x, int CinP) {
  const int v8 = CinP / 8, c = (threadIdx.x % v8) * 8, G = blockDim.x / v8;
  if ((int)threadIdx.x < G * v8)
    for (int r = threadIdx.x / v8; r < nrow; r += G) {
      const int p = *xrow_slot(xin, ldx, r), gp = p >= 0 ? pglob[p] : -1;
      cp_async16_zfill(xin + (size_t)r * ldx + c, x + (size_t)(gp >= 0 ? gp : 0) * CinP + c,
                       gp >= 0);
    }
}

// Zeroes mid's first CC channels at the input tile's pixels in the zero
// padding (pglob[p] < 0, p < pin): a thread per pixel.
__device__ __forceinline__ void zero_halo(__half *mid, const int *pglob, int pin, int CC) {
  for (int p = threadIdx.x; p < pin; p += blockDim.x)
    if (pglob[p] < 0)
      for (int c = 0; c < CC; c += 8)
        *reinterpret_cast<uint4 *>(mid + (size_t)p * (CC + 8) + c) = make_uint4(0, 0, 0, 0);
}

// NTW side-by-side 16x16 output tiles of the expand GEMM for this warp
// (16 rows x 16 NTW columns; NTW = 2 loads each A fragment once for both):
// k-loop of m16n8k16 MMAs from the bias, then act in registers and fp16 pairs
// into mid at the list's rows mrow + g, mrow + g + 8 (xin's row slots).
// With BPRE (kt_n == 1: CinP = 16) the B fragments come from bpre[t][4],
// loaded once per chunk by the caller, instead of per row tile. BT is the
// bias's form (exp_bias): float, fp32 accumulators; unsigned, fp16 pairs
// (swish only: the accumulators are the stored pairs).
template <int ACT, int NTW, bool BPRE = false, typename BT = float>
__device__ __forceinline__ void expand_tile(const cuda_mbconv_args &a, const __half *ap,
                                            const __half *bp, int kt_n, int ldw, const BT *bias,
                                            const __half *xin, int ldx, __half *mid, int mrow,
                                            int col0, const unsigned (*bpre)[4] = nullptr) {
  constexpr bool H16 = std::is_same<BT, unsigned>::value;
  static_assert(!H16 || ACT == MODEL_ACT_SWISH, "fp16 accumulators: swish blocks only");
  const int lane = threadIdx.x & 31, g = lane >> 2;
  /* the output rows' pixels, read before the MMAs cover the latency */
  const int prow[2] = {*xrow_slot(xin, ldx, mrow + g), *xrow_slot(xin, ldx, mrow + g + 8)};
  float c[NTW][2][4];    /* fp32: c0 c1 row g, c2 c3 row g + 8 */
  unsigned d[NTW][2][2]; /* H16: the pairs of rows g and g + 8 */
  { /* the first k-step starts from the bias (rows g and g + 8 share it) */
    unsigned af[4];
    ldsm_x4(af, ap, false);
#pragma unroll
    for (int t = 0; t < NTW; t++) {
      unsigned bf[4];
      if (BPRE) {
#pragma unroll
        for (int j = 0; j < 4; j++) bf[j] = bpre[t][j];
      } else {
        ldsm_x4(bf, bp + t * 16, true);
      }
      if constexpr (H16) {
        mma16816_h16_init(d[t][0], af, bf[0], bf[1], bias[2 * t]);
        mma16816_h16_init(d[t][1], af, bf[2], bf[3], bias[2 * t + 1]);
      } else {
        mma16816_init(c[t][0], af, bf[0], bf[1], bias[4 * t], bias[4 * t + 1]);
        mma16816_init(c[t][1], af, bf[2], bf[3], bias[4 * t + 2], bias[4 * t + 3]);
      }
    }
  }
  for (int k = 1; k < (BPRE ? 1 : kt_n); k++) {
    unsigned af[4];
    ldsm_x4(af, ap + k * 16, false);
#pragma unroll
    for (int t = 0; t < NTW; t++) {
      unsigned bf[4];
      ldsm_x4(bf, bp + (size_t)k * 16 * ldw + t * 16, true);
      if constexpr (H16) {
        mma16816_h16(d[t][0], af, bf[0], bf[1]);
        mma16816_h16(d[t][1], af, bf[2], bf[3]);
      } else {
        mma16816(c[t][0], af, bf[0], bf[1]);
        mma16816(c[t][1], af, bf[2], bf[3]);
      }
    }
  }
  const int ldm = a.CC + 8;
#pragma unroll
  for (int h = 0; h < 2; h++) { /* rows g and g + 8 */
    const int p = prow[h];
    if (p < 0) continue;
#pragma unroll
    for (int t = 0; t < NTW; t++)
#pragma unroll
      for (int j = 0; j < 2; j++) {
        __half2 v;
        if constexpr (H16) /* -inf would give NaN (swish_of_half): clamped, as satfinite does */
          v = swish_of_half(
              __hmax2(*reinterpret_cast<const __half2 *>(&d[t][j][h]), __float2half2_rn(-65504.f)));
        else if (ACT == MODEL_ACT_SWISH) /* bias in fp32 (in c), swish on the fp16 pair; */
          v = swish_h2_halved(c[t][j][2 * h], c[t][j][2 * h + 1]); /* weights halved */
        else
          v = __floats2half2_rn(act_t<ACT>(c[t][j][2 * h], a.act),
                                act_t<ACT>(c[t][j][2 * h + 1], a.act));
        *reinterpret_cast<__half2 *>(mid + (size_t)p * ldm + col0 + t * 16 + j * 8) = v;
      }
  }
}

// A lane's expand bias for NTW column tiles from col0 (its column pair in the
// first): as fp32, 4 per tile (c0 c1 of each n8 half), or as one fp16 pair
// per n8 half (the fp16 accumulators' start).
template <int NTW>
__device__ __forceinline__ void exp_bias(float (&b)[4 * NTW], const float *bexp, int col0) {
#pragma unroll
  for (int i = 0; i < 2 * NTW; i++) {
    b[2 * i] = bexp[col0 + 8 * i];
    b[2 * i + 1] = bexp[col0 + 8 * i + 1];
  }
}
template <int NTW>
__device__ __forceinline__ void exp_bias(unsigned (&b)[2 * NTW], const float *bexp, int col0) {
#pragma unroll
  for (int i = 0; i < 2 * NTW; i++) {
    const __half2 h = __floats2half2_rn(bexp[col0 + 8 * i], bexp[col0 + 8 * i + 1]);
    b[i] = *reinterpret_cast<const unsigned *>(&h);
  }
}

// Expand GEMM for one chunk: mid[p][c] = act(x[p] . w_exp[:, c0+c] + b) for
// the nrow rows of xin (in_rect: the input tile's pixels inside the image,
// loaded in the list's order by load_xin), stored at the list's pixels p.
// Each warp computes 16x16 tiles with two m16n8k16 MMAs per k-step
// (ldmatrix operands, each lane's A row xin's row) whose
// accumulators start from the bias, applies act to them in registers and
// stores fp16 pairs straight into mid. When the chunk's column tiles divide
// the CTA's warps, a warp keeps one column tile (its bias in registers, no
// per-tile index arithmetic) and strides over rows; with PAIRED, where the
// chunk's column tiles come in pairs whose count is a power of two (so it
// divides the warps), a warp keeps a pair of them and loads each A fragment
// once for both. BT: the accumulators' form (expand_tile). Caller syncs
// before and after.
template <int ACT, bool PAIRED, bool K1, typename BT>
__device__ void expand_chunk_t(const cuda_mbconv_args &a, const __half *xin, const __half *wexp,
                               const float *bexp, int nrow, __half *mid, int cc) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, t4 = lane & 3, nw = blockDim.x >> 5;
  const int mt_n = nrow / 16, nt_n = cc / 16, kt_n = a.CinP / 16, ldw = a.CC + 8;
  const int ldx = a.CinP + 8; /* input rows padded: no bank conflicts */
  const int lrow = lane & 15, lcol = (lane >> 4) * 8;
  /* this lane's A row in row tile mt (the r / rn form of the loops below is
     kept from when it was a list lookup: ptxas spilled more without it) */
  auto arow = [&](int mt) { return mt * 16 + lrow; };
  /* pairs of column tiles where their count np is a power of two (then it
     divides the warps, 8 or 16, when np <= nw): shifts, not divisions */
  const int np = nt_n / 2;
  if (PAIRED && nt_n % 2 == 0 && !(np & (np - 1)) && np <= nw) {
    const int sh = __ffs(np) - 1, pr = warp & (np - 1), mstep = nw >> sh, col0 = pr * 32 + 2 * t4;
    BT bias[std::is_same<BT, float>::value ? 8 : 4];
    exp_bias<2>(bias, bexp, col0);
    const __half *bp = wexp + (size_t)lrow * ldw + pr * 32 + lcol;
    int mt = warp >> sh, r = mt < mt_n ? arow(mt) : 0;
    if (K1 && kt_n == 1) { /* CinP = 16: the pair's B fragments once for every row tile */
      unsigned bf[2][4];
      ldsm_x4(bf[0], bp, true);
      ldsm_x4(bf[1], bp + 16, true);
      for (; mt < mt_n; mt += mstep)
        expand_tile<ACT, 2, true, BT>(a, xin + (size_t)arow(mt) * ldx + lcol, bp, 1, ldw, bias, xin,
                                      ldx, mid, mt * 16, col0, bf);
      return;
    }
    for (; mt < mt_n; mt += mstep) {
      const int rn = mt + mstep < mt_n ? arow(mt + mstep) : 0;
      expand_tile<ACT, 2, false, BT>(a, xin + (size_t)r * ldx + lcol, bp, kt_n, ldw, bias, xin, ldx,
                                     mid, mt * 16, col0);
      r = rn;
    }
    return;
  }
  const idiv ntd(nt_n); /* not in the paired form: its division would run per chunk */
  if (ntd.r(nw) == 0) {
    const int nt = ntd.r(warp), mstep = ntd.q(nw), col0 = nt * 16 + 2 * t4;
    BT bias[std::is_same<BT, float>::value ? 4 : 2];
    exp_bias<1>(bias, bexp, col0);
    const __half *bp = wexp + (size_t)lrow * ldw + nt * 16 + lcol;
    int mt = ntd.q(warp), r = mt < mt_n ? arow(mt) : 0;
    for (; mt < mt_n; mt += mstep) {
      const int rn = mt + mstep < mt_n ? arow(mt + mstep) : 0;
      expand_tile<ACT, 1, false, BT>(a, xin + (size_t)r * ldx + lcol, bp, kt_n, ldw, bias, xin, ldx,
                                     mid, mt * 16, col0);
      r = rn;
    }
  } else {
    for (int t = warp; t < mt_n * nt_n; t += nw) {
      const int mt = ntd.q(t), nt = t - mt * nt_n, col0 = nt * 16 + 2 * t4;
      BT bias[std::is_same<BT, float>::value ? 4 : 2];
      exp_bias<1>(bias, bexp, col0);
      expand_tile<ACT, 1, false, BT>(a, xin + (size_t)arow(mt) * ldx + lcol,
                                     wexp + (size_t)lrow * ldw + nt * 16 + lcol, kt_n, ldw, bias,
                                     xin, ldx, mid, mt * 16, col0);
    }
  }
}

// K1: with CinP = 16, a warp's pair of column tiles loads its B fragments
// once per chunk (the PASS1 builds with dw_vec; in the others the code
// made ptxas spill). There a swish block of at most 32 input channels takes
// fp16 accumulators unless a.f32exp: its sums of 16 or 32 products are
// rounded to fp16 for the swish either way, and the pairs need no
// conversion, half the registers and no copies of the bias into each MMA's
// accumulator quad (stack1.block0's PASS1 at 256 on an H200: 402 -> 397 us;
// in every build, the second swish path made ptxas spill more).
template <bool PAIRED = false, bool K1 = false>
static __device__ void expand_chunk(const cuda_mbconv_args &a, const __half *xin,
                                    const __half *wexp, const float *bexp, int nrow, __half *mid,
                                    int cc) {
  if (K1 && a.act == MODEL_ACT_SWISH && !a.f32exp && a.CinP <= 32)
    expand_chunk_t<MODEL_ACT_SWISH, PAIRED, K1, unsigned>(a, xin, wexp, bexp, nrow, mid, cc);
  else if (a.act == MODEL_ACT_SWISH)
    expand_chunk_t<MODEL_ACT_SWISH, PAIRED, K1, float>(a, xin, wexp, bexp, nrow, mid, cc);
  else
    expand_chunk_t<-1, PAIRED, K1, float>(a, xin, wexp, bexp, nrow, mid, cc);
}

// Depthwise conv of one chunk from mid (input tile x cc) into dwo (pout rows
// of ldd halves): act(sum + b) [* gate]; zero for pixels outside the output.
// Thread = one channel pair over a strided walk of the tile's pixels; with K
// known at compile time the taps' weights sit in registers.
template <typename T>
__device__ __forceinline__ T to_wtype(__half2 h);
template <>
__device__ __forceinline__ float2 to_wtype<float2>(__half2 h) {
  return __half22float2(h);
}
template <>
__device__ __forceinline__ __half2 to_wtype<__half2>(__half2 h) {
  return h;
}
__device__ __forceinline__ float2 as_float2(float2 v) {
  return v;
}
__device__ __forceinline__ float2 as_float2(__half2 v) {
  return __half22float2(v);
}

// The channel sums of one thread's pixels at the end of a dw pass: fp32
// partials part[g][c] (one row per pixel group g, read back after a barrier;
// no atomics) or, with part == nullptr, shared-memory atomics into csum[c].
__device__ __forceinline__ void dw_sums_out(float2 sum, int g, int c, int cc, float *part,
                                            float *csum) {
  if (part) {
    *reinterpret_cast<float2 *>(part + (size_t)g * cc + c) = sum;
  } else if (csum) {
    atomicAdd(&csum[c], sum.x);
    atomicAdd(&csum[c + 1], sum.y);
  }
}

// The depthwise output of one channel pair: activation, squeeze-excite gate
// (sc, 1 where ungated), the pair's share of the chunk's channel sums, and
// the fp16 pair that is stored, from an fp32 accumulator.
template <int ACT>
__device__ __forceinline__ __half2 dw_out(float2 acc, int act, float2 sc, bool gated, float2 &sum) {
  const float v0 = act_t<ACT>(acc.x, act) * sc.x, v1 = act_t<ACT>(acc.y, act) * sc.y;
  sum.x += v0, sum.y += v1;
  return __floats2half2_rn(v0, v1);
}

// The same from an fp16 accumulator (the packed-tap forms, a.dwh2): with
// swish (hsum: fp16 sums), swish and gate on the fp16 pair itself (-inf
// clamped to the fp16 range first, see swish_h2), which the sums then add
// in fp16 pairs (a thread's few pixels per chunk; fp32 from the thread's
// partial on); else (sum: fp32) the activation in fp32. dw_stype<ACT> is
// the sums' type.
template <int ACT>
using dw_stype = typename std::conditional<ACT == MODEL_ACT_SWISH, __half2, float2>::type;
template <int ACT>
__device__ __forceinline__ __half2 dw_out(__half2 acc, int act, float2 sc, bool gated,
                                          __half2 &hsum) {
  static_assert(ACT == MODEL_ACT_SWISH, "fp16 sums: swish");
  __half2 o = swish_h2(__hmax2(acc, __float2half2_rn(-65504.f)));
  if (gated) o = __hmul2(o, __floats2half2_rn(sc.x, sc.y));
  hsum = __hadd2(hsum, o);
  return o;
}
template <int ACT>
__device__ __forceinline__ __half2 dw_out(__half2 acc, int act, float2 sc, bool gated,
                                          float2 &sum) {
  return dw_out<ACT>(__half22float2(acc), act, sc, gated, sum);
}

template <int KK, int ACT>
__device__ void dw_chunk_k(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                           const float *bdw, const int *qmid, const int *qglob, __half *dwo,
                           int ldd, int cc, const float *gate, float *csum, float *part) {
  const int kk = KK > 0 ? KK : a.K;
  const int npx = a.TH * a.TW;
  const idiv nc2(cc / 2);
  const int g = nc2.q(threadIdx.x), c = (threadIdx.x - g * nc2.d) * 2, G = nc2.q(blockDim.x);
  if (g >= G) return;
  const float2 b = make_float2(bdw[c], bdw[c + 1]);
  const int ldm = a.CC + 8; /* mid row pitch, padded against bank conflicts */
  const int rowstride = ((a.TW - 1) * a.S + kk) * ldm; /* halves per input-tile row */
  const float2 sc = gate ? make_float2(gate[c], gate[c + 1]) : make_float2(1.f, 1.f);
  /* taps' weights in registers: fp32 for k = 3, fp16 pairs for larger k
   * (register budget at 3 CTAs per SM) */
  typedef typename std::conditional<(KK == 3), float2, __half2>::type wtype;
  wtype w[KK > 0 ? KK * KK : 1];
  if (KK > 0) {
#pragma unroll
    for (int i = 0; i < (KK > 0 ? KK * KK : 1); i++)
      w[i] = to_wtype<wtype>(*reinterpret_cast<const __half2 *>(wdw + i * a.CC + c));
  }
  float2 sum = make_float2(0.f, 0.f);
  for (int q = g; q < npx; q += G) {
    __half2 o = __float2half2_rn(0.f);
    if (qglob[q] >= 0) {
      float2 acc = b;
      const __half *m0 = mid + (size_t)qmid[q] * ldm + c;
      if (KK > 0) {
#pragma unroll
        for (int ky = 0; ky < (KK > 0 ? KK : 1); ky++)
#pragma unroll
          for (int kx = 0; kx < (KK > 0 ? KK : 1); kx++) {
            const float2 m =
                __half22float2(*reinterpret_cast<const __half2 *>(m0 + ky * rowstride + kx * ldm));
            const float2 wv = as_float2(w[ky * KK + kx]);
            acc.x = fmaf(m.x, wv.x, acc.x);
            acc.y = fmaf(m.y, wv.y, acc.y);
          }
      } else {
        for (int ky = 0; ky < kk; ky++)
          for (int kx = 0; kx < kk; kx++) {
            const float2 m =
                __half22float2(*reinterpret_cast<const __half2 *>(m0 + ky * rowstride + kx * ldm));
            const float2 wv =
                __half22float2(*reinterpret_cast<const __half2 *>(wdw + (ky * kk + kx) * a.CC + c));
            acc.x = fmaf(m.x, wv.x, acc.x);
            acc.y = fmaf(m.y, wv.y, acc.y);
          }
      }
      o = dw_out<ACT>(acc, a.act, sc, gate != nullptr, sum);
    }
    *reinterpret_cast<__half2 *>(dwo + (size_t)q * ldd + c) = o;
  }
  dw_sums_out(sum, g, c, cc, part, csum); /* PASS1: the chunk's sums for squeeze-excite */
}

// dw_chunk_k with packed fp16 taps (a.dwh2): every tap summed with HFMA2 on
// channel pairs into an fp16 accumulator that starts from the bias (one
// instruction per tap instead of two converts and two FFMAs). K known at
// compile time.
template <int KK, int ACT>
__device__ void dw_chunk_h2(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                            const float *bdw, const int *qmid, const int *qglob, __half *dwo,
                            int ldd, int cc, const float *gate, float *csum, float *part) {
  const int npx = a.TH * a.TW;
  const idiv nc2(cc / 2);
  const int g = nc2.q(threadIdx.x), c = (threadIdx.x - g * nc2.d) * 2, G = nc2.q(blockDim.x);
  if (g >= G) return;
  const __half2 b = __floats2half2_rn(bdw[c], bdw[c + 1]);
  const int ldm = a.CC + 8;
  const int rowstride = ((a.TW - 1) * a.S + KK) * ldm;
  const float2 sc = gate ? make_float2(gate[c], gate[c + 1]) : make_float2(1.f, 1.f);
  __half2 w[KK * KK];
#pragma unroll
  for (int i = 0; i < KK * KK; i++) w[i] = *reinterpret_cast<const __half2 *>(wdw + i * a.CC + c);
  dw_stype<ACT> sum = {};
  for (int q = g; q < npx; q += G) {
    __half2 o = __float2half2_rn(0.f);
    if (qglob[q] >= 0) {
      __half2 acc = b;
      const __half *m0 = mid + (size_t)qmid[q] * ldm + c;
#pragma unroll
      for (int ky = 0; ky < KK; ky++)
#pragma unroll
        for (int kx = 0; kx < KK; kx++)
          acc = __hfma2(*reinterpret_cast<const __half2 *>(m0 + ky * rowstride + kx * ldm),
                        w[ky * KK + kx], acc);
      o = dw_out<ACT>(acc, a.act, sc, gate != nullptr, sum);
    }
    *reinterpret_cast<__half2 *>(dwo + (size_t)q * ldd + c) = o;
  }
  dw_sums_out(as_float2(sum), g, c, cc, part, csum);
}

// Picks the depthwise instantiation: K = 3 / 5 and swish compiled in, packed
// fp16 taps where a.dwh2 asks for them, the generic loop otherwise.
static __device__ void dw_chunk(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                                const float *bdw, const int *qmid, const int *qglob, __half *dwo,
                                int ldd, int cc, const float *gate, float *csum,
                                float *part = nullptr) {
  const bool sw = a.act == MODEL_ACT_SWISH;
  if (a.dwh2 && a.K == 3 && sw)
    dw_chunk_h2<3, MODEL_ACT_SWISH>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.dwh2 && a.K == 5 && sw)
    dw_chunk_h2<5, MODEL_ACT_SWISH>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.dwh2 && a.K == 3)
    dw_chunk_h2<3, -1>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.dwh2 && a.K == 5)
    dw_chunk_h2<5, -1>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.K == 3 && sw)
    dw_chunk_k<3, MODEL_ACT_SWISH>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.K == 5 && sw)
    dw_chunk_k<5, MODEL_ACT_SWISH>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.K == 3)
    dw_chunk_k<3, -1>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else if (a.K == 5)
    dw_chunk_k<5, -1>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
  else
    dw_chunk_k<0, -1>(a, mid, wdw, bdw, qmid, qglob, dwo, ldd, cc, gate, csum, part);
}

// The depthwise conv of one chunk for the MBConv tile kernel, with swish:
// each thread takes one channel pair and two vertically adjacent output
// pixels, so the K + S input rows their windows span are read from mid once
// ((K + S) K loads for two pixels instead of 2 K K); with NX = 2 a block of
// two by two output pixels, whose K + S input rows of K + S columns are
// read once ((K + S)^2 loads for four pixels; the last column of an odd-width
// tile leaves the right pair out); with NX = 7 (strips, dwrows 4 and 5) NY =
// 1 or 2 rows of 7 pixels, whose (NY - 1) S + K input rows of 6 S + K columns
// are read once, for tiles that whole strips cover (cuda_dwstrips_cover():
// the width a multiple of 7, the height a multiple of NY), so that every thread of the
// chunk has at most one or two strips where 2 x 2 blocks left one warp a
// round more than the others. CC (the chunk width the launch was planned
// with) fixes mid's and dwo's row pitch, CC + 8 halves, at compile time: the
// taps' addresses are immediate offsets from one pointer per row. H2: every
// tap summed with HFMA2 on the pair (as dw_chunk_h2), else fp32 FMAs (as
// dw_chunk_k); the arithmetic of each pixel is that of those functions, in
// the same order. oy0, ox0: the tile's first output pixel; pixels past
// the image are stored as zeros and left out of the sums.
template <int KK, int S, int CC, bool H2, int NX = 1, int NY = 2>
__device__ void dw_pairs(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                         const float *bdw, __half *dwo, int cc, int oy0, int ox0, const float *gate,
                         float *part, float *csum) {
  constexpr int LD = CC + 8, NV = KK + (NX - 1) * S; /* input columns read per row */
  constexpr bool STRIP = NX > 2; /* whole strips: no partial row pair or column group */
  static_assert(NY == 2 || (NY == 1 && STRIP), "one-row blocks: strips only");
  const idiv nc2(cc / 2);
  const int g = nc2.q(threadIdx.x), c = (threadIdx.x - g * nc2.d) * 2, G = nc2.q(blockDim.x);
  if (g >= G) return;
  const int TW = a.TW, TH = a.TH, iw = (TW - 1) * S + KK, TWX = (TW + NX - 1) / NX;
  const int rows_in = min(TH, a.Ho - oy0), cols_in = min(TW, a.Wo - ox0);
  const int npairs = (TH + NY - 1) / NY * TWX;
  typedef typename std::conditional<H2, __half2, float2>::type atype; /* accumulator */
  const float2 bf = make_float2(bdw[c], bdw[c + 1]);
  atype b;
  if constexpr (H2)
    b = __float22half2_rn(bf);
  else
    b = bf;
  const float2 sc = gate ? make_float2(gate[c], gate[c + 1]) : make_float2(1.f, 1.f);
  typedef typename std::conditional<(!H2 && KK == 3), float2, __half2>::type wtype;
  wtype w[KK * KK];
#pragma unroll
  for (int i = 0; i < KK * KK; i++)
    w[i] = to_wtype<wtype>(*reinterpret_cast<const __half2 *>(wdw + i * CC + c));
  atype sum = {}; /* the accumulators' type: with H2, fp16 sums */
  /* block it = row pair rp, column group xg; the walk advances G blocks at a time */
  int rp = small_div(g, TWX), xg = g - rp * TWX;
  const int drp = small_div(G, TWX), dx = G - drp * TWX;
  for (int it = g; it < npairs; it += G) {
    const int oy = NY * rp, x = xg * NX;
    const bool has1 = NY == 2 && (STRIP || oy + 1 < TH), hasc = NX == 1 || STRIP || x + 1 < TW;
    const __half *m = mid + (size_t)(oy * S * iw + x * S) * LD + c;
    atype acc[NY][NX];
#pragma unroll
    for (int o = 0; o < NY; o++)
#pragma unroll
      for (int cx = 0; cx < NX; cx++) acc[o][cx] = b;
#pragma unroll
    for (int r = 0; r < KK + (NY - 1) * S; r++) {
      if (r >= KK && !has1) break;
      const __half *row = m + (size_t)r * iw * LD;
      __half2 v[NV];
#pragma unroll
      for (int kx = 0; kx < NV; kx++)
        v[kx] = kx < KK || hasc ? *reinterpret_cast<const __half2 *>(row + kx * LD)
                                : __float2half2_rn(0.f);
      if constexpr (H2) {
#pragma unroll
        for (int o = 0; o < NY; o++) {
          const int ky = r - o * S;
          if (ky < 0 || ky >= KK) continue;
#pragma unroll
          for (int cx = 0; cx < NX; cx++)
#pragma unroll
            for (int kx = 0; kx < KK; kx++)
              acc[o][cx] = __hfma2(v[cx * S + kx], w[ky * KK + kx], acc[o][cx]);
        }
      } else {
        float2 fv[NV];
#pragma unroll
        for (int kx = 0; kx < NV; kx++) fv[kx] = __half22float2(v[kx]);
#pragma unroll
        for (int o = 0; o < NY; o++) {
          const int ky = r - o * S;
          if (ky < 0 || ky >= KK) continue;
#pragma unroll
          for (int cx = 0; cx < NX; cx++)
#pragma unroll
            for (int kx = 0; kx < KK; kx++) {
              const float2 wv = as_float2(w[ky * KK + kx]);
              acc[o][cx].x = fmaf(fv[cx * S + kx].x, wv.x, acc[o][cx].x);
              acc[o][cx].y = fmaf(fv[cx * S + kx].y, wv.y, acc[o][cx].y);
            }
        }
      }
    }
    const int q = oy * TW + x;
#pragma unroll
    for (int o = 0; o < NY; o++) {
      if (o && !has1) break;
#pragma unroll
      for (int cx = 0; cx < NX; cx++) {
        if (cx && !hasc) break;
        __half2 out = __float2half2_rn(0.f);
        if (oy + o < rows_in && x + cx < cols_in)
          out = dw_out<MODEL_ACT_SWISH>(acc[o][cx], MODEL_ACT_SWISH, sc, gate != nullptr, sum);
        *reinterpret_cast<__half2 *>(dwo + (size_t)(q + o * TW + cx) * LD + c) = out;
      }
    }
    xg += dx, rp += drp;
    if (xg >= TWX) xg -= TWX, rp++;
  }
  dw_sums_out(as_float2(sum), g, c, cc, part, csum);
}

// Whether dw_pairs applies to launch a: swish, K 3 or 5, stride 1 or 2, CC
// one of the planner's widths.
__device__ __forceinline__ bool dw_pairs_ok(const cuda_mbconv_args &a) {
  return a.act == MODEL_ACT_SWISH && (a.K == 3 || a.K == 5) && (a.S == 1 || a.S == 2) &&
         (a.CC == 16 || a.CC == 32 || a.CC == 64 || a.CC == 128);
}

// Whether launch a runs strips of 7 pixels by a.dwrows - 3 rows (dwrows 4:
// one row, 5: two), where dw_pairs applies with packed fp16 taps and whole
// strips cover the output tile (cuda_dwstrips_cover); only the PASS1 builds
// of the two-barrier loop (128 registers) dispatch them, where the host's
// cuda_mbconv_dwstrips_ok() has the launcher send them.
__device__ __forceinline__ bool dw_strips_ok(const cuda_mbconv_args &a) {
  return dw_pairs_ok(a) && a.dwh2 && cuda_dwstrips_cover(a.dwrows, a.TH, a.TW);
}

template <int KK, int S, bool H2, int NX = 1, int NY = 2>
__device__ void dw_pairs_cc(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                            const float *bdw, __half *dwo, int cc, int oy0, int ox0,
                            const float *gate, float *part, float *csum) {
  switch (a.CC) {
    case 16:
      return dw_pairs<KK, S, 16, H2, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
    case 32:
      return dw_pairs<KK, S, 32, H2, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
    case 64:
      return dw_pairs<KK, S, 64, H2, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
    default:
      return dw_pairs<KK, S, 128, H2, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part,
                                              csum);
  }
}

// dw_pairs in blocks of NY x NX output pixels with packed fp16 taps (a.dwh2),
// for a launch where dw_pairs_ok(a): NX = 2, NY = 2 (2 x 2 blocks), or NX = 7
// (strips of NY rows, where dw_strips_ok(a)); K, S and CC compiled in. Always
// inlined: with the strips beside them in a build, nvcc made these calls
// (a stack frame and spills in the 128-register PASS1 builds).
template <int NX, int NY>
__device__ __forceinline__ void dw_quads_chunk(const cuda_mbconv_args &a, const __half *mid,
                                               const __half *wdw, const float *bdw, __half *dwo,
                                               int cc, int oy0, int ox0, const float *gate,
                                               float *part, float *csum) {
  if (a.K == 3 && a.S == 1)
    dw_pairs_cc<3, 1, true, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.K == 3)
    dw_pairs_cc<3, 2, true, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.S == 1)
    dw_pairs_cc<5, 1, true, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else
    dw_pairs_cc<5, 2, true, NX, NY>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
}

// dw_pairs for a launch where dw_pairs_ok(a): K, S, a.dwh2 and CC compiled in.
// K5F32: the k = 5 fp32-tap variants too (25 fp16 weight pairs and 5 fp32
// pairs per row in registers: only where the kernel has registers to spare).
template <bool K5F32>
__device__ void dw_pairs_chunk(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                               const float *bdw, __half *dwo, int cc, int oy0, int ox0,
                               const float *gate, float *part, float *csum) {
  if (a.K == 3 && a.S == 1 && a.dwh2)
    dw_pairs_cc<3, 1, true>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.K == 3 && a.S == 1)
    dw_pairs_cc<3, 1, false>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.K == 3 && a.dwh2)
    dw_pairs_cc<3, 2, true>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.K == 3)
    dw_pairs_cc<3, 2, false>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.S == 1 && a.dwh2)
    dw_pairs_cc<5, 1, true>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if (a.dwh2)
    dw_pairs_cc<5, 2, true>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  else if constexpr (K5F32) {
    if (a.S == 1)
      dw_pairs_cc<5, 1, false>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
    else
      dw_pairs_cc<5, 2, false>(a, mid, wdw, bdw, dwo, cc, oy0, ox0, gate, part, csum);
  }
}

// The depthwise conv of one PASS1 chunk with 8 channels per thread (a.dwrows
// == 3, cuda_mbconv_dwvec_ok(): k = 3, swish, packed fp16 taps, no gate), for
// a whole chunk of CC = 16, 32 or 64 channels (the caller runs a shorter last
// chunk through dw_chunk). PASS1 projects nothing, so the outputs go straight
// to the stage in global memory (st: the image's stage at the chunk's first
// channel; nullptr where PASS1 stages nothing), one 16-byte store per thread
// and pixel, instead of through dwo. One 16-byte load per tap gives a thread four
// channel pairs, so a tap costs a quarter of dw_chunk_h2's loads and address
// arithmetic; the 36 weight pairs sit in registers. A warp takes 32 / (CC /
// 8) pixels, lane = (slot, 8-channel group), the slots' pixels permuted
// (dwv_px) so that the pixels of one quarter-warp (one shared-memory
// wavefront of 16-byte loads) fall on distinct banks within an output row.
// The per-pixel arithmetic is dw_chunk_h2's. The channel sums: each
// thread's (a few pixels per chunk) in fp16 pairs, then in fp32 a butterfly
// over the lanes of one group leaves the warp's sum of each channel in one
// lane (two for CC = 16), which writes part[warp][c]: WARPS rows for the
// caller to add.
template <int S, int NG>
__device__ __forceinline__ int dwv_px(int slot) {
  /* M slots of a quarter-warp, D pixels apart: (CC, S) = (32, 1): 4, (32, 2): 2,
     (16, 1): 2, (16, 2): 1; CC = 64 fills a quarter-warp with one pixel */
  constexpr int M = NG >= 8 ? 1 : 8 / NG, D = NG == 4 ? 4 / S : NG == 2 ? 2 / S : 1;
  const int j = slot / M, i = slot - j * M;
  return j % D + i * D + (j / D) * D * M;
}

// dw_vec's and dw_run's taps (the 9 taps' fp16 pairs of the thread's 8
// channels from c) and bias, in registers.
__device__ __forceinline__ void dwv_taps(const __half *wdw, const float *bdw, int c, int CC,
                                         __half2 (&w)[9][4], __half2 (&b)[4]) {
#pragma unroll
  for (int t = 0; t < 9; t++) {
    const uint4 u = *reinterpret_cast<const uint4 *>(wdw + t * CC + c);
    const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
    for (int j = 0; j < 4; j++) w[t][j] = h[j];
  }
#pragma unroll
  for (int j = 0; j < 4; j++) b[j] = __floats2half2_rn(bdw[c + 2 * j], bdw[c + 2 * j + 1]);
}

// One output pixel's 8 channels: swish (as dw_out), added to the thread's
// fp16 channel sums, stored to the stage at st (nullptr: none).
__device__ __forceinline__ void dwv_out(const __half2 (&acc)[4], __half2 (&hsum)[4], __half *st) {
  uint4 o;
  __half2 *h = reinterpret_cast<__half2 *>(&o);
#pragma unroll
  for (int j = 0; j < 4; j++) {
    h[j] = swish_h2(__hmax2(acc[j], __float2half2_rn(-65504.f))); /* as dw_out */
    hsum[j] = __hadd2(hsum[j], h[j]);
  }
  if (st) *reinterpret_cast<uint4 *>(st) = o;
}

// The thread's channel sums (NG = CC / 8 lanes per pixel, lane % NG = the
// 8-channel group) to part[warp][CC]: a butterfly over the lanes of one
// group, in fp32.
template <int CC>
__device__ __forceinline__ void dwv_part(const __half2 (&hsum)[4], float *part, int warp,
                                         int lane) {
  constexpr int NG = CC / 8;
  const int c = (lane % NG) * 8;
  /* butterfly over the lanes of group grp (lane bits NG .. 16): each round
     keeps half the values (the upper half where the lane's bit is set) and
     adds the partner's copy of them; values left: 8, 4, 2, 1 (then plain adds) */
  float v[8];
#pragma unroll
  for (int j = 0; j < 4; j++) {
    const float2 f = __half22float2(hsum[j]);
    v[2 * j] = f.x, v[2 * j + 1] = f.y;
  }
  int sub = 0; /* the first held channel's offset in the group */
  constexpr int ROUNDS = NG == 2 ? 4 : NG == 4 ? 3 : 2, LEFT = 8 >> (ROUNDS < 3 ? ROUNDS : 3);
#pragma unroll
  for (int r = 0; r < ROUNDS; r++) {
    const int mask = 16 >> r, n = 8 >> r;
    const bool up = lane & mask;
    if (n > 1) {
#pragma unroll
      for (int i = 0; i < n / 2; i++) {
        const float send = up ? v[i] : v[i + n / 2], keep = up ? v[i + n / 2] : v[i];
        v[i] = keep + __shfl_xor_sync(0xffffffffu, send, mask);
      }
      if (up) sub += n / 2;
    } else {
      v[0] += __shfl_xor_sync(0xffffffffu, v[0], mask);
    }
  }
  /* CC = 16: the lanes on either side of lane bit 2 (the plain round) hold the same values */
  if (NG != 2 || !(lane & 2))
#pragma unroll
    for (int i = 0; i < LEFT; i++) part[(size_t)warp * CC + c + sub + i] = v[i];
}

template <int S, int CC>
__device__ void dw_vec(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                       const float *bdw, const int *qmid, const int *qglob, __half *st,
                       float *part) {
  constexpr int LD = CC + 8, KK = 3, NG = CC / 8, P = 32 / NG;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  const int c = (lane % NG) * 8;
  const int px = dwv_px<S, NG>(lane / NG), npx = a.TH * a.TW;
  const int rowstride = ((a.TW - 1) * S + KK) * LD;
  __half2 w[KK * KK][4], b[4];
  dwv_taps(wdw, bdw, c, CC, w, b);
  __half2 hsum[4] = {}; /* a thread's few pixels per chunk, summed in fp16 */
  for (int q0 = warp * P; q0 < npx; q0 += nw * P) {
    const int q = q0 + px;
    if (q >= npx) continue;
    const int gq = qglob[q];
    if (gq >= 0) {
      const __half *m0 = mid + (size_t)qmid[q] * LD + c;
      __half2 acc[4] = {b[0], b[1], b[2], b[3]};
#pragma unroll
      for (int ky = 0; ky < KK; ky++) {
        uint4 v[KK];
#pragma unroll
        for (int kx = 0; kx < KK; kx++)
          v[kx] = *reinterpret_cast<const uint4 *>(m0 + ky * rowstride + kx * LD);
#pragma unroll
        for (int kx = 0; kx < KK; kx++)
#pragma unroll
          for (int j = 0; j < 4; j++)
            acc[j] =
                __hfma2(reinterpret_cast<const __half2 *>(&v[kx])[j], w[ky * KK + kx][j], acc[j]);
      }
      dwv_out(acc, hsum, st ? st + (size_t)gq * a.CmidP + c : nullptr);
    }
  }
  dwv_part<CC>(hsum, part, warp, lane);
}

// dw_vec on runs of R consecutive output pixels of one tile row per thread
// (a.dwrun = R): the run's (R - 1) S + 3 input columns are each loaded once
// (three 16-byte loads, one per tap row) and feed every output of the run
// whose window holds them, so a pixel costs 3 + 6 / R loads at stride 1
// instead of dw_vec's 9, and the R x 4 accumulators give the FMA chains R
// times the independent work. A run past the tile's right edge (TW not a
// multiple of R) computes its missing pixels from its last column's data and
// stores none of them. The lanes of one run are its NG 8-channel groups; a
// warp takes 32 / NG runs.
template <int S, int CC, int R>
__device__ void dw_run(const cuda_mbconv_args &a, const __half *mid, const __half *wdw,
                       const float *bdw, const int *qmid, const int *qglob, __half *st,
                       float *part) {
  constexpr int LD = CC + 8, KK = 3, NG = CC / 8, P = 32 / NG, NCOL = (R - 1) * S + KK;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  const int c = (lane % NG) * 8;
  const int rowstride = ((a.TW - 1) * S + KK) * LD;
  const int nrun = (a.TW + R - 1) / R, runs = a.TH * nrun;
  __half2 w[KK * KK][4], b[4];
  dwv_taps(wdw, bdw, c, CC, w, b);
  __half2 hsum[4] = {};
  for (int u = warp * P + lane / NG; u < runs; u += nw * P) {
    const int oy = small_div(u, nrun), x0 = (u - oy * nrun) * R, q0 = oy * a.TW + x0;
    const int nv = min(R, a.TW - x0), jmax = (nv - 1) * S + KK - 1; /* the last column read */
    const __half *m0 = mid + (size_t)qmid[q0] * LD + c;
    __half2 acc[R][4];
#pragma unroll
    for (int i = 0; i < R; i++)
#pragma unroll
      for (int j = 0; j < 4; j++) acc[i][j] = b[j];
#pragma unroll
    for (int col = 0; col < NCOL; col++) {
      const __half *mc = m0 + min(col, jmax) * LD;
      uint4 v[KK];
#pragma unroll
      for (int ky = 0; ky < KK; ky++) v[ky] = *reinterpret_cast<const uint4 *>(mc + ky * rowstride);
#pragma unroll
      for (int i = 0; i < R; i++) {
        const int kx = col - i * S; /* output i's tap column that this input column is */
        if (kx < 0 || kx >= KK) continue;
#pragma unroll
        for (int ky = 0; ky < KK; ky++)
#pragma unroll
          for (int j = 0; j < 4; j++)
            acc[i][j] = __hfma2(reinterpret_cast<const __half2 *>(&v[ky])[j], w[ky * KK + kx][j],
                                acc[i][j]);
      }
    }
#pragma unroll
    for (int i = 0; i < R; i++) {
      const int gq = i < nv ? qglob[q0 + i] : -1;
      if (gq >= 0) dwv_out(acc[i], hsum, st ? st + (size_t)gq * a.CmidP + c : nullptr);
    }
  }
  dwv_part<CC>(hsum, part, warp, lane);
}

// dw_vec, or dw_run with R = a.dwrun where the build has it (bit 0 of RS: R
// = 2, bit 1: 4, bit 2: 7; chunks of 32 and 64 channels), for S and CC.
template <int S, int CC, int RS>
__device__ __forceinline__ void dw_vec_s(const cuda_mbconv_args &a, const __half *mid,
                                         const __half *wdw, const float *bdw, const int *qmid,
                                         const int *qglob, __half *st, float *part) {
  if constexpr (CC >= 32 && (RS & 1))
    if (a.dwrun == 2) return dw_run<S, CC, 2>(a, mid, wdw, bdw, qmid, qglob, st, part);
  if constexpr (CC >= 32 && (RS & 2))
    if (a.dwrun == 4) return dw_run<S, CC, 4>(a, mid, wdw, bdw, qmid, qglob, st, part);
  if constexpr (CC >= 32 && (RS & 4))
    if (a.dwrun == 7) return dw_run<S, CC, 7>(a, mid, wdw, bdw, qmid, qglob, st, part);
  dw_vec<S, CC>(a, mid, wdw, bdw, qmid, qglob, st, part);
}

// dw_vec or dw_run for a launch where cuda_mbconv_dwvec_ok(a): S and CC
// compiled in; RS as dw_vec_s.
template <int RS>
__device__ __forceinline__ void dw_vec_chunk(const cuda_mbconv_args &a, const __half *mid,
                                             const __half *wdw, const float *bdw, const int *qmid,
                                             const int *qglob, __half *st, float *part) {
  if (a.S == 1) {
    if (a.CC == 16) return dw_vec_s<1, 16, RS>(a, mid, wdw, bdw, qmid, qglob, st, part);
    if (a.CC == 32) return dw_vec_s<1, 32, RS>(a, mid, wdw, bdw, qmid, qglob, st, part);
    return dw_vec_s<1, 64, RS>(a, mid, wdw, bdw, qmid, qglob, st, part);
  }
  if (a.CC == 16) return dw_vec_s<2, 16, RS>(a, mid, wdw, bdw, qmid, qglob, st, part);
  if (a.CC == 32) return dw_vec_s<2, 32, RS>(a, mid, wdw, bdw, qmid, qglob, st, part);
  return dw_vec_s<2, 64, RS>(a, mid, wdw, bdw, qmid, qglob, st, part);
}

// The projection of one chunk of cc expanded channels: warp w accumulates
// the 16x16 output tiles f = w, w + WARPS, ... (< nfrag; row tile f / ncols,
// column tile f % ncols) of A [rows][cc] (pitch lda) x B [cc][cols] (pitch
// ldb) into acc[i], i = (f - w) / WARPS. Shared by the tile kernel and the
// cluster mode.
template <int NF, int WARPS>
__device__ __forceinline__ void proj_chunk(frag_c (&acc)[NF], const __half *A, int lda,
                                           const __half *B, int ldb, int cc, int nfrag, int ncols,
                                           int warp) {
#pragma unroll
  for (int i = 0; i < NF; i++) {
    const int f = warp + i * WARPS;
    if (f < nfrag) {
      const int mt = f / ncols, nt = f % ncols;
      for (int k = 0; k < cc / 16; k++) {
        frag_a fa;
        frag_b fb;
        wmma::load_matrix_sync(fa, A + (size_t)mt * 16 * lda + k * 16, lda);
        wmma::load_matrix_sync(fb, B + (size_t)k * 16 * ldb + nt * 16, ldb);
        wmma::mma_sync(acc[i], fa, fb, acc[i]);
      }
    }
  }
}

// One warp writes one 16x16 projection tile: accumulators -> the warp's fp32
// scratch -> + bias (+ residual) -> fp16, padded channels forced to zero, one
// 16-byte store per lane (lane / 2 = row, 8 columns). Row q of the tile is
// output pixel qglob[q] (MAPPED) or q; rows at or past npx, or mapped to -1,
// are not stored. y and res point at the image.
template <bool MAPPED>
__device__ __forceinline__ void store_proj_tile(const cuda_mbconv_args &a, const frag_c &acc,
                                                float *scr, __half *y, const __half *res, int mt,
                                                int nt, int npx, const int *qglob, int lane) {
  wmma::store_matrix_sync(scr, acc, 16, wmma::mem_row_major);
  __syncwarp();
  const int r = lane >> 1, c8 = (lane & 1) * 8, q = mt * 16 + r;
  const int gq = q < npx ? (MAPPED ? qglob[q] : q) : -1;
  if (gq >= 0) {
    const size_t off = (size_t)gq * a.CoutP + nt * 16 + c8;
    float v[8], rv[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    if (res) unpack8(*reinterpret_cast<const uint4 *>(res + off), rv);
#pragma unroll
    for (int j = 0; j < 8; j++) {
      const int c = nt * 16 + c8 + j;
      v[j] = c < a.Cout ? scr[r * 16 + c8 + j] + a.b_proj[c] + rv[j] : 0.f;
    }
    *reinterpret_cast<uint4 *>(y + off) = pack8(v);
  }
  __syncwarp();
}

}  // namespace bf

#endif
