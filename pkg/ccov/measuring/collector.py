"""Start and stop the C collector on a sys.monitoring tool id.

The C extension handles every event; this module owns the tool id and the
registration, which happen once per run.
"""

from __future__ import annotations

import os
import sys

from ccov import _collector
from ccov.errors import EXIT_DATA_ERROR, CcovError

TYPE_CHECKING = False  # typing itself is not imported: it costs start-up time
if TYPE_CHECKING:
    from collections.abc import Callable

TOOL_NAME = "ccov"
# COVERAGE_ID first, as PEP 669 asks; then the ids no convention reserves.
_TOOL_ID_PREFERENCE = (1, 3, 4, 0, 2, 5)
# Beside other tools (the pytest plugin may run with pytest-cov, whose
# sys.monitoring core insists on COVERAGE_ID), ccov is the one that yields.
_YIELDING_PREFERENCE = (3, 4, 1, 0, 2, 5)

_sessions_in_process = 0


def _free_tool_id(preference=_TOOL_ID_PREFERENCE) -> int:
    monitoring = sys.monitoring
    for tool_id in preference:
        if monitoring.get_tool(tool_id) is None:
            return tool_id
    taken = ", ".join(f"{i}={monitoring.get_tool(i)!r}" for i in _TOOL_ID_PREFERENCE)
    raise CcovError(f"no free sys.monitoring tool id (taken: {taken})", EXIT_DATA_ERROR)


class Collector:
    """One measurement session.  Only one can run at a time in a process."""

    def __init__(self, decide, leave_coverage_id: bool = False, branch: bool = False,
                 may_switch_contexts: bool = False):
        self._decide = decide
        self.branch = branch
        # Code that may have to report its lines again, in the next context,
        # cannot be measured by instruction (csrc/codestate.c).
        self._one_context = not may_switch_contexts
        self._preference = _YIELDING_PREFERENCE if leave_coverage_id else _TOOL_ID_PREFERENCE
        self.tool_id: int | None = None
        self.watching = False
        # Modules of measured files imported before start(): their
        # functions are measured, the lines that ran then are not.
        self.imported_early: list[str] = []
        self._session = False  # the C collector runs this session (stop() ends it)

    def start(self) -> None:
        monitoring = sys.monitoring
        tool_id = _free_tool_id(self._preference)
        monitoring.use_tool_id(tool_id, TOOL_NAME)
        self.tool_id = tool_id
        try:
            self._start_on(tool_id)
        except BaseException:
            self.stop()  # gives the tool id back: a failed start must not keep it
            raise

    def _start_on(self, tool_id: int) -> None:
        global _sessions_in_process
        monitoring = sys.monitoring
        events = monitoring.events
        for event, callback in _callbacks(self.branch):
            monitoring.register_callback(tool_id, event, callback)
        helper: Callable[..., object] | None = None
        if self.branch and NEW_BRANCH_EVENTS:
            from ccov.model.source import statement_map as helper
        elif self.branch:
            helper = _collector.branch_table  # in C: csrc/branch_reader_312.c
        want_watcher = os.environ.get("CCOV_CORE", "watcher") != "pystart"
        self.watching = _collector.start(tool_id, self._decide, want_watcher, helper, self._one_context)
        self._session = True
        # Running frames first: their code must be armed as code that
        # resumes inside a line, before the walk below finds it.
        self._track_running_frames()
        if self.watching:
            # New code is armed as it is created; code that exists already,
            # however it is held, is found here (csrc/existing.c).
            self.imported_early = _measured_modules_imported()
            if self.imported_early:
                _collector.track_existing()
        else:
            monitoring.set_events(tool_id, events.PY_START)
            if _sessions_in_process:
                # An earlier session returned DISABLE for PY_START locations that
                # would otherwise stay silent.  This re-arms other tools' disabled
                # events too, which they must tolerate anyway.
                monitoring.restart_events()
        if self.branch and not NEW_BRANCH_EVENTS:
            monitoring.set_events(tool_id, monitoring.get_events(tool_id) | events.PY_UNWIND)
        _sessions_in_process += 1

    @staticmethod
    def _track_running_frames() -> None:
        """Frames already executing: measure their code now."""
        frames = list(sys._current_frames().values())
        while frames:
            frame = frames.pop()
            _collector.track_running(frame.f_code)
            if frame.f_back is not None:
                frames.append(frame.f_back)

    def stop(self) -> None:
        """Release every event, callback and the tool id (free_tool_id alone
        does not, before 3.14).  Never raises: the program may have freed
        our tool id (and another tool may hold it now), and the data in
        memory must still be saved."""
        if self.tool_id is None:
            return
        monitoring = sys.monitoring
        tool_id, self.tool_id = self.tool_id, None
        ours = monitoring.get_tool(tool_id) == TOOL_NAME
        if ours:
            _quietly(monitoring.set_events, tool_id, 0)
        if self._session:
            self._session = False
            _collector.stop()
        for event, _ in _callbacks(self.branch):
            _unregister(tool_id, event)
        if ours:
            _quietly(monitoring.free_tool_id, tool_id)
        if os.environ.get("CCOV_STATS"):
            stats = " ".join(f"{k}={v}" for k, v in _collector.stats().items())
            print(f"ccov stats (pid {os.getpid()}): {stats}", file=sys.stderr)

    @staticmethod
    def lines() -> dict[str, bytes]:
        """{code filename: line bitmap} of what ran (since the last context switch)."""
        return _collector.lines()

    def take_arcs(self) -> dict[str, set[tuple[int, int]]]:
        """{code filename: arcs (from_line, to_line)} recorded since the last
        call (none without branch measurement); a negative to_line leaves
        the code object."""
        if not self.branch:
            return {}
        return {name: {decode_arc(key) for key in keys} for name, keys in _collector.take_arcs().items()}

    @staticmethod
    def guard_sigterm() -> bool:
        """See csrc/sigterm.c: the SIGTERM handler just installed is sent the
        signal again until it starts."""
        return _collector.guard_sigterm()

    @staticmethod
    def sigterm_started() -> None:
        _collector.sigterm_started()

    @staticmethod
    def after_fork() -> None:
        """In a forked child: what the collector keeps per process (the
        SIGTERM re-send timer) is made anew."""
        _collector.sigterm_after_fork()

    @staticmethod
    def record_contexts() -> None:
        """From now on, keep track of what runs so switch_context() can re-arm it."""
        _collector.record_contexts(True)

    # How code is re-armed at a context switch: per code object (the default),
    # or CCOV_REARM=restart: sys.monitoring.restart_events(), which re-arms every
    # tool's events and is kept only to measure against (bench/, README).
    _rearm_by_restart = os.environ.get("CCOV_REARM") == "restart"

    def switch_context(self) -> dict[str, bytes]:
        """What ran since the last switch; the code that ran reports its lines
        again (once each) from now on."""
        lines = _collector.switch_context(self._rearm_by_restart)
        if self._rearm_by_restart:
            sys.monitoring.restart_events()
        return lines


# 3.14+: BRANCH_LEFT and BRANCH_RIGHT, each direction on its own (csrc/branches_314.c).
NEW_BRANCH_EVENTS = sys.version_info >= (3, 14)


def _callbacks(branch: bool) -> list:
    """(event, callback) for each event the collector handles."""
    events = sys.monitoring.events
    found = [(events.PY_START, _collector.on_py_start), (events.LINE, _collector.on_line)]
    if not branch:
        # Code whose lines CPython would look up from the start of its line
        # table on every LINE event is measured by instruction (codestate.c).
        found.append((events.INSTRUCTION, _collector.on_instruction))
    if NEW_BRANCH_EVENTS:
        # PY_RETURN in line mode too: a return the compiler duplicated after a
        # loop fires no LINE event on 3.14+.
        found.append((events.PY_RETURN, _collector.on_return))
        if branch:
            found += [(events.BRANCH_LEFT, _collector.on_branch),  # type: ignore[attr-defined]  # 3.14+
                      (events.BRANCH_RIGHT, _collector.on_branch)]  # type: ignore[attr-defined]
    elif branch:
        found += [(events.BRANCH, _collector.on_branch), (events.PY_RETURN, _collector.on_return),
                  # The jump back to a loop's head, from an `if` ending its body.
                  (events.JUMP, _collector.on_jump),
                  # Global (PY_UNWIND cannot be set per code object): an exception
                  # leaving a function counts as its exit, as in coverage.py's C tracer.
                  (events.PY_UNWIND, _collector.on_unwind)]
    return found


# Every callback the collector registers, in either mode, from the one list
# that registers them: stopping must not mistake one of them for another
# tool's and put it back (INSTRUCTION's was missing here until 28 November).
_OUR_CALLBACKS = {callback for branch in (False, True) for _, callback in _callbacks(branch)}


def _quietly(call, *args) -> None:
    try:
        call(*args)
    except ValueError:  # the tool id is not in use any more: nothing of ours is left there
        pass


def _unregister(tool_id: int, event: int) -> None:
    """Remove our callback for `event`, and only ours: a tool that took the
    id after the program freed it keeps the callback it registered."""
    try:
        previous = sys.monitoring.register_callback(tool_id, event, None)
    except ValueError:
        return
    if previous is not None and previous not in _OUR_CALLBACKS:
        _quietly(sys.monitoring.register_callback, tool_id, event, previous)


def _measured_modules_imported() -> list[str]:
    """The files of measured modules already imported, if code of a measured
    file can exist yet (`ccov run` starts before any; pytest's `-p`, the
    API's caller...).  Walking every object for existing code costs about
    2 ms per 50,000 objects, paid only then."""
    found = []
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        # Python source only: an extension module's file is never code's.
        if (isinstance(filename, str) and filename.endswith((".py", ".pyw")) and filename not in found
                and _collector.measured(filename)):
            found.append(filename)
    return found


def decode_arc(key: int) -> tuple[int, int]:
    to_line = key & 0xFFFFFFFF
    return key >> 32, to_line - (1 << 32) if to_line >= 1 << 31 else to_line
