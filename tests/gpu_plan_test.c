/* The launch planner (fused_kernels/cuda_plan.c) needs no GPU: it is pure C
 * over the block's shapes and a device description. These tests check, for
 * every MBConv block of the real EfficientNet-B0 and for odd shapes, that
 * each plan respects the kernel's limits (shared memory, accumulator tiles,
 * pixels per tile, grid.z splits that all get work), covers the output, and
 * reacts to the batch and the device the way the cost model says it should. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fused_kernels/cuda_plan.h"
#include "model/net.h"
#include "tests/test_support.h"

/* An H100/H200-like device (sm_90 limits, measured-order peaks). */
static cuda_device_caps hopper(void) {
  cuda_device_caps c = {0};
  c.sms = 132;
  c.clock_khz = 1980000;
  c.smem_optin = 227 * 1024;
  c.smem_per_sm = 228 * 1024;
  c.regs_per_sm = 65536;
  const int regs[5] = {80, 80, 126, 163, 229};
  memcpy(c.regs_nf, regs, sizeof regs);
  c.peak_flops = 6.4e14;
  c.peak_bw = 4.1e12;
  c.bulk = 1;
  return c;
}

static cuda_mbconv_args shapes(int h, int w, int cin, int mid, int cout, int k, int s, int se,
                               int mode) {
  cuda_mbconv_args a = {0};
  a.H = h, a.W = w, a.Cin = cin, a.Cmid = mid, a.Cout = cout;
  a.Ho = model_conv_out(h, k, s, 1, &a.pad_t);
  a.Wo = model_conv_out(w, k, s, 1, &a.pad_l);
  a.CinP = cuda_pad16(cin), a.CmidP = cuda_pad16(mid), a.CoutP = cuda_pad16(cout);
  a.K = k, a.S = s, a.se_c = se, a.has_expand = mid != cin, a.mode = mode;
  a.act = MODEL_ACT_SWISH, a.se_act = MODEL_ACT_SWISH;
  return a;
}

/* Every invariant the kernel's launcher and indexing rely on. */
static void check_plan(const cuda_mbconv_args *a, const cuda_device_caps *c) {
  assert_true(a->TH >= 1 && a->TW >= 1 && a->TH * a->TW <= 256);
  assert_true(a->CC % 16 == 0 && a->CC >= 16 && a->CC <= a->CmidP);
  assert_true(cuda_mbconv_smem(a) <= c->smem_optin);
  assert_true(cuda_mbconv_nf(a) <= CUDA_MAX_NF);
  assert_int_equal(a->tiles_y, (a->Ho + a->TH - 1) / a->TH);
  assert_int_equal(a->tiles_x, (a->Wo + a->TW - 1) / a->TW);
  const int z = cuda_mbconv_z(a);
  const int nch = (a->CmidP + a->CC - 1) / a->CC, nct = a->CoutP / 16;
  if (a->mode == CUDA_MB_PASS1)
    assert_true((z - 1) * ((nch + z - 1) / z) < nch); /* the last split has chunks */
  else
    assert_true((z - 1) * cuda_mbconv_nctz(a) < nct); /* ... or columns */
}

/* EfficientNet-B0's MBConv blocks: h, w, cin, mid, cout, k, s, se. */
static const int kB0[][8] = {
    {112, 112, 32, 32, 16, 3, 1, 8},   {112, 112, 16, 96, 24, 3, 2, 4},
    {56, 56, 24, 144, 24, 3, 1, 6},    {56, 56, 24, 144, 40, 5, 2, 6},
    {28, 28, 40, 240, 40, 5, 1, 10},   {28, 28, 40, 240, 80, 3, 2, 10},
    {14, 14, 80, 480, 80, 3, 1, 20},   {14, 14, 80, 480, 112, 5, 1, 20},
    {14, 14, 112, 672, 112, 5, 1, 28}, {14, 14, 112, 672, 192, 5, 2, 28},
    {7, 7, 192, 1152, 192, 5, 1, 48},  {7, 7, 192, 1152, 320, 3, 1, 48},
};

static void test_b0_plans_valid(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  static const int modes[] = {CUDA_MB_FUSED, CUDA_MB_PASS1, CUDA_MB_RECOMP, CUDA_MB_STAGED};
  static const int batches[] = {1, 8, 64, 256};
  char err[256];
  for (unsigned i = 0; i < sizeof kB0 / sizeof kB0[0]; i++) {
    const int *k = kB0[i];
    for (unsigned m = 0; m < 4; m++) {
      for (unsigned b = 0; b < 4; b++) {
        for (int cap = 1; cap <= 4; cap++) {
          cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], modes[m]);
          const size_t smem_cap = c.smem_per_sm / (size_t)cap - 1024;
          int rc = cuda_plan_mbconv(&a, batches[b], &c, smem_cap, err, sizeof err);
          if (rc)
            fail_msg("block %u mode %d batch %d cap %d: %s", i, modes[m], batches[b], cap, err);
          assert_true(cuda_mbconv_smem(&a) <= smem_cap);
          check_plan(&a, &c);
        }
      }
    }
  }
}

/* The tuner's per-chunk-width candidates (cuda_plan_mbconv_cc): each keeps
 * the chunk width it was asked for (or fails with -ENOSPC when the width is
 * wider than the block or nothing fits) and respects the cap; the
 * unconstrained plan is one of them, and the best of them is modelled as
 * fast as it. */
static void test_plan_per_chunk_width(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  static const int ccs[] = {16, 32, 64, 128};
  static const int modes[] = {CUDA_MB_PASS1, CUDA_MB_STAGED, CUDA_MB_RECOMP, CUDA_MB_FUSED};
  char err[256];
  for (unsigned i = 0; i < sizeof kB0 / sizeof kB0[0]; i++) {
    const int *k = kB0[i];
    for (unsigned m = 0; m < 4; m++) {
      for (int cap = 1; cap <= 4; cap++) {
        const size_t smem_cap = c.smem_per_sm / (size_t)cap - 1024;
        cuda_mbconv_args any = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], modes[m]);
        if (cuda_plan_mbconv(&any, 256, &c, smem_cap, err, sizeof err)) continue;
        const double best_any = cuda_plan_cost(&any, 256, &c);
        double best_cc = 1e300;
        int found_any = 0;
        for (unsigned j = 0; j < 4; j++) {
          cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], modes[m]);
          const int rc = cuda_plan_mbconv_cc(&a, 256, &c, smem_cap, ccs[j], err, sizeof err);
          if (ccs[j] > a.CmidP) {
            assert_int_equal(rc, -ENOSPC);
            continue;
          }
          if (rc) {
            assert_int_equal(rc, -ENOSPC);
            continue;
          }
          assert_int_equal(a.CC, ccs[j]);
          assert_true(cuda_mbconv_smem(&a) <= smem_cap);
          check_plan(&a, &c);
          const double t = cuda_plan_cost(&a, 256, &c);
          if (t < best_cc) best_cc = t;
          found_any |= a.CC == any.CC && a.TH == any.TH && a.TW == any.TW && a.zsplit == any.zsplit;
        }
        assert_true(best_cc <= best_any * 1.001 && best_cc >= best_any * 0.999);
        assert_true(found_any);
      }
    }
  }
}

/* The shared memory the kernels lay out beyond the tile: the STAGED pass 2
 * holds a second dw-output buffer for the next chunk's prefetch, and the SE
 * kernel after PASS1 needs room for the means, the reduce FC's partials and
 * its output. */
static void test_smem_accounting(void **state) {
  (void)state;
  cuda_mbconv_args st = shapes(14, 14, 80, 480, 80, 3, 1, 20, CUDA_MB_STAGED);
  st.TH = st.TW = 14, st.CC = 64, st.tiles_x = st.tiles_y = 1;
  cuda_mbconv_args rc = st;
  rc.mode = CUDA_MB_RECOMP, rc.has_expand = 0; /* no expand weights or input tile */
  const size_t pout = (size_t)cuda_pad16(14 * 14), dwo = pout * (64 + 8) * 2;
  /* recompute without expansion = staged + dw weights + the mid tile - the prefetch buffer */
  const size_t dw_w = 3 * 3 * 64 * 2, mid = (size_t)cuda_pad16(16 * 16) * (64 + 8) * 2;
  const size_t a = cuda_mbconv_smem(&st), b = cuda_mbconv_smem(&rc);
  assert_true(a % 128 == 0 && b % 128 == 0);
  assert_true(b + dwo >= a + dw_w + mid - 127 && b + dwo <= a + dw_w + mid + 127);
  /* SE kernel: CmidP means + max(2048, round8(se_c)) partials + round8(se_c) outputs */
  cuda_mbconv_args se = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_PASS1);
  assert_int_equal(cuda_se_smem(&se), (1152 + 2048 + 48) * 4);
  /* its PRE variant adds Wr (1152 x 48 fp16), the sums of 7 x 2 tiles and
   * We's 64 columns; taken for one wave of CTAs that each gate one chunk */
  se.tiles_x = 7, se.tiles_y = 2;
  assert_int_equal(cuda_se_smem_pre(&se),
                   cuda_se_smem(&se) + 1152 * 48 * 2 + 14 * 1152 * 4 + 48 * CUDA_SE_CPB * 2);
  int g, cpb;
  cuda_se_grid(&se, 1, &g, &cpb);
  assert_int_equal(g, 18);
  assert_true(cuda_se_pre_ok(&se, 1, g, cpb, 132));
  assert_false(cuda_se_pre_ok(&se, 1, g, cpb, 17)); /* two waves */
  cuda_se_grid(&se, 8, &g, &cpb);                   /* 144 CTAs: small grid, two waves */
  assert_int_equal(cpb, CUDA_SE_CPB);
  assert_false(cuda_se_pre_ok(&se, 8, g, cpb, 132));
  se.se_g = 1; /* one CTA gates every chunk */
  cuda_se_grid(&se, 1, &g, &cpb);
  assert_false(cuda_se_pre_ok(&se, 1, g, cpb, 132));
  se.se_g = 0;
  se.se_c = 3000; /* wider than the partials' 2048 floats */
  assert_int_equal(cuda_se_smem(&se), (1152 + 3000 + 3000) * 4);
}

/* The SE MLP batched over groups of 8 images: taken from two groups on where
 * the SE weights outweigh the per-tile sums; its grid about one CTA per SM,
 * at most one per 128 channels; its shared memory the means, S partial rows
 * and the output per image, the reduce weights and the CTA's expand columns. */
static void test_se_batch(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(7, 7, 192, 1152, 320, 5, 1, 48, CUDA_MB_PASS1);
  a.tiles_x = a.tiles_y = 1, a.sms = 132;
  assert_true(cuda_se_batch_ok(&a, 256));
  assert_false(cuda_se_batch_ok(&a, 128)); /* measured at 64 (a loss) and 256 only */
  int groups, g;
  cuda_se_batch_grid(&a, 256, &groups, &g);
  assert_int_equal(groups, 32);
  assert_int_equal(g, 4); /* 128 CTAs */
  cuda_se_batch_grid(&a, 64, &groups, &g);
  assert_int_equal(groups, 8);
  assert_int_equal(g, 9); /* capped at 1152 / 128 */
  cuda_se_batch_grid(&a, 3, &groups, &g);
  assert_int_equal(groups, 1);
  /* se_c 48: 6 column groups of 8, one per warp, no channel split; 4 CTAs per group gate
     144 channel pairs each: means, partials and output, then Wr and the CTA's We columns */
  assert_int_equal(cuda_se_batch_splits(&a), 1);
  assert_int_equal(cuda_se_batch_per(&a, 4), 144);
  assert_int_equal(cuda_se_batch_smem(&a, 4),
                   8 * (1152 + 48 + 48) * 4 + 1152 * 48 * 2 + 48 * 2 * 144 * 2);
  assert_int_equal(cuda_se_batch_per(&a, 9), 64);
  assert_int_equal(cuda_se_batch_per(&a, 5), 116); /* 115.2 up to a multiple of 4 */
  /* stack1: se_c 4 (one column group: the 8 warps split the channels), 32 tiles: the sums
     outweigh the 96 x 4 weights */
  cuda_mbconv_args b = shapes(112, 112, 16, 96, 24, 3, 2, 4, CUDA_MB_PASS1);
  b.tiles_x = 4, b.tiles_y = 8, b.sms = 132;
  assert_int_equal(cuda_se_batch_splits(&b), 8);
  assert_false(cuda_se_batch_ok(&b, 256));
  cuda_se_batch_grid(&b, 256, &groups, &g);
  assert_int_equal(g, 1); /* 96 channels: one range */
  /* se_c 20: 3 column groups, 2 channel ranges; 480 x 20 weights (37.5 KB): not taken */
  cuda_mbconv_args c = shapes(14, 14, 80, 480, 80, 3, 1, 20, CUDA_MB_PASS1);
  c.tiles_x = 1, c.tiles_y = 2;
  assert_int_equal(cuda_se_batch_splits(&c), 2);
  assert_false(cuda_se_batch_ok(&c, 256));
  cuda_mbconv_args d = shapes(14, 14, 112, 672, 112, 5, 1, 28, CUDA_MB_PASS1);
  d.tiles_x = d.tiles_y = 1;
  assert_true(cuda_se_batch_ok(&d, 256)); /* 672 x 28 */
  d.tiles_y = 29;
  assert_false(cuda_se_batch_ok(&d, 256)); /* more tiles than se_c */
  assert_int_equal(cuda_se_batch_smem(&c, 1),
                   8 * (480 + 2 * 24 + 20) * 4 + 480 * 24 * 2 + 20 * 2 * 240 * 2);
}

/* The SE MLP on tensor cores: groups of 16 images, each a cluster of at most
 * 8 CTAs over slices of the expanded channels (multiples of 16, every CTA
 * some, the last possibly narrower); its shared-memory layout. */
static void test_se_mma(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(7, 7, 192, 1152, 320, 5, 1, 48, CUDA_MB_PASS1);
  int groups, g;
  cuda_se_mma_grid(&a, 256, &groups, &g);
  assert_int_equal(groups, 16);
  assert_int_equal(g, 8);
  cuda_se_mma_grid(&a, 17, &groups, &g);
  assert_int_equal(groups, 2);
  cuda_se_mma_grid(&a, 1, &groups, &g);
  assert_int_equal(groups, 1);
  cuda_se_mma_layout L;
  cuda_se_mma_layout_of(&a, g, &L);
  assert_int_equal(L.cs, 144);
  assert_int_equal(L.seK, 48);
  assert_int_equal(L.ks, 6); /* 6 column tiles x 6 k ranges: ~2 items per warp */
  assert_int_equal(L.wr, 2 * 16 * 152 * 2);
  assert_int_equal(L.we, L.wr + 144 * 56 * 2);
  assert_int_equal(L.kpart, L.we + 48 * 152 * 2);
  assert_int_equal(L.part, L.kpart + 6 * 16 * 48 * 4);
  assert_int_equal(L.r, L.part + 16 * 48 * 4);
  assert_int_equal(L.bytes, L.r + 2 * 16 * 56 * 2);
  assert_int_equal(cuda_se_mma_smem(&a, g), 65536);
  /* se_c 4: one column tile of 8, K padded to 16; one k range per 16-channel slice */
  cuda_mbconv_args b = shapes(112, 112, 16, 96, 24, 3, 2, 4, CUDA_MB_PASS1);
  cuda_se_mma_grid(&b, 256, &groups, &g);
  assert_int_equal(g, 6);
  cuda_se_mma_layout_of(&b, g, &L);
  assert_int_equal(L.cs, 16);
  assert_int_equal(L.seK, 16);
  assert_int_equal(L.ks, 1);
  /* every EfficientNet width (and odd ones): g <= 8 slices, each some channels */
  const int mids[] = {16, 32, 96, 144, 240, 480, 672, 1152, 1264, 2016};
  for (unsigned i = 0; i < sizeof mids / sizeof mids[0]; i++) {
    cuda_mbconv_args m = shapes(14, 14, 16, mids[i], 16, 3, 1, 4, CUDA_MB_PASS1);
    cuda_se_mma_grid(&m, 8, &groups, &g);
    const int cs = cuda_se_mma_cs(&m, g);
    assert_true(g >= 1 && g <= 8);
    assert_true(cs % 16 == 0 && g * cs >= m.CmidP && (g - 1) * cs < m.CmidP);
  }
  /* the rule: the 1152 x 48 blocks from batch 8, down to 480 x 20 from 64, no smaller */
  static const int rule[][4] = {/* Cmid, se_c, batch, taken */
                                {1152, 48, 8, 1},  {1152, 48, 4, 0},  {672, 28, 64, 1},
                                {672, 28, 32, 0},  {480, 20, 256, 1}, {480, 20, 8, 0},
                                {240, 10, 256, 0}, {96, 4, 256, 0}};
  for (unsigned i = 0; i < sizeof rule / sizeof rule[0]; i++) {
    cuda_mbconv_args r = shapes(14, 14, 16, rule[i][0], 16, 3, 1, rule[i][1], CUDA_MB_PASS1);
    assert_int_equal(cuda_se_mma_ok(&r, rule[i][2]), rule[i][3]);
  }
  cuda_mbconv_args c = shapes(28, 28, 40, 144, 40, 5, 2, 6, CUDA_MB_PASS1);
  cuda_se_mma_grid(&c, 8, &groups, &g);
  assert_int_equal(g, 5); /* 9 tiles of 16: 2, 2, 2, 2, 1 */
  assert_int_equal(cuda_se_mma_cs(&c, g), 32);
}

/* The input tile keeps only its pixels inside the image (cuda_xin_rows): a
 * whole-image tile of a 7x7 image with k = 5 (11x11 with its padding) holds
 * 49 rows (64 padded) of the 192 input channels, not 121 (128). */
static void test_xin_rows(void **state) {
  (void)state;
  assert_int_equal(cuda_xin_rows(11, 11, 7, 7), 64);
  assert_int_equal(cuda_xin_rows(18, 18, 14, 14), 208);   /* 196 */
  assert_int_equal(cuda_xin_rows(9, 16, 56, 56), 144);    /* a tile inside the image */
  assert_int_equal(cuda_xin_rows(15, 29, 112, 112), 448); /* stride 2: 435 */
  assert_int_equal(cuda_xin_rows(15, 29, 8, 112), 240);   /* 8 rows of the image */
  cuda_mbconv_args a = shapes(7, 7, 192, 1152, 192, 5, 1, 48, CUDA_MB_PASS1);
  a.TH = a.TW = 7, a.CC = 64, a.tiles_x = a.tiles_y = 1;
  cuda_mbconv_args n = a;
  n.has_expand = 0; /* no input tile, no expand weights */
  const size_t xin = 64 * (192 + 8) * 2, wexp = 192 * (64 + 8) * 2;
  const size_t d = cuda_mbconv_smem(&a) - cuda_mbconv_smem(&n);
  assert_true(d + 127 >= xin + wexp && d <= xin + wexp + 127);
  /* 3 CTAs of 8 warps per SM (228 KB) with 32-channel chunks */
  a.CC = 32;
  assert_true(3 * (cuda_mbconv_smem(&a) + 1024) <= 228 * 1024);
}

/* 16-warp CTAs (wide): the projecting modes hold a 1 KB fp32 scratch per
 * warp for their epilogue and spread the output tiles over twice the warps;
 * PASS1 projects nothing: it holds 2 floats of dw partial sums per thread. */
static void test_wide_accounting(void **state) {
  (void)state;
  cuda_mbconv_args st = shapes(14, 14, 80, 480, 80, 3, 1, 20, CUDA_MB_STAGED);
  st.TH = st.TW = 14, st.CC = 128, st.tiles_x = st.tiles_y = 1;
  cuda_mbconv_args w = st;
  w.wide = 1;
  /* 13 rows x 5 columns of 16x16 output tiles: 9 per warp of 8, 5 per warp of 16 */
  assert_int_equal(cuda_mbconv_warps(&st), 8);
  assert_int_equal(cuda_mbconv_warps(&w), 16);
  assert_int_equal(cuda_mbconv_nf(&st), 9);
  assert_int_equal(cuda_mbconv_nf(&w), 5);
  assert_int_equal(cuda_mbconv_smem(&w), cuda_mbconv_smem(&st) + 8 * 256 * 4);
  cuda_mbconv_args p1 = st, p1w;
  p1.mode = CUDA_MB_PASS1;
  p1w = p1, p1w.wide = 1;
  /* PASS1's dw partial sums: 2 floats per thread */
  assert_int_equal(cuda_mbconv_smem(&p1w), cuda_mbconv_smem(&p1) + 8 * 64 * 4);
  assert_int_equal(cuda_mbconv_nf(&p1), 1);
  assert_int_equal(cuda_mbconv_nf(&p1w), 1);
  /* PASS1 = RECOMP's layout less the projection's weights, with 64 floats
   * of partial sums per warp in place of the 256 of scratch */
  cuda_mbconv_args rc = p1;
  rc.mode = CUDA_MB_RECOMP;
  const size_t proj_w = 128 * (size_t)(5 * 16 + 8) * 2, scratch = 8 * (256 - 64) * 4;
  const size_t d = cuda_mbconv_smem(&rc) - cuda_mbconv_smem(&p1);
  assert_true(d + 127 >= proj_w + scratch && d <= proj_w + scratch + 127);
}

/* Which launches run the two-rows-per-thread depthwise conv when dwrows is
 * set (the host's copy of mbconv_kernel's PAIRS): the tile kernel's dw modes
 * with k 3 / 5, stride 1 / 2 and a chunk the kernel compiles a pitch for; not
 * the lowreg variant, not two accumulator tiles in 8 warps, and k = 5 in the
 * 8-warp one-tile variant only with fp16 taps. */
static void test_dwrows_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(56, 56, 24, 144, 24, 3, 1, 6, CUDA_MB_PASS1);
  a.TH = 7, a.TW = 19, a.CC = 64, a.tiles_y = 8, a.tiles_x = 3, a.zsplit = 1;
  assert_true(cuda_mbconv_dwrows_ok(&a));
  a.S = 2;
  assert_true(cuda_mbconv_dwrows_ok(&a));
  a.S = 3;
  assert_false(cuda_mbconv_dwrows_ok(&a));
  a.S = 1, a.K = 7;
  assert_false(cuda_mbconv_dwrows_ok(&a));
  a.K = 5; /* one tile, 8 warps: fp16 taps only */
  assert_false(cuda_mbconv_dwrows_ok(&a));
  a.dwh2 = 1;
  assert_true(cuda_mbconv_dwrows_ok(&a));
  a.dwh2 = 0, a.wide = 1;
  assert_true(cuda_mbconv_dwrows_ok(&a));
  a.wide = 0, a.K = 3, a.lowreg = 1;
  assert_false(cuda_mbconv_dwrows_ok(&a));
  a.lowreg = 0, a.CC = 48;
  assert_false(cuda_mbconv_dwrows_ok(&a));
  a.CC = 16;
  assert_true(cuda_mbconv_dwrows_ok(&a));
  a.CC = 128, a.mode = CUDA_MB_STAGED;
  assert_false(cuda_mbconv_dwrows_ok(&a));
  /* RECOMP, 8 x 16 pixels x 2 column tiles = 16 tiles: 2 per warp of 8, 1 of 16 */
  a.mode = CUDA_MB_RECOMP, a.TH = 8, a.TW = 16;
  assert_int_equal(cuda_mbconv_nf(&a), 2);
  assert_false(cuda_mbconv_dwrows_ok(&a));
  a.wide = 1;
  assert_true(cuda_mbconv_dwrows_ok(&a));
  a.wide = 0, a.TH = a.TW = 14; /* 13 x 2 tiles: 4 per warp */
  assert_int_equal(cuda_mbconv_nf(&a), 4);
  assert_true(cuda_mbconv_dwrows_ok(&a));
}

/* Which launches run the depthwise conv in 2 x 2 output blocks when dwrows
 * is 2 (the host's copy of mbconv_kernel's QUADS): where dwrows applies,
 * with fp16 taps, in the 16-warp one-tile instantiation and in PASS1's own
 * 8- and 16-warp ones (not lowreg). */
static void test_dwquads_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(14, 14, 80, 480, 80, 5, 1, 20, CUDA_MB_PASS1);
  a.TH = a.TW = 14, a.CC = 64, a.tiles_y = a.tiles_x = 1, a.zsplit = 1;
  a.dwrows = 2, a.dwh2 = 1, a.wide = 1;
  assert_true(cuda_mbconv_dwquads_ok(&a));
  a.S = 2, a.K = 3;
  assert_true(cuda_mbconv_dwquads_ok(&a));
  a.dwh2 = 0; /* fp32 taps: not compiled with it */
  assert_false(cuda_mbconv_dwquads_ok(&a));
  a.dwh2 = 1, a.wide = 0; /* 8 warps: PASS1's own instantiation has it */
  assert_true(cuda_mbconv_dwquads_ok(&a));
  a.lowreg = 1; /* ... but not its 64-register one */
  assert_false(cuda_mbconv_dwquads_ok(&a));
  a.lowreg = 0, a.mode = CUDA_MB_RECOMP, a.TH = a.TW = 4, a.CoutP = 16;
  assert_int_equal(cuda_mbconv_nf(&a), 1); /* one tile, 8 warps, projecting: not compiled */
  assert_false(cuda_mbconv_dwquads_ok(&a));
  a.mode = CUDA_MB_PASS1, a.TH = a.TW = 14, a.CoutP = 80;
  a.wide = 1, a.CC = 48; /* no dw_pairs pitch */
  assert_false(cuda_mbconv_dwquads_ok(&a));
  a.CC = 64, a.mode = CUDA_MB_STAGED;
  assert_false(cuda_mbconv_dwquads_ok(&a));
  /* RECOMP with 13 x 5 = 65 accumulator tiles: 5 per warp of 16 */
  a.mode = CUDA_MB_RECOMP;
  assert_true(cuda_mbconv_nf(&a) > 1);
  assert_false(cuda_mbconv_dwquads_ok(&a));
  a.TH = a.TW = 4, a.CoutP = 16; /* one 16-pixel row tile, one column tile */
  assert_int_equal(cuda_mbconv_nf(&a), 1);
  assert_true(cuda_mbconv_dwquads_ok(&a));
}

/* Which launches run the depthwise conv with 8 channels per thread when
 * dwrows is 3 (the host's copy of mbconv_kernel's VEC): PASS1 in its 8- and
 * 16-warp builds, k = 3, fp16 taps, chunks of 16 to 64. */
static void test_dwvec_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(56, 56, 16, 96, 24, 3, 2, 4, CUDA_MB_PASS1);
  a.TH = 7, a.TW = 14, a.CC = 32, a.tiles_y = 8, a.tiles_x = 4, a.zsplit = 1;
  a.dwrows = 3, a.dwh2 = 1;
  assert_true(cuda_mbconv_dwvec_ok(&a));
  a.wide = 1;
  assert_true(cuda_mbconv_dwvec_ok(&a));
  a.wide = 0, a.lowreg = 1; /* the 64-register build: not compiled */
  assert_false(cuda_mbconv_dwvec_ok(&a));
  a.lowreg = 0, a.dwh2 = 0; /* fp32 taps */
  assert_false(cuda_mbconv_dwvec_ok(&a));
  a.dwh2 = 1, a.K = 5; /* k = 5: its 100 weight registers do not fit */
  assert_false(cuda_mbconv_dwvec_ok(&a));
  a.K = 3, a.CC = 128; /* part[] holds 64 floats a warp */
  assert_false(cuda_mbconv_dwvec_ok(&a));
  a.CC = 16, a.S = 1;
  assert_true(cuda_mbconv_dwvec_ok(&a));
  a.CC = 64, a.mode = CUDA_MB_RECOMP; /* the projecting builds: not compiled */
  assert_false(cuda_mbconv_dwvec_ok(&a));
  /* the shape each dwrows runs: its own where allowed, else two rows, else one pixel */
  a.mode = CUDA_MB_PASS1;
  assert_int_equal(cuda_mbconv_dw_shape(&a), 3);
  a.dwrows = 2;
  assert_int_equal(cuda_mbconv_dw_shape(&a), 2);
  a.dwrows = 3, a.K = 5; /* k = 5: 2 x 2 blocks yes, 8 channels no: two rows */
  assert_int_equal(cuda_mbconv_dw_shape(&a), 1);
  a.lowreg = 1; /* no dwrows at all */
  assert_int_equal(cuda_mbconv_dw_shape(&a), 0);
  a.lowreg = 0, a.dwrows = 0;
  assert_int_equal(cuda_mbconv_dw_shape(&a), 0);
}

/* Which launches run dw_vec's chunks as runs of dwrun pixels per thread
 * (dw_run): where dw_vec runs, chunks of 32 or 64 channels, runs of 2, 4 or
 * 7. */
static void test_dwrun_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(56, 56, 24, 144, 24, 3, 1, 6, CUDA_MB_PASS1);
  a.TH = 8, a.TW = 28, a.CC = 64, a.tiles_y = 7, a.tiles_x = 2, a.zsplit = 1;
  a.dwrows = 3, a.dwh2 = 1, a.dwrun = 7;
  assert_true(cuda_mbconv_dwrun_ok(&a));
  a.dwrun = 4, a.wide = 1;
  assert_true(cuda_mbconv_dwrun_ok(&a));
  a.dwrun = 2, a.wide = 0, a.CC = 32;
  assert_true(cuda_mbconv_dwrun_ok(&a));
  a.dwrun = 3; /* not compiled */
  assert_false(cuda_mbconv_dwrun_ok(&a));
  a.dwrun = 0;
  assert_false(cuda_mbconv_dwrun_ok(&a));
  a.dwrun = 2, a.CC = 16; /* a run's lanes would be two: dw_vec only */
  assert_false(cuda_mbconv_dwrun_ok(&a));
  a.CC = 64, a.dwrows = 2; /* not dw_vec */
  assert_false(cuda_mbconv_dwrun_ok(&a));
  a.dwrows = 3, a.K = 5;
  assert_false(cuda_mbconv_dwrun_ok(&a));
}

/* Strips of 7 pixels by one (dwrows 4) or two rows (5): PASS1 with packed
 * fp16 taps where the 2 x 2 blocks apply, on tiles that whole strips cover;
 * dw_shape falls back to two rows elsewhere. */
static void test_dwstrips_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(14, 14, 112, 672, 112, 5, 1, 28, CUDA_MB_PASS1);
  a.TH = 14, a.TW = 14, a.CC = 64, a.tiles_y = a.tiles_x = 1, a.zsplit = 1, a.wide = 1;
  a.dwh2 = 1, a.dwrows = 5;
  assert_true(cuda_mbconv_dwstrips_ok(&a));
  assert_int_equal(cuda_mbconv_dw_shape(&a), 5);
  a.dwrows = 4, a.wide = 0, a.TH = 7, a.TW = 7, a.tiles_y = a.tiles_x = 2;
  assert_true(cuda_mbconv_dwstrips_ok(&a));
  a.dwrows = 5; /* an odd height: a row pair would be half past the tile */
  assert_false(cuda_mbconv_dwstrips_ok(&a));
  assert_int_equal(cuda_mbconv_dw_shape(&a), 1);
  a.dwrows = 4, a.TW = 8, a.tiles_x = 2; /* a strip would be past the tile's right edge */
  assert_false(cuda_mbconv_dwstrips_ok(&a));
  a.TW = 7, a.dwh2 = 0; /* fp16 taps only */
  assert_false(cuda_mbconv_dwstrips_ok(&a));
  a.dwh2 = 1, a.lowreg = 1;
  assert_false(cuda_mbconv_dwstrips_ok(&a));
  a.lowreg = 0, a.mode = CUDA_MB_FUSED; /* PASS1 only */
  assert_false(cuda_mbconv_dwstrips_ok(&a));
  a.mode = CUDA_MB_PASS1, a.dwrows = 6;
  assert_false(cuda_mbconv_dwstrips_ok(&a));
}

/* dw_direct.cu: PASS1 of a block without expansion (k = 3, stride 1 or 2,
 * a power-of-two count of 8-channel groups) on any tile, with a shared
 * memory of at most 8 rows of channel sums; the recomputing pass 2
 * (dw_proj_kernel) where CmidP is 16, 32 or 64, CoutP 16 or 32, and its
 * tile's fp16 [TH * TW][CmidP + 8] fits in shared memory. */
static void test_dwdirect_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(112, 112, 32, 32, 16, 3, 1, 8, CUDA_MB_PASS1);
  a.TH = 16, a.TW = 112, a.tiles_y = 7, a.tiles_x = 1, a.zsplit = 1, a.smem_optin = 227 * 1024;
  assert_true(cuda_mbconv_dwdirect_ok(&a));
  assert_int_equal(cuda_dw_direct_smem(&a), 8 * 32 * 4); /* a row per warp */
  a.mode = CUDA_MB_RECOMP;
  assert_true(cuda_mbconv_dwdirect_ok(&a));
  assert_int_equal(cuda_dw_direct_smem(&a), 16 * 112 * 40 * 2);
  a.TH = 32, a.tiles_y = 4; /* 280 KB of tile */
  assert_false(cuda_mbconv_dwdirect_ok(&a));
  a.TH = 16, a.tiles_y = 7, a.CoutP = 48; /* B fragments for CoutP 16 or 32 only */
  assert_false(cuda_mbconv_dwdirect_ok(&a));
  a.CoutP = 16, a.CmidP = 128, a.CinP = 128;
  assert_false(cuda_mbconv_dwdirect_ok(&a));
  a.mode = CUDA_MB_PASS1; /* PASS1 takes it: 16 groups */
  assert_true(cuda_mbconv_dwdirect_ok(&a));
  assert_int_equal(cuda_dw_direct_smem(&a), 8 * 128 * 4);
  a.CmidP = a.CinP = 48; /* 6 groups: not a power of two */
  assert_false(cuda_mbconv_dwdirect_ok(&a));
  a.CmidP = a.CinP = 32, a.K = 5;
  assert_false(cuda_mbconv_dwdirect_ok(&a));
  a.K = 3, a.has_expand = 1;
  assert_false(cuda_mbconv_dwdirect_ok(&a));
  a.has_expand = 0, a.mode = CUDA_MB_STAGED;
  assert_false(cuda_mbconv_dwdirect_ok(&a));
}

/* A PASS1 launch of stride s with the whole image as its tile, as the tuner
 * offers mbconv_wg.cu's kernel (an H200's opt-in shared memory). */
static cuda_mbconv_args wgx_shape(int h, int w, int cin, int mid, int k, int s, int se) {
  cuda_mbconv_args a = shapes(h, w, cin, mid, cin, k, s, se, CUDA_MB_PASS1);
  cuda_mbconv_wgx_set(&a, 1);
  a.smem_optin = 227 * 1024;
  return a;
}

/* mbconv_wg.cu's PASS1: swish, stride 1 with a same-size output, k = 3 or 5,
 * the whole image as the tile (at most 8 rows by 4..8 columns, or 16 rows of
 * 14), CinP <= 256, a chunk split with work for every CTA, and its shared
 * memory (EfficientNet's 7x7 k = 5 block: two CTAs per SM on an H100 / H200)
 * within the opt-in limit. */
static void test_wgx_rule(void **state) {
  (void)state;
  cuda_mbconv_args a = wgx_shape(7, 7, 192, 1152, 5, 1, 48);
  a.zsplit = 3;
  assert_true(cuda_mbconv_wgx_ok(&a));
  assert_int_equal(cuda_wgx_threads(&a), 128 + 7 * 32); /* one expand warpgroup */
  const size_t frame = 11 * 11 * CUDA_WGX_FP * 2;
  assert_int_equal(cuda_mbconv_wgx_smem(&a),
                   1024 + 9 * 8192 + 2 * frame + 7 * 64 * 4 + 32 + 25 * 128 + 256);
  assert_true(2 * (cuda_mbconv_wgx_smem(&a) + 1024) <= 228 * 1024);
  a.zsplit = 19; /* 18 chunks */
  assert_false(cuda_mbconv_wgx_ok(&a));
  a.zsplit = 1, a.act = MODEL_ACT_RELU6;
  assert_false(cuda_mbconv_wgx_ok(&a));
  a.act = MODEL_ACT_SWISH, a.mode = CUDA_MB_STAGED;
  assert_false(cuda_mbconv_wgx_ok(&a));
  a.mode = CUDA_MB_PASS1, a.TH = 4, a.tiles_y = 2; /* not the whole image */
  assert_false(cuda_mbconv_wgx_ok(&a));
  /* stride 2 (EfficientNet's 14x14 -> 7x7): 196 input pixels over two expand warpgroups, the
     frames of the 17 x 17 input pixels the outputs read */
  cuda_mbconv_args b = wgx_shape(14, 14, 112, 672, 5, 2, 28);
  assert_true(cuda_mbconv_wgx_ok(&b));
  assert_int_equal(cuda_wgx_threads(&b), 256 + 7 * 32);
  assert_int_equal(
      cuda_mbconv_wgx_smem(&b),
      1024 + (4 + 2) * 2 * 8192 + 2 * 17 * 17 * CUDA_WGX_FP * 2 + 7 * 64 * 4 + 32 + 25 * 128 + 256);
  b = wgx_shape(17, 16, 112, 672, 5, 2, 28); /* 272 input pixels */
  assert_false(cuda_mbconv_wgx_ok(&b));
  b = wgx_shape(15, 16, 112, 672, 5, 2, 28); /* 8 x 8 from 240 */
  assert_true(cuda_mbconv_wgx_ok(&b));
  b = wgx_shape(9, 8, 40, 240, 3, 1, 10); /* 9 rows */
  assert_false(cuda_mbconv_wgx_ok(&b));
  b = wgx_shape(8, 3, 40, 240, 3, 1, 10); /* 3 columns */
  assert_false(cuda_mbconv_wgx_ok(&b));
  b = wgx_shape(8, 8, 40, 240, 3, 1, 10);
  assert_true(cuda_mbconv_wgx_ok(&b));
  b.CinP = 272; /* more than 4 panels */
  assert_false(cuda_mbconv_wgx_ok(&b));
  b.CinP = 48, b.has_expand = 0;
  assert_false(cuda_mbconv_wgx_ok(&b));
  b.has_expand = 1, b.smem_optin = 48 * 1024; /* 2 + 2 panels, two 10x10 frames */
  assert_false(cuda_mbconv_wgx_ok(&b));
  /* 14 columns by up to 16 rows: two expand warpgroups over 4 m-tiles (EfficientNet's 14x14) */
  b = wgx_shape(14, 14, 112, 672, 5, 1, 28);
  assert_true(cuda_mbconv_wgx_ok(&b));
  assert_int_equal(cuda_wgx_threads(&b), 256 + 14 * 32);
  assert_int_equal(cuda_mbconv_wgx_smem(&b), 1024 + (4 + 2) * 2 * 8192 +
                                                 2 * 18 * 18 * CUDA_WGX_FP * 2 + 14 * 64 * 4 + 32 +
                                                 25 * 128 + 256);
  b = wgx_shape(17, 14, 112, 672, 5, 1, 28); /* 17 rows */
  assert_false(cuda_mbconv_wgx_ok(&b));
  b = wgx_shape(14, 13, 112, 672, 5, 1, 28); /* 13 columns */
  assert_false(cuda_mbconv_wgx_ok(&b));
}

/* The head's GEMM on warpgroup MMAs: 128 rows (64 where the rows fit one
 * such tile), the fewest column splits of at most 8 column tiles, and the
 * warpgroup GEMM's limits (its gate buffers for the images a row tile spans). */
static void test_head_wg_grid(void **state) {
  (void)state;
  cuda_head_args h = {0};
  h.P = 49, h.CinP = 320, h.Ch = h.ChP = 1280; /* EfficientNet-B0's */
  int bm, nt8, z;
  assert_true(cuda_head_wg_grid(&h, 256, &bm, &nt8, &z));
  assert_int_equal(bm, 128);
  assert_int_equal(nt8, 8);
  assert_int_equal(z, 10);
  assert_true(cuda_head_wg_grid(&h, 1, &bm, &nt8, &z)); /* 49 rows */
  assert_int_equal(bm, 64);
  h.bm = 64; /* BLOCKFUSE_CUDA_HEADBM */
  assert_true(cuda_head_wg_grid(&h, 256, &bm, &nt8, &z));
  assert_int_equal(bm, 64);
  h.bm = 0;
  h.Ch = 72, h.ChP = 80; /* one split of 5 */
  assert_true(cuda_head_wg_grid(&h, 3, &bm, &nt8, &z));
  assert_int_equal(nt8, 5);
  assert_int_equal(z, 1);
  h.Ch = h.ChP = 144; /* 9 tiles: two splits of 5 and 4 */
  assert_true(cuda_head_wg_grid(&h, 3, &bm, &nt8, &z));
  assert_int_equal(nt8, 5);
  assert_int_equal(z, 2);
  h.P = 1, h.CinP = 256; /* a 128-row tile spans 128 images: 128 KB of gates */
  assert_false(cuda_head_wg_grid(&h, 400, &bm, &nt8, &z));
  h.CinP = 40; /* K not a multiple of 16 */
  h.P = 49;
  assert_false(cuda_head_wg_grid(&h, 4, &bm, &nt8, &z));
}

/* The batch-wide STAGED GEMM: at most 8 column tiles (128 columns) per CTA,
 * every column split with work, 64 or 128 rows, and 4 pipeline stages of a
 * rows x 32 A slice and a 32 x columns B slice in shared memory, then 4
 * stages of the slice's 32 gates for each image a tile can span (not with
 * a K split or sefuse, nor in the streaming GEMM). Every B0
 * block's STAGED pass fits with the fewest splits the tuner tries. */
static void test_gate_proj_accounting(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  cuda_mbconv_args g = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  g.gemm = 128, g.zsplit = 3; /* 20 column tiles: 7 + 7 + 6 */
  assert_true(cuda_gate_proj_ok(&g));
  assert_int_equal(cuda_gate_proj_nt8(&g), 7);
  /* + the gate stages: 4 of 32 fp32 gates for each of the up to 4 images of 128 rows */
  assert_int_equal(cuda_pg_gate_imgs(128, 49), 4);
  assert_int_equal(cuda_mbconv_smem(&g), 4 * (128 * 40 + 32 * (112 + 8)) * 2 + 4 * 4 * 32 * 4);
  assert_int_equal(cuda_mbconv_nf(&g), 1);
  g.zsplit = 2; /* 10 column tiles per CTA: more than a warp pair holds */
  assert_false(cuda_gate_proj_ok(&g));
  g.zsplit = 6; /* 4 per CTA: the sixth split would get none */
  assert_false(cuda_gate_proj_ok(&g));
  g.zsplit = 3, g.gemm = 96;
  assert_false(cuda_gate_proj_ok(&g));
  g.gemm = 64;
  assert_true(cuda_gate_proj_ok(&g));
  assert_int_equal(cuda_pg_gate_imgs(64, 49), 3); /* rows 48..111 touch 3 images */
  assert_int_equal(cuda_pg_gate_imgs(128, 3136), 2);
  g.sefuse = 1; /* the gates in sefuse's own region: no gate stages */
  cuda_pg_se_layout L;
  cuda_pg_se_layout_of(1152, 1, 48, 64, 49, &L);
  assert_int_equal(cuda_mbconv_smem(&g), cuda_pixel_gemm_smem(64, 7, 0, 1, L.total));
  g.sefuse = 0;
  assert_int_equal(cuda_mbconv_smem(&g), 4 * (64 * 40 + 32 * (112 + 8)) * 2 + 4 * 3 * 32 * 4);
  g.res = &g; /* a residual adds its 64 x 112 tile, rows padded */
  assert_int_equal(cuda_mbconv_smem(&g),
                   (4 * (64 * 40 + 32 * (112 + 8)) + 64 * 120) * 2 + 4 * 3 * 32 * 4);
  g.res = NULL;
  g.mode = CUDA_MB_RECOMP; /* only pass 2 of the staged variant has a GEMM form */
  assert_false(cuda_gate_proj_ok(&g));
  for (unsigned i = 0; i < sizeof kB0 / sizeof kB0[0]; i++) {
    const int *k = kB0[i];
    cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], CUDA_MB_STAGED);
    a.gemm = 128, a.zsplit = (a.CoutP / 16 + 7) / 8;
    assert_true(cuda_gate_proj_ok(&a));
    assert_true(cuda_mbconv_smem(&a) * 2 + 2048 <= c.smem_per_sm); /* 2 CTAs per SM */
  }
}

/* The GEMM's K split over a cluster and the SE MLP inside it (sefuse): at
 * most 8 CTAs, each with a K slice; the fp32 partial tile fits in the
 * pipeline it replaces for every tile shape (no extra shared memory); the
 * SE region's layout (16-byte aligned parts, the gates' pitch = the largest
 * K range); sefuse only where a tile spans at most CUDA_PG_SE_IMGS images;
 * and B0's 7x7 1152-wide block at batch 1 fits with 8 CTAs per cluster. */
static void test_gate_proj_split(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  for (int bm = 64; bm <= 128; bm *= 2)
    for (int nt8 = 1; nt8 <= 8; nt8++) {
      const size_t pipe = 4 * ((size_t)bm * 40 + 32 * ((size_t)nt8 * 16 + 8)) * 2;
      assert_int_equal(cuda_pg_main_bytes(bm, nt8, 1), pipe);
      assert_int_equal(cuda_pg_main_bytes(bm, nt8, 8), pipe);
      assert_true((size_t)bm * (nt8 * 16 + 8) * 4 <= pipe);
    }
  cuda_mbconv_args g = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  g.gemm = 64, g.zsplit = 3, g.ksplit = 8;
  assert_true(cuda_gate_proj_ok(&g));
  assert_int_equal(cuda_gate_proj_ks(&g), 8);
  const size_t plain = cuda_mbconv_smem(&g);
  g.ksplit = 9; /* past the portable cluster size */
  assert_false(cuda_gate_proj_ok(&g));
  cuda_mbconv_args n = shapes(7, 7, 32, 48, 16, 3, 1, 8, CUDA_MB_STAGED); /* 2 K slices */
  n.gemm = 64, n.ksplit = 2;
  assert_true(cuda_gate_proj_ok(&n));
  n.ksplit = 3;
  assert_false(cuda_gate_proj_ok(&n));
  /* sefuse: 36 slices over 8 CTAs -> at most 5 slices = 160 channels each */
  g.ksplit = 8, g.sefuse = 1;
  assert_true(cuda_gate_proj_ok(&g));
  cuda_pg_se_layout L;
  cuda_pg_se_layout_of(g.CmidP, 8, g.se_c, 64, 49, &L);
  assert_int_equal(L.kr, 160);
  assert_int_equal(L.sep, 48);
  assert_int_equal(L.nimg, 3); /* 64 rows of 49-pixel images: rows 48..111 touch 3 */
  assert_int_equal(L.wr, 0);
  assert_int_equal(L.we, 160 * 48 * 2);
  assert_int_equal(L.gate, L.we + 48 * 160 * 2);
  assert_int_equal(L.rpart, L.gate + 3 * 160 * 4);
  assert_int_equal(L.r, L.rpart + 3 * 48 * 4);
  assert_true(L.wr % 16 == 0 && L.we % 16 == 0 && L.gate % 16 == 0 && L.rpart % 16 == 0 &&
              L.r % 16 == 0 && L.total % 16 == 0 && L.total >= L.r + 3 * 48 * 4);
  assert_int_equal(cuda_mbconv_smem(&g), plain + L.total); /* no gate stages with a K split */
  assert_true(cuda_mbconv_smem(&g) + 1024 <= c.smem_optin);
  /* a tile of 128 rows of 7x7 images spans up to 4 images, of 6x6 up to 5 */
  g.gemm = 128;
  assert_true(cuda_gate_proj_ok(&g));
  cuda_mbconv_args s6 = shapes(6, 6, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  s6.gemm = 128, s6.zsplit = 3, s6.ksplit = 8, s6.sefuse = 1;
  assert_false(cuda_gate_proj_ok(&s6));
  s6.gemm = 64; /* 3 images */
  assert_true(cuda_gate_proj_ok(&s6));
  s6.se_c = 0; /* no SE to fuse */
  assert_false(cuda_gate_proj_ok(&s6));
  /* the bulk-copy GEMM: without a K split or sefuse, on whole 32-channel
     slices, with the fp16 gates of a tile's images over all of K (64 rows of
     7x7 images: 3 x 1152 channels) within CUDA_PG_BULK_GATE_MAX; streaming
     only where each thread takes one 8-channel group of a tile's gates (3 x
     144 groups for 128 threads: not here) */
  cuda_mbconv_args b = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  b.gemm = 64, b.zsplit = 3, b.bulk = 1;
  assert_true(cuda_gate_proj_ok(&b));
  assert_int_equal(cuda_mbconv_smem(&b),
                   1024 + 4 * (64 * 32 + 32 * 112) * 2 + 3 * 1152 * 2 + 4 * 8);
  b.ksplit = 2;
  assert_false(cuda_gate_proj_ok(&b));
  b.ksplit = 0, b.sefuse = 1;
  assert_false(cuda_gate_proj_ok(&b));
  b.sefuse = 0, b.stream = 1;
  assert_false(cuda_gate_proj_ok(&b));
  b.stream = 0;
  /* 144 channels: 4.5 slices, the gates rounded up to 5 (160 channels) */
  cuda_mbconv_args b144 = shapes(7, 7, 24, 144, 24, 3, 1, 6, CUDA_MB_STAGED);
  b144.gemm = 64, b144.zsplit = 1, b144.bulk = 1;
  assert_true(cuda_gate_proj_ok(&b144));
  assert_int_equal(cuda_pg_bulk_gate_bytes(64, 49, 144), 3 * 160 * 2);
  assert_int_equal(cuda_mbconv_smem(&b144),
                   1024 + 4 * (64 * 32 + 32 * 32) * 2 + 3 * 160 * 2 + 4 * 8);
  /* 2x2 images: a 128-row tile spans 33, whose gates over 1152 channels take 76 KB */
  cuda_mbconv_args b2 = shapes(4, 4, 192, 1152, 320, 3, 2, 48, CUDA_MB_STAGED);
  b2.gemm = 128, b2.zsplit = 3, b2.bulk = 1;
  assert_int_equal(cuda_pg_bulk_gate_bytes(128, 4, 1152), 33 * 1152 * 2);
  assert_false(cuda_gate_proj_ok(&b2));
  b2.bulk = 0;
  assert_true(cuda_gate_proj_ok(&b2));
  /* 96-row tiles: only for the per-tile bulk-copy GEMM (a 96-row tile of 7x7
     images spans 3: the same gate bytes as 64 rows) */
  cuda_mbconv_args b96 = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  b96.gemm = 96, b96.zsplit = 3, b96.bulk = 1;
  assert_true(cuda_gate_proj_ok(&b96));
  assert_int_equal(cuda_mbconv_smem(&b96),
                   1024 + 4 * (96 * 32 + 32 * 112) * 2 + 3 * 1152 * 2 + 4 * 8);
  b96.stream = 1;
  assert_false(cuda_gate_proj_ok(&b96));
  b96.stream = 0, b96.bulk = 0;
  assert_false(cuda_gate_proj_ok(&b96));
  b96.gemm = 32, b96.bulk = 1;
  assert_false(cuda_gate_proj_ok(&b96));
}

/* The tuner's GEMM candidates for a staged pass 2: all valid and within the
 * shared-memory limit, no launch twice; K splits (2, 4, 8) only where the
 * tiles alone leave SMs idle (batch 1, not 256) and only when allowed, and
 * never with the column splits between the fewest and twice that; the
 * sefuse flag on every one where asked, and never where a tile would span
 * more than CUDA_PG_SE_IMGS images; at most `max`. */
static void test_gate_proj_cands(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  cuda_mbconv_args out[CUDA_GATE_PROJ_CANDS];
  cuda_mbconv_args g = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  for (int sefuse = 0; sefuse <= 1; sefuse++) {
    const int n = cuda_plan_gate_proj_cands(&g, 1, &c, sefuse, 1, out, CUDA_GATE_PROJ_CANDS);
    int split = 0, ks_seen[9] = {0};
    assert_true(n > 4);
    for (int i = 0; i < n; i++) {
      assert_true(cuda_gate_proj_ok(&out[i]));
      assert_true(cuda_mbconv_smem(&out[i]) <= c.smem_optin);
      assert_int_equal(out[i].sefuse, sefuse);
      split += out[i].ksplit > 1;
      ks_seen[cuda_gate_proj_ks(&out[i])] = 1;
      for (int j = 0; j < i; j++)
        assert_false(out[j].gemm == out[i].gemm && out[j].zsplit == out[i].zsplit &&
                     out[j].ksplit == out[i].ksplit && out[j].bulk == out[i].bulk);
      /* bulk copies only without a K split or sefuse */
      if (out[i].bulk) assert_true(out[i].ksplit <= 1 && !sefuse);
    }
    assert_true(split > 0 && ks_seen[2] && ks_seen[4] && ks_seen[8]);
    /* one column tile per CTA (20 splits) only with a K split, the splits between
       3 and 6 only without one */
    for (int i = 0; i < n; i++) {
      if (out[i].zsplit == 20) assert_true(out[i].ksplit > 1);
      if (out[i].zsplit == 4 || out[i].zsplit == 5) assert_true(out[i].ksplit <= 1);
    }
  }
  /* batch 256: 98 or 196 row tiles fill the GPU, so no K split: the fewest
     column splits (3) up to twice as many, of which 4 and 5 are valid for 20
     tiles (6 would leave the last split none), each with 64 and 128 rows, each
     also fed by bulk copies (1152 channels: whole slices; the gates of the 3
     or 4 images a tile spans take 6.9 or 9.2 KB), and fed by bulk copies in
     96-row tiles */
  int n = cuda_plan_gate_proj_cands(&g, 256, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS), zseen[7] = {0};
  int nbulk = 0, n96 = 0;
  assert_int_equal(n, 15);
  for (int i = 0; i < n; i++) {
    assert_true(out[i].ksplit <= 1 && out[i].zsplit >= 3 && out[i].zsplit <= 5);
    zseen[out[i].zsplit]++;
    if (out[i].bulk) {
      nbulk++;
      assert_int_equal(cuda_mbconv_smem(&out[i]),
                       cuda_pg_bulk_smem(out[i].gemm, cuda_gate_proj_nt8(&out[i]), 1152, 49));
    }
    if (out[i].gemm == 96) n96++, assert_true(out[i].bulk && !out[i].stream);
  }
  assert_true(zseen[3] == 5 && zseen[4] == 5 && zseen[5] == 5 && nbulk == 9 && n96 == 3);
  /* a device without sm_90 bulk copies gets none of them, nor 96-row tiles */
  cuda_device_caps old = c;
  old.bulk = 0;
  n = cuda_plan_gate_proj_cands(&g, 256, &old, 0, 1, out, CUDA_GATE_PROJ_CANDS);
  assert_int_equal(n, 6);
  for (int i = 0; i < n; i++) assert_false(out[i].bulk || out[i].gemm == 96);
  /* splits not allowed (BLOCKFUSE_CUDA_KSPLIT=0), and a cap on the count */
  n = cuda_plan_gate_proj_cands(&g, 1, &c, 0, 0, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_true(out[i].ksplit <= 1);
  assert_int_equal(cuda_plan_gate_proj_cands(&g, 1, &c, 0, 1, out, 3), 3);
  /* 6x6 images: a 128-row tile spans 5, so sefuse keeps only 64 rows */
  cuda_mbconv_args s6 = shapes(6, 6, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  n = cuda_plan_gate_proj_cands(&s6, 1, &c, 1, 1, out, CUDA_GATE_PROJ_CANDS);
  assert_true(n > 0);
  for (int i = 0; i < n; i++) assert_int_equal(out[i].gemm, 64);
}

/* The GEMM on warpgroup MMAs (wg): valid only without a K split, sefuse or
 * bulk copies, in tiles of 64 or 128 rows of up to 16 or 14 column tiles,
 * where its two gate buffers fit; its shared memory; the tuner's candidates
 * on a device that runs it: its fewest column splits (ceil(nct / 16)) to
 * twice as many, then the other GEMMs' larger valid ones, each with 64 and
 * 128 rows; none with sefuse or on a device without it. */
static void test_gate_proj_wg(void **state) {
  (void)state;
  cuda_mbconv_args g = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  g.gemm = 128, g.zsplit = 2, g.wg = 1; /* 10 column tiles per CTA */
  assert_true(cuda_gate_proj_ok(&g));
  /* 4 stages of 128 x 64 A and three 64 x 64 weight blocks, two buffers of the gates of
     the 4 images a 128-row tile of 49-pixel images spans (1152 channels), the bias of 160
     columns, 12 mbarriers */
  assert_int_equal(cuda_mbconv_smem(&g),
                   1024 + 4 * (128 * 128 + 3 * 8192) + 2 * 4 * 1152 * 2 + 160 * 4 + 12 * 8);
  g.zsplit = 1; /* 20 column tiles */
  assert_false(cuda_gate_proj_ok(&g));
  g.zsplit = 2, g.bulk = 1;
  assert_false(cuda_gate_proj_ok(&g));
  g.bulk = 0, g.ksplit = 2;
  assert_false(cuda_gate_proj_ok(&g));
  g.ksplit = 0, g.sefuse = 1, g.se_c = 48;
  assert_false(cuda_gate_proj_ok(&g));
  g.sefuse = 0, g.gemm = 96;
  assert_false(cuda_gate_proj_ok(&g));
  g.gemm = 128, g.stream = 3; /* at most 3 persistent CTAs per split */
  assert_true(cuda_gate_proj_ok(&g));
  /* 256 output channels: one split of 16 tiles at 64 rows, not at 128 (at most 12) */
  cuda_mbconv_args w = shapes(14, 14, 160, 960, 256, 3, 1, 40, CUDA_MB_STAGED);
  w.gemm = 64, w.zsplit = 1, w.wg = 1;
  assert_true(cuda_gate_proj_ok(&w));
  w.gemm = 128;
  assert_false(cuda_gate_proj_ok(&w));
  w.zsplit = 2;
  assert_true(cuda_gate_proj_ok(&w));
  /* 1x1 images: a 128-row tile spans 129, whose gates (2 x 129 x 960 x 2 bytes) do not fit */
  cuda_mbconv_args o = shapes(1, 1, 160, 960, 256, 3, 1, 40, CUDA_MB_STAGED);
  o.gemm = 128, o.zsplit = 2, o.wg = 1;
  assert_false(cuda_gate_proj_ok(&o));
  assert_true(cuda_pg_wg_gate_bytes(128, 1, 960) > CUDA_PG_WG_GATE_MAX);
  /* candidates at batch 256: splits 2, 3, 4 and the others' 5 (6 would leave the last of
     20 tiles none), by 64 and 128 rows */
  cuda_device_caps c = hopper();
  c.wg = 1;
  cuda_mbconv_args t = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED),
                   out[CUDA_GATE_PROJ_CANDS];
  int n = cuda_plan_gate_proj_cands(&t, 256, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS), nwg = 0;
  int zseen[7] = {0};
  for (int i = 0; i < n; i++) {
    if (!out[i].wg) continue;
    nwg++;
    assert_true(out[i].ksplit <= 1 && !out[i].bulk && !out[i].stream && !out[i].sefuse);
    assert_true(out[i].gemm == 64 || out[i].gemm == 128);
    assert_true(out[i].zsplit >= 2 && out[i].zsplit <= 5);
    zseen[out[i].zsplit]++;
    assert_int_equal(cuda_mbconv_smem(&out[i]),
                     cuda_pg_wg_smem(out[i].gemm, cuda_gate_proj_nt8(&out[i]), 1152, 49));
  }
  assert_true(nwg == 8 && zseen[2] == 2 && zseen[3] == 2 && zseen[4] == 2 && zseen[5] == 2);
  /* the other forms are as without it (test_gate_proj_cands: 15) */
  assert_int_equal(n - nwg, 15);
  n = cuda_plan_gate_proj_cands(&t, 256, &c, 1, 1, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_false(out[i].wg);
  c.wg = 0;
  n = cuda_plan_gate_proj_cands(&t, 256, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_false(out[i].wg);
}

/* The narrow GEMM (narrow): valid only alone (no K split, sefuse, streaming,
 * bulk copies or warpgroup MMAs), with one column split and gemm = 64, for K
 * (CmidP) of 32, 64 or 96 and N (CoutP) of 16 or 32; no shared memory; one
 * candidate where it applies (EfficientNet's stack0.block0: K 32, N 16), none
 * with sefuse or for wider shapes. */
static void test_gate_proj_narrow(void **state) {
  (void)state;
  cuda_mbconv_args g = shapes(112, 112, 32, 32, 16, 3, 1, 8, CUDA_MB_STAGED);
  g.gemm = 64, g.zsplit = 1, g.narrow = 1;
  assert_int_equal(g.CmidP, 32);
  assert_true(cuda_gate_proj_ok(&g));
  assert_int_equal(cuda_gate_proj_smem(&g), 0);
  g.gemm = 128;
  assert_false(cuda_gate_proj_ok(&g));
  g.gemm = 64, g.stream = 2;
  assert_false(cuda_gate_proj_ok(&g));
  g.stream = 0, g.bulk = 1;
  assert_false(cuda_gate_proj_ok(&g));
  g.bulk = 0, g.wg = 1;
  assert_false(cuda_gate_proj_ok(&g));
  g.wg = 0, g.ksplit = 2;
  assert_false(cuda_gate_proj_ok(&g));
  g.ksplit = 0, g.sefuse = 1;
  assert_false(cuda_gate_proj_ok(&g));
  g.sefuse = 0;
  assert_true(cuda_gate_proj_ok(&g));
  assert_true(cuda_pg_narrow_ok(32, 16) && cuda_pg_narrow_ok(64, 32) && cuda_pg_narrow_ok(96, 32));
  assert_false(cuda_pg_narrow_ok(128, 16) || cuda_pg_narrow_ok(48, 16) ||
               cuda_pg_narrow_ok(32, 48) || cuda_pg_narrow_ok(144, 32));
  cuda_mbconv_args w = shapes(56, 56, 16, 96, 24, 3, 2, 4, CUDA_MB_STAGED); /* K 96, N 32 */
  w.gemm = 64, w.zsplit = 1, w.narrow = 1;
  assert_true(cuda_gate_proj_ok(&w));
  w.zsplit = 2; /* a column split */
  assert_false(cuda_gate_proj_ok(&w));
  cuda_mbconv_args x = shapes(56, 56, 24, 144, 24, 3, 1, 6, CUDA_MB_STAGED); /* K 144 */
  x.gemm = 64, x.zsplit = 1, x.narrow = 1;
  assert_false(cuda_gate_proj_ok(&x));
  /* the candidates: one narrow for stack0.block0's shape, none for K 144 or with sefuse */
  cuda_device_caps c = hopper();
  cuda_mbconv_args out[CUDA_GATE_PROJ_CANDS],
      t = shapes(112, 112, 32, 32, 16, 3, 1, 8, CUDA_MB_STAGED);
  int n = cuda_plan_gate_proj_cands(&t, 256, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS), nn = 0;
  for (int i = 0; i < n; i++)
    if (out[i].narrow) {
      nn++;
      assert_true(out[i].gemm == 64 && cuda_mbconv_z(&out[i]) == 1 && !out[i].stream &&
                  !out[i].bulk && !out[i].wg && cuda_gate_proj_ks(&out[i]) == 1);
    }
  assert_int_equal(nn, 1);
  n = cuda_plan_gate_proj_cands(&t, 256, &c, 1, 1, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_false(out[i].narrow);
  n = cuda_plan_gate_proj_cands(&x, 256, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_false(out[i].narrow);
}

/* The streaming GEMM (stream > 0): valid only without a K split or sefuse;
 * its shared memory is the A pipeline plus the weights, resident (K rounded
 * to the 32-channel slices) where they take <= 32 KB at <= 4 column tiles,
 * else 4 stages of slices; no residual tile. Its form fed by bulk copies
 * (bulk too) keeps the weights resident and two gate buffers. The tuner's
 * candidates at batch 256 include both for stack1.block1 (6272 row tiles of
 * 128), each with a valid launch, and at batch 1 (13 row tiles at most) not. */
static void test_gate_proj_stream(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  cuda_mbconv_args g = shapes(56, 56, 24, 144, 24, 3, 1, 6, CUDA_MB_STAGED);
  g.gemm = 128, g.stream = 5, g.res = &g;
  assert_true(cuda_gate_proj_ok(&g));
  assert_true(cuda_pg_stream_bres(144, 2));
  assert_int_equal(cuda_mbconv_smem(&g), 4 * 128 * 40 * 2 + 160 * 40 * 2); /* no gate stages */
  g.ksplit = 2;
  assert_false(cuda_gate_proj_ok(&g));
  g.ksplit = 1, g.sefuse = 1;
  assert_false(cuda_gate_proj_ok(&g));
  g.sefuse = 0, g.stream = -1;
  assert_false(cuda_gate_proj_ok(&g));
  /* 1152 x 112: 276 KB of weights, streamed in 4 stages of 32 rows */
  cuda_mbconv_args w = shapes(7, 7, 192, 1152, 320, 3, 1, 48, CUDA_MB_STAGED);
  w.gemm = 64, w.zsplit = 3, w.stream = 1;
  assert_true(cuda_gate_proj_ok(&w));
  assert_false(cuda_pg_stream_bres(1152, 7));
  assert_int_equal(cuda_mbconv_smem(&w), 4 * 64 * 40 * 2 + 4 * 32 * 120 * 2);
  /* the 32 KB and 4-tile limits of residency */
  assert_int_equal(cuda_pg_stream_bres_bytes(40, 1), 64 * 24 * 2);
  assert_true(cuda_pg_stream_bres(224, 4));  /* 224 x 72 x 2 = 32256 */
  assert_false(cuda_pg_stream_bres(288, 4)); /* 288 x 72 x 2 = 41472 */
  assert_false(cuda_pg_stream_bres(32, 5));
  cuda_mbconv_args out[CUDA_GATE_PROJ_CANDS];
  int n = cuda_plan_gate_proj_cands(&g, 256, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS), streams = 0;
  for (int i = 0; i < n; i++) {
    assert_true(cuda_gate_proj_ok(&out[i]));
    assert_true(cuda_mbconv_smem(&out[i]) <= c.smem_optin);
    if (out[i].stream) {
      streams++;
      assert_int_equal(out[i].stream, CUDA_PG_STREAM_FILL);
      assert_true(cuda_gate_proj_ks(&out[i]) == 1 && !out[i].sefuse);
    }
  }
  assert_int_equal(streams, 8); /* 64 and 128 rows, by 1 and 2 column splits, twice: */
  int bulks = 0;                /* fed by cp.async and by bulk copies */
  for (int i = 0; i < n; i++)
    if (out[i].stream && out[i].bulk) {
      bulks++;
      assert_int_equal(cuda_mbconv_smem(&out[i]),
                       cuda_pg_bulks_smem(out[i].gemm, cuda_gate_proj_nt8(&out[i]), 144, 3136));
    }
  assert_int_equal(bulks, 4);
  /* the bulk-copy streaming GEMM's shared memory: 128 rows x 2 column tiles of 144 channels
     (5 slices): align, 4 A stages, the weights, two gate buffers of 2 images, 5 barriers */
  g.bulk = 1, g.stream = 5;
  assert_true(cuda_gate_proj_ok(&g));
  assert_int_equal(cuda_mbconv_smem(&g),
                   1024 + 4 * 128 * 32 * 2 + 160 * 32 * 2 + 2 * 2 * 160 * 2 + 5 * 8);
  /* one 8-channel gate group per thread: 2 images x 20 groups for 256 threads; 17 images
     of 2x2 pixels x 20 groups for 128 threads are too many */
  assert_true(cuda_pg_bulks_ok(144, 128, 3136, 2));
  assert_false(cuda_pg_bulks_ok(144, 64, 4, 2));
  assert_true(cuda_pg_bulks_ok(144, 64, 16, 2));      /* 5 images x 20 = 100 <= 128 */
  assert_false(cuda_pg_bulks_ok(1152, 128, 49, 8));   /* 4 x 144 groups; 144 KB of weights */
  assert_true(cuda_pg_bulks_ok(1024, 128, 3136, 2));  /* 64 KB of weights */
  assert_false(cuda_pg_bulks_ok(1056, 128, 3136, 2)); /* 66 KB */
  g.bulk = 0;
  n = cuda_plan_gate_proj_cands(&g, 256, &c, 1, 1, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_int_equal(out[i].stream, 0);
  n = cuda_plan_gate_proj_cands(&g, 1, &c, 0, 1, out, CUDA_GATE_PROJ_CANDS);
  for (int i = 0; i < n; i++) assert_int_equal(out[i].stream, 0);
}

/* The stem's band kernel: the most output rows per CTA (16, 8, ...) whose
 * normalised band and raw bytes fit 48 KB: 8 for B0's 224 x 224 (17 input
 * rows of 225 pixels), one for 1030-wide images, none past ~1480 pixels;
 * never more rows than the output has, but one. */
/* Which leading blocks may run piece by piece under the image copy: the
 * widths per image of an EfficientNet-B0-like network (112x112x32 ... 7x7x320)
 * allow 16 blocks but not 17, where the 7x7x192 blocks before it would write
 * into an earlier piece's 7x7x320 outputs; a network that widens at its 4th
 * block allows 3, one that only narrows all. */
static void test_pieces_keep(void **state) {
  (void)state;
  static const int b0[17] = {401408, 200704, 75264, 75264, 31360, 31360, 15680, 15680, 15680,
                             21952,  21952,  21952, 9408,  9408,  9408,  9408,  15680};
  assert_true(cuda_pieces_keep(b0, 1, 1));
  assert_true(cuda_pieces_keep(b0, 2, 1));
  assert_true(cuda_pieces_keep(b0, 3, 1));
  assert_true(cuda_pieces_keep(b0, 16, 1));
  assert_false(cuda_pieces_keep(b0, 17, 1));
  /* two lanes: the 10th block (14x14x112) is wider than the 8th (14x14x80) */
  assert_true(cuda_pieces_keep(b0, 3, 2));
  assert_true(cuda_pieces_keep(b0, 9, 2));
  assert_false(cuda_pieces_keep(b0, 10, 2));
  assert_false(cuda_pieces_keep(b0, 16, 2));
  static const int widen[4] = {100, 50, 40, 60}, narrow[4] = {100, 80, 60, 40};
  assert_true(cuda_pieces_keep(widen, 3, 1));
  assert_false(cuda_pieces_keep(widen, 4, 1));
  assert_true(cuda_pieces_keep(narrow, 4, 1));
  assert_true(cuda_pieces_keep(narrow, 4, 2));
  /* one lane keeps what only the last block's share needs; two lanes do not:
     the 3rd block is wider than the 1st while the 4th is narrow again */
  static const int bump[4] = {100, 90, 120, 10};
  assert_true(cuda_pieces_keep(bump, 4, 1));
  assert_false(cuda_pieces_keep(bump, 4, 2));
}

static void test_stem_band(void **state) {
  (void)state;
  assert_int_equal(cuda_stem_band_smem(8, 224, 112, 2), 17 * 225 * 8 + 17 * 224 * 3 + 8);
  assert_int_equal(cuda_stem_band_rows(224, 112, 112, 2), 8);
  assert_int_equal(cuda_stem_band_rows(1030, 515, 515, 2), 1);
  assert_int_equal(cuda_stem_band_rows(2000, 1000, 1000, 2), 0);
  assert_int_equal(cuda_stem_band_rows(9, 5, 5, 2), 4);
  assert_int_equal(cuda_stem_band_rows(37, 40, 37, 1), 16); /* 18 rows of 39 */
  assert_true(cuda_stem_band_smem(16, 37, 37, 1) <= 48 * 1024);
  /* rows per CTA by batch on 132 SMs: 8 at 256 images (3584 CTAs), 2 at 8 (448), 1 at 2
     (224); at one image even 112 one-row bands leave SMs idle: the gathering kernel */
  cuda_stem_args st = {0};
  st.H = st.W = 224, st.Ho = st.Wo = 112, st.S = 2, st.K = 3, st.sms = 132;
  assert_int_equal(cuda_stem_band_th(&st, 256), 8);
  assert_int_equal(cuda_stem_band_th(&st, 8), 2);
  assert_int_equal(cuda_stem_band_th(&st, 2), 1);
  assert_int_equal(cuda_stem_band_th(&st, 1), 0);
}

/* The head's grid: B0's head (7x7, 1280 channels) on 132 SMs at the batch
 * sizes served, then the invariants the launcher relies on over many batches
 * and widths: 1..8 column tiles per CTA, every split with columns, all
 * columns covered, 64 or 128 rows. */
static void test_head_grid(void **state) {
  (void)state;
  cuda_head_args h = {0};
  h.P = 49, h.ChP = 1280, h.sms = 132;
  static const int want[][4] = {/* n, bm, nt8, z */
                                {1, 64, 1, 80},
                                {2, 64, 2, 40},
                                {8, 128, 3, 27},
                                {256, 128, 8, 10},
                                {400, 128, 8, 10}};
  for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
    int bm, nt8, z;
    cuda_head_grid(&h, want[i][0], &bm, &nt8, &z);
    assert_int_equal(bm, want[i][1]);
    assert_int_equal(nt8, want[i][2]);
    assert_int_equal(z, want[i][3]);
  }
  int bm, nt8, z; /* BLOCKFUSE_CUDA_HEADBM's override: 64 or 128, else the rule */
  h.bm = 64;
  cuda_head_grid(&h, 256, &bm, &nt8, &z);
  assert_int_equal(bm, 64);
  h.bm = 128;
  cuda_head_grid(&h, 1, &bm, &nt8, &z);
  assert_int_equal(bm, 128);
  h.bm = 96;
  cuda_head_grid(&h, 1, &bm, &nt8, &z);
  assert_int_equal(bm, 64);
  h.bm = 0;
  static const int chps[] = {16, 48, 80, 336, 1280, 2048};
  for (unsigned c = 0; c < sizeof chps / sizeof chps[0]; c++) {
    for (int p = 1; p <= 64; p *= 4) {
      for (int n = 1; n <= 1024; n = n * 3 + 1) {
        h.P = p, h.ChP = chps[c];
        int bm, nt8, z;
        cuda_head_grid(&h, n, &bm, &nt8, &z);
        const int nct = chps[c] / 16;
        assert_true(bm == 64 || bm == 128);
        assert_true(nt8 >= 1 && nt8 <= 8);
        assert_true(z >= 1 && (z - 1) * nt8 < nct && z * nt8 >= nct);
      }
    }
  }
}

/* The SE kernel's grid for B0's widest block (1152 channels) at the batch
 * sizes served: 64 gate channels per CTA in small grids, a thread per gate pair
 * with one CTA per 256 channels, then one CTA per image in large ones; the
 * se_g cap. */
static void test_se_grid(void **state) {
  (void)state;
  cuda_mbconv_args a = shapes(7, 7, 192, 1152, 192, 5, 1, 48, CUDA_MB_PASS1);
  static const int want[][3] = {/* n, g, cpb */
                                {1, 18, 64},  {8, 18, 64},   {14, 18, 64},  {15, 5, 256},
                                {64, 5, 256}, {204, 5, 256}, {205, 1, 256}, {256, 1, 256}};
  for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
    int g, cpb;
    cuda_se_grid(&a, want[i][0], &g, &cpb);
    assert_int_equal(g, want[i][1]);
    assert_int_equal(cpb, want[i][2]);
    assert_true(g * cpb >= a.CmidP || g == 1); /* the CTAs cover the channels (G = 1 loops) */
  }
  int g, cpb;
  a.se_g = 1;
  cuda_se_grid(&a, 1, &g, &cpb);
  assert_int_equal(g, 1);
  assert_int_equal(cpb, 64);
  a.se_g = 100;
  cuda_se_grid(&a, 1, &g, &cpb);
  assert_int_equal(g, 18);
}

/* Odd sizes, channel counts that are not multiples of 16, no expansion. */
static void test_odd_shapes(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  static const int cases[][8] = {
      {13, 13, 24, 144, 24, 3, 1, 0}, {15, 17, 40, 40, 48, 5, 2, 0}, {9, 11, 20, 70, 36, 3, 2, 5},
      {57, 55, 16, 96, 24, 3, 2, 4},  {1, 1, 8, 24, 8, 3, 1, 2},     {3, 250, 32, 64, 32, 7, 1, 0},
  };
  char err[256];
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int *k = cases[i];
    for (int mode = 0; mode < 4; mode++) {
      cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], mode);
      if (cuda_plan_mbconv(&a, 3, &c, 0, err, sizeof err))
        fail_msg("case %u mode %d: %s", i, mode, err);
      check_plan(&a, &c);
    }
  }
}

/* At batch 1 a 7x7 block has too few tiles to fill 132 SMs: the planner must
 * find more parallelism (smaller tiles or grid.z splits) than at batch 256. */
static void test_small_batch_spreads_work(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  char err[256];
  cuda_mbconv_args a1 = shapes(7, 7, 192, 1152, 192, 5, 1, 48, CUDA_MB_PASS1);
  cuda_mbconv_args a256 = a1;
  assert_int_equal(cuda_plan_mbconv(&a1, 1, &c, 0, err, sizeof err), 0);
  assert_int_equal(cuda_plan_mbconv(&a256, 256, &c, 0, err, sizeof err), 0);
  const long ctas1 = (long)a1.tiles_x * a1.tiles_y * cuda_mbconv_z(&a1);
  const long ctas256 = (long)a256.tiles_x * a256.tiles_y * cuda_mbconv_z(&a256);
  print_message("7x7x1152 pass 1: batch 1 -> %ld CTAs per image, batch 256 -> %ld\n", ctas1,
                ctas256);
  assert_true(ctas1 >= 16);
  assert_true(ctas1 > ctas256);
}

/* A device with less shared memory gets smaller plans, never none. */
static void test_smaller_device(void **state) {
  (void)state;
  cuda_device_caps c = hopper();
  c.sms = 40, c.smem_optin = 99 * 1024, c.smem_per_sm = 100 * 1024;
  char err[256];
  for (unsigned i = 0; i < sizeof kB0 / sizeof kB0[0]; i++) {
    const int *k = kB0[i];
    cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], CUDA_MB_RECOMP);
    if (cuda_plan_mbconv(&a, 64, &c, 0, err, sizeof err)) fail_msg("block %u: %s", i, err);
    check_plan(&a, &c);
  }
  /* and an impossible cap is an error with a message, not a bad plan */
  cuda_mbconv_args a = shapes(14, 14, 112, 672, 112, 5, 1, 28, CUDA_MB_FUSED);
  err[0] = 0;
  assert_int_equal(cuda_plan_mbconv(&a, 8, &c, 4096, err, sizeof err), -ENOSPC);
  assert_true(strlen(err) > 0);
}

/* The cluster mode's layout and work split, as the kernel indexes them: the
 * CTAs' channel ranges tile [0, CmidP) without overlap, their projection
 * tiles cover every (row tile, column tile) once, the accumulators fit, and
 * the shared-memory regions are 128-byte aligned, disjoint and inside the
 * total (the expand buffers and the projection buffers share one region). */
static void check_cluster(const cuda_mbconv_args *a, const cuda_device_caps *c) {
  cuda_mbcl_layout L;
  cuda_mbcl_layout_of(a, &L);
  assert_int_equal(a->mode, CUDA_MB_CLUSTER);
  assert_true(a->TH == a->Ho && a->TW == a->Wo && a->Ho * a->Wo <= 256);
  assert_true(a->cl >= 1 && a->cl <= 8 && a->clr >= 1 && a->cl % a->clr == 0);
  assert_true(a->CC >= 16 && a->CC <= 64 && a->CC % 16 == 0);
  assert_true(L.total <= c->smem_optin && cuda_mbconv_smem(a) == L.total);
  assert_true(cuda_mbconv_nf(a) <= CUDA_MAX_NF);
  /* channels: rank r owns [r * mycp, min(CmidP, (r + 1) * mycp)) */
  int covered = 0;
  for (int r = 0; r < a->cl; r++) {
    const int b = r * L.mycp < a->CmidP ? r * L.mycp : a->CmidP;
    const int e = b + L.mycp < a->CmidP ? b + L.mycp : a->CmidP;
    assert_int_equal(b, covered);
    covered = e;
  }
  assert_int_equal(covered, a->CmidP);
  assert_true(L.cpr * a->cl * a->CC >= a->CmidP);
  /* projection tiles: each (mt, nt) owned by exactly one rank */
  const int mt_n = cuda_pad16(a->Ho * a->Wo) / 16, nct = a->CoutP / 16, cg = a->cl / a->clr;
  static unsigned char own[16][64];
  assert_true(mt_n <= 16 && nct <= 64);
  memset(own, 0, sizeof own);
  for (int r = 0; r < a->cl; r++) {
    const int mt0 = (r / cg) * (L.rows / 16), nt0 = (r % cg) * L.cols;
    int frags = 0;
    for (int mt = mt0; mt < mt0 + L.rows / 16 && mt < mt_n; mt++)
      for (int nt = nt0; nt < nt0 + L.cols && nt < nct; nt++) own[mt][nt]++, frags++;
    assert_true(frags <= CUDA_WARPS * cuda_mbconv_nf(a));
  }
  for (int mt = 0; mt < mt_n; mt++)
    for (int nt = 0; nt < nct; nt++) assert_int_equal(own[mt][nt], 1);
  /* regions: aligned, in order, no overlap outside the shared union */
  const size_t fixed[] = {L.scr,  L.csum,  L.bexp,  L.bdw, L.gate, L.rpart, L.rfull,
                          L.qmid, L.qglob, L.pglob, L.wdw, L.wexp, L.dwall};
  for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    assert_int_equal(fixed[i] % 128, 0);
    if (i) assert_true(fixed[i] >= fixed[i - 1]);
  }
  const int ih = (a->TH - 1) * a->S + a->K, iw = (a->TW - 1) * a->S + a->K;
  const size_t npin = (size_t)cuda_pad16(ih * iw), pout = (size_t)cuda_pad16(a->Ho * a->Wo);
  assert_true(L.dwall + pout * (L.mycp + 8) * 2 <= L.xin && L.xin <= L.abuf);
  assert_true(L.mid + npin * (a->CC + 8) * 2 <= L.total);
  assert_true(L.abuf + 2 * (size_t)L.rows * (a->CC + 8) * 2 <= L.wbuf);
  assert_true(L.wbuf + 2 * (size_t)a->CC * (L.cols * 16 + 8) * 2 <= L.total);
  assert_true(L.qglob - L.qmid >= 256 * 4 && L.wdw - L.pglob >= npin * 4);
}

static void test_cluster_plans(void **state) {
  (void)state;
  const cuda_device_caps c = hopper();
  char err[256];
  int planned = 0;
  for (unsigned i = 0; i < sizeof kB0 / sizeof kB0[0]; i++) {
    const int *k = kB0[i];
    for (int cl = 1; cl <= 8; cl *= 2) {
      for (int cc = 16; cc <= 64; cc *= 2) {
        cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], CUDA_MB_FUSED);
        const int rc = cuda_plan_mbconv_cluster(&a, cl, cc, &c, 0, err, sizeof err);
        if (a.Ho * a.Wo > 256) { /* 56x56 and 28x28 outputs: not this mode */
          assert_int_equal(rc, -ENOSPC);
          continue;
        }
        if (rc == 0) check_cluster(&a, &c), planned++;
        /* every 14x14 and 7x7 block of B0 fits with 8 CTAs and 16-channel chunks */
        if (cl == 8 && cc == 16) assert_int_equal(rc, 0);
      }
    }
  }
  assert_true(planned >= 40);
  /* odd shapes: channel counts that leave CTAs without channels or tiles */
  static const int odd[][8] = {
      {9, 11, 20, 70, 36, 3, 2, 5}, {15, 17, 40, 40, 48, 5, 2, 8}, {13, 13, 24, 144, 24, 3, 1, 0}};
  for (unsigned i = 0; i < sizeof odd / sizeof odd[0]; i++) {
    for (int cl = 1; cl <= 8; cl *= 2) {
      const int *k = odd[i];
      cuda_mbconv_args a = shapes(k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7], CUDA_MB_FUSED);
      if (cuda_plan_mbconv_cluster(&a, cl, 16, &c, 0, err, sizeof err)) fail_msg("%s", err);
      check_cluster(&a, &c);
    }
  }
  /* refusals carry a message */
  cuda_mbconv_args a = shapes(14, 14, 112, 672, 112, 5, 1, 28, CUDA_MB_FUSED);
  err[0] = 0;
  assert_int_equal(cuda_plan_mbconv_cluster(&a, 3, 16, &c, 0, err, sizeof err) == 0, 1);
  check_cluster(&a, &c);
  assert_int_equal(cuda_plan_mbconv_cluster(&a, 16, 16, &c, 0, err, sizeof err), -ENOSPC);
  assert_int_equal(cuda_plan_mbconv_cluster(&a, 8, 24, &c, 0, err, sizeof err), -ENOSPC);
  assert_int_equal(cuda_plan_mbconv_cluster(&a, 1, 16, &c, 0, err, sizeof err), -ENOSPC);
  assert_true(strlen(err) > 0);
}

/* The pixel-tile blocks' launch shapes (cuda_plan_px_cands): per number of
 * output splits the nt of least padding, the fewest splits first, chunks of
 * 64 before 32, everything within the shared memory; the stem's LayerNorm
 * only with all outputs in one CTA; the hidden split only where the row
 * tiles leave SMs idle. */
static void test_px_cands(void **state) {
  (void)state;
  cuda_device_caps caps = hopper();
  cuda_px_args a = {0}, c[CUDA_PX_CANDS];
  a.mode = CUDA_PX_MLP, a.CinP = 96, a.CmidP = 384, a.CoutP = 96, a.K = 7, a.Ho = a.Wo = 56;
  int n = cuda_plan_px_cands(&a, 256, &caps, c, CUDA_PX_CANDS);
  /* 96 columns (nt 3, no padding), then 2 x 64; chunks 64, 32; each also row-warp */
  assert_int_equal(n, 8);
  assert_int_equal(cuda_px_ncol(&c[0]), 96);
  assert_int_equal(cuda_px_ch(&c[0]), 64);
  assert_int_equal(cuda_px_ch(&c[1]), 32);
  assert_int_equal(c[0].rw, 0);
  assert_int_equal(c[2].rw, 1);
  assert_int_equal(cuda_px_ncol(&c[2]), 96);
  assert_int_equal(cuda_px_rows(&c[2]), 128);
  assert_int_equal(cuda_px_rows(&c[0]), 64);
  assert_int_equal(cuda_px_ncol(&c[4]), 64);
  assert_int_equal(c[4].rw, 0);
  for (int i = 0; i < n; i++) assert_int_equal(c[i].hs, 1);
  /* ConvNeXt-T's last stage: 2 x 384 columns, 3 x 256, 4 x 192 */
  a.CinP = 768, a.CmidP = 3072, a.CoutP = 768, a.Ho = a.Wo = 7;
  n = cuda_plan_px_cands(&a, 256, &caps, c, CUDA_PX_CANDS);
  assert_true(n >= 3);
  for (int i = 0; i < n; i++) assert_true(cuda_px_smem(&c[i]) <= caps.smem_optin);
  assert_int_equal(cuda_px_ncol(&c[0]), 384);
  assert_int_equal(cuda_px_ch(&c[0]), 32); /* chunks of 64 do not fit beside A */
  assert_int_equal(cuda_px_ncol(&c[1]), 256);
  for (int i = 0; i < n; i++) assert_int_equal(c[i].rw, 0); /* 128 x 776 A does not fit */
  /* one image: 1 row tile x 2 splits; the hidden split up to 2 CTAs per SM */
  n = cuda_plan_px_cands(&a, 1, &caps, c, CUDA_PX_CANDS);
  int split = 0;
  for (int i = 0; i < n; i++) {
    if (c[i].hs > 1) {
      split++;
      const int base = (768 + cuda_px_ncol(&c[i]) - 1) / cuda_px_ncol(&c[i]);
      assert_true(base * c[i].hs <= 2 * caps.sms);
      assert_true(c[i].hs <= 3072 / cuda_px_ch(&c[i]));
    }
  }
  assert_true(split >= 5);
  /* a device with a third of the shared memory takes none (A alone is 99 KB) */
  caps.smem_optin = 72 * 1024;
  assert_int_equal(cuda_plan_px_cands(&a, 1, &caps, c, CUDA_PX_CANDS), 0);
  caps = hopper();
  /* CONV: no expanded chunks; the stem's K (48) is one chunk: no split either way */
  cuda_px_args s = {0};
  s.mode = CUDA_PX_CONV, s.stem = 1, s.K = 4, s.KA = 48, s.CinP = 16, s.CoutP = 96;
  s.Ho = s.Wo = 56;
  s.ln_g = (const float *)&s; /* any non-NULL pointer: a LayerNorm */
  n = cuda_plan_px_cands(&s, 1, &caps, c, CUDA_PX_CANDS);
  assert_int_equal(n, 1);
  assert_int_equal(cuda_px_ncol(&c[0]), 96);
  assert_int_equal(c[0].en, 1);
  assert_int_equal(c[0].hs, 1);
  s.CoutP = 272; /* more than one CTA's 256 columns */
  assert_int_equal(cuda_plan_px_cands(&s, 1, &caps, c, CUDA_PX_CANDS), 0);
  s.ln_g = NULL; /* without the LayerNorm: 2 x 192, 3 x 96, 5 x 64 */
  n = cuda_plan_px_cands(&s, 1, &caps, c, CUDA_PX_CANDS);
  assert_int_equal(n, 3);
  assert_int_equal(cuda_px_ncol(&c[0]), 192);
  assert_int_equal(cuda_px_ncol(&c[2]), 64);
  /* with the warpgroup-MMA kernel: no CONV launch takes it */
  caps.wg = 1;
  assert_int_equal(cuda_plan_px_cands(&s, 1, &caps, c, CUDA_PX_CANDS), 3);
  for (int i = 0; i < 3; i++) assert_int_equal(c[i].wg, 0);
}

/* The warpgroup-MMA pixel-tile kernels' launches (cuda_px_args.wg): after
 * each split's mma.sync ones, the column-split form (wg 3) where nt is 6, 8
 * or 12, then two and one consumer warpgroups (128 and 64 pixels a CTA, 384
 * and 160 threads) where nt <= 6, chunks of 64, within the shared memory;
 * one of them with the hidden split at batch 1. */
static void test_px_wg_cands(void **state) {
  (void)state;
  cuda_device_caps caps = hopper();
  caps.wg = 1;
  cuda_px_args a = {0}, c[CUDA_PX_CANDS];
  a.mode = CUDA_PX_MLP, a.CinP = 96, a.CmidP = 384, a.CoutP = 96, a.K = 7, a.Ho = a.Wo = 56;
  int n = cuda_plan_px_cands(&a, 256, &caps, c, CUDA_PX_CANDS);
  assert_int_equal(n, 12); /* 2 splits x (4 mma.sync + 2 wg) */
  assert_int_equal(c[4].wg, 2);
  assert_int_equal(c[5].wg, 1);
  for (int i = 4; i < 6; i++) {
    assert_int_equal(cuda_px_ncol(&c[i]), 96);
    assert_int_equal(cuda_px_ch(&c[i]), 64);
    assert_int_equal(c[i].rw, 0);
  }
  assert_int_equal(cuda_px_rows(&c[4]), 128);
  assert_int_equal(cuda_px_threads(&c[4]), 384);
  assert_int_equal(cuda_px_rows(&c[5]), 64);
  assert_int_equal(cuda_px_threads(&c[5]), 160);
  assert_int_equal(cuda_px_threads(&c[0]), CUDA_THREADS);
  /* the rings (4 x 8 KB, 3 x 16 KB), A (128 x 104 fp16), the pixels, the barriers */
  assert_int_equal(cuda_px_smem(&c[4]),
                   128 * 16 + 1024 + 4 * 8192 + 3 * 16384 + 128 * 104 * 2 + 7 * 16);
  assert_int_equal(c[10].wg, 2);
  assert_int_equal(cuda_px_ncol(&c[10]), 64);
  /* ConvNeXt-T's last stage: only one warpgroup's A (64 x 776) fits, at 4 x 192 columns */
  a.CinP = 768, a.CmidP = 3072, a.CoutP = 768, a.Ho = a.Wo = 7;
  n = cuda_plan_px_cands(&a, 256, &caps, c, CUDA_PX_CANDS);
  int wg1 = 0, wgn = 0;
  for (int i = 0; i < n; i++) {
    assert_true(cuda_px_smem(&c[i]) <= caps.smem_optin);
    assert_int_not_equal(c[i].wg, 2);
    if (c[i].wg == 1) {
      wg1++;
      assert_int_equal(cuda_px_ncol(&c[i]), 192);
    }
    if (c[i].wg == 3) { /* the column-split form: 3 x 256, 4 x 192 (2 x 384 does not fit) */
      wgn++;
      assert_true(cuda_px_ncol(&c[i]) == 256 || cuda_px_ncol(&c[i]) == 192);
      assert_int_equal(cuda_px_rows(&c[i]), 64);
      assert_int_equal(cuda_px_threads(&c[i]), 384);
    }
  }
  assert_int_equal(wg1, 1);
  assert_int_equal(wgn, 2);
  /* ConvNeXt-T's 14x14 stage: 384 columns in one split, the rings (4 x 8 KB, 2 x 48 KB), two
     H buffers, A (64 x 392 fp16) */
  a.CinP = 384, a.CmidP = 1536, a.CoutP = 384, a.Ho = a.Wo = 14;
  n = cuda_plan_px_cands(&a, 256, &caps, c, CUDA_PX_CANDS);
  assert_true(n >= 3);
  assert_int_equal(c[2].wg, 3); /* after the tile kernel's chunks of 64 and 32 */
  assert_int_equal(cuda_px_ncol(&c[2]), 384);
  assert_int_equal(cuda_px_smem(&c[2]),
                   64 * 16 + 1024 + 4 * 8192 + 2 * 49152 + 2 * 8192 + 64 * 392 * 2 + 6 * 16);
  /* one image: the wg launch also with its chunks split */
  n = cuda_plan_px_cands(&a, 1, &caps, c, CUDA_PX_CANDS);
  int split = 0;
  for (int i = 0; i < n; i++) split += c[i].wg && c[i].hs > 1;
  assert_true(split >= 1);
  /* a device without it (caps.wg == 0) gets none */
  caps.wg = 0;
  n = cuda_plan_px_cands(&a, 1, &caps, c, CUDA_PX_CANDS);
  for (int i = 0; i < n; i++) assert_int_equal(c[i].wg, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b0_plans_valid),
      cmocka_unit_test(test_odd_shapes),
      cmocka_unit_test(test_small_batch_spreads_work),
      cmocka_unit_test(test_smaller_device),
      cmocka_unit_test(test_cluster_plans),
      cmocka_unit_test(test_plan_per_chunk_width),
      cmocka_unit_test(test_smem_accounting),
      cmocka_unit_test(test_wide_accounting),
      cmocka_unit_test(test_xin_rows),
      cmocka_unit_test(test_stem_band),
      cmocka_unit_test(test_pieces_keep),
      cmocka_unit_test(test_dwrows_rule),
      cmocka_unit_test(test_dwquads_rule),
      cmocka_unit_test(test_dwvec_rule),
      cmocka_unit_test(test_dwrun_rule),
      cmocka_unit_test(test_dwstrips_rule),
      cmocka_unit_test(test_dwdirect_rule),
      cmocka_unit_test(test_wgx_rule),
      cmocka_unit_test(test_head_wg_grid),
      cmocka_unit_test(test_gate_proj_accounting),
      cmocka_unit_test(test_gate_proj_split),
      cmocka_unit_test(test_gate_proj_cands),
      cmocka_unit_test(test_px_cands),
      cmocka_unit_test(test_px_wg_cands),
      cmocka_unit_test(test_gate_proj_stream),
      cmocka_unit_test(test_gate_proj_wg),
      cmocka_unit_test(test_gate_proj_narrow),
      cmocka_unit_test(test_head_grid),
      cmocka_unit_test(test_se_grid),
      cmocka_unit_test(test_se_batch),
      cmocka_unit_test(test_se_mma),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
