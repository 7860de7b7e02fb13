#include "tests/loadgen_argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int loadgen_test_parse(loadgen_config *cfg, char *err, ...) {
  char *argv[64];
  int argc = 0;
  argv[argc++] = "loadgen";
  va_list ap;
  va_start(ap, err);
  for (char *a; (a = va_arg(ap, char *)) && argc < 63;) argv[argc++] = a;
  va_end(ap);
  FILE *devnull = fopen("/dev/null", "w");
  if (!devnull) abort();
  int rc = loadgen_parse_args(argc, argv, cfg, devnull, err, 256);
  fclose(devnull);
  return rc;
}
