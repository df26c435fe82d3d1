"""Run a program as `python script.py` or `python -m module` would.

`__main__` is a fresh module, `sys.argv` and `sys.path[0]` are what Python
would set, an uncaught exception prints its traceback (without ccov's frames)
and gives exit status 1, and SystemExit passes through untouched.
"""

from __future__ import annotations

import os
import sys

from ccov import _collector
from ccov.errors import EXIT_USAGE, CcovError


class ProgramInterrupted(KeyboardInterrupt):
    """The program ended by Ctrl-C (its traceback is printed already)."""


class ProgramNotFound(CcovError):
    def __init__(self, message: str):
        super().__init__(message, EXIT_USAGE)


def _set_path0(directory: str) -> None:
    """sys.path[0] as python gives it to a program: the script's directory
    (or the working directory for -m) in place of the one it gave ccov.
    With -P or PYTHONSAFEPATH python prepends nothing, so sys.path[0] is the
    program's own first entry (PYTHONPATH's) and stays."""
    if not sys.flags.safe_path:
        sys.path[0] = directory


# types.ModuleType, without importing types (not loaded at start-up; 1.2 M
# instructions of `ccov run`'s start-up).
_ModuleType = type(sys)


def _fresh_main(file: str | None, spec=None, loader=None):
    main = _ModuleType("__main__")
    main.__file__ = file
    vars(main).update(__builtins__=sys.modules["builtins"], __cached__=None)
    main.__spec__ = spec
    main.__loader__ = loader
    main.__package__ = spec.parent if spec is not None else None
    sys.modules["__main__"] = main
    return main


def prepare_script(path: str, args: list[str]):
    """Set up sys.argv/sys.path for a script; returns (code, main module)."""
    if os.path.isdir(path) or path.endswith(".zip"):
        return _prepare_directory(path, args)
    absolute = os.path.abspath(path)
    try:
        with open(absolute, "rb") as script:
            source = script.read()
    except OSError as err:
        raise ProgramNotFound(f"can't open file {path!r}: {err.strerror}") from None
    sys.argv = [path, *args]
    _set_path0(os.path.dirname(absolute))
    # The loader Python gives a script, from the module it is defined in
    # (already loaded: importlib.machinery would import more for nothing).
    from _frozen_importlib_external import SourceFileLoader

    # compile() would build the ast module's types first (2.5 ms), which
    # `python script.py` never does: the collector compiles it as python does.
    code = _collector.compile_script(source, absolute)
    main = _fresh_main(absolute, loader=SourceFileLoader("__main__", absolute))
    return code, main


def _prepare_directory(path: str, args: list[str]):
    """A directory or zip file with a __main__ module: that module, found
    there only (not among the modules already imported)."""
    from importlib.machinery import PathFinder

    entry = os.path.abspath(path)
    spec = PathFinder.find_spec("__main__", [entry])
    if spec is None or spec.loader is None:
        raise ProgramNotFound(f"can't find '__main__' module in {path!r}")
    sys.path[0] = entry  # as python does, -P or not: the program is in there
    sys.argv = [path, *args]
    code = spec.loader.get_code("__main__")  # type: ignore[attr-defined]  # an InspectLoader
    return code, _fresh_main(spec.origin, spec=spec, loader=spec.loader)


def prepare_module(name: str, args: list[str], argv0: str | None = None, path_already_set: bool = False):
    """Set up for `-m name`; runs the parent packages' imports (measured)."""
    import importlib.util

    if not path_already_set:
        _set_path0(os.getcwd())
    try:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations is not None:
            name = f"{name}.__main__"
            spec = importlib.util.find_spec(name)
    except ImportError as err:
        raise ProgramNotFound(f"error while finding module specification for {name!r} ({err})") from None
    if spec is None or spec.loader is None:
        raise ProgramNotFound(f"no module named {name!r}")
    code = spec.loader.get_code(name)  # type: ignore[attr-defined]  # an InspectLoader
    if code is None:
        raise ProgramNotFound(f"no code object available for {name!r}")
    sys.argv = [argv0 or spec.origin or name, *args]
    main = _fresh_main(spec.origin, spec=spec, loader=spec.loader)
    return code, main


def execute(code, main) -> int:
    """Run the program; returns 1 after printing an uncaught exception,
    re-raises SystemExit, and raises ProgramInterrupted after printing a
    KeyboardInterrupt."""
    try:
        exec(code, main.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:
        # Drop this frame, so the traceback is the one Python would print.
        traceback = exc.__traceback__.tb_next if exc.__traceback__ else None
        sys.excepthook(type(exc), exc.with_traceback(traceback), traceback)
        if isinstance(exc, KeyboardInterrupt):
            raise ProgramInterrupted from None
        return 1
    return 0
