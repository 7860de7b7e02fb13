/* Pieces shared by the CLI subcommands and the daemon. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/cli.h"

static int is_model_dir(const char *dir) {
  char p[6 * PATH_MAX];
  struct stat st;
  snprintf(p, sizeof p, "%s/config.json", dir);
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int cli_default_model_dir(char *out, size_t len, char *err, size_t errlen) {
  const char *env = getenv("BLOCKFUSE_MODEL_DIR");
  if (env && *env) {
    if (!is_model_dir(env)) {
      snprintf(err, errlen, "BLOCKFUSE_MODEL_DIR=%s holds no config.json", env);
      return -ENOENT;
    }
    snprintf(out, len, "%s", env);
    return 0;
  }
  char exe[PATH_MAX] = "";
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) exe[n] = 0;
  char exedir[PATH_MAX];
  snprintf(exedir, sizeof exedir, "%s", exe);
  char *dir = dirname(exedir);
  const char *runfiles = getenv("RUNFILES_DIR");
  char cand[5][PATH_MAX + 64];
  int nc = 0;
  if (runfiles)
    snprintf(cand[nc++], sizeof cand[0], "%s/blockfuse/models/%s", runfiles, CLI_DEFAULT_MODEL);
  if (exe[0]) {
    snprintf(cand[nc++], sizeof cand[0], "%s.runfiles/blockfuse/models/%s", exe, CLI_DEFAULT_MODEL);
    /* bazel-bin/server/blockfuse: the model is built at bazel-bin/models/. */
    snprintf(cand[nc++], sizeof cand[0], "%s/../models/%s", dir, CLI_DEFAULT_MODEL);
    snprintf(cand[nc++], sizeof cand[0], "%s/../share/blockfuse/models/%s", dir, CLI_DEFAULT_MODEL);
  }
  snprintf(cand[nc++], sizeof cand[0], "/usr/share/blockfuse/models/%s", CLI_DEFAULT_MODEL);
  for (int i = 0; i < nc; i++) {
    if (is_model_dir(cand[i])) {
      snprintf(out, len, "%s", cand[i]);
      return 0;
    }
  }
  snprintf(err, errlen,
           "default model '%s' not found (looked in $BLOCKFUSE_MODEL_DIR, the Bazel runfiles, "
           "and %s); build it with `./bazelw build //models:efficientnet_b0` or pass --model DIR",
           CLI_DEFAULT_MODEL, cand[nc - 1]);
  return -ENOENT;
}

void cli_softmax(float *x, int n) {
  float m = x[0];
  for (int i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
  double s = 0;
  for (int i = 0; i < n; i++) s += (x[i] = expf(x[i] - m));
  for (int i = 0; i < n; i++) x[i] = (float)(x[i] / s);
}

int cli_top_k(const float *scores, int n, int k, cli_class *out) {
  if (k > n) k = n;
  int have = 0;
  for (int i = 0; i < n; i++) {
    /* Insertion into a sorted list of at most k: k is small. */
    if (have == k && scores[i] <= out[k - 1].score) continue;
    int j = have < k ? have++ : k - 1;
    while (j > 0 && out[j - 1].score < scores[i]) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = (cli_class){i, scores[i]};
  }
  return k;
}

/* Checks that dir/config.json can be opened and is a regular file, so that
 * a wrong --model gets the OS's reason (model_net_load's message for a file
 * jansson cannot open ends in a meaningless "(line -1)"). 0 or -errno. */
static int check_config(const char *dir, char *err, size_t errlen) {
  char p[4096 + 16];
  struct stat st;
  if (stat(dir, &st) != 0) {
    int e = errno;
    snprintf(err, errlen, "%s", strerror(e));
    return -e;
  }
  if (!S_ISDIR(st.st_mode)) {
    snprintf(err, errlen, "not a directory (expected a model repository with config.json)");
    return -ENOTDIR;
  }
  snprintf(p, sizeof p, "%s/config.json", dir);
  int fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  int rc = 0;
  if (fd < 0 || fstat(fd, &st) != 0) {
    rc = -errno;
    snprintf(err, errlen, "config.json: %s", strerror(-rc));
  } else if (!S_ISREG(st.st_mode)) {
    rc = -EINVAL;
    snprintf(err, errlen, "config.json: not a regular file");
  }
  if (fd >= 0) close(fd);
  return rc;
}

int cli_open_model(const char *cmd, const char *model_dir, const char *name,
                   const model_backend_config *cfg, model_net *net, model_backend *be) {
  char err[1024], dirbuf[4096];
  if (!model_dir) {
    if (cli_default_model_dir(dirbuf, sizeof dirbuf, err, sizeof err)) {
      fprintf(stderr, "blockfuse %s: %s\n", cmd, err);
      return 1;
    }
    model_dir = dirbuf;
  }
  if (check_config(model_dir, err, sizeof err)) {
    fprintf(stderr, "blockfuse %s: model %s: %s\n", cmd, model_dir, err);
    return 1;
  }
  if (model_net_load(model_dir, net, err, sizeof err)) {
    fprintf(stderr, "blockfuse %s: model %s: %s\n", cmd, model_dir, err);
    return 1;
  }
  if (cfg->max_batch > net->max_batch) {
    fprintf(stderr, "blockfuse %s: --batch %d exceeds the model's max_batch_size %d\n", cmd,
            cfg->max_batch, net->max_batch);
    model_net_free(net);
    return 2;
  }
  if (model_backend_open(be, name, net, cfg, err, sizeof err)) {
    fprintf(stderr, "blockfuse %s: backend %s: %s\n", cmd, name, err);
    model_net_free(net);
    return 1;
  }
  return 0;
}
