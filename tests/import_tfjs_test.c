/* The TF.js importer as a program: every float weight of the TF.js graph
 * lands in the repository exactly once, bytes unchanged (the layouts only
 * drop unit dimensions), except the three normalisation constants, which
 * become the config's mean / std; anonymous tensors get the names of the
 * nodes that consume them. It reproduces the built model repository byte for
 * byte, and refuses truncated shards, a broken manifest and bad arguments
 * with a message and a non-zero exit. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "model/safetensors.h"
#include "tests/test_support.h"

static char tmpdir[PATH_MAX];

static int run(const char *cmd, char *out, size_t outlen) {
  int rc = test_run_cmd(cmd, out, outlen);
  assert_true(rc >= 0);
  return rc;
}

static int setup(void **state) {
  (void)state;
  char t[] = "/tmp/import_test_XXXXXX";
  if (!mkdtemp(t)) return -1;
  snprintf(tmpdir, sizeof tmpdir, "%s", t);
  char cmd[4 * 4200], out[4096];
  snprintf(cmd, sizeof cmd, "cp -rL '%s' '%s/graph'",
           test_runfile("efficientnet_b0_tfjs/lib/tfjs/web_model"), tmpdir);
  return run(cmd, out, sizeof out);
}

static int teardown(void **state) {
  (void)state;
  char cmd[PATH_MAX + 16], out[64];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return run(cmd, out, sizeof out);
}

static int import_into(const char *graph, const char *out_dir, char *out, size_t outlen) {
  char cmd[4 * 4200];
  snprintf(cmd, sizeof cmd, "'%s' --graph '%s' --labels '%s' --out '%s'",
           test_runfile("blockfuse/model/import_tfjs"), graph,
           test_runfile("efficientnet_b0_tfjs/misc/labels_map.json"), out_dir);
  return run(cmd, out, outlen);
}

static void test_reproduces_built_model(void **state) {
  (void)state;
  char graph[PATH_MAX + 8], out_dir[PATH_MAX + 8], out[4096], cmd[8192];
  snprintf(graph, sizeof graph, "%s/graph", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m", tmpdir);
  int rc = import_into(graph, out_dir, out, sizeof out);
  if (rc) fail_msg("import failed: %s", out);
  const char *files[] = {"config.json", "model.safetensors", "labels.txt"};
  for (int i = 0; i < 3; i++) {
    snprintf(cmd, sizeof cmd, "cmp '%s/%s' '%s/%s'", out_dir, files[i],
             test_runfile("blockfuse/models/efficientnet_b0"), files[i]);
    assert_int_equal(run(cmd, out, sizeof out), 0);
  }
}

/* One weight of the TF.js manifest: its place in the concatenated shards. */
typedef struct {
  const char *name;
  int is_float;
  int ndim;
  int64_t shape[4];
  const uint8_t *data;
  size_t nbytes;
  int used; /* repository tensors whose bytes are this weight's */
} graph_weight;

/* The TF.js graph as the test reads it, independently of the importer. */
typedef struct {
  json_t *model;
  uint8_t *blob;
  graph_weight w[256];
  int n, n_float;
} graph;

/* Reads model.json and its shards (each manifest group's paths concatenated,
 * weights laid out in manifest order, 4 bytes an element). */
static void graph_load(graph *g, const char *dir) {
  char path[PATH_MAX + 64];
  memset(g, 0, sizeof *g);
  snprintf(path, sizeof path, "%s/model.json", dir);
  json_error_t je;
  g->model = json_load_file(path, 0, &je);
  if (!g->model) fail_msg("%s: %s", path, je.text);
  json_t *group, *p, *wt, *d;
  size_t gi, i, k, len = 0;
  json_array_foreach(json_object_get(g->model, "weightsManifest"), gi, group) {
    size_t start = len;
    json_array_foreach(json_object_get(group, "paths"), i, p) {
      snprintf(path, sizeof path, "%s/%s", dir, json_string_value(p));
      size_t n;
      uint8_t *shard = test_read_file(path, &n);
      assert_non_null(shard);
      g->blob = realloc(g->blob, len + n);
      assert_non_null(g->blob);
      memcpy(g->blob + len, shard, n);
      len += n;
      free(shard);
    }
    size_t off = start;
    json_array_foreach(json_object_get(group, "weights"), i, wt) {
      assert_true(g->n < 256);
      graph_weight *w = &g->w[g->n++];
      w->name = json_string_value(json_object_get(wt, "name"));
      w->is_float = strcmp(json_string_value(json_object_get(wt, "dtype")), "float32") == 0;
      g->n_float += w->is_float;
      size_t numel = 1;
      json_array_foreach(json_object_get(wt, "shape"), k, d) {
        assert_true(k < 4);
        w->shape[k] = json_integer_value(d);
        numel *= (size_t)w->shape[k];
      }
      w->ndim = (int)json_array_size(json_object_get(wt, "shape"));
      w->nbytes = numel * 4;
      w->data = (const uint8_t *)(uintptr_t)off; /* an offset until the blob stops moving */
      off += w->nbytes;
    }
    assert_int_equal(off, len);
  }
  for (int i = 0; i < g->n; i++) g->w[i].data = g->blob + (uintptr_t)g->w[i].data;
}

static void graph_free(graph *g) {
  json_decref(g->model);
  free(g->blob);
}

static graph_weight *graph_weight_named(graph *g, const char *name) {
  for (int i = 0; i < g->n; i++)
    if (name && strcmp(g->w[i].name, name) == 0) return &g->w[i];
  return NULL;
}

/* The graph node of op `op` whose name starts with prefix. */
static json_t *graph_node(graph *g, const char *prefix, const char *op) {
  json_t *n;
  size_t i;
  json_array_foreach(json_object_get(json_object_get(g->model, "modelTopology"), "node"), i, n) {
    const char *nm = json_string_value(json_object_get(n, "name"));
    if (strncmp(nm, prefix, strlen(prefix)) == 0 &&
        strcmp(json_string_value(json_object_get(n, "op")), op) == 0)
      return n;
  }
  return NULL;
}

/* The ops of the nodes that read weight `name`, joined with ','. */
static void graph_consumers(graph *g, const char *name, char *out, size_t outlen) {
  json_t *n, *in;
  size_t i, j;
  out[0] = 0;
  json_array_foreach(json_object_get(json_object_get(g->model, "modelTopology"), "node"), i, n) {
    json_array_foreach(json_object_get(n, "input"), j, in) {
      if (strcmp(json_string_value(in), name) == 0)
        snprintf(out + strlen(out), outlen - strlen(out), "%s%s", out[0] ? "," : "",
                 json_string_value(json_object_get(n, "op")));
    }
  }
}

/* The repository shape must be the graph's with unit dimensions dropped. */
static int same_but_units(const safetensors_tensor *t, const graph_weight *w) {
  int64_t a[8], b[8];
  int na = 0, nb = 0;
  for (int d = 0; d < t->ndim; d++)
    if (t->shape[d] != 1) a[na++] = t->shape[d];
  for (int d = 0; d < w->ndim; d++)
    if (w->shape[d] != 1) b[nb++] = w->shape[d];
  return na == nb && memcmp(a, b, sizeof a[0] * (size_t)na) == 0;
}

/* Checks the repository tensor `name` against the weight that node `prefix`
 * (op `op`) takes as input `input`: same bytes, shape less unit dims. */
static void check_fed_by(graph *g, const safetensors_file *st, const char *name, const char *prefix,
                         const char *op, int input, int want_ndim) {
  json_t *node = graph_node(g, prefix, op);
  if (!node) fail_msg("graph node %s* (%s) not found", prefix, op);
  const char *wname = json_string_value(json_array_get(json_object_get(node, "input"), input));
  const graph_weight *w = graph_weight_named(g, wname);
  const safetensors_tensor *t = safetensors_find(st, name);
  if (!w || !t) fail_msg("%s: weight %s or tensor missing", name, wname ? wname : "?");
  assert_int_equal(t->ndim, want_ndim);
  assert_true(same_but_units(t, w));
  assert_int_equal(t->nbytes, w->nbytes);
  if (memcmp(t->data, w->data, w->nbytes) != 0)
    fail_msg("%s differs from the bytes of %s", name, wname);
}

static void test_every_weight_once(void **state) {
  (void)state;
  char graph_dir[PATH_MAX + 8], out_dir[PATH_MAX + 8], out[4096], path[PATH_MAX + 64];
  snprintf(graph_dir, sizeof graph_dir, "%s/graph", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m_once", tmpdir);
  if (import_into(graph_dir, out_dir, out, sizeof out)) fail_msg("import failed: %s", out);
  graph g;
  graph_load(&g, graph_dir);
  /* What issue 2 says the package holds: 167 float tensors, 11 int32 shapes. */
  assert_int_equal(g.n_float, 167);
  assert_int_equal(g.n - g.n_float, 11);
  snprintf(path, sizeof path, "%s/model.safetensors", out_dir);
  size_t len;
  uint8_t *buf = test_read_file(path, &len);
  assert_non_null(buf);
  safetensors_file st;
  char err[256];
  if (safetensors_parse(buf, len, &st, err, sizeof err)) fail_msg("%s: %s", path, err);
  /* 167 - 3 normalisation constants (scale 255, mean, std) go to config.json. */
  assert_int_equal(st.count, 164);
  /* Each repository tensor is the bytes of exactly one float weight of the
   * graph (all 167 differ), and no weight feeds two tensors. */
  for (int i = 0; i < st.count; i++) {
    const safetensors_tensor *t = &st.tensors[i];
    assert_int_equal(t->dtype, ST_F32);
    graph_weight *hit = NULL;
    int hits = 0;
    for (int j = 0; j < g.n; j++) {
      graph_weight *w = &g.w[j];
      if (w->is_float && w->nbytes == t->nbytes && memcmp(w->data, t->data, t->nbytes) == 0)
        hit = w, hits++;
    }
    if (hits != 1) fail_msg("tensor %s matches %d graph weights", t->name, hits);
    if (hit->used++) fail_msg("graph weight %s feeds two tensors", hit->name);
    if (!same_but_units(t, hit))
      fail_msg("%s: shape is not %s's less unit dims", t->name, hit->name);
  }
  /* The unused float weights are exactly the normalisation constants: read
   * by the input's Mul and the two BroadcastTo (then Sub, RealDiv) only. */
  int unused = 0;
  for (int j = 0; j < g.n; j++) {
    if (!g.w[j].is_float || g.w[j].used) continue;
    char ops[256];
    graph_consumers(&g, g.w[j].name, ops, sizeof ops);
    if (strcmp(ops, "Mul") != 0 && strcmp(ops, "BroadcastTo") != 0)
      fail_msg("float weight %s (read by %s) is not in the repository", g.w[j].name, ops);
    unused++;
  }
  assert_int_equal(unused, 3);
  /* Anonymous tensors are named by the node that consumes them. */
  const char *pfx = "StatefulPartitionedCall/model/";
  char node[256];
  snprintf(node, sizeof node, "%sstack_1/block_0/se_reduce_conv2d/", pfx);
  const char *anon = json_string_value(
      json_array_get(json_object_get(graph_node(&g, node, "_FusedConv2D"), "input"), 1));
  assert_non_null(anon);
  assert_non_null(strstr(anon, "Func/StatefulPartitionedCall/input/_"));
  check_fed_by(&g, &st, "stack1.block0.se_reduce.weight", node, "_FusedConv2D", 1, 2);
  check_fed_by(&g, &st, "stack1.block0.se_reduce.bias", node, "_FusedConv2D", 2, 1);
  assert_int_equal(safetensors_find(&st, "stack1.block0.se_reduce.weight")->shape[0], 96);
  assert_int_equal(safetensors_find(&st, "stack1.block0.se_reduce.weight")->shape[1], 4);
  snprintf(node, sizeof node, "%sstack_1/block_0/se_expand_conv2d/", pfx);
  check_fed_by(&g, &st, "stack1.block0.se_expand.weight", node, "_FusedConv2D", 1, 2);
  snprintf(node, sizeof node, "%sstack_3/block_1/depthwise", pfx);
  check_fed_by(&g, &st, "stack3.block1.dw.weight", node, "FusedDepthwiseConv2dNative", 1, 3);
  snprintf(node, sizeof node, "%slogits/", pfx);
  check_fed_by(&g, &st, "head.fc.weight", node, "_FusedMatMul", 1, 2);
  check_fed_by(&g, &st, "head.fc.bias", node, "_FusedMatMul", 2, 1);
  safetensors_free(&st);
  free(buf);
  graph_free(&g);
}

static void test_truncated_shard(void **state) {
  (void)state;
  char cmd[4 * 4200], out[4096], graph[PATH_MAX + 8], out_dir[PATH_MAX + 8];
  snprintf(graph, sizeof graph, "%s/bad", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m2", tmpdir);
  snprintf(cmd, sizeof cmd, "cp -r '%s/graph' '%s' && truncate -s -100 '%s/group1-shard6of6.bin'",
           tmpdir, graph, graph);
  assert_int_equal(run(cmd, out, sizeof out), 0);
  assert_int_equal(import_into(graph, out_dir, out, sizeof out), 1);
  assert_non_null(strstr(out, "import_tfjs: "));
  assert_non_null(strstr(out, "past the end"));
  /* A missing shard names the file. */
  snprintf(cmd, sizeof cmd, "rm '%s/group1-shard3of6.bin'", graph);
  assert_int_equal(run(cmd, out, sizeof out), 0);
  assert_int_equal(import_into(graph, out_dir, out, sizeof out), 1);
  assert_non_null(strstr(out, "group1-shard3of6.bin"));
}

static void test_broken_manifest_and_args(void **state) {
  (void)state;
  char cmd[4 * 4200], out[4096], graph[PATH_MAX + 8], out_dir[PATH_MAX + 8];
  snprintf(graph, sizeof graph, "%s/bad2", tmpdir);
  snprintf(out_dir, sizeof out_dir, "%s/m3", tmpdir);
  snprintf(cmd, sizeof cmd,
           "mkdir -p '%s' && echo '{\"format\": \"graph-model\"' > '%s/model.json'", graph, graph);
  assert_int_equal(run(cmd, out, sizeof out), 0);
  assert_int_equal(import_into(graph, out_dir, out, sizeof out), 1);
  assert_non_null(strstr(out, "model.json"));
  snprintf(cmd, sizeof cmd, "'%s' --graph", test_runfile("blockfuse/model/import_tfjs"));
  assert_int_equal(run(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "needs a value"));
  snprintf(cmd, sizeof cmd, "'%s' --bogus x", test_runfile("blockfuse/model/import_tfjs"));
  assert_int_equal(run(cmd, out, sizeof out), 2);
  assert_non_null(strstr(out, "unknown option"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_reproduces_built_model),
      cmocka_unit_test(test_every_weight_once),
      cmocka_unit_test(test_truncated_shard),
      cmocka_unit_test(test_broken_manifest_and_args),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
