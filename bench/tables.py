"""Put the tables bench/ wrote (results/<name>.md) into docs/performance.md.

Each generated block there sits between `<!-- bench: NAME -->` and
`<!-- end bench -->`, where NAME is a file of results/ without `.md`
(`3.12.1`, `branch-study-3.13.0`).  `bench/run.py` refreshes the blocks
after every run; `python bench/tables.py` does it by hand.  The prose
around the blocks is written by people; the tables never are, so they
cannot drift from the measurements (tests/test_docs.py checks this).
"""

import json
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "performance.md"
BEGIN = "<!-- bench: "
END = "<!-- end bench -->"
BLOCK = re.compile(r"(<!-- bench: (?P<name>[\w.-]+) -->\n).*?(?=<!-- end bench -->)", re.S)


def fill(text: str, results: Path) -> str:
    """`text` with every generated block replaced by its results file (the
    block `targets` by the targets table, computed from every Python's JSON)."""
    def table(match: re.Match) -> str:
        name = match.group("name")
        made = targets(results) if name == "targets" else (results / f"{name}.md").read_text(encoding="utf-8")
        return match.group(1) + made.strip() + "\n"
    return BLOCK.sub(table, text)


def _overhead(values: list, base: list) -> float:
    return statistics.median(values) / statistics.median(base) - 1


def _median_overhead(section: dict, tool: str) -> float | None:
    ratios = [_overhead(by_tool[tool], by_tool["none"]) for by_tool in section["times"].values() if tool in by_tool]
    return statistics.median(ratios) if ratios else None


def _cell(value: float | None, limit: float, unit: str = "%", extra: str = "") -> str:
    if value is None:
        return "not measured"
    shown = f"{value * 100:+.1f}%" if unit == "%" else f"+{value:.1f} ms"
    return f"{shown} ({'met' if value <= limit else '**missed**'}){extra}"


def targets(results: Path) -> str:
    """The issues' performance targets against every Python's latest figures."""
    found = {}
    for path in sorted(results.glob("3.*.json"), key=lambda p: [int(n) for n in p.stem.split(".")]):
        found[path.stem] = json.loads(path.read_text(encoding="utf-8"))
    rows = []

    def row(label: str, cells: list[str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cells) + " |")

    line, branch, suite, branch_suite, start, memory = ([] for _ in range(6))
    for figures in found.values():
        perf, branches = figures.get("pyperformance"), figures.get("branches")
        line.append(_cell(_median_overhead(perf, "ccov"), 0.01,
                          extra=f"; coverage.py sysmon {_median_overhead(perf, 'coverage-sysmon') * 100:+.1f}%"
                          if perf else "") if perf else "not measured")
        if branches:
            theirs = "coverage-sysmon-branch" if any("coverage-sysmon-branch" in b for b in branches["times"].values()) \
                else "coverage-ctrace-branch"
            label = "sysmon" if theirs == "coverage-sysmon-branch" else "C tracer"
            branch.append(_cell(_median_overhead(branches, "ccov-branch"), 0.02,
                                extra=f"; coverage.py {label} {_median_overhead(branches, theirs) * 100:+.1f}%"))
        else:
            branch.append("not measured")
        toolz = figures.get("suite")
        if toolz:
            times, rss = toolz["times"], toolz["max_rss_kib"]
            ours, theirs_line = _overhead(times["pytest --ccov"], times["pytest"]), _overhead(times["pytest --cov"], times["pytest"])
            suite.append(_cell(ours, 0.03, extra=f"; pytest-cov {theirs_line * 100:+.1f}%"))
            if "pytest --ccov --ccov-branch" in times:
                ours_b = _overhead(times["pytest --ccov --ccov-branch"], times["pytest"])
                theirs_b = _overhead(times["pytest --cov --cov-branch"], times["pytest"])
                branch_suite.append(_cell(ours_b, 0.08, extra=f"; pytest-cov {theirs_b * 100:+.1f}%"))
            else:
                branch_suite.append("not measured")
            memory.append(_cell(_overhead(rss["pytest --ccov"], rss["pytest"]), 0.05))
        else:
            suite.append("not measured")
            branch_suite.append("not measured")
            memory.append("not measured")
        startup = figures.get("startup")
        if startup:
            delta = (statistics.median(startup["times"]["ccov run"]) - statistics.median(startup["times"]["python"])) * 1000
            how = "" if startup.get("install") == "wheel" else " (editable install)"
            start.append(_cell(delta, 8, unit="ms", extra=how))
        else:
            start.append("not measured")
    rows.append("| target | " + " | ".join(found) + " |")
    rows.append("| --- |" + " --- |" * len(found))
    row("pyperformance median, line mode: at most +1%", line)
    row("pyperformance median, branch mode: at most +2%", branch)
    row("toolz suite, `pytest --ccov`: at most +3%", suite)
    row("toolz suite, `pytest --ccov --ccov-branch`: at most +8%", branch_suite)
    row("`ccov run` start-up: at most +8 ms", start)
    row("peak memory, toolz suite: at most +5%", memory)
    return "\n".join(rows) + "\n"


def update(results: Path = HERE / "results") -> None:
    """Rewrite docs/performance.md's generated blocks from `results`."""
    before = DOC.read_text(encoding="utf-8")
    after = fill(before, results)
    if after != before:
        DOC.write_text(after, encoding="utf-8")
        print(f"bench: updated {DOC}")


def main() -> None:
    update(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results")


if __name__ == "__main__":
    main()
