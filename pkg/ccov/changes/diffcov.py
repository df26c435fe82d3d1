"""Diff coverage: how much of what changed since the merge base is covered.

Changed lines come from `git diff -M --unified=0 <merge base>` (the working
tree against the base, so uncommitted edits count too).  Only statements
count: a changed comment or blank line is neither covered nor missing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ccov.changes import gitdiff
from ccov.files import canonical
from ccov.model.results import Results, percent


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
