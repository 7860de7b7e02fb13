/* `blockfuse classify`: the whole pipeline in-process, for one or more files:
 * decode -> resize/crop -> backend -> softmax -> top-k. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cli.h"
#include "server/file_read.h"
#include "server/img.h"

static void classify_usage(FILE *f) {
  fprintf(f,
          "usage: blockfuse classify [options] IMAGE...\n"
          "Classifies JPEG or PNG files and prints the top-k labels with probabilities.\n"
          "  --model DIR      model repository (default: the built-in %s)\n"
          "  --top-k K        how many classes per image (default 5; a K above the\n"
          "                   model's number of classes prints them all)\n"
          "  --backend NAME   cpu, cuda or auto (default auto: cuda if a GPU is usable)\n"
          "  --threads N      CPU backend threads, 0 to 256 (default 0: all cores)\n"
          "  --max-pixels N   refuse images of more pixels (default %u)\n"
          "  --json           print one JSON object per image instead of text\n"
          "  -h, --help       this text\n"
          "Files larger than %zu MiB are refused before they are read.\n",
          CLI_DEFAULT_MODEL, IMG_DEFAULT_MAX_PIXELS, FILE_READ_MAX_IMAGE_BYTES >> 20);
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\')
      printf("\\%c", *s);
    else if ((unsigned char)*s < 0x20)
      printf("\\u%04x", *s);
    else
      putchar(*s);
  }
  putchar('"');
}

int cli_classify_main(int argc, char **argv) {
  static const struct option opts[] = {{"model", required_argument, 0, 'm'},
                                       {"top-k", required_argument, 0, 'k'},
                                       {"backend", required_argument, 0, 'b'},
                                       {"threads", required_argument, 0, 't'},
                                       {"max-pixels", required_argument, 0, 'p'},
                                       {"json", no_argument, 0, 'j'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
  const char *model_dir = NULL, *backend_name = "auto";
  int top_k = 5, threads = 0, json = 0;
  uint64_t max_pixels = IMG_DEFAULT_MAX_PIXELS;
  int c;
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
      case 'j':
        json = 1;
        break;
      case 'k':
        /* Clamped to the model's classes once it is loaded. */
        bad = cli_parse_int("classify", "--top-k", optarg, 1, INT_MAX, &top_k);
        break;
      case 't':
        bad = cli_parse_int("classify", "--threads", optarg, 0, CLI_MAX_THREADS, &threads);
        break;
      case 'p':
        bad = cli_parse_u64("classify", "--max-pixels", optarg, 1, UINT64_MAX, &max_pixels);
        break;
      case 'h':
        classify_usage(stdout);
        return 0;
      default:
        cli_option_error("classify", opts, c, argv);
        fprintf(stderr, "(blockfuse classify --help lists the options)\n");
        return 2;
    }
    if (bad) return 2;
  }
  if (optind >= argc) {
    fprintf(stderr, "blockfuse classify: no IMAGE given\n");
    classify_usage(stderr);
    return 2;
  }
  model_backend_config cfg = {.threads = threads, .max_batch = 1};
  model_net net;
  model_backend be;
  int status = cli_open_model("classify", model_dir, backend_name, &cfg, &net, &be);
  if (status) return status;
  char err[1024];
  if (top_k > net.num_classes) top_k = net.num_classes;
  size_t img_bytes = (size_t)net.in_h * net.in_w * 3;
  uint8_t *pixels = malloc(img_bytes);
  float *logits = malloc((size_t)net.num_classes * sizeof *logits);
  cli_class *top = malloc((size_t)top_k * sizeof *top);
  int failures = 0;
  if (!pixels || !logits || !top) {
    fprintf(stderr, "blockfuse classify: out of memory\n");
    failures = argc;
  }
  for (int i = optind; i < argc && pixels && logits && top; i++) {
    size_t len = 0;
    uint8_t *data = NULL;
    int rc = file_read_all(argv[i], FILE_READ_MAX_IMAGE_BYTES, &data, &len, err, sizeof err);
    const char *what = data ? argv[i] : NULL; /* file_read_all's message names the file */
    if (data) {
      rc = img_prepare(data, len, max_pixels, net.resize_shorter, net.in_w, net.in_h, pixels, err,
                       sizeof err);
      free(data);
    }
    if (rc == 0) {
      rc = be.ops->run(be.self, pixels, 1, logits, err, sizeof err);
      what = rc ? "inference" : what;
    }
    if (rc) {
      fprintf(stderr, "blockfuse classify: %s%s%s\n", what ? what : "", what ? ": " : "", err);
      failures++;
      continue;
    }
    cli_softmax(logits, net.num_classes);
    int k = cli_top_k(logits, net.num_classes, top_k, top);
    if (json) {
      printf("{\"file\":");
      print_json_string(argv[i]);
      printf(",\"model\":\"%s\",\"top_k\":[", net.name);
      for (int j = 0; j < k; j++) {
        printf("%s{\"label\":", j ? "," : "");
        print_json_string(net.labels[top[j].index]);
        printf(",\"index\":%d,\"score\":%.6f}", top[j].index, top[j].score);
      }
      printf("]}\n");
    } else {
      printf("%s\n", argv[i]);
      for (int j = 0; j < k; j++)
        printf("  %.4f  %s (%d)\n", top[j].score, net.labels[top[j].index], top[j].index);
    }
  }
  free(pixels);
  free(logits);
  free(top);
  model_backend_close(&be);
  model_net_free(&net);
  return failures ? 1 : 0;
}
