"""The data a run leaves: what was measured (`coverage_data`), ccov's data
file (`datafile`, its own binary format, written atomically), coverage.py's
(`coverage_file`, SQLite, for the tools built on coverage.py), line bitmaps
(`linebits`) and file names across machines (`paths`).

Import rule (tests/test_layers.py): imports nothing of ccov's but the
shared modules (`ccov.errors`, `ccov.globs`, `ccov.files`...) and this package.
"""
