"""Which files a table shows, and in what order: shared by the terminal and
Markdown tables."""

from __future__ import annotations

from ccov.reports.ranges import format_ranges
from ccov.results import FileCoverage, Results, Totals, display_percent

SORT_KEYS = {
    "name": lambda f: f.name,
    "stmts": lambda f: (f.n_statements, f.name),
    "miss": lambda f: (f.n_missing, f.name),
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
        if skip_covered and entry.n_missing == 0:
            covered += 1
        elif skip_empty and entry.n_statements == 0:
            empty += 1
        else:
            shown.append(entry)
    shown.sort(key=SORT_KEYS[sort.lstrip("-").lower()], reverse=sort.startswith("-"))
    notes = []
    if covered:
        notes.append(f"{covered} file{'s' if covered != 1 else ''} skipped due to complete coverage.")
    if empty:
        notes.append(f"{empty} empty file{'s' if empty != 1 else ''} skipped.")
    return shown, notes


def file_cells(entry: FileCoverage, precision: int, show_missing: bool) -> list[str]:
    """Name, Stmts, Miss, Cover (and Missing) of one file, as text."""
    cells = [entry.name, str(entry.n_statements), str(entry.n_missing), display_percent(entry.percent, precision) + "%"]
    return cells + ([format_ranges(entry.statements, entry.missing)] if show_missing else [])


def total_cells(totals: Totals, precision: int, show_missing: bool) -> list[str]:
    cells = ["TOTAL", str(totals.statements), str(totals.missing), display_percent(totals.percent, precision) + "%"]
    return cells + ([""] if show_missing else [])
