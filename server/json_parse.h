/* A JSON reader for request bodies that builds jansson values, as
 * json_loadb(buf, len, 0, err) does, but scans strings a run at a time
 * instead of jansson's character-by-character lexer: a KServe v2 JSON
 * request carries its image as one base64 string of 100+ KB, which took
 * jansson longer to read than the JPEG took to decode. */
#ifndef BLOCKFUSE_SERVER_JSON_PARSE_H
#define BLOCKFUSE_SERVER_JSON_PARSE_H

#include <jansson.h>
#include <stddef.h>

/* Parses buf[0..len) as one JSON object or array (surrounding whitespace
 * allowed), with jansson's rules for its decoding flags 0: UTF-8 strings
 * without \u0000, integers that fit json_int_t, finite reals, nesting up to
 * 2048 levels, the last of duplicate keys kept. Returns a new reference, or
 * NULL with err's text, line, column and position set (line 1, column 1 =
 * the first byte). */
json_t *json_parse(const char *buf, size_t len, json_error_t *err);

#endif
