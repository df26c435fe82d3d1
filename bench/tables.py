"""Put the tables bench/ wrote (results/<name>.md) into docs/performance.md.

Each generated block there sits between `<!-- bench: NAME -->` and
`<!-- end bench -->`, where NAME is a file of results/ without `.md`
(`3.12.1`, `branch-study-3.13.0`).  `bench/run.py` refreshes the blocks
after every run; `python bench/tables.py` does it by hand.  The prose
around the blocks is written by people; the tables never are, so they
cannot drift from the measurements (tests/test_docs.py checks this).
"""

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DOC = HERE.parent / "docs" / "performance.md"
BEGIN = "<!-- bench: "
END = "<!-- end bench -->"
BLOCK = re.compile(r"(<!-- bench: (?P<name>[\w.-]+) -->\n).*?(?=<!-- end bench -->)", re.S)


def fill(text: str, results: Path) -> str:
    """`text` with every generated block replaced by its results file."""
    def table(match: re.Match) -> str:
        source = results / f"{match.group('name')}.md"
        return match.group(1) + source.read_text(encoding="utf-8").strip() + "\n"
    return BLOCK.sub(table, text)


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
