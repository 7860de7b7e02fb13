/* The cuda backend of a build made without a CUDA toolkit: every create()
 * fails with a message that says so, and "auto" falls back to the CPU. */
#include <errno.h>
#include <stdio.h>

#include "model/backend.h"

static int none_create(const model_net *net, const model_backend_config *cfg, void **self,
                       char *err, size_t errlen) {
  (void)net, (void)cfg, (void)self;
  snprintf(err, errlen, "this build of blockfuse has no CUDA support (nvcc was not found at build time)");
  return -ENOTSUP;
}

const model_backend_ops model_cuda_backend = {
    .name = "cuda",
    .act_bytes = 2,
    .w_bytes = 2,
    .create = none_create,
};
