"""Ways a process ends that run no atexit handler, and os.fork.

- os._exit (how multiprocessing's forked workers and many forked children
  end): save, then exit.
- os.execv/os.execve (every os.exec* and os.spawn* goes through them):
  save a snapshot, since the new program replaces this one.
- os.fork: the child's copy of the measurement saves as a child of the run.

The wrappers look up the process's current measurement at call time, so
they do nothing once it has stopped, and a forked child finds its own copy.
"""

from __future__ import annotations

import os

_current = None
_originals: dict[str, object] = {}
_fork_hook_registered = False


def install(measurement) -> None:
    global _current, _fork_hook_registered
    _current = measurement
    if not _originals:
        for name, wrapper in (("_exit", _exit), ("execv", _exec_wrapper("execv")), ("execve", _exec_wrapper("execve"))):
            _originals[name] = getattr(os, name)
            setattr(os, name, wrapper)
    if not _fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook_registered = True


def uninstall(measurement) -> None:
    """Put os back as it was (unless something wrapped our wrappers since)."""
    global _current
    if _current is not measurement:
        return
    _current = None
    for name, original in _originals.items():
        if getattr(getattr(os, name), "_ccov_wrapper", False):
            setattr(os, name, original)
    _originals.clear()


def _exit(status):
    measurement = _current
    if measurement is not None:
        measurement.save_quietly()
    return _originals.get("_exit", _real_exit)(status)


_real_exit = os._exit
_exit._ccov_wrapper = True


def _exec_wrapper(name):
    real = getattr(os, name)

    def wrapper(*args, **kwargs):
        measurement = _current
        if measurement is not None:
            try:
                measurement.snapshot()
            except Exception as err:  # the exec must happen regardless
                import sys

                print(f"ccov: error: could not save coverage data before {name}: {err!r}", file=sys.stderr)
        return real(*args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = real.__doc__
    wrapper._ccov_wrapper = True
    return wrapper


def _after_fork_in_child() -> None:
    if _current is not None:
        _current.forked()
