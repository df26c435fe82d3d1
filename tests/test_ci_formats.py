"""Formats CI systems read: Cobertura XML (against the coverage-04 DTD), JSON
(against its schema), Markdown, GitLab's TOTAL regex; and the per-file gate."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest
from conftest import ccov, run
from lxml import etree

DTD = Path(__file__).parent / "data" / "coverage-04.dtd"

APP = """\
def used(x):
    if x:
        return 1
    return 2


def unused():
    return 3


used(1)
"""


@pytest.fixture
def measured(project):
    (project / "pkg").mkdir()
    (project / "pkg" / "__init__.py").write_text("")
    (project / "pkg" / "app.py").write_text(APP)
    (project / "main.py").write_text("import pkg.app\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    return project


def report_schema() -> dict:
    """The JSON report's schema, as ccov ships it."""
    return json.loads((Path(__import__("ccov.reports").reports.__file__).parent / "coverage-schema.json").read_text())


def validate_dtd(path: Path) -> etree._ElementTree:
    """The report is valid by the coverage-04 DTD, but for coverage.py's one
    attribute the DTD lacks (missing-branches, which ccov writes as it does,
    and Cobertura's readers pass over)."""
    tree = etree.parse(str(path))
    for line in tree.iter("line"):
        line.attrib.pop("missing-branches", None)
    dtd = etree.DTD(str(DTD))
    assert dtd.validate(tree), dtd.error_log.filter_from_errors()
    return tree


def test_xml_is_valid_cobertura_and_reads_back(measured):
    result = ccov("xml", cwd=measured)
    assert result.returncode == 0, result.stderr
    root = validate_dtd(measured / "coverage.xml").getroot()
    assert root.get("lines-valid") == "8" and root.get("lines-covered") == "6"
    assert [s.text for s in root.iter("source")] == [str(measured)]
    classes = {c.get("filename"): c for c in root.iter("class")}
    assert sorted(classes) == ["main.py", "pkg/__init__.py", "pkg/app.py"]
    assert [p.get("name") for p in root.iter("package")] == [".", "pkg"]
    hits = {int(element.get("number")): int(element.get("hits")) for element in classes["pkg/app.py"].find("lines")}
    assert hits == {1: 1, 2: 1, 3: 1, 4: 0, 7: 1, 8: 0, 11: 1}
    assert list(classes["pkg/app.py"].iter("method")) == []  # as coverage.py: see xml_methods


def test_xml_methods_on_request(measured):
    (measured / "pyproject.toml").write_text("[tool.ccov]\nxml_methods = true\n")
    assert ccov("xml", cwd=measured).returncode == 0
    root = validate_dtd(measured / "coverage.xml").getroot()
    (app,) = [c for c in root.iter("class") if c.get("filename") == "pkg/app.py"]
    methods = {m.get("name"): (m.get("line-rate"), len(m.find("lines"))) for m in app.iter("method")}
    assert methods == {"used": ("0.6667", 0), "unused": ("0", 0)}  # the rates; the lines once, in the class


def test_xml_is_no_larger_than_coverage_pys(project):
    """GitLab refuses a Cobertura report over 10 MiB: ccov's must reach that
    limit no sooner than coverage.py's, for the same project."""
    body = "".join(f"def f{i}(x):\n    if x > {i}:\n        return {i}\n    return x\n\n\n" for i in range(300))
    (project / "big.py").write_text(body + "".join(f"f{i}({i % 2 * 1000})\n" for i in range(300)))
    assert ccov("run", "--branch", "big.py", cwd=project).returncode == 0
    assert ccov("xml", "-o", "ours.xml", cwd=project).returncode == 0
    run([sys.executable, "-m", "coverage", "run", "--branch", "big.py"], project)
    assert run([sys.executable, "-m", "coverage", "xml", "-o", "theirs.xml"], project).returncode == 0
    ours, theirs = (project / "ours.xml").stat().st_size, (project / "theirs.xml").stat().st_size
    assert ours <= theirs, (ours, theirs)
    validate_dtd(project / "ours.xml")
    validate_dtd(project / "theirs.xml")


def test_the_dtd_accepts_coverage_pys_xml_too(measured):
    run([sys.executable, "-m", "coverage", "run", "main.py"], measured)
    assert run([sys.executable, "-m", "coverage", "xml", "-o", "theirs.xml"], measured).returncode == 0
    validate_dtd(measured / "theirs.xml")


def test_json_matches_its_schema(measured):
    assert ccov("json", "-o", "out/cov.json", cwd=measured).returncode == 0
    document = json.loads((measured / "out/cov.json").read_text())
    schema = report_schema()
    jsonschema.validate(document, schema)
    app = document["files"]["pkg/app.py"]
    assert app["missing_lines"] == [4, 8] and app["summary"]["percent_covered"] == pytest.approx(71.4286, abs=1e-4)
    assert document["totals"]["num_statements"] == 8 and document["totals"]["files"] == 3
    assert app["functions"]["unused"]["missing_lines"] == [8] and app["functions"][""]["start_line"] == 1
    broken = dict(document, totals={"num_statements": -1})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


JSON_PROGRAM = """\
import os


class Box:
    size = 1

    def grow(self, by):
        if by < 0:
            raise ValueError(by)
        self.size += by
        return self

    class Lid:
        def close(self):
            def latch():
                return 3
            return latch()


def make(n):
    if n:
        return Box().grow(n)
    return Box.Lid().close()


def make(n):  # defined again: coverage.py tells the two apart by their line
    for _ in range(n):
        pass
    return n


def never():  # pragma: no cover
    return 0


make(2)
Box().grow(1)
Box.Lid().close()
"""


@pytest.mark.parametrize("branch", [False, True], ids=["line", "branch"])
def test_json_is_coverage_py_s_format(project, branch):
    """A reader of coverage.py's JSON reads ccov's: every key and value
    coverage.py writes (summaries, display strings at the precision, the
    functions and classes maps), with ccov's own keys beside them."""
    (project / "prog.py").write_text(JSON_PROGRAM)
    (project / "pyproject.toml").write_text("[tool.coverage.report]\nprecision = 1\n")
    flag = ["--branch"] if branch else []
    assert ccov("run", *flag, "prog.py", cwd=project).returncode == 0
    assert ccov("json", "-o", "ours.json", cwd=project).returncode == 0
    run([sys.executable, "-m", "coverage", "run", *flag, "prog.py"], project)
    assert run([sys.executable, "-m", "coverage", "json", "-o", "theirs.json"], project).returncode == 0
    ours, theirs = (json.loads((project / name).read_text()) for name in ("ours.json", "theirs.json"))
    jsonschema.validate(ours, report_schema())
    assert ours["meta"]["format"] == theirs["meta"]["format"] == 3
    assert {key: ours["meta"][key] for key in theirs["meta"] if key not in ("version", "timestamp")} == \
        {key: value for key, value in theirs["meta"].items() if key not in ("version", "timestamp")}
    mine = ours["files"]["prog.py"]
    assert mine.pop("path") == str(project / "prog.py")
    assert mine == theirs["files"]["prog.py"]
    assert list(mine["functions"]) == ["Box.grow", "Box.Lid.close", "Box.Lid.close.latch", "make", "make@26", "never", ""]
    assert ours["totals"].pop("files") == 1
    assert ours["totals"] == theirs["totals"]


def test_markdown_table(measured):
    result = ccov("report", "--format=markdown", "-m", cwd=measured)
    lines = result.stdout.splitlines()
    assert lines[0] == "| Name | Stmts | Miss | Cover | Missing |"
    assert "| pkg/app.py | 7 | 2 | 71% | 4, 8 |" in lines  # a dot in a name is not escaped
    assert lines[-1] == "| **TOTAL** | **8** | **2** | **75%** |  |"


def test_step_summary_appends(measured, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    from conftest import clean_env

    result = ccov("report", "--step-summary", cwd=measured, env=clean_env(GITHUB_STEP_SUMMARY=str(summary)))
    assert result.returncode == 0
    text = summary.read_text()
    assert text.startswith("earlier step\n| Name | Stmts | Miss | Cover |")


def test_gitlab_regex_reads_the_total(measured):
    gitlab = re.compile(r"TOTAL.*? (100(?:\.0+)?\%|[1-9]?\d(?:\.\d+)?\%)$", re.MULTILINE)
    for precision in ("0", "2"):
        output = ccov("report", f"--precision={precision}", cwd=measured).stdout
        assert gitlab.search(output).group(1) == ("75%" if precision == "0" else "75.00%")


def test_per_file_minimums_name_every_file(measured):
    (measured / "pyproject.toml").write_text(
        '[tool.ccov]\nfail_under_file = {default = 80, "pkg/__init__.py" = 100, "*/app.py" = 70}\n'
    )
    assert ccov("report", cwd=measured).returncode == 0
    (measured / "pyproject.toml").write_text('[tool.ccov]\nfail_under_file = 90\n')
    failed = ccov("report", cwd=measured)
    assert failed.returncode == 2
    assert "1 file below the per-file minimum" in failed.stderr
    assert "pkg/app.py 71% is below its minimum of 90% (short by 19 points)" in failed.stderr
    (measured / "pyproject.toml").write_text('[tool.ccov]\nfail_under_file = "high"\n')
    assert ccov("report", cwd=measured).returncode == 3


def test_exit_codes_are_distinct(measured):
    assert ccov("report", "--fail-under=99", cwd=measured).returncode == 2
    assert ccov("report", "--bogus", cwd=measured).returncode == 3
    assert ccov("report", "--data-file=missing", cwd=measured).returncode == 1
