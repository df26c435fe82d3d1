"""Every process counted: subprocesses, os.system, os.exec*/spawn*,
multiprocessing (fork, spawn, forkserver), os.fork with os._exit or a normal
exit, SIGTERM, terminated pool workers; and the .pth bootstrap that starts it
all, which must do nothing unless asked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ccov, ccov_files, clean_env, lcov_lines, run


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def marked_lines(path) -> dict[str, int]:
    """{marker: line number} for lines ending in `# <marker>`."""
    found = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if "# " in line and not line.lstrip().startswith("#"):
            found[line.rsplit("# ", 1)[1].strip()] = number
    return found


def assert_ran(project, name, *markers):
    """The lines carrying these markers are executed in the (combined) data."""
    lines = marked_lines(project / name)
    missing = ccov_files(project)[name].missing
    not_run = [m for m in markers if lines[m] in missing]
    assert not not_run, f"{name}: lines never recorded: {not_run}"


def parallel_files(project):
    return sorted(p.name for p in project.glob(".ccov.*") if not p.name.endswith(".partial"))


CHILD = """
    import sys
    if len(sys.argv) > 1:
        print("argument", sys.argv[1])  # with-argument
    else:
        print("no argument")  # without-argument
"""


@pytest.mark.parametrize(
    "how",
    [
        "subprocess.run([sys.executable, 'child.py', 'x'], check=True)",
        "os.system(f'{sys.executable} child.py x')",
        "os.spawnv(os.P_WAIT, sys.executable, [sys.executable, 'child.py', 'x'])",
        "subprocess.run([sys.executable, '-c', 'import runpy; runpy.run_path(\"child.py\", run_name=\"__main__\")', 'x'])",
    ],
    ids=["subprocess", "os.system", "os.spawnv", "python-c"],
)
def test_child_python_processes_are_measured_and_adopted(project, how):
    write(project, "child.py", CHILD)
    write(project, "parent.py", f"import os, subprocess, sys\n{how}\n")
    result = ccov("run", "parent.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "argument x" in result.stdout
    # The run's process adopted its child's data file: nothing is left over.
    assert parallel_files(project) == []
    assert_ran(project, "child.py", "with-argument")
    assert lines_missing(project, "child.py") == {marked_lines(project / "child.py")["without-argument"]}


def lines_missing(project, name):
    return set(ccov_files(project)[name].missing)


@pytest.mark.parametrize("ending", ["raise RuntimeError('boom')", "sys.exit(4)"])
def test_a_child_that_fails_keeps_its_lines(project, ending):
    write(project, "child.py", f"import sys\nprint('working')  # before-failure\n{ending}\n")
    write(project, "parent.py", "import subprocess, sys\nprint(subprocess.run([sys.executable, 'child.py']).returncode)\n")
    result = ccov("run", "parent.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] in ("1", "4")
    assert lines_missing(project, "child.py") == set()


def test_exec_replaces_the_process_and_both_halves_are_kept(project):
    write(project, "child.py", CHILD)
    write(
        project,
        "parent.py",
        """
        import os, sys
        print("before exec", flush=True)  # before-exec
        os.execv(sys.executable, [sys.executable, "child.py", "exec"])
        print("never")  # after-exec
        """,
    )
    result = ccov("run", "parent.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "argument exec" in result.stdout
    # Nothing is left to write .ccov after the exec: report says what to do.
    report = ccov("report", cwd=project)
    assert report.returncode == 1 and "run `ccov combine` first" in report.stderr
    assert len(parallel_files(project)) == 2
    assert ccov("combine", cwd=project).returncode == 0
    assert_ran(project, "parent.py", "before-exec")
    assert lines_missing(project, "parent.py") == {marked_lines(project / "parent.py")["after-exec"]}
    assert_ran(project, "child.py", "with-argument")


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_workers_are_measured(project, method):
    write(
        project,
        "pool.py",
        f"""
        import multiprocessing

        def square(x):
            return x * x  # in-worker

        def announce(queue):
            queue.put("hello")  # in-process

        if __name__ == "__main__":
            context = multiprocessing.get_context({method!r})
            with context.Pool(2) as pool:
                print(pool.map(square, range(5)))
            queue = context.Queue()
            process = context.Process(target=announce, args=(queue,))
            process.start()
            print(queue.get())
            process.join()
        """,
    )
    result = ccov("run", "pool.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "[0, 1, 4, 9, 16]" in result.stdout and "hello" in result.stdout
    assert_ran(project, "pool.py", "in-worker", "in-process")
    assert lines_missing(project, "pool.py") == set()


@pytest.mark.parametrize("ending", ["os._exit(0)", "sys.exit(0)", "pass"])
def test_fork_then_work_in_parent_and_child(project, ending):
    write(
        project,
        "forker.py",
        f"""
        import os, sys

        def child_work():
            return "child"  # child-work

        def parent_work():
            return "parent"  # parent-work

        pid = os.fork()
        if pid == 0:
            child_work()
            {ending}
        else:
            os.waitpid(pid, 0)
            parent_work()
        """,
    )
    result = ccov("run", "forker.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert_ran(project, "forker.py", "child-work", "parent-work")
    assert parallel_files(project) == []


def test_forked_children_with_parallel_leave_files_for_combine(project):
    write(
        project,
        "forker.py",
        """
        import os
        pid = os.fork()
        if pid == 0:
            in_child = 1  # child-work
            os._exit(0)
        os.waitpid(pid, 0)
        in_parent = 2  # parent-work
        """,
    )
    assert ccov("run", "-p", "forker.py", cwd=project).returncode == 0
    assert len(parallel_files(project)) == 2
    assert ccov("combine", cwd=project).returncode == 0
    assert_ran(project, "forker.py", "child-work", "parent-work")


def test_sigterm_mid_run_keeps_what_ran(project):
    write(
        project,
        "waits.py",
        """
        import time
        def started():
            print("ready", flush=True)  # before-signal
        started()
        time.sleep(60)
        print("never")  # after-signal
        """,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "ccov", "run", "waits.py"],
        cwd=project, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout.readline() == "ready\n"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == -signal.SIGTERM
    assert_ran(project, "waits.py", "before-signal")
    assert marked_lines(project / "waits.py")["after-signal"] in lines_missing(project, "waits.py")


def test_pool_workers_terminated_by_their_pool_keep_their_lines(project):
    write(
        project,
        "stuck.py",
        """
        import multiprocessing, time

        def stuck(flag):
            flag.set()  # worker-started
            time.sleep(60)

        if __name__ == "__main__":
            context = multiprocessing.get_context("fork")
            flag = context.Manager().Event()
            pool = context.Pool(1)
            pool.apply_async(stuck, (flag,))
            flag.wait(30)
            pool.terminate()
            pool.join()
            print("terminated")
        """,
    )
    result = ccov("run", "stuck.py", cwd=project, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "terminated" in result.stdout
    assert_ran(project, "stuck.py", "worker-started")


def test_thread_pools_need_no_option(project):
    write(
        project,
        "threads.py",
        """
        from concurrent.futures import ThreadPoolExecutor

        def work(x):
            return x + 1  # in-thread

        with ThreadPoolExecutor(4) as pool:
            print(sum(pool.map(work, range(100))))
        """,
    )
    assert ccov("run", "threads.py", cwd=project).returncode == 0
    assert_ran(project, "threads.py", "in-thread")


def test_children_that_run_no_measured_code_write_nothing(project):
    write(project, "parent.py", "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'pass'], check=True)\n")
    assert ccov("run", "-p", "parent.py", cwd=project).returncode == 0
    assert len(parallel_files(project)) == 1  # the parent's own


def test_nested_ccov_run_on_the_same_data_file_joins_the_run(project):
    write(project, "inner.py", "value = 1  # inner\n")
    write(
        project,
        "outer.py",
        "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'ccov', 'run', 'inner.py'], check=True)\n",
    )
    result = ccov("run", "outer.py", cwd=project)
    assert result.returncode == 0, result.stderr
    assert parallel_files(project) == []
    assert_ran(project, "inner.py", "inner")
    assert lines_missing(project, "outer.py") == set()


# ---- the .pth bootstrap ------------------------------------------------------------


def test_an_unrelated_python_process_starts_nothing(project):
    probe = "import sys; print(sorted(m for m in sys.modules if m.startswith('ccov')))"
    result = run([sys.executable, "-c", probe], project)
    assert result.stdout.strip() == "[]", "ccov was imported without CCOV_PROCESS"


def test_the_pth_file_is_installed_beside_ccov():
    import ccov

    site_packages = os.path.dirname(os.path.dirname(ccov.__file__))
    text = open(os.path.join(site_packages, "ccov-subprocess.pth")).read()
    assert text.startswith("import os; 'CCOV_PROCESS' in os.environ and ")


def test_a_malformed_setting_is_one_warning_and_the_process_runs(project):
    env = clean_env(CCOV_PROCESS="__import__('os').system('touch pwned')")
    result = run([sys.executable, "-c", "print('ran')"], project, env=env)
    assert result.stdout == "ran\n"
    assert result.stderr.count("\n") == 1 and "ccov: warning: this process is not measured" in result.stderr
    assert not (project / "pwned").exists()


def test_the_bootstrap_never_imports_from_the_current_directory(project):
    """A `ccov` package planted in the working directory (or beside a script)
    is not what the bootstrap imports."""
    write(project, "ccov/__init__.py", "open('planted-ran', 'w').close()\n")
    write(project, "ccov/measuring/__init__.py", "")
    write(project, "ccov/measuring/childproc.py", "open('planted-ran', 'w').close()\ndef start(): pass\n")
    write(project, "script.py", "print('script')\n")
    from ccov.measuring.process_env import Settings

    value = Settings(str(project), str(project / ".ccov"), "0123abcd").encode()
    for argv in (["-c", "print('c')"], ["script.py"], ["-m", "script"]):
        result = run([sys.executable, *argv], project, env=clean_env(CCOV_PROCESS=value))
        assert result.returncode == 0, result.stderr
        assert not (project / "planted-ran").exists(), argv


def test_settings_survive_the_environment_and_reject_separators():
    from ccov.measuring.process_env import Settings

    settings = Settings("/r", "/r/.ccov", "abc123", ["src", "pkg.mod"], ["*/tests/*"], "tests/t.py::test_x|run",
                        source_pkgs=["pkg"], include=["src/*", "lib/*"], everywhere=True)
    back = Settings.decode(settings.encode())
    assert vars(back) == vars(settings)
    assert Settings("/r\x1e", "/r/.ccov", "abc").encode() is None
    assert Settings("/r", "/r/.ccov", "abc", context="a\x1fb").encode() is None
    with pytest.raises(ValueError):
        Settings.decode("ccov-process-3\x1erelative\x1e/x\x1eabc\x1e\x1e\x1e\x1e\x1e\x1e")
    for older in ("ccov-process-1\x1e/r\x1e/r/.ccov\x1eabc\x1e\x1e\x1e",
                  "ccov-process-2\x1e/r\x1e/r/.ccov\x1eabc\x1e\x1e\x1e\x1e"):
        with pytest.raises(ValueError):  # an older ccov's value
            Settings.decode(older)


def test_a_child_runs_in_the_static_context_of_its_parent(project):
    """`ccov run --context NAME`: the lines of the processes it starts are labelled NAME too."""
    write(project, "tool.py", CHILD)
    write(project, "prog.py", "import subprocess, sys\nsubprocess.run([sys.executable, 'tool.py'], check=True)\n")
    result = ccov("run", "--context", "py3", "prog.py", cwd=project)
    assert result.returncode == 0, result.stderr
    from ccov.data import datafile

    data = datafile.read(str(project / ".ccov"))
    tool = data.files[str(project / "tool.py")]
    assert set(tool.lines) == {"py3"} and tool.all_lines()


# ---- the pytest plugin ---------------------------------------------------------------


def test_a_child_running_a_source_module_with_dash_m(project):
    """--ccov=mod, and a test running `python -m mod`: the child looked for
    `mod` before its working directory was on sys.path, and reported it at 0%
    (coverage.py with patch = subprocess: 100%)."""
    write(project, "mod.py", "import sys\n\n\ndef main():\n    return 0\n\n\nif __name__ == '__main__':\n    sys.exit(main())\n")
    write(project, "test_child.py", "import subprocess, sys\n\n\ndef test_child():\n"
          "    assert subprocess.run([sys.executable, '-m', 'mod']).returncode == 0\n")
    result = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ccov=mod", "--ccov-report=lcov"],
                 project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(lcov_lines(project / "lcov.info")["mod.py"].values())


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_pytest_plugin_combines_what_tests_start(project, workers):
    write(project, "tool.py", CHILD)
    write(
        project,
        "test_tool.py",
        """
        import subprocess, sys

        def test_runs_the_tool():
            out = subprocess.run([sys.executable, "tool.py", "t"], capture_output=True, text=True).stdout
            assert out == "argument t\\n"

        def test_nothing():
            pass
        """,
    )
    result = run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--ccov=.", *workers], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert parallel_files(project) == []
    assert_ran(project, "tool.py", "with-argument")


# ---- combining across machines ---------------------------------------------------------


def _data_with(path_lines: dict[str, list[int]]):
    from ccov.data import datafile, linebits

    data = datafile.CoverageData()
    for path, lines in path_lines.items():
        data.add_lines(path, linebits.from_lines(lines))
    return data


def test_combine_remaps_paths_from_other_machines(project):
    from ccov.data import datafile

    write(project, "src/pkg/__init__.py", "")
    write(project, "src/pkg/mod.py", "a = 1\nb = 2\nc = 3\n")
    write(
        project,
        "pyproject.toml",
        """
        [tool.ccov.paths]
        source = ["src/", "/ci/*/checkout/src/", "C:\\\\agent\\\\**\\\\src\\\\"]
        """,
    )
    datafile.write(str(project / ".ccov.linux.1.0123456789ab"), _data_with({"/ci/job7/checkout/src/pkg/mod.py": [1]}))
    datafile.write(
        str(project / ".ccov.windows.2.0123456789ab"), _data_with({"C:\\agent\\w\\1\\src\\pkg\\mod.py": [2]})
    )
    # A name whose remapped file does not exist here is left as it was.
    datafile.write(str(project / ".ccov.linux.3.0123456789ab"), _data_with({"/ci/job7/checkout/src/gone.py": [1]}))
    result = ccov("combine", cwd=project)
    assert result.returncode == 0, result.stderr
    combined = datafile.read(str(project / ".ccov"))
    local = os.path.join(str(project), "src", "pkg", "mod.py")
    assert sorted(combined.files) == ["/ci/job7/checkout/src/gone.py", local]
    assert combined.files[local].all_lines() == 0b110


def test_relative_files_let_shards_in_different_checkouts_combine(tmp_path):
    """Shard a leaves a parallel file, shard b a plain .ccov that arrives in a
    directory of its own (as CI artifacts do); both combine in a third checkout."""
    reporting = tmp_path / "report_here"
    for name, argument, parallel in (("shard_a", "x", ["-p"]), ("shard_b", "", [])):
        checkout = tmp_path / name
        write(checkout, "app/main.py", CHILD)
        write(checkout, "pyproject.toml", "[tool.ccov]\nrelative_files = true\n")
        args = ["run", *parallel, "app/main.py"] + ([argument] if argument else [])
        assert ccov(*args, cwd=checkout).returncode == 0
        (reporting / name).mkdir(parents=True)
        for data_file in checkout.glob(".ccov*"):
            os.replace(data_file, reporting / name / data_file.name)
    write(reporting, "app/main.py", CHILD)
    write(reporting, "pyproject.toml", "[tool.ccov]\nrelative_files = true\n")
    result = ccov("combine", "shard_a", "shard_b", cwd=reporting)
    assert result.returncode == 0 and "Combined 2 data files" in result.stdout, result.stdout + result.stderr
    from ccov.data import datafile

    assert list(datafile.read(str(reporting / ".ccov")).files) == ["app/main.py"]
    assert lines_missing(reporting, "app/main.py") == set()


WRITER = """
import sys
from ccov.data import datafile, linebits
for n in range(1, int(sys.argv[1]) + 1):
    data = datafile.CoverageData()
    data.add_lines("/src/f.py", linebits.from_lines([n]))
    datafile.write(datafile.parallel_name(".ccov"), data)
"""


def test_combine_while_writers_write_loses_nothing(project):
    from ccov.data import datafile

    writes = 150
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(writes)], cwd=project, env=clean_env())
        for _ in range(2)
    ]
    combines = 0
    while any(w.poll() is None for w in writers) or combines < 3:
        result = ccov("combine", "-a", cwd=project)
        assert "not combined" not in result.stderr, result.stderr
        combines += 1
    assert all(w.wait() == 0 for w in writers)
    if parallel_files(project):
        assert ccov("combine", "-a", cwd=project).returncode == 0
    combined = datafile.read(str(project / ".ccov"))
    assert combined.files["/src/f.py"].all_lines() == sum(1 << n for n in range(1, writes + 1))
    assert parallel_files(project) == []


def test_concurrent_combines_lose_nothing(project):
    from ccov.data import datafile

    for n in range(1, 41):
        datafile.write(datafile.parallel_name(str(project / ".ccov")), _data_with({"/src/f.py": [n]}))
    combiners = [
        subprocess.Popen([sys.executable, "-m", "ccov", "combine", "-a"], cwd=project, env=clean_env(),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for combiner in combiners:
        combiner.wait(timeout=60)
    combined = datafile.read(str(project / ".ccov"))
    assert combined.files["/src/f.py"].all_lines() == sum(1 << n for n in range(1, 41))


def test_concurrent_appending_runs_lose_nothing(project):
    """`ccov run -a` reads, merges and writes the data file under the
    directory lock, so runs that end together keep each other's lines."""
    for n in range(6):
        write(project, f"prog{n}.py", f"value = {n}\n")
    runs = [
        subprocess.Popen([sys.executable, "-m", "ccov", "run", "-a", f"prog{n}.py"], cwd=project, env=clean_env())
        for n in range(6)
    ]
    assert [r.wait(timeout=120) for r in runs] == [0] * 6
    files = ccov_files(project)
    assert sorted(files) == [f"prog{n}.py" for n in range(6)]


def test_a_shard_whose_checkout_has_other_line_endings_combines(tmp_path):
    """A Windows shard's checkout of a file differs only in its line endings:
    coverage.py reports it; ccov skipped it as 'changed since it was
    measured' (#40)."""
    text = "def f(x):\n    if x:\n        return 1\n    return 2\n\n\nf(1)\n"
    windows = tmp_path / "windows"
    write(windows, "pyproject.toml", "[tool.ccov]\nrelative_files = true\n")
    (windows / "app.py").write_bytes(text.replace("\n", "\r\n").encode())
    assert ccov("run", "-p", "app.py", cwd=windows).returncode == 0
    here = tmp_path / "linux"
    write(here, "pyproject.toml", "[tool.ccov]\nrelative_files = true\n")
    (here / "app.py").write_text(text)
    for data_file in windows.glob(".ccov.*"):
        os.replace(data_file, here / data_file.name)
    assert ccov("combine", cwd=here).returncode == 0
    report = ccov("report", "-m", cwd=here)
    assert report.returncode == 0 and "changed since" not in report.stderr, report.stderr
    assert "app.py       5      1    80%   4" in report.stdout, report.stdout
