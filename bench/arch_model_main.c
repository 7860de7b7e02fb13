/* Writes a random-weight model repository of a ConvNeXt or ConvFirst
 * network (bench/arch_model.h), for timing the backends on those blocks.
 *
 * Usage: arch_model ARCH OUT_DIR */
#include <stdio.h>
#include <string.h>

#include "bench/arch_model.h"

int main(int argc, char **argv) {
  if (argc != 3 || !strcmp(argv[1], "--help")) {
    fprintf(stderr, "usage: arch_model ARCH OUT_DIR\n  ARCH:");
    for (int i = 0; arch_model_names[i]; i++) fprintf(stderr, " %s", arch_model_names[i]);
    fprintf(stderr, "\n");
    return argc == 2 && !strcmp(argv[1], "--help") ? 0 : 2;
  }
  char err[512];
  if (arch_model_write(argv[2], argv[1], err, sizeof err)) {
    fprintf(stderr, "arch_model: %s\n", err);
    return 1;
  }
  return 0;
}
