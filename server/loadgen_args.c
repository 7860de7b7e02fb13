/* loadgen: command-line parsing and usage text. Every option has one entry in
 * the usage below and one branch in loadgen_parse_args(). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/loadgen.h"

/* The --help text: every option with its default. */
void loadgen_usage(FILE *out) {
  fputs(
      "Usage: blockfuse loadgen [options] URL\n"
      "Load-tests a server that speaks blockfuse's /v1 API or the Open Inference\n"
      "Protocol (KServe v2) over HTTP/1.1 keep-alive connections.\n"
      "\n"
      "  URL                      server base, e.g. http://127.0.0.1:8000 (http only)\n"
      "\n"
      "Load:\n"
      "  -c, --concurrency N      closed loop: N connections, one request in flight each\n"
      "                           (default 1); open loop: at most N connections (default 64)\n"
      "  -r, --rate R             open loop at R requests/s; latency is measured from each\n"
      "                           request's intended send time (default: closed loop)\n"
      "      --arrival KIND       open-loop spacing: poisson | constant (default poisson)\n"
      "  -d, --duration SEC       measure for SEC seconds (default 10 when -n is not given)\n"
      "  -n, --requests N         stop after N measured requests\n"
      "      --warmup SEC         send load for SEC seconds first, not counted (default 0)\n"
      "      --timeout SEC        per-request timeout (default 30)\n"
      "      --seed N             seed of the Poisson schedule and random tensors (default 1)\n"
      "\n"
      "Payload:\n"
      "      --api API            v1 | v2 | v2-binary (default v1)\n"
      "                           v1: POST /v1/models/M:classify, the raw image as body\n"
      "                               (--batch > 1: JSON {\"instances\":[{\"b64\":...}]})\n"
      "                           v2: POST /v2/models/M/infer, JSON tensors\n"
      "                           v2-binary: the same with the binary tensor data extension\n"
      "  -m, --model NAME         model name (default efficientnet_b0)\n"
      "  -i, --image PATH         an image file (.jpg/.png), or a folder of them; repeatable.\n"
      "                           Requests cycle through the images.\n"
      "      --tensor KIND        v2 input: bytes (encoded images, default with --image)\n"
      "                           | uint8 | fp32 (random pixels, default without --image)\n"
      "      --input NAME         v2 input tensor name (default: image for bytes, input\n"
      "                           for uint8/fp32, as blockfuse names them)\n"
      "      --batch N            images per request (default 1)\n"
      "      --shape HxW          random tensor height x width (default 224x224)\n"
      "      --top-k K            ask for K classes (default: the server's)\n"
      "  -t, --threads N          event-loop threads sharing the connections, rate and -n\n"
      "                           (default 1; one thread tops out near 30k small requests/s)\n"
      "      --binary-output      v2: ask for the outputs as binary data, as binary-protocol\n"
      "                           clients do (default: JSON numbers)\n"
      "\n"
      "Output:\n"
      "      --json PATH          write the summary as JSON ('-' = stdout)\n"
      "      --csv PATH           write one row per request ('-' = stdout):\n"
      "                           intended_us,sent_us,latency_us,status,bytes; status is\n"
      "                           the HTTP code, or connect, timeout or io\n"
      "  -q, --quiet              no human-readable summary\n"
      "  -h, --help               this text\n"
      "\n"
      "Exit status: 0 when at least one request succeeded, 1 when none did or the run\n"
      "failed, 2 for bad arguments.\n",
      out);
  fprintf(out,
          "\n"
          "Open loop: the summary counts sends that left more than %g ms after their\n"
          "intended time, and warns that the offered rate was not sustained only when a\n"
          "due request was never sent, the worst send lag exceeds %g ms, or more than %d%%\n"
          "of the sends were late (judged from %d sends on). The latency figures include\n"
          "any send lag either way.\n",
          LOADGEN_LATE_SEND_US / 1000.0, LOADGEN_WARN_MAX_LAG_US / 1000.0,
          LOADGEN_WARN_LATE_PERCENT, LOADGEN_WARN_MIN_SENDS);
}

/* Formats a message into err; returns -EINVAL for the caller to pass up. */
static int fail(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -EINVAL;
}

/* Whole-string unsigned integer in [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+') return -1;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* Whole-string finite double in [lo, hi]. */
static int parse_double(const char *s, double lo, double hi, double *out) {
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || *end || !isfinite(v) || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* Splits http://host[:port][/path] into cfg's host, port and base_path. */
static int parse_url(const char *url, loadgen_config *cfg, char *err, size_t errlen) {
  const char *p = url;
  if (strncmp(p, "http://", 7) == 0) {
    p += 7;
  } else if (strstr(p, "://")) {
    return fail(err, errlen, "URL '%s': only http:// is supported", url);
  }
  const char *host = p, *host_end, *port = NULL;
  if (*p == '[') { /* [v6addr] */
    host = p + 1;
    host_end = strchr(host, ']');
    if (!host_end) return fail(err, errlen, "URL '%s': missing ']'", url);
    p = host_end + 1;
  } else {
    while (*p && *p != ':' && *p != '/') p++;
    host_end = p;
  }
  if (*p == ':') {
    port = ++p;
    while (*p && *p != '/') p++;
  }
  size_t hlen = (size_t)(host_end - host);
  if (hlen == 0) return fail(err, errlen, "URL '%s': no host", url);
  if (hlen >= sizeof cfg->host) return fail(err, errlen, "URL '%s': host too long", url);
  memcpy(cfg->host, host, hlen);
  cfg->host[hlen] = '\0';
  if (port) {
    size_t plen = (size_t)(p - port);
    char buf[8];
    uint64_t v;
    if (plen == 0 || plen >= sizeof buf) return fail(err, errlen, "URL '%s': bad port", url);
    memcpy(buf, port, plen);
    buf[plen] = '\0';
    if (parse_u64(buf, 1, 65535, &v)) return fail(err, errlen, "URL '%s': bad port", url);
    snprintf(cfg->port, sizeof cfg->port, "%u", (unsigned)v);
  } else {
    snprintf(cfg->port, sizeof cfg->port, "80");
  }
  size_t blen = strlen(p);
  while (blen && p[blen - 1] == '/') blen--;
  if (blen >= sizeof cfg->base_path) return fail(err, errlen, "URL '%s': path too long", url);
  memcpy(cfg->base_path, p, blen);
  cfg->base_path[blen] = '\0';
  return 0;
}

/* Copies a bounded string option. */
static int set_str(char *dst, size_t cap, const char *v, const char *opt, char *err,
                   size_t errlen) {
  if (!*v) return fail(err, errlen, "%s: empty value", opt);
  if (strlen(v) >= cap) return fail(err, errlen, "%s: value too long (max %zu)", opt, cap - 1);
  for (const char *c = v; *c; c++)
    if (*c <= ' ' || *c == '/' || *c == '?' || *c == '#' || *c == '"' || *c == '\\' || *c == 127)
      return fail(err, errlen, "%s '%s': must not contain spaces, '/', '?', '#', quotes", opt, v);
  memcpy(dst, v, strlen(v) + 1);
  return 0;
}

/* Sets the defaults that loadgen_usage() documents. */
static void defaults(loadgen_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->api = LOADGEN_API_V1;
  cfg->tensor = -1;
  snprintf(cfg->model, sizeof cfg->model, "efficientnet_b0");
  cfg->batch = 1;
  cfg->height = cfg->width = 224;
  cfg->concurrency = 0; /* resolved after parsing */
  cfg->arrival = LOADGEN_ARRIVAL_POISSON;
  cfg->timeout_s = 30;
  cfg->seed = 1;
  cfg->threads = 1;
}

/* See loadgen.h. Options may come in any order around the URL. */
int loadgen_parse_args(int argc, char **argv, loadgen_config *cfg, FILE *out, char *err,
                       size_t errlen) {
  defaults(cfg);
  const char *url = NULL;
  int durations_set = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (a[0] != '-' || strcmp(a, "-") == 0) {
      if (url) return fail(err, errlen, "unexpected argument '%s' (URL already given)", a);
      url = a;
      continue;
    }
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      loadgen_usage(out);
      return 1;
    }
    if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      cfg->quiet = 1;
      continue;
    }
    if (strcmp(a, "--binary-output") == 0) {
      cfg->binary_output = 1;
      continue;
    }
    /* Every other option takes a value: "--opt=v", "--opt v" or "-o v". */
    char name[32];
    const char *v = NULL;
    const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
    size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
    if (nlen >= sizeof name) return fail(err, errlen, "unknown option '%s' (see --help)", a);
    memcpy(name, a, nlen);
    name[nlen] = '\0';
    if (eq) {
      v = eq + 1;
    } else if (i + 1 < argc) {
      v = argv[++i];
    }
#define OPT(s, l) (strcmp(name, s) == 0 || strcmp(name, l) == 0)
    int known = OPT("-c", "--concurrency") || OPT("-r", "--rate") || OPT("", "--arrival") ||
                OPT("-d", "--duration") || OPT("-n", "--requests") || OPT("", "--warmup") ||
                OPT("", "--timeout") || OPT("", "--seed") || OPT("", "--api") ||
                OPT("-m", "--model") || OPT("-i", "--image") || OPT("", "--tensor") ||
                OPT("", "--input") || OPT("", "--batch") || OPT("", "--shape") ||
                OPT("", "--top-k") || OPT("", "--json") || OPT("", "--csv") ||
                OPT("-t", "--threads");
    if (!known) return fail(err, errlen, "unknown option '%s' (see --help)", name);
    if (!v) return fail(err, errlen, "option %s needs a value", name);
    uint64_t u;
    if (OPT("-c", "--concurrency")) {
      if (parse_u64(v, 1, 100000, &u))
        return fail(err, errlen, "%s '%s': want an integer in 1..100000", name, v);
      cfg->concurrency = (int)u;
    } else if (OPT("-r", "--rate")) {
      if (parse_double(v, 1e-3, 1e7, &cfg->rate))
        return fail(err, errlen, "%s '%s': want requests/s in 0.001..1e7", name, v);
    } else if (OPT("", "--arrival")) {
      if (strcmp(v, "poisson") == 0)
        cfg->arrival = LOADGEN_ARRIVAL_POISSON;
      else if (strcmp(v, "constant") == 0)
        cfg->arrival = LOADGEN_ARRIVAL_CONSTANT;
      else
        return fail(err, errlen, "--arrival '%s': want poisson or constant", v);
    } else if (OPT("-d", "--duration")) {
      if (parse_double(v, 1e-3, 1e6, &cfg->duration_s))
        return fail(err, errlen, "%s '%s': want seconds in 0.001..1e6", name, v);
      durations_set = 1;
    } else if (OPT("-n", "--requests")) {
      if (parse_u64(v, 1, UINT64_C(1) << 40, &cfg->requests))
        return fail(err, errlen, "%s '%s': want a positive integer", name, v);
    } else if (OPT("", "--warmup")) {
      if (parse_double(v, 0, 1e5, &cfg->warmup_s))
        return fail(err, errlen, "--warmup '%s': want seconds >= 0", v);
    } else if (OPT("", "--timeout")) {
      if (parse_double(v, 1e-3, 1e5, &cfg->timeout_s))
        return fail(err, errlen, "--timeout '%s': want seconds in 0.001..1e5", v);
    } else if (OPT("", "--seed")) {
      if (parse_u64(v, 0, UINT64_MAX, &cfg->seed))
        return fail(err, errlen, "--seed '%s': want a non-negative integer", v);
    } else if (OPT("", "--api")) {
      if (strcmp(v, "v1") == 0)
        cfg->api = LOADGEN_API_V1;
      else if (strcmp(v, "v2") == 0)
        cfg->api = LOADGEN_API_V2_JSON;
      else if (strcmp(v, "v2-binary") == 0)
        cfg->api = LOADGEN_API_V2_BINARY;
      else
        return fail(err, errlen, "--api '%s': want v1, v2 or v2-binary", v);
    } else if (OPT("-m", "--model")) {
      int rc = set_str(cfg->model, sizeof cfg->model, v, name, err, errlen);
      if (rc) return rc;
    } else if (OPT("-i", "--image")) {
      if (!*v) return fail(err, errlen, "%s: empty path", name);
      if (cfg->n_image_args == LOADGEN_MAX_IMAGE_ARGS)
        return fail(err, errlen, "too many --image options (max %d; pass a folder instead)",
                    LOADGEN_MAX_IMAGE_ARGS);
      cfg->image_args[cfg->n_image_args++] = v;
    } else if (OPT("", "--tensor")) {
      if (strcmp(v, "bytes") == 0)
        cfg->tensor = LOADGEN_TENSOR_BYTES;
      else if (strcmp(v, "uint8") == 0)
        cfg->tensor = LOADGEN_TENSOR_UINT8;
      else if (strcmp(v, "fp32") == 0)
        cfg->tensor = LOADGEN_TENSOR_FP32;
      else
        return fail(err, errlen, "--tensor '%s': want bytes, uint8 or fp32", v);
    } else if (OPT("", "--input")) {
      int rc = set_str(cfg->input_name, sizeof cfg->input_name, v, name, err, errlen);
      if (rc) return rc;
    } else if (OPT("", "--batch")) {
      if (parse_u64(v, 1, 1024, &u)) return fail(err, errlen, "--batch '%s': want 1..1024", v);
      cfg->batch = (int)u;
    } else if (OPT("", "--shape")) {
      unsigned h, w;
      char tail;
      if (sscanf(v, "%ux%u%c", &h, &w, &tail) != 2 || h < 1 || w < 1 || h > 8192 || w > 8192)
        return fail(err, errlen, "--shape '%s': want HxW, each 1..8192", v);
      cfg->height = (int)h;
      cfg->width = (int)w;
    } else if (OPT("", "--top-k")) {
      if (parse_u64(v, 1, 100000, &u)) return fail(err, errlen, "--top-k '%s': want >= 1", v);
      cfg->top_k = (int)u;
    } else if (OPT("-t", "--threads")) {
      if (parse_u64(v, 1, 64, &u)) return fail(err, errlen, "--threads '%s': want 1..64", v);
      cfg->threads = (int)u;
    } else if (OPT("", "--json")) {
      cfg->json_path = v;
    } else if (OPT("", "--csv")) {
      cfg->csv_path = v;
    }
#undef OPT
  }
  if (!url) return fail(err, errlen, "missing URL, e.g. http://127.0.0.1:8000 (see --help)");
  int rc = parse_url(url, cfg, err, errlen);
  if (rc) return rc;
  /* Resolve defaults that depend on other options, then cross-check. */
  if (!durations_set && cfg->requests == 0) cfg->duration_s = 10;
  if (cfg->concurrency == 0) cfg->concurrency = cfg->rate > 0 ? 64 : 1;
  if ((int)cfg->tensor == -1)
    cfg->tensor = cfg->n_image_args ? LOADGEN_TENSOR_BYTES : LOADGEN_TENSOR_UINT8;
  if (!cfg->input_name[0])
    snprintf(cfg->input_name, sizeof cfg->input_name, "%s",
             cfg->tensor == LOADGEN_TENSOR_BYTES ? "image" : "input");
  if (cfg->threads > cfg->concurrency)
    return fail(err, errlen, "--threads %d: more threads than the %d connections", cfg->threads,
                cfg->concurrency);
  if (cfg->requests && (uint64_t)cfg->threads > cfg->requests)
    return fail(err, errlen, "--threads %d: more threads than the %llu requests (-n)", cfg->threads,
                (unsigned long long)cfg->requests);
  if (cfg->threads > 1 && cfg->csv_path)
    return fail(err, errlen, "--csv writes one run's rows: use it with --threads 1");
  if (cfg->api == LOADGEN_API_V1 && cfg->binary_output)
    return fail(err, errlen, "--binary-output is for --api v2 or v2-binary");
  if (cfg->api == LOADGEN_API_V1 && cfg->n_image_args == 0)
    return fail(err, errlen, "--api v1 sends images: give --image FILE|DIR");
  if (cfg->api != LOADGEN_API_V1 && cfg->tensor == LOADGEN_TENSOR_BYTES && cfg->n_image_args == 0)
    return fail(err, errlen, "--tensor bytes sends images: give --image FILE|DIR");
  if (cfg->api != LOADGEN_API_V1 && cfg->tensor != LOADGEN_TENSOR_BYTES && cfg->n_image_args > 0)
    return fail(err, errlen, "--tensor %s sends random pixels; drop --image or use bytes",
                cfg->tensor == LOADGEN_TENSOR_UINT8 ? "uint8" : "fp32");
  if (cfg->csv_path && cfg->json_path && strcmp(cfg->csv_path, "-") == 0 &&
      strcmp(cfg->json_path, "-") == 0)
    return fail(err, errlen, "--csv - and --json - cannot both write to stdout");
  return 0;
}
