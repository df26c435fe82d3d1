"""What the CLI and the pytest plugin share after measurement: building the
results, writing report files, and the fail-under gate."""

from __future__ import annotations

import os
import sys
from typing import Callable, TextIO

from ccov.errors import CcovError


def build_results(data, config, warn: Callable[[str], None]):
    from ccov import results

    built = results.build(data, config.exclusion_regexes)
    for warning in built.warnings:
        warn(warning)
    if not built.files:
        raise CcovError("no data to report")
    return built


def write_terminal(built, config, out: TextIO, *, show_missing=None, skip_covered=None) -> None:
    from ccov.reports import terminal

    terminal.write(
        built,
        out,
        show_missing=config.show_missing if show_missing is None else show_missing,
        skip_covered=config.skip_covered if skip_covered is None else skip_covered,
        skip_empty=config.skip_empty,
        sort=config.sort,
        precision=config.precision,
    )


def write_report_file(path: str, writer: Callable[[TextIO], None]) -> None:
    """Write a report to `path` (`-` is stdout); a path that cannot be written is a CcovError."""
    if path == "-":
        writer(sys.stdout)
        return
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            writer(out)
    except OSError as err:
        raise CcovError(f"cannot write {path}: {err.strerror or err}") from None


def write_lcov(built, path: str) -> None:
    from ccov.reports import lcov

    write_report_file(path, lambda out: lcov.write(built, out))


def fail_under_shortfall(total: float, threshold: float, precision: int) -> str | None:
    """None if `total` meets `threshold`, else the sentence saying by how much.

    As coverage.py: the total is rounded to the shown precision (or to the
    threshold's own decimals, if it has more) before comparing, and a
    threshold of 100 means exactly 100."""
    if not threshold:
        return None
    from ccov.results import display_percent

    text = repr(float(threshold))
    decimals = max(precision, 0 if text.endswith(".0") else len(text.split(".")[1]))
    failed = total != 100.0 if threshold == 100.0 else round(total, decimals) < threshold
    if not failed:
        return None
    shown = display_percent(total, decimals)
    return (
        f"total {shown}% is below --fail-under={threshold:g}% "
        f"(short by {threshold - float(shown):.{decimals}f} points)"
    )
