"""pytest plugin: `pytest --ccov`, the options of pytest-cov with `ccov` for `cov`,
and pytest-cov's own names for them too when pytest-cov is not installed.

Measurement starts in `pytest_load_initial_conftests`, before conftest.py and
test modules import the code under test.  With pytest-xdist every worker
measures and sends its data to the controller in `workeroutput` (no shared
file system needed); the controller merges, saves and reports once.  Python
processes the tests start are measured too (ccov.measuring.childproc); the controller
adopts their data files when it saves.

This module is imported by every pytest run once installed: it imports
nothing of ccov until `--ccov` is given.
"""

from __future__ import annotations

import io
import os

import pytest

REPORT_TYPES = ("term", "term-missing", "lcov", "xml", "json", "markdown", "markdown-append", "html", "annotate")
# The file reports (common.report_file says where each goes).
FILE_REPORTS = ("lcov", "xml", "json", "markdown", "markdown-append")


def _options(aliases: bool):
    """(names, keyword arguments) of each option; with `aliases`, pytest-cov's
    name of it too (`--cov` for `--ccov`), so that a CI file or an editor
    written for pytest-cov runs unchanged when pytest-cov is not installed."""
    def names(ours: str, theirs: str) -> tuple[str, ...]:
        return (ours, theirs) if aliases else (ours,)

    yield names("--ccov", "--cov"), dict(
        action="append", nargs="?", const=True, default=[], dest="ccov_source", metavar="SOURCE",
        help="measure coverage; SOURCE (repeatable) limits it to a directory or package; "
        "bare --ccov uses the configured source or the current directory; --ccov= measures everything not installed")
    yield names("--ccov-reset", "--cov-reset"), dict(
        action="store_const", const=[], dest="ccov_source",
        help="forget the --ccov options given so far (in addopts, say): coverage is off unless another follows")
    yield names("--no-ccov", "--no-cov"), dict(
        action="store_true", default=False, dest="no_ccov", help="turn ccov off, even when --ccov is in addopts")
    yield names("--ccov-report", "--cov-report"), dict(
        action="append", default=None, dest="ccov_report", metavar="TYPE[:DEST]",
        help="term, term-missing (each optionally :skip-covered), lcov[:FILE], xml[:FILE], json[:FILE], "
        "markdown[:FILE], markdown-append[:FILE], html[:DIR]; repeatable; --ccov-report= writes none; default term")
    yield names("--ccov-fail-under", "--cov-fail-under"), dict(
        type=_percentage, default=None, dest="ccov_fail_under", metavar="PCT",
        help="fail the run if the total coverage is below PCT")
    yield names("--ccov-precision", "--cov-precision"), dict(
        type=int, default=None, dest="ccov_precision", metavar="N", help="digits after the decimal point in reports")
    yield names("--ccov-append", "--cov-append"), dict(
        action="store_true", default=False, dest="ccov_append",
        help="add to the existing data file instead of replacing it")
    yield names("--ccov-config", "--cov-config"), dict(
        default=None, dest="ccov_config", metavar="PATH",
        help="read the configuration from this file only: a TOML file's [tool.ccov] and [tool.coverage], "
        "or a .coveragerc-style file (default: where coverage.py looks, and ./pyproject.toml)")
    yield names("--no-ccov-on-fail", "--no-cov-on-fail"), dict(
        action="store_true", default=False, dest="no_ccov_on_fail", help="write no report when tests failed")
    yield names("--ccov-branch", "--cov-branch"), dict(
        action="store_true", default=None, dest="ccov_branch", help="measure branches too (or branch = true)")
    yield names("--ccov-context", "--cov-context"), dict(
        choices=("test",), default=None, dest="ccov_context",
        help="test: record which test (and phase: setup, run, teardown) ran each line")
    yield ("--ccov-affected",), dict(
        nargs="?", const="HEAD", default=None, dest="ccov_affected", metavar="REF",
        help="run only the tests that ran lines changed since REF (default HEAD), by the data a "
        "`--ccov --ccov-context=test` run recorded at REF; plus new tests and those that did not pass")


def _percentage(text: str) -> int | float:
    """A whole number stays one, so that the summary says "95%" for 95 and
    "95.0%" for 95.0 (or a configured value), in pytest-cov's words."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def answers_pytest_cov_options(pluginmanager) -> bool:
    """Whether ccov takes pytest-cov's option names too: only when pytest-cov
    is not there to take them (not installed, blocked by -p no:pytest_cov,
    or set aside by ccov: asked_to_stand_in)."""
    import importlib.util

    return pluginmanager.is_blocked("pytest_cov") or importlib.util.find_spec("pytest_cov") is None


STAND_IN_VARIABLE = "CCOV_STANDS_IN_FOR_PYTEST_COV"
STAND_IN_SETTING = "stand_in_for_pytest_cov"


def asked_to_stand_in() -> bool:
    """Whether ccov is to take pytest-cov's place though pytest-cov is
    installed (a test extra of the project's): $CCOV_STANDS_IN_FOR_PYTEST_COV=1,
    or `stand_in_for_pytest_cov = true` in ./pyproject.toml's [tool.ccov].
    Read on every pytest start, so the file is parsed only if it names it."""
    if os.environ.get(STAND_IN_VARIABLE) is not None:
        return os.environ[STAND_IN_VARIABLE] not in ("", "0")
    try:
        with open("pyproject.toml", "rb") as project_file:
            if STAND_IN_SETTING.encode() not in project_file.read():
                return False
    except OSError:
        return False
    from ccov import toml_file

    try:
        section = toml_file.load("pyproject.toml").get("tool", {}).get("ccov", {})
    except (OSError, ValueError, AttributeError):
        return False  # ccov's configuration says what is wrong when it is read
    return isinstance(section, dict) and section.get(STAND_IN_SETTING) is True


def _set_pytest_cov_aside(parser, pluginmanager) -> None:
    """pytest-cov's place for ccov: it is unregistered if it loaded first
    (its options go with it), and blocked if it has not loaded yet."""
    plugin = pluginmanager.get_plugin("pytest_cov")
    if plugin is not None:
        pluginmanager.unregister(plugin)
        parser._groups[:] = [group for group in parser._groups if group.name != "cov"]
    pluginmanager.set_blocked("pytest_cov")


def pytest_addoption(parser, pluginmanager):
    if asked_to_stand_in():
        _set_pytest_cov_aside(parser, pluginmanager)
    group = parser.getgroup("ccov", "coverage measured by ccov")
    for names, keywords in _options(answers_pytest_cov_options(pluginmanager)):
        group.addoption(*names, **keywords)


class PytestCovStandIn:
    """Registered as `pytest_cov` while ccov answers pytest-cov's options, so
    that tools which check for pytest-cov before adding `--cov` (VS Code's
    test adapter: `pluginmanager.hasplugin("pytest_cov")`) run.  It has no
    hooks: ccov's plugin does the work."""


def _stand_in(pluginmanager) -> None:
    for name in ("pytest_cov", "pytest_cov.plugin"):
        if pluginmanager.get_plugin(name) is None:
            if pluginmanager.is_blocked(name):
                pluginmanager.unblock(name)
            pluginmanager.register(PytestCovStandIn(), name)


def _uses_pytest_cov_s_names(args: list[str]) -> bool:
    return any(arg == "--cov" or arg.startswith(("--cov=", "--cov-")) for arg in args)


def parse_reports(values: list[str] | None, warn=None) -> list[tuple[str, str | None]]:
    """[(type, argument)]: `term-missing:skip-covered` -> ("term-missing", "skip-covered")."""
    if values is None:
        return [("term", None)]
    reports = []
    for value in values:
        if not value:
            continue
        kind, _, argument = value.partition(":")
        if kind not in REPORT_TYPES:
            raise pytest.UsageError(f"--ccov-report: unknown report type {kind!r} (choose from {', '.join(REPORT_TYPES)})")
        if kind.startswith("term") and argument not in ("", "skip-covered"):
            raise pytest.UsageError(f"--ccov-report={value}: the only option of {kind} is :skip-covered")
        if kind == "annotate":  # pytest-cov's annotated copies of the sources
            if warn:
                warn("--cov-report=annotate is not written by ccov: its HTML report (html) shows the annotated sources")
            continue
        reports.append((kind, argument or None))
    return reports


def pytest_configure(config):
    config.addinivalue_line("markers", "no_cover: do not measure coverage while this test runs (as pytest-cov)")


@pytest.fixture
def no_cover():
    """A test that asks for this fixture is not measured while it runs, as
    with the no_cover marker (pytest-cov's fixture of the same name)."""


def _unmeasured(item) -> bool:
    return item.get_closest_marker("no_cover") is not None or "no_cover" in getattr(item, "fixturenames", ())


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    options = early_config.known_args_namespace
    standing_in = answers_pytest_cov_options(early_config.pluginmanager)
    if standing_in:
        _stand_in(early_config.pluginmanager)
    if options.ccov_affected is not None:
        early_config.pluginmanager.register(AffectedTests(options), "_ccov_affected")
        return  # a subset of the tests must not replace the data it was chosen by
    if not options.ccov_source or options.no_ccov:
        return
    from ccov.errors import CcovError

    plugin = CcovPlugin(options, as_pytest_cov=standing_in and _uses_pytest_cov_s_names(args))
    try:
        plugin.start(str(early_config.rootpath))
    except CcovError as err:  # no free tool id, an unusable setting: one line, as any usage error
        raise pytest.UsageError(f"ccov: {err}") from None
    early_config.pluginmanager.register(plugin, "_ccov")
    if plugin.test_contexts:
        early_config.pluginmanager.register(ContextHooks(plugin), "_ccov_contexts")


class ContextHooks:
    """What only per-test contexts need of each test phase, registered with
    them alone: without contexts, pytest makes no call into ccov for a test's
    setup, teardown or reports (a wrapper per phase and test cost toolz's
    one-second suite a few tenths of a point)."""

    def __init__(self, plugin: CcovPlugin):
        self.plugin = plugin

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item):
        return (yield from self.plugin._test_context(item, "setup"))

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item):
        return (yield from self.plugin._test_context(item, "teardown"))

    def pytest_runtest_logreport(self, report):
        self.plugin.record_outcome(report)


class CcovPlugin:
    def __init__(self, options, as_pytest_cov=False):
        from ccov import config as config_module
        from ccov.errors import CcovError

        self.worker = False  # known for sure only at the end: xdist sets workeroutput
        self.messages: list[str] = []
        self.reports = parse_reports(options.ccov_report, self._warn)
        try:
            self.config = config_module.load(options.ccov_config, warn=self._warn)
            sources = [s for s in options.ccov_source if s is not True]
            self.everywhere = "" in sources
            sources = [s for s in sources if s]
            self.config.override(source=sources or None, fail_under=options.ccov_fail_under,
                                 branch=options.ccov_branch, precision=options.ccov_precision)
            if as_pytest_cov:
                self._take_pytest_cov_s_defaults()
            if self.config.parallel:
                # pytest-cov always combines: the run's data, its subprocesses'
                # included, is one data file, reported whole.
                self.config.set("parallel", False, "pytest --ccov, which combines as pytest-cov does")
        except CcovError as err:
            raise pytest.UsageError(f"ccov: {err}") from None
        self.append = options.ccov_append
        self.test_contexts = options.ccov_context == "test"
        self.outcomes: dict[str, str] = {}
        self.no_report_on_fail = options.no_ccov_on_fail
        self.measurement = None
        self.worker_data = []
        self.results = None
        self.total = None
        self.gate = None  # common.GateResult, once reported
        # Reports go where pytest was started, and name files relative to it,
        # even if a test changed the working directory and did not change it back.
        self.invocation_dir = os.getcwd()
        self.tests_failed = False

    def _take_pytest_cov_s_defaults(self) -> None:
        """Started with pytest-cov's names, ccov stands in for it: the steps
        that follow read what pytest-cov leaves, .coverage and coverage.lcov."""
        why = "pytest-cov's default (ccov stands in for pytest-cov)"
        for setting, value in (("data_format", "coverage"), ("lcov_output", "coverage.lcov")):
            if setting not in self.config.origins:
                self.config.set(setting, value, why)

    def _warn(self, message: str, slug: str | None = None) -> None:
        """Said in the terminal summary (by the controller only, under xdist)."""
        from ccov.errors import worded

        text = worded(message, slug)
        if text is not None:
            self.messages.append(f"ccov: warning: {text}")

    def _root(self, rootdir: str) -> str:
        """Where relative sources are found: the working directory, except in
        an xdist worker that runs on a copy elsewhere (`--tx popen//chdir=DIR
        --rsyncdir`, remote hosts), where they are found under its rootdir."""
        here = os.getcwd()
        relative = [s for s in self.config.source if not os.path.isabs(s)]
        if (
            os.environ.get("PYTEST_XDIST_WORKER")
            and relative
            and not any(os.path.exists(os.path.join(here, s)) for s in relative)
            and all(os.path.exists(os.path.join(rootdir, s)) for s in relative)
        ):
            return rootdir
        return here

    def start(self, rootdir: str | None = None) -> None:
        from ccov.measuring import childproc, process_env
        from ccov.measuring.measure import Measurement

        # An xdist worker (or a pytest run by a measured program) was started
        # measured by ccov-subprocess.pth; the plugin's own measurement replaces
        # that one, and stays part of the same run.
        childproc.discard()
        self.measurement = Measurement(
            self.config,
            root=self._root(rootdir) if rootdir else None,
            append=self.append,
            everywhere=self.everywhere,
            leave_coverage_id=True,
            inherited=process_env.inherited(),
            may_switch_contexts=self.test_contexts,
        )
        self.measurement.start()
        if self.test_contexts:
            self.measurement.record_contexts()

    # ---- per-test contexts ---------------------------------------------------------

    def _test_context(self, item, phase: str):
        """Lines run during this phase of this test are labelled with it, as
        pytest-cov's --cov-context=test does: `<nodeid>|setup|run|teardown`."""
        if not self.test_contexts:
            return (yield)
        base = self.measurement.static_context
        name = f"{item.nodeid}|{phase}"
        self.measurement.switch_context(f"{base}|{name}" if base else name)
        try:
            return (yield)
        finally:
            self.measurement.switch_context(base)

    def record_outcome(self, report) -> None:
        """The outcome of every test, kept in the data file for --ccov-affected."""
        if report.failed:
            outcome = "failed"
        elif report.when == "call" or report.skipped:
            outcome = report.outcome
        else:
            return  # a setup or teardown that passed says nothing of the test
        if self.outcomes.get(report.nodeid) != "failed":
            self.outcomes[report.nodeid] = outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        if not _unmeasured(item):
            return (yield from self._test_context(item, "run"))
        # Marked no_cover: the test itself runs unmeasured (its setup and
        # teardown are measured), as pytest-cov does.
        self.measurement.pause()
        try:
            return (yield)
        finally:
            self.measurement.resume()

    # ---- pytest-xdist ------------------------------------------------------------

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """Controller: a worker finished and sent what it measured."""
        output = getattr(node, "workeroutput", None) or {}
        if "ccov" in output:
            self.worker_data.append(output["ccov"])

    def _send_to_controller(self, config) -> None:
        from ccov.data import linebits

        data = self.measurement.hand_over()
        config.workeroutput["ccov"] = {
            "root": str(config.rootpath),
            "files": {
                path: [entry.hash or "", {context: linebits.to_bytes(bits) for context, bits in entry.lines.items()},
                       {context: sorted(arcs) for context, arcs in entry.arcs.items()}]
                for path, entry in data.files.items()
            },
        }

    def _workers_data(self, root: str):
        """Worker data under this machine's paths: a worker's pytest rootdir (a
        remote or `chdir` worker runs on a copy elsewhere) maps to ours."""
        from ccov.data import datafile, linebits

        merged = datafile.CoverageData(meta={"kind": "branches"} if self.config.branch else {})
        for sent in self.worker_data:
            their_root = sent["root"].rstrip(os.sep) + os.sep
            for path, (file_hash, contexts, arcs) in sent["files"].items():
                if path.startswith(their_root):
                    path = os.path.join(root, path[len(their_root):])
                for context, bits in contexts.items():
                    merged.add_lines(path, linebits.from_bytes(bits), context=context, hash=file_hash or None)
                for context, pairs in arcs.items():
                    merged.add_arcs(path, (tuple(pair) for pair in pairs), context=context)
        return merged

    # ---- the end of the run --------------------------------------------------------

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session):
        try:
            return (yield)
        finally:
            self._finish(session)

    def _finish(self, session) -> None:
        from ccov.errors import CcovError

        self.worker = hasattr(session.config, "workeroutput")
        if self.worker:
            self._send_to_controller(session.config)
            return
        self.tests_failed = bool(session.testsfailed)
        if self.test_contexts:
            from ccov.changes.affected import recording_meta

            self.measurement.meta.update(recording_meta(self.config, self.outcomes))
        try:
            path = self.measurement.save(extra=self._workers_data(str(session.config.rootpath)))
            if path is None:
                return  # a measured program's pytest that ran none of the measured code
            if self.no_report_on_fail and self.tests_failed:
                self.messages.append("ccov: no report, because tests failed (--no-ccov-on-fail)")
                return
            if self.reports or self.config.fail_under or self.config.fail_under_file:
                self._report(path)
        except CcovError as err:
            self.messages.append(f"ccov: error: {err}")
            return
        if self.gate is not None and self.gate.failed:
            session.testsfailed += 1
            if self.gate.total is not None:
                # pytest-cov's first line of a failed gate, written where it
                # writes it (CI scripts look for either line).
                from ccov.model.results import display_percent

                precision = self.config.precision
                reporter = session.config.pluginmanager.getplugin("terminalreporter")
                if reporter is not None:
                    reporter.write(f"\nERROR: Coverage failure: total of {display_percent(self.total, precision)} is "
                                   f"less than fail-under={self.config.fail_under:.{precision}f}\n", red=True, bold=True)

    def _report(self, data_path: str) -> None:
        from ccov.data import datafile
        from ccov.frontends import common

        data = datafile.read(data_path)
        with_contexts = self.test_contexts and any(kind == "html" for kind, _ in self.reports)
        json_contexts = self.test_contexts and any(common.report_shows_contexts(k, self.config) for k, _ in self.reports)
        self.results = common.build_results(
            data, self.config, self._warn, contexts=with_contexts or json_contexts, root=self.invocation_dir,
        )
        self.total = self.results.totals.percent
        for kind, argument in self.reports:
            if kind == "html":
                directory, _ = common.write_html(self.results, self.config, argument)
                self.messages.append(f"Coverage HTML written to dir {directory}")
            if kind in FILE_REPORTS:
                report = kind.removesuffix("-append")
                target = common.report_file(report, self.config, argument)
                appending = kind == "markdown-append"
                common.write_file_report(report, self.results, self.config, target, append=appending,
                                         show_contexts=json_contexts and common.report_shows_contexts(report, self.config))
                self.messages.append(f"Coverage {common.FILE_REPORT_LABELS[report]} "
                                     f"{'appended to' if appending else 'written to'} file {target}")
        self.gate = common.gates(self.results, self.config)

    def pytest_terminal_summary(self, terminalreporter):
        if self.worker:
            return
        import sys

        from ccov.frontends import common

        writer = terminalreporter
        quiet = writer.config.get_verbosity() <= -2
        terms = [(k, a) for k, a in self.reports if k.startswith("term")]
        if self.results is not None and terms and not quiet:
            python = "{}.{}.{}".format(*sys.version_info[:3])
            writer.write_sep("-", f"ccov: platform {sys.platform}, python {python}")
            for kind, argument in terms:
                table = io.StringIO()
                common.write_terminal(
                    self.results,
                    self.config,
                    table,
                    show_missing=kind == "term-missing" or self.config.show_missing,
                    skip_covered=argument == "skip-covered" or self.config.skip_covered,
                )
                writer.write(table.getvalue())
        for message in self.messages:
            writer.write_line(message)
        if self.config.fail_under and self.gate is not None:
            threshold = self.config.fail_under
            # pytest-cov's words, which CI scripts look for.
            if self.gate.total is None:
                writer.write_line(f"Required test coverage of {threshold}% reached. Total coverage: {self.total:.2f}%",
                                  green=True)
            else:
                writer.write_line(
                    f"FAIL Required test coverage of {threshold}% not reached. Total coverage: {self.total:.2f}%",
                    red=True,
                    bold=True,
                )
        if self.gate is not None and self.gate.files:
            for message in self.gate.messages()[1 if self.gate.total else 0:]:
                writer.write_line(message, red=True)


class AffectedTests:
    """--ccov-affected: deselect the tests no change since REF can reach.
    Under pytest-xdist the workers collect and select; each sends its
    selection line in `workeroutput`, and the controller prints it once."""

    def __init__(self, options):
        from ccov import config as config_module
        from ccov.errors import CcovError

        self.warnings: list[str] = []
        try:
            self.config = config_module.load(options.ccov_config, warn=lambda w: self.warnings.append(f"ccov: warning: {w}"))
        except CcovError as err:
            raise pytest.UsageError(f"ccov: {err}") from None
        self.ref = options.ccov_affected
        self.measuring = bool(options.ccov_source) and not options.no_ccov
        self.message = ""
        self.deselected_all = False
        self.from_workers = False  # the message came from xdist workers: said in the summary

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        from ccov.changes import affected
        from ccov.data import datafile
        from ccov.errors import CcovError

        try:
            data = datafile.read(os.path.join(os.getcwd(), self.config.data_file))
        except CcovError as err:
            selection = affected.Selection(run_everything=str(err))
        else:
            selection = affected.select(data, self.config, os.getcwd(), str(config.rootpath), self.ref,
                                        [item.nodeid for item in items])
        if selection.run_everything is not None:
            self.message = f"ccov: running every test: {selection.run_everything}"
        else:
            self._deselect(config, items, selection)
        if hasattr(config, "workeroutput"):
            config.workeroutput["ccov_affected"] = [self.message, self.deselected_all]

    def _deselect(self, config, items, selection) -> None:
        kept = [item for item in items if selection.selects(item.nodeid)]
        dropped = [item for item in items if not selection.selects(item.nodeid)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
        reasons = [
            f"{len([i for i in kept if i.nodeid in selection.affected])} ran lines changed since {self.ref}",
            f"{len([i for i in kept if i.nodeid in selection.new])} new",
            f"{len([i for i in kept if i.nodeid in selection.not_passed])} did not pass last time",
            f"{len([i for i in kept if i.nodeid.split('::', 1)[0] in selection.changed_test_files])} in changed test files",
        ]
        self.message = (f"ccov: {len(dropped)} of {len(kept) + len(dropped)} tests deselected: no line changed since "
                        f"{self.ref} ran in them. Selected: {', '.join(reasons)}.")
        self.deselected_all = bool(dropped) and not kept

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        said = getattr(node, "workeroutput", {}).get("ccov_affected")
        if said and not self.message:  # every worker selects alike
            self.message, self.deselected_all = said
            self.from_workers = True

    def pytest_terminal_summary(self, terminalreporter):
        if self.from_workers and self.message:
            terminalreporter.write_line(self.message)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        # Nothing changed that any test ran: nothing to run is a success.
        if self.deselected_all and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            session.exitstatus = pytest.ExitCode.OK

    def pytest_report_collectionfinish(self, config, start_path, items):
        notes = self.warnings + ([self.message] if self.message else [])
        if self.measuring:
            notes.append("ccov: not measuring: --ccov-affected runs a subset, and the recorded data is kept")
        return notes
