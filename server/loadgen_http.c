/* loadgen: incremental HTTP/1.1 response parser. It keeps only what a load
 * generator needs (status, framing, keep-alive) and skips body bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/loadgen.h"

enum {
  ST_STATUS,
  ST_HEADERS,
  ST_BODY, /* Content-Length bytes left in remaining */
  ST_CHUNK_SIZE,
  ST_CHUNK_DATA,
  ST_CHUNK_END, /* the CRLF after a chunk's data */
  ST_TRAILERS,
  ST_UNTIL_EOF, /* no framing: the body runs until the server closes */
  ST_DONE,
};

/* Ready for a new response; keep-alive until the response says otherwise. */
void loadgen_resp_init(loadgen_resp *r) {
  memset(r, 0, sizeof *r);
  r->state = ST_STATUS;
  r->content_len = -1;
  r->keep_alive = 1;
}

/* True once the whole response, body included, has been consumed. */
int loadgen_resp_done(const loadgen_resp *r) {
  return r->state == ST_DONE;
}

/* The peer closed: completes a body framed by the close (see loadgen.h). */
int loadgen_resp_eof(loadgen_resp *r) {
  if (r->state == ST_UNTIL_EOF) {
    r->state = ST_DONE;
    return 1;
  }
  return r->state == ST_DONE;
}

/* Parses "HTTP/1.x SSS reason". */
static int status_line(loadgen_resp *r, const char *l) {
  if (strncmp(l, "HTTP/1.", 7) != 0 || (l[7] != '0' && l[7] != '1') || l[8] != ' ') return -EPROTO;
  if (l[7] == '0') r->keep_alive = 0;
  const char *s = l + 9;
  if (s[0] < '1' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9')
    return -EPROTO;
  if (s[3] != '\0' && s[3] != ' ') return -EPROTO;
  r->status = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
  r->state = ST_HEADERS;
  return 0;
}

/* Case-insensitive search for a token in a comma-separated header value. */
static int has_token(const char *v, const char *tok) {
  size_t n = strlen(tok);
  while (*v) {
    while (*v == ' ' || *v == '\t' || *v == ',') v++;
    if (strncasecmp(v, tok, n) == 0 && (v[n] == '\0' || v[n] == ',' || v[n] == ' ')) return 1;
    while (*v && *v != ',') v++;
  }
  return 0;
}

/* Applies one header line; an empty line ends the header block and picks
 * the body framing (RFC 9112 section 6.3). */
static int header_line(loadgen_resp *r, const char *l) {
  if (*l == '\0') {
    if (r->status < 200) { /* 1xx interim answer: the real one follows */
      int ka = r->keep_alive;
      loadgen_resp_init(r);
      r->keep_alive = ka;
      return 0;
    }
    if (r->status == 204 || r->status == 304) {
      r->state = ST_DONE;
    } else if (r->chunked) {
      r->state = ST_CHUNK_SIZE;
    } else if (r->content_len >= 0) {
      r->remaining = (uint64_t)r->content_len;
      r->state = r->remaining ? ST_BODY : ST_DONE;
    } else {
      r->keep_alive = 0;
      r->state = ST_UNTIL_EOF;
    }
    return 0;
  }
  const char *colon = strchr(l, ':');
  if (!colon || colon == l) return -EPROTO;
  size_t nlen = (size_t)(colon - l);
  const char *v = colon + 1;
  while (*v == ' ' || *v == '\t') v++;
  if (nlen == 14 && strncasecmp(l, "Content-Length", 14) == 0) {
    char *end;
    if (*v < '0' || *v > '9') return -EPROTO;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    while (*end == ' ' || *end == '\t') end++;
    if (errno || *end || (r->content_len >= 0 && (uint64_t)r->content_len != n)) return -EPROTO;
    r->content_len = (int64_t)n;
  } else if (nlen == 17 && strncasecmp(l, "Transfer-Encoding", 17) == 0) {
    if (!has_token(v, "chunked")) return -EPROTO; /* no other coding is ever sent to us */
    r->chunked = 1;
  } else if (nlen == 10 && strncasecmp(l, "Connection", 10) == 0) {
    if (has_token(v, "close"))
      r->keep_alive = 0;
    else if (has_token(v, "keep-alive"))
      r->keep_alive = 1;
  }
  return 0;
}

/* Parses a chunk-size line (hex, optional ";ext"). */
static int chunk_size_line(loadgen_resp *r, const char *l) {
  char *end;
  if (!((*l >= '0' && *l <= '9') || (*l >= 'a' && *l <= 'f') || (*l >= 'A' && *l <= 'F')))
    return -EPROTO;
  errno = 0;
  unsigned long long n = strtoull(l, &end, 16);
  while (*end == ' ' || *end == '\t') end++;
  if (errno || (*end && *end != ';')) return -EPROTO;
  r->remaining = n;
  r->state = n ? ST_CHUNK_DATA : ST_TRAILERS;
  return 0;
}

/* Dispatches one complete line (CRLF stripped) to the current state. */
static int on_line(loadgen_resp *r, const char *l) {
  switch (r->state) {
    case ST_STATUS:
      return status_line(r, l);
    case ST_HEADERS:
      return header_line(r, l);
    case ST_CHUNK_SIZE:
      return chunk_size_line(r, l);
    case ST_CHUNK_END:
      if (*l) return -EPROTO;
      r->state = ST_CHUNK_SIZE;
      return 0;
    case ST_TRAILERS:
      if (*l == '\0') r->state = ST_DONE;
      return 0;
    default:
      return -EPROTO;
  }
}

/* Consumes bytes up to the end of the response; body bytes are counted, not kept. */
long loadgen_resp_feed(loadgen_resp *r, const char *data, size_t len) {
  size_t i = 0;
  while (i < len && r->state != ST_DONE) {
    if (r->state == ST_BODY || r->state == ST_CHUNK_DATA) {
      size_t take = len - i;
      if (take > r->remaining) take = (size_t)r->remaining;
      r->remaining -= take;
      r->body_bytes += take;
      i += take;
      if (r->remaining == 0) r->state = r->state == ST_BODY ? ST_DONE : ST_CHUNK_END;
      continue;
    }
    if (r->state == ST_UNTIL_EOF) {
      r->body_bytes += len - i;
      return (long)len;
    }
    char c = data[i++];
    if (c == '\n') {
      if (r->line_len && r->line[r->line_len - 1] == '\r') r->line_len--;
      r->line[r->line_len] = '\0';
      r->line_len = 0;
      int rc = on_line(r, r->line);
      if (rc) return rc;
      continue;
    }
    if (r->line_len + 1 >= sizeof r->line) return -EPROTO;
    r->line[r->line_len++] = c;
  }
  return (long)i;
}
