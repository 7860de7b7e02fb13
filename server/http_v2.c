/* KServe v2 infer: parse + validate, tensor -> images, response encoding. */
#include "server/http_v2.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http_codec.h"
#include "server/json_parse.h"
#include "server/json_text.h"

static const char *const output_names[HTTP_V2_MAX_OUTPUTS] = {"logits", "probabilities"};

/* Reads an optional non-negative integer parameter; -EINVAL if mistyped. */
static int get_int_param(json_t *params, const char *key, int64_t max, int64_t *v, char *err,
                         size_t errlen) {
  json_t *x = params ? json_object_get(params, key) : NULL;
  if (!x) return 0;
  if (!json_is_integer(x) || json_integer_value(x) < 0 || json_integer_value(x) > max) {
    snprintf(err, errlen, "parameter '%s' must be an integer in 0..%lld", key, (long long)max);
    return -EINVAL;
  }
  *v = json_integer_value(x);
  return 0;
}

/* Reads an optional boolean parameter. */
static int get_bool_param(json_t *params, const char *key, int *v, char *err, size_t errlen) {
  json_t *x = params ? json_object_get(params, key) : NULL;
  if (!x) return 0;
  if (!json_is_boolean(x)) {
    snprintf(err, errlen, "parameter '%s' must be a boolean", key);
    return -EINVAL;
  }
  *v = json_is_true(x);
  return 0;
}

/* Counts leaf elements of (possibly nested) JSON data; -1 if a leaf is
 * neither number nor (when strings_ok) string/object. */
static long long count_leaves(json_t *d, int strings_ok) {
  if (json_is_array(d)) {
    long long n = 0;
    size_t i;
    json_t *v;
    json_array_foreach(d, i, v) {
      long long c = count_leaves(v, strings_ok);
      if (c < 0) return -1;
      n += c;
    }
    return n;
  }
  if (strings_ok) return (json_is_string(d) || json_is_object(d)) ? 1 : -1;
  return json_is_number(d) ? 1 : -1;
}

/* Parses outputs[] (or defaults to every output) plus request-level
 * classification and binary_data_output parameters. */
static int parse_outputs(json_t *root, json_t *params, const http_model_info *m, http_v2_request *r,
                         char *err, size_t errlen) {
  int64_t cls = 0;
  int all_bin = 0;
  if (get_int_param(params, "classification", m->num_classes, &cls, err, errlen) ||
      get_bool_param(params, "binary_data_output", &all_bin, err, errlen))
    return -EINVAL;
  json_t *outs = json_object_get(root, "outputs");
  if (!outs || (json_is_array(outs) && json_array_size(outs) == 0)) {
    for (int i = 0; i < HTTP_V2_MAX_OUTPUTS; i++)
      r->outputs[i] = (http_v2_output){i, (int)cls, all_bin};
    r->n_outputs = cls ? 1 : HTTP_V2_MAX_OUTPUTS; /* classification: one list */
    if (cls) r->outputs[0].which = 1;
    return 0;
  }
  if (!json_is_array(outs) || json_array_size(outs) > HTTP_V2_MAX_OUTPUTS) {
    snprintf(err, errlen, "'outputs' must be an array of at most %d outputs", HTTP_V2_MAX_OUTPUTS);
    return -EINVAL;
  }
  size_t i;
  json_t *o;
  json_array_foreach(outs, i, o) {
    json_t *name = json_is_object(o) ? json_object_get(o, "name") : NULL;
    if (!json_is_string(name)) {
      snprintf(err, errlen, "outputs[%zu] needs a string 'name'", i);
      return -EINVAL;
    }
    int which = -1;
    for (int k = 0; k < HTTP_V2_MAX_OUTPUTS; k++)
      if (strcmp(json_string_value(name), output_names[k]) == 0) which = k;
    if (which < 0) {
      snprintf(err, errlen, "unknown output '%.64s' (have: logits, probabilities)",
               json_string_value(name));
      return -ENOENT;
    }
    json_t *op = json_object_get(o, "parameters");
    int64_t ocls = cls;
    int bin = all_bin;
    if ((op && !json_is_object(op)) ||
        get_int_param(op, "classification", m->num_classes, &ocls, err, errlen) ||
        get_bool_param(op, "binary_data", &bin, err, errlen)) {
      if (op && !json_is_object(op)) snprintf(err, errlen, "outputs[%zu].parameters", i);
      return -EINVAL;
    }
    r->outputs[r->n_outputs++] = (http_v2_output){which, (int)ocls, bin};
  }
  return 0;
}

/* Validates the one input's name, datatype, shape and data/binary size. */
static int parse_input(json_t *in, const uint8_t *bin, size_t bin_len, const http_model_info *m,
                       http_v2_request *r, char *err, size_t errlen) {
  json_t *name = json_object_get(in, "name"), *dt = json_object_get(in, "datatype");
  json_t *shape = json_object_get(in, "shape"), *params = json_object_get(in, "parameters");
  if (!json_is_string(name) || !json_is_string(dt) || !json_is_array(shape)) {
    snprintf(err, errlen, "input needs string 'name', string 'datatype' and array 'shape'");
    return -EINVAL;
  }
  const char *nm = json_string_value(name), *d = json_string_value(dt);
  if (strcmp(nm, "input") == 0) {
    if (strcmp(d, "UINT8") == 0)
      r->dtype = HTTP_DT_UINT8;
    else if (strcmp(d, "FP32") == 0)
      r->dtype = HTTP_DT_FP32;
    else {
      snprintf(err, errlen, "input 'input' has datatype %.16s; expected UINT8 or FP32", d);
      return -EINVAL;
    }
  } else if (strcmp(nm, "image") == 0) {
    if (strcmp(d, "BYTES") != 0) {
      snprintf(err, errlen, "input 'image' has datatype %.16s; expected BYTES", d);
      return -EINVAL;
    }
    r->dtype = HTTP_DT_BYTES;
    r->is_image = 1;
  } else {
    snprintf(err, errlen, "unknown input '%.64s' (have: input, image)", nm);
    return -ENOENT;
  }
  r->ndim = (int)json_array_size(shape);
  int want = r->is_image ? 1 : 4;
  if (r->ndim != want && !(r->is_image && r->ndim == 2)) {
    snprintf(err, errlen, "input '%s' has %d dimensions; expected %s", nm, r->ndim,
             r->is_image ? "[N] or [N,1]" : "[N,H,W,3]");
    return -EINVAL;
  }
  long long elems = 1;
  for (int i = 0; i < r->ndim; i++) {
    json_t *v = json_array_get(shape, (size_t)i);
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > (1 << 28)) {
      snprintf(err, errlen, "shape[%d] must be a positive integer", i);
      return -EINVAL;
    }
    r->shape[i] = json_integer_value(v);
    elems *= r->shape[i];
    if (elems > (1ll << 40)) {
      snprintf(err, errlen, "shape too large");
      return -EINVAL;
    }
  }
  if ((!r->is_image && r->shape[3] != 3) || (r->is_image && r->ndim == 2 && r->shape[1] != 1)) {
    snprintf(err, errlen, "input '%s': expected shape %s", nm,
             r->is_image ? "[N] or [N,1]" : "[N,H,W,3]");
    return -EINVAL;
  }
  if (!r->is_image && (uint64_t)r->shape[1] * (uint64_t)r->shape[2] > m->max_pixels) {
    snprintf(err, errlen, "image %lldx%lld exceeds max_image_pixels %llu", (long long)r->shape[2],
             (long long)r->shape[1], (unsigned long long)m->max_pixels);
    return -EINVAL;
  }
  if (r->shape[0] > m->max_batch) {
    snprintf(err, errlen, "batch %lld exceeds max_batch_size %d", (long long)r->shape[0],
             m->max_batch);
    return -E2BIG;
  }
  r->n = (int)r->shape[0];
  int64_t bds = -1;
  if (params && (!json_is_object(params) ||
                 get_int_param(params, "binary_data_size", INT64_MAX, &bds, err, errlen)))
    return -EINVAL;
  json_t *data = json_object_get(in, "data");
  if (bds >= 0) {
    if (data) {
      snprintf(err, errlen, "input has both 'data' and binary_data_size");
      return -EINVAL;
    }
    if ((size_t)bds != bin_len) {
      snprintf(err, errlen, "binary_data_size %lld but %zu binary bytes follow the header",
               (long long)bds, bin_len);
      return -EINVAL;
    }
    size_t esz = r->dtype == HTTP_DT_FP32 ? 4 : 1;
    if (!r->is_image && (size_t)bds != (size_t)elems * esz) {
      snprintf(err, errlen, "binary_data_size %lld does not match shape (%lld bytes)",
               (long long)bds, elems * (long long)esz);
      return -EINVAL;
    }
    r->bin = bin;
    r->bin_len = bin_len;
    return 0;
  }
  if (bin_len) {
    snprintf(err, errlen, "%zu binary bytes follow the header but no input claims them", bin_len);
    return -EINVAL;
  }
  if (!data) {
    snprintf(err, errlen, "input '%s' has no 'data' and no binary_data_size", nm);
    return -EINVAL;
  }
  long long have = count_leaves(data, r->is_image);
  if (have < 0) {
    snprintf(err, errlen, "input '%s': 'data' holds values of the wrong type for %s", nm, d);
    return -EINVAL;
  }
  if (have != elems) {
    snprintf(err, errlen, "input '%s': 'data' has %lld elements, shape needs %lld", nm, have,
             elems);
    return -EINVAL;
  }
  r->data = data;
  return 0;
}

static int parse_request(const uint8_t *body, size_t len, size_t json_len, const http_model_info *m,
                         http_v2_request *r, char *err, size_t errlen) {
  memset(r, 0, sizeof *r);
  if (len == 0) {
    snprintf(err, errlen,
             "empty body: send a JSON inference request {\"inputs\":[{\"name\":...,"
             "\"datatype\":...,\"shape\":[...],\"data\":[...]}]}");
    return -EINVAL;
  }
  json_error_t je;
  r->root = json_parse((const char *)body, json_len, &je);
  if (!r->root) {
    snprintf(err, errlen, "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
    return -EINVAL;
  }
  json_t *root = r->root;
  if (!json_is_object(root)) {
    snprintf(err, errlen, "request must be a JSON object");
    return -EINVAL;
  }
  json_t *id = json_object_get(root, "id");
  if (id && !json_is_string(id)) {
    snprintf(err, errlen, "'id' must be a string");
    return -EINVAL;
  }
  r->id = id ? json_string_value(id) : NULL;
  json_t *params = json_object_get(root, "parameters");
  if (params && !json_is_object(params)) {
    snprintf(err, errlen, "'parameters' must be an object");
    return -EINVAL;
  }
  if (get_int_param(params, "timeout", INT64_MAX / 1000, &r->timeout_us, err, errlen))
    return -EINVAL;
  json_t *inputs = json_object_get(root, "inputs");
  if (json_is_array(inputs) && json_array_size(inputs) > 1) {
    snprintf(err, errlen,
             "'inputs' has %zu inputs; give exactly one: 'input' (UINT8/FP32 pixels) or "
             "'image' (BYTES encoded images), both optional alternatives",
             json_array_size(inputs));
    return -EINVAL;
  }
  if (!json_is_array(inputs) || json_array_size(inputs) != 1 ||
      !json_is_object(json_array_get(inputs, 0))) {
    snprintf(err, errlen, "'inputs' must be an array of exactly one input object");
    return -EINVAL;
  }
  int rc =
      parse_input(json_array_get(inputs, 0), body + json_len, len - json_len, m, r, err, errlen);
  if (rc) return rc;
  return parse_outputs(root, params, m, r, err, errlen);
}

void http_v2_free(http_v2_request *r) {
  json_decref(r->root);
  memset(r, 0, sizeof *r);
}

int http_v2_parse(const uint8_t *body, size_t len, size_t json_len, const http_model_info *m,
                  http_v2_request *r, char *err, size_t errlen) {
  int rc = parse_request(body, len, json_len, m, r, err, errlen);
  if (rc) http_v2_free(r); /* a refused request holds nothing */
  return rc;
}

/* Appends the leaves of nested JSON data, in order, to flat[*k]. */
static void flatten(json_t *d, json_t **flat, size_t *k) {
  if (json_is_array(d)) {
    size_t i;
    json_t *v;
    json_array_foreach(d, i, v) flatten(v, flat, k);
  } else {
    flat[(*k)++] = d;
  }
}

/* Converts one [H,W,3] pixel tensor (JSON leaves or binary) to RGB8. */
static int pixels_to_rgb(const http_v2_request *r, json_t **flat, size_t off, size_t count,
                         uint8_t *rgb, char *err, size_t errlen) {
  if (!flat && r->dtype == HTTP_DT_UINT8) { /* binary UINT8: every byte is a valid pixel */
    memcpy(rgb, r->bin + off, count);
    return 0;
  }
  for (size_t i = 0; i < count; i++) {
    double v;
    if (flat)
      v = json_number_value(flat[off + i]);
    else if (r->dtype == HTTP_DT_UINT8)
      v = r->bin[off + i];
    else {
      float f;
      memcpy(&f, r->bin + (off + i) * 4, 4);
      v = f;
    }
    if (!(v >= 0.0 && v <= 255.0) || (r->dtype == HTTP_DT_UINT8 && v != floor(v))) {
      snprintf(err, errlen, "pixel value %g at element %zu outside %s", v, off + i,
               r->dtype == HTTP_DT_UINT8 ? "UINT8 0..255" : "[0, 255]");
      return -EINVAL;
    }
    rgb[i] = (uint8_t)lrint(v);
  }
  return 0;
}

/* BYTES elements -> blobs: JSON base64 strings or length-prefixed binary. */
static int bytes_to_blobs(const http_v2_request *r, json_t **flat, http_blobs *b, char *err,
                          size_t errlen) {
  if (flat) {
    for (int i = 0; i < r->n; i++) {
      json_t *s = json_is_object(flat[i]) ? json_object_get(flat[i], "b64") : flat[i];
      if (!json_is_string(s)) {
        snprintf(err, errlen, "image %d: expected a base64 string or {\"b64\": ...}", i);
        return -EINVAL;
      }
      size_t n = json_string_length(s), out_len = 0;
      uint8_t *buf = malloc(http_base64_max(n) + 1);
      if (!buf) return -ENOMEM;
      if (http_base64_decode(json_string_value(s), n, buf, &out_len) != 0 || out_len == 0) {
        free(buf);
        snprintf(err, errlen, "image %d: invalid base64", i);
        return -EINVAL;
      }
      if (http_blobs_push(b, buf, out_len, buf)) return -ENOMEM;
    }
    return 0;
  }
  size_t off = 0;
  for (int i = 0; i < r->n; i++) {
    if (r->bin_len - off < 4) goto bad;
    uint32_t l = (uint32_t)r->bin[off] | (uint32_t)r->bin[off + 1] << 8 |
                 (uint32_t)r->bin[off + 2] << 16 | (uint32_t)r->bin[off + 3] << 24;
    off += 4;
    if (l == 0 || r->bin_len - off < l) goto bad;
    if (http_blobs_push(b, r->bin + off, l, NULL)) return -ENOMEM;
    off += l;
  }
  if (off == r->bin_len) return 0;
bad:
  snprintf(err, errlen, "binary BYTES data is not %d length-prefixed elements", r->n);
  return -EINVAL;
}

int http_v2_images(const http_v2_request *r, const http_model_info *m, uint8_t *images, char *err,
                   size_t errlen) {
  size_t elems = r->is_image ? (size_t)r->n : (size_t)r->n * (size_t)r->shape[1] * r->shape[2] * 3;
  json_t **flat = NULL;
  if (r->data) {
    flat = malloc(sizeof *flat * elems);
    if (!flat) return -ENOMEM;
    size_t k = 0;
    flatten(r->data, flat, &k);
  }
  int rc = 0;
  if (r->is_image) {
    http_blobs b = {0};
    rc = bytes_to_blobs(r, flat, &b, err, errlen);
    if (rc == 0) rc = http_decode_blobs(&b, m, images, err, errlen);
    http_blobs_free(&b);
  } else {
    int h = (int)r->shape[1], w = (int)r->shape[2];
    size_t per = (size_t)h * (size_t)w * 3, out = (size_t)m->in_h * (size_t)m->in_w * 3;
    uint8_t *rgb = malloc(per);
    if (!rgb) rc = -ENOMEM;
    for (int i = 0; rc == 0 && i < r->n; i++) {
      rc = pixels_to_rgb(r, flat, (size_t)i * per, per, rgb, err, errlen);
      if (rc == 0) rc = http_fit_rgb(rgb, w, h, m, images + (size_t)i * out, err, errlen);
    }
    free(rgb);
  }
  if (rc == -ENOMEM) snprintf(err, errlen, "out of memory");
  free(flat);
  return rc;
}

/* One output tensor as a JSON object written to js, data inline or its
 * bytes appended to bin. Returns 0 or -ENOMEM (js->oom and bin->oom are
 * checked by the caller). */
static int encode_output(const http_v2_output *o, const http_v2_request *r,
                         const http_model_info *m, const float *logits, float *tmp, json_text *bin,
                         json_text *js) {
  const int C = m->num_classes, K = o->classification;
  jt_lit(js, "{\"name\":");
  jt_str(js, output_names[o->which]);
  jt_lit(js, K ? ",\"datatype\":\"BYTES\",\"shape\":[" : ",\"datatype\":\"FP32\",\"shape\":[");
  jt_int(js, r->n);
  jt_lit(js, ",");
  jt_int(js, K ? K : C);
  jt_lit(js, o->binary ? "]" : "],\"data\":[");
  const size_t start = bin->len;
  int *idx = K ? malloc(sizeof(int) * (size_t)K) : NULL;
  if (K && !idx) return -ENOMEM;
  for (int i = 0; i < r->n; i++) {
    const float *row = logits + (size_t)i * C;
    if (o->which == 1) {
      http_softmax(row, C, tmp);
      row = tmp;
    }
    if (!o->binary && i) jt_lit(js, ",");
    if (K) {
      http_top_k(row, C, K, idx);
      for (int j = 0; j < K; j++) {
        char s[320];
        int l = snprintf(s, sizeof s, "%f:%d:%s", (double)row[idx[j]], idx[j], m->labels[idx[j]]);
        if (l < 0) l = 0;
        if ((size_t)l >= sizeof s) l = sizeof s - 1;
        if (o->binary) {
          uint8_t hdr[4] = {(uint8_t)l, (uint8_t)(l >> 8), 0, 0};
          jt_raw(bin, (const char *)hdr, 4);
          jt_raw(bin, s, (size_t)l);
        } else {
          if (j) jt_lit(js, ",");
          jt_strn(js, s, (size_t)l);
        }
      }
    } else if (o->binary) {
      jt_raw(bin, (const char *)row, sizeof(float) * (size_t)C);
    } else {
      jt_floats(js, row, (size_t)C);
    }
  }
  free(idx);
  if (o->binary) {
    jt_lit(js, ",\"parameters\":{\"binary_data_size\":");
    jt_int(js, (long long)(bin->len - start));
    jt_lit(js, "}}");
  } else {
    jt_lit(js, "]}");
  }
  return 0;
}

int http_v2_response(const http_v2_request *r, const http_model_info *m, const float *logits,
                     char **body, size_t *len, size_t *json_len) {
  *body = NULL;
  float *tmp = malloc(sizeof(float) * (size_t)m->num_classes);
  json_text js = {0}, bin = {0}; /* the JSON header, and the binary data after it */
  int rc = -ENOMEM;
  if (!tmp) goto out;
  /* The same keys, in the same order, as the jansson encoding this replaced. */
  jt_lit(&js, "{\"model_name\":");
  jt_str(&js, m->name);
  jt_lit(&js, ",\"model_version\":");
  jt_str(&js, m->version);
  if (r->id) {
    jt_lit(&js, ",\"id\":");
    jt_str(&js, r->id);
  }
  jt_lit(&js, ",\"outputs\":[");
  for (int i = 0; i < r->n_outputs; i++) {
    if (i) jt_lit(&js, ",");
    if (encode_output(&r->outputs[i], r, m, logits, tmp, &bin, &js)) goto out;
  }
  jt_lit(&js, "]}");
  const size_t json_bytes = js.len;
  if (bin.len) jt_raw(&js, bin.p, bin.len);
  if (js.oom || bin.oom) goto out;
  *body = js.p;
  *json_len = json_bytes;
  *len = js.len;
  js.p = NULL;
  rc = 0;
out:
  free(js.p);
  free(tmp);
  free(bin.p);
  return rc;
}
