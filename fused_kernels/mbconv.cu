// The fused MBConv kernel: 1x1 expand -> act -> KxK depthwise (stride S) ->
// act -> [SE] -> 1x1 project -> (+ residual), one CTA per output tile.
//
// Tiling: a CTA owns one image's TH x TW output tile and walks the expanded
// width in chunks of CC channels. Per chunk it
//   expand:  [Pin x CinP] x [CinP x CC] on tensor cores (mma.sync m16n8k16,
//            fp16 in, fp32 accumulate), Pin = input tile incl. halo
//            ((TH-1)S+K) x ((TW-1)S+K), of which only the pixels inside
//            the image are computed (in_rect); act; the pixels outside it
//            are zeros (the depthwise conv pads the *expanded* tensor),
//            written once per CTA (zero_halo)
//   dw:      K x K depthwise in fp32 from shared memory, act
//   project: [Pout x CC] x [CC x CoutP] accumulated in registers across chunks
// so the expanded intermediate lives only in shared memory and registers.
// FLOPs per tile: 2*(Pin*Cin*Cmid + Pout*K*K*Cmid + Pout*Cmid*Cout); DRAM
// bytes: input tile (halo re-read from L2), output tile, weights via L2.
//
// Squeeze-excite needs the global mean of the dw output before projecting, so
// an SE block makes two passes over the activations (modes in
// cuda_kernels.h): PASS1 computes per-tile channel sums (and optionally stages
// the dw output in DRAM); one small kernel (se_kernel, se_mma.cu's on tensor
// cores for groups of 16 images on the larger blocks, or se_batch.cu's for
// groups of 8 at large batch: cuda_se_form) finishes the mean and the SE
// MLP (it reads only the sums and the SE weights); pass 2 either
// recomputes expand+dw (RECOMP) or reads the staged tensor (STAGED), scales
// by the gate and projects. The backend picks between them by timing both at create.
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace bf {

// The SE MLP after PASS1, one kernel, no atomics: grid (G, N), 256 threads.
// Every CTA of image n finishes the channel means from the per-tile sums
// and the whole reduce FC r = act(b + mean . Wr) in shared memory (cheap:
// Cmid x se_c MACs, the weights from L2), then computes the gates of its
// share of the channels (CUDA_SE_CPB per CTA, or all of them with G = 1),
// gate[c] = sigmoid(b + r . We[:, c]) -> scale. With G > 1 the reduce is
// repeated per CTA, which at small batch costs less than a second launch
// would. (The two-kernel version it replaces combined partial FCs with
// shared- and global-memory float atomics; their contention made it take
// 14-24 us per block at batch 1.) The kernel is a chain of L2 round trips at
// small batch, so every phase keeps all 256 threads loading: the means split
// the tiles over TPC threads per channel where Cmid < 256, and in small grids
// (cpb = CUDA_SE_CPB) the gates split se_c over 4 threads per channel; large grids
// (cpb = 256) keep a thread per channel pair, whose loads of We coalesce. It does
// not read the activations: the block still makes two passes over them.
// PRE (grids of one wave, each CTA gating one CUDA_SE_CPB chunk; chosen by
// the launcher where cuda_se_smem_pre() fits): the reduce weights and the
// CTA's slice of the expand weights go to shared memory by cp.async before
// the wait for PASS1 (programmatic dependent launch overlaps them with
// PASS1's end), the image's per-tile sums right after it, all in flight at
// once; the phases then read shared memory instead of walking L2 in chains.
template <bool PRE>
__global__ void __launch_bounds__(256) se_kernel(const cuda_mbconv_args a, int cpb) {
  extern __shared__ __align__(16) float se_s[];
  const int sep = cuda_se_sep(&a), J = sep / 8; /* Wr rows are sep fp16 = J x 16 bytes */
  const int R = J >= 256 ? 1 : 256 / J;         /* Wr rows read in parallel */
  float *mean = se_s, *part = mean + a.CmidP, *r = part + max(2048, sep);
  const int n = blockIdx.y, tiles = a.tiles_x * a.tiles_y, tid = threadIdx.x;
  const float inv = 1.f / (float)(a.Ho * a.Wo);
  /* PRE's copies: Wr [Cmid][J] x 16 B, the sums [tiles][CmidP], We[:, c0..c0+63] */
  uint4 *wr_s = reinterpret_cast<uint4 *>(r + sep);
  float *sums_s = reinterpret_cast<float *>(wr_s + (size_t)a.Cmid * J);
  __half *we_s = reinterpret_cast<__half *>(sums_s + (size_t)tiles * a.CmidP);
  const int cq0 = blockIdx.x * CUDA_SE_CPB; /* PRE: this CTA's one chunk of gates */
  if (PRE) {
    const uint4 *wr = reinterpret_cast<const uint4 *>(a.w_ser);
    for (int i = tid; i < a.Cmid * J; i += 256) cp_async16(wr_s + i, wr + i);
    const __half *we = (const __half *)a.w_see;
    for (int i = tid; i < a.se_c * (CUDA_SE_CPB / 8); i += 256) {
      const int j = i / (CUDA_SE_CPB / 8), k = (i % (CUDA_SE_CPB / 8)) * 8;
      if (cq0 + k < a.CmidP)
        cp_async16(we_s + j * CUDA_SE_CPB + k, we + (size_t)j * a.CmidP + cq0 + k);
    }
    cp_async_commit();
  }
  pdl_wait(); /* PASS1's sums */
  pdl_trigger();
  const float *sums = a.sums + (size_t)n * tiles * a.CmidP;
  if (PRE) {
    const uint4 *gs = reinterpret_cast<const uint4 *>(sums);
    for (int i = tid; i < tiles * a.CmidP / 4; i += 256) cp_async16(sums_s + 4 * (size_t)i, gs + i);
    cp_async_commit();
    cp_async_wait0();
    __syncthreads();
    sums = sums_s;
  }
  /* TPC threads per channel (a power of two, TPC * Cmid <= 256) sum every
     TPC-th tile, coalesced over c, four loads in flight; then part[] adds up */
  int tpc = 1;
  while (tpc < 32 && 2 * tpc * a.Cmid <= 256) tpc *= 2;
  for (int i = tid; i < a.Cmid * tpc; i += 256) {
    const int c = i % a.Cmid, j = i / a.Cmid;
    float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int t = j;
    for (; t + 3 * tpc < tiles; t += 4 * tpc) {
      s0 += sums[(size_t)t * a.CmidP + c];
      s1 += sums[(size_t)(t + tpc) * a.CmidP + c];
      s2 += sums[(size_t)(t + 2 * tpc) * a.CmidP + c];
      s3 += sums[(size_t)(t + 3 * tpc) * a.CmidP + c];
    }
    for (; t < tiles; t += tpc) s0 += sums[(size_t)t * a.CmidP + c];
    if (tpc == 1)
      mean[c] = ((s0 + s1) + (s2 + s3)) * inv;
    else
      part[j * a.Cmid + c] = (s0 + s1) + (s2 + s3);
  }
  if (tpc > 1) {
    __syncthreads();
    for (int c = tid; c < a.Cmid; c += 256) {
      float s = 0.f;
      for (int j = 0; j < tpc; j++) s += part[j * a.Cmid + c];
      mean[c] = s * inv;
    }
  }
  __syncthreads();
  /* Reduce FC: thread q takes the 8 columns j8 of rows r0, r0 + R, ... with
     16-byte loads, four rows in flight (from L2 the reduce is latency-bound:
     up to 1152 x 48 weights per image; PRE reads its copy). Rows r0 >= Cmid
     leave zeros. */
  const uint4 *wr = PRE ? wr_s : reinterpret_cast<const uint4 *>(a.w_ser);
  auto wr_at = [&](size_t i) { return PRE ? wr[i] : __ldg(wr + i); };
  const int rows = min(R, a.Cmid);
  for (int q = tid; q < rows * J; q += 256) {
    const int j8 = q % J, r0 = q / J;
    float acc[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f}, w[8];
    int c = r0;
    for (; c + 3 * R < a.Cmid; c += 4 * R) {
      uint4 u[4];
#pragma unroll
      for (int i = 0; i < 4; i++) u[i] = wr_at((size_t)(c + i * R) * J + j8);
#pragma unroll
      for (int i = 0; i < 4; i++) {
        const float m = mean[c + i * R];
        unpack8(u[i], w);
#pragma unroll
        for (int k = 0; k < 8; k++) acc[k] = fmaf(m, w[k], acc[k]);
      }
    }
    for (; c < a.Cmid; c += R) {
      const float m = mean[c];
      unpack8(wr_at((size_t)c * J + j8), w);
#pragma unroll
      for (int k = 0; k < 8; k++) acc[k] = fmaf(m, w[k], acc[k]);
    }
#pragma unroll
    for (int k = 0; k < 8; k++) part[r0 * sep + j8 * 8 + k] = acc[k];
  }
  __syncthreads();
  for (int j = tid; j < a.se_c; j += 256) {
    float s0 = a.b_ser[j], s1 = 0.f, s2 = 0.f, s3 = 0.f;
    int k = 0;
    for (; k + 4 <= rows; k += 4) {
      s0 += part[k * sep + j], s1 += part[(k + 1) * sep + j];
      s2 += part[(k + 2) * sep + j], s3 += part[(k + 3) * sep + j];
    }
    for (; k < rows; k++) s0 += part[k * sep + j];
    r[j] = act_apply((s0 + s1) + (s2 + s3), a.se_act);
  }
  __syncthreads();
  const __half *we = (const __half *)a.w_see;
  /* large grids: a thread per channel pair, coalesced 4-byte rows of We, 8 rows in
     flight (the loads are a chain of L2 round trips); a CTA's 256 channels are 128
     pairs, or with one CTA per image (G = 1) it walks them 256 pairs at a time */
  if (!PRE && cpb == 256) {
    const __half2 *we2 = reinterpret_cast<const __half2 *>(we);
    const int P = a.CmidP / 2, ppc = gridDim.x == 1 ? 256 : 128;
    for (int p = blockIdx.x * ppc + tid; tid < ppc && p < P; p += gridDim.x * ppc) {
      float2 s0 = make_float2(a.b_see[2 * p], a.b_see[2 * p + 1]), s1 = make_float2(0.f, 0.f);
      int j = 0;
      for (; j + 8 <= a.se_c; j += 8) {
        __half2 w[8];
#pragma unroll
        for (int u = 0; u < 8; u++) w[u] = __ldg(we2 + (size_t)(j + u) * P + p);
#pragma unroll
        for (int u = 0; u < 8; u += 2) {
          const float2 f0 = __half22float2(w[u]), f1 = __half22float2(w[u + 1]);
          s0.x = fmaf(r[j + u], f0.x, s0.x), s0.y = fmaf(r[j + u], f0.y, s0.y);
          s1.x = fmaf(r[j + u + 1], f1.x, s1.x), s1.y = fmaf(r[j + u + 1], f1.y, s1.y);
        }
      }
      for (; j < a.se_c; j++) {
        const float2 f = __half22float2(__ldg(we2 + (size_t)j * P + p));
        s0.x = fmaf(r[j], f.x, s0.x), s0.y = fmaf(r[j], f.y, s0.y);
      }
      const int c = 2 * p;
      *reinterpret_cast<float2 *>(a.scale + (size_t)n * a.CmidP + c) =
          make_float2(c < a.Cmid ? sigmoid_fast(s0.x + s1.x) : 0.f,
                      c + 1 < a.Cmid ? sigmoid_fast(s0.y + s1.y) : 0.f);
    }
    return;
  }
  /* Small grids (latency-bound): 4 threads per channel (a quad of lanes)
     split se_c, 2 loads each in flight per step, then a quad shuffle */
  const int q4 = tid & 3;
  /* We[j][c]: from PRE's slice or from L2 */
  auto we_at = [&](int j, int c) {
    return __half2float(PRE ? we_s[j * CUDA_SE_CPB + c - cq0]
                            : __ldg(we + (size_t)j * a.CmidP + c));
  };
  for (int c0 = blockIdx.x * CUDA_SE_CPB; c0 < a.CmidP; c0 += gridDim.x * CUDA_SE_CPB) {
    const int c = c0 + (tid >> 2);
    const bool on = (tid >> 2) < CUDA_SE_CPB && c < a.CmidP; /* warp-uniform: 64 channels x 4 */
    float s0 = 0.f, s1 = 0.f;
    if (on) {
      int j = q4;
#pragma unroll 4
      for (; j + 4 < a.se_c; j += 8) {
        s0 = fmaf(r[j], we_at(j, c), s0);
        s1 = fmaf(r[j + 4], we_at(j + 4, c), s1);
      }
      if (j < a.se_c) s0 = fmaf(r[j], we_at(j, c), s0);
    }
    float s = s0 + s1;
    s += __shfl_xor_sync(0xffffffffu, s, 1);
    s += __shfl_xor_sync(0xffffffffu, s, 2);
    if (on && q4 == 0)
      a.scale[(size_t)n * a.CmidP + c] = c < a.Cmid ? sigmoid_fast(s + a.b_see[c]) : 0.f;
  }
}

// PASS1's copy of a chunk's dw output (dwo, pitch ldd halves) to the image's stage: the
// thread's 16 bytes (st, d: at its 8 channels) of pixels p8, p8 + G8, ... that lie inside the
// image (qglob). A pixel's offset in the image's stage is under 2^31 halves, so it is one
// 32-bit multiply where the 64-bit form took five instructions.
__device__ __forceinline__ void stage_copy(__half *st, const __half *d, int ldd, const int *qglob,
                                           int npx, int p8, int G8, int CmidP) {
  for (int q = p8; q < npx; q += G8) {
    const int gq = qglob[q];
    if (gq >= 0)
      *reinterpret_cast<uint4 *>(st + gq * CmidP) = *reinterpret_cast<const uint4 *>(d + q * ldd);
  }
}

// NF accumulator tiles per warp; MINB CTAs per SM the registers must allow
// (3 for NF <= 2, 2 for 4, 1 above; 4 = the lowreg variant of NF = 1; P1's
// 8-warp builds 3, or 2 where 3 CTAs do not fit in shared memory anyway);
// THREADS per CTA: CUDA_THREADS, or twice that (a.wide). P1: PASS1 only
// (NF = 1), built without the projection and the gates, whose registers the
// depthwise conv's thread shapes then get: the launcher runs every PASS1
// with it. VEC: PASS1's builds for a.dwrows == 3, whose depthwise conv is
// dw_vec (8 channels per thread; a chunk it does not take runs the
// one-pixel loop), kept apart so that its registers do not weigh on the
// other shapes.
template <int NF, int MINB, int THREADS = CUDA_THREADS, bool P1 = false, bool VEC = false>
__global__ void __launch_bounds__(THREADS, MINB) mbconv_kernel(const cuda_mbconv_args a) {
  constexpr int WARPS = THREADS / 32;
  /* Which depthwise launches with a.dwrows take dw_pairs (two output rows
     per thread): its register needs spill the 64-register lowreg variant and
     the 80-register one with two accumulator tiles, which keep the one-pixel
     loop; the 80-register single-tile variants leave out the k = 5
     fp32-tap form. 0: none, 1: k = 3 and k = 5 with fp16 taps, 2: all.
     cuda_mbconv_dwrows_ok() is the host's copy of this rule. */
  constexpr int PAIRS = MINB >= 4 || (MINB == 3 && NF >= 2) ? 0 : MINB == 3 ? 1 : 2;
  /* a.dwrows == 2 (2 x 2 output blocks, packed fp16 taps): the 16-warp
     one-tile instantiation and PASS1's but lowreg (cuda_mbconv_dwquads_ok()
     on the host) */
  constexpr bool QUADS = (P1 && MINB < 4) || (NF == 1 && THREADS == 2 * CUDA_THREADS);
  static_assert(!VEC || (P1 && MINB < 4), "dw_vec: PASS1's 8- and 16-warp builds only");
  /* dw_run's run lengths in the VEC builds (dw_vec_s): 2 where 80 registers bound a
     thread (3 CTAs per SM), also 4 and 7 with 128 (cuda_mbconv_dwrun_ok on the host) */
  constexpr int VEC_RUNS = MINB >= 3 ? 1 : 7;
  extern __shared__ __align__(128) unsigned char smem[];
  const int n = blockIdx.y, tile = blockIdx.x, z = blockIdx.z, Z = gridDim.z;
  /* the CTA's divisions by small_div: the integer ones cost ~30 instructions
     each in every warp, which small tiles (8 192 CTAs at batch 256) felt */
  const int ty = small_div(tile, a.tiles_x), tx = tile - ty * a.tiles_x;
  const int oy0 = ty * a.TH, ox0 = tx * a.TW;
  const int ih = (a.TH - 1) * a.S + a.K, iw = (a.TW - 1) * a.S + a.K;
  const int pin = ih * iw, npin = (pin + 15) & ~15;
  const int npx = a.TH * a.TW, pout = (npx + 15) & ~15, ldd = a.CC + 8;
  const int iy0 = oy0 * a.S - a.pad_t, ix0 = ox0 * a.S - a.pad_l;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const bool staged = !P1 && a.mode == CUDA_MB_STAGED, proj = !P1 && a.mode != CUDA_MB_PASS1;

  float *scr_all = reinterpret_cast<float *>(smem);
  float *scr = scr_all + warp * 256;
  /* PASS1 needs no projection scratch; its dw writes per-group channel
     partial sums there instead (2 floats per thread) */
  float *part = proj ? nullptr : scr_all;
  float *bexp_s = scr_all + (proj ? WARPS * 256 : WARPS * 64);
  float *bdw_s = bexp_s + a.CC, *gate_s = bdw_s + a.CC;
  // Pixel tables, built once so that no loop divides: qmid[q] = the output
  // pixel's top-left tap in the input tile, qglob[q] = its index in the
  // output image (-1 past the edge), pglob[p] = input tile pixel's index in
  // the input image (-1 in the zero padding).
  int *qmid = reinterpret_cast<int *>(gate_s + a.CC), *qglob = qmid + 256, *pglob = qglob + 256;
  unsigned char *p = reinterpret_cast<unsigned char *>(pglob + npin);  // 32B-aligned for wmma
  __half *wdw_s = nullptr, *wexp_s = nullptr, *wproj_s = nullptr;
  const int nct = a.CoutP / 16, nctz = (nct + Z - 1) / Z, nt0 = z * nctz;
  const int ncols = min(nctz, nct - nt0); /* this CTA's output column tiles */
  const int ldw = a.CC + 8, ldp = nctz * 16 + 8;
  if (!staged) {
    wdw_s = reinterpret_cast<__half *>(p);
    p += (size_t)a.K * a.K * a.CC * 2;
    if (a.has_expand) {
      wexp_s = reinterpret_cast<__half *>(p);
      p += (size_t)a.CinP * ldw * 2;
    }
  }
  if (proj) {
    wproj_s = reinterpret_cast<__half *>(p);
    p += (size_t)a.CC * ldp * 2;
  }
  unsigned char *body = p;
  __half *xin = reinterpret_cast<__half *>(body);
  size_t body_bytes = 0;
  const int xrows = a.has_expand ? cuda_xin_rows(ih, iw, a.H, a.W) : 0; /* see load_xin */
  if (!staged) body_bytes += (size_t)xrows * (a.CinP + 8) * 2 + (size_t)npin * (a.CC + 8) * 2;
  __half *mid = xin + (staged ? 0 : (size_t)xrows * (a.CinP + 8));
  __half *dwo = reinterpret_cast<__half *>(body + body_bytes);
  /* STAGED: the next chunk's staged dw output lands here by cp.async while
     this chunk projects; it is gated into dwo after B2 */
  __half *stg = staged ? dwo + (size_t)pout * ldd : nullptr;

  const __half *x = (const __half *)a.x + (size_t)n * a.H * a.W * a.CinP;
  const float *gate = P1 || a.mode == CUDA_MB_FUSED || a.mode == CUDA_MB_PASS1
                          ? nullptr
                          : a.scale + (size_t)n * a.CmidP;

  const __half *wproj = (const __half *)a.w_proj;
  const __half *gw_exp = (const __half *)a.w_exp, *gw_dw = (const __half *)a.w_dw;
  const int nchunks = small_div(a.CmidP + a.CC - 1, a.CC), cpz = small_div(nchunks + Z - 1, Z);
  /* PASS1 splits the chunks over grid.z; the projecting modes split columns */
  const int c_begin = proj ? 0 : z * cpz * a.CC,
            c_end = proj ? a.CmidP : min(a.CmidP, (z + 1) * cpz * a.CC);

  // The chunk's weights travel by cp.async in three commit groups, each issued
  // as soon as the previous chunk's readers of that buffer are past a barrier
  // (see the loop), so the L2 round trips overlap the other phases' compute:
  //   E(c): expand weights + bias    issued after B2(c-1), needed at B1(c)
  //   D(c): dw weights, bias, gate   issued after B3(c-1), needed at B2(c)
  //   P(c): projection weights       issued after B1(c),   needed at B3(c)
  // Every thread commits every group (empty ones too), so "wait until at most
  // one group is pending" before each barrier always means the group needed.
  auto issue_exp = [&](int c0) {
    if (staged || !a.has_expand || c0 >= c_end) return;
    const int v8 = min(a.CC, a.CmidP - c0) / 8;
    cp_rows(wexp_s, ldw, gw_exp + c0, a.CmidP, a.CinP, v8);
    for (int i = threadIdx.x; i < v8 * 2; i += blockDim.x)
      cp_async16(bexp_s + i * 4, a.b_exp + c0 + i * 4);
  };
  auto issue_dw = [&](int c0) {
    if (c0 >= c_end) return;
    const idiv v8(min(a.CC, a.CmidP - c0) / 8);
    if (!staged) {
      cp_rows(wdw_s, a.CC, gw_dw + c0, a.CmidP, a.K * a.K, v8.d);
      for (int i = threadIdx.x; i < v8.d * 2; i += blockDim.x)
        cp_async16(bdw_s + i * 4, a.b_dw + c0 + i * 4);
    }
    if (gate)
      for (int i = threadIdx.x; i < v8.d * 2; i += blockDim.x)
        cp_async16(gate_s + i * 4, gate + c0 + i * 4);
    if (staged) { /* the chunk's staged tile; pixels past the image read as 0 */
      const __half *st = (const __half *)a.stage + (size_t)n * a.Ho * a.Wo * a.CmidP + c0;
      for (int i = threadIdx.x; i < npx * v8.d; i += blockDim.x) {
        const int q = v8.q(i), c = (i - q * v8.d) * 8, gq = qglob[q];
        cp_async16_zfill(stg + (size_t)q * ldd + c, st + (size_t)(gq >= 0 ? gq : 0) * a.CmidP + c,
                         gq >= 0);
      }
    }
  };
  auto issue_proj = [&](int c0) {
    if (!proj) return;
    const int cc = min(a.CC, a.CmidP - c0);
    const idiv w8(ncols * 2);
    for (int i = threadIdx.x; i < cc * w8.d; i += blockDim.x) {
      const int r = w8.q(i), c = (i - r * w8.d) * 8;
      cp_async16(wproj_s + (size_t)r * ldp + c, wproj + (size_t)(c0 + r) * a.CoutP + nt0 * 16 + c);
    }
  };
  issue_exp(c_begin); /* overlaps the table build below */

  for (int q = threadIdx.x; q < npx; q += blockDim.x) {
    const int oy = small_div(q, a.TW), ox = q - oy * a.TW;
    qmid[q] = oy * a.S * iw + ox * a.S;
    qglob[q] = oy0 + oy < a.Ho && ox0 + ox < a.Wo ? (oy0 + oy) * a.Wo + ox0 + ox : -1;
  }
  /* With an expansion: the expand GEMM's row list (in_rect), in xin's row slots */
  const in_rect rect(iy0, ix0, ih, iw, a.H, a.W);
  const bool xlist = !staged && a.has_expand;
  for (int i = threadIdx.x; i < npin; i += blockDim.x) {
    const int py = small_div(i, iw), px = i - py * iw, gy = iy0 + py, gx = ix0 + px;
    const bool in = i < pin && gy >= 0 && gy < a.H && gx >= 0 && gx < a.W;
    pglob[i] = in ? gy * a.W + gx : -1;
    if (xlist) rect.list(xin, a.CinP + 8, i, py, px, in);
  }
  /* Up to here only weights were read (the first expand chunk's are in
     flight); the input, stage, gate and every output belong to the previous
     launches. */
  pdl_wait();
  __syncthreads();
  // The input tile's pixels inside the image for the expand GEMM, in group E
  // of the first chunk.
  if (!staged && a.has_expand) {
    load_xin(xin, a.CinP + 8, rect.nrow(), pglob, x, a.CinP);
    if (rect.nin < pin) zero_halo(mid, pglob, pin, a.CC); /* read after B2 */
  }
  cp_async_commit(); /* E(c_begin) */
  issue_dw(c_begin);
  cp_async_commit(); /* D(c_begin) */
  // Rows of the dw output past the tile stay zero for the projection.
  for (int i = threadIdx.x; i < (pout - npx) * ldd; i += blockDim.x)
    dwo[(size_t)npx * ldd + i] = __float2half(0.f);

  /* PASS1: the image's staged dw output, where it stages */
  __half *const st_img =
      !proj && a.stage ? (__half *)a.stage + (size_t)n * a.Ho * a.Wo * a.CmidP : nullptr;
  if constexpr (P1 && MINB <= 2) {
    /* PASS1 in the builds of 128 registers or more: two barriers a chunk.
       B1(c) orders dw(c-1)'s reads of mid and of the dw weights and its
       writes of part before expand(c), the copies of D(c) (which land while
       expand(c) runs) and the channel sums of chunk c-1, which run beside
       expand(c) (dw(c) rewrites part after B2(c)). */
    /* The chunks' depthwise form, tested once here and not per chunk (the tests
       read the launch's fields from constant memory: ~60 instructions per warp
       and chunk): 0 dw_vec (the VEC builds, full chunks), 1 the one-pixel loop,
       2 and 3 strips of one and two rows, 4 2 x 2 blocks, 5 and 6 two rows
       (fp32 k = 5 taps in the first) */
    const bool vecf = VEC && a.K == 3 && a.act == MODEL_ACT_SWISH;
    const int dwf = VEC                                                  ? (vecf ? 0 : 1)
                    : a.dwrows == 4 && dw_strips_ok(a)                   ? 2
                    : a.dwrows == 5 && dw_strips_ok(a)                   ? 3
                    : QUADS && a.dwrows == 2 && a.dwh2 && dw_pairs_ok(a) ? 4
                    : PAIRS == 2 && a.dwrows && dw_pairs_ok(a)           ? 5
                    : PAIRS == 1 && a.dwrows && dw_pairs_ok(a) && (a.K == 3 || a.dwh2) ? 6
                                                                                       : 1;
    /* PASS1: chunk c0's channel sums of its G partial rows (one per warp with
       dw_vec) [+ its stage from dwo] */
    auto sums = [&](int c0) {
      const int cc = min(a.CC, a.CmidP - c0), v8 = cc / 8;
      const bool vec = vecf && cc == a.CC; /* as below */
      const idiv v8d(v8);
      const int p8 = v8d.q(threadIdx.x), c8 = (threadIdx.x - p8 * v8) * 8, G8 = v8d.q(blockDim.x);
      if (st_img && !vec && (int)threadIdx.x < G8 * v8)
        stage_copy(st_img + c0 + c8, dwo + c8, ldd, qglob, npx, p8, G8, a.CmidP);
      const int G = vec ? WARPS : idiv(cc / 2).q(blockDim.x), tiles = a.tiles_x * a.tiles_y;
      for (int c = threadIdx.x; c < cc; c += blockDim.x) {
        float t = 0.f;
        for (int g = 0; g < G; g++) t += part[g * cc + c];
        a.sums[((size_t)n * tiles + tile) * a.CmidP + c0 + c] = t;
      }
    };
    int c0 = c_begin;
    for (; c0 < c_end; c0 += a.CC) {
      const int cc = min(a.CC, a.CmidP - c0), v8 = cc / 8;
      cp_async_wait0(); /* E(c) landed (and D(c_begin)) */
      __syncthreads();  /* B1: E(c) visible; dw(c-1) done with mid, wdw_s, bdw_s, part */
      if (c0 > c_begin) {
        issue_dw(c0);
        cp_async_commit(); /* D(c) */
        sums(c0 - a.CC);
      }
      if (a.has_expand) {
        expand_chunk<true, VEC>(a, xin, wexp_s, bexp_s, rect.nrow(), mid, cc); /* tile pairs */
      } else {  // no expansion: the input's own channels
        const idiv v8d(v8);
        const int p8 = v8d.q(threadIdx.x), c8 = (threadIdx.x - p8 * v8) * 8;
        const int G8 = v8d.q(blockDim.x);
        if ((int)threadIdx.x < G8 * v8)
          for (int p = p8; p < pin; p += G8) {
            const int gp = pglob[p];
            uint4 u = make_uint4(0, 0, 0, 0);
            if (gp >= 0) u = *reinterpret_cast<const uint4 *>(x + (size_t)gp * a.CinP + c0 + c8);
            *reinterpret_cast<uint4 *>(mid + (size_t)p * (a.CC + 8) + c8) = u;
          }
      }
      cp_async_wait0(); /* D(c) landed */
      __syncthreads();  /* B2: mid and D(c) visible; expand(c) done with wexp_s and bexp_s */
      issue_exp(c0 + a.CC);
      cp_async_commit(); /* E(c+1) */
      if (VEC) {         /* the VEC builds run dw_vec or the one-pixel loop only */
        if (dwf == 0 && cc == a.CC)
          dw_vec_chunk<VEC_RUNS>(a, mid, wdw_s, bdw_s, qmid, qglob, st_img ? st_img + c0 : nullptr,
                                 part); /* straight to the stage, not through dwo */
        else
          dw_chunk(a, mid, wdw_s, bdw_s, qmid, qglob, dwo, ldd, cc, nullptr, nullptr, part);
      } else if (dwf == 2) { /* strips of one row */
        dw_quads_chunk<7, 1>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, nullptr, part, nullptr);
      } else if (dwf == 3) { /* ... and of two */
        dw_quads_chunk<7, 2>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, nullptr, part, nullptr);
      } else if (QUADS && dwf == 4) {
        dw_quads_chunk<2, 2>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, nullptr, part, nullptr);
      } else if (PAIRS == 2 && dwf == 5) {
        dw_pairs_chunk<true>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, nullptr, part, nullptr);
      } else if (PAIRS == 1 && dwf == 6) {
        dw_pairs_chunk<false>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, nullptr, part, nullptr);
      } else {
        dw_chunk(a, mid, wdw_s, bdw_s, qmid, qglob, dwo, ldd, cc, nullptr, nullptr, part);
      }
    }
    __syncthreads(); /* the last chunk's part and dwo */
    if (c0 > c_begin) sums(c0 - a.CC);
    cp_async_wait0(); /* the empty last group */
    pdl_trigger();    /* se_kernel (the next launch) reads the sums */
  } else {
    frag_c acc[NF];
#pragma unroll
    for (int i = 0; i < NF; i++) wmma::fill_fragment(acc[i], 0.f);
    const int nfrag = (pout / 16) * ncols;

    for (int c0 = c_begin; c0 < c_end; c0 += a.CC) {
      const int cc = min(a.CC, a.CmidP - c0), v8 = cc / 8;
      const idiv v8d(v8);
      const int p8 = v8d.q(threadIdx.x), c8 = (threadIdx.x - p8 * v8) * 8; /* (pixel, 8 channels) */
      const int G8 = v8d.q(blockDim.x);
      cp_async_wait1(); /* E(c) landed */
      __syncthreads();  /* B1: E(c) visible; project(c-1) done with wproj_s and dwo */
      issue_proj(c0);
      cp_async_commit(); /* P(c) */
      if (!staged) {
        if (a.has_expand) {
          expand_chunk<true, VEC>(a, xin, wexp_s, bexp_s, rect.nrow(), mid, cc); /* tile pairs */
        } else if ((int)threadIdx.x < G8 * v8) {  // no expansion: the input's own channels
          for (int p = p8; p < pin; p += G8) {
            const int gp = pglob[p];
            uint4 u = make_uint4(0, 0, 0, 0);
            if (gp >= 0) u = *reinterpret_cast<const uint4 *>(x + (size_t)gp * a.CinP + c0 + c8);
            *reinterpret_cast<uint4 *>(mid + (size_t)p * (a.CC + 8) + c8) = u;
          }
        }
      }
      cp_async_wait1(); /* D(c) landed */
      __syncthreads();  /* B2: mid and D(c) visible; expand(c) done with wexp_s */
      issue_exp(c0 + a.CC);
      cp_async_commit(); /* E(c+1) */
      /* dw_vec's channel sums come as one row per warp */
      const bool vec = VEC && a.K == 3 && a.act == MODEL_ACT_SWISH && cc == a.CC;
      if (!staged) {
        if (vec)
          dw_vec_chunk<VEC_RUNS>(a, mid, wdw_s, bdw_s, qmid, qglob, st_img ? st_img + c0 : nullptr,
                                 part); /* straight to the stage, not through dwo */
        else if (VEC)
          dw_chunk(a, mid, wdw_s, bdw_s, qmid, qglob, dwo, ldd, cc, nullptr, nullptr, part);
        else if (QUADS && a.dwrows == 2 && a.dwh2 && dw_pairs_ok(a))
          dw_quads_chunk<2, 2>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, gate ? gate_s : nullptr,
                               part, nullptr);
        else if (PAIRS == 2 && a.dwrows && dw_pairs_ok(a))
          dw_pairs_chunk<true>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, gate ? gate_s : nullptr,
                               part, nullptr);
        else if (PAIRS == 1 && a.dwrows && dw_pairs_ok(a) && (a.K == 3 || a.dwh2))
          dw_pairs_chunk<false>(a, mid, wdw_s, bdw_s, dwo, cc, oy0, ox0, gate ? gate_s : nullptr,
                                part, nullptr);
        else
          dw_chunk(a, mid, wdw_s, bdw_s, qmid, qglob, dwo, ldd, cc, gate ? gate_s : nullptr,
                   nullptr, part);
      } else if ((int)threadIdx.x < G8 * v8) {  // staged dw output (in stg since D(c)), gated
        float g[8];
#pragma unroll
        for (int j = 0; j < 8; j++) g[j] = gate_s[c8 + j];
        for (int q = p8; q < npx; q += G8) {
          float v[8];
          unpack8(*reinterpret_cast<const uint4 *>(stg + (size_t)q * ldd + c8), v);
#pragma unroll
          for (int j = 0; j < 8; j++) v[j] *= g[j];
          *reinterpret_cast<uint4 *>(dwo + (size_t)q * ldd + c8) = pack8(v);
        }
      }
      cp_async_wait1(); /* P(c) landed */
      __syncthreads();  /* B3: dwo and P(c) visible; dw(c) done with wdw_s, biases, gate */
      issue_dw(c0 + a.CC);
      cp_async_commit(); /* D(c+1) */

      if (proj) {
        proj_chunk<NF, WARPS>(acc, dwo, ldd, wproj_s, ldp, cc, nfrag, ncols, warp);
        /* no barrier here: B1 and B2 of the next chunk precede any write to
         * wproj_s or dwo */
      } else {  // PASS1: channel sums of this chunk [+ stage]
        if (st_img && !vec && (int)threadIdx.x < G8 * v8)
          stage_copy(st_img + c0 + c8, dwo + c8, ldd, qglob, npx, p8, G8, a.CmidP);
        /* the partials are complete (B3): G pixel groups of cc channels */
        const int tiles = a.tiles_x * a.tiles_y, G = vec ? WARPS : idiv(cc / 2).q(blockDim.x);
        for (int c = threadIdx.x; c < cc; c += blockDim.x) {
          float s = 0.f;
          for (int g = 0; g < G; g++) s += part[g * cc + c];
          a.sums[((size_t)n * tiles + tile) * a.CmidP + c0 + c] = s;
        }
        __syncthreads(); /* B4: part and dwo read before the next chunk rewrites them */
      }
    }
    cp_async_wait0();
    pdl_trigger();     /* the next launch's CTAs may take the SMs as this grid ends */
    if (!proj) return; /* se_kernel (the next launch) reads the sums */

    // Epilogue: bias (+ residual), padded channels forced to zero, 16B stores.
    __half *y = (__half *)a.y + (size_t)n * a.Ho * a.Wo * a.CoutP;
    const __half *res = a.res ? (const __half *)a.res + (size_t)n * a.Ho * a.Wo * a.CoutP : nullptr;
#pragma unroll
    for (int i = 0; i < NF; i++) {
      const int f = warp + i * WARPS;
      if (f < nfrag)
        store_proj_tile<true>(a, acc[i], scr, y, res, f / ncols, nt0 + f % ncols, npx, qglob, lane);
    }
  }
}

}  // namespace bf

extern "C" int cuda_mbconv_cluster_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
extern "C" int cuda_mbconv_cluster_set_attrs(int bytes, int carveout);
extern "C" int cuda_gate_proj_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
extern "C" int cuda_se_batch_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
extern "C" int cuda_se_batch_set_attrs(int bytes, int carveout);
extern "C" int cuda_se_mma_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
extern "C" int cuda_se_mma_set_attrs(int bytes, int carveout);
extern "C" int cuda_dw_direct_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
extern "C" int cuda_dw_direct_set_attrs(int bytes);
extern "C" int cuda_mbconv_wgx_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
extern "C" int cuda_mbconv_wgx_set_attrs(int bytes, int carveout);

// The SE launch after a PASS1 of n images: 2 = on tensor cores (se_mma.cu),
// 1 = batched over images (se_batch.cu), each where asked (se_batch) or
// where its rule takes it and its shared memory fits; else 0, per image;
// -1 where none runs (not PASS1, no SE, or the STAGED GEMM after it computes
// the gates: sefuse).
extern "C" int cuda_se_form(const cuda_mbconv_args *a, int n) {
  int groups, g;
  if (a->mode != CUDA_MB_PASS1 || a->se_c <= 0 || a->sefuse) return -1;
  if (a->se_batch == 2 ||
      (a->se_batch == 0 && (bf::g_se_mma == 2 || (bf::g_se_mma && cuda_se_mma_ok(a, n))))) {
    cuda_se_mma_grid(a, n, &groups, &g);
    if (cuda_se_mma_smem(a, g) <= (size_t)a->smem_optin) return 2;
  }
  if (a->se_batch == 1 || (a->se_batch == 0 && bf::g_se_batch && cuda_se_batch_ok(a, n))) {
    cuda_se_batch_grid(a, n, &groups, &g);
    if (cuda_se_batch_smem(a, g) <= (size_t)a->smem_optin) return 1;
  }
  return 0;
}

// Picks the instantiation holding enough accumulator tiles per warp.
extern "C" int cuda_mbconv_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  if (a->mode == CUDA_MB_CLUSTER) return cuda_mbconv_cluster_launch(a, n, st);
  if (a->mode == CUDA_MB_STAGED && a->gemm) return cuda_gate_proj_launch(a, n, st);
  const int nf = cuda_mbconv_nf(a);
  const dim3 grid(a->tiles_x * a->tiles_y, n, cuda_mbconv_z(a));
  const size_t smem = cuda_mbconv_smem(a);
  const int z = cuda_mbconv_z(a), nct = a->CoutP / 16;
  const int nch = (a->CmidP + a->CC - 1) / a->CC;
  const int zbad = !cuda_split_ok(a->mode == CUDA_MB_PASS1 ? nch : nct, z);
  /* dw_direct.cu (PASS1, or the recomputing pass 2): any tile */
  const bool direct = (a->mode == CUDA_MB_PASS1 || a->mode == CUDA_MB_RECOMP) && a->dwdirect;
  /* mbconv_wg.cu (PASS1): an image per CTA */
  const bool wgx = a->mode == CUDA_MB_PASS1 && a->wgx;
  if (wgx && (!cuda_mbconv_wgx_ok(a) || direct)) return (int)cudaErrorInvalidValue;
  if (!direct && !wgx &&
      (a->CC % 16 || a->CC <= 0 || nf > CUDA_MAX_NF || a->TH * a->TW > 256 || zbad || z > 65535))
    return (int)cudaErrorInvalidValue;
  if ((a->lowreg && nf > 1) || (a->wide && (a->lowreg || nf > 4)))
    return (int)cudaErrorInvalidValue;
  const int form = cuda_se_form(a, n), se = form >= 0; /* the SE launch after PASS1 */
  const size_t se_smem = cuda_se_smem(a);
  if (se && (se_smem > 48 * 1024 || a->sms <= 0)) /* before any launch */
    return (int)cudaErrorInvalidValue;
  void (*k)(const cuda_mbconv_args);
  /* PASS1 in 8 warps: 128 registers a thread where at most 2 CTAs fit in shared memory (1 KB
     of it reserved per CTA), dw_run takes runs of 4 or 7 or the depthwise conv strips of 7
     pixels, else 80 (3 CTAs per SM) */
  const bool regs128 = 3 * (smem + 1024) > (size_t)a->smem_per_sm;
  if (a->mode == CUDA_MB_PASS1 && a->dwrows == 3 && cuda_mbconv_dwvec_ok(a))
    k = a->wide ? bf::mbconv_kernel<1, 1, 2 * CUDA_THREADS, true, true>
        : regs128 || (a->dwrun >= 4 && cuda_mbconv_dwrun_ok(a))
            ? bf::mbconv_kernel<1, 2, CUDA_THREADS, true, true>
            : bf::mbconv_kernel<1, 3, CUDA_THREADS, true, true>;
  else if (a->mode == CUDA_MB_PASS1) /* one tile per warp, no projection: the PASS1-only builds */
    k = a->wide                                 ? bf::mbconv_kernel<1, 1, 2 * CUDA_THREADS, true>
        : a->lowreg                             ? bf::mbconv_kernel<1, 4, CUDA_THREADS, true>
        : regs128 || cuda_mbconv_dwstrips_ok(a) ? bf::mbconv_kernel<1, 2, CUDA_THREADS, true>
                                                : bf::mbconv_kernel<1, 3, CUDA_THREADS, true>;
  else if (a->wide && nf <= 1)
    k = bf::mbconv_kernel<1, 1, 2 * CUDA_THREADS>;
  else if (a->wide && nf <= 2)
    k = bf::mbconv_kernel<2, 1, 2 * CUDA_THREADS>;
  else if (a->wide)
    k = bf::mbconv_kernel<4, 1, 2 * CUDA_THREADS>;
  else if (nf <= 1 && a->lowreg)
    k = bf::mbconv_kernel<1, 4>;
  else if (nf <= 1)
    k = bf::mbconv_kernel<1, 3>;
  else if (nf <= 2)
    k = bf::mbconv_kernel<2, 3>;
  else if (nf <= 4)
    k = bf::mbconv_kernel<4, 2>;
  else if (nf <= 8)
    k = bf::mbconv_kernel<8, 1>;
  else
    k = bf::mbconv_kernel<16, 1>;
  const int threads = a->wide ? 2 * CUDA_THREADS : CUDA_THREADS;
  cudaError_t e = wgx      ? (cudaError_t)cuda_mbconv_wgx_launch(a, n, st)
                  : direct ? (cudaError_t)cuda_dw_direct_launch(a, n, st)
                           : bf::launch_k(k, grid, threads, smem, st, true, *a);
  if (!se || e) return (int)e;
  if (form == 2) return cuda_se_mma_launch(a, n, st);
  if (form == 1) return cuda_se_batch_launch(a, n, st);
  int g, cpb;
  cuda_se_grid(a, n, &g, &cpb);
  const size_t pre_smem = cuda_se_smem_pre(a);
  if (cuda_se_pre_ok(a, n, g, cpb, a->sms) && pre_smem <= (size_t)a->smem_optin && bf::g_se_pre)
    e = bf::launch_k(bf::se_kernel<true>, dim3(g, n), 256, pre_smem, st, true, *a, cpb);
  else
    e = bf::launch_k(bf::se_kernel<false>, dim3(g, n), 256, se_smem, st, true, *a, cpb);
  return (int)e;
}

extern "C" int cuda_mbconv_set_attrs(int bytes, int carveout) {
  const void *fns[] = {(const void *)bf::mbconv_kernel<1, 4>,
                       (const void *)bf::mbconv_kernel<1, 3>,
                       (const void *)bf::mbconv_kernel<2, 3>,
                       (const void *)bf::mbconv_kernel<4, 2>,
                       (const void *)bf::mbconv_kernel<8, 1>,
                       (const void *)bf::mbconv_kernel<16, 1>,
                       (const void *)bf::mbconv_kernel<1, 1, 2 * CUDA_THREADS>,
                       (const void *)bf::mbconv_kernel<2, 1, 2 * CUDA_THREADS>,
                       (const void *)bf::mbconv_kernel<4, 1, 2 * CUDA_THREADS>,
                       (const void *)bf::mbconv_kernel<1, 1, 2 * CUDA_THREADS, true>,
                       (const void *)bf::mbconv_kernel<1, 4, CUDA_THREADS, true>,
                       (const void *)bf::mbconv_kernel<1, 3, CUDA_THREADS, true>,
                       (const void *)bf::mbconv_kernel<1, 2, CUDA_THREADS, true>,
                       (const void *)bf::mbconv_kernel<1, 1, 2 * CUDA_THREADS, true, true>,
                       (const void *)bf::mbconv_kernel<1, 3, CUDA_THREADS, true, true>,
                       (const void *)bf::mbconv_kernel<1, 2, CUDA_THREADS, true, true>};
  const void *se[] = {(const void *)bf::se_kernel<false>},
             *se_pre[] = {(const void *)bf::se_kernel<true>};
  cudaError_t e = bf::set_kernel_attrs(fns, sizeof fns / sizeof fns[0], bytes, carveout);
  if (!e) e = bf::set_kernel_attrs(se, 1, -1, carveout);
  if (!e) e = bf::set_kernel_attrs(se_pre, 1, bytes, carveout);
  if (!e) e = (cudaError_t)cuda_se_batch_set_attrs(bytes, carveout);
  if (!e) e = (cudaError_t)cuda_se_mma_set_attrs(bytes, carveout);
  if (!e) e = (cudaError_t)cuda_dw_direct_set_attrs(bytes);
  if (!e) e = (cudaError_t)cuda_mbconv_wgx_set_attrs(bytes, carveout);
  return e ? (int)e : cuda_mbconv_cluster_set_attrs(bytes, carveout);
}

extern "C" int cuda_mbconv_regs(int nf) {
  cudaFuncAttributes fa;
  cudaError_t e;
  if (nf <= 0)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<1, 4>);
  else if (nf <= 1)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<1, 3>);
  else if (nf <= 2)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<2, 3>);
  else if (nf <= 4)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<4, 2>);
  else if (nf <= 8)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<8, 1>);
  else
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<16, 1>);
  return e == cudaSuccess ? fa.numRegs : 0;
}
