"""Count the kinds of lines in Python files: code, comments, blanks, shebangs.

Run under ccov, its report shows a bug that its output hides.
"""

import sys
from collections import Counter


def classify(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "blank"
    if stripped.startswith("#"):
        return "comment"
    if stripped.startswith("#!"):
        return "shebang"
    return "code"


def count_file(path: str) -> Counter:
    counts = Counter()
    with open(path, encoding="utf-8") as source:
        for line in source:
            counts[classify(line)] += 1
    return counts


def main(paths: list[str]) -> int:
    if not paths:
        print("usage: linecount.py FILE...", file=sys.stderr)
        return 2
    total = Counter()
    for path in paths:
        counts = count_file(path)
        total += counts
        print(f"{path}: " + ", ".join(f"{kind}={n}" for kind, n in sorted(counts.items())))
    print(f"total: {sum(total.values())} lines, {total['shebang']} shebang(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
