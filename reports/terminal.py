"""The terminal table: coverage.py's layout, so the eye and GitLab's regex know it.

    Name         Stmts   Miss  Cover   Missing
    ------------------------------------------
    pkg/mod.py      20      3    85%   12-14
    ------------------------------------------
    TOTAL           20      3    85%
"""

from __future__ import annotations

from typing import TextIO

from ccov.reports.table import file_cells, shown_files, total_cells
from ccov.results import Results

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
    shown, notes = shown_files(results, skip_covered=skip_covered, skip_empty=skip_empty, sort=sort)
    totals = results.totals

    header = ["Name", "Stmts", "Miss", "Cover"] + (["Missing"] if show_missing else [])
    rows = [file_cells(f, precision, show_missing) for f in shown]
    total = total_cells(totals, precision, show_missing)

    name_width = max([len(r[0]) for r in rows] + [len("TOTAL")])
    cover_width = max(len("Cover"), len(total[3]), *(len(r[3]) for r in rows)) if rows else max(5, len(total[3]))

    def line(cells: list[str]) -> str:
        text = f"{cells[0]:<{name_width}}   {cells[1]:>5}  {cells[2]:>5}  {cells[3]:>{cover_width}}"
        if show_missing:
            text += f"   {cells[4]}"
        return text.rstrip()

    rule = "-" * len(line(header))
    out.write(line(header) + "\n" + rule + "\n")
    for row in rows:
        out.write(line(row) + "\n")
    if rows:
        out.write(rule + "\n")
    out.write(line(total) + "\n")
    for note in notes:
        out.write("\n" + note + "\n")
