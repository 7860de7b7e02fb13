/* Model repository loader: config.json + safetensors + labels -> model_net.
 * All shapes are resolved here, and every weight is checked for presence and
 * shape, so that backends can trust the description they are given. */
#define _POSIX_C_SOURCE 200809L
#include "model/net.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/safetensors.h"

static const char *const act_names[] = {"none", "relu", "relu6", "swish", "gelu", "sigmoid"};
static const char *const kind_names[] = {"stem",     "mbconv",     "convfirst",
                                         "convnext", "downsample", "head"};

const char *model_act_name(model_act a) {
  return (unsigned)a < sizeof act_names / sizeof act_names[0] ? act_names[a] : "?";
}

const char *model_block_kind_name(model_block_kind k) {
  return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

int model_act_parse(const char *s, model_act *out) {
  for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++) {
    if (strcmp(s, act_names[i]) == 0) {
      *out = (model_act)i;
      return 0;
    }
  }
  if (strcmp(s, "silu") == 0) {
    *out = MODEL_ACT_SWISH;
    return 0;
  }
  return -EINVAL;
}

int model_conv_out(int in, int k, int s, int tf_same, int *pad_before) {
  if (tf_same) {
    int out = (in + s - 1) / s;
    int total = (out - 1) * s + k - in;
    if (total < 0) total = 0;
    *pad_before = total / 2;
    return out;
  }
  *pad_before = k / 2;
  return (in + 2 * (k / 2) - k) / s + 1;
}

/* The weight slots of a block, by the name suffix used in the safetensors file. */
static const struct {
  const char *suffix;
  size_t offset;
} tensor_slots[] = {
    {"conv.weight", offsetof(model_block, conv_w)},
    {"conv.bias", offsetof(model_block, conv_b)},
    {"expand.weight", offsetof(model_block, expand_w)},
    {"expand.bias", offsetof(model_block, expand_b)},
    {"dw.weight", offsetof(model_block, dw_w)},
    {"dw.bias", offsetof(model_block, dw_b)},
    {"se_reduce.weight", offsetof(model_block, se_reduce_w)},
    {"se_reduce.bias", offsetof(model_block, se_reduce_b)},
    {"se_expand.weight", offsetof(model_block, se_expand_w)},
    {"se_expand.bias", offsetof(model_block, se_expand_b)},
    {"project.weight", offsetof(model_block, project_w)},
    {"project.bias", offsetof(model_block, project_b)},
    {"norm.weight", offsetof(model_block, norm_w)},
    {"norm.bias", offsetof(model_block, norm_b)},
    {"layer_scale", offsetof(model_block, layer_scale)},
    {"fc.weight", offsetof(model_block, fc_w)},
    {"fc.bias", offsetof(model_block, fc_b)},
};

#define NSLOTS (sizeof tensor_slots / sizeof tensor_slots[0])

static model_tensor *slot(model_block *b, size_t i) {
  return (model_tensor *)((char *)b + tensor_slots[i].offset);
}

/* An expected shape for one slot: required, or allowed to be absent. */
typedef struct {
  int required;
  int ndim;
  int64_t dims[4];
} want;

static want W0(void) {
  return (want){0, 0, {0}};
}
static want W1(int req, int64_t a) {
  return (want){req, 1, {a}};
}
static want W2(int req, int64_t a, int64_t b) {
  return (want){req, 2, {a, b}};
}
static want W3(int req, int64_t a, int64_t b, int64_t c) {
  return (want){req, 3, {a, b, c}};
}
static want W4(int req, int64_t a, int64_t b, int64_t c, int64_t d) {
  return (want){req, 4, {a, b, c, d}};
}

/* Fills w[NSLOTS] with what block b (shapes resolved) must carry. */
static void expected_tensors(const model_block *b, int classes, want *w) {
  for (size_t i = 0; i < NSLOTS; i++) w[i] = W0();
  int k = b->kernel, in = b->in_c, mid = b->mid_c, out = b->out_c;
  switch (b->kind) {
    case MODEL_BLOCK_STEM:
    case MODEL_BLOCK_DOWNSAMPLE:
      w[0] = W4(1, k, k, in / b->groups, out);
      w[1] = W1(0, out);
      /* LayerNorm: downsample normalises its input, stem its conv output. */
      if (b->kind == MODEL_BLOCK_DOWNSAMPLE) w[12] = W1(0, in), w[13] = W1(0, in);
      if (b->kind == MODEL_BLOCK_STEM) w[12] = W1(0, out), w[13] = W1(0, out);
      break;
    case MODEL_BLOCK_MBCONV:
      w[2] = W2(mid != in, in, mid);
      w[3] = W1(0, mid);
      w[4] = W3(1, k, k, mid);
      w[5] = W1(0, mid);
      if (b->se_c) {
        w[6] = W2(1, mid, b->se_c), w[7] = W1(0, b->se_c);
        w[8] = W2(1, b->se_c, mid), w[9] = W1(0, mid);
      }
      w[10] = W2(1, mid, out);
      w[11] = W1(0, out);
      break;
    case MODEL_BLOCK_CONVFIRST:
      w[0] = W4(1, k, k, in / b->groups, in);
      w[1] = W1(0, in);
      w[2] = W2(1, in, mid), w[3] = W1(0, mid);
      w[10] = W2(1, mid, out), w[11] = W1(0, out);
      break;
    case MODEL_BLOCK_CONVNEXT:
      w[4] = W3(1, k, k, in), w[5] = W1(0, in);
      w[12] = W1(1, in), w[13] = W1(1, in);
      w[2] = W2(1, in, mid), w[3] = W1(0, mid);
      w[10] = W2(1, mid, out), w[11] = W1(0, out);
      w[14] = W1(0, out);
      break;
    case MODEL_BLOCK_HEAD: {
      int c = mid ? mid : in;
      if (mid) w[2] = W2(1, in, mid), w[3] = W1(0, mid);
      w[12] = W1(0, c), w[13] = W1(0, c);
      w[15] = W2(1, c, classes), w[16] = W1(0, classes);
      break;
    }
  }
}

/* Binds block b's tensors from the file (named "<block>.<suffix>") and checks
 * their shapes. Unknown tensors for the block are an error, so a typo in a
 * converter cannot silently drop a weight. */
static int bind_tensors(model_block *b, const safetensors_file *st, int classes, char *err,
                        size_t errlen) {
  want w[NSLOTS];
  expected_tensors(b, classes, w);
  char name[128];
  for (size_t i = 0; i < NSLOTS; i++) {
    snprintf(name, sizeof name, "%s.%s", b->name, tensor_slots[i].suffix);
    const safetensors_tensor *t = safetensors_find(st, name);
    model_tensor *m = slot(b, i);
    memset(m, 0, sizeof *m);
    if (!t) {
      if (w[i].required) {
        snprintf(err, errlen, "block '%s' (%s): missing tensor '%s'", b->name,
                 model_block_kind_name(b->kind), name);
        return -EINVAL;
      }
      continue;
    }
    if (w[i].ndim == 0) {
      snprintf(err, errlen, "block '%s' (%s) takes no tensor '%s'", b->name,
               model_block_kind_name(b->kind), name);
      return -EINVAL;
    }
    if (t->dtype != ST_F32) {
      snprintf(err, errlen, "tensor '%s' must be F32", name);
      return -EINVAL;
    }
    int ok = t->ndim == w[i].ndim;
    for (int d = 0; ok && d < t->ndim; d++) ok = t->shape[d] == w[i].dims[d];
    if (!ok) {
      char got[64] = "", exp[64] = "";
      for (int d = 0; d < t->ndim; d++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? "," : "",
                 (long long)t->shape[d]);
      for (int d = 0; d < w[i].ndim; d++)
        snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%s%lld", d ? "," : "",
                 (long long)w[i].dims[d]);
      snprintf(err, errlen, "tensor '%s' has shape [%s], expected [%s]", name, got, exp);
      return -EINVAL;
    }
    m->data = (const float *)t->data;
    m->ndim = t->ndim;
    m->numel = t->nbytes / 4;
    for (int d = 0; d < t->ndim && d < 4; d++) m->shape[d] = t->shape[d];
  }
  return 0;
}

static int get_int(json_t *o, const char *key, int dflt) {
  json_t *v = json_object_get(o, key);
  return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

/* Resolves one block's shapes from its config entry and the running (h,w,c). */
static int resolve_block(json_t *jb, int idx, int tf_same, int *h, int *w, int *c, model_block *b,
                         char *err, size_t errlen) {
  const char *name = json_string_value(json_object_get(jb, "name"));
  const char *kind = json_string_value(json_object_get(jb, "kind"));
  if (!name || !kind || strlen(name) >= sizeof b->name) {
    snprintf(err, errlen, "blocks[%d]: needs a string 'name' (< %zu chars) and 'kind'", idx,
             sizeof b->name);
    return -EINVAL;
  }
  snprintf(b->name, sizeof b->name, "%s", name);
  size_t k;
  for (k = 0; k < sizeof kind_names / sizeof kind_names[0]; k++)
    if (strcmp(kind, kind_names[k]) == 0) break;
  if (k == sizeof kind_names / sizeof kind_names[0]) {
    snprintf(err, errlen, "block '%s': unknown kind '%s'", name, kind);
    return -EINVAL;
  }
  b->kind = (model_block_kind)k;
  b->in_h = *h, b->in_w = *w, b->in_c = *c;
  b->kernel = get_int(jb, "kernel", b->kind == MODEL_BLOCK_CONVNEXT ? 7 : 1);
  b->stride = get_int(jb, "stride", 1);
  b->out_c = get_int(jb, "out", *c);
  b->mid_c = get_int(jb, "mid", b->kind == MODEL_BLOCK_HEAD ? 0 : *c);
  b->se_c = get_int(jb, "se", 0);
  b->groups = 1;
  b->ln_eps = 1e-6f;
  json_t *eps = json_object_get(jb, "ln_eps");
  if (json_is_number(eps)) b->ln_eps = (float)json_number_value(eps);
  const char *act = json_string_value(json_object_get(jb, "act"));
  const char *se_act = json_string_value(json_object_get(jb, "se_act"));
  b->act = b->kind == MODEL_BLOCK_CONVNEXT ? MODEL_ACT_GELU : MODEL_ACT_NONE;
  b->se_act = MODEL_ACT_SWISH;
  if ((act && model_act_parse(act, &b->act)) || (se_act && model_act_parse(se_act, &b->se_act))) {
    snprintf(err, errlen, "block '%s': unknown activation", name);
    return -EINVAL;
  }
  if (b->kind == MODEL_BLOCK_CONVFIRST) {
    int gw = get_int(jb, "group_width", 0);
    b->groups = gw > 0 ? (*c % gw == 0 ? *c / gw : -1) : get_int(jb, "groups", *c);
  } else if (b->kind == MODEL_BLOCK_MBCONV || b->kind == MODEL_BLOCK_CONVNEXT) {
    b->groups = b->kind == MODEL_BLOCK_MBCONV ? b->mid_c : *c;
  }
  if (b->kernel < 1 || b->kernel > 15 || b->stride < 1 || b->stride > 4 || b->out_c < 1 ||
      b->mid_c < 0 || b->se_c < 0 || b->groups < 1 ||
      (b->kind != MODEL_BLOCK_HEAD && b->mid_c < 1)) {
    snprintf(err, errlen, "block '%s': kernel/stride/out/mid/se/groups out of range", name);
    return -EINVAL;
  }
  if (b->kind == MODEL_BLOCK_CONVNEXT) b->stride = 1;
  if (b->kind == MODEL_BLOCK_HEAD) {
    b->out_h = b->out_w = 1;
  } else {
    b->out_h = model_conv_out(*h, b->kernel, b->stride, tf_same, &b->pad_t);
    b->out_w = model_conv_out(*w, b->kernel, b->stride, tf_same, &b->pad_l);
  }
  if (b->out_h < 1 || b->out_w < 1) {
    snprintf(err, errlen, "block '%s': input %dx%d too small", name, *h, *w);
    return -EINVAL;
  }
  json_t *res = json_object_get(jb, "residual");
  int can_add = b->out_c == b->in_c && b->out_h == b->in_h && b->out_w == b->in_w;
  b->residual = json_is_boolean(res)
                    ? json_is_true(res)
                    : (can_add && b->kind != MODEL_BLOCK_STEM &&
                       b->kind != MODEL_BLOCK_DOWNSAMPLE && b->kind != MODEL_BLOCK_HEAD);
  if (b->residual && !can_add) {
    snprintf(err, errlen, "block '%s': residual needs equal input and output shapes", name);
    return -EINVAL;
  }
  *h = b->out_h, *w = b->out_w, *c = b->out_c;
  return 0;
}

/* Reads labels.txt: one label per line, exactly `n` lines. */
static int load_labels(const char *path, int n, char ***out, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errlen, "cannot open labels %s: %s", path, strerror(errno));
    return -ENOENT;
  }
  char **labels = calloc((size_t)n, sizeof *labels);
  if (!labels) {
    fclose(f);
    return -ENOMEM;
  }
  char line[512];
  int i = 0;
  while (i < n && fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = 0;
    if (!(labels[i++] = strdup(line))) break;
  }
  fclose(f);
  if (i != n || !labels[n - 1]) {
    for (int j = 0; j < n; j++) free(labels[j]);
    free(labels);
    snprintf(err, errlen, "labels %s: expected %d lines, found %d", path, n, i);
    return -EINVAL;
  }
  *out = labels;
  return 0;
}

/* Maps a whole file read-only. */
static int map_file(const char *path, void **map, size_t *len, char *err, size_t errlen) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
    return -errno;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size == 0) {
    snprintf(err, errlen, "%s is empty or unreadable", path);
    close(fd);
    return -EINVAL;
  }
  void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (m == MAP_FAILED) {
    snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
    return -errno;
  }
  *map = m;
  *len = (size_t)st.st_size;
  return 0;
}

static int parse_floats3(json_t *a, float *out) {
  if (!json_is_array(a) || json_array_size(a) != 3) return -1;
  for (int i = 0; i < 3; i++) {
    json_t *v = json_array_get(a, (size_t)i);
    if (!json_is_number(v)) return -1;
    out[i] = (float)json_number_value(v);
  }
  return 0;
}

/* Parses config.json's top level into net (everything but blocks). */
static int parse_header(json_t *root, model_net *net, char *err, size_t errlen) {
  if (get_int(root, "format_version", 0) != 1) {
    snprintf(err, errlen, "config.json: format_version must be 1");
    return -EINVAL;
  }
  const char *name = json_string_value(json_object_get(root, "name"));
  const char *arch = json_string_value(json_object_get(root, "architecture"));
  snprintf(net->name, sizeof net->name, "%s", name ? name : "model");
  snprintf(net->architecture, sizeof net->architecture, "%s", arch ? arch : "");
  json_t *in = json_object_get(root, "input"), *pre = json_object_get(root, "preprocessing");
  net->in_h = get_int(in, "height", 0);
  net->in_w = get_int(in, "width", 0);
  net->in_c = get_int(in, "channels", 3);
  net->max_batch = get_int(root, "max_batch_size", 64);
  net->num_classes = get_int(root, "num_classes", 0);
  net->resize_shorter = get_int(pre, "resize_shorter", net->in_h);
  if (net->in_h < 8 || net->in_w < 8 || net->in_h > 4096 || net->in_w > 4096 || net->in_c != 3 ||
      net->max_batch < 1 || net->max_batch > 4096 || net->num_classes < 1 ||
      net->num_classes > 1000000 ||
      net->resize_shorter < (net->in_h < net->in_w ? net->in_h : net->in_w)) {
    snprintf(err, errlen,
             "config.json: input must be HxWx3 (8..4096), max_batch_size 1..4096, "
             "num_classes >= 1, resize_shorter >= the crop");
    return -EINVAL;
  }
  if (parse_floats3(json_object_get(pre, "mean"), net->mean) ||
      parse_floats3(json_object_get(pre, "std"), net->std)) {
    snprintf(err, errlen, "config.json: preprocessing.mean and .std must be 3 numbers");
    return -EINVAL;
  }
  for (int i = 0; i < 3; i++) {
    if (!(net->std[i] > 0)) {
      snprintf(err, errlen, "config.json: preprocessing.std must be positive");
      return -EINVAL;
    }
  }
  return 0;
}

int model_net_load(const char *dir, model_net *net, char *err, size_t errlen) {
  memset(net, 0, sizeof *net);
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  json_error_t jerr;
  json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    if (jerr.line > 0) /* a syntax error; otherwise jansson could not read the file */
      snprintf(err, errlen, "%s: %s (line %d)", path, jerr.text, jerr.line);
    else
      snprintf(err, errlen, "%s: %s", path, jerr.text);
    return -EINVAL;
  }
  safetensors_file st = {0};
  int rc = parse_header(root, net, err, errlen);
  const char *pad = json_string_value(json_object_get(root, "padding"));
  int tf_same = !pad || strcmp(pad, "symmetric") != 0;
  if (rc == 0 && pad && strcmp(pad, "same") != 0 && strcmp(pad, "symmetric") != 0) {
    snprintf(err, errlen, "config.json: padding must be \"same\" or \"symmetric\"");
    rc = -EINVAL;
  }
  json_t *blocks = json_object_get(root, "blocks");
  if (rc == 0 &&
      (!json_is_array(blocks) || json_array_size(blocks) < 2 || json_array_size(blocks) > 1024)) {
    snprintf(err, errlen, "config.json: 'blocks' must list 2..1024 blocks");
    rc = -EINVAL;
  }
  if (rc == 0) {
    const char *wf = json_string_value(json_object_get(root, "weights"));
    snprintf(path, sizeof path, "%s/%s", dir, wf ? wf : "model.safetensors");
    rc = map_file(path, &net->map, &net->map_len, err, errlen);
  }
  if (rc == 0) rc = safetensors_parse(net->map, net->map_len, &st, err, errlen);
  if (rc == 0) {
    net->n_blocks = (int)json_array_size(blocks);
    net->blocks = calloc((size_t)net->n_blocks, sizeof *net->blocks);
    if (!net->blocks) rc = -ENOMEM;
  }
  int h = net->in_h, w = net->in_w, c = net->in_c;
  for (int i = 0; rc == 0 && i < net->n_blocks; i++) {
    model_block *b = &net->blocks[i];
    rc = resolve_block(json_array_get(blocks, (size_t)i), i, tf_same, &h, &w, &c, b, err, errlen);
    if (rc == 0 && (i == 0) != (b->kind == MODEL_BLOCK_STEM)) {
      snprintf(err, errlen, "block '%s': the first block, and only it, must be the stem", b->name);
      rc = -EINVAL;
    }
    if (rc == 0 && (i == net->n_blocks - 1) != (b->kind == MODEL_BLOCK_HEAD)) {
      snprintf(err, errlen, "block '%s': the last block, and only it, must be the head", b->name);
      rc = -EINVAL;
    }
    if (rc == 0 && b->kind == MODEL_BLOCK_HEAD) b->out_c = net->num_classes;
    if (rc == 0) rc = bind_tensors(b, &st, net->num_classes, err, errlen);
  }
  if (rc == 0) {
    const char *lf = json_string_value(json_object_get(root, "labels"));
    snprintf(path, sizeof path, "%s/%s", dir, lf ? lf : "labels.txt");
    rc = load_labels(path, net->num_classes, &net->labels, err, errlen);
  }
  safetensors_free(&st);
  json_decref(root);
  if (rc) model_net_free(net);
  return rc;
}

void model_net_free(model_net *net) {
  if (net->labels)
    for (int i = 0; i < net->num_classes; i++) free(net->labels[i]);
  free(net->labels);
  free(net->blocks);
  if (net->map) munmap(net->map, net->map_len);
  memset(net, 0, sizeof *net);
}

double model_block_flops(const model_block *b, int batch) {
  double hw_in = (double)b->in_h * b->in_w, hw_out = (double)b->out_h * b->out_w;
  double kk = (double)b->kernel * b->kernel, macs = 0;
  switch (b->kind) {
    case MODEL_BLOCK_STEM:
    case MODEL_BLOCK_DOWNSAMPLE:
      macs = hw_out * b->out_c * kk * b->in_c / b->groups;
      break;
    case MODEL_BLOCK_MBCONV:
      macs = (b->expand_w.data ? hw_in * b->in_c * b->mid_c : 0) + hw_out * b->mid_c * kk +
             2.0 * b->mid_c * b->se_c + hw_out * b->mid_c * b->out_c;
      break;
    case MODEL_BLOCK_CONVFIRST:
      macs = hw_out * b->in_c * kk * b->in_c / b->groups + hw_out * b->in_c * b->mid_c +
             hw_out * b->mid_c * b->out_c;
      break;
    case MODEL_BLOCK_CONVNEXT:
      macs = hw_out * b->in_c * kk + hw_out * b->in_c * b->mid_c + hw_out * b->mid_c * b->out_c;
      break;
    case MODEL_BLOCK_HEAD:
      macs = (b->mid_c ? hw_in * b->in_c * b->mid_c : 0) +
             (double)(b->mid_c ? b->mid_c : b->in_c) * b->out_c;
      break;
  }
  return 2.0 * macs * batch;
}

double model_roofline_seconds(double flops, double bytes, double peak_flops, double peak_bw) {
  const double tf = peak_flops > 0 ? flops / peak_flops : 0, tb = peak_bw > 0 ? bytes / peak_bw : 0;
  return tf > tb ? tf : tb;
}

double model_block_min_bytes(const model_block *b, int batch, int act_bytes, int w_bytes) {
  double weights = 0;
  for (size_t i = 0; i < NSLOTS; i++) weights += (double)slot((model_block *)b, i)->numel;
  double in = (double)b->in_h * b->in_w * b->in_c * (b->kind == MODEL_BLOCK_STEM ? 1 : act_bytes);
  double out =
      (double)b->out_h * b->out_w * b->out_c * (b->kind == MODEL_BLOCK_HEAD ? 4 : act_bytes);
  return (in + out) * batch + weights * w_bytes;
}
