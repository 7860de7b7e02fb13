/* The fused-block kernels' C interface: argument structs and extern "C"
 * launchers implemented in *.cu. Host code (the backend, the planner, tests)
 * is plain C; only the kernels are CUDA C++.
 *
 * Layouts (device): activations NHWC fp16 with the channel stride rounded up
 * to 16 (CP = cuda_pad16(C)); padded channels hold zeros. Matrices fp16
 * row-major [K][N] with both dimensions padded to 16 and zero-filled; biases
 * and per-channel scales fp32 padded to 16. Depthwise weights fp16 [K*K][CP].
 * Pointers typed void* here are fp16 (__half) on the device. */
#ifndef BLOCKFUSE_FUSED_KERNELS_CUDA_KERNELS_H
#define BLOCKFUSE_FUSED_KERNELS_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct CUstream_st *cuda_stream_t; /* = cudaStream_t */

/* Inline helpers below are shared by the host planner and the kernels. */
#ifdef __CUDACC__
#define CUDA_HD __host__ __device__
#else
#define CUDA_HD
#endif

#define CUDA_THREADS 256 /* threads per CTA of every tensor-core kernel: 8 warps */
#define CUDA_WARPS 8
#define CUDA_MAX_NF 16 /* most 16x16 accumulator tiles one warp may hold */

static inline CUDA_HD int cuda_pad16(int c) {
  return (c + 15) & ~15;
}

/* MBConv kernel modes (see mbconv.cu). */
enum {
  CUDA_MB_FUSED = 0,  /* expand -> dw -> project (+res): the whole block, one pass */
  CUDA_MB_PASS1 = 1,  /* expand -> dw -> per-tile channel sums [+ stage dw out]; then a
                         small kernel finishes the SE MLP and writes scale[n][c] */
  CUDA_MB_RECOMP = 2, /* pass 2, recomputing: expand -> dw -> *scale -> project (+res) */
  CUDA_MB_STAGED = 3, /* pass 2, staged: stage * scale -> project (+res) */
  CUDA_MB_CLUSTER = 4 /* the whole block in one pass for images of <= 256 output pixels: a
                         cluster of `cl` CTAs per image splits the expanded channels, finishes
                         squeeze-excite through distributed shared memory and splits the
                         projection's output tiles (mbconv_cluster.cu) */
};

typedef struct {
  const void *x;   /* [N][H][W][CinP] */
  void *y;         /* [N][Ho][Wo][CoutP] */
  const void *res; /* residual, layout of y, or NULL */
  const void *w_exp;
  const float *b_exp; /* [CinP][CmidP], NULL when has_expand == 0; both halved where act is
                         swish (the GEMM gives x / 2 for swish_h2_halved) */
  const void *w_dw;
  const float *b_dw; /* [K*K][CmidP] */
  const void *w_proj;
  const float *b_proj; /* [CmidP][CoutP] */
  const void *w_ser;
  const float *b_ser; /* SE reduce [CmidP][round8(se_c)], bias [pad16(se_c)] */
  const void *w_see;
  const float *b_see; /* SE expand [se_c][CmidP] */
  void *stage;        /* [N][Ho][Wo][CmidP]: dw output, PASS1 writes (if non-NULL), STAGED reads */
  float *sums;        /* [N][tiles][CmidP] per-tile channel sums (PASS1) */
  float *scale;       /* [N][CmidP] SE gate, written after PASS1, read by RECOMP / STAGED */
  int H, W, Cin, Cmid, Cout, Ho, Wo;
  int CinP, CmidP, CoutP;
  int K, S, pad_t, pad_l, se_c;
  int act, se_act, has_expand, mode;
  int TH, TW, CC; /* output tile, channel chunk of the expanded width */
  int tiles_x, tiles_y;
  int zsplit;   /* grid.z: PASS1 splits the chunks of Cmid, the others the columns of Cout */
  int lowreg;   /* 1: the instantiation capped at 64 registers (4 CTAs of 256 threads per SM,
                   some spills); only where cuda_mbconv_nf() == 1. The tuner times both. */
  int dwh2;     /* 1: depthwise taps as packed fp16 FMAs (HFMA2) into an fp16 accumulator
                   (k = 3 and 5); the tuner keeps it where it is faster */
  int dwrows;   /* 1: the depthwise conv with two output rows per thread (dw_pairs in
                   mbconv_parts.cuh) where cuda_mbconv_dwrows_ok(); 2: blocks of two rows by
                   two columns where cuda_mbconv_dwquads_ok() (else as 1); 3: 8 channels
                   per thread where cuda_mbconv_dwvec_ok() (else as 1); 4 and 5: strips of
                   7 pixels by one or two rows where cuda_mbconv_dwstrips_ok() (else as 1);
                   the tuner times each */
  int dwrun;    /* with dwrows = 3: 0 = dw_vec (one pixel per thread), else dw_run with runs
                   of that many pixels of a row per thread (2, 4 or 7) where
                   cuda_mbconv_dwrun_ok(); the tuner times them */
  int dwdirect; /* PASS1 without expansion: 1 = dw_direct.cu's kernel (the depthwise conv
                   straight from global memory, 8 channels x 4 output rows per thread) where
                   cuda_mbconv_dwdirect_ok(); the recomputing pass 2 of such a block: 1 =
                   the same strips, then the projection (dw_proj_kernel); the tuner times
                   both */
  int wgx;      /* PASS1: 1 = mbconv_wg.cu's kernel (an image per CTA, the expand on sm_90a's
                   warpgroup MMAs in one or two warpgroups beside a depthwise warp per output
                   row, zsplit splitting the chunks of 64 channels; cuda_mbconv_wgx_set) where
                   cuda_mbconv_wgx_ok(); the tuner times it beside the tile kernel */
  int f32exp;   /* 1: the tile kernel's expand accumulates in fp32 wherever it runs; 0: in fp16
                   pairs in PASS1's dw_vec builds for swish blocks of CinP <= 32
                   (expand_chunk in mbconv_parts.cuh; BLOCKFUSE_CUDA_H16EXP=0 sets 1 for
                   every block, an A/B switch) */
  int se_g;     /* PASS1: CTAs per image of the SE kernel after it; 0 = automatic */
  int se_batch; /* PASS1: the SE MLP after it: 1 = batched over images (se_batch.cu) at any
                   batch, 2 = on tensor cores (se_mma.cu) at any batch (tests); 0 = the
                   launcher's rule (cuda_se_mma_ok(), cuda_se_batch_ok()); -1 = per image */
  int wide;     /* 2 x CUDA_THREADS threads per CTA (16 warps; cuda_mbconv_nf() <= 4, not
                   lowreg), for tiles whose shared memory leaves room for one CTA per SM:
                   twice the warps to hide latency; the tuner times both */
  int cl;       /* CLUSTER: CTAs per image (1..8), the thread-block cluster's size */
  int clr;      /* CLUSTER: row groups of the projection (divides cl); cl / clr column groups */
  int gemm;     /* STAGED: 0 = the image-tile kernel above; 64 or 128 = the batch-wide GEMM
                   (pixel_gemm.cu) with that many pixel rows per CTA, the pixels of all images
                   as rows and zsplit column splits of <= 128 columns each; the tile fields
                   are then unused. The tuner times both. */
  int ksplit;   /* STAGED gemm: the expanded channels (K) split over a thread-block cluster of
                   ksplit CTAs (grid.z, 1..8) whose fp32 partial tiles are summed through
                   distributed shared memory (small batches: fewer K slices per CTA); 0 = 1 */
  int sefuse;   /* STAGED gemm: its CTAs compute the SE gates of their rows' images for their
                   K range themselves (the reduce FC split over the cluster), so the PASS1
                   before it launches no SE kernel (cuda_blk_enqueue passes the flag on) */
  int stream;   /* STAGED gemm without a K split or sefuse: 0 = a CTA per row tile; > 0 =
                   persistent CTAs, at most `stream` per column split and no more than fit on
                   the device at once, each walking the row tiles blockIdx.x, + gridDim.x, ...
                   with one cp.async pipeline running across its tiles, the weights resident
                   in shared memory where cuda_pg_stream_bres(); the tuner times both */
  int bulk;     /* STAGED gemm without a K split or sefuse: 1 = fed by sm_90 bulk copies, its
                   gates applied to the A fragments in the registers: per tile
                   (pixel_gemm_bulk_kernel) where cuda_pg_bulk_ok(), or with stream > 0
                   streaming (pixel_gemm_bulks_kernel) where cuda_pg_bulks_ok(); the tuner
                   times every form */
  int wg;       /* STAGED gemm without a K split, sefuse or bulk, 64 or 128 rows: 1 = on
                   sm_90a's warpgroup MMAs (pixel_gemm_wg.cu; up to 256 columns per CTA, 192
                   at 128 rows), persistent CTAs (at most `stream` per column split where
                   > 0) where cuda_pg_wg_ok(); the tuner times it beside the others */
  int narrow;   /* STAGED gemm without a K split, sefuse, streaming, bulk copies, warpgroup
                   MMAs or a column split: 1 = the narrow GEMM (pixel_gemm_narrow.cu: every
                   operand in the registers, each warp a run of 16-row tiles) where
                   cuda_pg_narrow_ok(); the tuner times it beside the others */
  int se_tiles; /* STAGED gemm with sefuse: PASS1's tiles per image, the rows of its sums
                   (set at launch) */
  int sms, smem_optin; /* the device's multiprocessors and opt-in shared memory per block
                          (cuda_blk_prepare): the SE launcher's choice of its PRE variant */
  int smem_per_sm;     /* and per multiprocessor: the 8-warp PASS1 builds' register cap (80
                          where 3 CTAs fit, else 128) */
} cuda_mbconv_args;

/* The SE reduce weights' row length round8(se_c): Wr is [Cmid][round8(se_c)]
 * fp16, so a row is whole 16-byte pieces. */
static inline CUDA_HD int cuda_se_sep(const cuda_mbconv_args *a) {
  return (a->se_c + 7) & ~7;
}

/* Dynamic shared memory of the SE kernel after PASS1: the channel means,
 * the reduce FC's partial sums (256 threads x 8 columns, or one row of
 * round8(se_c)) and its output (floats). */
static inline size_t cuda_se_smem(const cuda_mbconv_args *a) {
  const int sep = cuda_se_sep(a);
  return (size_t)(a->CmidP + (sep > 2048 ? sep : 2048) + sep) * 4;
}

/* The SE kernel's grid after PASS1 for n images: *g CTAs per image and *cpb
 * gate channels per CTA. CUDA_SE_CPB (4 threads per gate) while the grid
 * stays under 256 CTAs, where the kernel is a chain of L2 round trips; else
 * 256 (a thread per gate pair, coalesced weight loads), one CTA per 256 channels
 * while that leaves the GPU under ~8 waves of small CTAs, past it one CTA
 * per image (the reduce FC is then done once). a->se_g > 0 caps *g. */
#define CUDA_SE_CPB 64
static inline void cuda_se_grid(const cuda_mbconv_args *a, int n, int *g, int *cpb) {
  const int gq = (a->CmidP + CUDA_SE_CPB - 1) / CUDA_SE_CPB, gfull = (a->CmidP + 255) / 256;
  *cpb = (long long)n * gq <= 256 ? CUDA_SE_CPB : 256;
  const int gmax = *cpb == CUDA_SE_CPB ? gq : gfull;
  *g = a->se_g > 0 ? (a->se_g < gmax ? a->se_g : gmax) : (long long)n * gmax <= 1024 ? gmax : 1;
}

/* ... and of its PRE variant, which also holds the reduce weights (Cmid rows
 * of round8(se_c) fp16), the image's per-tile sums and its CTA's
 * CUDA_SE_CPB columns of the expand weights. */
static inline size_t cuda_se_smem_pre(const cuda_mbconv_args *a) {
  const int sep = cuda_se_sep(a);
  return cuda_se_smem(a) + (size_t)a->Cmid * sep * 2 +
         (size_t)a->tiles_x * a->tiles_y * a->CmidP * 4 + (size_t)a->se_c * CUDA_SE_CPB * 2;
}

/* Whether the SE kernel's grid (g per image, cpb from cuda_se_grid) takes
 * the PRE variant (its shared memory permitting): one CTA per chunk of
 * CUDA_SE_CPB gates, all in one wave on `sms` multiprocessors (every CTA
 * copies the image's sums and the reduce weights, so later waves would
 * repeat the copies after the first wave's). */
static inline int cuda_se_pre_ok(const cuda_mbconv_args *a, int n, int g, int cpb, int sms) {
  return cpb == CUDA_SE_CPB && (long long)g * CUDA_SE_CPB >= a->CmidP && (long long)n * g <= sms;
}

/* The SE MLP after PASS1 batched over images (se_batch.cu): a CTA takes
 * CUDA_SEB_IMG images, so it reads the SE weights once for all of them. The
 * per-image kernel reads both FCs' weights once per image: at batch 256 a
 * 1152-channel block's SE kernel reads 56 MB of weights from L2, which holds
 * it at ~14 us. *g CTAs split the expand FC's channel pairs (each repeats the
 * reduce FC of its images), about one CTA per SM in all, at most one per 128
 * channels. Taken where it won on an H200 (bench/RESULTS.md, seventeenth
 * session): at 256 images or more, on blocks whose two FCs' weights are at
 * least 64 KB (Cmid x se_c >= 16384: EfficientNet-B0's stack4.block1 on;
 * it lost ~1 us a block on the 480 x 20 ones, and at batch 64, where the
 * per-image kernel runs 5 CTAs per image, ~3 us on the 1152 x 48 ones) and
 * whose images have no more tiles than se_c (the per-tile sums would
 * outweigh the weights); and where its shared memory fits: the reduce weights (Cmid rows of
 * round8(se_c) fp16) and the CTA's columns of the expand weights, both copied
 * before the wait for PASS1, the group's channel means [IMG][CmidP], the
 * reduce FC's partial sums [S][IMG][round8(se_c)] (S splits of the channels:
 * 8 warps over round8(se_c) / 8 column groups) and its output [se_c][IMG]. */
#define CUDA_SEB_IMG 8
static inline CUDA_HD int cuda_se_batch_splits(const cuda_mbconv_args *a) {
  const int J = cuda_se_sep(a) / 8;
  return J >= CUDA_WARPS || J < 1 ? 1 : CUDA_WARPS / J;
}
static inline void cuda_se_batch_grid(const cuda_mbconv_args *a, int n, int *groups, int *g) {
  const int sms = a->sms > 0 ? a->sms : 132, gmax = a->CmidP >= 256 ? a->CmidP / 128 : 1;
  *groups = (n + CUDA_SEB_IMG - 1) / CUDA_SEB_IMG;
  *g = sms / *groups;
  if (*g > gmax) *g = gmax;
  if (*g < 1) *g = 1;
}
/* Channel pairs per CTA for g CTAs per group: a multiple of 4 (16-byte rows). */
static inline CUDA_HD int cuda_se_batch_per(const cuda_mbconv_args *a, int g) {
  const int P = a->CmidP / 2, per = (P + g - 1) / g;
  return (per + 3) & ~3;
}
static inline CUDA_HD size_t cuda_se_batch_smem(const cuda_mbconv_args *a, int g) {
  const size_t sep = (size_t)cuda_se_sep(a), img = CUDA_SEB_IMG;
  return img * ((size_t)a->CmidP + (size_t)cuda_se_batch_splits(a) * sep + (size_t)a->se_c) * 4 +
         (size_t)a->Cmid * sep * 2 + (size_t)a->se_c * 2 * (size_t)cuda_se_batch_per(a, g) * 2;
}
static inline int cuda_se_batch_ok(const cuda_mbconv_args *a, int n) {
  return n >= 32 * CUDA_SEB_IMG && (long long)a->Cmid * a->se_c >= 16384 &&
         a->se_c >= a->tiles_x * a->tiles_y;
}

/* The SE MLP after PASS1 on tensor cores (se_mma.cu): a CTA of
 * CUDA_SEM_THREADS threads takes CUDA_SEM_IMG images (the MMAs' 16 rows) and
 * a slice of cs expanded channels, a multiple of 16; the g CTAs of a group of images form a
 * thread-block cluster (g <= 8) and add their parts of the reduce FC through
 * distributed shared memory. g splits the CmidP / 16 channel tiles into at
 * most 8 slices of equal width, the last one possibly narrower. */
#define CUDA_SEM_IMG 16
#define CUDA_SEM_THREADS 512
static inline CUDA_HD int cuda_se_mma_cs(const cuda_mbconv_args *a, int g) {
  const int units = a->CmidP / 16;
  return 16 * ((units + g - 1) / g);
}
static inline void cuda_se_mma_grid(const cuda_mbconv_args *a, int n, int *groups, int *g) {
  const int units = a->CmidP / 16, per = (units + 7) / 8;
  *groups = (n + CUDA_SEM_IMG - 1) / CUDA_SEM_IMG;
  *g = (units + per - 1) / per;
}
/* Its shared memory, byte offsets (16-byte aligned): the means as hi and lo
 * fp16 terms [2][IMG][cs + 8], the CTA's rows of Wr [cs][sep + 8], its
 * columns of We [seK][cs + 8] (seK = pad16(se_c), zero rows past se_c), the
 * reduce FC's partial sums over ks ranges of the k16 steps [ks][IMG][sep]
 * and their sum [IMG][sep] (fp32; the cluster reads it), r as hi and lo
 * [2][IMG][seK + 8]. */
typedef struct {
  int cs, seK, ks;
  int mean, wr, we, kpart, part, r, bytes;
} cuda_se_mma_layout;
static inline CUDA_HD void cuda_se_mma_layout_of(const cuda_mbconv_args *a, int g,
                                                 cuda_se_mma_layout *L) {
  const int sep = cuda_se_sep(a), img = CUDA_SEM_IMG, nt = sep / 8;
  L->cs = cuda_se_mma_cs(a, g);
  L->seK = cuda_pad16(a->se_c);
  /* ~2 (column tile, k range) items per warp */
  L->ks = (2 * CUDA_SEM_THREADS / 32 + nt - 1) / nt;
  if (L->ks > L->cs / 16) L->ks = L->cs / 16;
  L->mean = 0;
  L->wr = L->mean + 2 * img * (L->cs + 8) * 2;
  L->we = L->wr + L->cs * (sep + 8) * 2;
  L->kpart = L->we + L->seK * (L->cs + 8) * 2;
  L->part = L->kpart + L->ks * img * sep * 4;
  L->r = L->part + img * sep * 4;
  L->bytes = L->r + 2 * img * (L->seK + 8) * 2;
}
static inline size_t cuda_se_mma_smem(const cuda_mbconv_args *a, int g) {
  cuda_se_mma_layout L;
  cuda_se_mma_layout_of(a, g, &L);
  return (size_t)L.bytes;
}

/* Whether the SE launch after PASS1 takes se_mma.cu's kernel for n images
 * (its shared memory permitting): where it beat the per-image and batched
 * fp32 kernels on an H200 (bench/RESULTS.md, thirty-eighth session): the
 * blocks whose FCs have 1152 x 48 weights each (EfficientNet-B0's 7x7 ones)
 * from batch 8 on (-3.5 to -5 us a block at 8 and 64, -3.5 at 256), and
 * from 64 on those down to 480 x 20 (-1 to -3.5 us a block); on the
 * smaller blocks, at batch 8 on all but the largest and at batch 1 it lost
 * up to 4.5 us. */
static inline int cuda_se_mma_ok(const cuda_mbconv_args *a, int n) {
  const long long w = (long long)a->Cmid * a->se_c;
  return a->se_c <= 256 && ((n >= 8 && w >= 49152) || (n >= 64 && w >= 9600));
}

/* Warps per CTA of the (non-cluster) MBConv kernel. */
static inline int cuda_mbconv_warps(const cuda_mbconv_args *a) {
  return a->wide ? 2 * CUDA_WARPS : CUDA_WARPS;
}

/* Whether z splits of `units` (channel chunks, column tiles) in runs of
 * ceil(units / z) give every split some: the rule every grid split keeps. */
static inline CUDA_HD int cuda_split_ok(int units, int z) {
  return z >= 1 && (z - 1) * ((units + z - 1) / z) < units;
}

/* Splits of the launch's third grid dimension (at least 1). */
static inline int cuda_mbconv_z(const cuda_mbconv_args *a) {
  return a->zsplit > 1 ? a->zsplit : 1;
}

/* 16-wide output column tiles one CTA projects (modes with a projection). */
static inline int cuda_mbconv_nctz(const cuda_mbconv_args *a) {
  const int nct = a->CoutP / 16, z = cuda_mbconv_z(a);
  return (nct + z - 1) / z;
}

/* The batch-wide STAGED GEMM (a->gemm): 16-wide output column tiles per
 * CTA (= m16n8 tiles per warp, 1..8), and the K split (cluster size). */
static inline int cuda_gate_proj_nt8(const cuda_mbconv_args *a) {
  return cuda_mbconv_nctz(a);
}
static inline CUDA_HD int cuda_gate_proj_ks(const cuda_mbconv_args *a) {
  return a->ksplit > 1 ? a->ksplit : 1;
}

/* The pixel GEMM's pipeline: 4 stages of a bm x 32 A slice and a 32 x 16 nt8
 * B slice, rows padded by 8 halves; with a K split over ks > 1 CTAs the fp32
 * partial tile (bm x (16 nt8 + 8) floats) reuses it once the loop is done. */
static inline CUDA_HD size_t cuda_pg_main_bytes(int bm, int nt8, int ks) {
  const size_t bn = (size_t)nt8 * 16, pipe = 4 * ((size_t)bm * (32 + 8) + 32 * (bn + 8)) * 2;
  const size_t part = ks > 1 ? (size_t)bm * (bn + 8) * 4 : 0;
  return pipe > part ? pipe : part;
}

/* The most images a pixel-GEMM tile of bm rows of hw pixels can span (its
 * rows may start anywhere in an image): the images whose gates or SE sums a
 * CTA holds. */
static inline CUDA_HD int cuda_pg_gate_imgs(int bm, int hw) {
  return (bm - 1 + hw - 1) / hw + 1;
}

/* sefuse: the shared memory a GEMM CTA holds for the SE MLP of its rows'
 * images over its K range of kr channels (byte offsets from the region's
 * start): the reduce weights' rows [kr][sep] and the expand weights'
 * columns [se_c][kr] (fp16), the gates [nimg][kr] (first the channel
 * means), this CTA's part of the reduce FC and the whole one [nimg][sep]
 * (fp32). nimg = the most images a tile of bm rows of hw pixels spans. */
#define CUDA_PG_SE_IMGS 4
typedef struct {
  size_t wr, we, gate, rpart, r, total;
  int kr, sep, nimg;
} cuda_pg_se_layout;
static inline CUDA_HD void cuda_pg_se_layout_of(int K, int ks, int se_c, int bm, int hw,
                                                cuda_pg_se_layout *L) {
  const int kt = (K + 31) / 32;
  size_t o = 0;
  L->kr = (kt + ks - 1) / ks * 32;
  L->sep = (se_c + 7) & ~7;
  L->nimg = cuda_pg_gate_imgs(bm, hw);
  L->wr = o, o += (size_t)L->kr * L->sep * 2;
  L->we = o, o += (size_t)se_c * L->kr * 2;
  L->gate = o, o += (size_t)L->nimg * L->kr * 4;
  L->rpart = o, o += (size_t)L->nimg * L->sep * 4;
  L->r = o, o += (size_t)L->nimg * L->sep * 4;
  L->total = (o + 15) & ~(size_t)15;
}

/* a->stream for as many streaming CTAs as the device holds at once */
#define CUDA_PG_STREAM_FILL (1 << 30)
/* The streaming pixel GEMM (a->stream) keeps the whole K x 16 nt8 weight
 * slab in shared memory (K rounded up to the 32-channel slices, rows padded
 * by 8 halves) where it takes at most 32 KB and nt8 <= 4, instead of a
 * slice of it per pipeline stage reloaded for every row tile. */
static inline CUDA_HD size_t cuda_pg_stream_bres_bytes(int K, int nt8) {
  return (size_t)((K + 31) / 32 * 32) * ((size_t)nt8 * 16 + 8) * 2;
}
static inline CUDA_HD int cuda_pg_stream_bres(int K, int nt8) {
  return nt8 <= 4 && cuda_pg_stream_bres_bytes(K, nt8) <= 32 * 1024;
}
/* Its shared memory: the 4-stage A pipeline, then the resident weights or
 * their 4 stages (the residual is read in the epilogue, not staged). */
static inline CUDA_HD size_t cuda_pg_stream_smem(int bm, int nt8, int K) {
  const size_t a = 4 * (size_t)bm * (32 + 8) * 2;
  return a + (cuda_pg_stream_bres(K, nt8) ? cuda_pg_stream_bres_bytes(K, nt8)
                                          : 4 * 32 * ((size_t)nt8 * 16 + 8) * 2);
}

/* The bulk-copy GEMM (a->bulk): its shared memory is up to 1 KB to align
 * the stages, 4 stages of a bm x 32 A slice and a 32 x 16 nt8 weight slice
 * (unpadded: the copies swizzle them), the fp16 gates over all of K (rounded
 * up to whole 32-channel slices) of every image a tile of bm rows of hw
 * pixels can span, which it takes only up to CUDA_PG_BULK_GATE_MAX bytes, and
 * the 4 mbarriers; no residual tile (the epilogue reads it). */
#define CUDA_PG_BULK_GATE_MAX (24 * 1024)
static inline CUDA_HD size_t cuda_pg_bulk_gate_bytes(int bm, int hw, int K) {
  return (size_t)cuda_pg_gate_imgs(bm, hw) * (size_t)((K + 31) / 32 * 32) * 2;
}
static inline CUDA_HD size_t cuda_pg_bulk_smem(int bm, int nt8, int K, int hw) {
  return 1024 + 4 * ((size_t)bm * 32 + 32 * (size_t)nt8 * 16) * 2 +
         cuda_pg_bulk_gate_bytes(bm, hw, K) + 4 * 8;
}
static inline CUDA_HD int cuda_pg_bulk_ok(int K, int bm, int hw) {
  return K > 0 && K % 16 == 0 && hw > 0 &&
         cuda_pg_bulk_gate_bytes(bm, hw, K) <= CUDA_PG_BULK_GATE_MAX;
}
/* The streaming GEMM fed by bulk copies (a->bulk with a->stream > 0): up to
 * 1 KB to align, the 4 A stages, the whole K x 16 nt8 weight slab (whole
 * 32-channel slices, unpadded), two buffers of the fp16 gates of a tile's
 * images, 5 mbarriers. It takes the next tile's gates one 8-channel group
 * per thread (bm * 2 threads) and keeps at most CUDA_PG_BULKS_W_MAX bytes of
 * weights. */
#define CUDA_PG_BULKS_W_MAX (64 * 1024)
static inline CUDA_HD size_t cuda_pg_bulks_w_bytes(int K, int nt8) {
  return (size_t)((K + 31) / 32 * 32) * (size_t)nt8 * 16 * 2;
}
static inline CUDA_HD size_t cuda_pg_bulks_smem(int bm, int nt8, int K, int hw) {
  return 1024 + 4 * (size_t)bm * 32 * 2 + cuda_pg_bulks_w_bytes(K, nt8) +
         2 * cuda_pg_bulk_gate_bytes(bm, hw, K) + 5 * 8;
}
static inline CUDA_HD int cuda_pg_bulks_ok(int K, int bm, int hw, int nt8) {
  return K > 0 && K % 16 == 0 && hw > 0 &&
         (long long)cuda_pg_gate_imgs(bm, hw) * ((K + 31) / 32 * 4) <= 2LL * bm &&
         cuda_pg_bulks_w_bytes(K, nt8) <= CUDA_PG_BULKS_W_MAX;
}

/* The warpgroup-MMA GEMM (a->wg): 4 stages of a bm x 64 A slice and
 * the 64 x 16 nt8 weight slice in blocks of 64 columns (the last one whole:
 * bulk copies of 64 x 64), both 128-byte swizzled and 1024-byte aligned (up
 * to 1 KB to align them); two buffers of the fp16 gates over K (rounded up
 * to whole 64-channel slices) of every image a tile spans, at most
 * CUDA_PG_WG_GATE_MAX bytes; the bias of its columns (fp32); 2 mbarriers per
 * stage and 4 for the gates.
 * Up to 16 column tiles per CTA of 64 rows, 12 of 128 rows. */
#define CUDA_PG_WG_STAGES 4
#define CUDA_PG_WG_GATE_MAX (48 * 1024)
static inline CUDA_HD size_t cuda_pg_wg_gate_bytes(int bm, int hw, int K) {
  return 2 * (size_t)cuda_pg_gate_imgs(bm, hw) * (size_t)((K + 63) / 64 * 64) * 2;
}
static inline CUDA_HD size_t cuda_pg_wg_stage_bytes(int bm, int nt8) {
  return (size_t)bm * 128 + (size_t)((nt8 * 16 + 63) / 64) * 8192;
}
static inline CUDA_HD size_t cuda_pg_wg_smem(int bm, int nt8, int K, int hw) {
  return 1024 + CUDA_PG_WG_STAGES * cuda_pg_wg_stage_bytes(bm, nt8) +
         cuda_pg_wg_gate_bytes(bm, hw, K) + (size_t)nt8 * 16 * 4 + (2 * CUDA_PG_WG_STAGES + 4) * 8;
}
static inline CUDA_HD int cuda_pg_wg_ok(int K, int bm, int hw, int nt8) {
  return K > 0 && K % 16 == 0 && hw > 0 && (bm == 64 || bm == 128) && nt8 >= 1 &&
         nt8 <= (bm == 64 ? 16 : 12) && cuda_pg_wg_gate_bytes(bm, hw, K) <= CUDA_PG_WG_GATE_MAX;
}

/* The narrow GEMM (a->narrow): K of 32, 64 or 96 expanded channels (CmidP),
 * N of 16 or 32 output columns (CoutP), the whole width in one CTA. */
static inline CUDA_HD int cuda_pg_narrow_ok(int K, int N) {
  return (K == 32 || K == 64 || K == 96) && (N == 16 || N == 32);
}

/* Whether the launch is valid: every column split gets work, at most 8 CTAs
 * per cluster each with a K slice, sefuse only where a tile spans at most
 * CUDA_PG_SE_IMGS images, streaming only without a K split or sefuse, and
 * bulk copies only without either, where cuda_pg_bulk_ok() (per tile) or
 * cuda_pg_bulks_ok() (streaming), warpgroup MMAs only without any of them
 * or bulk copies, where cuda_pg_wg_ok() (up to 16 or 12 column tiles per CTA, 8
 * for the others), the narrow GEMM only without any other form, one column
 * split and gemm = 64 (its warps' tiles are 16 rows whatever gemm says), where
 * cuda_pg_narrow_ok(). Tiles of 64 or 128 rows; 96 only for the per-tile
 * bulk-copy GEMM. */
static inline int cuda_gate_proj_ok(const cuda_mbconv_args *a) {
  const int per = cuda_mbconv_nctz(a), ks = cuda_gate_proj_ks(a);
  if (a->mode != CUDA_MB_STAGED || (a->gemm != 64 && a->gemm != 128 && a->gemm != 96) ||
      (a->gemm == 96 && (!a->bulk || a->stream)) || per < 1 || per > (a->wg ? 16 : 8) ||
      !cuda_split_ok(a->CoutP / 16, cuda_mbconv_z(a)) || ks > 8 || ks > (a->CmidP + 31) / 32)
    return 0;
  if (a->stream < 0 || (a->stream > 0 && (ks > 1 || a->sefuse))) return 0;
  if (a->wg &&
      (a->bulk || ks > 1 || a->sefuse || !cuda_pg_wg_ok(a->CmidP, a->gemm, a->Ho * a->Wo, per)))
    return 0;
  if (a->narrow && (a->bulk || a->wg || a->stream || ks > 1 || a->sefuse || a->gemm != 64 ||
                    cuda_mbconv_z(a) != 1 || !cuda_pg_narrow_ok(a->CmidP, a->CoutP)))
    return 0;
  if (a->bulk && (ks > 1 || a->sefuse ||
                  !(a->stream ? cuda_pg_bulks_ok(a->CmidP, a->gemm, a->Ho * a->Wo, per)
                              : cuda_pg_bulk_ok(a->CmidP, a->gemm, a->Ho * a->Wo))))
    return 0;
  if (!a->sefuse) return 1;
  cuda_pg_se_layout L;
  cuda_pg_se_layout_of(a->CmidP, ks, a->se_c, a->gemm, a->Ho * a->Wo, &L);
  return a->se_c > 0 && L.nimg <= CUDA_PG_SE_IMGS;
}
/* Shared memory of a pixel-GEMM CTA (pixel_gemm.cu) of bm rows, nt8 16-wide
 * column tiles and a K split over ks: the pipeline (cuda_pg_main_bytes), with
 * a residual its bm x 16 nt8 tile (rows padded by 8 halves), then se bytes
 * (sefuse's region, cuda_pg_se_layout). */
static inline CUDA_HD size_t cuda_pixel_gemm_smem(int bm, int nt8, int res, int ks, size_t se) {
  const size_t bn = (size_t)nt8 * 16;
  return cuda_pg_main_bytes(bm, nt8, ks) + (res ? (size_t)bm * (bn + 8) * 2 : 0) + se;
}
/* The STAGED pass 2's gates in the per-tile GEMM without a K split or
 * sefuse: each of the 4 pipeline stages holds the 32 gates (fp32) of its
 * slice for every image a tile can span (cuda_pg_gate_imgs), copied one
 * slice ahead of their use, after the rest of the GEMM's shared memory. */
static inline CUDA_HD size_t cuda_pg_gate_bytes(int bm, int hw) {
  return 4 * (size_t)cuda_pg_gate_imgs(bm, hw) * 32 * 4;
}
static inline size_t cuda_gate_proj_smem(const cuda_mbconv_args *a) {
  if (a->narrow) return 0;
  if (a->wg) return cuda_pg_wg_smem(a->gemm, cuda_gate_proj_nt8(a), a->CmidP, a->Ho * a->Wo);
  if (a->bulk && a->stream > 0)
    return cuda_pg_bulks_smem(a->gemm, cuda_gate_proj_nt8(a), a->CmidP, a->Ho * a->Wo);
  if (a->bulk) return cuda_pg_bulk_smem(a->gemm, cuda_gate_proj_nt8(a), a->CmidP, a->Ho * a->Wo);
  if (a->stream > 0) return cuda_pg_stream_smem(a->gemm, cuda_gate_proj_nt8(a), a->CmidP);
  const int plain = !a->sefuse && cuda_gate_proj_ks(a) == 1;
  const size_t g = plain ? cuda_pg_gate_bytes(a->gemm, a->Ho * a->Wo) : 0;
  cuda_pg_se_layout L = {0};
  if (a->sefuse)
    cuda_pg_se_layout_of(a->CmidP, cuda_gate_proj_ks(a), a->se_c, a->gemm, a->Ho * a->Wo, &L);
  return cuda_pixel_gemm_smem(a->gemm, cuda_gate_proj_nt8(a), a->res != NULL, cuda_gate_proj_ks(a),
                              L.total) +
         g;
}

/* dw_direct.cu's shared memory. PASS1: the channel sums of its rows (the
 * slots of a warp are summed by shuffles, leaving a row per span of
 * cuda_dw_direct_sum_span threads: a warp, or a channel-group span of more
 * than 32 threads, of the CTA's 256). The recomputing pass 2: the tile's
 * gated depthwise outputs, fp16 [TH * TW][CmidP + 8]. */
static inline CUDA_HD int cuda_dw_direct_sum_span(int CmidP) {
  const int ncg = CmidP / 8;
  return ncg > 32 ? ncg : 32;
}
static inline size_t cuda_dw_direct_smem(const cuda_mbconv_args *a) {
  if (a->mode == CUDA_MB_RECOMP) return (size_t)a->TH * a->TW * (size_t)(a->CmidP + 8) * 2;
  return (size_t)(256 / cuda_dw_direct_sum_span(a->CmidP)) * (size_t)a->CmidP * 4;
}

/* Whether dw_direct.cu applies: no expansion, k = 3, stride 1 or 2, no
 * grid.z split, and CmidP / 8 channel groups a power of two that divides
 * 256 (a thread keeps one group); PASS1 by dw_direct_kernel, and the
 * recomputing pass 2 by dw_proj_kernel where CmidP is 16, 32 or 64, CoutP 16
 * or 32 (the projection's B fragments in registers) and the tile's shared
 * memory fits. */
static inline int cuda_mbconv_dwdirect_ok(const cuda_mbconv_args *a) {
  const int ncg = a->CmidP / 8;
  const int ok = !a->has_expand && a->K == 3 && (a->S == 1 || a->S == 2) && a->zsplit <= 1 &&
                 a->CmidP % 8 == 0 && ncg >= 1 && ncg <= 256 && !(ncg & (ncg - 1)) &&
                 a->tiles_x > 0 && a->tiles_y > 0;
  if (a->mode == CUDA_MB_PASS1) return ok;
  return ok && a->mode == CUDA_MB_RECOMP && (a->CmidP == 16 || a->CmidP == 32 || a->CmidP == 64) &&
         (a->CoutP == 16 || a->CoutP == 32) && cuda_dw_direct_smem(a) <= (size_t)a->smem_optin;
}

/* mbconv_wg.cu's PASS1 (cuda_mbconv_args.wgx): the We slices and the input
 * image in shared memory as panels of 64 rows x 64 fp16 columns (the 128-byte
 * swizzle), the depthwise frames with a pixel pitch of 72 halves (64 channels
 * and 16 bytes, so that a warp's stores of 8 pixels fall on distinct banks). */
#define CUDA_WGX_PANEL 8192
#define CUDA_WGX_FP 72
#define CUDA_ACT_SWISH 3 /* MODEL_ACT_SWISH (model/net.h; mbconv_wg.cu asserts it) */

/* Its expand warpgroups for an input image of hw pixels: one per 64-pixel
 * m-tile, at most two (two m-tiles each); its threads: those, and a depthwise
 * warp per output row. */
static inline CUDA_HD int cuda_wgx_ne(int hw) {
  return hw > 64 ? 2 : 1;
}
static inline int cuda_wgx_threads(const cuda_mbconv_args *a) {
  return 128 * cuda_wgx_ne(a->H * a->W) + 32 * a->Ho;
}

/* Its shared memory: 1 KB of alignment slack, the input's KS = CinP / 64
 * panels for each 64-pixel m-tile, two stages of the We slices of a chunk (KS
 * panels each), two frames of the input columns and rows the outputs read
 * ((Ho - 1) S + K by (Wo - 1) S + K pixels), each output row's fp32 channel
 * sums of a chunk ([Ho][64]), four mbarriers, a chunk's depthwise taps
 * ([K * K][64] fp16) and bias (64 fp32). */
static inline size_t cuda_mbconv_wgx_smem(const cuda_mbconv_args *a) {
  const size_t ks = (size_t)(a->CinP + 63) / 64, mt = (size_t)(a->H * a->W + 63) / 64;
  const size_t frame =
      (size_t)((a->Ho - 1) * a->S + a->K) * ((a->Wo - 1) * a->S + a->K) * CUDA_WGX_FP * 2;
  return 1024 + (mt + 2) * ks * CUDA_WGX_PANEL + 2 * frame + (size_t)a->Ho * 64 * 4 + 4 * 8 +
         (size_t)a->K * a->K * 128 + 256;
}

/* PASS1 launch a as mbconv_wg.cu's kernel takes it: the whole image as the
 * tile, chunks of 64 channels split z ways, none of the tile kernel's
 * variants (the tuner, the kernel-test hook and the planner's tests). */
static inline void cuda_mbconv_wgx_set(cuda_mbconv_args *a, int z) {
  a->wgx = 1, a->dwdirect = a->lowreg = a->wide = a->dwrows = a->dwrun = 0;
  a->TH = a->Ho, a->TW = a->Wo, a->tiles_x = a->tiles_y = 1, a->CC = 64, a->zsplit = z;
}

/* Whether mbconv_wg.cu's PASS1 applies to launch a: PASS1 with expansion,
 * swish, k = 3 or 5, the image as the tile, and the kernel's instantiations:
 * stride 1 with the K / 2 padding of a same-size output, H <= 8 rows (a
 * depthwise warp each) by 4 <= W <= 8 columns or H <= 16 by W = 14
 * (EfficientNet's 7x7 and 14x14 stages); or stride 2 to at most 8 output
 * rows of 4 to 8 columns from at most 256 input pixels (four m-tiles;
 * EfficientNet's 14x14 -> 7x7 block). Also CinP <= 256, a split of the
 * chunks of 64 channels that gives every CTA one, and the shared memory
 * within the opt-in limit. The device must run sm_90a's kernels
 * (cuda_pg_wg_supported). */
static inline int cuda_mbconv_wgx_ok(const cuda_mbconv_args *a) {
  const int nch = (a->CmidP + 63) / 64;
  const int s1 = a->S == 1 && a->pad_t == a->K / 2 && a->pad_l == a->K / 2 && a->Ho == a->H &&
                 a->Wo == a->W &&
                 ((a->H <= 8 && a->W >= 4 && a->W <= 8) || (a->H <= 16 && a->W == 14));
  const int s2 = a->S == 2 && a->Ho <= 8 && a->Wo >= 4 && a->Wo <= 8 && a->H * a->W <= 256 &&
                 a->pad_t >= 0 && a->pad_t < a->K && a->pad_l >= 0 && a->pad_l < a->K;
  return a->mode == CUDA_MB_PASS1 && a->has_expand && a->act == CUDA_ACT_SWISH &&
         (a->K == 3 || a->K == 5) && (s1 || s2) && a->H >= 1 && a->Ho >= 1 && a->TH == a->Ho &&
         a->TW == a->Wo && a->tiles_x == 1 && a->tiles_y == 1 && a->CinP <= 256 &&
         a->CmidP % 16 == 0 && cuda_mbconv_z(a) <= nch &&
         cuda_mbconv_wgx_smem(a) <= (size_t)a->smem_optin;
}

/* Rows of the MBConv kernels' input tile in shared memory (xin): only the
 * tile's pixels inside the image are kept, in in_rect's list order (the
 * expand GEMM's rows), so at most the smaller of the tile and the image in
 * each direction, padded to 16. A whole-image tile of a 7x7 image with k = 5
 * keeps 64 rows instead of the 11x11 tile's 128. */
static inline CUDA_HD int cuda_xin_rows(int ih, int iw, int H, int W) {
  return cuda_pad16((ih < H ? ih : H) * (iw < W ? iw : W));
}

/* CLUSTER mode's shared-memory layout (byte offsets, each 128-aligned).
 * Every CTA keeps its share of the expanded channels' depthwise output for
 * the whole image (dwall) until the SE gate is known; the expand phase's
 * buffers and the projection's double buffers share one region. */
typedef struct {
  size_t scr, csum, bexp, bdw, gate, rpart, rfull, qmid, qglob, pglob, wdw, wexp;
  size_t xin, mid, abuf, wbuf, dwall, total;
  int cpr;  /* expanded-channel chunks per CTA */
  int mycp; /* channels per CTA (cpr * CC), dwall's row length before its pad */
  int rows; /* projection rows per CTA (16 * row tiles) */
  int cols; /* projection 16-wide column tiles per CTA */
} cuda_mbcl_layout;

static inline CUDA_HD size_t cuda_mbcl_al(size_t *at, size_t bytes) {
  const size_t o = *at;
  *at = (o + bytes + 127) & ~(size_t)127;
  return o;
}

static inline CUDA_HD void cuda_mbcl_layout_of(const cuda_mbconv_args *a, cuda_mbcl_layout *L) {
  const int ih = (a->TH - 1) * a->S + a->K, iw = (a->TW - 1) * a->S + a->K;
  const size_t npin = (size_t)cuda_pad16(ih * iw), pout = (size_t)cuda_pad16(a->TH * a->TW);
  const int cl = a->cl > 0 ? a->cl : 1, clr = a->clr > 0 ? a->clr : 1;
  const int nch = (a->CmidP + a->CC - 1) / a->CC, mt = (int)pout / 16, nct = a->CoutP / 16;
  const int sep = ((a->se_c > 0 ? a->se_c : 1) + 7) & ~7;
  const size_t cc = (size_t)a->CC;
  size_t at = 0;
  L->cpr = (nch + cl - 1) / cl;
  L->mycp = L->cpr * a->CC;
  L->rows = 16 * ((mt + clr - 1) / clr);
  L->cols = (nct + cl / clr - 1) / (cl / clr);
  L->scr = cuda_mbcl_al(&at, (size_t)CUDA_WARPS * 256 * 4);
  L->csum = cuda_mbcl_al(&at, (size_t)L->mycp * 4);
  L->bexp = cuda_mbcl_al(&at, cc * 4);
  L->bdw = cuda_mbcl_al(&at, cc * 4);
  L->gate = cuda_mbcl_al(&at, (size_t)L->mycp * 4);
  L->rpart = cuda_mbcl_al(&at, (size_t)sep * 4);
  L->rfull = cuda_mbcl_al(&at, (size_t)sep * 4);
  L->qmid = cuda_mbcl_al(&at, 256 * 4);
  L->qglob = cuda_mbcl_al(&at, 256 * 4);
  L->pglob = cuda_mbcl_al(&at, npin * 4);
  L->wdw = cuda_mbcl_al(&at, (size_t)a->K * a->K * cc * 2);
  L->wexp = cuda_mbcl_al(&at, a->has_expand ? (size_t)a->CinP * (cc + 8) * 2 : 0);
  L->dwall = cuda_mbcl_al(&at, pout * (size_t)(L->mycp + 8) * 2);
  /* the union: expand-phase tiles, or the projection's double buffers */
  size_t ua = at, uc = at;
  L->xin = cuda_mbcl_al(
      &ua, a->has_expand ? (size_t)cuda_xin_rows(ih, iw, a->H, a->W) * (a->CinP + 8) * 2 : 0);
  L->mid = cuda_mbcl_al(&ua, npin * (cc + 8) * 2);
  L->abuf = cuda_mbcl_al(&uc, 2 * (size_t)L->rows * (cc + 8) * 2);
  L->wbuf = cuda_mbcl_al(&uc, 2 * cc * (size_t)(L->cols * 16 + 8) * 2);
  L->total = ua > uc ? ua : uc;
}

/* Shared-memory bytes the MBConv kernel needs for a tile (the planner's
 * constraint and the launcher's request agree through this one function). */
static inline size_t cuda_mbconv_smem(const cuda_mbconv_args *a) {
  if (a->mode == CUDA_MB_STAGED && a->gemm) return cuda_gate_proj_smem(a);
  if (a->mode == CUDA_MB_CLUSTER) {
    cuda_mbcl_layout L;
    cuda_mbcl_layout_of(a, &L);
    return L.total;
  }
  int ih = (a->TH - 1) * a->S + a->K, iw = (a->TW - 1) * a->S + a->K;
  size_t pin = (size_t)cuda_pad16(ih * iw), pout = (size_t)cuda_pad16(a->TH * a->TW);
  size_t cc = (size_t)a->CC;
  int staged = a->mode == CUDA_MB_STAGED, proj = a->mode != CUDA_MB_PASS1;
  /* per-warp fp32 scratch of the projection's epilogue; in PASS1 the dw's
   * channel partial sums, 2 floats per thread */
  size_t s = (size_t)cuda_mbconv_warps(a) * (proj ? 256 : 64) * 4;
  s += cc * 4 * 3;      /* chunk biases (expand, dw) and gate */
  s += (512 + pin) * 4; /* pixel tables (output 2 x 256, input tile) */
  if (!staged) {
    s += (size_t)a->K * a->K * cc * 2;                      /* dw weights of the chunk */
    if (a->has_expand) s += (size_t)a->CinP * (cc + 8) * 2; /* expand weights of the chunk */
  }
  if (proj) s += cc * (size_t)(cuda_mbconv_nctz(a) * 16 + 8) * 2; /* project weights of the chunk */
  size_t body = 0;
  if (!staged) {
    if (a->has_expand) /* the input tile's pixels inside the image, rows padded */
      body += (size_t)cuda_xin_rows(ih, iw, a->H, a->W) * (a->CinP + 8) * 2;
    body += pin * (cc + 8) * 2; /* expanded chunk, rows padded */
  }
  s += body;
  s += pout * (cc + 8) * 2;             /* dw output chunk, row pad 8 halves */
  if (staged) s += pout * (cc + 8) * 2; /* the next chunk's staged tile, in flight */
  return (s + 127) & ~(size_t)127;
}

/* Accumulator tiles per warp the MBConv kernel holds for the projection. */
static inline int cuda_mbconv_nf(const cuda_mbconv_args *a) {
  if (a->mode == CUDA_MB_PASS1) return 1;
  if (a->mode == CUDA_MB_STAGED && a->gemm) return 1; /* its own kernel: no wmma tiles */
  if (a->mode == CUDA_MB_CLUSTER) {
    cuda_mbcl_layout L;
    cuda_mbcl_layout_of(a, &L);
    return ((L.rows / 16) * L.cols + CUDA_WARPS - 1) / CUDA_WARPS;
  }
  int f = (cuda_pad16(a->TH * a->TW) / 16) * cuda_mbconv_nctz(a);
  return (f + cuda_mbconv_warps(a) - 1) / cuda_mbconv_warps(a);
}

/* Whether launch a, with dwrows set, runs its depthwise conv as dw_pairs (it
 * also needs swish, checked by the kernel): the tile kernel's modes with a
 * dw (not STAGED), k 3 or 5, stride 1 or 2, a chunk of 16 to 128; not in the
 * instantiations whose registers it would spill (lowreg, and two tiles per
 * warp in 8 warps), and in the 8-warp one-tile one for k = 5 only with fp16
 * taps. Mirrors mbconv_kernel's PAIRS. */
static inline int cuda_mbconv_dwrows_ok(const cuda_mbconv_args *a) {
  if (a->mode == CUDA_MB_STAGED || a->mode == CUDA_MB_CLUSTER) return 0;
  if ((a->K != 3 && a->K != 5) || (a->S != 1 && a->S != 2)) return 0;
  if (a->CC != 16 && a->CC != 32 && a->CC != 64 && a->CC != 128) return 0;
  const int nf = cuda_mbconv_nf(a);
  if (a->lowreg || (!a->wide && nf == 2)) return 0;
  return a->wide || nf > 2 || a->K == 3 || a->dwh2;
}

/* Whether launch a, with dwrows = 2, runs its depthwise conv in blocks of
 * 2 x 2 output pixels per thread (dw_pairs with NX = 2): where dwrows applies,
 * with packed fp16 taps, in the instantiations compiled with it: the 16-warp
 * one-tile one, and PASS1's own (8 and 16 warps; not lowreg, which dwrows
 * leaves out). Mirrors mbconv_kernel's QUADS. */
static inline int cuda_mbconv_dwquads_ok(const cuda_mbconv_args *a) {
  return cuda_mbconv_dwrows_ok(a) && a->dwh2 &&
         (a->mode == CUDA_MB_PASS1 || (a->wide && cuda_mbconv_nf(a) == 1));
}

/* Whether launch a, with dwrows = 3, runs its depthwise conv with 8 channels
 * per thread (dw_vec): PASS1 (its 8- and 16-warp builds: dwrows_ok leaves
 * out lowreg), k = 3, packed fp16 taps, chunks of 16 to 64 channels (a
 * narrower last chunk takes the one-pixel loop). Mirrors mbconv_kernel's
 * VEC. */
static inline int cuda_mbconv_dwvec_ok(const cuda_mbconv_args *a) {
  return cuda_mbconv_dwrows_ok(a) && a->dwh2 && a->mode == CUDA_MB_PASS1 && a->K == 3 &&
         a->CC <= 64;
}

/* Whether launch a runs dw_vec's chunks as dw_run with runs of a->dwrun
 * pixels: where dw_vec applies, with chunks of 32 or 64 channels, R = 2, 4 or
 * 7 (4 and 7 in the PASS1 builds of 128 registers: the 8-warp one of 2 CTAs
 * per SM, which the launcher takes for them, and the 16-warp one). */
static inline int cuda_mbconv_dwrun_ok(const cuda_mbconv_args *a) {
  return a->dwrows == 3 && cuda_mbconv_dwvec_ok(a) && (a->CC == 32 || a->CC == 64) &&
         (a->dwrun == 2 || a->dwrun == 4 || a->dwrun == 7);
}

/* Whether dwrows (4 or 5) names strips of 7 pixels by dwrows - 3 rows that
 * cover a TH x TW tile whole: the width a multiple of 7, with two rows an
 * even height. The host's rule below and the kernel's dw_strips_ok()
 * (mbconv_parts.cuh) both take it. */
static inline CUDA_HD int cuda_dwstrips_cover(int dwrows, int TH, int TW) {
  return TW % 7 == 0 && (dwrows == 4 || (dwrows == 5 && TH % 2 == 0));
}

/* Whether launch a, with dwrows = 4 or 5, runs its depthwise conv in strips
 * of 7 output pixels by dwrows - 3 rows per thread (dw_pairs with NX = 7):
 * PASS1 where the 2 x 2 blocks apply, on tiles that whole strips cover, in
 * the builds of 128 registers (the 16-warp one, and the 8-warp one of 2 CTAs
 * per SM, which the launcher takes for them). */
static inline int cuda_mbconv_dwstrips_ok(const cuda_mbconv_args *a) {
  return cuda_dwstrips_cover(a->dwrows, a->TH, a->TW) && a->mode == CUDA_MB_PASS1 &&
         cuda_mbconv_dwquads_ok(a);
}

/* The depthwise thread shape launch a runs, as a dwrows value: its dwrows
 * where the rule of that shape allows it, two rows (1) where only dwrows_ok
 * does, else one pixel (0). */
static inline int cuda_mbconv_dw_shape(const cuda_mbconv_args *a) {
  if (a->dwrows >= 4 && cuda_mbconv_dwstrips_ok(a)) return a->dwrows;
  if (a->dwrows == 3 && cuda_mbconv_dwvec_ok(a)) return 3;
  if (a->dwrows == 2 && cuda_mbconv_dwquads_ok(a)) return 2;
  return a->dwrows && cuda_mbconv_dwrows_ok(a) ? 1 : 0;
}

typedef struct {
  const uint8_t *img; /* [N][H][W][3] */
  void *y;            /* [N][Ho][Wo][CoutP] */
  const float *w;     /* [K][K][3][CoutP] fp32 */
  const float *b;     /* [CoutP] */
  float mean[3], inv_std[3];
  int H, W, Ho, Wo, Cout, CoutP, K, S, pad_t, pad_l, act;
  int sms; /* the device's multiprocessors: the band kernel's rows per CTA */
} cuda_stem_args;

typedef struct {
  const void *x;   /* [N][P][CinP], P = Ho*Wo pixels */
  void *pooled;    /* [MP][ChP] fp16: mean over pixels of act(x W + b) */
  const void *w;   /* [CinP][ChP] */
  const float *b;  /* [ChP] */
  float *pool_sum; /* [N][ChP] fp32 scratch, zero between launches (the launch leaves it so) */
  int P, CinP, Ch, ChP, act;
  int sms; /* multiprocessors, to size the grid */
  int bm;  /* rows per CTA of its GEMM: 64 or 128, 0 = cuda_head_grid's rule */
  int wg;  /* 1: the GEMM on sm_90a's warpgroup MMAs (pixel_gemm_wg.cu with its pooling
              epilogue) where cuda_head_wg_grid() applies, else pixel_gemm.cu's; only where
              the device runs that code (caps.wg), as the pass-2 GEMM's `wg` (the backend sets
              it wherever it does: on an H200 the head took 55.7 against 76.4 us at batch 256,
              24.1 against 29.1 at 64, level at 1; bench/RESULTS.md, thirty-seventh session) */
} cuda_head_args;

/* The head's pixel-GEMM grid (pixel_gemm.cu) for n images: rows per CTA
 * (128, which share each CTA's K x columns of weights over twice the rows of
 * 64, unless the rows fit one tile), 16-wide column tiles per CTA (<= 8) and
 * column splits: the fewest, or more and narrower ones while the row tiles
 * alone leave multiprocessors idle; every split gets columns. (64 rows below
 * one wave of 128-row tiles, the rule before, left B0's head 3-4 % slower at
 * batches 8-256 on an H200: bench/RESULTS.md, twenty-first session.) */
static inline void cuda_head_grid(const cuda_head_args *a, int n, int *bm, int *nt8, int *z) {
  const long long M = (long long)n * a->P;
  const int sms = a->sms > 0 ? a->sms : 132, nct = a->ChP / 16;
  *bm = a->bm == 64 || a->bm == 128 ? a->bm : M > 128 ? 128 : 64;
  const long long rt = (M + *bm - 1) / *bm;
  const int want = (int)((sms + rt - 1) / rt);
  *z = (nct + 7) / 8;
  if (want > *z) *z = want < nct ? want : nct;
  while (*z > 1 && !cuda_split_ok(nct, *z)) (*z)--;
  *nt8 = (nct + *z - 1) / *z;
}

/* ... and of its warpgroup-MMA GEMM (cuda_head_args.wg): 128 rows per CTA
 * (64 where the rows fit one such tile; a->bm where set), the columns in the fewest splits of
 * at most 8 column tiles (128 columns: the pooled sums by halving exchanges
 * at 2, 4 or 8), persistent CTAs per split (pg_wg_launch); 0 where
 * cuda_pg_wg_ok refuses the shape. */
static inline int cuda_head_wg_grid(const cuda_head_args *a, int n, int *bm, int *nt8, int *z) {
  const long long M = (long long)n * a->P;
  const int nct = a->ChP / 16;
  *bm = a->bm == 64 || a->bm == 128 ? a->bm : M > 64 ? 128 : 64;
  *z = (nct + 7) / 8;
  *nt8 = nct > 0 ? (nct + *z - 1) / *z : 0;
  return nct > 0 && cuda_split_ok(nct, *z) && cuda_pg_wg_ok(a->CinP, *bm, a->P, *nt8);
}

typedef struct {
  const void *a; /* [M][K] fp16, M multiple of 16 */
  const void *b; /* [K][NP] fp16 */
  const float *bias;
  float *c; /* [M][NP] fp32 */
  int M, K, NP;
  float *part; /* split-K partials, CUDA_GEMM_MAX_SPLIT x M x NP floats; NULL = no split */
  int sms;     /* multiprocessors, to size the split */
} cuda_gemm_args;

#define CUDA_GEMM_MAX_SPLIT 8

/* The stem's band kernel (stem.cu, K = 3): shared memory for th output rows
 * of a wo-wide output from a w-wide image at stride s: the normalised band,
 * (th - 1) s + 3 rows of (wo - 1) s + 3 pixels x 4 fp16, then its raw bytes
 * (the same rows of w x 3 bytes, and 8 for the 4-byte words' ends); and
 * its rows per CTA: the most of 16, 8, 4, 2, 1 within 48 KB and the output
 * height, 0 where not even one row fits. */
static inline CUDA_HD size_t cuda_stem_band_smem(int th, int w, int wo, int s) {
  const size_t rin = (size_t)(th - 1) * s + 3;
  return rin * ((size_t)(wo - 1) * s + 3) * 8 + rin * (size_t)w * 3 + 8;
}
static inline CUDA_HD int cuda_stem_band_rows(int w, int ho, int wo, int s) {
  for (int th = 16; th >= 1; th /= 2)
    if ((th <= ho || th == 1) && cuda_stem_band_smem(th, w, wo, s) <= 48 * 1024) return th;
  return 0;
}
/* The band kernel's rows per CTA for n images: cuda_stem_band_rows, halved
 * while the bands leave fewer than two CTAs per multiprocessor; 0 (the
 * gathering kernel) where even bands of one row would leave SMs idle. */
static inline CUDA_HD int cuda_stem_band_th(const cuda_stem_args *a, int n) {
  int th = cuda_stem_band_rows(a->W, a->Ho, a->Wo, a->S);
  if (th <= 0 || (long long)n * a->Ho < a->sms) return 0;
  while (th > 1 && (long long)n * ((a->Ho + th - 1) / th) < 2LL * a->sms) th /= 2;
  return th;
}

/* The pixel-tile blocks (px_block.cu): ConvFirst and ConvNeXt blocks, the
 * ConvNeXt downsampling conv and the stem with a LayerNorm. A CTA owns
 * CUDA_PX_M consecutive output pixels of the batch (rows of one GEMM,
 * crossing image boundaries) and `ncol` output channels (grid.y splits the
 * rest).
 *  - CUDA_PX_MLP (convfirst, convnext): the spatial conv (depthwise, or
 *    grouped) of the CTA's pixels -> [LayerNorm] -> A [M x CinP] in shared
 *    memory; then per chunk of `ch` expanded channels: H = act(A We + be)
 *    in shared memory, acc += H Wp; epilogue + bp [+ x]. The expanded
 *    intermediate never leaves the chip.
 *  - CUDA_PX_CONV (downsample, stem): acc += im2col([LN](x)) chunk by chunk
 *    of 64 along K = KA; epilogue + b [-> LN over the outputs] -> act. */
enum { CUDA_PX_MLP = 0, CUDA_PX_CONV = 1 };
#define CUDA_PX_M 64     /* output pixels per CTA */
#define CUDA_PX_M_RW 128 /* the same for the row-warp MLP (cuda_px_args.rw) */
#define CUDA_PX_KC 64    /* CONV: K per chunk */

typedef struct {
  const void *x;   /* [N][H][W][CinP] fp16; the stem: uint8 [N][H][W][3] */
  void *y;         /* [N][Ho][Wo][CoutP] fp16 */
  const void *res; /* MLP: the residual (layout of y) or NULL */
  const void *w_sp;
  const float *b_sp;        /* MLP's spatial conv: depthwise fp16 [K*K][CinP] where cin_g == 1, else
                               grouped fp32 [K*K][cin_g][CinP] (output channel minor); bias [CinP] */
  const float *ln_g, *ln_b; /* LayerNorm gamma, beta (padded with zeros), NULL = none: MLP and
                               downsample over the input's channels, the stem over its outputs */
  const void *w_exp;
  const float *b_exp; /* MLP: [CinP][CmidP], [CmidP] */
  const void *w_out;
  const float *b_out;        /* MLP: projection [CmidP][CoutP] (ConvNeXt's layer scale folded in);
                                CONV: the conv as [KA][CoutP], K index tap * Cs + channel */
  float mean[3], inv_std[3]; /* the stem's preprocessing */
  float ln_eps;
  int H, W, Cin, Cmid, Cout, Ho, Wo, CinP, CmidP, CoutP;
  int K, S, pad_t, pad_l, cin_g; /* the spatial conv; cin_g = input channels per group */
  int act;                       /* MLP: after the expand; CONV: the output's */
  int mode, stem;                /* stem: CONV on uint8 pixels (Cs = 3) */
  int KA;                        /* CONV: pad16(K * K * Cs), Cs = CinP or 3 (stem) */
  int nt;      /* output n8 tiles per warp: 2, 3, 4, 6, 8 or 12 (MLP only) (ncol = 32 nt) */
  int en;      /* MLP: expand n8 tiles per warp, 1 or 2 (ch = 32 en) */
  int hs;      /* the expanded chunks (MLP) or the K chunks (CONV, not with the stem's LayerNorm)
                  split over grid.z (0 or 1 = none): each CTA adds its partial sums to `part` by
                  fp32 atomics, then a second kernel adds the bias [and the residual], applies the
                  CONV's act, writes y and zeroes `part` again (small batches) */
  float *part; /* with hs > 1: [N * Ho * Wo][CoutP], zero on entry, left zero */
  int rw;      /* MLP, nt <= 6: the row-warp kernel (px_rw_kernel): CUDA_PX_M_RW pixels per CTA,
                  each warp 16 whole rows, the expand's accumulators the projection's A
                  fragments (no H in shared memory); the tuner times both */
  int wg;      /* MLP, en == 2, sm_90a (cuda_pg_wg_supported): the warpgroup-MMA kernels
                  (px_wg.cu), a producer streaming the weights by bulk tensor copies
                  (cuda_px_threads): wg = 1 or 2 (nt <= 6) consumer warpgroups of 64 pixels
                  each and all the CTA's columns; wg = 3 (nt = 6, 8, 12) two warpgroups on
                  64 pixels that split the columns, H through shared memory; 0 = not */
} cuda_px_args;
/* px_wg_kernel's weight rings: CUDA_PX_WG_SE stages of one 64 x 64 slice of
 * the expand's weights, CUDA_PX_WG_SP stages of a chunk's projection rows
 * (CUDA_PX_WGN_SP in px_wgn_kernel). */
#define CUDA_PX_WG_SE 4
#define CUDA_PX_WG_SP 3
#define CUDA_PX_WGN_SP 2 /* the column-split form's (wg = 3): its stages hold up to 384 columns */

static inline CUDA_HD int cuda_px_ncol(const cuda_px_args *a) {
  return 32 * a->nt;
}
static inline CUDA_HD int cuda_px_ch(const cuda_px_args *a) {
  return 32 * a->en;
}
/* Whether the launch normalises its outputs (the stem's LayerNorm): all of
 * them must then lie in one CTA, and its K is not split. */
static inline CUDA_HD int cuda_px_out_ln(const cuda_px_args *a) {
  return a->mode == CUDA_PX_CONV && a->stem && a->ln_g;
}
/* Output splits of a launch (grid.y): CTAs of 32 nt columns over CoutP. */
static inline CUDA_HD int cuda_px_splits(const cuda_px_args *a) {
  return (a->CoutP + cuda_px_ncol(a) - 1) / cuda_px_ncol(a);
}
/* The chunks a CTA walks, which hs splits over grid.z: expanded chunks of
 * cuda_px_ch() channels (MLP), K chunks of CUDA_PX_KC (CONV). */
static inline CUDA_HD int cuda_px_chunks(const cuda_px_args *a) {
  return a->mode == CUDA_PX_MLP ? (a->CmidP + cuda_px_ch(a) - 1) / cuda_px_ch(a)
                                : (a->KA + CUDA_PX_KC - 1) / CUDA_PX_KC;
}
/* Output pixels per CTA. */
static inline CUDA_HD int cuda_px_rows(const cuda_px_args *a) {
  return a->wg == 3 ? 64 : a->wg ? 64 * a->wg : a->rw ? CUDA_PX_M_RW : CUDA_PX_M;
}
/* Threads per CTA. */
static inline CUDA_HD int cuda_px_threads(const cuda_px_args *a) {
  return a->wg == 1 ? 160 : a->wg ? 384 : CUDA_THREADS;
}
/* CONV: bytes of the region after the pixel table (the two buffers of an
 * im2col chunk and its weights, or the stem LayerNorm's fp32 outputs and
 * their rows' statistics, which reuse them); the input LayerNorm's
 * statistics follow it. */
static inline CUDA_HD size_t cuda_px_conv_main(const cuda_px_args *a) {
  const size_t ncol = (size_t)cuda_px_ncol(a), M = (size_t)cuda_px_rows(a);
  const size_t main = M * (CUDA_PX_KC + 8) * 2 + 2 * (size_t)CUDA_PX_KC * (ncol + 8) * 2,
               outln = cuda_px_out_ln(a) ? M * (ncol + 4) * 4 + M * 8 : 0;
  return main > outln ? main : outln;
}
/* Dynamic shared memory of a launch (bytes). */
static inline CUDA_HD size_t cuda_px_smem(const cuda_px_args *a) {
  const size_t ncol = (size_t)cuda_px_ncol(a), M = (size_t)cuda_px_rows(a);
  size_t s = M * 16; /* the pixel table */
  if (a->wg) {       /* 1024-byte alignment, the rings, [two H buffers,] A, the mbarriers */
    const size_t pst = a->wg == 3 ? 2 * ((ncol / 2 + 63) / 64) * 8192 : (ncol + 63) / 64 * 8192;
    const size_t sp = a->wg == 3 ? CUDA_PX_WGN_SP : CUDA_PX_WG_SP;
    return s + 1024 + CUDA_PX_WG_SE * 8192 + sp * pst + (a->wg == 3 ? 2 * 8192 : 0) +
           M * (a->CinP + 8) * 2 + (CUDA_PX_WG_SE + sp) * 16;
  }
  if (a->rw) { /* A, one expand chunk, two projection chunks */
    const size_t ch = (size_t)cuda_px_ch(a);
    return s + M * (a->CinP + 8) * 2 + (size_t)a->CinP * (ch + 8) * 2 + 2 * ch * (ncol + 8) * 2;
  }
  if (a->mode == CUDA_PX_MLP) {
    const size_t ch = (size_t)cuda_px_ch(a);
    s += M * (a->CinP + 8) * 2 + (size_t)a->CinP * (ch + 8) * 2 + M * (ch + 8) * 2 +
         2 * ch * (ncol + 8) * 2;
  } else {
    s += cuda_px_conv_main(a) + (a->ln_g && !a->stem ? M * (size_t)a->K * a->K * 8 : 0);
  }
  return s;
}

/* Launchers: return a cudaError_t value (0 = success) of the launch. */
int cuda_stem_launch(const cuda_stem_args *a, int n, cuda_stream_t st);
int cuda_mbconv_launch(const cuda_mbconv_args *a, int n, cuda_stream_t st);
int cuda_head_launch(const cuda_head_args *a, int n, cuda_stream_t st);
int cuda_gemm_launch(const cuda_gemm_args *a, cuda_stream_t st);
int cuda_px_launch(const cuda_px_args *a, int n, cuda_stream_t st);
/* cuda_px_launch's launch of the warpgroup-MMA kernel (px_wg.cu; a->wg):
 * `total` output pixels, the grid gx x gy x gz. */
int cuda_px_wg_launch(const cuda_px_args *a, int total, unsigned gx, unsigned gy, unsigned gz,
                      cuda_stream_t st);
/* The head without its 1x1 conv (x != NULL: the mean of x [N][P][CP] over
 * its P pixels) and/or with a LayerNorm of the pooled row (ln_g != NULL),
 * written to pooled [n][CP] fp16 in place (x == NULL: pooled is read). */
int cuda_pool_ln_launch(const void *x, void *pooled, const float *ln_g, const float *ln_b,
                        float eps, int n, int P, int C, int CP, cuda_stream_t st);
/* Raises every kernel's dynamic shared-memory limit to `bytes`, and sets
 * every kernel's preferred shared-memory carveout to `carveout` percent
 * (0..100; < 0 leaves the driver's choice). One carveout for all kernels
 * keeps the SMs from reconfiguring L1/shared memory between consecutive
 * kernels that would otherwise prefer different splits. */
int cuda_kernels_init(int smem_optin_bytes, int carveout);
/* Whether the bulk-copy pass-2 GEMM (cuda_mbconv_args.bulk) runs on the
 * current device: its code built for sm_90 or later. */
int cuda_pg_bulk_supported(void);
/* Whether the warpgroup-MMA pass-2 GEMM (cuda_mbconv_args.wg) runs on the
 * current device: built for sm_90a (BF_WGMMA) and the device an sm_90. */
int cuda_pg_wg_supported(void);
/* Raises its kernels' dynamic shared-memory limit (cuda_kernels_init). */
int cuda_pg_wg_set_attrs(int bytes, int carveout);
int cuda_px_wg_set_attrs(int bytes, int carveout);
/* The SE launch after a PASS1 of n images (the launcher's choice): 2 = on
 * tensor cores (se_mma.cu), 1 = batched over images (se_batch.cu), 0 = per
 * image (mbconv.cu's se_kernel), -1 = none (not PASS1, no SE, or sefuse). */
int cuda_se_form(const cuda_mbconv_args *a, int n);
/* The launchers' options, process-wide, all on by default: pdl, whether
 * they ask for programmatic dependent launch (sm_90: a kernel's CTAs start,
 * and prefetch weights, while the kernel before it finishes); se_pre,
 * whether the SE kernel may run its PRE variant (cuda_se_pre_ok);
 * stem_band, whether the stem may run its band kernel (cuda_stem_band_th);
 * se_batch, whether the SE MLP may run batched over images (cuda_se_batch_ok);
 * se_mma, 0 = never on tensor cores (se_mma.cu), 1 = where cuda_se_mma_ok(),
 * 2 = wherever it fits (A/B runs). */
void cuda_kernels_set_options(int pdl, int se_pre, int stem_band, int se_batch, int se_mma);
/* Registers per thread of the MBConv instantiation holding nf (1,2,4,8,16)
 * accumulator tiles per warp (nf = 0: the lowreg variant); 0 on error. */
int cuda_mbconv_regs(int nf);

/* Peak probes: a tensor-core loop (fp16 in, fp32 accumulate) of `ctas` CTAs;
 * returns its FLOPs per launch in *flops. `sink` absorbs the results. */
int cuda_tc_loop_launch(int ctas, int iters, float *sink, double *flops, cuda_stream_t st);
/* A one-warp kernel that takes ns nanoseconds: the stream stays busy behind it. */
int cuda_spin_launch(long long ns, cuda_stream_t st);

/* fp32 <-> fp16 helpers for the host (round to nearest even). */
uint16_t cuda_f32_to_f16(float f);
float cuda_f16_to_f32(uint16_t h);

#ifdef __cplusplus
}
#endif

#endif
