"""Put the tables bench/ wrote (results/<name>.md) into docs/performance.md.

Each generated block there sits between `<!-- bench: NAME -->` and
`<!-- end bench -->`, where NAME is a file of results/ without `.md`
(`3.12.1`, `branch-study-3.13.0`); `targets`, `suites-callgrind` and
`pyperf-callgrind` are computed from every Python's JSON.  `bench/run.py`
refreshes the blocks after every run; `python bench/tables.py` does it by
hand.  The prose
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

# The start-up figure through the wrapper of the pip bundled with 3.12.1 and
# 3.13.0, which imports re (bench/run.py times it; kept here, which run.py imports).
OLD_PIP = "23.2.1"
OLD_PIP_RUN = f"ccov run, pip {OLD_PIP}'s wrapper"


def fill(text: str, results: Path) -> str:
    """`text` with every generated block replaced by its results file (the
    block `targets` by the targets table, computed from every Python's JSON)."""
    def table(match: re.Match) -> str:
        name = match.group("name")
        computed = {"targets": targets, "suites-callgrind": suites_callgrind, "pyperf-callgrind": pyperf_callgrind}
        made = computed[name](results) if name in computed else (results / f"{name}.md").read_text(encoding="utf-8")
        return match.group(1) + made.strip() + "\n"
    return BLOCK.sub(table, text)


def by_python(results: Path, prefix: str = "") -> list[Path]:
    """results/<prefix>3.*.json, oldest Python first (3.9 before 3.12)."""
    def version(path: Path) -> list[int]:
        return [int(n) for n in path.stem.rsplit("-", 1)[-1].split(".")]
    return sorted(results.glob(f"{prefix}3.*.json"), key=version)


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


def _pyperformance_line(figures: dict) -> str:
    perf = figures.get("pyperformance")
    if not perf:
        return "not measured"
    theirs = _median_overhead(perf, "coverage-sysmon")
    return _cell(_median_overhead(perf, "ccov"), 0.01, extra=f"; coverage.py sysmon {theirs * 100:+.1f}%")


def _pyperformance_branch(figures: dict) -> str:
    branches = figures.get("branches")
    if not branches:
        return "not measured"
    # coverage.py's sysmon core measures branches from 3.14 on; before, its C tracer.
    sysmon = any("coverage-sysmon-branch" in by_tool for by_tool in branches["times"].values())
    theirs, label = ("coverage-sysmon-branch", "sysmon") if sysmon else ("coverage-ctrace-branch", "C tracer")
    return _cell(_median_overhead(branches, "ccov-branch"), 0.02,
                 extra=f"; coverage.py {label} {_median_overhead(branches, theirs) * 100:+.1f}%")


def _toolz(ours: str, theirs: str | None, limit: float, figures: dict, measure: str = "times") -> str:
    """`pytest <ours>` against bare `pytest` on toolz's suite (and `pytest <theirs>` beside it)."""
    suite = figures.get("suite")
    if not suite or f"pytest {ours}" not in suite[measure]:
        return "not measured"
    values = suite[measure]
    extra = f"; pytest-cov {_overhead(values[f'pytest {theirs}'], values['pytest']) * 100:+.1f}%" if theirs else ""
    return _cell(_overhead(values[f"pytest {ours}"], values["pytest"]), limit, extra=extra)


def _verdict(mine: float, cov: float | None, limit: float) -> str:
    """A suite target: met when ccov's overhead is within `limit` and below
    pytest-cov's in the same mode (where pytest-cov's was measured)."""
    return "met" if mine <= limit and (cov is None or mine < cov) else "**missed**"


def _real_suites(ours: str, theirs: str, limit: float, figures: dict) -> str:
    """`pytest <ours>` on each more real suite: met when within `limit` and
    below pytest-cov in the same mode."""
    suites = figures.get("suites")
    if not suites:
        return "not measured"
    cells = []
    for name, values in suites["times"].items():
        mine = _overhead(values[f"pytest {ours}"], values["pytest"])
        cov = _overhead(values[f"pytest {theirs}"], values["pytest"])
        cells.append(f"{name} {mine * 100:+.1f}% ({_verdict(mine, cov, limit)}; pytest-cov {cov * 100:+.1f}%)")
    return "; ".join(cells)


def _counted(ours: str, theirs: str, limit: float, figures: dict) -> str:
    """`pytest <ours>` on each suite by callgrind (bench/suites_callgrind.py):
    met when within `limit` and below pytest-cov in the same mode, where
    pytest-cov was counted (its C tracer, branch mode before 3.14, is not)."""
    counted = figures.get("callgrind")
    if not counted:
        return "not counted"
    cells = []
    for name, entry in counted["suites"].items():
        counts = entry["instructions"]
        mine = counts[f"pytest {ours}"] / counts["pytest"] - 1
        cov = counts[f"pytest {theirs}"] / counts["pytest"] - 1 if f"pytest {theirs}" in counts else None
        against = f"pytest-cov {cov * 100:+.1f}%" if cov is not None else "pytest-cov's C tracer not counted"
        cells.append(f"{name} {mine * 100:+.1f}% ({_verdict(mine, cov, limit)}; {against})")
    return "; ".join(cells)


def _pyperf_counted(mode: str, limit: float, figures: dict) -> str:
    """The median of ccov's overhead in `mode` over the pyperformance
    workloads counted by callgrind (bench/pyperf_callgrind.py)."""
    counted = figures.get("pyperf-callgrind")
    if not counted:
        return "not counted"
    workloads = counted["workloads"].values()
    return _cell(statistics.median(w[mode] for w in workloads), limit, extra=f"; {len(workloads)} workloads counted")


# How far ccov's count may pass SlipCover's on one workload and still be
# noise: bare `python`'s counts of a workload agree run to run within 0.01%.
SLIPCOVER_NOISE = 0.005
# Workloads whose count moves with the heap's layout, with no coverage tool:
# bare `python`'s count of richards' calls takes one of two values, 6.3%
# apart, by what a sitecustomize imported first (3.12.1: nothing, json, or
# email, http.client and argparse, the lower; decimal and fractions, with or
# without json and statistics, the higher).  Any tool that imports something
# can land either way, so the noise there is that step and the usual noise
# (docs/performance.md).
LAYOUT_NOISE = {"richards": 0.063 + SLIPCOVER_NOISE}


def _against_slipcover(figures: dict) -> str:
    """The workloads counted by callgrind that cost more under `ccov run`
    than under SlipCover beyond noise, in line mode and, where SlipCover's
    branch mode was counted, in branch mode; met when there is none."""
    counted = (figures.get("pyperf-callgrind") or {}).get("workloads", {})
    cells = []
    for ours, theirs, mode in (("line", "slipcover", ""), ("branch", "slipcover_branch", "branch mode: ")):
        both = {name: w for name, w in counted.items() if theirs in w}
        if both:
            cells.append(mode + _worse_than_slipcover(both, ours, theirs))
    return "; ".join(cells) if cells else "not counted"


def _worse_than_slipcover(both: dict, ours: str, theirs: str) -> str:
    gaps = {name: w[ours] - w[theirs] for name, w in both.items()}
    noise = {name: LAYOUT_NOISE.get(name, SLIPCOVER_NOISE) for name in both}
    worse = [f"{name} {both[name][ours] * 100:+.1f}% against {both[name][theirs] * 100:+.1f}%"
             for name in sorted(both) if gaps[name] > noise[name]]
    steady = [name for name in both if name not in LAYOUT_NOISE]
    found = ", ".join(worse) if worse else f"none of {len(both)}"
    if not worse and steady:
        closest = max(steady, key=gaps.__getitem__)
        found += f", closest {closest}, {gaps[closest] * 100:+.2f} points"
    for name in sorted(set(both) & set(LAYOUT_NOISE)):
        if gaps[name] <= noise[name]:
            found += (f", {name} {gaps[name] * 100:+.1f} points, within its layout noise"
                      f" ({noise[name] * 100:.1f} points)")
    return f"{found} ({'**missed**' if worse else 'met'})"


def _startup(figures: dict) -> str:
    startup = figures.get("startup")
    if not startup:
        return "not measured"
    python = statistics.median(startup["times"]["python"])
    delta = (statistics.median(startup["times"]["ccov run"]) - python) * 1000
    extra = "" if startup.get("install") == "wheel" else " (editable install)"
    if "ccov run, no wrapper" in startup["times"]:
        own = (statistics.median(startup["times"]["ccov run, no wrapper"]) - python) * 1000
        extra += f"; without pip's wrapper +{own:.1f} ms"
    other = startup["times"].get("ccov run, no wrapper, pyproject.toml of other tools")
    if other:
        extra += f", beside a pyproject.toml of other tools +{(statistics.median(other) - python) * 1000:.1f} ms"
    if OLD_PIP_RUN in startup["times"]:
        old = (statistics.median(startup["times"][OLD_PIP_RUN]) - python) * 1000
        extra += f"; through pip {OLD_PIP}'s wrapper +{old:.1f} ms"
    counted = startup.get("instructions") or {}
    if counted.get("python") and counted.get("ccov run, no wrapper"):
        added = counted["ccov run, no wrapper"] - counted["python"]
        extra += f"; callgrind: +{added / 1e6:.1f} M instructions (+{added / counted['python'] * 100:.0f}%)"
    return _cell(delta, 8, unit="ms", extra=extra)


# (target, the cell for one Python's figures)
TARGETS = [
    ("pyperformance median, line mode: at most +1%", _pyperformance_line),
    ("pyperformance median, branch mode: at most +2%", _pyperformance_branch),
    ("the same median by instructions (callgrind), line mode: at most +1%",
     lambda f: _pyperf_counted("line", 0.01, f)),
    ("the same median by instructions, branch mode: at most +2%", lambda f: _pyperf_counted("branch", 0.02, f)),
    ("pyperformance by instructions: no workload costs more under `ccov run` than under SlipCover",
     _against_slipcover),
    ("toolz suite, `pytest --ccov`: at most +3%", lambda f: _toolz("--ccov", "--cov", 0.03, f)),
    ("toolz suite, `pytest --ccov --ccov-branch`: at most +8%",
     lambda f: _toolz("--ccov --ccov-branch", "--cov --cov-branch", 0.08, f)),
    ("attrs, click, boltons suites, `pytest --ccov`: at most +3%, below pytest-cov",
     lambda f: _real_suites("--ccov", "--cov", 0.03, f)),
    ("attrs, click, boltons suites, `pytest --ccov --ccov-branch`: at most +8%, below pytest-cov",
     lambda f: _real_suites("--ccov --ccov-branch", "--cov --cov-branch", 0.08, f)),
    ("the same suites and toolz by instructions (callgrind), `pytest --ccov`: at most +3%, below pytest-cov",
     lambda f: _counted("--ccov", "--cov", 0.03, f)),
    ("the same by instructions, `pytest --ccov --ccov-branch`: at most +8%, below pytest-cov",
     lambda f: _counted("--ccov --ccov-branch", "--cov --cov-branch", 0.08, f)),
    ("`ccov run` start-up: at most +8 ms", _startup),
    ("peak memory, toolz suite: at most +5%", lambda f: _toolz("--ccov", None, 0.05, f, measure="max_rss_kib")),
]


def targets(results: Path) -> str:
    """The issues' performance targets against every Python's latest figures."""
    found = {path.stem: json.loads(path.read_text(encoding="utf-8"))
             for path in by_python(results)}
    for python, figures in found.items():
        for key, name in (("callgrind", "suites-callgrind"), ("pyperf-callgrind", "callgrind")):
            counted = results / f"{name}-{python}.json"
            if counted.exists():
                figures[key] = json.loads(counted.read_text(encoding="utf-8"))
    rows = ["| target | " + " | ".join(found) + " |", "| --- |" + " --- |" * len(found)]
    rows += [f"| {label} | " + " | ".join(cell(figures) for figures in found.values()) + " |"
             for label, cell in TARGETS]
    return "\n".join(rows) + "\n"


def suites_callgrind(results: Path) -> str:
    """Each suite's instructions in each mode, per Python, from
    results/suites-callgrind-<python>.json (bench/suites_callgrind.py)."""
    modes = ["pytest --ccov", "pytest --cov", "pytest --ccov --ccov-branch", "pytest --cov --cov-branch"]
    rows = ["| suite, Python (commit) | `pytest` | " + " | ".join(f"`{m}`" for m in modes) + " |",
            "| --- | ---: |" + " ---: |" * len(modes)]
    for path in by_python(results, "suites-callgrind-"):
        counted = json.loads(path.read_text(encoding="utf-8"))
        for name, entry in sorted(counted["suites"].items()):
            counts = entry["instructions"]
            cells = [f"{counts[m] / counts['pytest'] * 100 - 100:+.1f}%" if m in counts else "not counted" for m in modes]
            rows.append(f"| {name}, {counted['python']} ({entry['commit']}) | {counts['pytest'] / 1e9:.3f}G | "
                        + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"


def pyperf_callgrind(results: Path) -> str:
    """Each pyperformance workload's instructions, bare and the overhead of
    each way of measuring, per Python, from results/callgrind-<python>.json
    (bench/pyperf_callgrind.py), with the medians.  A SlipCover figure
    counted at another commit than ccov's says which."""
    modes = {"line": "`ccov run`", "branch": "`ccov run --branch`", "slipcover": "SlipCover",
             "slipcover_branch": "SlipCover `--branch`"}
    rows = ["| workload, Python (commit) | bare | " + " | ".join(modes.values()) + " |",
            "| --- | ---: |" + " ---: |" * len(modes)]
    for path in by_python(results, "callgrind-"):
        counted = json.loads(path.read_text(encoding="utf-8"))
        workloads = counted["workloads"]
        for name, entry in sorted(workloads.items()):
            cells = [f"{entry[mode] * 100:+.2f}%" if mode in entry else "not counted" for mode in modes]
            for at, mode in enumerate(modes):
                if f"{mode}_commit" in entry:  # not counted with ccov (pyperf_callgrind.py)
                    cells[at] += f" ({entry[f'{mode}_commit']})"
            commit = f" ({entry['commit']})" if "commit" in entry else ""
            rows.append(f"| {name}, {counted['python']}{commit} | {entry['instructions']['none'] / 1e9:.3f}G | "
                        + " | ".join(cells) + " |")
        medians = []
        for mode in modes:
            values = [entry[mode] for entry in workloads.values() if mode in entry]
            medians.append(f"**{statistics.median(values) * 100:+.2f}%**" if values else "")
        rows.append(f"| **median, {counted['python']}** | | " + " | ".join(medians) + " |")
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
