"""The coverage table in GitHub-flavoured Markdown, for a pull-request comment
or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from typing import TextIO

from ccov.model.results import Results
from ccov.reports.table import file_cells, header_cells, shown_files, total_cells


def escape(text: str) -> str:
    """Markdown metacharacters in file names are shown literally."""
    for char in "\\`*_[]<>|":
        text = text.replace(char, "\\" + char)
    return text


def write(
    results: Results,
    out: TextIO,
    *,
    show_missing: bool = False,
    skip_covered: bool = False,
    skip_empty: bool = False,
    sort: str = "name",
    precision: int = 0,
) -> None:
    files, notes = shown_files(results, skip_covered=skip_covered, skip_empty=skip_empty, sort=sort)
    header = header_cells(results.branch, show_missing)
    out.write("| " + " | ".join(header) + " |\n")
    numeric = len(header) - 1 - show_missing
    out.write("| --- |" + " ---: |" * numeric + (" --- |" if show_missing else "") + "\n")
    for entry in files:
        name, *cells = file_cells(entry, precision, show_missing, results.branch)
        out.write("| " + " | ".join([escape(name), *cells]) + " |\n")
    total = total_cells(results.totals, precision, show_missing, results.branch)
    out.write("| " + " | ".join(f"**{cell}**" if cell else "" for cell in total) + " |\n")
    for note in notes:
        out.write(f"\n{note}\n")
