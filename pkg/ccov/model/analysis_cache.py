"""Analysis results cached by source content, so a second report is fast.

One SQLite file, `.ccov_cache/analysis.sqlite` beside the data file.  The key
is a hash of the source's content hash, the exclusion regexes and the ccov
and Python versions; the value is JSON (data only, never code).  A cache that
cannot be opened, read or written is simply not used.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys

from ccov import __version__
from ccov.cache_folder import cache_folder
from ccov.data.datafile import checksum
from ccov.model.analysis import FileAnalysis, Function, Region

# Bumped whenever what analysis produces changes (2: branches; 3: withs; 4: the
# branch model's code-less statements and one-line bodies; 5: where a raise in a
# try goes; 7: where a `finally` that only a jump enters leads), so old entries
# never answer.
_FORMAT = 7
_ENVIRONMENT = f"ccov {__version__} format {_FORMAT} python {sys.version_info[:3]}"


def cache_key(content_hash: str, exclusions: list[str]) -> str:
    material = "\0".join([_ENVIRONMENT, content_hash, *exclusions])
    return checksum(material.encode()).hex()


def _encode(analysis: FileAnalysis) -> str:
    return json.dumps(
        {
            "s": sorted(analysis.statements),
            "e": sorted(analysis.excluded),
            "f": [[f.name, f.line, sorted(f.lines)] for f in analysis.functions],
            "m": sorted(analysis.multiline.items()),
            "b": sorted([line, list(to)] for line, to in (analysis.branches or {}).items()),
            "n": sorted(analysis.no_branch),
            "w": sorted([line, list(span)] for line, span in (analysis.withs or {}).items()),
            "r": [[r.kind, r.name, r.start, _spans(r.lines)] for r in analysis.regions],
            "c": analysis.line_count,
        },
        separators=(",", ":"),
    )


def _decode(text: str) -> FileAnalysis:
    raw = json.loads(text)
    return FileAnalysis(
        statements=frozenset(raw["s"]),
        excluded=frozenset(raw["e"]),
        functions=[Function(name, line, frozenset(lines)) for name, line, lines in raw["f"]],
        multiline=dict(raw["m"]),
        branches={line: tuple(to) for line, to in raw["b"]},
        no_branch=frozenset(raw["n"]),
        withs={line: tuple(span) for line, span in raw["w"]},
        regions=tuple(Region(kind, name, start, _lines(spans)) for kind, name, start, spans in raw["r"]),
        line_count=raw["c"],
    )


def _spans(lines: frozenset) -> list[list[int]]:
    """[[first, last], ...] of the runs of consecutive lines: a region's lines
    are mostly one run."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and spans[-1][1] == line - 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return spans


def _lines(spans: list) -> frozenset:
    return frozenset(line for first, last in spans for line in range(first, last + 1))


class AnalysisCache:
    def __init__(self, directory: str):
        self.directory = directory
        self.path = os.path.join(directory, ".ccov_cache", "analysis.sqlite")
        self._connection = None

    def _connect(self):
        if self._connection is None:
            cache_folder(self.directory)
            self._connection = sqlite3.connect(self.path, timeout=2)
            self._connection.execute("CREATE TABLE IF NOT EXISTS analysis (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        return self._connection

    def get_many(self, keys: list[str]) -> dict[str, FileAnalysis]:
        found = {}
        try:
            connection = self._connect()
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, value in connection.execute(f"SELECT key, value FROM analysis WHERE key IN ({marks})", chunk):
                    found[key] = _decode(value)
        except (OSError, sqlite3.Error, ValueError, KeyError, TypeError):
            return found
        return found

    def put_many(self, entries: dict[str, FileAnalysis]) -> None:
        if not entries:
            return
        try:
            connection = self._connect()
            with connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO analysis VALUES (?, ?)", [(k, _encode(v)) for k, v in entries.items()]
                )
        except (OSError, sqlite3.Error):
            pass

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
