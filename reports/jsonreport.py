"""The JSON report (`coverage.json`), format version 1; the schema is
ccov/reports/coverage-schema.json (JSON Schema draft 2020-12)."""

from __future__ import annotations

import json
import time
from typing import TextIO

from ccov import __version__
from ccov.results import FileCoverage, Results, percent

FORMAT_VERSION = 1


def _summary(statements: int, executed: int, excluded: int) -> dict:
    return {
        "statements": statements,
        "executed": executed,
        "missing": statements - executed,
        "excluded": excluded,
        "percent_covered": round(percent(executed, statements), 4),
    }


def _file(entry: FileCoverage, show_contexts: bool) -> dict:
    found = {
        "path": entry.path,
        "executed_lines": sorted(entry.executed),
        "missing_lines": sorted(entry.missing),
        "excluded_lines": sorted(entry.excluded),
        "functions": [
            {"name": f.name, "line": f.line, "statements": f.statements, "executed": f.executed}
            for f in entry.functions
        ],
        "summary": _summary(entry.n_statements, entry.n_executed, len(entry.excluded)),
    }
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
            "branch_coverage": False,
            "show_contexts": show_contexts,
        },
        "files": {entry.name: _file(entry, show_contexts) for entry in results.files},
        "totals": {**_summary(totals.statements, totals.executed, totals.excluded), "files": totals.files},
    }


def write(results: Results, out: TextIO, show_contexts: bool = False) -> None:
    json.dump(document(results, show_contexts), out, indent=2)
    out.write("\n")
