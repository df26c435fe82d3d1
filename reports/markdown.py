"""The coverage table in GitHub-flavoured Markdown, for a pull-request comment
or $GITHUB_STEP_SUMMARY."""

from __future__ import annotations

from typing import TextIO

from ccov.reports.ranges import format_ranges
from ccov.reports.table import shown_files
from ccov.results import Results, display_percent


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
    header = ["Name", "Stmts", "Miss", "Cover"] + (["Missing"] if show_missing else [])
    out.write("| " + " | ".join(header) + " |\n")
    out.write("| --- | ---: | ---: | ---: |" + (" --- |" if show_missing else "") + "\n")
    for entry in files:
        cells = [escape(entry.name), str(entry.n_statements), str(entry.n_missing),
                 display_percent(entry.percent, precision) + "%"]
        if show_missing:
            cells.append(format_ranges(entry.statements, entry.missing))
        out.write("| " + " | ".join(cells) + " |\n")
    totals = results.totals
    cells = ["**TOTAL**", f"**{totals.statements}**", f"**{totals.missing}**",
             f"**{display_percent(totals.percent, precision)}%**"] + ([""] if show_missing else [])
    out.write("| " + " | ".join(cells) + " |\n")
    for note in notes:
        out.write(f"\n{note}\n")
