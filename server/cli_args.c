/* Option parsing shared by the CLI subcommands: every number is checked as a
 * whole string and against its range, and getopt's own messages (which name
 * argv[0], i.e. "classify") are replaced by "blockfuse <cmd>: ..." ones. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/cli.h"

/* Prints the "not a number" message; returns -1. */
static int not_number(const char *cmd, const char *opt, const char *s, const char *what) {
  fprintf(stderr, "blockfuse %s: %s: '%s' is not %s\n", cmd, opt, s, what);
  return -1;
}

int cli_parse_int(const char *cmd, const char *opt, const char *s, int min, int max, int *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (end == s || *end || (*s != '-' && *s != '+' && (*s < '0' || *s > '9')))
    return not_number(cmd, opt, s, "an integer");
  if (errno == ERANGE || v < min || v > max) {
    fprintf(stderr, "blockfuse %s: %s: %s is out of range (%d to %d)\n", cmd, opt, s, min, max);
    return -1;
  }
  *out = (int)v;
  return 0;
}

int cli_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t min, uint64_t max,
                  uint64_t *out) {
  /* strtoull accepts "-1" and wraps it: only plain digits go through. */
  if (*s < '0' || *s > '9') return not_number(cmd, opt, s, "a non-negative integer");
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end) return not_number(cmd, opt, s, "a non-negative integer");
  if (errno == ERANGE || v < min || v > max) {
    fprintf(stderr, "blockfuse %s: %s: %s is out of range (%llu to %llu)\n", cmd, opt, s,
            (unsigned long long)min, (unsigned long long)max);
    return -1;
  }
  *out = v;
  return 0;
}

int cli_parse_positive(const char *cmd, const char *opt, const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (end == s || *end) return not_number(cmd, opt, s, "a number");
  if (errno == ERANGE || !isfinite(v) || !(v > 0)) {
    fprintf(stderr, "blockfuse %s: %s: %s must be a finite number > 0\n", cmd, opt, s);
    return -1;
  }
  *out = v;
  return 0;
}

void cli_option_error(const char *cmd, const struct option *opts, int c, char **argv) {
  const char *arg = optind > 0 ? argv[optind - 1] : "";
  if (c == ':') {
    for (const struct option *o = opts; o->name; o++) {
      if (o->val == optopt && o->has_arg != no_argument) {
        fprintf(stderr, "blockfuse %s: option '--%s' needs a value\n", cmd, o->name);
        return;
      }
    }
    fprintf(stderr, "blockfuse %s: option '-%c' needs a value\n", cmd, optopt);
    return;
  }
  /* An unknown short option (optopt is its letter, and no option has it
   * as val): name it from optopt, since getopt may be inside a cluster
   * ("-zq") whose element argv[optind - 1] is not. */
  int known = 0;
  for (const struct option *o = opts; o->name; o++) known |= optopt && o->val == optopt;
  if (optopt && !known) {
    fprintf(stderr, "blockfuse %s: unrecognized option '-%c'\n", cmd, optopt);
    return;
  }
  if (strncmp(arg, "--", 2) != 0) {
    if (optopt)
      fprintf(stderr, "blockfuse %s: unrecognized option '-%c'\n", cmd, optopt);
    else
      fprintf(stderr, "blockfuse %s: unrecognized option '%s'\n", cmd, arg);
    return;
  }
  /* A long option: unknown, a prefix of several, or one that takes no value
   * given "=value". An exact name wins over longer ones it prefixes. */
  const char *name = arg + 2;
  size_t len = strcspn(name, "=");
  const struct option *hit = NULL;
  int matches = 0;
  for (const struct option *o = opts; o->name; o++) {
    if (strncmp(o->name, name, len) != 0) continue;
    if (strlen(o->name) == len) {
      hit = o;
      matches = 1;
      break;
    }
    hit = o;
    matches++;
  }
  if (matches == 1 && name[len] == '=' && hit->has_arg == no_argument)
    fprintf(stderr, "blockfuse %s: option '--%s' takes no value\n", cmd, hit->name);
  else if (matches > 1)
    fprintf(stderr, "blockfuse %s: option '--%.*s' is ambiguous\n", cmd, (int)len, name);
  else
    fprintf(stderr, "blockfuse %s: unrecognized option '--%.*s'\n", cmd, (int)len, name);
}
