/* Backend selection: maps a name to its ops table and creates an instance. */
#include "model/backend.h"

#include "fused_kernels/cuda_backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int model_backend_open(model_backend *b, const char *name, const model_net *net,
                       const model_backend_config *cfg, char *err, size_t errlen) {
  memset(b, 0, sizeof *b);
  model_backend_config c = cfg ? *cfg : (model_backend_config){0};
  if (c.max_batch <= 0) c.max_batch = net->max_batch;
  const model_backend_ops *ops;
  if (strcmp(name, "cpu") == 0) {
    ops = &model_cpu_backend;
  } else if (strcmp(name, "cuda") == 0) {
    ops = &model_cuda_backend;
  } else if (strcmp(name, "auto") == 0) {
    /* Prefer the GPU; fall back to the CPU when CUDA is absent or fails. */
    char cuda_err[512];
    int rc = model_cuda_backend.create(net, &c, &b->self, cuda_err, sizeof cuda_err);
    if (rc == 0) {
      b->ops = &model_cuda_backend;
      b->net = net;
      return 0;
    }
    ops = &model_cpu_backend;
  } else {
    snprintf(err, errlen, "unknown backend '%s' (expected cpu, cuda or auto)", name);
    return -EINVAL;
  }
  int rc = ops->create(net, &c, &b->self, err, errlen);
  if (rc) return rc;
  b->ops = ops;
  b->net = net;
  return 0;
}

void model_backend_close(model_backend *b) {
  if (b->ops && b->self) b->ops->destroy(b->self);
  memset(b, 0, sizeof *b);
}

int model_backend_devices(const char *name, const char **resolved) {
  int gpus = strcmp(name, "cpu") == 0 ? 0 : cuda_device_count();
  const char *r = NULL;
  int n = -EINVAL;
  if (strcmp(name, "cpu") == 0 || (strcmp(name, "auto") == 0 && gpus == 0))
    r = "cpu", n = 1;
  else if (strcmp(name, "cuda") == 0 || strcmp(name, "auto") == 0)
    r = "cuda", n = gpus;
  if (resolved) *resolved = r;
  return n;
}
