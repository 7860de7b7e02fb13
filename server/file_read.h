/* Reading a whole input file (an image to classify or to send), for the CLI
 * subcommands. */
#ifndef BLOCKFUSE_SERVER_FILE_READ_H
#define BLOCKFUSE_SERVER_FILE_READ_H

#include <stddef.h>
#include <stdint.h>

/* Reads all of path, at most max bytes, into *data (malloc'd, owned by the
 * caller; an empty file gives a 1-byte buffer and *len 0). Returns 0, or
 * -errno from fopen, -EFBIG over max, -ENOMEM or -EIO, with "path: why" in err. */
int file_read_all(const char *path, size_t max, uint8_t **data, size_t *len, char *err,
                  size_t errlen);

#endif
