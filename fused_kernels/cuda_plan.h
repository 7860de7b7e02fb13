/* The launch planner: picks each fused kernel's tile (TH x TW output pixels,
 * CC expanded channels per chunk) from the block's shapes, the batch and the
 * device's properties, under the kernel's shared-memory and register limits.
 * Nothing in it is specific to an EfficientNet layer. Pure C, no CUDA calls. */
#ifndef BLOCKFUSE_FUSED_KERNELS_CUDA_PLAN_H
#define BLOCKFUSE_FUSED_KERNELS_CUDA_PLAN_H

#include "fused_kernels/cuda_kernels.h"

typedef struct {
  int sms;            /* multiprocessors */
  int clock_khz;      /* SM clock */
  size_t smem_optin;  /* most dynamic shared memory one CTA may ask for */
  size_t smem_per_sm; /* shared memory per multiprocessor */
  int regs_per_sm;    /* 32-bit registers per multiprocessor */
  int regs_nf[5];     /* registers per thread of the MBConv kernel, NF = 1,2,4,8,16 */
  double peak_flops;  /* measured (or configured) tensor-core FLOP/s */
  double peak_bw;     /* measured (or configured) DRAM bytes/s */
  int bulk;           /* the bulk-copy pass-2 GEMM runs here (cuda_pg_bulk_supported) */
  int wg;             /* the warpgroup-MMA pass-2 GEMM runs here (cuda_pg_wg_supported) */
} cuda_device_caps;

/* Fills a->TH, TW, CC, zsplit, tiles_x, tiles_y for a->mode at `batch` images,
 * minimising the modelled time (per-tile cost from FLOPs, bytes and sync
 * overhead, times the number of waves over the device). Every other field of
 * `a` that describes shapes must be set. smem_cap (0 = the device's limit)
 * bounds the shared memory per CTA, so that callers can trade tile size for
 * occupancy and time the candidates. Returns 0, or -ENOSPC if no tile
 * fits (message in err). */
int cuda_plan_mbconv(cuda_mbconv_args *a, int batch, const cuda_device_caps *caps, size_t smem_cap,
                     char *err, size_t errlen);

/* cuda_plan_mbconv with the channel chunk fixed to cc (16, 32, 64 or 128;
 * 0 = any): the tuner times the best tile of every chunk width, since the
 * cost model ranks them least reliably. */
int cuda_plan_mbconv_cc(cuda_mbconv_args *a, int batch, const cuda_device_caps *caps,
                        size_t smem_cap, int cc, char *err, size_t errlen);

/* Plans the one-pass CLUSTER mode (Ho * Wo <= 256) with `cl` CTAs per image
 * and chunks of `cc` expanded channels: the whole image is the tile, and the
 * projection's row/column split (a->clr) is the one with the fewest output
 * tiles per CTA, then the least operand traffic. Returns 0, or -ENOSPC where
 * the mode does not apply or does not fit smem_cap (0 = the device's limit). */
int cuda_plan_mbconv_cluster(cuda_mbconv_args *a, int cl, int cc, const cuda_device_caps *caps,
                             size_t smem_cap, char *err, size_t errlen);

/* The launches the tuner times for the STAGED pass 2 as the batch-wide
 * GEMM (pixel_gemm.cu), from `tiled` (the STAGED launch's shapes) at
 * `batch` images: 64 and 128 rows per CTA, each with the fewest column
 * splits of <= 128 columns and twice as many; where those leave
 * multiprocessors idle (and `split` allows it) also with the K split over
 * clusters of 2, 4 and 8 CTAs, and then also 4x and one column tile per
 * CTA; where there are at least two row tiles per multiprocessor, the
 * first two column splits also as the streaming GEMM (stream =
 * CUDA_PG_STREAM_FILL, not with sefuse). sefuse sets the flag of that name
 * on every candidate. Only valid
 * launches that fit caps->smem_optin; writes up to `max` to c and returns
 * how many. */
#define CUDA_GATE_PROJ_CANDS 64
int cuda_plan_gate_proj_cands(const cuda_mbconv_args *tiled, int batch,
                              const cuda_device_caps *caps, int sefuse, int split,
                              cuda_mbconv_args *c, int max);

/* The modelled cycles of one launch with the tile already in `a` (exposed for
 * the tests and the docs' napkin math). */
double cuda_plan_cost(const cuda_mbconv_args *a, int batch, const cuda_device_caps *caps);

/* The launches a pixel-tile block (cuda_px_args: convfirst, convnext,
 * downsample, the stem with a LayerNorm) may take at `batch` images, best
 * guess first. Output splits of 32 nt columns (nt 2, 3, 4, 6, 8, or 12 in
 * the MLP): for each number of splits the nt that wastes the fewest padded
 * columns, the fewest splits first, three of them; each with chunks of 64
 * then 32 expanded channels (MLP), where nt <= 6 also as the row-warp
 * kernel (rw) and, where caps->wg, as the warpgroup-MMA kernels: the
 * column-split one (wg 3, nt 6, 8 or 12), then 2 and 1 consumer warpgroups
 * (nt <= 6); only those within caps->smem_optin. The
 * stem's LayerNorm needs all its outputs in one CTA: one split only. Where
 * those leave multiprocessors idle, the first two and the first wg one also
 * with the expanded chunks (MLP) or the K chunks (CONV, not the LayerNorm
 * stem) split 2, 4, 8, 16 or 32 ways (hs; at most two CTAs per
 * multiprocessor). Writes up to `max` into copies of `a` and returns how
 * many (0: none fits). */
#define CUDA_PX_CANDS 32
int cuda_plan_px_cands(const cuda_px_args *a, int batch, const cuda_device_caps *caps,
                       cuda_px_args *c, int max);

/* Whether a network's first L blocks can run piece by piece under the image
 * copy (cuda_backend.c: each piece of the batch through them, the rest on the
 * whole batch). Block i writes activation buffer i % 2 at its images'
 * offset, out_elems[i] elements per image. A piece's shares start where the
 * piece before ends at the same block's width, so a piece's block writes into
 * an earlier piece's live share wherever that share is wider per image.
 * - One lane (the pieces one after another): block L - 1's outputs must
 *   outlive the later pieces, so no block before it that writes the same
 *   buffer may have fewer elements per image.
 * - Two lanes (a wavefront: a piece's block i waits for the piece before's
 *   block i, so that the latter may be at any later block meanwhile): no
 *   block may have more elements per image than the one two before it. */
int cuda_pieces_keep(const int *out_elems, int L, int lanes);

#endif
