"""Measuring the Python processes a measured process starts.

A measured process puts its measurement settings in the environment variable
CCOV_PROCESS.  Every Python process that inherits it (subprocess, os.system,
os.exec*, multiprocessing's spawn and forkserver) runs `start()` from the
`ccov-subprocess.pth` file installed beside ccov, before its own code, and
writes a parallel data file tagged with the run's id; the process that began
the run adopts those files when it saves (see ccov.measuring.measure).
The variable's format is ccov.measuring.process_env's.

Without the variable the .pth line costs one dictionary lookup.
"""

from __future__ import annotations

import os
import sys

from ccov.measuring.process_env import ENV_VAR, Settings

# The measurement started by the .pth file in this process, if any, and
# whether start() ran (a venv's lib64 -> lib link makes site run the .pth twice).
_bootstrapped = None
_started = False


def bootstrap_file() -> str | None:
    """Where ccov-subprocess.pth is installed (site-packages), or None."""
    import site
    import sysconfig

    directories = [sysconfig.get_path("purelib"), *site.getsitepackages(), site.getusersitepackages()]
    for directory in directories:
        candidate = os.path.join(directory, "ccov-subprocess.pth")
        if os.path.isfile(candidate):
            return candidate
    return None


def start() -> None:
    """Called by ccov-subprocess.pth when CCOV_PROCESS is set.  Never raises:
    whatever goes wrong, the process runs on unmeasured, with one line said."""
    global _bootstrapped, _started
    if _started or not hasattr(sys, "monitoring"):
        return
    _started = True
    try:
        settings = Settings.decode(os.environ[ENV_VAR])
        from ccov.config import Config
        from ccov.measuring.measure import Measurement

        config = Config()
        settings.configure(config)
        measurement = Measurement(
            config,
            root=settings.root,
            everywhere=settings.everywhere,
            leave_coverage_id=settings.leave_coverage_id,
            inherited=settings,
        )
        measurement.start()
        _bootstrapped = measurement
    except Exception as err:  # a child must run even if ccov cannot measure it
        print(f"ccov: warning: this process is not measured: {err}", file=sys.stderr)


def discard() -> None:
    """Stop the measurement the .pth file started, dropping what it saw: an
    explicit measurement (`ccov run`, the pytest plugin) takes over."""
    global _bootstrapped
    if _bootstrapped is not None:
        _bootstrapped.abandon()
        _bootstrapped = None
