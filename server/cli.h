/* The blockfuse command-line subcommands that run a model in-process, and
 * what they share with the daemon: finding the default model. */
#ifndef BLOCKFUSE_SERVER_CLI_H
#define BLOCKFUSE_SERVER_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "model/backend.h"

#define CLI_DEFAULT_MODEL "efficientnet_b0"
/* --threads above this is refused at parse time (the CPU pool's limit). */
#define CLI_MAX_THREADS 256
/* --device, --iters, --warmup and --batch above these are refused. */
#define CLI_MAX_DEVICE 1023
#define CLI_MAX_COUNT (1 << 20)

/* Finds the default model repository: $BLOCKFUSE_MODEL_DIR, then the Bazel
 * runfiles of this binary, then <prefix>/share/blockfuse/models and
 * /usr/share/blockfuse/models. Returns 0 with the path in out, or -ENOENT
 * with a message naming the places looked at. */
int cli_default_model_dir(char *out, size_t len, char *err, size_t errlen);

/* Loads the model at model_dir (NULL: the default model) and opens backend
 * `name` on it for batches of up to cfg->max_batch. On failure prints
 * "blockfuse <cmd>: ..." to stderr, releases everything and returns the exit
 * status (2 for a batch the model does not allow, 1 otherwise); 0 on success,
 * after which the caller closes be and frees net. */
int cli_open_model(const char *cmd, const char *model_dir, const char *name,
                   const model_backend_config *cfg, model_net *net, model_backend *be);

/* One classification: the top-k of a softmax over logits. */
typedef struct {
  int index;
  float score;
} cli_class;

/* Softmax over n logits (in place, numerically stable). */
void cli_softmax(float *x, int n);
/* The k best of n scores, best first. k is clamped to n; returns k. */
int cli_top_k(const float *scores, int n, int k, cli_class *out);

/* Option values, whole-string and range-checked (cli_args.c). Each prints
 * "blockfuse <cmd>: <opt>: ..." to stderr and returns -1 for text that is not
 * a number, has trailing characters, overflows, or lies outside [min, max];
 * 0 with *out set otherwise. The caller exits 2 (usage error). */
int cli_parse_int(const char *cmd, const char *opt, const char *s, int min, int max, int *out);
int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out);
/* A finite double > 0. */
int cli_parse_positive(const char *cmd, const char *opt, const char *s, double *out);

/* For getopt_long run with opterr = 0 and an optstring starting with ':':
 * prints "blockfuse <cmd>: ..." for what it returned as c (':' for a missing
 * value, '?' for an unknown, ambiguous or value-less option given a value),
 * so that messages carry the full command name rather than argv[0]. */
void cli_option_error(const char *cmd, const struct option *opts, int c, char **argv);

int cli_classify_main(int argc, char **argv);
int cli_bench_main(int argc, char **argv);

#endif
