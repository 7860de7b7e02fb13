/* loadgen: reads the image files and builds the HTTP requests that the run
 * sends, byte for byte, before the clock starts. */
#define _DEFAULT_SOURCE /* DT_REG / DT_UNKNOWN */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "server/file_read.h"
#include "server/loadgen.h"

#define MAX_IMAGE_BYTES (64u << 20)
#define MAX_IMAGES 4096

/* Growable byte buffer; on allocation failure it sets oom and drops writes. */
typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} sbuf;

/* Ensures room for n more bytes plus a terminating NUL. */
static int sb_reserve(sbuf *b, size_t n) {
  if (b->oom) return -1;
  if (b->len + n + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n + 1) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->oom = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

/* Appends n raw bytes. */
static void sb_put(sbuf *b, const void *data, size_t n) {
  if (sb_reserve(b, n)) return;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0';
}

/* Appends formatted text. */
static void sb_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || sb_reserve(b, (size_t)n)) {
    b->oom = 1;
    return;
  }
  va_start(ap, fmt);
  vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

/* Appends base64 of data in place. */
static void sb_base64(sbuf *b, const uint8_t *data, size_t n) {
  size_t need = 4 * ((n + 2) / 3);
  if (sb_reserve(b, need)) return;
  b->len += loadgen_base64(data, n, b->p + b->len);
  b->p[b->len] = '\0';
}

/* RFC 4648 base64 with '=' padding, as JSON image payloads carry it. */
size_t loadgen_base64(const uint8_t *in, size_t n, char *out) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0, i = 0;
  for (; i + 2 < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
    out[o++] = tab[v >> 18];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = tab[(v >> 6) & 63];
    out[o++] = tab[v & 63];
  }
  if (i < n) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
    out[o++] = tab[v >> 18];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    out[o++] = '=';
  }
  return o;
}

/* MIME type from magic bytes; NULL when neither JPEG nor PNG. */
static const char *image_mime(const uint8_t *d, size_t n) {
  if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return "image/jpeg";
  if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return "image/png";
  return NULL;
}

/* xorshift64* for reproducible random pixels. */
static uint8_t rand_pixel(uint64_t *s) {
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return (uint8_t)((*s * UINT64_C(2685821657736338717)) >> 56);
}

/* The images of one request: `count` encoded files, or NULL for random. */
typedef struct {
  const uint8_t *const *data;
  const size_t *len;
  int count;
} image_set;

/* Builds head + body for one request from the images in set (or random
 * pixels). Caller must free r on success. */
static int build(const loadgen_config *cfg, const image_set *set, loadgen_request *r, char *err,
                 size_t errlen) {
  memset(r, 0, sizeof *r);
  sbuf body = {0}, path = {0}, head = {0};
  const char *ctype = "application/json";
  long json_len = -1; /* Inference-Header-Content-Length for the binary extension */
  int n = cfg->batch;
  for (int i = 0; set->data && i < set->count; i++) {
    if (!image_mime(set->data[i], set->len[i])) {
      snprintf(err, errlen, "an image is neither JPEG nor PNG (by its first bytes)");
      return -EINVAL;
    }
  }
  if (cfg->api == LOADGEN_API_V1) {
    sb_printf(&path, "%s/v1/models/%s:classify", cfg->base_path, cfg->model);
    if (cfg->top_k) sb_printf(&path, "?top_k=%d", cfg->top_k);
    if (n == 1) {
      ctype = image_mime(set->data[0], set->len[0]);
      sb_put(&body, set->data[0], set->len[0]);
    } else {
      sb_printf(&body, "{\"instances\":[");
      for (int i = 0; i < n; i++) {
        sb_printf(&body, "%s{\"b64\":\"", i ? "," : "");
        sb_base64(&body, set->data[i], set->len[i]);
        sb_printf(&body, "\"}");
      }
      sb_printf(&body, "]}");
    }
  } else {
    int binary = cfg->api == LOADGEN_API_V2_BINARY;
    sb_printf(&path, "%s/v2/models/%s/infer", cfg->base_path, cfg->model);
    const char *dtype = cfg->tensor == LOADGEN_TENSOR_BYTES   ? "BYTES"
                        : cfg->tensor == LOADGEN_TENSOR_UINT8 ? "UINT8"
                                                              : "FP32";
    size_t px = (size_t)n * (size_t)cfg->height * (size_t)cfg->width * 3;
    size_t bin_size = 0;
    if (cfg->tensor == LOADGEN_TENSOR_BYTES) {
      for (int i = 0; i < n; i++) bin_size += 4 + set->len[i];
    } else {
      bin_size = px * (cfg->tensor == LOADGEN_TENSOR_FP32 ? 4 : 1);
    }
    sb_printf(&body, "{\"inputs\":[{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":[%d",
              cfg->input_name, dtype, n);
    if (cfg->tensor != LOADGEN_TENSOR_BYTES) sb_printf(&body, ",%d,%d,3", cfg->height, cfg->width);
    sb_printf(&body, "]");
    if (binary) {
      sb_printf(&body, ",\"parameters\":{\"binary_data_size\":%zu}}]", bin_size);
    } else {
      sb_printf(&body, ",\"data\":[");
      uint64_t s = cfg->seed * UINT64_C(0x9E3779B97F4A7C15) | 1;
      for (size_t i = 0; cfg->tensor == LOADGEN_TENSOR_BYTES && i < (size_t)n; i++) {
        sb_printf(&body, "%s\"", i ? "," : "");
        sb_base64(&body, set->data[i], set->len[i]);
        sb_printf(&body, "\"");
      }
      for (size_t i = 0; cfg->tensor != LOADGEN_TENSOR_BYTES && i < px && !body.oom; i++) {
        char num[8];
        int k = snprintf(num, sizeof num, "%s%u", i ? "," : "", rand_pixel(&s));
        sb_put(&body, num, (size_t)k);
      }
      sb_printf(&body, "]}]");
    }
    if (cfg->top_k || cfg->binary_output) {
      sb_printf(&body, ",\"parameters\":{");
      if (cfg->top_k) sb_printf(&body, "\"classification\":%d", cfg->top_k);
      if (cfg->binary_output)
        sb_printf(&body, "%s\"binary_data_output\":true", cfg->top_k ? "," : "");
      sb_printf(&body, "}");
    }
    sb_printf(&body, "}");
    if (binary) {
      json_len = (long)body.len;
      ctype = "application/octet-stream";
      uint64_t s = cfg->seed * UINT64_C(0x9E3779B97F4A7C15) | 1;
      for (int i = 0; cfg->tensor == LOADGEN_TENSOR_BYTES && i < n; i++) {
        uint32_t l = (uint32_t)set->len[i];
        uint8_t le[4] = {(uint8_t)l, (uint8_t)(l >> 8), (uint8_t)(l >> 16), (uint8_t)(l >> 24)};
        sb_put(&body, le, 4);
        sb_put(&body, set->data[i], set->len[i]);
      }
      if (cfg->tensor != LOADGEN_TENSOR_BYTES && sb_reserve(&body, bin_size) == 0) {
        for (size_t i = 0; i < px; i++) {
          uint8_t p = rand_pixel(&s);
          if (cfg->tensor == LOADGEN_TENSOR_UINT8) {
            body.p[body.len++] = (char)p;
          } else {
            float f = (float)p; /* little-endian host, as the extension specifies */
            memcpy(body.p + body.len, &f, 4);
            body.len += 4;
          }
        }
      }
    }
  }
  char hostport[300];
  if (strchr(cfg->host, ':'))
    snprintf(hostport, sizeof hostport, "[%s]:%s", cfg->host, cfg->port);
  else
    snprintf(hostport, sizeof hostport, "%s:%s", cfg->host, cfg->port);
  sb_printf(&head,
            "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: blockfuse-loadgen\r\n"
            "Content-Type: %s\r\nContent-Length: %zu\r\n",
            path.p, hostport, ctype, body.len);
  if (json_len >= 0) sb_printf(&head, "Inference-Header-Content-Length: %ld\r\n", json_len);
  sb_printf(&head, "Connection: keep-alive\r\n\r\n");
  free(path.p);
  if (body.oom || head.oom || path.oom) {
    free(body.p);
    free(head.p);
    snprintf(err, errlen, "out of memory building a request");
    return -ENOMEM;
  }
  r->head = head.p;
  r->head_len = head.len;
  r->body = (uint8_t *)body.p;
  r->body_len = body.len;
  r->images = n;
  return 0;
}

/* One request carrying cfg->batch copies of img (or random pixels when img is NULL). */
int loadgen_request_build(const loadgen_config *cfg, const uint8_t *img, size_t img_len,
                          loadgen_request *r, char *err, size_t errlen) {
  int n = cfg->batch;
  if (!img && (cfg->api == LOADGEN_API_V1 || cfg->tensor == LOADGEN_TENSOR_BYTES)) {
    snprintf(err, errlen, "this API/tensor kind needs an image");
    return -EINVAL;
  }
  const uint8_t **data = calloc((size_t)n, sizeof *data);
  size_t *len = calloc((size_t)n, sizeof *len);
  if (!data || !len) {
    free(data);
    free(len);
    snprintf(err, errlen, "out of memory");
    return -ENOMEM;
  }
  for (int i = 0; i < n; i++) {
    data[i] = img;
    len[i] = img_len;
  }
  image_set set = {img ? data : NULL, len, img ? n : 0};
  int rc = build(cfg, &set, r, err, errlen);
  free(data);
  free(len);
  return rc;
}

/* Frees head and body; r is zeroed. */
void loadgen_request_free(loadgen_request *r) {
  free(r->head);
  free(r->body);
  memset(r, 0, sizeof *r);
}

/* Frees every request of the set. */
void loadgen_payloads_free(loadgen_payloads *p) {
  for (size_t i = 0; i < p->n; i++) loadgen_request_free(&p->reqs[i]);
  free(p->reqs);
  p->reqs = NULL;
  p->n = 0;
}

/* True for names ending in .jpg, .jpeg or .png, any case. */
static int is_image_name(const char *name) {
  const char *dot = strrchr(name, '.');
  return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

/* qsort order for path lists: byte-wise, so runs are reproducible. */
static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends a path to the list; caller frees each entry and the list. */
static int push_path(char ***list, size_t *n, const char *path) {
  if (*n >= MAX_IMAGES) return -E2BIG;
  char **l = realloc(*list, (*n + 1) * sizeof *l);
  if (!l) return -ENOMEM;
  *list = l;
  if (!(l[*n] = strdup(path))) return -ENOMEM;
  (*n)++;
  return 0;
}

/* Expands the --image arguments into a sorted list of files. */
static int collect(const loadgen_config *cfg, char ***out, size_t *n, char *err, size_t errlen) {
  for (int a = 0; a < cfg->n_image_args; a++) {
    const char *arg = cfg->image_args[a];
    struct stat st;
    if (stat(arg, &st) != 0) {
      snprintf(err, errlen, "--image %s: %s", arg, strerror(errno));
      return -errno;
    }
    int rc = 0;
    if (S_ISDIR(st.st_mode)) {
      DIR *d = opendir(arg);
      if (!d) {
        snprintf(err, errlen, "--image %s: %s", arg, strerror(errno));
        return -errno;
      }
      size_t first = *n;
      struct dirent *e;
      char path[4096];
      while (rc == 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !is_image_name(e->d_name)) continue;
        snprintf(path, sizeof path, "%s/%s", arg, e->d_name);
        struct stat fst;
        if (stat(path, &fst) == 0 && S_ISREG(fst.st_mode)) rc = push_path(out, n, path);
      }
      closedir(d);
      if (rc == 0 && *n == first) {
        snprintf(err, errlen, "--image %s: folder holds no .jpg/.jpeg/.png files", arg);
        return -ENOENT;
      }
      if (rc == 0) qsort(*out + first, *n - first, sizeof **out, cmp_str);
    } else if (S_ISREG(st.st_mode)) {
      rc = push_path(out, n, arg);
    } else {
      snprintf(err, errlen, "--image %s: not a file or folder", arg);
      return -EINVAL;
    }
    if (rc) {
      snprintf(err, errlen, "--image %s: %s", arg,
               rc == -E2BIG ? "more than 4096 images" : "out of memory");
      return rc;
    }
  }
  return 0;
}

/* One request per image file (or one random tensor); everything is read up front. */
int loadgen_payloads_build(const loadgen_config *cfg, loadgen_payloads *p, char *err,
                           size_t errlen) {
  memset(p, 0, sizeof *p);
  int random = cfg->api != LOADGEN_API_V1 && cfg->tensor != LOADGEN_TENSOR_BYTES;
  if (random) {
    if (!(p->reqs = calloc(1, sizeof *p->reqs))) return -ENOMEM;
    int rc = loadgen_request_build(cfg, NULL, 0, &p->reqs[0], err, errlen);
    if (rc) {
      free(p->reqs);
      p->reqs = NULL;
      return rc;
    }
    p->n = 1;
    return 0;
  }
  char **paths = NULL;
  size_t n = 0;
  uint8_t **data = NULL;
  size_t *len = NULL;
  const uint8_t **pick = NULL;
  size_t *pick_len = NULL;
  int rc = collect(cfg, &paths, &n, err, errlen);
  if (rc == 0 && n == 0) {
    snprintf(err, errlen, "no images given");
    rc = -EINVAL;
  }
  if (rc == 0) {
    data = calloc(n, sizeof *data);
    len = calloc(n, sizeof *len);
    pick = calloc((size_t)cfg->batch, sizeof *pick);
    pick_len = calloc((size_t)cfg->batch, sizeof *pick_len);
    p->reqs = calloc(n, sizeof *p->reqs);
    if (!data || !len || !pick || !pick_len || !p->reqs) {
      snprintf(err, errlen, "out of memory");
      rc = -ENOMEM;
    }
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    rc = file_read_all(paths[i], MAX_IMAGE_BYTES, &data[i], &len[i], err, errlen);
    if (rc == 0 && len[i] == 0) {
      snprintf(err, errlen, "%s: empty file", paths[i]);
      rc = -ENODATA;
    }
    if (rc == 0 && !image_mime(data[i], len[i])) {
      snprintf(err, errlen, "%s: neither JPEG nor PNG (by its first bytes)", paths[i]);
      rc = -EINVAL;
    }
  }
  /* Request i carries images i, i+1, ... (cycling) so every file is sent. */
  for (size_t i = 0; rc == 0 && i < n; i++) {
    for (int b = 0; b < cfg->batch; b++) {
      pick[b] = data[(i + (size_t)b) % n];
      pick_len[b] = len[(i + (size_t)b) % n];
    }
    image_set set = {pick, pick_len, cfg->batch};
    rc = build(cfg, &set, &p->reqs[i], err, errlen);
    if (rc == 0) p->n = i + 1;
  }
  for (size_t i = 0; i < n; i++) {
    free(paths[i]);
    if (data) free(data[i]);
  }
  free(paths);
  free(data);
  free(len);
  free(pick);
  free(pick_len);
  if (rc) loadgen_payloads_free(p);
  return rc;
}
