"""Diff coverage: how much of what changed since the merge base is covered.

Changed lines come from `git diff -M --unified=0 <merge base>` (the working
tree against the base, so uncommitted edits count too).  Only statements
count: a changed comment or blank line is neither covered nor missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ccov import gitdiff
from ccov.reports.ranges import format_ranges, line_ranges
from ccov.results import Results, percent
from ccov.selection import canonical


def parse_diff(text: str) -> dict[str, set[int]]:
    """{new path (repository-relative): added or changed line numbers}."""
    changed: dict[str, set[int]] = {}
    for change in gitdiff.parse(text):
        if change.new_path is not None and change.new_lines:
            changed.setdefault(change.new_path, set()).update(change.new_lines)
    return changed


def changed_lines(base: str, cwd: str) -> tuple[str, dict[str, set[int]]]:
    """(repository root, {absolute canonical path: changed lines})."""
    top = gitdiff.toplevel(cwd)
    diff = gitdiff.git("diff", "--no-color", "--no-ext-diff", "-M", "--unified=0", base, "--", cwd=top)
    return top, {canonical(os.path.join(top, path)): lines for path, lines in parse_diff(diff).items()}


@dataclass
class FileDiff:
    name: str                    # as reports show it
    path: str
    repo_path: str               # relative to the repository root, as GitHub wants it
    statements: list[int]        # all statements of the file (for grouping ranges)
    changed: list[int]           # changed statements
    missing: list[int]           # changed statements not executed

    @property
    def covered(self) -> int:
        return len(self.changed) - len(self.missing)


@dataclass
class DiffCoverage:
    base: str
    merge_base: str
    files: list[FileDiff] = field(default_factory=list)
    unmeasured: list[str] = field(default_factory=list)   # changed Python files without data

    @property
    def statements(self) -> int:
        return sum(len(f.changed) for f in self.files)

    @property
    def covered(self) -> int:
        return sum(f.covered for f in self.files)

    @property
    def percent(self) -> float:
        return percent(self.covered, self.statements)


def diff_coverage(results: Results, base_ref: str | None, cwd: str) -> DiffCoverage:
    ref = base_ref or gitdiff.default_base(cwd)
    base = gitdiff.merge_base(ref, cwd)
    top, changes = changed_lines(base, cwd)
    by_path = {entry.path: entry for entry in results.files}
    report = DiffCoverage(base=ref, merge_base=base)
    for path in sorted(changes):
        entry = by_path.get(path)
        if entry is None:
            if path.endswith(".py"):
                report.unmeasured.append(os.path.relpath(path, top))
            continue
        changed = sorted(changes[path] & entry.statements)
        if changed:
            missing = [line for line in changed if line not in entry.executed]
            report.files.append(FileDiff(entry.name, path, os.path.relpath(path, top), sorted(entry.statements), changed, missing))
    return report


# ---- output ------------------------------------------------------------------------------


def as_text(report: DiffCoverage) -> str:
    lines = [f"Diff coverage against {report.base} (merge base {report.merge_base[:10]}):"]
    width = max([len(f.name) for f in report.files] + [5])
    for entry in report.files:
        text = f"{entry.name:<{width}}  {entry.covered} of {len(entry.changed)} changed statements covered " \
               f"({percent(entry.covered, len(entry.changed)):.1f}%)"
        if entry.missing:
            text += f"; not covered: {format_ranges(entry.statements, entry.missing)}"
        lines.append(text)
    if report.unmeasured:
        lines.append("Changed Python files without coverage data: " + ", ".join(report.unmeasured))
    if not report.files:
        lines.append("No changed statements in measured files.")
    lines.append(f"{'TOTAL':<{width}}  {report.covered} of {report.statements} changed statements covered ({report.percent:.1f}%)")
    return "\n".join(lines)


def as_markdown(report: DiffCoverage) -> str:
    from ccov.reports.markdown import escape

    out = [f"**Diff coverage** against `{report.base}`: **{report.percent:.1f}%** "
           f"({report.covered} of {report.statements} changed statements)", ""]
    if report.files:
        out += ["| File | Changed | Covered | Not covered |", "| --- | ---: | ---: | --- |"]
        for entry in report.files:
            out.append(f"| {escape(entry.name)} | {len(entry.changed)} | {entry.covered} | "
                       f"{format_ranges(entry.statements, entry.missing)} |")
    if report.unmeasured:
        out += ["", "Changed Python files without coverage data: " + ", ".join(f"`{p}`" for p in report.unmeasured)]
    return "\n".join(out)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(report: DiffCoverage) -> str:
    """GitHub Actions workflow commands: one warning per uncovered range."""
    lines = []
    for entry in report.files:
        for first, last in line_ranges(entry.statements, entry.missing):
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            properties = ",".join([
                f"file={_escape_property(entry.repo_path)}",
                f"line={first}",
                f"endLine={last}",
                f"title={_escape_property('Not covered by tests')}",
            ])
            lines.append(f"::warning {properties}::{_escape_data(f'Changed {where} of {entry.name} not covered by tests')}")
    lines.append(as_text(report))
    return "\n".join(lines)
