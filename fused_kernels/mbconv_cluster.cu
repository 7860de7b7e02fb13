// The MBConv block in one pass for small images (CUDA_MB_CLUSTER): a
// thread-block cluster of `cl` CTAs owns one image whose output fits one tile
// (Ho * Wo <= 256 pixels; EfficientNet's 14x14 and 7x7 stages).
//
//   1. Each CTA expands and depthwise-convolves its own share of the expanded
//      channels over the whole image, chunk by chunk (the same expand and dw
//      code as mbconv.cu), and keeps that share of the dw output in its shared
//      memory (dwall) together with the channels' sums.
//   2. Squeeze-excite without a second pass: the sums are whole-image sums, so
//      each CTA forms its part of the reduce FC, the CTAs add the parts
//      through distributed shared memory, and each gates its own channels.
//   3. The projection [pixels x Cmid] x [Cmid x Cout] is split by output tiles
//      (clr row groups x cl/clr column groups); a CTA pulls the A operand
//      chunk by chunk from the owning CTA's dwall over DSMEM into a local
//      double buffer, the weights by cp.async, and adds bias and residual.
//
// Against the tiled two-pass path this removes the second pass over the
// activations, the SE kernel and the recomputation or DRAM staging of
// the expanded tensor, and it puts cl SMs on one image at batch 1.
#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace cgr = cooperative_groups;

namespace bf {

#define CL_MAXV 8 /* 16-byte A loads per thread per chunk: rows <= 256, CC <= 64 */

template <int NF, int MINB>
__global__ void __launch_bounds__(CUDA_THREADS, MINB)
    mbconv_cluster_kernel(const cuda_mbconv_args a) {
  extern __shared__ __align__(128) unsigned char smem[];
  cgr::cluster_group cluster = cgr::this_cluster();
  const int R = a.cl, rank = (int)cluster.block_rank(), n = blockIdx.y;
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  cuda_mbcl_layout L;
  cuda_mbcl_layout_of(&a, &L);
  const int ih = (a.TH - 1) * a.S + a.K, iw = (a.TW - 1) * a.S + a.K;
  const int pin = ih * iw, npin = (pin + 15) & ~15;
  const int npx = a.Ho * a.Wo, pout = (npx + 15) & ~15;
  const int ldall = L.mycp + 8, ldw = a.CC + 8;

  float *scr = reinterpret_cast<float *>(smem + L.scr) + warp * 256;
  float *csum = reinterpret_cast<float *>(smem + L.csum);
  float *bexp_s = reinterpret_cast<float *>(smem + L.bexp);
  float *bdw_s = reinterpret_cast<float *>(smem + L.bdw);
  float *gate_s = reinterpret_cast<float *>(smem + L.gate);
  float *rpart = reinterpret_cast<float *>(smem + L.rpart);
  float *rfull = reinterpret_cast<float *>(smem + L.rfull);
  int *qmid = reinterpret_cast<int *>(smem + L.qmid);
  int *qglob = reinterpret_cast<int *>(smem + L.qglob);
  int *pglob = reinterpret_cast<int *>(smem + L.pglob);
  __half *wdw_s = reinterpret_cast<__half *>(smem + L.wdw);
  __half *wexp_s = reinterpret_cast<__half *>(smem + L.wexp);
  __half *xin = reinterpret_cast<__half *>(smem + L.xin);
  __half *mid = reinterpret_cast<__half *>(smem + L.mid);
  __half *abuf = reinterpret_cast<__half *>(smem + L.abuf);
  __half *wbuf = reinterpret_cast<__half *>(smem + L.wbuf);
  __half *dwall = reinterpret_cast<__half *>(smem + L.dwall);

  const __half *x = (const __half *)a.x + (size_t)n * a.H * a.W * a.CinP;
  const __half *gw_exp = (const __half *)a.w_exp, *gw_dw = (const __half *)a.w_dw;
  const int nchunks = (a.CmidP + a.CC - 1) / a.CC;
  const int c_begin = min(a.CmidP, rank * L.mycp), c_end = min(a.CmidP, c_begin + L.mycp);
  const int myc = c_end - c_begin; /* may be 0: the CTA then only projects */

  // ---- 1. expand -> dw of this CTA's channels, whole image ----
  auto issue_exp = [&](int c0) {
    if (!a.has_expand || c0 >= c_end) return;
    const int v8 = min(a.CC, a.CmidP - c0) / 8;
    cp_rows(wexp_s, ldw, gw_exp + c0, a.CmidP, a.CinP, v8);
    for (int i = tid; i < v8 * 2; i += blockDim.x) cp_async16(bexp_s + i * 4, a.b_exp + c0 + i * 4);
  };
  auto issue_dw = [&](int c0) {
    const int v8 = min(a.CC, a.CmidP - c0) / 8;
    cp_rows(wdw_s, a.CC, gw_dw + c0, a.CmidP, a.K * a.K, v8);
    for (int i = tid; i < v8 * 2; i += blockDim.x) cp_async16(bdw_s + i * 4, a.b_dw + c0 + i * 4);
  };
  issue_exp(c_begin);
  for (int q = tid; q < npx; q += blockDim.x) {
    const int oy = q / a.TW, ox = q - oy * a.TW;
    qmid[q] = oy * a.S * iw + ox * a.S;
    qglob[q] = q;
  }
  /* With an expansion: the expand GEMM's row list (in_rect), in xin's row slots */
  const in_rect rect(-a.pad_t, -a.pad_l, ih, iw, a.H, a.W);
  for (int i = tid; i < npin; i += blockDim.x) {
    const int py = i / iw, px = i - py * iw, gy = py - a.pad_t, gx = px - a.pad_l;
    const bool in = i < pin && gy >= 0 && gy < a.H && gx >= 0 && gx < a.W;
    pglob[i] = in ? gy * a.W + gx : -1;
    if (a.has_expand) rect.list(xin, a.CinP + 8, i, py, px, in);
  }
  for (int c = tid; c < L.mycp; c += blockDim.x) csum[c] = 0.f;
  /* dwall rows past the image feed only output rows that are never stored;
   * zero them anyway so that no uninitialised shared memory is read */
  for (int i = tid; i < (pout - npx) * ldall; i += blockDim.x)
    dwall[(size_t)npx * ldall + i] = __float2half(0.f);
  __syncthreads();
  if (a.has_expand && myc > 0) {
    load_xin(xin, a.CinP + 8, rect.nrow(), pglob, x, a.CinP);
    if (rect.nin < pin) zero_halo(mid, pglob, pin, a.CC); /* read after the next barrier */
  }
  cp_async_commit();
  for (int c0 = c_begin; c0 < c_end; c0 += a.CC) {
    const int cc = min(a.CC, a.CmidP - c0), v8 = cc / 8;
    cp_async_wait0();
    __syncthreads(); /* expand weights (and the input tile) landed; dw of c0 - CC is done */
    issue_dw(c0);
    cp_async_commit();
    if (a.has_expand) {
      expand_chunk(a, xin, wexp_s, bexp_s, rect.nrow(), mid, cc);
    } else {
      const int c8 = (tid % v8) * 8, G8 = blockDim.x / v8;
      if (tid < G8 * v8)
        for (int p = tid / v8; p < pin; p += G8) {
          const int gp = pglob[p];
          uint4 u = make_uint4(0, 0, 0, 0);
          if (gp >= 0) u = *reinterpret_cast<const uint4 *>(x + (size_t)gp * a.CinP + c0 + c8);
          *reinterpret_cast<uint4 *>(mid + (size_t)p * ldw + c8) = u;
        }
    }
    cp_async_wait0();
    __syncthreads(); /* mid and the dw weights visible; expand is done with wexp_s */
    issue_exp(c0 + a.CC);
    cp_async_commit();
    dw_chunk(a, mid, wdw_s, bdw_s, qmid, qglob, dwall + (c0 - c_begin), ldall, cc, nullptr,
             a.se_c > 0 ? csum + (c0 - c_begin) : nullptr);
  }
  cp_async_wait0();
  __syncthreads(); /* dwall and csum complete; the union region is free */

  // ---- 2. squeeze-excite across the cluster ----
  if (a.se_c > 0) {
    const int sep = cuda_se_sep(&a);
    const __half *wr = (const __half *)a.w_ser;
    const float inv = 1.f / (float)npx;
    for (int j = warp; j < a.se_c; j += CUDA_WARPS) {
      float s = 0.f;
      for (int c = lane; c < myc; c += 32)
        if (c_begin + c < a.Cmid)
          s = fmaf(csum[c], __half2float(wr[(size_t)(c_begin + c) * sep + j]), s);
#pragma unroll
      for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
      if (lane == 0) rpart[j] = s * inv;
    }
    cluster.sync(); /* every CTA's part of the reduce FC is written */
    for (int j = tid; j < a.se_c; j += blockDim.x) {
      float s = 0.f;
      for (int r = 0; r < R; r++) s += cluster.map_shared_rank(rpart, r)[j];
      rfull[j] = act_apply(s + a.b_ser[j], a.se_act);
    }
    __syncthreads();
    const __half *we = (const __half *)a.w_see;
    for (int c = tid; c < myc; c += blockDim.x) {
      const int cg = c_begin + c;
      float s = a.b_see[cg];
      for (int j = 0; j < a.se_c; j++)
        s = fmaf(rfull[j], __half2float(we[(size_t)j * a.CmidP + cg]), s);
      gate_s[c] = cg < a.Cmid ? sigmoid_fast(s) : 0.f;
    }
    __syncthreads();
    const int m2 = myc / 2;
    for (int i = tid; i < npx * m2; i += blockDim.x) {
      const int q = i / m2, c = (i - q * m2) * 2;
      __half2 *h = reinterpret_cast<__half2 *>(dwall + (size_t)q * ldall + c);
      const float2 v = __half22float2(*h);
      *h = __floats2half2_rn(v.x * gate_s[c], v.y * gate_s[c + 1]);
    }
  }
  cluster.sync(); /* every CTA's dwall is final (gated) and visible to the cluster */

  // ---- 3. projection of this CTA's output tiles ----
  const int clr = a.clr > 0 ? a.clr : 1, CG = R / clr, rg = rank / CG, cgi = rank - rg * CG;
  const int mt_n = pout / 16, mpr = L.rows / 16, nct = a.CoutP / 16;
  const int mt0 = rg * mpr, nrt = max(0, min(mt_n, mt0 + mpr) - mt0);
  const int nt0 = cgi * L.cols, ncols = max(0, min(nct, nt0 + L.cols) - nt0);
  const int lda = a.CC + 8, ldb = L.cols * 16 + 8, nfrag = nrt * ncols;
  const __half *wproj = (const __half *)a.w_proj;
  frag_c acc[NF];
#pragma unroll
  for (int i = 0; i < NF; i++) wmma::fill_fragment(acc[i], 0.f);
  if (nfrag > 0) {
    uint4 areg[CL_MAXV];
    // A chunk k: this CTA's rows of channels [k*CC, k*CC + cc) from the owner's dwall.
    auto load_a = [&](int k) {
      const int owner = k / L.cpr, cc = min(a.CC, a.CmidP - k * a.CC), v8 = cc / 8;
      const __half *src = cluster.map_shared_rank(dwall, owner) + (size_t)mt0 * 16 * ldall +
                          (k - owner * L.cpr) * a.CC;
#pragma unroll
      for (int t = 0; t < CL_MAXV; t++) {
        const int i = tid + t * CUDA_THREADS;
        if (i < nrt * 16 * v8) {
          const int r = i / v8, c = (i - r * v8) * 8;
          areg[t] = *reinterpret_cast<const uint4 *>(src + (size_t)r * ldall + c);
        }
      }
    };
    auto store_a = [&](int k, int buf) {
      const int cc = min(a.CC, a.CmidP - k * a.CC), v8 = cc / 8;
      __half *dst = abuf + (size_t)buf * L.rows * lda;
#pragma unroll
      for (int t = 0; t < CL_MAXV; t++) {
        const int i = tid + t * CUDA_THREADS;
        if (i < nrt * 16 * v8) {
          const int r = i / v8, c = (i - r * v8) * 8;
          *reinterpret_cast<uint4 *>(dst + (size_t)r * lda + c) = areg[t];
        }
      }
    };
    auto issue_w = [&](int k, int buf) {
      const int c0 = k * a.CC, cc = min(a.CC, a.CmidP - c0), w8 = ncols * 2;
      __half *dst = wbuf + (size_t)buf * a.CC * ldb;
      for (int i = tid; i < cc * w8; i += blockDim.x) {
        const int r = i / w8, c = (i - r * w8) * 8;
        cp_async16(dst + (size_t)r * ldb + c, wproj + (size_t)(c0 + r) * a.CoutP + nt0 * 16 + c);
      }
    };
    load_a(0);
    store_a(0, 0);
    issue_w(0, 0);
    cp_async_commit();
    for (int k = 0; k < nchunks; k++) {
      const int buf = k & 1, cc = min(a.CC, a.CmidP - k * a.CC);
      cp_async_wait0();
      __syncthreads(); /* buffers of chunk k ready; chunk k-1's MMAs are done with the others */
      if (k + 1 < nchunks) {
        issue_w(k + 1, buf ^ 1);
        load_a(k + 1);
      }
      cp_async_commit();
      const __half *ab = abuf + (size_t)buf * L.rows * lda, *bb = wbuf + (size_t)buf * a.CC * ldb;
      proj_chunk<NF, CUDA_WARPS>(acc, ab, lda, bb, ldb, cc, nfrag, ncols, warp);
      if (k + 1 < nchunks) store_a(k + 1, buf ^ 1);
    }
  }
  cluster_arrive(); /* done reading the peers' dwall */

  // Epilogue: bias (+ residual), padded channels zero, 16-byte stores.
  __half *y = (__half *)a.y + (size_t)n * npx * a.CoutP;
  const __half *res = a.res ? (const __half *)a.res + (size_t)n * npx * a.CoutP : nullptr;
#pragma unroll
  for (int i = 0; i < NF; i++) {
    const int f = warp + i * CUDA_WARPS;
    if (f < nfrag)
      store_proj_tile<false>(a, acc[i], scr, y, res, mt0 + f / ncols, nt0 + f % ncols, npx, nullptr,
                             lane);
  }
  cluster_wait(); /* peers are done reading this CTA's dwall */
}

template <int NF, int MINB>
static cudaError_t launch_nf(const cuda_mbconv_args *a, int n, size_t smem, cudaStream_t st) {
  cudaLaunchAttribute at[2];
  const cudaLaunchConfig_t cfg = launch_cfg(at, dim3((unsigned)a->cl, (unsigned)n, 1), CUDA_THREADS,
                                            smem, st, false, dim3((unsigned)a->cl, 1, 1));
  return cudaLaunchKernelEx(&cfg, mbconv_cluster_kernel<NF, MINB>, *a);
}

}  // namespace bf

extern "C" int cuda_mbconv_cluster_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  const int nf = cuda_mbconv_nf(a);
  const int clr = a->clr > 0 ? a->clr : 1;
  if (a->cl < 1 || a->cl > 8 || a->cl % clr || a->TH != a->Ho || a->TW != a->Wo ||
      a->Ho * a->Wo > 256 || a->CC % 16 || a->CC <= 0 || a->CC > 64 || nf > CUDA_MAX_NF ||
      a->se_c > 1024 || n < 1 || n > 65535)
    return (int)cudaErrorInvalidValue;
  const size_t smem = cuda_mbconv_smem(a);
  cudaError_t e;
  if (nf <= 1)
    e = bf::launch_nf<1, 2>(a, n, smem, st);
  else if (nf <= 2)
    e = bf::launch_nf<2, 2>(a, n, smem, st);
  else if (nf <= 4)
    e = bf::launch_nf<4, 2>(a, n, smem, st);
  else if (nf <= 8)
    e = bf::launch_nf<8, 1>(a, n, smem, st);
  else
    e = bf::launch_nf<16, 1>(a, n, smem, st);
  return (int)e;
}

extern "C" int cuda_mbconv_cluster_set_attrs(int bytes, int carveout) {
  const void *fns[] = {
      (const void *)bf::mbconv_cluster_kernel<1, 2>, (const void *)bf::mbconv_cluster_kernel<2, 2>,
      (const void *)bf::mbconv_cluster_kernel<4, 2>, (const void *)bf::mbconv_cluster_kernel<8, 1>,
      (const void *)bf::mbconv_cluster_kernel<16, 1>};
  return (int)bf::set_kernel_attrs(fns, 5, bytes, carveout);
}
