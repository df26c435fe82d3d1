"""`ccov run`'s options, one table for argparse (cli_parser) and for the
fast parser that spares `ccov run` importing argparse (cli)."""

# (flags, dest, action, metavar, help)
RUN_OPTIONS = [
    (("--source",), "source", "append", "DIR_OR_PKG", "measure only these (repeatable)"),
    (("--omit",), "omit", "append", "GLOB", "file patterns not to measure (repeatable)"),
    (("-a", "--append"), "append", "store_true", None, "add to the existing data file"),
    (("-p", "--parallel"), "parallel", "store_true", None, "write a uniquely named data file"),
    (("-m", "--module"), "module", "store_true", None, "the program is a module, as python -m"),
    (("--data-file",), "data_file", "store", "PATH", "data file (default .ccov, or [tool.ccov] data_file)"),
    (("--config",), "config", "store", "FILE", "read the configuration from this file only (TOML or .coveragerc)"),
    (("--context",), "context", "store", "NAME", "label the lines of this run (a static context, e.g. py3.13)"),
    (("--branch",), "branch", "store_true", None, "measure branches too (which way each one went)"),
    (("--data-format",), "data_format", "store", "ccov|coverage",
     "coverage: also write coverage.py's data file (.coverage, or [run] data_file), for tools built on coverage.py"),
]
