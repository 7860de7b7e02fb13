/* `blockfuse serve`: the inference daemon (see docs/api.md). */
#ifndef BLOCKFUSE_SERVER_SERVE_H
#define BLOCKFUSE_SERVER_SERVE_H

/* argv[0] is "serve". Returns the process exit status: 0 after a clean
 * drain, 1 on a startup failure, 2 on a usage error. */
int serve_main(int argc, char **argv);

#endif
