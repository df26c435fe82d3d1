"""ccov's build backend: setuptools', after one check.

A source build needs a C compiler and the Python headers.  Without them
setuptools would fail deep in a compiler log; this backend says what is
missing, and how to get it, in one line before the build starts.  pip asks
for the build's requirements first, so the check runs there.
"""

import os
import shlex
import sys
import sysconfig

from setuptools import build_meta
from setuptools.build_meta import *  # noqa: F403 - every hook not wrapped below is setuptools'

# {v} is the running Python's version: the headers are packaged per version.
HOW_TO_GET = {
    "Debian/Ubuntu": "apt-get install gcc python{v}-dev",
    "Fedora": "dnf install gcc python{v}-devel",
    "Alpine": "apk add gcc musl-dev python3-dev",
    "macOS": "xcode-select --install",
}


def _where_to_get(version: str) -> str:
    return "; ".join(f"{system}: {command.format(v=version)}" for system, command in HOW_TO_GET.items())


def _on_path(command: str, path: str) -> bool:
    if os.sep in command:
        return os.access(command, os.X_OK)
    return any(os.access(os.path.join(folder, command), os.X_OK) for folder in path.split(os.pathsep) if folder)


def missing_build_prerequisite(environ=os.environ, include_dir=None):
    """The one-line reason a source build cannot start, or None.  The compiler
    is the one setuptools would call: $CC, else the one Python was built with.
    Windows' compiler is found otherwise (by setuptools, through vswhere)."""
    if os.name == "nt":
        return None
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    compiler = shlex.split(environ.get("CC") or sysconfig.get_config_var("CC") or "cc")[:1]
    if not compiler or not _on_path(compiler[0], environ.get("PATH", os.defpath)):
        named = compiler[0] if compiler else "$CC"
        return (f"ccov: error: no C compiler ({named!r} not found) to build ccov's collector from source; "
                f"install one ({_where_to_get(version)}), or install a ccov wheel")
    include_dir = include_dir or sysconfig.get_paths()["include"]
    if not os.path.isfile(os.path.join(include_dir, "Python.h")):
        return (f"ccov: error: no Python {version} headers ({include_dir}/Python.h) to build ccov's collector "
                f"from source; install them ({_where_to_get(version)}), or install a ccov wheel")
    return None


def _check():
    reason = missing_build_prerequisite()
    if reason:
        print(reason, file=sys.stderr)
        raise SystemExit(1)


def get_requires_for_build_wheel(config_settings=None):
    _check()
    return build_meta.get_requires_for_build_wheel(config_settings)


def get_requires_for_build_editable(config_settings=None):
    _check()
    return build_meta.get_requires_for_build_editable(config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _check()  # a build without isolation never asks for the requirements
    return build_meta.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _check()
    return build_meta.build_editable(wheel_directory, config_settings, metadata_directory)
