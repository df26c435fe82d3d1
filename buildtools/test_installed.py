"""The tests that an installed ccov must pass, run against ccov as installed
(a wheel), never against this source tree: from a checkout or an unpacked
sdist, with the wheel installed with its `test` extra.

    python buildtools/test_installed.py [PYTEST ARGS...]

`./dev wheels --test` runs it in a fresh virtual environment with no C
compiler on PATH, and cibuildwheel runs it on every wheel it builds.  The
subset leaves out what needs a build (the packaging tests make wheels), the
source tree (the layer and docs checks read it), the network (the real-code
suites), a browser, or long minutes (the generated programs).
"""

import os
import sys
from pathlib import Path

# What only an installed wheel can get wrong: the compiled collector, the
# child-process bootstrap in site-packages (processes), the pytest plugin's
# entry point (processes and coverage_py_tools run `pytest --ccov` and
# `--cov`), the package data the reports read, and the API.  The whole suite
# runs on the editable install.
TESTS = [
    "tests/test_collector.py",
    "tests/test_run.py",
    "tests/test_processes.py",
    "tests/test_api.py",
    "tests/test_coverage_py_tools.py",
    "tests/test_reports.py",
    "tests/test_html.py",
]


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    import pytest

    import ccov

    where = Path(ccov.__file__).resolve()
    if where.is_relative_to(root):
        print(f"test_installed: ccov is imported from the source tree ({where}), not installed", file=sys.stderr)
        return 2
    print(f"test_installed: ccov {ccov.__version__} from {where.parent}")
    os.chdir(root)
    return pytest.main([*TESTS, "-q", "-p", "no:cacheprovider", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
