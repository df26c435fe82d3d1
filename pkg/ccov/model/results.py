"""The results model: what every report reads.

Built once from a data file and the sources: per file its statements,
executed, missing and excluded lines and its functions; and the totals.
No report re-derives coverage on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import cached_property

from ccov.data import linebits
from ccov.data.datafile import CoverageData
from ccov.model.analysis import AnalysisError, FileAnalysis, analyze
from ccov.model.source import SourceError, content_hash, decode, read_bytes


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
    # Branch measurement (None without it): {branch line: its destinations},
    # and {branch line: the destinations taken}.  A negative destination is "exit".
    branches: dict | None = None
    taken: dict = field(default_factory=dict)
    no_branch: frozenset = frozenset()  # branch lines whose arcs are never missing
    # line -> the first line of its statement, for the lines of multi-line statements
    multiline: dict = field(default_factory=dict)
    regions: tuple = ()       # ccov.model.analysis.Region: functions and classes as coverage.py's JSON counts them
    line_count: int = 0

    def statement_of(self, line: int) -> int | None:
        """The statement a line belongs to (a continuation line's is the
        statement's first line), or None if it is part of none."""
        first = self.multiline.get(line, line)
        return first if first in self.statements else None

    @property
    def missing(self) -> frozenset:
        return self.statements - self.executed

    @property
    def n_branches(self) -> int:
        return sum(len(to) for to in (self.branches or {}).values())

    @property
    def n_missing_branches(self) -> int:
        return len(self.missing_arcs)

    @property
    def n_taken(self) -> int:
        """Branch arcs counted as covered: all but the missing ones."""
        return self.n_branches - self.n_missing_branches

    @cached_property
    def missing_arcs(self) -> list[tuple[int, int]]:
        """Branch arcs not taken, from every branch line (run or not).  Cached:
        every count and report below reads it."""
        return sorted((line, to) for line, tos in (self.branches or {}).items() if line not in self.no_branch
                      for to in tos if to not in self.taken.get(line, ()))

    @cached_property
    def partial(self) -> dict[int, list[int]]:
        """{branch line that ran but did not go every way: where it never went}."""
        found: dict[int, list[int]] = {}
        for line, to in self.missing_arcs:
            if line in self.executed:
                found.setdefault(line, []).append(to)
        return found

    @property
    def partial_lines(self) -> list[int]:
        return sorted(self.partial)

    @property
    def n_partial(self) -> int:
        """coverage.py's BrPart: the arcs not taken from branch lines that ran."""
        return sum(len(tos) for tos in self.partial.values())

    def function_branches(self) -> list[tuple[int, int]]:
        """(branch arcs, arcs taken) of each function, in `functions` order:
        a branch belongs to the function whose own statements hold its line."""
        owner = {line: index for index, function in enumerate(self.functions) for line in function.lines}
        missed: dict[int, int] = {}
        for line, _ in self.missing_arcs:
            missed[line] = missed.get(line, 0) + 1
        counts = [[0, 0] for _ in self.functions]
        for line, tos in (self.branches or {}).items():
            index = owner.get(line)
            if index is not None:
                counts[index][0] += len(tos)
                counts[index][1] += len(tos) - missed.get(line, 0)
        return [(arcs, taken) for arcs, taken in counts]

    def regions_of(self, kind: str) -> dict[str, tuple[int, FileCoverage]]:
        """{name: (start line, coverage of its lines)} of the functions or
        classes, then "" for the lines outside them all.  A name that comes
        twice, or names nothing countable beside one that does, is told
        apart by `@start`, as coverage.py does."""
        chosen = [region for region in self.regions if region.kind == kind]
        inside = frozenset().union(*(region.lines for region in chosen))
        outside = frozenset(range(1, self.line_count + 1)) - inside
        parts = [self._part(region.lines) for region in chosen]
        counted = {region.name for region, part in zip(chosen, parts, strict=True) if part.n_statements}
        found: dict[str, tuple[int, FileCoverage]] = {}
        for region, part in zip(chosen, parts, strict=True):
            name = region.name
            if name in found or (name in counted and not part.n_statements):
                name = f"{name}@{region.start}"
            found[name] = (region.start, part)
        # Statements past the last line counted (none, but for a source that
        # changed) stay outside too: every statement is in one part.
        found[""] = (min(outside, default=1), self._part(None, leave_out=inside))
        return found

    def _part(self, lines: frozenset | None, leave_out: frozenset = frozenset()) -> FileCoverage:
        """This file counted over `lines` only (or over all but `leave_out`):
        their statements, and the branches that leave them."""
        def keep(keys):
            return (keys & lines) if lines is not None else (keys - leave_out)

        branches = self.branches
        return replace(
            self, statements=keep(self.statements), executed=keep(self.executed), excluded=keep(self.excluded),
            functions=(), regions=(),
            contexts={line: self.contexts[line] for line in keep(self.contexts.keys())} if self.contexts else {},
            branches=None if branches is None else {line: branches[line] for line in keep(branches.keys())},
            taken={line: self.taken[line] for line in keep(self.taken.keys())} if self.taken else {},
        )

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
        """Statements and branches together, as coverage.py counts them."""
        return percent(self.n_executed + self.n_taken, self.n_statements + self.n_branches)


@dataclass
class Totals:
    statements: int = 0
    executed: int = 0
    excluded: int = 0
    files: int = 0
    branches: int = 0
    taken: int = 0
    partial: int = 0

    @property
    def missing(self) -> int:
        return self.statements - self.executed

    @property
    def percent(self) -> float:
        return percent(self.executed + self.taken, self.statements + self.branches)

    @classmethod
    def of(cls, entry: FileCoverage) -> Totals:
        """One file's counts."""
        totals = cls()
        totals.add(entry)
        return totals

    def add(self, entry: FileCoverage) -> None:
        self.statements += entry.n_statements
        self.executed += entry.n_executed
        self.excluded += len(entry.excluded)
        self.files += 1
        self.branches += entry.n_branches
        self.taken += entry.n_taken
        self.partial += entry.n_partial


@dataclass
class Results:
    files: list[FileCoverage] = field(default_factory=list)
    branch: bool = False  # measured with --branch: every file has `branches`
    warnings: list[str] = field(default_factory=list)
    # Measured files no report can show, as (name, why): gone, changed,
    # undecodable, not Python.  A report may list them; none counts them.
    skipped: list[tuple[str, str]] = field(default_factory=list)
    # The directory names are shown relative to, and report files are written under.
    root: str = field(default_factory=os.getcwd)

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
    """The name reports show: relative to `root` when inside it, and always
    printable text (a name that is not UTF-8 shows U+FFFD for its odd bytes;
    `path` keeps the real one)."""
    relative = os.path.relpath(path, root)
    name = path if relative.startswith(os.pardir + os.sep) or relative == os.pardir else relative
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _analyse_text(job: tuple[str, bytes, list[str], list[str]]):
    """(path, source bytes, exclusions, no_branch) -> FileAnalysis, or the error's message.
    Top-level so a process pool can run it."""
    path, data, exclusions, no_branch = job
    try:
        return analyze(decode(data, path), path, exclusions, no_branch)
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


def _analyse_all(jobs: list, progress=None) -> list:
    """The analyses of `jobs`, in order; `progress(done, total)` hears of each."""
    progress = progress or (lambda done, total: None)
    cpus = os.cpu_count() or 1
    if len(jobs) < PARALLEL_THRESHOLD or cpus < 2:
        return _counted((_analyse_text(job) for job in jobs), len(jobs), progress)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork is fastest, but forking a process that has threads (pytest-xdist,
    # a program's own) can deadlock the child: spawn then.
    context = multiprocessing.get_context("spawn" if _has_threads() else "fork")
    try:
        with ProcessPoolExecutor(max_workers=cpus, mp_context=context) as pool:
            found = pool.map(_analyse_text, jobs, chunksize=max(1, len(jobs) // (cpus * 8)))
            return _counted(found, len(jobs), progress)
    except (OSError, RuntimeError):  # no processes to be had: do it here
        return _counted((_analyse_text(job) for job in jobs), len(jobs), progress)


def _counted(outcomes, total: int, progress) -> list:
    found = []
    for outcome in outcomes:
        found.append(outcome)
        progress(len(found), total)
    return found


def _statements_run(analysis: FileAnalysis, bits: int) -> frozenset:
    return frozenset(analysis.first_line(line) for line in linebits.to_lines(bits)) & analysis.statements


def _contexts_by_line(analysis: FileAnalysis, lines_by_context: dict[str, int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = {}
    for context, bits in sorted(lines_by_context.items()):
        for line in _statements_run(analysis, bits):
            found.setdefault(line, []).append(context)
    return {line: tuple(names) for line, names in sorted(found.items())}


def _branches_taken(analysis: FileAnalysis, arcs) -> dict[int, frozenset]:
    """The recorded arcs (raw lines) on statement lines, kept where they are
    branch arcs.  An arc out of a code object ends at a negative line; a
    branch line with one exit takes it by any such arc, one with two (a
    one-line body on a `def` line: out of the body, out of the function
    around it) by the exact one."""
    run: dict[int, set[int]] = {}
    withs = analysis.withs or {}
    branches = analysis.branches or {}
    for start, end in arcs:
        source = analysis.first_line(start)
        if source in branches:
            to = analysis.first_line(end) if end > 0 else end
            if to in withs and to < source <= withs[to][0]:
                to = withs[to][1]  # out of a `with` by its exit
            run.setdefault(source, set()).add(to)
    taken = {}
    for line, went in run.items():
        ways = branches[line]
        exits = [to for to in ways if to < 0]
        # Leaving the code a line is in takes its one exit, whatever the
        # exit is numbered; but -line is the exit of a one-line body on this
        # very line (`def f(q): return q`), taken only when that body runs,
        # not when the function around it returns from this line (the end
        # of a `finally` that carries a pending return).
        left = any(to < 0 for to in went)
        hit = frozenset(to for to in ways
                        if to in went or (to < 0 and to != -line and len(exits) == 1 and left))
        if hit:
            taken[line] = hit
    return taken


def file_coverage(path: str, analysis: FileAnalysis, executed_bits: int, root: str, digest: str = "",
                  lines_by_context: dict[str, int] | None = None, arcs=None) -> FileCoverage:
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
        branches=analysis.branches if arcs is not None else None,
        taken=_branches_taken(analysis, arcs) if arcs else {},
        no_branch=analysis.no_branch,
        multiline=analysis.multiline,
        regions=analysis.regions,
        line_count=analysis.line_count,
    )


def build(data: CoverageData, exclusions: list[str], root: str | None = None, cache_dir: str | None = None,
          contexts: bool = False, no_branch: list[str] | tuple[str, ...] = (), progress=None) -> Results:
    """Analyse every measured file (from the cache when its content was seen
    before) and combine it with what ran; with `contexts`, also which
    contexts ran each statement.  `progress(done, total)` hears of each file
    analysed afresh."""
    from ccov.model.analysis_cache import AnalysisCache, cache_key

    root = root or os.getcwd()
    results = Results(branch=data.branches, root=root)
    settings = [*exclusions, "\0no-branch", *no_branch]
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
        readable.append((path, source, cache_key(digest, settings), digest))
    cache = AnalysisCache(cache_dir or root)
    analyses = cache.get_many([key for _, _, key, _ in readable])
    misses = [(path, source, key) for path, source, key, _ in readable if key not in analyses]
    fresh = {}
    for (path, _, key), outcome in zip(misses, _analyse_all([(p, s, exclusions, no_branch) for p, s, _ in misses],
                                                                  progress), strict=True):
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
                                               entry.lines if contexts else None,
                                               entry.all_arcs() if data.branches else None))
    results.files.sort(key=lambda f: f.name)
    results.skipped.sort()
    return results
