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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_b0_plans_valid),
      cmocka_unit_test(test_odd_shapes),
      cmocka_unit_test(test_small_batch_spreads_work),
      cmocka_unit_test(test_smaller_device),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
