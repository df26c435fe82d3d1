"""Robustness: ccov beside debuggers, profilers and other sys.monitoring
tools; faults while saving (signals, a killed writer, a full disk, an
unusable directory, a locked file, an interrupted combine); memory that
stays bounded; and every bad configuration value answered in one line."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ccov, ccov_files, clean_env, run, run_read_only


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def missing(project, name):
    return set(ccov_files(project)[name].missing)


def one_error_line(stderr: str) -> bool:
    lines = stderr.strip().splitlines()
    return len(lines) == 1 and lines[0].startswith("ccov: error: ") and "Traceback" not in stderr


# ---- beside other tools ----------------------------------------------------------------


def test_under_a_settrace_debugger_both_see_every_line(project):
    write(
        project,
        "debugged.py",
        """
        import sys
        seen = set()

        def tracer(frame, event, arg):
            if event == "line" and frame.f_code.co_filename == __file__:
                seen.add(frame.f_lineno)
            return tracer

        def work(n):
            total = 0
            for i in range(n):
                total += i
            return total

        sys.settrace(tracer)
        work(3)
        sys.settrace(None)
        print(sorted(seen))
        """,
    )
    plain = run([sys.executable, "debugged.py"], project)
    result = ccov("run", "debugged.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain.stdout  # the debugger saw what it sees without ccov
    # Everything ran, but Python sends no sys.monitoring event from inside a
    # trace function, so the tracer's own body is never seen (as with
    # coverage.py's sys.monitoring core).
    assert missing(project, "debugged.py") == {6, 7, 8}


# Turned on after target.py's code exists and is armed, before it runs.
OTHER_TOOLS = {
    "settrace": "sys.settrace(lambda frame, event, arg: None)",
    "setprofile": "sys.setprofile(lambda frame, event, arg: None)",
    "PY_START of another tool": (
        "tool = next(t for t in range(6) if sys.monitoring.get_tool(t) is None)\n"
        "sys.monitoring.use_tool_id(tool, 'other')\n"
        "sys.monitoring.register_callback(tool, sys.monitoring.events.PY_START, lambda code, offset: None)\n"
        "sys.monitoring.set_events(tool, sys.monitoring.events.PY_START)"
    ),
}


@pytest.mark.parametrize("core", ["watcher", "pystart"])
@pytest.mark.parametrize("other", sorted(OTHER_TOOLS))
def test_code_measured_by_instruction_keeps_its_lines_when_another_tool_starts(project, other, core):
    """Code the collector measures by INSTRUCTION events (codestate.c,
    by_instruction) lost every line once the
    program turned on sys.settrace or sys.setprofile, or another tool
    enabled PY_START: CPython stops sending INSTRUCTION events to code that
    had another event armed beside them.  (The PY_START fallback enables
    PY_START for all code, so it measures nothing by instruction.)"""
    table = "".join(f"        'k{i}': {i},\n" for i in range(300))
    write(project, "target.py", "def lookup(name):\n    rows = {\n" + table + "    }\n    return rows.get(name)\n\n\n"
          "def kept(items):\n    count = 0\n    for item in items:\n        big = item and item > 1\n"
          "        count += 1 if big else 0\n    return count\n")
    write(project, "main.py", "import sys\nimport target\n" + OTHER_TOOLS[other] + "\n"
          "print(target.lookup('k1'), target.kept([0, 1, 2, 3]))\n")
    result = ccov("run", "--source=.", "main.py", cwd=project, env=clean_env(CCOV_STATS="1", CCOV_CORE=core))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1 2\n"
    assert missing(project, "target.py") == set()
    stats = dict(item.split("=") for item in result.stderr.split(":", 1)[1].split())
    assert int(stats["codes_by_instruction"]) == (2 if core == "watcher" else 0)  # else this tests LINE events


def test_beside_cprofile_and_a_tool_of_the_programs_own(project):
    write(
        project,
        "tools.py",
        """
        import cProfile, io, pstats, sys
        mon = sys.monitoring

        def fib(n):
            return n if n < 2 else fib(n - 1) + fib(n - 2)

        # The program's own sys.monitoring tool, which disables nothing.
        lines = []
        mon.use_tool_id(mon.DEBUGGER_ID, "mine")
        mon.register_callback(mon.DEBUGGER_ID, mon.events.LINE, lambda code, line: lines.append(line))
        mon.set_events(mon.DEBUGGER_ID, mon.events.LINE)
        fib(5)
        mon.set_events(mon.DEBUGGER_ID, 0)
        mon.free_tool_id(mon.DEBUGGER_ID)
        mon.restart_events()  # re-arms every tool's disabled events, ccov's too

        profile = cProfile.Profile()
        profile.runcall(fib, 10)
        out = io.StringIO()
        pstats.Stats(profile, stream=out).print_stats()
        print(len(lines), "fib" in out.getvalue())
        """,
    )
    plain = run([sys.executable, "tools.py"], project)
    result = ccov("run", "tools.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == plain.stdout and result.stdout.split()[1] == "True"
    assert missing(project, "tools.py") == set()


# ---- faults while saving ----------------------------------------------------------------


def test_sigterm_during_the_save_lets_it_finish(project):
    """The signal arrives while the data file is being written: the save
    completes, then the process dies by the signal as it would have."""
    write(
        project,
        "prog.py",
        """
        import os, signal
        from ccov.data import datafile
        real_write = datafile.write

        def write_interrupted(path, data):
            os.kill(os.getpid(), signal.SIGTERM)
            real_write(path, data)

        datafile.write = write_interrupted
        ran = True  # ran
        """,
    )
    result = ccov("run", "prog.py", cwd=project)
    assert result.returncode == -signal.SIGTERM, result.stderr
    # The program's lines are saved; write_interrupted's run after measurement stopped.
    assert missing(project, "prog.py") == {7, 8}


KILLED_WHILE_WRITING = """
import os, signal, sys
from ccov.data import datafile, linebits

previous = datafile.CoverageData()
previous.add_lines("/src/old.py", 0b110)
datafile.write(".ccov", previous)

class DiesMidway:  # a file object whose write stops the process half-way through
    def __init__(self, real):
        self.real = real
    def write(self, content):
        self.real.write(content[:len(content) // 2])
        self.real.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    def __getattr__(self, name):
        return getattr(self.real, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc_info):
        return self.real.__exit__(*exc_info)

real_open = open
datafile.open = lambda *args, **kwargs: DiesMidway(real_open(*args, **kwargs))
big = datafile.CoverageData()
for n in range(100):
    big.add_lines(f"/src/m{n}.py", linebits.from_lines(range(1, 200)))
datafile.write(".ccov", big)
"""


def test_a_writer_killed_midway_leaves_the_previous_file_intact(project):
    result = run([sys.executable, "-c", KILLED_WHILE_WRITING], project)
    assert result.returncode == -signal.SIGKILL
    from ccov.data import datafile

    assert list(datafile.read(str(project / ".ccov")).files) == ["/src/old.py"]
    leftovers = [p.name for p in project.iterdir() if p.name.endswith(".partial")]
    assert len(leftovers) == 1
    assert datafile.parallel_files(str(project / ".ccov")) == []  # never mistaken for data
    assert ccov("erase", cwd=project).returncode == 0
    assert list(project.iterdir()) == []


def test_an_interrupted_combine_deletes_no_input(project):
    from ccov.data import datafile

    for n in range(1, 6):
        data = datafile.CoverageData()
        data.add_lines("/src/f.py", 1 << n)
        datafile.write(datafile.parallel_name(str(project / ".ccov")), data)
    inputs = sorted(p.name for p in project.iterdir())
    code = """
import os, signal
from ccov.frontends import cli
from ccov.data import datafile
def die(descriptor):  # the temporary file is written, not yet renamed
    os.kill(os.getpid(), signal.SIGKILL)
datafile.os.fsync = die
cli.main(["combine"])
"""
    assert run([sys.executable, "-c", code], project).returncode == -signal.SIGKILL
    assert not (project / ".ccov").exists()
    assert sorted(p.name for p in project.iterdir() if not p.name.endswith(".partial")) == inputs
    assert ccov("combine", cwd=project).returncode == 0
    assert datafile.read(str(project / ".ccov")).files["/src/f.py"].all_lines() == 0b111110


def _small_file_limit():
    """A disk that is full for this process: files may not grow past 64 bytes
    (SIGXFSZ ignored, so a write fails with EFBIG instead of killing)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))


def test_a_full_disk_keeps_the_programs_status_and_says_the_data_is_lost(project):
    write(project, "prog.py", "import sys\nvalue = 1\nsys.exit(7)\n")
    result = subprocess.run(
        [sys.executable, "-m", "ccov", "run", "prog.py"],
        cwd=project, env=clean_env(), capture_output=True, text=True, preexec_fn=_small_file_limit,
    )
    assert result.returncode == 7
    assert one_error_line(result.stderr), result.stderr
    assert "cannot write data file" in result.stderr and "the data is lost" in result.stderr
    assert not (project / ".ccov").exists()
    assert [p.name for p in project.iterdir()] == ["prog.py"]  # no half-written file left


def test_an_unusable_directory_saves_the_data_elsewhere(project, tmp_path):
    """A data-file directory that cannot be written (here a file stands where
    the directory should be, which even root cannot write into)."""
    write(project, "prog.py", "value = 1\n")
    (project / "blocked").write_text("a file, not a directory")
    env = clean_env(TMPDIR=str(tmp_path))
    result = ccov("run", "--data-file", "blocked/.ccov", "prog.py", cwd=project, env=env)
    assert result.returncode == 0
    assert one_error_line(result.stderr), result.stderr
    rescued = result.stderr.split("saved to ")[1].split(" instead")[0]
    from ccov.data import datafile

    assert rescued.startswith(str(tmp_path)) and len(datafile.read(rescued).files) == 1


def test_parallel_names_cannot_collide(tmp_path):
    from ccov.data import datafile

    names = {datafile.parallel_name("/d/.ccov") for _ in range(10_000)}
    assert len(names) == 10_000
    # A forked child's names carry its own pid, even with the same random state.
    code = (
        "import os\nfrom ccov.data import datafile\n"
        "pid = os.fork()\n"
        "open(f'name-{os.getpid()}', 'w').write(datafile.parallel_name('/d/.ccov'))\n"
        "if pid == 0:\n    os._exit(0)\nos.waitpid(pid, 0)\n"
    )
    assert run([sys.executable, "-c", code], tmp_path).returncode == 0
    written = {p.name[len("name-"):]: p.read_text() for p in tmp_path.glob("name-*")}
    assert len(written) == 2 and len(set(written.values())) == 2
    assert all(f".{pid}." in name for pid, name in written.items())


# ---- odd files in the data folder (#39) ------------------------------------------------------
# Anyone who can create a file in the data folder must not be able to stop a
# measured run: every command ends, in bounded time and memory, with a
# one-line error or a warning, and the run's data is kept.

ODD_FILES = {
    "a FIFO": lambda path: os.mkfifo(path),
    "a link to /dev/zero": lambda path: os.symlink("/dev/zero", path),
}
PLANTED_PARALLEL = ".ccov.host.1.0123456789ab"  # named as parallel_name() names them


def plant(project, kind: str, name: str):
    ODD_FILES[kind](project / name)


@pytest.mark.parametrize("kind", sorted(ODD_FILES))
def test_an_odd_data_file_is_an_error_not_a_hang(project, kind):
    write(project, "prog.py", "value = 1\n")
    plant(project, kind, ".ccov")
    for command in (["report"], ["lcov"], ["who", "prog.py:1"], ["combine"]):
        done = ccov(*command, cwd=project, timeout=20)
        assert done.returncode == 1 and one_error_line(done.stderr), (command, done.stderr)
        assert command == ["combine"] or "not a regular file" in done.stderr, done.stderr
    appended = ccov("run", "-a", "prog.py", cwd=project, timeout=20)
    assert appended.returncode == 0 and "not a regular file" in appended.stderr, appended.stderr
    kept = re.search(r"saved to (\S+) \(not appended\)", appended.stderr)
    assert kept and os.path.isfile(kept.group(1)), appended.stderr


@pytest.mark.parametrize("kind", sorted(ODD_FILES))
def test_an_odd_parallel_file_is_passed_over(project, kind):
    """Adopting children's files and combining read every parallel-named file."""
    write(project, "prog.py", "value = 1\n")
    plant(project, kind, PLANTED_PARALLEL)
    ran = ccov("run", "prog.py", cwd=project, timeout=20)
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    assert ccov_files(project)["prog.py"].executed == {1}
    parallel = ccov("run", "-p", "prog.py", cwd=project, timeout=20)
    assert parallel.returncode == 0, parallel.stderr
    combined = ccov("combine", cwd=project, timeout=20)
    assert combined.returncode == 0 and "not a regular file" in combined.stderr, combined.stderr
    assert ccov_files(project)["prog.py"].executed == {1}
    write(project, "test_it.py", "def test_it():\n    assert True\n")
    tested = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ccov=.", "test_it.py"], project)
    assert tested.returncode == 0 and "TOTAL" in tested.stdout, tested.stdout + tested.stderr


@pytest.mark.parametrize("kind", sorted(ODD_FILES))
@pytest.mark.parametrize("name", ["analysis.sqlite", "toml-pyproject.toml-py{version}.marshal"])
def test_an_odd_file_in_the_cache_folder_is_passed_over(project, kind, name):
    """.ccov_cache/ keeps what makes ccov faster, never what a result needs."""
    write(project, "prog.py", "value = 1\n")
    write(project, "pyproject.toml", "[tool.coverage.run]\nbranch = true\n")
    (project / ".ccov_cache").mkdir()
    plant(project, kind, ".ccov_cache/" + name.format(version=f"{sys.version_info[0]}.{sys.version_info[1]}"))
    ran = ccov("run", "prog.py", cwd=project, timeout=20)
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    report = ccov("report", cwd=project, timeout=20)
    assert report.returncode == 0 and "100%" in report.stdout, report.stderr


def test_a_save_waits_a_bounded_time_for_the_folders_lock(project):
    """Another process holding the data folder's lock: the save gives up
    after CCOV_LOCK_TIMEOUT seconds and keeps the run beside the data file."""
    write(project, "prog.py", "value = 1\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open('.', os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"],
        cwd=project, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        done = ccov("run", "prog.py", cwd=project, env=clean_env(CCOV_LOCK_TIMEOUT="1"), timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert done.returncode == 0
    assert one_error_line(done.stderr) and "locked" in done.stderr, done.stderr
    kept = re.search(r"saved to (\S+)", done.stderr)
    assert kept and os.path.basename(kept.group(1)).startswith(".ccov."), done.stderr
    assert ccov("combine", cwd=project).returncode == 0
    assert ccov_files(project)["prog.py"].executed == {1}


def test_a_report_never_shows_an_older_run_as_the_latest(project, tmp_path):
    """A save that failed (a read-only folder) rescues the data elsewhere;
    the previous run's file is still there, and a report of it must say so."""
    write(project, "prog.py", "import sys\nif len(sys.argv) > 1:\n    value = 1\n")
    rescue_dir = tmp_path / "tmp"
    rescue_dir.mkdir()
    env = clean_env(TMPDIR=str(rescue_dir))
    assert ccov("run", "prog.py", cwd=project, env=env).returncode == 0
    failed = run_read_only(project, [sys.executable, "-m", "ccov", "run", "prog.py", "again"], env)
    assert failed.returncode == 0 and "saved to" in failed.stderr, failed.stderr
    rescued = failed.stderr.split("saved to ")[1].split(" instead")[0]
    report = ccov("report", cwd=project, env=env)
    assert report.returncode == 1 and one_error_line(report.stderr), report.stderr
    assert rescued in report.stderr
    assert "TOTAL" not in report.stdout
    # The rescued data is the newer run's, and reports as such.
    newer = ccov("report", "-m", "--data-file", rescued, cwd=project, env=env)
    assert newer.returncode == 0 and "100%" in newer.stdout, newer.stdout + newer.stderr
    # A later run saved where it belongs is the latest again.
    assert ccov("run", "prog.py", cwd=project, env=env).returncode == 0
    assert ccov("report", cwd=project, env=env).returncode == 0


def test_parallel_files_newer_than_the_data_file_are_said(project):
    write(project, "prog.py", "value = 1\n")
    assert ccov("run", "prog.py", cwd=project).returncode == 0
    assert ccov("run", "-p", "prog.py", cwd=project).returncode == 0
    report = ccov("report", cwd=project)
    assert report.returncode == 0 and "TOTAL" in report.stdout
    assert "ccov: warning: 1 parallel data file beside .ccov is newer than it" in report.stderr, report.stderr


# ---- memory --------------------------------------------------------------------------------


def test_300_000_code_objects_come_and_go_in_bounded_memory(project):
    """exec'd functions and lambdas in a measured file, created and dropped:
    ccov's per-code state is freed with them (ASan checks the freeing).
    2 MiB over 300,000 code objects: a leak of 7 bytes each would show (it
    was a million, for five times the time and no leak more caught)."""
    write(
        project,
        "churn.py",
        """
        import resource

        TEXT = "def f(x):\\n    return (lambda y: y + x)(1)\\n"

        def churn(rounds):
            for _ in range(rounds):
                space = {}
                # Three new code objects a round: the module's, f's, the lambda's.
                exec(compile(TEXT, __file__, "exec"), space)
                space["f"](2)

        def peak_kib():
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        churn(10_000)
        before = peak_kib()
        churn(100_000)
        print(peak_kib() - before)
        """,
    )
    result = ccov("run", "churn.py", cwd=project, timeout=300)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 2048, "memory grew by more than 2 MiB over 300,000 code objects"
    assert missing(project, "churn.py") == set()


def test_a_loop_that_keeps_importing_new_code_stays_flat(project):
    """A long-running process that keeps importing (here: reloading) measured
    modules and calling their new code: memory levels off."""
    write(project, "plugin_mod.py", "def handler(x):\n    if x:\n        return [x] * 3\n    return None\n")
    write(
        project,
        "server.py",
        """
        import importlib, resource
        import plugin_mod

        def serve(rounds):
            for n in range(rounds):
                importlib.reload(plugin_mod)
                plugin_mod.handler(n)

        serve(5_000)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        serve(20_000)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """,
    )
    env = clean_env()
    if "ASAN_OPTIONS" in env:
        # AddressSanitizer keeps freed memory in quarantine (256 MiB): a bare
        # `python server.py` grows by 22 MiB under it, with no coverage at all.
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=0"
    result = ccov("run", "server.py", cwd=project, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 2048, "memory grew by more than 2 MiB over 20,000 reloads"
    assert missing(project, "plugin_mod.py") == set()


# ---- configuration values of the wrong type --------------------------------------------------


WRONG_VALUES = {
    "list[str]": ["1", "[1]", "{a = 1}", "true", '["a\\u0000b"]'],
    "str": ["1", '["a"]', "{a = 1}", "false", '"a\\u0000b"'],
    "bool": ['"yes"', "1", "[true]"],
    "optional bool": ['"yes"', "0", "[false]"],
    "float": ['"90"', "true", "[90]"],
    "int": ["1.5", '"2"', "true"],
    "minimums": ['"x"', '{"a" = "b"}', '{"a" = 101}', "-1"],
    "paths": ['"src"', '{a = "src"}', "{a = []}", "{a = [1]}"],
}


def _wrong_settings():
    from ccov.config import SETTINGS

    for key, (kind, _) in sorted(SETTINGS.items()):
        for value in WRONG_VALUES[kind]:
            yield key, value


# Values of the right type that still cannot be used: patterns that do not compile.
BAD_VALUES = [
    ("omit", '["[z-a]"]'),
    ("fail_under_file", '{"[z-a]" = 50}'),
    ("exclude_also", '["x{100000000000}"]'),
    ("exclude_lines", '["("]'),
    ("partial_branches", '["x{100000000000}"]'),
    ("partial_also", '["("]'),
    ("include", '["[z-a]"]'),
    ("report_omit", '["[z-a]"]'),
    ("report_include", '["[z-a]"]'),
    ("format", '"html"'),
    ("sort", '"size"'),
]


def test_every_setting_with_a_wrong_value_is_a_usage_error(project, monkeypatch, capsys):
    """In-process (ccov.frontends.cli.main), so that the ~90 cases take a second, not
    two processes each: the configuration is read before anything runs."""
    from ccov.frontends.cli import main

    monkeypatch.chdir(project)
    write(project, "prog.py", "x = 1\n")
    for key, value in [*_wrong_settings(), *BAD_VALUES]:
        write(project, "pyproject.toml", f"[tool.ccov]\n{key} = {value}\n")
        for command in (["report"], ["run", "prog.py"]):
            status = main(command)
            stderr = capsys.readouterr().err
            assert status == 3, (key, value, command, stderr)
            assert one_error_line(stderr) and key.split("_")[0] in stderr or "pattern" in stderr, (key, value, stderr)


def test_odd_but_valid_values_and_a_tool_table_that_is_not_one(project):
    write(project, "prog.py", "x = 1\n")
    assert ccov("run", "prog.py", cwd=project).returncode == 0
    tiny = ccov("report", "--fail-under", "0.00001", cwd=project)  # an IndexError, then INTERNALERROR under pytest
    assert tiny.returncode == 0 and "TOTAL" in tiny.stdout, tiny.stderr
    # A pyproject.toml that names neither coverage nor ccov is not even parsed (start-up).
    write(project, "pyproject.toml", "tool = 5\n")
    assert ccov("report", cwd=project).returncode == 0
    write(project, "pyproject.toml", "# the ccov settings\ntool = 5\n")
    result = ccov("report", cwd=project)
    assert result.returncode == 3 and one_error_line(result.stderr), result.stderr
    assert "[tool] must be a table" in result.stderr


def test_a_configuration_file_that_is_not_text(project):
    """Found by the command-line fuzz on 3.13, whose tomllib decodes before parsing."""
    (project / "binary.toml").write_bytes(b"SQLite format 3\x00\xf8\xff\xfe")
    result = ccov("report", "--config", "binary.toml", cwd=project)
    assert result.returncode == 3 and one_error_line(result.stderr), result.stderr
    assert "binary.toml is not valid TOML" in result.stderr


# ---- a SIGTERM that comes just before a blocking wait ------------------------------------

UNBLOCK_THEN_WAIT = """
#include <signal.h>
#include <unistd.h>
/* The pending SIGTERM is delivered inside the first call (Python's C handler
 * only notes it), then read() blocks: no signal is left to interrupt it.  This
 * is the window a pool worker is in between its last signal check and sem_wait. */
long unblock_then_wait(int fd) {
    sigset_t term;
    char byte;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &term, 0);
    return (long)read(fd, &byte, 1);
}
"""


def test_a_sigterm_just_before_a_blocking_wait_still_ends_the_process(project):
    """ccov's SIGTERM handler (which saves) is a Python-level one; a signal it
    gets just before a blocking call was noted and never handled, and the
    process, which SIG_DFL would have killed, waited for ever (Pool.terminate()
    hung its parent, a few runs in a hundred under load).  Made certain here
    with a C call that takes the pending signal and then blocks."""
    import shutil
    import subprocess

    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler builds the extension; the same one builds this"
    (project / "wait.c").write_text(UNBLOCK_THEN_WAIT)
    done = subprocess.run([compiler, "-shared", "-fPIC", "-o", str(project / "wait.so"), str(project / "wait.c")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    write(project, "prog.py", """
        import ctypes, os, signal, sys
        def before():
            return 1
        before()
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        os.kill(os.getpid(), signal.SIGTERM)  # pending until the C call takes it
        reader, writer = os.pipe()
        ctypes.CDLL(os.path.abspath("wait.so")).unblock_then_wait(reader)
        print("not reached")
    """)
    result = ccov("run", "prog.py", cwd=project, timeout=20)
    assert result.returncode == -signal.SIGTERM, result.stderr
    printed = (project / "prog.py").read_text().splitlines().index('print("not reached")') + 1
    assert missing(project, "prog.py") == {printed}  # the process ended in the wait, and was saved
