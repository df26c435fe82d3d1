"""What a run measured, in memory: per file, per context, the executed
lines (bitmaps, ccov.data.linebits) and, with --branch, the arcs; with the
reading calls of coverage.py's CoverageData for the tools built on it.
ccov.data.datafile writes it in ccov's format, ccov.data.coverage_file in
coverage.py's."""

from __future__ import annotations

from ccov.data import linebits
from ccov.errors import CcovError


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

    # ---- coverage.py's CoverageData reading interface, for the tools built on it ----

    def measured_files(self) -> set[str]:
        return set(self.files)

    def has_arcs(self) -> bool:
        return self.branches

    def lines(self, path: str) -> list[int] | None:
        """The executed lines of a measured file, every context's; None for
        a file not measured."""
        entry = self.files.get(path)
        return None if entry is None else linebits.to_lines(entry.all_lines())

    def arcs(self, path: str) -> list[tuple[int, int]] | None:
        """The recorded arcs of a measured file (branch data only; None for
        line data or a file not measured)."""
        entry = self.files.get(path)
        return None if entry is None or not self.branches else sorted(entry.all_arcs())

    def measured_contexts(self) -> set[str]:
        return {context for entry in self.files.values() for context in entry.lines}

    def contexts_by_lineno(self, path: str) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for context, bits in sorted((self.files[path].lines if path in self.files else {}).items()):
            for line in linebits.to_lines(bits):
                found.setdefault(line, []).append(context)
        return found

    def file_tracer(self, path: str) -> str | None:
        """'' for a measured file (ccov measures Python files alone), None otherwise."""
        return "" if path in self.files else None

    def summary(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "lines": sum(f.all_lines().bit_count() for f in self.files.values()),
            "arcs": sum(len(f.all_arcs()) for f in self.files.values()),
            "contexts": len({c for f in self.files.values() for c in f.lines}),
        }
