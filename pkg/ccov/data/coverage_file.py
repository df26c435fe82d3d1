"""coverage.py's data file (`.coverage`: SQLite, schema version 7), written
so that coverage.py 7.x and everything built on it (`coverage report`,
`coverage xml`, `coverage combine`, `Coverage().load()`, VS Code, badge
makers) read what ccov measured, and read so that `ccov combine` and the
reports take coverage.py's files too.

The schema, as coverage.py's `sqldata.py` defines it: `coverage_schema`
(one row, 7), `meta` (`version`, and `has_arcs`, "0" or "1"), `file` (one
row per measured file, absolute paths unless relative_files), `context` (''
for none, or a test's `<node id>|<phase>`), `line_bits` (line data: a
numbits blob per file and context, bit n of byte n // 8 for line n, which is
ccov's own bitmap layout) or `arc` (branch data: one row per arc), and
`tracer` (empty: every file is Python).  A file that was measured and never
ran has a `file` row alone, as coverage.py's `touch_files` leaves it.

coverage.py keeps lines or arcs, never both: with arcs, the executed lines
are every positive end of an arc.  ccov records the arcs a report needs (the
branches) and the lines apart, so a line that ends no recorded arc is
written as the entry arc `(-line, line)`: its line then counts as executed,
and an arc from a negative line is never a branch, so no figure moves.

sqlite3 is imported only here, when such a file is written or read:
importing it costs every measured process more start-up time than the rest
of ccov (the reason ccov's own file is not SQLite).
"""

from __future__ import annotations

import os
from itertools import chain

from ccov import __version__
from ccov.data import linebits
from ccov.data.coverage_data import CoverageData
from ccov.errors import CcovError

SCHEMA_VERSION = 7
SQLITE_MAGIC = b"SQLite format 3\x00"

_SCHEMA = """
CREATE TABLE coverage_schema (version integer);
CREATE TABLE meta (key text, value text, unique (key));
CREATE TABLE file (id integer primary key, path text, unique (path));
CREATE TABLE context (id integer primary key, context text, unique (context));
CREATE TABLE line_bits (
    file_id integer, context_id integer, numbits blob,
    foreign key (file_id) references file (id), foreign key (context_id) references context (id),
    unique (file_id, context_id)
);
CREATE TABLE arc (
    file_id integer, context_id integer, fromno integer, tono integer,
    foreign key (file_id) references file (id), foreign key (context_id) references context (id),
    unique (file_id, context_id, fromno, tono)
);
CREATE TABLE tracer (file_id integer primary key, tracer text, foreign key (file_id) references file (id));
"""


def is_coverage_file(path: str) -> bool:
    """Whether the regular file at `path` is an SQLite database (coverage.py's data)."""
    from ccov.files import read_regular

    try:
        return read_regular(path, len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _rows(data: CoverageData):
    """(contexts {name: id}, files [(id, path)], line rows, arc rows)."""
    contexts: dict[str, int] = {}
    files, lines, arcs = [], [], []
    for file_id, (path, entry) in enumerate(sorted(data.files.items()), start=1):
        files.append((file_id, path))
        for context, bits in sorted(entry.lines.items()):
            if not bits:
                continue
            context_id = contexts.setdefault(context, len(contexts) + 1)
            if not data.branches:
                lines.append((file_id, context_id, linebits.to_bytes(bits)))
                continue
            recorded = entry.arcs.get(context, ())
            # In order, as the table's unique index is kept: inserting is quicker.
            arcs += [(file_id, context_id, start, end) for start, end in sorted(recorded)]
            ends = set(chain.from_iterable(recorded))
            arcs += [(file_id, context_id, -line, line) for line in linebits.to_lines(bits) if line not in ends]
    return contexts, files, lines, arcs


def write(path: str, data: CoverageData) -> None:
    """Write `data` as coverage.py's data file at `path`, atomically (a
    temporary file beside it, then a rename)."""
    import sqlite3

    contexts, files, lines, arcs = _rows(data)
    directory = os.path.dirname(os.path.abspath(path))
    temp_path = os.path.join(directory, f".ccov-tmp-{os.getpid()}-{os.urandom(6).hex()}.partial")
    try:
        with open(temp_path, "xb"):
            pass  # the name is this process's alone (O_EXCL) before SQLite opens it
        connection = sqlite3.connect(temp_path, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute("PRAGMA synchronous = OFF")  # the rename below is what makes it whole
            connection.execute("BEGIN")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    connection.execute(statement)
            connection.execute("INSERT INTO coverage_schema (version) VALUES (?)", (SCHEMA_VERSION,))
            connection.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                                   [("version", f"ccov {__version__}"), ("has_arcs", str(int(data.branches)))])
            connection.executemany("INSERT INTO file (id, path) VALUES (?, ?)", files)
            connection.executemany("INSERT INTO context (id, context) VALUES (?, ?)",
                                   [(context_id, name) for name, context_id in contexts.items()])
            connection.executemany("INSERT INTO line_bits (file_id, context_id, numbits) VALUES (?, ?, ?)", lines)
            connection.executemany("INSERT INTO arc (file_id, context_id, fromno, tono) VALUES (?, ?, ?, ?)", arcs)
            connection.execute("COMMIT")
        finally:
            connection.close()
        with open(temp_path, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temp_path, path)
    except (OSError, sqlite3.Error) as err:
        _remove_quietly(temp_path)
        detail = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise CcovError(f"cannot write coverage.py's data file {path}: {detail}") from None
    except BaseException:
        _remove_quietly(temp_path)
        raise


def read(path: str) -> CoverageData:
    """coverage.py's data file at `path`, as ccov's data; every problem is a
    one-line CcovError."""
    import sqlite3
    from urllib.request import pathname2url

    if not is_coverage_file(path):
        raise CcovError(f"data file {path} is not coverage.py's data file")
    try:
        connection = sqlite3.connect(f"file:{pathname2url(os.path.abspath(path))}?mode=ro", uri=True)
    except sqlite3.Error as err:
        raise CcovError(f"cannot read coverage.py's data file {path}: {err}") from None
    try:
        return _read(connection, path)
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):
            raise CcovError(f"data file {path} is not a usable ccov data file: an SQLite database that is "
                            "not coverage.py's data file (an older ccov's format 1, or another tool's): "
                            "measure again") from None
        raise CcovError(f"coverage.py's data file {path} cannot be read: {err}") from None
    except sqlite3.Error as err:
        raise CcovError(f"coverage.py's data file {path} cannot be read: {err}") from None
    finally:
        connection.close()


def _read(connection, path: str) -> CoverageData:
    version = connection.execute("SELECT version FROM coverage_schema").fetchone()
    if version is None or version[0] != SCHEMA_VERSION:
        found = "none" if version is None else version[0]
        raise CcovError(f"coverage.py's data file {path} has schema version {found}; ccov reads version "
                        f"{SCHEMA_VERSION} (coverage.py 7.x)")
    meta = dict(connection.execute("SELECT key, value FROM meta"))
    data = CoverageData(meta={"kind": "branches"} if meta.get("has_arcs") == "1" else {})
    paths = dict(connection.execute("SELECT id, path FROM file"))
    contexts = dict(connection.execute("SELECT id, context FROM context"))
    for name in paths.values():
        data.add_lines(name, 0)  # measured, if it never ran
    for file_id, context_id, numbits in connection.execute("SELECT file_id, context_id, numbits FROM line_bits"):
        data.add_lines(paths[file_id], linebits.from_bytes(numbits), context=contexts.get(context_id, ""))
    arcs: dict[tuple[str, str], set] = {}
    for file_id, context_id, start, end in connection.execute("SELECT file_id, context_id, fromno, tono FROM arc"):
        arcs.setdefault((paths[file_id], contexts.get(context_id, "")), set()).add((start, end))
    for (name, context), found in arcs.items():
        data.add_lines(name, linebits.from_lines(end for arc in found for end in arc if end > 0), context=context)
        data.add_arcs(name, {arc for arc in found if arc[0] != -arc[1]}, context=context)
    return data


def parallel_files(path: str) -> list[str]:
    """coverage.py's parallel data files beside `path` (`path.<anything>`, as
    `coverage combine` takes them) that are SQLite databases."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = os.path.basename(path) + "."
    try:
        names = sorted(n for n in os.listdir(directory) if n.startswith(prefix))
    except OSError:
        return []
    return [os.path.join(directory, n) for n in names if is_coverage_file(os.path.join(directory, n))]


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
