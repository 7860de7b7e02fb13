// Device helpers shared by the fused-block kernels: activations, fp16
// packing, and the warp-scratch epilogue of a 16x16 tensor-core tile.
#ifndef BLOCKFUSE_FUSED_KERNELS_CUDA_COMMON_CUH
#define BLOCKFUSE_FUSED_KERNELS_CUDA_COMMON_CUH

#include <cuda_fp16.h>
#include <mma.h>

#include <utility>

#include "model/net.h"

namespace bf {

using namespace nvcuda;
typedef wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> frag_a;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> frag_b;
typedef wmma::fragment<wmma::accumulator, 16, 16, 16, float> frag_c;

// m16n8k16 tensor-core MMA, fp16 in, fp32 accumulate (sm_80+ PTX).
__device__ __forceinline__ void mma16816(float *c, const unsigned *a, unsigned b0, unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// The same MMA with the accumulator's initial value from separate registers
// (d = a b + c): the first k-step of a tile starts from the bias this way,
// so no instruction adds it afterwards or copies it into d.
__device__ __forceinline__ void mma16816_init(float *d, const unsigned *a, unsigned b0, unsigned b1,
                                              float c0, float c1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%10,%11,%10,%11};\n"
      : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "f"(c0), "f"(c1));
}

// The m16n8k16 MMA with fp16 accumulators (d: rows g and g + 8 as fp16
// pairs), from c, an fp16 pair both rows start from (a bias), or from d.
// PASS1's expand at K <= 32 (expand_chunk in mbconv_parts.cuh): its sums are
// rounded to fp16 for the activation anyway, and the pair form needs no
// conversion and half the accumulator registers.
__device__ __forceinline__ void mma16816_h16_init(unsigned *d, const unsigned *a, unsigned b0,
                                                  unsigned b1, unsigned c) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, "
      "{%8,%8};\n"
      : "=r"(d[0]), "=r"(d[1])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1), "r"(c));
}
__device__ __forceinline__ void mma16816_h16(unsigned *d, const unsigned *a, unsigned b0,
                                             unsigned b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16 {%0,%1}, {%2,%3,%4,%5}, {%6,%7}, "
      "{%0,%1};\n"
      : "+r"(d[0]), "+r"(d[1])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// n / d for 0 <= n < 2^20 and d >= 1 (thread, pixel and tile counts) by an
// approximate float reciprocal and a multiply, where the integer division
// takes ~20 instructions: (n + 0.5) / d lies at least 0.5 / d from an
// integer, and __fdividef's error, 2 ulp of a quotient below n / d, is at
// most n / d * 2^-22 < 0.5 / d.
__device__ __forceinline__ int small_div(int n, int d) {
  return __float2int_rz(__fdividef((float)n + 0.5f, (float)d));
}

// n / d for 0 <= n < 2^31 and 1 <= d < 2^31 without an integer division
// (~25 instructions each): (umulhi(n, m) + n) >> l with l = ceil(log2 d) and
// the round-up multiplier m = 2^32 (2^l - d) / d + 1, whose one 64-bit
// division runs in the constructor. Checked on the host for every n below
// 5 000 000, a stride through the rest and the top 100 000 below 2^31, for d
// from 1 to 2^31 - 1 (EfficientNet's pixel counts among them).
struct fdiv {
  unsigned m;
  int l;
  __device__ __forceinline__ explicit fdiv(int d) {
    l = 32 - __clz(d - 1);
    m = (unsigned)(((1ull << 32) * ((1ull << l) - (unsigned)d)) / (unsigned)d + 1);
  }
  __device__ __forceinline__ int q(int n) const {
    return (int)((__umulhi((unsigned)n, m) + (unsigned)n) >> l);
  }
};

// Programmatic dependent launch (sm_90). A kernel launched by launch_k with
// pdl on may start while the kernel before it in the stream still runs: its
// CTAs do the work that reads only weights (tables, the first weight
// prefetches), then pdl_wait() blocks until the previous grid has completed
// and its writes are visible. Every kernel waits before it reads or writes
// an activation buffer, so the chain stays ordered: when kernel i passes its
// wait, i - 1 has completed, and i - 1 completed only after its own wait. A
// kernel's pdl_trigger() lets the next launch start once every CTA of this
// grid has called it (or exited). The MBConv kernel and the pixel GEMM call
// it after their main loop, the small kernels right after their wait: with
// the trigger right after the wait in the big kernels too, the next grid's
// CTAs sat on the SMs through a whole single-wave launch, and batch 64 was
// 1.5 % slower instead of 2 % faster (bench/RESULTS.md). On a kernel
// launched without the attribute both are no-ops.
__device__ __forceinline__ void pdl_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}
__device__ __forceinline__ void pdl_trigger() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// sigmoid(x) = 1 / (1 + e^-x) with the fast exp and division: the SE gates
// (the SE kernel, the fused SE of the pixel GEMM, the cluster mode) and the
// sigmoid activation.
__device__ __forceinline__ float sigmoid_fast(float x) {
  return __fdividef(1.f, 1.f + __expf(-x));
}

// x * sigmoid(x) with one MUFU op: sigmoid(x) = 0.5 + 0.5 tanh(x / 2)
// (tanh.approx: ~2^-11 relative error, below fp16 storage precision).
__device__ __forceinline__ float swish_fast(float x) {
  float t;
  asm("tanh.approx.f32 %0, %1;" : "=f"(t) : "f"(0.5f * x));
  return x * fmaf(0.5f, t, 0.5f);
}

// swish of an fp16 pair given as h = x / 2: x sigmoid(x) = h + h tanh(h)
// (tanh.approx.f16x2: the same ~2^-11 error as the fp32 form above, below
// fp16 storage precision). h = -inf would give h + h * -1 = -inf + inf =
// NaN, so callers pass finite values or a -inf clamped to -65504 (which
// gives 0, as fp32 does).
__device__ __forceinline__ __half2 swish_of_half(__half2 h) {
  unsigned t;
  asm("tanh.approx.f16x2 %0, %1;" : "=r"(t) : "r"(*reinterpret_cast<const unsigned *>(&h)));
  return __hfma2(h, *reinterpret_cast<const __half2 *>(&t), h);
}
// The same in fp32: swish(2 h) = h + h tanh(h) (the tensor-core stems, whose
// weights and bias are halved).
__device__ __forceinline__ float swish_of_half_f32(float h) {
  float t;
  asm("tanh.approx.f32 %0, %1;" : "=f"(t) : "f"(h));
  return fmaf(h, t, h);
}
// swish of an fp16 pair, 4 instructions for both.
__device__ __forceinline__ __half2 swish_h2(__half2 x) {
  return swish_of_half(__hmul2(x, __float2half2_rn(0.5f)));
}
// swish of two fp32 values, computed on the fp16 pair that is stored: the
// pair is packed with satfinite (a value beyond the fp16 range becomes
// +-65504, not +-inf).
__device__ __forceinline__ __half2 swish_h2(float lo, float hi) {
  unsigned x;
  asm("cvt.rn.satfinite.f16x2.f32 %0, %1, %2;" : "=r"(x) : "f"(hi), "f"(lo));
  return swish_h2(*reinterpret_cast<const __half2 *>(&x));
}
// The same from two fp32 values that are already x / 2 (a swish block's
// expand GEMM, whose weights and bias are stored halved: cuda_weights.c),
// 3 instructions for both; x beyond twice the fp16 range becomes inf, as
// the fp32 form gives.
__device__ __forceinline__ __half2 swish_h2_halved(float hlo, float hhi) {
  unsigned h;
  asm("cvt.rn.satfinite.f16x2.f32 %0, %1, %2;" : "=r"(h) : "f"(hhi), "f"(hlo));
  return swish_of_half(*reinterpret_cast<const __half2 *>(&h));
}

// The rarer activations, out of line: inlining every case at every call site
// (erf for GELU in particular) multiplied the kernels' instruction count.
static __device__ __noinline__ float act_slow(float x, int act) {
  switch (act) {
    case MODEL_ACT_RELU:
      return fmaxf(x, 0.f);
    case MODEL_ACT_RELU6:
      return fminf(fmaxf(x, 0.f), 6.f);
    case MODEL_ACT_GELU:
      return 0.5f * x * (1.f + erff(x * 0.70710678f));
    case MODEL_ACT_SIGMOID:
      return sigmoid_fast(x);
    default:
      return x;
  }
}

// model_act applied in fp32; the values match model/net.h's enum. The common
// cases (swish, none) cost a compare and a branch on a warp-uniform value.
__device__ __forceinline__ float act_apply(float x, int act) {
  if (act == MODEL_ACT_SWISH) return swish_fast(x);
  if (act == MODEL_ACT_NONE) return x;
  return act_slow(x, act);
}

// act_apply with the activation known at compile time (ACT >= 0), or the
// run-time dispatch (ACT < 0). Hot loops are instantiated for swish.
template <int ACT>
__device__ __forceinline__ float act_t(float x, int act) {
  if (ACT == MODEL_ACT_SWISH) return swish_fast(x);
  if (ACT == MODEL_ACT_NONE) return x;
  return act_apply(x, act);
}

// 8 fp16 values <-> 8 floats through one 16-byte word.
__device__ __forceinline__ void unpack8(uint4 u, float *f) {
  const __half2 *h = reinterpret_cast<const __half2 *>(&u);
#pragma unroll
  for (int i = 0; i < 4; i++) {
    float2 t = __half22float2(h[i]);
    f[2 * i] = t.x;
    f[2 * i + 1] = t.y;
  }
}
__device__ __forceinline__ uint4 pack8(const float *f) {
  uint4 u;
  __half2 *h = reinterpret_cast<__half2 *>(&u);
#pragma unroll
  for (int i = 0; i < 4; i++) h[i] = __floats2half2_rn(f[2 * i], f[2 * i + 1]);
  return u;
}

// Host side, set by cuda_kernels_set_options: whether launch_k asks for
// programmatic dependent launch, whether the SE launcher may take its PRE
// variant or the batched kernel and the stem launcher its band kernel (all
// off only for A/B runs).
inline bool g_pdl = true, g_se_pre = true, g_stem_band = true, g_se_batch = true;
inline int g_se_mma = 1; /* 0 never, 1 the rule, 2 wherever it fits */

// The launch configuration launch_k uses: programmatic stream serialization
// where `pdl` and g_pdl are set, and with a cluster size (cluster.x > 0) a
// thread-block cluster of that shape; `at` holds the attributes (room for
// two where a cluster is asked for).
static inline cudaLaunchConfig_t launch_cfg(cudaLaunchAttribute *at, dim3 grid, dim3 block,
                                            size_t smem, cudaStream_t st, bool pdl,
                                            dim3 cluster = dim3(0, 0, 0)) {
  cudaLaunchConfig_t cfg = {};
  at->id = cudaLaunchAttributeProgrammaticStreamSerialization;
  at->val.programmaticStreamSerializationAllowed = 1;
  cfg.gridDim = grid, cfg.blockDim = block, cfg.dynamicSmemBytes = smem, cfg.stream = st;
  cfg.attrs = at, cfg.numAttrs = pdl && g_pdl ? 1 : 0;
  if (cluster.x > 0) {
    cudaLaunchAttribute *c = &at[cfg.numAttrs++];
    c->id = cudaLaunchAttributeClusterDimension;
    c->val.clusterDim.x = cluster.x, c->val.clusterDim.y = cluster.y;
    c->val.clusterDim.z = cluster.z;
  }
  return cfg;
}

// Launches k, with programmatic stream serialization where `pdl` and g_pdl
// are set: k must then call pdl_wait() before touching activations (above).
template <typename... P, typename... A>
static cudaError_t launch_k(void (*k)(P...), dim3 grid, dim3 block, size_t smem, cudaStream_t st,
                            bool pdl, A &&...args) {
  cudaLaunchAttribute at;
  const cudaLaunchConfig_t cfg = launch_cfg(&at, grid, block, smem, st, pdl);
  return cudaLaunchKernelEx(&cfg, k, std::forward<A>(args)...);
}
// The same for a kernel known by address, its arguments as void *[].
static inline cudaError_t launch_k(const void *k, dim3 grid, dim3 block, size_t smem,
                                   cudaStream_t st, bool pdl, void **args) {
  cudaLaunchAttribute at;
  const cudaLaunchConfig_t cfg = launch_cfg(&at, grid, block, smem, st, pdl);
  return cudaLaunchKernelExC(&cfg, k, args);
}

// Host side: raises each kernel's dynamic shared-memory limit to smem_bytes
// (skipped when < 0) and sets its preferred carveout (skipped when < 0).
static inline cudaError_t set_kernel_attrs(const void *const *fns, int n, int smem_bytes,
                                           int carveout) {
  for (int i = 0; i < n; i++) {
    cudaError_t e = cudaSuccess;
    if (smem_bytes >= 0)
      e = cudaFuncSetAttribute(fns[i], cudaFuncAttributeMaxDynamicSharedMemorySize, smem_bytes);
    if (!e && carveout >= 0)
      e = cudaFuncSetAttribute(fns[i], cudaFuncAttributePreferredSharedMemoryCarveout, carveout);
    if (e) return e;
  }
  return cudaSuccess;
}

}  // namespace bf

#endif
