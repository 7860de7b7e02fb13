// The SE MLP after PASS1, batched over images (cuda_se_batch_ok): grid
// (groups, g), 256 threads; CTA (x, y) takes the CUDA_SEB_IMG images from
// x * CUDA_SEB_IMG (fewer in the last group) and the y-th range of the gate
// channels (cuda_se_batch_per pairs).
//
// The per-image SE kernel (mbconv.cu) reads the reduce and expand weights
// once per image; for EfficientNet's 7x7 blocks that is 221 KB per image,
// 56 MB from L2 at batch 256, which bounds it at ~14 us per block. Here the
// CTA copies the reduce weights and its columns of the expand weights into
// shared memory by cp.async before the wait for PASS1 (programmatic
// dependent launch overlaps them with PASS1's end), and each weight then
// feeds all the group's images:
//   1. the channel means of the group's images, [IMG][CmidP] (float4 loads
//      of the per-tile sums);
//   2. the reduce FC r = act(b + mean . Wr): a warp takes 8 of its columns
//      (one 16-byte row piece of Wr per lane and channel) over one of S
//      ranges of the channels, its lanes striding over them, and holds the
//      IMG x 8 partial sums; a halving butterfly (62 shuffles) leaves lane l
//      the sums of image l / 4, columns 2 (l % 4) and + 1, written to part;
//      then the S ranges are added and act applied, into r [se_c][IMG];
//   3. the expand FC gate = sigmoid(b + r . We) for this CTA's channel
//      pairs: a thread per pair, its 4-byte rows of We, the IMG values of
//      r[j] two 16-byte broadcasts.
// fp32 throughout, like the per-image kernel. (A first version read the
// weights from L2 in the FCs' loops: a chain of ~30 dependent round trips
// per CTA, slower than the per-image kernel at batch 64 and 256.)
#include <cuda_runtime.h>

#include "fused_kernels/mbconv_parts.cuh"

namespace bf {

constexpr int SEB = CUDA_SEB_IMG;
static_assert(SEB == 8, "the butterfly maps 64 sums (8 images x 8 columns) onto 32 lanes");

// The warp's sums of v[0..63] over its lanes: at each step a lane keeps one
// half of its 2H values and sends the other to its partner (lane ^ H / 2),
// which keeps the opposite half, so after the steps H = 32 .. 2 lane l holds
// the sums of v[2 l] and v[2 l + 1] in v[0], v[1].
template <int H>
__device__ __forceinline__ void warp_sum_halves(float (&v)[64], int lane) {
  warp_halve_sums<H>(v, lane, H / 2);
  if constexpr (H > 2) warp_sum_halves<H / 2>(v, lane);
}

__global__ void __launch_bounds__(256) se_batch_kernel(const cuda_mbconv_args a, int n) {
  extern __shared__ __align__(16) float sb[];
  const int sep = cuda_se_sep(&a), J = sep / 8, S = cuda_se_batch_splits(&a);
  const int CP = a.CmidP, c4n = CP / 4, tiles = a.tiles_x * a.tiles_y;
  const int P = CP / 2, per = cuda_se_batch_per(&a, gridDim.y), p0 = blockIdx.y * per;
  const int np = max(0, min(P, p0 + per) - p0); /* this CTA's pairs, a multiple of 4 */
  float *mean = sb;                             /* [SEB][CP] */
  float *part = mean + SEB * CP;                /* [S][SEB][sep] */
  float *r = part + (size_t)S * SEB * sep;      /* [se_c][SEB] */
  uint4 *wr_s = reinterpret_cast<uint4 *>(r + (size_t)a.se_c * SEB);      /* [Cmid][J] */
  __half2 *we_s = reinterpret_cast<__half2 *>(wr_s + (size_t)a.Cmid * J); /* [se_c][per] */
  const int n0 = blockIdx.x * SEB, ni = min(SEB, n - n0);
  const int tid = threadIdx.x, warp = tid >> 5, lane = tid & 31;
  { /* the weights: not PASS1's, so before the wait */
    const uint4 *wr = reinterpret_cast<const uint4 *>(a.w_ser);
    for (int i = tid; i < a.Cmid * J; i += 256) cp_async16(wr_s + i, wr + i);
    const __half *we = reinterpret_cast<const __half *>(a.w_see) + 2 * (size_t)p0;
    const int q4 = np / 4; /* 16-byte pieces per row */
    for (int i = tid; i < a.se_c * q4; i += 256) {
      const int j = i / q4, q = i - j * q4;
      cp_async16(we_s + (size_t)j * per + 4 * q, we + (size_t)j * CP + 8 * q);
    }
    cp_async_commit();
  }
  pdl_wait(); /* PASS1's sums */
  pdl_trigger();
  const float inv = 1.f / (float)(a.Ho * a.Wo);
  for (int q = tid; q < SEB * c4n; q += 256) {
    const int i = q / c4n, c = (q - i * c4n) * 4;
    float4 s = make_float4(0.f, 0.f, 0.f, 0.f);
    if (i < ni) {
      const float4 *sp =
          reinterpret_cast<const float4 *>(a.sums + (size_t)(n0 + i) * tiles * CP + c);
      for (int t = 0; t < tiles; t++) {
        const float4 v = __ldg(sp + (size_t)t * c4n);
        s.x += v.x, s.y += v.y, s.z += v.z, s.w += v.w;
      }
    }
    *reinterpret_cast<float4 *>(mean + (size_t)i * CP + c) =
        make_float4(s.x * inv, s.y * inv, s.z * inv, s.w * inv);
  }
  cp_async_wait0();
  __syncthreads();
  /* 2. the reduce FC's partial sums: item (j8, s) = columns 8 j8.., channel range s */
  const int cs = (a.Cmid + S - 1) / S;
  for (int it = warp; it < J * S; it += 256 / 32) {
    const int j8 = it % J, s = it / J, ce = min(a.Cmid, (s + 1) * cs);
    float v[64];
#pragma unroll
    for (int k = 0; k < 64; k++) v[k] = 0.f;
#pragma unroll 2
    for (int c = s * cs + lane; c < ce; c += 32) {
      float w[8];
      unpack8(wr_s[(size_t)c * J + j8], w);
#pragma unroll
      for (int i = 0; i < SEB; i++) {
        const float m = mean[i * CP + c];
#pragma unroll
        for (int k = 0; k < 8; k++) v[i * 8 + k] = fmaf(m, w[k], v[i * 8 + k]);
      }
    }
    warp_sum_halves<32>(v, lane);
    /* lane l: image l / 4, columns 2 (l % 4), + 1 */
    *reinterpret_cast<float2 *>(part + ((size_t)s * SEB + (lane >> 2)) * sep + j8 * 8 +
                                (lane & 3) * 2) = make_float2(v[0], v[1]);
  }
  __syncthreads();
  for (int q = tid; q < a.se_c * SEB; q += 256) {
    const int j = q / SEB, i = q - j * SEB;
    float t = a.b_ser[j];
    for (int s = 0; s < S; s++) t += part[((size_t)s * SEB + i) * sep + j];
    r[q] = act_apply(t, a.se_act);
  }
  __syncthreads();
  /* 3. the gates of this CTA's channel pairs */
  for (int pl = tid; pl < np; pl += 256) {
    const int c = 2 * (p0 + pl);
    float2 acc[SEB];
#pragma unroll
    for (int i = 0; i < SEB; i++) acc[i] = make_float2(a.b_see[c], a.b_see[c + 1]);
#pragma unroll 4
    for (int j = 0; j < a.se_c; j++) {
      const float2 w = __half22float2(we_s[(size_t)j * per + pl]);
      const float4 r0 = *reinterpret_cast<const float4 *>(r + j * SEB);
      const float4 r1 = *reinterpret_cast<const float4 *>(r + j * SEB + 4);
      const float rv[SEB] = {r0.x, r0.y, r0.z, r0.w, r1.x, r1.y, r1.z, r1.w};
#pragma unroll
      for (int i = 0; i < SEB; i++)
        acc[i].x = fmaf(rv[i], w.x, acc[i].x), acc[i].y = fmaf(rv[i], w.y, acc[i].y);
    }
#pragma unroll
    for (int i = 0; i < SEB; i++)
      if (i < ni)
        *reinterpret_cast<float2 *>(a.scale + (size_t)(n0 + i) * CP + c) =
            make_float2(c < a.Cmid ? sigmoid_fast(acc[i].x) : 0.f,
                        c + 1 < a.Cmid ? sigmoid_fast(acc[i].y) : 0.f);
  }
}

}  // namespace bf

extern "C" int cuda_se_batch_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st) {
  if (n <= 0 || a->se_c <= 0 || a->CmidP % 16) return (int)cudaErrorInvalidValue;
  int groups, g;
  cuda_se_batch_grid(a, n, &groups, &g);
  return (int)bf::launch_k(bf::se_batch_kernel, dim3(groups, g), 256, cuda_se_batch_smem(a, g), st,
                           true, *a, n);
}

extern "C" int cuda_se_batch_set_attrs(int bytes, int carveout) {
  const void *k[] = {(const void *)bf::se_batch_kernel};
  return (int)bf::set_kernel_attrs(k, 1, bytes, carveout);
}
