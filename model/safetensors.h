/* Reader and writer for the safetensors format: an 8-byte little-endian
 * header length, a JSON header {name: {dtype, shape, data_offsets}}, then the
 * raw tensor bytes. The reader validates every offset against the file. */
#ifndef BLOCKFUSE_MODEL_SAFETENSORS_H
#define BLOCKFUSE_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define SAFETENSORS_MAX_DIMS 8
#define SAFETENSORS_MAX_HEADER (100u * 1024u * 1024u)

typedef enum { ST_F32 = 0, ST_F16, ST_BF16, ST_I32, ST_I64, ST_U8 } safetensors_dtype;

typedef struct {
  char *name;
  safetensors_dtype dtype;
  int ndim;
  int64_t shape[SAFETENSORS_MAX_DIMS];
  const uint8_t *data; /* points into the buffer given to safetensors_parse */
  size_t nbytes;
} safetensors_tensor;

/* Parsed view of a safetensors buffer. Owns the tensor table and names, not
 * the buffer, which must outlive it. Free with safetensors_free(). */
typedef struct {
  safetensors_tensor *tensors;
  int count;
} safetensors_file;

/* Returns 0, or -EINVAL with a message for any malformed header, unknown
 * dtype, shape/size mismatch, overlapping or out-of-range offsets. */
int safetensors_parse(const uint8_t *buf, size_t len, safetensors_file *out, char *err,
                      size_t errlen);
const safetensors_tensor *safetensors_find(const safetensors_file *f, const char *name);
void safetensors_free(safetensors_file *f);

/* Writes fp32 tensors to path. names[i] has shape shapes[i] (ndims[i] dims). */
int safetensors_write_f32(const char *path, int count, const char *const *names,
                          const int *ndims, const int64_t (*shapes)[4], const float *const *data,
                          char *err, size_t errlen);

#endif
