/* blockfuse: one binary, several subcommands. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/cli.h"
#include "server/loadgen.h"
#include "model/backend.h"
#include "server/serve.h"
#include "server/version.h"

typedef struct {
  const char *name;
  int (*main)(int argc, char **argv);
  const char *help;
} subcommand;

static const subcommand subcommands[] = {
    {"classify", cli_classify_main, "classify image files and print the top-k labels"},
    {"bench", cli_bench_main, "time the forward pass and print the per-block roofline table"},
    {"serve", serve_main, "run the inference daemon (HTTP: /v1 classify, KServe v2, /metrics)"},
    {"loadgen", loadgen_main, "load-test a /v1 or KServe v2 server (latency percentiles)"},
};

static void usage(FILE *f) {
  fprintf(f,
          "usage: blockfuse COMMAND [options]   (blockfuse COMMAND --help for more)\n"
          "       blockfuse --version\n\n");
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    fprintf(f, "  %-10s %s\n", subcommands[i].name, subcommands[i].help);
}

/* `blockfuse --version`: the release and what this binary can run on here. */
static int version(void) {
  printf("blockfuse %s\n", BLOCKFUSE_VERSION);
  printf("backends: cpu (%ld cores online)", sysconf(_SC_NPROCESSORS_ONLN));
  if (model_cuda_backend.run)
    printf(", cuda (built in; %d GPU(s) visible)\n", model_backend_devices("cuda", NULL));
  else
    printf("; cuda not built in (no CUDA toolkit at build time)\n");
  return 0;
}

int main(int argc, char **argv) {
  /* Under `bazel run`, relative paths are the user's, not the runfiles'. */
  const char *wd = getenv("BUILD_WORKING_DIRECTORY");
  if (wd && chdir(wd) != 0) fprintf(stderr, "blockfuse: cannot enter %s\n", wd);
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) return version();
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    if (strcmp(argv[1], subcommands[i].name) == 0) return subcommands[i].main(argc - 1, argv + 1);
  fprintf(stderr, "blockfuse: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return 2;
}
