"""Diff coverage: how much of what changed since the merge base is covered.

Changed lines come from `git diff -M --unified=0 <merge base>` (the working
tree against the base, so uncommitted edits count too).  Only statements
count: a changed comment or blank line is neither covered nor missing.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, field

from ccov.errors import CcovError
from ccov.reports.ranges import format_ranges, line_ranges
from ccov.results import Results, percent
from ccov.selection import canonical

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def git(*args: str, cwd: str) -> str:
    try:
        done = subprocess.run(
            ["git", "-c", "core.quotepath=false", *args], cwd=cwd, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise CcovError("git is not installed; `ccov diff` needs it") from None
    if done.returncode != 0:
        raise CcovError(f"git {args[0]} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
    return done.stdout


def _try_git(*args: str, cwd: str) -> str | None:
    try:
        return git(*args, cwd=cwd).strip()
    except CcovError:
        return None


def default_base(cwd: str) -> str:
    """The upstream branch, else origin/main, else main."""
    upstream = _try_git("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}", cwd=cwd)
    if upstream:
        return upstream
    for candidate in ("origin/main", "main"):
        if _try_git("rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}", cwd=cwd):
            return candidate
    raise CcovError("no base to compare with: no upstream branch, no origin/main, no main; pass --base REF")


def merge_base(ref: str, cwd: str) -> str:
    if not _try_git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=cwd):
        shallow = _try_git("rev-parse", "--is-shallow-repository", cwd=cwd) == "true"
        hint = "this is a shallow clone: fetch the base (`git fetch --unshallow`, or `git fetch origin main`)" if shallow \
            else "fetch it first (`git fetch origin main`)"
        raise CcovError(f"the base {ref!r} is not in this repository; {hint}")
    base = _try_git("merge-base", ref, "HEAD", cwd=cwd)
    if not base:
        raise CcovError(f"no merge base between {ref!r} and HEAD (in a shallow clone, `git fetch --unshallow` first)")
    return base


def _unquote(path: str) -> str:
    if path.startswith('"') and path.endswith('"'):
        return path[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1").decode("utf-8")
    return path


def parse_diff(text: str) -> dict[str, set[int]]:
    """{new path (repository-relative): added or changed line numbers}."""
    changed: dict[str, set[int]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            target = _unquote(line[4:])
            current = None if target == "/dev/null" else changed.setdefault(target[2:] if target.startswith("b/") else target, set())
        elif current is not None and line.startswith("@@"):
            match = _HUNK.match(line)
            if match:
                start, count = int(match.group(1)), int(match.group(2) or "1")
                current.update(range(start, start + count))
    return {path: lines for path, lines in changed.items() if lines}


def changed_lines(base: str, cwd: str) -> tuple[str, dict[str, set[int]]]:
    """(repository root, {absolute canonical path: changed lines})."""
    top = git("rev-parse", "--show-toplevel", cwd=cwd).strip()
    diff = git("diff", "--no-color", "--no-ext-diff", "-M", "--unified=0", base, "--", cwd=top)
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
    ref = base_ref or default_base(cwd)
    base = merge_base(ref, cwd)
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
