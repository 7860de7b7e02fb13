/* `blockfuse bench`: throughput and latency of a backend on fresh random
 * images, with the per-block roofline table (FLOPs, minimum bytes, time,
 * achieved rates, efficiency = ideal time / measured time). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/cli.h"
#include "model/timing.h"

static void bench_usage(FILE *f) {
  fprintf(f,
          "usage: blockfuse bench [options]\n"
          "Times the forward pass on random uint8 images (the cuda backend: also the\n"
          "device's own time a batch, without the host's copy of the images).\n"
          "  --model DIR      model repository (default: the built-in %s)\n"
          "  --backend NAME   cpu, cuda or auto (default auto)\n"
          "  --batch N        images per run, up to the model's max_batch_size (default 1)\n"
          "  --iters N        timed runs (default 50)\n"
          "  --warmup N       untimed runs first (default 5)\n"
          "  --threads N      CPU threads, 0 to 256: the cpu backend's, or the cuda backend's\n"
          "                   copy of a batch of 4 MB or more into its pinned memory\n"
          "                   (default 0: all cores; for the copy at most 8)\n"
          "  --device N       GPU ordinal (default 0)\n"
          "  --per-block      print the per-block roofline table, from one profiled run after\n"
          "                   the timed ones (default on)\n"
          "  --no-per-block   skip it\n"
          "  --plans          print how the backend runs the batch (the cuda backend's launch\n"
          "                   plans per block: kernels, tiles, the image copy's pieces)\n"
          "  --peak-flops X   override the measured peak FLOP/s\n"
          "  --peak-bw X      override the measured peak bytes/s\n"
          "  -h, --help       this text\n",
          CLI_DEFAULT_MODEL);
}

static double percentile(const double *sorted, int n, double p) {
  int i = (int)(p * (n - 1) + 0.5);
  return sorted[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* Fills buf with fresh pseudo-random bytes (xorshift seeded from the clock). */
static void fill_random(uint8_t *buf, size_t n, uint64_t *state) {
  for (size_t i = 0; i < n; i++) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    buf[i] = (uint8_t)(*state >> 24);
  }
}

/* Prints the roofline table from a profiled run of `be`. */
static void print_blocks(const model_backend *be, const double *t, int batch) {
  const model_net *net = be->net;
  double pf = 0, pb = 0;
  be->ops->peaks(be->self, &pf, &pb);
  printf("\nper-block roofline (batch %d; peaks %.1f GFLOP/s, %.1f GB/s; %s backend)\n", batch,
         pf / 1e9, pb / 1e9, be->ops->name);
  printf("%-15s %-10s %9s %9s %9s %9s %8s %6s\n", "block", "kind", "MFLOP", "min MB", "time ms",
         "GFLOP/s", "GB/s", "eff %");
  double tf = 0, tb = 0, tt = 0, ti = 0;
  for (int i = 0; i < net->n_blocks; i++) {
    const model_block *b = &net->blocks[i];
    double f = model_block_flops(b, batch);
    double by = model_block_min_bytes(b, batch, be->ops->act_bytes, be->ops->w_bytes);
    double ideal = model_roofline_seconds(f, by, pf, pb);
    printf("%-15s %-10s %9.1f %9.2f %9.3f %9.1f %8.1f %6.1f\n", b->name,
           model_block_kind_name(b->kind), f / 1e6, by / 1e6, t[i] * 1e3, f / t[i] / 1e9,
           by / t[i] / 1e9, 100 * ideal / t[i]);
    tf += f, tb += by, tt += t[i], ti += ideal;
  }
  printf("%-15s %-10s %9.1f %9.2f %9.3f %9.1f %8.1f %6.1f\n", "total", "", tf / 1e6, tb / 1e6,
         tt * 1e3, tf / tt / 1e9, tb / tt / 1e9, 100 * ti / tt);
}

/* Prints how `be` runs a batch of n (model_backend_ops.describe). */
static void print_plans(const model_backend *be, int n) {
  if (!be->ops->describe) {
    printf("\n(the %s backend has no launch plans)\n", be->ops->name);
    return;
  }
  size_t len = 1 << 15;
  char *buf = malloc(len);
  int w = buf ? be->ops->describe(be->self, n, buf, len) : -1;
  if (w >= (int)len) { /* more lines than the first guess: once more, at the size it needs */
    char *more = realloc(buf, (size_t)w + 1);
    w = more ? be->ops->describe(be->self, n, more, (size_t)w + 1) : -1;
    buf = more ? more : buf;
  }
  if (w < 0)
    printf("\n(launch plans: out of memory)\n");
  else
    printf("\nlaunch plans at batch %d (%s backend):\n%s", n, be->ops->name, buf);
  free(buf);
}

int cli_bench_main(int argc, char **argv) {
  static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                       {"backend", required_argument, 0, 'b'},
                                       {"batch", required_argument, 0, 'n'},
                                       {"iters", required_argument, 0, 'i'},
                                       {"warmup", required_argument, 0, 'w'},
                                       {"threads", required_argument, 0, 't'},
                                       {"device", required_argument, 0, 'd'},
                                       {"per-block", no_argument, 0, 'P'},
                                       {"no-per-block", no_argument, 0, 'N'},
                                       {"plans", no_argument, 0, 'L'},
                                       {"peak-flops", required_argument, 0, 'F'},
                                       {"peak-bw", required_argument, 0, 'B'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *model_dir = NULL, *backend_name = "auto";
  int batch = 1, iters = 50, warmup = 5, per_block = 1, plans = 0, c;
  model_backend_config cfg = {0};
  optind = 1;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    int bad = 0;
    switch (c) {
      case 'm':
        model_dir = optarg;
        break;
      case 'b':
        backend_name = optarg;
        break;
      case 'n':
        bad = cli_parse_int("bench", "--batch", optarg, 1, CLI_MAX_COUNT, &batch);
        break;
      case 'i':
        bad = cli_parse_int("bench", "--iters", optarg, 1, CLI_MAX_COUNT, &iters);
        break;
      case 'w':
        bad = cli_parse_int("bench", "--warmup", optarg, 0, CLI_MAX_COUNT, &warmup);
        break;
      case 't':
        bad = cli_parse_int("bench", "--threads", optarg, 0, CLI_MAX_THREADS, &cfg.threads);
        break;
      case 'd':
        bad = cli_parse_int("bench", "--device", optarg, 0, CLI_MAX_DEVICE, &cfg.device);
        break;
      case 'P':
        per_block = 1;
        break;
      case 'N':
        per_block = 0;
        break;
      case 'L':
        plans = 1;
        break;
      case 'F':
        bad = cli_parse_positive("bench", "--peak-flops", optarg, &cfg.peak_flops);
        break;
      case 'B':
        bad = cli_parse_positive("bench", "--peak-bw", optarg, &cfg.peak_bw);
        break;
      case 'h':
        bench_usage(stdout);
        return 0;
      default:
        cli_option_error("bench", opts, c, argv);
        fprintf(stderr, "(blockfuse bench --help lists the options)\n");
        return 2;
    }
    if (bad) return 2;
  }
  if (optind < argc) {
    fprintf(stderr, "blockfuse bench: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }
  cfg.max_batch = batch;
  /* The timed runs are the hot path's: only the run after them is profiled
     (the cuda backend's profiled graph takes the images in one copy and
     records an event per block, so it is slower than the graph it times). */
  cfg.profile_every = per_block ? warmup + iters + 1 : 0;
  model_net net;
  model_backend be;
  int status = cli_open_model("bench", model_dir, backend_name, &cfg, &net, &be);
  if (status) return status;
  char err[1024];
  /* Three input sets rotate so that repeated runs do not just hit the cache. */
  size_t per_img = (size_t)net.in_h * net.in_w * 3;
  uint8_t *imgs = malloc(3 * per_img * (size_t)batch);
  float *logits = malloc((size_t)batch * net.num_classes * sizeof *logits);
  double *lat = malloc((size_t)iters * sizeof *lat);
  int rc = imgs && logits && lat ? 0 : -ENOMEM;
  uint64_t state = (uint64_t)time(NULL) * 2654435761u | 1;
  if (rc == 0) fill_random(imgs, 3 * per_img * (size_t)batch, &state);
  for (int i = 0; rc == 0 && i < warmup; i++)
    rc = be.ops->run(be.self, imgs + (i % 3) * per_img * batch, batch, logits, err, sizeof err);
  double t0 = bf_now_s();
  for (int i = 0; rc == 0 && i < iters; i++) {
    double s = bf_now_s();
    rc = be.ops->run(be.self, imgs + (i % 3) * per_img * batch, batch, logits, err, sizeof err);
    lat[i] = bf_now_s() - s;
  }
  double total = bf_now_s() - t0;
  if (rc == 0 && per_block) /* the profiled run: the per-block table's times */
    rc = be.ops->run(be.self, imgs, batch, logits, err, sizeof err);
  if (rc) {
    fprintf(stderr, "blockfuse bench: run failed: %s\n", rc == -ENOMEM ? "out of memory" : err);
  } else {
    qsort(lat, (size_t)iters, sizeof *lat, bf_cmp_double);
    printf("model %s, backend %s, batch %d, %d iters (+%d warm-up)\n", net.name, be.ops->name,
           batch, iters, warmup);
    printf("throughput %.1f img/s\n", (double)batch * iters / total);
    printf("latency ms: mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  min %.3f  max %.3f\n",
           total / iters * 1e3, percentile(lat, iters, 0.5) * 1e3,
           percentile(lat, iters, 0.9) * 1e3, percentile(lat, iters, 0.99) * 1e3, lat[0] * 1e3,
           lat[iters - 1] * 1e3);
    double dev = 0, kern = 0;
    if (be.ops->device_time &&
        be.ops->device_time(be.self, batch, iters, &dev, &kern, err, sizeof err) != 0)
      printf("(device time not available: %s)\n", err);
    else if (be.ops->device_time)
      printf(
          "device ms a batch: %.3f with the copies in and out, %.3f the kernels alone (the "
          "median of %d graph replays);\n  the rest of a run, %.3f ms, is the host's: the "
          "copy of the images into pinned memory, the call\n",
          dev * 1e3, kern * 1e3, iters, total / iters * 1e3 - dev * 1e3);
    double *bt = calloc((size_t)net.n_blocks, sizeof *bt);
    int pb = 0;
    if (per_block && bt && be.ops->block_times &&
        be.ops->block_times(be.self, bt, net.n_blocks, &pb) == 0)
      print_blocks(&be, bt, pb);
    else if (per_block)
      printf("\n(per-block times not available from the %s backend)\n", be.ops->name);
    free(bt);
    if (plans) print_plans(&be, batch);
  }
  free(imgs);
  free(logits);
  free(lat);
  model_backend_close(&be);
  model_net_free(&net);
  return rc ? 1 : 0;
}
