"""Reading files that anyone who can write to a folder could have replaced
(the data folder, `.ccov_cache/`): only a regular file is read, and what
stands there instead (a FIFO, which blocks an open, a link to a device,
which never ends) is found without blocking."""

from __future__ import annotations

import os
import stat


class NotRegularFile(OSError):
    """Something other than a regular file stands at the path."""


def read_regular(path: str, limit: int = -1) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.
    Raises FileNotFoundError, IsADirectoryError, NotRegularFile, or the
    OSError of the open or the read."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise NotRegularFile(path)
        with open(descriptor, "rb", closefd=False) as opened:
            return opened.read(limit)
    finally:
        os.close(descriptor)
