/* One-line event logs, text or JSON. */
#define _GNU_SOURCE
#include "server/serve_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int serve_log_level_parse(const char *s) {
  for (int i = 0; i < 4; i++)
    if (strcasecmp(s, level_names[i]) == 0) return i;
  return -1;
}

const char *serve_log_level_name(int level) {
  return level >= 0 && level < 4 ? level_names[level] : "?";
}

void serve_log_set(serve_logger *l, int level, int json) {
  __atomic_store_n(&l->level, level, __ATOMIC_RELAXED);
  __atomic_store_n(&l->json, json, __ATOMIC_RELAXED);
}

void serve_log_set_access(serve_logger *l, int on) {
  __atomic_store_n(&l->access_log, on, __ATOMIC_RELAXED);
}

int serve_log_access(const serve_logger *l) {
  return l ? __atomic_load_n(&l->access_log, __ATOMIC_RELAXED) : 0;
}

const char *serve_log_quote(const char *s, char *out, size_t cap) {
  size_t o = 0;
  for (; s && *s && o + 3 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
    } else {
      out[o++] = c < 0x20 ? ' ' : (char)c;
    }
  }
  out[o] = 0;
  return out;
}

/* Appends s to buf at *o, JSON-escaped (s is already free of control chars
 * except what the caller passed unquoted). */
static void json_put(char *buf, size_t cap, size_t *o, const char *s, size_t n) {
  for (size_t i = 0; i < n && *o + 3 < cap; i++) {
    char c = s[i];
    if (c == '"' || c == '\\') buf[(*o)++] = '\\';
    buf[(*o)++] = (unsigned char)c < 0x20 ? ' ' : c;
  }
}

/* True when s[0..n) is a JSON number (RFC 8259 grammar) or true/false, so an
 * unquoted value can go into the JSON line as itself rather than a string. */
static int json_literal(const char *s, size_t n) {
  if ((n == 4 && !memcmp(s, "true", 4)) || (n == 5 && !memcmp(s, "false", 5))) return 1;
  size_t i = 0;
  if (i < n && s[i] == '-') i++;
  if (i >= n) return 0;
  if (s[i] == '0')
    i++;
  else if (s[i] >= '1' && s[i] <= '9')
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  else
    return 0;
  if (i < n && s[i] == '.') {
    const size_t d = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == d) return 0;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    const size_t d = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == d) return 0;
  }
  return i == n;
}

/* Rewrites a `k=v k="v w"` tail as JSON members into buf at *o: quoted
 * values become strings, unquoted numbers and booleans stay literals. */
static void kv_to_json(const char *kv, char *buf, size_t cap, size_t *o) {
  const char *p = kv;
  while (*p) {
    while (*p == ' ') p++;
    const char *eq = strchr(p, '=');
    if (!*p || !eq) break;
    if (*o + 4 < cap) memcpy(buf + *o, ",\"", 2), *o += 2;
    json_put(buf, cap, o, p, (size_t)(eq - p));
    p = eq + 1;
    size_t vn = 0;
    while (p[vn] && p[vn] != ' ') vn++;
    if (*p != '"' && json_literal(p, vn)) {
      if (*o + 2 < cap) buf[(*o)++] = '"', buf[(*o)++] = ':';
      json_put(buf, cap, o, p, vn);
      p += vn;
      continue;
    }
    if (*o + 4 < cap) memcpy(buf + *o, "\":\"", 3), *o += 3;
    if (*p == '"') {
      p++;
      const char *s = p;
      while (*p && *p != '"') p += (*p == '\\' && p[1]) ? 2 : 1;
      /* already escaped by serve_log_quote: copy verbatim */
      for (const char *c = s; c < p && *o + 3 < cap; c++) buf[(*o)++] = *c;
      if (*p) p++;
    } else {
      const char *s = p;
      while (*p && *p != ' ') p++;
      json_put(buf, cap, o, s, (size_t)(p - s));
    }
    if (*o + 2 < cap) buf[(*o)++] = '"';
  }
}

void serve_log(const serve_logger *l, int level, const char *event, const char *fmt, ...) {
  if (l && level < __atomic_load_n(&l->level, __ATOMIC_RELAXED)) return;
  char kv[2048] = "", line[4096];
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(kv, sizeof kv, fmt, ap);
    va_end(ap);
  }
  struct timeval tv;
  gettimeofday(&tv, NULL);
  struct tm tm;
  gmtime_r(&tv.tv_sec, &tm);
  char ts[64];
  snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000));
  size_t o;
  if (l && __atomic_load_n(&l->json, __ATOMIC_RELAXED)) {
    o = (size_t)snprintf(line, sizeof line, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":\"", ts,
                         level_names[level]);
    json_put(line, sizeof line, &o, event, strlen(event));
    if (o + 2 < sizeof line) line[o++] = '"';
    kv_to_json(kv, line, sizeof line, &o);
    if (o + 2 < sizeof line) line[o++] = '}';
  } else {
    int n = snprintf(line, sizeof line, "%s %-5s %s%s%s", ts, level_names[level], event,
                     kv[0] ? " " : "", kv);
    o = n < 0 ? 0 : ((size_t)n >= sizeof line ? sizeof line - 2 : (size_t)n);
  }
  line[o++] = '\n';
  ssize_t w = write(STDERR_FILENO, line, o);
  (void)w;
}
