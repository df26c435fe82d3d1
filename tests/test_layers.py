"""The layers of pkg/ccov, and what each may import (each package's
docstring says why): measuring -> data -> model -> reports -> front ends,
with no import cycle anywhere, and what runs inside the measured process
importing almost nothing when it loads."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import clean_env

ROOT = Path(__file__).resolve().parent.parent

# layer -> the layers its modules may import, at any depth in a function.
MAY_IMPORT = {
    "shared": {"shared", "frontends"},  # ccov.Coverage and `python -m ccov`, loaded lazily
    "measuring": {"shared", "measuring", "data", "model"},  # data and model only inside functions (below)
    "data": {"shared", "data"},
    "model": {"shared", "data", "model"},
    "reports": {"shared", "model", "reports"},
    "changes": {"shared", "data", "model", "changes"},
    "frontends": {"shared", "measuring", "data", "model", "reports", "changes", "frontends"},
}
# What measuring may import when its modules load: the rest waits for the
# function that needs it, so `ccov run` and every child process start fast.
MEASURING_LOADS = {"shared", "measuring"}
# Standard library modules the measuring layer may load (all cheap; most
# are loaded by Python's start-up anyway).  Add one only with a start-up
# measurement (`./dev bench --sections startup`).
STDLIB_AT_LOAD = {"__future__", "genericpath", "os", "posixpath", "stat"}


def modules() -> dict[str, Path]:
    found = {}
    for base, prefix in ((ROOT / "pkg" / "ccov", "ccov"), (ROOT / "reports", "ccov.reports")):
        for path in base.rglob("*.py"):
            parts = [p for p in path.relative_to(base).with_suffix("").parts if p != "__init__"]
            found[".".join([prefix, *parts])] = path
    return found


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[1] in MAY_IMPORT else "shared"


def imports(known: dict[str, Path]):
    """(importer, imported, at load time) for every import of a ccov module;
    those under `if TYPE_CHECKING:` are for the type checker, never run."""
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        at_load = {id(node) for node in tree.body}
        at_load |= {id(inner) for node in tree.body if isinstance(node, ast.If) for inner in node.body}
        typing_only = {id(inner) for node in ast.walk(tree)
                       if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                       for inner in node.body}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ccov"):
                wanted = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t for t in wanted if t in known] or [node.module]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.startswith("ccov")]
            else:
                continue
            for target in targets:
                if target in known and target not in (name, "ccov"):
                    yield name, target, id(node) in at_load


def allowed(target: str, layers: set[str]) -> bool:
    return layer(target) in layers or any(target == f"ccov.{entry}" for entry in layers)


def test_each_layer_imports_only_what_it_may():
    known = modules()
    wrong = [f"{importer} imports {imported}" for importer, imported, _ in imports(known)
             if not allowed(imported, MAY_IMPORT[layer(importer)])]
    assert wrong == []


def test_the_measuring_layer_loads_only_itself_and_the_shared_modules():
    known = modules()
    wrong = [f"{importer} imports {imported} when it loads: import it inside the function that needs it"
             for importer, imported, at_load in imports(known)
             if layer(importer) == "measuring" and at_load and not allowed(imported, MEASURING_LOADS)]
    assert wrong == []


def test_no_import_cycles():
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for importer, imported, _ in imports(known):
        graph[importer].add(imported)
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name, path):
        state[name] = 1
        for nxt in sorted(graph[name]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*path[path.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def bare_python(code: str, cwd) -> str:
    """Run `code` in a Python that loaded what its start-up loads and nothing
    from site-packages: no .pth file, so no editable-install import hook,
    which loads modules (types) that a wheel install does not.
    ccov comes from the checkout (its extension is built in place).
    Returns the output."""
    # -S, then site imported by hand: its modules loaded, its .pth files not read.
    return subprocess.run([sys.executable, "-S", "-c", "import site\n" + code], capture_output=True, text=True,
                          cwd=cwd, env=clean_env(PYTHONPATH=str(ROOT / "pkg")), check=True).stdout


def test_what_the_measured_process_loads(tmp_path):
    """Importing every measuring module loads no ccov module outside the
    layer and the shared ones, and no standard library module beyond a short
    list of cheap ones."""
    names = sorted(m for m in modules() if layer(m) == "measuring")
    probe = ("import sys\nbefore = set(sys.modules)\n"
             f"for name in {names!r}:\n    __import__(name)\n"
             "print(sorted(set(sys.modules) - before))\n")
    loaded = ast.literal_eval(bare_python(probe, tmp_path))
    ours = [m for m in loaded if m.startswith("ccov.") and not allowed(m, MEASURING_LOADS | {"_collector"})
            and m != "ccov._collector"]
    stdlib = {m.split(".")[0] for m in loaded if not m.startswith("ccov") and not m.startswith("_")}
    assert ours == [] and stdlib <= STDLIB_AT_LOAD, (ours, stdlib - STDLIB_AT_LOAD)


def test_what_ccov_run_adds_to_a_scripts_modules(tmp_path):
    """A script run by `ccov run` finds loaded what python loads, ccov's own
    measuring modules and a few cheap ones: each module more is start-up time
    (types costs 1.2 M instructions, opcode 3.6 M on 3.12, _opcode_metadata
    1.3 M on 3.13: the collector's opcode kinds are compiled in)."""
    script = tmp_path / "modules.py"
    script.write_text("import sys\nprint(sorted(sys.modules))\n")
    plain = bare_python(f"import sys\nsys.argv = [{str(script)!r}]\nexec(open(sys.argv[0]).read())", tmp_path)
    measured = bare_python("import sys\nfrom ccov.frontends.cli import main\n"
                           f"sys.argv = ['ccov', 'run', {str(script)!r}]\nsys.exit(main())", tmp_path)
    added = set(ast.literal_eval(measured)) - set(ast.literal_eval(plain))
    cheap = {"__future__", "atexit", "gc"}
    assert {m for m in added if m != "ccov" and not m.startswith("ccov.")} <= cheap, added


@pytest.mark.skipif(sys.version_info < (3, 14), reason="3.14+ branch mode reads each file's statements")
def test_branch_mode_reads_statements_without_the_tokenizer(tmp_path):
    """On 3.14+ branch mode reads which lines form a statement in each
    measured file: with the collector's scanner and a decoder that needs
    no tokenize module (which imports re and enum: 5 to 7 ms)."""
    script = tmp_path / "branchy.py"
    script.write_text("import sys\n\n\ndef f(x):\n    if (x and\n            x > 1):\n        return 1\n"
                      "    return 2\n\n\nf(1)\nf(2)\nprint(sorted(sys.modules))\n")
    measured = bare_python("import sys\nfrom ccov.frontends.cli import main\n"
                           f"sys.argv = ['ccov', 'run', '--branch', {str(script)!r}]\nsys.exit(main())", tmp_path)
    loaded = set(ast.literal_eval(measured))
    assert "ccov.model.source" in loaded, "the statements were not read"
    assert not loaded & {"tokenize", "re", "enum"}, loaded & {"tokenize", "re", "enum"}


def test_the_slow_tier_names_tests_that_exist():
    """conftest.SLOW keeps tests out of `./dev quick`: a renamed test must
    not slip into the quick tier unnoticed."""
    from conftest import SLOW

    tests = ROOT / "tests"
    for entry in SLOW:
        module, _, name = entry.partition("::")
        assert (tests / module).is_file(), entry
        if name:
            assert f"def {name}(" in (tests / module).read_text(encoding="utf-8"), entry
