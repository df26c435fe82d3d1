"""The documentation holds together: every relative link and anchor in the
README and docs/ resolves, the README stays a short read, and the benchmark
tables in docs/performance.md are the ones bench/ generated, not copies."""

import importlib
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def prose_lines(path):
    """The lines of a Markdown file outside fenced code blocks."""
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            yield line


def anchors(path):
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to
    hyphens, a repeated one numbered."""
    seen: dict[str, int] = {}
    for line in prose_lines(path):
        match = re.match(r"#{1,6} (.*)", line)
        if not match:
            continue
        slug = re.sub(r"[^\w\- ]", "", match.group(1).strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        yield slug if count == 0 else f"{slug}-{count}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_and_anchor_resolves(doc):
    broken = []
    for line in prose_lines(doc):
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto:
            name, _, anchor = target.partition("#")
            linked = (doc.parent / name).resolve() if name else doc
            if not linked.exists():
                broken.append(f"{target}: no file {linked}")
            elif anchor and anchor not in set(anchors(linked)):
                broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert broken == []


def test_the_readme_example_prints_what_the_readme_shows(tmp_path):
    """The README's example block: its commands are `./dev example`'s, and
    its output is what they print (the table is ccov's own, so a change in
    the report shows here)."""
    import shutil
    import subprocess

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("$ cd examples && ", 1)[1].split("```", 1)[0].splitlines()
    command, shown = block[0], [line.rstrip() for line in block[1:] if line.strip()]
    assert command == "../.venv-3.12/bin/ccov run linecount.py sample.py && ../.venv-3.12/bin/ccov report --show-missing"
    dev = (ROOT / "dev").read_text()
    assert '"../$venv/bin/ccov" run linecount.py sample.py' in dev and '"../$venv/bin/ccov" report --show-missing' in dev
    examples = shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("htmlcov"))
    printed = []
    for args in (["run", "linecount.py", "sample.py"], ["report", "--show-missing"]):
        done = subprocess.run([sys.executable, "-m", "ccov", *args], cwd=examples, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        printed += [line.rstrip() for line in done.stdout.splitlines() if line.strip()]
    assert printed == shown


def test_readme_is_a_short_read():
    # The README is for a new user's first minutes; the rest lives in docs/.
    assert len((ROOT / "README.md").read_bytes()) < 25_000


def _bench_module(name):
    """bench/<name>.py, imported; skips where bench/ is absent (the sdist)."""
    if not (ROOT / "bench").is_dir():
        pytest.skip("bench/ is not in the sdist")
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_benchmark_tables_are_generated_not_copied():
    tables = _bench_module("tables")
    written = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    regenerated = tables.fill(written, ROOT / "bench" / "results")
    assert regenerated == written, "run `python bench/tables.py` after a bench run"
    assert tables.BEGIN in written


def test_each_pythons_bench_tables_are_made_from_its_results():
    run = _bench_module("run")
    for results in sorted((ROOT / "bench" / "results").glob("3.*.json")):
        made = run.markdown(json.loads(results.read_text(encoding="utf-8"))) + "\n"
        assert made == results.with_suffix(".md").read_text(encoding="utf-8"), \
            f"run `python bench/run.py --tables` ({results.name})"


def test_slipcover_figures_not_checked_as_measured_are_shown_void():
    # Before the bench checked what each tool measured, SlipCover timed a
    # program it did not measure: such figures must not read as numbers.
    run = _bench_module("run")
    times = {"nbody": {"none": [1.0], "ccov": [1.01], "slipcover": [1.02]}}
    unchecked = run._ratio_table({"times": times})
    checked = run._ratio_table({"times": times, "measured_checked": True})
    assert "| nbody | +1.0% | void |" in unchecked
    assert "| **median** | **+1.0%** | **void** |" in unchecked
    assert "| nbody | +1.0% | +2.0% |" in checked
