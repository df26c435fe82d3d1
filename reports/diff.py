"""`ccov diff`'s three outputs: text, Markdown (a pull-request comment or a
job summary) and GitHub Actions annotations, from ccov.changes.diffcov's
DiffCoverage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccov.model.results import percent
from ccov.reports.markdown import escape
from ccov.reports.ranges import format_ranges, line_ranges

if TYPE_CHECKING:
    from ccov.changes.diffcov import DiffCoverage


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
