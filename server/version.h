/* The blockfuse release, reported by `blockfuse --version` and GET /v2. */
#ifndef BLOCKFUSE_SERVER_VERSION_H
#define BLOCKFUSE_SERVER_VERSION_H

#define BLOCKFUSE_VERSION "0.1.0"

#endif
