"""ccov as a user installs it: a wheel built from this checkout, installed
into a fresh virtual environment (the test suite itself runs on an editable
install, which hides what only an installed wheel does)."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from conftest import SAMPLE_PROJECT, run

CHECKOUT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = tmp_path_factory.mktemp("build")
    shutil.copytree(CHECKOUT, build / "src", ignore=shutil.ignore_patterns(".venv-*", ".git", "*.so", "build", ".work",
                                                                          "__pycache__", "*.egg-info"))
    done = run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out),
                str(build / "src")], build)
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("ccov-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel, pytest and pytest-xdist; returns its python."""
    target = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    done = run([str(python), "-m", "pip", "install", "-q", str(wheel), "pytest", "pytest-xdist"], target, timeout=600)
    assert done.returncode == 0, done.stderr
    return python


def test_xdist_workers_raise_no_rewrite_warning(installed, tmp_path):
    """Workers import ccov from the .pth bootstrap before pytest: pytest
    warned that it could not rewrite ccov, and a project with
    filterwarnings=error (click, packaging, ...) then ran no test at all."""
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE_PROJECT, project)
    result = run([str(installed), "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--ccov=calc", "-W", "error"],
                 project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "9 passed" in result.stdout and "warning" not in result.stdout.lower()
    under_run = run([str(installed), "-m", "ccov", "run", "-m", "pytest", "-p", "no:cacheprovider", "-W", "error"],
                    project)
    assert under_run.returncode == 0 and "9 passed" in under_run.stdout, under_run.stdout + under_run.stderr


def test_the_wheel_ships_the_bootstrap_and_the_reports(installed):
    done = run([str(installed), "-c", "import ccov, ccov._collector, ccov.reports.html, ccov.measuring.childproc as c; "
                "print(c.bootstrap_file())"], installed.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("site-packages/ccov-subprocess.pth")


def test_the_wheel_ships_the_licence_and_the_type_marker(wheel):
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    assert "ccov/py.typed" in names and "ccov/_collector.pyi" in names
    # Every layer's package is in the wheel, and the version is ccov.__version__ (its one source).
    for package in ("measuring", "data", "model", "changes", "frontends", "reports"):
        assert f"ccov/{package}/__init__.py" in names, package
    import ccov

    assert wheel.name.startswith(f"ccov-{ccov.__version__}-")
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), names


def test_without_pytest_cov_pytest_cov_s_options_are_ccov_s(installed, tmp_path):
    """The fresh venv has pytest and no pytest-cov: a CI line written for
    pytest-cov runs, measured by ccov."""
    project = tmp_path / "sample"
    shutil.copytree(SAMPLE_PROJECT, project)
    result = run([str(installed), "-m", "pytest", "-p", "no:cacheprovider", "--cov=calc", "--cov-branch",
                  "--cov-report=term-missing", "--cov-report=xml", "--cov-fail-under=50"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ccov: platform" in result.stdout and "Required test coverage of 50% reached" in result.stdout
    assert (project / "coverage.xml").is_file() and (project / ".ccov").is_file()


def test_the_sdist_holds_what_its_tests_need(tmp_path):
    """An sdist's tests run: conftest.py, the data, the programs and the sample
    project come along (the licence and the docs too)."""
    import tarfile

    build = tmp_path / "src"
    shutil.copytree(CHECKOUT, build, ignore=shutil.ignore_patterns(".venv-*", ".git", "*.so", "build", ".work", "__pycache__",
                                                                   "*.egg-info", ".cache", ".hypothesis"))
    done = run([sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path / "dist")], build)
    assert done.returncode == 0, done.stderr
    (sdist,) = (tmp_path / "dist").glob("ccov-*.tar.gz")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in ("LICENSE", "pkg/ccov/py.typed", "docs/configuration.md", "tests/conftest.py",
                   "tests/data/coverage-04.dtd", "tests/programs/control.py", "tests/sample_project/calc/ops.py",
                   "buildtools/ccov_backend.py", "buildtools/test_installed.py", "buildtools/check_wheels.py"):
        assert needed in names, needed
    assert not [name for name in names if "__pycache__" in name or name.endswith(".pyc")]
    (tree,) = (tmp_path / "unpacked").iterdir()
    # A few of its tests, run from the unpacked tree, against the ccov under test.
    ran = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_reports.py",
               "tests/test_ci_formats.py", "-k", "table or dtd"], tree, timeout=300)
    assert ran.returncode == 0 and " passed" in ran.stdout, ran.stdout[-2000:] + ran.stderr[-2000:]


# Standard library modules that each cost `ccov run` milliseconds of start-up
# (bench/ measures it): none is needed to measure and save an empty script.
COSTLY_AT_START = {"re", "enum", "tokenize", "argparse", "typing", "collections", "functools", "dataclasses",
                   "importlib.machinery", "hashlib", "json", "urllib"}


def test_ccov_run_imports_nothing_costly(installed, tmp_path):
    """Measured from the wheel, as users have it (the editable install's
    import hook loads re at every start), with a launcher that imports
    nothing itself (pip's imports re, which ccov cannot help)."""
    (tmp_path / "empty.py").write_text("")
    # Registered before ccov's own exit handler, so it runs after the save.
    launcher = ("import atexit, sys\n"
                "atexit.register(lambda: open('loaded.txt', 'w').write(repr(sorted(sys.modules))))\n"
                "from ccov.frontends.cli import main\nsys.argv[0] = 'ccov'\nsys.exit(main())\n")
    done = run([str(installed), "-c", launcher, "run", "empty.py"], tmp_path)
    assert done.returncode == 0 and (tmp_path / ".ccov").is_file(), done.stderr
    loaded = set(ast.literal_eval((tmp_path / "loaded.txt").read_text()))
    assert "ccov.measuring.measure" in loaded and "ccov.data.datafile" in loaded  # the probe sees ccov's imports
    assert loaded & COSTLY_AT_START == set()


@pytest.mark.parametrize("version, message", [
    ("3.13", "dev: no Python 3.13 found (pyenv or python3.13 on PATH)"),
    ("3.11", "dev: ccov supports Python 3.12, 3.13, 3.14 and 3.15, not 3.11"),
])
def test_dev_without_the_python_asked_for_says_so_and_stops(tmp_path, version, message):
    """`./dev example 3.14` on a machine without it went on to run an empty
    command (`line 48: : command not found`, exit 127) (#39)."""
    import os

    dev = Path(__file__).resolve().parent.parent / "dev"
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "dev").write_bytes(dev.read_bytes())
    (checkout / "dev").chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "no-pyenv")}
    done = subprocess.run([str(checkout / "dev"), "example", version], cwd=checkout, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == message
    assert not any(name.startswith(".venv") for name in os.listdir(checkout))


def _copy_of_the_sources(destination: Path) -> Path:
    shutil.copytree(CHECKOUT, destination, ignore=shutil.ignore_patterns(
        ".venv-*", ".git", "*.so", "build", "dist", ".work", "__pycache__", "*.egg-info", ".cache", ".hypothesis",
        "tests", "docs", "bench", "screenshots"))
    return destination


def test_a_source_build_without_a_compiler_stops_with_one_line(tmp_path):
    """pip printed setuptools' ninety-line log, with `No such file or directory:
    'gcc'` near its end and nothing from ccov (#42)."""
    import os

    source = _copy_of_the_sources(tmp_path / "src")
    env = dict(os.environ, CC=str(tmp_path / "no-such-cc"))
    done = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                str(tmp_path / "out"), str(source)], tmp_path, env=env, timeout=300)
    assert done.returncode != 0
    said = [line.strip() for line in (done.stdout + done.stderr).splitlines() if "ccov: error" in line]
    assert len(said) == 1, done.stdout + done.stderr
    assert said[0].startswith(f"ccov: error: no C compiler ('{tmp_path / 'no-such-cc'}' not found)")
    assert "apt-get install gcc python3." in said[0] and "xcode-select --install" in said[0]
    assert "building 'ccov._collector'" not in done.stdout + done.stderr  # it stopped before compiling
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def _build_backend():
    import importlib.util

    spec = importlib.util.spec_from_file_location("ccov_backend", CHECKOUT / "buildtools" / "ccov_backend.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_source_build_without_the_python_headers_says_which(tmp_path):
    import os
    import sysconfig

    backend = _build_backend()
    environ = {"PATH": os.environ["PATH"], "CC": sys.executable}  # any program that is there
    reason = backend.missing_build_prerequisite(environ, include_dir=str(tmp_path))
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert reason == (
        f"ccov: error: no Python {version} headers ({tmp_path}/Python.h) to build ccov's collector from source; "
        f"install them (Debian/Ubuntu: apt-get install gcc python{version}-dev; Fedora: dnf install gcc "
        f"python{version}-devel; Alpine: apk add gcc musl-dev python3-dev; macOS: xcode-select --install), "
        "or install a ccov wheel")
    # The suite's own build had both: nothing is missing here.
    assert backend.missing_build_prerequisite(environ, sysconfig.get_paths()["include"]) is None


def _workflow() -> dict:
    import yaml

    return yaml.safe_load((CHECKOUT / ".github" / "workflows" / "wheels.yml").read_text())


def test_the_release_workflow_builds_tests_and_publishes_on_a_tag():
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["tags"] == ["v*"]
    jobs = workflow["jobs"]
    runners = set(jobs["wheels"]["strategy"]["matrix"]["os"])
    # Linux x86_64 and aarch64, macOS Intel and Apple silicon, Windows.
    assert runners == {"ubuntu-latest", "ubuntu-24.04-arm", "macos-13", "macos-14", "windows-latest"}
    steps = [step.get("uses", "") for step in jobs["wheels"]["steps"]]
    assert any(uses.startswith("pypa/cibuildwheel@") for uses in steps)
    publish = jobs["publish"]
    assert set(publish["needs"]) == {"sdist", "wheels"}
    assert publish["if"] == "startsWith(github.ref, 'refs/tags/v')"
    assert publish["steps"][-1]["uses"].startswith("pypa/gh-action-pypi-publish@")


@pytest.mark.parametrize("platform, archs, kinds", [
    ("linux", "x86_64,aarch64", ["manylinux_x86_64", "manylinux_aarch64", "musllinux_x86_64", "musllinux_aarch64"]),
    ("macos", "x86_64,arm64", ["macosx_x86_64", "macosx_arm64"]),
    ("windows", "AMD64", ["win_amd64"]),
])
def test_cibuildwheel_builds_every_supported_cpython(platform, archs, kinds):
    """cibuildwheel itself reads pyproject.toml's settings, at the version the
    workflow uses: every regular CPython ccov supports, no free-threaded one."""
    import importlib.metadata

    (action,) = [step["uses"] for step in _workflow()["jobs"]["wheels"]["steps"]
                 if step.get("uses", "").startswith("pypa/cibuildwheel@")]
    assert action == f"pypa/cibuildwheel@v{importlib.metadata.version('cibuildwheel')}"
    done = run([sys.executable, "-m", "cibuildwheel", "--platform", platform, "--archs", archs,
                "--print-build-identifiers"], CHECKOUT)
    assert done.returncode == 0, done.stderr
    expected = {f"cp3{minor}-{kind}" for minor in (12, 13, 14, 15) for kind in kinds}
    assert set(done.stdout.split()) == expected


def test_the_release_check_finds_what_a_wheel_lacks(wheel, tmp_path):
    """buildtools/check_wheels.py, which `./dev wheels` runs on each wheel:
    the wheel pip builds holds everything, and is only not yet repaired to a
    manylinux tag (auditwheel's step); a wheel without the bootstrap or the
    plugin's entry point is caught."""
    import importlib.util
    import zipfile

    spec = importlib.util.spec_from_file_location("check_wheels", CHECKOUT / "buildtools" / "check_wheels.py")
    assert spec and spec.loader
    check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(check)
    assert check.faults(wheel) == ["not repaired to a manylinux tag"]
    stripped = tmp_path / wheel.name.replace("linux_x86_64", "manylinux_2_34_x86_64")
    with zipfile.ZipFile(wheel) as source, zipfile.ZipFile(stripped, "w") as target:
        for item in source.infolist():
            if item.filename != "ccov-subprocess.pth" and not item.filename.endswith("entry_points.txt"):
                target.writestr(item, source.read(item))
    assert check.faults(stripped) == ["no ccov-subprocess.pth", "no pytest11 entry point"]


def test_the_windows_smoke_test_passes_here_and_fails_without_data(tmp_path):
    """The command cibuildwheel runs on each Windows wheel, run here on the
    ccov under test: it passes, and it would fail if nothing were measured."""
    import tomllib

    settings = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]
    (windows,) = [override for override in settings["overrides"] if override["select"] == "*-win_*"]
    command = windows["test-command"].replace("{project}", str(CHECKOUT)).replace("python ", f"{sys.executable} ")
    done = subprocess.run(command, shell=True, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "linecount.py" in done.stdout
    unmeasured = command.replace(f"--source={CHECKOUT}/examples", f"--source={tmp_path}")
    assert subprocess.run(unmeasured, shell=True, cwd=tmp_path, capture_output=True).returncode != 0
