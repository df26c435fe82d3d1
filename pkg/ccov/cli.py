"""The `ccov` command line.  Imports stay lazy: `ccov run` must start fast."""

from __future__ import annotations

import argparse
import os
import sys

from ccov import __version__
from ccov.errors import EXIT_GATE_FAILED, EXIT_OK, EXIT_USAGE, CcovError, UsageError

EPILOG = """exit codes: 0 ok; 1 data or I/O error (no data, bad data file, unwritable output);
2 coverage below --fail-under; 3 usage error. `ccov run` exits with the program's own status."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 3, never 2
    (2 means "coverage below --fail-under", as with coverage.py)."""

    def error(self, message):
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _add_config_options(parser):
    parser.add_argument("--data-file", metavar="PATH", help="data file (default .ccov, or [tool.ccov] data_file)")
    parser.add_argument("--config", metavar="PYPROJECT", help="read [tool.ccov] from this file instead of ./pyproject.toml")


def _add_report_options(parser, *, table: bool):
    parser.add_argument("--fail-under", type=float, metavar="PCT", help="exit 2 if the total is below PCT")
    parser.add_argument("--precision", type=int, metavar="N", help="digits after the decimal point")
    if table:
        parser.add_argument("--format", choices=("text", "markdown"), default="text", help="text (default) or markdown")
        parser.add_argument("--step-summary", action="store_true",
                            help="also append the Markdown table to $GITHUB_STEP_SUMMARY when it is set")
        parser.add_argument("-m", "--show-missing", action="store_true", default=None, help="list missing lines")
        parser.add_argument("--skip-covered", action="store_true", default=None, help="leave out fully covered files")
        parser.add_argument("--skip-empty", action="store_true", default=None, help="leave out files without statements")
        parser.add_argument("--sort", metavar="COLUMN", help="name, stmts, miss or cover; prefix - to reverse")


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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if only is not None:
        commands = _OnlyOne(commands, only)

    run = commands.add_parser("run", help="run a program and measure it", epilog=EPILOG)
    run.add_argument("--source", action="append", metavar="DIR_OR_PKG", help="measure only these (repeatable)")
    run.add_argument("--omit", action="append", metavar="GLOB", help="file patterns not to measure (repeatable)")
    run.add_argument("-a", "--append", action="store_true", help="add to the existing data file")
    run.add_argument("-p", "--parallel", action="store_true", default=None, help="write a uniquely named data file")
    run.add_argument("-m", "--module", action="store_true", help="the program is a module, as python -m")
    _add_config_options(run)
    run.add_argument("program", nargs=argparse.REMAINDER, metavar="PROGRAM [ARGS...]")

    report = commands.add_parser("report", help="print the coverage table", epilog=EPILOG)
    _add_config_options(report)
    _add_report_options(report, table=True)

    lcov = commands.add_parser("lcov", help="write an lcov tracefile", epilog=EPILOG)
    lcov.add_argument("-o", "--output", default="lcov.info", metavar="FILE", help="default lcov.info; - for stdout")
    _add_config_options(lcov)
    _add_report_options(lcov, table=False)

    for name, default, what in (("xml", "coverage.xml", "Cobertura XML"), ("json", "coverage.json", "JSON")):
        writer = commands.add_parser(name, help=f"write a {what} report", epilog=EPILOG)
        writer.add_argument("-o", "--output", default=default, metavar="FILE", help=f"default {default}; - for stdout")
        _add_config_options(writer)
        _add_report_options(writer, table=False)

    diff = commands.add_parser("diff", help="coverage of the lines changed since a git base", epilog=EPILOG)
    diff.add_argument("--base", metavar="REF", help="compare with the merge base of REF and HEAD "
                      "(default: the upstream branch, else origin/main, else main)")
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

    commands.add_parser("help", help="show this help")
    return parser


# ---- configuration ---------------------------------------------------------------


def _warn(message: str) -> None:
    print(f"ccov: warning: {message}", file=sys.stderr)


def _config(args):
    from ccov import config as config_module

    config = config_module.load(getattr(args, "config", None), warn=_warn)
    overrides = {
        "data_file": getattr(args, "data_file", None),
        "fail_under": getattr(args, "fail_under", None),
        "precision": getattr(args, "precision", None),
        "show_missing": getattr(args, "show_missing", None),
        "skip_covered": getattr(args, "skip_covered", None),
        "skip_empty": getattr(args, "skip_empty", None),
        "sort": getattr(args, "sort", None),
        "source": getattr(args, "source", None),
        "omit": getattr(args, "omit", None),
        "parallel": getattr(args, "parallel", None),
    }
    config.override(**overrides)
    return config


# ---- commands --------------------------------------------------------------------


def cmd_run(args) -> int:
    from ccov import runner
    from ccov.measure import Measurement

    if not args.program:
        raise UsageError("nothing to run: give a script or -m MODULE (see `ccov run --help`)")
    target, *program_args = args.program
    config = _config(args)
    measurement = Measurement(config, append=args.append)
    measurement.start()
    try:
        if args.module:
            code, main = runner.prepare_module(target, program_args)
        else:
            code, main = runner.prepare_script(target, program_args)
    except SyntaxError as err:
        import traceback

        traceback.print_exception(type(err), err, None)
        return 1
    return runner.execute(code, main)


def _load_results(config):
    from ccov import datafile, reporting

    return reporting.build_results(datafile.read(config.data_file), config, _warn)


def _gates(built, config) -> int:
    """The total against fail_under, each file against fail_under_file."""
    from ccov.reporting import fail_under_shortfall, files_below_minimum

    status = EXIT_OK
    shortfall = fail_under_shortfall(built.totals.percent, config.fail_under, config.precision)
    if shortfall is not None:
        print(f"ccov: coverage failure: {shortfall}", file=sys.stderr)
        status = EXIT_GATE_FAILED
    below = files_below_minimum(built, config.fail_under_file, config.precision)
    if below:
        print(f"ccov: coverage failure: {len(below)} file{'s' if len(below) != 1 else ''} below the per-file minimum:",
              file=sys.stderr)
        for sentence in below:
            print(f"  {sentence}", file=sys.stderr)
        status = EXIT_GATE_FAILED
    return status


def cmd_report(args) -> int:
    import io

    from ccov import reporting

    config = _config(args)
    built = _load_results(config)
    if args.format == "markdown":
        reporting.write_markdown(built, config, sys.stdout)
    else:
        reporting.write_terminal(built, config, sys.stdout)
    if args.step_summary:
        table = io.StringIO()
        reporting.write_markdown(built, config, table)
        if not reporting.append_step_summary(table.getvalue()):
            _warn("--step-summary: $GITHUB_STEP_SUMMARY is not set; nothing appended")
    return _gates(built, config)


def _file_report(args, kind: str, what: str) -> int:
    from ccov import reporting

    config = _config(args)
    built = _load_results(config)
    reporting.write_file_report(kind, built, config, args.output)
    if args.output != "-":
        print(f"Wrote {what} to {args.output}")
    return _gates(built, config)


def cmd_lcov(args) -> int:
    return _file_report(args, "lcov", "lcov tracefile")


def cmd_xml(args) -> int:
    return _file_report(args, "xml", "Cobertura XML report")


def cmd_json(args) -> int:
    return _file_report(args, "json", "JSON report")


def cmd_diff(args) -> int:
    from ccov import diffcov, reporting
    from ccov.reporting import fail_under_shortfall

    config = _config(args)
    built = _load_results(config)
    report = diffcov.diff_coverage(built, args.base, os.getcwd())
    render = {"text": diffcov.as_text, "markdown": diffcov.as_markdown, "github": diffcov.as_github}[args.format]
    print(render(report))
    if args.step_summary and not reporting.append_step_summary(diffcov.as_markdown(report)):
        _warn("--step-summary: $GITHUB_STEP_SUMMARY is not set; nothing appended")
    shortfall = fail_under_shortfall(report.percent, args.fail_under or 0, config.precision, "diff coverage")
    if shortfall is not None:
        print(f"ccov: coverage failure: {shortfall}", file=sys.stderr)
        return EXIT_GATE_FAILED
    return EXIT_OK


def _combine_inputs(args, config) -> list[str]:
    from ccov import datafile

    if not args.inputs:
        return datafile.parallel_files(config.data_file)
    found = []
    for item in args.inputs:
        if os.path.isdir(item):
            found.extend(datafile.parallel_files(os.path.join(item, os.path.basename(config.data_file))))
        elif os.path.isfile(item):
            found.append(item)
        else:
            raise CcovError(f"no data file or directory at {item}")
    return found


def cmd_combine(args) -> int:
    from ccov import datafile

    config = _config(args)
    inputs = [p for p in _combine_inputs(args, config) if os.path.abspath(p) != os.path.abspath(config.data_file)]
    if not inputs:
        raise CcovError("no data files to combine")
    combined = datafile.read(config.data_file) if args.append and os.path.exists(config.data_file) else datafile.CoverageData()
    used = []
    for path in inputs:
        try:
            part = datafile.read(path)
        except CcovError as err:
            _warn(f"{err}; not combined")
            continue
        for warning in combined.update(part, source=path):
            _warn(warning)
        used.append(path)
    if not used:
        raise CcovError("none of the data files could be read")
    datafile.write(config.data_file, combined)
    if not args.keep:
        for path in used:
            try:
                os.remove(path)
            except OSError:
                pass
    print(f"Combined {len(used)} data file{'s' if len(used) != 1 else ''} into {config.data_file}")
    return EXIT_OK


def cmd_erase(args) -> int:
    from ccov import datafile

    config = _config(args)
    for path in [config.data_file, *datafile.parallel_files(config.data_file)]:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise CcovError(f"cannot delete {path}: {err.strerror}") from None
    return EXIT_OK


def cmd_debug(args) -> int:
    import platform

    from ccov import _collector, datafile

    config = _config(args)
    print(f"ccov {__version__}  collector {_collector.__file__}")
    print(f"python {sys.version.split()[0]} ({platform.python_implementation()}) at {sys.executable}")
    print(f"platform {platform.platform()}")
    free = [i for i in range(6) if sys.monitoring.get_tool(i) is None]
    print(f"free sys.monitoring tool ids: {free}")
    print(f"configuration ({'pyproject.toml' if os.path.isfile(args.config or 'pyproject.toml') else 'defaults'}):")
    for name, value in config.as_dict().items():
        print(f"  {name} = {value!r}")
    print(f"data file {os.path.abspath(config.data_file)}:")
    try:
        data = datafile.read(config.data_file)
    except CcovError as err:
        print(f"  {err}")
    else:
        for key, value in sorted({**data.meta, **data.summary()}.items()):
            print(f"  {key} = {value}")
    print("collector statistics: set CCOV_STATS=1 to print them when measurement stops")
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "report": cmd_report,
    "lcov": cmd_lcov,
    "xml": cmd_xml,
    "json": cmd_json,
    "diff": cmd_diff,
    "combine": cmd_combine,
    "erase": cmd_erase,
    "debug": cmd_debug,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # `ccov run ...` needs only its own parser; anything else gets the full one.
    parser = build_parser(only="run" if argv[:1] == ["run"] else None)
    try:
        args = parser.parse_args(argv)
        if args.command in (None, "help"):
            parser.print_help()
            return EXIT_OK if args.command == "help" else EXIT_USAGE
        status = COMMANDS[args.command](args)
    except CcovError as err:
        print(f"ccov: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `ccov json -o - | head`: the reader left, not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return status


if __name__ == "__main__":
    sys.exit(main())
