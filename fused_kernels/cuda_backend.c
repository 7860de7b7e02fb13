/* The cuda backend: model_cuda_backend. One instance = one executor on one
 * GPU (cfg->device): a stream, pinned staging for the uint8 images and the
 * logits, device buffers sized for max_batch, and one CUDA graph per batch
 * bucket (powers of two up to max_batch, plus max_batch), captured at create.
 * run() copies n images into pinned memory, replays the smallest bucket's
 * graph that holds n, and copies n rows of logits out. Every profile_every-th
 * run instead replays a second graph of the bucket, with an event between
 * blocks (captured at create too, where profile_every > 0). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cuda_profiler_api.h>

#include "fused_kernels/cuda_backend.h"
#include "fused_kernels/cuda_internal.h"
#include "model/backend.h"
#include "model/cpu_pool.h"

#define MAX_BUCKETS 16
#define COPY_THREADS 8 /* copy_in's threads at most, where cfg->threads does not say */
#define MAX_PIECES 8
#define MAX_LEAD 64 /* BLOCKFUSE_CUDA_PIECE_BLOCKS' largest */

/* One form of a bucket's hot-path graph: the image copy in `pieces` pieces
 * (1: one copy) under its first `lead` blocks (0: one copy), which run the
 * pieces on `lanes` lanes: 1 stream, or 2 as a wavefront (enqueue_pieces). */
typedef struct {
  int pieces, lanes, lead;
} graph_form;

typedef struct {
  int batch;
  cuda_blk_plan *plans; /* [n_blocks] */
  cudaGraphExec_t exec;
  graph_form form;       /* exec's (capture_net's pick) */
  cudaGraphExec_t kexec; /* the kernels alone (no copies): cuda_backend_graph_time's, on demand */
  cudaGraphExec_t pexec; /* with an event before each block and after the last: the profiled
                            runs' (where profile_every > 0) */
} cuda_bucket;

typedef struct {
  const model_net *net;
  int device, max_batch, profile_every;
  cudaStream_t st;
  cuda_arena ar;
  cuda_blk *blks;
  int n_blocks;
  cuda_device_caps caps;
  cuda_bucket buckets[MAX_BUCKETS];
  int n_buckets;
  uint8_t *h_img;  /* pinned [max_batch][in_h][in_w][3] */
  int copy_threads;    /* cfg->threads, or COPY_THREADS: copy_in's threads */
  cpu_pool *copy_pool; /* copy_in's, made at its first large copy */
  float *h_logits; /* pinned [max_batch][classes] */
  void *d_img, *d_act[2], *d_stage, *d_sums, *d_scale, *d_pooled;
  float *d_logits;  /* [pad16(max_batch)][ClsP] */
  float *d_fcpart;  /* FC split-K partials */
  float *d_pxpart;  /* the px blocks' split partial sums (hs; zero between launches) */
  float *d_poolsum; /* the head's per-image column sums, zero between runs */
  int cls_p;
  size_t img_bytes;
  cudaEvent_t *ev; /* n_blocks + 1 */
  double *times;   /* last profile, seconds per block */
  int times_batch;
  unsigned long runs;
  double peak_flops, peak_bw;
  int try_cluster;  /* BLOCKFUSE_CUDA_CLUSTER=1: the tuner also times the cluster mode */
  int no_wide;      /* BLOCKFUSE_CUDA_WIDE=0: the tuner leaves out 16-warp CTAs (for A/B) */
  int no_gemm;      /* BLOCKFUSE_CUDA_GEMM=0: ... and the batch-wide STAGED GEMM (for A/B) */
  int no_dwrows;    /* BLOCKFUSE_CUDA_DWROWS=0: ... and the two-row depthwise conv (for A/B) */
  int no_ksplit;    /* BLOCKFUSE_CUDA_KSPLIT=0: ... and the GEMM's K split over clusters (A/B) */
  int no_sefuse;    /* BLOCKFUSE_CUDA_SEFUSE=0: ... and the SE MLP inside the GEMM (A/B) */
  int no_stream;    /* BLOCKFUSE_CUDA_STREAM=0: ... and the streaming (persistent) GEMM (A/B) */
  int no_bulk;      /* BLOCKFUSE_CUDA_BULK=0: ... and the GEMM fed by bulk copies (A/B) */
  int no_wg;        /* BLOCKFUSE_CUDA_WG=0: ... and the one on warpgroup MMAs (A/B); also the
                       pixel-tile blocks' warpgroup-MMA kernel */
  int px_only;      /* BLOCKFUSE_CUDA_PX=tile, rw or wg: the pixel-tile MLP blocks time only
                       that kernel's launches (A/B, profiling); 0 = all */
  int no_narrow;    /* BLOCKFUSE_CUDA_NARROW=0: ... and the narrow one (A/B) */
  int tune_log;     /* BLOCKFUSE_CUDA_TUNE_LOG=1: each pass-2 GEMM candidate's time to stderr */
  int no_spin;      /* BLOCKFUSE_CUDA_TUNE_SPIN=0: the tuner times without the spin (A/B) */
  int no_dwdirect;  /* BLOCKFUSE_CUDA_DWDIRECT=0: ... and dw_direct.cu's PASS1 (A/B) */
  int wgx;          /* BLOCKFUSE_CUDA_WGX=0: never mbconv_wg.cu's PASS1, =force: wherever it
                       applies (A/B, profiling); else timed beside the tile kernel (1) */
  int no_dwquads;   /* BLOCKFUSE_CUDA_DWQUADS=0: ... and the 2 x 2-block depthwise conv (A/B) */
  int no_dwvec;     /* BLOCKFUSE_CUDA_DWVEC=0: ... and the 8-channel one (A/B) */
  int f32exp;       /* BLOCKFUSE_CUDA_H16EXP=0: every expand in fp32 accumulators (A/B) */
  int no_dwrun;     /* BLOCKFUSE_CUDA_DWRUN=0: ... and its runs of pixels (A/B) */
  int no_dwstrips;  /* BLOCKFUSE_CUDA_DWSTRIPS=0: ... and the strips of 7 pixels (A/B) */
  int force_dwrows; /* BLOCKFUSE_CUDA_DWROWS=1..5: that dwrows wherever it applies */
  int head_bm;      /* BLOCKFUSE_CUDA_HEADBM=64 or 128: the head GEMM's rows per CTA (A/B) */
  int no_head_wg;   /* BLOCKFUSE_CUDA_HEADWG=0: the head's GEMM never on warpgroup MMAs (A/B) */
  int pieces;       /* BLOCKFUSE_CUDA_PIECES=N (1 to 8): the image copy in N pieces wherever the
                       batch has N images (1: in one); 0 (unset): the planner's pick */
  int piece_blocks; /* BLOCKFUSE_CUDA_PIECE_BLOCKS=L (1 to 64): the first L blocks (at most)
                       piece by piece (A/B); 0 (unset): the fastest of 1 to PIECE_BLOCKS */
  int piece_lanes;  /* BLOCKFUSE_CUDA_PIECE_LANES=1 or 2: the pieces' blocks on that many
                       streams (A/B); 0 (unset): the faster */
  int lead_iters;   /* BLOCKFUSE_CUDA_LEAD_ITERS=N (1 to 64): capture_net's replays of each
                       candidate graph (A/B); 0 (unset): LEAD_ITERS */
  cudaStream_t st2; /* the pieces' copies, forked from st and joined back inside the graph */
  cudaStream_t st3; /* the odd pieces' blocks where they run on two lanes (enqueue_pieces) */
  cudaEvent_t cp_ev[MAX_PIECES + 1];
  cudaEvent_t lane_ev[MAX_LEAD + 1];     /* after block i of the last piece enqueued; the join */
  size_t sums_img, stage_img, scale_img; /* the SE scratch per image (elements), the largest
                                            of any block's: a piece's own part */
} cuda_backend;

/* The piece counts the planner tries for the image copy of a batch of B
 * (into n[], how many): BLOCKFUSE_CUDA_PIECES where set; else one copy, and
 * COPY_PIECES and twice as many where the batch has that many images. */
enum { COPY_PIECES = 4, PIECE_BLOCKS = 4 };
static int copy_pieces(const cuda_backend *s, int B, int n[3]) {
  if (s->pieces > 0) {
    n[0] = s->pieces <= B ? s->pieces : 1;
    return 1;
  }
  int k = 0;
  n[k++] = 1;
  for (int p = COPY_PIECES; p <= 2 * COPY_PIECES && p <= B; p *= 2) n[k++] = p;
  return k;
}

/* The bucket of exactly n images, if any. */
static const cuda_bucket *bucket_of(const cuda_backend *s, int n) {
  for (int k = 0; k < s->n_buckets; k++)
    if (s->buckets[k].batch == n) return &s->buckets[k];
  return NULL;
}

/* Block i's input and output, image `lo` on: the images, then the two
 * activation buffers in turn (block i writes d_act[i % 2]). */
static const void *blk_in(const cuda_backend *s, int i, int lo) {
  return i == 0 ? (const char *)s->d_img + s->img_bytes * lo
                : (const char *)s->d_act[(i - 1) & 1] + (size_t)s->blks[i].in_elems * 2 * lo;
}
static void *blk_out(const cuda_backend *s, int i, int lo) {
  return (char *)s->d_act[i & 1] + (size_t)s->blks[i].out_elems * 2 * lo;
}

/* cuda_pieces_keep on the blocks' outputs per image. */
static int pieces_keep(const cuda_backend *s, int L, int lanes) {
  int out[MAX_LEAD];
  if (L > MAX_LEAD) return 0;
  for (int i = 0; i < L; i++) out[i] = s->blks[i].out_elems;
  return cuda_pieces_keep(out, L, lanes);
}

/* The deepest number of leading blocks (at most `want`, never the head)
 * that can run piece by piece on `lanes` lanes at bucket bk in `pieces`
 * pieces: blocks after the stem need the plans of a bucket of B / pieces
 * images; else 1. */
static int lead_max(const cuda_backend *s, const cuda_bucket *bk, int pieces, int want, int lanes) {
  const int B = bk->batch;
  if (B % pieces || !bucket_of(s, B / pieces)) return 1;
  int L = want < s->n_blocks - 1 ? want : s->n_blocks - 1;
  while (L > 1 && !pieces_keep(s, L, lanes)) L--;
  return L;
}

/* The plans the first L blocks run a piece of bucket bk with: the stem
 * alone (L = 1) runs bk's, deeper ones those of the bucket of B / pieces
 * images (lead_max). */
static const cuda_blk_plan *lead_plans(const cuda_backend *s, const cuda_bucket *bk, int pieces,
                                       int L) {
  const cuda_bucket *pb = L > 1 ? bucket_of(s, bk->batch / pieces) : NULL;
  return pb ? pb->plans : bk->plans;
}

/* Whether the first L blocks may run two pieces at once (two lanes): every
 * block's scratch must be the piece's own. The SE scratch is (piece_plan),
 * but a pixel-tile block whose launch splits its chunks (hs > 1, small
 * batches) adds its partial sums into the one d_pxpart, so none may. */
static int lanes_ok(const cuda_backend *s, const cuda_bucket *bk, int pieces, int L) {
  const cuda_blk_plan *p = lead_plans(s, bk, pieces, L);
  for (int i = 0; i < L; i++) {
    const cuda_px_args *a = p[i].px.nt ? &p[i].px : &s->blks[i].px;
    if (s->blks[i].px_on && a->hs > 1) return 0;
  }
  return 1;
}

/* Block i's plan p for the images from `lo` on, with its SE scratch (stage,
 * sums, scale) at those images' own part, so that pieces of a batch may run
 * at once. */
static cuda_blk_plan piece_plan(const cuda_backend *s, const cuda_blk_plan *p, int lo) {
  cuda_blk_plan q = *p;
  for (int k = 0; k < q.n; k++) {
    cuda_mbconv_args *a = &q.l[k];
    if (a->stage) a->stage = (char *)a->stage + s->stage_img * 2 * lo;
    if (a->sums) a->sums += s->sums_img * lo;
    if (a->scale) a->scale += s->scale_img * lo;
  }
  return q;
}

/* bk->form's image copy in `pieces` pieces on st2, and its first `lead`
 * blocks on each piece once it has landed, while the next is copied. Blocks
 * after the stem run a piece with the plan of the bucket of that many images
 * (lead_max). With one lane the pieces run one after another on st. With two
 * the odd pieces run on st3, a wavefront: block i of a piece waits for block
 * i of the one before (lane_ev[i]), so that it overlaps that piece's block
 * i + 1. A piece never overtakes the one before it, which cuda_pieces_keep's
 * two-lane rule needs to keep the pieces' outputs apart in the ping-pong
 * buffers, and each piece has its own SE scratch (piece_plan). st waits for
 * the last copy (after every other on st2) and for st3: the joins. */
static int enqueue_pieces(cuda_backend *s, const cuda_bucket *bk, char *err, size_t errlen) {
  int rc = 0;
  const int B = bk->batch, L = bk->form.lead, pieces = bk->form.pieces, lanes = bk->form.lanes;
  const cuda_blk_plan *plans = lead_plans(s, bk, pieces, L);
  CUDA_TRY(cudaEventRecord(s->cp_ev[0], s->st)); /* the fork */
  CUDA_TRY(cudaStreamWaitEvent(s->st2, s->cp_ev[0], 0));
  if (lanes > 1) CUDA_TRY(cudaStreamWaitEvent(s->st3, s->cp_ev[0], 0));
  for (int k = 0; k < pieces; k++) {
    const int lo = B * k / pieces, n = B * (k + 1) / pieces - lo;
    const size_t at = s->img_bytes * lo;
    const cudaStream_t st = lanes > 1 && (k & 1) ? s->st3 : s->st;
    CUDA_TRY(cudaMemcpyAsync((char *)s->d_img + at, s->h_img + at, s->img_bytes * n,
                             cudaMemcpyHostToDevice, s->st2));
    CUDA_TRY(cudaEventRecord(s->cp_ev[k + 1], s->st2));
    CUDA_TRY(cudaStreamWaitEvent(st, s->cp_ev[k + 1], 0));
    for (int i = 0; i < L; i++) {
      const cuda_blk_plan p = piece_plan(s, &plans[i], lo);
      if (lanes > 1 && k > 0) CUDA_TRY(cudaStreamWaitEvent(st, s->lane_ev[i], 0));
      if ((rc = cuda_blk_enqueue(&s->blks[i], &p, n, blk_in(s, i, lo), blk_out(s, i, lo),
                                 s->d_pooled, s->d_logits, st, err, errlen)))
        return rc;
      if (lanes > 1) CUDA_TRY(cudaEventRecord(s->lane_ev[i], st));
    }
  }
  CUDA_TRY(cudaStreamWaitEvent(s->st, s->cp_ev[pieces], 0));
  if (lanes > 1) {
    CUDA_TRY(cudaEventRecord(s->lane_ev[MAX_LEAD], s->st3));
    CUDA_TRY(cudaStreamWaitEvent(s->st, s->lane_ev[MAX_LEAD], 0));
  }
  return 0;
fail:
  return rc;
}

/* Enqueues the whole network for bucket `bk` on the stream, with the copies
 * of the images in and the logits out unless `kernels_only`; with `ev`,
 * records an event before each block and after the last (as event nodes when
 * captured). With `lead` > 0 (bk->form.lead) the image copy goes in pieces
 * under the first `lead` blocks (enqueue_pieces). Capturable. */
static int enqueue_net(cuda_backend *s, const cuda_bucket *bk, cudaEvent_t *ev, int kernels_only,
                       int lead, char *err, size_t errlen) {
  int rc = 0;
  const int B = bk->batch, classes = s->net->num_classes;
  if (lead > 0 && (rc = enqueue_pieces(s, bk, err, errlen))) return rc;
  if (!kernels_only && lead == 0)
    CUDA_TRY(cudaMemcpyAsync(s->d_img, s->h_img, s->img_bytes * B, cudaMemcpyHostToDevice, s->st));
  for (int i = lead; i < s->n_blocks; i++) {
    if (ev) CUDA_TRY(cudaEventRecordWithFlags(ev[i], s->st, cudaEventRecordExternal));
    if ((rc = cuda_blk_enqueue(&s->blks[i], &bk->plans[i], B, blk_in(s, i, 0), blk_out(s, i, 0),
                               s->d_pooled, s->d_logits, s->st, err, errlen)))
      return rc;
  }
  if (ev) CUDA_TRY(cudaEventRecordWithFlags(ev[s->n_blocks], s->st, cudaEventRecordExternal));
  if (!kernels_only)
    CUDA_TRY(cudaMemcpy2DAsync(s->h_logits, (size_t)classes * 4, s->d_logits, (size_t)s->cls_p * 4,
                               (size_t)classes * 4, B, cudaMemcpyDeviceToHost, s->st));
  return 0;
fail:
  return rc;
}

/* The monotonic clock, in ns. */
static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The best of two timings of plan p (after a warm-up), from the device's
 * events. The stream spins on the device (cuda_spin_launch) while the host
 * enqueues the events and the block: else the first event would be stamped
 * at once on the idle stream, and the time would include the host's work
 * (tensor maps, occupancy queries, launches: several µs a launch, as long as
 * a small batch's kernels, and more for plans of more launches). Each spin
 * is twice the host's time the round before (at least 20 µs); a round whose
 * host time took more than 3/4 of its spin is timed again (up to 4 times). */
static int time_block(cuda_backend *s, int i, const cuda_blk_plan *p, int B, const void *x, void *y,
                      double *best, char *err, size_t errlen) {
  int rc = 0, again = 0;
  long long spin = 20000;
  *best = INFINITY;
  for (int r = 0; r < 3; r++) {
    if (!s->no_spin) CUDA_TRY(cuda_spin_launch(spin, s->st));
    const long long t0 = mono_ns();
    CUDA_TRY(cudaEventRecord(s->ev[0], s->st));
    if ((rc = cuda_blk_enqueue(&s->blks[i], p, B, x, y, s->d_pooled, s->d_logits, s->st, err,
                               errlen)))
      return rc;
    CUDA_TRY(cudaEventRecord(s->ev[1], s->st));
    const long long host = mono_ns() - t0;
    CUDA_TRY(cudaEventSynchronize(s->ev[1]));
    float ms = 0;
    CUDA_TRY(cudaEventElapsedTime(&ms, s->ev[0], s->ev[1]));
    const int retry = !s->no_spin && r > 0 && host * 4 > spin * 3 && again++ < 4;
    spin = host * 2 < 20000 ? 20000 : host * 2 < 20000000 ? host * 2 : 20000000;
    if (retry) {
      r--; /* timed with the host's work in it */
      continue;
    }
    if (r > 0 && ms * 1e-3 < *best) *best = ms * 1e-3; /* first is warm-up */
  }
  return 0;
fail:
  return rc;
}

/* time_block for a candidate the device may refuse to launch (a cluster that
 * cannot be co-scheduled, a launch configuration it rejects): 1 = refused
 * and skipped; a candidate that broke the CUDA context fails (-EIO). */
static int time_candidate(cuda_backend *s, int i, const cuda_blk_plan *p, int B, const void *x,
                          void *y, double *t, char *err, size_t errlen) {
  char why[256];
  if (!time_block(s, i, p, B, x, y, t, why, sizeof why)) return 0;
  (void)cudaGetLastError();                      /* clears a launch-configuration error... */
  const cudaError_t e = cudaDeviceSynchronize(); /* ...but not a sticky one */
  if (e != cudaSuccess) {
    snprintf(err, errlen, "%s: a candidate launch broke the CUDA context: %s (%s)",
             s->blks[i].b->name, cudaGetErrorString(e), why);
    return -EIO;
  }
  return 1;
}

/* Whether launch a runs a depthwise conv that packed fp16 taps (dwh2) apply
 * to: k = 3 or 5, not STAGED. */
static int dwh2_applies(const cuda_mbconv_args *a) {
  return a->mode != CUDA_MB_STAGED && (a->K == 3 || a->K == 5);
}

/* Times plan h of block i and keeps it in *p, lowering *t, where it is
 * faster than *t. */
static int keep_if_faster(cuda_backend *s, int i, int B, const void *x, void *y,
                          const cuda_blk_plan *h, cuda_blk_plan *p, double *t, char *err,
                          size_t errlen) {
  double th;
  int rc = time_block(s, i, h, B, x, y, &th, err, errlen);
  if (rc == 0 && th < *t) *t = th, *p = *h;
  return rc;
}

/* Times one-launch plan p once more with the other depthwise variant (dwh2
 * flipped, where it applies) and keeps that where it is faster. */
static int retime_dwh2(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                       double *t, char *err, size_t errlen) {
  if (p->n != 1 || !dwh2_applies(&p->l[0])) return 0;
  cuda_blk_plan h = *p;
  h.l[0].dwh2 = !h.l[0].dwh2;
  return keep_if_faster(s, i, B, x, y, &h, p, t, err, errlen);
}

/* BLOCKFUSE_CUDA_TUNE_LOG=1: one PASS1 launch's depthwise shape and time (t),
 * against the best so far (`best`: "best 12.3") or as the ranked winner
 * ("ranked"); bench/tune_table.py --dw tables them. */
static void log_dw(const cuda_backend *s, int i, int B, const cuda_mbconv_args *a, double t,
                   const char *vs) {
  if (s->tune_log)
    fprintf(stderr, "tune %s batch %d: pass1 tile %dx%d cc %d%s dwrows %d: %.1f us (%s)\n",
            s->blks[i].b->name, B, a->TH, a->TW, a->CC, a->wide ? " wide" : "", a->dwrows, t * 1e6,
            vs);
}

/* The same for the depthwise conv's thread shape, dwrows = rows (0: one
 * pixel, 1: two rows, 2: 2 x 2 blocks, 3: 8 channels per thread, 4 and 5:
 * strips of 7 pixels by one or two rows), where the launch would run it;
 * with force, kept whatever its time. */
static int retime_dwrows(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                         int rows, int force, double *t, char *err, size_t errlen) {
  cuda_blk_plan h = *p;
  h.l[0].dwrows = rows;
  /* one pixel: only where the others apply (else the plan runs it already) */
  if (p->n != 1 || !(rows ? cuda_mbconv_dw_shape(&h.l[0]) == rows : cuda_mbconv_dwrows_ok(&h.l[0])))
    return 0;
  double th;
  const int rc = time_block(s, i, &h, B, x, y, &th, err, errlen);
  if (rc) return rc;
  char vs[32];
  snprintf(vs, sizeof vs, "best %.1f", *t * 1e6);
  log_dw(s, i, B, &h.l[0], th, vs);
  if (th < *t || force) *t = th, *p = h;
  return 0;
}

/* ... and, where the plan runs dw_vec, dw_run with each run length. */
static int retime_dwrun(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                        double *t, char *err, size_t errlen) {
  static const int runs[] = {2, 4, 7};
  if (p->n != 1 || s->no_dwrun || cuda_mbconv_dw_shape(&p->l[0]) != 3) return 0;
  const cuda_blk_plan p0 = *p;
  for (int r = 0; r < 3; r++) {
    cuda_blk_plan h = p0;
    h.l[0].dwrun = runs[r];
    if (!cuda_mbconv_dwrun_ok(&h.l[0])) continue;
    double th;
    const int rc = time_block(s, i, &h, B, x, y, &th, err, errlen);
    if (rc) return rc;
    if (s->tune_log)
      fprintf(stderr, "tune %s batch %d: pass1 tile %dx%d cc %d%s dwrun %d: %.1f us (best %.1f)\n",
              s->blks[i].b->name, B, h.l[0].TH, h.l[0].TW, h.l[0].CC, h.l[0].wide ? " wide" : "",
              runs[r], th * 1e6, *t * 1e6);
    if (th < *t) *t = th, *p = h;
  }
  return 0;
}

/* ... and PASS1 of a block without expansion as dw_direct.cu's kernel (or
 * the recomputing pass 2 as its dw_proj_kernel), on the same tiles and on
 * larger ones: it keeps no input tile in shared memory, so its tile sets
 * only how many strips a CTA walks against its fixed costs (the taps'
 * weights, the channel sums or the projection's weights; the tiles' halos
 * come from L1). */
static int retime_dwdirect(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                           double *t, char *err, size_t errlen) {
  static const int ths[] = {0, 16, 32, 4, 8, 16, 32}, tws[] = {0, 32, 32, 0, 0, 0, 0}; /* 0: Wo */
  enum { NT = sizeof ths / sizeof ths[0] };
  int tried[NT][2], ntried = 0;
  const cuda_blk_plan p0 = *p;
  if (p0.n != 1 || s->no_dwdirect) return 0;
  for (int k = 0; k < NT; k++) {
    cuda_blk_plan h = p0;
    cuda_mbconv_args *l = &h.l[0];
    l->dwdirect = 1, l->lowreg = l->wide = 0;
    if (k > 0) { /* larger tiles only: those are what cut the fixed costs */
      const int hh = ths[k] < l->Ho ? ths[k] : l->Ho;
      const int ww = tws[k] && tws[k] < l->Wo ? tws[k] : l->Wo;
      int dup = hh * ww <= p0.l[0].TH * p0.l[0].TW;
      for (int j = 0; j < ntried; j++) dup |= tried[j][0] == hh && tried[j][1] == ww;
      if (dup) continue;
      l->TH = hh, l->TW = ww;
      l->tiles_y = (l->Ho + hh - 1) / hh, l->tiles_x = (l->Wo + ww - 1) / ww;
    }
    if (!cuda_mbconv_dwdirect_ok(l)) { /* on the plan's tile: not at all; else that tile */
      if (k == 0) return 0;
      continue;
    }
    tried[ntried][0] = l->TH, tried[ntried++][1] = l->TW;
    double th;
    const int rc = time_block(s, i, &h, B, x, y, &th, err, errlen);
    if (rc) return rc;
    if (s->tune_log)
      fprintf(stderr, "tune %s batch %d: %s dwdirect tile %dx%d: %.1f us (best %.1f)\n",
              s->blks[i].b->name, B, l->mode == CUDA_MB_PASS1 ? "pass1" : "pass2", l->TH, l->TW,
              th * 1e6, *t * 1e6);
    if (th < *t) *t = th, *p = h;
  }
  return 0;
}

/* ... and PASS1 as mbconv_wg.cu's kernel (an image per CTA) with its chunks
 * of 64 channels split 1, 2, 3 or 4 ways over the grid (more CTAs at small
 * batches, shorter tails at large ones), where it applies. */
static int retime_wgx(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                      double *t, char *err, size_t errlen) {
  const cuda_blk_plan p0 = *p;
  if (p0.n != 1 || !s->wgx || !s->caps.wg) return 0;
  for (int z = 1; z <= 4; z++) {
    cuda_blk_plan h = p0;
    cuda_mbconv_args *l = &h.l[0];
    cuda_mbconv_wgx_set(l, z);
    if (!cuda_mbconv_wgx_ok(l)) continue;
    double th;
    const int rc = time_block(s, i, &h, B, x, y, &th, err, errlen);
    if (rc) return rc;
    if (s->tune_log)
      fprintf(stderr, "tune %s batch %d: pass1 wgx z %d: %.1f us (best %.1f)\n", s->blks[i].b->name,
              B, z, th * 1e6, *t * 1e6);
    if (th < *t || (s->wgx == 2 && !p->l[0].wgx)) *t = th, *p = h;
  }
  return 0;
}

/* The pass-2 GEMM's form as the tuner's log and the plan's description name
 * it: " stream", " bulk", " wg", " narrow" for those set (tune_table.py
 * parses the log's). Returns buf. */
static const char *gate_proj_form(const cuda_mbconv_args *a, char *buf, size_t len) {
  snprintf(buf, len, "%s%s%s%s", a->stream ? " stream" : "", a->bulk ? " bulk" : "",
           a->wg ? " wg" : "", a->narrow ? " narrow" : "");
  return buf;
}

/* Times the GEMM candidates of pass 2 (cuda_plan_gate_proj_cands) alone and
 * keeps the fastest in out->l[which] where it beats *t_out. `tiled` is the
 * one-launch plan of the image-tile kernel the tuner chose. */
static int tune_gate_proj(cuda_backend *s, int i, int B, const void *x, void *y,
                          const cuda_blk_plan *tiled, cuda_blk_plan *out, int which, double *t_out,
                          char *err, size_t errlen) {
  cuda_mbconv_args c[CUDA_GATE_PROJ_CANDS];
  const int n = cuda_plan_gate_proj_cands(&tiled->l[0], B, &s->caps, 0, !s->no_ksplit, c,
                                          CUDA_GATE_PROJ_CANDS);
  for (int k = 0; k < n; k++) {
    if ((c[k].stream && s->no_stream) || (c[k].bulk && s->no_bulk) || (c[k].wg && s->no_wg) ||
        (c[k].narrow && s->no_narrow))
      continue;
    cuda_blk_plan g = *tiled;
    g.l[0] = c[k];
    double t;
    int rc = time_candidate(s, i, &g, B, x, y, &t, err, errlen);
    if (rc < 0) return rc;
    char form[64];
    if (s->tune_log)
      fprintf(stderr, "tune %s batch %d: pass-2 gemm %d rows, z %d, ksplit %d%s: %s%.1f us\n",
              s->blks[i].b->name, B, c[k].gemm, cuda_mbconv_z(&c[k]), cuda_gate_proj_ks(&c[k]),
              gate_proj_form(&c[k], form, sizeof form), rc ? "failed " : "", rc ? 0. : t * 1e6);
    if (rc == 0 && t < *t_out) *t_out = t, out->l[which] = c[k];
  }
  return 0;
}

/* The staged plan p (PASS1, pass 2) with the SE MLP inside the pass-2 GEMM
 * instead of its own kernel (sefuse): every GEMM candidate with it, timed as
 * whole plans against p timed the same way; keeps the fastest in p and
 * scales *t (p's time as the sum of its launches) by the gain. */
static int tune_sefuse(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                       double *t, char *err, size_t errlen) {
  if (p->n != 2 || p->l[1].mode != CUDA_MB_STAGED || s->no_gemm || s->no_sefuse) return 0;
  cuda_mbconv_args c[CUDA_GATE_PROJ_CANDS];
  const int n =
      cuda_plan_gate_proj_cands(&p->l[1], B, &s->caps, 1, !s->no_ksplit, c, CUDA_GATE_PROJ_CANDS);
  double base, best;
  int rc = time_block(s, i, p, B, x, y, &base, err, errlen);
  best = base;
  for (int k = 0; k < n && rc >= 0; k++) {
    cuda_blk_plan h = *p;
    double th;
    h.l[1] = c[k];
    if (!(rc = time_candidate(s, i, &h, B, x, y, &th, err, errlen)) && th < best) best = th, *p = h;
  }
  if (rc < 0) return rc;
  if (best < base) *t *= best / base;
  return 0;
}

/* Launch `which` (0 or 1) of the candidates planned under each shared-memory
 * cap (1..4 CTAs per SM): times the distinct ones alone (those holding one
 * accumulator tile per warp also as the 64-register variant, where 4 CTAs
 * fit, and launches of one CTA per SM also with 16 warps) with packed
 * fp16 depthwise taps and the 2 x 2-block depthwise conv where they apply
 * (the usual winners), then the fastest again with the other tap form and
 * thread shapes, and keeps the fastest in *out. The
 * other launch of the plan is taken from `base`. */
static int tune_launch(cuda_backend *s, int i, int B, int staged, int which, const void *x, void *y,
                       cuda_blk_plan *out, double *t_out, char *err, size_t errlen) {
  int rc;
  cuda_mbconv_args seen[20];
  cuda_blk_plan best = {0};
  int nseen = 0;
  *t_out = INFINITY;
  /* the planner's best tile under 1..4 CTAs per SM, and under each cap the
     best tile of every chunk width (the cost model ranks those least well) */
  static const int ccs[5] = {0, 16, 32, 64, 128};
  for (int k = 1; k <= 4; k++) {
    const size_t cap = s->caps.smem_per_sm / (size_t)k - 1024;
    cuda_blk_plan p;
    if ((rc = cuda_blk_plan_mbconv(&s->blks[i], B, staged, &s->caps, which == 0 ? cap : 0,
                                   which == 1 ? cap : 0, &p, err, errlen))) {
      if (k == 1) return rc;
      err[0] = 0; /* a smaller cap may not fit: keep what we have */
      break;
    }
    for (int q = 0; q < 5; q++) {
      cuda_mbconv_args c = p.l[which];
      char why[256];
      if (ccs[q] && cuda_plan_mbconv_cc(&c, B, &s->caps, cap, ccs[q], why, sizeof why)) continue;
      int dup = 0;
      for (int j = 0; j < nseen; j++)
        dup |= seen[j].TH == c.TH && seen[j].TW == c.TW && seen[j].CC == c.CC &&
               seen[j].zsplit == c.zsplit;
      if (dup) continue;
      seen[nseen++] = c;
      cuda_blk_plan one = p;
      one.l[0] = c, one.l[0].sums = s->d_sums, one.n = 1;
      one.l[0].dwh2 = dwh2_applies(&c);
      /* the 64-register variant too, where its 4 CTAs per SM fit in shared
         memory, and 16 warps where only one CTA per SM fits */
      const size_t need = cuda_mbconv_smem(&c) + 1024;
      const int lowreg_ok = cuda_mbconv_nf(&c) == 1 && need * 4 <= s->caps.smem_per_sm;
      cuda_mbconv_args w = c;
      w.wide = 1;
      const int wide_ok = need * 2 > s->caps.smem_per_sm && cuda_mbconv_nf(&w) <= 4 &&
                          cuda_mbconv_smem(&w) <= s->caps.smem_optin && !s->no_wide;
      for (int v = 0; v < 3; v++) {
        if ((v == 1 && !lowreg_ok) || (v == 2 && !wide_ok)) continue;
        one.l[0].lowreg = v == 1, one.l[0].wide = v == 2;
        /* the 8-channel depthwise conv where it applies, else the 2 x 2-block
           one (the usual winners), so tiles are ranked with it */
        one.l[0].dwrows = s->no_dwrows ? 0 : 3;
        if (one.l[0].dwrows == 3 && (s->no_dwvec || !cuda_mbconv_dwvec_ok(&one.l[0])))
          one.l[0].dwrows = s->no_dwquads ? 0 : 2;
        if (one.l[0].dwrows == 2 && !cuda_mbconv_dwquads_ok(&one.l[0])) one.l[0].dwrows = 0;
        double t;
        if ((rc = time_block(s, i, &one, B, x, y, &t, err, errlen))) return rc;
        if (t < *t_out) {
          *t_out = t;
          out->l[which] = one.l[0];
          best = one;
        }
      }
    }
  }
  /* then the winner with the other depthwise variants */
  if ((rc = retime_dwh2(s, i, B, x, y, &best, t_out, err, errlen))) return rc;
  if (best.n == 1) log_dw(s, i, B, &best.l[0], *t_out, "ranked");
  /* the others of one pixel, two rows, 2 x 2 blocks, 8 channels, strips */
  const int rows0 = best.l[0].dwrows;
  for (int rows = 0; rows < 6 && !s->no_dwrows; rows++)
    if (rows != rows0 && (rows != 2 || !s->no_dwquads) && (rows != 3 || !s->no_dwvec) &&
        (rows < 4 || !s->no_dwstrips) &&
        (rc = retime_dwrows(s, i, B, x, y, &best, rows, 0, t_out, err, errlen)))
      return rc;
  /* BLOCKFUSE_CUDA_DWROWS=1..5: that shape wherever it applies (profiling, A/B) */
  if (s->force_dwrows > 0 && best.l[0].dwrows != s->force_dwrows &&
      (rc = retime_dwrows(s, i, B, x, y, &best, s->force_dwrows, 1, t_out, err, errlen)))
    return rc;
  if ((rc = retime_dwrun(s, i, B, x, y, &best, t_out, err, errlen))) return rc;
  if ((rc = retime_dwdirect(s, i, B, x, y, &best, t_out, err, errlen))) return rc;
  if ((rc = retime_wgx(s, i, B, x, y, &best, t_out, err, errlen))) return rc;
  if (best.n == 1) out->l[which] = best.l[0];
  if (best.n == 1 && best.l[0].mode == CUDA_MB_STAGED && !s->no_gemm)
    return tune_gate_proj(s, i, B, x, y, &best, out, which, t_out, err, errlen);
  return 0;
}

/* Runs plan p of block i (x -> y) and copies y's n fp16 values to host. */
static int run_fetch(cuda_backend *s, int i, const cuda_blk_plan *p, int B, const void *x, void *y,
                     uint16_t *host, size_t n, char *err, size_t errlen) {
  int rc = 0;
  if ((rc =
           cuda_blk_enqueue(&s->blks[i], p, B, x, y, s->d_pooled, s->d_logits, s->st, err, errlen)))
    return rc;
  CUDA_TRY(cudaStreamSynchronize(s->st));
  CUDA_TRY(cudaMemcpy(host, y, n * 2, cudaMemcpyDeviceToHost));
fail:
  return rc;
}

/* Checks the chosen cluster plan against the tiled plan on the same input:
 * the mode has not been validated on a GPU yet, so a wrong result must stop
 * create() rather than be served. */
static int verify_cluster(cuda_backend *s, int i, int B, const void *x, void *y,
                          const cuda_blk_plan *tiled, const cuda_blk_plan *cl, char *err,
                          size_t errlen) {
  const size_t n = (size_t)B * (size_t)s->blks[i].out_elems;
  uint16_t *ref = malloc(n * 2), *got = malloc(n * 2);
  int rc = ref && got ? 0 : -ENOMEM;
  if (rc) snprintf(err, errlen, "out of memory");
  if (!rc) rc = run_fetch(s, i, tiled, B, x, y, ref, n, err, errlen);
  if (!rc) rc = run_fetch(s, i, cl, B, x, y, got, n, err, errlen);
  if (!rc) {
    double d2 = 0, r2 = 0;
    for (size_t k = 0; k < n; k++) {
      const double r = cuda_f16_to_f32(ref[k]), g = cuda_f16_to_f32(got[k]);
      d2 += (g - r) * (g - r), r2 += r * r;
    }
    const double rel = sqrt(d2 / (r2 > 0 ? r2 : 1));
    if (!(rel < 2e-2)) {
      snprintf(err, errlen,
               "%s: the cluster mode (cl %d, cc %d) disagrees with the tiled plan at batch %d "
               "(rel err %.3g); unset BLOCKFUSE_CUDA_CLUSTER",
               s->blks[i].b->name, cl->l[0].cl, cl->l[0].CC, B, rel);
      rc = -EPROTO;
    }
  }
  free(ref), free(got);
  return rc;
}

/* The one-pass cluster mode, where the image fits one tile: times every
 * cluster size (1, 2, 4, 8 CTAs per image) and chunk (16, 32, 64 channels)
 * that fits, then the fastest with packed fp16 depthwise taps, and checks the
 * winner's output against the tiled plan's. A candidate whose launch is
 * refused (a cluster that cannot be co-scheduled) is skipped; one that breaks
 * the CUDA context fails create(). *t_out stays INFINITY where none applies.
 * Opt-in (BLOCKFUSE_CUDA_CLUSTER=1) until the mode has been validated on a
 * GPU: see docs/cuda-backend.md. */
static int tune_cluster(cuda_backend *s, int i, int B, const void *x, void *y,
                        const cuda_blk_plan *tiled, cuda_blk_plan *out, double *t_out, char *err,
                        size_t errlen) {
  static const int cls[] = {1, 2, 4, 8}, ccs[] = {16, 32, 64};
  *t_out = INFINITY;
  if (!s->try_cluster) return 0;
  for (unsigned a = 0; a < sizeof cls / sizeof cls[0]; a++) {
    for (unsigned b = 0; b < sizeof ccs / sizeof ccs[0]; b++) {
      cuda_blk_plan p;
      char why[256];
      if (cuda_blk_plan_cluster(&s->blks[i], cls[a], ccs[b], &s->caps, &p, why, sizeof why))
        continue;
      double t;
      const int rc = time_candidate(s, i, &p, B, x, y, &t, err, errlen);
      if (rc < 0) return rc;
      if (rc == 0 && t < *t_out) *t_out = t, *out = p;
    }
  }
  if (*t_out == INFINITY) return 0;
  int rc = retime_dwh2(s, i, B, x, y, out, t_out, err, errlen);
  return rc ? rc : verify_cluster(s, i, B, x, y, tiled, out, err, errlen);
}

/* A pixel-tile launch's kernel, as BLOCKFUSE_CUDA_PX names it: 1 the tile
 * kernel (px_kernel), 2 the row-warp one, 3 the warpgroup-MMA ones. */
static int px_kind(const cuda_px_args *a) {
  return a->wg ? 3 : a->rw ? 2 : 1;
}

/* The kernel of a pixel-tile launch, for the tuner's log and the plans'
 * description. */
static const char *px_kind_name(const cuda_px_args *a) {
  static const char *const wg[] = {"mlp", "mlp wg1", "mlp wg2", "mlp wgn"};
  return a->mode == CUDA_PX_CONV ? "conv" : a->rw ? "mlp rw" : wg[a->wg & 3];
}

/* A pixel-tile block (px_block.cu): times every launch shape that fits
 * (cuda_plan_px_cands) and keeps the fastest in p->px. */
static int tune_px(cuda_backend *s, int i, int B, const void *x, void *y, cuda_blk_plan *p,
                   char *err, size_t errlen) {
  cuda_px_args c[CUDA_PX_CANDS];
  const int nc = cuda_plan_px_cands(&s->blks[i].px, B, &s->caps, c, CUDA_PX_CANDS);
  /* BLOCKFUSE_CUDA_PX: one kernel kind's launches, where the block has any */
  int kind_ok = 0;
  for (int k = 0; k < nc; k++) kind_ok |= 1 << px_kind(&c[k]);
  const int only = s->px_only && (kind_ok & 1 << s->px_only) ? s->px_only : 0;
  double best = INFINITY;
  for (int k = 0; k < nc; k++) {
    if ((only && px_kind(&c[k]) != only) || (c[k].wg && s->no_wg)) continue;
    cuda_blk_plan h = {0};
    double t;
    h.px = c[k];
    const int rc = time_candidate(s, i, &h, B, x, y, &t, err, errlen);
    if (rc < 0) return rc;
    if (s->tune_log)
      fprintf(stderr, "tune %s b%d px %s ncol %d ch %d hs %d: %s %.1f us\n", s->blks[i].b->name, B,
              px_kind_name(&c[k]), cuda_px_ncol(&c[k]), cuda_px_ch(&c[k]), c[k].hs,
              rc ? "refused" : "", rc ? 0. : t * 1e6);
    if (rc == 0 && t < best) best = t, *p = h;
  }
  if (best == INFINITY) {
    snprintf(err, errlen, "%s: no pixel-tile launch ran", s->blks[i].b->name);
    return -EIO;
  }
  return 0;
}

/* Plans every block for bucket bk by measurement: for each MBConv block the
 * planner's best tile under 1..4 CTAs per SM is timed, launch by launch, on
 * the real activations (the stem and earlier blocks have just run on random
 * images); squeeze-excite blocks also time the staged and the recomputing
 * pass 2 and keep the faster pair; small images also time the one-pass
 * cluster mode; each pixel-tile block times its launch shapes (tune_px). */
static int plan_bucket(cuda_backend *s, cuda_bucket *bk, char *err, size_t errlen) {
  int rc = 0;
  const int B = bk->batch;
  bk->plans = calloc((size_t)s->n_blocks, sizeof *bk->plans);
  if (!bk->plans) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  for (int i = 0; i < s->n_blocks; i++) {
    cuda_blk *blk = &s->blks[i];
    const void *x = blk_in(s, i, 0);
    void *y = blk_out(s, i, 0);
    if (blk->b->kind == MODEL_BLOCK_MBCONV) {
      const int variants = blk->mb.se_c > 0 ? 2 : 1;
      cuda_blk_plan cand[2];
      double t[2] = {INFINITY, INFINITY};
      for (int v = 0; v < variants; v++) {
        if ((rc = cuda_blk_plan_mbconv(blk, B, v, &s->caps, 0, 0, &cand[v], err, errlen)))
          return rc;
        for (int k = 0; k < cand[v].n; k++) cand[v].l[k].sums = s->d_sums;
        double t1 = 0, t2 = 0;
        if ((rc = tune_launch(s, i, B, v, 0, x, y, &cand[v], &t1, err, errlen))) return rc;
        if (cand[v].n > 1) {
          /* pass 2 reads what pass 1 wrote (gate, staged tensor) */
          cuda_blk_plan first = cand[v];
          first.n = 1;
          if ((rc = cuda_blk_enqueue(blk, &first, B, x, y, s->d_pooled, s->d_logits, s->st, err,
                                     errlen)))
            return rc;
          if ((rc = tune_launch(s, i, B, v, 1, x, y, &cand[v], &t2, err, errlen))) return rc;
        }
        t[v] = t1 + t2;
        if (v == 1 && (rc = tune_sefuse(s, i, B, x, y, &cand[v], &t[v], err, errlen))) return rc;
      }
      bk->plans[i] = cand[variants > 1 && t[1] < t[0] ? 1 : 0];
      double tcl;
      cuda_blk_plan cl;
      if ((rc = tune_cluster(s, i, B, x, y, &bk->plans[i], &cl, &tcl, err, errlen))) return rc;
      if (tcl < (t[0] < t[1] ? t[0] : t[1])) bk->plans[i] = cl;
    } else if (blk->px_on) {
      if ((rc = tune_px(s, i, B, x, y, &bk->plans[i], err, errlen))) return rc;
    }
    if ((rc = cuda_blk_enqueue(blk, &bk->plans[i], B, x, y, s->d_pooled, s->d_logits, s->st, err,
                               errlen)))
      return rc;
  }
  CUDA_TRY(cudaStreamSynchronize(s->st));
  return 0;
fail:
  return rc;
}

/* Captures one of the bucket's graphs once: bk->exec (CAPTURE_NET, in the
 * form bk->form), whose replays are the hot path; bk->kexec
 * (CAPTURE_KERNELS), without the copies; bk->pexec (CAPTURE_PROFILED), with
 * the events between blocks. */
enum { CAPTURE_NET, CAPTURE_KERNELS, CAPTURE_PROFILED };
static int capture_bucket(cuda_backend *s, cuda_bucket *bk, int which, char *err, size_t errlen) {
  int rc = 0;
  cudaGraph_t g = NULL;
  cudaGraphExec_t *exec = which == CAPTURE_KERNELS    ? &bk->kexec
                          : which == CAPTURE_PROFILED ? &bk->pexec
                                                      : &bk->exec;
  CUDA_TRY(cudaStreamBeginCapture(s->st, cudaStreamCaptureModeThreadLocal));
  rc = enqueue_net(s, bk, which == CAPTURE_PROFILED ? s->ev : NULL, which == CAPTURE_KERNELS,
                   which == CAPTURE_NET ? bk->form.lead : 0, err, errlen);
  {
    cudaError_t e = cudaStreamEndCapture(s->st, &g);
    if (rc) goto fail;
    CUDA_TRY(e);
  }
  CUDA_TRY(cudaGraphInstantiate(exec, g, 0));
  CUDA_TRY(cudaGraphUpload(*exec, s->st));
fail:
  if (g) cudaGraphDestroy(g);
  return rc;
}

/* The median of n timings (sorted in place: insertion sort, n is small). */
static float median_ms(float *ms, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && ms[j] < ms[j - 1]; j--) {
      const float t = ms[j];
      ms[j] = ms[j - 1], ms[j - 1] = t;
    }
  return ms[n / 2];
}

/* The median device time of `iters` replays of exec (after one), in *ms. */
static int replay_ms(cuda_backend *s, cudaGraphExec_t exec, int iters, float *ms, double *med,
                     char *err, size_t errlen) {
  int rc = 0;
  CUDA_TRY(cudaGraphLaunch(exec, s->st));
  for (int i = 0; i < iters; i++) {
    CUDA_TRY(cudaEventRecord(s->ev[0], s->st));
    CUDA_TRY(cudaGraphLaunch(exec, s->st));
    CUDA_TRY(cudaEventRecord(s->ev[1], s->st));
    CUDA_TRY(cudaEventSynchronize(s->ev[1]));
    CUDA_TRY(cudaEventElapsedTime(&ms[i], s->ev[0], s->ev[1]));
  }
  *med = median_ms(ms, iters);
fail:
  return rc;
}

/* The forms the planner tries for bucket bk, into f (at most max): the one
 * copy, and for each count of pieces copy_pieces gives, 1 to PIECE_BLOCKS
 * blocks run piece by piece under the copy (lead_max;
 * BLOCKFUSE_CUDA_PIECE_BLOCKS=L: L only) on one lane and on two
 * (BLOCKFUSE_CUDA_PIECE_LANES=N: N only), where cuda_pieces_keep and, on two
 * lanes, lanes_ok allow. The one copy where the switches force nothing that
 * can run. */
static int graph_forms(const cuda_backend *s, const cuda_bucket *bk, graph_form *f, int max) {
  int counts[3], n = 0;
  const int n_counts = copy_pieces(s, bk->batch, counts);
  const int lane_lo = s->piece_lanes ? s->piece_lanes : 1;
  const int lane_hi = s->piece_lanes ? s->piece_lanes : 2;
  const int want = s->piece_blocks > 0 ? s->piece_blocks : PIECE_BLOCKS;
  for (int c = 0; c < n_counts; c++) {
    if (counts[c] == 1) {
      if (n < max) f[n++] = (graph_form){1, 1, 0};
      continue;
    }
    for (int lanes = lane_lo; lanes <= lane_hi; lanes++) {
      const int top = lead_max(s, bk, counts[c], want, lanes);
      for (int L = s->piece_blocks > 0 ? top : 1; L <= top && n < max; L++)
        if (pieces_keep(s, L, lanes) && (lanes == 1 || lanes_ok(s, bk, counts[c], L)))
          f[n++] = (graph_form){counts[c], lanes, L};
    }
  }
  if (n == 0) f[n++] = (graph_form){1, 1, 0};
  return n;
}

/* The bucket's hot-path graph: the planner captures each of graph_forms'
 * forms, times its replays, copies included, and keeps the fastest
 * (bk->form); a single form is captured untimed. The more pieces and the
 * deeper, the more of the copy is hidden, but the blocks run at the smaller
 * batch of a piece, which two lanes partly make up for; at small batches
 * that costs more than it hides. */
enum { LEAD_ITERS = 7, MAX_LEAD_ITERS = 64, MAX_FORMS = 3 * 2 * MAX_LEAD + 1 };
static int capture_net(cuda_backend *s, cuda_bucket *bk, char *err, size_t errlen) {
  graph_form f[MAX_FORMS];
  const int n = graph_forms(s, bk, f, MAX_FORMS);
  const int iters = s->lead_iters ? s->lead_iters : LEAD_ITERS;
  float ms[MAX_LEAD_ITERS];
  double best = INFINITY;
  int rc = 0, kept = 0;
  for (int i = 0; i < n; i++) {
    const cudaGraphExec_t prev = bk->exec;
    double t = 0;
    bk->exec = NULL, bk->form = f[i];
    if (!(rc = capture_bucket(s, bk, CAPTURE_NET, err, errlen)) && n > 1)
      rc = replay_ms(s, bk->exec, iters, ms, &t, err, errlen);
    if (rc) {
      if (prev) cudaGraphExecDestroy(prev);
      return rc;
    }
    if (t < best) {
      best = t, kept = i;
      if (prev) cudaGraphExecDestroy(prev);
    } else {
      cudaGraphExecDestroy(bk->exec);
      bk->exec = prev;
    }
  }
  bk->form = f[kept];
  return 0;
}

/* The roofline: a device-to-device copy (read + write bytes) and the
 * tensor-core loop, best of a few, unless cfg overrides them. */
static int measure_peaks(cuda_backend *s, const model_backend_config *cfg, char *err,
                         size_t errlen) {
  int rc = 0;
  void *a = NULL, *b = NULL;
  float *sink = NULL;
  s->peak_flops = cfg->peak_flops, s->peak_bw = cfg->peak_bw;
  if (s->peak_bw <= 0) {
    const size_t bytes = 256u << 20;
    CUDA_TRY(cudaMalloc(&a, bytes));
    CUDA_TRY(cudaMalloc(&b, bytes));
    CUDA_TRY(cudaMemset(a, 0x5a, bytes));
    double best = INFINITY;
    for (int r = 0; r < 4; r++) {
      CUDA_TRY(cudaEventRecord(s->ev[0], s->st));
      CUDA_TRY(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, s->st));
      CUDA_TRY(cudaEventRecord(s->ev[1], s->st));
      CUDA_TRY(cudaEventSynchronize(s->ev[1]));
      float ms;
      CUDA_TRY(cudaEventElapsedTime(&ms, s->ev[0], s->ev[1]));
      if (r > 0 && ms < best) best = ms;
    }
    s->peak_bw = 2.0 * bytes / (best * 1e-3);
  }
  if (s->peak_flops <= 0) {
    CUDA_TRY(cudaMalloc((void **)&sink, CUDA_THREADS * 4));
    double best = INFINITY, flops = 0;
    for (int r = 0; r < 4; r++) {
      CUDA_TRY(cudaEventRecord(s->ev[0], s->st));
      CUDA_TRY(cuda_tc_loop_launch(s->caps.sms * 4, 4096, sink, &flops, s->st));
      CUDA_TRY(cudaEventRecord(s->ev[1], s->st));
      CUDA_TRY(cudaEventSynchronize(s->ev[1]));
      float ms;
      CUDA_TRY(cudaEventElapsedTime(&ms, s->ev[0], s->ev[1]));
      if (r > 0 && ms < best) best = ms;
    }
    s->peak_flops = flops / (best * 1e-3);
  }
fail:
  cudaFree(a), cudaFree(b), cudaFree(sink);
  return rc;
}

static void cuda_destroy(void *self);

/* Allocates the device buffers; sizes come from every block's shapes. */
static int alloc_buffers(cuda_backend *s, size_t sums_per_img, char *err, size_t errlen) {
  int rc = 0;
  const int M = s->max_batch;
  size_t act = 0, stage = 0, cmid = 16;
  for (int i = 0; i < s->n_blocks; i++) {
    const cuda_blk *b = &s->blks[i];
    if (b->b->kind != MODEL_BLOCK_HEAD && (size_t)b->out_elems > act) act = (size_t)b->out_elems;
    if (b->b->kind == MODEL_BLOCK_MBCONV) {
      const size_t st = (size_t)b->mb.Ho * b->mb.Wo * b->mb.CmidP;
      if (b->mb.se_c > 0 && st > stage) stage = st;
      if ((size_t)b->mb.CmidP > cmid) cmid = (size_t)b->mb.CmidP;
    }
  }
  size_t pxpart = 0; /* the px blocks' split sums (hs): fewer row tiles than SMs */
  for (int i = 0; i < s->n_blocks; i++) {
    const cuda_blk *b = &s->blks[i];
    if (b->px_on && (size_t)b->px.CoutP > pxpart) pxpart = (size_t)b->px.CoutP;
  }
  pxpart *= (size_t)s->caps.sms * CUDA_PX_M_RW * 4;
  const cuda_blk *head = &s->blks[s->n_blocks - 1];
  s->cls_p = head->fc.NP;
  CUDA_TRY(cudaMalloc(&s->d_img, s->img_bytes * M));
  CUDA_TRY(cudaMemset(s->d_img, 0, s->img_bytes * M));
  for (int k = 0; k < 2; k++) {
    CUDA_TRY(cudaMalloc(&s->d_act[k], act * M * 2));
    CUDA_TRY(cudaMemset(s->d_act[k], 0, act * M * 2));
  }
  s->sums_img = sums_per_img, s->stage_img = stage, s->scale_img = cmid;
  CUDA_TRY(cudaMalloc(&s->d_stage, (stage ? stage : 8) * M * 2));
  CUDA_TRY(cudaMalloc(&s->d_sums, (sums_per_img ? sums_per_img : 1) * M * 4));
  CUDA_TRY(cudaMalloc(&s->d_scale, cmid * M * 4));
  CUDA_TRY(cudaMalloc(&s->d_pooled, (size_t)cuda_pad16(M) * head->head.ChP * 2));
  CUDA_TRY(cudaMemset(s->d_pooled, 0, (size_t)cuda_pad16(M) * head->head.ChP * 2));
  CUDA_TRY(cudaMalloc((void **)&s->d_logits, (size_t)cuda_pad16(M) * s->cls_p * 4));
  CUDA_TRY(cudaMalloc((void **)&s->d_fcpart,
                      (size_t)CUDA_GEMM_MAX_SPLIT * cuda_pad16(M) * s->cls_p * 4));
  CUDA_TRY(cudaMalloc((void **)&s->d_poolsum, (size_t)M * head->head.ChP * 4));
  CUDA_TRY(cudaMemset(s->d_poolsum, 0, (size_t)M * head->head.ChP * 4));
  if (pxpart) {
    CUDA_TRY(cudaMalloc((void **)&s->d_pxpart, pxpart));
    CUDA_TRY(cudaMemset(s->d_pxpart, 0, pxpart));
    for (int i = 0; i < s->n_blocks; i++) s->blks[i].px.part = s->d_pxpart;
  }
  s->blks[s->n_blocks - 1].fc.part = s->d_fcpart;
  s->blks[s->n_blocks - 1].head.pool_sum = s->d_poolsum;
  CUDA_TRY(cudaHostAlloc((void **)&s->h_img, s->img_bytes * M, cudaHostAllocDefault));
  CUDA_TRY(cudaHostAlloc((void **)&s->h_logits, (size_t)M * s->net->num_classes * 4,
                         cudaHostAllocDefault));
  for (int i = 0; i < s->n_blocks; i++) {
    cuda_mbconv_args *m = &s->blks[i].mb;
    m->stage = s->d_stage, m->sums = s->d_sums, m->scale = s->d_scale;
    m->f32exp = s->f32exp;
  }
fail:
  return rc;
}

/* A count from the environment (BLOCKFUSE_CUDA_PIECES, _PIECE_BLOCKS,
 * _PIECE_LANES, _LEAD_ITERS): 0 where unset or empty, else a whole number
 * from 1 to hi, or -EINVAL with a message naming it. */
static int env_count(const char *name, int hi, int *out, char *err, size_t errlen) {
  const char *v = getenv(name);
  char *end = NULL;
  *out = 0;
  if (!v || !*v) return 0;
  const long n = strtol(v, &end, 10);
  if (*end || n < 1 || n > hi) {
    snprintf(err, errlen, "%s=%s: not a whole number from 1 to %d", name, v, hi);
    return -EINVAL;
  }
  *out = (int)n;
  return 0;
}

static int cuda_create(const model_net *net, const model_backend_config *cfg, void **self,
                       char *err, size_t errlen) {
  int rc = 0;
  cuda_backend *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  s->net = net, s->device = cfg->device, s->profile_every = cfg->profile_every;
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  s->copy_threads = cfg->threads > 0       ? cfg->threads
                    : cores < COPY_THREADS ? (int)cores
                                           : COPY_THREADS;
  s->try_cluster = cuda_env_is("BLOCKFUSE_CUDA_CLUSTER", "1");
  s->no_wide = cuda_env_is("BLOCKFUSE_CUDA_WIDE", "0");
  s->no_gemm = cuda_env_is("BLOCKFUSE_CUDA_GEMM", "0");
  s->no_dwrows = cuda_env_is("BLOCKFUSE_CUDA_DWROWS", "0");
  s->no_dwquads = cuda_env_is("BLOCKFUSE_CUDA_DWQUADS", "0");
  s->no_dwvec = cuda_env_is("BLOCKFUSE_CUDA_DWVEC", "0");
  s->f32exp = cuda_env_is("BLOCKFUSE_CUDA_H16EXP", "0");
  s->no_dwrun = cuda_env_is("BLOCKFUSE_CUDA_DWRUN", "0");
  s->no_dwstrips = cuda_env_is("BLOCKFUSE_CUDA_DWSTRIPS", "0");
  for (int r = 1; r <= 5; r++) {
    char v[2] = {(char)('0' + r), 0};
    if (cuda_env_is("BLOCKFUSE_CUDA_DWROWS", v)) s->force_dwrows = r;
  }
  s->no_ksplit = cuda_env_is("BLOCKFUSE_CUDA_KSPLIT", "0");
  s->no_sefuse = cuda_env_is("BLOCKFUSE_CUDA_SEFUSE", "0");
  s->no_stream = cuda_env_is("BLOCKFUSE_CUDA_STREAM", "0");
  s->no_bulk = cuda_env_is("BLOCKFUSE_CUDA_BULK", "0");
  s->no_wg = cuda_env_is("BLOCKFUSE_CUDA_WG", "0");
  s->px_only = cuda_env_is("BLOCKFUSE_CUDA_PX", "tile") ? 1
               : cuda_env_is("BLOCKFUSE_CUDA_PX", "rw") ? 2
               : cuda_env_is("BLOCKFUSE_CUDA_PX", "wg") ? 3
                                                        : 0;
  s->no_narrow = cuda_env_is("BLOCKFUSE_CUDA_NARROW", "0");
  s->tune_log = cuda_env_is("BLOCKFUSE_CUDA_TUNE_LOG", "1");
  s->no_spin = cuda_env_is("BLOCKFUSE_CUDA_TUNE_SPIN", "0");
  s->no_dwdirect = cuda_env_is("BLOCKFUSE_CUDA_DWDIRECT", "0");
  s->wgx = cuda_env_is("BLOCKFUSE_CUDA_WGX", "0")       ? 0
           : cuda_env_is("BLOCKFUSE_CUDA_WGX", "force") ? 2
                                                        : 1;
  s->no_head_wg = cuda_env_is("BLOCKFUSE_CUDA_HEADWG", "0");
  s->head_bm = cuda_env_is("BLOCKFUSE_CUDA_HEADBM", "64")    ? 64
               : cuda_env_is("BLOCKFUSE_CUDA_HEADBM", "128") ? 128
                                                             : 0;
  if ((rc = env_count("BLOCKFUSE_CUDA_PIECES", MAX_PIECES, &s->pieces, err, errlen)) ||
      (rc = env_count("BLOCKFUSE_CUDA_PIECE_BLOCKS", MAX_LEAD, &s->piece_blocks, err, errlen)) ||
      (rc = env_count("BLOCKFUSE_CUDA_PIECE_LANES", 2, &s->piece_lanes, err, errlen)) ||
      (rc = env_count("BLOCKFUSE_CUDA_LEAD_ITERS", MAX_LEAD_ITERS, &s->lead_iters, err, errlen))) {
    free(s); /* before any CUDA call */
    return rc;
  }
  s->max_batch = cfg->max_batch > 0 ? cfg->max_batch : net->max_batch;
  s->n_blocks = net->n_blocks;
  s->img_bytes = (size_t)net->in_h * net->in_w * 3;
  if (s->max_batch < 1 || net->n_blocks < 2 || net->blocks[0].kind != MODEL_BLOCK_STEM ||
      net->blocks[net->n_blocks - 1].kind != MODEL_BLOCK_HEAD) {
    snprintf(err, errlen, "cuda backend: needs max_batch >= 1 and a stem ... head network");
    free(s);
    return -EINVAL;
  }
  int ndev = 0;
  if (cudaGetDeviceCount(&ndev) != cudaSuccess || ndev == 0) {
    snprintf(err, errlen, "no CUDA device is usable");
    free(s);
    return -ENODEV;
  }
  if (cfg->device < 0 || cfg->device >= ndev) {
    snprintf(err, errlen, "CUDA device %d does not exist (%d found)", cfg->device, ndev);
    free(s);
    return -ENODEV;
  }
  CUDA_TRY(cudaSetDevice(s->device));
  /* How a thread waits for the GPU, for A/B runs: BLOCKFUSE_CUDA_SYNC=spin,
   * yield or block; unset, CUDA's default (spin while there are fewer
   * contexts than cores). */
  if (cuda_env_is("BLOCKFUSE_CUDA_SYNC", "spin"))
    CUDA_TRY(cudaSetDeviceFlags(cudaDeviceScheduleSpin));
  else if (cuda_env_is("BLOCKFUSE_CUDA_SYNC", "yield"))
    CUDA_TRY(cudaSetDeviceFlags(cudaDeviceScheduleYield));
  else if (cuda_env_is("BLOCKFUSE_CUDA_SYNC", "block"))
    CUDA_TRY(cudaSetDeviceFlags(cudaDeviceScheduleBlockingSync));
  CUDA_TRY(cudaStreamCreateWithFlags(&s->st, cudaStreamNonBlocking));
  CUDA_TRY(cudaStreamCreateWithFlags(&s->st2, cudaStreamNonBlocking));
  CUDA_TRY(cudaStreamCreateWithFlags(&s->st3, cudaStreamNonBlocking));
  for (int k = 0; k <= MAX_PIECES; k++)
    CUDA_TRY(cudaEventCreateWithFlags(&s->cp_ev[k], cudaEventDisableTiming));
  for (int k = 0; k <= MAX_LEAD; k++)
    CUDA_TRY(cudaEventCreateWithFlags(&s->lane_ev[k], cudaEventDisableTiming));
  s->ev = calloc((size_t)s->n_blocks + 1, sizeof *s->ev);
  s->times = calloc((size_t)s->n_blocks, sizeof *s->times);
  s->blks = calloc((size_t)s->n_blocks, sizeof *s->blks);
  if (!s->ev || !s->times || !s->blks) {
    snprintf(err, errlen, "out of memory");
    rc = -ENOMEM;
    goto fail;
  }
  for (int i = 0; i <= s->n_blocks; i++) CUDA_TRY(cudaEventCreate(&s->ev[i]));
  if ((rc = cuda_caps_query(s->device, &s->caps, err, errlen))) goto fail;
  if ((rc = measure_peaks(s, cfg, err, errlen))) goto fail;
  s->caps.peak_flops = s->peak_flops, s->caps.peak_bw = s->peak_bw;

  if ((rc = cuda_arena_init(&s->ar, err, errlen))) goto fail;
  for (int i = 0; i < s->n_blocks; i++)
    if ((rc = cuda_blk_prepare(&s->blks[i], &net->blocks[i], net->mean, net->std, &s->caps, &s->ar,
                               err, errlen)))
      goto fail;
  if ((rc = cuda_arena_upload(&s->ar, err, errlen))) goto fail;
  for (int i = 0; i < s->n_blocks; i++) cuda_blk_resolve(&s->blks[i], &s->ar);
  s->blks[s->n_blocks - 1].head.bm = s->head_bm;
  s->blks[s->n_blocks - 1].head.wg = !s->no_head_wg && s->caps.wg;

  /* Buckets. Per-tile sums are sized for the smallest tile (one pixel), so
   * that any plan the tuning picks fits. */
  for (int b = 1; b < s->max_batch && s->n_buckets < MAX_BUCKETS - 1; b *= 2)
    s->buckets[s->n_buckets++].batch = b;
  s->buckets[s->n_buckets++].batch = s->max_batch;
  size_t sums = 0;
  for (int i = 0; i < s->n_blocks; i++) {
    const cuda_mbconv_args *m = &s->blks[i].mb;
    if (s->blks[i].b->kind == MODEL_BLOCK_MBCONV && m->se_c > 0 &&
        (size_t)m->Ho * m->Wo * m->CmidP > sums)
      sums = (size_t)m->Ho * m->Wo * m->CmidP;
  }
  if ((rc = alloc_buffers(s, sums, err, errlen))) goto fail;
  /* Random images so that the variant timing runs on realistic activations. */
  uint32_t h = 2463534242u;
  for (size_t i = 0; i < s->img_bytes * s->max_batch; i++) {
    h ^= h << 13, h ^= h >> 17, h ^= h << 5;
    s->h_img[i] = (uint8_t)h;
  }
  CUDA_TRY(cudaMemcpy(s->d_img, s->h_img, s->img_bytes * s->max_batch, cudaMemcpyHostToDevice));
  for (int k = 0; k < s->n_buckets; k++) {
    if ((rc = plan_bucket(s, &s->buckets[k], err, errlen))) goto fail;
    if ((rc = capture_net(s, &s->buckets[k], err, errlen))) goto fail;
    if (s->profile_every > 0 &&
        (rc = capture_bucket(s, &s->buckets[k], CAPTURE_PROFILED, err, errlen)))
      goto fail;
  }
  *self = s;
  return 0;
fail:
  cuda_destroy(s);
  return rc;
}

static void cuda_destroy(void *self) {
  cuda_backend *s = self;
  if (!s) return;
  cudaSetDevice(s->device);
  if (s->st) cudaStreamSynchronize(s->st);
  for (int k = 0; k < s->n_buckets; k++) {
    if (s->buckets[k].exec) cudaGraphExecDestroy(s->buckets[k].exec);
    if (s->buckets[k].kexec) cudaGraphExecDestroy(s->buckets[k].kexec);
    if (s->buckets[k].pexec) cudaGraphExecDestroy(s->buckets[k].pexec);
    free(s->buckets[k].plans);
  }
  if (s->ev)
    for (int i = 0; i <= s->n_blocks; i++)
      if (s->ev[i]) cudaEventDestroy(s->ev[i]);
  cudaFree(s->d_img), cudaFree(s->d_act[0]), cudaFree(s->d_act[1]), cudaFree(s->d_stage);
  cudaFree(s->d_sums), cudaFree(s->d_scale), cudaFree(s->d_pooled);
  cudaFree(s->d_logits), cudaFree(s->d_fcpart), cudaFree(s->d_poolsum);
  cudaFree(s->d_pxpart);
  if (s->copy_pool) cpu_pool_destroy(s->copy_pool);
  if (s->h_img) cudaFreeHost(s->h_img);
  if (s->h_logits) cudaFreeHost(s->h_logits);
  cuda_arena_free(&s->ar);
  for (int k = 0; k <= MAX_PIECES; k++)
    if (s->cp_ev[k]) cudaEventDestroy(s->cp_ev[k]);
  for (int k = 0; k <= MAX_LEAD; k++)
    if (s->lane_ev[k]) cudaEventDestroy(s->lane_ev[k]);
  if (s->st2) cudaStreamDestroy(s->st2);
  if (s->st3) cudaStreamDestroy(s->st3);
  if (s->st) cudaStreamDestroy(s->st);
  free(s->ev), free(s->times), free(s->blks);
  free(s);
}

/* Smallest bucket that holds n images. */
static cuda_bucket *bucket_for(cuda_backend *s, int n) {
  for (int k = 0; k < s->n_buckets; k++)
    if (s->buckets[k].batch >= n) return &s->buckets[k];
  return NULL;
}

/* A caller's images into the pinned staging. One thread copies ~5 GB/s (the
 * H200's 16-core host: 7 of the 10 ms a batch of 256 took in `blockfuse
 * bench`, where the GPU's share is 2.9), so a batch of COPY_POOL_MIN bytes or
 * more goes in slices over copy_threads threads, the caller one of them (a
 * pool made at the first such copy: the daemon's executors gather into the
 * staging themselves, cuda_backend_staging, and never make one). */
typedef struct {
  uint8_t *dst;
  const uint8_t *src;
  size_t bytes;
} copy_job;
enum { COPY_SLICE = 1 << 19, COPY_POOL_MIN = 4 << 20 };
static void copy_slice(void *ctx, int item, int thread) {
  const copy_job *j = ctx;
  const size_t lo = (size_t)item * COPY_SLICE;
  (void)thread;
  memcpy(j->dst + lo, j->src + lo, j->bytes - lo < COPY_SLICE ? j->bytes - lo : COPY_SLICE);
}
static int copy_in(cuda_backend *s, const uint8_t *images, size_t bytes, char *err, size_t errlen) {
  int rc = 0;
  if (s->copy_threads < 2 || bytes < COPY_POOL_MIN) {
    memcpy(s->h_img, images, bytes);
    return 0;
  }
  if (!s->copy_pool && (rc = cpu_pool_create(s->copy_threads, &s->copy_pool, err, errlen)))
    return rc;
  copy_job j = {s->h_img, images, bytes};
  cpu_pool_for(s->copy_pool, (int)((bytes + COPY_SLICE - 1) / COPY_SLICE), copy_slice, &j);
  return 0;
}

static int cuda_run(void *self, const uint8_t *images, int n, float *logits, char *err,
                    size_t errlen) {
  cuda_backend *s = self;
  int rc = 0;
  cuda_bucket *bk = n >= 1 ? bucket_for(s, n) : NULL;
  if (!bk) {
    snprintf(err, errlen, "batch of %d outside 1..%d", n, s->max_batch);
    return -EINVAL;
  }
  CUDA_TRY(cudaSetDevice(s->device));
  if (images != s->h_img && (rc = copy_in(s, images, s->img_bytes * n, err, errlen)))
    return rc; /* else zero-copy */
  s->runs++;
  const int profile = s->profile_every > 0 && s->runs % (unsigned long)s->profile_every == 0;
  /* the profiled runs replay a graph too: launched eagerly, a block's time had included
     the host's enqueueing wherever that was slower than the device (small batches) */
  CUDA_TRY(cudaGraphLaunch(profile ? bk->pexec : bk->exec, s->st));
  CUDA_TRY(cudaStreamSynchronize(s->st));
  if (profile) {
    for (int i = 0; i < s->n_blocks; i++) {
      float ms = 0;
      CUDA_TRY(cudaEventElapsedTime(&ms, s->ev[i], s->ev[i + 1]));
      s->times[i] = ms * 1e-3;
    }
    s->times_batch = bk->batch;
  }
  memcpy(logits, s->h_logits, (size_t)n * s->net->num_classes * 4);
  return 0;
fail:
  return rc;
}

static int cuda_block_times(void *self, double *seconds, int n_blocks, int *batch) {
  cuda_backend *s = self;
  if (!s->times_batch) return -EAGAIN;
  for (int i = 0; i < n_blocks && i < s->n_blocks; i++) seconds[i] = s->times[i];
  *batch = s->times_batch;
  return 0;
}

static void cuda_peaks(void *self, double *flops_per_s, double *bytes_per_s) {
  cuda_backend *s = self;
  *flops_per_s = s->peak_flops;
  *bytes_per_s = s->peak_bw;
}

/* The graph the timings replay: the bucket's, or with kernels_only the one
 * without the copies (captured at its first use). */
static int timed_graph(cuda_backend *s, cuda_bucket *bk, int kernels_only, cudaGraphExec_t *exec,
                       char *err, size_t errlen) {
  int rc = 0;
  if (kernels_only && !bk->kexec && (rc = capture_bucket(s, bk, CAPTURE_KERNELS, err, errlen)))
    return rc;
  *exec = kernels_only ? bk->kexec : bk->exec;
  return 0;
}

int cuda_backend_graph_time(void *self, int batch, int iters, int kernels_only, double *seconds,
                            char *err, size_t errlen) {
  cuda_backend *s = self;
  int rc = 0;
  cuda_bucket *bk = bucket_for(s, batch);
  float *ms = NULL;
  if (!bk || iters < 1 || !(ms = malloc(sizeof *ms * (size_t)iters))) {
    snprintf(err, errlen, "bad batch %d or iters %d", batch, iters);
    free(ms);
    return -EINVAL;
  }
  CUDA_TRY(cudaSetDevice(s->device));
  cudaGraphExec_t exec;
  if ((rc = timed_graph(s, bk, kernels_only, &exec, err, errlen))) goto fail;
  double med = 0;
  if ((rc = replay_ms(s, exec, iters, ms, &med, err, errlen))) goto fail;
  *seconds = med * 1e-3;
fail:
  free(ms);
  return rc;
}

/* The graph (with or without the copies) of n instances' buckets for `batch`,
 * each on its own stream, launched round-robin `iters` times each without a
 * wait between them, in ROUNDS rounds after one of warm-up; one event on
 * instance 0's stream starts a round (the other streams wait on it) and one
 * ends it (after waiting on every stream's last replay); the median round
 * counts. */
int cuda_backend_concurrent_time(void *const *selves, int n, int batch, int iters, int kernels_only,
                                 double *seconds, char *err, size_t errlen) {
  enum { ROUNDS = 5, MAXN = 8 };
  cuda_backend *s[MAXN];
  cudaGraphExec_t ex[MAXN];
  cudaEvent_t done[MAXN] = {0};
  float ms[ROUNDS];
  int rc = 0, made = 1; /* done[1 .. made - 1] created: the other streams' last replays */
  if (n < 1 || n > MAXN || iters < 1) {
    snprintf(err, errlen, "bad instance count %d or iters %d", n, iters);
    return -EINVAL;
  }
  for (int k = 0; k < n; k++) {
    s[k] = selves[k];
    cuda_bucket *bk = bucket_for(s[k], batch);
    if (!bk || s[k]->device != s[0]->device) {
      snprintf(err, errlen, "instance %d: no bucket for batch %d, or another device", k, batch);
      return -EINVAL;
    }
    CUDA_TRY(cudaSetDevice(s[k]->device));
    if ((rc = timed_graph(s[k], bk, kernels_only, &ex[k], err, errlen))) goto fail;
  }
  for (; made < n; made++) CUDA_TRY(cudaEventCreateWithFlags(&done[made], cudaEventDisableTiming));
  for (int r = -1; r < ROUNDS; r++) { /* round -1: warm-up */
    CUDA_TRY(cudaEventRecord(s[0]->ev[0], s[0]->st));
    for (int k = 1; k < n; k++) CUDA_TRY(cudaStreamWaitEvent(s[k]->st, s[0]->ev[0], 0));
    for (int i = 0; i < iters; i++)
      for (int k = 0; k < n; k++) CUDA_TRY(cudaGraphLaunch(ex[k], s[k]->st));
    for (int k = 1; k < n; k++) {
      CUDA_TRY(cudaEventRecord(done[k], s[k]->st));
      CUDA_TRY(cudaStreamWaitEvent(s[0]->st, done[k], 0));
    }
    CUDA_TRY(cudaEventRecord(s[0]->ev[1], s[0]->st));
    CUDA_TRY(cudaEventSynchronize(s[0]->ev[1]));
    if (r >= 0) CUDA_TRY(cudaEventElapsedTime(&ms[r], s[0]->ev[0], s[0]->ev[1]));
  }
  *seconds = median_ms(ms, ROUNDS) * 1e-3 / ((double)n * iters);
fail:
  for (int k = 1; k < made; k++) cudaEventDestroy(done[k]);
  return rc;
}

static int cuda_device_time(void *self, int n, int iters, double *with_copies, double *kernels,
                            char *err, size_t errlen) {
  const int rc = cuda_backend_graph_time(self, n, iters, 0, with_copies, err, errlen);
  return rc ? rc : cuda_backend_graph_time(self, n, iters, 1, kernels, err, errlen);
}

int cuda_profiler_window(int on) {
  return (on ? cudaProfilerStart() : cudaProfilerStop()) == cudaSuccess ? 0 : -EIO;
}

uint8_t *cuda_backend_staging(void *self) {
  return ((cuda_backend *)self)->h_img;
}

int cuda_backend_describe(void *self, int batch, char *buf, size_t len) {
  cuda_backend *s = self;
  cuda_bucket *bk = bucket_for(s, batch);
  size_t w = 0;
  if (!bk) return snprintf(buf, len, "no bucket for batch %d\n", batch);
  const graph_form *f = &bk->form;
  const cuda_blk_plan *lead = f->lead ? lead_plans(s, bk, f->pieces, f->lead) : NULL;
  for (int i = 0; i < s->n_blocks; i++) {
    /* the blocks run piece by piece: the plans they run the pieces with */
    const cuda_blk_plan *p = i < f->lead ? &lead[i] : &bk->plans[i];
    char line[512];
    int k = snprintf(line, sizeof line, "%-12s bucket %d", s->blks[i].b->name, bk->batch);
    if (i < f->lead)
      k += snprintf(line + k, sizeof line - (size_t)k,
                    "  [piece by piece under the copy, %d pieces, %s, plans of bucket %d]",
                    f->pieces, f->lanes > 1 ? "two lanes" : "one lane",
                    lead == bk->plans ? bk->batch : bk->batch / f->pieces);
    if (p->px.nt) {
      const cuda_px_args *a = &p->px;
      k += snprintf(line + k, sizeof line - (size_t)k,
                    "  [px %s %d pixels x %d cols per CTA, ch %d hs %d smem %zu]", px_kind_name(a),
                    cuda_px_rows(a), cuda_px_ncol(a),
                    a->mode == CUDA_PX_MLP ? cuda_px_ch(a) : CUDA_PX_KC, a->hs > 1 ? a->hs : 1,
                    cuda_px_smem(a));
    }
    for (int j = 0; j < p->n; j++) {
      const cuda_mbconv_args *a = &p->l[j];
      static const char *modes[] = {"fused", "pass1", "recompute", "staged", "cluster"};
      static const char *dw_shapes[] = {"",       " dwrows",  " dwquads",
                                        " dwvec", " strips1", " strips2"};
      if (a->mode == CUDA_MB_CLUSTER) {
        k += snprintf(line + k, sizeof line - (size_t)k,
                      "  [cluster %d CTAs/image, %d row groups, cc %d smem %zu%s]", a->cl, a->clr,
                      a->CC, cuda_mbconv_smem(a), a->dwh2 ? " dwh2" : "");
        continue;
      }
      if (a->mode == CUDA_MB_STAGED && a->gemm) {
        char form[64];
        k += snprintf(line + k, sizeof line - (size_t)k,
                      "  [staged gemm %d rows x %d cols per CTA, z %d ksplit %d%s%s smem %zu]",
                      a->gemm, cuda_gate_proj_nt8(a) * 16, cuda_mbconv_z(a), cuda_gate_proj_ks(a),
                      a->sefuse ? " sefuse" : "", gate_proj_form(a, form, sizeof form),
                      cuda_mbconv_smem(a));
        continue;
      }
      if (a->mode == CUDA_MB_PASS1 && a->wgx) {
        k += snprintf(line + k, sizeof line - (size_t)k, "  [pass1 wgx image %dx%d z %d smem %zu]",
                      a->Ho, a->Wo, cuda_mbconv_z(a), cuda_mbconv_wgx_smem(a));
        continue;
      }
      if (a->dwdirect && cuda_mbconv_dwdirect_ok(a)) {
        k += snprintf(line + k, sizeof line - (size_t)k,
                      "  [%s dwdirect tile %dx%d grid %dx%d smem %zu]", modes[a->mode], a->TH,
                      a->TW, a->tiles_y, a->tiles_x, cuda_dw_direct_smem(a));
        continue;
      }
      char run[16] = "";
      if (cuda_mbconv_dwrun_ok(a)) snprintf(run, sizeof run, " run%d", a->dwrun);
      k += snprintf(line + k, sizeof line - (size_t)k,
                    "  [%s tile %dx%d cc %d z %d grid %dx%d smem %zu%s%s%s%s%s]", modes[a->mode],
                    a->TH, a->TW, a->CC, cuda_mbconv_z(a), a->tiles_y, a->tiles_x,
                    cuda_mbconv_smem(a), a->lowreg ? " lowreg" : "", a->wide ? " wide" : "",
                    a->dwh2 ? " dwh2" : "", dw_shapes[cuda_mbconv_dw_shape(a)], run);
    }
    /* the SE launch after PASS1, with the sefuse flag cuda_blk_enqueue gives it */
    if (p->n > 0) {
      static const char *se_forms[] = {"se per image", "se batched", "semma"};
      cuda_mbconv_args a = p->l[0];
      a.sefuse = cuda_blk_plan_sefuse(p);
      /* at the images it is launched on: a piece's where run piece by piece */
      const int form = cuda_se_form(&a, i < f->lead ? bk->batch / f->pieces : bk->batch);
      if (form >= 0) k += snprintf(line + k, sizeof line - (size_t)k, "  [%s]", se_forms[form]);
    }
    snprintf(line + k, sizeof line - (size_t)k, "\n");
    const int m = snprintf(buf + (w < len ? w : len), w < len ? len - w : 0, "%s", line);
    w += (size_t)m;
  }
  return (int)w;
}

const model_backend_ops model_cuda_backend = {
    .name = "cuda",
    .act_bytes = 2,
    .w_bytes = 2,
    .create = cuda_create,
    .destroy = cuda_destroy,
    .run = cuda_run,
    .block_times = cuda_block_times,
    .peaks = cuda_peaks,
    .input_buffer = cuda_backend_staging,
    .describe = cuda_backend_describe,
    .device_time = cuda_device_time,
};
