"""The `ccov` command line.  Imports stay lazy: `ccov run` must start fast."""

from __future__ import annotations

import os
import sys

from ccov import __version__
from ccov.errors import EXIT_GATE_FAILED, EXIT_OK, CcovError, UsageError, plural, warn
from ccov.frontends.run_options import RUN_OPTIONS
from ccov.measuring import runner

# The Pythons ccov is tested on (.ci/run), as `ccov debug` says.
SUPPORTED_PYTHONS = ("3.12", "3.13", "3.14", "3.15")


class _Arguments:
    """What argparse.Namespace is to parse_run_quickly, without importing
    types (not loaded at start-up)."""

    program: list[str]

    def __init__(self, **values):
        vars(self).update(values)


def parse_run_quickly(argv: list[str]):
    """`ccov run` arguments without importing argparse (it costs start-up
    time); None for anything unusual (help, combined flags, mistakes), which
    argparse then handles and explains."""
    by_flag = {flag: (dest, action) for flags, dest, action, _, _ in RUN_OPTIONS for flag in flags}
    args = _Arguments(command="run", program=[], **{dest: None for _, dest, _, _, _ in RUN_OPTIONS})
    position = 1
    while position < len(argv):
        word = argv[position]
        if not word.startswith("-") or word == "-":
            args.program = argv[position:]
            return args
        flag, equals, value = word.partition("=")
        if flag not in by_flag:
            return None
        dest, action = by_flag[flag]
        if action == "store_true":
            if equals:
                return None
            setattr(args, dest, True)
        else:
            if not equals:
                position += 1
                if position == len(argv):
                    return None
                value = argv[position]
            if action == "append":
                setattr(args, dest, (getattr(args, dest) or []) + [value])
            else:
                setattr(args, dest, value)
        position += 1
    return args


# ---- configuration ---------------------------------------------------------------


def _patterns(values: list[str] | None) -> list[str] | None:
    """--include/--omit, each repeatable and comma-separated as coverage.py's."""
    if values is None:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _config(args):
    from ccov import config as config_module

    config = config_module.load(getattr(args, "config", None), warn=warn)
    html = getattr(args, "command", None) == "html"
    overrides = {
        "data_file": getattr(args, "data_file", None),
        "data_format": getattr(args, "data_format", None),
        "fail_under": getattr(args, "fail_under", None),
        "precision": getattr(args, "precision", None),
        "show_missing": getattr(args, "show_missing", None),
        "skip_covered": getattr(args, "skip_covered", None),
        "skip_empty": getattr(args, "skip_empty", None),
        "sort": getattr(args, "sort", None),
        "source": getattr(args, "source", None),
        "omit": getattr(args, "omit", None),
        "parallel": getattr(args, "parallel", None),
        "context": getattr(args, "context", None),
        "branch": getattr(args, "branch", None),
        "format": getattr(args, "format", None) if getattr(args, "command", None) == "report" else None,
        "report_include": _patterns(getattr(args, "report_include", None)),
        "report_omit": _patterns(getattr(args, "report_omit", None)),
        "json_show_contexts": getattr(args, "show_contexts", None),
        "html_skip_covered": getattr(args, "skip_covered", None) if html else None,
        "html_skip_empty": getattr(args, "skip_empty", None) if html else None,
    }
    config.override(**overrides)
    return config


# ---- commands --------------------------------------------------------------------


def cmd_run(args) -> int:
    from ccov.measuring import childproc, process_env
    from ccov.measuring.measure import Measurement

    if not args.program:
        raise UsageError("nothing to run: give a script or -m MODULE (see `ccov run --help`)")
    target, *program_args = args.program
    config = _config(args)
    import atexit

    atexit.register(_end_by_sigint_if_interrupted)  # before the measurement's save: it runs after it
    childproc.discard()  # a ccov run started by a measured process measures as itself
    measurement = Measurement(config, append=args.append, inherited=process_env.inherited())
    measurement.start()
    try:
        if args.module:
            code, main = runner.prepare_module(target, program_args)
        else:
            code, main = runner.prepare_script(target, program_args)
    except (runner.ProgramNotFound, SyntaxError) as err:
        # The program never started: whatever data file there is stays as it was.
        measurement.abandon()
        if not isinstance(err, SyntaxError):
            raise
        import traceback

        traceback.print_exception(type(err), err, None)
        return 1
    try:
        return runner.execute(code, main)
    finally:
        measurement.program_returned()


def _load_results(config, contexts: bool | None = False):
    """The results model; `contexts` None means "if the data has named contexts"."""
    from ccov.data import datafile
    from ccov.frontends import common

    if not os.path.exists(config.data_file):
        waiting = datafile.parallel_files(config.data_file)
        if waiting:
            raise CcovError(
                f"no data file at {config.data_file}, but {plural(len(waiting), 'parallel data file')} "
                "beside it: run `ccov combine` first"
            )
    from ccov.frontends.progress import Progress

    data = datafile.read_latest(config.data_file, warn)
    if contexts is None:
        contexts = data.has_named_contexts()
    return common.build_results(data, config, warn, contexts=contexts, progress=Progress("analysing"))


def _gates(built, config) -> int:
    """The total against fail_under, each file against fail_under_file."""
    from ccov.frontends.common import gates

    found = gates(built, config)
    for message in found.messages():
        print(message, file=sys.stderr)
    return EXIT_GATE_FAILED if found.failed else EXIT_OK


def cmd_report(args) -> int:
    import io

    from ccov.frontends import common

    config = _config(args)
    built = _load_results(config)
    if config.format == "markdown":
        common.write_markdown(built, config, sys.stdout)
    elif config.format == "total":
        common.write_total(built, config, sys.stdout)
    else:
        common.write_terminal(built, config, sys.stdout)
    if args.step_summary:
        table = io.StringIO()
        common.write_markdown(built, config, table)
        _step_summary(table.getvalue())
    return _gates(built, config)


def _step_summary(markdown: str) -> None:
    """--step-summary, of `report` and `diff` alike."""
    from ccov.frontends import common

    if not common.append_step_summary(markdown):
        warn("--step-summary: $GITHUB_STEP_SUMMARY is not set; nothing appended")


def _file_report(args, kind: str, what: str) -> int:
    from ccov.frontends import common

    config = _config(args)
    show_contexts = common.report_shows_contexts(kind, config)
    built = _load_results(config, contexts=show_contexts)
    output = common.report_file(kind, config, args.output)
    common.write_file_report(kind, built, config, output, show_contexts)
    if output != "-":
        print(f"Wrote {what} to {output}")
    return _gates(built, config)


def cmd_lcov(args) -> int:
    return _file_report(args, "lcov", "lcov tracefile")


def cmd_xml(args) -> int:
    return _file_report(args, "xml", "Cobertura XML report")


def cmd_json(args) -> int:
    return _file_report(args, "json", "JSON report")


def cmd_html(args) -> int:
    from ccov.frontends import common

    config = _config(args)
    built = _load_results(config, contexts=None)
    from ccov.frontends.progress import Progress

    directory, counts = common.write_html(built, config, args.directory, title=args.title,
                                             progress=Progress("writing HTML for"))
    print(f"Wrote HTML report to {os.path.join(directory, 'index.html')} "
          f"({plural(counts['written'], 'page')} written, {counts['kept']} unchanged)")
    return _gates(built, config)


def _location(text: str) -> tuple[str, int, int]:
    name, colon, lines = text.rpartition(":")
    first, dash, last = lines.partition("-")
    if not colon or not first.isdigit() or (dash and not last.isdigit()):
        raise UsageError(f"{text!r} is not FILE:LINE or FILE:START-END")
    start, end = int(first), int(last) if dash else int(first)
    if start < 1 or end < start:
        raise UsageError(f"{text!r}: the lines must run forward from 1")
    return name, start, end


def cmd_who(args) -> int:
    """Which contexts ran each statement of the lines asked for."""
    from ccov.data import datafile, paths
    from ccov.files import canonical
    from ccov.frontends import common

    config = _config(args)
    wanted = [_location(text) for text in args.locations]
    data = paths.localized(datafile.read_latest(config.data_file, warn), config)
    by_path = {canonical(path): path for path in data.files}
    subset = datafile.CoverageData(meta=data.meta)
    for name, _, _ in wanted:
        path = by_path.get(canonical(name))
        if path is None:
            raise CcovError(f"{name} is not in the data file {config.data_file}")
        subset.files[path] = data.files[path]
    built = common.build_results(subset, config, warn, contexts=True)
    entries = {canonical(entry.path): entry for entry in built.files}
    from ccov.reports import who

    for name, start, end in wanted:
        who.write(entries[canonical(by_path[canonical(name)])], start, end, sys.stdout)
    return EXIT_OK


def cmd_diff(args) -> int:
    from ccov.changes import diffcov
    from ccov.frontends.common import fail_under_shortfall
    from ccov.reports import diff

    config = _config(args)
    built = _load_results(config)
    report = diffcov.diff_coverage(built, args.base, os.getcwd())
    render = {"text": diff.as_text, "markdown": diff.as_markdown, "github": diff.as_github}[args.format]
    print(render(report))
    if args.step_summary:
        _step_summary(diff.as_markdown(report))
    shortfall = fail_under_shortfall(report.percent, args.fail_under or 0, config.precision, "diff coverage")
    if shortfall is not None:
        print(f"ccov: coverage failure: {shortfall}", file=sys.stderr)
        return EXIT_GATE_FAILED
    return EXIT_OK


def _combine_inputs(args, config) -> list[str]:
    """The files to combine: ccov's parallel data files beside the data file;
    or, in the directories given, those and coverage.py's (`.coverage.*`, a
    fleet in the middle of a switch); or the files given.  (coverage.py's
    files beside ccov's are left to coverage.py unless asked for: the two
    tools may be run side by side there.)"""
    from ccov.data import coverage_file, datafile

    if not args.inputs:
        return datafile.parallel_files(config.data_file)
    found = []
    for item in args.inputs:
        if os.path.isdir(item):
            # A directory holds another run's data file, its parallel files, or both, of either tool.
            for name, parallel in ((config.data_file, datafile.parallel_files),
                                   (config.coverage_data_file, coverage_file.parallel_files)):
                in_there = os.path.join(item, os.path.basename(name))
                found.extend([in_there] if os.path.isfile(in_there) else [])
                found.extend(parallel(in_there))
        elif os.path.isfile(item):
            found.append(item)
        else:
            raise CcovError(f"no data file or directory at {item}")
    return found


def cmd_combine(args) -> int:
    config = _config(args)
    used = combine_into(config, args.inputs, append=args.append, keep=args.keep)
    print(f"Combined {plural(len(used), 'data file')} into {config.data_file}")
    return EXIT_OK


def combine_into(config, inputs: list[str], append: bool = False, keep: bool = False) -> list[str]:
    """`ccov combine` (and the API's combine()): returns the files combined."""
    from ccov.data import datafile

    # Locked: a process of a run adopting its children's files, or another
    # combine, would otherwise race this read-modify-write.
    with datafile.directory_lock(config.data_file):
        return _combine(_Arguments(inputs=inputs, append=append, keep=keep), config)


def _combine(args, config) -> list[str]:
    """Merge the inputs into the data file; the inputs are deleted only once
    the output is safely written (unless --keep)."""
    from ccov.data import datafile, paths

    outputs = {os.path.abspath(config.data_file), os.path.abspath(config.coverage_data_file)}
    inputs = [p for p in _combine_inputs(args, config) if os.path.abspath(p) not in outputs]
    if not inputs:
        raise CcovError("no data files to combine")
    combined = datafile.CoverageData()
    if args.append and os.path.exists(config.data_file):
        combined = paths.localized(datafile.read(config.data_file), config, keep_relative=config.relative_files)
    used = []
    for path in inputs:
        try:
            part = paths.localized(datafile.read(path), config, keep_relative=config.relative_files)
        except CcovError as err:
            warn(f"{err}; not combined")
            continue
        for warning in combined.update(part, source=path):
            warn(warning)
        used.append(path)
    if not used:
        raise CcovError("none of the data files could be read")
    datafile.write(config.data_file, combined)
    if config.data_format == "coverage":
        from ccov.data import coverage_file

        coverage_file.write(config.coverage_data_file, combined)
    if not args.keep:
        for path in used:
            datafile.remove_quietly(path)
    return used


def cmd_erase(args) -> int:
    from ccov.data import datafile

    config = _config(args)
    leftovers = datafile.parallel_files(config.data_file) + datafile.abandoned_temporaries(config.data_file)
    written_for_coverage_py = [config.coverage_data_file] if config.data_format == "coverage" else []
    for path in [config.data_file, *written_for_coverage_py, *leftovers]:
        if not os.path.lexists(path):
            continue  # nothing to delete is no error, on a read-only filesystem too (EROFS comes before ENOENT)
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise CcovError(f"cannot delete {path}: {err.strerror}") from None
    return EXIT_OK


def cmd_debug(args) -> int:
    import platform

    from ccov import _collector
    from ccov.data import datafile

    config = _config(args)
    print(f"ccov {__version__}  collector {_collector.__file__}")
    print(f"python {sys.version.split()[0]} ({platform.python_implementation()}) at {sys.executable}")
    from ccov.measuring.collector import NEW_BRANCH_EVENTS

    print(f"supported: CPython {', '.join(SUPPORTED_PYTHONS)}; branches measured with "
          f"{'BRANCH_LEFT/BRANCH_RIGHT' if NEW_BRANCH_EVENTS else 'BRANCH'} events on this one")
    print(f"platform {platform.platform()}")
    free = [i for i in range(6) if sys.monitoring.get_tool(i) is None]
    print(f"free sys.monitoring tool ids: {free}")
    print("configuration (each value's origin after it; unmarked ones are ccov's defaults):")
    for name, value in config.as_dict().items():
        origin = config.origins.get(name)
        print(f"  {name} = {value!r}" + (f"    # from {origin}" if origin else ""))
    if config.accepted:
        print("coverage.py settings ccov accepts and has no use for:")
        for name, value in config.accepted.items():
            print(f"  [{name}] = {value!r}")
    print(f"data file {os.path.abspath(config.data_file)}:")
    try:
        data = datafile.read(config.data_file)
    except CcovError as err:
        print(f"  {err}")
    else:
        for key, value in sorted({**data.meta, **data.summary()}.items()):
            print(f"  {key} = {value}")
    from ccov.measuring import childproc, process_env

    pth = childproc.bootstrap_file()
    print(f"child processes: {pth or 'ccov-subprocess.pth is MISSING from site-packages: children are not measured'}; "
          f"{process_env.ENV_VAR} {'is set' if os.environ.get(process_env.ENV_VAR) else 'is not set'}")
    print("collector statistics: set CCOV_STATS=1 to print them when measurement stops")
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "report": cmd_report,
    "lcov": cmd_lcov,
    "xml": cmd_xml,
    "json": cmd_json,
    "html": cmd_html,
    "who": cmd_who,
    "diff": cmd_diff,
    "combine": cmd_combine,
    "erase": cmd_erase,
    "debug": cmd_debug,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if any("\0" in word for word in argv):  # only possible in-process: the OS cannot pass one
            raise UsageError("an argument contains a NUL character")
        args = parse_run_quickly(argv) if argv[:1] == ["run"] else None
        if args is None:
            # `ccov run ...` needs only its own parser; anything else gets the full one.
            from ccov.frontends.cli_parser import build_parser

            parser = build_parser(only="run" if argv[:1] == ["run"] else None)
            args = parser.parse_args(argv)
        if args.command in (None, "help"):
            from ccov.frontends.cli_parser import build_parser

            topic = getattr(args, "topic", None)
            if topic is not None and topic not in COMMANDS:
                raise UsageError(f"no command {topic!r} (see `ccov help`)")
            if topic is not None:
                build_parser(only=topic).parse_args([topic, "--help"])  # prints, exits 0
            build_parser().print_help()
            if args.command is None:
                raise UsageError("no command given")
            return EXIT_OK
        status = COMMANDS[args.command](args)
    except CcovError as err:
        print(f"ccov: error: {err}", file=sys.stderr)
        return err.exit_code
    except runner.ProgramInterrupted:
        # Ctrl-C in the measured program, whose traceback is printed: the
        # process ends by SIGINT, as python's does (shells use that to stop
        # loops), once atexit has run, the save included.
        global _interrupted
        _interrupted = True
        return 130  # if that fails
    except KeyboardInterrupt:
        _die_by_sigint()
    except BrokenPipeError:  # `ccov json -o - | head`: the reader left, not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    return status


_interrupted = False


def _end_by_sigint_if_interrupted() -> None:
    """Registered with atexit before the measurement's save, so it runs after
    it.  (Python's own SIGINT exit cannot be relied on: importing a module in
    an atexit handler, as the save does, turned it into exit status 1.)"""
    if _interrupted:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError, AttributeError):
                pass
        _die_by_sigint()


def _die_by_sigint() -> None:
    """Ctrl-C in ccov itself (a long report): end as python would, by SIGINT."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGINT)


if __name__ == "__main__":
    sys.exit(main())
