"""A crafted data file or configuration cannot make ccov write outside its
output, inject markup into a report, or run code."""

from __future__ import annotations

import json
import os
import re
from xml.etree import ElementTree

from conftest import ccov

HOSTILE_NAMES = [
    "<img src=x onerror=alert(1)>.py",
    "</script><script>alert(1)</script>.py",
    "a|b*c_[d](e)`f`.py",
    "quote\"and'amp&.py",
]


def snapshot(root) -> set[str]:
    return {os.path.relpath(os.path.join(d, f), root) for d, _, files in os.walk(root) for f in files}


def test_hostile_file_names_are_text_in_every_report(tmp_path):
    from ccov.data import datafile, linebits

    project = tmp_path / "project"
    project.mkdir()
    data = datafile.CoverageData()
    for name in HOSTILE_NAMES:
        (project / name).parent.mkdir(parents=True, exist_ok=True)  # "</" makes directories
        (project / name).write_text("x = 1\ny = 2\n")
        data.add_lines(str(project / name), linebits.from_lines([1]))
    # Names that climb out of the project, or point anywhere at all.
    data.add_lines(str(project / "sub" / ".." / ".." / "outside.py"), linebits.from_lines([1]))
    data.add_lines("../../../../etc/passwd", linebits.from_lines([1]))
    data.add_lines("/etc/hostname", linebits.from_lines([1]))
    (tmp_path / "outside.py").write_text("z = 3\n")
    datafile.write(str(project / ".ccov"), data)
    before = snapshot(tmp_path)

    outputs = {"lcov": "out/lcov.info", "xml": "out/coverage.xml", "json": "out/coverage.json"}
    for command, target in outputs.items():
        result = ccov(command, "-o", target, cwd=project)
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr
    markdown = ccov("report", "--format", "markdown", cwd=project)
    assert markdown.returncode == 0
    # Only the named outputs (and the analysis cache) were written, all inside the project.
    written = {p for p in snapshot(tmp_path) - before if not p.startswith("project/.ccov_cache/")}
    assert written == {os.path.join("project", t) for t in outputs.values()}

    xml = ElementTree.parse(project / outputs["xml"]).getroot()
    filenames = {c.get("filename") for c in xml.iter("class")}
    assert set(HOSTILE_NAMES) <= filenames
    assert not list(xml.iter("img")) and not list(xml.iter("script"))
    reported = json.loads((project / outputs["json"]).read_text())["files"]
    assert set(HOSTILE_NAMES) <= set(reported)
    lcov = (project / outputs["lcov"]).read_text()
    assert all(f"SF:{name}" in lcov for name in HOSTILE_NAMES)
    for line in markdown.stdout.splitlines():
        # Every < > | of a name is escaped: GitHub shows it as text.
        assert not re.search(r"(?<!\\)[<>]", line), line
        if line.startswith("|"):  # a | in a name does not add a column
            assert len(re.findall(r"(?<!\\)\|", line)) == 5, line
    assert "\\<img src=x onerror=alert(1)\\>.py" in markdown.stdout


def test_configuration_values_are_never_evaluated(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    payload = "__import__('os').system('touch pwned')"
    (project / "pyproject.toml").write_text(
        "[tool.ccov]\n"
        f"source = [\"{payload}\"]\n"
        f"omit = [\"{payload}\"]\n"
        f"data_file = \".ccov-{{__import__('os').getpid()}}\"\n"
        f"exclude_also = [\"{payload}\"]\n"
        f"[tool.ccov.paths]\nsource = [\"src/\", \"{payload}\"]\n"
    )
    (project / "prog.py").write_text("x = 1\n")
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert not (project / "pwned").exists()
    assert (project / ".ccov-{__import__('os').getpid()}").exists()
