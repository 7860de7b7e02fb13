/* The whole cuda backend against the CPU backend on the real photos (panda,
 * car): same top-1, logits close; results independent of the batch bucket;
 * random-weight ConvNeXt and ConvFirst networks against the CPU backend;
 * profiling, peaks and argument errors. Skips with a message without a GPU,
 * unless BLOCKFUSE_GPU_TESTS=1 demands one. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fused_kernels/cuda_backend.h"
#include "model/backend.h"
#include "model/net.h"
#include "bench/arch_model.h"
#include "server/img.h"
#include "tests/test_support.h"

#define NET_TOL 3e-2 /* fp16 storage through 18 blocks */

typedef struct {
  model_net net;
  uint8_t *imgs; /* [2][in_h][in_w][3]: panda, car */
  size_t img_bytes;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  char err[512];
  if (!f) return -1;
  if (model_net_load(test_runfile("blockfuse/models/efficientnet_b0"), &f->net, err, sizeof err)) {
    fprintf(stderr, "load: %s\n", err);
    free(f);
    return -1;
  }
  f->img_bytes = (size_t)f->net.in_h * f->net.in_w * 3;
  f->imgs = malloc(2 * f->img_bytes);
  static const char *names[2] = {"efficientnet_b0_tfjs/panda.jpg", "efficientnet_b0_tfjs/car.jpg"};
  for (int i = 0; i < 2; i++) {
    size_t len = 0;
    uint8_t *buf = test_read_file(test_runfile(names[i]), &len);
    if (!buf || !f->imgs ||
        img_prepare(buf, len, IMG_DEFAULT_MAX_PIXELS, f->net.resize_shorter, f->net.in_w,
                    f->net.in_h, f->imgs + i * f->img_bytes, err, sizeof err)) {
      fprintf(stderr, "image %s: %s\n", names[i], buf ? err : "unreadable");
      free(buf);
      return -1;
    }
    free(buf);
  }
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  model_net_free(&f->net);
  free(f->imgs);
  free(f);
  return 0;
}

static int argmax(const float *x, int n) {
  int best = 0;
  for (int i = 1; i < n; i++)
    if (x[i] > x[best]) best = i;
  return best;
}

/* Eight photos for a batch: panda, car, panda, ... */
static uint8_t *photos8(const fixture *f) {
  uint8_t *batch = malloc(8 * f->img_bytes);
  assert_non_null(batch);
  for (int i = 0; i < 8; i++)
    memcpy(batch + i * f->img_bytes, f->imgs + (i % 2) * f->img_bytes, f->img_bytes);
  return batch;
}

/* Runs the first n of photos8's images on gpu and checks each one against
 * the CPU backend's logits of its photo (ref: panda, car): the same top-1,
 * rel err < NET_TOL, and nothing written past n (out holds 8 rows). */
static void check_photos(const fixture *f, model_backend *gpu, const uint8_t *batch, int n,
                         const float *ref, float *out, const char *what) {
  const int C = f->net.num_classes;
  char err[512];
  for (size_t i = 0; i < 8 * (size_t)C; i++) out[i] = NAN;
  if (gpu->ops->run(gpu->self, batch, n, out, err, sizeof err))
    fail_msg("%s n=%d: %s", what, n, err);
  for (int i = 0; i < n; i++) {
    const float *r = ref + (i % 2) * C;
    const double e = test_rel_err(out + i * C, r, (size_t)C);
    print_message("%s n=%d image %d: logits rel err %.2e\n", what, n, i, e);
    assert_int_equal(argmax(out + i * C, C), argmax(r, C));
    if (!(e < NET_TOL)) fail_msg("%s n=%d image %d: logits rel err %g", what, n, i, e);
  }
  for (int i = n * C; i < 8 * C; i++) assert_true(isnan(out[i]));
}

/* The CPU backend's logits of the two photos (panda, car): [2][classes]. */
static float *cpu_ref(const fixture *f, const model_backend_config *cfg) {
  model_backend cpu;
  char err[512];
  float *ref = malloc(2 * (size_t)f->net.num_classes * sizeof *ref);
  assert_non_null(ref);
  if (model_backend_open(&cpu, "cpu", &f->net, cfg, err, sizeof err)) fail_msg("cpu: %s", err);
  assert_int_equal(cpu.ops->run(cpu.self, f->imgs, 2, ref, err, sizeof err), 0);
  model_backend_close(&cpu);
  return ref;
}

static void test_network_matches_cpu(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  fixture *f = *state;
  const int C = f->net.num_classes;
  char err[512];
  model_backend gpu;
  model_backend_config cfg = {.threads = 0, .device = 0, .max_batch = 8, .profile_every = 0};
  float *ref = cpu_ref(f, &cfg), *out = malloc(8 * C * sizeof *out);
  if (model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err)) fail_msg("cuda: %s", err);
  assert_non_null(out);
  for (size_t i = 0; i < 8 * (size_t)C; i++) out[i] = NAN;
  if (gpu.ops->run(gpu.self, f->imgs, 2, out, err, sizeof err)) fail_msg("cuda run: %s", err);
  for (int i = 0; i < 2; i++) {
    const double e = test_rel_err(out + i * C, ref + i * C, (size_t)C);
    const int tc = argmax(ref + i * C, C), tg = argmax(out + i * C, C);
    print_message("image %d: cpu top-1 %d (%s) %.3f, cuda top-1 %d %.3f, logits rel err %.2e\n", i,
                  tc, f->net.labels[tc], ref[i * C + tc], tg, out[i * C + tg], e);
    assert_int_equal(tg, tc);
    if (!(e < NET_TOL)) fail_msg("image %d: logits rel err %g >= %g", i, e, NET_TOL);
  }
  /* The same images in other buckets (1, 3 -> 4, 8 with stale padding). */
  uint8_t *batch = photos8(f);
  static const int sizes[] = {1, 3, 8, 5};
  for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
    check_photos(f, &gpu, batch, sizes[s], ref, out, "buckets");
  /* zero-copy: images placed straight into the backend's pinned staging */
  uint8_t *stg = cuda_backend_staging(gpu.self);
  assert_non_null(stg);
  memcpy(stg, f->imgs, 2 * f->img_bytes);
  if (gpu.ops->run(gpu.self, stg, 2, out, err, sizeof err)) fail_msg("zero-copy run: %s", err);
  for (int i = 0; i < 2; i++)
    assert_true(test_rel_err(out + i * C, ref + i * C, (size_t)C) < NET_TOL);
  free(batch), free(ref), free(out);
  model_backend_close(&gpu);
}

/* How many times `what` occurs in s. */
static int occurrences(const char *s, const char *what) {
  int n = 0;
  for (const char *q = s; (q = strstr(q, what)); q++) n++;
  return n;
}

/* The image copy in pieces under the first blocks (BLOCKFUSE_CUDA_PIECES=4
 * forces at buckets 4 and 8 what the planner may pick there): the
 * planner's pick of 1 to 4 blocks on one lane or two; the same in 8 pieces
 * of one image at bucket 8 (bucket 4 then takes one copy); then, with
 * BLOCKFUSE_CUDA_PIECE_BLOCKS=64 (its largest), as many as can
 * (cuda_pieces_keep): on one lane 16 of B0's 18, where the 17th's outputs
 * would be overwritten by a later piece's 13th; on two
 * (BLOCKFUSE_CUDA_PIECE_LANES: a wavefront, each piece's block beside the
 * piece before's next one) 9, where the 10th, 14x14x112, is wider than the
 * 8th, 14x14x80. Each piece's copy lands before its blocks read it, they run
 * the smaller bucket's plans on their own images and SE scratch, so 8, 3 and
 * 1 photos (panda, car, ...) give the CPU backend's logits and top-1 image by
 * image (test_env_refused: bad counts). */
static void test_copy_pieces(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  fixture *f = *state;
  const int C = f->net.num_classes;
  char err[512];
  model_backend gpu;
  model_backend_config cfg = {.threads = 0, .device = 0, .max_batch = 8, .profile_every = 0};
  float *ref = cpu_ref(f, &cfg), *out = malloc(8 * C * sizeof *out);
  uint8_t *batch = photos8(f);
  assert_non_null(out);
  static const struct {
    const char *pieces, *lead, *lanes, *name;
  } run[] = {{"4", NULL, NULL, "4 pieces"},
             {"8", NULL, NULL, "8 pieces"},
             {"4", "64", "1", "4 pieces, 16 blocks, one lane"},
             {"4", "64", "2", "4 pieces, 9 blocks, two lanes"}};
  for (unsigned r = 0; r < sizeof run / sizeof run[0]; r++) {
    setenv("BLOCKFUSE_CUDA_PIECES", run[r].pieces, 1);
    if (run[r].lead) setenv("BLOCKFUSE_CUDA_PIECE_BLOCKS", run[r].lead, 1);
    if (run[r].lanes) setenv("BLOCKFUSE_CUDA_PIECE_LANES", run[r].lanes, 1);
    const int rc = model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err);
    unsetenv("BLOCKFUSE_CUDA_PIECES");
    unsetenv("BLOCKFUSE_CUDA_PIECE_BLOCKS");
    unsetenv("BLOCKFUSE_CUDA_PIECE_LANES");
    if (rc) fail_msg("cuda: %s", err);
    /* the plans name the blocks run piece by piece (the planner's pick of 1
       to 4, or 16 and 9) and their lanes */
    static char desc[16384];
    for (int b = 8; b >= 4; b /= 2) {
      assert_true(cuda_backend_describe(gpu.self, b, desc, sizeof desc) > 0);
      const int n = occurrences(desc, "piece by piece"), two = occurrences(desc, "two lanes");
      print_message("bucket %d: %d blocks piece by piece, %d on two lanes\n", b, n, two);
      if (atoi(run[r].pieces) > b)
        assert_int_equal(n, 0);
      else if (run[r].lead)
        assert_int_equal(n, run[r].lanes[0] == '2' ? 9 : 16);
      else
        assert_true(n >= 1 && n <= 4);
      if (run[r].lanes) assert_int_equal(two, run[r].lanes[0] == '2' ? n : 0);
      assert_true(two == 0 || two == n);
    }
    static const int sizes[] = {8, 3, 1};
    for (int k = 0; k < 3; k++) check_photos(f, &gpu, batch, sizes[k], ref, out, run[r].name);
    model_backend_close(&gpu);
  }
  free(batch), free(ref), free(out);
}

/* A caller's batch of 4 MB or more goes into the pinned staging in slices
 * over cfg.threads threads (copy_in): 32 and 29 photos, each with a 64x64
 * patch of its own so that a slice in the wrong place changes some image,
 * give the logits of the same images placed in the staging (the zero-copy
 * run) within COPY_TOL, and the CPU backend's top-1. Not bit for bit: the
 * float atomics of the SE and head sums add in any order (s41c3: ~1e-7 apart
 * in the last bits), where another image's patch moves the logits by far
 * more. */
#define COPY_TOL 1e-4
static void test_copy_threads(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  fixture *f = *state;
  const int C = f->net.num_classes, N = 32;
  char err[512];
  model_backend gpu;
  model_backend_config cfg = {.threads = 4, .device = 0, .max_batch = N, .profile_every = 0};
  float *ref = cpu_ref(f, &cfg), *out = malloc(2 * (size_t)N * C * sizeof *out);
  uint8_t *batch = malloc(N * f->img_bytes);
  assert_non_null(out);
  assert_non_null(batch);
  for (int i = 0; i < N; i++) {
    uint8_t *img = batch + i * f->img_bytes;
    memcpy(img, f->imgs + (i % 2) * f->img_bytes, f->img_bytes);
    for (int y = 0; y < 64; y++)
      memset(img + ((size_t)(8 + y) * f->net.in_w + 8) * 3, (97 * i) & 255, 64 * 3);
  }
  if (model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err)) fail_msg("cuda: %s", err);
  static const int sizes[] = {32, 29};
  for (int k = 0; k < 2; k++) {
    const int n = sizes[k];
    float *copied = out, *placed = out + (size_t)N * C;
    if (gpu.ops->run(gpu.self, batch, n, copied, err, sizeof err)) fail_msg("run: %s", err);
    memcpy(cuda_backend_staging(gpu.self), batch, n * f->img_bytes);
    if (gpu.ops->run(gpu.self, cuda_backend_staging(gpu.self), n, placed, err, sizeof err))
      fail_msg("zero-copy run: %s", err);
    double worst = 0, near = INFINITY; /* copied against placed; image i against i + 2 */
    for (int i = 0; i < n; i++) {
      const double e = test_rel_err(copied + i * C, placed + i * C, (size_t)C);
      if (!(e < COPY_TOL)) fail_msg("%d images: image %d's logits %.2e from zero-copy", n, i, e);
      worst = e > worst ? e : worst;
      if (i + 2 < n) {
        const double d = test_rel_err(placed + i * C, placed + (i + 2) * C, (size_t)C);
        near = d < near ? d : near;
      }
      assert_int_equal(argmax(copied + i * C, C), argmax(ref + (i % 2) * C, C));
    }
    print_message(
        "%d images (%zu bytes) copied in slices: %.2e from zero-copy at most; two "
        "images of one photo %.2e apart at least\n",
        n, n * f->img_bytes, worst, near);
    assert_true(near > 10 * COPY_TOL); /* the patches tell the images apart */
  }
  model_backend_close(&gpu);
  free(batch), free(ref), free(out);
}

/* Bad values of the backend's count switches are refused at create() with a
 * message naming the switch, before any CUDA call: so this runs without a GPU
 * too (CI), and skips only in a build without CUDA. */
static void test_env_refused(void **state) {
  fixture *f = *state;
  model_backend gpu;
  model_backend_config cfg = {.device = 0, .max_batch = 8};
  char err[512];
  static const char *bad[][2] = {
      {"BLOCKFUSE_CUDA_PIECES", "0"},         {"BLOCKFUSE_CUDA_PIECES", "9"},
      {"BLOCKFUSE_CUDA_PIECES", "4x"},        {"BLOCKFUSE_CUDA_PIECE_BLOCKS", "-1"},
      {"BLOCKFUSE_CUDA_PIECE_BLOCKS", "two"}, {"BLOCKFUSE_CUDA_PIECE_BLOCKS", "65"},
      {"BLOCKFUSE_CUDA_PIECE_LANES", "3"},    {"BLOCKFUSE_CUDA_PIECE_LANES", "0"},
      {"BLOCKFUSE_CUDA_LEAD_ITERS", "65"},    {"BLOCKFUSE_CUDA_LEAD_ITERS", "7.5"}};
  for (unsigned k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    setenv(bad[k][0], bad[k][1], 1);
    err[0] = 0;
    const int rc = model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err);
    unsetenv(bad[k][0]);
    if (rc == -ENOTSUP) {
      print_message("skipped: %s\n", err);
      return;
    }
    print_message("refused: %s\n", err);
    assert_int_equal(rc, -EINVAL);
    assert_non_null(strstr(err, bad[k][0]));
  }
}

/* Whether a plan description runs a pixel-tile launch with its chunks split
 * (hs > 1, partial sums in the one shared buffer) on two lanes. */
static int two_lanes_split(const char *desc) {
  for (const char *q = desc; (q = strstr(q, "two lanes")); q++) {
    const char *end = strchr(q, '\n'), *h = strstr(q, " hs ");
    if (h && (!end || h < end) && atoi(h + 4) > 1) return 1;
  }
  return 0;
}

/* The other block kinds end to end (bench/arch_model.h: random-weight
 * ConvNeXt and ConvFirst networks): the cuda backend's logits against the
 * cpu backend's on random images, at a batch of 3 (bucket 4): as the planner
 * picks, and with the image copy forced into 4 pieces under as many blocks
 * as can run on two lanes, which leaves out a pixel-tile block whose launch
 * splits its chunks (lanes_ok): two pieces at once would add into the same
 * partial sums. */
static void test_arch_matches_cpu(void **state) {
  (void)state;
  if (test_need_gpu(cuda_device_count())) return;
  static const char *const archs[] = {"convnext_test", "convfirst_test"};
  for (int a = 0; a < 2; a++) {
    char dir[] = "/tmp/bf_arch_XXXXXX", err[512];
    assert_non_null(mkdtemp(dir));
    if (arch_model_write(dir, archs[a], err, sizeof err)) fail_msg("%s: %s", archs[a], err);
    model_net net;
    if (model_net_load(dir, &net, err, sizeof err)) fail_msg("%s: %s", archs[a], err);
    const int C = net.num_classes, n = 3;
    const size_t ib = (size_t)net.in_h * net.in_w * 3;
    uint8_t *imgs = malloc(n * ib);
    float *f = malloc(n * ib * sizeof *f), *ref = malloc(n * C * sizeof *ref),
          *out = malloc(4 * C * sizeof *out);
    assert_true(imgs && f && ref && out);
    test_fill_random(f, n * ib, 0.f, 256.f);
    for (size_t i = 0; i < n * ib; i++) imgs[i] = (uint8_t)f[i];
    model_backend cpu, gpu;
    model_backend_config cfg = {.threads = 0, .device = 0, .max_batch = 4, .profile_every = 0};
    if (model_backend_open(&cpu, "cpu", &net, &cfg, err, sizeof err)) fail_msg("cpu: %s", err);
    assert_int_equal(cpu.ops->run(cpu.self, imgs, n, ref, err, sizeof err), 0);
    for (int forced = 0; forced < 2; forced++) {
      if (forced) {
        setenv("BLOCKFUSE_CUDA_PIECES", "4", 1);
        setenv("BLOCKFUSE_CUDA_PIECE_LANES", "2", 1);
        setenv("BLOCKFUSE_CUDA_PIECE_BLOCKS", "64", 1);
      }
      const int rc = model_backend_open(&gpu, "cuda", &net, &cfg, err, sizeof err);
      unsetenv("BLOCKFUSE_CUDA_PIECES");
      unsetenv("BLOCKFUSE_CUDA_PIECE_LANES");
      unsetenv("BLOCKFUSE_CUDA_PIECE_BLOCKS");
      if (rc) fail_msg("cuda %s: %s", archs[a], err);
      for (int i = 0; i < 4 * C; i++) out[i] = NAN;
      if (gpu.ops->run(gpu.self, imgs, n, out, err, sizeof err)) fail_msg("cuda run: %s", err);
      for (int i = 0; i < n; i++) {
        const double e = test_rel_err(out + i * C, ref + i * C, (size_t)C);
        print_message("%s%s image %d: cpu top-1 %d, cuda top-1 %d, logits rel err %.2e\n", archs[a],
                      forced ? " (4 pieces, two lanes)" : "", i, argmax(ref + i * C, C),
                      argmax(out + i * C, C), e);
        if (!(e < 1e-2)) fail_msg("%s image %d: logits rel err %g >= 1e-2", archs[a], i, e);
      }
      for (int i = n * C; i < 4 * C; i++) assert_true(isnan(out[i])); /* nothing past n */
      /* the block table names the pixel-tile launches, and none that splits
         its chunks runs on two lanes */
      char desc[8192];
      assert_true(cuda_backend_describe(gpu.self, n, desc, sizeof desc) > 0);
      assert_non_null(strstr(desc, "[px mlp"));
      const int two = occurrences(desc, "two lanes");
      print_message("%s%s: %d blocks on two lanes\n", archs[a], forced ? " (forced)" : "", two);
      assert_false(two_lanes_split(desc));
      model_backend_close(&gpu);
    }
    model_backend_close(&cpu);
    model_net_free(&net);
    free(imgs), free(f), free(ref), free(out);
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
  }
}

static void test_profile_and_peaks(void **state) {
  if (test_need_gpu(cuda_device_count())) return;
  fixture *f = *state;
  const int C = f->net.num_classes, nb = f->net.n_blocks;
  char err[512];
  model_backend gpu;
  model_backend_config cfg = {.device = 0, .max_batch = 4, .profile_every = 2};
  if (model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err)) fail_msg("cuda: %s", err);
  double *t = calloc((size_t)nb, sizeof *t), fl = 0, bw = 0;
  float *out = malloc(4 * C * sizeof *out);
  int batch = 0;
  assert_non_null(t);
  assert_non_null(out);
  assert_int_equal(gpu.ops->block_times(gpu.self, t, nb, &batch), -EAGAIN);
  assert_int_equal(gpu.ops->run(gpu.self, f->imgs, 2, out, err, sizeof err), 0);
  assert_int_equal(gpu.ops->block_times(gpu.self, t, nb, &batch), -EAGAIN); /* run 1: not sampled */
  /* run 2 is sampled: its own graph, with the events between blocks, and the same logits */
  memcpy(out + 2 * C, out, 2 * C * sizeof *out);
  memset(out, 0, 2 * C * sizeof *out);
  assert_int_equal(gpu.ops->run(gpu.self, f->imgs, 2, out, err, sizeof err), 0);
  assert_true(test_rel_err(out, out + 2 * C, (size_t)2 * C) < 1e-3);
  assert_int_equal(gpu.ops->block_times(gpu.self, t, nb, &batch), 0);
  assert_int_equal(batch, 2);
  double sum = 0;
  for (int i = 0; i < nb; i++) {
    assert_true(t[i] > 0 && t[i] < 1.0);
    sum += t[i];
  }
  gpu.ops->peaks(gpu.self, &fl, &bw);
  print_message("profiled run: %.3f ms over %d blocks; peaks %.1f TFLOP/s, %.0f GB/s\n", sum * 1e3,
                nb, fl / 1e12, bw / 1e9);
  assert_true(fl > 1e13 && fl < 1e16);
  assert_true(bw > 1e11 && bw < 1e14);
  /* bad batch sizes are refused with a message, not run */
  err[0] = 0;
  assert_int_equal(gpu.ops->run(gpu.self, f->imgs, 5, out, err, sizeof err), -EINVAL);
  assert_true(strlen(err) > 0);
  assert_int_equal(gpu.ops->run(gpu.self, f->imgs, 0, out, err, sizeof err), -EINVAL);
  double gt = 0, kt = 0;
  assert_int_equal(cuda_backend_graph_time(gpu.self, 4, 5, 0, &gt, err, sizeof err), 0);
  assert_true(gt > 0);
  /* the kernels alone, captured on first use; its logits are the last run's */
  assert_int_equal(cuda_backend_graph_time(gpu.self, 4, 5, 1, &kt, err, sizeof err), 0);
  assert_true(kt > 0);
  /* two instances' graphs at once (gpu_bench --concurrent): a time per batch, bad counts
     and batches refused with a message, and the instances' own runs unchanged after */
  model_backend two;
  model_backend_config cfg2 = cfg;
  cfg2.profile_every = 0;
  if (model_backend_open(&two, "cuda", &f->net, &cfg2, err, sizeof err)) fail_msg("cuda: %s", err);
  float *before = malloc(2 * C * sizeof *before);
  assert_non_null(before);
  assert_int_equal(two.ops->run(two.self, f->imgs, 2, before, err, sizeof err), 0);
  void *const both[2] = {gpu.self, two.self};
  double ct = 0;
  for (int k = 0; k < 2; k++) {
    ct = 0;
    assert_int_equal(cuda_backend_concurrent_time(both, 2, 4, 3, k, &ct, err, sizeof err), 0);
    assert_true(ct > 0 && ct < 1.0);
  }
  err[0] = 0;
  assert_int_equal(cuda_backend_concurrent_time(both, 9, 4, 3, 0, &ct, err, sizeof err), -EINVAL);
  assert_true(strlen(err) > 0);
  assert_int_equal(cuda_backend_concurrent_time(both, 2, 5, 3, 0, &ct, err, sizeof err), -EINVAL);
  assert_int_equal(two.ops->run(two.self, f->imgs, 2, out, err, sizeof err), 0);
  assert_true(test_rel_err(out, before, (size_t)2 * C) < 1e-3);
  free(before);
  model_backend_close(&two);
  model_backend_close(&gpu);
  /* configured peaks override the probes; a missing device is an error */
  cfg.peak_flops = 1e15, cfg.peak_bw = 2e12;
  if (model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err)) fail_msg("cuda: %s", err);
  gpu.ops->peaks(gpu.self, &fl, &bw);
  assert_true(fl == 1e15 && bw == 2e12);
  model_backend_close(&gpu);
  cfg.device = cuda_device_count();
  assert_int_equal(model_backend_open(&gpu, "cuda", &f->net, &cfg, err, sizeof err), -ENODEV);
  free(t), free(out);
}

int main(void) {
  test_seed();
  test_filter_from_env();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_network_matches_cpu), cmocka_unit_test(test_copy_pieces),
      cmocka_unit_test(test_env_refused),         cmocka_unit_test(test_arch_matches_cpu),
      cmocka_unit_test(test_profile_and_peaks),   cmocka_unit_test(test_copy_threads),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
