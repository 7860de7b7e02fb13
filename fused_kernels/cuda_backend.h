/* Entry points of the cuda backend beyond model_backend_ops, for the GPU
 * tests and the benchmark. The backend itself is model_cuda_backend
 * (model/backend.h). */
#ifndef BLOCKFUSE_FUSED_KERNELS_CUDA_BACKEND_H
#define BLOCKFUSE_FUSED_KERNELS_CUDA_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "model/net.h"

/* Number of usable CUDA devices; 0 where none (or CUDA is not built in). */
int cuda_device_count(void);

/* Runs one block alone on `device`, for the kernel tests. in: stem uint8
 * NHWC (mean/std apply), else fp32 NHWC (n x in_h x in_w x in_c); out: fp32
 * NHWC (n x out_h x out_w x out_c), head: n x classes. The output is
 * poisoned (NaN) before the launch. staged picks the SE pass-2 variant
 * (1 staged, 0 recompute; ignored without SE), or'ed with CUDA_TEST_LOWREG
 * to run the launches holding one accumulator tile per warp as the
 * 64-register variant, with CUDA_TEST_DWH2 for packed fp16 depthwise taps,
 * with CUDA_TEST_CLUSTER for the one-pass cluster mode (zsplit = its size), with
 * CUDA_TEST_SE1 for one SE-kernel CTA per image (the large-batch shape), with
 * CUDA_TEST_GEMM / CUDA_TEST_GEMM64 for the batch-wide STAGED GEMM. zsplit > 0 forces
 * that many grid.z splits (clamped to what each launch can take); 0 = the planner's. */
/* For the pixel-tile blocks (px_block.cu) zsplit > 0 forces nt (32 nt output
 * columns per CTA), staged & 1 chunks of 32 expanded channels,
 * CUDA_TEST_PX_HS(h) the chunks split h ways (cuda_px_args.hs),
 * CUDA_TEST_PX_RW the row-warp MLP kernel and CUDA_TEST_PX_WG(w) the
 * warpgroup-MMA MLP kernel with w (1 or 2) consumer warpgroups, or (w = 3)
 * its column-split form (chunks of 64; an error where the device has no
 * sm_90a code). */
#define CUDA_TEST_PX_HS(h) ((long long)(h) << 1)
#define CUDA_TEST_PX_RW (1LL << 7) /* the row-warp MLP kernel (cuda_px_args.rw) */
#define CUDA_TEST_PX_WG(w) ((long long)(w) << 8)
#define CUDA_TEST_LOWREG 2
#define CUDA_TEST_DWH2 4
#define CUDA_TEST_CLUSTER 8 /* the one-pass cluster mode, zsplit = CTAs per image */
#define CUDA_TEST_CC16 16   /* with CUDA_TEST_CLUSTER: chunks of 16 channels */
#define CUDA_TEST_SE1 32    /* the SE kernel after PASS1 with one CTA per image */
#define CUDA_TEST_WIDE 64   /* 16 warps per CTA where it applies (cuda_mbconv_args.wide) */
/* The STAGED pass 2 as the batch-wide pixel GEMM with 128 (CUDA_TEST_GEMM)
 * or 64 (CUDA_TEST_GEMM64) rows per CTA; zsplit column splits, raised to
 * what the GEMM takes. */
#define CUDA_TEST_GEMM 128
#define CUDA_TEST_GEMM64 256
/* both: 96 rows per CTA (the per-tile bulk-copy GEMM only: with CUDA_TEST_BULK) */
#define CUDA_TEST_GEMM96 (CUDA_TEST_GEMM | CUDA_TEST_GEMM64)
#define CUDA_TEST_ROWS 512 /* the two-rows-per-thread depthwise conv (dwrows) */
/* The tile kernel's launches planned with chunks of cc (16, 32, 64, 128)
 * expanded channels instead of the planner's choice (not with CLUSTER). */
#define CUDA_TEST_CC(cc) ((cc) << 10)
/* With CUDA_TEST_GEMM / GEMM64: the K split over a cluster of ks (2..8) CTAs
 * (lowered to what K takes), and the SE MLP inside the GEMM (no SE kernel;
 * the split is raised until its shared memory fits). */
#define CUDA_TEST_KSPLIT(ks) ((ks) << 18)
#define CUDA_TEST_SEFUSE (1 << 22)
/* With CUDA_TEST_GEMM / GEMM64 (no K split or sefuse): the streaming GEMM
 * with at most s (1..15) persistent CTAs per column split, so that each
 * walks many row tiles. */
#define CUDA_TEST_STREAM(s) ((s) << 23)
/* PASS1 as dw_direct.cu's kernel (blocks without expansion; an error where
 * cuda_mbconv_dwdirect_ok() refuses the plan's PASS1). */
#define CUDA_TEST_DWDIRECT (1 << 27)
/* The depthwise conv in 2 x 2 output blocks per thread (dwrows = 2); an error
 * where cuda_mbconv_dwquads_ok() refuses the plan's PASS1, else as
 * CUDA_TEST_ROWS where it does not apply. */
#define CUDA_TEST_QUADS (1 << 28)
/* With CUDA_TEST_GEMM / GEMM64 (no K split or sefuse): the GEMM fed by bulk
 * tensor copies (cuda_mbconv_args.bulk), per tile, or with CUDA_TEST_STREAM
 * the streaming one. */
#define CUDA_TEST_BULK (1 << 29)
/* The stem planned as if the device had one multiprocessor: its band kernel
 * (K = 3, CoutP 32 / 48 / 64) with the most rows per CTA at any batch. */
#define CUDA_TEST_STEMBAND (1 << 30)
/* The depthwise conv with 8 channels per thread (dwrows = 3); an error where
 * cuda_mbconv_dwvec_ok() refuses the plan's PASS1. */
#define CUDA_TEST_DWVEC (1LL << 31)
/* The SE MLP after PASS1 batched over images (se_batch.cu) whatever the batch;
 * without it the tests' PASS1s run the per-image SE kernel. */
#define CUDA_TEST_SEBATCH (1LL << 32)
/* With CUDA_TEST_DWVEC: dw_run with runs of r (2, 4, 7) pixels per thread;
 * an error where cuda_mbconv_dwrun_ok() refuses it. */
#define CUDA_TEST_DWRUN(r) ((long long)(r) << 33)
/* PASS1's depthwise conv in strips of 7 pixels by ny (1, 2) rows per thread
 * (dwrows = 3 + ny; with CUDA_TEST_DWH2), on a tile of 3 (ny 1) or 4 rows by
 * 14 pixels (7 where the output is 7 wide or less), the planner's tile
 * replaced; an error where cuda_mbconv_dwstrips_ok() refuses it. */
#define CUDA_TEST_STRIPS(ny) ((long long)(ny) << 36)
/* PASS1 (and a recomputing pass 2) on tiles of 16 whole output rows (with
 * CUDA_TEST_DWDIRECT: each thread walks several strips), the planner's
 * tiles replaced. */
#define CUDA_TEST_ROWTILE (1LL << 38)
/* With CUDA_TEST_GEMM / GEMM64 (no K split, sefuse or bulk copies): the GEMM
 * on sm_90a's warpgroup MMAs (cuda_mbconv_args.wg; with CUDA_TEST_STREAM(s)
 * at most s persistent CTAs per column split); an error where it does not
 * run. On a head block: its GEMM on warpgroup MMAs (cuda_head_args.wg). */
#define CUDA_TEST_WG (1LL << 39)
/* With CUDA_TEST_GEMM / GEMM64: the narrow GEMM (cuda_mbconv_args.narrow: K
 * of 32, 64 or 96, N of 16 or 32); an error where it does not apply. */
#define CUDA_TEST_NARROW (1LL << 40)
/* PASS1 as mbconv_wg.cu's kernel (cuda_mbconv_args.wgx: the image as its tile,
 * chunks of 64 channels; zsplit > 0 splits them); an error where it does not
 * apply or the device runs no sm_90a kernels. */
#define CUDA_TEST_WGX (1LL << 41)
/* The SE MLP after PASS1 on tensor cores (se_mma.cu) whatever the batch. */
#define CUDA_TEST_SEMMA (1LL << 42)
/* The tile kernel's expand with fp32 accumulators wherever it runs
 * (cuda_mbconv_args.f32exp; without it PASS1 with CUDA_TEST_DWVEC takes fp16
 * ones on a swish block of CinP <= 32). */
#define CUDA_TEST_F32EXP (1LL << 43)
int cuda_block_test_run(const model_block *b, const float mean[3], const float std[3], int n,
                        const void *in, float *out, long long staged, int zsplit, int device,
                        char *err, size_t errlen);

/* Device time of the batch bucket's captured graph (H2D of the images,
 * every kernel, D2H of the logits), median of `iters` replays; with
 * kernels_only, of a graph of the same kernels without the two copies
 * (captured on first use), which is what a framework timed on device
 * tensors measures. */
int cuda_backend_graph_time(void *self, int batch, int iters, int kernels_only, double *seconds,
                            char *err, size_t errlen);

/* Throughput of n instances on one device (the daemon's executors: each its
 * own stream, staging and buffers) replaying their bucket's graph for
 * `batch` concurrently, `iters` replays each launched round-robin without
 * waiting, so that one's copies and kernels overlap the others': *seconds
 * is the median round's device time divided by n * iters, i.e. the time
 * per batch at that concurrency. kernels_only as above. n is 1 to 8. */
int cuda_backend_concurrent_time(void *const *selves, int n, int batch, int iters, int kernels_only,
                                 double *seconds, char *err, size_t errlen);

/* The instance's pinned image staging (max_batch images, NHWC uint8).
 * A caller that decodes straight into it and passes it to run() skips the
 * host copy (at batch 256 that copy is ~6 ms of ~18). Valid until destroy;
 * owned by the backend; not to be written while a run() is in flight. */
uint8_t *cuda_backend_staging(void *self);

/* One line per block describing the plan at `batch` (tiles, chunk, SE
 * variant); returns the length written, as snprintf. */
int cuda_backend_describe(void *self, int batch, char *buf, size_t len);

/* Opens (on != 0) or closes the profiler's capture window, for
 * `ncu --profile-from-start off`; 0 or -ENOTSUP without CUDA. */
int cuda_profiler_window(int on);

#endif
