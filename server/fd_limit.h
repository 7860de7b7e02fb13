/* The descriptor limit of a process that holds many sockets (the daemon's
 * connections, loadgen's): distributions start processes with a soft
 * RLIMIT_NOFILE of 1024, below what --max-connections or -c may need. */
#ifndef BLOCKFUSE_SERVER_FD_LIMIT_H
#define BLOCKFUSE_SERVER_FD_LIMIT_H

/* Raises the soft RLIMIT_NOFILE to `want` descriptors, or as far as the hard
 * limit allows (never lowers it). *soft and *hard receive the limits now in
 * force. Returns 0 when the soft limit is at least want, -EMFILE when the
 * hard limit caps it below want, or -errno of getrlimit/setrlimit. */
int fd_limit_raise(unsigned long long want, unsigned long long *soft, unsigned long long *hard);

#endif
