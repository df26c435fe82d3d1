"""`ccov run` behaves like `python`: argv, __main__, sys.path, exit status,
tracebacks; and it saves the data whichever way the program ends."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ccov, ccov_files, clean_env, run


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


SHOW_CONTEXT = """
    import sys
    print(repr(sys.argv))
    print(__name__, __file__)
    print(sys.path[0])
    print(__spec__ is None, __package__)
"""


def test_script_sees_what_python_gives_it(project):
    write(project, "show.py", SHOW_CONTEXT)
    plain = run([sys.executable, "show.py", "a", "--flag"], project)
    measured = ccov("run", "show.py", "a", "--flag", cwd=project)
    assert measured.returncode == 0, measured.stderr
    assert measured.stdout == plain.stdout


def test_module_sees_what_python_gives_it(project):
    write(project, "pkg/__init__.py", "")
    write(project, "pkg/__main__.py", SHOW_CONTEXT)
    write(project, "pkg/tool.py", SHOW_CONTEXT)
    for target in ("pkg", "pkg.tool"):
        plain = run([sys.executable, "-m", target, "x"], project)
        measured = ccov("run", "-m", target, "x", cwd=project)
        assert measured.returncode == 0, measured.stderr
        assert measured.stdout == plain.stdout
    assert ccov_files(project)["pkg/tool.py"].n_missing == 0


@pytest.mark.parametrize("how", [["prog.py"], ["-m", "libprog"]])
def test_safe_path_leaves_sys_path_as_python_does(project, how):
    """With PYTHONSAFEPATH python prepends nothing; ccov replaced the first
    PYTHONPATH entry with the script's directory, and the program failed."""
    program = "import helper, sys\nprint(helper.VALUE, sys.path[0].endswith('lib'))\n"
    write(project, "lib/helper.py", "VALUE = 'from lib'\n")
    write(project, "lib/libprog.py", program)
    write(project, "prog.py", program)
    env = clean_env(PYTHONSAFEPATH="1", PYTHONPATH=str(project / "lib"))
    plain = run([sys.executable, *how], project, env=env)
    assert plain.stdout == "from lib True\n", plain.stderr
    measured = ccov("run", *how, cwd=project, env=env)
    assert (measured.returncode, measured.stdout) == (0, plain.stdout), measured.stderr


@pytest.mark.parametrize(
    "body, status",
    [("import sys\nsys.exit(3)\n", 3), ("import sys\nsys.exit('bye')\n", 1), ("raise SystemExit\n", 0)],
)
def test_exit_status_is_the_programs(project, body, status):
    write(project, "prog.py", body)
    assert run([sys.executable, "prog.py"], project).returncode == status
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == status
    assert (project / ".ccov").exists()


def test_uncaught_exception_traceback_without_ccov_frames(project):
    write(project, "prog.py", "def f():\n    raise ValueError('bad value')\nf()\n")
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == 1
    assert "ValueError: bad value" in result.stderr
    assert 'prog.py", line 2' in result.stderr
    assert "ccov" not in result.stderr.replace(str(project), "")
    assert ccov_files(project)["prog.py"].n_missing == 0


AST_TYPES_BUILT = """
    import gc
    print(sum(1 for o in gc.get_objects() if isinstance(o, type) and o.__name__ == "AST"))
"""


def test_script_is_compiled_without_building_the_ast_types(project):
    # compile() builds the ast module's types first (2.5 ms on 3.12/3.13);
    # python running a script never builds them, and neither does ccov run.
    write(project, "prog.py", AST_TYPES_BUILT)
    plain = run([sys.executable, "prog.py"], project)
    measured = ccov("run", "prog.py", cwd=project)
    assert measured.returncode == 0, measured.stderr
    assert plain.stdout.strip() == "0"
    assert measured.stdout == plain.stdout


@pytest.mark.parametrize("source", [
    b"",
    b"x = 1\nif x:\n    y = [i for i in range(x)]\n",
    b"# -*- coding: latin-1 -*-\ns = '\xe9'\n",
    b"\xef\xbb\xbfs = '\xc3\xa9'\n",
    b"from __future__ import annotations\ndef f(a: int) -> str:\n    yield a\n",
    b"async def g():\n    async with x as y:\n        await y\nclass C:\n    def m(self): return super().m()\n",
])
def test_the_script_compiles_to_what_compile_makes(source):
    from ccov import _collector

    path = "/somewhere/prog.py"
    assert _collector.compile_script(source, path) == compile(source, path, "exec", dont_inherit=True)


@pytest.mark.parametrize("source, same_message", [
    (b"x = 1\n\0\n", True),
    (b"x = (\n", True),
    # 3.14+ python words this one as its file reader does, compile() as for a string.
    (b"# coding: utf-8\ns = '\xff'\n", sys.version_info < (3, 14)),
])
def test_a_script_python_cannot_compile_fails_as_under_python(project, source, same_message):
    (project / "prog.py").write_bytes(source)
    plain = run([sys.executable, "prog.py"], project)
    measured = ccov("run", "prog.py", cwd=project)
    assert plain.returncode == measured.returncode == 1
    plain_error, measured_error = plain.stderr.strip().splitlines()[-1], measured.stderr.strip().splitlines()[-1]
    assert measured_error.startswith("SyntaxError: ")
    assert measured_error == plain_error or not same_message


def test_syntax_error_in_program(project):
    write(project, "prog.py", "x = (\n")
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == 1
    assert "SyntaxError" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_program_is_a_usage_error(project):
    result = ccov("run", "nope.py", cwd=project)
    assert result.returncode == 3
    assert result.stderr.startswith("ccov: error: can't open file 'nope.py'")
    assert len(result.stderr.strip().splitlines()) == 1


NEVER_STARTS = {
    "a missing script": (["missing.py"], 3),
    "a missing module": (["-m", "nosuchmodule"], 3),
    "a syntax error": (["bad.py"], 1),
    "a directory without __main__.py": (["adir"], 3),
}


@pytest.mark.parametrize("case", sorted(NEVER_STARTS))
def test_a_program_that_never_starts_keeps_the_data_file(project, case):
    """It replaced an existing data file with an empty one."""
    write(project, "good.py", "X = 1\n")
    write(project, "bad.py", "def (\n")
    (project / "adir").mkdir()
    assert ccov("run", "good.py", cwd=project).returncode == 0
    before = (project / ".ccov").read_bytes()
    args, status = NEVER_STARTS[case]
    result = ccov("run", *args, cwd=project)
    assert result.returncode == status
    assert "Traceback" not in result.stderr and result.stderr.strip(), result.stderr
    assert (project / ".ccov").read_bytes() == before


def test_a_program_that_empties_atexit_is_still_saved(project):
    write(project, "prog.py", """
        import atexit
        atexit._clear()
        def f():
            return 1
        f()
    """)
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert ccov_files(project)["prog.py"].n_missing == 0


def test_append_onto_a_damaged_data_file_keeps_this_run(project):
    """`-a` onto a file that cannot be read: the run is saved beside it, and
    the message says where (it was lost, with exit 0)."""
    write(project, "prog.py", "X = 1\n")
    (project / ".ccov").write_text("junk")
    result = ccov("run", "-a", "prog.py", cwd=project)
    rescued = re.search(r"this run's data was saved to (\S+) \(not appended\)", result.stderr)
    assert rescued, result.stderr
    assert (project / ".ccov").read_text() == "junk"
    from ccov.data import datafile

    data = datafile.read(rescued.group(1))
    assert [os.path.basename(path) for path in data.files] == ["prog.py"]


def test_sigterm_saves_the_data(project):
    write(project, "prog.py", """
        import os, signal
        def before():
            return 1
        before()
        os.kill(os.getpid(), signal.SIGTERM)
        print("not reached")
    """)
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == -signal.SIGTERM
    measured = ccov_files(project)["prog.py"]
    assert measured.n_executed == measured.n_statements - 1


DEEP_ENDINGS = {
    # The program lowered the recursion limit: the atexit save starts shallow
    # but has almost no room.
    "a tiny recursion limit": ("sys.setrecursionlimit(30)", 0),
    # A signal handler, and os._exit, called three frames from the limit.
    "SIGTERM near the limit": ("down(room - 3, lambda: os.kill(os.getpid(), signal.SIGTERM))", -signal.SIGTERM),
    "os._exit near the limit": ("down(room - 3, lambda: os._exit(3))", 3),
}


@pytest.mark.parametrize("ending", sorted(DEEP_ENDINGS))
def test_saving_does_not_depend_on_the_stack_depth(project, ending):
    """A save starts wherever the program ends.  It lost all the data with a
    RecursionError when that was deep in the stack or the limit was low."""
    last, status = DEEP_ENDINGS[ending]
    write(project, "prog.py", f"""
        import os, signal, sys
        def probe(n):
            try:
                return probe(n + 1)
            except RecursionError:
                return n
        room = probe(0)
        def down(n, then):
            if n == 0:
                then()
                return
            down(n - 1, then)
        {last}
    """)
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == status, result.stderr
    assert "error" not in result.stderr
    measured = ccov_files(project)["prog.py"]
    assert 14 in measured.executed  # the program's last line
    if "near the limit" in ending:
        assert 11 in measured.executed  # then(): the end came three frames from the limit


def test_ctrl_c_ends_the_run_as_it_ends_python(project):
    """The program's KeyboardInterrupt: its traceback, the data saved (atexit
    handlers included), then death by SIGINT, as python does (exit 130 made
    shell loops go on)."""
    write(project, "prog.py", """
        import atexit, os, signal
        def at_exit():
            return "measured"
        atexit.register(at_exit)
        def interrupt():
            os.kill(os.getpid(), signal.SIGINT)
        interrupt()
    """)
    def default_sigint():  # a test runner may start processes with SIGINT ignored
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    def interrupted(argv):
        return subprocess.run(argv, cwd=project, env=clean_env(), capture_output=True, text=True, timeout=60,
                              preexec_fn=default_sigint)

    plain = interrupted([sys.executable, "prog.py"])
    measured = interrupted([sys.executable, "-m", "ccov", "run", "prog.py"])
    assert plain.returncode == measured.returncode == -signal.SIGINT
    assert measured.stderr == plain.stderr
    assert ccov_files(project)["prog.py"].n_missing == 0


def test_threads_and_atexit_handlers_are_counted(project):
    write(project, "prog.py", """
        import atexit, threading, time
        def late():
            time.sleep(0.2)
            return "thread finished after main"
        def at_exit():
            return "atexit ran"
        atexit.register(at_exit)
        threading.Thread(target=late).start()
    """)
    assert ccov("run", "prog.py", cwd=project).returncode == 0
    assert ccov_files(project)["prog.py"].n_missing == 0


def test_only_files_under_the_current_directory(project, tmp_path):
    outside = tmp_path / "outside"
    write(outside, "elsewhere.py", "def f():\n    return 1\n")
    write(project, "prog.py", f"""
        import sys, json, email.utils
        sys.path.insert(0, {str(outside)!r})
        import elsewhere
        elsewhere.f()
    """)
    assert ccov("run", "prog.py", cwd=project).returncode == 0
    assert list(ccov_files(project)) == ["prog.py"]


def test_source_and_omit(project):
    write(project, "app/__init__.py", "")
    write(project, "app/core.py", "def f():\n    return 1\n")
    write(project, "app/unused.py", "def g():\n    return 2\n")
    write(project, "app/tests/__init__.py", "")
    write(project, "app/tests/test_x.py", "X = 1\n")
    write(project, "main.py", "import app.core, app.tests.test_x\napp.core.f()\n")
    result = ccov("run", "--source=app", "--omit=*/tests/*", "main.py", cwd=project)
    assert result.returncode == 0, result.stderr
    files = ccov_files(project)
    assert sorted(files) == ["app/__init__.py", "app/core.py", "app/unused.py"]
    assert files["app/unused.py"].n_executed == 0 and files["app/unused.py"].n_statements == 2


def test_source_names_a_module_beside_the_script(project):
    """`--source mod` for mod.py next to the script: coverage.py measures it;
    ccov looked for the name before the script's directory was on sys.path."""
    write(project, "app/mod.py", "def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    write(project, "app/prog.py", "import mod\nmod.f()\n")
    result = ccov("run", "--source", "mod", "app/prog.py", cwd=project)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    measured = ccov_files(project)
    assert sorted(measured) == ["app/mod.py"] and measured["app/mod.py"].missing == {6}


def test_a_relative_omit_through_a_symlinked_source(project):
    """--source is resolved through the symlink, so a relative --omit written
    through it must be too (it was not applied)."""
    write(project, "real/pkg/__init__.py", "")
    write(project, "real/pkg/a.py", "A = 1\n")
    write(project, "real/pkg/sub/__init__.py", "")
    write(project, "real/pkg/sub/b.py", "B = 1\n")
    (project / "link").symlink_to(project / "real")
    write(project, "prog.py", "import sys\nsys.path.insert(0, 'link')\nimport pkg.a, pkg.sub.b\n")
    result = ccov("run", "--source=link", "--omit=link/pkg/sub/*", "prog.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(ccov_files(project)) == ["real/pkg/__init__.py", "real/pkg/a.py"]


def test_pyproject_settings_and_command_line_wins(project):
    write(project, "pyproject.toml", """
        [tool.ccov]
        source = ["lib"]
        data_file = "custom.data"
    """)
    write(project, "lib/__init__.py", "A = 1\n")
    write(project, "other/__init__.py", "B = 1\n")
    write(project, "main.py", "import lib, other\n")
    assert ccov("run", "main.py", cwd=project).returncode == 0
    assert (project / "custom.data").exists() and not (project / ".ccov").exists()
    report = ccov("report", cwd=project)
    assert "lib/__init__.py" in report.stdout and "other" not in report.stdout
    assert ccov("run", "--source=other", "--data-file=.ccov", "main.py", cwd=project).returncode == 0
    assert sorted(ccov_files(project)) == ["other/__init__.py"]


def test_bad_configuration_is_a_usage_error(project):
    write(project, "pyproject.toml", "[tool.ccov]\nprecision = 'two'\n")
    write(project, "main.py", "pass\n")
    result = ccov("run", "main.py", cwd=project)
    assert result.returncode == 3
    assert result.stderr.strip() == "ccov: error: [tool.ccov] precision must be an integer, not 'two'"


def test_unknown_option_is_a_usage_error(project):
    result = ccov("report", "--no-such-option", cwd=project)
    assert result.returncode == 3
    assert "unrecognized arguments: --no-such-option" in result.stderr
    assert "Traceback" not in result.stderr


def test_append_and_parallel(project):
    write(project, "prog.py", "import sys\nif sys.argv[1] == 'a':\n    A = 1\nelse:\n    B = 2\n")
    ccov("run", "prog.py", "a", cwd=project)
    ccov("run", "prog.py", "b", cwd=project)
    assert ccov_files(project)["prog.py"].missing == {3}
    ccov("run", "-a", "prog.py", "a", cwd=project)
    assert ccov_files(project)["prog.py"].n_missing == 0
    os.remove(project / ".ccov")
    for arg in ("a", "b"):
        assert ccov("run", "-p", "prog.py", arg, cwd=project).returncode == 0
    parallel = sorted(p.name for p in project.glob(".ccov.*"))
    assert len(parallel) == 2 and parallel[0] != parallel[1]
    combined = ccov("combine", cwd=project)
    assert combined.returncode == 0, combined.stderr
    assert not list(project.glob(".ccov.*"))
    assert ccov_files(project)["prog.py"].n_missing == 0


def test_debug_help_and_version(project):
    write(project, "prog.py", "X = 1\n")
    ccov("run", "prog.py", cwd=project)
    debug = ccov("debug", cwd=project)
    assert debug.returncode == 0, debug.stderr
    assert "free sys.monitoring tool ids: [0, 1, 2, 3, 4, 5]" in debug.stdout
    assert "  data_file = '.ccov'" in debug.stdout
    assert "  files = 1" in debug.stdout and "  kind = lines" in debug.stdout
    assert re.search(r"child processes: /\S+/site-packages/ccov-subprocess.pth; CCOV_PROCESS is not set", debug.stdout)
    from ccov import __version__

    assert ccov("--version", cwd=project).stdout.strip() == f"ccov {__version__}"
    helped = ccov("help", cwd=project)
    assert helped.returncode == 0 and "exit codes:" in helped.stdout
    for command in ("run", "report", "lcov", "xml", "json", "diff", "combine", "erase", "debug"):
        assert command in helped.stdout
        assert ccov(command, "--help", cwd=project).returncode == 0
