"""The Python API: `ccov.Coverage`, for test runners other than pytest and
for programs that measure themselves.

    import ccov

    cov = ccov.Coverage(source=["mypkg"], branch=True)
    cov.start()
    ...                      # the code to measure
    cov.stop()
    cov.save()               # the data file, as `ccov run` writes it
    total = cov.report(show_missing=True)
    cov.lcov_report()

It is a thin layer over what `ccov run` and the pytest plugin use: the
configuration is read as they read it (coverage.py's files, [tool.ccov]),
and measuring is a ccov.measuring.measure.Measurement, with the same rules: one
collector per process, so a Coverage started while another measures
suspends it until it stops; child processes are measured; the data is
saved at exit if it was not saved before (unless auto_save=False).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TextIO

from ccov.errors import CcovError

if TYPE_CHECKING:
    from ccov.measuring.measure import Measurement


class Coverage:
    def __init__(
        self,
        data_file: str | None = None,
        source: list[str] | None = None,
        omit: list[str] | None = None,
        include: list[str] | None = None,
        branch: bool | None = None,
        context: str | None = None,
        config_file: str | None = None,
        auto_save: bool = True,
    ):
        """Settings left None come from the configuration files (see
        docs/configuration.md), read from the working directory now."""
        from ccov import config as config_module
        from ccov.errors import warn

        self.config = config_module.load(config_file, warn=warn)
        self.config.override(data_file=data_file, source=source, omit=omit, include=include, branch=branch,
                             context=context)
        self.root = os.getcwd()
        self.auto_save = auto_save
        self._measurement: Measurement | None = None
        self._active = False
        self._saved_once = False
        self._contexts_on = False

    # ---- measuring ---------------------------------------------------------------

    def start(self) -> None:
        """Start measuring (again, after stop(): what runs adds to what ran)."""
        if self._active:
            return
        if self._measurement is None:
            from ccov.measuring.measure import Measurement

            # switch_context() may come at any time.
            self._measurement = Measurement(self.config, root=self.root, append=self._saved_once,
                                            may_switch_contexts=True)
            self._measurement.start(install_handlers=self.auto_save)
        else:
            self._measurement.resume()
        self._active = True

    def stop(self) -> None:
        """Stop measuring; what ran is kept until save()."""
        if self._active and self._measurement is not None:
            self._measurement.pause()
            self._active = False

    def switch_context(self, name: str) -> None:
        """Lines run from now on are labelled `name` (a test's name, say)."""
        if self._measurement is None:
            raise CcovError("switch_context() before start()")
        if not self._contexts_on:
            self._measurement.record_contexts()
            self._contexts_on = True
        self._measurement.switch_context(name)

    def save(self) -> str | None:
        """Write the data file (stopping first); returns its path.  A later
        start() measures on, and its save() adds to the file."""
        if self._measurement is None:
            return None
        self._active = False
        path = self._measurement.save()
        if self.auto_save:
            import atexit

            atexit.unregister(self._measurement.save_quietly)
        self._measurement = None
        self._contexts_on = False
        self._saved_once = True
        return path

    def erase(self) -> None:
        """Forget what was measured and delete the data file."""
        if self._measurement is not None:
            self._measurement.abandon()
            self._measurement = None
            self._active = False
        try:
            os.remove(os.path.join(self.root, self.config.data_file))
        except FileNotFoundError:
            pass

    def __enter__(self) -> Coverage:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self.save()

    # ---- reporting -----------------------------------------------------------------

    def results(self, contexts: bool | None = False):
        """The results model (ccov.model.results.Results) of the data file; what
        is measured and not yet saved is saved first.  `contexts` None: with
        contexts if the data has named ones."""
        from ccov.data import datafile
        from ccov.errors import warn
        from ccov.frontends import common

        if self._measurement is not None:
            self.save()
        data = datafile.read_latest(os.path.join(self.root, self.config.data_file), warn)
        if contexts is None:
            contexts = data.has_named_contexts()
        return common.build_results(data, self.config, warn, contexts=contexts, root=self.root)

    def report(self, file: TextIO | None = None, show_missing: bool | None = None,
               skip_covered: bool | None = None, precision: int | None = None) -> float:
        """Print the coverage table (to stdout by default); returns the total percentage."""
        from ccov.frontends import common

        self.config.override(precision=precision)
        built = self.results()
        common.write_terminal(built, self.config, file or sys.stdout, show_missing=show_missing,
                                 skip_covered=skip_covered)
        return built.totals.percent

    def lcov_report(self, outfile: str | None = None) -> float:
        return self._file_report("lcov", outfile)

    def xml_report(self, outfile: str | None = None) -> float:
        return self._file_report("xml", outfile)

    def json_report(self, outfile: str | None = None, show_contexts: bool | None = None) -> float:
        if show_contexts is not None:
            self.config.override(json_show_contexts=show_contexts)
        return self._file_report("json", outfile)

    def html_report(self, directory: str | None = None, title: str | None = None) -> float:
        from ccov.frontends import common

        built = self.results(contexts=None)
        common.write_html(built, self.config, directory, title=title)
        return built.totals.percent

    def _file_report(self, kind: str, outfile: str | None) -> float:
        from ccov.frontends import common

        show_contexts = kind == "json" and self.config.json_show_contexts
        built = self.results(contexts=show_contexts)
        common.write_file_report(kind, built, self.config, outfile or getattr(self.config, f"{kind}_output"),
                                    show_contexts)
        return built.totals.percent
