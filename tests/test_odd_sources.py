"""Source files as they come: encodings with and without a coding cookie, a
BOM, CRLF, tabs, form feeds, null bytes, 100,000 lines.  ccov must give
coverage.py's numbers, or, for a file Python cannot compile, one warning and
the rest of the report."""

from __future__ import annotations

from conftest import ccov, ccov_files, coverage_json
from test_oracle import compare

BODY = "def f(x):\n\tif x:\n\t\treturn 'é'\n\treturn 'other'\n\nvalue = f(1)\n"

ODD_FILES = {
    "latin1_cookie.py": b"# -*- coding: latin-1 -*-\n" + BODY.encode("latin-1"),
    "utf8_bom.py": b"\xef\xbb\xbf" + BODY.encode(),
    "crlf.py": BODY.replace("\n", "\r\n").encode(),
    "cr_only.py": BODY.replace("\n", "\r").encode(),
    "form_feed.py": BODY.replace("\nvalue", "\n\x0c\nvalue").encode(),
    "tabs_and_spaces.py": b"def g():\n\tif True:\n\t\ty = 1\n\treturn 2\n\ng()\n",
    "long_lines.py": ("x = [\n" + "    1,\n" * 5000 + "]\n" + "if x:\n    pass\n").encode(),
}


def make_program(directory):
    for name, content in ODD_FILES.items():
        (directory / name).write_bytes(content)
    # 1,011 classes of 49 two-line methods.  (Not 50,000 module-level
    # functions: CPython 3.12/3.13 find the line of each LINE event in a code
    # object far below its first line by walking the line table, so a huge
    # module body is quadratic under any sys.monitoring tool, coverage.py too.)
    method = "    def m{m}(self):\n        return {m}\n"
    classes = "".join(f"class C{c}:\n" + "".join(method.format(m=m) for m in range(49)) for c in range(1011))
    (directory / "hundred_thousand.py").write_text(classes + "C7().m3()\n")
    imports = "\n".join(f"import {name[:-3]}" for name in [*ODD_FILES, "hundred_thousand.py"])
    (directory / "main.py").write_text(imports + "\n")


def test_odd_sources_match_coverage_py(project):
    make_program(project)
    assert len((project / "hundred_thousand.py").read_text().splitlines()) == 100_090
    ran = ccov("run", "main.py", cwd=project)
    assert ran.returncode == 0, ran.stderr
    compare(ccov_files(project), coverage_json(project, ["main.py"]))


def test_sources_python_cannot_compile_are_skipped_with_a_warning(project):
    (project / "good.py").write_text("x = 1\n")
    (project / "main.py").write_text(
        "import good\n"
        "for name in ('nulls', 'undecodable', 'no_cookie_latin1'):\n"
        "    try:\n        __import__(name)\n    except Exception:\n        pass\n"
    )
    (project / "nulls.py").write_bytes(b"x = 1\n\x00\n")
    (project / "undecodable.py").write_bytes(b"# coding: utf-8\ns = '\xff\xfe'\n")
    (project / "no_cookie_latin1.py").write_bytes(b"s = '\xe9'\n")
    # --source makes the three (never importable) files part of the report.
    assert ccov("run", "--source=.", "main.py", cwd=project).returncode == 0
    report = ccov("report", cwd=project)
    assert report.returncode == 0
    assert "good.py" in report.stdout and "main.py" in report.stdout
    warnings = report.stderr.splitlines()
    assert len(warnings) == 3 and all(w.startswith("ccov: warning: ") for w in warnings), report.stderr
    for name in ("nulls.py", "undecodable.py", "no_cookie_latin1.py"):
        assert name not in report.stdout and any(name in w for w in warnings), name
