/* Private to the cuda backend: per-block device state, the weight arena and
 * the one-block launch path shared by the backend and the kernel tests. */
#ifndef BLOCKFUSE_FUSED_KERNELS_CUDA_INTERNAL_H
#define BLOCKFUSE_FUSED_KERNELS_CUDA_INTERNAL_H

#include <cuda_runtime_api.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fused_kernels/cuda_kernels.h"
#include "fused_kernels/cuda_plan.h"
#include "model/net.h"

/* Whether environment variable `name` is set to `value` (the backend's A/B
 * switches, e.g. BLOCKFUSE_CUDA_PDL=0). */
static inline int cuda_env_is(const char *name, const char *value) {
  const char *v = getenv(name);
  return v && !strcmp(v, value);
}

/* Records a CUDA failure in err and jumps to `fail`; every CUDA call goes
 * through it. */
#define CUDA_TRY(call)                                                                            \
  do {                                                                                            \
    cudaError_t e_ = (cudaError_t)(call);                                                         \
    if (e_ != cudaSuccess) {                                                                      \
      snprintf(err, errlen, "%s: %s (%s:%d)", #call, cudaGetErrorString(e_), __FILE__, __LINE__); \
      rc = -EIO;                                                                                  \
      goto fail;                                                                                  \
    }                                                                                             \
  } while (0)

/* Host-side builder of one contiguous weight buffer: tensors are appended
 * converted (fp16 matrices, fp32 vectors) and padded, then uploaded at once.
 * Offsets stay valid; pointers are resolved with cuda_arena_ptr after upload. */
typedef struct {
  unsigned char *host;
  size_t len, cap;
  unsigned char *dev;
} cuda_arena;

/* One block's device state. Weight fields hold arena offsets until
 * cuda_blocks_resolve() turns them into device pointers inside the args. */
typedef struct {
  const model_block *b;
  cuda_mbconv_args mb; /* MBConv: shapes + weights; x/y/tile set per launch */
  cuda_stem_args stem;
  cuda_head_args head;
  cuda_gemm_args fc;
  cuda_px_args px;         /* convfirst, convnext, downsample, a stem with a LayerNorm (px_on); the
                              head's pooling LayerNorm (ln_g, ln_b, ln_eps) */
  int px_on;               /* 1: the block runs px_block.cu's kernel (cuda_px_launch) */
  size_t off[16];          /* arena offsets of this block's tensors */
  int in_elems, out_elems; /* per image, padded channel stride */
} cuda_blk;

/* Per-launch plan of one block at one batch: 1 or 2 MBConv launches, or the
 * pixel-tile launch of a px block (px.nt > 0; else the block's default). */
typedef struct {
  cuda_mbconv_args l[2];
  cuda_px_args px;
  int n;
  int staged; /* SE: 1 = staged variant, 0 = recompute */
} cuda_blk_plan;

/* Whether the plan's pass 2 computes the SE gates itself (sefuse: the
 * clustered STAGED GEMM), so that its PASS1 launches no SE kernel. */
static inline int cuda_blk_plan_sefuse(const cuda_blk_plan *p) {
  return p->n == 2 && p->l[1].mode == CUDA_MB_STAGED && p->l[1].gemm && p->l[1].sefuse;
}

int cuda_arena_init(cuda_arena *ar, char *err, size_t errlen);
void cuda_arena_free(cuda_arena *ar);
int cuda_arena_upload(cuda_arena *ar, char *err, size_t errlen);

/* Appends one block's weights (BN already folded by the importer) to the
 * arena and fills blk's shapes and the device facts its launchers size
 * grids by (caps). mean/std: the stem's preprocessing. */
int cuda_blk_prepare(cuda_blk *blk, const model_block *b, const float mean[3], const float std[3],
                     const cuda_device_caps *caps, cuda_arena *ar, char *err, size_t errlen);
/* After upload: turn the arena offsets into device pointers. */
void cuda_blk_resolve(cuda_blk *blk, const cuda_arena *ar);

/* Plans an MBConv block at `batch`: staged selects the SE variant; cap1 and
 * cap2 bound the shared memory of the first and second launch (0 = device
 * limit). The scratch pointers (stage, sums, scale) must already be
 * in blk->mb. */
int cuda_blk_plan_mbconv(const cuda_blk *blk, int batch, int staged, const cuda_device_caps *caps,
                         size_t cap1, size_t cap2, cuda_blk_plan *p, char *err, size_t errlen);
/* Plans an MBConv block as one CLUSTER launch (cuda_plan_mbconv_cluster). */
int cuda_blk_plan_cluster(const cuda_blk *blk, int cl, int cc, const cuda_device_caps *caps,
                          cuda_blk_plan *p, char *err, size_t errlen);
/* Largest per-tile sums buffer (floats per image) a plan needs. */
size_t cuda_blk_plan_sums(const cuda_blk_plan *p);

/* Enqueues one block on st: x -> y (head: x -> logits via pooled). */
int cuda_blk_enqueue(const cuda_blk *blk, const cuda_blk_plan *p, int batch, const void *x, void *y,
                     void *pooled, float *logits, cudaStream_t st, char *err, size_t errlen);

/* Reads the device's properties and the MBConv kernel's register counts. */
int cuda_caps_query(int device, cuda_device_caps *caps, char *err, size_t errlen);

#endif
