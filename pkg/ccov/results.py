"""The results model: what every report reads.

Built once from a data file and the sources: per file its statements,
executed, missing and excluded lines and its functions; and the totals.
No report re-derives coverage on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ccov import linebits
from ccov.analysis import AnalysisError, analyze
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
    line: int
    statements: int
    executed: int

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


@dataclass
class Results:
    files: list[FileCoverage] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def totals(self) -> Totals:
        totals = Totals()
        for entry in self.files:
            totals.statements += entry.n_statements
            totals.executed += entry.n_executed
            totals.excluded += len(entry.excluded)
            totals.files += 1
        return totals


def display_name(path: str, root: str) -> str:
    relative = os.path.relpath(path, root)
    return path if relative.startswith(os.pardir + os.sep) or relative == os.pardir else relative


def analyse_file(path: str, executed_bits: int, stored_hash: str | None, exclusions: list[str], root: str) -> FileCoverage:
    """Raises SourceError or AnalysisError for a file that cannot be reported."""
    data = read_bytes(path)
    if stored_hash and content_hash(data) != stored_hash:
        raise SourceError(f"{path} changed since it was measured")
    analysis = analyze(decode(data, path), path, exclusions)
    executed = frozenset(analysis.first_line(line) for line in linebits.to_lines(executed_bits)) & analysis.statements
    functions = tuple(
        FunctionCoverage(f.name, f.line, len(f.lines), len(f.lines & executed)) for f in analysis.functions
    )
    return FileCoverage(
        path=path,
        name=display_name(path, root),
        statements=analysis.statements,
        executed=executed,
        excluded=analysis.excluded,
        functions=functions,
    )


def build(data: CoverageData, exclusions: list[str], root: str | None = None) -> Results:
    root = root or os.getcwd()
    results = Results()
    for path, entry in data.files.items():
        try:
            results.files.append(analyse_file(path, entry.all_lines(), entry.hash, exclusions, root))
        except (SourceError, AnalysisError) as err:
            results.warnings.append(f"{err}; skipped")
    results.files.sort(key=lambda f: f.name)
    return results
