"""Settings, each from the last of: the defaults; coverage.py's configuration
(ccov.covconfig: .coveragerc, setup.cfg, tox.ini or [tool.coverage]);
`[tool.ccov]` in pyproject.toml; $COVERAGE_FILE for the data file; the
command line.  `Config.origins` says where each value came from.

Values are data: they are type-checked, never evaluated.
"""

from __future__ import annotations

import os

from ccov.errors import UsageError

# The exclusions coverage.py applies by default, so the numbers agree:
# a "no cover" pragma, stub bodies made of `...`, and `if TYPE_CHECKING:`.
# Spelled exactly as coverage.py spells them: a plugin that configures
# (covdefaults) removes coverage.py's defaults by their text.
DEFAULT_EXCLUDE = [
    r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)",
    r"^\s*(((async )?def .*?)?[\])]+(\s*->.*?)?:\s*)?\.\.\.\s*(#|$)",
    r"^\s*if (typing\.)?TYPE_CHECKING:",
]

# Lines whose branches are not reported as partial (coverage.py's default).
DEFAULT_PARTIAL_BRANCHES = [r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(branch|BRANCH)"]

# Known to compile: the configuration checks only the regexes it was given.
_DEFAULT_REGEXES = frozenset(DEFAULT_EXCLUDE + DEFAULT_PARTIAL_BRANCHES)

SORT_COLUMNS = ("name", "stmts", "miss", "branch", "brpart", "cover")
REPORT_FORMATS = ("text", "markdown", "total")
# "ccov": ccov's data file alone; "coverage": coverage.py's data file too
# (coverage_data_file), for the tools built on coverage.py.
DATA_FORMATS = ("ccov", "coverage")


# name -> (type, default); the types are what pyproject.toml values are checked against.
SETTINGS = {
    "source": ("list[str]", []),
    "source_pkgs": ("list[str]", []),
    "include": ("list[str]", []),
    "omit": ("list[str]", []),
    "report_include": ("list[str]", []),
    "report_omit": ("list[str]", []),
    "data_file": ("str", ".ccov"),
    "exclude_lines": ("list[str]", DEFAULT_EXCLUDE),
    "exclude_also": ("list[str]", []),
    "fail_under": ("float", 0.0),
    "precision": ("int", 0),
    "show_missing": ("bool", False),
    "skip_covered": ("bool", False),
    "skip_empty": ("bool", False),
    "sort": ("str", "name"),
    "parallel": ("bool", False),
    "fail_under_file": ("minimums", {}),
    "relative_files": ("bool", False),
    "html_dir": ("str", "htmlcov"),
    "context": ("str", ""),
    "html_title": ("str", "Coverage report"),
    "paths": ("paths", {}),
    "branch": ("bool", False),
    "partial_branches": ("list[str]", DEFAULT_PARTIAL_BRANCHES),
    "partial_also": ("list[str]", []),
    "format": ("str", "text"),
    "html_skip_covered": ("optional bool", None),
    "html_skip_empty": ("optional bool", None),
    "xml_output": ("str", "coverage.xml"),
    "xml_methods": ("bool", False),
    "json_output": ("str", "coverage.json"),
    "json_show_contexts": ("bool", False),
    "lcov_output": ("str", "lcov.info"),
    "disable_warnings": ("list[str]", []),
    "data_format": ("str", "ccov"),
    "coverage_data_file": ("str", ".coverage"),
}


# How each kind of SETTINGS value is annotated on Config (a test keeps the two in step).
ANNOTATIONS = {"list[str]": "list[str]", "str": "str", "float": "float", "int": "int", "bool": "bool",
               "optional bool": "bool | None", "minimums": "dict[str, float]", "paths": "dict[str, list[str]]"}


class Config:
    """The effective settings, one attribute per SETTINGS entry.  (A plain
    class: importing dataclasses would cost `ccov run` start-up time.)"""

    source: list[str]
    source_pkgs: list[str]
    include: list[str]
    omit: list[str]
    report_include: list[str]
    report_omit: list[str]
    data_file: str
    exclude_lines: list[str]
    exclude_also: list[str]
    fail_under: float
    precision: int
    show_missing: bool
    skip_covered: bool
    skip_empty: bool
    sort: str
    parallel: bool
    fail_under_file: dict[str, float]
    relative_files: bool
    html_dir: str
    context: str
    html_title: str
    paths: dict[str, list[str]]
    branch: bool
    partial_branches: list[str]
    partial_also: list[str]
    format: str
    html_skip_covered: bool | None
    html_skip_empty: bool | None
    xml_output: str
    xml_methods: bool
    json_output: str
    json_show_contexts: bool
    lcov_output: str
    disable_warnings: list[str]
    data_format: str
    coverage_data_file: str
    origins: dict[str, str]

    def __init__(self) -> None:
        for name, (_, default) in SETTINGS.items():
            setattr(self, name, type(default)(default) if isinstance(default, (list, dict)) else default)
        self.origins: dict[str, str] = {}  # setting -> where its value came from, if not a default
        # coverage.py settings ccov has no use for ("[section] option" -> value), for `ccov debug`.
        self.accepted: dict[str, object] = {}

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in SETTINGS}

    @property
    def exclusion_regexes(self) -> list[str]:
        return self.exclude_lines + self.exclude_also

    @property
    def partial_regexes(self) -> list[str]:
        """Lines whose branches are not reported as partial."""
        return self.partial_branches + self.partial_also

    def set(self, name: str, value, origin: str) -> None:
        setattr(self, name, value)
        self.origins[name] = origin

    def set_checked(self, name: str, value, origin: str, label: str) -> None:
        """set(), with the value checked as `[tool.ccov]`'s are; a wrong type
        is a UsageError that names it as `label` (a plugin's option)."""
        self.set(name, check_type(name, value, SETTINGS[name][0], origin, label=label), origin)

    def override(self, **values) -> None:
        """Apply command-line values; None means "not given"."""
        for name, value in values.items():
            if value is not None:
                self.set(name, value, "command line")
        self.validate()

    def validate(self) -> None:
        if self.precision < 0 or self.precision > 10:
            raise UsageError(f"precision must be between 0 and 10, not {self.precision}")
        if not 0 <= self.fail_under <= 100:
            raise UsageError(f"fail_under must be between 0 and 100, not {self.fail_under:g}")
        if self.sort.lstrip("-").lower() not in SORT_COLUMNS:
            raise UsageError(f"sort must be one of {', '.join(SORT_COLUMNS)} (optionally with a leading -), not {self.sort!r}")
        if self.data_format not in DATA_FORMATS:
            raise UsageError(f"data_format must be one of {', '.join(DATA_FORMATS)}, not {self.data_format!r}")
        if self.format not in REPORT_FORMATS:
            raise UsageError(f"format must be one of {', '.join(REPORT_FORMATS)}, not {self.format!r}")
        # The defaults are known to compile: with none of its own, a
        # configuration does not make `ccov run` import re (and enum).
        regexes = [(name, pattern) for name in ("exclude_lines", "exclude_also", "partial_branches", "partial_also")
                    for pattern in getattr(self, name) if pattern not in _DEFAULT_REGEXES]
        if regexes:
            import re

            for name, pattern in regexes:
                try:
                    re.compile(pattern)
                except (re.error, OverflowError, RecursionError) as err:
                    raise UsageError(f"{name}: invalid regex {pattern!r}: {err}") from None
        from ccov.globs import compile_patterns

        minimums = [p for p in self.fail_under_file if p != "default"]
        for name in ("include", "omit", "report_include", "report_omit", "fail_under_file"):
            patterns = minimums if name == "fail_under_file" else getattr(self, name)
            try:
                compile_patterns(patterns, "/")
            except UsageError as err:
                raise UsageError(f"{name}: {err}") from None


def _holds_nul(value) -> bool:
    if isinstance(value, str):
        return "\0" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_nul(v) for v in value)


def check_type(key: str, value, expected: str, origin: str = "", label: str = "") -> object:
    """`value` as setting `key` holds it (of SETTINGS type `expected`), or a
    UsageError naming it as `label` (default: its [tool.ccov] name)."""
    label = label or f"[tool.ccov] {key}"
    if _holds_nul(value):  # no file name or pattern can hold one
        raise UsageError(f"{origin or label} contains a NUL character")
    if expected == "list[str]":
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise UsageError(f"{label} must be a string or a list of strings, not {value!r}")
    if expected in ("bool", "optional bool"):
        if isinstance(value, bool):
            return value
        raise UsageError(f"{label} must be true or false, not {value!r}")
    if expected == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise UsageError(f"{label} must be a number, not {value!r}")
    if expected == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise UsageError(f"{label} must be an integer, not {value!r}")
    if expected == "minimums":
        return _minimums(key, value)
    if expected == "paths":
        return _path_rules(key, value)
    if isinstance(value, str):
        return value
    raise UsageError(f"{label} must be a string, not {value!r}")


def _minimums(key: str, value) -> dict[str, float]:
    """A number (every file), or a table of glob pattern -> number with an
    optional "default" entry."""
    table = {"default": value} if not isinstance(value, dict) else value
    checked = {}
    for pattern, pct in table.items():
        if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 100:
            raise UsageError(f"[tool.ccov] {key}: {pattern!r} must be a number from 0 to 100, not {pct!r}")
        checked[str(pattern)] = float(pct)
    return checked


def _path_rules(key: str, value) -> dict[str, list[str]]:
    """[tool.ccov.paths]: name -> [local path, other prefixes or patterns...]."""
    if not isinstance(value, dict):
        raise UsageError(f"[tool.ccov] {key} must be a table of lists of paths, not {value!r}")
    for name, entries in value.items():
        if not isinstance(entries, list) or not entries or not all(isinstance(e, str) and e for e in entries):
            raise UsageError(f"[tool.ccov.{key}] {name} must be a list of paths (the local one first), not {entries!r}")
    return {str(name): list(entries) for name, entries in value.items()}


def load(path: str | None = None, warn=None) -> Config:
    """The settings from the configuration files: `path` alone when given (a
    TOML file's [tool.coverage] and [tool.ccov], or an INI file's coverage.py
    sections), else coverage.py's own file, wherever coverage.py finds it,
    under ./pyproject.toml's [tool.ccov].  `warn` hears of every setting
    that is not used."""
    from ccov import covconfig

    config = Config()
    documents: dict[str, dict] = {}

    def read_toml(name: str) -> dict:
        if name not in documents:
            documents[name] = covconfig.read_toml(name)
        return documents[name]

    found = covconfig.find(path, read_toml)
    for message in found.warnings:
        if warn:
            warn(message)
    config.accepted = dict(found.accepted)
    for name, value in found.values.items():
        config.set(name, check_type(name, value, SETTINGS[name][0], found.origins[name]), found.origins[name])
    if found.plugins:
        # coverage.py runs configuring plugins on the settings it read; [tool.ccov]
        # and the command line, ccov's own, come after.
        from ccov import coverage_plugins

        coverage_plugins.configure(found.plugins, found.plugin_options, config, warn)
    ccov_file = path if path is None or path.endswith(".toml") else None
    if ccov_file is None and path is None:
        ccov_file = "pyproject.toml"
    if ccov_file is not None and os.path.isfile(ccov_file) and (path or covconfig.mentions(ccov_file, b"ccov")):
        _apply_ccov_section(config, ccov_file, read_toml(ccov_file), warn)
    if os.environ.get("COVERAGE_FILE"):
        config.set("coverage_data_file", os.environ["COVERAGE_FILE"], "$COVERAGE_FILE")
    coverage_file_named(config)
    config.validate()
    from ccov.errors import silence

    silence(config.disable_warnings)
    return config


def coverage_file_named(config: Config) -> None:
    """coverage.py's data file named (`[run] data_file`, $COVERAGE_FILE) is
    one the project's tools will look for: it is written, in coverage.py's
    format, and ccov's own file goes beside it."""
    named_by = config.origins.get("coverage_data_file")
    if named_by is None:
        return
    if "data_format" not in config.origins:
        config.set("data_format", "coverage", f"coverage.py's data file named by {named_by}")
    if "data_file" not in config.origins:
        beside = os.path.join(os.path.dirname(config.coverage_data_file), ".ccov")
        config.set("data_file", beside, f"beside coverage.py's data file, named by {named_by}")


def _apply_ccov_section(config: Config, path: str, document: dict, warn) -> None:
    tools = document.get("tool", {})
    section = tools.get("ccov", {}) if isinstance(tools, dict) else None
    if not isinstance(section, dict):
        raise UsageError(f"{path}: [tool{'.ccov' if isinstance(tools, dict) else ''}] must be a table")
    for key, value in section.items():
        name = key.replace("-", "_")
        if name not in SETTINGS:
            if warn:
                warn(f"{path}: unknown setting [tool.ccov] {key} ignored")
            continue
        origin = f"{path} [tool.ccov] {key}"
        config.set(name, check_type(key, value, SETTINGS[name][0], origin), origin)
