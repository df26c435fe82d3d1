"""A measurement session: start the collector, and save what it saw exactly once,
however the process ends (normal exit, sys.exit, an uncaught exception,
SIGTERM, os._exit, os.exec*), in this process and in the processes it starts.

Used by `ccov run`, by the pytest plugin, and by ccov-subprocess.pth alike.

A run has an id.  The process that begins it writes the data file; every
process it starts (see ccov.measuring.childproc) and every forked copy of it is a
*child*: it writes a parallel data file tagged with the run id, and the
process that began the run adopts those files when it saves.
"""

from __future__ import annotations

import os
import sys

# The C module `signal` wraps in enums (importing enum costs start-up time);
# typeshed describes only the wrapper, whose functions it shares.
try:
    import _signal as signal  # type: ignore[import-not-found]  # private, no stubs
except ImportError:  # pragma: no cover - CPython has it
    import signal

from ccov.config import Config
from ccov.errors import CcovError, warn
from ccov.files import canonical
from ccov.measuring import process_hooks
from ccov.measuring.collector import Collector
from ccov.measuring.file_selection import FileSelector
from ccov.measuring.stack import with_room

_NOT_ANNOUNCED = object()

# The measurements started in this process and not stopped, innermost last:
# only the innermost one has the collector; the others are suspended.
_running: list = []


class Measurement:
    def __init__(
        self,
        config: Config,
        root: str | None = None,
        append: bool = False,
        everywhere: bool = False,
        leave_coverage_id: bool = False,
        inherited=None,
        may_switch_contexts: bool = False,
    ):
        self.config = config
        # Lines go to a context: the static one (`--context`, or "" for none),
        # or a test's while switch_context() says so.  {context: {code filename: bits}}
        self.static_context = config.context
        self.context = config.context
        self._finished_contexts: dict[str, dict[str, int]] = {}
        self._finished_arcs: dict[str, dict[str, set]] = {}  # {context: {code filename: arcs}}
        self.meta: dict[str, str] = {}  # more for the data file's meta table (the plugin's test list)
        self.root = os.path.abspath(root or os.getcwd())
        self.data_path = os.path.join(self.root, config.data_file)
        self.append = append
        self.everywhere = everywhere
        self.leave_coverage_id = leave_coverage_id
        self.may_switch_contexts = may_switch_contexts
        self.selector = FileSelector(self.root, config.source, config.omit, everywhere=everywhere,
                                     source_pkgs=config.source_pkgs, include=config.include)
        self.collector = Collector(self.selector, leave_coverage_id=leave_coverage_id, branch=config.branch,
                                   may_switch_contexts=may_switch_contexts)
        # A process started by a measured one, measuring into the same data
        # file, is part of that run (an xdist worker, a nested `ccov run`).
        if inherited is not None and inherited.data_path == self.data_path:
            self.run_id, self.child = inherited.run_id, True
        else:
            self.run_id, self.child = os.urandom(6).hex(), False
        self._saved = False
        self._saving = False
        self._stopped = False
        self._records_contexts = False
        self._terminate_after_save = False
        self._previous_env: object = _NOT_ANNOUNCED  # CCOV_PROCESS before start() set it

    # ---- lifetime --------------------------------------------------------------

    def start(self, install_handlers: bool = True) -> None:
        """Start measuring.  Another measurement already running in this
        process (a test that runs pytest --ccov in-process, under pytest
        --ccov) is suspended until this one stops, as coverage.py pauses an
        outer collector for an inner one."""
        outer = _running[-1] if _running else None
        if outer is not None:
            outer._suspend()
        try:
            self.collector.start()
        except BaseException:
            if outer is not None:
                outer._resume()
            raise
        _running.append(self)
        if not self.child:
            self._warn_as_coverage_py_would()
        if install_handlers:
            import atexit

            # Registered before the program runs, so it runs after the
            # program's own atexit handlers and after non-daemon threads end.
            atexit.register(self.save_quietly)
            self._install_sigterm()
            process_hooks.install(self)
        self._announce_to_children()

    def _warn_as_coverage_py_would(self) -> None:
        """coverage.py's warnings that still apply to ccov, under its names."""
        config = self.config
        if config.include and (config.source or config.source_pkgs):
            warn("--include is ignored because --source is set", slug="include-ignored")
        if config.include or config.source or config.source_pkgs:  # as coverage.py: only then
            for filename in self.collector.imported_early:
                warn(f"Already imported a file that will be measured: {filename}; its lines that ran before "
                     "measuring started (its module level) are not counted", slug="already-imported")

    def _announce_to_children(self) -> None:
        """Tell the processes this one starts how to measure (CCOV_PROCESS);
        said again at every context switch, so a child's lines belong to the
        test that started it."""
        from ccov.measuring.process_env import ENV_VAR, Settings

        settings = Settings.for_children(self.config, self.root, self.data_path, self.run_id, self.context,
                                         everywhere=self.everywhere, leave_coverage_id=self.leave_coverage_id)
        value = settings.encode()
        if self._previous_env is _NOT_ANNOUNCED:
            self._previous_env = os.environ.get(ENV_VAR)
        if value is None:
            warn("a setting holds a control character; child processes are not measured")
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = value

    def _install_sigterm(self) -> None:
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, self._on_sigterm)
                # A SIGTERM that comes just before a blocking wait would
                # otherwise never be handled, and the process never end.
                self.collector.guard_sigterm()
        except ValueError:  # not the main thread
            pass

    def _on_sigterm(self, signum, frame) -> None:
        self.collector.sigterm_started()
        if self._saving:
            # The signal interrupted our own save: let it finish, then die.
            self._terminate_after_save = True
            return
        with_room(self._save_and_die)  # first: the signal may come at the recursion limit

    def _save_and_die(self) -> None:
        self.save_quietly()
        _die_by_sigterm()

    def _unannounce(self) -> None:
        """Processes started from now on are not this measurement's: CCOV_PROCESS
        is what it was before start() (an outer measurement's, or none)."""
        from ccov.measuring.process_env import ENV_VAR

        if self._previous_env is None:
            os.environ.pop(ENV_VAR, None)
        elif isinstance(self._previous_env, str):  # not _NOT_ANNOUNCED
            os.environ[ENV_VAR] = self._previous_env

    def stop(self) -> None:
        """Stop measuring, keeping what ran; idempotent.  A measurement this
        one suspended resumes."""
        if self._stopped:
            return
        self._stopped = True
        self.collector.stop()
        # Taken now: a measurement that resumes below restarts the collector,
        # which forgets every line it holds.
        self._keep(self.context, self.collector.lines(), self.collector.take_arcs())
        process_hooks.uninstall(self)
        self._unannounce()
        if self in _running:
            innermost = _running[-1] is self
            _running.remove(self)
            if innermost and _running:
                _running[-1]._resume()

    def pause(self) -> None:
        """Measure nothing until resume() (a test marked no_cover, the API's
        stop()); what ran so far is kept.  A measurement this one suspended
        when it started measures again meanwhile."""
        if self._stopped or self not in _running:
            return
        self._suspend()
        self._unannounce()
        innermost = _running[-1] is self
        _running.remove(self)
        if innermost and _running:
            _running[-1]._resume()

    def resume(self) -> None:
        """Measure again after pause(), suspending whatever measures now."""
        if self._stopped or self in _running:
            return
        if _running:
            _running[-1]._suspend()
        self._resume()
        _running.append(self)
        if self._previous_env is not _NOT_ANNOUNCED:
            self._announce_to_children()

    def _suspend(self) -> None:
        """Another measurement starts in this process: keep what ran so far
        and let go of the collector (there is one per process)."""
        self.collector.stop()
        self._keep(self.context, self.collector.lines(), self.collector.take_arcs())

    def _resume(self) -> None:
        if self._stopped:
            return
        self.collector.start()
        if self._records_contexts:
            self.collector.record_contexts()

    def program_returned(self) -> None:
        """`ccov run`: the program returned (its atexit handlers are still to
        come, and are measured).  If it emptied atexit's list (atexit._clear()),
        the save registered there went with it: save now, as coverage.py
        always does at this point."""
        if not self._saved and not _registered_at_exit(self.save_quietly):
            self.save_quietly()

    def abandon(self) -> None:
        """Stop without saving, and forget every exit hook."""
        import atexit

        self._saved = True
        self.stop()
        atexit.unregister(self.save_quietly)
        try:
            if signal.getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:
            pass

    # ---- contexts -------------------------------------------------------------------

    def record_contexts(self) -> None:
        """Make switch_context() possible (it costs a little on every first line)."""
        if not self.may_switch_contexts:
            raise RuntimeError("ccov: record_contexts() in a measurement made without may_switch_contexts")
        self._records_contexts = True
        self.collector.record_contexts()

    def switch_context(self, name: str) -> None:
        """Lines run from now on belong to `name` (lines run before, to the old one)."""
        if name == self.context or self._saved:
            return
        arcs = self.collector.take_arcs()
        self._keep(self.context, self.collector.switch_context(), arcs)
        self.context = name
        if self._previous_env is not _NOT_ANNOUNCED:
            self._announce_to_children()

    def _keep(self, context: str, lines: dict[str, bytes], arcs: dict[str, set]) -> None:
        from ccov.data import linebits

        kept = self._finished_contexts.setdefault(context, {})
        for filename, bitmap in lines.items():
            kept[filename] = kept.get(filename, 0) | linebits.from_bytes(bitmap)
        kept_arcs = self._finished_arcs.setdefault(context, {})
        for filename, file_arcs in arcs.items():
            kept_arcs.setdefault(filename, set()).update(file_arcs)

    def forked(self) -> None:
        """In the child of os.fork(): the data so far is shared with the
        parent (which saves it too); this copy now saves as a child."""
        self.child = True
        self.collector.after_fork()

    # ---- saving -----------------------------------------------------------------

    def collected(self):
        """What ran, under canonical paths (relative ones with relative_files),
        plus never-run files under --source (left to the process that began the run)."""
        from ccov.data import datafile
        from ccov.model.source import SourceError, content_hash, read_bytes

        data = datafile.CoverageData(meta={**self.meta, "run_id": self.run_id})
        if self.config.branch:
            data.meta["kind"] = "branches"
        if self.static_context:
            data.meta["static_context"] = self.static_context
        # While measuring, the lines of the context still open join the
        # finished ones: OR-ing is idempotent, so a snapshot taken before the
        # end adds nothing twice.  Once stopped, stop() took them already (and
        # the collector may serve another measurement now).
        if not self._stopped and _running and _running[-1] is self:
            # Measuring now: the collector holds this measurement's latest lines
            # (paused, or suspended by another, it holds someone else's).
            self._keep(self.context, self.collector.lines(), self.collector.take_arcs())
        paths: dict[str, str] = {}
        for context, files in self._finished_contexts.items():
            for filename, bits in files.items():
                if filename not in paths:
                    paths[filename] = canonical(os.path.join(self.root, filename))
                    data.add_lines(paths[filename], 0, context=self.static_context)  # measured, if never run
                if bits:
                    data.add_lines(paths[filename], bits, context=context)
        for context, files in self._finished_arcs.items():
            for filename, arcs in files.items():
                if arcs and filename in paths:
                    data.add_arcs(paths[filename], arcs, context=context)
        if not self.child:
            for path in self.selector.unexecuted_candidates():
                if path not in data.files:
                    data.add_lines(path, 0, context=self.static_context)
        for path, entry in data.files.items():
            try:
                entry.hash = content_hash(read_bytes(path))
            except SourceError:
                entry.hash = None
        if not self.child:
            for name in self.selector.unresolved_sources:
                warn(f"--source {name} is neither a directory nor an importable module; nothing measured for it")
        if self.config.relative_files:
            from ccov.data import paths

            data = paths.relative_to(data, self.root)
        return data

    def hand_over(self):
        """Stop measuring and return what was collected; the caller now owns it,
        and no save will happen at exit (a pytest-xdist worker sends it to the
        controller instead of writing a data file of its own)."""
        self._saved = True
        self.stop()
        return self.collected()

    def save(self, extra=None) -> str | None:
        """Stop measuring and write the data file (with `extra` merged in, such as
        what pytest-xdist workers sent, and the data files of this run's child
        processes); returns the path written, None if a child saw nothing."""
        if self._saved:
            return self.data_path
        self._saving = True
        try:
            return with_room(lambda: self._save_now(extra))
        finally:
            self._saving = False
            if self._terminate_after_save:
                with_room(_die_by_sigterm)

    def _save_now(self, extra) -> str | None:
        # Safe to run again after a RecursionError midway (see with_room):
        # stopping is idempotent and collecting only adds.
        data = self.hand_over()
        if extra is not None:
            data.update(extra)
        if self.child:
            return self._write_child(data)
        return self._write(data)

    def snapshot(self) -> None:
        """Save what ran so far without stopping (before os.exec* replaces the
        process); the final save, if it comes, writes it again."""
        if not self._saved:
            with_room(lambda: self._write_child(self.collected()))

    def _write_child(self, data) -> str | None:
        from ccov.data import datafile

        if not any(entry.all_lines() for entry in data.files.values()):
            return None  # a Python process that ran none of the measured code
        path = datafile.parallel_name(self.data_path)
        self._write_or_rescue(path, data)
        return path

    def _write(self, data) -> str:
        from ccov.data import datafile

        if self.config.parallel:
            path = datafile.parallel_name(self.data_path)
            self._write_or_rescue(path, data)
            return path
        lock = datafile.directory_lock(self.data_path)
        try:
            lock.acquire()
        except datafile.LockTimeout as err:
            # The data file cannot be updated safely: keep this run beside it
            # (children's files stay there too, for `ccov combine`).
            kept = datafile.parallel_name(self.data_path)
            self._write_or_rescue(kept, data)
            raise CcovError(f"{err}; this run's data was saved to {kept}: run `ccov combine`") from None
        try:
            self._update_data_file(data)
        finally:
            lock.release()
        return self.data_path

    def _update_data_file(self, data) -> None:
        """Under the folder's lock: this run's data, its children's files
        and, with append, what the data file held, written as one file."""
        from ccov.data import datafile

        adopted = self._adopt_children(data)
        if self.append and os.path.exists(self.data_path):
            try:
                previous = datafile.read(self.data_path)
            except CcovError as err:  # keep the damaged file as it is, and this run apart
                kept = datafile.parallel_name(self.data_path)
                self._write_or_rescue(kept, data)
                raise CcovError(f"{err}; this run's data was saved to {kept} (not appended)") from None
            try:
                previous.update(data)
            except CcovError as err:  # line data and branch data do not mix: keep this run's apart
                kept = datafile.parallel_name(self.data_path)
                self._write_or_rescue(kept, data)
                raise CcovError(f"{err}; this run's data was saved to {kept}") from None
            data = previous
        self._write_or_rescue(self.data_path, data)
        for path in adopted:
            datafile.remove_quietly(path)
        if self.config.data_format == "coverage":
            self._write_coverage_file(data)

    def _write_coverage_file(self, data) -> None:
        """coverage.py's data file too, for the tools built on coverage.py
        (ccov's own is written already, and stays whatever happens here)."""
        from ccov.data import coverage_file

        path = os.path.join(self.root, self.config.coverage_data_file)
        try:
            coverage_file.write(path, data)
        except CcovError as err:
            raise CcovError(f"{err}; ccov's data file {self.data_path} was saved") from None

    def _adopt_children(self, data) -> list[str]:
        """Merge the data files this run's child processes wrote (those still
        running write theirs later: `ccov combine` takes them)."""
        from ccov.data import datafile

        adopted = []
        for path in datafile.parallel_files(self.data_path):
            try:
                if datafile.read_meta(path).get("run_id") != self.run_id:
                    continue
                data.update(datafile.read(path))
            except CcovError:
                continue
            adopted.append(path)
        return adopted

    def _write_or_rescue(self, path: str, data) -> None:
        from ccov.data import datafile

        try:
            datafile.write(path, data)
        except CcovError as err:
            fallback = self._save_elsewhere(data, path)
            raise CcovError(f"{err}; the data was saved to {fallback} instead" if fallback else f"{err}; the data is lost") from err

    @staticmethod
    def _save_elsewhere(data, intended: str) -> str | None:
        """Save to the temporary folder; the file says where it belonged, so
        a report of the older file left there says it is not the latest."""
        from ccov.data import datafile

        fallback = datafile.rescue_path()
        data.meta["saved_for"] = os.path.abspath(intended)
        try:
            datafile.write(fallback, data)
        except CcovError:
            return None
        return fallback

    def save_quietly(self) -> None:
        """Save for atexit, signals and exit hooks: report problems, never raise."""
        try:
            self.save()
        except CcovError as err:
            print(f"ccov: error: {err}", file=sys.stderr)
        except Exception as err:  # the measured program's exit must not be disturbed
            print(f"ccov: error: could not save coverage data: {err!r}", file=sys.stderr)


class _LookFor:
    """Equal to nothing, but notes whether `wanted` was compared with it."""

    __hash__ = None  # type: ignore[assignment]  # unhashable, as an __eq__ without __hash__ is

    def __init__(self, wanted):
        self.wanted = wanted
        self.seen = False

    def __eq__(self, other):
        self.seen = self.seen or other == self.wanted
        return False


def _registered_at_exit(callback) -> bool:
    """Whether atexit still holds `callback`.  atexit has no way to ask, but
    unregister() compares every callback it holds with its argument, and an
    argument that is equal to nothing removes nothing."""
    import atexit

    probe = _LookFor(callback)
    atexit.unregister(probe)  # type: ignore[arg-type]  # compared, never called
    return probe.seen


def _die_by_sigterm() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)

