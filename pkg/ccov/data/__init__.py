"""The data a run leaves: the data file (`datafile`, SQLite, written
atomically), line bitmaps (`linebits`) and file names across machines
(`paths`).

Import rule (tests/test_layers.py): imports nothing of ccov's but
`ccov.errors`, `ccov.config`, `ccov.measuring.file_selection` and this package.
"""
