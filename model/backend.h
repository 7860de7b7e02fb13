/* The backend interface: one struct of function pointers that the CPU
 * reference and the CUDA fused backend each implement. The scheduler runs
 * batches through it and knows nothing of how a backend computes.
 *
 * Threading: one backend instance is driven by one executor thread at a time.
 * Lifetime: model_backend_open() creates an instance bound to a model_net that
 * must outlive it; model_backend_close() destroys it. */
#ifndef BLOCKFUSE_MODEL_BACKEND_H
#define BLOCKFUSE_MODEL_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "model/net.h"

typedef struct {
  int threads;       /* CPU worker threads; 0 = number of online cores */
  int device;        /* GPU ordinal */
  int max_batch;     /* largest batch run() will be given; 0 = net->max_batch */
  int profile_every; /* time each block on every Nth run; 0 = never */
  double peak_flops; /* override the measured peak FLOP/s (0 = measure) */
  double peak_bw;    /* override the measured peak bytes/s (0 = measure) */
} model_backend_config;

typedef struct {
  const char *name;
  int act_bytes, w_bytes; /* element sizes, for the minimum-bytes count */
  int (*create)(const model_net *net, const model_backend_config *cfg, void **self, char *err,
                size_t errlen);
  void (*destroy)(void *self);
  /* images: n x in_h x in_w x 3 uint8 RGB (already resized and cropped);
   * logits: n x num_classes. 1 <= n <= max_batch. */
  int (*run)(void *self, const uint8_t *images, int n, float *logits, char *err, size_t errlen);
  /* Per-block time in seconds of the last profiled run, and its batch size.
   * Returns 0 if a profile exists, -EAGAIN if none has been taken yet. */
  int (*block_times)(void *self, double *seconds, int n_blocks, int *batch);
  /* The roofline this backend is judged against: peak FLOP/s and bytes/s. */
  void (*peaks)(void *self, double *flops_per_s, double *bytes_per_s);
  /* Optional (may be NULL, or return NULL): where run() reads its images
   * from (max_batch images, e.g. pinned host memory). A caller that gathers
   * a batch there and passes that pointer to run() saves one copy. Owned by
   * the instance; not to be written while a run() is in flight. */
  uint8_t *(*input_buffer)(void *self);
  /* Optional (may be NULL): how the instance runs a batch of n images, a
   * line per block (the cuda backend's launch plans: the bucket, the
   * kernels' tiles and forms, the image copy's pieces), into buf as
   * snprintf would; returns the length it needed. */
  int (*describe)(void *self, int n, char *buf, size_t len);
  /* Optional (may be NULL): the device's own time for a batch of n, without
   * the host's part of a run (copying the caller's images, the call): the
   * median of `iters` replays with the images' copy in and the logits' out
   * (*with_copies) and without them (*kernels), in seconds. */
  int (*device_time)(void *self, int n, int iters, double *with_copies, double *kernels, char *err,
                     size_t errlen);
} model_backend_ops;

typedef struct {
  const model_backend_ops *ops;
  void *self;
  const model_net *net;
} model_backend;

extern const model_backend_ops model_cpu_backend;
extern const model_backend_ops model_cuda_backend; /* fails create() in builds without CUDA */

/* name: "cpu", "cuda" or "auto" (cuda where a GPU is usable, else cpu). */
int model_backend_open(model_backend *b, const char *name, const model_net *net,
                       const model_backend_config *cfg, char *err, size_t errlen);
void model_backend_close(model_backend *b);

/* Which backend `name` means on this host and how many devices it can use:
 * "cpu" is one device; "cuda" is every visible GPU (0 where none or not
 * built in); "auto" resolves to "cuda" when a GPU is visible, else "cpu".
 * *resolved (may be NULL) receives "cpu" or "cuda"; returns the device
 * count, or -EINVAL for an unknown name. */
int model_backend_devices(const char *name, const char **resolved);

#endif
