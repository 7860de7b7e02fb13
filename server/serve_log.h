/* One line per event on stderr: text `TS LEVEL event k=v ...` or, with
 * json, {"ts":...,"level":...,"event":...,"k":"v"}. Values that contain
 * spaces are written k="..." by the caller (use serve_log_quote). */
#ifndef BLOCKFUSE_SERVER_SERVE_LOG_H
#define BLOCKFUSE_SERVER_SERVE_LOG_H

#include <stddef.h>

enum { SERVE_LOG_DEBUG = 0, SERVE_LOG_INFO, SERVE_LOG_WARN, SERVE_LOG_ERROR };

typedef struct {
  int json;
  int level;      /* events below this are dropped */
  int access_log; /* the HTTP front logs every request (http_access) */
} serve_logger;

/* Parses "debug"|"info"|"warn"|"error"; -1 if unknown. */
int serve_log_level_parse(const char *s);

/* The name of a level ("debug" ... "error"). */
const char *serve_log_level_name(int level);

/* Changes the level and the format at run time (GET/POST /v2/logging);
 * other threads logging at the same moment see the old or the new value. */
void serve_log_set(serve_logger *l, int level, int json);
/* The access log switch, read by every HTTP loop; atomic like the above. */
void serve_log_set_access(serve_logger *l, int on);
int serve_log_access(const serve_logger *l); /* 0 for a NULL logger */

/* fmt formats the `k=v k="v w"` tail. Thread-safe (one write per line). */
void serve_log(const serve_logger *l, int level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copies s into out (cap bytes) with '"' and '\\' escaped and control
 * characters replaced, for use inside k="...". Returns out. */
const char *serve_log_quote(const char *s, char *out, size_t cap);

#endif
