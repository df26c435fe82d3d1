"""The ccov data file: SQLite, written atomically, read defensively.

Schema (version 1):

    meta(key, value)                    ccov version, Python, measurement kind
    file(id, path, hash)                absolute path; hash of the source measured
    context(id, name)                   '' is the run without a named context
    line_bits(file_id, context_id, bits)  executed lines as a bitmap (ccov.data.linebits)
    arc(file_id, context_id, from_line, to_line)  branch arcs (with --branch): raw
                                        line numbers; to_line < 0 leaves a code
                                        object (minus its first line)

meta `kind` is "lines", or "branches" when arcs were measured: the two do not
mix (a line-only run says nothing about arcs), as in coverage.py.

`PRAGMA application_id` marks the file as ccov's and `PRAGMA user_version`
holds the schema version, so a foreign or future file is recognised before
any table is read.
"""

from __future__ import annotations

import os
import sqlite3
import sys

from ccov import __version__
from ccov.data import linebits
from ccov.errors import CcovError

APPLICATION_ID = 0x63636F76  # "ccov"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE file (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, hash TEXT);
CREATE TABLE context (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE line_bits (
    file_id INTEGER NOT NULL REFERENCES file (id),
    context_id INTEGER NOT NULL REFERENCES context (id),
    bits BLOB NOT NULL,
    PRIMARY KEY (file_id, context_id)
);
CREATE TABLE arc (
    file_id INTEGER NOT NULL REFERENCES file (id),
    context_id INTEGER NOT NULL REFERENCES context (id),
    from_line INTEGER NOT NULL,
    to_line INTEGER NOT NULL,
    PRIMARY KEY (file_id, context_id, from_line, to_line)
) WITHOUT ROWID;
"""


class FileData:
    """One measured file: the hash of its source and, per context name, a
    bitmap of its executed lines.  (Plain classes: importing dataclasses
    would cost `ccov run` milliseconds of start-up.)"""

    def __init__(self, hash: str | None = None):
        self.hash = hash
        self.lines: dict[str, int] = {}
        self.arcs: dict[str, set[tuple[int, int]]] = {}

    def all_lines(self) -> int:
        bits = 0
        for context_bits in self.lines.values():
            bits |= context_bits
        return bits

    def all_arcs(self) -> set[tuple[int, int]]:
        arcs: set[tuple[int, int]] = set()
        for context_arcs in self.arcs.values():
            arcs |= context_arcs
        return arcs

    def merge(self, other: FileData) -> None:
        for context, bits in other.lines.items():
            self.lines[context] = self.lines.get(context, 0) | bits
        for context, arcs in other.arcs.items():
            self.arcs.setdefault(context, set()).update(arcs)


class CoverageData:
    def __init__(self, meta: dict[str, str] | None = None):
        self.files: dict[str, FileData] = {}
        self.meta: dict[str, str] = meta or {}

    @property
    def branches(self) -> bool:
        """Whether arcs were measured (`ccov run --branch`)."""
        return self.meta.get("kind") == "branches"

    def add_lines(self, path: str, bits: int, context: str = "", hash: str | None = None) -> None:
        entry = self.files.setdefault(path, FileData())
        entry.lines[context] = entry.lines.get(context, 0) | bits
        if hash is not None:
            entry.hash = hash

    def add_arcs(self, path: str, arcs, context: str = "") -> None:
        entry = self.files.setdefault(path, FileData())
        entry.arcs.setdefault(context, set()).update(arcs)

    def update(self, other: CoverageData, source: str = "") -> list[str]:
        """Merge `other` into this; returns warnings about conflicting sources."""
        if self.files and other.files and self.branches != other.branches:
            kinds = {True: "branch data", False: "line data"}
            raise CcovError(f"cannot combine {kinds[other.branches]} ({source or 'another file'}) "
                            f"with {kinds[self.branches]}: measure both with --branch or both without")
        if other.branches:
            self.meta["kind"] = "branches"
        warnings = []
        for path, theirs in other.files.items():
            mine = self.files.setdefault(path, FileData())
            if mine.hash and theirs.hash and mine.hash != theirs.hash:
                warnings.append(f"{path} was measured from different contents (in {source or 'another file'})")
            mine.hash = theirs.hash or mine.hash
            mine.merge(theirs)
        return warnings

    def has_named_contexts(self) -> bool:
        return any(context for entry in self.files.values() for context in entry.lines)

    def summary(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "lines": sum(f.all_lines().bit_count() for f in self.files.values()),
            "arcs": sum(len(f.all_arcs()) for f in self.files.values()),
            "contexts": len({c for f in self.files.values() for c in f.lines}),
        }


# ---- text that is not UTF-8 ------------------------------------------------------
#
# File names (and test ids, labels) come from the OS, and on POSIX a name is
# bytes: Python gives a name that is not UTF-8 back with surrogate escapes,
# which SQLite's TEXT cannot hold.  Such a value is stored as a BLOB of its
# bytes and read back as the same str, so no file of a run is ever lost for
# its name.


def _stored(text: str) -> str | bytes:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text)
    return text


def _loaded(value) -> str:
    """A stored name back as str; anything else is damage (TypeError)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return os.fsdecode(value)
    raise TypeError(f"a name stored as {type(value).__name__}")


# ---- reading -----------------------------------------------------------------


def _damaged(path: str, detail: str) -> CcovError:
    return CcovError(f"data file {path} is not a usable ccov data file: {detail}")


def read(path: str) -> CoverageData:
    """Read a data file; every problem becomes a one-line CcovError."""
    return _with_connection(path, _read_connection)


def read_meta(path: str) -> dict[str, str]:
    """Only the meta table (which run wrote the file): cheap, for choosing files."""
    return _with_connection(path, lambda connection, path: _checked(connection, path).meta)


def _with_connection(path: str, reader):
    if not os.path.exists(path):
        raise CcovError(f"no data file at {path}: run `ccov run` (or `pytest --ccov`) first")
    if os.path.isdir(path):
        raise CcovError(f"data file {path} is a directory")
    try:
        with open(path, "rb") as probe:
            header = probe.read(16)
    except OSError as err:
        raise CcovError(f"cannot read data file {path}: {err.strerror}") from None
    if header != b"SQLite format 3\x00":
        raise _damaged(path, "not an SQLite database (corrupt, truncated or foreign)")
    from urllib.parse import quote

    try:
        connection = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error as err:
        raise _damaged(path, str(err)) from None
    try:
        return reader(connection, path)
    except sqlite3.OperationalError as err:
        if "locked" in str(err):
            # ccov never locks a finished data file (it writes a new one and
            # renames it): another program holds it open for writing.
            raise CcovError(f"data file {path} is locked by another process; try again once it lets go") from None
        raise _damaged(path, str(err)) from None
    except sqlite3.Error as err:
        raise _damaged(path, str(err)) from None
    except (UnicodeDecodeError, ValueError, TypeError, OverflowError) as err:
        # Damaged bytes inside a readable database: text that is not UTF-8,
        # values of the wrong type.
        raise _damaged(path, f"damaged content ({type(err).__name__})") from None
    finally:
        connection.close()


def _checked(connection: sqlite3.Connection, path: str) -> CoverageData:
    """An empty CoverageData with the file's meta, once the file is known to be ours."""
    (application_id,) = connection.execute("PRAGMA application_id").fetchone()
    if application_id != APPLICATION_ID:
        raise _damaged(path, "it was not written by ccov")
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version != SCHEMA_VERSION:
        raise _damaged(path, f"schema version {version}, this ccov {__version__} reads version {SCHEMA_VERSION}")
    _only_tables(connection, path)
    meta = {_loaded(key): _loaded(value) for key, value in connection.execute("SELECT key, value FROM meta")}
    return CoverageData(meta=meta)


_TABLES = ("meta", "file", "context", "line_bits", "arc")


def _only_tables(connection: sqlite3.Connection, path: str) -> None:
    """Each name ccov reads must be a plain table: a view (a recursive one
    never ends) or anything else in its place is not a ccov data file."""
    kinds = dict(connection.execute(
        f"SELECT name, type FROM sqlite_master WHERE name IN ({','.join('?' * len(_TABLES))})", _TABLES))
    for name in _TABLES:
        if kinds.get(name) != "table":
            raise _damaged(path, f"{name} is {'missing' if name not in kinds else 'a ' + str(kinds[name])}, not a table")


def _read_connection(connection: sqlite3.Connection, path: str) -> CoverageData:
    data = _checked(connection, path)
    contexts = {context_id: _loaded(name) for context_id, name in connection.execute("SELECT id, name FROM context")}
    files = {}
    for file_id, file_path, file_hash in connection.execute("SELECT id, path, hash FROM file"):
        if not isinstance(file_path, (str, bytes)):
            raise _damaged(path, f"file id {file_id} has no path")
        if file_hash is not None and not isinstance(file_hash, str):
            raise _damaged(path, f"file id {file_id} has a damaged hash")
        files[file_id] = data.files[_loaded(file_path)] = FileData(hash=file_hash)
    for file_id, context_id, bits in connection.execute("SELECT file_id, context_id, bits FROM line_bits"):
        if file_id not in files or context_id not in contexts or not isinstance(bits, bytes):
            raise _damaged(path, "line data refers to a missing file or context")
        entry = files[file_id]
        name = contexts[context_id]
        entry.lines[name] = entry.lines.get(name, 0) | linebits.from_bytes(bits)
    for file_id, context_id, from_line, to_line in connection.execute("SELECT * FROM arc"):
        if file_id not in files or context_id not in contexts:
            raise _damaged(path, "arc data refers to a missing file or context")
        if type(from_line) is not int or type(to_line) is not int:
            raise _damaged(path, "arc data that is not line numbers")
        files[file_id].arcs.setdefault(contexts[context_id], set()).add((from_line, to_line))
    return data


# ---- writing -----------------------------------------------------------------


def _fill(connection: sqlite3.Connection, data: CoverageData) -> None:
    connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    connection.executescript(_SCHEMA)
    meta = {
        "ccov_version": __version__,
        "python": sys.version.split()[0],
        "kind": "lines",
        **data.meta,
    }
    connection.executemany("INSERT INTO meta VALUES (?, ?)", [(_stored(k), _stored(v)) for k, v in sorted(meta.items())])
    context_ids: dict[str, int] = {}

    def context_id(context: str) -> int:
        if context not in context_ids:
            context_ids[context] = len(context_ids) + 1
            connection.execute("INSERT INTO context VALUES (?, ?)", (context_ids[context], _stored(context)))
        return context_ids[context]

    for file_id, (path, entry) in enumerate(sorted(data.files.items()), start=1):
        connection.execute("INSERT INTO file VALUES (?, ?, ?)", (file_id, _stored(path), entry.hash))
        measured_only = not entry.all_lines()
        for context, bits in entry.lines.items():
            if not bits and not measured_only:
                continue  # an empty row says "measured", which the other rows say already
            connection.execute("INSERT INTO line_bits VALUES (?, ?, ?)",
                               (file_id, context_id(context), linebits.to_bytes(bits)))
        for context, arcs in entry.arcs.items():
            if arcs:
                number = context_id(context)
                connection.executemany("INSERT INTO arc VALUES (?, ?, ?, ?)",
                                       ((file_id, number, a, b) for a, b in sorted(arcs)))


def write(path: str, data: CoverageData) -> None:
    """Write `data` to `path` atomically: a temporary file, then a rename, so a
    crash leaves either the old file or the new one, never half of one."""
    directory = os.path.dirname(os.path.abspath(path))
    # A name only this process can have (O_EXCL), without importing tempfile.
    temp_path = os.path.join(directory, f".ccov-tmp-{os.getpid()}-{os.urandom(6).hex()}.partial")
    try:
        os.close(os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except OSError as err:
        raise CcovError(f"cannot write data file {path}: {err.strerror}") from None
    try:
        connection = sqlite3.connect(temp_path)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")
            with connection:
                _fill(connection, data)
        finally:
            connection.close()
        with open(temp_path, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp_path, path)
    except (OSError, sqlite3.Error) as err:
        remove_quietly(temp_path)
        detail = getattr(err, "strerror", None) or str(err)
        raise CcovError(f"cannot write data file {path}: {detail}") from None
    except BaseException:
        remove_quietly(temp_path)
        raise


def remove_quietly(path: str) -> None:
    """Delete a file if it can be; a file already gone or kept is no error here."""
    try:
        os.remove(path)
    except OSError:
        pass


def parallel_name(path: str) -> str:
    """A name no other process can pick: host, pid and random bits."""
    return f"{path}.{os.uname().nodename}.{os.getpid()}.{os.urandom(6).hex()}"


def parallel_files(path: str) -> list[str]:
    """The parallel data files written beside `path` (`path.<host>.<pid>.<random>`);
    files still being written are `.partial` temporaries and never match."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    prefix = os.path.basename(path) + "."
    return sorted(os.path.join(directory, n) for n in names if n.startswith(prefix) and _parallel_suffix(n[len(prefix):]))


def _parallel_suffix(suffix: str) -> bool:
    """`<host>.<pid>.<12 hex digits>`, as parallel_name() makes it (checked
    without `re`, which would cost every measured process start-up time)."""
    parts = suffix.rsplit(".", 2)
    if len(parts) != 3:
        return False
    host, pid, random = parts
    return (bool(host) and pid.isascii() and pid.isdigit() and len(random) == 12
            and all(c in "0123456789abcdef" for c in random))


def abandoned_temporaries(path: str) -> list[str]:
    """Temporary files of writes that never finished (a process killed while
    saving) in the directory of `path`."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names if n.startswith(".ccov-tmp-") and n.endswith(".partial")]


class directory_lock:
    """An exclusive lock on the directory of `path`, for read-modify-write of
    a data file (combine, append, adopting child files): two at once would
    lose one's update.  flock on the directory itself leaves no lock file
    behind; where flock does not exist, no lock is taken."""

    def __init__(self, path: str):
        self.directory = os.path.dirname(os.path.abspath(path))
        self.fd = None

    def __enter__(self):
        try:
            import fcntl

            self.fd = os.open(self.directory, os.O_RDONLY)
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        except (ImportError, OSError):
            self._release()
        return self

    def __exit__(self, *exc_info):
        self._release()

    def _release(self):
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None
