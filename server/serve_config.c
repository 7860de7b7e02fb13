/* The option table and its three sources. */
#define _GNU_SOURCE
#include "server/serve_config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OPT_INT, OPT_I64, OPT_DBL, OPT_STR } opt_type;

typedef struct {
  const char *name;
  opt_type type;
  size_t off, size;
  const char *def;
  double min, max;
  const char *help;
} opt;

#define F(field) offsetof(serve_config, field), sizeof(((serve_config *)0)->field)

/* Every option, its default and its range: the one place limits live. */
static const opt options[] = {
    {"host", OPT_STR, F(host), "0.0.0.0", 0, 0, "listen address (IPv4 or IPv6 literal)"},
    {"port", OPT_INT, F(port), "8000", 0, 65535, "TCP port; 0 picks an ephemeral port"},
    {"port-file", OPT_STR, F(port_file), "", 0, 0,
     "write the bound port to this file once listening"},
    {"model", OPT_STR, F(model), "", 0, 0,
     "model repository directory; empty = $BLOCKFUSE_MODEL_DIR, else the efficientnet_b0 built "
     "next to the binary"},
    {"backend", OPT_STR, F(backend), "auto", 0, 0,
     "cpu, cuda or auto (cuda where a GPU is visible, else cpu)"},
    {"gpus", OPT_STR, F(gpus), "all", 0, 0,
     "GPUs the cuda backend uses: all, or ordinals like 0,2 (executors are per GPU)"},
    {"executors", OPT_INT, F(executors), "0", 0, 64,
     "executors per device (CPU workers / CUDA streams), each with its own backend instance; "
     "0 = 2 per GPU, 1 on the CPU backend"},
    {"threads", OPT_INT, F(threads), "0", 0, 1024, "CPU threads per executor; 0 = cores/executors"},
    {"max-batch-size", OPT_INT, F(max_batch_size), "32", 0, 1024,
     "largest batch (capped at the model's max_batch; 0 = the model's)"},
    {"max-queue-delay-us", OPT_I64, F(max_queue_delay_us), "0", 0, 60e6,
     "how long a partial batch waits to fill (0 = run what is queued when an executor is free)"},
    {"preferred-batch-sizes", OPT_STR, F(preferred_batch_sizes), "", 0, 0,
     "comma-separated batch sizes dispatched without waiting"},
    {"max-queue-size", OPT_INT, F(max_queue_size), "256", 1, 1 << 20,
     "queued requests before 503 + Retry-After"},
    {"default-timeout-us", OPT_I64, F(default_timeout_us), "30000000", 0, 3600e6,
     "request deadline unless parameters.timeout sets one (0 = none); late requests get 504"},
    {"max-body-bytes", OPT_I64, F(max_body_bytes), "67108864", 1024, 4e9,
     "largest request body; larger gets 413"},
    {"max-connections", OPT_INT, F(max_connections), "1024", 1, 1 << 20,
     "concurrent connections; at the limit accepting stops and more wait in the listen backlog"},
    {"idle-timeout-s", OPT_INT, F(idle_timeout_s), "30", 1, 86400,
     "close a connection idle (or stalled mid-request) this long"},
    {"max-image-pixels", OPT_I64, F(max_image_pixels), "67108864", 1, 1e12,
     "refuse images with more pixels (checked before decoding)"},
    {"grace-period-s", OPT_INT, F(grace_period_s), "30", 0, 3600,
     "on SIGTERM/SIGINT: time for in-flight requests before queued ones are cancelled"},
    {"decode-threads", OPT_INT, F(decode_threads), "0", 0, 1024,
     "libuv threadpool size (body parsing, image decoding, response encoding); 0 = online cores"},
    {"http-threads", OPT_INT, F(http_threads), "0", 0, 64,
     "HTTP event loops, each on its own thread, sharing the port; 0 = one per 4 online cores, "
     "at most 4"},
    {"warmup-batch", OPT_INT, F(warmup_batch), "1", 1, 1024,
     "images in each executor's warm-up batch, run before readiness"},
    {"profile-every", OPT_INT, F(profile_every), "16", 0, 1 << 30,
     "time every block on every Nth batch (0 = never) for the efficiency metrics"},
    {"unhealthy-after-failures", OPT_INT, F(unhealthy_after_failures), "5", 0, 1 << 20,
     "consecutive failed batches (backend errors, e.g. a lost GPU) after which live and ready "
     "report 503 until a batch succeeds; 0 = never"},
    {"peak-flops", OPT_DBL, F(peak_flops), "0", 0, 1e18,
     "override the backend's peak FLOP/s (0 = backend's own)"},
    {"peak-bw", OPT_DBL, F(peak_bw), "0", 0, 1e16,
     "override the backend's peak bytes/s (0 = backend's own)"},
    {"top-k", OPT_INT, F(top_k), "5", 1, 100, "default top_k of /v1 classify"},
    {"access-log", OPT_INT, F(access_log), "0", 0, 1,
     "1 = one info line (event http_access) per finished request: client, method, path, "
     "status, bytes, microseconds"},
    {"log-format", OPT_STR, F(log_format), "text", 0, 0, "text or json"},
    {"log-level", OPT_STR, F(log_level), "info", 0, 0, "debug, info, warn or error"},
    {"config", OPT_STR, F(config), "", 0, 0, "config file of `name = value` lines"},
    {"check", OPT_INT, F(check), "0", 0, 1,
     "1 = check the configuration and the model (load it, resolve the backend and GPUs, the "
     "batch settings), print a summary and exit 0, or 1 with the reason; binds no port"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

/* Finds an option by name; '_' and '-' are interchangeable. */
static const opt *find(const char *name, size_t n) {
  for (size_t i = 0; i < N_OPTIONS; i++) {
    const char *o = options[i].name;
    if (strlen(o) != n) continue;
    size_t k = 0;
    while (k < n && (o[k] == name[k] || (o[k] == '-' && name[k] == '_'))) k++;
    if (k == n) return &options[i];
  }
  return NULL;
}

/* Parses and stores one value; `src` names where it came from. */
static int set(serve_config *c, const opt *o, const char *v, const char *src, char *err,
               size_t errlen) {
  char *base = (char *)c + o->off, *end = NULL;
  errno = 0;
  if (o->type == OPT_STR) {
    if (strlen(v) >= o->size) goto bad;
    memcpy(base, v, strlen(v) + 1);
    return 0;
  }
  double d = strtod(v, &end);
  if (!*v || *end || errno || d < o->min || d > o->max) goto bad;
  if (o->type == OPT_DBL) {
    *(double *)base = d;
    return 0;
  }
  long long ll = strtoll(v, &end, 10);
  if (*end || errno) goto bad;
  if (o->type == OPT_INT)
    *(int *)base = (int)ll;
  else
    *(int64_t *)base = (int64_t)ll;
  return 0;
bad:
  snprintf(err, errlen, "%s: invalid value '%.64s' for %s", src, v, o->name);
  return -EINVAL;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
  return s;
}

/* Applies a `name = value` file. */
static int load_file(serve_config *c, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "cannot read config file %s: %s", path, strerror(errno));
    return -EINVAL;
  }
  char line[2048], src[1100];
  int ln = 0, rc = 0;
  while (rc == 0 && fgets(line, sizeof line, f)) {
    ln++;
    char *h = strchr(line, '#');
    if (h) *h = 0;
    char *s = trim(line);
    if (!*s) continue;
    char *eq = strchr(s, '=');
    snprintf(src, sizeof src, "%s:%d", path, ln);
    if (!eq) {
      snprintf(err, errlen, "%s: expected name = value", src);
      rc = -EINVAL;
      break;
    }
    *eq = 0;
    char *k = trim(s), *v = trim(eq + 1);
    size_t vl = strlen(v);
    if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
      v[vl - 1] = 0;
      v++;
    }
    const opt *o = find(k, strlen(k));
    if (!o || strcmp(o->name, "config") == 0) {
      snprintf(err, errlen, "%s: unknown option '%s'", src, k);
      rc = -EINVAL;
    } else {
      rc = set(c, o, v, src, err, errlen);
    }
  }
  fclose(f);
  return rc;
}

int serve_config_load(serve_config *c, int argc, char **argv, char *err, size_t errlen) {
  memset(c, 0, sizeof *c);
  for (size_t i = 0; i < N_OPTIONS; i++)
    if (set(c, &options[i], options[i].def, "default", err, errlen)) return -EINVAL;
  /* The config file comes first so that env and flags override it. */
  const char *file = getenv("BLOCKFUSE_CONFIG");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
      file = argv[i + 1];
    else if (strncmp(argv[i], "--config=", 9) == 0)
      file = argv[i] + 9;
  }
  if (file && *file) {
    snprintf(c->config, sizeof c->config, "%s", file);
    if (load_file(c, file, err, errlen)) return -EINVAL;
  }
  for (size_t i = 0; i < N_OPTIONS; i++) {
    char env[80] = "BLOCKFUSE_";
    size_t k = strlen(env);
    for (const char *p = options[i].name; *p && k + 1 < sizeof env; p++)
      env[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
    env[k] = 0;
    const char *v = getenv(env);
    if (v && strcmp(options[i].name, "config") != 0 && set(c, &options[i], v, env, err, errlen))
      return -EINVAL;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      c->help = 1;
      continue;
    }
    if (strncmp(a, "--", 2) != 0) {
      snprintf(err, errlen, "unexpected argument '%.64s' (see --help)", a);
      return -EINVAL;
    }
    const char *name = a + 2, *eq = strchr(name, '=');
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    const opt *o = find(name, nl);
    if (!o) {
      snprintf(err, errlen, "unknown option '%.64s' (see --help)", a);
      return -EINVAL;
    }
    const char *v = eq ? eq + 1 : NULL;
    if (!v) {
      if (i + 1 >= argc) {
        snprintf(err, errlen, "option --%s needs a value", o->name);
        return -EINVAL;
      }
      v = argv[++i];
    }
    if (set(c, o, v, "command line", err, errlen)) return -EINVAL;
  }
  if (strcmp(c->log_format, "text") != 0 && strcmp(c->log_format, "json") != 0) {
    snprintf(err, errlen, "log-format must be text or json");
    return -EINVAL;
  }
  return 0;
}

void serve_config_usage(FILE *f) {
  fprintf(f,
          "usage: blockfuse serve [--option value ...]\n\n"
          "Serves the model over HTTP (/v1 classify, KServe v2, /metrics).\n"
          "Each option can also be set as BLOCKFUSE_<OPTION> (dashes as underscores) or\n"
          "as `option = value` in a config file; flags win over the environment, which\n"
          "wins over the file.\n\n");
  for (size_t i = 0; i < N_OPTIONS; i++) {
    char flag[64];
    snprintf(flag, sizeof flag, "--%s", options[i].name);
    fprintf(f, "  %-26s %s (default: %s)\n", flag, options[i].help,
            options[i].def[0] ? options[i].def : "\"\"");
  }
}

void serve_config_describe(const serve_config *c, char *out, size_t cap) {
  size_t o = 0;
  out[0] = 0;
  for (size_t i = 0; i < N_OPTIONS && o + 1 < cap; i++) {
    const opt *op = &options[i];
    const char *base = (const char *)c + op->off;
    char v[1100];
    if (op->type == OPT_STR)
      snprintf(v, sizeof v, "\"%s\"", base);
    else if (op->type == OPT_INT)
      snprintf(v, sizeof v, "%d", *(const int *)base);
    else if (op->type == OPT_I64)
      snprintf(v, sizeof v, "%" PRId64, *(const int64_t *)base);
    else
      snprintf(v, sizeof v, "%g", *(const double *)base);
    int n = snprintf(out + o, cap - o, "%s%s=%s", o ? " " : "", op->name, v);
    if (n < 0) break;
    o += (size_t)n;
  }
}
