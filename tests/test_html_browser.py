"""The HTML report in a real browser (headless Chromium, which .ci/run
installs): open the index from disk, sort, filter, hide covered files, use
the directory view, follow a link, navigate by keyboard, and check what is
shown.  Screenshots of the index and a file page, light and dark, are saved
for review in $CCOV_SCREENSHOT_DIR (default: screenshots/ in the checkout)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from browser import Browser, find_chromium
from conftest import ccov

CHROMIUM = find_chromium()
if CHROMIUM is None:
    if os.environ.get("CCOV_REQUIRE_BROWSER"):
        raise RuntimeError("CCOV_REQUIRE_BROWSER is set but no Chromium was found")
    pytest.skip("no Chromium (apt-get install chromium; .ci/run does)", allow_module_level=True)
pytest.importorskip("websocket")

SCREENSHOTS = Path(os.environ.get("CCOV_SCREENSHOT_DIR", Path(__file__).parent.parent / "screenshots"))

FILES = {
    "app/__init__.py": "",
    "app/core.py": (
        "def parse(text):\n"
        "    if not text:\n"
        "        raise ValueError('empty')\n"
        "    words = text.split()\n"
        "    return words\n\n\n"
        "def count(words):\n"
        "    total = 0\n"
        "    for word in words:\n"
        "        total += 1\n"
        "    return total\n\n\n"
        "def unused_one():\n"
        "    return 1\n\n\n"
        "def also_unused():\n"
        "    value = 2\n"
        "    return value\n"
    ),
    "app/util/__init__.py": "",
    "app/util/text.py": (
        "def shout(s):\n    return s.upper()  # loud\n\n\n"
        "def whisper(s):\n    return s.lower()\n\n\n"
        "MARKUP = '''</code><img src=x onerror=\"document.title='pwned'\">\n  & more'''\n"
    ),

    "main.py": (
        "from app.core import count, parse\n"
        "from app.util.text import shout\n\n"
        "print(count(parse('a b c')), shout('x'))\n"
    ),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("browser")
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text)
    assert ccov("run", "main.py", cwd=project).returncode == 0
    assert ccov("html", "--title", "Browser test", cwd=project).returncode == 0
    return project / "htmlcov"


@pytest.fixture(scope="module")
def browser():
    driver = Browser(CHROMIUM)
    yield driver
    driver.close()


VISIBLE_NAMES = (
    "Array.from(document.querySelectorAll('#files tbody tr')).filter(r => r.offsetParent !== null)"
    ".map(r => r.dataset.name)"
)


def type_filter(browser, text: str) -> None:
    browser.evaluate(
        f"{{ const box = document.getElementById('filter'); box.value = {text!r}; box.dispatchEvent(new Event('input')); }}"
    )


def test_index_sort_filter_hide_and_tree(report, browser):
    browser.open((report / "index.html").as_uri())
    browser.evaluate("localStorage.clear()")
    browser.open((report / "index.html").as_uri())
    names = browser.evaluate(VISIBLE_NAMES)
    assert names == sorted(FILES)

    # Sort by Missing: numbers sort descending first, so the worst file leads.
    browser.click("th[data-sort=miss] button")
    misses = browser.evaluate(
        "Array.from(document.querySelectorAll('#files tbody tr')).map(r => +r.dataset.miss)"
    )
    assert misses == sorted(misses, reverse=True) and misses[0] > 0
    assert browser.evaluate("document.querySelector('th[data-sort=miss]').getAttribute('aria-sort')") == "descending"
    browser.click("th[data-sort=miss] button")
    assert browser.evaluate("document.querySelector('th[data-sort=miss]').getAttribute('aria-sort')") == "ascending"

    # The sort survives a reload (and so a visit to a file page).
    browser.open((report / "index.html").as_uri())
    assert browser.evaluate("document.querySelector('th[data-sort=miss]').getAttribute('aria-sort')") == "ascending"

    # Filter.
    type_filter(browser, "util")
    assert sorted(browser.evaluate(VISIBLE_NAMES)) == ["app/util/__init__.py", "app/util/text.py"]
    type_filter(browser, "nothing-like-this")
    assert browser.evaluate(VISIBLE_NAMES) == []
    assert browser.evaluate("document.getElementById('no-match').hidden") is False
    type_filter(browser, "")

    # Hide fully covered files, by keyboard (h).
    browser.press("h")
    shown = browser.evaluate(VISIBLE_NAMES)
    assert "app/__init__.py" not in shown and "app/core.py" in shown
    browser.press("h")

    # The directory view, with totals per directory, and collapsing.
    browser.press("t")
    assert browser.evaluate("document.getElementById('tree').hidden") is False
    directories = browser.evaluate(
        "Array.from(document.querySelectorAll('#tree tr.dir')).map(r => [r.dataset.path, r.cells[1].textContent])"
    )
    statements = {d: int(n) for d, n in directories}
    assert set(statements) == {"app/", "app/util/"}
    assert statements["app/"] > statements["app/util/"] > 0
    browser.click("#tree tr.dir[data-path='app/util/'] .twisty")
    hidden_text_row = browser.evaluate(
        "document.querySelector(\"#tree tr[data-name='app/util/text.py']\").offsetParent === null"
    )
    assert hidden_text_row is True
    browser.click("#tree tr.dir[data-path='app/util/'] .twisty")
    browser.press("t")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        browser.color_scheme(scheme)
        browser.screenshot(str(SCREENSHOTS / f"index-{scheme}.png"))
    browser.color_scheme("light")


def test_file_page_links_keys_and_toggles(report, browser):
    browser.open((report / "index.html").as_uri())
    browser.evaluate("localStorage.clear()")
    browser.open((report / "index.html").as_uri())
    browser.click("#files tr[data-name='app/core.py'] a", navigates=True)
    assert browser.evaluate("document.querySelector('h1').textContent") == "app/core.py"
    missing = browser.evaluate("Array.from(document.querySelectorAll('.line.mis')).map(l => +l.id.slice(1))")
    assert missing == [3, 16, 20, 21]  # three missing chunks: 3, 16, 20-21

    # j / k walk the missing chunks.
    visited = []
    for key in ("j", "j", "j", "k"):
        browser.press(key)
        visited.append(browser.evaluate("+document.querySelector('.line.current').id.slice(1)"))
    assert visited == [3, 16, 20, 16]

    # The toggles hide a kind's colour and marker, and are remembered.
    browser.click(".controls input[data-kind=run]")
    assert browser.evaluate("document.body.classList.contains('hide-run')") is True
    assert browser.evaluate(
        "getComputedStyle(document.querySelector('.line.run .m')).visibility"
    ) == "hidden"
    browser.click(".controls input[data-kind=run]")

    # ? shows the help; Escape hides it.
    browser.press("?")
    assert browser.evaluate("document.getElementById('help').hidden") is False
    browser.press("Escape")
    assert browser.evaluate("document.getElementById('help').hidden") is True

    # Permalinks: every line number links to itself.
    assert browser.evaluate("document.querySelector('#L5 a.ln').getAttribute('href')") == "#L5"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.evaluate("document.querySelectorAll('.line.current').forEach(l => l.classList.remove('current')); "
                     "window.scrollTo(0, 0)")
    for scheme in ("light", "dark"):
        browser.color_scheme(scheme)
        browser.screenshot(str(SCREENSHOTS / f"file-{scheme}.png"))
    browser.color_scheme("light")

    # Printed: no controls or navigation, the markers stay.
    browser.media("print")
    assert browser.evaluate("getComputedStyle(document.querySelector('.controls')).display") == "none"
    assert browser.evaluate("getComputedStyle(document.querySelector('nav')).display") == "none"
    assert browser.evaluate("getComputedStyle(document.querySelector('.line.mis .m')).visibility") == "visible"
    browser.media("")

    # n and p follow the index's order; u goes back to the index.
    browser.press("n", navigates=True)
    assert browser.evaluate("document.querySelector('h1').textContent") == "app/util/__init__.py"
    browser.press("p", navigates=True)
    assert browser.evaluate("document.querySelector('h1').textContent") == "app/core.py"
    browser.press("u", navigates=True)
    assert browser.evaluate("document.body.dataset.page") == "index"


def test_syntax_colours_and_no_markup_from_the_source(report, browser):
    from ccov.reports.html import page_name

    browser.open((report / page_name("app/util/text.py")).as_uri())
    spans = browser.evaluate(
        "Array.from(document.querySelectorAll('.line code span')).map(s => [s.className, s.textContent])"
    )
    assert ["k", "def"] in spans and ["k", "return"] in spans and ["c", "# loud"] in spans
    # The string across two lines is coloured on both, and stays text.
    strings = [text for css, text in spans if css == "s"]
    assert "'''</code><img src=x onerror=\"document.title='pwned'\">" in strings and "  & more'''" in strings
    assert browser.evaluate("document.querySelectorAll('img').length") == 0
    assert browser.evaluate("document.title") != "pwned"
    lines = browser.evaluate("Array.from(document.querySelectorAll('.line code')).map(c => c.textContent)")
    assert lines == FILES["app/util/text.py"].splitlines()


def test_next_file_follows_the_sort_chosen_on_the_index(report, browser):
    browser.open((report / "index.html").as_uri())
    browser.evaluate("localStorage.clear()")
    browser.open((report / "index.html").as_uri())
    browser.click("th[data-sort=cover] button")  # worst coverage first
    order = browser.evaluate("Array.from(document.querySelectorAll('#files tbody tr')).map(r => r.dataset.name)")
    browser.click(f"#files tr[data-name='{order[0]}'] a", navigates=True)
    browser.press("n", navigates=True)
    assert browser.evaluate("document.querySelector('h1').textContent") == order[1]


@pytest.fixture(scope="module")
def report_with_contexts(tmp_path_factory) -> Path:
    import shutil
    import sys

    from conftest import SAMPLE_PROJECT, run

    project = tmp_path_factory.mktemp("contexts") / "sample"
    shutil.copytree(SAMPLE_PROJECT, project)
    done = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ccov=calc", "--ccov-context=test",
                "--ccov-report=html"], project)
    assert done.returncode == 0, done.stdout + done.stderr
    return project / "htmlcov"


def test_who_ran_a_line(report_with_contexts, browser):
    from ccov.reports.html import page_name

    browser.open((report_with_contexts / page_name("calc/ops.py")).as_uri())
    assert browser.evaluate("document.querySelector('#L9 button.t').textContent") == "2"
    browser.click("#L9 button.t")
    shown = browser.evaluate("Array.from(document.querySelectorAll('#who li')).map(li => li.textContent)")
    assert sorted(shown) == ["tests/test_ops.py::test_divide_by_zero|run", "tests/test_ops.py::test_divide|run"]
    assert browser.evaluate("document.getElementById('who').hidden") is False
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.screenshot(str(SCREENSHOTS / "file-contexts-light.png"))
    browser.press("Escape")
    assert browser.evaluate("document.getElementById('who').hidden") is True
    # Lines run outside any test say so.
    browser.click("#L1 button.t")
    assert browser.evaluate("document.querySelector('#who li').textContent") == "(outside any test)"


def test_a_test_id_with_script_markup_leaves_the_page_whole(tmp_path, browser):
    """`<!--<script>` in a test id made the parser treat the rest of the page
    as script: the source listing disappeared.  In the browser, every source
    line is there and the names read back as written."""
    from ccov.data import datafile, linebits
    from ccov.reports.html import page_name

    (tmp_path / "mod.py").write_text("X = 1\nY = 2\nZ = 3\n")
    data = datafile.CoverageData()
    names = ["test_x[<!--<script>]|run", "test_y[</script><!--]|run"]
    for name in names:
        data.add_lines(str(tmp_path / "mod.py"), linebits.from_lines([1, 2, 3]), context=name)
    datafile.write(str(tmp_path / ".ccov"), data)
    assert ccov("html", cwd=tmp_path).returncode == 0
    browser.open((tmp_path / "htmlcov" / page_name("mod.py")).as_uri())
    assert browser.evaluate("document.querySelectorAll('div.line').length") == 3
    shown = browser.evaluate("JSON.parse(document.getElementById('contexts').textContent)")
    assert sorted(shown) == sorted(names)


def test_a_permalink_shows_its_line_below_the_sticky_header(tmp_path, browser):
    """Opening `page.html#L250`, or following a link to another line, puts
    the line in view below the header that stays at the top, not under it."""
    (tmp_path / "long.py").write_text("".join(f"x{i} = {i}\n" for i in range(1, 401)))
    assert ccov("run", "long.py", cwd=tmp_path).returncode == 0
    assert ccov("html", cwd=tmp_path).returncode == 0
    browser.open((tmp_path / "htmlcov" / "index.html").as_uri())
    page = browser.evaluate("document.querySelector(\"#files tr[data-name='long.py'] a\").href")
    clear_of_header = (
        "(() => { const line = document.getElementById('L{n}').getBoundingClientRect();"
        " const header = document.querySelector('header').getBoundingClientRect();"
        " return header.bottom > 0 && line.top >= header.bottom && line.bottom <= window.innerHeight; })()"
    )
    browser.open(page + "#L250")
    assert browser.evaluate(clear_of_header.replace("{n}", "250")) is True
    browser.evaluate("location.hash = '#L120'")
    assert browser.evaluate(clear_of_header.replace("{n}", "120")) is True


def test_the_directory_view_shows_only_directories_the_filter_keeps_files_in(report, browser):
    browser.open((report / "index.html").as_uri())
    browser.evaluate("localStorage.clear()")
    browser.open((report / "index.html").as_uri())
    browser.press("t")
    visible_rows = ("Array.from(document.querySelectorAll('#tree tbody tr')).filter(r => r.offsetParent !== null)"
                    ".map(r => r.dataset.path || r.dataset.name)")
    type_filter(browser, "main")
    assert browser.evaluate(visible_rows) == ["main.py"]
    type_filter(browser, "text")
    assert browser.evaluate(visible_rows) == ["app/", "app/util/", "app/util/text.py"]
    type_filter(browser, "")
    browser.press("h")  # hiding covered files: app/util/__init__.py (empty) goes, app/util/ stays for text.py
    assert "app/util/" in browser.evaluate(visible_rows) and "app/util/__init__.py" not in browser.evaluate(visible_rows)
    browser.press("h")
    browser.press("t")


def test_continuation_lines_and_the_map_of_missed_lines(tmp_path, browser):
    """A multi-line statement's continuation lines are coloured and marked as
    the statement; beside the scrollbar, a mark for each missed line at its
    height in the file, linking to it."""
    (tmp_path / "prog.py").write_text(
        "def f(flag):\n"                       # 1
        "    total = sum([\n"                  # 2  run, continued on 3-4
        "        1,\n"
        "        2])\n"
        "    if flag:\n"                       # 5
        "        total = max(\n"               # 6  missing, continued on 7-8
        "            total,\n"
        "            3)\n"
        "    return total\n"                   # 9
        + "".join(f"X{i} = {i}\n" for i in range(10, 200))
        + "f(False)\n"
    )
    assert ccov("run", "prog.py", cwd=tmp_path).returncode == 0
    assert ccov("html", cwd=tmp_path).returncode == 0
    browser.open((tmp_path / "htmlcov" / "index.html").as_uri())
    browser.open(browser.evaluate("document.querySelector(\"#files tr[data-name='prog.py'] a\").href"))
    classes = browser.evaluate("Object.fromEntries([2, 3, 4, 6, 7, 8, 9].map(n => "
                               "[n, document.getElementById('L' + n).className]))")
    assert classes == {"2": "line run", "3": "line run cont", "4": "line run cont", "6": "line mis",
                       "7": "line mis cont", "8": "line mis cont", "9": "line run"}
    background = "getComputedStyle(document.getElementById('L{n}')).backgroundColor"
    assert browser.evaluate(background.format(n=7)) == browser.evaluate(background.format(n=6))
    assert browser.evaluate("document.querySelector('#L7 .m').textContent") == \
        browser.evaluate("document.querySelector('#L6 .m').textContent") != ""
    # The map: one mark, for line 6 (the statement, not its continuations), near the top.
    marks = browser.evaluate("Array.from(document.querySelectorAll('#map a')).map(a => "
                             "[a.getAttribute('href'), parseFloat(a.style.top)])")
    assert [href for href, _ in marks] == ["#L6"] and 0 < marks[0][1] < 5
    assert browser.evaluate("getComputedStyle(document.getElementById('map')).position") == "fixed"
    browser.click("#map a")
    assert browser.evaluate("location.hash") == "#L6"
    browser.media("print")
    assert browser.evaluate("getComputedStyle(document.getElementById('map')).display") == "none"
    browser.media("")


def test_statement_and_branch_percentages_apart_in_branch_mode(tmp_path, browser):
    (tmp_path / "half.py").write_text("def f(x):\n    if x:\n        return 1\n    return 2\n\n\nf(1)\n")
    (tmp_path / "full.py").write_text("def g(x):\n    if x:\n        return 1\n    return 2\n\n\ng(1)\ng(0)\n")
    (tmp_path / "main.py").write_text("import half, full\n")
    assert ccov("run", "--branch", "main.py", cwd=tmp_path).returncode == 0
    assert ccov("html", cwd=tmp_path).returncode == 0
    browser.open((tmp_path / "htmlcov" / "index.html").as_uri())
    browser.evaluate("localStorage.clear()")
    browser.open((tmp_path / "htmlcov" / "index.html").as_uri())
    heads = browser.evaluate("Array.from(document.querySelectorAll('#files thead th')).map(th => th.textContent)")
    assert heads[-3:] == ["Statements %", "Branches %", "Coverage"]
    cells = browser.evaluate("Array.from(document.querySelector(\"#files tr[data-name='half.py']\").cells)"
                             ".slice(-3).map(td => td.textContent)")
    assert cells == ["80%", "50%", "71%"]  # 4 of 5 statements, 1 of 2 arcs, (4 + 1) of (5 + 2)
    browser.click("th[data-sort=brpc] button")  # numbers sort descending first
    assert browser.evaluate(VISIBLE_NAMES)[:2] == ["full.py", "main.py"]
    browser.click("th[data-sort=brpc] button")
    assert browser.evaluate(VISIBLE_NAMES)[0] == "half.py"


def test_function_and_class_indexes(report, browser):
    """Every function and class of the project with its coverage, as
    coverage.py's JSON counts it, linking to its line; sortable and
    filterable as the file index, with sort and filter of their own."""
    browser.open((report / "index.html").as_uri())
    browser.evaluate("localStorage.clear()")
    browser.open((report / "index.html").as_uri())
    browser.click("nav.indexes a[href='functions.html']", navigates=True)
    assert browser.evaluate("document.body.dataset.page") == "regions"
    rows = browser.evaluate("Array.from(document.querySelectorAll('#files tbody tr')).map(r => "
                            "[r.querySelector('a').textContent, r.dataset.stmts, r.dataset.miss])")
    functions = {name: (int(stmts), int(miss)) for name, stmts, miss in rows if not name.startswith("(")}
    assert functions == {"parse": (4, 1), "count": (4, 0), "unused_one": (1, 1), "also_unused": (2, 2),
                         "shout": (1, 0), "whisper": (1, 1)}
    # With the code outside functions, the rows add up to the project's totals.
    assert sum(int(stmts) for _, stmts, _ in rows) == int(browser.evaluate(
        "document.querySelector('tfoot td.num').textContent"))
    browser.click("th[data-sort=miss] button")
    assert browser.evaluate("document.querySelector('#files tbody tr a').textContent") in ("also_unused", "(no function)")
    type_filter(browser, "unused")
    shown = browser.evaluate("Array.from(document.querySelectorAll('#files tbody tr')).filter(r => r.offsetParent)"
                             ".map(r => r.querySelector('a').textContent)")
    assert sorted(shown) == ["also_unused", "unused_one"]
    browser.click("#files tbody tr:not(.hidden) a[href$='#L15']", navigates=True)
    assert browser.evaluate("location.hash") == "#L15"
    assert browser.evaluate("document.querySelector('h1').textContent") == "app/core.py"
    # The file index kept its own filter and sort.
    browser.open((report / "index.html").as_uri())
    assert browser.evaluate("document.getElementById('filter').value") == ""
    assert browser.evaluate(VISIBLE_NAMES) == sorted(FILES)
    browser.click("nav.indexes a[href='classes.html']", navigates=True)
    assert browser.evaluate("Array.from(document.querySelectorAll('#files tbody tr a')).map(a => a.textContent)") \
        == ["(no class)"] * 3  # one per file with statements; empty files have none
