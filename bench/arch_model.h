/* Model repositories of the block kinds beyond EfficientNet, with random
 * weights (a fixed seed): ConvNeXt (LayerNorm stem, convnext blocks,
 * downsampling convs, LayerNorm head) and a ConvFirst network (stem,
 * convfirst blocks with grouped convs, a strided convfirst block between
 * stages). For timing and for the backends' agreement; their predictions
 * mean nothing. */
#ifndef BLOCKFUSE_BENCH_ARCH_MODEL_H
#define BLOCKFUSE_BENCH_ARCH_MODEL_H

#include <stddef.h>

/* The architectures arch_model_write knows, NULL-terminated:
 * convnext_tiny (ConvNeXt-T: 224, depths 3-3-9-3, widths 96-768, 1000
 * classes), convnext_test (64, depths 1-2, widths 40-72, 10 classes),
 * convfirst_small (224, depths 2-2-6-2, widths 64-512), convfirst_test
 * (64, depths 2-1, widths 32-48). */
extern const char *const arch_model_names[];

/* Writes config.json, model.safetensors and labels.txt of `arch` into dir
 * (created if missing). Returns 0, or -1 with a message in err. */
int arch_model_write(const char *dir, const char *arch, char *err, size_t errlen);

#endif
