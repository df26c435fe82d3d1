"""Analysis results are cached by content, and the parallel path gives the serial answers."""

from __future__ import annotations

from conftest import PROGRAMS

from ccov.config import DEFAULT_EXCLUDE
from ccov.data import datafile, linebits
from ccov.model import results


def measured_data(directory):
    data = datafile.CoverageData()
    for source in sorted(PROGRAMS.glob("*.py")):
        target = directory / source.name
        target.write_bytes(source.read_bytes())
        data.add_lines(str(target), linebits.from_lines(range(1, 40)))
    return data


def summary(built):
    return [(f.name, sorted(f.statements), sorted(f.executed), sorted(f.excluded), f.functions) for f in built.files]


def test_second_build_reads_the_cache(tmp_path, monkeypatch):
    data = measured_data(tmp_path)
    first = results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path))
    assert (tmp_path / ".ccov_cache" / "analysis.sqlite").exists()

    def must_not_run(job):
        raise AssertionError("analysed again despite the cache")

    monkeypatch.setattr(results, "_analyse_text", must_not_run)
    second = results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path))
    assert summary(second) == summary(first)


def test_other_exclusions_are_other_cache_entries(tmp_path):
    data = measured_data(tmp_path)
    plain = results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path))
    stricter = results.build(data, DEFAULT_EXCLUDE + [r"print\("], root=str(tmp_path))
    assert sum(len(f.excluded) for f in stricter.files) > sum(len(f.excluded) for f in plain.files)


def test_damaged_cache_is_ignored(tmp_path):
    data = measured_data(tmp_path)
    expected = summary(results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path)))
    (tmp_path / ".ccov_cache" / "analysis.sqlite").write_bytes(b"not a database at all" * 100)
    assert summary(results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path))) == expected


def test_parallel_analysis_equals_serial(tmp_path, monkeypatch):
    data = measured_data(tmp_path)
    serial = summary(results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path), cache_dir=str(tmp_path / "a")))
    monkeypatch.setattr(results, "PARALLEL_THRESHOLD", 1)
    parallel = summary(results.build(data, DEFAULT_EXCLUDE, root=str(tmp_path), cache_dir=str(tmp_path / "b")))
    assert parallel == serial
