"""The results model: what every report reads.

Built once from a data file and the sources: per file its statements,
executed, missing and excluded lines and its functions; and the totals.
No report re-derives coverage on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ccov import linebits
from ccov.analysis import AnalysisError, FileAnalysis, analyze
from ccov.datafile import CoverageData
from ccov.source import SourceError, content_hash, decode, read_bytes


def percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def display_percent(value: float, precision: int) -> str:
    """Rounded for display, but never showing 0 or 100 unless it is exactly so."""
    step = 10.0**-precision
    if 0 < value < step:
        value = step
    elif 100 - step < value < 100:
        value = 100 - step
    return f"{value:.{precision}f}"


@dataclass(frozen=True)
class FunctionCoverage:
    name: str
    line: int                 # the `def` line
    lines: frozenset          # its own statements
    executed_lines: frozenset

    @property
    def statements(self) -> int:
        return len(self.lines)

    @property
    def executed(self) -> int:
        return len(self.executed_lines)

    @property
    def hit(self) -> bool:
        return self.executed > 0


@dataclass(frozen=True)
class FileCoverage:
    path: str                 # absolute
    name: str                 # as shown: relative to the report's directory when inside it
    statements: frozenset
    executed: frozenset
    excluded: frozenset
    functions: tuple = ()
    digest: str = ""          # of the source read: a report may cache what it made from it
    # {statement line: names of the contexts (tests) that ran it}, when asked for
    contexts: dict = field(default_factory=dict)

    @property
    def missing(self) -> frozenset:
        return self.statements - self.executed

    @property
    def n_statements(self) -> int:
        return len(self.statements)

    @property
    def n_executed(self) -> int:
        return len(self.executed)

    @property
    def n_missing(self) -> int:
        return self.n_statements - self.n_executed

    @property
    def percent(self) -> float:
        return percent(self.n_executed, self.n_statements)


@dataclass
class Totals:
    statements: int = 0
    executed: int = 0
    excluded: int = 0
    files: int = 0

    @property
    def missing(self) -> int:
        return self.statements - self.executed

    @property
    def percent(self) -> float:
        return percent(self.executed, self.statements)

    def add(self, entry: FileCoverage) -> None:
        self.statements += entry.n_statements
        self.executed += entry.n_executed
        self.excluded += len(entry.excluded)
        self.files += 1


@dataclass
class Results:
    files: list[FileCoverage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Measured files no report can show, as (name, why): gone, changed,
    # undecodable, not Python.  A report may list them; none counts them.
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, path: str, why: str, root: str) -> None:
        self.warnings.append(f"{why}; skipped")
        self.skipped.append((display_name(path, root), why))

    @property
    def totals(self) -> Totals:
        totals = Totals()
        for entry in self.files:
            totals.add(entry)
        return totals


def display_name(path: str, root: str) -> str:
    relative = os.path.relpath(path, root)
    return path if relative.startswith(os.pardir + os.sep) or relative == os.pardir else relative


def _analyse_text(job: tuple[str, bytes, list[str]]):
    """(path, source bytes, exclusions) -> FileAnalysis, or the error's message.
    Top-level so a process pool can run it."""
    path, data, exclusions = job
    try:
        return analyze(decode(data, path), path, exclusions)
    except (SourceError, AnalysisError) as err:
        return str(err)


# Below this many files to analyse, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 200


def _has_threads() -> bool:
    """Threads the OS knows of, including those `threading` never saw (execnet's)."""
    try:
        return len(os.listdir("/proc/self/task")) > 1
    except OSError:
        import threading

        return threading.active_count() > 1


def _analyse_all(jobs: list) -> list:
    cpus = os.cpu_count() or 1
    if len(jobs) < PARALLEL_THRESHOLD or cpus < 2:
        return [_analyse_text(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork is fastest, but forking a process that has threads (pytest-xdist,
    # a program's own) can deadlock the child: spawn then.
    context = multiprocessing.get_context("spawn" if _has_threads() else "fork")
    try:
        with ProcessPoolExecutor(max_workers=cpus, mp_context=context) as pool:
            return list(pool.map(_analyse_text, jobs, chunksize=max(1, len(jobs) // (cpus * 8))))
    except (OSError, RuntimeError):  # no processes to be had: do it here
        return [_analyse_text(job) for job in jobs]


def _statements_run(analysis: FileAnalysis, bits: int) -> frozenset:
    return frozenset(analysis.first_line(line) for line in linebits.to_lines(bits)) & analysis.statements


def _contexts_by_line(analysis: FileAnalysis, lines_by_context: dict[str, int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for context, bits in sorted(lines_by_context.items()):
        for line in _statements_run(analysis, bits):
            found.setdefault(line, []).append(context)
    return {line: tuple(names) for line, names in sorted(found.items())}


def file_coverage(path: str, analysis: FileAnalysis, executed_bits: int, root: str, digest: str = "",
                  lines_by_context: dict[str, int] | None = None) -> FileCoverage:
    executed = _statements_run(analysis, executed_bits)
    functions = tuple(
        FunctionCoverage(f.name, f.line, f.lines, f.lines & executed) for f in analysis.functions
    )
    return FileCoverage(
        path=path,
        name=display_name(path, root),
        statements=analysis.statements,
        executed=executed,
        excluded=analysis.excluded,
        functions=functions,
        digest=digest,
        contexts=_contexts_by_line(analysis, lines_by_context) if lines_by_context is not None else {},
    )


def build(data: CoverageData, exclusions: list[str], root: str | None = None, cache_dir: str | None = None,
          contexts: bool = False) -> Results:
    """Analyse every measured file (from the cache when its content was seen
    before) and combine it with what ran; with `contexts`, also which
    contexts ran each statement."""
    from ccov.analysis_cache import AnalysisCache, cache_key

    root = root or os.getcwd()
    results = Results()
    readable = []  # (path, source bytes, cache key)
    for path, entry in data.files.items():
        if any(ord(char) < 32 or ord(char) == 127 for char in path):
            # A newline in a name would forge records in lcov.info and friends.
            results.warnings.append(f"{path!r} has control characters in its name; skipped")
            continue
        try:
            source = read_bytes(path)
        except SourceError as err:
            results.skip(path, str(err), root)
            continue
        digest = content_hash(source)
        if entry.hash and digest != entry.hash:
            results.skip(path, f"{path} changed since it was measured", root)
            continue
        readable.append((path, source, cache_key(digest, exclusions), digest))
    cache = AnalysisCache(cache_dir or root)
    analyses = cache.get_many([key for _, _, key, _ in readable])
    misses = [(path, source, key) for path, source, key, _ in readable if key not in analyses]
    fresh = {}
    for (path, _, key), outcome in zip(misses, _analyse_all([(p, s, exclusions) for p, s, _ in misses])):
        if isinstance(outcome, str):
            results.skip(path, outcome, root)
        else:
            fresh[key] = analyses[key] = outcome
    cache.put_many(fresh)
    cache.close()
    for path, _, key, digest in readable:
        if key in analyses:
            entry = data.files[path]
            results.files.append(file_coverage(path, analyses[key], entry.all_lines(), root, digest,
                                               entry.lines if contexts else None))
    results.files.sort(key=lambda f: f.name)
    results.skipped.sort()
    return results
