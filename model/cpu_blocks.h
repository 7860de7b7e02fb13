/* Block-fused execution of one model_block on the CPU (private to
 * model/cpu_*.c). A block runs as parallel items of (image, band of output
 * rows); each item walks its band in chunks of rows small enough that the
 * chunk's expanded intermediate stays in L2. Squeeze-excite needs the whole
 * image's mean before projecting, so SE blocks run in three phases:
 * expand+dw per chunk (staging the dw output, summing channels), the SE MLP
 * per image, then scale+project per chunk.
 *
 * Lifetime: a plan borrows the block's weights (the model_net must outlive
 * it) and owns packed copies; an exec owns the scratch for a batch size. */
#ifndef BLOCKFUSE_MODEL_CPU_BLOCKS_H
#define BLOCKFUSE_MODEL_CPU_BLOCKS_H

#include <stddef.h>

#include "model/cpu_kernels.h"
#include "model/cpu_pool.h"
#include "model/net.h"

#define CPU_MAX_BANDS 16

typedef struct {
  const model_block *b;
  int has_expand; /* MBCONV: a 1x1 expand is present */
  int has_ln;     /* STEM / DOWNSAMPLE / HEAD: LayerNorm present */
  int dw_conv;    /* CONVFIRST: the grouped conv is depthwise */
  int cin_g;      /* spatial conv input channels per group */
  cpu_pack expand, project, conv, fc;
  float lut[3][256]; /* STEM: (p - mean) / std per channel */
  int rows;          /* rows split into bands: out_h, or in_h for HEAD */
  int chunk;         /* rows per chunk */
  size_t scratch;    /* floats of per-thread scratch */
  size_t stage;      /* SE: floats per image of staged dw output */
  int sums_c;        /* channels pooled (SE or HEAD), else 0 */
  int vec_c;         /* floats per image of pooled vectors (means, SE hidden, gates) */
} cpu_block_plan;

typedef struct {
  cpu_pool *pool;
  int threads, max_batch;
  float **scratch; /* per thread */
  float *stage;    /* max_batch images of staged dw output */
  float *sums;     /* [max_batch][CPU_MAX_BANDS][sums_stride] partial channel sums */
  float *vec;      /* [max_batch][vec_stride] */
  size_t sums_stride, vec_stride;
} cpu_exec;

/* Checks the block (dimensions, every tensor it reads present with the right
 * element count) and packs its weights. mean / std are used by STEM only.
 * tile_rows > 0 forces the chunk height (tests), 0 picks it from the cache
 * budget. Returns 0 or a negative errno with a message. */
int cpu_block_plan_init(cpu_block_plan *p, const model_block *b, const float mean[3],
                        const float std[3], int tile_rows, char *err, size_t errlen);
void cpu_block_plan_free(cpu_block_plan *p);

/* Allocates scratch for running any of the plans on up to max_batch images. */
int cpu_exec_init(cpu_exec *x, const cpu_block_plan *plans, int n_plans, int max_batch,
                  cpu_pool *pool, char *err, size_t errlen);
void cpu_exec_free(cpu_exec *x);

/* Runs the block on n (<= max_batch) images. in: uint8 NHWC for STEM, else
 * float NHWC; out: float NHWC (HEAD: n x out_c logits). */
void cpu_block_run(const cpu_block_plan *p, cpu_exec *x, const void *in, float *out, int n);

#endif
