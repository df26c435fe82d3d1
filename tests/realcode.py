"""Real libraries, pinned: their sdists, downloaded from PyPI the first time
(checked against the pinned SHA-256) and cached in .cache/realcode of the
checkout (CCOV_REALCODE_CACHE moves it).  The real-code oracle tests run
their suites under both tools; bench/ times them (`--sections suites`)."""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CACHE = Path(os.environ.get("CCOV_REALCODE_CACHE") or Path(__file__).parent.parent / ".cache" / "realcode")


@dataclass(frozen=True)
class Library:
    name: str
    version: str
    sha256: str
    package: str  # what --cov/--ccov measure, relative to the unpacked sdist
    path: str = "."  # sys.path entry for the package, relative to the sdist
    args: tuple = ()  # extra pytest arguments (what cannot run from a source tree)
    # Tests whose path through the library depends on the clock: the oracle
    # deselects them, as its two runs of the suite would not run the same lines.
    racy: tuple = ()

    @property
    def sdist(self) -> str:
        return f"{self.name.replace('-', '_')}-{self.version}.tar.gz"


LIBRARIES = [
    # test_deprecations reads the installed distribution's metadata.
    Library("click", "8.5.1", "9bbfada76703fd1d784b83eea012e3e8c6a001a876543ef104fa56aaaeb072b4",
            "src/click", "src", ("--ignore=tests/test_deprecations.py",)),
    Library("attrs", "26.1.0", "d03ceb89cb322a8fd706d4fb91940737b6642aa36998fe130a9bc96c985eff32",
            "src/attr", "src"),
    # recv_until(timeout=0.0001) raises from socketutils line 345 or from the
    # socket's own timeout, by how long the call took; the netstring tests race
    # a server thread against 10-100 ms timeouts.  Under the sanitizers one run
    # took line 345 and the other did not.
    Library("boltons", "26.2.0", "d39cfd15c1a1c3bd4d705c82252fa9edb8e4f5e8cc039f8e39afac7b1b47e92c",
            "boltons", racy=("tests/test_socketutils.py::test_split_delim",
                             "tests/test_socketutils.py::test_socketutils_netstring",
                             "tests/test_socketutils.py::test_socketutils_netstring_timeout")),
    Library("cachetools", "8.0.2", "30ac523adfc118b51d2b2e7bad8a0ddb31370dfe2700c7f10ca224f36ccf81e0",
            "src/cachetools", "src"),
]


def download(library: Library) -> Path:
    """The cached sdist, fetched from PyPI (by its JSON API) when missing."""
    target = CACHE / library.sdist
    if target.exists() and hashlib.sha256(target.read_bytes()).hexdigest() == library.sha256:
        return target
    index = f"https://pypi.org/pypi/{library.name}/json"
    with urllib.request.urlopen(index, timeout=60) as answer:
        releases = json.load(answer)["releases"]
    (entry,) = [e for e in releases[library.version] if e["packagetype"] == "sdist"]
    with urllib.request.urlopen(urllib.parse.urljoin(index, entry["url"]), timeout=120) as answer:
        data = answer.read()
    assert hashlib.sha256(data).hexdigest() == library.sha256, f"{library.sdist}: not the pinned file"
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


def unpack(library: Library, into: Path) -> Path:
    with tarfile.open(download(library)) as archive:
        archive.extractall(into, filter="data")
    (tree,) = into.iterdir()
    return tree


def suite_arguments(library: Library, measure: list[str]) -> list[str]:
    """`python` arguments that run a library's own tests from its unpacked
    sdist (with suite_environment), seeded so that runs repeat."""
    return ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--hypothesis-seed=0",
            *library.args, *measure, "tests"]


def suite_environment(tree: Path, library: Library) -> dict[str, str]:
    """What a library's suite needs in its environment: the package imported
    from its source tree."""
    return {"PYTHONPATH": str(tree / library.path), "PYTHONHASHSEED": "0"}
