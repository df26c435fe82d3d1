"""The ccov data file: ccov's own binary format, written atomically, read defensively.

Format 2 (format 1 was SQLite: importing sqlite3 cost every measured process
more start-up time than the rest of ccov together):

    magic       8 bytes  b"ccovdata"
    version     uint32   2
    checksum    16 bytes BLAKE2b of the body: truncation and damage show
    body        meta, contexts, files, in that order

Integers are little-endian uint32; a text is its length and its UTF-8 bytes
(surrogates passed through, so a name that is not UTF-8 comes back as the
same str); a blob is its length and its bytes.

    meta        count, then (key text, value text) per entry: ccov version,
                Python, measurement kind ("lines" or "branches"), run id...
    contexts    count, then a name text per context ('' is the run without
                a named context); a context is referred to by its index
    files       count, then per file: path text, hash text ('' for none),
                line rows: count, then (context, bitmap blob) per row:
                    executed lines as in ccov.data.linebits;
                arc rows: count, then (context, blob) per row: the branch
                    arcs (with --branch) as int32 pairs (from_line, to_line),
                    raw line numbers; to_line < 0 leaves a code object
                    (minus its first line)

A line-only run says nothing about arcs, so meta `kind` keeps the two apart,
as in coverage.py.
"""

from __future__ import annotations

import os
import sys

from ccov import __version__
from ccov.data import linebits
from ccov.data.coverage_data import CoverageData, FileData
from ccov.data.coverage_file import SQLITE_MAGIC
from ccov.errors import CcovError, plural

try:  # the built-in module: hashlib's OpenSSL binding costs `ccov run` 3 ms at exit
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

MAGIC = b"ccovdata"
__all__ = ["CoverageData", "FileData"]  # the data itself lives in ccov.data.coverage_data
FORMAT_VERSION = 2
CHECKSUM_SIZE = 16
_HEADER_SIZE = len(MAGIC) + 4 + CHECKSUM_SIZE
# read_meta() reads no more than this: a meta table is a few hundred bytes,
# and a planted file of any size must not cost memory to pass over.
_META_LIMIT = 1 << 20


def checksum(data: bytes) -> bytes:
    """The 16-byte BLAKE2b ccov checks its files with and names sources by:
    the data file, the analysis cache's keys, a measured file's content."""
    return blake2b(data, digest_size=CHECKSUM_SIZE).digest()


# ---- encoding ----------------------------------------------------------------


def _u32(number: int) -> bytes:
    return number.to_bytes(4, "little")


def _text(text: str) -> bytes:
    # File names (and test ids) come from the OS, and a POSIX name is bytes:
    # Python gives one that is not UTF-8 back with surrogate escapes, which
    # "surrogatepass" keeps, so no file of a run is ever lost for its name.
    encoded = text.encode("utf-8", "surrogatepass")
    return _u32(len(encoded)) + encoded


def _blob(data: bytes) -> bytes:
    return _u32(len(data)) + data


def _arc_bytes(arcs: set[tuple[int, int]]) -> bytes:
    import struct  # here: line mode, the common case, never needs it (start-up)

    numbers = [number for arc in sorted(arcs) for number in arc]
    return struct.pack(f"<{len(numbers)}i", *numbers)


def encode(data: CoverageData) -> bytes:
    """The whole file's bytes for `data`."""
    meta = {"ccov_version": __version__, "python": sys.version.split()[0], "kind": "lines", **data.meta}
    contexts: dict[str, int] = {}
    files = []
    for path, entry in sorted(data.files.items()):
        measured_only = not entry.all_lines()
        # An empty row says "measured", which the other rows say already.
        lines = [(context, bits) for context, bits in entry.lines.items() if bits or measured_only]
        arcs = [(context, found) for context, found in entry.arcs.items() if found]
        for context, _ in lines + arcs:
            contexts.setdefault(context, len(contexts))
        parts = [_text(path), _text(entry.hash or ""), _u32(len(lines))]
        parts += [_u32(contexts[context]) + _blob(linebits.to_bytes(bits)) for context, bits in lines]
        parts.append(_u32(len(arcs)))
        parts += [_u32(contexts[context]) + _blob(_arc_bytes(found)) for context, found in arcs]
        files.append(b"".join(parts))
    body = b"".join([
        _u32(len(meta)), *(_text(key) + _text(value) for key, value in sorted(meta.items())),
        _u32(len(contexts)), *(_text(name) for name in contexts),
        _u32(len(files)), *files,
    ])
    return MAGIC + _u32(FORMAT_VERSION) + checksum(body) + body


# ---- decoding ----------------------------------------------------------------


class _Damaged(Exception):
    """The bytes are not what format 2 says; the message says where."""


class _Reader:
    def __init__(self, body: bytes):
        self.body = body
        self.at = 0

    def take(self, size: int) -> bytes:
        if size > len(self.body) - self.at:
            raise _Damaged("it ends too soon")
        piece = self.body[self.at:self.at + size]
        self.at += size
        return piece

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "little")

    def blob(self) -> bytes:
        return self.take(self.u32())

    def text(self) -> str:
        try:
            return self.blob().decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            raise _Damaged("a name that is not text") from None


def _checked_body(path: str, content: bytes, whole: bool = True) -> bytes:
    """The body of a format 2 file; with `whole`, known to be all of it
    (without, `content` may be its beginning only, and is not checked)."""
    if content.startswith(SQLITE_MAGIC):
        raise _damaged(path, "an SQLite database (coverage.py's, an older ccov's format 1, or another tool's)")
    if len(content) < _HEADER_SIZE or not content.startswith(MAGIC):
        raise _damaged(path, "not a ccov data file (corrupt, truncated or foreign)")
    version = int.from_bytes(content[len(MAGIC):len(MAGIC) + 4], "little")
    if version != FORMAT_VERSION:
        raise _damaged(path, f"format version {version}, this ccov {__version__} reads version {FORMAT_VERSION}")
    body = content[_HEADER_SIZE:]
    if whole and checksum(body) != content[len(MAGIC) + 4:_HEADER_SIZE]:
        raise _damaged(path, "damaged or truncated (its checksum does not match)")
    return body


def _decode_meta(reader: _Reader) -> dict[str, str]:
    return {reader.text(): reader.text() for _ in range(reader.u32())}


def _decode(reader: _Reader) -> CoverageData:
    data = CoverageData(meta=_decode_meta(reader))
    contexts = [reader.text() for _ in range(reader.u32())]

    def context() -> str:
        index = reader.u32()
        if index >= len(contexts):
            raise _Damaged("a row refers to a missing context")
        return contexts[index]

    for _ in range(reader.u32()):
        path = reader.text()
        entry = data.files[path] = FileData(hash=reader.text() or None)
        for _ in range(reader.u32()):
            name = context()
            entry.lines[name] = entry.lines.get(name, 0) | linebits.from_bytes(reader.blob())
        for _ in range(reader.u32()):
            name = context()
            entry.arcs.setdefault(name, set()).update(_arcs_of(reader.blob()))
    if reader.at != len(reader.body):
        raise _Damaged("bytes after the end of the data")
    return data


def _arcs_of(blob: bytes) -> list[tuple[int, int]]:
    if len(blob) % 8:
        raise _Damaged("arc data that is not pairs of line numbers")
    import struct

    numbers = struct.unpack(f"<{len(blob) // 4}i", blob)
    return list(zip(numbers[0::2], numbers[1::2], strict=True))


# ---- reading -----------------------------------------------------------------


def _damaged(path: str, detail: str) -> CcovError:
    return CcovError(f"data file {path} is not a usable ccov data file: {detail}")


def read(path: str) -> CoverageData:
    """Read a data file, ccov's or coverage.py's (an SQLite database, see
    ccov.data.coverage_file); every problem becomes a one-line CcovError."""
    content = _read_bytes(path)
    if content.startswith(SQLITE_MAGIC):
        from ccov.data import coverage_file

        return coverage_file.read(path)
    try:
        return _decode(_Reader(_checked_body(path, content)))
    except _Damaged as err:
        raise _damaged(path, str(err)) from None


def read_meta(path: str) -> dict[str, str]:
    """Only the meta (which run wrote the file): for choosing files.  Reads
    the file's beginning only; read() checks the whole of it."""
    try:
        return _decode_meta(_Reader(_checked_body(path, _read_bytes(path, _HEADER_SIZE + _META_LIMIT), whole=False)))
    except _Damaged as err:
        raise _damaged(path, str(err)) from None


def read_latest(path: str, warn) -> CoverageData:
    """Read the data file a report shows, which must be the latest run's: a
    run whose save failed there and was rescued to the temporary folder
    (rescue_path) makes this file stale, an error; parallel data files newer
    than it are said (`warn`), since `ccov combine` would add them."""
    data = read(path)
    try:
        saved_at = os.stat(path).st_mtime
    except OSError:
        return data
    newer_rescue = next(iter(_newer_rescues(path, saved_at)), None)
    if newer_rescue is not None:
        raise CcovError(f"data file {path} is older than the last run's data, which could not be saved there and "
                        f"was saved to {newer_rescue}: report that one (--data-file), or run again")
    newer = [p for p in parallel_files(path) if _modified_after(p, saved_at)]
    if newer:
        many = len(newer) != 1
        warn(f"{plural(len(newer), 'parallel data file')} beside {os.path.basename(path)} "
             f"{'are' if many else 'is'} newer than it: run `ccov combine` to include {'them' if many else 'it'}")
    return data


RESCUE_PREFIX = ".ccov-rescued"


def rescue_path() -> str:
    """Where a run whose data file cannot be written saves instead."""
    import tempfile

    return parallel_name(os.path.join(tempfile.gettempdir(), RESCUE_PREFIX))


def _newer_rescues(path: str, saved_at: float) -> list[str]:
    import tempfile

    folder = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(folder) if n.startswith(RESCUE_PREFIX + ".")]
    except OSError:
        return []
    found = []
    for name in names:
        rescued = os.path.join(folder, name)
        try:
            if _modified_after(rescued, saved_at) and read_meta(rescued).get("saved_for") == os.path.abspath(path):
                found.append(rescued)
        except CcovError:
            continue
    return found


def _modified_after(path: str, moment: float) -> bool:
    try:
        return os.stat(path).st_mtime > moment
    except OSError:
        return False


def _read_bytes(path: str, limit: int = -1) -> bytes:
    """The bytes of a regular file, at most `limit` of them (ccov.files):
    anything else in the data folder is an error, found without blocking."""
    from ccov.files import NotRegularFile, read_regular

    try:
        return read_regular(path, limit)
    except FileNotFoundError:
        raise CcovError(f"no data file at {path}: run `ccov run` (or `pytest --ccov`) first") from None
    except IsADirectoryError:
        raise CcovError(f"data file {path} is a directory") from None
    except NotRegularFile:
        raise CcovError(f"data file {path} is not a regular file (a FIFO, a device or a socket): left alone") from None
    except OSError as err:
        raise CcovError(f"cannot read data file {path}: {err.strerror}") from None


# ---- writing -----------------------------------------------------------------


def write(path: str, data: CoverageData) -> None:
    """Write `data` to `path` atomically: a temporary file, then a rename, so a
    crash leaves either the old file or the new one, never half of one."""
    content = encode(data)
    directory = os.path.dirname(os.path.abspath(path))
    # A name only this process can have (O_EXCL), without importing tempfile.
    temp_path = os.path.join(directory, f".ccov-tmp-{os.getpid()}-{os.urandom(6).hex()}.partial")
    try:
        descriptor = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except OSError as err:
        raise CcovError(f"cannot write data file {path}: {err.strerror}") from None
    try:
        with open(descriptor, "wb") as temp_file:
            temp_file.write(content)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.replace(temp_path, path)
    except OSError as err:
        remove_quietly(temp_path)
        raise CcovError(f"cannot write data file {path}: {err.strerror or err}") from None
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


class LockTimeout(CcovError):
    """Another process held the data folder's lock for longer than ccov waits."""


def lock_timeout() -> float:
    """Seconds a save or combine waits for the data folder's lock
    (CCOV_LOCK_TIMEOUT, default 10): a save of another process's takes
    well under a second, and a process that holds it for longer (stopped,
    or someone else's) must not stop every measured run in the folder."""
    try:
        return max(0.0, float(os.environ.get("CCOV_LOCK_TIMEOUT", "10")))
    except ValueError:
        return 10.0


class directory_lock:
    """An exclusive lock on the directory of `path`, for read-modify-write of
    a data file (combine, append, adopting child files): two at once would
    lose one's update.  flock on the directory itself leaves no lock file
    behind; where flock does not exist, no lock is taken.  acquire() (and
    so `with`) raises LockTimeout when the lock is not had within
    lock_timeout()."""

    def __init__(self, path: str):
        self.directory = os.path.dirname(os.path.abspath(path))
        self.fd: int | None = None

    def acquire(self) -> None:
        try:
            import fcntl

            fd = self.fd = os.open(self.directory, os.O_RDONLY)
        except (ImportError, OSError):
            return
        import time

        waited_for = lock_timeout()
        deadline = time.monotonic() + waited_for
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.release()
                    raise LockTimeout(f"the data folder {self.directory} stayed locked by another process "
                                      f"for {waited_for:g} s (CCOV_LOCK_TIMEOUT)") from None
                time.sleep(0.05)
            except OSError:  # a file system without flock: no lock
                self.release()
                return

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the flock
            self.fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc_info):
        self.release()
