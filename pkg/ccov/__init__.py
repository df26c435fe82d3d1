"""ccov: code coverage for Python 3.12+ on sys.monitoring."""

__version__ = "0.1.0"
