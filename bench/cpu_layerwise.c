/* Baseline for the CPU backend: EfficientNet-B0 run layer by layer with the
 * same kernels (model/cpu_layers.h), every intermediate written out in full,
 * against the block-fused backend, both on one thread and on fresh random
 * images. The difference is what fusion buys on a CPU.
 *
 * Usage: cpu_layerwise MODEL_DIR [iters]   (bench/cpu_bench.sh runs it) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/backend.h"
#include "model/cpu_layers.h"
#include "model/timing.h"

/* One MBConv block, layer by layer: expand, depthwise, SE, project, add. */
static int mbconv_layerwise(const model_block *b, const float *in, float *mid, float *mid2,
                            float *out, char *err, size_t errlen) {
  size_t hw_in = (size_t)b->in_h * b->in_w, hw = (size_t)b->out_h * b->out_w;
  const float *x = in;
  if (b->expand_w.data) {
    int rc = cpu_pointwise(in, hw_in, b->in_c, b->expand_w.data, b->expand_b.data, b->mid_c,
                           b->act, mid, err, errlen);
    if (rc) return rc;
    x = mid;
  }
  cpu_depthwise(x, b->in_h, b->in_w, b->mid_c, b->kernel, b->stride, b->pad_t, b->pad_l, b->out_h,
                b->out_w, b->dw_w.data, b->dw_b.data, b->act, mid2);
  if (b->se_c) {
    float pooled[4096], red[512], gate[4096];
    for (int c = 0; c < b->mid_c; c++) pooled[c] = 0;
    for (size_t p = 0; p < hw; p++)
      for (int c = 0; c < b->mid_c; c++) pooled[c] += mid2[p * b->mid_c + c];
    for (int c = 0; c < b->mid_c; c++) pooled[c] /= (float)hw;
    int rc = cpu_pointwise(pooled, 1, b->mid_c, b->se_reduce_w.data, b->se_reduce_b.data, b->se_c,
                           b->se_act, red, err, errlen);
    if (!rc)
      rc = cpu_pointwise(red, 1, b->se_c, b->se_expand_w.data, b->se_expand_b.data, b->mid_c,
                         MODEL_ACT_SIGMOID, gate, err, errlen);
    if (rc) return rc;
    for (size_t p = 0; p < hw; p++)
      for (int c = 0; c < b->mid_c; c++) mid2[p * b->mid_c + c] *= gate[c];
  }
  int rc = cpu_pointwise(mid2, hw, b->mid_c, b->project_w.data, b->project_b.data, b->out_c,
                         MODEL_ACT_NONE, out, err, errlen);
  if (rc == 0 && b->residual)
    for (size_t i = 0; i < hw * b->out_c; i++) out[i] += in[i];
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: cpu_layerwise MODEL_DIR [iters]\n");
    return 2;
  }
  int iters = argc > 2 ? atoi(argv[2]) : 20;
  if (iters < 1) iters = 1;
  char err[512];
  model_net net;
  if (model_net_load(argv[1], &net, err, sizeof err)) {
    fprintf(stderr, "cpu_layerwise: %s\n", err);
    return 1;
  }
  size_t maxact = 0;
  for (int i = 0; i < net.n_blocks; i++) {
    const model_block *b = &net.blocks[i];
    size_t a = (size_t)b->in_h * b->in_w * (b->mid_c > b->in_c ? b->mid_c : b->in_c);
    size_t o = (size_t)b->out_h * b->out_w * (b->out_c > b->mid_c ? b->out_c : b->mid_c);
    maxact = a > maxact ? a : maxact;
    maxact = o > maxact ? o : maxact;
    if (b->kind == MODEL_BLOCK_MBCONV && (b->mid_c > 4096 || b->se_c > 512)) {
      fprintf(stderr, "cpu_layerwise: block %s too wide for this baseline\n", b->name);
      return 1;
    }
  }
  float *a = malloc(maxact * 4), *bb = malloc(maxact * 4), *m1 = malloc(maxact * 4),
        *m2 = malloc(maxact * 4), *logits = malloc((size_t)net.num_classes * 4);
  size_t px = (size_t)net.in_h * net.in_w * 3;
  uint8_t *img = malloc(px);
  if (!a || !bb || !m1 || !m2 || !logits || !img) return 1;
  uint64_t s = (uint64_t)time(NULL) | 1;
  for (size_t i = 0; i < px; i++) s ^= s << 13, s ^= s >> 7, s ^= s << 17, img[i] = (uint8_t)s;

  double best_lw = 1e9;
  for (int it = 0; it < iters; it++) {
    double t0 = bf_now_s();
    float *cur = a, *nxt = bb;
    int rc = cpu_block_forward(&net.blocks[0], net.mean, net.std, img, 1, cur, 1, 0, err, sizeof err);
    for (int i = 1; rc == 0 && i < net.n_blocks - 1; i++) {
      rc = mbconv_layerwise(&net.blocks[i], cur, m1, m2, nxt, err, sizeof err);
      float *t = cur;
      cur = nxt, nxt = t;
    }
    /* Head: 1x1 conv to 1280 written out in full, then pool and FC. */
    const model_block *h = &net.blocks[net.n_blocks - 1];
    size_t hw = (size_t)h->in_h * h->in_w;
    if (rc == 0)
      rc = cpu_pointwise(cur, hw, h->in_c, h->expand_w.data, h->expand_b.data, h->mid_c, h->act, m1,
                         err, sizeof err);
    for (int c = 0; rc == 0 && c < h->mid_c; c++) {
      float sum = 0;
      for (size_t p = 0; p < hw; p++) sum += m1[p * h->mid_c + c];
      m2[c] = sum / (float)hw;
    }
    if (rc == 0)
      rc = cpu_pointwise(m2, 1, h->mid_c, h->fc_w.data, h->fc_b.data, net.num_classes,
                         MODEL_ACT_NONE, logits, err, sizeof err);
    if (rc) {
      fprintf(stderr, "cpu_layerwise: %s\n", err);
      return 1;
    }
    double t = bf_now_s() - t0;
    best_lw = t < best_lw ? t : best_lw;
  }
  /* The fused backend on the same image, one thread, for the same count. */
  model_backend be;
  model_backend_config cfg = {.threads = 1, .max_batch = 1};
  if (model_backend_open(&be, "cpu", &net, &cfg, err, sizeof err)) {
    fprintf(stderr, "cpu_layerwise: %s\n", err);
    return 1;
  }
  float *fused = malloc((size_t)net.num_classes * 4);
  double best_f = 1e9;
  for (int it = 0; it < iters && fused; it++) {
    double t0 = bf_now_s();
    if (be.ops->run(be.self, img, 1, fused, err, sizeof err)) {
      fprintf(stderr, "cpu_layerwise: %s\n", err);
      return 1;
    }
    double t = bf_now_s() - t0;
    best_f = t < best_f ? t : best_f;
  }
  double num = 0, den = 0;
  for (int i = 0; i < net.num_classes; i++) {
    double d = logits[i] - fused[i];
    num += d * d, den += (double)fused[i] * fused[i];
  }
  printf("EfficientNet-B0, batch 1, 1 thread, best of %d\n", iters);
  printf("  layer by layer (same kernels, intermediates in DRAM): %7.2f ms\n", best_lw * 1e3);
  printf("  block-fused cpu backend:                              %7.2f ms  (%.2fx)\n",
         best_f * 1e3, best_lw / best_f);
  printf("  logits agree: rel err %.2e\n", den > 0 ? __builtin_sqrt(num / den) : 0.0);
  model_backend_close(&be);
  model_net_free(&net);
  free(a), free(bb), free(m1), free(m2), free(logits), free(img), free(fused);
  return 0;
}
