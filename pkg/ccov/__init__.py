"""ccov: code coverage for Python 3.12+ on sys.monitoring.

PYTEST_DONT_REWRITE: child processes (pytest-xdist workers among them)
import ccov from ccov-subprocess.pth before pytest starts, and pytest would
then warn that it cannot rewrite the plugin's package; ccov has no
assertions for pytest to rewrite.
"""

__version__ = "0.1.0"
