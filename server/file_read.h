/* Reading a whole input file (an image to classify or to send), for the CLI
 * subcommands. */
#ifndef BLOCKFUSE_SERVER_FILE_READ_H
#define BLOCKFUSE_SERVER_FILE_READ_H

#include <stddef.h>
#include <stdint.h>

/* The largest image file the CLI reads: the daemon's default max_body_bytes
 * (64 MiB), so that what `classify` accepts the daemon accepts too. */
#define FILE_READ_MAX_IMAGE_BYTES ((size_t)64 << 20)

/* Reads all of the regular file at path, at most max bytes, into *data
 * (malloc'd, owned by the caller; an empty file gives a 1-byte buffer and
 * *len 0). A file whose size is over max is refused before any read, and one
 * that grows past max while being read stops there. Never blocks on a FIFO.
 * Returns 0, or -errno from open/fstat/read, -EISDIR for a directory, -EINVAL
 * for anything else that is not a regular file (FIFO, device, socket),
 * -EFBIG over max, -ENOMEM; err gets "path: why". */
int file_read_all(const char *path, size_t max, uint8_t **data, size_t *len, char *err,
                  size_t errlen);

#endif
