"""The command-line grammar (argparse), imported only when it is needed: a
plain `ccov run` is parsed by ccov.frontends.cli.parse_run_quickly without it."""

from __future__ import annotations

import argparse

from ccov import __version__
from ccov.config import SORT_COLUMNS
from ccov.errors import UsageError
from ccov.frontends.run_options import RUN_OPTIONS

EPILOG = """exit codes: 0 ok; 1 data or I/O error (no data, bad data file, unwritable output);
2 a coverage gate failed; 3 usage error. `ccov run` exits with the program's own status."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 3, never 2
    (2 means "coverage below --fail-under", as with coverage.py)."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")

    def parse_args(self, args=None, namespace=None):
        """As argparse's, with two differences: `--sort -cover` is a value
        (coverage.py takes it; argparse takes `-cover` for an option), and
        an unknown option points at its command's help, not ccov's."""
        import sys

        parsed, extra = self.parse_known_args(_reversed_sort_attached(sys.argv[1:] if args is None else args),
                                              namespace)
        if extra:
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            raise UsageError(f"unrecognized arguments: {' '.join(extra)} (see `{prog} --help`)")
        return parsed


def _reversed_sort_attached(argv: list[str]) -> list[str]:
    """`--sort -cover` as `--sort=-cover`, for a column name after the minus;
    never in `ccov run` (its program's arguments are the program's) nor
    after `--`."""
    if argv[:1] == ["run"] or "--sort" not in argv:
        return list(argv)
    end = argv.index("--") if "--" in argv else len(argv)
    joined: list[str] = []
    for position, word in enumerate(argv):
        if (position < end and joined and joined[-1] == "--sort" and word.startswith("-")
                and word[1:].lower() in SORT_COLUMNS):
            joined[-1] = f"--sort={word}"
        else:
            joined.append(word)
    return joined


def _add_config_options(parser):
    parser.add_argument("--data-file", metavar="PATH", help="data file (default .ccov, or [tool.ccov] data_file)")
    parser.add_argument("--config", metavar="FILE", help="read the configuration from this file only: a TOML file's "
                        "[tool.ccov] and [tool.coverage], or a .coveragerc-style INI file")


def _add_file_filters(parser):
    parser.add_argument("--include", action="append", dest="report_include", metavar="GLOB",
                        help="report only files matching these patterns (repeatable, or comma-separated)")
    parser.add_argument("--omit", action="append", dest="report_omit", metavar="GLOB",
                        help="leave out files matching these patterns (repeatable, or comma-separated)")


def _add_report_options(parser, *, table: bool):
    parser.add_argument("--fail-under", type=float, metavar="PCT", help="exit 2 if the total is below PCT")
    parser.add_argument("--precision", type=int, metavar="N", help="digits after the decimal point")
    _add_file_filters(parser)
    if table:
        parser.add_argument("--format", choices=("text", "markdown", "total"), default=None,
                            help="text (default), markdown, or total (just the total percentage)")
        parser.add_argument("--step-summary", action="store_true",
                            help="also append the Markdown table to $GITHUB_STEP_SUMMARY when it is set")
        parser.add_argument("-m", "--show-missing", action="store_true", default=None, help="list missing lines")
        parser.add_argument("--skip-covered", action="store_true", default=None, help="leave out fully covered files")
        parser.add_argument("--skip-empty", action="store_true", default=None, help="leave out files without statements")
        parser.add_argument("--sort", metavar="COLUMN",
                            help="name, stmts, miss, branch, brpart or cover (any case); prefix - to reverse")


class _OnlyOne:
    """Stands in for argparse's subparsers action when only one command's
    parser is wanted: argparse formats every argument's help as it is added,
    and building all the commands costs `ccov run` milliseconds."""

    def __init__(self, commands, wanted: str):
        self._commands = commands
        self._wanted = wanted

    def add_parser(self, name, **kwargs):
        if name == self._wanted:
            return self._commands.add_parser(name, **kwargs)
        return _Discard()


class _Discard:
    """Takes the arguments of a command that is not being parsed, and drops them."""

    def add_argument(self, *args, **kwargs):
        pass


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = _Parser(prog="ccov", description="Code coverage for Python 3.12+ on sys.monitoring.", epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"ccov {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands = subparsers if only is None else _OnlyOne(subparsers, only)

    run = commands.add_parser("run", help="run a program and measure it", epilog=EPILOG)
    for flags, dest, action, metavar, text in RUN_OPTIONS:
        extra = {"metavar": metavar} if metavar else {"default": None}
        run.add_argument(*flags, dest=dest, action=action, help=text, **extra)
    run.add_argument("program", nargs=argparse.REMAINDER, metavar="PROGRAM [ARGS...]")

    report = commands.add_parser("report", help="print the coverage table", epilog=EPILOG)
    _add_config_options(report)
    _add_report_options(report, table=True)

    lcov = commands.add_parser("lcov", help="write an lcov tracefile", epilog=EPILOG)
    lcov.add_argument("-o", "--output", metavar="FILE", help="default lcov.info, or [lcov] output; - for stdout")
    _add_config_options(lcov)
    _add_report_options(lcov, table=False)

    for name, default, what in (("xml", "coverage.xml", "Cobertura XML"), ("json", "coverage.json", "JSON")):
        writer = commands.add_parser(name, help=f"write a {what} report", epilog=EPILOG)
        writer.add_argument("-o", "--output", metavar="FILE", help=f"default {default}, or [{name}] output; - for stdout")
        _add_config_options(writer)
        _add_report_options(writer, table=False)
        if name == "json":
            writer.add_argument("--show-contexts", action="store_true", default=None,
                                help="for each executed line, the contexts (tests) that ran it")

    html = commands.add_parser("html", help="write the HTML report", epilog=EPILOG)
    html.add_argument("-d", "--directory", metavar="DIR", help="default htmlcov, or [tool.ccov] html_dir")
    html.add_argument("--title", metavar="TITLE", help="default \"Coverage report\", or [tool.ccov] html_title")
    html.add_argument("--skip-covered", action="store_true", default=None, help="leave out fully covered files")
    html.add_argument("--skip-empty", action="store_true", default=None, help="leave out files without statements")
    _add_config_options(html)
    _add_file_filters(html)
    html.add_argument("--fail-under", type=float, metavar="PCT", help="exit 2 if the total is below PCT")
    html.add_argument("--precision", type=int, metavar="N", help="digits after the decimal point")

    who = commands.add_parser("who", help="the contexts (tests) that ran some lines", epilog=EPILOG)
    who.add_argument("locations", nargs="+", metavar="FILE:LINE[-END]", help="e.g. src/pkg/mod.py:42 or mod.py:10-20")
    _add_config_options(who)

    diff = commands.add_parser("diff", help="coverage of the lines changed since a git base", epilog=EPILOG)
    diff.add_argument("--base", metavar="REF", help="compare with the merge base of REF and HEAD "
                      "(default: origin/HEAD, else origin/main, origin/master, main, master)")
    diff.add_argument("--fail-under", type=float, metavar="PCT", help="exit 2 if diff coverage is below PCT")
    diff.add_argument("--format", choices=("text", "markdown", "github"), default="text",
                      help="text, markdown, or github (workflow-command annotations)")
    diff.add_argument("--step-summary", action="store_true",
                      help="also append a Markdown summary to $GITHUB_STEP_SUMMARY when it is set")
    _add_config_options(diff)

    combine = commands.add_parser("combine", help="merge parallel data files into the data file", epilog=EPILOG)
    combine.add_argument("inputs", nargs="*", metavar="DATA_FILE_OR_DIR")
    combine.add_argument("-a", "--append", action="store_true", help="keep what the data file already holds")
    combine.add_argument("--keep", action="store_true", help="do not delete the combined files")
    _add_config_options(combine)

    erase = commands.add_parser("erase", help="delete the data file and parallel data files", epilog=EPILOG)
    _add_config_options(erase)

    debug = commands.add_parser("debug", help="configuration, interpreter and data file summary")
    _add_config_options(debug)

    help_command = commands.add_parser("help", help="show this help, or a command's (ccov help COMMAND)")
    help_command.add_argument("topic", nargs="?", metavar="COMMAND")
    return parser


