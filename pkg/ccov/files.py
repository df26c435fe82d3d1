"""Files and their names, as every layer needs them: one spelling of a path
(`canonical`), a file inside a zip archive (`zip_member`), and reading files
that anyone who can write to a folder could have replaced (the data folder,
`.ccov_cache/`): only a regular file is read, and what stands there instead
(a FIFO, which blocks an open, a link to a device, which never ends) is
found without blocking.  Imports nothing beyond os and stat: the measuring
layer loads it in every measured process."""

from __future__ import annotations

import os
import stat


def canonical(path: str) -> str:
    """The one spelling of a file's path that ccov compares: links resolved,
    case folded where the file system folds it."""
    return os.path.normcase(os.path.realpath(path))


def zip_member(path: str) -> tuple[str, str] | None:
    """(archive, member) when `path` names a file inside a zip archive (an
    existing regular file followed by more of the name), else None.  Imports
    nothing: the collector's file decision asks it."""
    head, inner = path, []
    while head and not os.path.lexists(head):
        head, name = os.path.split(head)
        if not name:
            return None
        inner.append(name)
    if not inner or not os.path.isfile(head):
        return None
    return head, "/".join(reversed(inner))


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
