"""The Python API: `ccov.Coverage`, for test runners other than pytest, for
programs that measure themselves, and for the tools built on coverage.py's
API, whose calls it answers as coverage.py does.

    import ccov

    cov = ccov.Coverage(source=["mypkg"], branch=True)
    cov.start()
    ...                      # the code to measure
    cov.stop()
    cov.save()               # the data file, as `ccov run` writes it
    total = cov.report(show_missing=True)
    cov.lcov_report()

It takes coverage.py's constructor and report keywords (coverage.py 7.x),
and offers the calls tools make on coverage.py: `load()`, `get_data()`
(`measured_files()`, `lines()`, `arcs()`, `contexts_by_lineno()`),
`analysis2()`, `branch_stats()`, `config.report_omit`, `get_option()`; a
`coverage` module that imports `Coverage` from here is enough for
rules_python's `bazel coverage` (docs/guide.md).

It is a thin layer over what `ccov run` and the pytest plugin use: the
configuration is read as they read it (coverage.py's files, [tool.ccov]),
and measuring is a ccov.measuring.measure.Measurement, with the same rules:
one collector per process, so a Coverage started while another measures
suspends it, and gives measuring back when it stops; child processes are
measured; the data is saved at exit if it was not saved before (unless
auto_save=False).  What it measured and did not save yet is reported
without being saved, and without stopping.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from ccov.errors import CcovError, NoDataError, NoSource

if TYPE_CHECKING:
    from ccov.data.datafile import CoverageData
    from ccov.measuring.measure import Measurement

# coverage.py's default for `data_file`: the configuration's.  (None there
# means "no data file".)
_CONFIGURED = object()

# coverage.py's CoverageConfig attributes tools read, and the option each is.
_CONFIG_ATTRIBUTES = {
    "branch": "run:branch", "source": "run:source", "source_pkgs": "run:source_pkgs", "run_omit": "run:omit",
    "run_include": "run:include", "data_file": "run:data_file", "parallel": "run:parallel",
    "relative_files": "run:relative_files", "context": "run:context", "report_omit": "report:omit",
    "report_include": "report:include", "exclude_list": "report:exclude_lines", "partial_list": "report:partial_branches",
    "fail_under": "report:fail_under", "precision": "report:precision", "show_missing": "report:show_missing",
    "skip_covered": "report:skip_covered", "skip_empty": "report:skip_empty", "html_dir": "html:directory",
    "html_title": "html:title", "xml_output": "xml:output", "json_output": "json:output",
    "lcov_output": "lcov:output", "paths": "paths",
}


class CoverageConfigView:
    """ccov's settings read as coverage.py's CoverageConfig attributes
    (`cov.config.report_omit`), and its get_option/set_option."""

    def __init__(self, config):
        from ccov.coverage_plugins import Options

        object.__setattr__(self, "_config", config)
        object.__setattr__(self, "_options", Options(config, "the API", {}, {}))

    def __getattr__(self, name: str):
        if name in _CONFIG_ATTRIBUTES:
            return self._options.get_option(_CONFIG_ATTRIBUTES[name])
        return getattr(self._config, name)

    def get_option(self, name: str):
        return self._options.get_option(name)

    def set_option(self, name: str, value) -> None:
        self._options.set_option(name, value)


class Coverage:
    _current: list[Coverage] = []  # started and not stopped, innermost last (coverage.py's current())

    def __init__(
        self,
        data_file=_CONFIGURED,
        data_suffix: str | bool | None = None,
        cover_pylib: bool | None = None,
        auto_data: bool = False,
        timid: bool | None = None,
        branch: bool | None = None,
        config_file: str | bool | None = True,
        source: list[str] | None = None,
        source_pkgs: list[str] | None = None,
        source_dirs: list[str] | None = None,
        omit: str | list[str] | None = None,
        include: str | list[str] | None = None,
        debug: list[str] | None = None,
        concurrency: str | list[str] | None = None,
        check_preimported: bool = False,
        context: str | None = None,
        messages: bool = False,
        plugins: list | None = None,
        *,
        auto_save: bool = True,
    ):
        """coverage.py's keywords, each honoured or accepted with no effect
        (docs/guide.md says which); settings left None come from the
        configuration files, read from the working directory now.

        `data_file` names coverage.py's data file, which ccov then writes too
        (its own `.ccov` beside it); None keeps the data in memory alone.
        `auto_save` (ccov's) saves data not saved at exit, on SIGTERM and by
        os._exit; `auto_data` also reads the data file's data at start()."""
        from ccov import config as config_module
        from ccov.errors import warn

        self.config_file = config_file
        if config_file is False:
            self._config = config_module.Config()
        else:
            self._config = config_module.load(None if config_file in (True, None) else str(config_file), warn=warn)
        listed = lambda value: [value] if isinstance(value, str) else value  # noqa: E731
        self._config.override(source=(source or []) + (source_dirs or []) or None, source_pkgs=source_pkgs,
                              omit=listed(omit), include=listed(include), branch=branch, context=context,
                              parallel=bool(data_suffix) or None)
        self._in_memory = data_file is None
        if data_file is not _CONFIGURED and data_file is not None:
            self._config.set("coverage_data_file", os.fspath(data_file), "Coverage(data_file=)")
            config_module.coverage_file_named(self._config)
        if plugins:
            from ccov import coverage_plugins

            coverage_plugins.configure_with(plugins, self._config, warn)
        self.root = os.getcwd()
        self.messages = messages
        self.auto_save = auto_save and not self._in_memory
        self.auto_load = auto_data
        self._measurement: Measurement | None = None
        self._held: CoverageData | None = None  # measured by stopped runs, not saved yet
        self._loaded = False  # the data file is part of what this Coverage reports
        self._contexts_on = False
        self._cached_results = None

    # ---- coverage.py's class-level and configuration calls -----------------------------

    @classmethod
    def current(cls) -> Coverage | None:
        """The Coverage measuring now (coverage.py's Coverage.current())."""
        return cls._current[-1] if cls._current else None

    @property
    def config(self) -> CoverageConfigView:
        return CoverageConfigView(self._config)

    def get_option(self, option_name: str):
        return self.config.get_option(option_name)

    def set_option(self, option_name: str, value) -> None:
        self.config.set_option(option_name, value)

    def exclude(self, regex: str, which: str = "exclude") -> None:
        setting = "exclude_lines" if which == "exclude" else "partial_branches"
        self._config.set(setting, [*getattr(self._config, setting), regex], "Coverage.exclude()")

    def clear_exclude(self, which: str = "exclude") -> None:
        self._config.set("exclude_lines" if which == "exclude" else "partial_branches", [], "Coverage.clear_exclude()")

    def get_exclude_list(self, which: str = "exclude") -> list[str]:
        return list(self._config.exclude_lines if which == "exclude" else self._config.partial_branches)

    # ---- measuring ---------------------------------------------------------------

    def start(self) -> None:
        """Start measuring (again, after stop(): what runs adds to what ran).
        A measurement running in this process (another Coverage, `ccov run`,
        `pytest --ccov`) is suspended until this one stops."""
        if self._measurement is not None:
            if self._measurement not in _running_measurements():
                self._measurement.resume()
                Coverage._current.append(self)
            return
        if self.auto_load and not self._loaded:
            self.load()
        from ccov.measuring.measure import Measurement

        # switch_context() may come at any time.
        self._measurement = Measurement(self._config, root=self.root, append=self._loaded,
                                        may_switch_contexts=True)
        self._measurement.start(install_handlers=self.auto_save)
        Coverage._current.append(self)
        self._cached_results = None

    def stop(self) -> None:
        """Stop measuring; what ran is kept until save(), and a measurement
        this one suspended measures again."""
        if self._measurement is not None:
            self._measurement.pause()
        if self in Coverage._current:
            Coverage._current.remove(self)
        self._cached_results = None

    def switch_context(self, new_context: str) -> None:
        """Lines run from now on are labelled `new_context` (a test's name, say)."""
        if self._measurement is None:
            raise CcovError("switch_context() before start()")
        if not self._contexts_on:
            self._measurement.record_contexts()
            self._contexts_on = True
        self._measurement.switch_context(new_context)

    def save(self) -> str | None:
        """Write the data file (stopping first); returns its path (None with
        data_file=None, where data stays in memory).  A later start()
        measures on, and its save() adds to the file."""
        if self._measurement is None:
            return None if self._in_memory else os.path.join(self.root, self._config.data_file)
        self.stop()
        measurement, self._measurement = self._measurement, None
        self._contexts_on = False
        if self._in_memory:
            self._keep(measurement.hand_over())
            return None
        path = measurement.save(extra=self._held)
        if self.auto_save:
            import atexit

            atexit.unregister(measurement.save_quietly)
        self._held = None
        self._loaded = True
        return path

    def erase(self) -> None:
        """Forget what was measured and delete the data files."""
        if self._measurement is not None:
            self.stop()
            self._measurement.abandon()
            self._measurement = None
        self._held = None
        self._loaded = False
        self._cached_results = None
        for name in (self._config.data_file, self._config.coverage_data_file):
            try:
                os.remove(os.path.join(self.root, name))
            except FileNotFoundError:
                pass

    def load(self) -> None:
        """Read the data file (ccov's, or coverage.py's) into what this
        Coverage reports: coverage.py's load()."""
        self._loaded = os.path.exists(self._data_path())
        self._cached_results = None

    def combine(self, data_paths: list[str] | None = None, strict: bool = False, keep: bool = False) -> None:
        """Combine parallel data files (ccov's and coverage.py's) into the data file."""
        from ccov.frontends import cli

        try:
            cli.combine_into(self._config, data_paths or [], append=True, keep=keep)
        except CcovError as err:
            if strict or "no data files to combine" not in str(err):
                raise NoDataError(str(err)) from None
        self._loaded = True
        self._cached_results = None

    def __enter__(self) -> Coverage:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.save()

    def _keep(self, data: CoverageData) -> None:
        if self._held is None:
            self._held = data
        else:
            self._held.update(data)

    def _data_path(self) -> str:
        return os.path.join(self.root, self._config.data_file)

    # ---- what was measured ------------------------------------------------------------

    def get_data(self) -> CoverageData:
        """What this Coverage measured, saved and loaded, with coverage.py's
        CoverageData reading calls (measured_files(), lines(), arcs(),
        contexts_by_lineno()).  Measuring goes on."""
        from ccov.data import datafile, paths

        data = datafile.CoverageData(meta={"kind": "branches"} if self._config.branch else {})
        if self._loaded:
            try:
                data.update(datafile.read_latest(self._data_path(), _warn_if(self.messages)))
            except CcovError as err:
                raise NoDataError(str(err)) from None
        if self._held is not None:
            data.update(self._held)
        if self._measurement is not None:
            data.update(self._measurement.collected())
        return paths.localized(data, self._config, base=self.root)

    def results(self, contexts: bool | None = False, ignore_errors: bool = False):
        """The results model (ccov.model.results.Results) of get_data():
        what every report is written from.  `contexts` None: with contexts if
        the data has named ones."""
        from ccov.errors import warn
        from ccov.frontends import common

        data = self.get_data()
        if not data.files:
            raise NoDataError("no data to report")
        if contexts is None:
            contexts = data.has_named_contexts()
        # ignore_errors: a source that cannot be read is left out in silence
        # (without it, ccov says so and reports the rest, where coverage.py stops).
        return common.build_results(data, self._config, (lambda _: None) if ignore_errors else warn,
                                    contexts=contexts, root=self.root)

    def _results_for(self, morfs, include, omit, contexts: bool | None, ignore_errors: bool | None):
        """Results as a report call asks for them: its own include and omit
        patterns and its morfs (modules or file names) narrowing the files."""
        saved = (self._config.report_include, self._config.report_omit)
        listed = lambda value: [value] if isinstance(value, str) else value  # noqa: E731
        try:
            if include is not None:
                self._config.report_include = listed(include)
            if omit is not None:
                self._config.report_omit = listed(omit)
            built = self.results(contexts=contexts, ignore_errors=bool(ignore_errors))
        finally:
            self._config.report_include, self._config.report_omit = saved
        if morfs:
            wanted = {_morf_path(morf, self.root) for morf in morfs}
            built.files = [f for f in built.files if os.path.realpath(f.path) in wanted]
        return built

    # ---- coverage.py's analysis calls ----------------------------------------------------

    def _file_results(self, morf):
        path = _morf_path(morf, self.root)
        try:
            built = self._cached_results or self.results()
        except NoDataError:
            raise NoSource(f"no data for {morf}") from None
        if self._measurement is None:
            self._cached_results = built
        for entry in built.files:
            if os.path.realpath(entry.path) == path:
                return entry
        raise NoSource(f"no data for {path} (not measured, or its source cannot be read)")

    def analysis2(self, morf) -> tuple[str, list[int], list[int], list[int], str]:
        """(file name, statements, excluded lines, missing lines, the missing
        lines as ranges), as coverage.py's analysis2()."""
        from ccov.reports.ranges import format_ranges

        entry = self._file_results(morf)
        return (entry.path, sorted(entry.statements), sorted(entry.excluded), sorted(entry.missing),
                format_ranges(entry.statements, entry.missing))

    def analysis(self, morf) -> tuple[str, list[int], list[int], str]:
        path, statements, _, missing, text = self.analysis2(morf)
        return path, statements, missing, text

    def branch_stats(self, morf) -> dict[int, tuple[int, int]]:
        """{branch line: (its ways, the ways taken)}, as coverage.py's."""
        entry = self._file_results(morf)
        return {line: (len(ways), len(set(ways) & set(entry.taken.get(line, ()))))
                for line, ways in (entry.branches or {}).items() if line not in entry.no_branch}

    # ---- reports ---------------------------------------------------------------------

    def report(self, morfs=None, show_missing: bool | None = None, ignore_errors: bool | None = None,
               file: TextIO | None = None, omit=None, include=None, skip_covered: bool | None = None,
               contexts=None, skip_empty: bool | None = None, precision: int | None = None,
               sort: str | None = None, output_format: str | None = None) -> float:
        """Print the coverage table (to stdout by default); returns the total
        percentage.  `output_format`: "text", "markdown" or "total"."""
        from ccov.frontends import common

        self._config.override(precision=precision, sort=sort, skip_empty=skip_empty, format=output_format)
        built = self._results_for(morfs, include, omit, False, ignore_errors)
        out = file or sys.stdout
        if self._config.format == "markdown":
            common.write_markdown(built, self._config, out)
        elif self._config.format == "total":
            common.write_total(built, self._config, out)
        else:
            common.write_terminal(built, self._config, out, show_missing=show_missing, skip_covered=skip_covered)
        return built.totals.percent

    def lcov_report(self, morfs=None, outfile: str | None = None, ignore_errors: bool | None = None,
                    omit=None, include=None, contexts=None) -> float:
        return self._file_report("lcov", morfs, outfile, ignore_errors, omit, include)

    def xml_report(self, morfs=None, outfile: str | None = None, ignore_errors: bool | None = None,
                   omit=None, include=None, contexts=None, skip_empty: bool | None = None) -> float:
        self._config.override(skip_empty=skip_empty)
        return self._file_report("xml", morfs, outfile, ignore_errors, omit, include)

    def json_report(self, morfs=None, outfile: str | None = None, ignore_errors: bool | None = None,
                    omit=None, include=None, contexts=None, pretty_print: bool | None = None,
                    show_contexts: bool | None = None) -> float:
        if show_contexts is not None:
            self._config.override(json_show_contexts=show_contexts)
        return self._file_report("json", morfs, outfile, ignore_errors, omit, include)

    def html_report(self, morfs=None, directory: str | None = None, ignore_errors: bool | None = None,
                    omit=None, include=None, extra_css: str | None = None, title: str | None = None,
                    skip_covered: bool | None = None, show_contexts: bool | None = None, contexts=None,
                    skip_empty: bool | None = None, precision: int | None = None) -> float:
        from ccov.frontends import common

        self._config.override(precision=precision, html_skip_covered=skip_covered, html_skip_empty=skip_empty)
        built = self._results_for(morfs, include, omit, None, ignore_errors)
        written, _ = common.write_html(built, self._config, directory, title=title)
        self._say(f"Wrote HTML report to {os.path.join(written, 'index.html')}")
        return built.totals.percent

    def _file_report(self, kind: str, morfs, outfile, ignore_errors, omit, include) -> float:
        from ccov.frontends import common

        show_contexts = common.report_shows_contexts(kind, self._config)
        built = self._results_for(morfs, include, omit, show_contexts, ignore_errors)
        target = common.report_file(kind, self._config, outfile)
        common.write_file_report(kind, built, self._config, target, show_contexts)
        self._say(f"Wrote {common.FILE_REPORT_LABELS[kind]} report to {target}")
        return built.totals.percent

    def _say(self, message: str) -> None:
        if self.messages:
            print(message)


def _running_measurements() -> list:
    from ccov.measuring.measure import _running

    return _running


def _warn_if(said: bool):
    from ccov.errors import warn

    return warn if said else (lambda _message: None)


def _morf_path(morf, root: str) -> str:
    """The real path of a module or a file name, as coverage.py's morfs are."""
    name = getattr(morf, "__file__", morf)
    if not isinstance(name, str):
        raise NoSource(f"{morf!r} is neither a module nor a file name")
    return os.path.realpath(os.path.join(root, name))
