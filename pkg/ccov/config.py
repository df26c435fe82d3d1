"""Settings: defaults, then `[tool.ccov]` in pyproject.toml, then the command line.

Values are data: they are type-checked, never evaluated.
"""

from __future__ import annotations

import os

from ccov.errors import UsageError

# The exclusions coverage.py applies by default, so the numbers agree:
# a "no cover" pragma, stub bodies made of `...`, and `if TYPE_CHECKING:`.
DEFAULT_EXCLUDE = [
    r"#\s*(?:pragma|PRAGMA)[:\s]?\s*(?:no|NO)\s*(?:cover|COVER)",
    r"^\s*(?:(?:(?:async )?def .*?)?[\])]+(?:\s*->.*?)?:\s*)?\.\.\.\s*(?:#|$)",
    r"^\s*if (?:typing\.)?TYPE_CHECKING:",
]

# Lines whose branches are not reported as partial (coverage.py's default).
DEFAULT_PARTIAL_BRANCHES = [r"#\s*(?:pragma|PRAGMA)[:\s]?\s*(?:no|NO)\s*(?:branch|BRANCH)"]

SORT_COLUMNS = ("name", "stmts", "miss", "cover")


# name -> (type, default); the types are what pyproject.toml values are checked against.
SETTINGS = {
    "source": ("list[str]", []),
    "omit": ("list[str]", []),
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
}


class Config:
    """The effective settings, one attribute per SETTINGS entry.  (A plain
    class: importing dataclasses would cost `ccov run` start-up time.)"""

    def __init__(self):
        for name, (_, default) in SETTINGS.items():
            setattr(self, name, type(default)(default) if isinstance(default, (list, dict)) else default)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in SETTINGS}

    @property
    def exclusion_regexes(self) -> list[str]:
        return self.exclude_lines + self.exclude_also

    def override(self, **values) -> None:
        """Apply command-line values; None means "not given"."""
        for name, value in values.items():
            if value is not None:
                setattr(self, name, value)
        self.validate()

    def validate(self) -> None:
        if self.precision < 0 or self.precision > 10:
            raise UsageError(f"precision must be between 0 and 10, not {self.precision}")
        if not 0 <= self.fail_under <= 100:
            raise UsageError(f"fail_under must be between 0 and 100, not {self.fail_under:g}")
        if self.sort.lstrip("-").lower() not in SORT_COLUMNS:
            raise UsageError(f"sort must be one of {', '.join(SORT_COLUMNS)} (optionally with a leading -), not {self.sort!r}")
        import re

        for name in ("exclude_lines", "exclude_also", "partial_branches"):
            for pattern in getattr(self, name):
                try:
                    re.compile(pattern)
                except (re.error, OverflowError, RecursionError) as err:
                    raise UsageError(f"{name}: invalid regex {pattern!r}: {err}") from None
        from ccov.globs import compile_patterns

        for name, patterns in (("omit", self.omit), ("fail_under_file", [p for p in self.fail_under_file if p != "default"])):
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


def _check_type(key: str, value, expected: str) -> object:
    if _holds_nul(value):  # no file name or pattern can hold one
        raise UsageError(f"[tool.ccov] {key} contains a NUL character")
    if expected == "list[str]":
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise UsageError(f"[tool.ccov] {key} must be a string or a list of strings, not {value!r}")
    if expected == "bool":
        if isinstance(value, bool):
            return value
        raise UsageError(f"[tool.ccov] {key} must be true or false, not {value!r}")
    if expected == "float":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise UsageError(f"[tool.ccov] {key} must be a number, not {value!r}")
    if expected == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise UsageError(f"[tool.ccov] {key} must be an integer, not {value!r}")
    if expected == "minimums":
        return _minimums(key, value)
    if expected == "paths":
        return _path_rules(key, value)
    if isinstance(value, str):
        return value
    raise UsageError(f"[tool.ccov] {key} must be a string, not {value!r}")


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
    """Read `[tool.ccov]` from `path` (default: ./pyproject.toml, if present)."""
    config = Config()
    explicit = path is not None
    path = path or "pyproject.toml"
    if not os.path.isfile(path):
        if explicit:
            raise UsageError(f"configuration file {path} not found")
        return config
    import tomllib

    try:
        with open(path, "rb") as toml_file:
            document = tomllib.load(toml_file)
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror}") from None
    except UnicodeDecodeError:  # 3.13's tomllib decodes the whole file first
        raise UsageError(f"{path} is not valid TOML: it is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path} is not valid TOML: {err}") from None
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
        setattr(config, name, _check_type(key, value, SETTINGS[name][0]))
    config.validate()
    return config
