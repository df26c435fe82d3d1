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

from ccov.measuring.stack import with_room

# The measurements of this process, innermost last (one, unless a measured
# pytest runs pytest --ccov in-process): each of them saves.
_current: list = []
_originals: dict[str, object] = {}
_fork_hook_registered = False


def install(measurement) -> None:
    global _fork_hook_registered
    _current.append(measurement)
    if not _originals:
        for name, save in (("_exit", _save), ("execv", _snapshot), ("execve", _snapshot)):
            _originals[name] = getattr(os, name)
            setattr(os, name, _saving_first(name, save))
    if not _fork_hook_registered and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _fork_hook_registered = True


def uninstall(measurement) -> None:
    """Forget a measurement; with none left, put os back as it was (unless
    something wrapped our wrappers since)."""
    if measurement not in _current:
        return
    _current.remove(measurement)
    if _current:
        return
    for name, original in _originals.items():
        if getattr(getattr(os, name), "_ccov_wrapper", False):
            setattr(os, name, original)
    _originals.clear()


def _save(measurement, name: str) -> None:
    measurement.save_quietly()


def _snapshot(measurement, name: str) -> None:
    try:
        measurement.snapshot()
    except Exception as err:  # the exec must happen regardless
        import sys

        print(f"ccov: error: could not save coverage data before {name}: {err!r}", file=sys.stderr)


def _saving_first(name: str, save):
    """os.<name>, saving the current measurement (if any) before it runs."""
    real = getattr(os, name)

    def wrapper(*args, **kwargs):
        for measurement in reversed(_current):
            with_room(lambda measurement=measurement: save(measurement, name))  # os._exit may come at the recursion limit
        return real(*args, **kwargs)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__doc__ = real.__doc__
    wrapper.__dict__["_ccov_wrapper"] = True
    return wrapper


def _after_fork_in_child() -> None:
    for measurement in _current:
        measurement.forked()
