/* Network description: what a model repository (config.json + safetensors +
 * labels) resolves to. Every shape is resolved at load time, so backends never
 * parse configuration; they walk `blocks` in order.
 *
 * Lifetime: model_net_load() fills a caller-owned model_net; it owns its
 * labels, blocks and the weight file mapping until model_net_free().
 * Weight layouts (all fp32, see docs/model-format.md):
 *   spatial conv  [KH][KW][Cin/groups][Cout]   (HWIO)
 *   depthwise     [KH][KW][C]
 *   1x1 / dense   [Cin][Cout]
 */
#ifndef BLOCKFUSE_MODEL_NET_H
#define BLOCKFUSE_MODEL_NET_H

#include <stddef.h>
#include <stdint.h>

#define MODEL_NAME_MAX 64

typedef enum {
  MODEL_ACT_NONE = 0,
  MODEL_ACT_RELU,
  MODEL_ACT_RELU6,
  MODEL_ACT_SWISH, /* x * sigmoid(x), a.k.a. SiLU */
  MODEL_ACT_GELU,  /* exact erf form */
  MODEL_ACT_SIGMOID,
} model_act;

typedef enum {
  MODEL_BLOCK_STEM = 0,   /* uint8 normalise -> KxK conv, stride s -> [LayerNorm] -> act */
  MODEL_BLOCK_MBCONV,     /* [1x1 expand -> act] -> KxK dw -> act -> [SE] -> 1x1 project -> [+x] */
  MODEL_BLOCK_CONVFIRST,  /* KxK grouped/dw conv -> 1x1 expand -> act -> 1x1 project -> [+x] */
  MODEL_BLOCK_CONVNEXT,   /* 7x7 dw -> LayerNorm -> 1x1 expand -> GELU -> 1x1 project -> scale -> +x
                           */
  MODEL_BLOCK_DOWNSAMPLE, /* [LayerNorm] -> KxK conv stride s (ConvNeXt stages) */
  MODEL_BLOCK_HEAD,       /* [1x1 conv -> act] -> global mean -> [LayerNorm] -> FC -> logits */
} model_block_kind;

/* A weight tensor inside the mapped safetensors file; data == NULL if absent. */
typedef struct {
  const float *data;
  int ndim;
  int64_t shape[4];
  size_t numel;
} model_tensor;

typedef struct {
  char name[48];
  model_block_kind kind;
  int in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int kernel, stride;              /* the block's spatial conv (stem, dw, grouped, downsample) */
  int pad_t, pad_l;                /* resolved padding before the first row / column */
  int groups;                      /* spatial conv groups (depthwise: = channels) */
  int mid_c;                       /* expanded width; head: conv width (0 = no head conv) */
  int se_c;                        /* squeeze width, 0 = no squeeze-excite */
  model_act act;                   /* main activation */
  model_act se_act;                /* activation inside SE (gate is always sigmoid) */
  int residual;                    /* 1: output += block input */
  float ln_eps;                    /* LayerNorm epsilon */
  model_tensor conv_w, conv_b;     /* stem / downsample / ConvFirst spatial conv */
  model_tensor expand_w, expand_b; /* [Cin][Cmid]; head: [Cin][Chead] */
  model_tensor dw_w, dw_b;         /* [K][K][C] */
  model_tensor se_reduce_w, se_reduce_b; /* [Cmid][Cse] */
  model_tensor se_expand_w, se_expand_b; /* [Cse][Cmid] */
  model_tensor project_w, project_b;     /* [Cmid][Cout] */
  model_tensor norm_w, norm_b;           /* LayerNorm gamma / beta */
  model_tensor layer_scale;              /* [Cout] */
  model_tensor fc_w, fc_b;               /* head: [C][classes] */
} model_block;

typedef struct {
  char name[MODEL_NAME_MAX];
  char architecture[32];
  int in_h, in_w, in_c; /* network input, NHWC uint8 RGB */
  /* Preprocessing, applied by the backend to uint8 pixels p: (p - mean) / std. */
  float mean[3], std[3];
  int resize_shorter; /* host side: resize shorter edge to this, then centre-crop */
  int max_batch;
  int num_classes;
  char **labels; /* num_classes strings */
  model_block *blocks;
  int n_blocks;
  /* private */
  void *map;
  size_t map_len;
} model_net;

/* Loads models/<name>/ (config.json, the weights and labels it names) and
 * checks every tensor's presence and shape against the architecture.
 * Returns 0, or a negative errno with a message in err. */
int model_net_load(const char *dir, model_net *net, char *err, size_t errlen);
void model_net_free(model_net *net);

/* Cost of one block for `batch` images: FLOPs (a multiply-add is 2) and the
 * minimum DRAM bytes (input + output activations once, weights once) with
 * activations of `act_bytes` and weights of `w_bytes` per element. */
double model_block_flops(const model_block *b, int batch);
double model_block_min_bytes(const model_block *b, int batch, int act_bytes, int w_bytes);

/* The roofline's ideal time of `flops` and `bytes` on a device with these
 * peaks: max(flops / peak_flops, bytes / peak_bw), a term counting 0 where
 * its peak is unknown (<= 0). Efficiency is this over the measured time. */
double model_roofline_seconds(double flops, double bytes, double peak_flops, double peak_bw);

const char *model_block_kind_name(model_block_kind k);
const char *model_act_name(model_act a);
int model_act_parse(const char *s, model_act *out);

/* "SAME" padding as TensorFlow computes it (extra pad at bottom/right) or
 * symmetric k/2 padding as PyTorch does; returns the output size. */
int model_conv_out(int in, int k, int s, int tf_same, int *pad_before);

#endif
