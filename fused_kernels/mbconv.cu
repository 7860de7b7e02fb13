// The fused MBConv kernel: 1x1 expand -> act -> KxK depthwise (stride S) ->
// act -> [SE] -> 1x1 project -> (+ residual), one CTA per output tile.
//
// Tiling: a CTA owns one image's TH x TW output tile and walks the expanded
// width in chunks of CC channels. Per chunk it
//   expand:  [Pin x CinP] x [CinP x CC] on tensor cores (wmma 16x16x16,
//            fp16 in, fp32 accumulate), Pin = input tile incl. halo
//            ((TH-1)S+K) x ((TW-1)S+K); act; zero outside the image (the
//            depthwise conv pads the *expanded* tensor with zeros)
//   dw:      K x K depthwise in fp32 from shared memory, act
//   project: [Pout x CC] x [CC x CoutP] accumulated in registers across chunks
// so the expanded intermediate lives only in shared memory and registers.
// FLOPs per tile: 2*(Pin*Cin*Cmid + Pout*K*K*Cmid + Pout*Cmid*Cout); DRAM
// bytes: input tile (halo re-read from L2), output tile, weights via L2.
//
// Squeeze-excite needs the global mean of the dw output before projecting, so
// an SE block runs as two launches (modes in cuda_kernels.h): PASS1 computes
// per-tile channel sums (and optionally stages the dw output in DRAM); the
// last CTA of each image (atomic ticket) finishes the mean and the SE MLP and
// writes the gate. Pass 2 either recomputes expand+dw (RECOMP) or reads the
// staged tensor (STAGED), scales by the gate and projects. The backend picks
// between them by timing both at create.
#include <cuda_runtime.h>

#include "fused_kernels/cuda_common.cuh"
#include "fused_kernels/cuda_kernels.h"

namespace bf {

// Expand GEMM for one chunk: mid[p][c] = act(x[p] . w_exp[:, c0+c] + b), zero
// for halo pixels outside the image. Caller syncs before and after.
__device__ void expand_chunk(const cuda_mbconv_args &a, const __half *xin, __half *mid, float *scr,
                             int pin, int npin, int c0, int cc, int iy0, int ix0, int iw) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int mt_n = npin / 16, nt_n = cc / 16, kt_n = a.CinP / 16;
  const __half *wexp = (const __half *)a.w_exp;
  for (int t = warp; t < mt_n * nt_n; t += CUDA_WARPS) {
    const int mt = t / nt_n, nt = t % nt_n;
    frag_c acc;
    wmma::fill_fragment(acc, 0.f);
    for (int k = 0; k < kt_n; k++) {
      frag_a fa;
      frag_b fb;
      wmma::load_matrix_sync(fa, xin + (size_t)mt * 16 * a.CinP + k * 16, a.CinP);
      wmma::load_matrix_sync(fb, wexp + (size_t)k * 16 * a.CmidP + c0 + nt * 16, a.CmidP);
      wmma::mma_sync(acc, fa, fb, acc);
    }
    wmma::store_matrix_sync(scr, acc, 16, wmma::mem_row_major);
    __syncwarp();
    const int r = lane >> 1, c8 = (lane & 1) * 8, p = mt * 16 + r;
    if (p < pin) {
      const int iy = iy0 + p / iw, ix = ix0 + p % iw;
      float v[8];
      const bool in = iy >= 0 && iy < a.H && ix >= 0 && ix < a.W;
#pragma unroll
      for (int j = 0; j < 8; j++) {
        const int c = nt * 16 + c8 + j;
        v[j] = in ? act_apply(scr[r * 16 + c8 + j] + a.b_exp[c0 + c], a.act) : 0.f;
      }
      *reinterpret_cast<uint4 *>(mid + (size_t)p * cc + nt * 16 + c8) = pack8(v);
    }
    __syncwarp();
  }
}

// Depthwise conv of one chunk from mid (ih x iw x cc) into dwo (pout rows of
// ldd halves): act(sum + b) [* scale]; zero for pixels outside the output.
__device__ void dw_chunk(const cuda_mbconv_args &a, const __half *mid, __half *dwo, int ldd, int c0,
                         int cc, int oy0, int ox0, int iw, const float *gate) {
  const int nc2 = cc / 2, npx = a.TH * a.TW;
  const __half *wdw = (const __half *)a.w_dw;
  for (int i = threadIdx.x; i < npx * nc2; i += blockDim.x) {
    const int q = i / nc2, c = (i % nc2) * 2;
    const int oy = q / a.TW, ox = q % a.TW;
    float2 acc = make_float2(0.f, 0.f);
    if (oy0 + oy < a.Ho && ox0 + ox < a.Wo) {
      acc = make_float2(a.b_dw[c0 + c], a.b_dw[c0 + c + 1]);
      const __half *m0 = mid + ((size_t)(oy * a.S) * iw + ox * a.S) * cc + c;
      for (int ky = 0; ky < a.K; ky++) {
        for (int kx = 0; kx < a.K; kx++) {
          const float2 m =
              __half22float2(*reinterpret_cast<const __half2 *>(m0 + ((size_t)ky * iw + kx) * cc));
          const float2 w = __half22float2(
              *reinterpret_cast<const __half2 *>(wdw + (size_t)(ky * a.K + kx) * a.CmidP + c0 + c));
          acc.x = fmaf(m.x, w.x, acc.x);
          acc.y = fmaf(m.y, w.y, acc.y);
        }
      }
      acc.x = act_apply(acc.x, a.act);
      acc.y = act_apply(acc.y, a.act);
      if (gate) {
        acc.x *= gate[c0 + c];
        acc.y *= gate[c0 + c + 1];
      }
    }
    *reinterpret_cast<__half2 *>(dwo + (size_t)q * ldd + c) = __floats2half2_rn(acc.x, acc.y);
  }
}

// The last CTA of image n: mean of the per-tile sums, SE MLP, gate -> scale.
// `f` is shared scratch of CmidP + pad16(se_c) floats.
__device__ void se_finish(const cuda_mbconv_args &a, int n, float *f) {
  const int tiles = a.tiles_x * a.tiles_y, warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  float *mean = f, *r = f + a.CmidP;
  const float inv = 1.f / (float)(a.Ho * a.Wo);
  for (int c = threadIdx.x; c < a.CmidP; c += blockDim.x) {
    float s = 0.f;
    for (int t = 0; t < tiles; t++) s += __ldcg(a.sums + ((size_t)n * tiles + t) * a.CmidP + c);
    mean[c] = s * inv;
  }
  __syncthreads();
  const __half *wr = (const __half *)a.w_ser, *we = (const __half *)a.w_see;
  for (int j = warp; j < a.se_c; j += CUDA_WARPS) {
    float s = 0.f;
    for (int c = lane; c < a.Cmid; c += 32) s += mean[c] * __half2float(wr[(size_t)c * a.se_c + j]);
#pragma unroll
    for (int o = 16; o; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    if (lane == 0) r[j] = act_apply(s + a.b_ser[j], a.se_act);
  }
  __syncthreads();
  for (int c = threadIdx.x; c < a.CmidP; c += blockDim.x) {
    float s = a.b_see[c];
    for (int j = 0; j < a.se_c; j++) s += r[j] * __half2float(we[(size_t)j * a.CmidP + c]);
    a.scale[(size_t)n * a.CmidP + c] = c < a.Cmid ? 1.f / (1.f + __expf(-s)) : 0.f;
  }
  if (threadIdx.x == 0) a.counter[n] = 0;  // ready for the next launch
}

template <int NF>
__global__ void __launch_bounds__(CUDA_THREADS, 1) mbconv_kernel(const cuda_mbconv_args a) {
  extern __shared__ __align__(128) unsigned char smem[];
  const int n = blockIdx.y, tile = blockIdx.x;
  const int ty = tile / a.tiles_x, tx = tile % a.tiles_x;
  const int oy0 = ty * a.TH, ox0 = tx * a.TW;
  const int ih = (a.TH - 1) * a.S + a.K, iw = (a.TW - 1) * a.S + a.K;
  const int pin = ih * iw, npin = (pin + 15) & ~15;
  const int npx = a.TH * a.TW, pout = (npx + 15) & ~15, ldd = a.CC + 8;
  const int iy0 = oy0 * a.S - a.pad_t, ix0 = ox0 * a.S - a.pad_l;
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const bool staged = a.mode == CUDA_MB_STAGED, proj = a.mode != CUDA_MB_PASS1;

  float *scr_all = reinterpret_cast<float *>(smem);
  float *scr = scr_all + warp * 256;
  float *csum = scr_all + CUDA_WARPS * 256;
  int *flag = reinterpret_cast<int *>(csum + a.CC);
  unsigned char *body = reinterpret_cast<unsigned char *>(flag + 8);  // 32B-aligned for wmma
  __half *xin = reinterpret_cast<__half *>(body);
  size_t body_bytes = 0;
  if (!staged) {
    if (a.has_expand) body_bytes += (size_t)npin * a.CinP * 2;
    body_bytes += (size_t)npin * a.CC * 2;
  }
  __half *mid = xin + (a.has_expand ? (size_t)npin * a.CinP : 0);
  size_t se_bytes = ((size_t)a.CmidP + ((a.se_c + 15) & ~15)) * 4;
  if (a.mode == CUDA_MB_PASS1 && body_bytes < se_bytes) body_bytes = se_bytes;
  __half *dwo = reinterpret_cast<__half *>(body + body_bytes);

  const __half *x = (const __half *)a.x + (size_t)n * a.H * a.W * a.CinP;
  const float *gate =
      a.mode == CUDA_MB_FUSED || a.mode == CUDA_MB_PASS1 ? nullptr : a.scale + (size_t)n * a.CmidP;

  // Input tile (with halo) for the expand GEMM; rows past pin are zero.
  if (!staged && a.has_expand) {
    const int v8 = a.CinP / 8;
    for (int i = threadIdx.x; i < npin * v8; i += blockDim.x) {
      const int p = i / v8, c = (i % v8) * 8;
      uint4 u = make_uint4(0, 0, 0, 0);
      if (p < pin) {
        const int gy = iy0 + p / iw, gx = ix0 + p % iw;
        if (gy >= 0 && gy < a.H && gx >= 0 && gx < a.W)
          u = *reinterpret_cast<const uint4 *>(x + ((size_t)gy * a.W + gx) * a.CinP + c);
      }
      *reinterpret_cast<uint4 *>(xin + (size_t)p * a.CinP + c) = u;
    }
  }
  // Rows of the dw output past the tile stay zero for the projection.
  for (int i = threadIdx.x; i < (pout - npx) * ldd; i += blockDim.x)
    dwo[(size_t)npx * ldd + i] = __float2half(0.f);

  frag_c acc[NF];
#pragma unroll
  for (int i = 0; i < NF; i++) wmma::fill_fragment(acc[i], 0.f);
  const int nct = a.CoutP / 16, nfrag = (pout / 16) * nct;
  const __half *wproj = (const __half *)a.w_proj;
  __syncthreads();

  for (int c0 = 0; c0 < a.CmidP; c0 += a.CC) {
    const int cc = min(a.CC, a.CmidP - c0);
    if (!staged) {
      if (a.has_expand) {
        expand_chunk(a, xin, mid, scr, pin, npin, c0, cc, iy0, ix0, iw);
      } else {  // no expansion: the chunk is the input's own channels
        const int v8 = cc / 8;
        for (int i = threadIdx.x; i < pin * v8; i += blockDim.x) {
          const int p = i / v8, c = (i % v8) * 8;
          const int gy = iy0 + p / iw, gx = ix0 + p % iw;
          uint4 u = make_uint4(0, 0, 0, 0);
          if (gy >= 0 && gy < a.H && gx >= 0 && gx < a.W)
            u = *reinterpret_cast<const uint4 *>(x + ((size_t)gy * a.W + gx) * a.CinP + c0 + c);
          *reinterpret_cast<uint4 *>(mid + (size_t)p * cc + c) = u;
        }
      }
      __syncthreads();
      dw_chunk(a, mid, dwo, ldd, c0, cc, oy0, ox0, iw, gate);
    } else {  // staged dw output, gated
      const int v8 = cc / 8;
      const __half *st = (const __half *)a.stage + (size_t)n * a.Ho * a.Wo * a.CmidP;
      for (int i = threadIdx.x; i < npx * v8; i += blockDim.x) {
        const int q = i / v8, c = (i % v8) * 8;
        const int gy = oy0 + q / a.TW, gx = ox0 + q % a.TW;
        float v[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        if (gy < a.Ho && gx < a.Wo) {
          unpack8(
              *reinterpret_cast<const uint4 *>(st + ((size_t)gy * a.Wo + gx) * a.CmidP + c0 + c),
              v);
#pragma unroll
          for (int j = 0; j < 8; j++) v[j] *= gate[c0 + c + j];
        }
        *reinterpret_cast<uint4 *>(dwo + (size_t)q * ldd + c) = pack8(v);
      }
    }
    __syncthreads();

    if (proj) {
#pragma unroll
      for (int i = 0; i < NF; i++) {
        const int f = warp + i * CUDA_WARPS;
        if (f < nfrag) {
          const int mt = f / nct, nt = f % nct;
          for (int k = 0; k < cc / 16; k++) {
            frag_a fa;
            frag_b fb;
            wmma::load_matrix_sync(fa, dwo + (size_t)mt * 16 * ldd + k * 16, ldd);
            wmma::load_matrix_sync(fb, wproj + (size_t)(c0 + k * 16) * a.CoutP + nt * 16, a.CoutP);
            wmma::mma_sync(acc[i], fa, fb, acc[i]);
          }
        }
      }
    } else {  // PASS1: channel sums of this chunk [+ stage]
      for (int c = threadIdx.x; c < cc; c += blockDim.x) csum[c] = 0.f;
      __syncthreads();
      const int groups = blockDim.x / cc > 0 ? blockDim.x / cc : 1;
      if (threadIdx.x < groups * cc) {
        const int c = threadIdx.x % cc, g = threadIdx.x / cc;
        float s = 0.f;
        for (int q = g; q < npx; q += groups) s += __half2float(dwo[(size_t)q * ldd + c]);
        atomicAdd(&csum[c], s);
      }
      if (a.stage) {
        const int v8 = cc / 8;
        __half *st = (__half *)a.stage + (size_t)n * a.Ho * a.Wo * a.CmidP;
        for (int i = threadIdx.x; i < npx * v8; i += blockDim.x) {
          const int q = i / v8, c = (i % v8) * 8;
          const int gy = oy0 + q / a.TW, gx = ox0 + q % a.TW;
          if (gy < a.Ho && gx < a.Wo)
            *reinterpret_cast<uint4 *>(st + ((size_t)gy * a.Wo + gx) * a.CmidP + c0 + c) =
                *reinterpret_cast<const uint4 *>(dwo + (size_t)q * ldd + c);
        }
      }
      __syncthreads();
      const int tiles = a.tiles_x * a.tiles_y;
      for (int c = threadIdx.x; c < cc; c += blockDim.x)
        a.sums[((size_t)n * tiles + tile) * a.CmidP + c0 + c] = csum[c];
    }
    __syncthreads();
  }

  if (!proj) {
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) {
      const unsigned prev = atomicAdd(a.counter + n, 1u);
      flag[0] = prev == (unsigned)(a.tiles_x * a.tiles_y - 1);
    }
    __syncthreads();
    if (flag[0]) {
      __threadfence();
      se_finish(a, n, reinterpret_cast<float *>(body));
    }
    return;
  }

  // Epilogue: bias (+ residual), padded channels forced to zero, 16B stores.
  __half *y = (__half *)a.y + (size_t)n * a.Ho * a.Wo * a.CoutP;
  const __half *res = a.res ? (const __half *)a.res + (size_t)n * a.Ho * a.Wo * a.CoutP : nullptr;
#pragma unroll
  for (int i = 0; i < NF; i++) {
    const int f = warp + i * CUDA_WARPS;
    if (f < nfrag) {
      const int mt = f / nct, nt = f % nct;
      wmma::store_matrix_sync(scr, acc[i], 16, wmma::mem_row_major);
      __syncwarp();
      const int r = lane >> 1, c8 = (lane & 1) * 8, q = mt * 16 + r;
      const int gy = oy0 + q / a.TW, gx = ox0 + q % a.TW;
      if (q < npx && gy < a.Ho && gx < a.Wo) {
        const size_t off = ((size_t)gy * a.Wo + gx) * a.CoutP + nt * 16 + c8;
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
  }
}

}  // namespace bf

// Picks the instantiation holding enough accumulator tiles per warp.
extern "C" int cuda_mbconv_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  const int nf = cuda_mbconv_nf(a);
  const dim3 grid(a->tiles_x * a->tiles_y, n);
  const size_t smem = cuda_mbconv_smem(a);
  if (a->CC % 16 || a->CC <= 0 || nf > CUDA_MAX_NF) return (int)cudaErrorInvalidValue;
  if (nf <= 1)
    bf::mbconv_kernel<1><<<grid, CUDA_THREADS, smem, st>>>(*a);
  else if (nf <= 2)
    bf::mbconv_kernel<2><<<grid, CUDA_THREADS, smem, st>>>(*a);
  else if (nf <= 4)
    bf::mbconv_kernel<4><<<grid, CUDA_THREADS, smem, st>>>(*a);
  else if (nf <= 8)
    bf::mbconv_kernel<8><<<grid, CUDA_THREADS, smem, st>>>(*a);
  else
    bf::mbconv_kernel<16><<<grid, CUDA_THREADS, smem, st>>>(*a);
  return (int)cudaGetLastError();
}

extern "C" int cuda_mbconv_set_smem(int bytes) {
  cudaError_t e;
  if ((e = cudaFuncSetAttribute(bf::mbconv_kernel<1>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                bytes)))
    return (int)e;
  if ((e = cudaFuncSetAttribute(bf::mbconv_kernel<2>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                bytes)))
    return (int)e;
  if ((e = cudaFuncSetAttribute(bf::mbconv_kernel<4>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                bytes)))
    return (int)e;
  if ((e = cudaFuncSetAttribute(bf::mbconv_kernel<8>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                bytes)))
    return (int)e;
  return (int)cudaFuncSetAttribute(bf::mbconv_kernel<16>,
                                   cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
}

extern "C" int cuda_mbconv_regs(int nf) {
  cudaFuncAttributes fa;
  cudaError_t e;
  if (nf <= 1)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<1>);
  else if (nf <= 2)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<2>);
  else if (nf <= 4)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<4>);
  else if (nf <= 8)
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<8>);
  else
    e = cudaFuncGetAttributes(&fa, bf::mbconv_kernel<16>);
  return e == cudaSuccess ? fa.numRegs : 0;
}
