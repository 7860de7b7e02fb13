/* Inner kernels of the CPU backend (private to model/cpu_*.c): a packed,
 * register-blocked GEMM for 1x1 convolutions, dense layers and im2col'ed
 * spatial convolutions; a depthwise row kernel vectorised over channels;
 * im2col, LayerNorm and activations.
 *
 * Layout: NHWC activations; a "row" is in_w pixels x C channels, contiguous. */
#ifndef BLOCKFUSE_MODEL_CPU_KERNELS_H
#define BLOCKFUSE_MODEL_CPU_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "model/net.h"

/* Eight floats; the unaligned variant is for loads from activations. */
typedef float cpu_v8 __attribute__((vector_size(32)));
typedef float cpu_v8u __attribute__((vector_size(32), aligned(4)));

#define CPU_NR 16 /* output columns per GEMM panel (two vectors) */
#define CPU_MR 6  /* pixels per micro-kernel call */

/* GEMM weights packed into panels of CPU_NR columns, zero padded:
 *   w[(g * ppg + panel) * k * CPU_NR + kk * CPU_NR + j] = W[kk][g * n + panel * CPU_NR + j]
 * bias / scale are padded the same way (scale NULL = none). The source is
 * [k][groups * n] row-major (1x1 [Cin][Cout], HWIO reshaped to [K*K*Cin/g][Cout]).
 * Owned by whoever called cpu_pack_init(); freed by cpu_pack_free(). */
typedef struct {
  int k, n, groups, ppg;
  float *w, *bias, *scale;
} cpu_pack;

/* Packs src ([k][groups*n]); bias / scale ([groups*n]) may be NULL.
 * Returns 0 or -ENOMEM. */
int cpu_pack_init(cpu_pack *p, const float *src, int k, int n, int groups, const float *bias,
                  const float *scale);
void cpu_pack_free(cpu_pack *p);

/* For group g, panels [p0, p1) of it and m pixels:
 *   c[i][g*n + j] = act(a[i] . W_g[:, j] + bias) * scale + res[i][g*n + j]
 * a: m rows of k floats, stride lda; res (may be NULL) stride ldr; c stride ldc. */
void cpu_gemm(const cpu_pack *w, int g, int p0, int p1, const float *a, size_t lda, int m,
              model_act act, const float *res, size_t ldr, float *c, size_t ldc);

/* One output row of a depthwise KxK conv, stride s:
 *   out[ow][c] = act(b[c] + sum rows[kh][(ow*s - pad_l + kw)*C + c] * w[(kh*K + kw)*C + c])
 * rows[kh] == NULL marks a padding row; columns outside [0, in_w) are zero.
 * b may be NULL. */
void cpu_dw_row(const float *const *rows, int in_w, int C, int K, int s, int pad_l, const float *w,
                const float *b, model_act act, int out_w, float *out);

/* One output row of im2col for channels [c0, c0 + cg) of a C-channel input:
 *   col[ow][(kh*K + kw)*cg + ci] = rows[kh][iw*C + c0 + ci], zero where padded. */
void cpu_im2col_row(const float *const *rows, int in_w, int C, int c0, int cg, int K, int s,
                    int pad_l, int out_w, float *col);

/* The same from 3-channel uint8 pixels, normalised through lut[c][p]. */
void cpu_im2col_row_u8(const uint8_t *const *rows, int in_w, int K, int s, int pad_l, int out_w,
                       const float lut[3][256], float *col);

/* y[p] = (x[p] - mean) / sqrt(var + eps) * g + b over C channels, per pixel;
 * g / b may be NULL (1 / 0). y may equal x. */
void cpu_layernorm_rows(const float *x, float *y, size_t npix, int C, const float *g,
                        const float *b, float eps);

/* sums[c] += sum over npix pixels of x[p][c]. */
void cpu_sum_pixels(const float *x, size_t npix, int C, float *sums);

/* x[p][c] *= s[c] for npix pixels. */
void cpu_scale_channels(float *x, size_t npix, int C, const float *s);

/* Scalar activation, and in place over n floats. */
float cpu_act_f(model_act a, float x);
void cpu_act_inplace(model_act a, float *x, size_t n);

/* Dense layer for one vector, plain loops: y[j] = act(b[j] + sum_i x[i] w[i][j]). */
void cpu_dense_vec(const float *x, int k, const float *w, const float *b, int n, model_act act,
                   float *y);

/* Allocates n floats aligned to 64 bytes (free with free()); NULL on failure. */
float *cpu_alloc_floats(size_t n);

#endif
