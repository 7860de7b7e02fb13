/* `blockfuse serve` configuration: one table of options with defaults, set
 * from (lowest to highest precedence) the defaults, a config file
 * (--config PATH or $BLOCKFUSE_CONFIG; `name = value` lines, # comments),
 * environment variables (BLOCKFUSE_<NAME>, dashes as underscores) and
 * command-line flags (--name value or --name=value). */
#ifndef BLOCKFUSE_SERVER_SERVE_CONFIG_H
#define BLOCKFUSE_SERVER_SERVE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
  char host[64];
  int port;
  char port_file[1024];
  char model[1024];
  char backend[16];
  char gpus[128];
  int executors;
  int threads;
  int max_batch_size;
  int64_t max_queue_delay_us;
  char preferred_batch_sizes[128];
  int max_queue_size;
  int64_t default_timeout_us;
  int64_t max_body_bytes;
  int max_connections;
  int idle_timeout_s;
  int64_t max_image_pixels;
  int grace_period_s;
  int decode_threads;
  int http_threads;
  int warmup_batch;
  int profile_every;
  int unhealthy_after_failures;
  int access_log;
  int check;
  double peak_flops;
  double peak_bw;
  int top_k;
  char log_format[8];
  char log_level[8];
  char config[1024];
  int help;
} serve_config;

/* Fills c from defaults, file, environment and argv (argv[0] is "serve").
 * Returns 0, or -EINVAL with a message (unknown option, bad value, file
 * unreadable). c->help is set by --help/-h. */
int serve_config_load(serve_config *c, int argc, char **argv, char *err, size_t errlen);

/* Prints every option with its default and help text. */
void serve_config_usage(FILE *f);

/* Writes the effective configuration as `name=value` pairs separated by
 * spaces, for the startup log line. */
void serve_config_describe(const serve_config *c, char *out, size_t cap);

#endif
