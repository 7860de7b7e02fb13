// The warpgroup-MMA helpers of the sm_90a kernels (pixel_gemm_wg.cu,
// px_wg.cu): the wgmma fence, commit and wait, an accumulator pin, an
// mbarrier arrival, shared-memory matrix descriptors (wg_desc: an N-major
// weight tile with the 128-byte swizzle) and the async-proxy fence. Only
// where the architecture's own features are built (BF_WGMMA, cuda.bzl's
// arch-specific sources).
#pragma once

#include "fused_kernels/mbconv_parts.cuh"

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
namespace bf {

__device__ __forceinline__ void wg_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wg_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void wg_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from moving reads of v across the asm around it (the
// accumulators are written by MMAs still in flight until wg_wait).
__device__ __forceinline__ void wg_pin(float &v) {
  asm volatile("" : "+f"(v)::"memory");
}
__device__ __forceinline__ void mbar_arrive(unsigned long long *b) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_u32(b)) : "memory");
}

// A shared-memory matrix descriptor: start address, leading and stride byte
// offsets, and the layout (1: 128-byte swizzle, 2: 64-byte, 3: 32-byte).
__device__ __forceinline__ unsigned long long wg_make_desc(unsigned addr, unsigned lbo,
                                                           unsigned sbo, unsigned layout) {
  return (unsigned long long)((addr & 0x3FFFF) >> 4) |
         (unsigned long long)((lbo >> 4) & 0x3FFF) << 16 |
         (unsigned long long)((sbo >> 4) & 0x3FFF) << 32 | (unsigned long long)layout << 62;
}
// The descriptor of the weights of a stage at shared-window byte address
// addr: N-major with the 128-byte swizzle, 64 columns (128 bytes) per row,
// rows of 8 k 1024 bytes apart (the stride byte offset), the 64-column
// blocks 8192 bytes apart (the leading byte offset). A k16 step further
// adds 2048 bytes, 128 in the address field (14 bits of 16-byte units: the
// shared window's 228 KB never carry out of it).
__device__ __forceinline__ unsigned long long wg_desc(unsigned addr) {
  return wg_make_desc(addr, 8192, 1024, 1);
}
// Makes this thread's generic-proxy writes to shared memory visible to the
// async proxy (the wgmma operand reads) once a barrier follows.
__device__ __forceinline__ void fence_async_shared() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

}  // namespace bf
#endif
