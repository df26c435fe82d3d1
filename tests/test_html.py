"""The HTML report's content: counts, the class and marker of every line,
escaping, pages for files that cannot be shown, re-runs that rewrite only
what changed.  (tests/test_html_browser.py drives it in Chromium.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from conftest import ccov, ccov_files

PROGRAM = '''\
import os  # a comment

def used(x):
    """A docstring."""
    if x > 1:
        return "big"
    return 'small'

def unused():  # pragma: no cover
    return 1

def never():
    return 0xFF

used(2)
if os.sep == "?":
    never()
'''


class Page(HTMLParser):
    """The parts of a report page the tests look at."""

    def __init__(self, text: str):
        super().__init__()
        self.lines: dict[int, dict] = {}
        self.rows: list[dict] = []
        self.links: list[str] = []
        self.scripts: list[str] = []
        self.elements: list[str] = []
        self._line = None
        self._in_marker = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append(tag)
        classes = (attrs.get("class") or "").split()
        if tag == "div" and "line" in classes:
            self._line = int(attrs["id"][1:])
            self.lines[self._line] = {"kind": next((c for c in classes if c != "line"), ""), "marker": "", "text": ""}
        elif tag == "span" and "m" in classes and self._line is not None:
            self._in_marker = True
        elif tag == "tr" and "data-name" in attrs:
            self.rows.append(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in ("script", "link"):
            self.scripts.append(attrs.get("src") or attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_marker = False
        if tag == "div":
            self._line = None

    def handle_data(self, data):
        if self._line is not None:
            key = "marker" if self._in_marker else "text"
            self.lines[self._line][key] += data


@pytest.fixture
def report(project):
    (project / "prog.py").write_text(PROGRAM)
    assert ccov("run", "prog.py", cwd=project).returncode == 0
    result = ccov("html", cwd=project)
    assert result.returncode == 0, result.stderr
    return project


def page_for(directory, name):
    from ccov.reports.html import page_name

    return Page((directory / page_name(name)).read_text())


def test_every_line_has_the_class_and_marker_of_the_results_model(report):
    entry = ccov_files(report)["prog.py"]
    page = page_for(report / "htmlcov", "prog.py")
    assert len(page.lines) == len(PROGRAM.splitlines())
    for number, line in page.lines.items():
        source_line = PROGRAM.splitlines()[number - 1]
        assert line["text"].lstrip("0123456789") == source_line, number  # text after the line number
        if number in entry.excluded:
            assert (line["kind"], line["marker"]) == ("exc", "\u2212"), number
        elif number in entry.executed:
            assert (line["kind"], line["marker"]) == ("run", "\u2713"), number
        elif number in entry.missing:
            assert (line["kind"], line["marker"]) == ("mis", "\u2717"), number
        else:
            assert (line["kind"], line["marker"]) == ("", ""), number
    assert {n for n, shown in page.lines.items() if shown["kind"] == "mis"} == set(entry.missing)


def test_the_index_counts_are_the_results_models(report):
    entry = ccov_files(report)["prog.py"]
    index = Page((report / "htmlcov" / "index.html").read_text())
    (row,) = [r for r in index.rows if r["class"].startswith("file")][:1]
    assert row["data-name"] == "prog.py"
    assert int(row["data-stmts"]) == entry.n_statements
    assert int(row["data-miss"]) == entry.n_missing
    assert int(row["data-excl"]) == len(entry.excluded)
    assert float(row["data-cover"]) == pytest.approx(entry.percent, abs=1e-3)
    text = (report / "htmlcov" / "index.html").read_text()
    assert f"{round(entry.percent)}%" in text


def test_self_contained_no_network(report):
    for page in (report / "htmlcov").glob("*.html"):
        text = page.read_text()
        assert "http://" not in text and "https://" not in text and "//cdn" not in text
        assert set(Page(text).scripts) <= {"ccov.css", "ccov.js"}
    for asset in ("ccov.css", "ccov.js"):
        text = (report / "htmlcov" / asset).read_text()
        assert "http" not in text.replace("https://", "").replace("http://", "") or "url(" not in text
        assert "@import" not in text and "url(" not in text


def test_names_and_sources_are_escaped(project):
    # (A name that starts with "<" is Python's mark of code with no file: not measured.)
    hostile = "x<img src=x onerror=alert(1)>.py"
    (project / hostile).write_text("s = '</script><script>alert(1)</script>'\n")
    (project / "main.py").write_text(f"import runpy\nrunpy.run_path({hostile!r})\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    assert ccov("html", cwd=project).returncode == 0
    for page in (project / "htmlcov").glob("*.html"):
        parsed = Page(page.read_text())
        assert "img" not in parsed.elements
        assert parsed.elements.count("script") == 1  # ccov.js only
    page = page_for(project / "htmlcov", hostile)
    assert page.lines[1]["text"].endswith("s = '</script><script>alert(1)</script>'")


def test_a_file_that_cannot_be_shown_gets_a_page_saying_why(project):
    (project / "gone.py").write_text("x = 1\n")
    (project / "kept.py").write_text("y = 2\n")
    (project / "main.py").write_text("import gone, kept\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    (project / "gone.py").unlink()
    result = ccov("html", cwd=project)
    assert result.returncode == 0 and "gone.py" in result.stderr
    index = (project / "htmlcov" / "index.html").read_text()
    assert "Not shown" in index and "gone.py" in index
    from ccov.reports.html import page_name

    assert "cannot be shown" in (project / "htmlcov" / page_name("gone.py")).read_text()


def test_a_rerun_rewrites_only_pages_whose_content_changed(project):
    for n in range(4):
        (project / f"m{n}.py").write_text(f"def f():\n    return {n}\n")
    (project / "main.py").write_text("import m0, m1, m2, m3\nm1.f()\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    first = ccov("html", cwd=project)
    assert "(5 pages written, 0 unchanged)" in first.stdout
    stamps = {p.name: p.stat().st_mtime_ns for p in (project / "htmlcov").glob("f_*.html")}
    (project / "main.py").write_text("import m0, m1, m2, m3\nm1.f()\nm2.f()\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    second = ccov("html", cwd=project)
    # main.py and m2.py changed; their neighbours' links did not.
    assert "(2 pages written, 3 unchanged)" in second.stdout
    changed = {p.name for p in (project / "htmlcov").glob("f_*.html") if p.stat().st_mtime_ns != stamps.get(p.name)}
    from ccov.reports.html import page_name

    assert changed == {page_name("main.py"), page_name("m2.py")}


def test_a_change_of_the_no_branch_setting_rewrites_the_page(project):
    """The page cache key was a hand-kept list of fields that missed the
    no-branch lines: a kept page went on showing a line as partial."""
    (project / "prog.py").write_text("def f(x):\n    if x:  # fine\n        return 1\n    return 2\n\n\nf(1)\n")
    assert ccov("run", "--branch", "prog.py", cwd=project).returncode == 0
    from ccov.reports.html import page_name

    page = project / "htmlcov" / page_name("prog.py")
    assert ccov("html", cwd=project).returncode == 0
    assert '<div class="line par" id="L2">' in page.read_text()
    (project / "pyproject.toml").write_text('[tool.ccov]\npartial_branches = ["# fine"]\n')
    assert "(1 page written, 0 unchanged)" in ccov("html", cwd=project).stdout
    assert '<div class="line run" id="L2">' in page.read_text()


def test_context_names_cannot_end_or_hide_the_script_they_sit_in(project):
    """A test id with `<!--<script>` (common in sanitizer suites) made the
    browser read the rest of the page as script: the source listing vanished.
    Every `<` in the embedded names is escaped; the browser test checks the page."""
    from ccov.data import datafile, linebits

    (project / "mod.py").write_text("X = 1\nY = 2\n")
    data = datafile.CoverageData()
    for name in ("t[<!--<script>]|run", "t[</script><b>]|run"):
        data.add_lines(str(project / "mod.py"), linebits.from_lines([1, 2]), context=name)
    datafile.write(str(project / ".ccov"), data)
    assert ccov("html", cwd=project).returncode == 0
    from ccov.reports.html import page_name

    text = (project / "htmlcov" / page_name("mod.py")).read_text()
    embedded = text.split('<script type="application/json" id="contexts">')[1].split("</script>")[0]
    assert "<" not in embedded
    assert sorted(json.loads(embedded)) == sorted(["t[</script><b>]|run", "t[<!--<script>]|run"])


def test_functions_list_and_navigation_links(report):
    from ccov.reports.html import page_name

    page_text = (report / "htmlcov" / page_name("prog.py")).read_text()
    assert re.search(r'<a href="#L3">used</a></td><td class="num">3</td><td class="num">2</td>', page_text)
    assert re.search(r'<a href="#L12">never</a></td><td class="num">1</td><td class="num">0</td>', page_text)
    assert 'id="to-index" href="index.html"' in page_text
    assert 'id="L5"' in page_text and 'href="#L5"' in page_text


def test_unwritable_directory_is_one_line(report):
    (report / "blocked").write_text("a file")
    result = ccov("html", "-d", "blocked/out", cwd=report)
    assert result.returncode == 1
    assert result.stderr.startswith("ccov: error: cannot write the HTML report") and result.stderr.count("\n") == 1


def test_skip_covered_and_title(project):
    (project / "full.py").write_text("a = 1\n")
    (project / "part.py").write_text("if len(''):\n    b = 2\n")
    (project / "main.py").write_text("import full, part\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    assert ccov("html", "--skip-covered", "--title", "My <project>", cwd=project).returncode == 0
    index = (project / "htmlcov" / "index.html").read_text()
    names = [r["data-name"] for r in Page(index).rows if r.get("class", "").startswith("file")]
    assert "part.py" in names and "full.py" not in names
    assert "<title>My &lt;project&gt;</title>" in index
    assert "skipped due to complete coverage" in index
