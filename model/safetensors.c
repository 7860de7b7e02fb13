/* safetensors reader/writer. The reader trusts nothing in the file: header
 * length, JSON, dtypes, shapes and offsets are all checked against the buffer. */
#define _POSIX_C_SOURCE 200809L
#include "model/safetensors.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *name;
  safetensors_dtype dtype;
  size_t size;
} dtype_table[] = {
    {"F32", ST_F32, 4}, {"F16", ST_F16, 2}, {"BF16", ST_BF16, 2},
    {"I32", ST_I32, 4}, {"I64", ST_I64, 8}, {"U8", ST_U8, 1},
};

static int dtype_lookup(const char *s, safetensors_dtype *dt, size_t *size) {
  for (size_t i = 0; i < sizeof dtype_table / sizeof dtype_table[0]; i++) {
    if (strcmp(s, dtype_table[i].name) == 0) {
      *dt = dtype_table[i].dtype;
      *size = dtype_table[i].size;
      return 0;
    }
  }
  return -1;
}

static int cmp_offset(const void *a, const void *b) {
  const safetensors_tensor *x = a, *y = b;
  return x->data < y->data ? -1 : x->data > y->data;
}

/* Parses one tensor entry; returns 0 or -EINVAL with err set. */
static int parse_entry(const char *name, json_t *v, const uint8_t *data, size_t data_len,
                       safetensors_tensor *t, char *err, size_t errlen) {
  json_t *dt = json_object_get(v, "dtype"), *shape = json_object_get(v, "shape"),
         *offs = json_object_get(v, "data_offsets");
  if (!json_is_string(dt) || !json_is_array(shape) || !json_is_array(offs) ||
      json_array_size(offs) != 2) {
    snprintf(err, errlen, "tensor '%s': needs dtype, shape and data_offsets[2]", name);
    return -EINVAL;
  }
  size_t esize;
  if (dtype_lookup(json_string_value(dt), &t->dtype, &esize) != 0) {
    snprintf(err, errlen, "tensor '%s': unsupported dtype '%s'", name, json_string_value(dt));
    return -EINVAL;
  }
  size_t nd = json_array_size(shape);
  if (nd > SAFETENSORS_MAX_DIMS) {
    snprintf(err, errlen, "tensor '%s': %zu dims (max %d)", name, nd, SAFETENSORS_MAX_DIMS);
    return -EINVAL;
  }
  uint64_t numel = 1;
  for (size_t i = 0; i < nd; i++) {
    json_t *d = json_array_get(shape, i);
    if (!json_is_integer(d) || json_integer_value(d) < 0 ||
        json_integer_value(d) > (json_int_t)1 << 40) {
      snprintf(err, errlen, "tensor '%s': bad shape dimension %zu", name, i);
      return -EINVAL;
    }
    t->shape[i] = json_integer_value(d);
    numel *= (uint64_t)t->shape[i];
    if (numel > ((uint64_t)1 << 40)) {
      snprintf(err, errlen, "tensor '%s': too many elements", name);
      return -EINVAL;
    }
  }
  t->ndim = (int)nd;
  json_t *o0 = json_array_get(offs, 0), *o1 = json_array_get(offs, 1);
  if (!json_is_integer(o0) || !json_is_integer(o1) || json_integer_value(o0) < 0 ||
      json_integer_value(o1) < json_integer_value(o0) ||
      (uint64_t)json_integer_value(o1) > data_len) {
    snprintf(err, errlen, "tensor '%s': data_offsets out of range (data is %zu bytes)", name,
             data_len);
    return -EINVAL;
  }
  uint64_t begin = (uint64_t)json_integer_value(o0), end = (uint64_t)json_integer_value(o1);
  if (end - begin != numel * esize) {
    snprintf(err, errlen, "tensor '%s': %llu bytes for %llu elements of %zu bytes", name,
             (unsigned long long)(end - begin), (unsigned long long)numel, esize);
    return -EINVAL;
  }
  t->data = data + begin;
  t->nbytes = (size_t)(end - begin);
  t->name = strdup(name);
  if (!t->name) return -ENOMEM;
  return 0;
}

int safetensors_parse(const uint8_t *buf, size_t len, safetensors_file *out, char *err,
                      size_t errlen) {
  memset(out, 0, sizeof *out);
  if (len < 8) {
    snprintf(err, errlen, "file too short for a safetensors header (%zu bytes)", len);
    return -EINVAL;
  }
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | buf[i];
  if (hlen > SAFETENSORS_MAX_HEADER || hlen > len - 8) {
    snprintf(err, errlen, "header length %llu exceeds the file (%zu bytes)",
             (unsigned long long)hlen, len);
    return -EINVAL;
  }
  json_error_t jerr;
  json_t *root = json_loadb((const char *)buf + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &jerr);
  if (!root || !json_is_object(root)) {
    snprintf(err, errlen, "header is not a JSON object: %s", root ? "wrong type" : jerr.text);
    json_decref(root);
    return -EINVAL;
  }
  const uint8_t *data = buf + 8 + hlen;
  size_t data_len = len - 8 - (size_t)hlen;
  size_t n = json_object_size(root);
  out->tensors = calloc(n ? n : 1, sizeof *out->tensors);
  if (!out->tensors) {
    json_decref(root);
    return -ENOMEM;
  }
  int rc = 0;
  const char *key;
  json_t *v;
  json_object_foreach(root, key, v) {
    if (strcmp(key, "__metadata__") == 0) {
      if (!json_is_object(v)) {
        snprintf(err, errlen, "__metadata__ must be an object");
        rc = -EINVAL;
        break;
      }
      continue;
    }
    if (!json_is_object(v)) {
      snprintf(err, errlen, "tensor '%s': entry is not an object", key);
      rc = -EINVAL;
      break;
    }
    rc = parse_entry(key, v, data, data_len, &out->tensors[out->count], err, errlen);
    if (rc) break;
    out->count++;
  }
  json_decref(root);
  if (rc == 0 && out->count > 1) {
    /* Tensors must not overlap: sort a copy of the table by offset and check. */
    safetensors_tensor *s = malloc((size_t)out->count * sizeof *s);
    if (!s) {
      rc = -ENOMEM;
    } else {
      memcpy(s, out->tensors, (size_t)out->count * sizeof *s);
      qsort(s, (size_t)out->count, sizeof *s, cmp_offset);
      for (int i = 1; i < out->count && rc == 0; i++) {
        if (s[i].data < s[i - 1].data + s[i - 1].nbytes) {
          snprintf(err, errlen, "tensors '%s' and '%s' overlap", s[i - 1].name, s[i].name);
          rc = -EINVAL;
        }
      }
      free(s);
    }
  }
  if (rc) safetensors_free(out);
  return rc;
}

const safetensors_tensor *safetensors_find(const safetensors_file *f, const char *name) {
  for (int i = 0; i < f->count; i++)
    if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
  return NULL;
}

void safetensors_free(safetensors_file *f) {
  if (!f->tensors) return;
  for (int i = 0; i < f->count; i++) free(f->tensors[i].name);
  free(f->tensors);
  f->tensors = NULL;
  f->count = 0;
}

int safetensors_write_f32(const char *path, int count, const char *const *names, const int *ndims,
                          const int64_t (*shapes)[4], const float *const *data, char *err,
                          size_t errlen) {
  json_t *hdr = json_object();
  if (!hdr) return -ENOMEM;
  uint64_t off = 0;
  int rc = 0;
  for (int i = 0; i < count && rc == 0; i++) {
    json_t *shape = json_array();
    uint64_t numel = 1;
    for (int d = 0; d < ndims[i]; d++) {
      json_array_append_new(shape, json_integer(shapes[i][d]));
      numel *= (uint64_t)shapes[i][d];
    }
    json_t *e = json_pack("{s:s, s:o, s:[I,I]}", "dtype", "F32", "shape", shape, "data_offsets",
                          (json_int_t)off, (json_int_t)(off + numel * 4));
    if (!e || json_object_set_new(hdr, names[i], e) != 0) {
      snprintf(err, errlen, "cannot build header entry for '%s'", names[i]);
      rc = -ENOMEM;
    }
    off += numel * 4;
  }
  char *text = rc ? NULL : json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(hdr);
  if (rc) return rc;
  if (!text) return -ENOMEM;
  size_t tlen = strlen(text), pad = (8 - tlen % 8) % 8; /* keep tensor data 8-byte aligned */
  FILE *f = fopen(path, "wb");
  if (!f) {
    snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
    free(text);
    return -errno;
  }
  uint64_t hlen = tlen + pad;
  uint8_t lenbuf[8];
  for (int i = 0; i < 8; i++) lenbuf[i] = (uint8_t)(hlen >> (8 * i));
  int ok = fwrite(lenbuf, 1, 8, f) == 8 && fwrite(text, 1, tlen, f) == tlen &&
           fwrite("        ", 1, pad, f) == pad;
  free(text);
  for (int i = 0; i < count && ok; i++) {
    size_t numel = 1;
    for (int d = 0; d < ndims[i]; d++) numel *= (size_t)shapes[i][d];
    ok = fwrite(data[i], 4, numel, f) == numel;
  }
  if (fclose(f) != 0) ok = 0;
  if (!ok) {
    snprintf(err, errlen, "write to %s failed", path);
    return -EIO;
  }
  return 0;
}
