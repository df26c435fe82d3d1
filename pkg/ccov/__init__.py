"""ccov: code coverage for Python 3.12+ on sys.monitoring.

PYTEST_DONT_REWRITE: child processes (pytest-xdist workers among them)
import ccov from ccov-subprocess.pth before pytest starts, and pytest would
then warn that it cannot rewrite the plugin's package; ccov has no
assertions for pytest to rewrite.
"""

__version__ = "0.1.0"
__all__ = ["Coverage", "CoverageException", "NoDataError", "NoSource", "__version__"]


def __getattr__(name: str):
    """`ccov.Coverage` and coverage.py's exception names, imported when first
    asked for: `import ccov` stays cheap for `ccov run` and for every child
    process's bootstrap."""
    if name == "Coverage":
        from ccov.frontends.api import Coverage

        return Coverage
    if name in ("CoverageException", "NoDataError", "NoSource"):
        from ccov import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'ccov' has no attribute {name!r}")
