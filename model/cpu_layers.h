/* The CPU reference: each layer kind and each block kind of model/net.h in
 * plain C, fp32 NHWC. These are the functions that tests and the CUDA
 * kernels are checked against; the "cpu" backend runs the same code.
 *
 * Weight layouts are those of model/net.h: spatial conv [K][K][Cin/g][Cout],
 * depthwise [K][K][C], 1x1 / dense [Cin][Cout]. A NULL bias means zero.
 * Padding: pad_t / pad_l zero rows / columns before the first input row /
 * column; output sizes are given, so TF-SAME (extra padding at the bottom and
 * right) and symmetric padding are both just a choice of pads and sizes. */
#ifndef BLOCKFUSE_MODEL_CPU_LAYERS_H
#define BLOCKFUSE_MODEL_CPU_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "model/net.h"

/* One activation of a scalar (relu, relu6, swish, exact-erf gelu, sigmoid). */
float cpu_act(model_act a, float x);

/* 1x1 convolution / dense layer over npix pixels:
 *   out[p][co] = act(b[co] + sum_ci in[p][ci] * w[ci][co]).
 * Returns 0, or -ENOMEM / -EINVAL with a message. */
int cpu_pointwise(const float *in, size_t npix, int cin, const float *w, const float *b, int cout,
                  model_act act, float *out, char *err, size_t errlen);

/* Depthwise KxK convolution, stride s, of one image:
 *   out[oh][ow][c] = act(b[c] + sum in[oh*s - pad_t + kh][ow*s - pad_l + kw][c] * w[kh][kw][c]). */
void cpu_depthwise(const float *in, int in_h, int in_w, int c, int k, int s, int pad_t, int pad_l,
                   int out_h, int out_w, const float *w, const float *b, model_act act, float *out);

/* Grouped KxK convolution, stride s, of one image (groups must divide cin
 * and cout). Returns 0, or -ENOMEM / -EINVAL with a message. */
int cpu_conv2d(const float *in, int in_h, int in_w, int cin, int k, int s, int pad_t, int pad_l,
               int out_h, int out_w, int groups, int cout, const float *w, const float *b,
               model_act act, float *out, char *err, size_t errlen);

/* LayerNorm over the c channels of each of npix pixels; g / b may be NULL.
 * y may equal x. */
void cpu_layernorm(const float *x, size_t npix, int c, const float *g, const float *b, float eps,
                   float *y);

/* One whole block on n images, exactly as the backend runs it.
 * in: for STEM, n x in_h x in_w x 3 uint8 normalised with mean / std;
 * otherwise n x in_h x in_w x in_c floats. out: n x out_h x out_w x out_c
 * floats (HEAD: n x out_c logits). threads: 0 = online cores. tile_rows:
 * rows per fused tile, 0 = chosen from the cache budget.
 * Returns 0, or a negative errno with a message (bad block, no memory). */
int cpu_block_forward(const model_block *b, const float mean[3], const float std[3], const void *in,
                      int n, float *out, int threads, int tile_rows, char *err, size_t errlen);

#endif
