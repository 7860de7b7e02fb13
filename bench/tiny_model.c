/* Writes a tiny model repository for measuring the serving path alone: the
 * same 224x224x3 uint8 input as EfficientNet-B0, but a stem (3x3, stride 4,
 * 8 channels) and a head (pool -> FC to CLASSES classes) only, about 1 MFLOP
 * per image, so that HTTP, decoding, batching and answering are what a load
 * test sees. CLASSES defaults to EfficientNet-B0's 1000, so a response is as
 * large as the real model's. Weights are random (fixed seed): the numbers it
 * returns mean nothing.
 *
 * Usage: tiny_model OUT_DIR [CLASSES] */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "model/safetensors.h"

static void fill(float *x, int n, unsigned *s) {
  for (int i = 0; i < n; i++) {
    *s = *s * 1664525u + 1013904223u;
    x[i] = ((float)(*s >> 8) / 16777216.0f - 0.5f) * 0.2f;
  }
}

int main(int argc, char **argv) {
  char *end = NULL;
  long classes = argc == 3 ? strtol(argv[2], &end, 10) : 1000;
  if (argc < 2 || argc > 3 || (end && *end) || classes < 1 || classes > 100000) {
    fprintf(stderr, "usage: tiny_model OUT_DIR [CLASSES (1..100000, default 1000)]\n");
    return 2;
  }
  const int C = (int)classes;
  const char *dir = argv[1];
  mkdir(dir, 0755);
  char path[4096];
  static float conv_w[3 * 3 * 3 * 8], conv_b[8];
  float *fc_w = malloc(sizeof(float) * 8 * (size_t)C), *fc_b = malloc(sizeof(float) * (size_t)C);
  if (!fc_w || !fc_b) return 1;
  unsigned seed = 12345;
  fill(conv_w, 216, &seed), fill(conv_b, 8, &seed), fill(fc_w, 8 * C, &seed), fill(fc_b, C, &seed);
  const char *names[] = {"stem.conv.weight", "stem.conv.bias", "head.fc.weight", "head.fc.bias"};
  int nd[] = {4, 1, 2, 1};
  int64_t shapes[4][4] = {{3, 3, 3, 8}, {8}, {8, C}, {C}};
  const float *data[] = {conv_w, conv_b, fc_w, fc_b};
  char err[256];
  snprintf(path, sizeof path, "%s/model.safetensors", dir);
  int rc =
      safetensors_write_f32(path, 4, names, nd, (const int64_t(*)[4])shapes, data, err, sizeof err);
  free(fc_w);
  free(fc_b);
  if (rc) {
    fprintf(stderr, "tiny_model: %s\n", err);
    return 1;
  }
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) return 1;
  fprintf(f,
          "{\"format_version\": 1, \"name\": \"tiny\", \"architecture\": \"tiny\",\n"
          " \"input\": {\"height\": 224, \"width\": 224, \"channels\": 3},\n"
          " \"preprocessing\": {\"resize_shorter\": 256, \"mean\": [128, 128, 128],"
          " \"std\": [64, 64, 64]},\n"
          " \"padding\": \"same\", \"max_batch_size\": 64, \"num_classes\": %d,\n"
          " \"blocks\": [\n"
          "  {\"name\": \"stem\", \"kind\": \"stem\", \"kernel\": 3, \"stride\": 4, \"out\": 8,"
          " \"act\": \"relu\"},\n"
          "  {\"name\": \"head\", \"kind\": \"head\"}\n ]}\n",
          C);
  if (fclose(f) != 0) return 1;
  snprintf(path, sizeof path, "%s/labels.txt", dir);
  f = fopen(path, "w");
  if (!f) return 1;
  for (int i = 0; i < C; i++) fprintf(f, "class %d\n", i);
  return fclose(f) == 0 ? 0 : 1;
}
