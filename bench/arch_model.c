/* Random-weight ConvNeXt and ConvFirst model repositories (arch_model.h). */
#define _POSIX_C_SOURCE 200809L
#include "bench/arch_model.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/safetensors.h"

const char *const arch_model_names[] = {"convnext_tiny", "convnext_test", "convfirst_small",
                                        "convfirst_test", NULL};

typedef struct {
  const char *name;
  int convnext; /* else ConvFirst */
  int input, classes, stages;
  int depth[4], width[4];
} arch_spec;

static const arch_spec kSpecs[] = {
    {"convnext_tiny", 1, 224, 1000, 4, {3, 3, 9, 3}, {96, 192, 384, 768}},
    {"convnext_test", 1, 64, 10, 2, {1, 2}, {40, 72}},
    {"convfirst_small", 0, 224, 1000, 4, {2, 2, 6, 2}, {64, 128, 256, 512}},
    {"convfirst_test", 0, 64, 10, 2, {2, 1}, {32, 48}},
};

#define MAX_T 512

/* The tensors and the config being written. */
typedef struct {
  char *names[MAX_T];
  int nd[MAX_T];
  int64_t shapes[MAX_T][4];
  float *data[MAX_T];
  int n;
  uint32_t seed;
  FILE *cfg;
  int first_block;
} writer;

/* A tensor of uniform values in [lo, hi). */
static int add(writer *w, const char *block, const char *slot, int nd, const int64_t *shape,
               float lo, float hi) {
  if (w->n >= MAX_T) return -1;
  size_t n = 1;
  for (int i = 0; i < nd; i++) n *= (size_t)shape[i], w->shapes[w->n][i] = shape[i];
  float *d = malloc(n * sizeof *d);
  char *name = malloc(strlen(block) + strlen(slot) + 2);
  if (!d || !name) {
    free(d), free(name);
    return -1;
  }
  sprintf(name, "%s.%s", block, slot);
  for (size_t i = 0; i < n; i++) {
    w->seed = w->seed * 1664525u + 1013904223u;
    d[i] = lo + (hi - lo) * (float)(w->seed >> 8) / 16777216.0f;
  }
  w->names[w->n] = name, w->nd[w->n] = nd, w->data[w->n] = d;
  w->n++;
  return 0;
}

/* Weights of fan-in f: uniform with the variance of 2 / f (He). */
static float he(int f) {
  return sqrtf(6.0f / (float)f);
}

static void block_json(writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void block_json(writer *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(w->cfg, "%s\n  ", w->first_block ? "" : ",");
  vfprintf(w->cfg, fmt, ap);
  va_end(ap);
  w->first_block = 0;
}

static int write_net(writer *w, const arch_spec *a) {
  int rc = 0, c = a->width[0];
  char nm[48];
  if (a->convnext) { /* 4x4 stride-4 conv -> LayerNorm */
    block_json(w,
               "{\"name\": \"stem\", \"kind\": \"stem\", \"kernel\": 4, \"stride\": 4, "
               "\"out\": %d, \"act\": \"none\"}",
               c);
    rc |= add(w, "stem", "conv.weight", 4, (int64_t[]){4, 4, 3, c}, -he(48), he(48));
    rc |= add(w, "stem", "conv.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
    rc |= add(w, "stem", "norm.weight", 1, (int64_t[]){c}, 0.5f, 1.5f);
    rc |= add(w, "stem", "norm.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
  } else {
    block_json(w,
               "{\"name\": \"stem\", \"kind\": \"stem\", \"kernel\": 3, \"stride\": 4, "
               "\"out\": %d, \"act\": \"relu\"}",
               c);
    rc |= add(w, "stem", "conv.weight", 4, (int64_t[]){3, 3, 3, c}, -he(27), he(27));
    rc |= add(w, "stem", "conv.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
  }
  for (int s = 0; s < a->stages; s++) {
    const int d = a->width[s];
    if (s > 0 && a->convnext) { /* LayerNorm -> 2x2 stride-2 conv */
      snprintf(nm, sizeof nm, "stage%d.down", s);
      block_json(w,
                 "{\"name\": \"%s\", \"kind\": \"downsample\", \"kernel\": 2, \"stride\": 2, "
                 "\"out\": %d}",
                 nm, d);
      rc |= add(w, nm, "norm.weight", 1, (int64_t[]){c}, 0.5f, 1.5f);
      rc |= add(w, nm, "norm.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
      rc |= add(w, nm, "conv.weight", 4, (int64_t[]){2, 2, c, d}, -he(4 * c), he(4 * c));
      rc |= add(w, nm, "conv.bias", 1, (int64_t[]){d}, -0.1f, 0.1f);
      c = d;
    }
    for (int b = 0; b < a->depth[s]; b++) {
      snprintf(nm, sizeof nm, "stage%d.block%d", s, b);
      if (a->convnext) {
        block_json(w,
                   "{\"name\": \"%s\", \"kind\": \"convnext\", \"kernel\": 7, \"mid\": %d, "
                   "\"act\": \"gelu\"}",
                   nm, 4 * c);
        rc |= add(w, nm, "dw.weight", 3, (int64_t[]){7, 7, c}, -he(49), he(49));
        rc |= add(w, nm, "dw.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
        rc |= add(w, nm, "norm.weight", 1, (int64_t[]){c}, 0.5f, 1.5f);
        rc |= add(w, nm, "norm.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
        rc |= add(w, nm, "layer_scale", 1, (int64_t[]){c}, 0.05f, 0.3f);
      } else { /* the first block of a later stage halves the size and widens */
        const int stride = s > 0 && b == 0 ? 2 : 1, out = d, g = c / 8;
        block_json(w,
                   "{\"name\": \"%s\", \"kind\": \"convfirst\", \"kernel\": 3, \"stride\": %d, "
                   "\"group_width\": 8, \"mid\": %d, \"out\": %d, \"act\": \"relu\"}",
                   nm, stride, 4 * c, out);
        rc |= add(w, nm, "conv.weight", 4, (int64_t[]){3, 3, c / g, c}, -he(9 * 8), he(9 * 8));
        rc |= add(w, nm, "conv.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
        /* the projection of a residual block scaled down, as the ConvNeXt layer scale does */
        rc |= add(w, nm, "expand.weight", 2, (int64_t[]){c, 4 * c}, -he(c), he(c));
        rc |= add(w, nm, "expand.bias", 1, (int64_t[]){4 * c}, -0.1f, 0.1f);
        const float ps = stride == 1 && out == c ? 0.3f : 1.f;
        rc |= add(w, nm, "project.weight", 2, (int64_t[]){4 * c, out}, -ps * he(4 * c),
                  ps * he(4 * c));
        rc |= add(w, nm, "project.bias", 1, (int64_t[]){out}, -0.1f, 0.1f);
        c = out;
        continue;
      }
      rc |= add(w, nm, "expand.weight", 2, (int64_t[]){c, 4 * c}, -he(c), he(c));
      rc |= add(w, nm, "expand.bias", 1, (int64_t[]){4 * c}, -0.1f, 0.1f);
      rc |= add(w, nm, "project.weight", 2, (int64_t[]){4 * c, c}, -he(4 * c), he(4 * c));
      rc |= add(w, nm, "project.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
    }
  }
  block_json(w, "{\"name\": \"head\", \"kind\": \"head\"}");
  if (a->convnext) {
    rc |= add(w, "head", "norm.weight", 1, (int64_t[]){c}, 0.5f, 1.5f);
    rc |= add(w, "head", "norm.bias", 1, (int64_t[]){c}, -0.1f, 0.1f);
  }
  rc |= add(w, "head", "fc.weight", 2, (int64_t[]){c, a->classes}, -he(c), he(c));
  rc |= add(w, "head", "fc.bias", 1, (int64_t[]){a->classes}, -0.1f, 0.1f);
  return rc;
}

int arch_model_write(const char *dir, const char *arch, char *err, size_t errlen) {
  const arch_spec *a = NULL;
  for (size_t i = 0; i < sizeof kSpecs / sizeof kSpecs[0]; i++)
    if (!strcmp(kSpecs[i].name, arch)) a = &kSpecs[i];
  if (!a) {
    snprintf(err, errlen, "unknown architecture '%s'", arch);
    return -1;
  }
  if (mkdir(dir, 0755) && errno != EEXIST) {
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    return -1;
  }
  char path[4096];
  writer w = {.seed = 20261128u, .first_block = 1};
  snprintf(path, sizeof path, "%s/config.json", dir);
  w.cfg = fopen(path, "w");
  if (!w.cfg) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  fprintf(w.cfg,
          "{\"format_version\": 1, \"name\": \"%s\", \"architecture\": \"%s\",\n"
          " \"source\": \"bench/arch_model.c: random weights\",\n"
          " \"input\": {\"height\": %d, \"width\": %d, \"channels\": 3},\n"
          " \"preprocessing\": {\"resize_shorter\": %d, \"mean\": [123.675, 116.28, 103.53],"
          " \"std\": [58.395, 57.12, 57.375]},\n"
          " \"padding\": \"%s\", \"max_batch_size\": 256, \"num_classes\": %d,\n"
          " \"blocks\": [",
          a->name, a->convnext ? "convnext" : "convfirst", a->input, a->input, a->input,
          a->convnext ? "same" : "symmetric", a->classes);
  int rc = write_net(&w, a);
  fprintf(w.cfg, "\n ]}\n");
  if (fclose(w.cfg) != 0) rc = -1;
  if (rc) snprintf(err, errlen, "out of memory or tensors writing %s", path);
  if (!rc) {
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    rc = safetensors_write_f32(path, w.n, (const char *const *)w.names, w.nd,
                               (const int64_t(*)[4])w.shapes, (const float *const *)w.data, err,
                               errlen)
             ? -1
             : 0;
  }
  for (int i = 0; i < w.n; i++) free(w.names[i]), free(w.data[i]);
  if (rc) return rc;
  snprintf(path, sizeof path, "%s/labels.txt", dir);
  FILE *f = fopen(path, "w");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  for (int i = 0; i < a->classes; i++) fprintf(f, "class %d\n", i);
  if (fclose(f) != 0) {
    snprintf(err, errlen, "%s: write failed", path);
    return -1;
  }
  return 0;
}
