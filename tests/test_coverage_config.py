"""Switching from coverage.py: its configuration files are read as it reads
them, and a project configured only for coverage.py gets the same numbers,
the same table and the same gate under ccov."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import ccov, clean_env, run

# Every coverage.py setting ccov honours, in each of coverage.py's syntaxes.
# (section, option, TOML value, INI value)
SETTINGS = [
    ("run", "branch", "true", "yes"),
    ("run", "context", '"nightly"', "nightly"),
    ("run", "data_file", '"out/data"', "out/data"),
    ("run", "include", '["app/*", "lib/*"]', "app/*, lib/*"),
    ("run", "omit", '["*/tests/*", "setup.py"]', "\n    */tests/*\n    setup.py"),
    ("run", "parallel", "true", "true"),
    ("run", "relative_files", "true", "on"),
    ("run", "source", '["app"]', "app"),
    ("run", "source_dirs", '["lib"]', "lib"),
    ("run", "source_pkgs", '["pkg.sub"]', "pkg.sub"),
    ("report", "exclude_lines", '["never", "if DEBUG:"]', "\n    never\n    if DEBUG:"),
    ("report", "exclude_also", '["def __repr__", "raise AssertionError, or not"]',
     "\n    def __repr__\n    raise AssertionError, or not"),
    ("report", "fail_under", "87.5", "87.5"),
    ("report", "format", '"markdown"', "markdown"),
    ("report", "include", '["app/*"]', "app/*"),
    ("report", "omit", '["app/gen_*.py"]', "app/gen_*.py"),
    ("report", "partial_branches", '["pragma: part"]', "pragma: part"),
    ("report", "partial_also", '["while wait\\\\(\\\\):"]', "while wait\\(\\):"),
    ("report", "precision", "2", "2"),
    ("report", "show_missing", "true", "True"),
    ("report", "skip_covered", "true", "1"),
    ("report", "skip_empty", "true", "true"),
    ("report", "sort", '"-Cover"', "-Cover"),
    ("html", "directory", '"out/html"', "out/html"),
    ("html", "title", '"The report"', "The report"),
    ("html", "skip_covered", "false", "false"),
    ("html", "skip_empty", "false", "no"),
    ("xml", "output", '"out/cov.xml"', "out/cov.xml"),
    ("json", "output", '"out/cov.json"', "out/cov.json"),
    ("json", "show_contexts", "true", "true"),
    ("lcov", "output", '"out/cov.info"', "out/cov.info"),
]
PATHS_TOML = '[{prefix}paths]\nsource = ["src/", "*/site-packages/"]\n'
PATHS_INI = "[{prefix}paths]\nsource =\n    src/\n    */site-packages/\n"

# Each kind of file coverage.py reads: (name, syntax, section prefix).
FILES = [
    (".coveragerc", "ini", ""),
    (".coveragerc", "ini", "coverage:"),
    ("setup.cfg", "ini", "coverage:"),
    ("tox.ini", "ini", "coverage:"),
    ("pyproject.toml", "toml", "tool.coverage."),
    (".coveragerc.toml", "toml", ""),
]

# ccov setting -> coverage.py's CoverageConfig attribute of the same meaning
# (coverage.py adds exclude_also to its exclude_list, and partial_also to its partial_list).
COVERAGE_ATTRIBUTE = {
    "branch": "branch", "context": "context", "coverage_data_file": "data_file", "include": "run_include",
    "omit": "run_omit", "parallel": "parallel", "relative_files": "relative_files", "source_pkgs": "source_pkgs",
    "exclusion_regexes": "exclude_list", "exclude_also": "exclude_also", "fail_under": "fail_under",
    "format": "format", "report_include": "report_include", "report_omit": "report_omit",
    "partial_regexes": "partial_list", "partial_also": "partial_also", "precision": "precision",
    "show_missing": "show_missing", "skip_covered": "skip_covered", "skip_empty": "skip_empty", "sort": "sort",
    "html_dir": "html_dir", "html_title": "html_title", "html_skip_covered": "html_skip_covered",
    "html_skip_empty": "html_skip_empty", "xml_output": "xml_output", "json_output": "json_output",
    "json_show_contexts": "json_show_contexts", "lcov_output": "lcov_output", "paths": "paths",
}


def configuration(syntax: str, prefix: str, settings=SETTINGS) -> str:
    sections: dict[str, list[str]] = {}
    for section, option, toml_value, ini_value in settings:
        sections.setdefault(section, []).append(f"{option} = {toml_value if syntax == 'toml' else ini_value}")
    text = "".join(f"[{prefix}{section}]\n" + "\n".join(lines) + "\n\n" for section, lines in sections.items())
    return text + (PATHS_TOML if syntax == "toml" else PATHS_INI).format(prefix=prefix)


def load(directory, monkeypatch, path=None, env=None):
    """ccov's configuration as read in `directory`, and the warnings given."""
    from ccov import config

    monkeypatch.chdir(directory)
    for name in ("COVERAGE_FILE", "COVERAGE_RCFILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    warnings: list[str] = []
    return config.load(path, warn=warnings.append), warnings


@pytest.mark.parametrize(("name", "syntax", "prefix"), FILES, ids=[f"{n}[{p}]" for n, _, p in FILES])
def test_every_setting_reads_as_coverage_py_reads_it(tmp_path, monkeypatch, name, syntax, prefix):
    """coverage.py itself reads the same file: each value ccov took must be
    the one coverage.py took, under coverage.py's meaning."""
    coverage = pytest.importorskip("coverage")
    (tmp_path / name).write_text(configuration(syntax, prefix))
    ours, warnings = load(tmp_path, monkeypatch)
    assert warnings == []
    theirs = coverage.Coverage().config
    if name not in theirs.config_file:
        pytest.skip(f"this coverage.py ({coverage.__version__}) does not read {name}")
    for setting, attribute in COVERAGE_ATTRIBUTE.items():
        assert getattr(ours, setting) == getattr(theirs, attribute), setting
    # coverage.py keeps source and source_dirs apart; ccov's source takes both.
    assert ours.source == theirs.source + theirs.source_dirs == ["app", "lib"]
    assert ours.exclude_also == ["def __repr__", "raise AssertionError, or not"]  # regexes split on lines only
    assert all(origin.startswith(name) or f"named by {name}" in origin for origin in ours.origins.values())


def test_the_file_coverage_py_would_use_is_the_one_read(tmp_path, monkeypatch):
    """.coveragerc, .coveragerc.toml, then the first of setup.cfg, tox.ini and
    pyproject.toml that holds a coverage.py setting: one file, never merged."""
    (tmp_path / "pyproject.toml").write_text("[tool.coverage.run]\nbranch = true\n[tool.coverage.report]\nprecision = 3\n")
    (tmp_path / "tox.ini").write_text("[coverage:report]\nprecision = 2\n")
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = app\n[coverage:other]\nx = 1\n")
    config, _ = load(tmp_path, monkeypatch)
    assert (config.precision, config.branch) == (2, False)  # setup.cfg holds no setting: tox.ini is used alone
    (tmp_path / ".coveragerc").write_text("# coverage.py's own file: used even when empty\n")
    config, _ = load(tmp_path, monkeypatch)
    assert (config.precision, config.branch, config.origins) == (0, False, {})
    # Given (--config, --ccov-config or $COVERAGE_RCFILE), a file is read alone.
    (tmp_path / "ci.rc").write_text("[report]\nprecision = 4\n")
    assert load(tmp_path, monkeypatch, path="ci.rc")[0].precision == 4
    assert load(tmp_path, monkeypatch, env={"COVERAGE_RCFILE": "ci.rc"})[0].precision == 4
    assert load(tmp_path, monkeypatch, path="pyproject.toml")[0].precision == 3
    from ccov.errors import UsageError

    with pytest.raises(UsageError, match="configuration file missing.rc not found"):
        load(tmp_path, monkeypatch, env={"COVERAGE_RCFILE": "missing.rc"})


def test_tool_ccov_wins_and_ccov_debug_says_where_each_value_came_from(tmp_path):
    (tmp_path / ".coveragerc").write_text("[run]\nbranch = true\nomit = gen/*\n[report]\nprecision = 1\n")
    (tmp_path / "pyproject.toml").write_text("[tool.ccov]\nprecision = 3\n")
    shown = ccov("debug", cwd=tmp_path, env=clean_env(COVERAGE_FILE="elsewhere/data"))
    assert shown.returncode == 0, shown.stderr
    settings = dict(re.findall(r"^  (\w+) = (.*)$", shown.stdout, re.M))
    assert settings["precision"] == "3    # from pyproject.toml [tool.ccov] precision"
    assert settings["branch"] == "True    # from .coveragerc [run] branch"
    assert settings["omit"] == "['gen/*']    # from .coveragerc [run] omit"
    assert settings["coverage_data_file"] == "'elsewhere/data'    # from $COVERAGE_FILE"
    assert settings["data_file"] == "'elsewhere/.ccov'    # from beside coverage.py's data file, named by $COVERAGE_FILE"
    assert settings["sort"] == "'name'"  # a default says nothing more


def test_nothing_is_dropped_without_a_word(tmp_path, monkeypatch):
    (tmp_path / "setup.cfg").write_text(
        "[coverage:run]\nbranch = true\nbrnach = false\n"
        "[coverage:html]\nextra_css = x.css\n"
    )
    config, warnings = load(tmp_path, monkeypatch)
    assert config.branch is True
    assert warnings == [
        "setup.cfg: unknown setting [coverage:run] brnach ignored",
        "setup.cfg: [coverage:html] extra_css is not used by ccov: the HTML report keeps its own style",
    ]


def test_environment_variables_expand_as_in_coverage_py(tmp_path, monkeypatch):
    (tmp_path / ".coveragerc").write_text(
        "[run]\ndata_file = ${OUT}/data\nsource = $PKG, ${MISSING-fallback}\n[html]\ntitle = cost $$5\n")
    config, _ = load(tmp_path, monkeypatch, env={"OUT": "/tmp/x", "PKG": "app"})
    assert (config.coverage_data_file, config.source, config.html_title) == ("/tmp/x/data", ["app", "fallback"], "cost $5")
    (tmp_path / ".coveragerc").write_text("[run]\ndata_file = ${NOT_SET_ANYWHERE?}\n")
    from ccov.errors import UsageError

    with pytest.raises(UsageError, match=r"\[run\] data_file: environment variable NOT_SET_ANYWHERE is not set"):
        load(tmp_path, monkeypatch)


@pytest.mark.parametrize(("name", "text", "message"), [
    (".coveragerc", "[run]\nbranch = maybe\n", ".coveragerc: [run] branch must be true or false, not 'maybe'"),
    (".coveragerc", "[report]\nprecision = two\n", ".coveragerc: [report] precision must be an integer, not 'two'"),
    (".coveragerc", "[run\nbranch = 1\n", ".coveragerc is not a valid configuration file: File contains no section"),
    ("pyproject.toml", "[tool.coverage.report]\nfail_under = [1]\n",
     "pyproject.toml: [tool.coverage.report] fail_under must be a number, not [1]"),
    ("pyproject.toml", "[tool.coverage]\nrun = 1\n", "pyproject.toml: [tool.coverage.run] must be a table"),
    ("setup.cfg", "[coverage:report]\nsort = size\n", "sort must be one of"),
])
def test_a_bad_value_is_a_one_line_usage_error(tmp_path, name, text, message):
    (tmp_path / name).write_text(text)
    result = ccov("report", cwd=tmp_path)
    assert result.returncode == 3
    assert result.stderr.startswith(f"ccov: error: {message}"), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# ---- end to end: a project configured only for coverage.py -------------------------------

PROJECT_SETTINGS = [
    ("run", "branch", "true", "true"),
    ("run", "source", '["app"]', "app"),
    ("run", "omit", '["app/generated.py"]', "app/generated.py"),
    ("report", "exclude_also", '["def __repr__", "if DEBUG:"]', "\n    def __repr__\n    if DEBUG:"),
    ("report", "fail_under", "95", "95"),
    ("report", "precision", "1", "1"),
    ("report", "show_missing", "true", "true"),
    ("report", "skip_covered", "false", "false"),
    ("report", "sort", '"-cover"', "-cover"),
]

APP = {
    "app/__init__.py": "",
    "app/core.py": (
        "DEBUG = False\n\n\nclass Box:\n    def __init__(self, value):\n        self.value = value\n\n"
        "    def __repr__(self):\n        return f'Box({self.value})'\n\n\n"
        "def grow(box, by):\n    if by < 0:\n        raise ValueError(by)\n    if DEBUG:\n        print(box)\n"
        "    box.value += by\n    return box\n"
    ),
    "app/never_imported.py": "def unused():\n    return 1\n",
    "app/generated.py": "X = 1\n",
    "tests/test_core.py": (
        "from app.core import Box, grow\nimport app.generated\n\n\n"
        "def test_grow():\n    assert grow(Box(1), 2).value == 3\n"
    ),
}


def make_app(directory, config_name, syntax, prefix):
    for path, text in APP.items():
        (directory / path).parent.mkdir(parents=True, exist_ok=True)
        (directory / path).write_text(text)
    (directory / config_name).write_text(configuration(syntax, prefix, PROJECT_SETTINGS).split("[" + prefix + "paths]")[0])


def table(output: str) -> list[str]:
    """The coverage table's lines, from its header to its TOTAL line."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Name "))
    end = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    return [line.rstrip() for line in lines[start:end + 1]]


PROJECT_FILES = [("pyproject.toml", "toml", "tool.coverage."), (".coveragerc", "ini", ""), ("setup.cfg", "ini", "coverage:")]


@pytest.mark.parametrize(("name", "syntax", "prefix"), PROJECT_FILES, ids=[n for n, _, _ in PROJECT_FILES])
def test_a_project_configured_for_coverage_py_gets_the_same_table_and_gate(tmp_path, name, syntax, prefix):
    """Its branch setting, source (with a never-imported module), omit,
    exclude_also, precision, show_missing, sort and fail_under all hold."""
    make_app(tmp_path, name, syntax, prefix)
    env = clean_env(PYTHONPATH=str(tmp_path))
    theirs = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--cov", "-p", "no:ccov"], tmp_path, env)
    ours = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ccov", "-p", "no:pytest_cov"], tmp_path, env)
    assert table(ours.stdout) == table(theirs.stdout), ours.stdout + theirs.stdout
    assert "app/never_imported.py" in ours.stdout and "generated" not in ours.stdout and "Branch" in ours.stdout
    # The gate: 95 is not reached, and both fail the run with the same words.
    assert theirs.returncode == ours.returncode == 1
    gate = re.compile(r"FAIL Required test coverage of 95\.0% not reached\. Total coverage: [\d.]+%")
    assert gate.search(ours.stdout).group() == gate.search(theirs.stdout).group()


def test_the_same_json_numbers_and_report_outputs(tmp_path):
    make_app(tmp_path, "pyproject.toml", "toml", "tool.coverage.")
    with (tmp_path / "pyproject.toml").open("a") as config:
        config.write('\n[tool.coverage.json]\noutput = "out/coverage.json"\n'
                     '[tool.coverage.xml]\noutput = "out/coverage.xml"\n[tool.coverage.lcov]\noutput = "out/lcov.info"\n'
                     '[tool.coverage.html]\ndirectory = "out/html"\n')
    env = clean_env(PYTHONPATH=str(tmp_path))
    run([sys.executable, "-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:ccov"], tmp_path, env)
    assert run([sys.executable, "-m", "coverage", "json", "-o", "theirs.json"], tmp_path, env).returncode == 2
    ccov("run", "-m", "pytest", "-p", "no:cacheprovider", cwd=tmp_path, env=env)
    for command in ("json", "xml", "lcov", "html"):
        assert ccov(command, cwd=tmp_path, env=env).returncode == 2  # written, then the gate
    import json

    ours = json.loads((tmp_path / "out/coverage.json").read_text())
    theirs = json.loads((tmp_path / "theirs.json").read_text())
    assert sorted(ours["files"]) == sorted(theirs["files"])
    for name, entry in theirs["files"].items():  # the whole document, at the configured precision
        mine = dict(ours["files"][name])
        assert mine.pop("path") == str(tmp_path / name)
        assert mine == entry, name
    totals = dict(ours["totals"])
    assert totals.pop("files") == len(theirs["files"]) and totals == theirs["totals"]
    assert all((tmp_path / "out" / name).is_file() for name in ("coverage.xml", "lcov.info", "html/index.html"))


def test_ccov_run_and_report_as_coverage_run_and_report(tmp_path):
    """The same project under `ccov run` and `ccov report`: the same table and
    gate; report-time --include/--omit, --sort with coverage.py's column
    names, and --format=total as coverage.py's."""
    make_app(tmp_path, ".coveragerc", "ini", "")
    env = clean_env(PYTHONPATH=str(tmp_path))
    ccov("run", "-m", "pytest", "-p", "no:cacheprovider", cwd=tmp_path, env=env)
    run([sys.executable, "-m", "coverage", "run", "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:ccov"], tmp_path, env)
    ours, theirs = ccov("report", cwd=tmp_path, env=env), run([sys.executable, "-m", "coverage", "report"], tmp_path, env)
    assert table(ours.stdout) == table(theirs.stdout)
    assert ours.returncode == theirs.returncode == 2
    for options in (["--omit=app/never*"], ["--include=app/core.py,app/__init__.py"], ["--sort=Stmts"],
                    ["--sort=-name", "--skip-covered"], ["--format=total"], ["--format=total", "--precision=2"]):
        ours = ccov("report", *options, cwd=tmp_path, env=env)
        theirs = run([sys.executable, "-m", "coverage", "report", *options], tmp_path, env)
        if "--format=total" in options:
            assert ours.stdout.splitlines()[0] == theirs.stdout.splitlines()[0], options
        else:
            assert table(ours.stdout) == table(theirs.stdout), options
    assert "never_imported" not in ccov("report", "--omit=*/never*", cwd=tmp_path, env=env).stdout
    (tmp_path / ".coveragerc").unlink()
    (tmp_path / "pyproject.toml").write_text('[tool.coverage.report]\nomit = ["app/core.py"]\nformat = "total"\n')
    only = ccov("report", "--format=text", cwd=tmp_path, env=env)
    assert "app/core.py" not in only.stdout and "app/never_imported.py" in only.stdout


def test_ccov_help_command(tmp_path):
    shown = ccov("help", "report", cwd=tmp_path)
    assert shown.returncode == 0 and shown.stdout.startswith("usage: ccov report")
    assert "--format {text,markdown,total}" in shown.stdout
    unknown = ccov("help", "nope", cwd=tmp_path)
    assert unknown.returncode == 3 and unknown.stderr == "ccov: error: no command 'nope' (see `ccov help`)\n"


def test_a_setup_cfg_of_other_tools_costs_ccov_run_no_ini_parser(tmp_path):
    """`ccov run` start-up: setup.cfg and tox.ini are opened to look for
    coverage settings, and parsed (configparser imported) only if they can
    hold some."""
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = app\n[flake8]\nmax-line-length = 100\n")
    (tmp_path / "probe.py").write_text("import sys\nprint('configparser' in sys.modules)\n")
    assert ccov("run", "probe.py", cwd=tmp_path).stdout == "False\n"
    (tmp_path / "tox.ini").write_text("[coverage:run]\nbranch = true\n")
    assert ccov("run", "probe.py", cwd=tmp_path).stdout == "True\n"


@pytest.mark.parametrize("section", ["[tool.coverage.run]", "[tool.ccov]"])
def test_a_pyproject_of_other_tools_costs_ccov_run_no_toml_parser(tmp_path, section):
    """`ccov run` start-up: pyproject.toml is parsed (tomllib, re and enum
    imported: as much again as the rest of ccov's start-up) only if it can
    hold a coverage.py or ccov setting."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "app"\n\n[tool.ruff]\nline-length = 100\n')
    (tmp_path / "probe.py").write_text("import sys\nprint('tomllib' in sys.modules)\n")
    assert ccov("run", "probe.py", cwd=tmp_path).stdout == "False\n"
    pyproject.write_text(pyproject.read_text() + f"\n{section}\nbranch = true\n")
    assert ccov("run", "probe.py", cwd=tmp_path).stdout == "True\n"
    assert ccov("json", "-o", "-", cwd=tmp_path).stdout.count('"num_branches"') > 0


# ---- warnings, as coverage.py gives them (#40) ------------------------------------------


def test_settings_that_change_nothing_ccov_reports_are_accepted_in_silence(tmp_path):
    """`core`, `concurrency`, `patch`... warned on every run, though ccov's
    answer is the same: `ccov debug` lists them instead."""
    (tmp_path / ".coveragerc").write_text(
        "[run]\ncore = ctrace\nconcurrency = multiprocessing,thread\npatch = subprocess\nsigterm = true\n"
        "disable_warnings = no-data-collected\n[json]\npretty_print = true\n")
    (tmp_path / "prog.py").write_text("x = 1\n")
    done = ccov("run", "prog.py", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    shown = ccov("debug", cwd=tmp_path).stdout
    assert "  [run core] = 'ctrace'" in shown and "  [json pretty_print] = 'true'" in shown


@pytest.mark.parametrize("silenced", [False, True])
def test_include_with_source_is_said_as_coverage_py_says_it(tmp_path, silenced):
    (tmp_path / "prog.py").write_text("x = 1\n")
    extra = "disable_warnings = include-ignored\n" if silenced else ""
    (tmp_path / ".coveragerc").write_text(f"[run]\nsource = .\ninclude = prog.py\n{extra}")
    ours = ccov("run", "prog.py", cwd=tmp_path)
    theirs = run([sys.executable, "-m", "coverage", "run", "prog.py"], tmp_path)
    said = "--include is ignored because --source is set (include-ignored)"
    assert (said in theirs.stderr) is (said in ours.stderr) is (not silenced), ours.stderr + theirs.stderr
    if not silenced:
        assert ours.stderr == f"ccov: warning: {said}\n"


def test_a_module_imported_before_the_api_starts_is_said(tmp_path):
    (tmp_path / "lib.py").write_text("VALUE = 1\n\n\ndef f():\n    return VALUE\n")
    (tmp_path / "script.py").write_text(
        "import lib\nimport ccov\ncov = ccov.Coverage(source=['lib'])\ncov.start()\nlib.f()\ncov.stop()\n")
    done = run([sys.executable, "script.py"], tmp_path, clean_env(PYTHONPATH=str(tmp_path)))
    assert done.returncode == 0
    lib = str(tmp_path / "lib.py")
    assert done.stderr.startswith(f"ccov: warning: Already imported a file that will be measured: {lib}"), done.stderr
    assert done.stderr.rstrip().endswith("(already-imported)")


@pytest.mark.parametrize("name, text", [
    (".coveragerc", "[run]\nbranch = true\n"),
    ("setup.cfg", "[coverage:run]\nbranch = true\n"),
    ("tox.ini", "[coverage:run]\nbranch = true\n"),
    ("pyproject.toml", "[tool.coverage.run]\nbranch = true\n"),
])
def test_a_byte_order_mark_is_read_as_coverage_py_reads_it(tmp_path, name, text):
    """An editor's BOM made the file 'not a valid configuration file', and
    nothing was measured (#40)."""
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    (tmp_path / "prog.py").write_text("x = 1\nif x:\n    y = 2\n")
    done = ccov("run", "prog.py", cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert ccov("report", cwd=tmp_path).stdout.splitlines()[0].split() == \
        ["Name", "Stmts", "Miss", "Branch", "BrPart", "Cover"]  # branch = true was read
    theirs = run([sys.executable, "-m", "coverage", "run", "prog.py"], tmp_path)
    assert theirs.returncode == 0, theirs.stderr


@pytest.mark.parametrize("setting, message", [
    ('branch = "yes"', "branch must be true or false, not 'yes'"),
    ('omit = "tests/*"', "omit must be a list of strings, not 'tests/*'"),
])
def test_toml_values_coverage_py_refuses_are_refused(tmp_path, setting, message):
    (tmp_path / "pyproject.toml").write_text(f"[tool.coverage.run]\n{setting}\n")
    (tmp_path / "prog.py").write_text("x = 1\n")
    theirs = run([sys.executable, "-m", "coverage", "run", "prog.py"], tmp_path)
    assert theirs.returncode != 0 and "Couldn't read config file" in theirs.stderr + theirs.stdout
    ours = ccov("run", "prog.py", cwd=tmp_path)
    assert ours.returncode == 3
    assert ours.stderr == f"ccov: error: pyproject.toml: [tool.coverage.run] {message}\n"
    # The strings coverage.py converts are taken.
    (tmp_path / "pyproject.toml").write_text('[tool.coverage.run]\nbranch = "true"\n[tool.coverage.report]\nprecision = "2"\n')
    assert ccov("run", "prog.py", cwd=tmp_path).returncode == 0
