/* The cuda backend of a build made without a CUDA toolkit: every create()
 * fails with a message that says so, "auto" falls back to the CPU, and the
 * test/bench hooks of cuda_backend.h report that no GPU is usable. */
#include <errno.h>
#include <stdio.h>

#include "fused_kernels/cuda_backend.h"
#include "model/backend.h"

static int none_create(const model_net *net, const model_backend_config *cfg, void **self,
                       char *err, size_t errlen) {
  (void)net, (void)cfg, (void)self;
  snprintf(err, errlen,
           "this build of blockfuse has no CUDA support (nvcc was not found at build time)");
  return -ENOTSUP;
}

int cuda_device_count(void) {
  return 0;
}

int cuda_block_test_run(const model_block *b, const float mean[3], const float std[3], int n,
                        const void *in, float *out, long long staged, int zsplit, int device,
                        char *err, size_t errlen) {
  (void)b, (void)mean, (void)std, (void)n, (void)in, (void)out, (void)staged, (void)zsplit;
  (void)device;
  snprintf(err, errlen, "no CUDA support in this build");
  return -ENOTSUP;
}

int cuda_backend_graph_time(void *self, int batch, int iters, int kernels_only, double *seconds,
                            char *err, size_t errlen) {
  (void)self, (void)batch, (void)iters, (void)kernels_only, (void)seconds;
  snprintf(err, errlen, "no CUDA support in this build");
  return -ENOTSUP;
}

int cuda_backend_concurrent_time(void *const *selves, int n, int batch, int iters, int kernels_only,
                                 double *seconds, char *err, size_t errlen) {
  (void)selves, (void)n, (void)batch, (void)iters, (void)kernels_only, (void)seconds;
  snprintf(err, errlen, "no CUDA support in this build");
  return -ENOTSUP;
}

uint8_t *cuda_backend_staging(void *self) {
  (void)self;
  return NULL;
}

int cuda_backend_describe(void *self, int batch, char *buf, size_t len) {
  (void)self, (void)batch;
  return snprintf(buf, len, "no CUDA support in this build\n");
}

int cuda_profiler_window(int on) {
  (void)on;
  return -ENOTSUP;
}

const model_backend_ops model_cuda_backend = {
    .name = "cuda",
    .act_bytes = 2,
    .w_bytes = 2,
    .create = none_create,
};
