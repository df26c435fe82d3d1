"""Which files a table shows, and in what order: shared by the terminal and
Markdown tables."""

from __future__ import annotations

from ccov.errors import plural
from ccov.model.results import FileCoverage, Results, Totals, display_percent
from ccov.reports.ranges import format_missing

SORT_KEYS = {
    "name": lambda f: f.name,
    "stmts": lambda f: (f.n_statements, f.name),
    "miss": lambda f: (f.n_missing, f.name),
    "branch": lambda f: (f.n_branches, f.name),
    "brpart": lambda f: (f.n_partial, f.name),
    "cover": lambda f: (f.percent, f.name),
}


def shown_files(
    results: Results, *, skip_covered: bool, skip_empty: bool, sort: str
) -> tuple[list[FileCoverage], list[str]]:
    """The files to show, sorted, and the notes about those left out."""
    shown = []
    covered = empty = 0
    for entry in results.files:
        # coverage.py's order: an empty file is also a fully covered one.
        if skip_covered and entry.n_missing == 0 and entry.n_missing_branches == 0:
            covered += 1
        elif skip_empty and entry.n_statements == 0:
            empty += 1
        else:
            shown.append(entry)
    shown.sort(key=SORT_KEYS[sort.lstrip("-").lower()], reverse=sort.startswith("-"))
    notes = []
    if covered:
        notes.append(f"{plural(covered, 'file')} skipped due to complete coverage.")
    if empty:
        notes.append(f"{plural(empty, 'empty file')} skipped.")
    return shown, notes


def header_cells(branch: bool, show_missing: bool) -> list[str]:
    """Name, Stmts, Miss, [Branch, BrPart,] Cover [, Missing]: coverage.py's columns."""
    return ["Name", "Stmts", "Miss", *(["Branch", "BrPart"] if branch else []), "Cover",
            *(["Missing"] if show_missing else [])]


def file_cells(entry: FileCoverage, precision: int, show_missing: bool, branch: bool = False) -> list[str]:
    """The cells of one file's row, as text, in header_cells' order."""
    cells = [entry.name, str(entry.n_statements), str(entry.n_missing)]
    if branch:
        cells += [str(entry.n_branches), str(entry.n_partial)]
    cells.append(display_percent(entry.percent, precision) + "%")
    return cells + ([format_missing(entry)] if show_missing else [])


def total_cells(totals: Totals, precision: int, show_missing: bool, branch: bool = False) -> list[str]:
    cells = ["TOTAL", str(totals.statements), str(totals.missing)]
    if branch:
        cells += [str(totals.branches), str(totals.partial)]
    cells.append(display_percent(totals.percent, precision) + "%")
    return cells + ([""] if show_missing else [])
