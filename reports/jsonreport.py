"""The JSON report (`coverage.json`), format version 1; the schema is
ccov/reports/coverage-schema.json (JSON Schema draft 2020-12)."""

from __future__ import annotations

import json
import time
from typing import TextIO

from ccov import __version__
from ccov.results import FileCoverage, Results, Totals, percent

FORMAT_VERSION = 1


def _summary(counts, branch: bool) -> dict:
    """The summary of a file (FileCoverage) or of all (Totals); with branches,
    percent_covered counts statements and branch arcs together, as coverage.py does."""
    found = {
        "statements": counts.statements,
        "executed": counts.executed,
        "missing": counts.statements - counts.executed,
        "excluded": counts.excluded,
        "percent_covered": round(counts.percent if branch else percent(counts.executed, counts.statements), 4),
    }
    if branch:
        found.update(branches=counts.branches, covered_branches=counts.taken,
                     missing_branches=counts.branches - counts.taken, partial_branches=counts.partial)
    return found


def _file(entry: FileCoverage, show_contexts: bool, branch: bool) -> dict:
    found = {
        "path": entry.path,
        "executed_lines": sorted(entry.executed),
        "missing_lines": sorted(entry.missing),
        "excluded_lines": sorted(entry.excluded),
        "functions": [
            {"name": f.name, "line": f.line, "statements": f.statements, "executed": f.executed}
            for f in entry.functions
        ],
        "summary": _summary(Totals.of(entry), branch),
    }
    if branch:
        found["executed_branches"] = sorted([line, to] for line, tos in entry.taken.items() for to in tos)
        found["missing_branches"] = [list(arc) for arc in entry.missing_arcs]
    if show_contexts:
        found["contexts"] = {str(line): list(names) for line, names in entry.contexts.items()}
    return found


def document(results: Results, show_contexts: bool = False) -> dict:
    totals = results.totals
    return {
        "meta": {
            "format": FORMAT_VERSION,
            "ccov_version": __version__,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "branch_coverage": results.branch,
            "show_contexts": show_contexts,
        },
        "files": {entry.name: _file(entry, show_contexts, results.branch) for entry in results.files},
        "totals": {**_summary(totals, results.branch), "files": totals.files},
    }


def write(results: Results, out: TextIO, show_contexts: bool = False) -> None:
    json.dump(document(results, show_contexts), out, indent=2)
    out.write("\n")
