"""Check every wheel in a folder as a release needs it, and say its tag.

    python buildtools/check_wheels.py dist

Each wheel must hold the collector, the child-process bootstrap
(ccov-subprocess.pth, at the top so it lands in site-packages), the type
marker and stubs, the licence, and the pytest plugin's entry point; a Linux
wheel must carry a manylinux tag and no bundled library (auditwheel grafts
one into ccov.libs/ when the extension needs a library outside the
manylinux policy: it must need none).  One line per wheel; exit 1 on any
fault.
"""

import sys
import zipfile
from pathlib import Path

NEEDED = ("ccov-subprocess.pth", "ccov/py.typed", "ccov/_collector.pyi", "ccov/__init__.py",
          "ccov/reports/html_assets/ccov.css")
PLUGIN = "ccov = ccov.frontends.plugin"


def faults(wheel: Path) -> list[str]:
    names = zipfile.ZipFile(wheel).namelist()
    found = [f"no {name}" for name in NEEDED if name not in names]
    if not any(name.startswith("ccov/_collector.") and name.endswith((".so", ".pyd")) for name in names):
        found.append("no compiled collector")
    if not any(name.endswith(".dist-info/licenses/LICENSE") for name in names):
        found.append("no LICENSE")
    entry_points = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
    text = zipfile.ZipFile(wheel).read(entry_points[0]).decode() if entry_points else ""
    if "[pytest11]" not in text or PLUGIN not in text:
        found.append("no pytest11 entry point")
    if "linux" in wheel.name:
        if "manylinux" not in wheel.name:
            found.append("not repaired to a manylinux tag")
        bundled = sorted({name.split("/")[0] for name in names if name.split("/")[0].endswith(".libs")})
        if bundled:
            found.append(f"bundles libraries ({', '.join(bundled)})")
    return found


def main(folder: str) -> int:
    wheels = sorted(Path(folder).glob("*.whl"))
    if not wheels:
        print(f"check_wheels: no wheel in {folder}", file=sys.stderr)
        return 1
    status = 0
    for wheel in wheels:
        found = faults(wheel)
        print(f"{wheel.name}: {'; '.join(found) if found else 'ok'}")
        status |= bool(found)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "dist"))
