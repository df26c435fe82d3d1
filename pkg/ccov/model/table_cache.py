"""Branch tables kept between runs (3.12/3.13, `--branch`).

Reading a code object's branch table from its bytecode (in C:
csrc/branch_reader_312.c; ccov.model.bytecode_branches is its reference)
is the same work in every run: the table depends only on what
the code object holds.  So the tables of a run are kept
in `.ccov_cache/branch-tables-<python>.bin` beside the data file, keyed by a
hash of that content, and a later run reads them instead.

The file is MAGIC, a 16-byte BLAKE2b of the rest, and marshal data:
(environment, {key: table}).  The environment names ccov's version, the
Python, and a hash of the extension that reads the tables, so a changed
reader never answers from old tables.  A cache that is missing, damaged or of
another environment is not read; one that cannot be written is not written;
measuring never fails because of it.
"""

from __future__ import annotations

import marshal
import os
import sys
from types import CodeType

from ccov import __version__, _collector
from ccov.data.datafile import CHECKSUM_SIZE, checksum, remove_quietly
from ccov.model.cache_folder import cache_folder

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

MAGIC = b"ccov branch tables\n"
# Entries kept at most: past it, a save keeps only what its process used,
# so tables of code that changed long ago do not pile up.
LIMIT = 50_000


def content_key(code: CodeType) -> bytes:
    """What a branch table is read from: the instructions, line and position
    table, exception table, first line, which constants are None (a `with`
    exit loads three), and the start of each nested code object (a body on
    its `def` line)."""
    consts = code.co_consts
    material = (
        code.co_code, code.co_linetable, code.co_exceptiontable, code.co_firstlineno,
        tuple(index for index, value in enumerate(consts) if value is None),
        tuple((c.co_code, c.co_linetable, c.co_firstlineno) for c in consts if type(c) is CodeType),
    )
    return checksum(marshal.dumps(material))


def _environment() -> str:
    try:
        with open(_collector.__file__, "rb") as extension:
            reader = checksum(extension.read()).hex()
    except (OSError, TypeError, AttributeError):
        reader = "unknown"  # nothing to hash: the version must do
    return f"ccov {__version__} python {sys.version} reader {reader}"


class TableCache:
    """read(code), a branch table, answered from the cache when it can be."""

    def __init__(self, directory: str, read: Callable[[CodeType], tuple]):
        self.directory = directory
        self._read_table = read
        self.path = os.path.join(directory, ".ccov_cache", f"branch-tables-{sys.implementation.cache_tag}.bin")
        self._environment = ""  # _environment(), at the first read: not on the way to start measuring
        self._tables: dict | None = None  # read at the first table asked for
        self._new: dict = {}
        self._used: set = set()

    def table(self, code: CodeType):
        tables = self._tables if self._tables is not None else self._load()
        key = content_key(code)
        self._used.add(key)
        found = tables.get(key)
        if found is None:
            found = tables[key] = self._new[key] = self._read_table(code)
        return found

    def _load(self) -> dict:
        self._tables = self._read() or {}
        return self._tables

    def usable_tables(self) -> int | None:
        """How many tables a run here would read; None when there is no
        cache it would read (for `ccov debug`)."""
        tables = self._read()
        return None if tables is None else len(tables)

    def _read(self) -> dict | None:
        if not self._environment:
            self._environment = _environment()
        try:
            with open(self.path, "rb") as cache_file:
                content = cache_file.read()
        except OSError:
            return None
        start = len(MAGIC) + CHECKSUM_SIZE
        if content[:len(MAGIC)] != MAGIC:
            return None
        body = content[start:]
        if checksum(body) != content[len(MAGIC):start]:
            return None
        try:
            environment, tables = marshal.loads(body)
        except (ValueError, EOFError, TypeError):
            return None
        return tables if environment == self._environment and type(tables) is dict else None

    def save(self) -> None:
        """Write the tables this process built, with those another process
        wrote meanwhile; nothing when it built none.  Never raises."""
        if not self._new:
            return
        new, self._new = self._new, {}
        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            tables = self._read() or {}
            tables.update(new)
            if len(tables) > LIMIT:
                tables = {key: table for key, table in tables.items() if key in self._used}
            body = marshal.dumps((self._environment, tables))
            cache_folder(self.directory)
            with open(temporary, "wb") as cache_file:
                cache_file.write(MAGIC + checksum(body) + body)
            os.replace(temporary, self.path)  # readers see the old file or the new one
        except Exception:  # a cache: whatever went wrong, the run's data still matters more
            remove_quietly(temporary)
