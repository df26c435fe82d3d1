"""What the CLI and the pytest plugin share after measurement: building the
results, writing report files, and the fail-under gate."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TextIO

from ccov.errors import CcovError, plural


def build_results(data, config, warn: Callable[[str], None], contexts: bool = False, root: str | None = None,
                  progress=None):
    """The results model of `data`; names are shown relative to `root` (default:
    the working directory), where relative names in the data are resolved too.
    `progress`: a ccov.frontends.progress.Progress, told of each file analysed."""
    from ccov.data import paths
    from ccov.model import results

    root = root or os.getcwd()
    data = reported_files(paths.localized(data, config, base=root), config, root)
    try:
        built = results.build(data, config.exclusion_regexes, root=root, contexts=contexts,
                              no_branch=config.partial_regexes, progress=progress)
    finally:
        if progress is not None:
            progress.finish()
    built.root = root
    for warning in built.warnings:
        warn(warning)
    if not built.files:
        raise CcovError("no data to report")
    return built


def reported_files(data, config, root: str):
    """The data of the files a report shows: coverage.py's report-time
    `include` and `omit` patterns (relative ones from `root`)."""
    if not config.report_include and not config.report_omit:
        return data
    from ccov.data import datafile
    from ccov.globs import compile_patterns

    include = compile_patterns(config.report_include, root)
    omit = compile_patterns(config.report_omit, root)
    kept = datafile.CoverageData(meta=data.meta)
    for path, entry in data.files.items():
        name = os.path.abspath(os.path.join(root, path))
        if (include is None or include.match(name)) and not (omit is not None and omit.match(name)):
            kept.files[path] = entry
    return kept


def table_options(config, **overrides) -> dict:
    """The settings every coverage table (terminal, Markdown) takes; an
    override of None keeps the configured value."""
    options = {
        "show_missing": config.show_missing,
        "skip_covered": config.skip_covered,
        "skip_empty": config.skip_empty,
        "sort": config.sort,
        "precision": config.precision,
    }
    options.update((name, value) for name, value in overrides.items() if value is not None)
    return options


def write_terminal(built, config, out: TextIO, *, show_missing=None, skip_covered=None) -> None:
    from ccov.reports import terminal

    terminal.write(built, out, **table_options(config, show_missing=show_missing, skip_covered=skip_covered))


def write_report_file(path: str, writer: Callable[[TextIO], None], root: str | None = None, append: bool = False) -> None:
    """Write a report to `path` (`-` is stdout), relative to `root` (default:
    the working directory), or add it at the end of what is there; a path
    that cannot be written is a CcovError."""
    if path == "-":
        writer(sys.stdout)
        return
    where = os.path.join(root, path) if root else path
    try:
        os.makedirs(os.path.dirname(os.path.abspath(where)), exist_ok=True)
        with open(where, "a" if append else "w", encoding="utf-8", newline="\n") as out:
            writer(out)
    except OSError as err:
        raise CcovError(f"cannot write {path}: {err.strerror or err}") from None


def write_lcov(built, path: str) -> None:
    from ccov.reports import lcov

    write_report_file(path, lambda out: lcov.write(built, out), built.root)


def write_xml(built, path: str, config) -> None:
    from ccov.reports import cobertura

    write_report_file(path, lambda out: cobertura.write(built, out, config.source, config.relative_files,
                                                        config.xml_methods), built.root)


def write_json(built, path: str, show_contexts: bool = False, precision: int = 0) -> None:
    from ccov.reports import jsonreport

    write_report_file(path, lambda out: jsonreport.write(built, out, show_contexts, precision), built.root)


def write_html(built, config, directory: str | None = None, title: str | None = None,
               progress=None) -> tuple[str, dict]:
    """The HTML report into `directory` (default html_dir); returns the
    directory and how many pages were written and kept."""
    from ccov.reports import html

    directory = directory or config.html_dir
    try:
        counts = html.write(built, os.path.join(built.root, directory), title=title or config.html_title,
                            precision=config.precision, progress=progress,
                            skip_covered=_either(config.html_skip_covered, config.skip_covered),
                            skip_empty=_either(config.html_skip_empty, config.skip_empty))
    except OSError as err:
        raise CcovError(f"cannot write the HTML report to {directory}: {err.strerror or err}") from None
    finally:
        if progress is not None:
            progress.finish()
    return directory, counts


def _either(specific, general):
    """A report's own setting ([html] skip_covered), else the general one."""
    return general if specific is None else specific


def write_total(built, config, out: TextIO) -> None:
    """Just the total percentage, as `coverage report --format=total`."""
    from ccov.model.results import display_percent

    out.write(display_percent(built.totals.percent, config.precision) + "\n")


def write_markdown(built, config, out: TextIO) -> None:
    from ccov.reports import markdown

    markdown.write(built, out, **table_options(config))


# The file a report goes to when none is named: coverage.py's [lcov], [xml]
# and [json] `output` settings, and pytest-cov's Markdown file.
_DEFAULT_FILE_SETTING = {"lcov": "lcov_output", "xml": "xml_output", "json": "json_output"}
MARKDOWN_FILE = "coverage.md"
# What the plugin's and the API's messages call each file report.
FILE_REPORT_LABELS = {"lcov": "LCOV", "xml": "XML", "json": "JSON", "markdown": "Markdown"}


def report_file(kind: str, config, named: str | None = None) -> str:
    """Where a file report (lcov, xml, json, markdown) is written: the file
    named, else the default.  The one rule the CLI, the plugin and the API
    follow."""
    if named:
        return named
    setting = _DEFAULT_FILE_SETTING.get(kind)
    return getattr(config, setting) if setting else MARKDOWN_FILE


def report_shows_contexts(kind: str, config) -> bool:
    """Whether this report lists each line's contexts, so that its results
    must be built with them: the JSON report, when configured to."""
    return kind == "json" and bool(config.json_show_contexts)


def write_file_report(kind: str, built, config, path: str, show_contexts: bool = False, append: bool = False) -> None:
    """lcov, xml, json or markdown to `path` (relative to the results' root):
    one entry point for the CLI and the plugin.  `show_contexts` (JSON) needs
    results built with contexts; `append` adds a Markdown table to the file."""
    if kind == "markdown":
        write_report_file(path, lambda out: write_markdown(built, config, out), built.root, append=append)
    elif kind == "json":
        write_json(built, path, show_contexts, config.precision)
    elif kind == "xml":
        write_xml(built, path, config)
    else:
        write_lcov(built, path)


def append_step_summary(text: str) -> bool:
    """Append Markdown to $GITHUB_STEP_SUMMARY; False when it is not set."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text + "\n")
    except OSError as err:
        raise CcovError(f"cannot append to $GITHUB_STEP_SUMMARY ({path}): {err.strerror}") from None
    return True


class GateResult:
    """What the coverage gates found: the total against fail_under, and each
    file against its fail_under_file minimum.  The CLI and the plugin both
    ask gates() and say what it found."""

    def __init__(self, total: str | None, files: list[str]):
        self.total = total  # the sentence of a total below fail_under, or None
        self.files = files  # one sentence per file below its minimum

    @property
    def failed(self) -> bool:
        return self.total is not None or bool(self.files)

    def messages(self) -> list[str]:
        """The failures as lines, for the terminal."""
        lines = [f"ccov: coverage failure: {self.total}"] if self.total else []
        if self.files:
            count = len(self.files)
            lines.append(f"ccov: coverage failure: {plural(count, 'file')} below the per-file minimum:")
            lines.extend(f"  {sentence}" for sentence in self.files)
        return lines


def gates(built, config) -> GateResult:
    return GateResult(
        fail_under_shortfall(built.totals.percent, config.fail_under, config.precision),
        files_below_minimum(built, config.fail_under_file, config.precision),
    )


def files_below_minimum(built, minimums: dict, precision: int) -> list[str]:
    """One sentence per file under its minimum (`fail_under_file`): the
    "default" entry applies unless a glob pattern (first match wins) names it."""
    if not minimums:
        return []
    from ccov.globs import compile_patterns

    patterns = [(compile_patterns([p], built.root), pct) for p, pct in minimums.items() if p != "default"]
    failures = []
    for entry in built.files:
        threshold = minimums.get("default", 0.0)
        for regex, pct in patterns:
            if regex is not None and regex.match(entry.path):
                threshold = pct
                break
        if entry.n_statements:
            shortfall = fail_under_shortfall(entry.percent, threshold, precision, entry.name, "its minimum of ")
            if shortfall:
                failures.append(shortfall)
    return failures


def _decimals(number: float) -> int:
    """Digits after the point that `number` is written with (1e-05: 5)."""
    from decimal import Decimal

    exponent = Decimal(repr(float(number))).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def fail_under_shortfall(
    total: float, threshold: float, precision: int, subject: str = "total", limit: str = "--fail-under="
) -> str | None:
    """None if `total` meets `threshold`, else the sentence saying by how much.

    As coverage.py: the total is rounded to the shown precision (or to the
    threshold's own decimals, if it has more) before comparing, and a
    threshold of 100 means exactly 100."""
    if not threshold:
        return None
    from ccov.model.results import display_percent

    decimals = max(precision, _decimals(threshold))
    failed = total != 100.0 if threshold == 100.0 else round(total, decimals) < threshold
    if not failed:
        return None
    shown = display_percent(total, decimals)
    return f"{subject} {shown}% is below {limit}{threshold:g}% (short by {threshold - float(shown):.{decimals}f} points)"
