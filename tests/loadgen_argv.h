/* Test helper shared by the loadgen tests: runs loadgen_parse_args() on a
 * NULL-terminated argument list (argv[0] = "loadgen"), help text discarded. */
#ifndef BLOCKFUSE_TESTS_LOADGEN_ARGV_H
#define BLOCKFUSE_TESTS_LOADGEN_ARGV_H

#include "server/loadgen.h"

/* err must hold 256 bytes. Returns loadgen_parse_args()'s result. */
int loadgen_test_parse(loadgen_config *cfg, char *err, ...);

#endif
