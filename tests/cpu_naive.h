/* Naive direct implementations of every layer and block kind of
 * model/net.h, for the CPU backend tests: straightforward loops with double
 * accumulation, no tiling, no vectorisation, one image at a time. They share
 * nothing with model/cpu_*.c, so they can catch its mistakes. */
#ifndef BLOCKFUSE_TESTS_CPU_NAIVE_H
#define BLOCKFUSE_TESTS_CPU_NAIVE_H

#include <stddef.h>

#include "model/net.h"

double naive_act(model_act a, double x);

/* Direct grouped conv of one image; w [K][K][cin/groups][cout], b may be NULL. */
void naive_conv(const float *in, int h, int w, int cin, int k, int s, int pt, int pl, int oh,
                int ow, int groups, int cout, const float *wt, const float *b, model_act act,
                float *out);

/* 1x1 conv / dense over npix pixels. */
void naive_pw(const float *in, size_t npix, int cin, const float *w, const float *b, int cout,
              model_act act, float *out);

/* LayerNorm over c channels of each pixel, in place. */
void naive_ln(float *x, size_t npix, int c, const float *g, const float *b, float eps);

/* One block on one image (STEM: uint8 pixels normalised with mean / std). */
void naive_block(const model_block *b, const float mean[3], const float std[3], const void *in,
                 float *out);

#endif
