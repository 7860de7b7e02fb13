#include "server/fd_limit.h"

#include <errno.h>
#include <sys/resource.h>

int fd_limit_raise(unsigned long long want, unsigned long long *soft, unsigned long long *hard) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return -errno;
  int rc = 0;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    struct rlimit up = rl;
    up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? (rlim_t)want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &up) != 0)
      rc = -errno;
    else
      rl = up;
  }
  *soft = rl.rlim_cur == RLIM_INFINITY ? ~0ull : (unsigned long long)rl.rlim_cur;
  *hard = rl.rlim_max == RLIM_INFINITY ? ~0ull : (unsigned long long)rl.rlim_max;
  if (rc == 0 && *soft < want) rc = -EMFILE;
  return rc;
}
