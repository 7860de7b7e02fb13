/* Every fused CUDA kernel against the CPU reference (model/cpu_layers.h) on
 * fresh random weights and inputs: stem, MBConv with and without expansion,
 * with and without squeeze-excite (both pass-2 variants), residual, stride 2,
 * odd spatial sizes and channel counts that are not multiples of 16, the
 * head, and the pixel-tile blocks (px_block.cu: ConvNeXt, ConvFirst,
 * downsample, the LayerNorm stem and head). fp16 storage: ||out - ref|| / ||ref|| < 1e-2, no NaN
 * (outputs are poisoned with NaN before each launch, and padded channels must be zero). Without a
 * GPU the tests skip with a message, unless BLOCKFUSE_GPU_TESTS=1 demands one. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fused_kernels/cuda_backend.h"
#include "model/cpu_layers.h"
#include "model/net.h"
#include "tests/test_support.h"

#define TOL 1e-2

/* Owns the random tensors of one test block. */
typedef struct {
  model_block b;
  float *bufs[16];
  int nb;
} tblock;

/* A fresh random tensor with scale ~ 1/sqrt(fan_in), wired into t. */
static void rand_tensor(tblock *tb, model_tensor *t, int ndim, const int64_t *shape, float scale) {
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (size_t)shape[i], t->shape[i] = shape[i];
  float *d = malloc(n * sizeof *d);
  assert_non_null(d);
  test_fill_random(d, n, -scale, scale);
  t->data = d, t->ndim = ndim, t->numel = n;
  tb->bufs[tb->nb++] = d;
}

static void tblock_free(tblock *tb) {
  for (int i = 0; i < tb->nb; i++) free(tb->bufs[i]);
}

static float inv_sqrt(int n) {
  return 1.0f / sqrtf((float)n);
}

/* MBConv: mid == 0 means no expansion (mid = cin). */
static void make_mbconv(tblock *tb, int h, int w, int cin, int mid, int cout, int k, int s, int se,
                        int residual) {
  memset(tb, 0, sizeof *tb);
  model_block *b = &tb->b;
  snprintf(b->name, sizeof b->name, "mb%dx%d_%d_%d_%d_k%ds%d", h, w, cin, mid, cout, k, s);
  b->kind = MODEL_BLOCK_MBCONV;
  b->in_h = h, b->in_w = w, b->in_c = cin, b->out_c = cout;
  b->out_h = model_conv_out(h, k, s, 1, &b->pad_t);
  b->out_w = model_conv_out(w, k, s, 1, &b->pad_l);
  b->kernel = k, b->stride = s, b->act = MODEL_ACT_SWISH, b->se_act = MODEL_ACT_SWISH;
  b->residual = residual;
  const int m = mid ? mid : cin;
  b->mid_c = m, b->groups = m, b->se_c = se;
  if (mid) {
    rand_tensor(tb, &b->expand_w, 2, (int64_t[]){cin, m}, 1.7f * inv_sqrt(cin));
    rand_tensor(tb, &b->expand_b, 1, (int64_t[]){m}, 0.5f);
  }
  rand_tensor(tb, &b->dw_w, 3, (int64_t[]){k, k, m}, 1.7f / (float)k);
  rand_tensor(tb, &b->dw_b, 1, (int64_t[]){m}, 0.5f);
  if (se) {
    rand_tensor(tb, &b->se_reduce_w, 2, (int64_t[]){m, se}, 1.7f * inv_sqrt(m));
    rand_tensor(tb, &b->se_reduce_b, 1, (int64_t[]){se}, 0.5f);
    rand_tensor(tb, &b->se_expand_w, 2, (int64_t[]){se, m}, 1.7f * inv_sqrt(se));
    rand_tensor(tb, &b->se_expand_b, 1, (int64_t[]){m}, 0.5f);
  }
  rand_tensor(tb, &b->project_w, 2, (int64_t[]){m, cout}, 1.7f * inv_sqrt(m));
  rand_tensor(tb, &b->project_b, 1, (int64_t[]){cout}, 0.5f);
}

/* make_mbconv from one row of a case table: h, w, cin, mid, cout, k, s, se, residual. */
static void make_mbconv_row(tblock *tb, const int *k) {
  make_mbconv(tb, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], k[8]);
}

static const float kMean[3] = {123.7f, 116.3f, 103.5f}, kStd[3] = {58.4f, 57.1f, 57.4f};

/* Runs b on the GPU and on the CPU reference and compares. */
static void check_block(const model_block *b, int n, long long staged, int zsplit) {
  const size_t in_n = (size_t)n * b->in_h * b->in_w * b->in_c;
  const size_t out_n = b->kind == MODEL_BLOCK_HEAD ? (size_t)n * b->out_c
                                                   : (size_t)n * b->out_h * b->out_w * b->out_c;
  void *in;
  float *ref = malloc(out_n * sizeof *ref), *out = malloc(out_n * sizeof *out);
  assert_non_null(ref);
  assert_non_null(out);
  if (b->kind == MODEL_BLOCK_STEM) {
    float *f = malloc(in_n * sizeof *f);
    uint8_t *u = malloc(in_n);
    assert_non_null(f);
    assert_non_null(u);
    test_fill_random(f, in_n, 0.f, 256.f);
    for (size_t i = 0; i < in_n; i++) u[i] = (uint8_t)f[i];
    free(f);
    in = u;
  } else {
    float *f = malloc(in_n * sizeof *f);
    assert_non_null(f);
    test_fill_random(f, in_n, -1.f, 1.f);
    in = f;
  }
  char err[512] = "";
  int rc = cpu_block_forward(b, kMean, kStd, in, n, ref, 1, 0, err, sizeof err);
  if (rc) fail_msg("cpu reference %s: %s", b->name, err);
  rc = cuda_block_test_run(b, kMean, kStd, n, in, out, staged, zsplit, 0, err, sizeof err);
  if (rc) fail_msg("cuda %s: %s", b->name, err);
  const double e = test_rel_err(out, ref, out_n);
  if (b->kind == MODEL_BLOCK_CONVNEXT || b->kind == MODEL_BLOCK_CONVFIRST ||
      b->kind == MODEL_BLOCK_DOWNSAMPLE) { /* the pixel-tile blocks' flags (cuda_backend.h) */
    print_message("%-28s n=%d px nt=%d hs=%d%s%s%s rel err %.2e\n", b->name, n, zsplit,
                  (int)(staged >> 1) & 63, staged & 1 ? " ch32" : "",
                  staged & CUDA_TEST_PX_RW ? " rw" : "",
                  ((staged >> 8) & 3) == 3   ? " wgn"
                  : ((staged >> 8) & 3) == 2 ? " wg2"
                  : (staged >> 8) & 3        ? " wg1"
                                             : "",
                  e);
    if (!(e < TOL)) fail_msg("%s: rel err %g >= %g", b->name, e, TOL);
    free(in), free(ref), free(out);
    return;
  }
  char vec[16] = " vec";
  if ((staged >> 33) & 7) snprintf(vec, sizeof vec, " vec run%d", (int)(staged >> 33) & 7);
  if ((staged >> 36) & 3) snprintf(vec, sizeof vec, " strips%d", (int)(staged >> 36) & 3);
  print_message(
      "%-28s n=%d %s z=%d%s%s%s%s%s%s%s ks=%d%s stream=%d%s%s%s%s%s%s rel err %.2e\n", b->name, n,
      staged & CUDA_TEST_CLUSTER ? "cluster  "
      : b->se_c                  ? (staged & 1 ? "staged   " : "recompute")
                                 : "fused    ",
      zsplit, staged & CUDA_TEST_LOWREG ? " lowreg" : "", staged & CUDA_TEST_DWH2 ? " dwh2" : "",
      staged & CUDA_TEST_SE1     ? " se1"
      : staged & CUDA_TEST_SEMMA ? " semma"
                                 : "",
      staged & CUDA_TEST_WIDE ? " wide" : "", staged & CUDA_TEST_ROWS ? " rows" : "",
      staged & (CUDA_TEST_DWVEC | CUDA_TEST_STRIPS(3)) ? vec
      : staged & CUDA_TEST_QUADS                       ? " quads"
                                                       : "",
      (staged & CUDA_TEST_GEMM96) == CUDA_TEST_GEMM96 ? " gemm96"
      : staged & CUDA_TEST_GEMM64                     ? " gemm64"
      : staged & CUDA_TEST_GEMM                       ? " gemm128"
                                                      : "",
      (int)(staged >> 18) & 15, staged & CUDA_TEST_SEFUSE ? " sefuse" : "",
      (int)(staged >> 23) & 15, staged & CUDA_TEST_BULK ? " bulk" : "",
      staged & CUDA_TEST_WG ? " wg" : "", staged & CUDA_TEST_NARROW ? " narrow" : "",
      staged & CUDA_TEST_DWDIRECT ? " dwdirect"
      : staged & CUDA_TEST_WGX    ? " wgx"
                                  : "",
      staged & CUDA_TEST_ROWTILE ? " rowtile" : "", staged & CUDA_TEST_F32EXP ? " f32exp" : "", e);
  if (!(e < TOL)) fail_msg("%s: rel err %g >= %g", b->name, e, TOL);
  free(in), free(ref), free(out);
}

static void test_stem(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  /* h, w, cout, n, stride, band: CoutP 32 / 48 / 64 run on tensor cores from
   * bands of input rows in shared memory, with band = 1 (CUDA_TEST_STEMBAND)
   * as many rows per CTA as fit (8 at 224, one at 1030, the last band
   * partial), with band = 2 the rows the device's SMs ask for (one at these
   * batches, or the gathering kernel where the bands would leave SMs idle),
   * and with band = 0 (BLOCKFUSE_CUDA_STEMBAND=0) from global memory (a
   * partial last tile of 16 pixels; 4 tiles per warp from 2^20 output
   * pixels, with warps past the last tile); CoutP 16 and 80 on the FMA
   * kernel. The batch of odd sizes ends on a byte that is not the last of a
   * 4-byte word. */
  static const int cases[][6] = {
      {224, 224, 32, 2, 2, 1},   {17, 19, 24, 3, 2, 1},     {31, 12, 40, 1, 2, 1},
      {20, 23, 80, 2, 2, 1},     {25, 21, 64, 3, 2, 1},     {19, 18, 16, 2, 2, 1},
      {1024, 1030, 32, 4, 2, 1}, {1030, 1030, 24, 4, 2, 1}, {40, 37, 32, 2, 1, 1},
      {23, 29, 48, 3, 1, 1},     {21, 25, 64, 1, 1, 1},     {224, 224, 32, 2, 2, 0},
      {17, 19, 24, 3, 2, 0},     {31, 12, 40, 1, 2, 0},     {25, 21, 64, 3, 2, 0},
      {1024, 1030, 32, 4, 2, 0}, {224, 224, 32, 2, 2, 2},   {17, 19, 24, 3, 2, 2}};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int s = cases[c][4];
    tblock tb = {0};
    model_block *b = &tb.b;
    static const char *const band[] = {"_noband", "_band", ""};
    snprintf(b->name, sizeof b->name, "stem%dx%d_%d_s%d%s", cases[c][0], cases[c][1], cases[c][2],
             s, band[cases[c][5]]);
    b->kind = MODEL_BLOCK_STEM, b->in_h = cases[c][0], b->in_w = cases[c][1], b->in_c = 3;
    b->out_c = cases[c][2], b->kernel = 3, b->stride = s, b->groups = 1;
    /* swish; every fifth case another activation (the epilogue's run-time act path) */
    b->act = c % 5 == 4 ? MODEL_ACT_RELU6 : MODEL_ACT_SWISH;
    b->out_h = model_conv_out(b->in_h, 3, s, 1, &b->pad_t);
    b->out_w = model_conv_out(b->in_w, 3, s, 1, &b->pad_l);
    rand_tensor(&tb, &b->conv_w, 4, (int64_t[]){3, 3, 3, b->out_c}, 1.7f * inv_sqrt(27));
    rand_tensor(&tb, &b->conv_b, 1, (int64_t[]){b->out_c}, 0.5f);
    if (!cases[c][5]) setenv("BLOCKFUSE_CUDA_STEMBAND", "0", 1);
    check_block(b, cases[c][3], cases[c][5] == 1 ? CUDA_TEST_STEMBAND : 0, 0);
    unsetenv("BLOCKFUSE_CUDA_STEMBAND");
    tblock_free(&tb);
  }
}

static void test_mbconv_plain(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  tblock tb;
  make_mbconv(&tb, 13, 13, 24, 144, 24, 3, 1, 0, 1); /* expand, residual, odd size */
  check_block(&tb.b, 3, 0, 0);
  check_block(&tb.b, 2, 0, 2);
  check_block(&tb.b, 2, CUDA_TEST_LOWREG, 2);
  check_block(&tb.b, 3, CUDA_TEST_DWH2, 0);
  check_block(&tb.b, 3, CUDA_TEST_WIDE, 0);
  check_block(&tb.b, 2, CUDA_TEST_WIDE | CUDA_TEST_DWH2, 2);
  check_block(&tb.b, 3, CUDA_TEST_ROWS, 0);
  check_block(&tb.b, 2, CUDA_TEST_ROWS | CUDA_TEST_DWH2, 2);
  tblock_free(&tb);
  make_mbconv(&tb, 15, 17, 40, 0, 48, 5, 2, 0, 0); /* no expand, stride 2, k5 */
  check_block(&tb.b, 2, 0, 0);
  check_block(&tb.b, 2, CUDA_TEST_ROWS, 0);
  check_block(&tb.b, 2, CUDA_TEST_ROWS | CUDA_TEST_DWH2 | CUDA_TEST_WIDE, 0);
  check_block(&tb.b, 2, CUDA_TEST_LOWREG, 3);
  check_block(&tb.b, 2, CUDA_TEST_DWH2, 0);
  tblock_free(&tb);
  make_mbconv(&tb, 12, 10, 32, 96, 32, 3, 1, 0, 1); /* MobileNetV2: relu6 */
  tb.b.act = MODEL_ACT_RELU6;
  check_block(&tb.b, 2, 0, 0);
  check_block(&tb.b, 2, CUDA_TEST_DWH2, 0);
  tblock_free(&tb);
  make_mbconv(&tb, 9, 11, 20, 70, 36, 3, 2, 0, 0); /* channels not multiples of 16 */
  check_block(&tb.b, 5, 0, 3);
  check_block(&tb.b, 5, CUDA_TEST_WIDE, 0);
  tblock_free(&tb);
}

/* The two-rows-per-thread depthwise conv (dwrows) at every chunk width the
 * planner uses (it compiles the row pitch per width), with a partial last
 * chunk where Cmid is not a multiple, k = 3 and 5, stride 1 and 2, both tap
 * forms, 8 and 16 warps, both SE passes; its 2 x 2-block form (dwquads, in
 * 8 warps for PASS1 too); the one-pixel loop on the same chunks; and the
 * 8-channel form (dwvec). */
static void test_mbconv_chunks(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  static const int cases[][9] = {
      /* h, w, cin, mid, cout, k, s, se, residual */
      {19, 23, 24, 144, 24, 3, 1, 6, 1},
      {21, 17, 40, 240, 80, 5, 2, 10, 0},
      {15, 16, 32, 192, 32, 5, 1, 8, 1},
      {20, 22, 16, 160, 24, 3, 2, 0, 0},
  };
  static const int ccs[] = {16, 32, 64, 128};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int *k = cases[c];
    tblock tb;
    make_mbconv_row(&tb, k);
    for (unsigned j = 0; j < sizeof ccs / sizeof ccs[0]; j++) {
      const int f = CUDA_TEST_CC(ccs[j]) | CUDA_TEST_ROWS | (int)(j % 2);
      check_block(&tb.b, 2, f, 0);
      check_block(&tb.b, 3, f | CUDA_TEST_DWH2, 0);
      check_block(&tb.b, 2, f | CUDA_TEST_WIDE | (j < 2 ? CUDA_TEST_DWH2 : 0), 0);
      check_block(&tb.b, 1, f & ~CUDA_TEST_ROWS, 0); /* the one-pixel loop, same chunks */
      /* 2 x 2 output blocks per thread (fp16 taps, 16 warps; PASS1 in 8 warps too) */
      check_block(&tb.b, 2, f | CUDA_TEST_QUADS | CUDA_TEST_DWH2 | CUDA_TEST_WIDE, 0);
      if (k[7]) check_block(&tb.b, 2, f | CUDA_TEST_QUADS | CUDA_TEST_DWH2, 0);
    }
    tblock_free(&tb);
  }
  /* 8 channels per dw thread (dwvec: PASS1 in 8 and 16 warps, k = 3) at the chunk widths
     it takes, 16 to 64; narrower last chunks of 16, 32 and 48 (the one-pixel loop) */
  static const int vcases[][9] = {
      {19, 23, 24, 144, 24, 3, 1, 6, 1},
      {13, 15, 24, 112, 24, 3, 2, 4, 0},
      {57, 55, 16, 96, 24, 3, 2, 4, 0},
  };
  for (unsigned c = 0; c < sizeof vcases / sizeof vcases[0]; c++) {
    tblock tb;
    make_mbconv_row(&tb, vcases[c]);
    for (int cc = 16; cc <= 64; cc *= 2) {
      const long long f = CUDA_TEST_CC(cc) | CUDA_TEST_DWVEC | CUDA_TEST_DWH2;
      check_block(&tb.b, 2, f | (cc == 32), 0);
      check_block(&tb.b, 3, f | CUDA_TEST_WIDE | (cc != 32), 0);
      /* the expand with fp32 accumulators, where these swish blocks (CinP <= 32) take fp16 */
      if (cc == 32) check_block(&tb.b, 2, f | CUDA_TEST_F32EXP | (c & 1), 0);
      /* runs of 2, 4 and 7 pixels per thread (dw_run; 4 and 7 in the 128-register
         8-warp build), runs past the tile's right edge where its width is not a multiple */
      for (int r = 2; r <= 7 && cc >= 32; r += r == 2 ? 2 : 3) {
        check_block(&tb.b, 2, f | CUDA_TEST_DWRUN(r) | (r != 4), 0);
        check_block(&tb.b, 3, f | CUDA_TEST_DWRUN(r) | CUDA_TEST_WIDE | (r == 4), 0);
      }
    }
    tblock_free(&tb);
  }
}

/* The squeeze-excite blocks of test_mbconv_se and test_mbconv_wg. */
static const int se_cases[][9] = {
    /* h, w, cin, mid, cout, k, s, se, residual */
    {29, 29, 24, 144, 40, 5, 2, 6, 0},   {37, 37, 32, 0, 16, 3, 1, 8, 0},
    {7, 7, 192, 1152, 320, 3, 1, 48, 0}, {28, 28, 40, 240, 40, 5, 1, 10, 1},
    {14, 13, 80, 480, 80, 3, 1, 20, 1},  {57, 55, 16, 96, 24, 3, 2, 4, 0},
};
/* 2x2 outputs: with 40 images a 64-row pixel-GEMM tile spans 17, a 128-row one 33 */
static const int tiny[9] = {4, 4, 24, 144, 24, 3, 2, 6, 0};

/* Runs body on a row of every SE shape of se_cases, both pass-2 variants (staged 0 and 1). */
static void each_se_case(void (*body)(tblock *tb, const int *k, unsigned c, long long staged)) {
  for (unsigned c = 0; c < sizeof se_cases / sizeof se_cases[0]; c++)
    for (int staged = 0; staged < 2; staged++) {
      tblock tb;
      make_mbconv_row(&tb, se_cases[c]);
      body(&tb, se_cases[c], c, staged);
      tblock_free(&tb);
    }
}

/* The SE MLP after PASS1 on tensor cores (se_mma.cu): one partial group of 16 images (PASS1
   split 2 ways on the even cases); three groups, the last partial; each group a cluster
   over the channel slices (2 to 8 of them). */
static void se_mma_case(tblock *tb, const int *k, unsigned c, long long staged) {
  check_block(&tb->b, 3, staged | CUDA_TEST_SEMMA, c % 2 ? 0 : 2);
  if (k[0] <= 29) check_block(&tb->b, 35, staged | CUDA_TEST_SEMMA, 0);
}
static void test_se_mma(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  each_se_case(se_mma_case);
}

/* The SE blocks' kernels: every PASS1 form, the SE kernel's grids, both pass-2 kernels and
   their GEMM forms, on each SE shape and pass-2 variant. */
static void mbconv_se_case(tblock *tb, const int *k, unsigned c, long long staged) {
  check_block(&tb->b, c % 2 ? 3 : 2, staged, 0);
  check_block(&tb->b, 1, staged | CUDA_TEST_SE1, 3);    /* grid.z split, 1 SE CTA/image */
  check_block(&tb->b, 2, staged | CUDA_TEST_LOWREG, 0); /* 64-register variant */
  check_block(&tb->b, 2, staged | CUDA_TEST_DWH2, 0);   /* packed fp16 dw taps */
  check_block(&tb->b, 1, staged | CUDA_TEST_DWH2 | CUDA_TEST_LOWREG, 3);
  check_block(&tb->b, 2, staged | CUDA_TEST_WIDE, 0); /* 16 warps per CTA */
  check_block(&tb->b, 1, staged | CUDA_TEST_WIDE | CUDA_TEST_DWH2 | CUDA_TEST_SE1, 3);
  check_block(&tb->b, 2, staged | CUDA_TEST_ROWS, 0); /* two output rows per dw thread */
  check_block(&tb->b, 1, staged | CUDA_TEST_ROWS | CUDA_TEST_DWH2 | CUDA_TEST_WIDE, 3);
  /* 2 x 2 output blocks per thread (7 x 7: an odd tile width) */
  check_block(&tb->b, 2,
              staged | CUDA_TEST_CC(32) | CUDA_TEST_QUADS | CUDA_TEST_DWH2 | CUDA_TEST_WIDE, 0);
  check_block(&tb->b, 3, staged | CUDA_TEST_QUADS | CUDA_TEST_DWH2, 0); /* PASS1, 8 warps */
  /* 16 images of 1152 channels: the SE kernel's large-grid form (a thread per channel
     pair), 5 CTAs per image (128 pairs each, the last 64), then one CTA walking all
     576 pairs (256, 256, 64) */
  if (k[3] == 1152) check_block(&tb->b, 16, staged, 0);
  if (k[3] == 1152) check_block(&tb->b, 16, staged | CUDA_TEST_SE1, 0);
  /* the SE MLP batched over groups of 8 images (se_batch.cu): one partial group; three
     groups, the last partial, on the small images (the rule's shapes) */
  check_block(&tb->b, 3, staged | CUDA_TEST_SEBATCH, 0);
  if (k[0] <= 14) check_block(&tb->b, 19, staged | CUDA_TEST_SEBATCH, 0);
  if (staged) { /* the batch-wide GEMM: rows across images, partial column splits */
    check_block(&tb->b, c % 2 ? 3 : 2, staged | CUDA_TEST_GEMM, 0);
    check_block(&tb->b, 5, staged | CUDA_TEST_GEMM, 3);
    check_block(&tb->b, 2, staged | CUDA_TEST_GEMM64, 0);
    check_block(&tb->b, 3, staged | CUDA_TEST_GEMM64 | CUDA_TEST_SE1, 2);
    /* K split over clusters (uneven slices, rows across images, column splits), and
       the SE MLP inside the GEMM: its gates never read the poisoned scale */
    check_block(&tb->b, 1, staged | CUDA_TEST_GEMM64 | CUDA_TEST_KSPLIT(8), 0);
    check_block(&tb->b, 3, staged | CUDA_TEST_GEMM | CUDA_TEST_KSPLIT(3), 3);
    check_block(&tb->b, 1, staged | CUDA_TEST_GEMM64 | CUDA_TEST_SEFUSE | CUDA_TEST_KSPLIT(4), 2);
    check_block(&tb->b, 5, staged | CUDA_TEST_GEMM | CUDA_TEST_SEFUSE | CUDA_TEST_KSPLIT(2), 0);
    check_block(&tb->b, 2, staged | CUDA_TEST_GEMM64 | CUDA_TEST_SEFUSE, 0);
    /* the streaming GEMM: persistent CTAs walking many row tiles (uneven counts, a
       last partial tile), the weights resident or streamed, with column splits */
    check_block(&tb->b, 5, staged | CUDA_TEST_GEMM | CUDA_TEST_STREAM(3), 0);
    check_block(&tb->b, 3, staged | CUDA_TEST_GEMM64 | CUDA_TEST_STREAM(1), 2);
    check_block(&tb->b, 4, staged | CUDA_TEST_GEMM64 | CUDA_TEST_STREAM(15), 0);
    /* fed by bulk tensor copies: rows across images, a partial last tile, column
       splits, a residual, a last K slice of 16 channels (144, 240) */
    check_block(&tb->b, c % 2 ? 3 : 2, staged | CUDA_TEST_GEMM | CUDA_TEST_BULK, 0);
    check_block(&tb->b, 5, staged | CUDA_TEST_GEMM64 | CUDA_TEST_BULK, 3);
    check_block(&tb->b, 3, staged | CUDA_TEST_GEMM64 | CUDA_TEST_BULK | CUDA_TEST_SE1, 2);
    /* ... in 96-row tiles (3 row warps), with column splits */
    check_block(&tb->b, c % 2 ? 5 : 4, staged | CUDA_TEST_GEMM96 | CUDA_TEST_BULK, 0);
    check_block(&tb->b, 3, staged | CUDA_TEST_GEMM96 | CUDA_TEST_BULK, 2);
    /* ... and streaming: uneven tile counts, a last partial tile, column splits, tiles
       across images (the gate buffers swap per tile); not for 7x7 images of 1152
       channels, whose tiles' gates are more 8-channel groups than a CTA has threads */
    if (k[3] != 1152) {
      check_block(&tb->b, 5, staged | CUDA_TEST_GEMM | CUDA_TEST_BULK | CUDA_TEST_STREAM(3), 0);
      check_block(&tb->b, 3, staged | CUDA_TEST_GEMM64 | CUDA_TEST_BULK | CUDA_TEST_STREAM(1), 2);
      check_block(&tb->b, 4, staged | CUDA_TEST_GEMM64 | CUDA_TEST_BULK | CUDA_TEST_STREAM(15), 0);
    }
  }
}

static void test_mbconv_se(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  each_se_case(mbconv_se_case);
  /* Many images per GEMM tile: 40 images of 2x2 outputs, so that a 64-row tile spans 17
     images and a 128-row one 33, and the per-tile GEMM's gate copies (8 per image and
     slice) take two passes of the CTA's 128 or 256 threads */
  tblock tb;
  make_mbconv_row(&tb, tiny);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM64, 0);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM, 0);
  tblock_free(&tb);
  /* ... and through the bulk-copy GEMM, whose gates of 17 or 33 images (144 channels: 5
     slices, the last half past K) take 2 or 3 passes of its threads */
  make_mbconv_row(&tb, tiny);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_BULK, 0);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM | CUDA_TEST_BULK, 0);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM96 | CUDA_TEST_BULK, 0);
  tblock_free(&tb);
}

/* The STAGED pass 2 on sm_90a's warpgroup MMAs (CUDA_TEST_WG), on test_mbconv_se's
 * blocks: rows across images, a partial last tile, a last 64-channel slice past K (144,
 * 240, 480: 2.25, 3.75, 7.5 slices; 32 and 96: less than one), up to 160 columns per CTA
 * and column splits, a residual; persistent CTAs walking several tiles (the stages and the
 * two gate buffers wrap round); many images per tile (40 images of 2x2 outputs: 17 or 33
 * images' gates per tile, each CTA one tile or all of them). */
static void test_mbconv_wg(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  for (unsigned c = 0; c < sizeof se_cases / sizeof se_cases[0]; c++) {
    tblock tb;
    make_mbconv_row(&tb, se_cases[c]);
    check_block(&tb.b, c % 2 ? 3 : 2, 1 | CUDA_TEST_GEMM | CUDA_TEST_WG, 0);
    check_block(&tb.b, 5, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_WG, 3);
    check_block(&tb.b, 4, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_WG | CUDA_TEST_STREAM(1), 0);
    check_block(&tb.b, 5, 1 | CUDA_TEST_GEMM | CUDA_TEST_WG | CUDA_TEST_STREAM(3), 2);
    tblock_free(&tb);
  }
  tblock tb;
  make_mbconv_row(&tb, tiny);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_WG, 0);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM | CUDA_TEST_WG | CUDA_TEST_STREAM(1), 0);
  check_block(&tb.b, 40, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_WG | CUDA_TEST_STREAM(1), 0);
  tblock_free(&tb);
}

/* The STAGED pass 2 as the narrow GEMM (CUDA_TEST_NARROW): K of 32 (no expansion: K is
 * the input's channels), 64 and 96, N of 16 and 32 (24 outputs: padded columns written as
 * zeros), residuals, odd image sizes and a last partial 16-row tile, and images of 9
 * pixels (a tile's rows g and g + 8 in different images, a lane's rows skipping images
 * between tiles) with 40 images; the warps' runs of tiles at 3 and 40 images. */
static void test_mbconv_narrow(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  static const int cases[][9] = {
      /* h, w, cin, mid, cout, k, s, se, residual */
      {37, 37, 32, 0, 16, 3, 1, 8, 0},  {57, 55, 16, 96, 24, 3, 2, 4, 0},
      {20, 21, 16, 64, 16, 3, 1, 4, 1}, {9, 7, 32, 64, 32, 3, 1, 4, 1},
      {3, 3, 16, 64, 16, 3, 1, 4, 1},
  };
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    tblock tb;
    make_mbconv_row(&tb, cases[c]);
    check_block(&tb.b, c == 4 ? 40 : 3, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_NARROW, 0);
    if (c < 2) check_block(&tb.b, 1, 1 | CUDA_TEST_GEMM64 | CUDA_TEST_NARROW, 0);
    tblock_free(&tb);
  }
}

/* PASS1's depthwise conv in strips of 7 pixels by one or two rows per
 * thread (dwrows 4 and 5), in 8 and 16 warps: k = 3 and 5, stride 1 and 2,
 * chunks of 32 to 128 channels and a narrower last one (240 = 128 + 112),
 * one and two strips per tile row, tiles past the image's right and bottom
 * edges (outputs 8 wide, 19 and 23 high), both pass-2 variants. */
static void test_mbconv_strips(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  static const int cases[][9] = {
      /* h, w, cin, mid, cout, k, s, se, residual */
      {14, 14, 40, 240, 40, 5, 1, 10, 1}, {13, 15, 40, 240, 80, 5, 2, 10, 0},
      {7, 7, 96, 576, 96, 5, 1, 24, 1},   {19, 23, 24, 144, 24, 3, 1, 6, 1},
      {29, 29, 24, 144, 40, 3, 2, 6, 0},
  };
  static const int ccs[] = {32, 64, 128};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int staged = 0; staged < 2; staged++) {
      tblock tb;
      make_mbconv_row(&tb, cases[c]);
      for (int ny = 1; ny <= 2; ny++) {
        const long long f = staged | CUDA_TEST_STRIPS(ny) | CUDA_TEST_DWH2;
        check_block(&tb.b, 2, f | CUDA_TEST_CC(ccs[(c + ny) % 3]), 0);
        check_block(&tb.b, 3, f | CUDA_TEST_CC(ccs[(c + ny + 1) % 3]) | CUDA_TEST_WIDE, 0);
      }
      tblock_free(&tb);
    }
}

/* PASS1 of blocks without expansion as dw_direct.cu's kernel: stride 1
 * and 2, 16, 32 and 64 channels (2, 4 and 8 channel groups per pixel),
 * partial edge tiles, tiles of whole rows on which a thread walks up to 3
 * strips, a residual, relu6 (the fp32 activation path), both pass-2
 * variants. */
static void test_mbconv_dwdirect(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  static const int cases[][9] = {
      /* h, w, cin, mid, cout, k, s, se, residual */
      {37, 37, 32, 0, 16, 3, 1, 8, 0},
      {29, 31, 64, 0, 24, 3, 2, 16, 0},
      {19, 23, 16, 0, 16, 3, 1, 4, 1},
  };
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++)
    for (int staged = 0; staged < 2; staged++) {
      tblock tb;
      make_mbconv_row(&tb, cases[c]);
      check_block(&tb.b, c + 2, staged | CUDA_TEST_DWDIRECT, 0);
      check_block(&tb.b, 2, staged | CUDA_TEST_DWDIRECT | CUDA_TEST_ROWTILE, 0);
      if (staged)
        check_block(&tb.b, 3, staged | CUDA_TEST_DWDIRECT | CUDA_TEST_GEMM | CUDA_TEST_STREAM(2),
                    0);
      tb.b.act = MODEL_ACT_RELU6;
      check_block(&tb.b, 2, staged | CUDA_TEST_DWDIRECT, 0);
      tblock_free(&tb);
    }
}

/* PASS1 as mbconv_wg.cu's kernel (an image per CTA, the expand on warpgroup
 * MMAs): EfficientNet's 7x7 blocks (k = 5 and 3, CinP 192: three 64-channel
 * panels) and a 14x14 one (four 64-pixel m-tiles over two expand warpgroups),
 * odd sizes (5 x 6, 8 x 4, 6 x 8; 13 and 11 rows of 14: a part last m-tile),
 * stride 2 (EfficientNet's 14x14 -> 7x7 k = 5 block with its asymmetric same
 * padding, 13 x 15 -> 7 x 8, 9 x 11 -> 5 x 6), CinP 48, 80 and 112 (a part panel,
 * zeros past CinP), a last chunk of 16 channels (CmidP 208), 1 to 3 CTAs per
 * image, the staged and the recomputing pass 2 after it, batches that are
 * not a multiple of anything. */
static void test_mbconv_wgx(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  static const int cases[][9] = {
      /* h, w, cin, mid, cout, k, s, se, residual */
      {7, 7, 192, 1152, 192, 5, 1, 48, 1},  {7, 7, 192, 1152, 320, 3, 1, 48, 0},
      {5, 6, 40, 200, 40, 3, 1, 10, 1},     {8, 4, 112, 672, 112, 5, 1, 28, 1},
      {6, 8, 24, 144, 40, 5, 1, 6, 0},      {14, 14, 112, 672, 112, 5, 1, 28, 1},
      {13, 14, 80, 480, 80, 3, 1, 20, 1},   {11, 14, 40, 240, 40, 5, 1, 10, 0},
      {14, 14, 112, 672, 192, 5, 2, 28, 0}, {13, 15, 40, 240, 80, 3, 2, 10, 0},
      {9, 11, 24, 144, 40, 5, 2, 6, 0},
  };
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    tblock tb;
    make_mbconv_row(&tb, cases[c]);
    for (int z = 1; z <= 3; z++) check_block(&tb.b, 1 + (int)(c + z) % 3, 1 | CUDA_TEST_WGX, z);
    check_block(&tb.b, 2, CUDA_TEST_WGX, 2); /* recompute */
    tblock_free(&tb);
  }
}

/* The one-pass cluster mode (images of <= 256 output pixels): every cluster
 * size, both chunk widths, with and without SE, residual, stride 2, no
 * expansion, channel counts that leave some CTAs without channels or without
 * output tiles, and the packed fp16 depthwise taps. */
static void test_mbconv_cluster(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  static const int cases[][10] = {
      /* h, w, cin, mid, cout, k, s, se, residual, smallest cluster that fits */
      {7, 7, 192, 1152, 320, 3, 1, 48, 0, 1},  {14, 13, 80, 480, 80, 3, 1, 20, 1, 2},
      {27, 28, 40, 240, 80, 3, 2, 10, 0, 2},   {15, 17, 40, 0, 48, 5, 2, 8, 0, 1},
      {13, 13, 24, 144, 24, 3, 1, 0, 1, 1},    {9, 11, 20, 70, 36, 3, 2, 5, 0, 1},
      {14, 14, 112, 672, 112, 5, 1, 28, 1, 4},
  };
  static const int cls[] = {1, 2, 4, 8};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int *k = cases[c];
    tblock tb;
    make_mbconv_row(&tb, k);
    for (unsigned j = 0; j < sizeof cls / sizeof cls[0]; j++) {
      if (cls[j] < k[9]) continue;
      const int flags = CUDA_TEST_CLUSTER | (j % 2 ? CUDA_TEST_CC16 : 0);
      check_block(&tb.b, 1 + (int)(c + j) % 3, flags, cls[j]);
    }
    check_block(&tb.b, 2, CUDA_TEST_CLUSTER | CUDA_TEST_DWH2, 8);
    tblock_free(&tb);
  }
}

static void test_head(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  /* h, w, cin, mid, classes, n; with 19600 pixels the 128-row tiles fill the SMs, so the
     pooling GEMM takes all its columns per CTA: 5, 8 and 4 column tiles (8 and 4: the
     pooled sums by halving exchanges); each also on warpgroup MMAs (CUDA_TEST_WG: 10 splits
     of 8 column tiles; 5, 1, 8 and 4 in one) */
  static const int cases[][6] = {{7, 7, 320, 1280, 1000, 3}, {5, 3, 40, 72, 10, 17},
                                 {1, 1, 24, 16, 5, 1},       {7, 7, 32, 72, 10, 400},
                                 {7, 7, 32, 128, 10, 400},   {7, 7, 24, 64, 7, 400}};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int *k = cases[c];
    tblock tb = {0};
    model_block *b = &tb.b;
    snprintf(b->name, sizeof b->name, "head%dx%d_%d_%d_%d", k[0], k[1], k[2], k[3], k[4]);
    b->kind = MODEL_BLOCK_HEAD, b->in_h = k[0], b->in_w = k[1], b->in_c = k[2];
    b->kernel = 1, b->stride = 1;
    b->mid_c = k[3], b->out_c = k[4], b->out_h = 1, b->out_w = 1;
    b->act = c == 1 ? MODEL_ACT_RELU6 : MODEL_ACT_SWISH; /* the run-time act path too */
    rand_tensor(&tb, &b->expand_w, 2, (int64_t[]){k[2], k[3]}, 1.7f * inv_sqrt(k[2]));
    rand_tensor(&tb, &b->expand_b, 1, (int64_t[]){k[3]}, 0.5f);
    rand_tensor(&tb, &b->fc_w, 2, (int64_t[]){k[3], k[4]}, 1.7f * inv_sqrt(k[3]));
    rand_tensor(&tb, &b->fc_b, 1, (int64_t[]){k[4]}, 0.5f);
    check_block(b, k[5], 0, 0);
    check_block(b, k[5], CUDA_TEST_WG, 0);
    tblock_free(&tb);
  }
}

/* The pixel-tile blocks (px_block.cu) take a LayerNorm where these have
 * norm.* tensors. */
static void rand_ln(tblock *tb, model_block *b, int c) {
  rand_tensor(tb, &b->norm_w, 1, (int64_t[]){c}, 1.5f);
  rand_tensor(tb, &b->norm_b, 1, (int64_t[]){c}, 0.5f);
  b->ln_eps = 1e-6f;
}

/* ConvNeXt (k x k depthwise -> LayerNorm -> expand -> GELU -> project ->
 * layer scale -> + x) or ConvFirst (groups; group width cin / groups). */
static void make_mlp_block(tblock *tb, model_block_kind kind, int h, int w, int cin, int mid,
                           int cout, int k, int s, int groups, int residual) {
  memset(tb, 0, sizeof *tb);
  model_block *b = &tb->b;
  const int next = kind == MODEL_BLOCK_CONVNEXT;
  snprintf(b->name, sizeof b->name, "%s%dx%d_%d_%d_%d_k%ds%dg%d", next ? "cnx" : "cf", h, w, cin,
           mid, cout, k, s, groups);
  b->kind = kind, b->in_h = h, b->in_w = w, b->in_c = cin, b->out_c = cout, b->mid_c = mid;
  b->kernel = k, b->stride = s, b->groups = groups, b->residual = residual;
  b->act = next ? MODEL_ACT_GELU : MODEL_ACT_RELU;
  b->out_h = model_conv_out(h, k, s, 0, &b->pad_t);
  b->out_w = model_conv_out(w, k, s, 0, &b->pad_l);
  const int cg = cin / groups;
  if (next) {
    rand_tensor(tb, &b->dw_w, 3, (int64_t[]){k, k, cin}, 1.7f / (float)k);
    rand_tensor(tb, &b->dw_b, 1, (int64_t[]){cin}, 0.5f);
    rand_ln(tb, b, cin);
    rand_tensor(tb, &b->layer_scale, 1, (int64_t[]){cout}, 1.f);
  } else {
    rand_tensor(tb, &b->conv_w, 4, (int64_t[]){k, k, cg, cin}, 1.7f / (float)k * inv_sqrt(cg));
    rand_tensor(tb, &b->conv_b, 1, (int64_t[]){cin}, 0.5f);
  }
  rand_tensor(tb, &b->expand_w, 2, (int64_t[]){cin, mid}, 1.7f * inv_sqrt(cin));
  rand_tensor(tb, &b->expand_b, 1, (int64_t[]){mid}, 0.5f);
  rand_tensor(tb, &b->project_w, 2, (int64_t[]){mid, cout}, 1.7f * inv_sqrt(mid));
  rand_tensor(tb, &b->project_b, 1, (int64_t[]){cout}, 0.5f);
}

static void test_convnext(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  /* h, w, c, mid, k, n; then the planner's launch, and forced ones: zsplit = nt
     (32 nt output columns per CTA; 96 and 320 channels split into 2 and 2
     column groups, the last one partial), staged & 1 = chunks of 32 */
  static const int cases[][6] = {{13, 11, 40, 160, 7, 3},
                                 {7, 7, 96, 384, 7, 5},
                                 {9, 9, 320, 1280, 7, 2},
                                 {6, 5, 24, 48, 3, 1},
                                 {9, 7, 32, 64, 5, 2}};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int *k = cases[c];
    tblock tb;
    make_mlp_block(&tb, MODEL_BLOCK_CONVNEXT, k[0], k[1], k[2], k[3], k[2], k[4], 1, k[2], 1);
    check_block(&tb.b, k[5], 0, 0);
    check_block(&tb.b, k[5], 1, 2);
    check_block(&tb.b, k[5], 0, 2);
    check_block(&tb.b, k[5], CUDA_TEST_PX_HS(3), 4); /* the hidden split, uneven */
    /* the row-warp kernel: 128 pixels a CTA, H in the registers */
    check_block(&tb.b, k[5], CUDA_TEST_PX_RW, 2);
    check_block(&tb.b, k[5], CUDA_TEST_PX_RW | 1, 3);
    check_block(&tb.b, k[5], CUDA_TEST_PX_RW | CUDA_TEST_PX_HS(2), 6);
    /* the warpgroup-MMA kernel: 128 and 64 pixels a CTA, CinP of 1 to 5 slices of 64 (the
       last one partial), chunks past CmidP, split chunks */
    check_block(&tb.b, k[5], CUDA_TEST_PX_WG(2), 2);
    check_block(&tb.b, k[5], CUDA_TEST_PX_WG(1), 3);
    check_block(&tb.b, k[5], CUDA_TEST_PX_WG(2) | CUDA_TEST_PX_HS(3), 6);
    check_block(&tb.b, k[5], CUDA_TEST_PX_WG(1) | CUDA_TEST_PX_HS(2), 4);
    /* its column-split form: 192, 256 and 384 columns, two warpgroups sharing H */
    check_block(&tb.b, k[5], CUDA_TEST_PX_WG(3), 6);
    check_block(&tb.b, k[5], CUDA_TEST_PX_WG(3) | CUDA_TEST_PX_HS(3), 8);
    if (k[2] > 96) check_block(&tb.b, k[5], CUDA_TEST_PX_WG(3), 12);
    if (k[2] > 64) {
      check_block(&tb.b, k[5], 1, 4);
      check_block(&tb.b, k[5], 1 | CUDA_TEST_PX_HS(2), 12); /* 384 columns per CTA */
      check_block(&tb.b, k[5], 0, 3);
      check_block(&tb.b, k[5], 1, 6);
    }
    tblock_free(&tb);
  }
}

static void test_convfirst(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  /* h, w, cin, mid, cout, k, s, groups, residual, n: depthwise (groups = cin)
     and grouped (group width 8 and 16: 8 channels per item; 3: one), stride 2, odd sizes */
  static const int cases[][10] = {
      {14, 14, 32, 128, 32, 3, 1, 32, 1, 2}, {10, 10, 32, 64, 32, 3, 1, 2, 1, 2},
      {12, 10, 48, 192, 48, 3, 1, 6, 1, 3},  {15, 13, 24, 96, 40, 3, 2, 3, 0, 2},
      {9, 11, 24, 72, 24, 5, 1, 8, 1, 2},    {8, 8, 64, 256, 96, 7, 1, 8, 0, 1}};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int *k = cases[c];
    tblock tb;
    make_mlp_block(&tb, MODEL_BLOCK_CONVFIRST, k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7],
                   k[8]);
    check_block(&tb.b, k[9], 0, 0);
    check_block(&tb.b, k[9], 1, 2);
    check_block(&tb.b, k[9], CUDA_TEST_PX_HS(2), 3);
    check_block(&tb.b, k[9], CUDA_TEST_PX_RW, 4);
    check_block(&tb.b, k[9], CUDA_TEST_PX_WG(2), 3);
    check_block(&tb.b, k[9], CUDA_TEST_PX_WG(1), 2);
    check_block(&tb.b, k[9], CUDA_TEST_PX_WG(3), 6);
    tblock_free(&tb);
  }
}

/* Downsample ([LayerNorm] -> k x k conv, stride s) and the stem with a
 * LayerNorm after its conv (ConvNeXt's 4x4 stride-4 one, and odd sizes with
 * SAME padding). */
static void test_px_conv(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  /* h, w, cin, cout, k, s, ln, n */
  static const int down[][8] = {{14, 14, 96, 192, 2, 2, 1, 3},
                                {11, 9, 40, 72, 2, 2, 1, 2},
                                {12, 13, 24, 40, 3, 2, 0, 2},
                                {28, 28, 192, 384, 2, 2, 1, 1}};
  for (unsigned c = 0; c < sizeof down / sizeof down[0]; c++) {
    const int *k = down[c];
    tblock tb = {0};
    model_block *b = &tb.b;
    snprintf(b->name, sizeof b->name, "down%dx%d_%d_%d_k%ds%d%s", k[0], k[1], k[2], k[3], k[4],
             k[5], k[6] ? "_ln" : "");
    b->kind = MODEL_BLOCK_DOWNSAMPLE, b->in_h = k[0], b->in_w = k[1], b->in_c = k[2];
    b->out_c = k[3], b->kernel = k[4], b->stride = k[5], b->groups = 1;
    b->act = k[6] ? MODEL_ACT_NONE : MODEL_ACT_SWISH;
    b->out_h = model_conv_out(k[0], k[4], k[5], 1, &b->pad_t);
    b->out_w = model_conv_out(k[1], k[4], k[5], 1, &b->pad_l);
    rand_tensor(&tb, &b->conv_w, 4, (int64_t[]){k[4], k[4], k[2], k[3]},
                1.7f * inv_sqrt(k[4] * k[4] * k[2]));
    rand_tensor(&tb, &b->conv_b, 1, (int64_t[]){k[3]}, 0.5f);
    if (k[6]) rand_ln(&tb, b, k[2]);
    check_block(b, k[7], 0, 0);
    check_block(b, k[7], 0, 2);
    check_block(b, k[7], 0, 3);
    check_block(b, k[7], CUDA_TEST_PX_HS(3), 2); /* K chunks split 3 ways */
    tblock_free(&tb);
  }
  /* h, w, cout, k, s, act, n */
  static const int stems[][7] = {{32, 28, 96, 4, 4, MODEL_ACT_NONE, 3},
                                 {30, 26, 40, 4, 4, MODEL_ACT_GELU, 2},
                                 {17, 19, 24, 3, 2, MODEL_ACT_SWISH, 2}};
  for (unsigned c = 0; c < sizeof stems / sizeof stems[0]; c++) {
    const int *k = stems[c];
    tblock tb = {0};
    model_block *b = &tb.b;
    snprintf(b->name, sizeof b->name, "stemln%dx%d_%d_k%ds%d", k[0], k[1], k[2], k[3], k[4]);
    b->kind = MODEL_BLOCK_STEM, b->in_h = k[0], b->in_w = k[1], b->in_c = 3, b->out_c = k[2];
    b->kernel = k[3], b->stride = k[4], b->groups = 1, b->act = k[5];
    b->out_h = model_conv_out(k[0], k[3], k[4], 1, &b->pad_t);
    b->out_w = model_conv_out(k[1], k[3], k[4], 1, &b->pad_l);
    rand_tensor(&tb, &b->conv_w, 4, (int64_t[]){k[3], k[3], 3, k[2]}, 1.7f * inv_sqrt(27));
    rand_tensor(&tb, &b->conv_b, 1, (int64_t[]){k[2]}, 0.5f);
    rand_ln(&tb, b, k[2]);
    check_block(b, k[6], 0, 0);
    tblock_free(&tb);
  }
}

/* The head without its 1x1 conv (ConvNeXt: pool -> LayerNorm -> FC), and
 * with a conv and a LayerNorm. */
static void test_head_ln(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  /* h, w, cin, mid, classes, ln, n */
  static const int cases[][7] = {{7, 7, 96, 0, 37, 1, 3},
                                 {5, 3, 40, 64, 10, 1, 5},
                                 {4, 4, 24, 0, 7, 0, 2},
                                 {7, 7, 768, 0, 1000, 1, 17}};
  for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    const int *k = cases[c], ch = k[3] ? k[3] : k[2];
    tblock tb = {0};
    model_block *b = &tb.b;
    snprintf(b->name, sizeof b->name, "headln%dx%d_%d_%d_%d%s", k[0], k[1], k[2], k[3], k[4],
             k[5] ? "_ln" : "");
    b->kind = MODEL_BLOCK_HEAD, b->in_h = k[0], b->in_w = k[1], b->in_c = k[2];
    b->kernel = 1, b->stride = 1, b->mid_c = k[3], b->out_c = k[4], b->out_h = 1, b->out_w = 1;
    b->act = MODEL_ACT_SWISH;
    if (k[3]) {
      rand_tensor(&tb, &b->expand_w, 2, (int64_t[]){k[2], k[3]}, 1.7f * inv_sqrt(k[2]));
      rand_tensor(&tb, &b->expand_b, 1, (int64_t[]){k[3]}, 0.5f);
    }
    if (k[5]) rand_ln(&tb, b, ch);
    rand_tensor(&tb, &b->fc_w, 2, (int64_t[]){ch, k[4]}, 1.7f * inv_sqrt(ch));
    rand_tensor(&tb, &b->fc_b, 1, (int64_t[]){k[4]}, 0.5f);
    check_block(b, k[6], 0, 0);
    tblock_free(&tb);
  }
}

int main(void) {
  test_seed();
  test_filter_from_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_stem),
      cmocka_unit_test(test_mbconv_plain),
      cmocka_unit_test(test_mbconv_se),
      cmocka_unit_test(test_se_mma),
      cmocka_unit_test(test_mbconv_wg),
      cmocka_unit_test(test_mbconv_narrow),
      cmocka_unit_test(test_mbconv_chunks),
      cmocka_unit_test(test_mbconv_cluster),
      cmocka_unit_test(test_mbconv_dwdirect),
      cmocka_unit_test(test_mbconv_wgx),
      cmocka_unit_test(test_mbconv_strips),
      cmocka_unit_test(test_head),
      cmocka_unit_test(test_convnext),
      cmocka_unit_test(test_convfirst),
      cmocka_unit_test(test_px_conv),
      cmocka_unit_test(test_head_ln),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
