"""A measurement session: start the collector, and save what it saw exactly once,
however the process ends (normal exit, sys.exit, an uncaught exception, SIGTERM).

Used by `ccov run` and by the pytest plugin alike.
"""

from __future__ import annotations

import os
import signal
import sys

from ccov.collector import Collector
from ccov.config import Config
from ccov.errors import CcovError, warn
from ccov.selection import FileSelector, canonical


class Measurement:
    def __init__(
        self,
        config: Config,
        root: str | None = None,
        append: bool = False,
        everywhere: bool = False,
        leave_coverage_id: bool = False,
    ):
        self.config = config
        self.root = os.path.abspath(root or os.getcwd())
        self.data_path = os.path.join(self.root, config.data_file)
        self.append = append
        self.selector = FileSelector(self.root, config.source, config.omit, everywhere=everywhere)
        self.collector = Collector(self.selector, leave_coverage_id=leave_coverage_id)
        self._saved = False

    # ---- lifetime --------------------------------------------------------------

    def start(self, install_handlers: bool = True) -> None:
        self.collector.start()
        if install_handlers:
            import atexit

            # Registered before the program runs, so it runs after the
            # program's own atexit handlers and after non-daemon threads end.
            atexit.register(self.save_quietly)
            self._install_sigterm()

    def _install_sigterm(self) -> None:
        try:
            if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
                signal.signal(signal.SIGTERM, self._on_sigterm)
        except ValueError:  # not the main thread
            pass

    def _on_sigterm(self, signum, frame) -> None:
        self.save_quietly()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)

    def stop(self) -> None:
        self.collector.stop()

    # ---- saving -----------------------------------------------------------------

    def collected(self):
        """What ran, under canonical paths, plus never-run files under --source."""
        from ccov import datafile, linebits
        from ccov.source import SourceError, content_hash, read_bytes

        data = datafile.CoverageData()
        for filename, bitmap in self.collector.lines().items():
            data.add_lines(canonical(os.path.join(self.root, filename)), linebits.from_bytes(bitmap))
        for path in self.selector.unexecuted_candidates():
            if path not in data.files:
                data.add_lines(path, 0)
        for path, entry in data.files.items():
            try:
                entry.hash = content_hash(read_bytes(path))
            except SourceError:
                entry.hash = None
        for name in self.selector.unresolved_sources:
            warn(f"--source {name} is neither a directory nor an importable module; nothing measured for it")
        return data

    def hand_over(self):
        """Stop measuring and return what was collected; the caller now owns it,
        and no save will happen at exit (a pytest-xdist worker sends it to the
        controller instead of writing a data file of its own)."""
        self._saved = True
        self.stop()
        return self.collected()

    def save(self, extra=None) -> str:
        """Stop measuring and write the data file (with `extra` merged in, such as
        what pytest-xdist workers sent); returns the path written."""
        from ccov import datafile

        if self._saved:
            return self.data_path
        data = self.hand_over()
        if extra is not None:
            data.update(extra)
        path = datafile.parallel_name(self.data_path) if self.config.parallel else self.data_path
        if self.append and os.path.exists(path):
            previous = datafile.read(path)
            previous.update(data)
            data = previous
        try:
            datafile.write(path, data)
        except CcovError as err:
            fallback = self._save_elsewhere(data)
            raise CcovError(f"{err}; the data was saved to {fallback} instead" if fallback else f"{err}; the data is lost")
        return path

    @staticmethod
    def _save_elsewhere(data) -> str | None:
        import tempfile

        from ccov import datafile

        fallback = datafile.parallel_name(os.path.join(tempfile.gettempdir(), ".ccov-rescued"))
        try:
            datafile.write(fallback, data)
        except CcovError:
            return None
        return fallback

    def save_quietly(self) -> None:
        """Save for atexit and signals: report problems, never raise."""
        try:
            self.save()
        except CcovError as err:
            print(f"ccov: error: {err}", file=sys.stderr)
        except Exception as err:  # the measured program's exit must not be disturbed
            print(f"ccov: error: could not save coverage data: {err!r}", file=sys.stderr)
