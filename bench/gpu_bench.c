/* gpu_bench: EfficientNet-B0 on the cuda backend at several batch sizes.
 * For each batch: end-to-end run() latency (uint8 images in pinned staging ->
 * logits on the host, p50/p99) and img/s; the device time of one replay of
 * the bucket's CUDA graph (H2D + kernels + D2H), and of a graph of the same
 * kernels without the copies ("kern": the images already on the device, as
 * a framework timed on device tensors is); then the per-block roofline
 * table from profiled runs (median of 5): FLOPs, minimum DRAM bytes, time,
 * achieved rates, ideal time = max(FLOPs/peak, bytes/peak_bw), efficiency.
 * Napkin math sits next to every time, as STYLE.md asks.
 *
 * usage: gpu_bench MODEL_DIR [--batches 1,8,64,256] [--iters N] [--device N]
 *                            [--peak-flops X] [--peak-bw X] [--json FILE]
 *                            [--ncu-batch B: one run at B between cudaProfilerStart/Stop]
 *                            [--concurrent N: also N instances' graphs replayed at once]
 * --concurrent N (2 to 8) opens N - 1 more instances (as `serve --executors N`
 * does: each its own stream, pinned staging and buffers, each planned at
 * create) and, per batch, times the N instances' graphs replayed at the same
 * time on their streams (cuda_backend_concurrent_time): the throughput when
 * one batch's copies and kernels overlap another's. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fused_kernels/cuda_backend.h"
#include "model/backend.h"
#include "model/net.h"
#include "model/timing.h"

/* The cuda backend directly (no CPU backend linked): like model_backend_open. */
static int open_cuda(model_backend *b, const model_net *net, const model_backend_config *cfg,
                     char *err, size_t errlen) {
  b->ops = &model_cuda_backend, b->net = net;
  return model_cuda_backend.create(net, cfg, &b->self, err, errlen);
}

static void close_cuda(model_backend *b) {
  b->ops->destroy(b->self);
}

static int cmp_d(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
  qsort(v, (size_t)n, sizeof *v, cmp_d);
  int i = (int)ceil(p * n) - 1;
  return v[i < 0 ? 0 : i];
}

/* --concurrent: n - 1 more instances beside `be` (cfg as be's, no profiling), then per
 * batch the time per batch of the n graphs replayed at once, with the copies and
 * without; a table and JSON lines. Returns 0, or 1 after printing the error. */
static int concurrent_table(model_backend *be, const model_net *net,
                            const model_backend_config *cfg0, int n, const int *batches, int nbatch,
                            int iters, FILE *jf) {
  model_backend more[8];
  void *selves[8] = {be->self};
  model_backend_config cfg = *cfg0;
  char err[512];
  int opened = 0, rc = 0;
  cfg.profile_every = 0;
  for (; opened < n - 1; opened++) {
    if (open_cuda(&more[opened], net, &cfg, err, sizeof err)) {
      fprintf(stderr, "cuda (instance %d): %s\n", opened + 2, err);
      rc = 1;
      break;
    }
    selves[opened + 1] = more[opened].self;
  }
  if (!rc)
    printf(
        "\n%d instances at once (each replays its graph %d times per round; time per batch):\n"
        "%6s %12s %12s %12s %12s\n",
        n, iters, "batch", "graph ms", "img/s(graph)", "kern ms", "img/s(kern)");
  for (int k = 0; k < nbatch && !rc; k++) {
    const int B = batches[k];
    double gt = 0, kt = 0;
    if (cuda_backend_concurrent_time(selves, n, B, iters, 0, &gt, err, sizeof err) ||
        cuda_backend_concurrent_time(selves, n, B, iters, 1, &kt, err, sizeof err)) {
      fprintf(stderr, "concurrent: %s\n", err);
      rc = 1;
      break;
    }
    printf("%6d %12.3f %12.0f %12.3f %12.0f\n", B, gt * 1e3, B / gt, kt * 1e3, B / kt);
    if (jf)
      fprintf(jf, "{\"batch\":%d,\"concurrent\":%d,\"graph_ms\":%.4f,\"kernels_ms\":%.4f}\n", B, n,
              gt * 1e3, kt * 1e3);
  }
  for (int k = 0; k < opened; k++) close_cuda(&more[k]);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr,
            "usage: %s MODEL_DIR [--batches 1,8,64,256] [--iters N] [--device N] "
            "[--peak-flops X] [--peak-bw X] [--json FILE] [--concurrent N]\n",
            argv[0]);
    return 2;
  }
  const char *dir = argv[1], *json = NULL;
  char batches_s[256] = "1,8,64,256";
  int iters = 200, device = 0, ncu_batch = 0, conc = 0;
  double pf = 0, pb = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--batches"))
      snprintf(batches_s, sizeof batches_s, "%s", argv[i + 1]);
    else if (!strcmp(argv[i], "--iters"))
      iters = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--device"))
      device = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--peak-flops"))
      pf = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--peak-bw"))
      pb = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--ncu-batch"))
      ncu_batch = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--concurrent"))
      conc = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--json"))
      json = argv[i + 1];
    else {
      fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  int batches[16], nbatch = 0, maxb = 1;
  for (char *t = strtok(batches_s, ","); t && nbatch < 16; t = strtok(NULL, ",")) {
    batches[nbatch] = atoi(t);
    if (batches[nbatch] < 1) return fprintf(stderr, "bad batch %s\n", t), 2;
    if (batches[nbatch] > maxb) maxb = batches[nbatch];
    nbatch++;
  }
  if (conc && (conc < 2 || conc > 8))
    return fprintf(stderr, "--concurrent takes 2 to 8 instances, not %d\n", conc), 2;
  char err[512];
  model_net net;
  if (model_net_load(dir, &net, err, sizeof err)) return fprintf(stderr, "load: %s\n", err), 1;
  const size_t img = (size_t)net.in_h * net.in_w * 3;
  uint8_t *images = malloc(img * maxb);
  float *logits = malloc(sizeof(float) * net.num_classes * maxb);
  double *lat = malloc(sizeof(double) * (iters > 5 ? iters : 5));
  double *bt = calloc((size_t)net.n_blocks * 5, sizeof(double));
  if (!images || !logits || !lat || !bt) return fprintf(stderr, "out of memory\n"), 1;
  srand(12345);
  for (size_t i = 0; i < img * maxb; i++) images[i] = (uint8_t)(rand() >> 7);

  model_backend_config cfg = {.device = device, .max_batch = maxb, .peak_flops = pf, .peak_bw = pb};
  model_backend be, prof;
  double t0 = bf_now_s();
  if (open_cuda(&be, &net, &cfg, err, sizeof err)) return fprintf(stderr, "cuda: %s\n", err), 1;
  const double create_s = bf_now_s() - t0;
  cfg.profile_every = 1;
  if (open_cuda(&prof, &net, &cfg, err, sizeof err)) return fprintf(stderr, "cuda: %s\n", err), 1;
  double peak_f, peak_b;
  be.ops->peaks(be.self, &peak_f, &peak_b);
  printf(
      "blockfuse cuda backend: %s, %d blocks, create %.2f s (plans, SE variant timing, graph "
      "capture)\n",
      net.name, net.n_blocks, create_s);
  printf("measured peaks: %.1f TFLOP/s (wmma fp16 loop), %.0f GB/s (D2D copy, read+write)\n",
         peak_f / 1e12, peak_b / 1e9);
  if (ncu_batch > 0) { /* one run inside the profiler window (ncu --profile-from-start off) */
    be.ops->run(be.self, images, ncu_batch, logits, err, sizeof err);
    cuda_profiler_window(1);
    const int rc = be.ops->run(be.self, images, ncu_batch, logits, err, sizeof err);
    cuda_profiler_window(0);
    printf("profiled one run at batch %d: %s\n", ncu_batch, rc ? err : "ok");
    return rc ? 1 : 0;
  }
  FILE *jf = json ? fopen(json, "w") : NULL;
  if (json && !jf) return fprintf(stderr, "cannot write %s\n", json), 1;
  printf("\n%6s %12s %10s %10s %14s %12s %12s %10s %10s %12s\n", "batch", "img/s(run)", "p50 ms",
         "p99 ms", "img/s(0-copy)", "graph ms", "img/s(graph)", "TFLOP/s", "kern ms",
         "img/s(kern)");
  double total_flops1 = 0;
  for (int i = 0; i < net.n_blocks; i++) total_flops1 += model_block_flops(&net.blocks[i], 1);
  for (int k = 0; k < nbatch; k++) {
    const int B = batches[k];
    for (int w = 0; w < 10; w++)
      if (be.ops->run(be.self, images, B, logits, err, sizeof err))
        return fprintf(stderr, "run: %s\n", err), 1;
    const double start = bf_now_s();
    for (int it = 0; it < iters; it++) {
      const double a = bf_now_s();
      if (be.ops->run(be.self, images, B, logits, err, sizeof err))
        return fprintf(stderr, "run: %s\n", err), 1;
      lat[it] = bf_now_s() - a;
    }
    const double wall = bf_now_s() - start;
    /* zero-copy: images decoded straight into the backend's pinned staging */
    uint8_t *stg = cuda_backend_staging(be.self);
    memcpy(stg, images, img * B);
    const double zs = bf_now_s();
    for (int it = 0; it < iters; it++)
      if (be.ops->run(be.self, stg, B, logits, err, sizeof err))
        return fprintf(stderr, "run: %s\n", err), 1;
    const double zwall = bf_now_s() - zs;
    /* graph: H2D + kernels + D2H; kern: the same kernels without the copies */
    double gt = 0, kt = 0;
    if (cuda_backend_graph_time(be.self, B, iters, 0, &gt, err, sizeof err) ||
        cuda_backend_graph_time(be.self, B, iters, 1, &kt, err, sizeof err))
      return fprintf(stderr, "%s\n", err), 1;
    const double p50 = pct(lat, iters, 0.5), p99 = pct(lat, iters, 0.99);
    printf("%6d %12.0f %10.3f %10.3f %14.0f %12.3f %12.0f %10.1f %10.3f %12.0f\n", B,
           B * iters / wall, p50 * 1e3, p99 * 1e3, B * iters / zwall, gt * 1e3, B / gt,
           total_flops1 * B / gt / 1e12, kt * 1e3, B / kt);
    if (jf)
      fprintf(jf,
              "{\"batch\":%d,\"img_s_run\":%.1f,\"p50_ms\":%.4f,\"p99_ms\":%.4f,"
              "\"img_s_zero_copy\":%.1f,\"graph_ms\":%.4f,\"kernels_ms\":%.4f}\n",
              B, B * iters / wall, p50 * 1e3, p99 * 1e3, B * iters / zwall, gt * 1e3, kt * 1e3);
  }
  if (conc >= 2 && concurrent_table(&be, &net, &cfg, conc, batches, nbatch, iters, jf)) return 1;
  /* Per-block tables: median of 5 profiled runs at each batch. */
  for (int k = 0; k < nbatch; k++) {
    const int B = batches[k];
    int got = 0;
    prof.ops->run(prof.self, images, B, logits, err, sizeof err);
    for (int r = 0; r < 5; r++) {
      if (prof.ops->run(prof.self, images, B, logits, err, sizeof err))
        return fprintf(stderr, "run: %s\n", err), 1;
      if (prof.ops->block_times(prof.self, bt + (size_t)r * net.n_blocks, net.n_blocks, &got))
        return fprintf(stderr, "no block times\n"), 1;
    }
    printf(
        "\nper-block roofline, batch %d (median of 5 profiled runs; peaks %.1f TFLOP/s, %.0f "
        "GB/s)\n",
        got, peak_f / 1e12, peak_b / 1e9);
    printf("%-14s %-7s %10s %10s %9s %8s %8s %9s %6s\n", "block", "kind", "MFLOP", "min MB",
           "time us", "TFLOP/s", "GB/s", "ideal us", "eff%");
    double sum_t = 0, sum_i = 0;
    for (int i = 0; i < net.n_blocks; i++) {
      double v[5];
      for (int r = 0; r < 5; r++) v[r] = bt[(size_t)r * net.n_blocks + i];
      const double t = pct(v, 5, 0.5);
      const model_block *b = &net.blocks[i];
      const double fl = model_block_flops(b, got), by = model_block_min_bytes(b, got, 2, 2);
      const double ideal = model_roofline_seconds(fl, by, peak_f, peak_b);
      sum_t += t, sum_i += ideal;
      printf("%-14s %-7s %10.1f %10.2f %9.1f %8.2f %8.0f %9.1f %6.1f\n", b->name,
             model_block_kind_name(b->kind), fl / 1e6, by / 1e6, t * 1e6, fl / t / 1e12,
             by / t / 1e9, ideal * 1e6, 100 * ideal / t);
      if (jf)
        fprintf(jf,
                "{\"batch\":%d,\"block\":\"%s\",\"flops\":%.0f,\"bytes\":%.0f,\"time_us\":%.2f,"
                "\"eff\":%.4f}\n",
                got, b->name, fl, by, t * 1e6, ideal / t);
    }
    printf("%-14s %-7s %10s %10s %9.1f %8s %8s %9.1f %6.1f\n", "total", "", "", "", sum_t * 1e6, "",
           "", sum_i * 1e6, 100 * sum_i / sum_t);
  }
  static char plan[16384];
  printf("\n");
  for (int k = nbatch - 1; k >= 0; k--) { /* the last listed batch first */
    cuda_backend_describe(be.self, batches[k], plan, sizeof plan);
    printf("plans at batch %d:\n%s", batches[k], plan);
  }
  if (jf) fclose(jf);
  close_cuda(&prof);
  close_cuda(&be);
  model_net_free(&net);
  free(images), free(logits), free(lat), free(bt);
  return 0;
}
